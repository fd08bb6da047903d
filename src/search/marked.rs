//! Where investigators' marks meet search: searches recorded in the journal, and the tag facet
//! (tags live in the case database, so their counts come from the tagged hits).

use std::collections::HashMap;

use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::Searcher;

use super::{seqset, Facet, FacetValue, SearchRequest};
use crate::case::Case;
use crate::error::Result;

impl Case {
    /// Records a search a person ran (not a page scrolled to) in the case journal, so the
    /// journal shows what was looked at; a read-only case records nothing.
    pub fn journal_search(&self, req: &SearchRequest, total: u64) -> Result<()> {
        if !self.is_writable() {
            return Ok(());
        }
        let rfc = |t: Option<i64>| t.map(crate::time::format_rfc3339);
        self.journal_append(
            "search",
            &serde_json::json!({
                "query": req.query,
                "filters": req.filters,
                "from": rfc(req.from),
                "to": rfc(req.to),
                "total": total,
            }),
        )?;
        Ok(())
    }

    /// Hits per tag, when the case has tags: the tagged events among the hits are found in one
    /// pass (marks live in the database, not the index), then counted per tag.
    pub(super) fn tag_facet(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        limit: usize,
    ) -> Result<Option<Facet>> {
        let tags_of = self.tags_by_seq()?;
        if tags_of.is_empty() {
            return Ok(None);
        }
        let both = BooleanQuery::new(vec![
            (Occur::Must, query.box_clone()),
            (
                Occur::Must,
                Box::new(seqset::SeqSetQuery::new(tags_of.keys().copied().collect())),
            ),
        ]);
        let hits = searcher.search(&both, &tantivy::collector::DocSetCollector)?;
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for addr in hits {
            let segment = searcher.segment_reader(addr.segment_ord);
            let Some(col) = segment.fast_fields().column_opt::<u64>("seq")? else {
                continue;
            };
            for tag in col
                .first(addr.doc_id)
                .and_then(|s| tags_of.get(&s))
                .into_iter()
                .flatten()
            {
                *counts.entry(tag.as_str()).or_insert(0) += 1;
            }
        }
        let mut values: Vec<FacetValue> = counts
            .into_iter()
            .map(|(value, count)| FacetValue {
                value: value.to_string(),
                count,
            })
            .collect();
        values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let distinct = values.len() as u64;
        values.truncate(limit);
        Ok(Some(Facet {
            field: "tag".to_string(),
            values,
            distinct,
        }))
    }
}

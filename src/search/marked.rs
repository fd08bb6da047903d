//! Where what the case database says about events meets search: the tag facet (tags live in the
//! case database, so their counts come from the tagged hits) and the detection facets (rule and
//! level of the detections on the hits).

use std::collections::HashMap;

use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::Searcher;

use super::{seqset, Facet, FacetValue};
use crate::case::Store;
use crate::error::Result;

/// Hits per tag, when the case has tags: the tagged events among the hits are found in one
/// pass (marks live in the database, not the index), then counted per tag.
pub(super) fn tag_facet(
    store: &Store,
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
) -> Result<Option<Facet>> {
    seq_facet("tag", &store.tags_by_seq()?, searcher, query, limit)
}

/// Hits per rule and per level of the detections on them, when the case has detections.
pub(super) fn detection_facets(
    store: &Store,
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
) -> Result<Vec<Facet>> {
    let (rules, levels) = store.detection_labels()?;
    let mut out = Vec::new();
    for (field, labels) in [("rule", rules), ("level", levels)] {
        out.extend(seq_facet(field, &labels, searcher, query, limit)?);
    }
    Ok(out)
}

/// A facet of labels the database keeps per event: the labelled events among the hits are
/// found in one pass, then counted per label.
fn seq_facet(
    field: &str,
    tags_of: &HashMap<u64, Vec<String>>,
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
) -> Result<Option<Facet>> {
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
        field: field.to_string(),
        values,
        distinct,
    }))
}

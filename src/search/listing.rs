//! The whole sorted hit list of a query, for pages deep in a long result: built once per query
//! and index state, kept in the store, so scrolling far costs one sort and then only the rows.

use std::sync::Arc;

use tantivy::query::Query;
use tantivy::{DocAddress, Searcher};

use super::collect::{CountCollector, Page};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::event::{parse_event_id, sequence_key};
use crate::model::SearchRequest;

/// Where event `id` stands in `req`'s result (0 is the first row), or `None` when the search
/// does not find it: the window scrolls there to show an event among its neighbours.
pub fn position(store: &Store, req: &SearchRequest, id: &str) -> Result<Option<u64>> {
    let (file, ordinal) = parse_event_id(id).ok_or_else(|| Error::EventNotFound(id.to_string()))?;
    store.reader.reload()?;
    let searcher = store.reader.searcher();
    let key = tantivy::Term::from_field_u64(store.fields.seq, sequence_key(file, ordinal));
    let exact = tantivy::query::RangeQuery::new(
        std::ops::Bound::Included(key.clone()),
        std::ops::Bound::Included(key),
    );
    let hits = searcher.search(
        &exact,
        &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
    )?;
    let Some((_, anchor)) = hits.first() else {
        return Err(Error::EventNotFound(id.to_string()));
    };
    let query = super::compile(store, &searcher, req)?;
    let docs = sorted_hits(store, &searcher, query.as_ref(), req)?;
    Ok(docs.iter().position(|a| a == anchor).map(|p| p as u64))
}

/// The sorted hits of `req`'s query, from the store's cache when it holds them for this query
/// and index state.
pub(super) fn sorted_hits(
    store: &Store,
    searcher: &Searcher,
    query: &dyn Query,
    req: &SearchRequest,
) -> Result<Arc<Vec<DocAddress>>> {
    // Everything that decides the hits and their order; the page does not.
    let key = serde_json::json!({
        "generation": searcher.generation().generation_id(),
        "query": req.query,
        "from": req.from,
        "to": req.to,
        "filters": req.filters,
        "order": req.order,
    })
    .to_string();
    store.hit_list(key, || {
        let all = CountCollector {
            layout: None,
            facets: false,
            page: Some(Page {
                order: req.order,
                keep: usize::MAX,
            }),
        };
        let counts = searcher.search(query, &all)?;
        Ok(counts.top.map(|top| top.into_page(0)).unwrap_or_default())
    })
}

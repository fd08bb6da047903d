//! Where an event stands in a result: the window scrolls there to show an event among its
//! neighbours. Counted in one pass over the hits (those ranked before it), not by sorting them.

use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::event::{parse_event_id, sequence_key};
use crate::model::SearchRequest;

/// Where event `id` stands in `req`'s result (0 is the first row), or `None` when the search
/// does not find it.
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
    super::deep::rank_of(&searcher, query.as_ref(), req.order, *anchor)
}

/// The first `keep` hits of `query` in `order`, and how many there are.
pub(super) fn first_hits(
    searcher: &tantivy::Searcher,
    query: &dyn tantivy::query::Query,
    order: crate::model::SortOrder,
    keep: usize,
) -> Result<(u64, Vec<tantivy::DocAddress>)> {
    let all = super::collect::CountCollector {
        layout: None,
        facets: false,
        page: Some(super::collect::Page { order, keep }),
    };
    let counts = searcher.search(query, &all)?;
    let docs = counts.top.map(|top| top.into_page(0)).unwrap_or_default();
    Ok((counts.total, docs))
}

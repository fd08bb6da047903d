//! The whole sorted hit list of a query, for pages deep in a long result: built once per query
//! and index state, kept in the case, so scrolling far costs one sort and then only the rows.

use std::sync::Arc;

use tantivy::query::Query;
use tantivy::{DocAddress, Searcher};

use super::collect::{CountCollector, Page};
use super::{FacetFilter, SearchRequest, SortOrder};
use crate::case::Case;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListingKey {
    generation: u64,
    query: String,
    from: Option<i64>,
    to: Option<i64>,
    filters: Vec<FacetFilter>,
    order: SortOrder,
}

/// A query's hits in display order, for paging deep into a long result.
pub struct Listing {
    key: ListingKey,
    docs: Arc<Vec<DocAddress>>,
}

impl Case {
    /// Where event `id` stands in `req`'s result (0 is the first row), or `None` when the
    /// search does not find it: the window scrolls there to show an event among its neighbours.
    pub fn position(&self, req: &SearchRequest, id: &str) -> Result<Option<u64>> {
        let (file, ordinal) =
            crate::event::parse_event_id(id).ok_or_else(|| Error::EventNotFound(id.to_string()))?;
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let key = tantivy::Term::from_field_u64(
            self.fields.seq,
            crate::event::sequence_key(file, ordinal),
        );
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
        let query = self.compile(req)?;
        let docs = self.listing(&searcher, query.as_ref(), req)?;
        Ok(docs.iter().position(|a| a == anchor).map(|p| p as u64))
    }

    /// The sorted hits of `req`'s query, from the cache when it holds them for this index state.
    pub(super) fn listing(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        req: &SearchRequest,
    ) -> Result<Arc<Vec<DocAddress>>> {
        let key = ListingKey {
            generation: searcher.generation().generation_id(),
            query: req.query.clone(),
            from: req.from,
            to: req.to,
            filters: req.filters.clone(),
            order: req.order,
        };
        let mut cached = self
            .listing
            .lock()
            .map_err(|_| Error::Invalid("search cache poisoned".to_string()))?;
        if let Some(listing) = cached.as_ref().filter(|l| l.key == key) {
            return Ok(listing.docs.clone());
        }
        let all = CountCollector {
            layout: None,
            facets: false,
            page: Some(Page {
                order: req.order,
                keep: usize::MAX,
            }),
        };
        let counts = searcher.search(query, &all)?;
        let docs = Arc::new(counts.top.map(|top| top.into_page(0)).unwrap_or_default());
        *cached = Some(Listing {
            key,
            docs: docs.clone(),
        });
        Ok(docs)
    }
}

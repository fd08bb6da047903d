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

//! What a person asks of the events: a query, a time range, facet filters, an order and a page.
//! Shared by search, export, reports, saved searches and the journal, so it sits below them all.

use serde::{Deserialize, Serialize};

/// Newest first or oldest first. Ties keep import order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SortOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// Keep or drop events whose facet `field` equals `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FacetFilter {
    pub field: String,
    pub value: String,
    #[serde(default)]
    pub exclude: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchRequest {
    pub query: String,
    /// Inclusive lower bound, UTC nanoseconds.
    #[serde(default, with = "crate::model::nanos::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub from: Option<i64>,
    /// Exclusive upper bound, UTC nanoseconds.
    #[serde(default, with = "crate::model::nanos::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub to: Option<i64>,
    pub filters: Vec<FacetFilter>,
    pub order: SortOrder,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: usize,
    /// Events per page; 0 returns counts only.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub limit: usize,
    /// Values returned per facet; 0 skips facet counting (no facets returned).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub facet_limit: usize,
    /// Buckets the histogram aims for; 0 skips the histogram.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub histogram_buckets: usize,
}

impl SearchRequest {
    /// The window's first search of a case (Explorer.svelte's `request()` at offset 0, kept
    /// alike by hand). The shell runs it while the window loads, and an import runs it at its
    /// end, so the whole case's counts it needs are made (and kept on disk, when they took
    /// long) before the window asks; if the two differ, only that head start is lost.
    pub fn first_screen() -> SearchRequest {
        SearchRequest {
            limit: 100,
            facet_limit: 12,
            histogram_buckets: 120,
            ..SearchRequest::default()
        }
    }
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            from: None,
            to: None,
            filters: Vec::new(),
            order: SortOrder::NewestFirst,
            offset: 0,
            limit: 50,
            facet_limit: 10,
            histogram_buckets: 100,
        }
    }
}

//! Statistics for one field over a search's events: how many have it, how many distinct values,
//! the most and least frequent values, and when the events that have it happened.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tantivy::TantivyDocument;

use super::{FacetValue, Histogram, FACETS};
use crate::case::Store;
use crate::error::Result;
use crate::formats::value::{get, scalar_text};
use crate::model::event::AuditEvent;
use crate::model::SearchRequest;

/// Events read for a field the index does not count: the most recent ones.
const SAMPLE: usize = 20_000;
const TOP: usize = 15;
const RARE: usize = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FieldStats {
    pub field: String,
    /// Events the search selects.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    /// Of those read, how many have a value (all of them for an indexed facet field).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub with_value: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub distinct: u64,
    pub top: Vec<FacetValue>,
    /// Least frequent values, rarest first: where the odd one out hides.
    pub rare: Vec<FacetValue>,
    /// Events read: all of them for a facet field, else the most recent `SAMPLE`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub read: u64,
    /// Events with a value over time (the selection's when the field cannot be tested).
    pub histogram: Histogram,
}

/// The text of `field` in an event: a normalized name or an original key path.
fn values_of(field: &str, e: &AuditEvent, record: &serde_json::Value) -> Vec<String> {
    let label =
        |i: Option<&crate::model::event::Identity>| i.and_then(|i| i.label()).map(str::to_string);
    let one = match field {
        "target" => label(e.target.as_ref()),
        "user_agent" => e.user_agent.clone(),
        "region" => e.region.clone(),
        "host" => e.host.clone(),
        "session" => e.session_id.clone(),
        "request" => e.request_id.clone(),
        "id" => e.native_id.clone(),
        "category" => Some(e.category.as_str().to_string()),
        "flag" => return e.flags.clone(),
        "tag" | "is" | "has" | "time" | "message" => None,
        path => get(record, path).map(|v| scalar_text(v).unwrap_or_else(|| v.to_string())),
    };
    one.filter(|v| !v.is_empty()).into_iter().collect()
}

fn ranked(counts: HashMap<String, u64>) -> (u64, Vec<FacetValue>, Vec<FacetValue>) {
    let mut all: Vec<FacetValue> = counts
        .into_iter()
        .map(|(value, count)| FacetValue { value, count })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    let distinct = all.len() as u64;
    let mut rare: Vec<FacetValue> = all.iter().rev().take(RARE).cloned().collect();
    rare.sort_by(|a, b| a.count.cmp(&b.count).then_with(|| a.value.cmp(&b.value)));
    all.truncate(TOP);
    (distinct, all, rare)
}

/// Statistics of `field` over the events `req` selects.
pub fn field_stats(store: &Store, req: &SearchRequest, field: &str) -> Result<FieldStats> {
    let base = SearchRequest {
        offset: 0,
        limit: 0,
        facet_limit: 0,
        histogram_buckets: 120,
        ..req.clone()
    };
    // The histogram of events that have the field, where the query language can say so.
    let has = SearchRequest {
        query: format!(
            "({}) {field}:*",
            if req.query.trim().is_empty() {
                "*"
            } else {
                &req.query
            }
        ),
        ..base.clone()
    };
    let histogram = match super::run(store, &has) {
        Ok(r) => r.histogram,
        Err(_) => super::run(store, &base)?.histogram,
    };
    if FACETS.contains(&field) {
        let all = super::run(
            store,
            &SearchRequest {
                facet_limit: usize::MAX,
                histogram_buckets: 0,
                ..base.clone()
            },
        )?;
        let values = all
            .facets
            .into_iter()
            .find(|f| f.field == field)
            .map(|f| f.values)
            .unwrap_or_default();
        let counts: HashMap<String, u64> = values
            .into_iter()
            .filter(|v| !v.value.is_empty())
            .map(|v| (v.value, v.count))
            .collect();
        let with_value = counts.values().sum();
        let (distinct, top, rare) = ranked(counts);
        return Ok(FieldStats {
            field: field.to_string(),
            events: all.total,
            with_value,
            distinct,
            top,
            rare,
            read: all.total,
            histogram,
        });
    }
    store.reader.reload()?;
    let searcher = store.reader.searcher();
    let query = super::compile(store, &searcher, req)?;
    let (total, docs) = super::listing::first_hits(&searcher, query.as_ref(), req.order, SAMPLE)?;
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut with_value = 0;
    let read = docs.len();
    for addr in &docs {
        let doc: TantivyDocument = searcher.doc(*addr)?;
        let (event, _, record) = super::stored::rebuild(store, &doc)?;
        let values = values_of(field, &event, &record);
        if !values.is_empty() {
            with_value += 1;
        }
        for v in values {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    let (distinct, top, rare) = ranked(counts);
    Ok(FieldStats {
        field: field.to_string(),
        events: total,
        with_value,
        distinct,
        top,
        rare,
        read: read as u64,
        histogram,
    })
}

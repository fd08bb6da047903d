//! One page per actor across every source: what it did, from where, with what, and when, over
//! the actor's aliases (`case::aliases`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FacetValue, Histogram, SearchResult};
use crate::case::Store;
use crate::error::Result;
use crate::model::{SearchRequest, SortOrder};

/// Events read in full for the values the index does not count (user agents, regions,
/// sessions): the most recent ones, which is what an investigator looks at first.
const SAMPLE: usize = 2000;
/// Values listed per table.
const TOP: usize = 15;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ActorProfile {
    /// The name asked for, and every alias joined to it.
    pub identities: Vec<String>,
    /// The query that selects the actor's events (for "show events").
    pub query: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failures: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub actions: Vec<FacetValue>,
    pub failed_actions: Vec<FacetValue>,
    pub outcomes: Vec<FacetValue>,
    pub source_ips: Vec<FacetValue>,
    pub services: Vec<FacetValue>,
    pub formats: Vec<FacetValue>,
    /// From the most recent events (see `sampled`).
    pub user_agents: Vec<FacetValue>,
    pub regions: Vec<FacetValue>,
    /// Sessions, access keys and logon ids.
    pub sessions: Vec<FacetValue>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sampled: u64,
    pub histogram: Histogram,
}

/// A value quoted for the query language.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

fn top(counts: BTreeMap<String, u64>) -> Vec<FacetValue> {
    let mut v: Vec<FacetValue> = counts
        .into_iter()
        .map(|(value, count)| FacetValue { value, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    v.truncate(TOP);
    v
}

/// The actor's page: its events across all sources and aliases.
pub fn profile(store: &Store, actor: &str) -> Result<ActorProfile> {
    let identities = store.alias_group(actor)?;
    let query = identities
        .iter()
        .map(|i| format!("actor:{}", quoted(i)))
        .collect::<Vec<_>>()
        .join(" OR ");
    let all = super::run(
        store,
        &SearchRequest {
            query: query.clone(),
            limit: SAMPLE,
            facet_limit: TOP,
            histogram_buckets: 120,
            order: SortOrder::NewestFirst,
            ..SearchRequest::default()
        },
    )?;
    let failed = super::run(
        store,
        &SearchRequest {
            query: format!("({query}) outcome:failure"),
            limit: 0,
            facet_limit: TOP,
            histogram_buckets: 0,
            ..SearchRequest::default()
        },
    )?;
    let oldest = super::run(
        store,
        &SearchRequest {
            query: query.clone(),
            limit: 1,
            facet_limit: 0,
            histogram_buckets: 0,
            order: SortOrder::OldestFirst,
            ..SearchRequest::default()
        },
    )?;
    let facet = |r: &SearchResult, name: &str| {
        r.facets
            .iter()
            .find(|f| f.field == name)
            .map(|f| f.values.clone())
            .unwrap_or_default()
    };
    let (mut agents, mut regions, mut sessions) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for e in &all.events {
        for (map, value) in [
            (&mut agents, &e.user_agent),
            (&mut regions, &e.region),
            (&mut sessions, &e.session),
        ] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                *map.entry(v.clone()).or_insert(0) += 1;
            }
        }
    }
    Ok(ActorProfile {
        identities,
        events: all.total,
        failures: failed.total,
        first_seen: oldest.events.first().and_then(|e| e.time.clone()),
        last_seen: all.events.first().and_then(|e| e.time.clone()),
        actions: facet(&all, "action"),
        failed_actions: facet(&failed, "action"),
        outcomes: facet(&all, "outcome"),
        source_ips: facet(&all, "ip"),
        services: facet(&all, "service"),
        formats: facet(&all, "format"),
        user_agents: top(agents),
        regions: top(regions),
        sessions: top(sessions),
        sampled: all.events.len() as u64,
        histogram: all.histogram,
        query,
    })
}

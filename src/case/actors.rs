//! One page per actor across every source: what it did, from where, with what, and when. An
//! investigator joins the identities one person or workload has in different sources (an Okta
//! email, an AWS ARN, a Windows SID) with aliases kept in the case and journaled.

use std::collections::BTreeMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::Case;
use crate::error::{Error, Result};
use crate::search::{FacetValue, Histogram, SearchRequest, SortOrder};

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

impl Case {
    /// Joins `alias` to `actor` (both as shown in the actor facet); recorded in the journal.
    pub fn add_alias(&self, actor: &str, alias: &str) -> Result<Vec<String>> {
        if !self.is_writable() {
            return Err(Error::Invalid("the case is open read-only".to_string()));
        }
        let (actor, alias) = (actor.trim(), alias.trim());
        if actor.is_empty() || alias.is_empty() || actor == alias {
            return Err(Error::Invalid(
                "an alias joins two different, non-empty names".to_string(),
            ));
        }
        let group = self.alias_group(actor)?;
        let canonical = group.first().cloned().unwrap_or_else(|| actor.to_string());
        {
            let db = self.db();
            db.execute(
                "INSERT OR IGNORE INTO actor_aliases (alias, actor) VALUES (?1, ?1)",
                params![canonical],
            )?;
            // The alias's own group moves over whole, so joining is transitive.
            let theirs = {
                let mut stmt = db.prepare(
                    "SELECT alias FROM actor_aliases WHERE actor = (SELECT actor FROM actor_aliases WHERE alias = ?1)",
                )?;
                let rows = stmt.query_map([alias], |r| r.get::<_, String>(0))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            for name in theirs.iter().map(String::as_str).chain([alias]) {
                db.execute(
                    "INSERT INTO actor_aliases (alias, actor) VALUES (?1, ?2)
                     ON CONFLICT(alias) DO UPDATE SET actor = excluded.actor",
                    params![name, canonical],
                )?;
            }
        }
        self.journal_append(
            "alias",
            &serde_json::json!({ "actor": canonical, "alias": alias }),
        )?;
        self.alias_group(&canonical)
    }

    /// Takes `alias` out of its group.
    pub fn remove_alias(&self, alias: &str) -> Result<()> {
        if !self.is_writable() {
            return Err(Error::Invalid("the case is open read-only".to_string()));
        }
        self.db()
            .execute("DELETE FROM actor_aliases WHERE alias = ?1", [alias])?;
        self.journal_append("unalias", &serde_json::json!({ "alias": alias }))?;
        Ok(())
    }

    /// `actor` and every name joined to it, the group's first name first.
    pub fn alias_group(&self, actor: &str) -> Result<Vec<String>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT alias FROM actor_aliases WHERE actor = (SELECT actor FROM actor_aliases WHERE alias = ?1)
             ORDER BY alias = actor DESC, alias",
        )?;
        let names = stmt
            .query_map([actor], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(if names.is_empty() {
            vec![actor.to_string()]
        } else {
            names
        })
    }

    /// The actor's page: its events across all sources and aliases.
    pub fn actor_profile(&self, actor: &str) -> Result<ActorProfile> {
        let identities = self.alias_group(actor)?;
        let query = identities
            .iter()
            .map(|i| format!("actor:{}", quoted(i)))
            .collect::<Vec<_>>()
            .join(" OR ");
        let all = self.search(&SearchRequest {
            query: query.clone(),
            limit: SAMPLE,
            facet_limit: TOP,
            histogram_buckets: 120,
            order: SortOrder::NewestFirst,
            ..SearchRequest::default()
        })?;
        let failed = self.search(&SearchRequest {
            query: format!("({query}) outcome:failure"),
            limit: 0,
            facet_limit: TOP,
            histogram_buckets: 0,
            ..SearchRequest::default()
        })?;
        let oldest = self.search(&SearchRequest {
            query: query.clone(),
            limit: 1,
            facet_limit: 0,
            histogram_buckets: 0,
            order: SortOrder::OldestFirst,
            ..SearchRequest::default()
        })?;
        let facet = |r: &crate::search::SearchResult, name: &str| {
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
}

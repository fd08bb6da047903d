//! Compliance evidence, control by control: for a framework (PCI DSS Req. 10, SOC 2, HIPAA,
//! NIST 800-53 AU, ISO 27001, GDPR, or a user's own file), what in these logs speaks to each
//! control, for the case or a selection of it.
//!
//! Every number comes with the query that reproduces it in the search bar. A control's status is
//! about the evidence, not about the organization: `no_evidence` says these logs hold nothing
//! for it, never that the control failed, and each framework states what logs cannot show.
//!
//! A control names checks, each evaluated over the selection (`scope`):
//! - evidence: an event selection (a query, or a detection rule's hits), counted;
//! - fields: the share of events carrying each required field (AU-3, PCI 10.2.2), per source;
//! - retention: the period each source covers and where it fell silent (`coverage`);
//! - integrity: the last verify's verdicts per source;
//! - review: the case journal's trail of searches, verifies and reports (`review`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::{SearchRequest, SortOrder};
use crate::search::EventRow;

mod coverage;
pub mod framework;
pub mod html;
mod review;

pub use coverage::{Silence, SourceCompleteness, SourceIntegrity, SourceRetention};
pub use framework::{Framework, FrameworkInfo};
pub use review::ReviewEntry;

/// Sample events listed per control.
const SAMPLES: usize = 5;

/// What the logs say about a control or one of its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ControlStatus {
    /// Every check found what the control asks for.
    Evidenced,
    /// Some checks did, or found it only in part.
    Partial,
    /// These logs hold nothing that speaks to it (which is not a failed control).
    NoEvidence,
    /// The control is about events of a kind these logs do not hold.
    NotApplicable,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Evidenced => "evidenced",
            ControlStatus::Partial => "partial",
            ControlStatus::NoEvidence => "no_evidence",
            ControlStatus::NotApplicable => "not_applicable",
        }
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::Evidenced => "evidenced",
            ControlStatus::Partial => "partial",
            ControlStatus::NoEvidence => "no evidence in these logs",
            ControlStatus::NotApplicable => "not applicable",
        }
    }

    /// All evidenced: evidenced; none: no evidence; otherwise partial.
    fn combine(parts: &[ControlStatus]) -> ControlStatus {
        if parts.is_empty() {
            return ControlStatus::NoEvidence;
        }
        if parts.iter().all(|s| *s == ControlStatus::Evidenced) {
            ControlStatus::Evidenced
        } else if parts.iter().all(|s| *s == ControlStatus::NoEvidence) {
            ControlStatus::NoEvidence
        } else {
            ControlStatus::Partial
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum CheckKind {
    Evidence,
    Fields,
    Retention,
    Integrity,
    Review,
}

/// One check of a control, with what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CheckResult {
    pub kind: CheckKind,
    pub name: String,
    pub status: ControlStatus,
    /// Events it counted (evidence, fields), when it counts events.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub count: Option<u64>,
    /// The query that reproduces the count (the selection's own query and range apply too).
    pub query: Option<String>,
    /// What was found, in a sentence.
    pub detail: String,
    /// The detection rule it reads, with its author (the Detection Rule License asks it).
    pub rule: Option<RuleRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RuleRef {
    pub id: String,
    pub title: Option<String>,
    pub author: Option<String>,
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SourceCount {
    pub source: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub requires: Option<String>,
    pub status: ControlStatus,
    /// Events of its evidence selections together (0 when it has none).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    /// Formats those events come from, most first.
    pub sources: Vec<SourceCount>,
    /// The query that selects those events within the selection, if it has event evidence.
    pub query: Option<String>,
    /// Its first events, oldest first.
    pub samples: Vec<EventRow>,
    pub checks: Vec<CheckResult>,
    pub cannot_show: Option<String>,
}

/// The report over a selection of the case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ComplianceReport {
    pub framework: FrameworkInfo,
    /// When it was made (the case clock), RFC 3339.
    pub generated: String,
    pub case_id: String,
    /// The selection: the query, range and filters every number is within.
    pub scope: SearchRequest,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    /// First and last event of the selection.
    pub first: Option<String>,
    pub last: Option<String>,
    pub controls: Vec<ControlResult>,
    pub completeness: Vec<SourceCompleteness>,
    pub retention: Vec<SourceRetention>,
    pub integrity: Vec<SourceIntegrity>,
    /// The journal's review trail, newest first (at most [`review::MAX_ENTRIES`]).
    pub review: Vec<ReviewEntry>,
    /// Review entries in the journal in all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub review_total: u64,
    /// What logs cannot show about this framework.
    pub cannot_show: Vec<String>,
    /// Controls per status, in [`ControlStatus`] order.
    #[cfg_attr(feature = "ts", ts(as = "Vec<(ControlStatus, u32)>"))]
    pub counts: Vec<(ControlStatus, u64)>,
}

/// Every built-in framework, for a picker.
pub fn frameworks() -> Vec<FrameworkInfo> {
    framework::builtin().iter().map(Framework::info).collect()
}

/// `scope`'s query joined with `extra` (both must hold).
fn within(scope: &str, extra: &str) -> String {
    match (scope.trim().is_empty(), extra.trim().is_empty()) {
        (true, _) => extra.to_string(),
        (false, true) => scope.to_string(),
        (false, false) => format!("({scope}) ({extra})"),
    }
}

/// Evaluates `framework` over the events `scope` selects (its query, range and filters; its
/// order and page are ignored).
pub fn evaluate(
    store: &Store,
    framework: &Framework,
    scope: &SearchRequest,
) -> Result<ComplianceReport> {
    let scope = SearchRequest {
        offset: 0,
        limit: 0,
        facet_limit: 0,
        histogram_buckets: 0,
        order: SortOrder::OldestFirst,
        ..scope.clone()
    };
    let events = crate::search::run(store, &scope)?.total;
    let edge = |order| -> Result<Option<String>> {
        let r = crate::search::run(
            store,
            &SearchRequest {
                limit: 1,
                order,
                ..scope.clone()
            },
        )?;
        Ok(r.events.into_iter().next().and_then(|e| e.time))
    };
    let (first, last) = (edge(SortOrder::OldestFirst)?, edge(SortOrder::NewestFirst)?);
    let completeness = coverage::completeness(store, &scope)?;
    let retention = coverage::retention(store, &scope, framework)?;
    let integrity = coverage::integrity(store, &completeness)?;
    let (review, review_total) = review::trail(store)?;
    let rules = rule_refs(store)?;
    let facts = Facts {
        store,
        framework,
        scope: &scope,
        completeness: &completeness,
        retention: &retention,
        integrity: &integrity,
        review_total,
        review: &review,
        rules: &rules,
    };
    let controls = framework
        .controls
        .iter()
        .map(|c| facts.control(c))
        .collect::<Result<Vec<_>>>()?;
    let counts = [
        ControlStatus::Evidenced,
        ControlStatus::Partial,
        ControlStatus::NoEvidence,
        ControlStatus::NotApplicable,
    ]
    .into_iter()
    .map(|s| (s, controls.iter().filter(|c| c.status == s).count() as u64))
    .collect();
    Ok(ComplianceReport {
        framework: framework.info(),
        generated: store.now_text(),
        case_id: store.id().to_string(),
        scope: SearchRequest {
            limit: 0,
            ..scope.clone()
        },
        events,
        first,
        last,
        controls,
        completeness,
        retention,
        integrity,
        review,
        review_total,
        cannot_show: framework.cannot_show.clone(),
        counts,
    })
}

/// What the rules a framework names are: the fired rules of the case, then Sightline's pack.
fn rule_refs(store: &Store) -> Result<BTreeMap<String, RuleRef>> {
    let mut out = BTreeMap::new();
    let (pack, _) = crate::detect::list_rules(&crate::detect::RuleSources::default());
    // The case's own rules that fired, as stored (a user's rule may share no id with the pack).
    let fired = store
        .rule_hits(true, 0)?
        .into_iter()
        .filter_map(|r| serde_json::from_str::<crate::detect::RuleInfo>(&r.info).ok());
    for rule in pack.into_iter().chain(fired) {
        let Some(id) = rule.id.clone() else { continue };
        out.insert(
            id.clone(),
            RuleRef {
                id,
                title: Some(rule.title),
                author: rule.author,
                path: Some(rule.path),
            },
        );
    }
    Ok(out)
}

/// What every control is evaluated against, gathered once.
struct Facts<'a> {
    store: &'a Store,
    framework: &'a Framework,
    scope: &'a SearchRequest,
    completeness: &'a [SourceCompleteness],
    retention: &'a [SourceRetention],
    integrity: &'a [SourceIntegrity],
    review: &'a [ReviewEntry],
    review_total: u64,
    rules: &'a BTreeMap<String, RuleRef>,
}

impl Facts<'_> {
    fn search(
        &self,
        query: &str,
        limit: usize,
        facets: bool,
    ) -> Result<crate::search::SearchResult> {
        crate::search::run(
            self.store,
            &SearchRequest {
                query: within(&self.scope.query, query),
                limit,
                facet_limit: if facets { 1000 } else { 0 },
                ..self.scope.clone()
            },
        )
        .map_err(|e| match e {
            Error::Query { position, message } => Error::Invalid(format!(
                "{}: query {query:?} at {position}: {message}",
                self.framework.file
            )),
            other => other,
        })
    }

    fn control(&self, c: &framework::Control) -> Result<ControlResult> {
        let mut result = ControlResult {
            id: c.id.clone(),
            title: c.title.clone(),
            requires: c.requires.clone(),
            status: ControlStatus::NotApplicable,
            count: 0,
            sources: Vec::new(),
            query: None,
            samples: Vec::new(),
            checks: Vec::new(),
            cannot_show: c.cannot_show.clone(),
        };
        if let Some(applies) = &c.applies_to {
            if self.search(applies, 0, false)?.total == 0 {
                result.checks.push(CheckResult {
                    kind: CheckKind::Evidence,
                    name: "applies to".into(),
                    status: ControlStatus::NotApplicable,
                    count: Some(0),
                    query: Some(applies.clone()),
                    detail: "these logs hold no events of the kind this control is about".into(),
                    rule: None,
                });
                return Ok(result);
            }
        }
        for e in &c.evidence {
            result.checks.push(self.evidence(e)?);
        }
        if !c.evidence.is_empty() {
            let union = c
                .evidence
                .iter()
                .map(|e| format!("({})", e.query_text()))
                .collect::<Vec<_>>()
                .join(" OR ");
            let found = self.search(&union, SAMPLES, true)?;
            result.count = found.total;
            result.sources = facet(&found, "format");
            result.samples = found.events;
            result.query = Some(union);
        }
        if !c.fields.is_empty() {
            result.checks.push(self.fields(&c.fields)?);
        }
        if c.retention {
            result
                .checks
                .push(coverage::retention_check(self.retention, self.framework));
        }
        if c.integrity {
            result
                .checks
                .push(coverage::integrity_check(self.integrity));
        }
        if c.review {
            result
                .checks
                .push(review::check(self.review, self.review_total));
        }
        let parts: Vec<ControlStatus> = result.checks.iter().map(|k| k.status).collect();
        result.status = ControlStatus::combine(&parts);
        Ok(result)
    }

    fn evidence(&self, e: &framework::Evidence) -> Result<CheckResult> {
        let query = e.query_text();
        let total = self.search(&query, 0, false)?.total;
        let rule = e.rule.as_ref().map(|id| {
            self.rules.get(id).cloned().unwrap_or(RuleRef {
                id: id.clone(),
                title: None,
                author: None,
                path: None,
            })
        });
        let detail = match (total, &rule) {
            (0, Some(r)) if r.title.is_none() => {
                "the rule is not in Sightline's pack and has no hits in this case".to_string()
            }
            (0, Some(_)) => "the rule matched no event here (or did not run on this case)".into(),
            (0, None) => "no event here".to_string(),
            (1, _) => "1 event".to_string(),
            (n, _) => format!("{n} events"),
        };
        Ok(CheckResult {
            kind: CheckKind::Evidence,
            name: e.name.clone(),
            status: if total > 0 {
                ControlStatus::Evidenced
            } else {
                ControlStatus::NoEvidence
            },
            count: Some(total),
            query: Some(query),
            detail,
            rule,
        })
    }

    /// Events carrying every field; evidenced when each field is on at least `min_share` of
    /// the events of every source.
    fn fields(&self, fields: &[String]) -> Result<CheckResult> {
        let query = fields
            .iter()
            .filter_map(|f| framework::field_query(f))
            .collect::<Vec<_>>()
            .join(" ");
        let total = self.search(&query, 0, false)?.total;
        let min = self.framework.min_share;
        let mut short = Vec::new();
        for s in self.completeness.iter().filter(|s| s.events > 0) {
            for f in fields {
                let share = s.fields.get(f).copied().unwrap_or(0.0);
                if share < min {
                    short.push(format!("{} {f} {:.0}%", s.source, share * 100.0));
                }
            }
        }
        let sources = self.completeness.iter().filter(|s| s.events > 0).count();
        let status = if sources == 0 || total == 0 {
            ControlStatus::NoEvidence
        } else if short.is_empty() {
            ControlStatus::Evidenced
        } else {
            ControlStatus::Partial
        };
        let detail = if short.is_empty() {
            format!(
                "{total} events carry every field; each field is on at least {:.0}% of every source's events",
                min * 100.0
            )
        } else {
            let more = match short.len() {
                n if n > 8 => format!(" and {} more (see field completeness)", n - 8),
                _ => String::new(),
            };
            short.truncate(8);
            format!(
                "{total} events carry every field; below {:.0}%: {}{more}",
                min * 100.0,
                short.join(", ")
            )
        };
        Ok(CheckResult {
            kind: CheckKind::Fields,
            name: format!("fields: {}", fields.join(", ")),
            status,
            count: Some(total),
            query: Some(query),
            detail,
            rule: None,
        })
    }
}

fn facet(result: &crate::search::SearchResult, name: &str) -> Vec<SourceCount> {
    result
        .facets
        .iter()
        .find(|f| f.field == name)
        .map(|f| {
            f.values
                .iter()
                .filter(|v| v.count > 0)
                .map(|v| SourceCount {
                    source: v.value.clone(),
                    events: v.count,
                })
                .collect()
        })
        .unwrap_or_default()
}

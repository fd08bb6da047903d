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
use crate::error::Result;
use crate::model::{SearchRequest, SortOrder};
use crate::search::EventRow;

mod controls;
mod coverage;
pub mod framework;
pub mod html;
mod review;

pub use coverage::{Silence, SourceCompleteness, SourceIntegrity, SourceRetention};
pub use framework::{Framework, FrameworkInfo};
pub use review::ReviewEntry;

/// Sample events listed per control.
pub(crate) const SAMPLES: usize = 5;

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
    let facts = controls::Facts {
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

/// What the rules a framework names are: Sightline's pack, then the case's own rules.
fn rule_refs(store: &Store) -> Result<BTreeMap<String, RuleRef>> {
    let mut out = BTreeMap::new();
    let (pack, _) = crate::detect::list_rules(&crate::detect::RuleSources::default());
    // The case's own rules, as stored (a user's rule may share no id with the pack).
    let kept = store
        .rule_infos()?
        .into_iter()
        .filter_map(|info| serde_json::from_str::<crate::detect::RuleInfo>(&info).ok());
    for rule in pack.into_iter().chain(kept) {
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

//! Per source (format): which fields its events carry, what period it covers and where it fell
//! silent, and what the last verify said of its files.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::framework::{Framework, FIELDS};
use super::{within, CheckKind, CheckResult, ControlStatus};
use crate::case::Store;
use crate::error::Result;
use crate::integrity::Verdict;
use crate::model::SearchRequest;

const DAY: i64 = 86_400_000_000_000;
/// Silences listed per source, the longest; all are counted.
const MAX_SILENCES: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SourceCompleteness {
    pub source: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    /// Field → share of the source's events that carry it (0 to 1).
    pub fields: BTreeMap<String, f64>,
}

/// A stretch longer than a day without an event of a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Silence {
    /// The last event before it and the first after it (or the period's end), RFC 3339.
    pub from: String,
    pub to: String,
    pub days: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SourceRetention {
    pub source: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Days from its first event to its last.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days: u64,
    /// Distinct UTC days with at least one event.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub active_days: u64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub required_days: Option<u64>,
    /// Whether it has events in the newest `immediate_days` of the selection's period.
    pub recent: Option<bool>,
    /// Silences longer than a day, oldest first (the longest [`MAX_SILENCES`]); one that runs to
    /// the end of the selection's period is the last.
    pub silences: Vec<Silence>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub silences_total: u64,
    /// Events without a time, outside every period.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub untimed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SourceIntegrity {
    pub source: String,
    /// The worst verdict of its files, or `None`: never verified.
    pub verdict: Option<Verdict>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files: u64,
    /// Files per verdict of the last verify.
    #[cfg_attr(feature = "ts", ts(as = "Vec<(Verdict, u32)>"))]
    pub verdicts: Vec<(Verdict, u64)>,
    /// Files imported since the last verify (or all, if there was none).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub not_verified: u64,
    pub verified_at: Option<String>,
}

/// One search per field, counted by format.
pub fn completeness(store: &Store, scope: &SearchRequest) -> Result<Vec<SourceCompleteness>> {
    let by_format = |query: &str| {
        crate::search::spans::events_by_format(
            store,
            &SearchRequest {
                query: within(&scope.query, query),
                ..scope.clone()
            },
        )
    };
    let all = by_format("")?;
    let mut out: Vec<SourceCompleteness> = all
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(source, n)| SourceCompleteness {
            source: source.clone(),
            events: *n,
            fields: BTreeMap::new(),
        })
        .collect();
    for (field, query) in FIELDS {
        let with = by_format(query)?;
        for s in &mut out {
            let n = with.get(&s.source).copied().unwrap_or(0);
            s.fields
                .insert(field.to_string(), n as f64 / s.events as f64);
        }
    }
    out.sort_by(|a, b| b.events.cmp(&a.events).then(a.source.cmp(&b.source)));
    Ok(out)
}

/// The period each source covers within the selection, against the framework's.
pub fn retention(
    store: &Store,
    scope: &SearchRequest,
    framework: &Framework,
) -> Result<Vec<SourceRetention>> {
    let hours = crate::search::spans::hours_by_format(store, scope)?;
    // The period ends with the selection's end, or its newest event.
    let newest = hours
        .values()
        .filter_map(|h| h.hours.values().map(|s| s.last).max())
        .max();
    let end = scope.to.map(|t| t - 1).or(newest);
    let rfc = crate::time::format_rfc3339;
    let mut out = Vec::new();
    for (source, h) in hours {
        let events = h.hours.values().map(|s| s.events).sum::<u64>() + h.untimed;
        let first = h.hours.values().map(|s| s.first).min();
        let last = h.hours.values().map(|s| s.last).max();
        let days = match (first, last) {
            (Some(a), Some(b)) => ((b - a) as f64 / DAY as f64).ceil().max(1.0) as u64,
            _ => 0,
        };
        let active_days = h
            .hours
            .keys()
            .map(|t| t.div_euclid(DAY))
            .collect::<BTreeSet<_>>()
            .len() as u64;
        let mut gaps = Vec::new();
        let mut prev: Option<i64> = None;
        for span in h.hours.values() {
            if let Some(p) = prev {
                if span.first - p > DAY {
                    gaps.push((p, span.first));
                }
            }
            prev = Some(span.last);
        }
        if let (Some(p), Some(e)) = (last, end) {
            if e - p > DAY {
                gaps.push((p, e));
            }
        }
        let silences_total = gaps.len() as u64;
        // The longest, shown in time order.
        gaps.sort_by_key(|(a, b)| std::cmp::Reverse(b - a));
        gaps.truncate(MAX_SILENCES);
        gaps.sort();
        let silences = gaps
            .into_iter()
            .map(|(a, b)| Silence {
                from: rfc(a),
                to: rfc(b),
                days: ((b - a) as f64 / DAY as f64 * 10.0).round() / 10.0,
            })
            .collect();
        let recent = match (framework.immediate_days, last, end) {
            (Some(d), Some(l), Some(e)) => Some(e - l <= i64::from(d) * DAY),
            _ => None,
        };
        out.push(SourceRetention {
            source: if source.is_empty() {
                "(no format)".into()
            } else {
                source
            },
            events,
            first: first.map(rfc),
            last: last.map(rfc),
            days,
            active_days,
            required_days: framework.retention_days.map(u64::from),
            recent,
            silences,
            silences_total,
            untimed: h.untimed,
        });
    }
    out.sort_by(|a, b| b.events.cmp(&a.events).then(a.source.cmp(&b.source)));
    Ok(out)
}

pub fn retention_check(sources: &[SourceRetention], framework: &Framework) -> CheckResult {
    let required = framework.retention_days.map_or(0, u64::from);
    let timed: Vec<&SourceRetention> = sources.iter().filter(|s| s.days > 0).collect();
    let mut notes = Vec::new();
    let mut met = 0;
    for s in &timed {
        let mut gaps = Vec::new();
        if s.days < required {
            gaps.push(format!("{} of {required} days", s.days));
        }
        if s.silences_total > 0 {
            let noun = if s.silences_total == 1 {
                "silence"
            } else {
                "silences"
            };
            gaps.push(format!("{} {noun} over a day", s.silences_total));
        }
        if s.recent == Some(false) {
            gaps.push("nothing in the newest days required at hand".to_string());
        }
        if gaps.is_empty() {
            met += 1;
        } else {
            notes.push(format!("{}: {}", s.source, gaps.join(", ")));
        }
    }
    let status = if timed.is_empty() {
        ControlStatus::NoEvidence
    } else if notes.is_empty() {
        ControlStatus::Evidenced
    } else {
        ControlStatus::Partial
    };
    let detail = if timed.is_empty() {
        "no dated events".to_string()
    } else if notes.is_empty() {
        format!("every source ({met}) covers at least {required} days without a silence over a day")
    } else {
        format!(
            "{met} of {} sources cover {required} days; {}",
            timed.len(),
            shortened(&notes)
        )
    };
    CheckResult {
        kind: CheckKind::Retention,
        name: format!("retention: {required} days"),
        status,
        count: None,
        query: None,
        detail,
        rule: None,
    }
}

/// The last verify's verdicts, per source of the selection.
pub fn integrity(store: &Store, sources: &[SourceCompleteness]) -> Result<Vec<SourceIntegrity>> {
    let last = crate::integrity::last_report(store)?;
    let manifest = store.manifest()?;
    let mut out = Vec::new();
    for s in sources {
        let files: Vec<&crate::case::ManifestFile> = manifest
            .iter()
            .filter(|f| f.status == "imported" && f.format.as_deref() == Some(s.source.as_str()))
            .collect();
        let mut by: BTreeMap<u8, (Verdict, u64)> = BTreeMap::new();
        let mut not_verified = 0;
        for f in &files {
            let verdict = last
                .as_ref()
                .and_then(|r| r.sources.iter().find(|v| v.file == f.path))
                .map(|v| v.verdict);
            match verdict {
                Some(v) => by.entry(rank(v)).or_insert((v, 0)).1 += 1,
                None => not_verified += 1,
            }
        }
        out.push(SourceIntegrity {
            source: s.source.clone(),
            verdict: by.values().next().map(|(v, _)| *v),
            files: files.len() as u64,
            verdicts: by.into_values().collect(),
            not_verified,
            verified_at: last.as_ref().map(|r| r.checked_at.clone()),
        });
    }
    Ok(out)
}

/// Worst first.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Tampered => 0,
        Verdict::Cleared => 1,
        Verdict::Gaps => 2,
        Verdict::NotCheckable => 3,
        Verdict::Verified => 4,
    }
}

pub fn integrity_check(sources: &[SourceIntegrity]) -> CheckResult {
    let files: u64 = sources.iter().map(|s| s.files).sum();
    let unverified: u64 = sources.iter().map(|s| s.not_verified).sum();
    let mut bad = Vec::new();
    for s in sources {
        for (v, n) in &s.verdicts {
            if matches!(v, Verdict::Tampered | Verdict::Cleared | Verdict::Gaps) {
                bad.push(format!("{}: {n} {}", s.source, verdict_text(*v)));
            }
        }
    }
    let (status, detail) = if files == 0 || unverified == files {
        (
            ControlStatus::NoEvidence,
            "not verified: run verify to check the files against their import".to_string(),
        )
    } else if bad.is_empty() && unverified == 0 {
        (
            ControlStatus::Evidenced,
            format!("{files} files unchanged since import at the last verify"),
        )
    } else {
        let mut parts = bad;
        if unverified > 0 {
            parts.push(format!("{unverified} files imported since the last verify"));
        }
        (ControlStatus::Partial, parts.join("; "))
    };
    CheckResult {
        kind: CheckKind::Integrity,
        name: "integrity (last verify)".into(),
        status,
        count: None,
        query: None,
        detail,
        rule: None,
    }
}

pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Tampered => "tampered",
        Verdict::Cleared => "cleared or disabled",
        Verdict::Gaps => "with gaps",
        Verdict::NotCheckable => "unchanged, completeness not provable",
        Verdict::Verified => "verified",
    }
}

/// The first few notes and how many more: a case of twenty sources stays readable.
pub(super) fn shortened(notes: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut text = notes
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if notes.len() > SHOWN {
        text.push_str(&format!(
            "; and {} more (see the retention table)",
            notes.len() - SHOWN
        ));
    }
    text
}

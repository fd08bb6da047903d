//! Review evidence from the case journal: who searched, verified, ran detections, marked events
//! and wrote reports, and when. The journal is hash-chained, so the trail is as trustworthy as
//! the chain (verify checks it); it shows review done in Sightline on this case only.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{CheckKind, CheckResult, ControlStatus};
use crate::case::journal::JournalAction;
use crate::case::Store;
use crate::error::Result;

/// Journal actions that are someone looking at the evidence (names as the journal keeps them).
const REVIEW: [JournalAction; 11] = [
    JournalAction::Search,
    JournalAction::Verify,
    JournalAction::Detect,
    JournalAction::Report,
    JournalAction::Export,
    JournalAction::Compliance,
    JournalAction::Tag,
    JournalAction::Star,
    JournalAction::Note,
    JournalAction::SaveSearch,
    JournalAction::Alias,
];

/// Entries a report lists, newest first; all are counted.
pub const MAX_ENTRIES: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReviewEntry {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    pub at: String,
    pub action: String,
    /// Who, when the shell said (the operating system user).
    pub by: Option<String>,
    /// What was looked at: the query, the file written, the event marked.
    pub what: String,
}

/// The review entries, newest first (at most [`MAX_ENTRIES`]), and how many there are.
pub fn trail(store: &Store) -> Result<(Vec<ReviewEntry>, u64)> {
    let journal = store.journal()?;
    let mut all: Vec<ReviewEntry> = journal
        .entries
        .into_iter()
        .filter(|e| REVIEW.iter().any(|a| a.as_str() == e.action))
        .map(|e| {
            let detail: serde_json::Value =
                serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null);
            ReviewEntry {
                seq: e.seq,
                at: e.at,
                by: detail["by"].as_str().map(str::to_string),
                what: what(&e.action, &detail),
                action: e.action,
            }
        })
        .collect();
    let total = all.len() as u64;
    all.reverse();
    all.truncate(MAX_ENTRIES);
    Ok((all, total))
}

fn what(action: &str, d: &serde_json::Value) -> String {
    let text = |k: &str| d[k].as_str().map(str::to_string);
    let n = |k: &str| d[k].as_u64().unwrap_or(0);
    match action {
        "search" => format!(
            "{} ({} events)",
            text("query")
                .filter(|q| !q.is_empty())
                .unwrap_or_else(|| "all events".into()),
            n("total")
        ),
        "verify" => format!(
            "{} files checked, {} findings",
            n("files_checked"),
            n("findings")
        ),
        "detect" => format!("{} rules over {} events", n("rules_loaded"), n("events")),
        "report" | "export" => text("file").unwrap_or_default(),
        "compliance" => format!(
            "{} {}",
            text("framework").unwrap_or_default(),
            text("file").unwrap_or_default()
        )
        .trim()
        .to_string(),
        "tag" | "star" | "note" => format!(
            "event {}{}",
            text("event").unwrap_or_default(),
            text("tag").map(|t| format!(" #{t}")).unwrap_or_default()
        ),
        "save_search" => text("name").unwrap_or_default(),
        "alias" => format!(
            "{} = {}",
            text("actor").unwrap_or_default(),
            text("alias").unwrap_or_default()
        ),
        _ => String::new(),
    }
}

pub fn check(entries: &[ReviewEntry], total: u64) -> CheckResult {
    let (status, detail) = if total == 0 {
        (
            ControlStatus::NoEvidence,
            "the case journal shows no review in Sightline".to_string(),
        )
    } else {
        let days: BTreeSet<&str> = entries.iter().filter_map(|e| e.at.get(..10)).collect();
        let mut by: BTreeMap<&str, u64> = BTreeMap::new();
        for e in entries {
            *by.entry(e.by.as_deref().unwrap_or("unnamed")).or_default() += 1;
        }
        let who: Vec<String> = by.iter().map(|(k, v)| format!("{k} ({v})")).collect();
        let span = match (entries.last(), entries.first()) {
            (Some(a), Some(b)) => format!("{} to {}", a.at, b.at),
            _ => String::new(),
        };
        (
            ControlStatus::Evidenced,
            format!(
                "{total} review actions in the journal; the newest {} on {} days, {span}; by {}",
                entries.len(),
                days.len(),
                who.join(", ")
            ),
        )
    };
    CheckResult {
        kind: CheckKind::Review,
        name: "review trail (case journal)".into(),
        status,
        count: Some(total),
        query: None,
        detail,
        rule: None,
    }
}

//! Integrity checks: is the evidence whole and unaltered? Each finding is data (kind, severity,
//! file, detail) so the CLI, the window and exports can show and count them.
//!
//! Checks so far: every imported file is re-hashed where it was imported from (`file_modified`,
//! `file_missing`), and the case journal's hash chain is verified (`journal_broken`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};

use serde::{Deserialize, Serialize};

use crate::bundle::{Entry, Walk};
use crate::case::Case;
use crate::error::Result;
use crate::import::ImportOptions;

pub(crate) mod evtx_crc;
pub mod silence;
mod tamper;
pub(crate) mod watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Finding {
    pub kind: String,
    pub severity: Severity,
    /// The file as imported (as in the import report), when the finding is about one.
    pub file: Option<String>,
    pub detail: String,
    /// Events the finding is about (the two around a gap, or the event itself), by event id.
    #[serde(default)]
    pub events: Vec<String>,
    /// The time range it covers, UTC nanoseconds: a gap's edges, or the event's time.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub from: Option<i64>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub to: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IntegrityReport {
    pub findings: Vec<Finding>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_checked: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub journal_entries: u64,
}

/// The file a manifest path was read from: the part before the first archive member.
fn source_of(path: &str) -> &str {
    path.split("!/").next().unwrap_or(path)
}

impl Case {
    /// Runs the integrity checks and, on a writable case, records the run in the journal.
    /// Paths are re-read as they were imported; relative paths resolve from the current folder.
    pub fn verify(&self) -> Result<IntegrityReport> {
        let mut findings = Vec::new();
        let files: Vec<_> = self
            .manifest()?
            .into_iter()
            .filter(|f| f.status == "imported")
            .collect();
        let mut by_source: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for f in &files {
            let Some(sha) = &f.sha256 else { continue };
            by_source
                .entry(source_of(&f.path).to_string())
                .or_default()
                .push((f.path.clone(), sha.clone()));
        }
        let limits = ImportOptions::default().limits;
        let cancel = AtomicBool::new(false);
        for (source, expected) in &by_source {
            let path = PathBuf::from(source);
            if !path.is_file() {
                for (file, _) in expected {
                    findings.push(Finding {
                        kind: "file_missing".to_string(),
                        severity: Severity::Critical,
                        file: Some(file.clone()),
                        detail: format!("{source} is no longer where it was imported from"),
                        ..Finding::default()
                    });
                }
                continue;
            }
            // Re-walk the source exactly as the import did, so archive members are re-hashed too.
            let mut found: BTreeMap<String, String> = BTreeMap::new();
            let tmp = self.tmp_dir();
            let walk = Walk {
                limits: &limits,
                tmp_dir: &tmp,
                cancel: &cancel,
                temp_counter: AtomicU64::new(0),
            };
            walk.run(std::slice::from_ref(&path), &mut |entry| {
                if let Entry::Leaf(leaf) = entry {
                    found.insert(leaf.path, leaf.sha256);
                }
                Ok(())
            })?;
            for (file, sha) in expected {
                match found.get(file) {
                    None => findings.push(Finding {
                        kind: "file_missing".to_string(),
                        severity: Severity::Critical,
                        file: Some(file.clone()),
                        detail: format!("{source} no longer holds this member"),
                        ..Finding::default()
                    }),
                    Some(now) if now != sha => findings.push(Finding {
                        kind: "file_modified".to_string(),
                        severity: Severity::Critical,
                        file: Some(file.clone()),
                        detail: format!("SHA-256 was {sha} at import, is {now} now"),
                        ..Finding::default()
                    }),
                    Some(_) => {}
                }
            }
        }
        findings.extend(crate::case::db::findings(&self.db())?);
        self.reader.reload()?;
        findings.extend(silence::time_gaps(&self.reader.searcher())?);
        let journal = self.journal()?;
        if let Some(seq) = journal.first_bad {
            findings.push(Finding {
                kind: "journal_broken".to_string(),
                severity: Severity::Critical,
                file: None,
                detail: format!(
                    "journal entry {seq}: {}",
                    journal.reason.clone().unwrap_or_default()
                ),
                ..Finding::default()
            });
        }
        let report = IntegrityReport {
            findings,
            files_checked: files.len() as u64,
            journal_entries: journal.entries.len() as u64,
        };
        if self.is_writable() {
            self.journal_append(
                "verify",
                &serde_json::json!({ "files_checked": report.files_checked, "findings": report.findings.len() }),
            )?;
        }
        Ok(report)
    }
}

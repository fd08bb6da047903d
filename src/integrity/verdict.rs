//! One verdict per imported file, from the findings about it: what a reviewer reads first.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{DigestCover, Finding, FindingKind, Severity};
use crate::case::db::ManifestFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Verdict {
    /// Unchanged since import, and complete as far as its own numbering or a digest proves.
    Verified,
    /// Unchanged, but records are missing or out of order.
    Gaps,
    /// Unchanged, but the log was cleared or its auditing stopped or disabled in it: every gap
    /// after that is explained, and worse than any gap.
    Cleared,
    /// Changed, missing, failing its checksums or its digest, or contradicted by another copy.
    Tampered,
    /// Unchanged since import; the format carries nothing that proves it complete.
    NotCheckable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SourceVerdict {
    pub file: String,
    pub format: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    pub verdict: Verdict,
    /// Findings about this file, by severity: critical, warning, info.
    #[cfg_attr(feature = "ts", ts(type = "[number, number, number]"))]
    pub counts: [u64; 3],
}

const TAMPERED: [FindingKind; 9] = [
    FindingKind::FileModified,
    FindingKind::FileRewritten,
    FindingKind::FileMissing,
    FindingKind::ChecksumError,
    FindingKind::DigestMismatch,
    FindingKind::DigestSignatureInvalid,
    FindingKind::DigestChainBreak,
    FindingKind::DigestUnreadable,
    FindingKind::DuplicateConflict,
];

/// Formats whose records number themselves, so a clean file is proven complete.
const NUMBERED: [&str; 3] = ["evtx", "windows_json", "auditd"];

pub(crate) fn verdicts(
    files: &[ManifestFile],
    findings: &[Finding],
    covered: &[DigestCover],
) -> Vec<SourceVerdict> {
    let covered: BTreeSet<&str> = covered.iter().map(|c| c.file.as_str()).collect();
    // A followed file is imported range by range: one verdict for it, its events summed.
    let mut first_row: std::collections::HashMap<&str, usize> = Default::default();
    let mut unique: Vec<ManifestFile> = Vec::new();
    for f in files.iter().filter(|f| f.status == "imported") {
        match first_row.get(f.path.as_str()) {
            Some(&i) => unique[i].events += f.events,
            None => {
                first_row.insert(&f.path, unique.len());
                unique.push(f.clone());
            }
        }
    }
    unique
        .iter()
        .map(|f| {
            let about: Vec<&Finding> = findings
                .iter()
                .filter(|x| x.file.as_deref() == Some(f.path.as_str()))
                .collect();
            let count = |s: Severity| about.iter().filter(|x| x.severity == s).count() as u64;
            let counts = [
                count(Severity::Critical),
                count(Severity::Warning),
                count(Severity::Info),
            ];
            let cleared = |x: &&Finding| {
                matches!(x.kind, FindingKind::LogCleared | FindingKind::AuditDisabled)
                    && x.severity > Severity::Info
            };
            let verdict = if about.iter().any(|x| TAMPERED.contains(&x.kind)) {
                Verdict::Tampered
            } else if about.iter().any(cleared) {
                Verdict::Cleared
            } else if about.iter().any(|x| x.severity > Severity::Info) {
                Verdict::Gaps
            } else if covered.contains(f.path.as_str())
                || f.format.as_deref().is_some_and(|fo| NUMBERED.contains(&fo))
            {
                Verdict::Verified
            } else {
                Verdict::NotCheckable
            };
            SourceVerdict {
                file: f.path.clone(),
                format: f.format.clone(),
                events: f.events,
                verdict,
                counts,
            }
        })
        .collect()
}

//! Findings: what an integrity check (or, later, a detection) says about the evidence. Kinds are
//! a closed list shared with the window through the generated bindings, so neither side compares
//! free strings; docs/integrity.md says what each one means and how it avoids false alarms.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Every kind of finding, by what it is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum FindingKind {
    // The files themselves.
    FileMissing,
    FileModified,
    ChecksumError,
    /// A followed file holds fewer bytes than were imported of it, and no rotated copy holds them.
    FileTruncated,
    /// A followed file's bytes changed where they had been imported.
    FileRewritten,
    /// A log file's compressed stream is cut or damaged (as it was when imported, if its
    /// SHA-256 still matches): what follows the damage was never read.
    LogDamaged,
    // Records missing or out of place within a source.
    RecordIdGap,
    SequenceGap,
    SequenceRestart,
    OutOfOrder,
    TimeGap,
    DuplicateConflict,
    DuplicateCheckIncomplete,
    // Events that clear or weaken auditing.
    LogCleared,
    AuditDisabled,
    AuditPolicyChanged,
    // CloudTrail digests.
    DigestMismatch,
    DigestLogMissing,
    DigestMissing,
    DigestChainBreak,
    DigestUncovered,
    DigestSignatureInvalid,
    DigestUnreadable,
    // The case's own journal.
    JournalBroken,
    /// Only for `Finding::default()`; no check reports it.
    #[default]
    Unspecified,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::FileMissing => "file_missing",
            FindingKind::FileModified => "file_modified",
            FindingKind::ChecksumError => "checksum_error",
            FindingKind::FileTruncated => "file_truncated",
            FindingKind::FileRewritten => "file_rewritten",
            FindingKind::LogDamaged => "log_damaged",
            FindingKind::RecordIdGap => "record_id_gap",
            FindingKind::SequenceGap => "sequence_gap",
            FindingKind::SequenceRestart => "sequence_restart",
            FindingKind::OutOfOrder => "out_of_order",
            FindingKind::TimeGap => "time_gap",
            FindingKind::DuplicateConflict => "duplicate_conflict",
            FindingKind::DuplicateCheckIncomplete => "duplicate_check_incomplete",
            FindingKind::LogCleared => "log_cleared",
            FindingKind::AuditDisabled => "audit_disabled",
            FindingKind::AuditPolicyChanged => "audit_policy_changed",
            FindingKind::DigestMismatch => "digest_mismatch",
            FindingKind::DigestLogMissing => "digest_log_missing",
            FindingKind::DigestMissing => "digest_missing",
            FindingKind::DigestChainBreak => "digest_chain_break",
            FindingKind::DigestUncovered => "digest_uncovered",
            FindingKind::DigestSignatureInvalid => "digest_signature_invalid",
            FindingKind::DigestUnreadable => "digest_unreadable",
            FindingKind::JournalBroken => "journal_broken",
            FindingKind::Unspecified => "unspecified",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// The file as imported (as in the import report), when the finding is about one.
    pub file: Option<String>,
    pub detail: String,
    /// The format a finding is about when it spans files of one format rather than one file
    /// (silence across CloudTrail deliveries).
    #[serde(default)]
    pub source: Option<String>,
    /// Events the finding is about (the two around a gap, or the event itself), by event id.
    #[serde(default)]
    pub events: Vec<String>,
    /// The time range it covers, UTC nanoseconds: a gap's edges, or the event's time.
    #[serde(default, with = "crate::model::nanos::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub from: Option<i64>,
    #[serde(default, with = "crate::model::nanos::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub to: Option<i64>,
}

impl Finding {
    /// A finding about one file.
    pub fn about_file(
        kind: FindingKind,
        severity: Severity,
        file: &str,
        detail: String,
    ) -> Finding {
        Finding {
            kind,
            severity,
            file: Some(file.to_string()),
            detail,
            ..Finding::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_written_as_their_names() {
        for kind in [
            FindingKind::FileMissing,
            FindingKind::DigestSignatureInvalid,
            FindingKind::TimeGap,
        ] {
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }
}

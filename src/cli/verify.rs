//! `sightline verify`'s report for people: a summary line, what could not be checked, then the
//! findings by severity, critical first, and within a severity grouped by file in the order the
//! files were found: eleven critical findings are not lost among a hundred warnings.

use std::fmt::Write as _;

use sightline::api::{FindingKind, IntegrityReport, JournalHead, Severity};

use super::safe::safe;

/// `expected`: the head given with `--expect-head`, confirmed when no finding says otherwise.
pub fn text(report: &IntegrityReport, expected: Option<&JournalHead>) -> String {
    let mut out = String::new();
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "checked {} files and {} journal entries: {} findings ({} critical, {} warning, {} info); \
         {} log files covered by a CloudTrail digest",
        report.files_checked,
        report.journal_entries,
        report.findings.len(),
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info),
        report.digest_covered.len()
    );
    match (&report.journal_head, report.journaled) {
        (Some(head), true) => {
            let _ = writeln!(
                out,
                "journal head {head} (this verify): keep it to prove later that nothing was removed (verify --expect-head {head})"
            );
        }
        (head, false) => {
            let head = head.as_ref().map_or("empty".to_string(), |h| h.to_string());
            let _ = writeln!(
                out,
                "journal head {head}; this verify is not journaled: the case cannot be written"
            );
        }
        (None, true) => {}
    }
    let journal_broken = report
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::JournalBroken);
    if let (Some(expected), false) = (expected, journal_broken) {
        let _ = writeln!(
            out,
            "the journal still holds entry {expected} as expected: nothing up to it was changed or removed"
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "not checked: {}", safe(note));
    }
    for severity in [Severity::Critical, Severity::Warning, Severity::Info] {
        let of: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if of.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({})", severity.as_str().to_uppercase(), of.len());
        let mut files: Vec<Option<&str>> = Vec::new();
        for f in &of {
            if !files.contains(&f.file.as_deref()) {
                files.push(f.file.as_deref());
            }
        }
        for file in files {
            let _ = writeln!(out, "  {}", safe(file.unwrap_or("the case")));
            for f in of.iter().filter(|f| f.file.as_deref() == file) {
                let _ = writeln!(out, "    {:<24} {}", f.kind.as_str(), safe(&f.detail));
            }
        }
    }
    out
}

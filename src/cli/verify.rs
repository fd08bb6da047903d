//! `sightline verify`'s report for people: a summary line, what could not be checked, then the
//! findings grouped by file in the order they were found.

use std::fmt::Write as _;

use sightline::api::{IntegrityReport, Severity};

pub fn text(report: &IntegrityReport) -> String {
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
    for note in &report.notes {
        let _ = writeln!(out, "not checked: {note}");
    }
    let mut files: Vec<Option<&str>> = Vec::new();
    for f in &report.findings {
        if !files.contains(&f.file.as_deref()) {
            files.push(f.file.as_deref());
        }
    }
    for file in files {
        let _ = writeln!(out, "\n{}", file.unwrap_or("the case"));
        for f in report.findings.iter().filter(|f| f.file.as_deref() == file) {
            let _ = writeln!(
                out,
                "  {:<8} {:<16} {}",
                format!("{:?}", f.severity).to_lowercase(),
                f.kind,
                f.detail
            );
        }
    }
    out
}

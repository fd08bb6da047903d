//! `sightline verify`'s report for people: a summary line, what could not be checked, then the
//! findings by severity, critical first, and within a severity grouped by file in the order the
//! files were found: eleven critical findings are not lost among a hundred warnings.

use std::fmt::Write as _;

use sightline::api::{IntegrityReport, Severity};

use super::safe::safe;

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

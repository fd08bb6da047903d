//! The import command's pieces and the text output of `import` and `search`.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sightline::api::ImportReport;
use sightline::api::SearchResult;
use sightline::api::{FileRule, FileStatus, ImportProgress, KindCount};

use super::safe::safe;

/// Splits `--format` and `--zone` values into global choices and per-pattern rules.
pub fn file_rules(
    formats: &[String],
    zones: &[String],
) -> Result<(Option<String>, Option<i32>, Vec<FileRule>)> {
    let mut format = None;
    let mut zone = None;
    let mut rules = Vec::new();
    for spec in formats {
        match spec.rsplit_once('=') {
            Some((pattern, name)) => rules.push(FileRule {
                pattern: pattern.to_string(),
                format: Some(name.to_string()),
                zone_minutes: None,
            }),
            None => format = Some(spec.clone()),
        }
    }
    for spec in zones {
        let (pattern, offset) = match spec.rsplit_once('=') {
            Some((p, o)) => (Some(p), o),
            None => (None, spec.as_str()),
        };
        let minutes = sightline::api::parse_zone(offset)
            .ok()
            .flatten()
            .with_context(|| {
                format!("--zone {spec:?}: expected an offset such as +02:00 or UTC")
            })?;
        match pattern {
            Some(p) => rules.push(FileRule {
                pattern: p.to_string(),
                format: None,
                zone_minutes: Some(minutes),
            }),
            None => zone = Some(minutes),
        }
    }
    Ok((format, zone, rules))
}

pub fn progress_bar(json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub fn update_bar(bar: &ProgressBar, p: &ImportProgress) {
    let secs = (p.elapsed_ms as f64 / 1000.0).max(0.001);
    let searchable = if p.searchable > 0 {
        format!(", {} searchable", p.searchable)
    } else {
        String::new()
    };
    bar.set_message(format!(
        "{}/{} files, {} events{searchable} ({:.0} events/s, {:.1} MB/s)",
        p.files_done,
        if p.walk_done {
            p.files_seen.to_string()
        } else {
            format!("{}+", p.files_seen)
        },
        p.events,
        p.events as f64 / secs,
        p.bytes as f64 / 1e6 / secs,
    ));
}

pub fn print_import(out: &mut String, r: &ImportReport) {
    outln!(
        out,
        "imported {} events from {} files in {:.1} s; {} records skipped, {} flagged",
        r.events,
        r.files_imported,
        r.elapsed_ms as f64 / 1000.0,
        r.skipped,
        r.flagged
    );
    if !r.warnings.is_empty() {
        outln!(out, "warnings: {}", kinds(&r.warnings));
    }
    if r.files_duplicate + r.files_refused + r.files_unrecognized + r.files_failed > 0 {
        outln!(
            out,
            "not imported: {} duplicate, {} refused, {} unrecognized, {} failed",
            r.files_duplicate,
            r.files_refused,
            r.files_unrecognized,
            r.files_failed
        );
    }
    if !r.detections.is_empty() {
        let fired: Vec<String> = r
            .detections
            .iter()
            .take(5)
            .map(|d| format!("{} {} ({})", d.level, super::safe::safe(&d.title), d.count))
            .collect();
        let more = r.detections.len().saturating_sub(5);
        outln!(
            out,
            "detections in the case: {}{} (sightline detect lists them with their events)",
            fired.join(", "),
            if more > 0 {
                format!(", {more} more")
            } else {
                String::new()
            }
        );
    }
    for f in &r.files {
        let format = f.format.as_deref().unwrap_or("-");
        outln!(
            out,
            "  {:<12} {:<18} {:>8} events {:>6} skipped  {}",
            f.status.as_str(),
            format,
            f.events,
            f.skipped,
            safe(&f.path)
        );
        if let Some(note) = &f.note {
            outln!(out, "      {}", safe(note));
        }
        for a in &f.assumptions {
            outln!(out, "      assumed: {}", safe(a));
        }
        if !f.warning_counts.is_empty() {
            outln!(out, "      warnings: {}", kinds(&f.warning_counts));
        }
        if f.status == FileStatus::Imported {
            for e in f.errors.iter().take(5) {
                outln!(
                    out,
                    "      line {}: {}",
                    e.line.map_or("?".to_string(), |l| l.to_string()),
                    safe(&e.reason)
                );
            }
            if f.skipped > 5 {
                outln!(out, "      … and {} more", f.skipped - 5);
            }
        }
    }
}

/// `year_inferred 120, zone_assumed 120`.
fn kinds(counts: &[KindCount]) -> String {
    counts
        .iter()
        .map(|c| format!("{} {}", c.kind.as_str(), c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn print_search(out: &mut String, r: &SearchResult) {
    outln!(out, "{} events", r.total);
    for e in &r.events {
        let actor = e.actor.identity.label().unwrap_or("-");
        let target = e.target.as_ref().and_then(|t| t.label()).unwrap_or("-");
        outln!(
            out,
            "{:<24} {:<8} {:<28} {:<28} {:<24} {:<15} {}",
            e.time.as_deref().unwrap_or("(no time)"),
            e.outcome,
            clip(&safe(actor), 28),
            clip(&safe(&e.action), 28),
            clip(&safe(target), 24),
            safe(e.ip.as_deref().unwrap_or("-")),
            e.id
        );
    }
    for facet in r.facets.iter().filter(|f| !f.values.is_empty()) {
        let top: Vec<String> = facet
            .values
            .iter()
            .take(5)
            .map(|v| format!("{} ({})", safe(&v.value), v.count))
            .collect();
        outln!(out, "{:<9} {}", format!("{}:", facet.field), top.join(", "));
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push('…');
    out
}

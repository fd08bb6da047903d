//! `sightline detect` and `sightline rules`: detections for people (by level, with the rule's
//! author, the events and why they matched) and as JSON for tools.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::json;
use sightline::api::{
    self, Case, DetectReport, Detection, ImportOptions, RuleSources, SearchRequest, SystemClock,
};

use super::args::{
    DetectArgs, RuleSourceArgs, RulesListArgs, RulesProfileArgs, RulesTestArgs, RulesViewsArgs,
};
use super::commands::{emit, print_json};
use super::safe::safe;

pub fn sources(args: &RuleSourceArgs) -> RuleSources {
    RuleSources {
        paths: args.rules.iter().map(|p| api::path_text(p)).collect(),
        builtin: !args.no_builtin,
    }
}

/// The rules given, or the ones the case last ran with when none are.
fn case_sources(case: &Case, args: &RuleSourceArgs) -> Result<RuleSources> {
    if args.rules.is_empty() && !args.no_builtin {
        return Ok(case.rule_sources()?);
    }
    Ok(sources(args))
}

pub fn detect(args: DetectArgs, clock: Arc<SystemClock>) -> Result<()> {
    let case = Case::open_writable_or_read_only(&args.case, clock, false)?;
    case.set_examiner(sightline::api::os_user());
    let sources = case_sources(&case, &args.sources)?;
    let mut report = if args.no_run {
        stored(&case)?
    } else {
        case.detect(&sources, &|_| {}, &AtomicBool::new(false))?
    };
    let query = args.query.join(" ");
    if !query.trim().is_empty() {
        keep_only(&case, &mut report, &query)?;
    }
    if args.json {
        return print_json(&json_report(&report));
    }
    emit(&text(&report))
}

/// The case's detections as the last import or run left them.
fn stored(case: &Case) -> Result<DetectReport> {
    let detections = case.detections()?;
    Ok(match case.last_detect_report()? {
        Some(mut last) => {
            last.detections = detections;
            last
        }
        None => DetectReport {
            rules_loaded: 0,
            rules_failed: Vec::new(),
            detections,
            sources: case.rule_sources()?,
            events_checked: 0,
            elapsed_ms: 0,
            ran_at: String::new(),
        },
    })
}

/// Narrows the detections to the events `query` selects.
fn keep_only(case: &Case, report: &mut DetectReport, query: &str) -> Result<()> {
    let found = case.page(&SearchRequest {
        query: format!("({query}) has:detection"),
        limit: 100_000,
        facet_limit: 0,
        histogram_buckets: 0,
        ..SearchRequest::default()
    })?;
    let ids: std::collections::HashSet<String> = found.events.into_iter().map(|e| e.id).collect();
    for d in &mut report.detections {
        d.events.retain(|e| ids.contains(&e.id));
        d.count = d.events.len() as u64;
    }
    report.detections.retain(|d| d.count > 0);
    Ok(())
}

/// The documented JSON shape (README, "Command line").
fn json_report(report: &DetectReport) -> serde_json::Value {
    let detections: Vec<serde_json::Value> = report
        .detections
        .iter()
        .map(|d| {
            json!({
                "rule": {
                    "id": d.rule.id, "title": d.rule.title, "level": d.rule.level,
                    "author": d.rule.author, "path": d.rule.path, "tags": d.rule.tags,
                    "correlation": d.rule.correlation,
                },
                "count": d.count,
                "first": d.first,
                "last": d.last,
                "events": d.events,
            })
        })
        .collect();
    json!({
        "rules_loaded": report.rules_loaded,
        "rules_failed": report.rules_failed,
        "events_checked": report.events_checked,
        "elapsed_ms": report.elapsed_ms,
        "detections": detections,
    })
}

fn text(report: &DetectReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} rules loaded, {} not loaded; {} events checked in {:.1} s; {} rules fired",
        report.rules_loaded,
        report.rules_failed.len(),
        report.events_checked,
        report.elapsed_ms as f64 / 1000.0,
        report.detections.len()
    );
    for f in &report.rules_failed {
        let _ = writeln!(out, "not loaded: {}: {}", safe(&f.path), safe(&f.reason));
    }
    for d in &report.detections {
        detection(&mut out, d);
    }
    out
}

fn detection(out: &mut String, d: &Detection) {
    let _ = writeln!(
        out,
        "\n{:<8} {}  ({} events{})\n         rule by {} · {}",
        d.rule.level.to_uppercase(),
        safe(&d.rule.title),
        d.count,
        match (&d.first, &d.last) {
            (Some(a), Some(b)) if a != b => format!(", {a} → {b}"),
            (Some(a), _) => format!(", {a}"),
            _ => String::new(),
        },
        safe(d.rule.author.as_deref().unwrap_or("an unknown author")),
        safe(&d.rule.path),
    );
    for e in d.events.iter().take(5) {
        let why: Vec<String> = e
            .matched
            .iter()
            .take(3)
            .map(|m| format!("{}={}", m.field, m.value))
            .collect();
        let _ = writeln!(
            out,
            "         {} {:<10} {}  {}",
            e.time.as_deref().unwrap_or("(no time)"),
            e.id,
            safe(&e.file),
            safe(&why.join(", "))
        );
    }
    if d.events.len() > 5 {
        let _ = writeln!(out, "         … {} more", d.count - 5);
    }
}

pub fn list(args: RulesListArgs) -> Result<()> {
    let (rules, failures) = api::list_rules(&sources(&args.sources));
    if args.json {
        return print_json(&json!({ "rules": rules, "rules_failed": failures }));
    }
    let mut out = String::new();
    for r in &rules {
        let _ = writeln!(
            out,
            "{:<13} {:<8} {}  (by {}; {})",
            if r.correlation { "correlation" } else { "rule" },
            r.level,
            safe(&r.title),
            safe(r.author.as_deref().unwrap_or("unknown")),
            safe(&r.path)
        );
    }
    for f in &failures {
        let _ = writeln!(out, "not loaded: {}: {}", safe(&f.path), safe(&f.reason));
    }
    let _ = writeln!(out, "{} rules, {} not loaded", rules.len(), failures.len());
    emit(&out)
}

pub fn profile(args: RulesProfileArgs, clock: Arc<SystemClock>) -> Result<()> {
    let case = Case::open_writable_or_read_only(&args.case, clock, false)?;
    let sources = case_sources(&case, &args.sources)?;
    let mut profile = case.profile_rules(&sources, args.sample, &AtomicBool::new(false))?;
    if args.top > 0 {
        profile.rules.truncate(args.top);
    }
    if args.json {
        return print_json(&json!(profile));
    }
    let mut out = format!(
        "each rule alone over {} events, slowest first:\n",
        profile.events
    );
    for c in &profile.rules {
        let _ = writeln!(
            out,
            "{:>10.0} ns/event  {}  (by {}; {})",
            c.nanos_per_event,
            safe(&c.rule.title),
            safe(c.rule.author.as_deref().unwrap_or("unknown")),
            safe(&c.rule.path)
        );
    }
    emit(&out)
}

pub fn views(args: RulesViewsArgs, clock: Arc<SystemClock>) -> Result<()> {
    let case = Case::open_writable_or_read_only(&args.case, clock, false)?;
    let request = SearchRequest {
        query: args.query.join(" "),
        ..SearchRequest::default()
    };
    let mut out = String::new();
    for view in case.sigma_views(&request, args.limit, args.normalized)? {
        out.push_str(&serde_json::to_string(&view)?);
        out.push('\n');
    }
    emit(&out)
}

/// Imports `file` into a throwaway case and runs the rule alone over it.
pub fn test(args: RulesTestArgs, clock: Arc<SystemClock>) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("sightline-rule-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let result = run_test(&dir, &args.rule, &args.file, clock);
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    if args.json {
        return print_json(&json_report(&report));
    }
    emit(&text(&report))
}

fn run_test(dir: &Path, rule: &Path, file: &Path, clock: Arc<SystemClock>) -> Result<DetectReport> {
    let case = Case::open_or_create(dir, clock).context("a case for the test")?;
    let options = ImportOptions {
        detect: false,
        ..ImportOptions::default()
    };
    case.import(
        &[file.to_path_buf()],
        &options,
        &|_| {},
        &AtomicBool::new(false),
    )?;
    let sources = RuleSources {
        paths: vec![api::path_text(rule)],
        builtin: false,
    };
    Ok(case.detect(&sources, &|_| {}, &AtomicBool::new(false))?)
}

//! What detections cost at scale: the same bundle imported without rules and with them (events/s
//! and peak memory compared in one process), a full re-run over the case, and the slowest rules.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use sightline::api::{self, Case, ImportOptions, RuleSources, SystemClock};

/// Import throughput and peak memory of one import.
pub struct ImportCost {
    pub events_per_sec: f64,
    pub peak_mb: f64,
    pub stages: Option<sightline::api::StageCpu>,
}

/// The rules `make bench` runs: Sightline's pack, plus each folder given (SigmaHQ's cloud,
/// Linux and Windows rules when `../shared/sigma` is there).
pub fn sources(rules: &[PathBuf]) -> RuleSources {
    RuleSources {
        paths: rules.iter().map(|p| api::path_text(p)).collect(),
        builtin: true,
    }
}

/// Imports `data` with no rule at all into a throwaway case, then resets the peak-memory mark so
/// the import with rules is measured from the same start.
pub fn without_rules(data: &Path, case_dir: &Path, options: &ImportOptions) -> Result<ImportCost> {
    let dir = case_dir.with_extension("no-rules");
    let _ = std::fs::remove_dir_all(&dir);
    let cost = {
        let case = Case::open_or_create(&dir, Arc::new(SystemClock))?;
        let options = ImportOptions {
            detect: false,
            ..options.clone()
        };
        let started = Instant::now();
        let report = case.import(
            &[data.to_path_buf()],
            &options,
            &|_| {},
            &AtomicBool::new(false),
        )?;
        ImportCost {
            events_per_sec: report.events as f64 / started.elapsed().as_secs_f64(),
            peak_mb: super::peak_rss_kb()? as f64 / 1024.0,
            stages: report.stages,
        }
    };
    std::fs::remove_dir_all(&dir)?;
    println!(
        "import without rules: {:.0} events/s, peak RSS {:.0} MB",
        cost.events_per_sec, cost.peak_mb
    );
    if let Some(stages) = &cost.stages {
        super::print_stages(stages);
    }
    reset_peak_rss()?;
    Ok(cost)
}

/// Makes `sources` the case's rules before anything is imported (a run over no events), so the
/// import evaluates them; prints what loaded.
pub fn choose(case: &Case, sources: &RuleSources) -> Result<()> {
    let started = Instant::now();
    let report = case.detect(sources, &|_| {}, &AtomicBool::new(false))?;
    println!(
        "rules: {} loaded ({} not loaded) in {:.1} s: Sightline's pack{}",
        report.rules_loaded,
        report.rules_failed.len(),
        started.elapsed().as_secs_f64(),
        sources
            .paths
            .iter()
            .map(|p| format!(", {p}"))
            .collect::<String>()
    );
    Ok(())
}

/// Compares the import with rules to the one without.
pub fn compare(without: &ImportCost, with: &ImportCost) {
    println!(
        "import with rules vs without: {:+.1}% events/s ({:.0} vs {:.0}), peak RSS {:+.0} MB",
        (with.events_per_sec / without.events_per_sec - 1.0) * 100.0,
        with.events_per_sec,
        without.events_per_sec,
        with.peak_mb - without.peak_mb
    );
}

/// A full run over the case, as after the rules change, then the slowest rules.
pub fn rerun_and_profile(case: &Case, sources: &RuleSources) -> Result<()> {
    let started = Instant::now();
    let report = case.detect(sources, &|_| {}, &AtomicBool::new(false))?;
    println!(
        "detect over the case: {} events in {:.1} s ({:.0} events/s), {} rules fired",
        report.events_checked,
        started.elapsed().as_secs_f64(),
        report.events_checked as f64 / started.elapsed().as_secs_f64(),
        report.detections.len()
    );
    let profile = case.profile_rules(sources, 3_000, &AtomicBool::new(false))?;
    println!("slowest rules (each alone over {} events):", profile.events);
    for c in profile.rules.iter().take(10) {
        println!(
            "  {:>8.0} ns/event  {} (by {})",
            c.nanos_per_event,
            c.rule.title,
            c.rule.author.as_deref().unwrap_or("unknown")
        );
    }
    Ok(())
}

/// Resets this process's peak-RSS mark (`VmHWM`), Linux 4.0 and later.
fn reset_peak_rss() -> Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("resetting the peak RSS mark")
}

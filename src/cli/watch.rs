//! `sightline watch`: follows files and folders into a case. Each alert is one JSON line on
//! stdout (for a pipe: `| jq`, a notifier); what each batch imported goes to stderr.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use sightline::api::{Case, FollowBatch, FollowOptions, SystemClock};

use super::args::WatchArgs;
use super::safe::safe;

pub fn run(args: WatchArgs, clock: Arc<SystemClock>) -> Result<()> {
    let case = Case::open_or_create(&args.case, clock)?;
    case.set_examiner(sightline::api::os_user());
    if !args.sources.rules.is_empty() || args.sources.no_builtin {
        let sources = super::detect::sources(&args.sources);
        if sources != case.rule_sources()? {
            // The rules apply to every event, the ones already in the case too.
            eprintln!("running the rules over the case's events first…");
            case.detect(&sources, &|_| {}, &AtomicBool::new(false))?;
        }
    }
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        case.followed_paths()?
            .into_iter()
            .map(PathBuf::from)
            .collect()
    } else {
        args.paths.clone()
    };
    if paths.is_empty() {
        bail!("nothing to follow: give files or folders (the case follows none yet)");
    }
    if !(0.0..=3600.0).contains(&args.settle) {
        bail!("--settle is seconds between 0 and 3600");
    }
    let mut options = FollowOptions {
        settle: Duration::from_secs_f64(args.settle),
        alert_levels: args.alert.clone(),
        ..FollowOptions::default()
    };
    options.import.checkpoint_after = super::commands::checkpoint(&args.checkpoint)?;
    let cancel = AtomicBool::new(false);
    let mut on_batch = |batch: &FollowBatch| print_batch(batch);
    if args.once {
        let mut follower = case.follower(&paths, options)?;
        if let Some(batch) = follower.step(&cancel)? {
            print_batch(&batch);
        }
        return Ok(());
    }
    for p in &paths {
        eprintln!("following {}", safe(&p.display().to_string()));
    }
    case.follow(&paths, options, &mut on_batch, &cancel)?;
    Ok(())
}

/// Alerts as JSON lines on stdout, flushed at once; the batch in words on stderr.
fn print_batch(batch: &FollowBatch) {
    let mut out = std::io::stdout().lock();
    for alert in &batch.alerts {
        if let Ok(line) = serde_json::to_string(alert) {
            // A closed pipe ends nothing here: the case keeps following.
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = out.flush();
    let mut words = format!(
        "run {}: {} events ({} ranges, {} files) in {} ms",
        batch.run_id, batch.events, batch.ranges, batch.files, batch.elapsed_ms
    );
    if batch.skipped > 0 {
        words.push_str(&format!(", {} records skipped", batch.skipped));
    }
    if !batch.alerts.is_empty() {
        words.push_str(&format!(
            ", {} alerts",
            batch.alerts.len() as u64 + batch.alerts_more
        ));
    }
    eprintln!("{}", safe(&words));
    for note in &batch.notes {
        eprintln!("  {}", safe(note));
    }
    for f in &batch.findings {
        eprintln!(
            "  {} {}: {}",
            f.severity.as_str(),
            f.kind.as_str(),
            safe(&f.detail)
        );
    }
}

//! What each `sightline` command does once its arguments are read: call the engine's API and
//! print the answer as text or JSON.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use sightline::api::{
    Case, FieldMapping, ImportOptions, ImportProgress, JournalHead, Relocation, SearchRequest,
    SystemClock, VerifyOptions,
};

use super::args::{ImportArgs, ReportArgs, SearchArgs, VerifyArgs};
use super::safe::{safe, safe_block};
use super::text::{file_rules, print_import, print_search, progress_bar, update_bar};

/// Opens a case as the window does: for writing, so what is run is journaled, or read-only
/// while an import writes it.
pub fn open_shared(dir: &Path, clock: Arc<SystemClock>) -> Result<Case> {
    let case = Case::open_writable_or_read_only(dir, clock, false)?;
    case.set_examiner(sightline::api::os_user());
    if let Some(reason) = case.read_only_reason() {
        eprintln!(
            "note: {}; the case is read as it is and nothing is journaled",
            safe(reason)
        );
    }
    Ok(case)
}

/// The import's options from `--format`, `--zone`, `--year` and `--map`.
fn import_options(args: &ImportArgs) -> Result<ImportOptions> {
    let (format, zone_minutes, rules) = file_rules(&args.format, &args.zone)?;
    let year = args.year;
    let mapping = match args.map.as_deref() {
        Some(spec) => FieldMapping::parse(spec)
            .map_err(anyhow::Error::msg)
            .context("--map")?,
        None => FieldMapping::default(),
    };
    let checkpoint_after = checkpoint(&args.checkpoint)?;
    Ok(ImportOptions {
        format,
        zone_minutes,
        rules,
        year,
        mapping,
        checkpoint_after,
        ..ImportOptions::default()
    })
}

/// `--checkpoint SECONDS|never`.
pub fn checkpoint(text: &str) -> Result<Option<std::time::Duration>> {
    if text == "never" {
        return Ok(None);
    }
    let seconds: f64 = text.parse().context("--checkpoint SECONDS|never")?;
    Ok(Some(
        std::time::Duration::try_from_secs_f64(seconds).context("--checkpoint SECONDS|never")?,
    ))
}

pub fn import(args: ImportArgs, clock: Arc<SystemClock>) -> Result<()> {
    let options = import_options(&args)?;
    // A mistyped path must not leave an empty case behind.
    sightline::api::check_import(&args.paths, &options)?;
    let case = Case::open_or_create(&args.case, clock)?;
    case.set_examiner(sightline::api::os_user());
    let json = args.json;
    let bar = progress_bar(json);
    let cancel = AtomicBool::new(false);
    let report = case.import(
        &args.paths,
        &options,
        &|p: &ImportProgress| update_bar(&bar, p),
        &cancel,
    );
    bar.finish_and_clear();
    let report = report?;
    if json {
        return print_json(&report);
    }
    let mut out = String::new();
    print_import(&mut out, &report);
    emit(&out)
}

/// A search a person ran: journaled by the API when the case is writable.
pub fn search(args: SearchArgs, clock: Arc<SystemClock>) -> Result<()> {
    let filters = super::filters(&args.filter, &args.exclude)?;
    let selection = super::selection(
        &args.query,
        args.from.as_deref(),
        args.to.as_deref(),
        filters,
        args.oldest_first,
    )?;
    let request = SearchRequest {
        offset: args.offset,
        limit: args.limit,
        ..selection
    };
    let result = open_shared(&args.case, clock)?.search(&request)?;
    if args.json {
        return print_json(&result);
    }
    let mut out = String::new();
    print_search(&mut out, &result);
    emit(&out)
}

pub fn report(args: ReportArgs, clock: Arc<SystemClock>) -> Result<()> {
    let filters = super::filters(&args.filter, &args.exclude)?;
    let request = super::selection(
        &args.query,
        args.from.as_deref(),
        args.to.as_deref(),
        filters,
        true,
    )?;
    let out = &args.out;
    let summary = open_shared(&args.case, clock)?.report(out, &request)?;
    println!(
        "wrote {} ({} events, {} marked; SHA-256 {})",
        safe(&out.display().to_string()),
        summary.events,
        summary.marked,
        summary.sha256
    );
    Ok(())
}

pub fn stats(case: &Case, json: bool) -> Result<()> {
    let stats = case.stats()?;
    if json {
        return print_json(&stats);
    }
    let mut out = String::new();
    outln!(
        out,
        "case {}: {} events from {} import runs",
        stats.case_id,
        stats.events,
        stats.runs
    );
    outln!(
        out,
        "time range: {} .. {}",
        stats.time_from.as_deref().unwrap_or("-"),
        stats.time_to.as_deref().unwrap_or("-")
    );
    outln!(out, "\nevents per format:");
    for f in &stats.formats {
        outln!(
            out,
            "  {:<18} {:>8} events in {} files",
            safe(&f.format),
            f.events,
            f.files
        );
    }
    outln!(out, "\nfiles:");
    for f in &stats.files {
        outln!(
            out,
            "  {:<12} {:>8} {:<18} {}",
            f.status,
            f.events,
            safe(f.format.as_deref().unwrap_or("-")),
            safe(&f.path)
        );
    }
    emit(&out)
}

pub fn show(case: &Case, id: &str, json: bool) -> Result<()> {
    let detail = case.event(id)?;
    if json {
        return print_json(&detail);
    }
    let mut out = String::new();
    let e = &detail.event;
    outln!(out, "{}", safe(&detail.row.message));
    outln!(
        out,
        "time      {} (source wrote {:?})",
        detail.row.time.as_deref().unwrap_or("-"),
        e.time.original.as_deref().unwrap_or("")
    );
    outln!(
        out,
        "file      {} line {} offset {}",
        safe(&e.provenance.path),
        e.provenance.line.map_or("-".to_string(), |l| l.to_string()),
        e.provenance.offset
    );
    outln!(out, "file hash {}", e.provenance.sha256);
    outln!(out, "raw hash  {}", detail.raw_sha256);
    outln!(out, "\n{}", safe_block(&detail.raw));
    emit(&out)
}

/// Runs verify and prints its report; returns whether it found nothing.
pub fn verify(args: VerifyArgs, clock: Arc<SystemClock>) -> Result<bool> {
    let moved = args
        .moved
        .iter()
        .map(|m| Relocation::parse(m))
        .collect::<Result<Vec<_>, _>>()?;
    let expect_head = args
        .expect_head
        .as_deref()
        .map(JournalHead::parse)
        .transpose()
        .context("--expect-head")?;
    let options = VerifyOptions {
        public_keys: args.public_keys,
        moved,
        expect_head,
    };
    let report = open_shared(&args.case, clock)?.verify_with(&options)?;
    if args.json {
        print_json(&report)?;
    } else {
        emit(&super::verify::text(&report, options.expect_head.as_ref()))?;
    }
    Ok(report.findings.is_empty())
}

pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut text = serde_json::to_string(value)?;
    text.push('\n');
    emit(&text)
}

/// Writes to stdout; a closed pipe (`| head`) is a normal end, not an error.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

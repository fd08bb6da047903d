//! What each `sightline` command does once its arguments are read: call the engine's API and
//! print the answer as text or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use sightline::api::{
    Case, FieldMapping, ImportOptions, ImportProgress, SearchRequest, VerifyOptions,
};

use super::text::{file_rules, print_import, print_search, progress_bar, update_bar};

/// The import's options from `--format`, `--zone`, `--year` and `--map`.
pub fn import_options(
    format: &[String],
    zone: &[String],
    year: Option<i32>,
    map: Option<&str>,
) -> Result<ImportOptions> {
    let (format, zone_minutes, rules) = file_rules(format, zone)?;
    let mapping = match map {
        Some(spec) => FieldMapping::parse(spec)
            .map_err(anyhow::Error::msg)
            .context("--map")?,
        None => FieldMapping::default(),
    };
    Ok(ImportOptions {
        format,
        zone_minutes,
        rules,
        year,
        mapping,
        ..ImportOptions::default()
    })
}

pub fn import(case: &Case, paths: &[PathBuf], options: &ImportOptions, json: bool) -> Result<()> {
    let bar = progress_bar(json);
    let cancel = AtomicBool::new(false);
    let report = case.import(
        paths,
        options,
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
pub fn search(case: &Case, request: &SearchRequest, json: bool) -> Result<()> {
    let result = case.search(request)?;
    if json {
        return print_json(&result);
    }
    let mut out = String::new();
    print_search(&mut out, &result);
    emit(&out)
}

pub fn report(case: &Case, out: &Path, request: &SearchRequest) -> Result<()> {
    let summary = case.report(out, request)?;
    println!(
        "wrote {} ({} events, {} marked; SHA-256 {})",
        out.display(),
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
            f.format,
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
            f.format.as_deref().unwrap_or("-"),
            f.path
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
    outln!(out, "{}", detail.row.message);
    outln!(
        out,
        "time      {} (source wrote {:?})",
        detail.row.time.as_deref().unwrap_or("-"),
        e.time.original.as_deref().unwrap_or("")
    );
    outln!(
        out,
        "file      {} line {} offset {}",
        e.provenance.path,
        e.provenance.line.map_or("-".to_string(), |l| l.to_string()),
        e.provenance.offset
    );
    outln!(out, "file hash {}", e.provenance.sha256);
    outln!(out, "raw hash  {}", detail.raw_sha256);
    outln!(out, "\n{}", detail.raw);
    emit(&out)
}

/// Runs verify and prints its report; returns whether it found nothing.
pub fn verify(case: &Case, options: &VerifyOptions, json: bool) -> Result<bool> {
    let report = case.verify_with(options)?;
    if json {
        print_json(&report)?;
    } else {
        emit(&super::verify::text(&report))?;
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

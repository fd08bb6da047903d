//! `sightline export`: the selection as CSV or JSON lines with a manifest beside it.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sightline::api::{Case, ExportFormat, ExportOptions, ExportProgress};

use super::args::ExportArgs;

fn bar(json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn key(case: &Case, redact: bool, file: Option<&Path>) -> Result<Option<Vec<u8>>> {
    match (redact, file) {
        (_, Some(path)) => {
            let key = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            if key.len() < 16 {
                bail!(
                    "the redaction key in {} is shorter than 16 bytes",
                    path.display()
                );
            }
            Ok(Some(key))
        }
        (true, None) => Ok(Some(case.redaction_key()?)),
        (false, None) => Ok(None),
    }
}

pub fn run(args: ExportArgs, clock: std::sync::Arc<sightline::api::SystemClock>) -> Result<()> {
    let filters = super::filters(&args.filter, &args.exclude)?;
    let request = super::selection(
        &args.query,
        args.from.as_deref(),
        args.to.as_deref(),
        filters,
        !args.newest_first,
    )?;
    let redact = args.redact || args.redact_key_file.is_some();
    let format = match args.format.as_str() {
        "csv" => ExportFormat::Csv,
        "jsonl" => ExportFormat::Jsonl,
        "ocsf-json" => ExportFormat::OcsfJson,
        "ocsf-parquet" => ExportFormat::OcsfParquet,
        other => bail!("--format is csv, jsonl, ocsf-json or ocsf-parquet, not {other:?}"),
    };
    // Writable when possible, so the export is recorded in the case journal.
    let case = super::commands::open_shared(&args.case, clock)?;
    let options = ExportOptions {
        request,
        format,
        columns: args
            .columns
            .map(|c| c.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        redact_key: key(&case, redact, args.redact_key_file.as_deref())?,
    };
    let bar = bar(args.json);
    let manifest = case.export(
        &args.out,
        &options,
        &|p: &ExportProgress| {
            bar.set_length(p.rows_total);
            bar.set_position(p.rows_done);
        },
        &AtomicBool::new(false),
    );
    bar.finish_and_clear();
    let manifest = manifest?;
    if args.json {
        println!("{}", serde_json::to_string(&manifest)?);
    } else {
        println!(
            "exported {} rows from {} source files to {} (SHA-256 {}){}",
            manifest.rows,
            manifest.sources.len(),
            super::safe::safe(&args.out.display().to_string()),
            manifest.sha256,
            match &manifest.redaction {
                Some(r) => format!(
                    ", redacted with key {}",
                    r["key_id"].as_str().unwrap_or("?")
                ),
                None => String::new(),
            }
        );
        println!(
            "manifest: {}",
            super::safe::safe(
                &sightline::api::export_manifest_path(&args.out)
                    .display()
                    .to_string()
            )
        );
    }
    Ok(())
}

//! `sightline`: import audit-log bundles into a case and search them from the terminal.

// Indexing allocates many small, short-lived strings; mimalloc handles that pattern
// markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

mod cli;

use cli::outln;
use cli::text::{file_rules, print_import, print_search, progress_bar, update_bar};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use sightline::formats::FieldMapping;
use sightline::import::ImportProgress;
use sightline::integrity::{Relocation, VerifyOptions};
use sightline::search::SearchRequest;
use sightline::{Case, ImportOptions, SystemClock};

#[derive(Parser)]
#[command(name = "sightline", version, about = "Offline explorer for audit logs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import files, folders or archives into a case (created if missing).
    Import {
        #[arg(long)]
        case: PathBuf,
        /// Print the import report as one JSON document.
        #[arg(long)]
        json: bool,
        /// Read files as this format instead of detecting it (see `docs/formats.md`): FORMAT for
        /// every file, or PATTERN=FORMAT for files whose path or name matches (`*` wildcards).
        #[arg(long, value_name = "[PATTERN=]FORMAT")]
        format: Vec<String>,
        /// Zone of times written without one (default UTC): OFFSET (`+02:00`) for every file, or
        /// PATTERN=OFFSET for matching files.
        #[arg(long, value_name = "[PATTERN=]OFFSET")]
        zone: Vec<String>,
        /// Year of the first line of logs that write no year (syslog/auth.log); inferred from
        /// the file's modification time when not given.
        #[arg(long)]
        year: Option<i32>,
        /// For generic JSON/CSV: which key or column feeds which field, e.g. `time=ts,actor=user.name`.
        #[arg(long, value_name = "FIELD=KEY,...")]
        map: Option<String>,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Search a case. QUERY uses the query syntax in README (empty: everything).
    Search {
        #[arg(long)]
        case: PathBuf,
        /// Inclusive start, RFC 3339.
        #[arg(long)]
        from: Option<String>,
        /// Exclusive end, RFC 3339.
        #[arg(long)]
        to: Option<String>,
        /// Events to print; 0 prints counts only.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Oldest events first (default: newest first).
        #[arg(long)]
        oldest_first: bool,
        /// Keep only events whose facet FIELD is VALUE (repeatable).
        #[arg(long, value_name = "FIELD=VALUE")]
        filter: Vec<String>,
        /// Drop events whose facet FIELD is VALUE (repeatable).
        #[arg(long, value_name = "FIELD=VALUE")]
        exclude: Vec<String>,
        #[arg(long)]
        json: bool,
        query: Vec<String>,
    },
    /// Check the evidence: re-hash every imported file where it was imported from, check
    /// CloudTrail digests, sequence gaps, silences, clearing events and the case journal.
    /// Exit 0 with no findings, 1 with findings, 2 on error.
    Verify {
        #[arg(long)]
        case: PathBuf,
        #[arg(long)]
        json: bool,
        /// `aws cloudtrail list-public-keys` output, to verify digest signatures saved beside
        /// the digests (`<digest>.sig`).
        #[arg(long, value_name = "FILE")]
        public_keys: Option<PathBuf>,
        /// Evidence moved since the import: read files imported under OLD from NEW (repeatable).
        /// Findings still name files as imported.
        #[arg(long, value_name = "OLD=NEW")]
        moved: Vec<String>,
    },
    /// Write the events a query selects to a CSV or JSON-lines file, with provenance per row and
    /// a manifest of hashes beside it (FILE.manifest.json).
    Export {
        #[arg(long)]
        case: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// csv (RFC 4180, spreadsheet-safe) or jsonl.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Comma-separated columns (default: every normalized and provenance column);
        /// raw.KEY for an original field, raw.* for every original field with data.
        #[arg(long, value_name = "LIST")]
        columns: Option<String>,
        /// Inclusive start, RFC 3339.
        #[arg(long)]
        from: Option<String>,
        /// Exclusive end, RFC 3339.
        #[arg(long)]
        to: Option<String>,
        /// Newest events first (default for export: oldest first).
        #[arg(long)]
        newest_first: bool,
        #[arg(long, value_name = "FIELD=VALUE")]
        filter: Vec<String>,
        #[arg(long, value_name = "FIELD=VALUE")]
        exclude: Vec<String>,
        /// Pseudonymize user names, emails and IPs (HMAC) and mask secrets.
        #[arg(long)]
        redact: bool,
        /// The HMAC key for --redact (at least 16 bytes) instead of the case's own key; the same
        /// key gives the same pseudonyms across exports and cases.
        #[arg(long, value_name = "FILE")]
        redact_key_file: Option<PathBuf>,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
        query: Vec<String>,
    },
    /// Write an offline HTML incident report of the events a query selects: timeline, actors,
    /// marked events with notes, the integrity verdict, the sources and their hashes.
    Report {
        #[arg(long)]
        case: PathBuf,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_name = "FIELD=VALUE")]
        filter: Vec<String>,
        #[arg(long, value_name = "FIELD=VALUE")]
        exclude: Vec<String>,
        query: Vec<String>,
    },
    /// Events per format and per file, and the time range covered.
    Stats {
        #[arg(long)]
        case: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// One event in full: normalized fields, provenance and the raw record.
    Show {
        #[arg(long)]
        case: PathBuf,
        #[arg(long)]
        json: bool,
        id: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Exit status 0, or 1 when `verify` found something.
fn run(cli: Cli) -> Result<ExitCode> {
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Import {
            case,
            json,
            format,
            zone,
            year,
            map,
            paths,
        } => {
            let (format, zone_minutes, rules) = file_rules(&format, &zone)?;
            let mapping = match map {
                Some(spec) => FieldMapping::parse(&spec)
                    .map_err(anyhow::Error::msg)
                    .context("--map")?,
                None => FieldMapping::default(),
            };
            let options = ImportOptions {
                format,
                zone_minutes,
                rules,
                year,
                mapping,
                ..ImportOptions::default()
            };
            let case = Case::open_or_create(&case, clock)?;
            let bar = progress_bar(json);
            let cancel = AtomicBool::new(false);
            let report = case.import(
                &paths,
                &options,
                &|p: &ImportProgress| update_bar(&bar, p),
                &cancel,
            );
            bar.finish_and_clear();
            let report = report?;
            if json {
                print_json(&report)?;
            } else {
                let mut out = String::new();
                print_import(&mut out, &report);
                emit(&out)?;
            }
        }
        Command::Search {
            case,
            from,
            to,
            limit,
            offset,
            oldest_first,
            filter,
            exclude,
            json,
            query,
        } => {
            let case = Case::open(&case, clock)?;
            let filters = cli::filters(&filter, &exclude)?;
            let request = SearchRequest {
                offset,
                limit,
                ..cli::selection(
                    &query,
                    from.as_deref(),
                    to.as_deref(),
                    filters,
                    oldest_first,
                )?
            };
            let result = case.search(&request)?;
            if json {
                print_json(&result)?;
            } else {
                let mut out = String::new();
                print_search(&mut out, &result);
                emit(&out)?;
            }
        }
        Command::Export {
            case,
            out,
            format,
            columns,
            from,
            to,
            newest_first,
            filter,
            exclude,
            redact,
            redact_key_file,
            json,
            query,
        } => {
            let filters = cli::filters(&filter, &exclude)?;
            let request = cli::selection(
                &query,
                from.as_deref(),
                to.as_deref(),
                filters,
                !newest_first,
            )?;
            cli::export::run(
                cli::export::Args {
                    case,
                    out,
                    format,
                    columns,
                    redact: redact || redact_key_file.is_some(),
                    redact_key_file,
                    request,
                    json,
                },
                clock,
            )?;
        }
        Command::Report {
            case,
            out,
            from,
            to,
            filter,
            exclude,
            query,
        } => {
            let filters = cli::filters(&filter, &exclude)?;
            let request = cli::selection(&query, from.as_deref(), to.as_deref(), filters, true)?;
            let opened =
                Case::open_or_create(&case, clock.clone()).or_else(|_| Case::open(&case, clock))?;
            let summary = opened.report(&out, &request)?;
            println!(
                "wrote {} ({} events, {} marked; SHA-256 {})",
                out.display(),
                summary.events,
                summary.marked,
                summary.sha256
            );
        }
        Command::Stats { case, json } => {
            let stats = Case::open(&case, clock)?.stats()?;
            if json {
                print_json(&stats)?;
            } else {
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
                emit(&out)?;
            }
        }
        Command::Show { case, json, id } => {
            let detail = Case::open(&case, clock)?.event(&id)?;
            if json {
                print_json(&detail)?;
            } else {
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
                emit(&out)?;
            }
        }
        Command::Verify {
            case,
            json,
            public_keys,
            moved,
        } => {
            let moved = moved
                .iter()
                .map(|m| Relocation::parse(m))
                .collect::<Result<Vec<_>, _>>()?;
            if !case.join("case.sqlite").is_file() {
                anyhow::bail!(
                    "{} is not a case folder (it has no case.sqlite)",
                    case.display()
                );
            }
            // Writable when no import is running, so the check is recorded in the journal.
            let opened =
                Case::open_or_create(&case, clock.clone()).or_else(|_| Case::open(&case, clock))?;
            let report = opened.verify_with(&VerifyOptions { public_keys, moved })?;
            if json {
                print_json(&report)?;
            } else {
                emit(&cli::verify::text(&report))?;
            }
            if !report.findings.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut text = serde_json::to_string(value)?;
    text.push('\n');
    emit(&text)
}

/// Writes to stdout; a closed pipe (`| head`) is a normal end, not an error.
fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

//! `sightline`: import audit-log bundles into a case and search them from the terminal.

// Indexing allocates many small, short-lived strings; mimalloc handles that pattern
// markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

mod cli;

use cli::commands;

use anyhow::Result;
use clap::{Parser, Subcommand};

use sightline::api::{Case, Relocation, SearchRequest, SystemClock, VerifyOptions};

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
            let options = commands::import_options(&format, &zone, year, map.as_deref())?;
            commands::import(&Case::open_or_create(&case, clock)?, &paths, &options, json)?;
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
            let filters = cli::filters(&filter, &exclude)?;
            let selection = cli::selection(
                &query,
                from.as_deref(),
                to.as_deref(),
                filters,
                oldest_first,
            )?;
            let request = SearchRequest {
                offset,
                limit,
                ..selection
            };
            commands::search(&open_shared(&case, clock)?, &request, json)?;
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
            let args = cli::export::Args {
                case,
                out,
                format,
                columns,
                redact: redact || redact_key_file.is_some(),
                redact_key_file,
                request,
                json,
            };
            cli::export::run(args, clock)?;
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
            commands::report(&open_shared(&case, clock)?, &out, &request)?;
        }
        Command::Stats { case, json } => commands::stats(&Case::open(&case, clock)?, json)?,
        Command::Show { case, json, id } => commands::show(&Case::open(&case, clock)?, &id, json)?,
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
            let options = VerifyOptions { public_keys, moved };
            let clean = commands::verify(&open_shared(&case, clock)?, &options, json)?;
            if !clean {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens a case as the window does: for writing, so what is run is journaled, or read-only
/// while an import writes it.
fn open_shared(dir: &std::path::Path, clock: Arc<SystemClock>) -> Result<Case> {
    Ok(Case::open_writable_or_read_only(dir, clock, false)?)
}

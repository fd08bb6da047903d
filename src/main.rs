//! `sightline`: import audit-log bundles into a case and search them from the terminal.

// Indexing allocates many small, short-lived strings; mimalloc handles that pattern
// markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;
use std::sync::Arc;

mod cli;

use cli::args::{
    ComplianceArgs, DetectArgs, ExportArgs, ImportArgs, ReportArgs, RulesCommand, SearchArgs,
    ShowArgs, StatsArgs, VerifyArgs, WatchArgs,
};
use cli::commands;

use anyhow::Result;
use clap::{Parser, Subcommand};

use sightline::api::{Case, SystemClock};

#[derive(Parser)]
#[command(name = "sightline", version, about = "Offline explorer for audit logs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import files, folders or archives into a case (created if missing).
    Import(ImportArgs),
    /// Search a case. QUERY uses the query syntax in README (empty: everything).
    Search(SearchArgs),
    /// Check the evidence: re-hash every imported file where it was imported from, check
    /// CloudTrail digests, sequence gaps, silences, clearing events and the case journal.
    /// Exit 0 with no findings, 1 with findings, 2 on error.
    Verify(VerifyArgs),
    /// Write the events a query selects to a CSV or JSON-lines file, with provenance per row and
    /// a manifest of hashes beside it (FILE.manifest.json).
    Export(ExportArgs),
    /// Write an offline HTML incident report of the events a query selects: timeline, actors,
    /// marked events with notes, the integrity verdict, the sources and their hashes.
    Report(ReportArgs),
    /// Evidence per control of a compliance framework (PCI DSS 10, SOC 2, HIPAA, NIST AU,
    /// ISO 27001, GDPR, or a file of your own): status, counts, sources, the query behind each
    /// number, field completeness, retention, integrity and the review trail. Journaled.
    Compliance(ComplianceArgs),
    /// Run Sigma rules (Sightline's own pack, and rule files, folders or zips given with
    /// --rules) over every event of the case; print what fired, by level, with the rule's
    /// author, the events and why they matched.
    Detect(DetectArgs),
    /// Follow growing logs and folders that fill: new lines and new files are imported in
    /// small batches as they come (notifications, no polling), detections run on each batch and
    /// every new high or critical hit is printed as one JSON line on stdout.
    Watch(WatchArgs),
    /// Rules for rule authors: list what a rule source holds, or test one rule on one log file.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Events per format and per file, and the time range covered.
    Stats(StatsArgs),
    /// One event in full: normalized fields, provenance and the raw record.
    Show(ShowArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote input (paths, query text): escaped like any log content.
            eprintln!("error: {}", cli::safe::safe(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// Exit status 0, or 1 when `verify` found something.
fn run(cli: Cli) -> Result<ExitCode> {
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Import(args) => commands::import(args, clock)?,
        Command::Search(args) => commands::search(args, clock)?,
        Command::Export(args) => cli::export::run(args, clock)?,
        Command::Report(args) => commands::report(args, clock)?,
        Command::Compliance(args) => cli::compliance::run(args, clock)?,
        Command::Detect(args) => cli::detect::detect(args, clock)?,
        Command::Watch(args) => cli::watch::run(args, clock)?,
        Command::Rules(RulesCommand::List(args)) => cli::detect::list(args)?,
        Command::Rules(RulesCommand::Test(args)) => cli::detect::test(args, clock)?,
        Command::Rules(RulesCommand::Profile(args)) => cli::detect::profile(args, clock)?,
        Command::Rules(RulesCommand::Views(args)) => cli::detect::views(args, clock)?,
        Command::Stats(args) => commands::stats(&Case::open(&args.case, clock)?, args.json)?,
        Command::Show(args) => {
            commands::show(&Case::open(&args.case, clock)?, &args.id, args.json)?
        }
        Command::Verify(args) => {
            if !commands::verify(args, clock)? {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! The arguments of each `sightline` command, as clap reads them.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ImportArgs {
    #[arg(long)]
    pub case: PathBuf,
    /// Print the import report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Read files as this format instead of detecting it (see `docs/formats.md`): FORMAT for
    /// every file, or PATTERN=FORMAT for files whose path or name matches (`*` wildcards).
    #[arg(long, value_name = "[PATTERN=]FORMAT")]
    pub format: Vec<String>,
    /// Zone of times written without one (default UTC): OFFSET (`+02:00`) for every file, or
    /// PATTERN=OFFSET for matching files.
    #[arg(long, value_name = "[PATTERN=]OFFSET")]
    pub zone: Vec<String>,
    /// Year of the first line of logs that write no year (syslog/auth.log); inferred from
    /// the file's modification time when not given.
    #[arg(long)]
    pub year: Option<i32>,
    /// For generic JSON/CSV: which key or column feeds which field, e.g. `time=ts,actor=user.name`.
    #[arg(long, value_name = "FIELD=KEY,...")]
    pub map: Option<String>,
    /// Seconds until the import's first events are searchable (a checkpoint; then again at four
    /// times the time each time), or `never`: only when it completes. A checkpoint's events
    /// stay only if the import completes.
    #[arg(long, value_name = "SECONDS|never", default_value = "2")]
    pub checkpoint: String,
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(clap::Args)]
pub struct SearchArgs {
    #[arg(long)]
    pub case: PathBuf,
    /// Inclusive start, RFC 3339.
    #[arg(long)]
    pub from: Option<String>,
    /// Exclusive end, RFC 3339.
    #[arg(long)]
    pub to: Option<String>,
    /// Events to print; 0 prints counts only.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Oldest events first (default: newest first).
    #[arg(long)]
    pub oldest_first: bool,
    /// Keep only events whose facet FIELD is VALUE (repeatable).
    #[arg(long, value_name = "FIELD=VALUE")]
    pub filter: Vec<String>,
    /// Drop events whose facet FIELD is VALUE (repeatable).
    #[arg(long, value_name = "FIELD=VALUE")]
    pub exclude: Vec<String>,
    #[arg(long)]
    pub json: bool,
    pub query: Vec<String>,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[arg(long)]
    pub json: bool,
    /// `aws cloudtrail list-public-keys` output, to verify digest signatures saved beside
    /// the digests (`<digest>.sig`).
    #[arg(long, value_name = "FILE")]
    pub public_keys: Option<PathBuf>,
    /// Evidence moved since the import: read files imported under OLD from NEW (repeatable).
    /// Findings still name files as imported.
    #[arg(long, value_name = "OLD=NEW")]
    pub moved: Vec<String>,
    /// A journal head recorded earlier (printed by verify, kept in export manifests and
    /// reports): a critical finding unless the journal still holds that entry unchanged.
    #[arg(long, value_name = "SEQ:HASH")]
    pub expect_head: Option<String>,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// csv (RFC 4180, spreadsheet-safe), jsonl, ocsf-json (OCSF 1.1 objects, one per line) or
    /// ocsf-parquet (the same as Parquet, for data lakes).
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Comma-separated columns (default: every normalized and provenance column);
    /// raw.KEY for an original field, raw.* for every original field with data.
    #[arg(long, value_name = "LIST")]
    pub columns: Option<String>,
    /// Inclusive start, RFC 3339.
    #[arg(long)]
    pub from: Option<String>,
    /// Exclusive end, RFC 3339.
    #[arg(long)]
    pub to: Option<String>,
    /// Newest events first (default for export: oldest first).
    #[arg(long)]
    pub newest_first: bool,
    #[arg(long, value_name = "FIELD=VALUE")]
    pub filter: Vec<String>,
    #[arg(long, value_name = "FIELD=VALUE")]
    pub exclude: Vec<String>,
    /// Pseudonymize user names, emails and IPs (HMAC) and mask secrets.
    #[arg(long)]
    pub redact: bool,
    /// The HMAC key for --redact (at least 16 bytes) instead of the case's own key; the same
    /// key gives the same pseudonyms across exports and cases.
    #[arg(long, value_name = "FILE")]
    pub redact_key_file: Option<PathBuf>,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub json: bool,
    pub query: Vec<String>,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_name = "FIELD=VALUE")]
    pub filter: Vec<String>,
    #[arg(long, value_name = "FIELD=VALUE")]
    pub exclude: Vec<String>,
    pub query: Vec<String>,
}

#[derive(clap::Args)]
pub struct ComplianceArgs {
    #[arg(long)]
    pub case: PathBuf,
    /// A built-in framework (pci-dss-4.0, soc2, hipaa, nist-800-53-au, iso-27001-2022, gdpr)
    /// or the path of a framework file of your own (docs/compliance.md).
    #[arg(long)]
    pub framework: String,
    /// Write the printable HTML report here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Inclusive start, RFC 3339 or a date.
    #[arg(long)]
    pub from: Option<String>,
    /// Exclusive end, RFC 3339 or a date.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_name = "FIELD=VALUE")]
    pub filter: Vec<String>,
    #[arg(long, value_name = "FIELD=VALUE")]
    pub exclude: Vec<String>,
    /// Evaluate within the events this query selects (empty: the whole case).
    pub query: Vec<String>,
}

#[derive(clap::Args)]
pub struct StatsArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct ShowArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[arg(long)]
    pub json: bool,
    pub id: String,
}

/// Where rules come from, as every command that runs rules takes it.
#[derive(clap::Args)]
pub struct RuleSourceArgs {
    /// Sigma rule files, folders or zip files (repeatable); with a case and without any, the
    /// ones the case last ran with.
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave out Sightline's own rule pack.
    #[arg(long)]
    pub no_builtin: bool,
}

#[derive(clap::Args)]
pub struct DetectArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Print the case's detections as they are, without running the rules (also while another
    /// process writes the case).
    #[arg(long, conflicts_with_all = ["rules", "no_builtin"])]
    pub no_run: bool,
    #[arg(long)]
    pub json: bool,
    /// Only detections on the events this query selects.
    pub query: Vec<String>,
}

#[derive(clap::Subcommand)]
pub enum RulesCommand {
    /// Every rule the sources hold, and the files that did not load (and why).
    List(RulesListArgs),
    /// Runs one rule file over one log file and prints what matched and why: for rule authors.
    Test(RulesTestArgs),
    /// Times each rule alone over a case's oldest events and lists the slowest first.
    Profile(RulesProfileArgs),
    /// Prints, as JSON lines, the documents rules see for the events a query selects: each with
    /// its Sigma log source and the fields by the names rules use.
    Views(RulesViewsArgs),
}

#[derive(clap::Args)]
pub struct RulesViewsArgs {
    #[arg(long)]
    pub case: PathBuf,
    /// Events to print.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Also each event's normalized view (`product: sightline`), which Sightline's pack uses.
    #[arg(long)]
    pub normalized: bool,
    pub query: Vec<String>,
}

#[derive(clap::Args)]
pub struct RulesProfileArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Events to time each rule over.
    #[arg(long, default_value_t = 10_000)]
    pub sample: usize,
    /// Rules listed (slowest first); 0 lists all.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct RulesListArgs {
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct RulesTestArgs {
    /// A Sigma rule file (or folder, or zip).
    pub rule: PathBuf,
    /// A log file in any format Sightline reads.
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct WatchArgs {
    #[arg(long)]
    pub case: PathBuf,
    #[command(flatten)]
    pub sources: RuleSourceArgs,
    /// Look once, import what is new, and exit (for scripts and cron).
    #[arg(long)]
    pub once: bool,
    /// Seconds a new whole file (archive, gzip, JSON document) must stay unchanged before it is
    /// imported.
    #[arg(long, default_value_t = 1.0)]
    pub settle: f64,
    /// Levels that raise an alert (repeatable).
    #[arg(long, value_name = "LEVEL", default_values_t = ["high".to_string(), "critical".to_string()])]
    pub alert: Vec<String>,
    /// Seconds until a long batch's first events are searchable (as `import --checkpoint`), or
    /// `never`.
    #[arg(long, value_name = "SECONDS|never", default_value = "2")]
    pub checkpoint: String,
    /// Files or folders to follow; without any, the ones the case followed last.
    pub paths: Vec<PathBuf>,
}

//! The engine's API: every operation the CLI, the desktop window and the tests use, in one place.
//!
//! A [`Case`] is an open case store ([`crate::case::Store`]) with the features over it. Each
//! method here names the feature function it calls, so a method leads to its file by its name
//! (`Case::verify` → `integrity::verify`). What the case journal records is decided here and only
//! here, so the CLI and the window journal alike:
//!
//! | journaled | not journaled |
//! |---|---|
//! | `import`, `verify` (when writable), `search`, `export`, `report`, `compliance` | `page`, `event`, `position`, `field_stats`, `actor_profile`, reads |
//! | tags, stars, notes, aliases, saved searches | tag colours |
//!
//! The shells reach the engine only through this module: its methods, the stateless helpers at
//! the end, and the types re-exported below (a test keeps it so; docs/architecture.md).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde_json::json;

use crate::case::journal::JournalAction;
use crate::case::{Store, DB_FILE};

pub use crate::bundle::{path_text, sha256_hex, Limits};
pub use crate::case::journal::{JournalCheck, JournalEntry, JournalHead};
pub use crate::case::marks::{Marks, Tag};
pub use crate::case::saved::SavedSearch;
pub use crate::case::{CaseStats, FormatCount, ManifestFile};
pub use crate::clock::{Clock, FixedClock, SystemClock};
pub use crate::compliance::{
    CheckKind, CheckResult, ComplianceReport, ControlResult, ControlStatus, FrameworkInfo,
    ReviewEntry, RuleRef, Silence, SourceCompleteness, SourceCount, SourceIntegrity,
    SourceRetention,
};
pub use crate::detect::{
    DetectProgress, DetectReport, Detection, DetectionEvent, EventDetection, FiredRule, Matched,
    RuleCost, RuleFailure, RuleInfo, RuleProfile, RuleSources, SigmaView,
};
pub use crate::error::{Error, ErrorCode, Result};
pub use crate::export::redact::key_id as redaction_key_id;
pub use crate::export::report::ReportSummary;
pub use crate::export::{ExportFormat, ExportManifest, ExportOptions, ExportProgress};
pub use crate::fault::POINTS as FAULT_POINTS;
pub use crate::formats::FieldMapping;
pub use crate::import::{
    FileReport, FileRule, FileStatus, ImportOptions, ImportProgress, ImportReport, KindCount,
    RecordError, StageCpu, WarningKind,
};
pub use crate::integrity::{
    DigestCover, IntegrityReport, Relocation, SourceVerdict, Verdict, VerifyOptions, VerifyProgress,
};
pub use crate::model::{
    Activity, Actor, AuditEvent, Category, FacetFilter, Finding, FindingKind, Identity, Outcome,
    SearchRequest, Severity, SortOrder,
};
pub use crate::search::actors::ActorProfile;
pub use crate::search::stats::FieldStats;
pub use crate::search::{EventDetail, EventRow, Facet, FacetValue, Histogram, SearchResult};
pub use crate::watch::{Alert, Batch as FollowBatch, FollowOptions, Follower};

/// What the first screen of a case shows before any search: what is in it, over what time,
/// what a reader should know about its records, and the worst the last verify found.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Overview {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    /// Events and files per format, most events first.
    pub formats: Vec<FormatCount>,
    /// RFC 3339 UTC of the earliest and latest event with a time.
    pub time_from: Option<String>,
    pub time_to: Option<String>,
    /// Events imported with a remark (`flag:*`).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub flagged: u64,
    /// Events dated after their file was last written (`flag:future_time`).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub future_dated: u64,
    /// Events without a time.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub untimed: u64,
    /// When the case was last verified; `None`: never.
    pub verified_at: Option<String>,
    /// Sources per verdict of the last verify, worst first.
    pub verdicts: Vec<(Verdict, u64)>,
    /// The last verify's findings above info, critical first, at most [`OVERVIEW_FINDINGS`].
    pub worst: Vec<Finding>,
    /// Of those, how many there are in all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub findings_above_info: u64,
    /// The rules that fired, most serious first.
    pub detections: Vec<FiredRule>,
}

/// Findings the overview lists.
pub const OVERVIEW_FINDINGS: usize = 5;

/// An open case: the store and every operation on it.
pub struct Case {
    store: Store,
    /// Who the shell says is at work (the OS user), named as `by` in every journal entry.
    examiner: std::sync::Mutex<Option<String>>,
}

impl Case {
    fn of(store: Store) -> Case {
        Case {
            store,
            examiner: std::sync::Mutex::new(None),
        }
    }

    /// Names who is at work from now on: every journal entry says `by` them, and the
    /// compliance review trail shows it. The shells pass the operating system user
    /// ([`os_user`]).
    pub fn set_examiner(&self, name: Option<String>) {
        let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        *self.examiner.lock().unwrap_or_else(|e| e.into_inner()) = name;
    }

    /// `detail` with `by` added when an examiner is named.
    fn signed(&self, detail: &serde_json::Value) -> serde_json::Value {
        let mut detail = detail.clone();
        let by = self
            .examiner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let (Some(by), Some(map)) = (by, detail.as_object_mut()) {
            map.insert("by".to_string(), serde_json::Value::String(by));
        }
        detail
    }

    fn journal_in(
        &self,
        action: JournalAction,
        detail: &serde_json::Value,
    ) -> Result<JournalEntry> {
        self.store.journal_append(action, &self.signed(detail))
    }

    fn journal_out(
        &self,
        action: JournalAction,
        detail: &serde_json::Value,
        file: Option<&str>,
        sha256: Option<&str>,
    ) -> Result<JournalEntry> {
        self.store
            .journal_output(action, &self.signed(detail), file, sha256)
    }

    /// Whether `dir` holds a case, without opening it.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file()
    }

    /// Opens a case for writing, creating it if `dir` is new or empty. Fails with
    /// [`Error::CaseLocked`] while another process writes it.
    pub fn open_or_create(dir: &Path, clock: Arc<dyn Clock>) -> Result<Case> {
        Ok(Case::of(Store::open_or_create(dir, clock)?))
    }

    /// Opens an existing case for reading; works while another process writes it.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Case> {
        Ok(Case::of(Store::open(dir, clock)?))
    }

    /// Opens the case in `dir` for writing, or read-only while another process writes it (the
    /// window's way). Without `create`, a folder that holds no case is an error.
    pub fn open_writable_or_read_only(
        dir: &Path,
        clock: Arc<dyn Clock>,
        create: bool,
    ) -> Result<Case> {
        if !create && !Case::exists(dir) {
            return Err(Error::NotACase(dir.to_path_buf()));
        }
        match Case::open_or_create(dir, clock.clone()) {
            // Another writer, or a case on media this process cannot write: read it as it is.
            Err(Error::CaseLocked(_) | Error::Io { .. } | Error::Database(_)) => {
                Case::open(dir, clock)
            }
            other => other,
        }
    }

    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    pub fn id(&self) -> &str {
        self.store.id()
    }

    /// Why the case can only be read (read-only media, no permission): then nothing is
    /// journaled.
    pub fn read_only_reason(&self) -> Option<&str> {
        self.store.read_only_reason()
    }

    pub fn is_writable(&self) -> bool {
        self.store.is_writable()
    }

    /// Events per format and per file, and the time they cover.
    pub fn stats(&self) -> Result<CaseStats> {
        self.store.stats()
    }

    /// The first screen of a case: `stats`, counts of flagged, future-dated and untimed events,
    /// and the last verify's verdicts and worst findings. Not journaled.
    pub fn overview(&self) -> Result<Overview> {
        let stats = self.store.stats()?;
        let count = |query: &str| -> Result<u64> {
            let req = SearchRequest {
                query: query.to_string(),
                limit: 0,
                facet_limit: 0,
                histogram_buckets: 0,
                ..SearchRequest::default()
            };
            Ok(crate::search::run(&self.store, &req)?.total)
        };
        let last = crate::integrity::last_report(&self.store)?;
        let mut worst: Vec<Finding> = last
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.severity > Severity::Info)
            .cloned()
            .collect();
        let findings_above_info = worst.len() as u64;
        // Stable: the engine's order within a severity.
        worst.sort_by_key(|f| std::cmp::Reverse(f.severity));
        worst.truncate(OVERVIEW_FINDINGS);
        let verdicts = match &last {
            Some(r) => [
                Verdict::Tampered,
                Verdict::Cleared,
                Verdict::Gaps,
                Verdict::Verified,
                Verdict::NotCheckable,
            ]
            .into_iter()
            .map(|v| {
                (
                    v,
                    r.sources.iter().filter(|s| s.verdict == v).count() as u64,
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect(),
            None => Vec::new(),
        };
        Ok(Overview {
            events: stats.events,
            formats: stats.formats,
            time_from: stats.time_from,
            time_to: stats.time_to,
            flagged: count("flag:*")?,
            future_dated: count("flag:future_time")?,
            untimed: count("flag:time_missing OR flag:time_unparsed")?,
            verified_at: last.as_ref().map(|r| r.checked_at.clone()),
            verdicts,
            worst,
            findings_above_info,
            detections: crate::detect::fired(&self.store)?,
        })
    }

    /// The files of every completed import, in import order.
    pub fn manifest(&self) -> Result<Vec<ManifestFile>> {
        self.store.manifest()
    }

    /// Where the index's bytes go, per segment, component and field (for the benchmark).
    pub fn space_usage(&self) -> Result<tantivy::space_usage::SearcherSpaceUsage> {
        self.store.space_usage()
    }

    /// Imports `inputs` (files, folders, archives): `import::run`. Journaled.
    pub fn import(
        &self,
        inputs: &[PathBuf],
        options: &ImportOptions,
        progress: &(dyn Fn(&ImportProgress) + Sync),
        cancel: &AtomicBool,
    ) -> Result<ImportReport> {
        let named: Vec<String> = inputs.iter().map(|p| crate::bundle::path_text(p)).collect();
        let journal = |report: &ImportReport| self.import_entry(report, &named, false);
        let report = crate::import::run(&self.store, inputs, options, &journal, progress, cancel)?;
        if report.events > 0 {
            // The window's first search of the new index state, made now (0.3 s at 10M events)
            // so that opening the case shows it at once. A follower's batches skip this: they
            // come every second. Only a head start: the window's own search reports errors.
            let _ = self.page(&SearchRequest::first_screen());
        }
        Ok(report)
    }

    /// What the journal says of an import run (a batch of `watch` when `followed`).
    fn import_entry(
        &self,
        report: &ImportReport,
        inputs: &[String],
        followed: bool,
    ) -> serde_json::Value {
        let mut detail = json!({
            "run": report.run_id,
            "inputs": inputs,
            "events": report.events,
            "skipped": report.skipped,
            "files_imported": report.files_imported,
            "files_duplicate": report.files_duplicate,
            "files_refused": report.files_refused,
            "files_unrecognized": report.files_unrecognized,
            "files_failed": report.files_failed,
        });
        if let (true, Some(map)) = (followed, detail.as_object_mut()) {
            map.insert("followed".to_string(), json!(true));
        }
        self.signed(&detail)
    }

    /// A follower of `paths` (files or folders) into the case: `watch::Follower`. Each batch is
    /// an import run, journaled as one (marked `followed`). The paths are kept in the case.
    pub fn follower(&self, paths: &[PathBuf], options: FollowOptions) -> Result<Follower<'_>> {
        let named: Vec<String> = paths.iter().map(|p| crate::bundle::path_text(p)).collect();
        let journal = move |report: &ImportReport| self.import_entry(report, &named, true);
        Follower::new(&self.store, paths, options, Box::new(journal))
    }

    /// Follows `paths` until `cancel` is set, handing each batch to `on_batch`: `watch::follow`.
    pub fn follow(
        &self,
        paths: &[PathBuf],
        options: FollowOptions,
        on_batch: &mut dyn FnMut(&FollowBatch),
        cancel: &AtomicBool,
    ) -> Result<()> {
        let mut follower = self.follower(paths, options)?;
        crate::watch::follow(&mut follower, on_batch, cancel)
    }

    /// The paths the case follows (set by the last follower).
    pub fn followed_paths(&self) -> Result<Vec<String>> {
        crate::watch::followed_paths(&self.store)
    }

    /// A search a person ran: `search::run`. Journaled (query, filters, range and total) when
    /// the case is writable, so the journal shows what was looked at.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResult> {
        let result = crate::search::run(&self.store, req)?;
        if self.is_writable() {
            let rfc = |t: Option<i64>| t.map(crate::time::format_rfc3339);
            self.journal_in(
                JournalAction::Search,
                &json!({
                    "query": req.query,
                    "filters": req.filters,
                    "from": rfc(req.from),
                    "to": rfc(req.to),
                    "total": result.total,
                }),
            )?;
        }
        Ok(result)
    }

    /// A page of a search already run (scrolling), or counts for a panel: `search::run`, not
    /// journaled.
    pub fn page(&self, req: &SearchRequest) -> Result<SearchResult> {
        crate::search::run(&self.store, req)
    }

    /// One event with its raw record, by id: `search::event`.
    pub fn event(&self, id: &str) -> Result<EventDetail> {
        crate::search::event(&self.store, id)
    }

    /// Where event `id` stands in `req`'s result: `search::position`.
    pub fn position(&self, req: &SearchRequest, id: &str) -> Result<Option<u64>> {
        crate::search::position(&self.store, req, id)
    }

    /// Statistics of `field` over the events `req` selects: `search::stats::field_stats`.
    pub fn field_stats(&self, req: &SearchRequest, field: &str) -> Result<FieldStats> {
        crate::search::stats::field_stats(&self.store, req, field)
    }

    /// The actor's page across sources and aliases: `search::actors::profile`.
    pub fn actor_profile(&self, actor: &str) -> Result<ActorProfile> {
        crate::search::actors::profile(&self.store, actor)
    }

    /// Adds (`on`) or removes a tag on an existing event. Journaled.
    pub fn set_tag(&self, id: &str, tag: &str, on: bool) -> Result<Marks> {
        self.event(id)?;
        let tag = self.store.set_tag(id, tag, on)?;
        let action = if on {
            JournalAction::Tag
        } else {
            JournalAction::Untag
        };
        self.journal_in(action, &json!({ "event": id, "tag": tag }))?;
        self.store.marks(id)
    }

    /// Stars or unstars an existing event. Journaled.
    pub fn set_star(&self, id: &str, on: bool) -> Result<Marks> {
        self.event(id)?;
        self.store.set_star(id, on)?;
        let action = if on {
            JournalAction::Star
        } else {
            JournalAction::Unstar
        };
        self.journal_in(action, &json!({ "event": id }))?;
        self.store.marks(id)
    }

    /// Sets an existing event's markdown note (empty text removes it). Journaled as the note's
    /// SHA-256 and length, which prove what was written without repeating it.
    pub fn set_note(&self, id: &str, note: &str) -> Result<Marks> {
        self.event(id)?;
        let kept = self.store.set_note(id, note)?;
        self.journal_in(
            JournalAction::Note,
            &json!({
                "event": id,
                "sha256": kept.as_deref().map(|n| crate::bundle::sha256_hex(n.as_bytes())),
                "chars": kept.as_deref().map_or(0, |n| n.chars().count()),
            }),
        )?;
        self.store.marks(id)
    }

    /// Sets a tag's colour (`#rrggbb`). Not journaled: it changes how, not what, is marked.
    pub fn set_tag_color(&self, tag: &str, color: &str) -> Result<()> {
        self.store.set_tag_color(tag, color)
    }

    /// Tags in use, with colours and counts.
    pub fn tags(&self) -> Result<Vec<Tag>> {
        self.store.tags()
    }

    pub fn marks(&self, id: &str) -> Result<Marks> {
        self.store.marks(id)
    }

    /// Joins `alias` to `actor`; returns the group. Journaled.
    pub fn add_alias(&self, actor: &str, alias: &str) -> Result<Vec<String>> {
        let canonical = self.store.add_alias(actor, alias)?;
        self.journal_in(
            JournalAction::Alias,
            &json!({ "actor": canonical, "alias": alias.trim() }),
        )?;
        self.store.alias_group(&canonical)
    }

    /// Takes `alias` out of its group. Journaled.
    pub fn remove_alias(&self, alias: &str) -> Result<()> {
        self.store.remove_alias(alias)?;
        self.journal_in(JournalAction::Unalias, &json!({ "alias": alias }))?;
        Ok(())
    }

    /// `actor` and every name joined to it.
    pub fn alias_group(&self, actor: &str) -> Result<Vec<String>> {
        self.store.alias_group(actor)
    }

    /// Saves (or replaces) a search under its name. Journaled.
    pub fn save_search(&self, search: &SavedSearch) -> Result<()> {
        let kept = self.store.save_search(search)?;
        self.journal_in(
            JournalAction::SaveSearch,
            &json!({ "name": kept.name, "query": kept.query }),
        )?;
        Ok(())
    }

    /// Deletes a saved search. Journaled.
    pub fn delete_saved_search(&self, name: &str) -> Result<()> {
        self.store.delete_saved_search(name)?;
        self.journal_in(JournalAction::DeleteSavedSearch, &json!({ "name": name }))?;
        Ok(())
    }

    /// Saved searches by name.
    pub fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        self.store.saved_searches()
    }

    /// The latest distinct searches run, newest first, read from the journal.
    pub fn search_history(&self) -> Result<Vec<SavedSearch>> {
        self.store.search_history()
    }

    /// [`Case::verify_watched`] without public keys, progress or cancel.
    pub fn verify(&self) -> Result<IntegrityReport> {
        self.verify_with(&VerifyOptions::default())
    }

    /// [`Case::verify_watched`] without progress or cancel.
    pub fn verify_with(&self, options: &VerifyOptions) -> Result<IntegrityReport> {
        self.verify_watched(options, &|_| {}, &AtomicBool::new(false))
    }

    /// Runs every integrity check: `integrity::verify`. On a writable case the run is journaled
    /// and its report kept for the window; a cancelled run records nothing.
    pub fn verify_watched(
        &self,
        options: &VerifyOptions,
        progress: &(dyn Fn(&VerifyProgress) + Sync),
        cancel: &AtomicBool,
    ) -> Result<IntegrityReport> {
        let mut report = crate::integrity::verify(&self.store, options, progress, cancel)?;
        if !self.store.can_journal() {
            return Ok(report);
        }
        let counts = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
        let entry = self.journal_out(
            JournalAction::Verify,
            &json!({
                "files_checked": report.files_checked,
                "findings": report.findings.len(),
                "critical": counts(Severity::Critical),
                "warning": counts(Severity::Warning),
                "moved": report.moved,
                "expected_head": options.expect_head.as_ref().map(|h| h.to_string()),
            }),
            None,
            None,
        )?;
        report.journal_head = Some(JournalHead::of(&entry));
        report.journaled = true;
        crate::integrity::keep_report(&self.store, &report)?;
        Ok(report)
    }

    /// Runs the detection rules of `sources` over every event of the case and replaces its
    /// detections: `detect::run`. Journaled. The sources are kept: later imports use them.
    pub fn detect(
        &self,
        sources: &RuleSources,
        progress: &(dyn Fn(&DetectProgress) + Sync),
        cancel: &AtomicBool,
    ) -> Result<DetectReport> {
        let report = crate::detect::run(&self.store, sources, progress, cancel)?;
        let fired: Vec<serde_json::Value> = report
            .detections
            .iter()
            .map(|d| json!({ "rule": d.rule.key(), "count": d.count }))
            .collect();
        self.journal_out(
            JournalAction::Detect,
            &json!({
                "sources": report.sources,
                "rules_loaded": report.rules_loaded,
                "rules_failed": report.rules_failed.len(),
                "events": report.events_checked,
                "fired": fired,
            }),
            None,
            None,
        )?;
        Ok(report)
    }

    /// Every rule that fired in the case, most serious first, with its first events:
    /// `detect::detections`.
    pub fn detections(&self) -> Result<Vec<Detection>> {
        crate::detect::detections(&self.store)
    }

    /// The report of the last run on demand (without its detections): `detect::last_report`.
    pub fn last_detect_report(&self) -> Result<Option<DetectReport>> {
        crate::detect::last_report(&self.store)
    }

    /// Where the case's rules come from (the built-in pack until a run says otherwise).
    pub fn rule_sources(&self) -> Result<RuleSources> {
        crate::detect::case_sources(&self.store)
    }

    /// Each single-event rule of `sources` timed alone over the case's `sample` oldest events,
    /// slowest first: `detect::profile`. Reads only.
    pub fn profile_rules(
        &self,
        sources: &RuleSources,
        sample: usize,
        cancel: &AtomicBool,
    ) -> Result<RuleProfile> {
        crate::detect::profile(&self.store, sources, sample, cancel)
    }

    /// The documents rules see for the first `limit` events `req` selects (with each event's
    /// normalized view when `normalized`): `detect::views`. Reads only.
    pub fn sigma_views(
        &self,
        req: &SearchRequest,
        limit: usize,
        normalized: bool,
    ) -> Result<Vec<SigmaView>> {
        crate::detect::views(&self.store, req, limit, normalized, &AtomicBool::new(false))
    }

    /// The detections on one event, with why each matched: `detect::on_event`.
    pub fn event_detections(&self, id: &str) -> Result<Vec<EventDetection>> {
        crate::detect::on_event(&self.store, id)
    }

    /// The report of the last verify run, if any.
    pub fn last_integrity_report(&self) -> Result<Option<IntegrityReport>> {
        crate::integrity::last_report(&self.store)
    }

    /// The case journal and whether its chain holds.
    pub fn journal(&self) -> Result<JournalCheck> {
        self.store.journal()
    }

    /// The case's own redaction key, made on first use: `export::redaction_key`.
    pub fn redaction_key(&self) -> Result<Vec<u8>> {
        crate::export::redaction_key(&self.store)
    }

    /// Writes the selection to `out` with a manifest beside it: `export::export`. Journaled
    /// when the case is writable.
    pub fn export(
        &self,
        out: &Path,
        options: &ExportOptions,
        progress: &(dyn Fn(&ExportProgress) + Sync),
        cancel: &AtomicBool,
    ) -> Result<ExportManifest> {
        let done = crate::export::export(&self.store, out, options, progress, cancel)?;
        let manifest = done.manifest;
        if self.store.can_journal() {
            self.journal_out(
                JournalAction::Export,
                &json!({
                    "file": out.display().to_string(),
                    "rows": manifest.rows,
                    "sha256": manifest.sha256,
                    "manifest_sha256": done.manifest_sha256,
                    "query": manifest.query,
                    "format": manifest.format,
                    "redaction": manifest.redaction.as_ref().map(|r| r["profile"].clone()),
                }),
                Some(&crate::bundle::path_text(out)),
                Some(&manifest.sha256),
            )?;
        }
        Ok(manifest)
    }

    /// Writes the HTML incident report of `req`'s selection: `export::report::report`.
    /// Journaled when the case is writable.
    pub fn report(&self, out: &Path, req: &SearchRequest) -> Result<ReportSummary> {
        let summary = crate::export::report::report(&self.store, out, req)?;
        if self.store.can_journal() {
            self.journal_out(
                JournalAction::Report,
                &json!({
                    "file": out.display().to_string(),
                    "sha256": summary.sha256,
                    "query": req.query,
                    "events": summary.events,
                }),
                Some(&crate::bundle::path_text(out)),
                Some(&summary.sha256),
            )?;
        }
        Ok(summary)
    }

    /// Evaluates a compliance framework (a built-in id or a framework file's path) over the
    /// events `scope` selects: `compliance::evaluate`. Journaled when the case is writable: a
    /// reviewer looking at the evidence is part of the review trail.
    pub fn compliance(&self, framework: &str, scope: &SearchRequest) -> Result<ComplianceReport> {
        let framework = crate::compliance::framework::find(framework)?;
        let report = crate::compliance::evaluate(&self.store, &framework, scope)?;
        if self.store.can_journal() {
            self.journal_in(JournalAction::Compliance, &compliance_detail(&report, None))?;
        }
        Ok(report)
    }

    /// Evaluates a framework and writes the printable HTML report to `out`:
    /// `compliance::html::write`. Journaled with the file's SHA-256 when the case is writable.
    pub fn compliance_report(
        &self,
        framework: &str,
        scope: &SearchRequest,
        out: &Path,
    ) -> Result<(ComplianceReport, ComplianceFile)> {
        let framework = crate::compliance::framework::find(framework)?;
        let report = crate::compliance::evaluate(&self.store, &framework, scope)?;
        let head = self.store.journal_head()?;
        let sha256 = crate::compliance::html::write(&report, head.as_ref(), out)?;
        if self.store.can_journal() {
            let file = crate::bundle::path_text(out);
            self.journal_out(
                JournalAction::Compliance,
                &compliance_detail(&report, Some((&file, &sha256))),
                Some(&file),
                Some(&sha256),
            )?;
        }
        Ok((
            report,
            ComplianceFile {
                sha256,
                journal_head: head,
            },
        ))
    }
}

/// A compliance report written to a file: its SHA-256 and the journal head the page states.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ComplianceFile {
    pub sha256: String,
    pub journal_head: Option<JournalHead>,
}

fn compliance_detail(report: &ComplianceReport, file: Option<(&str, &str)>) -> serde_json::Value {
    let statuses: serde_json::Map<String, serde_json::Value> = report
        .counts
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    json!({
        "framework": report.framework.id,
        "query": report.scope.query,
        "from": report.scope.from.map(crate::time::format_rfc3339),
        "to": report.scope.to.map(crate::time::format_rfc3339),
        "events": report.events,
        "controls": statuses,
        "file": file.map(|f| f.0),
        "sha256": file.map(|f| f.1),
    })
}

/// The built-in compliance frameworks: `compliance::frameworks`.
pub fn frameworks() -> Vec<FrameworkInfo> {
    crate::compliance::frameworks()
}

/// The operating system user, as the shells name the examiner ([`Case::set_examiner`]).
pub fn os_user() -> Option<String> {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .filter(|u| !u.trim().is_empty())
}

/// Every rule `sources` holds, and the files that did not load: `detect::list_rules`.
pub fn list_rules(sources: &RuleSources) -> (Vec<RuleInfo>, Vec<RuleFailure>) {
    crate::detect::list_rules(sources)
}

/// Refuses an import that cannot start (nothing given, a path that is not there, an unknown
/// format), before anything is created: the CLI checks this before making a case.
pub fn check_import(inputs: &[PathBuf], options: &ImportOptions) -> Result<()> {
    crate::import::check_inputs(inputs, options)
}

/// Names of the formats a user may force, in detection order.
pub fn format_names() -> Vec<String> {
    crate::formats::registry()
        .iter()
        .map(|f| f.name().to_string())
        .collect()
}

/// Normalized query field names, for completion; original key paths are free-form.
pub fn query_fields() -> Vec<String> {
    crate::search::FIELD_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Column names an export offers, in default order.
pub fn export_columns() -> Vec<String> {
    crate::export::columns::names()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Where the manifest of an export written to `out` goes (`FILE.manifest.json`).
pub fn export_manifest_path(out: &Path) -> PathBuf {
    crate::export::manifest_path(out)
}

/// A zone offset as a person types it (`+02:00`, `-05:30`, `UTC`; blank: none), in minutes east
/// of UTC, for [`ImportOptions::zone_minutes`].
pub fn parse_zone(text: &str) -> Result<Option<i32>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    crate::time::parse_offset(text).map(Some).ok_or_else(|| {
        Error::Invalid(format!(
            "{text:?} is not a zone offset; write it like +02:00, -05:30 or UTC"
        ))
    })
}

/// A time as the CLI and the window accept it (RFC 3339 or a bare date), in UTC nanoseconds.
pub fn parse_time(text: &str) -> Result<i64> {
    crate::time::parse_user_time(text)
}

/// UTC nanoseconds as RFC 3339 with as many fraction digits as the time has.
pub fn format_time(nanos: i64) -> String {
    crate::time::format_rfc3339(nanos)
}

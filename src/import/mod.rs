//! Import: a bundle into a case, atomically per run.
//!
//! One thread walks the bundle (hashing, expanding archives, spotting duplicates); worker threads
//! read files into documents; tantivy indexes on its own threads. The run becomes visible in one
//! index commit whose payload names the run, after its manifest is in the case database, so a
//! kill at any point leaves either the whole run or none of it (see `case::db::reconcile`).

mod evtx;
mod file;
#[cfg(feature = "fuzzing")]
pub mod fuzz;
mod pipeline;
mod report;
mod stages;
mod xml;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::indexer::IndexWriterOptions;
use tantivy::{IndexWriter, TantivyDocument};

use crate::bundle::Limits;
use crate::case::followed::RangeRow;
use crate::case::{db, Store};
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::formats::FieldMapping;
use crate::integrity::{id_check, ids};
use crate::model::event::sequence_key;
use crate::model::{Finding, FindingKind, Severity};
use pipeline::Pipeline;
pub use report::{FileReport, FileStatus, ImportReport, KindCount, RecordError, WarningKind};
pub use stages::StageCpu;

/// Settings for one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Read every file as this format instead of detecting it.
    pub format: Option<String>,
    /// Year of the first line of logs that write no year (syslog); inferred when unset.
    pub year: Option<i32>,
    /// Choices for the files whose path matches a pattern; the first matching rule wins.
    pub rules: Vec<FileRule>,
    /// Zone of times written without one, minutes east of UTC (default: UTC).
    pub zone_minutes: Option<i32>,
    /// Column/key choices for the generic formats.
    pub mapping: FieldMapping,
    pub limits: Limits,
    /// Memory for the indexer's buffers, in bytes; the main bound on import memory.
    pub index_memory: usize,
    /// Threads reading files (0: one per core).
    pub readers: usize,
    /// Whether the case's detection rules run on the new events (and correlations after).
    pub detect: bool,
    /// Measure the CPU of each stage into the report's `stages` (the benchmark does).
    pub measure_stages: bool,
    /// When a long run's first events become searchable: a checkpoint commits what is indexed
    /// so far, then again at four times the time each time (2, 8, 32 s, …). `None`: only when
    /// the run completes. A checkpoint's events stay visible only if the run completes.
    pub checkpoint_after: Option<Duration>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            year: None,
            rules: Vec::new(),
            zone_minutes: None,
            mapping: FieldMapping::default(),
            limits: Limits::default(),
            index_memory: 384 << 20,
            readers: 0,
            detect: true,
            measure_stages: false,
            checkpoint_after: Some(Duration::from_secs(2)),
        }
    }
}

/// A choice for some files: those whose path as imported (or file name) matches `pattern`,
/// where `*` matches any run of characters.
#[derive(Debug, Clone, Default)]
pub struct FileRule {
    pub pattern: String,
    pub format: Option<String>,
    pub zone_minutes: Option<i32>,
}

impl ImportOptions {
    /// The format forced for a file: a matching rule's, else the global one.
    pub fn format_for(&self, path: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.format.is_some() && r.matches(path))
            .and_then(|r| r.format.as_deref())
            .or(self.format.as_deref())
    }

    /// The zone for a file's zone-less times: a matching rule's, else the global one.
    pub fn zone_for(&self, path: &str) -> Option<i32> {
        self.rules
            .iter()
            .find(|r| r.zone_minutes.is_some() && r.matches(path))
            .and_then(|r| r.zone_minutes)
            .or(self.zone_minutes)
    }
}

impl FileRule {
    pub fn matches(&self, path: &str) -> bool {
        let name = path.rsplit(['/', '\\', '!']).next().unwrap_or(path);
        glob(&self.pattern, path) || glob(&self.pattern, name)
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Progress of a running import, reported a few times a second.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportProgress {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_seen: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    /// Uncompressed bytes read so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed_ms: u64,
    /// Set once the walk is over and every file is known.
    pub walk_done: bool,
    pub current: Option<String>,
    /// Events of the run already searchable (made visible by its last checkpoint).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub searchable: u64,
}

/// A range of a followed file, imported as one file of a run (by `watch`): its bytes end at a
/// line end, and its records are located in the whole file (offsets and lines count from the
/// file's first byte).
pub struct FileRange {
    /// The followed file's path.
    pub path: String,
    pub bytes: std::sync::Arc<[u8]>,
    pub row: RangeRow,
    /// The format the generation's first range was read as.
    pub format: Option<String>,
    /// What the watcher noticed about the file (truncated, rewritten), kept with the range.
    pub findings: Vec<Finding>,
}

/// What a reader needs of a [`FileRange`] besides its bytes.
pub(crate) struct RangeJob {
    pub row: RangeRow,
    pub format: Option<String>,
    pub findings: Vec<Finding>,
}

/// Imports `inputs` (files, directories, archives) into the store. Returns the report of the
/// run; on cancel, nothing of the run is kept and [`Error::Cancelled`] is returned. The run's
/// journal entry (`journal` makes its detail) is written with its manifest, before it becomes
/// visible (see [`commit`]).
pub fn run(
    store: &Store,
    inputs: &[PathBuf],
    options: &ImportOptions,
    journal: &dyn Fn(&ImportReport) -> serde_json::Value,
    progress: &(dyn Fn(&ImportProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    check_inputs(inputs, options)?;
    let parts = Parts {
        inputs,
        ranges: Vec::new(),
        detector: None,
        live: None,
        writer: None,
    };
    run_with_ranges(store, parts, options, journal, progress, cancel)
}

/// What one run imports: inputs (files, folders, archives; possibly none), ranges of followed
/// files, and the case's rules when the caller holds them compiled (a follower does, batch after
/// batch; else they are loaded for the run).
pub struct Parts<'p> {
    pub inputs: &'p [PathBuf],
    pub ranges: Vec<FileRange>,
    pub detector: Option<&'p Detector>,
    /// The correlations' windows a follower keeps between batches (with its `detector`).
    pub live: Option<&'p mut crate::detect::Live>,
    /// An index writer the caller keeps between runs (see [`new_writer`]); else the run makes
    /// its own and waits for its merges at the end.
    pub writer: Option<&'p mut Writer>,
}

/// The case's index writer, as a run uses it.
pub type Writer = IndexWriter<TantivyDocument>;

/// A writer sized as an import with `options` sizes its own.
///
/// One merge thread, not tantivy's four: a merge maps its sources, and two merges of full-size
/// segments at once (tantivy offers committed and uncommitted segments apart, so a checkpoint
/// lets each group start one) took a 10M import's peak RSS to 1.15–1.23 GB in two runs (0.89 GB
/// in others). Queued, they run one after the other: 0.91–1.03 GB. On two cores the four merge
/// threads never had cores of their own.
pub fn new_writer(store: &Store, options: &ImportOptions) -> Result<Writer> {
    let threads = reader_threads(options).clamp(1, 8);
    let budget = options.index_memory.max((threads * 16) << 20);
    let writer = store.index.writer_with_options(
        IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(budget / threads)
            .num_merge_threads(1)
            .build(),
    )?;
    writer.set_merge_policy(Box::new(crate::index::Merges::new()));
    Ok(writer)
}

fn reader_threads(options: &ImportOptions) -> usize {
    if options.readers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        options.readers
    }
}

/// A run's writer: its own, or lent by the caller.
enum Held<'w> {
    // Boxed: one per run, and the enum stays a pointer wide.
    Own(Box<Writer>),
    Lent(&'w mut Writer),
}

impl Held<'_> {
    fn get(&mut self) -> &mut Writer {
        match self {
            Held::Own(w) => w,
            Held::Lent(w) => w,
        }
    }
}

/// [`run`] of `inputs` (possibly none) and of ranges of followed files, in one run. Ranges are not
/// refused as duplicates by their SHA-256: a log may repeat the same lines.
pub fn run_with_ranges(
    store: &Store,
    parts: Parts,
    options: &ImportOptions,
    journal: &dyn Fn(&ImportReport) -> serde_json::Value,
    progress: &(dyn Fn(&ImportProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    store.check_writable_for("an import")?;
    let started = Instant::now();
    let stages = options.measure_stages.then(stages::StageClock::new);
    let (run_id, first_file_id, known) = {
        let db = store.db();
        (
            db::begin_run(&db, &store.now_text())?,
            db::next_file_id(&db)?,
            db::imported_hashes(&db)?,
        )
    };
    let threads = reader_threads(options);
    let Parts {
        inputs,
        ranges,
        detector: given,
        live,
        writer: lent,
    } = parts;
    let mut writer = match lent {
        Some(w) => Held::Lent(w),
        None => Held::Own(Box::new(new_writer(store, options)?)),
    };
    // The rules the case's detections were last made with; a rule folder that went away is a
    // failure listed by `detect`, not a failed import.
    let loaded = match (options.detect, given) {
        (true, None) => Some(Detector::load(&crate::detect::case_sources(store)?)),
        _ => None,
    };
    let detector = if options.detect {
        given.or(loaded.as_ref())
    } else {
        None
    };
    let committed = store.committed()?;
    if committed.checkpoint.is_some() {
        // An aborted run of this process could not take back what its checkpoint showed.
        crate::case::commits::drop_checkpointed(writer.get(), &store.fields, committed)?;
    }
    let gate = RwLock::new(writer.get());
    let pipeline = Pipeline {
        store,
        detector,
        writer: &gate,
        options,
        threads,
        run_id,
        first_file_id,
        committed: committed.run,
        progress,
        cancel,
        started,
        stages: stages.as_ref(),
        begun: Mutex::new(Vec::new()),
        checkpoints: AtomicU64::new(0),
    };
    let outcome = pipeline.run(inputs, ranges, known);
    let checkpointed = pipeline.checkpoints.load(Ordering::Relaxed) > 0;
    drop(pipeline);
    // What a checkpoint showed of a run that does not complete is taken back with it.
    let shown = checkpointed.then_some(crate::case::commits::Committed {
        run: committed.run,
        checkpoint: Some((run_id, first_file_id)),
    });
    let (mut files, bytes, spill) = match outcome {
        Ok(files) if !cancel.load(Ordering::Relaxed) => files,
        Ok(_) => return abort(store, writer, run_id, shown, Error::Cancelled),
        Err(e) => return abort(store, writer, run_id, shown, e),
    };
    let merged = match attach_conflicts(store, &mut files, spill, run_id, first_file_id) {
        Ok(merged) => merged,
        Err(e) => return abort(store, writer, run_id, shown, e),
    };
    let mut report =
        ImportReport::from_files(run_id, files, bytes, started.elapsed().as_millis() as u64);
    crate::fault::point("import:indexed");
    crate::fault::point("import:ids_staged");
    let fresh: Vec<crate::detect::Counted> = files_counted(&mut report);
    let stale = crate::detect::correlations_stale(store)?;
    if !fresh.is_empty() {
        crate::detect::correlations_pending(store)?;
    }
    commit(store, writer.get(), run_id, &report, &journal(&report))?;
    // The run and its id file are in place: the files merged into it are duplicates now (a
    // kill before this leaves them, and the next merge drops the repeats).
    for path in merged {
        let _ = std::fs::remove_file(path);
    }
    // A writer of its own is done: its merges are waited for. A lent one goes on merging in the
    // background while its holder imports the next batch.
    if let Held::Own(w) = writer {
        w.wait_merging_threads()?;
    }
    store.reader.reload()?;
    if let Some(detector) = detector {
        // Correlations see the whole case: a window may have begun in an earlier import.
        crate::detect::correlate_after_import(store, detector, fresh, stale, live, cancel)?;
        report.detections = crate::detect::fired(store)?;
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    report.stages = stages.map(|s| s.per_event(report.events));
    Ok(report)
}

/// The files' events a correlation counts, taken out of the report.
fn files_counted(report: &mut ImportReport) -> Vec<crate::detect::Counted> {
    report
        .files
        .iter_mut()
        .flat_map(|f| std::mem::take(&mut f.counted))
        .collect()
}

/// Refuses an import that cannot start: nothing given, a path that is not there, a format name
/// that is not one.
pub fn check_inputs(inputs: &[PathBuf], options: &ImportOptions) -> Result<()> {
    if inputs.is_empty() {
        return Err(Error::Invalid(
            "nothing to import: give at least one file, folder or archive".to_string(),
        ));
    }
    for input in inputs {
        std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
    }
    for name in options
        .format
        .iter()
        .chain(options.rules.iter().filter_map(|r| r.format.as_ref()))
    {
        if crate::formats::by_name(name).is_none() {
            return Err(Error::UnknownFormat(name.clone(), crate::formats::names()));
        }
    }
    Ok(())
}

/// Adds to each file's findings the records whose native id an earlier record (of this import
/// or an earlier one) has with different content, and writes the run's id file, staged until
/// the run is visible (ids of records that are not in the case would raise false conflicts).
/// Returns the earlier id files it holds now.
fn attach_conflicts(
    store: &Store,
    files: &mut [FileReport],
    spill: id_check::Spill,
    run_id: u64,
    first_file_id: u64,
) -> Result<Vec<PathBuf>> {
    let mut paths: HashMap<u64, String> = files
        .iter()
        .filter_map(|f| Some((f.file_id?, f.path.clone())))
        .collect();
    // Earlier files are looked up only for the conflicts found (at most a few hundred).
    let mut path_of = |id: u64| {
        if let Some(path) = paths.get(&id) {
            return path.clone();
        }
        let path = db::file_context(&store.db(), id)
            .ok()
            .flatten()
            .map_or_else(|| format!("file {id}"), |(path, ..)| path);
        paths.insert(id, path.clone());
        path
    };
    let staged = store.staged_path(run_id, &ids::file_name(run_id));
    let checked = id_check::check(
        store.dir(),
        spill,
        sequence_key(first_file_id, 0),
        &staged,
        &mut path_of,
    )?;
    for (file_id, finding) in checked.conflicts {
        if let Some(f) = files.iter_mut().find(|f| f.file_id == Some(file_id)) {
            f.findings.push(finding);
        }
    }
    if let Some(f) = files.iter_mut().find(|f| f.file_id.is_some()) {
        for (path, e) in checked.unreadable {
            let detail = format!(
                "the record ids of earlier imports in {} could not be read ({e}); this import's records were not compared with them",
                crate::bundle::path_text(&path)
            );
            f.findings.push(Finding::about_file(
                FindingKind::DuplicateCheckIncomplete,
                Severity::Info,
                &f.path,
                detail,
            ));
        }
    }
    Ok(checked.merged)
}

/// Writes the run's manifest, findings and journal entry in one transaction, then makes it
/// visible in one index commit whose payload names the run, then moves its staged files into
/// place. A kill between any two steps is settled by the next open (`case::db::reconcile`):
/// visible runs are exactly those the index commit names, each journaled with its files, and a
/// run cut off before it is journaled again as interrupted.
fn commit(
    store: &Store,
    writer: &mut IndexWriter<TantivyDocument>,
    run_id: u64,
    report: &ImportReport,
    journal_detail: &serde_json::Value,
) -> Result<()> {
    let rows = manifest_rows(store, report)?;
    let findings: Vec<(u64, &Finding)> = report
        .files
        .iter()
        .flat_map(|f| f.findings.iter().map(|x| (f.file_id.unwrap_or(0), x)))
        .collect();
    let json = serde_json::to_string(report)
        .map_err(|e| Error::Internal(format!("report not serializable: {e}")))?;
    let entry = db::RunEntry {
        at: &store.now_text(),
        detail: journal_detail,
    };
    // The run's hits are in the case already (`Pipeline::write_hits`), tagged with the run.
    db::record_run(
        &mut store.db(),
        run_id,
        &rows,
        &findings,
        &json,
        &entry,
        (&[], &[]),
    )?;
    crate::fault::point("import:recorded");
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&format!("run:{run_id}"));
    prepared.commit()?;
    crate::fault::point("import:committed");
    db::finish_run(&store.db(), run_id, "complete", &store.now_text())?;
    crate::fault::point("import:finished");
    store.settle_staged(run_id, true)?;
    crate::fault::point("import:settled");
    Ok(())
}

/// The manifest rows of a run's files; files that got no id (refused, duplicate) get a unique
/// row id after the others.
fn manifest_rows<'r>(store: &Store, report: &'r ImportReport) -> Result<Vec<db::FileRow<'r>>> {
    let rows: Vec<db::FileRow> = report
        .files
        .iter()
        .map(|f| db::FileRow {
            id: f.file_id.unwrap_or(0),
            path: &f.path,
            sha256: f.sha256.as_deref(),
            size: f.size,
            format: f.format.as_deref(),
            status: f.status.as_str(),
            events: f.events,
            skipped: f.skipped,
            detail: f.note.as_deref(),
            context: f
                .context
                .as_ref()
                .and_then(|c| serde_json::to_string(c).ok()),
            range: f.range.as_ref(),
        })
        .collect();
    let mut next_free = rows
        .iter()
        .map(|r| r.id)
        .max()
        .unwrap_or(0)
        .max(db::next_file_id(&store.db())?.saturating_sub(1))
        + 1;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            if r.id == 0 {
                r.id = next_free;
                next_free += 1;
            }
            r
        })
        .collect())
}

fn abort(
    store: &Store,
    mut held: Held,
    run_id: u64,
    shown: Option<crate::case::commits::Committed>,
    error: Error,
) -> Result<ImportReport> {
    let writer = held.get();
    let _ = writer.rollback();
    if let Some(shown) = shown {
        // Back to the last checkpoint, which showed some of the run's events: they go too (a
        // failure here is settled by the next run, or when the case is next opened for writing).
        let _ = crate::case::commits::drop_checkpointed(writer, &store.fields, shown);
        let _ = store.reader.reload();
    }
    // Segments the run wrote before it stopped (a full disk, a cancel) are not in any commit:
    // delete them now rather than leave them until the next import.
    let _ = writer.garbage_collect_files().wait();
    drop(held);
    db::finish_run(&store.db(), run_id, "aborted", &store.now_text())?;
    store.settle_staged(run_id, false)?;
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_paths_and_names_with_stars() {
        let rule = |p: &str| FileRule {
            pattern: p.to_string(),
            ..FileRule::default()
        };
        assert!(rule("*.log").matches("/x/auth.log"));
        assert!(rule("auth*").matches("/x/auth.log.1"));
        assert!(rule("/x/*/a*.csv").matches("/x/y/abc.csv"));
        assert!(rule("b.zip!/*.json").matches("b.zip!/in.json"));
        assert!(!rule("*.json").matches("/x/a.jsonl"));
        assert!(!rule("a*a").matches("a"));
    }
}

//! One run's reading: a walker thread feeds files to reader threads, which add documents to the
//! index writer, while the calling thread collects their reports, tells progress and makes
//! checkpoints visible.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, RecvTimeoutError};
use tantivy::TantivyDocument;

use super::file::{read_file, FileJob, ReadContext};
use super::{
    stages, FileRange, FileReport, FileStatus, ImportOptions, ImportProgress, RangeJob, Writer,
};
use crate::bundle::{Budget, Content, Entry, Leaf, Walk};
use crate::case::{db, Store};
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::integrity::id_check;

/// How often a run that has shown events lets the case's reader move to the merged segments.
const RELOAD_EVERY: Duration = Duration::from_secs(5);

/// Hits gathered before they are written to the case (about 5 MB of them).
const HITS_PER_WRITE: usize = 100_000;

/// One run's reading: a walker thread feeds files to reader threads, which add documents to
/// the index writer; the calling thread collects reports and tells progress.
pub(super) struct Pipeline<'a, 'w> {
    pub(super) store: &'a Store,
    pub(super) detector: Option<&'a Detector>,
    /// Readers add documents under the read lock; a checkpoint commits under the write lock.
    pub(super) writer: &'a RwLock<&'w mut Writer>,
    pub(super) options: &'a ImportOptions,
    pub(super) threads: usize,
    pub(super) run_id: u64,
    pub(super) first_file_id: u64,
    /// The last run the index made visible before this one.
    pub(super) committed: Option<u64>,
    pub(super) progress: &'a (dyn Fn(&ImportProgress) + Sync),
    pub(super) cancel: &'a AtomicBool,
    pub(super) started: Instant,
    pub(super) stages: Option<&'a stages::StageClock>,
    /// Files begun since the last checkpoint.
    pub(super) begun: Mutex<Vec<db::ReadingRow>>,
    pub(super) checkpoints: AtomicU64,
}

/// Counters the pipeline's threads share.
#[derive(Default)]
struct Tally {
    events: AtomicU64,
    bytes: AtomicU64,
    seen: AtomicU64,
    walk_done: AtomicBool,
}

impl Pipeline<'_, '_> {
    pub(super) fn run(
        &self,
        inputs: &[PathBuf],
        ranges: Vec<FileRange>,
        known: HashMap<String, String>,
    ) -> Result<(Vec<FileReport>, u64, id_check::Spill)> {
        let tally = Tally::default();
        let ctx = ReadContext {
            fields: &self.store.fields,
            limits: &self.options.limits,
            options: self.options,
            cancel: self.cancel,
            events: &tally.events,
            bytes: &tally.bytes,
            now: self
                .store
                .clock
                .now()
                .timestamp_nanos_opt()
                .unwrap_or(i64::MAX),
            detector: self.detector,
            stages: self.stages,
            begun: &self.begun,
        };
        let (job_tx, job_rx) = bounded::<FileJob>(self.threads * 2);
        let (done_tx, done_rx) = unbounded::<Result<FileReport>>();
        std::thread::scope(|scope| {
            let walker_done = done_tx.clone();
            let tally = &tally;
            let walker =
                scope.spawn(move || self.walk(inputs, ranges, known, tally, job_tx, walker_done));
            for _ in 0..self.threads {
                let job_rx = job_rx.clone();
                let done_tx = done_tx.clone();
                let ctx = &ctx;
                scope.spawn(move || {
                    for job in job_rx {
                        let mut sink = |doc: TantivyDocument| {
                            let writer = self.writer.read().map_err(|_| poisoned())?;
                            writer.add_document(doc).map(|_| ()).map_err(Error::from)
                        };
                        let result = read_file(ctx, job, &mut sink);
                        let failed = result.is_err();
                        let _ = done_tx.send(result);
                        if failed {
                            self.cancel.store(true, Ordering::Relaxed);
                        }
                    }
                });
            }
            drop(done_tx);
            drop(job_rx);
            let (reports, spill, first_error) = self.collect(&done_rx, tally);
            let walk_result = walker
                .join()
                .unwrap_or_else(|_| Err(Error::Internal("bundle walk panicked".to_string())));
            if let Some(e) = first_error {
                return Err(e);
            }
            walk_result?;
            Ok((reports, tally.bytes.load(Ordering::Relaxed), spill))
        })
    }

    /// Walks the inputs, reporting refused files and duplicates of files already in the case at
    /// once and sending every other file to the readers with its file id.
    fn walk(
        &self,
        inputs: &[PathBuf],
        ranges: Vec<FileRange>,
        mut known: HashMap<String, String>,
        tally: &Tally,
        jobs: crossbeam_channel::Sender<FileJob>,
        done: crossbeam_channel::Sender<Result<FileReport>>,
    ) -> Result<()> {
        let mut next_id = self.first_file_id;
        for range in ranges {
            let size = range.bytes.len() as u64;
            let job = FileJob {
                leaf: Leaf {
                    path: range.path,
                    sha256: crate::bundle::sha256_hex(&range.bytes),
                    size,
                    content: Content::Memory(range.bytes),
                    budget: std::sync::Arc::new(Budget::new(size, &self.options.limits)),
                },
                file_id: next_id,
                order: tally.seen.fetch_add(1, Ordering::Relaxed),
                range: Some(RangeJob {
                    row: range.row,
                    format: range.format,
                    findings: range.findings,
                }),
            };
            next_id += 1;
            if jobs.send(job).is_err() {
                return Err(Error::Cancelled);
            }
        }
        if inputs.is_empty() {
            tally.walk_done.store(true, Ordering::Relaxed);
            return Ok(());
        }
        let tmp = self.store.tmp_dir();
        let walk = Walk {
            limits: &self.options.limits,
            tmp_dir: &tmp,
            cancel: self.cancel,
            temp_counter: AtomicU64::new(0),
            skip: Some(self.store.dir()),
        };
        let result = walk.run(inputs, &mut |entry| {
            let order = tally.seen.fetch_add(1, Ordering::Relaxed);
            match entry {
                Entry::Refused {
                    path,
                    sha256,
                    reason,
                } => {
                    let mut r = FileReport::new(path, sha256, FileStatus::Refused, order);
                    r.note = Some(reason);
                    let _ = done.send(Ok(r));
                }
                Entry::Leaf(leaf) => {
                    if let Some(first) = known.get(&leaf.sha256) {
                        let mut r = FileReport::new(
                            leaf.path,
                            Some(leaf.sha256),
                            FileStatus::Duplicate,
                            order,
                        );
                        r.note = Some(format!(
                            "same SHA-256 as {first}, already in the case; not imported again"
                        ));
                        let _ = done.send(Ok(r));
                        return Ok(());
                    }
                    known.insert(leaf.sha256.clone(), leaf.path.clone());
                    let job = FileJob {
                        leaf,
                        file_id: next_id,
                        order,
                        range: None,
                    };
                    next_id += 1;
                    if jobs.send(job).is_err() {
                        return Err(Error::Cancelled);
                    }
                }
            }
            Ok(())
        });
        tally.walk_done.store(true, Ordering::Relaxed);
        result
    }

    /// Gathers the file reports as readers finish them, telling progress a few times a second;
    /// returns them with the first error a reader hit.
    fn collect(
        &self,
        done: &crossbeam_channel::Receiver<Result<FileReport>>,
        tally: &Tally,
    ) -> (Vec<FileReport>, id_check::Spill, Option<Error>) {
        let mut reports = Vec::new();
        let mut first_error = None;
        let mut last_current = None;
        let mut next_checkpoint = self.options.checkpoint_after;
        let mut searchable = 0;
        let mut reloaded = Instant::now();
        let mut hits = Vec::new();
        // The records' ids, sorted into scratch files a chunk at a time (320 MB at 10M events).
        let mut spill = id_check::Spill::new(&self.store.tmp_dir(), self.run_id);
        loop {
            match done.recv_timeout(Duration::from_millis(200)) {
                Ok(Ok(mut report)) => {
                    last_current = Some(report.path.clone());
                    // Taken, not appended: `append` leaves the report its emptied vectors'
                    // capacity, kept with the report to the run's end (32 KB a file, 266 MB of
                    // dead id space at 10M events).
                    hits.extend(std::mem::take(&mut report.hits));
                    // After a failure the run is cancelled: its ids are not kept.
                    if first_error.is_none() {
                        if let Err(e) = spill.add(std::mem::take(&mut report.ids)) {
                            first_error = Some(e);
                            self.cancel.store(true, Ordering::Relaxed);
                        }
                    }
                    reports.push(report);
                }
                Ok(Err(e)) => {
                    if first_error.is_none() && !matches!(e, Error::Cancelled) {
                        first_error = Some(e);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if hits.len() >= HITS_PER_WRITE && first_error.is_none() {
                if let Err(e) = self.write_hits(&mut hits) {
                    first_error = Some(e);
                    self.cancel.store(true, Ordering::Relaxed);
                }
            }
            let due = next_checkpoint.is_some_and(|at| self.started.elapsed() >= at);
            if due && first_error.is_none() && tally.events.load(Ordering::Relaxed) > 0 {
                match self.checkpoint() {
                    Ok(n) => searchable = n,
                    Err(e) => {
                        first_error = Some(e);
                        self.cancel.store(true, Ordering::Relaxed);
                    }
                }
                next_checkpoint = next_checkpoint.map(|at| at.max(Duration::from_millis(250)) * 4);
                reloaded = Instant::now();
            }
            if searchable > 0 && reloaded.elapsed() >= RELOAD_EVERY {
                // The reader a checkpoint opened maps the segments it saw; the writer's merges
                // read them through the same maps, so held past their merge their pages stayed
                // resident (1.2 GB of RSS at 10M events, against 0.6 GB without checkpoints).
                // Readers see the same events; a failed reload only leaves the older segments.
                let _ = self.store.reader.reload();
                reloaded = Instant::now();
            }
            (self.progress)(&ImportProgress {
                files_seen: tally.seen.load(Ordering::Relaxed),
                files_done: reports.len() as u64,
                events: tally.events.load(Ordering::Relaxed),
                bytes: tally.bytes.load(Ordering::Relaxed),
                elapsed_ms: self.started.elapsed().as_millis() as u64,
                walk_done: tally.walk_done.load(Ordering::Relaxed),
                current: last_current.clone(),
                searchable,
            });
        }
        if first_error.is_none() {
            if let Err(e) = self.write_hits(&mut hits) {
                first_error = Some(e);
            }
        }
        (reports, spill, first_error)
    }

    /// Writes the rules' hits gathered so far, tagged with the run (an aborted run's go with
    /// it): kept until the run's end, the hits of a 10M-event import held 500 MB.
    fn write_hits(&self, hits: &mut Vec<crate::detect::Hit>) -> Result<()> {
        let Some(detector) = self.detector.filter(|_| !hits.is_empty()) else {
            return Ok(());
        };
        let (rules, rows) = crate::detect::rows(detector, hits.iter())?;
        self.store.add_run_hits(self.run_id, &rules, &rows)?;
        hits.clear();
        Ok(())
    }

    /// Makes what is indexed so far searchable before the run completes: the files begun are
    /// recorded (their events are rebuilt with their context), then one index commit whose
    /// payload names the run as checkpointed, not as visible; readers wait meanwhile. Returns
    /// how many of the run's events are searchable.
    fn checkpoint(&self) -> Result<u64> {
        let mut writer = self.writer.write().map_err(|_| poisoned())?;
        let begun = std::mem::take(&mut *self.begun.lock().map_err(|_| poisoned())?);
        db::record_reading(&self.store.db(), self.run_id, &begun)?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(
            &crate::case::commits::Committed {
                run: self.committed,
                checkpoint: Some((self.run_id, self.first_file_id)),
            }
            .payload(),
        );
        prepared.commit()?;
        drop(writer);
        self.checkpoints.fetch_add(1, Ordering::Relaxed);
        crate::fault::point("import:checkpoint");
        self.store.reader.reload()?;
        let searcher = self.store.reader.searcher();
        let query = tantivy::query::RangeQuery::new(
            std::ops::Bound::Included(tantivy::Term::from_field_u64(
                self.store.fields.file_id,
                self.first_file_id,
            )),
            std::ops::Bound::Unbounded,
        );
        Ok(searcher.search(&query, &tantivy::collector::Count)? as u64)
    }
}

fn poisoned() -> Error {
    Error::Internal("an import thread panicked".to_string())
}

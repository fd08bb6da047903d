//! Following live sources: folders that fill and logs that grow are imported batch by batch as
//! they change, with every guarantee an import makes.
//!
//! A followed file is a *generation*: one file on disk (an inode) from its first byte. Each step
//! looks at every followed file and imports, in one run (atomic, one index commit), the complete
//! lines appended to each generation since its last committed range, and the new whole files
//! (archives, gzip, JSON documents) that have stopped changing. Where a generation stands is read
//! from the ranges complete runs hold (`case::followed`), so a watcher killed at any moment
//! resumes exactly where the last committed batch ended.
//!
//! Rotation: a rename keeps the inode (the generation follows it); a copy (copy-and-truncate, a
//! `.gz` of a rotated file) is recognized by its first bytes and then by every range the
//! generation imported, hashed again, and the generation continues in the copy; a file that
//! shrinks or whose imported bytes changed without such a copy is an integrity finding, and what
//! it holds now is imported as a new generation, never silently over the old one.

mod disk;
mod plan;
mod wake;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::case::Store;
use crate::error::{Error, Result};
use crate::import::{ImportOptions, ImportReport};
use crate::model::event::sequence_key;
pub use wake::follow;

/// Settings of a follower.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub import: ImportOptions,
    /// A new whole file (archive, gzip, JSON document) is imported once it has not changed for
    /// this long: a file still being written is not read half.
    pub settle: Duration,
    /// Most bytes of one file a batch imports: a large file becomes searchable a slice at a time.
    pub max_range_bytes: u64,
    /// Levels of the rules whose new hits raise an alert.
    pub alert_levels: Vec<String>,
    /// How long the follower gathers notifications before it looks (bursts become one batch).
    pub debounce: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            // Batches are small: a smaller indexing budget than a bundle import's, kept between
            // batches.
            import: ImportOptions {
                index_memory: 96 << 20,
                ..ImportOptions::default()
            },
            settle: Duration::from_secs(1),
            max_range_bytes: 32 << 20,
            alert_levels: vec!["high".to_string(), "critical".to_string()],
            debounce: Duration::from_millis(150),
        }
    }
}

/// A detection of a rule at an alerting level on an event a batch imported.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Alert {
    pub rule: String,
    pub rule_key: String,
    pub level: String,
    /// Who wrote the rule (Sigma rules name their authors; shown wherever a match is).
    pub author: Option<String>,
    pub event_id: String,
    /// RFC 3339 UTC.
    pub time: Option<String>,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub ip: Option<String>,
    pub file: String,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub line: Option<u64>,
}

/// What one step of the follower imported.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Batch {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skipped: u64,
    /// Ranges of growing files and whole files imported.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ranges: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files: u64,
    /// Integrity findings raised (truncated or rewritten files, sequence gaps, …).
    pub findings: Vec<crate::model::Finding>,
    /// Rotations and files gone, in words.
    pub notes: Vec<String>,
    pub alerts: Vec<Alert>,
    /// Alerts beyond the ones listed (a flood is counted, not listed).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub alerts_more: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed_ms: u64,
    /// RFC 3339 UTC, when the batch became searchable (the case clock).
    pub committed_at: String,
}

/// Most alerts listed per batch.
const MAX_ALERTS: usize = 200;

/// A whole file seen but not imported yet, with when it last changed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
    since: Instant,
}

/// The case's rules as a follower holds them between batches.
struct Rules {
    sources: crate::detect::RuleSources,
    detector: crate::detect::Detector,
    live: crate::detect::Live,
}

/// Makes a batch's journal entry from its import report.
pub type Journal<'s> = Box<dyn Fn(&ImportReport) -> serde_json::Value + 's>;

/// Follows paths into a case, one [`Follower::step`] at a time (see [`follow`] for the loop
/// that notifications drive).
pub struct Follower<'s> {
    store: &'s Store,
    journal: Journal<'s>,
    paths: Vec<PathBuf>,
    /// The case's own folder, never read as evidence.
    case_dir: PathBuf,
    options: FollowOptions,
    /// Whole files waiting to settle.
    waiting: HashMap<PathBuf, Seen>,
    /// Whole files taken in (imported, or duplicates of files in the case), as (path, size).
    taken: HashSet<(String, u64)>,
    /// What each file is, by identity, size and time (reading its head once).
    kinds: HashMap<(u64, u64), disk::Kind>,
    /// Files found to be copies of a generation that still lives: (identity, size) → generation.
    copies: HashMap<((u64, u64), u64), u64>,
    /// The case's rules as last compiled, with the sources they came from and the correlations'
    /// windows.
    rules: Option<Rules>,
    /// The index writer, kept while batches come: merges go on between them instead of being
    /// waited for at each. Let go when idle ([`Follower::rest`]), so that others may write.
    writer: Option<crate::import::Writer>,
}

impl<'s> Follower<'s> {
    /// A follower of `paths` (files or folders, made canonical) into `store`; they become the
    /// paths the case follows (kept, so that a restart without paths follows them again).
    pub fn new(
        store: &'s Store,
        paths: &[PathBuf],
        options: FollowOptions,
        journal: Journal<'s>,
    ) -> Result<Self> {
        store.check_writable_for("following")?;
        let mut absolute = Vec::new();
        for p in paths {
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            if !meta.is_file() && !meta.is_dir() {
                return Err(Error::Invalid(format!(
                    "{} is neither a file nor a folder; follow a log file or a folder of logs",
                    p.display()
                )));
            }
            // Canonical (no `..`, no links), as the case folder is: listed paths are compared with
            // it, and a followed folder may hold the case itself.
            absolute.push(std::fs::canonicalize(p).map_err(|e| Error::io(p, e))?);
        }
        if absolute.is_empty() {
            return Err(Error::Invalid(
                "nothing to follow: give at least one file or folder".to_string(),
            ));
        }
        let texts: Vec<String> = absolute
            .iter()
            .map(|p| crate::bundle::path_text(p))
            .collect();
        crate::case::followed::set_paths(&store.db(), &texts, &store.now_text())?;
        // Every whole file the case has seen, whatever became of it: a restart does not offer
        // an unrecognized or refused file again.
        let taken = store
            .manifest()?
            .into_iter()
            .filter_map(|f| Some((f.path, f.size?)))
            .collect();
        let case_dir = std::fs::canonicalize(store.dir()).map_err(|e| Error::io(store.dir(), e))?;
        Ok(Follower {
            store,
            journal,
            paths: absolute,
            case_dir,
            options,
            waiting: HashMap::new(),
            taken,
            kinds: HashMap::new(),
            copies: HashMap::new(),
            rules: None,
            writer: None,
        })
    }

    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Lets go of the index writer after its merges (nothing came for a while).
    pub fn rest(&mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            w.wait_merging_threads()?;
        }
        Ok(())
    }

    /// Whether a whole file waits to settle: step again after [`FollowOptions::settle`].
    pub fn waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Looks at every followed file and imports what is new as one run. `None` when nothing was.
    pub fn step(&mut self, cancel: &AtomicBool) -> Result<Option<Batch>> {
        let started = Instant::now();
        let mut files = Vec::new();
        for p in &self.paths {
            disk::list(p, &self.case_dir, &mut files);
        }
        // A file that waited to settle and is gone (a temporary name renamed away) waits no more:
        // else the follower would wake for it forever.
        self.waiting
            .retain(|path, _| files.iter().any(|f| &f.path == path));
        let plan = plan::Plan::make(self, files)?;
        if plan.ranges.is_empty() && plan.whole.is_empty() {
            return Ok(None);
        }
        let whole: Vec<PathBuf> = plan.whole.iter().map(|f| f.path.clone()).collect();
        let ranges = plan.ranges.len() as u64;
        self.load_rules()?;
        if self.writer.is_none() {
            let writer = crate::import::new_writer(self.store, &self.options.import)?;
            writer.set_merge_policy(Box::new(crate::index::Merges::following()));
            self.writer = Some(writer);
        }
        let (detector, live) = match self.rules.as_mut() {
            Some(r) => (Some(&r.detector), Some(&mut r.live)),
            None => (None, None),
        };
        let parts = crate::import::Parts {
            inputs: &whole,
            ranges: plan.ranges,
            detector,
            live,
            writer: self.writer.as_mut(),
        };
        let report = crate::import::run_with_ranges(
            self.store,
            parts,
            &self.options.import,
            &*self.journal,
            &|_| {},
            cancel,
        )?;
        for f in &plan.whole {
            self.taken.insert((f.text.clone(), f.size));
            self.waiting.remove(&f.path);
        }
        let (alerts, alerts_more) = self.alerts(&report)?;
        Ok(Some(Batch {
            run_id: report.run_id,
            events: report.events,
            skipped: report.skipped,
            ranges,
            files: whole.len() as u64,
            findings: report
                .files
                .iter()
                .flat_map(|f| f.findings.iter().cloned())
                .collect(),
            notes: plan.notes,
            alerts,
            alerts_more,
            elapsed_ms: started.elapsed().as_millis() as u64,
            committed_at: self.store.now_text(),
        }))
    }

    /// The case's rules, compiled once and again only when the case's rule sources change (a
    /// detection run with other rules while following).
    fn load_rules(&mut self) -> Result<()> {
        if !self.options.import.detect {
            return Ok(());
        }
        let sources = crate::detect::case_sources(self.store)?;
        if self.rules.as_ref().is_none_or(|r| r.sources != sources) {
            let detector = crate::detect::Detector::load(&sources);
            self.rules = Some(Rules {
                sources,
                detector,
                live: crate::detect::Live::default(),
            });
        }
        Ok(())
    }

    /// New hits at an alerting level on the events of `report`'s run.
    fn alerts(&self, report: &ImportReport) -> Result<(Vec<Alert>, u64)> {
        let ids: Vec<u64> = report.files.iter().filter_map(|f| f.file_id).collect();
        let (Some(&lo), Some(&hi)) = (ids.iter().min(), ids.iter().max()) else {
            return Ok((Vec::new(), 0));
        };
        let levels: Vec<&str> = self
            .options
            .alert_levels
            .iter()
            .map(|s| s.as_str())
            .collect();
        let (from, to) = (sequence_key(lo, 0), sequence_key(hi + 1, 0));
        let hits = self.store.hits_between(from, to, &levels, MAX_ALERTS)?;
        let more = if hits.len() < MAX_ALERTS {
            0
        } else {
            self.store.count_hits_between(from, to, &levels)? - MAX_ALERTS as u64
        };
        let mut alerts = Vec::new();
        for (info, seq, _) in hits {
            let rule: crate::detect::RuleInfo = serde_json::from_str(&info)
                .map_err(|e| Error::Corrupt(format!("stored rule unreadable: {e}")))?;
            let id = crate::model::event::event_id(seq >> 32, seq & 0xffff_ffff);
            let row = crate::search::event(self.store, &id)?.row;
            alerts.push(Alert {
                rule_key: rule.key(),
                rule: rule.title,
                level: rule.level,
                author: rule.author,
                event_id: id,
                time: row.time,
                actor: row.actor.identity.name.clone().unwrap_or_default(),
                action: row.action,
                outcome: row.outcome,
                ip: row.ip,
                file: row.file,
                line: row.line,
            });
        }
        Ok((alerts, more))
    }
}

/// The paths a case follows (as `watch` and the window's Follow switch last set them).
pub fn followed_paths(store: &Store) -> Result<Vec<String>> {
    crate::case::followed::paths(&store.db())
}

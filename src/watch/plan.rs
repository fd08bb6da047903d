//! One step's plan: which generation each file on disk is, what each has new, and which whole
//! files are ready. Generations are moved (renames, rotated copies), closed and begun here; the
//! bytes to import are read here, so the run imports exactly what was looked at.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use super::disk::{self, Kind, OnDisk, HEAD_BYTES};
use super::{Follower, Seen};
use crate::case::followed::{
    self, Generation, ImportedRange, NewGeneration, Progress, RangeRow, TAIL_BYTES,
};
use crate::error::{Error, Result};
use crate::import::FileRange;
use crate::model::{Finding, FindingKind, Severity};

/// What a step imports, and what it noticed.
pub(super) struct Plan {
    pub ranges: Vec<FileRange>,
    pub whole: Vec<OnDisk>,
    pub notes: Vec<String>,
    /// Bytes of the ranges planned: a batch holds at most [`BATCH_BYTES`] in memory; what is
    /// left comes in the next batch, at once.
    bytes: u64,
}

/// Most bytes of ranges one batch reads into memory (many files growing at once).
const BATCH_BYTES: u64 = 256 << 20;

/// Why a generation began: the finding it raises, in words.
type Reason = (FindingKind, String);

/// A finding kind by its stored name.
fn kind_named(name: &str) -> Option<FindingKind> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// Why a live generation is not where its bytes were.
enum Lost {
    /// Its inode is gone (deleted, compressed, moved out of the followed paths).
    Vanished,
    /// Its inode holds fewer bytes than it imported.
    Truncated(u64),
    /// Its inode holds different bytes where it imported some.
    Rewritten,
}

/// A generation as the step sees it, with where complete runs left it; its ranges are read only
/// when a file is compared with it (a long-followed file has thousands).
struct Tracked {
    g: Generation,
    progress: Progress,
    ranges: std::cell::OnceCell<Vec<ImportedRange>>,
}

impl Tracked {
    fn end(&self) -> u64 {
        self.progress.end
    }

    fn next_line(&self) -> u64 {
        self.progress.lines + 1
    }

    fn format(&self) -> Option<String> {
        self.progress.format.clone()
    }

    fn has_ranges(&self) -> bool {
        self.progress.ranges > 0
    }

    fn ranges(&self, f: &Follower) -> Result<&[ImportedRange]> {
        if let Some(r) = self.ranges.get() {
            return Ok(r);
        }
        let loaded = followed::ranges(&f.store.db(), self.g.id)?;
        Ok(self.ranges.get_or_init(|| loaded))
    }
}

impl Plan {
    pub(super) fn make(f: &mut Follower, files: Vec<OnDisk>) -> Result<Plan> {
        let mut plan = Plan {
            ranges: Vec::new(),
            whole: Vec::new(),
            notes: Vec::new(),
            bytes: 0,
        };
        let mut tracked = tracked(f)?;
        supersede(f, &mut tracked)?;
        let mut claimed: HashSet<usize> = HashSet::new();
        let lost = plan.place_live(f, &files, &tracked, &mut claimed)?;
        plan.resolve_lost(f, &files, &tracked, lost, &mut claimed)?;
        plan.newcomers(f, &files, &claimed, &tracked)?;
        Ok(plan)
    }

    /// Finds each live generation on disk by its inode and plans what it grew by; returns the
    /// ones that are not where their bytes were.
    fn place_live(
        &mut self,
        f: &Follower,
        files: &[OnDisk],
        tracked: &[Tracked],
        claimed: &mut HashSet<usize>,
    ) -> Result<Vec<(usize, Lost, Option<usize>)>> {
        let limit = f.options.import.limits.max_file_bytes;
        let by_identity: HashMap<(u64, u64), usize> = files
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((d.identity?, i)))
            .collect();
        let mut lost = Vec::new();
        for (t, tr) in tracked.iter().enumerate().filter(|(_, t)| t.g.live) {
            let found = tr.g.identity().and_then(|id| by_identity.get(&id).copied());
            let Some(i) = found else {
                lost.push((t, Lost::Vanished, None));
                continue;
            };
            let d = &files[i];
            let head_ok = head_matches(&tr.g, d, limit);
            if d.text != tr.g.path && !head_ok {
                // The inode was reused by another file.
                lost.push((t, Lost::Vanished, None));
                continue;
            }
            if d.size < tr.end() {
                lost.push((t, Lost::Truncated(d.size), Some(i)));
                continue;
            }
            if !head_ok || !tail_matches(tr, d, limit) {
                lost.push((t, Lost::Rewritten, Some(i)));
                continue;
            }
            claimed.insert(i);
            if d.text != tr.g.path {
                self.notes.push(format!(
                    "{} was renamed to {} (rotation); followed there",
                    tr.g.path, d.text
                ));
                followed::relocate(&f.store.db(), tr.g.id, &d.text, d.identity, false)?;
            }
            if d.size > tr.end() {
                self.range(f, tr, d, tr.end(), false, None)?;
            }
            update_head(f, tr, d)?;
        }
        Ok(lost)
    }

    /// Where each lost generation went: a rotated copy that holds its bytes (followed there; the
    /// inode it left, if any, begins anew), or nowhere (closed; a shrunk or changed inode begins
    /// anew with the finding).
    fn resolve_lost(
        &mut self,
        f: &mut Follower,
        files: &[OnDisk],
        tracked: &[Tracked],
        lost: Vec<(usize, Lost, Option<usize>)>,
        claimed: &mut HashSet<usize>,
    ) -> Result<()> {
        // The inodes of truncated and rewritten files begin new generations; never copies.
        let reborn: HashSet<usize> = lost.iter().filter_map(|(_, _, i)| *i).collect();
        for (t, why, inode) in lost {
            let tr = &tracked[t];
            if let Some(c) = find_copy(f, tr, files, claimed, &reborn)? {
                claimed.insert(c);
                self.rotated(f, tr, &files[c], &why)?;
                // What the rotated file's inode holds now came after the rotation (logrotate's
                // copy-and-truncate, and a writer quick enough to pass the old size: a changed
                // head then), so no finding.
                if let Some(i) = inode {
                    self.begin(f, &files[i], None)?;
                    claimed.insert(i);
                }
                continue;
            }
            followed::close(&f.store.db(), tr.g.id)?;
            let Some(i) = inode else {
                self.notes.push(format!(
                    "{} is gone (deleted or moved away); its {} imported bytes stay in the case",
                    tr.g.path,
                    tr.end()
                ));
                continue;
            };
            claimed.insert(i);
            let reason: Reason = match why {
                Lost::Truncated(size) => (FindingKind::FileTruncated, format!(
                    "{} was truncated under the watcher from {} to {size} bytes, with no rotated copy of it in the followed paths; what it held before stays in the case, what it holds now is imported as a new file",
                    tr.g.path,
                    tr.end()
                )),
                _ => (FindingKind::FileRewritten, format!(
                    "{} was rewritten under the watcher: bytes it held when imported are different now; what it holds now is imported again as a new file",
                    tr.g.path
                )),
            };
            self.begin(f, &files[i], Some(&reason))?;
        }
        Ok(())
    }

    /// Follows `tr` into its rotated copy `d` and plans what the copy holds beyond what was
    /// imported; a gzipped copy is final and closes the generation.
    fn rotated(&mut self, f: &mut Follower, tr: &Tracked, d: &OnDisk, why: &Lost) -> Result<()> {
        let compressed = d.identity.and_then(|id| f.kinds.get(&id)) == Some(&Kind::Gzip);
        let how = match why {
            Lost::Vanished if compressed => " (compressed)",
            Lost::Vanished => "",
            _ => " (copy and truncate)",
        };
        self.notes.push(format!(
            "{} was rotated to {}{how}; followed there",
            tr.g.path, d.text
        ));
        followed::relocate(&f.store.db(), tr.g.id, &d.text, d.identity, compressed)?;
        self.range_rotated(f, tr, d, tr.end(), compressed)?;
        if compressed {
            followed::close(&f.store.db(), tr.g.id)?;
        }
        Ok(())
    }

    /// Files no generation holds: copies of a generation (skipped or continued), new growing
    /// files (new generations), whole files once settled.
    fn newcomers(
        &mut self,
        f: &mut Follower,
        files: &[OnDisk],
        claimed: &HashSet<usize>,
        tracked: &[Tracked],
    ) -> Result<()> {
        for (i, d) in files.iter().enumerate() {
            if claimed.contains(&i) || d.size == 0 {
                continue;
            }
            let Some(kind) = kind_of(f, d) else { continue };
            if let Some(id) = d.identity {
                if f.copies.contains_key(&(id, d.size)) {
                    continue;
                }
            }
            if kind != Kind::Growing && f.taken.contains(&(d.text.clone(), d.size)) {
                continue;
            }
            if kind != Kind::Whole {
                let mut of = None;
                for t in tracked.iter().filter(|t| t.has_ranges()) {
                    if is_copy(f, t, d, kind == Kind::Gzip)? {
                        of = Some(t);
                        break;
                    }
                }
                if let Some(t) = of {
                    // A copy of a file still followed where it is (a `cp`, or copy-and-truncate
                    // before the truncate): it holds nothing new.
                    if let Some(id) = d.identity {
                        f.copies.insert((id, d.size), t.g.id);
                    }
                    continue;
                }
            }
            if kind == Kind::Growing {
                self.begin(f, d, None)?;
                continue;
            }
            if settled(f, d) {
                self.whole.push(d.clone());
            }
        }
        Ok(())
    }

    /// Begins a generation at `d` (from its first byte) and plans its first range.
    fn begin(&mut self, f: &mut Follower, d: &OnDisk, reason: Option<&Reason>) -> Result<()> {
        if d.size == 0 {
            return Ok(());
        }
        let limit = f.options.import.limits.max_file_bytes;
        let head_len = d.size.min(HEAD_BYTES);
        let head = disk::read_span(&d.path, false, 0, head_len, limit)
            .map_err(|e| Error::io(&d.path, e))?;
        let id = followed::create(
            &f.store.db(),
            &NewGeneration {
                path: &d.text,
                device: d.identity.map(|i| i.0),
                inode: d.identity.map(|i| i.1),
                head_len: head.len() as u64,
                head_sha: Some(&disk::sha(&head)),
                reason: reason.map(|r| (r.0.as_str(), r.1.as_str())),
                now: &f.store.now_text(),
            },
        )?;
        let g = followed::generations(&f.store.db())?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or_else(|| Error::Internal(format!("generation {id} not written")))?;
        let tr = Tracked {
            g,
            progress: Progress::default(),
            ranges: Default::default(),
        };
        self.range(f, &tr, d, 0, false, reason)
    }

    /// Plans the next range of `tr` from `start`: up to the last line end (all of it when
    /// `whole`, the file being done), at most `max_range_bytes`.
    fn range(
        &mut self,
        f: &Follower,
        tr: &Tracked,
        d: &OnDisk,
        start: u64,
        whole: bool,
        reason: Option<&Reason>,
    ) -> Result<()> {
        let limit = f.options.import.limits.max_file_bytes;
        let budget = BATCH_BYTES.saturating_sub(self.bytes);
        let slice = f.options.max_range_bytes.min(budget);
        let want = d.size.saturating_sub(start).min(slice);
        if want == 0 {
            return Ok(());
        }
        let mut bytes = disk::read_span(&d.path, false, start, want, limit)
            .map_err(|e| Error::io(&d.path, e))?;
        cut_at_line_end(&mut bytes, whole || want == f.options.max_range_bytes);
        self.push(tr, bytes, start, reason);
        Ok(())
    }

    /// Plans what a rotated copy holds beyond what was imported: all of it, a last line without
    /// its line end too (the writer has moved on).
    fn range_rotated(
        &mut self,
        f: &Follower,
        tr: &Tracked,
        d: &OnDisk,
        start: u64,
        compressed: bool,
    ) -> Result<()> {
        if !compressed {
            return self.range(f, tr, d, start, true, None);
        }
        // What a rotation left beyond the last look is a few lines; a gzipped copy holding
        // more than a slice more is not read whole into memory: its first slice is imported and
        // the rest said.
        let limit = f.options.import.limits.max_file_bytes;
        let slice = f.options.max_range_bytes;
        let mut bytes = disk::read_span(&d.path, true, start, slice + 1, limit)
            .map_err(|e| Error::io(&d.path, e))?;
        if bytes.len() as u64 > slice {
            bytes.truncate(slice as usize);
            cut_at_line_end(&mut bytes, false);
            self.notes.push(format!(
                "{} holds more than {} MiB beyond what was imported of {}; the first {} bytes were imported, import the file for the rest",
                d.text,
                slice >> 20,
                tr.g.path,
                bytes.len()
            ));
        }
        self.push(tr, bytes, start, None);
        Ok(())
    }

    fn push(&mut self, tr: &Tracked, bytes: Vec<u8>, start: u64, reason: Option<&Reason>) {
        if bytes.is_empty() {
            return;
        }
        // A generation begun by a step cut off before its first range committed says why again.
        let stored =
            tr.g.reason
                .as_ref()
                .filter(|_| !tr.has_ranges())
                .and_then(|(kind, text)| Some((kind_named(kind)?, text.clone())));
        let findings: Vec<Finding> = reason
            .cloned()
            .or(stored)
            .map(|(kind, text)| {
                let severity = match kind {
                    FindingKind::FileTruncated => Severity::Warning,
                    _ => Severity::Critical,
                };
                Finding::about_file(kind, severity, &tr.g.path, text)
            })
            .into_iter()
            .collect();
        let lines = memchr::memchr_iter(b'\n', &bytes).count() as u64
            + u64::from(bytes.last() != Some(&b'\n'));
        self.bytes += bytes.len() as u64;
        let tail_from = bytes.len().saturating_sub(TAIL_BYTES as usize);
        let row = RangeRow {
            follow_id: tr.g.id,
            start,
            first_line: tr.next_line(),
            lines,
            tail: disk::sha(&bytes[tail_from..]),
        };
        self.ranges.push(FileRange {
            path: tr.g.path.clone(),
            bytes: Arc::from(bytes),
            row,
            format: tr.format(),
            findings,
        });
    }
}

/// Every generation with where complete runs left it.
fn tracked(f: &Follower) -> Result<Vec<Tracked>> {
    let db = f.store.db();
    let mut progress = followed::progress(&db)?;
    Ok(followed::generations(&db)?
        .into_iter()
        .map(|g| Tracked {
            progress: progress.remove(&g.id).unwrap_or_default(),
            g,
            ranges: Default::default(),
        })
        .collect())
}

/// Keeps the bytes up to the last line end; all of them when `all` (or when no line ends at all
/// in a full slice: one line longer than a slice is cut, and the import reports it).
fn cut_at_line_end(bytes: &mut Vec<u8>, all: bool) {
    match memchr::memrchr(b'\n', bytes) {
        Some(i) => bytes.truncate(i + 1),
        None if all => {}
        None => bytes.clear(),
    }
}

/// Two live generations on one inode: a step was cut off after it began the newer one; the
/// older is closed.
fn supersede(f: &Follower, tracked: &mut [Tracked]) -> Result<()> {
    let mut newest: HashMap<(u64, u64), u64> = HashMap::new();
    for t in tracked.iter().filter(|t| t.g.live) {
        if let Some(id) = t.g.identity() {
            newest.insert(id, t.g.id);
        }
    }
    for t in tracked.iter_mut().filter(|t| t.g.live) {
        let newer = t.g.identity().and_then(|id| newest.get(&id)).copied();
        if newer.is_some_and(|n| n != t.g.id) {
            followed::close(&f.store.db(), t.g.id)?;
            t.g.live = false;
        }
    }
    Ok(())
}

fn kind_of(f: &mut Follower, d: &OnDisk) -> Option<Kind> {
    if let Some(k) = d.identity.and_then(|id| f.kinds.get(&id)) {
        return Some(*k);
    }
    let kind = disk::kind(&d.path).ok().flatten()?;
    if let Some(id) = d.identity {
        f.kinds.insert(id, kind);
    }
    Some(kind)
}

/// Whether a whole file has stopped changing for the settle time (one last written longer ago
/// than that is settled at first sight: copied in with its time, or there before).
fn settled(f: &mut Follower, d: &OnDisk) -> bool {
    let now = Instant::now();
    let settle = f.options.settle;
    let old = d
        .modified
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age >= settle);
    let seen = Seen {
        size: d.size,
        modified: d.modified,
        since: now,
    };
    match f.waiting.get(&d.path) {
        Some(s) if s.size == d.size && s.modified == d.modified => {
            old || now.duration_since(s.since) >= settle
        }
        _ => {
            f.waiting.insert(d.path.clone(), seen);
            old
        }
    }
}

fn head_matches(g: &Generation, d: &OnDisk, limit: u64) -> bool {
    let Some(sha) = &g.head_sha else { return true };
    if g.head_len == 0 {
        return true;
    }
    disk::read_span(&d.path, false, 0, g.head_len, limit)
        .is_ok_and(|b| b.len() as u64 == g.head_len && &disk::sha(&b) == sha)
}

fn tail_matches(tr: &Tracked, d: &OnDisk, limit: u64) -> bool {
    let Some((size, tail)) = &tr.progress.last else {
        return true;
    };
    let len = (*size).min(TAIL_BYTES);
    disk::read_span(&d.path, false, tr.end() - len, len, limit)
        .is_ok_and(|b| disk::sha(&b) == *tail)
}

/// A generation's head grows with the file until it is [`HEAD_BYTES`] long.
fn update_head(f: &Follower, tr: &Tracked, d: &OnDisk) -> Result<()> {
    let end = tr.end();
    if tr.g.head_len >= HEAD_BYTES || end <= tr.g.head_len {
        return Ok(());
    }
    let len = end.min(HEAD_BYTES);
    let limit = f.options.import.limits.max_file_bytes;
    if let Ok(head) = disk::read_span(&d.path, false, 0, len, limit) {
        if head.len() as u64 == len {
            followed::set_head(&f.store.db(), tr.g.id, len, &disk::sha(&head))?;
        }
    }
    Ok(())
}

/// Whether `d` (decompressed when `gz`) begins with every range `t` imported.
fn is_copy(f: &Follower, t: &Tracked, d: &OnDisk, gz: bool) -> Result<bool> {
    let limit = f.options.import.limits.max_file_bytes;
    let Some(sha) = &t.g.head_sha else {
        return Ok(false);
    };
    if !t.has_ranges() || (!gz && d.size < t.end()) {
        return Ok(false);
    }
    let head = disk::read_span(&d.path, gz, 0, t.g.head_len, limit);
    if !head.is_ok_and(|h| h.len() as u64 == t.g.head_len && &disk::sha(&h) == sha) {
        return Ok(false);
    }
    let ranges = t.ranges(f)?;
    let spans: Vec<(u64, u64)> = ranges.iter().map(|r| (r.start, r.size)).collect();
    Ok(match disk::hash_spans(&d.path, gz, &spans, limit) {
        Ok(hashes) => hashes
            .iter()
            .zip(ranges)
            .all(|(h, r)| h.as_deref() == Some(r.sha256.as_str())),
        Err(_) => false,
    })
}

/// A file no generation holds that holds every byte `tr` imported: where it went.
fn find_copy(
    f: &mut Follower,
    tr: &Tracked,
    files: &[OnDisk],
    claimed: &HashSet<usize>,
    reborn: &HashSet<usize>,
) -> Result<Option<usize>> {
    if !tr.has_ranges() {
        return Ok(None);
    }
    for (i, d) in files.iter().enumerate() {
        if claimed.contains(&i) || reborn.contains(&i) || d.size == 0 {
            continue;
        }
        let Some(kind) = kind_of(f, d) else { continue };
        if kind == Kind::Whole {
            continue;
        }
        if is_copy(f, tr, d, kind == Kind::Gzip)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

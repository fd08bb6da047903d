//! Integrity checks: is the evidence whole and unaltered? Each finding is data (kind, severity,
//! file, detail) so the CLI, the window and exports can show and count them.
//!
//! `verify` re-reads the bundle where it was imported from (`file_modified`, `file_missing`),
//! checks CloudTrail digests against the log files and each other (`digest`), measures silences
//! in the index (`silence`), checks the case journal (`journal_broken`), and adds what the import
//! noticed while reading the records (`watch`: sequence gaps, disorder, clearing and disabling
//! events, conflicting duplicates, EVTX checksums), which stays true while the files match.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};

use serde::{Deserialize, Serialize};

use crate::bundle::{Entry, Limits, Walk};
use crate::case::journal::JournalHead;
use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::{Finding, FindingKind, Severity};
pub use digest::DigestCover;
use digest::DigestEvidence;
pub use verdict::{SourceVerdict, Verdict};

mod anchor;
pub mod digest;
pub mod digest_sig;
pub(crate) mod evtx_crc;
pub(crate) mod id_check;
pub(crate) mod ids;
pub mod silence;
mod tamper;
mod verdict;
pub(crate) mod watch;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IntegrityReport {
    pub findings: Vec<Finding>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_checked: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub journal_entries: u64,
    /// The journal's newest entry: after this verify's own entry when it was journaled. Write it
    /// down to prove later that nothing was removed since (`verify --expect-head`).
    #[serde(default)]
    pub journal_head: Option<JournalHead>,
    /// Whether this verify is in the journal (not on a case that cannot be written).
    #[serde(default)]
    pub journaled: bool,
    /// What could not be checked, and why (no digests, no public keys): limits of the proof,
    /// not problems with the evidence.
    #[serde(default)]
    pub notes: Vec<String>,
    /// One verdict per imported file.
    #[serde(default)]
    pub sources: Vec<SourceVerdict>,
    /// CloudTrail log files whose SHA-256 a digest in the bundle lists.
    #[serde(default)]
    pub digest_covered: Vec<DigestCover>,
    /// When the check ran (the case clock), RFC 3339.
    #[serde(default)]
    pub checked_at: String,
    /// Where evidence was read from instead of where it was imported from.
    #[serde(default)]
    pub moved: Vec<Relocation>,
}

/// Evidence that has moved since the import (copied to a vault, another machine): files imported
/// under `from` are read under `to`. Findings still name files as they were imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Relocation {
    pub from: String,
    pub to: String,
}

impl Relocation {
    /// `OLD=NEW`, as given on the command line.
    pub fn parse(text: &str) -> Result<Relocation> {
        let (from, to) = text
            .split_once('=')
            .filter(|(f, t)| !f.is_empty() && !t.is_empty())
            .ok_or_else(|| Error::Invalid(format!("{text:?} is not OLD=NEW")))?;
        Ok(Relocation {
            from: from.trim_end_matches(['/', '\\']).to_string(),
            to: to.trim_end_matches(['/', '\\']).to_string(),
        })
    }

    /// `path` with `from` swapped for `to` (or back), when it lies under it.
    fn swap(list: &[Relocation], path: &str, back: bool) -> String {
        for r in list {
            let (old, new) = if back {
                (&r.to, &r.from)
            } else {
                (&r.from, &r.to)
            };
            if let Some(rest) = path.strip_prefix(old.as_str()) {
                if rest.is_empty() || rest.starts_with(['/', '\\', '!']) {
                    return format!("{new}{rest}");
                }
            }
        }
        path.to_string()
    }
}

/// What `verify` is given besides the case.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// `aws cloudtrail list-public-keys` output, to verify digest signatures.
    pub public_keys: Option<PathBuf>,
    /// Where moved evidence is now.
    pub moved: Vec<Relocation>,
    /// A journal head recorded earlier (by a previous verify, in an export manifest or a
    /// report): verify proves the journal still holds it.
    pub expect_head: Option<JournalHead>,
}

/// How far a `verify` run has got: sources re-read of all.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VerifyProgress {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sources_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sources_total: u64,
    pub current: Option<String>,
}

/// The file a manifest path was read from: the part before the first archive member.
fn source_of(path: &str) -> &str {
    path.split("!/").next().unwrap_or(path)
}

fn critical(kind: FindingKind, file: &str, detail: String) -> Finding {
    Finding::about_file(kind, Severity::Critical, file, detail)
}

/// Runs the integrity checks, reporting progress per source re-read; stops with
/// [`Error::Cancelled`] when `cancel` is set. Paths are re-read as they were imported (or where
/// `options.moved` says they are now); relative paths resolve from the current folder.
pub fn verify(
    store: &Store,
    options: &VerifyOptions,
    progress: &(dyn Fn(&VerifyProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<IntegrityReport> {
    let keys =
        match &options.public_keys {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                Some(digest_sig::parse_public_keys(&text).map_err(|e| {
                    Error::Invalid(format!("public keys in {}: {e}", path.display()))
                })?)
            }
            None => None,
        };
    // Refused files were never read (the walk refuses them again); every other file the
    // import saw is evidence, also the ones no format took (a digest's signature sidecar).
    let files: Vec<_> = store
        .manifest()?
        .into_iter()
        .filter(|f| f.status != "refused" && f.sha256.is_some())
        .collect();
    let mut recheck = Recheck {
        store,
        options,
        cancel,
        formats: formats_of(&files),
        limits: Limits::default(),
        evidence: DigestEvidence::default(),
        findings: Vec::new(),
    };
    // Ranges of followed files are re-read where their generation is now (rotation moves it).
    let followed = crate::case::followed::all_ranges(&store.db())?;
    let ranges: std::collections::HashSet<u64> = followed
        .iter()
        .flat_map(|(_, rs)| rs.iter().map(|r| r.file_id))
        .collect();
    let mut by_source: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for f in files.iter().filter(|f| !ranges.contains(&f.id)) {
        let Some(sha) = &f.sha256 else { continue };
        by_source
            .entry(source_of(&f.path).to_string())
            .or_default()
            .push((f.path.clone(), sha.clone()));
    }
    let total = (by_source.len() + followed.len()) as u64;
    for (done, (g, ranges)) in followed.iter().enumerate() {
        progress(&VerifyProgress {
            sources_done: done as u64,
            sources_total: total,
            current: Some(g.path.clone()),
        });
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        recheck.ranges(g, ranges);
    }
    for (done, (source, expected)) in by_source.iter().enumerate() {
        let done = done + followed.len();
        progress(&VerifyProgress {
            sources_done: done as u64,
            sources_total: total,
            current: Some(source.clone()),
        });
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        recheck.source(source, expected)?;
    }
    if cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Cancelled);
    }
    progress(&VerifyProgress {
        sources_done: total,
        sources_total: total,
        current: None,
    });
    let Recheck {
        mut findings,
        evidence,
        ..
    } = recheck;
    let (digest_findings, notes, digest_covered) = evidence.check(keys.as_deref());
    findings.extend(digest_findings);
    findings.extend(crate::case::db::findings(&store.db())?);
    store.reader.reload()?;
    findings.extend(silence::time_gaps(store, &store.reader.searcher())?);
    let journal = anchor::check(store, options.expect_head.as_ref())?;
    findings.extend(journal.findings);
    let mut notes = notes;
    notes.extend(journal.notes);
    Ok(IntegrityReport {
        sources: verdict::verdicts(&files, &findings, &digest_covered),
        findings,
        files_checked: files.len() as u64,
        journal_entries: journal.check.entries.len() as u64,
        journal_head: journal.check.entries.last().map(|e| JournalHead {
            seq: e.seq,
            hash: e.hash.clone(),
        }),
        journaled: false,
        notes,
        digest_covered,
        checked_at: store.now_text(),
        moved: options.moved.clone(),
    })
}

/// The format each file was read as. A file imported again is a duplicate row without a
/// format; it must not hide the format of its first import (that would switch off the digest
/// check for a re-imported bundle).
fn formats_of(files: &[crate::case::ManifestFile]) -> BTreeMap<String, Option<String>> {
    let mut formats: BTreeMap<String, Option<String>> = BTreeMap::new();
    for f in files {
        let slot = formats.entry(f.path.clone()).or_default();
        if slot.is_none() {
            *slot = f.format.clone();
        }
    }
    formats
}

/// Re-reading the evidence where it is now, one source (a file or an archive) at a time.
struct Recheck<'a> {
    store: &'a Store,
    options: &'a VerifyOptions,
    cancel: &'a AtomicBool,
    /// The format each file was imported as.
    formats: BTreeMap<String, Option<String>>,
    limits: Limits,
    evidence: DigestEvidence,
    findings: Vec<Finding>,
}

impl Recheck<'_> {
    /// Re-walks `source` exactly as the import did (archive members are re-hashed too) and
    /// compares each file it held with the SHA-256 recorded at import.
    fn source(&mut self, source: &str, expected: &[(String, String)]) -> Result<()> {
        let moved = &self.options.moved;
        let path = crate::bundle::path_of(&Relocation::swap(moved, source, false));
        if !path.is_file() {
            let detail = if path.as_os_str() == source {
                format!("{source} is no longer where it was imported from")
            } else {
                format!(
                    "{} does not exist (moved there from {source})",
                    path.display()
                )
            };
            for (file, _) in expected {
                self.findings
                    .push(critical(FindingKind::FileMissing, file, detail.clone()));
            }
            return Ok(());
        }
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        let tmp = self.store.tmp_dir();
        let walk = Walk {
            limits: &self.limits,
            tmp_dir: &tmp,
            cancel: self.cancel,
            temp_counter: AtomicU64::new(0),
            skip: Some(self.store.dir()),
        };
        let (formats, evidence, limits) = (&self.formats, &mut self.evidence, &self.limits);
        walk.run(std::slice::from_ref(&path), &mut |entry| {
            let Entry::Leaf(mut leaf) = entry else {
                return Ok(());
            };
            // Named as imported, wherever it is read from now.
            leaf.path = Relocation::swap(moved, &leaf.path, true);
            let format = formats.get(&leaf.path).cloned().flatten();
            if DigestEvidence::wants(&leaf.path, format.as_deref()) {
                evidence.read(&leaf, format.as_deref(), limits);
            }
            found.insert(leaf.path, leaf.sha256);
            Ok(())
        })?;
        for (file, sha) in expected {
            match found.get(file) {
                None => self.findings.push(critical(
                    FindingKind::FileMissing,
                    file,
                    format!("{source} no longer holds this member"),
                )),
                Some(now) if now != sha => self.findings.push(critical(
                    FindingKind::FileModified,
                    file,
                    format!("SHA-256 was {sha} at import, is {now} now"),
                )),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

impl Recheck<'_> {
    /// Re-hashes each range a followed file's generation imported, where the generation is now
    /// (after renames and rotations): a file that kept growing is checked on what was imported.
    fn ranges(
        &mut self,
        g: &crate::case::followed::Generation,
        ranges: &[crate::case::followed::ImportedRange],
    ) {
        let path = crate::bundle::path_of(&Relocation::swap(&self.options.moved, &g.path, false));
        let spans: Vec<(u64, u64)> = ranges.iter().map(|r| (r.start, r.size)).collect();
        let limit = self.limits.max_file_bytes;
        let hashes = match crate::bundle::span::hash_spans(&path, g.compressed, &spans, limit) {
            Ok(h) => h,
            Err(e) => {
                for r in ranges {
                    let detail = format!("{} cannot be read: {e}", path.display());
                    self.findings
                        .push(critical(FindingKind::FileMissing, &r.path, detail));
                }
                return;
            }
        };
        for (r, now) in ranges.iter().zip(hashes) {
            let at = format!("bytes {}..{} of {}", r.start, r.end(), path.display());
            let detail = match now {
                Some(now) if now == r.sha256 => continue,
                Some(now) => format!("SHA-256 of {at} was {} at import, is {now} now", r.sha256),
                None => format!("{at} are no longer there: the file is shorter"),
            };
            self.findings
                .push(critical(FindingKind::FileModified, &r.path, detail));
        }
    }
}

/// The report of the last `verify` run kept in the case, if any.
pub fn last_report(store: &Store) -> Result<Option<IntegrityReport>> {
    let Some(text) = crate::case::db::meta(&store.db(), LAST_REPORT)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::Corrupt(format!("stored integrity report unreadable: {e}")))
}

/// Keeps `report` as the case's last, for the window to show without running the checks again.
pub fn keep_report(store: &Store, report: &IntegrityReport) -> Result<()> {
    let text = serde_json::to_string(report)
        .map_err(|e| Error::Internal(format!("integrity report not serializable: {e}")))?;
    crate::case::db::set_meta(&store.db(), LAST_REPORT, &text)?;
    Ok(())
}

/// The case metadata key the last report is kept under.
const LAST_REPORT: &str = "last_verify";

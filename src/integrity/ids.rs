//! Native record ids across imports. Every import compares its records' ids with each other and
//! with those of earlier imports: the same CloudTrail `eventID` imported last week from one copy
//! and today from another must say the same thing, or the two copies disagree about what
//! happened.
//!
//! The ids are kept in the case as files of numbers sorted by id (32 bytes a record): one per
//! import run (`record-ids-RUN.bin`), and `record-ids.bin` in cases made before. A later import
//! looks its ids up in each file by binary search (or, when it brings about as many ids as a file
//! holds, reads that file once in order) and writes only its own file: a 100-event import into a
//! case of 10 million events reads a few pages and writes 3 KB, where it read and rewrote 320 MB.
//! When files pile up (many small imports, live following), an import merges the smaller ones
//! into its own file; the largest stay as they are. This module has the files; `id_check` the
//! comparison.

use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::watch::{IdMark, NO_TIME};
use super::{Finding, FindingKind, Severity};
use crate::error::{Error, Result};

/// Conflicts reported per import; beyond this the rest are counted in the last one's detail.
const MAX_CONFLICTS: usize = 200;
const MAGIC: &[u8; 8] = b"SLIDS\x00\x00\x01";
const RECORD: u64 = 32;
/// From this many id files on, an import merges all but the largest [`KEPT_WHOLE`] into its own.
const MERGE_FROM: usize = 8;
const KEPT_WHOLE: usize = 3;

/// The file cases made before per-run files keep every id in.
const LEGACY_NAME: &str = "record-ids.bin";
const PREFIX: &str = "record-ids-";

/// The name of the id file of run `run_id`, in the case folder.
pub(crate) fn file_name(run_id: u64) -> String {
    format!("{PREFIX}{run_id:010}.bin")
}

/// The case's id files, oldest first.
pub(crate) fn files(case_dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(case_dir).map_err(|e| Error::io(case_dir, e))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name == LEGACY_NAME || (name.starts_with(PREFIX) && name.ends_with(".bin"))
        })
        .map(|e| e.path())
        .collect();
    // The legacy file first, then by run.
    out.sort_by_key(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (name != LEGACY_NAME, name)
    });
    Ok(out)
}

/// One id file, read by position.
pub(crate) struct IdFile {
    path: PathBuf,
    file: BufReader<std::fs::File>,
    len: u64,
}

fn decode(r: &[u8]) -> IdMark {
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&r[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    };
    IdMark::new(
        word(0),
        word(1),
        word(2),
        Some(word(3) as i64).filter(|t| *t != NO_TIME),
    )
}

impl IdFile {
    pub(crate) fn open(path: &Path) -> Result<IdFile> {
        let bad = || {
            Error::Invalid(format!(
                "{} is not a record id file of this version or is cut short",
                path.display()
            ))
        };
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut file = BufReader::with_capacity(4096, file);
        let mut magic = [0u8; 8];
        file.read_exact(&mut magic).map_err(|_| bad())?;
        if &magic != MAGIC || size < 8 || (size - 8) % RECORD != 0 {
            return Err(bad());
        }
        Ok(IdFile {
            path: path.to_path_buf(),
            file,
            len: (size - 8) / RECORD,
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    fn at(&mut self, i: u64) -> Result<IdMark> {
        let mut r = [0u8; RECORD as usize];
        self.file
            .seek(SeekFrom::Start(8 + i * RECORD))
            .and_then(|_| self.file.read_exact(&mut r))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(decode(&r))
    }

    /// The earliest record with `key` (records sort by key, then sequence).
    pub(crate) fn first_with(&mut self, key: u64) -> Result<Option<IdMark>> {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.at(mid)?.key < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == self.len {
            return Ok(None);
        }
        Ok(Some(self.at(lo)?).filter(|m| m.key == key))
    }

    /// Every record in order, read through once.
    pub(crate) fn sequential(mut self) -> Result<Sequential> {
        self.file
            .seek(SeekFrom::Start(8))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(Sequential {
            reader: BufReader::with_capacity(1 << 16, self.file.into_inner()),
            left: self.len,
            path: self.path,
        })
    }
}

/// An id file's records in order.
pub(crate) struct Sequential {
    reader: BufReader<std::fs::File>,
    left: u64,
    path: PathBuf,
}

impl Iterator for Sequential {
    type Item = Result<IdMark>;

    fn next(&mut self) -> Option<Result<IdMark>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut r = [0u8; RECORD as usize];
        Some(
            self.reader
                .read_exact(&mut r)
                .map(|_| decode(&r))
                .map_err(|e| Error::io(&self.path, e)),
        )
    }
}

/// Writes an id file in order, through a temporary name so a crash leaves nothing half written;
/// a record met twice (a merge after a kill holds both copies) is written once.
pub(crate) struct MarkWriter {
    partial: PathBuf,
    file: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    last: Option<(u64, u64)>,
}

impl MarkWriter {
    pub(crate) fn create(file: &Path) -> Result<MarkWriter> {
        let partial = file.with_extension("partial");
        let out = std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        out.write_all(MAGIC).map_err(|e| Error::io(&partial, e))?;
        Ok(MarkWriter {
            partial,
            file: file.to_path_buf(),
            out,
            last: None,
        })
    }

    /// Adds `m`, which sorts after every record added before (by key, then sequence).
    pub(crate) fn push(&mut self, m: &IdMark) -> Result<()> {
        if self.last == Some((m.key, m.seq)) {
            return Ok(());
        }
        self.last = Some((m.key, m.seq));
        let mut r = [0u8; RECORD as usize];
        for (i, word) in [m.key, m.content, m.seq, m.raw_time() as u64]
            .into_iter()
            .enumerate()
        {
            r[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        self.out
            .write_all(&r)
            .map_err(|e| Error::io(&self.partial, e))
    }

    /// Puts the file in place; `durable` waits for the disk (a case's file, not a scratch one).
    pub(crate) fn finish(mut self, durable: bool) -> Result<()> {
        self.out
            .flush()
            .and_then(|_| match durable {
                true => self.out.get_ref().sync_all(),
                false => Ok(()),
            })
            .map_err(|e| Error::io(&self.partial, e))?;
        std::fs::rename(&self.partial, &self.file).map_err(|e| Error::io(&self.file, e))
    }
}

impl Drop for MarkWriter {
    /// A writer given up (a failed run) leaves no partial file in the case; after `finish` the
    /// partial name is gone and this does nothing.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

/// Writes `marks` (sorted by key and sequence) as an id file.
pub(crate) fn save(file: &Path, marks: &[IdMark], durable: bool) -> Result<()> {
    let mut out = MarkWriter::create(file)?;
    for m in marks {
        out.push(m)?;
    }
    out.finish(durable)
}

/// Id files that could not be read, with why.
pub(crate) type Unreadable = Vec<(PathBuf, Error)>;

/// The id files an import merges into its own: all but the [`KEPT_WHOLE`] largest once there
/// are [`MERGE_FROM`] (with this import's); `files` keeps the others.
pub(crate) fn to_merge(files: &mut Vec<PathBuf>) -> Vec<PathBuf> {
    if files.len() < MERGE_FROM {
        return Vec::new();
    }
    let mut sized: Vec<(u64, PathBuf)> = files
        .iter()
        .filter_map(|p| Some((IdFile::open(p).ok()?.len(), p.clone())))
        .collect();
    sized.sort();
    sized.truncate(sized.len().saturating_sub(KEPT_WHOLE));
    let merged: Vec<PathBuf> = sized.into_iter().map(|(_, p)| p).collect();
    files.retain(|p| !merged.contains(p));
    merged
}

/// Conflicts found so far: for each record of this import (sequence key at least `first_new`)
/// whose native id an earlier record has with other content, the new record's file id and a
/// finding naming both. Earlier records were compared among themselves when they were imported.
pub(crate) struct Conflicts {
    first_new: u64,
    found: Vec<(u64, Finding)>,
    more: u64,
}

impl Conflicts {
    pub(crate) fn new(first_new: u64) -> Conflicts {
        Conflicts {
            first_new,
            found: Vec::new(),
            more: 0,
        }
    }

    /// Compares `other` with `first`, the earliest record of its id.
    pub(crate) fn compare(
        &mut self,
        first: &IdMark,
        other: &IdMark,
        path_of: &mut dyn FnMut(u64) -> String,
    ) {
        if other.seq < self.first_new || other.seq == first.seq || other.content == first.content {
            return;
        }
        if self.found.len() >= MAX_CONFLICTS {
            self.more += 1;
            return;
        }
        let seq_id = |seq: u64| crate::model::event::event_id(seq >> 32, seq & 0xffff_ffff);
        let (a, b) = (seq_id(first.seq), seq_id(other.seq));
        let earlier = if first.seq < self.first_new {
            " imported earlier"
        } else {
            ""
        };
        let first_path = path_of(first.seq >> 32);
        self.found.push((
            other.seq >> 32,
            Finding {
                kind: FindingKind::DuplicateConflict,
                severity: Severity::Warning,
                file: Some(path_of(other.seq >> 32)),
                detail: format!(
                    "event {b} has the same native id as event {a} ({first_path}{earlier}) but different content"
                ),
                source: None,
                events: vec![a, b],
                from: first.time(),
                to: other.time(),
            },
        ));
    }

    pub(crate) fn finish(mut self) -> Vec<(u64, Finding)> {
        let more = self.more;
        if let Some((_, last)) = self.found.last_mut().filter(|_| more > 0) {
            last.detail
                .push_str(&format!("; {more} more conflicting records are not listed"));
        }
        self.found
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn mark(key: u64, content: u64, file: u64, ordinal: u64) -> IdMark {
        IdMark::new(
            key,
            content,
            crate::model::event::sequence_key(file, ordinal),
            (ordinal > 0).then_some(ordinal as i64 * 1000),
        )
    }

    pub(crate) fn plain(marks: &[IdMark]) -> Vec<(u64, u64, u64, Option<i64>)> {
        marks
            .iter()
            .map(|m| (m.key, m.content, m.seq, m.time()))
            .collect()
    }

    pub(crate) fn read(file: &Path) -> Vec<IdMark> {
        IdFile::open(file)
            .and_then(|f| f.sequential())
            .and_then(|marks| marks.collect())
            .expect("read id file")
    }

    #[test]
    fn a_file_round_trips_once_per_record_and_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(file_name(1));
        let marks = vec![mark(1, 2, 1, 0), mark(1, 2, 1, 0), mark(3, 4, 2, 7)];
        save(&file, &marks, true).expect("save");
        assert_eq!(plain(&read(&file)), plain(&marks[1..]));
        let mut f = IdFile::open(&file).expect("open");
        assert_eq!(
            f.first_with(3).expect("find").map(|m| m.seq),
            Some(marks[2].seq)
        );
        assert!(f.first_with(2).expect("find").is_none());
        let bytes = std::fs::read(&file).expect("read");
        std::fs::write(&file, &bytes[..bytes.len() - 5]).expect("cut");
        assert!(IdFile::open(&file).is_err());
    }

    #[test]
    fn a_writer_given_up_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(file_name(1));
        let mut out = MarkWriter::create(&file).expect("create");
        out.push(&mark(1, 2, 1, 1)).expect("push");
        drop(out);
        assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none());
    }

    #[test]
    fn with_many_files_all_but_the_largest_three_are_merged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut files = Vec::new();
        for run in 1..=8u64 {
            let n = if run <= 3 { 100 } else { 3 };
            let marks: Vec<IdMark> = (0..n).map(|i| mark(i, 1, run, i + 1)).collect();
            files.push(dir.path().join(file_name(run)));
            save(files.last().expect("file"), &marks, false).expect("save");
        }
        let merged = to_merge(&mut files);
        assert_eq!(merged.len(), 5);
        assert_eq!(files.len(), 3);
        assert!(files
            .iter()
            .all(|f| IdFile::open(f).expect("open").len() == 100));
        let mut few = files[..2].to_vec();
        assert!(to_merge(&mut few).is_empty());
    }
}

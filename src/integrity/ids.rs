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
//! into its own file; the largest stay as they are.

use std::collections::HashMap;
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
    fn first_with(&mut self, key: u64) -> Result<Option<IdMark>> {
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

    /// Every record in order.
    fn for_each(&mut self, f: &mut dyn FnMut(IdMark)) -> Result<()> {
        self.file
            .seek(SeekFrom::Start(8))
            .map_err(|e| Error::io(&self.path, e))?;
        let mut reader = BufReader::with_capacity(1 << 16, self.file.get_mut());
        let mut r = [0u8; RECORD as usize];
        for _ in 0..self.len {
            reader
                .read_exact(&mut r)
                .map_err(|e| Error::io(&self.path, e))?;
            f(decode(&r));
        }
        // The outer reader's buffer is stale now; `at` seeks from the start, which drops it.
        Ok(())
    }

    /// For each of `keys` (sorted, distinct) found here, its earliest record.
    pub(crate) fn earliest(&mut self, keys: &[u64]) -> Result<Vec<IdMark>> {
        let mut out = Vec::new();
        // A lookup costs about log2(len) reads; reading the file once costs len / 128 pages.
        let probes = keys.len() as u64 * (64 - self.len.leading_zeros() as u64 + 1);
        if probes < self.len / 128 {
            for &key in keys {
                if let Some(m) = self.first_with(key)? {
                    out.push(m);
                }
            }
            return Ok(out);
        }
        let mut next = keys.iter().peekable();
        let mut last = None;
        self.for_each(&mut |m| {
            while next.peek().is_some_and(|k| **k < m.key) {
                next.next();
            }
            if next.peek() == Some(&&m.key) && last != Some(m.key) {
                last = Some(m.key);
                out.push(m);
            }
        })?;
        Ok(out)
    }

    /// Every record, for a merge.
    pub(crate) fn all(&mut self) -> Result<Vec<IdMark>> {
        let mut out = Vec::with_capacity(self.len as usize);
        self.for_each(&mut |m| out.push(m))?;
        Ok(out)
    }
}

/// Writes `marks` (sorted by key and sequence), through a temporary file so a crash leaves
/// nothing half written.
pub(crate) fn save(file: &Path, marks: &[IdMark]) -> Result<()> {
    let partial = file.with_extension("partial");
    let out = std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?;
    let mut out = std::io::BufWriter::new(out);
    let write = |out: &mut std::io::BufWriter<std::fs::File>| -> std::io::Result<()> {
        out.write_all(MAGIC)?;
        for m in marks {
            out.write_all(&m.key.to_le_bytes())?;
            out.write_all(&m.content.to_le_bytes())?;
            out.write_all(&m.seq.to_le_bytes())?;
            out.write_all(&m.raw_time().to_le_bytes())?;
        }
        out.flush()?;
        out.get_ref().sync_all()
    };
    write(&mut out).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, file).map_err(|e| Error::io(file, e))
}

/// What an import keeps of the ids: its own records, sorted, plus those of the files it merges
/// (which it deletes once the run is visible), and the files it could not read.
pub(crate) struct Kept {
    pub marks: Vec<IdMark>,
    pub merged: Vec<PathBuf>,
}

/// Id files that could not be read, with why.
pub(crate) type Unreadable = Vec<(PathBuf, Error)>;

/// The earliest earlier record of each of `fresh`'s ids, from every id file of the case, and
/// the files that could not be read.
pub(crate) fn earlier(case_dir: &Path, fresh: &mut [IdMark]) -> Result<(Vec<IdMark>, Unreadable)> {
    fresh.sort_unstable_by_key(|m| (m.key, m.seq));
    let mut keys: Vec<u64> = fresh.iter().map(|m| m.key).collect();
    keys.dedup();
    let mut earliest: HashMap<u64, IdMark> = HashMap::new();
    let mut unreadable = Vec::new();
    for path in files(case_dir)? {
        let found = IdFile::open(&path).and_then(|mut f| f.earliest(&keys));
        match found {
            Ok(marks) => {
                for m in marks {
                    earliest
                        .entry(m.key)
                        .and_modify(|e| {
                            if m.seq < e.seq {
                                *e = m
                            }
                        })
                        .or_insert(m);
                }
            }
            Err(e) => unreadable.push((path, e)),
        }
    }
    Ok((earliest.into_values().collect(), unreadable))
}

/// This import's ids to write (sorted), merged with the smaller id files when there are many.
pub(crate) fn to_keep(case_dir: &Path, fresh: Vec<IdMark>) -> Result<Kept> {
    let files = files(case_dir)?;
    let mut marks = fresh;
    let mut merged = Vec::new();
    if files.len() + 1 > MERGE_FROM {
        let mut sized: Vec<(u64, PathBuf)> = files
            .into_iter()
            .filter_map(|p| Some((IdFile::open(&p).ok()?.len(), p)))
            .collect();
        sized.sort();
        sized.truncate(sized.len().saturating_sub(KEPT_WHOLE));
        for (_, path) in sized {
            if let Ok(mut more) = IdFile::open(&path).and_then(|mut f| f.all()) {
                marks.append(&mut more);
                merged.push(path);
            }
        }
    }
    marks.sort_unstable_by_key(|m| (m.key, m.seq));
    // A merge after a kill may meet the same record twice.
    marks.dedup_by_key(|m| (m.key, m.seq));
    Ok(Kept { marks, merged })
}

/// Sorts `marks` (earlier imports' and this one's together) and returns, for each record of this
/// import (sequence key at least `first_new`) whose native id an earlier record has with other
/// content, the new record's file id and a finding naming both. Earlier records were compared
/// among themselves when they were imported.
pub(crate) fn conflicts(
    marks: &mut [IdMark],
    first_new: u64,
    path_of: &dyn Fn(u64) -> String,
) -> Vec<(u64, Finding)> {
    marks.sort_unstable_by_key(|m| (m.key, m.seq));
    let seq_id = |seq: u64| crate::model::event::event_id(seq >> 32, seq & 0xffff_ffff);
    let mut out: Vec<(u64, Finding)> = Vec::new();
    let mut more = 0u64;
    for group in marks.chunk_by(|a, b| a.key == b.key) {
        let first = &group[0];
        for other in &group[1..] {
            if other.seq < first_new || other.content == first.content {
                continue;
            }
            if out.len() >= MAX_CONFLICTS {
                more += 1;
                continue;
            }
            let (a, b) = (seq_id(first.seq), seq_id(other.seq));
            let earlier = if first.seq < first_new {
                " imported earlier"
            } else {
                ""
            };
            out.push((
                other.seq >> 32,
                Finding {
                    kind: FindingKind::DuplicateConflict,
                    severity: Severity::Warning,
                    file: Some(path_of(other.seq >> 32)),
                    detail: format!(
                        "event {b} has the same native id as event {a} ({}{earlier}) but different content",
                        path_of(first.seq >> 32)
                    ),
                    source: None,
                    events: vec![a, b],
                    from: first.time(),
                    to: other.time(),
                },
            ));
        }
    }
    if let Some((_, last)) = out.last_mut().filter(|_| more > 0) {
        last.detail
            .push_str(&format!("; {more} more conflicting records are not listed"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(key: u64, content: u64, file: u64, ordinal: u64) -> IdMark {
        IdMark::new(
            key,
            content,
            crate::model::event::sequence_key(file, ordinal),
            (ordinal > 0).then_some(ordinal as i64 * 1000),
        )
    }

    fn plain(marks: &[IdMark]) -> Vec<(u64, u64, u64, Option<i64>)> {
        marks
            .iter()
            .map(|m| (m.key, m.content, m.seq, m.time()))
            .collect()
    }

    #[test]
    fn a_file_round_trips_and_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(file_name(1));
        let marks = vec![mark(1, 2, 1, 0), mark(3, 4, 2, 7)];
        save(&file, &marks).expect("save");
        let back = IdFile::open(&file).and_then(|mut f| f.all()).expect("load");
        assert_eq!(plain(&back), plain(&marks));
        let bytes = std::fs::read(&file).expect("read");
        std::fs::write(&file, &bytes[..bytes.len() - 5]).expect("cut");
        assert!(IdFile::open(&file).is_err());
    }

    #[test]
    fn lookups_find_the_earliest_record_of_each_id_by_search_or_by_one_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(file_name(1));
        // Ids 0, 2, 4, …: two records each, the earlier with content 1.
        let mut marks: Vec<IdMark> = (0..5000u64)
            .flat_map(|k| [mark(k * 2, 1, 1, k + 1), mark(k * 2, 2, 2, k + 1)])
            .collect();
        marks.sort_unstable_by_key(|m| (m.key, m.seq));
        save(&file, &marks).expect("save");
        let mut f = IdFile::open(&file).expect("open");
        // Few keys: binary search. Many: one pass. Same answers.
        for keys in [
            vec![0, 3, 4, 9998, 9999, 20_000],
            (0..12_000).collect::<Vec<u64>>(),
        ] {
            let found = f.earliest(&keys).expect("lookup");
            let expected: Vec<u64> = keys
                .iter()
                .copied()
                .filter(|k| k % 2 == 0 && *k < 10_000)
                .collect();
            assert_eq!(found.iter().map(|m| m.key).collect::<Vec<_>>(), expected);
            assert!(found.iter().all(|m| m.content == 1 && m.seq >> 32 == 1));
        }
    }

    #[test]
    fn many_small_files_are_merged_into_the_import_s_own_and_the_largest_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        for run in 1..=8u64 {
            let n = if run <= 2 { 100 } else { 3 };
            let marks: Vec<IdMark> = (0..n)
                .map(|i| mark(run * 1000 + i, 1, run, i + 1))
                .collect();
            save(&dir.path().join(file_name(run)), &marks).expect("save");
        }
        let kept = to_keep(dir.path(), vec![mark(5, 1, 9, 1)]).expect("keep");
        // Eight files and this one's: the three largest stay, five small ones merge.
        assert_eq!(kept.merged.len(), 5);
        assert_eq!(kept.marks.len(), 1 + 5 * 3);
        assert!(kept
            .marks
            .windows(2)
            .all(|w| (w[0].key, w[0].seq) < (w[1].key, w[1].seq)));
    }

    #[test]
    fn only_new_records_are_reported_and_against_the_earliest_copy() {
        let first_new = crate::model::event::sequence_key(3, 0);
        let mut marks = vec![
            mark(7, 1, 1, 1),
            mark(7, 2, 2, 1), // earlier conflict: reported by its own import
            mark(7, 1, 3, 5), // same as the earliest: nothing
            mark(7, 9, 3, 6), // differs: reported against 1-1
            mark(8, 5, 3, 7),
            mark(8, 6, 4, 1), // both new: reported against 3-7
        ];
        let found = conflicts(&mut marks, first_new, &|id| format!("f{id}"));
        let summary: Vec<_> = found
            .iter()
            .map(|(file, f)| {
                (
                    *file,
                    f.events.clone(),
                    f.detail.contains("imported earlier"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (3, vec!["1-1".to_string(), "3-6".to_string()], true),
                (4, vec!["3-7".to_string(), "4-1".to_string()], false),
            ]
        );
    }
}

//! An import's record ids compared with each other and with earlier imports' without holding
//! them all: the marks of a 10-million-event import are 320 MB. They are sorted a chunk at a
//! time into scratch files as the files' reports come in ([`Spill`]), then merged in one pass
//! ([`check`]) that looks each id up in the earlier imports' files and writes the run's own id
//! file in the same order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use super::ids::{self, Conflicts, IdFile, MarkWriter, Sequential, Unreadable};
use super::watch::IdMark;
use super::Finding;
use crate::error::Result;

/// Marks sorted and written out at a time: 8 MB (a 10M-event import merges 40 parts at its end).
const CHUNK: usize = 1 << 18;

/// An import's marks as they come, the older ones in sorted scratch files.
pub(crate) struct Spill {
    dir: PathBuf,
    run_id: u64,
    chunk: usize,
    buffer: Vec<IdMark>,
    parts: Vec<PathBuf>,
    total: u64,
}

impl Spill {
    /// Scratch files go in `dir` (the case's `tmp`, emptied whenever the case is opened).
    pub(crate) fn new(dir: &Path, run_id: u64) -> Spill {
        Spill::with_chunk(dir, run_id, CHUNK)
    }

    pub(crate) fn with_chunk(dir: &Path, run_id: u64, chunk: usize) -> Spill {
        Spill {
            dir: dir.to_path_buf(),
            run_id,
            chunk: chunk.max(1),
            buffer: Vec::new(),
            parts: Vec::new(),
            total: 0,
        }
    }

    /// The buffer holds at most a chunk, allocated once: appending past its capacity doubled it
    /// (64 MB held for a chunk of 32 MB).
    pub(crate) fn add(&mut self, marks: Vec<IdMark>) -> Result<()> {
        self.total += marks.len() as u64;
        if !self.buffer.is_empty() && self.buffer.len() + marks.len() > self.chunk {
            self.write_part()?;
        }
        if marks.len() >= self.chunk {
            // One file's marks fill a chunk alone: written from their own vector.
            let held = std::mem::replace(&mut self.buffer, marks);
            self.write_part()?;
            self.buffer = held;
            return Ok(());
        }
        if self.buffer.capacity() < self.chunk {
            self.buffer.reserve_exact(self.chunk - self.buffer.len());
        }
        self.buffer.extend(marks);
        Ok(())
    }

    fn write_part(&mut self) -> Result<()> {
        self.buffer.sort_unstable_by_key(|m| (m.key, m.seq));
        let path = self
            .dir
            .join(format!("ids-{}-{}.part", self.run_id, self.parts.len()));
        self.parts.push(path.clone());
        ids::save(&path, &self.buffer, false)?;
        self.buffer.clear();
        Ok(())
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        for part in &self.parts {
            let _ = std::fs::remove_file(part);
        }
    }
}

/// What [`check`] found.
pub(crate) struct Checked {
    /// Records of this import that disagree with an earlier record of their id: file id, finding.
    pub conflicts: Vec<(u64, Finding)>,
    pub unreadable: Unreadable,
    /// Earlier id files now held by the run's own (deleted once the run is visible).
    pub merged: Vec<PathBuf>,
}

/// Compares the spilled marks (sequence keys from `first_new` on) with each other and with
/// every earlier id file in `case_dir`, and writes them to `out`, sorted, with the smaller
/// earlier files when the case has many. `path_of` names a file id in findings.
pub(crate) fn check(
    case_dir: &Path,
    mut spill: Spill,
    first_new: u64,
    out: &Path,
    path_of: &mut dyn FnMut(u64) -> String,
) -> Result<Checked> {
    let mut files = ids::files(case_dir)?;
    let merged = ids::to_merge(&mut files);
    let mut unreadable = Vec::new();
    let mut earlier: Vec<Cursor> = Vec::new();
    for path in files {
        match IdFile::open(&path).and_then(|f| Cursor::new(f, spill.total)) {
            Ok(c) => earlier.push(c),
            Err(e) => unreadable.push((path, e)),
        }
    }
    let mut sources: Vec<Source> = Vec::new();
    spill.buffer.sort_unstable_by_key(|m| (m.key, m.seq));
    sources.push(Source::Memory(
        std::mem::take(&mut spill.buffer).into_iter(),
    ));
    for path in spill.parts.iter().chain(&merged) {
        sources.push(Source::File(IdFile::open(path)?.sequential()?));
    }
    let mut marks = Merge::new(sources)?;
    let mut writer = MarkWriter::create(out)?;
    let mut conflicts = Conflicts::new(first_new);
    // The earliest record of the current id, and whether earlier files were asked for it.
    let mut first: Option<(IdMark, bool)> = None;
    while let Some(m) = marks.next()? {
        writer.push(&m)?;
        if first.is_none_or(|(f, _)| f.key != m.key) {
            first = Some((m, false));
        }
        let Some((f, asked)) = first.as_mut() else {
            continue;
        };
        if m.seq < first_new {
            continue;
        }
        // Earlier files are asked only for ids this import brings, once each, in order.
        if !*asked {
            *asked = true;
            for cursor in earlier.iter_mut() {
                if let Some(e) = cursor.earliest(m.key)? {
                    if e.seq < f.seq {
                        *f = e;
                    }
                }
            }
        }
        conflicts.compare(&*f, &m, path_of);
    }
    writer.finish(true)?;
    Ok(Checked {
        conflicts: conflicts.finish(),
        unreadable,
        merged,
    })
}

/// An earlier id file, asked for the earliest record of ids in increasing order.
enum Cursor {
    /// Few ids to ask: a binary search each (about log2(len) reads).
    Probe(IdFile),
    /// About as many ids as the file holds: one read in order (len / 128 pages).
    Walk(Sequential, Option<IdMark>),
}

impl Cursor {
    fn new(file: IdFile, asks: u64) -> Result<Cursor> {
        let probes = asks.saturating_mul(64 - file.len().leading_zeros() as u64 + 1);
        if probes < file.len() / 128 {
            return Ok(Cursor::Probe(file));
        }
        Ok(Cursor::Walk(file.sequential()?, None))
    }

    fn earliest(&mut self, key: u64) -> Result<Option<IdMark>> {
        match self {
            Cursor::Probe(file) => file.first_with(key),
            Cursor::Walk(marks, head) => {
                while head.is_none_or(|h| h.key < key) {
                    match marks.next().transpose()? {
                        Some(m) => *head = Some(m),
                        None => return Ok(None),
                    }
                }
                Ok(head.filter(|h| h.key == key))
            }
        }
    }
}

/// Marks sorted by key and sequence.
enum Source {
    Memory(std::vec::IntoIter<IdMark>),
    File(Sequential),
}

impl Source {
    fn next(&mut self) -> Result<Option<IdMark>> {
        match self {
            Source::Memory(marks) => Ok(marks.next()),
            Source::File(marks) => marks.next().transpose(),
        }
    }
}

/// Sorted sources merged into one order.
struct Merge {
    sources: Vec<Source>,
    heads: BinaryHeap<Reverse<(u64, u64, usize)>>,
    marks: Vec<Option<IdMark>>,
}

impl Merge {
    fn new(mut sources: Vec<Source>) -> Result<Merge> {
        let mut heads = BinaryHeap::new();
        let mut marks = Vec::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            let m = s.next()?;
            if let Some(m) = &m {
                heads.push(Reverse((m.key, m.seq, i)));
            }
            marks.push(m);
        }
        Ok(Merge {
            sources,
            heads,
            marks,
        })
    }

    fn next(&mut self) -> Result<Option<IdMark>> {
        let Some(Reverse((_, _, i))) = self.heads.pop() else {
            return Ok(None);
        };
        let out = self.marks[i].take();
        if let Some(m) = self.sources[i].next()? {
            self.heads.push(Reverse((m.key, m.seq, i)));
            self.marks[i] = Some(m);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::ids::tests::{mark, plain, read};
    use crate::integrity::ids::{file_name, save};

    fn run_check(dir: &Path, run: u64, marks: Vec<IdMark>, chunk: usize) -> Checked {
        run_check_grouped(dir, run, marks, chunk, 1)
    }

    /// As an import adds them: `group` marks a file.
    fn run_check_grouped(
        dir: &Path,
        run: u64,
        marks: Vec<IdMark>,
        chunk: usize,
        group: usize,
    ) -> Checked {
        let mut spill = Spill::with_chunk(&dir.join("tmp"), run, chunk);
        std::fs::create_dir_all(dir.join("tmp")).expect("tmp");
        for file in marks.chunks(group) {
            spill.add(file.to_vec()).expect("add");
            // Allocated once, never doubled past a chunk.
            assert!(
                spill.buffer.capacity() <= chunk,
                "the buffer stays within a chunk"
            );
        }
        let first_new = crate::model::event::sequence_key(run, 0);
        let out = dir.join(format!("staged-{run}"));
        let checked =
            check(dir, spill, first_new, &out, &mut |id| format!("f{id}")).expect("check");
        std::fs::rename(&out, dir.join(file_name(run))).expect("place");
        checked
    }

    fn summary(checked: &Checked) -> Vec<(u64, Vec<String>, bool)> {
        checked
            .conflicts
            .iter()
            .map(|(file, f)| {
                (
                    *file,
                    f.events.clone(),
                    f.detail.contains("imported earlier"),
                )
            })
            .collect()
    }

    #[test]
    fn only_new_records_are_reported_and_against_the_earliest_copy() {
        let dir = tempfile::tempdir().expect("tempdir");
        save(&dir.path().join(file_name(1)), &[mark(7, 1, 1, 1)], false).expect("save");
        // An earlier conflict, reported by its own import.
        save(&dir.path().join(file_name(2)), &[mark(7, 2, 2, 1)], false).expect("save");
        let fresh = vec![
            mark(8, 6, 4, 1), // both new: reported against 3-7 (the earlier sequence)
            mark(7, 1, 3, 5), // same as the earliest: nothing
            mark(7, 9, 3, 6), // differs: reported against 1-1
            mark(8, 5, 3, 7),
        ];
        let checked = run_check(dir.path(), 3, fresh, 2);
        assert_eq!(
            summary(&checked),
            vec![
                (3, vec!["1-1".to_string(), "3-6".to_string()], true),
                (4, vec!["3-7".to_string(), "4-1".to_string()], false),
            ]
        );
        assert!(checked.conflicts[0]
            .1
            .detail
            .contains("(f1 imported earlier)"));
        // The run's file holds its own records only, sorted.
        let kept = read(&dir.path().join(file_name(3)));
        let keys: Vec<(u64, u64)> = kept.iter().map(|m| (m.key, m.seq >> 32)).collect();
        assert_eq!(keys, vec![(7, 3), (7, 3), (8, 3), (8, 4)]);
    }

    #[test]
    fn spilled_chunks_give_what_one_sort_in_memory_gives() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Earlier: even ids 0..2000, content 1, probed or walked.
        let earlier: Vec<IdMark> = (0..1000u64).map(|k| mark(k * 2, 1, 1, k + 1)).collect();
        save(&dir.path().join(file_name(1)), &earlier, false).expect("save");
        // New, in a scrambled order: ids 0..3000 (odd and beyond 2000 new), content 1 except
        // every seventh; each id twice, the second copy always agreeing with the first.
        let mut fresh: Vec<IdMark> = (0..3000u64)
            .flat_map(|k| {
                let content = if k % 7 == 0 { 2 } else { 1 };
                [mark(k, content, 2, k + 1), mark(k, content, 3, k + 1)]
            })
            .collect();
        fresh.sort_by_key(|m| (m.key.wrapping_mul(0x9e37_79b9_7f4a_7c15), m.seq));
        let mut expected = fresh.clone();
        expected.sort_by_key(|m| (m.key, m.seq));
        // Conflicts: ids under 2000 that are even and a multiple of 7, each copy; at most 200.
        let conflicting = (0..2000u64).filter(|k| k % 14 == 0).count() * 2;
        // Files of one mark, files that straddle chunks, files larger than a chunk.
        for (chunk, group) in [(1 << 20, 1), (333, 1), (1, 1), (333, 100), (333, 1000)] {
            let sub = tempfile::tempdir().expect("tempdir");
            std::fs::copy(dir.path().join(file_name(1)), sub.path().join(file_name(1)))
                .expect("copy");
            let checked = run_check_grouped(sub.path(), 2, fresh.clone(), chunk, group);
            assert_eq!(
                plain(&read(&sub.path().join(file_name(2)))),
                plain(&expected)
            );
            assert_eq!(checked.conflicts.len(), 200, "chunk {chunk}");
            let last = &checked.conflicts[199].1.detail;
            let more = conflicting - 200;
            assert!(last.ends_with(&format!("; {more} more conflicting records are not listed")));
            assert!(checked
                .conflicts
                .iter()
                .all(|(_, f)| f.events[0].starts_with("1-")));
            assert!(std::fs::read_dir(sub.path().join("tmp"))
                .expect("tmp")
                .next()
                .is_none());
        }
    }

    #[test]
    fn small_files_merged_into_the_run_s_own_still_catch_twins_and_a_damaged_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        for run in 1..=8u64 {
            let n = if run <= 2 { 100 } else { 3 };
            let marks: Vec<IdMark> = (0..n)
                .map(|i| mark(run * 1000 + i, 1, run, i + 1))
                .collect();
            save(&dir.path().join(file_name(run)), &marks, false).expect("save");
        }
        std::fs::write(dir.path().join("record-ids.bin"), b"not ids").expect("damage");
        // A twin of run 5's first record with other content, and one new id.
        let checked = run_check(
            dir.path(),
            9,
            vec![mark(5000, 2, 9, 1), mark(5, 1, 9, 2)],
            1,
        );
        // Nine files: the damaged one cannot be merged, the three largest stay.
        assert_eq!(checked.merged.len(), 5);
        assert_eq!(
            summary(&checked),
            vec![(9, vec!["5-1".to_string(), "9-1".to_string()], true)]
        );
        assert_eq!(checked.unreadable.len(), 1);
        let kept = read(&dir.path().join(file_name(9)));
        assert_eq!(kept.len(), 2 + 5 * 3);
        assert!(kept
            .windows(2)
            .all(|w| (w[0].key, w[0].seq) < (w[1].key, w[1].seq)));
    }
}

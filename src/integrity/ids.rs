//! Native record ids across imports. Every import compares its records' ids with each other and
//! with those of earlier imports, kept in the case as a sorted file of numbers (32 bytes a
//! record): the same CloudTrail `eventID` imported last week from one copy and today from another
//! must say the same thing, or the two copies disagree about what happened.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::watch::IdMark;
use super::{Finding, FindingKind, Severity};
use crate::error::{Error, Result};

/// Conflicts reported per import; beyond this the rest are counted in the last one's detail.
const MAX_CONFLICTS: usize = 200;
const MAGIC: &[u8; 8] = b"SLIDS\x00\x00\x01";
const RECORD: usize = 32;
/// `time` is optional; this stands for "no time" in the file.
const NO_TIME: i64 = i64::MIN;

/// The file, in the case folder, with the ids of the records the case has imported.
pub(crate) const FILE_NAME: &str = "record-ids.bin";

/// Where a case keeps the ids of the records it has imported.
pub(crate) fn path(case_dir: &Path) -> PathBuf {
    case_dir.join(FILE_NAME)
}

/// The ids of earlier imports, sorted by key and event. A case made before ids were kept has
/// none, which is not an error: its earlier records are just not compared.
pub(crate) fn load(file: &Path) -> Result<Vec<IdMark>> {
    let mut bytes = Vec::new();
    match std::fs::File::open(file) {
        Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| Error::io(file, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(file, e)),
    };
    let body = bytes
        .strip_prefix(MAGIC.as_slice())
        .filter(|b| b.len() % RECORD == 0)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{} is not a record id file of this version or is cut short",
                file.display()
            ))
        })?;
    let word = |r: &[u8], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&r[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    };
    Ok(body
        .chunks_exact(RECORD)
        .map(|r| IdMark {
            key: word(r, 0),
            content: word(r, 1),
            seq: word(r, 2),
            time: Some(word(r, 3) as i64).filter(|t| *t != NO_TIME),
        })
        .collect())
}

/// Writes `marks` (sorted) whole, through a temporary file so a crash leaves the old one.
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
            out.write_all(&m.time.unwrap_or(NO_TIME).to_le_bytes())?;
        }
        out.flush()?;
        out.get_ref().sync_all()
    };
    write(&mut out).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, file).map_err(|e| Error::io(file, e))
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
                    from: first.time,
                    to: other.time,
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
        IdMark {
            key,
            content,
            seq: crate::model::event::sequence_key(file, ordinal),
            time: (ordinal > 0).then_some(ordinal as i64 * 1000),
        }
    }

    #[test]
    fn the_file_round_trips_and_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = path(dir.path());
        assert!(load(&file).expect("missing is empty").is_empty());
        let marks = vec![mark(1, 2, 1, 0), mark(3, 4, 2, 7)];
        save(&file, &marks).expect("save");
        let back = load(&file).expect("load");
        assert_eq!(
            back.iter()
                .map(|m| (m.key, m.content, m.seq, m.time))
                .collect::<Vec<_>>(),
            marks
                .iter()
                .map(|m| (m.key, m.content, m.seq, m.time))
                .collect::<Vec<_>>()
        );
        let bytes = std::fs::read(&file).expect("read");
        std::fs::write(&file, &bytes[..bytes.len() - 5]).expect("cut");
        assert!(load(&file).is_err());
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

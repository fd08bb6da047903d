//! Results kept on disk between openings of a case: what took long to make from one state of
//! the index (the whole case's counts at 10M events: a 0.25–0.5 s pass) is read back the next
//! time the case opens in that state, instead of being made again.
//!
//! Each result is a JSON file in `cache/`, named by a hash of its key and holding the key
//! itself, so a hash collision reads as a miss. The files are derived data: the evidence is
//! in the database and the index. A file that cannot be read, parsed or checked is a miss and
//! is made again; writing is best effort (a case on read-only media keeps nothing).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) const CACHE_DIR: &str = "cache";
/// Files kept; the oldest go when a new one is written.
const FILES_KEPT: usize = 16;
/// Largest file read back (the counts of a case of 100,000 files are a few MB).
const MAX_BYTES: u64 = 64 << 20;

#[derive(Serialize, Deserialize)]
struct Kept<T> {
    key: String,
    value: T,
}

fn path(case_dir: &Path, key: &str) -> PathBuf {
    let hash = crate::index::id_hash("kept", key);
    case_dir.join(CACHE_DIR).join(format!("{hash:016x}.json"))
}

/// The value kept under `key`, if a readable file holds exactly that key.
pub(crate) fn load<T: DeserializeOwned>(case_dir: &Path, key: &str) -> Option<T> {
    let path = path(case_dir, key);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let kept: Kept<T> = serde_json::from_slice(&bytes).ok()?;
    (kept.key == key).then_some(kept.value)
}

/// Writes `value` under `key` (a temporary file renamed into place, so a reader never sees half
/// of one), then removes all but the newest [`FILES_KEPT`] files. Failures are ignored: the
/// result is only made again next time.
pub(crate) fn save<T: Serialize>(case_dir: &Path, key: &str, value: &T) {
    let dir = case_dir.join(CACHE_DIR);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let target = path(case_dir, key);
    let tmp = target.with_extension(format!("tmp{}", std::process::id()));
    let kept = Kept {
        key: key.to_string(),
        value,
    };
    let written = serde_json::to_vec(&kept)
        .ok()
        .and_then(|bytes| std::fs::write(&tmp, bytes).ok())
        .and_then(|()| std::fs::rename(&tmp, &target).ok());
    if written.is_none() {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    prune(&dir);
}

fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= FILES_KEPT {
        return;
    }
    // Newest first; equal times by name, so two processes prune alike.
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (_, old) in files.into_iter().skip(FILES_KEPT) {
        let _ = std::fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_value_reads_back_under_its_key_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        save(dir.path(), "a", &vec![1u64, 2, 3]);
        assert_eq!(load::<Vec<u64>>(dir.path(), "a"), Some(vec![1, 2, 3]));
        assert_eq!(load::<Vec<u64>>(dir.path(), "b"), None);
        // Another shape under the same key is a miss, not an error.
        assert_eq!(load::<String>(dir.path(), "a"), None);
        // A file holding another key (a collision, or a file copied over) is a miss.
        std::fs::copy(path(dir.path(), "a"), path(dir.path(), "c")).expect("copy");
        assert_eq!(load::<Vec<u64>>(dir.path(), "c"), None);
        std::fs::write(path(dir.path(), "a"), b"{\"key\":\"a\",\"value\":[1,").expect("cut");
        assert_eq!(load::<Vec<u64>>(dir.path(), "a"), None);
    }

    #[test]
    fn only_the_newest_files_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..FILES_KEPT + 5 {
            save(dir.path(), &format!("key {i}"), &i);
        }
        let left = std::fs::read_dir(dir.path().join(CACHE_DIR))
            .expect("dir")
            .count();
        assert_eq!(left, FILES_KEPT);
        let last = FILES_KEPT + 4;
        assert_eq!(
            load::<usize>(dir.path(), &format!("key {last}")),
            Some(last)
        );
    }
}

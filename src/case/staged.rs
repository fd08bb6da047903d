//! Files a run writes beside the database (the record ids of its imports) are staged under a
//! name that holds the run id, and moved into place only once the run is visible. A kill between
//! the index commit and the move leaves the staged file, which the next open for writing moves
//! or deletes by the run's fate: the case never holds a visible run without its files, nor the
//! files of a run that never became visible.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const STAGED: &str = ".staged-run-";

pub(super) fn path(dir: &Path, run_id: u64, final_name: &str) -> PathBuf {
    dir.join(format!("{final_name}{STAGED}{run_id}"))
}

/// Settles every staged file whose run has ended: moved into place when `ended` says the run
/// completed (`Some(true)`), deleted when it was aborted (`Some(false)`), left while it runs.
pub(super) fn settle(dir: &Path, ended: &dyn Fn(u64) -> Result<Option<bool>>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let Some((final_name, run)) = name.to_str().and_then(|n| n.split_once(STAGED)) else {
            continue;
        };
        let Some(complete) = run.parse().ok().map(ended).transpose()?.flatten() else {
            continue;
        };
        let staged = entry.path();
        if complete {
            let target = dir.join(final_name);
            std::fs::rename(&staged, &target).map_err(|e| Error::io(&target, e))?;
        } else {
            std::fs::remove_file(&staged).map_err(|e| Error::io(&staged, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_runs_move_their_files_into_place_and_aborted_ones_lose_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path(), 3, "ids.bin"), b"three").unwrap();
        std::fs::write(path(dir.path(), 4, "ids.bin"), b"four").unwrap();
        std::fs::write(path(dir.path(), 5, "ids.bin"), b"five").unwrap();
        let ended = |run: u64| {
            Ok(match run {
                3 => Some(false),
                4 => Some(true),
                _ => None,
            })
        };
        settle(dir.path(), &ended).unwrap();
        assert_eq!(std::fs::read(dir.path().join("ids.bin")).unwrap(), b"four");
        assert!(!path(dir.path(), 3, "ids.bin").exists());
        assert!(!path(dir.path(), 4, "ids.bin").exists());
        // A run this open did not settle keeps its staged file.
        assert!(path(dir.path(), 5, "ids.bin").exists());
    }
}

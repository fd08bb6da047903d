//! The follower's loop: file system notifications (the `notify` crate: inotify on Linux) wake it;
//! it gathers a burst for a moment, takes one step, and sleeps again. No polling: an idle watcher
//! wakes once a second only to see whether it was asked to stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, RecvTimeoutError};
use notify::{RecursiveMode, Watcher};

use super::{Batch, Follower};
use crate::error::{Error, Result};

/// How often an idle follower looks at `cancel`.
const CANCEL_CHECK: Duration = Duration::from_secs(1);

/// Follows until `cancel` is set: a first step at once (what the paths hold now), then one per
/// burst of changes. Each batch goes to `on_batch`; a failed step (a full disk, a locked file) is
/// returned as an error and ends the loop, with every committed batch kept.
pub fn follow(
    follower: &mut Follower,
    on_batch: &mut dyn FnMut(&Batch),
    cancel: &AtomicBool,
) -> Result<()> {
    let (tx, rx) = unbounded::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reads and opens change nothing; everything else (create, write, rename, remove) may.
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    })
    .map_err(|e| Error::Invalid(format!("file notifications are not available: {e}")))?;
    for path in follower.paths() {
        // A file is watched through its folder: rotation replaces the file itself.
        let (target, mode) = if path.is_dir() {
            (path.as_path(), RecursiveMode::Recursive)
        } else {
            (
                path.parent().unwrap_or(path.as_path()),
                RecursiveMode::NonRecursive,
            )
        };
        watcher
            .watch(target, mode)
            .map_err(|e| Error::Invalid(format!("cannot watch {}: {e}", target.display())))?;
    }
    let debounce = follower.options.debounce;
    let settle = follower.options.settle;
    let mut look = true;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        if look {
            match follower.step(cancel) {
                Ok(Some(batch)) => {
                    on_batch(&batch);
                    // More may have come while the batch was imported: look again at once.
                    continue;
                }
                Ok(None) => {}
                // Stopped in the middle of a batch: nothing of it was kept, all of it comes again.
                Err(Error::Cancelled) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        let wait = if follower.waiting() {
            settle / 2
        } else {
            CANCEL_CHECK
        };
        match rx.recv_timeout(wait) {
            Ok(()) => {
                // Gather the burst: a writer's lines and a rotation's steps come together.
                let until = Instant::now() + debounce;
                while let Some(left) = until.checked_duration_since(Instant::now()) {
                    if rx.recv_timeout(left).is_err() {
                        break;
                    }
                }
                look = true;
            }
            // Nothing changed: look again only for a file that waits to settle; let the index
            // writer go meanwhile.
            Err(RecvTimeoutError::Timeout) => {
                follower.rest()?;
                look = follower.waiting();
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

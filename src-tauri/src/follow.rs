//! The window's Follow switch: one follower at a time over the open case, on its own thread;
//! each batch goes down the window's channel, and new high or critical alerts also raise a
//! desktop notification.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::Serialize;
use sightline::api::{ErrorCode, FollowBatch, FollowOptions};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What the follower tells the window.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FollowMessage {
    Batch {
        batch: FollowBatch,
    },
    /// Following ended: stopped by the user, or by an error (its message).
    Stopped {
        error: Option<String>,
    },
}

/// Whether the case is followed now, and the paths it follows (or followed last).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FollowState {
    pub active: bool,
    pub paths: Vec<String>,
}

/// The running follower: its stop flag and thread.
#[derive(Default)]
pub struct Running(Mutex<Option<(Arc<AtomicBool>, JoinHandle<()>)>>);

impl Running {
    /// Stops the follower, if one runs, and waits for its thread (it holds the case open).
    pub fn stop(&self) {
        let taken = self.0.lock().ok().and_then(|mut slot| slot.take());
        if let Some((cancel, thread)) = taken {
            cancel.store(true, Ordering::Relaxed);
            let _ = thread.join();
        }
    }

    fn active(&self) -> bool {
        self.0
            .lock()
            .ok()
            .is_some_and(|slot| slot.as_ref().is_some_and(|(_, t)| !t.is_finished()))
    }
}

#[tauri::command]
pub async fn follow_state(app: AppHandle) -> AppResult<FollowState> {
    let state = app.state::<AppState>();
    let case = state.current()?;
    Ok(FollowState {
        active: state.follow.active(),
        paths: case.followed_paths()?,
    })
}

/// Starts following `paths` (files or folders); returns once it runs.
#[tauri::command]
pub async fn start_follow(
    app: AppHandle,
    paths: Vec<String>,
    messages: Channel<FollowMessage>,
) -> AppResult<()> {
    let state = app.state::<AppState>();
    let case = state.current()?;
    state.follow.stop();
    let inputs: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    // Refused here, not on the thread: a mistyped path is said at once.
    drop(case.follower(&inputs, FollowOptions::default())?);
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = cancel.clone();
    let notifier = app.clone();
    let thread = std::thread::spawn(move || {
        let mut on_batch = |batch: &FollowBatch| {
            notify(&notifier, batch);
            let _ = messages.send(FollowMessage::Batch {
                batch: batch.clone(),
            });
        };
        let result = case.follow(&inputs, FollowOptions::default(), &mut on_batch, &stop);
        let _ = messages.send(FollowMessage::Stopped {
            error: result.err().map(|e| e.to_string()),
        });
    });
    let mut slot = state
        .follow
        .0
        .lock()
        .map_err(|_| AppError::new(ErrorCode::Internal, "follow state is unavailable"))?;
    *slot = Some((cancel, thread));
    Ok(())
}

#[tauri::command]
pub async fn stop_follow(app: AppHandle) -> AppResult<()> {
    tauri::async_runtime::spawn_blocking(move || app.state::<AppState>().follow.stop())
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("stopping failed: {e}")))
}

/// A desktop notification for a batch's alerts (one per batch: a flood is one notice).
fn notify(app: &AppHandle, batch: &FollowBatch) {
    let Some(first) = batch.alerts.first() else {
        return;
    };
    let count = batch.alerts.len() as u64 + batch.alerts_more;
    let title = if count == 1 {
        format!("Sightline: {} ({})", first.rule, first.level)
    } else {
        format!(
            "Sightline: {count} alerts, first {} ({})",
            first.rule, first.level
        )
    };
    let by = first.author.as_deref().unwrap_or("unknown author");
    let body = format!("{} {} — rule by {by}", first.actor, first.action);
    // No notification service (a bare X server, a locked-down desktop): the badge still shows.
    let _ = app.notification().builder().title(title).body(body).show();
}

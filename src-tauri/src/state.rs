//! What the shell remembers between commands: the open case, the import in flight, recent cases.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sightline::api::{Case, CaseStats, ErrorCode, SystemClock};
use tauri::Manager;

use crate::error::{AppError, AppResult};

#[derive(Default)]
pub struct AppState {
    pub case: Mutex<Option<Arc<Case>>>,
    pub cancel: Arc<AtomicBool>,
    pub data_dir: Mutex<Option<PathBuf>>,
    pub follow: crate::follow::Running,
    /// The case `SIGHTLINE_CASE` names, opened while the window loads (see [`AppState::open_early`]).
    pub early: Mutex<Option<Receiver<AppResult<CaseInfo>>>>,
}

/// A case the user opened before.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RecentCase {
    pub path: String,
    pub opened_at: String,
}

/// The open case as the window shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CaseInfo {
    pub path: String,
    pub case_id: String,
    pub writable: bool,
    pub stats: CaseStats,
}

impl CaseInfo {
    pub fn of(case: &Case) -> AppResult<CaseInfo> {
        Ok(CaseInfo {
            path: case.dir().display().to_string(),
            case_id: case.id().to_string(),
            writable: case.is_writable(),
            stats: case.stats()?,
        })
    }
}

impl AppState {
    pub fn current(&self) -> AppResult<Arc<Case>> {
        self.case
            .lock()
            .map_err(|_| AppError::new(ErrorCode::Internal, "case state is unavailable"))?
            .clone()
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::NoCase,
                    "no case is open: open or create one first",
                )
            })
    }

    /// Opens the case in `dir` for writing (read-only when another process writes it); with
    /// `create`, makes a new case there if the folder is new or empty.
    pub fn open(&self, dir: &Path, create: bool) -> AppResult<CaseInfo> {
        // Let go of the case that is open now, so reopening it can take the write lock.
        self.follow.stop();
        if let Ok(mut slot) = self.case.lock() {
            *slot = None;
        }
        let case = Case::open_writable_or_read_only(dir, Arc::new(SystemClock), create)?;
        case.set_examiner(sightline::api::os_user());
        let info = CaseInfo::of(&case)?;
        *self
            .case
            .lock()
            .map_err(|_| AppError::new(ErrorCode::Internal, "case state is unavailable"))? =
            Some(Arc::new(case));
        self.remember(dir);
        Ok(info)
    }

    /// Opens the case in `dir` on a thread of its own and runs the window's first search there:
    /// the window takes ~0.8 s to load before it can ask, and on a 10M-event case opening and
    /// that search take as long again. `startup` then takes the opened case from here.
    pub fn open_early(app: tauri::AppHandle, dir: PathBuf) {
        let (send, receive) = std::sync::mpsc::channel();
        if let Ok(mut slot) = app.state::<AppState>().early.lock() {
            *slot = Some(receive);
        }
        std::thread::spawn(move || {
            let state = app.state::<AppState>();
            let opened = state.open(&dir, false);
            let ok = opened.is_ok();
            let _ = send.send(opened);
            if ok {
                if let Ok(case) = state.current() {
                    // Only to warm: the window's own search reports any error.
                    let _ = case.page(&sightline::api::SearchRequest::first_screen());
                }
            }
        });
    }

    /// The case [`AppState::open_early`] opened, once it is open; `None` when none was begun.
    pub fn take_early(&self) -> Option<AppResult<CaseInfo>> {
        let receive = self.early.lock().ok()?.take()?;
        Some(receive.recv().unwrap_or_else(|_| {
            Err(AppError::new(
                ErrorCode::Internal,
                "opening the case stopped",
            ))
        }))
    }

    fn recent_file(&self) -> Option<PathBuf> {
        self.data_dir
            .lock()
            .ok()?
            .as_ref()
            .map(|d| d.join("recent-cases.json"))
    }

    pub fn recent(&self) -> Vec<RecentCase> {
        let Some(file) = self.recent_file() else {
            return Vec::new();
        };
        std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn remember(&self, dir: &Path) {
        let Some(file) = self.recent_file() else {
            return;
        };
        let path = dir.display().to_string();
        let mut list = self.recent();
        list.retain(|r| r.path != path);
        list.insert(
            0,
            RecentCase {
                path,
                opened_at: chrono_now(),
            },
        );
        list.truncate(10);
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Ok(json) = serde_json::to_vec_pretty(&list) {
            let _ = std::fs::write(file, json);
        }
    }
}

fn chrono_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    sightline::api::format_time(now)
}

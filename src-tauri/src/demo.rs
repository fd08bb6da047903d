//! The demo case: the sample bundle that ships in the repository, imported once.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};

use crate::error::{AppError, AppResult};

/// `SIGHTLINE_DEMO_BUNDLE` (colon-separated paths) or the repository's fixtures.
pub fn bundle() -> Vec<PathBuf> {
    if let Ok(paths) = std::env::var("SIGHTLINE_DEMO_BUNDLE") {
        return std::env::split_paths(&paths).collect();
    }
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let fixtures = fixtures.canonicalize().unwrap_or(fixtures);
    // A cleared Windows log and an auditd file with lost serials give the Integrity view
    // something to find.
    vec![
        fixtures.join("cloudtrail"),
        fixtures.join("generic"),
        fixtures.join("formats/evtx/ID104-1102-Event_log_cleared.evtx"),
        fixtures.join("integrity/seq-lost_messages.log"),
    ]
}

/// `SIGHTLINE_DEMO_CASE`, or `demo-case` in the app's data directory.
pub fn case_dir(app: &AppHandle) -> AppResult<PathBuf> {
    if let Ok(dir) = std::env::var("SIGHTLINE_DEMO_CASE") {
        return Ok(PathBuf::from(dir));
    }
    let data = app.path().app_data_dir().map_err(|e| {
        AppError::new(
            sightline::api::ErrorCode::Io,
            format!("no app data directory: {e}"),
        )
    })?;
    Ok(data.join("demo-case"))
}

//! Tauri commands: each takes its arguments, calls the engine, and maps the error. Long work runs
//! on a blocking thread so the window never waits.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use sightline::api::{
    self, ActorProfile, Case, ComplianceFile, ComplianceReport, DetectProgress, DetectReport,
    Detection, ErrorCode, EventDetail, EventDetection, ExportFormat, ExportManifest, ExportOptions,
    ExportProgress, FieldStats, FrameworkInfo, ImportOptions, ImportProgress, ImportReport,
    IntegrityReport, JournalCheck, JournalHead, Marks, Overview, Relocation, ReportSummary,
    RuleSources, SavedSearch, SearchRequest, SearchResult, Tag, VerifyOptions, VerifyProgress,
};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use crate::error::{AppError, AppResult};
use crate::state::{AppState, CaseInfo, RecentCase};

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("background task failed: {e}")))?
}

/// Runs long work on the open case on a blocking thread: the shared cancel flag cleared first
/// (`cancel_work` sets it), each progress report sent down `progress` (a closed window drops it).
async fn long_work<T, P>(
    app: AppHandle,
    progress: Channel<P>,
    work: impl FnOnce(&Case, &(dyn Fn(&P) + Sync), &AtomicBool) -> AppResult<T> + Send + 'static,
) -> AppResult<T>
where
    T: Send + 'static,
    P: tauri::ipc::IpcResponse + Clone + Send + Sync + 'static,
{
    blocking(move || {
        let state = app.state::<AppState>();
        let case = state.current()?;
        state.cancel.store(false, Ordering::Relaxed);
        let send = |p: &P| {
            let _ = progress.send(p.clone());
        };
        work(&case, &send, &state.cancel)
    })
    .await
}

#[tauri::command]
pub async fn open_case(app: AppHandle, path: String, create: bool) -> AppResult<CaseInfo> {
    blocking(move || app.state::<AppState>().open(&PathBuf::from(path), create)).await
}

/// Opens the demo case, building it from the sample bundle that ships in the repository.
#[tauri::command]
pub async fn open_demo(app: AppHandle) -> AppResult<CaseInfo> {
    blocking(move || {
        let state = app.state::<AppState>();
        let dir = crate::demo::case_dir(&app)?;
        // The demo case is made from the repository's samples: one an older version indexed is
        // made again rather than refused.
        let info = match state.open(&dir, true) {
            Err(e) if e.code == ErrorCode::CaseTooOld => {
                std::fs::remove_dir_all(&dir).map_err(|e| {
                    AppError::new(ErrorCode::Io, format!("cannot remake the demo case: {e}"))
                })?;
                state.open(&dir, true)?
            }
            other => other?,
        };
        let fresh = info.stats.runs == 0;
        if !fresh {
            return Ok(info);
        }
        let case = state.current()?;
        case.import(
            &crate::demo::bundle(),
            &ImportOptions::default(),
            &|_| {},
            &Default::default(),
        )?;
        CaseInfo::of(&case)
    })
    .await
}

/// What to show at start: `SIGHTLINE_CASE` opens that case, `SIGHTLINE_OPEN_DEMO` the demo
/// case (as `make run` does); otherwise nothing, and the start screen shows.
#[tauri::command]
pub async fn startup(app: AppHandle) -> AppResult<Option<CaseInfo>> {
    if let Ok(dir) = std::env::var("SIGHTLINE_CASE") {
        return blocking(move || {
            let state = app.state::<AppState>();
            match state.take_early() {
                Some(opened) => opened.map(Some),
                None => state.open(&PathBuf::from(dir), false).map(Some),
            }
        })
        .await;
    }
    if std::env::var_os("SIGHTLINE_OPEN_DEMO").is_some() {
        return open_demo(app).await.map(Some);
    }
    Ok(None)
}

#[tauri::command]
pub fn recent_cases(state: State<'_, AppState>) -> Vec<RecentCase> {
    state.recent()
}

/// The first screen of the case: what it holds and the worst the last verify found.
#[tauri::command]
pub async fn overview(app: AppHandle) -> AppResult<Overview> {
    blocking(move || Ok(app.state::<AppState>().current()?.overview()?)).await
}

#[tauri::command]
pub async fn case_info(app: AppHandle) -> AppResult<CaseInfo> {
    blocking(move || {
        let case = app.state::<AppState>().current()?;
        CaseInfo::of(&case)
    })
    .await
}

/// A search the user ran (Enter, a filter, a range): journaled by the engine.
#[tauri::command]
pub async fn search(app: AppHandle, request: SearchRequest) -> AppResult<SearchResult> {
    blocking(move || Ok(app.state::<AppState>().current()?.search(&request)?)).await
}

/// A page loaded while scrolling, or counts for a panel: not journaled.
#[tauri::command]
pub async fn search_page(app: AppHandle, request: SearchRequest) -> AppResult<SearchResult> {
    blocking(move || Ok(app.state::<AppState>().current()?.page(&request)?)).await
}

/// Runs every integrity check; `public_keys` is the `aws cloudtrail list-public-keys` output,
/// `moved` where evidence is read from now, `expect_head` a journal head (`SEQ:HASH`) recorded
/// earlier that the journal must still hold.
#[tauri::command]
pub async fn verify_case(
    app: AppHandle,
    public_keys: Option<String>,
    moved: Vec<Relocation>,
    expect_head: Option<String>,
    progress: Channel<VerifyProgress>,
) -> AppResult<IntegrityReport> {
    long_work(app, progress, move |case, progress, cancel| {
        let expect_head = expect_head
            .filter(|h| !h.trim().is_empty())
            .map(|h| JournalHead::parse(&h))
            .transpose()?;
        let options = VerifyOptions {
            public_keys: public_keys.filter(|p| !p.is_empty()).map(PathBuf::from),
            moved,
            expect_head,
        };
        Ok(case.verify_watched(&options, progress, cancel)?)
    })
    .await
}

/// Every rule that fired in the case, most serious first, with its first events.
#[tauri::command]
pub async fn detections(app: AppHandle) -> AppResult<Vec<Detection>> {
    blocking(move || Ok(app.state::<AppState>().current()?.detections()?)).await
}

/// Where the case's rules come from, and the last run's report (without its detections).
#[tauri::command]
pub async fn rule_sources(app: AppHandle) -> AppResult<(RuleSources, Option<DetectReport>)> {
    blocking(move || {
        let case = app.state::<AppState>().current()?;
        Ok((case.rule_sources()?, case.last_detect_report()?))
    })
    .await
}

/// Runs `sources`' rules over the whole case and replaces its detections (journaled).
#[tauri::command]
pub async fn run_detections(
    app: AppHandle,
    sources: RuleSources,
    progress: Channel<DetectProgress>,
) -> AppResult<DetectReport> {
    long_work(app, progress, move |case, progress, cancel| {
        Ok(case.detect(&sources, progress, cancel)?)
    })
    .await
}

/// The detections on one event, with why each matched.
#[tauri::command]
pub async fn event_detections(app: AppHandle, id: String) -> AppResult<Vec<EventDetection>> {
    blocking(move || Ok(app.state::<AppState>().current()?.event_detections(&id)?)).await
}

/// Adds (`on`) or removes a tag on an event; returns the event's marks.
#[tauri::command]
pub async fn set_tag(app: AppHandle, id: String, tag: String, on: bool) -> AppResult<Marks> {
    blocking(move || Ok(app.state::<AppState>().current()?.set_tag(&id, &tag, on)?)).await
}

#[tauri::command]
pub async fn set_star(app: AppHandle, id: String, on: bool) -> AppResult<Marks> {
    blocking(move || Ok(app.state::<AppState>().current()?.set_star(&id, on)?)).await
}

/// Sets an event's markdown note; empty text removes it.
#[tauri::command]
pub async fn set_note(app: AppHandle, id: String, note: String) -> AppResult<Marks> {
    blocking(move || Ok(app.state::<AppState>().current()?.set_note(&id, &note)?)).await
}

/// Sets a tag's colour (`#rrggbb`).
#[tauri::command]
pub async fn set_tag_color(app: AppHandle, tag: String, color: String) -> AppResult<()> {
    blocking(move || {
        Ok(app
            .state::<AppState>()
            .current()?
            .set_tag_color(&tag, &color)?)
    })
    .await
}

/// Tags in use, with colours and counts.
#[tauri::command]
pub async fn case_tags(app: AppHandle) -> AppResult<Vec<Tag>> {
    blocking(move || Ok(app.state::<AppState>().current()?.tags()?)).await
}

#[tauri::command]
pub async fn saved_searches(app: AppHandle) -> AppResult<Vec<SavedSearch>> {
    blocking(move || Ok(app.state::<AppState>().current()?.saved_searches()?)).await
}

#[tauri::command]
pub async fn save_search(app: AppHandle, search: SavedSearch) -> AppResult<()> {
    blocking(move || Ok(app.state::<AppState>().current()?.save_search(&search)?)).await
}

#[tauri::command]
pub async fn delete_saved_search(app: AppHandle, name: String) -> AppResult<()> {
    blocking(move || {
        Ok(app
            .state::<AppState>()
            .current()?
            .delete_saved_search(&name)?)
    })
    .await
}

/// Searches run in the window, newest first, from the case journal.
#[tauri::command]
pub async fn search_history(app: AppHandle) -> AppResult<Vec<SavedSearch>> {
    blocking(move || Ok(app.state::<AppState>().current()?.search_history()?)).await
}

/// Where event `id` stands in the result of `request` (null: not in it).
#[tauri::command]
pub async fn event_position(
    app: AppHandle,
    request: SearchRequest,
    id: String,
) -> AppResult<Option<u64>> {
    blocking(move || Ok(app.state::<AppState>().current()?.position(&request, &id)?)).await
}

/// The actor's page across sources and aliases.
#[tauri::command]
pub async fn actor_profile(app: AppHandle, actor: String) -> AppResult<ActorProfile> {
    blocking(move || Ok(app.state::<AppState>().current()?.actor_profile(&actor)?)).await
}

/// Joins `alias` to `actor`; returns the group.
#[tauri::command]
pub async fn add_alias(app: AppHandle, actor: String, alias: String) -> AppResult<Vec<String>> {
    blocking(move || {
        Ok(app
            .state::<AppState>()
            .current()?
            .add_alias(&actor, &alias)?)
    })
    .await
}

#[tauri::command]
pub async fn remove_alias(app: AppHandle, alias: String) -> AppResult<()> {
    blocking(move || Ok(app.state::<AppState>().current()?.remove_alias(&alias)?)).await
}

/// Top and rare values, distinct count and histogram of `field` over the search's events.
#[tauri::command]
pub async fn field_stats(
    app: AppHandle,
    request: SearchRequest,
    field: String,
) -> AppResult<FieldStats> {
    blocking(move || {
        Ok(app
            .state::<AppState>()
            .current()?
            .field_stats(&request, &field)?)
    })
    .await
}

/// Writes the offline HTML incident report of the selection `request` describes.
#[tauri::command]
pub async fn write_report(
    app: AppHandle,
    out: String,
    request: SearchRequest,
) -> AppResult<ReportSummary> {
    blocking(move || {
        Ok(app
            .state::<AppState>()
            .current()?
            .report(&PathBuf::from(out), &request)?)
    })
    .await
}

/// The built-in compliance frameworks, for the picker.
#[tauri::command]
pub fn frameworks() -> Vec<FrameworkInfo> {
    api::frameworks()
}

/// Evidence per control of `framework` (a built-in id or a framework file's path) over the
/// selection `request` describes (journaled).
#[tauri::command]
pub async fn compliance(
    app: AppHandle,
    framework: String,
    request: SearchRequest,
) -> AppResult<ComplianceReport> {
    blocking(move || {
        Ok(app
            .state::<AppState>()
            .current()?
            .compliance(&framework, &request)?)
    })
    .await
}

/// Writes the printable HTML compliance report to `out` (journaled with its SHA-256).
#[tauri::command]
pub async fn write_compliance_report(
    app: AppHandle,
    framework: String,
    request: SearchRequest,
    out: String,
) -> AppResult<ComplianceFile> {
    blocking(move || {
        let case = app.state::<AppState>().current()?;
        let (_, file) = case.compliance_report(&framework, &request, &PathBuf::from(out))?;
        Ok(file)
    })
    .await
}

/// Column names an export offers, in default order.
#[tauri::command]
pub fn export_columns() -> Vec<String> {
    api::export_columns()
}

/// What the window asks to export: the selection, where, how, and whether to redact with the
/// case's key.
#[derive(Debug, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ExportRequest {
    pub out: String,
    pub request: SearchRequest,
    pub format: ExportFormat,
    pub columns: Vec<String>,
    pub redact: bool,
}

/// Exports the selection to `out` with its manifest beside it.
#[tauri::command]
pub async fn export_events(
    app: AppHandle,
    export: ExportRequest,
    progress: Channel<ExportProgress>,
) -> AppResult<ExportManifest> {
    long_work(app, progress, move |case, progress, cancel| {
        let redact_key = if export.redact {
            Some(case.redaction_key()?)
        } else {
            None
        };
        let options = ExportOptions {
            request: export.request,
            format: export.format,
            columns: export.columns,
            redact_key,
        };
        Ok(case.export(&PathBuf::from(export.out), &options, progress, cancel)?)
    })
    .await
}

/// The report of the last verify run, to show without running the checks again.
#[tauri::command]
pub async fn last_integrity(app: AppHandle) -> AppResult<Option<IntegrityReport>> {
    blocking(move || Ok(app.state::<AppState>().current()?.last_integrity_report()?)).await
}

/// The case journal and whether its chain holds.
#[tauri::command]
pub async fn case_journal(app: AppHandle) -> AppResult<JournalCheck> {
    blocking(move || Ok(app.state::<AppState>().current()?.journal()?)).await
}

#[tauri::command]
pub async fn event_detail(app: AppHandle, id: String) -> AppResult<EventDetail> {
    blocking(move || Ok(app.state::<AppState>().current()?.event(&id)?)).await
}

/// Query field names for completion: the normalized ones; original key paths are free-form.
#[tauri::command]
pub fn query_fields() -> Vec<String> {
    api::query_fields()
}

/// Names of the formats a user may force, in detection order.
#[tauri::command]
pub fn format_names() -> Vec<String> {
    api::format_names()
}

/// Imports `paths`; `format` forces one format for all of them, `zone` (`+02:00`) reads times
/// written without a zone in that zone.
#[tauri::command]
pub async fn import_paths(
    app: AppHandle,
    paths: Vec<String>,
    format: Option<String>,
    zone: Option<String>,
    progress: Channel<ImportProgress>,
) -> AppResult<ImportReport> {
    let zone_minutes = api::parse_zone(zone.as_deref().unwrap_or(""))?;
    long_work(app, progress, move |case, progress, cancel| {
        let inputs: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        let options = ImportOptions {
            format: format.filter(|f| !f.is_empty()),
            zone_minutes,
            ..ImportOptions::default()
        };
        Ok(case.import(&inputs, &options, progress, cancel)?)
    })
    .await
}

/// Cancels the import or verify run in flight.
#[tauri::command]
pub fn cancel_work(state: State<'_, AppState>) {
    state.cancel.store(true, Ordering::Relaxed);
}

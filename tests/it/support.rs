//! Shared helpers: fixture paths, fresh cases, imports with default options.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::TimeZone;
use sightline::api::{Case, FileReport, FixedClock, ImportOptions, ImportReport};
use sightline::api::{SearchRequest, SearchResult};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `../shared/datasets`, when this checkout sits beside it.
pub fn shared_datasets() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets");
    dir.is_dir().then_some(dir)
}

/// `../shared/datasets` and SigmaHQ's rules in `../shared/sigma/rules`, when both are there.
pub fn shared_datasets_and_sigma() -> Option<(PathBuf, PathBuf)> {
    let datasets = shared_datasets()?;
    let sigma = datasets.join("../sigma/rules");
    sigma.is_dir().then_some((datasets, sigma))
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(
        chrono::Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .expect("valid time"),
    ))
}

pub fn new_case(dir: &Path) -> Case {
    Case::open_or_create(&dir.join("case"), clock()).expect("case opens")
}

pub fn import(case: &Case, paths: &[PathBuf]) -> ImportReport {
    import_with(case, paths, &ImportOptions::default())
}

pub fn import_with(case: &Case, paths: &[PathBuf], options: &ImportOptions) -> ImportReport {
    case.import(paths, options, &|_| {}, &AtomicBool::new(false))
        .expect("import succeeds")
}

/// The events `query` finds, as a page the API does not journal: tests count journal entries.
pub fn search(case: &Case, query: &str) -> SearchResult {
    case.page(&SearchRequest {
        query: query.to_string(),
        limit: 1000,
        ..SearchRequest::default()
    })
    .expect("query runs")
}

/// The ids of a result's events, in its order.
pub fn ids(result: SearchResult) -> Vec<String> {
    result.events.into_iter().map(|e| e.id).collect()
}

/// The report of the file whose path ends with `suffix`.
pub fn file<'r>(report: &'r ImportReport, suffix: &str) -> &'r FileReport {
    report
        .files
        .iter()
        .find(|f| f.path.ends_with(suffix))
        .unwrap_or_else(|| {
            panic!(
                "no file ending in {suffix} in {:#?}",
                report.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
}

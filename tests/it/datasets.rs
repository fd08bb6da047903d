//! Every third-party sample in ../shared/datasets imports without a crash, and every CloudTrail
//! file yields exactly the records an independent count finds. Skipped when the folder is absent.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sightline::import::FileStatus;

use crate::support::{file, import, new_case, shared_datasets};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("read dir")
            .filter_map(Result::ok)
        {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Counts CloudTrail records with serde_json alone: `Records` arrays, bare arrays, or lines.
fn independent_count(path: &Path) -> usize {
    let bytes = std::fs::read(path).expect("read");
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut out)
            .expect("gunzip");
        out
    } else {
        String::from_utf8(bytes).expect("utf-8")
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(o)) => o
            .get("Records")
            .and_then(Value::as_array)
            .map_or(1, Vec::len),
        Ok(Value::Array(a)) => a.len(),
        _ => text.lines().filter(|l| !l.trim().is_empty()).count(),
    }
}

/// `../shared/datasets`, or `None` (with a note) when this checkout has none.
fn datasets_or_skip() -> Option<PathBuf> {
    let found = shared_datasets();
    if found.is_none() {
        eprintln!("skipped: ../shared/datasets is absent");
    }
    found
}

/// Imports `path` into a fresh case; the temp dir must outlive the report's use.
fn import_fresh(path: &Path) -> (tempfile::TempDir, sightline::ImportReport) {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let report = import(&case, &[path.to_path_buf()]);
    (dir, report)
}

#[test]
fn every_cloudtrail_sample_imports_with_the_independent_count() {
    let Some(datasets) = datasets_or_skip() else {
        return;
    };
    let root = datasets.join("aws-cloudtrail");
    let (_dir, report) = import_fresh(&root);
    let inputs = files_under(&root);
    assert_eq!(inputs.len(), 40);
    let mut total = 0;
    for input in &inputs {
        let expected = independent_count(input);
        let name = input
            .strip_prefix(&root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let f = file(&report, &name);
        assert_eq!(f.status, FileStatus::Imported, "{name}: {:?}", f.note);
        assert_eq!(f.format.as_deref(), Some("cloudtrail"), "{name}");
        assert_eq!(f.events as usize, expected, "{name}");
        assert_eq!(f.skipped, 0, "{name}: {:?}", f.errors);
        total += expected;
    }
    assert_eq!(
        total, 331,
        "the datasets README counts 331 CloudTrail events"
    );
    assert_eq!(report.events as usize, total);
}

#[test]
fn the_whole_development_set_imports_without_a_crash_and_accounts_for_every_file() {
    let Some(datasets) = datasets_or_skip() else {
        return;
    };
    let (_dir, report) = import_fresh(&datasets);
    let inputs = files_under(&datasets);
    assert_eq!(
        report.files.len(),
        inputs.len(),
        "every file has a line in the report"
    );
    for f in &report.files {
        if f.status != FileStatus::Imported {
            assert!(
                f.note.is_some(),
                "{} is {:?} without a reason",
                f.path,
                f.status
            );
        }
    }
    assert!(report.events >= 331);
}

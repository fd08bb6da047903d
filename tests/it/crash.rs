//! Crash safety: an import killed between any two of its durable steps (the fault points of
//! `SIGHTLINE_FAULT`) leaves a case where the runs one can see are exactly the runs the journal
//! holds, the index holds exactly the events the manifest counts, the record ids are those of
//! the visible runs, and verify finds nothing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde_json::Value;
use sightline::api::{Case, ImportOptions, Severity, FAULT_POINTS};

use crate::support::{clock, fixtures, import, search};

/// Points after which the run is visible: its index commit is done.
const VISIBLE_AFTER: &[&str] = &["import:committed", "import:finished", "import:settled"];

fn runs_journaled(case: &Case) -> BTreeSet<u64> {
    let journal = case.journal().expect("journal");
    assert_eq!(journal.first_bad, None, "{:?}", journal.reason);
    let run_of = |detail: &str| {
        serde_json::from_str::<Value>(detail).expect("json detail")["run"]
            .as_u64()
            .expect("run id")
    };
    let mut runs = BTreeSet::new();
    for e in &journal.entries {
        match e.action.as_str() {
            "import" => assert!(runs.insert(run_of(&e.detail)), "one entry per run"),
            // Cut off before its own entry, a run whose checkpoint showed events is journaled
            // as interrupted alone.
            "import_interrupted" => {
                let detail: Value = serde_json::from_str(&e.detail).expect("json detail");
                if detail["journal_seq"].is_null() {
                    assert!(!runs.contains(&run_of(&e.detail)), "{}", e.detail);
                } else {
                    assert!(runs.remove(&run_of(&e.detail)), "{}", e.detail);
                }
            }
            _ => {}
        }
    }
    runs
}

fn check_consistent(case: &Case, point: &str) {
    let manifest = case.manifest().expect("manifest");
    let visible: BTreeSet<u64> = manifest.iter().map(|f| f.run_id).collect();
    assert_eq!(visible, runs_journaled(case), "after a kill at {point}");
    let counted: u64 = manifest
        .iter()
        .filter(|f| f.status == "imported")
        .map(|f| f.events)
        .sum();
    assert_eq!(search(case, "").total, counted, "after a kill at {point}");
    let report = case.verify().expect("verify");
    let serious: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    assert!(serious.is_empty(), "after a kill at {point}: {serious:?}");
    // Hits are written while a run reads: those of a run that did not complete went with it.
    for d in case.detections().expect("detections") {
        for e in &d.events {
            assert!(
                case.event(&e.id).is_ok(),
                "after a kill at {point}: {} names {} which is not in the case",
                d.rule.title,
                e.id
            );
        }
    }
    let staged: Vec<_> = std::fs::read_dir(case.dir())
        .expect("case dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".staged-run-"))
        .collect();
    assert!(staged.is_empty(), "after a kill at {point}: {staged:?}");
}

fn killed_import(case_dir: &Path, input: &Path, point: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        // A checkpoint as soon as events are indexed: the kill at it comes mid-run.
        .args(["import", "--json", "--checkpoint", "0", "--case"])
        .arg(case_dir)
        .arg(input)
        .env("SIGHTLINE_FAULT", point)
        .output()
        .expect("run sightline");
    assert!(
        !out.status.success(),
        "the import did not stop at {point}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn an_import_killed_at_any_step_is_visible_journaled_and_id_checked_together_or_not_at_all() {
    let original = fixtures().join("cloudtrail/aws.persistence.iam-create-admin-user.json");
    let text = std::fs::read_to_string(&original).expect("fixture");
    for point in FAULT_POINTS {
        let dir = tempfile::tempdir().expect("tempdir");
        let case_dir = dir.path().join("case");
        let first = Case::open_or_create(&case_dir, clock()).expect("case");
        import(&first, &[fixtures().join("generic/app-audit.jsonl")]);
        drop(first);

        let killed = dir.path().join("admin.json");
        std::fs::write(&killed, &text).expect("write");
        killed_import(&case_dir, &killed, point);

        let case = Case::open_or_create(&case_dir, clock()).expect("opens after the kill");
        check_consistent(&case, point);
        let visible = VISIBLE_AFTER.contains(point);
        assert_eq!(
            case.stats().expect("stats").runs,
            if visible { 2 } else { 1 },
            "after a kill at {point}"
        );

        // The killed run's record ids are kept exactly when its events are: the same events
        // with other content conflict with them only if they are in the case.
        let altered = dir.path().join("admin-altered.json");
        std::fs::write(
            &altered,
            text.replace("malicious-iam-user", "other-iam-user"),
        )
        .expect("write");
        let report = import(&case, &[altered]);
        let conflicts = report
            .files
            .iter()
            .flat_map(|f| &f.findings)
            .filter(|f| f.kind.as_str() == "duplicate_conflict")
            .count();
        assert_eq!(conflicts > 0, visible, "after a kill at {point}");
        drop(case);
        let case = Case::open_or_create(&case_dir, clock()).expect("reopens");
        assert_eq!(
            runs_journaled(&case).len() as u64,
            case.stats().expect("stats").runs
        );
    }
}

/// A folder of `files` JSON-lines logs of `lines` events each.
fn many_logs(dir: &Path, files: usize, lines: usize) -> std::path::PathBuf {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).expect("logs");
    for f in 0..files {
        let text: String = (0..lines)
            .map(|n| {
                format!(
                    "{{\"timestamp\":\"2026-11-0{}T10:{:02}:{:02}Z\",\"user\":\"user{f}\",\"action\":\"read\",\"object\":\"doc-{n}\",\"result\":\"success\",\"src_ip\":\"10.0.0.{}\"}}\n",
                    1 + f % 9,
                    n / 60 % 60,
                    n % 60,
                    n % 250
                )
            })
            .collect();
        std::fs::write(logs.join(format!("app-{f:03}.jsonl")), text).expect("write log");
    }
    logs
}

#[test]
fn a_checkpoint_shows_first_events_and_a_cancelled_import_takes_them_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case_dir = dir.path().join("case");
    let case = Case::open_or_create(&case_dir, clock()).expect("case");
    let before = import(&case, &[fixtures().join("generic/app-audit.jsonl")]).events;
    let logs = many_logs(dir.path(), 60, 400);
    let options = ImportOptions {
        checkpoint_after: Some(std::time::Duration::ZERO),
        readers: 1,
        ..ImportOptions::default()
    };
    let cancel = AtomicBool::new(false);
    let seen: Mutex<Option<(u64, u64, String)>> = Mutex::new(None);
    let result = case.import(
        &[logs],
        &options,
        &|p| {
            if p.searchable == 0 || cancel.load(Ordering::Relaxed) {
                return;
            }
            // Another reader of the case (the window, a second `sightline search`) sees them,
            // each rebuilt from its raw record with its file's context.
            let reader = Case::open(&case_dir, clock()).expect("opens read-only");
            let page = search(&reader, "user0");
            let row = page
                .events
                .first()
                .map(|e| e.file.clone())
                .unwrap_or_default();
            *seen.lock().unwrap() = Some((p.searchable, search(&reader, "").total, row));
            cancel.store(true, Ordering::Relaxed);
        },
        &cancel,
    );
    assert!(result.is_err(), "cancelled");
    let (searchable, total, row) = seen.into_inner().unwrap().expect("a checkpoint came");
    assert!(searchable > 0 && searchable < 60 * 400, "{searchable}");
    assert_eq!(total, before + searchable);
    assert!(row.ends_with("app-000.jsonl"), "{row}");
    // Taken back with the run, in this process and for a reader opening the case afresh.
    assert_eq!(search(&case, "").total, before);
    drop(case);
    let reader = Case::open(&case_dir, clock()).expect("opens");
    assert_eq!(search(&reader, "").total, before);
    drop(reader);
    let case = Case::open_or_create(&case_dir, clock()).expect("reopens");
    check_consistent(&case, "a cancel after a checkpoint");
}

#[test]
fn an_import_with_checkpoints_ends_as_one_without() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = many_logs(dir.path(), 30, 300);
    let imported = |name: &str, checkpoint_after| {
        let case = Case::open_or_create(&dir.path().join(name), clock()).expect("case");
        let options = ImportOptions {
            checkpoint_after,
            readers: 1,
            ..ImportOptions::default()
        };
        let searchable = std::sync::atomic::AtomicU64::new(0);
        case.import(
            std::slice::from_ref(&logs),
            &options,
            &|p| {
                searchable.fetch_max(p.searchable, Ordering::Relaxed);
            },
            &AtomicBool::new(false),
        )
        .expect("import");
        (case, searchable.into_inner())
    };
    let (checkpointed, shown) = imported("checkpointed", Some(std::time::Duration::ZERO));
    let (whole, none) = imported("whole", None);
    assert!(shown > 0, "a checkpoint made events searchable midway");
    assert_eq!(none, 0);
    let manifest = |case: &Case| -> Vec<(String, String, u64, Option<String>)> {
        case.manifest()
            .expect("manifest")
            .into_iter()
            .map(|f| (f.path, f.status, f.events, f.format))
            .collect()
    };
    assert_eq!(manifest(&checkpointed), manifest(&whole));
    assert_eq!(search(&checkpointed, "").total, 30 * 300);
    let rows = |case: &Case| -> Vec<(String, String, Option<String>)> {
        search(case, "doc-7")
            .events
            .into_iter()
            .map(|e| (e.actor.identity.name.unwrap_or_default(), e.file, e.time))
            .collect()
    };
    assert_eq!(rows(&checkpointed), rows(&whole));
    check_consistent(&checkpointed, "after checkpoints");
}

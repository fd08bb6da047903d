//! Crash safety: an import killed between any two of its durable steps (the fault points of
//! `SIGHTLINE_FAULT`) leaves a case where the runs one can see are exactly the runs the journal
//! holds, the index holds exactly the events the manifest counts, the record ids are those of
//! the visible runs, and verify finds nothing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sightline::api::{Case, Severity, FAULT_POINTS};

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
            "import_interrupted" => assert!(runs.remove(&run_of(&e.detail)), "{}", e.detail),
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
    let staged: Vec<_> = std::fs::read_dir(case.dir())
        .expect("case dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".staged-run-"))
        .collect();
    assert!(staged.is_empty(), "after a kill at {point}: {staged:?}");
}

fn killed_import(case_dir: &Path, input: &Path, point: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["import", "--json", "--case"])
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

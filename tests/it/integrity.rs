//! Integrity checks on bundles the tests alter themselves: a byte changed, a file removed, a
//! journal entry edited; and no finding on clean, complete data.

use std::path::Path;

use sightline::integrity::Severity;

use crate::support::{fixtures, import, new_case};

/// A bundle of two files copied into `dir`: a plain JSON lines file and a gzipped CloudTrail file.
fn bundle(dir: &Path) -> std::path::PathBuf {
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle).expect("mkdir");
    std::fs::copy(
        fixtures().join("generic/app-audit.jsonl"),
        bundle.join("app.jsonl"),
    )
    .expect("copy");
    std::fs::copy(
        fixtures().join("cloudtrail/cloudtrail-log-file.json.gz"),
        bundle.join("trail.json.gz"),
    )
    .expect("copy");
    bundle
}

#[test]
fn clean_evidence_has_no_finding_and_each_alteration_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle(dir.path());
    let case = new_case(dir.path());
    import(&case, &[bundle.clone()]);
    let clean = case.verify().expect("verify");
    assert_eq!(
        clean.findings,
        vec![],
        "no false alarm on untouched evidence"
    );
    assert_eq!(clean.files_checked, 2);

    let mut bytes = std::fs::read(bundle.join("app.jsonl")).expect("read");
    bytes[10] ^= 0x20;
    std::fs::write(bundle.join("app.jsonl"), bytes).expect("write");
    std::fs::remove_file(bundle.join("trail.json.gz")).expect("remove");
    let report = case.verify().expect("verify");
    let kinds: Vec<(&str, bool)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.kind.as_str(),
                f.file.as_deref().is_some_and(|p| p.ends_with("app.jsonl")),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![("file_modified", true), ("file_missing", false)]
    );
    assert!(report
        .findings
        .iter()
        .all(|f| f.severity == Severity::Critical));

    let journal = case.journal().expect("journal");
    assert_eq!(
        journal
            .entries
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        vec!["import", "verify", "verify"],
        "every check is recorded"
    );
    drop(case);
    let conn = rusqlite::Connection::open(dir.path().join("case/case.sqlite")).expect("sqlite");
    conn.execute(
        "UPDATE journal SET at = '2020-01-01T00:00:00Z' WHERE seq = 2",
        [],
    )
    .expect("edit");
    drop(conn);
    let case = new_case(dir.path());
    let report = case.verify().expect("verify");
    let broken: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == "journal_broken")
        .collect();
    assert_eq!(broken.len(), 1);
    assert!(
        broken[0].detail.starts_with("journal entry 2:"),
        "{}",
        broken[0].detail
    );
}

#[test]
fn the_cli_exits_1_with_findings_and_prints_them_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle(dir.path());
    let case_dir = dir.path().join("case");
    let case = new_case(dir.path());
    import(&case, &[bundle.clone()]);
    drop(case);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(args)
            .output()
            .expect("runs")
    };
    let case_arg = case_dir.to_string_lossy().into_owned();
    let ok = run(&["verify", "--case", &case_arg, "--json"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::remove_file(bundle.join("app.jsonl")).expect("remove");
    let found = run(&["verify", "--case", &case_arg, "--json"]);
    assert_eq!(found.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&found.stdout).expect("json");
    assert_eq!(json["files_checked"], 2);
    assert_eq!(json["findings"][0]["kind"], "file_missing");
    assert_eq!(json["findings"][0]["severity"], "critical");
    assert!(json["findings"][0]["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("app.jsonl")));
    let not_a_case = run(&[
        "verify",
        "--case",
        &dir.path().join("nope").to_string_lossy(),
    ]);
    assert_eq!(not_a_case.status.code(), Some(2));
}

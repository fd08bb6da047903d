//! The `sightline` command line: its JSON shapes and exit statuses are a contract.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::fixtures;

fn sightline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(args)
        .output()
        .expect("run sightline")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn import_search_and_stats_print_the_documented_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    let csv = fixtures().join("generic/app-audit.csv");
    let stop = fixtures().join("cloudtrail/aws.defense-evasion.cloudtrail-stop.json");
    let report = json(&sightline(&[
        "import",
        "--case",
        path(&case),
        "--json",
        path(&csv),
        path(&stop),
    ]));
    assert_eq!(report["events"], 7);
    assert_eq!(report["skipped"], 0);
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], path(&csv));
    assert_eq!(files[0]["format"], "csv");
    assert_eq!(files[0]["events"], 6);
    assert_eq!(files[0]["sha256"].as_str().map(str::len), Some(64));
    assert!(files[0]["errors"].is_array());

    let result = json(&sightline(&[
        "search",
        "--case",
        path(&case),
        "--json",
        "--from",
        "2024-08-01T09:05:00Z",
        "--to",
        "2024-08-01T09:06:00Z",
        "outcome:failure",
    ]));
    assert_eq!(result["total"], 2);
    let event = &result["events"][0];
    for key in [
        "id", "time", "actor", "action", "target", "outcome", "category", "ip", "service",
        "format", "file",
    ] {
        assert!(event.get(key).is_some(), "event lacks {key}: {event}");
    }
    assert_eq!(event["time"], "2024-08-01T09:05:52Z");
    assert_eq!(event["actor"]["name"], "mallory");
    assert!(result["facets"].is_array() && result["histogram"]["buckets"].is_array());

    let counts = json(&sightline(&[
        "search",
        "--case",
        path(&case),
        "--json",
        "--limit",
        "0",
    ]));
    assert_eq!(counts["total"], 7);
    assert_eq!(counts["events"].as_array().map(Vec::len), Some(0));

    let stats = json(&sightline(&["stats", "--case", path(&case), "--json"]));
    assert_eq!(stats["events"], 7);
    assert_eq!(stats["formats"][0]["format"], "csv");
    assert_eq!(stats["time_from"], "2024-07-31T13:06:24Z");
}

#[test]
fn archive_members_are_named_with_a_bang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("bundle.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&archive).expect("tar"));
    builder
        .append_path_with_name(
            fixtures().join("cloudtrail/aws.defense-evasion.cloudtrail-stop.json"),
            "logs/stop.json",
        )
        .expect("append");
    builder.finish().expect("finish");
    drop(builder);
    let report = json(&sightline(&[
        "import",
        "--case",
        path(&dir.path().join("case")),
        "--json",
        path(&archive),
    ]));
    assert_eq!(
        report["files"][0]["path"],
        format!("{}!/logs/stop.json", path(&archive))
    );
}

#[test]
fn usage_and_input_errors_exit_with_2_and_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("case");
    let missing = sightline(&[
        "import",
        "--case",
        path(&case),
        path(&dir.path().join("nope.json")),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.json"));
    assert_eq!(sightline(&["search"]).status.code(), Some(2), "usage error");
    let not_a_case = sightline(&["search", "--case", path(dir.path()), "x"]);
    assert_eq!(not_a_case.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_a_case.stderr).contains("not a sightline case"));
    json(&sightline(&[
        "import",
        "--case",
        path(&case),
        "--json",
        path(&fixtures().join("generic")),
    ]));
    let bad_query = sightline(&["search", "--case", path(&case), "actor:(bob"]);
    assert_eq!(bad_query.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad_query.stderr).contains("position"),
        "{}",
        String::from_utf8_lossy(&bad_query.stderr)
    );
    let bad_time = sightline(&["search", "--case", path(&case), "--from", "last tuesday"]);
    assert_eq!(bad_time.status.code(), Some(2));
}

#[test]
fn skipped_records_still_exit_0_and_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("lines.jsonl");
    std::fs::write(&input, "{\"eventName\":\"A\",\"eventSource\":\"x\",\"eventTime\":\"2024-01-01T00:00:00Z\"}\nnot json\n").expect("write");
    let report = json(&sightline(&[
        "import",
        "--case",
        path(&dir.path().join("case")),
        "--json",
        path(&input),
    ]));
    assert_eq!(report["events"], 1);
    assert_eq!(report["skipped"], 1);
    assert_eq!(report["files"][0]["errors"][0]["line"], 2);
}

#[test]
fn log_content_cannot_drive_the_terminal_but_json_stays_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile = "mallory\u{1b}[2J\r\nfake: all clear\u{202e}";
    let record = serde_json::json!({
        "timestamp": "2024-05-01T00:00:00Z",
        "user": hostile,
        "action": "login\u{1b}]0;pwned\u{7}",
        "result": "success",
    });
    let input = dir.path().join("evil\u{1b}[31m.jsonl");
    std::fs::write(&input, format!("{record}\n")).expect("write");
    let case = dir.path().join("case");
    let import = sightline(&["import", "--case", path(&case), path(&input)]);
    assert!(import.status.success());
    for out in [
        import.stdout.clone(),
        sightline(&["search", "--case", path(&case)]).stdout,
        sightline(&["stats", "--case", path(&case)]).stdout,
        sightline(&["show", "--case", path(&case), "1-0"]).stdout,
    ] {
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains('\u{1b}'), "no raw ESC: {text}");
        assert!(!text.contains('\r'), "no raw CR: {text}");
        assert!(!text.contains('\u{202e}'), "no bidi override: {text}");
        assert!(text.contains("\\x1b"), "escaped instead: {text}");
    }
    let json = json(&sightline(&["search", "--case", path(&case), "--json"]));
    assert_eq!(
        json["events"][0]["actor"]["name"], hostile,
        "JSON keeps values exact"
    );
}

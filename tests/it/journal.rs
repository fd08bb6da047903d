//! The journal cannot lose its tail unnoticed: the case records its head at every append, each
//! run and output names its entry, and a head written down earlier is checked by
//! `verify --expect-head`. Verify, export and report are journaled beside another writer.

use std::path::Path;
use std::process::Command;

use sightline::api::{
    Case, ExportOptions, FindingKind, IntegrityReport, JournalHead, SearchRequest,
};

use crate::support::{clock, fixtures, import, new_case};

fn broken(report: &IntegrityReport) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::JournalBroken)
        .map(|f| f.detail.clone())
        .collect()
}

fn sql(case_dir: &Path, statements: &str) {
    let conn = rusqlite::Connection::open(case_dir.join("case.sqlite")).expect("sqlite");
    conn.execute_batch(statements).expect("sql");
}

/// A case with two imports, a verify and an export; returns the head after the first import.
fn journaled_case(dir: &Path) -> JournalHead {
    let case = new_case(dir);
    import(&case, &[fixtures().join("generic/app-audit.jsonl")]);
    let first = case.journal().expect("journal").entries[0].clone();
    import(&case, &[fixtures().join("generic/app-audit.csv")]);
    assert!(broken(&case.verify().expect("verify")).is_empty());
    case.export(
        &dir.join("out.csv"),
        &ExportOptions::default(),
        &|_| {},
        &Default::default(),
    )
    .expect("export");
    JournalHead {
        seq: first.seq,
        hash: first.hash,
    }
}

#[test]
fn entries_cut_from_the_end_are_found_by_the_recorded_head_and_by_the_rows_naming_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    journaled_case(dir.path());
    let case_dir = dir.path().join("case");

    // The plain cut: the head the case recorded says how far the journal went.
    sql(&case_dir, "DELETE FROM journal WHERE seq >= 3");
    let case = Case::open_or_create(&case_dir, clock()).expect("case");
    let found = broken(&case.verify().expect("verify"));
    assert!(
        found.iter().any(|d| d.contains("removed from the end")),
        "{found:?}"
    );
    drop(case);

    // A careful cut that also rewrites the recorded head: the second run and the export still
    // name entries the journal no longer holds.
    let dir = tempfile::tempdir().expect("tempdir");
    journaled_case(dir.path());
    let case_dir = dir.path().join("case");
    sql(
        &case_dir,
        "DELETE FROM journal WHERE seq >= 2;
         UPDATE case_meta SET value = (SELECT seq || ':' || hash FROM journal WHERE seq = 1)
         WHERE key = 'journal_head';",
    );
    let case = Case::open_or_create(&case_dir, clock()).expect("case");
    let found = broken(&case.verify().expect("verify"));
    assert!(
        found
            .iter()
            .any(|d| d.starts_with("import run 2 was journaled as entry 2")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|d| d.starts_with("export 2 was journaled")),
        "{found:?}"
    );
}

#[test]
fn verify_proves_a_recorded_head_is_still_held_and_says_when_it_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = journaled_case(dir.path());
    let case_dir = dir.path().join("case");
    let verify = |head: &str| {
        Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args(["verify", "--case"])
            .arg(&case_dir)
            .args(["--expect-head", head])
            .output()
            .expect("run sightline")
    };
    let out = verify(&first.to_string());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("still holds entry {first}")),
        "{text}"
    );
    // Verify prints the head after its own entry, ready to be written down.
    let head = text
        .lines()
        .find_map(|l| l.strip_prefix("journal head "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("verify prints the head");
    let head = JournalHead::parse(head).expect("a head");
    assert!(head.seq > first.seq);

    // Everything after the first entry is rebuilt as a new, self-consistent chain (a case
    // rewritten with a tool): only the head written down outside shows it.
    let rewritten = "0".repeat(64);
    sql(
        &case_dir,
        &format!(
            "UPDATE journal SET hash = '{rewritten}' WHERE seq = {seq};
             DELETE FROM journal WHERE seq > {seq};
             DELETE FROM outputs; UPDATE runs SET journal_seq = NULL WHERE id > 1;
             UPDATE case_meta SET value = '{seq}:{rewritten}' WHERE key = 'journal_head';",
            seq = head.seq
        ),
    );
    let out = verify(&head.to_string());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("journal_broken"), "{text}");
    assert!(text.contains("not the"), "{text}");

    let out = verify("12:nothex");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--expect-head"));
}

#[test]
fn verify_export_and_report_are_journaled_while_another_process_writes_the_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let writer = new_case(dir.path());
    import(&writer, &[fixtures().join("generic/app-audit.jsonl")]);
    let reader =
        Case::open_writable_or_read_only(&dir.path().join("case"), clock(), false).expect("open");
    assert!(!reader.is_writable(), "the writer holds the case");
    let report = reader.verify().expect("verify");
    assert!(report.journaled);
    let manifest = reader
        .export(
            &dir.path().join("out.csv"),
            &ExportOptions::default(),
            &|_| {},
            &Default::default(),
        )
        .expect("export");
    assert_eq!(
        manifest.journal_head, report.journal_head,
        "the manifest names the head before it"
    );
    let page = reader
        .report(&dir.path().join("report.html"), &SearchRequest::default())
        .expect("report");
    let actions: Vec<String> = writer
        .journal()
        .expect("journal")
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["import", "verify", "export", "report"]);
    let head = page.journal_head.expect("a head");
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("html");
    assert!(html.contains(&head.to_string()), "the page states the head");
}

/// Runs the CLI on `case_dir` as if it were on read-only media: a read-only bind mount where
/// this process may make one (root, in a mount namespace of its own), else write permission
/// taken away (not enough for root). `None` when neither can be done here.
fn on_read_only_media(case_dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    let bin = env!("CARGO_BIN_EXE_sightline");
    let mount_point = case_dir.with_file_name("read-only");
    std::fs::create_dir_all(&mount_point).expect("mkdir");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "mount --bind '{case}' '{ro}' && mount -o remount,bind,ro '{ro}' && touch '{ro}/probe' 2>/dev/null && exit 99; '{bin}' {args} --case '{ro}'",
        case = case_dir.display(),
        ro = mount_point.display(),
        args = quoted.join(" ")
    );
    let mounted = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .output();
    let refused = |o: &std::process::Output| {
        o.status.code() == Some(99)
            || o.stderr.starts_with(b"unshare:")
            || o.stderr.starts_with(b"mount:")
    };
    if let Some(out) = mounted.ok().filter(|o| !refused(o)) {
        return Some(out);
    }
    let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
    if root {
        return None;
    }
    let chmod = |mode: &str| {
        Command::new("chmod")
            .args(["-R", mode])
            .arg(case_dir)
            .status()
            .expect("chmod");
    };
    chmod("a-w");
    let out = Command::new(bin)
        .args(args)
        .arg("--case")
        .arg(case_dir)
        .output();
    chmod("u+w");
    Some(out.expect("run sightline"))
}

#[test]
fn a_case_on_read_only_media_is_read_and_says_nothing_is_journaled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(&case, &[fixtures().join("generic/app-audit.jsonl")]);
    drop(case);
    let case_dir = dir.path().join("case");
    let Some(out) = on_read_only_media(&case_dir, &["search", "--json", ""]) else {
        eprintln!("skipped: this process can neither mount read-only nor lose write permission");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("nothing is journaled"), "{stderr}");
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(result["total"], 3);

    let out = on_read_only_media(&case_dir, &["verify"]).expect("as before");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("this verify is not journaled"), "{text}");
    let case = Case::open(&case_dir, clock()).expect("open");
    assert_eq!(
        case.journal().expect("journal").entries.len(),
        1,
        "nothing was added"
    );
}

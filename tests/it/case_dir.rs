//! The case on disk: one writer at a time, readers alongside, a kill mid-import leaves the
//! case openable with no trace of the half-done run, and the journal shows where it was edited.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;
use sightline::api::{Case, Error};

use crate::support::{clock, fixtures, import, new_case, search};

#[test]
fn a_second_writer_is_refused_while_readers_are_welcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let writer = new_case(dir.path());
    import(
        &writer,
        &[fixtures().join("cloudtrail/aws.persistence.iam-create-admin-user.json")],
    );
    match Case::open_or_create(&dir.path().join("case"), clock()) {
        Err(e @ Error::CaseLocked(_)) => assert!(e.to_string().contains("another process"), "{e}"),
        other => panic!(
            "expected CaseLocked, got {:?}",
            other.map(|c| c.dir().to_path_buf())
        ),
    }
    let reader = Case::open(&dir.path().join("case"), clock()).expect("readers open a locked case");
    assert_eq!(search(&reader, "").total, 3);
    drop(writer);
    Case::open_or_create(&dir.path().join("case"), clock()).expect("the lock goes with the writer");
}

#[test]
fn a_new_case_is_never_made_inside_a_folder_holding_other_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("evidence.json"), b"{}").expect("write");
    match Case::open_or_create(dir.path(), clock()) {
        Err(e @ Error::Invalid(_)) => assert!(e.to_string().contains("not empty"), "{e}"),
        other => panic!(
            "expected a refusal, got {:?}",
            other.map(|c| c.dir().to_path_buf())
        ),
    }
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(entries.len(), 1, "nothing was written: {entries:?}");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    Case::open_or_create(&empty, clock()).expect("an empty folder takes a new case");
}

#[test]
fn opening_something_that_is_not_a_case_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    match Case::open(dir.path(), clock()) {
        Err(e @ Error::NotACase(_)) => assert_eq!(e.code().as_str(), "not_a_case"),
        other => panic!(
            "expected NotACase, got {:?}",
            other.map(|c| c.dir().to_path_buf())
        ),
    }
}

#[test]
fn cancelling_an_import_keeps_nothing_of_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let result = case.import(
        &[fixtures().join("cloudtrail")],
        &Default::default(),
        &|_| {},
        &cancel,
    );
    assert!(
        matches!(result, Err(Error::Cancelled)),
        "{:?}",
        result.map(|r| r.events)
    );
    assert_eq!(search(&case, "").total, 0);
    assert_eq!(case.stats().expect("stats").runs, 0);
    assert_eq!(
        import(&case, &[fixtures().join("cloudtrail")]).files_duplicate,
        0,
        "cancelled files are not duplicates"
    );
}

fn big_bundle(dir: &std::path::Path, files: usize, per_file: usize) {
    for f in 0..files {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(b"{\"Records\":[").expect("gz");
        for i in 0..per_file {
            if i > 0 {
                gz.write_all(b",").expect("gz");
            }
            write!(
                gz,
                r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T{:02}:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{{"type":"IAMUser","userName":"user-{}"}},"sourceIPAddress":"10.0.{}.{}","requestParameters":{{"bucketName":"b{}","key":"k/{}/{}"}},"eventID":"e-{f}-{i}"}}"#,
                i / 3600 % 24, i / 60 % 60, i % 60, i % 97, f % 250, i % 250, i % 13, f, i
            )
            .expect("gz");
        }
        gz.write_all(b"]}").expect("gz");
        std::fs::write(
            dir.join(format!("part-{f:04}.json.gz")),
            gz.finish().expect("gz"),
        )
        .expect("write");
    }
}

#[test]
fn a_kill_mid_import_leaves_an_openable_case_without_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    big_bundle(&bundle, 120, 2000);
    let case_dir = dir.path().join("case");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["import", "--json", "--case"])
        .arg(&case_dir)
        .arg(&bundle)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sightline");
    // Wait until the importer has written index data, then kill it without warning.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let segments = std::fs::read_dir(case_dir.join("index"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        e.path()
                            .extension()
                            .is_some_and(|x| x == "store" || x == "idx")
                    })
                    .count()
            })
            .unwrap_or(0);
        if segments > 0 || started.elapsed() > Duration::from_secs(3) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().expect("child state").is_none(),
        "the import finished before it could be killed; make the bundle bigger"
    );
    child.kill().expect("kill");
    child.wait().expect("reap");

    let case =
        Case::open_or_create(&case_dir, clock()).expect("a killed import leaves the case openable");
    assert_eq!(
        search(&case, "").total,
        0,
        "no half-imported run is visible"
    );
    let stats = case.stats().expect("stats");
    assert_eq!(stats.runs, 0);
    assert!(stats.files.is_empty(), "{:?}", stats.files);
    let report = import(
        &case,
        &[fixtures().join("cloudtrail/aws.defense-evasion.cloudtrail-stop.json")],
    );
    assert_eq!(report.events, 1, "the case takes new imports");
    assert_eq!(search(&case, "").total, 1);
}

#[test]
fn the_journal_chains_every_import_and_shows_where_it_was_edited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = crate::support::new_case(dir.path());
    crate::support::import(
        &case,
        &[crate::support::fixtures().join("generic/app-audit.jsonl")],
    );
    crate::support::import(
        &case,
        &[crate::support::fixtures().join("generic/app-audit.csv")],
    );
    let check = case.journal().expect("journal");
    assert_eq!(check.first_bad, None, "{:?}", check.reason);
    assert_eq!(check.entries.len(), 2);
    assert!(check.entries.iter().all(|e| e.action == "import"));
    assert_eq!(check.entries[1].prev_hash, check.entries[0].hash);
    assert!(check.entries[0].detail.contains("app-audit.jsonl"));
    drop(case);

    let db = dir.path().join("case/case.sqlite");
    let conn = rusqlite::Connection::open(&db).expect("sqlite");
    conn.execute(
        "UPDATE journal SET detail = replace(detail, 'jsonl', 'json') WHERE seq = 1",
        [],
    )
    .expect("edit");
    drop(conn);
    let case = crate::support::new_case(dir.path());
    let check = case.journal().expect("journal");
    assert_eq!(check.first_bad, Some(1));
    assert!(
        check
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("edited")),
        "{:?}",
        check.reason
    );
    drop(case);

    let conn = rusqlite::Connection::open(&db).expect("sqlite");
    conn.execute("DELETE FROM journal WHERE seq = 1", [])
        .expect("delete");
    drop(conn);
    let case = crate::support::new_case(dir.path());
    let check = case.journal().expect("journal");
    assert_eq!(
        check.first_bad,
        Some(2),
        "a removed first entry shows at the next one"
    );
}

#[test]
fn an_import_stopped_midway_leaves_no_segment_files_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    big_bundle(&bundle, 60, 2000);
    let case = new_case(dir.path());
    import(&case, &[fixtures().join("generic/app-audit.jsonl")]);
    let index = case.dir().join("index");
    let files = || -> std::collections::BTreeSet<String> {
        std::fs::read_dir(&index)
            .expect("index dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let before = files();
    // A small indexing budget makes the writer flush segments long before the end; stopping
    // then (a cancel here, a full disk in the field) must delete them.
    let options = sightline::api::ImportOptions {
        index_memory: 15 << 20,
        readers: 1,
        ..Default::default()
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let flushed = std::sync::atomic::AtomicBool::new(false);
    let result = case.import(
        &[bundle],
        &options,
        &|p| {
            let segments = files().len() > before.len() + 2;
            if segments {
                flushed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            if segments || p.events > 100_000 {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
        &cancel,
    );
    assert!(
        matches!(result, Err(Error::Cancelled)),
        "{:?}",
        result.map(|r| r.events)
    );
    assert!(
        flushed.load(std::sync::atomic::Ordering::Relaxed),
        "the writer flushed no segment before the cancel; make the bundle bigger"
    );
    let after: Vec<String> = files()
        .into_iter()
        .filter(|f| !before.contains(f) && f != ".tantivy-writer.lock")
        .collect();
    assert!(after.is_empty(), "left behind: {after:?}");
    assert_eq!(search(&case, "").total, 3);
}

//! Integrity checks on bundles the tests alter themselves: a byte changed, a file removed, a
//! journal entry edited; and no finding on clean, complete data.

use std::path::Path;

use sightline::api::{Relocation, Severity, VerifyOptions};

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
    import(&case, std::slice::from_ref(&bundle));
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
        .filter(|f| f.kind.as_str() == "journal_broken")
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
    import(&case, std::slice::from_ref(&bundle));
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

/// The findings of `kind` about the file whose path ends with `suffix`.
fn about<'r>(
    report: &'r sightline::api::IntegrityReport,
    kind: &str,
    suffix: &str,
) -> Vec<&'r sightline::api::Finding> {
    report
        .findings
        .iter()
        .filter(|f| {
            f.kind.as_str() == kind && f.file.as_deref().is_some_and(|p| p.ends_with(suffix))
        })
        .collect()
}

#[test]
fn real_samples_show_cleared_logs_bad_checksums_and_lost_serials_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[
            fixtures().join("formats/evtx"),
            fixtures().join("integrity"),
            fixtures().join("formats/auditd/seq-out_of_order.log"),
        ],
    );
    let report = case.verify().expect("verify");

    let cleared = about(&report, "log_cleared", "ID104-1102-Event_log_cleared.evtx");
    assert_eq!(
        cleared.len(),
        1,
        "one attacker run, one finding: {cleared:#?}"
    );
    assert_eq!(cleared[0].severity, Severity::Critical);
    assert!(
        cleared[0]
            .detail
            .starts_with("log_cleared ×90, security_log_cleared by OFFSEC\\admmig"),
        "{}",
        cleared[0].detail
    );
    assert_eq!(cleared[0].events.len(), 91);

    let crc = about(&report, "checksum_error", "Application_no_crc32.evtx");
    assert_eq!(crc.len(), 2, "file header and its one chunk: {crc:#?}");
    assert!(crc[1]
        .detail
        .starts_with("chunk 0 (byte 4096): header CRC32 is 00000000"));
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.kind.as_str() == "checksum_error")
            .count(),
        2,
        "intact EVTX files pass their checksums"
    );

    let lost = about(&report, "sequence_gap", "seq-lost_messages.log");
    assert_eq!(lost.len(), 1);
    assert!(
        lost[0]
            .detail
            .starts_with("serials 50–58 missing (9 records)"),
        "{}",
        lost[0].detail
    );
    for clean in ["seq-rollover.log", "seq-out_of_order.log"] {
        let noted: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.file.as_deref().is_some_and(|p| p.ends_with(clean)))
            .collect();
        assert_eq!(
            noted,
            Vec::<&sightline::api::Finding>::new(),
            "{clean}: wrap past 2^32 and late-arriving lines are normal"
        );
    }
}

/// auditd lines with serials `serials`, one second apart.
fn auditd_log(serials: &[u64]) -> String {
    serials
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "type=SYSCALL msg=audit({}.000:{n}): arch=c000003e syscall=59 success=yes exit=0 auid=1000 uid=0 comm=\"ls\"\n",
                1_700_000_000 + i
            )
        })
        .collect()
}

#[test]
fn a_record_deleted_from_the_middle_is_a_gap_and_a_swap_is_disorder() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Serials run through the u32 wrap: 4294967290 … 4294967295, 0 … 59.
    let serials: Vec<u64> = (4_294_967_290..=4_294_967_295).chain(0..60).collect();
    let bundle = dir.path().join("bundle");
    std::fs::create_dir_all(&bundle).expect("mkdir");
    std::fs::write(bundle.join("clean.log"), auditd_log(&serials)).expect("write");
    let mut cut = serials.clone();
    cut.retain(|n| *n != 20);
    cut.swap(40, 41);
    std::fs::write(bundle.join("cut.log"), auditd_log(&cut)).expect("write");
    let case = new_case(dir.path());
    import(&case, &[bundle]);
    let report = case.verify().expect("verify");
    let kinds: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.kind.as_str(), f.file.as_deref().unwrap_or("")))
        .map(|(k, f)| (k, f.rsplit('/').next().unwrap_or(f)))
        .collect();
    assert_eq!(
        kinds,
        vec![("sequence_gap", "cut.log"), ("out_of_order", "cut.log")]
    );
    assert!(report.findings[0]
        .detail
        .starts_with("serials 20–20 missing (1 record) between events"));
    assert_eq!(report.findings[0].events.len(), 2);
    assert!(report.findings[0].from < report.findings[0].to);
}

#[test]
fn the_same_record_id_with_other_content_is_a_conflict_but_an_exact_copy_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir_all(&bundle).expect("mkdir");
    let record = |user: &str, id: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2025-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{{"type":"IAMUser","userName":"{user}"}},"eventID":"{id}"}}"#
        )
    };
    let first = format!(
        r#"{{"Records":[{},{}]}}"#,
        record("alice", "e-1"),
        record("bob", "e-2")
    );
    // A second copy: e-1 unchanged but written as JSON lines, e-2 with another actor.
    let second = format!("{}\n{}\n", record("alice", "e-1"), record("mallory", "e-2"));
    std::fs::write(bundle.join("a.json"), first).expect("write");
    std::fs::write(bundle.join("b.jsonl"), second).expect("write");
    let case = new_case(dir.path());
    import(&case, &[bundle]);
    let report = case.verify().expect("verify");
    assert_eq!(
        report
            .findings
            .iter()
            .map(|f| f.kind.as_str())
            .collect::<Vec<_>>(),
        vec!["duplicate_conflict"],
        "{:#?}",
        report.findings
    );
    assert_eq!(
        report.findings[0].events,
        vec!["1-1".to_string(), "2-1".to_string()]
    );
}

#[test]
fn a_later_import_is_compared_with_the_records_of_earlier_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = |user: &str, id: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2025-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{{"type":"IAMUser","userName":"{user}"}},"eventID":"{id}"}}"#
        )
    };
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let case = new_case(dir.path());
    let first = write(
        "a.json",
        format!(
            r#"{{"Records":[{},{}]}}"#,
            record("alice", "e-1"),
            record("bob", "e-2")
        ),
    );
    import(&case, &[first]);
    // A week later another copy arrives: e-1 the same, e-2 rewritten.
    let later = write(
        "b.jsonl",
        format!("{}\n{}\n", record("alice", "e-1"), record("mallory", "e-2")),
    );
    let report = import(&case, &[later]);
    let conflicts: Vec<_> = report
        .files
        .iter()
        .flat_map(|f| &f.findings)
        .filter(|f| f.kind.as_str() == "duplicate_conflict")
        .collect();
    assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
    assert_eq!(
        conflicts[0].events,
        vec!["1-1".to_string(), "2-1".to_string()]
    );
    assert!(
        conflicts[0].detail.contains("a.json imported earlier"),
        "{}",
        conflicts[0].detail
    );
    // Stored with the later file, so verify reports it while that file is unchanged.
    let verified = case.verify().expect("verify");
    assert_eq!(
        verified
            .findings
            .iter()
            .filter(|f| f.kind.as_str() == "duplicate_conflict")
            .map(|f| f.file.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        vec![dir.path().join("b.jsonl").display().to_string()]
    );
    // A third copy that agrees with the first raises nothing new.
    let agreeing = write(
        "c.jsonl",
        format!("{}\n{}\n", record("alice", "e-1"), record("bob", "e-2")),
    );
    let report = import(&case, &[agreeing]);
    assert!(
        report
            .files
            .iter()
            .flat_map(|f| &f.findings)
            .all(|f| f.kind.as_str() != "duplicate_conflict"),
        "the third copy agrees with the first"
    );
    // Damaged id file: the import still runs and says what it could not compare.
    // One id file per import run, each sorted by id.
    let mut id_files: Vec<_> = std::fs::read_dir(dir.path().join("case"))
        .expect("case dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            name.starts_with("record-ids-") && name.ends_with(".bin")
        })
        .collect();
    id_files.sort();
    assert_eq!(id_files.len(), 3, "{id_files:?}");
    std::fs::write(&id_files[0], b"garbage").expect("damage");
    let fourth = write("d.jsonl", format!("{}\n", record("eve", "e-1")));
    let report = import(&case, &[fourth]);
    assert_eq!(report.events, 1);
    let kinds: Vec<_> = report
        .files
        .iter()
        .flat_map(|f| &f.findings)
        .map(|f| f.kind.as_str())
        .collect();
    // The first import's ids are lost; the second's still speak: eve's e-1 differs from b's.
    assert_eq!(
        kinds,
        vec!["duplicate_conflict", "duplicate_check_incomplete"]
    );
    let detail = &report.files[0].findings[0].detail;
    assert!(detail.contains("b.jsonl"), "{detail}");
}

/// CloudTrail deliveries of one account and region, one file per five minutes, an event every
/// ten seconds from 2024-05-01T00:00Z; `skip` leaves files out as if deleted.
fn deliveries(root: &std::path::Path, account: &str, region: &str, files: u32, skip: &[u32]) {
    let dir = root.join(format!("AWSLogs/{account}/CloudTrail/{region}/2024/05/01"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    for f in (0..files).filter(|f| !skip.contains(f)) {
        let records: Vec<String> = (0..30)
            .map(|i| {
                let t = f * 300 + i * 10;
                format!(
                    r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T{:02}:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"{region}","userIdentity":{{"type":"IAMUser","userName":"u"}},"eventID":"{account}-{region}-{f}-{i}"}}"#,
                    t / 3600,
                    t / 60 % 60,
                    t % 60
                )
            })
            .collect();
        let name = format!(
            "{account}_CloudTrail_{region}_20240501T{:02}{:02}Z_f{f}.json",
            (f * 5) / 60,
            (f * 5) % 60
        );
        std::fs::write(
            dir.join(name),
            format!(r#"{{"Records":[{}]}}"#, records.join(",")),
        )
        .expect("write");
    }
}

#[test]
fn a_deleted_cloudtrail_delivery_is_a_silence_in_its_own_account_and_region_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    // 12 hours of deliveries in one region, with the files of 06:00–06:30 deleted; a second
    // region of the same account that ends at 02:00; another account's complete trail over the
    // same 12 hours, whose events must not fill the hole; and the sample files (2013 to 2024),
    // none named as deliveries, whose years between must not read as silence.
    deliveries(
        &bundle,
        "111122223333",
        "us-east-1",
        144,
        &[72, 73, 74, 75, 76, 77],
    );
    deliveries(&bundle, "111122223333", "eu-west-1", 24, &[]);
    deliveries(&bundle, "444455556666", "us-east-1", 144, &[]);
    let case = new_case(dir.path());
    import(&case, &[bundle, fixtures().join("cloudtrail")]);
    let gaps: Vec<_> = case
        .verify()
        .expect("verify")
        .findings
        .into_iter()
        .filter(|f| f.kind.as_str() == "time_gap")
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:#?}");
    assert!(
        gaps[0]
            .detail
            .starts_with("no cloudtrail events from account 111122223333 in us-east-1 for 30m 10s"),
        "{}",
        gaps[0].detail
    );
    assert_eq!(gaps[0].source.as_deref(), Some("cloudtrail"));
    assert_eq!(gaps[0].file, None);
}

#[test]
fn moved_evidence_is_verified_where_it_is_now_and_named_as_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = bundle(dir.path());
    let line = std::fs::read(bundle.join("app.jsonl")).expect("read");
    std::fs::write(
        bundle.join("more.zip"),
        crate::archives::zip_with(&[("inner/app.jsonl", &line)], None),
    )
    .expect("zip");
    let case = new_case(dir.path());
    import(&case, std::slice::from_ref(&bundle));
    let vault = dir.path().join("vault");
    std::fs::create_dir_all(&vault).expect("mkdir");
    std::fs::rename(&bundle, vault.join("bundle")).expect("move");

    let missing = case.verify().expect("verify");
    assert_eq!(missing.findings.len(), 3, "{:#?}", missing.findings);
    assert!(missing
        .findings
        .iter()
        .all(|f| f.kind.as_str() == "file_missing"));

    let moved = Relocation::parse(&format!(
        "{}={}/",
        bundle.display(),
        vault.join("bundle").display()
    ))
    .expect("parse");
    let options = VerifyOptions {
        moved: vec![moved.clone()],
        ..VerifyOptions::default()
    };
    let report = case.verify_with(&options).expect("verify");
    assert_eq!(report.findings, vec![], "whole where it is now");
    assert_eq!(report.files_checked, 3);
    assert_eq!(report.moved, vec![moved.clone()]);
    let last = case
        .journal()
        .expect("journal")
        .entries
        .pop()
        .expect("entry");
    assert_eq!(last.action, "verify");
    assert!(last.detail.contains("vault"), "{}", last.detail);

    // An altered archive member is named as imported, not as read.
    let altered = line
        .iter()
        .map(|b| if *b == b'a' { b'b' } else { *b })
        .collect::<Vec<_>>();
    std::fs::write(
        vault.join("bundle/more.zip"),
        crate::archives::zip_with(&[("inner/app.jsonl", &altered)], None),
    )
    .expect("zip");
    let report = case.verify_with(&options).expect("verify");
    let named: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.kind.as_str(), f.file.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        named,
        vec![(
            "file_modified",
            format!("{}!/inner/app.jsonl", bundle.join("more.zip").display())
        )]
    );

    // Moved to a place that does not hold it: missing, saying where it was looked for.
    let wrong = VerifyOptions {
        moved: vec![Relocation {
            from: bundle.display().to_string(),
            to: dir.path().join("elsewhere").display().to_string(),
        }],
        ..VerifyOptions::default()
    };
    let report = case.verify_with(&wrong).expect("verify");
    assert_eq!(report.findings.len(), 3);
    assert!(report.findings[0].detail.contains("elsewhere"));
    assert!(report.findings[0]
        .detail
        .contains("does not exist (moved there from"));
    assert!(Relocation::parse("no-equals-sign").is_err());
}

/// Twelve small imports, as live following makes them: the id files are merged as they pile up,
/// and a record of the last import still meets its twin from the first.
#[test]
fn many_small_imports_keep_comparing_with_the_first_after_their_id_files_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let record = |user: &str, id: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2025-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{{"type":"IAMUser","userName":"{user}"}},"eventID":"{id}"}}"#
        )
    };
    for i in 0..12 {
        let path = dir.path().join(format!("batch-{i}.json"));
        std::fs::write(
            &path,
            format!(
                "{}\n{}\n",
                record("alice", &format!("id-{i}-a")),
                record("alice", &format!("id-{i}-b"))
            ),
        )
        .expect("write");
        import(&case, &[path]);
    }
    let id_files = std::fs::read_dir(dir.path().join("case"))
        .expect("case dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("record-ids-"))
        .count();
    assert!(id_files < 8, "{id_files} id files after 12 imports");
    let twin = dir.path().join("twin.json");
    std::fs::write(&twin, format!("{}\n", record("mallory", "id-0-a"))).expect("write");
    let report = import(&case, &[twin]);
    let conflicts: Vec<_> = report
        .files
        .iter()
        .flat_map(|f| &f.findings)
        .filter(|f| f.kind.as_str() == "duplicate_conflict")
        .collect();
    assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
    assert!(
        conflicts[0].detail.contains("batch-0.json"),
        "{}",
        conflicts[0].detail
    );
}

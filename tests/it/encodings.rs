//! Files that are whole but unusual: gzip data followed by padding or junk, UTF-16 and UTF-32
//! text, JSON with a key written twice, epoch numbers that read as two dates. Each is read as
//! far as it can be, and the report and the events say what was odd.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use sightline::api::{FileStatus, WarningKind};

use crate::support::{file, fixtures, import, new_case, search};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    path
}

fn warned(report: &sightline::api::FileReport, kind: WarningKind) -> u64 {
    report
        .warning_counts
        .iter()
        .find(|c| c.kind == kind)
        .map_or(0, |c| c.count)
}

#[test]
fn gzip_data_followed_by_padding_or_junk_keeps_every_record_and_says_what_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    let text = std::fs::read(fixtures().join("generic/app-audit.jsonl")).expect("fixture");
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&text).expect("gz");
    let gz = gz.finish().expect("gz");
    let mut padded = gz.clone();
    padded.extend([0u8; 4096]);
    write(&bundle, "padded.jsonl.gz", &padded);
    let mut junk = gz.clone();
    junk.extend(b"this is not gzip\n");
    write(&bundle, "junk.jsonl.gz", &junk);

    let case = new_case(dir.path());
    let report = import(&case, &[bundle]);
    for (name, what) in [
        ("padded.jsonl.gz", "zero bytes"),
        ("junk.jsonl.gz", "not gzip data"),
    ] {
        let f = file(&report, name);
        assert_eq!((f.status, f.events), (FileStatus::Imported, 3), "{name}");
        assert_eq!(warned(f, WarningKind::TrailingData), 1, "{name}");
        let reason = &f
            .warnings
            .iter()
            .find(|w| w.kind == Some(WarningKind::TrailingData))
            .expect("sample")
            .reason;
        assert!(reason.contains(what), "{reason}");
        assert!(
            reason.contains(&format!("ends at byte {} of", gz.len())),
            "{reason}"
        );
    }
    assert!(case.verify().expect("verify").findings.is_empty());
}

#[test]
fn utf16_text_is_decoded_and_utf32_refused_with_the_way_to_convert_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    let text = std::fs::read_to_string(fixtures().join("generic/app-audit.csv")).expect("fixture");
    let mut le = vec![0xff, 0xfe];
    let mut be = vec![0xfe, 0xff];
    for unit in text.encode_utf16() {
        le.extend(unit.to_le_bytes());
        be.extend(unit.to_be_bytes());
    }
    write(&bundle, "le.csv", &le);
    write(&bundle, "be.csv", &be);
    let mut utf32 = vec![0xff, 0xfe, 0, 0];
    for c in text.chars() {
        utf32.extend((c as u32).to_le_bytes());
    }
    write(&bundle, "wide.csv", &utf32);

    let case = new_case(dir.path());
    let report = import(&case, &[bundle]);
    let plain_case = new_case(&dir.path().join("plain"));
    let plain = import(&plain_case, &[fixtures().join("generic/app-audit.csv")]);
    for name in ["le.csv", "be.csv"] {
        let f = file(&report, name);
        assert_eq!(f.format.as_deref(), Some("csv"), "{name}");
        assert_eq!(
            f.events, plain.events,
            "{name}: as many events as the UTF-8 file"
        );
        assert_eq!(warned(f, WarningKind::Transcoded), 1, "{name}");
    }
    let wide = file(&report, "wide.csv");
    assert_eq!(wide.status, FileStatus::Unrecognized);
    assert!(
        wide.note
            .as_deref()
            .is_some_and(|n| n.contains("UTF-32LE") && n.contains("iconv")),
        "{:?}",
        wide.note
    );
    // The decoded events read as the original's do, once per copy.
    let mallory = search(&plain_case, "actor:mallory").total;
    assert!(mallory > 0);
    assert_eq!(search(&case, "actor:mallory").total, 2 * mallory);
}

#[test]
fn a_key_written_twice_is_flagged_and_a_second_records_array_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    let record = |id: &str, user: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{{"type":"IAMUser","userName":"{user}"}},"eventID":"{id}"}}"#
        )
    };
    let twice = r#"{"eventVersion":"1.08","eventTime":"2024-05-01T00:00:01Z","eventSource":"iam.amazonaws.com","eventName":"DeleteUser","userIdentity":{"type":"IAMUser","userName":"alice","userName":"mallory"},"eventID":"d-1"}"#;
    let body = format!(
        r#"{{"Records":[{},{twice}],"Records":[{}]}}"#,
        record("a-1", "alice"),
        record("b-1", "bob")
    );
    write(&bundle, "trail.json", body.as_bytes());

    let case = new_case(dir.path());
    let report = import(&case, &[bundle]);
    let f = file(&report, "trail.json");
    assert_eq!(f.format.as_deref(), Some("cloudtrail"));
    assert_eq!(f.events, 3, "the records of both arrays");
    assert_eq!(
        warned(f, WarningKind::DuplicateKeys),
        2,
        "one object, one wrapper"
    );
    let flagged = search(&case, "flag:duplicate_keys");
    assert_eq!(flagged.total, 1);
    assert_eq!(
        flagged.events[0].actor.identity.name.as_deref(),
        Some("mallory"),
        "the last value is read"
    );
    let detail = case.event(&flagged.events[0].id).expect("event");
    assert!(
        detail.raw.contains("\"alice\"") && detail.raw.contains("\"mallory\""),
        "the raw record keeps both"
    );
}

#[test]
fn an_epoch_that_reads_as_two_dates_is_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir(&bundle).expect("mkdir");
    let lines = [
        r#"{"timestamp":253402300800,"user":"svc","action":"expire","result":"success"}"#,
        r#"{"timestamp":1722500000000,"user":"svc","action":"rotate","result":"success"}"#,
    ];
    write(&bundle, "app.jsonl", lines.join("\n").as_bytes());
    let case = new_case(dir.path());
    let report = import(&case, &[bundle]);
    let f = file(&report, "app.jsonl");
    assert_eq!(f.events, 2);
    assert_eq!(warned(f, WarningKind::EpochAmbiguous), 1);
    let flagged = search(&case, "flag:epoch_ambiguous");
    assert_eq!(flagged.total, 1);
    assert_eq!(flagged.events[0].action, "expire");
}

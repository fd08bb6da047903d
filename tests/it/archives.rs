//! Hostile and damaged bundles: every problem gets a clear reason in the report, nothing is
//! written outside the case, and good records around the damage are kept.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use sightline::api::FileStatus;
use sightline::api::ImportOptions;
use sightline::api::Limits;

use crate::support::{file, fixtures, import, import_with, new_case, search};

fn record(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"2024-05-01T00:00:{:02}Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","userIdentity":{{"type":"IAMUser","userName":"u{i}"}},"requestParameters":{{"userName":"new{i}"}},"eventID":"id-{i}"}}"#,
        i % 60
    )
}

fn records_file(n: usize) -> Vec<u8> {
    let body: Vec<String> = (0..n).map(record).collect();
    format!("{{\"Records\":[{}]}}", body.join(",")).into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

fn tar_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // Write the name bytes directly: the builder itself refuses `..`, attackers do not.
        let raw = &mut header.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, *data).expect("tar entry");
    }
    builder.into_inner().expect("tar")
}

pub(crate) fn zip_with(entries: &[(&str, &[u8])], symlink: Option<(&str, &str)>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, options).expect("zip entry");
        zip.write_all(data).expect("zip data");
    }
    if let Some((name, target)) = symlink {
        zip.add_symlink(name, target, options).expect("zip symlink");
    }
    zip.finish().expect("zip").into_inner()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).expect("write input");
    path
}

#[test]
fn nested_archives_are_read_and_named_with_their_inner_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner_zip = zip_with(
        &[
            ("logs/a.json", &records_file(3)),
            ("logs/b.json.gz", &gzip(&records_file(2))),
        ],
        None,
    );
    let tgz = gzip(&tar_with(&[
        ("bundle/inner.zip", &inner_zip),
        ("bundle/c.json", &records_file(4)),
    ]));
    let input = write(dir.path(), "delivery.tgz", &tgz);
    let case = new_case(dir.path());
    let report = import(&case, std::slice::from_ref(&input));
    assert_eq!(report.events, 9);
    let a = file(&report, "delivery.tgz!/bundle/inner.zip!/logs/a.json");
    assert_eq!((a.events, a.format.as_deref()), (3, Some("cloudtrail")));
    assert_eq!(file(&report, "inner.zip!/logs/b.json.gz").events, 2);
    assert_eq!(file(&report, "delivery.tgz!/bundle/c.json").events, 4);
    assert_eq!(
        a.sha256.as_deref(),
        Some(sightline::api::sha256_hex(&records_file(3)).as_str())
    );
    // The bundle is never written to.
    assert_eq!(fs::read(&input).expect("input"), tgz);
}

#[test]
fn unsafe_paths_links_and_bombs_are_refused_with_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evil_tar = tar_with(&[
        ("../../escape.json", &records_file(1)),
        ("/etc/abs.json", &records_file(1)),
        ("ok.json", &records_file(2)),
    ]);
    let zeros = vec![b' '; 8 << 20];
    let evil_zip = zip_with(
        &[
            ("../zip-slip.json", &records_file(1)),
            ("bomb.json", &zeros),
            ("fine.json", &records_file(1)),
        ],
        Some(("link.json", "/etc/passwd")),
    );
    let inputs = vec![
        write(dir.path(), "evil.tar", &evil_tar),
        write(dir.path(), "evil.zip", &evil_zip),
    ];
    let case = new_case(dir.path());
    let limits = Limits {
        ratio_grace_bytes: 1 << 20,
        max_ratio: 100,
        ..Limits::default()
    };
    let report = import_with(
        &case,
        &inputs,
        &ImportOptions {
            limits,
            ..ImportOptions::default()
        },
    );
    let refused = |suffix: &str, reason: &str| {
        let f = file(&report, suffix);
        assert_eq!(f.status, FileStatus::Refused, "{suffix}");
        let note = f.note.as_deref().unwrap_or_default();
        assert!(note.contains(reason), "{suffix}: {note}");
    };
    refused("evil.tar!/../../escape.json", "escaping the archive");
    refused("evil.tar!//etc/abs.json", "absolute path");
    refused("evil.zip!/../zip-slip.json", "escaping the archive");
    refused("evil.zip!/link.json", "link");
    refused("evil.zip!/bomb.json", "decompression bomb");
    assert_eq!(file(&report, "evil.tar!/ok.json").events, 2);
    assert_eq!(file(&report, "evil.zip!/fine.json").events, 1);
    assert_eq!(report.events, 3);
    assert!(
        !dir.path().join("escape.json").exists()
            && !dir
                .path()
                .parent()
                .expect("parent")
                .join("escape.json")
                .exists()
    );
    assert!(
        fs::read_dir(case.dir().join("tmp"))
            .expect("tmp")
            .next()
            .is_none(),
        "spilled members are cleaned up"
    );
}

#[test]
fn a_truncated_gzip_keeps_the_records_before_the_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines: String = (0..2000).map(|i| record(i) + "\n").collect();
    let gz = gzip(lines.as_bytes());
    let input = write(dir.path(), "cut.json.gz", &gz[..gz.len() * 2 / 3]);
    let case = new_case(dir.path());
    let report = import(&case, &[input]);
    let f = file(&report, "cut.json.gz");
    assert_eq!(f.status, FileStatus::Imported);
    assert!(f.events > 500 && f.events < 2000, "{}", f.events);
    assert!(
        f.note
            .as_deref()
            .unwrap_or_default()
            .contains("truncated or damaged"),
        "{:?}",
        f.note
    );
    assert_eq!(search(&case, "").total, f.events);
}

#[test]
fn bad_records_are_reported_with_line_and_reason_and_the_rest_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(record(1).as_bytes());
    bytes.extend_from_slice(b"\n{\"eventName\": \"Broken\", \n");
    bytes.extend_from_slice(b"this line is not json\n");
    // Invalid UTF-8 inside a string: imported, flagged, raw bytes kept.
    bytes.extend_from_slice(
        &record(2)
            .as_bytes()
            .iter()
            .flat_map(|&b| if b == b'2' { vec![0xff, b'2'] } else { vec![b] })
            .collect::<Vec<u8>>(),
    );
    bytes.push(b'\n');
    bytes.extend_from_slice(
        format!(
            "{{\"eventName\":\"Huge\",\"blob\":\"{}\"}}\n",
            "x".repeat(11 << 20)
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(record(3).as_bytes());
    let with_bad_utf8 = bytes;
    let input = write(dir.path(), "mixed.jsonl", &with_bad_utf8);
    let case = new_case(dir.path());
    let limits = Limits {
        max_record_bytes: 10 << 20,
        ..Limits::default()
    };
    let report = import_with(
        &case,
        &[input],
        &ImportOptions {
            limits,
            ..ImportOptions::default()
        },
    );
    let f = file(&report, "mixed.jsonl");
    assert_eq!(f.events, 3, "{:?}", f.errors);
    assert_eq!(f.skipped, 3, "{:?}", f.errors);
    let lines: Vec<u64> = f.errors.iter().filter_map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 5]);
    assert!(f.errors[2].reason.contains("limit"), "{:?}", f.errors[2]);
    assert_eq!(f.flagged, 1);
    let flagged = search(&case, "flag:invalid_utf8");
    assert_eq!(flagged.total, 1);
    let detail = case.event(&flagged.events[0].id).expect("event");
    assert!(detail.raw.contains('\u{FFFD}'));
}

#[test]
fn wrong_formats_are_reported_and_the_import_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = vec![
        write(
            dir.path(),
            "photo.json",
            &[0x89, b'P', b'N', b'G', 0, 0, 0, 13, 0, 1, 2],
        ),
        write(
            dir.path(),
            "notes.txt",
            b"just some words\nwithout structure\n",
        ),
        write(dir.path(), "empty.json", b""),
        write(dir.path(), "numbers.json", b"[1, 2, 3]"),
        fixtures().join("cloudtrail/aws.defense-evasion.cloudtrail-stop.json"),
    ];
    let case = new_case(dir.path());
    let report = import(&case, &inputs);
    for name in ["photo.json", "notes.txt", "empty.json", "numbers.json"] {
        let f = file(&report, name);
        assert_eq!(f.status, FileStatus::Unrecognized, "{name}: {:?}", f.note);
        assert!(f.note.is_some(), "{name}");
    }
    assert!(file(&report, "photo.json")
        .note
        .as_deref()
        .unwrap_or_default()
        .contains("binary"));
    assert_eq!(report.events, 1);
}

#[test]
fn importing_the_same_file_again_is_detected_and_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = fixtures().join("cloudtrail/aws.persistence.iam-create-admin-user.json");
    let copy = write(
        dir.path(),
        "renamed-copy.json",
        &fs::read(&original).expect("fixture"),
    );
    let case = new_case(dir.path());
    let first = import(&case, std::slice::from_ref(&original));
    assert_eq!(first.events, 3);
    let second = import(&case, &[original, copy]);
    assert_eq!(second.events, 0);
    assert_eq!(second.files_duplicate, 2);
    let note = file(&second, "renamed-copy.json")
        .note
        .clone()
        .unwrap_or_default();
    assert!(
        note.contains("same SHA-256") && note.contains("iam-create-admin-user.json"),
        "{note}"
    );
    assert_eq!(search(&case, "").total, 3);
}

#[test]
fn symlinks_in_folders_are_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    fs::create_dir(&bundle).expect("mkdir");
    fs::write(bundle.join("a.json"), records_file(2)).expect("write");
    std::os::unix::fs::symlink("/etc/passwd", bundle.join("passwd.json")).expect("symlink");
    let case = new_case(dir.path());
    let report = import(&case, &[bundle]);
    assert_eq!(report.events, 2);
    let link = file(&report, "passwd.json");
    assert_eq!(link.status, FileStatus::Refused);
    assert!(link
        .note
        .as_deref()
        .unwrap_or_default()
        .contains("symbolic link"));
}

//! Inputs an adversary or an accident hands over: bombs nested in archives, members hidden behind
//! a refused one, pipes given by name, the case folder inside its own bundle, names that are not
//! UTF-8, a mistyped path.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::write::GzEncoder;
use flate2::Compression;
use sightline::api::{FileStatus, FindingKind};

use crate::archives::zip_with;
use crate::support::{file, import, new_case};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).expect("write input");
    path
}

fn records(n: usize) -> Vec<u8> {
    let body: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"eventTime":"2024-05-01T00:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{{"type":"IAMUser","userName":"u{i}"}},"eventID":"h-{i}"}}"#,
                i % 60
            )
        })
        .collect();
    format!("{{\"Records\":[{}]}}", body.join(",")).into_bytes()
}

#[test]
fn a_bomb_nested_in_archives_is_bounded_across_its_levels_and_every_member_is_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Each leaf is 16 MiB of zeros, under the per-stream grace; ten per zip, three levels of
    // zips: 16 GiB if every level started a fresh allowance.
    let zeros = vec![0u8; 16 << 20];
    let mut level = zip_with(
        &(0..10)
            .map(|i| (format!("z{i}.bin"), zeros.as_slice()))
            .collect::<Vec<_>>()
            .iter()
            .map(|(n, d)| (n.as_str(), *d))
            .collect::<Vec<_>>(),
        None,
    );
    for depth in 0..2 {
        let names: Vec<String> = (0..10).map(|i| format!("l{depth}-{i}.zip")).collect();
        let entries: Vec<(&str, &[u8])> = names
            .iter()
            .map(|n| (n.as_str(), level.as_slice()))
            .collect();
        level = zip_with(&entries, None);
    }
    let input = write(dir.path(), "nested.zip", &level);
    let case = new_case(dir.path());
    let report = import(&case, &[input]);
    let refused: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Refused)
        .collect();
    assert!(
        refused
            .iter()
            .any(|f| f.note.as_deref().is_some_and(|n| n.contains("in all"))),
        "the tree's budget refused it: {:#?}",
        refused.iter().map(|f| &f.note).collect::<Vec<_>>()
    );
    // Bounded: at most the grace and the ratio over the file's own size were decompressed,
    // not 16 GiB; and every one of the 1000 leaves is either read or listed with a reason.
    assert!(report.bytes < 512 << 20, "{} bytes read", report.bytes);
    let leaves = report
        .files
        .iter()
        .filter(|f| f.path.ends_with(".bin"))
        .count();
    let listed_later = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Refused && f.path.ends_with(".zip"))
        .count();
    assert!(
        leaves + listed_later * 10 >= 100,
        "{leaves} leaves, {listed_later} zips"
    );
}

#[test]
fn the_members_after_a_refused_tar_member_are_listed_not_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("first.json", records(2)),
        ("bomb.bin", vec![0u8; 64 << 20]),
        ("after.json", records(3)),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, data.as_slice())
            .expect("tar entry");
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&builder.into_inner().expect("tar"))
        .expect("gzip");
    let input = write(dir.path(), "bundle.tgz", &gz.finish().expect("gzip"));
    let case = new_case(dir.path());
    let options = sightline::api::ImportOptions {
        limits: sightline::api::Limits {
            max_file_bytes: 8 << 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let report = crate::support::import_with(&case, &[input], &options);
    assert_eq!(file(&report, "bundle.tgz!/first.json").events, 2);
    assert_eq!(
        file(&report, "bundle.tgz!/bomb.bin").status,
        FileStatus::Refused
    );
    let rest = file(&report, "bundle.tgz!/*");
    assert_eq!(rest.status, FileStatus::Refused);
    assert!(rest
        .note
        .as_deref()
        .is_some_and(|n| n.contains("members after bomb.bin were not read")));
}

#[cfg(unix)]
#[test]
fn a_pipe_or_device_given_by_name_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo unavailable");
        return;
    }
    let case = new_case(dir.path());
    let report = import(&case, &[fifo, PathBuf::from("/dev/zero")]);
    assert_eq!(report.files_refused, 2);
    assert!(report.files.iter().all(|f| f
        .note
        .as_deref()
        .is_some_and(|n| n.contains("not a regular file"))));
}

#[test]
fn the_case_folder_inside_its_bundle_is_not_imported_into_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.json", &records(2));
    // new_case makes the case in <dir>/case: inside the folder being imported.
    let case = new_case(dir.path());
    let report = import(&case, &[dir.path().to_path_buf()]);
    assert_eq!(report.events, 2);
    let skipped = report
        .files
        .iter()
        .find(|f| f.path.ends_with("/case"))
        .expect("the case folder is reported");
    assert!(skipped
        .note
        .as_deref()
        .is_some_and(|n| n.contains("the case's own folder")));
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_kept_and_found_again_by_verify() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    fs::create_dir_all(&bundle).expect("mkdir");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9-\xff.json");
    fs::write(bundle.join(name), records(2)).expect("write");
    let case = new_case(dir.path());
    let report = import(&case, &[bundle]);
    let f = file(&report, "caf\\xE9-\\xFF.json");
    assert_eq!(f.events, 2);
    let verified = case.verify().expect("verify");
    assert!(
        !verified
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::FileMissing),
        "{:#?}",
        verified.findings
    );
}

#[test]
fn an_import_with_a_missing_path_creates_no_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("new-case");
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["import", "--case"])
        .arg(&case)
        .arg(dir.path().join("no-such-file.json"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-file.json"));
    assert!(!case.exists(), "nothing was created");
}

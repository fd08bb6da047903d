//! Every third-party sample in ../shared/datasets imports with the format its folder names and
//! exactly the records an independent count finds (serde_json for JSON, line and `msg=audit`
//! stamp counting for text, a walk of EVTX chunk and record headers for EVTX). Skipped when the
//! folder is absent.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sightline::api::FileStatus;

use crate::support::{file, import, new_case, shared_datasets};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("read dir")
            .filter_map(Result::ok)
        {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Counts CloudTrail records with serde_json alone: `Records` arrays, bare arrays, or lines.
fn independent_count(path: &Path) -> usize {
    let bytes = std::fs::read(path).expect("read");
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut out)
            .expect("gunzip");
        out
    } else {
        String::from_utf8(bytes).expect("utf-8")
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(o)) => o
            .get("Records")
            .or_else(|| o.get("records"))
            .and_then(Value::as_array)
            .map_or(1, Vec::len),
        Ok(Value::Array(a)) => a.len(),
        _ => text.lines().filter(|l| !l.trim().is_empty()).count(),
    }
}

/// `../shared/datasets`, or `None` (with a note) when this checkout has none.
fn datasets_or_skip() -> Option<PathBuf> {
    let found = shared_datasets();
    if found.is_none() {
        eprintln!("skipped: ../shared/datasets is absent");
    }
    found
}

/// Imports `path` into a fresh case; the temp dir must outlive the report's use.
fn import_fresh(path: &Path) -> (tempfile::TempDir, sightline::api::ImportReport) {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let report = import(&case, &[path.to_path_buf()]);
    (dir, report)
}

#[test]
fn every_cloudtrail_sample_imports_with_the_independent_count() {
    let Some(datasets) = datasets_or_skip() else {
        return;
    };
    let root = datasets.join("aws-cloudtrail");
    let (_dir, report) = import_fresh(&root);
    let inputs = files_under(&root);
    assert_eq!(inputs.len(), 40);
    let mut total = 0;
    for input in &inputs {
        let expected = independent_count(input);
        let name = input
            .strip_prefix(&root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let f = file(&report, &name);
        assert_eq!(f.status, FileStatus::Imported, "{name}: {:?}", f.note);
        assert_eq!(f.format.as_deref(), Some("cloudtrail"), "{name}");
        assert_eq!(f.events as usize, expected, "{name}");
        assert_eq!(f.skipped, 0, "{name}: {:?}", f.errors);
        total += expected;
    }
    assert_eq!(
        total, 331,
        "the datasets README counts 331 CloudTrail events"
    );
    assert_eq!(report.events as usize, total);
}

#[test]
fn the_whole_development_set_imports_without_a_crash_and_accounts_for_every_file() {
    let Some(datasets) = datasets_or_skip() else {
        return;
    };
    let (_dir, report) = import_fresh(&datasets);
    let inputs = files_under(&datasets);
    assert_eq!(
        report.files.len(),
        inputs.len(),
        "every file has a line in the report"
    );
    for f in &report.files {
        if f.status != FileStatus::Imported {
            assert!(
                f.note.is_some(),
                "{} is {:?} without a reason",
                f.path,
                f.status
            );
        }
    }
    assert!(report.events >= 331);
}

/// auditd: one event per distinct `msg=audit(…)` stamp, plus lines that carry none.
fn auditd_count(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("read");
    let mut stamps = std::collections::BTreeSet::new();
    let mut loose = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line
            .split("msg=audit(")
            .nth(1)
            .and_then(|r| r.split(')').next())
        {
            Some(stamp) => {
                stamps.insert(stamp.to_string());
            }
            None => loose += 1,
        }
    }
    stamps.len() + loose
}

/// EVTX: records found by walking chunk headers (`ElfChnk`) and record headers (`**` + size)
/// from the first record of each chunk until the walk meets something that is not a record.
fn evtx_walk_count(path: &Path) -> usize {
    let b = std::fs::read(path).expect("read");
    let mut n = 0;
    let mut chunk = 4096;
    while chunk + 65536 <= b.len() {
        if &b[chunk..chunk + 8] == b"ElfChnk\0" {
            let mut pos = chunk + 512;
            while pos + 24 <= chunk + 65536 && b[pos..pos + 4] == [0x2a, 0x2a, 0, 0] {
                let size =
                    u32::from_le_bytes(b[pos + 4..pos + 8].try_into().expect("4 bytes")) as usize;
                if size < 24 {
                    break;
                }
                n += 1;
                pos += size;
            }
        }
        chunk += 65536;
    }
    n
}

/// The format each dataset folder holds.
fn expected_format(rel: &str) -> &'static str {
    let dir = rel.split('/').next().unwrap_or("");
    match dir {
        "aws-cloudtrail" => "cloudtrail",
        "azure-activity" => "azure_activity",
        "azure-entra-id" => "entra_id",
        "gcp-audit" => "gcp_audit",
        "github-audit" => "github_audit",
        "google-workspace" => "google_workspace",
        "journald" => "journald",
        "k8s-audit" => "k8s_audit",
        "linux-auditd" => "auditd",
        "linux-auth" => "syslog",
        "m365-ual" => "m365_ual",
        "okta" => "okta",
        "windows-event-json" => "windows_json",
        "windows-evtx" => "evtx",
        "aws-cloudtrail-digest" => "cloudtrail_digest",
        _ => "json",
    }
}

#[test]
fn every_sample_imports_as_its_format_with_the_independent_count() {
    let Some(datasets) = datasets_or_skip() else {
        return;
    };
    let (_dir, report) = import_fresh(&datasets);
    let mut checked = 0;
    for input in files_under(&datasets) {
        let rel = input
            .strip_prefix(&datasets)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "README.md" {
            continue;
        }
        let f = file(&report, &rel);
        assert_eq!(f.status, FileStatus::Imported, "{rel}: {:?}", f.note);
        // falco's deliberately broken `{"kind": 0}` is no Kubernetes event; it is still kept.
        let format = if rel.ends_with("fal_01_003.json") {
            "json"
        } else {
            expected_format(&rel)
        };
        assert_eq!(f.format.as_deref(), Some(format), "{rel}");
        let damaged = rel.contains("zero-data-size") || rel.contains("bad_chunk_magic");
        let expected = match format {
            "auditd" => auditd_count(&input),
            "syslog" => std::fs::read_to_string(&input)
                .expect("read")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count(),
            "evtx" => evtx_walk_count(&input),
            _ => independent_count(&input),
        };
        if damaged {
            // The walk stops at the damage; the reader goes on past it and says what it lost.
            assert!(
                f.events as usize >= expected,
                "{rel}: {} < {expected}",
                f.events
            );
            assert!(f.skipped > 0, "{rel}: damage not reported");
        } else {
            assert_eq!(f.events as usize, expected, "{rel}");
            assert_eq!(f.skipped, 0, "{rel}: {:?}", f.errors);
        }
        checked += 1;
    }
    assert_eq!(
        checked, 138,
        "the datasets README lists 138 files besides itself"
    );
}

/// Every critical integrity finding on the real samples is one the sample is known for (a log
/// cleared or stopped by the attack it records, a deliberately damaged EVTX file); nothing else
/// in 138 files of clean third-party data raises one.
#[test]
fn verify_on_the_whole_development_set_raises_only_the_known_critical_findings() {
    let Some(datasets) = datasets_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(&case, &[datasets]);
    let report = case.verify().expect("verify");
    let mut critical: Vec<(String, &str)> = report
        .findings
        .iter()
        .filter(|f| f.severity == sightline::api::Severity::Critical)
        .map(|f| {
            let file = f.file.as_deref().unwrap_or("");
            (
                file.rsplit('/').next().unwrap_or(file).to_string(),
                f.kind.as_str(),
            )
        })
        .collect();
    critical.sort();
    critical.dedup();
    let expected: Vec<(String, &str)> = [
        ("Application_no_crc32.evtx", "checksum_error"),
        ("ID104-1102-Event_log_cleared.evtx", "log_cleared"),
        (
            "ID4688-5447-4950-Firewall_disabled_command_.evtx",
            "log_cleared",
        ),
        (
            "ID4688_4648_4624-Runas_execution_with_different_user.evtx",
            "log_cleared",
        ),
        ("ID472_4728_Hidden_user_creation.evtx", "log_cleared"),
        ("ID5145-4624-DonPAPI_full_extraction.evtx", "log_cleared"),
        (
            "aws.defense-evasion.cloudtrail-delete.json",
            "audit_disabled",
        ),
        ("aws.defense-evasion.cloudtrail-stop.json", "audit_disabled"),
        (
            "cmd_sam_copy_esentutl_2020-10-1900290001.json",
            "log_cleared",
        ),
        ("sample-with-zero-data-size-event.evtx", "checksum_error"),
        ("sample_with_a_bad_chunk_magic.evtx", "checksum_error"),
    ]
    .into_iter()
    .map(|(f, k)| (f.to_string(), k))
    .collect();
    assert_eq!(critical, expected);
    // The sequence files of go-libaudit: the lost serials are found, the wrap and the late lines
    // are not mistaken for gaps.
    let about = |suffix: &str| {
        report
            .findings
            .iter()
            .filter(|f| f.file.as_deref().is_some_and(|p| p.ends_with(suffix)))
            .map(|f| f.kind.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(about("seq-lost_messages.log"), vec!["sequence_gap"]);
    assert_eq!(about("seq-rollover.log"), Vec::<&str>::new());
    assert_eq!(about("seq-normal.log"), Vec::<&str>::new());
    assert_eq!(about("seq-out_of_order.log"), Vec::<&str>::new());
}

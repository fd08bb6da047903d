//! Sigma semantics against the reference implementation: SigmaHQ's rules for each source, run by
//! Sightline over the shared datasets and by pySigma (its SQLite backend, from the Python
//! registry, pinned) over the very documents Sightline evaluated (`Case::sigma_views`); every rule
//! pySigma can convert must match the same events. pySigma does not route by log source, so a
//! rule of the source's folder that Sightline never gives the source's events (a log source
//! mapped wrong) shows up here too. Skips without `../shared` or `python3`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use serde_json::Value;
use sightline::api::{ImportOptions, RuleSources, SearchRequest};

use crate::support::{import_with, new_case, search};

const PYSIGMA: &[&str] = &["pySigma==2.0.1", "pySigma-backend-sqlite==2.1.1"];

/// `(dataset folder, SigmaHQ rule folders for its source)`.
const SOURCES: &[(&str, &[&str])] = &[
    ("aws-cloudtrail", &["cloud/aws"]),
    ("okta", &["identity/okta"]),
    ("github-audit", &["application/github"]),
    ("azure-activity", &["cloud/azure/activity_logs"]),
    (
        "azure-entra-id",
        &["cloud/azure/audit_logs", "cloud/azure/signin_logs"],
    ),
    ("gcp-audit", &["cloud/gcp/audit"]),
    ("google-workspace", &["cloud/gcp/gworkspace"]),
    ("m365-ual", &["cloud/m365"]),
    ("k8s-audit", &["application/kubernetes"]),
    ("linux-auditd", &["linux/auditd"]),
    (
        "windows-evtx",
        &["windows/builtin/security", "windows/builtin/system"],
    ),
];

/// A Python with pySigma, made once under `target/`.
fn python() -> Option<PathBuf> {
    if Command::new("python3").arg("--version").output().is_err() {
        return None;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/oracle-venv");
    let python = venv.join("bin/python");
    let ready = venv.join(".pysigma-2.0.1");
    if !ready.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "python3 -m venv {venv:?} failed"
        );
        let pip = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(PYSIGMA)
            .status();
        assert!(
            pip.is_ok_and(|s| s.success()),
            "pip install {PYSIGMA:?} failed"
        );
        std::fs::write(&ready, "").expect("mark the venv ready");
    }
    Some(python)
}

#[test]
fn sigmahq_rules_match_what_pysigma_matches_on_the_same_documents() {
    let Some((datasets, sigma)) = crate::support::shared_datasets_and_sigma() else {
        eprintln!("skipped: ../shared/datasets or ../shared/sigma is absent");
        return;
    };
    let Some(python) = python() else {
        eprintln!("skipped: no python3");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/pysigma_matches.py");
    let mut differences = Vec::new();
    let (mut compared, mut matching, mut unconvertible) = (0, 0, 0);
    for (dataset, folders) in SOURCES {
        let dir = tempfile::tempdir().expect("tempdir");
        let case = new_case(dir.path());
        let options = ImportOptions {
            detect: false,
            ..ImportOptions::default()
        };
        import_with(&case, &[datasets.join(dataset)], &options);
        let rule_dirs: Vec<PathBuf> = folders.iter().map(|f| sigma.join(f)).collect();
        let sources = RuleSources {
            paths: rule_dirs.iter().map(|p| p.display().to_string()).collect(),
            builtin: false,
        };
        case.detect(&sources, &|_| {}, &AtomicBool::new(false))
            .expect("detect");

        let views = case
            .sigma_views(&SearchRequest::default(), usize::MAX, false)
            .expect("views");
        let events = dir.path().join("views.jsonl");
        let lines: Vec<String> = views
            .iter()
            .map(|v| serde_json::to_string(v).expect("json"))
            .collect();
        std::fs::write(&events, lines.join("\n")).expect("write views");
        let out = Command::new(&python)
            .arg(&script)
            .arg(&events)
            .args(&rule_dirs)
            .output()
            .expect("run pySigma");
        assert!(
            out.status.success(),
            "pySigma failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let oracle: Value = serde_json::from_slice(&out.stdout).expect("pySigma's json");
        unconvertible += oracle["unconvertible"].as_object().map_or(0, |m| m.len());
        let rules = oracle["rules"].as_object().expect("rules");
        for (path, rule) in rules {
            let expected: BTreeSet<String> = rule["events"]
                .as_array()
                .expect("events")
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let name = rule["id"]
                .as_str()
                .unwrap_or_else(|| rule["title"].as_str().unwrap_or(""));
            let found: BTreeSet<String> = search(&case, &format!("rule:\"{name}\""))
                .events
                .into_iter()
                .map(|e| e.id)
                .collect();
            compared += 1;
            if !expected.is_empty() {
                matching += 1;
            }
            if expected != found {
                let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
                    a.difference(b).take(3).cloned().collect::<Vec<_>>()
                };
                differences.push(format!(
                    "{dataset}: {path}: pySigma {} events, Sightline {}; only pySigma {:?}, only Sightline {:?}",
                    expected.len(),
                    found.len(),
                    only(&expected, &found),
                    only(&found, &expected)
                ));
            }
        }
    }
    eprintln!(
        "pySigma oracle: {compared} rules compared ({matching} matching some event), \
         {unconvertible} not convertible by pySigma's SQLite backend, {} differences",
        differences.len()
    );
    let by_source: BTreeMap<&str, usize> = differences
        .iter()
        .map(|d| (d.split(':').next().unwrap_or(""), 1))
        .fold(BTreeMap::new(), |mut m, (k, n)| {
            *m.entry(k).or_default() += n;
            m
        });
    assert!(
        differences.is_empty(),
        "{by_source:?}\n{}",
        differences.join("\n")
    );
}

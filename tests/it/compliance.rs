//! Compliance evidence on a case with known answers: CloudTrail covering 14 months (with a
//! `StopLogging`, so a verify calls it cleared), an auth.log covering 2 months with a 3-day
//! silence, a case never verified, then verified; the review trail, a time range, a filter that
//! makes a control not applicable, the JSON shape, the HTML page's safety and journal entry,
//! and framework files of the user's own.

use std::path::{Path, PathBuf};

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};
use sightline::api::{
    Case, ComplianceReport, ControlResult, ControlStatus, ImportOptions, SearchRequest,
};

use crate::support::{import_with, new_case};

/// 14 months of CloudTrail every 12 hours: console logins, with one `StopLogging` and one event
/// whose user agent is hostile markup.
fn cloudtrail(dir: &Path) -> (PathBuf, u64) {
    let start = Utc
        .with_ymd_and_hms(2025, 2, 1, 0, 0, 0)
        .single()
        .expect("time");
    let end = Utc
        .with_ymd_and_hms(2026, 3, 31, 12, 0, 0)
        .single()
        .expect("time");
    let mut records = Vec::new();
    let mut t = start;
    let mut n = 0;
    while t <= end {
        let name = if n == 100 {
            "StopLogging"
        } else {
            "ConsoleLogin"
        };
        let agent = if n == 7 {
            "<script>alert(1)</script>"
        } else {
            "Mozilla/5.0"
        };
        records.push(json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice",
                "userName": "alice", "accountId": "111122223333", "principalId": "AIDAEXAMPLE"},
            "eventTime": t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "eventSource": if n == 100 { "cloudtrail.amazonaws.com" } else { "signin.amazonaws.com" },
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": agent,
            "requestParameters": if n == 100 { json!({"name": "main-trail"}) } else { Value::Null },
            "responseElements": if n == 100 { Value::Null } else { json!({"ConsoleLogin": "Success"}) },
            "eventID": format!("00000000-0000-0000-0000-{n:012}"),
            "eventType": if n == 100 { "AwsApiCall" } else { "AwsConsoleSignIn" },
            "recipientAccountId": "111122223333"
        }));
        n += 1;
        t += Duration::hours(12);
    }
    let path = dir.join("trail.json");
    std::fs::write(&path, json!({ "Records": records }).to_string()).expect("write");
    (path, n)
}

/// Feb–Mar 2026 of auth.log, every 6 hours, silent from Mar 10 00:00 to Mar 13 00:00: failed
/// sshd passwords (an actor) and systemd lines (none).
fn auth_log(dir: &Path) -> (PathBuf, u64, u64) {
    let start = Utc
        .with_ymd_and_hms(2026, 2, 1, 0, 0, 0)
        .single()
        .expect("time");
    let end = Utc
        .with_ymd_and_hms(2026, 3, 31, 12, 0, 0)
        .single()
        .expect("time");
    let quiet = (
        Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0)
            .single()
            .expect("time"),
        Utc.with_ymd_and_hms(2026, 3, 13, 0, 0, 0)
            .single()
            .expect("time"),
    );
    let (mut text, mut failed, mut other) = (String::new(), 0, 0);
    let mut t = start;
    while t <= end {
        if t <= quiet.0 || t >= quiet.1 {
            let stamp = t.format("%b %e %H:%M:%S");
            if (failed + other) % 2 == 0 {
                text.push_str(&format!(
                    "{stamp} web1 sshd[411]: Failed password for bob from 203.0.113.9 port 52144 ssh2\n"
                ));
                failed += 1;
            } else {
                text.push_str(&format!(
                    "{stamp} web1 systemd[1]: Started Daily apt download activities.\n"
                ));
                other += 1;
            }
        }
        t += Duration::hours(6);
    }
    let path = dir.join("auth.log");
    std::fs::write(&path, text).expect("write");
    (path, failed, other)
}

struct Fixture {
    _dir: tempfile::TempDir,
    case: Case,
    trail: u64,
    failed: u64,
    other: u64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir_all(&bundle).expect("mkdir");
    let (_, trail) = cloudtrail(&bundle);
    let (_, failed, other) = auth_log(&bundle);
    let case = new_case(dir.path());
    let options = ImportOptions {
        year: Some(2026),
        ..ImportOptions::default()
    };
    let report = import_with(&case, &[bundle], &options);
    assert_eq!(report.events, trail + failed + other, "{report:#?}");
    Fixture {
        _dir: dir,
        case,
        trail,
        failed,
        other,
    }
}

fn all() -> SearchRequest {
    SearchRequest::default()
}

fn control<'r>(r: &'r ComplianceReport, id: &str) -> &'r ControlResult {
    r.controls
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

fn check_detail(c: &ControlResult, kind: &str) -> String {
    c.checks
        .iter()
        .find(|k| serde_json::to_value(k.kind).expect("kind") == kind)
        .map(|k| k.detail.clone())
        .unwrap_or_else(|| panic!("no {kind} check in {}", c.id))
}

#[test]
fn retention_completeness_and_integrity_per_source_have_the_known_answers() {
    let f = fixture();
    let r = f.case.compliance("pci-dss-4.0", &all()).expect("evaluates");
    assert_eq!(r.events, f.trail + f.failed + f.other);

    // Retention: 14 months of CloudTrail meet 365 days; 2 months of auth.log do not, and its
    // 3-day silence is named.
    let ct = r
        .retention
        .iter()
        .find(|s| s.source == "cloudtrail")
        .expect("ct");
    assert_eq!(ct.first.as_deref(), Some("2025-02-01T00:00:00Z"));
    assert_eq!(ct.last.as_deref(), Some("2026-03-31T12:00:00Z"));
    assert_eq!(ct.days, 424);
    assert_eq!(ct.required_days, Some(365));
    assert_eq!(ct.silences_total, 0, "{:?}", ct.silences);
    let auth = r
        .retention
        .iter()
        .find(|s| s.source == "syslog")
        .expect("syslog");
    assert_eq!(auth.days, 59);
    assert_eq!(auth.silences_total, 1);
    assert_eq!(auth.silences[0].from, "2026-03-10T00:00:00Z");
    assert_eq!(auth.silences[0].to, "2026-03-13T00:00:00Z");
    assert_eq!(auth.silences[0].days, 3.0);
    let retention = control(&r, "10.5.1");
    assert_eq!(retention.status, ControlStatus::Partial);
    let detail = check_detail(retention, "retention");
    assert!(
        detail.contains("1 of 2 sources cover 365 days")
            && detail.contains("syslog: 59 of 365 days, 1 silence over a day"),
        "{detail}"
    );

    // Completeness: every CloudTrail event has an actor, a time and an origin; half the
    // auth.log lines (systemd's) name no actor.
    let share = |source: &str, field: &str| {
        r.completeness
            .iter()
            .find(|s| s.source == source)
            .and_then(|s| s.fields.get(field).copied())
            .unwrap_or(-1.0)
    };
    for field in ["actor", "action", "time", "origin", "outcome"] {
        assert_eq!(share("cloudtrail", field), 1.0, "{field}");
    }
    assert_eq!(
        share("syslog", "actor"),
        f.failed as f64 / (f.failed + f.other) as f64
    );
    assert_eq!(share("syslog", "time"), 1.0);
    assert_eq!(control(&r, "10.2.2").status, ControlStatus::Partial);

    // Never verified: integrity is "no evidence", said as "not verified".
    let integrity = control(&r, "10.3.4");
    assert_eq!(integrity.status, ControlStatus::NoEvidence);
    assert!(check_detail(integrity, "integrity").starts_with("not verified"));
    assert!(r
        .integrity
        .iter()
        .all(|s| s.verdict.is_none() && s.not_verified == s.files));

    // Verified: the StopLogging makes the trail "cleared"; the auth.log is unchanged.
    f.case.verify().expect("verify");
    let r = f.case.compliance("pci-dss-4.0", &all()).expect("evaluates");
    let ct = r
        .integrity
        .iter()
        .find(|s| s.source == "cloudtrail")
        .expect("ct");
    assert_eq!(ct.verdict.map(|v| format!("{v:?}")), Some("Cleared".into()));
    let integrity = control(&r, "10.3.4");
    assert_eq!(integrity.status, ControlStatus::Partial);
    assert!(
        check_detail(integrity, "integrity").contains("cloudtrail: 1 cleared or disabled"),
        "{}",
        check_detail(integrity, "integrity")
    );
    // The logging change is evidence for 10.2.1.6, with the rule's author named.
    let logging = control(&r, "10.2.1.6");
    assert_eq!(logging.status, ControlStatus::Evidenced);
    assert_eq!(logging.count, 1);
    let rule = logging
        .checks
        .iter()
        .find_map(|k| k.rule.as_ref())
        .expect("rule");
    assert_eq!(rule.author.as_deref(), Some("Sightline"));
    // Failed logons: exactly the sshd failures; each sample opens.
    let failed = control(&r, "10.2.1.4");
    assert_eq!(failed.checks[0].count, Some(f.failed));
    assert_eq!(
        failed.checks[0].query.as_deref(),
        Some("activity:logon outcome:failure")
    );
    for e in &failed.samples {
        f.case.event(&e.id).expect("a sample opens");
    }
    assert_eq!(failed.sources[0].source, "syslog");
}

#[test]
fn a_range_and_a_filter_scope_every_number_and_make_host_controls_not_applicable() {
    let f = fixture();
    let scope = SearchRequest {
        from: Some(sightline::api::parse_time("2026-02-01").expect("time")),
        ..all()
    };
    let r = f.case.compliance("pci-dss-4.0", &scope).expect("evaluates");
    let ct = r
        .retention
        .iter()
        .find(|s| s.source == "cloudtrail")
        .expect("ct");
    assert_eq!(ct.first.as_deref(), Some("2026-02-01T00:00:00Z"));
    assert_eq!(ct.days, 59);
    assert_eq!(control(&r, "10.5.1").status, ControlStatus::Partial);

    // CloudTrail alone: no host logs, so time synchronization is not applicable here.
    let cloud = SearchRequest {
        query: "format:cloudtrail".into(),
        ..all()
    };
    let r = f.case.compliance("pci-dss-4.0", &cloud).expect("evaluates");
    assert_eq!(control(&r, "10.6").status, ControlStatus::NotApplicable);
    assert_eq!(r.events, f.trail);
    assert_eq!(control(&r, "10.2.1.4").status, ControlStatus::NoEvidence);
    assert_eq!(control(&r, "10.5.1").status, ControlStatus::Evidenced);
}

#[test]
fn the_review_trail_names_who_looked_and_the_report_is_journaled() {
    let f = fixture();
    let before = f
        .case
        .compliance("nist-800-53-au", &all())
        .expect("evaluates");
    let au6 = control(&before, "AU-6");
    assert_eq!(before.review_total, 0);
    assert!(au6
        .checks
        .iter()
        .any(|k| k.status == ControlStatus::NoEvidence));

    f.case.set_examiner(Some("alice".into()));
    f.case
        .search(&SearchRequest {
            query: "outcome:failure".into(),
            ..all()
        })
        .expect("search");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("au.html");
    let (report, file) = f
        .case
        .compliance_report("nist-800-53-au", &all(), &out)
        .expect("writes");
    // The first evaluation and the search are in the trail, the search by alice.
    assert_eq!(report.review_total, 2);
    assert_eq!(report.review[0].action, "search");
    assert_eq!(report.review[0].by.as_deref(), Some("alice"));
    assert!(report.review[0].what.starts_with("outcome:failure ("));
    assert_eq!(control(&report, "AU-6").status, ControlStatus::Evidenced);

    let page = std::fs::read_to_string(&out).expect("page");
    assert_eq!(sightline::api::sha256_hex(page.as_bytes()), file.sha256);
    assert!(!page.contains("<script"), "markup from a log field runs");
    assert!(page.contains("default-src 'none'"));
    assert!(page.contains("no evidence in these logs") || page.contains("evidenced"));
    let journal = f.case.journal().expect("journal");
    let last = journal.entries.last().expect("entry");
    assert_eq!(last.action, "compliance");
    let detail: Value = serde_json::from_str(&last.detail).expect("json");
    assert_eq!(detail["sha256"], file.sha256);
    assert_eq!(detail["framework"], "nist-800-53-au");
    assert_eq!(detail["by"], "alice");
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let f = fixture();
    let r = f.case.compliance("hipaa", &all()).expect("evaluates");
    let v = serde_json::to_value(&r).expect("json");
    assert_eq!(v["framework"]["id"], "hipaa");
    assert_eq!(v["framework"]["min_share"], 0.95);
    let c = &v["controls"][0];
    for key in [
        "id", "title", "status", "count", "sources", "query", "samples", "checks",
    ] {
        assert!(!c[key].is_null(), "controls[].{key} in {c}");
    }
    assert!(v["completeness"][0]["fields"]["actor"].is_number());
    for key in [
        "source",
        "first",
        "last",
        "days",
        "required_days",
        "silences",
    ] {
        assert!(!v["retention"][0][key].is_null(), "retention[].{key}");
    }
    assert_eq!(v["retention"][0]["required_days"], 2190);
    assert!(v["integrity"].is_array() && v["review"].is_array());
    assert!(v["cannot_show"][0].as_str().is_some_and(|s| !s.is_empty()));
}

#[test]
fn a_framework_file_of_ones_own_is_read_and_a_broken_one_refused() {
    let f = fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let mine = dir.path().join("mine.yml");
    std::fs::write(
        &mine,
        "id: mine\ntitle: Our SSH policy\nretention_days: 30\ncontrols:\n  - id: SSH-1\n    title: Failed SSH logons are logged\n    evidence:\n      - name: failures\n        query: \"format:syslog outcome:failure\"\n    retention: true\n",
    )
    .expect("write");
    let r = f
        .case
        .compliance(&mine.display().to_string(), &all())
        .expect("evaluates");
    assert_eq!(r.controls[0].count, f.failed);
    // Both sources cover 30 days, but the auth.log's 3-day silence leaves retention partial.
    assert_eq!(r.controls[0].checks[0].status, ControlStatus::Evidenced);
    assert_eq!(r.controls[0].status, ControlStatus::Partial);
    let detail = check_detail(&r.controls[0], "retention");
    assert!(detail.contains("syslog: 1 silence over a day"), "{detail}");

    std::fs::write(&mine, "id: mine\ntitle: x\ncontrols:\n  - id: A\n    title: a\n    evidence:\n      - name: n\n        query: \"activity:logn\"\n").expect("write");
    let e = f
        .case
        .compliance(&mine.display().to_string(), &all())
        .expect_err("a mistyped activity is an error");
    let e = e.to_string();
    assert!(
        e.contains("mine.yml") && e.contains("did you mean logon"),
        "{e}"
    );
    let e = f.case.compliance("sox-404", &all()).expect_err("unknown");
    assert!(e.to_string().contains("pci-dss-4.0"), "{e}");
}

#[test]
fn has_a_value_wildcards_skip_empty_facets_and_time_star_counts_dated_events() {
    let f = fixture();
    let total = |q: &str| {
        f.case
            .page(&SearchRequest {
                query: q.into(),
                limit: 0,
                ..all()
            })
            .expect("query")
            .total
    };
    assert_eq!(total("format:syslog actor:*"), f.failed);
    assert_eq!(total("format:syslog NOT actor:*"), f.other);
    assert_eq!(total("time:*"), f.trail + f.failed + f.other);
}

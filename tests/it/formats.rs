//! Each format on real (or, where no permissively licensed sample exists, hand-written) fixtures
//! from tests/fixtures/formats: detection, record counts, and the normalized time, actor, action,
//! outcome and target of named records.

use std::path::PathBuf;

use sightline::api::EventRow;
use sightline::api::{Case, ImportOptions, ImportReport};

use crate::support::{file, fixtures, import, import_with, new_case, search};

fn dir(name: &str) -> PathBuf {
    fixtures().join("formats").join(name)
}

fn imported(name: &str) -> (tempfile::TempDir, Case, ImportReport) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let case = new_case(tmp.path());
    let report = import(&case, &[dir(name)]);
    (tmp, case, report)
}

/// The one event `query` finds.
fn one(case: &Case, query: &str) -> EventRow {
    let r = search(case, query);
    assert_eq!(r.total, 1, "{query} should find one event");
    r.events.into_iter().next().expect("one event")
}

fn name(e: &EventRow) -> Option<&str> {
    e.actor.identity.name.as_deref()
}

fn target(e: &EventRow) -> Option<&str> {
    e.target.as_ref().and_then(|t| t.name.as_deref())
}

fn counts(report: &ImportReport, expected: &[(&str, &str, u64)]) {
    for (suffix, format, events) in expected {
        let f = file(report, suffix);
        assert_eq!(f.format.as_deref(), Some(*format), "{suffix}");
        assert_eq!(f.events, *events, "{suffix}");
    }
}

#[test]
fn kubernetes_audit_events() {
    let (_t, case, report) = imported("k8s");
    counts(
        &report,
        &[
            ("create_secret.json", "k8s_audit", 1),
            ("exec_pod.json", "k8s_audit", 1),
        ],
    );
    let e = one(&case, "request:55a81824-ab56-46c5-8b02-96336f5e78d7");
    assert_eq!(e.time.as_deref(), Some("2020-04-21T17:57:05.548299Z"));
    assert_eq!(name(&e), Some("minikube-user"));
    assert_eq!(e.action, "create");
    assert_eq!(e.outcome, "success");
    assert_eq!(target(&e), Some("default/example-secret"));
    assert_eq!(e.ip.as_deref(), Some("192.168.64.1"));
    assert_eq!(
        search(&case, "category:permission_change").total,
        1,
        "the cluster role binding"
    );
}

#[test]
fn gcp_audit_log_entries() {
    let (_t, case, report) = imported("gcp");
    counts(
        &report,
        &[("LogEntryData-pubsubCreateTopic.json", "gcp_audit", 1)],
    );
    let e = one(&case, "action:google.pubsub.v1.Publisher.CreateTopic");
    assert_eq!(name(&e), Some("robot@test-project.iam.gserviceaccount.com"));
    assert_eq!(e.ip.as_deref(), Some("192.168.0.1"));
    assert_eq!(e.outcome, "success");
    assert_eq!(target(&e), Some("test-auditlogs-source"));
    assert!(e
        .time
        .as_deref()
        .is_some_and(|t| t.starts_with("2020-06-30T16:14:4")));
}

#[test]
fn azure_activity_and_entra_id() {
    let (_t, case, report) = imported("azure");
    counts(
        &report,
        &[("administrative_valid_1.json", "azure_activity", 1)],
    );
    let e = one(&case, "format:azure_activity");
    assert_eq!(e.action, "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE");
    assert_eq!(e.time.as_deref(), Some("2025-04-15T10:16:32.987344100Z"));
    assert_eq!(e.ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(
        e.outcome, "unknown",
        "resultType Start: the operation had not finished"
    );
    assert_eq!(target(&e), Some("EXAMPLE-COLLECT-SAMPLE-LOGS"));

    let (_t, case, report) = imported("entra");
    counts(&report, &[("AADAuditEvents.json", "entra_id", 4)]);
    let e = one(
        &case,
        "id:Directory_ae69aa7a-e9b7-4066-84f2-58582994d8cb_7H1JL_8584070",
    );
    assert_eq!(name(&e), Some("pgustavo@simulandlabs.com"));
    // The export holds this record twice, byte for byte different rows with one Id: both kept.
    let twice = search(
        &case,
        "id:Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832",
    );
    assert_eq!(twice.total, 2);
    let e = twice.events.into_iter().next().expect("an event");
    assert_eq!(
        name(&e),
        Some("pgustavo@simulandlabs.com"),
        "decoded from the InitiatedBy JSON string"
    );
    assert_eq!(
        target(&e),
        Some("SimuLandApp"),
        "decoded from the TargetResources JSON string"
    );
    assert_eq!(
        e.action,
        "Update application – Certificates and secrets management"
    );
    assert_eq!(e.outcome, "success");
}

#[test]
fn okta_github_and_workspace() {
    let (_t, case, report) = imported("okta");
    counts(&report, &[("system-log.jsonl", "okta", 3)]);
    let e = one(&case, "id:f1a2b3c4-0002-11ef-9a01-0123456789ab");
    assert_eq!(
        (name(&e), e.action.as_str(), e.outcome.as_str()),
        (Some("bob@example.com"), "user.session.start", "failure")
    );
    assert_eq!(e.ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(e.category, "authentication");
    let e = one(&case, "action:group.user_membership.add");
    assert_eq!(target(&e), Some("carol@example.com"));
    assert_eq!(e.category, "permission_change");

    let (_t, case, report) = imported("github");
    counts(
        &report,
        &[
            ("audit-log.jsonl", "github_audit", 2),
            ("audit-log.csv", "github_audit_csv", 2),
        ],
    );
    let e = one(&case, "action:org.add_member");
    assert_eq!(
        e.time.as_deref(),
        Some("2024-05-02T08:15:00Z"),
        "epoch milliseconds"
    );
    assert_eq!(
        (name(&e), target(&e)),
        (Some("octo-admin"), Some("new-dev"))
    );
    let e = one(&case, "action:org.remove_member");
    assert_eq!(
        e.time.as_deref(),
        Some("2024-05-02T11:15:00Z"),
        "CSV: the same field as text"
    );
    assert_eq!(target(&e), Some("old-dev"));

    let (_t, case, report) = imported("workspace");
    counts(&report, &[("activities.jsonl", "google_workspace", 2)]);
    let e = one(&case, "action:login_failure");
    assert_eq!(
        (name(&e), e.outcome.as_str(), e.category.as_str()),
        (Some("mallory@example.com"), "failure", "authentication")
    );
    let e = one(&case, "action:CREATE_USER");
    assert_eq!(target(&e), Some("newhire@example.com"));
    assert!(
        e.message.contains("CHANGE_PASSWORD"),
        "every event of the activity is named: {}",
        e.message
    );
}

#[test]
fn microsoft_365_json_and_csv() {
    let (_t, case, report) = imported("m365");
    counts(
        &report,
        &[
            ("microsoft_audit_log.jsonl", "m365_ual", 4),
            ("OfficeActivityEvents.json", "m365_ual", 1),
            ("audit-export.csv", "m365_ual_csv", 2),
        ],
    );
    let e = one(&case, "action:Set-MailboxPlan");
    assert_eq!(
        e.time.as_deref(),
        Some("2022-05-07T12:56:18Z"),
        "UAL times are UTC without a zone"
    );
    assert_eq!(
        name(&e),
        Some("NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)")
    );
    let e = one(&case, "action:UserLoginFailed");
    assert_eq!(
        (name(&e), e.outcome.as_str()),
        (Some("bob@example.com"), "failure")
    );
    assert_eq!(
        e.ip.as_deref(),
        Some("198.51.100.7"),
        "read from the AuditData JSON column"
    );
    assert_eq!(
        target(&e),
        Some("=HYPERLINK(\"http://evil.example\")"),
        "kept as written; exports make it inert"
    );
    let e = one(&case, "action:MailItemsAccessed");
    assert_eq!(e.category, "data_access");
}

#[test]
fn journald_export() {
    let (_t, case, report) = imported("journald");
    counts(&report, &[("logfile_journald.json", "journald", 2)]);
    let r = search(&case, "");
    assert!(
        r.events
            .iter()
            .all(|e| e.time.as_deref() == Some("2018-08-21T14:04:21.221373Z")),
        "microsecond epoch strings, every digit kept"
    );
}

#[test]
fn auditd_lines_of_one_event_are_one_event() {
    let (_t, case, report) = imported("auditd");
    counts(
        &report,
        &[
            ("audit-rhel7.log", "auditd", 47),
            ("seq-out_of_order.log", "auditd", 5),
        ],
    );
    let e = one(&case, "format:auditd id:60");
    assert!(
        e.message.contains("cat"),
        "EXECVE arguments joined into the message: {}",
        e.message
    );
    assert_eq!(e.action, "execve");
    let e = one(&case, "action:ADD_USER file:*audit-rhel7.log");
    assert_eq!(e.outcome, "success");
    assert_eq!(e.category, "account_change");
    // acct= is written in hex when it holds special characters; it is decoded.
    let all = search(&case, "format:auditd");
    assert!(
        all.events
            .iter()
            .all(|e| !e.message.contains("2F7573722F") && !e.message.contains("7B0A2020")),
        "hex values decoded"
    );
}

#[test]
fn auth_log_years_roll_over_and_lines_without_time_are_kept() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let case = new_case(tmp.path());
    let report = import_with(
        &case,
        &[dir("syslog")],
        &ImportOptions {
            year: Some(2024),
            ..ImportOptions::default()
        },
    );
    counts(&report, &[("auth.log", "syslog", 8)]);
    let e = one(&case, "action:login outcome:success");
    assert_eq!(e.time.as_deref(), Some("2024-12-31T23:59:58Z"));
    assert_eq!(
        (name(&e), e.ip.as_deref()),
        (Some("deploy"), Some("203.0.113.5"))
    );
    let failures = search(&case, "action:login outcome:failure");
    let times: Vec<_> = failures
        .events
        .iter()
        .filter_map(|e| e.time.clone())
        .collect();
    assert!(
        times.contains(&"2025-01-01T00:00:03Z".to_string()),
        "December → January adds a year: {times:?}"
    );
    assert!(failures
        .events
        .iter()
        .any(|e| name(e) == Some("admin") && e.ip.as_deref() == Some("198.51.100.23")));
    assert!(
        failures
            .events
            .iter()
            .any(|e| name(e) == Some("alice") && e.ip.as_deref() == Some("192.0.2.77")),
        "PAM failure with rhost"
    );
    let sudo = one(&case, "action:sudo");
    assert_eq!(
        (name(&sudo), target(&sudo)),
        (Some("deploy"), Some("/usr/bin/systemctl restart app"))
    );
    let untimed = search(&case, "kept");
    assert_eq!(untimed.total, 1);
    assert_eq!(untimed.events[0].time, None);
    assert!(
        file(&report, "auth.log")
            .warnings
            .iter()
            .any(|w| w.reason.contains("no year")),
        "the year rule is reported"
    );
}

#[test]
fn windows_json_exports() {
    let (_t, case, report) = imported("windows");
    counts(
        &report,
        &[
            ("WindowsEvents.json", "windows_json", 38),
            ("mordor-first-40.json", "windows_json", 40),
        ],
    );
    let r = search(&case, "file:*mordor*");
    assert!(
        r.events
            .iter()
            .all(|e| e.flags.contains(&"time_zone_assumed_utc".to_string())),
        "local times without a zone are flagged"
    );
    let f = file(&report, "mordor-first-40.json");
    assert!(f.warnings.iter().any(|w| w.reason.contains("no zone")));
}

#[test]
fn a_chosen_zone_and_a_forced_format_apply_to_matching_files_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let case = new_case(tmp.path());
    let rules = vec![
        sightline::api::FileRule {
            pattern: "mordor-*".to_string(),
            format: None,
            zone_minutes: Some(120),
        },
        sightline::api::FileRule {
            pattern: "WindowsEvents.json".to_string(),
            format: Some("json".to_string()),
            zone_minutes: None,
        },
    ];
    let report = import_with(
        &case,
        &[dir("windows")],
        &ImportOptions {
            rules,
            ..ImportOptions::default()
        },
    );
    counts(
        &report,
        &[
            ("WindowsEvents.json", "json", 38),
            ("mordor-first-40.json", "windows_json", 40),
        ],
    );
    let first = "{\"RemoteMachineID\"";
    assert!(
        std::fs::read_to_string(dir("windows").join("mordor-first-40.json"))
            .expect("read")
            .starts_with(first)
    );
    let e = search(&case, "format:windows_json")
        .events
        .into_iter()
        .find(|e| e.time_original.as_deref() == Some("2020-10-19 12:28:44.333"))
        .expect("first record");
    assert_eq!(
        e.time.as_deref(),
        Some("2020-10-19T10:28:44.333Z"),
        "12:28 at UTC+02:00"
    );
}

#[test]
fn evtx_files_including_damaged_ones() {
    let (_t, case, report) = imported("evtx");
    counts(
        &report,
        &[
            (
                "ID4625-failed_login_with_denied_access_due_to_account_restriction.evtx",
                "evtx",
                2,
            ),
            ("ID104-1102-Event_log_cleared.evtx", "evtx", 91),
            ("Security_short_selected.evtx", "evtx", 7),
            ("Application_no_crc32.evtx", "evtx", 17),
        ],
    );
    let failed = search(&case, "action:logon outcome:failure");
    assert_eq!(
        failed.total, 3,
        "two in the 4625 sample, one in Security_short_selected"
    );
    let e = one(&case, "id:90939");
    assert!(e.message.starts_with("4625 logon"), "{}", e.message);
    assert_eq!(
        e.time.as_deref(),
        Some("2021-10-23T21:51:57.212513400Z"),
        "TimeCreated, not the record header"
    );
    assert_eq!(
        name(&e),
        None,
        "the account was unknown ('-'); the reporting service is not the actor"
    );
    assert_eq!(e.ip.as_deref(), Some("10.23.23.9"));
    assert_eq!(e.service.as_deref(), Some("Security"));
    let cleared = search(&case, "action:security_log_cleared");
    assert!(cleared.total >= 1, "1102 is mapped");
    assert_eq!(
        search(&case, "action:group_member_added").total,
        3,
        "4732 local admin group additions"
    );
}

#[test]
fn a_cut_evtx_file_keeps_its_whole_chunks_and_reports_the_rest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = std::fs::read(dir("evtx").join("Security_short_selected.evtx")).expect("read");
    let cut = tmp.path().join("cut.evtx");
    std::fs::write(&cut, &whole[..whole.len() - 20_000]).expect("write");
    let case = new_case(tmp.path());
    let report = import(&case, &[cut]);
    let f = file(&report, "cut.evtx");
    assert_eq!(f.format.as_deref(), Some("evtx"));
    assert_eq!(f.skipped, 1);
    assert!(
        f.note
            .as_deref()
            .is_some_and(|n| n.contains("ends inside a chunk")),
        "{:?}",
        f.note
    );
}

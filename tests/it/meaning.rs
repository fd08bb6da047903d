//! One meaning for every event: the activity vocabulary across sources, the event code, shapes
//! that used to be misread, years that cannot land after their file, warnings by kind, and
//! query mistakes that say what was meant.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sightline::api::{Activity, Case, EventRow, WarningKind};

use crate::support::{file, fixtures, import, new_case, search};

fn formats_of(case: &Case, query: &str) -> Vec<String> {
    let mut formats: Vec<String> = search(case, query)
        .events
        .into_iter()
        .map(|e| e.format)
        .collect();
    formats.sort();
    formats.dedup();
    formats
}

fn only(case: &Case, query: &str) -> EventRow {
    let r = search(case, query);
    assert_eq!(r.total, 1, "{query}: {:#?}", r.events);
    r.events.into_iter().next().expect("one")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn fixture_case() -> (tempfile::TempDir, Case) {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[fixtures().join("formats"), fixtures().join("cloudtrail")],
    );
    (dir, case)
}

#[test]
fn a_logon_is_one_activity_in_every_source_and_its_failure_is_an_outcome() {
    let (_dir, case) = fixture_case();
    let ok = formats_of(&case, "activity:logon outcome:success");
    for f in ["cloudtrail", "m365_ual", "okta", "syslog", "windows_json"] {
        assert!(ok.contains(&f.to_string()), "{f} in {ok:?}");
    }
    let failed = formats_of(&case, "activity:logon outcome:failure");
    for f in ["evtx", "m365_ual_csv", "syslog", "google_workspace", "okta"] {
        assert!(failed.contains(&f.to_string()), "{f} in {failed:?}");
    }
    // The source's own names are kept beside the activity.
    let console = search(&case, "activity:logon format:cloudtrail");
    assert!(console.events.iter().all(|e| e.action == "ConsoleLogin"));
    assert!(console.events.iter().all(|e| e.activity == Activity::Logon));
    // Activity is a facet.
    let all = search(&case, "");
    let facet = all
        .facets
        .iter()
        .find(|f| f.field == "activity")
        .expect("activity facet");
    assert!(facet.values.iter().any(|v| v.value == "logging_clear"));
    assert_eq!(
        search(&case, "activity:group_add_member").total,
        search(&case, "activity:group_add_member format:evtx").total
            + search(&case, "activity:group_add_member -format:evtx").total
    );
}

#[test]
fn event_id_means_the_windows_event_id_and_event_id_in_cloudtrail_its_record_id() {
    let (_dir, case) = fixture_case();
    let failed = search(&case, "EventID:4625");
    assert!(failed.total >= 1);
    // Windows events however they came: EVTX, Splunk's renderings, OCSF.
    assert!(failed
        .events
        .iter()
        .all(|e| e.code.as_deref() == Some("4625") && e.format != "cloudtrail"));
    assert!(failed.events.iter().any(|e| e.format == "evtx"));
    assert_eq!(search(&case, "code:4625").total, failed.total);
    assert_eq!(search(&case, "eventid:4625").total, failed.total);
    // CloudTrail's own spelling keeps meaning its record id.
    let ct = search(&case, "format:cloudtrail").events[0].clone();
    let id = ct.native_id.expect("a CloudTrail event id");
    let found = search(&case, &format!("eventID:\"{id}\""));
    assert!(found.total >= 1);
    assert!(found
        .events
        .iter()
        .all(|e| e.native_id.as_deref() == Some(id.as_str()) && e.format == "cloudtrail"));
}

#[test]
fn entra_records_exported_through_diagnostic_settings_are_read_as_entra() {
    let (_dir, case) = fixture_case();
    // The documentation's sample: a sign-in interrupted (error 50140), by Timothy Perkins.
    let docs = only(&case, "file:*diagnostic-signin.json");
    assert_eq!(docs.format, "entra_id");
    assert_eq!(docs.activity, Activity::Logon);
    assert_eq!(docs.outcome, "failure");
    assert_eq!(
        docs.actor.identity.name.as_deref(),
        Some("<USER PRINCIPAL NAME>")
    );
    let failed = only(&case, "actor:eve@contoso.example activity:logon");
    assert_eq!(failed.outcome, "failure");
    assert_eq!(failed.ip.as_deref(), Some("198.51.100.77"));
    let grant = only(
        &case,
        "activity:privilege_grant actor:mallory@contoso.example",
    );
    assert_eq!(grant.action, "Add member to role");
    assert_eq!(
        grant.target.and_then(|t| t.name).as_deref(),
        Some("eve@contoso.example")
    );
    let graph = only(&case, "service:\"Microsoft Graph\"");
    assert_eq!(graph.action, "GET /v1.0/users");
    assert_eq!(graph.activity, Activity::Read);
    assert_eq!(graph.outcome, "failure");
}

#[test]
fn gcp_entries_that_are_not_audit_logs_are_named_by_what_they_say() {
    let (_dir, case) = fixture_case();
    let scheduled = only(&case, "action:Scheduled");
    assert_eq!(scheduled.format, "gcp_audit");
    assert_eq!(
        scheduled.target.and_then(|t| t.name).as_deref(),
        Some("web-7c9f8d6b5-x2k4p")
    );
    assert!(scheduled.message.starts_with("Successfully assigned"));
    let panic = only(&case, "action:stderr");
    assert_eq!(panic.outcome, "failure", "an ERROR entry");
    assert!(search(&case, "format:gcp_audit action:log_entry").total == 0);
}

#[test]
fn auditd_with_comment_lines_and_auditd_inside_log_analytics_rows_are_auditd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let raw = std::fs::read_to_string(fixtures().join("formats/auditd/audit-rhel7.log"))
        .expect("fixture");
    let commented = format!("# audit.log copied from the host\n# two comment lines\n{raw}");
    let path = write(dir.path(), "audit-with-comments.log", &commented);
    let report = import(
        &case,
        &[
            path,
            fixtures().join("formats/auditd/log-analytics-syslog.jsonl"),
        ],
    );
    let with_comments = file(&report, "audit-with-comments.log");
    assert_eq!(with_comments.format.as_deref(), Some("auditd"));
    assert!(with_comments
        .warning_counts
        .iter()
        .any(|c| c.kind == WarningKind::CommentLines && c.count == 2));
    assert!(search(&case, "file:*comments.log \"copied\"").total == 0);
    let rows = file(&report, "log-analytics-syslog.jsonl");
    assert_eq!(rows.format.as_deref(), Some("auditd"));
    assert_eq!(rows.events, 6);
    // The same records read bare and wrapped mean the same.
    let wrapped = only(&case, "file:*syslog.jsonl action:ADD_USER");
    let bare = only(&case, "file:*comments.log action:ADD_USER");
    assert_eq!(wrapped.time, bare.time);
    assert_eq!(wrapped.activity, Activity::AccountCreate);
    assert_eq!(wrapped.native_id, bare.native_id);
    assert_eq!(wrapped.outcome, bare.outcome);
}

#[test]
fn journal_lines_without_a_time_are_imported_and_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let path = write(
        dir.path(),
        "journal.txt",
        "sshd[1234]: Failed password for invalid user admin from 203.0.113.66 port 52344 ssh2\n\
         sshd[1234]: Accepted publickey for alice from 198.51.100.4 port 50022 ssh2\n",
    );
    let report = import(&case, &[path]);
    let f = file(&report, "journal.txt");
    assert_eq!(f.format.as_deref(), Some("syslog"));
    assert_eq!(f.events, 2);
    assert_eq!(search(&case, "flag:time_missing").total, 2);
    let failed = only(&case, "activity:logon outcome:failure");
    assert_eq!(failed.actor.identity.name.as_deref(), Some("admin"));
    assert!(f
        .warning_counts
        .iter()
        .any(|c| c.kind == WarningKind::TimeMissing && c.count == 2));
}

#[test]
fn a_zoned_time_beats_a_local_one_and_a_failed_m365_logon_is_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    // NXLog-style Windows JSON: a UTC @timestamp and the machine's local EventTime.
    let windows = write(
        dir.path(),
        "nxlog.json",
        r#"{"@timestamp":"2024-03-01T08:00:00.000Z","EventTime":"2024-03-01 09:00:00","Hostname":"WKS01","Channel":"Security","EventID":4624,"SourceName":"Microsoft-Windows-Security-Auditing","TargetUserName":"alice","TargetDomainName":"CORP","LogonType":3,"RecordNumber":10}"#,
    );
    // Azure AD writes UserLoginFailed with ResultStatus "Success": the record was logged.
    let m365 = write(
        dir.path(),
        "ual.jsonl",
        r#"{"CreationTime":"2024-03-01T08:05:00","Id":"4b1c2d3e-0000-4000-8000-000000000001","Operation":"UserLoginFailed","RecordType":15,"ResultStatus":"Success","UserId":"bob@example.com","UserType":0,"Workload":"AzureActiveDirectory","ClientIP":"198.51.100.9","LogonError":"InvalidUserNameOrPassword","AzureActiveDirectoryEventType":1,"ExtendedProperties":[{"Name":"ResultStatusDetail","Value":"Success"},{"Name":"UserAgent","Value":"Mozilla/5.0"}]}"#,
    );
    import(&case, &[windows, m365]);
    let logon = only(&case, "format:windows_json");
    assert_eq!(logon.time.as_deref(), Some("2024-03-01T08:00:00Z"));
    assert!(!logon.flags.iter().any(|f| f.contains("zone")));
    let failed = only(&case, "format:m365_ual");
    assert_eq!(failed.outcome, "failure");
    assert_eq!(failed.activity, Activity::Logon);
    assert_eq!(failed.code.as_deref(), Some("15"));
    let detail = case.event(&failed.id).expect("detail");
    assert_eq!(
        detail.event.error_code.as_deref(),
        Some("InvalidUserNameOrPassword")
    );
}

#[test]
fn inferred_years_stay_before_the_file_was_written_and_later_records_are_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    // December lines in a file last written on 2 December: they are last December's.
    let auth = write(
        dir.path(),
        "auth.log",
        "Dec 20 10:00:01 host sshd[1]: Accepted password for root from 203.0.113.5 port 22 ssh2\n\
         Jan  3 10:00:01 host sshd[1]: Accepted password for root from 203.0.113.5 port 22 ssh2\n",
    );
    let december = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_644_400); // 2025-12-02T03:00Z
    std::fs::File::options()
        .write(true)
        .open(&auth)
        .and_then(|f| f.set_modified(december))
        .expect("set mtime");
    // A record dated years after its file was last written.
    let late = write(
        dir.path(),
        "late.jsonl",
        r#"{"timestamp":"2031-05-01T00:00:00Z","user":"mallory","action":"login","result":"success"}"#,
    );
    std::fs::File::options()
        .write(true)
        .open(&late)
        .and_then(|f| f.set_modified(december))
        .expect("set mtime");
    let report = import(&case, &[auth, late]);
    let times: Vec<String> = search(&case, "format:syslog")
        .events
        .into_iter()
        .filter_map(|e| e.time)
        .collect();
    assert_eq!(times, vec!["2025-01-03T10:00:01Z", "2024-12-20T10:00:01Z"]);
    let f = file(&report, "auth.log");
    assert!(f
        .assumptions
        .iter()
        .any(|a| a.contains("read as 2024") && a.contains("modification time")));
    assert!(search(&case, "flag:future_time")
        .events
        .iter()
        .all(|e| e.format == "json"));
    assert_eq!(search(&case, "flag:future_time").total, 1);
    let late = file(&report, "late.jsonl");
    assert!(late
        .warning_counts
        .iter()
        .any(|c| c.kind == WarningKind::FutureTime && c.count == 1));
    assert!(report
        .warnings
        .iter()
        .any(|c| c.kind == WarningKind::YearInferred && c.count == 2));
}

#[test]
fn query_mistakes_say_what_was_meant_and_windows_accounts_are_found_as_written() {
    let (_dir, case) = fixture_case();
    let message = |q: &str| match case.page(&sightline::api::SearchRequest {
        query: q.to_string(),
        ..Default::default()
    }) {
        Err(e) => e.to_string(),
        Ok(r) => panic!("{q} found {} events instead of an error", r.total),
    };
    assert!(message("actr:root").contains("unknown field 'actr'; did you mean actor?"));
    assert!(message("outcome:failur").contains("did you mean failure?"));
    assert!(message("activity:logn").contains("did you mean logon?"));
    let account = search(&case, "actor:\"OFFSEC\\admmig\"").total;
    assert!(account > 0);
    assert_eq!(search(&case, "actor:OFFSEC\\admmig").total, account);
    let either = search(&case, "actor:(\"OFFSEC\\admmig\" OR bob@example.com)").total;
    assert_eq!(
        either,
        account + search(&case, "actor:bob@example.com").total
    );
}

#[test]
fn the_overview_counts_what_a_reader_should_know_before_any_search() {
    let (_dir, case) = fixture_case();
    let before = case.overview().expect("overview");
    assert_eq!(before.events, search(&case, "").total);
    assert_eq!(before.flagged, search(&case, "flag:*").total);
    assert_eq!(
        before.untimed,
        search(&case, "flag:time_missing OR flag:time_unparsed").total
    );
    assert_eq!(
        before.formats.iter().map(|f| f.events).sum::<u64>(),
        before.events
    );
    assert!(before.verified_at.is_none() && before.worst.is_empty());
    let report = case.verify().expect("verify");
    let after = case.overview().expect("overview");
    assert_eq!(
        after.verified_at.as_deref(),
        Some(report.checked_at.as_str())
    );
    let above_info = report
        .findings
        .iter()
        .filter(|f| f.severity > sightline::api::Severity::Info)
        .count() as u64;
    assert_eq!(after.findings_above_info, above_info);
    assert!(after.worst.len() <= sightline::api::OVERVIEW_FINDINGS);
    assert!(
        after
            .worst
            .windows(2)
            .all(|w| w[0].severity >= w[1].severity),
        "critical first"
    );
    assert_eq!(
        after.verdicts.iter().map(|(_, n)| n).sum::<u64>(),
        report.sources.len() as u64
    );
}

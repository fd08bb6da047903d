//! Normalization of real records (tests/fixtures, see PROVENANCE.md): counts, times, actors,
//! actions, outcomes and targets of named records.

use sightline::api::FileStatus;
use sightline::api::{Category, Outcome};

use crate::support::{file, fixtures, import, new_case, search};

fn fixture_case() -> (
    tempfile::TempDir,
    sightline::api::Case,
    sightline::api::ImportReport,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let report = import(
        &case,
        &[fixtures().join("cloudtrail"), fixtures().join("generic")],
    );
    (dir, case, report)
}

#[test]
fn every_fixture_file_imports_with_its_record_count() {
    let (_dir, _case, report) = fixture_case();
    let expected = [
        ("SerializerTestFile.json", "cloudtrail", 6),
        ("SerializerTestFileCompact.json.gz", "cloudtrail", 6),
        (
            "SerializerVariousUserIdentityTestFile.json",
            "cloudtrail",
            1,
        ),
        ("cloudtrail-log-file.json.gz", "cloudtrail", 2),
        (
            "aws.initial-access.console-login-without-mfa.json",
            "cloudtrail",
            1,
        ),
        ("aws.defense-evasion.cloudtrail-stop.json", "cloudtrail", 1),
        (
            "aws.persistence.iam-create-admin-user.json",
            "cloudtrail",
            3,
        ),
        (
            "aws.persistence.iam-create-user-login-profile.json",
            "cloudtrail",
            3,
        ),
        ("aws.execution.ssm-start-session.json", "cloudtrail", 29),
        (
            "aws.credential-access.ec2-get-password-data.json",
            "cloudtrail",
            34,
        ),
        ("derived-ssm-start-session.jsonl", "cloudtrail", 29),
        ("derived-logstash-flattened.jsonl", "cloudtrail", 4),
        ("app-audit.csv", "csv", 6),
        ("app-audit.jsonl", "json", 3),
    ];
    for (name, format, events) in expected {
        let f = file(&report, name);
        assert_eq!(f.status, FileStatus::Imported, "{name}");
        assert_eq!(f.format.as_deref(), Some(format), "{name}");
        assert_eq!(f.events, events, "{name}");
        assert_eq!(f.skipped, 0, "{name}: {:?}", f.errors);
        assert_eq!(f.sha256.as_deref().map(str::len), Some(64), "{name}");
    }
    assert_eq!(report.events, expected.iter().map(|e| e.2).sum::<u64>());
}

#[test]
fn console_login_is_an_authentication_with_its_outcome() {
    let (_dir, case, _) = fixture_case();
    let hits = search(&case, "action:ConsoleLogin file:*without-mfa.json");
    assert_eq!(hits.total, 1);
    let e = &hits.events[0];
    assert_eq!(e.time.as_deref(), Some("2024-08-02T08:53:24Z"));
    assert_eq!(
        e.actor.identity.name.as_deref(),
        Some("stratus-red-team-nmfalu-jfzdtsvchl")
    );
    assert_eq!(e.actor.identity.kind.as_deref(), Some("IAMUser"));
    assert_eq!(e.outcome, "success");
    assert_eq!(e.category, Category::Authentication.as_str());
    assert_eq!(e.ip.as_deref(), Some("225.01.00.16"));
    assert_eq!(e.service.as_deref(), Some("signin.amazonaws.com"));
    assert_eq!(e.region.as_deref(), Some("eu-west-2r"));
    assert_eq!(e.line, Some(2));
}

#[test]
fn admin_user_creation_names_the_user_and_the_policy_change() {
    let (_dir, case, _) = fixture_case();
    let attach = search(&case, "action:AttachUserPolicy format:cloudtrail");
    // Two copies: the array file and the Logstash-flattened lines derived from it.
    assert_eq!(attach.total, 2);
    for e in &attach.events {
        assert_eq!(e.actor.identity.name.as_deref(), Some("christophe"));
        assert_eq!(
            e.target.as_ref().and_then(|t| t.name.as_deref()),
            Some("malicious-iam-user")
        );
        assert_eq!(e.category, Category::PermissionChange.as_str());
        assert_eq!(e.time.as_deref(), Some("2024-08-01T13:33:28Z"));
    }
    let create = search(&case, "action:CreateUser");
    assert_eq!(create.total, 2);
    assert!(create
        .events
        .iter()
        .all(|e| e.category == Category::AccountChange.as_str()));
}

#[test]
fn failed_calls_carry_their_error_code() {
    let (_dir, case, _) = fixture_case();
    let hits = search(&case, "action:DeleteLoginProfile");
    assert_eq!(hits.total, 1);
    let detail = case.event(&hits.events[0].id).expect("event by id");
    assert_eq!(detail.event.outcome, Outcome::Failure);
    assert_eq!(
        detail.event.error_code.as_deref(),
        Some("EntityTemporarilyUnmodifiableException")
    );
    assert_eq!(
        detail.event.target.as_ref().and_then(|t| t.name.as_deref()),
        Some("stratus-red-team-login-profile-user")
    );
    assert!(detail.raw.contains("\"DeleteLoginProfile\""));
    assert_eq!(
        detail.raw_sha256,
        sightline::api::sha256_hex(detail.raw.as_bytes())
    );
}

#[test]
fn assumed_roles_show_the_session_and_the_role_behind_it() {
    let (_dir, case, _) = fixture_case();
    let hits = search(&case, "action:GetPasswordData");
    assert_eq!(hits.total, 30, "{:?}", hits.facets);
    let e = &hits.events[0];
    assert_eq!(e.actor.identity.kind.as_deref(), Some("AssumedRole"));
    assert_eq!(
        e.actor.identity.name.as_deref(),
        Some("stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000")
    );
    let role = e.actor.effective.as_ref().expect("session issuer");
    assert_eq!(
        role.name.as_deref(),
        Some("stratus-red-team-ec2-get-password-data-role")
    );
    assert_eq!(e.session.as_deref(), Some("ASIANQQHHS551LWULIWD"));
    assert_eq!(e.category, Category::DataAccess.as_str());
    // The role name finds the events too, and so does the session's access key.
    assert_eq!(
        search(&case, "actor:stratus-red-team-ec2-get-password-data-role").total,
        hits.total
    );
    assert_eq!(
        search(&case, "session:ASIANQQHHS551LWULIWD action:GetPasswordData").total,
        hits.total
    );
    assert_eq!(
        search(&case, "action:GetPasswordData outcome:failure").total,
        30
    );
    assert_eq!(
        search(&case, "action:GetPasswordData outcome:success").total,
        0
    );
}

#[test]
fn the_same_events_read_alike_from_an_array_and_from_json_lines() {
    let (_dir, case, _) = fixture_case();
    let array = search(&case, "file:*ssm-start-session.json");
    let lines = search(&case, "file:*ssm-start-session.jsonl");
    assert_eq!(array.total, 29);
    assert_eq!(lines.total, 29);
    let key = |r: &sightline::api::SearchResult| {
        let mut v: Vec<_> = r
            .events
            .iter()
            .map(|e| (e.time.clone(), e.action.clone(), e.native_id.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&array), key(&lines));
}

#[test]
fn logstash_flattened_lines_read_time_from_at_timestamp() {
    let (_dir, case, _) = fixture_case();
    let hits = search(&case, "file:*logstash-flattened.jsonl");
    assert_eq!(hits.total, 4);
    let login = hits
        .events
        .iter()
        .find(|e| e.action == "ConsoleLogin")
        .expect("console login");
    assert_eq!(login.time.as_deref(), Some("2024-08-02T08:53:24Z"));
    assert_eq!(
        login.time_original.as_deref(),
        Some("2024-08-02T08:53:24.000Z")
    );
    assert_eq!(
        login.actor.identity.name.as_deref(),
        Some("stratus-red-team-nmfalu-jfzdtsvchl")
    );
    let attach = hits
        .events
        .iter()
        .find(|e| e.action == "AttachUserPolicy")
        .expect("attach");
    assert_eq!(
        attach.target.as_ref().and_then(|t| t.name.as_deref()),
        Some("malicious-iam-user")
    );
    // Dotted keys are queried like nested ones.
    assert_eq!(
        search(
            &case,
            "requestParameters.policyArn:*AdministratorAccess format:cloudtrail"
        )
        .total,
        2
    );
}

#[test]
fn generic_csv_columns_are_guessed_and_bad_rows_flagged_not_dropped() {
    let (_dir, case, report) = fixture_case();
    let csv = file(&report, "app-audit.csv");
    assert_eq!(csv.flagged, 2, "{:?}", csv.warnings);
    let hits = search(&case, "format:csv");
    assert_eq!(hits.total, 6);
    let failed = search(&case, "format:csv outcome:failure");
    assert_eq!(failed.total, 2);
    assert!(failed
        .events
        .iter()
        .all(|e| e.actor.identity.name.as_deref() == Some("mallory")
            && e.ip.as_deref() == Some("203.0.113.66")));
    let untimed = search(&case, "flag:time_missing");
    assert_eq!(untimed.total, 1);
    assert_eq!(untimed.events[0].action, "delete_user");
    assert_eq!(untimed.events[0].time, None);
    let quoted = search(&case, "action:export_report");
    assert_eq!(
        quoted.events[0]
            .target
            .as_ref()
            .and_then(|t| t.name.as_deref()),
        Some("Quarterly, Q3 \"final\"")
    );
    assert_eq!(quoted.events[0].line, Some(3));
    // Hostile text stays text: the raw record keeps the bytes exactly.
    let script = search(&case, "\"alert(1)\" format:csv");
    assert_eq!(script.total, 1);
    let detail = case.event(&script.events[0].id).expect("event");
    assert!(detail.raw.contains("<script>alert(1)</script>"));
    let formula = search(&case, "HYPERLINK");
    assert_eq!(formula.total, 1);
    assert!(case
        .event(&formula.events[0].id)
        .expect("event")
        .raw
        .contains("\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\""));
}

#[test]
fn generic_json_lines_read_epochs_offsets_and_outcome_words() {
    let (_dir, case, _) = fixture_case();
    let hits = search(&case, "format:json");
    assert_eq!(hits.total, 3);
    let by_action = |a: &str| {
        hits.events
            .iter()
            .find(|e| e.action == a)
            .unwrap_or_else(|| panic!("{a}"))
    };
    assert_eq!(
        by_action("snapshot.create").time.as_deref(),
        Some("2024-08-01T09:00:00Z")
    );
    assert_eq!(by_action("snapshot.share").outcome, "failure");
    assert_eq!(
        by_action("role.grant").time.as_deref(),
        Some("2024-08-01T07:02:00Z")
    );
    assert_eq!(
        by_action("role.grant").category,
        Category::PermissionChange.as_str()
    );
    assert_eq!(
        by_action("snapshot.create").actor.identity.name.as_deref(),
        Some("svc-backup")
    );
}

/// Asked to, an import says where its CPU went, stage by stage, and the stages add up.
#[test]
fn an_import_measures_its_cpu_by_stage_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let options = sightline::api::ImportOptions {
        measure_stages: true,
        ..sightline::api::ImportOptions::default()
    };
    let report = crate::support::import_with(&case, &[fixtures()], &options);
    let stages = report.stages.expect("measured");
    let names: Vec<&str> = stages.stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names[..4],
        ["read + decompress", "frame", "parse", "normalize"]
    );
    assert!(stages.stages.iter().all(|(_, us)| *us >= 0.0));
    let sum: f64 = stages.stages.iter().map(|(_, us)| us).sum();
    assert!(
        (sum - stages.total).abs() < 0.01 * stages.total + 1e-6,
        "{sum} vs {}",
        stages.total
    );
    let parse = stages.stages[2].1;
    assert!(parse > 0.0 && stages.total > parse, "{stages:?}");
    // Not asked: not measured.
    let other = tempfile::tempdir().expect("tempdir");
    assert!(import(&new_case(other.path()), &[fixtures()])
        .stages
        .is_none());
}

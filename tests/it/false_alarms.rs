//! Integrity without false alarms: a daemon restart is not a gap of a hundred thousand records,
//! a computer name's letter case does not split a Windows log in two, ids are compared only in
//! the scope their source makes them unique, and a cleared log outranks its gaps.

use std::path::{Path, PathBuf};

use sightline::api::{FindingKind, Verdict};

use crate::support::{fixtures, import, new_case};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn kinds(findings: &[sightline::api::Finding]) -> Vec<FindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

#[test]
fn an_auditd_restart_that_takes_up_an_older_counter_is_a_restart_not_a_gap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let mut lines = String::new();
    for (i, serial) in (100_000..100_005).chain(250..255).enumerate() {
        lines.push_str(&format!(
            "type=USER_CMD msg=audit(1700000{:03}.000:{serial}): pid=1 uid=0 auid=1000 ses=1 msg='cmd=6C73 res=success'\n",
            i * 10
        ));
    }
    let report = import(&case, &[write(dir.path(), "audit.log", &lines)]);
    let found = kinds(&report.files[0].findings);
    assert!(!found.contains(&FindingKind::SequenceGap), "{found:?}");
    assert!(!found.contains(&FindingKind::OutOfOrder), "{found:?}");
    assert!(found.contains(&FindingKind::SequenceRestart), "{found:?}");
    // A few records that come late are still disorder, not a restart.
    let mut late = String::new();
    for (i, serial) in [100, 101, 103, 102, 104].into_iter().enumerate() {
        late.push_str(&format!(
            "type=USER_CMD msg=audit(1700001{:03}.000:{serial}): pid=1 uid=0 auid=1000 ses=1 msg='cmd=6C73 res=success'\n",
            i * 10
        ));
    }
    let report = import(&case, &[write(dir.path(), "late.log", &late)]);
    assert!(kinds(&report.files[0].findings).contains(&FindingKind::OutOfOrder));
}

#[test]
fn a_computer_name_in_two_letter_cases_is_one_windows_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let record = |computer: &str, id: u64| {
        format!(
            r#"{{"EventTime":"2024-03-01T08:00:{id:02}Z","Hostname":"{computer}","Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","EventID":4624,"RecordNumber":{id},"TargetUserName":"alice"}}"#
        )
    };
    let text = [("WKS01", 10), ("Wks01", 11), ("WKS01", 12), ("wks01", 13)]
        .map(|(c, id)| record(c, id))
        .join("\n");
    let report = import(&case, &[write(dir.path(), "security.jsonl", &text)]);
    let found = kinds(&report.files[0].findings);
    assert!(!found.contains(&FindingKind::RecordIdGap), "{found:?}");
}

#[test]
fn gcp_insert_ids_are_compared_only_with_their_timestamp_and_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let entry = |log: &str, time: &str, method: &str| {
        format!(
            r#"{{"insertId":"abc123","logName":"projects/p/logs/{log}","timestamp":"{time}","protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"{method}","authenticationInfo":{{"principalEmail":"a@example.com"}}}}}}"#
        )
    };
    let text = [
        entry(
            "cloudaudit.googleapis.com%2Factivity",
            "2024-01-01T00:00:00Z",
            "SetIamPolicy",
        ),
        entry(
            "cloudaudit.googleapis.com%2Fdata_access",
            "2024-01-01T00:00:00Z",
            "GetIamPolicy",
        ),
        entry(
            "cloudaudit.googleapis.com%2Factivity",
            "2024-02-01T00:00:00Z",
            "CreateTopic",
        ),
    ]
    .join("\n");
    let report = import(&case, &[write(dir.path(), "gcp.jsonl", &text)]);
    assert!(!kinds(&report.files[0].findings).contains(&FindingKind::DuplicateConflict));
    // The same id, time and log saying two different things still is a conflict.
    let edited = [
        entry(
            "cloudaudit.googleapis.com%2Factivity",
            "2024-03-01T00:00:00Z",
            "SetIamPolicy",
        ),
        entry(
            "cloudaudit.googleapis.com%2Factivity",
            "2024-03-01T00:00:00Z",
            "DeleteTopic",
        ),
    ]
    .join("\n");
    let report = import(&case, &[write(dir.path(), "edited.jsonl", &edited)]);
    assert!(kinds(&report.files[0].findings).contains(&FindingKind::DuplicateConflict));
}

#[test]
fn a_cleared_log_outranks_gaps_in_its_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[fixtures().join("formats/evtx/ID104-1102-Event_log_cleared.evtx")],
    );
    let report = case.verify().expect("verify");
    let source = report
        .sources
        .iter()
        .find(|s| s.file.ends_with("Event_log_cleared.evtx"))
        .expect("the cleared log");
    assert_eq!(source.verdict, Verdict::Cleared);
}

//! Detections: Sightline's rule pack fires on its positive records and not on its negative ones,
//! in any source; import and a run on demand find the same; hostile rule files are refused with
//! a reason and never stop a run; detections are searchable.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::{json, Value};
use sightline::api::{Case, ImportOptions, RuleSources};

use crate::support::{fixtures, import, import_with, new_case, search};

fn write_lines(dir: &Path, name: &str, records: &[Value]) -> std::path::PathBuf {
    let path = dir.join(name);
    let text: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&path, text.join("\n")).expect("write");
    path
}

fn cloudtrail(name: &str, extra: Value) -> Value {
    let mut r = json!({
        "eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "iam.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::1:user/alice"},
        "eventID": format!("id-{name}-{}", extra.to_string().len()), "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333"
    });
    merge(&mut r, extra);
    r
}

fn merge(a: &mut Value, b: Value) {
    if let (Value::Object(a), Value::Object(b)) = (a, b) {
        for (k, v) in b {
            match a.get_mut(&k) {
                Some(slot @ Value::Object(_)) if v.is_object() => merge(slot, v),
                _ => {
                    a.insert(k, v);
                }
            }
        }
    }
}

/// Rules that fired on the case, by title.
fn fired(case: &Case) -> Vec<String> {
    case.detections()
        .expect("detections")
        .into_iter()
        .map(|d| d.rule.title)
        .collect()
}

/// `(rule title, positive records, negative records)` for the single-event rules of the pack,
/// as CloudTrail records.
fn cloudtrail_cases() -> Vec<(&'static str, Vec<Value>, Vec<Value>)> {
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    vec![
        (
            "AWS administrator policy attached",
            vec![cloudtrail(
                "AttachUserPolicy",
                json!({"requestParameters": {"policyArn": admin, "userName": "bob"}}),
            )],
            vec![
                cloudtrail(
                    "AttachUserPolicy",
                    json!({"requestParameters": {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "userName": "bob"}}),
                ),
                cloudtrail(
                    "AttachUserPolicy",
                    json!({"requestParameters": {"policyArn": admin}, "errorCode": "AccessDenied"}),
                ),
            ],
        ),
        (
            "AWS root account used",
            vec![cloudtrail(
                "CreateBucket",
                json!({"eventSource": "s3.amazonaws.com", "userIdentity": {"type": "Root", "userName": null}}),
            )],
            vec![cloudtrail(
                "CreateBucket",
                json!({"eventSource": "s3.amazonaws.com", "userIdentity": {"type": "Root", "invokedBy": "s3.amazonaws.com"}}),
            )],
        ),
        (
            "AWS access key created for another user",
            vec![cloudtrail(
                "CreateAccessKey",
                json!({"requestParameters": {"userName": "bob"}}),
            )],
            vec![cloudtrail(
                "CreateAccessKey",
                json!({"requestParameters": {"userName": "alice"}}),
            )],
        ),
        (
            "AWS console login without MFA",
            vec![cloudtrail(
                "ConsoleLogin",
                json!({"eventSource": "signin.amazonaws.com", "additionalEventData": {"MFAUsed": "No"}, "responseElements": {"ConsoleLogin": "Success"}}),
            )],
            vec![cloudtrail(
                "ConsoleLogin",
                json!({"eventSource": "signin.amazonaws.com", "additionalEventData": {"MFAUsed": "Yes"}, "responseElements": {"ConsoleLogin": "Success"}}),
            )],
        ),
        (
            "S3 bucket or object opened to the public",
            vec![cloudtrail(
                "PutBucketAcl",
                json!({"eventSource": "s3.amazonaws.com", "requestParameters": {"bucketName": "b", "AccessControlPolicy": {"AccessControlList": {"Grant": [{"Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]}}}}),
            )],
            vec![cloudtrail(
                "PutBucketAcl",
                json!({"eventSource": "s3.amazonaws.com", "requestParameters": {"bucketName": "b", "AccessControlPolicy": {"AccessControlList": {"Grant": [{"Grantee": {"ID": "abc"}, "Permission": "READ"}]}}}}),
            )],
        ),
        (
            "Identity provider or federation trust added",
            vec![cloudtrail(
                "CreateSAMLProvider",
                json!({"requestParameters": {"name": "evil-idp"}}),
            )],
            vec![cloudtrail("ListSAMLProviders", json!({}))],
        ),
        (
            "Logging stopped or cleared",
            vec![cloudtrail(
                "StopLogging",
                json!({"eventSource": "cloudtrail.amazonaws.com", "requestParameters": {"name": "main"}}),
            )],
            vec![cloudtrail(
                "StartLogging",
                json!({"eventSource": "cloudtrail.amazonaws.com", "requestParameters": {"name": "main"}}),
            )],
        ),
        (
            "Audit configuration changed",
            vec![cloudtrail(
                "PutEventSelectors",
                json!({"eventSource": "cloudtrail.amazonaws.com", "requestParameters": {"trailName": "main"}}),
            )],
            vec![cloudtrail(
                "GetEventSelectors",
                json!({"eventSource": "cloudtrail.amazonaws.com", "requestParameters": {"trailName": "main"}}),
            )],
        ),
        (
            "MFA disabled or reset",
            vec![cloudtrail(
                "DeactivateMFADevice",
                json!({"requestParameters": {"userName": "bob", "serialNumber": "arn:aws:iam::1:mfa/bob"}}),
            )],
            vec![cloudtrail(
                "EnableMFADevice",
                json!({"requestParameters": {"userName": "bob", "serialNumber": "arn:aws:iam::1:mfa/bob"}}),
            )],
        ),
    ]
}

#[test]
fn each_rule_of_the_pack_fires_on_its_positive_records_and_not_on_its_negative_ones() {
    for (title, positive, negative) in cloudtrail_cases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let case = new_case(dir.path());
        import(&case, &[write_lines(dir.path(), "neg.jsonl", &negative)]);
        assert!(
            !fired(&case).contains(&title.to_string()),
            "{title} fired on its negative records: {:?}",
            fired(&case)
        );
        import(&case, &[write_lines(dir.path(), "pos.jsonl", &positive)]);
        assert!(
            fired(&case).contains(&title.to_string()),
            "{title} did not fire: {:?}",
            fired(&case)
        );
        let hits = search(&case, &format!("rule:\"{title}\""));
        assert_eq!(hits.total, positive.len() as u64, "{title}");
        // The listed events carry their own record ids (CloudTrail's eventID).
        let listed = case.detections().expect("detections");
        let detection = listed
            .iter()
            .find(|d| d.rule.title == title)
            .expect("listed");
        for e in &detection.events {
            let own = case.event(&e.id).expect("event").event.native_id;
            assert!(own.is_some(), "{title}");
            assert_eq!(e.native_id, own, "{title}");
        }
    }
}

fn ssh_lines(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path
}

fn failed(minute: u32, second: u32, user: &str, ip: &str) -> String {
    format!("2024-03-04T10:{minute:02}:{second:02}+00:00 bastion sshd[4102]: Failed password for {user} from {ip} port 40222 ssh2")
}

fn accepted(minute: u32, user: &str, ip: &str) -> String {
    format!("2024-03-04T10:{minute:02}:30+00:00 bastion sshd[4103]: Accepted password for {user} from {ip} port 40223 ssh2")
}

#[test]
fn brute_force_then_success_and_password_spray_are_found_across_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    // Six failures in one file, six more in the next: the brute force spans two imports.
    let first: Vec<String> = (0..6)
        .map(|i| failed(0, i * 5, "root", "203.0.113.9"))
        .collect();
    let second: Vec<String> = (0..6)
        .map(|i| failed(1, i * 5, "root", "203.0.113.9"))
        .chain([accepted(3, "root", "203.0.113.9")])
        .collect();
    import(&case, &[ssh_lines(dir.path(), "auth-1.log", &first)]);
    assert!(
        !fired(&case).iter().any(|t| t.starts_with("Brute force")),
        "{:?}",
        fired(&case)
    );
    import(&case, &[ssh_lines(dir.path(), "auth-2.log", &second)]);
    let titles = fired(&case);
    assert!(
        titles.contains(&"Brute force against one account".to_string()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Brute force followed by a successful logon".to_string()),
        "{titles:?}"
    );
    assert!(
        !titles.contains(&"Password spray from one address".to_string()),
        "{titles:?}"
    );
    assert!(
        !titles.contains(&"Failed logon".to_string()),
        "base rules are not listed"
    );
    let detections = case.detections().expect("detections");
    let chain = detections
        .iter()
        .find(|d| d.rule.title == "Brute force followed by a successful logon")
        .expect("fired");
    assert_eq!(chain.rule.level, "critical");
    assert_eq!(chain.rule.author.as_deref(), Some("Sightline"));
    assert!(chain.events.iter().any(|e| e
        .matched
        .iter()
        .any(|m| m.field == "actor" && m.value == "root")));

    // Five accounts from one address in a few minutes: a spray, and no single brute force.
    let spray: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .enumerate()
        .map(|(i, u)| failed(20, i as u32 * 10, u, "198.51.100.66"))
        .collect();
    import(&case, &[ssh_lines(dir.path(), "auth-3.log", &spray)]);
    assert!(fired(&case).contains(&"Password spray from one address".to_string()));
    assert_eq!(search(&case, "rule:\"Password spray*\"").total, 5);

    // An import with no logon in it skips the correlation pass; what it found stays.
    let before = search(&case, "rule:\"Brute force*\"").total;
    let quiet = vec![
        "2024-03-04T11:00:00+00:00 bastion CRON[200]: pam_unix(cron:session): session closed for user root".to_string(),
    ];
    import(&case, &[ssh_lines(dir.path(), "cron.log", &quiet)]);
    assert!(before > 0);
    assert_eq!(search(&case, "rule:\"Brute force*\"").total, before);
    assert!(fired(&case).contains(&"Password spray from one address".to_string()));
}

#[test]
fn a_run_on_demand_finds_what_the_import_found_and_replaces_it_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[
            fixtures().join("cloudtrail"),
            fixtures().join("formats/evtx"),
        ],
    );
    let at_import = case.detections().expect("detections");
    assert!(!at_import.is_empty());
    let report = case
        .detect(&RuleSources::default(), &|_| {}, &AtomicBool::new(false))
        .expect("detect");
    assert_eq!(
        report.detections, at_import,
        "the same rules, events and reasons"
    );
    assert_eq!(report.rules_failed, vec![]);
    let last = case
        .journal()
        .expect("journal")
        .entries
        .pop()
        .expect("entry");
    assert_eq!(last.action, "detect");

    // Without the pack, nothing fires; the case keeps that choice for later imports.
    let none = RuleSources {
        paths: vec![],
        builtin: false,
    };
    let report = case
        .detect(&none, &|_| {}, &AtomicBool::new(false))
        .expect("detect");
    assert!(report.detections.is_empty());
    assert_eq!(search(&case, "has:detection").total, 0);
    import(
        &case,
        &[fixtures().join("cloudtrail/aws.persistence.iam-create-admin-user.json")],
    );
    assert!(case.detections().expect("detections").is_empty());
}

#[test]
fn hostile_rule_files_are_refused_with_a_reason_and_the_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("mkdir");
    let write = |name: &str, text: &str| std::fs::write(rules.join(name), text).expect("write");
    write("broken.yml", "title: [unclosed\n");
    write(
        "modifier.yml",
        "title: Bad modifier\nlogsource: {product: aws}\ndetection:\n  sel:\n    eventName|nosuchmodifier: x\n  condition: sel\n",
    );
    write(
        "deep.yml",
        &format!(
            "title: Deep\nlogsource: {{product: aws}}\ndetection:\n  sel:\n    eventName: x\n  condition: {}sel{}\n",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ),
    );
    write(
        "huge.yml",
        &format!("title: Huge\n# {}\n", "x".repeat(2 << 20)),
    );
    // Catastrophic for a backtracking engine; linear for the regex crate.
    write(
        "regex.yml",
        "title: Slow regex\nid: 11111111-1111-4111-8111-111111111111\nauthor: test\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|re: '^(a+)+$'\n  condition: sel\nlevel: low\n",
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("../escape.yml", zip::write::SimpleFileOptions::default())
        .expect("zip");
    std::io::Write::write_all(&mut zip, b"title: Escape\n").expect("zip");
    let zipped = zip.finish().expect("zip").into_inner();
    std::fs::write(rules.join("rules.zip"), zipped).expect("write");

    let case = new_case(dir.path());
    let slow = cloudtrail(&format!("{}b", "a".repeat(50_000)), json!({}));
    import_with(
        &case,
        &[write_lines(dir.path(), "slow.jsonl", &[slow])],
        &ImportOptions {
            detect: false,
            ..ImportOptions::default()
        },
    );
    let started = std::time::Instant::now();
    let report = case
        .detect(
            &RuleSources {
                paths: vec![rules.display().to_string()],
                builtin: false,
            },
            &|_| {},
            &AtomicBool::new(false),
        )
        .expect("the run goes on");
    assert!(started.elapsed().as_secs() < 20, "no rule stalls the run");
    let reasons: Vec<(String, String)> = report
        .rules_failed
        .iter()
        .map(|f| {
            let name = f
                .path
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or_default()
                .to_string();
            (name, f.reason.clone())
        })
        .collect();
    let reason = |name: &str| {
        reasons
            .iter()
            .find(|(n, _)| n.ends_with(name))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{name} not listed: {reasons:?}"))
    };
    assert!(reason("broken.yml").contains("not a Sigma rule"));
    assert!(
        reason("modifier.yml").contains("nosuchmodifier")
            || reason("modifier.yml").contains("modifier")
    );
    assert!(reason("deep.yml").contains("nests deeper"));
    assert!(reason("huge.yml").contains("larger than"));
    assert!(reason("escape.yml").contains("unsafe path"));
    assert_eq!(report.rules_loaded, 1, "the regex rule loads: {reasons:?}");
}

/// SigmaHQ's rules, where `../shared/sigma` is present: they load (or say why not) and run over
/// the shared datasets without a failure, naming their authors.
#[test]
fn sigmahq_rules_load_and_run_over_real_logs() {
    let Some((datasets, sigma)) = crate::support::shared_datasets_and_sigma() else {
        eprintln!("skipped: ../shared/datasets or ../shared/sigma is absent");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import_with(
        &case,
        std::slice::from_ref(&datasets),
        &ImportOptions {
            detect: false,
            ..ImportOptions::default()
        },
    );
    let paths = ["cloud", "linux", "windows/builtin/security"]
        .iter()
        .map(|p| sigma.join(p).display().to_string())
        .collect();
    let report = case
        .detect(
            &RuleSources {
                paths,
                builtin: true,
            },
            &|_| {},
            &AtomicBool::new(false),
        )
        .expect("detect");
    eprintln!(
        "SigmaHQ: {} rules loaded, {} not loaded; {} rules fired over {} events",
        report.rules_loaded,
        report.rules_failed.len(),
        report.detections.len(),
        report.events_checked
    );
    assert!(report.rules_loaded > 500, "{}", report.rules_loaded);
    assert!(
        report.rules_failed.len() * 20 < report.rules_loaded as usize,
        "{:?}",
        &report.rules_failed[..report.rules_failed.len().min(5)]
    );
    assert!(
        report
            .detections
            .iter()
            .any(|d| !d.rule.path.starts_with("builtin/")),
        "a SigmaHQ rule fires on the datasets"
    );
    assert!(report
        .detections
        .iter()
        .all(|d| d.rule.author.is_some() || d.rule.path.starts_with("builtin/")));
}

#[test]
fn exports_and_the_report_name_each_detection_with_its_author() {
    use sightline::api::{ExportFormat, ExportOptions, SearchRequest};
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[
            fixtures().join("cloudtrail"),
            fixtures().join("formats/evtx"),
        ],
    );
    let detections = case.detections().expect("detections");
    let cleared = detections
        .iter()
        .find(|d| d.rule.title == "Logging stopped or cleared")
        .expect("the pack finds the cleared log");
    let cell = format!("{}: {} (Sightline)", cleared.rule.level, cleared.rule.title);

    let csv_out = dir.path().join("out.csv");
    let options = ExportOptions {
        request: SearchRequest {
            query: "has:detection".into(),
            ..SearchRequest::default()
        },
        ..ExportOptions::default()
    };
    case.export(&csv_out, &options, &|_| {}, &AtomicBool::new(false))
        .expect("export");
    let mut reader = csv::Reader::from_path(&csv_out).expect("csv");
    let header = reader.headers().expect("header").clone();
    let column = header
        .iter()
        .position(|h| h == "detections")
        .expect("a detections column");
    let id = header
        .iter()
        .position(|h| h == "event_id")
        .expect("event_id");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len() as u64, search(&case, "has:detection").total);
    assert!(
        rows.iter().all(|r| !r[column].is_empty()),
        "every row names its rules"
    );
    let first = &cleared.events[0].id;
    let row = rows
        .iter()
        .find(|r| &r[id] == first)
        .expect("the rule's first event");
    assert!(row[column].contains(&cell), "{} lacks {cell}", &row[column]);

    // JSON lines carry the same cell; an event no rule matched has none.
    let jsonl = dir.path().join("all.jsonl");
    let options = ExportOptions {
        format: ExportFormat::Jsonl,
        ..ExportOptions::default()
    };
    case.export(&jsonl, &options, &|_| {}, &AtomicBool::new(false))
        .expect("export");
    let lines: Vec<Value> = std::fs::read_to_string(&jsonl)
        .expect("read")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let with = lines.iter().filter(|l| l["detections"].is_string()).count() as u64;
    assert_eq!(with, search(&case, "has:detection").total);
    let hit = lines
        .iter()
        .find(|l| l["event_id"] == first.as_str())
        .expect("hit");
    assert!(hit["detections"].as_str().expect("cell").contains(&cell));

    // The report has a section naming each rule, its author and its events in the selection.
    let page = dir.path().join("report.html");
    case.report(&page, &SearchRequest::default())
        .expect("report");
    let html = std::fs::read_to_string(&page).expect("read");
    let section = &html[html.find("<h2>Detections (").expect("a detections section")..];
    assert!(section.contains(&cleared.rule.title));
    assert!(section.contains("builtin/logging_disabled_or_cleared.yml"));
    assert!(
        section.contains(&first.to_string()),
        "the rule's first event is listed"
    );
    assert!(section.contains(&format!("<td class=\"n\">{}</td>", cleared.count)));
}

#[test]
fn a_correlation_over_a_rule_without_an_id_counts_events_of_earlier_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("mkdir");
    // The counted rule has a name and no id: it is kept under its file and title.
    std::fs::write(
        rules.join("failures.yml"),
        "title: My failed logon\nname: my_failed_logon\nstatus: test\nlogsource:\n    product: sightline\n    category: audit\ndetection:\n    selection:\n        activity: logon\n        outcome: failure\n    condition: selection\nlevel: informational\n---\ntitle: Four failed logons for one account\nid: 0b6c8a0e-1111-4222-8333-944455556666\ncorrelation:\n    type: event_count\n    rules:\n        - my_failed_logon\n    group-by:\n        - actor\n    timespan: 10m\n    condition:\n        gte: 4\nlevel: high\n",
    )
    .expect("write rule");
    let case = new_case(&dir.path().join("case"));
    let sources = RuleSources {
        paths: vec![rules.to_string_lossy().into_owned()],
        builtin: false,
    };
    let report = case
        .detect(&sources, &|_| {}, &AtomicBool::new(false))
        .expect("detect");
    assert_eq!(report.rules_failed, vec![]);
    let first: Vec<String> = (0..2)
        .map(|i| failed(0, i * 5, "root", "203.0.113.9"))
        .collect();
    let second: Vec<String> = (0..2)
        .map(|i| failed(1, i * 5, "root", "203.0.113.9"))
        .collect();
    import(&case, &[ssh_lines(dir.path(), "auth-1.log", &first)]);
    assert!(!fired(&case).contains(&"Four failed logons for one account".to_string()));
    import(&case, &[ssh_lines(dir.path(), "auth-2.log", &second)]);
    assert!(
        fired(&case).contains(&"Four failed logons for one account".to_string()),
        "{:?}",
        fired(&case)
    );
    assert_eq!(search(&case, "rule:\"Four failed*\"").total, 4);
}

/// Six failed logons for root from one address, five seconds apart, from 10:MM:00.
fn six_failures(minute: u32) -> Vec<String> {
    (0..6)
        .map(|i| failed(minute, i * 5, "root", "203.0.113.9"))
        .collect()
}

/// A log that fills a gap in the case's time: the correlation pass of its import reads the
/// earlier events it may share a window with (those before it), not the case's later ones, and
/// finds what a run over the whole case finds.
#[test]
fn a_log_imported_into_the_middle_of_the_case_completes_a_window_with_events_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    // Six failures at 10:00 and six at 10:40: neither is a brute force alone.
    let around: Vec<String> = [six_failures(0), six_failures(40)].concat();
    import(&case, &[ssh_lines(dir.path(), "auth-1.log", &around)]);
    assert!(
        !fired(&case).iter().any(|t| t.starts_with("Brute force")),
        "{:?}",
        fired(&case)
    );
    // Six more at 10:01, imported later: with those at 10:00, a brute force.
    let middle: Vec<String> = six_failures(1);
    import(&case, &[ssh_lines(dir.path(), "auth-2.log", &middle)]);
    let at_import = brute_force_found_as_a_whole_run_finds_it(&case);
    assert!(at_import >= 12, "{at_import}");
}

/// Asserts that the brute force fired at import and that a run over the whole case marks the
/// same events; returns how many.
fn brute_force_found_as_a_whole_run_finds_it(case: &Case) -> u64 {
    const MARKED: &str = "rule:\"Brute force against one account\"";
    let titles = fired(case);
    assert!(
        titles.contains(&"Brute force against one account".to_string()),
        "{titles:?}"
    );
    let at_import = search(case, MARKED).total;
    let whole = case
        .detect(&RuleSources::default(), &|_| {}, &AtomicBool::new(false))
        .expect("detect");
    assert_eq!(whole.rules_failed, vec![]);
    assert_eq!(
        search(case, MARKED).total,
        at_import,
        "a run over the whole case finds the same events"
    );
    at_import
}

/// An older log added to a case: its failures and those already in the case, just after them,
/// make a brute force that an event already there completes. The import makes the case's
/// correlations again, and finds what a run over the whole case finds.
#[test]
fn an_older_log_added_to_the_case_completes_a_window_an_event_already_there_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let later: Vec<String> = six_failures(1);
    import(&case, &[ssh_lines(dir.path(), "auth.log", &later)]);
    assert!(
        !fired(&case).iter().any(|t| t.starts_with("Brute force")),
        "{:?}",
        fired(&case)
    );
    let older: Vec<String> = six_failures(0);
    import(&case, &[ssh_lines(dir.path(), "auth.log.1", &older)]);
    brute_force_found_as_a_whole_run_finds_it(&case);
}

/// The events a correlation counts are kept in the case as the correlation pass reads them, and
/// a later import's pass reads those instead of the events from the index. Shown by changing
/// the kept account of the first six failures: the next six then make no brute force.
#[test]
fn a_later_import_reads_the_counted_events_kept_in_the_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let first: Vec<String> = six_failures(0);
    import(&case, &[ssh_lines(dir.path(), "auth-1.log", &first)]);
    let db =
        rusqlite::Connection::open(dir.path().join("case").join("case.sqlite")).expect("sqlite");
    let kept: Vec<String> = db
        .prepare("SELECT view FROM counted_views ORDER BY seq")
        .expect("select")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(kept.len(), 6, "one view per counted failure");
    for view in &kept {
        let view: Value = serde_json::from_str(view).expect("json");
        assert_eq!(view["actor"], "root", "{view}");
    }
    db.execute(
        "UPDATE counted_views SET view = replace(view, '\"actor\":\"root\"', '\"actor\":\"someone-else\"')",
        [],
    )
    .expect("update");
    let second: Vec<String> = six_failures(1);
    import(&case, &[ssh_lines(dir.path(), "auth-2.log", &second)]);
    assert!(
        !fired(&case).contains(&"Brute force against one account".to_string()),
        "the pass read the kept views: {:?}",
        fired(&case)
    );
    // A run over the whole case evaluates every event again and keeps their views anew.
    case.detect(&RuleSources::default(), &|_| {}, &AtomicBool::new(false))
        .expect("detect");
    assert!(fired(&case).contains(&"Brute force against one account".to_string()));
    let roots: i64 = db
        .query_row(
            "SELECT count(*) FROM counted_views WHERE view LIKE '%\"actor\":\"root\"%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(roots, 12);
}

/// A kept view that is not JSON (a damaged row) costs a read from the index, not the event.
#[test]
fn a_damaged_kept_view_is_read_from_the_index_instead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[ssh_lines(dir.path(), "auth-1.log", &six_failures(0))],
    );
    let db =
        rusqlite::Connection::open(dir.path().join("case").join("case.sqlite")).expect("sqlite");
    let damaged = db
        .execute("UPDATE counted_views SET view = '{\"actor\":' WHERE seq IN (SELECT seq FROM counted_views LIMIT 3)", [])
        .expect("update");
    assert_eq!(damaged, 3);
    let report = import(
        &case,
        &[ssh_lines(dir.path(), "auth-2.log", &six_failures(1))],
    );
    assert_eq!(report.events, 6);
    assert!(
        fired(&case).contains(&"Brute force against one account".to_string()),
        "{:?}",
        fired(&case)
    );
    assert_eq!(
        search(&case, "rule:\"Brute force against one account\"").total,
        12
    );
}

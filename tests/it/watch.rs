//! Following growing logs and folders (`watch`): appends, partial lines, each rotation kind,
//! truncation and rewrites, archives dropped in a folder, many files at once, a file deleted
//! while followed, alerts, verify of a file that kept growing, and a watcher killed with SIGKILL
//! at random moments: every record is in the case exactly once.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use sightline::api::{Case, FindingKind, FollowBatch, FollowOptions, Follower, Severity};

use crate::support::{new_case, search};

fn options() -> FollowOptions {
    FollowOptions {
        settle: Duration::ZERO,
        ..FollowOptions::default()
    }
}

fn line(n: u64) -> String {
    format!(
        "Dec  2 10:{:02}:{:02} host sshd[{n}]: Failed password for invalid user u{n} from 10.0.{}.{} port 22 ssh2\n",
        (n / 60) % 60,
        n % 60,
        n / 256 % 256,
        n % 256
    )
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

fn lines(path: &Path, range: std::ops::Range<u64>) {
    append(path, &range.map(line).collect::<String>());
}

fn step(follower: &mut Follower) -> Option<FollowBatch> {
    follower.step(&AtomicBool::new(false)).expect("step")
}

/// How many events each `sshd[n]` process id has: every record once means each count is 1.
fn pids(case: &Case) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    let mut offset = 0;
    loop {
        let page = case
            .page(&sightline::api::SearchRequest {
                limit: 1000,
                offset,
                ..Default::default()
            })
            .expect("page");
        for e in &page.events {
            let pid = e
                .message
                .split_whitespace()
                .find_map(|w| w.strip_prefix("u")?.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            *out.entry(pid).or_insert(0) += 1;
        }
        offset += page.events.len();
        if page.events.is_empty() || offset as u64 >= page.total {
            return out;
        }
    }
}

fn assert_each_once(case: &Case, n: u64) {
    let counts = pids(case);
    let twice: Vec<_> = counts.iter().filter(|(_, c)| **c != 1).collect();
    assert!(twice.is_empty(), "records not exactly once: {twice:?}");
    let expected: Vec<u64> = (0..n).collect();
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), expected);
}

fn serious(case: &Case) -> Vec<sightline::api::Finding> {
    let report = case.verify().expect("verify");
    report
        .findings
        .into_iter()
        .filter(|f| f.severity > Severity::Info)
        .collect()
}

#[test]
fn appended_lines_are_imported_once_and_a_partial_line_waits_for_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let auth = logs.join("auth.log");
    lines(&auth, 0..3);
    let partial = line(3);
    append(&auth, &partial[..20]);
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&logs), options())
        .unwrap();
    let batch = step(&mut follower).expect("a first batch");
    assert_eq!(batch.events, 3);
    assert!(step(&mut follower).is_none(), "nothing new: no batch");
    append(&auth, &partial[20..]);
    lines(&auth, 4..6);
    assert_eq!(step(&mut follower).expect("second batch").events, 3);
    assert_each_once(&case, 6);
    // Located in the whole file, not in the range.
    let row = &search(&case, "u4").events[0];
    assert_eq!(row.line, Some(5));
    let before: usize = (0..4).map(|n| line(n).len()).sum();
    assert_eq!(row.offset, before as u64);
    assert!(serious(&case).is_empty());
    // The prefix it imported must stay: a byte changed in it is found by verify.
    let mut bytes = std::fs::read(&auth).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&auth, &bytes).unwrap();
    let found = serious(&case);
    assert!(
        found.iter().any(|f| f.kind == FindingKind::FileModified),
        "{found:?}"
    );
}

/// A folder that already holds a log and its rotated copy when it is first followed.
#[test]
fn a_folder_with_a_rotated_log_is_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    lines(&logs.join("auth.log.3"), 0..300);
    lines(&logs.join("auth.log"), 300..350);
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&logs), options())
        .unwrap();
    step(&mut follower).expect("first batch");
    assert_each_once(&case, 350);
    lines(&logs.join("auth.log"), 350..360);
    step(&mut follower).expect("second batch");
    assert_each_once(&case, 360);
}

#[test]
fn rotation_by_rename_then_gzip_loses_nothing_and_imports_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let auth = logs.join("auth.log");
    lines(&auth, 0..10);
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&auth), options())
        .unwrap();
    step(&mut follower).expect("first batch");
    // Written after the last look, then rotated: auth.log -> auth.log.1, a new auth.log.
    lines(&auth, 10..12);
    std::fs::rename(&auth, logs.join("auth.log.1")).unwrap();
    lines(&auth, 12..15);
    let batch = step(&mut follower).expect("rotation batch");
    assert!(
        batch.notes.iter().any(|n| n.contains("renamed to")),
        "{:?}",
        batch.notes
    );
    assert_each_once(&case, 15);
    // The next rotation compresses auth.log.1 (with one more line it got late) into .2.gz.
    lines(&logs.join("auth.log.1"), 15..16);
    let text = std::fs::read(logs.join("auth.log.1")).unwrap();
    let gz = std::fs::File::create(logs.join("auth.log.2.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    enc.write_all(&text).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(logs.join("auth.log.1")).unwrap();
    lines(&auth, 16..17);
    let batch = step(&mut follower).expect("gzip batch");
    assert!(
        batch.notes.iter().any(|n| n.contains("(compressed)")),
        "{:?}",
        batch.notes
    );
    assert_each_once(&case, 17);
    assert!(step(&mut follower).is_none());
    // Verify re-reads the ranges inside the .gz.
    assert_eq!(serious(&case), Vec::new());
}

#[test]
fn copy_and_truncate_is_a_rotation_and_truncation_without_a_copy_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let auth = logs.join("auth.log");
    lines(&auth, 0..8);
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&logs), options())
        .unwrap();
    step(&mut follower).expect("first batch");
    // logrotate copytruncate: copy (with two lines not yet imported), truncate, go on writing.
    lines(&auth, 8..10);
    std::fs::copy(&auth, logs.join("auth.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&auth)
        .unwrap();
    lines(&auth, 10..12);
    let batch = step(&mut follower).expect("rotation batch");
    assert!(
        batch.notes.iter().any(|n| n.contains("copy and truncate")),
        "{:?}",
        batch.notes
    );
    assert!(batch.findings.is_empty(), "{:?}", batch.findings);
    assert_each_once(&case, 12);
    assert_eq!(serious(&case), Vec::new());
    // Truncated with no copy anywhere: a finding, and what it holds now is imported.
    std::fs::write(&auth, line(12)).unwrap();
    let batch = step(&mut follower).expect("truncation batch");
    assert_eq!(batch.events, 1);
    let truncated: Vec<_> = batch
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::FileTruncated)
        .collect();
    assert_eq!(truncated.len(), 1, "{:?}", batch.findings);
    assert!(truncated[0].detail.contains("truncated under the watcher"));
    // Kept with the case: verify lists it.
    let report = case.verify().unwrap();
    assert!(report
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::FileTruncated));
}

#[test]
fn a_file_rewritten_under_the_watcher_is_a_critical_finding_not_a_silent_reread() {
    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("auth.log");
    lines(&auth, 0..5);
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&auth), options())
        .unwrap();
    step(&mut follower).expect("first batch");
    // Same length, first line changed, and a line more.
    let mut text = std::fs::read_to_string(&auth).unwrap();
    text = text.replacen("u0 ", "u9 ", 1);
    text.push_str(&line(5));
    std::fs::write(&auth, text).unwrap();
    let batch = step(&mut follower).expect("batch");
    let rewritten: Vec<_> = batch
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::FileRewritten)
        .collect();
    assert_eq!(rewritten.len(), 1, "{:?}", batch.findings);
    assert_eq!(rewritten[0].severity, Severity::Critical);
    assert_eq!(
        batch.events, 6,
        "imported again as a new file, with the finding"
    );
}

#[test]
fn archives_and_many_files_dropped_into_a_folder_are_imported_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&inbox), options())
        .unwrap();
    assert!(step(&mut follower).is_none());
    // 40 CloudTrail files, gzipped as the service writes them, and 10 plain logs at once.
    let record = |n: u64, name: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2026-12-02T10:{:02}:{:02}Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{}","userIdentity":{{"type":"IAMUser","userName":"u{n}","arn":"arn:aws:iam::111122223333:user/u{n}"}},"eventID":"e-{n}","requestID":"r-{n}"}}"#,
            n / 60 % 60,
            n % 60,
            n % 250
        )
    };
    for n in 0..40 {
        let body = format!(r#"{{"Records":[{}]}}"#, record(n, "DescribeTrails"));
        let f = std::fs::File::create(inbox.join(format!("ct-{n:03}.json.gz"))).unwrap();
        let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        enc.write_all(body.as_bytes()).unwrap();
        enc.finish().unwrap();
    }
    for n in 0..10 {
        std::fs::write(inbox.join(format!("host{n}.log")), line(100 + n)).unwrap();
    }
    let batch = step(&mut follower).expect("batch");
    assert_eq!((batch.files, batch.ranges, batch.events), (40, 10, 50));
    assert!(step(&mut follower).is_none(), "nothing twice");
    // A restart does not import the archives again.
    drop(follower);
    let mut follower = case
        .follower(std::slice::from_ref(&inbox), options())
        .unwrap();
    assert!(
        step(&mut follower).is_none(),
        "nothing twice after a restart"
    );
    assert_eq!(search(&case, "").total, 50);
}

#[test]
fn a_file_deleted_while_followed_keeps_its_events_and_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let auth = logs.join("auth.log");
    lines(&auth, 0..4);
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&logs), options())
        .unwrap();
    step(&mut follower).expect("first batch");
    std::fs::remove_file(&auth).unwrap();
    lines(&logs.join("other.log"), 4..5);
    let batch = step(&mut follower).expect("batch");
    assert!(
        batch.notes.iter().any(|n| n.contains("is gone")),
        "{:?}",
        batch.notes
    );
    assert_each_once(&case, 5);
}

#[test]
fn new_high_hits_raise_alerts_naming_the_rule_and_its_author() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail.jsonl");
    let record = |name: &str, n: u64| {
        format!(
            "{{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-12-02T10:00:{n:02}Z\",\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"{name}\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.7\",\"userIdentity\":{{\"type\":\"IAMUser\",\"userName\":\"mallory\",\"arn\":\"arn:aws:iam::111122223333:user/mallory\"}},\"eventID\":\"e-{n}\",\"requestID\":\"r-{n}\",\"requestParameters\":{{\"name\":\"main\"}}}}\n"
        )
    };
    append(&trail, &record("DescribeTrails", 1));
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&trail), options())
        .unwrap();
    let batch = step(&mut follower).expect("first batch");
    assert!(batch.alerts.is_empty(), "{:?}", batch.alerts);
    append(&trail, &record("StopLogging", 2));
    let batch = step(&mut follower).expect("second batch");
    assert_eq!(batch.alerts.len(), 1, "{:?}", batch.alerts);
    let alert = &batch.alerts[0];
    assert_eq!(alert.level, "high");
    assert_eq!(alert.author.as_deref(), Some("Sightline"));
    assert_eq!(alert.actor, "mallory");
    assert_eq!(alert.action, "StopLogging");
    assert_eq!(alert.line, Some(2));
    let shown = case.event(&alert.event_id).unwrap();
    assert_eq!(shown.row.action, "StopLogging");
}

/// A correlation's hits as compared: title, count, first and last, its events with their times.
type CorrelationRow = (String, u64, String, Vec<(String, String)>);

fn correlations(case: &Case) -> Vec<CorrelationRow> {
    case.detections()
        .unwrap()
        .into_iter()
        .filter(|d| d.rule.correlation)
        .map(|d| {
            (
                d.rule.title,
                d.count,
                format!("{:?}..{:?}", d.first, d.last),
                d.events
                    .into_iter()
                    .map(|e| (e.id, e.time.unwrap_or_default()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn correlations_made_batch_by_batch_equal_a_run_over_the_whole_case() {
    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("auth.log");
    let mut pid = 0;
    let mut failed = |user: &str, ip: &str, at: &str, n: u64| -> String {
        (0..n)
            .map(|i| {
                pid += 1;
                format!("Dec  2 {at}:{i:02} web sshd[{pid}]: Failed password for {user} from {ip} port 22 ssh2\n")
            })
            .collect()
    };
    // Batch 1: alice below the brute-force threshold (10), bob above it.
    let first = failed("alice", "10.0.0.1", "10:00", 6) + &failed("bob", "10.0.0.2", "10:00", 12);
    append(&auth, &first);
    let case = new_case(dir.path());
    let mut follower = case
        .follower(std::slice::from_ref(&auth), options())
        .unwrap();
    step(&mut follower).expect("first batch");
    // Batch 2: alice crosses it, naming her events of batch 1 too; bob goes on.
    append(
        &auth,
        &(failed("alice", "10.0.0.1", "10:01", 6) + &failed("bob", "10.0.0.2", "10:02", 3)),
    );
    step(&mut follower).expect("second batch");
    // Batch 3: carol an hour earlier (older than the windows kept: they are made again around
    // her), then alice logs on: a brute force followed by a success.
    append(
        &auth,
        &(failed("carol", "10.0.0.3", "09:00", 11)
            + "Dec  2 10:05:00 web sshd[900]: Accepted password for alice from 10.0.0.1 port 22 ssh2\n"),
    );
    step(&mut follower).expect("third batch");
    // Batch 4: bob again, after the windows were made again.
    append(&auth, &failed("bob", "10.0.0.2", "10:03", 2));
    step(&mut follower).expect("fourth batch");
    drop(follower);
    let live = correlations(&case);
    let titles: Vec<&str> = live.iter().map(|c| c.0.as_str()).collect();
    assert!(
        titles.contains(&"Brute force followed by a successful logon"),
        "brute force then success expected among {titles:?}"
    );
    let brute = live
        .iter()
        .find(|c| c.0 == "Brute force against one account")
        .expect("a brute force");
    // alice 12, bob 17, carol 11: every failure of each account's burst is named.
    assert_eq!(brute.1, 12 + 17 + 11, "{brute:?}");
    case.detect(
        &sightline::api::RuleSources::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(live, correlations(&case));
}

#[test]
fn the_follow_loop_wakes_on_notifications_and_stops_when_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let auth = logs.join("auth.log");
    lines(&auth, 0..2);
    let case = new_case(dir.path());
    let cancel = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let follower = scope.spawn(|| {
            let mut on_batch = |b: &FollowBatch| {
                let _ = tx.send(b.events);
            };
            case.follow(
                std::slice::from_ref(&logs),
                options(),
                &mut on_batch,
                &cancel,
            )
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(2));
        lines(&auth, 2..5);
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)), Ok(3));
        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        follower.join().unwrap().expect("follow ends cleanly");
    });
    assert_each_once(&case, 5);
}

/// Kills `sightline watch` with SIGKILL at random moments while a writer appends and rotates;
/// after a last `--once`, every record is in the case exactly once and verify finds nothing.
#[test]
#[cfg(unix)]
fn a_watcher_killed_at_any_moment_resumes_with_every_record_once() {
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let auth = logs.join("auth.log");
    let case_dir = dir.path().join("case");
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let watch = |once: bool| -> std::process::Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sightline"));
        cmd.args(["watch", "--settle", "0", "--case"])
            .arg(&case_dir);
        if once {
            cmd.arg("--once");
        }
        cmd.arg(&logs)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start sightline watch")
    };
    let mut n = 0u64;
    for round in 0..12 {
        let mut child = watch(false);
        for _ in 0..rng.gen_range(1..6) {
            lines(&auth, n..n + 50);
            n += 50;
            std::thread::sleep(Duration::from_millis(rng.gen_range(0..120)));
        }
        if round % 4 == 3 {
            std::fs::rename(&auth, logs.join(format!("auth.log.{round}"))).unwrap();
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..400)));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
    }
    // And at each durable step of a batch (the crash points of an import).
    for point in sightline::api::FAULT_POINTS {
        lines(&auth, n..n + 10);
        n += 10;
        let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
            .args([
                "watch",
                "--once",
                "--settle",
                "0",
                "--checkpoint",
                "0",
                "--case",
            ])
            .arg(&case_dir)
            .arg(&logs)
            .env("SIGHTLINE_FAULT", point)
            .output()
            .expect("run sightline watch");
        assert!(!out.status.success(), "the batch did not stop at {point}");
    }
    let status = watch(true).wait().unwrap();
    assert!(status.success());
    let case = Case::open(&case_dir, crate::support::clock()).unwrap();
    assert_each_once(&case, n);
    // auth.log's own lines skip the minutes its rotated copies hold: silences, not damage.
    let damage: Vec<_> = serious(&case)
        .into_iter()
        .filter(|f| f.kind != FindingKind::TimeGap)
        .collect();
    assert_eq!(damage, Vec::new());
}

#[test]
fn a_followed_folder_that_holds_the_case_never_reads_the_case_itself() {
    let dir = tempfile::tempdir().unwrap();
    lines(&dir.path().join("auth.log"), 0..3);
    let case = new_case(dir.path());
    // The case folder named relatively, as a user types it.
    let here = std::env::current_dir().unwrap();
    let relative = pathdiff(dir.path(), &here);
    let mut follower = case
        .follower(std::slice::from_ref(&relative), options())
        .unwrap();
    assert_eq!(step(&mut follower).expect("batch").events, 3);
    assert!(
        step(&mut follower).is_none(),
        "the case's own files are not evidence"
    );
    assert_each_once(&case, 3);
    let followed = case.followed_paths().unwrap();
    assert_eq!(
        followed,
        vec![std::fs::canonicalize(&relative)
            .unwrap()
            .display()
            .to_string()]
    );
}

/// `to` as a path relative to `from` (through `..`), so that the test names a folder relatively.
fn pathdiff(to: &Path, from: &Path) -> std::path::PathBuf {
    let ups = from.components().count() - 1;
    let mut out = std::path::PathBuf::new();
    for _ in 0..ups {
        out.push("..");
    }
    out.join(to.strip_prefix("/").unwrap())
}

//! CloudTrail digests, offline: a bundle laid out as CloudTrail delivers it to S3 (hourly digests
//! chained to each other, signed with a test RSA key following AWS's documented algorithm), then
//! altered the ways an attacker or an accident would.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use flate2::write::GzEncoder;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::{Digest as _, Sha256};
use sightline::api::{IntegrityReport, VerifyOptions};

use crate::support::{import, new_case};

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "evidence-bucket";
const HOURS: usize = 6;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip")
}

fn log_name(hour: usize, part: usize) -> String {
    format!(
        "{ACCOUNT}_CloudTrail_us-east-1_20251021T{hour:02}{:02}Z_part{part}.json.gz",
        part * 20 + 5
    )
}

fn log_json(hour: usize, part: usize) -> String {
    let records: Vec<String> = (0..3)
        .map(|i| {
            format!(
                r#"{{"eventVersion":"1.08","eventTime":"2025-10-21T{hour:02}:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.{i}","userIdentity":{{"type":"IAMUser","userName":"alice"}},"eventID":"{hour}-{part}-{i}"}}"#,
                part * 20 + i,
                i * 7
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

struct Bundle {
    root: PathBuf,
    logs: PathBuf,
    digests: PathBuf,
    keys: PathBuf,
}

/// Six hours of logs (two files an hour) and their six signed, chained digests.
fn bundle(dir: &Path) -> Bundle {
    let root = dir.join("bundle");
    let logs = root.join(format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/10/21"));
    let digests = root.join(format!(
        "AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2025/10/21"
    ));
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::create_dir_all(&digests).expect("mkdir");
    let mut rng = rand::thread_rng();
    let private = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("test key");
    let signer = SigningKey::<Sha256>::new(private.clone());
    let der = private.to_public_key().to_pkcs1_der().expect("der");
    let keys = dir.join("public-keys.json");
    std::fs::write(
        &keys,
        format!(
            r#"{{"PublicKeyList":[{{"Value":"{}","ValidityStartTime":"2025-01-01T00:00:00Z","ValidityEndTime":"2026-01-01T00:00:00Z","Fingerprint":"0123abcd"}}]}}"#,
            base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
        ),
    )
    .expect("keys");
    let mut previous: Option<(String, String, String)> = None; // key, sha256, signature
    for hour in 0..HOURS {
        let mut listed = Vec::new();
        for part in 0..2 {
            let json = log_json(hour, part);
            std::fs::write(logs.join(log_name(hour, part)), gzip(json.as_bytes())).expect("log");
            listed.push(format!(
                r#"{{"s3Bucket":"{BUCKET}","s3Object":"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/10/21/{}","hashValue":"{}","hashAlgorithm":"SHA-256"}}"#,
                log_name(hour, part),
                hex(&Sha256::digest(json.as_bytes()))
            ));
        }
        let name = format!(
            "{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20251021T{:02}0000Z.json.gz",
            hour + 1
        );
        let key = format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2025/10/21/{name}");
        let end = format!("2025-10-21T{:02}:00:00Z", hour + 1);
        let bucket = BUCKET.to_string();
        let quoted = |v: Option<&String>| v.map_or("null".to_string(), |s| format!("\"{s}\""));
        let json = format!(
            r#"{{"awsAccountId":"{ACCOUNT}","digestStartTime":"2025-10-21T{hour:02}:00:00Z","digestEndTime":"{end}","digestS3Bucket":"{BUCKET}","digestS3Object":"{key}","digestPublicKeyFingerprint":"0123abcd","digestSignatureAlgorithm":"SHA256withRSA","previousDigestS3Bucket":{},"previousDigestS3Object":{},"previousDigestHashValue":{},"previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":{},"logFiles":[{}]}}"#,
            quoted(previous.as_ref().map(|_| &bucket)),
            quoted(previous.as_ref().map(|p| &p.0)),
            quoted(previous.as_ref().map(|p| &p.1)),
            quoted(previous.as_ref().map(|p| &p.2)),
            listed.join(",")
        );
        let sha = hex(&Sha256::digest(json.as_bytes()));
        // AWS: end time, "bucket/key", hex SHA-256 of the uncompressed digest, previous
        // signature ("null" for the first), joined by newlines, signed SHA256withRSA.
        let signed = format!(
            "{end}\n{BUCKET}/{key}\n{sha}\n{}",
            previous.as_ref().map_or("null", |p| p.2.as_str())
        );
        let signature = hex(&signer.sign(signed.as_bytes()).to_bytes());
        std::fs::write(digests.join(&name), gzip(json.as_bytes())).expect("digest");
        std::fs::write(digests.join(format!("{name}.sig")), &signature).expect("sig");
        previous = Some((key, sha, signature));
    }
    Bundle {
        root,
        logs,
        digests,
        keys,
    }
}

fn digest_file(b: &Bundle, hour: usize) -> PathBuf {
    b.digests.join(format!(
        "{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20251021T{:02}0000Z.json.gz",
        hour + 1
    ))
}

fn verify(dir: &Path, b: &Bundle) -> IntegrityReport {
    let case = new_case(dir);
    import(&case, std::slice::from_ref(&b.root));
    case.verify_with(&VerifyOptions {
        public_keys: Some(b.keys.clone()),
        ..VerifyOptions::default()
    })
    .expect("verify")
}

fn kinds(r: &IntegrityReport) -> Vec<&str> {
    let mut k: Vec<&str> = r.findings.iter().map(|f| f.kind.as_str()).collect();
    k.sort_unstable();
    k
}

#[test]
fn a_complete_signed_bundle_is_proven_and_each_alteration_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bundle(dir.path());
    let clean = verify(&dir.path().join("clean"), &b);
    assert_eq!(
        clean.findings,
        vec![],
        "no false alarm on a complete bundle"
    );
    assert_eq!(clean.notes, Vec::<String>::new());
    assert_eq!(clean.digest_covered.len(), HOURS * 2);
    assert!(clean.digest_covered.iter().all(|c| c.signature_verified));

    // Without keys the chain and hashes still prove the files; the report says what was not done.
    let case = new_case(&dir.path().join("clean"));
    let unsigned = case.verify().expect("verify");
    assert_eq!(unsigned.findings, vec![]);
    assert_eq!(unsigned.notes.len(), 1, "{:?}", unsigned.notes);
    assert!(unsigned
        .digest_covered
        .iter()
        .all(|c| !c.signature_verified));
    drop(case);

    // A log file rewritten after the digest was made.
    let victim = b.logs.join(log_name(2, 1));
    let original = std::fs::read(&victim).expect("read");
    std::fs::write(
        &victim,
        gzip(log_json(2, 1).replace("alice", "mallory").as_bytes()),
    )
    .expect("write");
    let changed = verify(&dir.path().join("changed"), &b);
    assert_eq!(kinds(&changed), vec!["digest_mismatch"]);
    assert!(changed.findings[0]
        .file
        .as_deref()
        .is_some_and(|f| f.ends_with(&log_name(2, 1))));
    std::fs::write(&victim, original).expect("restore");

    // A log file deleted before collection.
    let removed = b.logs.join(log_name(4, 0));
    let kept = std::fs::read(&removed).expect("read");
    std::fs::remove_file(&removed).expect("remove");
    let missing = verify(&dir.path().join("missing"), &b);
    assert_eq!(kinds(&missing), vec!["digest_log_missing"]);
    assert!(missing.findings[0].detail.contains(&log_name(4, 0)));
    std::fs::write(&removed, kept).expect("restore");
}

#[test]
fn removed_digests_are_counted_and_an_edited_digest_breaks_its_signature_and_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bundle(dir.path());

    // One digest deleted from S3, then two in a row.
    let third = digest_file(&b, 2);
    let third_bytes = std::fs::read(&third).expect("read");
    std::fs::remove_file(&third).expect("remove");
    let one = verify(&dir.path().join("one"), &b);
    let gaps: Vec<_> = one
        .findings
        .iter()
        .filter(|f| f.kind.as_str() == "digest_missing")
        .collect();
    assert_eq!(gaps.len(), 1, "{:#?}", one.findings);
    assert!(
        gaps[0].detail.contains("1 hourly digest is missing"),
        "{}",
        gaps[0].detail
    );
    let second = digest_file(&b, 1);
    let second_bytes = std::fs::read(&second).expect("read");
    std::fs::remove_file(&second).expect("remove");
    let two = verify(&dir.path().join("two"), &b);
    let gaps: Vec<_> = two
        .findings
        .iter()
        .filter(|f| f.kind.as_str() == "digest_missing")
        .collect();
    assert_eq!(gaps.len(), 1, "{:#?}", two.findings);
    assert!(
        gaps[0].detail.contains("2 hourly digests are missing"),
        "{}",
        gaps[0].detail
    );
    // Their log files are no longer proven, and the report says so.
    assert_eq!(
        two.findings
            .iter()
            .filter(|f| f.kind.as_str() == "digest_uncovered")
            .count(),
        4,
        "{:#?}",
        two.findings
    );
    std::fs::write(&third, third_bytes).expect("restore");
    std::fs::write(&second, second_bytes).expect("restore");

    // A digest edited to hide a log file: its signature fails and the next digest's record of
    // its hash no longer matches.
    let fourth = digest_file(&b, 3);
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&fourth).expect("open"))
            .read_to_string(&mut s)
            .expect("gunzip");
        s
    };
    let start = text.find(r#"{"s3Bucket""#).expect("first log entry");
    let end = text[start..].find("},").expect("entry end") + start + 2;
    let edited = format!("{}{}", &text[..start], &text[end..]);
    std::fs::write(&fourth, gzip(edited.as_bytes())).expect("write");
    let report = verify(&dir.path().join("edited"), &b);
    assert_eq!(
        kinds(&report),
        vec![
            "digest_chain_break",
            "digest_signature_invalid",
            "digest_uncovered"
        ],
        "{:#?}",
        report.findings
    );
}

#[test]
fn importing_a_bundle_again_keeps_its_digest_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bundle(dir.path());
    let victim = b.logs.join(log_name(2, 1));
    std::fs::write(
        &victim,
        gzip(log_json(2, 1).replace("alice", "mallory").as_bytes()),
    )
    .expect("write");
    let case = new_case(&dir.path().join("case"));
    import(&case, std::slice::from_ref(&b.root));
    let first = case.verify().expect("verify");
    assert_eq!(kinds(&first), vec!["digest_mismatch"]);
    // Every file is a duplicate the second time; the manifest rows it adds have no format.
    let again = import(&case, std::slice::from_ref(&b.root));
    assert_eq!(again.files_imported, 0);
    let second = case.verify().expect("verify");
    assert_eq!(kinds(&second), vec!["digest_mismatch"], "still checked");
    assert_eq!(second.digest_covered.len(), first.digest_covered.len());
}

#[test]
fn log_files_after_the_newest_remaining_digest_are_uncovered_and_a_cut_log_is_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = bundle(dir.path());
    // The two newest digests deleted: the four log files they listed are no longer proven.
    for hour in [HOURS - 2, HOURS - 1] {
        std::fs::remove_file(digest_file(&b, hour)).expect("remove");
    }
    let report = verify(&dir.path().join("newest"), &b);
    let uncovered: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind.as_str() == "digest_uncovered")
        .collect();
    assert_eq!(uncovered.len(), 4, "{:#?}", report.findings);
    assert!(uncovered
        .iter()
        .all(|f| f.detail.contains("after the newest digest")));

    // A log file already cut when it was imported: damage, not tampering.
    let b = bundle(&dir.path().join("again"));
    let cut = b.logs.join(log_name(1, 0));
    let bytes = std::fs::read(&cut).expect("read");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("cut");
    let report = verify(&dir.path().join("cut"), &b);
    assert_eq!(
        kinds(&report),
        vec!["log_damaged"],
        "{:#?}",
        report.findings
    );
    assert!(report
        .sources
        .iter()
        .all(|s| s.verdict != sightline::api::Verdict::Tampered));
    assert_eq!(
        report.findings[0].severity,
        sightline::api::Severity::Warning
    );
}

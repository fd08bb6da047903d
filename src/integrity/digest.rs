//! CloudTrail digests, checked offline. Each hourly digest lists the SHA-256 of every log file
//! delivered in its hour and names the digest before it (its S3 key, SHA-256 and signature), so
//! the digests in a bundle prove which log files are unaltered, and the chain proves no digest
//! between two present ones was removed. AWS signs each digest (SHA256withRSA); the signature
//! lives in S3 object metadata, so it is checked when the collector saved it beside the digest
//! (`<digest file>.sig` holding the hex, or `<digest file>.metadata.json` as `aws s3api
//! head-object` prints it) and the user supplies the public keys (`aws cloudtrail
//! list-public-keys` output).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::io::Read;

use sha2::{Digest as _, Sha256};

use super::digest_sig::{signature_ok, PublicKey};
use super::{Finding, FindingKind, Severity};
use crate::bundle::{Leaf, Limits};
use crate::formats::value::text;

const HOUR: i64 = 3600 * 1_000_000_000;
/// Digests and signature sidecars are a few KiB; anything this large is not one.
const MAX_SMALL: u64 = 64 << 20;
/// Findings of one kind listed one by one; beyond it they are counted.
const MAX_LISTED: usize = 50;

/// A log file a digest vouches for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DigestCover {
    /// The log file as imported.
    pub file: String,
    /// The digest that lists it with a matching SHA-256.
    pub digest: String,
    /// Whether that digest's signature was verified with a supplied public key.
    pub signature_verified: bool,
}

pub(super) struct Digest {
    pub(super) path: String,
    pub(super) name: String,
    pub(super) sha256: String,
    pub(super) bucket: String,
    pub(super) key: String,
    pub(super) chain: String,
    pub(super) account: String,
    pub(super) region: String,
    pub(super) start: Option<i64>,
    pub(super) end: Option<i64>,
    pub(super) end_text: String,
    pub(super) previous_key: Option<String>,
    pub(super) previous_hash: Option<String>,
    pub(super) previous_signature: Option<String>,
    pub(super) fingerprint: Option<String>,
    pub(super) logs: Vec<(String, String)>,
}

pub(super) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The signature hex a sidecar holds, and the digest file name it belongs to.
fn sidecar(path: &str, bytes: &[u8]) -> Option<(String, String)> {
    let name = file_name(path);
    let (digest, json) = if let Some(d) = name.strip_suffix(".metadata.json") {
        (d, true)
    } else {
        (
            name.strip_suffix(".sig")
                .or(name.strip_suffix(".signature"))?,
            false,
        )
    };
    let body = std::str::from_utf8(bytes).ok()?.trim();
    let hex = if json {
        let v: Value = serde_json::from_str(body).ok()?;
        text(&v, "Metadata.signature").or_else(|| text(&v, "signature"))?
    } else {
        body.to_string()
    };
    Some((digest.to_string(), hex.to_ascii_lowercase()))
}

/// Everything about CloudTrail digests gathered while the bundle is re-read.
#[derive(Default)]
pub(crate) struct DigestEvidence {
    digests: Vec<Digest>,
    /// CloudTrail log files by file name: (path as imported, SHA-256 of the uncompressed bytes).
    logs: BTreeMap<String, Vec<(String, String)>>,
    signatures: BTreeMap<String, String>,
    unreadable: Vec<Finding>,
    /// Names of log files whose compressed stream is damaged: no digest can be compared.
    damaged: std::collections::BTreeSet<String>,
}

/// Whether a file is a CloudTrail log: imported as one, or named as CloudTrail delivers logs
/// (a delivery cut short may have given the import no record to read it by).
fn is_log(path: &str, format: Option<&str>) -> bool {
    format == Some("cloudtrail")
        || (format.is_none_or(|f| f != "cloudtrail_digest")
            && !file_name(path).contains("CloudTrail-Digest")
            && delivery_name(file_name(path)).is_some())
}

impl DigestEvidence {
    /// Whether the re-read should hand this file's (decompressed) bytes to [`Self::offer`].
    pub(crate) fn wants(path: &str, format: Option<&str>) -> bool {
        let name = file_name(path);
        matches!(format, Some("cloudtrail" | "cloudtrail_digest"))
            || is_log(path, format)
            || name.ends_with(".sig")
            || name.ends_with(".signature")
            || name.ends_with(".metadata.json")
    }

    /// Reads what the checks need from a file of the bundle: a log file's SHA-256 (streamed, as
    /// log files can be large), a digest's or a signature sidecar's bytes (small, and capped).
    pub(crate) fn read(&mut self, leaf: &Leaf, format: Option<&str>, limits: &Limits) {
        let path = leaf.path.as_str();
        let unreadable = |detail: String| Finding {
            kind: FindingKind::DigestUnreadable,
            severity: Severity::Critical,
            file: Some(path.to_string()),
            detail,
            ..Finding::default()
        };
        let mut input = match leaf.open(limits) {
            Ok(r) => r,
            Err(e) => {
                return self
                    .unreadable
                    .push(unreadable(format!("cannot be read again: {e}")))
            }
        };
        if is_log(path, format) {
            let mut hash = Sha256::new();
            if let Err(e) = std::io::copy(&mut input, &mut hash) {
                // The file's own SHA-256 is checked beside this: a file that still matches was
                // already cut when it was imported. Damage, not tampering.
                self.damaged.insert(file_name(path).to_string());
                return self.unreadable.push(Finding {
                    kind: FindingKind::LogDamaged,
                    severity: Severity::Warning,
                    file: Some(path.to_string()),
                    detail: format!(
                        "the log file cannot be read to its end ({e}); no digest can vouch for it"
                    ),
                    ..Finding::default()
                });
            }
            let sha = crate::bundle::hex(&hash.finalize());
            self.logs
                .entry(file_name(path).to_string())
                .or_default()
                .push((path.to_string(), sha));
            return;
        }
        let mut bytes = Vec::new();
        if let Err(e) = input.take(MAX_SMALL + 1).read_to_end(&mut bytes) {
            return self
                .unreadable
                .push(unreadable(format!("cannot be read again: {e}")));
        }
        if bytes.len() as u64 > MAX_SMALL {
            let detail = format!(
                "larger than {} MiB: not a digest or signature",
                MAX_SMALL >> 20
            );
            return self.unreadable.push(unreadable(detail));
        }
        self.offer(path, format, &bytes);
    }

    fn offer(&mut self, path: &str, format: Option<&str>, bytes: &[u8]) {
        if let Some((digest, hex)) = sidecar(path, bytes) {
            self.signatures.insert(digest, hex);
            return;
        }
        let sha = crate::bundle::sha256_hex(bytes);
        if format != Some("cloudtrail_digest") {
            return;
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => self.digests.push(digest_of(path, sha, &v)),
            Err(e) => self.unreadable.push(Finding {
                kind: FindingKind::DigestUnreadable,
                severity: Severity::Critical,
                file: Some(path.to_string()),
                detail: format!("the digest is no longer valid JSON: {e}"),
                ..Finding::default()
            }),
        }
    }
}

fn digest_of(path: &str, sha256: String, v: &Value) -> Digest {
    let key = text(v, "digestS3Object").unwrap_or_default();
    let parts: Vec<&str> = key.split('/').collect();
    // AWSLogs/<account>/CloudTrail-Digest/<region>/<yyyy>/<mm>/<dd>/<file>: one chain per
    // trail location and region; the date folders change hourly.
    let chain = parts[..parts.len().saturating_sub(4)].join("/");
    let time = |k: &str| {
        text(v, k)
            .as_deref()
            .and_then(crate::time::parse_text)
            .map(|t| t.utc_nanos)
    };
    Digest {
        path: path.to_string(),
        name: file_name(path).to_string(),
        sha256,
        bucket: text(v, "digestS3Bucket").unwrap_or_default(),
        chain: format!("{}/{chain}", text(v, "digestS3Bucket").unwrap_or_default()),
        account: text(v, "awsAccountId").unwrap_or_default(),
        region: key
            .split("/CloudTrail-Digest/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or_default()
            .to_string(),
        key,
        start: time("digestStartTime"),
        end: time("digestEndTime"),
        end_text: text(v, "digestEndTime").unwrap_or_default(),
        previous_key: text(v, "previousDigestS3Object"),
        previous_hash: text(v, "previousDigestHashValue").map(|h| h.to_ascii_lowercase()),
        previous_signature: text(v, "previousDigestSignature").map(|h| h.to_ascii_lowercase()),
        fingerprint: text(v, "digestPublicKeyFingerprint").map(|f| f.to_ascii_lowercase()),
        logs: v
            .get("logFiles")
            .and_then(Value::as_array)
            .map(|files| {
                files
                    .iter()
                    .filter_map(|f| {
                        Some((
                            text(f, "s3Object")?,
                            text(f, "hashValue")?.to_ascii_lowercase(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Account, region and delivery time from a CloudTrail log file name:
/// `<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<unique>.json.gz`.
pub(super) fn delivery_name(name: &str) -> Option<(String, String, i64)> {
    let mut parts = name.split('_');
    let account = parts.next()?;
    if parts.next()? != "CloudTrail" {
        return None;
    }
    let region = parts.next()?;
    let stamp = parts.next()?;
    let at = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%MZ").ok()?;
    let nanos = at.and_utc().timestamp_nanos_opt()?;
    Some((account.to_string(), region.to_string(), nanos))
}

fn finding(kind: FindingKind, severity: Severity, file: &str, detail: String) -> Finding {
    Finding {
        kind,
        severity,
        file: Some(file.to_string()),
        detail,
        ..Finding::default()
    }
}

/// Caps a list of findings of one kind, counting the rest in one more.
fn capped(mut list: Vec<Finding>, what: &str) -> Vec<Finding> {
    if list.len() > MAX_LISTED {
        let rest = list.split_off(MAX_LISTED);
        let mut summary = rest[0].clone();
        summary.file = None;
        summary.detail = format!("and {} more {what}", rest.len());
        list.push(summary);
    }
    list
}

impl DigestEvidence {
    /// Checks files against digests, digests against each other and, with keys, signatures.
    /// Returns the findings, notes on what could not be checked, and the files digests cover.
    pub(crate) fn check(
        mut self,
        keys: Option<&[PublicKey]>,
    ) -> (Vec<Finding>, Vec<String>, Vec<DigestCover>) {
        let mut out = std::mem::take(&mut self.unreadable);
        let mut notes = Vec::new();
        let log_count: usize = self.logs.values().map(Vec::len).sum();
        if self.digests.is_empty() {
            if log_count > 0 {
                notes.push(format!(
                    "{log_count} CloudTrail log files and no digest files in the bundle: their \
                     completeness cannot be proven (collect CloudTrail-Digest/ too)"
                ));
            }
            return (out, notes, Vec::new());
        }
        self.digests
            .sort_by(|a, b| (&a.chain, a.start, &a.key).cmp(&(&b.chain, b.start, &b.key)));
        // Signatures first: a digest that fails its own signature vouches for nothing.
        let mut signed = vec![false; self.digests.len()];
        let mut unsigned = 0;
        for (i, d) in self.digests.iter().enumerate() {
            match (keys, self.signatures.get(&d.name)) {
                (Some(keys), Some(hex)) if signature_ok(d, hex, keys) => signed[i] = true,
                (Some(_), Some(_)) => out.push(finding(
                    FindingKind::DigestSignatureInvalid,
                    Severity::Critical,
                    &d.path,
                    format!(
                        "the signature does not verify with the supplied public keys \
                         (fingerprint {}): the digest or its signature was altered",
                        d.fingerprint.as_deref().unwrap_or("?")
                    ),
                )),
                _ => unsigned += 1,
            }
        }
        if unsigned > 0 {
            let why = if keys.is_none() {
                "no public keys were supplied (verify --public-keys FILE)"
            } else {
                "no signature was saved beside them (<digest>.sig)"
            };
            notes.push(format!(
                "{unsigned} of {} digests were not signature-checked: {why}; their hashes and \
                 chain were still checked",
                self.digests.len()
            ));
        }
        let (mut mismatched, mut absent, mut covers) = (Vec::new(), Vec::new(), Vec::new());
        let mut listed: BTreeMap<&str, ()> = BTreeMap::new();
        for (i, d) in self.digests.iter().enumerate() {
            for (object, hash) in &d.logs {
                let name = file_name(object);
                listed.insert(name, ());
                let Some(copies) = self.logs.get(name) else {
                    if self.damaged.contains(name) {
                        continue;
                    }
                    absent.push(finding(
                        FindingKind::DigestLogMissing,
                        Severity::Warning,
                        &d.path,
                        format!("the digest lists {object}, which is not in the bundle"),
                    ));
                    continue;
                };
                for (path, sha) in copies {
                    if sha == hash {
                        covers.push(DigestCover {
                            file: path.clone(),
                            digest: d.path.clone(),
                            signature_verified: signed[i],
                        });
                    } else {
                        mismatched.push(finding(
                            FindingKind::DigestMismatch,
                            Severity::Critical,
                            path,
                            format!(
                                "SHA-256 of the uncompressed file is {sha}; digest {} lists {hash}",
                                d.path
                            ),
                        ));
                    }
                }
            }
        }
        out.extend(capped(mismatched, "files that do not match their digest"));
        out.extend(capped(absent, "listed log files not in the bundle"));
        out.extend(self.chain_findings());
        // A digest can only list files CloudTrail delivered under their own names; a file is
        // expected in the bundle's digests when its account and region have a chain whose hours
        // span the file's delivery time.
        let mut uncovered = Vec::new();
        let (mut foreign, mut outside) = (0, 0);
        for (name, copies) in &self.logs {
            if listed.contains_key(name.as_str()) {
                continue;
            }
            let Some((account, region, at)) = delivery_name(name) else {
                foreign += copies.len();
                continue;
            };
            let spans = self
                .digests
                .iter()
                .filter(|d| d.account == account && d.region == region)
                .filter_map(|d| Some((d.start?, d.end?)));
            let (lo, hi) = spans.fold((i64::MAX, i64::MIN), |(lo, hi), (s, e)| {
                (lo.min(s), hi.max(e))
            });
            // Before the first digest: digests may have been turned on later. After the newest
            // one: the digests that would list it are gone (deleted, which would let the file
            // be altered unseen) or not delivered yet, as AWS's own validator reports them.
            let detail = if lo == i64::MAX || at < lo {
                outside += copies.len();
                continue;
            } else if at >= hi {
                format!(
                    "delivered at {} for {account} in {region}, after the newest digest of that trail ends ({}): the digests that would list it are missing (deleted, or not delivered yet if the bundle was collected within the hour)",
                    crate::time::format_rfc3339(at),
                    crate::time::format_rfc3339(hi)
                )
            } else {
                format!(
                    "delivered at {} for {account} in {region}, inside the hours the bundle's digests cover, yet no digest lists it",
                    crate::time::format_rfc3339(at)
                )
            };
            for (path, _) in copies {
                uncovered.push(finding(
                    FindingKind::DigestUncovered,
                    Severity::Warning,
                    path,
                    detail.clone(),
                ));
            }
        }
        if foreign + outside > 0 {
            notes.push(format!(
                "{} CloudTrail files cannot be proven by the bundle's digests: {foreign} are not \
                 named as CloudTrail delivers them (exports or copies), {outside} were delivered \
                 before the first digest of their account and region",
                foreign + outside
            ));
        }
        out.extend(capped(uncovered, "log files no digest lists"));
        covers.sort_by(|a, b| a.file.cmp(&b.file));
        (out, notes, covers)
    }

    /// Each digest must name the one before it in its chain, with that digest's hash, and the
    /// hours must join up; a missing link names how many hourly digests are gone.
    fn chain_findings(&self) -> Vec<Finding> {
        let by_key: BTreeMap<&str, &Digest> =
            self.digests.iter().map(|d| (d.key.as_str(), d)).collect();
        let mut out = Vec::new();
        for pair in self.digests.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.chain != b.chain {
                continue;
            }
            let hours = match (a.end, b.start) {
                (Some(end), Some(start)) => (start - end) / HOUR,
                _ => 0,
            };
            let window = format!(
                "between {} and {}",
                a.end.map(crate::time::format_rfc3339).unwrap_or_default(),
                b.start.map(crate::time::format_rfc3339).unwrap_or_default()
            );
            match b.previous_key.as_deref() {
                Some(p) if p == a.key => {
                    if b.previous_hash.as_deref().is_some_and(|h| h != a.sha256) {
                        out.push(finding(
                            FindingKind::DigestChainBreak,
                            Severity::Critical,
                            &b.path,
                            format!(
                                "it records the previous digest's SHA-256 as {}, but {} has {}",
                                b.previous_hash.as_deref().unwrap_or("?"),
                                a.path,
                                a.sha256
                            ),
                        ));
                    }
                    if let (Some(saved), Some(named)) =
                        (self.signatures.get(&a.name), b.previous_signature.as_deref())
                    {
                        if saved != named {
                            out.push(finding(
                                FindingKind::DigestChainBreak,
                                Severity::Critical,
                                &b.path,
                                format!("it names a previous signature other than the one saved for {}", a.path),
                            ));
                        }
                    }
                    if hours != 0 {
                        out.push(finding(
                            FindingKind::DigestChainBreak,
                            Severity::Warning,
                            &b.path,
                            format!("it follows {} but the hours do not join ({window})", a.path),
                        ));
                    }
                }
                Some(p) if !by_key.contains_key(p) => out.push(finding(
                    FindingKind::DigestMissing,
                    Severity::Critical,
                    &b.path,
                    format!(
                        "its previous digest {p} is not in the bundle; {} hourly digest{} missing {window}",
                        hours.max(1),
                        if hours > 1 { "s are" } else { " is" }
                    ),
                )),
                Some(p) => out.push(finding(
                    FindingKind::DigestChainBreak,
                    Severity::Critical,
                    &b.path,
                    format!("it names {p} as previous, which does not precede it ({window})"),
                )),
                None => out.push(finding(
                    FindingKind::DigestChainBreak,
                    Severity::Warning,
                    &b.path,
                    format!(
                        "it starts a new chain (no previous digest): logging was stopped and \
                         started again {window}"
                    ),
                )),
            }
        }
        out
    }
}

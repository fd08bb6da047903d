//! Redaction for sharing: user names, emails and IP addresses become keyed pseudonyms
//! (HMAC-SHA256), so one value maps to one pseudonym across the export and a reader can still
//! follow an actor; secrets (access keys, tokens, passwords in request parameters) are masked.
//! The key never leaves the process: the manifest names the profile, not the key.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use hmac::{Hmac, Mac};
use regex::Regex;
use serde_json::Value;
use sha2::Sha256;

use crate::formats::value::for_each_leaf;
use crate::model::event::AuditEvent;

pub const PROFILE: &str = "pseudonymize-identities-mask-secrets-v1";
const MASK: &str = "[masked]";
/// Values shorter than this are not replaced inside other text ("a" would garble every cell);
/// a whole cell equal to one is still pseudonymized.
const MIN_INSIDE: usize = 3;

/// Original field names (last key-path segment, lowercase) whose values are secrets.
const SECRET_KEYS: [&str; 12] = [
    "password",
    "passwd",
    "secret",
    "token",
    "accesskeyid",
    "access_key",
    "secretaccesskey",
    "sessiontoken",
    "authorization",
    "apikey",
    "api_key",
    "privatekey",
];
/// Original field names whose values name a person or account.
const USER_KEYS: [&str; 9] = [
    "username",
    "user",
    "useridentity.arn",
    "principalid",
    "upn",
    "userprincipalname",
    "accountname",
    "targetusername",
    "subjectusername",
];

/// Values found by their shape wherever they appear: emails, AWS access key ids, IPv4 addresses.
const PATTERNS: [(&str, &str); 3] = [
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "email"),
    (r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b", "secret"),
    (
        r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b",
        "ip",
    ),
];

type Patterns = Vec<(Regex, &'static str)>;

/// The compiled [`PATTERNS`], once per process. A pattern that does not compile is an error of
/// this build, reported as such: redaction never runs with a pattern silently missing.
fn patterns() -> Result<&'static Patterns, String> {
    static P: OnceLock<Result<Patterns, String>> = OnceLock::new();
    P.get_or_init(|| {
        PATTERNS
            .iter()
            .map(|(p, kind)| {
                Regex::new(p)
                    .map(|re| (re, *kind))
                    .map_err(|e| format!("redaction pattern for {kind} does not compile: {e}"))
            })
            .collect()
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// What one export's redaction did, for the manifest.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RedactionSummary {
    pub profile: &'static str,
    /// Names the key without revealing it: two exports with the same key id share pseudonyms.
    pub key_id: String,
    pub pseudonyms: u64,
    pub masked: u64,
}

/// Redaction works in two passes over the selection: [`Redactor::collect`] learns every
/// sensitive value of every row, then [`Redactor::text`] replaces all of them in every cell, so a
/// name learned from one event is hidden where another event mentions it too.
pub struct Redactor {
    key: Vec<u8>,
    /// Original value → its replacement, kept so one value always maps to one pseudonym.
    seen: BTreeMap<String, String>,
    masked: u64,
    /// Finds every learned value inside text, longest first; built by [`Redactor::freeze`].
    finder: Option<(AhoCorasick, Vec<String>)>,
    patterns: &'static Patterns,
}

impl Redactor {
    /// A redactor with `key`; fails only if this build's patterns do not compile.
    pub fn new(key: Vec<u8>) -> Result<Redactor, String> {
        Ok(Redactor {
            key,
            seen: BTreeMap::new(),
            masked: 0,
            finder: None,
            patterns: patterns()?,
        })
    }

    pub fn summary(&self) -> RedactionSummary {
        RedactionSummary {
            profile: PROFILE,
            key_id: key_id(&self.key),
            pseudonyms: self.seen.values().filter(|v| v.as_str() != MASK).count() as u64,
            masked: self.masked,
        }
    }

    fn pseudonym(&mut self, kind: &str, value: &str) -> String {
        if let Some(p) = self.seen.get(value) {
            return p.clone();
        }
        let replacement = if kind == "secret" {
            self.masked += 1;
            MASK.to_string()
        } else {
            let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
                Ok(m) => m,
                Err(_) => return MASK.to_string(),
            };
            mac.update(kind.as_bytes());
            mac.update(b":");
            mac.update(value.as_bytes());
            let tag = crate::bundle::hex(&mac.finalize().into_bytes()[..5]);
            match kind {
                "email" => format!("user-{tag}@redacted.invalid"),
                "ip" => format!("ip-{tag}"),
                _ => format!("user-{tag}"),
            }
        };
        self.seen.insert(value.to_string(), replacement.clone());
        replacement
    }

    /// Learns the sensitive values of one event (first pass).
    pub(crate) fn collect(&mut self, e: &AuditEvent, record: &Value) {
        self.row_values(e, record);
    }

    /// Ends the first pass: builds the finder over every value learned.
    pub(crate) fn freeze(&mut self) -> Result<(), String> {
        let values: Vec<String> = self
            .seen
            .keys()
            .filter(|v| v.len() >= MIN_INSIDE)
            .cloned()
            .collect();
        let replacements = values.iter().map(|v| self.seen[v].clone()).collect();
        let finder = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&values)
            .map_err(|e| format!("redaction finder: {e}"))?;
        self.finder = Some((finder, replacements));
        Ok(())
    }

    /// The sensitive values of one event, each with its replacement.
    fn row_values(&mut self, e: &AuditEvent, record: &Value) -> Vec<(String, String)> {
        let mut found: Vec<(String, &str)> = Vec::new();
        let idents = [
            Some(&e.actor.identity),
            e.actor.effective.as_ref(),
            e.target.as_ref(),
        ];
        for i in idents.into_iter().flatten() {
            let person = i
                .kind
                .as_deref()
                .is_none_or(|k| !k.contains("service") && !k.contains("host"));
            for v in [&i.name, &i.id].into_iter().flatten().filter(|_| person) {
                found.push((v.clone(), "user"));
            }
        }
        if let Some(ip) = &e.source_ip {
            found.push((ip.clone(), "ip"));
        }
        for_each_leaf(record, 4096, &mut |path, value| {
            let key = path.rsplit('.').next().unwrap_or(path).to_ascii_lowercase();
            let lower = path.to_ascii_lowercase();
            if value.len() >= 4 && SECRET_KEYS.iter().any(|s| key.contains(s)) {
                found.push((value.to_string(), "secret"));
            } else if !value.is_empty() && USER_KEYS.iter().any(|u| key == *u || lower.ends_with(u))
            {
                found.push((value.to_string(), "user"));
            }
        });
        let mut out: Vec<(String, String)> = found
            .into_iter()
            .filter(|(v, _)| !v.is_empty())
            .map(|(v, kind)| {
                let kind = if kind == "user" && v.contains('@') {
                    "email"
                } else {
                    kind
                };
                let p = self.pseudonym(kind, &v);
                (v, p)
            })
            .collect();
        out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        out.dedup();
        out
    }

    /// Replaces every learned value, then any email, IP or AWS key id left in the text.
    pub(crate) fn text(&mut self, cell: &str) -> String {
        if let Some(p) = self.seen.get(cell) {
            return p.clone();
        }
        let mut out = match &self.finder {
            Some((finder, replacements)) => finder.replace_all(cell, replacements),
            None => cell.to_string(),
        };
        for (re, kind) in self.patterns {
            if !re.is_match(&out) {
                continue;
            }
            let hits: Vec<String> = re.find_iter(&out).map(|m| m.as_str().to_string()).collect();
            for hit in hits {
                if hit.ends_with("@redacted.invalid") {
                    continue;
                }
                let p = self.pseudonym(kind, &hit);
                out = out.replace(&hit, &p);
            }
        }
        out
    }

    /// [`Redactor::text`] on every string inside a JSON value.
    pub(crate) fn json(&mut self, value: &mut Value) {
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.json(v)),
            _ => {}
        }
    }
}

/// A short public name of a key: a keyed hash of a fixed label, so it says nothing of the key or
/// of any value, but two manifests with the same id were pseudonymized alike.
pub fn key_id(key: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(b"sightline redaction key id");
            crate::bundle::hex(&mac.finalize().into_bytes()[..8])
        }
        Err(_) => String::new(),
    }
}

/// A fresh random key, for an export whose pseudonyms need not match any other export's.
pub fn random_key() -> Result<Vec<u8>, String> {
    let mut key = vec![0u8; 32];
    getrandom::getrandom(&mut key)
        .map_err(|e| format!("no randomness for a redaction key: {e}"))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_finds_what_it_is_for() {
        let found = |text: &str| -> Vec<&str> {
            let patterns = patterns().expect("the patterns compile");
            patterns
                .iter()
                .filter(|(re, _)| re.is_match(text))
                .map(|(_, kind)| *kind)
                .collect()
        };
        assert_eq!(patterns().expect("compiles").len(), PATTERNS.len());
        assert_eq!(found("mail alice@example.com now"), vec!["email"]);
        assert_eq!(found("key AKIAIOSFODNN7EXAMPLE used"), vec!["secret"]);
        assert_eq!(found("from 203.0.113.9"), vec!["ip"]);
        assert!(found("nothing to hide, 999.1.1.1").is_empty());
    }
}

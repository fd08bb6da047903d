//! Sigma rules from where the user keeps them: YAML files, folders of them, zip files of them,
//! and the rule pack that ships with Sightline (`rules/` of the repository, compiled in). Every
//! rule keeps the file it came from and its author (the Detection Rule License asks that a match
//! shown to a user names the rule's author). A rule that cannot be read is listed with its
//! reason, never dropped silently; hostile files (huge, deeply nested, `..` in a zip, links)
//! are refused with a reason before the YAML parser sees them.

use std::io::Read;
use std::path::{Path, PathBuf};

use rsigma_parser::SigmaCollection;
use serde::{Deserialize, Serialize};

/// Largest rule file read; SigmaHQ's largest is a few tens of KiB.
const MAX_RULE_BYTES: u64 = 1 << 20;
/// Deepest nesting of parentheses in a line (conditions): rsigma's condition parser recurses.
const MAX_NESTING: usize = 64;
/// Most files read from one folder or zip.
const MAX_FILES: usize = 20_000;

/// A rule file that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RuleFailure {
    pub path: String,
    pub reason: String,
}

/// Every rule read, with where each came from.
#[derive(Default)]
pub struct Loaded {
    pub collection: SigmaCollection,
    /// The file of each rule of `collection.rules`, then of each of `collection.correlations`.
    pub rule_paths: Vec<String>,
    pub correlation_paths: Vec<String>,
    pub failures: Vec<RuleFailure>,
}

/// The rule pack that ships with Sightline, by file name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "builtin/aws_root_account_usage.yml",
        include_str!("../../rules/aws_root_account_usage.yml"),
    ),
    (
        "builtin/aws_admin_policy_attached.yml",
        include_str!("../../rules/aws_admin_policy_attached.yml"),
    ),
    (
        "builtin/aws_access_key_for_other_user.yml",
        include_str!("../../rules/aws_access_key_for_other_user.yml"),
    ),
    (
        "builtin/aws_console_login_without_mfa.yml",
        include_str!("../../rules/aws_console_login_without_mfa.yml"),
    ),
    (
        "builtin/aws_s3_public_exposure.yml",
        include_str!("../../rules/aws_s3_public_exposure.yml"),
    ),
    (
        "builtin/aws_identity_provider_added.yml",
        include_str!("../../rules/aws_identity_provider_added.yml"),
    ),
    (
        "builtin/logging_disabled_or_cleared.yml",
        include_str!("../../rules/logging_disabled_or_cleared.yml"),
    ),
    (
        "builtin/audit_policy_changed.yml",
        include_str!("../../rules/audit_policy_changed.yml"),
    ),
    (
        "builtin/mfa_disabled_or_reset.yml",
        include_str!("../../rules/mfa_disabled_or_reset.yml"),
    ),
    (
        "builtin/admin_role_granted.yml",
        include_str!("../../rules/admin_role_granted.yml"),
    ),
    (
        "builtin/windows_admin_group_member_added.yml",
        include_str!("../../rules/windows_admin_group_member_added.yml"),
    ),
    (
        "builtin/k8s_cluster_admin_binding.yml",
        include_str!("../../rules/k8s_cluster_admin_binding.yml"),
    ),
    (
        "builtin/gcs_public_exposure.yml",
        include_str!("../../rules/gcs_public_exposure.yml"),
    ),
    (
        "builtin/brute_force.yml",
        include_str!("../../rules/brute_force.yml"),
    ),
    (
        "builtin/password_spray.yml",
        include_str!("../../rules/password_spray.yml"),
    ),
    (
        "builtin/brute_force_then_success.yml",
        include_str!("../../rules/brute_force_then_success.yml"),
    ),
    (
        "builtin/mass_deletion.yml",
        include_str!("../../rules/mass_deletion.yml"),
    ),
];

impl Loaded {
    /// Reads the built-in pack (when `builtin`) and every path given.
    pub fn read(paths: &[PathBuf], builtin: bool) -> Loaded {
        let mut loaded = Loaded::default();
        if builtin {
            for (name, text) in BUILTIN {
                loaded.add_text(name, text);
            }
        }
        for path in paths {
            loaded.add_path(path);
        }
        loaded
    }

    fn fail(&mut self, path: &str, reason: impl Into<String>) {
        self.failures.push(RuleFailure {
            path: path.to_string(),
            reason: reason.into(),
        });
    }

    fn add_path(&mut self, path: &Path) {
        let shown = crate::bundle::path_text(path);
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => return self.fail(&shown, format!("cannot read: {e}")),
        };
        if meta.file_type().is_symlink() {
            return self.fail(
                &shown,
                "a link: rule folders are read without following links",
            );
        }
        if meta.is_dir() {
            let mut files = Vec::new();
            collect(path, &mut files, 0);
            if files.len() > MAX_FILES {
                self.fail(
                    &shown,
                    format!("more than {MAX_FILES} rule files; the rest were not read"),
                );
                files.truncate(MAX_FILES);
            }
            for file in files {
                self.add_file(&file);
            }
        } else {
            self.add_file(path);
        }
    }

    fn add_file(&mut self, path: &Path) {
        let shown = crate::bundle::path_text(path);
        let is_zip = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        let bytes = match std::fs::File::open(path) {
            Ok(f) => {
                let limit = if is_zip { 256 << 20 } else { MAX_RULE_BYTES };
                let mut bytes = Vec::new();
                if let Err(e) = f.take(limit + 1).read_to_end(&mut bytes) {
                    return self.fail(&shown, format!("cannot read: {e}"));
                }
                if bytes.len() as u64 > limit {
                    return self.fail(
                        &shown,
                        format!("larger than {} KiB; not a rule file", limit >> 10),
                    );
                }
                bytes
            }
            Err(e) => return self.fail(&shown, format!("cannot read: {e}")),
        };
        if is_zip {
            return self.add_zip(&shown, bytes);
        }
        match String::from_utf8(bytes) {
            Ok(text) => self.add_text(&shown, &text),
            Err(_) => self.fail(&shown, "not UTF-8 text"),
        }
    }

    fn add_zip(&mut self, shown: &str, bytes: Vec<u8>) {
        let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
            Ok(a) => a,
            Err(e) => return self.fail(shown, format!("not a readable zip: {e}")),
        };
        for i in 0..archive.len().min(MAX_FILES) {
            let Ok(mut entry) = archive.by_index(i) else {
                self.fail(shown, format!("member {i} cannot be read"));
                continue;
            };
            let name = entry.name().to_string();
            let member = format!("{shown}!/{name}");
            if entry.is_dir() || !(name.ends_with(".yml") || name.ends_with(".yaml")) {
                continue;
            }
            if crate::bundle::unsafe_member(&name).is_some() {
                self.fail(
                    &member,
                    "unsafe path in the zip (absolute or with ..): not read",
                );
                continue;
            }
            let mut text = String::new();
            match (&mut entry)
                .take(MAX_RULE_BYTES + 1)
                .read_to_string(&mut text)
            {
                Ok(n) if n as u64 > MAX_RULE_BYTES => self.fail(
                    &member,
                    format!("larger than {} KiB; not a rule file", MAX_RULE_BYTES >> 10),
                ),
                Ok(_) => self.add_text(&member, &text),
                Err(e) => self.fail(&member, format!("cannot read: {e}")),
            }
        }
    }

    /// Parses one file's documents (rules, correlations, filters).
    pub fn add_text(&mut self, path: &str, text: &str) {
        if let Some(reason) = hostile(text) {
            return self.fail(path, reason);
        }
        let parsed = match rsigma_parser::parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => return self.fail(path, format!("not a Sigma rule: {e}")),
        };
        for error in &parsed.errors {
            self.fail(path, format!("a document is not a Sigma rule: {error}"));
        }
        for rule in parsed.rules {
            self.collection.rules.push(rule);
            self.rule_paths.push(path.to_string());
        }
        for correlation in parsed.correlations {
            self.collection.correlations.push(correlation);
            self.correlation_paths.push(path.to_string());
        }
        self.collection.filters.extend(parsed.filters);
    }
}

/// Why a rule file is refused before parsing, if it is.
fn hostile(text: &str) -> Option<String> {
    for (n, line) in text.lines().enumerate() {
        let mut depth = 0usize;
        let mut deepest = 0usize;
        for c in line.chars() {
            match c {
                '(' | '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if deepest > MAX_NESTING {
            return Some(format!(
                "line {} nests deeper than {MAX_NESTING} levels; not read",
                n + 1
            ));
        }
    }
    let indent = text
        .lines()
        .map(|l| l.len() - l.trim_start().len())
        .max()
        .unwrap_or(0);
    (indent > 512).then(|| "indented deeper than any rule; not read".to_string())
}

/// Every `.yml`/`.yaml`/`.zip` under `dir`, sorted, without following links.
fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 32 || out.len() > MAX_FILES {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        if kind.is_dir() {
            collect(&path, out, depth + 1);
        } else if kind.is_file()
            && path
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "yml" | "yaml" | "zip"))
        {
            out.push(path);
        }
    }
}

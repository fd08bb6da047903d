//! A compliance framework as data: one YAML file per framework (`frameworks/` holds the built-in
//! ones, reviewed like code), naming for each control the evidence that speaks to it. A user's
//! own file has the same shape and is checked the same way before anything is evaluated.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Built-in frameworks: (file name, text).
const BUILTIN: [(&str, &str); 6] = [
    (
        "pci-dss-4.0.yml",
        include_str!("../../frameworks/pci-dss-4.0.yml"),
    ),
    ("soc2.yml", include_str!("../../frameworks/soc2.yml")),
    ("hipaa.yml", include_str!("../../frameworks/hipaa.yml")),
    (
        "nist-800-53-au.yml",
        include_str!("../../frameworks/nist-800-53-au.yml"),
    ),
    (
        "iso-27001-2022.yml",
        include_str!("../../frameworks/iso-27001-2022.yml"),
    ),
    ("gdpr.yml", include_str!("../../frameworks/gdpr.yml")),
];

/// A framework file bigger than this is refused unread: the largest built-in one is ~10 KB.
const MAX_FILE: u64 = 1 << 20;
const MAX_CONTROLS: usize = 500;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// The name `--framework` takes (`pci-dss-4.0`).
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub version: Option<String>,
    /// What the framework asks of logs, in a sentence or two.
    #[serde(default)]
    pub about: Option<String>,
    /// What logs cannot show about this framework, stated on every report.
    #[serde(default)]
    pub cannot_show: Vec<String>,
    /// History each source must cover, in days.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// The newest part of it that must be at hand (PCI DSS: 3 months).
    #[serde(default)]
    pub immediate_days: Option<u32>,
    /// Share of events that must carry a required field for it to count as recorded.
    #[serde(default = "default_min_share")]
    pub min_share: f64,
    pub controls: Vec<Control>,
    /// Where the text came from: `builtin/NAME.yml` or the user's path.
    #[serde(skip)]
    pub file: String,
}

fn default_min_share() -> f64 {
    0.95
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    /// What the control asks, paraphrased.
    #[serde(default)]
    pub requires: Option<String>,
    /// Event selections (queries or detection rules), each counted.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Record fields every event must carry (`actor`, `action`, `time`, `outcome`, `origin`,
    /// `target`).
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub retention: bool,
    #[serde(default)]
    pub integrity: bool,
    #[serde(default)]
    pub review: bool,
    /// The control is about events this query selects; none in scope: not applicable.
    #[serde(default)]
    pub applies_to: Option<String>,
    /// What these logs cannot show about the control.
    #[serde(default)]
    pub cannot_show: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub name: String,
    /// A query in Sightline's query language.
    #[serde(default)]
    pub query: Option<String>,
    /// A detection rule's id: the events it matched.
    #[serde(default)]
    pub rule: Option<String>,
}

impl Evidence {
    /// The query that selects this evidence's events.
    pub fn query_text(&self) -> String {
        match (&self.query, &self.rule) {
            (Some(q), _) => q.clone(),
            (None, Some(rule)) => format!("rule:\"{rule}\""),
            (None, None) => String::new(),
        }
    }
}

/// A framework as the picker lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FrameworkInfo {
    pub id: String,
    pub title: String,
    pub version: Option<String>,
    pub about: Option<String>,
    pub file: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub controls: u64,
    /// Share of a source's events that must carry a required field.
    pub min_share: f64,
}

impl Framework {
    pub fn info(&self) -> FrameworkInfo {
        FrameworkInfo {
            id: self.id.clone(),
            title: self.title.clone(),
            version: self.version.clone(),
            about: self.about.clone(),
            file: self.file.clone(),
            controls: self.controls.len() as u64,
            min_share: self.min_share,
        }
    }
}

/// Normalized fields a control may require, with the query that selects events carrying each.
pub const FIELDS: [(&str, &str); 6] = [
    ("actor", "actor:*"),
    ("action", "action:*"),
    ("time", "time:*"),
    ("outcome", "(outcome:success OR outcome:failure)"),
    ("origin", "(ip:* OR host:*)"),
    ("target", "target:*"),
];

pub fn field_query(name: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(n, _)| *n == name).map(|(_, q)| *q)
}

/// Every built-in framework.
pub fn builtin() -> Vec<Framework> {
    BUILTIN
        .iter()
        // The built-in files are checked by a test; one that fails to parse is a build defect.
        .filter_map(|(name, text)| parse(text, &format!("builtin/{name}")).ok())
        .collect()
}

/// The framework `name` names: a built-in id, or the path of a framework file.
pub fn find(name: &str) -> Result<Framework> {
    if let Some(f) = builtin()
        .into_iter()
        .find(|f| f.id.eq_ignore_ascii_case(name))
    {
        return Ok(f);
    }
    let path = Path::new(name);
    if !path.is_file() {
        let known: Vec<String> = builtin().into_iter().map(|f| f.id).collect();
        return Err(Error::Invalid(format!(
            "no framework {name:?}: give one of {} or the path of a framework file",
            known.join(", ")
        )));
    }
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if size > MAX_FILE {
        return Err(Error::Invalid(format!(
            "{}: a framework file of {size} bytes is larger than the {MAX_FILE} allowed",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text, &crate::bundle::path_text(path))
}

/// Reads and checks a framework file's text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Framework> {
    let mut f: Framework = yaml_serde::from_str(text)
        .map_err(|e| Error::Invalid(format!("{file}: not a framework file: {e}")))?;
    f.file = file.to_string();
    check(&f).map_err(|why| Error::Invalid(format!("{file}: {why}")))?;
    Ok(f)
}

fn check(f: &Framework) -> std::result::Result<(), String> {
    if f.id.trim().is_empty() || f.title.trim().is_empty() {
        return Err("a framework needs an id and a title".into());
    }
    if f.controls.is_empty() || f.controls.len() > MAX_CONTROLS {
        return Err(format!("a framework holds 1 to {MAX_CONTROLS} controls"));
    }
    if !(0.0..=1.0).contains(&f.min_share) {
        return Err(format!("min_share {} is not between 0 and 1", f.min_share));
    }
    let mut seen = std::collections::HashSet::new();
    for c in &f.controls {
        if !seen.insert(c.id.as_str()) {
            return Err(format!("control {} is listed twice", c.id));
        }
        let empty = c.evidence.is_empty() && c.fields.is_empty();
        if empty && !(c.retention || c.integrity || c.review) {
            return Err(format!("control {} names no evidence", c.id));
        }
        if c.retention && f.retention_days.is_none() {
            return Err(format!(
                "control {} checks retention but the framework sets no retention_days",
                c.id
            ));
        }
        for name in &c.fields {
            if field_query(name).is_none() {
                let known: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "control {}: unknown field {name:?} (known: {})",
                    c.id,
                    known.join(", ")
                ));
            }
        }
        for e in &c.evidence {
            if e.query.is_some() == e.rule.is_some() {
                return Err(format!(
                    "control {}, evidence {:?}: give a query or a rule, one of them",
                    c.id, e.name
                ));
            }
            if e.rule.as_deref().is_some_and(|r| r.contains('"')) {
                return Err(format!("control {}: a rule id holds a quote", c.id));
            }
            syntax(&c.id, &e.query_text())?;
        }
        if let Some(q) = &c.applies_to {
            syntax(&c.id, q)?;
        }
    }
    Ok(())
}

fn syntax(control: &str, query: &str) -> std::result::Result<(), String> {
    crate::search::query::parse(query)
        .map(|_| ())
        .map_err(|e| format!("control {control}: query {query:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_framework_reads_and_checks() {
        for (name, text) in BUILTIN {
            let f = parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!f.controls.is_empty(), "{name}");
        }
        assert_eq!(builtin().len(), BUILTIN.len());
    }

    #[test]
    fn a_hostile_or_mistaken_file_is_refused_with_its_reason() {
        let cases = [
            ("id: x\ntitle: y\ncontrols: []\n", "1 to 500 controls"),
            ("id: x\ntitle: y\ncontrols:\n  - id: a\n    title: b\n", "names no evidence"),
            (
                "id: x\ntitle: y\ncontrols:\n  - id: a\n    title: b\n    fields: [colour]\n",
                "unknown field \"colour\"",
            ),
            (
                "id: x\ntitle: y\ncontrols:\n  - id: a\n    title: b\n    evidence:\n      - name: n\n        query: \"(actor:\"\n",
                "query \"(actor:\"",
            ),
            (
                "id: x\ntitle: y\ncontrols:\n  - id: a\n    title: b\n    retention: true\n",
                "sets no retention_days",
            ),
            ("id: x\ntitle: y\nsurprise: 1\ncontrols: []\n", "unknown field `surprise`"),
            ("[[[[", "not a framework file"),
        ];
        for (text, why) in cases {
            let e = parse(text, "mine.yml").expect_err(text).to_string();
            assert!(
                e.contains(why) && e.starts_with("invalid argument: mine.yml"),
                "{e}"
            );
        }
    }
}

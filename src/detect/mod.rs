//! Detections: Sigma rules (SigmaHQ's, the user's, and Sightline's own pack in `rules/`)
//! evaluated over the case's events, at import and on demand, each hit kept with why it matched.
//!
//! Rules are parsed and evaluated by rsigma (every modifier, conditions, correlations), behind
//! [`Detector`]. Which rules see which event is Sightline's: each format names the Sigma log
//! source of its records and the fields rules use (`formats::sigma`), and every event is also
//! evaluated as its normalized view (`product: sightline`), on which Sightline's own rules work
//! across every source. Single-event rules run in the import's reader threads as events are
//! indexed; correlations (brute force, password spray, mass deletion) run after each import over
//! the whole case (`correlate`). Hits are kept in the case database (`case::detections`).

mod correlate;
mod pass;
mod profile;
mod route;
pub mod rules;
mod run;
mod views;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rsigma_eval::EvaluationResult;
use rsigma_parser::{LogSource, SigmaCollection};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::formats::sigma::{self, SigmaSource};
use crate::model::event::AuditEvent;
pub use correlate::{correlate, Counted, Scope};
pub use pass::Live;
pub use profile::{profile, RuleCost, RuleProfile};
pub use rules::RuleFailure;
pub use run::{
    case_sources, correlate_after_import, correlations_pending, correlations_stale, detections,
    fired, keep_correlations, last_report, list_rules, on_event, rows, run, DetectProgress,
    DetectReport, Detection, DetectionEvent, EventDetection, FiredRule,
};
pub use views::{views, SigmaView};

/// Where rules come from for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RuleSources {
    /// Rule files, folders and zip files.
    pub paths: Vec<String>,
    /// Whether Sightline's own pack is loaded too.
    pub builtin: bool,
}

impl Default for RuleSources {
    fn default() -> Self {
        RuleSources {
            paths: Vec::new(),
            builtin: true,
        }
    }
}

/// A rule as the user sees it: who wrote it, how serious, where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RuleInfo {
    pub id: Option<String>,
    pub title: String,
    /// `informational`, `low`, `medium`, `high`, `critical`.
    pub level: String,
    /// The rule's author, shown wherever a match is (the Detection Rule License asks it).
    pub author: Option<String>,
    pub tags: Vec<String>,
    /// The file it was read from (`builtin/…` for Sightline's pack).
    pub path: String,
    pub description: Option<String>,
    /// Whether it is a correlation (over many events) rather than a rule over one.
    pub correlation: bool,
    /// A rule only correlations count (a single failed logon): kept, not listed.
    pub hidden: bool,
}

impl RuleInfo {
    /// The key a rule is kept under in the case: its id, else its file and title.
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("{}#{}", self.path, self.title),
        }
    }
}

/// Why an event matched: the selection, the field and the value, and how it was compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Matched {
    pub selection: Option<String>,
    /// The field the rule named (`keyword` for a keyword match).
    pub field: String,
    /// The event's value that matched.
    pub value: String,
    /// How it was compared (`contains`, `endswith`, `re`, `cidr`, …).
    pub modifier: Option<String>,
}

/// One rule matching one event, as the import or a run finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index into [`Detector::rules`].
    pub rule: usize,
    pub seq: u64,
    pub time: Option<i64>,
    /// Why, as the JSON of a `Vec<Matched>`: shared between the hits that matched alike (a noisy
    /// rule matches 400,000 events of the bench case for the same reason).
    pub matched: Arc<str>,
}

/// Reads the rules of `sources` (the built-in pack, then each path).
fn read(sources: &RuleSources) -> rules::Loaded {
    let paths: Vec<PathBuf> = sources
        .paths
        .iter()
        .map(|p| crate::bundle::path_of(p))
        .collect();
    rules::Loaded::read(&paths, sources.builtin)
}

/// Compiled rules, ready to evaluate events (shared by the import's reader threads).
pub struct Detector {
    routes: route::Routes,
    /// The distinct reasons hits were found for (`Hit::matched`).
    reasons: Mutex<HashSet<Arc<str>>>,
    /// Detection rules, then correlations.
    pub rules: Vec<RuleInfo>,
    /// The case key of each rule (`RuleInfo::key`).
    keys: Vec<String>,
    by_key: HashMap<String, usize>,
    /// The correlations as loaded, and the rules they count, for a correlation pass.
    collection: SigmaCollection,
    /// Per rule: whether a correlation counts its hits.
    counted: Vec<bool>,
    /// What of an event the correlation pass reads (`correlate::view_keys`).
    view_keys: Option<HashSet<String>>,
    pub failures: Vec<RuleFailure>,
}

fn level(l: Option<&rsigma_parser::Level>) -> String {
    l.map_or("medium", |l| l.as_str()).to_string()
}

impl Detector {
    /// Reads and compiles the rules; what does not load is in [`Detector::failures`].
    pub fn load(sources: &RuleSources) -> Detector {
        Detector::compile(read(sources))
    }

    fn compile(mut loaded: rules::Loaded) -> Detector {
        let mut failures = std::mem::take(&mut loaded.failures);
        let referenced: Vec<String> = loaded
            .collection
            .correlations
            .iter()
            .flat_map(|c| c.rules.iter().cloned())
            .collect();
        let mut rules = Vec::new();
        let mut keys = Vec::new();
        let mut by_key = HashMap::new();
        let mut kept = SigmaCollection::new();
        let mut counted = Vec::new();
        // The rules to compile, each under a key no earlier rule has.
        let mut unique: Vec<(rsigma_parser::SigmaRule, String, RuleInfo)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (rule, path) in loaded.collection.rules.into_iter().zip(loaded.rule_paths) {
            let info = RuleInfo {
                id: rule.id.clone(),
                title: rule.title.clone(),
                level: level(rule.level.as_ref()),
                author: rule.author.clone(),
                tags: rule.tags.clone(),
                path: path.clone(),
                description: rule.description.clone(),
                correlation: false,
                hidden: rule.level == Some(rsigma_parser::Level::Informational)
                    && [rule.id.as_ref(), rule.name.as_ref()]
                        .into_iter()
                        .flatten()
                        .any(|n| referenced.contains(n)),
            };
            let key = info.key();
            if let Some(&first) = seen.get(&key) {
                let first: &RuleInfo = &unique[first].2;
                failures.push(RuleFailure {
                    path,
                    reason: format!(
                        "rule {key} is already loaded from {}; this copy is not",
                        first.path
                    ),
                });
                continue;
            }
            seen.insert(key, unique.len());
            unique.push((rule, path, info));
        }
        let (routes, failed) =
            route::Routes::build(&unique.iter().map(|(r, _, _)| r).collect::<Vec<_>>());
        let mut failed = failed.into_iter().peekable();
        for (i, (rule, path, info)) in unique.into_iter().enumerate() {
            if let Some((_, e)) = failed.next_if(|(f, _)| *f == i) {
                failures.push(RuleFailure {
                    path,
                    reason: format!("rule {:?} does not compile: {e}", info.title),
                });
                continue;
            }
            let key = info.key();
            by_key.insert(key.clone(), rules.len());
            keys.push(key);
            rules.push(info);
            // The correlation pass compiles what it is given again: only the rules correlations
            // count (with 2,400 SigmaHQ Windows rules loaded, compiling them all there doubled
            // the rules' memory and load time).
            let is_counted = [rule.id.as_ref(), rule.name.as_ref()]
                .into_iter()
                .flatten()
                .any(|n| referenced.contains(n));
            counted.push(is_counted);
            if is_counted {
                // rsigma's correlation engine links a match to its correlations by the rule's
                // id only; a rule named but without an id (which Sigma allows) would count
                // nothing. Its name stands in for the id in the correlation pass's copy.
                let mut rule = rule;
                if rule.id.is_none() {
                    rule.id = rule.name.clone();
                }
                kept.rules.push(rule);
            }
        }
        for (corr, path) in loaded
            .collection
            .correlations
            .into_iter()
            .zip(loaded.correlation_paths)
        {
            let info = RuleInfo {
                id: corr.id.clone(),
                title: corr.title.clone(),
                level: level(corr.level.as_ref()),
                author: corr.author.clone(),
                tags: corr.tags.clone(),
                path,
                description: corr.description.clone(),
                correlation: true,
                hidden: false,
            };
            by_key.entry(info.key()).or_insert(rules.len());
            keys.push(info.key());
            rules.push(info);
            kept.correlations.push(corr);
        }
        kept.filters = loaded.collection.filters;
        counted.resize(rules.len(), false);
        let view_keys = correlate::view_keys(&kept);
        let mut routes = routes;
        for filter in &kept.filters {
            if let Err(e) = routes.apply_filter(filter) {
                failures.push(RuleFailure {
                    path: "filters".to_string(),
                    reason: format!("filter {:?} does not apply: {e}", filter.title),
                });
            }
        }
        Detector {
            routes,
            reasons: Mutex::default(),
            rules,
            keys,
            by_key,
            collection: kept,
            counted,
            view_keys,
            failures,
        }
    }

    /// Rules and correlations loaded.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How the detector lists a parsed rule (`None`: it did not load).
    fn info_of(&self, rule: &rsigma_parser::SigmaRule) -> Option<&RuleInfo> {
        let by_id = rule.id.as_ref().and_then(|id| self.by_key.get(id));
        match by_id {
            Some(&i) => self.rules.get(i),
            None => self
                .rules
                .iter()
                .find(|r| r.id.is_none() && r.title == rule.title),
        }
    }

    /// The rule a result is about.
    fn rule_of(&self, header: &rsigma_eval::RuleHeader) -> Option<usize> {
        let key = header.rule_id.clone().unwrap_or_default();
        self.by_key.get(&key).copied().or_else(|| {
            self.rules
                .iter()
                .position(|r| r.id.is_none() && r.title == header.rule_title && !r.correlation)
        })
    }

    /// The single-event rules `event` (with its parsed `record`) matches, in rule order.
    pub fn evaluate(&self, event: &AuditEvent, record: &Value, seq: u64) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        let normalized = sigma::normalized(event);
        let mut views = sigma::views(event, record);
        views.push((sigma::NORMALIZED, std::borrow::Cow::Owned(normalized)));
        for (source, view) in views {
            for result in self.routes.evaluate(&view, &log_source(&source)) {
                let Some(rule) = self.rule_of(&result.header) else {
                    continue;
                };
                if hits.iter().any(|h| h.rule == rule) {
                    continue;
                }
                hits.push(Hit {
                    rule,
                    seq,
                    time: event.time.utc_nanos,
                    matched: self.reason(&matched(&result)),
                });
            }
        }
        hits.sort_by_key(|h| h.rule);
        hits
    }

    /// `matched` as kept with a hit: its JSON, one copy per distinct reason.
    fn reason(&self, matched: &[Matched]) -> Arc<str> {
        let text = serde_json::to_string(matched).unwrap_or_else(|_| "[]".to_string());
        let Ok(mut reasons) = self.reasons.lock() else {
            return Arc::from(text);
        };
        if let Some(known) = reasons.get(text.as_str()) {
            return known.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        reasons.insert(shared.clone());
        shared
    }

    /// The correlation a correlation result is about.
    fn correlation_of(&self, header: &rsigma_eval::RuleHeader) -> Option<usize> {
        let key = header.rule_id.clone().unwrap_or_default();
        self.by_key
            .get(&key)
            .copied()
            .filter(|&i| self.rules[i].correlation)
            .or_else(|| {
                self.rules
                    .iter()
                    .position(|r| r.correlation && r.title == header.rule_title)
            })
    }

    /// Whether any correlation is loaded (the pass after an import has work).
    pub fn has_correlations(&self) -> bool {
        !self.collection.correlations.is_empty()
    }

    /// The longest correlation window, in nanoseconds; `None` when one has no bound (a session
    /// window goes on while its events keep coming).
    pub(crate) fn longest_window(&self) -> Option<i64> {
        let mut longest = 0i64;
        for c in &self.collection.correlations {
            if c.window == rsigma_parser::WindowMode::Session {
                return None;
            }
            longest = longest.max((c.timespan.seconds as i64).saturating_mul(1_000_000_000));
        }
        Some(longest)
    }
}

pub(crate) fn log_source(s: &SigmaSource) -> LogSource {
    LogSource {
        product: s.product.map(str::to_string),
        service: s.service.clone(),
        category: s.category.map(str::to_string),
        ..LogSource::default()
    }
}

/// What a result says matched, as the user reads it.
fn matched(result: &EvaluationResult) -> Vec<Matched> {
    let Some(body) = result.as_detection() else {
        return Vec::new();
    };
    body.matched_fields
        .iter()
        .take(16)
        .map(|f| Matched {
            selection: f.selection.clone(),
            field: f.field.clone(),
            value: match &f.value {
                Value::String(s) => s.chars().take(200).collect(),
                other => other.to_string().chars().take(200).collect(),
            },
            modifier: f
                .matcher
                .as_ref()
                .and_then(|m| serde_json::to_value(m).ok())
                .and_then(|v| v.as_str().map(str::to_string)),
        })
        .collect()
}

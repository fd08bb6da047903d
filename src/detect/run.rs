//! A detection run over the whole case (on demand, or when the rules change): every event read
//! back oldest first and evaluated, correlations after, and the case's detections replaced by
//! the new ones in one transaction. Also how the case's detections are listed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Detector, Hit, Matched, RuleFailure, RuleInfo, RuleSources, Scope};
use crate::case::detections::{HitRow, RuleRow};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::{SearchRequest, SortOrder};

/// Events listed per rule in a report; the count says how many there are.
const LISTED_EVENTS: usize = 200;

/// How far a run has got.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DetectProgress {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events_total: u64,
}

/// One event a rule matched, located as the import found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DetectionEvent {
    pub id: String,
    /// The file's path as given to import.
    pub file: String,
    /// The 0-based record position in its file.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ordinal: u64,
    pub native_id: Option<String>,
    /// RFC 3339 UTC.
    pub time: Option<String>,
    /// Why it matched.
    pub matched: Vec<Matched>,
}

/// A rule that fired: how often, over what time, on which events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Detection {
    pub rule: RuleInfo,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// The first events (at most 200), oldest first.
    pub events: Vec<DetectionEvent>,
}

/// What a run loaded and found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DetectReport {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rules_loaded: u64,
    pub rules_failed: Vec<RuleFailure>,
    pub detections: Vec<Detection>,
    pub sources: RuleSources,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events_checked: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed_ms: u64,
    /// When it ran (the case clock), RFC 3339.
    pub ran_at: String,
}

const LAST_RUN: &str = "last_detect";
const SOURCES: &str = "rule_sources";
/// Set while an import's counted events are not yet in the correlations' hits.
const CORRELATIONS_STALE: &str = "correlations_stale";

/// Marks the correlations stale before an import that brought events they count becomes
/// visible: if the import is killed before its correlation pass, the next one runs it.
/// Whether a correlation pass was cut off before it finished (left pending by a run that died):
/// read before a run marks its own pass pending.
pub fn correlations_stale(store: &Store) -> Result<bool> {
    Ok(store.meta(CORRELATIONS_STALE)?.as_deref() == Some("1"))
}

pub fn correlations_pending(store: &Store) -> Result<()> {
    store.set_meta(CORRELATIONS_STALE, "1")
}

/// The correlation pass after an import: when it brought events a correlation counts (`fresh`),
/// or an earlier pass did not finish; else the correlation hits kept are still right (they
/// depend only on the counted events, and none came). A follower passes its `live` windows.
pub fn correlate_after_import(
    store: &Store,
    detector: &Detector,
    fresh: Vec<super::Counted>,
    stale: bool,
    live: Option<&mut super::Live>,
    cancel: &AtomicBool,
) -> Result<()> {
    if fresh.is_empty() && !stale {
        return Ok(());
    }
    super::correlate::keep_views(store, detector, &fresh, false)?;
    // A follower keeps its own windows (`Live`), made again around a batch older than they.
    let between = live.is_none() && super::correlate::interleaves(store, detector, &fresh)?;
    if stale || between {
        // A pass was cut off, or the fresh events fall among earlier ones (an older log added
        // to the case): the case's correlations are made again from all its events.
        let hits = super::correlate(store, detector, fresh, Scope::Rebuild, cancel)?;
        keep_correlations(store, detector, &hits)?;
        if let Some(live) = live {
            live.reset();
        }
    } else {
        // What the fresh events add; earlier firings stay as they were.
        let hits = match live {
            Some(live) => live.add(store, detector, fresh, cancel)?,
            None => super::correlate(store, detector, fresh, Scope::Around, cancel)?,
        };
        let (rules, rows) = rows_of(detector, &hits, true)?;
        store.add_rule_hits(&rules, &rows)?;
    }
    store.set_meta(CORRELATIONS_STALE, "0")
}

/// Runs `sources`' rules over every event of the case and replaces its detections.
pub fn run(
    store: &Store,
    sources: &RuleSources,
    progress: &(dyn Fn(&DetectProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<DetectReport> {
    store.check_writable_for("running detections")?;
    let started = Instant::now();
    let detector = Detector::load(sources);
    let mut hits: Vec<Hit> = Vec::new();
    let mut counted = Vec::new();
    let request = SearchRequest {
        order: SortOrder::OldestFirst,
        ..SearchRequest::default()
    };
    let mut done = 0u64;
    let checked =
        crate::search::for_each_hit(store, &request, cancel, &mut |total, event, _, record| {
            let seq = crate::model::event::sequence_key(
                event.provenance.file_id,
                event.provenance.ordinal,
            );
            let found = detector.evaluate(event, record, seq);
            counted.extend(detector.counted(event, record, &found));
            hits.extend(found);
            done += 1;
            if done.is_multiple_of(2000) || done == total {
                progress(&DetectProgress {
                    events_done: done,
                    events_total: total,
                });
            }
            Ok(())
        })?;
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::Cancelled);
    }
    let (rules, rows) = rows(&detector, &hits)?;
    store.replace_detections(&rules, &rows)?;
    // Every event was evaluated: the counted ones are all in hand.
    super::correlate::keep_views(store, &detector, &counted, true)?;
    let correlated = super::correlate(store, &detector, counted, Scope::WholeCase, cancel)?;
    keep_correlations(store, &detector, &correlated)?;
    // A run over every event settles what an import cut off before its pass left.
    store.set_meta(CORRELATIONS_STALE, "0")?;
    store.set_meta(SOURCES, &json(sources)?)?;
    let report = DetectReport {
        rules_loaded: detector.len() as u64,
        rules_failed: detector.failures.clone(),
        detections: detections(store)?,
        sources: sources.clone(),
        events_checked: checked,
        elapsed_ms: started.elapsed().as_millis() as u64,
        ran_at: store.now_text(),
    };
    let mut kept = report.clone();
    kept.detections.clear();
    store.set_meta(LAST_RUN, &json(&kept)?)?;
    Ok(report)
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("detections: {e}")))
}

/// The rule sources the case's detections were last made with (the built-in pack only, before
/// any run).
pub fn case_sources(store: &Store) -> Result<RuleSources> {
    Ok(store
        .meta(SOURCES)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// The report of the last run on demand, without its detections (see [`detections`]).
pub fn last_report(store: &Store) -> Result<Option<DetectReport>> {
    Ok(store
        .meta(LAST_RUN)?
        .and_then(|t| serde_json::from_str(&t).ok()))
}

/// Rows for the case: every rule of the detector that has hits, and the hits.
pub fn rows<'d, 'h>(
    detector: &'d Detector,
    hits: impl IntoIterator<Item = &'h Hit>,
) -> Result<(Vec<RuleRow<'d>>, Vec<HitRow>)> {
    rows_of(detector, hits, false)
}

fn rows_of<'d, 'h>(
    detector: &'d Detector,
    hits: impl IntoIterator<Item = &'h Hit>,
    correlations: bool,
) -> Result<(Vec<RuleRow<'d>>, Vec<HitRow>)> {
    let hits: Vec<&Hit> = hits.into_iter().collect();
    // Only the rules with hits are written (a correlation's are replaced even without).
    let mut fired = vec![false; detector.rules.len()];
    for h in &hits {
        if let Some(f) = fired.get_mut(h.rule) {
            *f = true;
        }
    }
    let mut rules = Vec::new();
    let mut index = vec![usize::MAX; detector.rules.len()];
    for (i, r) in detector.rules.iter().enumerate() {
        if r.correlation != correlations || !(fired[i] || correlations) {
            continue;
        }
        index[i] = rules.len();
        rules.push(RuleRow {
            key: detector.keys[i].as_str(),
            title: &r.title,
            level: &r.level,
            hidden: r.hidden,
            info: json(r)?,
        });
    }
    let mut rows = Vec::new();
    for h in hits {
        let Some(&rule) = index.get(h.rule).filter(|&&i| i != usize::MAX) else {
            continue;
        };
        rows.push(HitRow {
            rule,
            seq: h.seq,
            time: h.time,
            matched: h.matched.clone(),
        });
    }
    Ok((rules, rows))
}

/// A rule and how many events it matched, for the import's summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FiredRule {
    pub title: String,
    pub level: String,
    pub author: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
}

/// A rule that matched one event, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventDetection {
    pub rule: RuleInfo,
    pub matched: Vec<Matched>,
}

/// The detections on event `id`, with why each matched.
pub fn on_event(store: &Store, id: &str) -> Result<Vec<EventDetection>> {
    let (file, ordinal) = crate::model::event::parse_event_id(id)
        .ok_or_else(|| Error::EventNotFound(id.to_string()))?;
    let seq = crate::model::event::sequence_key(file, ordinal);
    store
        .hits_on(seq)?
        .into_iter()
        .map(|(info, matched)| {
            Ok(EventDetection {
                rule: serde_json::from_str(&info)
                    .map_err(|e| Error::Corrupt(format!("stored rule unreadable: {e}")))?,
                matched: serde_json::from_str(&matched).unwrap_or_default(),
            })
        })
        .collect()
}

/// Every rule `sources` holds (loaded or not), for `sightline rules list`.
pub fn list_rules(sources: &RuleSources) -> (Vec<RuleInfo>, Vec<RuleFailure>) {
    let detector = Detector::load(sources);
    (detector.rules, detector.failures)
}

/// Keeps the correlations' hits, replacing those of earlier passes.
pub fn keep_correlations(store: &Store, detector: &Detector, hits: &[Hit]) -> Result<()> {
    let (rules, rows) = rows_of(detector, hits, true)?;
    store.replace_rule_hits(&rules, &rows)
}

/// The rules that fired in the case and how often, most serious first.
pub fn fired(store: &Store) -> Result<Vec<FiredRule>> {
    store
        .rule_hits(false, 0)?
        .into_iter()
        .map(|r| {
            let rule: RuleInfo = serde_json::from_str(&r.info)
                .map_err(|e| Error::Corrupt(format!("stored rule unreadable: {e}")))?;
            Ok(FiredRule {
                title: rule.title,
                level: rule.level,
                author: rule.author,
                count: r.count,
            })
        })
        .collect()
}

/// Every rule that fired in the case, most serious first, with its first events.
pub fn detections(store: &Store) -> Result<Vec<Detection>> {
    let hits = store.rule_hits(false, LISTED_EVENTS)?;
    // The listed events' own ids, read back in one pass: one lookup per event scanned the
    // sequence column each time (2 s for two rules' 400 events at 10M events).
    let listed: std::collections::HashSet<u64> = hits
        .iter()
        .flat_map(|r| r.events.iter().map(|(seq, _, _)| *seq))
        .collect();
    let mut native = std::collections::HashMap::new();
    let never = std::sync::atomic::AtomicBool::new(false);
    // Best effort, as each lookup was: a record that no longer parses lists without its id
    // (the detail pane says why when it is opened).
    let _ = crate::search::for_each_of(store, listed, &never, &mut |_, event, _, _| {
        let p = &event.provenance;
        if let Some(id) = &event.native_id {
            native.insert(
                crate::model::event::sequence_key(p.file_id, p.ordinal),
                id.clone(),
            );
        }
        Ok(())
    });
    let mut out = Vec::new();
    for r in hits {
        let rule: RuleInfo = serde_json::from_str(&r.info)
            .map_err(|e| Error::Corrupt(format!("stored rule unreadable: {e}")))?;
        let mut events = Vec::new();
        for (seq, time, matched) in r.events {
            let (file_id, ordinal) = (seq >> 32, seq & 0xffff_ffff);
            let file = store
                .imported_file(file_id)
                .map(|f| f.path.clone())
                .unwrap_or_default();
            let id = crate::model::event::event_id(file_id, ordinal);
            let native_id = native.get(&seq).cloned();
            events.push(DetectionEvent {
                id,
                file,
                ordinal,
                native_id,
                time: time.map(crate::time::format_rfc3339),
                matched: serde_json::from_str(&matched).unwrap_or_default(),
            });
        }
        out.push(Detection {
            rule,
            count: r.count,
            first: r.first.map(crate::time::format_rfc3339),
            last: r.last.map(crate::time::format_rfc3339),
            events,
        });
    }
    Ok(out)
}

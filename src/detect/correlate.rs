//! Correlations (brute force, password spray, mass deletion, …) over the whole case: the events
//! that matched a rule a correlation counts are fed oldest first to rsigma's correlation engine
//! with their times; each firing names the events of its window, which become the correlation's
//! hits. Run after every import that brought such events (a new file can complete a window that
//! began in an earlier one) and in every run on demand.
//!
//! The events an import or a run has just evaluated come as [`Counted`] views, kept while they
//! were in hand and cut to the fields the correlations and their rules read; only the events of
//! earlier imports are read back from the store. Reading every counted event back after each
//! import cost 1.7 s of a 1M-event import and grew with the case.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicBool;

use rsigma_eval::{CorrelationConfig, CorrelationEngine, CorrelationEventMode, TimestampFallback};
use rsigma_parser::{Detection, Modifier, SigmaCollection};
use serde_json::Value;

use super::{Detector, Hit, Matched};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::formats::sigma;
use crate::model::event::{event_id, sequence_key, AuditEvent};

/// Which earlier events a correlation pass reads besides the fresh ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The fresh events are every counted event (a run over the whole case).
    WholeCase,
    /// Every counted event of earlier imports: the case's correlations made again.
    Rebuild,
    /// Earlier events within the longest correlation window of the fresh ones, and only firings
    /// that name a fresh event: what a batch adds (a rebuild where a window has no bound).
    Around,
}

/// Events one correlation window may name; a longer burst still fires, with its first ones.
const MAX_WINDOW_EVENTS: usize = 1000;

/// An event a correlation counts, as the correlation pass reads it.
#[derive(Debug, Clone)]
pub struct Counted {
    seq: u64,
    nanos: i64,
    view: Value,
}

/// The correlations' hits over the case. `fresh` are the counted events just evaluated; with
/// `whole_case` they are all there are (a run over every event), else the counted events of
/// earlier imports are read back from the store.
pub fn correlate(
    store: &Store,
    detector: &Detector,
    fresh: Vec<Counted>,
    scope: Scope,
    cancel: &AtomicBool,
) -> Result<Vec<Hit>> {
    if !detector.has_correlations() {
        return Ok(Vec::new());
    }
    let mut events = fresh;
    // Which events are fresh matters only when earlier ones are read besides them.
    let known: HashSet<u64> = match scope {
        Scope::WholeCase => HashSet::new(),
        _ => events.iter().map(|c| c.seq).collect(),
    };
    // Around fresh events: earlier events older than the first fresh one by more than the
    // longest correlation window cannot share a window with any fresh event.
    let cutoff = match scope {
        Scope::Around => detector
            .longest_window()
            .zip(events.iter().map(|c| c.nanos).min())
            .map(|(span, first)| first.saturating_sub(span)),
        _ => None,
    };
    let around = cutoff.is_some();
    if scope != Scope::WholeCase {
        let earlier: HashSet<u64> = store
            .rule_seqs(&referenced_keys(detector))?
            .into_iter()
            .filter(|(_, time)| cutoff.is_none_or(|c| time.is_some_and(|t| t >= c)))
            .map(|(seq, _)| seq)
            .filter(|seq| !known.contains(seq))
            .collect();
        if !earlier.is_empty() {
            crate::search::for_each_of(store, earlier, cancel, &mut |_, event, _, record| {
                events.extend(detector.view(event, record));
                Ok(())
            })?;
        }
    }
    if events.is_empty() {
        return Ok(Vec::new());
    }
    // Oldest first, then in file order: the order the engine's windows need.
    events.sort_by_key(|c| (c.nanos, c.seq));
    let mut engine = CorrelationEngine::new(CorrelationConfig {
        timestamp_fallback: TimestampFallback::Skip,
        correlation_event_mode: CorrelationEventMode::Refs,
        max_correlation_events: MAX_WINDOW_EVENTS,
        ..CorrelationConfig::default()
    });
    engine
        .add_collection(&detector.collection)
        .map_err(|e| Error::Invalid(format!("correlation rules do not load: {e}")))?;
    // Correlation → the events it named, with the group that fired.
    let mut found: BTreeMap<usize, BTreeMap<u64, Vec<Matched>>> = BTreeMap::new();
    let mut times: BTreeMap<u64, Option<i64>> = BTreeMap::new();
    for (i, counted) in events.iter().enumerate() {
        if i % 1024 == 0 && cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        times.insert(counted.seq, Some(counted.nanos));
        let results = engine.process_event_at(
            &rsigma_eval::JsonEvent::borrow(&counted.view),
            counted.nanos.div_euclid(1_000_000_000),
        );
        for result in results.into_iter().filter(|r| r.is_correlation()) {
            let Some(rule) = detector.correlation_of(&result.header) else {
                continue;
            };
            let Some(body) = result.as_correlation() else {
                continue;
            };
            let group: Vec<Matched> = body
                .group_key
                .iter()
                .map(|(field, value)| Matched {
                    selection: Some("group-by".to_string()),
                    field: field.clone(),
                    value: value.clone(),
                    modifier: Some(format!("{:?}", body.correlation_type).to_lowercase()),
                })
                .collect();
            // Around fresh events, a firing an earlier event set off was a firing of an earlier
            // pass (or, cut at the window's start, one a whole-case pass would not make).
            if around && !known.contains(&counted.seq) {
                continue;
            }
            let named = found.entry(rule).or_default();
            // Newest first, up to the first event a firing of this group named already: its
            // older events were named with it. A burst fires at every event, each naming the
            // window's last 1,000; naming all of them every time made a batch of a brute force
            // at 8,000 failed logons a second take 30 s.
            for r in body.event_refs.iter().flatten().rev() {
                let Some(seq) = r.id.as_deref().and_then(seq_of) else {
                    continue;
                };
                if named.contains_key(&seq) {
                    break;
                }
                named.insert(seq, group.clone());
            }
        }
    }
    let mut hits = Vec::new();
    for (rule, events) in found {
        for (seq, matched) in events {
            hits.push(Hit {
                rule,
                seq,
                time: times.get(&seq).copied().flatten(),
                matched: detector.reason(&matched),
            });
        }
    }
    Ok(hits)
}

/// The case keys of the rules correlations count (a rule without an id is kept under its file
/// and title, as every hit of it is).
fn referenced_keys(detector: &Detector) -> Vec<String> {
    detector
        .keys
        .iter()
        .zip(&detector.counted)
        .filter(|(_, &counted)| counted)
        .map(|(key, _)| key.clone())
        .collect()
}

impl Detector {
    /// The event as the correlation pass reads it, when one of `hits` (its hits) is of a rule a
    /// correlation counts.
    pub(crate) fn counted(
        &self,
        event: &AuditEvent,
        record: &Value,
        hits: &[Hit],
    ) -> Option<Counted> {
        if !hits.iter().any(|h| self.counted.get(h.rule) == Some(&true)) {
            return None;
        }
        self.view(event, record)
    }

    /// The record's own fields with the normalized ones over them, and the event's id where the
    /// correlation engine looks for one (`_id`): what a correlation groups by and names. Only
    /// the fields the correlations and the rules they count read are kept (all when a rule
    /// reads values of any field: keywords, `fieldref`). Events without a time are not counted.
    fn view(&self, event: &AuditEvent, record: &Value) -> Option<Counted> {
        let nanos = event.time.utc_nanos?;
        let mut view = match sigma::views(event, record).into_iter().next() {
            Some((_, v)) => v.into_owned(),
            None => record.clone(),
        };
        if let (Value::Object(m), Value::Object(n)) = (&mut view, sigma::normalized(event)) {
            m.extend(n);
            if let Some(keys) = &self.view_keys {
                // Compared without case: a rule's field may be spelt otherwise than the key. A
                // new map, not `retain`: the record's map keeps its capacity, and 26,000 views
                // of the 1M-event bench case held 120 MB that way.
                *m = std::mem::take(m)
                    .into_iter()
                    .filter(|(k, _)| keys.contains(&k.to_ascii_lowercase()))
                    .collect();
            }
            m.insert(
                "_id".to_string(),
                Value::String(event_id(event.provenance.file_id, event.provenance.ordinal)),
            );
        }
        Some(Counted {
            seq: sequence_key(event.provenance.file_id, event.provenance.ordinal),
            nanos,
            view,
        })
    }
}

/// The top-level keys of an event the correlations of `collection` and the rules they count
/// read (a dotted field by its first part); `None` when a rule may read any field.
pub(super) fn view_keys(collection: &SigmaCollection) -> Option<HashSet<String>> {
    fn walk(d: &Detection, keys: &mut HashSet<String>) -> bool {
        match d {
            Detection::Keywords(_) => false,
            Detection::AllOf(items) => items.iter().all(|item| {
                let Some(name) = &item.field.name else {
                    return false;
                };
                keys.insert(top(name));
                !item.field.modifiers.contains(&Modifier::FieldRef)
            }),
            Detection::AnyOf(subs) | Detection::And(subs) => subs.iter().all(|s| walk(s, keys)),
            Detection::Conditional { named, .. } => named.values().all(|s| walk(s, keys)),
            Detection::ArrayMatch { field, body, .. } => {
                keys.insert(top(field));
                walk(body, keys)
            }
        }
    }
    fn top(field: &str) -> String {
        field
            .split('.')
            .next()
            .unwrap_or(field)
            .to_ascii_lowercase()
    }
    let mut keys = HashSet::new();
    for rule in &collection.rules {
        if !rule.detection.named.values().all(|d| walk(d, &mut keys)) {
            return None;
        }
    }
    for filter in &collection.filters {
        if !filter.detection.named.values().all(|d| walk(d, &mut keys)) {
            return None;
        }
    }
    for corr in &collection.correlations {
        keys.extend(corr.group_by.iter().map(|f| top(f)));
        if let rsigma_parser::CorrelationCondition::Threshold {
            field: Some(fields),
            ..
        } = &corr.condition
        {
            keys.extend(fields.iter().map(|f| top(f)));
        }
        for alias in &corr.aliases {
            keys.extend(alias.mapping.values().map(|f| top(f)));
        }
    }
    Some(keys)
}

fn seq_of(id: &str) -> Option<u64> {
    let (file, ordinal) = crate::model::event::parse_event_id(id)?;
    Some(crate::model::event::sequence_key(file, ordinal))
}

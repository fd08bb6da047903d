//! Correlations (brute force, password spray, mass deletion, …) over the whole case: the events
//! that matched a rule a correlation counts are read back oldest first and fed to rsigma's
//! correlation engine with their times; each firing names the events of its window, which become
//! the correlation's hits. Run after every import (a new file can complete a window that began in
//! an earlier one) and in every run on demand.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicBool;

use rsigma_eval::{CorrelationConfig, CorrelationEngine, CorrelationEventMode, TimestampFallback};
use serde_json::Value;

use super::{Detector, Hit, Matched};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::formats::sigma;
use crate::model::event::event_id;

/// Events one correlation window may name; a longer burst still fires, with its first ones.
const MAX_WINDOW_EVENTS: usize = 1000;

/// The correlations' hits over the case, given the single-event hits already kept in it.
pub fn correlate(store: &Store, detector: &Detector, cancel: &AtomicBool) -> Result<Vec<Hit>> {
    if !detector.has_correlations() {
        return Ok(Vec::new());
    }
    let referenced: Vec<String> = referenced_keys(detector);
    let seqs: HashSet<u64> = store
        .rule_seqs(&referenced)?
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
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
    crate::search::for_each_of(store, seqs, cancel, &mut |_, event, _raw, record| {
        let Some(nanos) = event.time.utc_nanos else {
            return Ok(());
        };
        let seq =
            crate::model::event::sequence_key(event.provenance.file_id, event.provenance.ordinal);
        times.insert(seq, Some(nanos));
        let view = combined(event, record);
        let results = engine.process_event_at(
            &rsigma_eval::JsonEvent::borrow(&view),
            nanos.div_euclid(1_000_000_000),
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
            let named = found.entry(rule).or_default();
            for r in body.event_refs.iter().flatten() {
                if let Some(seq) = r.id.as_deref().and_then(seq_of) {
                    named.entry(seq).or_insert_with(|| group.clone());
                }
            }
        }
        Ok(())
    })?;
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

/// The keys of the rules correlations count.
fn referenced_keys(detector: &Detector) -> Vec<String> {
    let names: HashSet<&str> = detector
        .collection
        .correlations
        .iter()
        .flat_map(|c| c.rules.iter().map(String::as_str))
        .collect();
    detector
        .collection
        .rules
        .iter()
        .filter(|r| {
            [r.id.as_deref(), r.name.as_deref()]
                .into_iter()
                .flatten()
                .any(|n| names.contains(n))
        })
        .filter_map(|r| {
            let key = r.id.clone().unwrap_or_else(|| r.title.clone());
            detector.by_key.contains_key(&key).then_some(key)
        })
        .collect()
}

/// The record's own fields with the normalized ones over them, and the event's id where the
/// correlation engine looks for one (`_id`): what a correlation groups by and names.
fn combined(event: &crate::model::event::AuditEvent, record: &Value) -> Value {
    let mut view = match sigma::views(event, record).into_iter().next() {
        Some((_, v)) => v.into_owned(),
        None => record.clone(),
    };
    if let (Value::Object(m), Value::Object(n)) = (&mut view, sigma::normalized(event)) {
        m.extend(n);
        m.insert(
            "_id".to_string(),
            Value::String(event_id(event.provenance.file_id, event.provenance.ordinal)),
        );
    }
    view
}

fn seq_of(id: &str) -> Option<u64> {
    let (file, ordinal) = crate::model::event::parse_event_id(id)?;
    Some(crate::model::event::sequence_key(file, ordinal))
}

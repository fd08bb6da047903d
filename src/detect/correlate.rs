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

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;

use rsigma_parser::{Detection, Modifier, SigmaCollection};
use serde_json::Value;

use super::pass::{hits_of, Pass};
use super::{Detector, Hit};
use crate::case::Store;
use crate::error::Result;
use crate::formats::sigma;
use crate::model::event::{event_id, sequence_key, AuditEvent};

/// Which earlier events a correlation pass reads besides the fresh ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The fresh events are every counted event (a run over the whole case).
    WholeCase,
    /// Every counted event of earlier imports: the case's correlations made again.
    Rebuild,
    /// Earlier events within the longest correlation window of the fresh ones (all of them where
    /// a window has no bound), and only firings a fresh event set off: what a batch adds.
    Around,
}

/// An event a correlation counts, as the correlation pass reads it.
#[derive(Debug, Clone)]
pub struct Counted {
    pub(super) seq: u64,
    pub(super) nanos: i64,
    /// The view as compact JSON, parsed again when fed: an import holds every counted event
    /// until its correlation pass (261,000 at 10M events with the built-in pack), and as maps
    /// of strings they took ~900 bytes each against ~150 as text.
    pub(super) view: Box<str>,
}

/// The correlations' hits over the case. `fresh` are the counted events just evaluated; with
/// `Scope::WholeCase` they are all there are (a run over every event), else the counted events
/// of earlier imports are read back from the store.
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
    let known: HashSet<u64> = match scope {
        Scope::Around => fresh.iter().map(|c| c.seq).collect(),
        _ => HashSet::new(),
    };
    let events = match scope {
        Scope::WholeCase => {
            let mut events = fresh;
            events.sort_by_key(|c| (c.nanos, c.seq));
            events
        }
        Scope::Rebuild => around(store, detector, fresh, None, None, cancel)?,
        Scope::Around => {
            let first = fresh.iter().map(|c| c.nanos).min();
            let last = fresh.iter().map(|c| c.nanos).max();
            if first.is_none() {
                return Ok(Vec::new());
            }
            // Only firings a fresh event sets off are kept, and a firing comes with the event
            // that completes it: events after the last fresh one cannot be in one. Older logs
            // added to a case (200 events before the rest of a 10M case) read back every later
            // counted event without this bound: 20 s and 1.9 GB.
            around(store, detector, fresh, first, last, cancel)?
        }
    };
    let times: HashMap<u64, i64> = events.iter().map(|c| (c.seq, c.nanos)).collect();
    let mut pass = Pass::new(detector)?;
    let found = match scope {
        // Around fresh events, a firing an earlier event set off was a firing of an earlier
        // pass (or, cut at the window's start, one a whole-case pass would not make).
        Scope::Around => pass.feed(detector, &events, &|seq| known.contains(&seq), cancel)?,
        _ => pass.feed(detector, &events, &|_| true, cancel)?,
    };
    hits_of(None, detector, found, &times)
}

/// Whether counted events of earlier imports lie among `fresh` in time: after the first fresh
/// event and within the longest correlation window after the last (anywhere after the first,
/// where a window has no bound). A firing such an event sets off may count fresh events, and a
/// pass around the fresh events keeps only the firings they set off: an older log added to a
/// case could complete a window an event already there closes, and the firing would be missed.
pub(crate) fn interleaves(store: &Store, detector: &Detector, fresh: &[Counted]) -> Result<bool> {
    let (Some(first), Some(last)) = (
        fresh.iter().map(|c| c.nanos).min(),
        fresh.iter().map(|c| c.nanos).max(),
    ) else {
        return Ok(false);
    };
    let reach = detector.longest_window().map(|w| last.saturating_add(w));
    let known: HashSet<u64> = fresh.iter().map(|c| c.seq).collect();
    // Read in the database by time: an import that appends reads nothing here.
    Ok(store
        .rule_seqs(
            &referenced_keys(detector),
            Some(first.saturating_add(1)),
            reach,
        )?
        .into_iter()
        .any(|(seq, _)| !known.contains(&seq)))
}

/// `fresh` and the counted events of earlier imports that may share a window with them, oldest
/// first, then in file order (the order the engine's windows need): those no older than the
/// longest correlation window before `since` (the first fresh event), or all of them when
/// `since` is `None` or a window has no bound (a session goes on while its events keep coming);
/// and none later than `until`, when given.
pub(super) fn around(
    store: &Store,
    detector: &Detector,
    fresh: Vec<Counted>,
    since: Option<i64>,
    until: Option<i64>,
    cancel: &AtomicBool,
) -> Result<Vec<Counted>> {
    let known: HashSet<u64> = fresh.iter().map(|c| c.seq).collect();
    let cutoff = detector
        .longest_window()
        .zip(since)
        .map(|(span, first)| first.saturating_sub(span));
    let mut events = fresh;
    let mut earlier: HashSet<u64> = store
        .rule_seqs(&referenced_keys(detector), cutoff, until)?
        .into_iter()
        .map(|(seq, _)| seq)
        .filter(|seq| !known.contains(seq))
        .collect();
    // Views kept by the imports and runs that evaluated these events; the rest (a case made
    // before they were kept, under other rules, or a view that is not JSON) are read from the
    // index, so a damaged row costs time, not the event.
    for (seq, nanos, view) in store.counted_views(&detector.views_made_for(), cutoff, until)? {
        let readable = serde_json::from_str::<serde::de::IgnoredAny>(&view).is_ok();
        if readable && earlier.remove(&seq) {
            events.push(Counted {
                seq,
                nanos,
                view: view.into_boxed_str(),
            });
        }
    }
    if !earlier.is_empty() {
        crate::search::for_each_of(store, earlier, cancel, &mut |_, event, _, record| {
            events.extend(detector.view(event, record));
            Ok(())
        })?;
    }
    events.sort_by_key(|c| (c.nanos, c.seq));
    Ok(events)
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

/// Keeps `counted` in the case for the correlation passes of later imports (see
/// [`Store::counted_views`]); with `whole`, they are every counted event of the case.
pub(crate) fn keep_views(
    store: &Store,
    detector: &Detector,
    counted: &[Counted],
    whole: bool,
) -> Result<()> {
    if !detector.has_correlations() {
        return Ok(());
    }
    let views: Vec<(u64, i64, &str)> = counted.iter().map(|c| (c.seq, c.nanos, &*c.view)).collect();
    store.keep_counted_views(&views, &detector.views_made_for(), whole)
}

impl Detector {
    /// Names what a view holds (the fields the correlations read): a view kept for other rules
    /// holds other fields and is not used. The version names how views are made.
    pub(crate) fn views_made_for(&self) -> String {
        let mut keys: Vec<&str> = match &self.view_keys {
            Some(keys) => keys.iter().map(String::as_str).collect(),
            None => vec!["*"],
        };
        keys.sort_unstable();
        format!(
            "v1 {:016x}",
            crate::index::id_hash("views", &keys.join("\n"))
        )
    }

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
            view: view.to_string().into_boxed_str(),
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

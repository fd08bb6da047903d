//! One correlation engine fed counted events oldest first, and what its firings name: used once
//! by a pass over the case ([`super::correlate`]) and kept between batches by a follower
//! ([`Live`]), whose windows then stay in memory instead of being read back at every batch.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use rsigma_eval::{CorrelationConfig, CorrelationEngine, CorrelationEventMode, TimestampFallback};

use super::correlate::{around, Counted};
use super::{Detector, Hit, Matched};
use crate::case::Store;
use crate::error::{Error, Result};

/// Events one firing may name, newest first. A firing names its window down to what the
/// group's last firing named, so only a group's first firing (or one after a pause) meets the
/// cap: above every count threshold of the built-in rules (100 at most), and small because rsigma
/// copies the window's references at every firing of a burst: a brute force at 8,000 failed
/// logons a second, each firing copying 1,000 of them, took 1.8 s of every second.
const MAX_WINDOW_EVENTS: usize = 128;
/// Entries one group's window keeps (a timestamp per event for a count): a brute force at
/// 8,000 failed logons a second for the 30 minutes of the longest built-in window would keep
/// 14 million. Beyond it the oldest are dropped, which only saturates a count far above any
/// threshold a rule sets.
const MAX_GROUP_ENTRIES: usize = 50_000;
/// How much older than the newest event a follower's engine has seen a fresh event may be and
/// still be fed to it (lines of two files written in the same second come in either order);
/// an older one makes the windows again around it.
const LIVE_SLACK_NANOS: i64 = 60_000_000_000;

/// A correlation and the group a firing was for.
type Group = (usize, Vec<(String, String)>);

/// The engine, and per correlation and group the newest event its last firing named.
pub(super) struct Pass {
    engine: CorrelationEngine,
    named: HashMap<Group, (u64, i64)>,
    /// The newest event time fed, in nanoseconds.
    latest: i64,
}

/// What a feed named: correlation → event → why (the group), oldest event first.
pub(super) type Named = BTreeMap<usize, BTreeMap<u64, Vec<Matched>>>;

impl Pass {
    pub(super) fn new(detector: &Detector) -> Result<Pass> {
        let mut engine = CorrelationEngine::new(CorrelationConfig {
            timestamp_fallback: TimestampFallback::Skip,
            correlation_event_mode: CorrelationEventMode::Refs,
            max_correlation_events: MAX_WINDOW_EVENTS,
            max_group_entries: Some(MAX_GROUP_ENTRIES),
            ..CorrelationConfig::default()
        });
        engine
            .add_collection(&detector.collection)
            .map_err(|e| Error::Invalid(format!("correlation rules do not load: {e}")))?;
        Ok(Pass {
            engine,
            named: HashMap::new(),
            latest: i64::MIN,
        })
    }

    /// Feeds `events` (oldest first) and names the events of the windows that fired on an event
    /// `counts` accepts (the fresh ones of a pass around them). A firing names its window newest
    /// first down to the event the group's last firing named: a burst fires at every event, each
    /// naming the window's last 1,000, and naming all of them every time made a batch of a brute
    /// force at 8,000 failed logons a second take 30 s.
    pub(super) fn feed(
        &mut self,
        detector: &Detector,
        events: &[Counted],
        counts: &dyn Fn(u64) -> bool,
        cancel: &AtomicBool,
    ) -> Result<Named> {
        let mut found = Named::new();
        for (i, counted) in events.iter().enumerate() {
            if i % 1024 == 0 && cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            self.latest = self.latest.max(counted.nanos);
            let view: serde_json::Value = serde_json::from_str(&counted.view)
                .map_err(|e| Error::Internal(format!("a counted event's view: {e}")))?;
            let results = self.engine.process_event_at(
                &rsigma_eval::JsonEvent::borrow(&view),
                counted.nanos.div_euclid(1_000_000_000),
            );
            for result in results.into_iter().filter(|r| r.is_correlation()) {
                let (Some(rule), Some(body)) = (
                    detector.correlation_of(&result.header),
                    result.as_correlation(),
                ) else {
                    continue;
                };
                // Refs are oldest first; parsed newest first only as far as they are named.
                let mut refs = body
                    .event_refs
                    .iter()
                    .flatten()
                    .rev()
                    .filter_map(|r| r.id.as_deref().and_then(seq_of));
                let Some(newest) = refs.next() else {
                    continue;
                };
                let group = (rule, body.group_key.clone());
                let last = self.named.insert(group, (newest, counted.nanos));
                // A firing an earlier event set off (around fresh events) was an earlier pass's:
                // what it named counts as named.
                if !counts(counted.seq) {
                    continue;
                }
                let why = group_matched(&body.group_key, body.correlation_type);
                let named = found.entry(rule).or_default();
                for seq in std::iter::once(newest).chain(refs) {
                    if last.is_some_and(|(s, _)| s == seq) {
                        break;
                    }
                    named.entry(seq).or_insert_with(|| why.clone());
                }
            }
        }
        Ok(found)
    }

    /// Forgets windows and groups no event newer than the newest one fed can join (`span`: the
    /// longest window; `None` when one has no bound, and groups are kept).
    fn forget_expired(&mut self, span: Option<i64>) {
        self.engine
            .evict_expired(self.latest.div_euclid(1_000_000_000));
        if let Some(span) = span {
            let cutoff = self.latest.saturating_sub(span);
            self.named.retain(|_, (_, at)| *at >= cutoff);
        }
    }
}

fn group_matched(key: &[(String, String)], kind: rsigma_parser::CorrelationType) -> Vec<Matched> {
    key.iter()
        .map(|(field, value)| Matched {
            selection: Some("group-by".to_string()),
            field: field.clone(),
            value: value.clone(),
            modifier: Some(format!("{kind:?}").to_lowercase()),
        })
        .collect()
}

/// The hits of what a feed named, timed by `times` (the events fed) or, for events of earlier
/// batches a live window still held, by their kept hits.
pub(super) fn hits_of(
    store: Option<&Store>,
    detector: &Detector,
    found: Named,
    times: &HashMap<u64, i64>,
) -> Result<Vec<Hit>> {
    let missing: Vec<u64> = found
        .values()
        .flat_map(|named| named.keys())
        .filter(|seq| !times.contains_key(seq))
        .copied()
        .collect();
    let earlier = match (store, missing.is_empty()) {
        (Some(store), false) => store.hit_times(&missing)?,
        _ => HashMap::new(),
    };
    let mut hits = Vec::new();
    for (rule, named) in found {
        for (seq, matched) in named {
            hits.push(Hit {
                rule,
                seq,
                time: times.get(&seq).or(earlier.get(&seq)).copied(),
                matched: detector.reason(&matched),
            });
        }
    }
    Ok(hits)
}

/// A follower's correlations: the engine and its windows kept between batches, so that a batch
/// feeds only its own counted events. Made around the first batch's events (reading the earlier
/// ones within the longest window), and again when a batch brings events older than the windows
/// have passed, or after a pass was cut off.
#[derive(Default)]
pub struct Live {
    pass: Option<Pass>,
}

impl Live {
    /// The correlations' new hits from a batch's counted events.
    pub(crate) fn add(
        &mut self,
        store: &Store,
        detector: &Detector,
        mut fresh: Vec<Counted>,
        cancel: &AtomicBool,
    ) -> Result<Vec<Hit>> {
        if !detector.has_correlations() || fresh.is_empty() {
            return Ok(Vec::new());
        }
        fresh.sort_by_key(|c| (c.nanos, c.seq));
        let times: HashMap<u64, i64> = fresh.iter().map(|c| (c.seq, c.nanos)).collect();
        // Taken out while fed: a pass cut off midway is not kept.
        let kept = self.pass.take();
        let first = fresh[0].nanos;
        let (mut pass, found) = match kept {
            Some(mut pass) if first >= pass.latest.saturating_sub(LIVE_SLACK_NANOS) => {
                let found = pass.feed(detector, &fresh, &|_| true, cancel)?;
                (pass, found)
            }
            _ => {
                let known: HashSet<u64> = times.keys().copied().collect();
                // No upper bound: the pass is kept for the next batches, so its windows must
                // hold every counted event up to the newest.
                let events = around(store, detector, fresh, Some(first), None, cancel)?;
                let mut pass = Pass::new(detector)?;
                let found = pass.feed(detector, &events, &|seq| known.contains(&seq), cancel)?;
                (pass, found)
            }
        };
        pass.forget_expired(detector.longest_window());
        let hits = hits_of(Some(store), detector, found, &times)?;
        self.pass = Some(pass);
        Ok(hits)
    }

    /// Forgets the windows (the case's correlations were made again).
    pub(crate) fn reset(&mut self) {
        self.pass = None;
    }
}

fn seq_of(id: &str) -> Option<u64> {
    let (file, ordinal) = crate::model::event::parse_event_id(id)?;
    Some(crate::model::event::sequence_key(file, ordinal))
}

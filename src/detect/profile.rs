//! What each rule costs. The engine evaluates every rule of a log source together, which hides
//! who pays; here each single-event rule is compiled alone (routed by its log source as the
//! detector routes it) and timed over the same sample of the case's events, so a rule author (`sightline rules profile`) and `make bench` can name the
//! slowest rules. Correlations are left out: their cost is the pass after an import, measured
//! whole by a run.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rsigma_parser::LogSource;
use serde::Serialize;
use serde_json::Value;

use super::route::Routes;
use super::{log_source, Detector, RuleInfo, RuleSources};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::formats::sigma;
use crate::model::{SearchRequest, SortOrder};

/// One rule's cost over the sample.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCost {
    pub rule: RuleInfo,
    /// Mean time to evaluate the rule against one event (all of the event's views), in ns.
    pub nanos_per_event: f64,
}

/// Every single-event rule's cost, slowest first.
#[derive(Debug, Clone, Serialize)]
pub struct RuleProfile {
    /// Events in the sample (the case's oldest).
    pub events: u64,
    pub rules: Vec<RuleCost>,
}

/// Times each of `sources`' single-event rules alone over the case's `sample` oldest events.
pub fn profile(
    store: &Store,
    sources: &RuleSources,
    sample: usize,
    cancel: &AtomicBool,
) -> Result<RuleProfile> {
    let detector = Detector::load(sources);
    let views = sample_views(store, sample, cancel)?;
    // What evaluating costs with no rule at all is paid once per event whatever the rules;
    // subtracted, so each rule's figure is its own.
    let base = time(&Routes::default(), &views);
    let mut rules = Vec::new();
    // The detector keeps only its compiled engines; the rules are read again to compile each alone.
    let paths: Vec<std::path::PathBuf> = detector
        .sources
        .paths
        .iter()
        .map(|p| crate::bundle::path_of(p))
        .collect();
    let loaded = super::rules::Loaded::read(&paths, detector.sources.builtin);
    for rule in &loaded.collection.rules {
        let key = rule.id.clone().unwrap_or_default();
        let Some(info) = detector
            .by_key
            .get(&key)
            .map(|&i| &detector.rules[i])
            .or_else(|| {
                detector
                    .rules
                    .iter()
                    .find(|r| r.id.is_none() && r.title == rule.title)
            })
            .filter(|r| !r.correlation)
        else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        // Routed as the detector routes it: a rule costs nothing on events of another source.
        let mut engine = Routes::default();
        // It compiled in the detector; a failure here would be the same failure, reported there.
        if engine.add_rule(rule).is_err() {
            continue;
        }
        rules.push(RuleCost {
            rule: info.clone(),
            nanos_per_event: (time(&engine, &views) - base).max(0.0),
        });
    }
    rules.sort_by(|a, b| b.nanos_per_event.total_cmp(&a.nanos_per_event));
    Ok(RuleProfile {
        events: views.len() as u64,
        rules,
    })
}

type Views = Vec<Vec<(LogSource, Value)>>;

/// Mean ns per event for `engine` over `views` (best of three passes: the machine is noisy).
fn time(engine: &Routes, views: &Views) -> f64 {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            for event in views {
                for (source, view) in event {
                    black_box(engine.evaluate(view, source));
                }
            }
            started.elapsed().as_nanos() as f64 / views.len().max(1) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// The Sigma views (log source and document) of the case's `sample` oldest events, built once so
/// that only the rules are timed.
fn sample_views(store: &Store, sample: usize, cancel: &AtomicBool) -> Result<Views> {
    let request = SearchRequest {
        order: SortOrder::OldestFirst,
        ..SearchRequest::default()
    };
    let mut out = Vec::with_capacity(sample);
    let read = crate::search::for_each_hit(store, &request, cancel, &mut |_, event, _, record| {
        if out.len() >= sample {
            // Enough: stop the scan (told apart from a user's cancel below).
            return Err(Error::Cancelled);
        }
        let mut views: Vec<(LogSource, Value)> = sigma::views(event, record)
            .into_iter()
            .map(|(s, v)| (log_source(&s), v.into_owned()))
            .collect();
        views.push((log_source(&sigma::NORMALIZED), sigma::normalized(event)));
        out.push(views);
        Ok(())
    });
    match read {
        Err(Error::Cancelled) if !cancel.load(Ordering::Relaxed) => Ok(out),
        Err(e) => Err(e),
        Ok(_) => Ok(out),
    }
}

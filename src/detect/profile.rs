//! What each rule costs. The engine evaluates every rule of a log source together, which hides
//! who pays; here each single-event rule is compiled alone (routed by its log source as the
//! detector routes it) and timed over the same sample of the case's events, so a rule author
//! (`sightline rules profile`) and `make bench` can name the slowest rules. Correlations are left out: their cost is the pass after an import, measured
//! whole by a run.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rsigma_parser::LogSource;
use serde::Serialize;
use serde_json::Value;

use super::route::Routes;
use super::{Detector, RuleInfo, RuleSources};
use crate::case::Store;
use crate::error::{Error, Result};
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
    let mut rules = Vec::new();
    // The detector keeps only its compiled engines; the rules are read again to compile each alone.
    for rule in &super::read(sources).collection.rules {
        let Some(info) = detector.info_of(rule).filter(|r| !r.correlation) else {
            continue;
        };
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        // Routed as the detector routes it: a rule costs nothing on events of another source.
        // It compiled in the detector; a failure here would be the same failure, reported there.
        let (engine, failed) = Routes::build(&[rule]);
        if !failed.is_empty() {
            continue;
        }
        rules.push(RuleCost {
            rule: info.clone(),
            nanos_per_event: time(&engine, &views),
        });
    }
    rules.sort_by(|a, b| b.nanos_per_event.total_cmp(&a.nanos_per_event));
    Ok(RuleProfile {
        events: views.len() as u64,
        rules,
    })
}

/// Each event's views, with the log source as rsigma takes it.
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

/// The views of the case's `sample` oldest events (normalized view included, as the import
/// evaluates them), grouped per event and built once so that only the rules are timed.
fn sample_views(store: &Store, sample: usize, cancel: &AtomicBool) -> Result<Views> {
    let request = SearchRequest {
        order: SortOrder::OldestFirst,
        ..SearchRequest::default()
    };
    let mut out: Views = Vec::with_capacity(sample);
    let mut last: Option<String> = None;
    for v in super::views(store, &request, sample, true, cancel)? {
        let source = LogSource {
            product: v.product,
            service: v.service,
            category: v.category,
            ..LogSource::default()
        };
        if last.as_deref() != Some(v.id.as_str()) {
            out.push(Vec::new());
            last = Some(v.id);
        }
        if let Some(event) = out.last_mut() {
            event.push((source, v.fields));
        }
    }
    Ok(out)
}

//! Rules grouped by the log source they name. rsigma's engine checks each candidate rule's log
//! source against the event's, one rule at a time; with SigmaHQ's 2,400 Windows rules loaded
//! beside the cloud ones, a CloudTrail event paid for every Windows rule it could never match
//! (measured on the 1M-event bench case: import 43% slower with 2,862 rules than with none). Each
//! group here has its own engine, and an event is given only to the groups whose log source it
//! has, so a rule costs only the events it could match.
//!
//! An engine is built when the first event of its log source comes. Rules are compiled when
//! loaded (a rule that does not compile is listed then), but building an engine's candidate index
//! (Aho-Corasick automata over every needle of its rules) took most of the 1 s that loading
//! SigmaHQ's cloud, Linux and Windows rules cost; a CloudTrail import now never pays for the
//! Windows rules' index.

use std::sync::{Mutex, OnceLock};

use rsigma_eval::{CompiledRule, Engine, EvaluationResult, JsonEvent, MatchDetailLevel};
use rsigma_parser::{FilterRule, LogSource, SigmaRule};
use serde_json::Value;

/// One log source (`None`: any) and the rules that name it.
struct Route {
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
    /// The compiled rules until the engine is built from them.
    pending: Mutex<Vec<CompiledRule>>,
    engine: OnceLock<Engine>,
}

impl Route {
    /// Whether an event of `event`'s log source is one this route's rules are about (a field the
    /// rule names must be the event's, ASCII case aside; the rule's unnamed fields match any).
    fn admits(&self, event: &LogSource) -> bool {
        let fits = |rule: &Option<String>, event: &Option<String>| match (rule, event) {
            (None, _) => true,
            (Some(r), Some(e)) => r.eq_ignore_ascii_case(e),
            (Some(_), None) => false,
        };
        fits(&self.product, &event.product)
            && fits(&self.service, &event.service)
            && fits(&self.category, &event.category)
    }

    /// The route's engine, built from its rules the first time it is asked for; the index is
    /// built once over all of them (rsigma's one-at-a-time `add_rule` rebuilds it at doubling
    /// marks and leaves the rules added since the last one unindexed, tried on every event).
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| {
            let rules = match self.pending.lock() {
                Ok(mut p) => std::mem::take(&mut *p),
                Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
            };
            let mut engine = Engine::new();
            engine.set_match_detail(MatchDetailLevel::Summary);
            engine.extend_compiled_rules(rules);
            engine
        })
    }
}

#[derive(Default)]
pub(super) struct Routes {
    routes: Vec<Route>,
}

impl Routes {
    /// Compiles `rules`, each for the engine of its log source; returns the index in `rules` of
    /// each rule that does not compile, with why.
    pub fn build(rules: &[&SigmaRule]) -> (Routes, Vec<(usize, rsigma_eval::EvalError)>) {
        let lower = |s: &Option<String>| s.as_ref().map(|s| s.to_ascii_lowercase());
        let mut routes: Vec<Route> = Vec::new();
        let mut failed = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let compiled = match rsigma_eval::compile_rule(rule) {
                Ok(c) => c,
                Err(e) => {
                    failed.push((i, e));
                    continue;
                }
            };
            let (product, service, category) = (
                lower(&rule.logsource.product),
                lower(&rule.logsource.service),
                lower(&rule.logsource.category),
            );
            let found = routes
                .iter_mut()
                .find(|r| r.product == product && r.service == service && r.category == category);
            match found {
                Some(route) => route
                    .pending
                    .get_mut()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(compiled),
                None => routes.push(Route {
                    product,
                    service,
                    category,
                    pending: Mutex::new(vec![compiled]),
                    engine: OnceLock::new(),
                }),
            }
        }
        (Routes { routes }, failed)
    }

    /// Applies a filter to every group's rules (each filter names the rules it is for). The
    /// engines are built first: a filter that does not apply is told when the rules load.
    pub fn apply_filter(&mut self, filter: &FilterRule) -> rsigma_eval::Result<()> {
        for route in &mut self.routes {
            route.engine();
            if let Some(engine) = route.engine.get_mut() {
                engine.apply_filter(filter)?;
            }
        }
        Ok(())
    }

    /// The results of every rule for an event of `source`.
    pub fn evaluate(&self, view: &Value, source: &LogSource) -> Vec<EvaluationResult> {
        let event = JsonEvent::borrow(view);
        let mut out = Vec::new();
        for route in self.routes.iter().filter(|r| r.admits(source)) {
            out.extend(route.engine().evaluate_with_logsource(&event, source));
        }
        out
    }
}

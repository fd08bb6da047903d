//! One control's evaluation: its checks over the selection, and the union of its evidence for
//! the count, sources and samples.

use std::collections::BTreeMap;

use super::{
    coverage, framework, review, within, CheckKind, CheckResult, ControlResult, ControlStatus,
    Framework, ReviewEntry, RuleRef, SourceCompleteness, SourceCount, SourceIntegrity,
    SourceRetention, SAMPLES,
};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::SearchRequest;

/// What every control is evaluated against, gathered once.
pub(super) struct Facts<'a> {
    pub(super) store: &'a Store,
    pub(super) framework: &'a Framework,
    pub(super) scope: &'a SearchRequest,
    pub(super) completeness: &'a [SourceCompleteness],
    pub(super) retention: &'a [SourceRetention],
    pub(super) integrity: &'a [SourceIntegrity],
    pub(super) review: &'a [ReviewEntry],
    pub(super) review_total: u64,
    pub(super) rules: &'a BTreeMap<String, RuleRef>,
}

impl Facts<'_> {
    fn search(&self, query: &str, limit: usize) -> Result<crate::search::SearchResult> {
        crate::search::run(self.store, &self.within(query, limit)).map_err(|e| self.blame(query, e))
    }

    /// `query` within the selection, its first `limit` events and no counts.
    fn within(&self, query: &str, limit: usize) -> SearchRequest {
        SearchRequest {
            query: within(&self.scope.query, query),
            limit,
            ..self.scope.clone()
        }
    }

    /// A query error names the framework file it came from.
    fn blame(&self, query: &str, e: Error) -> Error {
        match e {
            Error::Query { position, message } => Error::Invalid(format!(
                "{}: query {query:?} at {position}: {message}",
                self.framework.file
            )),
            other => other,
        }
    }

    pub(super) fn control(&self, c: &framework::Control) -> Result<ControlResult> {
        let mut result = ControlResult {
            id: c.id.clone(),
            title: c.title.clone(),
            requires: c.requires.clone(),
            status: ControlStatus::NotApplicable,
            count: 0,
            sources: Vec::new(),
            query: None,
            samples: Vec::new(),
            checks: Vec::new(),
            cannot_show: c.cannot_show.clone(),
        };
        if let Some(applies) = &c.applies_to {
            if self.search(applies, 0)?.total == 0 {
                result.checks.push(CheckResult {
                    kind: CheckKind::Evidence,
                    name: "applies to".into(),
                    status: ControlStatus::NotApplicable,
                    count: Some(0),
                    query: Some(applies.clone()),
                    detail: "these logs hold no events of the kind this control is about".into(),
                    rule: None,
                });
                return Ok(result);
            }
        }
        for e in &c.evidence {
            result.checks.push(self.evidence(e)?);
        }
        if !c.evidence.is_empty() {
            let union = c
                .evidence
                .iter()
                .map(|e| format!("({})", e.query_text()))
                .collect::<Vec<_>>()
                .join(" OR ");
            let found = self.search(&union, SAMPLES)?;
            result.count = found.total;
            let mut sources: Vec<SourceCount> =
                crate::search::spans::events_by_format(self.store, &self.within(&union, 0))
                    .map_err(|e| self.blame(&union, e))?
                    .into_iter()
                    .map(|(source, events)| SourceCount { source, events })
                    .collect();
            sources.sort_by(|a, b| b.events.cmp(&a.events).then(a.source.cmp(&b.source)));
            result.sources = sources;
            result.samples = found.events;
            result.query = Some(union);
        }
        if !c.fields.is_empty() {
            result.checks.push(self.fields(&c.fields)?);
        }
        if c.retention {
            result
                .checks
                .push(coverage::retention_check(self.retention, self.framework));
        }
        if c.integrity {
            result
                .checks
                .push(coverage::integrity_check(self.integrity));
        }
        if c.review {
            result
                .checks
                .push(review::check(self.review, self.review_total));
        }
        let parts: Vec<ControlStatus> = result.checks.iter().map(|k| k.status).collect();
        result.status = ControlStatus::combine(&parts);
        Ok(result)
    }

    fn evidence(&self, e: &framework::Evidence) -> Result<CheckResult> {
        let query = e.query_text();
        let total = self.search(&query, 0)?.total;
        let rule = e.rule.as_ref().map(|id| {
            self.rules.get(id).cloned().unwrap_or(RuleRef {
                id: id.clone(),
                title: None,
                author: None,
                path: None,
            })
        });
        let detail = match (total, &rule) {
            (0, Some(r)) if r.title.is_none() => {
                "the rule is not in Sightline's pack and has no hits in this case".to_string()
            }
            (0, Some(_)) => "the rule matched no event here (or did not run on this case)".into(),
            (0, None) => "no event here".to_string(),
            (1, _) => "1 event".to_string(),
            (n, _) => format!("{n} events"),
        };
        Ok(CheckResult {
            kind: CheckKind::Evidence,
            name: e.name.clone(),
            status: if total > 0 {
                ControlStatus::Evidenced
            } else {
                ControlStatus::NoEvidence
            },
            count: Some(total),
            query: Some(query),
            detail,
            rule,
        })
    }

    /// Events carrying every field; evidenced when each field is on at least `min_share` of
    /// the events of every source.
    fn fields(&self, fields: &[String]) -> Result<CheckResult> {
        let query = fields
            .iter()
            .filter_map(|f| framework::field_query(f))
            .collect::<Vec<_>>()
            .join(" ");
        let total = self.search(&query, 0)?.total;
        let min = self.framework.min_share;
        let mut short = Vec::new();
        for s in self.completeness.iter().filter(|s| s.events > 0) {
            for f in fields {
                let share = s.fields.get(f).copied().unwrap_or(0.0);
                if share < min {
                    short.push(format!("{} {f} {:.0}%", s.source, share * 100.0));
                }
            }
        }
        let sources = self.completeness.iter().filter(|s| s.events > 0).count();
        let status = if sources == 0 || total == 0 {
            ControlStatus::NoEvidence
        } else if short.is_empty() {
            ControlStatus::Evidenced
        } else {
            ControlStatus::Partial
        };
        let detail = if short.is_empty() {
            format!(
                "{total} events carry every field; each field is on at least {:.0}% of every source's events",
                min * 100.0
            )
        } else {
            let more = match short.len() {
                n if n > 8 => format!(" and {} more (see field completeness)", n - 8),
                _ => String::new(),
            };
            short.truncate(8);
            format!(
                "{total} events carry every field; below {:.0}%: {}{more}",
                min * 100.0,
                short.join(", ")
            )
        };
        Ok(CheckResult {
            kind: CheckKind::Fields,
            name: format!("fields: {}", fields.join(", ")),
            status,
            count: Some(total),
            query: Some(query),
            detail,
            rule: None,
        })
    }
}

//! The incident report: one self-contained HTML page for the current selection (timeline,
//! actors, tagged events with notes, the integrity verdict, the sources and their hashes) that
//! opens offline, loads nothing, runs no script and prints cleanly.
//!
//! The page is written with maud, whose templates escape every value unless told otherwise, so
//! `<script>` in a log field is shown as text; the only unescaped text is the style sheet below.

use std::collections::HashMap;
use std::path::Path;

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::{Deserialize, Serialize};

use crate::case::journal::{JournalCheck, JournalHead};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::integrity::IntegrityReport;
use crate::model::{SearchRequest, Severity, SortOrder};
use crate::search::{EventRow, FacetValue, Histogram, SearchResult};

/// Rows of marked events shown; a report is read by people.
const MAX_MARKED: usize = 500;
const TOP_ACTORS: usize = 20;
/// Events listed per rule in the detections section.
const RULE_EVENTS: usize = 5;

const STYLE: &str = "body{font:13px/1.45 system-ui,sans-serif;margin:24px;color:#1b2330} h1{font-size:20px} h2{font-size:16px;margin-top:24px;border-bottom:1px solid #ccd}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #dde;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums} .mono{font-family:monospace;font-size:12px;word-break:break-all}
.crit{color:#c62828;font-weight:600} td.kind{white-space:nowrap;word-break:normal} .warn{color:#b26a00} .note{white-space:pre-wrap} @media print{body{margin:0} h2{break-after:avoid}}";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReportSummary {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub marked: u64,
    pub sha256: String,
    /// The case journal's newest entry when the report was written, as the page states it.
    pub journal_head: Option<JournalHead>,
}

/// A rule that fired in the case, as the selection sees it.
struct RuleInSelection {
    rule: crate::detect::RuleInfo,
    /// Events of the selection it matched, and of the whole case.
    count: u64,
    case_count: u64,
    /// The selection's first events it matched, oldest first.
    first: Vec<EventRow>,
}

/// Everything the page shows, gathered before it is drawn.
struct ReportData {
    case_id: String,
    generated: String,
    request: SearchRequest,
    all: SearchResult,
    marked: SearchResult,
    failed_by: HashMap<String, u64>,
    hashes: HashMap<String, String>,
    integrity: Option<IntegrityReport>,
    journal: JournalCheck,
    head: Option<JournalHead>,
    detections: Vec<RuleInSelection>,
    /// The span the selected events actually cover, which an open-ended range does not say.
    span: String,
}

/// Writes the incident report of `req`'s selection to `out`.
pub fn report(store: &Store, out: &Path, req: &SearchRequest) -> Result<ReportSummary> {
    let data = gather(store, req)?;
    let page = render(&data).into_string();
    let partial = out.with_extension("partial");
    std::fs::write(&partial, &page).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))?;
    Ok(ReportSummary {
        events: data.all.total,
        marked: data.marked.total,
        sha256: crate::bundle::sha256_hex(page.as_bytes()),
        journal_head: data.head,
    })
}

fn gather(store: &Store, req: &SearchRequest) -> Result<ReportData> {
    let search = |r: &SearchRequest| crate::search::run(store, r);
    let all = search(&SearchRequest {
        offset: 0,
        limit: 0,
        facet_limit: 100_000,
        histogram_buckets: 120,
        ..req.clone()
    })?;
    let scope = |extra: &str| SearchRequest {
        query: if req.query.trim().is_empty() {
            extra.to_string()
        } else {
            format!("({}) {extra}", req.query)
        },
        offset: 0,
        limit: MAX_MARKED,
        facet_limit: 0,
        histogram_buckets: 0,
        order: SortOrder::OldestFirst,
        ..req.clone()
    };
    let marked = search(&scope("is:marked"))?;
    let failures = search(&SearchRequest {
        facet_limit: 100_000,
        limit: 0,
        ..scope("outcome:failure")
    })?;
    let failed_by = facet(&failures, "actor")
        .into_iter()
        .map(|v| (v.value, v.count))
        .collect();
    let hashes = store
        .manifest()?
        .into_iter()
        .filter_map(|f| Some((f.path, f.sha256?)))
        .collect();
    let edge = |order| -> Result<String> {
        let r = search(&SearchRequest {
            offset: 0,
            limit: 1,
            facet_limit: 0,
            histogram_buckets: 0,
            order,
            ..req.clone()
        })?;
        Ok(r.events
            .first()
            .and_then(|e| e.time.clone())
            .unwrap_or_else(|| "–".to_string()))
    };
    let span = format!(
        "{} → {}",
        edge(SortOrder::OldestFirst)?,
        edge(SortOrder::NewestFirst)?
    );
    let detections = rules_in_selection(store, &all, &scope)?;
    Ok(ReportData {
        detections,
        case_id: store.id().to_string(),
        generated: store.now_text(),
        request: req.clone(),
        all,
        marked,
        failed_by,
        hashes,
        integrity: crate::integrity::last_report(store)?,
        journal: store.journal()?,
        head: store.journal_head()?,
        span,
    })
}

/// The case's detections with their events in the selection: the counts from the selection's
/// rule facet, the first events from a search for each rule within it.
fn rules_in_selection(
    store: &Store,
    all: &SearchResult,
    scope: &dyn Fn(&str) -> SearchRequest,
) -> Result<Vec<RuleInSelection>> {
    let counts: HashMap<String, u64> = facet(all, "rule")
        .into_iter()
        .map(|v| (v.value, v.count))
        .collect();
    let mut out = Vec::new();
    for d in crate::detect::detections(store)? {
        let count = counts.get(&d.rule.title).copied().unwrap_or(0);
        // The id when the rule has one: a title may hold a quote the query cannot.
        let name = d.rule.id.clone().unwrap_or_else(|| d.rule.title.clone());
        let first = if count == 0 || name.contains('"') {
            Vec::new()
        } else {
            crate::search::run(
                store,
                &SearchRequest {
                    limit: RULE_EVENTS,
                    ..scope(&format!("rule:\"{name}\""))
                },
            )?
            .events
        };
        out.push(RuleInSelection {
            rule: d.rule,
            count,
            case_count: d.count,
            first,
        });
    }
    Ok(out)
}

fn facet(result: &SearchResult, name: &str) -> Vec<FacetValue> {
    result
        .facets
        .iter()
        .find(|f| f.field == name)
        .map(|f| f.values.clone())
        .unwrap_or_default()
}

fn render(d: &ReportData) -> Markup {
    let req = &d.request;
    let rfc = |t: Option<i64>| {
        t.map(crate::time::format_rfc3339)
            .unwrap_or_else(|| "–".to_string())
    };
    let range = if req.from.is_none() && req.to.is_none() {
        "all time".to_string()
    } else {
        format!("{} → {}", rfc(req.from), rfc(req.to))
    };
    let filters = req
        .filters
        .iter()
        .map(|f| {
            let not = if f.exclude { "NOT " } else { "" };
            format!("{not}{}={}", f.field, f.value)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let untimed = match d.all.histogram.untimed {
        0 => String::new(),
        n => format!("; {n} without a time"),
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                title { "Sightline incident report" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Incident report" }
                table { tbody {
                    tr { th { "case" } td.mono { (d.case_id) } }
                    tr { th { "generated" } td { (d.generated) " by sightline " (env!("CARGO_PKG_VERSION")) } }
                    tr {
                        th { "journal head" }
                        td.mono { @match &d.head { Some(h) => (h), None => "empty" } }
                    }
                    tr { th { "selection" } td.mono { (if req.query.is_empty() { "all events" } else { &req.query }) } }
                    tr { th { "filters" } td.mono { (filters) } }
                    tr { th { "time range" } td { (range) " (UTC)" } }
                    tr { th { "events" } td { (d.all.total) ": " (d.span) " (UTC)" (untimed) } }
                } }
                h2 { "Timeline" }
                (timeline(&d.all.histogram))
                (actors(d))
                (detections(d))
                (marked(d))
                (integrity(d))
                (sources(d))
            }
        }
    }
}

fn actors(d: &ReportData) -> Markup {
    html! {
        h2 { "Actors" }
        table {
            thead { tr { th { "actor" } th { "events" } th { "failures" } } }
            tbody {
                @for a in facet(&d.all, "actor").iter().take(TOP_ACTORS) {
                    tr {
                        td.mono { (a.value) }
                        td.n { (a.count) }
                        td.n { (d.failed_by.get(&a.value).copied().unwrap_or(0)) }
                    }
                }
            }
        }
    }
}

fn detections(d: &ReportData) -> Markup {
    let fired: Vec<_> = d.detections.iter().filter(|r| r.count > 0).collect();
    html! {
        h2 { "Detections (" (fired.len()) " rules)" }
        @if fired.is_empty() {
            p { "No detection rule matched an event of the selection." }
        } @else {
            p { "Each rule is named with its author, as the Detection Rule License asks of SigmaHQ's rules." }
            table {
                thead { tr {
                    th { "level" } th { "rule" } th { "author" } th { "events" } th { "first events (UTC)" }
                } }
                tbody {
                    @for r in &fired {
                        tr {
                            td.kind { (r.rule.level) }
                            td { b { (r.rule.title) } br; span.mono { (r.rule.path) } }
                            td { (r.rule.author.as_deref().unwrap_or("unknown")) }
                            td.n { (r.count) @if r.case_count != r.count { " of " (r.case_count) } }
                            td.mono {
                                @for e in &r.first {
                                    (e.time.as_deref().unwrap_or("–")) " " (e.id) " · " (e.file) br;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn marked(d: &ReportData) -> Markup {
    let m = &d.marked;
    html! {
        h2 { "Marked events (" (m.total) ")" }
        @if m.total == 0 {
            p { "No event in the selection is tagged, starred or annotated." }
        } @else {
            @if m.total > m.events.len() as u64 {
                p { "The first " (m.events.len()) " by time are listed." }
            }
            table {
                thead { tr {
                    th { "time (UTC)" } th { "actor" } th { "action" } th { "outcome" }
                    th { "tags" } th { "note" } th { "event" }
                } }
                tbody {
                    @for e in &m.events {
                        @let marks = e.marks.clone().unwrap_or_default();
                        tr {
                            td.mono { (e.time.as_deref().unwrap_or("–")) }
                            td.mono { (e.actor.identity.label().unwrap_or("")) }
                            td { (e.action) }
                            td { (e.outcome) }
                            td { @if marks.starred { "★ " } (marks.tags.join(" ")) }
                            td.note { (marks.note.as_deref().unwrap_or("")) }
                            td.mono { (e.id) " · " (e.file) }
                        }
                    }
                }
            }
        }
    }
}

fn integrity(d: &ReportData) -> Markup {
    let Some(r) = &d.integrity else {
        return html! {
            h2 { "Integrity" }
            p { "The case has not been verified (run " code { "sightline verify" } ")." }
        };
    };
    let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let chain = match d.journal.first_bad {
        None => "chain intact".to_string(),
        Some(n) => format!("broken at entry {n}"),
    };
    html! {
        h2 { "Integrity" }
        p {
            "Verified " (r.checked_at) " (" (r.files_checked) " files): "
            span.crit { (count(Severity::Critical)) " critical" } ", "
            span.warn { (count(Severity::Warning)) " warning" } ", "
            (count(Severity::Info)) " info findings; "
            (r.digest_covered.len()) " log files covered by a CloudTrail digest. Journal: "
            (d.journal.entries.len()) " entries, " (chain) "."
        }
        table {
            thead { tr { th { "severity" } th { "kind" } th { "file" } th { "detail" } } }
            tbody {
                @for f in r.findings.iter().filter(|f| f.severity > Severity::Info) {
                    tr {
                        td class=(if f.severity == Severity::Critical { "crit" } else { "warn" }) { (f.severity.as_str()) }
                        td.mono.kind { (f.kind.as_str()) }
                        td.mono { (f.file.as_deref().unwrap_or("the case")) }
                        td { (f.detail) }
                    }
                }
            }
        }
    }
}

fn sources(d: &ReportData) -> Markup {
    html! {
        h2 { "Sources" }
        table {
            thead { tr { th { "file" } th { "events selected" } th { "SHA-256" } } }
            tbody {
                @for f in facet(&d.all, "file") {
                    tr {
                        td.mono { (f.value) }
                        td.n { (f.count) }
                        td.mono { (d.hashes.get(&f.value).map(String::as_str).unwrap_or("?")) }
                    }
                }
            }
        }
    }
}

/// The histogram as inline SVG bars, failures in red: no script, prints as drawn.
fn timeline(h: &Histogram) -> Markup {
    let n = h.buckets.len().max(1);
    let max = h
        .buckets
        .iter()
        .map(|b| b.success + b.failure + b.unknown)
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, hgt) = (900.0, 120.0);
    let bw = w / n as f64;
    let bar = (bw - 0.5f64).max(0.5);
    let px = |v: f64| format!("{v:.1}");
    html! {
        svg viewBox=(format!("0 0 {w} {}", hgt + 18.0)) width="100%" role="img" aria-label="events over time" {
            @for (i, b) in h.buckets.iter().enumerate() {
                @let total = b.success + b.failure + b.unknown;
                @let th = hgt * total as f64 / max as f64;
                @let fh = hgt * b.failure as f64 / max as f64;
                @let x = i as f64 * bw;
                rect x=(px(x)) y=(px(hgt - th)) width=(px(bar)) height=(px(th)) fill="#6b8fd6" {
                    title { (b.start) " · " (total) }
                }
                @if fh > 0.0 {
                    rect x=(px(x)) y=(px(hgt - fh)) width=(px(bar)) height=(px(fh)) fill="#c62828" {}
                }
            }
            @if let (Some(first), Some(last)) = (h.buckets.first(), h.buckets.last()) {
                text x="0" y=(hgt + 14.0) font-size="11" { (first.start) }
                text x=(w) y=(hgt + 14.0) font-size="11" text-anchor="end" { (last.start) }
            }
        }
    }
}

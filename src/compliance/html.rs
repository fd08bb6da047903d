//! The compliance report as one self-contained, printable HTML page, with the incident report's
//! safety: maud escapes every value (a `<script>` in a log field or a framework file shows as
//! text), a Content-Security-Policy forbids loading or running anything, and the only unescaped
//! text is the style sheet below.

use std::path::Path;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::coverage::verdict_text;
use super::{CheckResult, ComplianceReport, ControlResult, ControlStatus};
use crate::case::journal::JournalHead;
use crate::error::{Error, Result};

/// Review entries the page lists.
const PAGE_REVIEW: usize = 50;

const STYLE: &str = "body{font:13px/1.45 system-ui,sans-serif;margin:24px;color:#1b2330} h1{font-size:20px} h2{font-size:16px;margin-top:24px;border-bottom:1px solid #ccd} h3{font-size:14px;margin:16px 0 4px}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #dde;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums} .mono{font-family:monospace;font-size:12px;word-break:break-all}
.chip{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;white-space:nowrap} .evidenced{background:#d7f0dc;color:#1b5e20} .partial{background:#fff1c7;color:#7a5200}
.no_evidence{background:#eceff3;color:#37474f} .not_applicable{background:#f4f4f4;color:#777} .low{color:#b26a00} .control{break-inside:avoid;margin-bottom:14px} .muted{color:#667}
@media print{body{margin:0} h2{break-after:avoid}}";

/// Writes the page for `report` to `out` (through a partial file, so a reader never sees half
/// of it); returns its SHA-256.
pub fn write(report: &ComplianceReport, head: Option<&JournalHead>, out: &Path) -> Result<String> {
    let page = render(report, head).into_string();
    let partial = out.with_extension("partial");
    std::fs::write(&partial, &page).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))?;
    Ok(crate::bundle::sha256_hex(page.as_bytes()))
}

fn chip(s: ControlStatus) -> Markup {
    html! { span class={"chip " (s.as_str())} { (s.label()) } }
}

fn render(r: &ComplianceReport, head: Option<&JournalHead>) -> Markup {
    let rfc = |t: Option<i64>| {
        t.map(crate::time::format_rfc3339)
            .unwrap_or_else(|| "–".into())
    };
    let scope = &r.scope;
    let range = if scope.from.is_none() && scope.to.is_none() {
        "all time".to_string()
    } else {
        format!("{} → {}", rfc(scope.from), rfc(scope.to))
    };
    let filters: Vec<String> = scope
        .filters
        .iter()
        .map(|f| {
            format!(
                "{}{}={}",
                if f.exclude { "NOT " } else { "" },
                f.field,
                f.value
            )
        })
        .collect();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
                title { "Sightline compliance evidence: " (r.framework.title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Compliance evidence: " (r.framework.title) }
                @if let Some(about) = &r.framework.about { p { (about) } }
                table { tbody {
                    tr { th { "framework" } td { (r.framework.id) @if let Some(v) = &r.framework.version { " (" (v) ")" } " · " span.mono { (r.framework.file) } } }
                    tr { th { "case" } td.mono { (r.case_id) } }
                    tr { th { "generated" } td { (r.generated) " by sightline " (env!("CARGO_PKG_VERSION")) } }
                    tr { th { "journal head" } td.mono { @match head { Some(h) => (h), None => "empty" } } }
                    tr { th { "selection" } td.mono { (if scope.query.is_empty() { "all events" } else { &scope.query }) } }
                    @if !filters.is_empty() { tr { th { "filters" } td.mono { (filters.join(", ")) } } }
                    tr { th { "time range" } td { (range) " (UTC)" } }
                    tr { th { "events" } td { (r.events) ": " (r.first.as_deref().unwrap_or("–")) " → " (r.last.as_deref().unwrap_or("–")) " (UTC)" } }
                    tr { th { "controls" } td { @for (s, n) in &r.counts { (chip(*s)) " " (n) "  " } } }
                } }
                h2 { "What these logs cannot show" }
                p { "A status says what the logs hold, not whether the organization meets the control: "
                    em { "no evidence in these logs" } " is not " em { "non-compliant" } "." }
                ul { @for c in &r.cannot_show { li { (c) } } }
                h2 { "Controls" }
                @for c in &r.controls { (control(c)) }
                (completeness(r))
                (retention(r))
                (integrity(r))
                (review(r))
            }
        }
    }
}

fn control(c: &ControlResult) -> Markup {
    html! {
        div.control {
            h3 { (c.id) " — " (c.title) " " (chip(c.status)) }
            @if let Some(req) = &c.requires { p.muted { (req) } }
            table {
                thead { tr { th { "check" } th { "status" } th { "events" } th { "query (within the selection)" } th { "found" } } }
                tbody { @for k in &c.checks { (check(k)) } }
            }
            @if !c.sources.is_empty() {
                p { "Sources: " @for (i, s) in c.sources.iter().enumerate() { @if i > 0 { ", " } (s.source) " (" (s.events) ")" } }
            }
            @if let Some(q) = &c.query { p { "All its events: " span.mono { (q) } " — " (c.count) } }
            @if !c.samples.is_empty() {
                table {
                    thead { tr { th { "sample (UTC)" } th { "actor" } th { "action" } th { "outcome" } th { "source" } th { "event" } } }
                    tbody { @for e in &c.samples { tr {
                        td.mono { (e.time.as_deref().unwrap_or("–")) }
                        td.mono { (e.actor.identity.label().unwrap_or("")) }
                        td { (e.action) }
                        td { (e.outcome) }
                        td { (e.format) }
                        td.mono { (e.id) }
                    } } }
                }
            }
            @if let Some(no) = &c.cannot_show { p.muted { "Cannot show: " (no) } }
        }
    }
}

fn check(k: &CheckResult) -> Markup {
    html! {
        tr {
            td {
                (k.name)
                @if let Some(rule) = &k.rule {
                    br; span.muted { "rule " (rule.title.as_deref().unwrap_or(&rule.id)) " by " (rule.author.as_deref().unwrap_or("unknown author")) }
                }
            }
            td { (chip(k.status)) }
            td.n { @if let Some(n) = k.count { (n) } }
            td.mono { (k.query.as_deref().unwrap_or("")) }
            td { (k.detail) }
        }
    }
}

fn completeness(r: &ComplianceReport) -> Markup {
    let fields: Vec<&str> = super::framework::FIELDS.iter().map(|(n, _)| *n).collect();
    html! {
        h2 { "Field completeness per source" }
        p.muted { "Share of each source's events that carry the field (AU-3, PCI DSS 10.2.2); below " (format!("{:.0}%", r.framework.min_share * 100.0)) " is marked. Queries: "
            @for (n, q) in super::framework::FIELDS { span.mono { (n) " = " (q) } "; " } }
        table {
            thead { tr { th { "source" } th { "events" } @for f in &fields { th { (f) } } } }
            tbody { @for s in &r.completeness { tr {
                td { (s.source) } td.n { (s.events) }
                @for f in &fields {
                    @let share = s.fields.get(*f).copied().unwrap_or(0.0);
                    td.n class=@if share < r.framework.min_share { "n low" } @else { "n" } { (format!("{:.1}%", share * 100.0)) }
                }
            } } }
        }
    }
}

fn retention(r: &ComplianceReport) -> Markup {
    html! {
        h2 { "Retention coverage per source" }
        table {
            thead { tr { th { "source" } th { "events" } th { "first (UTC)" } th { "last (UTC)" } th { "days" } th { "days with events" } th { "required" } th { "silences over a day" } } }
            tbody { @for s in &r.retention { tr {
                td { (s.source) } td.n { (s.events) }
                td.mono { (s.first.as_deref().unwrap_or("–")) } td.mono { (s.last.as_deref().unwrap_or("–")) }
                td.n class=@if s.required_days.is_some_and(|d| s.days < d) { "n low" } @else { "n" } { (s.days) }
                td.n { (s.active_days) }
                td.n { @match s.required_days { Some(d) => (d), None => "–" } }
                td {
                    @if s.silences_total == 0 { "none" }
                    @for g in &s.silences { span.mono { (g.from) " → " (g.to) } " (" (g.days) " d)" br; }
                    @if s.silences_total > s.silences.len() as u64 { "… " (s.silences_total) " in all" }
                }
            } } }
        }
    }
}

fn integrity(r: &ComplianceReport) -> Markup {
    html! {
        h2 { "Integrity per source (last verify)" }
        table {
            thead { tr { th { "source" } th { "files" } th { "verdicts" } th { "not verified" } th { "verified at" } } }
            tbody { @for s in &r.integrity { tr {
                td { (s.source) } td.n { (s.files) }
                td { @if s.verdicts.is_empty() { "not verified" } @for (v, n) in &s.verdicts { (n) " " (verdict_text(*v)) br; } }
                td.n { (s.not_verified) }
                td { (s.verified_at.as_deref().unwrap_or("never")) }
            } } }
        }
    }
}

fn review(r: &ComplianceReport) -> Markup {
    html! {
        h2 { "Review trail (case journal, " (r.review_total) " entries)" }
        @if r.review.is_empty() {
            p { "The journal shows no search, verify, detection run, mark or report on this case." }
        } @else {
            table {
                thead { tr { th { "#" } th { "at (UTC)" } th { "by" } th { "action" } th { "what" } } }
                tbody { @for e in r.review.iter().take(PAGE_REVIEW) { tr {
                    td.n { (e.seq) } td.mono { (e.at) } td { (e.by.as_deref().unwrap_or("–")) } td { (e.action) } td.mono { (e.what) }
                } } }
            }
            @if r.review.len() > PAGE_REVIEW { p.muted { "The newest " (PAGE_REVIEW) " are listed; the JSON output holds up to " (super::review::MAX_ENTRIES) "." } }
        }
    }
}

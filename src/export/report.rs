//! The incident report: one self-contained HTML page for the current selection (timeline,
//! actors, tagged events with notes, the integrity verdict, the sources and their hashes) that
//! opens offline, loads nothing, runs no script and prints cleanly. Every value from the logs is
//! escaped: the page shows `<script>` as text.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::error::{Error, Result};
use crate::search::{Histogram, SearchRequest};

/// Rows of marked events shown; a report is read by people.
const MAX_MARKED: usize = 500;
const TOP_ACTORS: usize = 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReportSummary {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub marked: u64,
    pub sha256: String,
}

/// HTML-escapes text (element content and quoted attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The histogram as inline SVG bars, failures in red: no script, prints as drawn.
fn svg(h: &Histogram) -> String {
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
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {}" width="100%" role="img" aria-label="events over time">"#,
        hgt + 18.0
    );
    for (i, b) in h.buckets.iter().enumerate() {
        let total = b.success + b.failure + b.unknown;
        let th = hgt * total as f64 / max as f64;
        let fh = hgt * b.failure as f64 / max as f64;
        let x = i as f64 * bw;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{th:.1}" fill="#6b8fd6"><title>{} · {total}</title></rect>"##,
            hgt - th,
            (bw - 0.5).max(0.5),
            escape(&b.start)
        );
        if fh > 0.0 {
            let _ = write!(
                s,
                r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{fh:.1}" fill="#c62828"/>"##,
                hgt - fh,
                (bw - 0.5).max(0.5)
            );
        }
    }
    if let (Some(first), Some(last)) = (h.buckets.first(), h.buckets.last()) {
        let _ = write!(
            s,
            r#"<text x="0" y="{}" font-size="11">{}</text><text x="{w}" y="{}" font-size="11" text-anchor="end">{}</text>"#,
            hgt + 14.0,
            escape(&first.start),
            hgt + 14.0,
            escape(&last.start)
        );
    }
    s.push_str("</svg>");
    s
}

impl Case {
    /// Writes the incident report of `req`'s selection to `out`; recorded in the journal.
    pub fn report(&self, out: &Path, req: &SearchRequest) -> Result<ReportSummary> {
        let all = self.search(&SearchRequest {
            offset: 0,
            limit: 0,
            facet_limit: 100_000,
            histogram_buckets: 120,
            ..req.clone()
        })?;
        let facet = |name: &str| {
            all.facets
                .iter()
                .find(|f| f.field == name)
                .map(|f| f.values.clone())
                .unwrap_or_default()
        };
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
            order: crate::search::SortOrder::OldestFirst,
            ..req.clone()
        };
        let marked = self.search(&scope("is:marked"))?;
        let failures = self.search(&SearchRequest {
            facet_limit: 100_000,
            limit: 0,
            ..scope("outcome:failure")
        })?;
        let failed_by: std::collections::HashMap<String, u64> = failures
            .facets
            .iter()
            .find(|f| f.field == "actor")
            .map(|f| {
                f.values
                    .iter()
                    .map(|v| (v.value.clone(), v.count))
                    .collect()
            })
            .unwrap_or_default();
        let hashes: std::collections::HashMap<String, String> = self
            .manifest()?
            .into_iter()
            .filter_map(|f| Some((f.path, f.sha256?)))
            .collect();
        let integrity = self.last_integrity_report()?;
        let journal = self.journal()?;
        let rfc = |t: Option<i64>| {
            t.map(crate::time::format_rfc3339)
                .unwrap_or_else(|| "–".to_string())
        };
        // The span the selected events actually cover, which an open-ended range does not say.
        let edge = |order| -> Result<String> {
            let r = self.search(&SearchRequest {
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
            edge(crate::search::SortOrder::OldestFirst)?,
            edge(crate::search::SortOrder::NewestFirst)?
        );
        let range = if req.from.is_none() && req.to.is_none() {
            "all time".to_string()
        } else {
            format!("{} → {}", rfc(req.from), rfc(req.to))
        };
        let untimed = match all.histogram.untimed {
            0 => String::new(),
            n => format!("; {n} without a time"),
        };

        let mut h = String::new();
        let _ = write!(
            h,
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Sightline incident report</title><style>
body{{font:13px/1.45 system-ui,sans-serif;margin:24px;color:#1b2330}} h1{{font-size:20px}} h2{{font-size:16px;margin-top:24px;border-bottom:1px solid #ccd}}
table{{border-collapse:collapse;width:100%}} th,td{{text-align:left;padding:3px 6px;border-bottom:1px solid #dde;vertical-align:top}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}} .mono{{font-family:monospace;font-size:12px;word-break:break-all}}
.crit{{color:#c62828;font-weight:600}} td.kind{{white-space:nowrap;word-break:normal}} .warn{{color:#b26a00}} .note{{white-space:pre-wrap}} @media print{{body{{margin:0}} h2{{break-after:avoid}}}}
</style></head><body>
<h1>Incident report</h1>
<table><tbody>
<tr><th>case</th><td class="mono">{}</td></tr><tr><th>generated</th><td>{} by sightline {}</td></tr>
<tr><th>selection</th><td class="mono">{}</td></tr><tr><th>filters</th><td class="mono">{}</td></tr>
<tr><th>time range</th><td>{} (UTC)</td></tr><tr><th>events</th><td>{}: {} (UTC){}</td></tr>
</tbody></table>"#,
            escape(self.id()),
            escape(&self.now_text()),
            env!("CARGO_PKG_VERSION"),
            escape(if req.query.is_empty() {
                "all events"
            } else {
                &req.query
            }),
            escape(
                &req.filters
                    .iter()
                    .map(|f| format!(
                        "{}{}={}",
                        if f.exclude { "NOT " } else { "" },
                        f.field,
                        f.value
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            escape(&range),
            all.total,
            escape(&span),
            untimed
        );
        let _ = write!(h, "<h2>Timeline</h2>{}", svg(&all.histogram));

        h.push_str("<h2>Actors</h2><table><thead><tr><th>actor</th><th>events</th><th>failures</th></tr></thead><tbody>");
        for a in facet("actor").iter().take(TOP_ACTORS) {
            let _ = write!(
                h,
                r#"<tr><td class="mono">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                escape(&a.value),
                a.count,
                failed_by.get(&a.value).copied().unwrap_or(0)
            );
        }
        h.push_str("</tbody></table>");

        let _ = write!(h, "<h2>Marked events ({})</h2>", marked.total);
        if marked.total == 0 {
            h.push_str("<p>No event in the selection is tagged, starred or annotated.</p>");
        } else if marked.total > marked.events.len() as u64 {
            let _ = write!(
                h,
                "<p>The first {} by time are listed.</p>",
                marked.events.len()
            );
        }
        if marked.total > 0 {
            h.push_str("<table><thead><tr><th>time (UTC)</th><th>actor</th><th>action</th><th>outcome</th><th>tags</th><th>note</th><th>event</th></tr></thead><tbody>");
            for e in &marked.events {
                let m = e.marks.clone().unwrap_or_default();
                let _ = write!(
                    h,
                    r#"<tr><td class="mono">{}</td><td class="mono">{}</td><td>{}</td><td>{}</td><td>{}{}</td><td class="note">{}</td><td class="mono">{} · {}</td></tr>"#,
                    escape(e.time.as_deref().unwrap_or("–")),
                    escape(e.actor.identity.label().unwrap_or("")),
                    escape(&e.action),
                    escape(&e.outcome),
                    if m.starred { "★ " } else { "" },
                    escape(&m.tags.join(" ")),
                    escape(m.note.as_deref().unwrap_or("")),
                    escape(&e.id),
                    escape(&e.file)
                );
            }
            h.push_str("</tbody></table>");
        }

        h.push_str("<h2>Integrity</h2>");
        match &integrity {
            None => h.push_str(
                "<p>The case has not been verified (run <code>sightline verify</code>).</p>",
            ),
            Some(r) => {
                let count = |s: crate::integrity::Severity| {
                    r.findings.iter().filter(|f| f.severity == s).count()
                };
                let _ = write!(
                    h,
                    r#"<p>Verified {} ({} files): <span class="crit">{} critical</span>, <span class="warn">{} warning</span>, {} info findings; {} log files covered by a CloudTrail digest. Journal: {} entries, {}.</p>"#,
                    escape(&r.checked_at),
                    r.files_checked,
                    count(crate::integrity::Severity::Critical),
                    count(crate::integrity::Severity::Warning),
                    count(crate::integrity::Severity::Info),
                    r.digest_covered.len(),
                    journal.entries.len(),
                    match journal.first_bad {
                        None => "chain intact".to_string(),
                        Some(n) => format!("broken at entry {n}"),
                    }
                );
                h.push_str("<table><thead><tr><th>severity</th><th>kind</th><th>file</th><th>detail</th></tr></thead><tbody>");
                for f in r
                    .findings
                    .iter()
                    .filter(|f| f.severity > crate::integrity::Severity::Info)
                {
                    let _ = write!(
                        h,
                        r#"<tr><td class="{}">{:?}</td><td class="mono kind">{}</td><td class="mono">{}</td><td>{}</td></tr>"#,
                        if f.severity == crate::integrity::Severity::Critical {
                            "crit"
                        } else {
                            "warn"
                        },
                        f.severity,
                        escape(&f.kind),
                        escape(f.file.as_deref().unwrap_or("the case")),
                        escape(&f.detail)
                    );
                }
                h.push_str("</tbody></table>");
            }
        }

        h.push_str("<h2>Sources</h2><table><thead><tr><th>file</th><th>events selected</th><th>SHA-256</th></tr></thead><tbody>");
        for f in facet("file") {
            let _ = write!(
                h,
                r#"<tr><td class="mono">{}</td><td class="n">{}</td><td class="mono">{}</td></tr>"#,
                escape(&f.value),
                f.count,
                escape(hashes.get(&f.value).map(String::as_str).unwrap_or("?"))
            );
        }
        h.push_str("</tbody></table></body></html>\n");

        let partial = out.with_extension("partial");
        std::fs::write(&partial, &h).map_err(|e| Error::io(&partial, e))?;
        std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))?;
        let sha256 = crate::bundle::sha256_hex(h.as_bytes());
        if self.is_writable() {
            self.journal_append(
                "report",
                &serde_json::json!({
                    "file": out.display().to_string(),
                    "sha256": sha256,
                    "query": req.query,
                    "events": all.total,
                }),
            )?;
        }
        Ok(ReportSummary {
            events: all.total,
            marked: marked.total,
            sha256,
        })
    }
}

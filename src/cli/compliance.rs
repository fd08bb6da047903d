//! `sightline compliance`: evidence per control of a framework, as text, JSON or an HTML page.

use std::sync::Arc;

use anyhow::Result;
use sightline::api::{ComplianceReport, ControlStatus, SystemClock};

use super::args::ComplianceArgs;
use super::safe::safe;

pub fn run(args: ComplianceArgs, clock: Arc<SystemClock>) -> Result<()> {
    let filters = super::filters(&args.filter, &args.exclude)?;
    let scope = super::selection(
        &args.query,
        args.from.as_deref(),
        args.to.as_deref(),
        filters,
        true,
    )?;
    let case = super::commands::open_shared(&args.case, clock)?;
    let (report, written) = match &args.out {
        Some(out) => {
            let (report, file) = case.compliance_report(&args.framework, &scope, out)?;
            (report, Some((out, file.sha256)))
        }
        None => (case.compliance(&args.framework, &scope)?, None),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    if let Some((out, sha256)) = written {
        eprintln!(
            "wrote {} (SHA-256 {sha256})",
            safe(&out.display().to_string())
        );
    }
    Ok(())
}

fn text(r: &ComplianceReport) -> String {
    let mut out = String::new();
    outln!(out, "{} — {} events", safe(&r.framework.title), r.events);
    outln!(
        out,
        "period: {} .. {}",
        r.first.as_deref().unwrap_or("-"),
        r.last.as_deref().unwrap_or("-")
    );
    let counts: Vec<String> = r
        .counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.label()))
        .collect();
    outln!(out, "controls: {}\n", counts.join(", "));
    for c in &r.controls {
        let status = match c.status {
            ControlStatus::Evidenced => "EVIDENCED  ",
            ControlStatus::Partial => "PARTIAL    ",
            ControlStatus::NoEvidence => "NO EVIDENCE",
            ControlStatus::NotApplicable => "N/A        ",
        };
        outln!(out, "{status} {} {}", safe(&c.id), safe(&c.title));
        for k in &c.checks {
            let rule = k
                .rule
                .as_ref()
                .map(|r| {
                    format!(
                        " [rule {} by {}]",
                        r.title.as_deref().unwrap_or(&r.id),
                        r.author.as_deref().unwrap_or("unknown author")
                    )
                })
                .unwrap_or_default();
            outln!(
                out,
                "    {:<14} {}{}: {}",
                k.status.label(),
                safe(&k.name),
                safe(&rule),
                safe(&k.detail)
            );
            if let Some(q) = &k.query {
                outln!(out, "    {:<14} query: {}", "", safe(q));
            }
        }
    }
    outln!(
        out,
        "\nretention (days covered / required, silences over a day):"
    );
    for s in &r.retention {
        outln!(
            out,
            "  {:<20} {:>6} / {:<6} {} .. {}  {} silences",
            safe(&s.source),
            s.days,
            s.required_days.map_or("-".to_string(), |d| d.to_string()),
            s.first.as_deref().unwrap_or("-"),
            s.last.as_deref().unwrap_or("-"),
            s.silences_total
        );
    }
    outln!(out, "\nintegrity (last verify):");
    for s in &r.integrity {
        let verdict = s.verdict.map_or("not verified".to_string(), |v| {
            format!("{v:?}").to_lowercase()
        });
        outln!(
            out,
            "  {:<20} {} files, worst: {verdict}, {} not verified",
            safe(&s.source),
            s.files,
            s.not_verified
        );
    }
    outln!(
        out,
        "\nreview trail: {} entries in the case journal",
        r.review_total
    );
    outln!(out, "\nwhat these logs cannot show:");
    for c in &r.cannot_show {
        outln!(out, "  - {}", safe(c));
    }
    out
}

//! Evidence export: rows equal the search, values survive a round trip, formulas come out inert,
//! the manifest's hashes match the files, redaction leaves no original value behind.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use sightline::api::Case;
use sightline::api::{ExportFormat, ExportManifest, ExportOptions};
use sightline::api::{SearchRequest, SortOrder};

use crate::support::{fixtures, import, new_case, search};

fn case_with_samples(dir: &Path) -> Case {
    let case = new_case(dir);
    import(
        &case,
        &[
            fixtures().join("cloudtrail"),
            fixtures().join("formats/m365"),
            fixtures().join("formats/okta"),
            fixtures().join("generic"),
        ],
    );
    case
}

fn export(case: &Case, out: &Path, options: &ExportOptions) -> ExportManifest {
    case.export(out, options, &|_| {}, &AtomicBool::new(false))
        .expect("export succeeds")
}

fn select(query: &str) -> SearchRequest {
    SearchRequest {
        query: query.to_string(),
        order: SortOrder::OldestFirst,
        ..SearchRequest::default()
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).expect("csv opens");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("an RFC 4180 row");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect();
    (header, rows)
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).expect("read");
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_csv_export_holds_the_search_with_provenance_and_a_manifest_that_proves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_with_samples(dir.path());
    let out = dir.path().join("evidence.csv");
    let manifest = export(&case, &out, &ExportOptions::default());

    let all = search(&case, "");
    let (header, rows) = read_csv(&out);
    assert_eq!(
        rows.len() as u64,
        all.total,
        "one row per event the search finds"
    );
    assert_eq!(manifest.rows, all.total);
    assert_eq!(header, sightline::api::export_columns());
    assert!(
        std::fs::read(&out)
            .expect("read")
            .windows(2)
            .any(|w| w == b"\r\n"),
        "RFC 4180 line ends"
    );

    // Values round-trip: every row matches the event the engine shows for its id.
    let by_id: BTreeMap<&str, &sightline::api::EventRow> =
        all.events.iter().map(|e| (e.id.as_str(), e)).collect();
    for row in &rows {
        let e = by_id[row["event_id"].as_str()];
        assert_eq!(row["action"].trim_start_matches('\''), e.action);
        assert_eq!(row["time"], e.time.clone().unwrap_or_default());
        assert_eq!(
            row["actor"],
            e.actor
                .identity
                .name
                .clone()
                .or(e.actor.identity.id.clone())
                .unwrap_or_default()
        );
        assert_eq!(row["source_file"], e.file);
    }
    let sample = &rows[rows.len() / 2];
    let detail = case.event(&sample["event_id"]).expect("event");
    assert_eq!(sample["record_sha256"], detail.raw_sha256);
    assert_eq!(sample["source_sha256"], detail.event.provenance.sha256);

    // The manifest: the export's hash, and every contributing source with its hash and rows.
    assert_eq!(manifest.sha256, sha256_of(&out));
    let written: ExportManifest = serde_json::from_slice(
        &std::fs::read(dir.path().join("evidence.csv.manifest.json")).expect("manifest beside"),
    )
    .expect("manifest parses");
    assert_eq!(written.sha256, manifest.sha256);
    assert_eq!(written.case_id, case.id());
    assert_eq!(written.time_zone, "UTC");
    let case_files: BTreeMap<String, String> = case
        .manifest()
        .expect("manifest")
        .into_iter()
        .filter_map(|f| Some((f.path, f.sha256?)))
        .collect();
    assert_eq!(
        written.sources.iter().map(|s| s.rows).sum::<u64>(),
        manifest.rows
    );
    for s in &written.sources {
        assert_eq!(case_files[&s.path], s.sha256, "{}", s.path);
    }
    let journal = case.journal().expect("journal");
    let last = journal.entries.last().expect("an entry");
    assert_eq!(last.action, "export");
    assert!(last.detail.contains(&manifest.sha256));
}

#[test]
fn formula_payloads_come_out_inert_and_text_otherwise_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_with_samples(dir.path());
    let out = dir.path().join("all.csv");
    export(&case, &out, &ExportOptions::default());
    let (_, rows) = read_csv(&out);
    let mut inert = 0;
    for row in &rows {
        for (column, cell) in row {
            let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && cell[1..].parse::<f64>().is_err());
            assert!(!risky, "{column} = {cell:?} would run in a spreadsheet");
            if cell.starts_with("'=HYPERLINK(") {
                inert += 1;
            }
        }
    }
    assert!(
        inert >= 1,
        "the M365 fixture's =HYPERLINK target is exported, prefixed"
    );
    // JSON lines keep the value exactly.
    let jsonl = dir.path().join("all.jsonl");
    export(
        &case,
        &jsonl,
        &ExportOptions {
            format: ExportFormat::Jsonl,
            ..ExportOptions::default()
        },
    );
    let text = std::fs::read_to_string(&jsonl).expect("read");
    assert!(text.lines().any(|l| {
        let v: serde_json::Value = serde_json::from_str(l).expect("json line");
        v["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("=HYPERLINK("))
    }));
}

#[test]
fn original_fields_round_trip_as_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_with_samples(dir.path());
    let out = dir.path().join("ct.jsonl");
    let manifest = export(
        &case,
        &out,
        &ExportOptions {
            request: select("format:cloudtrail"),
            format: ExportFormat::Jsonl,
            columns: vec!["event_id".into(), "record_sha256".into(), "raw.*".into()],
            ..ExportOptions::default()
        },
    );
    assert_eq!(manifest.rows, search(&case, "format:cloudtrail").total);
    assert!(manifest.columns.contains(&"raw.eventName".to_string()));
    for line in std::fs::read_to_string(&out).expect("read").lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("json line");
        let detail = case
            .event(row["event_id"].as_str().expect("id"))
            .expect("event");
        let original = detail.record.as_object().expect("object");
        for (key, value) in original {
            assert_eq!(&row[format!("raw.{key}")], value, "{key}");
        }
        assert_eq!(row["record_sha256"], detail.raw_sha256.as_str());
    }
    let unknown = case.export(
        &dir.path().join("x.csv"),
        &ExportOptions {
            columns: vec!["actr".into()],
            ..ExportOptions::default()
        },
        &|_| {},
        &AtomicBool::new(false),
    );
    assert!(unknown.is_err_and(|e| e.to_string().contains("unknown column \"actr\"")));
}

#[test]
fn the_case_keeps_one_redaction_key_so_a_redacted_export_is_reproducible() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_with_samples(dir.path());
    let key = case.redaction_key().expect("key made on first use");
    assert!(key.len() >= 16);
    assert_eq!(case.redaction_key().expect("key"), key, "kept, not remade");
    let run = |name: &str, key: Vec<u8>| {
        let out = dir.path().join(name);
        let manifest = export(
            &case,
            &out,
            &ExportOptions {
                redact_key: Some(key),
                ..ExportOptions::default()
            },
        );
        (std::fs::read(&out).expect("read"), manifest)
    };
    let (first, m1) = run("one.csv", key.clone());
    let (second, m2) = run("two.csv", case.redaction_key().expect("key"));
    assert_eq!(
        first, second,
        "the same selection redacted twice is the same file"
    );
    let id = |m: &ExportManifest| m.redaction.as_ref().expect("redacted")["key_id"].clone();
    assert_eq!(id(&m1), id(&m2));
    assert_eq!(
        id(&m1),
        serde_json::json!(sightline::api::redaction_key_id(&key))
    );
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let manifest = std::fs::read_to_string(dir.path().join("one.csv.manifest.json")).expect("read");
    assert!(
        !manifest.contains(&hex),
        "the key itself is never written out"
    );
    let (other, m3) = run("three.csv", b"another key, also 32 bytes long!".to_vec());
    assert_ne!(first, other, "another key, other pseudonyms");
    assert_ne!(id(&m1), id(&m3));
    drop(case);
    let reopened = new_case(dir.path());
    assert_eq!(
        reopened.redaction_key().expect("key"),
        key,
        "kept in the case"
    );
}

#[test]
fn redaction_leaves_no_original_identity_or_secret_and_keeps_pseudonyms_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_with_samples(dir.path());
    let key = b"a test key of thirty-two bytes!!".to_vec();
    let out = dir.path().join("shared.csv");
    let manifest = export(
        &case,
        &out,
        &ExportOptions {
            columns: vec![],
            redact_key: Some(key.clone()),
            ..ExportOptions::default()
        },
    );
    assert!(manifest.redaction.is_some());
    let text = std::fs::read_to_string(&out).expect("read");
    let manifest_text =
        std::fs::read_to_string(dir.path().join("shared.csv.manifest.json")).expect("manifest");
    assert!(
        !manifest_text.contains("a test key"),
        "the key is never recorded"
    );

    // Every identity and IP the events hold, and every access key id in the records.
    let all = search(&case, "");
    let mut originals = BTreeSet::new();
    for e in &all.events {
        let detail = case.event(&e.id).expect("event");
        let ev = &detail.event;
        for i in [Some(&ev.actor.identity), ev.actor.effective.as_ref()]
            .into_iter()
            .flatten()
        {
            originals.extend(i.name.clone());
            originals.extend(i.id.clone());
        }
        originals.extend(ev.source_ip.clone());
        if let Some(k) = detail
            .record
            .pointer("/userIdentity/accessKeyId")
            .and_then(|v| v.as_str())
        {
            originals.insert(k.to_string());
        }
    }
    let originals: Vec<String> = originals.into_iter().filter(|v| v.len() >= 3).collect();
    assert!(
        originals.len() > 20,
        "the samples hold identities to hide: {originals:?}"
    );
    for v in &originals {
        assert!(!text.contains(v.as_str()), "{v:?} survived redaction");
    }
    // Same value, same pseudonym, in this export and in another with the same key.
    let (_, rows) = read_csv(&out);
    let again = dir.path().join("again.csv");
    export(
        &case,
        &again,
        &ExportOptions {
            redact_key: Some(key),
            ..ExportOptions::default()
        },
    );
    let (_, rows2) = read_csv(&again);
    assert_eq!(rows, rows2, "a key gives the same pseudonyms every time");
    let mut actor_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (row, e) in rows.iter().zip(search(&case, "").events.iter().rev()) {
        let _ = e;
        actor_of
            .entry(row["actor"].clone())
            .or_default()
            .insert(row["event_id"].clone());
    }
    assert!(
        actor_of.keys().any(|a| a.starts_with("user-")),
        "{:?}",
        actor_of.keys()
    );
}

#[test]
fn the_cli_exports_a_query_as_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_with_samples(dir.path());
    let total = search(&case, "outcome:failure").total;
    drop(case);
    let out = dir.path().join("failures.jsonl");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["export", "--case"])
        .arg(dir.path().join("case"))
        .arg("--out")
        .arg(&out)
        .args(["--format", "jsonl", "--json", "outcome:failure"])
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let manifest: ExportManifest = serde_json::from_slice(&run.stdout).expect("manifest json");
    assert_eq!(manifest.rows, total);
    assert_eq!(manifest.query, "outcome:failure");
    assert_eq!(
        std::fs::read_to_string(&out).expect("read").lines().count() as u64,
        total
    );
}

#[test]
fn the_html_report_is_self_contained_and_shows_hostile_text_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = case_with_samples(dir.path());
    let hostile = search(&case, "\"alert(1)\"");
    assert!(hostile.total >= 1, "the fixtures hold a <script> payload");
    let id = &hostile.events[0].id;
    case.set_tag(id, "xss", true).expect("tag");
    case.set_note(id, "<img src=x onerror=alert(2)> looks injected")
        .expect("note");
    case.verify().expect("verify");
    let out = dir.path().join("report.html");
    let summary = case
        .report(&out, &SearchRequest::default())
        .expect("report");
    let html = std::fs::read_to_string(&out).expect("read");
    assert_eq!(summary.events, search(&case, "").total);
    assert_eq!(summary.marked, 1);
    assert_eq!(summary.sha256, sha256_of(&out));
    assert!(
        html.contains("default-src 'none'"),
        "the page loads nothing"
    );
    assert!(
        !html.contains("<script"),
        "no script, and the payload is text"
    );
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt; looks injected"));
    assert!(html.contains("<svg"), "the timeline is drawn inline");
    for f in case
        .manifest()
        .expect("manifest")
        .iter()
        .filter(|f| f.status == "imported")
    {
        assert!(
            html.contains(f.sha256.as_deref().unwrap_or("?")),
            "{} listed with its hash",
            f.path
        );
    }
    assert!(
        html.contains("Verified "),
        "the integrity verdict is in the report"
    );
    // An open-ended range still says which time the events cover.
    let oldest = case
        .page(&SearchRequest {
            limit: 1,
            order: SortOrder::OldestFirst,
            ..SearchRequest::default()
        })
        .expect("search");
    let newest = search(&case, "");
    let span = format!(
        "{} → {}",
        oldest.events[0].time.as_deref().expect("time"),
        newest.events[0].time.as_deref().expect("time")
    );
    assert!(html.contains("all time"));
    assert!(html.contains(&span), "the events' span {span} is stated");
    assert_eq!(
        case.journal()
            .expect("journal")
            .entries
            .last()
            .expect("entry")
            .action,
        "report"
    );

    // A selection without marks says so instead of drawing an empty table.
    let unmarked = dir.path().join("unmarked.html");
    let summary = case
        .report(
            &unmarked,
            &SearchRequest {
                query: "NOT is:marked".into(),
                ..SearchRequest::default()
            },
        )
        .expect("report");
    assert_eq!(summary.marked, 0);
    let html = std::fs::read_to_string(&unmarked).expect("read");
    assert!(html.contains("No event in the selection is tagged, starred or annotated."));
    assert!(!html.contains("<th>note</th>"));
}

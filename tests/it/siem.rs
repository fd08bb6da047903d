//! SIEM exports: a record wrapped by Splunk (JSON, CSV) or Elasticsearch/OpenSearch (a search
//! response, `elasticdump` lines) is the same event as the record imported bare.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sightline::api::{Case, SearchRequest, SortOrder};

use crate::support::{fixtures, import, new_case};

/// What a reader compares between two readings of one record.
type Seen = Vec<(
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
)>;

fn seen(case: &Case) -> Seen {
    let result = case
        .page(&SearchRequest {
            limit: 1000,
            order: SortOrder::OldestFirst,
            ..SearchRequest::default()
        })
        .expect("search");
    let mut out: Seen = result
        .events
        .into_iter()
        .map(|e| {
            (
                e.time,
                e.actor.identity.name,
                e.action,
                e.activity.as_str().to_string(),
                e.outcome,
                e.target.and_then(|t| t.name),
                e.ip,
                e.native_id,
                e.format,
                e.code,
            )
        })
        .collect();
    out.sort();
    out
}

/// The JSON records of a fixture: an array, a `Records` wrapper, one object, or JSON lines.
fn json_records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("fixture");
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) => items,
        Ok(Value::Object(mut m)) => match m.remove("Records") {
            Some(Value::Array(items)) => items,
            _ => vec![Value::Object(m)],
        },
        _ => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect(),
    }
}

fn csv_cell(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// One record per `(raw, sourcetype, time)`, as each export writes them.
fn splunk_json(rows: &[(String, &str, String)]) -> String {
    rows.iter()
        .map(|(raw, st, time)| {
            json!({"preview": false, "result": {"_time": time, "sourcetype": st, "host": "h1", "source": "s", "_raw": raw}})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn splunk_csv(rows: &[(String, &str, String)]) -> String {
    let mut out = String::from("\"_time\",\"host\",\"source\",\"sourcetype\",\"_raw\"\r\n");
    for (raw, st, time) in rows {
        out.push_str(&format!(
            "{},\"h1\",\"s\",{},{}\r\n",
            csv_cell(time),
            csv_cell(st),
            csv_cell(raw)
        ));
    }
    out
}

fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

fn splunk_xml(rows: &[(String, &str, String)]) -> String {
    let mut out = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<results preview='0'>\n<meta>\n<fieldOrder>\n<field>_raw</field>\n<field>_time</field>\n</fieldOrder>\n</meta>\n");
    for (i, (raw, st, time)) in rows.iter().enumerate() {
        out.push_str(&format!(
            "\t<result offset='{i}'>\n\t\t<field k='_raw'><v xml:space='preserve' trunc='0'>{}</v></field>\n\t\t<field k='_time'><value><text>{}</text></value></field>\n\t\t<field k='sourcetype'><value><text>{}</text></value></field>\n\t</result>\n",
            xml_text(raw),
            xml_text(time),
            xml_text(st)
        ));
    }
    out.push_str("</results>\n");
    out
}

fn es_response(sources: &[Value]) -> String {
    let hits: Vec<Value> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"_index": "logs-2024", "_id": format!("id-{i}"), "_score": 1.0, "_source": s}))
        .collect();
    json!({"took": 4, "timed_out": false, "_shards": {"total": 1}, "hits": {"total": {"value": hits.len()}, "max_score": 1.0, "hits": hits}})
        .to_string()
}

fn elasticdump(sources: &[Value]) -> String {
    sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({"_index": "logs-2024", "_type": "_doc", "_id": format!("d-{i}"), "_source": s})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn import_text(dir: &Path, name: &str, text: &str) -> Case {
    let case_dir = dir.join(name);
    std::fs::create_dir_all(&case_dir).expect("mkdir");
    let file = case_dir.join(name);
    std::fs::write(&file, text).expect("write");
    let case = new_case(&case_dir);
    let report = import(&case, &[file]);
    assert_eq!(report.skipped, 0, "{name}: {:?}", report.files[0].errors);
    case
}

const JSON_FIXTURES: &[&str] = &[
    "cloudtrail/aws.persistence.iam-create-admin-user.json",
    "cloudtrail/aws.initial-access.console-login-without-mfa.json",
    "formats/okta/system-log.jsonl",
    "formats/k8s/create_clusterrolebinding.json",
    "formats/gcp/LogEntryData-pubsubCreateTopic.json",
    "formats/windows/winlogbeat.jsonl",
    "formats/github/audit-log.jsonl",
    "formats/workspace/activities.jsonl",
    "formats/m365/microsoft_audit_log.jsonl",
];

#[test]
fn json_records_wrapped_by_splunk_or_elasticsearch_read_as_the_bare_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    for rel in JSON_FIXTURES {
        let path: PathBuf = fixtures().join(rel);
        let bare_case = new_case(&dir.path().join(format!("bare-{}", rel.replace('/', "_"))));
        import(&bare_case, std::slice::from_ref(&path));
        let bare = seen(&bare_case);
        assert!(!bare.is_empty(), "{rel}");
        let records = json_records(&path);
        let rows: Vec<(String, &str, String)> = records
            .iter()
            .map(|r| {
                (
                    r.to_string(),
                    "any:json",
                    "2024-01-01T00:00:00.000+00:00".to_string(),
                )
            })
            .collect();
        for (kind, text) in [
            ("splunk.json", splunk_json(&rows)),
            ("splunk.csv", splunk_csv(&rows)),
            ("splunk.xml", splunk_xml(&rows)),
            ("search.json", es_response(&records)),
            ("dump.ndjson", elasticdump(&records)),
        ] {
            let name = format!("{}-{kind}", rel.replace('/', "_"));
            let wrapped = import_text(dir.path(), &name, &text);
            assert_eq!(seen(&wrapped), bare, "{rel} as {kind}");
        }
    }
}

#[test]
fn text_lines_in_splunk_raw_read_by_their_sourcetype_with_splunk_time_for_a_missing_year() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fixtures().join("formats/syslog/auth.log");
    let bare_case = new_case(&dir.path().join("bare"));
    import(&bare_case, std::slice::from_ref(&path));
    let bare = seen(&bare_case);
    let text = std::fs::read_to_string(&path).expect("fixture");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), bare.len());
    // Splunk's `_time` is what it made of each line; the bare import's reading stands in for it.
    let mut by_ordinal: Vec<(u64, String)> = bare_case
        .page(&SearchRequest {
            limit: 1000,
            ..SearchRequest::default()
        })
        .expect("search")
        .events
        .into_iter()
        .map(|e| {
            let ordinal =
                e.id.rsplit('-')
                    .next()
                    .and_then(|o| o.parse().ok())
                    .expect("id");
            (ordinal, e.time.unwrap_or_default())
        })
        .collect();
    by_ordinal.sort();
    let times: Vec<String> = by_ordinal.into_iter().map(|(_, t)| t).collect();
    let rows: Vec<(String, &str, String)> = lines
        .iter()
        .zip(&times)
        .map(|(l, t)| (l.to_string(), "linux_secure", t.clone()))
        .collect();
    for (kind, text) in [
        ("splunk.json", splunk_json(&rows)),
        ("splunk.csv", splunk_csv(&rows)),
    ] {
        let wrapped = import_text(dir.path(), kind, &text);
        let got = seen(&wrapped);
        assert_eq!(got, bare, "{kind}");
        let flagged = wrapped
            .page(&SearchRequest {
                query: "flag:year_inferred".into(),
                ..SearchRequest::default()
            })
            .expect("search");
        assert_eq!(
            flagged.total, 0,
            "{kind}: the year is Splunk's, not guessed"
        );
    }
}

#[test]
fn windows_events_in_splunk_xml_rendering_read_as_the_evtx_file_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fixtures().join(
        "formats/evtx/ID4625-failed_login_with_denied_access_due_to_account_restriction.evtx",
    );
    let bare_case = new_case(&dir.path().join("bare"));
    import(&bare_case, std::slice::from_ref(&path));
    let mut bare = seen(&bare_case);
    let mut parser = evtx::EvtxParser::from_path(&path).expect("evtx");
    let rows: Vec<(String, &str, String)> = parser
        .records()
        .map(|r| {
            let r = r.expect("record");
            (
                r.data,
                "XmlWinEventLog:Security",
                "2024-01-01T00:00:00.000+00:00".to_string(),
            )
        })
        .collect();
    assert!(!rows.is_empty());
    let wrapped = import_text(dir.path(), "xml.json", &splunk_json(&rows));
    let mut got = seen(&wrapped);
    // Read from XML the events are Windows events like any other; from the file, `evtx`.
    for e in bare.iter_mut().chain(got.iter_mut()) {
        e.8 = "windows".into();
    }
    assert_eq!(got, bare);
    let detail = wrapped.event("1-0").expect("event");
    assert_eq!(detail.event.provenance.wrapper.as_deref(), Some("splunk"));
    assert_eq!(
        detail.record["splunk"]["sourcetype"],
        "XmlWinEventLog:Security"
    );
}

#[test]
fn a_splunk_csv_of_log_lines_is_not_taken_for_a_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![(
        "Jan  1 00:00:03 bastion sshd[4102]: Failed password for root from 198.51.100.23 port 40223 ssh2".to_string(),
        "linux_secure",
        "2025-01-01T00:00:03.000+00:00".to_string(),
    )];
    let case = import_text(dir.path(), "export.csv", &splunk_csv(&rows));
    let stats = case.stats().expect("stats");
    assert_eq!(stats.files[0].format.as_deref(), Some("splunk_csv"));
    let got = seen(&case);
    assert_eq!(got.len(), 1, "the header is not an event");
    assert_eq!(got[0].0.as_deref(), Some("2025-01-01T00:00:03Z"));
    assert_eq!(got[0].3, "logon");
    assert_eq!(got[0].4, "failure");
}

#[test]
fn both_windows_renderings_in_a_splunk_csv_read_as_one_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let report = import(
        &case,
        &[fixtures().join("formats/splunk/wineventlog-both-renderings.csv")],
    );
    assert_eq!(report.files[0].format.as_deref(), Some("splunk_csv"));
    let got = seen(&case);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], got[1], "classic and XML read alike");
    let e = &got[0];
    assert_eq!(e.0.as_deref(), Some("2024-03-04T09:30:00Z"));
    assert_eq!(e.1.as_deref(), Some("WKS-7\\Administrator"));
    assert_eq!((e.3.as_str(), e.4.as_str()), ("logon", "failure"));
    assert_eq!(e.6.as_deref(), Some("203.0.113.9"));
    assert_eq!(e.7.as_deref(), Some("223742"));
    assert_eq!(e.9.as_deref(), Some("4625"));
}

#[test]
fn ecs_documents_read_by_the_field_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    let report = import(
        &case,
        &[fixtures().join("formats/ecs/filebeat-system-auth.jsonl")],
    );
    assert_eq!(report.files[0].format.as_deref(), Some("ecs"));
    let got = seen(&case);
    let summary: Vec<(&str, &str, &str, Option<&str>)> = got
        .iter()
        .map(|e| {
            (
                e.1.as_deref().unwrap_or(""),
                e.3.as_str(),
                e.4.as_str(),
                e.6.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("root", "logon", "failure", Some("198.51.100.23")),
            ("deploy", "logon", "success", Some("203.0.113.5")),
            ("backup2", "account_create", "unknown", None),
            ("deploy", "process_start", "success", None),
        ]
    );
}

#[test]
fn ocsf_reads_field_for_field_and_an_ocsf_export_reads_back_as_the_case_it_came_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(&dir.path().join("lake"));
    let report = import(
        &case,
        &[fixtures().join("formats/ocsf/security-lake.jsonl")],
    );
    assert_eq!(report.files[0].format.as_deref(), Some("ocsf"));
    let got = seen(&case);
    let summary: Vec<(&str, &str, &str, &str, Option<&str>)> = got
        .iter()
        .map(|e| {
            (
                e.1.as_deref().unwrap_or(""),
                e.2.as_str(),
                e.3.as_str(),
                e.4.as_str(),
                e.5.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "ops",
                "CreateUser",
                "account_create",
                "success",
                Some("svc-exfil")
            ),
            (
                "WKS-7\\Administrator",
                "",
                "logon",
                "failure",
                Some("WKS-7")
            ),
            (
                "ops",
                "StopLogging",
                "logging_stop",
                "success",
                Some("main")
            ),
        ]
    );

    // Round trip: a case of several sources, exported as OCSF and imported again.
    let source = new_case(&dir.path().join("source"));
    import(
        &source,
        &[
            fixtures().join("cloudtrail/aws.persistence.iam-create-admin-user.json"),
            fixtures().join("formats/okta/system-log.jsonl"),
            fixtures().join("formats/evtx/ID4625-failed_login_with_denied_access_due_to_account_restriction.evtx"),
        ],
    );
    let out = dir.path().join("lake.ocsf.jsonl");
    let manifest = source
        .export(
            &out,
            &sightline::api::ExportOptions {
                format: sightline::api::ExportFormat::OcsfJson,
                ..Default::default()
            },
            &|_| {},
            &Default::default(),
        )
        .expect("export");
    assert!(manifest.rows > 0);
    let again = new_case(&dir.path().join("again"));
    let report = import(&again, &[out]);
    assert_eq!(report.files[0].format.as_deref(), Some("ocsf"));
    // The format is OCSF now; everything else an investigator reads is the same.
    let strip = |mut s: Seen| {
        for e in &mut s {
            e.8 = String::new();
        }
        s.sort();
        s
    };
    assert_eq!(strip(seen(&again)), strip(seen(&source)));

    // The same as Parquet, as a data lake loads it: nested columns, and read back alike.
    let out = dir.path().join("lake.parquet");
    let manifest = source
        .export(
            &out,
            &sightline::api::ExportOptions {
                format: sightline::api::ExportFormat::OcsfParquet,
                ..Default::default()
            },
            &|_| {},
            &Default::default(),
        )
        .expect("export");
    let bytes = std::fs::read(&out).expect("parquet");
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    assert_eq!(manifest.sha256, sightline::api::sha256_hex(&bytes));
    assert!(
        !dir.path().join("lake.rows.jsonl").exists(),
        "the staging file is gone"
    );
    let parquet_case = new_case(&dir.path().join("from-parquet"));
    let report = import(&parquet_case, &[out]);
    assert_eq!(report.files[0].format.as_deref(), Some("ocsf"));
    assert_eq!(report.files[0].events, manifest.rows);
    assert_eq!(strip(seen(&parquet_case)), strip(seen(&source)));
}

/// Flattens a document to `path → text` as Kibana's CSV export writes its columns.
fn flatten(prefix: &str, v: &Value, out: &mut std::collections::BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::Array(items) => {
            let texts: Vec<String> = items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect();
            out.insert(prefix.to_string(), texts.join(", "));
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[test]
fn a_kibana_csv_export_reads_as_the_documents_it_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = fixtures().join("formats/ecs/filebeat-system-auth.jsonl");
    let bare_case = new_case(&dir.path().join("bare"));
    import(&bare_case, std::slice::from_ref(&path));
    let docs = json_records(&path);
    let rows: Vec<std::collections::BTreeMap<String, String>> = docs
        .iter()
        .map(|d| {
            let mut m = std::collections::BTreeMap::new();
            flatten("", d, &mut m);
            m
        })
        .collect();
    let mut columns: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
    columns.sort();
    columns.dedup();
    columns.insert(0, "_id".into());
    let mut csv = columns
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match c.as_str() {
                "_id" => csv_cell(&format!("doc-{i}")),
                _ => csv_cell(row.get(c).map_or("-", String::as_str)),
            })
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let case = import_text(dir.path(), "kibana.csv", &csv);
    assert_eq!(
        case.stats().expect("stats").files[0].format.as_deref(),
        Some("kibana_csv")
    );
    assert_eq!(seen(&case), seen(&bare_case));
}

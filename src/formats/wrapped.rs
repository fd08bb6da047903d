//! Records as a SIEM exported them: a Splunk search exported as JSON or CSV (the record in
//! `_raw`, beside `_time`, `sourcetype`, `host`, `source`), an Elasticsearch/OpenSearch search
//! response, scroll dump or `elasticdump` file (the record in each hit's `_source`). The record
//! inside is read by the format it really is, chosen per record (one export can mix sourcetypes),
//! and normalized exactly as if it had been imported bare; the wrapper's own fields are kept as
//! original fields under `splunk.` or `es.`, and the raw record stays the wrapper's bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::value::{get, scalar_text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::AuditEvent;
use crate::record::Shape;

pub struct Splunk;
pub struct SplunkCsv;
pub struct Elastic;
pub struct KibanaCsv;

/// Splunk sourcetypes whose `_raw` is a text line, by the format that reads it. JSON records are
/// recognized by their content instead, whatever their sourcetype says.
const SOURCETYPES: &[(&str, &str)] = &[
    ("linux_secure", "syslog"),
    ("syslog", "syslog"),
    ("linux_messages_syslog", "syslog"),
    ("sshd", "syslog"),
    ("linux_audit", "auditd"),
    ("auditd", "auditd"),
];

impl Format for Splunk {
    fn name(&self) -> &'static str {
        "splunk"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        let bare = has("_raw") && (has("_time") || has("sourcetype") || has("_cd"));
        if has("result._raw") || bare {
            97
        } else {
            0
        }
    }

    fn wraps(&self) -> bool {
        true
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Unread)
    }
}

impl Format for SplunkCsv {
    fn name(&self) -> &'static str {
        "splunk_csv"
    }

    fn reads_delimited(&self) -> bool {
        true
    }

    fn detect(&self, sample: &Sample) -> u8 {
        if super::header_has(sample, &["_raw"]) {
            97
        } else {
            0
        }
    }

    fn wraps(&self) -> bool {
        true
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Unread)
    }
}

impl Format for Elastic {
    fn name(&self) -> &'static str {
        "elastic"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let source = get(r, "_source").is_some_and(Value::is_object);
        if source && (get(r, "_index").is_some() || get(r, "_id").is_some()) {
            96
        } else {
            0
        }
    }

    fn wraps(&self) -> bool {
        true
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Unread)
    }
}

impl Format for KibanaCsv {
    fn name(&self) -> &'static str {
        "kibana_csv"
    }

    fn reads_delimited(&self) -> bool {
        true
    }

    /// Kibana's and OpenSearch Dashboards' CSV: one column per field, named by its path.
    fn detect(&self, sample: &Sample) -> u8 {
        let Some(header) = sample
            .header
            .filter(|_| matches!(sample.shape, Shape::Delimited(_)))
        else {
            return 0;
        };
        let has = |c: &str| header.iter().any(|h| h == c);
        let dotted = header.iter().filter(|h| h.contains('.')).count();
        if has("@timestamp") && (dotted >= 2 || has("_id")) {
            92
        } else {
            0
        }
    }

    fn wraps(&self) -> bool {
        true
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Unread)
    }
}

/// A wrapper's own normalizer never runs: every record is read by the format inside.
pub(super) struct Unread;

impl Normalize for Unread {
    fn normalize(&self, _record: &Value, _event: &mut AuditEvent) {}
}

/// The record inside a wrapper, with the wrapper's fields under its key, and its format.
pub fn unwrap(wrapper: &str, outer: Value) -> Result<(Value, &'static dyn Format), String> {
    let Value::Object(mut fields) = outer else {
        return Err("the export's record is not a JSON object".to_string());
    };
    match wrapper {
        "kibana_csv" => {
            // Empty cells are fields the document did not have; the search engine's own columns
            // are the wrapper's. Field paths stay dotted keys, which key-path lookups read.
            fields.retain(|_, v| v.as_str().is_none_or(|s| !s.is_empty() && s != "-"));
            let meta: Map<String, Value> = ["_id", "_index", "_score", "_type"]
                .iter()
                .filter_map(|k| Some((k.to_string(), fields.remove(*k)?)))
                .collect();
            let inner = Value::Object(fields);
            let format = by_content(&inner);
            Ok((merged(inner, "es", meta), format))
        }
        "elastic" => {
            let Some(Value::Object(source)) = fields.remove("_source") else {
                return Err("the hit has no _source object".to_string());
            };
            let inner = Value::Object(source);
            let format = by_content(&inner);
            Ok((merged(inner, "es", fields), format))
        }
        // Splunk: JSON (`splunk`), CSV (`splunk_csv`), XML (`splunk_xml`).
        _ => {
            if let Some(Value::Object(result)) = fields.remove("result") {
                fields = result;
            }
            let raw = fields
                .remove("_raw")
                .ok_or_else(|| "the export's record has no _raw field".to_string())?;
            let sourcetype = fields
                .get("sourcetype")
                .and_then(Value::as_str)
                .unwrap_or("");
            let (inner, format) = match raw {
                Value::Object(_) => {
                    let format = by_content(&raw);
                    (raw, format)
                }
                other => read_raw(&scalar_text(&other).unwrap_or_default(), sourcetype)?,
            };
            Ok((merged(inner, "splunk", fields), format))
        }
    }
}

/// A JSON record's format by its content, never a wrapper's (no export inside an export).
fn by_content(inner: &Value) -> &'static dyn Format {
    let sample = Sample {
        shape: Shape::Json,
        first: Some(inner),
        header: None,
    };
    super::registry()
        .iter()
        .filter(|f| !f.wraps() && !f.reads_delimited())
        .map(|f| (f.detect(&sample), *f))
        .filter(|(score, _)| *score > 0)
        .fold(
            None::<(u8, &'static dyn Format)>,
            |best, (s, f)| match best {
                Some((b, _)) if b >= s => best,
                _ => Some((s, f)),
            },
        )
        .map_or(&super::generic::JsonGeneric as &dyn Format, |(_, f)| f)
}

/// A JSON record by its content. A Pub/Sub message (`{"data": {…}, "attributes": …}`, as Splunk's
/// Google add-on indexes Cloud Logging sinks) is read by what its `data` holds.
fn pubsub_data(value: Value) -> (Value, &'static dyn Format) {
    let format = by_content(&value);
    if format.name() != "json" {
        return (value, format);
    }
    let Some(data) = get(&value, "data").filter(|d| d.is_object()).cloned() else {
        return (value, format);
    };
    match by_content(&data) {
        inner if inner.name() != "json" => (data, inner),
        _ => (value, format),
    }
}

/// `_raw` text: a JSON record, a Windows event in either rendering, or a text line read by the
/// format its sourcetype (or its content) names.
fn read_raw(text: &str, sourcetype: &str) -> Result<(Value, &'static dyn Format), String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let value: Value =
            serde_json::from_str(trimmed).map_err(|e| format!("_raw is not valid JSON: {e}"))?;
        return Ok(pubsub_data(value));
    }
    let windows = super::by_name("windows_json").ok_or("windows_json is not a format")?;
    if trimmed.starts_with('<') && trimmed.contains("<Event") {
        return Ok((super::winevent_text::xml_to_json(trimmed)?, windows));
    }
    if sourcetype.starts_with("WinEventLog") || text.contains("\nEventCode=") {
        if let Some(v) = super::winevent_text::classic_to_json(text) {
            return Ok((v, windows));
        }
    }
    let named = SOURCETYPES
        .iter()
        .find(|(t, _)| sourcetype.eq_ignore_ascii_case(t))
        .and_then(|(_, f)| super::by_name(f));
    if let Some(format) = named.or_else(|| super::detect_text(text.as_bytes())) {
        if let Ok(value) = format.parse_line(text.as_bytes()) {
            return Ok((value, format));
        }
    }
    let value = Value::Object(Map::from_iter([(
        "message".to_string(),
        Value::String(text.to_string()),
    )]));
    Ok((value, &super::generic::JsonGeneric))
}

/// The inner record with the wrapper's fields under `key`, unless the record has that key.
fn merged(inner: Value, key: &str, wrapper: Map<String, Value>) -> Value {
    let mut inner = match inner {
        Value::Object(m) => m,
        other => Map::from_iter([("record".to_string(), other)]),
    };
    inner
        .entry(key.to_string())
        .or_insert(Value::Object(wrapper));
    Value::Object(inner)
}

/// Normalizers of the formats found inside one wrapped file, made on first use. A guessing
/// format (generic JSON) guesses afresh for every record, so that rebuilding one event alone
/// reads it as the import did.
pub struct Inner {
    options: FormatOptions,
    made: Mutex<HashMap<&'static str, Arc<dyn Normalize>>>,
}

impl Inner {
    pub fn new(options: FormatOptions) -> Inner {
        Inner {
            options,
            made: Mutex::new(HashMap::new()),
        }
    }

    /// Normalizes `value` (an unwrapped record) as `format` would, then takes the wrapper's time
    /// where the record's own is missing or had to be guessed (no year, no zone).
    pub fn normalize(&self, format: &'static dyn Format, value: &Value, e: &mut AuditEvent) {
        let sample = Sample {
            shape: if format.reads_lines() {
                Shape::Lines
            } else {
                Shape::Json
            },
            first: Some(value),
            header: None,
        };
        let normalizer: Arc<dyn Normalize> = if format.name() == "json" {
            Arc::from(format.normalizer(&sample, &self.options))
        } else {
            let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
            made.entry(format.name())
                .or_insert_with(|| Arc::from(format.normalizer(&sample, &self.options)))
                .clone()
        };
        normalizer.normalize(value, e);
        e.format = format.name().to_string();
        wrapper_time(value, e);
    }
}

const GUESSED: [&str; 2] = ["year_inferred", "time_zone_assumed_utc"];

fn wrapper_time(value: &Value, e: &mut AuditEvent) {
    let guessed =
        e.time.utc_nanos.is_none() || e.flags.iter().any(|f| GUESSED.contains(&f.as_str()));
    if !guessed {
        return;
    }
    let Some(text) = get(value, "splunk._time").and_then(scalar_text) else {
        return;
    };
    let Some(t) = crate::time::parse_text(&text).filter(|t| !t.zone_assumed) else {
        return;
    };
    e.time.utc_nanos = Some(t.utc_nanos);
    if e.time.original.is_none() {
        e.time.original = Some(text);
    }
    e.flags.retain(|f| !GUESSED.contains(&f.as_str()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splunk_records_are_read_by_what_they_hold() {
        let json = serde_json::json!({"preview": false, "result": {
            "_raw": "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-05-01T00:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\",\"userIdentity\":{\"type\":\"Root\"},\"eventID\":\"x\"}",
            "sourcetype": "aws:cloudtrail", "_time": "2024-05-01T00:00:00.000+00:00"}});
        let (v, f) = unwrap("splunk", json).unwrap();
        assert_eq!(f.name(), "cloudtrail");
        assert_eq!(v["eventName"], "CreateUser");
        assert_eq!(v["splunk"]["sourcetype"], "aws:cloudtrail");

        let line = serde_json::json!({"_raw": "type=USER_LOGIN msg=audit(1714521600.123:42): pid=1 uid=0 res=failed", "sourcetype": "linux_audit"});
        let (_, f) = unwrap("splunk_csv", line).unwrap();
        assert_eq!(f.name(), "auditd");

        let pubsub = serde_json::json!({"_raw": serde_json::json!({"data": {"insertId": "1", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity", "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": "SetIamPolicy", "serviceName": "iam.googleapis.com"}, "timestamp": "2024-05-01T00:00:00Z"}, "attributes": {"logging.googleapis.com/timestamp": "2024-05-01T00:00:00Z"}}).to_string(), "sourcetype": "google:gcp:pubsub:message"});
        let (v, f) = unwrap("splunk", pubsub).unwrap();
        assert_eq!(f.name(), "gcp_audit");
        assert_eq!(v["protoPayload"]["methodName"], "SetIamPolicy");

        let hit = serde_json::json!({"_index": "logs", "_id": "1", "_source": {"eventType": "user.session.start", "published": "2024-05-01T00:00:00Z", "actor": {"alternateId": "a@b"}, "uuid": "u"}});
        let (v, f) = unwrap("elastic", hit).unwrap();
        assert_eq!(f.name(), "okta");
        assert_eq!(v["es"]["_index"], "logs");
        assert!(unwrap("elastic", serde_json::json!({"_id": 1})).is_err());
    }
}

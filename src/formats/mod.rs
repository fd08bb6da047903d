//! Formats: recognizing a source by its content and normalizing its records into [`AuditEvent`]s.
//!
//! A format is one file behind the [`Format`] trait. Detection asks every format for a confidence
//! in the file's first record and picks the highest; ties go to the earlier entry of [`registry`],
//! which lists specific formats before generic ones.

pub mod activity;
mod auditd;
mod azure;
mod cloudtrail;
mod digest;
mod ecs;
mod gcp;
mod generic;
mod guess;
mod journald;
mod json_keys;
mod k8s;
mod m365;
pub mod ocsf;
mod saas;
pub mod sigma;
pub mod splunk_xml;
mod syslog;
pub mod value;
pub mod windows;
mod windows_ids;
mod winevent_text;
mod wrapped;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::event::{AuditEvent, Provenance};
use crate::record::{split_csv_row, GroupKey, Shape};

pub use guess::{FieldMapping, MappedField};

/// What detection sees of a file: its shape and its first record.
pub struct Sample<'a> {
    pub shape: Shape,
    /// The first record, parsed (CSV rows are objects keyed by header).
    pub first: Option<&'a Value>,
    /// Column names, for delimited files.
    pub header: Option<&'a [String]>,
}

/// Per-import settings a format may use.
#[derive(Debug, Clone, Default)]
pub struct FormatOptions {
    /// Columns or key paths chosen by the user for generic formats; unset ones are guessed.
    pub mapping: FieldMapping,
    /// What a normalizer learned while importing the file (syslog years), replayed later.
    pub state: Option<Value>,
    /// For sources that write no year: the year of the first line, when the user chose it.
    pub year: Option<i32>,
    /// When the file was last written (its modification time, else the import time), UTC
    /// nanoseconds: no record can be later, so years are inferred to stay before it, and a
    /// record that is later anyway is flagged `future_time`.
    pub reference_nanos: Option<i64>,
    /// Zone of times the file writes without one, minutes east of UTC (`None`: UTC).
    pub zone_minutes: Option<i32>,
}

/// A source format.
pub trait Format: Send + Sync {
    /// Short stable name, used in reports, the `format` query field and `--format`.
    fn name(&self) -> &'static str;
    /// Whether the format reads JSON values or delimited rows.
    fn reads_delimited(&self) -> bool {
        false
    }
    /// Confidence 0–100 that a file starting with `sample` is this format (0: it is not).
    fn detect(&self, sample: &Sample) -> u8;
    /// Whether the format reads text lines (see [`Format::parse_line`]).
    fn reads_lines(&self) -> bool {
        false
    }
    /// For line formats: confidence that a text file starting with `head` is this format.
    fn detect_text(&self, _head: &[u8]) -> u8 {
        0
    }
    /// For line formats: the record (one line, or a group of lines) as a JSON object.
    fn parse_line(&self, _bytes: &[u8]) -> Result<Value, String> {
        Err(format!("{} does not read text lines", self.name()))
    }
    /// For line formats: the key that joins several lines into one record.
    fn group_key(&self) -> Option<GroupKey> {
        None
    }
    /// For formats whose records are not JSON, delimited rows or text lines (Splunk's XML
    /// export): the record as a JSON object.
    fn parse_raw(&self, _bytes: &[u8]) -> Option<Result<Value, String>> {
        None
    }
    /// Whether the format is a SIEM's export wrapping records of other formats
    /// (`wrapped::unwrap` reads the record inside).
    fn wraps(&self) -> bool {
        false
    }
    /// Prepares the normalizer for one file.
    fn normalizer(&self, sample: &Sample, options: &FormatOptions) -> Box<dyn Normalize>;
    /// Source key paths whose values this format copies whole into a normalized query field
    /// (`eventID` → `id`). The index keeps such values once, in the normalized field, and queries
    /// on the path are answered from it: unique ids are most of an index's term dictionary.
    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// The normalized field a source key path is an alias of, in any format.
pub fn alias_of(path: &str) -> Option<&'static str> {
    registry()
        .iter()
        .flat_map(|f| f.aliases())
        .find(|(p, _)| p.eq_ignore_ascii_case(path))
        .map(|(_, field)| *field)
}

/// Turns one parsed record into an event. The caller fills provenance, format and flags; the
/// normalizer fills what the record says.
pub trait Normalize: Send + Sync {
    fn normalize(&self, record: &Value, event: &mut AuditEvent);
    /// The key/column mapping this normalizer settled on, for formats that guess one.
    fn mapping(&self) -> Option<FieldMapping> {
        None
    }
    /// What the normalizer learned from the records it saw, stored with the file.
    fn state(&self) -> Option<Value> {
        None
    }
}

/// How one file's records are read, fixed at import and kept in the case, so that any event
/// can be rebuilt from its raw bytes alone: the index stores raw records, not normalized copies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileContext {
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<FieldMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_minutes: Option<i32>,
    /// See [`FormatOptions::reference_nanos`]; kept so rebuilt events carry the same flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_nanos: Option<i64>,
}

/// What parsing a record noticed that the event should carry as a flag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseNotes {
    /// Bytes that are not UTF-8 were replaced for indexing.
    pub utf8_replaced: bool,
    /// The first key an object of the record holds twice (the last value is the one read).
    pub duplicate_key: Option<String>,
    /// For a record read out of a SIEM export: the format of the record inside.
    pub inner_format: Option<&'static str>,
}

impl ParseNotes {
    fn utf8(bytes: &[u8]) -> ParseNotes {
        ParseNotes {
            utf8_replaced: std::str::from_utf8(bytes).is_err(),
            ..ParseNotes::default()
        }
    }
}

/// Parses a record into a JSON object; a CSV row (`csv` = delimiter and header) becomes an
/// object keyed by column.
pub fn parse_record(
    bytes: &[u8],
    csv: Option<(u8, &[String])>,
) -> Result<(Value, ParseNotes), String> {
    if let Some((delimiter, header)) = csv {
        let mut row = Map::new();
        for (i, cell) in split_csv_row(bytes, delimiter).into_iter().enumerate() {
            let key = header
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("column_{}", i + 1));
            row.insert(key, Value::String(cell));
        }
        return Ok((Value::Object(row), ParseNotes::utf8(bytes)));
    }
    let ((value, duplicate_key), utf8_replaced) = match json_keys::from_slice(bytes) {
        Ok(v) => (v, false),
        Err(e) if std::str::from_utf8(bytes).is_err() => {
            match json_keys::from_slice(String::from_utf8_lossy(bytes).as_bytes()) {
                Ok(v) => (v, true),
                Err(_) => return Err(format!("invalid JSON: {e}")),
            }
        }
        Err(e) => return Err(format!("invalid JSON: {e}")),
    };
    if !value.is_object() {
        return Err("record is not a JSON object".to_string());
    }
    Ok((
        value,
        ParseNotes {
            utf8_replaced,
            duplicate_key,
            inner_format: None,
        },
    ))
}

/// A file's format, settled normalizer and context: turns raw records into events.
pub struct RecordReader {
    pub format: &'static dyn Format,
    normalizer: Box<dyn Normalize>,
    /// For a SIEM export: the normalizers of the formats inside it.
    inner: Option<wrapped::Inner>,
    context: FileContext,
}

impl RecordReader {
    /// At import: prepares the normalizer from the file's first record and the user's options.
    pub fn new(
        format: &'static dyn Format,
        sample: &Sample,
        options: &FormatOptions,
    ) -> RecordReader {
        let normalizer = format.normalizer(sample, options);
        let delimiter = match sample.shape {
            Shape::Delimited(d) if format.reads_delimited() => Some(d),
            _ if format.reads_delimited() => Some(b','),
            _ => None,
        };
        let context = FileContext {
            format: format.name().to_string(),
            delimiter,
            header: delimiter.and(sample.header.map(<[String]>::to_vec)),
            mapping: normalizer.mapping(),
            state: None,
            zone_minutes: options.zone_minutes,
            reference_nanos: options.reference_nanos,
        };
        RecordReader {
            format,
            normalizer,
            inner: format.wraps().then(|| wrapped::Inner::new(options.clone())),
            context,
        }
    }

    /// Later: rebuilds the same reader from the stored context.
    pub fn from_context(context: FileContext) -> Option<RecordReader> {
        let format = by_name(&context.format)?;
        let shape = context.delimiter.map_or(Shape::Json, Shape::Delimited);
        let sample = Sample {
            shape,
            first: None,
            header: context.header.as_deref(),
        };
        let options = FormatOptions {
            mapping: context.mapping.clone().unwrap_or_default(),
            state: context.state.clone(),
            reference_nanos: context.reference_nanos,
            ..FormatOptions::default()
        };
        let normalizer = format.normalizer(&sample, &options);
        Some(RecordReader {
            format,
            normalizer,
            inner: format.wraps().then(|| wrapped::Inner::new(options)),
            context,
        })
    }

    pub fn context(&self) -> &FileContext {
        &self.context
    }

    /// The context with what the normalizer learned over the whole file.
    pub fn final_context(&self) -> FileContext {
        FileContext {
            state: self.normalizer.state(),
            ..self.context.clone()
        }
    }

    pub fn parse(&self, bytes: &[u8]) -> Result<(Value, ParseNotes), String> {
        // A line format may also read its records out of JSON wrappers (auditd in Log Analytics
        // rows); a record that is a JSON object is read as JSON.
        let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if self.format.reads_lines() && !json {
            return self
                .format
                .parse_line(bytes)
                .map(|v| (v, ParseNotes::utf8(bytes)));
        }
        let csv = self
            .context
            .delimiter
            .map(|d| (d, self.context.header.as_deref().unwrap_or_default()));
        let (value, mut notes) = match self.format.parse_raw(bytes) {
            Some(parsed) => (parsed?, ParseNotes::utf8(bytes)),
            None => parse_record(bytes, csv)?,
        };
        if !self.format.wraps() {
            return Ok((value, notes));
        }
        let (inner, format) = wrapped::unwrap(self.format.name(), value)?;
        notes.inner_format = Some(format.name());
        Ok((inner, notes))
    }

    /// Normalizes a parsed record and flags what a reviewer should know about it.
    pub fn event(&self, value: &Value, notes: &ParseNotes, provenance: Provenance) -> AuditEvent {
        let mut event = AuditEvent {
            format: self.format.name().to_string(),
            provenance,
            ..AuditEvent::default()
        };
        let inner = notes.inner_format.and_then(by_name);
        match (inner, &self.inner) {
            (Some(format), Some(readers)) => {
                readers.normalize(format, value, &mut event);
                event.provenance.wrapper = Some(self.format.name().to_string());
            }
            _ => self.normalizer.normalize(value, &mut event),
        }
        if event.activity == crate::model::Activity::Other {
            event.activity = activity::classify(&event, value);
        }
        if let (Some(minutes), Some(t)) = (self.context.zone_minutes, event.time.utc_nanos) {
            if let Some(flag) = event
                .flags
                .iter_mut()
                .find(|f| *f == "time_zone_assumed_utc")
            {
                event.time.utc_nanos = Some(t - i64::from(minutes) * 60_000_000_000);
                *flag = "time_zone_chosen".to_string();
            }
        }
        if notes.utf8_replaced {
            event.flags.push("invalid_utf8".to_string());
        }
        if notes.duplicate_key.is_some() {
            event.flags.push("duplicate_keys".to_string());
        }
        let epoch = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if event.time.utc_nanos.is_some()
            && event
                .time
                .original
                .as_deref()
                .is_some_and(|t| epoch(t.trim()) && crate::time::epoch_unit_ambiguous(t))
        {
            event.flags.push("epoch_ambiguous".to_string());
        }
        // A record dated after its file was last written: clock skew, a wrong zone or year, or
        // an edited record. A day of slack covers times written in local time without a zone.
        const DAY: i64 = 86_400_000_000_000;
        if let (Some(t), Some(r)) = (event.time.utc_nanos, self.context.reference_nanos) {
            if t > r.saturating_add(DAY) {
                event.flags.push("future_time".to_string());
            }
        }
        if event.time.utc_nanos.is_none() {
            let flag = if event.time.original.is_some() {
                "time_unparsed"
            } else {
                "time_missing"
            };
            event.flags.push(flag.to_string());
        }
        event
    }
}

/// Every known format, specific before generic.
pub fn registry() -> &'static [&'static dyn Format] {
    static FORMATS: [&dyn Format; 26] = [
        &digest::CloudTrailDigest,
        &cloudtrail::CloudTrail,
        &k8s::Kubernetes,
        &gcp::GcpAudit,
        &azure::AzureActivity,
        &azure::EntraId,
        &saas::Okta,
        &saas::GitHub,
        &saas::GitHubCsv,
        &saas::Workspace,
        &m365::M365,
        &m365::M365Csv,
        &journald::Journald,
        &windows::WindowsJson,
        &windows::Evtx,
        &auditd::Auditd,
        &syslog::Syslog,
        &ecs::Ecs,
        &ocsf::Ocsf,
        &wrapped::Splunk,
        &wrapped::SplunkCsv,
        &wrapped::Elastic,
        &wrapped::KibanaCsv,
        &splunk_xml::SplunkXml,
        &generic::JsonGeneric,
        &generic::CsvGeneric,
    ];
    &FORMATS
}

/// Finds a format by name.
pub fn by_name(name: &str) -> Option<&'static dyn Format> {
    registry().iter().copied().find(|f| f.name() == name)
}

/// Names of all formats, for messages.
pub fn names() -> String {
    registry()
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether at least half of the first 20 non-blank lines of `head` satisfy `is_line`: how line
/// formats judge a text file. Comment lines (`#…`) are not counted either way.
pub(crate) fn most_lines(head: &[u8], is_line: impl Fn(&str) -> bool) -> bool {
    let text = String::from_utf8_lossy(head);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !crate::record::is_comment(l.as_bytes()))
        .take(20)
        .collect();
    !lines.is_empty() && lines.iter().filter(|l| is_line(l)).count() * 2 >= lines.len()
}

/// Whether a delimited sample's header has every one of `columns`.
pub(crate) fn header_has(sample: &Sample, columns: &[&str]) -> bool {
    let Some(header) = sample
        .header
        .filter(|_| matches!(sample.shape, Shape::Delimited(_)))
    else {
        return false;
    };
    columns.iter().all(|c| header.iter().any(|h| h == c))
}

/// Picks the most confident line format for a text file starting with `head`.
pub fn detect_text(head: &[u8]) -> Option<&'static dyn Format> {
    let mut best: Option<(u8, &'static dyn Format)> = None;
    for format in registry().iter().filter(|f| f.reads_lines()) {
        let score = format.detect_text(head);
        if score > 0 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, *format));
        }
    }
    best.map(|(_, f)| f)
}

/// Picks the most confident format for a sample, if any is confident at all.
pub fn detect(sample: &Sample) -> Option<&'static dyn Format> {
    let mut best: Option<(u8, &'static dyn Format)> = None;
    for format in registry() {
        let score = format.detect(sample);
        if score > 0 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, *format));
        }
    }
    best.map(|(_, f)| f)
}

//! Formats: recognizing a source by its content and normalizing its records into [`AuditEvent`]s.
//!
//! A format is one file behind the [`Format`] trait. Detection asks every format for a confidence
//! in the file's first record and picks the highest; ties go to the earlier entry of [`registry`],
//! which lists specific formats before generic ones.

mod cloudtrail;
mod generic;
mod guess;
pub mod value;

use serde_json::Value;

use crate::event::AuditEvent;
use crate::record::Shape;

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
    registry().iter().flat_map(|f| f.aliases()).find(|(p, _)| p.eq_ignore_ascii_case(path)).map(|(_, field)| *field)
}

/// Turns one parsed record into an event. The caller fills provenance, format and flags; the
/// normalizer fills what the record says.
pub trait Normalize: Send {
    fn normalize(&self, record: &Value, event: &mut AuditEvent);
}

/// Every known format, specific before generic.
pub fn registry() -> &'static [&'static dyn Format] {
    static FORMATS: [&dyn Format; 3] = [&cloudtrail::CloudTrail, &generic::JsonGeneric, &generic::CsvGeneric];
    &FORMATS
}

/// Finds a format by name.
pub fn by_name(name: &str) -> Option<&'static dyn Format> {
    registry().iter().copied().find(|f| f.name() == name)
}

/// Names of all formats, for messages.
pub fn names() -> String {
    registry().iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
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

//! Splitting a file's bytes into records, each kept byte-for-byte with where it was found.
//!
//! This step knows shapes (JSON values, JSON wrapped in `{"Records":[…]}`, CSV rows), not formats:
//! a record here is raw bytes plus a locator. Normalizers turn records into events later.

mod csv_rows;
pub mod encoding;
mod json_values;
mod lines;
pub mod parquet_rows;

pub use csv_rows::{looks_like_header, split_csv_row, CsvFramer};
pub use json_values::JsonFramer;
pub use lines::{is_comment, GroupKey, LineFramer};

/// One record as it stands in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub bytes: Vec<u8>,
    /// Byte offset of the record's first byte in the (decompressed) file.
    pub offset: u64,
    /// 1-based line of the record's first byte.
    pub line: u64,
}

/// A stretch of the file that could not be made into a record, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub offset: u64,
    pub line: u64,
    pub reason: String,
}

/// What a framer yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Record(RawRecord),
    Bad(BadRecord),
}

/// The overall shape of a file, judged from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// JSON: one or more values, possibly an array or a `{"Records":[…]}` wrapper.
    Json,
    /// Delimited text with a header row.
    Delimited(u8),
    /// Text read line by line by a text format (syslog, auditd).
    Lines,
    /// Neither: plain text or binary.
    Unknown,
}

/// Judges a file's shape from a sample of its first bytes.
pub fn sniff_shape(sample: &[u8]) -> Shape {
    let body = sample.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(sample);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') | Some(b'[') => Shape::Json,
        Some(_) => match csv_rows::sniff_delimiter(body) {
            Some(d) => Shape::Delimited(d),
            None => Shape::Unknown,
        },
        None => Shape::Unknown,
    }
}

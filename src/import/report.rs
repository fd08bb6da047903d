//! What an import tells the user: per file, its format, events, skipped records and why.

use serde::{Deserialize, Serialize};

/// How many record errors and warnings a file report keeps as samples; counts stay exact.
pub const MAX_SAMPLES: usize = 100;
/// Samples kept of one warning kind, so one noisy kind cannot hide the others.
const MAX_SAMPLES_PER_KIND: usize = 10;

/// A record that could not be imported, or was imported with a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecordError {
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub line: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub offset: Option<u64>,
    pub reason: String,
    /// For warnings: what kind of remark it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<WarningKind>,
}

/// What a warning about an imported record says, so reports can count them by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum WarningKind {
    /// The log writes no year; one was inferred (or given with `--year`).
    YearInferred,
    /// Dated more than a day after its file was last written (or after the import).
    FutureTime,
    /// Written without a zone and read as UTC.
    ZoneAssumed,
    /// Written without a zone and read in the zone chosen for the import.
    ZoneChosen,
    /// A time the record has could not be read; imported without a time.
    TimeUnparsed,
    /// No time at all; imported without one.
    TimeMissing,
    /// Bytes that are not UTF-8 were replaced for indexing (the raw bytes are kept).
    InvalidUtf8,
    /// Lines starting with `#`, which are not records.
    CommentLines,
    /// Bytes after the last gzip member (padding or other data), not read.
    TrailingData,
    /// A JSON object with the same key twice: the last value is indexed, the raw record keeps
    /// both.
    DuplicateKeys,
    /// Text in UTF-16 or UTF-32 (said by its byte order mark), decoded to UTF-8 for reading.
    Transcoded,
    /// An epoch number that reads as a date in two units (milliseconds of 1978 or seconds of
    /// the year 10000): read in the smaller one, flagged.
    EpochAmbiguous,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::YearInferred => "year_inferred",
            WarningKind::FutureTime => "future_time",
            WarningKind::ZoneAssumed => "zone_assumed",
            WarningKind::ZoneChosen => "zone_chosen",
            WarningKind::TimeUnparsed => "time_unparsed",
            WarningKind::TimeMissing => "time_missing",
            WarningKind::InvalidUtf8 => "invalid_utf8",
            WarningKind::CommentLines => "comment_lines",
            WarningKind::TrailingData => "trailing_data",
            WarningKind::DuplicateKeys => "duplicate_keys",
            WarningKind::Transcoded => "transcoded",
            WarningKind::EpochAmbiguous => "epoch_ambiguous",
        }
    }
}

/// How many warnings of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KindCount {
    pub kind: WarningKind,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
}

/// Adds `n` to `kind`'s count in a list kept in kind order.
fn add_count(counts: &mut Vec<KindCount>, kind: WarningKind, n: u64) {
    match counts.binary_search_by(|c| c.kind.cmp(&kind)) {
        Ok(i) => counts[i].count += n,
        Err(i) => counts.insert(i, KindCount { kind, count: n }),
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum FileStatus {
    /// Read; its events are in the case (perhaps with skipped records).
    Imported,
    /// Same SHA-256 as a file already in the case: not read again.
    Duplicate,
    /// Not read for safety: a link, an unsafe archive path, a decompression bomb.
    Refused,
    /// Content matched no known format.
    Unrecognized,
    /// Reading failed before any record could be taken.
    Failed,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Imported => "imported",
            FileStatus::Duplicate => "duplicate",
            FileStatus::Refused => "refused",
            FileStatus::Unrecognized => "unrecognized",
            FileStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileReport {
    /// Path as given, with `!/member` inside archives.
    pub path: String,
    pub sha256: Option<String>,
    pub format: Option<String>,
    pub status: FileStatus,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skipped: u64,
    /// Events imported with a flag (no parsable time, invalid UTF-8 replaced, …).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub flagged: u64,
    /// Why the file was not (fully) read, or what else the user should know about it.
    pub note: Option<String>,
    /// Samples of skipped records, first ones first.
    pub errors: Vec<RecordError>,
    /// Samples of flagged records.
    pub warnings: Vec<RecordError>,
    /// Every warning counted by kind (the samples above are the first ones only).
    #[serde(default)]
    pub warning_counts: Vec<KindCount>,
    /// What the import assumed to read the file, in words: the year of lines that write none,
    /// the zone of times written without one, a format chosen for it.
    #[serde(default)]
    pub assumptions: Vec<String>,
    /// What the import noticed about the file's integrity: sequence gaps, records out of order,
    /// events that clear or disable the log, conflicting duplicates.
    #[serde(default)]
    pub findings: Vec<crate::model::Finding>,
    #[serde(skip)]
    pub(crate) ids: Vec<crate::integrity::watch::IdMark>,
    /// What the case's rules found in the file's events.
    #[serde(skip)]
    pub(crate) hits: Vec<crate::detect::Hit>,
    /// Its events a correlation counts, as the correlation pass reads them.
    #[serde(skip)]
    pub(crate) counted: Vec<crate::detect::Counted>,
    #[serde(skip)]
    pub(crate) file_id: Option<u64>,
    #[serde(skip)]
    pub(crate) context: Option<crate::formats::FileContext>,
    #[serde(skip)]
    pub(crate) size: Option<u64>,
    /// Where the file's bytes lie when they are a range of a followed file.
    #[serde(skip)]
    pub(crate) range: Option<crate::case::followed::RangeRow>,
    /// Position in the walk, to report files in bundle order whatever thread read them.
    #[serde(skip)]
    pub(crate) order: u64,
}

impl FileReport {
    pub(crate) fn new(
        path: String,
        sha256: Option<String>,
        status: FileStatus,
        order: u64,
    ) -> FileReport {
        FileReport {
            path,
            sha256,
            format: None,
            status,
            events: 0,
            skipped: 0,
            flagged: 0,
            note: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            warning_counts: Vec::new(),
            assumptions: Vec::new(),
            findings: Vec::new(),
            ids: Vec::new(),
            hits: Vec::new(),
            counted: Vec::new(),
            file_id: None,
            context: None,
            size: None,
            range: None,
            order,
        }
    }

    pub(crate) fn skip(&mut self, line: Option<u64>, offset: Option<u64>, reason: String) {
        self.skipped += 1;
        if self.errors.len() < MAX_SAMPLES {
            self.errors.push(RecordError {
                line,
                offset,
                reason,
                kind: None,
            });
        }
    }

    /// Counts a warning of `kind`; `reason` (built only when wanted) is kept as a sample while
    /// there is room. Returns whether it was the first of its kind in the file.
    pub(crate) fn warn(
        &mut self,
        kind: WarningKind,
        line: Option<u64>,
        offset: Option<u64>,
        reason: impl FnOnce() -> String,
    ) -> bool {
        let first = !self.warning_counts.iter().any(|c| c.kind == kind);
        add_count(&mut self.warning_counts, kind, 1);
        let of_kind = self
            .warnings
            .iter()
            .filter(|w| w.kind == Some(kind))
            .count();
        if self.warnings.len() < MAX_SAMPLES && of_kind < MAX_SAMPLES_PER_KIND {
            self.warnings.push(RecordError {
                line,
                offset,
                reason: reason(),
                kind: Some(kind),
            });
        }
        first
    }

    /// Counts `n` warnings of `kind` that have no one record to point at (comment lines).
    pub(crate) fn warn_many(&mut self, kind: WarningKind, n: u64, reason: String) {
        add_count(&mut self.warning_counts, kind, n);
        if self.warnings.len() < MAX_SAMPLES {
            self.warnings.push(RecordError {
                line: None,
                offset: None,
                reason,
                kind: Some(kind),
            });
        }
    }

    /// States an assumption once.
    pub(crate) fn assume(&mut self, text: String) {
        if !self.assumptions.contains(&text) {
            self.assumptions.push(text);
        }
    }
}

/// The result of one import run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportReport {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skipped: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub flagged: u64,
    /// Warnings of every file, counted by kind: what "flagged" means.
    #[serde(default)]
    pub warnings: Vec<KindCount>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_imported: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_duplicate: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_refused: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_unrecognized: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files_failed: u64,
    /// Uncompressed bytes read from leaf files.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed_ms: u64,
    pub files: Vec<FileReport>,
    /// The rules that fired on the case after this import (its own events, and correlations
    /// over the whole case), most serious first; see `sightline detect` for their events.
    #[serde(default)]
    pub detections: Vec<crate::detect::FiredRule>,
    /// CPU per event by stage, when the import was asked to measure it.
    #[serde(default)]
    pub stages: Option<super::stages::StageCpu>,
}

impl ImportReport {
    pub(crate) fn from_files(
        run_id: u64,
        mut files: Vec<FileReport>,
        bytes: u64,
        elapsed_ms: u64,
    ) -> ImportReport {
        files.sort_by_key(|f| f.order);
        let count = |s: FileStatus| files.iter().filter(|f| f.status == s).count() as u64;
        let mut warnings = Vec::new();
        for c in files.iter().flat_map(|f| &f.warning_counts) {
            add_count(&mut warnings, c.kind, c.count);
        }
        ImportReport {
            warnings,
            run_id,
            events: files.iter().map(|f| f.events).sum(),
            skipped: files.iter().map(|f| f.skipped).sum(),
            flagged: files.iter().map(|f| f.flagged).sum(),
            files_imported: count(FileStatus::Imported),
            files_duplicate: count(FileStatus::Duplicate),
            files_refused: count(FileStatus::Refused),
            files_unrecognized: count(FileStatus::Unrecognized),
            files_failed: count(FileStatus::Failed),
            bytes,
            elapsed_ms,
            files,
            detections: Vec::new(),
            stages: None,
        }
    }
}

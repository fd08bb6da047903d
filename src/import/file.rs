//! Reading one leaf file: shape, records, format, events, documents.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::Value;
use tantivy::TantivyDocument;

use super::report::{FileReport, FileStatus, WarningKind};
use super::ImportOptions;
use crate::bundle::limits::ReadFault;
use crate::bundle::{Leaf, Limits};
use crate::formats::{self, parse_record, Format, FormatOptions, ParseNotes, RecordReader, Sample};
use crate::index::{self, Fields};
use crate::integrity::watch::Watch;
use crate::model::event::{AuditEvent, Provenance};
use crate::record::encoding::{self, Bom};
use crate::record::{sniff_shape, split_csv_row, CsvFramer, Frame, JsonFramer, LineFramer, Shape};

const SNIFF_BYTES: u64 = 64 << 10;
/// Bad frames tolerated before the first good record while choosing a format.
const MAX_LEADING_BAD: usize = 1000;

pub(crate) struct FileJob {
    pub leaf: Leaf,
    pub file_id: u64,
    pub order: u64,
    /// Set when the leaf is a range of a followed file rather than a whole file.
    pub range: Option<super::RangeJob>,
}

/// What every file reader shares within one import.
pub(crate) struct ReadContext<'a> {
    pub fields: &'a Fields,
    pub limits: &'a Limits,
    pub options: &'a ImportOptions,
    pub cancel: &'a AtomicBool,
    pub events: &'a AtomicU64,
    pub bytes: &'a AtomicU64,
    /// The import's clock, UTC nanoseconds: the reference time of files that have no
    /// modification time of their own (archive members).
    pub now: i64,
    /// The case's rules, evaluated on every event as it is indexed.
    pub detector: Option<&'a crate::detect::Detector>,
    /// Where each stage's CPU is added, when measured.
    pub stages: Option<&'a super::stages::StageClock>,
    /// The files begun since the last checkpoint, with how their records are read: recorded
    /// before a checkpoint makes their first events visible.
    pub begun: &'a std::sync::Mutex<Vec<crate::case::db::ReadingRow>>,
}

pub(super) type DocSink<'s> = dyn FnMut(TantivyDocument) -> crate::Result<()> + 's;

enum Framer<R> {
    Json(JsonFramer<R>),
    // Boxed: the CSV parser's state tables are large beside the other framers.
    Csv(Box<CsvFramer<R>>, u8),
    Lines(LineFramer<R>),
}

impl<R: BufRead> Framer<R> {
    fn next(&mut self) -> std::io::Result<Option<Frame>> {
        match self {
            Framer::Json(f) => f.next_frame(),
            Framer::Csv(f, _) => f.next_frame(),
            Framer::Lines(f) => f.next_frame(),
        }
    }
}

/// Largest Parquet file read; it is read whole, as the format's footer comes last.
const MAX_PARQUET_BYTES: u64 = 4 << 30;

/// A Parquet file as a stream of JSON lines and its first bytes, or why it cannot be read.
fn parquet_rows<'r>(
    head: Vec<u8>,
    input: impl Read + Send + 'r,
) -> Result<(Vec<u8>, Box<dyn Read + Send + 'r>), String> {
    let mut bytes = head;
    input
        .take(MAX_PARQUET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(&e, 0))?;
    if bytes.len() as u64 > MAX_PARQUET_BYTES {
        return Err(format!(
            "Parquet file larger than {} MiB; split it (nothing was read)",
            MAX_PARQUET_BYTES >> 20
        ));
    }
    let mut rows = crate::record::parquet_rows::ParquetJson::new(bytes)?;
    let mut head = Vec::new();
    (&mut rows)
        .take(SNIFF_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| format!("Parquet rows could not be read: {e}"))?;
    Ok((head, Box::new(rows)))
}

/// What followed a gzip file's last member, as the import reports it.
fn trailing_reason(size: u64, tail: crate::bundle::gzip::Tail) -> String {
    let what = if tail.zeros {
        "zero bytes (padding)"
    } else {
        "bytes that are not gzip data"
    };
    format!(
        "the gzip data ends at byte {} of {size}; the {} {what} after it were not read (as gzip -dc does)",
        size.saturating_sub(tail.bytes),
        tail.bytes
    )
}

/// The file's first bytes and a reader of the rest as UTF-8 text: as it is, decoded by its byte
/// order mark, or Parquet rows rendered as JSON lines. `None` when it cannot be read as text; the
/// report then says why.
fn as_text<'r>(
    head: Vec<u8>,
    input: impl Read + Send + 'r,
    report: &mut FileReport,
) -> Option<(Vec<u8>, Box<dyn Read + Send + 'r>)> {
    let mut refuse = |status, note| {
        report.status = status;
        report.note = Some(note);
        None
    };
    if head.starts_with(crate::record::parquet_rows::MAGIC) {
        let (head, rows) = match parquet_rows(head, input) {
            Ok(pair) => pair,
            Err(note) => return refuse(FileStatus::Failed, note),
        };
        report.warn_many(
            WarningKind::Transcoded,
            1,
            "Parquet rows rendered as JSON lines: raw records and offsets are those of the rendering".to_string(),
        );
        return Some((head, rows));
    }
    match encoding::by_bom(&head) {
        Bom::None => Some((head, Box::new(input))),
        Bom::Unsupported(name) => refuse(
            FileStatus::Unrecognized,
            format!(
                "{name} text (its byte order mark says so) is an unsupported encoding; convert it to UTF-8 first (iconv -f {name} -t UTF-8)"
            ),
        ),
        Bom::Decodable(enc) => {
            let mut decoded = encoding::decode(head, input, enc);
            let mut head = Vec::new();
            if let Err(e) = (&mut decoded).take(SNIFF_BYTES).read_to_end(&mut head) {
                return refuse(FileStatus::Failed, read_error(&e, 0));
            }
            report.warn_many(
                WarningKind::Transcoded,
                1,
                format!(
                    "{} text, decoded to UTF-8: raw records and offsets are those of the decoded text",
                    enc.name()
                ),
            );
            Some((head, decoded))
        }
    }
}

/// What the framer noticed about the file as a whole: a repeated `Records` key, comment lines.
fn framer_warnings<R: BufRead>(framer: &Framer<R>, report: &mut FileReport) {
    if let Framer::Json(json) = framer {
        let n = json.repeated_wrappers();
        if n > 0 {
            let reason = format!(
                "the file's wrapper object holds its Records key {} times: the records of every array were read (a JSON parser would keep only the last)",
                n + 1
            );
            report.warn_many(WarningKind::DuplicateKeys, n, reason);
        }
    }
    if let Framer::Lines(lines) = framer {
        let n = lines.comments();
        if n > 0 {
            let reason = format!(
                "{n} comment line{} (starting with #) are not records",
                if n == 1 { "" } else { "s" }
            );
            report.warn_many(WarningKind::CommentLines, n, reason);
        }
    }
}

/// Reads a leaf into documents handed to `sink`, and reports what happened.
pub(crate) fn read_file(
    ctx: &ReadContext,
    mut job: FileJob,
    sink: &mut DocSink,
) -> crate::Result<FileReport> {
    let range = job.range.take();
    let leaf = &job.leaf;
    let mut report = FileReport::new(
        leaf.path.clone(),
        Some(leaf.sha256.clone()),
        FileStatus::Imported,
        job.order,
    );
    report.file_id = Some(job.file_id);
    report.size = Some(leaf.size);
    let base = match &range {
        Some(r) => Base {
            offset: r.row.start,
            lines: r.row.first_line.saturating_sub(1),
        },
        None => Base::default(),
    };
    let (mut input, gz_tail) = match leaf.open_noting(ctx.limits) {
        Ok(r) => r,
        Err(e) => return Ok(failed(report, format!("cannot open: {e}"))),
    };
    let mut head = Vec::new();
    if let Err(e) = (&mut input).take(SNIFF_BYTES).read_to_end(&mut head) {
        return Ok(failed(report, read_error(&e, 0)));
    }
    ctx.bytes.fetch_add(head.len() as u64, Ordering::Relaxed);
    let input = CountInto {
        inner: input,
        counter: ctx.bytes,
        stages: ctx.stages,
    };
    let Some((head, input)) = as_text(head, input, &mut report) else {
        return Ok(report);
    };
    // A range after a followed file's first is read as the first was: a few lines alone may not
    // tell their format.
    let chosen = match range.as_ref().and_then(|r| r.format.as_deref()) {
        Some(format) => Some(format),
        None => ctx.options.format_for(&leaf.path),
    };
    if head.starts_with(formats::windows::EVTX_MAGIC) && chosen.is_none_or(|f| f == "evtx") {
        return super::evtx::read_evtx(ctx, job, report, head, input, sink);
    }
    if formats::splunk_xml::is_export(&head) && chosen.is_none_or(|f| f == "splunk_xml") {
        return super::xml::read_splunk_xml(ctx, job, report, head, input, sink);
    }
    let (mut framer, forced) = match framer_for(ctx, chosen, head, input)? {
        Ok(found) => found,
        Err(reason) => {
            report.status = FileStatus::Unrecognized;
            report.note = reason;
            return Ok(report);
        }
    };
    let mut file = FileReader {
        ctx,
        reference: reference_time(ctx, leaf),
        report,
        file_id: job.file_id,
        path: leaf.path.clone(),
        sha256: leaf.sha256.clone(),
        ordinal: 0,
        header: None,
        watch: Watch::new(job.file_id),
        base,
    };
    let result = file.run(&mut framer, forced, sink);
    let FileReader {
        mut report,
        ordinal,
        watch,
        ..
    } = file;
    framer_warnings(&framer, &mut report);
    (report.findings, report.ids) = watch.finish(&leaf.path);
    if let Some(range) = range {
        report.findings.extend(range.findings);
        report.range = Some(range.row);
    }
    if let Some(tail) = gz_tail.and_then(|t| *t.lock().unwrap_or_else(|p| p.into_inner())) {
        report.warn_many(
            WarningKind::TrailingData,
            1,
            trailing_reason(leaf.size, tail),
        );
    }
    match result {
        Ok(()) => {}
        Err(ReadStop::Io(e)) => {
            let note = read_error(&e, ordinal);
            if report.events == 0 && report.skipped == 0 {
                return Ok(failed(report, note));
            }
            report.note = Some(format!(
                "{note}; the {} records before it were kept",
                report.events
            ));
        }
        Err(ReadStop::Engine(e)) => return Err(e),
        Err(ReadStop::Unrecognized(reason)) => {
            report.status = FileStatus::Unrecognized;
            report.note = Some(reason);
        }
    }
    Ok(report)
}

/// A framer for the file's shape and the format it is read as when one is forced or its text
/// says which; `Err` with the reason (if one can be given) when nothing will read it.
#[allow(clippy::type_complexity)]
fn framer_for<'f, R: Read + 'f>(
    ctx: &ReadContext,
    chosen: Option<&str>,
    head: Vec<u8>,
    input: R,
) -> crate::Result<
    Result<
        (
            Framer<BufReader<std::io::Chain<Cursor<Vec<u8>>, R>>>,
            Option<&'static dyn Format>,
        ),
        Option<String>,
    >,
> {
    let shape = sniff_shape(&head);
    let forced = match chosen {
        Some(name) => Some(
            formats::by_name(name)
                .ok_or_else(|| crate::Error::UnknownFormat(name.to_string(), formats::names()))?,
        ),
        None => None,
    };
    // Text logs are recognized by their lines before the delimited-text guess, which would take
    // a syslog line with commas for a CSV row; but a first row of column names is a CSV header,
    // whatever the rows below it hold (a Splunk export's `_raw` column holds log lines).
    let header = matches!(shape, Shape::Delimited(d) if crate::record::looks_like_header(&head, d));
    let forced = forced.or_else(|| {
        (shape != Shape::Json && !header)
            .then(|| formats::detect_text(&head))
            .flatten()
    });
    let shape = match forced {
        Some(f) if f.reads_lines() => Shape::Lines,
        _ => shape,
    };
    if matches!((shape, forced), (Shape::Unknown | Shape::Lines, None)) {
        let reason = (shape == Shape::Unknown).then(|| unrecognized_reason(&head));
        return Ok(Err(reason));
    }
    let max = ctx.limits.max_record_bytes;
    let stream = BufReader::with_capacity(64 << 10, Cursor::new(head).chain(input));
    let framer = match (shape, forced) {
        (Shape::Lines, Some(f)) => Framer::Lines(LineFramer::new(stream, max, f.group_key())),
        (Shape::Delimited(d), _) => Framer::Csv(Box::new(CsvFramer::new(stream, d, max)), d),
        (_, Some(f)) if f.reads_delimited() => {
            Framer::Csv(Box::new(CsvFramer::new(stream, b',', max)), b',')
        }
        _ => Framer::Json(JsonFramer::new(stream, max)),
    };
    Ok(Ok((framer, forced)))
}

/// When a file was last written, as far as the import can tell: its modification time, or the
/// import's own time for archive members (which have none). No record of it can be later; years a
/// log does not write are read so that its lines are not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reference {
    pub nanos: i64,
    pub from_mtime: bool,
}

fn reference_time(ctx: &ReadContext, leaf: &Leaf) -> Reference {
    let modified = match &leaf.content {
        crate::bundle::Content::Disk(path) => {
            std::fs::metadata(path).and_then(|m| m.modified()).ok()
        }
        _ => None,
    };
    let nanos =
        modified.and_then(|t| chrono::DateTime::<chrono::Utc>::from(t).timestamp_nanos_opt());
    match nanos {
        Some(nanos) => Reference {
            nanos: nanos.min(ctx.now),
            from_mtime: true,
        },
        None => Reference {
            nanos: ctx.now,
            from_mtime: false,
        },
    }
}

pub(super) fn failed(mut report: FileReport, note: String) -> FileReport {
    report.status = FileStatus::Failed;
    report.note = Some(note);
    report
}

pub(super) fn read_error(e: &std::io::Error, records: u64) -> String {
    match ReadFault::of(e) {
        Some(ReadFault::Bomb(_)) => e.to_string(),
        Some(ReadFault::Damaged(why)) => {
            format!("compressed stream is truncated or damaged after {records} records ({why})")
        }
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("compressed stream is truncated or damaged after {records} records ({e})")
        }
        None => format!("read error after {records} records: {e}"),
    }
}

/// Adds the bytes read through it to the import's byte counter.
struct CountInto<'a, R> {
    inner: R,
    counter: &'a AtomicU64,
    stages: Option<&'a super::stages::StageClock>,
}

impl<R: Read> Read for CountInto<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut lap = super::stages::Lap::start(self.stages);
        let n = self.inner.read(buf)?;
        lap.lap(|c| &c.read);
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn unrecognized_reason(head: &[u8]) -> String {
    if head.is_empty() {
        "empty file".to_string()
    } else if head.contains(&0) {
        "binary content in no format sightline reads".to_string()
    } else {
        "text in no format sightline reads (not JSON, not delimited with a header)".to_string()
    }
}

pub(super) enum ReadStop {
    Io(std::io::Error),
    Engine(crate::Error),
    Unrecognized(String),
}

impl From<crate::Error> for ReadStop {
    fn from(e: crate::Error) -> Self {
        ReadStop::Engine(e)
    }
}

pub(super) struct FileReader<'a> {
    pub(super) ctx: &'a ReadContext<'a>,
    /// Year (and month) that year-less times are read against; see `formats::syslog`.
    pub(super) reference: Reference,
    pub(super) report: FileReport,
    pub(super) file_id: u64,
    pub(super) path: String,
    pub(super) sha256: String,
    pub(super) ordinal: u64,
    pub(super) header: Option<Vec<String>>,
    pub(super) watch: Watch,
    /// Where the leaf's bytes begin in the file they were cut from (a followed file's range).
    pub(super) base: Base,
}

/// Added to a frame's offset and line: what came before the leaf's first byte.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Base {
    offset: u64,
    lines: u64,
}

impl<'a> FileReader<'a> {
    /// A reader for a file its own parser reads whole (EVTX, Splunk's XML export), whose records
    /// come as JSON in `format`; with the record reader that normalizes them.
    pub(super) fn whole(
        ctx: &'a ReadContext<'a>,
        job: &FileJob,
        report: FileReport,
        format: &'static dyn Format,
    ) -> (FileReader<'a>, RecordReader) {
        let sample = Sample {
            shape: Shape::Json,
            first: None,
            header: None,
        };
        let reference = reference_time(ctx, &job.leaf);
        let options = FormatOptions {
            reference_nanos: Some(reference.nanos),
            ..FormatOptions::default()
        };
        let reader = RecordReader::new(format, &sample, &options);
        let mut file = FileReader {
            ctx,
            reference,
            report,
            file_id: job.file_id,
            path: job.leaf.path.clone(),
            sha256: job.leaf.sha256.clone(),
            ordinal: 0,
            header: None,
            watch: Watch::new(job.file_id),
            base: Base::default(),
        };
        file.report.format = Some(format.name().to_string());
        file.report.context = Some(reader.context().clone());
        file.begin(&reader);
        (file, reader)
    }

    /// Says the file is begun, with how its records are read, before its first event is
    /// indexed (a checkpoint may make it visible).
    fn begin(&self, reader: &RecordReader) {
        let Ok(context) = serde_json::to_string(reader.context()) else {
            return;
        };
        let mut begun = self.ctx.begun.lock().unwrap_or_else(|p| p.into_inner());
        begun.push(crate::case::db::ReadingRow {
            id: self.file_id,
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            context,
        });
    }

    fn run<R: BufRead>(
        &mut self,
        framer: &mut Framer<R>,
        forced: Option<&'static dyn Format>,
        sink: &mut DocSink,
    ) -> Result<(), ReadStop> {
        // Choose the format from the first good record; keep what came before it.
        let mut pending: Vec<Frame> = Vec::new();
        let mut sample_value: Option<Value> = None;
        while sample_value.is_none() {
            let Some(frame) = self.next(framer)? else {
                break;
            };
            if let Frame::Record(raw) = &frame {
                if let Framer::Csv(_, d) = framer {
                    if self.header.is_none() {
                        self.header = Some(split_csv_row(&raw.bytes, *d));
                        continue;
                    }
                }
                let parsed = match (&*framer, forced) {
                    (Framer::Lines(_), Some(f)) => {
                        f.parse_line(&raw.bytes).map(|v| (v, ParseNotes::default()))
                    }
                    _ => parse_record(&raw.bytes, self.csv(framer)),
                };
                if let Ok((value, _)) = parsed {
                    sample_value = Some(value);
                }
            }
            pending.push(frame);
            if pending.len() > MAX_LEADING_BAD {
                break;
            }
        }
        let shape = match framer {
            Framer::Json(_) => Shape::Json,
            Framer::Csv(_, d) => Shape::Delimited(*d),
            Framer::Lines(_) => Shape::Lines,
        };
        let sample = Sample {
            shape,
            first: sample_value.as_ref(),
            header: self.header.as_deref(),
        };
        let format = match forced.or_else(|| formats::detect(&sample)) {
            Some(f) => f,
            None if sample_value.is_none() && pending.is_empty() => {
                return Err(ReadStop::Unrecognized("no records found".to_string()));
            }
            None => {
                return Err(ReadStop::Unrecognized(
                    "records are not JSON objects or rows sightline can map to events".to_string(),
                ))
            }
        };
        let options = FormatOptions {
            mapping: self.ctx.options.mapping.clone(),
            state: None,
            year: self.ctx.options.year,
            reference_nanos: Some(self.reference.nanos),
            zone_minutes: self.ctx.options.zone_for(&self.path),
        };
        let reader = RecordReader::new(format, &sample, &options);
        self.report.format = Some(format.name().to_string());
        self.report.context = Some(reader.context().clone());
        self.begin(&reader);
        for frame in pending {
            self.take(&reader, frame, sink)?;
        }
        let result = self.read_rest(&reader, framer, sink);
        // Whatever was read stays; the context must say how to rebuild it.
        self.report.context = Some(reader.final_context());
        result
    }

    fn read_rest<R: BufRead>(
        &mut self,
        reader: &RecordReader,
        framer: &mut Framer<R>,
        sink: &mut DocSink,
    ) -> Result<(), ReadStop> {
        while let Some(frame) = self.next(framer)? {
            self.take(reader, frame, sink)?;
            if self.ordinal.is_multiple_of(256) && self.ctx.cancel.load(Ordering::Relaxed) {
                return Err(ReadStop::Engine(crate::Error::Cancelled));
            }
        }
        Ok(())
    }

    fn csv<'h, R>(&'h self, framer: &Framer<R>) -> Option<(u8, &'h [String])> {
        match framer {
            Framer::Csv(_, d) => Some((*d, self.header.as_deref().unwrap_or_default())),
            Framer::Json(_) | Framer::Lines(_) => None,
        }
    }

    fn next<R: BufRead>(&mut self, framer: &mut Framer<R>) -> Result<Option<Frame>, ReadStop> {
        let mut lap = super::stages::Lap::start(self.ctx.stages);
        let mut frame = framer.next().map_err(ReadStop::Io);
        lap.lap(|c| &c.frame);
        let base = self.base;
        if base.offset > 0 || base.lines > 0 {
            match &mut frame {
                Ok(Some(Frame::Record(raw))) => {
                    raw.offset += base.offset;
                    raw.line += base.lines;
                }
                Ok(Some(Frame::Bad(bad))) => {
                    bad.offset += base.offset;
                    bad.line += base.lines;
                }
                _ => {}
            }
        }
        frame
    }

    pub(super) fn take(
        &mut self,
        reader: &RecordReader,
        frame: Frame,
        sink: &mut DocSink,
    ) -> Result<(), ReadStop> {
        let ordinal = self.ordinal;
        self.ordinal += 1;
        let raw = match frame {
            Frame::Bad(bad) => {
                // Line 0: the source has no lines (EVTX); the ordinal locates the record.
                let line = (bad.line > 0).then_some(bad.line);
                self.report.skip(line, line.map(|_| bad.offset), bad.reason);
                return Ok(());
            }
            Frame::Record(raw) => raw,
        };
        let mut lap = super::stages::Lap::start(self.ctx.stages);
        let parsed = reader.parse(&raw.bytes);
        lap.lap(|c| &c.parse);
        let (value, notes) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                self.report.skip(Some(raw.line), Some(raw.offset), reason);
                return Ok(());
            }
        };
        let provenance = Provenance {
            file_id: self.file_id,
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            ordinal,
            line: (raw.line > 0).then_some(raw.line),
            offset: raw.offset,
            wrapper: None,
        };
        let event = reader.event(&value, &notes, provenance);
        if !event.flags.is_empty() {
            self.report.flagged += 1;
            self.warn_flags(&event, raw.line, raw.offset, &notes);
        }
        self.watch.observe(&event, &value);
        lap.lap(|c| &c.normalize);
        if let Some(detector) = self.ctx.detector {
            let seq = crate::model::event::sequence_key(self.file_id, ordinal);
            let hits = detector.evaluate(&event, &value, seq);
            self.report
                .counted
                .extend(detector.counted(&event, &value, &hits));
            self.report.hits.extend(hits);
        }
        lap.lap(|c| &c.detect);
        let doc = index::document(
            self.ctx.fields,
            &event,
            &value,
            reader.format.aliases(),
            &raw.bytes,
        );
        lap.lap(|c| &c.document);
        sink(doc)?;
        lap.lap(|c| &c.send);
        self.report.events += 1;
        self.ctx.events.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Tells the report what a flagged event's flags mean for the reader of the file: each
    /// warning counted by kind, and what the import assumed stated once per file.
    fn warn_flags(&mut self, event: &AuditEvent, line: u64, offset: u64, notes: &ParseNotes) {
        let (line, offset) = (Some(line), Some(offset));
        let has = |flag: &str| event.flags.iter().any(|f| f == flag);
        let time = event.time.utc_nanos.map(crate::time::format_rfc3339);
        if notes.utf8_replaced {
            self.report
                .warn(WarningKind::InvalidUtf8, line, offset, || {
                    "invalid UTF-8 replaced for indexing; raw bytes kept".to_string()
                });
        }
        if has("epoch_ambiguous") {
            let read = time.clone().unwrap_or_default();
            let original = event.time.original.clone().unwrap_or_default();
            self.report
                .warn(WarningKind::EpochAmbiguous, line, offset, || {
                    format!("the epoch number {original} is read as {read}; in the next larger unit it would also be a date (up to the year 10000, a value some systems write for \"never\")")
                });
        }
        if let Some(key) = &notes.duplicate_key {
            self.report
                .warn(WarningKind::DuplicateKeys, line, offset, || {
                    format!("the key {key:?} appears twice in one object: the last value is read, the raw record keeps both")
                });
        }
        if has("year_inferred") {
            let year = time
                .as_deref()
                .and_then(|t| t.get(..4))
                .unwrap_or("?")
                .to_string();
            let first = self
                .report
                .warn(WarningKind::YearInferred, line, offset, || {
                    format!("line writes no year; read as {year}")
                });
            if first {
                // Whole seconds: the reference is a time a person compares with a listing.
                let at = crate::time::format_rfc3339(
                    self.reference.nanos - self.reference.nanos.rem_euclid(1_000_000_000),
                );
                let source = match (self.ctx.options.year, self.reference.from_mtime) {
                    (Some(_), _) => "as chosen with --year".to_string(),
                    (None, true) => format!(
                        "from the file's modification time, {at}, so that no line is later; override with --year"
                    ),
                    (None, false) => format!(
                        "from the import time, {at} (archive members keep no modification time); override with --year"
                    ),
                };
                self.report.assume(format!(
                    "lines write no year: the first is read as {year}, {source}"
                ));
            }
        }
        if has("future_time") {
            let reference = crate::time::format_rfc3339(self.reference.nanos);
            self.report.warn(WarningKind::FutureTime, line, offset, || {
                format!(
                    "dated {} but the file was last written {reference}",
                    time.as_deref().unwrap_or("?")
                )
            });
        }
        if has("time_zone_assumed_utc") {
            self.report
                .warn(WarningKind::ZoneAssumed, line, offset, || {
                    "time has no zone; read as UTC".to_string()
                });
            self.report.assume(
                "times written without a zone are read as UTC (choose another with --zone)"
                    .to_string(),
            );
        }
        if has("time_zone_chosen") {
            let zone = self
                .ctx
                .options
                .zone_for(&self.path)
                .map(crate::time::format_offset)
                .unwrap_or_default();
            self.report.warn(WarningKind::ZoneChosen, line, offset, || {
                format!("time has no zone; read as UTC{zone} as chosen")
            });
            self.report.assume(format!(
                "times written without a zone are read as UTC{zone}, as chosen for this import"
            ));
        }
        match &event.time.original {
            _ if event.time.utc_nanos.is_some() => {}
            Some(t) => {
                self.report
                    .warn(WarningKind::TimeUnparsed, line, offset, || {
                        format!("time {t:?} could not be read; imported without a time")
                    });
            }
            None => {
                self.report
                    .warn(WarningKind::TimeMissing, line, offset, || {
                        "no time field; imported without a time".to_string()
                    });
            }
        }
    }
}

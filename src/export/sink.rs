//! Writing an export's rows: CSV or JSON lines through the redactor when there is one, hashed on
//! the way to the file, with the count of rows per source file for the manifest.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::columns::{self, Column, Row};
use super::redact::Redactor;
use super::{ExportFormat, ExportOptions, ExportProgress, ExportSource};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::FacetFilter;

/// What writing the rows produced, for the manifest.
pub(super) struct Written {
    pub rows: u64,
    pub sha256: String,
    pub sources: Vec<ExportSource>,
    pub redaction: Option<serde_json::Value>,
    /// The query and filters as the manifest states them (redacted with the rows).
    pub query: String,
    pub filters: Vec<FacetFilter>,
}

/// Hashes what passes through on its way to the file.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

type FileWriter = HashingWriter<std::io::BufWriter<std::fs::File>>;

enum Format {
    Csv(Box<csv::Writer<FileWriter>>),
    Jsonl(FileWriter),
    Ocsf(FileWriter),
    /// OCSF JSON lines written to this file first, then converted into the export as Parquet.
    OcsfParquet(FileWriter, std::path::PathBuf),
}

/// Rows in the chosen columns and format, redacted when a redactor is given.
struct RowSink<'a> {
    format: Format,
    columns: &'a [Column],
    names: Vec<String>,
    redactor: Option<Redactor>,
    path: &'a Path,
}

impl RowSink<'_> {
    fn write(&mut self, row: &Row) -> Result<()> {
        let io = |e: std::io::Error| Error::io(self.path, e);
        match &mut self.format {
            Format::Csv(w) => {
                let cells: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| {
                        let text = c.text(row);
                        let text = match self.redactor.as_mut() {
                            Some(r) => r.text(&text),
                            None => text,
                        };
                        columns::spreadsheet_safe(&text).into_owned()
                    })
                    .collect();
                w.write_record(&cells)
                    .map_err(|e| csv_error(self.path, e))?;
            }
            Format::Jsonl(w) => {
                let mut object = serde_json::Map::new();
                for (c, name) in self.columns.iter().zip(&self.names) {
                    let mut v = c.json(row);
                    if let Some(r) = self.redactor.as_mut() {
                        r.json(&mut v);
                    }
                    object.insert(name.clone(), v);
                }
                json_line(w, &Value::Object(object)).map_err(io)?;
            }
            Format::Ocsf(w) | Format::OcsfParquet(w, _) => {
                let mut object = super::ocsf::event(row.event, row.record);
                if let Some(r) = self.redactor.as_mut() {
                    r.json(&mut object);
                }
                json_line(w, &object).map_err(io)?;
            }
        }
        Ok(())
    }

    /// Flushes and syncs the file; returns its SHA-256 and the redactor.
    fn finish(self) -> Result<(String, Option<Redactor>)> {
        let io = |e: std::io::Error| Error::io(self.path, e);
        let (mut writer, staged) = match self.format {
            Format::Csv(w) => (
                w.into_inner().map_err(|e| {
                    Error::io(self.path, std::io::Error::other(e.error().to_string()))
                })?,
                None,
            ),
            Format::Jsonl(w) | Format::Ocsf(w) => (w, None),
            Format::OcsfParquet(w, rows) => (w, Some(rows)),
        };
        writer.flush().map_err(io)?;
        let sha256 = crate::bundle::hex(&writer.hash.finalize());
        writer
            .inner
            .into_inner()
            .map_err(|e| Error::io(self.path, e.into_error()))?
            .sync_all()
            .map_err(io)?;
        let Some(rows) = staged else {
            return Ok((sha256, self.redactor));
        };
        let converted = super::parquet::from_json_lines(&rows, self.path);
        let _ = std::fs::remove_file(&rows);
        converted?;
        let file = std::fs::File::open(self.path).map_err(io)?;
        let mut hash = Sha256::new();
        std::io::copy(&mut std::io::BufReader::new(file), &mut hash).map_err(io)?;
        Ok((crate::bundle::hex(&hash.finalize()), self.redactor))
    }
}

fn json_line(w: &mut FileWriter, value: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, value)?;
    w.write_all(b"\n")
}

/// A CSV writer's error: writing to the file is the only way it can fail here.
fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => Error::io(path, e),
        other => Error::Internal(format!("csv writer: {other:?}")),
    }
}

/// Writes the rows of the selection to `partial`.
pub(super) fn write_rows(
    store: &Store,
    partial: &Path,
    chosen: &[Column],
    options: &ExportOptions,
    progress: &(dyn Fn(&ExportProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<Written> {
    let mut sink = open(store, partial, chosen, options, cancel)?;
    let mut sources: BTreeMap<String, ExportSource> = BTreeMap::new();
    let mut rows = 0u64;
    // Marks for every row from one read; `None` when the case has none, so the columns stay
    // empty rather than saying "false" everywhere.
    let marks = if store.has_marks()? {
        Some(store.all_marks()?)
    } else {
        None
    };
    let detections = store.detection_labels()?;
    crate::search::for_each_hit(
        store,
        &options.request,
        cancel,
        &mut |total, event, raw, record| {
            let row = Row {
                event,
                record,
                record_sha256: crate::bundle::sha256_hex(raw),
                marks: marks
                    .as_ref()
                    .map(|m| m.get(&event.id()).cloned().unwrap_or_default()),
                detections: detections.cell(crate::model::event::sequence_key(
                    event.provenance.file_id,
                    event.provenance.ordinal,
                )),
            };
            sink.write(&row)?;
            let p = &event.provenance;
            sources
                .entry(p.path.clone())
                .or_insert_with(|| ExportSource {
                    path: p.path.clone(),
                    sha256: p.sha256.clone(),
                    rows: 0,
                })
                .rows += 1;
            rows += 1;
            if rows.is_multiple_of(1000) || rows == total {
                progress(&ExportProgress {
                    rows_done: rows,
                    rows_total: total,
                });
            }
            Ok(())
        },
    )?;
    let (sha256, mut redactor) = sink.finish()?;
    // The query and filters may name the very people the export hides.
    let mut query = options.request.query.clone();
    let mut filters = options.request.filters.clone();
    if let Some(r) = redactor.as_mut() {
        query = r.text(&query);
        for f in &mut filters {
            f.value = r.text(&f.value);
        }
    }
    let redaction = match redactor {
        Some(r) => Some(
            serde_json::to_value(r.summary())
                .map_err(|e| Error::Internal(format!("redaction summary: {e}")))?,
        ),
        None => None,
    };
    Ok(Written {
        rows,
        sha256,
        sources: sources.into_values().collect(),
        redaction,
        query,
        filters,
    })
}

/// Creates the file with its header and, for a redacted export, learns every value to hide
/// in a first pass over the selection.
fn open<'a>(
    store: &Store,
    partial: &'a Path,
    chosen: &'a [Column],
    options: &ExportOptions,
    cancel: &AtomicBool,
) -> Result<RowSink<'a>> {
    let names: Vec<String> = chosen.iter().map(Column::name).collect();
    let file = std::fs::File::create(partial).map_err(|e| Error::io(partial, e))?;
    let writer = HashingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, file),
        hash: Sha256::new(),
    };
    let format = match options.format {
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(writer);
            w.write_record(&names).map_err(|e| csv_error(partial, e))?;
            Format::Csv(Box::new(w))
        }
        ExportFormat::Jsonl => Format::Jsonl(writer),
        ExportFormat::OcsfJson => Format::Ocsf(writer),
        ExportFormat::OcsfParquet => {
            let rows = partial.with_extension("rows.jsonl");
            let file = std::fs::File::create(&rows).map_err(|e| Error::io(&rows, e))?;
            let staged = HashingWriter {
                inner: std::io::BufWriter::with_capacity(1 << 20, file),
                hash: Sha256::new(),
            };
            drop(writer);
            let _ = std::fs::remove_file(partial);
            Format::OcsfParquet(staged, rows)
        }
    };
    let redactor = match &options.redact_key {
        Some(key) => {
            let mut r = Redactor::new(key.clone()).map_err(Error::Internal)?;
            crate::search::for_each_hit(
                store,
                &options.request,
                cancel,
                &mut |_, event, _, record| {
                    r.collect(event, record);
                    Ok(())
                },
            )?;
            r.freeze().map_err(Error::Internal)?;
            Some(r)
        }
        None => None,
    };
    Ok(RowSink {
        format,
        columns: chosen,
        names,
        redactor,
        path: partial,
    })
}

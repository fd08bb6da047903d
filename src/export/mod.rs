//! Evidence export: the events a search selects, as RFC 4180 CSV or JSON lines, each row with its
//! provenance (source file and SHA-256, line or byte offset, the record's SHA-256), and a
//! manifest beside the file (`FILE.manifest.json`) that says what was selected, by whom's tool,
//! when, and the SHA-256 of the export and of every source file that contributed rows.
//!
//! CSV cells are spreadsheet-safe (see [`columns::spreadsheet_safe`]); JSON lines keep values
//! exactly. The file appears only when complete (written beside it, then renamed), and the export
//! is recorded in the case journal.

pub mod columns;
pub mod redact;
pub mod report;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case::Case;
use crate::error::{Error, Result};
use crate::search::SearchRequest;
use columns::{Column, Row};
use redact::Redactor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ExportFormat {
    #[default]
    Csv,
    Jsonl,
}

/// What to export and how.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The selection: query, time range, filters and order; paging fields are ignored.
    pub request: SearchRequest,
    pub format: ExportFormat,
    /// Column names; empty: every normalized and provenance column. `raw.KEY` adds an original
    /// field, `raw.*` every original field with data in the selection.
    pub columns: Vec<String>,
    /// Pseudonymize identities and mask secrets with this HMAC key.
    pub redact_key: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExportProgress {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows_total: u64,
}

/// A source file that contributed rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExportSource {
    pub path: String,
    pub sha256: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
}

/// The manifest written beside an export, and what the export call returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExportManifest {
    pub tool: String,
    pub version: String,
    pub case_id: String,
    /// The case clock at export, RFC 3339 UTC.
    pub exported_at: String,
    pub query: String,
    pub filters: Vec<crate::search::FacetFilter>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub order: crate::search::SortOrder,
    /// Times in the export are in this zone (RFC 3339 with offset).
    pub time_zone: String,
    pub format: ExportFormat,
    pub columns: Vec<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rows: u64,
    /// The export file's name (it sits beside the manifest).
    pub file: String,
    pub sha256: String,
    pub sources: Vec<ExportSource>,
    /// The redaction profile applied, if any, and the key's public id; the key is never recorded.
    #[cfg_attr(
        feature = "ts",
        ts(
            type = "{ profile: string, key_id: string, pseudonyms: number, masked: number } | null"
        )
    )]
    pub redaction: Option<serde_json::Value>,
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

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Jsonl(W),
}

/// What writing the rows produced, for the manifest.
struct Written {
    rows: u64,
    sha256: String,
    sources: Vec<ExportSource>,
    redaction: Option<serde_json::Value>,
    query: String,
    filters: Vec<crate::search::FacetFilter>,
}

fn manifest_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".manifest.json");
    out.with_file_name(name)
}

impl Case {
    /// The case's own redaction key, made on first use and kept in the case: the same selection
    /// exported twice is the same file, and a person pseudonymized in one export has the same
    /// pseudonym in the next. Recipients of exports never see it; the manifest names it by id.
    pub fn redaction_key(&self) -> Result<Vec<u8>> {
        const META: &str = "redaction_key";
        let db = self.db();
        if let Some(hex) = crate::case::db::meta(&db, META)? {
            return crate::bundle::unhex(&hex)
                .filter(|k| k.len() >= 16)
                .ok_or_else(|| Error::Invalid("the case's redaction key is damaged".to_string()));
        }
        if !self.is_writable() {
            return Err(Error::Invalid(
                "the case has no redaction key yet and is open read-only; give a key file or open the case writable once"
                    .to_string(),
            ));
        }
        let key = redact::random_key().map_err(Error::Invalid)?;
        crate::case::db::set_meta(&db, META, &crate::bundle::hex(&key))?;
        Ok(key)
    }

    /// Writes the selection to `out` and its manifest beside it; see the module docs.
    pub fn export(
        &self,
        out: &Path,
        options: &ExportOptions,
        progress: &(dyn Fn(&ExportProgress) + Sync),
        cancel: &AtomicBool,
    ) -> Result<ExportManifest> {
        let (mut chosen, all_raw) = columns::resolve(&options.columns).map_err(Error::Invalid)?;
        if all_raw {
            // A first pass finds the original fields that have data in the selection.
            let mut keys = std::collections::BTreeSet::new();
            self.for_each_hit(&options.request, cancel, &mut |_, _, _, record| {
                if let Some(map) = record.as_object() {
                    keys.extend(
                        map.iter()
                            .filter(|(_, v)| !v.is_null())
                            .map(|(k, _)| k.clone()),
                    );
                }
                Ok(())
            })?;
            chosen.extend(keys.into_iter().map(Column::Raw));
        }
        let names: Vec<String> = chosen.iter().map(Column::name).collect();
        let partial = out.with_extension("partial");
        let result = self.write_rows(&partial, &chosen, &names, options, progress, cancel);
        let Written {
            rows,
            sha256,
            sources,
            redaction,
            query,
            filters,
        } = match result {
            Ok(done) => done,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))?;
        let rfc = |t: Option<i64>| t.map(crate::time::format_rfc3339);
        let manifest = ExportManifest {
            tool: "sightline".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            case_id: self.id().to_string(),
            exported_at: self.now_text(),
            query,
            filters,
            from: rfc(options.request.from),
            to: rfc(options.request.to),
            order: options.request.order,
            time_zone: "UTC".to_string(),
            format: options.format,
            columns: names,
            rows,
            file: out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256,
            sources,
            redaction,
        };
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| Error::Invalid(format!("manifest not serializable: {e}")))?;
        let manifest_file = manifest_path(out);
        std::fs::write(&manifest_file, format!("{text}\n"))
            .map_err(|e| Error::io(&manifest_file, e))?;
        if self.is_writable() {
            self.journal_append(
                "export",
                &serde_json::json!({
                    "file": out.display().to_string(),
                    "rows": manifest.rows,
                    "sha256": manifest.sha256,
                    "manifest_sha256": crate::bundle::sha256_hex(text.as_bytes()),
                    "query": manifest.query,
                    "format": manifest.format,
                    "redaction": manifest.redaction.as_ref().map(|r| r["profile"].clone()),
                }),
            )?;
        }
        Ok(manifest)
    }

    fn write_rows(
        &self,
        partial: &Path,
        chosen: &[Column],
        names: &[String],
        options: &ExportOptions,
        progress: &(dyn Fn(&ExportProgress) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Written> {
        let file = std::fs::File::create(partial).map_err(|e| Error::io(partial, e))?;
        let writer = HashingWriter {
            inner: std::io::BufWriter::with_capacity(1 << 20, file),
            hash: Sha256::new(),
        };
        let mut sink = match options.format {
            ExportFormat::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(writer);
                w.write_record(names)
                    .map_err(|e| Error::Invalid(format!("csv: {e}")))?;
                Sink::Csv(Box::new(w))
            }
            ExportFormat::Jsonl => Sink::Jsonl(writer),
        };
        let mut redactor = match &options.redact_key {
            Some(key) => {
                let mut r = Redactor::new(key.clone());
                self.for_each_hit(&options.request, cancel, &mut |_, event, _, record| {
                    r.collect(event, record);
                    Ok(())
                })?;
                r.freeze().map_err(Error::Invalid)?;
                Some(r)
            }
            None => None,
        };
        let mut sources: BTreeMap<String, ExportSource> = BTreeMap::new();
        let mut rows = 0u64;
        let io = |e: std::io::Error| Error::io(partial, e);
        // Marks for every row from one read; `None` when the case has none, so the columns stay
        // empty rather than saying "false" everywhere.
        let marks = if self.has_marks()? {
            Some(self.all_marks()?)
        } else {
            None
        };
        self.for_each_hit(
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
                };
                match &mut sink {
                    Sink::Csv(w) => {
                        let cells: Vec<String> = chosen
                            .iter()
                            .map(|c| {
                                let text = c.text(&row);
                                let text = match redactor.as_mut() {
                                    Some(r) => r.text(&text),
                                    None => text,
                                };
                                columns::spreadsheet_safe(&text).into_owned()
                            })
                            .collect();
                        w.write_record(&cells)
                            .map_err(|e| Error::Invalid(format!("csv: {e}")))?;
                    }
                    Sink::Jsonl(w) => {
                        let mut object = serde_json::Map::new();
                        for (c, name) in chosen.iter().zip(names) {
                            let mut v = c.json(&row);
                            if let Some(r) = redactor.as_mut() {
                                r.json(&mut v);
                            }
                            object.insert(name.clone(), v);
                        }
                        let line = serde_json::to_string(&object)
                            .map_err(|e| Error::Invalid(format!("json: {e}")))?;
                        w.write_all(line.as_bytes()).map_err(io)?;
                        w.write_all(b"\n").map_err(io)?;
                    }
                }
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
        let mut writer = match sink {
            Sink::Csv(w) => w
                .into_inner()
                .map_err(|e| Error::Invalid(format!("csv: {}", e.error())))?,
            Sink::Jsonl(w) => w,
        };
        writer.flush().map_err(io)?;
        let sha256 = crate::bundle::hex(&writer.hash.finalize());
        writer
            .inner
            .into_inner()
            .map_err(|e| Error::io(partial, e.into_error()))?
            .sync_all()
            .map_err(io)?;
        // The query and filters may name the very people the export hides.
        let mut query = options.request.query.clone();
        let mut filters = options.request.filters.clone();
        if let Some(r) = redactor.as_mut() {
            query = r.text(&query);
            for f in &mut filters {
                f.value = r.text(&f.value);
            }
        }
        Ok(Written {
            rows,
            sha256,
            sources: sources.into_values().collect(),
            redaction: redactor.map(|r| serde_json::to_value(r.summary()).unwrap_or_default()),
            query,
            filters,
        })
    }
}

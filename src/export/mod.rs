//! Evidence export: the events a search selects, as RFC 4180 CSV or JSON lines, each row with its
//! provenance (source file and SHA-256, line or byte offset, the record's SHA-256), and a
//! manifest beside the file (`FILE.manifest.json`) that says what was selected, by whom's tool,
//! when, and the SHA-256 of the export and of every source file that contributed rows.
//!
//! CSV cells are spreadsheet-safe (see [`columns::spreadsheet_safe`]); JSON lines keep values
//! exactly. The file appears only when complete (written beside it, then renamed); the API
//! records the export in the case journal.

pub mod columns;
pub mod ocsf;
mod parquet;
pub mod redact;
pub mod report;

mod sink;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::{FacetFilter, SearchRequest, SortOrder};
use columns::Column;
use sink::Written;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ExportFormat {
    #[default]
    Csv,
    Jsonl,
    /// OCSF 1.1 objects, one per line (`export::ocsf`); the columns do not apply.
    OcsfJson,
    /// The same objects as Parquet (`export::parquet`), as data lakes load OCSF.
    OcsfParquet,
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
    pub filters: Vec<FacetFilter>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub order: SortOrder,
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
    /// The case journal's newest entry when the export was made (the export's own entry follows
    /// it): `sightline verify --expect-head` proves later that the journal still holds it.
    #[serde(default)]
    pub journal_head: Option<crate::case::journal::JournalHead>,
}

/// An export done: its manifest, and the SHA-256 of the manifest file as written.
#[derive(Debug, Clone)]
pub struct Exported {
    pub manifest: ExportManifest,
    pub manifest_sha256: String,
}

pub fn manifest_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".manifest.json");
    out.with_file_name(name)
}

/// The case's own redaction key, made on first use and kept in the case: the same selection
/// exported twice is the same file, and a person pseudonymized in one export has the same
/// pseudonym in the next. Recipients of exports never see it; the manifest names it by id.
pub fn redaction_key(store: &Store) -> Result<Vec<u8>> {
    const META: &str = "redaction_key";
    let db = store.db();
    if let Some(hex) = crate::case::db::meta(&db, META)? {
        return crate::bundle::unhex(&hex)
            .filter(|k| k.len() >= 16)
            .ok_or_else(|| Error::Corrupt("the case's redaction key is damaged".to_string()));
    }
    if !store.is_writable() {
        return Err(Error::ReadOnly(
            "making the case's redaction key (or give a key file)",
        ));
    }
    let key = redact::random_key().map_err(Error::Internal)?;
    crate::case::db::set_meta(&db, META, &crate::bundle::hex(&key))?;
    Ok(key)
}

/// Writes the selection to `out` and its manifest beside it; see the module docs.
pub fn export(
    store: &Store,
    out: &Path,
    options: &ExportOptions,
    progress: &(dyn Fn(&ExportProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<Exported> {
    let (mut chosen, all_raw) = columns::resolve(&options.columns).map_err(Error::Invalid)?;
    if all_raw {
        // A first pass finds the original fields that have data in the selection.
        let mut keys = std::collections::BTreeSet::new();
        crate::search::for_each_hit(store, &options.request, cancel, &mut |_, _, _, record| {
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
    let result = sink::write_rows(store, &partial, &chosen, options, progress, cancel);
    let written = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))?;
    let head = store.journal_head()?;
    let manifest = manifest(store, out, options, names, written, head);
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::Internal(format!("manifest not serializable: {e}")))?;
    let manifest_file = manifest_path(out);
    let text = format!("{text}\n");
    std::fs::write(&manifest_file, &text).map_err(|e| Error::io(&manifest_file, e))?;
    Ok(Exported {
        manifest,
        manifest_sha256: crate::bundle::sha256_hex(text.as_bytes()),
    })
}

fn manifest(
    store: &Store,
    out: &Path,
    options: &ExportOptions,
    columns: Vec<String>,
    written: Written,
    journal_head: Option<crate::case::journal::JournalHead>,
) -> ExportManifest {
    let rfc = |t: Option<i64>| t.map(crate::time::format_rfc3339);
    ExportManifest {
        tool: "sightline".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        case_id: store.id().to_string(),
        exported_at: store.now_text(),
        query: written.query,
        filters: written.filters,
        from: rfc(options.request.from),
        to: rfc(options.request.to),
        order: options.request.order,
        time_zone: "UTC".to_string(),
        format: options.format,
        columns,
        rows: written.rows,
        file: out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: written.sha256,
        sources: written.sources,
        redaction: written.redaction,
        journal_head,
    }
}

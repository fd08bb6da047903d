//! OCSF as Parquet (`--format ocsf-parquet`), the way data lakes (AWS Security Lake, Athena,
//! Spark) load it: the OCSF objects are written as JSON lines first, their schema is inferred over
//! every row (nested objects become structs, so `actor.user.name` is a column path), and the rows
//! are written with zstd compression through the `parquet` crate's Arrow writer.

use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::Path;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};

/// Writes the JSON lines in `jsonl` to `out` as Parquet.
pub fn from_json_lines(jsonl: &Path, out: &Path) -> Result<()> {
    let fault = |e: &dyn std::fmt::Display| Error::Internal(format!("parquet export: {e}"));
    let file = File::open(jsonl).map_err(|e| Error::io(jsonl, e))?;
    let mut reader = BufReader::new(file);
    let (mut schema, _) = arrow_json::reader::infer_json_schema_from_seekable(&mut reader, None)
        .map_err(|e| fault(&e))?;
    if schema.fields().is_empty() {
        // No rows: a file with OCSF's one required column still says what it is.
        schema = Schema::new(vec![Field::new("class_uid", DataType::Int64, true)]);
    }
    reader.rewind().map_err(|e| Error::io(jsonl, e))?;
    let schema = Arc::new(schema);
    let rows = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(4096)
        .build(reader)
        .map_err(|e| fault(&e))?;
    let target = File::create(out).map_err(|e| Error::io(out, e))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut writer =
        ArrowWriter::try_new(target, schema, Some(properties)).map_err(|e| fault(&e))?;
    for batch in rows {
        let batch = batch.map_err(|e| fault(&e))?;
        writer.write(&batch).map_err(|e| fault(&e))?;
    }
    writer.close().map_err(|e| fault(&e))?;
    Ok(())
}

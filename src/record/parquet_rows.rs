//! Parquet files (AWS Security Lake stores OCSF this way) read as JSON lines: each row becomes
//! one JSON object on its own line, batch by batch, so the import reads them through the same
//! JSON framer, detection and normalizers as any JSON lines file. Raw records and offsets are
//! those of this rendering (a columnar file has no bytes per row); the file's SHA-256 is of the
//! Parquet file.

use std::io::{self, Read};

use arrow_json::LineDelimitedWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

/// The four bytes a Parquet file starts (and ends) with.
pub const MAGIC: &[u8] = b"PAR1";

pub struct ParquetJson {
    batches: ParquetRecordBatchReader,
    buf: Vec<u8>,
    pos: usize,
}

impl ParquetJson {
    /// Opens a whole Parquet file held in memory.
    pub fn new(file: Vec<u8>) -> Result<ParquetJson, String> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file))
            .map_err(|e| format!("not a readable Parquet file: {e}"))?;
        let batches = builder
            .with_batch_size(1024)
            .build()
            .map_err(|e| format!("not a readable Parquet file: {e}"))?;
        Ok(ParquetJson {
            batches,
            buf: Vec::new(),
            pos: 0,
        })
    }
}

impl Read for ParquetJson {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            let Some(batch) = self.batches.next() else {
                return Ok(0);
            };
            let batch = batch.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.buf.clear();
            self.pos = 0;
            let mut writer = LineDelimitedWriter::new(&mut self.buf);
            writer
                .write(&batch)
                .and_then(|()| writer.finish())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

//! Byte spans of a file, decompressed when it is gzip: what `watch` imports of a growing file
//! and what `verify` re-hashes of it (the ranges of a followed file, wherever rotation put them).

use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// Reads `len` bytes (fewer at the end) from `start` of a file's bytes, decompressed when
/// `compressed`. At most `limit` bytes are decompressed in all, against gzip bombs.
pub fn read_span(
    path: &Path,
    compressed: bool,
    start: u64,
    len: u64,
    limit: u64,
) -> io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    if compressed {
        let mut decoder = MultiGzDecoder::new(BufReader::with_capacity(64 << 10, file)).take(limit);
        io::copy(&mut (&mut decoder).take(start), &mut io::sink())?;
        decoder.take(len).read_to_end(&mut out)?;
    } else {
        file.seek(SeekFrom::Start(start))?;
        file.take(len).read_to_end(&mut out)?;
    }
    Ok(out)
}

/// Hashes spans of a file's (decompressed) bytes in one pass: `spans` sorted by start, not
/// overlapping. A span the file does not hold whole hashes as `None`.
pub fn hash_spans(
    path: &Path,
    compressed: bool,
    spans: &[(u64, u64)],
    limit: u64,
) -> io::Result<Vec<Option<String>>> {
    let file = BufReader::with_capacity(64 << 10, std::fs::File::open(path)?);
    let mut input: Box<dyn Read> = if compressed {
        Box::new(MultiGzDecoder::new(file).take(limit))
    } else {
        Box::new(file)
    };
    let mut at = 0u64;
    let mut out = Vec::with_capacity(spans.len());
    for &(start, len) in spans {
        if start < at {
            out.push(None);
            continue;
        }
        io::copy(&mut (&mut input).take(start - at), &mut io::sink())?;
        let mut hasher = Sha256::new();
        let copied = io::copy(&mut (&mut input).take(len), &mut HashWriter(&mut hasher))?;
        at = start + copied;
        out.push((copied == len).then(|| crate::bundle::hex(&hasher.finalize())));
    }
    Ok(out)
}

struct HashWriter<'h>(&'h mut Sha256);

impl io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

//! Limits that keep a hostile bundle from exhausting disk or memory, and the readers that enforce them.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bounds for reading a bundle. Defaults suit real deliveries: CloudTrail gzip compresses about
/// 10–30:1, while decompression bombs run at 1000:1 and more.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest decompressed size of one file.
    pub max_file_bytes: u64,
    /// Largest decompressed size of everything inside one archive.
    pub max_archive_bytes: u64,
    /// Highest decompressed:compressed ratio tolerated once `ratio_grace_bytes` are out.
    pub max_ratio: u64,
    pub ratio_grace_bytes: u64,
    /// Deepest nesting of archives in archives.
    pub max_depth: u32,
    /// Most entries read from one archive.
    pub max_entries: u64,
    /// Archive members up to this size are held in memory; larger ones go to the case's tmp dir.
    pub max_in_memory: usize,
    /// Largest single record; bigger ones are reported and skipped.
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 << 30,
            max_archive_bytes: 64 << 30,
            max_ratio: 250,
            ratio_grace_bytes: 32 << 20,
            max_depth: 4,
            max_entries: 1_000_000,
            max_in_memory: 32 << 20,
            max_record_bytes: 16 << 20,
        }
    }
}

/// Counts bytes read through it into a shared counter.
pub struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counting {
                inner,
                count: count.clone(),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What one file given to the import (a log, or an archive with everything nested in it) may
/// decompress to, in all: every decompressing reader of that tree draws on it, so a bomb of
/// archives nested in archives cannot start a fresh allowance at each level.
#[derive(Debug)]
pub struct Budget {
    /// Bytes of the file on disk.
    input: u64,
    /// Bytes every level of decompression under it has produced so far.
    produced: AtomicU64,
    max_bytes: u64,
    max_ratio: u64,
    grace: u64,
}

impl Budget {
    pub fn new(input: u64, limits: &Limits) -> Budget {
        Budget {
            input: input.max(1),
            produced: AtomicU64::new(0),
            max_bytes: limits.max_archive_bytes,
            max_ratio: limits.max_ratio,
            grace: limits.ratio_grace_bytes,
        }
    }

    /// A budget that never refuses (bytes already in memory, tests).
    pub fn unbounded() -> Budget {
        Budget {
            input: 1,
            produced: AtomicU64::new(0),
            max_bytes: u64::MAX,
            max_ratio: u64::MAX,
            grace: u64::MAX,
        }
    }

    /// Gives back what an abandoned stream drew.
    fn refund(&self, n: u64) {
        let _ = self
            .produced
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(n))
            });
    }

    /// Counts `n` more decompressed bytes; refuses when the tree is past its bound.
    fn draw(&self, n: u64) -> io::Result<()> {
        let produced = self.produced.fetch_add(n, Ordering::Relaxed) + n;
        if produced > self.max_bytes {
            return Err(ReadFault::bomb(format!(
                "the file and what is nested in it expand past {} bytes in all",
                self.max_bytes
            )));
        }
        if produced > self.grace && produced / self.input > self.max_ratio {
            return Err(ReadFault::bomb(format!(
                "the file and what is nested in it expand above {}:1 in all ({produced} bytes from {})",
                self.max_ratio, self.input
            )));
        }
        Ok(())
    }
}

/// Fails a decompressing reader that produces too much, or too much for what it consumed, or
/// more than its file's [`Budget`] allows across every level.
pub struct Bounded<R> {
    inner: R,
    produced: u64,
    consumed: Arc<AtomicU64>,
    max_bytes: u64,
    max_ratio: u64,
    grace: u64,
    budget: Arc<Budget>,
}

impl<R> Bounded<R> {
    pub fn new(
        inner: R,
        consumed: Arc<AtomicU64>,
        max_bytes: u64,
        limits: &Limits,
        budget: Arc<Budget>,
    ) -> Self {
        Bounded {
            inner,
            produced: 0,
            consumed,
            max_bytes,
            max_ratio: limits.max_ratio,
            grace: limits.ratio_grace_bytes,
            budget,
        }
    }
}

/// Why reading a compressed stream stopped, carried inside the `io::Error` so that callers tell
/// a refusal from damage by its type, never by its message.
#[derive(Debug)]
pub enum ReadFault {
    /// A decompression limit was reached: the input looks like a bomb and is refused.
    Bomb(String),
    /// The compressed data is damaged or cut short (what the decompressor said).
    Damaged(String),
}

impl std::fmt::Display for ReadFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadFault::Bomb(why) => write!(f, "refused as a possible decompression bomb: {why}"),
            ReadFault::Damaged(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for ReadFault {}

impl ReadFault {
    /// The fault an `io::Error` from a [`Bounded`] reader carries, if any.
    pub fn of(e: &io::Error) -> Option<&ReadFault> {
        e.get_ref()?.downcast_ref::<ReadFault>()
    }

    /// Whether `e` is a decompression limit, not damage or an I/O failure.
    pub fn is_bomb(e: &io::Error) -> bool {
        matches!(ReadFault::of(e), Some(ReadFault::Bomb(_)))
    }

    fn bomb(why: String) -> io::Error {
        io::Error::other(ReadFault::Bomb(why))
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The inner reader is a decompressor: what it says about its input is damage (flate2
        // reports bad data as invalid input, a cut stream as an unexpected end).
        let n = self.inner.read(buf).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput
            | io::ErrorKind::InvalidData
            | io::ErrorKind::UnexpectedEof
                if ReadFault::of(&e).is_none() =>
            {
                io::Error::new(e.kind(), ReadFault::Damaged(e.to_string()))
            }
            _ => e,
        })?;
        self.produced += n as u64;
        let own = if self.produced > self.max_bytes {
            Some(ReadFault::bomb(format!(
                "more than {} bytes when decompressed",
                self.max_bytes
            )))
        } else {
            let consumed = self.consumed.load(Ordering::Relaxed).max(1);
            (self.produced > self.grace && self.produced / consumed > self.max_ratio).then(|| {
                ReadFault::bomb(format!(
                    "compression ratio above {}:1 ({} bytes from {})",
                    self.max_ratio, self.produced, consumed
                ))
            })
        };
        if let Some(e) = own {
            // Refused on its own bounds, the stream is abandoned and what it drew goes back:
            // members beside one bomb are still read.
            self.budget.refund(self.produced - n as u64);
            return Err(e);
        }
        // Refused on its tree's budget, nothing goes back: every later stream of that tree is
        // refused at its first read, however the bytes are spread over nested archives.
        self.budget.draw(n as u64)?;
        Ok(n)
    }
}

/// What the first bytes of a stream say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magic {
    Gzip,
    Zip,
    Tar,
    Other,
}

pub fn magic(head: &[u8]) -> Magic {
    if head.starts_with(&[0x1f, 0x8b]) {
        Magic::Gzip
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Magic::Zip
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Magic::Tar
    } else {
        Magic::Other
    }
}

/// Reads up to `n` bytes (fewer only at the end of the stream).
pub fn read_head(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_refuses_high_ratios() {
        let data = vec![0u8; 10_000];
        let consumed = Arc::new(AtomicU64::new(10));
        let limits = Limits {
            ratio_grace_bytes: 100,
            max_ratio: 50,
            ..Limits::default()
        };
        let mut r = Bounded::new(
            &data[..],
            consumed,
            u64::MAX,
            &limits,
            Arc::new(Budget::unbounded()),
        );
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(ReadFault::is_bomb(&err), "{err}");
        assert!(err
            .to_string()
            .starts_with("refused as a possible decompression bomb"));
    }
}

//! Gzip streams as `gzip -dc` reads them: member after member, and what follows the last one
//! (NUL padding from tape or block copies, or anything else) ends the stream instead of failing
//! it, so every record before it is kept. What was left is told in a [`GzTail`] for the import
//! to report. flate2's `MultiGzDecoder` fails on such a tail, so members are chained here over
//! its single-member decoder.

use std::io::{self, BufRead, Read};
use std::sync::{Arc, Mutex};

use flate2::bufread::GzDecoder;

/// What followed the last gzip member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tail {
    /// How many bytes followed (the members end this far before the end of the file).
    pub bytes: u64,
    /// Whether every byte of it is zero (padding) rather than other data.
    pub zeros: bool,
}

/// Set once the stream ends with bytes after its last member.
pub type GzTail = Arc<Mutex<Option<Tail>>>;

pub struct GzMembers<R: BufRead> {
    decoder: Option<GzDecoder<R>>,
    tail: GzTail,
}

impl<R: BufRead> GzMembers<R> {
    pub fn new(inner: R) -> (Self, GzTail) {
        let tail = GzTail::default();
        (
            GzMembers {
                decoder: Some(GzDecoder::new(inner)),
                tail: tail.clone(),
            },
            tail,
        )
    }

    /// After a member: the next one, or the end (with what is left noted).
    fn next_member(&mut self, mut inner: R) -> io::Result<()> {
        let head = inner.fill_buf()?;
        if head.is_empty() {
            return Ok(());
        }
        if head.len() >= 2 && head[..2] == [0x1f, 0x8b] {
            self.decoder = Some(GzDecoder::new(inner));
            return Ok(());
        }
        let mut tail = Tail {
            bytes: 0,
            zeros: true,
        };
        loop {
            let buf = inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            tail.zeros &= buf.iter().all(|b| *b == 0);
            tail.bytes += buf.len() as u64;
            let n = buf.len();
            inner.consume(n);
        }
        *self.tail.lock().unwrap_or_else(|p| p.into_inner()) = Some(tail);
        Ok(())
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(decoder) = self.decoder.take() else {
                return Ok(0);
            };
            self.next_member(decoder.into_inner())?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    fn read(bytes: &[u8]) -> (Vec<u8>, Option<Tail>) {
        let (mut r, tail) = GzMembers::new(io::BufReader::with_capacity(7, bytes));
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        let tail = *tail.lock().unwrap();
        (out, tail)
    }

    #[test]
    fn members_are_chained_and_what_follows_them_ends_the_stream() {
        let one = gz(b"a\n");
        let mut two = one.clone();
        two.extend(gz(b"b\n"));
        assert_eq!(read(&two), (b"a\nb\n".to_vec(), None));

        let mut padded = two.clone();
        padded.extend([0u8; 100]);
        let (text, tail) = read(&padded);
        assert_eq!(text, b"a\nb\n");
        let tail = tail.unwrap();
        assert_eq!((tail.bytes, tail.zeros), (100, true));

        let mut junk = one.clone();
        junk.extend(b"garbage\n");
        let (text, tail) = read(&junk);
        assert_eq!(text, b"a\n");
        assert_eq!(tail.map(|t| (t.bytes, t.zeros)), Some((8, false)));
    }

    #[test]
    fn a_member_cut_short_is_still_an_error() {
        let one = gz(b"some text that is long enough\n");
        let (mut r, _) = GzMembers::new(&one[..one.len() - 6]);
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
    }
}

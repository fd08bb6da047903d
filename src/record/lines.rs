//! Text logs: one record per line, or per group of lines that share a group key. auditd
//! writes one event as several `type=` lines with the same `msg=audit(…)` stamp, and the lines
//! of events written at the same moment interleave; a group stays open while lines keep coming
//! within [`WINDOW`] lines of its last one. A grouped record is its lines in file order joined by
//! `\n`, each byte for byte, located at its first line.

use std::collections::VecDeque;
use std::io::BufRead;

use super::{BadRecord, Frame, RawRecord};

/// The key that ties a line to others; lines without one stand alone.
pub type GroupKey = fn(&[u8]) -> Option<&[u8]>;

/// Whether a line is a comment: its first non-blank character is `#`.
pub fn is_comment(line: &[u8]) -> bool {
    line.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'#')
}

/// Lines after which a group that got no new line is complete.
pub const WINDOW: u64 = 64;
/// Groups open at once; more closes the oldest.
const MAX_OPEN: usize = 256;

/// A line read: its bytes without the line ending, offset and number.
type Line = (Vec<u8>, u64, u64);

struct Group {
    key: Option<Vec<u8>>,
    bytes: Vec<u8>,
    offset: u64,
    line: u64,
    last_line: u64,
    closed: bool,
}

pub struct LineFramer<R> {
    input: R,
    max_record_bytes: usize,
    group: Option<GroupKey>,
    offset: u64,
    line: u64,
    /// Groups in the order of their first line; only the front one is ever emitted.
    open: VecDeque<Group>,
    bad: VecDeque<BadRecord>,
    eof: bool,
    /// Lines starting with `#`: comments a person or tool added (auditd rules dumps, exports with
    /// a header), which are not records of any line format.
    comments: u64,
}

impl<R: BufRead> LineFramer<R> {
    pub fn new(input: R, max_record_bytes: usize, group: Option<GroupKey>) -> Self {
        LineFramer {
            input,
            max_record_bytes,
            group,
            offset: 0,
            line: 0,
            open: VecDeque::new(),
            bad: VecDeque::new(),
            eof: false,
            comments: 0,
        }
    }

    /// How many comment lines were passed over so far.
    pub fn comments(&self) -> u64 {
        self.comments
    }

    /// The next line that is not blank, without its line ending; `Err` for one over the limit.
    fn next_line(&mut self) -> std::io::Result<Option<Result<Line, BadRecord>>> {
        loop {
            let mut buf = Vec::new();
            let start = self.offset;
            let n = std::io::Read::take(
                &mut self.input as &mut dyn BufRead,
                self.max_record_bytes as u64 + 1,
            )
            .read_until(b'\n', &mut buf)?;
            if n == 0 {
                return Ok(None);
            }
            self.offset += n as u64;
            self.line += 1;
            let line = self.line;
            if buf.len() > self.max_record_bytes && buf.last() != Some(&b'\n') {
                self.offset += self.skip_rest_of_line()?;
                let reason = format!("line longer than {} bytes", self.max_record_bytes);
                return Ok(Some(Err(BadRecord {
                    offset: start,
                    line,
                    reason,
                })));
            }
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if is_comment(&buf) {
                self.comments += 1;
                continue;
            }
            return Ok(Some(Ok((buf, start, line))));
        }
    }

    /// Skips to the next line without holding the bytes; returns how many were skipped.
    fn skip_rest_of_line(&mut self) -> std::io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                return Ok(skipped);
            }
            if let Some(i) = memchr::memchr(b'\n', chunk) {
                self.input.consume(i + 1);
                return Ok(skipped + i as u64 + 1);
            }
            let len = chunk.len();
            self.input.consume(len);
            skipped += len as u64;
        }
    }

    fn add(&mut self, bytes: Vec<u8>, offset: u64, line: u64) {
        let key = self.group.and_then(|g| g(&bytes)).map(<[u8]>::to_vec);
        if let Some(k) = &key {
            let max = self.max_record_bytes;
            if let Some(g) = self
                .open
                .iter_mut()
                .rev()
                .find(|g| !g.closed && g.key.as_ref() == Some(k))
            {
                if g.bytes.len() + bytes.len() < max {
                    g.bytes.push(b'\n');
                    g.bytes.extend_from_slice(&bytes);
                    g.last_line = line;
                    return;
                }
                g.closed = true;
            }
        }
        let closed = key.is_none();
        self.open.push_back(Group {
            key,
            bytes,
            offset,
            line,
            last_line: line,
            closed,
        });
    }

    /// The front group, when nothing more can join it.
    fn ready(&mut self) -> Option<Frame> {
        let front = self.open.front()?;
        let stale = self.line.saturating_sub(front.last_line) > WINDOW;
        if front.closed || stale || self.eof || self.open.len() > MAX_OPEN {
            let g = self.open.pop_front()?;
            return Some(Frame::Record(RawRecord {
                bytes: g.bytes,
                offset: g.offset,
                line: g.line,
            }));
        }
        None
    }

    pub fn next_frame(&mut self) -> std::io::Result<Option<Frame>> {
        loop {
            if let Some(bad) = self.bad.pop_front() {
                return Ok(Some(Frame::Bad(bad)));
            }
            if let Some(frame) = self.ready() {
                return Ok(Some(frame));
            }
            if self.eof {
                return Ok(None);
            }
            match self.next_line()? {
                None => self.eof = true,
                Some(Err(bad)) => self.bad.push_back(bad),
                Some(Ok((bytes, offset, line))) => self.add(bytes, offset, line),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(text: &str, group: Option<GroupKey>) -> Vec<Frame> {
        let mut f = LineFramer::new(text.as_bytes(), 40, group);
        std::iter::from_fn(|| f.next_frame().unwrap()).collect()
    }

    fn key(line: &[u8]) -> Option<&[u8]> {
        line.split(|b| *b == b' ').next().filter(|k| !k.is_empty())
    }

    #[test]
    fn lines_keep_offsets_and_skip_blanks() {
        let got = frames("a 1\r\n\n  \nb 2\n", None);
        assert_eq!(
            got,
            vec![
                Frame::Record(RawRecord {
                    bytes: b"a 1".to_vec(),
                    offset: 0,
                    line: 1
                }),
                Frame::Record(RawRecord {
                    bytes: b"b 2".to_vec(),
                    offset: 9,
                    line: 4
                }),
            ]
        );
    }

    #[test]
    fn lines_with_one_key_are_one_record_even_when_interleaved() {
        let got = frames("k1 a\nk1 b\nk2 c\nk1 d\nx\nk2 e", Some(key));
        let texts: Vec<String> = got
            .iter()
            .map(|f| match f {
                Frame::Record(r) => String::from_utf8_lossy(&r.bytes).into_owned(),
                Frame::Bad(b) => b.reason.clone(),
            })
            .collect();
        assert_eq!(texts, vec!["k1 a\nk1 b\nk1 d", "k2 c\nk2 e", "x"]);
    }

    #[test]
    fn comment_lines_are_counted_and_are_no_records() {
        let mut f = LineFramer::new(
            "# audit rules\nk1 a\n  # note\nk1 b\n".as_bytes(),
            40,
            Some(key),
        );
        let got: Vec<Frame> = std::iter::from_fn(|| f.next_frame().unwrap()).collect();
        assert!(matches!(&got[..], [Frame::Record(r)] if r.bytes == b"k1 a\nk1 b" && r.line == 2));
        assert_eq!(f.comments(), 2);
    }

    #[test]
    fn oversize_lines_are_bad_and_reading_goes_on() {
        let long = "x".repeat(100);
        let got = frames(&format!("k1 a\n{long}\nk1 b\n"), Some(key));
        assert!(matches!(&got[0], Frame::Bad(b) if b.line == 2 && b.offset == 5));
        assert!(matches!(&got[1], Frame::Record(r) if r.bytes == b"k1 a\nk1 b" && r.line == 1));
        assert_eq!(got.len(), 2);
    }
}

//! A streaming splitter for JSON record files.
//!
//! Top-level values are records, except that a top-level array's elements are records, a
//! top-level object holding a `Records` (or `records`) array contributes that array's elements
//! instead of itself, and so does an Elasticsearch/OpenSearch search response (`hits.hits`). This covers CloudTrail deliveries (pretty, compact), bare arrays, JSON lines
//! and concatenated objects without ever holding more than one record in memory.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use super::{BadRecord, Frame, RawRecord};

const WRAPPER_KEYS: [&[u8]; 2] = [b"Records", b"records"];

/// What the last key read at a wrapper's level was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Other,
    /// `Records`/`records`: its array holds the records.
    Records,
    /// `hits`: at the top, the object holding the hits; inside it, the array of hits.
    Hits,
}

fn key_kind(key: &[u8]) -> Key {
    if WRAPPER_KEYS.contains(&key) {
        Key::Records
    } else if key == b"hits" {
        Key::Hits
    } else {
        Key::Other
    }
}

pub struct JsonFramer<R> {
    reader: R,
    scan: Scanner,
}

/// The splitter's state, apart from the reader so a buffered chunk can be scanned in place.
struct Scanner {
    max_record: usize,
    out: VecDeque<Frame>,
    offset: u64,
    line: u64,
    depth: u32,
    /// Depth at which a value starts a record: 0 at top level, 1 in a bare array, 2 in a wrapper.
    record_base: u32,
    in_string: bool,
    escape: bool,
    capturing: bool,
    oversize: bool,
    buf: Vec<u8>,
    start_offset: u64,
    start_line: u64,
    /// Inside a wrapper object after its records array: skip until the object closes, or until
    /// another records array under the same key.
    skipping_wrapper_rest: bool,
    /// A string being read at the wrapper's own level after its records array (a key, perhaps
    /// `Records` again); at most 16 bytes are kept, enough to compare.
    rest_key: Option<Vec<u8>>,
    /// Records arrays after the first in one wrapper object: a duplicate key that a JSON parser
    /// would resolve by keeping only the last array. All are read, and counted.
    repeated_wrappers: u64,
    /// Skipping a non-object array element until `,` or the array's end.
    skipping_element: bool,
    /// Skipping a stray line at top level.
    skipping_line: bool,
    /// Key bookkeeping for spotting `"Records": [` at depth 1 of a top-level object.
    key_start: Option<usize>,
    last_key: Key,
    /// The key whose value comes next, right after its colon.
    after_colon: Key,
    /// Inside the top-level `hits` object of a search response.
    in_hits: bool,
    /// True once the first record fit on one line: newlines then end malformed records.
    lines_mode: Option<bool>,
    started: bool,
    finished: bool,
}

impl<R: BufRead> JsonFramer<R> {
    pub fn new(reader: R, max_record: usize) -> Self {
        JsonFramer {
            reader,
            scan: Scanner::new(max_record),
        }
    }

    /// Records arrays read after the first in one wrapper object (`{"Records":[…],"Records":[…]}`).
    pub fn repeated_wrappers(&self) -> u64 {
        self.scan.repeated_wrappers
    }

    /// Next record or bad stretch; `Ok(None)` at the end. An I/O error (a truncated gzip stream,
    /// say) is returned once; records before it have already been yielded.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            if let Some(frame) = self.scan.out.pop_front() {
                return Ok(Some(frame));
            }
            if self.scan.finished {
                return Ok(None);
            }
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                self.scan.finish();
                continue;
            }
            let consumed = chunk.len();
            let mut body = chunk;
            if !self.scan.started {
                self.scan.started = true;
                if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF") {
                    body = rest;
                    self.scan.offset += 3;
                }
            }
            self.scan.scan(body);
            self.reader.consume(consumed);
        }
    }
}

impl Scanner {
    fn new(max_record: usize) -> Self {
        Scanner {
            max_record,
            out: VecDeque::new(),
            offset: 0,
            line: 1,
            depth: 0,
            record_base: 0,
            in_string: false,
            escape: false,
            capturing: false,
            oversize: false,
            buf: Vec::new(),
            start_offset: 0,
            start_line: 1,
            skipping_wrapper_rest: false,
            rest_key: None,
            repeated_wrappers: 0,
            skipping_element: false,
            skipping_line: false,
            key_start: None,
            last_key: Key::Other,
            after_colon: Key::Other,
            in_hits: false,
            lines_mode: None,
            started: false,
            finished: false,
        }
    }

    fn scan(&mut self, chunk: &[u8]) {
        let mut i = 0;
        while i < chunk.len() {
            if self.in_string && !self.escape {
                // Most bytes are inside strings: copy up to the next byte that matters at once.
                let rest = &chunk[i..];
                let n = memchr::memchr3(b'"', b'\\', b'\n', rest).unwrap_or(rest.len());
                if n > 0 {
                    self.push_slice(&rest[..n]);
                    self.offset += n as u64;
                    i += n;
                    continue;
                }
            }
            let b = chunk[i];
            self.step(b);
            self.offset += 1;
            if b == b'\n' {
                self.line += 1;
            }
            i += 1;
        }
    }

    fn push_slice(&mut self, bytes: &[u8]) {
        if let Some(key) = self.rest_key.as_mut() {
            let room = 16usize.saturating_sub(key.len());
            key.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        if !self.capturing || self.oversize {
            return;
        }
        if self.buf.len() + bytes.len() > self.max_record {
            self.oversize = true;
            self.buf = Vec::new();
            return;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn push(&mut self, b: u8) {
        if let Some(key) = self.rest_key.as_mut().filter(|k| k.len() < 16) {
            key.push(b);
        }
        if !self.capturing || self.oversize {
            return;
        }
        if self.buf.len() >= self.max_record {
            self.oversize = true;
            self.buf = Vec::new();
            return;
        }
        self.buf.push(b);
    }

    fn step(&mut self, b: u8) {
        if self.in_string {
            self.push(b);
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
                self.end_string();
            } else if b == b'\n' && self.lines_mode == Some(true) && self.capturing {
                self.abandon("line ends inside a string: the record is not complete JSON");
            }
            return;
        }
        if self.skipping_line {
            if b == b'\n' {
                self.skipping_line = false;
            }
            return;
        }
        if self.capturing {
            self.step_capturing(b);
            return;
        }
        if self.skipping_wrapper_rest || self.skipping_element || self.depth > self.record_base {
            self.step_skipping(b);
            return;
        }
        self.step_between_records(b);
    }

    fn step_between_records(&mut self, b: u8) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' | b',' => {}
            b'[' if self.record_base == 0 => {
                self.record_base = 1;
                self.depth = 1;
            }
            b'{' | b'[' => self.begin_record(b),
            b']' if self.record_base > 0 => self.close_records_array(),
            _ if self.record_base > 0 => {
                self.out
                    .push_back(self.bad_here("array element is not a JSON object"));
                self.skipping_element = true;
                self.in_string = b == b'"';
            }
            _ => {
                self.out.push_back(
                    self.bad_here(
                        "text between records is not JSON; skipped to the end of the line",
                    ),
                );
                self.skipping_line = b != b'\n';
            }
        }
    }

    fn close_records_array(&mut self) {
        if self.record_base >= 2 {
            // Back in the wrapper (the hits object of a search response, or the wrapper object):
            // the rest of it is skipped.
            self.depth = self.record_base - 1;
            self.skipping_wrapper_rest = true;
        } else {
            self.depth = 0;
        }
        self.record_base = 0;
    }

    fn begin_record(&mut self, b: u8) {
        self.capturing = true;
        self.oversize = false;
        self.buf.clear();
        self.start_offset = self.offset;
        self.start_line = self.line;
        self.key_start = None;
        self.last_key = Key::Other;
        self.after_colon = Key::Other;
        self.in_hits = false;
        self.push(b);
        self.depth += 1;
    }

    fn step_capturing(&mut self, b: u8) {
        let top_object =
            self.record_base == 0 && self.depth == 1 && self.buf.first() == Some(&b'{');
        let in_hits = self.in_hits && self.record_base == 0 && self.depth == 2;
        let key_level = top_object || in_hits;
        if key_level && self.after_colon != Key::Other && !b.is_ascii_whitespace() {
            let key = std::mem::replace(&mut self.after_colon, Key::Other);
            match (b, key) {
                // `{"Records": [` — the object is a wrapper, its array elements are the records.
                (b'[', Key::Records) if top_object => return self.enter_wrapper(2),
                // `{…, "hits": {…, "hits": [` — a search response; each hit is a record.
                (b'[', Key::Hits) if in_hits => return self.enter_wrapper(3),
                (b'{', Key::Hits) if top_object => self.in_hits = true,
                _ => {}
            }
        }
        self.push(b);
        match b {
            b'"' => {
                self.in_string = true;
                if key_level {
                    self.key_start = Some(self.buf.len());
                }
            }
            b':' if key_level => {
                self.after_colon = self.last_key;
                self.last_key = Key::Other;
            }
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 1 {
                    self.in_hits = false;
                }
                if self.depth == self.record_base {
                    self.complete_record();
                }
            }
            b'\n' if self.lines_mode == Some(true) && self.record_base == 0 => {
                self.abandon("line is not complete JSON");
            }
            _ => {}
        }
    }

    /// The value being captured is a wrapper: what was read of it is dropped, and the elements
    /// of the array just opened, at depth `base`, are the records.
    fn enter_wrapper(&mut self, base: u32) {
        self.capturing = false;
        self.buf.clear();
        self.depth = base;
        self.record_base = base;
        self.in_hits = false;
    }

    fn end_string(&mut self) {
        if let Some(key) = self.rest_key.take() {
            let key = key.strip_suffix(b"\"").unwrap_or(&key);
            self.last_key = key_kind(key);
            return;
        }
        let Some(start) = self.key_start.take() else {
            return;
        };
        if !self.capturing || self.oversize {
            return;
        }
        let end = self.buf.len().saturating_sub(1);
        let key = self.buf.get(start..end).unwrap_or_default();
        self.last_key = key_kind(key);
    }

    fn step_skipping(&mut self, b: u8) {
        if self.skipping_wrapper_rest && self.depth == 1 && self.wrapper_key(b) {
            return;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                if self.skipping_element && self.depth == self.record_base {
                    self.skipping_element = false;
                    self.close_records_array();
                    return;
                }
                self.depth = self.depth.saturating_sub(1);
                if self.skipping_wrapper_rest && self.depth == 0 {
                    self.skipping_wrapper_rest = false;
                }
            }
            b',' if self.skipping_element && self.depth == self.record_base => {
                self.skipping_element = false
            }
            _ => {}
        }
    }

    /// At the wrapper's own level after its records array: another `"Records": [` starts more
    /// records. Returns whether `b` was taken.
    fn wrapper_key(&mut self, b: u8) -> bool {
        match b {
            b'"' => {
                self.in_string = true;
                self.rest_key = Some(Vec::new());
                self.after_colon = Key::Other;
            }
            b':' => {
                self.after_colon = self.last_key;
                self.last_key = Key::Other;
            }
            b'[' if self.after_colon == Key::Records => {
                self.after_colon = Key::Other;
                self.skipping_wrapper_rest = false;
                self.record_base = 2;
                self.depth = 2;
                self.repeated_wrappers += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                self.after_colon = Key::Other;
                return false;
            }
        }
        true
    }

    fn complete_record(&mut self) {
        self.capturing = false;
        if self.lines_mode.is_none() && self.record_base == 0 {
            self.lines_mode = Some(self.line == self.start_line);
        }
        if self.oversize {
            let reason = format!(
                "record larger than the {} byte limit; skipped",
                self.max_record
            );
            self.out.push_back(Frame::Bad(BadRecord {
                offset: self.start_offset,
                line: self.start_line,
                reason,
            }));
            return;
        }
        let bytes = std::mem::take(&mut self.buf);
        self.out.push_back(Frame::Record(RawRecord {
            bytes,
            offset: self.start_offset,
            line: self.start_line,
        }));
    }

    fn abandon(&mut self, reason: &str) {
        self.out.push_back(Frame::Bad(BadRecord {
            offset: self.start_offset,
            line: self.start_line,
            reason: reason.to_string(),
        }));
        self.capturing = false;
        self.in_string = false;
        self.escape = false;
        self.buf.clear();
        self.depth = self.record_base;
    }

    fn bad_here(&self, reason: &str) -> Frame {
        Frame::Bad(BadRecord {
            offset: self.offset,
            line: self.line,
            reason: reason.to_string(),
        })
    }

    fn finish(&mut self) {
        self.finished = true;
        if self.capturing {
            self.out.push_back(Frame::Bad(BadRecord {
                offset: self.start_offset,
                line: self.start_line,
                reason: "file ends inside this record (truncated)".to_string(),
            }));
        } else if self.record_base > 0 || self.skipping_wrapper_rest {
            self.out
                .push_back(self.bad_here("file ends inside the records array (truncated)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<Frame> {
        let mut framer = JsonFramer::new(input.as_bytes(), 1 << 20);
        let mut out = Vec::new();
        while let Some(f) = framer.next_frame().unwrap() {
            out.push(f);
        }
        out
    }

    fn records(input: &str) -> Vec<String> {
        frames(input)
            .into_iter()
            .filter_map(|f| match f {
                Frame::Record(r) => Some(String::from_utf8(r.bytes).unwrap()),
                Frame::Bad(_) => None,
            })
            .collect()
    }

    #[test]
    fn wrapper_elements_are_records() {
        let input = "{\"Records\": [\n {\"a\": \"}\"},\n {\"b\": [1,2]}\n]}";
        assert_eq!(records(input), vec!["{\"a\": \"}\"}", "{\"b\": [1,2]}"]);
    }

    #[test]
    fn search_responses_yield_their_hits() {
        let input = r#"{"took":3,"_shards":{"hits":[{"no":1}]},"hits":{"total":{"value":2},"hits":[{"_index":"i","_source":{"a":"}"}},{"_index":"i","_source":{"b":[1]}}],"max_score":1}}
{"hits":{"hits":[{"_id":"3"}]}}
{"plain":{"hits":{"hits":[1]}}}"#;
        assert_eq!(
            records(input),
            [
                r#"{"_index":"i","_source":{"a":"}"}}"#,
                r#"{"_index":"i","_source":{"b":[1]}}"#,
                r#"{"_id":"3"}"#,
                r#"{"plain":{"hits":{"hits":[1]}}}"#,
            ]
        );
    }

    #[test]
    fn a_second_records_array_is_read_and_counted() {
        let input = r#"{"Records": [{"a":1}], "x": "Records", "n": {"Records": [{"no":1}]}, "Records" : [{"b":2},{"c":3}]}"#;
        let mut framer = JsonFramer::new(input.as_bytes(), 1 << 20);
        let mut got = Vec::new();
        while let Some(frame) = framer.next_frame().unwrap() {
            if let Frame::Record(r) = frame {
                got.push(String::from_utf8(r.bytes).unwrap());
            }
        }
        assert_eq!(got, [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]);
        assert_eq!(framer.repeated_wrappers(), 1);
    }

    #[test]
    fn keys_before_the_wrapper_are_ignored() {
        let input = r#"{"x": {"Records": 1}, "records": [{"a":1}], "tail": [{"no":1}]}"#;
        assert_eq!(records(input), vec![r#"{"a":1}"#]);
    }

    #[test]
    fn bare_arrays_and_lines() {
        assert_eq!(
            records("[{\"a\":1},{\"b\":2}]"),
            vec!["{\"a\":1}", "{\"b\":2}"]
        );
        assert_eq!(
            records("{\"a\":1}\n{\"b\":2}\n"),
            vec!["{\"a\":1}", "{\"b\":2}"]
        );
    }

    #[test]
    fn a_single_pretty_object_is_one_record() {
        let input = "{\n  \"protoPayload\": {\"methodName\": \"x\"}\n}\n";
        assert_eq!(records(input).len(), 1);
    }

    #[test]
    fn broken_lines_are_reported_and_the_rest_kept() {
        let input = "{\"a\":1}\n{\"b\":\nnot json\n{\"c\":3}\n{\"d\":";
        let all = frames(input);
        let good = records(input);
        assert_eq!(good, vec!["{\"a\":1}", "{\"c\":3}"]);
        let bad: Vec<u64> = all
            .iter()
            .filter_map(|f| {
                if let Frame::Bad(b) = f {
                    Some(b.line)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(bad, vec![2, 3, 5]);
    }

    #[test]
    fn oversize_records_are_skipped_not_buffered() {
        let big = format!("{{\"a\":\"{}\"}}\n{{\"b\":1}}\n", "x".repeat(100));
        let mut framer = JsonFramer::new(big.as_bytes(), 50);
        let first = framer.next_frame().unwrap().unwrap();
        assert!(matches!(first, Frame::Bad(ref b) if b.reason.contains("limit")));
        assert!(matches!(
            framer.next_frame().unwrap().unwrap(),
            Frame::Record(_)
        ));
    }

    #[test]
    fn non_object_elements_are_reported() {
        let all = frames("[1, {\"a\":1}, \"s\"]");
        assert_eq!(all.iter().filter(|f| matches!(f, Frame::Bad(_))).count(), 2);
        assert_eq!(records("[1, {\"a\":1}, \"s\"]"), vec!["{\"a\":1}"]);
    }
}

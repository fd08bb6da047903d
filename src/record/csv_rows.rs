//! Rows of delimited text, kept byte-for-byte, with the `csv` crate's parser.
//!
//! Row boundaries come from `csv_core` fed the raw bytes, so a newline inside quotes stays in its
//! row and each row's bytes, byte offset and line are exactly those of the file (the `csv`
//! crate's `Reader` hands out parsed fields, not the bytes they came from). Fields are split by
//! the `csv` crate itself. One parser for both, with RFC 4180 quoting.

use std::io::{self, BufRead};

use csv_core::ReadRecordResult;

use super::{BadRecord, Frame, RawRecord};

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Guesses the delimiter from the first two lines: the one that splits the header into at least
/// two columns and gives the second line the same column count.
pub(super) fn sniff_delimiter(sample: &[u8]) -> Option<u8> {
    let mut best: Option<(usize, u8)> = None;
    for d in DELIMITERS {
        let rows = first_rows(sample, d, 2);
        let Some(header) = rows.first() else { continue };
        let columns = header.len();
        if columns < 2 {
            continue;
        }
        // Records, not lines: a quoted field may hold line breaks (Splunk's `_raw`).
        if rows.get(1).is_some_and(|row| row.len() != columns) {
            continue;
        }
        if best.is_none_or(|(n, _)| columns > n) {
            best = Some((columns, d));
        }
    }
    best.map(|(_, d)| d)
}

/// The first `n` records of `sample` (fewer when it ends; a record cut by the sample's end is
/// not one).
fn first_rows(sample: &[u8], delimiter: u8, n: usize) -> Vec<Vec<String>> {
    let start = sample
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(sample.len());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&sample[start..]);
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    while rows.len() < n {
        match reader.read_byte_record(&mut record) {
            Ok(true) if (reader.position().byte() as usize) < sample.len() - start => rows.push(
                record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ),
            // The sample ends inside it: the second record may be cut; the first one counts.
            Ok(true) if rows.is_empty() => rows.push(
                record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ),
            _ => break,
        }
    }
    rows
}

/// Whether the first row of `sample` reads as a header of names (`_time`, `event.action`,
/// `Source IP`), not as data: a text log whose lines have commas must not be taken for a header,
/// nor a header for a log line.
pub fn looks_like_header(sample: &[u8], delimiter: u8) -> bool {
    let rows = first_rows(sample, delimiter, 1);
    let Some(header) = rows.first().filter(|h| h.len() >= 2) else {
        return false;
    };
    header.iter().all(|name| {
        let name = name.trim();
        let first = name.bytes().next();
        let clock = name
            .as_bytes()
            .windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit());
        first.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'@')
            && name.len() <= 64
            && !clock
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" _.@:/()[]-#".contains(&b))
    })
}

/// Splits one row into fields (RFC 4180 quoting, `""` inside quotes is a quote); invalid UTF-8
/// is replaced.
pub fn split_csv_row(row: &[u8], delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(row);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect(),
        // An empty row, or one the reader cannot parse (it reads from memory, so no I/O error):
        // one empty field, as a blank line is.
        _ => vec![String::new()],
    }
}

/// Whether `row` ends inside a quoted field: a parser given the row and one more newline would
/// still be waiting for the closing quote.
fn ends_in_quotes(row: &[u8], delimiter: u8) -> bool {
    let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = [0u8; 4096];
    let mut ends = [0usize; 64];
    let mut input: &[u8] = row;
    let mut fed_newline = false;
    loop {
        let (result, nin, _, _) = core.read_record(input, &mut out, &mut ends);
        input = &input[nin..];
        match result {
            ReadRecordResult::Record | ReadRecordResult::End => return false,
            ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
            ReadRecordResult::InputEmpty if fed_newline => return true,
            ReadRecordResult::InputEmpty => {
                input = b"\n";
                fed_newline = true;
            }
        }
    }
}

/// Yields the rows of a delimited file; the header row is yielded like any other. A row's bytes
/// run from its first byte to its line end, included.
pub struct CsvFramer<R> {
    reader: R,
    core: csv_core::Reader,
    delimiter: u8,
    max_record: usize,
    offset: u64,
    line: u64,
    /// Where the parser writes field bytes; the framer keeps the raw bytes instead.
    scratch: Vec<u8>,
    ends: Vec<usize>,
}

impl<R: BufRead> CsvFramer<R> {
    pub fn new(reader: R, delimiter: u8, max_record: usize) -> Self {
        CsvFramer {
            reader,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            max_record,
            offset: 0,
            line: 1,
            scratch: vec![0; 64 << 10],
            ends: vec![0; 1024],
        }
    }

    /// Takes `n` bytes of the buffer into `row` (unless the row is over the limit already).
    fn take(&mut self, n: usize, row: &mut Vec<u8>, oversize: &mut bool) -> io::Result<()> {
        let buf = self.reader.fill_buf()?;
        let taken = &buf[..n];
        self.line += memchr::memchr_iter(b'\n', taken).count() as u64;
        if row.len() + n > self.max_record {
            *oversize = true;
            row.clear();
        } else if !*oversize {
            row.extend_from_slice(taken);
        }
        self.reader.consume(n);
        self.offset += n as u64;
        Ok(())
    }

    /// The raw bytes of the next row, whether it was over the limit, and whether the input
    /// ended it (rather than a line end); `None` at the end of the input.
    fn next_row(&mut self) -> io::Result<Option<(Vec<u8>, bool, bool)>> {
        let mut row = Vec::new();
        let mut oversize = false;
        let ended_by_eof = loop {
            let buf = self.reader.fill_buf()?;
            let eof = buf.is_empty();
            let (result, nin, _, _) = self
                .core
                .read_record(buf, &mut self.scratch, &mut self.ends);
            self.take(nin, &mut row, &mut oversize)?;
            match result {
                ReadRecordResult::Record => break eof,
                ReadRecordResult::End => return Ok(None),
                ReadRecordResult::InputEmpty if eof => break true,
                // Field bytes are not kept; the buffers are reused as they fill.
                _ => {}
            }
        };
        // The parser ends a row at `\r` or `\n`; the row keeps its whole line end.
        loop {
            let buf = self.reader.fill_buf()?;
            let at_end = row.last() == Some(&b'\n');
            match buf.first() {
                Some(b'\n') if !at_end => self.take(1, &mut row, &mut oversize)?,
                _ => break,
            }
        }
        Ok(Some((row, oversize, ended_by_eof)))
    }

    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            // Blank lines between rows belong to no row.
            while let Some(&b) = self.reader.fill_buf()?.first() {
                if b != b'\n' && b != b'\r' {
                    break;
                }
                self.line += u64::from(b == b'\n');
                self.reader.consume(1);
                self.offset += 1;
            }
            let (start_offset, start_line) = (self.offset, self.line);
            let Some((row, oversize, ended_by_eof)) = self.next_row()? else {
                return Ok(None);
            };
            if oversize {
                let reason = format!(
                    "row larger than the {} byte limit; skipped",
                    self.max_record
                );
                return Ok(Some(Frame::Bad(BadRecord {
                    offset: start_offset,
                    line: start_line,
                    reason,
                })));
            }
            if row.is_empty() {
                return Ok(None);
            }
            // Only a row the input ended can be cut inside quotes.
            if ended_by_eof && ends_in_quotes(&row, self.delimiter) {
                let reason = "file ends inside a quoted field (truncated)".to_string();
                return Ok(Some(Frame::Bad(BadRecord {
                    offset: start_offset,
                    line: start_line,
                    reason,
                })));
            }
            if row.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(Frame::Record(RawRecord {
                bytes: row,
                offset: start_offset,
                line: start_line,
            })));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(input: &str, max: usize) -> Vec<(u64, u64, Result<String, String>)> {
        let mut framer = CsvFramer::new(input.as_bytes(), b',', max);
        let mut out = Vec::new();
        while let Some(frame) = framer.next_frame().expect("reads from memory") {
            out.push(match frame {
                Frame::Record(r) => (
                    r.line,
                    r.offset,
                    Ok(String::from_utf8(r.bytes).expect("utf-8")),
                ),
                Frame::Bad(b) => (b.line, b.offset, Err(b.reason)),
            });
        }
        out
    }

    #[test]
    fn quoted_newlines_stay_in_one_row_and_rows_keep_their_bytes() {
        let input = "a,b\n1,\"x\ny\"\n2,z\n";
        let got = rows(input, 1024);
        assert_eq!(got[0], (1, 0, Ok("a,b\n".to_string())));
        assert_eq!(got[1], (2, 4, Ok("1,\"x\ny\"\n".to_string())));
        assert_eq!(got[2], (4, 12, Ok("2,z\n".to_string())));
        assert_eq!(
            split_csv_row(got[1].2.as_ref().expect("row").as_bytes(), b','),
            vec!["1", "x\ny"]
        );
    }

    #[test]
    fn crlf_blank_lines_a_last_row_without_newline_and_a_literal_quote() {
        let input = "a,b\r\n\r\n1,x\"y\r\n2,\"q\"\"r\"";
        let got = rows(input, 1024);
        assert_eq!(got[0], (1, 0, Ok("a,b\r\n".to_string())));
        // A quote inside an unquoted field is a character, not the start of a quoted field.
        assert_eq!(got[1], (3, 7, Ok("1,x\"y\r\n".to_string())));
        assert_eq!(got[2], (4, 14, Ok("2,\"q\"\"r\"".to_string())));
        assert_eq!(split_csv_row(b"2,\"q\"\"r\"", b','), vec!["2", "q\"r"]);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn a_cut_quoted_field_and_an_oversized_row_are_reported() {
        let got = rows("a,b\n1,\"never closed\n", 1024);
        assert_eq!(
            got[1].2,
            Err("file ends inside a quoted field (truncated)".to_string())
        );
        let got = rows("a,b\n1,2222222222222222222222\n3,4\n", 12);
        assert_eq!(got[0].2, Ok("a,b\n".to_string()));
        assert!(got[1].2.as_ref().is_err_and(|r| r.contains("byte limit")));
        assert_eq!(got[2], (3, 29, Ok("3,4\n".to_string())));
    }

    #[test]
    fn delimiter_is_sniffed() {
        assert_eq!(sniff_delimiter(b"time;user;action\n1;2;3\n"), Some(b';'));
        assert_eq!(sniff_delimiter(b"time,user,action\n1,2,3\n"), Some(b','));
        assert_eq!(sniff_delimiter(b"just some text\nmore text\n"), None);
        assert_eq!(
            split_csv_row(b"\"a,\"\"b\"\"\",c\r\n", b','),
            vec!["a,\"b\"", "c"]
        );
    }
}

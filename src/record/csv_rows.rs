//! Rows of delimited text, kept byte-for-byte: a row ends at a newline outside quotes.

use std::io::{self, BufRead};

use super::{BadRecord, Frame, RawRecord};

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Guesses the delimiter from the first two lines: the one that splits the header into at least
/// two columns and gives the second line the same column count.
pub(super) fn sniff_delimiter(sample: &[u8]) -> Option<u8> {
    let mut lines = sample
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let header = lines.next()?;
    let second = lines.next();
    let mut best: Option<(usize, u8)> = None;
    for d in DELIMITERS {
        let columns = split_csv_row(header, d).len();
        if columns < 2 {
            continue;
        }
        if let Some(row) = second {
            if split_csv_row(row, d).len() != columns {
                continue;
            }
        }
        if best.is_none_or(|(n, _)| columns > n) {
            best = Some((columns, d));
        }
    }
    best.map(|(_, d)| d)
}

/// Splits one row into fields (RFC 4180 quoting, `""` inside quotes is a quote).
pub fn split_csv_row(row: &[u8], delimiter: u8) -> Vec<String> {
    let row = row.strip_suffix(b"\n").unwrap_or(row);
    let row = row.strip_suffix(b"\r").unwrap_or(row);
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < row.len() {
        let b = row[i];
        if quoted {
            if b == b'"' {
                if row.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    quoted = false;
                }
            } else {
                field.push(b);
            }
        } else if b == b'"' && field.is_empty() {
            quoted = true;
        } else if b == delimiter {
            fields.push(String::from_utf8_lossy(&field).into_owned());
            field.clear();
        } else {
            field.push(b);
        }
        i += 1;
    }
    fields.push(String::from_utf8_lossy(&field).into_owned());
    fields
}

/// Yields the rows of a delimited file; the header row is yielded like any other.
pub struct CsvFramer<R> {
    reader: R,
    max_record: usize,
    offset: u64,
    line: u64,
}

impl<R: BufRead> CsvFramer<R> {
    pub fn new(reader: R, max_record: usize) -> Self {
        CsvFramer {
            reader,
            max_record,
            offset: 0,
            line: 1,
        }
    }

    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let start_offset = self.offset;
            let start_line = self.line;
            let mut row = Vec::new();
            let mut quoted = false;
            let mut oversize = false;
            loop {
                let mut line = Vec::new();
                let n = self.reader.read_until(b'\n', &mut line)?;
                if n == 0 {
                    break;
                }
                self.offset += n as u64;
                self.line += 1;
                quoted ^= line.iter().filter(|&&b| b == b'"').count() % 2 == 1;
                if row.len() + line.len() > self.max_record {
                    oversize = true;
                    row.clear();
                } else if !oversize {
                    row.extend_from_slice(&line);
                }
                if !quoted {
                    break;
                }
            }
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
            if quoted {
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

    #[test]
    fn quoted_newlines_stay_in_one_row() {
        let input = "a,b\n1,\"x\ny\"\n2,z\n";
        let mut framer = CsvFramer::new(input.as_bytes(), 1024);
        let mut rows = Vec::new();
        while let Some(Frame::Record(r)) = framer.next_frame().unwrap() {
            rows.push((r.line, split_csv_row(&r.bytes, b',')));
        }
        assert_eq!(rows[1], (2, vec!["1".to_string(), "x\ny".to_string()]));
        assert_eq!(rows[2], (4, vec!["2".to_string(), "z".to_string()]));
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

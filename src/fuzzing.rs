//! Entry points for the fuzz targets in `fuzz/` (`make fuzz`), one per input parser, each with
//! the invariants a crash would break besides a panic. Built only with the `fuzzing` feature;
//! the targets call nothing else of the engine, so this list is every parser that is fuzzed.

use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};

use crate::bundle::{Entry, Limits, Walk};
use crate::formats::{self, FormatOptions, Sample};
use crate::model::event::Provenance;
use crate::record::{CsvFramer, Frame, JsonFramer, LineFramer, Shape};

/// Limits small enough that one run stays fast: the fuzzer looks for crashes, not for how much
/// a bomb may write.
pub fn limits() -> Limits {
    Limits {
        max_file_bytes: 64 << 20,
        max_archive_bytes: 64 << 20,
        max_ratio: 250,
        ratio_grace_bytes: 1 << 20,
        max_depth: 4,
        max_entries: 1_000,
        max_in_memory: 8 << 20,
        max_record_bytes: 1 << 20,
    }
}

/// Every record a framer yields is the input's bytes at its offset, in increasing order.
fn check_frames(data: &[u8], mut next: impl FnMut() -> std::io::Result<Option<Frame>>) {
    let mut last = 0u64;
    while let Ok(Some(frame)) = next() {
        let Frame::Record(r) = frame else { continue };
        let start = r.offset as usize;
        assert!(r.offset >= last, "records go forward");
        assert_eq!(
            data.get(start..start + r.bytes.len()),
            Some(&r.bytes[..]),
            "a record is the input's bytes at its offset"
        );
        last = r.offset;
    }
}

pub fn json_framer(data: &[u8]) {
    let mut framer = JsonFramer::new(BufReader::with_capacity(7, data), 1 << 16);
    check_frames(data, || framer.next_frame());
}

/// The first byte chooses the delimiter.
pub fn csv_framer(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let delimiter = [b',', b';', b'\t', b'|'][usize::from(pick % 4)];
    let mut framer = CsvFramer::new(BufReader::with_capacity(7, body), delimiter, 1 << 16);
    while let Ok(Some(_)) = framer.next_frame() {}
}

pub fn line_framer(data: &[u8]) {
    let mut framer = LineFramer::new(BufReader::with_capacity(7, data), 1 << 16, None);
    check_frames(data, || framer.next_frame());
}

/// Every format's normalizer over the input read as a JSON record and, for line formats, as
/// a text line.
pub fn normalizers(data: &[u8]) {
    let provenance = Provenance::default;
    if let Ok((value, notes)) = formats::parse_record(data, None) {
        let sample = Sample {
            shape: Shape::Json,
            first: Some(&value),
            header: None,
        };
        for format in formats::registry() {
            let _ = format.detect(&sample);
            let reader = formats::RecordReader::new(*format, &sample, &FormatOptions::default());
            let event = reader.event(&value, &notes, provenance());
            let _ = serde_json::to_string(&event);
        }
    }
    let _ = formats::detect_text(data);
    for format in formats::registry().iter().filter(|f| f.reads_lines()) {
        let Ok(value) = format.parse_line(data) else {
            continue;
        };
        let sample = Sample {
            shape: Shape::Lines,
            first: Some(&value),
            header: None,
        };
        let reader = formats::RecordReader::new(*format, &sample, &FormatOptions::default());
        let _ = reader.event(&value, &Default::default(), provenance());
    }
}

/// The whole reading of one file: sniffing, gzip, encodings, framing, detection, every
/// normalizer, EVTX. `format` forces one.
pub fn import_file(data: &[u8], format: Option<&str>) {
    let Ok(report) = crate::import::fuzz::read_one(data, format, &limits()) else {
        return;
    };
    assert!(
        report.events + report.skipped <= data.len() as u64 + 1,
        "no record from nothing"
    );
}

/// EVTX through the import's reader: the input after the file signature, so mutations reach
/// the header and chunks instead of breaking the signature.
pub fn evtx(data: &[u8]) {
    let mut bytes = formats::windows::EVTX_MAGIC.to_vec();
    bytes.extend_from_slice(
        data.strip_prefix(formats::windows::EVTX_MAGIC)
            .unwrap_or(data),
    );
    import_file(&bytes, None);
}

/// Archives (zip, tar, tar.gz, nested): every member is read or refused with a reason, and
/// nothing is written outside `tmp`.
pub fn archive(data: &[u8], tmp: &Path) {
    let input = tmp.join("input");
    if std::fs::write(&input, data).is_err() {
        return;
    }
    let limits = limits();
    let cancel = AtomicBool::new(false);
    let walk = Walk {
        limits: &limits,
        tmp_dir: tmp,
        cancel: &cancel,
        temp_counter: AtomicU64::new(0),
        skip: None,
    };
    let _ = walk.run(std::slice::from_ref(&input), &mut |entry| {
        match entry {
            Entry::Leaf(leaf) => {
                assert!(leaf.path.starts_with(&*input.to_string_lossy()));
                if let Ok(mut r) = leaf.open(&limits) {
                    let _ = std::io::copy(&mut (&mut r).take(16 << 20), &mut std::io::sink());
                }
            }
            Entry::Refused { reason, .. } => assert!(!reason.is_empty(), "a refusal says why"),
        }
        Ok(())
    });
}

/// The query language: parsing, and the suggestions made for a query that does not parse.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::search::query::parse(text);
}

//! Reading an EVTX file: whole chunks through the `evtx` crate, each record rendered to JSON and
//! handed to the same per-record path as every other format.

use std::io::Read;
use std::sync::atomic::Ordering;

use super::file::{failed, read_error, DocSink, FileJob, FileReader, ReadContext, ReadStop};
use super::report::FileReport;
use crate::formats;
use crate::record::Frame;

/// Largest EVTX file read; Windows caps logs well below it by default.
const MAX_EVTX_BYTES: u64 = 4 << 30;

/// EVTX is a binary format of chunks; the `evtx` crate reads it whole. Every readable record is
/// kept, also from chunks after a header that counts fewer; unreadable chunks and records are
/// reported as skipped with the parser's reason.
pub(super) fn read_evtx(
    ctx: &ReadContext,
    job: FileJob,
    report: FileReport,
    head: Vec<u8>,
    input: impl Read,
    sink: &mut DocSink,
) -> crate::Result<FileReport> {
    // The crate reads a file whole; a hostile or absurd size must not exhaust memory.
    let mut bytes = head;
    if let Err(e) = input.take(MAX_EVTX_BYTES + 1).read_to_end(&mut bytes) {
        return Ok(failed(report, read_error(&e, 0)));
    }
    if bytes.len() as u64 > MAX_EVTX_BYTES {
        let note = format!(
            "EVTX file larger than {} MiB; split it or raise the limit (nothing was read)",
            MAX_EVTX_BYTES >> 20
        );
        return Ok(failed(report, note));
    }
    ctx.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    let format = formats::by_name("evtx")
        .ok_or_else(|| crate::Error::UnknownFormat("evtx".to_string(), formats::names()))?;
    // Chunks are 64 KiB after a 4 KiB header; bytes past the last whole chunk (a copy cut short)
    // hold records no parser reads, and the report must say so.
    let partial = bytes.len().saturating_sub(4096) % 65_536;
    let checksums = crate::integrity::evtx_crc::checksum_findings(&bytes, &job.leaf.path);
    let mut parser = match evtx::EvtxParser::from_buffer(bytes) {
        Ok(p) => p.with_configuration(
            evtx::ParserSettings::new()
                .validate_checksums(false)
                .num_threads(1),
        ),
        Err(e) => return Ok(failed(report, format!("not a readable EVTX file: {e}"))),
    };
    let (mut file, reader) = FileReader::whole(ctx, &job, report, format);
    for record in parser.records_json_value() {
        let bad = |reason: String| {
            Frame::Bad(crate::record::BadRecord {
                offset: 0,
                line: 0,
                reason,
            })
        };
        let frame = match record {
            Ok(r) => match serde_json::to_vec(&r.data) {
                Ok(json) => Frame::Record(crate::record::RawRecord {
                    bytes: json,
                    offset: 0,
                    line: 0,
                }),
                Err(e) => bad(format!(
                    "EVTX record {} could not be rendered: {e}",
                    r.event_record_id
                )),
            },
            Err(e) => bad(format!("unreadable EVTX record or chunk: {e}")),
        };
        match file.take(&reader, frame, sink) {
            Ok(()) => {}
            Err(ReadStop::Engine(e)) => return Err(e),
            Err(ReadStop::Io(e)) => return Ok(failed(file.report, read_error(&e, file.ordinal))),
            Err(ReadStop::Unrecognized(reason)) => return Ok(failed(file.report, reason)),
        }
        if file.ordinal.is_multiple_of(256) && ctx.cancel.load(Ordering::Relaxed) {
            return Err(crate::Error::Cancelled);
        }
    }
    let watch = std::mem::replace(&mut file.watch, crate::integrity::watch::Watch::new(0));
    (file.report.findings, file.report.ids) = watch.finish(&file.path);
    file.report.findings.splice(0..0, checksums);
    if partial > 0 {
        let reason = format!("the file ends inside a chunk: its last {partial} bytes (an incomplete chunk) could not be read");
        file.report.skip(None, None, reason.clone());
        file.report.note = Some(reason);
    }
    Ok(file.report)
}

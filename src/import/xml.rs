//! Reading a Splunk XML export: the file is read whole (as EVTX is), each `<result>` element is
//! framed by its byte span, and the records go the same per-record way as every other format's
//! (`formats::splunk_xml` turns one into JSON, `formats::wrapped` reads the record inside).

use std::io::Read;
use std::sync::atomic::Ordering;

use super::file::{failed, read_error, DocSink, FileJob, FileReader, ReadContext, ReadStop};
use super::report::FileReport;
use crate::formats;
use crate::record::{Frame, RawRecord};

/// Largest XML export read; Splunk's own export limits keep them far below it.
const MAX_XML_BYTES: u64 = 2 << 30;

pub(super) fn read_splunk_xml(
    ctx: &ReadContext,
    job: FileJob,
    report: FileReport,
    head: Vec<u8>,
    input: impl Read,
    sink: &mut DocSink,
) -> crate::Result<FileReport> {
    let mut bytes = head;
    if let Err(e) = input.take(MAX_XML_BYTES + 1).read_to_end(&mut bytes) {
        return Ok(failed(report, read_error(&e, 0)));
    }
    if bytes.len() as u64 > MAX_XML_BYTES {
        let note = format!(
            "XML export larger than {} MiB; export it as JSON or CSV instead (nothing was read)",
            MAX_XML_BYTES >> 20
        );
        return Ok(failed(report, note));
    }
    ctx.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
    let format = formats::by_name("splunk_xml")
        .ok_or_else(|| crate::Error::UnknownFormat("splunk_xml".to_string(), formats::names()))?;
    let (spans, stopped) = formats::splunk_xml::result_spans(&bytes);
    let (mut file, reader) = FileReader::whole(ctx, &job, report, format);
    let (mut line, mut counted) = (1u64, 0usize);
    for (start, end) in spans {
        line += bytes[counted..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        counted = start;
        let frame = Frame::Record(RawRecord {
            bytes: bytes[start..end].to_vec(),
            offset: start as u64,
            line,
        });
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
    if let Some(reason) = stopped {
        let note = format!(
            "{reason}; the {} results before it were kept",
            file.report.events
        );
        file.report.skip(None, None, reason);
        file.report.note = Some(note);
    }
    Ok(file.report)
}

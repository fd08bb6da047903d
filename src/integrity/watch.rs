//! What the import notices about a file's records while it reads them: sequence numbers that skip
//! or run backwards, and records that clear or disable the log. The import is the one pass over
//! every record, and a file whose SHA-256 still matches holds the same records, so findings made
//! here stay true for as long as `verify` finds the file unchanged.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use super::tamper::Tampering;
use super::{Finding, FindingKind, Severity};
use crate::model::event::AuditEvent;

/// Findings of one kind kept per file; beyond it one summary finding counts the rest.
const MAX_PER_KIND: usize = 50;
/// An auditd serial is a u32 in the kernel; it wraps to 0 after this.
const U32_WRAP: u64 = 1 << 32;
/// How close to the wrap point a serial must be, and how small the next one, to read as a wrap.
const WRAP_SLACK: u64 = 1 << 16;
/// A sequence that goes back to a number this small has restarted (log cleared or recreated,
/// daemon or host restart) rather than run out of order.
const RESTART_BELOW: u64 = 16;
/// A sequence that drops by at least this much while time goes on has restarted too: auditd
/// started again and took up an older counter. Records out of order differ by a few.
const RESTART_DROP: u64 = 10_000;

/// A record's identity for duplicate checks: where the same native id means the same record.
/// Kept for every record of an import until its files are compared, so it holds numbers only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdMark {
    pub key: u64,
    pub content: u64,
    /// The event's sequence key (file id and ordinal).
    pub seq: u64,
    /// UTC nanoseconds, or [`NO_TIME`]: not an `Option`, which made every mark 40 bytes instead
    /// of 32 (80 MB more for a 10M-event import, which holds one per event).
    nanos: i64,
}

/// An [`IdMark`]'s time when its event has none (also so in the id files).
pub(crate) const NO_TIME: i64 = i64::MIN;

impl IdMark {
    pub(crate) fn new(key: u64, content: u64, seq: u64, time: Option<i64>) -> IdMark {
        IdMark {
            key,
            content,
            seq,
            nanos: time.unwrap_or(NO_TIME),
        }
    }

    pub(crate) fn time(&self) -> Option<i64> {
        Some(self.nanos).filter(|t| *t != NO_TIME)
    }

    /// The time as kept in an id file.
    pub(crate) fn raw_time(&self) -> i64 {
        self.nanos
    }
}

#[derive(Debug, Clone, Copy)]
struct Point {
    /// The serial with wraps unrolled, so one stream sorts in one line.
    n: u64,
    ordinal: u64,
    time: Option<i64>,
}

/// One numbered stream: an EVTX channel on one computer, auditd on one node.
#[derive(Default)]
struct Stream {
    segments: Vec<Vec<Point>>,
    wraps: u64,
    /// Largest raw serial seen in the current segment, with its unrolled value.
    max: Option<(u64, u64)>,
    backwards: u64,
    first_backward: Option<String>,
    restarts: Vec<String>,
}

/// Watches one file's events in file order.
pub(crate) struct Watch {
    file_id: u64,
    kind: FindingKind,
    streams: BTreeMap<String, Stream>,
    tamper: Tampering,
    pub(crate) ids: Vec<IdMark>,
}

/// Whether `time` is no earlier than the last record of the stream's current segment: a counter
/// that drops while time goes on started again; one that drops with time is out of order.
fn time_goes_on(s: &Stream, time: Option<i64>) -> bool {
    let last = s
        .segments
        .last()
        .and_then(|seg| seg.last())
        .and_then(|p| p.time);
    matches!((last, time), (Some(last), Some(t)) if t >= last)
}

fn id(file_id: u64, ordinal: u64) -> String {
    crate::model::event::event_id(file_id, ordinal)
}

impl Watch {
    pub(crate) fn new(file_id: u64) -> Watch {
        Watch {
            file_id,
            kind: FindingKind::Unspecified,
            streams: BTreeMap::new(),
            tamper: Tampering::default(),
            ids: Vec::new(),
        }
    }

    pub(crate) fn observe(&mut self, e: &AuditEvent, record: &serde_json::Value) {
        self.tamper.observe(e);
        let Some(native) = e.native_id.as_deref() else {
            return;
        };
        // Each source's ids are unique only in the scope it documents: hosts and channels are
        // compared as Windows and auditd treat them, without letter case.
        let lower = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
        let mut key = std::collections::hash_map::DefaultHasher::new();
        (&e.format, lower(&e.host), lower(&e.service), native).hash(&mut key);
        // Serials and EventRecordIDs start again after a restart or a cleared log; with the
        // time they name one record. A GCP insertId is unique only with its timestamp and log.
        match e.format.as_str() {
            "auditd" | "evtx" | "windows_json" => e.time.utc_nanos.hash(&mut key),
            "gcp_audit" => {
                e.time.utc_nanos.hash(&mut key);
                crate::formats::value::text(record, "logName").hash(&mut key);
            }
            _ => {}
        }
        // What the record says, not how it is written: the same event exported twice in two
        // shapes (S3 JSON and a SIEM's flattened lines) agrees here; an edited actor does not.
        let mut content = std::collections::hash_map::DefaultHasher::new();
        (
            e.time.utc_nanos,
            &e.action,
            e.outcome.as_str(),
            e.actor.identity.label(),
            e.target.as_ref().and_then(|t| t.label()),
            &e.source_ip,
            &e.error_code,
            &e.request_id,
            &e.session_id,
            &e.region,
        )
            .hash(&mut content);
        self.ids.push(IdMark::new(
            key.finish(),
            content.finish(),
            crate::model::event::sequence_key(e.provenance.file_id, e.provenance.ordinal),
            e.time.utc_nanos,
        ));
        let (kind, stream) = match e.format.as_str() {
            "evtx" | "windows_json" => (
                FindingKind::RecordIdGap,
                format!(
                    "{} on {}",
                    e.service.as_deref().unwrap_or("?"),
                    e.host.as_deref().unwrap_or("?")
                )
                .to_lowercase(),
            ),
            "auditd" => (
                FindingKind::SequenceGap,
                e.host.clone().unwrap_or_default().to_lowercase(),
            ),
            _ => return,
        };
        let Ok(n) = native.parse::<u64>() else {
            return;
        };
        self.kind = kind;
        let s = self.streams.entry(stream).or_default();
        let ordinal = e.provenance.ordinal;
        let mut unrolled = n + s.wraps * U32_WRAP;
        match s.max {
            Some((raw_max, _)) if n < raw_max => {
                if kind == FindingKind::SequenceGap
                    && raw_max >= U32_WRAP - WRAP_SLACK
                    && n < WRAP_SLACK
                {
                    s.wraps += 1;
                    unrolled = n + s.wraps * U32_WRAP;
                } else if n < RESTART_BELOW
                    || e.action == "DAEMON_START"
                    || (raw_max - n >= RESTART_DROP && time_goes_on(s, e.time.utc_nanos))
                {
                    s.restarts.push(format!(
                        "at event {} the sequence starts again at {n} after {raw_max}",
                        id(self.file_id, ordinal)
                    ));
                    s.segments.push(Vec::new());
                    s.max = None;
                } else {
                    s.backwards += 1;
                    if s.first_backward.is_none() {
                        s.first_backward = Some(format!(
                            "first: {n} at event {} after {raw_max}",
                            id(self.file_id, ordinal)
                        ));
                    }
                }
            }
            _ => {}
        }
        if s.segments.is_empty() {
            s.segments.push(Vec::new());
        }
        if s.max.is_none_or(|(_, u)| unrolled > u) {
            s.max = Some((n, unrolled));
        }
        if let Some(seg) = s.segments.last_mut() {
            seg.push(Point {
                n: unrolled,
                ordinal,
                time: e.time.utc_nanos,
            });
        }
    }

    /// The file's findings, gaps first by stream, then restarts, disorder and tampering events.
    /// (See [`time_goes_on`] for how a restart is told from disorder.)
    pub(crate) fn finish(self, file: &str) -> (Vec<Finding>, Vec<IdMark>) {
        let mut out = Vec::new();
        let label = if self.kind == FindingKind::SequenceGap {
            "serials"
        } else {
            "EventRecordIDs"
        };
        for (name, stream) in &self.streams {
            let mut gaps = Vec::new();
            for seg in &stream.segments {
                let mut seg = seg.clone();
                seg.sort_by_key(|p| (p.n, p.ordinal));
                for w in seg.windows(2) {
                    if w[1].n > w[0].n + 1 {
                        gaps.push((w[0], w[1]));
                    }
                }
            }
            let show = |n: u64| n % U32_WRAP;
            let on = if name.is_empty() {
                String::new()
            } else {
                format!(" ({name})")
            };
            for (a, b) in gaps.iter().take(MAX_PER_KIND) {
                let missing = b.n - a.n - 1;
                out.push(Finding {
                    kind: self.kind,
                    severity: Severity::Warning,
                    file: Some(file.to_string()),
                    detail: format!(
                        "{label} {}–{} missing ({missing} record{}) between events {} and {}{on}",
                        show(a.n + 1),
                        show(b.n - 1),
                        if missing == 1 { "" } else { "s" },
                        id(self.file_id, a.ordinal),
                        id(self.file_id, b.ordinal),
                    ),
                    source: None,
                    events: vec![id(self.file_id, a.ordinal), id(self.file_id, b.ordinal)],
                    from: a.time,
                    to: b.time,
                });
            }
            if gaps.len() > MAX_PER_KIND {
                let rest = &gaps[MAX_PER_KIND..];
                let missing: u64 = rest.iter().map(|(a, b)| b.n - a.n - 1).sum();
                out.push(Finding {
                    kind: self.kind,
                    severity: Severity::Warning,
                    file: Some(file.to_string()),
                    detail: format!("and {} more gaps ({missing} records){on}", rest.len()),
                    ..Finding::default()
                });
            }
            for restart in &stream.restarts {
                out.push(Finding {
                    kind: FindingKind::SequenceRestart,
                    severity: Severity::Info,
                    file: Some(file.to_string()),
                    detail: format!("{restart}{on} (log recreated or cleared, or a restart)"),
                    ..Finding::default()
                });
            }
            if stream.backwards > 0 {
                out.push(Finding {
                    kind: FindingKind::OutOfOrder,
                    severity: Severity::Warning,
                    file: Some(file.to_string()),
                    detail: format!(
                        "{} record{} came after a higher number{on}; {}",
                        stream.backwards,
                        if stream.backwards == 1 { "" } else { "s" },
                        stream.first_backward.clone().unwrap_or_default()
                    ),
                    ..Finding::default()
                });
            }
        }
        out.extend(self.tamper.findings(file));
        (out, self.ids)
    }
}

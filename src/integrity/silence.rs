//! Silence: stretches with no events where a source's own rhythm says there should be some
//! (`time_gap`). A log that was cut, or a CloudTrail file that was deleted, shows up as a quiet
//! period far longer than the source's usual gaps.
//!
//! A source is one file, or one CloudTrail account's deliveries in one region (see [`source_of`]).
//! The threshold adapts to each source: it is `FACTOR` times the 99th
//! percentile of the gaps between consecutive events, and at least `MIN_GAP`. Using a high
//! percentile rather than the mean keeps bursty sources (quiet nights, busy mornings) from
//! raising alarms, and a source with fewer than `MIN_EVENTS` timed events is not judged at all.

use std::collections::{BTreeMap, HashMap};

use super::{Finding, FindingKind, Severity};
use crate::case::Store;
use crate::error::Result;
use crate::model::event::event_id;

const MIN_EVENTS: usize = 200;
const FACTOR: i64 = 20;
const MIN_GAP: i64 = 60 * 1_000_000_000;
/// Most silences reported per source, longest first.
const MAX_PER_SOURCE: usize = 20;

/// Where events come from, for their rhythm: one file, or (CloudTrail) one account's deliveries
/// in one region, the stream a deleted delivery file would leave a hole in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Source {
    format: String,
    /// `account 123456789012 in us-east-1` for a delivery stream.
    stream: Option<String>,
    file: Option<String>,
}

/// Event times of one source, with the event each belongs to.
type Times = Vec<(i64, u64)>;

/// CloudTrail writes one continuous stream per account and region, cut into delivery files
/// (`<account>_CloudTrail_<region>_<time>_<unique>.json.gz`) every few minutes, so a deleted file
/// shows only as silence across files. Every other file, CloudTrail files not named as deliveries
/// (console or Athena exports, samples) included, is a stream of its own (one EVTX channel, one
/// host's audit.log) and is judged alone, so that unrelated logs side by side are not read as
/// one source with holes.
fn source_of(format: &str, file: &str) -> Source {
    if format == "cloudtrail" {
        // The last path part, also of an archive member (`b.zip!/AWSLogs/…/name`).
        let name = super::digest::file_name(file);
        if let Some((account, region, _)) = super::digest::delivery_name(name) {
            return Source {
                format: format.to_string(),
                stream: Some(format!("account {account} in {region}")),
                file: None,
            };
        }
    }
    Source {
        format: format.to_string(),
        stream: None,
        file: Some(file.to_string()),
    }
}

fn names(column: &tantivy::columnar::StrColumn) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for ord in 0..column.num_terms() as u64 {
        let mut text = String::new();
        column
            .ord_to_str(ord, &mut text)
            .map_err(tantivy::TantivyError::from)?;
        names.push(text);
    }
    Ok(names)
}

/// Reads every event's time and source from the index's columns (no stored documents).
fn times_by_source(searcher: &tantivy::Searcher) -> Result<BTreeMap<Source, Times>> {
    let mut out: BTreeMap<Source, Times> = BTreeMap::new();
    for segment in searcher.segment_readers() {
        let ff = segment.fast_fields();
        let (Some(time), Some(seq), Some(format), Some(file)) = (
            ff.column_opt::<i64>("time")?,
            ff.column_opt::<u64>("seq")?,
            ff.str("format")?,
            ff.str("file")?,
        ) else {
            continue;
        };
        // By term ordinals first: names are looked at once per file, not once per event.
        let mut by_ords: HashMap<(u64, u64), Times> = HashMap::new();
        let alive = segment.alive_bitset();
        for doc in 0..segment.max_doc() {
            if alive.is_some_and(|a| !a.is_alive(doc)) {
                continue;
            }
            let (Some(t), Some(s), Some(fo), Some(fi)) = (
                time.first(doc),
                seq.first(doc),
                format.term_ords(doc).next(),
                file.term_ords(doc).next(),
            ) else {
                continue;
            };
            by_ords.entry((fo, fi)).or_default().push((t, s));
        }
        let (formats, files) = (names(&format)?, names(&file)?);
        for ((fo, fi), mut times) in by_ords {
            let (Some(fo), Some(fi)) = (formats.get(fo as usize), files.get(fi as usize)) else {
                continue;
            };
            out.entry(source_of(fo, fi)).or_default().append(&mut times);
        }
    }
    Ok(out)
}

/// Human text for a span of nanoseconds: `2h 13m`, `4m 40s`, `1.2s`.
pub fn span_text(nanos: i64) -> String {
    let secs = nanos as f64 / 1e9;
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    let s = (secs as i64) % 60;
    let m = (secs as i64 / 60) % 60;
    let h = (secs as i64 / 3600) % 24;
    let d = secs as i64 / 86_400;
    match (d, h) {
        (0, 0) => format!("{m}m {s}s"),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

fn id_of(seq: u64) -> String {
    event_id(seq >> 32, seq & 0xffff_ffff)
}

/// One source's silences, longest first.
fn silences(src: &Source, mut times: Times) -> Vec<Finding> {
    let source = match &src.stream {
        Some(stream) => format!("{} events from {stream}", src.format),
        None if src.file.is_some() => "events".to_string(),
        None => format!("{} events", src.format),
    };
    let file = &src.file;
    let source_format = file.is_none().then(|| src.format.clone());
    if times.len() < MIN_EVENTS {
        return Vec::new();
    }
    times.sort_unstable();
    let mut gaps: Vec<i64> = times.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_unstable();
    let p50 = gaps[gaps.len() / 2];
    let p99 = gaps[(gaps.len() * 99) / 100];
    let threshold = (p99.saturating_mul(FACTOR)).max(MIN_GAP);
    let mut long: Vec<(i64, usize)> = times
        .windows(2)
        .enumerate()
        .map(|(i, w)| (w[1].0 - w[0].0, i))
        .filter(|(gap, _)| *gap > threshold)
        .collect();
    long.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let extra = long.len().saturating_sub(MAX_PER_SOURCE);
    let mut out: Vec<Finding> = long
        .into_iter()
        .take(MAX_PER_SOURCE)
        .map(|(gap, i)| {
            let (a, b) = (times[i], times[i + 1]);
            Finding {
                kind: FindingKind::TimeGap,
                severity: Severity::Warning,
                file: file.clone(),
                source: source_format.clone(),
                detail: format!(
                    "no {source} for {} (from {} to {}); over {} events this source's \
                     median gap is {} and its 99th percentile {}, so silences over {} \
                     ({FACTOR}× that, at least {}) are reported",
                    span_text(gap),
                    crate::time::format_rfc3339(a.0),
                    crate::time::format_rfc3339(b.0),
                    times.len(),
                    span_text(p50),
                    span_text(p99),
                    span_text(threshold),
                    span_text(MIN_GAP),
                ),
                events: vec![id_of(a.1), id_of(b.1)],
                from: Some(a.0),
                to: Some(b.0),
            }
        })
        .collect();
    if extra > 0 {
        out.push(Finding {
            kind: FindingKind::TimeGap,
            severity: Severity::Warning,
            file: file.clone(),
            source: source_format.clone(),
            detail: format!("and {extra} shorter silences in {source}"),
            ..Finding::default()
        });
    }
    out
}

/// Actions that end and start a machine's logging in the normal course of things.
const SHUTDOWN: [&str; 3] = ["event_logging_shut_down", "DAEMON_END", "system_shutdown"];
const STARTUP: [&str; 3] = ["system_startup", "DAEMON_START", "event_logging_started"];

/// Silences of every source in the case, sources in name order. A silence that begins with a
/// shutdown or ends with a start-up is the machine being off, most likely: it stays listed, as
/// `Info`, with the reason.
pub(crate) fn time_gaps(store: &Store, searcher: &tantivy::Searcher) -> Result<Vec<Finding>> {
    let mut out: Vec<Finding> = times_by_source(searcher)?
        .into_iter()
        .flat_map(|(source, times)| silences(&source, times))
        .collect();
    for f in &mut out {
        let [before, after] = f.events.as_slice() else {
            continue;
        };
        let action = |id: &str| {
            crate::search::event(store, id)
                .map(|d| d.event.action)
                .unwrap_or_default()
        };
        let (first, last) = (action(before), action(after));
        if SHUTDOWN.contains(&first.as_str()) || STARTUP.contains(&last.as_str()) {
            f.severity = Severity::Info;
            f.detail = format!(
                "{}; it begins with {} and ends with {}: the machine was probably off",
                f.detail,
                if first.is_empty() { "?" } else { &first },
                if last.is_empty() { "?" } else { &last }
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    fn x() -> Source {
        Source {
            format: "x".to_string(),
            stream: None,
            file: None,
        }
    }

    #[test]
    fn cloudtrail_deliveries_are_one_stream_per_account_and_region_and_other_files_their_own() {
        let delivery = |name: &str| source_of("cloudtrail", name);
        let a = delivery("b/AWSLogs/111/CloudTrail/eu-west-1/2024/05/01/111_CloudTrail_eu-west-1_20240501T0005Z_x.json.gz");
        let b = delivery("b.zip!AWSLogs/111/CloudTrail/eu-west-1/2024/05/01/111_CloudTrail_eu-west-1_20240501T0010Z_y.json.gz");
        assert_eq!(a, b);
        assert_eq!(a.stream.as_deref(), Some("account 111 in eu-west-1"));
        assert_ne!(
            a,
            delivery("222_CloudTrail_eu-west-1_20240501T0010Z_y.json.gz")
        );
        assert_ne!(
            a,
            delivery("111_CloudTrail_us-east-1_20240501T0010Z_y.json.gz")
        );
        let sample = delivery("samples/aws.defense-evasion.cloudtrail-stop.json");
        assert_eq!(
            sample.file.as_deref(),
            Some("samples/aws.defense-evasion.cloudtrail-stop.json")
        );
        assert_eq!(
            source_of("evtx", "Security.evtx").file.as_deref(),
            Some("Security.evtx")
        );
    }

    #[test]
    fn a_steady_source_has_no_silence_until_an_hour_is_cut_out() {
        let steady: Times = (0..1000).map(|i| (i * 10 * SEC, i as u64)).collect();
        assert!(silences(&x(), steady.clone()).is_empty());
        let cut: Times = steady
            .into_iter()
            .filter(|(t, _)| !(2000 * SEC..5600 * SEC).contains(t))
            .collect();
        let found = silences(&x(), cut);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].from, Some(1990 * SEC));
        assert_eq!(found[0].to, Some(5600 * SEC));
        assert!(
            found[0].detail.starts_with("no x events for 1h 0m"),
            "{}",
            found[0].detail
        );
    }

    #[test]
    fn bursts_and_quiet_nights_of_a_bursty_source_are_not_silences() {
        // Bursts of 50 events a second apart every 10 minutes, with one 40-minute lull a day.
        let mut t = 0;
        let mut times = Times::new();
        for burst in 0..200 {
            t += if burst % 50 == 0 {
                40 * 60 * SEC
            } else {
                10 * 60 * SEC
            };
            for i in 0..50 {
                times.push((t + i * SEC, times.len() as u64));
            }
        }
        assert!(silences(&x(), times).is_empty());
    }
}

//! Where an import's CPU goes, stage by stage, when asked (`ImportOptions::measure_stages`, the
//! benchmark): each reader thread adds the CPU time it spends in each stage of each record, read
//! from the thread's own CPU clock (a vDSO call, ~25 ns; six a record). Indexing runs on
//! tantivy's threads and the commit on the calling one; the report shows them as what is left of
//! the process's CPU time, so the stages add up to the whole.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// CPU nanoseconds per stage, summed over reader threads.
#[derive(Debug, Default)]
pub(crate) struct StageClock {
    /// Reading files and decompressing them (what the framer pulls).
    pub read: AtomicU64,
    /// Cutting records out of the text, read included.
    pub frame: AtomicU64,
    pub parse: AtomicU64,
    /// Record to `AuditEvent`, and the integrity watch.
    pub normalize: AtomicU64,
    pub detect: AtomicU64,
    /// `AuditEvent` to a tantivy document.
    pub document: AtomicU64,
    /// Handing the document to the index writer (waits when its queue is full).
    pub send: AtomicU64,
    /// Process CPU when the import started.
    pub process_start: u64,
}

/// CPU per event by stage, in microseconds, for the import report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StageCpu {
    /// (stage, µs of CPU per event), in pipeline order; they add up to `total`.
    pub stages: Vec<(String, f64)>,
    pub total: f64,
}

/// The calling thread's CPU time, nanoseconds (0 where the platform has no such clock).
pub(crate) fn thread_cpu() -> u64 {
    cpu_clock(libc_clock::THREAD)
}

/// The process's CPU time, every thread, nanoseconds.
pub(crate) fn process_cpu() -> u64 {
    cpu_clock(libc_clock::PROCESS)
}

#[cfg(unix)]
mod libc_clock {
    pub const THREAD: libc::clockid_t = libc::CLOCK_THREAD_CPUTIME_ID;
    pub const PROCESS: libc::clockid_t = libc::CLOCK_PROCESS_CPUTIME_ID;
}

#[cfg(unix)]
fn cpu_clock(id: libc::clockid_t) -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; clock_gettime only writes it.
    let ok = unsafe { libc::clock_gettime(id, &mut t) } == 0;
    if !ok {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

#[cfg(not(unix))]
mod libc_clock {
    pub const THREAD: u8 = 0;
    pub const PROCESS: u8 = 1;
}

#[cfg(not(unix))]
fn cpu_clock(_: u8) -> u64 {
    0
}

/// Times consecutive stages on one thread: each `lap` adds the CPU since the last to a stage.
pub(crate) struct Lap<'a> {
    clock: Option<&'a StageClock>,
    last: u64,
}

impl<'a> Lap<'a> {
    pub fn start(clock: Option<&'a StageClock>) -> Lap<'a> {
        Lap {
            clock,
            last: clock.map_or(0, |_| thread_cpu()),
        }
    }

    pub fn lap(&mut self, stage: impl Fn(&StageClock) -> &AtomicU64) {
        let Some(clock) = self.clock else { return };
        let now = thread_cpu();
        stage(clock).fetch_add(now.saturating_sub(self.last), Ordering::Relaxed);
        self.last = now;
    }
}

impl StageClock {
    pub fn new() -> StageClock {
        StageClock {
            process_start: process_cpu(),
            ..StageClock::default()
        }
    }

    /// Per event, the stages measured and the rest of the process's CPU since the start.
    pub fn per_event(&self, events: u64) -> StageCpu {
        let n = events.max(1) as f64;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let read = get(&self.read);
        let frame = get(&self.frame).saturating_sub(read);
        let measured = [
            ("read + decompress", read),
            ("frame", frame),
            ("parse", get(&self.parse)),
            ("normalize", get(&self.normalize)),
            ("detect", get(&self.detect)),
            ("document", get(&self.document)),
            ("hand to index writer", get(&self.send)),
        ];
        let sum: u64 = measured.iter().map(|(_, v)| v).sum();
        let total = process_cpu().saturating_sub(self.process_start);
        let mut stages: Vec<(String, f64)> = measured
            .iter()
            .map(|(k, v)| (k.to_string(), *v as f64 / n / 1000.0))
            .collect();
        stages.push((
            "index, store, commit (tantivy threads) and the rest".to_string(),
            total.saturating_sub(sum) as f64 / n / 1000.0,
        ));
        StageCpu {
            stages,
            total: total as f64 / n / 1000.0,
        }
    }
}

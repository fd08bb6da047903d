//! `sightline-bench follow`: a writer appends CloudTrail (JSON lines) and auth.log records at a
//! fixed rate while the case follows them; measures the time from a record's write to the
//! commit that makes it searchable (p50, p95, max), whether the follower keeps up (events/s over
//! the run, how long it needs after the writer stops), and the follower's CPU while idle.
//!
//! A record counts as searchable at the first commit after which the case holds at least as many
//! followed events as had been written up to it: the follower takes each file's complete lines
//! in order, and the writer writes both files in the same moments, so this is exact to within one
//! writer tick (10 ms).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sightline::api::{Case, FollowBatch, FollowOptions};

const TICK: Duration = Duration::from_millis(10);

fn cloudtrail(n: u64, t: i64) -> String {
    let name = [
        "GetObject",
        "DescribeInstances",
        "AssumeRole",
        "ConsoleLogin",
    ][(n % 4) as usize];
    format!(
        "{{\"eventVersion\":\"1.08\",\"eventTime\":\"{}\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"{name}\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.{}\",\"userAgent\":\"aws-cli/2.15\",\"userIdentity\":{{\"type\":\"IAMUser\",\"principalId\":\"AIDA{n:016}\",\"arn\":\"arn:aws:iam::111122223333:user/u{}\",\"accountId\":\"111122223333\",\"userName\":\"u{}\"}},\"requestParameters\":{{\"bucketName\":\"b{}\",\"key\":\"k/{n}\"}},\"responseElements\":null,\"requestID\":\"R{n:016}\",\"eventID\":\"e-{n}\",\"readOnly\":true,\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"111122223333\"}}\n",
        chrono::DateTime::from_timestamp(t, 0).map(|d| d.to_rfc3339()).unwrap_or_default(),
        n % 250,
        n % 97,
        n % 97,
        n % 13
    )
}

fn auth_line(n: u64, t: i64) -> String {
    let when = chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%b %e %H:%M:%S").to_string())
        .unwrap_or_default();
    if n.is_multiple_of(5) {
        format!("{when} web1 sshd[{n}]: Accepted publickey for deploy from 10.1.{}.{} port 50022 ssh2\n", n / 256 % 256, n % 256)
    } else {
        format!("{when} web1 sshd[{n}]: Failed password for invalid user u{} from 10.2.{}.{} port 50022 ssh2\n", n % 53, n / 256 % 256, n % 256)
    }
}

/// Writes `rate` records a second (half to each file) for `seconds`; returns, per tick, when it
/// was written and how many records had been written by then.
fn write(dir: &Path, rate: u64, seconds: u64, started: Instant) -> Result<Vec<(Instant, u64)>> {
    let mut ct = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("cloudtrail.jsonl"))?;
    let mut auth = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("auth.log"))?;
    let ticks = seconds * 1000 / TICK.as_millis() as u64;
    let mut written = 0u64;
    let mut marks = Vec::with_capacity(ticks as usize);
    let base = chrono::Utc::now().timestamp();
    for tick in 0..ticks {
        let due = started + TICK * tick as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let target = rate * (tick + 1) * TICK.as_millis() as u64 / 1000;
        let (mut a, mut b) = (String::new(), String::new());
        while written < target {
            let t = base + (written / rate.max(1)) as i64;
            if written.is_multiple_of(2) {
                a.push_str(&cloudtrail(written, t));
            } else {
                b.push_str(&auth_line(written, t));
            }
            written += 1;
        }
        ct.write_all(a.as_bytes())?;
        auth.write_all(b.as_bytes())?;
        marks.push((Instant::now(), written));
    }
    Ok(marks)
}

fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

pub fn follow(case_dir: &Path, rate: u64, seconds: u64) -> Result<()> {
    let case = Case::open_or_create(case_dir, std::sync::Arc::new(sightline::api::SystemClock))?;
    let before = case.stats()?.events;
    let dir = case_dir.with_extension("logs");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).context("the followed folder")?;
    let commits: Mutex<Vec<(Instant, u64, u64)>> = Mutex::new(Vec::new());
    let cancel = AtomicBool::new(false);
    let started = Instant::now() + Duration::from_millis(500);
    let total = rate * seconds;
    let (marks, idle) = std::thread::scope(|scope| -> Result<_> {
        let follower = scope.spawn(|| {
            let mut seen = 0u64;
            let mut on_batch = |b: &FollowBatch| {
                seen += b.events;
                if let Ok(mut c) = commits.lock() {
                    c.push((Instant::now(), seen, b.elapsed_ms));
                }
            };
            let mut options = FollowOptions::default();
            // For comparison: the same follow without the case's rules.
            options.import.detect = std::env::var_os("BENCH_FOLLOW_NO_RULES").is_none();
            case.follow(std::slice::from_ref(&dir), options, &mut on_batch, &cancel)
        });
        let marks = write(&dir, rate, seconds, started)?;
        let wrote_last = Instant::now();
        // Until everything is in, or 60 s.
        while commits
            .lock()
            .map(|c| c.last().map_or(0, |x| x.1))
            .unwrap_or(0)
            < total
            && wrote_last.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_secs(1));
        let cpu = cpu_seconds();
        std::thread::sleep(Duration::from_secs(5));
        let idle = (cpu_seconds() - cpu) / 5.0;
        cancel.store(true, Ordering::Relaxed);
        follower
            .join()
            .map_err(|_| anyhow::anyhow!("follower panicked"))??;
        Ok((marks, idle))
    })?;
    let commits = commits.into_inner().unwrap_or_default();
    let mut latencies = Vec::new();
    let mut c = 0;
    for (at, written) in &marks {
        while c < commits.len() && commits[c].1 < *written {
            c += 1;
        }
        match commits.get(c) {
            Some((done, _, _)) if done >= at => {
                latencies.push(done.duration_since(*at).as_secs_f64() * 1000.0)
            }
            Some(_) => latencies.push(0.0),
            None => {}
        }
    }
    let imported = commits.last().map_or(0, |x| x.1);
    latencies.sort_by(f64::total_cmp);
    let p = |q: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let last_commit = commits.last().map(|x| x.0);
    let span = last_commit.map_or(0.0, |l| l.duration_since(started).as_secs_f64());
    let mut batch_ms: Vec<u64> = commits.iter().map(|x| x.2).collect();
    batch_ms.sort_unstable();
    println!("follow: {rate} events/s for {seconds} s into a case of {before} events (CloudTrail JSON lines + auth.log, built-in rules)");
    println!(
        "  imported              {imported} of {total} events in {} batches",
        commits.len()
    );
    println!(
        "  write -> searchable   p50 {:.0} ms  p95 {:.0} ms  max {:.0} ms",
        p(0.5),
        p(0.95),
        p(1.0)
    );
    println!(
        "  batch import          p50 {} ms  max {} ms",
        batch_ms.get(batch_ms.len() / 2).copied().unwrap_or(0),
        batch_ms.last().copied().unwrap_or(0)
    );
    println!("  sustained             {:.0} events/s (all written records searchable {:.1} s after the writer started)", imported as f64 / span.max(1e-9), span);
    println!(
        "  idle CPU              {:.2}% of one core (5 s with nothing to do)",
        idle * 100.0
    );
    if imported < total {
        println!(
            "  NOT KEPT UP: {imported} of {total} events searchable 60 s after the writer stopped"
        );
    }
    Ok(())
}

//! `make bench`: generates a synthetic CloudTrail bundle shaped like real deliveries, imports it
//! into a fresh case and measures import and query performance.
//!
//! ```text
//! sightline-bench generate --out DIR [--events N] [--shape plain|bodies]
//! sightline-bench run --data DIR --case DIR [--rules DIR]...
//! sightline-bench follow --case DIR [--rate EVENTS_PER_S] [--seconds N]
//! ```
//! `run` imports the bundle twice: without rules, then with Sightline's pack and the `--rules`
//! folders, and compares the two (`detect`).
//! `run` is a separate process from `generate` so its peak RSS is the import's and the queries'.

// Indexing allocates many small, short-lived strings; mimalloc handles that pattern
// markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;

use sightline::api::SearchRequest;
use sightline::api::{Case, ImportOptions, SystemClock};

mod detect;
mod follow;

const RECORDS_PER_FILE: usize = 1000;
const START: i64 = 1_714_521_600; // 2024-05-01T00:00:00Z
const SPAN_SECS: i64 = 30 * 86_400;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    match args.first().map(String::as_str) {
        Some("generate") => {
            let out = PathBuf::from(flag("--out").context("--out DIR")?);
            let events: usize = flag("--events").map_or(Ok(1_000_000), |n| n.parse()).context("--events N")?;
            let bodies = match flag("--shape").as_deref() {
                None | Some("plain") => false,
                Some("bodies") => true,
                Some(other) => bail!("--shape plain|bodies, not {other}"),
            };
            generate(&out, events, bodies)
        }
        Some("run") => {
            let data = PathBuf::from(flag("--data").context("--data DIR")?);
            let case = PathBuf::from(flag("--case").context("--case DIR")?);
            let rules: Vec<PathBuf> = args
                .windows(2)
                .filter(|w| w[0] == "--rules")
                .map(|w| PathBuf::from(&w[1]))
                .collect();
            run(&data, &case, &rules)
        }
        Some("cold") => {
            let case = Case::open(&PathBuf::from(flag("--case").context("--case DIR")?), Arc::new(SystemClock))?;
            cold(&case)
        }
        Some("follow") => {
            let case = PathBuf::from(flag("--case").context("--case DIR")?);
            let rate: u64 = flag("--rate").map_or(Ok(20_000), |n| n.parse()).context("--rate N")?;
            let seconds: u64 = flag("--seconds").map_or(Ok(30), |n| n.parse()).context("--seconds N")?;
            follow::follow(&case, rate, seconds)
        }
        Some("jumps") => {
            let case = Case::open(&PathBuf::from(flag("--case").context("--case DIR")?), Arc::new(SystemClock))?;
            jumps(&case, newest(&case)?.1)
        }
        Some("query") => {
            let case = Case::open(&PathBuf::from(flag("--case").context("--case DIR")?), Arc::new(SystemClock))?;
            queries(&case)
        }
        _ => bail!("usage: sightline-bench generate --out DIR [--events N] [--shape plain|bodies] | run --data DIR --case DIR [--rules DIR]... | query --case DIR | jumps --case DIR | cold --case DIR | follow --case DIR [--rate N] [--seconds N]"),
    }
}

/// xorshift64*: deterministic, dependency-free, good enough for skewed test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }
    fn uuid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        )
    }
}

/// Zipf(s = 1.1) over `n` ranks via a cumulative table.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut acc = 0.0;
        let cdf = (1..=n)
            .map(|k| {
                acc += 1.0 / (k as f64).powf(1.1);
                acc
            })
            .collect::<Vec<_>>();
        let total = acc;
        Zipf(cdf.into_iter().map(|c| c / total).collect())
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        self.0.partition_point(|&c| c < u).min(self.0.len() - 1)
    }
}

const ACTIONS: [(&str, &str, bool); 16] = [
    ("DescribeInstances", "ec2.amazonaws.com", true),
    ("GetObject", "s3.amazonaws.com", true),
    ("AssumeRole", "sts.amazonaws.com", false),
    ("ListBuckets", "s3.amazonaws.com", true),
    ("GetCallerIdentity", "sts.amazonaws.com", true),
    ("PutObject", "s3.amazonaws.com", false),
    ("Decrypt", "kms.amazonaws.com", true),
    ("GetSecretValue", "secretsmanager.amazonaws.com", true),
    ("RunInstances", "ec2.amazonaws.com", false),
    ("ConsoleLogin", "signin.amazonaws.com", false),
    ("CreateAccessKey", "iam.amazonaws.com", false),
    ("AttachUserPolicy", "iam.amazonaws.com", false),
    ("CreateUser", "iam.amazonaws.com", false),
    ("StopLogging", "cloudtrail.amazonaws.com", false),
    ("DeleteTrail", "cloudtrail.amazonaws.com", false),
    ("PutBucketAcl", "s3.amazonaws.com", false),
];
const REGIONS: [&str; 6] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "sa-east-1",
];
const AGENTS: [&str; 5] = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.ls",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.156.0",
    "terraform-provider-aws/5.46.0 (+https://registry.terraform.io/providers/hashicorp/aws)",
];

/// `bodies`: the second shape, records with request and response bodies as describe and list
/// calls return them (3–10 KB a record instead of ~1.1 KB).
fn generate(out: &Path, events: usize, bodies: bool) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let actors = Zipf::new(2_000);
    let actions = Zipf::new(ACTIONS.len());
    let ips = Zipf::new(20_000);
    let files = events.div_ceil(RECORDS_PER_FILE);
    let started = Instant::now();
    let mut raw_bytes = 0u64;
    for f in 0..files {
        let path = out.join(format!(
            "123456789012_CloudTrail_us-east-1_20240501T0000Z_{f:06}.json.gz"
        ));
        let mut gz = GzEncoder::new(
            std::io::BufWriter::new(File::create(&path)?),
            Compression::new(6),
        );
        let n = RECORDS_PER_FILE.min(events - f * RECORDS_PER_FILE);
        let mut body = String::from("{\"Records\":[");
        for i in 0..n {
            if i > 0 {
                body.push(',');
            }
            let seq = (f * RECORDS_PER_FILE + i) as i64;
            let t = START + seq * SPAN_SECS / events as i64 + rng.below(60) as i64;
            record(&mut body, &mut rng, &actors, &actions, &ips, t);
            if bodies {
                with_bodies(&mut body, &mut rng);
            }
        }
        body.push_str("]}");
        raw_bytes += body.len() as u64;
        gz.write_all(body.as_bytes())?;
        gz.finish()?.flush()?;
    }
    println!(
        "generated {events} events in {files} files ({:.0} MB uncompressed) in {:.1} s",
        raw_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Replaces the last record's empty response with a list of resources, as `Describe*` and
/// `List*` calls answer, and adds filters to its request.
fn with_bodies(body: &mut String, rng: &mut Rng) {
    let Some(at) = body.rfind(r#""responseElements":null"#) else {
        return;
    };
    let items: Vec<String> = (0..3 + rng.below(10))
        .map(|i| {
            format!(
                r#"{{"instanceId":"i-{id}","imageId":"ami-{img}","state":{{"code":16,"name":"running"}},"privateDnsName":"ip-10-{a}-{b}-{c}.ec2.internal","instanceType":"m5.large","launchTime":"2024-04-{d:02}T10:00:00Z","placement":{{"availabilityZone":"us-east-1a","tenancy":"default"}},"subnetId":"subnet-{s}","vpcId":"vpc-{v}","tagSet":{{"items":[{{"key":"Name","value":"web-{i}"}},{{"key":"team","value":"platform-{t}"}}]}},"securityGroups":[{{"groupId":"sg-{g}","groupName":"default"}}],"blockDeviceMapping":[{{"deviceName":"/dev/xvda","ebs":{{"volumeId":"vol-{vol}","status":"attached","deleteOnTermination":true}}}}]}}"#,
                id = rng.hex(17),
                img = rng.hex(17),
                a = rng.below(255),
                b = rng.below(255),
                c = rng.below(255),
                d = 1 + rng.below(28),
                s = rng.hex(8),
                v = rng.hex(8),
                t = rng.below(9),
                g = rng.hex(17),
                vol = rng.hex(17),
            )
        })
        .collect();
    let response = format!(
        r#""responseElements":{{"requestId":"{}","reservationSet":{{"items":[{{"reservationId":"r-{}","ownerId":"123456789012","instancesSet":{{"items":[{}]}}}}]}}}}"#,
        rng.uuid(),
        rng.hex(17),
        items.join(",")
    );
    body.replace_range(at..at + r#""responseElements":null"#.len(), &response);
}

fn record(out: &mut String, rng: &mut Rng, actors: &Zipf, actions: &Zipf, ips: &Zipf, t: i64) {
    let actor = actors.sample(rng);
    let (mut action, source, mut read_only) = ACTIONS[actions.sample(rng)];
    let ip_rank = ips.sample(rng) as u32;
    // A trail is stopped or deleted a handful of times in a real account, not in 3% of its events:
    // most of those draws become CloudTrail reads, so verify on the bench case finds what a real
    // case would (a few dozen), while the random sequence, and every other count, stays the same.
    if source == "cloudtrail.amazonaws.com" && t % 1000 != 0 {
        action = "LookupEvents";
        read_only = true;
    }
    let ip = format!(
        "{}.{}.{}.{}",
        11 + (ip_rank >> 16) % 200,
        (ip_rank >> 8) & 255,
        ip_rank & 255,
        1 + ip_rank % 250
    );
    let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
    let agent = AGENTS[rng.below(AGENTS.len() as u64) as usize];
    let time = chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let identity = if actor.is_multiple_of(3) {
        format!(
            r#"{{"type":"AssumedRole","principalId":"AROA{k}:session-{actor}","arn":"arn:aws:sts::123456789012:assumed-role/deploy-role-{r}/session-{actor}","accountId":"123456789012","accessKeyId":"ASIA{k}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{k}","arn":"arn:aws:iam::123456789012:role/deploy-role-{r}","accountId":"123456789012","userName":"deploy-role-{r}"}},"attributes":{{"creationDate":"{time}","mfaAuthenticated":"false"}}}}}}"#,
            k = rng.hex(16).to_uppercase(),
            r = actor % 17,
        )
    } else {
        format!(
            r#"{{"type":"IAMUser","principalId":"AIDA{p:016X}","arn":"arn:aws:iam::123456789012:user/user-{actor}","accountId":"123456789012","accessKeyId":"AKIA{k}","userName":"user-{actor}"}}"#,
            p = actor,
            k = rng.hex(16).to_uppercase(),
        )
    };
    let failed = rng.below(100) < 6;
    let error = if failed {
        r#","errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation""#
    } else {
        ""
    };
    let params = format!(
        r#"{{"bucketName":"data-{b}","key":"reports/{y}/part-{p}.parquet","instanceId":"i-{i}"}}"#,
        b = rng.below(50),
        y = 2020 + rng.below(5),
        p = rng.below(10_000),
        i = rng.hex(17)
    );
    let request_id = rng.uuid();
    let event_id = rng.uuid();
    use std::fmt::Write as _;
    let _ = write!(
        out,
        r#"{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"{time}","eventSource":"{source}","eventName":"{action}","awsRegion":"{region}","sourceIPAddress":"{ip}","userAgent":"{agent}"{error},"requestParameters":{params},"responseElements":null,"requestID":"{request_id}","eventID":"{event_id}","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{host}"}}}}"#,
        host = source.replace(".amazonaws.com", &format!(".{region}.amazonaws.com")),
    );
}

fn run(data: &Path, case_dir: &Path, rules: &[PathBuf]) -> Result<()> {
    if case_dir.exists() {
        std::fs::remove_dir_all(case_dir)?;
    }
    let memory = std::env::var("SIGHTLINE_INDEX_MEMORY_MB")
        .ok()
        .and_then(|m| m.parse::<usize>().ok());
    let options = ImportOptions {
        index_memory: memory.map_or(ImportOptions::default().index_memory, |m| m << 20),
        measure_stages: true,
        ..ImportOptions::default()
    };
    println!("indexing memory: {} MB", options.index_memory >> 20);
    let without = detect::without_rules(data, case_dir, &options)?;
    let case = Case::open_or_create(case_dir, Arc::new(SystemClock))?;
    let sources = detect::sources(rules);
    detect::choose(&case, &sources)?;
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let cpu_before = cpu_seconds()?;
    // When a second reader of the case (as the window or another `sightline search` would be)
    // first finds the import's events, and how many checkpoints made events searchable.
    let first_seen: std::sync::Mutex<Option<(f64, u64)>> = std::sync::Mutex::new(None);
    let checkpoints = std::sync::atomic::AtomicU64::new(0);
    let last_searchable = std::sync::atomic::AtomicU64::new(0);
    let progress = |p: &sightline::api::ImportProgress| {
        if p.searchable > last_searchable.swap(p.searchable, std::sync::atomic::Ordering::Relaxed) {
            checkpoints.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let Ok(mut seen) = first_seen.lock() else {
            return;
        };
        if p.searchable == 0 || seen.is_some() {
            return;
        }
        let found = Case::open(case_dir, Arc::new(SystemClock))
            .and_then(|c| c.page(&sightline::api::SearchRequest::default()))
            .map_or(0, |r| r.total);
        *seen = Some((started.elapsed().as_secs_f64(), found));
    };
    let report = case.import(&[data.to_path_buf()], &options, &progress, &cancel)?;
    let secs = started.elapsed().as_secs_f64();
    detect::compare(
        &without,
        &detect::ImportCost {
            events_per_sec: report.events as f64 / secs,
            peak_mb: peak_rss_kb()? as f64 / 1024.0,
            stages: None,
        },
    );
    let cpu = cpu_seconds()? - cpu_before;
    let index_bytes = dir_size(&case_dir.join("index"))?;
    println!(
        "import: {} events, {} files, {:.1} s",
        report.events, report.files_imported, secs
    );
    println!(
        "  {:.0} events/s, {:.1} MB/s uncompressed ({:.0} MB)",
        report.events as f64 / secs,
        report.bytes as f64 / 1e6 / secs,
        report.bytes as f64 / 1e6
    );
    if let Ok(Some((at, found))) = first_seen.into_inner() {
        println!(
            "  first events searchable by another reader {at:.1} s after the import began ({found} events; {} checkpoints)",
            checkpoints.into_inner()
        );
    }
    println!(
        "  CPU {:.1} s on {} cores ({:.0} us/event)",
        cpu,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu * 1e6 / report.events.max(1) as f64
    );
    if let Some(stages) = &report.stages {
        print_stages(stages);
    }
    println!(
        "  index: {:.0} MB, {:.0} bytes/event (raw records kept)",
        index_bytes as f64 / 1e6,
        index_bytes as f64 / report.events.max(1) as f64
    );
    print_space_usage(&case)?;
    queries(&case)?;
    detect::rerun_and_profile(&case, &sources)?;
    println!("peak RSS: {:.0} MB", peak_rss_kb()? as f64 / 1024.0);
    Ok(())
}

/// CPU per event by stage, the import's own measure.
pub fn print_stages(stages: &sightline::api::StageCpu) {
    println!("  CPU by stage ({:.1} us/event in all):", stages.total);
    for (name, us) in &stages.stages {
        println!(
            "    {name:<52} {us:>6.1} us/event  {:>4.0}%",
            us * 100.0 / stages.total.max(f64::MIN_POSITIVE)
        );
    }
}

/// Query latencies on an imported case; the window's searches ask for the same facets,
/// histogram and first page as these requests.
fn queries(case: &Case) -> Result<()> {
    let stats = case.stats()?;
    let from = stats
        .time_from
        .as_deref()
        .map(sightline::api::parse_time)
        .transpose()?
        .unwrap_or(0);
    let day = 86_400_000_000_000i64;
    let (request_id, newest_id) = newest(case)?;
    let queries: Vec<(&str, SearchRequest)> = vec![
        (
            "actor term",
            SearchRequest {
                query: "actor:user-1".into(),
                ..SearchRequest::default()
            },
        ),
        (
            "full-text word",
            SearchRequest {
                query: "AccessDenied".into(),
                ..SearchRequest::default()
            },
        ),
        (
            "time range + term",
            SearchRequest {
                query: "action:GetObject".into(),
                from: Some(from + 3 * day),
                to: Some(from + 5 * day),
                ..SearchRequest::default()
            },
        ),
        (
            "facets (all events)",
            SearchRequest {
                limit: 0,
                ..SearchRequest::default()
            },
        ),
        ("histogram + page (all)", SearchRequest::default()),
        // What a person does first with a busy case: leave its most common action out.
        (
            "all but one action",
            SearchRequest {
                query: "-action:GetObject".into(),
                ..SearchRequest::default()
            },
        ),
        (
            "original field",
            SearchRequest {
                query: "requestParameters.bucketName:data-7".into(),
                ..SearchRequest::default()
            },
        ),
        (
            "wildcard word",
            SearchRequest {
                query: "Access*".into(),
                ..SearchRequest::default()
            },
        ),
        (
            "request id lookup",
            SearchRequest {
                query: format!("request:{request_id}"),
                ..SearchRequest::default()
            },
        ),
        (
            "deep page (offset 500k)",
            SearchRequest {
                offset: 500_000,
                limit: 100,
                ..SearchRequest::default()
            },
        ),
        // What scrolling loads: rows only, in the middle and near the end of the table.
        (
            "scrolled page (500k)",
            SearchRequest {
                offset: 500_000,
                limit: 100,
                facet_limit: 0,
                histogram_buckets: 0,
                ..SearchRequest::default()
            },
        ),
        (
            "scrolled page (900k)",
            SearchRequest {
                offset: 900_000,
                limit: 100,
                facet_limit: 0,
                histogram_buckets: 0,
                ..SearchRequest::default()
            },
        ),
    ];
    println!("queries (20 runs each, after a first one, timed apart: the whole case's counts are made once per index state):");
    for (name, request) in &queries {
        let t = Instant::now();
        let first = case.search(request)?;
        let first_ms = t.elapsed().as_secs_f64() * 1000.0;
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            case.search(request)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "  {name:<24} {:>8} hits  p50 {:>7.1} ms  p95 {:>7.1} ms  (first {first_ms:.1} ms)",
            first.total,
            p(0.5),
            p(0.95)
        );
    }
    jumps(case, newest_id)
}

/// The newest event's request id (what the lookups look for) and its own id.
fn newest(case: &Case) -> Result<(String, Option<String>)> {
    let page = case.page(&SearchRequest {
        limit: 1,
        facet_limit: 0,
        histogram_buckets: 0,
        ..SearchRequest::default()
    })?;
    let first = page.events.first();
    Ok((
        first.and_then(|e| e.request.clone()).unwrap_or_default(),
        first.map(|e| e.id.clone()),
    ))
}

/// Drops the page cache (root only) before each of: a 1-hit request id lookup, the first
/// whole-case search (facets, histogram, first page) and a page jumped to mid-table, on a case
/// already open, as the window meets them the day after the case was built.
fn cold(case: &Case) -> Result<()> {
    let drop_caches = || -> Result<()> {
        std::process::Command::new("sync").status()?;
        std::fs::write("/proc/sys/vm/drop_caches", "3")
            .context("dropping the page cache needs root (echo 3 > /proc/sys/vm/drop_caches)")
    };
    let (request_id, _) = newest(case)?;
    let total = case.stats()?.events;
    let lookup = SearchRequest {
        query: format!("request:{request_id}"),
        ..SearchRequest::default()
    };
    // Opening is not cold-cache work: a case's first search loads its detection labels (once
    // per process), which this measures first, apart.
    let t = Instant::now();
    case.page(&lookup)?;
    println!(
        "first search after opening (loads the detection labels): {:.1} ms (warm page cache)",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let runs: Vec<(&str, SearchRequest)> = vec![
        ("request id lookup", lookup.clone()),
        ("whole-case search", SearchRequest::default()),
        (
            "jumped page (middle)",
            SearchRequest {
                offset: (total / 2) as usize,
                limit: 100,
                facet_limit: 0,
                histogram_buckets: 0,
                ..SearchRequest::default()
            },
        ),
    ];
    println!("cold page cache (dropped before each):");
    for (name, request) in runs {
        drop_caches()?;
        let t = Instant::now();
        let result = case.page(&request)?;
        println!(
            "  {name:<24} {:>8} hits  {:>7.1} ms",
            result.total,
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

/// Pages jumped to at 20 different offsets (what dragging the scroll bar asks, rows only), over
/// the whole case and over most of it (`-action:GetObject`: a term to leave out, as a person
/// narrows), and one event opened by its id: no run repeats an earlier one's request.
fn jumps(case: &Case, id: Option<String>) -> Result<()> {
    let p = |times: &[f64], q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    for query in ["", "-action:GetObject"] {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut times = Vec::new();
        let request = SearchRequest {
            query: query.into(),
            limit: 100,
            facet_limit: 0,
            histogram_buckets: 0,
            ..SearchRequest::default()
        };
        let total = case
            .page(&SearchRequest {
                limit: 0,
                ..request.clone()
            })?
            .total;
        for _ in 0..20 {
            let offset = 10_000 + rng.below(total.saturating_sub(10_100).max(1)) as usize;
            let t = Instant::now();
            let page = case.page(&SearchRequest {
                offset,
                ..request.clone()
            })?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                page.events.len() == 100,
                "a page at {offset} has {} rows",
                page.events.len()
            );
        }
        let first = times[0];
        times.sort_by(f64::total_cmp);
        let name = format!(
            "jumped pages ({})",
            if query.is_empty() { "all" } else { query }
        );
        println!(
            "  {name:<24} {total:>8} hits  p50 {:>7.1} ms  p95 {:>7.1} ms  (first {first:.1} ms)",
            p(&times, 0.5),
            p(&times, 0.95)
        );
    }
    if let Some(id) = id {
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            case.event(&id)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {:<24} {:>8}       p50 {:>7.1} ms  p95 {:>7.1} ms",
            "event by id",
            "",
            p(&times, 0.5),
            p(&times, 0.95)
        );
    }
    Ok(())
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn peak_rss_kb() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmHWM value")?
        .parse()?)
}

/// Index bytes per event by component and field, to see where the budget goes.
fn print_space_usage(case: &Case) -> Result<()> {
    let usage = case.space_usage()?;
    let docs: u64 = usage
        .segments()
        .iter()
        .map(|s| s.num_docs() as u64)
        .sum::<u64>()
        .max(1);
    let mut rows: Vec<(String, u64)> = Vec::new();
    for seg in usage.segments() {
        let parts = [
            ("terms", seg.termdict()),
            ("postings", seg.postings()),
            ("positions", seg.positions()),
            ("fast", seg.fast_fields()),
        ];
        for (kind, per_field) in parts {
            for f in per_field.fields() {
                let key = format!("{kind}:{}", f.field_name());
                match rows.iter_mut().find(|(k, _)| *k == key) {
                    Some(r) => r.1 += f.total().get_bytes(),
                    None => rows.push((key, f.total().get_bytes())),
                }
            }
        }
        let store = seg.store().total().get_bytes();
        match rows.iter_mut().find(|(k, _)| k == "store") {
            Some(r) => r.1 += store,
            None => rows.push(("store".to_string(), store)),
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    let line: Vec<String> = rows
        .iter()
        .take(12)
        .map(|(k, b)| format!("{k} {:.0}", *b as f64 / docs as f64))
        .collect();
    println!("  bytes/event by part: {}", line.join(", "));
    Ok(())
}

/// User plus system CPU time of this process so far, from /proc/self/stat.
fn cpu_seconds() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let after_name = stat
        .rsplit_once(") ")
        .context("malformed /proc/self/stat")?
        .1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11).context("utime")?.parse::<f64>()?
        + fields.get(12).context("stime")?.parse::<f64>()?;
    Ok(ticks / 100.0)
}

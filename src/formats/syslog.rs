//! Linux auth.log / secure / syslog text: BSD lines (`Nov  2 12:00:01 host sshd[1]: …`, no year),
//! ISO-stamped lines (rsyslog high precision) and RFC 5424. Authentication messages of sshd,
//! dropbear, PAM, sudo and su become logins with actor, source IP and outcome.
//!
//! The year of BSD lines is inferred by one documented rule (docs/formats.md): the first line
//! takes the year of the file's modification time (or of the import when the file has none, as
//! for archive members), minus one when its month is later than that time's month; every
//! December → January step in the file adds a year. `--year` overrides the first line's year.
//! The years chosen are stored with the file, so events rebuild the same way later.

use std::sync::{LazyLock, Mutex};

use chrono::{TimeZone, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::value::{ip, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{AuditEvent, Category, Identity, Outcome};

pub struct Syslog;

static BSD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>\d{1,2}) (?P<clock>\d{2}:\d{2}:\d{2})(?:\.\d+)? (?P<rest>.*)$").expect("valid regex")
});
static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) (?P<rest>.*)$").expect("valid regex")
});
static RFC5424: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^<\d{1,3}>\d{1,2} (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) (?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(?P<msg>.*)$").expect("valid regex")
});
/// `host program[pid]: message` or `program[pid]: message` (some lines lack the host).
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?P<host>[^\s\[\]:]+) )?(?P<prog>[^\s\[\]:]+(?:\([^)]*\))?)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$").expect("valid regex")
});

/// `program[pid]: message` with no time at all (journal lines printed without their stamp):
/// the pid is required, so that ordinary text with a colon is not taken for a log line.
static UNSTAMPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<prog>[A-Za-z0-9_.\-/]+(?:\([^)]*\))?)\[(?P<pid>\d+)\]: ?(?P<msg>.*)$")
        .expect("valid regex")
});

impl Format for Syslog {
    fn name(&self) -> &'static str {
        "syslog"
    }

    fn reads_lines(&self) -> bool {
        true
    }

    fn detect(&self, _sample: &Sample) -> u8 {
        0
    }

    fn detect_text(&self, head: &[u8]) -> u8 {
        if super::most_lines(head, |l| parse(l).get("program").is_some()) {
            80
        } else {
            0
        }
    }

    fn parse_line(&self, bytes: &[u8]) -> Result<Value, String> {
        Ok(parse(&String::from_utf8_lossy(bytes)))
    }

    fn normalizer(&self, _sample: &Sample, options: &FormatOptions) -> Box<dyn Normalize> {
        let state = options
            .state
            .as_ref()
            .and_then(|s| serde_json::from_value::<Years>(s.clone()).ok());
        let learning = state.is_none();
        let reference_year = options
            .reference_nanos
            .map(|n| chrono::Datelike::year(&Utc.timestamp_nanos(n)));
        let years = state.unwrap_or(Years {
            first: options.year.or(reference_year).unwrap_or(1970),
            // A year the user chose is taken as it is; an inferred one stays before the reference.
            reference: options
                .year
                .is_none()
                .then_some(options.reference_nanos)
                .flatten(),
            month_hint: None,
            rollovers: Vec::new(),
            last_month: None,
        });
        Box::new(SyslogNormalizer {
            years: Mutex::new(years),
            learning,
        })
    }
}

/// How BSD lines of one file got their years.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Years {
    /// Year of the first BSD line (before the first-month adjustment when `month_hint` is set).
    first: i32,
    /// Month of the reference time (cases made before `reference`); the first line's year
    /// drops by one when its month is later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    month_hint: Option<u32>,
    /// When the file was last written: the first line's year drops by one when the line would
    /// otherwise be later than that.
    #[serde(default, skip)]
    reference: Option<i64>,
    /// Ordinals of the records where the year went up by one.
    rollovers: Vec<u64>,
    #[serde(skip)]
    last_month: Option<u32>,
}

struct SyslogNormalizer {
    years: Mutex<Years>,
    /// At import the rule runs forward over the file; later the stored years are replayed.
    learning: bool,
}

impl SyslogNormalizer {
    /// The year of the record at `ordinal`, written in `month`; `at(year)` is its time in a
    /// given year, which the first line's year is checked with.
    fn year_of(&self, ordinal: u64, month: u32, at: impl Fn(i32) -> Option<i64>) -> i32 {
        let Ok(mut y) = self.years.lock() else {
            return 1970;
        };
        if self.learning {
            match y.last_month {
                None => {
                    let later_month = y.month_hint.is_some_and(|hint| month > hint);
                    // A day of slack: BSD times are local, read as UTC.
                    let later_time = match (y.reference, at(y.first)) {
                        (Some(r), Some(t)) => t > r.saturating_add(86_400_000_000_000),
                        _ => false,
                    };
                    if later_month || later_time {
                        y.first -= 1;
                    }
                    y.month_hint = None;
                }
                Some(last) if last >= 10 && month <= 3 => y.rollovers.push(ordinal),
                Some(_) => {}
            }
            y.last_month = Some(month);
        }
        y.first + y.rollovers.iter().filter(|o| **o <= ordinal).count() as i32
    }
}

impl Normalize for SyslogNormalizer {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        e.time.original = text(r, "timestamp");
        if let (Some(month), Some(day), Some(clock)) = (
            r.get("month").and_then(Value::as_u64),
            r.get("day").and_then(Value::as_u64),
            text(r, "clock"),
        ) {
            let at = |year: i32| {
                crate::time::parse_text(&format!("{year:04}-{month:02}-{day:02}T{clock}"))
                    .map(|t| t.utc_nanos)
            };
            let year = self.year_of(e.provenance.ordinal, month as u32, at);
            let stamp = format!("{year:04}-{month:02}-{day:02}T{clock}");
            if let Some(t) = crate::time::parse_text(&stamp) {
                e.time.utc_nanos = Some(t.utc_nanos);
                e.flags.push("year_inferred".to_string());
                e.flags.push("time_zone_assumed_utc".to_string());
            }
        } else if let Some(t) = e.time.original.as_deref().and_then(crate::time::parse_text) {
            e.time.utc_nanos = Some(t.utc_nanos);
        }
        e.host = text(r, "host");
        let program = text(r, "program").unwrap_or_default();
        let message = text(r, "message").unwrap_or_default();
        e.service = Some(program.split('(').next().unwrap_or(&program).to_string())
            .filter(|s| !s.is_empty());
        e.action = program.clone();
        e.category = Category::System;
        interpret(&program, &message, e);
        e.class_uid = e.category.ocsf_class_uid();
        e.message = message;
    }

    fn state(&self) -> Option<Value> {
        let y = self.years.lock().ok()?;
        serde_json::to_value(&*y).ok()
    }
}

/// Splits a line into its parts. Lines in no known layout keep their text as the message.
pub fn parse(line: &str) -> Value {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut out = json!({});
    let rest = if let Some(c) = RFC5424.captures(line) {
        out["timestamp"] = json!(&c["ts"]);
        out["host"] = json!(&c["host"]);
        out["program"] = json!(&c["app"]);
        if &c["pid"] != "-" {
            out["pid"] = json!(&c["pid"]);
        }
        out["message"] = json!(&c["msg"]);
        return out;
    } else if let Some(c) = BSD.captures(line) {
        let month = MONTHS.iter().position(|m| *m == &c["mon"]).unwrap_or(0) as u64 + 1;
        out["timestamp"] = json!(format!("{} {} {}", &c["mon"], &c["day"], &c["clock"]));
        out["month"] = json!(month);
        out["day"] = json!(c["day"].parse::<u64>().unwrap_or(1));
        out["clock"] = json!(&c["clock"]);
        c.name("rest").map_or("", |m| m.as_str()).to_string()
    } else if let Some(c) = ISO.captures(line) {
        out["timestamp"] = json!(&c["ts"]);
        c.name("rest").map_or("", |m| m.as_str()).to_string()
    } else if let Some(c) = UNSTAMPED.captures(line) {
        out["program"] = json!(&c["prog"]);
        out["pid"] = json!(&c["pid"]);
        out["message"] = json!(&c["msg"]);
        return out;
    } else {
        out["message"] = json!(line);
        return out;
    };
    match TAG.captures(&rest) {
        Some(c) => {
            if let Some(h) = c.name("host") {
                out["host"] = json!(h.as_str());
            }
            out["program"] = json!(&c["prog"]);
            if let Some(p) = c.name("pid") {
                out["pid"] = json!(p.as_str());
            }
            out["message"] = json!(&c["msg"]);
        }
        None => out["message"] = json!(rest),
    }
    out
}

struct Rule {
    pattern: Regex,
    action: &'static str,
    outcome: Outcome,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |p: &str, action, outcome| Rule {
        pattern: Regex::new(p).expect("valid regex"),
        action,
        outcome,
    };
    vec![
        rule(
            r"^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>\S+)",
            "login",
            Outcome::Success,
        ),
        rule(
            r"^Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) from (?P<ip>\S+)",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"^Invalid user (?P<user>.*?) from (?P<ip>\S+)",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"^User (?P<user>\S+) from (?P<ip>\S+) not allowed",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"^Disconnecting invalid user (?P<user>\S+) (?P<ip>\S+)",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"(?i)bad password attempt for '(?P<user>[^']*)' from (?P<ip>\S+)",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"(?i)login attempt for nonexistent user from (?P<ip>\S+)",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"(?i)exit before auth from <(?P<ip>[^>]+)>.*user '(?P<user>[^']*)'",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"(?i)exit before auth \(user '(?P<user>[^']*)'.*from (?P<ip>\S+)",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"(?i)password auth succeeded for '(?P<user>[^']*)' from (?P<ip>\S+)",
            "login",
            Outcome::Success,
        ),
        rule(
            r"authentication failure;.*?(?:rhost=(?P<ip>\S+))?\s*(?:user=(?P<user>\S+))?\s*$",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"(?i)authentication error for (?:illegal user )?(?P<user>\S+)(?: from (?P<ip>\S+))?",
            "login",
            Outcome::Failure,
        ),
        rule(
            r"session opened for user (?P<user>[^\s(]+)",
            "session_open",
            Outcome::Success,
        ),
        rule(
            r"session closed for user (?P<user>[^\s(]+)",
            "session_close",
            Outcome::Success,
        ),
        rule(
            r"^\s*(?P<user>\S+) : .*COMMAND=(?P<target>.*)$",
            "sudo",
            Outcome::Success,
        ),
        rule(
            r"^Successful su for (?P<target>\S+) by (?P<user>\S+)",
            "su",
            Outcome::Success,
        ),
        rule(
            r"^FAILED su for (?P<target>\S+) by (?P<user>\S+)",
            "su",
            Outcome::Failure,
        ),
        rule(
            r"^(?:Connection closed|Disconnected|Received disconnect) (?:by|from) (?:(?:invalid |authenticating )?user (?P<user>\S+) )?(?P<ip>[0-9a-fA-F:.]+)",
            "disconnect",
            Outcome::Unknown,
        ),
        rule(
            r"^Connection from (?P<ip>\S+) port",
            "connect",
            Outcome::Unknown,
        ),
        rule(
            r"(?i)(?:unable to negotiate|did not receive identification string|banner exchange).*?(?:from |with )(?P<ip>[0-9a-fA-F:.]+)",
            "connect",
            Outcome::Failure,
        ),
    ]
});

/// Reads what an authentication message says into the event; other messages are left alone.
pub fn interpret(program: &str, message: &str, e: &mut AuditEvent) {
    let msg = message
        .trim_start_matches(|c: char| c == '[' || c.is_ascii_digit() || c == ']' || c == ' ');
    // dropbear repeats its own stamp: `[825] Jul 10 23:53:52 Bad password…`.
    let msg = BSD
        .captures(msg)
        .and_then(|c| c.name("rest").map(|m| m.as_str()))
        .unwrap_or(msg);
    let msg = msg
        .trim_start_matches("error: ")
        .trim_start_matches("fatal: ");
    let auth_program = [
        "sshd",
        "dropbear",
        "sudo",
        "su",
        "login",
        "pam",
        "vsftpd",
        "proftpd",
        "pure-ftpd",
        "daemon",
        "pop",
        "imap",
        "gdm",
        "systemd-logind",
        "cron",
        "CRON",
        "passwd",
        "useradd",
        "usermod",
        "groupadd",
    ]
    .iter()
    .any(|p| program.starts_with(p))
        || msg.contains("pam_unix");
    if !auth_program {
        return;
    }
    for rule in RULES.iter() {
        let Some(c) = rule.pattern.captures(msg) else {
            continue;
        };
        e.action = rule.action.to_string();
        e.outcome = rule.outcome;
        e.category = match rule.action {
            "sudo" | "su" => Category::PermissionChange,
            _ => Category::Authentication,
        };
        if let Some(user) = c
            .name("user")
            .map(|m| m.as_str().trim_matches('\''))
            .filter(|u| !u.is_empty())
        {
            e.actor.identity = Identity {
                id: None,
                name: Some(user.to_string()),
                kind: Some("user".to_string()),
            };
        }
        if let Some(addr) = c
            .name("ip")
            .map(|m| m.as_str().trim_start_matches("::ffff:"))
        {
            e.source_ip = ip(addr).or_else(|| {
                ip(addr
                    .trim_start_matches("::ffff:")
                    .rsplit_once(':')
                    .map_or(addr, |(h, _)| h))
            });
        }
        if let Some(target) = c.name("target") {
            e.target = Some(Identity {
                id: None,
                name: Some(target.as_str().trim().to_string()),
                kind: None,
            });
        }
        return;
    }
    if program.starts_with("useradd")
        || program.starts_with("usermod")
        || program.starts_with("passwd")
        || program.starts_with("groupadd")
    {
        e.category = Category::AccountChange;
    }
}

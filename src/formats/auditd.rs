//! Linux auditd logs (`/var/log/audit/audit.log`): the `type=` lines of one event share
//! `msg=audit(<epoch>.<ms>:<serial>)` and are read as one record. Hex-encoded values are
//! decoded, `auid`/`uid`/`acct` become actor and target, `res`/`success` the outcome, and x86-64
//! syscall numbers their names.

use serde_json::{json, Map, Value};

use super::value::{ip, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};

pub struct Auditd;

/// The `msg=audit(…)` stamp of a line: the group key of [`crate::record::LineFramer`].
pub fn stamp(line: &[u8]) -> Option<&[u8]> {
    let start = memchr::memmem::find(line, b"msg=audit(")? + 10;
    let len = memchr::memchr(b')', &line[start..])?;
    Some(&line[start..start + len])
}

impl Format for Auditd {
    fn name(&self) -> &'static str {
        "auditd"
    }

    fn reads_lines(&self) -> bool {
        true
    }

    fn group_key(&self) -> Option<crate::record::GroupKey> {
        Some(stamp)
    }

    /// auditd records carried in JSON: Log Analytics `Syslog` rows and JSON syslog lines whose
    /// message is an audit record (as audispd forwards them).
    fn detect(&self, sample: &Sample) -> u8 {
        match sample.first {
            Some(r) if sample.shape == crate::record::Shape::Json && wrapped_lines(r).is_some() => {
                93
            }
            _ => 0,
        }
    }

    fn detect_text(&self, head: &[u8]) -> u8 {
        let audit_line = |l: &str| {
            (l.starts_with("type=") || l.starts_with("node=")) && stamp(l.as_bytes()).is_some()
        };
        if super::most_lines(head, audit_line) {
            95
        } else {
            0
        }
    }

    fn parse_line(&self, bytes: &[u8]) -> Result<Value, String> {
        let text = String::from_utf8_lossy(bytes);
        let mut records = Vec::new();
        let mut head: Option<(String, String)> = None;
        for line in text.lines() {
            let (fields, stamp) = parse_fields(line);
            if head.is_none() {
                head = stamp;
            }
            records.push(Value::Object(fields));
        }
        let (time, serial) = head.unwrap_or_default();
        Ok(json!({ "timestamp": time, "serial": serial, "records": records }))
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Auditd)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("serial", "id")]
    }
}

/// Fields whose values auditd writes in hex when they hold spaces or special characters.
const HEX_FIELDS: [&str; 12] = [
    "acct",
    "exe",
    "cwd",
    "name",
    "proctitle",
    "comm",
    "cmd",
    "path",
    "data",
    "old",
    "new",
    "key",
];

/// `key=value` pairs of one line (quoted values unquoted, hex values decoded); also the
/// `(time, serial)` of its stamp. The `msg='…'` of user-space records is read into the fields.
fn parse_fields(line: &str) -> (Map<String, Value>, Option<(String, String)>) {
    // ausearch -i separates interpreted values after a group separator.
    let line = line.split('\u{1d}').next().unwrap_or(line);
    let mut fields = Map::new();
    let mut stamp_parts = None;
    let mut rest = line;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().trim_end_matches(':').to_string();
        let after = &rest[eq + 1..];
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            (q[..end].to_string(), q.get(end + 1..).unwrap_or(""))
        } else if let Some(q) = after.strip_prefix('\'') {
            let end = q.find('\'').unwrap_or(q.len());
            // User-space records nest their own fields in msg='…'.
            let (inner, _) = parse_fields(&q[..end]);
            fields.extend(inner);
            rest = q.get(end + 1..).unwrap_or("");
            continue;
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            let raw = &after[..end];
            // EXECVE writes an argument in hex when it holds spaces, quotes or newlines.
            let execve_arg = key.len() > 1
                && key.starts_with('a')
                && key[1..].bytes().all(|b| b.is_ascii_digit())
                && fields.get("type").and_then(Value::as_str) == Some("EXECVE");
            let decoded = if HEX_FIELDS.contains(&key.as_str()) || execve_arg {
                hex(raw)
            } else {
                None
            };
            (decoded.unwrap_or_else(|| raw.to_string()), &after[end..])
        };
        if key == "msg" && value.starts_with("audit(") {
            let inner = value
                .trim_start_matches("audit(")
                .trim_end_matches(':')
                .trim_end_matches(')');
            if let Some((t, s)) = inner.split_once(':') {
                stamp_parts = Some((t.to_string(), s.to_string()));
            }
        } else if !key.is_empty() && !key.contains(' ') {
            fields.insert(key, Value::String(value));
        }
        rest = tail;
    }
    (fields, stamp_parts)
}

/// `1364481363.243` (seconds and milliseconds, as auditd writes them) without float rounding.
fn epoch_millis(t: &str) -> Option<crate::time::ParsedTime> {
    let (secs, frac) = t.split_once('.').unwrap_or((t, "0"));
    let secs: i64 = secs.parse().ok()?;
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    let nanos = secs
        .checked_mul(1_000_000_000)?
        .checked_add(frac.parse::<i64>().ok()?)?;
    Some(crate::time::ParsedTime {
        utc_nanos: nanos,
        zone_assumed: false,
    })
}

/// Unquoted values of hex-capable fields are hex; a value cut short by a line limit keeps its
/// whole bytes.
fn hex(s: &str) -> Option<String> {
    if s.len() < 2
        || !s.bytes().all(|b| b.is_ascii_hexdigit())
        || s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let even = &s[..s.len() - s.len() % 2];
    let bytes: Vec<u8> = (0..even.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&even[i..i + 2], 16).ok())
        .collect();
    // proctitle separates arguments with NUL.
    Some(String::from_utf8_lossy(&bytes).replace('\0', " "))
}

fn syscall_name(arch: &str, number: &str) -> Option<&'static str> {
    if arch != "c000003e" {
        return None;
    }
    Some(match number {
        "0" => "read",
        "1" => "write",
        "2" => "open",
        "4" => "stat",
        "9" => "mmap",
        "41" => "socket",
        "42" => "connect",
        "43" => "accept",
        "49" => "bind",
        "56" => "clone",
        "57" => "fork",
        "59" => "execve",
        "62" => "kill",
        "82" => "rename",
        "84" => "rmdir",
        "87" => "unlink",
        "90" => "chmod",
        "92" => "chown",
        "101" => "ptrace",
        "105" => "setuid",
        "106" => "setgid",
        "165" => "mount",
        "175" => "init_module",
        "257" => "openat",
        "263" => "unlinkat",
        "268" => "fchmodat",
        "288" => "accept4",
        "313" => "finit_module",
        "322" => "execveat",
        _ => return None,
    })
}

const UNSET: &str = "4294967295";

/// Where JSON wrappers keep an audit record's text.
const MESSAGE_KEYS: [&str; 5] = ["SyslogMessage", "message", "Message", "MESSAGE", "log"];

/// The text of the auditd line a JSON record carries in its message, if it carries one.
fn wrapped_lines(r: &Value) -> Option<String> {
    MESSAGE_KEYS
        .iter()
        .filter_map(|k| text(r, k))
        .find(|m| stamp(m.as_bytes()).is_some())
}

impl Normalize for Auditd {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        // A wrapped record is read as the lines it carries; the wrapper's host names the node
        // when the lines do not.
        if r.get("timestamp").is_none() {
            if let Some(lines) = wrapped_lines(r) {
                let inner = self.parse_line(lines.as_bytes()).unwrap_or(Value::Null);
                self.normalize(&inner, e);
                if e.host.is_none() {
                    e.host =
                        super::value::first_text(r, &["Computer", "Hostname", "host", "hostname"]);
                }
                return;
            }
        }
        let time = text(r, "timestamp");
        e.time.original = time.clone();
        if let Some(t) = time.as_deref().and_then(epoch_millis) {
            e.time.utc_nanos = Some(t.utc_nanos);
        }
        e.native_id = text(r, "serial");
        let records: Vec<&Map<String, Value>> = r
            .get("records")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default();
        let field = |k: &str| {
            records
                .iter()
                .find_map(|m| m.get(k).and_then(Value::as_str))
                .filter(|v| !v.is_empty() && *v != "?" && *v != "(null)")
                .map(str::to_string)
        };
        let kind = field("type").unwrap_or_default();
        let syscall = field("syscall");
        e.action = match (&syscall, field("arch")) {
            (Some(n), Some(arch)) if kind == "SYSCALL" => {
                syscall_name(&arch, n).map_or_else(|| format!("syscall {n}"), str::to_string)
            }
            _ => kind.clone(),
        };
        e.code = (!kind.is_empty()).then(|| kind.clone());
        e.service = Some("auditd".to_string());
        e.host = field("node");
        e.session_id = field("ses").filter(|s| s != UNSET);
        let auid = field("auid").filter(|a| a != UNSET);
        let uid = field("uid");
        let acct = field("acct");
        e.actor = Actor {
            identity: Identity {
                id: auid
                    .as_ref()
                    .map(|a| format!("auid:{a}"))
                    .or_else(|| uid.as_ref().map(|u| format!("uid:{u}"))),
                name: acct
                    .clone()
                    .filter(|_| auid.is_none() && kind.starts_with("USER_")),
                kind: Some(
                    if auid.is_some() {
                        "login_user"
                    } else {
                        "process_user"
                    }
                    .to_string(),
                ),
            },
            effective: match (&auid, &uid) {
                (Some(a), Some(u)) if a != u => Some(Identity {
                    id: Some(format!("uid:{u}")),
                    name: None,
                    kind: Some("effective_user".to_string()),
                }),
                _ => None,
            },
            invoked_by: field("exe").or_else(|| field("comm")),
        };
        e.source_ip = field("addr").as_deref().and_then(ip);
        let path = records
            .iter()
            .filter(|m| m.get("type").and_then(Value::as_str) == Some("PATH"))
            .find_map(|m| m.get("name").and_then(Value::as_str))
            .map(str::to_string);
        e.target = if kind == "SYSCALL" {
            path.clone().or_else(|| field("exe")).map(|p| Identity {
                id: None,
                name: Some(p),
                kind: Some("file".to_string()),
            })
        } else {
            acct.clone().or_else(|| field("id")).map(|a| Identity {
                id: None,
                name: Some(a),
                kind: Some("account".to_string()),
            })
        };
        e.outcome = match (field("res").as_deref(), field("success").as_deref()) {
            (Some("success" | "1" | "yes"), _) | (_, Some("yes")) => Outcome::Success,
            (Some("failed" | "0" | "no"), _) | (_, Some("no")) => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        if e.outcome == Outcome::Failure {
            e.error_code = field("exit");
        }
        e.category = match kind.as_str() {
            "USER_AUTH" | "USER_LOGIN" | "USER_LOGOUT" | "USER_START" | "USER_END"
            | "USER_ACCT" | "CRED_ACQ" | "CRED_DISP" | "CRED_REFR" | "USER_ERR" | "LOGIN" => {
                Category::Authentication
            }
            "ADD_USER" | "DEL_USER" | "ADD_GROUP" | "DEL_GROUP" | "USER_CHAUTHTOK"
            | "USER_MGMT" | "GRP_MGMT" | "ACCT_LOCK" | "ACCT_UNLOCK" => Category::AccountChange,
            "USER_ROLE_CHANGE" | "ROLE_ASSIGN" | "ROLE_REMOVE" | "GRP_CHAUTHTOK" => {
                Category::PermissionChange
            }
            "CONFIG_CHANGE" | "DAEMON_CONFIG" | "MAC_POLICY_LOAD" | "MAC_STATUS"
            | "USYS_CONFIG" => Category::ConfigurationChange,
            "SYSCALL" if matches!(e.action.as_str(), "open" | "openat") => Category::DataAccess,
            _ => Category::System,
        };
        e.class_uid = e.category.ocsf_class_uid();
        let op = field("op");
        let command = records
            .iter()
            .find(|m| m.get("type").and_then(Value::as_str) == Some("EXECVE"))
            .map(|m| {
                (0..64)
                    .map_while(|i| m.get(&format!("a{i}")).and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
        e.message = [
            Some(kind),
            op,
            command.or_else(|| field("proctitle")),
            field("exe"),
            field("res").map(|r| format!("res={r}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    }
}

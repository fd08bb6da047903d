//! Windows event logs: the event IDs investigators live on, mapped the same way whether the
//! events come from EVTX files (rendered to JSON by the `evtx` crate) or from JSON-lines exports
//! (Winlogbeat, NXLog, OTRF/Mordor, Log Analytics `SecurityEvent`).

use serde_json::{Map, Value};

use super::value::{decoded, fill_time, first_text, get, ip, scalar_text};
use super::windows_ids::{failure_reason, logon_type, meaning};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;

/// One Windows event, whatever carried it.
pub struct WinEvent<'a> {
    pub id: u32,
    pub channel: Option<String>,
    pub provider: Option<String>,
    pub computer: Option<String>,
    pub record_id: Option<String>,
    /// EventData (and UserData) fields by name.
    pub data: &'a Map<String, Value>,
}

impl WinEvent<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.data
            .get(name)
            .and_then(scalar_text)
            .filter(|v| v != "-" && !v.is_empty())
    }

    /// `DOMAIN\user` from a `…UserName`/`…DomainName` pair.
    fn account(&self, prefix: &str) -> Option<Identity> {
        let name = self
            .get(&format!("{prefix}UserName"))
            .or_else(|| self.get(&format!("{prefix}AccountName")))?;
        let domain = self
            .get(&format!("{prefix}DomainName"))
            .or_else(|| self.get(&format!("{prefix}AccountDomain")));
        Some(Identity {
            id: self
                .get(&format!("{prefix}UserSid"))
                .or_else(|| self.get(&format!("{prefix}Sid"))),
            name: Some(match domain {
                Some(d) if !name.contains('\\') && !name.contains('@') => format!("{d}\\{name}"),
                _ => name,
            }),
            kind: Some("account".to_string()),
        })
    }
}

/// Event ids whose account fields name who logged on (the target), not who reported it.
const LOGON_IDS: [u32; 11] = [
    4624, 4625, 4634, 4647, 4648, 4672, 4768, 4769, 4771, 4776, 1149,
];

fn named(name: String, kind: &str) -> Identity {
    Identity {
        id: None,
        name: Some(name),
        kind: Some(kind.to_string()),
    }
}

/// Fills the event from a Windows event. Time is set by the caller.
pub fn normalize(w: &WinEvent, e: &mut AuditEvent) {
    let sysmon = w.channel.as_deref().is_some_and(|c| c.contains("Sysmon"));
    let known = meaning(w.id, sysmon);
    e.action = known.map_or_else(|| format!("event_{}", w.id), |(a, _, _)| a.to_string());
    e.code = Some(w.id.to_string());
    e.category = known.map_or(Category::Other, |(_, c, _)| c);
    e.service = w.channel.clone().or_else(|| w.provider.clone());
    e.host = w.computer.clone();
    e.native_id = w.record_id.clone();
    let logon = LOGON_IDS.contains(&w.id);
    e.actor = Actor::default();
    let member = if logon {
        logon_parties(w, e);
        None
    } else {
        other_parties(w, e, sysmon)
    };
    e.source_ip = [
        "IpAddress",
        "SourceAddress",
        "SourceIp",
        "ClientAddress",
        "Param3",
    ]
    .iter()
    .filter_map(|k| w.get(k))
    .find_map(|v| ip(v.trim_start_matches("::ffff:")))
    .filter(|a| a != "127.0.0.1" || logon);
    outcome(w, known.and_then(|(_, _, o)| o), e);
    e.logon_type = w
        .get("LogonType")
        .map(|n| logon_type(&n).map_or(n.clone(), |t| format!("{n} ({t})")));
    e.class_uid = e.category.ocsf_class_uid();
    e.message = message(w, e, member);
}

/// Logons and logon-like events: the account that logged on is the actor; the machine, the
/// service asked for or the account whose credentials were used is the target.
fn logon_parties(w: &WinEvent, e: &mut AuditEvent) {
    let subject = w.account("Subject");
    let target = w.account("Target");
    let who = target
        .clone()
        .or_else(|| w.get("TargetUserName").map(|n| named(n, "account")))
        .or_else(|| w.get("Param1").map(|n| named(n, "account")))
        // 4672 names the account in Subject fields. A failed logon whose account is unknown
        // ("-") has no actor: the subject is the local service that reported it.
        .or_else(|| subject.clone().filter(|_| w.id == 4672));
    e.actor.identity = who.unwrap_or_default();
    e.actor.invoked_by = w.get("ProcessName").or_else(|| w.get("LogonProcessName"));
    e.target = match w.id {
        // Explicit credentials: the subject used the target account's credentials.
        4648 => {
            e.actor.identity = subject.unwrap_or_default();
            let server = w.get("TargetServerName").unwrap_or_else(|| "?".to_string());
            target.map(|t| Identity {
                kind: Some(format!("account on {server}")),
                ..t
            })
        }
        4769 => w.get("ServiceName").map(|s| named(s, "service")),
        _ => w.computer.clone().map(|c| named(c, "host")),
    };
    e.session_id = w.get("TargetLogonId").or_else(|| w.get("SubjectLogonId"));
}

/// Every other event: the subject acts on what the event is about. Returns the member a group
/// change names, for the message.
fn other_parties(w: &WinEvent, e: &mut AuditEvent, sysmon: bool) -> Option<String> {
    let subject = w.account("Subject");
    let target = w.account("Target");
    e.actor.identity = subject
        .or_else(|| w.get("User").map(|u| named(u, "account")))
        .unwrap_or_default();
    e.session_id = w.get("SubjectLogonId").or_else(|| w.get("LogonId"));
    e.target = object_of(w, sysmon).or_else(|| target.clone());
    if e.category != Category::PermissionChange {
        return None;
    }
    let member = w.get("MemberName").or_else(|| w.get("MemberSid"));
    if member.is_some() {
        e.target = Some(Identity {
            id: w.get("TargetSid"),
            name: target.and_then(|t| t.name),
            kind: Some("group".to_string()),
        });
    }
    member
}

/// What an event that is not a logon is about, by its id.
fn object_of(w: &WinEvent, sysmon: bool) -> Option<Identity> {
    let with_id = |id: Option<String>, name: String, kind: &str| Identity {
        id,
        name: Some(name),
        kind: Some(kind.to_string()),
    };
    match w.id {
        4688 => w
            .get("NewProcessName")
            .map(|p| with_id(w.get("NewProcessId"), p, "process")),
        7045 | 4697 | 7036 | 7040 => w
            .get("ServiceName")
            .or_else(|| w.get("param1"))
            .map(|s| named(s, "service")),
        4698 | 4699 | 4702 => w.get("TaskName").map(|t| named(t, "scheduled_task")),
        4662 | 4663 => w.get("ObjectName").map(|o| Identity {
            id: None,
            name: Some(o),
            kind: w.get("ObjectType"),
        }),
        5140 | 5145 => w.get("ShareName").map(|s| {
            let relative = w
                .get("RelativeTargetName")
                .map(|r| format!("\\{r}"))
                .unwrap_or_default();
            named(format!("{s}{relative}"), "share")
        }),
        1 | 5 | 7 | 10 if sysmon => w
            .get("Image")
            .map(|i| with_id(w.get("ProcessGuid"), i, "process")),
        3 if sysmon => w.get("DestinationIp").map(|d| {
            let port = w.get("DestinationPort").unwrap_or_default();
            named(format!("{d}:{port}"), "network_endpoint")
        }),
        11 | 15 | 23 | 26 if sysmon => w.get("TargetFilename").map(|f| named(f, "file")),
        12..=14 if sysmon => w.get("TargetObject").map(|o| named(o, "registry")),
        22 if sysmon => w.get("QueryName").map(|q| named(q, "domain")),
        104 | 1102 => w.channel.clone().map(|c| named(c, "log")),
        _ => None,
    }
}

/// Success or failure: what the id itself says, else its status code.
fn outcome(w: &WinEvent, by_id: Option<Outcome>, e: &mut AuditEvent) {
    let status = w
        .get("Status")
        .or_else(|| w.get("FailureCode"))
        .or_else(|| w.get("Result"));
    e.outcome = match by_id {
        Some(o) => o,
        None => match status.as_deref() {
            Some("0x0" | "0" | "%%1792") => Outcome::Success,
            Some(_) if matches!(w.id, 4768 | 4769 | 4776 | 4723 | 4724) => Outcome::Failure,
            _ if matches!(w.id, 4648 | 4768 | 4769 | 4776) => Outcome::Success,
            _ => Outcome::Unknown,
        },
    };
    if e.outcome == Outcome::Failure {
        e.error_code = w.get("SubStatus").filter(|s| s != "0x0").or(status);
        e.error_message = w
            .get("FailureReason")
            .map(|r| failure_reason(&r).map_or(r, str::to_string));
    }
}

/// `4624 logon CORP\alice → WKS01 logon type 3 (network)`, with a group change's member and a
/// process's command line.
fn message(w: &WinEvent, e: &AuditEvent, member: Option<String>) -> String {
    let detail = w
        .get("CommandLine")
        .or_else(|| w.get("ImagePath"))
        .or_else(|| {
            w.get("ScriptBlockText")
                .map(|s| s.chars().take(200).collect())
        });
    format!(
        "{} {} {}{}{}{}{}",
        w.id,
        e.action,
        e.actor.identity.label().unwrap_or("-"),
        e.target
            .as_ref()
            .and_then(|t| t.label())
            .map(|t| format!(" → {t}"))
            .unwrap_or_default(),
        e.logon_type
            .as_deref()
            .map(|t| format!(" logon type {t}"))
            .unwrap_or_default(),
        member.map(|m| format!(" member {m}")).unwrap_or_default(),
        detail.map(|d| format!(": {d}")).unwrap_or_default()
    )
}

/// Windows events exported as JSON objects, one per line.
pub struct WindowsJson;

impl Format for WindowsJson {
    fn name(&self) -> &'static str {
        "windows_json"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        if has("winlog.event_id") || has("Event.System.EventID") {
            return 94;
        }
        if has("EventID")
            && (has("Channel") || has("SourceName") || has("EventSourceName"))
            && (has("Computer")
                || has("Hostname")
                || has("TimeCreated")
                || has("EventTime")
                || has("TimeGenerated"))
        {
            return 90;
        }
        0
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(WindowsJson)
    }
}

impl Normalize for WindowsJson {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(
            e,
            r,
            &[
                "Event.System.TimeCreated.#attributes.SystemTime",
                "Event.System.TimeCreated.SystemTime",
                "@timestamp",
                "TimeCreated",
                "EventTime",
                "TimeGenerated",
                "UtcTime",
            ],
        );
        let mut data = event_data(r);
        if let Some(obj) = r.as_object() {
            for (k, v) in obj {
                data.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if let Some(Value::Object(m)) = get(r, "EventData_dynamic").map(|v| decoded(v).into_owned())
        {
            flatten_into(&m, &mut data);
        }
        let id = first_text(
            r,
            &[
                "Event.System.EventID.#text",
                "Event.System.EventID",
                "winlog.event_id",
                "EventID",
                "event.code",
            ],
        )
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
        let w = WinEvent {
            id,
            channel: first_text(r, &["Event.System.Channel", "winlog.channel", "Channel"]),
            provider: first_text(
                r,
                &[
                    "Event.System.Provider.#attributes.Name",
                    "winlog.provider_name",
                    "SourceName",
                    "EventSourceName",
                ],
            ),
            computer: first_text(
                r,
                &[
                    "Event.System.Computer",
                    "winlog.computer_name",
                    "Computer",
                    "Hostname",
                    "host.name",
                ],
            ),
            record_id: first_text(
                r,
                &[
                    "Event.System.EventRecordID",
                    "winlog.record_id",
                    "RecordNumber",
                    "EventRecordID",
                ],
            ),
            data: &data,
        };
        normalize(&w, e);
    }
}

/// Copies nested EventData (`{"LogFileCleared": {...}}`, `{"Data": [...]}`) into flat names.
/// An event's data fields (EventData, UserData; EVTX JSON, Winlogbeat and plain exports alike)
/// in one flat map, by their names.
pub(super) fn event_data(r: &Value) -> Map<String, Value> {
    let mut data = Map::new();
    for path in [
        "Event.EventData",
        "Event.UserData",
        "winlog.event_data",
        "winlog.user_data",
        "EventData",
    ] {
        if let Some(Value::Object(m)) = get(r, path).map(|v| decoded(v).into_owned()) {
            flatten_into(&m, &mut data);
        }
    }
    data
}

pub fn flatten_into(m: &Map<String, Value>, out: &mut Map<String, Value>) {
    for (k, v) in m {
        match v {
            Value::Object(inner) if k != "#attributes" => flatten_into(inner, out),
            _ => {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

/// Windows EVTX files. Records are rendered to JSON by the `evtx` crate at import; that JSON is
/// the stored raw record (the binary record needs its chunk's templates to be read again), and
/// the file's SHA-256 covers the original bytes.
pub struct Evtx;

/// The first bytes of every EVTX file.
pub const EVTX_MAGIC: &[u8] = b"ElfFile\0";

impl Format for Evtx {
    fn name(&self) -> &'static str {
        "evtx"
    }

    /// Recognized by its magic bytes before any sampling; see `import::file`.
    fn detect(&self, _sample: &Sample) -> u8 {
        0
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(WindowsJson)
    }
}

//! Windows event logs: the event IDs investigators live on, mapped the same way whether the
//! events come from EVTX files (rendered to JSON by the `evtx` crate) or from JSON-lines exports
//! (Winlogbeat, NXLog, OTRF/Mordor, Log Analytics `SecurityEvent`).

use serde_json::{Map, Value};

use super::value::{decoded, fill_time, first_text, get, ip, scalar_text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::event::{Actor, AuditEvent, Category, Identity, Outcome};
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

/// What an event ID means: action, category, and whether the ID itself says failure.
fn meaning(id: u32, sysmon: bool) -> Option<(&'static str, Category, Option<Outcome>)> {
    use Category::*;
    if sysmon {
        return Some(match id {
            1 => ("process_create", System, None),
            3 => ("network_connect", System, None),
            5 => ("process_terminate", System, None),
            7 => ("image_load", System, None),
            8 => ("create_remote_thread", System, None),
            10 => ("process_access", DataAccess, None),
            11 => ("file_create", System, None),
            12 | 13 | 14 => ("registry_change", ConfigurationChange, None),
            15 => ("file_stream_create", System, None),
            17 | 18 => ("pipe_event", System, None),
            22 => ("dns_query", System, None),
            23 | 26 => ("file_delete", System, None),
            _ => return None,
        });
    }
    Some(match id {
        4624 => ("logon", Authentication, Some(Outcome::Success)),
        4625 => ("logon", Authentication, Some(Outcome::Failure)),
        4634 => ("logoff", Authentication, Some(Outcome::Success)),
        4647 => (
            "logoff_user_initiated",
            Authentication,
            Some(Outcome::Success),
        ),
        4648 => ("logon_explicit_credentials", Authentication, None),
        4672 => (
            "special_privileges_assigned",
            Authentication,
            Some(Outcome::Success),
        ),
        4768 => ("kerberos_tgt_request", Authentication, None),
        4769 => ("kerberos_service_ticket", Authentication, None),
        4771 => (
            "kerberos_preauth_failed",
            Authentication,
            Some(Outcome::Failure),
        ),
        4776 => ("ntlm_credential_validation", Authentication, None),
        1149 => ("rdp_logon", Authentication, Some(Outcome::Success)),
        4720 => ("user_created", AccountChange, Some(Outcome::Success)),
        4722 => ("user_enabled", AccountChange, Some(Outcome::Success)),
        4723 => ("password_change", AccountChange, None),
        4724 => ("password_reset", AccountChange, None),
        4725 => ("user_disabled", AccountChange, Some(Outcome::Success)),
        4726 => ("user_deleted", AccountChange, Some(Outcome::Success)),
        4738 => ("user_changed", AccountChange, Some(Outcome::Success)),
        4740 => ("user_locked_out", AccountChange, Some(Outcome::Success)),
        4767 => ("user_unlocked", AccountChange, Some(Outcome::Success)),
        4727 | 4731 | 4754 => ("group_created", PermissionChange, Some(Outcome::Success)),
        4728 | 4732 | 4756 => (
            "group_member_added",
            PermissionChange,
            Some(Outcome::Success),
        ),
        4729 | 4733 | 4757 => (
            "group_member_removed",
            PermissionChange,
            Some(Outcome::Success),
        ),
        4730 | 4734 | 4758 => ("group_deleted", PermissionChange, Some(Outcome::Success)),
        4735 | 4737 | 4755 => ("group_changed", PermissionChange, Some(Outcome::Success)),
        4719 => (
            "audit_policy_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        1102 => (
            "security_log_cleared",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        104 => ("log_cleared", ConfigurationChange, Some(Outcome::Success)),
        4688 => ("process_create", System, Some(Outcome::Success)),
        4689 => ("process_exit", System, Some(Outcome::Success)),
        7045 | 4697 => (
            "service_installed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        7036 | 7040 => ("service_state_changed", System, None),
        4698 => (
            "scheduled_task_created",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4699 => (
            "scheduled_task_deleted",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4702 => (
            "scheduled_task_updated",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4662 => ("directory_object_operation", DataAccess, None),
        4798 | 4799 => (
            "group_membership_enumerated",
            DataAccess,
            Some(Outcome::Success),
        ),
        4616 => (
            "system_time_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4907 => (
            "object_audit_settings_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        1100 => (
            "event_logging_shut_down",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4608 => ("system_startup", System, Some(Outcome::Success)),
        5447 => (
            "firewall_filter_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4663 => ("object_access", DataAccess, None),
        5140 | 5145 => ("network_share_access", DataAccess, None),
        5156 => (
            "network_connection_permitted",
            System,
            Some(Outcome::Success),
        ),
        5157 => ("network_connection_blocked", System, Some(Outcome::Failure)),
        4103 | 4104 => ("powershell_execution", System, None),
        _ => return None,
    })
}

/// The message-table texts `FailureReason` refers to (`%%2313`).
fn failure_reason(code: &str) -> Option<&'static str> {
    Some(match code {
        "%%2304" => "an error occurred during logon",
        "%%2305" => "the specified user account has expired",
        "%%2306" => "the NetLogon component is not active",
        "%%2307" => "account locked out",
        "%%2308" => "the user has not been granted the requested logon type at this machine",
        "%%2309" => "the specified account's password has expired",
        "%%2310" => "account currently disabled",
        "%%2311" => "account logon time restriction violation",
        "%%2312" => "user not allowed to logon at this computer",
        "%%2313" => "unknown user name or bad password",
        _ => return None,
    })
}

/// Windows logon types by number.
fn logon_type(n: &str) -> Option<&'static str> {
    Some(match n {
        "2" => "interactive",
        "3" => "network",
        "4" => "batch",
        "5" => "service",
        "7" => "unlock",
        "8" => "network_cleartext",
        "9" => "new_credentials",
        "10" => "remote_interactive",
        "11" => "cached_interactive",
        _ => return None,
    })
}

/// Fills the event from a Windows event. Time is set by the caller.
pub fn normalize(w: &WinEvent, e: &mut AuditEvent) {
    let sysmon = w.channel.as_deref().is_some_and(|c| c.contains("Sysmon"));
    let known = meaning(w.id, sysmon);
    e.action = known.map_or_else(|| format!("event_{}", w.id), |(a, _, _)| a.to_string());
    e.category = known.map_or(Category::Other, |(_, c, _)| c);
    e.service = w.channel.clone().or_else(|| w.provider.clone());
    e.host = w.computer.clone();
    e.native_id = w.record_id.clone();
    let logon = matches!(
        w.id,
        4624 | 4625 | 4634 | 4647 | 4648 | 4672 | 4768 | 4769 | 4771 | 4776 | 1149
    );
    let subject = w.account("Subject");
    let target = w.account("Target");
    e.actor = Actor::default();
    let mut member = None;
    if logon {
        let who = target
            .clone()
            .or_else(|| {
                w.get("TargetUserName").map(|n| Identity {
                    id: None,
                    name: Some(n),
                    kind: Some("account".to_string()),
                })
            })
            .or_else(|| {
                w.get("Param1").map(|n| Identity {
                    id: None,
                    name: Some(n),
                    kind: Some("account".to_string()),
                })
            })
            // 4672 names the account in Subject fields. A failed logon whose account is
            // unknown ("-") has no actor: the subject is the local service that reported it.
            .or_else(|| subject.clone().filter(|_| w.id == 4672));
        e.actor.identity = who.unwrap_or_default();
        e.actor.invoked_by = w.get("ProcessName").or_else(|| w.get("LogonProcessName"));
        if w.id == 4648 {
            // Explicit credentials: the subject used the target account's credentials.
            e.actor.identity = subject.clone().unwrap_or_default();
            e.target = target.clone().map(|t| Identity {
                kind: Some(format!(
                    "account on {}",
                    w.get("TargetServerName").unwrap_or_else(|| "?".to_string())
                )),
                ..t
            });
        } else if w.id == 4769 {
            e.target = w.get("ServiceName").map(|s| Identity {
                id: None,
                name: Some(s),
                kind: Some("service".to_string()),
            });
        } else {
            e.target = w.computer.clone().map(|c| Identity {
                id: None,
                name: Some(c),
                kind: Some("host".to_string()),
            });
        }
        e.session_id = w.get("TargetLogonId").or_else(|| w.get("SubjectLogonId"));
    } else {
        e.actor.identity = subject
            .clone()
            .or_else(|| {
                w.get("User").map(|u| Identity {
                    id: None,
                    name: Some(u),
                    kind: Some("account".to_string()),
                })
            })
            .unwrap_or_default();
        e.session_id = w.get("SubjectLogonId").or_else(|| w.get("LogonId"));
        e.target = match w.id {
            4688 => w.get("NewProcessName").map(|p| Identity {
                id: w.get("NewProcessId"),
                name: Some(p),
                kind: Some("process".to_string()),
            }),
            7045 | 4697 | 7036 | 7040 => {
                w.get("ServiceName")
                    .or_else(|| w.get("param1"))
                    .map(|s| Identity {
                        id: None,
                        name: Some(s),
                        kind: Some("service".to_string()),
                    })
            }
            4698 | 4699 | 4702 => w.get("TaskName").map(|t| Identity {
                id: None,
                name: Some(t),
                kind: Some("scheduled_task".to_string()),
            }),
            4662 | 4663 => w.get("ObjectName").map(|o| Identity {
                id: None,
                name: Some(o),
                kind: w.get("ObjectType"),
            }),
            5140 | 5145 => w.get("ShareName").map(|s| Identity {
                id: None,
                name: Some(format!(
                    "{}{}",
                    s,
                    w.get("RelativeTargetName")
                        .map(|r| format!("\\{r}"))
                        .unwrap_or_default()
                )),
                kind: Some("share".to_string()),
            }),
            1 | 5 | 7 | 10 if sysmon => w.get("Image").map(|i| Identity {
                id: w.get("ProcessGuid"),
                name: Some(i),
                kind: Some("process".to_string()),
            }),
            3 if sysmon => w.get("DestinationIp").map(|d| Identity {
                id: None,
                name: Some(format!(
                    "{d}:{}",
                    w.get("DestinationPort").unwrap_or_default()
                )),
                kind: Some("network_endpoint".to_string()),
            }),
            11 | 15 | 23 | 26 if sysmon => w.get("TargetFilename").map(|f| Identity {
                id: None,
                name: Some(f),
                kind: Some("file".to_string()),
            }),
            12..=14 if sysmon => w.get("TargetObject").map(|o| Identity {
                id: None,
                name: Some(o),
                kind: Some("registry".to_string()),
            }),
            22 if sysmon => w.get("QueryName").map(|q| Identity {
                id: None,
                name: Some(q),
                kind: Some("domain".to_string()),
            }),
            104 | 1102 => w.channel.clone().map(|c| Identity {
                id: None,
                name: Some(c),
                kind: Some("log".to_string()),
            }),
            _ => target.clone(),
        };
        if e.category == Category::PermissionChange {
            member = w.get("MemberName").or_else(|| w.get("MemberSid"));
            if member.is_some() {
                e.target = Some(Identity {
                    id: w.get("TargetSid"),
                    name: target.as_ref().and_then(|t| t.name.clone()),
                    kind: Some("group".to_string()),
                });
            }
        }
    }
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
    let status = w
        .get("Status")
        .or_else(|| w.get("FailureCode"))
        .or_else(|| w.get("Result"));
    e.outcome = match known.and_then(|(_, _, o)| o) {
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
    e.logon_type = w
        .get("LogonType")
        .map(|n| logon_type(&n).map_or(n.clone(), |t| format!("{n} ({t})")));
    e.class_uid = e.category.ocsf_class_uid();
    let detail = w
        .get("CommandLine")
        .or_else(|| w.get("ImagePath"))
        .or_else(|| {
            w.get("ScriptBlockText")
                .map(|s| s.chars().take(200).collect())
        });
    e.message = format!(
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
    );
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

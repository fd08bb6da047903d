//! How each format's records meet Sigma rules: the log source they belong to
//! (`product`/`service`/`category`, as SigmaHQ's taxonomy names them) and the fields rules name.
//! Cloud and SaaS records are matched on their own key paths (`eventName`,
//! `userIdentity.type`, `eventType`); Windows events on their EventData names plus `EventID`,
//! `Channel`, `Computer`, `Provider_Name`, whether they came from EVTX or JSON; auditd on each
//! record of an event (`type`, `exe`, `a0`, …). docs/detections.md has the table.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::value::{first_text, get};
use crate::model::event::AuditEvent;

/// A Sigma log source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigmaSource {
    pub product: Option<&'static str>,
    pub service: Option<String>,
    pub category: Option<&'static str>,
}

fn source(product: &'static str, service: &str) -> SigmaSource {
    SigmaSource {
        product: Some(product),
        service: Some(service.to_string()),
        category: None,
    }
}

/// The views of one event that rules are evaluated on: usually one, the record as it is; one
/// per record for auditd events of several records; none for formats Sigma has no rules for.
pub fn views<'r>(event: &AuditEvent, record: &'r Value) -> Vec<(SigmaSource, Cow<'r, Value>)> {
    let whole = |s: SigmaSource| vec![(s, Cow::Borrowed(record))];
    match event.format.as_str() {
        "cloudtrail" => whole(source("aws", "cloudtrail")),
        "okta" => whole(source("okta", "okta")),
        "github_audit" | "github_audit_csv" => whole(source("github", "audit")),
        "azure_activity" => whole(source("azure", "activitylogs")),
        "entra_id" => whole(source("azure", entra_service(record))),
        "gcp_audit" => whole(source("gcp", "gcp.audit")),
        "google_workspace" => {
            // SigmaHQ's Workspace rules read the records as Google Cloud Logging carries them:
            // `product: gcp`, `service: google_workspace.<application>`, `eventService` as the
            // API's host name, and each event parameter under its lower-case name.
            let app = first_text(record, &["id.applicationName"]).unwrap_or_default();
            let mut view = record.as_object().cloned().unwrap_or_default();
            view.insert("eventName".into(), Value::String(event.action.clone()));
            if !app.is_empty() {
                view.entry("eventService")
                    .or_insert(Value::String(format!("{app}.googleapis.com")));
            }
            for (name, value) in workspace_parameters(record) {
                view.entry(name).or_insert(value);
            }
            vec![(
                source(
                    "gcp",
                    &format!("google_workspace.{}", app.to_ascii_lowercase()),
                ),
                Cow::Owned(Value::Object(view)),
            )]
        }
        "m365_ual" | "m365_ual_csv" => whole(source("m365", "audit")),
        // SigmaHQ files most Kubernetes audit rules under `category: application` too.
        "k8s_audit" => whole(SigmaSource {
            category: Some("application"),
            ..source("kubernetes", "audit")
        }),
        "evtx" | "windows_json" => vec![windows(record)],
        "auditd" => auditd(record),
        "syslog" | "journald" => {
            let service = event.service.as_deref().unwrap_or("").to_ascii_lowercase();
            let service = match service.as_str() {
                "sshd" | "sudo" | "su" | "cron" => service,
                _ => "auth".to_string(),
            };
            whole(source("linux", &service))
        }
        _ => Vec::new(),
    }
}

/// The parameters of a Workspace activity's events (`events[].parameters[]`), by lower-case
/// name: `value`, `multiValue`, `boolValue` or `intValue`, whichever it has.
fn workspace_parameters(record: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let events = record.get("events").and_then(Value::as_array);
    for event in events.into_iter().flatten() {
        let params = event.get("parameters").and_then(Value::as_array);
        for p in params.into_iter().flatten() {
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            let value = ["value", "multiValue", "boolValue", "intValue"]
                .iter()
                .find_map(|k| p.get(*k).cloned());
            if let Some(value) = value {
                out.push((name.to_ascii_lowercase(), value));
            }
        }
    }
    out
}

fn entra_service(record: &Value) -> &'static str {
    let category = first_text(record, &["category", "Category", "Type"]).unwrap_or_default();
    if category.to_ascii_lowercase().contains("signin") || get(record, "signInEventTypes").is_some()
    {
        "signinlogs"
    } else {
        "auditlogs"
    }
}

/// Channels by the service name Sigma's Windows taxonomy gives them.
fn windows_service(channel: &str) -> String {
    match channel.to_ascii_lowercase().as_str() {
        "security" => "security".into(),
        "system" => "system".into(),
        "application" => "application".into(),
        "microsoft-windows-sysmon/operational" => "sysmon".into(),
        "windows powershell" => "powershell-classic".into(),
        "microsoft-windows-powershell/operational" => "powershell".into(),
        "microsoft-windows-windows defender/operational" => "windefend".into(),
        "microsoft-windows-taskscheduler/operational" => "taskscheduler".into(),
        "microsoft-windows-bits-client/operational" => "bits-client".into(),
        "microsoft-windows-dns-client/operational" => "dns-client".into(),
        other => other.to_string(),
    }
}

/// Sysmon event ids and Security 4688 by the Sigma category they stand for.
fn windows_category(service: &str, id: u64) -> Option<&'static str> {
    match (service, id) {
        ("sysmon", 1) | ("security", 4688) => Some("process_creation"),
        ("sysmon", 3) => Some("network_connection"),
        ("sysmon", 5) => Some("process_termination"),
        ("sysmon", 6) => Some("driver_load"),
        ("sysmon", 7) => Some("image_load"),
        ("sysmon", 8) => Some("create_remote_thread"),
        ("sysmon", 10) => Some("process_access"),
        ("sysmon", 11) => Some("file_event"),
        ("sysmon", 12..=14) => Some("registry_event"),
        ("sysmon", 15) => Some("create_stream_hash"),
        ("sysmon", 17 | 18) => Some("pipe_created"),
        ("sysmon", 22) => Some("dns_query"),
        ("sysmon", 23 | 26) => Some("file_delete"),
        ("powershell", 4104) => Some("ps_script"),
        ("powershell", 4103) => Some("ps_module"),
        _ => None,
    }
}

/// A Windows event flattened to the names rules use, from EVTX JSON or a JSON export alike.
fn windows(record: &Value) -> (SigmaSource, Cow<'_, Value>) {
    let mut view = super::windows::event_data(record);
    if let Some(obj) = record.as_object() {
        for (k, v) in obj.iter().filter(|(_, v)| !v.is_object()) {
            view.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let id = first_text(
        record,
        &[
            "Event.System.EventID.#text",
            "Event.System.EventID",
            "winlog.event_id",
            "EventID",
        ],
    )
    .and_then(|t| t.parse::<u64>().ok());
    let channel = first_text(
        record,
        &["Event.System.Channel", "winlog.channel", "Channel"],
    );
    let system = [
        (
            "Computer",
            &["Event.System.Computer", "winlog.computer_name", "Computer"][..],
        ),
        (
            "Provider_Name",
            &[
                "Event.System.Provider.#attributes.Name",
                "winlog.provider_name",
                "SourceName",
            ][..],
        ),
        (
            "EventRecordID",
            &[
                "Event.System.EventRecordID",
                "winlog.record_id",
                "EventRecordID",
            ][..],
        ),
    ];
    for (name, paths) in system {
        if let Some(v) = first_text(record, paths) {
            view.insert(name.to_string(), Value::String(v));
        }
    }
    if let Some(id) = id {
        view.insert("EventID".into(), Value::from(id));
    }
    let service = channel.as_deref().map(windows_service);
    if let Some(c) = &channel {
        view.insert("Channel".into(), Value::String(c.clone()));
    }
    let category = service
        .as_deref()
        .zip(id)
        .and_then(|(s, id)| windows_category(s, id));
    if service.as_deref() == Some("security") && id == Some(4688) {
        // Security's process creation in the names Sysmon's (and so the rules') use.
        for (from, to) in [
            ("NewProcessName", "Image"),
            ("ParentProcessName", "ParentImage"),
            ("SubjectUserName", "User"),
        ] {
            if let Some(v) = view.get(from).cloned() {
                view.entry(to.to_string()).or_insert(v);
            }
        }
    }
    let source = SigmaSource {
        product: Some("windows"),
        service,
        category,
    };
    (source, Cow::Owned(Value::Object(view)))
}

/// Each record of an auditd event, on its own: rules match one record (`type: EXECVE`).
fn auditd(record: &Value) -> Vec<(SigmaSource, Cow<'_, Value>)> {
    let Some(records) = get(record, "records").and_then(Value::as_array) else {
        return vec![(source("linux", "auditd"), Cow::Borrowed(record))];
    };
    records
        .iter()
        .map(|r| (source("linux", "auditd"), Cow::Borrowed(r)))
        .collect()
}

/// The log source of every event's normalized view: Sightline's own rules match it in any
/// source (`activity: logon` and `outcome: failure` are a failed logon from Windows, sshd, Okta
/// or AWS alike).
pub const NORMALIZED: SigmaSource = SigmaSource {
    product: Some("sightline"),
    service: None,
    category: Some("audit"),
};

/// An event's normalized fields by the names Sightline's rules use (docs/detections.md).
pub fn normalized(event: &AuditEvent) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.to_string(), Value::String(v.to_string()));
        }
    };
    put("activity", Some(event.activity.as_str()));
    put("outcome", Some(event.outcome.as_str()));
    put("category", Some(event.category.as_str()));
    put("action", Some(&event.action));
    put("code", event.code.as_deref());
    put(
        "actor",
        event
            .actor
            .identity
            .name
            .as_deref()
            .or(event.actor.identity.id.as_deref()),
    );
    put("actor_id", event.actor.identity.id.as_deref());
    put("actor_type", event.actor.identity.kind.as_deref());
    put(
        "effective_actor",
        event
            .actor
            .effective
            .as_ref()
            .and_then(|i| i.name.as_deref()),
    );
    put(
        "target",
        event
            .target
            .as_ref()
            .and_then(|t| t.name.as_deref().or(t.id.as_deref())),
    );
    put("source_ip", event.source_ip.as_deref());
    put("user_agent", event.user_agent.as_deref());
    put("service", event.service.as_deref());
    put("region", event.region.as_deref());
    put("host", event.host.as_deref());
    put("format", Some(&event.format));
    put("message", Some(&event.message));
    put("error_code", event.error_code.as_deref());
    Value::Object(m)
}

//! GCP Cloud Audit Logs: LogEntry records whose `protoPayload` is an `AuditLog` (admin activity,
//! data access, system event, policy denied). Other LogEntries are imported too, with what a
//! LogEntry says in general (time, severity, resource, payload text).

use serde_json::Value;

use super::value::{fill_time, first_text, get, identity, ip, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;

pub struct GcpAudit;

impl Format for GcpAudit {
    fn name(&self) -> &'static str {
        "gcp_audit"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let audit_payload = text(r, "protoPayload.@type")
            .is_some_and(|t| t.ends_with("google.cloud.audit.AuditLog"));
        let audit_log = text(r, "logName").is_some_and(|n| n.contains("cloudaudit.googleapis.com"));
        if audit_payload || audit_log {
            return 95;
        }
        let has = |p| get(r, p).is_some();
        if has("logName") && has("insertId") && (has("timestamp") || has("receiveTimestamp")) {
            return 75;
        }
        0
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(GcpAudit)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("insertId", "id")]
    }
}

/// The log an entry was written to, decoded: `projects/p/logs/cloudaudit.googleapis.com%2Factivity`
/// → `cloudaudit.googleapis.com/activity`, `…/logs/events` → `events`.
fn log_id(r: &Value) -> Option<String> {
    let name = text(r, "logName")?;
    let id = name
        .rsplit_once("/logs/")
        .map_or(name.as_str(), |(_, id)| id);
    Some(id.replace("%2F", "/").replace("%2f", "/"))
}

impl Normalize for GcpAudit {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(
            e,
            r,
            &[
                "timestamp",
                "receiveTimestamp",
                "protoPayload.requestMetadata.requestAttributes.time",
            ],
        );
        e.native_id = text(r, "insertId");
        e.request_id = text(r, "operation.id");
        let p = "protoPayload";
        let method = text(r, &format!("{p}.methodName"));
        // Entries that are not audit logs name what happened elsewhere: a Kubernetes event's
        // reason (GKE), a payload's own event type, else the log the entry was written to.
        e.action = method
            .clone()
            .or_else(|| {
                first_text(
                    r,
                    &[
                        "jsonPayload.event_subtype",
                        "jsonPayload.reason",
                        "jsonPayload.eventType",
                        "jsonPayload.event_type",
                        "jsonPayload.methodName",
                        "jsonPayload.type",
                    ],
                )
            })
            .or_else(|| log_id(r))
            .unwrap_or_else(|| "log_entry".to_string());
        e.service = text(r, &format!("{p}.serviceName")).or_else(|| text(r, "resource.type"));
        e.region = first_text(
            r,
            &[
                "resource.labels.location",
                "resource.labels.region",
                "resource.labels.zone",
            ],
        )
        .or_else(|| {
            get(r, "protoPayload.resourceLocation.currentLocations")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        e.source_ip = text(r, &format!("{p}.requestMetadata.callerIp"))
            .as_deref()
            .and_then(ip);
        e.user_agent = text(r, &format!("{p}.requestMetadata.callerSuppliedUserAgent"));
        let delegation = get(
            r,
            &format!("{p}.authenticationInfo.serviceAccountDelegationInfo"),
        )
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|d| {
            first_text(
                d,
                &[
                    "firstPartyPrincipal.principalEmail",
                    "thirdPartyPrincipal.principalEmail",
                ],
            )
        });
        e.actor = Actor {
            identity: Identity {
                id: text(r, &format!("{p}.authenticationInfo.principalSubject")),
                name: text(r, &format!("{p}.authenticationInfo.principalEmail")),
                kind: text(r, &format!("{p}.authenticationInfo.principalEmail")).map(|m| {
                    if m.ends_with(".gserviceaccount.com") {
                        "service_account"
                    } else {
                        "user"
                    }
                    .to_string()
                }),
            },
            effective: None,
            invoked_by: delegation,
        };
        e.session_id = text(r, &format!("{p}.authenticationInfo.serviceAccountKeyName"));
        e.target = match text(r, &format!("{p}.resourceName")) {
            Some(name) => identity(
                Some(name.clone()),
                Some(name.rsplit('/').next().unwrap_or(&name).to_string()),
                text(r, "resource.type"),
            ),
            // A Kubernetes event names the object it is about.
            None => identity(
                text(r, "jsonPayload.involvedObject.uid"),
                text(r, "jsonPayload.involvedObject.name"),
                text(r, "jsonPayload.involvedObject.kind"),
            )
            .or_else(|| identity(None, None, text(r, "resource.type"))),
        };
        let status = get(r, &format!("{p}.status.code")).and_then(Value::as_i64);
        let denied = get(r, &format!("{p}.authorizationInfo"))
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|i| i.get("granted") == Some(&Value::Bool(false)))
            });
        let severity = text(r, "severity").unwrap_or_default();
        e.outcome = match (method.is_some(), status, denied) {
            // Without an AuditLog, only an entry's severity hints at failure.
            (false, _, _)
                if matches!(
                    severity.as_str(),
                    "ERROR" | "CRITICAL" | "ALERT" | "EMERGENCY"
                ) =>
            {
                Outcome::Failure
            }
            (false, _, _) => Outcome::Unknown,
            (_, Some(c), _) if c != 0 => Outcome::Failure,
            (_, _, true) => Outcome::Failure,
            _ => Outcome::Success,
        };
        if let Some(c) = status.filter(|c| *c != 0) {
            e.error_code = Some(c.to_string());
            e.error_message = text(r, &format!("{p}.status.message"));
        }
        let log = text(r, "logName").unwrap_or_default();
        e.category = category(e.action.as_str(), &log);
        e.class_uid = e.category.ocsf_class_uid();
        e.message = match &method {
            Some(m) => format!(
                "{} called {m}{}",
                e.actor
                    .identity
                    .name
                    .as_deref()
                    .unwrap_or("unknown principal"),
                e.target
                    .as_ref()
                    .and_then(|t| t.id.as_deref())
                    .map(|t| format!(" on {t}"))
                    .unwrap_or_default()
            ),
            None => first_text(r, &["textPayload", "jsonPayload.message", "severity"])
                .unwrap_or_else(|| log.clone()),
        };
    }
}

fn category(method: &str, log: &str) -> Category {
    let m = method.to_ascii_lowercase();
    if m.contains("setiampolicy") || m.contains("roles.") || m.contains("grant") {
        Category::PermissionChange
    } else if m.contains("serviceaccounts.create")
        || m.contains("serviceaccounts.delete")
        || m.contains("createserviceaccount")
        || m.contains("keys.create")
        || m.contains("createserviceaccountkey")
    {
        Category::AccountChange
    } else if m.contains("sinks.") || m.contains("logging.") || m.contains("auditconfig") {
        Category::ConfigurationChange
    } else if log.contains("data_access") {
        Category::DataAccess
    } else if log.contains("system_event") {
        Category::System
    } else if method == "log_entry" {
        Category::Other
    } else {
        Category::ApiActivity
    }
}

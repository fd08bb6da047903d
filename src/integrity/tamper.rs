//! Events that clear a log, stop auditing, or change what is audited: each is a finding whatever
//! else the events say, because it explains (or hides) every gap after it.

use super::{Finding, FindingKind, Severity};
use crate::model::event::{AuditEvent, Outcome};

/// The finding kind an event is, if it clears or weakens auditing.
/// Routine stops (a shutdown writes 1100 and DAEMON_END; Windows updates set SACLs) are `Info`
/// so that they are visible without crying wolf.
fn kind_of(e: &AuditEvent) -> Option<(FindingKind, Severity)> {
    use Severity::{Critical, Info, Warning};
    let action = e.action.as_str();
    let lower = action.to_ascii_lowercase();
    let target = e
        .target
        .as_ref()
        .and_then(|t| t.label())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match e.format.as_str() {
        "evtx" | "windows_json" => match action {
            "security_log_cleared" | "log_cleared" => Some((FindingKind::LogCleared, Critical)),
            "event_logging_shut_down" => Some((FindingKind::AuditDisabled, Info)),
            "audit_policy_changed" => Some((FindingKind::AuditPolicyChanged, Warning)),
            "object_audit_settings_changed" => Some((FindingKind::AuditPolicyChanged, Info)),
            _ => None,
        },
        "cloudtrail" => match action {
            "StopLogging"
            | "DeleteTrail"
            | "DeleteEventDataStore"
            | "StopEventDataStoreIngestion" => Some((FindingKind::AuditDisabled, Critical)),
            "UpdateTrail"
            | "PutEventSelectors"
            | "PutInsightSelectors"
            | "UpdateEventDataStore" => Some((FindingKind::AuditPolicyChanged, Warning)),
            _ => None,
        },
        "auditd" => match action {
            "DAEMON_END" => Some((FindingKind::AuditDisabled, Info)),
            "DAEMON_ABORT" => Some((FindingKind::AuditDisabled, Warning)),
            "CONFIG_CHANGE" => Some((FindingKind::AuditPolicyChanged, Warning)),
            _ => None,
        },
        "k8s_audit" => {
            // One request is logged once per stage; the change is judged on its outcome.
            if e.native_id
                .as_deref()
                .is_some_and(|n| n.ends_with("/RequestReceived"))
            {
                return None;
            }
            let kind = e
                .target
                .as_ref()
                .and_then(|t| t.kind.as_deref())
                .unwrap_or_default();
            let about_audit = kind.contains("auditsink")
                || target.contains("audit-policy")
                || target.contains("audit_policy");
            let writes = ["create", "update", "patch", "delete", "deletecollection"];
            (about_audit && writes.contains(&action))
                .then_some((FindingKind::AuditPolicyChanged, Warning))
        }
        "gcp_audit" => {
            if lower.ends_with("deletesink")
                || (lower.ends_with("deletebucket") && lower.contains("logging"))
            {
                Some((FindingKind::AuditDisabled, Critical))
            } else if lower.ends_with("updatesink")
                || lower.ends_with("createexclusion")
                || lower.ends_with("updateexclusion")
                || (lower.ends_with("updatesettings") && lower.contains("logging"))
            {
                Some((FindingKind::AuditPolicyChanged, Warning))
            } else {
                None
            }
        }
        "azure_activity" => {
            if !lower.contains("microsoft.insights/diagnosticsettings") {
                None
            } else if lower.ends_with("/delete") {
                Some((FindingKind::AuditDisabled, Critical))
            } else {
                lower
                    .ends_with("/write")
                    .then_some((FindingKind::AuditPolicyChanged, Warning))
            }
        }
        "m365_ual" | "m365_ual_csv" => (action == "Set-AdminAuditLogConfig")
            .then_some((FindingKind::AuditPolicyChanged, Warning)),
        _ => None,
    }
}

/// Events of one kind by one actor closer than this in time are one finding: an attacker
/// clearing every log, or a policy tool setting forty subcategories, is one act to review.
const GROUP_WITHIN_NANOS: i64 = 10 * 60 * 1_000_000_000;
/// Most event ids one grouped finding lists.
const MAX_EVENTS: usize = 200;

/// Events that clear or weaken auditing in one file, grouped into findings as they come.
#[derive(Default)]
pub(crate) struct Tampering {
    groups: Vec<Group>,
}

struct Group {
    kind: FindingKind,
    severity: Severity,
    actor: String,
    failed: bool,
    actions: Vec<(String, u64)>,
    count: u64,
    events: Vec<String>,
    from: Option<i64>,
    to: Option<i64>,
}

impl Tampering {
    pub(crate) fn observe(&mut self, e: &AuditEvent) {
        let Some((kind, severity)) = kind_of(e) else {
            return;
        };
        let actor = e
            .actor
            .identity
            .label()
            .unwrap_or("an unknown actor")
            .to_string();
        let failed = e.outcome == Outcome::Failure;
        let at = e.time.utc_nanos;
        let joins = self.groups.last().is_some_and(|g| {
            g.kind == kind
                && g.actor == actor
                && g.failed == failed
                && g.severity == severity
                && match (g.to, at) {
                    (Some(to), Some(at)) => (at - to).abs() <= GROUP_WITHIN_NANOS,
                    (None, None) => true,
                    _ => false,
                }
        });
        if !joins {
            self.groups.push(Group {
                kind,
                severity,
                actor,
                failed,
                actions: Vec::new(),
                count: 0,
                events: Vec::new(),
                from: at,
                to: at,
            });
        }
        let Some(g) = self.groups.last_mut() else {
            return;
        };
        g.count += 1;
        match g.actions.iter_mut().find(|(a, _)| *a == e.action) {
            Some((_, n)) => *n += 1,
            None => g.actions.push((e.action.clone(), 1)),
        }
        if g.events.len() < MAX_EVENTS {
            g.events.push(e.id());
        }
        g.from = g.from.min(at).or(at);
        g.to = g.to.max(at);
    }

    pub(crate) fn findings(self, file: &str) -> Vec<Finding> {
        self.groups
            .into_iter()
            .map(|g| {
                // A failed attempt still tells of intent, but nothing was lost.
                let severity = if g.failed {
                    g.severity.min(Severity::Warning)
                } else {
                    g.severity
                };
                let when = |t: Option<i64>| {
                    t.map(crate::time::format_rfc3339)
                        .unwrap_or_else(|| "an unknown time".to_string())
                };
                let actions: Vec<String> = g
                    .actions
                    .iter()
                    .map(|(a, n)| {
                        if *n == 1 {
                            a.clone()
                        } else {
                            format!("{a} ×{n}")
                        }
                    })
                    .collect();
                let span = if g.count == 1 || g.from == g.to {
                    format!("at {}", when(g.from))
                } else {
                    format!("from {} to {}", when(g.from), when(g.to))
                };
                let attempt = if g.failed { " (failed attempts)" } else { "" };
                let first = g.events.first().cloned().unwrap_or_default();
                Finding {
                    kind: g.kind,
                    severity,
                    file: Some(file.to_string()),
                    detail: format!(
                        "{} by {} {span}{attempt}; first event {first}",
                        actions.join(", "),
                        g.actor
                    ),
                    source: None,
                    events: g.events,
                    from: g.from,
                    to: g.to,
                }
            })
            .collect()
    }
}

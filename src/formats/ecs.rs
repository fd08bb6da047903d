//! Elastic Common Schema documents (Beats and Elastic Agent: Auditbeat, Filebeat's aws, okta,
//! azure, gcp and o365 modules, Packetbeat, custom pipelines), read by the ECS field reference
//! rather than guessed: `@timestamp`, `event.action`/`code`/`outcome`/`category`/`type`/`id`,
//! `user.*` (with `user.effective` and `user.target`), `source.ip`/`client.ip`, `host.name`,
//! `cloud.region`, `user_agent.original`. Winlogbeat documents are read by the Windows format,
//! which knows `winlog.*` better.

use serde_json::Value;

use super::guess::outcome_from_text;
use super::value::{fill_time, first_text, get, identity, ip, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity};
use crate::model::Activity;
use crate::record::Shape;

pub struct Ecs;

impl Format for Ecs {
    fn name(&self) -> &'static str {
        "ecs"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        let event = [
            "event.action",
            "event.category",
            "event.kind",
            "event.dataset",
        ]
        .iter()
        .any(|p| has(p));
        if has("ecs.version") && has("@timestamp") {
            85
        } else if has("@timestamp") && event {
            70
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Ecs)
    }
}

/// ECS `event.category` values (the first that maps), as categories.
fn category(r: &Value) -> Category {
    for c in list(r, "event.category") {
        let found = match c.as_str() {
            "authentication" | "session" => Category::Authentication,
            "iam" => {
                if list(r, "event.type").iter().any(|t| t == "group") {
                    Category::PermissionChange
                } else {
                    Category::AccountChange
                }
            }
            "configuration" => Category::ConfigurationChange,
            "file" | "database" | "web" => Category::DataAccess,
            "process" | "host" | "driver" | "package" => Category::System,
            "api" => Category::ApiActivity,
            _ => continue,
        };
        return found;
    }
    Category::Other
}

/// A field that ECS allows as a keyword or an array of keywords, as a list.
fn list(r: &Value, path: &str) -> Vec<String> {
    match get(r, path) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_ascii_lowercase))
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect(),
        _ => Vec::new(),
    }
}

/// The activity ECS categorization says (`event.category` + `event.type`), for the ECS table of
/// `formats::activity`.
pub fn activity(r: &Value) -> Option<Activity> {
    let categories = list(r, "event.category");
    let types = list(r, "event.type");
    let is = |c: &str| categories.iter().any(|x| x == c);
    let of = |t: &str| types.iter().any(|x| x == t);
    if is("authentication") || is("session") {
        return if of("end") {
            Some(Activity::Logoff)
        } else if of("start") || of("info") || is("authentication") {
            Some(Activity::Logon)
        } else {
            None
        };
    }
    if is("iam") {
        let group = of("group");
        return match (group, of("creation"), of("deletion"), of("change")) {
            (true, true, _, _) => Some(Activity::GroupCreate),
            (true, _, true, _) => Some(Activity::GroupDelete),
            (false, true, _, _) => Some(Activity::AccountCreate),
            (false, _, true, _) => Some(Activity::AccountDelete),
            _ => None,
        };
    }
    if is("process") && of("start") {
        return Some(Activity::ProcessStart);
    }
    None
}

fn named(r: &Value, prefix: &str, kind: &str) -> Option<Identity> {
    let name = first_text(r, &[&format!("{prefix}.name"), &format!("{prefix}.email")]);
    let name = match (name, text(r, &format!("{prefix}.domain"))) {
        (Some(n), Some(d)) if !n.contains('\\') && !n.contains('@') => Some(format!("{d}\\{n}")),
        (n, _) => n,
    };
    identity(
        text(r, &format!("{prefix}.id")),
        name,
        Some(kind.to_string()),
    )
}

impl Normalize for Ecs {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(e, r, &["@timestamp", "event.created", "event.ingested"]);
        e.action = first_text(r, &["event.action", "event.code", "event.type"]).unwrap_or_default();
        e.code = text(r, "event.code");
        e.outcome = text(r, "event.outcome")
            .map(|o| outcome_from_text(&o))
            .unwrap_or_default();
        e.category = category(r);
        e.class_uid = e.category.ocsf_class_uid();
        e.actor = Actor {
            identity: named(r, "user", "user").unwrap_or_default(),
            effective: named(r, "user.effective", "user"),
            ..Actor::default()
        };
        e.target = named(r, "user.target", "user")
            .or_else(|| named(r, "group", "group"))
            .or_else(|| {
                first_text(r, &["file.path", "url.original", "destination.domain"]).map(|n| {
                    Identity {
                        name: Some(n),
                        ..Identity::default()
                    }
                })
            });
        e.source_ip = first_text(r, &["source.ip", "client.ip"])
            .as_deref()
            .and_then(ip);
        e.user_agent = text(r, "user_agent.original");
        e.service = first_text(
            r,
            &[
                "event.provider",
                "service.name",
                "event.module",
                "event.dataset",
            ],
        );
        e.region = text(r, "cloud.region");
        e.host = first_text(r, &["host.name", "host.hostname", "observer.name"]);
        e.request_id = first_text(r, &["http.request.id", "trace.id"]);
        e.native_id = text(r, "event.id");
        e.error_code = first_text(r, &["error.code", "event.reason"])
            .filter(|_| e.outcome == crate::model::Outcome::Failure);
        e.error_message = text(r, "error.message");
        e.message = first_text(r, &["message", "event.original"])
            .map(|m| m.lines().next().unwrap_or_default().to_string())
            .unwrap_or_else(|| e.action.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_read_by_the_ecs_reference() {
        let r = json!({"@timestamp": "2024-05-01T10:00:00.000Z", "ecs": {"version": "8.11.0"},
            "event": {"action": "user_login", "category": ["authentication"], "type": ["start"], "outcome": "failure", "id": "ev-1", "module": "system"},
            "user": {"name": "bob", "domain": "CORP"}, "source": {"ip": "203.0.113.9"}, "host": {"name": "web-1"}});
        let sample = Sample {
            shape: Shape::Json,
            first: Some(&r),
            header: None,
        };
        assert_eq!(Ecs.detect(&sample), 85);
        let mut e = AuditEvent::default();
        Ecs.normalize(&r, &mut e);
        assert_eq!(e.action, "user_login");
        assert_eq!(e.outcome, crate::model::Outcome::Failure);
        assert_eq!(e.category, Category::Authentication);
        assert_eq!(e.actor.identity.name.as_deref(), Some("CORP\\bob"));
        assert_eq!(e.source_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(e.native_id.as_deref(), Some("ev-1"));
        assert_eq!(activity(&r), Some(Activity::Logon));
    }
}

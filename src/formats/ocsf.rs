//! OCSF 1.x events (AWS Security Lake, and Sightline's own `ocsf-json` export): the class,
//! activity, actor, endpoints and status are mapped field for field. The class and activity id
//! name the activity directly where Sightline's vocabulary has that pair.

use serde_json::Value;

use super::value::{fill_time, first_text, get, identity, ip, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Outcome};
use crate::model::Activity;
use crate::record::Shape;

pub struct Ocsf;

impl Format for Ocsf {
    fn name(&self) -> &'static str {
        "ocsf"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        let class = get(r, "class_uid").is_some_and(Value::is_u64);
        if class && has("metadata.version") && (has("time") || has("type_uid")) {
            95
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Ocsf)
    }
}

/// An OCSF user object (`user`, `actor.user`) as an identity; `-` is no value.
fn person(r: &Value, at: &str) -> Option<crate::model::event::Identity> {
    let field = |k: &str| text(r, &format!("{at}.{k}")).filter(|v| v != "-");
    let name = field("name").or_else(|| field("email_addr"));
    let name = match (name, field("domain")) {
        (Some(n), Some(d)) if !n.contains('\\') && !n.contains('@') => Some(format!("{d}\\{n}")),
        (n, _) => n,
    };
    identity(
        field("uid").or_else(|| field("uid_alt")),
        name,
        field("type"),
    )
}

/// The category of an OCSF class.
pub fn category_of(class_uid: u64) -> Category {
    match class_uid {
        3002 | 3003 => Category::Authentication,
        3001 => Category::AccountChange,
        3004..=3006 => Category::PermissionChange,
        6003 => Category::ApiActivity,
        6005 => Category::DataAccess,
        1001..=1099 => Category::System,
        5001..=5099 => Category::ConfigurationChange,
        _ => Category::Other,
    }
}

/// The activity with this OCSF class and activity id (not "other", 99).
pub fn activity_of(class_uid: u64, activity_id: u64) -> Option<Activity> {
    if activity_id == 0 || activity_id == 99 {
        return None;
    }
    Activity::ALL
        .iter()
        .copied()
        .find(|a| a.ocsf() == (class_uid as u32, activity_id as u32))
}

impl Normalize for Ocsf {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(e, r, &["time_dt", "time"]);
        let class = get(r, "class_uid").and_then(Value::as_u64).unwrap_or(0);
        let activity = get(r, "activity_id").and_then(Value::as_u64).unwrap_or(0);
        e.class_uid = class as u32;
        e.category = category_of(class);
        e.action =
            first_text(r, &["api.operation", "activity_name", "type_name"]).unwrap_or_default();
        if let Some(a) = activity_of(class, activity) {
            e.activity = a;
        }
        e.code = text(r, "metadata.event_code");
        e.outcome = match get(r, "status_id").and_then(Value::as_u64) {
            Some(1) => Outcome::Success,
            Some(2) => Outcome::Failure,
            _ => match text(r, "status").map(|s| s.to_ascii_lowercase()).as_deref() {
                Some("success") => Outcome::Success,
                Some("failure") => Outcome::Failure,
                _ => Outcome::Unknown,
            },
        };
        if e.outcome == Outcome::Failure {
            e.error_code = first_text(r, &["status_code", "api.response.error"]);
            e.error_message = first_text(r, &["status_detail", "api.response.message"]);
        }
        let user = person(r, "user");
        let actor = person(r, "actor.user");
        let host = identity(None, text(r, "dst_endpoint.hostname"), Some("host".into()));
        // In Authentication, `user` is who logs on and the destination is where; elsewhere the
        // actor acts on `user` (or on the first resource).
        let (who, whom) = if class == 3002 {
            (user.or(actor), host)
        } else {
            let resource = || {
                let first = get(r, "resources").and_then(Value::as_array)?.first()?;
                identity(text(first, "uid"), text(first, "name"), text(first, "type"))
            };
            (actor, user.or_else(resource).or(host))
        };
        e.actor = Actor {
            identity: who.unwrap_or_default(),
            invoked_by: text(r, "actor.invoked_by"),
            ..Actor::default()
        };
        e.target = whom;
        // As the source wrote it when it is no address Rust reads (CloudTrail's zero-padded
        // octets): an exported case must read back as it was.
        e.source_ip = text(r, "src_endpoint.ip")
            .filter(|v| v != "-")
            .map(|v| ip(&v).unwrap_or(v));
        e.user_agent = first_text(r, &["http_request.user_agent", "src_endpoint.svc_name"]);
        e.service = first_text(r, &["api.service.name", "metadata.product.name"]);
        e.region = text(r, "cloud.region");
        e.host = first_text(r, &["device.hostname", "device.name"]);
        e.session_id = text(r, "actor.session.uid");
        e.request_id = text(r, "api.request.uid");
        e.native_id = text(r, "metadata.uid");
        e.message =
            first_text(r, &["message", "activity_name"]).unwrap_or_else(|| e.action.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_security_lake_api_event_reads_field_for_field() {
        let r = json!({"class_uid": 3001, "activity_id": 1, "type_uid": 300101, "time": 1714557600000u64,
            "metadata": {"version": "1.1.0", "uid": "abc", "product": {"name": "CloudTrail"}},
            "api": {"operation": "CreateUser", "service": {"name": "iam.amazonaws.com"}, "request": {"uid": "req-1"}},
            "actor": {"user": {"name": "admin", "type": "IAMUser", "uid": "AIDA1"}},
            "user": {"name": "mallory"}, "src_endpoint": {"ip": "203.0.113.9"}, "status_id": 1, "cloud": {"region": "us-east-1"}});
        let sample = Sample {
            shape: Shape::Json,
            first: Some(&r),
            header: None,
        };
        assert_eq!(Ocsf.detect(&sample), 95);
        let mut e = AuditEvent::default();
        Ocsf.normalize(&r, &mut e);
        assert_eq!(e.time.utc_nanos, Some(1_714_557_600_000_000_000));
        assert_eq!(e.activity, Activity::AccountCreate);
        assert_eq!(e.action, "CreateUser");
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.actor.identity.name.as_deref(), Some("admin"));
        assert_eq!(e.target.and_then(|t| t.name).as_deref(), Some("mallory"));
        assert_eq!(e.native_id.as_deref(), Some("abc"));
    }
}

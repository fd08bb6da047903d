//! Events written back out as OCSF 1.1 (`--format ocsf-json`): one object per line, with the
//! class and activity of Sightline's activity vocabulary, so a case can be loaded by a data lake
//! that reads OCSF (Security Lake, Splunk, Elastic). The original record travels in `raw_data`,
//! the provenance in `metadata` and `unmapped`. Sightline's own OCSF reader reads it back.

use serde_json::{json, Map, Value};

use crate::model::event::{AuditEvent, Category, Identity, Outcome};
use crate::model::Activity;

const OCSF_VERSION: &str = "1.1.0";

fn user(identity: &Identity) -> Value {
    let mut m = Map::new();
    for (key, value) in [
        ("name", &identity.name),
        ("uid", &identity.id),
        ("type", &identity.kind),
    ] {
        if let Some(v) = value {
            m.insert(key.to_string(), Value::String(v.clone()));
        }
    }
    Value::Object(m)
}

/// The class of an event: its activity's when the vocabulary has one, else its category's.
fn class_and_activity(e: &AuditEvent) -> (u32, u32) {
    match e.activity {
        Activity::Other => {
            let class = match e.category {
                Category::Other => 6003,
                c => c.ocsf_class_uid(),
            };
            (class, 99)
        }
        a => a.ocsf(),
    }
}

/// One event as an OCSF object.
pub fn event(e: &AuditEvent, record: &Value) -> Value {
    let (class_uid, activity_id) = class_and_activity(e);
    let (status_id, status) = match e.outcome {
        Outcome::Success => (1, "Success"),
        Outcome::Failure => (2, "Failure"),
        Outcome::Unknown => (0, "Unknown"),
    };
    let mut o = json!({
        "class_uid": class_uid,
        "category_uid": class_uid / 1000,
        "activity_id": activity_id,
        "activity_name": e.activity.as_str(),
        "type_uid": class_uid * 100 + activity_id,
        "severity_id": 1,
        "status_id": status_id,
        "status": status,
        "message": e.message,
        "actor": { "user": user(&e.actor.identity) },
        "api": { "operation": e.action },
        "metadata": {
            "version": OCSF_VERSION,
            "product": { "name": "Sightline", "vendor_name": "Sightline", "version": env!("CARGO_PKG_VERSION") },
            "log_name": e.format,
            "original_time": e.time.original,
        },
        "raw_data": record.to_string(),
        "unmapped": {
            "sightline.activity": e.activity.as_str(),
            "sightline.category": e.category.as_str(),
            "sightline.flags": e.flags,
            "sightline.source_file": e.provenance.path,
            "sightline.source_sha256": e.provenance.sha256,
            "sightline.record_ordinal": e.provenance.ordinal,
        },
    });
    let Value::Object(m) = &mut o else {
        return o;
    };
    if let Some(t) = e.time.utc_nanos {
        m.insert("time".into(), json!(t.div_euclid(1_000_000)));
        m.insert("time_dt".into(), json!(crate::time::format_rfc3339(t)));
    }
    let mut put = |path: &[&str], value: Option<&String>| {
        let Some(v) = value else { return };
        let mut at = &mut *m;
        for key in &path[..path.len() - 1] {
            let slot = at.entry(key.to_string()).or_insert_with(|| json!({}));
            let Value::Object(next) = slot else { return };
            at = next;
        }
        at.insert(path[path.len() - 1].to_string(), Value::String(v.clone()));
    };
    put(&["metadata", "uid"], e.native_id.as_ref());
    put(&["metadata", "event_code"], e.code.as_ref());
    put(&["api", "service", "name"], e.service.as_ref());
    put(&["api", "request", "uid"], e.request_id.as_ref());
    put(&["src_endpoint", "ip"], e.source_ip.as_ref());
    put(&["http_request", "user_agent"], e.user_agent.as_ref());
    put(&["cloud", "region"], e.region.as_ref());
    put(&["device", "hostname"], e.host.as_ref());
    put(&["actor", "session", "uid"], e.session_id.as_ref());
    put(&["actor", "invoked_by"], e.actor.invoked_by.as_ref());
    put(&["status_code"], e.error_code.as_ref());
    put(&["status_detail"], e.error_message.as_ref());
    // Authentication names who logs on in `user` and where in the destination; other classes
    // name the actor's target in `user` (formats::ocsf reads it back the same way).
    if class_uid == 3002 {
        m.insert("user".into(), user(&e.actor.identity));
        if let Some(name) = e.target.as_ref().and_then(|t| t.name.as_ref()) {
            m.insert("dst_endpoint".into(), json!({ "hostname": name }));
        }
    } else if let Some(target) = &e.target {
        m.insert("user".into(), user(target));
    }
    o
}

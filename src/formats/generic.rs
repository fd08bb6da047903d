//! Generic JSON (lines or arrays) and generic CSV: any source whose fields can be guessed from
//! their names, with the user's mapping taking precedence.

use serde_json::Value;

use super::guess::{leaf_keys, outcome_from_text, FieldMapping, MappedField};
use super::value::{get, scalar_text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{AuditEvent, Category, Identity};
use crate::record::Shape;
use crate::time;

pub struct JsonGeneric;
pub struct CsvGeneric;

impl Format for JsonGeneric {
    fn name(&self) -> &'static str {
        "json"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        match (sample.shape, sample.first) {
            (Shape::Json, Some(Value::Object(_))) => 10,
            _ => 0,
        }
    }

    fn normalizer(&self, sample: &Sample, options: &FormatOptions) -> Box<dyn Normalize> {
        let keys = sample.first.map(leaf_keys).unwrap_or_default();
        Box::new(Mapped {
            mapping: FieldMapping::guessed_from(&keys, &options.mapping),
        })
    }
}

impl Format for CsvGeneric {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn reads_delimited(&self) -> bool {
        true
    }

    fn detect(&self, sample: &Sample) -> u8 {
        match sample.shape {
            Shape::Delimited(_) => 10,
            _ => 0,
        }
    }

    fn normalizer(&self, sample: &Sample, options: &FormatOptions) -> Box<dyn Normalize> {
        let keys = sample.header.map(<[String]>::to_vec).unwrap_or_default();
        Box::new(Mapped {
            mapping: FieldMapping::guessed_from(&keys, &options.mapping),
        })
    }
}

/// Normalizes by a [`FieldMapping`]; CSV rows arrive as objects keyed by column name.
struct Mapped {
    mapping: FieldMapping,
}

impl Mapped {
    fn read(&self, r: &Value, field: MappedField) -> Option<String> {
        get(r, self.mapping.get(field)?).and_then(scalar_text)
    }
}

impl Normalize for Mapped {
    fn mapping(&self) -> Option<FieldMapping> {
        Some(self.mapping.clone())
    }

    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        if let Some(key) = self.mapping.get(MappedField::Time) {
            match get(r, key) {
                Some(Value::Number(n)) => {
                    e.time.original = Some(n.to_string());
                    e.time.utc_nanos = n.as_f64().and_then(time::parse_epoch).map(|t| t.utc_nanos);
                }
                Some(v) => {
                    e.time.original = scalar_text(v);
                    if let Some(t) = e.time.original.as_deref().and_then(time::parse_text) {
                        e.time.utc_nanos = Some(t.utc_nanos);
                        if t.zone_assumed {
                            e.flags.push("time_zone_assumed_utc".to_string());
                        }
                    }
                }
                None => {}
            }
        }
        e.action = self.read(r, MappedField::Action).unwrap_or_default();
        if let Some(actor) = self.read(r, MappedField::Actor) {
            e.actor.identity.name = Some(actor);
        }
        e.target = self.read(r, MappedField::Target).map(|name| Identity {
            name: Some(name),
            ..Identity::default()
        });
        e.outcome = self
            .read(r, MappedField::Outcome)
            .map(|o| outcome_from_text(&o))
            .unwrap_or_default();
        e.source_ip = self.read(r, MappedField::Ip);
        e.category = guess_category(&e.action);
        e.class_uid = e.category.ocsf_class_uid();
        e.message = message(e);
    }
}

fn guess_category(action: &str) -> Category {
    let a = action.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| a.contains(w));
    if has(&[
        "login",
        "logon",
        "logout",
        "logoff",
        "signin",
        "sign-in",
        "authenticat",
        "sso",
        "mfa",
    ]) {
        Category::Authentication
    } else if has(&[
        "role",
        "permission",
        "policy",
        "group",
        "grant",
        "privilege",
        "acl",
    ]) {
        Category::PermissionChange
    } else if has(&["user", "account", "password"]) {
        Category::AccountChange
    } else if has(&["read", "download", "get", "view", "export", "access"]) {
        Category::DataAccess
    } else if has(&[
        "create", "delete", "update", "modify", "change", "set", "config", "disable", "enable",
    ]) {
        Category::ConfigurationChange
    } else {
        Category::Other
    }
}

fn message(e: &AuditEvent) -> String {
    let who = e.actor.identity.label().unwrap_or("unknown actor");
    let what = if e.action.is_empty() {
        "an unnamed action"
    } else {
        &e.action
    };
    let mut m = format!("{who}: {what}");
    if let Some(target) = e.target.as_ref().and_then(Identity::label) {
        m.push_str(" on ");
        m.push_str(target);
    }
    if let Some(ip) = &e.source_ip {
        m.push_str(" from ");
        m.push_str(ip);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::Outcome;
    use serde_json::json;

    #[test]
    fn json_fields_are_guessed_from_names() {
        let r = json!({"@timestamp": 1700000000000u64, "user": {"name": "bob"}, "event": {"action": "user.login"},
                       "result": "denied", "client_ip": "10.0.0.9"});
        let sample = Sample {
            shape: Shape::Json,
            first: Some(&r),
            header: None,
        };
        let n = JsonGeneric.normalizer(&sample, &FormatOptions::default());
        let mut e = AuditEvent::default();
        n.normalize(&r, &mut e);
        assert_eq!(e.time.utc_nanos, Some(1_700_000_000_000_000_000));
        assert_eq!(e.actor.identity.name.as_deref(), Some("bob"));
        assert_eq!(e.action, "user.login");
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.source_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(e.category, Category::Authentication);
    }
}

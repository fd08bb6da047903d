//! systemd journal exports (`journalctl -o json`): one JSON object per entry, times in epoch
//! microseconds written as strings. Authentication messages are read like auth.log lines.

use serde_json::Value;

use super::value::{fill_time, first_text, get, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{AuditEvent, Category, Identity};
use crate::record::Shape;

pub struct Journald;

impl Format for Journald {
    fn name(&self) -> &'static str {
        "journald"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        if get(r, "__REALTIME_TIMESTAMP").is_some()
            || (get(r, "__CURSOR").is_some() && get(r, "MESSAGE").is_some())
        {
            95
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Journald)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("__CURSOR", "id")]
    }
}

impl Normalize for Journald {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(
            e,
            r,
            &["__REALTIME_TIMESTAMP", "_SOURCE_REALTIME_TIMESTAMP"],
        );
        e.host = text(r, "_HOSTNAME");
        e.native_id = text(r, "__CURSOR");
        e.session_id = text(r, "_AUDIT_SESSION");
        e.service = first_text(r, &["_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER", "_COMM"]);
        let program = first_text(r, &["SYSLOG_IDENTIFIER", "_COMM"]).unwrap_or_default();
        // MESSAGE is an array of byte values when the text was not valid UTF-8.
        let message = match get(r, "MESSAGE") {
            Some(Value::Array(bytes)) => String::from_utf8_lossy(
                &bytes
                    .iter()
                    .filter_map(Value::as_u64)
                    .map(|b| b as u8)
                    .collect::<Vec<_>>(),
            )
            .into_owned(),
            _ => text(r, "MESSAGE").unwrap_or_default(),
        };
        e.action = program.clone();
        e.category = Category::System;
        if let Some(uid) = first_text(r, &["_AUDIT_LOGINUID", "_UID"]) {
            e.actor.identity = Identity {
                id: Some(format!("uid:{uid}")),
                name: None,
                kind: Some("process_owner".to_string()),
            };
        }
        super::syslog::interpret(&program, &message, e);
        e.class_uid = e.category.ocsf_class_uid();
        e.message = message;
    }
}

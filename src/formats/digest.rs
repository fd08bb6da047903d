//! CloudTrail digest files (`CloudTrail-Digest/…json.gz`): one event per digest, so that each is
//! in the case's manifest with its hash and can be found on the timeline. What they prove is
//! checked by `integrity::digest`.

use serde_json::Value;

use super::value::{get, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;
use crate::time;

pub struct CloudTrailDigest;

impl Format for CloudTrailDigest {
    fn name(&self) -> &'static str {
        "cloudtrail_digest"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        if sample.shape != Shape::Json {
            return 0;
        }
        let Some(first) = sample.first else { return 0 };
        let has = |path| get(first, path).is_some();
        if has("digestStartTime") && has("digestEndTime") && has("logFiles") {
            99
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(CloudTrailDigest)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("digestS3Object", "id"), ("digestEndTime", "time")]
    }
}

impl Normalize for CloudTrailDigest {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        let end = text(r, "digestEndTime");
        if let Some(t) = end.as_deref().and_then(time::parse_text) {
            e.time.utc_nanos = Some(t.utc_nanos);
        }
        e.time.original = end.clone();
        e.action = "CloudTrailDigest".to_string();
        e.category = Category::System;
        e.class_uid = e.category.ocsf_class_uid();
        e.outcome = Outcome::Unknown;
        e.service = Some("cloudtrail.amazonaws.com".to_string());
        let object = text(r, "digestS3Object");
        // AWSLogs/<account>/CloudTrail-Digest/<region>/…
        e.region = object
            .as_deref()
            .and_then(|o| o.split("/CloudTrail-Digest/").nth(1))
            .and_then(|rest| rest.split('/').next())
            .map(str::to_string);
        e.native_id = object.clone();
        e.target = Some(Identity {
            id: text(r, "awsAccountId"),
            name: object,
            kind: Some("cloudtrail_digest".to_string()),
        });
        let files = get(r, "logFiles")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        e.message = format!(
            "CloudTrail digest of {files} log file{} from {} to {}",
            if files == 1 { "" } else { "s" },
            text(r, "digestStartTime").unwrap_or_else(|| "?".to_string()),
            end.unwrap_or_else(|| "?".to_string()),
        );
    }
}

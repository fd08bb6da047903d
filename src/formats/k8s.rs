//! Kubernetes audit events (`audit.k8s.io/v1`, `v1beta1`, and fixtures without `apiVersion`):
//! one event per stage as written, `auditID` kept as the request id.

use serde_json::Value;

use super::value::{fill_time, first_text, get, identity, ip, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;

pub struct Kubernetes;

impl Format for Kubernetes {
    fn name(&self) -> &'static str {
        "k8s_audit"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let api = text(r, "apiVersion").unwrap_or_default();
        if api.starts_with("audit.k8s.io/") && text(r, "kind").as_deref() == Some("Event") {
            return 96;
        }
        let has = |p| get(r, p).is_some();
        if has("auditID") && has("verb") && (has("requestURI") || has("objectRef") || has("stage"))
        {
            return 92;
        }
        0
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Kubernetes)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("auditID", "request")]
    }
}

impl Normalize for Kubernetes {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(
            e,
            r,
            &["stageTimestamp", "requestReceivedTimestamp", "timestamp"],
        );
        let verb = text(r, "verb").unwrap_or_default();
        let resource = text(r, "objectRef.resource");
        let subresource = text(r, "objectRef.subresource");
        e.action = verb.clone();
        e.service = Some(match text(r, "objectRef.apiGroup") {
            Some(group) => format!("kubernetes/{group}"),
            None => "kubernetes".to_string(),
        });
        e.request_id = text(r, "auditID");
        e.native_id = match (text(r, "auditID"), text(r, "stage")) {
            (Some(id), Some(stage)) => Some(format!("{id}/{stage}")),
            (id, _) => id,
        };
        e.user_agent = text(r, "userAgent");
        e.source_ip = get(r, "sourceIPs")
            .and_then(Value::as_array)
            .and_then(|ips| ips.iter().filter_map(Value::as_str).find_map(ip));
        e.actor = Actor {
            identity: Identity {
                id: text(r, "user.uid"),
                name: text(r, "user.username"),
                kind: Some("user".to_string()),
            },
            effective: identity(
                text(r, "impersonatedUser.uid"),
                text(r, "impersonatedUser.username"),
                Some("impersonated".to_string()),
            ),
            invoked_by: None,
        };
        let name = text(r, "objectRef.name");
        let namespace = text(r, "objectRef.namespace");
        e.target = identity(
            first_text(r, &["objectRef.uid"]),
            match (&namespace, &name) {
                (Some(ns), Some(n)) => Some(format!("{ns}/{n}")),
                (None, Some(n)) => Some(n.clone()),
                (Some(ns), None) => Some(ns.clone()),
                _ => None,
            },
            match (&resource, &subresource) {
                (Some(r), Some(s)) => Some(format!("{r}/{s}")),
                (r, _) => r.clone(),
            },
        );
        let code = get(r, "responseStatus.code").and_then(Value::as_u64);
        // Annotation keys hold dots; `text` tries literal dotted keys at every level.
        let decision = text(r, "annotations.authorization.k8s.io/decision");
        e.outcome = match (code, decision.as_deref()) {
            (_, Some("forbid")) => Outcome::Failure,
            (Some(c), _) if c >= 400 => Outcome::Failure,
            (Some(_), _) => Outcome::Success,
            (None, _) => Outcome::Unknown,
        };
        if let Some(c) = code.filter(|c| *c >= 400) {
            e.error_code = Some(c.to_string());
            e.error_message =
                text(r, "responseStatus.message").or_else(|| text(r, "responseStatus.reason"));
        }
        e.category = category(&verb, resource.as_deref().unwrap_or(""));
        e.class_uid = e.category.ocsf_class_uid();
        let what = e
            .target
            .as_ref()
            .and_then(|t| {
                t.kind
                    .clone()
                    .map(|k| format!("{k} {}", t.name.clone().unwrap_or_default()))
            })
            .unwrap_or_else(|| text(r, "requestURI").unwrap_or_default());
        e.message = format!(
            "{} {} {}{}",
            e.actor.identity.name.as_deref().unwrap_or("unknown user"),
            verb,
            what.trim(),
            code.map(|c| format!(" → {c}")).unwrap_or_default()
        );
    }
}

fn category(verb: &str, resource: &str) -> Category {
    let writes = matches!(
        verb,
        "create" | "update" | "patch" | "delete" | "deletecollection"
    );
    match resource {
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" if writes => {
            Category::PermissionChange
        }
        "serviceaccounts" if writes => Category::AccountChange,
        "tokenreviews"
        | "subjectaccessreviews"
        | "selfsubjectaccessreviews"
        | "certificatesigningrequests" => Category::Authentication,
        "secrets" | "configmaps" if !writes => Category::DataAccess,
        "auditsinks"
        | "validatingwebhookconfigurations"
        | "mutatingwebhookconfigurations"
        | "namespaces"
        | "nodes"
            if writes =>
        {
            Category::ConfigurationChange
        }
        _ => Category::ApiActivity,
    }
}

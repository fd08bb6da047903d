//! SaaS audit logs: Okta System Log, GitHub audit log (JSON, and CSV through the same mapping),
//! Google Workspace Admin SDK Reports activities.

use serde_json::Value;

use super::value::{fill_time, first_text, get, identity, ip, scalar_text, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;

pub struct Okta;
pub struct GitHub;
/// GitHub's CSV export: the same fields as columns.
pub struct GitHubCsv;
pub struct Workspace;

impl Format for Okta {
    fn name(&self) -> &'static str {
        "okta"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        if has("eventType")
            && has("published")
            && (has("actor.alternateId") || has("legacyEventType") || has("uuid"))
        {
            95
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Okta)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("uuid", "id")]
    }
}

impl Normalize for Okta {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(e, r, &["published"]);
        e.action = text(r, "eventType").unwrap_or_default();
        e.service = Some("okta".to_string());
        e.native_id = text(r, "uuid");
        e.request_id = first_text(r, &["debugContext.debugData.requestId", "transaction.id"]);
        e.session_id = first_text(
            r,
            &[
                "authenticationContext.externalSessionId",
                "authenticationContext.rootSessionId",
            ],
        );
        e.source_ip = text(r, "client.ipAddress").as_deref().and_then(ip);
        e.user_agent = text(r, "client.userAgent.rawUserAgent");
        e.region = text(r, "client.geographicalContext.country");
        e.actor = Actor {
            identity: Identity {
                id: text(r, "actor.id"),
                name: first_text(r, &["actor.alternateId", "actor.displayName"]),
                kind: text(r, "actor.type"),
            },
            ..Actor::default()
        };
        e.target = get(r, "target")
            .and_then(Value::as_array)
            .and_then(|t| t.first())
            .and_then(|t| {
                identity(
                    text(t, "id"),
                    first_text(t, &["alternateId", "displayName"]),
                    text(t, "type"),
                )
            });
        let result = text(r, "outcome.result").unwrap_or_default();
        e.outcome = match result.as_str() {
            "SUCCESS" | "ALLOW" => Outcome::Success,
            "FAILURE" | "DENY" => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        if e.outcome == Outcome::Failure {
            e.error_code = text(r, "outcome.reason");
        }
        let t = e.action.as_str();
        e.category = if t.starts_with("user.session")
            || t.starts_with("user.authentication")
            || t.starts_with("user.mfa.factor.verify")
            || t.contains("sso")
        {
            Category::Authentication
        } else if t.starts_with("user.lifecycle")
            || t.starts_with("user.account")
            || t.starts_with("user.mfa")
            || t.starts_with("user.credential")
        {
            Category::AccountChange
        } else if t.contains("membership")
            || t.contains("privilege")
            || t.contains("grant")
            || t.starts_with("app.user_membership")
        {
            Category::PermissionChange
        } else if t.starts_with("policy.")
            || t.starts_with("system.")
            || t.starts_with("application.lifecycle")
        {
            Category::ConfigurationChange
        } else {
            Category::ApiActivity
        };
        e.class_uid = e.category.ocsf_class_uid();
        e.message = text(r, "displayMessage").unwrap_or_else(|| e.action.clone());
    }
}

impl Format for GitHub {
    fn name(&self) -> &'static str {
        "github_audit"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first else { return 0 };
        let has = |p| get(r, p).is_some();
        let action = text(r, "action").unwrap_or_default();
        let dotted = action.contains('.') && !action.contains(' ');
        if sample.shape == Shape::Json
            && dotted
            && has("actor")
            && (has("@timestamp") || has("created_at"))
            && (has("org") || has("repo") || has("_document_id") || has("business"))
        {
            return 88;
        }
        0
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(GitHub)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("_document_id", "id")]
    }
}

impl Format for GitHubCsv {
    fn name(&self) -> &'static str {
        "github_audit_csv"
    }

    fn reads_delimited(&self) -> bool {
        true
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let has = |c: &str| super::header_has(sample, &[c]);
        if has("action")
            && has("actor")
            && (has("created_at") || has("@timestamp"))
            && (has("org") || has("repo") || has("_document_id"))
        {
            90
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(GitHub)
    }
}

impl Normalize for GitHub {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(e, r, &["@timestamp", "created_at", "timestamp"]);
        e.action = text(r, "action").unwrap_or_default();
        e.service = Some("github".to_string());
        e.native_id = text(r, "_document_id");
        e.request_id = text(r, "request_id");
        e.source_ip = text(r, "actor_ip").as_deref().and_then(ip);
        e.user_agent = text(r, "user_agent");
        e.region = text(r, "actor_location.country_code");
        e.actor = Actor {
            identity: Identity {
                id: text(r, "actor_id"),
                name: text(r, "actor"),
                kind: Some(
                    if text(r, "actor_is_bot").as_deref() == Some("true") {
                        "bot"
                    } else {
                        "user"
                    }
                    .to_string(),
                ),
            },
            ..Actor::default()
        };
        e.target = if let Some(user) = first_text(r, &["user", "blocked_user", "invitee"]) {
            identity(text(r, "user_id"), Some(user), Some("user".to_string()))
        } else if let Some(repo) = text(r, "repo") {
            identity(
                text(r, "repo_id"),
                Some(repo),
                Some("repository".to_string()),
            )
        } else {
            identity(
                text(r, "org_id"),
                text(r, "org"),
                Some("organization".to_string()),
            )
        };
        // The audit log records actions that happened; GitHub does not log refused ones here.
        e.outcome = Outcome::Success;
        let a = e.action.as_str();
        e.category = if a.contains("add_member")
            || a.contains("remove_member")
            || a.contains("update_member")
            || a.contains("add_admin")
            || a.contains("team.")
            || a.contains("permission")
        {
            Category::PermissionChange
        } else if a.starts_with("user.") || a.contains("block_user") || a.contains("two_factor") {
            Category::AccountChange
        } else if a.starts_with("git.") || a.contains("download") {
            Category::DataAccess
        } else if a.ends_with("_disabled")
            || a.ends_with("_enabled")
            || a.contains("policy")
            || a.contains("settings")
            || a.starts_with("hook.")
        {
            Category::ConfigurationChange
        } else if a.contains("oauth") || a.contains("personal_access_token") || a.starts_with("ssh")
        {
            Category::Authentication
        } else {
            Category::ApiActivity
        };
        e.class_uid = e.category.ocsf_class_uid();
        e.message = format!(
            "{} {}{}",
            e.actor.identity.name.as_deref().unwrap_or("unknown actor"),
            e.action,
            e.target
                .as_ref()
                .and_then(|t| t.label())
                .map(|t| format!(" → {t}"))
                .unwrap_or_default()
        );
    }
}

impl Format for Workspace {
    fn name(&self) -> &'static str {
        "google_workspace"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        if text(r, "kind").as_deref() == Some("admin#reports#activity") {
            return 98;
        }
        if get(r, "id.applicationName").is_some() && get(r, "events").is_some_and(Value::is_array) {
            return 90;
        }
        0
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(Workspace)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[("id.uniqueQualifier", "id")]
    }
}

/// Workspace parameters that name what an activity acted on, most specific first.
const WORKSPACE_TARGETS: [&str; 8] = [
    "USER_EMAIL",
    "user_email",
    "doc_title",
    "GROUP_EMAIL",
    "group_email",
    "target_user",
    "APPLICATION_NAME",
    "CAA_APPLICATION",
];

impl Normalize for Workspace {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(e, r, &["id.time"]);
        e.native_id = text(r, "id.uniqueQualifier");
        e.service = text(r, "id.applicationName");
        e.source_ip = text(r, "ipAddress").as_deref().and_then(ip);
        e.region = text(r, "networkInfo.regionCode");
        e.actor = Actor {
            identity: Identity {
                id: text(r, "actor.profileId"),
                name: first_text(r, &["actor.email", "actor.key"]),
                kind: text(r, "actor.callerType").map(|k| k.to_ascii_lowercase()),
            },
            ..Actor::default()
        };
        // One activity can carry several events; the first names the activity and all are
        // listed in the message (the raw record keeps every parameter).
        let events: Vec<&Value> = get(r, "events")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let names: Vec<String> = events.iter().filter_map(|ev| text(ev, "name")).collect();
        e.action = names.first().cloned().unwrap_or_default();
        let params: Vec<(String, String)> = events
            .iter()
            .flat_map(|ev| {
                get(ev, "parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|p| {
                let name = text(&p, "name")?;
                let value = get(&p, "value").and_then(scalar_text).or_else(|| {
                    get(&p, "multiValue")
                        .and_then(Value::as_array)
                        .and_then(|m| m.first())
                        .and_then(scalar_text)
                })?;
                Some((name, value))
            })
            .collect();
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        e.target = WORKSPACE_TARGETS.iter().find_map(|k| {
            param(k).map(|v| Identity {
                id: None,
                name: Some(v),
                kind: Some(k.to_ascii_lowercase()),
            })
        });
        let lower = e.action.to_ascii_lowercase();
        e.outcome = if lower.contains("failure")
            || lower.contains("deny")
            || lower.contains("denied")
            || lower.contains("suspicious")
        {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        let app = e.service.clone().unwrap_or_default();
        e.category = match app.as_str() {
            "login" | "saml" => Category::Authentication,
            "token" => Category::PermissionChange,
            "drive" | "gmail" => Category::DataAccess,
            "admin" if lower.contains("user") && !lower.contains("role") => Category::AccountChange,
            "admin" if lower.contains("role") || lower.contains("privilege") => {
                Category::PermissionChange
            }
            "admin" => Category::ConfigurationChange,
            _ => Category::ApiActivity,
        };
        e.class_uid = e.category.ocsf_class_uid();
        e.message = format!(
            "{} {}: {}",
            e.actor.identity.label().unwrap_or("unknown actor"),
            app,
            names.join(", ")
        );
    }
}

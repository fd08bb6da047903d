//! Azure: the Activity Log (resource operations) and Entra ID audit and sign-in logs, as Azure
//! Monitor exports (`{"records":[…]}`), Graph API JSON and Log Analytics rows. Log Analytics
//! writes nested values as JSON inside strings; those are decoded before reading.

use serde_json::Value;

use super::value::{
    decoded, fill_time, first_text, get, get_decoded, identity, ip, scalar_text, text,
};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;

pub struct AzureActivity;
pub struct EntraId;

impl Format for AzureActivity {
    fn name(&self) -> &'static str {
        "azure_activity"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        let monitor =
            has("operationName") && has("resourceId") && (has("time") || has("eventTimestamp"));
        let analytics = text(r, "Type").as_deref() == Some("AzureActivity")
            || (has("OperationNameValue") && has("ActivityStatusValue"));
        if monitor || analytics {
            90
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(AzureActivity)
    }
}

impl Normalize for AzureActivity {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        fill_time(e, r, &["time", "eventTimestamp", "TimeGenerated"]);
        e.action = first_text(
            r,
            &[
                "operationName",
                "operationName.value",
                "OperationNameValue",
                "OperationName",
            ],
        )
        .unwrap_or_default();
        e.service = Some(
            e.action
                .split('/')
                .next()
                .unwrap_or("azure")
                .to_ascii_lowercase(),
        )
        .filter(|s| !s.is_empty());
        e.request_id = first_text(r, &["correlationId", "CorrelationId"]);
        e.native_id = first_text(r, &["eventDataId", "EventDataId"]);
        e.source_ip = first_text(r, &["callerIpAddress", "CallerIpAddress"])
            .as_deref()
            .and_then(ip);
        e.region = first_text(r, &["location", "Location", "RoleLocation"]);
        let claims = get_decoded(r, "identity.claims").or_else(|| get_decoded(r, "Claims"));
        let claim = |k: &str| claims.as_ref().and_then(|c| c.get(k)).and_then(scalar_text);
        let upn = claim("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn")
            .or_else(|| claim("upn"));
        e.actor = Actor {
            identity: Identity {
                id: first_text(
                    r,
                    &[
                        "identity.authorization.evidence.principalId",
                        "caller",
                        "Caller",
                    ],
                )
                .or_else(|| claim("http://schemas.microsoft.com/identity/claims/objectidentifier")),
                name: upn
                    .or_else(|| first_text(r, &["caller", "Caller"]))
                    .or_else(|| claim("name")),
                kind: first_text(r, &["identity.authorization.evidence.principalType"]),
            },
            effective: None,
            invoked_by: claim("appid").filter(|_| {
                claim("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn").is_none()
            }),
        };
        let resource = first_text(r, &["resourceId", "ResourceId", "_ResourceId"]);
        e.target = resource.map(|id| {
            let name = id.rsplit('/').next().unwrap_or(&id).to_string();
            Identity {
                name: Some(name),
                id: Some(id),
                kind: first_text(r, &["ResourceProviderValue"]),
            }
        });
        let status = first_text(
            r,
            &[
                "resultType",
                "ActivityStatusValue",
                "status.value",
                "ActivityStatus",
            ],
        )
        .unwrap_or_default();
        e.outcome = match status.to_ascii_lowercase().as_str() {
            "success" | "succeeded" => Outcome::Success,
            "failure" | "failed" => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        if e.outcome == Outcome::Failure {
            e.error_code = first_text(r, &["resultSignature", "properties.statusCode"]);
        }
        let action = e.action.to_ascii_lowercase();
        e.category = if action.contains("roleassignments")
            || action.contains("roledefinitions")
            || action.contains("policyassignments")
        {
            Category::PermissionChange
        } else if action.contains("diagnosticsettings")
            || action.ends_with("/write")
            || action.ends_with("/delete")
        {
            Category::ConfigurationChange
        } else if action.contains("listkeys") || action.ends_with("/read") {
            Category::DataAccess
        } else {
            Category::ApiActivity
        };
        e.class_uid = e.category.ocsf_class_uid();
        e.message = format!(
            "{} {} ({status})",
            e.actor.identity.label().unwrap_or("unknown caller"),
            e.action
        );
    }
}

impl Format for EntraId {
    fn name(&self) -> &'static str {
        "entra_id"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        // Exported through Azure diagnostic settings (storage account, event hub): the Azure
        // Monitor envelope, whose category names the Entra log, around the Graph record.
        if diagnostic(r).is_some() {
            return 96;
        }
        let kind = text(r, "Type").unwrap_or_default();
        if kind == "AuditLogs" || kind == "SigninLogs" || kind == "AADNonInteractiveUserSignInLogs"
        {
            return 95;
        }
        if (has("activityDisplayName") || has("ActivityDisplayName"))
            && (has("initiatedBy") || has("InitiatedBy"))
        {
            return 92;
        }
        if has("userPrincipalName") && has("createdDateTime") && has("status") {
            return 90;
        }
        0
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(EntraId)
    }
}

/// Entra ID log categories Azure diagnostic settings export.
const ENTRA_CATEGORIES: [&str; 9] = [
    "AuditLogs",
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "MicrosoftGraphActivityLogs",
    "ProvisioningLogs",
    "ADFSSignInLogs",
    "RiskyUsers",
];

/// The category and inner record of an Entra record in the Azure Monitor envelope of diagnostic
/// settings (`{"time", "category": "SignInLogs", "operationName", "resultType", "properties"}`).
fn diagnostic(r: &Value) -> Option<(&'static str, &Value)> {
    let category = text(r, "category")?;
    let known = ENTRA_CATEGORIES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(&category))?;
    let properties = r.get("properties").filter(|p| p.is_object())?;
    Some((*known, properties))
}

/// An Entra record from diagnostic settings: the inner record read as Graph's, with what only
/// the envelope says (time, result type, caller IP) filled in from it.
fn normalize_diagnostic(r: &Value, category: &str, properties: &Value, e: &mut AuditEvent) {
    if category == "MicrosoftGraphActivityLogs" {
        return graph_activity(r, properties, e);
    }
    let mut inner = properties.clone();
    if let (Some(map), Some(result)) = (inner.as_object_mut(), get(r, "resultType")) {
        map.entry("ResultType").or_insert_with(|| result.clone());
    }
    EntraId.normalize(&inner, e);
    if e.time.utc_nanos.is_none() {
        fill_time(e, r, &["time"]);
    }
    if e.source_ip.is_none() {
        e.source_ip = text(r, "callerIpAddress").as_deref().and_then(ip);
    }
    if e.actor.identity.is_empty() {
        e.actor.identity.name = text(r, "identity");
    }
}

/// Microsoft Graph activity: one API request to Graph, by a user or an application.
fn graph_activity(r: &Value, p: &Value, e: &mut AuditEvent) {
    fill_time(e, r, &["time"]);
    let method = text(p, "requestMethod").unwrap_or_default();
    let uri = text(p, "requestUri").unwrap_or_default();
    let path = uri
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(uri.as_str(), |(_, path)| path);
    e.action = format!("{method} /{}", path.split('?').next().unwrap_or(path));
    e.activity = match method.as_str() {
        "GET" | "HEAD" => crate::model::Activity::Read,
        "POST" => crate::model::Activity::Create,
        "PUT" | "PATCH" => crate::model::Activity::Update,
        "DELETE" => crate::model::Activity::Delete,
        _ => crate::model::Activity::Other,
    };
    let user = text(p, "userId");
    e.actor.identity = match user {
        Some(id) => Identity {
            id: Some(id),
            name: text(p, "userPrincipalName"),
            kind: Some("user".to_string()),
        },
        None => Identity {
            id: first_text(p, &["servicePrincipalId", "appId"]),
            name: text(p, "appId"),
            kind: Some("application".to_string()),
        },
    };
    e.source_ip = text(p, "ipAddress").as_deref().and_then(ip);
    e.user_agent = text(p, "userAgent");
    e.request_id = first_text(p, &["clientRequestId", "requestId"]);
    e.native_id = text(p, "requestId");
    e.service = Some("Microsoft Graph".to_string());
    let status = text(p, "responseStatusCode")
        .or_else(|| text(r, "resultSignature"))
        .and_then(|s| s.parse::<u16>().ok());
    e.outcome = match status {
        Some(s) if s < 400 => Outcome::Success,
        Some(_) => Outcome::Failure,
        None => Outcome::Unknown,
    };
    if e.outcome == Outcome::Failure {
        e.error_code = status.map(|s| s.to_string());
    }
    e.category = Category::ApiActivity;
    e.class_uid = e.category.ocsf_class_uid();
    e.message = format!(
        "{} {} ({})",
        e.actor.identity.label().unwrap_or("unknown"),
        e.action,
        status.map_or("no status".to_string(), |s| s.to_string())
    );
}

impl Normalize for EntraId {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        if let Some((category, properties)) = diagnostic(r) {
            return normalize_diagnostic(r, category, properties, e);
        }
        fill_time(
            e,
            r,
            &[
                "activityDateTime",
                "ActivityDateTime",
                "createdDateTime",
                "CreatedDateTime",
                "TimeGenerated",
            ],
        );
        e.service = first_text(
            r,
            &[
                "loggedByService",
                "LoggedByService",
                "appDisplayName",
                "AppDisplayName",
            ],
        );
        e.request_id = first_text(r, &["correlationId", "CorrelationId"]);
        e.native_id = first_text(r, &["id", "Id"]);
        let signin = get(r, "userPrincipalName")
            .or_else(|| get(r, "UserPrincipalName"))
            .is_some()
            && get(r, "activityDisplayName")
                .or_else(|| get(r, "ActivityDisplayName"))
                .is_none();
        if signin {
            e.action = "Sign-in".to_string();
            e.actor.identity = Identity {
                id: first_text(r, &["userId", "UserId"]),
                name: first_text(r, &["userPrincipalName", "UserPrincipalName"]),
                kind: Some("user".to_string()),
            };
            e.source_ip = first_text(r, &["ipAddress", "IPAddress"])
                .as_deref()
                .and_then(ip);
            e.target = identity(
                first_text(r, &["appId", "AppId"]),
                first_text(r, &["appDisplayName", "AppDisplayName"]),
                Some("application".to_string()),
            );
            let code = get_decoded(r, "status")
                .or_else(|| get_decoded(r, "Status"))
                .and_then(|s| s.get("errorCode").and_then(scalar_text))
                .or_else(|| first_text(r, &["ResultType"]));
            e.outcome = match code.as_deref() {
                Some("0") => Outcome::Success,
                Some(_) => Outcome::Failure,
                None => Outcome::Unknown,
            };
            if e.outcome == Outcome::Failure {
                e.error_code = code;
                e.error_message = get_decoded(r, "status")
                    .and_then(|s| s.get("failureReason").and_then(scalar_text))
                    .or_else(|| first_text(r, &["ResultDescription"]));
            }
            e.user_agent = first_text(r, &["userAgent", "UserAgent"]);
            e.session_id = first_text(r, &["sessionId", "SessionId"]);
            e.category = Category::Authentication;
        } else {
            e.action = first_text(
                r,
                &[
                    "activityDisplayName",
                    "ActivityDisplayName",
                    "OperationName",
                ],
            )
            .unwrap_or_default()
            .trim()
            .to_string();
            let by = get_decoded(r, "initiatedBy")
                .or_else(|| get_decoded(r, "InitiatedBy"))
                .unwrap_or(Value::Null);
            let user = by.get("user").filter(|u| !u.is_null());
            let app = by.get("app").filter(|a| !a.is_null());
            e.actor = match (user, app) {
                (Some(u), _) => Actor {
                    identity: Identity {
                        id: text(u, "id"),
                        name: first_text(u, &["userPrincipalName", "displayName"]),
                        kind: Some("user".to_string()),
                    },
                    ..Actor::default()
                },
                (None, Some(a)) => Actor {
                    identity: Identity {
                        id: first_text(a, &["servicePrincipalId", "appId"]),
                        name: text(a, "displayName"),
                        kind: Some("application".to_string()),
                    },
                    ..Actor::default()
                },
                _ => Actor::default(),
            };
            e.source_ip = user
                .and_then(|u| text(u, "ipAddress"))
                .as_deref()
                .and_then(ip);
            let targets = get(r, "targetResources")
                .or_else(|| get(r, "TargetResources"))
                .map(|v| decoded(v).into_owned());
            e.target = targets
                .as_ref()
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|t| {
                    identity(
                        text(t, "id"),
                        first_text(t, &["userPrincipalName", "displayName"]),
                        first_text(t, &["type", "Type"]),
                    )
                });
            e.outcome = super::guess::outcome_from_text(
                &first_text(r, &["result", "Result"]).unwrap_or_default(),
            );
            if e.outcome == Outcome::Failure {
                e.error_message =
                    first_text(r, &["resultReason", "ResultReason", "ResultDescription"]);
            }
            e.user_agent = first_text(r, &["UserAgent"]);
            let cat = first_text(r, &["category", "Category"]).unwrap_or_default();
            let action = e.action.to_ascii_lowercase();
            e.category = if action.contains("member to role")
                || action.contains("member from role")
                || action.contains("member to group")
                || action.contains("member from group")
                || action.contains("role")
                || action.contains("permission")
                || action.contains("consent")
            {
                Category::PermissionChange
            } else if cat == "UserManagement"
                || action.contains("user")
                || action.contains("password")
            {
                Category::AccountChange
            } else if cat == "ApplicationManagement"
                || cat == "Policy"
                || action.contains("policy")
                || action.contains("update")
            {
                Category::ConfigurationChange
            } else {
                Category::ApiActivity
            };
        }
        e.class_uid = e.category.ocsf_class_uid();
        e.message = format!(
            "{} {}{}",
            e.actor.identity.label().unwrap_or("unknown"),
            e.action,
            e.target
                .as_ref()
                .and_then(|t| t.label())
                .map(|t| format!(" → {t}"))
                .unwrap_or_default()
        );
    }
}

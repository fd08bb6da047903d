//! Microsoft 365 Unified Audit Log: `AuditData` JSON lines (Search-UnifiedAuditLog, the
//! Management Activity API), Log Analytics `OfficeActivity` rows, and the CSV export of the
//! compliance portal whose `AuditData` column holds the record as JSON.

use serde_json::Value;

use super::value::{first_text, get, identity, ip, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;

pub struct M365;
pub struct M365Csv;

impl Format for M365 {
    fn name(&self) -> &'static str {
        "m365_ual"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        let Some(r) = sample.first.filter(|_| sample.shape == Shape::Json) else {
            return 0;
        };
        let has = |p| get(r, p).is_some();
        if has("Operation")
            && (has("Workload") || has("OfficeWorkload") || has("RecordType"))
            && (has("CreationTime") || has("TimeGenerated"))
        {
            92
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(M365)
    }
}

impl Format for M365Csv {
    fn name(&self) -> &'static str {
        "m365_ual_csv"
    }

    fn reads_delimited(&self) -> bool {
        true
    }

    fn detect(&self, sample: &Sample) -> u8 {
        if super::header_has(sample, &["AuditData"]) {
            95
        } else {
            0
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(M365)
    }
}

impl Normalize for M365 {
    fn normalize(&self, row: &Value, e: &mut AuditEvent) {
        // A CSV row carries the record as JSON in `AuditData`; its own columns are a summary.
        let parsed = text(row, "AuditData").and_then(|a| serde_json::from_str::<Value>(&a).ok());
        let r = parsed.as_ref().unwrap_or(row);
        let time_text = first_text(r, &["CreationTime", "TimeGenerated"])
            .or_else(|| first_text(row, &["CreationDate"]));
        e.time.original = time_text.clone();
        // UAL times are UTC by definition, written without a zone.
        if let Some(t) = time_text.as_deref().and_then(crate::time::parse_text) {
            e.time.utc_nanos = Some(t.utc_nanos);
        }
        e.action = first_text(r, &["Operation"])
            .or_else(|| text(row, "Operations"))
            .unwrap_or_default();
        e.code = first_text(r, &["RecordType"]);
        e.service = first_text(r, &["Workload", "OfficeWorkload"]);
        e.native_id = first_text(r, &["Id", "OfficeId"]);
        e.session_id = first_text(r, &["SessionId", "AppAccessContext.AADSessionId"]);
        e.request_id = first_text(r, &["AppAccessContext.UniqueTokenId", "CorrelationId"]);
        e.source_ip = first_text(
            r,
            &[
                "ClientIP",
                "ClientIPAddress",
                "Client_IPAddress",
                "ActorIpAddress",
            ],
        )
        .as_deref()
        .and_then(ip);
        e.user_agent = first_text(r, &["UserAgent"]).or_else(|| extended(r, "UserAgent"));
        e.actor = Actor {
            identity: Identity {
                id: first_text(r, &["UserKey"]),
                name: first_text(r, &["UserId", "UserId_"]).or_else(|| text(row, "UserIds")),
                kind: first_text(r, &["UserType"]).map(user_type),
            },
            ..Actor::default()
        };
        e.target = identity(
            None,
            first_text(
                r,
                &[
                    "ObjectId",
                    "MailboxOwnerUPN",
                    "ObjectName",
                    "OfficeObjectId",
                ],
            ),
            first_text(r, &["ItemType"]),
        );
        let status = first_text(r, &["ResultStatus"]).unwrap_or_default();
        let logon_error = first_text(r, &["LogonError"]);
        // The operation's own name and a logon error outrank ResultStatus: Azure AD writes
        // UserLoginFailed with ResultStatus "Success" (the record was logged successfully).
        e.outcome = match status.as_str() {
            _ if e.action == "UserLoginFailed" => Outcome::Failure,
            _ if logon_error.is_some() && e.action.starts_with("UserLog") => Outcome::Failure,
            "Succeeded" | "Success" | "True" | "PartiallySucceeded" => Outcome::Success,
            "Failed" | "Failure" | "False" => Outcome::Failure,
            _ if e.action == "UserLoggedIn" => Outcome::Success,
            _ => Outcome::Unknown,
        };
        if e.outcome == Outcome::Failure {
            e.error_code = logon_error.or_else(|| first_text(r, &["ErrorNumber"]));
            e.error_message = extended(r, "ResultStatusDetail");
        }
        let a = e.action.as_str();
        e.category = if a == "UserLoggedIn" || a == "UserLoginFailed" || a.contains("SignIn") {
            Category::Authentication
        } else if a.starts_with("Add member to")
            || a.starts_with("Remove member from")
            || a.contains("-MailboxPermission")
            || a.contains("-RoleGroupMember")
            || a.contains("Permission")
        {
            Category::PermissionChange
        } else if a.starts_with("Add user")
            || a.starts_with("Delete user")
            || a.starts_with("Update user")
            || a.contains("password")
        {
            Category::AccountChange
        } else if a.contains("Accessed")
            || a.contains("Downloaded")
            || a.contains("Viewed")
            || a == "Send"
            || a.contains("Search")
        {
            Category::DataAccess
        } else if a.starts_with("Set-")
            || a.starts_with("New-")
            || a.starts_with("Remove-")
            || a.starts_with("Enable-")
            || a.starts_with("Disable-")
            || a.starts_with("Install-")
        {
            Category::ConfigurationChange
        } else {
            Category::ApiActivity
        };
        e.class_uid = e.category.ocsf_class_uid();
        e.message = format!(
            "{} {} in {}{}",
            e.actor.identity.label().unwrap_or("unknown user"),
            e.action,
            e.service.as_deref().unwrap_or("Microsoft 365"),
            e.target
                .as_ref()
                .and_then(|t| t.label())
                .map(|t| format!(" on {t}"))
                .unwrap_or_default()
        );
    }
}

/// A value from `ExtendedProperties`, a list of `{Name, Value}`.
fn extended(r: &Value, name: &str) -> Option<String> {
    get(r, "ExtendedProperties")?
        .as_array()?
        .iter()
        .find(|p| text(p, "Name").as_deref() == Some(name))
        .and_then(|p| text(p, "Value"))
}

/// The UAL `UserType` enumeration.
fn user_type(code: String) -> String {
    match code.as_str() {
        "0" => "Regular",
        "1" => "Reserved",
        "2" => "Admin",
        "3" => "DcAdmin",
        "4" => "System",
        "5" => "Application",
        "6" => "ServicePrincipal",
        "7" => "CustomPolicy",
        "8" => "SystemPolicy",
        _ => return code,
    }
    .to_string()
}

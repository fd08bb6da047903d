//! AWS CloudTrail: management, data and console sign-in events, in every delivery shape
//! (`{"Records":[…]}`, bare arrays, JSON lines, Logstash-flattened lines with `@timestamp`).

use serde_json::Value;

use super::value::{first_text, get, scalar_text, text};
use super::{Format, FormatOptions, Normalize, Sample};
use crate::model::event::{Actor, AuditEvent, Category, Identity, Outcome};
use crate::record::Shape;
use crate::time;

pub struct CloudTrail;

impl Format for CloudTrail {
    fn name(&self) -> &'static str {
        "cloudtrail"
    }

    fn detect(&self, sample: &Sample) -> u8 {
        if sample.shape != Shape::Json {
            return 0;
        }
        let Some(first) = sample.first else { return 0 };
        let has = |path| get(first, path).is_some();
        match (
            has("eventSource"),
            has("eventName"),
            has("eventVersion"),
            has("userIdentity"),
        ) {
            (true, true, true, _) => 95,
            (true, true, _, true) => 90,
            (true, true, _, _) if has("eventTime") || has("@timestamp") => 70,
            _ => 0,
        }
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(CloudTrail)
    }

    fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("eventID", "id"),
            ("requestID", "request"),
            ("userIdentity.accessKeyId", "session"),
            ("eventTime", "time"),
        ]
    }
}

impl Normalize for CloudTrail {
    fn normalize(&self, r: &Value, e: &mut AuditEvent) {
        let time_text = first_text(r, &["eventTime", "@timestamp"]);
        if let Some(t) = time_text.as_deref().and_then(time::parse_text) {
            e.time.utc_nanos = Some(t.utc_nanos);
        }
        e.time.original = time_text;
        e.action = text(r, "eventName").unwrap_or_default();
        e.service = text(r, "eventSource");
        e.region = text(r, "awsRegion");
        e.user_agent = text(r, "userAgent");
        e.request_id = text(r, "requestID");
        e.native_id = text(r, "eventID");
        e.error_code = text(r, "errorCode");
        e.error_message = text(r, "errorMessage");
        e.outcome = outcome(r, e.error_code.is_some());
        e.actor = actor(r);
        e.session_id = text(r, "userIdentity.accessKeyId");
        match text(r, "sourceIPAddress") {
            Some(ip) if looks_like_ip(&ip) => e.source_ip = Some(ip),
            Some(service) if e.actor.invoked_by.is_none() => e.actor.invoked_by = Some(service),
            _ => {}
        }
        e.target = target(r);
        e.category = category(&e.action, e.service.as_deref().unwrap_or(""), read_only(r));
        e.class_uid = e.category.ocsf_class_uid();
        e.message = message(e);
    }
}

fn outcome(r: &Value, has_error: bool) -> Outcome {
    if let Some(console) = text(r, "responseElements.ConsoleLogin") {
        return super::guess::outcome_from_text(&console);
    }
    if has_error {
        Outcome::Failure
    } else {
        // CloudTrail writes errorCode for every failed call, so its absence means success.
        Outcome::Success
    }
}

fn read_only(r: &Value) -> Option<bool> {
    match get(r, "readOnly")? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn actor(r: &Value) -> Actor {
    let kind = text(r, "userIdentity.type");
    let arn = text(r, "userIdentity.arn");
    let issuer = Identity {
        id: text(r, "userIdentity.sessionContext.sessionIssuer.arn"),
        name: text(r, "userIdentity.sessionContext.sessionIssuer.userName"),
        kind: text(r, "userIdentity.sessionContext.sessionIssuer.type"),
    };
    let name = match kind.as_deref() {
        // The session name after the role names the person or workload behind the role.
        Some("AssumedRole") | Some("FederatedUser") => arn.as_deref().and_then(session_name),
        Some("Root") => {
            Some(text(r, "userIdentity.userName").unwrap_or_else(|| "root".to_string()))
        }
        Some("AWSService") => text(r, "userIdentity.invokedBy"),
        Some("AWSAccount") => text(r, "userIdentity.accountId"),
        _ => None,
    }
    .or_else(|| {
        first_text(
            r,
            &[
                "userIdentity.userName",
                "userIdentity.onBehalfOf.userId",
                "userIdentity.principalId",
            ],
        )
    });
    Actor {
        identity: Identity {
            id: arn.or_else(|| text(r, "userIdentity.principalId")),
            name,
            kind,
        },
        effective: (!issuer.is_empty()).then_some(issuer),
        invoked_by: text(r, "userIdentity.invokedBy"),
    }
}

/// `arn:aws:sts::1:assumed-role/Role/session` → `Role/session`.
fn session_name(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.splitn(2, '/');
    parts.next()?;
    parts.next().map(str::to_string)
}

fn looks_like_ip(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    // Anonymized samples write octets with leading zeros (`225.01.00.16`), which std rejects.
    let octets: Vec<&str> = s.split('.').collect();
    octets.len() == 4
        && octets
            .iter()
            .all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
}

/// Request parameters that name what an API call acted on, most specific first.
const TARGET_KEYS: [(&str, &str); 22] = [
    ("requestParameters.userName", "user"),
    ("requestParameters.roleName", "role"),
    ("requestParameters.groupName", "group"),
    ("requestParameters.policyArn", "policy"),
    ("requestParameters.bucketName", "bucket"),
    ("requestParameters.trailName", "trail"),
    ("requestParameters.secretId", "secret"),
    ("requestParameters.functionName", "function"),
    ("requestParameters.layerName", "layer"),
    ("requestParameters.keyId", "key"),
    ("requestParameters.snapshotId", "snapshot"),
    ("requestParameters.imageId", "image"),
    ("requestParameters.dBSnapshotIdentifier", "db_snapshot"),
    ("requestParameters.instanceId", "instance"),
    (
        "requestParameters.instancesSet.items.instanceId",
        "instance",
    ),
    ("requestParameters.groupId", "security_group"),
    ("requestParameters.flowLogIds.item", "flow_log"),
    ("requestParameters.name", "resource"),
    ("requestParameters.roleArn", "role"),
    ("requestParameters.modelId", "model"),
    ("requestParameters.target", "resource"),
    ("requestParameters.resourceArn", "resource"),
];

fn target(r: &Value) -> Option<Identity> {
    for (path, kind) in TARGET_KEYS {
        if let Some(name) = first_scalar(r, path) {
            return Some(Identity {
                id: None,
                name: Some(name),
                kind: Some(kind.to_string()),
            });
        }
    }
    let first = get(r, "resources")?.as_array()?.first()?;
    let arn = first_text(first, &["ARN", "arn"]);
    let kind = first_text(first, &["type"]);
    let name = arn
        .as_deref()
        .map(|a| a.rsplit(['/', ':']).next().unwrap_or(a).to_string());
    arn.is_some().then_some(Identity {
        id: arn,
        name,
        kind,
    })
}

/// The first scalar at `path`, looking through arrays on the way.
fn first_scalar(v: &Value, path: &str) -> Option<String> {
    if let Some(found) = get(v, path) {
        return match found {
            Value::Array(items) => items.iter().find_map(scalar_text),
            other => scalar_text(other),
        };
    }
    let (head, tail) = path.split_once('.')?;
    match v.get(head)? {
        Value::Array(items) => items.iter().find_map(|i| first_scalar(i, tail)),
        inner => first_scalar(inner, tail),
    }
}

fn category(action: &str, service: &str, read_only: Option<bool>) -> Category {
    const AUTH: [&str; 9] = [
        "ConsoleLogin",
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "GetSessionToken",
        "GetFederationToken",
        "SwitchRole",
        "CheckMfa",
        "ExternalIdPDirectoryLogin",
    ];
    const ACCOUNT: [&str; 16] = [
        "CreateUser",
        "DeleteUser",
        "UpdateUser",
        "CreateAccessKey",
        "DeleteAccessKey",
        "UpdateAccessKey",
        "CreateLoginProfile",
        "UpdateLoginProfile",
        "DeleteLoginProfile",
        "ChangePassword",
        "EnableMFADevice",
        "DeactivateMFADevice",
        "CreateVirtualMFADevice",
        "DeleteVirtualMFADevice",
        "ResetServiceSpecificCredential",
        "CreateServiceSpecificCredential",
    ];
    const DATA: [&str; 10] = [
        "GetSecretValue",
        "BatchGetSecretValue",
        "GetParameter",
        "GetParameters",
        "GetParametersByPath",
        "GetObject",
        "GetPasswordData",
        "Decrypt",
        "InvokeModel",
        "InvokeModelWithResponseStream",
    ];
    if AUTH.contains(&action) || service == "signin.amazonaws.com" {
        return Category::Authentication;
    }
    if ACCOUNT.contains(&action) {
        return Category::AccountChange;
    }
    let permission = action.contains("Policy")
        || action.ends_with("Acl")
        || matches!(
            action,
            "AddUserToGroup"
                | "RemoveUserFromGroup"
                | "CreateRole"
                | "DeleteRole"
                | "CreateGroup"
                | "DeleteGroup"
        )
        || action.starts_with("ModifySnapshotAttribute")
        || action.starts_with("ModifyImageAttribute")
        || action == "ModifyDBSnapshotAttribute"
        || action == "UpdateAssumeRolePolicy"
        || action.starts_with("AuthorizeSecurityGroup")
        || action.starts_with("RevokeSecurityGroup");
    if permission {
        return Category::PermissionChange;
    }
    if DATA.contains(&action) {
        return Category::DataAccess;
    }
    const MUTATING: [&str; 16] = [
        "Create",
        "Delete",
        "Update",
        "Put",
        "Modify",
        "Stop",
        "Start",
        "Attach",
        "Detach",
        "Set",
        "Enable",
        "Disable",
        "Run",
        "Terminate",
        "Leave",
        "Send",
    ];
    let mutating = read_only
        .map(|r| !r)
        .unwrap_or_else(|| MUTATING.iter().any(|p| action.starts_with(p)));
    if mutating {
        Category::ConfigurationChange
    } else {
        Category::ApiActivity
    }
}

fn message(e: &AuditEvent) -> String {
    let who = e.actor.identity.label().unwrap_or("unknown actor");
    let mut m = format!(
        "{who} called {}",
        if e.action.is_empty() { "?" } else { &e.action }
    );
    if let Some(service) = &e.service {
        m.push_str(" on ");
        m.push_str(service);
    }
    if let Some(target) = e.target.as_ref().and_then(Identity::label) {
        m.push_str(" for ");
        m.push_str(target);
    }
    if let Some(ip) = &e.source_ip {
        m.push_str(" from ");
        m.push_str(ip);
    }
    if e.outcome == Outcome::Failure {
        m.push_str(": failed");
        if let Some(code) = &e.error_code {
            m.push_str(" (");
            m.push_str(code);
            m.push(')');
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn normalize(r: Value) -> AuditEvent {
        let mut e = AuditEvent::default();
        CloudTrail.normalize(&r, &mut e);
        e
    }

    #[test]
    fn assumed_role_names_the_session_and_the_role() {
        let e = normalize(json!({
            "eventTime": "2024-08-01T12:19:16Z", "eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Admin/alice",
                "accessKeyId": "ASIA1",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::1:role/Admin", "userName": "Admin"}}},
            "requestParameters": {"name": "main-trail"}, "sourceIPAddress": "1.2.3.4", "readOnly": false
        }));
        assert_eq!(e.actor.identity.name.as_deref(), Some("Admin/alice"));
        assert_eq!(e.actor.effective.unwrap().name.as_deref(), Some("Admin"));
        assert_eq!(e.target.unwrap().name.as_deref(), Some("main-trail"));
        assert_eq!(e.session_id.as_deref(), Some("ASIA1"));
        assert_eq!(e.category, Category::ConfigurationChange);
        assert_eq!(e.outcome, Outcome::Success);
    }

    #[test]
    fn console_login_outcome_comes_from_the_response() {
        let e = normalize(
            json!({"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com",
            "responseElements": {"ConsoleLogin": "Failure"}, "errorMessage": "Failed authentication"}),
        );
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.category, Category::Authentication);
        assert!(e.time.utc_nanos.is_none());
    }

    #[test]
    fn service_callers_are_not_ips() {
        let e = normalize(
            json!({"eventName": "Decrypt", "sourceIPAddress": "ec2.amazonaws.com",
            "userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "errorCode": "AccessDenied"}),
        );
        assert_eq!(e.source_ip, None);
        assert_eq!(e.actor.identity.name.as_deref(), Some("ec2.amazonaws.com"));
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.category, Category::DataAccess);
    }
}

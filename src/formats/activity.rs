//! Each source's names for what happened, mapped onto the one activity vocabulary
//! ([`Activity`]): `logon` whether Windows wrote 4624, sshd "Accepted password", Okta
//! `user.session.start` or AWS `ConsoleLogin`. One table per format, read after the format's
//! normalizer has settled `action` (and outcome: a failed logon is `logon` + `failure`).
//!
//! Names a table does not list fall back to the verb the name starts or ends with (`Create…`,
//! `…/delete`, `repo.destroy`), so a new API call of a known service still reads as create, read,
//! update or delete. docs/formats.md shows the tables.

use serde_json::Value;

use crate::model::{Activity, AuditEvent};
use Activity::*;

/// The activity of a normalized event of any format.
pub fn classify(event: &AuditEvent, record: &Value) -> Activity {
    let action = event.action.as_str();
    let found = by_format(event.format.as_str(), action, record);
    found.or_else(|| verb(action)).unwrap_or(Other)
}

/// An OCSF record's source, as the format whose table names its actions: the format Sightline
/// exported it from (`metadata.log_name`), or the product that logged it.
fn ocsf_source(record: &Value) -> &'static str {
    let text = |p: &str| {
        crate::formats::value::get(record, p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let log = text("metadata.log_name");
    let product = text("metadata.product.name");
    match (log.as_str(), product.as_str()) {
        ("cloudtrail", _) | (_, "cloudtrail") => "cloudtrail",
        ("okta", _) | (_, "okta") => "okta",
        ("evtx" | "windows_json", _) | (_, "microsoft windows") => "windows_json",
        _ => "",
    }
}

fn by_format(format: &str, action: &str, record: &Value) -> Option<Activity> {
    match format {
        "cloudtrail" => cloudtrail(action),
        "evtx" | "windows_json" => windows(action),
        "auditd" => auditd(action),
        "syslog" | "journald" => syslog(action),
        "okta" => okta(action),
        "google_workspace" => workspace(action),
        "github_audit" | "github_audit_csv" => github(action),
        "m365_ual" | "m365_ual_csv" => m365(action),
        "entra_id" => entra(action, record),
        "azure_activity" => azure(action),
        "gcp_audit" => gcp(action),
        "k8s_audit" => k8s(action, record),
        "json" | "csv" => generic(action),
        "ecs" => super::ecs::activity(record),
        "ocsf" => match ocsf_source(record) {
            "" => None,
            source => by_format(source, action, record),
        },
        _ => None,
    }
}

/// The activity a leading or trailing verb says: `CreateUser`, `repo.destroy`, `…/WRITE`.
pub fn verb(name: &str) -> Option<Activity> {
    let words = words(name);
    for word in [words.first(), words.last()].into_iter().flatten() {
        if let Some(found) = verb_word(word) {
            return Some(found);
        }
    }
    None
}

fn verb_word(word: &str) -> Option<Activity> {
    Some(match word {
        "create" | "add" | "put" | "insert" | "new" | "register" | "upload" | "run" | "import"
        | "created" | "added" => Create,
        "get" | "list" | "describe" | "read" | "view" | "download" | "search" | "lookup"
        | "head" | "query" | "export" | "clone" | "fetch" | "select" | "watch" | "accessed"
        | "viewed" | "downloaded" => Read,
        "update" | "modify" | "set" | "patch" | "change" | "edit" | "replace" | "rename"
        | "move" | "write" | "updated" | "modified" | "changed" | "enable" | "disable"
        | "attach" | "detach" => Update,
        "delete" | "remove" | "destroy" | "terminate" | "drop" | "purge" | "deleted"
        | "removed" | "destroyed" => Delete,
        "login" | "logon" | "signin" => Logon,
        "logout" | "logoff" | "signout" => Logoff,
        _ => return None,
    })
}

/// Lowercase words of a name in any convention: camel case, snake case, dots, slashes, spaces.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn cloudtrail(action: &str) -> Option<Activity> {
    Some(match action {
        "ConsoleLogin" => Logon,
        "CheckMfa" => Mfa,
        "SwitchRole"
        | "AssumeRole"
        | "AssumeRoleWithSAML"
        | "AssumeRoleWithWebIdentity"
        | "AssumeRoot"
        | "GetFederationToken"
        | "GetSessionToken" => AssumeIdentity,
        "CreateUser" => AccountCreate,
        "DeleteUser" => AccountDelete,
        "ChangePassword" => PasswordChange,
        "CreateLoginProfile" | "UpdateLoginProfile" => PasswordReset,
        "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" | "PutUserPolicy"
        | "PutRolePolicy" | "PutGroupPolicy" => PolicyAttach,
        "DetachUserPolicy" | "DetachRolePolicy" | "DetachGroupPolicy" | "DeleteUserPolicy"
        | "DeleteRolePolicy" | "DeleteGroupPolicy" => PolicyDetach,
        "AddUserToGroup" => GroupAddMember,
        "RemoveUserFromGroup" => GroupRemoveMember,
        "CreateGroup" => GroupCreate,
        "DeleteGroup" => GroupDelete,
        "CreateAccessKey"
        | "CreateServiceSpecificCredential"
        | "UploadSSHPublicKey"
        | "UploadSigningCertificate"
        | "CreateLoginProfileWithPassword" => CredentialCreate,
        "DeleteAccessKey"
        | "DeleteServiceSpecificCredential"
        | "DeleteSSHPublicKey"
        | "DeleteSigningCertificate"
        | "DeleteLoginProfile" => CredentialDelete,
        "EnableMFADevice" | "CreateVirtualMFADevice" => MfaEnable,
        "DeactivateMFADevice" | "DeleteVirtualMFADevice" => MfaDisable,
        "StartLogging" => LoggingStart,
        "StopLogging"
        | "DeleteTrail"
        | "StopEventDataStoreIngestion"
        | "DeleteEventDataStore"
        | "DeleteFlowLogs"
        | "DeleteResolverQueryLogConfig"
        | "DeleteDetector" => LoggingStop,
        "UpdateTrail"
        | "PutEventSelectors"
        | "PutInsightSelectors"
        | "UpdateEventDataStore"
        | "PutBucketLogging"
        | "CreateTrail" => LoggingConfigure,
        "DeleteLogGroup" | "DeleteLogStream" => LoggingClear,
        "RunInstances" => Create,
        "TerminateInstances" => Delete,
        "StartInstances" | "StopInstances" | "RebootInstances" => Update,
        _ => return None,
    })
}

fn windows(action: &str) -> Option<Activity> {
    Some(match action {
        "logon"
        | "rdp_logon"
        | "ntlm_credential_validation"
        | "cached_interactive"
        | "kerberos_preauth_failed" => Logon,
        "logoff" | "logoff_user_initiated" => Logoff,
        "logon_explicit_credentials" => AssumeIdentity,
        "kerberos_tgt_request" | "kerberos_service_ticket" => Ticket,
        "user_created" => AccountCreate,
        "user_deleted" => AccountDelete,
        "user_enabled" => AccountEnable,
        "user_disabled" => AccountDisable,
        "user_locked_out" => AccountLock,
        "user_unlocked" => AccountUnlock,
        "password_change" => PasswordChange,
        "password_reset" => PasswordReset,
        "group_created" => GroupCreate,
        "group_deleted" => GroupDelete,
        "group_member_added" => GroupAddMember,
        "group_member_removed" => GroupRemoveMember,
        "log_cleared" | "security_log_cleared" => LoggingClear,
        "event_logging_shut_down" => LoggingStop,
        "audit_policy_changed" | "object_audit_settings_changed" => LoggingConfigure,
        "process_create" => ProcessStart,
        "service_installed" => ServiceInstall,
        "system_startup" => SystemStart,
        "system_shutdown" => SystemStop,
        "file_create" | "scheduled_task_created" | "file_stream_create" => Create,
        "file_delete" | "scheduled_task_deleted" => Delete,
        "registry_change"
        | "user_changed"
        | "group_changed"
        | "scheduled_task_updated"
        | "system_time_changed"
        | "firewall_filter_changed" => Update,
        "network_share_access"
        | "object_access"
        | "directory_object_operation"
        | "group_membership_enumerated"
        | "process_access" => Read,
        _ => return None,
    })
}

fn auditd(action: &str) -> Option<Activity> {
    Some(match action {
        "USER_LOGIN" => Logon,
        "USER_LOGOUT" => Logoff,
        "ADD_USER" => AccountCreate,
        "DEL_USER" => AccountDelete,
        "ADD_GROUP" => GroupCreate,
        "DEL_GROUP" => GroupDelete,
        "USER_CHAUTHTOK" => PasswordChange,
        "ACCT_LOCK" => AccountLock,
        "ACCT_UNLOCK" => AccountUnlock,
        "USER_ROLE_CHANGE" | "ROLE_ASSIGN" => PrivilegeGrant,
        "ROLE_REMOVE" => PrivilegeRevoke,
        "USER_MGMT" | "GRP_MGMT" => Update,
        "CONFIG_CHANGE" | "DAEMON_CONFIG" => LoggingConfigure,
        "DAEMON_START" | "DAEMON_RESUME" => LoggingStart,
        "DAEMON_END" | "DAEMON_ABORT" => LoggingStop,
        "SYSTEM_BOOT" => SystemStart,
        "SYSTEM_SHUTDOWN" => SystemStop,
        "EXECVE" | "execve" | "execveat" => ProcessStart,
        "USER_CMD" => AssumeIdentity,
        _ => return None,
    })
}

fn syslog(action: &str) -> Option<Activity> {
    Some(match action {
        "login" => Logon,
        "session_close" => Logoff,
        "sudo" | "su" => AssumeIdentity,
        "useradd" => AccountCreate,
        "userdel" => AccountDelete,
        "passwd" => PasswordChange,
        "groupadd" => GroupCreate,
        "groupdel" => GroupDelete,
        "group_add_member" => GroupAddMember,
        // Opened sessions follow the logon line (sshd) or are jobs (cron), never a logon alone.
        "session_open" | "connect" | "disconnect" => Other,
        _ => return None,
    })
}

fn okta(action: &str) -> Option<Activity> {
    let exact = match action {
        "user.session.start"
        | "user.authentication.sso"
        | "user.authentication.auth_via_IDP"
        | "user.authentication.auth_via_social"
        | "user.authentication.auth_via_radius"
        | "user.authentication.auth" => Some(Logon),
        "user.session.end" => Some(Logoff),
        "user.account.lock" | "user.account.lock.limit" => Some(AccountLock),
        "user.account.update_password" => Some(PasswordChange),
        "user.account.reset_password"
        | "user.account.reset_password_by_admin"
        | "user.account.expire_password" => Some(PasswordReset),
        "user.lifecycle.create" => Some(AccountCreate),
        "user.lifecycle.activate" | "user.lifecycle.reactivate" | "user.lifecycle.unsuspend" => {
            Some(AccountEnable)
        }
        "user.lifecycle.deactivate" | "user.lifecycle.suspend" => Some(AccountDisable),
        "group.user_membership.add" | "application.user_membership.add" => Some(GroupAddMember),
        "group.user_membership.remove" | "application.user_membership.remove" => {
            Some(GroupRemoveMember)
        }
        "group.lifecycle.create" => Some(GroupCreate),
        "group.lifecycle.delete" => Some(GroupDelete),
        "user.account.privilege.grant" | "group.privilege.grant" => Some(PrivilegeGrant),
        "user.account.privilege.revoke" | "group.privilege.revoke" => Some(PrivilegeRevoke),
        "system.api_token.create" | "app.oauth2.client.secret.create" => Some(CredentialCreate),
        "system.api_token.revoke" | "app.oauth2.client.secret.delete" => Some(CredentialDelete),
        "user.mfa.factor.activate" | "system.mfa.factor.activate" => Some(MfaEnable),
        "user.mfa.factor.deactivate"
        | "user.mfa.factor.reset_all"
        | "system.mfa.factor.deactivate" => Some(MfaDisable),
        _ => None,
    };
    exact.or_else(|| {
        if action.starts_with("user.account.unlock") {
            Some(AccountUnlock)
        } else if action.starts_with("user.lifecycle.delete") {
            Some(AccountDelete)
        } else if action.starts_with("user.authentication.auth_via_mfa")
            || action.starts_with("user.authentication.verify")
            || action.starts_with("user.mfa.okta_verify")
        {
            Some(Mfa)
        } else {
            None
        }
    })
}

fn workspace(action: &str) -> Option<Activity> {
    Some(match action {
        "login_success"
        | "login_failure"
        | "login_verification"
        | "CHROME_OS_LOGIN_EVENT"
        | "CHROME_OS_LOGIN_FAILURE_EVENT" => Logon,
        "logout" | "CHROME_OS_LOGOUT_EVENT" => Logoff,
        "login_challenge" => Mfa,
        "2sv_enroll" => MfaEnable,
        "2sv_disable" => MfaDisable,
        "password_change" => PasswordChange,
        "CHANGE_PASSWORD" | "RESET_PASSWORD" => PasswordReset,
        "CREATE_USER" | "CHROME_OS_ADD_USER" => AccountCreate,
        "DELETE_USER" | "CHROME_OS_REMOVE_USER" => AccountDelete,
        "SUSPEND_USER" => AccountDisable,
        "UNSUSPEND_USER" => AccountEnable,
        "ASSIGN_ROLE" | "GRANT_ADMIN_PRIVILEGE" | "GRANT_DELEGATED_ADMIN_PRIVILEGES" => {
            PrivilegeGrant
        }
        "UNASSIGN_ROLE" | "REVOKE_ADMIN_PRIVILEGE" => PrivilegeRevoke,
        "ADD_GROUP_MEMBER" | "add_user" => GroupAddMember,
        "REMOVE_GROUP_MEMBER" | "remove_user" => GroupRemoveMember,
        "CREATE_GROUP" | "create_group" => GroupCreate,
        "DELETE_GROUP" | "delete_group" => GroupDelete,
        _ => return None,
    })
}

fn github(action: &str) -> Option<Activity> {
    Some(match action {
        "user.login" => Logon,
        "user.logout" => Logoff,
        "org.add_member" | "team.add_member" | "repo.add_member" | "business.add_member" => {
            GroupAddMember
        }
        "org.remove_member"
        | "team.remove_member"
        | "repo.remove_member"
        | "business.remove_member" => GroupRemoveMember,
        "team.create" => GroupCreate,
        "team.destroy" => GroupDelete,
        "business.add_admin"
        | "org.add_billing_manager"
        | "team.promote_maintainer"
        | "org.update_member"
        | "repo.update_member"
        | "team.update_repository_permission" => PrivilegeGrant,
        "business.remove_admin" | "org.remove_billing_manager" | "team.demote_maintainer" => {
            PrivilegeRevoke
        }
        "personal_access_token.access_granted"
        | "oauth_access.create"
        | "public_key.create"
        | "deploy_key.create"
        | "oauth_authorization.create" => CredentialCreate,
        "oauth_access.destroy"
        | "public_key.delete"
        | "deploy_key.delete"
        | "oauth_authorization.destroy" => CredentialDelete,
        "two_factor_authentication.enabled" => MfaEnable,
        "two_factor_authentication.disabled" | "org.disable_two_factor_requirement" => MfaDisable,
        "org.block_user" | "business.suspend_member" => AccountDisable,
        "org.unblock_user" | "business.unsuspend_member" => AccountEnable,
        "user.create" => AccountCreate,
        "user.destroy" => AccountDelete,
        "audit_log_streaming.destroy" | "audit_log_streaming.disable" => LoggingStop,
        "audit_log_streaming.create" | "audit_log_streaming.update" => LoggingConfigure,
        "git.clone" | "git.fetch" => Read,
        "git.push" => Update,
        _ => return None,
    })
}

fn m365(action: &str) -> Option<Activity> {
    Some(match action.trim_end_matches('.') {
        "UserLoggedIn" | "UserLoginFailed" => Logon,
        "UserLoggedOut" => Logoff,
        "Add user" => AccountCreate,
        "Delete user" | "Hard Delete user" => AccountDelete,
        "Disable account" => AccountDisable,
        "Enable account" => AccountEnable,
        "Change user password" => PasswordChange,
        "Reset user password" | "Set force change user password" => PasswordReset,
        "Add member to group" => GroupAddMember,
        "Remove member from group" => GroupRemoveMember,
        "Add group" => GroupCreate,
        "Delete group" => GroupDelete,
        "Add member to role"
        | "Add eligible member to role"
        | "Add-RoleGroupMember"
        | "Add-MailboxPermission"
        | "Add-RecipientPermission" => PrivilegeGrant,
        "Remove member from role" | "Remove-RoleGroupMember" | "Remove-MailboxPermission" => {
            PrivilegeRevoke
        }
        "Set-AdminAuditLogConfig" | "Set-MailboxAuditBypassAssociation" => LoggingConfigure,
        "MailItemsAccessed"
        | "FileAccessed"
        | "FileDownloaded"
        | "FilePreviewed"
        | "SearchQueryPerformed" => Read,
        "FileUploaded" | "FolderCreated" => Create,
        "FileModified" | "FileRenamed" | "FileMoved" => Update,
        "FileDeleted" | "FileRecycled" | "FolderDeleted" | "SoftDelete" | "HardDelete"
        | "MoveToDeletedItems" => Delete,
        _ => return None,
    })
}

fn entra(action: &str, record: &Value) -> Option<Activity> {
    // Sign-in logs are logons whatever they are called; their outcome is set by the normalizer.
    let sign_in = ["category", "properties.category", "Category"]
        .iter()
        .filter_map(|k| super::value::text(record, k))
        .any(|c| c.to_ascii_lowercase().contains("signin"));
    if sign_in || action.eq_ignore_ascii_case("sign-in activity") {
        return Some(Logon);
    }
    Some(match action {
        "Add user" | "Invite external user" => AccountCreate,
        "Delete user" | "Hard delete user" => AccountDelete,
        "Disable account" => AccountDisable,
        "Enable account" => AccountEnable,
        "Change user password" | "Change password (self-service)" => PasswordChange,
        "Reset user password" | "Reset password (by admin)" | "Reset password (self-service)" => {
            PasswordReset
        }
        "Add member to group" | "Add owner to group" => GroupAddMember,
        "Remove member from group" | "Remove owner from group" => GroupRemoveMember,
        "Add group" => GroupCreate,
        "Delete group" | "Hard Delete group" => GroupDelete,
        "Add member to role"
        | "Add eligible member to role"
        | "Add scoped member to role"
        | "Add delegated permission grant"
        | "Add app role assignment to service principal"
        | "Add app role assignment grant to user"
        | "Consent to application" => PrivilegeGrant,
        "Remove member from role"
        | "Remove eligible member from role"
        | "Remove delegated permission grant"
        | "Remove app role assignment from service principal" => PrivilegeRevoke,
        "Add service principal credentials" => CredentialCreate,
        "Remove service principal credentials" => CredentialDelete,
        "User registered security info"
        | "User registered all required security info"
        | "Admin registered security info" => MfaEnable,
        "User deleted security info" | "Admin deleted security info" | "Reset security info" => {
            MfaDisable
        }
        "Recover device local administrator password" => Read,
        _ => return None,
    })
}

fn azure(action: &str) -> Option<Activity> {
    let lower = action.to_ascii_lowercase();
    let op = lower.rsplit('/').next().unwrap_or_default();
    if lower.contains("microsoft.insights/diagnosticsettings") {
        return Some(if op == "delete" {
            LoggingStop
        } else {
            LoggingConfigure
        });
    }
    if lower.contains("microsoft.authorization/roleassignments") {
        return Some(match op {
            "write" => PrivilegeGrant,
            "delete" => PrivilegeRevoke,
            _ => Read,
        });
    }
    Some(match op {
        "write" => Update,
        "delete" => Delete,
        "read" => Read,
        _ => return None,
    })
}

fn gcp(action: &str) -> Option<Activity> {
    let method = action.rsplit(['.', '/']).next().unwrap_or(action);
    Some(match method {
        "SetIamPolicy" | "setIamPolicy" => PrivilegeGrant,
        "CreateServiceAccountKey" | "UploadServiceAccountKey" => CredentialCreate,
        "DeleteServiceAccountKey" | "DisableServiceAccountKey" => CredentialDelete,
        "CreateServiceAccount" => AccountCreate,
        "DeleteServiceAccount" => AccountDelete,
        "DisableServiceAccount" => AccountDisable,
        "EnableServiceAccount" => AccountEnable,
        "DeleteSink" => LoggingStop,
        "UpdateSink" | "CreateSink" | "CreateExclusion" | "UpdateExclusion" | "UpdateSettings" => {
            LoggingConfigure
        }
        "loginSuccess" | "loginFailure" => Logon,
        "logout" => Logoff,
        // `google.pubsub.v1.Publisher.CreateTopic`: the verb is the method's.
        _ => return verb(method),
    })
}

fn k8s(verb: &str, record: &Value) -> Option<Activity> {
    let resource = super::value::text(record, "objectRef.resource").unwrap_or_default();
    let sub = super::value::text(record, "objectRef.subresource").unwrap_or_default();
    Some(match (verb, resource.as_str(), sub.as_str()) {
        ("create", "rolebindings" | "clusterrolebindings", _) => PrivilegeGrant,
        ("delete", "rolebindings" | "clusterrolebindings", _) => PrivilegeRevoke,
        ("create", "serviceaccounts", "token") => CredentialCreate,
        ("create", "serviceaccounts", _) => AccountCreate,
        ("delete", "serviceaccounts", _) => AccountDelete,
        ("create", "pods", "exec" | "attach") => ProcessStart,
        ("create", _, _) => Create,
        ("get" | "list" | "watch", _, _) => Read,
        ("update" | "patch", _, _) => Update,
        ("delete" | "deletecollection", _, _) => Delete,
        _ => return None,
    })
}

fn generic(action: &str) -> Option<Activity> {
    let words = words(action);
    let has = |w: &str| words.iter().any(|x| x == w);
    if has("login") || has("logon") || has("signin") {
        return Some(Logon);
    }
    if has("logout") || has("logoff") || has("signout") {
        return Some(Logoff);
    }
    if has("password") {
        return Some(if has("reset") {
            PasswordReset
        } else {
            PasswordChange
        });
    }
    if has("mfa") || has("2fa") || has("otp") {
        return Some(Mfa);
    }
    if has("grant") {
        return Some(PrivilegeGrant);
    }
    if has("revoke") {
        return Some(PrivilegeRevoke);
    }
    let user = has("user") || has("account");
    match verb(action) {
        Some(Create) if user => Some(AccountCreate),
        Some(Delete) if user => Some(AccountDelete),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(format: &str, action: &str) -> Activity {
        let event = AuditEvent {
            format: format.to_string(),
            action: action.to_string(),
            ..AuditEvent::default()
        };
        classify(&event, &Value::Null)
    }

    #[test]
    fn a_logon_is_a_logon_whatever_the_source_calls_it() {
        for (format, action) in [
            ("evtx", "logon"),
            ("syslog", "login"),
            ("auditd", "USER_LOGIN"),
            ("google_workspace", "login_success"),
            ("cloudtrail", "ConsoleLogin"),
            ("okta", "user.session.start"),
            ("m365_ual", "UserLoginFailed"),
            ("json", "user.login"),
        ] {
            assert_eq!(of(format, action), Logon, "{format} {action}");
        }
    }

    #[test]
    fn unlisted_names_fall_back_to_their_verb() {
        assert_eq!(of("cloudtrail", "DescribeInstances"), Read);
        assert_eq!(of("cloudtrail", "PutBucketPolicy"), Create);
        assert_eq!(of("github_audit", "repo.destroy"), Delete);
        assert_eq!(
            of("azure_activity", "MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE"),
            Update
        );
        assert_eq!(
            of("gcp_audit", "google.pubsub.v1.Publisher.CreateTopic"),
            Create
        );
        assert_eq!(of("cloudtrail", "Frobnicate"), Other);
        assert_eq!(
            words("AssumeRoleWithSAML"),
            vec!["assume", "role", "with", "saml"]
        );
        assert_eq!(words("org.add_member"), vec!["org", "add", "member"]);
    }

    #[test]
    fn every_activity_has_a_unique_name_that_reads_back() {
        let mut names: Vec<&str> = Activity::ALL.iter().map(|a| a.as_str()).collect();
        for a in Activity::ALL {
            assert_eq!(Activity::parse(a.as_str()), Some(*a));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Activity::ALL.len());
    }
}

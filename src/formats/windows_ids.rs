//! What Windows event IDs mean: the actions, categories and outcomes of the IDs investigators
//! live on, logon type names and failure-reason texts. Used by [`super::windows`].

use crate::model::event::{Category, Outcome};

/// What an event ID means: action, category, and whether the ID itself says failure.
pub fn meaning(id: u32, sysmon: bool) -> Option<(&'static str, Category, Option<Outcome>)> {
    use Category::*;
    if sysmon {
        return Some(match id {
            1 => ("process_create", System, None),
            3 => ("network_connect", System, None),
            5 => ("process_terminate", System, None),
            7 => ("image_load", System, None),
            8 => ("create_remote_thread", System, None),
            10 => ("process_access", DataAccess, None),
            11 => ("file_create", System, None),
            12..=14 => ("registry_change", ConfigurationChange, None),
            15 => ("file_stream_create", System, None),
            17 | 18 => ("pipe_event", System, None),
            22 => ("dns_query", System, None),
            23 | 26 => ("file_delete", System, None),
            _ => return None,
        });
    }
    Some(match id {
        4624 => ("logon", Authentication, Some(Outcome::Success)),
        4625 => ("logon", Authentication, Some(Outcome::Failure)),
        4634 => ("logoff", Authentication, Some(Outcome::Success)),
        4647 => (
            "logoff_user_initiated",
            Authentication,
            Some(Outcome::Success),
        ),
        4648 => ("logon_explicit_credentials", Authentication, None),
        4672 => (
            "special_privileges_assigned",
            Authentication,
            Some(Outcome::Success),
        ),
        4768 => ("kerberos_tgt_request", Authentication, None),
        4769 => ("kerberos_service_ticket", Authentication, None),
        4771 => (
            "kerberos_preauth_failed",
            Authentication,
            Some(Outcome::Failure),
        ),
        4776 => ("ntlm_credential_validation", Authentication, None),
        1149 => ("rdp_logon", Authentication, Some(Outcome::Success)),
        4720 => ("user_created", AccountChange, Some(Outcome::Success)),
        4722 => ("user_enabled", AccountChange, Some(Outcome::Success)),
        4723 => ("password_change", AccountChange, None),
        4724 => ("password_reset", AccountChange, None),
        4725 => ("user_disabled", AccountChange, Some(Outcome::Success)),
        4726 => ("user_deleted", AccountChange, Some(Outcome::Success)),
        4738 => ("user_changed", AccountChange, Some(Outcome::Success)),
        4740 => ("user_locked_out", AccountChange, Some(Outcome::Success)),
        4767 => ("user_unlocked", AccountChange, Some(Outcome::Success)),
        4727 | 4731 | 4754 => ("group_created", PermissionChange, Some(Outcome::Success)),
        4728 | 4732 | 4756 => (
            "group_member_added",
            PermissionChange,
            Some(Outcome::Success),
        ),
        4729 | 4733 | 4757 => (
            "group_member_removed",
            PermissionChange,
            Some(Outcome::Success),
        ),
        4730 | 4734 | 4758 => ("group_deleted", PermissionChange, Some(Outcome::Success)),
        4735 | 4737 | 4755 => ("group_changed", PermissionChange, Some(Outcome::Success)),
        4719 => (
            "audit_policy_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        1102 => (
            "security_log_cleared",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        104 => ("log_cleared", ConfigurationChange, Some(Outcome::Success)),
        4688 => ("process_create", System, Some(Outcome::Success)),
        4689 => ("process_exit", System, Some(Outcome::Success)),
        7045 | 4697 => (
            "service_installed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        7036 | 7040 => ("service_state_changed", System, None),
        4698 => (
            "scheduled_task_created",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4699 => (
            "scheduled_task_deleted",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4702 => (
            "scheduled_task_updated",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4662 => ("directory_object_operation", DataAccess, None),
        4798 | 4799 => (
            "group_membership_enumerated",
            DataAccess,
            Some(Outcome::Success),
        ),
        4616 => (
            "system_time_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4907 => (
            "object_audit_settings_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        1100 => (
            "event_logging_shut_down",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4608 => ("system_startup", System, Some(Outcome::Success)),
        5447 => (
            "firewall_filter_changed",
            ConfigurationChange,
            Some(Outcome::Success),
        ),
        4663 => ("object_access", DataAccess, None),
        5140 | 5145 => ("network_share_access", DataAccess, None),
        5156 => (
            "network_connection_permitted",
            System,
            Some(Outcome::Success),
        ),
        5157 => ("network_connection_blocked", System, Some(Outcome::Failure)),
        4103 | 4104 => ("powershell_execution", System, None),
        _ => return None,
    })
}

/// The message-table texts `FailureReason` refers to (`%%2313`).
pub fn failure_reason(code: &str) -> Option<&'static str> {
    Some(match code {
        "%%2304" => "an error occurred during logon",
        "%%2305" => "the specified user account has expired",
        "%%2306" => "the NetLogon component is not active",
        "%%2307" => "account locked out",
        "%%2308" => "the user has not been granted the requested logon type at this machine",
        "%%2309" => "the specified account's password has expired",
        "%%2310" => "account currently disabled",
        "%%2311" => "account logon time restriction violation",
        "%%2312" => "user not allowed to logon at this computer",
        "%%2313" => "unknown user name or bad password",
        _ => return None,
    })
}

/// Windows logon types by number.
pub fn logon_type(n: &str) -> Option<&'static str> {
    Some(match n {
        "2" => "interactive",
        "3" => "network",
        "4" => "batch",
        "5" => "service",
        "7" => "unlock",
        "8" => "network_cleartext",
        "9" => "new_credentials",
        "10" => "remote_interactive",
        "11" => "cached_interactive",
        _ => return None,
    })
}

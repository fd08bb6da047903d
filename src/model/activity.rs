//! What an event did, in one vocabulary for every source: a Windows logon, an sshd login, an
//! Okta `user.session.start` and an AWS `ConsoleLogin` are all `logon`. The names follow OCSF's
//! activities (class and activity id given by [`Activity::ocsf`]); the source's own name stays
//! in `action`. docs/formats.md lists, per format, which source names map to which activity.

use serde::{Deserialize, Serialize};

macro_rules! activities {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $class:literal, $id:literal; )*) => {
        /// The normalized activity of an event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        pub enum Activity {
            $( $(#[$doc])* $variant, )*
            /// Nothing in the vocabulary fits (yet): the action says what happened.
            #[default]
            Other,
        }

        impl Activity {
            /// Every activity, in vocabulary order.
            pub const ALL: &'static [Activity] = &[$(Activity::$variant,)* Activity::Other];

            /// The name queries, facets and exports use (`logon`, `group_add_member`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Activity::$variant => $name, )*
                    Activity::Other => "other",
                }
            }

            /// OCSF class uid and activity id (99: OCSF's "other" of that class).
            pub fn ocsf(self) -> (u32, u32) {
                match self {
                    $( Activity::$variant => ($class, $id), )*
                    Activity::Other => (0, 99),
                }
            }

            /// The activity named `name` (as [`Activity::as_str`] writes it).
            pub fn parse(name: &str) -> Option<Activity> {
                Activity::ALL.iter().copied().find(|a| a.as_str().eq_ignore_ascii_case(name))
            }
        }
    };
}

activities! {
    // Authentication (OCSF 3002).
    /// A successful or failed logon: the outcome says which.
    Logon = "logon", 3002, 1;
    Logoff = "logoff", 3002, 2;
    /// A Kerberos ticket asked for or renewed.
    Ticket = "ticket", 3002, 3;
    /// A second factor challenged or verified.
    Mfa = "mfa", 3002, 99;
    /// A role or another identity taken on (AWS AssumeRole, sudo, su, runas).
    AssumeIdentity = "assume_identity", 3002, 99;
    // Account change (OCSF 3001).
    AccountCreate = "account_create", 3001, 1;
    AccountEnable = "account_enable", 3001, 2;
    PasswordChange = "password_change", 3001, 3;
    PasswordReset = "password_reset", 3001, 4;
    AccountDisable = "account_disable", 3001, 5;
    AccountDelete = "account_delete", 3001, 6;
    PolicyAttach = "policy_attach", 3001, 7;
    PolicyDetach = "policy_detach", 3001, 8;
    AccountLock = "account_lock", 3001, 9;
    MfaEnable = "mfa_enable", 3001, 10;
    MfaDisable = "mfa_disable", 3001, 11;
    AccountUnlock = "account_unlock", 3001, 12;
    /// Access keys, API tokens, certificates made for an identity.
    CredentialCreate = "credential_create", 3001, 99;
    CredentialDelete = "credential_delete", 3001, 99;
    // Group and role management (OCSF 3006).
    PrivilegeGrant = "privilege_grant", 3006, 1;
    PrivilegeRevoke = "privilege_revoke", 3006, 2;
    GroupAddMember = "group_add_member", 3006, 3;
    GroupRemoveMember = "group_remove_member", 3006, 4;
    GroupDelete = "group_delete", 3006, 5;
    GroupCreate = "group_create", 3006, 6;
    // The audit trail itself.
    LoggingStart = "logging_start", 1001, 99;
    LoggingStop = "logging_stop", 1001, 99;
    LoggingClear = "logging_clear", 1001, 99;
    LoggingConfigure = "logging_configure", 1001, 99;
    // Resources (OCSF 6003 API activity).
    Create = "create", 6003, 1;
    Read = "read", 6003, 2;
    Update = "update", 6003, 3;
    Delete = "delete", 6003, 4;
    // Systems.
    ProcessStart = "process_start", 1007, 1;
    ServiceInstall = "service_install", 1001, 99;
    SystemStart = "system_start", 1001, 99;
    SystemStop = "system_stop", 1001, 99;
}

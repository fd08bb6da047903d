//! The one event model every source is normalized into.
//!
//! Field names follow OCSF where it has one (category/class ids, `status`, `actor`, `src_endpoint`)
//! and read naturally to ECS users; `docs/formats.md` maps each source field onto these.

use serde::{Deserialize, Serialize};

/// What kind of thing happened, aligned with OCSF classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Category {
    Authentication,
    AccountChange,
    /// Group, role or permission membership and policy changes.
    PermissionChange,
    ApiActivity,
    DataAccess,
    ConfigurationChange,
    System,
    #[default]
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Authentication,
        Category::AccountChange,
        Category::PermissionChange,
        Category::ApiActivity,
        Category::DataAccess,
        Category::ConfigurationChange,
        Category::System,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Authentication => "authentication",
            Category::AccountChange => "account_change",
            Category::PermissionChange => "permission_change",
            Category::ApiActivity => "api_activity",
            Category::DataAccess => "data_access",
            Category::ConfigurationChange => "configuration_change",
            Category::System => "system",
            Category::Other => "other",
        }
    }

    /// The OCSF class uid this category maps to by default.
    pub fn ocsf_class_uid(self) -> u32 {
        match self {
            Category::Authentication => 3002,
            Category::AccountChange => 3001,
            Category::PermissionChange => 3006,
            Category::ApiActivity => 6003,
            Category::DataAccess => 6005,
            Category::ConfigurationChange => 6003,
            Category::System => 1001,
            Category::Other => 0,
        }
    }
}

/// Whether the action succeeded (OCSF `status_id`, ECS `event.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Outcome {
    Success,
    Failure,
    #[default]
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }
}

/// An identity: a user, role, service or machine account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Identity {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl Identity {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.name.is_none() && self.kind.is_none()
    }

    /// The value shown and faceted on: the name when there is one, else the id.
    pub fn label(&self) -> Option<&str> {
        self.name.as_deref().or(self.id.as_deref())
    }
}

/// Who did it. `effective` is the identity actually exercised when one was assumed
/// (a role behind a CloudTrail role session); `invoked_by` is the service acting for the actor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Actor {
    #[serde(flatten)]
    pub identity: Identity,
    pub effective: Option<Identity>,
    pub invoked_by: Option<String>,
}

/// The time of an event: UTC nanoseconds plus the text the source wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventTime {
    /// Nanoseconds since the Unix epoch, UTC; `None` when the source time could not be read.
    #[serde(default, with = "crate::model::nanos::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub utc_nanos: Option<i64>,
    /// The time exactly as the source wrote it.
    pub original: Option<String>,
}

/// Where an event came from: enough to find its bytes again and prove they are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Provenance {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub file_id: u64,
    /// The file's path as given to import, with the path inside an archive after `!/`.
    pub path: String,
    pub sha256: String,
    /// 0-based position of the record in its file.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ordinal: u64,
    /// 1-based line where the record starts, for text sources.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub line: Option<u64>,
    /// Byte offset of the record in the (decompressed) file.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
    /// The export the record was read out of (`splunk`, `splunk_csv`, `elastic`), when it came
    /// wrapped; the raw record is the wrapper's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<String>,
}

/// One normalized audit event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditEvent {
    pub time: EventTime,
    pub category: Category,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub class_uid: u32,
    /// The source's own name for what happened (`ConsoleLogin`, `DeleteTrail`).
    pub action: String,
    /// What happened in Sightline's one vocabulary for every source (`logon`, `group_add_member`).
    #[serde(default)]
    pub activity: super::Activity,
    /// The source's own code for the kind of record, where it has one beside its name: the
    /// Windows event id (`4625`), the auditd record type (`USER_LOGIN`), the M365 record type.
    #[serde(default)]
    pub code: Option<String>,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub actor: Actor,
    pub target: Option<Identity>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// Service or provider that recorded the event (`iam.amazonaws.com`).
    pub service: Option<String>,
    pub region: Option<String>,
    pub host: Option<String>,
    pub session_id: Option<String>,
    /// Windows logon type (`3 (network)`), where the source has one.
    #[serde(default)]
    pub logon_type: Option<String>,
    pub request_id: Option<String>,
    /// The record's own id in its source (`eventID`, `auditID`, `EventRecordID`).
    pub native_id: Option<String>,
    /// One line a person can read.
    pub message: String,
    /// The format that read the record (`cloudtrail`, `jsonl`, `csv`).
    pub format: String,
    /// Things a reviewer should know about this record (`time_missing`, `invalid_utf8`).
    #[serde(default)]
    pub flags: Vec<String>,
    pub provenance: Provenance,
}

impl AuditEvent {
    /// Stable id inside a case: the file id and the record's ordinal in that file.
    pub fn id(&self) -> String {
        event_id(self.provenance.file_id, self.provenance.ordinal)
    }
}

/// Formats an event id from its file id and ordinal.
pub fn event_id(file_id: u64, ordinal: u64) -> String {
    format!("{file_id}-{ordinal}")
}

/// Parses an event id made by [`event_id`].
pub fn parse_event_id(id: &str) -> Option<(u64, u64)> {
    let (file, ordinal) = id.split_once('-')?;
    Some((file.parse().ok()?, ordinal.parse().ok()?))
}

/// The sort and lookup key of an event: file id in the high half, ordinal in the low half.
pub fn sequence_key(file_id: u64, ordinal: u64) -> u64 {
    (file_id << 32) | (ordinal & 0xffff_ffff)
}

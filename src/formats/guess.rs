//! Guessing which keys or columns of an unknown source hold time, actor, action, target, outcome
//! and IP; the user can override any of them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::value;
use crate::model::event::Outcome;

/// The normalized fields a generic source can be mapped onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedField {
    Time,
    Actor,
    Action,
    Target,
    Outcome,
    Ip,
}

impl MappedField {
    pub const ALL: [MappedField; 6] = [
        MappedField::Time,
        MappedField::Actor,
        MappedField::Action,
        MappedField::Target,
        MappedField::Outcome,
        MappedField::Ip,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MappedField::Time => "time",
            MappedField::Actor => "actor",
            MappedField::Action => "action",
            MappedField::Target => "target",
            MappedField::Outcome => "outcome",
            MappedField::Ip => "ip",
        }
    }

    /// Lowercased key names (compared without `_`, `-`, `.` and spaces) that usually hold this field.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            MappedField::Time => &[
                "timestamp",
                "time",
                "eventtime",
                "datetime",
                "date",
                "createdat",
                "created",
                "published",
                "occurredat",
                "logtime",
                "ts",
                "when",
                "creationdate",
                "timegenerated",
            ],
            MappedField::Actor => &[
                "actor",
                "user",
                "username",
                "userid",
                "principal",
                "principalid",
                "account",
                "accountname",
                "srcuser",
                "actorid",
                "actorname",
                "actoremail",
                "useremail",
                "email",
                "login",
                "subject",
                "useridentityarn",
                "initiatedby",
                "caller",
                "userprincipalname",
            ],
            MappedField::Action => &[
                "action",
                "eventname",
                "event",
                "operation",
                "activity",
                "method",
                "methodname",
                "eventtype",
                "type",
                "verb",
                "command",
                "activitydisplayname",
            ],
            MappedField::Target => &[
                "target",
                "resource",
                "resourcename",
                "resourceid",
                "object",
                "objectname",
                "targetuser",
                "dstuser",
                "targetname",
                "repo",
                "repository",
                "objectid",
                "entity",
            ],
            MappedField::Outcome => &[
                "outcome",
                "result",
                "status",
                "resultstatus",
                "success",
                "succeeded",
                "resulttype",
            ],
            MappedField::Ip => &[
                "ip",
                "sourceip",
                "srcip",
                "clientip",
                "ipaddress",
                "sourceipaddress",
                "remoteaddr",
                "remoteip",
                "callerip",
                "calleripaddress",
                "clientipaddress",
                "actorip",
                "src",
            ],
        }
    }
}

/// Which key path (JSON) or column name (CSV) feeds each normalized field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    pub time: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    pub ip: Option<String>,
}

impl FieldMapping {
    pub fn get(&self, field: MappedField) -> Option<&str> {
        match field {
            MappedField::Time => self.time.as_deref(),
            MappedField::Actor => self.actor.as_deref(),
            MappedField::Action => self.action.as_deref(),
            MappedField::Target => self.target.as_deref(),
            MappedField::Outcome => self.outcome.as_deref(),
            MappedField::Ip => self.ip.as_deref(),
        }
    }

    pub fn set(&mut self, field: MappedField, key: Option<String>) {
        let slot = match field {
            MappedField::Time => &mut self.time,
            MappedField::Actor => &mut self.actor,
            MappedField::Action => &mut self.action,
            MappedField::Target => &mut self.target,
            MappedField::Outcome => &mut self.outcome,
            MappedField::Ip => &mut self.ip,
        };
        *slot = key;
    }

    /// Parses `time=col,actor=user.name` as given on the command line.
    pub fn parse(spec: &str) -> Result<FieldMapping, String> {
        let mut mapping = FieldMapping::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, key) = part
                .split_once('=')
                .ok_or_else(|| format!("expected FIELD=KEY, got {part:?}"))?;
            let field = MappedField::ALL
                .into_iter()
                .find(|f| f.name() == name.trim())
                .ok_or_else(|| {
                    format!(
                        "unknown field {name:?}; use time, actor, action, target, outcome or ip"
                    )
                })?;
            mapping.set(field, Some(key.trim().to_string()));
        }
        Ok(mapping)
    }

    /// Fills unset fields by matching `keys` against each field's synonyms. Exact synonym
    /// matches on the key's last segment win over earlier keys.
    pub fn guessed_from(keys: &[String], overrides: &FieldMapping) -> FieldMapping {
        let mut mapping = overrides.clone();
        for field in MappedField::ALL {
            if mapping.get(field).is_some() {
                continue;
            }
            let rank = |key: &String| {
                let whole = squash(key);
                let last = squash(key.rsplit('.').next().unwrap_or(key));
                field
                    .synonyms()
                    .iter()
                    .position(|s| *s == whole || *s == last)
            };
            let best = keys
                .iter()
                .filter_map(|k| rank(k).map(|r| (r, k)))
                .min_by_key(|(r, _)| *r);
            mapping.set(field, best.map(|(_, k)| k.clone()));
        }
        mapping
    }
}

fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' ' | '@'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key paths of scalar leaves in a record, in order, without repeats.
pub fn leaf_keys(record: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    value::for_each_leaf(record, 500, &mut |path, _| {
        if !keys.iter().any(|k| k == path) {
            keys.push(path.to_string());
        }
    });
    keys
}

/// Reads an outcome from the many words sources use.
pub fn outcome_from_text(text: &str) -> Outcome {
    let t = text.trim().to_ascii_lowercase();
    if let Ok(code) = t.parse::<u16>() {
        return match code {
            0 | 200..=399 => Outcome::Success,
            400..=599 | 1..=199 => Outcome::Failure,
            _ => Outcome::Unknown,
        };
    }
    match t.as_str() {
        "success" | "succeeded" | "successful" | "ok" | "true" | "allow" | "allowed"
        | "accepted" | "pass" | "passed" | "granted" | "completed" => Outcome::Success,
        "failure" | "failed" | "fail" | "error" | "false" | "deny" | "denied" | "rejected"
        | "blocked" | "unauthorized" | "forbidden" | "accessdenied" => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_column_names_are_recognized() {
        let keys: Vec<String> = [
            "Timestamp",
            "User Name",
            "Operation",
            "Resource",
            "Result",
            "Client IP",
            "Notes",
        ]
        .map(String::from)
        .to_vec();
        let m = FieldMapping::guessed_from(&keys, &FieldMapping::default());
        assert_eq!(m.time.as_deref(), Some("Timestamp"));
        assert_eq!(m.actor.as_deref(), Some("User Name"));
        assert_eq!(m.action.as_deref(), Some("Operation"));
        assert_eq!(m.target.as_deref(), Some("Resource"));
        assert_eq!(m.outcome.as_deref(), Some("Result"));
        assert_eq!(m.ip.as_deref(), Some("Client IP"));
    }

    #[test]
    fn overrides_win_and_parse() {
        let m = FieldMapping::parse("actor=who, time=at").unwrap();
        let keys: Vec<String> = ["user", "timestamp"].map(String::from).to_vec();
        let g = FieldMapping::guessed_from(&keys, &m);
        assert_eq!(g.actor.as_deref(), Some("who"));
        assert_eq!(g.time.as_deref(), Some("at"));
        assert!(FieldMapping::parse("colour=red").is_err());
    }

    #[test]
    fn outcomes() {
        assert_eq!(outcome_from_text("FAILED"), Outcome::Failure);
        assert_eq!(outcome_from_text("204"), Outcome::Success);
        assert_eq!(outcome_from_text("403"), Outcome::Failure);
        assert_eq!(outcome_from_text("maybe"), Outcome::Unknown);
    }
}

//! The columns an export can hold: the normalized event, its provenance, and the original fields
//! (`raw.<key>`, nested values as compact JSON). One table so the CLI, the window and the
//! manifest name them alike.

use serde_json::Value;

use crate::model::event::AuditEvent;

/// One exported row's sources.
pub(crate) struct Row<'a> {
    pub event: &'a AuditEvent,
    pub record: &'a Value,
    pub record_sha256: String,
    pub marks: Option<crate::case::marks::Marks>,
    /// The rules that matched the event, with their authors (empty when none did).
    pub detections: Option<String>,
}

type Get = fn(&Row) -> Option<String>;

fn who(i: Option<&crate::model::event::Identity>) -> Option<String> {
    i.and_then(|i| i.label()).map(str::to_string)
}

/// The names of the normalized and provenance columns, in default order.
pub fn names() -> Vec<&'static str> {
    COLUMNS.iter().map(|(n, _)| *n).collect()
}

/// Normalized and provenance columns, in default order.
pub(crate) const COLUMNS: [(&str, Get); 41] = [
    ("event_id", |r| Some(r.event.id())),
    ("time", |r| {
        r.event.time.utc_nanos.map(crate::time::format_rfc3339)
    }),
    ("time_original", |r| r.event.time.original.clone()),
    ("action", |r| Some(r.event.action.clone())),
    ("activity", |r| Some(r.event.activity.as_str().to_string())),
    ("code", |r| r.event.code.clone()),
    ("outcome", |r| Some(r.event.outcome.as_str().to_string())),
    ("category", |r| Some(r.event.category.as_str().to_string())),
    ("class_uid", |r| Some(r.event.class_uid.to_string())),
    ("actor", |r| who(Some(&r.event.actor.identity))),
    ("actor_id", |r| r.event.actor.identity.id.clone()),
    ("actor_type", |r| r.event.actor.identity.kind.clone()),
    ("effective_actor", |r| who(r.event.actor.effective.as_ref())),
    ("invoked_by", |r| r.event.actor.invoked_by.clone()),
    ("target", |r| who(r.event.target.as_ref())),
    ("target_id", |r| {
        r.event.target.as_ref().and_then(|t| t.id.clone())
    }),
    ("target_type", |r| {
        r.event.target.as_ref().and_then(|t| t.kind.clone())
    }),
    ("source_ip", |r| r.event.source_ip.clone()),
    ("user_agent", |r| r.event.user_agent.clone()),
    ("service", |r| r.event.service.clone()),
    ("region", |r| r.event.region.clone()),
    ("host", |r| r.event.host.clone()),
    ("session_id", |r| r.event.session_id.clone()),
    ("logon_type", |r| r.event.logon_type.clone()),
    ("request_id", |r| r.event.request_id.clone()),
    ("native_id", |r| r.event.native_id.clone()),
    ("error_code", |r| r.event.error_code.clone()),
    ("error_message", |r| r.event.error_message.clone()),
    ("message", |r| Some(r.event.message.clone())),
    ("format", |r| Some(r.event.format.clone())),
    ("flags", |r| Some(r.event.flags.join(" "))),
    ("source_file", |r| Some(r.event.provenance.path.clone())),
    ("source_sha256", |r| Some(r.event.provenance.sha256.clone())),
    ("line", |r| r.event.provenance.line.map(|l| l.to_string())),
    ("byte_offset", |r| {
        Some(r.event.provenance.offset.to_string())
    }),
    ("record_ordinal", |r| {
        Some(r.event.provenance.ordinal.to_string())
    }),
    ("record_sha256", |r| Some(r.record_sha256.clone())),
    ("tags", |r| r.marks.as_ref().map(|m| m.tags.join(" "))),
    ("starred", |r| {
        r.marks.as_ref().map(|m| m.starred.to_string())
    }),
    ("note", |r| r.marks.as_ref().and_then(|m| m.note.clone())),
    ("detections", |r| r.detections.clone()),
];

/// Prefix of original-field columns.
pub const RAW_PREFIX: &str = "raw.";

/// A chosen column: a normalized one, or an original top-level field.
#[derive(Debug, Clone)]
pub(crate) enum Column {
    Normal(usize),
    Raw(String),
}

impl Column {
    pub fn name(&self) -> String {
        match self {
            Column::Normal(i) => COLUMNS[*i].0.to_string(),
            Column::Raw(key) => format!("{RAW_PREFIX}{key}"),
        }
    }

    /// The cell as text: original objects and arrays as compact JSON.
    pub fn text(&self, row: &Row) -> String {
        match self {
            Column::Normal(i) => (COLUMNS[*i].1)(row).unwrap_or_default(),
            Column::Raw(key) => match row.record.get(key) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            },
        }
    }

    /// The cell as JSON: original values as they are, normalized ones as text (or null).
    pub fn json(&self, row: &Row) -> Value {
        match self {
            Column::Normal(i) => (COLUMNS[*i].1)(row).map_or(Value::Null, Value::String),
            Column::Raw(key) => row.record.get(key).cloned().unwrap_or(Value::Null),
        }
    }
}

/// Resolves names (`raw.*` expands later to every original field with data); unknown names are
/// an error that lists what exists.
pub(crate) fn resolve(names: &[String]) -> Result<(Vec<Column>, bool), String> {
    if names.is_empty() {
        return Ok(((0..COLUMNS.len()).map(Column::Normal).collect(), false));
    }
    let mut out = Vec::new();
    let mut all_raw = false;
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if name == "raw.*" {
            all_raw = true;
        } else if let Some(key) = name.strip_prefix(RAW_PREFIX) {
            out.push(Column::Raw(key.to_string()));
        } else if let Some(i) = COLUMNS.iter().position(|(n, _)| *n == name) {
            out.push(Column::Normal(i));
        } else {
            let known: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown column {name:?}; columns are {}, raw.<original field> and raw.*",
                known.join(", ")
            ));
        }
    }
    Ok((out, all_raw))
}

/// Makes a cell safe to open in a spreadsheet (OWASP CSV injection, ASVS 1.2.10): text starting
/// with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`, except a plain number.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || plain_negative(cell) {
        return std::borrow::Cow::Borrowed(cell);
    }
    std::borrow::Cow::Owned(format!("'{cell}"))
}

/// `-` then digits with at most one decimal point between digits (`-7`, `-12.5`): what a
/// spreadsheet reads as a number, never as a formula. `-inf`, `-1e5`, `-1+1` are not.
fn plain_negative(cell: &str) -> bool {
    let Some(rest) = cell.strip_prefix('-') else {
        return false;
    };
    let mut parts = rest.splitn(2, '.');
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    parts.next().is_some_and(digits) && parts.next().is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_are_made_inert_and_negative_numbers_kept() {
        for (cell, out) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+1", "'+1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\r=1", "'\r=1"),
            ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
            ("-12.5", "-12.5"),
            ("-7", "-7"),
            ("--7", "'--7"),
            ("-inf", "'-inf"),
            ("-1e5", "'-1e5"),
            ("-3.", "'-3."),
            ("alice", "alice"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell), out, "{cell:?}");
        }
    }
}

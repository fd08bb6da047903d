//! Reading values out of parsed records by key path, and flattening records into key path → text.

use serde_json::Value;

use crate::model::event::{AuditEvent, Identity};

/// Looks up `path` (`a.b.c`) in nested objects; at each level a literal key containing dots is
/// tried too, so Logstash-flattened records (`"userIdentity.arn": …`) read like nested ones.
pub fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let obj = value.as_object()?;
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    let mut rest = path;
    while let Some(dot) = rest.find('.') {
        let (head, tail) = (&path[..path.len() - rest.len() + dot], &rest[dot + 1..]);
        if let Some(inner) = obj.get(head) {
            if let Some(found) = get(inner, tail) {
                return Some(found);
            }
        }
        rest = tail;
    }
    None
}

/// A scalar at `path` as text; empty strings and nulls are absent.
pub fn text(value: &Value, path: &str) -> Option<String> {
    scalar_text(get(value, path)?)
}

/// A scalar as text (strings as they are, numbers and booleans printed); `None` for others.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The first of several paths that holds a scalar.
pub fn first_text(value: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| text(value, p))
}

/// Sets the event's time from the first of `paths` holding one: text in any form
/// [`crate::time::parse_text`] reads, or an epoch number (unit guessed from its size). A time
/// without a zone is read as UTC and flagged, so the import report can say so.
pub fn fill_time(e: &mut AuditEvent, r: &Value, paths: &[&str]) {
    let parse = |found: &Value| match found {
        Value::Number(n) => match n.as_u64() {
            Some(whole) => crate::time::parse_epoch_int(whole),
            None => n.as_f64().and_then(crate::time::parse_epoch),
        },
        other => scalar_text(other)
            .as_deref()
            .and_then(crate::time::parse_text),
    };
    let candidates: Vec<&Value> = paths
        .iter()
        .filter_map(|p| get(r, p).filter(|v| scalar_text(v).is_some()))
        .collect();
    let Some(first) = candidates.first() else {
        return;
    };
    // A time that says its zone beats one that does not, wherever it is in the list: exports
    // often carry both a UTC stamp (`@timestamp`) and the machine's local wall time (`EventTime`).
    let (found, parsed) = candidates
        .iter()
        .find_map(|v| parse(v).filter(|t| !t.zone_assumed).map(|t| (*v, Some(t))))
        .unwrap_or_else(|| (*first, parse(first)));
    e.time.original = scalar_text(found);
    if let Some(t) = parsed {
        e.time.utc_nanos = Some(t.utc_nanos);
        if t.zone_assumed {
            e.flags.push("time_zone_assumed_utc".to_string());
        }
    }
}

/// A value that may be JSON written inside a string (Azure and Log Analytics exports do this):
/// the parsed value when it is, else the value itself.
pub fn decoded(v: &Value) -> std::borrow::Cow<'_, Value> {
    if let Value::String(s) = v {
        let t = s.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            if let Ok(inner) = serde_json::from_str::<Value>(s) {
                return std::borrow::Cow::Owned(inner);
            }
        }
    }
    std::borrow::Cow::Borrowed(v)
}

/// `get` that looks through JSON-in-string values on the way.
pub fn get_decoded(value: &Value, path: &str) -> Option<Value> {
    if let Some(v) = get(value, path) {
        return Some(decoded(v).into_owned());
    }
    let (head, tail) = path.split_once('.')?;
    let inner = decoded(value.get(head)?).into_owned();
    match inner {
        Value::Array(items) => items.iter().find_map(|i| get_decoded(i, tail)),
        other => get_decoded(&other, tail),
    }
}

/// An identity from optional parts; `None` when all are empty.
pub fn identity(
    id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
) -> Option<Identity> {
    let i = Identity { id, name, kind };
    (!i.is_empty()).then_some(i)
}

/// Whether `s` reads as an IP address (v4 or v6, with or without a port or brackets).
pub fn ip(s: &str) -> Option<String> {
    let t = s.trim().trim_start_matches('[');
    let t = t.split(']').next().unwrap_or(t);
    if t.parse::<std::net::IpAddr>().is_ok() {
        return Some(t.to_string());
    }
    if let Some((host, port)) = t.rsplit_once(':') {
        if port.bytes().all(|b| b.is_ascii_digit()) && host.parse::<std::net::Ipv4Addr>().is_ok() {
            return Some(host.to_string());
        }
    }
    None
}

/// Calls `f(path, text)` for every scalar leaf; array elements share their array's path, so
/// `resources.ARN` finds an ARN in any element. Stops after `max_leaves` leaves.
pub fn for_each_leaf(value: &Value, max_leaves: usize, f: &mut dyn FnMut(&str, &str)) -> bool {
    let mut path = String::new();
    let mut budget = max_leaves;
    walk(value, &mut path, &mut budget, f);
    budget > 0
}

fn walk(value: &Value, path: &mut String, budget: &mut usize, f: &mut dyn FnMut(&str, &str)) {
    if *budget == 0 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(child, path, budget, f);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, path, budget, f);
            }
        }
        Value::Null => {}
        Value::String(s) => leaf(path, s, budget, f),
        Value::Number(n) => leaf(path, &n.to_string(), budget, f),
        Value::Bool(b) => leaf(path, if *b { "true" } else { "false" }, budget, f),
    }
}

fn leaf(path: &str, text: &str, budget: &mut usize, f: &mut dyn FnMut(&str, &str)) {
    *budget -= 1;
    f(path, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_and_dotted_paths_read_alike() {
        let nested = json!({"userIdentity": {"arn": "a", "sessionContext": {"sessionIssuer": {"userName": "r"}}}});
        let flat = json!({"userIdentity.arn": "a", "userIdentity.sessionContext.sessionIssuer.userName": "r"});
        for v in [&nested, &flat] {
            assert_eq!(text(v, "userIdentity.arn").as_deref(), Some("a"));
            assert_eq!(
                text(v, "userIdentity.sessionContext.sessionIssuer.userName").as_deref(),
                Some("r")
            );
        }
    }

    #[test]
    fn leaves_carry_their_paths() {
        let v = json!({"a": {"b": [1, {"c": true}]}, "n": null});
        let mut seen = Vec::new();
        for_each_leaf(&v, 100, &mut |p, t| seen.push(format!("{p}={t}")));
        assert_eq!(seen, vec!["a.b=1", "a.b.c=true"]);
    }
}

//! Reading values out of parsed records by key path, and flattening records into key path → text.

use serde_json::Value;

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

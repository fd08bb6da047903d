//! Queries that would silently find nothing because of a typo are errors that say what was
//! probably meant: `actr:root` (no such field; did you mean actor?), `outcome:failur` (outcomes
//! are success, failure and unknown).

use tantivy::schema::Field;
use tantivy::Searcher;

use super::build::FIELD_NAMES;
use crate::model::{Activity, Category};

/// The number of single-character edits between two strings (Levenshtein).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate closest to `word` (case-insensitive), if close enough to be a typo of it: at
/// most two edits, and fewer than half its letters.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_lowercase()), c))
        .filter(|(d, c)| *d > 0 && *d <= 2 && *d * 2 < c.chars().count().max(word.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Whether any record has a field at `path` (a `kv` token starting with `path=`).
pub fn path_exists(searcher: &Searcher, kv: Field, path: &str) -> bool {
    let prefix = format!("{}=", path.to_lowercase());
    searcher.segment_readers().iter().any(|segment| {
        let Ok(index) = segment.inverted_index(kv) else {
            return false;
        };
        let mut stream = match index.terms().range().ge(prefix.as_bytes()).into_stream() {
            Ok(s) => s,
            Err(_) => return false,
        };
        stream.advance() && stream.key().starts_with(prefix.as_bytes())
    })
}

/// For a field name no record has: the normalized field it is probably a typo of.
pub fn unknown_field(searcher: &Searcher, kv: Field, path: &str) -> Option<String> {
    let suggestion = closest(path, FIELD_NAMES.iter().copied())?;
    if path_exists(searcher, kv, path) {
        return None;
    }
    Some(format!(
        "unknown field '{path}'; did you mean {suggestion}?"
    ))
}

/// For a field whose values are a closed list: why `value` is not one of them.
pub fn unknown_value(field: &str, value: &str) -> Option<String> {
    let values: Vec<&str> = match field {
        "outcome" => vec!["success", "failure", "unknown"],
        "category" => Category::ALL.iter().map(|c| c.as_str()).collect(),
        "activity" => Activity::ALL.iter().map(|a| a.as_str()).collect(),
        _ => return None,
    };
    if values.iter().any(|v| v.eq_ignore_ascii_case(value)) {
        return None;
    }
    Some(match closest(value, values.iter().copied()) {
        Some(s) => format!("unknown {field} '{value}'; did you mean {s}?"),
        None => format!(
            "unknown {field} '{value}'; {field} is one of {}",
            values.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_closest_name_and_real_differences_do_not() {
        assert_eq!(distance("actr", "actor"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(closest("actr", FIELD_NAMES.iter().copied()), Some("actor"));
        assert_eq!(closest("Outcom", ["outcome", "action"]), Some("outcome"));
        assert_eq!(closest("eventName", FIELD_NAMES.iter().copied()), None);
        assert_eq!(
            closest("ab", ["id"]),
            None,
            "two letters are no typo of two others"
        );
        assert!(
            unknown_value("outcome", "failur").is_some_and(|m| m.contains("did you mean failure"))
        );
        assert!(unknown_value("outcome", "FAILURE").is_none());
        assert!(unknown_value("activity", "logn").is_some_and(|m| m.contains("logon")));
        assert!(unknown_value("category", "zzzzzzzz").is_some_and(|m| m.contains("one of")));
        assert!(unknown_value("action", "anything").is_none());
    }
}

//! Turning a parsed query into a tantivy query over the event schema.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery, RegexQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenStream;
use tantivy::{Index, Term as TantivyTerm};

use super::query::{Comparison, Node, Term, Value};
use super::seqset::SeqSetQuery;
use crate::case::detections::HitQuery;
use crate::case::marks::MarkQuery;
use crate::error::{Error, Result};
use crate::index::{Fields, WORDS_TOKENIZER};
use crate::model::event::{parse_event_id, sequence_key};
use std::collections::HashSet;

/// Query field names with a normalized meaning; any other name is an original key path.
pub const FIELD_NAMES: [&str; 25] = [
    "time",
    "actor",
    "action",
    "activity",
    "code",
    "target",
    "outcome",
    "category",
    "ip",
    "user_agent",
    "service",
    "region",
    "host",
    "session",
    "request",
    "id",
    "format",
    "file",
    "flag",
    "message",
    "tag",
    "is",
    "has",
    "rule",
    "level",
];

/// Resolves a mark term (`tag:`, `is:`, `has:`) to the events' sequence keys.
pub type MarkLookup<'a> = &'a dyn Fn(&MarkQuery) -> Result<HashSet<u64>>;

/// Resolves a detection term (`rule:`, `level:`, `has:detection`) to the events' sequence keys.
pub type DetectionLookup<'a> = &'a dyn Fn(&HitQuery) -> Result<HashSet<u64>>;

pub struct Builder<'a> {
    pub index: &'a Index,
    pub searcher: &'a tantivy::Searcher,
    pub fields: &'a Fields,
    pub marks: MarkLookup<'a>,
    pub detections: DetectionLookup<'a>,
}

fn error(position: usize, message: impl Into<String>) -> Error {
    Error::Query {
        position,
        message: message.into(),
    }
}

impl Builder<'_> {
    pub fn build(&self, node: &Node) -> Result<Box<dyn Query>> {
        match node {
            Node::Term(t) => self.term(t),
            Node::Or(parts) => {
                let clauses = parts
                    .iter()
                    .map(|p| Ok((Occur::Should, self.build(p)?)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Box::new(BooleanQuery::new(clauses)))
            }
            Node::And(parts) => {
                let mut clauses = Vec::new();
                for p in parts {
                    match p {
                        Node::Not(inner) => clauses.push((Occur::MustNot, self.build(inner)?)),
                        other => clauses.push((Occur::Must, self.build(other)?)),
                    }
                }
                Ok(with_positive(clauses))
            }
            Node::Not(inner) => Ok(with_positive(vec![(Occur::MustNot, self.build(inner)?)])),
        }
    }

    fn term(&self, t: &Term) -> Result<Box<dyn Query>> {
        let f = self.fields;
        let Some(field) = t.field.as_deref() else {
            return self.bare(t);
        };
        if let Value::Word(w) | Value::Phrase(w) = &t.value {
            if let Some(message) = super::suggest::unknown_value(field, w) {
                return Err(error(t.position, message));
            }
        }
        let keyword_fields: &[Field] = match field {
            "time" => return self.time(t),
            "tag" | "is" | "has" => return self.mark(field, t),
            "rule" | "level" => return self.detection(field, t),
            "id" => return self.id(t),
            "message" => return self.words(f.all, &t.value, t.position),
            "actor" => &[f.actor, f.actor_any],
            "action" => &[f.action],
            "activity" => &[f.activity],
            "code" => &[f.code],
            "target" => &[f.target],
            "outcome" => &[f.outcome],
            "category" => &[f.category],
            "ip" => &[f.ip],
            "user_agent" => &[f.user_agent],
            "service" => &[f.service],
            "region" => &[f.region],
            "host" => &[f.host],
            "session" | "request" => return self.id_value(field, t),
            "format" => &[f.format],
            "file" => &[f.file],
            "flag" => &[f.flags],
            path => {
                if let Some(message) = super::suggest::unknown_field(self.searcher, f.kv, path) {
                    return Err(error(t.position, message));
                }
                return self.original(path, t);
            }
        };
        let queries = keyword_fields
            .iter()
            .map(|&k| keyword(k, "", &t.value, t.position))
            .collect::<Result<Vec<_>>>()?;
        Ok(any_of(queries))
    }

    /// `eventName:ConsoleLogin` → the `kv` token `eventname=consolelogin`; a path some format
    /// keeps only in a normalized field (`eventID` → `id`) is looked up there too.
    fn original(&self, path: &str, t: &Term) -> Result<Box<dyn Query>> {
        let kv = keyword(
            self.fields.kv,
            &format!("{}=", path.to_lowercase()),
            &t.value,
            t.position,
        )?;
        // `EventID` is the Windows event id to a Windows analyst (normalized into `code`);
        // CloudTrail's `eventID` (this exact spelling) is its record id.
        let field = if path.eq_ignore_ascii_case("eventid") && path != "eventID" {
            Some("code")
        } else {
            crate::formats::alias_of(path)
        };
        let Some(field) = field else {
            return Ok(kv);
        };
        let normalized = self.term(&Term {
            field: Some(field.to_string()),
            value: t.value.clone(),
            position: t.position,
        })?;
        Ok(any_of(vec![kv, normalized]))
    }

    /// A bare word: the words of every field, or a whole id kept only in an id field.
    fn bare(&self, t: &Term) -> Result<Box<dyn Query>> {
        let words = self.words(self.fields.all, &t.value, t.position)?;
        let (Value::Word(w) | Value::Phrase(w)) = &t.value else {
            return Ok(words);
        };
        let mut queries = vec![words];
        for kind in ["id", "request", "session"] {
            queries.push(self.id_term(kind, w));
        }
        Ok(any_of(queries))
    }

    fn words(&self, field: Field, value: &Value, position: usize) -> Result<Box<dyn Query>> {
        let text = match value {
            Value::Word(w) | Value::Phrase(w) => w,
            Value::Wildcard(w) => {
                if w.chars()
                    .any(|c| !(c.is_alphanumeric() || c == '*' || c == '?'))
                {
                    return Err(error(position, "wildcards in a bare word work on one word of letters and digits; use field:value* for other text"));
                }
                if w.chars().all(|c| c == '*') {
                    return Ok(Box::new(AllQuery));
                }
                return regex(field, &wildcard_pattern("", &w.to_lowercase()), position);
            }
            Value::Compare(..) => return Err(error(position, "comparisons work on time only")),
        };
        let mut analyzer = self
            .index
            .tokenizers()
            .get(WORDS_TOKENIZER)
            .ok_or_else(|| error(position, "words analyzer missing"))?;
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while let Some(token) = stream.next() {
            terms.push((
                token.position,
                TantivyTerm::from_field_text(field, &token.text),
            ));
        }
        Ok(match terms.len() {
            0 => Box::new(EmptyQuery),
            1 => Box::new(TermQuery::new(terms.remove(0).1, IndexRecordOption::Basic)),
            _ => Box::new(PhraseQuery::new_with_offset(terms)),
        })
    }

    fn time(&self, t: &Term) -> Result<Box<dyn Query>> {
        let field = self.fields.time;
        let at = |text: &str| {
            crate::time::parse_user_time(text).map_err(|_| {
                error(
                    t.position,
                    format!("{text:?} is not an RFC 3339 time or a date"),
                )
            })
        };
        let term = |n: i64| TantivyTerm::from_field_i64(field, n);
        let (lo, hi) =
            match &t.value {
                Value::Compare(op, text) => {
                    let n = at(text)?;
                    match op {
                        Comparison::Gt => (Bound::Excluded(term(n)), Bound::Unbounded),
                        Comparison::Ge => (Bound::Included(term(n)), Bound::Unbounded),
                        Comparison::Lt => (Bound::Unbounded, Bound::Excluded(term(n))),
                        Comparison::Le => (Bound::Unbounded, Bound::Included(term(n))),
                    }
                }
                Value::Word(text) | Value::Phrase(text) => {
                    // A bare date covers its whole day; a full time matches that instant.
                    let n = at(text)?;
                    let width = if text.len() == 10 {
                        86_400_000_000_000
                    } else {
                        1
                    };
                    (Bound::Included(term(n)), Bound::Excluded(term(n + width)))
                }
                // `time:*`: has a time (the column holds only readable times).
                Value::Wildcard(w) if w.chars().all(|c| c == '*') => {
                    return Ok(Box::new(tantivy::query::ExistsQuery::new(
                        "time".to_string(),
                        false,
                    )))
                }
                Value::Wildcard(_) => return Err(error(
                    t.position,
                    "wildcards do not apply to time; use time:* (has a time), time:>=… and time:<…",
                )),
            };
        Ok(Box::new(RangeQuery::new(lo, hi)))
    }

    /// `tag:NAME`, `is:starred`, `is:marked`, `has:note`, `has:tag`: events the investigator
    /// marked, looked up in the case database.
    fn mark(&self, field: &str, t: &Term) -> Result<Box<dyn Query>> {
        let (Value::Word(w) | Value::Phrase(w)) = &t.value else {
            return Err(error(t.position, format!("{field}: takes a plain word")));
        };
        if field == "has" && w.eq_ignore_ascii_case("detection") {
            return Ok(Box::new(SeqSetQuery::new((self.detections)(
                &HitQuery::Any,
            )?)));
        }
        let q = match (field, w.to_lowercase().as_str()) {
            ("tag", _) => MarkQuery::Tag(w.clone()),
            ("is", "starred") => MarkQuery::Starred,
            ("is", "marked") => MarkQuery::Marked,
            ("has", "note") => MarkQuery::Noted,
            ("has", "tag") => MarkQuery::Tagged,
            _ => {
                return Err(error(
                    t.position,
                    "use tag:NAME, is:starred, is:marked, has:note, has:tag or has:detection",
                ))
            }
        };
        Ok(Box::new(SeqSetQuery::new((self.marks)(&q)?)))
    }

    /// `rule:TITLE` (or its id; `*` wildcards) and `level:high`: events a detection is on.
    fn detection(&self, field: &str, t: &Term) -> Result<Box<dyn Query>> {
        let name = match &t.value {
            Value::Word(w) | Value::Phrase(w) => w.clone(),
            Value::Wildcard(w) => w.clone(),
            _ => {
                return Err(error(
                    t.position,
                    format!("{field}: takes a rule's title or id, or a level"),
                ))
            }
        };
        let q = match field {
            "rule" => HitQuery::Rule(&name),
            _ => HitQuery::Level(&name),
        };
        Ok(Box::new(SeqSetQuery::new((self.detections)(&q)?)))
    }

    fn id_term(&self, kind: &str, value: &str) -> Box<dyn Query> {
        let term = TantivyTerm::from_field_u64(self.fields.ids, crate::index::id_hash(kind, value));
        // A case indexed before ids were terms has them in a column only: scan it.
        let indexed = self
            .index
            .schema()
            .get_field_entry(self.fields.ids)
            .is_indexed();
        if indexed {
            return Box::new(TermQuery::new(term, IndexRecordOption::Basic));
        }
        Box::new(RangeQuery::new(
            Bound::Included(term.clone()),
            Bound::Included(term),
        ))
    }

    /// `request:` and `session:` match whole values only (they are indexed as hashes).
    fn id_value(&self, kind: &str, t: &Term) -> Result<Box<dyn Query>> {
        match &t.value {
            Value::Word(w) | Value::Phrase(w) => Ok(self.id_term(kind, w)),
            _ => Err(error(
                t.position,
                format!("{kind}: matches whole ids only; no wildcards or comparisons"),
            )),
        }
    }

    /// `id:` matches the source's own record id, or Sightline's `FILE-ORDINAL` event id.
    fn id(&self, t: &Term) -> Result<Box<dyn Query>> {
        let native = self.id_value("id", t)?;
        let (Value::Word(w) | Value::Phrase(w)) = &t.value else {
            return Ok(native);
        };
        let Some((file, ordinal)) = parse_event_id(w) else {
            return Ok(native);
        };
        let key = TantivyTerm::from_field_u64(self.fields.seq, sequence_key(file, ordinal));
        let ours: Box<dyn Query> = Box::new(RangeQuery::new(
            Bound::Included(key.clone()),
            Bound::Included(key),
        ));
        Ok(any_of(vec![native, ours]))
    }
}

fn keyword(field: Field, prefix: &str, value: &Value, position: usize) -> Result<Box<dyn Query>> {
    match value {
        Value::Word(w) | Value::Phrase(w) => {
            let text = format!("{prefix}{}", w.to_lowercase());
            Ok(Box::new(TermQuery::new(
                TantivyTerm::from_field_text(field, &text),
                IndexRecordOption::Basic,
            )))
        }
        // `actor:*` means "has an actor": facet columns hold an empty value for "unknown" so
        // they stay dense, and that value must not count as having one.
        Value::Wildcard(w) if prefix.is_empty() && w.chars().all(|c| c == '*') => {
            regex(field, ".+", position)
        }
        Value::Wildcard(w) => regex(
            field,
            &wildcard_pattern(prefix, &w.to_lowercase()),
            position,
        ),
        Value::Compare(..) => Err(error(position, "comparisons work on time only")),
    }
}

fn regex(field: Field, pattern: &str, position: usize) -> Result<Box<dyn Query>> {
    RegexQuery::from_pattern(pattern, field)
        .map(|q| Box::new(q) as Box<dyn Query>)
        .map_err(|e| error(position, format!("bad wildcard: {e}")))
}

/// `*` any run of characters, `?` one character; everything else literal.
fn wildcard_pattern(prefix: &str, w: &str) -> String {
    let mut p = escape(prefix);
    for c in w.chars() {
        match c {
            '*' => p.push_str(".*"),
            '?' => p.push('.'),
            c => p.push_str(&escape(&c.to_string())),
        }
    }
    p
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"<>@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn any_of(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1 {
        return queries.remove(0);
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// A boolean query of only negations matches nothing in tantivy; anchor it on all documents.
fn with_positive(mut clauses: Vec<(Occur, Box<dyn Query>)>) -> Box<dyn Query> {
    if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    Box::new(BooleanQuery::new(clauses))
}

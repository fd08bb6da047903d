//! The query language: parsing user text into a tree, with positions for errors.
//!
//! ```text
//! query   = or
//! or      = and ("OR" and)*
//! and     = unary (["AND"] unary)*          adjacent terms are ANDed
//! unary   = ("NOT" | "-") unary | primary
//! primary = "(" or ")" | field ":" "(" or ")" | [field ":"] value
//! value   = word | "quoted phrase" | word with * or ? | (>|>=|<|<=) word   (time only)
//! ```
//!
//! `field:(a OR b)` gives the field to every term inside that has none. A backslash escapes only
//! what would otherwise end or split a value (`"` in quotes; space, parentheses, `:`, `*`, `?`,
//! `"` and `\` in a bare word); any other backslash is itself, so `actor:"DOMAIN\user"` and
//! `actor:DOMAIN\user` find the Windows account as written.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Term(Term),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub field: Option<String>,
    pub value: Value,
    /// Character position of the term in the query, for errors.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Word(String),
    Phrase(String),
    Wildcard(String),
    Compare(Comparison, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Field(String),
    Word(String),
    Quoted(String),
    Compare(Comparison, String),
}

fn error(position: usize, message: impl Into<String>) -> Error {
    Error::Query {
        position,
        message: message.into(),
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                toks.push((Tok::LParen, start));
                i += 1;
            }
            ')' => {
                toks.push((Tok::RParen, start));
                i += 1;
            }
            '"' => {
                let (s, next) = quoted(&chars, i)?;
                toks.push((Tok::Quoted(s), start));
                i = next;
            }
            '-' if toks.last().is_none_or(|(t, _)| !matches!(t, Tok::Field(_))) => {
                toks.push((Tok::Not, start));
                i += 1;
            }
            '>' | '<' => {
                let (op, skip) = match (c, chars.get(i + 1)) {
                    ('>', Some('=')) => (Comparison::Ge, 2),
                    ('<', Some('=')) => (Comparison::Le, 2),
                    ('>', _) => (Comparison::Gt, 1),
                    _ => (Comparison::Lt, 1),
                };
                i += skip;
                let (word, next) = if chars.get(i) == Some(&'"') {
                    quoted(&chars, i)?
                } else {
                    bare(&chars, i, true)
                };
                if word.is_empty() {
                    return Err(error(start, "a comparison needs a value after it"));
                }
                toks.push((Tok::Compare(op, word), start));
                i = next;
            }
            _ => {
                let is_value = matches!(toks.last(), Some((Tok::Field(_), _)));
                let (word, next) = bare(&chars, i, is_value);
                i = next;
                if !is_value && chars.get(i) == Some(&':') {
                    if word.is_empty() {
                        return Err(error(start, "field name missing before ':'"));
                    }
                    toks.push((Tok::Field(word), start));
                    i += 1;
                    if chars.get(i) == Some(&'(') {
                        continue;
                    }
                    if chars.get(i).is_none_or(|c| c.is_whitespace() || *c == ')') {
                        return Err(error(i, "value missing after ':'"));
                    }
                    continue;
                }
                let tok = match word.as_str() {
                    "AND" | "&&" => Tok::And,
                    "OR" | "||" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ => Tok::Word(word),
                };
                toks.push((tok, start));
            }
        }
    }
    Ok(toks)
}

/// A bare word runs to whitespace, a parenthesis, or (outside a field's value) a ':' that makes
/// it a field name; values keep their colons (`actor:arn:aws:iam::1:user/bob`, `ip:fe80::1`).
/// A backslash escapes a character that would end or change the word; before any other it is
/// kept (Windows accounts are `DOMAIN\user`).
fn bare(chars: &[char], mut i: usize, is_value: bool) -> (String, usize) {
    let mut s = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
            break;
        }
        if c == ':' && !is_value {
            break;
        }
        let escapes = |n: &char| n.is_whitespace() || "():\"\\*?".contains(*n);
        if c == '\\' && chars.get(i + 1).is_some_and(escapes) {
            s.push(chars[i + 1]);
            i += 2;
            continue;
        }
        s.push(c);
        i += 1;
    }
    (s, i)
}

fn quoted(chars: &[char], start: usize) -> Result<(String, usize)> {
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            // Only a quote or a backslash is escaped; `DOMAIN\user` keeps its backslash.
            '\\' if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                s.push(chars[i + 1]);
                i += 2;
            }
            '"' => return Ok((s, i + 1)),
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(error(start, "unclosed quote"))
}

/// Parses a query. An empty query is `None`: it matches everything.
pub fn parse(text: &str) -> Result<Option<Node>> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks,
        i: 0,
        end: text.chars().count(),
        depth: 0,
    };
    let node = p.or()?;
    if let Some((_, pos)) = p.toks.get(p.i) {
        return Err(error(*pos, "unexpected ')'"));
    }
    Ok(Some(node))
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    end: usize,
    /// Nesting of parentheses and negations, bounded so hostile input cannot exhaust the stack.
    depth: usize,
}

const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(t, _)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |(_, p)| *p)
    }

    fn or(&mut self) -> Result<Node> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.i += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Node> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.i += 1;
                    parts.push(self.unary()?);
                }
                Some(Tok::Or) | Some(Tok::RParen) | None => break,
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(
                self.pos(),
                format!("query nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let node = if self.peek() == Some(&Tok::Not) {
            self.i += 1;
            self.unary().map(|n| Node::Not(Box::new(n)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        node
    }

    fn primary(&mut self) -> Result<Node> {
        let pos = self.pos();
        let Some((tok, _)) = self.toks.get(self.i).cloned() else {
            return Err(error(pos, "query ends where a term was expected"));
        };
        self.i += 1;
        match tok {
            Tok::LParen => {
                let inner = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(error(pos, "unclosed '('"));
                }
                self.i += 1;
                Ok(inner)
            }
            Tok::Field(field) if self.peek() == Some(&Tok::LParen) => {
                self.i += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(error(pos, format!("unclosed '(' after '{field}:'")));
                }
                self.i += 1;
                Ok(with_field(inner, &field))
            }
            Tok::Field(field) => {
                let vpos = self.pos();
                let Some((vtok, _)) = self.toks.get(self.i).cloned() else {
                    return Err(error(vpos, format!("value missing after '{field}:'")));
                };
                self.i += 1;
                let value = match vtok {
                    Tok::Word(w) => word_value(w),
                    Tok::Quoted(q) => Value::Phrase(q),
                    Tok::Compare(op, w) => Value::Compare(op, w),
                    // `action:AND` means the word, not the operator.
                    Tok::And => Value::Word("AND".into()),
                    Tok::Or => Value::Word("OR".into()),
                    Tok::Not => Value::Word("NOT".into()),
                    _ => return Err(error(vpos, format!("value missing after '{field}:'"))),
                };
                Ok(Node::Term(Term {
                    field: Some(field),
                    value,
                    position: pos,
                }))
            }
            Tok::Word(w) => Ok(Node::Term(Term {
                field: None,
                value: word_value(w),
                position: pos,
            })),
            Tok::Quoted(q) => Ok(Node::Term(Term {
                field: None,
                value: Value::Phrase(q),
                position: pos,
            })),
            Tok::Compare(..) => Err(error(
                pos,
                "comparisons need a field, as in time:>=2024-01-01",
            )),
            Tok::RParen => Err(error(pos, "unexpected ')'")),
            Tok::And | Tok::Or => Err(error(pos, "operator without a term before it")),
            Tok::Not => unreachable!("handled by unary"),
        }
    }
}

/// `field:(…)`: the field goes to every term inside that names none.
fn with_field(node: Node, field: &str) -> Node {
    match node {
        Node::And(parts) => Node::And(parts.into_iter().map(|n| with_field(n, field)).collect()),
        Node::Or(parts) => Node::Or(parts.into_iter().map(|n| with_field(n, field)).collect()),
        Node::Not(inner) => Node::Not(Box::new(with_field(*inner, field))),
        Node::Term(mut t) => {
            if t.field.is_none() {
                t.field = Some(field.to_string());
            }
            Node::Term(t)
        }
    }
}

fn word_value(w: String) -> Value {
    if w.contains('*') || w.contains('?') {
        Value::Wildcard(w)
    } else {
        Value::Word(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: Option<&str>, value: Value, position: usize) -> Node {
        Node::Term(Term {
            field: field.map(String::from),
            value,
            position,
        })
    }

    #[test]
    fn fields_booleans_and_negation() {
        let q = parse("actor:alice AND (action:Delete* OR \"access denied\") -ip:10.0.0.1")
            .unwrap()
            .unwrap();
        assert_eq!(
            q,
            Node::And(vec![
                term(Some("actor"), Value::Word("alice".into()), 0),
                Node::Or(vec![
                    term(Some("action"), Value::Wildcard("Delete*".into()), 17),
                    term(None, Value::Phrase("access denied".into()), 35),
                ]),
                Node::Not(Box::new(term(
                    Some("ip"),
                    Value::Word("10.0.0.1".into()),
                    53
                ))),
            ])
        );
    }

    #[test]
    fn colons_inside_values_are_kept() {
        let q = parse("actor:arn:aws:iam::123:user/bob ip:fe80::1")
            .unwrap()
            .unwrap();
        let Node::And(parts) = q else { panic!() };
        assert_eq!(
            parts[0],
            term(
                Some("actor"),
                Value::Word("arn:aws:iam::123:user/bob".into()),
                0
            )
        );
        assert_eq!(
            parts[1],
            term(Some("ip"), Value::Word("fe80::1".into()), 32)
        );
    }

    #[test]
    fn comparisons_and_empty() {
        assert_eq!(parse("  ").unwrap(), None);
        assert_eq!(
            parse("time:2024-05-01T10:00:00Z").unwrap().unwrap(),
            term(Some("time"), Value::Word("2024-05-01T10:00:00Z".into()), 0)
        );
        let q = parse("time:>=2024-01-01T00:00:00Z").unwrap().unwrap();
        assert_eq!(
            q,
            term(
                Some("time"),
                Value::Compare(Comparison::Ge, "2024-01-01T00:00:00Z".into()),
                0
            )
        );
    }

    #[test]
    fn hostile_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(parse(&deep), Err(Error::Query { .. })));
        assert!(matches!(
            parse(&"-".repeat(100_000)),
            Err(Error::Query { .. })
        ));
        assert!(parse(&format!("{}a{}", "(".repeat(20), ")".repeat(20))).is_ok());
    }

    #[test]
    fn a_field_applies_to_a_group_and_backslashes_stay_unless_they_escape() {
        let q = parse("actor:(alice OR \"bob smith\" -carol) x")
            .unwrap()
            .unwrap();
        assert_eq!(
            q,
            Node::And(vec![
                Node::Or(vec![
                    term(Some("actor"), Value::Word("alice".into()), 7),
                    Node::And(vec![
                        term(Some("actor"), Value::Phrase("bob smith".into()), 16),
                        Node::Not(Box::new(term(
                            Some("actor"),
                            Value::Word("carol".into()),
                            29
                        ))),
                    ]),
                ]),
                term(None, Value::Word("x".into()), 36),
            ])
        );
        let one = |q: &str| match parse(q).unwrap().unwrap() {
            Node::Term(t) => t.value,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            one(r#"actor:"OFFSEC\admmig""#),
            Value::Phrase(r"OFFSEC\admmig".into())
        );
        assert_eq!(
            one(r"actor:OFFSEC\admmig"),
            Value::Word(r"OFFSEC\admmig".into())
        );
        assert_eq!(
            one(r#""a \"quote\" and \\""#),
            Value::Phrase(r#"a "quote" and \"#.into())
        );
        assert_eq!(one(r"path:C\:\temp"), Value::Word(r"C:\temp".into()));
        assert!(matches!(parse("actor:(a OR b"), Err(Error::Query { .. })));
    }

    #[test]
    fn errors_carry_positions() {
        let cases = [
            ("actor:", 6),
            ("(a OR b", 0),
            ("a \"open", 2),
            ("a )", 2),
            ("OR a", 0),
            ("a AND", 5),
        ];
        for (text, expected) in cases {
            match parse(text) {
                Err(Error::Query { position, .. }) => assert_eq!(position, expected, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}

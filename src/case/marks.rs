//! What investigators add to events: tags (with a colour per tag), a star, a markdown note. Kept
//! in the case database beside the evidence, never in it (the API journals every change). Search
//! reaches them through `tag:NAME`, `is:starred` and `has:note`, which resolve here to the
//! events' sequence keys.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::{Error, Result};
use crate::model::event::{parse_event_id, sequence_key};

/// Colours a new tag gets in turn; the user may pick another.
const PALETTE: [&str; 8] = [
    "#d32f2f", "#1976d2", "#388e3c", "#f57c00", "#7b1fa2", "#0097a7", "#5d4037", "#c2185b",
];
/// Longest tag name; tags are labels, not notes.
const MAX_TAG: usize = 64;

/// The marks on one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Marks {
    pub starred: bool,
    pub tags: Vec<String>,
    /// Markdown, as written.
    pub note: Option<String>,
}

/// A tag in use in the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Tag {
    pub name: String,
    pub color: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
}

/// Which marked events a search term asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum MarkQuery {
    Tag(String),
    Starred,
    Noted,
    /// Any tag.
    Tagged,
    /// Any mark at all.
    Marked,
}

fn check_id(id: &str) -> Result<u64> {
    let (file, ordinal) = parse_event_id(id).ok_or_else(|| Error::EventNotFound(id.to_string()))?;
    Ok(sequence_key(file, ordinal))
}

/// A tag name as kept: trimmed, one word, at most [`MAX_TAG`] characters.
pub fn clean_tag(tag: &str) -> Result<String> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > MAX_TAG || tag.contains(char::is_whitespace) {
        return Err(Error::Invalid(format!(
            "a tag is one word of at most {MAX_TAG} characters, not {tag:?}"
        )));
    }
    Ok(tag.to_string())
}

impl Store {
    /// Adds or removes `tag` on the event `id`; returns the tag as kept (the spelling first used).
    pub fn set_tag(&self, id: &str, tag: &str, on: bool) -> Result<String> {
        self.check_writable()?;
        let seq = check_id(id)?;
        let tag = clean_tag(tag)?;
        let db = self.db();
        if !on {
            db.execute(
                "DELETE FROM event_tags WHERE event_id = ?1 AND tag = ?2 COLLATE NOCASE",
                params![id, tag],
            )?;
            return Ok(tag);
        }
        let used: i64 = db.query_row("SELECT COUNT(*) FROM tags", [], |r| r.get(0))?;
        db.execute(
            "INSERT OR IGNORE INTO tags (name, color) VALUES (?1, ?2)",
            params![tag, PALETTE[used as usize % PALETTE.len()]],
        )?;
        // Tags match case-insensitively; the event gets the spelling first used.
        let name: String = db.query_row("SELECT name FROM tags WHERE name = ?1", [&tag], |r| {
            r.get(0)
        })?;
        db.execute(
            "INSERT OR IGNORE INTO event_tags (event_id, seq, tag) VALUES (?1, ?2, ?3)",
            params![id, seq as i64, name],
        )?;
        Ok(name)
    }

    pub fn set_star(&self, id: &str, on: bool) -> Result<()> {
        self.check_writable()?;
        let seq = check_id(id)?;
        self.db().execute(
            "INSERT INTO event_marks (event_id, seq, starred) VALUES (?1, ?2, ?3)
             ON CONFLICT(event_id) DO UPDATE SET starred = excluded.starred",
            params![id, seq as i64, on],
        )?;
        Ok(())
    }

    /// Sets the event's markdown note (trailing space trimmed); empty text removes it. Returns
    /// the note as kept.
    pub fn set_note(&self, id: &str, note: &str) -> Result<Option<String>> {
        self.check_writable()?;
        let seq = check_id(id)?;
        let note = note.trim_end();
        let value = (!note.is_empty()).then_some(note);
        self.db().execute(
            "INSERT INTO event_marks (event_id, seq, note) VALUES (?1, ?2, ?3)
             ON CONFLICT(event_id) DO UPDATE SET note = excluded.note",
            params![id, seq as i64, value],
        )?;
        Ok(value.map(str::to_string))
    }

    /// Sets a tag's colour (`#rrggbb`).
    pub fn set_tag_color(&self, tag: &str, color: &str) -> Result<()> {
        self.check_writable()?;
        let ok = color.len() == 7
            && color.starts_with('#')
            && color[1..].chars().all(|c| c.is_ascii_hexdigit());
        if !ok {
            return Err(Error::Invalid(format!(
                "a colour is #rrggbb, not {color:?}"
            )));
        }
        self.db().execute(
            "UPDATE tags SET color = ?2 WHERE name = ?1",
            params![clean_tag(tag)?, color],
        )?;
        Ok(())
    }

    pub fn marks(&self, id: &str) -> Result<Marks> {
        Ok(self
            .marks_of(&[id.to_string()])?
            .remove(id)
            .unwrap_or_default())
    }

    /// Marks of the given events (those without any are left out).
    pub fn marks_of(&self, ids: &[String]) -> Result<BTreeMap<String, Marks>> {
        let db = self.db();
        let mut out: BTreeMap<String, Marks> = BTreeMap::new();
        let mut star = db.prepare("SELECT starred, note FROM event_marks WHERE event_id = ?1")?;
        let mut tags = db.prepare("SELECT tag FROM event_tags WHERE event_id = ?1 ORDER BY tag")?;
        for id in ids {
            let (starred, note) = star
                .query_row([id], |r| {
                    Ok((r.get::<_, bool>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .optional()?
                .unwrap_or((false, None));
            let names = tags
                .query_map([id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if starred || note.is_some() || !names.is_empty() {
                out.insert(
                    id.clone(),
                    Marks {
                        starred,
                        tags: names,
                        note,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Every marked event's marks, by event id: read once for an export, not per row.
    pub(crate) fn all_marks(&self) -> Result<std::collections::HashMap<String, Marks>> {
        let ids: Vec<String> = {
            let db = self.db();
            let mut stmt = db.prepare(
                "SELECT event_id FROM event_marks WHERE starred OR note IS NOT NULL
                 UNION SELECT event_id FROM event_tags",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        Ok(self.marks_of(&ids)?.into_iter().collect())
    }

    /// Whether any event carries a mark, so searches skip the lookups when none does.
    pub(crate) fn has_marks(&self) -> Result<bool> {
        let db = self.db();
        let any: bool = db.query_row(
            "SELECT EXISTS (SELECT 1 FROM event_tags) OR EXISTS (SELECT 1 FROM event_marks WHERE starred OR note IS NOT NULL)",
            [],
            |r| r.get(0),
        )?;
        Ok(any)
    }

    /// Every tag in use, with its colour and how many events carry it.
    pub fn tags(&self) -> Result<Vec<Tag>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT t.name, t.color, COUNT(e.event_id) FROM tags t
             JOIN event_tags e ON e.tag = t.name GROUP BY t.name ORDER BY t.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Tag {
                name: r.get(0)?,
                color: r.get(1)?,
                events: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every tagged event's sequence key with its tags (for the tag facet).
    pub(crate) fn tags_by_seq(&self) -> Result<std::collections::HashMap<u64, Vec<String>>> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT seq, tag FROM event_tags ORDER BY tag")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
        })?;
        let mut out: std::collections::HashMap<u64, Vec<String>> = std::collections::HashMap::new();
        for row in rows {
            let (seq, tag) = row?;
            out.entry(seq).or_default().push(tag);
        }
        Ok(out)
    }

    /// The sequence keys of the events a mark term selects.
    pub(crate) fn marked(&self, q: &MarkQuery) -> Result<HashSet<u64>> {
        let db = self.db();
        let (sql, arg): (&str, Option<&str>) = match q {
            MarkQuery::Tag(t) => (
                "SELECT seq FROM event_tags WHERE tag = ?1 COLLATE NOCASE",
                Some(t),
            ),
            MarkQuery::Starred => ("SELECT seq FROM event_marks WHERE starred", None),
            MarkQuery::Noted => ("SELECT seq FROM event_marks WHERE note IS NOT NULL", None),
            MarkQuery::Tagged => ("SELECT seq FROM event_tags", None),
            MarkQuery::Marked => (
                "SELECT seq FROM event_marks WHERE starred OR note IS NOT NULL
                 UNION SELECT seq FROM event_tags",
                None,
            ),
        };
        let mut stmt = db.prepare(sql)?;
        let rows = match arg {
            Some(a) => stmt
                .query_map([a], |r| r.get::<_, i64>(0))?
                .collect::<Vec<_>>(),
            None => stmt
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<Vec<_>>(),
        };
        rows.into_iter()
            .map(|r| r.map(|s| s as u64).map_err(Error::from))
            .collect()
    }
}

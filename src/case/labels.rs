//! The case's detections as search needs them: which listed rules are on each event, read from
//! the database once per change and kept in memory. A search asks on every keystroke for the
//! rule and level facets and the rows' badges; with a noisy rule on 400,000 events, reading the
//! hits back each time cost half a second per search on the bench case. The version is a counter
//! the writes to `detection_hits` bump in their own transaction, so a change by any process (a
//! `sightline detect` beside an open window) is seen at the next search.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use rusqlite::Connection;

use super::detections::HitQuery;
use super::Store;
use crate::error::Result;

const VERSION_KEY: &str = "detections_version";

/// Hashes an event's `seq` (file id and ordinal, not chosen by anyone) with one multiply: the
/// facets look up every hit of a search, a million on the bench case, and SipHash, which guards
/// against keys an attacker picks, was a quarter of a search's time there.
#[derive(Default)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        let mixed = (n ^ (n >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = mixed ^ (mixed >> 29);
    }
}

type SeqMap<V> = HashMap<u64, V, BuildHasherDefault<SeqHasher>>;

/// A segment's documents' ranges of rules, by document id.
type SegmentRanges = Arc<Vec<(u32, u32)>>;

/// A listed rule: what `rule:` and the facets know it by.
pub struct LabelRule {
    pub title: String,
    pub key: String,
    pub level: String,
    /// Named wherever a match is shown (the Detection Rule License asks it).
    pub author: Option<String>,
}

/// Rules on each event (hidden rules left out).
#[derive(Default)]
pub struct DetectionLabels {
    /// The version of the case's detections these are (it changes with every change to them).
    pub version: u64,
    pub rules: Vec<LabelRule>,
    /// Per event: a range of `flat`.
    by_seq: SeqMap<(u32, u32)>,
    /// Indices into `rules`.
    flat: Vec<u32>,
    /// Per index segment, each document's range of `flat` (`(0, 0)`: none), made on first use:
    /// a search then counts by position instead of looking up every hit's `seq` (86 → 30 ms for
    /// the facets over the 1M-event bench case).
    segments: std::sync::Mutex<HashMap<tantivy::index::SegmentId, SegmentRanges>>,
}

impl DetectionLabels {
    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// Indices into [`DetectionLabels::rules`] of the rules on event `seq`.
    pub fn of(&self, seq: u64) -> &[u32] {
        match self.by_seq.get(&seq) {
            Some(&(start, len)) => &self.flat[start as usize..(start + len) as usize],
            None => &[],
        }
    }

    /// The detections on event `seq` as one export cell: `level: title (author)`, most serious
    /// first, joined by `; `; `None` when no listed rule matched it.
    pub fn cell(&self, seq: u64) -> Option<String> {
        let rank = |l: &str| {
            ["critical", "high", "medium", "low"]
                .iter()
                .position(|x| *x == l)
                .unwrap_or(4)
        };
        let mut on: Vec<&LabelRule> = self
            .of(seq)
            .iter()
            .map(|&r| &self.rules[r as usize])
            .collect();
        if on.is_empty() {
            return None;
        }
        on.sort_by(|a, b| {
            rank(&a.level)
                .cmp(&rank(&b.level))
                .then(a.title.cmp(&b.title))
        });
        let parts: Vec<String> = on
            .iter()
            .map(|r| {
                let author = r.author.as_deref().unwrap_or("unknown author");
                format!("{}: {} ({author})", r.level, r.title)
            })
            .collect();
        Some(parts.join("; "))
    }

    /// The rules (indices into [`DetectionLabels::rules`]) a range of [`Self::for_segment`] holds.
    pub fn range(&self, (start, len): (u32, u32)) -> &[u32] {
        &self.flat[start as usize..(start + len) as usize]
    }

    /// Each document's range of rules in `reader`'s segment, by document id.
    pub fn for_segment(
        &self,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<Arc<Vec<(u32, u32)>>> {
        let id = reader.segment_id();
        let mut segments = self.segments.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = segments.get(&id) {
            return Ok(known.clone());
        }
        let mut ranges = vec![(0, 0); reader.max_doc() as usize];
        if let Some(col) = reader.fast_fields().column_opt::<u64>("seq")? {
            for (doc, slot) in ranges.iter_mut().enumerate() {
                if let Some(&r) = col.first(doc as u32).and_then(|s| self.by_seq.get(&s)) {
                    *slot = r;
                }
            }
        }
        // Merged-away segments are not asked again; forget them rather than grow.
        if segments.len() > 256 {
            segments.clear();
        }
        let ranges = Arc::new(ranges);
        segments.insert(id, ranges.clone());
        Ok(ranges)
    }

    /// The events the hits `q` names are on.
    pub fn events(&self, q: &HitQuery) -> std::collections::HashSet<u64> {
        let wanted: Vec<bool> = self.rules.iter().map(|r| q.names(r)).collect();
        self.by_seq
            .keys()
            .copied()
            .filter(|&seq| self.of(seq).iter().any(|&r| wanted[r as usize]))
            .collect()
    }
}

impl HitQuery<'_> {
    fn names(&self, rule: &LabelRule) -> bool {
        match self {
            HitQuery::Any => true,
            HitQuery::Level(level) => rule.level.eq_ignore_ascii_case(level),
            HitQuery::Rule(name) => glob(name, &rule.title) || glob(name, &rule.key),
        }
    }
}

/// `pattern` (with `*` for any run of characters) matches all of `text`, ignoring case.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !t.starts_with(first) || t.len() < first.len() + last.len() || !t.ends_with(last) {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Marks a change to the hits, in the writer's transaction.
pub(crate) fn bump(conn: &Connection) -> Result<()> {
    conn.execute(
        "INSERT INTO case_meta (key, value) VALUES (?1, '1') ON CONFLICT(key)
         DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [VERSION_KEY],
    )?;
    Ok(())
}

fn read(conn: &Connection) -> Result<DetectionLabels> {
    let mut labels = DetectionLabels::default();
    let mut ids: HashMap<i64, u32> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT id, title, key, level, json_extract(info, '$.author') FROM detection_rules
             WHERE NOT hidden",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            LabelRule {
                title: r.get(1)?,
                key: r.get(2)?,
                level: r.get(3)?,
                author: r.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (id, rule) = row?;
        ids.insert(id, labels.rules.len() as u32);
        labels.rules.push(rule);
    }
    let mut stmt = conn.prepare("SELECT seq, rule FROM detection_hits ORDER BY seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)?))
    })?;
    let mut current: Option<(u64, u32)> = None;
    for row in rows {
        let (seq, rule) = row?;
        let Some(&rule) = ids.get(&rule) else {
            continue;
        };
        match current {
            Some((s, _)) if s == seq => {}
            _ => {
                if let Some((s, start)) = current {
                    let len = labels.flat.len() as u32 - start;
                    labels.by_seq.insert(s, (start, len));
                }
                current = Some((seq, labels.flat.len() as u32));
            }
        }
        labels.flat.push(rule);
    }
    if let Some((s, start)) = current {
        let len = labels.flat.len() as u32 - start;
        labels.by_seq.insert(s, (start, len));
    }
    Ok(labels)
}

impl Store {
    /// The rules on each event, as of the last change to the case's detections.
    pub fn detection_labels(&self) -> Result<Arc<DetectionLabels>> {
        let db = self.db();
        let version: u64 = db
            .query_row(
                "SELECT CAST(value AS INTEGER) FROM case_meta WHERE key = ?1",
                [VERSION_KEY],
                |r| r.get::<_, i64>(0),
            )
            .map(|v| v as u64)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(0),
                e => Err(e),
            })?;
        let mut cached = self.labels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, labels)) = cached.as_ref() {
            if *v == version {
                return Ok(labels.clone());
            }
        }
        let labels = Arc::new(DetectionLabels {
            version,
            ..read(&db)?
        });
        *cached = Some((version, labels.clone()));
        Ok(labels)
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_whole_names_ignoring_case() {
        assert!(glob("aws*", "AWS root account used"));
        assert!(glob("*root*", "AWS root account used"));
        assert!(glob("aws root account used", "AWS Root Account Used"));
        assert!(!glob("root", "AWS root account used"));
        assert!(!glob("a*z", "a"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXcYb"));
    }
}

//! The case journal: every action on the case is appended as an entry holding the SHA-256 of the
//! entry before it, so editing, removing or reordering entries breaks the chain from that point.
//!
//! An entry's hash covers `prev_hash`, `seq`, `at`, `action` and `detail` (compact JSON), joined
//! by newlines; the first entry's `prev_hash` is 64 zeros.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::{Error, Result};

/// What a journal entry records. Stored as its name; the API decides which operations are
/// journaled (`api.rs`), the store only keeps the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalAction {
    Import,
    Verify,
    Detect,
    /// An import run that a kill or a crash cut off before it became visible.
    ImportInterrupted,
    Search,
    Export,
    Report,
    /// A compliance report looked at or written.
    Compliance,
    Tag,
    Untag,
    Star,
    Unstar,
    Note,
    Alias,
    Unalias,
    SaveSearch,
    DeleteSavedSearch,
}

impl JournalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalAction::Import => "import",
            JournalAction::Verify => "verify",
            JournalAction::Detect => "detect",
            JournalAction::ImportInterrupted => "import_interrupted",
            JournalAction::Search => "search",
            JournalAction::Export => "export",
            JournalAction::Report => "report",
            JournalAction::Compliance => "compliance",
            JournalAction::Tag => "tag",
            JournalAction::Untag => "untag",
            JournalAction::Star => "star",
            JournalAction::Unstar => "unstar",
            JournalAction::Note => "note",
            JournalAction::Alias => "alias",
            JournalAction::Unalias => "unalias",
            JournalAction::SaveSearch => "save_search",
            JournalAction::DeleteSavedSearch => "delete_saved_search",
        }
    }
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JournalEntry {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    /// RFC 3339 UTC, from the case's clock.
    pub at: String,
    pub action: String,
    /// What the action was about, as JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The journal and whether its chain holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JournalCheck {
    pub entries: Vec<JournalEntry>,
    /// The first entry that does not match its hash or its predecessor, and why.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub first_bad: Option<u64>,
    pub reason: Option<String>,
}

fn entry_hash(prev_hash: &str, seq: u64, at: &str, action: &str, detail: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev_hash, &seq.to_string(), at, action, detail] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    crate::bundle::hex(&h.finalize())
}

/// The newest entry of a journal: what a reviewer writes down to prove later that nothing was
/// removed since (`verify --expect-head SEQ:HASH`). Every append also records it in the case
/// metadata, so entries deleted from the end show even without an outside copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JournalHead {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    pub hash: String,
}

impl JournalHead {
    pub fn of(entry: &JournalEntry) -> JournalHead {
        JournalHead {
            seq: entry.seq,
            hash: entry.hash.clone(),
        }
    }

    /// `SEQ:HASH`, as verify prints it.
    pub fn parse(text: &str) -> Result<JournalHead> {
        let bad = || {
            Error::Invalid(format!(
                "{text:?} is not a journal head SEQ:HASH (as verify prints it)"
            ))
        };
        let (seq, hash) = text.trim().split_once(':').ok_or_else(bad)?;
        let seq = seq.parse::<u64>().map_err(|_| bad())?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(JournalHead {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for JournalHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

const HEAD_META: &str = "journal_head";

/// Appends an entry inside the caller's transaction (an import writes its entry together with
/// its manifest), and records the new head.
pub(crate) fn append_in(
    conn: &rusqlite::Connection,
    at: &str,
    action: JournalAction,
    detail: &serde_json::Value,
) -> Result<JournalEntry> {
    let action = action.as_str();
    let detail = detail.to_string();
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev_hash) = last.map_or((1, GENESIS.to_string()), |(s, h)| (s as u64 + 1, h));
    let hash = entry_hash(&prev_hash, seq, at, action, &detail);
    conn.execute(
        "INSERT INTO journal (seq, at, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq as i64, at, action, detail, prev_hash, hash],
    )?;
    super::db::set_meta(conn, HEAD_META, &format!("{seq}:{hash}"))?;
    Ok(JournalEntry {
        seq,
        at: at.to_string(),
        action: action.to_string(),
        detail,
        prev_hash,
        hash,
    })
}

impl Store {
    /// Appends an entry. Needs a database that can be written, not the case's write lock: the
    /// chain is extended in one SQLite transaction, safe beside another process's import, so a
    /// verify or an export run while an import goes on is journaled too.
    pub fn journal_append(
        &self,
        action: JournalAction,
        detail: &serde_json::Value,
    ) -> Result<JournalEntry> {
        self.journal_with(action, detail, None)
    }

    /// Appends the entry of something the case handed out (a verify report, an export, a
    /// report) and records it, with the entry's seq, in the outputs table, in one transaction:
    /// verify checks that every output still finds its entry.
    pub fn journal_output(
        &self,
        action: JournalAction,
        detail: &serde_json::Value,
        file: Option<&str>,
        sha256: Option<&str>,
    ) -> Result<JournalEntry> {
        self.journal_with(action, detail, Some((file, sha256)))
    }

    fn journal_with(
        &self,
        action: JournalAction,
        detail: &serde_json::Value,
        output: Option<(Option<&str>, Option<&str>)>,
    ) -> Result<JournalEntry> {
        if !self.can_journal() {
            return Err(Error::ReadOnly("writing the journal"));
        }
        let at = self.now_text();
        let mut db = self.db();
        // Immediate: another process appending between this one's read of the last entry and its
        // write would otherwise fail the upgrade to a write lock instead of waiting.
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let entry = append_in(&tx, &at, action, detail)?;
        if let Some((file, sha256)) = output {
            tx.execute(
                "INSERT INTO outputs (kind, at, file, sha256, journal_seq) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![action.as_str(), at, file, sha256, entry.seq as i64],
            )?;
        }
        tx.commit()?;
        Ok(entry)
    }

    /// The newest entry, if any.
    pub fn journal_head(&self) -> Result<Option<JournalHead>> {
        let db = self.db();
        Ok(db
            .query_row(
                "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(JournalHead {
                        seq: r.get::<_, i64>(0)? as u64,
                        hash: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every entry, and the first place where the chain does not hold.
    pub fn journal(&self) -> Result<JournalCheck> {
        let db = self.db();
        let mut stmt = db
            .prepare("SELECT seq, at, action, detail, prev_hash, hash FROM journal ORDER BY seq")?;
        let entries = stmt
            .query_map([], |r| {
                Ok(JournalEntry {
                    seq: r.get::<_, i64>(0)? as u64,
                    at: r.get(1)?,
                    action: r.get(2)?,
                    detail: r.get(3)?,
                    prev_hash: r.get(4)?,
                    hash: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut expected_prev = GENESIS.to_string();
        let mut bad = None;
        for (expected_seq, e) in (1..).zip(&entries) {
            let problem = if e.seq != expected_seq {
                Some(format!(
                    "entry {expected_seq} is missing (found {} next)",
                    e.seq
                ))
            } else if e.prev_hash != expected_prev {
                Some("it does not name the hash of the entry before it".to_string())
            } else if entry_hash(&e.prev_hash, e.seq, &e.at, &e.action, &e.detail) != e.hash {
                Some(
                    "its content does not match its hash (edited after it was written)".to_string(),
                )
            } else {
                None
            };
            if let Some(reason) = problem {
                bad = Some((e.seq, reason));
                break;
            }
            expected_prev = e.hash.clone();
        }
        if bad.is_none() {
            bad = removed_tail(&db, entries.last())?;
        }
        let (first_bad, reason) = bad.unzip();
        Ok(JournalCheck {
            entries,
            first_bad,
            reason,
        })
    }
}

/// Entries removed from the end leave a whole chain; the head the case recorded at the last
/// append says how far it went.
fn removed_tail(
    conn: &rusqlite::Connection,
    last: Option<&JournalEntry>,
) -> Result<Option<(u64, String)>> {
    let Some(recorded) = super::db::meta(conn, HEAD_META)? else {
        return Ok(None);
    };
    let Ok(head) = JournalHead::parse(&recorded) else {
        return Ok(Some((
            0,
            format!("the recorded journal head {recorded:?} is damaged"),
        )));
    };
    let (seq, hash) = last.map_or((0, ""), |e| (e.seq, e.hash.as_str()));
    Ok(if head.seq > seq {
        Some((
            seq + 1,
            format!(
                "entries {}–{} were removed from the end (the case recorded entry {} as its newest)",
                seq + 1,
                head.seq,
                head.seq
            ),
        ))
    } else if head.seq == seq && head.hash != hash {
        Some((
            seq,
            "it was rewritten after it was recorded as the newest".to_string(),
        ))
    } else {
        None
    })
}

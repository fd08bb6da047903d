//! The case journal: every action on the case is appended as an entry holding the SHA-256 of the
//! entry before it, so editing, removing or reordering entries breaks the chain from that point.
//!
//! An entry's hash covers `prev_hash`, `seq`, `at`, `action` and `detail` (compact JSON), joined
//! by newlines; the first entry's `prev_hash` is 64 zeros.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::Result;

/// What a journal entry records. Stored as its name; the API decides which operations are
/// journaled (`api.rs`), the store only keeps the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalAction {
    Import,
    Verify,
    Search,
    Export,
    Report,
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
            JournalAction::Search => "search",
            JournalAction::Export => "export",
            JournalAction::Report => "report",
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

impl Store {
    /// Appends an entry; refused on a case opened read-only.
    pub fn journal_append(
        &self,
        action: JournalAction,
        detail: &serde_json::Value,
    ) -> Result<JournalEntry> {
        self.check_writable_for("writing the journal")?;
        let action = action.as_str();
        let detail = detail.to_string();
        let at = self.now_text();
        let mut db = self.db();
        let tx = db.transaction()?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| {
                if e == rusqlite::Error::QueryReturnedNoRows {
                    Ok(None)
                } else {
                    Err(e)
                }
            })?;
        let (seq, prev_hash) = last.map_or((1, GENESIS.to_string()), |(s, h)| (s as u64 + 1, h));
        let hash = entry_hash(&prev_hash, seq, &at, action, &detail);
        tx.execute(
            "INSERT INTO journal (seq, at, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![seq as i64, at, action, detail, prev_hash, hash],
        )?;
        tx.commit()?;
        Ok(JournalEntry {
            seq,
            at,
            action: action.to_string(),
            detail,
            prev_hash,
            hash,
        })
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
        let (first_bad, reason) = bad.unzip();
        Ok(JournalCheck {
            entries,
            first_bad,
            reason,
        })
    }
}

//! Saved searches (a name for a query, its filters, time range, order and columns) and the
//! search history, which is read from the case journal: every search a person ran is already
//! recorded there, so the history cannot disagree with it.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::journal::JournalAction;
use super::Store;
use crate::error::{Error, Result};
use crate::model::{FacetFilter, SortOrder};

/// What a saved search or a history entry brings back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SavedSearch {
    pub name: String,
    pub query: String,
    pub filters: Vec<FacetFilter>,
    #[serde(default, with = "crate::model::nanos::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub from: Option<i64>,
    #[serde(default, with = "crate::model::nanos::option")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub to: Option<i64>,
    #[serde(default)]
    pub order: SortOrder,
    /// Result-table columns shown, in order (empty: the window's default).
    #[serde(default)]
    pub columns: Vec<String>,
    /// When it was saved or last run, RFC 3339 UTC.
    #[serde(default)]
    pub at: String,
}

/// How many distinct past searches the history keeps.
const HISTORY: usize = 50;

impl Store {
    /// Saves (or replaces) a search under its name; returns it as kept.
    pub fn save_search(&self, search: &SavedSearch) -> Result<SavedSearch> {
        self.check_writable()?;
        let name = search.name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(Error::Invalid(
                "a saved search needs a name of 1 to 200 characters".to_string(),
            ));
        }
        let mut s = search.clone();
        s.name = name.to_string();
        s.at = self.now_text();
        let json = serde_json::to_string(&s)
            .map_err(|e| Error::Internal(format!("saved search not serializable: {e}")))?;
        self.db().execute(
            "INSERT INTO saved_searches (name, search) VALUES (?1, ?2)
             ON CONFLICT(name) DO UPDATE SET search = excluded.search",
            params![s.name, json],
        )?;
        Ok(s)
    }

    pub fn delete_saved_search(&self, name: &str) -> Result<()> {
        self.check_writable()?;
        self.db()
            .execute("DELETE FROM saved_searches WHERE name = ?1", [name])?;
        Ok(())
    }

    /// Saved searches by name.
    pub fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        let db = self.db();
        let mut stmt =
            db.prepare("SELECT search FROM saved_searches ORDER BY name COLLATE NOCASE")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let text = row?;
            out.push(
                serde_json::from_str(&text)
                    .map_err(|e| Error::Corrupt(format!("saved search unreadable: {e}")))?,
            );
        }
        Ok(out)
    }

    /// The latest distinct searches run in the window, newest first, from the journal.
    pub fn search_history(&self) -> Result<Vec<SavedSearch>> {
        let journal = self.journal()?;
        let mut out: Vec<SavedSearch> = Vec::new();
        for e in journal
            .entries
            .iter()
            .rev()
            .filter(|e| e.action == JournalAction::Search.as_str())
        {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&e.detail) else {
                continue;
            };
            let time = |k: &str| {
                v[k].as_str()
                    .and_then(crate::time::parse_text)
                    .map(|t| t.utc_nanos)
            };
            let s = SavedSearch {
                name: String::new(),
                query: v["query"].as_str().unwrap_or_default().to_string(),
                filters: serde_json::from_value(v["filters"].clone()).unwrap_or_default(),
                from: time("from"),
                to: time("to"),
                order: SortOrder::default(),
                columns: Vec::new(),
                at: e.at.clone(),
            };
            let same = |o: &SavedSearch| {
                o.query == s.query && o.filters == s.filters && o.from == s.from && o.to == s.to
            };
            if !out.iter().any(same) {
                out.push(s);
            }
            if out.len() == HISTORY {
                break;
            }
        }
        Ok(out)
    }
}

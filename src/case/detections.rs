//! What detections found, kept with the case: the rules that fired (`detection_rules`, the
//! rule's description as JSON, written by the `detect` feature) and one row per rule and event
//! (`detection_hits`, with why it matched). The store keeps and answers; it does not evaluate.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::Store;
use crate::error::Result;

/// A rule as stored.
pub struct RuleRow<'a> {
    pub key: &'a str,
    pub title: &'a str,
    pub level: &'a str,
    pub hidden: bool,
    /// The feature's full description of the rule, as JSON.
    pub info: String,
}

/// One rule matching one event; `rule` indexes the rows given with it.
pub struct HitRow {
    pub rule: usize,
    pub seq: u64,
    pub time: Option<i64>,
    /// Why it matched, as JSON (shared by the hits that matched alike).
    pub matched: std::sync::Arc<str>,
}

/// Which hits a query asks for.
pub enum HitQuery<'a> {
    /// A rule by title or id (case-insensitive; `*` as a wildcard).
    Rule(&'a str),
    Level(&'a str),
    Any,
}

/// Inserts (or finds) the rules and inserts the hits, in the caller's transaction.
pub(crate) fn insert(
    tx: &Transaction,
    rules: &[RuleRow],
    hits: &[HitRow],
    run_id: Option<u64>,
) -> Result<()> {
    let mut ids = Vec::with_capacity(rules.len());
    {
        let mut upsert = tx.prepare(
            "INSERT INTO detection_rules (key, title, level, hidden, info) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(key) DO UPDATE SET title = excluded.title, level = excluded.level,
             hidden = excluded.hidden, info = excluded.info RETURNING id",
        )?;
        for r in rules {
            let id: i64 = upsert
                .query_row(params![r.key, r.title, r.level, r.hidden, r.info], |row| {
                    row.get(0)
                })?;
            ids.push(id);
        }
    }
    let mut reason = tx.prepare(
        "INSERT INTO detection_reasons (matched) VALUES (?1)
         ON CONFLICT(matched) DO UPDATE SET matched = excluded.matched RETURNING id",
    )?;
    // Each distinct reason once: hits that matched alike share one `Arc<str>`.
    let mut reasons: HashMap<&str, i64> = HashMap::new();
    let mut insert = tx.prepare(
        "INSERT OR REPLACE INTO detection_hits (rule, seq, run_id, time, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for h in hits {
        let Some(rule) = ids.get(h.rule) else {
            continue;
        };
        let id = match reasons.get(&*h.matched) {
            Some(&id) => id,
            None => {
                let id: i64 = reason.query_row([&*h.matched], |r| r.get(0))?;
                reasons.insert(&h.matched, id);
                id
            }
        };
        insert.execute(params![
            rule,
            h.seq as i64,
            run_id.map(|r| r as i64),
            h.time,
            id
        ])?;
    }
    super::labels::bump(tx)
}

/// Drops the hits of an import run that never became visible.
pub(crate) fn forget_run(conn: &Connection, run_id: u64) -> Result<()> {
    conn.execute(
        "DELETE FROM detection_hits WHERE run_id = ?1",
        [run_id as i64],
    )?;
    conn.execute(
        "DELETE FROM detection_reasons WHERE id NOT IN
         (SELECT reason FROM detection_hits WHERE reason IS NOT NULL)",
        [],
    )?;
    super::labels::bump(conn)
}

/// A rule's hits in the case: its stored description, how many, first and last time.
pub struct RuleHits {
    pub info: String,
    pub count: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// The first events, oldest first: `(seq, time, matched)`.
    pub events: Vec<(u64, Option<i64>, String)>,
}

/// Hits on events with a sequence key in `?1..?2` of visible rules at the levels bound after
/// them: a noisy low rule's hits stay in the database.
fn between(levels: usize) -> String {
    let marks: Vec<String> = (0..levels).map(|i| format!("?{}", i + 3)).collect();
    format!(
        "detection_hits h JOIN detection_rules r ON r.id = h.rule
         WHERE h.seq >= ?1 AND h.seq < ?2 AND NOT r.hidden AND r.level IN ({})",
        if marks.is_empty() {
            "NULL".to_string()
        } else {
            marks.join(", ")
        }
    )
}

fn between_args(
    from: u64,
    to: u64,
    levels: &[&str],
) -> rusqlite::ParamsFromIter<Vec<rusqlite::types::Value>> {
    let mut args: Vec<rusqlite::types::Value> = vec![(from as i64).into(), (to as i64).into()];
    args.extend(
        levels
            .iter()
            .map(|l| rusqlite::types::Value::from(l.to_string())),
    );
    rusqlite::params_from_iter(args)
}

impl Store {
    /// Replaces every rule and hit with these, in one transaction (a run on demand).
    pub fn replace_detections(&self, rules: &[RuleRow], hits: &[HitRow]) -> Result<()> {
        self.check_writable_for("running detections")?;
        let mut db = self.db();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM detection_hits", [])?;
        tx.execute("DELETE FROM detection_rules", [])?;
        tx.execute("DELETE FROM detection_reasons", [])?;
        insert(&tx, rules, hits, None)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces the hits of these rules only (the correlation pass after an import).
    pub fn replace_rule_hits(&self, rules: &[RuleRow], hits: &[HitRow]) -> Result<()> {
        let mut db = self.db();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for r in rules {
            tx.execute(
                "DELETE FROM detection_hits WHERE rule IN (SELECT id FROM detection_rules WHERE key = ?1)",
                [r.key],
            )?;
        }
        insert(&tx, rules, hits, None)?;
        tx.commit()?;
        Ok(())
    }

    /// Adds hits of these rules, keeping the ones the case has (a correlation pass over a batch).
    pub fn add_rule_hits(&self, rules: &[RuleRow], hits: &[HitRow]) -> Result<()> {
        self.add_hits(rules, hits, None)
    }

    /// Adds hits on events of a running import `run_id`: they go with the run if it is aborted.
    pub(crate) fn add_run_hits(
        &self,
        run_id: u64,
        rules: &[RuleRow],
        hits: &[HitRow],
    ) -> Result<()> {
        self.add_hits(rules, hits, Some(run_id))
    }

    fn add_hits(&self, rules: &[RuleRow], hits: &[HitRow], run_id: Option<u64>) -> Result<()> {
        let mut db = self.db();
        let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        insert(&tx, rules, hits, run_id)?;
        tx.commit()?;
        Ok(())
    }

    /// Every rule the case keeps (its stored description), hits or not: what a report needs
    /// to name a rule and its author without counting hits.
    pub fn rule_infos(&self) -> Result<Vec<String>> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT info FROM detection_rules ORDER BY id")?;
        let infos = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(infos)
    }

    /// The events some hits are on.
    pub fn detected(&self, q: &HitQuery) -> Result<HashSet<u64>> {
        Ok(self.detection_labels()?.events(q))
    }

    /// Every rule with hits (hidden ones too when `hidden`), most serious first, with up to
    /// `events` of its events.
    pub fn rule_hits(&self, hidden: bool, events: usize) -> Result<Vec<RuleHits>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT r.id, r.info, COUNT(h.seq), MIN(h.time), MAX(h.time) FROM detection_rules r
             JOIN detection_hits h ON h.rule = r.id WHERE ?1 OR NOT r.hidden
             GROUP BY r.id ORDER BY CASE r.level WHEN 'critical' THEN 0 WHEN 'high' THEN 1
             WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, COUNT(h.seq) DESC, r.title",
        )?;
        let rules = stmt
            .query_map([hidden], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)? as u64,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut first = db.prepare(
            "SELECT h.seq, h.time, COALESCE(m.matched, '[]') FROM detection_hits h
             LEFT JOIN detection_reasons m ON m.id = h.reason WHERE h.rule = ?1
             ORDER BY h.time IS NULL, h.time, h.seq LIMIT ?2",
        )?;
        let mut out = Vec::new();
        for (id, info, count, lo, hi) in rules {
            let events = first
                .query_map(params![id, events as i64], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.push(RuleHits {
                info,
                count,
                first: lo,
                last: hi,
                events,
            });
        }
        Ok(out)
    }

    /// Hits on events with a sequence key in `from..to` of rules at one of `levels`, in time
    /// order (at most `limit`): `(rule info, seq, time)`. What a batch of `watch` raised.
    pub fn hits_between(
        &self,
        from: u64,
        to: u64,
        levels: &[&str],
        limit: usize,
    ) -> Result<Vec<(String, u64, Option<i64>)>> {
        let db = self.db();
        let mut stmt = db.prepare(&format!(
            "SELECT r.info, h.seq, h.time FROM {} ORDER BY h.time, h.seq LIMIT {limit}",
            between(levels.len())
        ))?;
        let rows = stmt.query_map(between_args(from, to, levels), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many hits [`Store::hits_between`] would list without its limit.
    pub fn count_hits_between(&self, from: u64, to: u64, levels: &[&str]) -> Result<u64> {
        let db = self.db();
        let sql = format!("SELECT COUNT(*) FROM {}", between(levels.len()));
        let n: i64 = db.query_row(&sql, between_args(from, to, levels), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The rules that matched one event, with why: `(info, matched)`.
    pub fn hits_on(&self, seq: u64) -> Result<Vec<(String, String)>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT r.info, COALESCE(m.matched, '[]') FROM detection_hits h
             JOIN detection_rules r ON r.id = h.rule
             LEFT JOIN detection_reasons m ON m.id = h.reason WHERE h.seq = ?1 AND NOT r.hidden
             ORDER BY r.title",
        )?;
        let rows = stmt
            .query_map([seq as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The most serious level of the (listed) detections on each of these events.
    pub fn levels_of(&self, seqs: &[u64]) -> Result<std::collections::HashMap<u64, String>> {
        let mut out = std::collections::HashMap::new();
        if seqs.is_empty() {
            return Ok(out);
        }
        let db = self.db();
        let mut stmt = db.prepare_cached(
            "SELECT r.level FROM detection_hits h JOIN detection_rules r ON r.id = h.rule
             WHERE h.seq = ?1 AND NOT r.hidden",
        )?;
        let rank = |l: &str| {
            ["informational", "low", "medium", "high", "critical"]
                .iter()
                .position(|x| *x == l)
        };
        for &seq in seqs {
            let levels = stmt
                .query_map([seq as i64], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            if let Some(top) = levels.into_iter().max_by_key(|l| rank(l)) {
                out.insert(seq, top);
            }
        }
        Ok(out)
    }

    /// The time of each of `seqs` that has a hit (the counted events of earlier batches a
    /// correlation window named).
    pub fn hit_times(&self, seqs: &[u64]) -> Result<HashMap<u64, i64>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT time FROM detection_hits WHERE seq = ?1 AND time IS NOT NULL LIMIT 1",
        )?;
        let mut out = HashMap::new();
        for &seq in seqs {
            let time: Option<i64> = stmt.query_row([seq as i64], |r| r.get(0)).optional()?;
            if let Some(t) = time {
                out.insert(seq, t);
            }
        }
        Ok(out)
    }

    /// Keeps the views of counted events (seq, time, compact JSON) made for `made_for`,
    /// replacing those of the same events; with `whole`, every other view goes.
    pub fn keep_counted_views(
        &self,
        views: &[(u64, i64, &str)],
        made_for: &str,
        whole: bool,
    ) -> Result<()> {
        let mut db = self.db();
        let tx = db.transaction()?;
        if whole {
            tx.execute("DELETE FROM counted_views", [])?;
        }
        {
            let mut stmt = tx.prepare(
                "INSERT OR REPLACE INTO counted_views (seq, nanos, view, made_for)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (seq, nanos, view) in views {
                stmt.execute(params![*seq as i64, nanos, view, made_for])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The kept views made for `made_for` of events timed within `from..=to`.
    pub fn counted_views(
        &self,
        made_for: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<(u64, i64, String)>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT seq, nanos, view FROM counted_views
             WHERE made_for = ?1 AND nanos >= ?2 AND nanos <= ?3",
        )?;
        let rows = stmt.query_map(
            params![made_for, from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The events each of these rules (by key) matched, with their times; only those timed
    /// within `from..=to` where a bound is given (an event without a time is then left out).
    pub fn rule_seqs(
        &self,
        keys: &[String],
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<(u64, Option<i64>)>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT h.seq, h.time FROM detection_hits h JOIN detection_rules r ON r.id = h.rule
             WHERE r.key = ?1 AND (?2 IS NULL OR h.time >= ?2) AND (?3 IS NULL OR h.time <= ?3)",
        )?;
        let mut out = Vec::new();
        for key in keys {
            let rows = stmt.query_map(params![key, from, to], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

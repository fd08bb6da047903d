//! Aliases: the identities one person or workload has in different sources (an Okta email, an
//! AWS ARN, a Windows SID), joined by an investigator and kept in the case. Joining is
//! transitive: a group is kept under its first name.

use rusqlite::params;

use super::Store;
use crate::error::{Error, Result};

impl Store {
    /// Joins `alias` to `actor` (both as shown in the actor facet); returns the group's first
    /// name, under which the whole group is kept.
    pub fn add_alias(&self, actor: &str, alias: &str) -> Result<String> {
        self.check_writable()?;
        let (actor, alias) = (actor.trim(), alias.trim());
        if actor.is_empty() || alias.is_empty() || actor == alias {
            return Err(Error::Invalid(
                "an alias joins two different, non-empty names".to_string(),
            ));
        }
        let group = self.alias_group(actor)?;
        let canonical = group.first().cloned().unwrap_or_else(|| actor.to_string());
        {
            let db = self.db();
            db.execute(
                "INSERT OR IGNORE INTO actor_aliases (alias, actor) VALUES (?1, ?1)",
                params![canonical],
            )?;
            // The alias's own group moves over whole, so joining is transitive.
            let theirs = {
                let mut stmt = db.prepare(
                    "SELECT alias FROM actor_aliases WHERE actor = (SELECT actor FROM actor_aliases WHERE alias = ?1)",
                )?;
                let rows = stmt.query_map([alias], |r| r.get::<_, String>(0))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            for name in theirs.iter().map(String::as_str).chain([alias]) {
                db.execute(
                    "INSERT INTO actor_aliases (alias, actor) VALUES (?1, ?2)
                     ON CONFLICT(alias) DO UPDATE SET actor = excluded.actor",
                    params![name, canonical],
                )?;
            }
        }
        Ok(canonical)
    }

    /// Takes `alias` out of its group.
    pub fn remove_alias(&self, alias: &str) -> Result<()> {
        self.check_writable()?;
        self.db()
            .execute("DELETE FROM actor_aliases WHERE alias = ?1", [alias])?;
        Ok(())
    }

    /// `actor` and every name joined to it, the group's first name first.
    pub fn alias_group(&self, actor: &str) -> Result<Vec<String>> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT alias FROM actor_aliases WHERE actor = (SELECT actor FROM actor_aliases WHERE alias = ?1)
             ORDER BY alias = actor DESC, alias",
        )?;
        let names = stmt
            .query_map([actor], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(if names.is_empty() {
            vec![actor.to_string()]
        } else {
            names
        })
    }
}

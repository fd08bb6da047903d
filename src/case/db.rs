//! The case database: metadata, import runs and the file manifest, behind forward-only migrations.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// Migrations in order; a case records how many it has applied in `PRAGMA user_version`.
/// Never edit one that has shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE case_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    -- running: indexing; pending: manifest written, index commit not yet confirmed;
    -- complete: visible; aborted: killed or cancelled, nothing of it is visible.
    status TEXT NOT NULL CHECK (status IN ('running', 'pending', 'complete', 'aborted')),
    report TEXT
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER,
    format TEXT,
    status TEXT NOT NULL,
    events INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    detail TEXT,
    -- How the file's records are read (format, CSV header, field mapping), as JSON: events are
    -- rebuilt from raw records with it.
    context TEXT
);
CREATE INDEX files_sha256 ON files(sha256);
CREATE INDEX files_run ON files(run_id);
"#,
    r#"
-- The case's own activity journal: each entry holds the hash of the one before it.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"#,
    r#"
-- What an import noticed about its files' records (sequence gaps, clearing events, conflicts);
-- true for as long as the file's SHA-256 still matches.
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    file_id INTEGER NOT NULL,
    finding TEXT NOT NULL
);
CREATE INDEX findings_run ON findings(run_id);
"#,
    r#"
-- What investigators add to events (by event id, with its index sequence key for search).
CREATE TABLE tags (name TEXT PRIMARY KEY COLLATE NOCASE, color TEXT NOT NULL);
CREATE TABLE event_tags (
    event_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    tag TEXT NOT NULL REFERENCES tags(name),
    PRIMARY KEY (event_id, tag)
);
CREATE INDEX event_tags_tag ON event_tags(tag);
CREATE TABLE event_marks (
    event_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    starred INTEGER NOT NULL DEFAULT 0,
    note TEXT
);
"#,
    r#"
CREATE TABLE saved_searches (name TEXT PRIMARY KEY, search TEXT NOT NULL);
"#,
    r#"
-- Identities joined into one actor: every alias names its group's first name.
CREATE TABLE actor_aliases (alias TEXT PRIMARY KEY, actor TEXT NOT NULL);
CREATE INDEX actor_aliases_actor ON actor_aliases(actor);
"#,
    r#"
-- The journal entry of each run, written in the run's own transaction; and of everything else
-- the case handed out (verify reports, exports, reports). Verify checks each still names its
-- entry: a journal cut at its end no longer holds them.
ALTER TABLE runs ADD COLUMN journal_seq INTEGER;
CREATE TABLE outputs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    file TEXT,
    sha256 TEXT,
    journal_seq INTEGER NOT NULL
);
"#,
    r#"
-- What detections found: the rules that fired (described by the detect feature, as JSON) and one
-- row per rule and event, with why it matched. Hits of an import are written with its manifest.
CREATE TABLE detection_rules (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    info TEXT NOT NULL
);
CREATE TABLE detection_hits (
    rule INTEGER NOT NULL REFERENCES detection_rules(id),
    seq INTEGER NOT NULL,
    run_id INTEGER,
    time INTEGER,
    matched TEXT,
    PRIMARY KEY (rule, seq)
);
CREATE INDEX detection_hits_seq ON detection_hits(seq);
"#,
    r#"
-- Why a hit matched, kept once per distinct reason: a noisy rule matches 400,000 events of the
-- 1M-event bench case for the same reason, and its text in every row made the hits 7 times
-- larger and the import's hit writes 3 s long. Hits without a rowid: the key is their identity.
CREATE TABLE detection_reasons (id INTEGER PRIMARY KEY, matched TEXT NOT NULL UNIQUE);
INSERT INTO detection_reasons (matched)
    SELECT DISTINCT matched FROM detection_hits WHERE matched IS NOT NULL;
CREATE TABLE detection_hits_keyed (
    rule INTEGER NOT NULL REFERENCES detection_rules(id),
    seq INTEGER NOT NULL,
    run_id INTEGER,
    time INTEGER,
    reason INTEGER REFERENCES detection_reasons(id),
    PRIMARY KEY (rule, seq)
) WITHOUT ROWID;
INSERT INTO detection_hits_keyed (rule, seq, run_id, time, reason)
    SELECT h.rule, h.seq, h.run_id, h.time, r.id
    FROM detection_hits h LEFT JOIN detection_reasons r ON r.matched = h.matched;
DROP TABLE detection_hits;
ALTER TABLE detection_hits_keyed RENAME TO detection_hits;
CREATE INDEX detection_hits_seq ON detection_hits(seq);
"#,
    r#"
-- Files `watch` follows as they grow: one row per generation (one file on disk, an inode, from
-- its first byte), found again after a rename or a copy by its identity or by the bytes it
-- imported. Its imported byte ranges are rows of `files` naming it (`follow_id`), written with
-- their run: what a generation has imported is what complete runs hold, never ahead of them.
CREATE TABLE follow_files (
    id INTEGER PRIMARY KEY,
    -- Where it is now (renames are followed) and where it was first seen.
    path TEXT NOT NULL,
    first_path TEXT NOT NULL,
    device INTEGER,
    inode INTEGER,
    -- gzip: a rotated copy compressed after it was followed; its ranges are of the decompressed bytes.
    compressed INTEGER NOT NULL DEFAULT 0,
    -- SHA-256 of its first bytes (up to 4 KiB) when first seen: a rewrite from the start shows here.
    head_len INTEGER NOT NULL DEFAULT 0,
    head_sha TEXT,
    -- live: followed; closed: replaced by a newer generation or gone.
    state TEXT NOT NULL CHECK (state IN ('live', 'closed')),
    -- Why it began (truncated or rewritten under the watcher: a finding kind and its words),
    -- said by its first range's finding.
    reason_kind TEXT,
    reason TEXT,
    created_at TEXT NOT NULL
);
ALTER TABLE files ADD COLUMN follow_id INTEGER;
ALTER TABLE files ADD COLUMN range_start INTEGER;
ALTER TABLE files ADD COLUMN range_line INTEGER;
ALTER TABLE files ADD COLUMN range_lines INTEGER;
-- SHA-256 of the range's last 4 KiB: a cheap check that the bytes before the next range are
-- still the ones imported.
ALTER TABLE files ADD COLUMN range_tail TEXT;
CREATE INDEX files_follow ON files(follow_id);
-- The paths `watch` follows, so a restart (or the window's Follow switch) takes them up again.
CREATE TABLE follow_paths (path TEXT PRIMARY KEY, added_at TEXT NOT NULL);
"#,
    r#"
-- Events a correlation counts, as the correlation pass reads them (compact JSON), so that
-- making a case's correlations again reads these instead of the events from the index.
-- `made_for` names the fields kept (the rules of the time): a view made for others is unused.
CREATE TABLE counted_views (
    seq INTEGER PRIMARY KEY,
    nanos INTEGER NOT NULL,
    view TEXT NOT NULL,
    made_for TEXT NOT NULL
) WITHOUT ROWID;
"#,
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Up to 16 MiB of pages cached (SQLite's default is 2 MiB, taken only as used): the hits an
    // import writes (500,000 on the 1M-event bench case) went to disk and back at every page.
    conn.pragma_update(None, "cache_size", -16384)?;
    Ok(conn)
}

/// Whether `conn` can write its database: SQLite opens a write-protected file read-only without
/// a word, and a WAL database then fails at its first read where its log cannot be made.
pub fn writable(conn: &Connection) -> bool {
    !conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true)
        && conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok()
}

/// Opens a database that cannot be written (a case on read-only media): read-only and
/// immutable, so SQLite neither needs nor makes its log files. A writer folds the log into the
/// database file when it closes the case, so nothing is missed.
pub fn open_immutable(path: &std::path::Path) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    let uri = format!("file:{}?immutable=1", uri_path(path));
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// `path` as a URI path: every byte but unreserved ones and `/` percent-encoded.
fn uri_path(path: &std::path::Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Applies the migrations this case has not seen yet, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let applied = schema_version(conn)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM case_meta WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO case_meta (key, value) VALUES (?1, ?2)",
        [key, value],
    )?;
    Ok(())
}

/// A file row as written at the end of a run.
pub struct FileRow<'a> {
    pub id: u64,
    pub path: &'a str,
    pub sha256: Option<&'a str>,
    pub size: Option<u64>,
    pub format: Option<&'a str>,
    pub status: &'a str,
    pub events: u64,
    pub skipped: u64,
    pub detail: Option<&'a str>,
    pub context: Option<String>,
    /// For a range of a followed file: which generation and where.
    pub range: Option<&'a super::followed::RangeRow>,
}

pub fn begin_run(conn: &Connection, now: &str) -> Result<u64> {
    conn.execute(
        "INSERT INTO runs (started_at, status) VALUES (?1, 'running')",
        [now],
    )?;
    Ok(conn.last_insert_rowid() as u64)
}

pub fn next_file_id(conn: &Connection) -> Result<u64> {
    let max: Option<i64> = conn.query_row("SELECT MAX(id) FROM files", [], |r| r.get(0))?;
    Ok(max.unwrap_or(0) as u64 + 1)
}

/// A run's journal entry: when, and what it says.
pub struct RunEntry<'a> {
    pub at: &'a str,
    pub detail: &'a serde_json::Value,
}

/// Writes the run's manifest, report and journal entry and marks it pending, in one
/// transaction: the run becomes visible at the index commit that follows (see [`reconcile`]),
/// and never without its entry.
pub fn record_run(
    conn: &mut Connection,
    run_id: u64,
    files: &[FileRow],
    findings: &[(u64, &crate::model::Finding)],
    report: &str,
    entry: &RunEntry,
    detections: (&[super::detections::RuleRow], &[super::detections::HitRow]),
) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    super::detections::insert(&tx, detections.0, detections.1, Some(run_id))?;
    {
        let mut insert =
            tx.prepare("INSERT INTO findings (run_id, file_id, finding) VALUES (?1, ?2, ?3)")?;
        for (file_id, f) in findings {
            let json = serde_json::to_string(f)
                .map_err(|e| crate::Error::Internal(format!("finding not serializable: {e}")))?;
            insert.execute(params![run_id as i64, *file_id as i64, json])?;
        }
    }
    {
        let mut insert = tx.prepare(
            // OR REPLACE: a file's row written at a checkpoint of the run (`record_reading`).
            "INSERT OR REPLACE INTO files (id, run_id, path, sha256, size, format, status, events, skipped, detail, context,
                                follow_id, range_start, range_line, range_lines, range_tail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        for f in files {
            insert.execute(params![
                f.id as i64,
                run_id as i64,
                f.path,
                f.sha256,
                f.size.map(|s| s as i64),
                f.format,
                f.status,
                f.events as i64,
                f.skipped as i64,
                f.detail,
                f.context,
                f.range.map(|r| r.follow_id as i64),
                f.range.map(|r| r.start as i64),
                f.range.map(|r| r.first_line as i64),
                f.range.map(|r| r.lines as i64),
                f.range.map(|r| r.tail.as_str()),
            ])?;
        }
    }
    let journaled = super::journal::append_in(
        &tx,
        entry.at,
        super::journal::JournalAction::Import,
        entry.detail,
    )?;
    tx.execute(
        "UPDATE runs SET status = 'pending', report = ?2, journal_seq = ?3 WHERE id = ?1",
        params![run_id as i64, report, journaled.seq as i64],
    )?;
    tx.commit()?;
    Ok(())
}

pub fn finish_run(conn: &Connection, run_id: u64, status: &str, now: &str) -> Result<()> {
    conn.execute(
        "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1",
        params![run_id as i64, status, now],
    )?;
    if status == "aborted" {
        conn.execute("DELETE FROM files WHERE run_id = ?1", [run_id as i64])?;
        super::detections::forget_run(conn, run_id)?;
    }
    Ok(())
}

/// Settles runs a killed process left behind. The index commit carries the id of the last run it
/// made visible: a pending run at or below it completed, anything else never became visible. A
/// pending run was journaled with its manifest; one that never became visible gets an
/// `import_interrupted` entry, so the journal tells every run's end.
/// `checkpointed`: a run whose checkpoint made some of its events visible (they are removed).
pub fn reconcile(
    conn: &mut Connection,
    committed_run: Option<u64>,
    checkpointed: Option<u64>,
    now: &str,
) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let open: Vec<(u64, String, Option<i64>)> = {
        let mut stmt = tx.prepare(
            "SELECT id, status, journal_seq FROM runs WHERE status IN ('running', 'pending') ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, status, journal_seq) in open {
        let complete = status == "pending" && committed_run.is_some_and(|c| c >= id);
        finish_run(&tx, id, if complete { "complete" } else { "aborted" }, now)?;
        // A run whose checkpoint showed events is journaled as interrupted even if it was cut
        // off before its own entry: what was seen is accounted for.
        let shown = checkpointed == Some(id);
        if !complete && (journal_seq.is_some() || shown) {
            super::journal::append_in(
                &tx,
                now,
                super::journal::JournalAction::ImportInterrupted,
                &serde_json::json!({ "run": id, "journal_seq": journal_seq, "reason": interrupted(shown) }),
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn interrupted(checkpointed: bool) -> &'static str {
    if checkpointed {
        "the import stopped before it completed; the events its checkpoints had made searchable were removed and none of its events are in the case"
    } else {
        "the import stopped before its events became visible; none of them are in the case"
    }
}

/// Whether run `id` completed (`Some(true)`), was aborted (`Some(false)`) or has not ended.
pub fn run_ended(conn: &Connection, id: u64) -> Result<Option<bool>> {
    let status: Option<String> = conn
        .query_row("SELECT status FROM runs WHERE id = ?1", [id as i64], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(match status.as_deref() {
        Some("complete") => Some(true),
        Some("running" | "pending") => None,
        // Aborted, or a run the database does not know.
        _ => Some(false),
    })
}

/// What a row of the case names in the journal: its seq and the action that entry must have.
pub struct JournalRef {
    /// `run 3`, `export 2`, as findings name it.
    pub what: String,
    pub seq: u64,
    pub action: String,
    /// For runs: the entry must name this run.
    pub run: Option<u64>,
}

/// Every journal entry the runs and outputs tables name.
pub fn journal_refs(conn: &Connection) -> Result<Vec<JournalRef>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, journal_seq FROM runs WHERE journal_seq IS NOT NULL AND status = 'complete' ORDER BY id",
    )?;
    let runs = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
    })?;
    for row in runs {
        let (id, seq) = row?;
        out.push(JournalRef {
            what: format!("import run {id}"),
            seq,
            action: "import".to_string(),
            run: Some(id),
        });
    }
    let mut stmt = conn.prepare("SELECT id, kind, journal_seq FROM outputs ORDER BY id")?;
    let outputs = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)? as u64,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)? as u64,
        ))
    })?;
    for row in outputs {
        let (id, kind, seq) = row?;
        out.push(JournalRef {
            what: format!("{kind} {id}"),
            seq,
            action: kind,
            run: None,
        });
    }
    Ok(out)
}

/// Complete runs that name no journal entry (made before entries were written with the run).
pub fn unjournaled_runs(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM runs WHERE status = 'complete' AND journal_seq IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// SHA-256 → path of every file already imported, for duplicate detection.
pub fn imported_hashes(conn: &Connection) -> Result<std::collections::HashMap<String, String>> {
    let mut stmt = conn.prepare(
        "SELECT f.sha256, f.path FROM files f JOIN runs r ON r.id = f.run_id
         WHERE r.status = 'complete' AND f.status = 'imported' AND f.sha256 IS NOT NULL ORDER BY f.id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut map = std::collections::HashMap::new();
    for row in rows {
        let (sha, path) = row?;
        map.entry(sha).or_insert(path);
    }
    Ok(map)
}

/// One imported file, as the manifest holds it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ManifestFile {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: u64,
    pub path: String,
    pub sha256: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub size: Option<u64>,
    pub format: Option<String>,
    pub status: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skipped: u64,
    pub detail: Option<String>,
}

pub fn manifest(conn: &Connection) -> Result<Vec<ManifestFile>> {
    let mut stmt = conn.prepare(
        "SELECT f.id, f.run_id, f.path, f.sha256, f.size, f.format, f.status, f.events, f.skipped, f.detail
         FROM files f JOIN runs r ON r.id = f.run_id WHERE r.status = 'complete' ORDER BY f.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ManifestFile {
            id: r.get::<_, i64>(0)? as u64,
            run_id: r.get::<_, i64>(1)? as u64,
            path: r.get(2)?,
            sha256: r.get(3)?,
            size: r.get::<_, Option<i64>>(4)?.map(|s| s as u64),
            format: r.get(5)?,
            status: r.get(6)?,
            events: r.get::<_, i64>(7)? as u64,
            skipped: r.get::<_, i64>(8)? as u64,
            detail: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Findings recorded by complete imports, in the order they were recorded.
pub fn findings(conn: &Connection) -> Result<Vec<crate::model::Finding>> {
    let mut stmt = conn.prepare(
        "SELECT f.finding FROM findings f JOIN runs r ON r.id = f.run_id
         WHERE r.status = 'complete' ORDER BY f.id",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        let text = row?;
        let finding = serde_json::from_str(&text)
            .map_err(|e| crate::Error::Corrupt(format!("stored finding unreadable: {e}")))?;
        out.push(finding);
    }
    Ok(out)
}

pub fn count_runs(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM runs WHERE status = 'complete'",
        [],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Path, SHA-256 and read context of one file, for rebuilding its events, and whether its run
/// is complete (a running import's files are read with the context it began them with).
pub fn file_context(conn: &Connection, id: u64) -> Result<Option<(String, String, String, bool)>> {
    Ok(conn
        .query_row(
            "SELECT f.path, COALESCE(f.sha256, ''), COALESCE(f.context, '{}'), r.status = 'complete'
             FROM files f JOIN runs r ON r.id = f.run_id WHERE f.id = ?1",
            [id as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?)
}

/// A file a running import has begun to read.
pub struct ReadingRow {
    pub id: u64,
    pub path: String,
    pub sha256: String,
    /// How its records are read, as JSON.
    pub context: String,
}

/// Records the files a running import has begun, before a checkpoint makes their first events
/// visible: those events are rebuilt from their raw records with the file's context. The run's
/// manifest replaces these rows when it completes; an aborted run's are deleted with it.
pub fn record_reading(conn: &Connection, run_id: u64, rows: &[ReadingRow]) -> Result<()> {
    let mut insert = conn.prepare(
        "INSERT OR IGNORE INTO files (id, run_id, path, sha256, status, context)
         VALUES (?1, ?2, ?3, ?4, 'reading', ?5)",
    )?;
    for r in rows {
        insert.execute(params![
            r.id as i64,
            run_id as i64,
            r.path,
            r.sha256,
            r.context
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case made before reasons were kept once: its hits keep why they matched.
    #[test]
    fn hits_written_with_their_reason_in_each_row_keep_it_after_the_migration() {
        let mut conn = Connection::open_in_memory().unwrap();
        let before = MIGRATIONS
            .iter()
            .position(|m| m.contains("CREATE TABLE detection_reasons"))
            .unwrap();
        for sql in &MIGRATIONS[..before] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", before as i64)
            .unwrap();
        conn.execute_batch(
            r#"INSERT INTO detection_rules (id, key, title, level, info) VALUES (1, 'r1', 'R1', 'low', '{}');
               INSERT INTO detection_hits (rule, seq, run_id, time, matched) VALUES
                 (1, 10, 1, 5, '[{"field":"a"}]'), (1, 11, 1, 6, '[{"field":"a"}]'),
                 (1, 12, 1, 7, NULL);"#,
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let reasons: i64 = conn
            .query_row("SELECT count(*) FROM detection_reasons", [], |r| r.get(0))
            .unwrap();
        assert_eq!(reasons, 1);
        let rows: Vec<(i64, Option<String>)> = conn
            .prepare(
                "SELECT h.seq, m.matched FROM detection_hits h
                 LEFT JOIN detection_reasons m ON m.id = h.reason ORDER BY h.seq",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let a = Some(r#"[{"field":"a"}]"#.to_string());
        assert_eq!(rows, vec![(10, a.clone()), (11, a), (12, None)]);
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
    }
}

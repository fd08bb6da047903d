//! The rows `watch` keeps in the case database: the paths it follows, each file generation it
//! has seen, and the byte ranges each has imported. A generation's progress is read from the
//! ranges of complete runs only, so it is never ahead of what the case holds: a watcher killed at
//! any moment resumes at the end of the last committed batch.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// Where a range of a followed file lies, written with its manifest row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRow {
    pub follow_id: u64,
    /// Offset of its first byte in the generation's (decompressed) bytes.
    pub start: u64,
    /// 1-based line of its first byte.
    pub first_line: u64,
    /// Lines it holds (it always ends at a line end).
    pub lines: u64,
    /// SHA-256 of its last bytes (up to [`TAIL_BYTES`]).
    pub tail: String,
}

/// How many of a range's last bytes its `tail` hashes.
pub const TAIL_BYTES: u64 = 4096;

/// One range a generation imported, as complete runs hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRange {
    pub file_id: u64,
    /// The path the manifest row names (where the generation was when the range was imported).
    pub path: String,
    pub start: u64,
    pub size: u64,
    pub sha256: String,
    pub lines: u64,
    pub tail: String,
    pub format: Option<String>,
}

impl ImportedRange {
    pub fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// One file as `watch` follows it: an inode from its first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub id: u64,
    pub path: String,
    pub first_path: String,
    pub device: Option<u64>,
    pub inode: Option<u64>,
    pub compressed: bool,
    pub head_len: u64,
    pub head_sha: Option<String>,
    pub live: bool,
    /// Why it began, when not as a new file: the finding kind's name and its words.
    pub reason: Option<(String, String)>,
}

impl Generation {
    /// Device and inode, when the platform has them.
    pub fn identity(&self) -> Option<(u64, u64)> {
        Some((self.device?, self.inode?))
    }
}

/// What a new generation is created with.
pub struct NewGeneration<'a> {
    pub path: &'a str,
    pub device: Option<u64>,
    pub inode: Option<u64>,
    pub head_len: u64,
    pub head_sha: Option<&'a str>,
    /// Finding kind name and words.
    pub reason: Option<(&'a str, &'a str)>,
    pub now: &'a str,
}

/// Makes `paths` the ones the case follows.
pub fn set_paths(conn: &Connection, paths: &[String], now: &str) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    tx.execute("DELETE FROM follow_paths", [])?;
    for p in paths {
        tx.execute(
            "INSERT OR IGNORE INTO follow_paths (path, added_at) VALUES (?1, ?2)",
            params![p, now],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub fn paths(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT path FROM follow_paths ORDER BY rowid")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const GENERATION_COLUMNS: &str =
    "id, path, first_path, device, inode, compressed, head_len, head_sha, state, reason_kind, reason";

fn generation(r: &rusqlite::Row) -> rusqlite::Result<Generation> {
    Ok(Generation {
        id: r.get::<_, i64>(0)? as u64,
        path: r.get(1)?,
        first_path: r.get(2)?,
        device: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
        inode: r.get::<_, Option<i64>>(4)?.map(|v| v as u64),
        compressed: r.get::<_, i64>(5)? != 0,
        head_len: r.get::<_, i64>(6)? as u64,
        head_sha: r.get(7)?,
        live: r.get::<_, String>(8)? == "live",
        reason: match (
            r.get::<_, Option<String>>(9)?,
            r.get::<_, Option<String>>(10)?,
        ) {
            (Some(kind), Some(text)) => Some((kind, text)),
            _ => None,
        },
    })
}

/// Every generation, oldest first.
pub fn generations(conn: &Connection) -> Result<Vec<Generation>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {GENERATION_COLUMNS} FROM follow_files ORDER BY id"
    ))?;
    let rows = stmt.query_map([], generation)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn create(conn: &Connection, g: &NewGeneration) -> Result<u64> {
    conn.execute(
        "INSERT INTO follow_files (path, first_path, device, inode, head_len, head_sha, state, reason_kind, reason, created_at)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, 'live', ?6, ?7, ?8)",
        params![
            g.path,
            g.device.map(|v| v as i64),
            g.inode.map(|v| v as i64),
            g.head_len as i64,
            g.head_sha,
            g.reason.map(|r| r.0),
            g.reason.map(|r| r.1),
            g.now
        ],
    )?;
    Ok(conn.last_insert_rowid() as u64)
}

/// Where a generation is now: a rename, or a rotated copy that holds its bytes.
pub fn relocate(
    conn: &Connection,
    id: u64,
    path: &str,
    identity: Option<(u64, u64)>,
    compressed: bool,
) -> Result<()> {
    conn.execute(
        "UPDATE follow_files SET path = ?2, device = ?3, inode = ?4, compressed = ?5 WHERE id = ?1",
        params![
            id as i64,
            path,
            identity.map(|(d, _)| d as i64),
            identity.map(|(_, i)| i as i64),
            compressed as i64
        ],
    )?;
    Ok(())
}

pub fn set_head(conn: &Connection, id: u64, len: u64, sha: &str) -> Result<()> {
    conn.execute(
        "UPDATE follow_files SET head_len = ?2, head_sha = ?3 WHERE id = ?1",
        params![id as i64, len as i64, sha],
    )?;
    Ok(())
}

pub fn close(conn: &Connection, id: u64) -> Result<()> {
    conn.execute(
        "UPDATE follow_files SET state = 'closed' WHERE id = ?1",
        [id as i64],
    )?;
    Ok(())
}

/// The ranges complete runs imported of generation `id`, in file order.
pub fn ranges(conn: &Connection, id: u64) -> Result<Vec<ImportedRange>> {
    let mut stmt = conn.prepare(
        "SELECT f.id, f.range_start, f.size, f.sha256, f.range_lines, f.range_tail, f.format, f.path
         FROM files f JOIN runs r ON r.id = f.run_id
         WHERE r.status = 'complete' AND f.follow_id = ?1 ORDER BY f.range_start",
    )?;
    let rows = stmt.query_map([id as i64], |r| {
        Ok(ImportedRange {
            file_id: r.get::<_, i64>(0)? as u64,
            start: r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64,
            size: r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u64,
            sha256: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            lines: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
            tail: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            format: r.get(6)?,
            path: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Where a generation stands, from the ranges complete runs hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub ranges: u64,
    /// Bytes imported (the end of its last range).
    pub end: u64,
    pub lines: u64,
    /// The last range's size and tail hash.
    pub last: Option<(u64, String)>,
    /// The format its first range was read as.
    pub format: Option<String>,
}

/// [`Progress`] of every generation that has ranges, by id, in two queries.
pub fn progress(conn: &Connection) -> Result<std::collections::HashMap<u64, Progress>> {
    let mut out: std::collections::HashMap<u64, Progress> = Default::default();
    let mut stmt = conn.prepare(
        "SELECT f.follow_id, COUNT(*), MAX(f.range_start + f.size), SUM(f.range_lines)
         FROM files f JOIN runs r ON r.id = f.run_id
         WHERE r.status = 'complete' AND f.follow_id IS NOT NULL GROUP BY f.follow_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)? as u64,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u64,
            r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
        ))
    })?;
    for row in rows {
        let (id, ranges, end, lines) = row?;
        out.insert(
            id,
            Progress {
                ranges,
                end,
                lines,
                ..Progress::default()
            },
        );
    }
    // The last and first range of each: the rows at its end and at its start.
    let mut stmt = conn.prepare(
        "SELECT f.follow_id, f.range_start, f.size, f.range_tail, f.format
         FROM files f JOIN runs r ON r.id = f.run_id
         WHERE r.status = 'complete' AND f.follow_id IS NOT NULL
           AND (f.range_start = 0 OR f.id IN (
                SELECT MAX(f2.id) FROM files f2 JOIN runs r2 ON r2.id = f2.run_id
                WHERE r2.status = 'complete' AND f2.follow_id IS NOT NULL GROUP BY f2.follow_id))",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)? as u64,
            r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64,
            r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u64,
            r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    for row in rows {
        let (id, start, size, tail, format) = row?;
        let Some(p) = out.get_mut(&id) else { continue };
        if start == 0 {
            p.format = format;
        }
        if start + size == p.end {
            p.last = Some((size, tail));
        }
    }
    Ok(out)
}

/// The generation a manifest file row is a range of, with the range's start.
pub fn range_of(conn: &Connection, file_id: u64) -> Result<Option<(Generation, u64)>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {}, f.range_start FROM files f JOIN follow_files g ON g.id = f.follow_id WHERE f.id = ?1",
                GENERATION_COLUMNS
                    .split(", ")
                    .map(|c| format!("g.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            [file_id as i64],
            |r| Ok((generation(r)?, r.get::<_, Option<i64>>(11)?.unwrap_or(0) as u64)),
        )
        .optional()?)
}

/// Every range of every generation complete runs hold, by generation: what `verify` re-reads.
pub fn all_ranges(conn: &Connection) -> Result<Vec<(Generation, Vec<ImportedRange>)>> {
    let mut out = Vec::new();
    for g in generations(conn)? {
        let ranges = ranges(conn, g.id)?;
        if !ranges.is_empty() {
            out.push((g, ranges));
        }
    }
    Ok(out)
}

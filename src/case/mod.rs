//! The case store: one directory holding the case database (`case.sqlite`) and the event index
//! (`index/`), and nothing of any feature. Import, search, integrity and export are functions over
//! a [`Store`]; the API's [`crate::Case`] wraps it.
//!
//! Any number of processes may read a case; one at a time may write it. Writers hold `case.lock`.

pub mod aliases;
pub mod commits;
pub mod db;
pub mod detections;
pub mod followed;
pub mod journal;
mod kept;
pub mod labels;
pub mod marks;
pub mod saved;
mod staged;

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::SecondsFormat;
use rusqlite::Connection;
use serde::Serialize;
use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::formats::{FileContext, RecordReader};
use crate::index::{self, Fields};

pub use db::ManifestFile;
pub use journal::{JournalCheck, JournalEntry};

pub(crate) const DB_FILE: &str = "case.sqlite";
const INDEX_DIR: &str = "index";
const LOCK_FILE: &str = "case.lock";
const TMP_DIR: &str = "tmp";

/// Results [`Store::memo`] keeps: the whole case's counts and the spreads of a few results
/// being scrolled and the whole case's detection counts (tens of KB each; the counts hold the
/// facet values, ~1 MB at 10,000 files).
const MEMO_KEPT: usize = 8;

pub struct Store {
    dir: PathBuf,
    db: Mutex<Connection>,
    pub(crate) index: Index,
    pub(crate) fields: Fields,
    pub(crate) reader: IndexReader,
    pub(crate) clock: Arc<dyn Clock>,
    /// Readers of imported files by id, to rebuild events from raw records.
    files: Mutex<HashMap<u64, Arc<ImportedFile>>>,
    /// The detections as search reads them, with the version they were read at (`labels`).
    labels: Mutex<Option<(u64, Arc<labels::DetectionLabels>)>>,
    /// Results features derived from a state of the index, newest first, under the features'
    /// keys for them (which name that state): see [`Store::memo`].
    memo: Mutex<Vec<(String, Arc<dyn std::any::Any + Send + Sync>)>>,
    /// Held while the case is open for writing; the OS releases it if the process dies.
    _write_lock: Option<File>,
    /// Why the case database cannot be written at all (read-only media, no permission); `None`
    /// when it can, which is all the journal needs.
    read_only: Option<String>,
    id: String,
}

/// What a case holds: events per format and per file, and the time they cover.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CaseStats {
    pub case_id: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub runs: u64,
    /// RFC 3339 UTC of the earliest and latest event with a time.
    pub time_from: Option<String>,
    pub time_to: Option<String>,
    pub formats: Vec<FormatCount>,
    pub files: Vec<ManifestFile>,
}

/// A file in the manifest and how its records are read.
pub(crate) struct ImportedFile {
    pub path: String,
    pub sha256: String,
    pub reader: RecordReader,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FormatCount {
    pub format: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub events: u64,
}

impl Store {
    /// Whether `dir` holds a case (its database), without opening it.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file()
    }

    /// Opens a case for writing, creating it if `dir` has none. Fails with
    /// [`Error::CaseLocked`] while another process writes it.
    pub fn open_or_create(dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        // A new case goes into a new or empty folder only: pointing at an evidence folder by
        // mistake must not write into it.
        let foreign = |d: std::fs::ReadDir| {
            d.filter_map(|e| e.ok()).any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                !(name == LOCK_FILE
                    || name == INDEX_DIR
                    || name == TMP_DIR
                    || name == kept::CACHE_DIR
                    || name.starts_with(DB_FILE))
            })
        };
        if !dir.join(DB_FILE).exists() && std::fs::read_dir(dir).is_ok_and(foreign) {
            return Err(Error::Invalid(format!(
                "{} is not empty and holds no case; choose a new or empty folder for a new case",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(Error::CaseLocked(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
        }
        let mut conn = db::open(&dir.join(DB_FILE))?;
        check_version(dir, &conn)?;
        db::migrate(&mut conn)?;
        let now = clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let id = match db::meta(&conn, "case_id")? {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                db::set_meta(&conn, "case_id", &id)?;
                db::set_meta(&conn, "created_at", &now)?;
                db::set_meta(
                    &conn,
                    "created_by",
                    concat!("sightline ", env!("CARGO_PKG_VERSION")),
                )?;
                id
            }
        };
        let (index, fields) = open_index(dir)?;
        let committed = commits::Committed::of(&index)?;
        db::reconcile(
            &mut conn,
            committed.run,
            committed.checkpoint.map(|(run, _)| run),
            &now,
        )?;
        if committed.checkpoint.is_some() {
            // A killed import's checkpoint showed some of its events: they go with its run.
            let mut writer = index.writer_with_num_threads(1, 15 << 20)?;
            commits::drop_checkpointed(&mut writer, &fields, committed)?;
            writer.wait_merging_threads()?;
        }
        // Also after a kill between a run's completion and the move of its files.
        staged::settle(dir, &|run| db::run_ended(&conn, run))?;
        let tmp = dir.join(TMP_DIR);
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Self::assemble(dir, (conn, None), (index, fields), clock, Some(lock), id)
    }

    /// Opens an existing case for reading; works while another process writes it, and on
    /// media this process cannot write (then the database is opened read-only and nothing is
    /// journaled; [`Store::read_only_reason`] says why).
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Store> {
        let db_path = dir.join(DB_FILE);
        if !db_path.is_file() || !dir.join(INDEX_DIR).join("meta.json").is_file() {
            return Err(Error::NotACase(dir.to_path_buf()));
        }
        let (mut conn, read_only) = match db::open(&db_path) {
            Ok(conn) if db::writable(&conn) => (conn, None),
            Ok(_) => (
                db::open_immutable(&db_path)?,
                Some("the case database cannot be written".to_string()),
            ),
            Err(e) => (
                db::open_immutable(&db_path)?,
                Some(format!("the case folder cannot be written ({e})")),
            ),
        };
        check_version(dir, &conn)?;
        // A case made by an older version and never opened for writing since lacks the newer
        // (additive, transactional) tables that searches read; add them rather than fail.
        if read_only.is_none() && db::schema_version(&conn)? < db::SCHEMA_VERSION {
            db::migrate(&mut conn)?;
        }
        let id = db::meta(&conn, "case_id")?.unwrap_or_default();
        let index = match read_only {
            Some(_) => index::open_read_only(&dir.join(INDEX_DIR))?,
            None => index::open_or_create(&dir.join(INDEX_DIR))?,
        };
        let index = ready(dir, index)?;
        Self::assemble(dir, (conn, read_only), index, clock, None, id)
    }

    fn assemble(
        dir: &Path,
        (conn, read_only): (Connection, Option<String>),
        (index, fields): (Index, Fields),
        clock: Arc<dyn Clock>,
        lock: Option<File>,
        id: String,
    ) -> Result<Store> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Store {
            dir: dir.to_path_buf(),
            db: Mutex::new(conn),
            index,
            fields,
            reader,
            clock,
            files: Mutex::new(HashMap::new()),
            labels: Mutex::new(None),
            memo: Mutex::new(Vec::new()),
            _write_lock: lock,
            read_only,
            id,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What `make` returns, made once per `key`: the last few results are kept and handed back
    /// while their key is asked again. The key is the caller's and must name everything the
    /// result depends on. Held while `make` runs, so a second asker waits for the first instead
    /// of doing the same work beside it; `make` must not ask the memo itself.
    pub(crate) fn memo<T: Clone + Send + Sync + 'static>(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let mut kept = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = kept.iter().position(|(k, _)| k == key) {
            let entry = kept.remove(at);
            let found = entry.1.downcast_ref::<T>().cloned();
            kept.insert(0, entry);
            if let Some(value) = found {
                return Ok(value);
            }
        }
        let value = make()?;
        kept.retain(|(k, _)| k != key);
        kept.insert(0, (key.to_string(), Arc::new(value.clone())));
        kept.truncate(MEMO_KEPT);
        Ok(value)
    }

    /// [`Store::memo`], and kept on disk too when making it took `min_cost` or longer: the next
    /// opening of the case in the same index state reads it back instead of making it again
    /// (see `kept`). `valid` checks a value read back against what it will be used with; one it
    /// refuses is made again.
    pub(crate) fn memo_kept<T>(
        &self,
        key: &str,
        min_cost: std::time::Duration,
        valid: impl FnOnce(&T) -> bool,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<T>
    where
        T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    {
        self.memo(key, || {
            if let Some(value) = kept::load::<T>(&self.dir, key).filter(valid) {
                return Ok(value);
            }
            let started = std::time::Instant::now();
            let value = make()?;
            if started.elapsed() >= min_cost && self.read_only.is_none() {
                kept::save(&self.dir, key, &value);
            }
            Ok(value)
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn is_writable(&self) -> bool {
        self._write_lock.is_some()
    }

    /// Whether the journal can be extended: the database can be written, with or without the
    /// case's write lock (appends are their own transactions).
    pub fn can_journal(&self) -> bool {
        self.read_only.is_none()
    }

    /// Why the case can only be read (read-only media, no permission), if so.
    pub fn read_only_reason(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// Where a run keeps a file (`final_name` in the case folder) until the run is visible: the
    /// file is moved into place when the run completes, or deleted when it is aborted, also
    /// after a kill (on the next open for writing).
    pub(crate) fn staged_path(&self, run_id: u64, final_name: &str) -> PathBuf {
        staged::path(&self.dir, run_id, final_name)
    }

    /// Moves a completed run's staged files into place, or deletes an aborted run's.
    pub(crate) fn settle_staged(&self, run_id: u64, complete: bool) -> Result<()> {
        staged::settle(&self.dir, &|run| Ok((run == run_id).then_some(complete)))
    }

    /// Fails with [`Error::ReadOnly`] unless the case is open for writing; `what` names the
    /// operation for the message.
    pub(crate) fn check_writable_for(&self, what: &'static str) -> Result<()> {
        if self.is_writable() {
            Ok(())
        } else {
            Err(Error::ReadOnly(what))
        }
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_writable_for("this change")
    }

    /// A case metadata value a feature keeps (`last_verify`, `rule_sources`).
    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(db::meta(&self.db(), key)?)
    }

    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        Ok(db::set_meta(&self.db(), key, value)?)
    }

    pub(crate) fn now_text(&self) -> String {
        self.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.dir.join(TMP_DIR)
    }

    pub(crate) fn db(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-call; SQLite itself is consistent.
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The imported file with this id, with the reader its records were imported with.
    pub(crate) fn imported_file(&self, id: u64) -> Result<Arc<ImportedFile>> {
        let mut cache = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = cache.get(&id) {
            return Ok(file.clone());
        }
        let (path, sha256, context, complete) = db::file_context(&self.db(), id)?
            .ok_or_else(|| Error::Corrupt(format!("file {id} is not in the case manifest")))?;
        let context: FileContext = serde_json::from_str(&context)
            .map_err(|e| Error::Corrupt(format!("file {id} has an unreadable context: {e}")))?;
        let reader = RecordReader::from_context(context.clone())
            .ok_or_else(|| Error::UnknownFormat(context.format.clone(), crate::formats::names()))?;
        let file = Arc::new(ImportedFile {
            path,
            sha256,
            reader,
        });
        // A running import's file is read again once its run completes (with its final context).
        if complete {
            cache.insert(id, file.clone());
        }
        Ok(file)
    }

    /// What the index's last commit says about import runs.
    pub(crate) fn committed(&self) -> Result<commits::Committed> {
        commits::Committed::of(&self.index)
    }

    /// Where the index's bytes go, per segment, component and field.
    pub fn space_usage(&self) -> Result<tantivy::space_usage::SearcherSpaceUsage> {
        self.reader.reload()?;
        self.reader
            .searcher()
            .space_usage()
            .map_err(|e| Error::io(self.dir.join(INDEX_DIR), e))
    }

    /// The files of every completed import, in import order.
    pub fn manifest(&self) -> Result<Vec<ManifestFile>> {
        db::manifest(&self.db())
    }

    pub fn stats(&self) -> Result<CaseStats> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let files = self.manifest()?;
        let mut formats: Vec<FormatCount> = Vec::new();
        for f in files.iter().filter(|f| f.status == "imported") {
            let name = f.format.clone().unwrap_or_default();
            match formats.iter_mut().find(|c| c.format == name) {
                Some(c) => {
                    c.files += 1;
                    c.events += f.events;
                }
                None => formats.push(FormatCount {
                    format: name,
                    files: 1,
                    events: f.events,
                }),
            }
        }
        formats.sort_by(|a, b| {
            b.events
                .cmp(&a.events)
                .then_with(|| a.format.cmp(&b.format))
        });
        let range = index::time_bounds(&searcher)?;
        Ok(CaseStats {
            case_id: self.id.clone(),
            events: searcher.num_docs(),
            runs: db::count_runs(&self.db())?,
            time_from: range.map(|(lo, _)| crate::time::format_rfc3339(lo)),
            time_to: range.map(|(_, hi)| crate::time::format_rfc3339(hi)),
            formats,
            files,
        })
    }
}

impl Drop for Store {
    /// A writer folds the write-ahead log into the database file, so the case folder is whole by
    /// itself: copied to read-only media, it opens without the log (see `db::open_immutable`).
    fn drop(&mut self) {
        if self.is_writable() {
            let _ = self
                .db()
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

/// The case's index, refused with [`Error::CaseTooOld`] when an older version wrote it.
fn open_index(dir: &Path) -> Result<(Index, Fields)> {
    ready(dir, index::open_or_create(&dir.join(INDEX_DIR))?)
}

fn ready(dir: &Path, opened: index::Opened) -> Result<(Index, Fields)> {
    match opened {
        index::Opened::Ready(opened) => Ok(*opened),
        index::Opened::Outdated(fields) => Err(Error::CaseTooOld {
            path: dir.to_path_buf(),
            missing: fields.join(", "),
        }),
    }
}

fn check_version(dir: &Path, conn: &Connection) -> Result<()> {
    let found = db::schema_version(conn)?;
    if found > db::SCHEMA_VERSION {
        return Err(Error::CaseTooNew {
            path: dir.to_path_buf(),
            found,
            known: db::SCHEMA_VERSION,
        });
    }
    Ok(())
}

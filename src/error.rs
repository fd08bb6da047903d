//! Engine errors.
//!
//! Every failure the engine can report is one variant of [`Error`]. Each variant has a small, stable
//! [`Error::code`] that shells (CLI, desktop) use to decide what to tell the user; the message itself
//! is lowercase and says what went wrong in terms of the user's input.

use std::path::PathBuf;

/// Result alias used across the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("i/o error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("case database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("{0} is not a sightline case (no case.sqlite); import into it first")]
    NotACase(PathBuf),
    #[error("case {0} is being written by another process; wait for it to finish or close it")]
    CaseLocked(PathBuf),
    #[error("case {path} was written by a newer sightline (schema version {found}, this build knows {known})")]
    CaseTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("invalid query at position {position}: {message}")]
    Query { position: usize, message: String },
    #[error("invalid time {text:?}: expected RFC 3339 such as 2024-05-01T12:00:00Z")]
    Time { text: String },
    #[error("invalid argument: {0}")]
    Invalid(String),
    #[error("unknown format {0:?}; known formats: {1}")]
    UnknownFormat(String, String),
    #[error("no event with id {0}")]
    EventNotFound(String),
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A short stable code for shells: the UI maps codes, not messages, to what it shows.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::Database(_) => "database",
            Error::Index(_) => "index",
            Error::NotACase(_) => "not_a_case",
            Error::CaseLocked(_) => "case_locked",
            Error::CaseTooNew { .. } => "case_too_new",
            Error::Query { .. } => "query",
            Error::Time { .. } => "time",
            Error::Invalid(_) => "invalid",
            Error::UnknownFormat(..) => "unknown_format",
            Error::EventNotFound(_) => "not_found",
            Error::Cancelled => "cancelled",
        }
    }
}

//! Engine errors.
//!
//! Every failure the engine can report is one variant of [`Error`]. Each variant has a stable
//! [`ErrorCode`], shared with the window through the generated bindings, that shells use to decide
//! what to tell the user; the message itself is lowercase and says what went wrong in terms of the
//! user's input. Faults of the engine itself are [`Error::Internal`], never a user's bad input.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
    #[error("case {path} was indexed by an older sightline (its index lacks {missing}); import its bundle into a new case")]
    CaseTooOld { path: PathBuf, missing: String },
    #[error("the case is open read-only; {0} needs it open for writing")]
    ReadOnly(&'static str),
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
    /// Something the case keeps can no longer be read (a stored report, a file's read context).
    #[error("case data is damaged: {0}")]
    Corrupt(String),
    /// A fault of the engine, not of the input: a bug to report.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("cancelled")]
    Cancelled,
}

/// The stable code of an [`Error`]: the window branches on it, never on a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ErrorCode {
    Io,
    Database,
    Index,
    NotACase,
    CaseLocked,
    CaseTooNew,
    CaseTooOld,
    ReadOnly,
    Query,
    Time,
    Invalid,
    UnknownFormat,
    NotFound,
    Corrupt,
    Internal,
    Cancelled,
    /// Shell only: no case is open yet.
    NoCase,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Io => "io",
            ErrorCode::Database => "database",
            ErrorCode::Index => "index",
            ErrorCode::NotACase => "not_a_case",
            ErrorCode::CaseLocked => "case_locked",
            ErrorCode::CaseTooNew => "case_too_new",
            ErrorCode::CaseTooOld => "case_too_old",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::Query => "query",
            ErrorCode::Time => "time",
            ErrorCode::Invalid => "invalid",
            ErrorCode::UnknownFormat => "unknown_format",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::Internal => "internal",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::NoCase => "no_case",
        }
    }
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A short stable code for shells: the UI maps codes, not messages, to what it shows.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Io { .. } => ErrorCode::Io,
            Error::Database(_) => ErrorCode::Database,
            Error::Index(_) => ErrorCode::Index,
            Error::NotACase(_) => ErrorCode::NotACase,
            Error::CaseLocked(_) => ErrorCode::CaseLocked,
            Error::CaseTooNew { .. } => ErrorCode::CaseTooNew,
            Error::CaseTooOld { .. } => ErrorCode::CaseTooOld,
            Error::ReadOnly(_) => ErrorCode::ReadOnly,
            Error::Query { .. } => ErrorCode::Query,
            Error::Time { .. } => ErrorCode::Time,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::UnknownFormat(..) => ErrorCode::UnknownFormat,
            Error::EventNotFound(_) => ErrorCode::NotFound,
            Error::Corrupt(_) => ErrorCode::Corrupt,
            Error::Internal(_) => ErrorCode::Internal,
            Error::Cancelled => ErrorCode::Cancelled,
        }
    }

    /// For query errors, the character position the message is about.
    pub fn position(&self) -> Option<usize> {
        match self {
            Error::Query { position, .. } => Some(*position),
            _ => None,
        }
    }
}

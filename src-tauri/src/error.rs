//! The one error shape the window sees: a stable code to branch on and a message to show.

use serde::Serialize;

#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppError {
    /// Stable: `not_a_case`, `case_locked`, `query`, `io`, `cancelled`, `no_case`, …
    pub code: String,
    pub message: String,
    /// For query errors: the character position the message is about.
    #[ts(type = "number | null")]
    pub position: Option<usize>,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> AppError {
        AppError {
            code: code.to_string(),
            message: message.into(),
            position: None,
        }
    }
}

impl From<sightline::Error> for AppError {
    fn from(e: sightline::Error) -> AppError {
        let position = match &e {
            sightline::Error::Query { position, .. } => Some(*position),
            _ => None,
        };
        AppError {
            code: e.code().to_string(),
            message: e.to_string(),
            position,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

//! The one error shape the window sees: a stable code to branch on and a message to show.

use serde::Serialize;
use sightline::api::{Error, ErrorCode};

#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppError {
    /// The engine's code, or `no_case` / `internal` from the shell itself.
    pub code: ErrorCode,
    pub message: String,
    /// For query errors: the character position the message is about.
    #[ts(type = "number | null")]
    pub position: Option<usize>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            position: None,
        }
    }
}

impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        AppError {
            code: e.code(),
            position: e.position(),
            message: e.to_string(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

//! Sightline's engine: import audit-log bundles into a case, normalize every record into one
//! [`AuditEvent`] model, index it with tantivy, and search it.
//!
//! Data flows one way, one module per step:
//! bundle ([`bundle`]) → file (SHA-256 recorded) → record ([`record`]) → normalizer ([`formats`])
//! → [`AuditEvent`] → index ([`index`]) → [`search`]. A [`Case`] ties them together on disk.
//!
//! The CLI (`sightline`), the desktop shell and the tests all call this same API.

pub mod bundle;
pub mod case;
pub mod clock;
pub mod error;
pub mod event;
pub mod export;
pub mod formats;
pub mod import;
pub mod index;
pub mod integrity;
pub mod record;
pub mod search;
pub mod time;

pub use case::{Case, CaseStats};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, Result};
pub use event::{Actor, AuditEvent, Category, Identity, Outcome, Provenance};
pub use import::{FileReport, ImportOptions, ImportProgress, ImportReport, RecordError};
pub use search::{SearchRequest, SearchResult};

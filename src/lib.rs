//! Sightline's engine: import audit-log bundles into a case, normalize every record into one
//! [`AuditEvent`] model, index it with tantivy, and search, verify and export it.
//!
//! Data flows one way, one module per step:
//! bundle ([`bundle`]) → file (SHA-256 recorded) → record ([`record`]) → normalizer ([`formats`])
//! → [`AuditEvent`] → index ([`index`]) → search, integrity, export.
//!
//! The layers, from the bottom (docs/architecture.md; `tests/it/layers.rs` keeps them):
//! - core: [`model`] (events, findings, requests), [`error`], [`clock`], [`time`];
//! - input: [`bundle`], [`record`], [`formats`];
//! - store: [`case`] (directory, database, journal, marks) and [`index`] (schema, documents);
//! - features, functions over the store: [`search`], [`integrity`], [`detect`], [`import`],
//!   [`export`], [`compliance`];
//! - [`api`]: the one list of operations the CLI (`sightline`), the desktop shell and the tests
//!   call, as methods of [`Case`].

pub mod api;
pub mod bundle;
pub mod case;
pub mod clock;
pub mod compliance;
pub mod detect;
pub mod error;
pub mod export;
pub mod fault;
pub mod formats;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod import;
pub mod index;
pub mod integrity;
pub mod model;
pub mod record;
pub mod search;
pub mod time;
pub mod watch;

pub use api::Case;
pub use error::{Error, ErrorCode, Result};
pub use model::AuditEvent;

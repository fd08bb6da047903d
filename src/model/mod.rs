//! The core types every layer shares: the event model, findings, search requests, and how
//! nanosecond times cross the wire. Nothing here depends on any other module of the engine but
//! `error`, `clock` and `time`, which sit beside it at the bottom (docs/architecture.md).

pub mod activity;
pub mod event;
pub mod finding;
pub mod nanos;
pub mod request;

pub use activity::Activity;
pub use event::{Actor, AuditEvent, Category, EventTime, Identity, Outcome, Provenance};
pub use finding::{Finding, FindingKind, Severity};
pub use request::{FacetFilter, SearchRequest, SortOrder};

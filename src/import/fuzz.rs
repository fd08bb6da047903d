//! The import's reading of one file, apart from any case: what the `import_file` fuzz target
//! drives (`crate::fuzzing`). Built only with the `fuzzing` feature.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use super::file::{read_file, FileJob, ReadContext};
use super::{FileReport, ImportOptions};
use crate::bundle::limits::Budget;
use crate::bundle::{Content, Leaf, Limits};

/// Reads `bytes` as one file (as `format` when given, else detected) and returns its report;
/// documents are made and dropped.
pub fn read_one(bytes: &[u8], format: Option<&str>, limits: &Limits) -> crate::Result<FileReport> {
    let (_, fields) = crate::index::schema();
    let options = ImportOptions {
        format: format.map(str::to_string),
        ..ImportOptions::default()
    };
    let (cancel, events, read) = (AtomicBool::new(false), AtomicU64::new(0), AtomicU64::new(0));
    let ctx = ReadContext {
        fields: &fields,
        limits,
        options: &options,
        cancel: &cancel,
        events: &events,
        bytes: &read,
        now: 1_700_000_000_000_000_000,
        detector: None,
        stages: None,
    };
    let leaf = Leaf {
        path: "fuzz/input".to_string(),
        sha256: crate::bundle::sha256_hex(bytes),
        size: bytes.len() as u64,
        content: Content::Memory(Arc::from(bytes)),
        budget: Arc::new(Budget::new(bytes.len() as u64, limits)),
    };
    let job = FileJob {
        leaf,
        file_id: 1,
        order: 0,
    };
    read_file(&ctx, job, &mut |_doc| Ok(()))
}

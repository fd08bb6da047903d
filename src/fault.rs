//! Crash points for the crash-safety tests: with `SIGHTLINE_FAULT=<point>` in its environment
//! the process dies at that point as abruptly as `kill -9` would (no destructor, no flush), so a
//! test can stop an import between any two of its durable steps and check what the case holds
//! when it is opened again (tests/it/crash.rs). Without the variable a point costs one lookup.

/// The points, in the order an import reaches them.
pub const POINTS: &[&str] = &[
    "import:checkpoint",
    "import:indexed",
    "import:ids_staged",
    "import:recorded",
    "import:committed",
    "import:finished",
    "import:settled",
];

pub(crate) fn point(name: &str) {
    if std::env::var_os("SIGHTLINE_FAULT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}

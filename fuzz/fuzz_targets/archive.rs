#![no_main]

use std::sync::OnceLock;

static TMP: OnceLock<tempfile::TempDir> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let tmp = TMP.get_or_init(|| tempfile::tempdir().expect("tempdir"));
    sightline::fuzzing::archive(data, tmp.path());
});

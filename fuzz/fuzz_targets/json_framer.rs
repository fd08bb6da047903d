#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sightline::fuzzing::json_framer(data));

//! Fuzz target `roundtrip`: see `gguf_fuzz::roundtrip` in `src/checks.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gguf_fuzz::roundtrip(data));

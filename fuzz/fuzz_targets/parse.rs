//! Fuzz target `parse`: see `gguf_fuzz::parse` in `src/checks.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gguf_fuzz::parse(data));

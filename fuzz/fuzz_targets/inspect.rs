//! Fuzz target `inspect`: see `gguf_fuzz::inspect` in `src/checks.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gguf_fuzz::inspect(data));

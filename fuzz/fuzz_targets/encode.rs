//! Fuzz target `encode`: see `gguf_fuzz::encode` in `src/checks.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gguf_fuzz::encode(data));

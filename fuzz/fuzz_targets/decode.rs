//! Fuzz target `decode`: see `gguf_fuzz::decode` in `src/checks.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gguf_fuzz::decode(data));

//! Fuzz target `shards`: see `gguf_fuzz::shards` in `src/checks.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gguf_fuzz::shards(data));

//! Fuzz target `import`: see `gguf_fuzz::import` in `src/checks.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gguf_fuzz::import(data));

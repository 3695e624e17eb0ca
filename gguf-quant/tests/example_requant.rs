//! `examples/requant.rs`, about 30 lines of library calls, writes
//! llama-quantize's bytes (and so `gguf requant`'s) for a golden input.

#[allow(dead_code)]
#[path = "../examples/requant.rs"]
mod example;

use gguf_testdata::golden;

#[test]
fn the_requant_example_writes_llama_quantizes_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for (ftype, want) in [
        ("Q4_K_M", "tiny-Q4_K_M.gguf"),
        ("q8_0", "tiny-Q8_0.gguf"),
        ("17", "tiny-Q5_K_M.gguf"),
    ] {
        let out = dir.path().join(want);
        let input = golden::path("tiny-f32.gguf");
        example::requant(input.to_str().unwrap(), out.to_str().unwrap(), ftype).unwrap();
        golden::assert_same(want, &std::fs::read(&out).unwrap());
    }
    let out = dir.path().join("odd-Q4_K_M.gguf");
    let input = golden::path("odd-f16.gguf");
    example::requant(input.to_str().unwrap(), out.to_str().unwrap(), "Q4_K_M").unwrap();
    golden::assert_same("odd-Q4_K_M.gguf", &std::fs::read(&out).unwrap());

    let e = example::requant(input.to_str().unwrap(), out.to_str().unwrap(), "Q9_K").unwrap_err();
    assert_eq!(e.to_string(), "unknown ftype \"Q9_K\"");
    let e = example::requant(input.to_str().unwrap(), out.to_str().unwrap(), "Q2_K_S").unwrap_err();
    assert!(e.to_string().contains("requires an importance matrix"), "{e}");
    golden::assert_same("odd-Q4_K_M.gguf", &std::fs::read(&out).unwrap());
}

//! A GGUF file written from an [`ImportSource`] through the one streaming
//! writer, `gguf_format::stream::write`, parses back with the source's
//! header and every tensor's bytes.

use gguf_format::{stream, Gguf, GgufBuilder, TensorSource};
use gguf_import::{Import, OutType};
use gguf_testdata::golden;

#[test]
fn written_file_parses_back_with_the_same_tensors() {
    let dir = golden::dir().join("import/models/tinyllama-spm");
    let import = Import::open(&dir, OutType::Q8_0).unwrap();
    let source = import.source().unwrap();
    let builder = GgufBuilder::from_gguf(source.header()).unwrap();
    let bytes = stream::write(
        &source,
        &builder,
        source.tensors(),
        &stream::CopyAll,
        Vec::new(),
        &mut |_| {},
    )
    .unwrap();
    assert!(bytes.starts_with(import.header_bytes()));
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(g.architecture(), Some("llama"));
    assert_eq!(g.get_u32("general.file_type").unwrap(), 7);
    assert_eq!(g.get_u32("llama.block_count").unwrap(), 2);
    assert_eq!(g.tensors().len(), source.tensors().len());
    let want = golden::tensors("import/out/tinyllama-spm-q8_0.gguf");
    let mut scratch = Vec::new();
    for ((t, s), w) in g.tensors().iter().zip(source.tensors()).zip(&want) {
        assert_eq!((t.name, t.ggml_type, t.dims()), (s.name, s.ggml_type, s.dims()));
        let data = g.tensor_data(t).unwrap();
        assert_eq!(
            data,
            source.rows(s, 0..s.n_rows(), &mut scratch).unwrap(),
            "{}",
            t.name
        );
        assert_eq!(golden::sha256(data), w.sha256, "{}", t.name);
    }
}

/// Rows past a tensor's end, or a tensor of another source, are errors
/// naming the tensor, never a panic.
#[test]
fn rows_out_of_range_are_errors() {
    let dir = golden::dir().join("import/models/llama3-bpe");
    let import = Import::open(&dir, OutType::F16).unwrap();
    let source = import.source().unwrap();
    let mut scratch = Vec::new();
    for t in source.tensors() {
        let e = source.rows(t, 0..t.n_rows() + 1, &mut scratch).unwrap_err();
        assert!(e.to_string().contains(t.name), "{e}");
    }
    let other = Import::open(golden::dir().join("import/models/qwen3-bpe"), OutType::F16).unwrap();
    let other = other.source().unwrap();
    let foreign = other.tensor("blk.0.attn_q_norm.weight").unwrap();
    let e = source.rows(foreign, 0..1, &mut scratch).unwrap_err();
    assert!(e.to_string().contains("blk.0.attn_q_norm.weight"), "{e}");
    // Same name, another shape: refused, not read with the wrong layout.
    let foreign = other.tensor("token_embd.weight").unwrap();
    let e = source
        .rows(foreign, 0..foreign.n_rows(), &mut scratch)
        .unwrap_err();
    assert!(e.to_string().contains("token_embd.weight"), "{e}");
    source.release(foreign, 0..foreign.n_rows());
}

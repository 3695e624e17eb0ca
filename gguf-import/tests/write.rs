//! A GGUF file written from an [`ImportSource`] through the one streaming
//! writer, `gguf_format::stream::write`, parses back with the source's
//! header and every tensor's bytes.

use gguf_format::{stream, Gguf, GgufBuilder, TensorSource};
use gguf_import::{Import, OutType};
use gguf_testdata::golden;

mod common;

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

/// Tensors stored in the output type are borrowed from the map and copied
/// file to file, except bf16 data holding a signalling NaN: the converter
/// widens bf16 to f32 and rounds it back, which quiets it (bit 6 set),
/// and so do we. Quiet NaNs and all other values stay as stored.
#[test]
fn stored_bf16_is_copied_but_signalling_nans_are_quieted() {
    let (tmp, dir) = common::copy_model("mistral-hf");
    // lm_head.weight (bf16, stored first) gets a signalling and a quiet NaN;
    // model.embed_tokens.weight (stored second) a quiet one only.
    let st = dir.join("model.safetensors");
    let mut bytes = std::fs::read(&st).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize + 8;
    let lm_head = header;
    let embed = header + 32000 * 32 * 2;
    let put = |bytes: &mut Vec<u8>, at: usize, v: u16| bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
    put(&mut bytes, lm_head + 10, 0x7f81);
    put(&mut bytes, lm_head + 12, 0xffc3);
    put(&mut bytes, embed + 20, 0x7f85);
    put(&mut bytes, embed + 22, 0x7fc5);
    std::fs::write(&st, &bytes).unwrap();

    let import = Import::open(&dir, OutType::Auto).unwrap();
    let source = import.source().unwrap();
    let mut scratch = Vec::new();
    let out_of = |name: &str, scratch: &mut Vec<u8>| {
        let t = source.tensor(name).unwrap();
        assert_eq!(t.ggml_type, gguf_format::GgmlType::BF16, "{name}");
        source.rows(t, 0..t.n_rows(), scratch).unwrap().to_vec()
    };
    let at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let output = out_of("output.weight", &mut scratch);
    assert_eq!(at(&output, 10), 0x7fc1, "signalling NaN quieted");
    assert_eq!(at(&output, 12), 0xffc3, "quiet NaN kept");
    assert_eq!(output[..10], bytes[lm_head..lm_head + 10]);
    assert_eq!(output[12..], bytes[lm_head + 12..lm_head + output.len()]);
    let embd = out_of("token_embd.weight", &mut scratch);
    assert_eq!(at(&embd, 20), 0x7f85 | 0x40);
    assert_eq!(at(&embd, 22), 0x7fc5);
    // The written file agrees with the rows given.
    let builder = GgufBuilder::from_gguf(source.header()).unwrap();
    let file = tmp.path().join("out.gguf");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    stream::write_file(
        &source,
        &builder,
        source.tensors(),
        &stream::CopyAll,
        &mut w,
        &mut |_| {},
    )
    .unwrap();
    drop(w);
    let written = std::fs::read(&file).unwrap();
    let g = Gguf::parse(&written).unwrap();
    for t in g.tensors() {
        let s = source.tensor(t.name).unwrap();
        assert_eq!(
            g.tensor_data(t).unwrap(),
            source.rows(s, 0..s.n_rows(), &mut scratch).unwrap(),
            "{}",
            t.name
        );
    }
}

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

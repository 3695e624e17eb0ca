//! Parsing a model-shaped file: 262,144-token vocabulary (tokens, scores, token
//! types), 26 keys, 308 tensors. Run with `cargo bench -p gguf-format`.
//! divan's allocation profiler prints allocations per iteration beside the time.

use gguf_format::{write_gguf, Gguf, GgufBuilder};
use std::sync::LazyLock;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

static MODEL: LazyLock<Vec<u8>> = LazyLock::new(|| gguf_testdata::big_vocab_model(262_144));

fn main() {
    let g = Gguf::parse(&MODEL).unwrap();
    println!(
        "model: {} bytes, {} keys, {} tensors, {} tokens",
        MODEL.len(),
        g.metadata().len(),
        g.tensors().len(),
        g.get_array("tokenizer.ggml.tokens").unwrap().len()
    );
    divan::main();
}

/// Full parse: header, metadata, tensor infos, data bounds and overlap checks.
#[divan::bench]
fn parse() -> usize {
    let g = Gguf::parse(divan::black_box(&MODEL)).unwrap();
    g.tensors().len()
}

/// Header only (what `gguf inspect` needs).
#[divan::bench]
fn parse_header() -> usize {
    let g = Gguf::parse_header(divan::black_box(&MODEL)).unwrap();
    g.tensors().len()
}

/// Parse, then touch every token string and score.
#[divan::bench]
fn parse_and_walk_vocab() -> usize {
    let g = Gguf::parse(divan::black_box(&MODEL)).unwrap();
    let tokens = g.get_array("tokenizer.ggml.tokens").unwrap();
    let scores = g.get_array("tokenizer.ggml.scores").unwrap();
    let n: usize = tokens.strings().unwrap().map(|s| s.len()).sum();
    n + scores.values::<f32>().unwrap().filter(|s| *s < 0.0).count()
}

/// Writing the header (metadata copied from the parsed file) to memory.
#[divan::bench]
fn write_header() -> u64 {
    let g = Gguf::parse(&MODEL).unwrap();
    let b = GgufBuilder::from_gguf(&g).unwrap();
    let mut out = Vec::with_capacity(8 << 20);
    b.write_header(&mut out).unwrap().bytes_written()
}

/// Full round trip to memory (header + all tensor data).
#[divan::bench]
fn round_trip() -> usize {
    let g = Gguf::parse(&MODEL).unwrap();
    write_gguf(&g, Vec::with_capacity(MODEL.len())).unwrap().len()
}

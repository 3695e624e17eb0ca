//! Codec throughput, single thread: encode in MB/s of f32 input, decode in
//! MB/s of f32 output, for every type with a codec, on a 4096 × 4096
//! gaussian matrix (64 MiB of f32). Plus, for the types whose encoders use
//! an importance matrix in their search, encode with a random positive
//! imatrix (`encode_imatrix`), and Q4_K encode of the same matrix on all
//! cores. `cargo bench -p gguf-quant` (a few minutes: the slow encoders
//! take a second per pass).
//!
//! The scalar reference benches (`encode_scalar`, `decode_scalar`) use
//! `gguf_quant::reference`, behind the `reference` feature; the crate's
//! dev-dependency on itself turns it on for every bench and test build, so
//! no flag is needed.

use divan::counter::BytesCount;
use divan::Bencher;
use gguf_quant::reference::{decode_row_scalar, encode_row_scalar};
use gguf_quant::{codec, encode_rows_par, GgmlType};
use std::sync::LazyLock;

const ROWS: usize = 4096;
const COLS: usize = 4096;

static MATRIX: LazyLock<Vec<f32>> = LazyLock::new(|| {
    let mut rng = gguf_testdata::Rng::new(42);
    (0..ROWS * COLS).map(|_| rng.gauss()).collect()
});

/// An importance matrix for [`MATRIX`]: one positive weight per column,
/// spread over three orders of magnitude like a real one.
static IMATRIX: LazyLock<Vec<f32>> = LazyLock::new(|| {
    let mut rng = gguf_testdata::Rng::new(7);
    (0..COLS).map(|_| (rng.gauss() * 1.5).exp()).collect()
});

const TYPES: &[&str] = &[
    "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
    "IQ4_NL", "IQ4_XS", "IQ3_S", "TQ1_0", "TQ2_0", "MXFP4",
];

fn ty(name: &str) -> GgmlType {
    GgmlType::from_name(name).expect("known type")
}

fn main() {
    divan::main();
}

#[divan::bench(args = TYPES, sample_count = 3, sample_size = 1)]
fn encode(b: Bencher, name: &str) {
    bench_encode(b, name, gguf_quant::encode_row, None);
}

/// The types whose encoders search with the importance matrix and have a
/// fast path beside the scalar reference.
const IMATRIX_TYPES: &[&str] = &[
    "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "IQ3_S",
];

/// Encode with [`IMATRIX`] (llama-quantize's path with `--imatrix`).
#[divan::bench(args = IMATRIX_TYPES, sample_count = 3, sample_size = 1)]
fn encode_imatrix(b: Bencher, name: &str) {
    bench_encode(b, name, gguf_quant::encode_row, Some(&IMATRIX));
}

/// `gguf_quant::encode_row` or one of its reference forms.
type EncodeRow = fn(GgmlType, &[f32], &mut [u8], Option<&[f32]>) -> gguf_quant::Result<()>;

/// Times `encode` over the whole matrix, row by row, to `name`, with the
/// importance matrix `imatrix` if given.
fn bench_encode(b: Bencher, name: &str, encode: EncodeRow, imatrix: Option<&[f32]>) {
    let c = codec(ty(name)).unwrap();
    let x = &*MATRIX;
    let row = c.row_size(COLS).unwrap();
    let mut out = vec![0u8; row * ROWS];
    b.counter(BytesCount::new(x.len() * 4)).bench_local(|| {
        for (src, dst) in x.chunks(COLS).zip(out.chunks_mut(row)) {
            encode(c.ty, src, dst, imatrix).unwrap();
        }
    });
}

#[divan::bench(args = TYPES, sample_count = 10, sample_size = 1)]
fn decode(b: Bencher, name: &str) {
    bench_decode(b, name, gguf_quant::decode_row);
}

/// The scalar references (ggml's loop order) of the decoders rearranged for
/// the vector unit, for the speed-up (same bits as `decode`;
/// `tests/fast_paths.rs`).
#[divan::bench(args = ["Q2_K", "Q3_K"], sample_count = 10, sample_size = 1)]
fn decode_scalar(b: Bencher, name: &str) {
    bench_decode(b, name, decode_row_scalar);
}

/// Times `decode` over the whole matrix, encoded to `name` beforehand.
fn bench_decode(b: Bencher, name: &str, decode: fn(GgmlType, &[u8], &mut [f32]) -> gguf_quant::Result<()>) {
    let c = codec(ty(name)).unwrap();
    let x = &*MATRIX;
    let row = c.row_size(COLS).unwrap();
    let mut q = vec![0u8; row * ROWS];
    for (src, dst) in x.chunks(COLS).zip(q.chunks_mut(row)) {
        c.encode_row(src, dst, None).unwrap();
    }
    // Written once here so page faults of a fresh buffer are not timed.
    let mut back = vec![1f32; x.len()];
    b.counter(BytesCount::new(back.len() * 4)).bench_local(|| {
        decode(c.ty, &q, &mut back).unwrap();
    });
}

/// The types whose encoders have fast paths beside a scalar reference.
const FAST_TYPES: &[&str] = IMATRIX_TYPES;

/// The scalar reference encoders of the types with fast paths, for the
/// speed-up (same bytes as `encode`; `tests/fast_paths.rs`).
#[divan::bench(args = FAST_TYPES, sample_count = 3, sample_size = 1)]
fn encode_scalar(b: Bencher, name: &str) {
    bench_encode(b, name, encode_row_scalar, None);
}

/// [`encode_scalar`] with [`IMATRIX`].
#[divan::bench(args = FAST_TYPES, sample_count = 3, sample_size = 1)]
fn encode_scalar_imatrix(b: Bencher, name: &str) {
    bench_encode(b, name, encode_row_scalar, Some(&IMATRIX));
}

/// Q4_K encode of the whole matrix on every core (rayon), for the scaling.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn encode_q4_k_all_cores(b: Bencher) {
    let x = &*MATRIX;
    let mut out = vec![0u8; 144 * COLS / 256 * ROWS];
    b.counter(BytesCount::new(x.len() * 4))
        .bench_local(|| encode_rows_par(GgmlType::Q4_K, x, COLS, &mut out, None).unwrap());
}

//! ggml tensor codecs bit-exact with llama.cpp, and the two engines built
//! on them: requantization as `llama-quantize` does it, and the numeric
//! comparison of two models.
//!
//! - The codecs: every type ggml defines has an entry in one [`Codec`]
//!   table ([`codec`], [`codecs`]): its block geometry and the operations
//!   this crate can perform on it, reached through [`encode_row`],
//!   [`decode_row`], [`validate_row`] and their parallel forms
//!   [`encode_rows_par`] and [`decode_rows_par`]. The encoders reproduce
//!   ggml's quantizers byte for byte (the path `llama-quantize` takes),
//!   with or without an importance matrix; the decoders reproduce ggml's
//!   `dequantize_row_*` bit for bit.
//! - [`requant`]: `llama-quantize` as a library — its per-tensor type selection
//!   (`llama_tensor_get_type`, fallbacks, importance matrices, its options)
//!   and a streaming requantizer that writes the same file it would.
//! - [`compare`]: the comparison engine behind `gguf diff` — metadata,
//!   tensor lists, and every shared tensor's numbers decoded to f32 and
//!   measured (RMSE, relative RMSE, cosine, largest error).
//! - [`rows`]: the row conversion and decoding that both engines share.
//!
//! Models are read with [`gguf_format`] (whose [`GgmlType`] this crate
//! re-exports).
//!
//! # Codecs
//!
//! | types | encode | with imatrix | decode |
//! |---|---|---|---|
//! | F32, F16, BF16 | yes | ignored | yes |
//! | Q4_0, Q4_1, Q5_0, Q5_1 | yes | yes | yes |
//! | Q8_0 | yes | ignored | yes |
//! | Q8_1 | yes | ignored | no (nor has ggml) |
//! | Q2_K, Q3_K, Q4_K, Q5_K, Q6_K | yes | yes | yes |
//! | Q8_K | yes | ignored | yes |
//! | TQ1_0, TQ2_0, MXFP4, NVFP4, Q1_0, Q2_0 | yes | ignored | yes |
//! | IQ4_NL, IQ4_XS | yes | yes | yes |
//! | IQ2_S, IQ3_XXS, IQ3_S, IQ1_M | yes | yes | yes |
//! | IQ2_XXS, IQ2_XS, IQ1_S | only with an imatrix | required | yes |
//! | I8, I16, I32, I64, F64 | no | — | no (validation only) |
//!
//! Calls write into caller-provided buffers (size them with
//! [`Codec::row_size`]) and report every misuse as an [`Error`]; nothing
//! panics on bad input, NaN and infinities included.
//!
//! ```
//! use gguf_quant::{codec, decode_row, encode_row, GgmlType};
//!
//! let row: Vec<f32> = (0..512).map(|i| (i as f32 * 0.1).sin()).collect();
//! let q4k = codec(GgmlType::Q4_K).unwrap();
//! let mut q = vec![0u8; q4k.row_size(row.len()).unwrap()]; // 2 super-blocks, 288 bytes
//! encode_row(GgmlType::Q4_K, &row, &mut q, None)?;
//! let mut back = vec![0f32; row.len()];
//! decode_row(GgmlType::Q4_K, &q, &mut back)?;
//! assert!(row.iter().zip(&back).all(|(a, b)| (a - b).abs() < 0.1));
//! # Ok::<(), gguf_quant::Error>(())
//! ```
//!
//! # Requantizing a model
//!
//! [`requant::plan`] decides every output tensor's type and the file
//! layout without touching tensor data; [`requant::execute`] streams the
//! converted data to any writer, on all cores.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use gguf_quant::requant::{self, parse_target, Options};
//! use gguf_quant::GgmlType;
//!
//! let files = gguf_format::ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let model = files.parse()?;
//! let opts = Options::new(parse_target("Q8_0").unwrap());
//! let plan = requant::plan(&model, &opts, false)?;
//! let out: Vec<u8> = requant::execute(&model, &plan, &opts, 0, Vec::new(), &mut |_progress| {})?;
//! assert_eq!(out.len() as u64, plan.out_file_size);
//!
//! let q8 = gguf_format::Gguf::parse(&out)?;
//! assert!(q8.tensors().iter().any(|t| t.ggml_type == GgmlType::Q8_0));
//! # Ok(()) }
//! ```
//!
//! # Comparing two models
//!
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_quant::compare::{compare, Options};
//!
//! let f32_files = gguf_format::ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let f16_files = gguf_format::ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f16.gguf"))?;
//! let (a, b) = (f32_files.parse()?, f16_files.parse()?);
//! let report = compare(&a, &b, &Options { tolerance: Some(1e-3), ..Options::default() });
//! assert!(report.summary.compared > 0);
//! assert!(report.summary.relative_rmse < 1e-3); // F16 rounding only
//! # Ok(()) }
//! ```
//!
//! # Fast paths
//!
//! The hot loops have fast paths, chosen at run time: the scale searches
//! of the Q2_K to Q6_K encoders run on eight (or sixteen) sub-blocks at once,
//! and where the CPU has AVX2 (x86-64, detected with
//! [`std::arch::is_x86_feature_detected`]) in AVX2 code, else in a portable
//! build of the same lane code; the Q2_K and Q3_K decoders are rearranged
//! for vectorisation; [`encode_rows_par`], [`decode_rows_par`] and the
//! engines spread rows over all cores (rayon). No build flag is needed: a
//! binary built for baseline x86-64 uses AVX2 where it is present. Every
//! path performs the same f32 operations in the same order, so the output
//! is identical on every CPU and for any number of threads.
//!
//! The scalar references the fast paths are checked against — ports of
//! ggml that handle one sub-block at a time, in ggml's loop order — are
//! available under the `reference` cargo feature (module `reference`),
//! for tests and benchmarks.
//!
//! # Bit-exactness
//! Every algorithm mirrors `ggml/src/ggml-quants.c` operation by operation:
//! f32 arithmetic in C's order, sequential sums, no fused multiply-add,
//! ggml's `nearest_int` and f16 conversion, and C's float→integer casts as
//! x86-64 executes them (which only matters for NaN or out-of-range values).
//! MXFP4's exponent uses the platform `log2f`, as ggml does. The golden
//! tests compare every encoder and decoder with llama.cpp's own output, and
//! re-create every tensor of the golden `llama-quantize` files.
//!
//! # Cargo features
//! - `serde`: `serde::Serialize` for [`compare::DiffReport`] and its parts.
//! - `reference`: the module `reference`, the scalar reference paths (see
//!   [Fast paths](#fast-paths)).

#![deny(missing_docs)]

mod arch;
mod codec;
pub mod compare;
mod error;
mod family;
mod numerics;
#[cfg(feature = "reference")]
pub mod reference;
pub mod requant;
pub mod rows;
pub mod score;

pub use codec::{
    codec, codecs, decode_row, decode_rows_par, encode_row, encode_rows_par, find_non_finite, validate_row,
    Codec,
};
pub use error::{Error, Operation, Result};
pub use gguf_format::GgmlType;

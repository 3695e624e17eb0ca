//! ggml tensor codecs, bit-exact with llama.cpp.
//!
//! Every type ggml defines has an entry in one [`Codec`] table ([`codec`]):
//! its block geometry and the operations this crate can perform on it. The
//! encoders reproduce ggml's reference quantizers byte for byte (the path
//! `llama-quantize` takes), with or without an importance matrix; the
//! decoders reproduce ggml's `dequantize_row_*` bit for bit. Everything is
//! scalar, checked against the golden outputs of llama.cpp itself.
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
//! # Bit-exactness
//! Every algorithm mirrors `ggml/src/ggml-quants.c` operation by operation:
//! f32 arithmetic in C's order, sequential sums, no fused multiply-add,
//! ggml's `nearest_int` and f16 conversion, and C's float→integer casts as
//! x86-64 executes them (which only matters for NaN or out-of-range values).
//! MXFP4's exponent uses the platform `log2f`, as ggml does. The golden
//! tests compare every encoder and decoder with llama.cpp's own output, and
//! re-create every tensor of the golden `llama-quantize` files.

#![deny(missing_docs)]

mod codec;
pub mod compare;
mod error;
mod floats;
mod iq;
mod iq_encode;
mod iq_grids;
mod kquants;
mod lanes;
mod legacy;
mod numerics;
mod other;
#[cfg(feature = "reference")]
pub mod reference;
pub mod requant;
pub mod rows;
mod search;

pub use codec::{
    codec, codecs, decode_row, decode_rows_par, encode_row, encode_rows_par, find_non_finite, validate_row,
    Codec,
};
pub use error::{Error, Operation, Result};
pub use gguf_format::GgmlType;

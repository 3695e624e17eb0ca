//! Plain floating-point "codecs": F32 (a copy), F16 and BF16, element by
//! element as `ggml_fp32_to_fp16_row` / `ggml_fp32_to_bf16_row_ref` and their
//! inverses do. All little-endian.

use crate::numerics::{bf16_to_fp32, fp16_to_fp32, fp32_to_bf16, fp32_to_fp16};

/// F32 → F32: the bytes of each value.
pub(crate) fn encode_f32(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.iter().zip(dst.chunks_exact_mut(4)) {
        y.copy_from_slice(&x.to_le_bytes());
    }
}

/// F32 bytes → f32.
pub(crate) fn decode_f32(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(4).zip(dst.iter_mut()) {
        *y = f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
    }
}

/// f32 → F16 (round to nearest even, NaN → `sign|0x7E00`).
pub(crate) fn encode_f16(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.iter().zip(dst.chunks_exact_mut(2)) {
        y.copy_from_slice(&fp32_to_fp16(*x).to_le_bytes());
    }
}

/// F16 → f32, exact.
pub(crate) fn decode_f16(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(2).zip(dst.iter_mut()) {
        *y = fp16_to_fp32(u16::from_le_bytes([x[0], x[1]]));
    }
}

/// f32 → BF16 (round to nearest even, NaN kept quiet).
pub(crate) fn encode_bf16(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.iter().zip(dst.chunks_exact_mut(2)) {
        y.copy_from_slice(&fp32_to_bf16(*x).to_le_bytes());
    }
}

/// BF16 → f32, exact.
pub(crate) fn decode_bf16(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(2).zip(dst.iter_mut()) {
        *y = bf16_to_fp32(u16::from_le_bytes([x[0], x[1]]));
    }
}

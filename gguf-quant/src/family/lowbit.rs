//! The 1- and 2-bit sign and level types Q1_0 and Q2_0: encoders as
//! `quantize_row_q1_0_ref` / `quantize_row_q2_0_ref` (ggml ignores an
//! imatrix for them), decoders as `dequantize_row_q*_0`.

#![allow(clippy::needless_range_loop)]

use crate::numerics::{c_round_i32, read_f16, write_f16};

/// Q1_0 reference encoder (18-byte blocks of 128): `d = mean|x|`, one sign
/// bit per element (set for x ≥ 0).
pub(crate) fn encode_q1_0(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(128).zip(dst.chunks_exact_mut(18)) {
        let mut sum_abs = 0.0f32;
        for &v in x {
            sum_abs += v.abs();
        }
        write_f16(y, 0, sum_abs / 128.0);
        y[2..].fill(0);
        for j in 0..128 {
            if x[j] >= 0.0 {
                y[2 + j / 8] |= 1 << (j % 8);
            }
        }
    }
}

/// Q1_0 decoder: `±d`.
pub(crate) fn decode_q1_0(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(18).zip(dst.chunks_exact_mut(128)) {
        let d = read_f16(x, 0);
        for j in 0..128 {
            y[j] = if (x[2 + j / 8] >> (j % 8)) & 1 != 0 { d } else { -d };
        }
    }
}

/// Q2_0 reference encoder (18-byte blocks of 64): `d = amax`,
/// `q = clamp(roundf(x/d) + 1, 0, 3)`, LSB first.
pub(crate) fn encode_q2_0(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(64).zip(dst.chunks_exact_mut(18)) {
        let mut amax = 0.0f32;
        for &v in x {
            if v.abs() > amax {
                amax = v.abs();
            }
        }
        let d = amax;
        let id = if d > 0.0 { 1.0 / d } else { 0.0 };
        write_f16(y, 0, d);
        y[2..].fill(0);
        for j in 0..64 {
            let q = c_round_i32(x[j] * id).wrapping_add(1).clamp(0, 3);
            y[2 + j / 4] |= (q as u8) << ((j % 4) * 2);
        }
    }
}

/// Q2_0 decoder: `(q − 1)·d`.
pub(crate) fn decode_q2_0(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(18).zip(dst.chunks_exact_mut(64)) {
        let d = read_f16(x, 0);
        for j in 0..64 {
            let q = (x[2 + j / 4] >> ((j % 4) * 2)) & 3;
            y[j] = (i32::from(q) - 1) as f32 * d;
        }
    }
}

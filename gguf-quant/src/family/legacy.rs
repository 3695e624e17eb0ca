//! The legacy 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
//!
//! Encoders without weights mirror `quantize_row_<type>_ref`; the weighted
//! ones mirror `quantize_row_<type>_impl` (one call per row, since the error
//! weights use the variance of the whole row). Decoders mirror
//! `dequantize_row_<type>`. Callers pass whole blocks; length checks live in
//! `codec.rs`.

#![allow(clippy::needless_range_loop)]

use crate::arch::search::{make_qkx3_quants, make_qx_quants, MinSearch, Weights};
use crate::numerics::{
    c_absmax, c_round_i32, c_trunc_i32, read_f16, round_below_2_23, signed_absmax, write_f16,
};

const QK: usize = 32;

/// Min and max starting from ±FLT_MAX, as the `_1` types do.
fn min_max(x: &[f32]) -> (f32, f32) {
    let mut min = f32::MAX;
    let mut max = -f32::MAX;
    for &v in x {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    (min, max)
}

/// `d ? 1/d : 0`.
fn inverse(d: f32) -> f32 {
    if d != 0.0 {
        1.0 / d
    } else {
        0.0
    }
}

/// Packs the 5th bits of 32 levels into the little-endian `qh` word.
fn high_bits(l0: &[u8], l1: &[u8]) -> [u8; 4] {
    let mut qh = 0u32;
    for j in 0..QK / 2 {
        qh |= ((u32::from(l0[j]) & 0x10) >> 4) << j;
        qh |= ((u32::from(l1[j]) & 0x10) >> 4) << (j + QK / 2);
    }
    qh.to_le_bytes()
}

/// `sigma2 = Σx²/n` over the whole row, for the weighted legacy encoders.
fn row_sigma2(x: &[f32]) -> f32 {
    let mut sum_x2 = 0.0f32;
    for &v in x {
        sum_x2 += v * v;
    }
    sum_x2 / x.len() as f32
}

/// `w = qw·sqrt(sigma2 + x²)` for one block.
fn block_weights(xb: &[f32], qw: &[f32], sigma2: f32) -> [f32; QK] {
    let mut w = [0.0f32; QK];
    for j in 0..QK {
        w[j] = qw[j] * (sigma2 + xb[j] * xb[j]).sqrt();
    }
    w
}

// ---------------------------------------------------------------- Q4_0

/// Q4_0 reference encoder (`quantize_row_q4_0_ref`).
pub(crate) fn encode_q4_0(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK).zip(dst.chunks_exact_mut(18)) {
        let (max, _) = signed_absmax(x);
        let d = max / -8.0;
        let id = inverse(d);
        write_f16(y, 0, d);
        for j in 0..QK / 2 {
            let x0 = x[j] * id;
            let x1 = x[QK / 2 + j] * id;
            let xi0 = (c_trunc_i32(x0 + 8.5) as i8).min(15) as u8;
            let xi1 = (c_trunc_i32(x1 + 8.5) as i8).min(15) as u8;
            y[2 + j] = xi0 | (xi1 << 4);
        }
    }
}

/// Q4_0 weighted encoder (`quantize_row_q4_0_impl`), one row.
pub(crate) fn encode_q4_0_w(src: &[f32], dst: &mut [u8], qw: &[f32]) {
    let sigma2 = row_sigma2(src);
    let mut l = [0i8; QK];
    for ((x, y), qw) in src
        .chunks_exact(QK)
        .zip(dst.chunks_exact_mut(18))
        .zip(qw.chunks_exact(QK))
    {
        let w = block_weights(x, qw, sigma2);
        let d = make_qx_quants(8, x, &mut l, Weights::Given(&w));
        write_f16(y, 0, d);
        for j in 0..16 {
            y[2 + j] = (l[j] as u8) | ((l[j + 16] as u8) << 4);
        }
    }
}

/// Q4_0 decoder: `(q − 8)·d`.
pub(crate) fn decode_q4_0(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(18).zip(dst.chunks_exact_mut(QK)) {
        let d = read_f16(x, 0);
        for j in 0..QK / 2 {
            let x0 = i32::from(x[2 + j] & 0x0F) - 8;
            let x1 = i32::from(x[2 + j] >> 4) - 8;
            y[j] = x0 as f32 * d;
            y[j + QK / 2] = x1 as f32 * d;
        }
    }
}

// ---------------------------------------------------------------- Q4_1

/// Q4_1 reference encoder (`quantize_row_q4_1_ref`).
pub(crate) fn encode_q4_1(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK).zip(dst.chunks_exact_mut(20)) {
        let (min, max) = min_max(x);
        let d = (max - min) / 15.0;
        let id = inverse(d);
        write_f16(y, 0, d);
        write_f16(y, 2, min);
        for j in 0..QK / 2 {
            let x0 = (x[j] - min) * id;
            let x1 = (x[QK / 2 + j] - min) * id;
            let xi0 = (c_trunc_i32(x0 + 0.5) as i8).min(15) as u8;
            let xi1 = (c_trunc_i32(x1 + 0.5) as i8).min(15) as u8;
            y[4 + j] = xi0 | (xi1 << 4);
        }
    }
}

/// The search parameters of the weighted `_1` encoders.
fn min_search(nmax: i32) -> MinSearch {
    MinSearch {
        nmax,
        rmin: -0.9,
        rdelta: 0.05,
        nstep: 36,
        use_mad: false,
    }
}

/// Q4_1 weighted encoder (`quantize_row_q4_1_impl`), one row.
pub(crate) fn encode_q4_1_w(src: &[f32], dst: &mut [u8], qw: &[f32]) {
    let sigma2 = row_sigma2(src);
    let mut l = [0u8; QK];
    let mut laux = [0u8; QK];
    for ((x, y), qw) in src
        .chunks_exact(QK)
        .zip(dst.chunks_exact_mut(20))
        .zip(qw.chunks_exact(QK))
    {
        let w = block_weights(x, qw, sigma2);
        let (d, min) = make_qkx3_quants(min_search(15), x, &w, &mut l, &mut laux);
        write_f16(y, 0, d);
        write_f16(y, 2, -min);
        for j in 0..16 {
            y[4 + j] = l[j] | (l[j + 16] << 4);
        }
    }
}

/// Q4_1 decoder: `q·d + m`.
pub(crate) fn decode_q4_1(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(20).zip(dst.chunks_exact_mut(QK)) {
        let d = read_f16(x, 0);
        let m = read_f16(x, 2);
        for j in 0..QK / 2 {
            let x0 = i32::from(x[4 + j] & 0x0F);
            let x1 = i32::from(x[4 + j] >> 4);
            y[j] = x0 as f32 * d + m;
            y[j + QK / 2] = x1 as f32 * d + m;
        }
    }
}

// ---------------------------------------------------------------- Q5_0

/// Q5_0 reference encoder (`quantize_row_q5_0_ref`).
pub(crate) fn encode_q5_0(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK).zip(dst.chunks_exact_mut(22)) {
        let (max, _) = signed_absmax(x);
        let d = max / -16.0;
        let id = inverse(d);
        write_f16(y, 0, d);
        let mut l0 = [0u8; QK / 2];
        let mut l1 = [0u8; QK / 2];
        for j in 0..QK / 2 {
            let x0 = x[j] * id;
            let x1 = x[QK / 2 + j] * id;
            l0[j] = (c_trunc_i32(x0 + 16.5) as i8).min(31) as u8;
            l1[j] = (c_trunc_i32(x1 + 16.5) as i8).min(31) as u8;
            y[6 + j] = (l0[j] & 0x0F) | ((l1[j] & 0x0F) << 4);
        }
        y[2..6].copy_from_slice(&high_bits(&l0, &l1));
    }
}

/// Q5_0 weighted encoder (`quantize_row_q5_0_impl`), one row.
pub(crate) fn encode_q5_0_w(src: &[f32], dst: &mut [u8], qw: &[f32]) {
    let sigma2 = row_sigma2(src);
    let mut l = [0i8; QK];
    for ((x, y), qw) in src
        .chunks_exact(QK)
        .zip(dst.chunks_exact_mut(22))
        .zip(qw.chunks_exact(QK))
    {
        let w = block_weights(x, qw, sigma2);
        let d = make_qx_quants(16, x, &mut l, Weights::Given(&w));
        write_f16(y, 0, d);
        let lu: [u8; QK] = l.map(|v| v as u8);
        for j in 0..16 {
            y[6 + j] = (lu[j] & 0x0F) | ((lu[j + 16] & 0x0F) << 4);
        }
        y[2..6].copy_from_slice(&high_bits(&lu[..16], &lu[16..]));
    }
}

/// Q5_0 decoder: `(q − 16)·d`.
pub(crate) fn decode_q5_0(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(22).zip(dst.chunks_exact_mut(QK)) {
        let d = read_f16(x, 0);
        let qh = u32::from_le_bytes([x[2], x[3], x[4], x[5]]);
        for j in 0..QK / 2 {
            let xh0 = ((qh >> j) << 4) & 0x10;
            let xh1 = (qh >> (j + 12)) & 0x10;
            let x0 = (u32::from(x[6 + j] & 0x0F) | xh0) as i32 - 16;
            let x1 = (u32::from(x[6 + j] >> 4) | xh1) as i32 - 16;
            y[j] = x0 as f32 * d;
            y[j + QK / 2] = x1 as f32 * d;
        }
    }
}

// ---------------------------------------------------------------- Q5_1

/// Q5_1 reference encoder (`quantize_row_q5_1_ref`).
pub(crate) fn encode_q5_1(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK).zip(dst.chunks_exact_mut(24)) {
        let (min, max) = min_max(x);
        let d = (max - min) / 31.0;
        let id = inverse(d);
        write_f16(y, 0, d);
        write_f16(y, 2, min);
        let mut l0 = [0u8; QK / 2];
        let mut l1 = [0u8; QK / 2];
        for j in 0..QK / 2 {
            let x0 = (x[j] - min) * id;
            let x1 = (x[QK / 2 + j] - min) * id;
            // No MIN(31, …) here, unlike the other legacy types.
            l0[j] = c_trunc_i32(x0 + 0.5) as u8;
            l1[j] = c_trunc_i32(x1 + 0.5) as u8;
            y[8 + j] = (l0[j] & 0x0F) | ((l1[j] & 0x0F) << 4);
        }
        y[4..8].copy_from_slice(&high_bits(&l0, &l1));
    }
}

/// Q5_1 weighted encoder (`quantize_row_q5_1_impl`), one row.
pub(crate) fn encode_q5_1_w(src: &[f32], dst: &mut [u8], qw: &[f32]) {
    let sigma2 = row_sigma2(src);
    let mut l = [0u8; QK];
    let mut laux = [0u8; QK];
    for ((x, y), qw) in src
        .chunks_exact(QK)
        .zip(dst.chunks_exact_mut(24))
        .zip(qw.chunks_exact(QK))
    {
        let w = block_weights(x, qw, sigma2);
        let (d, min) = make_qkx3_quants(min_search(31), x, &w, &mut l, &mut laux);
        write_f16(y, 0, d);
        write_f16(y, 2, -min);
        for j in 0..16 {
            y[8 + j] = (l[j] & 0x0F) | ((l[j + 16] & 0x0F) << 4);
        }
        y[4..8].copy_from_slice(&high_bits(&l[..16], &l[16..]));
    }
}

/// Q5_1 decoder: `q·d + m`.
pub(crate) fn decode_q5_1(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(24).zip(dst.chunks_exact_mut(QK)) {
        let d = read_f16(x, 0);
        let m = read_f16(x, 2);
        let qh = u32::from_le_bytes([x[4], x[5], x[6], x[7]]);
        for j in 0..QK / 2 {
            let xh0 = ((qh >> j) << 4) & 0x10;
            let xh1 = (qh >> (j + 12)) & 0x10;
            let x0 = (u32::from(x[8 + j] & 0x0F) | xh0) as i32;
            let x1 = (u32::from(x[8 + j] >> 4) | xh1) as i32;
            y[j] = x0 as f32 * d + m;
            y[j + QK / 2] = x1 as f32 * d + m;
        }
    }
}

// ---------------------------------------------------------------- Q8_0 / Q8_1

/// Q8_0 reference encoder (`quantize_row_q8_0_ref`); ggml ignores any imatrix.
pub(crate) fn encode_q8_0(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK).zip(dst.chunks_exact_mut(34)) {
        let d = c_absmax(x) / 127.0;
        let id = inverse(d);
        write_f16(y, 0, d);
        // Branch-free rounding when every value is in its range (always,
        // for a finite block); C's `roundf` semantics otherwise.
        let mut small = true;
        for (q, &v) in y[2..].iter_mut().zip(x) {
            let v = v * id;
            small &= v.abs() < 8_388_608.0;
            *q = round_below_2_23(v) as i8 as u8;
        }
        if !small {
            for (q, &v) in y[2..].iter_mut().zip(x) {
                *q = c_round_i32(v * id) as i8 as u8;
            }
        }
    }
}

/// Q8_0 decoder: `q·d`.
pub(crate) fn decode_q8_0(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(34).zip(dst.chunks_exact_mut(QK)) {
        let d = read_f16(x, 0);
        for j in 0..QK {
            y[j] = f32::from(x[2 + j] as i8) * d;
        }
    }
}

/// Q8_1 reference encoder (`quantize_row_q8_1_ref`): Q8_0 plus
/// `s = d·Σq`. ggml has no Q8_1 decoder.
pub(crate) fn encode_q8_1(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK).zip(dst.chunks_exact_mut(36)) {
        let d = c_absmax(x) / 127.0;
        let id = inverse(d);
        write_f16(y, 0, d);
        let mut sum = 0i32;
        for j in 0..QK / 2 {
            let q0 = c_round_i32(x[j] * id) as i8;
            let q1 = c_round_i32(x[QK / 2 + j] * id) as i8;
            y[4 + j] = q0 as u8;
            y[4 + QK / 2 + j] = q1 as u8;
            sum += i32::from(q0) + i32::from(q1);
        }
        write_f16(y, 2, sum as f32 * d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::c_max;

    /// `quantize_row_q8_0_ref` in ggml's order, one element at a time.
    fn q8_0_scalar(x: &[f32], y: &mut [u8]) {
        let d = x.iter().fold(0.0f32, |m, v| c_max(m, v.abs())) / 127.0;
        let id = inverse(d);
        write_f16(y, 0, d);
        for (q, &v) in y[2..].iter_mut().zip(x) {
            *q = c_round_i32(v * id) as i8 as u8;
        }
    }

    #[test]
    fn q8_0_vector_form_matches_scalar() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let specials = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            1e-40,
            3e38,
            0.5,
        ];
        for case in 0..20_000 {
            let scale = 10f32.powi((next() % 60) as i32 - 30);
            let mut x: Vec<f32> = (0..QK)
                .map(|_| ((next() >> 40) as f32 / 8e6 - 1.0) * scale)
                .collect();
            for _ in 0..case % 3 {
                x[next() as usize % QK] = specials[next() as usize % specials.len()];
            }
            let (mut fast, mut slow) = ([0u8; 34], [0u8; 34]);
            encode_q8_0(&x, &mut fast);
            q8_0_scalar(&x, &mut slow);
            assert_eq!(fast, slow, "{x:?}");
        }
    }
}

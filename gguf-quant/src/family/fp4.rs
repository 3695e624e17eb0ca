//! The FP4 types MXFP4 and NVFP4 (E2M1 values with an E8M0 or UE4M3
//! scale): encoders as `quantize_row_*fp4_ref` (ggml ignores an imatrix
//! for them), decoders as `dequantize_row_*fp4`.

#![allow(clippy::needless_range_loop)]

use crate::numerics::{c_trunc_i32, e8m0_to_fp32_half};

/// `kvalues_mxfp4`: doubled E2M1 values, used by MXFP4 and NVFP4.
pub(crate) const KVALUES_MXFP4: [i8; 16] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

/// The first index minimizing `|kv·e − x|`.
fn best_index_mxfp4(x: f32, e: f32) -> u8 {
    let mut best_index = 0u8;
    let mut best_err = (f32::from(KVALUES_MXFP4[0]) * e - x).abs();
    for i in 1..16 {
        let err = (f32::from(KVALUES_MXFP4[i]) * e - x).abs();
        if err < best_err {
            best_index = i as u8;
            best_err = err;
        }
    }
    best_index
}

/// MXFP4 reference encoder (17-byte blocks of 32: E8M0 exponent, qs[16]).
pub(crate) fn encode_mxfp4(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(32).zip(dst.chunks_exact_mut(17)) {
        let mut amax = 0.0f32;
        for &v in x {
            if amax < v.abs() {
                amax = v.abs();
            }
        }
        let e = if amax > 0.0 {
            c_trunc_i32(amax.log2().floor() - 2.0 + 127.0) as u8
        } else {
            0
        };
        let d = e8m0_to_fp32_half(e);
        y[0] = e;
        for j in 0..16 {
            let x0 = best_index_mxfp4(x[j], d);
            let x1 = best_index_mxfp4(x[16 + j], d);
            y[1 + j] = x0 | (x1 << 4);
        }
    }
}

/// MXFP4 decoder: `kv[q]·2^(e−128)`.
pub(crate) fn decode_mxfp4(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(17).zip(dst.chunks_exact_mut(32)) {
        let d = e8m0_to_fp32_half(x[0]);
        for j in 0..16 {
            y[j] = f32::from(KVALUES_MXFP4[usize::from(x[1 + j] & 0xF)]) * d;
            y[j + 16] = f32::from(KVALUES_MXFP4[usize::from(x[1 + j] >> 4)]) * d;
        }
    }
}

/// `2^k` for a small `k`, exactly.
fn pow2(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// `ggml_ue4m3_to_fp32`: an unsigned E4M3 scale byte, halved; 0 and 0x7F
/// (the NaN code) give 0.
pub(crate) fn ue4m3_to_fp32(x: u8) -> f32 {
    if x == 0 || x == 0x7F {
        return 0.0;
    }
    let exp = i32::from((x >> 3) & 0xF);
    let man = f32::from(x & 7);
    let raw = if exp == 0 {
        man * pow2(-9)
    } else {
        (1.0 + man / 8.0) * pow2(exp - 7)
    };
    raw * 0.5
}

/// `ggml_fp32_to_ue4m3`: a positive f32 to an unsigned E4M3 byte, rounding
/// half up on the fourth mantissa bit; ≤ 0 and NaN give 0, large values
/// saturate at 0x7E.
pub(crate) fn fp32_to_ue4m3(x: f32) -> u8 {
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    let x = if x > 448.0 { 448.0 } else { x };
    let bits = x.to_bits();
    let fp32_exp = ((bits >> 23) & 0xFF) as i32 - 127;
    let fp32_man = ((bits >> 20) & 0x7) as i32;
    let mut exp = fp32_exp + 7;
    if exp <= 0 {
        let man = c_trunc_i32(x * 512.0 + 0.5).min(7);
        return if man < 1 { 0 } else { man as u8 };
    }
    if exp >= 15 {
        return 0x7E;
    }
    let mut man = fp32_man + ((bits >> 19) & 1) as i32;
    if man > 7 {
        man = 0;
        exp += 1;
        if exp >= 15 {
            return 0x7E;
        }
    }
    ((exp << 3) | man) as u8
}

/// NVFP4 reference encoder: per 16 elements a UE4M3 scale `amax/6`, then
/// the nearest doubled-E2M1 level.
pub(crate) fn encode_nvfp4(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(64).zip(dst.chunks_exact_mut(36)) {
        for s in 0..4 {
            let xb = &x[16 * s..16 * s + 16];
            let mut amax = 0.0f32;
            for &v in xb {
                if amax < v.abs() {
                    amax = v.abs();
                }
            }
            let ue = fp32_to_ue4m3(amax / 6.0);
            y[s] = ue;
            let d = ue4m3_to_fp32(ue);
            for j in 0..8 {
                let x0 = best_index_mxfp4(xb[j], d);
                let x1 = best_index_mxfp4(xb[8 + j], d);
                y[4 + 8 * s + j] = x0 | (x1 << 4);
            }
        }
    }
}

/// NVFP4 decoder (36-byte blocks of 64: four UE4M3 scales, qs[32]).
pub(crate) fn decode_nvfp4(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(36).zip(dst.chunks_exact_mut(64)) {
        for s in 0..4 {
            let d = ue4m3_to_fp32(x[s]);
            let qs = &x[4 + 8 * s..4 + 8 * s + 8];
            let yb = &mut y[16 * s..16 * s + 16];
            for j in 0..8 {
                yb[j] = f32::from(KVALUES_MXFP4[usize::from(qs[j] & 0xF)]) * d;
                yb[j + 8] = f32::from(KVALUES_MXFP4[usize::from(qs[j] >> 4)]) * d;
            }
        }
    }
}

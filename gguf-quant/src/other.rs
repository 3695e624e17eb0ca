//! The remaining block types: IQ4_NL and IQ4_XS (`quantize_iq4_*`, the
//! non-reference path llama-quantize takes, with or without weights), the
//! ternary TQ1_0 and TQ2_0, MXFP4, NVFP4, Q1_0 and Q2_0.
//! Other encoders mirror `quantize_row_<type>_ref` (ggml ignores an imatrix
//! for them); decoders mirror `dequantize_row_<type>`.

#![allow(clippy::needless_range_loop)]

use crate::numerics::{
    c_absmax, c_round_i32, c_trunc_i32, e8m0_to_fp32_half, nearest_int, read_f16, signed_absmax, write_f16,
};

/// `kvalues_iq4nl`: the 16 non-linear levels of IQ4_NL and IQ4_XS.
pub(crate) const KVALUES_IQ4NL: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];

/// `kvalues_mxfp4`: doubled E2M1 values, used by MXFP4 and NVFP4.
pub(crate) const KVALUES_MXFP4: [i8; 16] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

// ---------------------------------------------------------------- IQ4

/// `best_index_int8`: the index of the nearest level in the sorted `values`
/// (16 of them), found by a branchless binary search on midpoints; an exact
/// midpoint goes to the upper level, and NaN to level 15, as in ggml (every
/// comparison of its search fails for NaN, which walks it to the top).
pub(crate) fn best_index_int8(values: &[i8; 16], x: f32) -> usize {
    let x2 = x + x;
    let mut idx = 0;
    let mut step = 8;
    while step > 0 {
        let j = idx + step;
        // NaN goes up, as in ggml.
        if x2 >= f32::from(values[j - 1]) + f32::from(values[j]) || x2.is_nan() {
            idx = j;
        }
        step >>= 1;
    }
    idx
}

/// `quantize_row_iq4_nl_impl` with 16 levels and `ntry` = 7, the path
/// `quantize_iq4_nl` / `quantize_iq4_xs` (and so llama-quantize) takes.
///
/// `x` is one super-block (32 elements for IQ4_NL, 256 for IQ4_XS) and `y`
/// its output block; `qw` the importance weights for `x`, if any. Runs
/// [`iq4_encode_block_lanes`], or the scalar reference
/// [`iq4_encode_block_scalar`] on the scalar path (`crate::reference`);
/// both write the same bytes.
fn iq4_encode_block(x: &[f32], y: &mut [u8], qw: Option<&[f32]>) {
    if crate::lanes::scalar() {
        iq4_encode_block_scalar(x, y, qw);
    } else {
        iq4_encode_block_lanes(x, y, qw);
    }
}

/// [`iq4_encode_block`] with the sixteen scales of a block's search (the
/// first guess and the fifteen trials) evaluated side by side, one lane
/// each ([`crate::lanes::iq4_sums`]: per lane the f32 operations of the
/// scalar loop, in its order), and the winner chosen in ggml's order
/// afterwards; the final requantization runs eight values at a time
/// straight into the nibble layout ([`crate::lanes::iq4_quantize`]).
/// Levels of the first guess, which ggml writes and every path later
/// overwrites, are not stored, and `sigma2` is only summed when weights
/// use it.
fn iq4_encode_block_lanes(x: &[f32], y: &mut [u8], qw: Option<&[f32]>) {
    const NTRY: i32 = 7;
    let v0 = KVALUES_IQ4NL[0];
    // `itry + kv[0]` for the trials, lanes 1..16 (lane 0 is the first guess).
    let trial_num: [f32; 16] = std::array::from_fn(|k| (k as i32 - 1 - NTRY + i32::from(v0)) as f32);
    let sb = x.len();
    let nblocks = sb / 32;
    let mut sigma2 = 0.0f32;
    if qw.is_some() {
        for &v in x {
            sigma2 += v * v;
        }
        sigma2 *= 2.0 / sb as f32;
    }
    let mut scales = [0.0f32; 8];
    let mut weight = [0.0f32; 32];
    let mut max_scale = 0.0f32;
    let mut amax_scale = 0.0f32;
    let block = |ib: usize| -> &[f32; 32] { x[32 * ib..32 * ib + 32].try_into().expect("32 values") };
    for ib in 0..nblocks {
        let xb = block(ib);
        iq4_weights(xb, qw.map(|q| &q[32 * ib..32 * ib + 32]), sigma2, &mut weight);
        let (max, amax) = crate::lanes::iq4_absmax(xb);
        if amax < crate::search::GROUP_MAX_EPS {
            scales[ib] = 0.0;
            continue;
        }
        // Lane 0: `id = 1/d` with `d = -max/kv[0]`; lanes 1..16: the trials'
        // `(itry + kv[0])/max`.
        let mut ids = trial_num.map(|n| n / max);
        ids[0] = 1.0 / (-max / f32::from(v0));
        let (sumqx, sumq2) = crate::lanes::iq4_sums(&ids, xb, &weight);
        let mut d = if sumq2[0] > 0.0 { sumqx[0] / sumq2[0] } else { 0.0 };
        let mut best = d * sumqx[0];
        for k in 1..16 {
            if sumq2[k] > 0.0 && sumqx[k] * sumqx[k] > best * sumq2[k] {
                d = sumqx[k] / sumq2[k];
                best = d * sumqx[k];
            }
        }
        scales[ib] = d;
        let abs_d = d.abs();
        if abs_d > amax_scale {
            amax_scale = abs_d;
            max_scale = d;
        }
    }
    if nblocks > 1 {
        // IQ4_XS: d @0, scales_h @2, scales_l[4] @4, qs @8.
        let d = -max_scale / 32.0;
        write_f16(y, 0, d);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let mut scales_h = 0u16;
        for ib in 0..nblocks {
            let ls = nearest_int(id * scales[ib]).clamp(-32, 31);
            let dl = d * ls as f32;
            let idl = if dl != 0.0 { 1.0 / dl } else { 0.0 };
            let qs: &mut [u8; 16] = (&mut y[8 + 16 * ib..24 + 16 * ib]).try_into().expect("16 bytes");
            crate::lanes::iq4_quantize(idl, block(ib), qs);
            let ls = (ls + 32) as u8;
            if ib % 2 == 0 {
                y[4 + ib / 2] = ls & 0xf;
            } else {
                y[4 + ib / 2] |= (ls & 0xf) << 4;
            }
            scales_h |= u16::from(ls >> 4) << (2 * (ib % 8));
        }
        y[2..4].copy_from_slice(&scales_h.to_le_bytes());
    } else {
        // IQ4_NL: d @0, qs @2; requantize with the unrounded scale.
        write_f16(y, 0, scales[0]);
        let id = if scales[0] != 0.0 { 1.0 / scales[0] } else { 0.0 };
        let qs: &mut [u8; 16] = (&mut y[2..18]).try_into().expect("16 bytes");
        crate::lanes::iq4_quantize(id, block(0), qs);
    }
}

/// The weights of one 32-value block in ggml's IQ4 search:
/// `qw · sqrt(sigma2 + x²)` with an importance matrix, `x²` without.
fn iq4_weights(xb: &[f32], qw: Option<&[f32]>, sigma2: f32, weight: &mut [f32; 32]) {
    match qw {
        Some(qb) => {
            for j in 0..32 {
                weight[j] = qb[j] * (sigma2 + xb[j] * xb[j]).sqrt();
            }
        }
        None => {
            for j in 0..32 {
                weight[j] = xb[j] * xb[j];
            }
        }
    }
}

/// The scalar reference of [`iq4_encode_block`]: ggml's loops one value
/// and one trial at a time.
fn iq4_encode_block_scalar(x: &[f32], y: &mut [u8], qw: Option<&[f32]>) {
    const NTRY: i32 = 7;
    let values = &KVALUES_IQ4NL;
    let sb = x.len();
    let nblocks = sb / 32;
    let mut sigma2 = 0.0f32;
    for &v in x {
        sigma2 += v * v;
    }
    sigma2 *= 2.0 / sb as f32;
    let mut l = [0u8; 256];
    let mut scales = [0.0f32; 8];
    let mut weight = [0.0f32; 32];
    let mut max_scale = 0.0f32;
    let mut amax_scale = 0.0f32;
    for ib in 0..nblocks {
        let xb = &x[32 * ib..32 * ib + 32];
        iq4_weights(xb, qw.map(|q| &q[32 * ib..32 * ib + 32]), sigma2, &mut weight);
        let (max, amax) = signed_absmax(xb);
        if amax < crate::search::GROUP_MAX_EPS {
            scales[ib] = 0.0;
            l[32 * ib..32 * ib + 32].fill(0);
            continue;
        }
        let v0 = f32::from(values[0]);
        let mut d = -max / v0;
        let mut id = 1.0 / d;
        let mut sumqx = 0.0f32;
        let mut sumq2 = 0.0f32;
        for j in 0..32 {
            let li = best_index_int8(values, id * xb[j]);
            l[32 * ib + j] = li as u8;
            let q = f32::from(values[li]);
            let w = weight[j];
            sumqx += w * q * xb[j];
            sumq2 += w * q * q;
        }
        d = if sumq2 > 0.0 { sumqx / sumq2 } else { 0.0 };
        let mut best = d * sumqx;
        for itry in -NTRY..=NTRY {
            id = (itry + i32::from(values[0])) as f32 / max;
            sumqx = 0.0;
            sumq2 = 0.0;
            for j in 0..32 {
                let li = best_index_int8(values, id * xb[j]);
                let q = f32::from(values[li]);
                let w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }
            if sumq2 > 0.0 && sumqx * sumqx > best * sumq2 {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scales[ib] = d;
        let abs_d = d.abs();
        if abs_d > amax_scale {
            amax_scale = abs_d;
            max_scale = d;
        }
    }
    let qs_at;
    if nblocks > 1 {
        // IQ4_XS: d @0, scales_h @2, scales_l[4] @4, qs @8.
        qs_at = 8;
        let d = -max_scale / 32.0;
        write_f16(y, 0, d);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        let mut scales_h = 0u16;
        for ib in 0..nblocks {
            let ls = nearest_int(id * scales[ib]).clamp(-32, 31);
            let dl = d * ls as f32;
            let idl = if dl != 0.0 { 1.0 / dl } else { 0.0 };
            let xb = &x[32 * ib..32 * ib + 32];
            for j in 0..32 {
                l[32 * ib + j] = best_index_int8(values, idl * xb[j]) as u8;
            }
            let ls = (ls + 32) as u8;
            if ib % 2 == 0 {
                y[4 + ib / 2] = ls & 0xf;
            } else {
                y[4 + ib / 2] |= (ls & 0xf) << 4;
            }
            scales_h |= u16::from(ls >> 4) << (2 * (ib % 8));
        }
        y[2..4].copy_from_slice(&scales_h.to_le_bytes());
    } else {
        // IQ4_NL: d @0, qs @2; requantize with the unrounded scale.
        qs_at = 2;
        write_f16(y, 0, scales[0]);
        let id = if scales[0] != 0.0 { 1.0 / scales[0] } else { 0.0 };
        for j in 0..sb {
            l[j] = best_index_int8(values, id * x[j]) as u8;
        }
    }
    for i in 0..sb / 32 {
        for j in 0..16 {
            y[qs_at + 16 * i + j] = l[32 * i + j] | (l[32 * i + 16 + j] << 4);
        }
    }
}

/// IQ4_NL encoder as `quantize_iq4_nl` without weights (error weights x²).
pub(crate) fn encode_iq4_nl(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(32).zip(dst.chunks_exact_mut(18)) {
        iq4_encode_block(x, y, None);
    }
}

/// IQ4_NL encoder with importance weights (`quantize_iq4_nl`).
pub(crate) fn encode_iq4_nl_w(src: &[f32], dst: &mut [u8], qw: &[f32]) {
    for ((x, y), w) in src
        .chunks_exact(32)
        .zip(dst.chunks_exact_mut(18))
        .zip(qw.chunks_exact(32))
    {
        iq4_encode_block(x, y, Some(w));
    }
}

/// IQ4_XS encoder as `quantize_iq4_xs` without weights.
pub(crate) fn encode_iq4_xs(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(256).zip(dst.chunks_exact_mut(136)) {
        iq4_encode_block(x, y, None);
    }
}

/// IQ4_XS encoder with importance weights (`quantize_iq4_xs`).
pub(crate) fn encode_iq4_xs_w(src: &[f32], dst: &mut [u8], qw: &[f32]) {
    for ((x, y), w) in src
        .chunks_exact(256)
        .zip(dst.chunks_exact_mut(136))
        .zip(qw.chunks_exact(256))
    {
        iq4_encode_block(x, y, Some(w));
    }
}

/// IQ4_NL decoder (18-byte blocks of 32): `d·kv[q]`, nibble layout.
pub(crate) fn decode_iq4_nl(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(18).zip(dst.chunks_exact_mut(32)) {
        let d = read_f16(x, 0);
        for j in 0..16 {
            y[j] = d * f32::from(KVALUES_IQ4NL[usize::from(x[2 + j] & 0xF)]);
            y[j + 16] = d * f32::from(KVALUES_IQ4NL[usize::from(x[2 + j] >> 4)]);
        }
    }
}

/// IQ4_XS decoder (136-byte blocks of 256): `d·(ls − 32)·kv[q]` per 32.
pub(crate) fn decode_iq4_xs(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(136).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 0);
        let scales_h = u16::from_le_bytes([x[2], x[3]]);
        for ib in 0..8 {
            let lo = (x[4 + ib / 2] >> (4 * (ib % 2))) & 0xF;
            let hi = ((scales_h >> (2 * ib)) & 3) as u8;
            let ls = i32::from(lo | (hi << 4));
            let dl = d * (ls - 32) as f32;
            let qs = &x[8 + 16 * ib..8 + 16 * ib + 16];
            let out = &mut y[32 * ib..32 * ib + 32];
            for j in 0..16 {
                out[j] = dl * f32::from(KVALUES_IQ4NL[usize::from(qs[j] & 0xF)]);
                out[j + 16] = dl * f32::from(KVALUES_IQ4NL[usize::from(qs[j] >> 4)]);
            }
        }
    }
}

// ---------------------------------------------------------------- TQ1_0 / TQ2_0

/// C's `lroundf` (half away from zero) as glibc on x86-64 returns it:
/// NaN and out-of-range values give `i64::MIN`.
fn c_lround(f: f32) -> i64 {
    let r = f.round();
    if !(-9.223_372e18..9.223_372e18).contains(&r) {
        i64::MIN
    } else {
        r as i64
    }
}

/// `(int)(lroundf(v) + 1)`: a trit 0, 1 or 2 for v in [−1, 1].
fn trit(v: f32) -> i32 {
    c_lround(v).wrapping_add(1) as i32
}

/// `(q·256 + 242)/243` stored into a byte: 5 trits → a byte whose top bits
/// can be read back with one multiply.
fn trits_to_byte(q: u8) -> u8 {
    (u32::from(q) * 256).div_ceil(243) as u8
}

/// TQ1_0 reference encoder (54-byte blocks of 256; qs[48] @0, qh[4] @48, d @52).
pub(crate) fn encode_tq1_0(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(256).zip(dst.chunks_exact_mut(54)) {
        let d = c_absmax(x);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        write_f16(y, 52, d);
        // 32 bytes of 5 trits (elements m + 32n), then 16 bytes (160 + m + 16n).
        for m in 0..32 {
            let mut q = 0u8;
            for n in 0..5 {
                q = q.wrapping_mul(3).wrapping_add(trit(x[m + 32 * n] * id) as u8);
            }
            y[m] = trits_to_byte(q);
        }
        for m in 0..16 {
            let mut q = 0u8;
            for n in 0..5 {
                q = q
                    .wrapping_mul(3)
                    .wrapping_add(trit(x[160 + m + 16 * n] * id) as u8);
            }
            y[32 + m] = trits_to_byte(q);
        }
        // 4 bytes of 4 trits (elements 240 + j + 4m), shifted up one trit.
        for j in 0..4 {
            let mut q = 0u8;
            for m in 0..4 {
                q = q
                    .wrapping_mul(3)
                    .wrapping_add(trit(x[240 + j + 4 * m] * id) as u8);
            }
            q = q.wrapping_mul(3);
            y[48 + j] = trits_to_byte(q);
        }
    }
}

/// TQ1_0 decoder: `(trit − 1)·d`.
pub(crate) fn decode_tq1_0(src: &[u8], dst: &mut [f32]) {
    const POW3: [u8; 6] = [1, 3, 9, 27, 81, 243];
    let trit_of = |b: u8, n: usize| -> f32 {
        let q = b.wrapping_mul(POW3[n]);
        let xi = ((u16::from(q) * 3) >> 8) as i16;
        f32::from(xi - 1)
    };
    for (x, y) in src.chunks_exact(54).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 52);
        let mut out = 0;
        for n in 0..5 {
            for m in 0..32 {
                y[out] = trit_of(x[m], n) * d;
                out += 1;
            }
        }
        for n in 0..5 {
            for m in 0..16 {
                y[out] = trit_of(x[32 + m], n) * d;
                out += 1;
            }
        }
        for n in 0..4 {
            for j in 0..4 {
                y[out] = trit_of(x[48 + j], n) * d;
                out += 1;
            }
        }
    }
}

/// TQ2_0 reference encoder (66-byte blocks of 256; qs[64] @0, d @64).
pub(crate) fn encode_tq2_0(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(256).zip(dst.chunks_exact_mut(66)) {
        let d = c_absmax(x);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        write_f16(y, 64, d);
        for g in 0..2 {
            for m in 0..32 {
                let mut q = 0u8;
                for n in 0..4 {
                    let xi = trit(x[128 * g + m + 32 * n] * id);
                    q = q.wrapping_add(((xi & 3) << (2 * n)) as u8);
                }
                y[32 * g + m] = q;
            }
        }
    }
}

/// TQ2_0 decoder: `(q − 1)·d`.
pub(crate) fn decode_tq2_0(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(66).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 64);
        let mut out = 0;
        for g in 0..2 {
            for l in 0..4 {
                for m in 0..32 {
                    let q = ((x[32 * g + m] >> (2 * l)) & 3) as i8;
                    y[out] = f32::from(q - 1) * d;
                    out += 1;
                }
            }
        }
    }
}

// ---------------------------------------------------------------- MXFP4 / NVFP4

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

// ---------------------------------------------------------------- Q1_0 / Q2_0

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

#[cfg(test)]
mod tests {
    use super::*;

    /// ggml's `best_index_int8`, line by line: the reference for the
    /// branchless search, NaN and infinities included.
    fn ggml_best_index_int8(val: &[i8; 16], x: f32) -> usize {
        if x <= f32::from(val[0]) {
            return 0;
        }
        if x >= f32::from(val[15]) {
            return 15;
        }
        let (mut ml, mut mu) = (0, 15);
        while mu - ml > 1 {
            let mav = (ml + mu) / 2;
            if x < f32::from(val[mav]) {
                mu = mav;
            } else {
                ml = mav;
            }
        }
        if x - f32::from(val[mu - 1]) < f32::from(val[mu]) - x {
            mu - 1
        } else {
            mu
        }
    }

    #[test]
    fn best_index_int8_is_ggmls_search() {
        let v = &KVALUES_IQ4NL;
        let mut xs = vec![
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            1e30,
            -1e30,
        ];
        for w in v.windows(2) {
            let mid = (f32::from(w[0]) + f32::from(w[1])) / 2.0;
            xs.extend([
                mid,
                mid.next_up(),
                mid.next_down(),
                f32::from(w[0]),
                f32::from(w[1]),
            ]);
        }
        xs.extend((-3000..3000).map(|i| i as f32 * 0.0473));
        for x in xs {
            assert_eq!(best_index_int8(v, x), ggml_best_index_int8(v, x), "x = {x:?}");
        }
        assert_eq!(
            best_index_int8(v, f32::NAN),
            15,
            "NaN walks ggml's search to the top"
        );
    }
}

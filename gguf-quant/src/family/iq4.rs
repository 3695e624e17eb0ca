//! IQ4_NL and IQ4_XS, the non-linear 4-bit types: encoders as
//! `quantize_iq4_nl` / `quantize_iq4_xs` (the non-reference path
//! llama-quantize takes, with or without weights), decoders as
//! `dequantize_row_iq4_*`. The lane search is in `arch/lanes.rs`; the level table
//! and `best_index_int8` are in `numerics.rs`, shared with it.

#![allow(clippy::needless_range_loop)]

use crate::numerics::{best_index_int8, nearest_int, read_f16, signed_absmax, write_f16, KVALUES_IQ4NL};

/// `quantize_row_iq4_nl_impl` with 16 levels and `ntry` = 7, the path
/// `quantize_iq4_nl` / `quantize_iq4_xs` (and so llama-quantize) takes.
///
/// `x` is one super-block (32 elements for IQ4_NL, 256 for IQ4_XS) and `y`
/// its output block; `qw` the importance weights for `x`, if any. Runs
/// [`iq4_encode_block_lanes`], or the scalar reference
/// [`iq4_encode_block_scalar`] on the scalar path (`crate::reference`);
/// both write the same bytes.
fn iq4_encode_block(x: &[f32], y: &mut [u8], qw: Option<&[f32]>) {
    if crate::arch::scalar() {
        iq4_encode_block_scalar(x, y, qw);
    } else {
        iq4_encode_block_lanes(x, y, qw);
    }
}

/// [`iq4_encode_block`] with the sixteen scales of a block's search (the
/// first guess and the fifteen trials) evaluated side by side, one lane
/// each ([`crate::arch::lanes::iq4_sums`]: per lane the f32 operations of the
/// scalar loop, in its order), and the winner chosen in ggml's order
/// afterwards; the final requantization runs eight values at a time
/// straight into the nibble layout ([`crate::arch::lanes::iq4_quantize`]).
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
        let (max, amax) = crate::arch::lanes::iq4_absmax(xb);
        if amax < crate::arch::search::GROUP_MAX_EPS {
            scales[ib] = 0.0;
            continue;
        }
        // Lane 0: `id = 1/d` with `d = -max/kv[0]`; lanes 1..16: the trials'
        // `(itry + kv[0])/max`.
        let mut ids = trial_num.map(|n| n / max);
        ids[0] = 1.0 / (-max / f32::from(v0));
        let (sumqx, sumq2) = crate::arch::lanes::iq4_sums(&ids, xb, &weight);
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
            crate::arch::lanes::iq4_quantize(idl, block(ib), qs);
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
        crate::arch::lanes::iq4_quantize(id, block(0), qs);
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
        if amax < crate::arch::search::GROUP_MAX_EPS {
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

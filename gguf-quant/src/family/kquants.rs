//! The K-quants: 256-element super-blocks Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
//!
//! Encoders without weights mirror `quantize_row_<type>_ref`, weighted ones
//! `quantize_row_<type>_impl`, decoders `dequantize_row_<type>`. The scale
//! searches themselves are in `arch/` (the scalar references in
//! `arch/search.rs`, their lane-parallel fast paths in `arch/lanes.rs`).

#![allow(clippy::needless_range_loop)]

use crate::arch::lanes::{make_q3_quants_batch, make_qkx2_quants_x8, make_qkx3_quants_x8, make_qx_quants_x8};
use crate::arch::search::{make_qp_quants, make_qx_quants, MinSearch, Weights, GROUP_MAX_EPS};
use crate::numerics::{fp16_to_fp32, fp32_to_fp16, nearest_int, read_f16, signed_absmax, write_f16};

const QK_K: usize = 256;

/// Packs 2-bit levels: for each 128-element half, byte `l` holds elements
/// `l, l+32, l+64, l+96` at bits 0, 2, 4, 6.
fn pack_2bit(l: &[u8; QK_K], qs: &mut [u8]) {
    for j in (0..QK_K).step_by(128) {
        for k in 0..32 {
            qs[j / 4 + k] = l[j + k] | (l[j + k + 32] << 2) | (l[j + k + 64] << 4) | (l[j + k + 96] << 6);
        }
    }
}

/// `Σx²` over one super-block (sequential, as ggml sums).
fn block_sumx2(x: &[f32]) -> f32 {
    let mut s = 0.0f32;
    for &v in x {
        s += v * v;
    }
    s
}

// ---------------------------------------------------------------- Q2_K
// Layout: scales[16] @0, qs[64] @16, d @80, dmin @82.

/// Requantizes with the stored scales and mins and packs (shared by both
/// Q2_K encoders).
fn q2_k_finish(x: &[f32], y: &mut [u8], l: &mut [u8; QK_K]) {
    let d_all = read_f16(y, 80);
    let dmin_all = read_f16(y, 82);
    for j in 0..QK_K / 16 {
        let d = d_all * f32::from(y[j] & 0xF);
        if d == 0.0 {
            continue;
        }
        let dm = dmin_all * f32::from(y[j] >> 4);
        for ii in 0..16 {
            let q = nearest_int((x[16 * j + ii] + dm) / d);
            l[16 * j + ii] = q.clamp(0, 3) as u8;
        }
    }
    pack_2bit(l, &mut y[16..80]);
}

/// Q2_K reference encoder (`quantize_row_q2_K_ref`).
pub(crate) fn encode_q2_k(src: &[f32], dst: &mut [u8]) {
    let mut l = [0u8; QK_K];
    let mut weights = [0.0f32; QK_K];
    let mut mins = [0.0f32; 16];
    let mut scales = [0.0f32; 16];
    let p = MinSearch {
        nmax: 3,
        rmin: -0.5,
        rdelta: 0.1,
        nstep: 15,
        use_mad: true,
    };
    for (x, y) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(84)) {
        let mut max_scale = 0.0f32;
        let mut max_min = 0.0f32;
        // Sixteen sub-blocks of 16, eight at a time (`arch/lanes.rs`); the
        // scalar reference is `make_qkx2_quants` per sub-block.
        for (k, &v) in x.iter().enumerate() {
            weights[k] = v.abs();
        }
        for half in 0..2 {
            let r = 128 * half..128 * half + 128;
            let found = make_qkx2_quants_x8::<16>(p, &x[r.clone()], &weights[r.clone()], &mut l[r]);
            for (j, (s, m)) in found.into_iter().enumerate() {
                scales[8 * half + j] = s;
                mins[8 * half + j] = m;
            }
        }
        for j in 0..QK_K / 16 {
            let (s, m) = (scales[j], mins[j]);
            if s > max_scale {
                max_scale = s;
            }
            if m > max_min {
                max_min = m;
            }
        }
        if max_scale > 0.0 {
            let iscale = 15.0 / max_scale;
            for j in 0..16 {
                y[j] = nearest_int(iscale * scales[j]) as u8;
            }
            write_f16(y, 80, max_scale / 15.0);
        } else {
            y[..16].fill(0);
            write_f16(y, 80, 0.0);
        }
        if max_min > 0.0 {
            let iscale = 15.0 / max_min;
            for j in 0..16 {
                let q = nearest_int(iscale * mins[j]);
                y[j] |= (q << 4) as u8;
            }
            write_f16(y, 82, max_min / 15.0);
        } else {
            write_f16(y, 82, 0.0);
        }
        q2_k_finish(x, y, &mut l);
    }
}

/// `sw[j] = Σ weights` and the weights themselves, `qw·sqrt(sigma2 + x²)`.
fn imatrix_weights(xs: &[f32], qw: &[f32], sigma2: f32, w: &mut [f32]) -> f32 {
    for k in 0..xs.len() {
        w[k] = qw[k] * (sigma2 + xs[k] * xs[k]).sqrt();
    }
    let mut sumw = 0.0f32;
    for &v in &w[..xs.len()] {
        sumw += v;
    }
    sumw
}

const QKX3: MinSearch = MinSearch {
    nmax: 0,
    rmin: -0.9,
    rdelta: 0.05,
    nstep: 36,
    use_mad: false,
};

/// Q2_K weighted encoder (`quantize_row_q2_K_impl`), one row.
pub(crate) fn encode_q2_k_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    let mut l = [0u8; QK_K];
    let mut mins = [0.0f32; 16];
    let mut scales = [0.0f32; 16];
    let mut sw = [0.0f32; 16];
    let mut weight = [0.0f32; QK_K];
    let mut ls = [0u8; 16];
    let mut lm = [0u8; 16];
    let p = MinSearch { nmax: 3, ..QKX3 };
    for ((x, y), qw) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(84))
        .zip(imatrix.chunks_exact(QK_K))
    {
        let sigma2 = block_sumx2(x) / QK_K as f32;
        for j in 0..QK_K / 16 {
            let r = 16 * j..16 * j + 16;
            sw[j] = imatrix_weights(&x[r.clone()], &qw[r.clone()], sigma2, &mut weight[r]);
        }
        // Sixteen sub-blocks of 16, eight at a time (`arch/lanes.rs`); the scalar
        // reference is `make_qkx3_quants` per sub-block.
        for half in 0..2 {
            let r = 128 * half..128 * half + 128;
            let found = make_qkx3_quants_x8::<16>(p, &x[r.clone()], &weight[r.clone()], &mut l[r]);
            for (k, (s, m)) in found.into_iter().enumerate() {
                scales[8 * half + k] = s;
                mins[8 * half + k] = m;
            }
        }
        let dm = make_qp_quants(15, &scales, &mut ls, &sw);
        let mm = make_qp_quants(15, &mins, &mut lm, &sw);
        write_f16(y, 80, dm);
        write_f16(y, 82, mm);
        for j in 0..16 {
            y[j] = ls[j] | (lm[j] << 4);
        }
        q2_k_finish(x, y, &mut l);
    }
}

/// Q2_K decoder: `(d·sc)·q − dmin·m` per 16-element sub-block.
pub(crate) fn decode_q2_k(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(84).zip(dst.chunks_exact_mut(QK_K)) {
        let d = read_f16(x, 80);
        let min = read_f16(x, 82);
        // Sub-block j (16 outputs) uses scale byte j; its values are bit pair
        // `j / 2 % 4` of qs[32 * (j / 8) + 16 * (j % 2)..][..16].
        for (j, out) in y.chunks_exact_mut(16).enumerate() {
            let sc = x[j];
            let dl = d * f32::from(sc & 0xF);
            let ml = min * f32::from(sc >> 4);
            let shift = 2 * (j / 2 % 4);
            let q = &x[16 + 32 * (j / 8) + 16 * (j % 2)..][..16];
            for (o, &b) in out.iter_mut().zip(q) {
                *o = dl * f32::from((b >> shift) & 3) - ml;
            }
        }
    }
}

// ---------------------------------------------------------------- Q3_K
// Layout: hmask[32] @0, qs[64] @32, scales[12] @96, d @108.

/// Stores 16 six-bit scales (0..63) in Q3_K's 12-byte layout.
fn q3_k_pack_scales(levels: &[i32; 16], s: &mut [u8]) {
    s[..12].fill(0);
    for j in 0..16 {
        let l = levels[j];
        if j < 8 {
            s[j] = (l & 0xF) as u8;
        } else {
            s[j - 8] |= ((l & 0xF) << 4) as u8;
        }
        let h = l >> 4;
        s[j % 4 + 8] |= (h << (2 * (j / 4))) as u8;
    }
}

/// Sub-block `j`'s signed scale from Q3_K's 12-byte layout (−32..31).
fn q3_k_scale(s: &[u8], j: usize) -> i8 {
    let lo = if j < 8 { s[j] & 0xF } else { s[j - 8] >> 4 };
    let hi = ((s[8 + j % 4] >> (2 * (j / 4))) & 3) << 4;
    ((lo | hi) as i8).wrapping_sub(32)
}

/// Requantizes with the stored scales, builds hmask and packs (shared by
/// both Q3_K encoders).
fn q3_k_finish(x: &[f32], y: &mut [u8], l: &mut [u8; QK_K]) {
    let d_all = read_f16(y, 108);
    for j in 0..QK_K / 16 {
        let sc = q3_k_scale(&y[96..108], j);
        let d = d_all * f32::from(sc);
        if d == 0.0 {
            continue;
        }
        for (q, &v) in l[16 * j..16 * j + 16].iter_mut().zip(&x[16 * j..16 * j + 16]) {
            *q = (nearest_int(v / d).clamp(-4, 3) + 4) as u8;
        }
    }
    // Level bit 2 goes to hmask: element `32k + m` sets bit `k` of byte `m`
    // (branch-free form of ggml's walk with `m` and `hm`).
    let (hmask, qs) = y[..96].split_at_mut(32);
    hmask.fill(0);
    for (k, part) in l.chunks_exact_mut(32).enumerate() {
        for (h, v) in hmask.iter_mut().zip(part.iter_mut()) {
            *h |= ((*v >> 2) & 1) << k;
            *v &= 3;
        }
    }
    pack_2bit(l, qs);
}

/// Q3_K reference encoder (`quantize_row_q3_K_ref`).
pub(crate) fn encode_q3_k(src: &[f32], dst: &mut [u8]) {
    // Up to 32 super-blocks at a time: their sub-block searches
    // (`make_q3_quants`, scalar reference in `arch/search.rs`) run together in
    // the lanes (`arch/lanes.rs`), then each super-block is finished.
    const CHUNK: usize = 32;
    let mut li = [0i8; CHUNK * QK_K];
    let mut scales = [0f32; CHUNK * 16];
    for (x, y) in src.chunks(CHUNK * QK_K).zip(dst.chunks_mut(CHUNK * 110)) {
        let blocks = x.len() / QK_K;
        let (li, scales) = (&mut li[..blocks * QK_K], &mut scales[..blocks * 16]);
        make_q3_quants_batch::<16>(4, x, li, scales);
        for (((x, y), li), scales) in x
            .chunks_exact(QK_K)
            .zip(y.chunks_exact_mut(110))
            .zip(li.chunks_exact(QK_K))
            .zip(scales.chunks_exact(16))
        {
            q3_k_block(x, y, scales.try_into().unwrap(), li.try_into().unwrap());
        }
    }
}

/// The rest of `quantize_row_q3_K_ref` for one super-block, given its
/// sixteen sub-block scales and levels from `make_q3_quants`.
fn q3_k_block(x: &[f32], y: &mut [u8], scales: &[f32; 16], li: &[i8; QK_K]) {
    let (max_scale, _) = signed_absmax(scales);
    if max_scale != 0.0 {
        let iscale = -32.0 / max_scale;
        let mut levels = [0i32; 16];
        for j in 0..16 {
            // C stores nearest_int into an int8_t before clamping.
            let l = i32::from(nearest_int(iscale * scales[j]) as i8);
            levels[j] = l.clamp(-32, 31) + 32;
        }
        q3_k_pack_scales(&levels, &mut y[96..108]);
        write_f16(y, 108, 1.0 / iscale);
    } else {
        y[96..108].fill(0);
        write_f16(y, 108, 0.0);
    }
    let mut l: [u8; QK_K] = li.map(|v| v as u8);
    q3_k_finish(x, y, &mut l);
}

/// Q3_K weighted encoder (`quantize_row_q3_K_impl`), one row.
pub(crate) fn encode_q3_k_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    let mut li = [0i8; QK_K];
    let mut scales = [0.0f32; 16];
    let mut weight = [0.0f32; QK_K];
    let mut sw = [0.0f32; 16];
    let mut ls = [0i8; 16];
    for ((x, y), qw) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(110))
        .zip(imatrix.chunks_exact(QK_K))
    {
        let sigma2 = 2.0 * block_sumx2(x) / QK_K as f32;
        for j in 0..16 {
            let r = 16 * j..16 * j + 16;
            sw[j] = imatrix_weights(&x[r.clone()], &qw[r.clone()], sigma2, &mut weight[r]);
        }
        // Sixteen sub-blocks of 16, eight at a time (`arch/lanes.rs`); the scalar
        // reference is `make_qx_quants` per sub-block.
        for half in 0..2 {
            let r = 128 * half..128 * half + 128;
            let found = make_qx_quants_x8::<16>(4, &x[r.clone()], Some(&weight[r.clone()]), &mut li[r]);
            scales[8 * half..8 * half + 8].copy_from_slice(&found);
        }
        let d_block = make_qx_quants(32, &scales, &mut ls, Weights::Given(&sw));
        q3_k_pack_scales(&ls.map(i32::from), &mut y[96..108]);
        write_f16(y, 108, d_block);
        let mut l: [u8; QK_K] = li.map(|v| v as u8);
        q3_k_finish(x, y, &mut l);
    }
}

/// Q3_K decoder: `d·(sc − 32)·(q − (hbit ? 0 : 4))`.
pub(crate) fn decode_q3_k(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(110).zip(dst.chunks_exact_mut(QK_K)) {
        let d_all = read_f16(x, 108);
        let (hm, rest) = x.split_at(32);
        // Sub-block j (16 outputs): scale j, low bits = bit pair `j / 2 % 4`
        // of qs[32 * (j / 8) + 16 * (j % 2)..][..16], high bit = bit `j / 2`
        // of hmask[16 * (j % 2)..][..16] (clear means subtract 4).
        for (j, out) in y.chunks_exact_mut(16).enumerate() {
            let dl = d_all * f32::from(q3_k_scale(&x[96..108], j));
            let shift = 2 * (j / 2 % 4);
            let bit = j / 2;
            let q = &rest[32 * (j / 8) + 16 * (j % 2)..][..16];
            let h = &hm[16 * (j % 2)..][..16];
            for ((o, &b), &hb) in out.iter_mut().zip(q).zip(h) {
                let v = ((b >> shift) & 3) as i8 - ((((hb >> bit) & 1) ^ 1) << 2) as i8;
                *o = dl * f32::from(v);
            }
        }
    }
}

/// Scalar references of the decoders above, in ggml's loop order
/// (`dequantize_row_q2_K`, `dequantize_row_q3_K`), compared with them by
/// `tests/fast_paths.rs` (feature `reference`).
#[cfg(feature = "reference")]
pub(crate) mod reference {
    use super::{q3_k_scale, QK_K};
    use crate::numerics::read_f16;

    pub(crate) fn decode_q2_k(src: &[u8], dst: &mut [f32]) {
        for (x, y) in src.chunks_exact(84).zip(dst.chunks_exact_mut(QK_K)) {
            let d = read_f16(x, 80);
            let min = read_f16(x, 82);
            let mut out = 0;
            let mut is = 0;
            for n in 0..2 {
                let q = &x[16 + 32 * n..16 + 32 * n + 32];
                for shift in [0, 2, 4, 6] {
                    for half in 0..2 {
                        let sc = x[is];
                        is += 1;
                        let dl = d * f32::from(sc & 0xF);
                        let ml = min * f32::from(sc >> 4);
                        for k in 0..16 {
                            let v = (q[k + 16 * half] >> shift) & 3;
                            y[out] = dl * f32::from(v) - ml;
                            out += 1;
                        }
                    }
                }
            }
        }
    }

    pub(crate) fn decode_q3_k(src: &[u8], dst: &mut [f32]) {
        for (x, y) in src.chunks_exact(110).zip(dst.chunks_exact_mut(QK_K)) {
            let d_all = read_f16(x, 108);
            let hm = &x[..32];
            let mut m = 1u8;
            let mut is = 0;
            let mut out = 0;
            for n in 0..2 {
                let q = &x[32 + 32 * n..32 + 32 * n + 32];
                for shift in [0, 2, 4, 6] {
                    for half in 0..2 {
                        let dl = d_all * f32::from(q3_k_scale(&x[96..108], is));
                        is += 1;
                        for k in 0..16 {
                            let i = k + 16 * half;
                            let v = ((q[i] >> shift) & 3) as i8 - if hm[i] & m != 0 { 0 } else { 4 };
                            y[out] = dl * f32::from(v);
                            out += 1;
                        }
                    }
                    m <<= 1;
                }
            }
        }
    }
}

// ---------------------------------------------------------------- Q4_K / Q5_K
// Layout: d @0, dmin @2, scales[12] @4, then Q4_K qs[128] @16;
// Q5_K qh[32] @16, qs[128] @48.

/// Sub-block `j`'s 6-bit scale and min (`get_scale_min_k4`).
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Stores 8 scales and 8 mins (6 bits each) in the 12-byte K4 layout.
fn pack_scale_min_k4(ls: &[u8; 8], lm: &[u8; 8], s: &mut [u8]) {
    for j in 0..8 {
        if j < 4 {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = (ls[j] & 0xF) | ((lm[j] & 0xF) << 4);
            s[j - 4] |= (ls[j] >> 4) << 6;
            s[j] |= (lm[j] >> 4) << 6;
        }
    }
}

/// Requantizes a Q4_K/Q5_K super-block with its stored scales and mins.
fn k4_requantize(x: &[f32], y: &[u8], qmax: i32, l: &mut [u8; QK_K]) {
    let d_all = read_f16(y, 0);
    let dmin_all = read_f16(y, 2);
    for j in 0..QK_K / 32 {
        let (sc, m) = scale_min_k4(j, &y[4..16]);
        let d = d_all * f32::from(sc);
        if d == 0.0 {
            continue;
        }
        let dm = dmin_all * f32::from(m);
        for ii in 0..32 {
            let q = nearest_int((x[32 * j + ii] + dm) / d);
            l[32 * j + ii] = q.clamp(0, qmax) as u8;
        }
    }
}

/// The reference K4 search (Q4_K, Q5_K): per 32-element sub-block a
/// `make_qkx2_quants` with weights `av_x + |x|`, then 6-bit scales and mins.
fn k4_ref_scales(x: &[f32], y: &mut [u8], p: MinSearch, l: &mut [u8; QK_K]) {
    let mut weights = [0.0f32; QK_K];
    let mut mins = [0.0f32; 8];
    let mut scales = [0.0f32; 8];
    let mut max_scale = 0.0f32;
    let mut max_min = 0.0f32;
    for j in 0..QK_K / 32 {
        let xs = &x[32 * j..32 * j + 32];
        let mut sum_x2 = 0.0f32;
        for &v in xs {
            sum_x2 += v * v;
        }
        let av_x = (sum_x2 / 32.0).sqrt();
        for k in 0..32 {
            weights[32 * j + k] = av_x + xs[k].abs();
        }
    }
    // The eight sub-blocks searched side by side (`arch/lanes.rs`); the scalar
    // reference is `make_qkx2_quants` per sub-block.
    let found = make_qkx2_quants_x8::<32>(p, x, &weights, &mut l[..]);
    for (j, (s, m)) in found.into_iter().enumerate() {
        scales[j] = s;
        mins[j] = m;
        if s > max_scale {
            max_scale = s;
        }
        if m > max_min {
            max_min = m;
        }
    }
    let inv_scale = if max_scale > 0.0 { 63.0 / max_scale } else { 0.0 };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    let mut ls = [0u8; 8];
    let mut lm = [0u8; 8];
    for j in 0..8 {
        // C stores nearest_int into a uint8_t, then takes MIN(63, ·).
        ls[j] = (nearest_int(inv_scale * scales[j]) as u8).min(63);
        lm[j] = (nearest_int(inv_min * mins[j]) as u8).min(63);
    }
    pack_scale_min_k4(&ls, &lm, &mut y[4..16]);
    write_f16(y, 0, max_scale / 63.0);
    write_f16(y, 2, max_min / 63.0);
}

/// The weighted K4 search (Q4_K, Q5_K impl): `make_qkx3_quants` per
/// sub-block, then `make_qp_quants` for the scales and the mins.
fn k4_weighted_scales(x: &[f32], y: &mut [u8], qw: &[f32], nmax: i32, l: &mut [u8; QK_K]) {
    let mut weights = [0.0f32; QK_K];
    let mut sw = [0.0f32; 8];
    let mut mins = [0.0f32; 8];
    let mut scales = [0.0f32; 8];
    let mut ls = [0u8; 8];
    let mut lm = [0u8; 8];
    let sigma2 = 2.0 * block_sumx2(x) / QK_K as f32;
    let p = MinSearch { nmax, ..QKX3 };
    for j in 0..QK_K / 32 {
        let r = 32 * j..32 * j + 32;
        sw[j] = imatrix_weights(&x[r.clone()], &qw[r.clone()], sigma2, &mut weights[r]);
    }
    // The eight sub-blocks at once (`arch/lanes.rs`); the scalar reference is
    // `make_qkx3_quants` per sub-block.
    for (j, (s, m)) in make_qkx3_quants_x8::<32>(p, x, &weights, &mut l[..])
        .into_iter()
        .enumerate()
    {
        scales[j] = s;
        mins[j] = m;
    }
    let d_block = make_qp_quants(63, &scales, &mut ls, &sw);
    let m_block = make_qp_quants(63, &mins, &mut lm, &sw);
    // Q5_K clamps with MIN(63, ·) here and Q4_K does not; make_qp_quants
    // never returns levels above 63, so both are the same.
    y[4..16].fill(0);
    pack_scale_min_k4(&ls, &lm, &mut y[4..16]);
    write_f16(y, 0, d_block);
    write_f16(y, 2, m_block);
}

/// Packs 4-bit levels: for each 64-element chunk, byte `l` holds element
/// `l` (low nibble) and `l + 32` (high nibble).
fn pack_4bit(l: &[u8; QK_K], q: &mut [u8]) {
    for (c, j) in (0..QK_K).step_by(64).enumerate() {
        for k in 0..32 {
            q[32 * c + k] = l[j + k] | (l[j + k + 32] << 4);
        }
    }
}

/// Q4_K reference encoder (`quantize_row_q4_K_ref`).
pub(crate) fn encode_q4_k(src: &[f32], dst: &mut [u8]) {
    let mut l = [0u8; QK_K];
    let p = MinSearch {
        nmax: 15,
        rmin: -1.0,
        rdelta: 0.1,
        nstep: 20,
        use_mad: false,
    };
    for (x, y) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(144)) {
        k4_ref_scales(x, y, p, &mut l);
        k4_requantize(x, y, 15, &mut l);
        pack_4bit(&l, &mut y[16..144]);
    }
}

/// Q4_K weighted encoder (`quantize_row_q4_K_impl`), one row.
pub(crate) fn encode_q4_k_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    let mut l = [0u8; QK_K];
    for ((x, y), qw) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(144))
        .zip(imatrix.chunks_exact(QK_K))
    {
        k4_weighted_scales(x, y, qw, 15, &mut l);
        k4_requantize(x, y, 15, &mut l);
        pack_4bit(&l, &mut y[16..144]);
    }
}

/// Q4_K decoder: `d·sc·q − dmin·m` per 32-element sub-block.
pub(crate) fn decode_q4_k(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(144).zip(dst.chunks_exact_mut(QK_K)) {
        let d = read_f16(x, 0);
        let min = read_f16(x, 2);
        for c in 0..4 {
            let q = &x[16 + 32 * c..16 + 32 * c + 32];
            let (sc1, m1) = scale_min_k4(2 * c, &x[4..16]);
            let (sc2, m2) = scale_min_k4(2 * c + 1, &x[4..16]);
            let d1 = d * f32::from(sc1);
            let m1 = min * f32::from(m1);
            let d2 = d * f32::from(sc2);
            let m2 = min * f32::from(m2);
            let out = &mut y[64 * c..64 * c + 64];
            for k in 0..32 {
                out[k] = d1 * f32::from(q[k] & 0xF) - m1;
            }
            for k in 0..32 {
                out[32 + k] = d2 * f32::from(q[k] >> 4) - m2;
            }
        }
    }
}

/// Splits 5-bit levels into Q5_K's qh bits and 4-bit ql.
fn q5_k_pack(l: &[u8; QK_K], y: &mut [u8]) {
    let (qh, ql) = y[16..176].split_at_mut(32);
    qh.fill(0);
    let mut m1 = 1u8;
    let mut m2 = 2u8;
    for (c, n) in (0..QK_K).step_by(64).enumerate() {
        for j in 0..32 {
            let mut l1 = l[n + j];
            if l1 > 15 {
                l1 -= 16;
                qh[j] |= m1;
            }
            let mut l2 = l[n + j + 32];
            if l2 > 15 {
                l2 -= 16;
                qh[j] |= m2;
            }
            ql[32 * c + j] = l1 | (l2 << 4);
        }
        m1 <<= 2;
        m2 <<= 2;
    }
}

/// Q5_K reference encoder (`quantize_row_q5_K_ref`).
pub(crate) fn encode_q5_k(src: &[f32], dst: &mut [u8]) {
    let mut l = [0u8; QK_K];
    let p = MinSearch {
        nmax: 31,
        rmin: -0.5,
        rdelta: 0.1,
        nstep: 15,
        use_mad: false,
    };
    for (x, y) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(176)) {
        k4_ref_scales(x, y, p, &mut l);
        k4_requantize(x, y, 31, &mut l);
        q5_k_pack(&l, y);
    }
}

/// Q5_K weighted encoder (`quantize_row_q5_K_impl`), one row.
pub(crate) fn encode_q5_k_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    let mut l = [0u8; QK_K];
    for ((x, y), qw) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(176))
        .zip(imatrix.chunks_exact(QK_K))
    {
        k4_weighted_scales(x, y, qw, 31, &mut l);
        k4_requantize(x, y, 31, &mut l);
        q5_k_pack(&l, y);
    }
}

/// Q5_K decoder: `d·sc·(ql + 16·qh) − dmin·m`.
pub(crate) fn decode_q5_k(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(176).zip(dst.chunks_exact_mut(QK_K)) {
        let d = read_f16(x, 0);
        let min = read_f16(x, 2);
        let qh = &x[16..48];
        let mut u1 = 1u8;
        let mut u2 = 2u8;
        for c in 0..4 {
            let ql = &x[48 + 32 * c..48 + 32 * c + 32];
            let (sc1, m1) = scale_min_k4(2 * c, &x[4..16]);
            let (sc2, m2) = scale_min_k4(2 * c + 1, &x[4..16]);
            let d1 = d * f32::from(sc1);
            let m1 = min * f32::from(m1);
            let d2 = d * f32::from(sc2);
            let m2 = min * f32::from(m2);
            let out = &mut y[64 * c..64 * c + 64];
            for k in 0..32 {
                let v = (ql[k] & 0xF) + if qh[k] & u1 != 0 { 16 } else { 0 };
                out[k] = d1 * f32::from(v) - m1;
            }
            for k in 0..32 {
                let v = (ql[k] >> 4) + if qh[k] & u2 != 0 { 16 } else { 0 };
                out[32 + k] = d2 * f32::from(v) - m2;
            }
            u1 <<= 2;
            u2 <<= 2;
        }
    }
}

// ---------------------------------------------------------------- Q6_K
// Layout: ql[128] @0, qh[64] @128, scales: i8[16] @192, d @208.

/// Q6_K shared body; `qw` selects the weighted variant (raw imatrix weights).
fn encode_q6_k_block(x: &[f32], y: &mut [u8], qw: Option<&[f32]>) {
    let mut l = [0i8; QK_K];
    let mut scales = [0.0f32; 16];
    let mut max_scale = 0.0f32;
    let mut max_abs_scale = 0.0f32;
    // Sixteen sub-blocks of 16, eight at a time (`arch/lanes.rs`); the scalar
    // reference is `make_qx_quants` per sub-block.
    for half in 0..2 {
        let r = 128 * half..128 * half + 128;
        let found = make_qx_quants_x8::<16>(32, &x[r.clone()], qw.map(|q| &q[r.clone()]), &mut l[r]);
        scales[8 * half..8 * half + 8].copy_from_slice(&found);
    }
    for ib in 0..16 {
        let scale = scales[ib];
        let abs_scale = scale.abs();
        if abs_scale > max_abs_scale {
            max_abs_scale = abs_scale;
            max_scale = scale;
        }
    }
    if max_abs_scale < GROUP_MAX_EPS {
        y.fill(0);
        return;
    }
    let iscale = -128.0 / max_scale;
    let d16 = fp32_to_fp16(1.0 / iscale);
    y[208..210].copy_from_slice(&d16.to_le_bytes());
    for ib in 0..16 {
        y[192 + ib] = nearest_int(iscale * scales[ib]).min(127) as i8 as u8;
    }
    let d_all = fp16_to_fp32(d16);
    for j in 0..16 {
        let d = d_all * f32::from(y[192 + j] as i8);
        if d == 0.0 {
            continue;
        }
        for ii in 0..16 {
            let q = nearest_int(x[16 * j + ii] / d).clamp(-32, 31);
            l[16 * j + ii] = (q + 32) as i8;
        }
    }
    let l: [u8; QK_K] = l.map(|v| v as u8);
    let (ql, rest) = y.split_at_mut(128);
    let qh = &mut rest[..64];
    for (h, j) in (0..QK_K).step_by(128).enumerate() {
        let ql = &mut ql[64 * h..64 * h + 64];
        let qh = &mut qh[32 * h..32 * h + 32];
        for k in 0..32 {
            let q1 = l[j + k] & 0xF;
            let q2 = l[j + k + 32] & 0xF;
            let q3 = l[j + k + 64] & 0xF;
            let q4 = l[j + k + 96] & 0xF;
            ql[k] = q1 | (q3 << 4);
            ql[k + 32] = q2 | (q4 << 4);
            qh[k] = (l[j + k] >> 4)
                | ((l[j + k + 32] >> 4) << 2)
                | ((l[j + k + 64] >> 4) << 4)
                | ((l[j + k + 96] >> 4) << 6);
        }
    }
}

/// Q6_K reference encoder (`quantize_row_q6_K_ref`).
pub(crate) fn encode_q6_k(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(210)) {
        encode_q6_k_block(x, y, None);
    }
}

/// Q6_K weighted encoder (`quantize_row_q6_K_impl`), one row.
pub(crate) fn encode_q6_k_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    for ((x, y), qw) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(210))
        .zip(imatrix.chunks_exact(QK_K))
    {
        encode_q6_k_block(x, y, Some(qw));
    }
}

/// Q6_K decoder: `(d·sc)·(q − 32)`.
pub(crate) fn decode_q6_k(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(210).zip(dst.chunks_exact_mut(QK_K)) {
        let d = read_f16(x, 208);
        for h in 0..2 {
            let ql = &x[64 * h..64 * h + 64];
            let qh = &x[128 + 32 * h..128 + 32 * h + 32];
            let sc = &x[192 + 8 * h..192 + 8 * h + 8];
            let out = &mut y[128 * h..128 * h + 128];
            for k in 0..32 {
                let is = k / 16;
                let q1 = ((ql[k] & 0xF) | ((qh[k] & 3) << 4)) as i8 - 32;
                let q2 = ((ql[k + 32] & 0xF) | (((qh[k] >> 2) & 3) << 4)) as i8 - 32;
                let q3 = ((ql[k] >> 4) | (((qh[k] >> 4) & 3) << 4)) as i8 - 32;
                let q4 = ((ql[k + 32] >> 4) | (((qh[k] >> 6) & 3) << 4)) as i8 - 32;
                out[k] = d * f32::from(sc[is] as i8) * f32::from(q1);
                out[k + 32] = d * f32::from(sc[is + 2] as i8) * f32::from(q2);
                out[k + 64] = d * f32::from(sc[is + 4] as i8) * f32::from(q3);
                out[k + 96] = d * f32::from(sc[is + 6] as i8) * f32::from(q4);
            }
        }
    }
}

// ---------------------------------------------------------------- Q8_K
// Layout: d: f32 @0, qs: i8[256] @4, bsums: i16[16] @260.

/// Q8_K reference encoder (`quantize_row_q8_K_ref`). For an all-zero block
/// ggml leaves `bsums` unwritten; we write zeros there.
pub(crate) fn encode_q8_k(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(292)) {
        let (max, amax) = signed_absmax(x);
        if amax == 0.0 {
            y.fill(0);
            continue;
        }
        let iscale = -127.0 / max;
        for j in 0..QK_K {
            y[4 + j] = nearest_int(iscale * x[j]).min(127) as i8 as u8;
        }
        for j in 0..16 {
            let mut sum = 0i32;
            for ii in 0..16 {
                sum += i32::from(y[4 + 16 * j + ii] as i8);
            }
            y[260 + 2 * j..262 + 2 * j].copy_from_slice(&(sum as i16).to_le_bytes());
        }
        y[..4].copy_from_slice(&(1.0 / iscale).to_le_bytes());
    }
}

/// Q8_K decoder: `d·q`.
pub(crate) fn decode_q8_k(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(292).zip(dst.chunks_exact_mut(QK_K)) {
        let d = f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
        for j in 0..QK_K {
            y[j] = d * f32::from(x[4 + j] as i8);
        }
    }
}

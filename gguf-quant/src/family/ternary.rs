//! The ternary types TQ1_0 and TQ2_0: encoders as
//! `quantize_row_tq*_0_ref` (ggml ignores an imatrix for them), decoders as
//! `dequantize_row_tq*_0`.

#![allow(clippy::needless_range_loop)]

use crate::numerics::{c_absmax, read_f16, write_f16};

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

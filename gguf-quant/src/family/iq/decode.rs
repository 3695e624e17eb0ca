//! Decoders for the grid-based i-quants: IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
//! IQ3_S, IQ1_S, IQ1_M, mirroring ggml's `dequantize_row_<type>`. Their
//! encoders are in `encode.rs`, the grid tables in `grids.rs`.

#![allow(clippy::needless_range_loop)]

use super::grids::{IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID, KSIGNS_IQ2XS};
use crate::numerics::{fp16_to_fp32, read_f16};

/// `IQ1S_DELTA` (also used by IQ1_M's decoder).
const IQ1S_DELTA: f32 = 0.125;

/// Byte `j` of a packed grid entry.
#[inline]
fn gbyte(entry: u64, j: usize) -> u8 {
    (entry >> (8 * j)) as u8
}

/// `±1` for sign bit `j` of a sign byte (`kmask_iq2xs[j] = 1 << j`).
#[inline]
fn sign(signs: u8, j: usize) -> f32 {
    if signs & (1 << j) != 0 {
        -1.0
    } else {
        1.0
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// IQ2_XXS (66 bytes: d, qs u16[32]).
pub(crate) fn decode_iq2_xxs(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(66).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 0);
        for ib32 in 0..8 {
            let a0 = u32_at(x, 2 + 8 * ib32);
            let a1 = u32_at(x, 2 + 8 * ib32 + 4);
            let db = d * (0.5 + (a1 >> 28) as f32) * 0.25;
            for l in 0..4 {
                let grid = IQ2XXS_GRID[((a0 >> (8 * l)) & 0xff) as usize];
                let signs = KSIGNS_IQ2XS[((a1 >> (7 * l)) & 127) as usize];
                let out = &mut y[32 * ib32 + 8 * l..32 * ib32 + 8 * l + 8];
                for j in 0..8 {
                    out[j] = db * f32::from(gbyte(grid, j)) * sign(signs, j);
                }
            }
        }
    }
}

/// IQ2_XS (74 bytes: d, qs u16[32], scales[8]).
pub(crate) fn decode_iq2_xs(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(74).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 0);
        for ib32 in 0..8 {
            let sc = x[66 + ib32];
            let db = [
                d * (0.5 + f32::from(sc & 0xf)) * 0.25,
                d * (0.5 + f32::from(sc >> 4)) * 0.25,
            ];
            for l in 0..4 {
                let q = u16_at(x, 2 + 2 * (4 * ib32 + l));
                let grid = IQ2XS_GRID[usize::from(q & 511)];
                let signs = KSIGNS_IQ2XS[usize::from(q >> 9)];
                let out = &mut y[32 * ib32 + 8 * l..32 * ib32 + 8 * l + 8];
                for j in 0..8 {
                    out[j] = db[l / 2] * f32::from(gbyte(grid, j)) * sign(signs, j);
                }
            }
        }
    }
}

/// IQ2_S (82 bytes: d, qs[32] + signs[32], qh[8], scales[8]).
pub(crate) fn decode_iq2_s(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(82).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 0);
        let qs = &x[2..34];
        let signs = &x[34..66];
        let qh = &x[66..74];
        let scales = &x[74..82];
        for ib32 in 0..8 {
            let db = [
                d * (0.5 + f32::from(scales[ib32] & 0xf)) * 0.25,
                d * (0.5 + f32::from(scales[ib32] >> 4)) * 0.25,
            ];
            for l in 0..4 {
                let idx = usize::from(qs[4 * ib32 + l]) | ((usize::from(qh[ib32]) << (8 - 2 * l)) & 0x300);
                let grid = IQ2S_GRID[idx];
                let s = signs[4 * ib32 + l];
                let out = &mut y[32 * ib32 + 8 * l..32 * ib32 + 8 * l + 8];
                for j in 0..8 {
                    out[j] = db[l / 2] * f32::from(gbyte(grid, j)) * sign(s, j);
                }
            }
        }
    }
}

/// IQ3_XXS (98 bytes: d, qs[64], scales and signs u32[8]).
pub(crate) fn decode_iq3_xxs(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(98).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 0);
        let qs = &x[2..66];
        for ib32 in 0..8 {
            let aux = u32_at(x, 66 + 4 * ib32);
            let db = d * (0.5 + (aux >> 28) as f32) * 0.5;
            for l in 0..4 {
                let signs = KSIGNS_IQ2XS[((aux >> (7 * l)) & 127) as usize];
                let g1 = u64::from(IQ3XXS_GRID[usize::from(qs[8 * ib32 + 2 * l])]);
                let g2 = u64::from(IQ3XXS_GRID[usize::from(qs[8 * ib32 + 2 * l + 1])]);
                let out = &mut y[32 * ib32 + 8 * l..32 * ib32 + 8 * l + 8];
                for j in 0..4 {
                    out[j] = db * f32::from(gbyte(g1, j)) * sign(signs, j);
                    out[j + 4] = db * f32::from(gbyte(g2, j)) * sign(signs, j + 4);
                }
            }
        }
    }
}

/// IQ3_S (110 bytes: d, qs[64], qh[8], signs[32], scales[4]).
pub(crate) fn decode_iq3_s(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(110).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 0);
        let qs = &x[2..66];
        let qh = &x[66..74];
        let signs = &x[74..106];
        let scales = &x[106..110];
        // Each 32-element group ib32 uses qs[8·ib32..], signs[4·ib32..] and qh[ib32].
        for ib32 in 0..8 {
            let sc = scales[ib32 / 2];
            let nib = if ib32 % 2 == 0 { sc & 0xf } else { sc >> 4 };
            let db = d * (1 + 2 * i32::from(nib)) as f32;
            let h = usize::from(qh[ib32]);
            for l in 0..4 {
                let i1 = usize::from(qs[8 * ib32 + 2 * l]) | ((h << (8 - 2 * l)) & 256);
                let i2 = usize::from(qs[8 * ib32 + 2 * l + 1]) | ((h << (7 - 2 * l)) & 256);
                let g1 = u64::from(IQ3S_GRID[i1]);
                let g2 = u64::from(IQ3S_GRID[i2]);
                let s = signs[4 * ib32 + l];
                let out = &mut y[32 * ib32 + 8 * l..32 * ib32 + 8 * l + 8];
                for j in 0..4 {
                    out[j] = db * f32::from(gbyte(g1, j)) * sign(s, j);
                    out[j + 4] = db * f32::from(gbyte(g2, j)) * sign(s, j + 4);
                }
            }
        }
    }
}

/// IQ1_S (50 bytes: d, qs[32], qh u16[8]).
pub(crate) fn decode_iq1_s(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(50).zip(dst.chunks_exact_mut(256)) {
        let d = read_f16(x, 0);
        for ib in 0..8 {
            let qh = u16_at(x, 34 + 2 * ib);
            let dl = d * (2 * i32::from((qh >> 12) & 7) + 1) as f32;
            let delta = if qh & 0x8000 != 0 { -IQ1S_DELTA } else { IQ1S_DELTA };
            for l in 0..4 {
                let idx = usize::from(x[2 + 4 * ib + l]) | (usize::from((qh >> (3 * l)) & 7) << 8);
                let grid = IQ1S_GRID[idx];
                let out = &mut y[32 * ib + 8 * l..32 * ib + 8 * l + 8];
                for j in 0..8 {
                    out[j] = dl * (f32::from(gbyte(grid, j) as i8) + delta);
                }
            }
        }
    }
}

/// IQ1_M (56 bytes: qs[32], qh[16], scales u16[4] that also carry the f16 d).
pub(crate) fn decode_iq1_m(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(56).zip(dst.chunks_exact_mut(256)) {
        let sc = [u16_at(x, 48), u16_at(x, 50), u16_at(x, 52), u16_at(x, 54)];
        let h = (sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000);
        let d = fp16_to_fp32(h);
        for ib in 0..8 {
            let s = sc[ib / 2];
            let dl1 = d * (2 * i32::from((s >> (6 * (ib % 2))) & 7) + 1) as f32;
            let dl2 = d * (2 * i32::from((s >> (6 * (ib % 2) + 3)) & 7) + 1) as f32;
            let qs = &x[4 * ib..4 * ib + 4];
            let qh = &x[32 + 2 * ib..32 + 2 * ib + 2];
            let idx = [
                usize::from(qs[0]) | ((usize::from(qh[0]) << 8) & 0x700),
                usize::from(qs[1]) | ((usize::from(qh[0]) << 4) & 0x700),
                usize::from(qs[2]) | ((usize::from(qh[1]) << 8) & 0x700),
                usize::from(qs[3]) | ((usize::from(qh[1]) << 4) & 0x700),
            ];
            let delta = |b: u8, m: u8| if b & m != 0 { -IQ1S_DELTA } else { IQ1S_DELTA };
            let deltas = [
                delta(qh[0], 0x08),
                delta(qh[0], 0x80),
                delta(qh[1], 0x08),
                delta(qh[1], 0x80),
            ];
            for l in 0..4 {
                let dl = if l < 2 { dl1 } else { dl2 };
                let grid = IQ1S_GRID[idx[l]];
                let out = &mut y[32 * ib + 8 * l..32 * ib + 8 * l + 8];
                for j in 0..8 {
                    out[j] = dl * (f32::from(gbyte(grid, j) as i8) + deltas[l]);
                }
            }
        }
    }
}

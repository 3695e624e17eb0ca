//! Encoders for the grid-based i-quants IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
//! IQ3_S, IQ1_S and IQ1_M, mirroring ggml's `quantize_row_<type>_impl` and
//! the lattice set-up of `iq2xs_init_impl` / `iq3xs_init_impl` (grid point
//! map and neighbour lists, built once per process on first use).
//!
//! The lane-parallel form of the IQ3_S scale search (and its AVX2 build)
//! is in `arch/lanes.rs`, reading the lattice through `Lattice::iq3_lanes`;
//! the scalar searches here are what IQ3_XXS and the other types run, and
//! IQ3_S's reference.
//!
//! IQ1_S and IQ1_M order values with C's `qsort`; equal values are taken in
//! index order, as glibc's merge sort leaves them (the golden files agree).

#![allow(clippy::needless_range_loop)]

use std::sync::OnceLock;

use super::grids::{IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID};
use crate::arch::lanes::{iq3_search32_lanes, Iq3Lattice};
use crate::arch::search::{make_qp_quants, sums, GROUP_MAX_EPS};
use crate::numerics::{c_max, nearest_int, write_f16};

const QK_K: usize = 256;

/// A quantization lattice: the grid points (levels `l` per coordinate,
/// stored as `2l + 1` like ggml), the map from packed level index to grid
/// point, and for every packed index that is not a grid point the list of
/// nearest grid points (ggml's `kmap` / `kneighbors`).
struct Lattice {
    /// Coordinates per point (8 for IQ2, 4 for IQ3).
    dim: usize,
    /// Bits per level in a packed index (2 for IQ2, 3 for IQ3).
    bits: u32,
    /// `2l + 1` per coordinate, `dim` bytes per point.
    points: Vec<i8>,
    /// Grid point for a packed index, or -1.
    map: Vec<i32>,
    /// Neighbour list of a packed index: a range into `neighbours`.
    ranges: Vec<(u32, u32)>,
    neighbours: Vec<u16>,
    /// For the lane-parallel snapping of the 4-coordinate (IQ3) lattices,
    /// empty for the others: the neighbour list of each packed index as
    /// the candidates' levels, eight to a block ([`crate::arch::Iq3Block`]),
    /// at `lane_at[u]` = (first block, candidates); none for an index on
    /// the grid. The lane search reads them through [`Lattice::iq3_lanes`].
    lane_blocks: Vec<crate::arch::Iq3Block>,
    lane_at: Vec<(u32, u32)>,
}

impl Lattice {
    /// Builds the lattice from ggml's decode table (`byte j` of entry `k` is
    /// coordinate `j`), translating each byte to its level with `level_of`.
    fn build(
        entries: &[u64],
        dim: usize,
        bits: u32,
        map_size: usize,
        nwant: usize,
        level_of: fn(u8) -> u8,
    ) -> Lattice {
        let n = entries.len();
        let mut points = vec![0i8; n * dim];
        let mut map = vec![-1i32; map_size];
        for (k, &e) in entries.iter().enumerate() {
            let mut index = 0usize;
            for j in 0..dim {
                let l = level_of((e >> (8 * j)) as u8);
                points[k * dim + j] = (2 * l + 1) as i8;
                index |= usize::from(l) << (bits as usize * j);
            }
            map[index] = k as i32;
        }
        let mask = (1usize << bits) - 1;
        let level = |i: usize, k: usize| ((i >> (bits as usize * k)) & mask) as i32;
        // Squared distances are sums over coordinates; for 8 coordinates of 2
        // bits a table over 4-coordinate halves (one byte of the index) makes
        // each distance two lookups.
        let half_table: Vec<u8> = if dim == 8 && bits == 2 {
            let mut t = vec![0u8; 256 * 256];
            for a in 0..256 {
                for b in 0..256 {
                    let mut d = 0;
                    for k in 0..4 {
                        let diff = 2 * (level(a, k) - level(b, k));
                        d += diff * diff;
                    }
                    t[a * 256 + b] = d as u8;
                }
            }
            t
        } else {
            Vec::new()
        };
        let point_index: Vec<usize> = (0..n)
            .map(|j| {
                let mut u = 0usize;
                for k in 0..dim {
                    u |= (((points[j * dim + k] - 1) / 2) as usize) << (bits as usize * k);
                }
                u
            })
            .collect();
        let neighbours_of = |i: usize| -> Vec<u16> {
            if map[i] >= 0 {
                return Vec::new();
            }
            let d2: Vec<i32> = point_index
                .iter()
                .map(|&pj| {
                    if half_table.is_empty() {
                        let mut d = 0;
                        for k in 0..dim {
                            let diff = 2 * (level(i, k) - level(pj, k));
                            d += diff * diff;
                        }
                        d
                    } else {
                        i32::from(half_table[(i & 255) * 256 + (pj & 255)])
                            + i32::from(half_table[((i >> 8) & 255) * 256 + ((pj >> 8) & 255)])
                    }
                })
                .collect();
            // ggml sorts (distance, index) pairs and keeps every point whose
            // distance is among the `nwant` smallest distinct distances, in
            // that order: by distance, then by index.
            let mut distinct: Vec<i32> = Vec::with_capacity(nwant + 1);
            for &d in &d2 {
                if let Err(p) = distinct.binary_search(&d) {
                    if p < nwant {
                        distinct.insert(p, d);
                        distinct.truncate(nwant);
                    }
                }
            }
            let mut list = Vec::new();
            for &want in &distinct {
                for (j, &d) in d2.iter().enumerate() {
                    if d == want {
                        list.push(j as u16);
                    }
                }
            }
            list
        };
        // Built with plain scoped threads, not rayon: this runs inside a
        // `OnceLock` initializer that rayon workers may be blocked on, and a
        // rayon job here could steal work that re-enters the initializer.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let chunk = map_size.div_ceil(threads);
        let lists: Vec<Vec<u16>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let neighbours_of = &neighbours_of;
                    scope.spawn(move || {
                        (t * chunk..((t + 1) * chunk).min(map_size))
                            .map(neighbours_of)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut ranges = vec![(0u32, 0u32); map_size];
        let mut neighbours = Vec::new();
        for (i, list) in lists.into_iter().enumerate() {
            let start = neighbours.len() as u32;
            neighbours.extend_from_slice(&list);
            ranges[i] = (start, neighbours.len() as u32);
        }
        let mut lane_blocks = Vec::new();
        let mut lane_at = Vec::new();
        if dim == 4 {
            for &(a, b) in &ranges {
                let list = &neighbours[a as usize..b as usize];
                lane_at.push((lane_blocks.len() as u32, list.len() as u32));
                for chunk in list.chunks(8) {
                    let mut block = [0u32; 8];
                    for (p, &k) in chunk.iter().enumerate() {
                        for c in 0..4 {
                            let l = (points[usize::from(k) * 4 + c] - 1) / 2;
                            block[p] |= (l as u32) << (8 * c);
                        }
                    }
                    lane_blocks.push(block);
                }
            }
        }
        Lattice {
            dim,
            bits,
            points,
            map,
            ranges,
            neighbours,
            lane_blocks,
            lane_at,
        }
    }

    /// Coordinates (`2l + 1`) of grid point `k`.
    fn point(&self, k: usize) -> &[i8] {
        &self.points[k * self.dim..(k + 1) * self.dim]
    }

    /// Packs levels into a map index. Levels are always in range for
    /// finite input; NaN input can leave garbage behind, which is clamped
    /// here so that it cannot index out of bounds (ggml reads out of bounds).
    fn index_of(&self, l: &[i8]) -> usize {
        let max = (1i8 << self.bits) - 1;
        let mut u = 0usize;
        for (i, &v) in l.iter().enumerate() {
            u |= (v.clamp(0, max) as usize) << (self.bits as usize * i);
        }
        u.min(self.map.len() - 1)
    }

    /// `iq2_find_best_neighbour` / `iq3_find_best_neighbour`: the neighbour
    /// of packed index `u` with the smallest weighted squared error at
    /// `scale`; writes its levels to `l` and returns its grid index.
    fn best_neighbour(&self, u: usize, xval: &[f32], weight: &[f32], scale: f32, l: &mut [i8]) -> usize {
        let (a, b) = self.ranges[u];
        let mut best_d2 = f32::MAX;
        let mut grid_index = usize::from(self.neighbours[a as usize]);
        for &nb in &self.neighbours[a as usize..b as usize] {
            let pg = self.point(usize::from(nb));
            let mut d2 = 0.0f32;
            for i in 0..self.dim {
                let q = f32::from(pg[i]);
                let diff = scale * q - xval[i];
                d2 += weight[i] * diff * diff;
            }
            if d2 < best_d2 {
                best_d2 = d2;
                grid_index = usize::from(nb);
            }
        }
        let pg = self.point(grid_index);
        for i in 0..self.dim {
            l[i] = (pg[i] - 1) / 2;
        }
        grid_index
    }

    /// The grid point for levels `l`, or its best neighbour (which then
    /// replaces `l`).
    fn snap(&self, l: &mut [i8], xval: &[f32], weight: &[f32], scale: f32) -> (usize, bool) {
        let u = self.index_of(l);
        match self.map[u] {
            k if k >= 0 => (k as usize, true),
            _ => (self.best_neighbour(u, xval, weight, scale, l), false),
        }
    }

    /// The 4-coordinate lattice's neighbour lists in the lane layout, for
    /// [`iq3_search32_lanes`].
    fn iq3_lanes(&self) -> Iq3Lattice<'_> {
        assert!(self.dim == 4);
        Iq3Lattice {
            map: &self.map,
            blocks: &self.lane_blocks,
            at: &self.lane_at,
        }
    }
}

fn level_iq2(b: u8) -> u8 {
    match b {
        0x08 => 0,
        0x19 => 1,
        _ => 2,
    }
}

fn level_iq3xxs(b: u8) -> u8 {
    const V: [u8; 8] = [0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3e];
    V.iter().position(|&v| v == b).unwrap_or(0) as u8
}

fn level_iq3s(b: u8) -> u8 {
    (b.saturating_sub(1)) / 2
}

fn level_iq1(b: u8) -> u8 {
    ((b as i8) + 1) as u8
}

fn iq1_lattice() -> &'static Lattice {
    static L: OnceLock<Lattice> = OnceLock::new();
    L.get_or_init(|| Lattice::build(&IQ1S_GRID, 8, 2, 43692, 3, level_iq1))
}

fn iq2xxs_lattice() -> &'static Lattice {
    static L: OnceLock<Lattice> = OnceLock::new();
    L.get_or_init(|| Lattice::build(&IQ2XXS_GRID, 8, 2, 43692, 2, level_iq2))
}

fn iq2xs_lattice() -> &'static Lattice {
    static L: OnceLock<Lattice> = OnceLock::new();
    L.get_or_init(|| Lattice::build(&IQ2XS_GRID, 8, 2, 43692, 2, level_iq2))
}

fn iq2s_lattice() -> &'static Lattice {
    static L: OnceLock<Lattice> = OnceLock::new();
    L.get_or_init(|| Lattice::build(&IQ2S_GRID, 8, 2, 43692, 1, level_iq2))
}

fn iq3xxs_lattice() -> &'static Lattice {
    static L: OnceLock<Lattice> = OnceLock::new();
    L.get_or_init(|| {
        let e: Vec<u64> = IQ3XXS_GRID.iter().map(|&v| u64::from(v)).collect();
        Lattice::build(&e, 4, 3, 4096, 2, level_iq3xxs)
    })
}

fn iq3s_lattice() -> &'static Lattice {
    static L: OnceLock<Lattice> = OnceLock::new();
    L.get_or_init(|| {
        let e: Vec<u64> = IQ3S_GRID.iter().map(|&v| u64::from(v)).collect();
        Lattice::build(&e, 4, 3, 4096, 3, level_iq3s)
    })
}

/// Error weights for one sub-block: `qw·sqrt(sigma2 + x²)`, or `fallback(x)`
/// without an imatrix.
fn weights(xb: &[f32], qw: Option<&[f32]>, sigma2: f32, fallback: impl Fn(f32) -> f32, w: &mut [f32]) {
    match qw {
        Some(q) => {
            for i in 0..xb.len() {
                w[i] = q[i] * (sigma2 + xb[i] * xb[i]).sqrt();
            }
        }
        None => {
            for i in 0..xb.len() {
                w[i] = fallback(xb[i]);
            }
        }
    }
}

/// |x| per group of 8 with the signs as a bit mask; with `even_parity`
/// the sign of the least important element is dropped so that every group
/// has an even number of minus signs (the decoder infers the 8th sign).
fn split_signs(xb: &[f32], weight: &[f32], even_parity: bool, xval: &mut [f32], signs: &mut [u8]) {
    for k in 0..xb.len() / 8 {
        let mut nflip = 0;
        let mut s = 0u8;
        for i in 0..8 {
            let v = xb[8 * k + i];
            if v >= 0.0 {
                xval[8 * k + i] = v;
            } else {
                xval[8 * k + i] = -v;
                nflip += 1;
                s |= 1 << i;
            }
        }
        if even_parity && nflip % 2 == 1 {
            let mut imin = 0;
            let mut min = weight[8 * k] * xb[8 * k] * xb[8 * k];
            for i in 1..8 {
                let ax = weight[8 * k + i] * xb[8 * k + i] * xb[8 * k + i];
                if ax < min {
                    min = ax;
                    imin = i;
                }
            }
            xval[8 * k + imin] = -xval[8 * k + imin];
            s ^= 1 << imin;
        }
        signs[k] = if even_parity { s & 127 } else { s };
    }
}

/// `max(0, min(kmax-1, nearest_int((id·x − 1)/2)))` for every element.
fn levels(id: f32, xval: &[f32], kmax: i32, l: &mut [i8]) {
    for i in 0..xval.len() {
        let v = nearest_int(0.5 * (id * xval[i] - 1.0));
        l[i] = v.clamp(0, kmax - 1) as i8;
    }
}

/// The 4-bit block scale `clamp(nearest_int((id·s − 1)/2), 0, 15)`.
fn scale_nibble(id: f32, s: f32) -> u32 {
    nearest_int(0.5 * (id * s - 1.0)).clamp(0, 15) as u32
}

// ---------------------------------------------------------------- IQ2_XXS

/// IQ2_XXS (66 bytes: d, then per 32 elements two u32: 4 grid indices,
/// and 4×7 sign bits plus a 4-bit scale). ggml requires an imatrix.
pub(crate) fn encode_iq2_xxs_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    const KMAXQ: i32 = 3;
    let lat = iq2xxs_lattice();
    let mut weight = [0.0f32; 32];
    let mut waux = [0.0f32; 32];
    let mut xval = [0.0f32; 32];
    let mut l = [0i8; 32];
    let mut laux = [0i8; 32];
    let mut signs = [0u8; 4];
    let mut scales = [0.0f32; 8];
    for ((xbl, y), qwb) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(66))
        .zip(imatrix.chunks_exact(QK_K))
    {
        let mut q2 = [0u32; 16];
        write_f16(y, 0, 0.0);
        let mut max_scale = 0.0f32;
        let mut sumx2 = 0.0f32;
        for &v in xbl {
            sumx2 += v * v;
        }
        let sigma2 = sumx2 / QK_K as f32;
        for ib in 0..8 {
            let xb = &xbl[32 * ib..32 * ib + 32];
            weights(
                xb,
                Some(&qwb[32 * ib..32 * ib + 32]),
                sigma2,
                |_| 0.0,
                &mut weight,
            );
            for i in 0..32 {
                waux[i] = weight[i].sqrt();
            }
            split_signs(xb, &weight, true, &mut xval, &mut signs);
            let mut max = xval[0];
            for i in 1..32 {
                max = c_max(max, xval[i]);
            }
            if max < GROUP_MAX_EPS {
                scales[ib] = 0.0;
                l.fill(0);
                continue;
            }
            let mut lu = [0u8; 32];
            let mut scale = make_qp_quants(KMAXQ + 1, &xval, &mut lu, &weight);
            for i in 0..32 {
                l[i] = lu[i] as i8;
            }
            let eff_max = scale * KMAXQ as f32;
            if eff_max <= 0.0 {
                scales[ib] = 0.0;
                l.fill(0);
                continue;
            }
            let mut best = 0.0f32;
            for is in -6..=6 {
                let id = ((2 * KMAXQ - 1) as f32 + is as f32 * 0.1) / eff_max;
                let this_scale = 1.0 / id;
                for k in 0..4 {
                    let r = 8 * k..8 * k + 8;
                    levels(id, &xval[r.clone()], KMAXQ, &mut laux[r.clone()]);
                    lat.snap(&mut laux[r.clone()], &xval[r.clone()], &waux[r], this_scale);
                }
                let (sumqx, sumq2) = sums(&weight, &xval, &laux);
                if sumq2 > 0.0 && sumqx * sumqx > best * sumq2 {
                    scale = sumqx / sumq2;
                    best = scale * sumqx;
                    l = laux;
                }
            }
            if scale > 0.0 {
                let id = 1.0 / scale;
                for k in 0..4 {
                    let r = 8 * k..8 * k + 8;
                    let mut lk = [0i8; 8];
                    levels(id, &xval[r.clone()], KMAXQ, &mut lk);
                    let (gi, _) = lat.snap(&mut lk, &xval[r.clone()], &waux[r.clone()], scale);
                    let pg = lat.point(gi);
                    for i in 0..8 {
                        l[8 * k + i] = (pg[i] - 1) / 2;
                    }
                }
                let (sumqx, sumq2) = sums(&weight, &xval, &l);
                if sumq2 > 0.0 {
                    scale = sumqx / sumq2;
                }
            }
            if scale < 0.0 {
                scale = -scale;
                for s in &mut signs {
                    *s = !*s & 127;
                }
            }
            for k in 0..4 {
                let u = lat.index_of(&l[8 * k..8 * k + 8]);
                let gi = lat.map[u].max(0) as u32;
                q2[2 * ib] |= gi << (8 * k);
                q2[2 * ib + 1] |= u32::from(signs[k]) << (7 * k);
            }
            scales[ib] = scale;
            max_scale = c_max(max_scale, scale);
        }
        if max_scale == 0.0 {
            y[2..66].fill(0);
            continue;
        }
        let d = max_scale / 31.0;
        write_f16(y, 0, d);
        let id = 1.0 / d;
        for ib in 0..8 {
            q2[2 * ib + 1] |= scale_nibble(id, scales[ib]) << 28;
        }
        for (i, w) in q2.iter().enumerate() {
            y[2 + 4 * i..6 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
    }
}

// ---------------------------------------------------------------- IQ2_XS / IQ2_S

/// The per-16 search shared by IQ2_XS and IQ2_S: returns the scale and
/// leaves the levels in `l`.
#[allow(clippy::too_many_arguments)]
fn iq2_search16(
    lat: &Lattice,
    xval: &[f32],
    weight: &[f32],
    waux: &[f32],
    max: f32,
    l: &mut [i8; 16],
) -> f32 {
    const KMAXQ: i32 = 3;
    let mut laux = [0i8; 16];
    let mut best = 0.0f32;
    let mut scale = max / (2 * KMAXQ - 1) as f32;
    let mut on_grid = [true; 2];
    let mut on_grid_aux = [true; 2];
    for is in -9..=9 {
        let id = ((2 * KMAXQ - 1) as f32 + is as f32 * 0.1) / max;
        let this_scale = 1.0 / id;
        for k in 0..2 {
            let r = 8 * k..8 * k + 8;
            levels(id, &xval[r.clone()], KMAXQ, &mut laux[r.clone()]);
            on_grid_aux[k] = lat
                .snap(&mut laux[r.clone()], &xval[r.clone()], &waux[r], this_scale)
                .1;
        }
        let (sumqx, sumq2) = sums(weight, xval, &laux);
        if sumq2 > 0.0 && sumqx * sumqx > best * sumq2 {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            *l = laux;
            on_grid = on_grid_aux;
        }
    }
    let n_not_on_grid = on_grid.iter().filter(|g| !**g).count();
    if n_not_on_grid > 0 && scale > 0.0 {
        let id = 1.0 / scale;
        for k in 0..2 {
            if on_grid[k] {
                continue;
            }
            let r = 8 * k..8 * k + 8;
            levels(id, &xval[r.clone()], KMAXQ, &mut l[r.clone()]);
            lat.snap(&mut l[r.clone()], &xval[r.clone()], &waux[r], scale);
        }
        let (sumqx, sumq2) = sums(weight, xval, l);
        if sumq2 > 0.0 {
            scale = sumqx / sumq2;
        }
    }
    scale
}

/// IQ2_XS (74 bytes: d, qs u16[32] = 9-bit grid index | 7 sign bits, scales[8]).
/// ggml requires an imatrix.
pub(crate) fn encode_iq2_xs_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    let lat = iq2xs_lattice();
    let mut weight = [0.0f32; 16];
    let mut waux = [0.0f32; 16];
    let mut xval = [0.0f32; 16];
    let mut signs = [0u8; 2];
    let mut scales = [0.0f32; 16];
    for ((xbl, y), qwb) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(74))
        .zip(imatrix.chunks_exact(QK_K))
    {
        let mut q2 = [0u16; 32];
        write_f16(y, 0, 0.0);
        y[66..74].fill(0);
        let mut max_scale = 0.0f32;
        let mut sumx2 = 0.0f32;
        for &v in xbl {
            sumx2 += v * v;
        }
        let sigma2 = sumx2 / QK_K as f32;
        for ib in 0..16 {
            let xb = &xbl[16 * ib..16 * ib + 16];
            weights(
                xb,
                Some(&qwb[16 * ib..16 * ib + 16]),
                sigma2,
                |_| 0.0,
                &mut weight,
            );
            for i in 0..16 {
                waux[i] = weight[i].sqrt();
            }
            split_signs(xb, &weight, true, &mut xval, &mut signs);
            let mut max = xval[0];
            for i in 1..16 {
                max = c_max(max, xval[i]);
            }
            let mut l = [0i8; 16];
            if max < GROUP_MAX_EPS {
                scales[ib] = 0.0;
                continue;
            }
            let mut scale = iq2_search16(lat, &xval, &weight, &waux, max, &mut l);
            if scale < 0.0 {
                scale = -scale;
                for s in &mut signs {
                    *s = !*s & 127;
                }
            }
            for k in 0..2 {
                let u = lat.index_of(&l[8 * k..8 * k + 8]);
                let gi = lat.map[u].max(0) as u16;
                q2[2 * ib + k] = gi | (u16::from(signs[k]) << 9);
            }
            scales[ib] = scale;
            max_scale = c_max(max_scale, scale);
        }
        if max_scale == 0.0 {
            y[2..66].fill(0);
            continue;
        }
        let d = max_scale / 31.0;
        write_f16(y, 0, d);
        let id = 1.0 / d;
        for ib in 0..16 {
            let l = scale_nibble(id, scales[ib]) as u8;
            if ib % 2 == 0 {
                y[66 + ib / 2] = l;
            } else {
                y[66 + ib / 2] |= l << 4;
            }
        }
        for (i, w) in q2.iter().enumerate() {
            y[2 + 2 * i..4 + 2 * i].copy_from_slice(&w.to_le_bytes());
        }
    }
}

/// IQ2_S (82 bytes: d, grid low bytes[32], signs[32], qh[8], scales[8]).
fn encode_iq2_s_impl(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let lat = iq2s_lattice();
    let mut weight = [0.0f32; 16];
    let mut waux = [0.0f32; 16];
    let mut xval = [0.0f32; 16];
    let mut signs = [0u8; 2];
    let mut scales = [0.0f32; 16];
    for (ibl, (xbl, y)) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(82)).enumerate() {
        y.fill(0);
        let mut max_scale = 0.0f32;
        let mut sumx2 = 0.0f32;
        for &v in xbl {
            sumx2 += v * v;
        }
        let sigma2 = 2.0 * sumx2 / QK_K as f32;
        for ib in 0..16 {
            let xb = &xbl[16 * ib..16 * ib + 16];
            let qw = imatrix.map(|q| &q[QK_K * ibl + 16 * ib..QK_K * ibl + 16 * ib + 16]);
            weights(xb, qw, sigma2, |x| 0.25 * sigma2 + x * x, &mut weight);
            for i in 0..16 {
                waux[i] = weight[i].sqrt();
            }
            split_signs(xb, &weight, false, &mut xval, &mut signs);
            let mut max = xval[0];
            for i in 1..16 {
                max = c_max(max, xval[i]);
            }
            let mut l = [0i8; 16];
            if max < 1e-8 {
                scales[ib] = 0.0;
                continue;
            }
            let mut scale = iq2_search16(lat, &xval, &weight, &waux, max, &mut l);
            if scale < 0.0 {
                scale = -scale;
                for s in &mut signs {
                    *s = !*s;
                }
            }
            for k in 0..2 {
                let u = lat.index_of(&l[8 * k..8 * k + 8]);
                let gi = lat.map[u].max(0) as usize;
                let i8 = 2 * ib + k;
                y[2 + i8] = (gi & 255) as u8;
                y[66 + i8 / 4] |= ((gi >> 8) << (2 * (i8 % 4))) as u8;
                y[2 + 32 + i8] = signs[k];
            }
            scales[ib] = scale;
            max_scale = c_max(max_scale, scale);
        }
        if max_scale == 0.0 {
            continue;
        }
        let d = max_scale / 31.0;
        write_f16(y, 0, d * 0.9875);
        let id = 1.0 / d;
        for ib in 0..16 {
            let l = scale_nibble(id, scales[ib]) as u8;
            if ib % 2 == 0 {
                y[74 + ib / 2] = l;
            } else {
                y[74 + ib / 2] |= l << 4;
            }
        }
    }
}

/// IQ2_S without an imatrix.
pub(crate) fn encode_iq2_s(src: &[f32], dst: &mut [u8]) {
    encode_iq2_s_impl(src, dst, None);
}

/// IQ2_S with an imatrix.
pub(crate) fn encode_iq2_s_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    encode_iq2_s_impl(src, dst, Some(imatrix));
}

// ---------------------------------------------------------------- IQ3_XXS / IQ3_S

/// The per-32 IQ3 search (8 groups of 4): returns the scale, levels in `l`.
/// `all_on_retry` re-snaps every group (IQ3_S) instead of only the groups
/// that were off the grid (IQ3_XXS); `on_grid_init` is IQ3_S's `false`.
fn iq3_search32(
    lat: &Lattice,
    xval: &[f32],
    weight: &[f32],
    waux: &[f32],
    max: f32,
    (nsteps, on_grid_init, all_on_retry): (i32, bool, bool),
    l: &mut [i8; 32],
) -> f32 {
    const KMAXQ: i32 = 8;
    let mut laux = [0i8; 32];
    let mut best = 0.0f32;
    let mut scale = max / (2 * KMAXQ - 1) as f32;
    let mut on_grid = [on_grid_init; 8];
    let mut on_grid_aux = [true; 8];
    for is in -nsteps..=nsteps {
        let id = ((2 * KMAXQ - 1) as f32 + is as f32 * 0.2) / max;
        let this_scale = 1.0 / id;
        for k in 0..8 {
            let r = 4 * k..4 * k + 4;
            levels(id, &xval[r.clone()], KMAXQ, &mut laux[r.clone()]);
            on_grid_aux[k] = lat
                .snap(&mut laux[r.clone()], &xval[r.clone()], &waux[r], this_scale)
                .1;
        }
        let (sumqx, sumq2) = sums(weight, xval, &laux);
        if sumq2 > 0.0 && sumqx * sumqx > best * sumq2 {
            scale = sumqx / sumq2;
            best = scale * sumqx;
            *l = laux;
            on_grid = on_grid_aux;
        }
    }
    let n_not_on_grid = on_grid.iter().filter(|g| !**g).count();
    if n_not_on_grid > 0 && scale > 0.0 {
        let id = 1.0 / scale;
        for k in 0..8 {
            if on_grid[k] && !all_on_retry {
                continue;
            }
            let r = 4 * k..4 * k + 4;
            let mut lk = [0i8; 4];
            levels(id, &xval[r.clone()], KMAXQ, &mut lk);
            let (gi, _) = lat.snap(&mut lk, &xval[r.clone()], &waux[r], scale);
            let pg = lat.point(gi);
            for i in 0..4 {
                l[4 * k + i] = (pg[i] - 1) / 2;
            }
        }
        let (sumqx, sumq2) = sums(weight, xval, l);
        if sumq2 > 0.0 {
            scale = sumqx / sumq2;
        }
    }
    scale
}

/// IQ3_XXS (98 bytes: d, grid indices[64], per 32 a u32 of 4×7 sign bits
/// and a 4-bit scale).
fn encode_iq3_xxs_impl(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let lat = iq3xxs_lattice();
    let mut weight = [0.0f32; 32];
    let mut waux = [0.0f32; 32];
    let mut xval = [0.0f32; 32];
    let mut signs = [0u8; 4];
    let mut scales = [0.0f32; 8];
    for (ibl, (xbl, y)) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(98)).enumerate() {
        write_f16(y, 0, 0.0);
        let mut q3 = [0u8; 64];
        let mut sas = [0u32; 8];
        let mut max_scale = 0.0f32;
        let mut sumx2 = 0.0f32;
        for &v in xbl {
            sumx2 += v * v;
        }
        let sigma2 = 2.0 * sumx2 / QK_K as f32;
        for ib in 0..8 {
            let xb = &xbl[32 * ib..32 * ib + 32];
            let qw = imatrix.map(|q| &q[QK_K * ibl + 32 * ib..QK_K * ibl + 32 * ib + 32]);
            weights(xb, qw, sigma2, |x| x * x, &mut weight);
            for i in 0..32 {
                waux[i] = weight[i].sqrt();
            }
            split_signs(xb, &weight, true, &mut xval, &mut signs);
            let mut max = xval[0];
            for i in 1..32 {
                max = c_max(max, xval[i]);
            }
            let mut l = [0i8; 32];
            if max < 1e-8 {
                scales[ib] = 0.0;
                continue;
            }
            let mut scale = iq3_search32(lat, &xval, &weight, &waux, max, (15, true, false), &mut l);
            if scale < 0.0 {
                scale = -scale;
                for s in &mut signs {
                    *s = !*s & 127;
                }
            }
            for k in 0..8 {
                let u = lat.index_of(&l[4 * k..4 * k + 4]);
                q3[8 * ib + k] = lat.map[u].max(0) as u8;
            }
            sas[ib] = u32::from(signs[0])
                | (u32::from(signs[1]) << 7)
                | (u32::from(signs[2]) << 14)
                | (u32::from(signs[3]) << 21);
            scales[ib] = scale;
            max_scale = c_max(max_scale, scale);
        }
        if max_scale == 0.0 {
            y[2..98].fill(0);
            continue;
        }
        let d = max_scale / 31.0;
        write_f16(y, 0, d * 1.0125);
        let id = 1.0 / d;
        for ib in 0..8 {
            sas[ib] |= scale_nibble(id, scales[ib]) << 28;
        }
        y[2..66].copy_from_slice(&q3);
        for (i, w) in sas.iter().enumerate() {
            y[66 + 4 * i..70 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
    }
}

/// IQ3_XXS without an imatrix (weights x²).
pub(crate) fn encode_iq3_xxs(src: &[f32], dst: &mut [u8]) {
    encode_iq3_xxs_impl(src, dst, None);
}

/// IQ3_XXS with an imatrix.
pub(crate) fn encode_iq3_xxs_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    encode_iq3_xxs_impl(src, dst, Some(imatrix));
}

/// IQ3_S (110 bytes: d, grid low bytes[64], qh[8], signs[32], scales[4]).
fn encode_iq3_s_impl(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    let lat = iq3s_lattice();
    let lanes = lat.iq3_lanes();
    let mut weight = [0.0f32; 32];
    let mut waux = [0.0f32; 32];
    let mut xval = [0.0f32; 32];
    let mut signs = [0u8; 4];
    let mut scales = [0.0f32; 8];
    for (ibl, (xbl, y)) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(110)).enumerate() {
        y.fill(0);
        // ggml advances its qs and signs pointers only for sub-blocks that
        // are not all zero, so later sub-blocks move up into the place of a
        // skipped one (qh is indexed by position and does not move).
        let mut packed = 0;
        let mut max_scale = 0.0f32;
        let mut sumx2 = 0.0f32;
        for &v in xbl {
            sumx2 += v * v;
        }
        let sigma2 = 2.0 * sumx2 / QK_K as f32;
        for ib in 0..8 {
            let xb = &xbl[32 * ib..32 * ib + 32];
            let qw = imatrix.map(|q| &q[QK_K * ibl + 32 * ib..QK_K * ibl + 32 * ib + 32]);
            weights(xb, qw, sigma2, |x| x * x, &mut weight);
            for i in 0..32 {
                waux[i] = weight[i].sqrt();
            }
            split_signs(xb, &weight, false, &mut xval, &mut signs);
            let mut max = xval[0];
            for i in 1..32 {
                max = c_max(max, xval[i]);
            }
            let mut l = [0i8; 32];
            if max == 0.0 {
                scales[ib] = 0.0;
                continue;
            }
            let params = (9, false, true);
            let mut scale = if crate::arch::scalar() {
                iq3_search32(lat, &xval, &weight, &waux, max, params, &mut l)
            } else {
                iq3_search32_lanes(&lanes, &xval, &weight, &waux, max, params, &mut l)
            };
            if scale < 0.0 {
                scale = -scale;
                for s in &mut signs {
                    *s = !*s;
                }
            }
            for k in 0..8 {
                let u = lat.index_of(&l[4 * k..4 * k + 4]);
                let gi = lat.map[u].max(0) as usize;
                y[2 + 8 * packed + k] = (gi & 255) as u8;
                y[66 + ib] |= ((gi >> 8) << k) as u8;
            }
            y[74 + 4 * packed..78 + 4 * packed].copy_from_slice(&signs);
            packed += 1;
            scales[ib] = scale;
            max_scale = c_max(max_scale, scale);
        }
        if max_scale == 0.0 {
            continue;
        }
        let d = max_scale / 31.0;
        write_f16(y, 0, d * 1.033);
        let id = 1.0 / d;
        for ib in (0..8).step_by(2) {
            let l1 = scale_nibble(id, scales[ib]) as u8;
            let l2 = scale_nibble(id, scales[ib + 1]) as u8;
            y[106 + ib / 2] = l1 | (l2 << 4);
        }
    }
}

/// IQ3_S without an imatrix (weights x²).
pub(crate) fn encode_iq3_s(src: &[f32], dst: &mut [u8]) {
    encode_iq3_s_impl(src, dst, None);
}

/// IQ3_S with an imatrix.
pub(crate) fn encode_iq3_s_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    encode_iq3_s_impl(src, dst, Some(imatrix));
}

// ---------------------------------------------------------------- IQ1_S / IQ1_M

/// `IQ1S_DELTA` / `IQ1M_DELTA`.
const IQ1_DELTA: f32 = 0.125;
/// The three levels with a positive and a negative shift.
const X_P: [f32; 3] = [-1.0 + IQ1_DELTA, IQ1_DELTA, 1.0 + IQ1_DELTA];
const X_M: [f32; 3] = [-1.0 - IQ1_DELTA, -IQ1_DELTA, 1.0 - IQ1_DELTA];

/// The order in which ggml's `qsort` visits the elements: by value, equal
/// values in index order (glibc's merge sort is stable). NaNs go last.
fn sorted_order(xb: &[f32], idx: &mut [usize]) {
    for (j, v) in idx.iter_mut().enumerate() {
        *v = j;
    }
    idx.sort_by(|&a, &b| {
        let (x, y) = (xb[a], xb[b]);
        x.partial_cmp(&y).unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()))
    });
}

/// `iq1_find_best_neighbour2`: the neighbour of packed index `u` with the
/// smallest weighted error when its levels map to `xg`; writes its levels
/// to `l` and returns its grid index.
fn iq1_best_neighbour(
    lat: &Lattice,
    u: usize,
    xval: &[f32],
    weight: &[f32],
    scale: f32,
    xg: &[f32; 3],
    l: &mut [i8],
) -> usize {
    let (a, b) = lat.ranges[u];
    let mut best = f32::MAX;
    let mut grid_index = usize::from(lat.neighbours[a as usize]);
    for &nb in &lat.neighbours[a as usize..b as usize] {
        let pg = lat.point(usize::from(nb));
        let mut d2 = 0.0f32;
        for i in 0..8 {
            let q = xg[((pg[i] - 1) / 2) as usize];
            let w = weight[i];
            let diff = scale * q - xval[i];
            d2 += w * diff * diff;
        }
        if d2 < best {
            best = d2;
            grid_index = usize::from(nb);
        }
    }
    let pg = lat.point(grid_index);
    for i in 0..8 {
        l[i] = (pg[i] - 1) / 2;
    }
    grid_index
}

/// IQ1_S (50 bytes: d, grid low bytes[32], qh u16[8] = 3 high index bits
/// per group, 3-bit scale and the shift sign). ggml requires an imatrix.
pub(crate) fn encode_iq1_s_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    const BS: usize = 32;
    let lat = iq1_lattice();
    let mut weight = [0.0f32; BS];
    let mut scales = [0.0f32; 8];
    let mut shifts = [0i8; 8];
    let mut idx = [0usize; BS];
    let mut sumx = [0.0f32; BS + 1];
    let mut sumw = [0.0f32; BS + 1];
    for ((xbl, y), qwb) in src
        .chunks_exact(QK_K)
        .zip(dst.chunks_exact_mut(50))
        .zip(imatrix.chunks_exact(QK_K))
    {
        y.fill(0);
        let mut qh = [0u16; 8];
        let mut max_scale = 0.0f32;
        let mut sumx2 = 0.0f32;
        for &v in xbl {
            sumx2 += v * v;
        }
        let sigma2 = 2.0 * sumx2 / QK_K as f32;
        for ib in 0..QK_K / BS {
            let xb = &xbl[BS * ib..BS * ib + BS];
            weights(
                xb,
                Some(&qwb[BS * ib..BS * ib + BS]),
                sigma2,
                |_| 0.0,
                &mut weight,
            );
            let mut max = xb[0].abs();
            for i in 1..BS {
                max = c_max(max, xb[i].abs());
            }
            if max < 1e-12 {
                scales[ib] = 0.0;
                shifts[ib] = 1;
                continue;
            }
            sorted_order(xb, &mut idx);
            sumx[0] = 0.0;
            sumw[0] = 0.0;
            for j in 0..BS {
                let i = idx[j];
                sumx[j + 1] = sumx[j] + weight[i] * xb[i];
                sumw[j + 1] = sumw[j] + weight[i];
            }
            let mut best_score = -f32::MAX;
            let mut scale = max;
            let (mut besti1, mut besti2, mut best_shift) = (-1i32, -1i32, 0i8);
            for i1 in 0..=BS {
                for i2 in i1..=BS {
                    for (xs, shift) in [(&X_P, 1i8), (&X_M, -1i8)] {
                        let sumqx = (sumx[i1] - sumx[0]) * xs[0]
                            + (sumx[i2] - sumx[i1]) * xs[1]
                            + (sumx[BS] - sumx[i2]) * xs[2];
                        let sumq2 = (sumw[i1] - sumw[0]) * xs[0] * xs[0]
                            + (sumw[i2] - sumw[i1]) * xs[1] * xs[1]
                            + (sumw[BS] - sumw[i2]) * xs[2] * xs[2];
                        if sumq2 > 0.0 && sumqx * sumqx > best_score * sumq2 {
                            scale = sumqx / sumq2;
                            best_score = scale * sumqx;
                            besti1 = i1 as i32;
                            besti2 = i2 as i32;
                            best_shift = shift;
                        }
                    }
                }
            }
            if besti1 < 0 || besti2 < 0 || best_shift == 0 {
                scales[ib] = 0.0;
                shifts[ib] = 1;
                continue;
            }
            let mut l = [0i8; BS];
            for j in 0..BS {
                l[idx[j]] = if (j as i32) < besti1 {
                    0
                } else if (j as i32) < besti2 {
                    1
                } else {
                    2
                };
            }
            if scale < 0.0 {
                for v in &mut l {
                    *v = 2 - *v;
                }
                scale = -scale;
                best_shift = -best_shift;
            }
            let xx = if best_shift == 1 { &X_P } else { &X_M };
            let mut all_on_grid = true;
            let mut index = [0usize; BS / 8];
            for k in 0..BS / 8 {
                let r = 8 * k..8 * k + 8;
                let u = lat.index_of(&l[r.clone()]);
                index[k] = match lat.map[u] {
                    g if g >= 0 => g as usize,
                    _ => {
                        all_on_grid = false;
                        iq1_best_neighbour(lat, u, &xb[r.clone()], &weight[r.clone()], scale, xx, &mut l[r])
                    }
                };
            }
            if !all_on_grid {
                let mut sumqx = 0.0f32;
                let mut sumq2 = 0.0f32;
                for k in 0..BS / 8 {
                    let pg = lat.point(index[k]);
                    for j in 0..8 {
                        let w = weight[8 * k + j];
                        let q = xx[((pg[j] - 1) / 2) as usize];
                        sumqx += w * q * xb[8 * k + j];
                        sumq2 += w * q * q;
                    }
                }
                if sumqx > 0.0 && sumq2 > 0.0 {
                    scale = sumqx / sumq2;
                }
            }
            let mut h = 0u16;
            for k in 0..BS / 8 {
                y[2 + (BS / 8) * ib + k] = (index[k] & 255) as u8;
                h |= ((index[k] >> 8) << (3 * k)) as u16;
            }
            qh[ib] = h;
            scales[ib] = scale;
            shifts[ib] = best_shift;
            max_scale = c_max(max_scale, scale);
        }
        if max_scale != 0.0 {
            let d = max_scale / 15.0;
            write_f16(y, 0, d * 1.125);
            let id = 1.0 / d;
            for ib in 0..QK_K / BS {
                let mut l = nearest_int(0.5 * (id * scales[ib] - 1.0)).clamp(0, 7) as u16;
                if shifts[ib] == -1 {
                    l |= 8;
                }
                qh[ib] |= l << 12;
            }
        }
        for (i, w) in qh.iter().enumerate() {
            y[34 + 2 * i..36 + 2 * i].copy_from_slice(&w.to_le_bytes());
        }
    }
}

/// IQ1_M's level mapping for group `k` of a sub-block with shift code `s`
/// (bit 1: first group negative, bit 0: second group negative).
fn iq1m_levels(s: i8, k: usize) -> &'static [f32; 3] {
    let negative = if k == 0 { s >= 2 } else { s % 2 == 1 };
    if negative {
        &X_M
    } else {
        &X_P
    }
}

/// IQ1_M (56 bytes: grid low bytes[32], qh[16] = high index bits and shift
/// signs, four u16 holding 3-bit scales and the f16 super-block scale).
fn encode_iq1_m_impl(src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) {
    const BS: usize = 16;
    const MASKS: [u8; 4] = [0x00, 0x80, 0x08, 0x88];
    let lat = iq1_lattice();
    let mut weight = [0.0f32; BS];
    let mut scales = [0.0f32; QK_K / BS];
    let mut shifts = [0i8; QK_K / BS];
    let mut idx = [0usize; BS];
    for (ibl, (xbl, y)) in src.chunks_exact(QK_K).zip(dst.chunks_exact_mut(56)).enumerate() {
        y.fill(0);
        let mut max_scale = 0.0f32;
        let mut sumx2 = 0.0f32;
        for &v in xbl {
            sumx2 += v * v;
        }
        let sigma2 = 2.0 * sumx2 / QK_K as f32;
        for ib in 0..QK_K / BS {
            let xb = &xbl[BS * ib..BS * ib + BS];
            let qw = imatrix.map(|q| &q[QK_K * ibl + BS * ib..QK_K * ibl + BS * ib + BS]);
            weights(xb, qw, sigma2, |x| x * x, &mut weight);
            let mut max = xb[0].abs();
            for i in 1..BS {
                max = c_max(max, xb[i].abs());
            }
            if max < 1e-7 {
                scales[ib] = 0.0;
                shifts[ib] = 0;
                continue;
            }
            sorted_order(xb, &mut idx);
            // Prefix sums per half of the sub-block, in sorted order.
            let mut px = [[0.0f32; BS + 1]; 2];
            let mut pw = [[0.0f32; BS + 1]; 2];
            for j in 0..BS {
                let i = idx[j];
                let h = usize::from(i >= BS / 2);
                px[h][j + 1] = px[h][j] + weight[i] * xb[i];
                px[1 - h][j + 1] = px[1 - h][j];
                pw[h][j + 1] = pw[h][j] + weight[i];
                pw[1 - h][j + 1] = pw[1 - h][j];
            }
            let txs = [px[0][BS], px[1][BS]];
            let tws = [pw[0][BS], pw[1][BS]];
            let (p2, m2) = (X_P[2], X_M[2]);
            let cp1 = X_P[0] * X_P[0] - X_P[1] * X_P[1];
            let cp2 = X_P[1] * X_P[1] - X_P[2] * X_P[2];
            let cm1 = X_M[0] * X_M[0] - X_M[1] * X_M[1];
            let cm2 = X_M[1] * X_M[1] - X_M[2] * X_M[2];
            let mut best_score = -f32::MAX;
            let mut scale = max;
            let (mut besti1, mut besti2, mut best_k) = (-1i32, -1i32, -1i8);
            for i1 in 0..=BS {
                for i2 in i1..=BS {
                    let mut qx_p = [0.0f32; 2];
                    let mut qx_m = [0.0f32; 2];
                    let mut q2_p = [0.0f32; 2];
                    let mut q2_m = [0.0f32; 2];
                    for h in 0..2 {
                        let sx = px[h][i1] + px[h][i2];
                        qx_p[h] = txs[h] * p2 - sx;
                        qx_m[h] = txs[h] * m2 - sx;
                        q2_p[h] = tws[h] * p2 * p2 + pw[h][i1] * cp1 + pw[h][i2] * cp2;
                        q2_m[h] = tws[h] * m2 * m2 + pw[h][i1] * cm1 + pw[h][i2] * cm2;
                    }
                    let sumqx = [
                        qx_p[0] + qx_p[1],
                        qx_p[0] + qx_m[1],
                        qx_m[0] + qx_p[1],
                        qx_m[0] + qx_m[1],
                    ];
                    let sumq2 = [
                        q2_p[0] + q2_p[1],
                        q2_p[0] + q2_m[1],
                        q2_m[0] + q2_p[1],
                        q2_m[0] + q2_m[1],
                    ];
                    for k in 0..4 {
                        if sumq2[k] > 0.0 && sumqx[k] * sumqx[k] > best_score * sumq2[k] {
                            scale = sumqx[k] / sumq2[k];
                            best_score = scale * sumqx[k];
                            besti1 = i1 as i32;
                            besti2 = i2 as i32;
                            best_k = k as i8;
                        }
                    }
                }
            }
            if besti1 < 0 || besti2 < 0 || best_k < 0 {
                scales[ib] = 0.0;
                shifts[ib] = 0;
                continue;
            }
            let mut l = [0i8; BS];
            for j in 0..BS {
                l[idx[j]] = if (j as i32) < besti1 {
                    0
                } else if (j as i32) < besti2 {
                    1
                } else {
                    2
                };
            }
            if scale < 0.0 {
                for v in &mut l {
                    *v = 2 - *v;
                }
                scale = -scale;
                best_k = 3 - best_k;
            }
            let mut all_on_grid = true;
            let mut index = [0usize; 2];
            for k in 0..2 {
                let xx = iq1m_levels(best_k, k);
                let r = 8 * k..8 * k + 8;
                let u = lat.index_of(&l[r.clone()]);
                index[k] = match lat.map[u] {
                    g if g >= 0 => g as usize,
                    _ => {
                        all_on_grid = false;
                        iq1_best_neighbour(lat, u, &xb[r.clone()], &weight[r.clone()], scale, xx, &mut l[r])
                    }
                };
            }
            if !all_on_grid {
                let mut sumqx = 0.0f32;
                let mut sumq2 = 0.0f32;
                for k in 0..2 {
                    let xx = iq1m_levels(best_k, k);
                    let pg = lat.point(index[k]);
                    for j in 0..8 {
                        let w = weight[8 * k + j];
                        let q = xx[((pg[j] - 1) / 2) as usize];
                        sumqx += w * q * xb[8 * k + j];
                        sumq2 += w * q * q;
                    }
                }
                if sumqx > 0.0 && sumq2 > 0.0 {
                    scale = sumqx / sumq2;
                }
            }
            y[2 * ib] = (index[0] & 255) as u8;
            y[2 * ib + 1] = (index[1] & 255) as u8;
            y[32 + ib] = ((index[0] >> 8) | ((index[1] >> 8) << 4)) as u8;
            scales[ib] = scale;
            shifts[ib] = best_k;
            max_scale = c_max(max_scale, scale);
        }
        if max_scale == 0.0 {
            continue;
        }
        let mut sc = [0u16; 4];
        let mut d = max_scale / 15.0;
        let id = 1.0 / d;
        let mut sumqx = 0.0f32;
        let mut sumq2 = 0.0f32;
        for ib in 0..QK_K / BS {
            let l = nearest_int(0.5 * (id * scales[ib] - 1.0)).clamp(0, 7);
            sc[ib / 4] |= (l as u16) << (3 * (ib % 4));
            y[32 + ib] |= MASKS[shifts[ib] as usize & 3];
            let xb = &xbl[BS * ib..BS * ib + BS];
            let qw = imatrix.map(|q| &q[QK_K * ibl + BS * ib..QK_K * ibl + BS * ib + BS]);
            weights(xb, qw, sigma2, |x| x * x, &mut weight);
            for k in 0..2 {
                let xx = iq1m_levels(shifts[ib], k);
                let gi = usize::from(y[2 * ib + k]) | ((usize::from(y[32 + ib]) << (8 - 4 * k)) & 0x700);
                let pg = lat.point(gi);
                for j in 0..8 {
                    let w = weight[8 * k + j];
                    let q = xx[((pg[j] - 1) / 2) as usize] * (2 * l + 1) as f32;
                    sumqx += w * q * xb[8 * k + j];
                    sumq2 += w * q * q;
                }
            }
        }
        if sumq2 > 0.0 {
            d = sumqx / sumq2;
        }
        let s = crate::numerics::fp32_to_fp16(d * 1.1125);
        sc[0] |= (s & 0x000f) << 12;
        sc[1] |= (s & 0x00f0) << 8;
        sc[2] |= (s & 0x0f00) << 4;
        sc[3] |= s & 0xf000;
        for (i, w) in sc.iter().enumerate() {
            y[48 + 2 * i..50 + 2 * i].copy_from_slice(&w.to_le_bytes());
        }
    }
}

/// IQ1_M without an imatrix (weights x²).
pub(crate) fn encode_iq1_m(src: &[f32], dst: &mut [u8]) {
    encode_iq1_m_impl(src, dst, None);
}

/// IQ1_M with an imatrix.
pub(crate) fn encode_iq1_m_w(src: &[f32], dst: &mut [u8], imatrix: &[f32]) {
    encode_iq1_m_impl(src, dst, Some(imatrix));
}

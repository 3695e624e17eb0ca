//! Lane-parallel fast paths of the scale searches, in portable code, and
//! the choice per call between them, their AVX2 kernels
//! (`x86_64/avx2.rs`) and the scalar references (`search.rs`): eight
//! independent sub-blocks at once (sixteen for `make_q3_quants`, whose
//! passes are latency-bound, with the sub-blocks that need more than one
//! pass packed together after the first), one per lane, each lane
//! performing exactly the f32 operations of the scalar reference in
//! `search.rs`, in the same order (no FMA, no reassociation; branches become
//! per-lane selects). IQ4_NL and IQ4_XS put the sixteen candidate scales of
//! one block in the lanes instead ([`iq4_sums`]; the scalar reference is in
//! `family/iq4.rs`); IQ3_S puts the candidates of a lattice neighbour search
//! in them ([`iq3_best_neighbour_portable`]) and the trials of its scale
//! search ([`iq3_trial_sums`]; the whole lane search is
//! [`iq3_search32_lanes`], its scalar reference `iq3_search32` is in
//! `family/iq/encode.rs`). The arrays are laid out `[element][lane]` so the
//! lane loops compile to SIMD. Where the CPU has AVX2, the min search
//! (`make_qkx2_quants`, `make_qkx3_quants`) and the refinement passes of
//! `make_q3_quants` run copies written in intrinsics (LLVM's vectorisation
//! of those bodies was slow and fragile; they are in `x86_64/avx2.rs`), and
//! `make_qx_quants` runs its portable body compiled with AVX2 (the
//! `#[target_feature]` copies of portable bodies stay here, next to them);
//! the portable bodies are the fallback. The results are bit-identical to
//! the reference, which the tests below, `tests/fast_paths.rs` (fast,
//! portable and scalar paths on golden and random inputs, through
//! [`Path`](super::Path)) and the golden tests check.

use super::search::MinSearch;
#[cfg(target_arch = "x86_64")]
use super::x86_64::avx2::{
    iq3_best_neighbour_avx2, iq3_levels_avx2, iq3_trial_sums_avx2, iq4_absmax_avx2, iq4_quantize_avx2,
    iq4_sums_avx2, min_search_x8_intrinsics, q3_pass,
};
use super::{fast_avx2, scalar, Iq3Block, IQ3_TRIALS, IQ4_LEVELS, IQ4_MID2, LANES};
use crate::numerics::nearest_int;

/// Declares `$avx2`, a copy of the `#[inline(always)]` lane body `$body`
/// compiled with AVX2 enabled, and `$pick`, which runs it when the CPU has
/// AVX2 (and [`Path`](super::Path) allows), else the portable body.
macro_rules! avx2_copy {
    ($pick:ident, $avx2:ident, $body:ident, <$(const $g:ident: $gt:ty),*>, ($($a:ident: $t:ty),*) -> $r:ty) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        fn $avx2<$(const $g: $gt),*>($($a: $t),*) -> $r {
            $body::<$($g),*>($($a),*)
        }

        fn $pick<$(const $g: $gt),*>($($a: $t),*) -> $r {
            #[cfg(target_arch = "x86_64")]
            if fast_avx2() {
                // SAFETY: the CPU supports AVX2, checked just above.
                return unsafe { $avx2::<$($g),*>($($a),*) };
            }
            $body::<$($g),*>($($a),*)
        }
    };
}

avx2_copy!(qx_x8, qx_x8_avx2, qx_x8_body, <const N: usize>,
    (nmax: i32, x: &[f32], weights: Option<&[f32]>, l_out: &mut [i8]) -> [f32; LANES]);

/// [`crate::arch::search::make_qkx2_quants`] for eight consecutive sub-blocks of
/// `N` elements: `x` and `weights` hold `8 * N` values, sub-block `j` at
/// `j * N..`, and `l_out` receives the levels in the same layout. Returns
/// each sub-block's `(scale, the_min)`.
pub(crate) fn make_qkx2_quants_x8<const N: usize>(
    p: MinSearch,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
) -> [(f32, f32); LANES] {
    min_search_lanes::<N, false>(p, x, weights, l_out)
}

/// [`crate::arch::search::make_qkx3_quants`] for eight consecutive sub-blocks
/// (layout and result as in [`make_qkx2_quants_x8`]).
pub(crate) fn make_qkx3_quants_x8<const N: usize>(
    p: MinSearch,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
) -> [(f32, f32); LANES] {
    min_search_lanes::<N, true>(p, x, weights, l_out)
}

/// Both min searches (`X3`: `make_qkx3_quants`, else `make_qkx2_quants`)
/// on the path [`Path`](super::Path) and the CPU select.
fn min_search_lanes<const N: usize, const X3: bool>(
    p: MinSearch,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
) -> [(f32, f32); LANES] {
    assert!(N >= 1 && x.len() == N * LANES && weights.len() == N * LANES && l_out.len() == N * LANES);
    if scalar() {
        let search = if X3 {
            crate::arch::search::make_qkx3_quants
        } else {
            crate::arch::search::make_qkx2_quants
        };
        return scalar_lanes::<N>(search, p, x, weights, l_out);
    }
    #[cfg(target_arch = "x86_64")]
    if fast_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { min_search_x8_intrinsics::<N, X3>(p, x, weights, l_out) };
    }
    min_search_x8_body::<N, X3>(p, x, weights, l_out)
}

/// The signature of `search::make_qkx2_quants` and `make_qkx3_quants`:
/// parameters, `x`, weights, levels, scratch levels → `(scale, the_min)`.
type MinSearchFn = fn(MinSearch, &[f32], &[f32], &mut [u8], &mut [u8]) -> (f32, f32);

/// The scalar reference `search` (`make_qkx2_quants` or
/// `make_qkx3_quants`) run on each of the eight sub-blocks in turn.
fn scalar_lanes<const N: usize>(
    search: MinSearchFn,
    p: MinSearch,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
) -> [(f32, f32); LANES] {
    let mut out = [(0f32, 0f32); LANES];
    let mut laux = [0u8; N];
    for (l, o) in out.iter_mut().enumerate() {
        let r = l * N..l * N + N;
        *o = search(p, &x[r.clone()], &weights[r.clone()], &mut l_out[r], &mut laux);
    }
    out
}

/// The portable body of [`min_search_lanes`]: [`make_qkx2_quants_x8`]
/// (`X3 = false`) and [`make_qkx3_quants_x8`] (`X3 = true`), which differ only in the
/// degenerate-range test (`max == min` against `max <= min`) and in how the
/// trial levels are rounded (clamped after rounding, against
/// `v > 0 ? nearest_int(min(v, nmax)) : 0`).
#[inline(always)]
fn min_search_x8_body<const N: usize, const X3: bool>(
    p: MinSearch,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
) -> [(f32, f32); LANES] {
    let nmax = p.nmax;
    let nmaxf = nmax as f32;
    // Transpose to [element][lane].
    let mut xt = [[0f32; LANES]; N];
    let mut wt = [[0f32; LANES]; N];
    for l in 0..LANES {
        for i in 0..N {
            xt[i][l] = x[l * N + i];
            wt[i][l] = weights[l * N + i];
        }
    }
    let mut min = xt[0];
    let mut max = xt[0];
    let mut sum_w = wt[0];
    let mut sum_x = [0f32; LANES];
    for l in 0..LANES {
        sum_x[l] = sum_w[l] * xt[0][l];
    }
    for i in 1..N {
        for l in 0..LANES {
            let v = xt[i][l];
            if v < min[l] {
                min[l] = v;
            }
            if v > max[l] {
                max[l] = v;
            }
            let w = wt[i][l];
            sum_w[l] += w;
            sum_x[l] += w * v;
        }
    }
    let mut flat = [false; LANES];
    for l in 0..LANES {
        if min[l] > 0.0 {
            min[l] = 0.0;
        }
        flat[l] = if X3 { max[l] <= min[l] } else { max[l] == min[l] };
    }

    let mut iscale = [0f32; LANES];
    let mut scale = [0f32; LANES];
    for l in 0..LANES {
        iscale[l] = nmaxf / (max[l] - min[l]);
        scale[l] = 1.0 / iscale[l];
    }
    let mut levels = [[0u8; LANES]; N];
    let mut best_error = [0f32; LANES];
    for i in 0..N {
        for l in 0..LANES {
            let q = nearest_int(iscale[l] * (xt[i][l] - min[l])).clamp(0, nmax);
            levels[i][l] = q as u8;
            let mut diff = scale[l] * q as f32 + min[l] - xt[i][l];
            diff = if p.use_mad { diff.abs() } else { diff * diff };
            best_error[l] += wt[i][l] * diff;
        }
    }
    if p.nstep >= 1 {
        let mut laux = [[0u8; LANES]; N];
        for is in 0..=p.nstep {
            let mut sum_l = [0f32; LANES];
            let mut sum_l2 = [0f32; LANES];
            let mut sum_xl = [0f32; LANES];
            // As in the reference, a better fit found earlier moves `min` for
            // the later trials.
            for l in 0..LANES {
                iscale[l] = (p.rmin + p.rdelta * is as f32 + nmaxf) / (max[l] - min[l]);
            }
            for i in 0..N {
                for l in 0..LANES {
                    let q = if X3 {
                        let v = iscale[l] * (xt[i][l] - min[l]);
                        if v > 0.0 {
                            nearest_int(crate::numerics::c_min(v, nmaxf))
                        } else {
                            0
                        }
                    } else {
                        nearest_int(iscale[l] * (xt[i][l] - min[l])).clamp(0, nmax)
                    };
                    laux[i][l] = q as u8;
                    let w = wt[i][l];
                    let lf = q as f32;
                    sum_l[l] += w * lf;
                    sum_l2[l] += w * lf * lf;
                    sum_xl[l] += w * lf * xt[i][l];
                }
            }
            let mut this_scale = [0f32; LANES];
            let mut this_min = [0f32; LANES];
            let mut usable = [false; LANES];
            for l in 0..LANES {
                let d = sum_w[l] * sum_l2[l] - sum_l[l] * sum_l[l];
                usable[l] = d > 0.0;
                this_scale[l] = (sum_w[l] * sum_xl[l] - sum_x[l] * sum_l[l]) / d;
                this_min[l] = (sum_l2[l] * sum_x[l] - sum_l[l] * sum_xl[l]) / d;
                if this_min[l] > 0.0 {
                    this_min[l] = 0.0;
                    this_scale[l] = sum_xl[l] / sum_l2[l];
                }
            }
            let mut cur_error = [0f32; LANES];
            for i in 0..N {
                for l in 0..LANES {
                    let mut diff = this_scale[l] * laux[i][l] as f32 + this_min[l] - xt[i][l];
                    diff = if p.use_mad { diff.abs() } else { diff * diff };
                    cur_error[l] += wt[i][l] * diff;
                }
            }
            let mut better = [false; LANES];
            for l in 0..LANES {
                better[l] = usable[l] && cur_error[l] < best_error[l];
                if better[l] {
                    best_error[l] = cur_error[l];
                    scale[l] = this_scale[l];
                    min[l] = this_min[l];
                }
            }
            for i in 0..N {
                for l in 0..LANES {
                    if better[l] {
                        levels[i][l] = laux[i][l];
                    }
                }
            }
        }
    }
    let mut out = [(0f32, 0f32); LANES];
    for l in 0..LANES {
        if flat[l] {
            // The reference returns early: all levels 0, scale 0.
            for i in 0..N {
                l_out[l * N + i] = 0;
            }
            out[l] = (0.0, -min[l]);
        } else {
            for i in 0..N {
                l_out[l * N + i] = levels[i][l];
            }
            out[l] = (scale[l], -min[l]);
        }
    }
    out
}

/// [`crate::arch::search::make_qx_quants`] for eight consecutive sub-blocks of `N`
/// elements (layout as in [`make_qkx2_quants_x8`]); `weights` are the given
/// importance weights, or `None` for `x²`. Levels come back with `+nmax`.
/// Returns each sub-block's scale.
pub(crate) fn make_qx_quants_x8<const N: usize>(
    nmax: i32,
    x: &[f32],
    weights: Option<&[f32]>,
    l_out: &mut [i8],
) -> [f32; LANES] {
    assert!(N >= 1 && x.len() == N * LANES && l_out.len() == N * LANES);
    assert!(weights.is_none_or(|w| w.len() == N * LANES));
    if scalar() {
        use crate::arch::search::{make_qx_quants, Weights};
        let mut out = [0f32; LANES];
        for (l, o) in out.iter_mut().enumerate() {
            let r = l * N..l * N + N;
            let w = weights.map_or(Weights::Square, |w| Weights::Given(&w[r.clone()]));
            *o = make_qx_quants(nmax, &x[r.clone()], &mut l_out[r], w);
        }
        return out;
    }
    qx_x8::<N>(nmax, x, weights, l_out)
}

/// The lane body of [`make_qx_quants_x8`].
///
/// Two rearrangements that keep every lane's bits: the 18 trial scales'
/// sums do not depend on one another (only the choice between them is
/// sequential), so three trials accumulate side by side, and the chosen
/// levels are recomputed once at the end from the winning `iscale`
/// (exactly what the reference does when a trial wins). `w * x[i] * lf`
/// is `(w * x[i]) * lf` in C, so `w * x[i]` is computed once.
#[inline(always)]
fn qx_x8_body<const N: usize>(
    nmax: i32,
    x: &[f32],
    weights: Option<&[f32]>,
    l_out: &mut [i8],
) -> [f32; LANES] {
    const TRIALS: [i32; 18] = [-9, -8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const K: usize = 3;
    let nmaxf = nmax as f32;
    let mut xt = [[0f32; LANES]; N];
    let mut wt = [[0f32; LANES]; N];
    let mut wx = [[0f32; LANES]; N];
    for l in 0..LANES {
        for i in 0..N {
            let v = x[l * N + i];
            xt[i][l] = v;
            let w = match weights {
                Some(w) => w[l * N + i],
                None => v * v,
            };
            wt[i][l] = w;
            wx[i][l] = w * v;
        }
    }
    let mut max = [0f32; LANES];
    let mut amax = [0f32; LANES];
    for row in &xt {
        for l in 0..LANES {
            let ax = row[l].abs();
            if ax > amax[l] {
                amax[l] = ax;
                max[l] = row[l];
            }
        }
    }
    let mut best_iscale = [0f32; LANES];
    for l in 0..LANES {
        best_iscale[l] = (-nmax) as f32 / max[l];
    }
    let mut sumlx = [0f32; LANES];
    let mut suml2 = [0f32; LANES];
    for i in 0..N {
        for l in 0..LANES {
            let q = nearest_int(best_iscale[l] * xt[i][l]).clamp(-nmax, nmax - 1);
            let lf = q as f32;
            sumlx[l] += wx[i][l] * lf;
            suml2[l] += wt[i][l] * lf * lf;
        }
    }
    let mut scale = [0f32; LANES];
    let mut best = [0f32; LANES];
    for l in 0..LANES {
        scale[l] = if suml2[l] != 0.0 { sumlx[l] / suml2[l] } else { 0.0 };
        best[l] = scale[l] * sumlx[l];
    }
    for chunk in TRIALS.chunks_exact(K) {
        let mut iscale = [[0f32; LANES]; K];
        let mut sumlx = [[0f32; LANES]; K];
        let mut suml2 = [[0f32; LANES]; K];
        for k in 0..K {
            for l in 0..LANES {
                iscale[k][l] = -(nmaxf + 0.1f32 * chunk[k] as f32) / max[l];
            }
        }
        for i in 0..N {
            for k in 0..K {
                for l in 0..LANES {
                    let q = nearest_int(iscale[k][l] * xt[i][l]).clamp(-nmax, nmax - 1);
                    let lf = q as f32;
                    sumlx[k][l] += wx[i][l] * lf;
                    suml2[k][l] += wt[i][l] * lf * lf;
                }
            }
        }
        for k in 0..K {
            for l in 0..LANES {
                if suml2[k][l] > 0.0 && sumlx[k][l] * sumlx[k][l] > best[l] * suml2[k][l] {
                    scale[l] = sumlx[k][l] / suml2[k][l];
                    best[l] = scale[l] * sumlx[k][l];
                    best_iscale[l] = iscale[k][l];
                }
            }
        }
    }
    for l in 0..LANES {
        // The reference returns 0 with all levels 0 for a group of (near) zeros.
        let flat = amax[l] < crate::arch::search::GROUP_MAX_EPS;
        for i in 0..N {
            let q = nearest_int(best_iscale[l] * xt[i][l]).clamp(-nmax, nmax - 1);
            l_out[l * N + i] = if flat { 0 } else { (q + nmax) as i8 };
        }
        if flat {
            scale[l] = 0.0;
        }
    }
    scale
}

/// [`crate::arch::search::make_q3_quants`] for every sub-block of `N` elements in
/// `x` (a multiple of 16 sub-blocks): levels (with `+nmax`) to `l_out` in
/// the same layout, each sub-block's scale to `scales`.
///
/// Sixteen sub-blocks go through one vector of lanes, and a pass costs the
/// same whatever its lanes need, but most sub-blocks are done after their
/// first pass (on gaussian data 81 %; the slowest of sixteen needs 2.8
/// passes on average). So up to 64 sub-blocks run their first pass, sixteen
/// at a time; the few that changed a level are packed together (sixteen to
/// a vector, idle lanes all zeros, which never change) and run their
/// remaining passes. Every sub-block still sees exactly the passes and the
/// f32 operations of the scalar reference.
pub(crate) fn make_q3_quants_batch<const N: usize>(
    nmax: i32,
    x: &[f32],
    l_out: &mut [i8],
    scales: &mut [f32],
) {
    assert!(
        N >= 1 && x.len().is_multiple_of(16 * N) && l_out.len() == x.len() && scales.len() == x.len() / N
    );
    if scalar() {
        for ((xs, ls), s) in x.chunks_exact(N).zip(l_out.chunks_exact_mut(N)).zip(scales) {
            *s = crate::arch::search::make_q3_quants(nmax, xs, ls);
        }
        return;
    }
    for ((x, l_out), scales) in x
        .chunks(Q3_BATCH * N)
        .zip(l_out.chunks_mut(Q3_BATCH * N))
        .zip(scales.chunks_mut(Q3_BATCH))
    {
        q3_batch::<N>(nmax, x, l_out, scales);
    }
}

/// Sub-blocks per batch of [`make_q3_quants_batch`].
const Q3_BATCH: usize = 64;

/// [`q3_batch_body`] with its refinement passes in AVX2 intrinsics where
/// the CPU has AVX2 (and [`Path`](super::Path) allows), else the portable body.
fn q3_batch<const N: usize>(nmax: i32, x: &[f32], l_out: &mut [i8], scales: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if fast_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { q3_batch_avx2::<N>(nmax, x, l_out, scales) };
    }
    q3_batch_body::<N, false>(nmax, x, l_out, scales);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn q3_batch_avx2<const N: usize>(nmax: i32, x: &[f32], l_out: &mut [i8], scales: &mut [f32]) {
    q3_batch_body::<N, true>(nmax, x, l_out, scales);
}

/// Sixteen sub-blocks in the lanes of `make_q3_quants`: element `i` of lane
/// `l` at `[i][l]`.
#[derive(Clone, Copy)]
struct Q3Lanes<const N: usize> {
    x: [[f32; 16]; N],
    lv: [[i32; 16]; N],
    sumlx: [f32; 16],
    suml2: [f32; 16],
}

impl<const N: usize> Q3Lanes<N> {
    const IDLE: Self = Q3Lanes {
        x: [[0.0; 16]; N],
        lv: [[0; 16]; N],
        sumlx: [0.0; 16],
        suml2: [0.0; 16],
    };

    /// Loads sixteen consecutive sub-blocks and makes the reference's first
    /// guess; returns which lanes are (near) zero, finished already.
    #[inline(always)]
    fn start(&mut self, nmax: i32, x: &[f32]) -> [bool; 16] {
        for l in 0..16 {
            for i in 0..N {
                self.x[i][l] = x[l * N + i];
            }
        }
        let mut max = [0f32; 16];
        let mut amax = [0f32; 16];
        for i in 0..N {
            for l in 0..16 {
                let ax = self.x[i][l].abs();
                if ax > amax[l] {
                    amax[l] = ax;
                    max[l] = self.x[i][l];
                }
            }
        }
        let iscale = max.map(|m| (-nmax) as f32 / m);
        let mut sumlx = [0f32; 16];
        let mut suml2 = [0f32; 16];
        for i in 0..N {
            for l in 0..16 {
                let xi = self.x[i][l];
                let li = nearest_int(iscale[l] * xi).clamp(-nmax, nmax - 1);
                self.lv[i][l] = li;
                let w = xi * xi;
                sumlx[l] += w * xi * li as f32;
                suml2[l] += w * li as f32 * li as f32;
            }
        }
        self.sumlx = sumlx;
        self.suml2 = suml2;
        amax.map(|a| a < crate::arch::search::GROUP_MAX_EPS)
    }

    /// One refinement pass; returns which lanes changed a level.
    /// Branch-free per lane: every candidate is computed and taken by
    /// select, so the sums stay in registers.
    #[inline(always)]
    fn pass(&mut self, nmax: i32) -> [bool; 16] {
        let mut sumlx = self.sumlx;
        let mut suml2 = self.suml2;
        let mut changed = [false; 16];
        for i in 0..N {
            let mut next_lx = [0f32; 16];
            let mut next_l2 = [0f32; 16];
            let mut next_lv = [0i32; 16];
            for l in 0..16 {
                let xi = self.x[i][l];
                let li = self.lv[i][l];
                let w = xi * xi;
                let slx0 = sumlx[l] - w * xi * li as f32;
                let sl20 = suml2[l] - w * li as f32 * li as f32;
                let new_l = nearest_int(xi * sl20 / slx0).clamp(-nmax, nmax - 1);
                let slx = slx0 + w * xi * new_l as f32;
                let sl2 = sl20 + w * new_l as f32 * new_l as f32;
                let take = slx0 > 0.0
                    && new_l != li
                    && sl2 > 0.0
                    && slx * slx * suml2[l] > sumlx[l] * sumlx[l] * sl2;
                next_lx[l] = if take { slx } else { sumlx[l] };
                next_l2[l] = if take { sl2 } else { suml2[l] };
                next_lv[l] = if take { new_l } else { li };
                changed[l] |= take;
            }
            sumlx = next_lx;
            suml2 = next_l2;
            self.lv[i] = next_lv;
        }
        self.sumlx = sumlx;
        self.suml2 = suml2;
        changed
    }

    /// [`Self::pass`], in AVX2 intrinsics when `AVX2` (only instantiated so
    /// by `q3_batch_avx2`, after checking the CPU).
    #[inline(always)]
    fn pass_with<const AVX2: bool>(&mut self, nmax: i32) -> [bool; 16] {
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: `AVX2` is true only in `q3_batch_avx2`, which runs only
            // on a CPU with AVX2.
            return unsafe { q3_pass(&self.x, &mut self.lv, &mut self.sumlx, &mut self.suml2, nmax) };
        }
        self.pass(nmax)
    }

    /// Copies lane `from` of `src` into lane `to`.
    #[inline(always)]
    fn copy_lane(&mut self, to: usize, src: &Self, from: usize) {
        for i in 0..N {
            self.x[i][to] = src.x[i][from];
            self.lv[i][to] = src.lv[i][from];
        }
        self.sumlx[to] = src.sumlx[from];
        self.suml2[to] = src.suml2[from];
    }

    /// Lane `l`'s levels (`+nmax`, or all 0 when `flat`) and scale.
    #[inline(always)]
    fn finish(&self, l: usize, flat: bool, nmax: i32, l_out: &mut [i8]) -> f32 {
        for (q, lv) in l_out.iter_mut().zip(&self.lv) {
            *q = if flat { 0 } else { (lv[l] + nmax) as i8 };
        }
        // As the reference: `suml2 > 0 ? sumlx / suml2 : 0`, so a NaN sum
        // gives 0 too.
        if !flat && self.suml2[l] > 0.0 {
            self.sumlx[l] / self.suml2[l]
        } else {
            0.0
        }
    }
}

/// The lane body of [`make_q3_quants_batch`] for up to [`Q3_BATCH`]
/// sub-blocks.
#[inline(always)]
fn q3_batch_body<const N: usize, const AVX2: bool>(
    nmax: i32,
    x: &[f32],
    l_out: &mut [i8],
    scales: &mut [f32],
) {
    const GROUPS: usize = Q3_BATCH / 16;
    let groups = scales.len() / 16;
    let mut first = [Q3Lanes::<N>::IDLE; GROUPS];
    // Sub-blocks that changed in their first pass: (group, lane).
    let mut active = [(0u8, 0u8); Q3_BATCH];
    let mut n_active = 0;
    for (g, lanes) in first.iter_mut().enumerate().take(groups) {
        let flat = lanes.start(nmax, &x[g * 16 * N..(g + 1) * 16 * N]);
        let changed = lanes.pass_with::<AVX2>(nmax);
        for l in 0..16 {
            let b = g * 16 + l;
            if changed[l] && !flat[l] {
                active[n_active] = (g as u8, l as u8);
                n_active += 1;
            } else {
                scales[b] = lanes.finish(l, flat[l], nmax, &mut l_out[b * N..(b + 1) * N]);
            }
        }
    }
    // Passes two to five for the rest, sixteen at a time.
    for pack in active[..n_active].chunks(16) {
        let mut lanes = Q3Lanes::<N>::IDLE;
        for (to, &(g, l)) in pack.iter().enumerate() {
            lanes.copy_lane(to, &first[g as usize], l as usize);
        }
        for _ in 1..5 {
            if !lanes.pass_with::<AVX2>(nmax).iter().any(|&c| c) {
                break;
            }
        }
        for (from, &(g, l)) in pack.iter().enumerate() {
            let b = usize::from(g) * 16 + usize::from(l);
            scales[b] = lanes.finish(from, false, nmax, &mut l_out[b * N..(b + 1) * N]);
        }
    }
}

// ---------------------------------------------------------------- IQ4_NL / IQ4_XS

/// `best_index_int8` of `numerics.rs` as the portable lane bodies use it: the
/// same binary search over the same comparisons `x + x >= MID2[j]` (true
/// for NaN, which goes up), with the index built from the four outcomes (no
/// branch).
#[inline(always)]
fn iq4_index(x: f32) -> usize {
    let x2 = x + x;
    let nan = x2.is_nan();
    let mut idx = 0;
    for step in [8, 4, 2, 1] {
        idx += usize::from(x2 >= IQ4_MID2[idx + step] || nan) * step;
    }
    idx
}

/// The sums of `quantize_row_iq4_nl_impl` for one block of 32 values `x`
/// with error weights `w`, at sixteen inverse scales `ids` at once (the
/// first guess and the fifteen trials; one lane each): per lane `k`,
/// `Σ w·q·x` and `Σ w·q·q` with `q = kv[best_index_int8(ids[k]·x)]`, every
/// product in C's order (`(w·q)·x`) and the sums over the 32 values in
/// ggml's sequential order. Which trial wins is left to the caller, which
/// compares them in ggml's order.
pub(crate) fn iq4_sums(ids: &[f32; 16], x: &[f32; 32], w: &[f32; 32]) -> ([f32; 16], [f32; 16]) {
    #[cfg(target_arch = "x86_64")]
    if fast_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { iq4_sums_avx2(ids, x, w) };
    }
    iq4_sums_body(ids, x, w)
}

/// The portable body of [`iq4_sums`].
#[inline(always)]
fn iq4_sums_body(ids: &[f32; 16], x: &[f32; 32], w: &[f32; 32]) -> ([f32; 16], [f32; 16]) {
    let mut sumqx = [0f32; 16];
    let mut sumq2 = [0f32; 16];
    for j in 0..32 {
        let (xj, wj) = (x[j], w[j]);
        for k in 0..16 {
            let q = IQ4_LEVELS[iq4_index(ids[k] * xj)];
            let wq = wj * q;
            sumqx[k] += wq * xj;
            sumq2[k] += wq * q;
        }
    }
    (sumqx, sumq2)
}

/// `signed_absmax` of `numerics.rs` for one block of 32: the largest |x|
/// (NaN skipped, 0 if none is larger) and the first value that has it
/// (0 when that largest |x| is 0).
pub(crate) fn iq4_absmax(x: &[f32; 32]) -> (f32, f32) {
    #[cfg(target_arch = "x86_64")]
    if fast_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { iq4_absmax_avx2(x) };
    }
    crate::numerics::signed_absmax(x)
}

/// The requantization that ends `quantize_row_iq4_nl_impl` for one block
/// of 32: `best_index_int8(id·x[j])` for every `j`, stored in IQ4's nibble
/// layout (byte `j` holds value `j` low and value `16 + j` high).
pub(crate) fn iq4_quantize(id: f32, x: &[f32; 32], qs: &mut [u8; 16]) {
    #[cfg(target_arch = "x86_64")]
    if fast_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { iq4_quantize_avx2(id, x, qs) };
    }
    for j in 0..16 {
        qs[j] = iq4_index(id * x[j]) as u8 | (iq4_index(id * x[16 + j]) as u8) << 4;
    }
}

// ---------------------------------------------------------------- IQ3 lattice searches

/// The neighbour `iq3_find_best_neighbour` picks among the first `n`
/// candidates of `blocks` (`n` > 8·(`blocks.len()` − 1), `n` ≤
/// 8·`blocks.len()`): each candidate's weighted squared distance
/// `Σ_c (w[c]·(scale·q − x[c]))·(scale·q − x[c])`, `q = 2l + 1`, summed over
/// the four coordinates in order, and the first candidate with the
/// smallest distance below `f32::MAX` (NaN never wins), or 0 when there is
/// none — the sequential scan's choice. The portable body: distances eight
/// at a time, then the reference's scan over them.
#[inline(always)]
pub(crate) fn iq3_best_neighbour_portable(
    blocks: &[Iq3Block],
    n: usize,
    x: &[f32; 4],
    w: &[f32; 4],
    scale: f32,
) -> usize {
    let mut best_d2 = f32::MAX;
    let mut best = 0;
    for (k, b) in blocks.iter().enumerate() {
        let mut d2 = [0f32; LANES];
        for c in 0..4 {
            for p in 0..LANES {
                let q = f32::from(2 * ((b[p] >> (8 * c)) & 0xff) as u8 + 1);
                let diff = scale * q - x[c];
                d2[p] += w[c] * diff * diff;
            }
        }
        for (p, &d) in d2.iter().enumerate().take(n - LANES * k) {
            if d < best_d2 {
                best_d2 = d;
                best = LANES * k + p;
            }
        }
    }
    best
}

/// IQ3's trial levels `clamp(nearest_int(0.5·(id·x − 1)), 0, 7)` for the
/// 32 values of a sub-block (`levels` of `family/iq/encode.rs` with `kmax` = 8),
/// and the packed index `l0 | l1 << 3 | l2 << 6 | l3 << 9` of each group
/// of four. The portable body.
#[inline(always)]
pub(crate) fn iq3_levels_portable(id: f32, x: &[f32; 32], l: &mut [i8; 32]) -> [u16; 8] {
    for (q, &v) in l.iter_mut().zip(x) {
        *q = nearest_int(0.5 * (id * v - 1.0)).clamp(0, 7) as i8;
    }
    std::array::from_fn(|k| (0..4).fold(0u16, |u, c| u | ((l[4 * k + c] as u16) << (3 * c))))
}

/// `Σ (w·x)·q` and `Σ (w·q)·q` over the 32 values of a sub-block for each
/// of [`IQ3_TRIALS`] trials (one lane each), with `q = 2l + 1` from the
/// trial's levels `l[t]` and `wx[j]` = `w[j]·x[j]`: the sums of `sums` in
/// `family/iq/encode.rs`, sequential over `j` in every lane.
pub(crate) fn iq3_trial_sums(
    wx: &[f32; 32],
    w: &[f32; 32],
    l: &[[i8; 32]; IQ3_TRIALS],
) -> ([f32; IQ3_TRIALS], [f32; IQ3_TRIALS]) {
    #[cfg(target_arch = "x86_64")]
    if fast_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { iq3_trial_sums_avx2(wx, w, l) };
    }
    let mut sumqx = [0f32; IQ3_TRIALS];
    let mut sumq2 = [0f32; IQ3_TRIALS];
    for j in 0..32 {
        for t in 0..IQ3_TRIALS {
            let q = f32::from(2 * i16::from(l[t][j]) + 1);
            sumqx[t] += wx[j] * q;
            sumq2[t] += w[j] * q * q;
        }
    }
    (sumqx, sumq2)
}

/// An IQ3 lattice (4 coordinates, 3 bits per level) as the lane search
/// reads it, borrowed from the codec's `Lattice` (`family/iq/encode.rs`):
/// the grid point of each packed index (or -1), and each packed index's
/// neighbour list as candidates' levels, eight to a block, at
/// `at[u]` = (first block, candidates).
pub(crate) struct Iq3Lattice<'a> {
    /// Grid point for a packed index, or -1.
    pub(crate) map: &'a [i32],
    /// The neighbour lists, eight candidates to a block.
    pub(crate) blocks: &'a [Iq3Block],
    /// Where each packed index's list starts in `blocks`, and its length.
    pub(crate) at: &'a [(u32, u32)],
}

impl Iq3Lattice<'_> {
    /// `Lattice::snap` (`family/iq/encode.rs`) for this 4-coordinate
    /// lattice, given the packed index `u` of the levels `l`: on the grid
    /// `l` stays, otherwise the levels of the neighbour
    /// `iq3_best_neighbour_avx2` (`AVX2`) or [`iq3_best_neighbour_portable`]
    /// picks (the reference's choice) replace it. Returns whether `u` was on
    /// the grid.
    #[inline(always)]
    fn snap4<const AVX2: bool>(
        &self,
        u: usize,
        l: &mut [i8],
        xval: &[f32; 4],
        weight: &[f32; 4],
        scale: f32,
    ) -> bool {
        if self.map[u] >= 0 {
            return true;
        }
        let (at, n) = self.at[u];
        let (at, n) = (at as usize, n as usize);
        let blocks = &self.blocks[at..at + n.div_ceil(8)];
        #[cfg(target_arch = "x86_64")]
        let k = if AVX2 {
            // SAFETY: `AVX2` is true only in `iq3_search32_avx2`, which runs
            // only on a CPU with AVX2.
            unsafe { iq3_best_neighbour_avx2(blocks, n, xval, weight, scale) }
        } else {
            iq3_best_neighbour_portable(blocks, n, xval, weight, scale)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let k = iq3_best_neighbour_portable(blocks, n, xval, weight, scale);
        l.copy_from_slice(&blocks[k / 8][k % 8].to_le_bytes().map(|b| b as i8));
        false
    }
}

/// `iq3_search32` (`family/iq/encode.rs`, the scalar reference) with the
/// trials' work side by side: each trial's levels (and their packed
/// indices) eight values at a time, the groups off the grid snapped with
/// the neighbour distances eight candidates at a time, and the sums of all
/// trials accumulated together, one lane per trial ([`iq3_trial_sums`]);
/// the best trial is then chosen in ggml's order. Every f32 operation is
/// the reference's, in its order. For IQ3_S's parameters (at most
/// [`IQ3_TRIALS`] trials).
pub(crate) fn iq3_search32_lanes(
    lat: &Iq3Lattice,
    xval: &[f32; 32],
    weight: &[f32; 32],
    waux: &[f32; 32],
    max: f32,
    params: (i32, bool, bool),
    l: &mut [i8; 32],
) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if fast_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { iq3_search32_avx2(lat, xval, weight, waux, max, params, l) };
    }
    iq3_search32_body::<false>(lat, xval, weight, waux, max, params, l)
}

/// [`iq3_search32_body`] compiled with AVX2, its kernels in intrinsics.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn iq3_search32_avx2(
    lat: &Iq3Lattice,
    xval: &[f32; 32],
    weight: &[f32; 32],
    waux: &[f32; 32],
    max: f32,
    params: (i32, bool, bool),
    l: &mut [i8; 32],
) -> f32 {
    iq3_search32_body::<true>(lat, xval, weight, waux, max, params, l)
}

/// The body of [`iq3_search32_lanes`]; `AVX2` only in
/// [`iq3_search32_avx2`].
#[inline(always)]
fn iq3_search32_body<const AVX2: bool>(
    lat: &Iq3Lattice,
    xval: &[f32; 32],
    weight: &[f32; 32],
    waux: &[f32; 32],
    max: f32,
    (nsteps, on_grid_init, all_on_retry): (i32, bool, bool),
    l: &mut [i8; 32],
) -> f32 {
    const KMAXQ: i32 = 8;
    let ntrials = (2 * nsteps + 1) as usize;
    assert!(ntrials <= IQ3_TRIALS);
    let levels = |id: f32, l: &mut [i8; 32]| -> [u16; 8] {
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: as in `Iq3Lattice::snap4`.
            return unsafe { iq3_levels_avx2(id, xval, l) };
        }
        iq3_levels_portable(id, xval, l)
    };
    let group =
        |v: &[f32; 32], k: usize| -> [f32; 4] { [v[4 * k], v[4 * k + 1], v[4 * k + 2], v[4 * k + 3]] };
    let xg: [[f32; 4]; 8] = std::array::from_fn(|k| group(xval, k));
    let wg: [[f32; 4]; 8] = std::array::from_fn(|k| group(waux, k));
    // Levels and grid flags per trial; idle trials stay 0.
    let mut trial_l = [[0i8; 32]; IQ3_TRIALS];
    let mut trial_on_grid = [[true; 8]; IQ3_TRIALS];
    for (t, is) in (-nsteps..=nsteps).enumerate() {
        let id = ((2 * KMAXQ - 1) as f32 + is as f32 * 0.2) / max;
        let this_scale = 1.0 / id;
        let laux = &mut trial_l[t];
        let u = levels(id, laux);
        for k in 0..8 {
            let r = 4 * k..4 * k + 4;
            trial_on_grid[t][k] =
                lat.snap4::<AVX2>(usize::from(u[k]), &mut laux[r], &xg[k], &wg[k], this_scale);
        }
    }
    let wx: [f32; 32] = std::array::from_fn(|i| weight[i] * xval[i]);
    let (sumqx, sumq2) = iq3_trial_sums(&wx, weight, &trial_l);
    let mut best = 0.0f32;
    let mut scale = max / (2 * KMAXQ - 1) as f32;
    let mut on_grid = [on_grid_init; 8];
    for t in 0..ntrials {
        if sumq2[t] > 0.0 && sumqx[t] * sumqx[t] > best * sumq2[t] {
            scale = sumqx[t] / sumq2[t];
            best = scale * sumqx[t];
            *l = trial_l[t];
            on_grid = trial_on_grid[t];
        }
    }
    let n_not_on_grid = on_grid.iter().filter(|g| !**g).count();
    if n_not_on_grid > 0 && scale > 0.0 {
        let id = 1.0 / scale;
        let mut lr = [0i8; 32];
        let u = levels(id, &mut lr);
        for k in 0..8 {
            if on_grid[k] && !all_on_retry {
                continue;
            }
            let r = 4 * k..4 * k + 4;
            lat.snap4::<AVX2>(usize::from(u[k]), &mut lr[r.clone()], &xg[k], &wg[k], scale);
            l[r.clone()].copy_from_slice(&lr[r]);
        }
        let (sumqx, sumq2) = super::search::sums(weight, xval, l);
        if sumq2 > 0.0 {
            scale = sumqx / sumq2;
        }
    }
    scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::search::make_qkx2_quants;
    #[cfg(target_arch = "x86_64")]
    use crate::arch::x86_64::avx2::iq3_best_neighbour_avx2;
    use crate::arch::{avx2, with_path, Path};

    /// A deterministic stream of awkward values: gaussian-ish, outliers,
    /// constants, zeros, tiny and huge magnitudes.
    fn rows(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed;
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as u32
        };
        let kind = next() % 8;
        (0..n)
            .map(|i| {
                let u = next() as f32 / u32::MAX as f32 - 0.5;
                match kind {
                    0 => u,
                    1 => u * 1e-30,
                    2 => u * 1e4,
                    3 => 0.0,
                    4 => 0.25,
                    5 => -3.0,
                    6 => {
                        if i % 37 == 0 {
                            u * 100.0
                        } else {
                            u * 0.01
                        }
                    }
                    _ => (i as f32 * 0.37).sin() + u * 0.001,
                }
            })
            .collect()
    }

    fn check<const N: usize>(p: MinSearch, seeds: std::ops::Range<u64>) {
        for seed in seeds {
            // Mix kinds across lanes: each sub-block from its own seed.
            let mut x = Vec::with_capacity(N * LANES);
            for l in 0..LANES as u64 {
                x.extend(rows(seed * 8 + l, N));
            }
            let w: Vec<f32> = x.iter().map(|v| 0.5 + v.abs()).collect();
            let mut fast_l = vec![0u8; N * LANES];
            let fast = make_qkx2_quants_x8::<N>(p, &x, &w, &mut fast_l);
            for l in 0..LANES {
                let mut ref_l = vec![0u8; N];
                let mut laux = vec![0u8; N];
                let r = make_qkx2_quants(
                    p,
                    &x[l * N..(l + 1) * N],
                    &w[l * N..(l + 1) * N],
                    &mut ref_l,
                    &mut laux,
                );
                assert_eq!(
                    (r.0.to_bits(), r.1.to_bits()),
                    (fast[l].0.to_bits(), fast[l].1.to_bits()),
                    "seed {seed} lane {l}"
                );
                assert_eq!(ref_l, &fast_l[l * N..(l + 1) * N], "seed {seed} lane {l}");
            }
        }
    }

    #[test]
    fn q4_k_search_matches_reference() {
        let p = MinSearch {
            nmax: 15,
            rmin: -1.0,
            rdelta: 0.1,
            nstep: 20,
            use_mad: false,
        };
        check::<32>(p, 0..400);
        check::<32>(MinSearch { nmax: 31, ..p }, 400..800);
    }

    #[test]
    fn q6_k_search_matches_reference() {
        use crate::arch::search::{make_qx_quants, Weights};
        for seed in 0..600u64 {
            let mut x = Vec::with_capacity(16 * LANES);
            for l in 0..LANES as u64 {
                x.extend(rows(seed * 8 + l, 16));
            }
            let given: Vec<f32> = x.iter().map(|v| 0.25 + v.abs()).collect();
            for weighted in [false, true] {
                let w = weighted.then_some(&given[..]);
                let mut fast_l = vec![0i8; 16 * LANES];
                let fast = make_qx_quants_x8::<16>(32, &x, w, &mut fast_l);
                for l in 0..LANES {
                    let mut ref_l = vec![0i8; 16];
                    let ws = match w {
                        Some(w) => Weights::Given(&w[16 * l..16 * l + 16]),
                        None => Weights::Square,
                    };
                    let r = make_qx_quants(32, &x[16 * l..16 * l + 16], &mut ref_l, ws);
                    assert_eq!(
                        r.to_bits(),
                        fast[l].to_bits(),
                        "seed {seed} lane {l} weighted {weighted}"
                    );
                    assert_eq!(ref_l, &fast_l[16 * l..16 * l + 16], "seed {seed} lane {l}");
                }
            }
        }
    }

    #[test]
    fn q2_k_search_matches_reference() {
        let p = MinSearch {
            nmax: 3,
            rmin: -0.5,
            rdelta: 0.1,
            nstep: 15,
            use_mad: true,
        };
        check::<16>(p, 0..400);
        check::<16>(MinSearch { nstep: 0, ..p }, 400..500);
    }

    #[test]
    fn q3_k_search_matches_reference() {
        // 144 sub-blocks: two whole batches of 64 and a part batch of 16.
        // Uniform data changes a level in the first pass in about 29 % of
        // sub-blocks, so batches routinely pack more than sixteen into their
        // later passes; `rows` mixes in constants, zeros and tiny values.
        const SUBS: usize = 144;
        for seed in 0..60u64 {
            let x: Vec<f32> = if seed % 2 == 0 {
                let mut s = seed | 1;
                (0..16 * SUBS)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
                    })
                    .collect()
            } else {
                (0..SUBS as u64).flat_map(|b| rows(seed * 1000 + b, 16)).collect()
            };
            // Non-finite and overflowing values in some sub-blocks: their sums
            // go infinite or NaN, which the reference turns into a scale of 0.
            let mut x = x;
            if seed % 3 == 0 {
                for (k, v) in [f32::INFINITY, f32::NAN, 3e38, f32::NEG_INFINITY]
                    .into_iter()
                    .enumerate()
                {
                    x[16 * (7 * k + seed as usize % 5) + k] = v;
                }
            }
            let mut fast_l = vec![0i8; 16 * SUBS];
            let mut fast = vec![0f32; SUBS];
            make_q3_quants_batch::<16>(4, &x, &mut fast_l, &mut fast);
            for b in 0..SUBS {
                let mut ref_l = [0i8; 16];
                let r = crate::arch::search::make_q3_quants(4, &x[16 * b..16 * b + 16], &mut ref_l);
                assert_eq!(r.to_bits(), fast[b].to_bits(), "seed {seed} sub-block {b}");
                assert_eq!(ref_l, &fast_l[16 * b..16 * b + 16], "seed {seed} sub-block {b}");
            }
        }
    }

    /// Values around every decision point of `best_index_int8`: each
    /// midpoint exactly (a tie, which goes to the upper level), one ulp
    /// either side, the levels themselves, zeros, NaN, infinities and
    /// values far outside the table.
    #[cfg(feature = "reference")]
    fn iq4_awkward() -> Vec<f32> {
        let mut v = vec![
            0.0,
            -0.0,
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e30,
            -1e30,
            3e38,
        ];
        for j in 1..16 {
            let m = IQ4_MID2[j] / 2.0;
            v.extend([m, m.next_up(), m.next_down(), IQ4_LEVELS[j], IQ4_LEVELS[j - 1]]);
        }
        while !v.len().is_multiple_of(LANES) {
            v.push(0.5);
        }
        v
    }

    #[cfg(feature = "reference")]
    #[test]
    fn iq4_quantize_matches_best_index_int8() {
        let mut x = iq4_awkward();
        while !x.len().is_multiple_of(32) {
            x.push(-0.5);
        }
        for path in [Path::Fast, Path::Portable] {
            for id in [1.0f32, -1.0, 0.5, 3.0, 0.0] {
                for xb in x.chunks_exact(32) {
                    let xb: &[f32; 32] = xb.try_into().unwrap();
                    let mut qs = [0u8; 16];
                    with_path(path, || iq4_quantize(id, xb, &mut qs));
                    for (j, &v) in xb.iter().enumerate() {
                        let got = (qs[j % 16] >> (4 * (j / 16))) & 0xf;
                        let want = crate::numerics::best_index_int8(&crate::numerics::KVALUES_IQ4NL, id * v);
                        assert_eq!(usize::from(got), want, "x = {v:e}, id = {id}");
                    }
                }
            }
        }
    }

    #[cfg(feature = "reference")]
    #[test]
    fn iq4_absmax_matches_signed_absmax() {
        let specials = [
            0.0,
            -0.0,
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            2.5,
            -2.5,
            1e-30,
        ];
        for seed in 0..2000u64 {
            let mut x: [f32; 32] = rows(seed, 32).try_into().unwrap();
            // Equal magnitudes of either sign, zeros and non-finite values.
            for i in 0..(seed % 6) as usize {
                x[(7 * i + seed as usize) % 32] = specials[(seed as usize + i) % specials.len()];
            }
            let want = crate::numerics::signed_absmax(&x);
            for path in [Path::Fast, Path::Portable] {
                let got = with_path(path, || iq4_absmax(&x));
                assert_eq!(
                    (got.0.to_bits(), got.1.to_bits()),
                    (want.0.to_bits(), want.1.to_bits()),
                    "seed {seed}"
                );
            }
        }
    }

    #[cfg(feature = "reference")]
    #[test]
    fn iq4_sums_match_reference_loop() {
        let kv = &crate::numerics::KVALUES_IQ4NL;
        let awkward = iq4_awkward();
        for seed in 0..300u64 {
            let mut x: Vec<f32> = rows(seed, 32);
            // Some blocks take exact midpoints and specials at unit scale.
            if seed % 3 == 0 {
                for (i, &a) in awkward
                    .iter()
                    .enumerate()
                    .skip(seed as usize % 7)
                    .step_by(3)
                    .take(12)
                {
                    x[(5 * i) % 32] = a;
                }
            }
            let x: [f32; 32] = x.try_into().unwrap();
            let w: [f32; 32] = std::array::from_fn(|i| {
                if seed % 2 == 0 {
                    x[i] * x[i]
                } else {
                    0.5 + (i as f32 * 0.3).sin()
                }
            });
            let ids: [f32; 16] = std::array::from_fn(|k| match k {
                0 => 1.0,
                1 => -1.0,
                _ => (k as f32 - 127.0) / (1.0 + seed as f32 * 0.01),
            });
            for path in [Path::Fast, Path::Portable] {
                let (sx, s2) = with_path(path, || iq4_sums(&ids, &x, &w));
                for k in 0..16 {
                    let (mut rx, mut r2) = (0f32, 0f32);
                    for j in 0..32 {
                        let q = f32::from(kv[crate::numerics::best_index_int8(kv, ids[k] * x[j])]);
                        rx += w[j] * q * x[j];
                        r2 += w[j] * q * q;
                    }
                    assert_eq!(
                        (sx[k].to_bits(), s2[k].to_bits()),
                        (rx.to_bits(), r2.to_bits()),
                        "seed {seed} lane {k}"
                    );
                }
            }
        }
    }

    /// The scan of `Lattice::best_neighbour` in `family/iq/encode.rs` over the
    /// candidates of `blocks`.
    fn iq3_scan(blocks: &[Iq3Block], n: usize, x: &[f32; 4], w: &[f32; 4], scale: f32) -> usize {
        let mut best_d2 = f32::MAX;
        let mut best = 0;
        for p in 0..n {
            let mut d2 = 0.0f32;
            for c in 0..4 {
                let q = f32::from(2 * ((blocks[p / 8][p % 8] >> (8 * c)) & 7) as i8 + 1);
                let diff = scale * q - x[c];
                d2 += w[c] * diff * diff;
            }
            if d2 < best_d2 {
                best_d2 = d2;
                best = p;
            }
        }
        best
    }

    #[test]
    fn iq3_best_neighbour_matches_scan() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for case in 0..20_000 {
            let n = 1 + (next() % 40) as usize;
            // Few distinct levels, so that equal distances (ties: the first
            // wins) are common.
            let spread = 1 + (case % 8) as u64;
            let blocks: Vec<Iq3Block> = (0..n.div_ceil(8))
                .map(|_| {
                    std::array::from_fn(|_| (0..4).fold(0, |v, c| v | ((next() % spread) as u32) << (8 * c)))
                })
                .collect();
            let pick = |r: u64| match r % 16 {
                0 => 0.0,
                1 => f32::NAN,
                2 => f32::INFINITY,
                3 => -0.0,
                4 => 1e30,
                _ => (r % 64) as f32 * 0.25,
            };
            let x: [f32; 4] = std::array::from_fn(|_| pick(next()));
            let w: [f32; 4] = std::array::from_fn(|_| pick(next()));
            let scale = [1.0, 0.5, 2.0, 0.0, 1e20, f32::NAN, -1.0, 0.75][case % 8];
            let want = iq3_scan(&blocks, n, &x, &w, scale);
            let portable = iq3_best_neighbour_portable(&blocks, n, &x, &w, scale);
            assert_eq!(portable, want, "portable, case {case}");
            #[cfg(target_arch = "x86_64")]
            if avx2() {
                // SAFETY: the CPU supports AVX2, checked just above.
                let fast = unsafe { iq3_best_neighbour_avx2(&blocks, n, &x, &w, scale) };
                assert_eq!(fast, want, "AVX2, case {case}");
            }
        }
    }
}

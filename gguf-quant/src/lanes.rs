//! Lane-parallel fast paths of the scale searches: eight independent
//! sub-blocks at once, one per lane, each lane performing exactly the f32
//! operations of the scalar reference in `search.rs`, in the same order (no
//! FMA, no reassociation; branches become per-lane selects). The arrays are
//! laid out `[element][lane]` so the lane loops compile to SIMD. The results
//! are bit-identical to the reference, which the tests below and the golden
//! tests check.

use crate::numerics::nearest_int;
use crate::search::MinSearch;

/// Lanes processed together.
pub(crate) const LANES: usize = 8;

/// [`crate::search::make_qkx2_quants`] for eight consecutive sub-blocks of
/// `N` elements: `x` and `weights` hold `8 * N` values, sub-block `j` at
/// `j * N..`, and `l_out` receives the levels in the same layout. Returns
/// each sub-block's `(scale, the_min)`.
pub(crate) fn make_qkx2_quants_x8<const N: usize>(
    p: MinSearch,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
) -> [(f32, f32); LANES] {
    assert!(N >= 1 && x.len() == N * LANES && weights.len() == N * LANES && l_out.len() == N * LANES);
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
        flat[l] = max[l] == min[l];
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
                    let q = nearest_int(iscale[l] * (xt[i][l] - min[l])).clamp(0, nmax);
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

/// [`crate::search::make_qx_quants`] for eight consecutive sub-blocks of `N`
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
    let nmaxf = nmax as f32;
    let mut xt = [[0f32; LANES]; N];
    let mut wt = [[0f32; LANES]; N];
    for l in 0..LANES {
        for i in 0..N {
            let v = x[l * N + i];
            xt[i][l] = v;
            wt[i][l] = match weights {
                Some(w) => w[l * N + i],
                None => v * v,
            };
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
    let mut levels = [[0i8; LANES]; N];
    let mut laux = [[0i8; LANES]; N];
    let mut sumlx = [0f32; LANES];
    let mut suml2 = [0f32; LANES];
    let mut iscale = [0f32; LANES];
    for l in 0..LANES {
        iscale[l] = (-nmax) as f32 / max[l];
    }
    for i in 0..N {
        for l in 0..LANES {
            let q = nearest_int(iscale[l] * xt[i][l]).clamp(-nmax, nmax - 1);
            levels[i][l] = (q + nmax) as i8;
            let w = wt[i][l];
            let lf = q as f32;
            sumlx[l] += w * xt[i][l] * lf;
            suml2[l] += w * lf * lf;
        }
    }
    let mut scale = [0f32; LANES];
    let mut best = [0f32; LANES];
    for l in 0..LANES {
        scale[l] = if suml2[l] != 0.0 { sumlx[l] / suml2[l] } else { 0.0 };
        best[l] = scale[l] * sumlx[l];
    }
    for is in (-9..=9).filter(|&is| is != 0) {
        for l in 0..LANES {
            iscale[l] = -(nmaxf + 0.1f32 * is as f32) / max[l];
            sumlx[l] = 0.0;
            suml2[l] = 0.0;
        }
        for i in 0..N {
            for l in 0..LANES {
                let q = nearest_int(iscale[l] * xt[i][l]).clamp(-nmax, nmax - 1);
                laux[i][l] = (q + nmax) as i8;
                let w = wt[i][l];
                let lf = q as f32;
                sumlx[l] += w * xt[i][l] * lf;
                suml2[l] += w * lf * lf;
            }
        }
        let mut better = [false; LANES];
        for l in 0..LANES {
            better[l] = suml2[l] > 0.0 && sumlx[l] * sumlx[l] > best[l] * suml2[l];
            if better[l] {
                scale[l] = sumlx[l] / suml2[l];
                best[l] = scale[l] * sumlx[l];
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
    for l in 0..LANES {
        // The reference returns 0 with all levels 0 for a group of (near) zeros.
        let flat = amax[l] < crate::search::GROUP_MAX_EPS;
        for i in 0..N {
            l_out[l * N + i] = if flat { 0 } else { levels[i][l] };
        }
        if flat {
            scale[l] = 0.0;
        }
    }
    scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::make_qkx2_quants;

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
        use crate::search::{make_qx_quants, Weights};
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
}

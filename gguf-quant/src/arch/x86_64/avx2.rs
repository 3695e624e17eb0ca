//! The x86-64 AVX2 kernels of the lane-parallel searches, written in
//! intrinsics: each computes, lane by lane, exactly the f32 operations of its
//! portable body in `arch/lanes.rs` (which picks it at run time and documents
//! what it computes), in the same order. Every function here requires AVX2;
//! callers check the CPU first ([`crate::arch::fast_avx2`]). Nothing here
//! knows about blocks or codecs.

use super::super::search::MinSearch;
use super::super::{Iq3Block, IQ3_TRIALS, IQ4_LEVELS, IQ4_MID2, LANES};

/// `nearest_int` on eight lanes: the same float add and bit arithmetic.
#[target_feature(enable = "avx2")]
pub(crate) fn nearest_int_x8(f: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    let bits = _mm256_castps_si256(_mm256_add_ps(f, _mm256_set1_ps(12_582_912.0)));
    _mm256_sub_epi32(
        _mm256_and_si256(bits, _mm256_set1_epi32(0x007f_ffff)),
        _mm256_set1_epi32(0x0040_0000),
    )
}

/// `min_search_x8_body` (`lanes.rs`) written with AVX2 intrinsics, one `__m256` per
/// element holding its eight lanes: the same f32 operations in the same
/// order (every select of the body is a blend, `MIN` is `minps`, whose
/// "first if less, else second" is C's `a < b ? a : b`). LLVM's automatic
/// vectorisation of the body is fragile (a small change scalarised it or
/// added a branch per lane and element); this form is not.
#[target_feature(enable = "avx2")]
pub(crate) fn min_search_x8_intrinsics<const N: usize, const X3: bool>(
    p: MinSearch,
    x: &[f32],
    weights: &[f32],
    l_out: &mut [u8],
) -> [(f32, f32); LANES] {
    use std::arch::x86_64::*;
    assert!(x.len() == N * LANES && weights.len() == N * LANES && l_out.len() == N * LANES);
    let mut xa = [[0f32; LANES]; N];
    let mut wa = [[0f32; LANES]; N];
    for l in 0..LANES {
        for i in 0..N {
            xa[i][l] = x[l * N + i];
            wa[i][l] = weights[l * N + i];
        }
    }
    // SAFETY (all loads and stores below): each pointer is to a whole
    // `[f32; 8]` or `[i32; 8]`, which is exactly one unaligned 256-bit access.
    let load = |a: &[f32; LANES]| unsafe { _mm256_loadu_ps(a.as_ptr()) };
    let xt: [__m256; N] = std::array::from_fn(|i| load(&xa[i]));
    let wt: [__m256; N] = std::array::from_fn(|i| load(&wa[i]));

    let zero = _mm256_setzero_ps();
    let nmaxf = _mm256_set1_ps(p.nmax as f32);
    let nmaxi = _mm256_set1_epi32(p.nmax);
    let zeroi = _mm256_setzero_si256();
    let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let lt = |a: __m256, b: __m256| _mm256_cmp_ps::<_CMP_LT_OQ>(a, b);
    let sel = |mask: __m256, yes: __m256, no: __m256| _mm256_blendv_ps(no, yes, mask);
    let clamp_levels = |q: __m256i| _mm256_min_epi32(_mm256_max_epi32(q, zeroi), nmaxi);
    let error_term = |d: __m256| {
        if p.use_mad {
            _mm256_and_ps(d, abs_mask)
        } else {
            _mm256_mul_ps(d, d)
        }
    };

    let mut min = xt[0];
    let mut max = xt[0];
    let mut sum_w = wt[0];
    let mut sum_x = _mm256_mul_ps(sum_w, xt[0]);
    for i in 1..N {
        let v = xt[i];
        min = sel(lt(v, min), v, min);
        max = sel(lt(max, v), v, max);
        sum_w = _mm256_add_ps(sum_w, wt[i]);
        sum_x = _mm256_add_ps(sum_x, _mm256_mul_ps(wt[i], v));
    }
    min = sel(lt(zero, min), zero, min);
    let flat = if X3 {
        _mm256_cmp_ps::<_CMP_LE_OQ>(max, min)
    } else {
        _mm256_cmp_ps::<_CMP_EQ_OQ>(max, min)
    };
    let range = |min: __m256| _mm256_sub_ps(max, min);
    let mut iscale = _mm256_div_ps(nmaxf, range(min));
    let mut scale = _mm256_div_ps(_mm256_set1_ps(1.0), iscale);
    let mut levels = [zeroi; N];
    let mut best_error = zero;
    for i in 0..N {
        let q = clamp_levels(nearest_int_x8(_mm256_mul_ps(iscale, _mm256_sub_ps(xt[i], min))));
        levels[i] = q;
        let diff = _mm256_sub_ps(
            _mm256_add_ps(_mm256_mul_ps(scale, _mm256_cvtepi32_ps(q)), min),
            xt[i],
        );
        best_error = _mm256_add_ps(best_error, _mm256_mul_ps(wt[i], error_term(diff)));
    }
    if p.nstep >= 1 {
        let mut laux = [zero; N];
        let mut lauxi = [zeroi; N];
        for is in 0..=p.nstep {
            // As in the reference, a better fit found earlier moves `min` for
            // the later trials.
            let numerator = _mm256_set1_ps(p.rmin + p.rdelta * is as f32 + p.nmax as f32);
            iscale = _mm256_div_ps(numerator, range(min));
            let mut sum_l = zero;
            let mut sum_l2 = zero;
            let mut sum_xl = zero;
            for i in 0..N {
                let v = _mm256_mul_ps(iscale, _mm256_sub_ps(xt[i], min));
                let q = if X3 {
                    let r = nearest_int_x8(_mm256_min_ps(v, nmaxf));
                    _mm256_and_si256(r, _mm256_castps_si256(lt(zero, v)))
                } else {
                    clamp_levels(nearest_int_x8(v))
                };
                let lf = _mm256_cvtepi32_ps(q);
                lauxi[i] = q;
                laux[i] = lf;
                let wl = _mm256_mul_ps(wt[i], lf);
                sum_l = _mm256_add_ps(sum_l, wl);
                sum_l2 = _mm256_add_ps(sum_l2, _mm256_mul_ps(wl, lf));
                sum_xl = _mm256_add_ps(sum_xl, _mm256_mul_ps(wl, xt[i]));
            }
            let d = _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_l2), _mm256_mul_ps(sum_l, sum_l));
            let usable = lt(zero, d);
            let mut this_scale = _mm256_div_ps(
                _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_xl), _mm256_mul_ps(sum_x, sum_l)),
                d,
            );
            let mut this_min = _mm256_div_ps(
                _mm256_sub_ps(_mm256_mul_ps(sum_l2, sum_x), _mm256_mul_ps(sum_l, sum_xl)),
                d,
            );
            let positive = lt(zero, this_min);
            this_min = sel(positive, zero, this_min);
            this_scale = sel(positive, _mm256_div_ps(sum_xl, sum_l2), this_scale);
            let mut cur_error = zero;
            for i in 0..N {
                let diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(this_scale, laux[i]), this_min), xt[i]);
                cur_error = _mm256_add_ps(cur_error, _mm256_mul_ps(wt[i], error_term(diff)));
            }
            let better = _mm256_and_ps(usable, lt(cur_error, best_error));
            best_error = sel(better, cur_error, best_error);
            scale = sel(better, this_scale, scale);
            min = sel(better, this_min, min);
            let betteri = _mm256_castps_si256(better);
            for i in 0..N {
                levels[i] = _mm256_blendv_epi8(levels[i], lauxi[i], betteri);
            }
        }
    }
    let mut flat_l = [0f32; LANES];
    let mut min_l = [0f32; LANES];
    let mut scale_l = [0f32; LANES];
    // SAFETY: as for the loads above.
    unsafe {
        _mm256_storeu_ps(flat_l.as_mut_ptr(), flat);
        _mm256_storeu_ps(min_l.as_mut_ptr(), min);
        _mm256_storeu_ps(scale_l.as_mut_ptr(), scale);
    }
    let mut lv = [[0i32; LANES]; N];
    for i in 0..N {
        // SAFETY: as for the loads above.
        unsafe { _mm256_storeu_si256(lv[i].as_mut_ptr().cast(), levels[i]) };
    }
    let mut out = [(0f32, 0f32); LANES];
    for l in 0..LANES {
        let is_flat = flat_l[l].to_bits() != 0;
        for i in 0..N {
            // The reference returns early for a flat sub-block: all levels 0,
            // scale 0.
            l_out[l * N + i] = if is_flat { 0 } else { lv[i][l] as u8 };
        }
        out[l] = (if is_flat { 0.0 } else { scale_l[l] }, -min_l[l]);
    }
    out
}

/// The refinement pass of `make_q3_quants` on sixteen lanes (`Q3Lanes::pass`
/// in `lanes.rs`; its fields `x`, `lv`, `sumlx`, `suml2` passed apart) in AVX2
/// intrinsics: the sixteen lanes as two vectors
/// interleaved, the same f32 operations per lane in the same order.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) fn q3_pass<const N: usize>(
    x: &[[f32; 16]; N],
    lv: &mut [[i32; 16]; N],
    sumlx_io: &mut [f32; 16],
    suml2_io: &mut [f32; 16],
    nmax: i32,
) -> [bool; 16] {
    use std::arch::x86_64::*;
    let zero = _mm256_setzero_ps();
    let lo = _mm256_set1_epi32(-nmax);
    let hi = _mm256_set1_epi32(nmax - 1);
    let lt = |a: __m256, b: __m256| _mm256_cmp_ps::<_CMP_LT_OQ>(a, b);
    // SAFETY (all loads and stores below): each pointer is to eight
    // consecutive f32 or i32 inside a `[_; 16]`, one unaligned 256-bit
    // access.
    let mut sumlx = [0, 8].map(|h| unsafe { _mm256_loadu_ps(sumlx_io[h..].as_ptr()) });
    let mut suml2 = [0, 8].map(|h| unsafe { _mm256_loadu_ps(suml2_io[h..].as_ptr()) });
    let mut changed = [_mm256_setzero_si256(); 2];
    for i in 0..N {
        for h in 0..2 {
            let xi = unsafe { _mm256_loadu_ps(x[i][8 * h..].as_ptr()) };
            let li = unsafe { _mm256_loadu_si256(lv[i][8 * h..].as_ptr().cast()) };
            let lf = _mm256_cvtepi32_ps(li);
            let w = _mm256_mul_ps(xi, xi);
            let wx = _mm256_mul_ps(w, xi);
            let slx0 = _mm256_sub_ps(sumlx[h], _mm256_mul_ps(wx, lf));
            let sl20 = _mm256_sub_ps(suml2[h], _mm256_mul_ps(_mm256_mul_ps(w, lf), lf));
            let t = _mm256_div_ps(_mm256_mul_ps(xi, sl20), slx0);
            let new_l = _mm256_min_epi32(_mm256_max_epi32(nearest_int_x8(t), lo), hi);
            let nf = _mm256_cvtepi32_ps(new_l);
            let slx = _mm256_add_ps(slx0, _mm256_mul_ps(wx, nf));
            let sl2 = _mm256_add_ps(sl20, _mm256_mul_ps(_mm256_mul_ps(w, nf), nf));
            let gain = lt(
                _mm256_mul_ps(_mm256_mul_ps(sumlx[h], sumlx[h]), sl2),
                _mm256_mul_ps(_mm256_mul_ps(slx, slx), suml2[h]),
            );
            let same = _mm256_castsi256_ps(_mm256_cmpeq_epi32(new_l, li));
            let take = _mm256_andnot_ps(
                same,
                _mm256_and_ps(_mm256_and_ps(lt(zero, slx0), lt(zero, sl2)), gain),
            );
            sumlx[h] = _mm256_blendv_ps(sumlx[h], slx, take);
            suml2[h] = _mm256_blendv_ps(suml2[h], sl2, take);
            let takei = _mm256_castps_si256(take);
            let next = _mm256_blendv_epi8(li, new_l, takei);
            unsafe { _mm256_storeu_si256(lv[i][8 * h..].as_mut_ptr().cast(), next) };
            changed[h] = _mm256_or_si256(changed[h], takei);
        }
    }
    let mut flags = [0i32; 16];
    for h in 0..2 {
        unsafe {
            _mm256_storeu_ps(sumlx_io[8 * h..].as_mut_ptr(), sumlx[h]);
            _mm256_storeu_ps(suml2_io[8 * h..].as_mut_ptr(), suml2[h]);
            _mm256_storeu_si256(flags[8 * h..].as_mut_ptr().cast(), changed[h]);
        }
    }
    flags.map(|f| f != 0)
}

/// `iq4_absmax` (`lanes.rs`) in AVX2 intrinsics, without a branch per value: the
/// running `if |x| > amax` keeps the largest |x| (a NaN never passes), so
/// `amax` is the maximum of the non-NaN |x| and `max` the first value whose
/// |x| equals it.
#[target_feature(enable = "avx2")]
pub(crate) fn iq4_absmax_avx2(x: &[f32; 32]) -> (f32, f32) {
    use std::arch::x86_64::*;
    let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    // SAFETY: eight f32 of `x` each, one unaligned 256-bit load.
    let a: [__m256; 4] =
        std::array::from_fn(|v| _mm256_and_ps(abs_mask, unsafe { _mm256_loadu_ps(x[LANES * v..].as_ptr()) }));
    // `maxps` returns its second operand when the first is NaN.
    let mut m = _mm256_setzero_ps();
    for v in a {
        m = _mm256_max_ps(v, m);
    }
    m = _mm256_max_ps(m, _mm256_permute2f128_ps::<1>(m, m));
    m = _mm256_max_ps(m, _mm256_shuffle_ps::<0b01_00_11_10>(m, m));
    m = _mm256_max_ps(m, _mm256_shuffle_ps::<0b10_11_00_01>(m, m));
    let amax = _mm256_cvtss_f32(m);
    if amax == 0.0 {
        return (0.0, 0.0);
    }
    let mut hits = 0u32;
    for (v, &av) in a.iter().enumerate() {
        hits |= (_mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(av, m)) as u32) << (LANES * v);
    }
    (x[hits.trailing_zeros() as usize], amax)
}

/// `best_index_int8` on eight lanes: the binary search of `numerics.rs`
/// (`x + x >= MID2[idx + step]` for steps 8, 4, 2, 1), each step's
/// midpoint looked up per lane with a permute → the index, negated, and
/// its level. The index is built from the comparison masks (−1 for true)
/// as `n = 2n + mask`, which gives `−idx`; a permute reads the low three
/// bits of `n`, so the tables hold entry `k` at lane `−k & 7`. NaN fails
/// every comparison, giving index 0 as the scalar search does.
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn iq4_index_x8(
    x: std::arch::x86_64::__m256,
) -> (std::arch::x86_64::__m256i, std::arch::x86_64::__m256) {
    use std::arch::x86_64::*;
    let m = &IQ4_MID2;
    let v = &IQ4_LEVELS;
    let x2 = _mm256_add_ps(x, x);
    // Not less than: true for NaN, as in the scalar search.
    let ge = |t: __m256| _mm256_cmp_ps::<_CMP_NLT_UQ>(x2, t);
    let step = |n: __m256i, mask: __m256| _mm256_add_epi32(_mm256_add_epi32(n, n), _mm256_castps_si256(mask));
    // Step 8: MID2[8]; step 4: MID2[4] or MID2[12].
    let s8 = ge(_mm256_set1_ps(m[8]));
    let s4 = ge(_mm256_blendv_ps(_mm256_set1_ps(m[4]), _mm256_set1_ps(m[12]), s8));
    // Step 2: MID2[4k + 2], k = 2·b8 + b4.
    let n2 = step(_mm256_castps_si256(s8), s4);
    let t2 = _mm256_setr_ps(m[2], 0.0, 0.0, 0.0, 0.0, m[14], m[10], m[6]);
    let s2 = ge(_mm256_permutevar8x32_ps(t2, n2));
    // Step 1: MID2[2k + 1], k = 4·b8 + 2·b4 + b2.
    let n1 = step(n2, s2);
    let t1 = _mm256_setr_ps(m[1], m[15], m[13], m[11], m[9], m[7], m[5], m[3]);
    let s1 = ge(_mm256_permutevar8x32_ps(t1, n1));
    // The level kv[idx]: entry idx & 7 of the lower or the upper half.
    let n0 = step(n1, s1);
    let lo = _mm256_setr_ps(v[0], v[7], v[6], v[5], v[4], v[3], v[2], v[1]);
    let hi = _mm256_setr_ps(v[8], v[15], v[14], v[13], v[12], v[11], v[10], v[9]);
    let q = _mm256_blendv_ps(
        _mm256_permutevar8x32_ps(lo, n0),
        _mm256_permutevar8x32_ps(hi, n0),
        s8,
    );
    (n0, q)
}

/// `iq4_sums_body` (`lanes.rs`) in AVX2 intrinsics: the sixteen scales as two vectors,
/// each value of the block broadcast; the same f32 operations per lane in
/// the same order.
#[target_feature(enable = "avx2")]
pub(crate) fn iq4_sums_avx2(ids: &[f32; 16], x: &[f32; 32], w: &[f32; 32]) -> ([f32; 16], [f32; 16]) {
    use std::arch::x86_64::*;
    // SAFETY (all loads and stores below): each pointer is to eight
    // consecutive f32 of a `[f32; 16]`, one unaligned 256-bit access.
    let id = [0, 8].map(|h| unsafe { _mm256_loadu_ps(ids[h..].as_ptr()) });
    let mut sumqx = [_mm256_setzero_ps(); 2];
    let mut sumq2 = [_mm256_setzero_ps(); 2];
    for j in 0..32 {
        let xj = _mm256_set1_ps(x[j]);
        let wj = _mm256_set1_ps(w[j]);
        for h in 0..2 {
            let (_, q) = iq4_index_x8(_mm256_mul_ps(id[h], xj));
            let wq = _mm256_mul_ps(wj, q);
            sumqx[h] = _mm256_add_ps(sumqx[h], _mm256_mul_ps(wq, xj));
            sumq2[h] = _mm256_add_ps(sumq2[h], _mm256_mul_ps(wq, q));
        }
    }
    let mut out = ([0f32; 16], [0f32; 16]);
    for h in 0..2 {
        unsafe {
            _mm256_storeu_ps(out.0[8 * h..].as_mut_ptr(), sumqx[h]);
            _mm256_storeu_ps(out.1[8 * h..].as_mut_ptr(), sumq2[h]);
        }
    }
    out
}

/// `iq4_quantize` (`lanes.rs`) in AVX2 intrinsics: eight indices at a time, the
/// nibbles joined and narrowed to bytes in registers.
#[target_feature(enable = "avx2")]
pub(crate) fn iq4_quantize_avx2(id: f32, x: &[f32; 32], qs: &mut [u8; 16]) {
    use std::arch::x86_64::*;
    let idv = _mm256_set1_ps(id);
    let idx: [__m256i; 4] = std::array::from_fn(|v| {
        // SAFETY: eight f32 of `x`, one unaligned 256-bit load.
        let xv = unsafe { _mm256_loadu_ps(x[LANES * v..].as_ptr()) };
        _mm256_sub_epi32(_mm256_setzero_si256(), iq4_index_x8(_mm256_mul_ps(idv, xv)).0)
    });
    // Values j and 16 + j in one byte; then 32-bit lanes to bytes (the
    // packs work per 128-bit half; the permute restores the order).
    let lo = _mm256_or_si256(idx[0], _mm256_slli_epi32::<4>(idx[2]));
    let hi = _mm256_or_si256(idx[1], _mm256_slli_epi32::<4>(idx[3]));
    let w16 = _mm256_packus_epi32(lo, hi);
    let b8 = _mm256_packus_epi16(w16, w16);
    let ordered = _mm256_permutevar8x32_epi32(b8, _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0));
    // SAFETY: `qs` is 16 bytes, one unaligned 128-bit store.
    unsafe { _mm_storeu_si128(qs.as_mut_ptr().cast(), _mm256_castsi256_si128(ordered)) };
}

/// `iq3_best_neighbour_portable` (`lanes.rs`) in AVX2 intrinsics: the distances of
/// eight candidates per vector (the same f32 operations per lane in the
/// same order; `scale·q` looked up per lane from the eight products
/// `scale·(2l + 1)`, which are the same multiplications), then the first
/// lane holding the smallest candidate distance.
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn iq3_best_neighbour_avx2(
    blocks: &[Iq3Block],
    n: usize,
    x: &[f32; 4],
    w: &[f32; 4],
    scale: f32,
) -> usize {
    use std::arch::x86_64::*;
    let sq = _mm256_mul_ps(
        _mm256_set1_ps(scale),
        _mm256_setr_ps(1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0),
    );
    let fmax = _mm256_set1_ps(f32::MAX);
    let inf = _mm256_set1_ps(f32::INFINITY);
    let iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    // Distances of block `k`'s candidates, +inf where a lane is past `n`,
    // NaN, or not below f32::MAX (which the scan never takes).
    let distances = |k: usize| {
        // SAFETY: a block is eight u32, one unaligned 256-bit load.
        let v = unsafe { _mm256_loadu_si256(blocks[k].as_ptr().cast()) };
        // The permute reads the low three bits of each lane: level `c`
        // after shifting it down.
        let coord = |l: __m256i, c: usize| {
            let diff = _mm256_sub_ps(_mm256_permutevar8x32_ps(sq, l), _mm256_set1_ps(x[c]));
            _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(w[c]), diff), diff)
        };
        let mut d2 = _mm256_add_ps(_mm256_setzero_ps(), coord(v, 0));
        d2 = _mm256_add_ps(d2, coord(_mm256_srli_epi32::<8>(v), 1));
        d2 = _mm256_add_ps(d2, coord(_mm256_srli_epi32::<16>(v), 2));
        d2 = _mm256_add_ps(d2, coord(_mm256_srli_epi32::<24>(v), 3));
        let valid = _mm256_cmpgt_epi32(_mm256_set1_epi32((n - LANES * k) as i32), iota);
        let cand = _mm256_and_ps(_mm256_castsi256_ps(valid), _mm256_cmp_ps::<_CMP_LT_OQ>(d2, fmax));
        _mm256_blendv_ps(inf, d2, cand)
    };
    // The smallest of eight lanes, in every lane (no NaN is left).
    let hmin = |v: __m256| {
        let v = _mm256_min_ps(v, _mm256_permute2f128_ps::<1>(v, v));
        let v = _mm256_min_ps(v, _mm256_shuffle_ps::<0b01_00_11_10>(v, v));
        _mm256_min_ps(v, _mm256_shuffle_ps::<0b10_11_00_01>(v, v))
    };
    let first = |d: __m256, low: __m256| _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(d, low));
    let none = |low: __m256| _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(low, fmax)) == 0;
    if blocks.len() == 1 {
        // Most lists: eight candidates or fewer.
        let d = distances(0);
        let low = hmin(d);
        if none(low) {
            return 0;
        }
        return first(d, low).trailing_zeros() as usize;
    }
    let mut dm = [inf; 8];
    let mut low = inf;
    for (k, d) in dm.iter_mut().enumerate().take(blocks.len()) {
        *d = distances(k);
        low = _mm256_min_ps(low, *d);
    }
    low = hmin(low);
    if none(low) {
        return 0;
    }
    let mut k = 0;
    loop {
        let hit = first(dm[k], low);
        if hit != 0 {
            return LANES * k + hit.trailing_zeros() as usize;
        }
        k += 1;
    }
}

/// `iq3_levels_portable` (`lanes.rs`) in AVX2 intrinsics: the same f32 operations,
/// eight values at a time; the indices by shifting and horizontal adds.
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn iq3_levels_avx2(id: f32, x: &[f32; 32], l: &mut [i8; 32]) -> [u16; 8] {
    use std::arch::x86_64::*;
    let idv = _mm256_set1_ps(id);
    let half = _mm256_set1_ps(0.5);
    let one = _mm256_set1_ps(1.0);
    let r: [__m256i; 4] = std::array::from_fn(|v| {
        // SAFETY: eight f32 of `x`, one unaligned 256-bit load.
        let xv = unsafe { _mm256_loadu_ps(x[LANES * v..].as_ptr()) };
        let t = _mm256_mul_ps(half, _mm256_sub_ps(_mm256_mul_ps(idv, xv), one));
        _mm256_min_epi32(
            _mm256_max_epi32(nearest_int_x8(t), _mm256_setzero_si256()),
            _mm256_set1_epi32(7),
        )
    });
    // Levels to bytes: the packs interleave 128-bit halves; the permute
    // restores the order.
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let bytes = _mm256_permutevar8x32_epi32(
        _mm256_packs_epi16(_mm256_packs_epi32(r[0], r[1]), _mm256_packs_epi32(r[2], r[3])),
        order,
    );
    // SAFETY: `l` is 32 bytes, one unaligned 256-bit store.
    unsafe { _mm256_storeu_si256(l.as_mut_ptr().cast(), bytes) };
    // Indices: level c shifted by 3c, the four of a group added (the bits
    // do not overlap); the adds leave groups in order 0 2 4 6 1 3 5 7.
    let shift = _mm256_setr_epi32(0, 3, 6, 9, 0, 3, 6, 9);
    let s = r.map(|v| _mm256_sllv_epi32(v, shift));
    let sum = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
    let mut u = [0u32; 8];
    // SAFETY: `u` is eight u32, one unaligned 256-bit store.
    unsafe { _mm256_storeu_si256(u.as_mut_ptr().cast(), _mm256_permutevar8x32_epi32(sum, order)) };
    u.map(|v| v as u16)
}

/// `iq3_trial_sums` (`lanes.rs`) in AVX2 intrinsics: eight trials' levels at a time
/// transposed in registers (bytes, then pairs, quads, octets: the
/// unpacks leave value `j` of the eight trials in one 64-bit piece), then
/// the same f32 operations per lane in the same order.
#[target_feature(enable = "avx2")]
pub(crate) fn iq3_trial_sums_avx2(
    wx: &[f32; 32],
    w: &[f32; 32],
    l: &[[i8; 32]; IQ3_TRIALS],
) -> ([f32; IQ3_TRIALS], [f32; IQ3_TRIALS]) {
    use std::arch::x86_64::*;
    let mut out = ([0f32; IQ3_TRIALS], [0f32; IQ3_TRIALS]);
    for (tb, rows) in l.chunks_exact(LANES).enumerate() {
        // SAFETY: each row is 32 bytes, one unaligned 256-bit load.
        let r: [__m256i; 8] = std::array::from_fn(|i| unsafe { _mm256_loadu_si256(rows[i].as_ptr().cast()) });
        // Per 128-bit half (values 0..16 low, 16..32 high).
        let b: [__m256i; 8] = std::array::from_fn(|i| {
            let (x, y) = (r[2 * (i / 2)], r[2 * (i / 2) + 1]);
            if i % 2 == 0 {
                _mm256_unpacklo_epi8(x, y)
            } else {
                _mm256_unpackhi_epi8(x, y)
            }
        });
        // b[0]: trials 0,1 at values 0..8; b[1]: 8..16; b[2], b[3]: trials
        // 2,3; … Pairs of pairs: quads of trials 0..4 and 4..8.
        let quad = |lo: usize, hi: bool| {
            let (x, y) = (b[lo], b[lo + 2]);
            if hi {
                _mm256_unpackhi_epi16(x, y)
            } else {
                _mm256_unpacklo_epi16(x, y)
            }
        };
        let mut q = [_mm256_setzero_ps(); 32];
        // (first value in the low half, quads of trials 0..4 and 4..8)
        for (j0, src, hi) in [(0, 0, false), (4, 0, true), (8, 1, false), (12, 1, true)] {
            let (q03, q47) = (quad(src, hi), quad(4 + src, hi));
            for (dj, e) in [
                (0, _mm256_unpacklo_epi32(q03, q47)),
                (2, _mm256_unpackhi_epi32(q03, q47)),
            ] {
                let halves = [_mm256_castsi256_si128(e), _mm256_extracti128_si256::<1>(e)];
                for (h, half) in halves.into_iter().enumerate() {
                    for (k, piece) in [half, _mm_srli_si128::<8>(half)].into_iter().enumerate() {
                        let li = _mm256_cvtepi8_epi32(piece);
                        let odd = _mm256_add_epi32(_mm256_add_epi32(li, li), _mm256_set1_epi32(1));
                        q[j0 + dj + k + 16 * h] = _mm256_cvtepi32_ps(odd);
                    }
                }
            }
        }
        let mut sumqx = _mm256_setzero_ps();
        let mut sumq2 = _mm256_setzero_ps();
        for j in 0..32 {
            sumqx = _mm256_add_ps(sumqx, _mm256_mul_ps(_mm256_set1_ps(wx[j]), q[j]));
            sumq2 = _mm256_add_ps(
                sumq2,
                _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(w[j]), q[j]), q[j]),
            );
        }
        // SAFETY: eight f32 of a `[f32; IQ3_TRIALS]`, one unaligned 256-bit
        // store each.
        unsafe {
            _mm256_storeu_ps(out.0[LANES * tb..].as_mut_ptr(), sumqx);
            _mm256_storeu_ps(out.1[LANES * tb..].as_mut_ptr(), sumq2);
        }
    }
    out
}

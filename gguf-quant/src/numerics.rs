//! Scalar number conversions exactly as ggml does them: f32↔f16, f32↔bf16,
//! E8M0, `nearest_int` and C's float→int casts as x86-64 executes them.
//!
//! Nothing here knows about blocks; see the codec families under `family/`.
//! Also here: the IQ4 level table and its nearest-level search, which the
//! IQ4 codec and its lane search share.

/// f32 → IEEE binary16 bits, as `ggml_compute_fp32_to_fp16` (the portable
/// code by Maratyszcza that ggml-quants.c uses).
///
/// Round to nearest even, subnormals included, overflow to ±Inf, and every
/// NaN becomes `sign | 0x7E00` (the payload is dropped). `half` agrees on
/// every non-NaN input but keeps NaN payload bits, so it is not used here.
#[inline]
pub fn fp32_to_fp16(f: f32) -> u16 {
    let scale_to_inf = f32::from_bits(0x7780_0000); // 2^112
    let scale_to_zero = f32::from_bits(0x0880_0000); // 2^-110
    let mut base = (f.abs() * scale_to_inf) * scale_to_zero;
    let w = f.to_bits();
    let shl1_w = w.wrapping_add(w);
    let sign = w & 0x8000_0000;
    let mut bias = shl1_w & 0xFF00_0000;
    if bias < 0x7100_0000 {
        bias = 0x7100_0000;
    }
    // IEEE addition is commutative, so this is C's `base = bits(...) + base`.
    base += f32::from_bits((bias >> 1) + 0x0780_0000);
    let bits = base.to_bits();
    let exp_bits = (bits >> 13) & 0x0000_7C00;
    let mantissa_bits = bits & 0x0000_0FFF;
    let nonsign = exp_bits + mantissa_bits;
    ((sign >> 16) | if shl1_w > 0xFF00_0000 { 0x7E00 } else { nonsign }) as u16
}

/// IEEE binary16 bits → f32, exact (`ggml_compute_fp16_to_fp32`). NaNs come
/// out quiet with their payload kept, as ggml's conversion does.
#[inline]
pub fn fp16_to_fp32(h: u16) -> f32 {
    half::f16::from_bits(h).to_f32()
}

/// f32 → bfloat16 bits, as `ggml_compute_fp32_to_bf16`: round to nearest
/// even, NaN becomes `(bits >> 16) | 0x40` (quiet), no flush to zero.
#[inline]
pub fn fp32_to_bf16(f: f32) -> u16 {
    let u = f.to_bits();
    if (u & 0x7fff_ffff) > 0x7f80_0000 {
        return ((u >> 16) | 64) as u16;
    }
    (u.wrapping_add(0x7fff + ((u >> 16) & 1)) >> 16) as u16
}

/// bfloat16 bits → f32, exact.
#[inline]
pub fn bf16_to_fp32(h: u16) -> f32 {
    f32::from_bits(u32::from(h) << 16)
}

/// An E8M0 exponent byte → `2^(e − 128)`, half the E8M0 value, as
/// `ggml_e8m0_to_fp32_half` (MXFP4 stores doubled E2M1 values). `e` < 2 gives
/// the subnormals 2^-128 and 2^-127; 0xFF is not treated as NaN.
#[inline]
pub fn e8m0_to_fp32_half(e: u8) -> f32 {
    let bits = if e < 2 {
        0x0020_0000u32 << e
    } else {
        u32::from(e - 1) << 23
    };
    f32::from_bits(bits)
}

/// ggml's `nearest_int`: add 1.5·2²³ and read the low mantissa bits.
///
/// Round half to even for |f| ≤ 4194303; outside that range (and for NaN)
/// it returns the same wrapped value ggml does, since ggml compiles the range
/// assert out.
#[inline]
pub fn nearest_int(f: f32) -> i32 {
    let val = f + 12_582_912.0;
    (val.to_bits() as i32 & 0x007f_ffff) - 0x0040_0000
}

/// C's float → int conversion as x86-64 executes it (`cvttss2si`): truncate
/// toward zero, and NaN or out-of-range values give `i32::MIN`. Narrower C
/// casts (`(int8_t)`, `(uint8_t)`) take the low bits of this.
#[inline]
pub fn c_trunc_i32(f: f32) -> i32 {
    if !(-2_147_483_648.0..2_147_483_648.0).contains(&f) {
        i32::MIN
    } else {
        f as i32
    }
}

/// C's `roundf` (half away from zero) followed by an integer cast, as
/// `y = roundf(x)` into an integer does on x86-64.
#[inline]
pub fn c_round_i32(f: f32) -> i32 {
    // Below 2^23 in magnitude, compute it without calling libm's roundf.
    if f.abs() < 8_388_608.0 {
        round_below_2_23(f)
    } else {
        c_trunc_i32(f.round())
    }
}

/// [`c_round_i32`] for `|f| < 2^23` (any other input gives some value, never
/// a panic): branch-free, so loops over it vectorise. Callers check the
/// range for a whole block and fall back to [`c_round_i32`] otherwise.
#[inline(always)]
pub fn round_below_2_23(f: f32) -> i32 {
    // Truncate, then step away from zero when the dropped part is at least
    // one half. `f - trunc(f)` is exact here (Sterbenz), so this is roundf.
    let t = f as i32;
    let frac = f - t as f32;
    // Wrapping: out of range, `t` may be i32::MAX with `frac` infinite.
    t.wrapping_add(i32::from(frac >= 0.5))
        .wrapping_sub(i32::from(frac <= -0.5))
}

/// ggml's `MAX(a, b)` macro on floats: `a > b ? a : b` (so a NaN in `b` wins,
/// a NaN in `a` loses).
#[inline]
pub(crate) fn c_max(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// ggml's `MIN(a, b)` macro on floats: `a < b ? a : b`.
#[inline]
pub(crate) fn c_min(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

/// Reads the little-endian f16 at `b[at..at + 2]` as f32.
#[inline]
pub(crate) fn read_f16(b: &[u8], at: usize) -> f32 {
    fp16_to_fp32(u16::from_le_bytes([b[at], b[at + 1]]))
}

/// Writes `f` rounded to f16, little-endian, at `b[at..at + 2]`.
#[inline]
pub(crate) fn write_f16(b: &mut [u8], at: usize, f: f32) {
    b[at..at + 2].copy_from_slice(&fp32_to_fp16(f).to_le_bytes());
}

/// The value with the largest magnitude (the first one on ties) and that
/// magnitude: ggml's `if (ax > amax) { amax = ax; max = x[i]; }` walk from
/// 0 (a NaN never wins).
#[inline]
pub(crate) fn signed_absmax(x: &[f32]) -> (f32, f32) {
    let mut amax = 0.0f32;
    let mut max = 0.0f32;
    for &v in x {
        let ax = v.abs();
        if ax > amax {
            amax = ax;
            max = v;
        }
    }
    (max, amax)
}

/// ggml's `amax = MAX(amax, fabsf(x[j]))` over a block, starting from 0.
pub(crate) fn c_absmax(x: &[f32]) -> f32 {
    // Without NaN, `MAX` is an ordinary maximum, so eight running maxima
    // (one vector) give the same result; a NaN makes the result depend on
    // where it stands, so then take ggml's order.
    let mut lanes = [0.0f32; 8];
    let mut nan = false;
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (m, &v) in lanes.iter_mut().zip(c) {
            let a = v.abs();
            nan |= a.is_nan();
            *m = if a > *m { a } else { *m };
        }
    }
    if nan || !chunks.remainder().is_empty() {
        let mut amax = 0.0f32;
        for &v in x {
            amax = c_max(amax, v.abs());
        }
        return amax;
    }
    lanes.into_iter().fold(0.0, f32::max)
}

// ---------------------------------------------------------------- IQ4 levels

// The IQ4 level table and its nearest-level search, shared by the IQ4_NL /
// IQ4_XS codec (`family/iq4.rs`) and its lane search (`arch`).

/// `kvalues_iq4nl`: the 16 non-linear levels of IQ4_NL and IQ4_XS.
pub(crate) const KVALUES_IQ4NL: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];

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

#[cfg(test)]
mod tests {
    use super::*;

    /// ggml's `ggml_compute_fp16_to_fp32`, transcribed, to check `half` against.
    fn ggml_fp16_to_fp32(h: u16) -> f32 {
        let w = u32::from(h) << 16;
        let sign = w & 0x8000_0000;
        let two_w = w.wrapping_add(w);
        let exp_offset = 0xE0u32 << 23;
        let exp_scale = f32::from_bits(0x0780_0000); // 2^-112
        let normalized = f32::from_bits((two_w >> 4) + exp_offset) * exp_scale;
        let magic_mask = 126u32 << 23;
        let denormalized = f32::from_bits((two_w >> 17) | magic_mask) - 0.5;
        let cutoff = 1u32 << 27;
        f32::from_bits(
            sign | if two_w < cutoff {
                denormalized.to_bits()
            } else {
                normalized.to_bits()
            },
        )
    }

    #[test]
    fn half_decodes_every_f16_like_ggml() {
        for h in 0..=u16::MAX {
            assert_eq!(
                fp16_to_fp32(h).to_bits(),
                ggml_fp16_to_fp32(h).to_bits(),
                "{h:#06x}"
            );
        }
    }

    #[test]
    fn f16_round_trips_every_value() {
        for h in 0..=u16::MAX {
            let f = fp16_to_fp32(h);
            let back = fp32_to_fp16(f);
            if f.is_nan() {
                assert_eq!(back & 0x7fff, 0x7e00, "{h:#06x}");
                assert_eq!(back & 0x8000, h & 0x8000);
            } else {
                assert_eq!(back, h, "{h:#06x}");
            }
        }
    }

    #[test]
    fn f16_matches_half_except_nan_payloads() {
        // A sweep over f32 bit patterns (every 4099th one covers all exponents
        // with varied mantissas and both signs).
        let mut bits = 0u32;
        loop {
            let f = f32::from_bits(bits);
            let ours = fp32_to_fp16(f);
            if f.is_nan() {
                assert_eq!(ours, ((bits >> 16) & 0x8000) as u16 | 0x7e00);
            } else {
                assert_eq!(ours, half::f16::from_f32(f).to_bits(), "{bits:#010x}");
            }
            match bits.checked_add(4099) {
                Some(b) => bits = b,
                None => break,
            }
        }
        // Ties round to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
        assert_eq!(fp32_to_fp16(1.0 + f32::powi(2.0, -11)), 0x3c00);
        assert_eq!(fp32_to_fp16(65520.0), 0x7c00);
        assert_eq!(fp32_to_fp16(f32::from_bits(0xffc1_2345)), 0xfe00);
    }

    #[test]
    fn bf16_rounding_and_nan() {
        assert_eq!(fp32_to_bf16(1.0), 0x3f80);
        assert_eq!(fp32_to_bf16(f32::from_bits(0x3f80_8000)), 0x3f80); // tie, even
        assert_eq!(fp32_to_bf16(f32::from_bits(0x3f81_8000)), 0x3f82); // tie, to even
        assert_eq!(fp32_to_bf16(f32::from_bits(0x7f80_0001)), 0x7fc0);
        assert_eq!(fp32_to_bf16(f32::from_bits(0x0000_0001)), 0x0000); // no FTZ trickery
        assert_eq!(fp32_to_bf16(f32::from_bits(0x0001_8000)), 0x0002);
        assert_eq!(fp32_to_bf16(f32::MAX), 0x7f80);
        assert_eq!(bf16_to_fp32(0x3f80), 1.0);
    }

    #[test]
    fn absmax_matches_ggml_order() {
        let sequential = |x: &[f32]| x.iter().fold(0.0f32, |m, v| c_max(m, v.abs()));
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for len in [1, 7, 8, 16, 31, 32, 33, 256] {
            for case in 0..400 {
                let mut x: Vec<f32> = (0..len).map(|_| (next() >> 40) as f32 / 1e5 - 80.0).collect();
                // Specials at random places: NaN (where it stands matters),
                // infinities, zeros of both signs.
                for _ in 0..case % 4 {
                    let i = next() as usize % len;
                    x[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0][next() as usize % 5];
                }
                let (a, b) = (c_absmax(&x), sequential(&x));
                assert_eq!(a.to_bits(), b.to_bits(), "{x:?}");
            }
        }
    }

    #[test]
    fn nearest_int_is_half_even() {
        assert_eq!(nearest_int(0.5), 0);
        assert_eq!(nearest_int(1.5), 2);
        assert_eq!(nearest_int(2.5), 2);
        assert_eq!(nearest_int(-0.5), 0);
        assert_eq!(nearest_int(-1.5), -2);
        assert_eq!(nearest_int(-7.49), -7);
        assert_eq!(nearest_int(4_194_303.0), 4_194_303);
    }

    #[test]
    fn c_casts() {
        assert_eq!(c_trunc_i32(-0.9), 0);
        assert_eq!(c_trunc_i32(f32::NAN), i32::MIN);
        assert_eq!(c_trunc_i32(3e9), i32::MIN);
        assert_eq!(c_round_i32(-2.5), -3);
        // The fast path agrees with roundf + cast everywhere it applies.
        let mut x = 0x1234_5678u32;
        for _ in 0..2_000_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let f = f32::from_bits(x) % 9_000_000.0;
            for v in [f, f.trunc() + 0.5, f.trunc() - 0.5, -f] {
                assert_eq!(c_round_i32(v), c_trunc_i32(v.round()), "{v}");
            }
        }
        for v in [
            0.49999997f32,
            -0.49999997,
            0.5,
            -0.5,
            8_388_607.5,
            -8_388_607.5,
            -0.0,
            1e-45,
        ] {
            assert_eq!(c_round_i32(v), c_trunc_i32(v.round()), "{v}");
        }
        assert_eq!(e8m0_to_fp32_half(128), 1.0);
        // 2^-128 and 2^-127 are subnormal: 2^-149 · 2^21 and · 2^22.
        assert_eq!(e8m0_to_fp32_half(0), f32::from_bits(1 << 21));
        assert_eq!(e8m0_to_fp32_half(1), f32::from_bits(1 << 22));
        assert_eq!(e8m0_to_fp32_half(2), f32::from_bits(1 << 23));
    }

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

//! Property tests: decode(encode(x)) stays within a per-type error bound, and
//! no input — NaN, infinities, huge or subnormal values, arbitrary bytes —
//! makes any codec panic.
//!
//! Bounds are relative to the largest magnitude in each block (256 elements
//! for K-quants and ternary types, 32 for legacy types), for inputs whose
//! scales fit comfortably in f16. They are a little above the worst errors
//! measured over 20 000 random rows of four distributions.

use gguf_format::GgmlType;
use gguf_quant::{codec, codecs, decode_row, encode_row, validate_row};
use proptest::prelude::*;

/// (type, bound without imatrix, bound with an imatrix in [0.5, 2]).
const BOUNDS: &[(GgmlType, f32, f32)] = &[
    (GgmlType::Q4_0, 0.14, 0.25),
    (GgmlType::Q4_1, 0.08, 0.2),
    (GgmlType::Q5_0, 0.07, 0.13),
    (GgmlType::Q5_1, 0.04, 0.1),
    (GgmlType::Q8_0, 0.005, 0.005),
    (GgmlType::Q2_K, 0.6, 0.8),
    (GgmlType::Q3_K, 0.4, 0.5),
    (GgmlType::Q4_K, 0.18, 0.25),
    (GgmlType::Q5_K, 0.1, 0.13),
    (GgmlType::Q6_K, 0.05, 0.07),
    (GgmlType::Q8_K, 0.005, 0.005),
    (GgmlType::TQ1_0, 0.51, 0.51),
    (GgmlType::TQ2_0, 0.51, 0.51),
    (GgmlType::MXFP4, 0.26, 0.26),
    (GgmlType::Q2_0, 0.51, 0.51),
    (GgmlType::IQ4_NL, 0.2, 0.3),
    (GgmlType::IQ4_XS, 0.2, 0.3),
    (GgmlType::Q1_0, 2.0, 2.0),
    // UE4M3 scales have 3 mantissa bits and go subnormal below 2^-6 · 6, so
    // small blocks can lose everything: only "no blow-ups" is checked.
    (GgmlType::NVFP4, 1.0, 1.0),
    // Lattice types: 1-3 bits, some with forced sign parity; worst errors
    // measured around 1.2× the super-block maximum for IQ2/IQ3, so these
    // mostly check for blow-ups.
    (GgmlType::IQ2_XXS, 0.0, 1.5),
    (GgmlType::IQ2_XS, 0.0, 1.5),
    (GgmlType::IQ2_S, 1.0, 1.0),
    (GgmlType::IQ3_XXS, 1.2, 1.2),
    (GgmlType::IQ3_S, 0.7, 0.7),
    (GgmlType::IQ1_S, 0.0, 2.0),
    (GgmlType::IQ1_M, 2.0, 2.0),
];

/// A row of 256 values: one of a few shapes, scaled by 10^[-2, 3].
fn row() -> impl Strategy<Value = Vec<f32>> {
    (prop::collection::vec(-1.0f32..1.0, 256), -2.0f32..3.0, 0..4u8).prop_map(|(u, exp, shape)| {
        let s = 10f32.powf(exp);
        u.iter()
            .enumerate()
            .map(|(i, &v)| {
                s * match shape {
                    0 => v,
                    1 => v * v * v,
                    2 if i % 37 == 0 => v * 20.0,
                    3 => v.abs() + 0.3,
                    _ => v,
                }
            })
            .collect()
    })
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(0.0f32),
        Just(-0.0f32),
        Just(f32::MAX),
        Just(f32::MIN_POSITIVE / 4.0),
        -1e30f32..1e30,
        -1.0f32..1.0,
    ]
}

fn check_bound(ty: GgmlType, x: &[f32], y: &[f32], bound: f32) -> Result<(), TestCaseError> {
    let bs = codec(ty).unwrap().block_size.max(32);
    for (b, (xs, ys)) in x.chunks(bs).zip(y.chunks(bs)).enumerate() {
        let amax = xs.iter().fold(0f32, |a, v| a.max(v.abs()));
        for (i, (a, b2)) in xs.iter().zip(ys).enumerate() {
            let err = (a - b2).abs();
            prop_assert!(
                err <= bound * amax,
                "{ty}: block {b} element {i}: {a} decoded as {b2}, error {err} > {bound}·{amax}"
            );
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn round_trip_error_is_bounded(x in row(), im in prop::collection::vec(0.5f32..2.0, 256)) {
        for &(ty, bound, wbound) in BOUNDS {
            let c = codec(ty).unwrap();
            let mut q = vec![0u8; c.row_size(256).unwrap()];
            let mut y = vec![0f32; 256];
            if !c.requires_imatrix() {
                encode_row(ty, &x, &mut q, None).unwrap();
                prop_assert!(validate_row(ty, &q).is_ok(), "{ty}: encoded data fails validation");
                decode_row(ty, &q, &mut y).unwrap();
                check_bound(ty, &x, &y, bound)?;
            }
            encode_row(ty, &x, &mut q, Some(&im)).unwrap();
            decode_row(ty, &q, &mut y).unwrap();
            check_bound(ty, &x, &y, wbound)?;
        }
    }

    #[test]
    fn plain_floats_round_trip(x in prop::collection::vec(-6e4f32..6e4, 1..64)) {
        for (ty, rel) in [(GgmlType::F32, 0.0f32), (GgmlType::F16, 1.0 / 2048.0), (GgmlType::BF16, 1.0 / 256.0)] {
            let c = codec(ty).unwrap();
            let mut q = vec![0u8; c.row_size(x.len()).unwrap()];
            let mut y = vec![0f32; x.len()];
            encode_row(ty, &x, &mut q, None).unwrap();
            decode_row(ty, &q, &mut y).unwrap();
            for (a, b) in x.iter().zip(&y) {
                // 2^-25 covers f16's subnormal spacing.
                prop_assert!((a - b).abs() <= (a.abs() * rel).max(3e-8), "{ty}: {a} -> {b}");
            }
            // Decoded values are representable, so they encode to the same bytes.
            let mut q2 = vec![0u8; q.len()];
            encode_row(ty, &y, &mut q2, None).unwrap();
            prop_assert_eq!(&q, &q2);
        }
    }

    #[test]
    fn no_panics_on_any_input(
        x in prop::collection::vec(any_f32(), 256),
        im in prop::collection::vec(any_f32(), 256),
    ) {
        for c in codecs().iter().filter(|c| c.can_encode()) {
            let mut q = vec![0u8; c.row_size(256).unwrap()];
            if !c.requires_imatrix() {
                c.encode_row(&x, &mut q, None).unwrap();
                let _ = c.validate_row(&q);
            }
            c.encode_row(&x, &mut q, Some(&im)).unwrap();
            let _ = c.validate_row(&q);
            if c.can_decode() {
                let mut y = vec![0f32; 256];
                c.decode_row(&q, &mut y).unwrap();
            }
        }
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2400)) {
        for c in codecs().iter().filter(|c| c.can_decode()) {
            let n = bytes.len() / c.type_size * c.type_size;
            let mut y = vec![0f32; n / c.type_size * c.block_size];
            c.decode_row(&bytes[..n], &mut y).unwrap();
            let _ = c.validate_row(&bytes[..n]);
        }
    }

    #[test]
    fn finite_f16_scales_validate(x in prop::collection::vec(-1e3f32..1e3, 256)) {
        // Inputs that keep every scale in f16 range give data ggml accepts.
        for c in codecs().iter().filter(|c| c.can_encode() && c.ty != GgmlType::Q8_1) {
            let mut q = vec![0u8; c.row_size(256).unwrap()];
            let im = c.requires_imatrix().then_some(&[1.0f32; 256][..]);
            c.encode_row(&x, &mut q, im).unwrap();
            prop_assert!(c.validate_row(&q).is_ok(), "{}", c.ty);
        }
    }
}

//! The fast paths (lane-parallel searches, `src/arch/`) against the
//! scalar references (`gguf_quant::reference`, feature `reference`, which
//! the crate's dev-dependency on itself turns on for every test build),
//! byte for byte: on every golden input of llama.cpp's `codecs.gguf`, with
//! and without its importance matrix, and on random awkward rows
//! (proptest) with and without random positive weights.
//!
//! On a CPU without AVX2 the fast path *is* the portable build, so the
//! encoders' fast = portable check compares a path with itself and the
//! AVX2 code goes untested; the tests say so on stderr (see
//! [`note_paths`]) rather than pass as if it had been checked.

use gguf_format::{GgmlType, Gguf};
use gguf_quant::reference::{decode_row_scalar, encode_row_portable, encode_row_scalar, fast_path_uses_avx2};
use gguf_quant::{codec, decode_row, encode_row};
use proptest::prelude::*;
use std::io::Write;

fn golden_bytes() -> Vec<u8> {
    gguf_testdata::golden::read("codecs.gguf")
}

/// The types whose encoders run lane-parallel searches: the K-quants,
/// IQ4_NL and IQ4_XS (sixteen trial scales side by side), IQ3_S (trials
/// and lattice neighbours side by side).
const TYPES: [GgmlType; 8] = [
    GgmlType::Q2_K,
    GgmlType::Q3_K,
    GgmlType::Q4_K,
    GgmlType::Q5_K,
    GgmlType::Q6_K,
    GgmlType::IQ4_NL,
    GgmlType::IQ4_XS,
    GgmlType::IQ3_S,
];

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

type Encode = fn(GgmlType, &[f32], &mut [u8], Option<&[f32]>) -> gguf_quant::Result<()>;

/// The other ways to encode: the scalar references, and the portable build
/// of the lane bodies (what a CPU without AVX2 runs).
const OTHERS: [(&str, Encode); 2] = [("scalar", encode_row_scalar), ("portable", encode_row_portable)];

/// What the fast encoder path is on this CPU, for messages.
fn fast_name() -> &'static str {
    if fast_path_uses_avx2() {
        "fast (AVX2)"
    } else {
        "fast (= portable: no AVX2)"
    }
}

/// Says once per test binary which encoder paths are really compared on
/// this CPU. Written straight to stderr, which libtest does not capture
/// (it captures `eprintln!`), so the note shows in every `cargo test` run.
fn note_paths() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let note = if fast_path_uses_avx2() {
            "fast_paths: this CPU has AVX2: encoders compared AVX2 fast path = portable lane build = scalar references"
        } else {
            "fast_paths: NOTE: no AVX2 on this CPU (or not x86-64): the fast path IS the portable lane build, so \
             encoders are compared portable = scalar only (fast = portable compares a path with itself); \
             the AVX2 code is NOT tested on this machine"
        };
        let _ = writeln!(std::io::stderr(), "{note}");
    });
}

/// Encodes `x` (rows of `n`) the fast way and each of [`OTHERS`]; returns
/// the first differing byte.
fn compare(ty: GgmlType, x: &[f32], n: usize, w: Option<&[f32]>) -> Result<(), String> {
    note_paths();
    let row = codec(ty).unwrap().row_size(n).unwrap();
    let mut fast = vec![0u8; row];
    let mut other = vec![0u8; row];
    for (r, src) in x.chunks(n).enumerate() {
        encode_row(ty, src, &mut fast, w).map_err(|e| format!("{ty} {}: {e}", fast_name()))?;
        for (way, encode) in OTHERS {
            encode(ty, src, &mut other, w).map_err(|e| format!("{ty} {way}: {e}"))?;
            if let Some(i) = fast.iter().zip(&other).position(|(a, b)| a != b) {
                return Err(format!(
                    "{ty} row {r} (weights: {}): byte {i} {} {:#04x} {way} {:#04x}",
                    w.is_some(),
                    fast_name(),
                    fast[i],
                    other[i]
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn golden_inputs_fast_equals_scalar() {
    let bytes = golden_bytes();
    let g = Gguf::parse(&bytes).unwrap_or_else(|e| panic!("cannot parse codecs.gguf: {e}"));
    let imatrix = f32s(
        g.tensor_data(g.tensor("imatrix").expect("imatrix tensor"))
            .unwrap(),
    );
    let mut cases = 0;
    let mut checks = 0;
    for t in g.tensors().iter().filter(|t| t.name.starts_with("input.")) {
        assert_eq!(t.ggml_type, GgmlType::F32, "{}", t.name);
        let n = t.dims()[0] as usize;
        assert_eq!(imatrix.len(), n, "imatrix length");
        let x = f32s(g.tensor_data(t).unwrap());
        cases += 1;
        for ty in TYPES {
            for w in [None, Some(imatrix.as_slice())] {
                compare(ty, &x, n, w).unwrap_or_else(|e| panic!("{}: {e}", t.name));
                checks += 1;
            }
        }
    }
    assert!(cases >= 16, "only {cases} golden inputs found");
    eprintln!(
        "{cases} golden inputs, {checks} type×weighting comparisons, all equal ({} vs scalar and portable)",
        fast_name()
    );
}

/// One value of an awkward row: gaussian-ish scales over many magnitudes,
/// exact zeros, tiny and huge values, infinities and NaN.
fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -4.0f32..4.0,
        1 => Just(0.0f32),
        1 => -1e-30f32..1e-30,
        1 => -3e4f32..3e4,
        1 => -1e30f32..1e30,
        1 => prop::sample::select(vec![1.0f32, -1.0, 0.5, 1e-6, -1e-6, 65504.0, -65504.0]),
        1 => prop::sample::select(vec![f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 3e38, -3e38]),
    ]
}

/// Whole rows of 256 or 512: mixed values, constants, zeros, one outlier,
/// sub-blocks of differing magnitude, half-integer grids.
fn row() -> impl Strategy<Value = Vec<f32>> {
    let n = prop::sample::select(vec![256usize, 512]);
    n.prop_flat_map(|n| {
        prop_oneof![
            4 => prop::collection::vec(value(), n),
            1 => value().prop_map(move |c| vec![c; n]),
            1 => (0..n, value()).prop_map(move |(i, v)| {
                let mut r = vec![0.0f32; n];
                r[i] = v;
                r
            }),
            1 => (prop::collection::vec(-1.0f32..1.0, n), 0..n, -1e6f32..1e6).prop_map(|(mut r, i, v)| {
                r[i] = v;
                r
            }),
            1 => (prop::collection::vec(-1.0f32..1.0, n), 0..8usize, -1e-3f32..1e-3).prop_map(|(mut r, k, s)| {
                // Sub-blocks of differing magnitude, some exactly constant.
                for (j, c) in r.chunks_mut(32).enumerate() {
                    if j % 8 == k {
                        c.fill(s);
                    } else {
                        c.iter_mut().for_each(|v| *v *= (j as f32 + 1.0) * 10f32.powi(j as i32 % 5 - 2));
                    }
                }
                r
            }),
            1 => (prop::collection::vec(-254i32..=254, n), any::<bool>()).prop_map(|(k, neg)| {
                // Half-integers with ±127 leading every 32: IQ4's first guess
                // is then a scale of ±1, which puts values exactly on the
                // midpoints between its levels (ties go to the upper level).
                let mut r: Vec<f32> = k.into_iter().map(|k| k as f32 / 2.0).collect();
                for c in r.chunks_mut(32) {
                    c[0] = if neg { -127.0 } else { 127.0 };
                }
                r
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_rows_fast_equals_scalar(x in row(), seed in any::<u64>()) {
        let n = x.len();
        let mut s = seed | 1;
        let w: Vec<f32> = (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                // Positive weights over several orders of magnitude.
                ((s >> 40) as f32 / (1u64 << 24) as f32 + 1e-3) * 10f32.powi((s % 7) as i32 - 3)
            })
            .collect();
        for ty in TYPES {
            prop_assert_eq!(compare(ty, &x, n, None), Ok(()));
            prop_assert_eq!(compare(ty, &x, n, Some(&w)), Ok(()));
        }
    }
}

/// Bytes of whole blocks of `ty`: random, so scales and `d` cover every
/// f16 (NaN, Inf and subnormals included).
fn blocks(ty: GgmlType) -> impl Strategy<Value = Vec<u8>> {
    let size = codec(ty).unwrap().type_size;
    (1usize..6).prop_flat_map(move |n| prop::collection::vec(any::<u8>(), n * size))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_decode_fast_equals_scalar(q2 in blocks(GgmlType::Q2_K), q3 in blocks(GgmlType::Q3_K)) {
        for (ty, q) in [(GgmlType::Q2_K, &q2), (GgmlType::Q3_K, &q3)] {
            let n = q.len() / codec(ty).unwrap().type_size * 256;
            let mut fast = vec![0f32; n];
            let mut slow = vec![1f32; n];
            decode_row(ty, q, &mut fast).unwrap();
            decode_row_scalar(ty, q, &mut slow).unwrap();
            let fast: Vec<u32> = fast.iter().map(|v| v.to_bits()).collect();
            let slow: Vec<u32> = slow.iter().map(|v| v.to_bits()).collect();
            prop_assert_eq!(fast, slow, "{}", ty);
        }
    }
}

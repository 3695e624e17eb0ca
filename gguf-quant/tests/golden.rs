//! Golden tests: our codecs against llama.cpp's own outputs in
//! `testdata/golden/codecs.gguf` (see `testdata/golden/README.md`).
//!
//! For every type and each of the 16 input cases:
//! - `q.<TYPE>.<case>` must equal our encoding of `input.<case>` without an
//!   imatrix, byte for byte;
//! - `qw.<TYPE>.<case>` must equal our encoding with the `imatrix` tensor;
//! - `dq.<TYPE>.<case>` / `dqw.<TYPE>.<case>` must equal our decoding of the
//!   golden `q` / `qw` bit for bit.
//!
//! A missing golden file fails every test; nothing here is skipped.

use std::sync::OnceLock;

use gguf_format::{GgmlType, Gguf};
use gguf_quant::{codec, decode_rows_par, encode_rows_par};

fn golden_path() -> std::path::PathBuf {
    gguf_testdata::golden::path("codecs.gguf")
}

const CASES: [&str; 16] = [
    "gauss",
    "outliers",
    "uniform",
    "zeros",
    "const_pos",
    "const_neg",
    "tiny",
    "huge",
    "sparse",
    "loguniform",
    "alternating",
    "single",
    "ramp",
    "positive",
    "negative",
    "fp16_edge",
];

fn golden_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        std::fs::read(golden_path()).unwrap_or_else(|e| {
            panic!(
                "golden file {} is unreadable ({e}); it is required, not optional",
                golden_path().display()
            )
        })
    })
}

fn golden() -> Gguf<'static> {
    Gguf::parse(golden_bytes()).unwrap_or_else(|e| panic!("cannot parse codecs.gguf: {e}"))
}

/// The raw bytes of tensor `name`, which must exist with type `ty`.
fn tensor<'a>(g: &Gguf<'a>, name: &str, ty: GgmlType) -> Option<(&'a [u8], u64)> {
    let t = g.tensor(name)?;
    assert_eq!(t.ggml_type, ty, "golden tensor {name} has an unexpected type");
    let row = t.dims()[0];
    Some((g.tensor_data(t).expect("golden tensor data"), row))
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The first index where the two sequences differ (by bits for floats).
fn first_diff<T: PartialEq>(a: &[T], b: &[T]) -> Option<usize> {
    if a.len() != b.len() {
        return Some(a.len().min(b.len()));
    }
    a.iter().zip(b).position(|(x, y)| x != y)
}

/// Which checks to run for a type.
#[derive(Clone, Copy)]
struct Plan {
    encode: bool,
    encode_weighted: bool,
    decode: bool,
}

/// Runs every golden comparison for `ty`; returns (passed, failure messages).
fn check_type(ty: GgmlType, plan: Plan) -> (usize, Vec<String>) {
    let g = golden();
    let c = codec(ty).expect("codec table entry");
    let (imatrix_bytes, _) = tensor(&g, "imatrix", GgmlType::F32).expect("imatrix tensor");
    let imatrix = f32s(imatrix_bytes);
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in CASES {
        let (input_bytes, n_per_row) =
            tensor(&g, &format!("input.{case}"), GgmlType::F32).expect("input tensor");
        let input = f32s(input_bytes);
        let n_per_row = n_per_row as usize;
        for (prefix, weighted) in [("q", false), ("qw", true)] {
            let name = format!("{prefix}.{ty}.{case}");
            let Some((want, _)) = tensor(&g, &name, ty) else {
                continue;
            };
            let do_encode = if weighted {
                plan.encode_weighted
            } else {
                plan.encode
            };
            if do_encode {
                let mut got = vec![0u8; want.len()];
                let im = weighted.then_some(imatrix.as_slice());
                match encode_rows_par(ty, &input, n_per_row, &mut got, im) {
                    Err(e) => failures.push(format!("{name}: encode failed: {e}")),
                    Ok(()) => match first_diff(&got, want) {
                        Some(i) => failures.push(format!(
                            "{name}: encoding differs first in block {} (byte {i}: got {:#04x}, want {:#04x})",
                            i / c.type_size,
                            got[i],
                            want[i]
                        )),
                        None => passed += 1,
                    },
                }
            }
            if plan.decode {
                let dname = format!("d{name}");
                let (want_f, _) =
                    tensor(&g, &dname, GgmlType::F32).unwrap_or_else(|| panic!("golden {dname} missing"));
                let want_bits: Vec<u32> = f32s(want_f).iter().map(|f| f.to_bits()).collect();
                let mut got = vec![0f32; want_bits.len()];
                match decode_rows_par(ty, want, &mut got) {
                    Err(e) => failures.push(format!("{dname}: decode failed: {e}")),
                    Ok(()) => {
                        let got_bits: Vec<u32> = got.iter().map(|f| f.to_bits()).collect();
                        match first_diff(&got_bits, &want_bits) {
                            Some(i) => failures.push(format!(
                                "{dname}: decoding differs first in block {} (element {i}: got {:e}, want {:e})",
                                i / c.block_size,
                                got[i],
                                f32::from_bits(want_bits[i])
                            )),
                            None => passed += 1,
                        }
                    }
                }
            }
        }
    }
    (passed, failures)
}

fn run(ty: GgmlType, plan: Plan, expected_passes: usize) {
    let (passed, failures) = check_type(ty, plan);
    assert!(
        failures.is_empty(),
        "{ty}: {} golden comparisons failed, {passed} passed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed, expected_passes, "{ty}: number of golden comparisons");
}

const FULL: Plan = Plan {
    encode: true,
    encode_weighted: true,
    decode: true,
};

macro_rules! golden_tests {
    ($( $name:ident: $ty:ident, $plan:expr, $passes:expr; )*) => {
        $(
            #[test]
            fn $name() {
                run(GgmlType::$ty, $plan, $passes);
            }
        )*
    };
}

// Passes per type: 16 cases × (q encode, qw encode, dq decode, dqw decode)
// where the golden file has them.
golden_tests! {
    golden_f16: F16, FULL, 64;
    golden_bf16: BF16, FULL, 64;
    golden_q4_0: Q4_0, FULL, 64;
    golden_q4_1: Q4_1, FULL, 64;
    golden_q5_0: Q5_0, FULL, 64;
    golden_q5_1: Q5_1, FULL, 64;
    golden_q8_0: Q8_0, FULL, 64;
    golden_q8_1: Q8_1, Plan { encode: true, encode_weighted: false, decode: false }, 16;
    golden_q2_k: Q2_K, FULL, 64;
    golden_q3_k: Q3_K, FULL, 64;
    golden_q4_k: Q4_K, FULL, 64;
    golden_q5_k: Q5_K, FULL, 64;
    golden_q6_k: Q6_K, FULL, 64;
    golden_q8_k: Q8_K, Plan { encode: true, encode_weighted: false, decode: true }, 32;
    golden_tq1_0: TQ1_0, FULL, 64;
    golden_tq2_0: TQ2_0, FULL, 64;
    golden_mxfp4: MXFP4, FULL, 64;
    golden_q1_0: Q1_0, FULL, 64;
    golden_q2_0: Q2_0, FULL, 64;
    golden_iq4_nl: IQ4_NL, FULL, 64;
    golden_iq4_xs: IQ4_XS, FULL, 64;
    golden_nvfp4: NVFP4, FULL, 64;
    golden_iq2_xxs: IQ2_XXS, FULL, 32;
    golden_iq2_xs: IQ2_XS, FULL, 32;
    golden_iq2_s: IQ2_S, FULL, 64;
    golden_iq3_xxs: IQ3_XXS, FULL, 64;
    golden_iq3_s: IQ3_S, FULL, 64;
    golden_iq1_s: IQ1_S, FULL, 32;
    golden_iq1_m: IQ1_M, FULL, 64;
}

//! End-to-end golden tests: every tensor llama-quantize converted in the
//! golden model files must be reproduced byte for byte by decoding the
//! source tensor with our decoder and encoding it with our encoder (with the
//! tensor's importance weights when the run used an imatrix).
//!
//! Sources and commands are listed in `testdata/golden/README.md`; the
//! outputs are kept there as per-tensor digests (`NAME.tensors.tsv`), the
//! inputs in full. Tensors llama-quantize copied unchanged must be
//! byte-identical copies. Missing ground truth fails the test.

use std::collections::HashMap;

use gguf_format::{GgmlType, Gguf};
use gguf_quant::{codec, decode_rows_par, encode_rows_par};

use gguf_testdata::golden::{self, read};

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Importance weights per tensor from a GGUF imatrix: `in_sum2 / count`, or
/// 1 where the count is zero (as llama-quantize's `load_imatrix`).
fn imatrix(name: &str) -> HashMap<String, Vec<f32>> {
    let bytes = read(name);
    let g = Gguf::parse(&bytes).expect("imatrix parses");
    let mut out = HashMap::new();
    for t in g.tensors() {
        let Some(weight) = t.name.strip_suffix(".in_sum2") else {
            continue;
        };
        let counts_t = g.tensor(&format!("{weight}.counts")).expect("counts tensor");
        let counts = f32s(g.tensor_data(counts_t).unwrap());
        let sums = f32s(g.tensor_data(t).unwrap());
        let ne0 = sums.len() / counts.len();
        let mut values = vec![0f32; sums.len()];
        for (j, &count) in counts.iter().enumerate() {
            for i in 0..ne0 {
                values[j * ne0 + i] = if count > 0.0 {
                    sums[j * ne0 + i] / count
                } else {
                    1.0
                };
            }
        }
        out.insert(weight.to_string(), values);
    }
    out
}

/// Checks every tensor of `output` against `input`; returns the number of
/// re-encoded tensors.
fn check(output: &str, input: &str, imatrix_file: Option<&str>) -> usize {
    let in_bytes = read(input);
    let src = Gguf::parse(&in_bytes).expect("input parses");
    let weights = imatrix_file.map(imatrix).unwrap_or_default();
    let mut failures = Vec::new();
    let mut encoded = 0;
    for t in golden::tensors(output) {
        let s = src
            .tensor(&t.name)
            .unwrap_or_else(|| panic!("{output}: {} not in {input}", t.name));
        let ty = GgmlType::from_name(&t.ty).unwrap_or_else(|| panic!("{output}: type {}", t.ty));
        let from = src.tensor_data(s).unwrap();
        if s.ggml_type == ty {
            if golden::sha256(from) != t.sha256 {
                failures.push(format!("{}: copied tensor differs", t.name));
            }
            continue;
        }
        let n_per_row = t.shape[0] as usize;
        let n = s.n_elements() as usize;
        let mut x = vec![0f32; n];
        decode_rows_par(s.ggml_type, from, &mut x)
            .unwrap_or_else(|e| panic!("{input}: decoding {}: {e}", t.name));
        let im = weights
            .get(&t.name)
            .filter(|w| w.len() == n_per_row)
            .map(Vec::as_slice);
        let mut got = vec![0u8; t.bytes as usize];
        match encode_rows_par(ty, &x, n_per_row, &mut got, im) {
            Err(e) => failures.push(format!("{} ({ty}): {e}", t.name)),
            Ok(()) => {
                if golden::sha256(&got) != t.sha256 {
                    failures.push(format!(
                        "{} ({ty}, imatrix: {}): {}",
                        t.name,
                        im.is_some(),
                        first_difference(output, &t, &got)
                    ));
                }
            }
        }
        encoded += 1;
    }
    assert!(
        failures.is_empty(),
        "{output}: {} tensors differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    encoded
}

/// Where `got` differs from llama.cpp's tensor: the row and block when the
/// whole golden file is at hand (`../shared/golden`), else only that the
/// digest differs.
fn first_difference(output: &str, t: &golden::TensorRow, got: &[u8]) -> String {
    let full = gguf_testdata::dir().join("../../shared/golden").join(output);
    let Ok(bytes) = std::fs::read(&full) else {
        return format!(
            "data differs from its digest ({} has the whole file)",
            full.display()
        );
    };
    let want = &bytes[t.offset as usize..(t.offset + t.bytes) as usize];
    let ty = GgmlType::from_name(&t.ty).unwrap();
    let c = codec(ty).unwrap();
    let row_bytes = c.row_size(t.shape[0] as usize).unwrap();
    match got.iter().zip(want).position(|(a, b)| a != b) {
        Some(i) => format!(
            "differs at row {}, block {}",
            i / row_bytes,
            (i % row_bytes) / c.type_size
        ),
        None => "differs in length".into(),
    }
}

macro_rules! golden_models {
    ($( $name:ident: $out:literal from $in:literal $(with $im:literal)?; )*) => {
        $(
            #[test]
            fn $name() {
                let im: Option<&str> = None $( .or(Some($im)) )?;
                let n = check($out, $in, im);
                assert!(n > 0, "{}: no tensor was re-encoded", $out);
            }
        )*
    };
}

golden_models! {
    tiny_q4_0: "tiny-Q4_0.gguf" from "tiny-f32.gguf";
    tiny_q4_1: "tiny-Q4_1.gguf" from "tiny-f32.gguf";
    tiny_q5_0: "tiny-Q5_0.gguf" from "tiny-f32.gguf";
    tiny_q5_1: "tiny-Q5_1.gguf" from "tiny-f32.gguf";
    tiny_q8_0: "tiny-Q8_0.gguf" from "tiny-f32.gguf";
    tiny_q2_k: "tiny-Q2_K.gguf" from "tiny-f32.gguf";
    tiny_q3_k_s: "tiny-Q3_K_S.gguf" from "tiny-f32.gguf";
    tiny_q3_k_m: "tiny-Q3_K_M.gguf" from "tiny-f32.gguf";
    tiny_q3_k_l: "tiny-Q3_K_L.gguf" from "tiny-f32.gguf";
    tiny_q4_k_s: "tiny-Q4_K_S.gguf" from "tiny-f32.gguf";
    tiny_q4_k_m: "tiny-Q4_K_M.gguf" from "tiny-f32.gguf";
    tiny_q5_k_s: "tiny-Q5_K_S.gguf" from "tiny-f32.gguf";
    tiny_q5_k_m: "tiny-Q5_K_M.gguf" from "tiny-f32.gguf";
    tiny_q6_k: "tiny-Q6_K.gguf" from "tiny-f32.gguf";
    tiny_f16: "tiny-F16.gguf" from "tiny-f32.gguf";
    tiny_bf16: "tiny-BF16.gguf" from "tiny-f32.gguf";
    tiny_q4_k_pure: "tiny-Q4_K-pure.gguf" from "tiny-f32.gguf";
    tiny_out_q8_0_embd_q4_0: "tiny-Q4_K_M-out-q8_0-embd-q4_0.gguf" from "tiny-f32.gguf";
    tiny_attn_q_q8_0: "tiny-Q5_K_M-attn_q-q8_0.gguf" from "tiny-f32.gguf";
    tiny_leave_output: "tiny-Q4_K_S-leave-output.gguf" from "tiny-f32.gguf";
    tiny_requant_q8_0: "tiny-Q4_K_M-requant-Q8_0.gguf" from "tiny-Q4_K_M.gguf";
    tiny_q4_k_m_imat: "tiny-Q4_K_M-imat.gguf" from "tiny-f32.gguf" with "tiny.imatrix.gguf";
    tiny_q2_k_imat: "tiny-Q2_K-imat.gguf" from "tiny-f32.gguf" with "tiny.imatrix.gguf";
    tiny_q2_k_s_imat: "tiny-Q2_K_S-imat.gguf" from "tiny-f32.gguf" with "tiny.imatrix.gguf";
    tiny_q3_k_s_imat: "tiny-Q3_K_S-imat.gguf" from "tiny-f32.gguf" with "tiny.imatrix.gguf";
    tiny_q4_0_imat: "tiny-Q4_0-imat.gguf" from "tiny-f32.gguf" with "tiny.imatrix.gguf";
    tiny_iq4_xs_imat: "tiny-IQ4_XS-imat.gguf" from "tiny-f32.gguf" with "tiny.imatrix.gguf";
    odd_q4_k_m: "odd-Q4_K_M.gguf" from "odd-f16.gguf";
    odd_q2_k: "odd-Q2_K.gguf" from "odd-f16.gguf";
    odd_q3_k_m: "odd-Q3_K_M.gguf" from "odd-f16.gguf";
    odd_q5_k_s: "odd-Q5_K_S.gguf" from "odd-f16.gguf";
    odd_q6_k: "odd-Q6_K.gguf" from "odd-f16.gguf";
    odd_q4_0: "odd-Q4_0.gguf" from "odd-f16.gguf";
    odd_q4_k_m_imat: "odd-Q4_K_M-imat.gguf" from "odd-f16.gguf" with "odd.imatrix.gguf";
}

#[test]
fn imatrix_reader_sees_every_entry() {
    let w = imatrix("tiny.imatrix.gguf");
    assert_eq!(w.len(), 15);
    assert!(w.values().all(|v| v.len() == 256 || v.len() == 512));
    let _ = GgmlType::F32;
}

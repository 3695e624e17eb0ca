//! `gguf diff`: metadata, tensor lists and numbers, exit codes 0/1/2.

use gguf_format::{Gguf, GgufBuilder, MetaValue};
mod common;

use common::*;
use std::path::Path;

/// A copy of tiny-llama-f32 with `edit` applied to the builder and `data` to the tensor bytes.
fn variant(
    dir: &Path,
    name: &str,
    edit: impl FnOnce(&mut GgufBuilder<'_>),
    data: impl Fn(&str, &mut Vec<u8>),
) -> String {
    let bytes = std::fs::read(workspace().join("testdata/tiny-llama-f32.gguf")).unwrap();
    let g = Gguf::parse(&bytes).unwrap();
    let mut b = GgufBuilder::from_gguf(&g).unwrap();
    edit(&mut b);
    let mut tw = b.write_header(Vec::new()).unwrap();
    for t in g.tensors() {
        let mut d = g.tensor_data(t).unwrap().to_vec();
        data(t.name, &mut d);
        tw.write_tensor(&d).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, tw.finish().unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn identical_files_exit_0() {
    let o = gguf(&[
        "diff",
        "testdata/tiny-llama-f32.gguf",
        "testdata/tiny-llama-f32.gguf",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("21 tensors compared (112.4K elements): 21 identical, 0 differ"));
    // The same numbers in the other byte order are no difference either.
    let o = gguf(&[
        "diff",
        "testdata/tiny-llama-f32.gguf",
        "testdata/tiny-llama-f32-be.gguf",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn quantized_against_original() {
    let o = gguf(&[
        "diff",
        "testdata/golden/tiny-f32.gguf",
        "testdata/golden/tiny-Q4_K_M.gguf",
        "--top",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("f32_vs_q4_k_m", stdout(&o));

    let o = gguf(&[
        "diff",
        "testdata/golden/tiny-f32.gguf",
        "testdata/golden/tiny-Q4_K_M.gguf",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &doc["report"];
    assert_eq!(
        r["keys_only_in_b"],
        serde_json::json!(["general.quantization_version"])
    );
    assert_eq!(r["keys_changed"][0]["key"], "general.file_type");
    assert_eq!(r["tensors_changed"].as_array().unwrap().len(), 16);
    assert_eq!(r["summary"]["compared"], 21);
    assert_eq!(r["summary"]["identical"], 5, "the F32 norms are copied");
    let worst = &r["tensors"][0];
    let rel = worst["relative_rmse"].as_f64().unwrap();
    assert!(rel > 0.05 && rel < 0.12, "Q4_K relative RMSE {rel}");
    assert!(worst["cosine"].as_f64().unwrap() > 0.99);
    // Q6_K tensors are better than Q4_K ones.
    let of = |n: &str| {
        r["tensors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == n)
            .unwrap()["relative_rmse"]
            .as_f64()
            .unwrap()
    };
    assert!(of("output.weight") < of("blk.0.attn_q.weight"));
}

#[test]
fn metadata_only_and_array_differences() {
    let tmp = tempfile::tempdir().unwrap();
    let tokens = variant(
        tmp.path(),
        "tokens.gguf",
        |b| {
            let mut t: Vec<String> = gguf_testdata::LlamaShape::tiny().tokens();
            t[260] = "▁changed".into();
            t.push("extra".into());
            b.set("tokenizer.ggml.tokens", MetaValue::strings(t)).unwrap();
            b.push("new.key", 5u32).unwrap();
            b.remove("general.size_label");
        },
        |_, _| {},
    );
    let o = gguf(&["diff", "testdata/tiny-llama-f32.gguf", &tokens, "--metadata-only"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("  - general.size_label"), "{out}");
    assert!(out.contains("  + new.key"), "{out}");
    assert!(out.contains("  ~ tokenizer.ggml.tokens: ARRAY[STRING]"), "{out}");
    assert!(out.contains("      length 300 → 301"), "{out}");
    assert!(out.contains("      first difference at index 260"), "{out}");
    assert!(
        !out.contains("Numbers"),
        "--metadata-only compares no numbers: {out}"
    );
}

#[test]
fn tolerance_decides_what_counts_as_equal() {
    let tmp = tempfile::tempdir().unwrap();
    let nudged = variant(
        tmp.path(),
        "nudged.gguf",
        |_| {},
        |name, d| {
            if name == "blk.0.attn_q.weight" {
                let x = f32::from_le_bytes([d[0], d[1], d[2], d[3]]);
                d[..4].copy_from_slice(&(x * 1.001).to_le_bytes());
            }
        },
    );
    let o = gguf(&["diff", "testdata/tiny-llama-f32.gguf", &nudged]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!stdout(&o).contains("21 identical"));
    let o = gguf(&[
        "diff",
        "testdata/tiny-llama-f32.gguf",
        &nudged,
        "--tolerance",
        "1e-4",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("within tolerance"));
    let o = gguf(&[
        "diff",
        "testdata/tiny-llama-f32.gguf",
        &nudged,
        "--tolerance",
        "1e-9",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn nan_is_reported_not_hidden() {
    let tmp = tempfile::tempdir().unwrap();
    let nan = variant(
        tmp.path(),
        "nan.gguf",
        |_| {},
        |name, d| {
            if name == "output_norm.weight" {
                d[..4].copy_from_slice(&f32::NAN.to_le_bytes());
            }
        },
    );
    let o = gguf(&[
        "diff",
        "testdata/tiny-llama-f32.gguf",
        &nan,
        "--json",
        "--tolerance",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1), "a NaN is never within tolerance");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let worst = &doc["report"]["tensors"][0];
    assert_eq!(worst["name"], "output_norm.weight");
    assert_eq!(worst["max_abs_error"], "NaN");
    assert_eq!(worst["equal"], false);
}

#[test]
fn errors_exit_2() {
    let o = gguf(&["diff", "testdata/tiny-llama-f32.gguf", "testdata/missing.gguf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("gguf: testdata/missing.gguf: "));
}

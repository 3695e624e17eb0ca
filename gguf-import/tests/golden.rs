//! The importer's tensors against llama.cpp's converter: for every output
//! of `convert_hf_to_gguf.py` in `testdata/golden/import/out/` whose
//! architecture is supported, the model directory under
//! `testdata/golden/import/models/` is imported for the same `--outtype`
//! and every tensor's name, ggml type, shape, position and data (its
//! sha256, read through `TensorSource::rows` a chunk at a time) must equal
//! the `.tensors.tsv` row. Offsets are not compared: they depend on the
//! full metadata (tokenizer, `general.*`), which this crate does not make
//! yet. Missing ground truth fails the test (never a skip).

use gguf_format::{RowChunks, TensorSource};
use gguf_import::{Import, OutType};
use gguf_testdata::golden;

mod common;

/// Imports `models/MODEL` as `outtype` and compares with
/// `out/MODEL-OUTTYPE.tensors.tsv`.
fn check(model: &str, outtype: &str) {
    let dir = golden::dir().join("import/models").join(model);
    assert!(dir.is_dir(), "ground truth missing: {}", dir.display());
    check_dir(&dir, model, outtype);
}

/// Imports directory `dir` as `outtype` and compares with
/// `out/MODEL-OUTTYPE.tensors.tsv`.
fn check_dir(dir: &std::path::Path, model: &str, outtype: &str) {
    let want = golden::tensors(&format!("import/out/{model}-{outtype}.gguf"));
    let import = Import::open(dir, outtype.parse::<OutType>().unwrap())
        .unwrap_or_else(|e| panic!("{model} {outtype}: {e}"));
    let source = import.source().unwrap();
    let got = source.tensors();
    let names = |v: Vec<&str>| v.join(" ");
    assert_eq!(
        names(got.iter().map(|t| t.name).collect()),
        names(want.iter().map(|r| r.name.as_str()).collect()),
        "{model} {outtype}: tensor names or order differ"
    );
    let mut scratch = Vec::new();
    for (t, w) in got.iter().zip(&want) {
        let what = format!("{model}-{outtype}: {}", t.name);
        assert_eq!(t.ggml_type.to_string(), w.ty, "{what}: type");
        assert_eq!(t.dims(), &w.shape[..], "{what}: shape");
        assert_eq!(t.n_bytes().unwrap(), w.bytes, "{what}: size");
        // Small chunks, so that chunks cut through tensors and heads.
        let mut data = Vec::with_capacity(w.bytes as usize);
        for rows in RowChunks::new(t, 100).unwrap().iter() {
            data.extend_from_slice(source.rows(t, rows.clone(), &mut scratch).unwrap());
            source.release(t, rows);
        }
        assert_eq!(golden::sha256(&data), w.sha256, "{what}: data");
    }
}

macro_rules! golden_tests {
    ($($test:ident: $model:literal $outtype:literal;)*) => {
        $(
            #[test]
            fn $test() {
                check($model, $outtype);
            }
        )*

        /// The outputs compared above.
        const TESTED: &[&str] = &[$(concat!($model, "-", $outtype)),*];
    };
}

golden_tests! {
    tinyllama_spm_f32: "tinyllama-spm" "f32";
    tinyllama_spm_f16: "tinyllama-spm" "f16";
    tinyllama_spm_bf16: "tinyllama-spm" "bf16";
    tinyllama_spm_q8_0: "tinyllama-spm" "q8_0";
    tinyllama_spm_auto: "tinyllama-spm" "auto";
    tinyllama_chat_auto: "TinyLlama-1.1B-Chat-v1.0" "auto";
    tinyllama_chat_q8_0: "TinyLlama-1.1B-Chat-v1.0" "q8_0";
    mistral_hf_auto: "mistral-hf" "auto";
    mistral_hf_f16: "mistral-hf" "f16";
    mistral_hf_q8_0: "mistral-hf" "q8_0";
    llama3_bpe_auto: "llama3-bpe" "auto";
    llama3_bpe_q8_0: "llama3-bpe" "q8_0";
    qwen2_bpe_auto: "qwen2-bpe" "auto";
    qwen2_bpe_f16: "qwen2-bpe" "f16";
    qwen3_bpe_auto: "qwen3-bpe" "auto";
    qwen3_bpe_q8_0: "qwen3-bpe" "q8_0";
    gemma2_spm_auto: "gemma2-spm" "auto";
    gemma2_spm_f16: "gemma2-spm" "f16";
    gemma3_spm_auto: "gemma3-spm" "auto";
    gemma3_spm_q8_0: "gemma3-spm" "q8_0";
    phi3_spm_auto: "phi3-spm" "auto";
    bert_wordpiece_auto: "bert-wordpiece" "auto";
    bert_wordpiece_f32: "bert-wordpiece" "f32";
    bert_wordpiece_q8_0: "bert-wordpiece" "q8_0";
}

/// Converter outputs of architectures not supported yet.
const NOT_YET: &[&str] = &[];

/// Every converter output in the ground truth is either compared above or
/// listed as not supported yet: a new golden file cannot go unnoticed.
#[test]
fn every_converter_output_is_accounted_for() {
    let mut outputs: Vec<String> = golden::names(".tensors.tsv")
        .into_iter()
        .filter_map(|n| n.strip_prefix("import/out/")?.strip_suffix(".tensors.tsv"))
        .filter(|n| {
            ["-f32", "-f16", "-bf16", "-q8_0", "-auto"]
                .iter()
                .any(|s| n.ends_with(s))
        })
        .map(str::to_string)
        .collect();
    outputs.sort();
    let mut known: Vec<String> = TESTED.iter().chain(NOT_YET).map(|s| s.to_string()).collect();
    known.sort();
    assert!(
        !outputs.is_empty(),
        "no converter outputs in testdata/golden/import/out"
    );
    assert_eq!(outputs, known);
}

/// Without `model.safetensors.index.json` the converter reads every
/// `model*.safetensors` file by name: the same tensors in the same order.
#[test]
fn shards_without_index_are_read_in_name_order() {
    let (_tmp, dir) = common::copy_model("tinyllama-spm");
    std::fs::remove_file(dir.join("model.safetensors.index.json")).unwrap();
    check_dir(&dir, "tinyllama-spm", "f16");
}

/// BERT checkpoints saved as `BertForPreTraining` name their tensors
/// `bert.…` with TensorFlow-era `LayerNorm.gamma` / `.beta`: the converter
/// renames them first, and the tensors come out the same.
#[test]
fn bert_prefix_and_gamma_beta_are_renamed() {
    let from = golden::dir().join("import/models/bert-wordpiece");
    let bytes = std::fs::read(from.join("model.safetensors")).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let renamed: serde_json::Map<String, serde_json::Value> = header
        .into_iter()
        .map(|(k, v)| {
            if k == "__metadata__" {
                return (k, v);
            }
            let k = k
                .replace("LayerNorm.weight", "LayerNorm.gamma")
                .replace("LayerNorm.bias", "LayerNorm.beta");
            (format!("bert.{k}"), v)
        })
        .collect();
    let mut json = serde_json::to_vec(&renamed).unwrap();
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bert-wordpiece");
    std::fs::create_dir(&dir).unwrap();
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[8 + n..]);
    std::fs::write(dir.join("model.safetensors"), out).unwrap();
    for f in [
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    ] {
        std::fs::copy(from.join(f), dir.join(f)).unwrap();
    }
    check_dir(&dir, "bert-wordpiece", "f32");
}

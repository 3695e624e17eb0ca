//! The synthesized header's metadata: `general.architecture`, the
//! hyperparameters in the converter's order, `general.file_type` and
//! `general.quantization_version`, as llama.cpp's converter wrote them into
//! each model's `-auto.gguf` (values read from those files, which are not
//! kept in the repository; the tokenizer and the other `general.*` keys are
//! not made here: the tokenizer keys are tests/vocab.rs's, the other
//! `general.*` keys are left out of the comparison).

use gguf_format::TensorSource;
use gguf_import::{Import, ImportOptions, OutType};
use gguf_testdata::golden;

mod common;

/// Model directory → its `-auto.gguf`'s keys this crate makes, in order.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "TinyLlama-1.1B-Chat-v1.0",
        &[
            r#"general.architecture=String("llama")"#,
            r#"llama.block_count=U32(2)"#,
            r#"llama.context_length=U32(2048)"#,
            r#"llama.embedding_length=U32(64)"#,
            r#"llama.feed_forward_length=U32(128)"#,
            r#"llama.attention.head_count=U32(4)"#,
            r#"llama.attention.head_count_kv=U32(2)"#,
            r#"llama.rope.freq_base=F32(10000.0)"#,
            r#"llama.attention.layer_norm_rms_epsilon=F32(1e-6)"#,
            r#"llama.attention.key_length=U32(16)"#,
            r#"llama.attention.value_length=U32(16)"#,
            r#"general.file_type=U32(1)"#,
            r#"llama.vocab_size=U32(600)"#,
            r#"llama.rope.dimension_count=U32(16)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
    (
        "mistral-hf",
        &[
            r#"general.architecture=String("llama")"#,
            r#"llama.block_count=U32(2)"#,
            r#"llama.context_length=U32(131072)"#,
            r#"llama.embedding_length=U32(32)"#,
            r#"llama.feed_forward_length=U32(64)"#,
            r#"llama.attention.head_count=U32(4)"#,
            r#"llama.attention.head_count_kv=U32(2)"#,
            r#"llama.rope.freq_base=F32(10000.0)"#,
            r#"llama.attention.layer_norm_rms_epsilon=F32(1e-6)"#,
            r#"general.file_type=U32(32)"#,
            r#"llama.vocab_size=U32(32000)"#,
            r#"llama.rope.dimension_count=U32(8)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
    (
        "llama3-bpe",
        &[
            r#"general.architecture=String("llama")"#,
            r#"llama.block_count=U32(2)"#,
            r#"llama.context_length=U32(2048)"#,
            r#"llama.embedding_length=U32(32)"#,
            r#"llama.feed_forward_length=U32(64)"#,
            r#"llama.attention.head_count=U32(4)"#,
            r#"llama.attention.head_count_kv=U32(2)"#,
            r#"llama.rope.freq_base=F32(500000.0)"#,
            r#"llama.attention.layer_norm_rms_epsilon=F32(1e-6)"#,
            r#"llama.attention.key_length=U32(8)"#,
            r#"llama.attention.value_length=U32(8)"#,
            r#"general.file_type=U32(32)"#,
            r#"llama.vocab_size=U32(128256)"#,
            r#"llama.rope.dimension_count=U32(8)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
    (
        "qwen2-bpe",
        &[
            r#"general.architecture=String("qwen2")"#,
            r#"qwen2.block_count=U32(2)"#,
            r#"qwen2.context_length=U32(32768)"#,
            r#"qwen2.embedding_length=U32(32)"#,
            r#"qwen2.feed_forward_length=U32(64)"#,
            r#"qwen2.attention.head_count=U32(4)"#,
            r#"qwen2.attention.head_count_kv=U32(2)"#,
            r#"qwen2.rope.freq_base=F32(10000.0)"#,
            r#"qwen2.attention.layer_norm_rms_epsilon=F32(1e-6)"#,
            r#"general.file_type=U32(32)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
    (
        "gemma2-spm",
        &[
            r#"general.architecture=String("gemma2")"#,
            r#"gemma2.context_length=U32(8192)"#,
            r#"gemma2.embedding_length=U32(64)"#,
            r#"gemma2.block_count=U32(4)"#,
            r#"gemma2.feed_forward_length=U32(128)"#,
            r#"gemma2.attention.head_count=U32(4)"#,
            r#"gemma2.attention.head_count_kv=U32(2)"#,
            r#"gemma2.attention.layer_norm_rms_epsilon=F32(1e-6)"#,
            r#"gemma2.attention.key_length=U32(16)"#,
            r#"gemma2.attention.value_length=U32(16)"#,
            r#"general.file_type=U32(32)"#,
            r#"gemma2.attn_logit_softcapping=F32(50.0)"#,
            r#"gemma2.final_logit_softcapping=F32(30.0)"#,
            r#"gemma2.attention.sliding_window=U32(4096)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
    (
        "gemma3-spm",
        &[
            r#"general.architecture=String("gemma3")"#,
            r#"gemma3.block_count=U32(6)"#,
            r#"gemma3.context_length=U32(131072)"#,
            r#"gemma3.embedding_length=U32(64)"#,
            r#"gemma3.feed_forward_length=U32(128)"#,
            r#"gemma3.attention.head_count=U32(4)"#,
            r#"gemma3.attention.head_count_kv=U32(1)"#,
            r#"gemma3.rope.freq_base=F32(1000000.0)"#,
            r#"gemma3.rope.freq_base_swa=F32(10000.0)"#,
            r#"gemma3.attention.layer_norm_rms_epsilon=F32(1e-6)"#,
            r#"gemma3.attention.key_length=U32(16)"#,
            r#"gemma3.attention.value_length=U32(16)"#,
            r#"general.file_type=U32(1)"#,
            r#"gemma3.attention.sliding_window=U32(64)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
    (
        "phi3-spm",
        &[
            r#"general.architecture=String("phi3")"#,
            r#"phi3.context_length=U32(4096)"#,
            r#"phi3.rope.scaling.original_context_length=U32(4096)"#,
            r#"phi3.embedding_length=U32(64)"#,
            r#"phi3.feed_forward_length=U32(128)"#,
            r#"phi3.block_count=U32(2)"#,
            r#"phi3.attention.head_count=U32(4)"#,
            r#"phi3.attention.head_count_kv=U32(4)"#,
            r#"phi3.attention.layer_norm_rms_epsilon=F32(1e-5)"#,
            r#"phi3.rope.dimension_count=U32(16)"#,
            r#"phi3.rope.freq_base=F32(10000.0)"#,
            r#"general.file_type=U32(32)"#,
            r#"phi3.attention.sliding_window=U32(0)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
    (
        "bert-wordpiece",
        &[
            r#"general.architecture=String("bert")"#,
            r#"bert.block_count=U32(2)"#,
            r#"bert.context_length=U32(512)"#,
            r#"bert.embedding_length=U32(32)"#,
            r#"bert.feed_forward_length=U32(64)"#,
            r#"bert.attention.head_count=U32(4)"#,
            r#"bert.attention.layer_norm_epsilon=F32(1e-12)"#,
            r#"general.file_type=U32(1)"#,
            r#"bert.attention.causal=Bool(false)"#,
            r#"bert.pooling_type=U32(1)"#,
            r#"general.quantization_version=U32(2)"#,
        ],
    ),
];

#[test]
fn metadata_is_the_converters() {
    for (model, want) in EXPECTED {
        let dir = golden::dir().join("import/models").join(model);
        assert!(dir.is_dir(), "ground truth missing: {}", dir.display());
        let import = Import::open(&dir, OutType::Auto).unwrap();
        let source = import.source().unwrap();
        // The tokenizer keys come last; tests/vocab.rs checks them, and
        // tests/general.rs the general.* keys but these three.
        let got: Vec<String> = source
            .metadata()
            .iter()
            .take_while(|kv| !kv.key.starts_with("tokenizer."))
            .filter(|kv| {
                !kv.key.starts_with("general.")
                    || matches!(
                        kv.key,
                        "general.architecture" | "general.file_type" | "general.quantization_version"
                    )
            })
            .map(|kv| format!("{}={:?}", kv.key, kv.value))
            .collect();
        assert_eq!(got, *want, "{model}");
    }
}

/// The keys of `llama3-bpe` imported with `config.json`'s `rope_scaling`
/// replaced by `rope_scaling` (JSON), from `llama.attention.head_count_kv`
/// to `llama.rope.freq_base`, and its tensors' first name.
fn with_rope_scaling(rope_scaling: &str) -> (Vec<String>, String) {
    let from = golden::dir().join("import/models/llama3-bpe");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("llama3-bpe");
    std::fs::create_dir(&dir).unwrap();
    for f in ["model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
        std::fs::copy(from.join(f), dir.join(f)).unwrap();
    }
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from.join("config.json")).unwrap()).unwrap();
    config["rope_scaling"] = serde_json::from_str(rope_scaling).unwrap();
    config["original_max_position_embeddings"] = 1024.into();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let import = Import::open(&dir, OutType::Auto).unwrap();
    let source = import.source().unwrap();
    let keys: Vec<String> = source
        .metadata()
        .iter()
        .map(|kv| format!("{}={:?}", kv.key, kv.value))
        .skip_while(|k| !k.starts_with("llama.attention.head_count_kv"))
        .skip(1)
        .take_while(|k| !k.starts_with("llama.rope.freq_base"))
        .collect();
    (keys, source.tensors()[0].name.to_string())
}

#[test]
fn rope_scaling_keys_follow_the_converter() {
    let (keys, first) = with_rope_scaling(r#"{"type": "linear", "factor": 2.0}"#);
    assert_eq!(
        keys,
        [
            r#"llama.rope.scaling.type=String("linear")"#,
            "llama.rope.scaling.factor=F32(2.0)"
        ]
    );
    assert_eq!(first, "token_embd.weight", "no rope_freqs without llama3 scaling");

    let (keys, _) = with_rope_scaling(r#"{"rope_type": "yarn", "factor": 4.0, "beta_fast": 32.0}"#);
    assert_eq!(
        keys,
        [
            r#"llama.rope.scaling.type=String("yarn")"#,
            "llama.rope.scaling.factor=F32(4.0)",
            "llama.rope.scaling.original_context_length=U32(1024)",
            "llama.rope.scaling.yarn_beta_fast=F32(32.0)",
        ]
    );

    let (keys, first) = with_rope_scaling(r#"{"rope_type": "llama3", "factor": 8.0}"#);
    assert!(keys.is_empty(), "{keys:?}");
    assert_eq!(first, "rope_freqs.weight");
}

/// Phi-3's long-context rope: `rope_scaling` with long and short factors
/// (`type` `su`, which transformers' Phi3Config renames `longrope`) gives
/// `rope_factors_long.weight` and `rope_factors_short.weight` as the first
/// tensors (F32, the factors as float32) and `phi3.rope.scaling.attn_factor`
/// right after `general.architecture`, as `Phi3MiniModel.
/// generate_extra_tensors` writes them while `prepare_tensors` runs —
/// before any other key; `--vocab-only` has neither.
#[test]
fn phi3_long_rope_factors_are_the_converters() {
    use gguf_format::{Gguf, Value};
    let (_tmp, copy) = common::copy_model("phi3-spm");
    let plain = Import::open(&copy, OutType::F16).unwrap();
    let long = [1.0, 1.25, 1.5, 2.0, 3.0, 5.5, 8.25, 0.1];
    let short = [1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.3, 0.3];
    let path = copy.join("config.json");
    let mut config: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    config["max_position_embeddings"] = 131072.into();
    config["rope_scaling"] = serde_json::json!({"type": "su", "long_factor": long, "short_factor": short});
    std::fs::write(&path, config.to_string()).unwrap();
    let scaled = Import::open(&copy, OutType::F16).unwrap();

    let (p, s) = (plain.source().unwrap(), scaled.source().unwrap());
    let names = |src: &gguf_import::ImportSource<'_>| -> Vec<String> {
        src.tensors().iter().map(|t| t.name.to_string()).collect()
    };
    let mut want = vec![
        "rope_factors_long.weight".to_string(),
        "rope_factors_short.weight".to_string(),
    ];
    want.extend(names(&p));
    assert_eq!(names(&s), want);
    for (name, values) in [
        ("rope_factors_long.weight", long),
        ("rope_factors_short.weight", short),
    ] {
        let t = s.tensor(name).unwrap();
        assert_eq!((t.ggml_type.to_string().as_str(), t.dims()), ("F32", &[8u64][..]));
        let mut scratch = Vec::new();
        let bytes = s.rows(t, 0..1, &mut scratch).unwrap();
        let want: Vec<u8> = values.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect();
        assert_eq!(bytes, &want[..], "{name}");
    }
    let keys = |bytes: &[u8]| -> Vec<(String, String)> {
        Gguf::parse_header(bytes)
            .unwrap()
            .metadata()
            .iter()
            .map(|kv| {
                let v = format!("{:?}", kv.value);
                // An array's offset in the file moves with the keys before it.
                let v = v.split(", offset:").next().unwrap_or_default().to_string();
                (kv.key.to_string(), v)
            })
            .collect()
    };
    let got = keys(scaled.header_bytes());
    let mut want = keys(plain.header_bytes());
    let attn = (1.0 + (32.0f64).ln() / (4096.0f64).ln()).sqrt() as f32;
    want.insert(
        1,
        (
            "phi3.rope.scaling.attn_factor".into(),
            format!("{:?}", Value::F32(attn)),
        ),
    );
    for (k, v) in want.iter_mut() {
        if k == "phi3.context_length" {
            *v = format!("{:?}", Value::U32(131072));
        }
        if k == "general.size_label" {
            // Sixteen more parameters do not change it.
            assert!(v.contains("159K"), "{v}");
        }
    }
    assert_eq!(got, want);

    // --vocab-only: neither the key nor the tensors.
    let options = ImportOptions::default().with_vocab_only();
    let vocab = Import::open_with(&copy, OutType::F16, &options).unwrap();
    let v = keys(&vocab.vocab_file(gguf_format::ByteOrder::Little).unwrap().unwrap());
    assert!(v.iter().all(|(k, _)| k != "phi3.rope.scaling.attn_factor"));

    // What Phi3Config refuses (a fourth key; factors of the wrong length)
    // is an error naming rope_scaling.
    for bad in [
        serde_json::json!({"type": "longrope", "long_factor": long, "short_factor": short, "factor": 2.0}),
        serde_json::json!({"type": "longrope", "long_factor": &long[..4], "short_factor": short}),
        serde_json::json!({"type": "linear", "long_factor": long, "short_factor": short}),
    ] {
        config["rope_scaling"] = bad;
        std::fs::write(&path, config.to_string()).unwrap();
        let e = Import::open(&copy, OutType::F16).unwrap_err();
        assert!(
            matches!(e, gguf_import::Error::Config { ref key, .. } if key == "rope_scaling"),
            "{e}"
        );
    }
}

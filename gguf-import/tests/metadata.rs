//! The synthesized header's metadata: `general.architecture`, the
//! hyperparameters in the converter's order, `general.file_type` and
//! `general.quantization_version`, as llama.cpp's converter wrote them into
//! each model's `-auto.gguf` (values read from those files, which are not
//! kept in the repository; the tokenizer and the other `general.*` keys are
//! not made here: the tokenizer keys are tests/vocab.rs's, the other
//! `general.*` keys are left out of the comparison).

use gguf_format::TensorSource;
use gguf_import::{Import, OutType};
use gguf_testdata::golden;

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

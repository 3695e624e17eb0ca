//! What the importer supports, as data: one [`Arch`] per architecture —
//! the Hugging Face class names it takes, its configuration class's
//! defaults, the hyperparameter keys in the converter's order, the map
//! from Hugging Face tensor names to GGUF names (what gguf-py's
//! `tensor_mapping.py` does for these models) and, per tensor, one of a
//! closed set of [`Transform`]s.

use crate::config::Default as D;

/// How a tensor's values change on their way from the safetensors file to
/// the GGUF file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Copied (and converted to the output type).
    None,
    /// Rows permuted back from Hugging Face's rotary layout
    /// (`LlamaModel.permute` with `n_head` heads): a query projection.
    PermuteQ,
    /// The same with `n_head_kv` heads: a key projection.
    PermuteK,
    /// Plus one (Gemma's norms store `weight - 1`), computed in the dtype
    /// torch holds: f16 for f16 weights, float32 for bf16 (widened before)
    /// and f32 ones.
    PlusOne,
    /// Only the first rows, as many as the vocabulary has tokens (Gemma 3's
    /// `token_embd`): `config.json`'s `vocab_size` with a
    /// `tokenizer.model`, else `tokenizer.json`'s vocabulary plus its
    /// added tokens.
    TruncateVocab,
}

/// A hyperparameter the converter writes, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HParam {
    /// `{arch}.{key}` as UINT32 from the first of the config keys present;
    /// left out when none is.
    U32(&'static str, &'static [&'static str]),
    /// `{arch}.{key}` as FLOAT32 from the first config key present.
    F32(&'static str, &'static [&'static str]),
    /// `{arch}.attention.key_length` and `value_length` from `head_dim`,
    /// when the config has one.
    HeadDimLengths,
    /// `{arch}.rope.dimension_count`: `head_dim`, else hidden_size / heads.
    RopeDimensionCount,
    /// `general.file_type`.
    FileType,
    /// `{arch}.{key}` as UINT32, 0 when the config key is `None`.
    U32OrZero(&'static str, &'static str),
    /// `{arch}.{key}` as BOOL, always this value.
    Bool(&'static str, bool),
    /// `{arch}.rope.dimension_count` as Phi 3 computes it:
    /// `int(partial_rotary_factor * hidden_size) // num_attention_heads`.
    PartialRopeDims,
    /// `TextModel`'s rope scaling keys from `rope_scaling` (or
    /// `rope_parameters`): `rope.scaling.type` and `.factor` for linear;
    /// also `.original_context_length` and the yarn factors present for
    /// yarn; the type alone for longrope; nothing otherwise.
    RopeScaling,
    /// `{arch}.rope.freq_base`: `rope_scaling`'s `rope_theta`, else the
    /// first of the converter's rope-base keys.
    RopeFreqBase,
    /// `{arch}.pooling_type` from the sentence-transformers pooling module
    /// (`modules.json`, then its folder's `config.json`), when there is one.
    PoolingType,
    /// Each of these, in order (a list several architectures begin with).
    Group(&'static [HParam]),
}

/// One supported architecture.
#[derive(Debug)]
pub struct Arch {
    /// The GGUF architecture name (`general.architecture`).
    pub name: &'static str,
    /// The Hugging Face classes (`config.json`'s `architectures[0]`).
    pub hf_classes: &'static [&'static str],
    /// The configuration class's defaults (AutoConfig), derived ones last.
    pub defaults: &'static [(&'static str, D)],
    /// Hyperparameters in the converter's order.
    pub hparams: &'static [HParam],
    /// Tensors outside the layers: Hugging Face name (without `.weight` /
    /// `.bias`) → GGUF name, and its transform.
    pub global: &'static [(&'static str, &'static str, Transform)],
    /// What layer tensors' names start with, before the layer number
    /// (`model.layers.`).
    pub block_prefix: &'static str,
    /// Layer tensors: name after `{block_prefix}N.` → GGUF name after
    /// `blk.N.`, and its transform.
    pub block: &'static [(&'static str, &'static str, Transform)],
    /// Name prefixes the converter removes first (`bert.`).
    pub strip_prefixes: &'static [&'static str],
    /// Name endings the converter renames first (TensorFlow-era
    /// `LayerNorm.gamma` / `.beta` → `.weight` / `.bias`).
    pub rename_suffixes: &'static [(&'static str, &'static str)],
    /// Hugging Face names (prefixes, after the renames) the converter drops.
    pub skip: &'static [&'static str],
    /// GGUF tensor names kept F32 whatever the output type (position and
    /// token-type embeddings).
    pub f32_tensors: &'static [&'static str],
    /// Generate `rope_freqs.weight` for llama3 rope scaling.
    pub llama3_rope_freqs: bool,
    /// Phi 3's long-context rope: `rope_scaling` checked as transformers'
    /// `Phi3Config` checks it, and its `long_factor` / `short_factor`
    /// written as `rope_factors_long.weight` / `rope_factors_short.weight`
    /// with `rope.scaling.attn_factor` (`Phi3MiniModel.
    /// generate_extra_tensors`).
    pub phi3_rope_factors: bool,
}

const LLAMA_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(32000)),
    ("max_position_embeddings", D::Int(2048)),
    ("hidden_size", D::Int(4096)),
    ("intermediate_size", D::Int(11008)),
    ("num_hidden_layers", D::Int(32)),
    ("num_attention_heads", D::Int(32)),
    ("rms_norm_eps", D::Float(1e-6)),
    ("rope_theta", D::Float(10000.0)),
    ("rope_scaling", D::Null),
    ("tie_word_embeddings", D::Bool(false)),
    ("num_key_value_heads", D::NumAttentionHeads),
    ("head_dim", D::HeadDim),
];

const MISTRAL_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(32000)),
    ("max_position_embeddings", D::Int(131072)),
    ("hidden_size", D::Int(4096)),
    ("intermediate_size", D::Int(14336)),
    ("num_hidden_layers", D::Int(32)),
    ("num_attention_heads", D::Int(32)),
    ("num_key_value_heads", D::Int(8)),
    ("rms_norm_eps", D::Float(1e-6)),
    ("rope_theta", D::Float(10000.0)),
    ("tie_word_embeddings", D::Bool(false)),
    // MistralConfig keeps head_dim None when it is not given.
    ("head_dim", D::Null),
    // Given as null: num_attention_heads (the class's `if ... is None`).
    ("num_key_value_heads", D::NumAttentionHeads),
];

const QWEN2_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(151936)),
    ("max_position_embeddings", D::Int(32768)),
    ("hidden_size", D::Int(4096)),
    ("intermediate_size", D::Int(22016)),
    ("num_hidden_layers", D::Int(32)),
    ("num_attention_heads", D::Int(32)),
    ("num_key_value_heads", D::Int(32)),
    ("rms_norm_eps", D::Float(1e-6)),
    ("rope_theta", D::Float(10000.0)),
    ("rope_scaling", D::Null),
    ("tie_word_embeddings", D::Bool(false)),
    // Given as null: num_attention_heads (the class's `if ... is None`).
    ("num_key_value_heads", D::NumAttentionHeads),
];

const QWEN3_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(151936)),
    ("max_position_embeddings", D::Int(32768)),
    ("hidden_size", D::Int(4096)),
    ("intermediate_size", D::Int(22016)),
    ("num_hidden_layers", D::Int(32)),
    ("num_attention_heads", D::Int(32)),
    ("num_key_value_heads", D::Int(32)),
    ("head_dim", D::Int(128)),
    ("rms_norm_eps", D::Float(1e-6)),
    ("rope_theta", D::Float(10000.0)),
    ("rope_scaling", D::Null),
    ("tie_word_embeddings", D::Bool(false)),
    // Given as null: num_attention_heads (the class's `if ... is None`).
    ("num_key_value_heads", D::NumAttentionHeads),
];

const GEMMA2_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(256000)),
    ("max_position_embeddings", D::Int(8192)),
    ("hidden_size", D::Int(2304)),
    ("intermediate_size", D::Int(9216)),
    ("num_hidden_layers", D::Int(26)),
    ("num_attention_heads", D::Int(8)),
    ("num_key_value_heads", D::Int(4)),
    ("head_dim", D::Int(256)),
    ("rms_norm_eps", D::Float(1e-6)),
    ("rope_theta", D::Float(10000.0)),
    ("attn_logit_softcapping", D::Float(50.0)),
    ("final_logit_softcapping", D::Float(30.0)),
    ("sliding_window", D::Int(4096)),
    ("tie_word_embeddings", D::Bool(true)),
];

const GEMMA3_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(262208)),
    ("max_position_embeddings", D::Int(131072)),
    ("hidden_size", D::Int(2304)),
    ("intermediate_size", D::Int(9216)),
    ("num_hidden_layers", D::Int(26)),
    ("num_attention_heads", D::Int(8)),
    ("num_key_value_heads", D::Int(4)),
    ("head_dim", D::Int(256)),
    ("rms_norm_eps", D::Float(1e-6)),
    ("rope_theta", D::Float(1_000_000.0)),
    ("rope_local_base_freq", D::Float(10000.0)),
    ("rope_scaling", D::Null),
    ("attn_logit_softcapping", D::Null),
    ("final_logit_softcapping", D::Null),
    ("sliding_window", D::Int(4096)),
    ("tie_word_embeddings", D::Bool(true)),
];

const GEMMA2_HPARAMS: &[HParam] = &[
    HParam::U32("context_length", &["max_position_embeddings"]),
    HParam::U32("embedding_length", &["hidden_size"]),
    HParam::U32(
        "block_count",
        &["n_layers", "num_hidden_layers", "n_layer", "num_layers"],
    ),
    HParam::U32("feed_forward_length", &["intermediate_size"]),
    HParam::U32("attention.head_count", &["num_attention_heads"]),
    HParam::U32(
        "attention.head_count_kv",
        &["num_key_value_heads", "num_attention_heads"],
    ),
    HParam::F32("attention.layer_norm_rms_epsilon", &["rms_norm_eps"]),
    HParam::HeadDimLengths,
    HParam::FileType,
    HParam::F32("attn_logit_softcapping", &["attn_logit_softcapping"]),
    HParam::F32("final_logit_softcapping", &["final_logit_softcapping"]),
    HParam::U32("attention.sliding_window", &["sliding_window"]),
];

const GEMMA3_HPARAMS: &[HParam] = &[
    HParam::Group(TEXT_HEAD),
    HParam::RopeScaling,
    HParam::RopeFreqBase,
    HParam::F32(
        "rope.freq_base_swa",
        &[
            "local_rope_theta",
            "rope_local_theta",
            "rope_theta_local",
            "swa_rope_theta",
            "rope_local_base_freq",
        ],
    ),
    HParam::F32("attention.layer_norm_rms_epsilon", &["rms_norm_eps", "norm_eps"]),
    HParam::HeadDimLengths,
    HParam::FileType,
    HParam::F32("final_logit_softcapping", &["final_logit_softcapping"]),
    HParam::U32("attention.sliding_window", &["sliding_window"]),
];

/// The converter's `find_hparam` list for the rope base.
pub(crate) const ROPE_THETA: &[&str] = &[
    "global_rope_theta",
    "rope_global_theta",
    "rope_theta_global",
    "rope_theta",
    "rotary_emb_base",
];

/// The first keys of `TextModel.set_gguf_parameters`: layers, context,
/// widths, heads.
const TEXT_HEAD: &[HParam] = &[
    HParam::U32(
        "block_count",
        &["n_layers", "num_hidden_layers", "n_layer", "num_layers"],
    ),
    HParam::U32(
        "context_length",
        &[
            "max_position_embeddings",
            "n_ctx",
            "n_positions",
            "max_length",
            "max_sequence_length",
            "model_max_length",
        ],
    ),
    HParam::U32("embedding_length", &["hidden_size", "n_embd", "dim"]),
    HParam::U32(
        "feed_forward_length",
        &[
            "prefix_dense_intermediate_size",
            "dense_intermediate_size",
            "intermediate_size",
            "n_inner",
            "hidden_dim",
        ],
    ),
    HParam::U32(
        "attention.head_count",
        &["num_attention_heads", "n_head", "n_heads"],
    ),
    HParam::U32("attention.head_count_kv", &["num_key_value_heads", "n_kv_heads"]),
];

/// `TextModel.set_gguf_parameters`'s keys for these dense models.
const TEXT_HPARAMS: &[HParam] = &[
    HParam::Group(TEXT_HEAD),
    HParam::RopeScaling,
    HParam::RopeFreqBase,
    HParam::F32("attention.layer_norm_rms_epsilon", &["rms_norm_eps", "norm_eps"]),
    HParam::HeadDimLengths,
    HParam::FileType,
];

const LLAMA_HPARAMS: &[HParam] = &[
    HParam::Group(TEXT_HPARAMS),
    HParam::U32("vocab_size", &["vocab_size"]),
    HParam::RopeDimensionCount,
];

const DECODER_GLOBAL: &[(&str, &str, Transform)] = &[
    ("model.embed_tokens", "token_embd", Transform::None),
    ("model.norm", "output_norm", Transform::None),
    ("lm_head", "output", Transform::None),
];

const GEMMA2_GLOBAL: &[(&str, &str, Transform)] = &[
    ("model.embed_tokens", "token_embd", Transform::None),
    ("model.norm", "output_norm", Transform::PlusOne),
];

const GEMMA3_GLOBAL: &[(&str, &str, Transform)] = &[
    ("model.embed_tokens", "token_embd", Transform::TruncateVocab),
    ("model.norm", "output_norm", Transform::PlusOne),
    ("lm_head", "output", Transform::None),
];

const GEMMA_BLOCK: &[(&str, &str, Transform)] = &[
    ("self_attn.q_proj", "attn_q", Transform::None),
    ("self_attn.k_proj", "attn_k", Transform::None),
    ("self_attn.v_proj", "attn_v", Transform::None),
    ("self_attn.o_proj", "attn_output", Transform::None),
    ("self_attn.q_norm", "attn_q_norm", Transform::PlusOne),
    ("self_attn.k_norm", "attn_k_norm", Transform::PlusOne),
    ("mlp.gate_proj", "ffn_gate", Transform::None),
    ("mlp.up_proj", "ffn_up", Transform::None),
    ("mlp.down_proj", "ffn_down", Transform::None),
    ("input_layernorm", "attn_norm", Transform::PlusOne),
    (
        "post_attention_layernorm",
        "post_attention_norm",
        Transform::PlusOne,
    ),
    ("pre_feedforward_layernorm", "ffn_norm", Transform::PlusOne),
    ("post_feedforward_layernorm", "post_ffw_norm", Transform::PlusOne),
];

const LLAMA_BLOCK: &[(&str, &str, Transform)] = &[
    ("self_attn.q_proj", "attn_q", Transform::PermuteQ),
    ("self_attn.k_proj", "attn_k", Transform::PermuteK),
    ("self_attn.v_proj", "attn_v", Transform::None),
    ("self_attn.o_proj", "attn_output", Transform::None),
    ("mlp.gate_proj", "ffn_gate", Transform::None),
    ("mlp.up_proj", "ffn_up", Transform::None),
    ("mlp.down_proj", "ffn_down", Transform::None),
    ("input_layernorm", "attn_norm", Transform::None),
    ("post_attention_layernorm", "ffn_norm", Transform::None),
];

const QWEN_BLOCK: &[(&str, &str, Transform)] = &[
    ("self_attn.q_proj", "attn_q", Transform::None),
    ("self_attn.k_proj", "attn_k", Transform::None),
    ("self_attn.v_proj", "attn_v", Transform::None),
    ("self_attn.o_proj", "attn_output", Transform::None),
    ("self_attn.q_norm", "attn_q_norm", Transform::None),
    ("self_attn.k_norm", "attn_k_norm", Transform::None),
    ("mlp.gate_proj", "ffn_gate", Transform::None),
    ("mlp.up_proj", "ffn_up", Transform::None),
    ("mlp.down_proj", "ffn_down", Transform::None),
    ("input_layernorm", "attn_norm", Transform::None),
    ("post_attention_layernorm", "ffn_norm", Transform::None),
];

const PHI3_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(32064)),
    ("hidden_size", D::Int(3072)),
    ("intermediate_size", D::Int(8192)),
    ("num_hidden_layers", D::Int(32)),
    ("num_attention_heads", D::Int(32)),
    ("max_position_embeddings", D::Int(4096)),
    ("original_max_position_embeddings", D::Int(4096)),
    ("rms_norm_eps", D::Float(1e-5)),
    ("rope_theta", D::Float(10000.0)),
    ("rope_scaling", D::Null),
    ("partial_rotary_factor", D::Float(1.0)),
    ("sliding_window", D::Null),
    ("tie_word_embeddings", D::Bool(false)),
    ("num_key_value_heads", D::NumAttentionHeads),
];

const PHI3_HPARAMS: &[HParam] = &[
    HParam::U32("context_length", &["n_positions", "max_position_embeddings"]),
    HParam::U32(
        "rope.scaling.original_context_length",
        &["original_max_position_embeddings"],
    ),
    HParam::U32("embedding_length", &["hidden_size", "n_embd"]),
    HParam::U32("feed_forward_length", &["intermediate_size"]),
    HParam::U32(
        "block_count",
        &["n_layers", "num_hidden_layers", "n_layer", "num_layers"],
    ),
    HParam::U32("attention.head_count", &["num_attention_heads", "n_head"]),
    HParam::U32("attention.head_count_kv", &["num_key_value_heads", "n_head_kv"]),
    HParam::F32("attention.layer_norm_rms_epsilon", &["rms_norm_eps"]),
    HParam::PartialRopeDims,
    HParam::F32("rope.freq_base", &["rope_theta"]),
    HParam::FileType,
    HParam::U32OrZero("attention.sliding_window", "sliding_window"),
];

const PHI3_BLOCK: &[(&str, &str, Transform)] = &[
    ("self_attn.qkv_proj", "attn_qkv", Transform::None),
    ("self_attn.o_proj", "attn_output", Transform::None),
    ("mlp.gate_up_proj", "ffn_up", Transform::None),
    ("mlp.down_proj", "ffn_down", Transform::None),
    ("input_layernorm", "attn_norm", Transform::None),
    ("post_attention_layernorm", "ffn_norm", Transform::None),
];

const BERT_DEFAULTS: &[(&str, D)] = &[
    ("vocab_size", D::Int(30522)),
    ("hidden_size", D::Int(768)),
    ("num_hidden_layers", D::Int(12)),
    ("num_attention_heads", D::Int(12)),
    ("intermediate_size", D::Int(3072)),
    ("max_position_embeddings", D::Int(512)),
    ("type_vocab_size", D::Int(2)),
    ("layer_norm_eps", D::Float(1e-12)),
    ("tie_word_embeddings", D::Bool(true)),
];

const BERT_HPARAMS: &[HParam] = &[
    HParam::Group(TEXT_HEAD),
    HParam::RopeScaling,
    HParam::RopeFreqBase,
    HParam::F32("attention.layer_norm_rms_epsilon", &["rms_norm_eps", "norm_eps"]),
    HParam::F32(
        "attention.layer_norm_epsilon",
        &["layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"],
    ),
    HParam::HeadDimLengths,
    HParam::FileType,
    HParam::Bool("attention.causal", false),
    HParam::PoolingType,
];

const BERT_GLOBAL: &[(&str, &str, Transform)] = &[
    ("embeddings.word_embeddings", "token_embd", Transform::None),
    ("embeddings.position_embeddings", "position_embd", Transform::None),
    ("embeddings.token_type_embeddings", "token_types", Transform::None),
    ("embeddings.LayerNorm", "token_embd_norm", Transform::None),
];

const BERT_BLOCK: &[(&str, &str, Transform)] = &[
    ("attention.self.query", "attn_q", Transform::None),
    ("attention.self.key", "attn_k", Transform::None),
    ("attention.self.value", "attn_v", Transform::None),
    ("attention.output.dense", "attn_output", Transform::None),
    ("attention.output.LayerNorm", "attn_output_norm", Transform::None),
    ("intermediate.dense", "ffn_up", Transform::None),
    ("output.dense", "ffn_down", Transform::None),
    ("output.LayerNorm", "layer_output_norm", Transform::None),
];

/// Dropped by every converter class (`prepare_tensors`).
pub const ALWAYS_SKIP: &[&str] = &[
    ".attention.masked_bias",
    ".attention.bias",
    ".rotary_emb.inv_freq",
];

/// Every supported architecture.
pub const ARCHES: &[Arch] = &[
    Arch {
        name: "llama",
        hf_classes: &["LlamaForCausalLM"],
        defaults: LLAMA_DEFAULTS,
        hparams: LLAMA_HPARAMS,
        global: DECODER_GLOBAL,
        block: LLAMA_BLOCK,
        skip: &[],
        f32_tensors: &[],
        strip_prefixes: &[],
        rename_suffixes: &[],
        block_prefix: "model.layers.",
        llama3_rope_freqs: true,
        phi3_rope_factors: false,
    },
    Arch {
        name: "llama",
        hf_classes: &["MistralForCausalLM"],
        defaults: MISTRAL_DEFAULTS,
        hparams: LLAMA_HPARAMS,
        global: DECODER_GLOBAL,
        block: LLAMA_BLOCK,
        skip: &[],
        f32_tensors: &[],
        strip_prefixes: &[],
        rename_suffixes: &[],
        block_prefix: "model.layers.",
        llama3_rope_freqs: true,
        phi3_rope_factors: false,
    },
    Arch {
        name: "qwen2",
        hf_classes: &["Qwen2ForCausalLM"],
        defaults: QWEN2_DEFAULTS,
        hparams: TEXT_HPARAMS,
        global: DECODER_GLOBAL,
        block: QWEN_BLOCK,
        skip: &[],
        f32_tensors: &[],
        strip_prefixes: &[],
        rename_suffixes: &[],
        block_prefix: "model.layers.",
        llama3_rope_freqs: false,
        phi3_rope_factors: false,
    },
    Arch {
        name: "qwen3",
        hf_classes: &["Qwen3ForCausalLM"],
        defaults: QWEN3_DEFAULTS,
        hparams: TEXT_HPARAMS,
        global: DECODER_GLOBAL,
        block: QWEN_BLOCK,
        skip: &[],
        f32_tensors: &[],
        strip_prefixes: &[],
        rename_suffixes: &[],
        block_prefix: "model.layers.",
        llama3_rope_freqs: false,
        phi3_rope_factors: false,
    },
    Arch {
        name: "gemma2",
        hf_classes: &["Gemma2ForCausalLM"],
        defaults: GEMMA2_DEFAULTS,
        hparams: GEMMA2_HPARAMS,
        global: GEMMA2_GLOBAL,
        block: GEMMA_BLOCK,
        // lm_head is tied; the converter drops it where a file has one.
        skip: &["lm_head.weight"],
        f32_tensors: &[],
        strip_prefixes: &[],
        rename_suffixes: &[],
        block_prefix: "model.layers.",
        llama3_rope_freqs: false,
        phi3_rope_factors: false,
    },
    Arch {
        name: "gemma3",
        hf_classes: &["Gemma3ForCausalLM"],
        defaults: GEMMA3_DEFAULTS,
        hparams: GEMMA3_HPARAMS,
        global: GEMMA3_GLOBAL,
        block: GEMMA_BLOCK,
        skip: &[],
        f32_tensors: &[],
        strip_prefixes: &[],
        rename_suffixes: &[],
        block_prefix: "model.layers.",
        llama3_rope_freqs: false,
        phi3_rope_factors: false,
    },
    Arch {
        name: "phi3",
        hf_classes: &["Phi3ForCausalLM"],
        defaults: PHI3_DEFAULTS,
        hparams: PHI3_HPARAMS,
        global: DECODER_GLOBAL,
        block_prefix: "model.layers.",
        block: PHI3_BLOCK,
        skip: &[],
        f32_tensors: &[],
        strip_prefixes: &[],
        rename_suffixes: &[],
        llama3_rope_freqs: false,
        phi3_rope_factors: true,
    },
    Arch {
        name: "bert",
        hf_classes: &["BertModel"],
        defaults: BERT_DEFAULTS,
        hparams: BERT_HPARAMS,
        global: BERT_GLOBAL,
        block_prefix: "encoder.layer.",
        block: BERT_BLOCK,
        // Only the embeddings are converted: no pooler, no MLM heads.
        skip: &[
            "embeddings.position_ids",
            "pooler.dense.",
            "cls.predictions",
            "cls.seq_relationship",
        ],
        f32_tensors: &["position_embd.weight", "token_types.weight"],
        strip_prefixes: &["bert."],
        rename_suffixes: &[(".gamma", ".weight"), (".beta", ".bias")],
        llama3_rope_freqs: false,
        phi3_rope_factors: false,
    },
];

/// The architecture for Hugging Face class `class`, if supported.
pub fn find(class: &str) -> Option<&'static Arch> {
    ARCHES.iter().find(|a| a.hf_classes.contains(&class))
}

/// Every supported Hugging Face class name.
pub fn supported() -> Vec<&'static str> {
    ARCHES.iter().flat_map(|a| a.hf_classes.iter().copied()).collect()
}

impl Arch {
    /// The GGUF name of Hugging Face tensor `hf`, and its transform;
    /// `None` when the table does not map it.
    pub fn map_name(&self, hf: &str) -> Option<(String, Transform)> {
        let (base, suffix) = match hf.rsplit_once('.') {
            Some((b, s @ ("weight" | "bias"))) => (b, s),
            _ => return None,
        };
        if let Some(rest) = base.strip_prefix(self.block_prefix) {
            let (n, rest) = rest.split_once('.')?;
            let n: u32 = n.parse().ok()?;
            let &(_, g, t) = self.block.iter().find(|(h, _, _)| *h == rest)?;
            return Some((format!("blk.{n}.{g}.{suffix}"), t));
        }
        let &(_, g, t) = self.global.iter().find(|(h, _, _)| *h == base)?;
        Some((format!("{g}.{suffix}"), t))
    }

    /// Hugging Face name `hf` after the converter's renames
    /// (`filter_tensors`): a prefix stripped, an ending renamed.
    pub fn rename<'n>(&self, hf: &'n str) -> std::borrow::Cow<'n, str> {
        let name = self
            .strip_prefixes
            .iter()
            .find_map(|p| hf.strip_prefix(p))
            .unwrap_or(hf);
        if let Some((stem, to)) = self
            .rename_suffixes
            .iter()
            .find_map(|(from, to)| Some((name.strip_suffix(from)?, to)))
        {
            return format!("{stem}{to}").into();
        }
        name.into()
    }

    /// Whether the converter drops Hugging Face tensor `hf` (renamed).
    pub fn skips(&self, hf: &str) -> bool {
        ALWAYS_SKIP.iter().any(|s| hf.ends_with(s)) || self.skip.iter().any(|s| hf.starts_with(s))
    }
}

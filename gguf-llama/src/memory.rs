//! Memory llama.cpp allocates when it opens a context on a model: the
//! weights as it places them (mapped, repacked), the KV cache(s) exactly as
//! llama.cpp sizes them, and an estimate of its CPU compute and output
//! buffers. Reads only metadata and tensor shapes; nothing here touches
//! tensor data.
//!
//! The figures follow llama.cpp 0c1e570 (`llama_context`, `llama_kv_cache`,
//! `llama_kv_cache_iswa`, the per-architecture `load_arch_hparams`,
//! `tools/perplexity`), for the program [`Options::usage`] names:
//!
//! - **Usage.** [`Usage::Generation`] (the default) is llama-cli and
//!   llama-server: `n_outputs_max` is the number of sequences, one row of
//!   logits each. [`Usage::Perplexity`] is llama-perplexity: every token's
//!   logits (`n_outputs_max = n_batch`), and `n_seq = max(1, n_batch /
//!   ctx)` chunks side by side in a context of `n_seq × ctx` (its own
//!   sequences replace `-np`), `n_batch = min(n_batch, that context)`.
//! - **Weights** ([`weights`]). `CPU_REPACK`: the matrix weights llama.cpp
//!   repacks for its CPU kernels, which depends on the CPU; modelled for
//!   x86-64 with AVX2 ([`is_repacked`]: Q4_0, Q4_K, IQ4_NL, MXFP4 with a
//!   multiple of 8 rows, not the embeddings looked up by row), each padded
//!   to 32 bytes. `CPU_Mapped`: per file, the span from the first weight
//!   that is not repacked to the end of the last (repacked weights inside
//!   the span are counted in both, as llama.cpp maps them).
//! - **Context.** `n_ctx` is the requested context (0: the model's
//!   `{arch}.context_length`) rounded up to a multiple of 256. With
//!   `n_seq` sequences and a split (not unified) cache, each sequence gets
//!   `n_ctx_seq = pad256(n_ctx / n_seq)` cells in its own stream.
//! - **Refusals.** What `llama_init_from_model` refuses is
//!   [`Unknown::Refused`] with its words: a quantized K or V cache whose
//!   block size does not divide every layer's head size ("K cache type q8_0
//!   with block size 32 does not divide n_embd_head_k=8"), more than
//!   [`MAX_SEQ`] sequences, a cache type it does not take.
//! - **Full-attention cache.** One K and one V tensor per layer, each
//!   `n_embd_{k,v}_gqa(layer) × cells × streams` elements of the cache type,
//!   `n_embd_k_gqa = head_count_kv(layer) × key_length` (`value_length` for
//!   V; both default to `embedding_length / head_count`), sized as
//!   `ggml_nbytes` sizes them.
//! - **Sliding-window cache.** Layers the architecture marks as
//!   sliding-window (its own layer pattern, overridden by
//!   `{arch}.attention.sliding_window_pattern` where llama.cpp reads it) get
//!   a second cache of
//!   `pad256(min(n_ctx_seq, window × (unified ? n_seq : 1) + n_ubatch))`
//!   cells, with `key_length_swa`/`value_length_swa` heads where present.
//! - **Compute buffer (an estimate).** The CPU backend's worst-case graph
//!   for one micro-batch of `T = min(n_ctx, n_ubatch)` tokens producing
//!   `min(T, n_outputs_max)` rows of logits, as ggml's allocator lays it out
//!   for a transformer: the larger of the layer step and the output step.
//!   The layer step holds the inputs (token ids, positions, cache indices
//!   and one attention mask of `cells × T` per cache, f16 with flash
//!   attention, which llama.cpp turns on by default on the CPU; with a
//!   quantized cache and heads a multiple of 64, the Hadamard rotation
//!   matrices) and the layer working set (`2 × n_embd + max(n_embd, n_head
//!   × head) + n_embd + 3 × n_ff` floats per token, one `n_ff` less when
//!   it fits a freed hole; when it does, plus the widest rotated K/V with
//!   a rotated cache, and Gemma's scaled input embeddings).
//!   The output step holds the last hidden states and the logits of the
//!   output rows (`n_vocab × rows × 4` bytes: they dominate
//!   llama-perplexity's buffer on a large vocabulary). Checked against
//!   llama.cpp's own figures (`testdata/golden/llama-context-memory.json`)
//!   within 5 %; not exact. Shapes far from a transformer's usual ones
//!   (feed-forward no wider than the embedding, more KV than query width)
//!   can be off by 10–25 %.
//! - **Output buffer.** The logits of one token per sequence, reserved when
//!   the context is made: `n_vocab × n_seq × 4` bytes, `n_vocab` being the
//!   length of `tokenizer.ggml.tokens`.
//!
//! Architectures whose memory llama.cpp builds differently (recurrent and
//! hybrid state, sparse-attention indexer caches, encoder-decoder models)
//! are named in [`Estimate::notes`] and get no KV figure rather than a
//! wrong one; a missing key is named in [`Estimate::missing`].
//!
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::GgufFile;
//! use gguf_llama::memory;
//! let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f16.gguf"))?;
//! let g = file.parse()?;
//! let e = memory::estimate(&g, &memory::Options::new(4096), g.total_tensor_bytes());
//! // 2 layers × 4096 cells × (32 + 32) f16 values.
//! assert_eq!(e.kv_bytes.ok(), Some(1 << 20));
//! assert_eq!(e.caches[0].cells, 4096);
//! assert!(e.compute_bytes.is_ok() && e.total_bytes.is_some());
//! # Ok(()) }
//! ```

use crate::hparams::{self, HParams};
use gguf_format::{GgmlType, Gguf, Value};
use std::fmt;

/// llama.cpp's `LLAMA_MAX_SEQ`: the most sequences one context can hold.
pub const MAX_SEQ: u32 = 256;

/// The cache types llama.cpp's `--cache-type-k`/`--cache-type-v` accept.
pub const CACHE_TYPES: [GgmlType; 9] = [
    GgmlType::F32,
    GgmlType::F16,
    GgmlType::BF16,
    GgmlType::Q8_0,
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::IQ4_NL,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
];

/// Which program's context the figures describe: the programs differ in
/// how many rows of logits a micro-batch may produce (`n_outputs_max`),
/// which sizes the output step of the compute buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Usage {
    /// `llama-cli` and `llama-server` (text generation): one output row per
    /// sequence (`n_outputs_max` = the number of sequences).
    #[default]
    Generation,
    /// `llama-perplexity`: every token's logits (`n_outputs_max` =
    /// `n_batch`). It also sets its own sequences: `max(1, n_batch / ctx)`
    /// chunks side by side (`-np` is ignored), a context of that many times
    /// `ctx`, and `n_batch = min(n_batch, that context)`.
    Perplexity,
}

impl Usage {
    /// `generation` or `perplexity` (the CLI's `--usage` values).
    pub fn name(self) -> &'static str {
        match self {
            Usage::Generation => "generation",
            Usage::Perplexity => "perplexity",
        }
    }

    /// The programs whose allocation the figures describe.
    pub fn programs(self) -> &'static str {
        match self {
            Usage::Generation => "llama-cli / llama-server",
            Usage::Perplexity => "llama-perplexity",
        }
    }
}

/// The context parameters the figures depend on, named and defaulted as in
/// llama.cpp's `common` options (`-c`, `-ctk`, `-ctv`, `-np`, `-b`, `-ub`,
/// `-kvu`, `--swa-full`), and the program that creates the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Context length in tokens (`-c`); 0 means the model's own
    /// `{arch}.context_length`, as in llama.cpp.
    pub context: u64,
    /// K cache type (`-ctk`, default F16).
    pub cache_type_k: GgmlType,
    /// V cache type (`-ctv`, default F16).
    pub cache_type_v: GgmlType,
    /// Parallel sequences (`-np`, default 1; 0 counts as 1). llama-perplexity
    /// sets its own (see [`Usage::Perplexity`]).
    pub n_seq: u32,
    /// Logical batch size (`-b`, default 2048).
    pub n_batch: u32,
    /// Physical batch size (`-ub`, default 512; 0 means `n_batch`).
    pub n_ubatch: u32,
    /// One cache shared by all sequences (`-kvu`) instead of one stream each.
    pub kv_unified: bool,
    /// Full-size caches on sliding-window layers (`--swa-full`).
    pub swa_full: bool,
    /// The program: generation (llama-cli, llama-server) or llama-perplexity.
    pub usage: Usage,
}

impl Options {
    /// llama.cpp's defaults at a context of `context` tokens: f16 caches,
    /// one sequence, n_batch 2048, n_ubatch 512, split streams, as
    /// llama-cli and llama-server allocate ([`Usage::Generation`]).
    pub fn new(context: u64) -> Options {
        Options {
            context,
            cache_type_k: GgmlType::F16,
            cache_type_v: GgmlType::F16,
            n_seq: 1,
            n_batch: 2048,
            n_ubatch: 512,
            kv_unified: false,
            swa_full: false,
            usage: Usage::Generation,
        }
    }
}

impl Default for Options {
    /// [`Options::new`] with a context of 0 (the model's own).
    fn default() -> Options {
        Options::new(0)
    }
}

/// Why a figure is not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// Keys it needs are absent or malformed; they are listed in
    /// [`Estimate::missing`].
    MissingKeys,
    /// A product does not fit in 64 bits.
    TooLarge,
    /// llama.cpp allocates this architecture's memory in a way this
    /// estimate does not model (the reason).
    NotCovered(String),
    /// llama.cpp would refuse to create this context (its reason).
    Refused(String),
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unknown::MissingKeys => f.write_str("keys missing"),
            Unknown::TooLarge => f.write_str("too large to count in 64 bits"),
            Unknown::NotCovered(why) => write!(f, "not covered: {why}"),
            Unknown::Refused(why) => write!(f, "llama.cpp refuses: {why}"),
        }
    }
}

/// Which layers a cache serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    /// Full attention: one cell per token of context.
    Full,
    /// Sliding-window (or chunked) attention over the last `window` tokens.
    SlidingWindow {
        /// `{arch}.attention.sliding_window` (or the architecture's fixed window).
        window: u64,
    },
}

impl CacheKind {
    /// `full` or `swa`.
    pub fn name(self) -> &'static str {
        match self {
            CacheKind::Full => "full",
            CacheKind::SlidingWindow { .. } => "swa",
        }
    }
}

/// One layer's K and V tensors in a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLayer {
    /// The model layer (block) index.
    pub layer: u32,
    /// Bytes of its K tensor.
    pub k_bytes: u64,
    /// Bytes of its V tensor (0 for an MLA model, which keeps no V cache).
    pub v_bytes: u64,
}

/// One KV cache as llama.cpp allocates it (what its `llama_kv_cache: size =`
/// log line reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    /// Full or sliding-window.
    pub kind: CacheKind,
    /// Cells per stream (llama.cpp's `kv_size`, the "cells" it logs).
    pub cells: u64,
    /// Streams: `n_seq` for split caches, 1 for a unified one.
    pub streams: u64,
    /// The layers it serves, in order.
    pub layers: Vec<CacheLayer>,
    /// Bytes of all K tensors.
    pub k_bytes: u64,
    /// Bytes of all V tensors.
    pub v_bytes: u64,
    /// `k_bytes + v_bytes`.
    pub bytes: u64,
}

/// What [`estimate`] found: each part, or why it is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// The options used.
    pub options: Options,
    /// `n_ctx` as llama.cpp sets it (padded to 256, a multiple of the
    /// sequences), when known.
    pub n_ctx: Option<u64>,
    /// Tokens in the worst-case micro-batch (`min(n_ctx, n_ubatch)`).
    pub n_tokens: Option<u64>,
    /// Sequences the context holds (`n_seq_max`): `-np` for generation, the
    /// chunks side by side for llama-perplexity.
    pub n_seq: Option<u64>,
    /// Rows of logits the worst-case micro-batch produces (`min(n_tokens,
    /// n_outputs_max)`).
    pub n_outputs: Option<u64>,
    /// The weights: `CPU_Mapped` and `CPU_REPACK` (see [`Weights`]).
    pub weights: Weights,
    /// Bytes of the weights in memory: `weights.mapped + weights.repack`.
    pub weights_bytes: u64,
    /// The KV caches, one entry per cache (empty when unknown).
    pub caches: Vec<Cache>,
    /// All KV caches together, exact.
    pub kv_bytes: Result<u64, Unknown>,
    /// The CPU compute buffer: an estimate (see the module docs).
    pub compute_bytes: Result<u64, Unknown>,
    /// The output (logits) buffer, exact.
    pub output_bytes: Result<u64, Unknown>,
    /// Weights + KV + compute + output, when all are known.
    pub total_bytes: Option<u64>,
    /// Keys read, with the values used (`per layer …` for arrays).
    pub keys_used: Vec<(String, String)>,
    /// Keys needed but absent or malformed.
    pub missing: Vec<String>,
    /// Caveats: what was assumed, what is not covered.
    pub notes: Vec<String>,
}

/// Where llama.cpp keeps a model's weights on the CPU (with its default
/// memory map and weight repacking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weights {
    /// `CPU_Mapped`: per file, the span of the file from the first weight
    /// it maps to the end of the last (repacked weights between them stay
    /// inside the span).
    pub mapped: u64,
    /// `CPU_REPACK`: copies of the weights llama.cpp repacks for its CPU
    /// matrix kernels, here by the x86-64 AVX2 rules (see [`is_repacked`]).
    pub repack: u64,
    /// How many weights are repacked.
    pub repacked: usize,
}

impl Weights {
    /// All weights mapped, none repacked: `bytes` of tensor data.
    pub fn mapped(bytes: u64) -> Weights {
        Weights {
            mapped: bytes,
            repack: 0,
            repacked: 0,
        }
    }

    /// `mapped + repack`.
    pub fn bytes(&self) -> u64 {
        self.mapped.saturating_add(self.repack)
    }
}

/// One weight as llama.cpp's loader sees it: enough to place it.
#[derive(Debug, Clone, Copy)]
pub struct WeightInfo<'n> {
    /// The tensor name.
    pub name: &'n str,
    /// Its type.
    pub ty: GgmlType,
    /// Its shape (`ne`), as many dimensions as the file gives.
    pub dims: &'n [u64],
    /// Which file (shard) holds it.
    pub file: usize,
    /// Where its data starts in that file.
    pub offset: u64,
    /// Bytes of its data.
    pub bytes: u64,
}

/// The weights llama.cpp 0c1e570 reads with a matrix product but never with
/// `get_rows` (token and position embeddings are looked up by row).
fn looked_up_by_row(name: &str) -> bool {
    matches!(
        name,
        "token_embd.weight" | "position_embd.weight" | "token_types.weight" | "per_layer_token_embd.weight"
    ) || name.ends_with(".nextn.embed_tokens.weight")
        || name.ends_with(".attn_rel_b.weight")
}

/// Whether llama.cpp 0c1e570 repacks weight `name` of type `ty` and shape
/// `dims` into its `CPU_REPACK` buffer on an x86-64 CPU with AVX2 (without
/// AVX-512): a matrix weight (2 dimensions; 3 for the experts of a mixture,
/// which `mul_mat_id` reads) of type Q4_0, Q4_K, IQ4_NL or MXFP4 whose
/// `ne[1]` is a multiple of 8 (`ggml_repack_get_optimal_repack_type`).
/// Other CPUs repack other sets: AVX-512 adds Q2_K; ARM with NEON repacks
/// Q4_0, Q4_K, Q5_K, Q6_K, IQ4_NL, MXFP4, Q8_0 and Q1_0 (some with `ne[1]`
/// a multiple of 4). `output_is_embedding`: the model has no
/// `output.weight`, so llama.cpp multiplies by `token_embd.weight` and
/// repacks a copy of it.
pub fn is_repacked(name: &str, ty: GgmlType, dims: &[u64], output_is_embedding: bool) -> bool {
    let by_row = looked_up_by_row(name) && !(output_is_embedding && name == "token_embd.weight");
    let n_dims = dims.iter().rposition(|&d| d != 1).map_or(1, |i| i + 1);
    let matrix = n_dims == 2 || (n_dims == 3 && name.contains("_exps."));
    !by_row
        && matrix
        && matches!(
            ty,
            GgmlType::Q4_0 | GgmlType::Q4_K | GgmlType::IQ4_NL | GgmlType::MXFP4
        )
        && dims.get(1).is_some_and(|n| n.is_multiple_of(8))
}

/// Architectures llama.cpp loads without an output head (embedding
/// models): no `output.weight`, and no copy of the embedding in its place.
fn is_encoder(arch: &str) -> bool {
    matches!(
        arch,
        "bert"
            | "jina-bert-v2"
            | "jina-bert-v3"
            | "nomic-bert"
            | "nomic-bert-moe"
            | "neo-bert"
            | "eurobert"
            | "modern-bert"
            | "gemma-embedding"
            | "t5encoder"
    )
}

/// Where llama.cpp puts `tensors` (every shard's weights) on the CPU: the
/// repacked ones in `CPU_REPACK` (each padded to 32 bytes), the others
/// mapped from their files ([`Weights`]).
///
/// `arch` is the model's `general.architecture`: an encoder (BERT and its
/// kin) has no output head, so its embedding is not repacked as one.
pub fn weights<'n>(arch: Option<&str>, tensors: impl IntoIterator<Item = WeightInfo<'n>>) -> Weights {
    let tensors: Vec<WeightInfo<'n>> = tensors.into_iter().collect();
    let output_is_embedding =
        !is_encoder(arch.unwrap_or("")) && !tensors.iter().any(|t| t.name == "output.weight");
    let mut w = Weights::default();
    // Per file: (first offset, end of the last) of what stays mapped.
    let mut spans: Vec<(usize, u64, u64)> = Vec::new();
    for t in &tensors {
        if is_repacked(t.name, t.ty, t.dims, output_is_embedding) {
            w.repack = w.repack.saturating_add(t.bytes.saturating_add(31) / 32 * 32);
            w.repacked += 1;
            // The embedding is also looked up by row: it stays mapped too.
            if t.name != "token_embd.weight" {
                continue;
            }
        }
        let end = t.offset.saturating_add(t.bytes);
        match spans.iter_mut().find(|s| s.0 == t.file) {
            Some(s) => {
                s.1 = s.1.min(t.offset);
                s.2 = s.2.max(end);
            }
            None => spans.push((t.file, t.offset, end)),
        }
    }
    w.mapped = spans
        .iter()
        .fold(0u64, |acc, s| acc.saturating_add(s.2.saturating_sub(s.1)));
    w
}

/// How an architecture's layers use the KV cache, per llama.cpp's
/// `create_memory` and `load_arch_hparams`.
#[derive(Debug, Clone, Copy)]
enum Arch {
    /// `llama_kv_cache` (or `llama_kv_cache_iswa`) over the layers.
    Attention(Swa),
    /// No KV cache at all (encoders, diffusion models).
    NoCache,
    /// Something this estimate does not model (why).
    NotCovered(&'static str),
}

/// Where sliding-window layers come from.
#[derive(Debug, Clone, Copy)]
enum Swa {
    /// No sliding window.
    None,
    /// Every layer by a repeating pattern of `period` (the scalar
    /// `sliding_window_pattern` overrides it, an array of flags replaces it).
    Pattern {
        period: u32,
        dense_first: bool,
        window: Window,
        when: When,
    },
    /// Per-layer flags from the `sliding_window_pattern` array (required).
    Array { window: Window },
}

/// The window size.
#[derive(Debug, Clone, Copy)]
enum Window {
    /// `{arch}.attention.sliding_window`, required.
    Key,
    /// The key if present, else this.
    KeyOr(u64),
    /// Fixed by llama.cpp whatever the key says.
    Fixed(u64),
}

/// When the sliding window is on.
#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    /// When `sliding_window` is present and non-zero.
    KeyPositive,
    /// Unless `sliding_window` is present and zero (llama4).
    UnlessKeyZero,
    /// Only for a model of this many layers (exaone4 32B).
    Layers(u64),
}

const fn pattern(period: u32, dense_first: bool, window: Window, when: When) -> Arch {
    Arch::Attention(Swa::Pattern {
        period,
        dense_first,
        window,
        when,
    })
}

/// llama.cpp 0c1e570's architectures by how their memory is built.
fn arch_kind(arch: &str) -> Option<Arch> {
    use When::*;
    use Window::*;
    Some(match arch {
        "gemma2" => pattern(2, false, KeyOr(4096), Always),
        "gemma3" => pattern(6, false, Key, KeyPositive),
        "gemma3n" => pattern(5, false, Key, Always),
        "cohere2" | "muse-glimmer" | "exaone-moe" => pattern(4, false, Key, Always),
        "cohere2moe" => pattern(4, true, Key, Always),
        "gpt-oss" => pattern(2, false, Key, Always),
        "afmoe" | "mellum" | "olmo2" => pattern(4, false, Key, KeyPositive),
        "plamo3" => pattern(8, false, Key, KeyPositive),
        "laguna" => pattern(4, true, Key, KeyPositive),
        "smallthinker" => pattern(4, true, Fixed(4096), KeyPositive),
        "llama4" => pattern(4, false, Fixed(8192), UnlessKeyZero),
        "exaone4" => pattern(4, false, KeyOr(4096), Layers(64)),
        "gemma4" | "granite_swa" | "maple" | "mimo2" | "spark2_5" | "step35" => {
            Arch::Attention(Swa::Array { window: Key })
        }
        "bert" | "jina-bert-v2" | "jina-bert-v3" | "nomic-bert" | "nomic-bert-moe" | "neo-bert"
        | "eurobert" | "wavtokenizer-dec" | "modern-bert" | "gemma-embedding" | "dream" | "llada"
        | "llada-moe" | "rnd1" => Arch::NoCache,
        "mamba" | "mamba2" | "rwkv6" | "rwkv6qwen2" | "rwkv7" | "arwkv7" => Arch::NotCovered(
            "a recurrent model: llama.cpp keeps a per-sequence recurrent state, not modelled here",
        ),
        "jamba" | "falcon-h1" | "plamo2" | "granitehybrid" | "lfm2" | "lfm2moe" | "nemotron_h"
        | "nemotron_h_moe" | "qwen3next" | "kimi-linear" | "bailingmoe3" | "kimi-k3" | "glm5-next"
        | "qwen35" | "qwen35moe" | "qwen4exp" | "deepseek4" | "minimax-01" => Arch::NotCovered(
            "a hybrid model: llama.cpp keeps a recurrent state beside the attention cache, not modelled here",
        ),
        "minimax-m3" | "glm-dsa" | "deepseek32" | "hy_v4" | "dots3note" | "dflash" => {
            Arch::NotCovered("sparse attention: llama.cpp adds indexer caches (MLA/DSA), not modelled here")
        }
        "gemma4-assistant" | "eagle3" => {
            Arch::NotCovered("a draft model: llama.cpp shares the target model's cache, not modelled here")
        }
        "t5" | "t5encoder" => Arch::NotCovered("an encoder-decoder model: not modelled here"),
        "graniteswitch" => Arch::NotCovered("a router layer is added to the cache, not modelled here"),
        "clip" => Arch::NotCovered("a vision encoder, not a language model"),
        "phi3" => Arch::Attention(Swa::None), // llama.cpp disables Phi-3's sliding window
        "llama" | "deci" | "falcon" | "grok" | "gpt2" | "gptj" | "gptneox" | "mpt" | "baichuan"
        | "starcoder" | "refact" | "bloom" | "stablelm" | "qwen" | "qwen2" | "qwen2moe" | "qwen2vl"
        | "qwen3" | "qwen3moe" | "qwen3vl" | "qwen3vlmoe" | "phi2" | "phimoe" | "plamo" | "codeshell"
        | "orion" | "internlm2" | "minicpm" | "minicpm3" | "gemma" | "starcoder2" | "xverse"
        | "command-r" | "dbrx" | "olmo" | "olmoe" | "openelm" | "arctic" | "deepseek" | "deepseek2"
        | "deepseek2-ocr" | "chatglm" | "glm4" | "glm4moe" | "bitnet" | "jais" | "jais2" | "nemotron"
        | "exaone" | "granite" | "granitemoe" | "chameleon" | "plm" | "bailingmoe" | "bailingmoe2"
        | "dots1" | "arcee" | "ernie4_5" | "ernie4_5-moe" | "hunyuan-moe" | "hunyuan-dense"
        | "hunyuan_vl" | "hy_v3" | "smollm3" | "seed_oss" | "grovemoe" | "apertus" | "hrm_text"
        | "minimax-m2" | "cogvlm" | "pangu-embedded" | "mistral3" | "mistral4" | "paddleocr"
        | "llama-embed" | "maincoder" | "talkie" | "nanbeige" | "qwen3tts" | "pockettts" => {
            Arch::Attention(Swa::None)
        }
        _ => return None,
    })
}

/// The hyperparameter reader, and the caveats found on the way.
struct Reader<'g, 'a> {
    hp: HParams<'g, 'a>,
    notes: Vec<String>,
}

/// Why a hyperparameter could not be read, as a reason for a figure.
fn unknown(e: hparams::Error) -> Unknown {
    match e {
        hparams::Error::Malformed => Unknown::MissingKeys,
        hparams::Error::TooLarge => Unknown::TooLarge,
        hparams::Error::Invalid(why) => Unknown::Refused(why),
    }
}

/// `x` rounded up to a multiple of 256 (llama.cpp's `GGML_PAD(x, 256)`).
fn pad256(x: u64) -> Option<u64> {
    Some(x.checked_add(255)? / 256 * 256)
}

/// `ggml_nbytes` of a tensor `[ne0, ne1, ne2]` of type `ty`.
fn nbytes(ty: GgmlType, ne0: u64, ne1: u64, ne2: u64) -> Option<u64> {
    if ne0 == 0 || ne1 == 0 || ne2 == 0 {
        return Some(0);
    }
    let info = ty.info()?;
    let (bs, ts) = (u64::from(info.block_size), u64::from(info.type_size));
    // nb1 = ts * (ne0 / bs); bytes = ne0 * ts / bs + (ne1 - 1) * nb1 + (ne2 - 1) * nb1 * ne1.
    let nb1 = ts.checked_mul(ne0 / bs)?;
    let nb2 = nb1.checked_mul(ne1)?;
    ne0.checked_mul(ts)?
        .checked_div(bs)?
        .checked_add((ne1 - 1).checked_mul(nb1)?)?
        .checked_add((ne2 - 1).checked_mul(nb2)?)
}

/// The hyperparameters the cache and the compute graph depend on, per layer.
struct Layers {
    n_layer: u64,
    n_embd: u64,
    n_head: Vec<u64>,
    n_head_kv: Vec<u64>,
    head_k: u64,
    head_v: u64,
    head_k_swa: u64,
    head_v_swa: u64,
    is_swa: Vec<bool>,
    /// Layers from here on keep no cache (gemma3n, gemma4 share earlier ones).
    kv_from_start: Option<u64>,
    /// Layers from here on are next-token-prediction heads the main context skips.
    trunk: u64,
    mla: bool,
}

impl Layers {
    fn k_gqa(&self, il: usize) -> Option<u64> {
        let h = if self.is_swa[il] {
            self.head_k_swa
        } else {
            self.head_k
        };
        h.checked_mul(self.n_head_kv[il])
    }
    fn v_gqa(&self, il: usize) -> Option<u64> {
        let h = if self.is_swa[il] {
            self.head_v_swa
        } else {
            self.head_v
        };
        h.checked_mul(self.n_head_kv[il])
    }
    fn has_kv(&self, il: u64) -> bool {
        il < self.trunk && self.kv_from_start.is_none_or(|s| il < s)
    }
}

/// The estimate for `g` (the first shard's metadata and its tensors' shapes
/// are enough) at `opts`, with `weights_bytes` of weights, all mapped (for
/// a split model, the sum over all shards). Never panics; every product is
/// checked. [`estimate_with_weights`] takes the weights as llama.cpp places
/// them ([`weights`]).
pub fn estimate(g: &Gguf<'_>, opts: &Options, weights_bytes: u64) -> Estimate {
    estimate_with_weights(g, opts, Weights::mapped(weights_bytes))
}

/// [`estimate`] with the weights as llama.cpp places them: mapped and
/// repacked ([`weights`]).
pub fn estimate_with_weights(g: &Gguf<'_>, opts: &Options, weights: Weights) -> Estimate {
    let mut r = Reader {
        hp: HParams::new(g),
        notes: Vec::new(),
    };
    let arch = r.hp.arch();
    let weights_bytes = weights.bytes();
    let mut e = Estimate {
        options: *opts,
        n_ctx: None,
        n_tokens: None,
        n_seq: None,
        n_outputs: None,
        weights,
        weights_bytes,
        caches: Vec::new(),
        kv_bytes: Err(Unknown::MissingKeys),
        compute_bytes: Err(Unknown::MissingKeys),
        output_bytes: Err(Unknown::MissingKeys),
        total_bytes: None,
        keys_used: Vec::new(),
        missing: Vec::new(),
        notes: Vec::new(),
    };
    if arch.is_empty() {
        r.hp.note_missing(hparams::ARCHITECTURE);
    }

    // The sequences and context the program asks llama.cpp for.
    let asked = if arch.is_empty() {
        Err(Unknown::MissingKeys)
    } else {
        asked_context(&mut r, opts)
    };
    let n_seq = match (&asked, opts.usage) {
        (Ok(a), _) => Ok(a.n_seq),
        (Err(_), Usage::Generation) => Ok(n_seq(opts)),
        (Err(why), Usage::Perplexity) => Err(why.clone()),
    };
    e.n_seq = n_seq.as_ref().ok().copied();

    // The output buffer: one row of logits per sequence, reserved when the
    // context is made (`output_reserve(n_seq_max)`).
    let n_vocab = r.hp.n_vocab();
    e.output_bytes = match (n_vocab, &n_seq) {
        (Some(v), Ok(n)) => v
            .checked_mul(*n)
            .and_then(|x| x.checked_mul(4))
            .ok_or(Unknown::TooLarge),
        (None, _) => Err(Unknown::MissingKeys),
        (_, Err(why)) => Err(why.clone()),
    };

    let result = match asked {
        Ok(a) => attention(&mut r, opts, &a, arch),
        Err(why) => Err(why),
    };
    match result {
        Ok(a) => {
            e.n_ctx = Some(a.n_ctx);
            e.n_tokens = Some(a.n_tokens);
            e.kv_bytes = a
                .caches
                .iter()
                .try_fold(0u64, |acc, c| acc.checked_add(c.bytes))
                .ok_or(Unknown::TooLarge);
            e.caches = a.caches;
            e.compute_bytes = match (a.graph, n_vocab) {
                (Ok(graph), Some(v)) => {
                    e.n_outputs = Some(graph.n_outputs);
                    compute(&graph, v).ok_or(Unknown::TooLarge)
                }
                (Ok(_), None) => Err(Unknown::MissingKeys),
                (Err(why), _) => Err(why),
            };
        }
        Err(why) => {
            if matches!(why, Unknown::NotCovered(_) | Unknown::Refused(_)) {
                r.notes.push(why.to_string());
            }
            e.kv_bytes = Err(why.clone());
            e.compute_bytes = Err(why);
        }
    }
    if e.weights.repack > 0 {
        r.notes.push(format!(
            "CPU_REPACK: {} weight(s) of type Q4_0, Q4_K, IQ4_NL or MXFP4 repacked for llama.cpp's x86-64 AVX2 \
             kernels; this depends on the CPU (AVX-512 also repacks Q2_K, ARM NEON also Q5_K, Q6_K, Q8_0)",
            e.weights.repacked
        ));
    }
    if e.compute_bytes.is_ok() {
        r.notes.push(
            "compute is an estimate of llama.cpp's CPU compute buffer (one micro-batch); \
             weights, KV and output are exact"
                .into(),
        );
    }
    e.total_bytes = match (&e.kv_bytes, &e.compute_bytes, &e.output_bytes) {
        (Ok(kv), Ok(c), Ok(o)) => weights_bytes
            .checked_add(*kv)
            .and_then(|x| x.checked_add(*c))
            .and_then(|x| x.checked_add(*o)),
        _ => None,
    };
    if e.total_bytes.is_none() && e.kv_bytes.is_ok() && e.compute_bytes.is_ok() && e.output_bytes.is_ok() {
        r.notes.push("the total is too large to count in 64 bits".into());
    }
    let (used, mut missing) = r.hp.into_records();
    missing.dedup();
    e.keys_used = used;
    e.missing = missing;
    e.notes = r.notes;
    e
}

/// The context a program asks llama.cpp for (`common_params` after the
/// program's own changes, before `llama_context` pads it).
struct Asked {
    /// `n_seq_max`.
    n_seq: u64,
    /// `n_ctx` asked for (all sequences together).
    context: u64,
    /// `n_batch` asked for.
    n_batch: u64,
}

/// The sequences, context and batch `opts.usage`'s program asks for.
fn asked_context(r: &mut Reader<'_, '_>, opts: &Options) -> Result<Asked, Unknown> {
    let context = context(r, opts)?;
    let n_batch = u64::from(opts.n_batch);
    Ok(match opts.usage {
        Usage::Generation => Asked {
            n_seq: n_seq(opts),
            context,
            n_batch,
        },
        Usage::Perplexity => {
            // perplexity.cpp: n_parallel = max(1, n_batch / n_ctx);
            // n_ctx = n_parallel * n_ctx; n_batch = min(n_batch, n_ctx).
            let n_seq = (n_batch / context).max(1);
            let context = context.checked_mul(n_seq).ok_or(Unknown::TooLarge)?;
            Asked {
                n_seq,
                context,
                n_batch: n_batch.min(context),
            }
        }
    })
}

/// What the compute estimate needs from the model and the context.
struct Graph {
    /// Tokens in the micro-batch.
    t: u64,
    /// Rows of logits it produces.
    n_outputs: u64,
    n_embd: u64,
    /// Widest attention output per token: `n_head × max(key, value) length`.
    n_attn: u64,
    /// Widest feed-forward activation per token (experts × used for MoE).
    n_ff: u64,
    /// Bytes of the attention masks and cache index inputs.
    masks: u64,
    /// Extra bytes per token without flash attention (the KQ matrix), else 0.
    kq_per_token: u64,
    /// Extra floats per token in the layers (the rotated K or V).
    extra: u64,
    /// Gemma: the input embeddings are scaled by sqrt(n_embd) into a tensor
    /// of their own.
    scaled_input: bool,
}

/// The caches and the graph inputs of a model that uses llama.cpp's attention cache.
struct AttentionPart {
    n_ctx: u64,
    n_tokens: u64,
    caches: Vec<Cache>,
    graph: Result<Graph, Unknown>,
}

/// The KV caches (and what the compute estimate needs) for an attention model.
fn attention(
    r: &mut Reader<'_, '_>,
    opts: &Options,
    asked: &Asked,
    arch: &str,
) -> Result<AttentionPart, Unknown> {
    let kind = match arch_kind(arch) {
        Some(k) => k,
        None => {
            return Err(Unknown::NotCovered(format!(
                "architecture {arch:?} is not one llama.cpp 0c1e570 knows"
            )))
        }
    };
    let swa = match kind {
        Arch::NotCovered(why) => return Err(Unknown::NotCovered(format!("{arch} is {why}"))),
        Arch::NoCache => {
            // llama.cpp creates no memory module; the graph differs (no causal mask, pooling).
            r.notes.push(format!(
                "llama.cpp keeps no KV cache for {arch} (an encoder or diffusion model)"
            ));
            let n_ctx = asked.context;
            return Ok(AttentionPart {
                n_ctx,
                n_tokens: n_ctx.min(u64::from(opts.n_ubatch.max(1))),
                caches: Vec::new(),
                graph: Err(Unknown::NotCovered(format!(
                    "the compute graph of {arch} (no causal cache)"
                ))),
            });
        }
        Arch::Attention(swa) => swa,
    };
    if !CACHE_TYPES.contains(&opts.cache_type_k) || !CACHE_TYPES.contains(&opts.cache_type_v) {
        return Err(Unknown::Refused(format!(
            "cache types {}/{}: llama.cpp accepts f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1",
            opts.cache_type_k, opts.cache_type_v
        )));
    }
    if asked.n_seq > u64::from(MAX_SEQ) {
        return Err(Unknown::Refused(format!(
            "{} sequences; at most {MAX_SEQ}",
            asked.n_seq
        )));
    }
    if opts.n_batch == 0 && opts.n_ubatch == 0 {
        return Err(Unknown::Refused(
            "n_batch and n_ubatch cannot both be zero".into(),
        ));
    }

    // Hyperparameters, as llama_model_base::load_hparams reads them.
    let n_layer_file = r.hp.uint(hparams::BLOCK_COUNT);
    let n_embd = r.hp.uint(hparams::EMBEDDING_LENGTH);
    let (Some(n_layer_file), Some(n_embd)) = (n_layer_file, n_embd) else {
        return Err(Unknown::MissingKeys);
    };
    if n_layer_file == 0 || n_layer_file > 512 {
        return Err(Unknown::Refused(format!(
            "{arch}.block_count is {n_layer_file}; llama.cpp takes 1…512"
        )));
    }
    // nanbeige repeats its layers num_loops times.
    let loops = if arch == "nanbeige" {
        r.hp.opt_uint(hparams::NUM_LOOPS).unwrap_or(1).max(1)
    } else {
        1
    };
    let n_layer = n_layer_file.checked_mul(loops).ok_or(Unknown::TooLarge)?;
    if n_layer > 512 {
        return Err(Unknown::Refused(format!(
            "{n_layer} layers; llama.cpp takes at most 512"
        )));
    }
    let repeat = |v: Vec<u64>| -> Vec<u64> { (0..n_layer as usize).map(|i| v[i % v.len()]).collect() };
    let n_head = match r
        .hp
        .per_layer(hparams::HEAD_COUNT, n_layer_file)
        .map_err(unknown)?
    {
        Some(v) => repeat(v),
        None => {
            r.hp.note_missing(r.hp.key(hparams::HEAD_COUNT));
            return Err(Unknown::MissingKeys);
        }
    };
    let n_head_kv = match r
        .hp
        .per_layer(hparams::HEAD_COUNT_KV, n_layer_file)
        .map_err(unknown)?
    {
        Some(v) => repeat(v),
        None => {
            r.notes.push(format!(
                "{} absent: one KV head per attention head, as llama.cpp assumes",
                r.hp.key(hparams::HEAD_COUNT_KV)
            ));
            n_head.clone()
        }
    };
    let head0 = n_head[0];
    let (head_k, head_v) = match n_embd.checked_div(head0) {
        None => (0, 0),
        Some(default) => {
            let k = r.hp.opt_uint(hparams::KEY_LENGTH);
            let v = r.hp.opt_uint(hparams::VALUE_LENGTH);
            if k.is_none() || v.is_none() {
                r.notes.push(format!(
                    "head size from embedding_length / head_count = {default}"
                ));
            }
            (k.unwrap_or(default), v.unwrap_or(default))
        }
    };
    let head_k_swa = r.hp.opt_uint(hparams::KEY_LENGTH_SWA).unwrap_or(head_k);
    let head_v_swa = r.hp.opt_uint(hparams::VALUE_LENGTH_SWA).unwrap_or(head_v);
    let nextn = r.hp.opt_uint(hparams::NEXTN_PREDICT_LAYERS).unwrap_or(0);
    if nextn > n_layer {
        return Err(Unknown::Refused(format!(
            "{nextn} next-token layers of {n_layer}"
        )));
    }
    let trunk = if nextn > 0 && nextn < n_layer {
        n_layer - nextn
    } else {
        n_layer
    };
    if trunk < n_layer {
        r.notes.push(format!(
            "the last {nextn} layer(s) predict the next token and keep no cache in the main context"
        ));
    }
    let mla = matches!(arch, "deepseek2" | "mistral4")
        && r.hp.opt_uint(hparams::KEY_LENGTH_MLA).is_some_and(|x| x > 0)
        && r.hp.opt_uint(hparams::VALUE_LENGTH_MLA).is_some_and(|x| x > 0);
    if mla {
        r.notes
            .push("MLA: llama.cpp keeps the compressed K (key_length) and no V cache".into());
        if opts.cache_type_k != opts.cache_type_v {
            return Err(Unknown::Refused(
                "an MLA model needs the same K and V cache types".into(),
            ));
        }
    }
    let kv_from_start = match arch {
        "gemma3n" => Some(20),
        "gemma4" => Some(n_layer.saturating_sub(r.hp.opt_uint(hparams::SHARED_KV_LAYERS).unwrap_or(0))),
        _ => None,
    };

    // Which layers slide, and over how many tokens.
    let (is_swa, n_swa) = swa_layers(r, swa, n_layer)?;
    let layers = Layers {
        n_layer,
        n_embd,
        n_head,
        n_head_kv,
        head_k,
        head_v,
        head_k_swa,
        head_v_swa,
        is_swa,
        kv_from_start,
        trunk,
        mla,
    };

    // Flash attention: llama.cpp's default (auto) turns it on when the CPU
    // backend runs it, which it does, except for grok (forced off); a
    // quantized V cache forces it on.
    let quantized = |t: GgmlType| t.info().is_some_and(|i| i.quantized);
    let flash = if arch == "grok" {
        if quantized(opts.cache_type_v) {
            return Err(Unknown::Refused(
                "a quantized V cache needs flash attention, which grok cannot use".into(),
            ));
        }
        r.notes
            .push("flash attention is off for grok, as llama.cpp forces".into());
        false
    } else {
        true
    };
    // llama_init_from_model refuses a quantized cache whose blocks do not
    // tile every layer's head (with flash attention on or auto).
    if flash {
        for (ty, head, head_swa, which) in [
            (opts.cache_type_k, layers.head_k, layers.head_k_swa, "k"),
            (opts.cache_type_v, layers.head_v, layers.head_v_swa, "v"),
        ] {
            let bs = ty.info().map_or(1, |i| u64::from(i.block_size));
            if quantized(ty) {
                let bad = (0..layers.n_layer as usize)
                    .map(|il| if layers.is_swa[il] { head_swa } else { head })
                    .find(|h| !h.is_multiple_of(bs));
                if let Some(h) = bad {
                    return Err(Unknown::Refused(format!(
                        "{} cache type {} with block size {bs} does not divide n_embd_head_{which}={h}",
                        which.to_uppercase(),
                        ty.to_string().to_lowercase()
                    )));
                }
            }
        }
    }

    // Context and batch, as llama_context sets them.
    let n_seq = asked.n_seq;
    let mut n_ctx = pad256(asked.context).ok_or(Unknown::TooLarge)?;
    let n_ctx_seq = if opts.kv_unified {
        n_ctx
    } else {
        let s = pad256(n_ctx / n_seq).ok_or(Unknown::TooLarge)?;
        if s == 0 {
            return Err(Unknown::Refused("n_ctx_seq == 0".into()));
        }
        n_ctx = s.checked_mul(n_seq).ok_or(Unknown::TooLarge)?;
        s
    };
    let causal = !matches!(r.hp.value(hparams::CAUSAL), Some(Value::Bool(false)));
    let n_batch = if causal {
        n_ctx.min(asked.n_batch)
    } else {
        asked.n_batch
    };
    let n_ubatch = n_batch.min(if opts.n_ubatch == 0 {
        asked.n_batch
    } else {
        u64::from(opts.n_ubatch)
    });
    let streams = if opts.kv_unified { 1 } else { n_seq };

    // The caches.
    let mut caches = Vec::new();
    if let Some(window) = n_swa {
        let swa_cells = if opts.swa_full {
            n_ctx_seq
        } else {
            let w = window
                .checked_mul(if opts.kv_unified { n_seq } else { 1 })
                .and_then(|x| x.checked_add(n_ubatch))
                .ok_or(Unknown::TooLarge)?;
            pad256(n_ctx_seq.min(w)).ok_or(Unknown::TooLarge)?
        };
        caches.push(cache(
            &layers,
            opts,
            CacheKind::Full,
            n_ctx_seq,
            streams,
            flash,
            |s| !s,
        )?);
        caches.push(cache(
            &layers,
            opts,
            CacheKind::SlidingWindow { window },
            swa_cells,
            streams,
            flash,
            |s| s,
        )?);
    } else {
        caches.push(cache(
            &layers,
            opts,
            CacheKind::Full,
            n_ctx_seq,
            streams,
            flash,
            |_| true,
        )?);
    }

    // What the compute graph holds besides the layer working set.
    let t = n_ctx.min(n_ubatch);
    let graph = (|| -> Option<Result<Graph, Unknown>> {
        let mut masks = 0u64;
        for c in &caches {
            if c.layers.is_empty() {
                continue;
            }
            // k_idxs and v_idxs (i64 per token), the mask (cells × tokens per stream).
            let per_stream = t / c.streams;
            let mask = c
                .cells
                .checked_mul(per_stream)?
                .checked_mul(c.streams)?
                .checked_mul(if flash { 2 } else { 4 })?;
            masks = masks.checked_add(t.checked_mul(16)?)?.checked_add(mask)?;
        }
        // A quantized cache whose layers share a head size that is a
        // multiple of 64 gets Hadamard rotations (llama_kv_cache's
        // attn_rot_k / attn_rot_v): a rotation matrix input per cache and
        // rotated copies of Q, K and V in the graph.
        let mut rotated = false;
        for c in &caches {
            let heads = |full: u64, swa: u64| {
                let mut h = c.layers.iter().map(|l| {
                    if layers.is_swa[l.layer as usize] {
                        swa
                    } else {
                        full
                    }
                });
                let first = h.next();
                first.filter(|&f| f > 0 && h.all(|x| x == f))
            };
            if quantized(opts.cache_type_k) && layers.head_k.is_multiple_of(64) {
                if let Some(head) = heads(layers.head_k, layers.head_k_swa) {
                    let mut nrot = 64u64;
                    while nrot.checked_mul(2).is_some_and(|n| head.is_multiple_of(n)) {
                        nrot *= 2;
                    }
                    masks = masks.checked_add(nrot.checked_mul(nrot)?.checked_mul(4)?)?;
                    rotated = true;
                }
            }
            if quantized(opts.cache_type_v)
                && layers.head_v.is_multiple_of(64)
                && heads(layers.head_v, layers.head_v_swa).is_some()
            {
                masks = masks.checked_add(64 * 64 * 4)?;
                rotated = true;
            }
        }
        let n_head_max = layers.n_head.iter().copied().max().unwrap_or(0);
        let n_attn = n_head_max.checked_mul(
            layers
                .head_k
                .max(layers.head_v)
                .max(layers.head_k_swa)
                .max(layers.head_v_swa),
        )?;
        let n_ff = match feed_forward(r, n_layer_file) {
            Ok(f) => f,
            Err(why) => return Some(Err(why)),
        };
        let kq_per_token = if flash {
            0
        } else {
            let cells = caches
                .iter()
                .map(|c| c.cells.saturating_mul(c.streams))
                .max()
                .unwrap_or(0);
            cells.checked_mul(n_head_max)?.checked_mul(4)?
        };
        // Extra floats per token: the rotated K (or V) of the widest layer.
        let mut extra = 0u64;
        if rotated {
            let widest = (0..layers.n_layer as usize)
                .filter_map(|il| Some(layers.k_gqa(il)?.max(layers.v_gqa(il)?)))
                .max()
                .unwrap_or(0);
            extra = extra.checked_add(widest)?;
        }
        // n_outputs_max: one row per sequence for generation, the whole
        // batch for llama-perplexity.
        let n_outputs = match opts.usage {
            Usage::Generation => t.min(n_seq),
            Usage::Perplexity => t.min(n_batch),
        };
        Some(Ok(Graph {
            t,
            n_outputs,
            n_embd: layers.n_embd,
            n_attn,
            n_ff,
            masks,
            kq_per_token,
            extra,
            scaled_input: r.hp.arch().starts_with("gemma"),
        }))
    })()
    .unwrap_or(Err(Unknown::TooLarge));
    Ok(AttentionPart {
        n_ctx,
        n_tokens: t,
        caches,
        graph,
    })
}

fn n_seq(opts: &Options) -> u64 {
    u64::from(opts.n_seq.max(1))
}

/// The context asked for: the option, or the model's own for 0.
fn context(r: &mut Reader<'_, '_>, opts: &Options) -> Result<u64, Unknown> {
    if opts.context > 0 {
        return Ok(opts.context);
    }
    match r.hp.uint(hparams::CONTEXT_LENGTH) {
        Some(0) => Err(Unknown::Refused(
            "context 0 and the model's context_length is 0".into(),
        )),
        Some(c) => Ok(c),
        None => Err(Unknown::MissingKeys),
    }
}

/// Per-layer sliding-window flags and the window, per the architecture's rule.
fn swa_layers(r: &mut Reader<'_, '_>, swa: Swa, n_layer: u64) -> Result<(Vec<bool>, Option<u64>), Unknown> {
    let n = usize::try_from(n_layer).map_err(|_| Unknown::TooLarge)?;
    let none = || (vec![false; n], None);
    let window_key = hparams::SLIDING_WINDOW;
    let (window, flags) = match swa {
        Swa::None => return Ok(none()),
        Swa::Pattern {
            period,
            dense_first,
            window,
            when,
        } => {
            let key_value = if r.hp.has(window_key) {
                Some(r.hp.opt_uint(window_key).ok_or(Unknown::MissingKeys)?)
            } else {
                None
            };
            let on = match when {
                When::Always => true,
                When::KeyPositive => key_value.is_some_and(|w| w > 0),
                When::UnlessKeyZero => key_value != Some(0),
                When::Layers(l) => n_layer == l,
            };
            if !on {
                return Ok(none());
            }
            let w = match (window, key_value) {
                (Window::Fixed(w), _) => w,
                (Window::Key, Some(w)) | (Window::KeyOr(_), Some(w)) => w,
                (Window::KeyOr(w), None) => w,
                (Window::Key, None) => {
                    r.hp.note_missing(r.hp.key(window_key));
                    return Err(Unknown::MissingKeys);
                }
            };
            let flags = match pattern_array(r, n)? {
                Some(f) => f,
                None => {
                    let p = if r.hp.has(hparams::SLIDING_WINDOW_PATTERN) {
                        r.hp.opt_uint(hparams::SLIDING_WINDOW_PATTERN)
                            .ok_or(Unknown::MissingKeys)?
                    } else {
                        r.notes.push(format!(
                            "sliding-window layers by {arch}'s pattern: {}",
                            if period == 0 {
                                "all".to_string()
                            } else if dense_first {
                                format!("layer 0 of every {period} full")
                            } else {
                                format!("every {period}th layer full")
                            },
                            arch = r.hp.arch()
                        ));
                        u64::from(period)
                    };
                    (0..n_layer)
                        .map(|il| p == 0 || if dense_first { il % p != 0 } else { il % p < p - 1 })
                        .collect()
                }
            };
            (w, flags)
        }
        Swa::Array { window } => {
            let Some(flags) = pattern_array(r, n)? else {
                r.hp.note_missing(format!(
                    "{} (an array of per-layer flags)",
                    r.hp.key(hparams::SLIDING_WINDOW_PATTERN)
                ));
                return Err(Unknown::MissingKeys);
            };
            let w = match (window, r.hp.has(window_key)) {
                (Window::Fixed(w), _) => w,
                (_, true) => r.hp.opt_uint(window_key).ok_or(Unknown::MissingKeys)?,
                (Window::KeyOr(w), false) => w,
                (Window::Key, false) => {
                    r.hp.note_missing(r.hp.key(window_key));
                    return Err(Unknown::MissingKeys);
                }
            };
            (w, flags)
        }
    };
    if !flags.iter().any(|&s| s) {
        return Err(Unknown::Refused(format!(
            "{} uses sliding-window attention but no layer is marked sliding (llama.cpp aborts)",
            r.hp.arch()
        )));
    }
    Ok((flags, Some(window)))
}

/// `sliding_window_pattern` as an array of per-layer flags, if it is one.
fn pattern_array(r: &mut Reader<'_, '_>, n: usize) -> Result<Option<Vec<bool>>, Unknown> {
    r.hp.sliding_window_layers(n).map_err(unknown)
}

/// One cache over the layers `keep(is_swa)` selects.
fn cache(
    l: &Layers,
    opts: &Options,
    kind: CacheKind,
    cells: u64,
    streams: u64,
    flash: bool,
    keep: impl Fn(bool) -> bool,
) -> Result<Cache, Unknown> {
    let n = usize::try_from(l.n_layer).map_err(|_| Unknown::TooLarge)?;
    // Without flash attention V is stored transposed and padded to the widest layer.
    let v_max = (0..n).filter_map(|il| l.v_gqa(il)).max().unwrap_or(0);
    let mut c = Cache {
        kind,
        cells,
        streams,
        layers: Vec::new(),
        k_bytes: 0,
        v_bytes: 0,
        bytes: 0,
    };
    for il in 0..n {
        if !l.has_kv(il as u64) || !keep(l.is_swa[il]) {
            continue;
        }
        let k_gqa = l.k_gqa(il).ok_or(Unknown::TooLarge)?;
        let v_gqa = if flash {
            l.v_gqa(il).ok_or(Unknown::TooLarge)?
        } else {
            v_max
        };
        let k_bytes = nbytes(opts.cache_type_k, k_gqa, cells, streams).ok_or(Unknown::TooLarge)?;
        let v_bytes = if l.mla {
            0
        } else {
            nbytes(opts.cache_type_v, v_gqa, cells, streams).ok_or(Unknown::TooLarge)?
        };
        c.k_bytes = c.k_bytes.checked_add(k_bytes).ok_or(Unknown::TooLarge)?;
        c.v_bytes = c.v_bytes.checked_add(v_bytes).ok_or(Unknown::TooLarge)?;
        c.layers.push(CacheLayer {
            layer: il as u32,
            k_bytes,
            v_bytes,
        });
    }
    c.bytes = c.k_bytes.checked_add(c.v_bytes).ok_or(Unknown::TooLarge)?;
    Ok(c)
}

/// The widest feed-forward activation per token: `feed_forward_length`
/// (largest layer), or for a mixture of experts the routed experts'
/// `expert_feed_forward_length × expert_used_count` when that is wider.
fn feed_forward(r: &mut Reader<'_, '_>, n_layer: u64) -> Result<u64, Unknown> {
    let dense =
        r.hp.per_layer(hparams::FEED_FORWARD_LENGTH, n_layer)
            .map_err(unknown)?;
    let expert = r.hp.opt_uint(hparams::EXPERT_FEED_FORWARD_LENGTH);
    let used =
        r.hp.per_layer(hparams::EXPERT_USED_COUNT, n_layer)
            .map_err(unknown)?
            .and_then(|v| v.into_iter().max());
    let moe = match (expert, used) {
        (Some(f), Some(u)) => Some(f.checked_mul(u).ok_or(Unknown::TooLarge)?),
        _ => None,
    };
    match (dense.and_then(|v| v.into_iter().max()), moe) {
        (Some(d), Some(m)) => Ok(d.max(m)),
        (Some(d), None) => Ok(d),
        (None, Some(m)) => Ok(m),
        (None, None) => {
            r.hp.note_missing(r.hp.key(hparams::FEED_FORWARD_LENGTH));
            Err(Unknown::MissingKeys)
        }
    }
}

/// The compute-buffer estimate: the larger of the layer phase and the output
/// phase of ggml's allocator on the worst-case micro-batch (see the module docs).
fn compute(g: &Graph, n_vocab: u64) -> Option<u64> {
    let t = g.t;
    let f32s = |n: u64| n.checked_mul(t)?.checked_mul(4);
    // Inputs: token ids and positions (i32 each), the masks, cache indices
    // and rotation matrices.
    let inputs = t.checked_mul(8)?.checked_add(g.masks)?;
    // One layer: the input embeddings and the residual, the attention
    // output or the residual, the residual again, then gate, up and their
    // product (the product reuses a freed hole when it fits).
    // Gemma's scaled input and the rotated K/V take places of their own
    // only when the product reuses the hole; with a wider feed-forward they
    // fit in the holes it leaves (calibrated on llama.cpp's figures: gemma3
    // shapes, a 64-wide model and gemma-3-270m; q8_0 caches on llama shapes
    // from 256 to 1024 wide).
    let hole = g.n_attn.max(g.n_embd).checked_add(g.n_embd)?;
    let (ff, taken) = if g.n_ff <= hole {
        let scaled = if g.scaled_input { g.n_embd } else { 0 };
        (g.n_ff.checked_mul(2)?, scaled.checked_add(g.extra)?)
    } else {
        (g.n_ff.checked_mul(3)?, 0)
    };
    let per_token = g
        .n_embd
        .checked_mul(2)?
        .checked_add(hole)?
        .checked_add(ff)?
        .checked_add(taken)?;
    let layer = inputs
        .checked_add(f32s(per_token)?)?
        .checked_add(g.kq_per_token.checked_mul(t)?)?;
    // The output step: the last hidden states and the final norm of the
    // micro-batch, and the logits of its output rows.
    let output = t
        .checked_mul(4)?
        .checked_add(f32s(g.n_embd.checked_mul(2)?)?)?
        .checked_add(g.n_outputs.checked_mul(n_vocab)?.checked_mul(4)?)?;
    Some(layer.max(output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_architecture_has_a_memory_rule() {
        for name in crate::arch::NAMES {
            assert!(arch_kind(name).is_some(), "{name}");
        }
        assert!(arch_kind("not-an-arch").is_none());
    }
}

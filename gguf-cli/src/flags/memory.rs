//! The memory-estimate flags shared by `inspect` and `requant --dry-run`.

use clap::Args;

/// What llama.cpp allocates for a model at a context: the options of its
/// `llama_context` that change the figures, with llama.cpp's names and
/// defaults. Shared by the commands that estimate memory.
#[derive(Args, Clone, Debug)]
pub struct MemoryArgs {
    /// Show the memory llama.cpp allocates at a context of N tokens (0: the
    /// model's own context_length), as the program of --usage creates it
    /// (default: llama-cli / llama-server): the weights (mapped from the
    /// file, plus the CPU_REPACK copies llama.cpp makes of Q4_0, Q4_K,
    /// IQ4_NL and MXFP4 matrices on an x86-64 AVX2 CPU; other CPUs differ),
    /// each KV cache exactly as llama.cpp sizes it (context padded to 256,
    /// sliding-window layers with a window-sized cache), the CPU compute
    /// buffer (an estimate) and the output buffer. The keys used are listed;
    /// a missing key is named. A context llama.cpp refuses (such as a q8_0
    /// cache whose 32-value blocks do not divide the head size) is an error.
    #[arg(long, help_heading = MEMORY, value_name = "N")]
    pub ctx: Option<u64>,

    /// Which program's allocation --ctx shows. generation: llama-cli and
    /// llama-server, one row of logits per sequence. perplexity:
    /// llama-perplexity, the logits of every token of a micro-batch (far
    /// more compute buffer on a large vocabulary), with max(1, batch / N)
    /// chunks of N tokens side by side (--parallel is then ignored).
    #[arg(long, help_heading = MEMORY, value_name = "PROGRAM", value_enum, default_value_t = Usage::Generation, requires = "ctx")]
    pub usage: Usage,

    /// K cache type, as llama.cpp's -ctk: f32, f16, bf16, q8_0, q4_0, q4_1,
    /// iq4_nl, q5_0 or q5_1.
    #[arg(long, help_heading = MEMORY, value_name = "TYPE", default_value = "f16", value_parser = parse_cache_type, requires = "ctx")]
    pub cache_type_k: gguf_format::GgmlType,

    /// V cache type, as llama.cpp's -ctv (a quantized V cache needs flash
    /// attention, which llama.cpp then turns on).
    #[arg(long, help_heading = MEMORY, value_name = "TYPE", default_value = "f16", value_parser = parse_cache_type, requires = "ctx")]
    pub cache_type_v: gguf_format::GgmlType,

    /// Parallel sequences (llama.cpp's -np): each gets its own stream of
    /// ctx / N cells unless --kv-unified, and one row of logits. Ignored
    /// with --usage perplexity, which sets its own.
    #[arg(long, help_heading = MEMORY, value_name = "N", default_value_t = 1, requires = "ctx")]
    pub parallel: u32,

    /// Logical batch size (llama.cpp's -b).
    #[arg(long, help_heading = MEMORY, value_name = "N", default_value_t = 2048, requires = "ctx")]
    pub batch: u32,

    /// Micro-batch size (llama.cpp's -ub): the attention masks of one
    /// micro-batch (and with --usage perplexity its logits) dominate the
    /// compute buffer.
    #[arg(long, help_heading = MEMORY, value_name = "N", default_value_t = 512, requires = "ctx")]
    pub ubatch: u32,

    /// One KV cache shared by all sequences (llama.cpp's -kvu; llama-server
    /// turns it on when the number of slots is automatic).
    #[arg(long, help_heading = MEMORY, requires = "ctx")]
    pub kv_unified: bool,

    /// Full-size caches for sliding-window layers (llama.cpp's --swa-full).
    #[arg(long, help_heading = MEMORY, requires = "ctx")]
    pub swa_full: bool,
}

impl MemoryArgs {
    /// The library's options, when --ctx asks for an estimate.
    pub fn options(&self) -> Option<gguf_llama::memory::Options> {
        self.ctx.map(|context| gguf_llama::memory::Options {
            context,
            cache_type_k: self.cache_type_k,
            cache_type_v: self.cache_type_v,
            n_seq: self.parallel,
            n_batch: self.batch,
            n_ubatch: self.ubatch,
            kv_unified: self.kv_unified,
            swa_full: self.swa_full,
            usage: match self.usage {
                Usage::Generation => gguf_llama::memory::Usage::Generation,
                Usage::Perplexity => gguf_llama::memory::Usage::Perplexity,
            },
        })
    }
}

/// The program whose context `--ctx` describes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// llama-cli and llama-server: one row of logits per sequence.
    Generation,
    /// llama-perplexity: the logits of every token of a micro-batch.
    Perplexity,
}

/// The help heading of the memory options.
const MEMORY: &str = "Memory (as llama.cpp allocates it)";

/// A KV cache type llama.cpp accepts (`-ctk`/`-ctv`).
fn parse_cache_type(s: &str) -> Result<gguf_format::GgmlType, String> {
    gguf_format::GgmlType::from_name(s)
        .filter(|t| gguf_llama::memory::CACHE_TYPES.contains(t))
        .ok_or_else(|| format!("{s:?} is not a KV cache type llama.cpp accepts (f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)"))
}

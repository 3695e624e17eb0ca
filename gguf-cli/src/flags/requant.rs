//! `gguf requant`'s flags.

use super::MemoryArgs;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct RequantArgs {
    /// Input model (.gguf); with --dry-run also a URL, as for inspect.
    #[arg(value_name = "IN", required_unless_present = "list")]
    pub input: Option<PathBuf>,

    /// Output file. Default, as llama-quantize: ggml-model-FTYPE.gguf in IN's
    /// directory (FTYPE as --list spells it, e.g. ggml-model-Q4_K_M.gguf).
    #[arg(value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// llama-quantize's order, `IN OUT TYPE`: refused with a hint to use --to.
    #[arg(value_name = "TYPE", hide = true)]
    pub positional_type: Option<String>,

    /// Target file type: a llama-quantize name (Q4_K_M, q8_0, …, case-insensitive)
    /// or ftype id; COPY copies every tensor as it is (metadata as llama-quantize
    /// writes it: general.file_type as the input's); with --dry-run also `all`.
    /// Required (except with --list). See --list.
    #[arg(long, value_name = "FTYPE")]
    pub to: Option<String>,

    /// List the target types with their nominal bits per weight, and exit.
    #[arg(long)]
    pub list: bool,

    /// Write nothing: print each tensor's new type and the new size.
    /// With `--to all`, one line per target type instead. A quantized IN is
    /// shown as --allow-requantize would make it, with a note that writing
    /// needs that flag.
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run: the memory llama.cpp allocates for the output at a
    /// context (weights, KV caches, compute, output), as `inspect --ctx`.
    #[command(flatten)]
    pub memory: MemoryArgs,

    /// With --dry-run: print JSON instead of tables.
    #[arg(long, requires = "dry_run")]
    pub json: bool,

    /// With --dry-run: predict each target's weight error (relative RMSE and
    /// cosine against IN, as `gguf diff IN OUT` would report them for the
    /// file requant would write), by encoding a sample of every tensor's rows
    /// with the real codecs (and --imatrix). Reads the whole model once. This
    /// is error in weight space, not perplexity: a guide to compare file
    /// types of one model, not a promise about output quality.
    #[arg(long, requires = "dry_run")]
    pub quality: bool,

    /// With --quality: the share of each tensor's rows to encode, in (0, 1]
    /// (at least 32 rows of each tensor and 512 Ki weights of the model per
    /// type; the slow i-quant searches get a quarter or a sixteenth of the
    /// share). 1 encodes every row and gives the written file's figures
    /// exactly; the default, 1/32, was within 0.5 % of them on every file
    /// type of real weights, in a fraction of the time.
    #[arg(long, value_name = "SHARE", requires = "quality", value_parser = parse_share)]
    pub quality_sample: Option<f64>,

    /// List the tensors of a warning that several share (without it, one
    /// line with their count); with --quality also show the predicted error
    /// per tensor class (attn_q, attn_k, attn_v, attn_output, ffn_gate,
    /// ffn_up, ffn_down, token_embd, output), to see where each file type's
    /// error goes.
    #[arg(short, long)]
    pub verbose: bool,

    /// The type choices and importance data (shared with `gguf import --to`).
    #[command(flatten)]
    pub quant: QuantArgs,

    /// Allow quantized inputs: they are decoded and encoded again (loses quality).
    #[arg(long)]
    pub allow_requantize: bool,

    /// With a split input: write one output per input shard, each holding
    /// that shard's tensors in their order, named OUT-00001-of-0000N.gguf
    /// (OUT without .gguf), as llama-quantize --keep-split does. Without it a
    /// split input gives one file.
    #[arg(long)]
    pub keep_split: bool,

    /// Replace OUT (each shard with --keep-split) if it exists (without it an existing file is refused,
    /// nothing written). An input is never replaced, even with --force.
    #[arg(long)]
    pub force: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// llama-quantize's options that choose the types: shared by `gguf requant`
/// and `gguf import --to`.
#[derive(Args)]
pub struct QuantArgs {
    /// Give every quantizable tensor the target's default type (no per-layer mixture).
    #[arg(long)]
    pub pure: bool,

    /// Type for output.weight (a ggml type name such as q8_0), no fallback.
    #[arg(long, value_name = "TYPE", value_parser = parse_ggml_type)]
    pub output_tensor_type: Option<gguf_format::GgmlType>,

    /// Type for token_embd.weight, no fallback.
    #[arg(long, value_name = "TYPE", value_parser = parse_ggml_type)]
    pub token_embedding_type: Option<gguf_format::GgmlType>,

    /// PATTERN=TYPE: tensors whose name matches the regular expression PATTERN
    /// (searched anywhere in the name) get TYPE; the first matching option wins. Repeatable.
    #[arg(long, value_name = "PATTERN=TYPE")]
    pub tensor_type: Vec<String>,

    /// A file of whitespace-separated PATTERN=TYPE entries, applied after --tensor-type.
    #[arg(long, value_name = "FILE")]
    pub tensor_type_file: Option<PathBuf>,

    /// Drop these blocks (comma-separated layer numbers) and renumber the rest.
    #[arg(long, value_name = "L0,L1,…", value_delimiter = ',')]
    pub prune_layers: Vec<u64>,

    /// Keep output.weight in its input type.
    #[arg(long)]
    pub leave_output_tensor: bool,

    /// Importance matrix (llama.cpp's GGUF imatrix or legacy .dat) to weight the rounding.
    #[arg(long, value_name = "FILE")]
    pub imatrix: Option<String>,

    /// Use importance data only for tensors whose names contain S. Repeatable.
    #[arg(
        long,
        value_name = "S",
        requires = "imatrix",
        conflicts_with = "exclude_weights"
    )]
    pub include_weights: Vec<String>,

    /// Use no importance data for tensors whose names contain S. Repeatable.
    #[arg(long, value_name = "S", requires = "imatrix")]
    pub exclude_weights: Vec<String>,

    /// KEY=TYPE:VALUE with TYPE int, float, bool or str: set a metadata key in the output. Repeatable.
    #[arg(long, value_name = "KEY=TYPE:VALUE")]
    pub override_kv: Vec<String>,
}

/// A share in (0, 1]: a decimal (`0.0625`) or a fraction (`1/16`).
fn parse_share(s: &str) -> Result<f64, String> {
    let x = match s.split_once('/') {
        Some((n, d)) => match (n.trim().parse::<f64>(), d.trim().parse::<f64>()) {
            (Ok(n), Ok(d)) if d != 0.0 => n / d,
            _ => f64::NAN,
        },
        None => s.trim().parse().unwrap_or(f64::NAN),
    };
    if x > 0.0 && x <= 1.0 {
        Ok(x)
    } else {
        Err(format!(
            "{s:?} is not a share of rows in (0, 1] such as 0.25 or 1/16"
        ))
    }
}

pub(crate) fn parse_ggml_type(s: &str) -> Result<gguf_format::GgmlType, String> {
    gguf_format::GgmlType::from_name(s)
        .ok_or_else(|| format!("unknown ggml type {s:?} (e.g. q4_k, q8_0, f16)"))
}

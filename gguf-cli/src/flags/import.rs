//! `gguf import`'s flags.

use super::QuantArgs;
use clap::Args;
use gguf_format::split::SplitLimit;
use std::path::PathBuf;

#[derive(Args)]
pub struct ImportArgs {
    /// A Hugging Face model directory, as `save_pretrained` writes it and the
    /// Hub serves it: config.json, model.safetensors (or shards and
    /// model.safetensors.index.json), tokenizer files, generation_config.json,
    /// a model card README.md.
    #[arg(value_name = "MODEL_DIR", required_unless_present = "list")]
    pub input: Option<PathBuf>,

    /// Output file; with --split-max-* the shards are OUT-00001-of-0000N.gguf
    /// (OUT without .gguf), as the converter names them. Not needed with --dry-run.
    #[arg(value_name = "OUT", required_unless_present_any = ["list", "dry_run"])]
    pub output: Option<PathBuf>,

    /// List the supported architectures (Hugging Face class names) and exit.
    #[arg(long)]
    pub list: bool,

    /// Output tensor type, as convert_hf_to_gguf.py --outtype: f32, f16,
    /// bf16, q8_0, or auto (bf16 for bf16 weights, f16 otherwise). 1-D
    /// tensors, norms and biases stay F32.
    #[arg(long, value_name = "TYPE", default_value = "auto", conflicts_with = "to")]
    pub outtype: String,

    /// Quantize in the same pass to a llama-quantize file type (Q4_K_M,
    /// Q8_0, …): the bytes of `convert_hf_to_gguf.py --outtype auto`
    /// followed by `llama-quantize`, without the intermediate file.
    #[arg(long, value_name = "FTYPE")]
    pub to: Option<String>,

    /// With --to: llama-quantize's type options.
    #[command(flatten)]
    pub quant: QuantArgs,

    /// Shards of at most N tensors each (as the converter's --split-max-tensors).
    #[arg(long, value_name = "N", conflicts_with = "split_max_size")]
    pub split_max_tensors: Option<usize>,

    /// Shards of at most N bytes of tensor data (suffix M or G, as the
    /// converter's --split-max-size).
    #[arg(long, value_name = "N(M|G)", value_parser = parse_size)]
    pub split_max_size: Option<SplitLimit>,

    /// With --split-max-*: the first shard holds only the metadata.
    #[arg(long)]
    pub no_tensor_first_split: bool,

    /// tokenizer.ggml.pre for a BPE tokenizer whose pre-tokenizer the
    /// converter's table does not know (its hash is not listed): llama-bpe,
    /// qwen2, deepseek-v3, … as llama.cpp names them.
    #[arg(long, value_name = "NAME")]
    pub pre: Option<String>,

    /// Write only the header and the metadata, no tensors, as
    /// convert_hf_to_gguf.py --vocab-only: every key the full import writes,
    /// tokenizer and hyperparameters included, but what the converter
    /// derives from the tensors (the size label counted from them — a size
    /// in the directory's name, such as 1.1B, is taken instead — and
    /// Phi-3's rope.scaling.attn_factor). One file even with --split-max-*;
    /// the weights are not read (a directory without them is accepted).
    #[arg(long, conflicts_with = "to")]
    pub vocab_only: bool,

    /// Write a big-endian file (as the converter's --bigendian).
    #[arg(long)]
    pub bigendian: bool,

    /// general.name, instead of the one made from the directory's name.
    #[arg(long, value_name = "NAME")]
    pub model_name: Option<String>,

    /// The converter's metadata override file (JSON of general.* values).
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,

    /// Write nothing: print the architecture, every tensor with its output
    /// type and shape, and the output size (with --to, the requantized types).
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run: print JSON instead of text.
    #[arg(long, requires = "dry_run")]
    pub json: bool,

    /// Replace OUT if it exists (without it an existing file is refused,
    /// nothing written). A file of MODEL_DIR is never replaced.
    #[arg(long)]
    pub force: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_size(s: &str) -> Result<SplitLimit, String> {
    SplitLimit::parse_size(s).ok_or_else(|| format!("{s:?}: expected a size such as 500M or 2G"))
}

//! `gguf split`'s flags.

use clap::{ArgGroup, Args};
use gguf_format::split::SplitLimit;
use std::path::PathBuf;

#[derive(Args)]
#[command(group(ArgGroup::new("limit").args(["split_max_tensors", "split_max_size"])))]
pub struct SplitArgs {
    /// The model to split (a split model's first shard re-splits the whole model).
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// Shards are written as OUT_PREFIX-00001-of-0000N.gguf, … (nothing is
    /// removed from OUT_PREFIX, as with llama-gguf-split).
    #[arg(value_name = "OUT_PREFIX")]
    pub output: String,

    /// At most N tensors per shard (the default, with N = 128).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub split_max_tensors: Option<u64>,

    /// At most this much tensor data per shard: a whole number and M (10⁶
    /// bytes) or G (10⁹ bytes), e.g. 500M or 4G. Each tensor counts padded to
    /// 32 bytes; metadata is not counted; a larger tensor gets a shard alone.
    #[arg(long, value_name = "N(M|G)", value_parser = parse_split_size)]
    pub split_max_size: Option<SplitLimit>,

    /// Put no tensors in the first shard: it holds the metadata only.
    #[arg(long)]
    pub no_tensor_first_split: bool,

    /// Replace shards that exist (without it an existing file is refused,
    /// nothing written). An input is never replaced, even with --force.
    #[arg(long)]
    pub force: bool,

    /// Write nothing: print the shards, their tensors and sizes.
    #[arg(long)]
    pub dry_run: bool,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_split_size(s: &str) -> Result<SplitLimit, String> {
    SplitLimit::parse_size(s)
        .ok_or_else(|| format!("{s:?}: expected a positive whole number followed by M or G, e.g. 500M or 2G"))
}

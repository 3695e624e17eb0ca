//! `gguf merge`'s flags.

use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct MergeArgs {
    /// The first shard, named PREFIX-00001-of-0000N.gguf; the others are found beside it.
    #[arg(value_name = "FIRST_SHARD")]
    pub input: PathBuf,

    /// The merged file.
    #[arg(value_name = "OUT")]
    pub output: PathBuf,

    /// Replace OUT if it exists (llama-gguf-split refuses to). An input
    /// shard is never replaced, even with --force.
    #[arg(long)]
    pub force: bool,

    /// Write nothing: print what the merged file would hold.
    #[arg(long)]
    pub dry_run: bool,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

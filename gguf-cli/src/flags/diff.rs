//! `gguf diff`'s flags.

use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct DiffArgs {
    /// The reference file.
    #[arg(value_name = "A")]
    pub a: PathBuf,

    /// The file compared with it.
    #[arg(value_name = "B")]
    pub b: PathBuf,

    /// Compare metadata and tensor names, types and shapes only, not the numbers.
    #[arg(long)]
    pub metadata_only: bool,

    /// Count a numeric difference as equal when its relative RMSE is at most X.
    #[arg(long, value_name = "X")]
    pub tolerance: Option<f64>,

    /// Show only the N worst tensors in the table (the summary covers all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

//! `gguf convert`'s flags.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum Endian {
    /// Big-endian (s390x and other big-endian hosts).
    Big,
    /// Little-endian (nearly every machine and file).
    Little,
    /// This machine's byte order.
    Native,
}

#[derive(Args)]
pub struct ConvertArgs {
    /// The model (a split model's first shard converts every shard).
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// The converted copy (a split input gives OUT-00001-of-0000N.gguf, …).
    #[arg(value_name = "OUT")]
    pub output: PathBuf,

    /// The byte order to write.
    #[arg(long, value_enum)]
    pub endian: Endian,

    /// Also write this GGUF version (2 or 3; v1 and v2 files are upgraded
    /// with --version 3).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=3))]
    pub version: Option<u32>,

    /// Replace OUT (each shard of a split output) if it exists (without it an existing file is refused,
    /// nothing written). An input is never replaced, even with --force.
    #[arg(long)]
    pub force: bool,

    /// Write nothing: print what would be written.
    #[arg(long)]
    pub dry_run: bool,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

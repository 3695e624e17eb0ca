//! `gguf inspect`'s flags.

use super::MemoryArgs;
use clap::Args;
use gguf_cli::glob::Glob;
use std::path::PathBuf;

#[derive(Args)]
pub struct InspectArgs {
    // As an attribute: rustdoc would read [@REVISION] as a link.
    #[arg(
        required = true,
        value_name = "FILE",
        help = "GGUF files to inspect, or URLs of files on a web server (http://, https://, \
                hf://OWNER/REPO[@REVISION]/FILE), of which only the header is downloaded"
    )]
    pub files: Vec<PathBuf>,

    /// Print only the value of metadata key NAME, raw: a string as plain text,
    /// an array one element per line. Exit code 1 if a file lacks the key.
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,

    /// Show long strings and arrays in full (they are shortened by default).
    #[arg(long)]
    pub full: bool,

    /// List only tensors whose name matches PATTERN, a glob where `*` matches
    /// any run of characters and `?` one character (e.g. 'blk.*.attn_v.weight').
    #[arg(long, value_name = "PATTERN")]
    pub tensors: Option<Glob>,

    /// Leave out the tensor table (the per-type histogram stays).
    #[arg(long)]
    pub no_tensors: bool,

    /// Leave out the metadata table.
    #[arg(long)]
    pub no_metadata: bool,

    #[command(flatten)]
    pub memory: MemoryArgs,

    /// Look at each FILE alone, even when it is a shard of a split model
    /// (by default the first shard stands for the whole model and a later
    /// shard is refused, naming the first).
    #[arg(long)]
    pub single_file: bool,

    /// Print one JSON document (schema in the README) instead of tables.
    #[arg(long)]
    pub json: bool,

    /// With --json, cut arrays to at most N elements (default: complete).
    #[arg(long, value_name = "N", requires = "json")]
    pub max_array: Option<usize>,
}

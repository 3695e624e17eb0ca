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

    /// Print only the value of metadata key NAME: a string as it is (a chat
    /// template, to save to a file), a number as text, an array one element
    /// per line, where each string element is escaped so that it stays on one
    /// line: \\ for a backslash, \n \t \r for newline, tab and return, \xNN for
    /// any other control character or a byte that is not UTF-8 (\u{NN} for
    /// the controls U+0080-U+009F). With several
    /// FILEs every line starts with `FILE:`, as grep marks them. With --json:
    /// the value as JSON (several FILEs: one {path, key, type, length, value}
    /// object per file). Exit code 1 if a file lacks the key.
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

    /// Print the markdown report of gguf-py's `gguf_dump.py --markdown`,
    /// character for character (each FILE's own header and tensors; with
    /// --no-tensors only the key-value table).
    #[arg(long, conflicts_with_all = ["json", "key"])]
    pub markdown: bool,

    /// Show at most N elements of each array: in the metadata table (default
    /// 5, all with --full), in --key's lines and in --json (default: complete).
    #[arg(long, value_name = "N")]
    pub max_array: Option<usize>,
}

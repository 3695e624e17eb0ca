//! `gguf edit`'s flags.

use clap::{ArgGroup, Args};
use std::path::PathBuf;

#[derive(Args)]
#[command(group(ArgGroup::new("template").args(["chat_template", "chat_template_file", "chat_template_config"])))]
pub struct EditArgs {
    /// The model (a split model's first shard edits the whole model; the
    /// metadata lives in the first shard).
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// The edited copy (a split input gives OUT-00001-of-0000N.gguf, …, OUT
    /// without .gguf). Not with --in-place.
    #[arg(
        value_name = "OUT",
        required_unless_present = "in_place",
        conflicts_with = "in_place"
    )]
    pub output: Option<PathBuf>,

    /// Change IN itself: only --set of numbers and booleans that are already
    /// there (cast to the key's type), written in one positioned write and
    /// synced, as gguf-set-metadata does.
    #[arg(long)]
    pub in_place: bool,

    // The help is an attribute, not a doc comment: rustdoc would read
    // `array[T]` as a link.
    #[arg(
        long,
        value_name = "KEY=[TYPE:]VALUE",
        help = "KEY=VALUE or KEY=TYPE:VALUE. A key the file has gets VALUE cast to its \
                type where it stands (a TYPE other than the key's needs --change-type); a \
                new key needs TYPE (u8 i8 u16 i16 u32 i32 u64 i64 f32 f64 bool str, or \
                array[T] with a JSON array such as [1, 2]) and goes last. Repeatable."
    )]
    pub set: Vec<String>,

    /// Let --set KEY=TYPE:VALUE change the type of a key the file has
    /// (refused without it: llama.cpp reads each key it knows with one type
    /// and refuses a file where it has another).
    #[arg(long, conflicts_with = "in_place")]
    pub change_type: bool,

    /// OLD=NEW: rename a key, keeping its place and value. Repeatable.
    #[arg(long, value_name = "OLD=NEW", conflicts_with = "in_place")]
    pub rename: Vec<String>,

    /// Set general.name.
    #[arg(long, value_name = "NAME", conflicts_with = "in_place")]
    pub general_name: Option<String>,

    /// Set general.description.
    #[arg(long, value_name = "TEXT", conflicts_with = "in_place")]
    pub general_description: Option<String>,

    /// Replace every tokenizer.chat_template* key with this template (a JSON
    /// list of {"name", "template"} objects sets named templates).
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "in_place")]
    pub chat_template: Option<String>,

    /// The same, with the template read from a file (e.g. chat_template.jinja).
    #[arg(long, value_name = "FILE", conflicts_with = "in_place")]
    pub chat_template_file: Option<PathBuf>,

    /// The same, with the template(s) from a tokenizer_config.json's chat_template.
    #[arg(long, value_name = "FILE", conflicts_with = "in_place")]
    pub chat_template_config: Option<PathBuf>,

    /// Set tokenizer.ggml.pre.
    #[arg(long, value_name = "NAME", conflicts_with = "in_place")]
    pub pre_tokenizer: Option<String>,

    /// Leave KEY out of the copy (a key the file lacks is an error, as for
    /// --rename). Repeatable.
    #[arg(long, value_name = "KEY", conflicts_with = "in_place")]
    pub remove_metadata: Vec<String>,

    /// NAME TOKEN: set tokenizer.ggml.NAME_token_id to the first token whose
    /// text is TOKEN (NAME: bos eos eot eom unknown seperator padding mask
    /// fim_pre fim_suf fim_mid fim_pad fim_rep fim_sep prefix suffix middle).
    #[arg(long, num_args = 2, value_names = ["NAME", "TOKEN"], conflicts_with = "in_place")]
    pub special_token: Vec<String>,

    /// NAME ID: set tokenizer.ggml.NAME_token_id to ID (checked against the token list).
    #[arg(long, num_args = 2, value_names = ["NAME", "ID"], conflicts_with = "in_place")]
    pub special_token_by_id: Vec<String>,

    /// Replace OUT if it exists (gguf-new-metadata asks first). IN is never
    /// replaced, even with --force (--in-place changes IN).
    #[arg(long)]
    pub force: bool,

    /// Write nothing: print the changes (old → new).
    #[arg(long)]
    pub dry_run: bool,

    /// Print nothing but errors and warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

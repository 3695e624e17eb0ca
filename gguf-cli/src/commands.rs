//! Part of the `gguf` binary (not the library): the arguments and the
//! wiring of `split`, `merge`, `edit` and `convert`. Each plans with
//! `gguf_format::ops`, writes every output through
//! `gguf_format::write_atomic_all` (all files appear together or none
//! does), and prints a plan or a one-line summary.

use clap::{ArgGroup, Args, ValueEnum};
use gguf_cli::files::{FilesPlan, MetadataChanges};
use gguf_cli::human::{bytes, thousands};
use gguf_format::edit::{self, ChatTemplate, MetadataEdit, SetArg, SetType, SetValue};
use gguf_format::ops::{self, Output};
use gguf_format::split::{shard_path, SplitLimit};
use gguf_format::{ByteOrder, GgufFile, Model, ModelFiles, Version};
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
#[command(group(ArgGroup::new("limit").args(["split_max_tensors", "split_max_size"])))]
pub struct SplitArgs {
    /// The model to split (a split model's first shard re-splits the whole model).
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// Shards are written as OUT_PREFIX-00001-of-0000N.gguf, … (nothing is
    /// removed from OUT_PREFIX, as with llama-gguf-split).
    #[arg(value_name = "OUT_PREFIX")]
    output: String,

    /// At most N tensors per shard (the default, with N = 128).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    split_max_tensors: Option<u64>,

    /// At most this much tensor data per shard: a whole number and M (10⁶
    /// bytes) or G (10⁹ bytes), e.g. 500M or 4G. Each tensor counts padded to
    /// 32 bytes; metadata is not counted; a larger tensor gets a shard alone.
    #[arg(long, value_name = "N(M|G)", value_parser = parse_split_size)]
    split_max_size: Option<SplitLimit>,

    /// Put no tensors in the first shard: it holds the metadata only.
    #[arg(long)]
    no_tensor_first_split: bool,

    /// Write nothing: print the shards, their tensors and sizes.
    #[arg(long)]
    dry_run: bool,

    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

fn parse_split_size(s: &str) -> Result<SplitLimit, String> {
    SplitLimit::parse_size(s)
        .ok_or_else(|| format!("{s:?}: expected a positive whole number followed by M or G, e.g. 500M or 2G"))
}

#[derive(Args)]
pub struct MergeArgs {
    /// The first shard, named PREFIX-00001-of-0000N.gguf; the others are found beside it.
    #[arg(value_name = "FIRST_SHARD")]
    input: PathBuf,

    /// The merged file.
    #[arg(value_name = "OUT")]
    output: PathBuf,

    /// Replace OUT if it exists (llama-gguf-split refuses to).
    #[arg(long)]
    force: bool,

    /// Write nothing: print what the merged file would hold.
    #[arg(long)]
    dry_run: bool,

    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("template").args(["chat_template", "chat_template_file", "chat_template_config"])))]
pub struct EditArgs {
    /// The model (a split model's first shard edits the whole model; the
    /// metadata lives in the first shard).
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// The edited copy (a split input gives OUT-00001-of-0000N.gguf, …, OUT
    /// without .gguf). Not with --in-place.
    #[arg(
        value_name = "OUT",
        required_unless_present = "in_place",
        conflicts_with = "in_place"
    )]
    output: Option<PathBuf>,

    /// Change IN itself: only --set of numbers and booleans that are already
    /// there (cast to the key's type), written in one positioned write and
    /// synced, as gguf-set-metadata does.
    #[arg(long)]
    in_place: bool,

    // The help is an attribute, not a doc comment: rustdoc would read
    // `array[T]` as a link.
    #[arg(
        long,
        value_name = "KEY=[TYPE:]VALUE",
        help = "KEY=VALUE or KEY=TYPE:VALUE. A key the file has gets VALUE cast to its \
                type where it stands; a new key needs TYPE (u8 i8 u16 i16 u32 i32 u64 \
                i64 f32 f64 bool str, or array[T] with a JSON array such as [1, 2]) \
                and goes last. Repeatable."
    )]
    set: Vec<String>,

    /// OLD=NEW: rename a key, keeping its place and value. Repeatable.
    #[arg(long, value_name = "OLD=NEW", conflicts_with = "in_place")]
    rename: Vec<String>,

    /// Set general.name.
    #[arg(long, value_name = "NAME", conflicts_with = "in_place")]
    general_name: Option<String>,

    /// Set general.description.
    #[arg(long, value_name = "TEXT", conflicts_with = "in_place")]
    general_description: Option<String>,

    /// Replace every tokenizer.chat_template* key with this template (a JSON
    /// list of {"name", "template"} objects sets named templates).
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "in_place")]
    chat_template: Option<String>,

    /// The same, with the template read from a file (e.g. chat_template.jinja).
    #[arg(long, value_name = "FILE", conflicts_with = "in_place")]
    chat_template_file: Option<PathBuf>,

    /// The same, with the template(s) from a tokenizer_config.json's chat_template.
    #[arg(long, value_name = "FILE", conflicts_with = "in_place")]
    chat_template_config: Option<PathBuf>,

    /// Set tokenizer.ggml.pre.
    #[arg(long, value_name = "NAME", conflicts_with = "in_place")]
    pre_tokenizer: Option<String>,

    /// Leave KEY out of the copy. Repeatable.
    #[arg(long, value_name = "KEY", conflicts_with = "in_place")]
    remove_metadata: Vec<String>,

    /// NAME TOKEN: set tokenizer.ggml.NAME_token_id to the first token whose
    /// text is TOKEN (NAME: bos eos eot eom unknown seperator padding mask
    /// fim_pre fim_suf fim_mid fim_pad fim_rep fim_sep prefix suffix middle).
    #[arg(long, num_args = 2, value_names = ["NAME", "TOKEN"], conflicts_with = "in_place")]
    special_token: Vec<String>,

    /// NAME ID: set tokenizer.ggml.NAME_token_id to ID (checked against the token list).
    #[arg(long, num_args = 2, value_names = ["NAME", "ID"], conflicts_with = "in_place")]
    special_token_by_id: Vec<String>,

    /// Replace OUT if it exists (gguf-new-metadata asks first).
    #[arg(long)]
    force: bool,

    /// Write nothing: print the changes (old → new).
    #[arg(long)]
    dry_run: bool,

    /// Print nothing but errors and warnings.
    #[arg(short, long)]
    quiet: bool,
}

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
    input: PathBuf,

    /// The converted copy (a split input gives OUT-00001-of-0000N.gguf, …).
    #[arg(value_name = "OUT")]
    output: PathBuf,

    /// The byte order to write.
    #[arg(long, value_enum)]
    endian: Endian,

    /// Also write this GGUF version (2 or 3; v1 and v2 files are upgraded
    /// with --version 3).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=3))]
    version: Option<u32>,

    /// Write nothing: print what would be written.
    #[arg(long)]
    dry_run: bool,

    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// Why a command stops: a message for stderr (exit 2), or a failed write to
/// standard output (which `main` reports, or ignores for a closed pipe).
enum Fail {
    Msg(String),
    Out(io::Error),
}

impl From<String> for Fail {
    fn from(m: String) -> Fail {
        Fail::Msg(m)
    }
}

impl From<gguf_format::Error> for Fail {
    fn from(e: gguf_format::Error) -> Fail {
        Fail::Msg(e.to_string())
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Out(e)
    }
}

/// The exit code of a command's result: a message is printed, exit 2.
fn finish(r: Result<u8, Fail>) -> io::Result<u8> {
    match r {
        Ok(code) => Ok(code),
        Err(Fail::Msg(m)) => {
            eprintln!("gguf: {m}");
            Ok(2)
        }
        Err(Fail::Out(e)) => Err(e),
    }
}

/// Checks that no output is an input (or exists, unless `overwrite`).
fn check_outputs(inputs: &[PathBuf], names: &[PathBuf], overwrite: bool) -> Result<(), String> {
    for n in names {
        if inputs.iter().any(|i| crate::same_file(i, n)) {
            return Err(format!(
                "output {} is an input file; choose another name",
                n.display()
            ));
        }
        if !overwrite && n.exists() {
            return Err(format!(
                "output {} exists; pass --force to replace it",
                n.display()
            ));
        }
    }
    Ok(())
}

/// Writes every output atomically, with a progress bar on a terminal, and
/// prints a summary line unless `quiet`.
fn write_all(m: &Model<'_>, outputs: &[Output<'_>], names: &[PathBuf], quiet: bool) -> Result<u8, Fail> {
    let total: u64 = outputs.iter().map(Output::tensor_bytes).sum();
    let bar = crate::progress_bar(quiet, total, m.tensors().len());
    let start = Instant::now();
    let mut base = 0u64;
    let result = gguf_format::write_atomic_all(names, |i, w| {
        if let Some(b) = &bar {
            b.set_message(format!("file {}/{}", i + 1, names.len()));
        }
        let mut last = 0;
        outputs[i].write(m, w, &mut |done| {
            last = done;
            if let Some(b) = &bar {
                b.set_position(base + done);
            }
        })?;
        base += last;
        Ok::<(), gguf_format::Error>(())
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let shown = match names {
        [one] => one.display().to_string(),
        [first, .., last] => format!("{} … {}", first.display(), last.display()),
        [] => String::new(),
    };
    result.map_err(|e| format!("{} → {shown}: {e}", m.path()))?;
    if !quiet {
        let secs = start.elapsed().as_secs_f64();
        let size: u64 = names
            .iter()
            .filter_map(|n| std::fs::metadata(n).ok())
            .map(|md| md.len())
            .sum();
        eprintln!(
            "{} → {shown}: {} file{}, {} in {secs:.2} s ({:.0} MB/s)",
            m.path(),
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            bytes(size),
            size as f64 / 1e6 / secs.max(1e-9)
        );
    }
    Ok(0)
}

pub fn run_split(a: &SplitArgs, out: &mut dyn Write) -> io::Result<u8> {
    finish(split(a, out))
}

fn split(a: &SplitArgs, out: &mut dyn Write) -> Result<u8, Fail> {
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let limit = match (a.split_max_tensors, a.split_max_size) {
        (_, Some(size)) => size,
        (n, None) => SplitLimit::Tensors(n.map_or(128, |n| usize::try_from(n).unwrap_or(usize::MAX))),
    };
    let outputs = ops::split(&m, limit, a.no_tensor_first_split).map_err(|e| format!("{}: {e}", m.path()))?;
    let names: Vec<PathBuf> = (0..outputs.len())
        .map(|i| PathBuf::from(shard_path(&a.output, i, outputs.len())))
        .collect();
    if a.dry_run {
        out.write_all(FilesPlan::new(&outputs, &names)?.text(true).as_bytes())?;
        return Ok(0);
    }
    check_outputs(&files.paths(), &names, true)?;
    write_all(&m, &outputs, &names, a.quiet)
}

pub fn run_merge(a: &MergeArgs, out: &mut dyn Write) -> io::Result<u8> {
    finish(merge(a, out))
}

fn merge(a: &MergeArgs, out: &mut dyn Write) -> Result<u8, Fail> {
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let outputs = [ops::merge(&m)?];
    let names = [a.output.clone()];
    if a.dry_run {
        out.write_all(FilesPlan::new(&outputs, &names)?.text(false).as_bytes())?;
        return Ok(0);
    }
    check_outputs(&files.paths(), &names, a.force)?;
    write_all(&m, &outputs, &names, a.quiet)
}

/// `--set` arguments as the library takes them; JSON arrays become elements.
fn set_values(args: &[String]) -> Result<Vec<(String, SetValue)>, String> {
    let mut v = Vec::with_capacity(args.len());
    for arg in args {
        let s = SetArg::parse(arg).map_err(|e| e.to_string())?;
        let value = match s.ty {
            Some(SetType::Scalar(t)) => {
                SetValue::Typed(edit::parse_value(&s.key, t, &s.text).map_err(|e| e.to_string())?)
            }
            Some(SetType::Array(t)) => {
                let items = json_items(&s.text).ok_or_else(|| {
                    format!(
                        "--set {}: {:?} is not a JSON array of numbers, strings or booleans",
                        s.key, s.text
                    )
                })?;
                SetValue::Typed(edit::array_of(&s.key, t, &items).map_err(|e| e.to_string())?)
            }
            None => match s.text.starts_with('[').then(|| json_items(&s.text)).flatten() {
                Some(items) => SetValue::Items(items),
                None => SetValue::Text(s.text),
            },
        };
        v.push((s.key, value));
    }
    Ok(v)
}

/// The elements of a JSON array of scalars, as text.
fn json_items(text: &str) -> Option<Vec<String>> {
    let serde_json::Value::Array(items) = serde_json::from_str(text).ok()? else {
        return None;
    };
    items
        .into_iter()
        .map(|x| match x {
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

/// A `--chat-template` value: a string, or a JSON list of named templates.
fn chat_template_value(v: &serde_json::Value) -> Option<ChatTemplate> {
    match v {
        serde_json::Value::String(s) => Some(ChatTemplate::Text(s.clone())),
        serde_json::Value::Array(list) => Some(ChatTemplate::Named(
            list.iter()
                .filter_map(|c| {
                    let name = c.get("name").and_then(|n| n.as_str()).unwrap_or("");
                    let template = c.get("template")?.as_str()?;
                    Some((name.to_string(), template.to_string()))
                })
                .collect(),
        )),
        _ => None,
    }
}

fn chat_template(a: &EditArgs) -> Result<Option<ChatTemplate>, String> {
    if let Some(t) = &a.chat_template {
        if t.starts_with('[') {
            let v: serde_json::Value =
                serde_json::from_str(t).map_err(|e| format!("--chat-template: not valid JSON: {e}"))?;
            return chat_template_value(&v).map(Some).ok_or_else(|| {
                "--chat-template: a JSON value must be a list of {\"name\", \"template\"}".into()
            });
        }
        return Ok(Some(ChatTemplate::Text(t.clone())));
    }
    if let Some(f) = &a.chat_template_file {
        let t = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        return Ok(Some(ChatTemplate::Text(t)));
    }
    if let Some(f) = &a.chat_template_config {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: not valid JSON: {e}", f.display()))?;
        // As gguf-new-metadata: no (or an empty) chat_template changes nothing.
        return Ok(v.get("chat_template").and_then(chat_template_value));
    }
    Ok(None)
}

fn pairs(v: &[String]) -> Vec<(String, String)> {
    v.chunks_exact(2).map(|p| (p[0].clone(), p[1].clone())).collect()
}

pub fn run_edit(a: &EditArgs, out: &mut dyn Write) -> io::Result<u8> {
    finish(if a.in_place {
        edit_in_place(a, out)
    } else {
        edit_copy(a, out)
    })
}

fn edit_copy(a: &EditArgs, out: &mut dyn Write) -> Result<u8, Fail> {
    let mut renames = Vec::new();
    for r in &a.rename {
        match r.split_once('=') {
            Some((o, n)) if !o.is_empty() => renames.push((o.to_string(), n.to_string())),
            _ => return Err(format!("--rename {r:?}: expected OLD=NEW").into()),
        }
    }
    let e = MetadataEdit {
        general_name: a.general_name.clone(),
        general_description: a.general_description.clone(),
        chat_template: chat_template(a)?,
        pre_tokenizer: a.pre_tokenizer.clone(),
        remove: a.remove_metadata.clone(),
        special_tokens: pairs(&a.special_token),
        special_tokens_by_id: pairs(&a.special_token_by_id),
        set: set_values(&a.set)?,
        rename: renames,
    };
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let (outputs, warnings) = ops::edit(&m, &e).map_err(|err| format!("{}: {err}", m.path()))?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let output = a.output.as_ref().expect("clap requires OUT without --in-place");
    let names = crate::output_names(output, m.is_split(), outputs.len());
    let changes = MetadataChanges::new(m.first(), &outputs[0].builder, &e.rename);
    if a.dry_run {
        out.write_all(changes.text().as_bytes())?;
        return Ok(0);
    }
    check_outputs(&files.paths(), &names, a.force)?;
    if !a.quiet {
        eprint!("{}", changes.text());
    }
    write_all(&m, &outputs, &names, a.quiet)
}

fn edit_in_place(a: &EditArgs, out: &mut dyn Write) -> Result<u8, Fail> {
    if a.set.is_empty() {
        return Err("--in-place needs at least one --set KEY=VALUE".to_string().into());
    }
    let sets = a
        .set
        .iter()
        .map(|s| SetArg::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let path = &a.input;
    let shown = path.display();
    let file = GgufFile::open(path)?;
    if !file.is_mapped() {
        return Err(format!("{shown}: not a regular file; in-place editing needs one").into());
    }
    let g = file
        .parse_with(gguf_format::ParseOptions { check_data: false })
        .map_err(|e| format!("{shown}: {e}"))?;
    let patches = edit::plan_in_place(&g, &sets).map_err(|e| format!("{shown}: {e}"))?;
    for p in &patches {
        let old = gguf_cli::human::short_value(&p.old, 60, 5);
        let new = gguf_cli::human::short_meta(&p.new, 60, 5);
        let same = if p.is_unchanged(file.as_bytes()) {
            " (unchanged)"
        } else {
            ""
        };
        let line = format!("{}: {old} → {new}{same}", p.key);
        if a.dry_run {
            writeln!(out, "{line}")?;
        } else if !a.quiet {
            eprintln!("{line}");
        }
    }
    if a.dry_run {
        return Ok(0);
    }
    let n = edit::write_in_place(path, file.as_bytes(), &patches)?;
    if !a.quiet {
        eprintln!(
            "{shown}: {} bytes written at the keys' places, synced",
            thousands(n as u64)
        );
    }
    Ok(0)
}

pub fn run_convert(a: &ConvertArgs, out: &mut dyn Write) -> io::Result<u8> {
    finish(convert(a, out))
}

fn convert(a: &ConvertArgs, out: &mut dyn Write) -> Result<u8, Fail> {
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let order = match a.endian {
        Endian::Big => ByteOrder::Big,
        Endian::Little => ByteOrder::Little,
        Endian::Native if cfg!(target_endian = "big") => ByteOrder::Big,
        Endian::Native => ByteOrder::Little,
    };
    let version = a.version.and_then(Version::from_u32);
    let outputs = ops::convert(&m, order, version).map_err(|e| format!("{}: {e}", m.path()))?;
    let names = crate::output_names(&a.output, m.is_split(), outputs.len());
    if a.dry_run {
        writeln!(out, "{} ({}) → {order}", m.path(), m.first().byte_order())?;
        out.write_all(FilesPlan::new(&outputs, &names)?.text(false).as_bytes())?;
        return Ok(0);
    }
    check_outputs(&files.paths(), &names, true)?;
    if !a.quiet && m.first().byte_order() == order && version.is_none_or(|v| v == m.first().version()) {
        eprintln!("note: {} is already {order}: the output is a copy", m.path());
    }
    write_all(&m, &outputs, &names, a.quiet)
}

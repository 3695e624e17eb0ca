//! The `gguf` command. Parses arguments, calls the library, prints. Exit
//! codes: 0 success, 1 "no" answer (a `--key` that is absent), 2 error.

#![forbid(unsafe_code)]

mod commands;

use clap::{Args, Parser, Subcommand};
use gguf_cli::glob::Glob;
use gguf_cli::inspect::{self, InspectOptions};
use gguf_cli::remote;
use gguf_cli::render::{self, TextOptions};
use gguf_cli::requant as report;
use gguf_format::ModelFiles;
use gguf_quant::requant::quality::{self, QualityOptions};
use gguf_quant::requant::{self, parse_target, Imatrix, Options, Target, TARGETS};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gguf",
    version,
    about = "Inspect, compare, requantize, split, merge, edit and convert GGUF model files (the llama.cpp format)",
    after_help = "Exit codes: 0 success; 1 a negative answer (diff: differences found; inspect --key: no such key); 2 error.\n\
                  Run `gguf <command> --help` for each command's options and examples."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what GGUF files hold: summary, metadata, tensors, type histogram, memory estimate.
    #[command(after_help = "Examples:\n  \
        gguf inspect model.gguf\n  \
        gguf inspect model.gguf --no-tensors --ctx 8192\n  \
        gguf inspect model.gguf --tensors 'blk.0.*'\n  \
        gguf inspect model.gguf --key tokenizer.chat_template\n  \
        gguf inspect model.gguf --json --max-array 10 | jq .files[0].file_type\n  \
        gguf inspect https://example.com/models/model.gguf --ctx 8192\n  \
        gguf inspect hf://OWNER/REPO/model-Q4_K_M.gguf          (or hf://OWNER/REPO@REVISION/FILE)\n\n\
        Reads only the header (the tensor data is never touched), so it is quick on any size of model.\n\
        A URL is read the same way, by HTTP range requests: the header and not much more is downloaded\n\
        (HF_TOKEN is sent to the URL's host for gated models; GGUF_HTTP_TIMEOUT sets the timeout, 30 s).\n\
        Files whose tensor data is cut off, big-endian files, GGUF v1/v2 and unknown tensor types\n\
        are shown with a warning rather than refused.")]
    Inspect(InspectArgs),

    /// Convert a model to another llama.cpp file type (Q4_K_M, Q8_0, …), byte-identical to llama-quantize.
    #[command(after_help = "Examples:\n  \
        gguf requant --to q4_k_m model-f16.gguf model-Q4_K_M.gguf\n  \
        gguf requant --to q4_k_m --imatrix imatrix.gguf model-f16.gguf model-Q4_K_M.gguf\n  \
        gguf requant --to q5_k_m --tensor-type 'attn_v=q8_0' model-f16.gguf out.gguf\n  \
        gguf requant --dry-run --to q4_k_m model-f16.gguf\n  \
        gguf requant --dry-run --to all --ctx 8192 model-f16.gguf     (which quant fits my GPU?)\n  \
        gguf requant --list\n\n\
        Every tensor gets the type llama-quantize would give it for the same ftype and options, and\n\
        the output file is byte-for-byte what llama-quantize writes (tensor order, metadata order,\n\
        padding). One difference: a model whose general.alignment is not 32 is laid out with the\n\
        alignment it declares (llama-quantize writes 32 and the result does not load).\n\
        The output is written to a temporary file beside OUT and renamed only when complete.")]
    Requant(RequantArgs),

    /// Compare two GGUF files: metadata, tensor lists, and the numbers of every shared tensor.
    #[command(after_help = "Examples:\n  \
        gguf diff model-f16.gguf model-Q4_K_M.gguf          (how much did quantizing cost, tensor by tensor?)\n  \
        gguf diff a.gguf b.gguf --metadata-only\n  \
        gguf diff a.gguf b.gguf --tolerance 1e-3 --top 10\n  \
        gguf diff a.gguf b.gguf --json\n\n\
        Tensors in both files with the same shape are decoded to f32 (whatever their types) and\n\
        compared with A as the reference: RMSE, largest absolute error, relative RMSE\n\
        (sqrt of error energy over A's energy), cosine similarity, and whether every value is\n\
        bit-identical. Worst first.\n\n\
        Exit codes, like diff: 0 no difference, 1 differences found, 2 error.")]
    Diff(DiffArgs),

    /// Split a model into shards (MODEL-00001-of-0000N.gguf …), as llama-gguf-split --split does.
    #[command(after_help = "Examples:\n  \
        gguf split model.gguf model                           (128 tensors per shard)\n  \
        gguf split --split-max-size 4G model.gguf out/model   (at most 4·10⁹ bytes of tensors each)\n  \
        gguf split --split-max-tensors 64 --dry-run model.gguf model\n\n\
        The shards are byte for byte what llama-gguf-split writes: the first holds all metadata,\n\
        every one split.no, split.tensors.count and split.count; tensors keep their order.\n\
        All shards are written to temporary files and appear together, or none does.")]
    Split(commands::SplitArgs),

    /// Merge a split model's shards into one file, as llama-gguf-split --merge does.
    #[command(after_help = "Examples:\n  \
        gguf merge model-00001-of-00004.gguf model.gguf\n  \
        gguf merge --dry-run model-00001-of-00004.gguf model.gguf\n\n\
        Every shard is found by its name and checked (split.no, split.count, split.tensors.count,\n\
        no tensor twice) before anything is written. The output is byte for byte llama-gguf-split's\n\
        (split.count becomes 0). OUT is not replaced unless --force.")]
    Merge(commands::MergeArgs),

    /// Change metadata: in place (numbers, booleans) or as a copy (anything), like gguf-set-metadata / gguf-new-metadata.
    #[command(after_help = "Examples:\n  \
        gguf edit --in-place model.gguf --set tokenizer.ggml.eos_token_id=2\n  \
        gguf edit --in-place --dry-run model.gguf --set llama.rope.freq_base=500000\n  \
        gguf edit in.gguf out.gguf --general-name 'My model' --chat-template-file chat.jinja\n  \
        gguf edit in.gguf out.gguf --special-token eos '<|im_end|>' --remove-metadata general.url\n  \
        gguf edit in.gguf out.gguf --set llama.context_length=u32:32768 --rename general.basename=general.base\n  \
        gguf edit in.gguf out.gguf --set 'tokenizer.ggml.eos_token_ids=array[u32]:[2, 32000]'\n\n\
        --in-place changes only values whose size stays the same, cast to the key's type, with one\n\
        positioned write and an fsync; nothing else in the file moves. A copy is written the way\n\
        gguf-new-metadata writes it (general.architecture first; new chat templates replace every\n\
        tokenizer.chat_template* key and go last), byte for byte for its options; tensor data is\n\
        copied file to file, never decoded.")]
    Edit(commands::EditArgs),

    /// Convert a model to big- or little-endian (and GGUF v2/v3), like gguf-convert-endian.
    #[command(after_help = "Examples:\n  \
        gguf convert --endian big model.gguf model-be.gguf\n  \
        gguf convert --endian little model-be.gguf model.gguf\n  \
        gguf convert --endian little --version 3 old-v2.gguf new.gguf\n\n\
        Every header field and every multi-byte field of the tensor data changes order, by each\n\
        type's block layout: F32, F16, BF16, every quantized type (Q4_0 … Q8_K, IQ*, TQ*, MXFP4, …)\n\
        and the integer types. Byte for byte what gguf-convert-endian writes for the types it\n\
        knows; converting back gives the original bytes. Unlike gguf-convert-endian, IN is not\n\
        changed: OUT is a new file.")]
    Convert(commands::ConvertArgs),
}

#[derive(Args)]
struct DiffArgs {
    /// The reference file.
    #[arg(value_name = "A")]
    a: PathBuf,

    /// The file compared with it.
    #[arg(value_name = "B")]
    b: PathBuf,

    /// Compare metadata and tensor names, types and shapes only, not the numbers.
    #[arg(long)]
    metadata_only: bool,

    /// Count a numeric difference as equal when its relative RMSE is at most X.
    #[arg(long, value_name = "X")]
    tolerance: Option<f64>,

    /// Show only the N worst tensors in the table (the summary covers all).
    #[arg(long, value_name = "N")]
    top: Option<usize>,

    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// What llama.cpp allocates for a model at a context: the options of its
/// `llama_context` that change the figures, with llama.cpp's names and
/// defaults. Shared by the commands that estimate memory.
#[derive(Args, Clone, Debug)]
struct MemoryArgs {
    /// Show the memory llama.cpp allocates at a context of N tokens (0: the
    /// model's own context_length): weights, each KV cache exactly as
    /// llama.cpp sizes it (context padded to 256, sliding-window layers with
    /// a window-sized cache), the CPU compute buffer (an estimate) and the
    /// output buffer. The keys used are listed; a missing key is named.
    #[arg(long, help_heading = MEMORY, value_name = "N")]
    ctx: Option<u64>,

    /// K cache type, as llama.cpp's -ctk: f32, f16, bf16, q8_0, q4_0, q4_1,
    /// iq4_nl, q5_0 or q5_1.
    #[arg(long, help_heading = MEMORY, value_name = "TYPE", default_value = "f16", value_parser = parse_cache_type, requires = "ctx")]
    cache_type_k: gguf_format::GgmlType,

    /// V cache type, as llama.cpp's -ctv (a quantized V cache needs flash
    /// attention, which llama.cpp then turns on).
    #[arg(long, help_heading = MEMORY, value_name = "TYPE", default_value = "f16", value_parser = parse_cache_type, requires = "ctx")]
    cache_type_v: gguf_format::GgmlType,

    /// Parallel sequences (llama.cpp's -np): each gets its own stream of
    /// ctx / N cells unless --kv-unified.
    #[arg(long, help_heading = MEMORY, value_name = "N", default_value_t = 1, requires = "ctx")]
    parallel: u32,

    /// Logical batch size (llama.cpp's -b).
    #[arg(long, help_heading = MEMORY, value_name = "N", default_value_t = 2048, requires = "ctx")]
    batch: u32,

    /// Micro-batch size (llama.cpp's -ub): the logits and attention masks
    /// of one micro-batch dominate the compute buffer.
    #[arg(long, help_heading = MEMORY, value_name = "N", default_value_t = 512, requires = "ctx")]
    ubatch: u32,

    /// One KV cache shared by all sequences (llama.cpp's -kvu; llama-server
    /// turns it on when the number of slots is automatic).
    #[arg(long, help_heading = MEMORY, requires = "ctx")]
    kv_unified: bool,

    /// Full-size caches for sliding-window layers (llama.cpp's --swa-full).
    #[arg(long, help_heading = MEMORY, requires = "ctx")]
    swa_full: bool,
}

impl MemoryArgs {
    /// The library's options, when --ctx asks for an estimate.
    fn options(&self) -> Option<gguf_llama::memory::Options> {
        self.ctx.map(|context| gguf_llama::memory::Options {
            context,
            cache_type_k: self.cache_type_k,
            cache_type_v: self.cache_type_v,
            n_seq: self.parallel,
            n_batch: self.batch,
            n_ubatch: self.ubatch,
            kv_unified: self.kv_unified,
            swa_full: self.swa_full,
        })
    }
}

/// The help heading of the memory options.
const MEMORY: &str = "Memory (as llama.cpp allocates it)";

/// A KV cache type llama.cpp accepts (`-ctk`/`-ctv`).
fn parse_cache_type(s: &str) -> Result<gguf_format::GgmlType, String> {
    gguf_format::GgmlType::from_name(s)
        .filter(|t| gguf_llama::memory::CACHE_TYPES.contains(t))
        .ok_or_else(|| format!("{s:?} is not a KV cache type llama.cpp accepts (f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1)"))
}

#[derive(Args)]
struct InspectArgs {
    // As an attribute: rustdoc would read [@REVISION] as a link.
    #[arg(
        required = true,
        value_name = "FILE",
        help = "GGUF files to inspect, or URLs of files on a web server (http://, https://, \
                hf://OWNER/REPO[@REVISION]/FILE), of which only the header is downloaded"
    )]
    files: Vec<PathBuf>,

    /// Print only the value of metadata key NAME, raw: a string as plain text,
    /// an array one element per line. Exit code 1 if a file lacks the key.
    #[arg(long, value_name = "NAME")]
    key: Option<String>,

    /// Show long strings and arrays in full (they are shortened by default).
    #[arg(long)]
    full: bool,

    /// List only tensors whose name matches PATTERN, a glob where `*` matches
    /// any run of characters and `?` one character (e.g. 'blk.*.attn_v.weight').
    #[arg(long, value_name = "PATTERN")]
    tensors: Option<Glob>,

    /// Leave out the tensor table (the per-type histogram stays).
    #[arg(long)]
    no_tensors: bool,

    /// Leave out the metadata table.
    #[arg(long)]
    no_metadata: bool,

    #[command(flatten)]
    memory: MemoryArgs,

    /// Look at each FILE alone, even when it is a shard of a split model
    /// (by default the first shard stands for the whole model and a later
    /// shard is refused, naming the first).
    #[arg(long)]
    single_file: bool,

    /// Print one JSON document (schema in the README) instead of tables.
    #[arg(long)]
    json: bool,

    /// With --json, cut arrays to at most N elements (default: complete).
    #[arg(long, value_name = "N", requires = "json")]
    max_array: Option<usize>,
}

#[derive(Args)]
struct RequantArgs {
    /// Input model (.gguf); with --dry-run also a URL, as for inspect.
    #[arg(value_name = "IN", required_unless_present = "list")]
    input: Option<PathBuf>,

    /// Output file; not needed with --dry-run.
    #[arg(value_name = "OUT", required_unless_present_any = ["list", "dry_run"])]
    output: Option<PathBuf>,

    /// Target file type: a llama-quantize name (Q4_K_M, q8_0, …, case-insensitive)
    /// or ftype id; with --dry-run also `all`. See --list.
    #[arg(long, value_name = "FTYPE", required_unless_present = "list")]
    to: Option<String>,

    /// List the target types with their nominal bits per weight, and exit.
    #[arg(long)]
    list: bool,

    /// Write nothing: print each tensor's new type and the new size.
    /// With `--to all`, one line per target type instead.
    #[arg(long)]
    dry_run: bool,

    /// With --dry-run: the memory llama.cpp allocates for the output at a
    /// context (weights, KV caches, compute, output), as `inspect --ctx`.
    #[command(flatten)]
    memory: MemoryArgs,

    /// With --dry-run: print JSON instead of tables.
    #[arg(long, requires = "dry_run")]
    json: bool,

    /// With --dry-run: predict each target's weight error (relative RMSE and
    /// cosine against IN, as `gguf diff IN OUT` would report them for the
    /// file requant would write), by encoding a sample of every tensor's rows
    /// with the real codecs (and --imatrix). Reads the whole model once. This
    /// is error in weight space, not perplexity: a guide to compare file
    /// types of one model, not a promise about output quality.
    #[arg(long, requires = "dry_run")]
    quality: bool,

    /// With --quality: the share of each tensor's rows to encode, in (0, 1]
    /// (at least 32 rows of each tensor and 512 Ki weights of the model per
    /// type; the slow i-quant searches get a quarter or a sixteenth of the
    /// share). 1 encodes every row and gives the written file's figures
    /// exactly; the default, 1/32, was within 0.5 % of them on every file
    /// type of real weights, in a fraction of the time.
    #[arg(long, value_name = "SHARE", requires = "quality", value_parser = parse_share)]
    quality_sample: Option<f64>,

    /// With --quality: also show the predicted error per tensor class
    /// (attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down,
    /// token_embd, output), to see where each file type's error goes.
    #[arg(short, long, requires = "quality")]
    verbose: bool,

    /// Give every quantizable tensor the target's default type (no per-layer mixture).
    #[arg(long)]
    pure: bool,

    /// Type for output.weight (a ggml type name such as q8_0), no fallback.
    #[arg(long, value_name = "TYPE", value_parser = parse_ggml_type)]
    output_tensor_type: Option<gguf_format::GgmlType>,

    /// Type for token_embd.weight, no fallback.
    #[arg(long, value_name = "TYPE", value_parser = parse_ggml_type)]
    token_embedding_type: Option<gguf_format::GgmlType>,

    /// PATTERN=TYPE: tensors whose name matches the regular expression PATTERN
    /// (searched anywhere in the name) get TYPE; the first matching option wins. Repeatable.
    #[arg(long, value_name = "PATTERN=TYPE")]
    tensor_type: Vec<String>,

    /// A file of whitespace-separated PATTERN=TYPE entries, applied after --tensor-type.
    #[arg(long, value_name = "FILE")]
    tensor_type_file: Option<PathBuf>,

    /// Drop these blocks (comma-separated layer numbers) and renumber the rest.
    #[arg(long, value_name = "L0,L1,…", value_delimiter = ',')]
    prune_layers: Vec<u64>,

    /// Keep output.weight in its input type.
    #[arg(long)]
    leave_output_tensor: bool,

    /// Allow quantized inputs: they are decoded and encoded again (loses quality).
    #[arg(long)]
    allow_requantize: bool,

    /// Importance matrix (llama.cpp's GGUF imatrix or legacy .dat) to weight the rounding.
    #[arg(long, value_name = "FILE")]
    imatrix: Option<String>,

    /// Use importance data only for tensors whose names contain S. Repeatable.
    #[arg(
        long,
        value_name = "S",
        requires = "imatrix",
        conflicts_with = "exclude_weights"
    )]
    include_weights: Vec<String>,

    /// Use no importance data for tensors whose names contain S. Repeatable.
    #[arg(long, value_name = "S", requires = "imatrix")]
    exclude_weights: Vec<String>,

    /// KEY=TYPE:VALUE with TYPE int, float, bool or str: set a metadata key in the output. Repeatable.
    #[arg(long, value_name = "KEY=TYPE:VALUE")]
    override_kv: Vec<String>,

    /// With a split input: write one output per input shard, each holding
    /// that shard's tensors in their order, named OUT-00001-of-0000N.gguf
    /// (OUT without .gguf), as llama-quantize --keep-split does. Without it a
    /// split input gives one file.
    #[arg(long)]
    keep_split: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// No progress bar and no summary.
    #[arg(short, long)]
    quiet: bool,
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

fn parse_ggml_type(s: &str) -> Result<gguf_format::GgmlType, String> {
    gguf_format::GgmlType::from_name(s)
        .ok_or_else(|| format!("unknown ggml type {s:?} (e.g. q4_k, q8_0, f16)"))
}

/// llama-quantize's options as the library takes them (it applies their rules).
fn requant_options(a: &RequantArgs, target: &'static Target) -> Result<Options, String> {
    let mut o = Options::new(target);
    o.pure(a.pure)
        .leave_output_tensor(a.leave_output_tensor)
        .output_tensor_type(a.output_tensor_type)
        .token_embedding_type(a.token_embedding_type)
        .allow_requantize(a.allow_requantize)
        .prune_layers(a.prune_layers.iter().copied())
        .keep_split(a.keep_split);
    let mut specs: Vec<String> = a.tensor_type.clone();
    if let Some(f) = &a.tensor_type_file {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        specs.extend(text.split_whitespace().map(str::to_string));
    }
    for spec in &specs {
        o.tensor_type(spec).map_err(|e| e.to_string())?;
    }
    if let Some(path) = &a.imatrix {
        let m = Imatrix::load(path).map_err(|e| e.to_string())?;
        o.imatrix(path, m, &a.include_weights, &a.exclude_weights)
            .map_err(|e| e.to_string())?;
    }
    for kv in &a.override_kv {
        o.override_kv(kv).map_err(|e| e.to_string())?;
    }
    Ok(o)
}

/// The files an operation writing `n` outputs to OUT creates: OUT itself,
/// or with `split` (`--keep-split`, a split input) `OUT-0000i-of-0000N.gguf`
/// with OUT's `.gguf` removed, as llama-quantize names them.
fn output_names(out: &std::path::Path, split: bool, n: usize) -> Vec<PathBuf> {
    if !split {
        return vec![out.to_path_buf()];
    }
    let s = out.to_string_lossy();
    let prefix = gguf_format::split::output_prefix(&s);
    (0..n)
        .map(|i| PathBuf::from(gguf_format::split::shard_path(prefix, i, n)))
        .collect()
}

/// Whether two paths name the same existing file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn run_requant(a: &RequantArgs, out: &mut dyn Write) -> io::Result<u8> {
    let fail = |msg: String| {
        eprintln!("gguf: {msg}");
        Ok(2)
    };
    if a.list {
        writeln!(
            out,
            "{:<10} {:>5}  {:>6}  {:<8}  description",
            "target", "ftype", "bpw", "type"
        )?;
        for t in TARGETS {
            writeln!(
                out,
                "{:<10} {:>5}  {:>6.2}  {:<8}  {}",
                t.name,
                t.id(),
                t.nominal_bpw(),
                t.default_type().to_string(),
                t.description
            )?;
        }
        return Ok(0);
    }
    let (Some(input), Some(to)) = (&a.input, &a.to) else {
        return fail("requant needs IN and --to".into());
    };
    if let Some(n) = a.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let shown = input.display().to_string();
    let url = input.to_str().filter(|s| remote::is_url(s));
    if url.is_some() && (!a.dry_run || a.quality) {
        return fail(format!(
            "{shown}: requant needs the tensor data, which is not read from a URL: download the model first \
             (--dry-run without --quality works on a URL)"
        ));
    }
    // A split model is read whole: every shard, checked against the others.
    let opened = match url {
        Some(url) => remote::open(url, false),
        None => ModelFiles::open(input),
    };
    let files = match opened {
        Ok(f) => f,
        Err(e) => return fail(e.to_string()),
    };
    let g = match files.parse() {
        Ok(g) => g,
        Err(e) => return fail(e.to_string()),
    };
    let all = to.eq_ignore_ascii_case("all");
    if all && !a.dry_run {
        return fail("--to all only works with --dry-run".into());
    }
    if a.memory.ctx.is_some() && !a.dry_run {
        return fail("--ctx only works with --dry-run".into());
    }
    let target = if all {
        parse_target("Q8_0").expect("Q8_0 is a target")
    } else {
        match parse_target(to) {
            Some(t) => t,
            None => {
                return fail(format!(
                    "unknown target type {to:?}; `gguf requant --list` shows them"
                ))
            }
        }
    };
    let opts = match requant_options(a, target) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let quality = a.quality.then(|| QualityOptions {
        sample: a.quality_sample.unwrap_or(quality::DEFAULT_SAMPLE),
        ..QualityOptions::default()
    });
    if all {
        let bar = count_bar(a.quiet, g.tensors().len() as u64, "tensors read");
        let memory = a.memory.options();
        let report =
            report::AllTargets::new(&shown, &g, &opts, memory.as_ref(), quality.as_ref(), &mut |p| {
                if let Some(b) = &bar {
                    b.set_position(p.tensors_done as u64);
                }
            });
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let report = match report {
            Ok(r) => r,
            Err(e) => return fail(format!("{shown}: {e}")),
        };
        if a.json {
            write_json(out, &report)?;
        } else {
            out.write_all(report.text(a.verbose).as_bytes())?;
        }
        return Ok(0);
    }
    let plan = match requant::plan(&g, &opts, a.dry_run) {
        Ok(p) => p,
        Err(e) => return fail(format!("{shown}: {e}")),
    };
    if a.dry_run {
        let memory = a
            .memory
            .options()
            .map(|o| inspect::memory_estimate_with(g.first(), &o, plan.out_bytes));
        let mut predicted = report::Quality::default();
        if let Some(q) = &quality {
            let bar = count_bar(a.quiet, g.tensors().len() as u64, "tensors read");
            let r = quality::estimate(&g, &[&plan], q, &mut |p| {
                if let Some(b) = &bar {
                    b.set_position(p.tensors_done as u64);
                }
            });
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            match r {
                Ok(mut v) => predicted = report::Quality::of(v.pop().flatten()),
                Err(e) => return fail(format!("{shown}: {e}")),
            }
        }
        let report = report::DryRun::new(&shown, &plan, memory, predicted);
        if a.json {
            write_json(out, &report)?;
        } else {
            out.write_all(report.text(a.verbose).as_bytes())?;
        }
        return Ok(0);
    }
    let output = a.output.as_ref().expect("clap requires OUT without --dry-run");
    let targets = output_names(output, a.keep_split, plan.outputs.len());
    if let Some(t) = targets
        .iter()
        .find(|t| files.paths().iter().any(|p| same_file(p, t)))
    {
        let which = if files.files().len() == 1 {
            "the input file"
        } else {
            "one of the input shards"
        };
        return fail(format!("output {} is {which}; choose another name", t.display()));
    }
    if !a.quiet {
        for w in &plan.warnings {
            eprintln!("warning: {w}");
        }
    }
    let start = std::time::Instant::now();
    let bar = progress_bar(a.quiet, plan.in_bytes, plan.tensors.len());
    let mut base = requant::Progress {
        tensors_done: 0,
        bytes_done: 0,
    };
    let result = gguf_format::write_atomic_all(&targets, |i, w| {
        let mut last = base;
        requant::execute(&g, &plan, &opts, i, w, &mut |p| {
            last = p;
            if let Some(b) = &bar {
                b.set_position(base.bytes_done + p.bytes_done);
                b.set_message(format!(
                    "{}/{} tensors",
                    base.tensors_done + p.tensors_done,
                    plan.tensors.len()
                ));
            }
        })?;
        base.tensors_done += last.tensors_done;
        base.bytes_done += last.bytes_done;
        Ok::<(), requant::RequantError>(())
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let shown_out = match targets.as_slice() {
        [one] => one.display().to_string(),
        [first, .., last] => format!("{} … {}", first.display(), last.display()),
        [] => String::new(),
    };
    if let Err(e) = result {
        return fail(format!("{shown} → {shown_out}: {e}"));
    }
    if !a.quiet {
        eprintln!(
            "{} → {}: {} → {} ({:.2} bits per weight, {}) in {:.1} s",
            shown,
            shown_out,
            gguf_cli::human::bytes(g.file_size()),
            gguf_cli::human::bytes(plan.out_file_size),
            plan.out_bytes as f64 * 8.0 / plan.n_params.max(1) as f64,
            plan.target.name,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(0)
}

/// A progress bar on stderr when it is a terminal and not `--quiet`.
fn progress_bar(quiet: bool, total: u64, tensors: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("0/{tensors} tensors"));
    Some(bar)
}

/// A progress bar counting `what` on stderr when it is a terminal and not `--quiet`.
fn count_bar(quiet: bool, total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}, ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    Some(bar)
}

/// `{"schema_version": 1, "report": …}`.
#[derive(serde::Serialize)]
struct ReportDoc<'a, T> {
    schema_version: u32,
    report: &'a T,
}

fn write_json(out: &mut dyn Write, report: &impl serde::Serialize) -> io::Result<()> {
    let doc = ReportDoc {
        schema_version: gguf_cli::JSON_SCHEMA_VERSION,
        report,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

fn run_diff(a: &DiffArgs, out: &mut dyn Write) -> io::Result<u8> {
    if let Some(n) = a.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    // The first shard of a split model stands for the whole model.
    let open = |p: &PathBuf| -> Result<ModelFiles, String> { ModelFiles::open(p).map_err(|e| e.to_string()) };
    let (fa, fb) = match (open(&a.a), open(&a.b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("gguf: {e}");
            return Ok(2);
        }
    };
    let (ga, gb) = match (fa.parse(), fb.parse()) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("gguf: {e}");
            return Ok(2);
        }
    };
    let opts = gguf_quant::compare::Options {
        metadata_only: a.metadata_only,
        tolerance: a.tolerance,
    };
    let report = gguf_quant::compare::compare(&ga, &gb, &opts);
    if a.json {
        write_json(out, &report)?;
    } else {
        out.write_all(gguf_cli::diff::text(&report, a.top).as_bytes())?;
    }
    Ok(u8::from(report.has_differences()))
}

fn run_inspect(a: &InspectArgs, out: &mut dyn Write) -> io::Result<u8> {
    let opts = InspectOptions {
        tensors: a.tensors.clone(),
        ctx: a.memory.ctx,
        max_array: a.max_array,
    };
    let text = TextOptions {
        full: a.full,
        no_metadata: a.no_metadata,
        no_tensors: a.no_tensors,
    };
    // All files stay mapped until the end, so the JSON document can borrow from every one.
    // The first shard of a split model opens every shard (one model).
    let opened: Vec<(String, Result<ModelFiles, String>)> = a
        .files
        .iter()
        .map(|p| {
            let url = p.to_str().filter(|s| remote::is_url(s));
            let files = if let Some(url) = url {
                remote::open(url, a.single_file)
            } else if a.single_file {
                ModelFiles::open_single(p)
            } else {
                ModelFiles::open(p)
            };
            (p.display().to_string(), files.map_err(|e| e.to_string()))
        })
        .collect();
    let mut code = 0u8;
    let mut results = Vec::new();
    for (i, (shown, file)) in opened.iter().enumerate() {
        // Header only: a file whose data is cut off is still shown, with a warning.
        let parsed = file
            .as_ref()
            .map_err(String::clone)
            .and_then(|f| f.parse_header().map_err(|e| e.to_string()));
        let g = match parsed {
            Ok(g) => g,
            Err(msg) => {
                eprintln!("gguf: {msg}");
                code = 2;
                results.push(FileResult::Error {
                    path: shown,
                    error: msg,
                });
                continue;
            }
        };
        if let Some(key) = &a.key {
            match g.get(key) {
                Some(v) => inspect::raw_value(v, out)?,
                None => {
                    eprintln!("gguf: {shown}: no metadata key {key}");
                    code = code.max(1);
                }
            }
            continue;
        }
        let report = inspect::report_with_memory(shown, &g, &opts, a.memory.options());
        if a.json {
            results.push(FileResult::Report(Box::new(report)));
        } else {
            if i > 0 {
                writeln!(out)?;
            }
            out.write_all(render::text(&report, text).as_bytes())?;
        }
    }
    if a.json && a.key.is_none() {
        let doc = JsonDoc {
            schema_version: gguf_cli::JSON_SCHEMA_VERSION,
            files: results,
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)?;
    }
    Ok(code)
}

/// The `--json` document: `{"schema_version": 1, "files": [...]}`.
#[derive(serde::Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    files: Vec<FileResult<'a>>,
}

/// One file's report, or `{"path", "error"}` when it could not be read.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum FileResult<'a> {
    Report(Box<inspect::Report<'a>>),
    Error { path: &'a str, error: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = match &cli.command {
        Command::Inspect(a) => run_inspect(a, &mut out),
        Command::Requant(a) => run_requant(a, &mut out),
        Command::Diff(a) => run_diff(a, &mut out),
        Command::Split(a) => commands::run_split(a, &mut out),
        Command::Merge(a) => commands::run_merge(a, &mut out),
        Command::Edit(a) => commands::run_edit(a, &mut out),
        Command::Convert(a) => commands::run_convert(a, &mut out),
    }
    .and_then(|code| out.flush().map(|()| code));
    match result {
        Ok(code) => ExitCode::from(code),
        // `gguf inspect big.gguf | head` is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gguf: writing output: {e}");
            ExitCode::from(2)
        }
    }
}

//! The `gguf` command. Parses arguments, calls the library, prints. Exit
//! codes: 0 success, 1 "no" answer (a `--key` that is absent), 2 error.

use clap::{Args, Parser, Subcommand};
use gguf_cli::glob::Glob;
use gguf_cli::inspect::{self, InspectOptions};
use gguf_cli::render::{self, TextOptions};
use gguf_format::{GgufFile, ParseOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gguf",
    version,
    about = "Inspect, compare and requantize GGUF model files (the llama.cpp format)",
    after_help = "Exit codes: 0 success; 1 a negative answer (inspect --key: no such key); 2 error.\n\
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
        gguf inspect model.gguf --json --max-array 10 | jq .files[0].file_type\n\n\
        Reads only the header (the tensor data is never touched), so it is quick on any size of model.\n\
        Files whose tensor data is cut off, big-endian files, GGUF v1/v2 and unknown tensor types\n\
        are shown with a warning rather than refused.")]
    Inspect(InspectArgs),
}

#[derive(Args)]
struct InspectArgs {
    /// GGUF files to inspect.
    #[arg(required = true, value_name = "FILE")]
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

    /// Estimate memory for the weights plus an f16 KV cache at N tokens of
    /// context, from the architecture's block_count, head_count(_kv),
    /// key/value_length or embedding_length keys (the ones used are listed).
    #[arg(long, value_name = "N")]
    ctx: Option<u64>,

    /// Print one JSON document (schema in the README) instead of tables.
    #[arg(long)]
    json: bool,

    /// With --json, cut arrays to at most N elements (default: complete).
    #[arg(long, value_name = "N", requires = "json")]
    max_array: Option<usize>,
}

fn run_inspect(a: &InspectArgs, out: &mut dyn Write) -> io::Result<u8> {
    let opts = InspectOptions {
        tensors: a.tensors.clone(),
        ctx: a.ctx,
        max_array: a.max_array,
    };
    let text = TextOptions {
        full: a.full,
        no_metadata: a.no_metadata,
        no_tensors: a.no_tensors,
    };
    // All files stay mapped until the end, so the JSON document can borrow from every one.
    let opened: Vec<(String, Result<GgufFile, String>)> = a
        .files
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                GgufFile::open(p).map_err(|e| e.to_string()),
            )
        })
        .collect();
    let mut code = 0u8;
    let mut results = Vec::new();
    for (i, (shown, file)) in opened.iter().enumerate() {
        // Header only: a file whose data is cut off is still shown, with a warning.
        let parsed = file.as_ref().map_err(String::clone).and_then(|f| {
            f.parse_with(ParseOptions { check_data: false })
                .map_err(|e| format!("{shown}: {e}"))
        });
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
        let report = inspect::report(shown, &g, &opts);
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

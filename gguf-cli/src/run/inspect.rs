//! `gguf inspect`.

use crate::error::{Result, Status};
use crate::flags::InspectArgs;
use gguf_cli::inspect::{self, InspectOptions};
use gguf_cli::json::Document;
use gguf_cli::render::{self, TextOptions};
use gguf_format::ModelFiles;
use gguf_remote as remote;
use std::io::Write;

/// One file's report (or its `--key` value), or `{"path", "error"}` when it could not be read.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum FileResult<'a> {
    Report(Box<inspect::Report<'a>>),
    Key(inspect::KeyJson<'a>),
    Error { path: &'a str, error: String },
}

/// A file that cannot be shown: said on stderr, kept among the JSON
/// results, and the exit status made a failure.
fn failed<'a>(results: &mut Vec<FileResult<'a>>, status: &mut Status, path: &'a str, error: String) {
    eprintln!("gguf: {error}");
    *status = Status::Failed;
    results.push(FileResult::Error { path, error });
}

/// Shows each file (or one key of each); an unreadable file is reported
/// and the others still shown.
pub fn run(a: &InspectArgs, out: &mut dyn Write) -> Result {
    let opts = InspectOptions {
        tensors: a.tensors.clone(),
        ctx: a.memory.ctx,
        max_array: a.max_array,
    };
    let text = TextOptions {
        full: a.full,
        no_metadata: a.no_metadata,
        no_tensors: a.no_tensors,
        max_array: a.max_array,
    };
    // All files stay mapped until the end, so the JSON document can borrow from every one.
    // The first shard of a split model opens every shard (one model).
    let opened: Vec<(String, std::result::Result<ModelFiles, String>)> = a
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
    let mut status = Status::Yes;
    let mut results = Vec::new();
    // `--key` with several files: lines marked `FILE:`, or one JSON object per file
    // (with one file: the value alone).
    let several = opened.len() > 1;
    for (i, (shown, file)) in opened.iter().enumerate() {
        // Header only: a file whose data is cut off is still shown, with a warning.
        let parsed = file
            .as_ref()
            .map_err(String::clone)
            .and_then(|f| f.parse_header().map_err(|e| e.to_string()));
        let g = match parsed {
            Ok(g) => g,
            Err(msg) => {
                failed(&mut results, &mut status, shown, msg);
                continue;
            }
        };
        if let Some(key) = &a.key {
            let value = g.get(key).copied();
            if value.is_none() {
                eprintln!("gguf: {shown}: no metadata key {key}");
                if status == Status::Yes {
                    status = Status::No;
                }
            }
            let entry = inspect::KeyJson {
                path: shown,
                key,
                value,
                max_array: a.max_array,
            };
            if a.json {
                if several {
                    results.push(FileResult::Key(entry));
                } else if entry.value.is_some() {
                    serde_json::to_writer_pretty(&mut *out, &entry.value()).map_err(std::io::Error::other)?;
                    writeln!(out)?;
                }
            } else if let Some(v) = &entry.value {
                inspect::key_value(v, several.then_some(shown.as_str()), a.max_array, out)?;
            }
            continue;
        }
        if a.markdown {
            if i > 0 {
                writeln!(out)?;
            }
            out.write_all(gguf_cli::markdown::markdown(shown, g.first(), a.no_tensors).as_bytes())?;
            continue;
        }
        let report = inspect::report_with_memory(shown, &g, &opts, a.memory.options());
        // A context llama.cpp refuses is bad input, not a figure.
        if let Some(why) = report.memory.as_ref().and_then(|m| m.refusal()) {
            let msg = format!("{shown}: --ctx: llama.cpp refuses this context: {why}");
            failed(&mut results, &mut status, shown, msg);
            continue;
        }
        if a.json {
            results.push(FileResult::Report(Box::new(report)));
        } else {
            if i > 0 {
                writeln!(out)?;
            }
            out.write_all(render::fit(&render::text(&report, text)).as_bytes())?;
        }
    }
    if a.json && (a.key.is_none() || several) {
        Document::new("files", &results).write(out)?;
    }
    Ok(status)
}

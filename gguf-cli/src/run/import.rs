//! `gguf import`.

use super::{check_outputs, progress_bar, requant::quant_options, set_threads, unknown_target, write_all};
use crate::error::{Error, Result, Status};
use crate::flags::ImportArgs;
use gguf_format::ops::Output;
use gguf_format::split::{output_names, SplitLimit};
use gguf_format::{ByteOrder, GgufBuilder, TensorSource};
use gguf_import::{Import, ImportOptions, OutType};
use gguf_quant::requant::{self, parse_target};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

/// Lists the architectures, prints a dry run, or writes the GGUF file(s).
pub fn run(a: &ImportArgs, out: &mut dyn Write) -> Result {
    set_threads(a.threads);
    if a.list {
        for class in gguf_import::arch::supported() {
            writeln!(out, "{class}")?;
        }
        return Ok(Status::Yes);
    }
    let dir = a
        .input
        .as_ref()
        .ok_or_else(|| Error::Usage("MODEL_DIR is required".into()))?;
    if let Some(url) = dir.to_str().filter(|s| gguf_remote::is_url(s)) {
        return Err(Error::Usage(format!(
            "{url}: `gguf import` reads a local model directory; download it first \
             (huggingface-cli download OWNER/MODEL --local-dir ./MODEL), then `gguf import ./MODEL OUT`"
        )));
    }
    let target = match &a.to {
        None => None,
        Some(to) => Some(parse_target(to).ok_or_else(|| unknown_target(to))?),
    };
    // --to quantizes what `--outtype auto` would have written.
    let outtype: OutType = if target.is_some() {
        OutType::Auto
    } else {
        a.outtype.parse()?
    };
    let options = ImportOptions {
        model_name: a.model_name.clone(),
        metadata: a.metadata.clone(),
        pre: a.pre.clone(),
        vocab_only: a.vocab_only,
    };
    let import = Import::open_with(dir, outtype, &options)?;
    let source = import.source()?;
    let shown = dir.display().to_string();
    let limit = match (a.split_max_tensors, a.split_max_size) {
        (Some(n), _) => Some(SplitLimit::Tensors(n)),
        (None, Some(size)) => Some(size),
        (None, None) => None,
    };
    if let Some(target) = target {
        if limit.is_some() || a.bigendian {
            return Err(Error::Usage(
                "--to writes one little-endian file, as llama-quantize does: --split-max-* and --bigendian \
                 go without --to (or split the result with `gguf split`)"
                    .into(),
            ));
        }
        let opts = quant_options(&a.quant, target)?;
        let plan = requant::plan(&source, &opts, a.dry_run)?;
        if a.dry_run {
            return dry_run(out, a.json, &import, &source, Some(&plan), None);
        }
        let output = a
            .output
            .as_ref()
            .ok_or_else(|| Error::Usage("OUT is required".into()))?;
        check_outputs(&dir_files(dir), std::slice::from_ref(output), a.force)?;
        if !a.quiet {
            for w in gguf_cli::requant::grouped_warnings(&plan.warnings, false) {
                eprintln!("warning: {w}");
            }
        }
        let start = std::time::Instant::now();
        let bar = progress_bar(a.quiet, plan.in_bytes, plan.tensors.len());
        let result = gguf_format::write_atomic(output, |w| {
            requant::execute(&source, &plan, &opts, 0, w, &mut |p| {
                if let Some(b) = &bar {
                    b.set_position(p.bytes_done);
                    b.set_message(format!("{}/{} tensors", p.tensors_done, plan.tensors.len()));
                }
            })?;
            Ok::<(), requant::RequantError>(())
        });
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        result.map_err(|e| Error::at(format!("{shown} → {}", output.display()), e))?;
        if !a.quiet {
            eprintln!(
                "{shown} → {}: {} ({:.2} bits per weight, {}) in {:.1} s",
                output.display(),
                gguf_cli::human::bytes(plan.out_file_size),
                plan.out_bytes as f64 * 8.0 / plan.n_params.max(1) as f64,
                plan.target.name,
                start.elapsed().as_secs_f64()
            );
        }
        return Ok(Status::Yes);
    }
    if a.vocab_only {
        return vocab_only(a, out, &import, &source, limit.is_some());
    }
    let mut outputs = match limit {
        Some(limit) => gguf_import::split::split(&source, limit, a.no_tensor_first_split)?,
        None => vec![Output {
            builder: GgufBuilder::from_gguf(source.header())?,
            tensors: source.tensors().to_vec(),
        }],
    };
    if a.bigendian {
        for o in &mut outputs {
            o.builder.set_byte_order(ByteOrder::Big);
        }
    }
    if a.dry_run {
        return dry_run(out, a.json, &import, &source, None, None);
    }
    let output = a
        .output
        .as_ref()
        .ok_or_else(|| Error::Usage("OUT is required".into()))?;
    let names: Vec<PathBuf> = output_names(output, limit.is_some(), outputs.len());
    check_outputs(&dir_files(dir), &names, a.force)?;
    write_all(&source, &outputs, &names, a.quiet)
}

/// The files of the model directory: the inputs an output must not replace.
fn dir_files(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// `--vocab-only`: the header and metadata alone, in one file (the
/// converter does not split a file without tensors).
fn vocab_only(
    a: &ImportArgs,
    out: &mut dyn Write,
    import: &Import,
    source: &gguf_import::ImportSource<'_>,
    split: bool,
) -> Result {
    let order = if a.bigendian {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let bytes = import
        .vocab_file(order)?
        .ok_or_else(|| Error::Usage("the import was not planned --vocab-only".into()))?;
    if a.dry_run {
        return dry_run(out, a.json, import, source, None, Some(bytes.len() as u64));
    }
    let output = a
        .output
        .as_ref()
        .ok_or_else(|| Error::Usage("OUT is required".into()))?;
    check_outputs(
        &a.input.as_deref().map(dir_files).unwrap_or_default(),
        std::slice::from_ref(output),
        a.force,
    )?;
    if split && !a.quiet {
        eprintln!("warning: --vocab-only writes one file: no tensors to split (as the converter)");
    }
    gguf_format::write_atomic(output, |w| {
        w.write_all(&bytes).map_err(|source| gguf_format::Error::Io {
            path: output.display().to_string(),
            source,
        })
    })
    .map_err(|e| Error::at(format!("{} → {}", dir_shown(a), output.display()), e))?;
    if !a.quiet {
        eprintln!(
            "{} → {}: vocabulary only, {} metadata keys ({})",
            dir_shown(a),
            output.display(),
            source.metadata().len(),
            gguf_cli::human::bytes(bytes.len() as u64)
        );
    }
    Ok(Status::Yes)
}

fn dir_shown(a: &ImportArgs) -> String {
    a.input
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// `--dry-run`: the architecture, the output type, every tensor with its
/// type and shape (and, with `--to`, its requantized type), the size.
fn dry_run(
    out: &mut dyn Write,
    json: bool,
    import: &Import,
    source: &gguf_import::ImportSource<'_>,
    plan: Option<&requant::Plan<'_>>,
    file_size: Option<u64>,
) -> Result {
    // With --to: each tensor's requantized type, by name.
    let requant: HashMap<&str, String> = plan
        .map(|p| {
            p.tensors
                .iter()
                .map(|t| (t.src.name, t.choice.ty.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let tensors: Vec<serde_json::Value> = source
        .tensors()
        .iter()
        .map(|t| {
            let to = requant.get(t.name);
            serde_json::json!({
                "name": t.name,
                "type": t.ggml_type.to_string(),
                "shape": t.dims(),
                "requant_type": to,
            })
        })
        .collect();
    let tensor_bytes: u64 = source.tensors().iter().filter_map(|t| t.n_bytes().ok()).sum();
    let file_size = match (plan, file_size) {
        (Some(p), _) => p.out_file_size,
        (None, Some(size)) => size,
        (None, None) => GgufBuilder::from_gguf(source.header())?.file_size()?,
    };
    if json {
        let doc = serde_json::json!({
            "architecture": import.architecture(),
            "outtype": format!("{:?}", import.outtype()).to_lowercase(),
            "target": plan.map(|p| p.target.name),
            "tensor_count": tensors.len(),
            "tensor_bytes": tensor_bytes,
            "file_size": file_size,
            "metadata_keys": source.metadata().len(),
            "tensors": tensors,
        });
        gguf_cli::json::Document::new("report", &doc).write(out)?;
        return Ok(Status::Yes);
    }
    writeln!(out, "architecture  {}", import.architecture())?;
    writeln!(out, "outtype       {:?}", import.outtype())?;
    if let Some(p) = plan {
        writeln!(out, "target        {}", p.target.name)?;
    }
    writeln!(out, "metadata      {} keys", source.metadata().len())?;
    writeln!(out, "tensors       {}", tensors.len())?;
    writeln!(out, "output size   {}", gguf_cli::human::bytes(file_size))?;
    for t in source.tensors() {
        let to = requant
            .get(t.name)
            .map(|ty| format!(" -> {ty}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:<40} {:<5} {:?}{to}",
            t.name,
            t.ggml_type.to_string(),
            t.dims()
        )?;
    }
    Ok(Status::Yes)
}

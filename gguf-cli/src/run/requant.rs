//! `gguf requant`: `--list`, `--dry-run` (one target or all) and the conversion.

use super::{check_outputs, count_bar, progress_bar, set_threads, shown_outputs, unknown_target};
use crate::error::{Error, Result, Status};
use crate::flags::{QuantArgs, RequantArgs};
use gguf_cli::inspect;
use gguf_cli::json::Document;
use gguf_cli::requant as report;
use gguf_format::split::output_names;
use gguf_format::ModelFiles;
use gguf_quant::requant::quality::{self, QualityOptions};
use gguf_quant::requant::{self, parse_target, Imatrix, Options, Target, TARGETS};
use gguf_remote as remote;
use std::io::Write;

/// llama-quantize's options as the library takes them (it applies their rules).
fn requant_options(a: &RequantArgs, target: &'static Target) -> Result<Options> {
    let mut o = quant_options(&a.quant, target)?;
    o.allow_requantize(a.allow_requantize).keep_split(a.keep_split);
    Ok(o)
}

/// llama-quantize's options for `target` from the type-choosing flags.
pub(super) fn quant_options(a: &QuantArgs, target: &'static Target) -> Result<Options> {
    let mut o = Options::new(target);
    o.pure(a.pure)
        .leave_output_tensor(a.leave_output_tensor)
        .output_tensor_type(a.output_tensor_type)
        .token_embedding_type(a.token_embedding_type)
        .prune_layers(a.prune_layers.iter().copied());
    let file = match &a.tensor_type_file {
        Some(f) => Some(std::fs::read_to_string(f).map_err(|e| Error::Read(f.display().to_string(), e))?),
        None => None,
    };
    for spec in &a.tensor_type {
        o.tensor_type(spec)?;
    }
    if let Some(text) = &file {
        o.tensor_type_file(text)?;
    }
    if let Some(path) = &a.imatrix {
        let m = Imatrix::load(path)?;
        o.imatrix(path, m, &a.include_weights, &a.exclude_weights)?;
    }
    for kv in &a.override_kv {
        o.override_kv(kv)?;
    }
    Ok(o)
}

/// Lists the targets, prints a dry run, or converts the model.
pub fn run(a: &RequantArgs, out: &mut dyn Write) -> Result {
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
        let copy = &requant::COPY;
        writeln!(
            out,
            "{:<10} {:>5}  {:>6}  {:<8}  {} (general.file_type as the input's)",
            copy.name, "", "", "as is", copy.description
        )?;
        return Ok(Status::Yes);
    }
    if let Some(t) = &a.positional_type {
        return Err(Error::Usage(format!(
            "unexpected argument {t:?} after OUT: the type goes in --to, as in `gguf requant --to {t} IN OUT` \
             (llama-quantize's order IN OUT TYPE is not taken)"
        )));
    }
    let Some(input) = &a.input else {
        return Err(Error::Usage("requant needs IN".into()));
    };
    let Some(to) = &a.to else {
        let hint = match a
            .output
            .as_ref()
            .and_then(|o| o.to_str())
            .filter(|o| parse_target(o).is_some())
        {
            Some(o) => format!(" (for {o:?} as the type: `gguf requant --to {o} IN OUT`)"),
            None => String::new(),
        };
        return Err(Error::Usage(format!(
            "requant needs --to FTYPE, e.g. --to q4_k_m{hint}; `gguf requant --list` shows the types"
        )));
    };
    set_threads(a.threads);
    let shown = input.display().to_string();
    let url = input.to_str().filter(|s| remote::is_url(s));
    if url.is_some() && (!a.dry_run || a.quality) {
        return Err(Error::Usage(format!(
            "{shown}: requant needs the tensor data, which is not read from a URL: download the model first \
             (--dry-run without --quality works on a URL)"
        )));
    }
    // A split model is read whole: every shard, checked against the others.
    let opened = match url {
        Some(url) => remote::open(url, false),
        None => ModelFiles::open(input),
    };
    let files = opened?;
    // A dry run without --quality reads the headers only (as inspect): a
    // file whose tensor data is cut off still plans.
    let g = if a.dry_run && !a.quality {
        files.parse_header()?
    } else {
        files.parse()?
    };
    let all = to.eq_ignore_ascii_case("all");
    if all && !a.dry_run {
        return Err(Error::Usage("--to all only works with --dry-run".into()));
    }
    if a.memory.ctx.is_some() && !a.dry_run {
        return Err(Error::Usage("--ctx only works with --dry-run".into()));
    }
    let target = if all {
        parse_target("Q8_0").expect("Q8_0 is a target")
    } else {
        match parse_target(to) {
            Some(t) => t,
            None => return Err(unknown_target(to)),
        }
    };
    // A dry run writes nothing: a quantized model is planned as if
    // --allow-requantize were given, and the report says once that writing needs it.
    let mut opts = requant_options(a, target)?;
    if a.dry_run {
        opts.allow_requantize(true);
    }
    let quality = a.quality.then(|| QualityOptions {
        sample: a.quality_sample.unwrap_or(quality::DEFAULT_SAMPLE),
        ..QualityOptions::default()
    });
    if all {
        let bar = count_bar(a.quiet, g.tensors().len() as u64, "tensors read");
        let options = requant::every_target(&opts);
        let plans = requant::plan_all(&g, &options, quality.as_ref(), &mut |p| {
            if let Some(b) = &bar {
                b.set_position(p.tensors_done as u64);
            }
        });
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let plans = plans.map_err(|e| Error::at(&shown, e))?;
        let memory = a
            .memory
            .options()
            .map(|o| inspect::memory_estimate_weights(g.first(), &o, inspect::model_weights(&g)));
        refused(&shown, memory.as_ref())?;
        let mut report =
            report::AllTargets::new(&shown, &g, plans, memory, quality.as_ref().map(|q| q.sample));
        if !a.allow_requantize {
            report.without_allow_requantize();
        }
        if a.json {
            Document::new("report", &report).write(out)?;
        } else {
            out.write_all(gguf_cli::render::fit(&report.text(a.verbose)).as_bytes())?;
        }
        return Ok(Status::Yes);
    }
    let plan = requant::plan(&g, &opts, a.dry_run).map_err(|e| Error::at(&shown, e))?;
    if a.dry_run {
        let memory = a.memory.options().map(|o| {
            inspect::memory_estimate_weights(g.first(), &o, report::plan_weights(g.architecture(), &plan))
        });
        refused(&shown, memory.as_ref())?;
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
            let mut v = r.map_err(|e| Error::at(&shown, e))?;
            predicted = report::Quality::of(v.pop().flatten());
        }
        let mut report = report::DryRun::new(&shown, &plan, memory, predicted);
        if !a.allow_requantize {
            report.without_allow_requantize();
        }
        if a.json {
            Document::new("report", &report).write(out)?;
        } else {
            out.write_all(gguf_cli::render::fit(&report.text(a.verbose)).as_bytes())?;
        }
        return Ok(Status::Yes);
    }
    let output = match &a.output {
        Some(o) => o.clone(),
        None => default_output(input, target),
    };
    let targets = output_names(&output, a.keep_split, plan.outputs.len());
    check_outputs(&files.paths(), &targets, a.force)?;
    if !a.quiet {
        for w in report::grouped_warnings(&plan.warnings, a.verbose) {
            eprint!("{}", gguf_cli::render::fit(&format!("warning: {w}\n")));
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
    let shown_out = shown_outputs(&targets);
    result.map_err(|e| Error::at(format!("{shown} → {shown_out}"), e))?;
    if !a.quiet {
        let line = format!(
            "{} → {}: {} → {} ({:.2} bits per weight, {}) in {:.1} s\n",
            shown,
            shown_out,
            gguf_cli::human::bytes(g.file_size()),
            gguf_cli::human::bytes(plan.out_file_size),
            plan.out_bytes as f64 * 8.0 / plan.n_params.max(1) as f64,
            plan.target.name,
            start.elapsed().as_secs_f64()
        );
        eprint!("{}", gguf_cli::render::fit(&line));
    }
    Ok(Status::Yes)
}

/// A context llama.cpp refuses (`--ctx` with a cache type the head size
/// does not take, too many sequences, …) is an error, not a figure.
fn refused(shown: &str, memory: Option<&inspect::MemoryEstimate>) -> Result<()> {
    match memory.and_then(|m| m.refusal()) {
        Some(why) => Err(Error::Usage(format!(
            "{shown}: --ctx: llama.cpp refuses this context: {why}"
        ))),
        None => Ok(()),
    }
}

/// llama-quantize's output when OUT is not given: `ggml-model-NAME.gguf`
/// beside IN, NAME the target's name as llama-quantize spells it (`Q4_K_M`
/// for `q4_k_m`; for a number, the first name with that id: `Q4_K` for 15).
fn default_output(input: &std::path::Path, target: &Target) -> std::path::PathBuf {
    let name = format!("ggml-model-{}.gguf", target.name);
    match input.parent() {
        Some(dir) => dir.join(name),
        None => std::path::PathBuf::from(name),
    }
}

//! `gguf diff`.

use super::{local_path, set_threads};
use crate::error::{Result, Status};
use crate::flags::DiffArgs;
use gguf_cli::json::Document;
use gguf_format::ModelFiles;
use std::io::Write;

/// Compares two models; `No` when they differ.
pub fn run(a: &DiffArgs, out: &mut dyn Write) -> Result {
    set_threads(a.threads);
    local_path("diff", &a.a)?;
    local_path("diff", &a.b)?;
    // The first shard of a split model stands for the whole model.
    let (fa, fb) = (ModelFiles::open(&a.a), ModelFiles::open(&a.b));
    let (fa, fb) = (fa?, fb?);
    // --metadata-only needs the headers only (as inspect): a file whose
    // tensor data is cut off still compares.
    let (ga, gb) = if a.metadata_only {
        (fa.parse_header(), fb.parse_header())
    } else {
        (fa.parse(), fb.parse())
    };
    let (ga, gb) = (ga?, gb?);
    let opts = gguf_quant::compare::Options {
        metadata_only: a.metadata_only,
        tolerance: a.tolerance,
    };
    let report = gguf_quant::compare::compare(&ga, &gb, &opts);
    if a.json {
        Document::new("report", &report).write(out)?;
    } else {
        out.write_all(gguf_cli::render::fit(&gguf_cli::diff::text(&report, a.top)).as_bytes())?;
    }
    Ok(if report.has_differences() {
        Status::No
    } else {
        Status::Yes
    })
}

//! `gguf merge`.

use super::{check_outputs, local_path, write_all};
use crate::error::{Result, Status};
use crate::flags::MergeArgs;
use gguf_cli::files::FilesPlan;
use gguf_format::ops;
use gguf_format::ModelFiles;
use std::io::Write;

/// Merges a split model's shards into one file (or prints the plan).
pub fn run(a: &MergeArgs, out: &mut dyn Write) -> Result {
    local_path("merge", &a.input)?;
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let outputs = [ops::merge(&m)?];
    let names = [a.output.clone()];
    if a.dry_run {
        out.write_all(FilesPlan::new(&outputs, &names)?.text(false).as_bytes())?;
        return Ok(Status::Yes);
    }
    check_outputs(&files.paths(), &names, a.force)?;
    write_all(&m, &outputs, &names, a.quiet)
}

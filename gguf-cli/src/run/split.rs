//! `gguf split`.

use super::{check_outputs, local_path, write_all};
use crate::error::{Error, Result, Status};
use crate::flags::SplitArgs;
use gguf_cli::files::FilesPlan;
use gguf_format::ops;
use gguf_format::split::{shard_path, SplitLimit};
use gguf_format::ModelFiles;
use std::io::Write;
use std::path::PathBuf;

/// Splits a model into shards (or prints the plan).
pub fn run(a: &SplitArgs, out: &mut dyn Write) -> Result {
    local_path("split", &a.input)?;
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let limit = match (a.split_max_tensors, a.split_max_size) {
        (_, Some(size)) => size,
        (n, None) => SplitLimit::Tensors(n.map_or(128, |n| usize::try_from(n).unwrap_or(usize::MAX))),
    };
    let outputs = ops::split(&m, limit, a.no_tensor_first_split).map_err(|e| Error::at(m.path(), e))?;
    let names: Vec<PathBuf> = (0..outputs.len())
        .map(|i| PathBuf::from(shard_path(&a.output, i, outputs.len())))
        .collect();
    if a.dry_run {
        out.write_all(FilesPlan::new(&outputs, &names)?.text(true).as_bytes())?;
        return Ok(Status::Yes);
    }
    check_outputs(&files.paths(), &names, a.force)?;
    write_all(&m, &outputs, &names, a.quiet)
}

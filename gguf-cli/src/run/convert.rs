//! `gguf convert`.

use super::{check_outputs, local_path, write_all};
use crate::error::{Error, Result, Status};
use crate::flags::{ConvertArgs, Endian};
use gguf_cli::files::FilesPlan;
use gguf_format::split::output_names;
use gguf_format::{ops, ByteOrder, ModelFiles, Version};
use std::io::Write;

/// Converts a model's byte order (and version), or prints the plan.
pub fn run(a: &ConvertArgs, out: &mut dyn Write) -> Result {
    local_path("convert", &a.input)?;
    let files = ModelFiles::open(&a.input)?;
    let m = files.parse()?;
    let order = match a.endian {
        Endian::Big => ByteOrder::Big,
        Endian::Little => ByteOrder::Little,
        Endian::Native if cfg!(target_endian = "big") => ByteOrder::Big,
        Endian::Native => ByteOrder::Little,
    };
    let version = a.version.and_then(Version::from_u32);
    let outputs = ops::convert(&m, order, version).map_err(|e| Error::at(m.path(), e))?;
    let names = output_names(&a.output, m.is_split(), outputs.len());
    if a.dry_run {
        writeln!(out, "{} ({}) → {order}", m.path(), m.first().byte_order())?;
        out.write_all(FilesPlan::new(&outputs, &names)?.text(false).as_bytes())?;
        return Ok(Status::Yes);
    }
    check_outputs(&files.paths(), &names, a.force)?;
    if !a.quiet && m.first().byte_order() == order && version.is_none_or(|v| v == m.first().version()) {
        eprintln!("note: {} is already {order}: the output is a copy", m.path());
    }
    write_all(&m, &outputs, &names, a.quiet)
}

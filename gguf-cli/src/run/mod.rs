//! One run function per command, and what they share: progress bars, the
//! worker pool, the checks and writing of output files.

mod convert;
mod diff;
mod edit;
mod import;
mod inspect;
mod merge;
mod requant;
mod split;

pub use convert::run as convert;
pub use diff::run as diff;
pub use edit::run as edit;
pub use import::run as import;
pub use inspect::run as inspect;
pub use merge::run as merge;
pub use requant::run as requant;
pub use split::run as split;

use crate::error::{Error, Result, Status};
use gguf_cli::human::bytes;
use gguf_format::ops::Output;
use gguf_format::TensorSource;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `--threads N`: the size of the global worker pool (default: all cores).
fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
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
            // wide_bar takes what the terminal's width leaves: the line never wraps.
            "{wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
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
        indicatif::ProgressStyle::with_template("{wide_bar} {pos}/{len} {msg}, ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    Some(bar)
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `OUT` or `FIRST … LAST`, for messages.
fn shown_outputs(names: &[PathBuf]) -> String {
    match names {
        [one] => one.display().to_string(),
        [first, .., last] => format!("{} … {}", first.display(), last.display()),
        [] => String::new(),
    }
}

/// Checks that no output is an input (or exists, unless `overwrite`).
fn check_outputs(inputs: &[PathBuf], names: &[PathBuf], overwrite: bool) -> Result<()> {
    for n in names {
        if inputs.iter().any(|i| same_file(i, n)) {
            return Err(Error::Usage(format!(
                "output {} is an input file; choose another name",
                n.display()
            )));
        }
        if !overwrite && n.exists() {
            return Err(Error::Usage(format!(
                "output {} exists; pass --force to replace it",
                n.display()
            )));
        }
    }
    Ok(())
}

/// Writes every output atomically, with a progress bar on a terminal, and
/// prints a summary line unless `quiet`.
fn write_all<'a, S: TensorSource<'a> + ?Sized>(
    m: &S,
    outputs: &[Output<'a>],
    names: &[PathBuf],
    quiet: bool,
) -> Result {
    let total: u64 = outputs.iter().map(Output::tensor_bytes).sum();
    let bar = progress_bar(quiet, total, m.tensors().len());
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
    let shown = shown_outputs(names);
    result.map_err(|e| Error::at(format!("{} → {shown}", m.name()), e))?;
    if !quiet {
        let secs = start.elapsed().as_secs_f64();
        let size: u64 = names
            .iter()
            .filter_map(|n| std::fs::metadata(n).ok())
            .map(|md| md.len())
            .sum();
        eprintln!(
            "{} → {shown}: {} file{}, {} in {secs:.2} s ({:.0} MB/s)",
            m.name(),
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            bytes(size),
            size as f64 / 1e6 / secs.max(1e-9)
        );
    }
    Ok(Status::Yes)
}

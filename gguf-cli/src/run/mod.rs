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

/// Whether two paths name the same existing file: the same device and
/// inode on Unix (a hard link or a symbolic link to a file is that file),
/// the same canonical path elsewhere.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `--to NAME` that names no target: the error, with the closest target
/// names when they are close (at most two typing slips, ignoring case; a
/// slip to a neighbouring key counts half).
fn unknown_target(to: &str) -> Error {
    let lower = to.to_ascii_lowercase();
    let scored: Vec<((usize, usize), &str)> = gguf_quant::requant::TARGETS
        .iter()
        .map(|t| {
            let name = t.name.to_ascii_lowercase();
            // Ties go to the fewer slips.
            let d = (
                typing_distance(&lower, &name, true),
                typing_distance(&lower, &name, false),
            );
            (d, t.name)
        })
        .collect();
    let best = scored
        .iter()
        .map(|(d, _)| *d)
        .min()
        .unwrap_or((usize::MAX, usize::MAX));
    // In half slips: at most two slips, and fewer than half the name's characters.
    let hint = if best.0 <= 4 && best.0 < lower.chars().count() {
        let names: Vec<&str> = scored
            .iter()
            .filter(|(d, _)| *d == best)
            .map(|(_, n)| *n)
            .collect();
        format!("; did you mean {}?", names.join(" or "))
    } else {
        String::new()
    };
    Error::Usage(format!(
        "unknown target type {to:?}{hint} (`gguf requant --list` shows them)"
    ))
}

/// Edit distance in half slips: inserting, deleting or replacing a
/// character costs 2, replacing it by a neighbour on a QWERTY keyboard 1
/// (with `keyboard`; 2 without).
fn typing_distance(a: &str, b: &str, keyboard: bool) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).map(|j| 2 * j).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = 2 * (i + 1);
        for (j, &cb) in b.iter().enumerate() {
            let up = row[j + 1];
            let replace = if ca == cb {
                0
            } else if keyboard && neighbours(ca, cb) {
                1
            } else {
                2
            };
            row[j + 1] = (diag + replace).min(up + 2).min(row[j] + 2);
            diag = up;
        }
    }
    row[b.len()]
}

/// Whether two keys touch on a QWERTY keyboard.
fn neighbours(a: char, b: char) -> bool {
    const ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];
    // Each row's offset from the one above, in quarter keys.
    const SHIFT: [i32; 4] = [0, 2, 3, 5];
    let at = |c: char| {
        ROWS.iter()
            .enumerate()
            .find_map(|(r, row)| row.find(c).map(|p| (r as i32, p as i32 * 4 + SHIFT[r])))
    };
    match (at(a), at(b)) {
        (Some((ra, xa)), Some((rb, xb))) => (ra - rb).abs() <= 1 && (xa - xb).abs() <= 4 && a != b,
        _ => false,
    }
}

/// Refuses a URL where a command reads only local files, saying which
/// commands read URLs (instead of "No such file or directory").
fn local_path(command: &str, path: &Path) -> Result<()> {
    match path.to_str().filter(|s| gguf_remote::is_url(s)) {
        Some(url) => Err(Error::Usage(format!(
            "{url}: `gguf {command}` reads local files only; URLs (http://, https://, hf://) are read by \
             `gguf inspect` and `gguf requant --dry-run` (header only): download the file first"
        ))),
        None => Ok(()),
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

/// The one rule of every command that writes files, checked before
/// anything is written: an output that is one of the inputs (the same file,
/// by any name) is refused even with `--force`; an output that exists is
/// replaced only with `--force`.
fn check_outputs(inputs: &[PathBuf], names: &[PathBuf], force: bool) -> Result<()> {
    for n in names {
        if let Some(i) = inputs.iter().find(|i| same_file(i, n)) {
            let what = if inputs.len() == 1 {
                "the input file".to_string()
            } else {
                format!("the input file {}", i.display())
            };
            return Err(Error::Usage(format!(
                "output {} is {what}; choose another name (--force never replaces an input)",
                n.display()
            )));
        }
        if !force && std::fs::symlink_metadata(n).is_ok() {
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

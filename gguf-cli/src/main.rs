//! The `gguf` command: parses the arguments, runs the command, turns the
//! result into an exit code. Exit codes: 0 success, 1 a "no" answer (a
//! `--key` that is absent, a diff that finds differences), 2 error.

#![forbid(unsafe_code)]

mod error;
mod flags;
mod run;

use clap::Parser;
use flags::{Cli, Command};
use std::io::{self, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    gguf_cli::render::set_width(gguf_cli::render::detect_width());
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = match &cli.command {
        Command::Inspect(a) => run::inspect(a, &mut out),
        Command::Requant(a) => run::requant(a, &mut out),
        Command::Diff(a) => run::diff(a, &mut out),
        Command::Split(a) => run::split(a, &mut out),
        Command::Merge(a) => run::merge(a, &mut out),
        Command::Edit(a) => run::edit(a, &mut out),
        Command::Convert(a) => run::convert(a, &mut out),
        Command::Import(a) => run::import(a, &mut out),
    }
    .and_then(|status| Ok(out.flush().map(|()| status)?));
    match result {
        Ok(status) => ExitCode::from(status.code()),
        // `gguf inspect big.gguf | head` is not an error.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gguf: {e}");
            ExitCode::from(e.code())
        }
    }
}

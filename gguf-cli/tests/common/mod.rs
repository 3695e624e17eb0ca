//! Helpers shared by the `gguf` command tests: paths and running the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `../shared/golden`, which must exist.
pub fn golden_dir() -> PathBuf {
    let d = workspace().join("../shared/golden");
    assert!(d.is_dir(), "golden files missing: {}", d.display());
    d
}

/// A file in `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    workspace().join("testdata").join(name)
}

/// Runs `gguf ARGS` in `dir`.
pub fn gguf_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gguf"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run gguf")
}

/// Runs `gguf ARGS` from the workspace root (so paths in the output are stable).
pub fn gguf(args: &[&str]) -> Output {
    gguf_in(&workspace(), args)
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

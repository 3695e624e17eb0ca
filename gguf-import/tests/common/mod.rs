//! Helpers shared by the importer's tests: the golden model directories
//! and copies of them to spoil.
#![allow(dead_code)]

use gguf_import::{Error, Import, OutType};
use gguf_testdata::golden;
use std::path::{Path, PathBuf};

/// Golden model directory `name` (`testdata/golden/import/models/`); a
/// missing one fails the test.
pub fn model(name: &str) -> PathBuf {
    let dir = golden::dir().join("import/models").join(name);
    assert!(dir.is_dir(), "ground truth missing: {}", dir.display());
    dir
}

/// A copy of golden model directory `name` (its files, not its folders)
/// in a fresh temporary folder, as `name`.
pub fn copy_model(name: &str) -> (tempfile::TempDir, PathBuf) {
    let from = model(name);
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join(name);
    std::fs::create_dir(&to).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    (tmp, to)
}

/// The error opening `dir` (for F16 output) gives; a directory that opens
/// fails the test.
pub fn open_err(dir: &Path) -> Error {
    match Import::open(dir, OutType::F16) {
        Ok(_) => panic!("{} opened", dir.display()),
        Err(e) => e,
    }
}

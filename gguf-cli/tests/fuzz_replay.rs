//! Replays the fuzz seeds and every past crash as ordinary tests on stable
//! Rust, with the fuzz targets' own checks (`fuzz/src/checks.rs`, included
//! here), so CI exercises them without the fuzzer. Seeds live in
//! `fuzz/seeds/<target>/` (a minimised corpus; a missing folder fails),
//! crashes that were fixed in `fuzz/regressions/<target>/` (see its README:
//! `fuzz/regressions/` must exist, a target's folder appears with its first
//! fixed crash and may be absent until then); the test files and malformed
//! files feed the parser targets too.

#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

mod common;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    common::workspace()
}

/// The fuzz targets, as named in `fuzz/fuzz_targets/` and `fuzz/Cargo.toml`.
const TARGETS: [&str; 7] = [
    "parse",
    "roundtrip",
    "inspect",
    "shards",
    "decode",
    "encode",
    "import",
];

/// The files in `dir`, sorted; a folder that cannot be read fails the test.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// The fixed crashes of `target`: the files in `fuzz/regressions/<target>/`,
/// which may not exist yet (`fuzz/regressions/README.md`), although
/// `fuzz/regressions/` itself must.
fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = root().join("fuzz/regressions");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let sub = dir.join(target);
    if sub.exists() {
        files(&sub)
    } else {
        vec![]
    }
}

#[test]
fn regressions_are_filed_under_a_target() {
    let dir = root().join("fuzz/regressions");
    assert!(
        dir.join("README.md").is_file(),
        "{}/README.md is missing",
        dir.display()
    );
    for d in files_and_dirs(&dir) {
        let name = d.file_name().unwrap().to_string_lossy();
        assert!(
            TARGETS.contains(&name.as_ref()),
            "{} is not named after a fuzz target ({TARGETS:?}), so nothing replays it",
            d.display()
        );
    }
    for t in TARGETS {
        assert!(
            root().join("fuzz/seeds").join(t).is_dir(),
            "fuzz/seeds/{t} is missing"
        );
    }
}

fn replay(target: &str, check: fn(&[u8]), extra: &[&str]) -> usize {
    let mut inputs = files(&root().join("fuzz/seeds").join(target));
    inputs.extend(regressions(target));
    for d in extra {
        inputs.extend(
            files(&root().join(d))
                .into_iter()
                .filter(|p| p.extension().is_some_and(|x| x == "gguf")),
        );
    }
    for p in &inputs {
        let data = std::fs::read(p).unwrap();
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "fuzz target {target} fails on {}", p.display());
    }
    inputs.len()
}

#[test]
fn parse_seeds() {
    let n = replay("parse", checks::parse, &["testdata", "testdata/malformed"]);
    assert!(n >= 100, "only {n} inputs");
}

#[test]
fn roundtrip_seeds() {
    let n = replay(
        "roundtrip",
        checks::roundtrip,
        &["testdata", "testdata/malformed"],
    );
    assert!(n >= 100, "only {n} inputs");
}

#[test]
fn inspect_seeds() {
    let n = replay("inspect", checks::inspect, &["testdata", "testdata/malformed"]);
    assert!(n >= 100, "only {n} inputs");
}

#[test]
fn decode_seeds() {
    let n = replay("decode", checks::decode, &[]);
    assert!(n >= 20, "only {n} inputs");
}

#[test]
fn encode_seeds() {
    let n = replay("encode", checks::encode, &[]);
    assert!(n >= 20, "only {n} inputs");
}

#[test]
fn shards_seeds() {
    let mut n = replay("shards", checks::shards, &[]);
    // Every shard set of testdata/malformed/shards, and every single test file, as inputs too.
    let sets = root().join("testdata/malformed/shards");
    let mut inputs = Vec::new();
    for d in files_and_dirs(&sets) {
        let files: Vec<Vec<u8>> = files(&d).iter().map(|p| std::fs::read(p).unwrap()).collect();
        let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        inputs.push(checks::encode_shard_files(&refs));
    }
    for p in files(&root().join("testdata")) {
        if p.extension().is_some_and(|x| x == "gguf") {
            inputs.push(checks::encode_shard_files(&[&std::fs::read(&p).unwrap()]));
        }
    }
    for (i, data) in inputs.iter().enumerate() {
        let r = std::panic::catch_unwind(|| checks::shards(data));
        assert!(r.is_ok(), "fuzz target shards fails on generated input {i}");
    }
    n += inputs.len();
    assert!(n >= 25, "only {n} inputs");
}

#[test]
fn import_seeds() {
    let mut n = replay("import", checks::import, &[]);
    // And every file of the golden model directories, and of the broken
    // ones of testdata/malformed/import, that the import parses first:
    // config.json, the shard index, each safetensors file.
    let models = common::golden_dir().join("import/models");
    let malformed = root().join("testdata/malformed/import");
    for d in files_and_dirs(&models)
        .into_iter()
        .chain(files_and_dirs(&malformed))
    {
        for p in files(&d) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") || name.ends_with(".safetensors") {
                let data = std::fs::read(&p).unwrap();
                let r = std::panic::catch_unwind(|| checks::import(&data));
                assert!(r.is_ok(), "fuzz target import fails on {}", p.display());
                n += 1;
            }
        }
    }
    assert!(n >= 100, "only {n} inputs");
}

fn files_and_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

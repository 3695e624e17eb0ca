//! The ground truth in `testdata/golden/`: files llama.cpp's own tools made
//! (commit 0c1e570), as the tests read them.
//!
//! Inputs are kept in full; llama.cpp's outputs are kept as digests: the
//! `sha256` of every golden file in `SHA256SUMS`, and per tensor (name,
//! type, shape, offset, size, `sha256`) in `NAME.tensors.tsv`. A test that
//! makes an output compares it with [`assert_same`], which on a mismatch
//! names the first tensor (or the header) that differs. `README.md` beside
//! the files says which command made each one. `.ci/run` checks that this
//! folder still equals its source, `../shared/golden`.
//!
//! Missing ground truth is an error, never a skip: every function here
//! panics with the path it looked for.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// `testdata/golden/`.
pub fn dir() -> PathBuf {
    let d = crate::dir().join("golden");
    assert!(
        d.is_dir(),
        "ground truth missing: {} (it is part of the repository)",
        d.display()
    );
    d
}

/// A golden file kept in full (an input, or `codecs.gguf`). Panics, naming
/// it, if it is not there; outputs kept only as digests are not (see
/// [`is_kept`]).
pub fn path(name: &str) -> PathBuf {
    let p = dir().join(name);
    assert!(
        p.is_file(),
        "golden file {} is missing{}",
        p.display(),
        if digest_of(name).is_some() {
            " (only its digest is kept: tests make it and compare with golden::assert_same)"
        } else {
            ""
        }
    );
    p
}

/// The bytes of a golden file kept in full.
pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("golden file {name}: {e}"))
}

/// Whether `name` is kept in full (else only its digests are).
pub fn is_kept(name: &str) -> bool {
    dir().join(name).is_file()
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn sums() -> &'static BTreeMap<String, String> {
    static SUMS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    SUMS.get_or_init(|| {
        let p = dir().join("SHA256SUMS");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let mut sums: BTreeMap<String, String> = text
            .lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(h, n)| (n.to_string(), h.to_string()))
            .collect();
        // The converter's outputs: import/out/SHA256SUMS lists every one,
        // also those whose .gguf ../shared/golden keeps only as a digest.
        let p = dir().join("import/out/SHA256SUMS");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for (h, n) in text.lines().filter_map(|l| l.split_once("  ")) {
            sums.entry(format!("import/out/{n}"))
                .or_insert_with(|| h.to_string());
        }
        sums
    })
}

fn digest_of(name: &str) -> Option<&'static str> {
    sums().get(name).map(String::as_str)
}

/// The SHA-256 of golden file `name` as llama.cpp wrote it (`SHA256SUMS`).
pub fn digest(name: &str) -> &'static str {
    digest_of(name)
        .unwrap_or_else(|| panic!("{name} is not a golden file (not in testdata/golden/SHA256SUMS)"))
}

/// Every golden file's name (paths relative to the folder, such as
/// `edit-split/tiny-Q4_K_M-00001-of-00003.gguf`) with the given suffix.
pub fn names(suffix: &str) -> Vec<&'static str> {
    sums()
        .keys()
        .map(String::as_str)
        .filter(|n| n.ends_with(suffix))
        .collect()
}

/// One line of a `.tensors.tsv`: a tensor of a golden file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorRow {
    /// Tensor name.
    pub name: String,
    /// ggml type name (`Q4_K`).
    pub ty: String,
    /// Shape, innermost first, as GGUF stores it.
    pub shape: Vec<u64>,
    /// Absolute offset of the data in the file.
    pub offset: u64,
    /// Bytes of data.
    pub bytes: u64,
    /// SHA-256 of the data.
    pub sha256: String,
}

/// The tensors of golden file `name` (`NAME.gguf`), in file order, from
/// `NAME.tensors.tsv`.
pub fn tensors(name: &str) -> Vec<TensorRow> {
    let stem = name.strip_suffix(".gguf").unwrap_or(name);
    let p = dir().join(format!("{stem}.tensors.tsv"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "{}: bad line {l:?}", p.display());
            let num = |s: &str| {
                s.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{}: bad number {s:?}", p.display()))
            };
            TensorRow {
                name: f[0].to_string(),
                ty: f[1].to_string(),
                shape: f[2].split(',').map(num).collect(),
                offset: num(f[3]),
                bytes: num(f[4]),
                sha256: f[5].to_string(),
            }
        })
        .collect()
}

/// Compares `ours` with golden file `name` by digest. On a mismatch the
/// message says what differs: the size, the first tensor whose type, shape,
/// offset or data differs, or else the header (metadata and padding); and,
/// where `../shared/golden` is present, the first differing byte.
pub fn check(name: &str, ours: &[u8]) -> Result<(), String> {
    let want = digest(name);
    if sha256(ours) == want {
        return Ok(());
    }
    let mut why = vec![format!(
        "{name}: our {} bytes differ from llama.cpp's",
        ours.len()
    )];
    why.push(explain(name, ours));
    let shared = shared_path(name);
    match full_output(name) {
        Some(theirs) => {
            let at = ours.iter().zip(&theirs).position(|(a, b)| a != b);
            why.push(format!(
                "{}: {} bytes; first differing byte {}",
                shared.display(),
                theirs.len(),
                at.map_or("none (one is a prefix of the other)".into(), |a| a.to_string())
            ));
        }
        None => why.push(format!(
            "the whole file is {} where ../shared/golden is present; testdata/golden/README.md \
             gives the llama.cpp command that makes it",
            shared.display()
        )),
    }
    Err(why.join("\n  "))
}

/// Where golden file `name` lies whole on machines that have the shared
/// folder beside the repository (`../shared/golden`).
fn shared_path(name: &str) -> PathBuf {
    crate::dir().join("../../shared/golden").join(name)
}

/// Golden file `name` whole, for diagnostics only: from this folder when it
/// is kept here, else from `../shared/golden` when that happens to be
/// present (never on a user's clone; no test may depend on it).
pub fn full_output(name: &str) -> Option<Vec<u8>> {
    std::fs::read(dir().join(name))
        .or_else(|_| std::fs::read(shared_path(name)))
        .ok()
}

/// [`check`], panicking with its message.
pub fn assert_same(name: &str, ours: &[u8]) {
    if let Err(e) = check(name, ours) {
        panic!("{e}");
    }
}

/// What differs between `ours` and golden file `name`, from its tensor list.
fn explain(name: &str, ours: &[u8]) -> String {
    let g = match gguf_format::Gguf::parse(ours) {
        Ok(g) => g,
        Err(e) => return format!("ours does not parse: {e}"),
    };
    let want = tensors(name);
    if g.tensors().len() != want.len() {
        return format!(
            "{} tensors, llama.cpp's file has {}",
            g.tensors().len(),
            want.len()
        );
    }
    for (t, w) in g.tensors().iter().zip(&want) {
        let range = match g.tensor_range(t) {
            Ok(r) => r,
            Err(e) => return format!("tensor {}: {e}", t.name),
        };
        let ours_row = (t.name, t.ggml_type.to_string(), t.dims().to_vec(), range.start);
        let want_row = (w.name.as_str(), w.ty.clone(), w.shape.clone(), w.offset);
        if ours_row != want_row {
            return format!("first differing tensor: ours {ours_row:?}, llama.cpp's {want_row:?}");
        }
        let data = &ours[range.start as usize..range.end as usize];
        if sha256(data) != w.sha256 {
            let block = t.ggml_type.info().map_or(1, |i| u64::from(i.type_size));
            return format!(
                "first differing tensor: {} ({}, {} bytes, {} blocks of {block} bytes): data differs",
                t.name,
                t.ggml_type,
                data.len(),
                data.len() as u64 / block.max(1)
            );
        }
    }
    "every tensor is identical: the header (metadata, order, padding) differs".into()
}

/// Compares the data of tensor `tensor` with the same tensor of golden file
/// `name` by digest.
pub fn check_tensor(name: &str, tensor: &str, data: &[u8]) -> Result<(), String> {
    let rows = tensors(name);
    let w = rows
        .iter()
        .find(|r| r.name == tensor)
        .ok_or_else(|| format!("{name} has no tensor {tensor}"))?;
    if w.bytes != data.len() as u64 {
        return Err(format!(
            "{name}: {tensor}: {} bytes, llama.cpp's has {}",
            data.len(),
            w.bytes
        ));
    }
    if sha256(data) != w.sha256 {
        return Err(format!("{name}: {tensor}: data differs from llama.cpp's"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_files_match_their_digests() {
        let mut kept = 0;
        for name in sums().keys() {
            if name == "README.md" || !is_kept(name) {
                continue;
            }
            let bytes = std::fs::read(dir().join(name)).unwrap();
            assert_eq!(
                sha256(&bytes),
                digest(name),
                "testdata/golden/{name} is not llama.cpp's file"
            );
            kept += 1;
        }
        assert!(kept >= 60, "only {kept} golden files kept");
        // Nothing else is kept: every file here is accounted for.
        for sub in ["", "edit-split"] {
            for e in std::fs::read_dir(dir().join(sub)).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    continue;
                }
                let n = p.strip_prefix(dir()).unwrap().to_str().unwrap().to_string();
                assert!(
                    matches!(n.as_str(), "README.md" | "SHA256SUMS") || sums().contains_key(&n),
                    "testdata/golden/{n} is not a golden file (not in SHA256SUMS)"
                );
            }
        }
    }

    #[test]
    fn a_mismatch_names_the_first_differing_tensor() {
        let mut bytes = read("tiny-Q4_K_M.gguf");
        check("tiny-Q4_K_M.gguf", &bytes).unwrap();
        let rows = tensors("tiny-Q4_K_M.gguf");
        let t = &rows[2];
        bytes[t.offset as usize + 5] ^= 1;
        let e = check("tiny-Q4_K_M.gguf", &bytes).unwrap_err();
        assert!(e.contains(&format!("first differing tensor: {}", t.name)), "{e}");
        // A changed metadata value, tensors untouched: the header is named.
        let mut bytes = read("tiny-Q4_K_M.gguf");
        let at = bytes.windows(5).position(|w| w == b"llama").unwrap();
        bytes[at + 4] = b'b';
        let e = check("tiny-Q4_K_M.gguf", &bytes).unwrap_err();
        assert!(e.contains("every tensor is identical: the header"), "{e}");
    }
}

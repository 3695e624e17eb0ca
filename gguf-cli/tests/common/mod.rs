//! Helpers shared by the `gguf` command tests: paths and running the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `testdata/golden`: llama.cpp's ground truth, inputs kept in full (see
/// [`golden`] for its outputs).
pub fn golden_dir() -> PathBuf {
    gguf_testdata::golden::dir()
}

/// The options of `gguf edit` that do what gguf-new-metadata did to make
/// `edit-split/tiny-Q4_K_M-newmeta.gguf` (testdata/golden/README.md).
pub const NEW_METADATA_EDIT: &[&str] = &[
    "--general-name",
    "renamed model",
    "--chat-template",
    "{{ messages[0].content }}",
    "--remove-metadata",
    "tokenizer.ggml.scores",
    "--special-token-by-id",
    "eot",
    "3",
];

/// Golden file `name` as a path. Inputs are kept in `testdata/golden`;
/// llama.cpp's outputs are kept there only as digests, so they are made here
/// by `gguf` from the kept inputs with the options llama.cpp's command used
/// (`testdata/golden/README.md`), checked against the digest (a mismatch
/// fails, naming the first differing tensor), and cached under the target
/// directory for the other tests.
pub fn golden(name: &str) -> PathBuf {
    use gguf_testdata::golden;
    if golden::is_kept(name) {
        return golden::path(name);
    }
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("golden-made");
    let path = cache.join(name);
    if std::fs::read(&path).is_ok_and(|b| golden::check(name, &b).is_ok()) {
        return path;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Made in a directory of its own, then renamed into place: tests running
    // side by side never see half a file.
    let work = tempfile::tempdir_in(&cache).unwrap();
    for (made, golden_name) in make(name, work.path()) {
        golden::assert_same(&golden_name, &std::fs::read(&made).unwrap());
        let dest = cache.join(&golden_name);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::rename(&made, &dest).unwrap();
    }
    assert!(path.is_file(), "no recipe made {name}");
    path
}

/// Asserts that the file at `path` is byte for byte golden file `name`
/// (by digest; the message names the first differing tensor).
pub fn assert_golden(path: &Path, name: &str) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    gguf_testdata::golden::assert_same(name, &bytes);
}

/// Makes golden output `name` (and any files made with it) in `dir` with
/// `gguf`, as llama.cpp's command made it; returns (file, golden name) pairs.
fn make(name: &str, dir: &Path) -> Vec<(PathBuf, String)> {
    let g = golden_dir();
    let run = |args: &[&str]| {
        let o = gguf_in(&g, args);
        assert!(
            o.status.success(),
            "making golden {name}: gguf {args:?}: {}",
            stderr(&o)
        );
    };
    let p = |path: &Path| path.to_str().unwrap().to_string();
    let out = dir.join("out.gguf");
    let one = |golden_name: &str| vec![(out.clone(), golden_name.to_string())];
    let shards = |stem: &str, n: usize| -> Vec<(PathBuf, String)> {
        (0..n)
            .map(|i| {
                let f = gguf_format::split::shard_path(stem, i, n);
                (dir.join(&f), format!("edit-split/{f}"))
            })
            .collect()
    };
    match name {
        "edit-split/tiny-Q4_K_M-00001-of-00003.gguf"
        | "edit-split/tiny-Q4_K_M-00002-of-00003.gguf"
        | "edit-split/tiny-Q4_K_M-00003-of-00003.gguf" => {
            let prefix = p(&dir.join("tiny-Q4_K_M"));
            run(&[
                "split",
                "-q",
                "--split-max-tensors",
                "8",
                "tiny-Q4_K_M.gguf",
                &prefix,
            ]);
            shards("tiny-Q4_K_M", 3)
        }
        n if n.starts_with("edit-split/odd-Q4_K_M-0000") => {
            let input = p(&golden("odd-Q4_K_M.gguf"));
            let prefix = p(&dir.join("odd-Q4_K_M"));
            run(&["split", "-q", "--split-max-size", "1M", &input, &prefix]);
            shards("odd-Q4_K_M", 5)
        }
        "edit-split/tiny-Q4_K_M-merged.gguf" => {
            let first = p(&golden("edit-split/tiny-Q4_K_M-00001-of-00003.gguf"));
            run(&["merge", "-q", &first, &p(&out)]);
            one(name)
        }
        "edit-split/tiny-Q4_K_M-newmeta.gguf" => {
            let target = p(&out);
            let mut args = vec!["edit", "-q", "tiny-Q4_K_M.gguf", &target];
            args.extend_from_slice(NEW_METADATA_EDIT);
            run(&args);
            one(name)
        }
        "edit-split/tiny-Q4_K_M-setmeta.gguf" => {
            std::fs::copy(g.join("tiny-Q4_K_M.gguf"), &out).unwrap();
            run(&[
                "edit",
                "-q",
                "--in-place",
                &p(&out),
                "--set",
                "tokenizer.ggml.bos_token_id=5",
            ]);
            one(name)
        }
        n if n.starts_with("import/out/") && n.ends_with("-auto.gguf") => {
            // convert_hf_to_gguf.py --outtype auto of a model directory.
            let model = &n["import/out/".len()..n.len() - "-auto.gguf".len()];
            let dir = p(&g.join("import/models").join(model));
            run(&["import", "-q", "--outtype", "auto", &dir, &p(&out)]);
            one(name)
        }
        "tiny-f32-be.gguf" | "tiny-Q4_K_M-be.gguf" => {
            let input = name.replace("-be.gguf", ".gguf");
            run(&["convert", "-q", "--endian", "big", &input, &p(&out)]);
            one(name)
        }
        _ => {
            run(&requant_args(name, &p(&out))
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>());
            one(name)
        }
    }
}

/// `gguf requant` arguments equal to the llama-quantize command that made
/// golden file `name` (run inside the golden folder, so the imatrix path is
/// recorded as given there).
fn requant_args(name: &str, out: &str) -> Vec<String> {
    let stem = name
        .strip_suffix(".gguf")
        .unwrap_or_else(|| panic!("no recipe for {name}"));
    let (input, rest) = if let Some(r) = stem.strip_prefix("tiny-") {
        ("tiny-f32.gguf", r)
    } else if let Some(r) = stem.strip_prefix("odd-") {
        ("odd-f16.gguf", r)
    } else {
        panic!("no recipe for golden file {name}")
    };
    let imatrix = format!("{}.imatrix.gguf", &input[..input.find('-').unwrap()]);
    let mut a: Vec<String> = vec!["requant".into(), "-q".into()];
    let mut input = input.to_string();
    let ftype = match rest {
        "Q4_K-pure" => {
            a.push("--pure".into());
            "Q4_K_M"
        }
        "Q4_K_M-out-q8_0-embd-q4_0" => {
            a.extend(["--output-tensor-type", "q8_0", "--token-embedding-type", "q4_0"].map(String::from));
            "Q4_K_M"
        }
        "Q5_K_M-attn_q-q8_0" => {
            a.extend(["--tensor-type", "attn_q=q8_0"].map(String::from));
            "Q5_K_M"
        }
        "Q4_K_S-leave-output" => {
            a.push("--leave-output-tensor".into());
            "Q4_K_S"
        }
        "Q4_K_M-requant-Q8_0" => {
            a.push("--allow-requantize".into());
            input = "tiny-Q4_K_M.gguf".into();
            "Q8_0"
        }
        r => match r.strip_suffix("-imat") {
            Some(ft) => {
                a.extend(["--imatrix".to_string(), imatrix]);
                ft
            }
            None => r,
        },
    };
    a.extend(["--to".to_string(), ftype.to_string(), input, out.to_string()]);
    a
}

/// A file in `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    workspace().join("testdata").join(name)
}

/// Runs `gguf ARGS` in `dir` (without `COLUMNS`: output is not fitted to a width).
pub fn gguf_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gguf"))
        .env_remove("COLUMNS")
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

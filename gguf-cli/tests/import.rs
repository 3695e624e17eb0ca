//! `gguf import` against what llama.cpp's convert_hf_to_gguf.py (0c1e570,
//! transformers 4.57.6) and llama-quantize wrote from the same Hugging Face
//! model directories (`testdata/golden/import/`): every output listed in
//! `import/out/SHA256SUMS` is made by `gguf import` with the options of its
//! command (`testdata/golden/import/README.md`) and compared with the
//! converter's: every tensor (name, type, shape, order, bytes) against its
//! `.tensors.tsv`, then the whole file by digest.

mod common;

use common::{gguf, stderr, stdout};
use gguf_testdata::golden;
use std::path::{Path, PathBuf};

fn model(name: &str) -> PathBuf {
    golden::dir().join("import/models").join(name)
}

/// The `gguf import` options that make converter output `file` (a name
/// under `import/out/`), or `None` for a shard of the split output.
fn options(file: &str) -> Option<(String, Vec<String>)> {
    let stem = file.strip_suffix(".gguf")?;
    if stem.contains("-split-") {
        return None;
    }
    let (name, kind) = stem.rsplit_once('-')?;
    let args = match kind {
        "f32" | "f16" | "bf16" | "q8_0" | "auto" => vec!["--outtype".to_string(), kind.to_string()],
        ftype => vec!["--to".to_string(), ftype.to_string()],
    };
    Some((name.to_string(), args))
}

fn outputs() -> Vec<&'static str> {
    let all: Vec<&str> = golden::names(".gguf")
        .into_iter()
        .filter_map(|n| n.strip_prefix("import/out/"))
        .collect();
    assert!(all.len() >= 30, "expected the converter's outputs, found {all:?}");
    all
}

fn import(dir: &Path, args: &[String], out: &Path) {
    let mut a: Vec<&str> = vec!["import", "-q"];
    a.extend(args.iter().map(String::as_str));
    a.push(dir.to_str().unwrap());
    a.push(out.to_str().unwrap());
    let o = gguf(&a);
    assert!(o.status.success(), "gguf {}: {}", a.join(" "), stderr(&o));
}

/// Every tensor of `ours` (in order: name, type, shape and the sha256 of
/// its bytes) against the converter's output `file`'s `.tensors.tsv`.
fn check_tensors(file: &str, ours: &[u8]) -> Result<(), String> {
    let name = format!("import/out/{file}");
    let g = gguf_format::Gguf::parse(ours).map_err(|e| e.to_string())?;
    let want = golden::tensors(&name);
    let got: Vec<(&str, String, Vec<u64>)> = g
        .tensors()
        .iter()
        .map(|t| (t.name, t.ggml_type.to_string(), t.dims().to_vec()))
        .collect();
    let expected: Vec<(&str, String, Vec<u64>)> = want
        .iter()
        .map(|w| (w.name.as_str(), w.ty.clone(), w.shape.clone()))
        .collect();
    if got != expected {
        return Err(format!("{file}: tensors {got:?}, the converter's {expected:?}"));
    }
    for t in g.tensors() {
        golden::check_tensor(&name, t.name, g.tensor_data(t).map_err(|e| e.to_string())?)?;
    }
    Ok(())
}

#[test]
fn every_converter_output_is_made_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut made = 0;
    for file in outputs() {
        let Some((name, args)) = options(file) else {
            continue;
        };
        let out = tmp.path().join(file);
        import(&model(&name), &args, &out);
        let ours = std::fs::read(&out).unwrap();
        // The tensors first, for a message that names the first one that
        // differs; then the whole file (metadata, order, padding) by digest.
        let whole =
            check_tensors(file, &ours).and_then(|()| golden::check(&format!("import/out/{file}"), &ours));
        if let Err(e) = whole {
            failures.push(format!("gguf import {} {name}: {e}", args.join(" ")));
        }
        made += 1;
    }
    assert!(made >= 27, "only {made} outputs made");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn split_output_is_the_converters_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("tinyllama-spm-split.gguf");
    let args = ["--outtype", "f16", "--split-max-tensors", "8"].map(String::from);
    import(&model("tinyllama-spm"), &args, &out);
    for i in 1..=3 {
        let shard = format!("tinyllama-spm-split-0000{i}-of-00003.gguf");
        let ours = std::fs::read(tmp.path().join(&shard)).unwrap();
        check_tensors(&shard, &ours).unwrap();
        golden::assert_same(&format!("import/out/{shard}"), &ours);
    }
    assert!(!out.exists(), "the unsplit name is not written");
}

#[test]
fn list_names_the_supported_architectures() {
    let o = gguf(&["import", "--list"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for class in [
        "LlamaForCausalLM",
        "MistralForCausalLM",
        "Qwen3ForCausalLM",
        "Gemma3ForCausalLM",
        "BertModel",
    ] {
        assert!(text.lines().any(|l| l == class), "{class} missing from {text}");
    }
}

#[test]
fn bad_directories_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // A copy of a sharded model with one shard missing.
    let broken = tmp.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    let src = model("tinyllama-spm");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let n = e.file_name().into_string().unwrap();
        if n != "model-00003-of-00004.safetensors" {
            std::fs::copy(e.path(), broken.join(&n)).unwrap();
        }
    }
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for (dir, says) in [
        (&broken, "model-00003-of-00004.safetensors"),
        (&empty, "config.json"),
    ] {
        let out = tmp.path().join("out.gguf");
        let o = gguf(&["import", dir.to_str().unwrap(), out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(says), "{} should name {says}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "one line: {}", stderr(&o));
        assert!(!out.exists(), "nothing written");
    }
    // An existing output is kept without --force.
    let out = tmp.path().join("kept.gguf");
    std::fs::write(&out, b"mine").unwrap();
    let o = gguf(&["import", src.to_str().unwrap(), out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&out).unwrap(), b"mine");
}

#[test]
fn dry_run_writes_nothing_and_shows_the_plan() {
    let o = gguf(&[
        "import",
        "--dry-run",
        "--to",
        "q4_k_m",
        model("qwen3-bpe").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("architecture  qwen3"), "{text}");
    assert!(text.contains("blk.0.attn_q.weight"), "{text}");
    let j = gguf(&[
        "import",
        "--dry-run",
        "--json",
        model("bert-wordpiece").to_str().unwrap(),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(doc["report"]["architecture"], "bert");
    assert!(doc["report"]["tensor_count"].as_u64().unwrap() > 10);
}

#[test]
fn vocab_only_writes_the_metadata_alone_in_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = model("tinyllama-spm");
    let run = |extra: &[&str], out: &Path| {
        let mut a = vec!["import", "-q", "--vocab-only"];
        a.extend_from_slice(extra);
        a.push(dir.to_str().unwrap());
        a.push(out.to_str().unwrap());
        let o = gguf(&a);
        assert!(o.status.success(), "gguf {}: {}", a.join(" "), stderr(&o));
        std::fs::read(out).unwrap()
    };
    let plain = run(&[], &tmp.path().join("vocab.gguf"));
    let g = gguf_format::Gguf::parse_header(&plain).unwrap();
    assert!(g.tensors().is_empty());
    assert_eq!(
        g.tensor_infos_end(),
        plain.len() as u64,
        "no tensor infos, no padding"
    );
    assert!(g.get("tokenizer.ggml.tokens").is_some());
    assert!(g.get("llama.block_count").is_some(), "hyperparameters kept");
    assert!(g.get("general.size_label").is_none(), "no tensors to count");
    // The converter does not split a file without tensors: one file, the
    // same bytes, under the name given.
    let split = tmp.path().join("split.gguf");
    assert_eq!(run(&["--split-max-tensors", "8"], &split), plain);
    let shards: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(shards.len(), 2, "no shards beside the two files");
    // Big-endian: the same metadata, every number swapped.
    let big = run(&["--bigendian"], &tmp.path().join("big.gguf"));
    let b = gguf_format::Gguf::parse_header(&big).unwrap();
    assert_eq!(b.byte_order(), gguf_format::ByteOrder::Big);
    assert_eq!(big.len(), plain.len());
    assert_eq!(b.metadata().len(), g.metadata().len());
    // --to has no vocabulary-only form.
    let o = gguf(&[
        "import",
        "--vocab-only",
        "--to",
        "q4_k_m",
        dir.to_str().unwrap(),
        tmp.path().join("x.gguf").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!tmp.path().join("x.gguf").exists());
}

/// What the one line of the error must say for each directory of
/// `testdata/malformed/import` (written by `cargo run -p gguf-testdata`,
/// `gguf_testdata::malformed_import_dirs`): the file, and what and where
/// in it. The generator makes the inputs; the expectations are this
/// test's.
const MALFORMED: &[(&str, &[&str])] = &[
    (
        "01-header-length-past-end",
        &[
            "model.safetensors",
            "header length 50000000",
            "past the end of the file",
        ],
    ),
    (
        "02-overlapping-offsets",
        &[
            "model.safetensors",
            "model.layers.0.input_layernorm.weight",
            "data_offsets [4, 12]",
            "overlapping",
        ],
    ),
    (
        "03-data-past-end",
        &["model.safetensors", "data ends at byte", "but the file has"],
    ),
    (
        "04-dtype-shape-vs-offsets",
        &[
            "model.safetensors",
            "model.norm.weight",
            "F16",
            "make 8 bytes",
            "hold 16",
        ],
    ),
    (
        "05-index-names-missing-shard",
        &["model-00003-of-00004.safetensors", "missing"],
    ),
    (
        "06-shard-tensor-not-in-index",
        &["model-00003-of-00004.safetensors", "model.norm.weight", "index"],
    ),
    ("07-config-not-json", &["config.json", "not valid JSON", "line 1"]),
    (
        "08-config-without-architectures",
        &["config.json", "architectures"],
    ),
    (
        "09-unsupported-architecture",
        &["FooForCausalLM", "supported", "LlamaForCausalLM", "BertModel"],
    ),
    (
        "10-integer-tensor",
        &["model.safetensors", "model.embed_tokens.weight", "I32"],
    ),
    (
        "11-fp8-tensor",
        &[
            "model.safetensors",
            "model.layers.0.mlp.up_proj.weight",
            "F8_E4M3",
        ],
    ),
    ("12-tokenizer-json-garbage", &["tokenizer.json"]),
    (
        "13-tokenizer-model-garbage",
        &["tokenizer.model", "not a SentencePiece model"],
    ),
    (
        "14-unknown-pre-tokenizer-hash",
        &["tokenizer.json", "chkhsh ", "--pre NAME"],
    ),
];

#[test]
fn malformed_directories_exit_2_name_the_fault_and_write_nothing() {
    let root = common::workspace().join("testdata/malformed/import");
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo run -p gguf-testdata`)", root.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    let expected: Vec<&str> = MALFORMED.iter().map(|(name, _)| *name).collect();
    let unexpected: Vec<&String> = dirs.iter().filter(|d| !expected.contains(&d.as_str())).collect();
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|e| !dirs.iter().any(|d| d == *e))
        .collect();
    assert!(
        unexpected.is_empty() && missing.is_empty(),
        "directories without an expectation: {unexpected:?}; expectations without a directory: {missing:?} \
         (run `cargo run -p gguf-testdata`, and keep MALFORMED to its directories)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (name, says) in MALFORMED {
        let dir = root.join(name);
        let out_dir = tmp.path().join(name);
        std::fs::create_dir(&out_dir).unwrap();
        // Split, so that no shard may appear either.
        let out = out_dir.join("model.gguf");
        let o = gguf(&[
            "import",
            "--split-max-tensors",
            "4",
            dir.to_str().unwrap(),
            out.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        let mut wrong = Vec::new();
        if o.status.code() != Some(2) {
            wrong.push(format!("exit {:?}", o.status.code()));
        }
        if err.lines().count() != 1 {
            wrong.push("not one line".into());
        }
        wrong.extend(
            says.iter()
                .filter(|s| !err.contains(*s))
                .map(|s| format!("no {s:?}")),
        );
        if err.contains("panicked") {
            wrong.push("a panic".into());
        }
        let left: Vec<_> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if !left.is_empty() {
            wrong.push(format!("files written: {left:?}"));
        }
        if !wrong.is_empty() {
            failures.push(format!("{name}: {}\n  stderr: {err}", wrong.join(", ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The faults above are the only ones: the tiny model and BPE
/// tokenizer of `14-unknown-pre-tokenizer-hash` import once `--pre`
/// names a pre-tokenizer.
#[test]
fn malformed_bpe_directory_imports_with_pre() {
    let dir = common::workspace().join("testdata/malformed/import/14-unknown-pre-tokenizer-hash");
    let o = gguf(&["import", "--dry-run", "--pre", "gpt-2", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("architecture  llama"), "{}", stdout(&o));
}

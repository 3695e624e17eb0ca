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

/// A copy of golden model directory `name` (its files) in `into`.
fn copy_model(name: &str, into: &Path) -> PathBuf {
    let from = model(name);
    let to = into.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    to
}

/// A safetensors file: `(name, dtype, shape, data_offsets)` entries
/// and `data_len` bytes of data.
fn safetensors(entries: &[(&str, &str, &[u64], [usize; 2])], data_len: usize) -> Vec<u8> {
    let fields: Vec<String> = entries
        .iter()
        .map(|(name, dtype, shape, [s, e])| {
            let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!(
                r#""{name}":{{"dtype":"{dtype}","shape":[{}],"data_offsets":[{s},{e}]}}"#,
                shape.join(",")
            )
        })
        .collect();
    let mut header = format!("{{{}}}", fields.join(","));
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data_len, 0);
    out
}

fn edit_json(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, v.to_string()).unwrap();
}

type Spoil = fn(&Path);

/// Each malformed directory: the golden model it starts from, how it is
/// spoiled, and what the one line of the error must say (the file, and
/// what and where in it).
const MALFORMED: &[(&str, &str, Spoil, &[&str])] = &[
    (
        "header length past the end of the file",
        "llama3-bpe",
        |d| {
            let p = d.join("model.safetensors");
            let mut b = std::fs::read(&p).unwrap();
            b[..8].copy_from_slice(&50_000_000u64.to_le_bytes());
            std::fs::write(p, b).unwrap();
        },
        &[
            "model.safetensors",
            "header length 50000000",
            "past the end of the file",
        ],
    ),
    (
        "overlapping data offsets",
        "llama3-bpe",
        |d| {
            let st = safetensors(
                &[
                    ("model.norm.weight", "F32", &[2], [0, 8]),
                    ("model.layers.0.input_layernorm.weight", "F32", &[2], [4, 12]),
                ],
                12,
            );
            std::fs::write(d.join("model.safetensors"), st).unwrap();
        },
        &[
            "model.safetensors",
            "model.layers.0.input_layernorm.weight",
            "data_offsets [4, 12]",
            "overlapping",
        ],
    ),
    (
        "data past the end of the file",
        "llama3-bpe",
        |d| {
            let mut st = safetensors(&[("model.norm.weight", "F32", &[4], [0, 16])], 16);
            st.truncate(st.len() - 8);
            std::fs::write(d.join("model.safetensors"), st).unwrap();
        },
        &["model.safetensors", "data ends at byte", "but the file has"],
    ),
    (
        "dtype and shape that do not fit the offsets",
        "llama3-bpe",
        |d| {
            let st = safetensors(&[("model.norm.weight", "F16", &[4], [0, 16])], 16);
            std::fs::write(d.join("model.safetensors"), st).unwrap();
        },
        &[
            "model.safetensors",
            "model.norm.weight",
            "F16",
            "make 8 bytes",
            "hold 16",
        ],
    ),
    (
        "index naming a missing shard",
        "tinyllama-spm",
        |d| std::fs::remove_file(d.join("model-00003-of-00004.safetensors")).unwrap(),
        &["model-00003-of-00004.safetensors", "missing"],
    ),
    (
        "shard holding a tensor the index does not list",
        "tinyllama-spm",
        |d| {
            edit_json(&d.join("model.safetensors.index.json"), |v| {
                v["weight_map"]
                    .as_object_mut()
                    .unwrap()
                    .remove("model.norm.weight");
            })
        },
        &["model-00003-of-00004.safetensors", "model.norm.weight", "index"],
    ),
    (
        "config.json not JSON",
        "llama3-bpe",
        |d| std::fs::write(d.join("config.json"), "{ \"architectures\": [").unwrap(),
        &["config.json", "not valid JSON", "line 1"],
    ),
    (
        "config.json without architectures",
        "llama3-bpe",
        |d| {
            edit_json(&d.join("config.json"), |v| {
                v.as_object_mut().unwrap().remove("architectures");
            })
        },
        &["config.json", "architectures"],
    ),
    (
        "unsupported architecture",
        "llama3-bpe",
        |d| {
            edit_json(&d.join("config.json"), |v| {
                v["architectures"] = serde_json::json!(["FooForCausalLM"])
            })
        },
        &["FooForCausalLM", "supported", "LlamaForCausalLM", "BertModel"],
    ),
    (
        "integer tensor",
        "llama3-bpe",
        |d| {
            let st = safetensors(&[("model.embed_tokens.weight", "I32", &[2, 2], [0, 16])], 16);
            std::fs::write(d.join("model.safetensors"), st).unwrap();
        },
        &["model.safetensors", "model.embed_tokens.weight", "I32"],
    ),
    (
        "fp8 tensor",
        "llama3-bpe",
        |d| {
            let st = safetensors(
                &[("model.layers.0.mlp.up_proj.weight", "F8_E4M3", &[2, 4], [0, 8])],
                8,
            );
            std::fs::write(d.join("model.safetensors"), st).unwrap();
        },
        &[
            "model.safetensors",
            "model.layers.0.mlp.up_proj.weight",
            "F8_E4M3",
        ],
    ),
    (
        "tokenizer.json garbage",
        "qwen3-bpe",
        |d| std::fs::write(d.join("tokenizer.json"), b"\x00\x01 not a tokenizer").unwrap(),
        &["tokenizer.json"],
    ),
    (
        "tokenizer.model garbage",
        "tinyllama-spm",
        |d| std::fs::write(d.join("tokenizer.model"), [0xffu8; 16]).unwrap(),
        &["tokenizer.model", "not a SentencePiece model"],
    ),
    (
        "unknown pre-tokenizer hash",
        "llama3-bpe",
        |d| {
            edit_json(&d.join("tokenizer.json"), |v| {
                v["pre_tokenizer"] = serde_json::json!({"type": "Whitespace"})
            })
        },
        &["tokenizer.json", "chkhsh ", "--pre NAME"],
    ),
];

#[test]
fn malformed_directories_exit_2_name_the_fault_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, (what, from, spoil, says)) in MALFORMED.iter().enumerate() {
        let dir = copy_model(from, &tmp.path().join(format!("case{i}")));
        spoil(&dir);
        let out_dir = tmp.path().join(format!("out{i}"));
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
            failures.push(format!("{what}: {}\n  stderr: {err}", wrong.join(", ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

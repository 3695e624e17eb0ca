//! `gguf inspect` as a user runs it: output snapshots (text and JSON) for the
//! test files, exit codes, a closed stdout, and every golden file.

use std::io::Read;
mod common;

use common::*;
use std::process::{Command, Stdio};

#[test]
fn text_snapshots() {
    for (name, args) in [
        (
            "tiny_f16_ctx",
            vec!["inspect", "testdata/tiny-llama-f16.gguf", "--ctx", "4096"],
        ),
        (
            "big_endian",
            vec!["inspect", "testdata/tiny-llama-f32-be.gguf", "--no-metadata"],
        ),
        (
            "all_value_types_full",
            vec![
                "inspect",
                "testdata/all-value-types.gguf",
                "--full",
                "--no-tensors",
            ],
        ),
        ("all_ggml_types", vec!["inspect", "testdata/all-ggml-types.gguf"]),
        (
            "v1_and_v2",
            vec!["inspect", "testdata/v1-small.gguf", "testdata/v2-small.gguf"],
        ),
        (
            "filtered",
            vec![
                "inspect",
                "testdata/tiny-llama-f32.gguf",
                "--no-metadata",
                "--tensors",
                "blk.1.ffn_*",
            ],
        ),
    ] {
        let o = gguf(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        insta::assert_snapshot!(name, stdout(&o));
    }
}

#[test]
fn json_snapshot_and_schema() {
    let o = gguf(&[
        "inspect",
        "testdata/aligned-64.gguf",
        "--json",
        "--max-array",
        "3",
        "--ctx",
        "128",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!("aligned_64_json", stdout(&o));

    // Complete arrays without --max-array.
    let o = gguf(&["inspect", "testdata/tiny-llama-f32.gguf", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["schema_version"], 1);
    let f = &doc["files"][0];
    let tokens = f["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "tokenizer.ggml.tokens")
        .unwrap();
    assert_eq!(tokens["value"].as_array().unwrap().len(), 300);
    assert_eq!(tokens["length"], 300);
    assert_eq!(tokens["truncated"], false);
    assert_eq!(f["tensor_count"], 21);
    assert_eq!(f["file_type"]["name"], "ALL_F32");
    assert_eq!(f["bits_per_weight"], 32.0);
    assert_eq!(f["types"][0]["type"], "F32");
}

#[test]
fn key_prints_raw_values() {
    let o = gguf(&[
        "inspect",
        "testdata/tiny-llama-f16.gguf",
        "--key",
        "tokenizer.chat_template",
    ]);
    assert_eq!(
        stdout(&o),
        "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}</s>\n{% endfor %}\n"
    );
    let o = gguf(&[
        "inspect",
        "testdata/tiny-llama-f16.gguf",
        "--key",
        "tokenizer.ggml.tokens",
    ]);
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 300);
    assert_eq!(lines[..3], ["<unk>", "<s>", "</s>"]);
    let o = gguf(&[
        "inspect",
        "testdata/tiny-llama-f16.gguf",
        "--key",
        "llama.block_count",
    ]);
    assert_eq!(stdout(&o), "2\n");
}

/// A file whose token strings hold newlines, tabs, backslashes, an escape
/// character and a byte that is not UTF-8, and a multi-line string.
fn awkward_tokens(dir: &std::path::Path) -> std::path::PathBuf {
    use gguf_format::{GgufBuilder, MetaValue, ValueType};
    use std::borrow::Cow;
    let mut b = GgufBuilder::new();
    b.push("general.architecture", "llama").unwrap();
    b.push("test.text", "line one\nline two\n").unwrap();
    let tokens: [&[u8]; 7] = [
        b"plain",
        b"\n",
        b"a\tb\r\n",
        b"back\\slash",
        b"\x1b[0m",
        b"bad \xff byte",
        "\u{85}é".as_bytes(),
    ];
    b.push(
        "tokenizer.ggml.tokens",
        MetaValue::array(
            ValueType::String,
            tokens.iter().map(|t| MetaValue::String(Cow::Borrowed(*t))),
        ),
    )
    .unwrap();
    let bytes = b.write_header(Vec::new()).unwrap().finish().unwrap();
    let path = dir.join("awkward.gguf");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn key_escapes_array_strings_one_element_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = awkward_tokens(dir.path());
    let f = f.to_str().unwrap();
    let o = gguf(&["inspect", f, "--key", "tokenizer.ggml.tokens"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "plain\n\\n\na\\tb\\r\\n\nback\\\\slash\n\\x1b[0m\nbad \\xff byte\n\\u{85}é\n"
    );
    // One element, one line: as many lines as tokens.
    assert_eq!(stdout(&o).lines().count(), 7);
    // --max-array N: the first N elements.
    let o = gguf(&["inspect", f, "--key", "tokenizer.ggml.tokens", "--max-array", "2"]);
    assert_eq!(stdout(&o), "plain\n\\n\n");
    // In the metadata table too (default 5 elements).
    let o = gguf(&[
        "inspect",
        "testdata/tiny-llama-f16.gguf",
        "--no-tensors",
        "--max-array",
        "2",
    ]);
    assert!(
        stdout(&o).contains(r#"["<unk>", "<s>", … 298 more]"#),
        "{}",
        stdout(&o)
    );
    // A lone string is printed as it is (a chat template saved to a file stays one).
    let o = gguf(&["inspect", f, "--key", "test.text"]);
    assert_eq!(stdout(&o), "line one\nline two\n");
}

#[test]
fn key_with_several_files_marks_lines_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = awkward_tokens(dir.path());
    let f = f.to_str().unwrap();
    let v2 = "testdata/v2-small.gguf";
    let o = gguf(&[
        "inspect",
        v2,
        f,
        "--key",
        "tokenizer.ggml.tokens",
        "--max-array",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("{v2}:<s>\n{v2}:</s>\n{v2}:hi\n{f}:plain\n{f}:\\n\n{f}:a\\tb\\r\\n\n")
    );
    // A multi-line string: every line marked. A file without the key: exit 1, named.
    let o = gguf(&["inspect", f, v2, "--key", "test.text"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), format!("{f}:line one\n{f}:line two\n"));
    assert_eq!(stderr(&o), format!("gguf: {v2}: no metadata key test.text\n"));
}

#[test]
fn key_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = awkward_tokens(dir.path());
    let f = f.to_str().unwrap();
    // One file: the value alone, as JSON.
    let o = gguf(&["inspect", f, "--key", "tokenizer.ggml.tokens", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            "plain",
            "\n",
            "a\tb\r\n",
            "back\\slash",
            "\u{1b}[0m",
            "bad \u{fffd} byte",
            "\u{85}é"
        ])
    );
    let o = gguf(&[
        "inspect",
        "testdata/v2-small.gguf",
        "--key",
        "llama.block_count",
        "--json",
    ]);
    assert_eq!(stdout(&o), "1\n");
    // Several files: one object per file in the usual document; a missing key is null, exit 1.
    let o = gguf(&[
        "inspect",
        "testdata/v2-small.gguf",
        f,
        "--key",
        "tokenizer.ggml.tokens",
        "--json",
        "--max-array",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"schema_version": 1, "files": [
            {"path": "testdata/v2-small.gguf", "key": "tokenizer.ggml.tokens", "type": "ARRAY[STRING]", "length": 3, "value": ["<s>"]},
            {"path": f, "key": "tokenizer.ggml.tokens", "type": "ARRAY[STRING]", "length": 7, "value": ["plain"]},
        ]})
    );
    let o = gguf(&[
        "inspect",
        "testdata/v2-small.gguf",
        f,
        "--key",
        "test.text",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"][0]["value"], serde_json::Value::Null);
    assert_eq!(v["files"][0]["type"], serde_json::Value::Null);
    assert_eq!(v["files"][1]["value"], "line one\nline two\n");
}

/// `llama-imatrix --show-statistics --in-file odd.imatrix.gguf -m odd-f16.gguf`
/// (llama.cpp 0c1e570, built from its tree, run by hand on 2026-12-06 in
/// testdata/golden): the per-tensor rows, then the per-layer rows, columns
/// trimmed and joined with " | ".
const ODD_IMATRIX_STATISTICS: &[&str] = &[
    "0 | attn_k | 704.68 | 0.0000 | 12.2480 | 1.10 | 1.32 | 100.00% | 640 | 8.4968 | 91.15% | 13.91% | 0.0000",
    "1 | attn_k | 624.90 | 0.0000 | 8.0746 | 0.98 | 1.22 | 100.00% | 640 | 8.4677 | 90.84% | 12.34% | 0.3970",
    "0 | attn_output | 706.63 | 0.0000 | 10.3928 | 1.10 | 1.36 | 99.84% | 640 | 8.4841 | 91.01% | 12.81% | 0.0000",
    "1 | attn_output | 669.21 | 0.0002 | 11.9652 | 1.05 | 1.22 | 100.00% | 640 | 8.5383 | 91.59% | 14.69% | 0.4081",
    "0 | attn_q | 651.69 | 0.0001 | 7.8687 | 1.02 | 1.17 | 100.00% | 640 | 8.5266 | 91.47% | 12.66% | 0.0000",
    "1 | attn_q | 636.05 | 0.0002 | 11.3221 | 0.99 | 1.31 | 100.00% | 640 | 8.4255 | 90.38% | 12.19% | 0.4073",
    "0 | attn_v | 772.11 | 0.0000 | 8.4116 | 1.21 | 1.38 | 99.84% | 640 | 8.5362 | 91.57% | 12.97% | 0.0000",
    "1 | attn_v | 716.20 | 0.0001 | 8.5159 | 1.12 | 1.33 | 100.00% | 640 | 8.5027 | 91.21% | 13.28% | 0.4427",
    "1 | ffn_down | 835.73 | 0.0000 | 9.4127 | 1.09 | 1.27 | 99.87% | 768 | 8.7929 | 91.74% | 12.11% | 0.4424",
    "0 | ffn_down | 805.39 | 0.0000 | 10.4386 | 1.05 | 1.25 | 100.00% | 768 | 8.7635 | 91.43% | 13.28% | 0.0000",
    "1 | ffn_gate | 631.50 | 0.0001 | 13.7646 | 0.99 | 1.30 | 100.00% | 640 | 8.4437 | 90.58% | 11.56% | 0.3963",
    "0 | ffn_gate | 613.75 | 0.0004 | 6.8102 | 0.96 | 1.14 | 100.00% | 640 | 8.4912 | 91.09% | 13.91% | 0.0000",
    "1 | ffn_up | 649.83 | 0.0001 | 9.5391 | 1.02 | 1.25 | 100.00% | 640 | 8.4841 | 91.01% | 12.50% | 0.4194",
    "0 | ffn_up | 626.72 | 0.0000 | 10.0144 | 0.98 | 1.23 | 100.00% | 640 | 8.4534 | 90.68% | 12.97% | 0.0000",
    "- | output | 629.05 | 0.0000 | 8.0529 | 0.98 | 1.13 | 100.00% | 640 | 8.5366 | 91.58% | 12.97% | 0.0000",
];
/// The per-layer rows of the same run.
const ODD_IMATRIX_LAYERS: &[&str] = &["0 | 700.28 | 13.2161% | 0.0000", "1 | 684.80 | 12.6519% | 0.4169"];

/// An importance matrix is shown as one: what it was computed on and
/// `llama-imatrix --show-statistics`'s figures, not as a model.
#[test]
fn imatrix_files_show_their_statistics() {
    let g = golden_dir();
    let o = gguf_in(&g, &["inspect", "tiny.imatrix.gguf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("bits per weight"), "{out}");
    insta::assert_snapshot!("tiny_imatrix", out);

    let o = gguf_in(&g, &["inspect", "--json", "odd.imatrix.gguf"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let im = &doc["files"][0]["imatrix"];
    assert_eq!(im["datasets"], serde_json::json!(["synthetic"]));
    assert_eq!(
        (im["chunk_count"].as_u64(), im["chunk_size"].as_u64()),
        (Some(10), Some(512))
    );
    let tensors = im["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 15);
    // llama-imatrix's order: by short name, then by Σ(Act²), largest first.
    let keys: Vec<(String, f64)> = tensors
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["sum"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(keys
        .windows(2)
        .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 >= w[1].1)));
    // Block 0 has no block before it; block 1 is compared with it.
    for t in tensors {
        let first = t["layer"] == "0" || t["layer"] == "-";
        assert_eq!(t["cossim"] == 0.0, first, "{t}");
    }
    assert_eq!(im["layers"].as_array().unwrap().len(), 2);

    // Every figure as llama-imatrix prints it (its tab-separated columns).
    let o = gguf_in(&g, &["inspect", "--no-metadata", "odd.imatrix.gguf"]);
    let out = stdout(&o);
    // The rows of the two tables: the lines after each rule, up to a blank line.
    let mut ours: Vec<String> = Vec::new();
    let mut in_table = false;
    for l in out.lines() {
        if l.starts_with('─') {
            in_table = true;
        } else if l.trim().is_empty() {
            in_table = false;
        } else if in_table {
            ours.push(l.split_whitespace().collect::<Vec<_>>().join(" | "));
        }
    }
    assert_eq!(
        ours,
        [ODD_IMATRIX_STATISTICS, ODD_IMATRIX_LAYERS].concat(),
        "{out}"
    );
    // A model has no imatrix section.
    let o = gguf_in(&g, &["inspect", "--json", "tiny-f32.gguf"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc["files"][0].get("imatrix").is_none());
}

#[test]
fn exit_codes() {
    let ok = gguf(&["inspect", "testdata/v2-small.gguf"]);
    assert_eq!(ok.status.code(), Some(0));

    let missing_key = gguf(&["inspect", "testdata/v2-small.gguf", "--key", "no.such.key"]);
    assert_eq!(missing_key.status.code(), Some(1));
    assert_eq!(
        stderr(&missing_key),
        "gguf: testdata/v2-small.gguf: no metadata key no.such.key\n"
    );

    let absent = gguf(&["inspect", "testdata/does-not-exist.gguf"]);
    assert_eq!(absent.status.code(), Some(2));
    assert!(
        stderr(&absent).starts_with("gguf: testdata/does-not-exist.gguf: "),
        "{}",
        stderr(&absent)
    );

    // A bad file among good ones: the good ones are shown, the exit code is 2,
    // and the error is one line naming the file and the problem.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.gguf");
    std::fs::write(
        &bad,
        b"GGUF\x03\0\0\0\xff\xff\xff\xff\xff\xff\xff\x7f\0\0\0\0\0\0\0\0",
    )
    .unwrap();
    let o = gguf(&["inspect", "testdata/v2-small.gguf", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("GGUF v2"));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.gguf: tensor count 9223372036854775807 at byte 8 cannot fit"),
        "{err}"
    );

    let usage = gguf(&["inspect"]);
    assert_eq!(usage.status.code(), Some(2), "clap usage errors are exit 2");
}

#[test]
fn cut_off_data_is_a_warning_not_an_error() {
    let full = std::fs::read(workspace().join("testdata/tiny-llama-f16.gguf")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &full[..60_000]).unwrap();
    let o = gguf(&["inspect", cut.to_str().unwrap(), "--no-metadata"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("warning      tensor data is cut off: 18 of 21 tensors"),
        "{out}"
    );
    assert!(out.contains("(cut off)"), "{out}");
}

#[test]
fn closed_stdout_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.gguf");
    std::fs::write(&big, gguf_testdata::big_vocab_model(262_144)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gguf"))
        .args(["inspect", big.to_str().unwrap(), "--key", "tokenizer.ggml.tokens"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert_eq!(err, "");
}

#[test]
fn every_golden_file_inspects() {
    use gguf_testdata::golden as g;
    let mut n = 0;
    // The converter's outputs under import/ are made by `gguf import`, not
    // by the llama.cpp recipes this test builds its files with.
    for name in g::names(".gguf")
        .into_iter()
        .filter(|n| !n.starts_with("import/"))
    {
        let p = golden(name);
        // Each file alone: a shard's own header, not the model it belongs to.
        let o = gguf(&[
            "inspect",
            "--single-file",
            p.to_str().unwrap(),
            "--json",
            "--max-array",
            "0",
        ]);
        assert!(o.status.success(), "{}: {}", p.display(), stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = &doc["files"][0];
        let stem = name.trim_end_matches(".gguf");
        assert_eq!(f["data_complete"], true, "{stem}");
        // Every file: its tensors as llama.cpp's list has them.
        let rows = g::tensors(name);
        assert_eq!(f["tensor_count"], rows.len(), "{stem}");
        for (t, r) in f["tensors"].as_array().unwrap().iter().zip(&rows) {
            assert_eq!(t["name"], r.name, "{stem}");
            assert_eq!(t["type"], r.ty, "{stem}: {}", r.name);
            assert_eq!(t["shape"], serde_json::json!(r.shape), "{stem}: {}", r.name);
            assert_eq!(t["offset"], r.offset, "{stem}: {}", r.name);
            assert_eq!(t["bytes"], r.bytes, "{stem}: {}", r.name);
        }
        // Where llama.cpp's header description is kept, the header too.
        if !g::is_kept(&format!("{stem}.kv.json")) {
            n += 1;
            continue;
        }
        let kv: serde_json::Value = serde_json::from_slice(&g::read(&format!("{stem}.kv.json"))).unwrap();
        assert_eq!(f["tensor_count"], kv["header"]["tensor_count"], "{stem}");
        assert_eq!(f["data_offset"], kv["header"]["data_offset"], "{stem}");
        assert_eq!(f["byte_order"], kv["header"]["byte_order"], "{stem}");
        assert_eq!(
            f["key_count"].as_u64(),
            Some(kv["kv"].as_array().unwrap().len() as u64),
            "{stem}"
        );
        let ft = kv["kv"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == "general.file_type");
        if let Some(ft) = ft {
            assert_eq!(f["file_type"]["id"], ft["value"], "{stem}");
        }
        n += 1;
    }
    assert!(n >= 50, "only {n} golden files");
    // A human-readable spot check: Q4_K_M is named as llama.cpp names it.
    let o = gguf(&[
        "inspect",
        golden("tiny-Q4_K_M.gguf").to_str().unwrap(),
        "--no-metadata",
        "--no-tensors",
    ]);
    assert!(
        stdout(&o).contains("file type    MOSTLY_Q4_K_M (15)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn unknown_tensor_types_are_shown_not_refused() {
    let mut bytes = std::fs::read(workspace().join("testdata/all-ggml-types.gguf")).unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    let t = g.tensor("type.Q8_0").unwrap();
    // name length + name + n_dims + two dims, then the type id.
    let type_at = (t.info_offset + 8 + t.name.len() as u64 + 4 + 16) as usize;
    drop(g);
    bytes[type_at..type_at + 4].copy_from_slice(&99u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unknown.gguf");
    std::fs::write(&path, &bytes).unwrap();
    let o = gguf(&[
        "inspect",
        path.to_str().unwrap(),
        "--no-metadata",
        "--tensors",
        "type.Q8_*",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("type.Q8_0   unknown(99)"), "{out}");
    assert!(
        out.contains("warning      1 tensors have a ggml type this tool does not know"),
        "{out}"
    );
}

/// Regression: sizes read from the file are multiplied in the memory estimate;
/// absurd ones must saturate or be reported, never overflow.
#[test]
fn memory_estimate_with_absurd_sizes_does_not_overflow() {
    let mut b = gguf_format::GgufBuilder::new();
    b.push("general.architecture", "llama").unwrap();
    b.push("llama.block_count", 2u64).unwrap();
    b.push("llama.embedding_length", u64::MAX).unwrap();
    b.push("llama.attention.head_count", 1u32).unwrap();
    b.push("llama.attention.key_length", u64::MAX).unwrap();
    let bytes = b.write_header(Vec::new()).unwrap().finish().unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    let m = gguf_cli::inspect::memory_estimate(&g, u64::MAX, 0);
    assert_eq!(
        m.kv_cache_bytes, None,
        "the product does not fit: unknown, not wrapped"
    );
    let opts = gguf_cli::inspect::InspectOptions {
        ctx: Some(u64::MAX),
        ..Default::default()
    };
    let model = gguf_format::Model::single(gguf_format::Shard::new("absurd.gguf", g));
    let r = gguf_cli::inspect::report("absurd.gguf", &model, &opts);
    assert!(
        gguf_cli::render::text(&r, Default::default()).contains("KV cache     too large to count in 64 bits")
    );

    // More layers than llama.cpp takes: refused, naming the key, not counted.
    let mut b = gguf_format::GgufBuilder::new();
    b.push("general.architecture", "llama").unwrap();
    b.push("llama.block_count", u64::MAX).unwrap();
    b.push("llama.embedding_length", 64u32).unwrap();
    let bytes = b.write_header(Vec::new()).unwrap().finish().unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    let m = gguf_cli::inspect::memory_estimate(&g, 4096, 0);
    assert_eq!(m.kv_cache_bytes, None);
    assert!(
        m.notes.iter().any(|n| n.contains("llama.block_count")),
        "{:?}",
        m.notes
    );
}

/// The first shard of a split model stands for the whole model: one tensor
/// list, one parameter count, one size; a later shard is refused, naming the
/// first; `--single-file` shows one shard alone.
#[test]
fn a_split_model_inspects_as_one_model() {
    let json = |args: &[&str]| -> serde_json::Value {
        let o = gguf(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let whole = golden("tiny-Q4_K_M.gguf");
    let first = golden("edit-split/tiny-Q4_K_M-00001-of-00003.gguf");
    let w = json(&["inspect", whole.to_str().unwrap(), "--json", "--max-array", "0"]);
    let s = json(&["inspect", first.to_str().unwrap(), "--json", "--max-array", "0"]);
    let (w, s) = (&w["files"][0], &s["files"][0]);
    for k in [
        "tensor_count",
        "parameters",
        "tensor_bytes",
        "bits_per_weight",
        "types",
    ] {
        assert_eq!(w[k], s[k], "{k}");
    }
    let names = |f: &serde_json::Value| -> Vec<String> {
        f["tensors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(w), names(s));
    let shards = s["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 3);
    let total: u64 = (1..=3)
        .map(|i| {
            std::fs::metadata(golden(&format!("edit-split/tiny-Q4_K_M-0000{i}-of-00003.gguf")))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(s["file_size"].as_u64(), Some(total));
    assert_eq!(
        s["tensors"][20]["shard"], 2,
        "the last tensor is in the third shard"
    );
    assert!(
        w.get("shards").is_none() && w["tensors"][0].get("shard").is_none(),
        "single files unchanged"
    );

    let text = stdout(&gguf(&["inspect", first.to_str().unwrap(), "--no-metadata"]));
    assert!(text.contains("  shards       3 files, "), "{text}");

    let second = golden("edit-split/tiny-Q4_K_M-00002-of-00003.gguf");
    let o = gguf(&["inspect", second.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is shard 2 of 3 of a split model: open its first shard, ")
            && stderr(&o).contains("tiny-Q4_K_M-00001-of-00003.gguf"),
        "{}",
        stderr(&o)
    );
    let alone = json(&["inspect", "--single-file", second.to_str().unwrap(), "--json"]);
    assert_eq!(alone["files"][0]["tensor_count"], 8);
}

/// `--ctx --usage perplexity` as llama-perplexity 0c1e570 allocates it
/// (`testdata/golden/llama-memory.json`): the KV cache to the byte, the
/// total within 15 %, for both golden models (every figure of
/// `llama-context-memory.json` is checked in `tests/memory.rs`).
#[test]
fn memory_matches_llama_cpp_on_the_golden_models() {
    let doc: serde_json::Value =
        serde_json::from_slice(&gguf_testdata::golden::read("llama-memory.json")).unwrap();
    for name in ["tiny-Q4_K_M.gguf", "odd-Q4_K_M.gguf"] {
        let theirs = &doc[name]["4096"];
        let mib = |k: &str| theirs[k].as_f64().unwrap();
        let path = golden(name);
        let o = gguf(&[
            "inspect",
            path.to_str().unwrap(),
            "--json",
            "--max-array",
            "0",
            "--ctx",
            "4096",
            "--usage",
            "perplexity",
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let f: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let m = &f["files"][0]["memory"];
        assert_eq!(
            m["usage"], "perplexity",
            "{name}: llama-memory.json is llama-perplexity's"
        );
        assert_eq!(m["kv_cache_bytes"], 4_194_304, "{name}: llama.cpp's 4.00 MiB");
        assert_eq!(
            m["kv_cache_bytes"].as_f64().unwrap() / 1048576.0,
            mib("kv"),
            "{name}"
        );
        assert_eq!(m["caches"][0]["cells"], 4096, "{name}");
        assert_eq!(m["caches"][0]["layers"], 2, "{name}");
        assert_eq!(m["caches"][0]["kind"], "full", "{name}");
        assert_eq!(m["output_bytes"], 512 * 4, "{name}: one row of 512 logits");
        let ours = m["total_bytes"].as_f64().unwrap() / 1048576.0;
        let total = mib("model") + mib("kv") + mib("compute") + mib("output");
        assert!(
            (ours - total).abs() <= 0.15 * total,
            "{name}: total {ours:.2} MiB vs llama.cpp's {total:.2} MiB"
        );
        for k in [
            "weights_bytes",
            "compute_bytes",
            "keys_used",
            "missing",
            "notes",
            "n_ctx",
        ] {
            assert!(!m[k].is_null(), "{name}: memory.{k}");
        }
        assert_eq!(m["cache_type_k"], "f16");
        assert_eq!(m["n_seq"], 1);
        assert_eq!(m["n_ubatch"], 512);
    }
}

/// The memory options reach the estimate and the text names each cache.
#[test]
fn memory_options_and_text() {
    let path = golden("tiny-Q4_K_M.gguf");
    let p = path.to_str().unwrap();
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["inspect", p, "--json", "--max-array", "0"];
        args.extend_from_slice(extra);
        let o = gguf(&args);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        let f: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        f["files"][0]["memory"].clone()
    };
    // q8_0 K: 34 bytes per 32 values instead of 64.
    let m = json(&["--ctx", "4096", "--cache-type-k", "q8_0"]);
    assert_eq!(m["caches"][0]["k_bytes"], 2 * 4096 * 128 / 32 * 34);
    assert_eq!(m["caches"][0]["v_bytes"], 2 * 4096 * 128 * 2);
    // Two sequences: two streams of 2048 cells, two rows of logits.
    let m = json(&["--ctx", "4096", "--parallel", "2"]);
    assert_eq!(
        (
            m["caches"][0]["cells"].as_u64(),
            m["caches"][0]["streams"].as_u64()
        ),
        (Some(2048), Some(2))
    );
    assert_eq!(m["output_bytes"], 2 * 512 * 4);
    // A smaller micro-batch, a smaller compute buffer.
    let small = json(&["--ctx", "4096", "--ubatch", "128"]);
    assert!(small["compute_bytes"].as_u64() < json(&["--ctx", "4096"])["compute_bytes"].as_u64());

    let o = gguf(&["inspect", p, "--no-metadata", "--no-tensors", "--ctx", "5000"]);
    let text = stdout(&o);
    assert!(text.contains("KV cache     5.0 MiB (n_ctx 5,120)"), "{text}");
    assert!(
        text.contains("full        5,120 cells × 2 layers = 5.0 MiB"),
        "{text}"
    );
    assert!(
        text.contains("(estimate, 1 row of logits per micro-batch)"),
        "{text}"
    );

    // Options without --ctx, and a cache type llama.cpp does not take, are usage errors.
    assert_eq!(gguf(&["inspect", p, "--parallel", "2"]).status.code(), Some(2));
    let o = gguf(&["inspect", p, "--ctx", "8", "--cache-type-v", "q4_k"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a KV cache type llama.cpp accepts"),
        "{}",
        stderr(&o)
    );
}

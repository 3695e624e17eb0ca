//! `gguf requant` as a user runs it: byte-identical output through the binary,
//! refusals, an interrupted write, options, dry runs.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn binary_output_is_llama_quantize_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out_path = tmp.path().join("out.gguf");
    // Run inside the golden folder: the imatrix path is recorded as given.
    let o = gguf_in(
        &golden_dir(),
        &[
            "requant",
            "--to",
            "Q4_K_M",
            "--imatrix",
            "tiny.imatrix.gguf",
            "-q",
            "tiny-f32.gguf",
            out_path.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "-q prints nothing");
    assert_golden(&out_path, "tiny-Q4_K_M-imat.gguf");

    // The thread count does not change the bytes; numeric ftype ids work.
    for threads in ["1", "2"] {
        let p = tmp.path().join(format!("t{threads}.gguf"));
        let o = gguf_in(
            &golden_dir(),
            &[
                "requant",
                "--to",
                "15",
                "--threads",
                threads,
                "odd-f16.gguf",
                p.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_golden(&p, "odd-Q4_K_M.gguf");
    }
    assert_eq!(
        files_in(tmp.path()),
        ["out.gguf", "t1.gguf", "t2.gguf"],
        "no temporary files left"
    );
}

#[test]
fn refusals_exit_2_with_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("x.gguf");
    let t = t.to_str().unwrap();
    let g = golden_dir();
    let be = golden("tiny-f32-be.gguf");
    let be = be.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["requant", "--to", "q8_0", "tiny-Q4_K_M.gguf", t],
            "requantizing from type Q6_K is disabled",
        ),
        (
            &["requant", "--to", "q2_k_s", "tiny-f32.gguf", t],
            "Q2_K_S requires an importance matrix",
        ),
        (
            &["requant", "--to", "q4_k_x", "tiny-f32.gguf", t],
            "unknown target type \"q4_k_x\"",
        ),
        (
            &["requant", "--to", "q8_0", be, t],
            "big-endian input is not supported",
        ),
        (
            &["requant", "--to", "all", "tiny-f32.gguf", t],
            "--to all only works with --dry-run",
        ),
        (
            &["requant", "--to", "q8_0", "tiny-f32.gguf", "tiny-f32.gguf"],
            "is the input file",
        ),
        (
            &[
                "requant",
                "--to",
                "q8_0",
                "--override-kv",
                "a.b=int:x",
                "tiny-f32.gguf",
                t,
            ],
            "is not an integer",
        ),
        (
            &[
                "requant",
                "--to",
                "q8_0",
                "--tensor-type",
                "attn_q",
                "tiny-f32.gguf",
                t,
            ],
            "expected PATTERN=TYPE",
        ),
        (
            &[
                "requant",
                "--to",
                "q8_0",
                "--imatrix",
                "missing.dat",
                "tiny-f32.gguf",
                t,
            ],
            "missing.dat",
        ),
    ];
    for (args, want) in cases {
        let o = gguf_in(&g, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(want), "{args:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
    }
    let bad_type = gguf_in(
        &g,
        &[
            "requant",
            "--to",
            "q8_0",
            "--output-tensor-type",
            "q9",
            "tiny-f32.gguf",
            t,
        ],
    );
    assert_eq!(bad_type.status.code(), Some(2));
    assert!(
        stderr(&bad_type).contains("unknown ggml type \"q9\""),
        "{}",
        stderr(&bad_type)
    );
    assert_eq!(files_in(tmp.path()), Vec::<String>::new(), "nothing written");
}

/// A NaN in a late tensor stops the run midway: the target is left as it
/// was (absent, or untouched) and no temporary file remains.
#[test]
fn interrupted_write_leaves_nothing_behind() {
    let mut bytes = std::fs::read(testdata("tiny-llama-f32.gguf")).unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    let t = g.tensor("blk.1.ffn_down.weight").unwrap();
    let at = g.tensor_range(t).unwrap().start as usize + 4 * (128 * 3 + 5);
    drop(g);
    bytes[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("nan.gguf");
    std::fs::write(&input, &bytes).unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("q.gguf");

    let o = gguf_in(
        tmp.path(),
        &["requant", "--to", "q8_0", "nan.gguf", target.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("tensor blk.1.ffn_down.weight has a non-finite value (NaN) in row 3, column 5"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files_in(&out_dir), Vec::<String>::new());

    // An existing target (replaced only with --force) is kept when the write fails.
    std::fs::write(&target, b"previous contents").unwrap();
    let o = gguf_in(
        tmp.path(),
        &[
            "requant",
            "--force",
            "--to",
            "q8_0",
            "nan.gguf",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("non-finite value (NaN)"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&target).unwrap(), b"previous contents");
    assert_eq!(files_in(&out_dir), ["q.gguf"]);
}

#[test]
fn declared_alignment_is_honoured() {
    let tmp = tempfile::tempdir().unwrap();
    let out_path = tmp.path().join("a.gguf");
    let o = gguf_in(
        tmp.path(),
        &[
            "requant",
            "--to",
            "q8_0",
            testdata("aligned-64.gguf").to_str().unwrap(),
            "a.gguf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&out_path).unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    assert_eq!(g.alignment(), 64);
    assert_eq!(g.data_offset() % 64, 0);
    for t in g.tensors() {
        assert_eq!(t.offset % 64, 0, "{}", t.name);
    }
    // llama-quantize would have put rope_freqs' successor at a 32-byte boundary.
    let next = g.tensor("token_embd.weight").unwrap();
    assert_eq!(next.offset % 64, 0);
    assert_eq!(g.get_u32("general.file_type").unwrap(), 7);
}

#[test]
fn override_kv_and_prune_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gguf_in(
        tmp.path(),
        &[
            "requant",
            "--to",
            "q8_0",
            "--override-kv",
            "llama.context_length=int:-8192",
            "--override-kv",
            "general.name=str:renamed",
            "--override-kv",
            "x.flag=bool:true",
            "--prune-layers",
            "0",
            testdata("tiny-llama-f32.gguf").to_str().unwrap(),
            "p.gguf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(tmp.path().join("p.gguf")).unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    let keys: Vec<&str> = g.metadata().iter().map(|kv| kv.key).collect();
    assert_eq!(
        keys[keys.len() - 6..],
        [
            "general.quantization_version",
            "general.file_type",
            "llama.context_length",
            "general.name",
            "x.flag",
            "llama.block_count"
        ]
    );
    assert_eq!(
        g.get_u32("llama.context_length").unwrap(),
        8192,
        "int overrides are written as u32 of |v|"
    );
    assert_eq!(g.get_str("general.name").unwrap(), "renamed");
    assert!(g.get_bool("x.flag").unwrap());
    assert_eq!(g.get_u32("llama.block_count").unwrap(), 1);
    let names: Vec<&str> = g.tensors().iter().map(|t| t.name).collect();
    assert!(names.contains(&"blk.0.ffn_down.weight"));
    assert!(!names.iter().any(|n| n.starts_with("blk.1.")), "{names:?}");
    assert_eq!(g.tensors().len(), 3 + 9);
}

#[test]
fn tensor_type_options() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("types.txt"), "ffn_down=q8_0\n  output=f16 ").unwrap();
    let o = gguf_in(
        tmp.path(),
        &[
            "requant",
            "--to",
            "q4_0",
            "--tensor-type",
            "BLK\\.1\\.attn_q=q5_1",
            "--tensor-type-file",
            "types.txt",
            "--token-embedding-type",
            "q8_0",
            testdata("tiny-llama-f32.gguf").to_str().unwrap(),
            "t.gguf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(tmp.path().join("t.gguf")).unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    let ty = |n: &str| g.tensor(n).unwrap().ggml_type.to_string();
    assert_eq!(
        ty("blk.1.attn_q.weight"),
        "Q5_1",
        "patterns are lowercased, as llama-quantize does"
    );
    assert_eq!(ty("blk.0.attn_q.weight"), "Q4_0");
    assert_eq!(ty("blk.0.ffn_down.weight"), "Q8_0");
    assert_eq!(ty("output.weight"), "F16");
    assert_eq!(ty("token_embd.weight"), "Q8_0");
    assert_eq!(ty("output_norm.weight"), "F32");
}

#[test]
fn dry_runs() {
    let td = testdata("tiny-llama-f32.gguf");
    let dir = td.parent().unwrap();
    let o = gguf_in(
        dir,
        &["requant", "--dry-run", "--to", "q4_k_m", "tiny-llama-f32.gguf"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!("dry_run_q4_k_m", stdout(&o));

    let o = gguf_in(
        dir,
        &[
            "requant",
            "--dry-run",
            "--to",
            "all",
            "--ctx",
            "2048",
            "tiny-llama-f32.gguf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!("dry_run_all", stdout(&o));

    let o = gguf_in(
        dir,
        &[
            "requant",
            "--dry-run",
            "--json",
            "--to",
            "q8_0",
            "tiny-llama-f32.gguf",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &doc["report"];
    assert_eq!(r["target"], "Q8_0");
    assert_eq!(r["tensors"].as_array().unwrap().len(), 21);
    let planned = r["out_file_size"].as_u64().unwrap();
    // The planned size is the size of the file a real run writes.
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("q8.gguf");
    let o = gguf_in(
        dir,
        &[
            "requant",
            "--to",
            "q8_0",
            "tiny-llama-f32.gguf",
            p.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    assert_eq!(std::fs::metadata(&p).unwrap().len(), planned);

    let o = gguf_in(dir, &["requant", "--list"]);
    for name in ["Q4_K_M", "Q2_K_S", "Q8_0", "F16", "BF16", "Q6_K"] {
        assert!(
            stdout(&o).lines().any(|l| l.starts_with(name)),
            "{name} missing from --list"
        );
    }
}

/// A dry run writes nothing: a quantized model is shown as --allow-requantize
/// would make it (sizes, quality), with one note that writing needs the flag.
#[test]
fn dry_run_of_a_quantized_model_shows_figures_and_one_note() {
    let g = golden_dir();
    let o = gguf_in(&g, &["requant", "--dry-run", "--to", "all", "tiny-Q4_K_M.gguf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let notes: Vec<&str> = out.lines().filter(|l| l.contains("--allow-requantize")).collect();
    assert_eq!(notes.len(), 1, "{out}");
    assert!(
        notes[0].starts_with("note: the figures are for decoding the Q4_K, Q6_K tensors"),
        "{out}"
    );
    // Every target has a size: no row of "-".
    let rows: Vec<&str> = out.lines().skip_while(|l| !l.starts_with('─')).skip(1).collect();
    assert!(rows.len() > 30, "{out}");
    for r in &rows {
        let size = r.split_whitespace().nth(2).unwrap();
        assert_ne!(size, "-", "{r}");
    }
    // The same figures as with --allow-requantize, which has no note.
    let allowed = gguf_in(
        &g,
        &[
            "requant",
            "--dry-run",
            "--to",
            "all",
            "--allow-requantize",
            "tiny-Q4_K_M.gguf",
        ],
    );
    let allowed_out = stdout(&allowed);
    assert!(!allowed_out.contains("--allow-requantize"), "{allowed_out}");
    let without_note: String = out
        .lines()
        .filter(|l| !l.starts_with("note: "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(without_note, allowed_out);

    // One target: the plan and one note; JSON says which types and that the flag is needed.
    let o = gguf_in(&g, &["requant", "--dry-run", "--to", "q8_0", "tiny-Q4_K_M.gguf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).matches("--allow-requantize").count(),
        1,
        "{}",
        stdout(&o)
    );
    let o = gguf_in(
        &g,
        &[
            "requant",
            "--dry-run",
            "--json",
            "--to",
            "q8_0",
            "tiny-Q4_K_M.gguf",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["report"]["requantizes"], serde_json::json!(["Q4_K", "Q6_K"]));
    assert_eq!(doc["report"]["needs_allow_requantize"], true);
    // Keeping every type needs no flag (Q4_K_M of a Q4_K_M model).
    let o = gguf_in(
        &g,
        &[
            "requant",
            "--dry-run",
            "--json",
            "--to",
            "all",
            "tiny-Q4_K_M.gguf",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = doc["report"]["targets"].as_array().unwrap();
    let same = rows.iter().find(|r| r["target"] == "Q4_K_M").unwrap();
    assert_eq!(same["needs_allow_requantize"], false);
    assert!(rows
        .iter()
        .filter(|r| r["target"] != "Q4_K_M")
        .all(|r| r["needs_allow_requantize"] == true && r["out_bytes"].is_u64()));
    // Writing still refuses.
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("x.gguf");
    let o = gguf_in(
        &g,
        &["requant", "--to", "q8_0", "tiny-Q4_K_M.gguf", t.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!t.exists());
}

/// The same warning about many tensors is one line with a count; -v lists them.
#[test]
fn repeated_warnings_are_one_line() {
    let g = golden_dir();
    let o = gguf_in(&g, &["requant", "--dry-run", "--to", "q4_k_m", "odd-f16.gguf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let warnings: Vec<&str> = text.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(
        warnings,
        [
            "warning: 12 tensors: rows of 640 are not whole Q4_K blocks, using Q5_0 (-v lists them)",
            "warning: blk.1.attn_v.weight: rows of 640 are not whole Q6_K blocks, using Q8_0",
        ]
    );
    let v = gguf_in(
        &g,
        &["requant", "--dry-run", "-v", "--to", "q4_k_m", "odd-f16.gguf"],
    );
    let out = stdout(&v);
    let listed = out
        .lines()
        .skip_while(|l| {
            !l.starts_with("warning: 12 tensors: rows of 640 are not whole Q4_K blocks, using Q5_0:")
        })
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .count();
    assert_eq!(listed, 12, "{out}");
    // JSON keeps one warning per tensor.
    let j = gguf_in(
        &g,
        &["requant", "--dry-run", "--json", "--to", "q4_k_m", "odd-f16.gguf"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(doc["report"]["warnings"].as_array().unwrap().len(), 13);
    // A real run says it once too, on standard error.
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("x.gguf");
    let o = gguf_in(
        &g,
        &["requant", "--to", "q4_k_m", "odd-f16.gguf", t.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).lines().filter(|l| l.starts_with("warning: ")).count(),
        2,
        "{}",
        stderr(&o)
    );
}

/// `kill -9` in the middle of a write leaves the target untouched and no
/// temporary file behind (the output is an unnamed file until complete).
#[cfg(target_os = "linux")]
#[test]
fn killed_midway_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let shape = gguf_testdata::LlamaShape {
        name: "kill-test",
        n_layer: 4,
        n_embd: 512,
        n_ff: 1024,
        n_head: 8,
        n_head_kv: 8,
        n_vocab: 2000,
    };
    let model = gguf_testdata::llama_model(
        &shape,
        gguf_format::GgmlType::F32,
        gguf_format::ByteOrder::Little,
        3,
    );
    std::fs::write(tmp.path().join("in.gguf"), model).unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("q.gguf");
    std::fs::write(&target, b"previous contents").unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_gguf"))
        .args([
            "requant",
            "-q",
            "--force",
            "--threads",
            "1",
            "--to",
            "q4_k_m",
            "in.gguf",
            target.to_str().unwrap(),
        ])
        .current_dir(tmp.path())
        .spawn()
        .unwrap();
    // Wait until the output is being written: an open, unnamed file in out/.
    let fd_dir = format!("/proc/{}/fd", child.id());
    let started = std::time::Instant::now();
    let writing = loop {
        let open_in_out = std::fs::read_dir(&fd_dir).is_ok_and(|fds| {
            fds.flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| p.starts_with(&out_dir) && p != target))
        });
        if open_in_out {
            break true;
        }
        if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() > 60 {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    assert!(
        writing,
        "requant finished or never started writing; the model is too small to interrupt"
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(std::fs::read(&target).unwrap(), b"previous contents");
    assert_eq!(files_in(&out_dir), ["q.gguf"], "no temporary file left behind");
}

/// Copies llama-gguf-split's three shards of tiny-Q4_K_M into `dir` as `m-0000i-of-00003.gguf`.
fn copy_shards(dir: &Path) {
    for i in 1..=3 {
        std::fs::copy(
            golden(&format!("edit-split/tiny-Q4_K_M-0000{i}-of-00003.gguf")),
            dir.join(format!("m-0000{i}-of-00003.gguf")),
        )
        .unwrap();
    }
}

/// Regression: `gguf requant` given the first shard of a split model used to
/// drop the `split.*` keys and write that shard's tensors alone — a partial
/// model that looked complete. It now reads every shard (and gives
/// llama-quantize's bytes), or refuses when one is missing.
#[test]
fn regression_requant_of_a_first_shard_wrote_a_partial_model() {
    let tmp = tempfile::tempdir().unwrap();
    copy_shards(tmp.path());
    let run = |extra: &[&str]| {
        let mut args = vec!["requant", "--to", "q8_0", "--allow-requantize", "-q"];
        args.extend_from_slice(extra);
        gguf_in(tmp.path(), &args)
    };
    let o = run(&["m-00001-of-00003.gguf", "out.gguf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The whole model, as llama-quantize writes it.
    assert_golden(&tmp.path().join("out.gguf"), "tiny-Q4_K_M-requant-Q8_0.gguf");

    // --keep-split: llama-quantize's names, one output per shard, all at once.
    let o = run(&["--keep-split", "m-00001-of-00003.gguf", "ks.gguf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for i in 1..=3 {
        let p = tmp.path().join(format!("ks-0000{i}-of-00003.gguf"));
        let b = std::fs::read(&p).unwrap();
        let g = gguf_format::Gguf::parse(&b).unwrap();
        assert_eq!(g.get_scalar::<u16>("split.no").unwrap(), i - 1);
    }

    // A missing shard: exit 2 naming it, and nothing written.
    std::fs::remove_file(tmp.path().join("m-00002-of-00003.gguf")).unwrap();
    let before = files_in(tmp.path());
    let o = run(&["m-00001-of-00003.gguf", "out2.gguf"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("m-00002-of-00003.gguf: shard 2 of 3 of the split model cannot be opened"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    assert_eq!(files_in(tmp.path()), before);
}

/// `--dry-run --to all --quality`: per target the relative RMSE and cosine
/// `gguf diff IN OUT` reports for the file requant writes (exactly with
/// `--quality-sample 1`), `null` where an imatrix is needed, and a table.
#[test]
fn quality_predicts_what_diff_says_of_the_written_file() {
    // Exit 0, or 1 for a diff that finds differences.
    let json = |args: &[&str]| -> serde_json::Value {
        let o = gguf(args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{args:?}: {}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let input = golden("tiny-f32.gguf");
    let input = input.to_str().unwrap();
    let all = json(&[
        "requant",
        "--dry-run",
        "--to",
        "all",
        "--quality",
        "--quality-sample",
        "1",
        "--json",
        input,
    ]);
    let targets = all["report"]["targets"].as_array().unwrap();
    let of = |name: &str| targets.iter().find(|t| t["target"] == name).unwrap();
    assert_eq!(all["report"]["quality_sample"], 1.0);
    assert!(of("IQ2_XXS")["quality"].is_null(), "needs an imatrix: no figure");
    assert_eq!(of("IQ2_XXS")["note"], "needs --imatrix");
    for (target, file) in [
        ("Q4_K_M", "tiny-Q4_K_M.gguf"),
        ("Q2_K", "tiny-Q2_K.gguf"),
        ("Q6_K", "tiny-Q6_K.gguf"),
    ] {
        let q = &of(target)["quality"];
        assert_eq!(q["sampled_fraction"], 1.0);
        let written = golden(file);
        let d = json(&["diff", "--json", input, written.to_str().unwrap()]);
        let s = &d["report"]["summary"];
        let (want, got) = (
            s["relative_rmse"].as_f64().unwrap(),
            q["relative_rmse"].as_f64().unwrap(),
        );
        assert!(
            (got - want).abs() < 1e-4 * want,
            "{target}: {got} vs gguf diff's {want}"
        );
        let (want, got) = (s["cosine"].as_f64().unwrap(), q["cosine"].as_f64().unwrap());
        assert!((got - want).abs() < 1e-6, "{target}: cosine {got} vs {want}");
        let classes = q["classes"].as_array().unwrap();
        assert!(classes.iter().any(|c| c["class"] == "ffn_down"), "{target}");
    }

    // One target, the default sample: close, and said to be a sample.
    let one = json(&[
        "requant",
        "--dry-run",
        "--to",
        "q4_k_m",
        "--quality",
        "--json",
        input,
    ]);
    let q = &one["report"]["quality"];
    let exact = of("Q4_K_M")["quality"]["relative_rmse"].as_f64().unwrap();
    let got = q["relative_rmse"].as_f64().unwrap();
    assert!((got - exact).abs() < 0.05 * exact, "{got} vs {exact}");
    assert!(q["sampled_fraction"].as_f64().unwrap() < 1.0);

    // As text, with the classes.
    let td = testdata("tiny-llama-f32.gguf");
    let o = gguf_in(
        td.parent().unwrap(),
        &[
            "requant",
            "--dry-run",
            "--to",
            "all",
            "--quality",
            "-v",
            "tiny-llama-f32.gguf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!("dry_run_all_quality", stdout(&o));
}

/// A NaN in the weights is named with its tensor and row, as requant names it.
#[test]
fn quality_refuses_non_finite_weights_by_tensor_and_row() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(testdata("tiny-llama-f32.gguf")).unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    let t = g.tensor("blk.1.attn_k.weight").unwrap();
    let at = g.tensor_range(t).unwrap().start as usize + 4 * (64 * 5 + 2);
    bytes[at..at + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    let p = tmp.path().join("inf.gguf");
    std::fs::write(&p, &bytes).unwrap();
    let o = gguf(&[
        "requant",
        "--dry-run",
        "--to",
        "all",
        "--quality",
        p.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("tensor blk.1.attn_k.weight has a non-finite value (inf) in row 5, column 2"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    for bad in ["0", "1.5", "1/0", "x"] {
        let o = gguf(&[
            "requant",
            "--dry-run",
            "--to",
            "all",
            "--quality",
            "--quality-sample",
            bad,
            p.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&o).contains("is not a share of rows"),
            "{bad}: {}",
            stderr(&o)
        );
    }
}

/// `--dry-run --ctx`: the memory llama.cpp allocates (the golden model's KV
/// cache at 4096 tokens is 4 MiB, llama-memory.json), and per target its
/// weights plus what the context costs.
#[test]
fn dry_run_memory_is_llama_cpps() {
    let input = golden("tiny-f32.gguf");
    let o = gguf(&[
        "requant",
        "--dry-run",
        "--to",
        "all",
        "--ctx",
        "4096",
        "--json",
        input.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &doc["report"];
    let m = &r["memory"];
    assert_eq!(m["kv_cache_bytes"], 4 << 20);
    let beyond = ["kv_cache_bytes", "compute_bytes", "output_bytes"]
        .iter()
        .map(|k| m[*k].as_u64().unwrap())
        .sum::<u64>();
    // Each target's weights as llama.cpp places them: mapped, plus the
    // CPU_REPACK copies of its Q4_0/Q4_K/IQ4_NL/MXFP4 matrices (AVX2).
    let mut checked = 0;
    for t in r["targets"].as_array().unwrap() {
        let Some(out) = t["out_bytes"].as_u64() else {
            continue;
        };
        let total = t["total_bytes"].as_u64().unwrap();
        let weights = t["total_with_kv"].as_u64().unwrap() - (4 << 20);
        assert_eq!(total, weights + beyond, "{}", t["target"]);
        match t["target"].as_str().unwrap() {
            // Nothing repacked: the weights are the tensor data.
            "F32" | "F16" | "Q8_0" | "Q6_K" => assert_eq!(weights, out, "{}", t["target"]),
            // llama.cpp on tiny-Q4_K_M.gguf (llama-context-memory.json):
            // CPU_Mapped 0.78 MiB, CPU_REPACK 0.54 MiB.
            "Q4_K_M" => {
                assert_eq!(weights, 818_432 + 571_392, "{}", t["target"]);
                checked += 1;
            }
            _ => assert!(weights >= out, "{}", t["target"]),
        }
    }
    assert_eq!(checked, 1);
    let o = gguf(&[
        "requant",
        "--to",
        "q8_0",
        "--ctx",
        "4096",
        input.to_str().unwrap(),
        "x.gguf",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--ctx only works with --dry-run"),
        "{}",
        stderr(&o)
    );
}

/// sha256 of a file, as `sha256sum` prints it.
fn sha256_file(p: &Path) -> String {
    gguf_testdata::golden::sha256(&std::fs::read(p).unwrap())
}

/// `--to COPY` is llama-quantize's `COPY`: every tensor as it is, the
/// metadata as llama-quantize writes it (general.quantization_version, and
/// general.file_type as its loader reads it: the input's, or guessed from the
/// most common tensor type with the "guessed" flag 1024).
///
/// Digests recorded by hand on 2026-12-06 from llama.cpp 0c1e570's own tool,
/// in a copy of testdata/golden: `llama-quantize IN OUT COPY`; the inputs
/// without general.file_type made by `gguf edit IN noft.gguf
/// --remove-metadata general.file_type` (gguf-new-metadata's bytes).
#[test]
fn copy_is_llama_quantize_copy() {
    let cases: &[(&str, bool, &str, u64)] = &[
        (
            "tiny-f32.gguf",
            false,
            "dcd4c1b5c26c172f81889e1203e19ce4d4c9e63189618fdba48ade3a989c4f31",
            0,
        ),
        (
            "tiny-Q4_K_M.gguf",
            false,
            "7b39036db905b6cffa9b090cba895877f83c1af1e168128ad8995fc3c11b5db8",
            15,
        ),
        (
            "odd-f16.gguf",
            false,
            "92d689dd7a0227b81cc5f8e93013a59bad13c7f4f20fb9e824a0decf35cd00ae",
            1,
        ),
        (
            "tiny-Q4_K_M.gguf",
            true,
            "e842bb147d5488b3464cde8610088cc2f6229b35ab4491b98e690cd7d84f9641",
            1024 | 15,
        ),
        (
            "tiny-f32.gguf",
            true,
            "1c11309f0c7d8ddbc31a3602089f9a62449325acf81b459955dd3759ff9d35d7",
            1024,
        ),
        (
            "odd-f16.gguf",
            true,
            "e569ead4a32222a5d339f3f08c569ea82fc0b42c3e3d97c999fbc2efed4c43e4",
            1024 | 1,
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (i, &(name, strip, digest, file_type)) in cases.iter().enumerate() {
        let mut input = golden_dir().join(name);
        if strip {
            let stripped = tmp.path().join(format!("noft-{i}.gguf"));
            let o = gguf(&[
                "edit",
                "-q",
                input.to_str().unwrap(),
                stripped.to_str().unwrap(),
                "--remove-metadata",
                "general.file_type",
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            input = stripped;
        }
        let out = tmp.path().join(format!("copy-{i}.gguf"));
        let o = gguf(&[
            "requant",
            "-q",
            "--to",
            "copy",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(
            sha256_file(&out),
            digest,
            "{name} (without general.file_type: {strip})"
        );
        // The properties behind the digest: same tensors, byte for byte; the file type.
        let (a, b) = (std::fs::read(&input).unwrap(), std::fs::read(&out).unwrap());
        let (ga, gb) = (
            gguf_format::Gguf::parse(&a).unwrap(),
            gguf_format::Gguf::parse(&b).unwrap(),
        );
        assert_eq!(ga.tensors().len(), gb.tensors().len());
        for t in ga.tensors() {
            let u = gb.tensor(t.name).unwrap();
            assert_eq!((t.ggml_type, t.dims()), (u.ggml_type, u.dims()), "{}", t.name);
            assert_eq!(
                ga.tensor_data(t).unwrap(),
                gb.tensor_data(u).unwrap(),
                "{}",
                t.name
            );
        }
        assert_eq!(
            gb.get("general.file_type").and_then(|v| v.as_uint()),
            Some(file_type)
        );
    }
    // A dry run names the file type COPY writes.
    let o = gguf_in(
        &golden_dir(),
        &[
            "requant",
            "--dry-run",
            "--json",
            "--to",
            "COPY",
            "tiny-Q4_K_M.gguf",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (doc["report"]["target"].as_str(), doc["report"]["ftype"].as_u64()),
        (Some("COPY"), Some(15))
    );
    // COPY is listed; 0 still means F32.
    let o = gguf(&["requant", "--list"]);
    assert!(
        stdout(&o).lines().any(|l| l.starts_with("COPY ")),
        "{}",
        stdout(&o)
    );
}

/// Without OUT, the output is llama-quantize's: ggml-model-FTYPE.gguf beside IN.
#[test]
fn default_output_name_is_llama_quantizes() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("models");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(golden_dir().join("tiny-f32.gguf"), sub.join("tiny-f32.gguf")).unwrap();
    for (to, name) in [
        ("q4_k_m", "ggml-model-Q4_K_M.gguf"),
        ("15", "ggml-model-Q4_K.gguf"),
    ] {
        let o = gguf_in(tmp.path(), &["requant", "-q", "--to", to, "models/tiny-f32.gguf"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_golden(&sub.join(name), "tiny-Q4_K_M.gguf");
    }
    let o = gguf_in(&sub, &["requant", "-q", "--to", "copy", "tiny-f32.gguf"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(sub.join("ggml-model-COPY.gguf").is_file());
    assert_eq!(
        files_in(&sub),
        [
            "ggml-model-COPY.gguf",
            "ggml-model-Q4_K.gguf",
            "ggml-model-Q4_K_M.gguf",
            "tiny-f32.gguf"
        ]
    );
}

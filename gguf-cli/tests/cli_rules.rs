//! The rules every command keeps (issue 21 §3): an existing output is
//! replaced only with `--force` and an input never; a closed standard output
//! ends quietly with exit 0; exit codes and messages that say what went
//! wrong and what to do.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Exit code 2, one line on stderr containing every `want`.
#[track_caller]
fn refused(o: &Output, want: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for w in want {
        assert!(e.contains(w), "{e:?} lacks {w:?}");
    }
    assert_eq!(e.lines().count(), 1, "one line: {e}");
}

#[track_caller]
fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(o));
}

/// Every file in `dir` with its bytes.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
}

/// A working directory holding a copy of tiny-llama-f32 as `in.gguf` and
/// its three-shard split as `s-0000N-of-00003.gguf`.
fn workdir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(testdata("tiny-llama-f32.gguf"), tmp.path().join("in.gguf")).unwrap();
    ok(&gguf_in(
        tmp.path(),
        &["split", "-q", "--split-max-tensors", "8", "in.gguf", "s"],
    ));
    tmp
}

/// Each writing command, as (arguments, its output files), writing to `out`
/// (a prefix for split).
fn writers(out: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let f = format!("{out}.gguf");
    vec![
        (
            v(&["requant", "-q", "--to", "q8_0", "in.gguf", &f]),
            vec![f.clone()],
        ),
        (
            v(&["convert", "-q", "--endian", "big", "in.gguf", &f]),
            vec![f.clone()],
        ),
        (
            v(&["edit", "-q", "in.gguf", &f, "--general-name", "x"]),
            vec![f.clone()],
        ),
        (v(&["merge", "-q", "s-00001-of-00003.gguf", &f]), vec![f.clone()]),
        (
            v(&["split", "-q", "--split-max-tensors", "11", "in.gguf", out]),
            vec![
                format!("{out}-00001-of-00002.gguf"),
                format!("{out}-00002-of-00002.gguf"),
            ],
        ),
    ]
}

fn run(dir: &Path, args: &[String], extra: &[&str]) -> Output {
    let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
    a.extend_from_slice(extra);
    gguf_in(dir, &a)
}

#[test]
fn an_existing_output_is_replaced_only_with_force() {
    let tmp = workdir();
    let d = tmp.path();
    for (args, outputs) in writers("out") {
        // Only the last output exists: still refused, and nothing written.
        let last = outputs.last().unwrap();
        std::fs::write(d.join(last), b"precious").unwrap();
        let before = contents(d);
        refused(
            &run(d, &args, &[]),
            &[&format!("output {last} exists"), "pass --force to replace it"],
        );
        assert_eq!(contents(d), before, "{args:?}: nothing written");
        ok(&run(d, &args, &["--force"]));
        for o in &outputs {
            let bytes = std::fs::read(d.join(o)).unwrap();
            assert!(bytes.starts_with(b"GGUF"), "{args:?}: {o} replaced");
        }
        for o in &outputs {
            std::fs::remove_file(d.join(o)).unwrap();
        }
    }
    // The dry runs write nothing and need no --force.
    std::fs::write(d.join("x.gguf"), b"precious").unwrap();
    for args in [
        &["requant", "--dry-run", "--to", "q8_0", "in.gguf", "x.gguf"][..],
        &["convert", "--dry-run", "--endian", "big", "in.gguf", "x.gguf"],
        &["merge", "--dry-run", "s-00001-of-00003.gguf", "x.gguf"],
    ] {
        ok(&gguf_in(d, args));
    }
    assert_eq!(std::fs::read(d.join("x.gguf")).unwrap(), b"precious");
}

#[test]
fn import_keeps_an_existing_output_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let src = golden_dir().join("import/models/qwen3-bpe");
    assert!(src.is_dir(), "{} is missing", src.display());
    let out = tmp.path().join("out.gguf");
    std::fs::write(&out, b"precious").unwrap();
    let o = gguf(&["import", src.to_str().unwrap(), out.to_str().unwrap()]);
    refused(&o, &["exists", "--force"]);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
}

#[test]
fn an_input_is_never_an_output_even_with_force() {
    let tmp = workdir();
    let d = tmp.path();
    std::fs::hard_link(d.join("in.gguf"), d.join("hard.gguf")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("in.gguf", d.join("link.gguf")).unwrap();
    let before = contents(d);
    let mut cases: Vec<&[&str]> = vec![
        &["requant", "--to", "q8_0", "in.gguf", "in.gguf"],
        &["requant", "--to", "q8_0", "in.gguf", "./hard.gguf"],
        &["convert", "--endian", "big", "in.gguf", "in.gguf"],
        &["convert", "--endian", "big", "in.gguf", "hard.gguf"],
        &["edit", "--general-name", "x", "in.gguf", "hard.gguf"],
        // A shard of the input among the outputs.
        &["merge", "s-00001-of-00003.gguf", "s-00002-of-00003.gguf"],
        &["split", "--split-max-tensors", "8", "s-00001-of-00003.gguf", "s"],
        &["convert", "--endian", "big", "s-00001-of-00003.gguf", "s"],
        &[
            "requant",
            "--keep-split",
            "--to",
            "q8_0",
            "s-00001-of-00003.gguf",
            "s",
        ],
    ];
    #[cfg(unix)]
    cases.push(&["requant", "--to", "q8_0", "in.gguf", "link.gguf"]);
    for args in cases {
        for force in [false, true] {
            let mut a = args.to_vec();
            if force {
                a.push("--force");
            }
            let o = gguf_in(d, &a);
            refused(&o, &["is the input file", "--force never replaces an input"]);
            assert!(
                stderr(&o).contains(&format!("output {}", args[args.len() - 1]))
                    || stderr(&o).contains("output s-0000"),
                "{a:?}: names the output: {}",
                stderr(&o)
            );
        }
    }
    assert_eq!(contents(d), before, "nothing written");
}

/// Runs `gguf ARGS` with standard output a pipe whose reader is already gone.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_gguf"))
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let f32 = "testdata/tiny-llama-f32.gguf";
    let f16 = "testdata/tiny-llama-f16.gguf";
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o.gguf");
    let out = out.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["inspect", f32],
        &["inspect", "--json", f32],
        &["inspect", "--json", f32, f16],
        &["inspect", "--key", "general.architecture", f32],
        &["inspect", "--ctx", "4096", "--json", f32],
        // differences found (exit 1 when stdout is read): still 0
        &["diff", f32, f16],
        &["diff", "--json", f32, f16],
        &["diff", "--metadata-only", "--json", f32, f16],
        &["requant", "--list"],
        &["requant", "--dry-run", "--to", "q4_k_m", f32],
        &["requant", "--dry-run", "--to", "q4_k_m", "--json", f32],
        &["requant", "--dry-run", "--to", "all", f32],
        &["requant", "--dry-run", "--to", "all", "--json", "--quality", f32],
        &["split", "--dry-run", f32, out],
        &["merge", "--dry-run", f32, out],
        &["convert", "--dry-run", "--endian", "big", f32, out],
        &["edit", "--dry-run", f32, out, "--general-name", "x"],
        &[
            "edit",
            "--dry-run",
            "--in-place",
            f32,
            "--set",
            "llama.context_length=9",
        ],
        &["import", "--list"],
        &["--help"],
    ];
    for args in cases {
        let o = with_closed_stdout(args);
        // `merge` of an unsplit file is refused before printing anything.
        if args[0] == "merge" {
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert!(!stderr(&o).contains("Broken pipe"), "{args:?}: {}", stderr(&o));
            continue;
        }
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
    }
    assert!(!Path::new(out).exists());
}

#[test]
fn diff_json_exits_as_the_text_mode_does() {
    let f32 = "testdata/tiny-llama-f32.gguf";
    for json in [false, true] {
        let with = |a: &[&str]| {
            let mut v = vec!["diff"];
            v.extend_from_slice(a);
            if json {
                v.push("--json");
            }
            gguf(&v)
        };
        let same = with(&[f32, f32]);
        assert_eq!(same.status.code(), Some(0), "json {json}: {}", stderr(&same));
        let differ = with(&[f32, "testdata/tiny-llama-f16.gguf"]);
        assert_eq!(differ.status.code(), Some(1), "json {json}: {}", stderr(&differ));
        let meta = with(&["--metadata-only", f32, "testdata/all-value-types.gguf"]);
        assert_eq!(meta.status.code(), Some(1), "json {json}");
        if json {
            let doc: serde_json::Value = serde_json::from_slice(&differ.stdout).unwrap();
            assert!(doc["report"]["summary"]["different"].as_u64().unwrap() > 0);
        }
        refused(&with(&[f32, "testdata/no-such.gguf"]), &["testdata/no-such.gguf"]);
    }
}

#[test]
fn a_url_names_the_commands_that_read_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let url = "https://example.com/m.gguf";
    let local = testdata("tiny-llama-f32.gguf");
    let local = local.to_str().unwrap();
    for args in [
        &["diff", url, local][..],
        &["diff", local, "http://example.com/m.gguf"],
        &["edit", url, "o.gguf", "--general-name", "x"],
        &["edit", "--in-place", url, "--set", "a=1"],
        &["split", url, "o"],
        &["merge", "hf://owner/repo/m-00001-of-00002.gguf", "o.gguf"],
        &["convert", "--endian", "big", url, "o.gguf"],
    ] {
        let o = gguf_in(d, args);
        refused(&o, &["reads local files only", "gguf inspect"]);
        assert!(!stderr(&o).contains("No such file"), "{args:?}: {}", stderr(&o));
    }
    // requant reads a URL's header for --dry-run, and says so.
    refused(
        &gguf_in(d, &["requant", "--to", "q8_0", url, "o.gguf"]),
        &[
            "download the model first",
            "--dry-run without --quality works on a URL",
        ],
    );
    assert_eq!(contents(d), vec![], "nothing written");
}

#[test]
fn requant_type_hints() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let input = testdata("tiny-llama-f32.gguf");
    let input = input.to_str().unwrap();
    // llama-quantize's order: IN OUT TYPE.
    refused(
        &gguf_in(d, &["requant", input, "out.gguf", "q4_k_m"]),
        &["\"q4_k_m\"", "--to q4_k_m"],
    );
    refused(
        &gguf_in(d, &["requant", input, "q4_k_m"]),
        &["needs --to", "--to q4_k_m"],
    );
    refused(
        &gguf_in(d, &["requant", "--to", "q4_k_n", input, "out.gguf"]),
        &["unknown target type \"q4_k_n\"; did you mean Q4_K_M?"],
    );
    refused(
        &gguf_in(d, &["requant", "--to", "IQ4_XSS", input, "out.gguf"]),
        &["did you mean IQ4_XS?"],
    );
    let far = gguf_in(d, &["requant", "--to", "banana", input, "out.gguf"]);
    refused(&far, &["unknown target type \"banana\"", "--list"]);
    assert!(!stderr(&far).contains("did you mean"), "{}", stderr(&far));
    refused(
        &gguf_in(d, &["import", "--to", "q8_1x", "no-dir", "out.gguf"]),
        &["unknown target type", "did you mean"],
    );
    assert_eq!(contents(d), vec![], "nothing written");
}

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
    refused(
        &gguf_in(d, &["import", "hf://owner/model", "o.gguf"]),
        &["reads a local model directory", "download it first"],
    );
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

#[test]
fn edit_keeps_key_types_unless_told() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let input = testdata("tiny-llama-f32.gguf");
    let input = input.to_str().unwrap();
    let edit = |extra: &[&str]| {
        let mut a = vec!["edit", "-q", input, "e.gguf"];
        a.extend_from_slice(extra);
        gguf_in(d, &a)
    };
    let context_type = || {
        let bytes = std::fs::read(d.join("e.gguf")).unwrap();
        let g = gguf_format::Gguf::parse(&bytes).unwrap();
        let v = g.get("llama.context_length").unwrap();
        (v.type_name(), v.as_uint())
    };
    // llama.context_length is UINT32: another type needs --change-type.
    refused(
        &edit(&["--set", "llama.context_length=u64:8192"]),
        &[
            "--set llama.context_length is UINT32 in the file, not UINT64",
            "llama.cpp",
            "as UINT32",
            "--change-type",
        ],
    );
    assert_eq!(contents(d), vec![], "nothing written");
    ok(&edit(&["--set", "llama.context_length=u32:8192"]));
    assert_eq!(context_type(), ("UINT32".to_string(), Some(8192)));
    ok(&edit(&[
        "--force",
        "--change-type",
        "--set",
        "llama.context_length=u64:8192",
    ]));
    assert_eq!(context_type(), ("UINT64".to_string(), Some(8192)));
    std::fs::remove_file(d.join("e.gguf")).unwrap();

    // In place a type never changes.
    refused(
        &gguf_in(
            d,
            &[
                "edit",
                "--in-place",
                "--dry-run",
                input,
                "--set",
                "llama.context_length=u64:8192",
            ],
        ),
        &["llama.context_length is UINT32, not UINT64: in place the type cannot change"],
    );
    // An unknown type is named, with the ones there are, in a copy and in place.
    for args in [
        vec!["edit", input, "e.gguf", "--set", "foo=u33:7"],
        vec![
            "edit",
            "--in-place",
            "--dry-run",
            input,
            "--set",
            "llama.context_length=u33:7",
        ],
    ] {
        refused(
            &gguf_in(d, &args),
            &[
                "--set",
                "unknown type \"u33\"",
                "u8 i8 u16 i16 u32 i32 u64 i64 f32 f64 bool str",
                "array[T]",
            ],
        );
    }
    // A key to remove must be there, as a key to rename must.
    refused(
        &edit(&["--remove-metadata", "no.such.key"]),
        &["--remove-metadata no.such.key: no such key"],
    );
    refused(
        &edit(&["--rename", "no.such.key=x"]),
        &["--rename", "no key no.such.key"],
    );
    assert_eq!(contents(d), vec![], "nothing written");
    ok(&edit(&["--remove-metadata", "general.name"]));
}

#[test]
fn messages_say_what_the_file_is() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("a.zip"),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a zip",
    )
    .unwrap();
    for args in [&["inspect", "a.zip"][..], &["diff", "a.zip", "a.zip"]] {
        refused(
            &gguf_in(d, args),
            &[
                "a.zip: not a GGUF file: magic 'PK\\x03\\x04', expected 'GGUF'",
                "zip",
            ],
        );
    }
    let o = gguf(&[
        "merge",
        "testdata/tiny-llama-f32.gguf",
        d.join("m.gguf").to_str().unwrap(),
    ]);
    refused(
        &o,
        &[
            "testdata/tiny-llama-f32.gguf is not a split shard",
            "nothing to merge",
        ],
    );
    assert!(!stderr(&o).contains("cannot write GGUF"), "{}", stderr(&o));
    assert!(!d.join("m.gguf").exists());
}

/// tiny-llama-f32 cut off in its first tensor's data: the header is whole.
fn truncated(dir: &Path) -> String {
    let full = std::fs::read(testdata("tiny-llama-f32.gguf")).unwrap();
    let path = dir.join("cut.gguf");
    std::fs::write(&path, &full[..20_000]).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_truncated_file_works_where_the_header_is_enough() {
    let tmp = tempfile::tempdir().unwrap();
    let cut = truncated(tmp.path());
    let full = testdata("tiny-llama-f32.gguf");
    let full = full.to_str().unwrap();
    for json in [false, true] {
        let j = |mut v: Vec<&'static str>| {
            if json {
                v.push("--json");
            }
            v
        };
        let o = gguf(&[j(vec!["diff", "--metadata-only"]), vec![&cut, full]].concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let o = gguf(
            &[
                j(vec!["diff", "--metadata-only"]),
                vec![&cut, "testdata/tiny-llama-f16.gguf"],
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(1), "types differ: {}", stderr(&o));
        for to in ["q4_k_m", "all"] {
            let o = gguf(&[j(vec!["requant", "--dry-run", "--to", to]), vec![&cut]].concat());
            ok(&o);
            let o2 = gguf(&[j(vec!["requant", "--dry-run", "--to", to]), vec![full]].concat());
            assert_eq!(
                stdout(&o).replace(&cut, "IN"),
                stdout(&o2).replace(full, "IN"),
                "the plan of the header alone is the plan of the whole file"
            );
        }
    }
}

#[test]
fn a_truncated_file_is_named_truncated_where_data_is_needed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cut = truncated(d);
    let full = testdata("tiny-llama-f32.gguf");
    let full = full.to_str().unwrap();
    let out = d.join("out.gguf");
    let out = out.to_str().unwrap();
    let want = [
        "tensor at byte 7847 (token_embd.weight): data bytes 9088..85888 lie past the end of the file (20000 bytes)",
        "truncated",
    ];
    for args in [
        &["diff", cut.as_str(), full][..],
        &["diff", "--json", full, cut.as_str()],
        &["requant", "--dry-run", "--quality", "--to", "q8_0", cut.as_str()],
        &["requant", "--to", "q8_0", cut.as_str(), out],
        &["convert", "--endian", "big", cut.as_str(), out],
        &["split", cut.as_str(), d.join("s").to_str().unwrap()],
        &["edit", cut.as_str(), out, "--general-name", "x"],
    ] {
        refused(&gguf(args), &want);
    }
    let mut left = contents(d);
    left.retain(|(n, _)| n != "cut.gguf");
    assert_eq!(left, vec![], "nothing written");
}

#[test]
fn inspect_says_what_llama_cpp_does_with_old_versions_and_the_other_byte_order() {
    let cases = [
        (
            "testdata/v1-small.gguf",
            vec![
                "GGUF v1: llama.cpp refuses it (\"GGUFv1 is no longer supported\")",
                "`gguf convert --endian little --version 3 testdata/v1-small.gguf OUT`",
            ],
        ),
        (
            "testdata/v2-small.gguf",
            vec![
                "GGUF v2: llama.cpp still loads it",
                "`gguf convert --endian little --version 3 testdata/v2-small.gguf OUT`",
            ],
        ),
        (
            "testdata/tiny-llama-f32-be.gguf",
            vec![
                "big-endian: llama.cpp on a little-endian machine",
                "refuses it",
                "`gguf convert --endian little testdata/tiny-llama-f32-be.gguf OUT`",
            ],
        ),
    ];
    for (file, want) in &cases {
        let text = gguf(&["inspect", "--no-metadata", "--no-tensors", file]);
        ok(&text);
        let json = gguf(&["inspect", "--json", "--max-array", "0", file]);
        ok(&json);
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let warnings = doc["files"][0]["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{file}: {warnings:?}");
        let warning = warnings[0].as_str().unwrap();
        assert!(
            stdout(&text).contains(&format!("  warning      {warning}\n")),
            "{file}: {}",
            stdout(&text)
        );
        for w in want {
            assert!(warning.contains(w), "{file}: {warning:?} lacks {w:?}");
        }
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&gguf(&["inspect", "--json", "testdata/tiny-llama-f32.gguf"]).stdout).unwrap();
    assert_eq!(
        doc["files"][0]["warnings"],
        serde_json::json!([]),
        "v3, little-endian: no warning"
    );

    // The commands the warnings give do what they say.
    let tmp = tempfile::tempdir().unwrap();
    for (file, _) in &cases {
        let out = tmp.path().join("fixed.gguf");
        let args: Vec<&str> = if file.contains("-be") {
            vec!["convert", "-q", "--force", "--endian", "little", file]
        } else {
            vec![
                "convert",
                "-q",
                "--force",
                "--endian",
                "little",
                "--version",
                "3",
                file,
            ]
        };
        ok(&gguf(&[args, vec![out.to_str().unwrap()]].concat()));
        let doc: serde_json::Value =
            serde_json::from_slice(&gguf(&["inspect", "--json", out.to_str().unwrap()]).stdout).unwrap();
        assert_eq!(
            doc["files"][0]["warnings"],
            serde_json::json!([]),
            "{file} converted"
        );
        assert_eq!(doc["files"][0]["version"], 3, "{file} converted");
    }
}

//! `gguf split`, `merge`, `edit` and `convert` as a user runs them: the
//! binary's output equals llama-gguf-split's, gguf-new-metadata's,
//! gguf-set-metadata's and gguf-convert-endian's (`testdata/golden/`; the
//! outputs there are digests, checked by `common::golden`),
//! round trips give the input back, bad shard sets are refused by name, and
//! nothing is left half-written.

mod common;

use common::*;
use std::path::Path;

/// A golden file's path (made and checked by digest if only its digest is kept).
fn golden(name: &str) -> String {
    common::golden(name).to_str().unwrap().to_string()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn same(a: &Path, b: &str) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(o));
}

/// Exit code 2 and one line on stderr containing `want`.
fn refused(o: &std::process::Output, want: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let e = stderr(o);
    assert!(e.contains(want), "{e:?} lacks {want:?}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn split_and_merge_equal_llama_gguf_split() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&gguf_in(
        d,
        &[
            "split",
            "-q",
            "--split-max-tensors",
            "8",
            &golden("tiny-Q4_K_M.gguf"),
            "t",
        ],
    ));
    ok(&gguf_in(
        d,
        &[
            "split",
            "-q",
            "--split-max-size",
            "1M",
            &golden("odd-Q4_K_M.gguf"),
            "o",
        ],
    ));
    for i in 1..=3 {
        let n = format!("tiny-Q4_K_M-0000{i}-of-00003.gguf");
        assert!(
            same(
                &d.join(format!("t-0000{i}-of-00003.gguf")),
                &golden(&format!("edit-split/{n}"))
            ),
            "{n}"
        );
    }
    for i in 1..=5 {
        let n = format!("odd-Q4_K_M-0000{i}-of-00005.gguf");
        assert!(
            same(
                &d.join(format!("o-0000{i}-of-00005.gguf")),
                &golden(&format!("edit-split/{n}"))
            ),
            "{n}"
        );
    }
    ok(&gguf_in(
        d,
        &["merge", "-q", "t-00001-of-00003.gguf", "merged.gguf"],
    ));
    assert!(same(
        &d.join("merged.gguf"),
        &golden("edit-split/tiny-Q4_K_M-merged.gguf")
    ));
    // llama-gguf-split's habit: an existing output is not replaced without --force.
    refused(
        &gguf_in(d, &["merge", "t-00001-of-00003.gguf", "merged.gguf"]),
        "exists; pass --force",
    );
    ok(&gguf_in(
        d,
        &["merge", "-q", "--force", "t-00001-of-00003.gguf", "merged.gguf"],
    ));

    // Re-splitting a split model splits the whole model.
    ok(&gguf_in(
        d,
        &[
            "split",
            "-q",
            "--split-max-tensors",
            "8",
            "o-00001-of-00005.gguf",
            "r",
        ],
    ));
    let o = gguf_in(
        d,
        &["inspect", "--json", "--max-array", "0", "r-00001-of-00003.gguf"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files"][0]["tensor_count"], 21);
}

#[test]
fn split_dry_run_lists_shards_and_tensors() {
    let tmp = tempfile::tempdir().unwrap();
    let o = gguf_in(
        tmp.path(),
        &[
            "split",
            "--dry-run",
            "--split-max-tensors",
            "8",
            "--no-tensor-first-split",
            &golden("tiny-Q4_K_M.gguf"),
            "t",
        ],
    );
    ok(&o);
    let text = stdout(&o);
    assert!(text.contains("t-00001-of-00004.gguf"), "{text}");
    assert!(text.contains("4 files,"), "{text}");
    assert!(
        text.contains("\nt-00004-of-00004.gguf\n  blk.1.attn_v.weight\n"),
        "{text}"
    );
    assert!(
        text.contains(" t-00001-of-00004.gguf         0     23 "),
        "metadata only: {text}"
    );
    assert!(names_in(tmp.path()).is_empty(), "a dry run writes nothing");
}

#[test]
fn edit_equals_gguf_new_metadata_and_gguf_set_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let input = golden("tiny-Q4_K_M.gguf");
    let mut args = vec!["edit", "-q", &input, "new.gguf"];
    args.extend_from_slice(NEW_METADATA_EDIT);
    ok(&gguf_in(d, &args));
    assert_golden(&d.join("new.gguf"), "edit-split/tiny-Q4_K_M-newmeta.gguf");

    std::fs::copy(golden("tiny-Q4_K_M.gguf"), d.join("m.gguf")).unwrap();
    let mut perms = std::fs::metadata(d.join("m.gguf")).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(d.join("m.gguf"), perms).unwrap();
    let o = gguf_in(
        d,
        &[
            "edit",
            "--in-place",
            "--dry-run",
            "m.gguf",
            "--set",
            "tokenizer.ggml.bos_token_id=5",
        ],
    );
    ok(&o);
    assert_eq!(stdout(&o), "tokenizer.ggml.bos_token_id: 1 → 5\n");
    assert!(
        same(&d.join("m.gguf"), &golden("tiny-Q4_K_M.gguf")),
        "a dry run changes nothing"
    );
    ok(&gguf_in(
        d,
        &[
            "edit",
            "-q",
            "--in-place",
            "m.gguf",
            "--set",
            "tokenizer.ggml.bos_token_id=5",
        ],
    ));
    assert!(same(
        &d.join("m.gguf"),
        &golden("edit-split/tiny-Q4_K_M-setmeta.gguf")
    ));

    // What in place cannot do is refused, naming the key, and changes nothing.
    for (set, want) in [
        ("general.name=x", "general.name is STRING"),
        ("missing.key=1", "missing.key: no such key"),
        ("tokenizer.ggml.bos_token_id=-1", "is not a UINT32 value"),
        ("tokenizer.ggml.bos_token_id=f32:1", "the type cannot change"),
    ] {
        refused(&gguf_in(d, &["edit", "--in-place", "m.gguf", "--set", set]), want);
    }
    assert!(same(
        &d.join("m.gguf"),
        &golden("edit-split/tiny-Q4_K_M-setmeta.gguf")
    ));
}

#[test]
fn edit_sets_any_type_and_renames() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&gguf_in(
        d,
        &[
            "edit",
            "-q",
            &golden("tiny-Q4_K_M.gguf"),
            "e.gguf",
            "--set",
            "general.name=https://example.com/m",
            "--set",
            "llama.context_length=8192",
            "--set",
            "tokenizer.ggml.eos_token_ids=array[u32]:[2, 7]",
            "--set",
            "general.url=str:https://example.com/u",
            "--rename",
            "llama.vocab_size=llama.n_vocab",
            "--special-token",
            "bos",
            "<t9>",
        ],
    ));
    let bytes = std::fs::read(d.join("e.gguf")).unwrap();
    let g = gguf_format::Gguf::parse(&bytes).unwrap();
    assert_eq!(
        g.get_str("general.name").unwrap(),
        "https://example.com/m",
        "not a type: the whole value"
    );
    assert_eq!(g.get_str("general.url").unwrap(), "https://example.com/u");
    assert_eq!(
        g.get_u32("llama.context_length").unwrap(),
        8192,
        "cast to the key's type"
    );
    let ids: Vec<u32> = g
        .get_array("tokenizer.ggml.eos_token_ids")
        .unwrap()
        .values()
        .unwrap()
        .collect();
    assert_eq!(ids, [2, 7]);
    assert!(g.get("llama.vocab_size").is_none());
    assert_eq!(g.get_u32("llama.n_vocab").unwrap(), 512);
    assert_eq!(g.get_u32("tokenizer.ggml.bos_token_id").unwrap(), 9);
    let keys: Vec<&str> = g.metadata().iter().map(|kv| kv.key).collect();
    // Keys the file has change where they are; new ones go last, in order.
    assert_eq!(
        &keys[keys.len() - 2..],
        ["tokenizer.ggml.eos_token_ids", "general.url"]
    );
    let src_keys: Vec<String> = gguf_format::Gguf::parse(&std::fs::read(golden("tiny-Q4_K_M.gguf")).unwrap())
        .unwrap()
        .metadata()
        .iter()
        .map(|kv| kv.key.replace("llama.vocab_size", "llama.n_vocab"))
        .collect();
    assert_eq!(&keys[..keys.len() - 2], &src_keys[..]);
    // Tensor data is copied untouched.
    let src_bytes = std::fs::read(golden("tiny-Q4_K_M.gguf")).unwrap();
    let src = gguf_format::Gguf::parse(&src_bytes).unwrap();
    for t in src.tensors() {
        assert_eq!(
            g.tensor_data(g.tensor(t.name).unwrap()).unwrap(),
            src.tensor_data(t).unwrap()
        );
    }

    for (args, want) in [
        (&["--set", "new.key=5"][..], "give its type"),
        (&["--special-token", "bos", "<nope>"][..], "unable to find"),
        (&["--special-token", "bogus", "<t1>"][..], "unknown special token"),
        (
            &["--special-token-by-id", "eos", "512"][..],
            "not within the token list",
        ),
        (&["--rename", "llama.vocab_size=general.name"][..], "both"),
        (
            &["--set", "llama.context_length=abc"][..],
            "is not a UINT32 value",
        ),
    ] {
        let mut a = vec!["edit", golden("tiny-Q4_K_M.gguf").leak(), "bad.gguf"];
        a.extend_from_slice(args);
        refused(&gguf_in(d, &a), want);
    }
    assert!(!d.join("bad.gguf").exists());
}

#[test]
fn convert_equals_gguf_convert_endian_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (le, be) in [
        ("tiny-f32.gguf", "tiny-f32-be.gguf"),
        ("tiny-Q4_K_M.gguf", "tiny-Q4_K_M-be.gguf"),
    ] {
        ok(&gguf_in(
            d,
            &[
                "convert",
                "-q",
                "--force",
                "--endian",
                "big",
                &golden(le),
                "be.gguf",
            ],
        ));
        assert!(same(&d.join("be.gguf"), &golden(be)), "{be}");
        ok(&gguf_in(
            d,
            &[
                "convert", "-q", "--force", "--endian", "little", "be.gguf", "le.gguf",
            ],
        ));
        assert!(same(&d.join("le.gguf"), &golden(le)), "{le}");
    }
    // Beyond gguf-convert-endian: every quantized type there and back
    // (the same two outputs each time: replaced with --force).
    for f in [
        "odd-Q4_K_M.gguf",
        "odd-Q2_K.gguf",
        "odd-Q3_K_M.gguf",
        "odd-Q5_K_S.gguf",
        "tiny-Q5_1.gguf",
        "tiny-Q4_1.gguf",
        "tiny-IQ4_XS-imat.gguf",
        "codecs.gguf",
    ] {
        ok(&gguf_in(
            d,
            &[
                "convert",
                "-q",
                "--force",
                "--endian",
                "big",
                &golden(f),
                "x-be.gguf",
            ],
        ));
        ok(&gguf_in(
            d,
            &[
                "convert",
                "-q",
                "--force",
                "--endian",
                "little",
                "x-be.gguf",
                "x.gguf",
            ],
        ));
        assert!(same(&d.join("x.gguf"), &golden(f)), "{f}");
        // A big-endian file decodes to the same numbers (diff swaps by the same layouts).
        let o = gguf_in(d, &["diff", &golden(f), "x-be.gguf", "--json"]);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = &doc["report"];
        assert!(
            r["skipped"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| !s["reason"].as_str().unwrap().contains("big-endian")),
            "{f}"
        );
        assert_eq!(r["summary"]["different"], 0, "{f}: {}", r["summary"]);
    }
    // A split model converts shard by shard, named after OUT.
    ok(&gguf_in(
        d,
        &[
            "convert",
            "-q",
            "--endian",
            "big",
            &golden("edit-split/tiny-Q4_K_M-00001-of-00003.gguf"),
            "s.gguf",
        ],
    ));
    assert_eq!(
        names_in(d).iter().filter(|n| n.starts_with("s-")).count(),
        3,
        "{:?}",
        names_in(d)
    );
}

/// A missing, extra or inconsistent shard is an exit-2 error naming the
/// file, and nothing is written.
#[test]
fn bad_shard_sets_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let put = |name: &str, from: &str| {
        std::fs::copy(golden(&format!("edit-split/{from}")), d.join(name)).unwrap();
    };
    let tiny = |i: u32| format!("tiny-Q4_K_M-0000{i}-of-00003.gguf");
    for i in 1..=3 {
        put(&format!("m-0000{i}-of-00003.gguf"), &tiny(i));
    }
    let commands: [&[&str]; 5] = [
        &["merge", "m-00001-of-00003.gguf", "out.gguf"],
        &["inspect", "m-00001-of-00003.gguf"],
        &[
            "requant",
            "--to",
            "q8_0",
            "--allow-requantize",
            "m-00001-of-00003.gguf",
            "out.gguf",
        ],
        &["edit", "m-00001-of-00003.gguf", "out.gguf", "--general-name", "x"],
        &["diff", "m-00001-of-00003.gguf", "m-00001-of-00003.gguf"],
    ];
    let all_refuse = |want: &str| {
        for c in commands {
            refused(&gguf_in(d, c), want);
            assert!(!d.join("out.gguf").exists() && !d.join("out-00001-of-00003.gguf").exists());
        }
    };
    // Another model's shard in second place.
    put("m-00002-of-00003.gguf", "odd-Q4_K_M-00002-of-00005.gguf");
    all_refuse("m-00002-of-00003.gguf: split.count is 5, the model has 3 shards");
    // A shard that repeats a tensor of the first.
    put("m-00002-of-00003.gguf", &tiny(1));
    all_refuse("m-00002-of-00003.gguf: split.no is 0, but this is shard 2 (split.no 1) of 3");
    // A missing shard.
    std::fs::remove_file(d.join("m-00002-of-00003.gguf")).unwrap();
    all_refuse("m-00002-of-00003.gguf: shard 2 of 3 of the split model cannot be opened");
    // A shard past the count.
    put("m-00002-of-00003.gguf", &tiny(2));
    put("m-00004-of-00003.gguf", &tiny(3));
    all_refuse("m-00004-of-00003.gguf: a shard numbered past split.count 3");
    std::fs::remove_file(d.join("m-00004-of-00003.gguf")).unwrap();
    // A first shard renamed so the others cannot be found.
    std::fs::rename(d.join("m-00001-of-00003.gguf"), d.join("first.gguf")).unwrap();
    refused(
        &gguf_in(d, &["merge", "first.gguf", "out.gguf"]),
        "first.gguf: split.count is 3, but the name does not end in -00001-of-00003.gguf",
    );
    // Merging a file that is not split.
    refused(
        &gguf_in(d, &["merge", &golden("tiny-Q4_K_M.gguf"), "out.gguf"]),
        "is not a split shard",
    );
}

/// All shards appear together or none does: when the last one cannot be put
/// in place, the ones already renamed are taken away again.
#[test]
fn a_failed_split_leaves_no_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir(d.join("t-00003-of-00003.gguf")).unwrap();
    let o = gguf_in(
        d,
        &[
            "split",
            "--split-max-tensors",
            "8",
            &golden("tiny-Q4_K_M.gguf"),
            "t",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        names_in(d),
        ["t-00003-of-00003.gguf"],
        "only the directory that was in the way"
    );
}

/// A split model edits as one: the first shard (which holds the metadata)
/// is edited, the others are copied, all named after OUT.
#[test]
fn edit_of_a_split_model_writes_every_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let first = golden("edit-split/tiny-Q4_K_M-00001-of-00003.gguf");
    ok(&gguf_in(
        d,
        &[
            "edit",
            "-q",
            &first,
            "e.gguf",
            "--general-name",
            "split and renamed",
        ],
    ));
    let o = gguf_in(
        d,
        &["inspect", "--json", "--max-array", "0", "e-00001-of-00003.gguf"],
    );
    ok(&o);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["files"][0]["name"], "split and renamed");
    assert_eq!(doc["files"][0]["tensor_count"], 21);
    for i in 2..=3 {
        assert!(
            same(
                &d.join(format!("e-0000{i}-of-00003.gguf")),
                &golden(&format!("edit-split/tiny-Q4_K_M-0000{i}-of-00003.gguf"))
            ),
            "shard {i} is copied as it is"
        );
    }
    // In place, the first shard alone changes.
    for i in 1..=3 {
        std::fs::copy(
            golden(&format!("edit-split/tiny-Q4_K_M-0000{i}-of-00003.gguf")),
            d.join(format!("m-0000{i}-of-00003.gguf")),
        )
        .unwrap();
    }
    let p = d.join("m-00001-of-00003.gguf");
    let mut perms = std::fs::metadata(&p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&p, perms).unwrap();
    ok(&gguf_in(
        d,
        &[
            "edit",
            "-q",
            "--in-place",
            "m-00001-of-00003.gguf",
            "--set",
            "llama.context_length=8192",
        ],
    ));
    refused(
        &gguf_in(
            d,
            &[
                "edit",
                "--in-place",
                "m-00001-of-00003.gguf",
                "--set",
                "split.count=4",
            ],
        ),
        "split.count: cannot change in place",
    );
}

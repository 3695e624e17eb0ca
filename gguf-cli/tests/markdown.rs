//! `gguf inspect --markdown` is gguf-py's `gguf_dump.py --markdown`,
//! character for character: compared with its output recorded in
//! `tests/data/markdown/` (see the README there for how it was made).

mod common;

use common::*;

fn data() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/markdown")
}

fn expected(name: &str) -> String {
    let p = data().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The first line that differs, for a readable failure.
fn assert_same(ours: &str, theirs: &str, what: &str) {
    if ours == theirs {
        return;
    }
    let (o, t): (Vec<&str>, Vec<&str>) = (ours.split('\n').collect(), theirs.split('\n').collect());
    let i = o
        .iter()
        .zip(&t)
        .position(|(a, b)| a != b)
        .unwrap_or(o.len().min(t.len()));
    panic!(
        "{what}: line {} differs from gguf_dump.py's\n ours: {:?}\ntheirs: {:?}",
        i + 1,
        o.get(i),
        t.get(i)
    );
}

#[test]
fn markdown_is_gguf_dumps() {
    let td = workspace().join("testdata");
    for f in [
        "tiny-llama-f16.gguf",
        "all-value-types.gguf",
        "all-ggml-types.gguf",
        "tiny-llama-f32-be.gguf",
        "v2-small.gguf",
        "golden/tiny.imatrix.gguf",
        "golden/tiny-Q4_K_M.gguf",
        "golden/odd-f16.gguf",
    ] {
        let o = gguf_in(&td, &["inspect", "--markdown", f]);
        assert!(o.status.success(), "{f}: {}", stderr(&o));
        let name = f.rsplit('/').next().unwrap().replace(".gguf", ".md");
        assert_same(&stdout(&o), &expected(&name), f);
    }
    let o = gguf_in(
        &td,
        &["inspect", "--markdown", "--no-tensors", "golden/odd-f16.gguf"],
    );
    assert_same(&stdout(&o), &expected("odd-f16-no-tensors.md"), "--no-tensors");
    let o = gguf_in(&data(), &["inspect", "--markdown", "edge.gguf"]);
    assert_same(&stdout(&o), &expected("edge.md"), "edge.gguf");
}

#[test]
fn markdown_conflicts_with_json_and_key() {
    for extra in [["--json", ""], ["--key", "general.name"]] {
        let mut args = vec!["inspect", "--markdown", "testdata/v2-small.gguf"];
        args.extend(extra.iter().filter(|a| !a.is_empty()));
        let o = gguf(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

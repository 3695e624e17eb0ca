//! Split, merge, edit and convert reproduce llama.cpp's and gguf-py's own
//! outputs byte for byte: `../shared/golden/edit-split/` (llama-gguf-split,
//! gguf-new-metadata, gguf-set-metadata) and `../shared/golden/*-be.gguf`
//! (gguf-convert-endian); see that folder's README for the commands.

use gguf_format::edit::{ChatTemplate, MetadataEdit, SetArg};
use gguf_format::split::{shard_path, SplitLimit};
use gguf_format::{ops, write_atomic_all, ByteOrder, ModelFiles};
use std::path::{Path, PathBuf};

fn golden(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden");
    assert!(
        dir.is_dir(),
        "golden files missing: expected {} (the shared/ folder beside the repository)",
        dir.display()
    );
    let p = dir.join(name);
    assert!(p.is_file(), "golden file missing: {}", p.display());
    p
}

/// Writes `outputs` as `names` in a temporary directory and returns the bytes.
fn write(m: &gguf_format::Model<'_>, outputs: &[ops::Output<'_>], names: &[String]) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.path().join(n)).collect();
    write_atomic_all(&paths, |i, w| outputs[i].write(m, w, &mut |_| {})).unwrap();
    for (o, p) in outputs.iter().zip(&paths) {
        assert_eq!(std::fs::metadata(p).unwrap().len(), o.file_size().unwrap());
    }
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// The first differing byte, for a readable failure.
fn assert_same(got: &[u8], want: &Path) {
    let want_bytes = std::fs::read(want).unwrap();
    if got != want_bytes {
        let at = got.iter().zip(&want_bytes).position(|(a, b)| a != b);
        panic!(
            "{}: {} bytes written, {} expected; first difference at byte {:?}",
            want.display(),
            got.len(),
            want_bytes.len(),
            at.unwrap_or(got.len().min(want_bytes.len()))
        );
    }
}

fn split_case(input: &str, limit: SplitLimit, count: usize) {
    let files = ModelFiles::open(golden(input)).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::split(&m, limit, false).unwrap();
    assert_eq!(outputs.len(), count);
    let stem = input.trim_end_matches(".gguf");
    let names: Vec<String> = (0..count).map(|i| shard_path(stem, i, count)).collect();
    for (got, name) in write(&m, &outputs, &names).iter().zip(&names) {
        assert_same(got, &golden(&format!("edit-split/{name}")));
    }
}

#[test]
fn split_by_tensor_count_equals_llama_gguf_split() {
    split_case("tiny-Q4_K_M.gguf", SplitLimit::Tensors(8), 3);
}

#[test]
fn split_by_size_equals_llama_gguf_split() {
    split_case("odd-Q4_K_M.gguf", SplitLimit::parse_size("1M").unwrap(), 5);
}

#[test]
fn merge_equals_llama_gguf_split() {
    let files = ModelFiles::open(golden("edit-split/tiny-Q4_K_M-00001-of-00003.gguf")).unwrap();
    assert_eq!(files.files().len(), 3);
    let m = files.parse().unwrap();
    let out = ops::merge(&m).unwrap();
    let got = write(&m, std::slice::from_ref(&out), &["merged.gguf".into()]);
    assert_same(&got[0], &golden("edit-split/tiny-Q4_K_M-merged.gguf"));

    // The 5-shard split merges back to the original's tensors too.
    let files = ModelFiles::open(golden("edit-split/odd-Q4_K_M-00001-of-00005.gguf")).unwrap();
    let m = files.parse().unwrap();
    let out = ops::merge(&m).unwrap();
    let got = write(&m, std::slice::from_ref(&out), &["merged.gguf".into()]);
    let merged = gguf_format::Gguf::parse(&got[0]).unwrap();
    let orig_bytes = std::fs::read(golden("odd-Q4_K_M.gguf")).unwrap();
    let orig = gguf_format::Gguf::parse(&orig_bytes).unwrap();
    assert_eq!(merged.tensors().len(), orig.tensors().len());
    for t in orig.tensors() {
        let u = merged.tensor(t.name).unwrap();
        assert_eq!(
            merged.tensor_data(u).unwrap(),
            orig.tensor_data(t).unwrap(),
            "{}",
            t.name
        );
    }
}

#[test]
fn edit_equals_gguf_new_metadata() {
    let files = ModelFiles::open(golden("tiny-Q4_K_M.gguf")).unwrap();
    let m = files.parse().unwrap();
    let e = MetadataEdit {
        general_name: Some("renamed model".into()),
        chat_template: Some(ChatTemplate::Text("{{ messages[0].content }}".into())),
        remove: vec!["tokenizer.ggml.scores".into()],
        special_tokens_by_id: vec![("eot".into(), "3".into())],
        ..MetadataEdit::default()
    };
    let (outputs, warnings) = ops::edit(&m, &e).unwrap();
    assert!(warnings.is_empty());
    let got = write(&m, &outputs, &["new.gguf".into()]);
    assert_same(&got[0], &golden("edit-split/tiny-Q4_K_M-newmeta.gguf"));
}

#[test]
fn in_place_edit_equals_gguf_set_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    std::fs::copy(golden("tiny-Q4_K_M.gguf"), &path).unwrap();
    let file = gguf_format::GgufFile::open(&path).unwrap();
    let g = file.parse().unwrap();
    let patches =
        gguf_format::edit::plan_in_place(&g, &[SetArg::parse("tokenizer.ggml.bos_token_id=5").unwrap()])
            .unwrap();
    let written = gguf_format::edit::write_in_place(&path, file.as_bytes(), &patches).unwrap();
    assert_eq!(written, 4, "one u32");
    drop(g);
    drop(file);
    assert_same(
        &std::fs::read(&path).unwrap(),
        &golden("edit-split/tiny-Q4_K_M-setmeta.gguf"),
    );
}

fn convert_case(input: &str, want: &str) {
    let files = ModelFiles::open(golden(input)).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::convert(&m, ByteOrder::Big, None).unwrap();
    let got = write(&m, &outputs, &["be.gguf".into()]);
    assert_same(&got[0], &golden(want));

    // And back: the original bytes.
    let files = ModelFiles::open(golden(want)).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::convert(&m, ByteOrder::Little, None).unwrap();
    let back = write(&m, &outputs, &["le.gguf".into()]);
    assert_same(&back[0], &golden(input));
}

#[test]
fn convert_equals_gguf_convert_endian() {
    convert_case("tiny-f32.gguf", "tiny-f32-be.gguf");
    convert_case("tiny-Q4_K_M.gguf", "tiny-Q4_K_M-be.gguf");
}

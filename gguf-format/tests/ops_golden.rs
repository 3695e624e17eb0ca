//! Split, merge, edit and convert reproduce llama.cpp's and gguf-py's own
//! outputs byte for byte: llama-gguf-split, gguf-new-metadata,
//! gguf-set-metadata and gguf-convert-endian (`testdata/golden/README.md`
//! gives the commands). Their outputs are kept as digests: each file made
//! here is compared with [`golden::assert_same`]. The split of the model
//! with 640-wide rows (`odd-Q4_K_M`, itself a llama-quantize output) is
//! checked in gguf-quant's `requant_golden`, which can make its input.

use gguf_format::edit::{ChatTemplate, MetadataEdit, SetArg};
use gguf_format::split::{shard_path, SplitLimit};
use gguf_format::{ops, write_atomic_all, ByteOrder, ModelFiles};
use gguf_testdata::golden;
use std::path::PathBuf;

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

/// llama-gguf-split's three shards of tiny-Q4_K_M.gguf (8 tensors each),
/// made here and checked by digest, in a temporary directory.
fn tiny_shards() -> (tempfile::TempDir, Vec<PathBuf>) {
    let files = ModelFiles::open(golden::path("tiny-Q4_K_M.gguf")).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::split(&m, SplitLimit::Tensors(8), false).unwrap();
    assert_eq!(outputs.len(), 3);
    let names: Vec<String> = (0..3).map(|i| shard_path("tiny-Q4_K_M", i, 3)).collect();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.path().join(n)).collect();
    for ((bytes, name), p) in write(&m, &outputs, &names).iter().zip(&names).zip(&paths) {
        golden::assert_same(&format!("edit-split/{name}"), bytes);
        std::fs::write(p, bytes).unwrap();
    }
    (dir, paths)
}

#[test]
fn split_by_tensor_count_equals_llama_gguf_split() {
    tiny_shards();
}

#[test]
fn merge_equals_llama_gguf_split() {
    let (_dir, shards) = tiny_shards();
    let files = ModelFiles::open(&shards[0]).unwrap();
    assert_eq!(files.files().len(), 3);
    let m = files.parse().unwrap();
    let out = ops::merge(&m).unwrap();
    let got = write(&m, std::slice::from_ref(&out), &["merged.gguf".into()]);
    golden::assert_same("edit-split/tiny-Q4_K_M-merged.gguf", &got[0]);
}

#[test]
fn edit_equals_gguf_new_metadata() {
    let files = ModelFiles::open(golden::path("tiny-Q4_K_M.gguf")).unwrap();
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
    golden::assert_same("edit-split/tiny-Q4_K_M-newmeta.gguf", &got[0]);
}

#[test]
fn in_place_edit_equals_gguf_set_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    std::fs::copy(golden::path("tiny-Q4_K_M.gguf"), &path).unwrap();
    let file = gguf_format::GgufFile::open(&path).unwrap();
    let g = file.parse().unwrap();
    let patches =
        gguf_format::edit::plan_in_place(&g, &[SetArg::parse("tokenizer.ggml.bos_token_id=5").unwrap()])
            .unwrap();
    let written = gguf_format::edit::write_in_place(&path, file.as_bytes(), &patches).unwrap();
    assert_eq!(written, 4, "one u32");
    drop(g);
    drop(file);
    golden::assert_same(
        "edit-split/tiny-Q4_K_M-setmeta.gguf",
        &std::fs::read(&path).unwrap(),
    );
}

fn convert_case(input: &str, want: &str) {
    let files = ModelFiles::open(golden::path(input)).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::convert(&m, ByteOrder::Big, None).unwrap();
    let got = write(&m, &outputs, &["be.gguf".into()]);
    golden::assert_same(want, &got[0]);

    // And back: the original bytes.
    let dir = tempfile::tempdir().unwrap();
    let be = dir.path().join("be.gguf");
    std::fs::write(&be, &got[0]).unwrap();
    let files = ModelFiles::open(&be).unwrap();
    let m = files.parse().unwrap();
    let outputs = ops::convert(&m, ByteOrder::Little, None).unwrap();
    let back = write(&m, &outputs, &["le.gguf".into()]);
    assert!(
        back[0] == golden::read(input),
        "{want} converted back is not {input}"
    );
}

#[test]
fn convert_equals_gguf_convert_endian() {
    convert_case("tiny-f32.gguf", "tiny-f32-be.gguf");
    convert_case("tiny-Q4_K_M.gguf", "tiny-Q4_K_M-be.gguf");
}

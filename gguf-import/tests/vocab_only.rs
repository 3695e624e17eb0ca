//! `--vocab-only` ([`ImportOptions::vocab_only`]) as the converter's
//! `write_vocab`: `prepare_metadata(vocab_only=True)` with no
//! `prepare_tensors` before it, then `write_header_to_file` and
//! `write_kv_data_to_file` alone — so the file is the GGUF header (zero
//! tensors) and the full import's metadata records byte for byte, less
//! what only the tensors give: `general.size_label` from the parameter
//! count (with a count of 0 the name heuristics also take every size in
//! the directory's name as the size label), and nothing after the last
//! record (no tensor infos, no alignment padding).

use gguf_format::{ByteOrder, Gguf, GgufBuilder, MetaValue, TensorSource};
use gguf_import::{Import, ImportOptions, OutType};
use gguf_testdata::golden;

mod common;

use common::model;

fn models() -> Vec<String> {
    let root = golden::dir().join("import/models");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("ground truth missing: {}: {e}", root.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names.len() >= 10,
        "expected the ten golden model directories, found {names:?}"
    );
    names
}

/// Every metadata record of a header: its key and its bytes as a GGUF
/// writer puts them (key, type, value) in `order`.
fn records(header: &[u8], order: ByteOrder) -> Vec<(String, Vec<u8>)> {
    let g = Gguf::parse_header(header).unwrap();
    g.metadata()
        .iter()
        .map(|kv| {
            let mut b = GgufBuilder::new();
            b.set_byte_order(order);
            b.push(kv.key, MetaValue::from(kv.value)).unwrap();
            let mut out = Vec::new();
            drop(b.write_header(&mut out).unwrap());
            let end = Gguf::parse_header(&out).unwrap().tensor_infos_end() as usize;
            (kv.key.to_string(), out[24..end].to_vec())
        })
        .collect()
}

fn vocab_import(dir: &std::path::Path) -> Import {
    let options = ImportOptions::default().with_vocab_only();
    let import = Import::open_with(dir, OutType::Auto, &options).unwrap();
    assert!(
        import.source().unwrap().tensors().is_empty(),
        "no tensors planned"
    );
    import
}

fn vocab_file(import: &Import, order: ByteOrder) -> Vec<u8> {
    import.vocab_file(order).unwrap().expect("planned --vocab-only")
}

/// The file `write_vocab` makes from `records`: magic, version 3, zero
/// tensors, the record count, the records.
fn assemble(records: &[(String, Vec<u8>)], order: ByteOrder) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    let (v, n) = (3u32, records.len() as u64);
    match order {
        ByteOrder::Little => {
            out.extend(v.to_le_bytes());
            out.extend(0u64.to_le_bytes());
            out.extend(n.to_le_bytes());
        }
        ByteOrder::Big => {
            out.extend(v.to_be_bytes());
            out.extend(0u64.to_be_bytes());
            out.extend(n.to_be_bytes());
        }
    }
    for (_, r) in records {
        out.extend_from_slice(r);
    }
    out
}

#[test]
fn every_golden_directory_gives_the_full_metadata_less_the_size_label() {
    let mut size_labels = 0;
    for name in models() {
        if name == "TinyLlama-1.1B-Chat-v1.0" {
            continue; // its name's size: below
        }
        let dir = model(&name);
        let full = Import::open(&dir, OutType::Auto).unwrap();
        let vocab = vocab_import(&dir);
        for order in [ByteOrder::Little, ByteOrder::Big] {
            let mut want = records(full.header_bytes(), order);
            let before = want.len();
            want.retain(|(k, _)| k != "general.size_label");
            size_labels += usize::from(want.len() < before && order == ByteOrder::Little);
            let got = vocab_file(&vocab, order);
            // Byte for byte: the header, then the full import's records.
            assert!(
                got == assemble(&want, order),
                "{name} ({order:?}): keys {:?}\nthe full import's less general.size_label: {:?}",
                records(&got, order).iter().map(|r| &r.0).collect::<Vec<_>>(),
                want.iter().map(|r| &r.0).collect::<Vec<_>>()
            );
            let g = Gguf::parse_header(&got).unwrap();
            assert_eq!(g.byte_order(), order);
            assert!(g.tensors().is_empty());
            assert_eq!(
                g.tensor_infos_end(),
                got.len() as u64,
                "nothing after the metadata"
            );
        }
    }
    // The golden directories' own size labels all come from the tensors.
    assert!(
        size_labels >= 8,
        "only {size_labels} directories had a size label to drop"
    );
}

#[test]
fn a_size_in_the_name_is_the_size_label_without_tensors() {
    // With the tensors counted (151K parameters), the converter takes the
    // "1.1B" of TinyLlama-1.1B-Chat-v1.0 for a context length (it is far
    // from the count) and puts it in the finetune; with no tensors (a count
    // of 0) it is the size label, as metadata.py's heuristic has it.
    let dir = model("TinyLlama-1.1B-Chat-v1.0");
    let full = Import::open(&dir, OutType::Auto).unwrap();
    let vocab = vocab_file(&vocab_import(&dir), ByteOrder::Little);
    let get = |bytes: &[u8], key: &str| -> String {
        Gguf::parse_header(bytes)
            .unwrap()
            .get_str(key)
            .unwrap()
            .to_string()
    };
    let full_bytes = full.header_bytes();
    assert_eq!(get(full_bytes, "general.finetune"), "1.1b-Chat");
    assert_eq!(get(full_bytes, "general.size_label"), "151K");
    assert_eq!(get(&vocab, "general.finetune"), "Chat");
    assert_eq!(get(&vocab, "general.size_label"), "1.1B");
    // Everything else as the full import, in the same order.
    let strip = |r: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        r.into_iter()
            .filter(|(k, _)| k != "general.finetune" && k != "general.size_label")
            .collect()
    };
    assert_eq!(
        strip(records(&vocab, ByteOrder::Little)),
        strip(records(full_bytes, ByteOrder::Little))
    );
}

#[test]
fn weights_are_not_needed_nor_mapped() {
    let from = model("qwen3-bpe");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("qwen3-bpe");
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let e = e.unwrap();
        let n = e.file_name().into_string().unwrap();
        if !n.ends_with(".safetensors") {
            std::fs::copy(e.path(), dir.join(&n)).unwrap();
        }
    }
    // Without weights a full import is refused; --vocab-only writes the
    // metadata with --outtype auto guessed as F16 (file type 1), as the
    // converter's guess with no tensor to look at.
    assert!(Import::open(&dir, OutType::Auto).is_err());
    let bytes = vocab_file(&vocab_import(&dir), ByteOrder::Little);
    let g = Gguf::parse_header(&bytes).unwrap();
    assert_eq!(g.get_u32("general.file_type").unwrap(), 1);
    assert!(g.get("tokenizer.ggml.tokens").is_some());
    // A full import's metadata is not offered as a vocabulary file.
    let full = Import::open(model("qwen3-bpe"), OutType::Auto).unwrap();
    assert!(full.vocab_file(ByteOrder::Little).unwrap().is_none());
}

//! Every golden file kept in full in `testdata/golden/` (llama.cpp's
//! inputs, `codecs.gguf`, and the big-endian files gguf-convert-endian made,
//! rebuilt here and checked by digest) parses to exactly what its
//! `.kv.json` and `.tensors.tsv` describe, and writes back byte for byte.

use gguf_format::{ops, write_atomic_all, write_gguf, ByteOrder, Gguf, GgufFile, ModelFiles, Value};
use gguf_testdata::golden;
use serde_json::Value as Json;

/// The golden `.gguf` files kept in full.
fn kept_files() -> Vec<&'static str> {
    let files: Vec<&str> = golden::names(".gguf")
        .into_iter()
        .filter(|n| golden::is_kept(n))
        .collect();
    assert!(files.len() >= 6, "expected the golden inputs, found {files:?}");
    files
}

/// tiny-f32-be.gguf and tiny-Q4_K_M-be.gguf, which only have digests here,
/// made from their inputs as gguf-convert-endian made them.
fn big_endian_files() -> Vec<(&'static str, Vec<u8>)> {
    [
        ("tiny-f32.gguf", "tiny-f32-be.gguf"),
        ("tiny-Q4_K_M.gguf", "tiny-Q4_K_M-be.gguf"),
    ]
    .into_iter()
    .map(|(input, be)| {
        let files = ModelFiles::open(golden::path(input)).unwrap();
        let m = files.parse().unwrap();
        let out = ops::convert(&m, ByteOrder::Big, None).unwrap();
        assert_eq!(out.len(), 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(be);
        write_atomic_all(std::slice::from_ref(&path), |_, w| {
            out[0].write(&m, w, &mut |_| {})
        })
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        golden::assert_same(be, &bytes);
        (be, bytes)
    })
    .collect()
}

/// Compares one value with its JSON rendering; `ctx` names it in failures.
fn check_value(v: &Value<'_>, j: &Json, ctx: &str) {
    match v {
        Value::String(s) => assert_eq!(s.as_str(), j.as_str(), "{ctx}"),
        Value::Bool(b) => assert_eq!(Some(*b), j.as_bool(), "{ctx}"),
        Value::F32(x) => assert_eq!(Some(f64::from(*x)), j.as_f64(), "{ctx}"),
        Value::F64(x) => assert_eq!(Some(*x), j.as_f64(), "{ctx}"),
        Value::Array(a) => {
            let items = j
                .as_array()
                .unwrap_or_else(|| panic!("{ctx}: JSON is not an array"));
            assert_eq!(a.len(), items.len() as u64, "{ctx}: array length");
            for (i, (x, y)) in a.iter().zip(items).enumerate() {
                check_value(&x, y, &format!("{ctx}[{i}]"));
            }
        }
        Value::I8(_) | Value::I16(_) | Value::I32(_) | Value::I64(_) => {
            let n = match *v {
                Value::I8(x) => i64::from(x),
                Value::I16(x) => i64::from(x),
                Value::I32(x) => i64::from(x),
                Value::I64(x) => x,
                _ => unreachable!(),
            };
            assert_eq!(Some(n), j.as_i64(), "{ctx}")
        }
        other => assert_eq!(other.as_uint(), j.as_u64(), "{ctx}"),
    }
}

fn check_against_sidecars(name: &str, g: &Gguf<'_>) {
    let stem = name.trim_end_matches(".gguf");
    let kv: Json = serde_json::from_slice(&golden::read(&format!("{stem}.kv.json"))).unwrap();
    let h = &kv["header"];
    assert_eq!(Some(g.version() as u64), h["version"].as_u64(), "{name}: version");
    let order = match g.byte_order() {
        ByteOrder::Little => "little",
        ByteOrder::Big => "big",
    };
    assert_eq!(Some(order), h["byte_order"].as_str(), "{name}: byte order");
    assert_eq!(
        Some(u64::from(g.alignment())),
        h["alignment"].as_u64(),
        "{name}: alignment"
    );
    assert_eq!(
        Some(g.data_offset()),
        h["data_offset"].as_u64(),
        "{name}: data offset"
    );
    assert_eq!(
        Some(g.as_bytes().len() as u64),
        h["file_size"].as_u64(),
        "{name}: size"
    );
    assert_eq!(Some(golden::digest(name)), h["sha256"].as_str(), "{name}: digest");
    assert_eq!(
        Some(g.tensors().len() as u64),
        h["tensor_count"].as_u64(),
        "{name}: tensor count"
    );

    let entries = kv["kv"].as_array().unwrap();
    assert_eq!(g.metadata().len(), entries.len(), "{name}: key count");
    for (ours, theirs) in g.metadata().iter().zip(entries) {
        let ctx = format!("{name}: {}", ours.key);
        assert_eq!(Some(ours.key), theirs["key"].as_str(), "{name}: key order");
        assert_eq!(
            Some(ours.value.type_name().as_str()),
            theirs["type"].as_str(),
            "{ctx}: type"
        );
        check_value(&ours.value, &theirs["value"], &ctx);
        assert!(
            std::ptr::eq(g.get(ours.key).unwrap(), &ours.value),
            "{ctx}: lookup"
        );
    }

    let rows = golden::tensors(name);
    assert_eq!(rows.len(), g.tensors().len(), "{name}: tensor rows");
    for (t, row) in g.tensors().iter().zip(rows) {
        let ctx = format!("{name}: tensor {}", t.name);
        assert_eq!(t.name, row.name, "{name}: tensor order");
        assert_eq!(t.ggml_type.to_string(), row.ty, "{ctx}: type");
        assert_eq!(t.dims(), &row.shape[..], "{ctx}: shape");
        let range = g.tensor_range(t).unwrap();
        assert_eq!(range.start, row.offset, "{ctx}: offset");
        assert_eq!(t.n_bytes().unwrap(), row.bytes, "{ctx}: bytes");
        let data = g.tensor_data(t).unwrap();
        assert_eq!(data.len() as u64, range.end - range.start);
        assert_eq!(golden::sha256(data), row.sha256, "{ctx}: data");
    }
}

#[test]
fn golden_files_match_their_descriptions() {
    for name in kept_files() {
        let file = GgufFile::open(golden::path(name)).unwrap();
        assert!(file.is_mapped());
        let g = file.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        check_against_sidecars(name, &g);
    }
    for (name, bytes) in big_endian_files() {
        let g = Gguf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(g.byte_order(), ByteOrder::Big);
        check_against_sidecars(name, &g);
    }
}

#[test]
fn golden_files_round_trip_byte_for_byte() {
    let kept = kept_files().into_iter().map(|n| (n, golden::read(n)));
    for (name, original) in kept.chain(big_endian_files()) {
        let g = Gguf::parse(&original).unwrap();
        let out = write_gguf(&g, Vec::new()).unwrap_or_else(|e| panic!("{name}: {e}"));
        if out != original {
            let at = out.iter().zip(&original).position(|(a, b)| a != b);
            panic!(
                "{name}: written {} bytes, original {}; first difference at {at:?}",
                out.len(),
                original.len()
            );
        }
    }
}

#[test]
fn codecs_file_has_type_42_and_q8_1_of_36_bytes() {
    let file = GgufFile::open(golden::path("codecs.gguf")).unwrap();
    let g = file.parse().unwrap();
    let q8_1 = g.tensor("q.Q8_1.gauss").unwrap();
    assert_eq!(q8_1.n_bytes().unwrap(), q8_1.n_rows() * 512 / 32 * 36);
    let q2_0 = g.tensors().iter().find(|t| t.ggml_type.0 == 42).unwrap();
    assert_eq!(q2_0.ggml_type.to_string(), "Q2_0");
}

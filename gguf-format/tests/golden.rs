//! Every file llama.cpp's own tools wrote in `../shared/golden/` parses to
//! exactly what its `.kv.json` and `.tensors.tsv` describe, and writes back
//! byte for byte.

use gguf_format::{write_gguf, ByteOrder, Gguf, GgufFile, Value};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden");
    assert!(
        dir.is_dir(),
        "golden files missing: expected {} (the shared/ folder beside the repository)",
        dir.display()
    );
    dir
}

fn golden_files() -> Vec<PathBuf> {
    let dir = golden_dir();
    let mut files = Vec::new();
    for d in [dir.clone(), dir.join("edit-split")] {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "gguf") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 50,
        "expected the full golden set, found {} files",
        files.len()
    );
    files
}

fn sidecar(path: &Path, ext: &str) -> PathBuf {
    let stem = path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .trim_end_matches(".gguf");
    path.with_file_name(format!("{stem}.{ext}"))
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

fn check_against_sidecars(path: &Path, g: &Gguf<'_>) {
    let name = path.display();
    let kv: Json = serde_json::from_slice(&std::fs::read(sidecar(path, "kv.json")).unwrap()).unwrap();
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

    let tsv = std::fs::read_to_string(sidecar(path, "tensors.tsv")).unwrap();
    let rows: Vec<&str> = tsv.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), g.tensors().len(), "{name}: tensor rows");
    for (t, row) in g.tensors().iter().zip(rows) {
        let f: Vec<&str> = row.split('\t').collect();
        let ctx = format!("{name}: tensor {}", t.name);
        assert_eq!(t.name, f[0], "{name}: tensor order");
        assert_eq!(t.ggml_type.to_string(), f[1], "{ctx}: type");
        let shape: Vec<String> = t.dims().iter().map(u64::to_string).collect();
        assert_eq!(shape.join(","), f[2], "{ctx}: shape");
        let range = g.tensor_range(t).unwrap();
        assert_eq!(range.start.to_string(), f[3], "{ctx}: offset");
        assert_eq!(t.n_bytes().unwrap().to_string(), f[4], "{ctx}: bytes");
        assert_eq!(g.tensor_data(t).unwrap().len() as u64, range.end - range.start);
    }
}

#[test]
fn golden_files_match_their_descriptions() {
    for path in golden_files() {
        let file = GgufFile::open(&path).unwrap();
        assert!(file.is_mapped());
        let g = file.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check_against_sidecars(&path, &g);
    }
}

#[test]
fn golden_files_round_trip_byte_for_byte() {
    for path in golden_files() {
        let file = GgufFile::open(&path).unwrap();
        let g = file.parse().unwrap();
        let out = write_gguf(&g, Vec::new()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if out != file.as_bytes() {
            let at = out.iter().zip(file.as_bytes()).position(|(a, b)| a != b);
            panic!(
                "{}: written {} bytes, original {}; first difference at {at:?}",
                path.display(),
                out.len(),
                file.as_bytes().len()
            );
        }
    }
}

#[test]
fn codecs_file_has_type_42_and_q8_1_of_36_bytes() {
    let file = GgufFile::open(golden_dir().join("codecs.gguf")).unwrap();
    let g = file.parse().unwrap();
    let q8_1 = g.tensor("q.Q8_1.gauss").unwrap();
    assert_eq!(q8_1.n_bytes().unwrap(), q8_1.n_rows() * 512 / 32 * 36);
    let q2_0 = g.tensors().iter().find(|t| t.ggml_type.0 == 42).unwrap();
    assert_eq!(q2_0.ggml_type.to_string(), "Q2_0");
}

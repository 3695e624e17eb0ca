//! The files in `testdata/`: a readable dump of each (insta snapshots), byte-exact
//! round trips, and the version / byte-order / value-type facts they exist to test.

use gguf_format::{write_gguf, ByteOrder, Gguf, GgufBuilder, GgufFile, Value, Version};
use std::fmt::Write as _;
use std::path::PathBuf;

const FILES: &[&str] = &[
    "tiny-llama-f32.gguf",
    "tiny-llama-f16.gguf",
    "tiny-llama-f32-be.gguf",
    "all-value-types.gguf",
    "all-ggml-types.gguf",
    "v2-small.gguf",
    "v1-small.gguf",
    "aligned-64.gguf",
];

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(name)
}

fn render(v: &Value<'_>, out: &mut String) {
    match v {
        Value::String(s) => write!(out, "{:?}", s.to_string()).unwrap(),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i == 6 {
                    write!(out, ", … {} more", a.len() - 6).unwrap();
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                render(&item, out);
            }
            out.push(']');
        }
        Value::F32(x) => write!(out, "{x:?}").unwrap(),
        Value::F64(x) => write!(out, "{x:?}").unwrap(),
        other => write!(out, "{}", format!("{other:?}").split(['(', ')']).nth(1).unwrap()).unwrap(),
    }
}

/// A stable, human-readable description of everything the parser saw.
fn dump(g: &Gguf<'_>) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "version {:?}, {}, alignment {}, tensor infos end at {}, data at {}, {} bytes",
        g.version(),
        g.byte_order(),
        g.alignment(),
        g.tensor_infos_end(),
        g.data_offset(),
        g.as_bytes().len()
    )
    .unwrap();
    writeln!(s, "metadata ({}):", g.metadata().len()).unwrap();
    for kv in g.metadata() {
        let mut v = String::new();
        render(&kv.value, &mut v);
        let len = kv
            .value
            .as_array()
            .map(|a| format!(" ×{}", a.len()))
            .unwrap_or_default();
        writeln!(
            s,
            "  @{:<6} {} {}{len} = {v}",
            kv.offset,
            kv.key,
            kv.value.type_name()
        )
        .unwrap();
    }
    writeln!(s, "tensors ({}):", g.tensors().len()).unwrap();
    for t in g.tensors() {
        let r = g.tensor_range(t).unwrap();
        let data = g.tensor_data(t).unwrap();
        let head: Vec<String> = data.iter().take(4).map(|b| format!("{b:02x}")).collect();
        writeln!(
            s,
            "  @{:<6} {} {} {:?} data {}..{} ({} bytes, {} elements) {}",
            t.info_offset,
            t.name,
            t.ggml_type,
            t.dims(),
            r.start,
            r.end,
            data.len(),
            t.n_elements(),
            head.join(" ")
        )
        .unwrap();
    }
    s
}

#[test]
fn snapshots_of_every_testdata_file() {
    for name in FILES {
        let file = GgufFile::open(path(name)).unwrap();
        let g = file.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(name.replace(".gguf", ""), dump(&g));
    }
}

#[test]
fn testdata_round_trips_byte_for_byte() {
    for name in FILES {
        let file = GgufFile::open(path(name)).unwrap();
        let g = file.parse().unwrap();
        let out = write_gguf(&g, Vec::new()).unwrap();
        assert!(out == file.as_bytes(), "{name} changed when written back");
    }
}

#[test]
fn versions_and_byte_orders() {
    let open = |n| GgufFile::open(path(n)).unwrap();
    let (v1, v2, be) = (
        open("v1-small.gguf"),
        open("v2-small.gguf"),
        open("tiny-llama-f32-be.gguf"),
    );
    assert_eq!(v1.parse().unwrap().version(), Version::V1);
    assert_eq!(v2.parse().unwrap().version(), Version::V2);
    let be = be.parse().unwrap();
    assert_eq!(be.byte_order(), ByteOrder::Big);

    // The big-endian file holds the same model as the little-endian one.
    let le_file = open("tiny-llama-f32.gguf");
    let le = le_file.parse().unwrap();
    assert_eq!(le.metadata().len(), be.metadata().len());
    for (a, b) in le.metadata().iter().zip(be.metadata()) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.value.type_name(), b.value.type_name());
        match (a.value, b.value) {
            (Value::Array(x), Value::Array(y)) => assert!(x.iter().eq(y.iter()), "{}", a.key),
            (x, y) => assert_eq!(x, y, "{}", a.key),
        }
    }
    let scores = be.get_array("tokenizer.ggml.scores").unwrap();
    assert_eq!(scores.get::<f32>(299), Some(-40.0));
    for (a, b) in le.tensors().iter().zip(be.tensors()) {
        let (x, y) = (le.tensor_data(a).unwrap(), be.tensor_data(b).unwrap());
        let swapped: Vec<u8> = y.chunks(4).flat_map(|c| [c[3], c[2], c[1], c[0]]).collect();
        assert_eq!(x, &swapped[..], "{}", a.name);
    }
}

#[test]
fn converting_byte_order_and_version_through_the_builder() {
    let le_file = GgufFile::open(path("tiny-llama-f32.gguf")).unwrap();
    let le = le_file.parse().unwrap();
    let be_file = GgufFile::open(path("tiny-llama-f32-be.gguf")).unwrap();

    // Metadata re-encoded to big-endian matches the checked-in big-endian file
    // up to the data section (the tensor data needs per-type swapping).
    let mut b = GgufBuilder::from_gguf(&le).unwrap();
    b.set_byte_order(ByteOrder::Big);
    let mut header = Vec::new();
    let n = b.write_header(&mut header).unwrap().bytes_written();
    assert_eq!(n, le.data_offset());
    assert_eq!(n, header.len() as u64);
    assert_eq!(&be_file.as_bytes()[..header.len()], &header[..]);

    // v3 → v1 → v3 keeps every value.
    let mut b = GgufBuilder::from_gguf(&le).unwrap();
    b.set_version(Version::V1);
    let mut tw = b.write_header(Vec::new()).unwrap();
    for t in le.tensors() {
        tw.write_tensor(le.tensor_data(t).unwrap()).unwrap();
    }
    let v1 = tw.finish().unwrap();
    let g1 = Gguf::parse(&v1).unwrap();
    assert_eq!(g1.version(), Version::V1);
    let tokens: Vec<_> = g1
        .get_array("tokenizer.ggml.tokens")
        .unwrap()
        .strings()
        .unwrap()
        .collect();
    let orig: Vec<_> = le
        .get_array("tokenizer.ggml.tokens")
        .unwrap()
        .strings()
        .unwrap()
        .collect();
    assert_eq!(tokens, orig);
}

#[test]
fn every_value_type_reads_back() {
    let file = GgufFile::open(path("all-value-types.gguf")).unwrap();
    let g = file.parse().unwrap();
    assert_eq!(g.get_scalar::<u8>("test.u8").unwrap(), 200);
    assert_eq!(g.get_scalar::<i8>("test.i8").unwrap(), -100);
    assert_eq!(g.get_scalar::<u16>("test.u16").unwrap(), 60000);
    assert_eq!(g.get_scalar::<i16>("test.i16").unwrap(), -30000);
    assert_eq!(g.get_u32("test.u32").unwrap(), 4_000_000_000);
    assert_eq!(g.get_i32("test.i32").unwrap(), -2_000_000_000);
    assert_eq!(g.get_f32("test.f32").unwrap(), 3.5);
    assert!(g.get_bool("test.bool_true").unwrap());
    assert!(!g.get_bool("test.bool_false").unwrap());
    assert_eq!(g.get_str("test.string").unwrap(), "héllo wörld — 日本語 ✓");
    assert_eq!(g.get_str("test.empty_string").unwrap(), "");
    assert_eq!(g.get_u64("test.u64").unwrap(), u64::MAX);
    assert_eq!(g.get_scalar::<i64>("test.i64").unwrap(), i64::MIN);
    assert_eq!(g.get_scalar::<f64>("test.f64").unwrap(), std::f64::consts::PI);
    assert_eq!(g.get_uint("test.u8").unwrap(), 200);
    assert!(g.get_uint("test.i8").is_err());

    let arr = |k| g.get_array(k).unwrap();
    assert_eq!(
        arr("test.arr.u8").values::<u8>().unwrap().collect::<Vec<_>>(),
        [0, 1, 255]
    );
    assert_eq!(
        arr("test.arr.i8").values::<i8>().unwrap().collect::<Vec<_>>(),
        [-128, 0, 127]
    );
    assert_eq!(
        arr("test.arr.u16").values::<u16>().unwrap().collect::<Vec<_>>(),
        [1, 65535]
    );
    assert_eq!(
        arr("test.arr.i16").values::<i16>().unwrap().collect::<Vec<_>>(),
        [-1, 1]
    );
    assert_eq!(
        arr("test.arr.u32").values::<u32>().unwrap().collect::<Vec<_>>(),
        [7, 8, 9]
    );
    assert_eq!(
        arr("test.arr.i32").values::<i32>().unwrap().collect::<Vec<_>>(),
        [-7, 8]
    );
    assert_eq!(
        arr("test.arr.f32").values::<f32>().unwrap().collect::<Vec<_>>(),
        [0.25, -1e30]
    );
    assert_eq!(
        arr("test.arr.bool").values::<bool>().unwrap().collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!(
        arr("test.arr.u64").values::<u64>().unwrap().collect::<Vec<_>>(),
        [u64::MAX, 0]
    );
    assert_eq!(
        arr("test.arr.i64").values::<i64>().unwrap().collect::<Vec<_>>(),
        [i64::MIN, i64::MAX]
    );
    assert_eq!(
        arr("test.arr.f64").values::<f64>().unwrap().collect::<Vec<_>>(),
        [1e-300, 2.0]
    );
    let strings: Vec<_> = arr("test.arr.string")
        .strings()
        .unwrap()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(strings, ["a", "", "ünïcode", "tab\there"]);
    assert!(arr("test.arr.empty").is_empty());
    let nested: Vec<Vec<i32>> = arr("test.arr.nested_i32")
        .iter()
        .map(|v| v.as_array().unwrap().values::<i32>().unwrap().collect())
        .collect();
    assert_eq!(nested, [vec![1, 2], vec![], vec![3]]);
    assert_eq!(
        g.get("test.arr.nested3").unwrap().type_name(),
        "ARRAY[ARRAY[ARRAY[BOOL]]]"
    );

    // Typed accessors name the key and both types when they disagree.
    let e = g.get_u32("test.string").unwrap_err().to_string();
    assert_eq!(e, "metadata key test.string has type STRING, expected UINT32");
    let e = g.get_u32("no.such.key").unwrap_err().to_string();
    assert_eq!(e, "metadata key no.such.key not found");
}

#[test]
fn every_known_ggml_type_has_a_tensor() {
    let file = GgufFile::open(path("all-ggml-types.gguf")).unwrap();
    let g = file.parse().unwrap();
    assert_eq!(g.tensors().len(), gguf_format::GGML_TYPES.len());
    for (t, info) in g.tensors().iter().zip(gguf_format::GGML_TYPES) {
        assert_eq!(t.ggml_type, info.ty);
        assert_eq!(t.n_bytes().unwrap(), 4 * u64::from(info.type_size));
        assert_eq!(t.offset % 32, 0);
    }
}

#[test]
fn aligned_64_file_is_laid_out_at_64() {
    let file = GgufFile::open(path("aligned-64.gguf")).unwrap();
    let g = file.parse().unwrap();
    assert_eq!(g.alignment(), 64);
    assert_eq!(g.data_offset() % 64, 0);
    assert!(g.tensors().iter().all(|t| t.offset % 64 == 0));
    assert!(
        g.tensors().iter().any(|t| t.offset % 128 != 0),
        "at least one offset needs 64, not more"
    );
}

#[test]
fn in_memory_and_mapped_reads_agree() {
    for name in FILES {
        let mapped = GgufFile::open(path(name)).unwrap();
        let read = GgufFile::open_in_memory(path(name)).unwrap();
        assert!(mapped.is_mapped() && !read.is_mapped());
        assert_eq!(dump(&mapped.parse().unwrap()), dump(&read.parse().unwrap()));
        mapped.release(0..mapped.as_bytes().len() as u64);
        assert_eq!(
            mapped.as_bytes(),
            read.as_bytes(),
            "{name}: release must not change contents"
        );
    }
}

/// Copying metadata is linear in the number of keys (a quadratic copy of
/// these 100,000 keys would take minutes).
#[test]
fn many_keys_round_trip() {
    let mut raw = gguf_testdata::malformed::Raw::header(3, 0, 100_000);
    for i in 0..100_000u32 {
        raw.kv_u32(&format!("k.{i}"), i);
    }
    let mut bytes = raw.done();
    bytes.resize(bytes.len().div_ceil(32) * 32, 0);
    let g = Gguf::parse(&bytes).unwrap();
    assert_eq!(g.get_u32("k.99999").unwrap(), 99_999);
    let out = write_gguf(&g, Vec::new()).unwrap();
    assert!(out == bytes);
}

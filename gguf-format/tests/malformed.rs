//! Malformed input: every check of the parser, each with the exact error it
//! must give (one insta snapshot lists them all), plus every truncation of a
//! valid file. None may panic.

use gguf_format::{Error, GgmlType, Gguf, GgufBuilder, MetaValue, ValueType};

/// Builds raw GGUF bytes field by field, so a test can write anything at all.
#[derive(Default, Clone)]
struct Raw {
    b: Vec<u8>,
    big: bool,
}

impl Raw {
    fn header(version: u32, n_tensors: u64, n_kv: u64) -> Raw {
        let mut r = Raw::default();
        r.b.extend_from_slice(b"GGUF");
        r.u32(version).u64(n_tensors).u64(n_kv);
        r
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        let bytes = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b.extend_from_slice(&bytes);
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        let bytes = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b.extend_from_slice(&bytes);
        self
    }
    fn str(&mut self, s: &[u8]) -> &mut Self {
        self.u64(s.len() as u64);
        self.b.extend_from_slice(s);
        self
    }
    fn kv_u32(&mut self, key: &str, v: u32) -> &mut Self {
        self.str(key.as_bytes()).u32(ValueType::U32.as_u32()).u32(v)
    }
    fn tensor(&mut self, name: impl AsRef<[u8]>, dims: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.str(name.as_ref()).u32(dims.len() as u32);
        for &d in dims {
            self.u64(d);
        }
        self.u32(ty).u64(offset)
    }
    /// Pads to 32 and appends `n` data bytes.
    fn data(&mut self, n: usize) -> Vec<u8> {
        let mut b = self.b.clone();
        b.resize(b.len().div_ceil(32) * 32 + n, 0);
        b
    }
}

fn err(name: &str, bytes: &[u8]) -> Error {
    match Gguf::parse(bytes) {
        Ok(_) => panic!("{name}: parsed, but should have failed"),
        Err(e) => e,
    }
}

/// Each case: a name saying what it checks, and the bytes.
fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty file", vec![]),
        ("magic only", b"GGUF".to_vec()),
        ("wrong magic", b"GGML\x03\0\0\0".to_vec()),
        ("version 0", Raw::header(0, 0, 0).b),
        ("version 4", Raw::header(4, 0, 0).b),
        ("version huge", Raw::header(0x1234_5678, 0, 0).b),
        ("tensor count 2^63", Raw::header(3, 1 << 63, 0).b),
        ("key count 2^63", Raw::header(3, 0, 1 << 63).b),
        ("cut inside the counts", Raw::header(3, 0, 0).b[..15].to_vec()),
        (
            "string length past the end",
            Raw::header(3, 0, 1).u64(1000).u64(0).u64(0).b.clone(),
        ),
        (
            "key length u64::MAX",
            Raw::header(3, 0, 1).u64(u64::MAX).u64(0).u32(0).b.clone(),
        ),
        ("empty key", Raw::header(3, 0, 1).str(b"").u32(0).u32(0).b.clone()),
        (
            "non-UTF-8 key",
            Raw::header(3, 0, 1).str(b"k\xff").u32(0).u32(0).b.clone(),
        ),
        (
            "unknown value type",
            Raw::header(3, 0, 1).str(b"k").u32(13).u64(0).b.clone(),
        ),
        (
            "duplicate key",
            Raw::header(3, 0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2).b.clone(),
        ),
        (
            "array of 2^60 u64",
            Raw::header(3, 0, 1)
                .str(b"arr")
                .u32(9)
                .u32(10)
                .u64(1 << 60)
                .u64(7)
                .b
                .clone(),
        ),
        (
            "array of 2^62 strings",
            Raw::header(3, 0, 1)
                .str(b"arr")
                .u32(9)
                .u32(8)
                .u64(1 << 62)
                .str(b"x")
                .b
                .clone(),
        ),
        (
            "array with unknown element type",
            Raw::header(3, 0, 1)
                .str(b"arr")
                .u32(9)
                .u32(99)
                .u64(1)
                .u64(0)
                .b
                .clone(),
        ),
        (
            "string array element past the end",
            Raw::header(3, 0, 1)
                .str(b"arr")
                .u32(9)
                .u32(8)
                .u64(2)
                .str(b"ok")
                .u64(50)
                .b
                .clone(),
        ),
        (
            "alignment 0",
            Raw::header(3, 0, 1).kv_u32("general.alignment", 0).b.clone(),
        ),
        (
            "alignment 3",
            Raw::header(3, 0, 1).kv_u32("general.alignment", 3).b.clone(),
        ),
        (
            "alignment 2^40 as u64",
            Raw::header(3, 0, 1)
                .str(b"general.alignment")
                .u32(10)
                .u64(1 << 40)
                .b
                .clone(),
        ),
        (
            "tensor with 5 dims",
            Raw::header(3, 1, 0).tensor("t", &[1, 1, 1, 1, 1], 0, 0).data(4),
        ),
        (
            "tensor dim 2^63 (negative as i64)",
            Raw::header(3, 1, 0).tensor("t", &[1 << 63], 0, 0).data(0),
        ),
        (
            "element count overflows i64",
            Raw::header(3, 1, 0)
                .tensor("t", &[1 << 32, 1 << 32], 0, 0)
                .data(0),
        ),
        (
            "byte size overflows u64",
            Raw::header(3, 1, 0).tensor("t", &[1 << 62], 0, 0).data(0),
        ),
        (
            "2^60 F16 elements past the end",
            Raw::header(3, 1, 0).tensor("t", &[1 << 60], 1, 0).data(64),
        ),
        (
            "non-UTF-8 tensor name",
            Raw::header(3, 1, 0).tensor(b"t\x80", &[4], 0, 0).data(16),
        ),
        (
            "row not a multiple of the block",
            Raw::header(3, 1, 0).tensor("q", &[33], 2, 0).data(64),
        ),
        (
            "misaligned offset",
            Raw::header(3, 1, 0).tensor("t", &[4], 0, 4).data(64),
        ),
        (
            "offset past the end",
            Raw::header(3, 1, 0).tensor("t", &[4], 0, 1 << 20).data(64),
        ),
        (
            "offset overflows",
            Raw::header(3, 1, 0).tensor("t", &[4], 0, u64::MAX - 31).data(64),
        ),
        (
            "overlapping tensors",
            Raw::header(3, 2, 0)
                .tensor("a", &[16], 0, 0)
                .tensor("b", &[8], 0, 32)
                .data(96),
        ),
        (
            "tensor inside another",
            Raw::header(3, 3, 0)
                .tensor("big", &[64], 0, 0)
                .tensor("small", &[8], 0, 64)
                .tensor("after", &[8], 0, 96)
                .data(256),
        ),
        (
            "duplicate tensor name",
            Raw::header(3, 2, 0)
                .tensor("t", &[4], 0, 0)
                .tensor("t", &[4], 0, 32)
                .data(64),
        ),
        (
            "tensor data cut off",
            Raw::header(3, 1, 0).tensor("t", &[64], 0, 0).data(100),
        ),
    ];
    // A big-endian header whose counts were left little-endian.
    let mut be = Raw::header(3, 0, 0);
    be.b[4..8].copy_from_slice(&3u32.to_be_bytes());
    be.b[8..16].copy_from_slice(&1u64.to_le_bytes());
    v.push(("big-endian header with little-endian counts", be.b));
    // Arrays nested 10,000 deep.
    let mut deep = Raw::header(3, 0, 1);
    deep.str(b"deep").u32(9);
    for _ in 0..10_000 {
        deep.u32(9).u64(1);
    }
    deep.u32(4).u64(0);
    v.push(("arrays nested 10,000 deep", deep.b));
    // v1 counts are 32-bit: a v1 file with a string length past the end.
    let mut v1 = Raw::default();
    v1.b.extend_from_slice(b"GGUF");
    v1.u32(1).u32(0).u32(1).u32(100).u32(0).u32(0);
    v.push(("v1 string length past the end", v1.b));
    v
}

#[test]
fn each_malformed_file_gives_its_error() {
    let mut report = String::new();
    for (name, bytes) in cases() {
        let start = std::time::Instant::now();
        let e = err(name, &bytes);
        assert!(
            start.elapsed().as_millis() < 500,
            "{name}: took {:?}",
            start.elapsed()
        );
        report.push_str(&format!("{name}:\n    {e}\n"));
    }
    insta::assert_snapshot!(report);
}

#[test]
fn variants_are_the_right_ones() {
    use Error::*;
    let by_name: std::collections::HashMap<_, _> = cases().into_iter().collect();
    let e = |n: &str| err(n, &by_name[n]);
    assert!(matches!(e("empty file"), UnexpectedEof { what: "magic", .. }));
    assert!(matches!(e("wrong magic"), BadMagic { .. }));
    assert!(matches!(e("version 4"), UnsupportedVersion { version: 4 }));
    assert!(matches!(
        e("tensor count 2^63"),
        CountTooLarge {
            what: "tensor count",
            ..
        }
    ));
    assert!(matches!(
        e("key count 2^63"),
        CountTooLarge {
            what: "metadata key count",
            ..
        }
    ));
    assert!(matches!(
        e("string length past the end"),
        CountTooLarge {
            what: "string length",
            ..
        }
    ));
    assert!(matches!(
        e("key length u64::MAX"),
        CountTooLarge {
            what: "string length",
            ..
        }
    ));
    assert!(matches!(
        e("v1 string length past the end"),
        CountTooLarge {
            what: "string length",
            ..
        }
    ));
    assert!(matches!(e("empty key"), EmptyKey { .. }));
    assert!(matches!(e("non-UTF-8 key"), InvalidUtf8 { what: "key", .. }));
    assert!(matches!(
        e("unknown value type"),
        UnknownValueType { type_id: 13, .. }
    ));
    assert!(matches!(e("duplicate key"), DuplicateKey { .. }));
    assert!(matches!(
        e("array of 2^60 u64"),
        CountTooLarge {
            what: "array length",
            ..
        }
    ));
    assert!(matches!(e("alignment 3"), BadAlignment { .. }));
    assert!(matches!(e("alignment 2^40 as u64"), BadAlignment { .. }));
    assert!(matches!(e("tensor with 5 dims"), TooManyDims { n_dims: 5, .. }));
    assert!(matches!(
        e("tensor dim 2^63 (negative as i64)"),
        NegativeDim { .. }
    ));
    assert!(matches!(
        e("element count overflows i64"),
        Overflow {
            what: "tensor element count",
            ..
        }
    ));
    assert!(matches!(
        e("byte size overflows u64"),
        Overflow {
            what: "tensor byte size",
            ..
        }
    ));
    assert!(matches!(
        e("non-UTF-8 tensor name"),
        InvalidUtf8 {
            what: "tensor name",
            ..
        }
    ));
    assert!(matches!(
        e("row not a multiple of the block"),
        RowNotBlockMultiple {
            ne0: 33,
            block_size: 32,
            ..
        }
    ));
    assert!(matches!(
        e("misaligned offset"),
        MisalignedOffset {
            offset: 4,
            alignment: 32,
            ..
        }
    ));
    assert!(matches!(e("offset past the end"), TensorOutOfBounds { .. }));
    assert!(matches!(
        e("offset overflows"),
        Overflow {
            what: "tensor data end",
            ..
        }
    ));
    assert!(matches!(e("overlapping tensors"), OverlappingTensors { .. }));
    assert!(matches!(e("tensor inside another"), OverlappingTensors { .. }));
    assert!(matches!(e("duplicate tensor name"), DuplicateTensor { .. }));
    assert!(matches!(
        e("arrays nested 10,000 deep"),
        NestingTooDeep { limit: 8, .. }
    ));
    assert!(matches!(
        e("big-endian header with little-endian counts"),
        CountTooLarge {
            what: "tensor count",
            ..
        }
    ));
    // Every location-carrying error names the byte offset.
    let loc = e("duplicate key").location().cloned().unwrap();
    assert_eq!(loc.name.as_deref(), Some("a.b"));
    assert_eq!(loc.offset, 24 + 8 + 3 + 4 + 4);
}

#[test]
fn unknown_type_keeps_the_file_readable() {
    let bytes = Raw::header(3, 2, 1)
        .kv_u32("general.alignment", 32)
        .tensor("mystery", &[7, 3], 1234, 0)
        .tensor("known", &[4], 0, 0)
        .data(16);
    let g = Gguf::parse(&bytes).unwrap();
    let t = g.tensor("mystery").unwrap();
    assert_eq!(t.ggml_type.to_string(), "unknown(1234)");
    assert_eq!(t.dims(), [7, 3]);
    let e = g.tensor_data(t).unwrap_err();
    assert!(matches!(e, Error::UnknownGgmlType { .. }), "{e}");
    assert!(
        e.to_string().contains("mystery") && e.to_string().contains("1234"),
        "{e}"
    );
    assert_eq!(g.tensor_data(g.tensor("known").unwrap()).unwrap().len(), 16);
}

#[test]
fn cut_off_data_still_reads_the_header() {
    let bytes = Raw::header(3, 1, 1)
        .kv_u32("x.y", 5)
        .tensor("t", &[64], 0, 0)
        .data(100);
    assert!(matches!(
        Gguf::parse(&bytes),
        Err(Error::TensorOutOfBounds { .. })
    ));
    let g = Gguf::parse_header(&bytes).unwrap();
    assert_eq!(g.get_u32("x.y").unwrap(), 5);
    assert!(matches!(
        g.tensor_data(&g.tensors()[0]),
        Err(Error::TensorOutOfBounds { .. })
    ));
}

/// Every prefix of a small valid file fails cleanly until the tensor data is
/// complete; from there on it parses.
#[test]
fn every_truncation_of_a_valid_file() {
    let mut b = GgufBuilder::new();
    b.push("general.architecture", "llama").unwrap();
    b.push("tokenizer.ggml.tokens", MetaValue::strings(["a", "bc", "def"]))
        .unwrap();
    b.push(
        "nested",
        MetaValue::array(
            ValueType::Array,
            [MetaValue::array(ValueType::I16, [MetaValue::I16(-2)])],
        ),
    )
    .unwrap();
    b.push("f", 1.5f64).unwrap();
    b.add_tensor("a", &[32, 2], GgmlType::Q8_0).unwrap();
    b.add_tensor("b", &[3], GgmlType::F32).unwrap();
    let mut tw = b.write_header(Vec::new()).unwrap();
    tw.write_tensor(&[1u8; 68]).unwrap();
    tw.write_tensor(&[2u8; 12]).unwrap();
    let full = tw.finish().unwrap();
    let g = Gguf::parse(&full).unwrap();
    let data_end = g.tensor_range(g.tensor("b").unwrap()).unwrap().end as usize;
    for len in 0..full.len() {
        let r = Gguf::parse(&full[..len]);
        if len < data_end {
            assert!(r.is_err(), "prefix of {len} bytes parsed");
        } else {
            assert!(r.is_ok(), "prefix of {len} bytes (only padding missing) failed");
        }
        let _ = Gguf::parse_header(&full[..len]);
    }
}

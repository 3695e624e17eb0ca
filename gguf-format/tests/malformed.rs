//! Malformed input, by error variant: each case of `gguf_testdata::malformed`
//! (the files in `testdata/malformed/`) maps to the right `Error` variant with
//! the right location; plus every truncation of a valid file. The messages
//! themselves are pinned by `malformed_files.rs`.

use gguf_format::{Error, GgmlType, Gguf, GgufBuilder, MetaValue, ValueType};
use gguf_testdata::malformed::Raw;
use std::collections::HashMap;

fn err(name: &str, bytes: &[u8]) -> Error {
    match Gguf::parse(bytes) {
        Ok(_) => panic!("{name}: parsed, but should have failed"),
        Err(e) => e,
    }
}

#[test]
fn variants_are_the_right_ones() {
    use Error::*;
    let cases: HashMap<_, _> = gguf_testdata::malformed::cases().into_iter().collect();
    let e = |n: &str| err(n, &cases[n]);
    assert!(matches!(e("empty"), UnexpectedEof { what: "magic", .. }));
    assert!(matches!(e("magic-only"), UnexpectedEof { what: "version", .. }));
    assert!(matches!(e("wrong-magic"), BadMagic { .. }));
    assert!(matches!(e("version-0"), UnsupportedVersion { version: 0 }));
    assert!(matches!(e("version-4"), UnsupportedVersion { version: 4 }));
    assert!(matches!(
        e("tensor-count-2e63"),
        CountTooLarge {
            what: "tensor count",
            ..
        }
    ));
    assert!(matches!(
        e("key-count-2e63"),
        CountTooLarge {
            what: "metadata key count",
            ..
        }
    ));
    assert!(matches!(
        e("counts-cut-off"),
        UnexpectedEof {
            what: "tensor count",
            ..
        }
    ));
    assert!(matches!(
        e("string-length-past-end"),
        CountTooLarge {
            what: "string length",
            ..
        }
    ));
    assert!(matches!(
        e("key-length-u64-max"),
        CountTooLarge {
            what: "string length",
            ..
        }
    ));
    assert!(matches!(
        e("v1-string-past-end"),
        CountTooLarge {
            what: "string length",
            ..
        }
    ));
    assert!(matches!(e("empty-key"), EmptyKey { .. }));
    assert!(matches!(e("non-utf8-key"), InvalidUtf8 { what: "key", .. }));
    assert!(matches!(
        e("unknown-value-type-13"),
        UnknownValueType { type_id: 13, .. }
    ));
    assert!(matches!(e("duplicate-key"), DuplicateKey { .. }));
    assert!(matches!(
        e("array-2e60-u64"),
        CountTooLarge {
            what: "array length",
            ..
        }
    ));
    assert!(matches!(
        e("array-unknown-element-type"),
        UnknownValueType { type_id: 99, .. }
    ));
    assert!(matches!(e("value-cut-off"), UnexpectedEof { what: "value", .. }));
    assert!(matches!(e("alignment-3"), BadAlignment { .. }));
    assert!(matches!(e("alignment-2e40-u64"), BadAlignment { .. }));
    assert!(matches!(e("tensor-5-dims"), TooManyDims { n_dims: 5, .. }));
    assert!(matches!(e("dim-2e63-negative"), NegativeDim { .. }));
    assert!(matches!(
        e("elements-overflow-i64"),
        Overflow {
            what: "tensor element count",
            ..
        }
    ));
    assert!(matches!(
        e("bytes-overflow-u64"),
        Overflow {
            what: "tensor byte size",
            ..
        }
    ));
    assert!(matches!(
        e("non-utf8-tensor-name"),
        InvalidUtf8 {
            what: "tensor name",
            ..
        }
    ));
    assert!(matches!(
        e("row-not-whole-q4_0-blocks"),
        RowNotBlockMultiple {
            ne0: 33,
            block_size: 32,
            ..
        }
    ));
    assert!(matches!(
        e("misaligned-offset"),
        MisalignedOffset {
            offset: 4,
            alignment: 32,
            ..
        }
    ));
    assert!(matches!(e("offset-past-end"), TensorOutOfBounds { .. }));
    assert!(matches!(
        e("offset-overflows"),
        Overflow {
            what: "tensor data end",
            ..
        }
    ));
    assert!(matches!(e("overlapping-tensors"), OverlappingTensors { .. }));
    assert!(matches!(e("tensor-inside-another"), OverlappingTensors { .. }));
    assert!(matches!(e("duplicate-tensor-name"), DuplicateTensor { .. }));
    assert!(matches!(
        e("arrays-nested-10000-deep"),
        NestingTooDeep { limit: 8, .. }
    ));
    assert!(matches!(
        e("be-header-le-counts"),
        CountTooLarge {
            what: "tensor count",
            ..
        }
    ));
    // Locations name the byte offset and the key.
    let loc = e("duplicate-key").location().cloned().unwrap();
    assert_eq!(loc.name.as_deref(), Some("a.b"));
    assert_eq!(loc.offset, 24 + 8 + 3 + 4 + 4);
}

#[test]
fn unknown_type_keeps_the_file_readable() {
    let bytes = Raw::header(3, 2, 1)
        .kv_u32("general.alignment", 32)
        .tensor(b"mystery", &[7, 3], 1234, 0)
        .tensor(b"known", &[4], 0, 0)
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
        .tensor(b"t", &[64], 0, 0)
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

//! Hand-crafted broken (and borderline) GGUF files for `testdata/malformed/`:
//! each exercises one check of the parser. The expected outcome of every file
//! is recorded by the snapshot test in `gguf-format/tests/malformed_files.rs`.
//! The split-model cases ([`shard_cases`]) go to `testdata/malformed/shards/`;
//! the broken model directories of `gguf import` are
//! [`crate::malformed_import`]'s, in `testdata/malformed/import/`.

/// Writes raw GGUF fields, so a case can say anything at all.
#[derive(Default, Clone)]
pub struct Raw {
    /// The bytes so far.
    pub b: Vec<u8>,
    big: bool,
}

impl Raw {
    /// Magic, version and both counts (64-bit, little-endian).
    pub fn header(version: u32, n_tensors: u64, n_kv: u64) -> Raw {
        let mut r = Raw::default();
        r.b.extend_from_slice(b"GGUF");
        r.u32(version).u64(n_tensors).u64(n_kv);
        r
    }

    /// The same in big-endian.
    pub fn header_be(version: u32, n_tensors: u64, n_kv: u64) -> Raw {
        let mut r = Raw {
            big: true,
            ..Raw::default()
        };
        r.b.extend_from_slice(b"GGUF");
        r.u32(version).u64(n_tensors).u64(n_kv);
        r
    }

    /// A u32 in the file's order.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        let bytes = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b.extend_from_slice(&bytes);
        self
    }

    /// A u64 in the file's order.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        let bytes = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b.extend_from_slice(&bytes);
        self
    }

    /// Raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.b.extend_from_slice(b);
        self
    }

    /// A string (u64 length, bytes).
    pub fn str(&mut self, s: &[u8]) -> &mut Self {
        self.u64(s.len() as u64);
        self.bytes(s)
    }

    /// A `UINT32` metadata entry.
    pub fn kv_u32(&mut self, key: &str, v: u32) -> &mut Self {
        self.str(key.as_bytes()).u32(4).u32(v)
    }

    /// A tensor info.
    pub fn tensor(&mut self, name: &[u8], dims: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.str(name).u32(dims.len() as u32);
        for &d in dims {
            self.u64(d);
        }
        self.u32(ty).u64(offset)
    }

    /// The bytes padded to 32, then `n` data bytes.
    pub fn data(&self, n: usize) -> Vec<u8> {
        let mut b = self.b.clone();
        b.resize(b.len().div_ceil(32) * 32 + n, 0);
        b
    }

    /// The bytes as they are.
    pub fn done(&self) -> Vec<u8> {
        self.b.clone()
    }
}

fn v1(n_tensors: u32, n_kv: u32) -> Raw {
    let mut r = Raw::default();
    r.b.extend_from_slice(b"GGUF");
    r.u32(1).u32(n_tensors).u32(n_kv);
    r
}

/// Every case: a file name (what it checks) and the bytes.
pub fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let h = Raw::header;
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("magic-only", b"GGUF".to_vec()),
        ("wrong-magic", b"GGML\x03\0\0\0".to_vec()),
        (
            "magic-lowercase",
            b"gguf\x03\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec(),
        ),
        ("version-0", h(0, 0, 0).done()),
        ("version-4", h(4, 0, 0).done()),
        ("version-huge", h(0x1234_5678, 0, 0).done()),
        ("tensor-count-2e63", h(3, 1 << 63, 0).done()),
        ("key-count-2e63", h(3, 0, 1 << 63).done()),
        ("counts-cut-off", h(3, 0, 0).done()[..15].to_vec()),
        ("more-keys-than-present", h(3, 0, 3).kv_u32("a.b", 1).done()),
        (
            "more-tensors-than-present",
            h(3, 5, 0).tensor(b"t", &[4], 0, 0).data(16),
        ),
        (
            "string-length-past-end",
            h(3, 0, 1).u64(1000).u64(0).u64(0).done(),
        ),
        (
            "key-length-u64-max",
            h(3, 0, 1).u64(u64::MAX).u64(0).u32(0).done(),
        ),
        ("empty-key", h(3, 0, 1).str(b"").u32(0).u32(0).done()),
        ("non-utf8-key", h(3, 0, 1).str(b"k\xff").u32(0).u32(0).done()),
        (
            "unknown-value-type-13",
            h(3, 0, 1).str(b"k").u32(13).u64(0).done(),
        ),
        (
            "unknown-value-type-2e31",
            h(3, 0, 1).str(b"k").u32(1 << 31).u64(0).done(),
        ),
        (
            "duplicate-key",
            h(3, 0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2).done(),
        ),
        (
            "duplicate-alignment-key",
            h(3, 0, 2)
                .kv_u32("general.alignment", 32)
                .kv_u32("general.alignment", 64)
                .done(),
        ),
        (
            "array-2e60-u64",
            h(3, 0, 1).str(b"arr").u32(9).u32(10).u64(1 << 60).u64(7).done(),
        ),
        (
            "array-2e62-strings",
            h(3, 0, 1).str(b"arr").u32(9).u32(8).u64(1 << 62).str(b"x").done(),
        ),
        (
            "array-2e40-bools",
            h(3, 0, 1).str(b"arr").u32(9).u32(7).u64(1 << 40).u64(0).done(),
        ),
        (
            "array-2e62-arrays",
            h(3, 0, 1)
                .str(b"arr")
                .u32(9)
                .u32(9)
                .u64(1 << 62)
                .u64(0)
                .u64(0)
                .done(),
        ),
        (
            "array-unknown-element-type",
            h(3, 0, 1).str(b"arr").u32(9).u32(99).u64(1).u64(0).done(),
        ),
        (
            "string-element-past-end",
            h(3, 0, 1)
                .str(b"arr")
                .u32(9)
                .u32(8)
                .u64(2)
                .str(b"ok")
                .u64(50)
                .done(),
        ),
        (
            "string-element-length-u64-max",
            h(3, 0, 1)
                .str(b"arr")
                .u32(9)
                .u32(8)
                .u64(2)
                .str(b"ok")
                .u64(u64::MAX)
                .u64(0)
                .done(),
        ),
        (
            "value-cut-off",
            h(3, 0, 1).str(b"k").u32(10).bytes(&[1, 2, 3]).done(),
        ),
        ("alignment-0", h(3, 0, 1).kv_u32("general.alignment", 0).done()),
        ("alignment-3", h(3, 0, 1).kv_u32("general.alignment", 3).done()),
        (
            "alignment-2e40-u64",
            h(3, 0, 1).str(b"general.alignment").u32(10).u64(1 << 40).done(),
        ),
        (
            "alignment-as-string",
            h(3, 0, 1).str(b"general.alignment").u32(8).str(b"32").done(),
        ),
        (
            "alignment-2e31-data-past-end",
            h(3, 1, 1)
                .kv_u32("general.alignment", 1 << 31)
                .tensor(b"t", &[4], 0, 0)
                .data(16),
        ),
        (
            "tensor-5-dims",
            h(3, 1, 0).tensor(b"t", &[1, 1, 1, 1, 1], 0, 0).data(4),
        ),
        (
            "tensor-n-dims-u32-max",
            h(3, 1, 0).str(b"t").u32(u32::MAX).u64(0).u64(0).done(),
        ),
        (
            "dim-2e63-negative",
            h(3, 1, 0).tensor(b"t", &[1 << 63], 0, 0).data(0),
        ),
        (
            "elements-overflow-i64",
            h(3, 1, 0).tensor(b"t", &[1 << 32, 1 << 32], 0, 0).data(0),
        ),
        (
            "elements-overflow-4-dims",
            h(3, 1, 0).tensor(b"t", &[1 << 16; 4], 0, 0).data(0),
        ),
        (
            "zero-row-length-rows-overflow",
            h(3, 1, 0).tensor(b"t", &[0, 1 << 40, 1 << 40], 0, 0).data(0),
        ),
        (
            "bytes-overflow-u64",
            h(3, 1, 0).tensor(b"t", &[1 << 62], 0, 0).data(0),
        ),
        (
            "dim-2e62-past-end",
            h(3, 1, 0).tensor(b"t", &[1 << 62], 24, 0).data(64),
        ),
        (
            "non-utf8-tensor-name",
            h(3, 1, 0).tensor(b"t\x80", &[4], 0, 0).data(16),
        ),
        (
            "row-not-whole-q4_0-blocks",
            h(3, 1, 0).tensor(b"q", &[33], 2, 0).data(64),
        ),
        (
            "row-not-whole-q4_k-blocks",
            h(3, 1, 0).tensor(b"q", &[640, 2], 12, 0).data(2048),
        ),
        ("misaligned-offset", h(3, 1, 0).tensor(b"t", &[4], 0, 4).data(64)),
        (
            "misaligned-offset-alignment-64",
            h(3, 1, 1)
                .kv_u32("general.alignment", 64)
                .tensor(b"t", &[4], 0, 32)
                .data(128),
        ),
        (
            "offset-past-end",
            h(3, 1, 0).tensor(b"t", &[4], 0, 1 << 20).data(64),
        ),
        (
            "offset-overflows",
            h(3, 1, 0).tensor(b"t", &[4], 0, u64::MAX - 31).data(64),
        ),
        ("data-cut-off", h(3, 1, 0).tensor(b"t", &[64], 0, 0).data(100)),
        (
            "overlapping-tensors",
            h(3, 2, 0)
                .tensor(b"a", &[16], 0, 0)
                .tensor(b"b", &[8], 0, 32)
                .data(96),
        ),
        (
            "tensor-inside-another",
            h(3, 3, 0)
                .tensor(b"big", &[64], 0, 0)
                .tensor(b"small", &[8], 0, 64)
                .tensor(b"after", &[8], 0, 96)
                .data(256),
        ),
        (
            "duplicate-tensor-name",
            h(3, 2, 0)
                .tensor(b"t", &[4], 0, 0)
                .tensor(b"t", &[4], 0, 32)
                .data(64),
        ),
        ("v1-tensor-count-u32-max", v1(u32::MAX, 0).done()),
        ("v1-string-past-end", v1(0, 1).u32(100).u32(0).u32(0).done()),
        ("v1-cut-in-header", v1(0, 0).done()[..10].to_vec()),
        ("be-header-le-counts", {
            let mut r = h(3, 0, 0);
            r.b[4..8].copy_from_slice(&3u32.to_be_bytes());
            r.b[8..16].copy_from_slice(&1u64.to_le_bytes());
            r.done()
        }),
        (
            "be-cut-in-key",
            Raw::header_be(3, 0, 1).u64(10).bytes(b"abc\0\0\0\0").done(),
        ),
        // Borderline but valid: these must parse.
        (
            "ok-zero-dim-tensor",
            h(3, 1, 0).tensor(b"empty", &[0, 8], 0, 0).data(0),
        ),
        (
            "ok-zero-size-tensors-share-offset",
            h(3, 2, 0)
                .tensor(b"a", &[0], 0, 0)
                .tensor(b"b", &[0], 0, 0)
                .data(0),
        ),
        (
            "ok-unknown-ggml-type",
            h(3, 1, 0).tensor(b"mystery", &[7, 3], 1234, 0).data(32),
        ),
        (
            "ok-removed-ggml-type-4",
            h(3, 1, 0).tensor(b"old", &[32], 4, 0).data(32),
        ),
        (
            "ok-non-utf8-string-value",
            h(3, 0, 1).str(b"k").u32(8).str(b"\xff\xfe").done(),
        ),
        (
            "ok-empty-tensor-name",
            h(3, 1, 0).tensor(b"", &[4], 0, 0).data(16),
        ),
        (
            "ok-keys-differing-in-case",
            h(3, 0, 2).kv_u32("a.B", 1).kv_u32("a.b", 2).done(),
        ),
        (
            "ok-alignment-1",
            h(3, 1, 1)
                .kv_u32("general.alignment", 1)
                .tensor(b"t", &[3], 24, 0)
                .bytes(&[1, 2, 3])
                .done(),
        ),
        (
            "ok-bool-byte-2",
            h(3, 0, 1).str(b"flag").u32(7).bytes(&[2]).done(),
        ),
        (
            "ok-big-endian",
            Raw::header_be(3, 1, 1)
                .str(b"general.architecture")
                .u32(8)
                .str(b"llama")
                .tensor(b"t", &[2], 0, 0)
                .data(8),
        ),
    ];
    // Arrays nested 10,000 deep.
    let mut deep = h(3, 0, 1);
    deep.str(b"deep").u32(9);
    for _ in 0..10_000 {
        deep.u32(9).u64(1);
    }
    deep.u32(4).u64(0);
    v.push(("arrays-nested-10000-deep", deep.done()));
    v
}

/// The files of one shard set: name and bytes.
pub type ShardSet = Vec<(&'static str, Vec<u8>)>;

/// One shard for the split-model cases: `split.*` keys as given (`None`
/// leaves a key out), a name key in the first shard, and one 4-element F32
/// tensor per name.
fn shard(keys: (Option<u64>, Option<u64>, Option<i32>), first: bool, tensors: &[&str], big: bool) -> Vec<u8> {
    use gguf_format::{ByteOrder, GgmlType, GgufBuilder, MetaValue};
    let mut b = GgufBuilder::new();
    if big {
        b.set_byte_order(ByteOrder::Big);
    }
    if first {
        b.push("general.architecture", "llama").expect("key");
    }
    if let Some(no) = keys.0 {
        b.push("split.no", MetaValue::U16(no as u16)).expect("key");
    }
    if let Some(n) = keys.2 {
        b.push("split.tensors.count", n).expect("key");
    }
    if let Some(c) = keys.1 {
        match u16::try_from(c) {
            Ok(c) => b.push("split.count", c).expect("key"),
            Err(_) => b.push("split.count", c as u32).expect("key"),
        };
    }
    for t in tensors {
        b.add_tensor(*t, &[4], GgmlType::F32).expect("tensor");
    }
    let mut tw = b.write_header(Vec::new()).expect("header");
    for _ in tensors {
        tw.write_tensor(&[0u8; 16]).expect("data");
    }
    tw.finish().expect("finish")
}

/// Sets of shards of one split model, each a case for `testdata/malformed/shards/`:
/// a folder name (what it checks) and the files in it. The test opens the
/// first file (by name) as a model.
pub fn shard_cases() -> Vec<(&'static str, ShardSet)> {
    let k = |no: u64, count: u64, total: i32| (Some(no), Some(count), Some(total));
    let a = |keys, t: &[&str]| shard(keys, true, t, false);
    let b = |keys, t: &[&str]| shard(keys, false, t, false);
    let (s1, s2) = ("m-00001-of-00002.gguf", "m-00002-of-00002.gguf");
    vec![
        (
            "ok-two-shards",
            vec![(s1, a(k(0, 2, 3), &["x", "y"])), (s2, b(k(1, 2, 3), &["z"]))],
        ),
        (
            "ok-metadata-only-first-shard",
            vec![(s1, a(k(0, 2, 1), &[])), (s2, b(k(1, 2, 1), &["z"]))],
        ),
        ("missing-second-shard", vec![(s1, a(k(0, 2, 3), &["x", "y"]))]),
        (
            "second-says-split-no-2",
            vec![(s1, a(k(0, 2, 3), &["x", "y"])), (s2, b(k(2, 2, 3), &["z"]))],
        ),
        (
            "second-says-split-count-3",
            vec![(s1, a(k(0, 2, 3), &["x", "y"])), (s2, b(k(1, 3, 3), &["z"]))],
        ),
        (
            "second-from-another-split",
            vec![(s1, a(k(0, 2, 3), &["x", "y"])), (s2, b(k(1, 2, 7), &["z"]))],
        ),
        (
            "tensor-in-two-shards",
            vec![(s1, a(k(0, 2, 3), &["x", "y"])), (s2, b(k(1, 2, 3), &["y"]))],
        ),
        (
            "more-tensors-than-announced",
            vec![(s1, a(k(0, 2, 3), &["x", "y"])), (s2, b(k(1, 2, 3), &["z", "w"]))],
        ),
        (
            "second-without-split-keys",
            vec![
                (s1, a(k(0, 2, 3), &["x", "y"])),
                (s2, b((None, None, None), &["z"])),
            ],
        ),
        (
            "first-without-split-no",
            vec![
                (s1, a((None, Some(2), Some(3)), &["x", "y"])),
                (s2, b(k(1, 2, 3), &["z"])),
            ],
        ),
        (
            "second-big-endian",
            vec![
                (s1, a(k(0, 2, 3), &["x", "y"])),
                (s2, shard(k(1, 2, 3), false, &["z"], true)),
            ],
        ),
        (
            "shard-past-the-count",
            vec![
                (s1, a(k(0, 2, 3), &["x", "y"])),
                (s2, b(k(1, 2, 3), &["z"])),
                ("m-00003-of-00002.gguf", b(k(2, 2, 3), &["w"])),
            ],
        ),
        (
            "first-not-named-as-a-shard",
            vec![
                ("a.gguf", a(k(0, 2, 3), &["x", "y"])),
                (s2, b(k(1, 2, 3), &["z"])),
            ],
        ),
        ("opened-at-second-shard", vec![(s2, b(k(1, 2, 3), &["z"]))]),
        (
            "split-count-over-u16",
            vec![("m-00001-of-70000.gguf", a(k(0, 70000, 3), &["x"]))],
        ),
        (
            "second-not-gguf",
            vec![(s1, a(k(0, 2, 3), &["x", "y"])), (s2, b"GGML\x03\0\0\0".to_vec())],
        ),
        (
            "second-cut-off",
            vec![
                (s1, a(k(0, 2, 3), &["x", "y"])),
                (s2, b(k(1, 2, 3), &["z"])[..60].to_vec()),
            ],
        ),
    ]
}

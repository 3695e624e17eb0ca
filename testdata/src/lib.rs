//! Deterministic generator of the small GGUF files in `testdata/`.
//!
//! `cargo run -p gguf-testdata` writes them; the test in `tests/regenerate.rs`
//! regenerates them in memory and checks the checked-in bytes are unchanged.
//! Everything comes from a fixed-seed SplitMix64, so the output depends on
//! nothing but this code.

pub mod bench_import;
pub mod golden;
pub mod malformed;
pub mod malformed_import;

use gguf_format::{ByteOrder, GgmlType, GgufBuilder, MetaValue, ValueType, Version, GGML_TYPES};

/// A fixed-seed SplitMix64: tiny, fast and good enough for test weights.
pub struct Rng(u64);

impl Rng {
    /// A generator with this seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn gauss(&mut self) -> f32 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}

/// Shape of a llama-style model to generate.
#[derive(Debug, Clone)]
pub struct LlamaShape {
    /// `general.name`.
    pub name: &'static str,
    /// Transformer blocks.
    pub n_layer: u32,
    /// Embedding width.
    pub n_embd: u64,
    /// Feed-forward width.
    pub n_ff: u64,
    /// Attention heads.
    pub n_head: u32,
    /// Key/value heads (grouped-query attention when fewer than `n_head`).
    pub n_head_kv: u32,
    /// Vocabulary size (at least 259: three specials and 256 byte tokens).
    pub n_vocab: u64,
}

impl LlamaShape {
    /// The checked-in tiny model: 2 layers, width 64.
    pub fn tiny() -> LlamaShape {
        LlamaShape {
            name: "tiny-llama",
            n_layer: 2,
            n_embd: 64,
            n_ff: 128,
            n_head: 4,
            n_head_kv: 2,
            n_vocab: 300,
        }
    }

    /// The tensors in the order `convert_hf_to_gguf.py` writes them: name and dims (innermost first).
    pub fn tensors(&self) -> Vec<(String, Vec<u64>)> {
        let (e, f, v) = (self.n_embd, self.n_ff, self.n_vocab);
        let kv = e / u64::from(self.n_head) * u64::from(self.n_head_kv);
        let mut t = vec![("token_embd.weight".to_string(), vec![e, v])];
        for i in 0..self.n_layer {
            for (n, d) in [
                ("attn_norm", vec![e]),
                ("attn_q", vec![e, e]),
                ("attn_k", vec![e, kv]),
                ("attn_v", vec![e, kv]),
                ("attn_output", vec![e, e]),
                ("ffn_norm", vec![e]),
                ("ffn_gate", vec![e, f]),
                ("ffn_up", vec![e, f]),
                ("ffn_down", vec![f, e]),
            ] {
                t.push((format!("blk.{i}.{n}.weight"), d));
            }
        }
        t.push(("output_norm.weight".into(), vec![e]));
        t.push(("output.weight".into(), vec![e, v]));
        t
    }

    /// Token strings: `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then words.
    pub fn tokens(&self) -> Vec<String> {
        let mut t: Vec<String> = ["<unk>", "<s>", "</s>"].iter().map(|s| s.to_string()).collect();
        t.extend((0..=255u32).map(|b| format!("<0x{b:02X}>")));
        let syllables = ["the", "ka", "lo", "mi", "zu", "an", "re", "po", "é", "日本"];
        let mut i = 0usize;
        while (t.len() as u64) < self.n_vocab {
            let w = format!(
                "▁{}{}",
                syllables[i % syllables.len()],
                syllables[(i / syllables.len()) % syllables.len()]
            );
            t.push(if i < syllables.len() * syllables.len() {
                w
            } else {
                format!("{w}{i}")
            });
            i += 1;
        }
        t
    }

    /// Metadata in the order llama.cpp's converter writes it.
    pub fn metadata(&self, file_type: u32) -> Vec<(String, MetaValue<'static>)> {
        let tokens = self.tokens();
        let n = tokens.len();
        let token_type = (0..n).map(|i| {
            MetaValue::I32(match i {
                0 => 2,
                1 | 2 => 3,
                3..=258 => 6,
                _ => 1,
            })
        });
        let scores = (0..n).map(|i| MetaValue::F32(if i < 259 { 0.0 } else { -(i as f32 - 259.0) }));
        let head_dim = self.n_embd / u64::from(self.n_head);
        vec![
            ("general.architecture".into(), "llama".into()),
            ("general.type".into(), "model".into()),
            ("general.name".into(), self.name.into()),
            ("general.size_label".into(), "tiny".into()),
            ("llama.block_count".into(), self.n_layer.into()),
            ("llama.context_length".into(), 2048u32.into()),
            ("llama.embedding_length".into(), (self.n_embd as u32).into()),
            ("llama.feed_forward_length".into(), (self.n_ff as u32).into()),
            ("llama.attention.head_count".into(), self.n_head.into()),
            ("llama.attention.head_count_kv".into(), self.n_head_kv.into()),
            ("llama.rope.freq_base".into(), 10000.0f32.into()),
            ("llama.attention.layer_norm_rms_epsilon".into(), 1e-5f32.into()),
            ("llama.rope.dimension_count".into(), (head_dim as u32).into()),
            ("llama.vocab_size".into(), (self.n_vocab as u32).into()),
            ("general.file_type".into(), file_type.into()),
            ("tokenizer.ggml.model".into(), "llama".into()),
            ("tokenizer.ggml.pre".into(), "default".into()),
            ("tokenizer.ggml.tokens".into(), MetaValue::strings(tokens)),
            (
                "tokenizer.ggml.scores".into(),
                MetaValue::array(ValueType::F32, scores),
            ),
            (
                "tokenizer.ggml.token_type".into(),
                MetaValue::array(ValueType::I32, token_type),
            ),
            ("tokenizer.ggml.bos_token_id".into(), 1u32.into()),
            ("tokenizer.ggml.eos_token_id".into(), 2u32.into()),
            ("tokenizer.ggml.unknown_token_id".into(), 0u32.into()),
            ("tokenizer.ggml.add_bos_token".into(), true.into()),
            ("tokenizer.ggml.add_eos_token".into(), false.into()),
            (
                "tokenizer.chat_template".into(),
                "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}</s>\n{% endfor %}".into(),
            ),
        ]
    }
}

/// Encodes f32 values as F32 or F16 bytes in `order`.
fn encode_floats(values: &[f32], ty: GgmlType, order: ByteOrder) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 4);
    for &v in values {
        match (ty, order) {
            (GgmlType::F16, ByteOrder::Little) => out.extend(half::f16::from_f32(v).to_le_bytes()),
            (GgmlType::F16, ByteOrder::Big) => out.extend(half::f16::from_f32(v).to_be_bytes()),
            (_, ByteOrder::Little) => out.extend(v.to_le_bytes()),
            (_, ByteOrder::Big) => out.extend(v.to_be_bytes()),
        }
    }
    out
}

fn write(b: &GgufBuilder<'_>, data: &[Vec<u8>]) -> Vec<u8> {
    let mut tw = b.write_header(Vec::new()).expect("header");
    for d in data {
        tw.write_tensor(d).expect("tensor data");
    }
    tw.finish().expect("complete")
}

/// A llama-shaped model with random normal weights (std 0.02) and unit norms.
/// `float_type` is F32 or F16 (used for the 2-D weights; norms stay F32).
pub fn llama_model(shape: &LlamaShape, float_type: GgmlType, order: ByteOrder, seed: u64) -> Vec<u8> {
    write_llama_model(shape, float_type, order, seed, Vec::new()).expect("in-memory write")
}

/// [`llama_model`], streamed to `w` one tensor at a time (for models too big
/// to build in memory, such as the requant benchmark's 0.85 B parameters).
pub fn write_llama_model<W: std::io::Write>(
    shape: &LlamaShape,
    float_type: GgmlType,
    order: ByteOrder,
    seed: u64,
    w: W,
) -> Result<W, gguf_format::Error> {
    let mut rng = Rng::new(seed);
    let mut b = GgufBuilder::new();
    // The data is encoded in the file's order below.
    b.set_byte_order(order).set_data_byte_order(order);
    let file_type = if float_type == GgmlType::F16 { 1 } else { 0 };
    for (k, v) in shape.metadata(file_type) {
        b.push(k, v)?;
    }
    let tensors = shape.tensors();
    for (name, dims) in &tensors {
        let ty = if dims.len() == 1 {
            GgmlType::F32
        } else {
            float_type
        };
        b.add_tensor(name.clone(), dims, ty)?;
    }
    let mut tw = b.write_header(w)?;
    for (_, dims) in &tensors {
        let n: u64 = dims.iter().product();
        let (ty, values): (GgmlType, Vec<f32>) = if dims.len() == 1 {
            (GgmlType::F32, (0..n).map(|_| 1.0 + 0.1 * rng.gauss()).collect())
        } else {
            (float_type, (0..n).map(|_| 0.02 * rng.gauss()).collect())
        };
        tw.write_tensor(&encode_floats(&values, ty, order))?;
    }
    tw.finish()
}

/// The requant benchmark's model: llama-shaped, 0.85 B parameters, F16
/// (16 layers, width 2048, feed-forward 5632, 16 heads, 4 KV heads, 32,000 tokens).
pub fn bench_shape() -> LlamaShape {
    LlamaShape {
        name: "bench-0.85b",
        n_layer: 16,
        n_embd: 2048,
        n_ff: 5632,
        n_head: 16,
        n_head_kv: 4,
        n_vocab: 32000,
    }
}

/// Metadata with every value type: each scalar, arrays of each, nested arrays,
/// empty arrays, and non-ASCII strings.
pub fn all_value_types() -> Vec<u8> {
    let mut b = GgufBuilder::new();
    let entries: Vec<(&str, MetaValue<'static>)> = vec![
        ("general.architecture", "test".into()),
        ("test.u8", 200u8.into()),
        ("test.i8", (-100i8).into()),
        ("test.u16", 60000u16.into()),
        ("test.i16", (-30000i16).into()),
        ("test.u32", 4_000_000_000u32.into()),
        ("test.i32", (-2_000_000_000i32).into()),
        ("test.f32", 3.5f32.into()),
        ("test.bool_true", true.into()),
        ("test.bool_false", false.into()),
        ("test.string", "héllo wörld — 日本語 ✓".into()),
        ("test.empty_string", "".into()),
        ("test.u64", u64::MAX.into()),
        ("test.i64", i64::MIN.into()),
        ("test.f64", std::f64::consts::PI.into()),
        ("test.f32_special", f32::NEG_INFINITY.into()),
        (
            "test.arr.u8",
            MetaValue::array(ValueType::U8, [0u8, 1, 255].map(MetaValue::U8)),
        ),
        (
            "test.arr.i8",
            MetaValue::array(ValueType::I8, [-128i8, 0, 127].map(MetaValue::I8)),
        ),
        (
            "test.arr.u16",
            MetaValue::array(ValueType::U16, [1u16, 65535].map(MetaValue::U16)),
        ),
        (
            "test.arr.i16",
            MetaValue::array(ValueType::I16, [-1i16, 1].map(MetaValue::I16)),
        ),
        (
            "test.arr.u32",
            MetaValue::array(ValueType::U32, [7u32, 8, 9].map(MetaValue::U32)),
        ),
        (
            "test.arr.i32",
            MetaValue::array(ValueType::I32, [-7i32, 8].map(MetaValue::I32)),
        ),
        (
            "test.arr.f32",
            MetaValue::array(ValueType::F32, [0.25f32, -1e30].map(MetaValue::F32)),
        ),
        (
            "test.arr.bool",
            MetaValue::array(ValueType::Bool, [true, false, true].map(MetaValue::Bool)),
        ),
        (
            "test.arr.string",
            MetaValue::strings(["a", "", "ünïcode", "tab\there"]),
        ),
        (
            "test.arr.u64",
            MetaValue::array(ValueType::U64, [u64::MAX, 0].map(MetaValue::U64)),
        ),
        (
            "test.arr.i64",
            MetaValue::array(ValueType::I64, [i64::MIN, i64::MAX].map(MetaValue::I64)),
        ),
        (
            "test.arr.f64",
            MetaValue::array(ValueType::F64, [1e-300f64, 2.0].map(MetaValue::F64)),
        ),
        ("test.arr.empty", MetaValue::array(ValueType::U32, [])),
        (
            "test.arr.nested_i32",
            MetaValue::array(
                ValueType::Array,
                [vec![1i32, 2], vec![], vec![3]]
                    .map(|v| MetaValue::array(ValueType::I32, v.into_iter().map(MetaValue::I32))),
            ),
        ),
        (
            "test.arr.nested_strings",
            MetaValue::array(
                ValueType::Array,
                [MetaValue::strings(["x", "y"]), MetaValue::strings(["z"])],
            ),
        ),
        (
            "test.arr.nested3",
            MetaValue::array(
                ValueType::Array,
                [MetaValue::array(
                    ValueType::Array,
                    [MetaValue::array(ValueType::Bool, [MetaValue::Bool(true)])],
                )],
            ),
        ),
    ];
    for (k, v) in entries {
        b.push(k, v).expect("metadata");
    }
    b.add_tensor("t", &[4], GgmlType::F32).expect("tensor");
    write(
        &b,
        &[encode_floats(
            &[1.0, 2.0, 3.0, 4.0],
            GgmlType::F32,
            ByteOrder::Little,
        )],
    )
}

/// One tensor of every ggml type this crate knows, two rows of two blocks
/// each, filled with random bytes (not meaningful numbers: a format test).
pub fn all_ggml_types() -> Vec<u8> {
    let mut rng = Rng::new(0x6767_7566);
    let mut b = GgufBuilder::new();
    b.push("general.architecture", "test").expect("key");
    let mut data = Vec::new();
    for t in GGML_TYPES {
        let dims = [u64::from(t.block_size) * 2, 2];
        b.add_tensor(format!("type.{}", t.name), &dims, t.ty)
            .expect("tensor");
        data.push(rng.bytes(t.tensor_size(&dims).expect("small") as usize));
    }
    write(&b, &data)
}

/// A small file in an older format version (1 or 2).
pub fn small_versioned(version: Version) -> Vec<u8> {
    let mut rng = Rng::new(u64::from(version.as_u32()));
    let mut b = GgufBuilder::new();
    b.set_version(version);
    b.push("general.architecture", "llama").expect("key");
    b.push("general.name", format!("v{} file", version.as_u32()))
        .expect("key");
    b.push("llama.block_count", 1u32).expect("key");
    b.push("tokenizer.ggml.tokens", MetaValue::strings(["<s>", "</s>", "hi"]))
        .expect("key");
    b.add_tensor("token_embd.weight", &[8, 3], GgmlType::F32)
        .expect("tensor");
    b.add_tensor("output_norm.weight", &[8], GgmlType::F16)
        .expect("tensor");
    let e: Vec<f32> = (0..24).map(|_| rng.gauss()).collect();
    let n: Vec<f32> = (0..8).map(|_| 1.0 + rng.gauss() * 0.1).collect();
    write(
        &b,
        &[
            encode_floats(&e, GgmlType::F32, ByteOrder::Little),
            encode_floats(&n, GgmlType::F16, ByteOrder::Little),
        ],
    )
}

/// A model whose `general.alignment` is 64 (llama-quantize mishandles these).
pub fn aligned_64() -> Vec<u8> {
    let shape = LlamaShape {
        name: "aligned-64",
        n_layer: 1,
        n_embd: 32,
        n_ff: 64,
        n_head: 2,
        n_head_kv: 2,
        n_vocab: 259,
    };
    let mut rng = Rng::new(64);
    let mut b = GgufBuilder::new();
    for (k, v) in shape.metadata(0) {
        b.push(k, v).expect("metadata");
    }
    b.set_alignment(64).expect("alignment");
    let mut data = Vec::new();
    // rope_freqs (32 bytes) makes the next offset differ between 32- and 64-byte alignment.
    let mut tensors = vec![("rope_freqs.weight".to_string(), vec![8])];
    tensors.extend(shape.tensors());
    for (name, dims) in tensors {
        let n: u64 = dims.iter().product();
        let values: Vec<f32> = (0..n).map(|_| 0.02 * rng.gauss()).collect();
        b.add_tensor(name, &dims, GgmlType::F32).expect("tensor");
        data.push(encode_floats(&values, GgmlType::F32, ByteOrder::Little));
    }
    write(&b, &data)
}

/// A model shaped like Gemma-3 270M where it matters to a parser: a vocabulary
/// of `n_vocab` tokens (strings, scores, token types), 18 blocks of 17
/// tensors (308 in all) with real names, but narrow (width 64) so the file
/// stays small. Used by benchmarks; not checked in.
pub fn big_vocab_model(n_vocab: u64) -> Vec<u8> {
    let shape = LlamaShape {
        name: "big-vocab",
        n_layer: 18,
        n_embd: 64,
        n_ff: 128,
        n_head: 4,
        n_head_kv: 1,
        n_vocab,
    };
    let mut b = GgufBuilder::new();
    for (k, v) in shape.metadata(1) {
        b.push(k, v).expect("metadata");
    }
    let mut tensors = shape.tensors();
    for i in 0..shape.n_layer {
        for n in [
            "attn_q_norm",
            "attn_k_norm",
            "post_attention_norm",
            "post_ffw_norm",
            "layer_output_scale",
            "ffn_pre_norm",
            "attn_sub_norm",
            "ffn_sub_norm",
        ] {
            tensors.push((format!("blk.{i}.{n}.weight"), vec![shape.n_embd]));
        }
    }
    let mut data = Vec::new();
    for (name, dims) in tensors {
        let ty = if dims.len() == 1 {
            GgmlType::F32
        } else {
            GgmlType::F16
        };
        b.add_tensor(name, &dims, ty).expect("tensor");
        let size = ty.info().and_then(|i| i.tensor_size(&dims)).expect("small");
        data.push(vec![0u8; size as usize]);
    }
    write(&b, &data)
}

/// Every checked-in test file: name and bytes.
pub fn files() -> Vec<(&'static str, Vec<u8>)> {
    let tiny = LlamaShape::tiny();
    vec![
        (
            "tiny-llama-f32.gguf",
            llama_model(&tiny, GgmlType::F32, ByteOrder::Little, 1),
        ),
        (
            "tiny-llama-f16.gguf",
            llama_model(&tiny, GgmlType::F16, ByteOrder::Little, 1),
        ),
        (
            "tiny-llama-f32-be.gguf",
            llama_model(&tiny, GgmlType::F32, ByteOrder::Big, 1),
        ),
        ("all-value-types.gguf", all_value_types()),
        ("all-ggml-types.gguf", all_ggml_types()),
        ("v2-small.gguf", small_versioned(Version::V2)),
        ("v1-small.gguf", small_versioned(Version::V1)),
        ("aligned-64.gguf", aligned_64()),
    ]
}

/// The malformed files for `testdata/malformed/`, named `NN-what-it-checks.gguf`.
pub fn malformed_files() -> Vec<(String, Vec<u8>)> {
    malformed::cases()
        .into_iter()
        .enumerate()
        .map(|(i, (name, bytes))| (format!("{:02}-{name}.gguf", i + 1), bytes))
        .collect()
}

/// The split-model cases for `testdata/malformed/shards/NN-what/`: folder
/// name and files.
pub fn malformed_shard_sets() -> Vec<(String, malformed::ShardSet)> {
    malformed::shard_cases()
        .into_iter()
        .enumerate()
        .map(|(i, (name, files))| (format!("{:02}-{name}", i + 1), files))
        .collect()
}

/// The broken model directories for `testdata/malformed/import/NN-what/`
/// (`gguf import` inputs): folder name and files.
pub fn malformed_import_dirs() -> Vec<(String, malformed_import::ModelFiles)> {
    malformed_import::cases()
        .into_iter()
        .enumerate()
        .map(|(i, (name, files))| (format!("{:02}-{name}", i + 1), files))
        .collect()
}

/// The folder the files live in (`testdata/` at the workspace root).
pub fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

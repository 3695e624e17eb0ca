//! `memory::estimate` against what llama.cpp 0c1e570 allocates
//! (`testdata/golden/llama-memory.json`, llama-perplexity's figures): KV
//! caches to the byte, totals within 15 %, and synthetic headers for what
//! the golden files lack (sliding windows, per-layer head counts, cache
//! types, sequences, bad keys); the weights' placement (mapped, repacked).
//! Every row of `llama-context-memory.json` is checked in
//! `gguf-cli/tests/memory.rs` (its models are made by `gguf import`).

/// llama-perplexity's context at `ctx` (what `llama-memory.json` records).
fn perplexity(ctx: u64) -> Options {
    Options {
        usage: Usage::Perplexity,
        ..Options::new(ctx)
    }
}

use gguf_format::{GgmlType, Gguf, GgufBuilder, GgufFile, MetaValue, ValueType};
use gguf_llama::memory::{self, CacheKind, Options, Unknown, Usage, WeightInfo, Weights};

const MIB: f64 = 1024.0 * 1024.0;

/// llama.cpp's figures for `file` at `ctx`, in MiB: (model, kv, compute, output).
fn llama(file: &str, ctx: &str) -> (f64, f64, f64, f64) {
    let doc: serde_json::Value =
        serde_json::from_slice(&gguf_testdata::golden::read("llama-memory.json")).unwrap();
    let m = &doc[file][ctx];
    let f = |k: &str| m[k].as_f64().unwrap_or_else(|| panic!("{file} {ctx} {k}"));
    (f("model"), f("kv"), f("compute"), f("output"))
}

/// A header-only model: `keys` after `general.architecture`, a vocabulary
/// of `n_vocab` tokens, no tensors (the estimate reads metadata only).
fn header(arch: &str, keys: &[(&str, MetaValue<'static>)], n_vocab: usize) -> Vec<u8> {
    let mut b = GgufBuilder::new();
    b.push("general.architecture", arch).unwrap();
    for (k, v) in keys {
        b.push(format!("{arch}.{k}"), v.clone()).unwrap();
    }
    let tokens: Vec<String> = (0..n_vocab).map(|i| format!("t{i}")).collect();
    b.push(
        "tokenizer.ggml.tokens",
        MetaValue::strings(tokens.iter().map(String::as_str)),
    )
    .unwrap();
    b.write_header(Vec::new()).unwrap().finish().unwrap()
}

/// A u32 array, one value per layer.
fn per_layer(values: &[u32]) -> MetaValue<'static> {
    MetaValue::array(ValueType::U32, values.iter().map(|&v| MetaValue::from(v)))
}

fn within(ours: f64, theirs: f64, tolerance: f64) -> bool {
    (ours - theirs).abs() <= tolerance * theirs
}

/// A llama with 4 heads of 64 over 256 and `kv` KV heads (scalar or per layer).
fn llama_keys(n_layer: u32, kv: MetaValue<'static>) -> Vec<(&'static str, MetaValue<'static>)> {
    vec![
        ("block_count", MetaValue::from(n_layer)),
        ("context_length", MetaValue::from(4096u32)),
        ("embedding_length", MetaValue::from(256u32)),
        ("feed_forward_length", MetaValue::from(512u32)),
        ("attention.head_count", MetaValue::from(4u32)),
        ("attention.head_count_kv", kv),
    ]
}

#[test]
fn tiny_q4_k_m_at_4096_is_what_llama_cpp_allocates() {
    let file = GgufFile::open(gguf_testdata::golden::path("tiny-Q4_K_M.gguf")).unwrap();
    let g = file.parse().unwrap();
    let e = memory::estimate(&g, &perplexity(4096), g.total_tensor_bytes());
    let (model, kv, compute, output) = llama("tiny-Q4_K_M.gguf", "4096");
    assert_eq!(e.kv_bytes, Ok(4_194_304));
    assert_eq!(e.kv_bytes.clone().unwrap() as f64 / MIB, kv);
    assert_eq!(e.caches.len(), 1);
    assert_eq!(
        (e.caches[0].kind, e.caches[0].cells, e.caches[0].layers.len()),
        (CacheKind::Full, 4096, 2)
    );
    // 512 tokens × 4 bytes of logits for one sequence.
    assert_eq!(e.output_bytes, Ok(2048));
    assert!((e.output_bytes.clone().unwrap() as f64 / MIB - output).abs() < 0.005);
    let ours = e.total_bytes.unwrap() as f64 / MIB;
    let theirs = model + kv + compute + output;
    assert!(
        within(ours, theirs, 0.15),
        "total {ours:.2} MiB vs llama.cpp's {theirs:.2} MiB"
    );
    let c = e.compute_bytes.unwrap() as f64 / MIB;
    assert!(within(c, compute, 0.15), "compute {c:.2} MiB vs {compute}");
}

/// gemma-3-270m at 8192 tokens: 18 layers, every 6th global, window 512,
/// one KV head of 256, a 262,144-token vocabulary.
#[test]
fn gemma3_sliding_window_caches_match_llama_cpp() {
    let bytes = header(
        "gemma3",
        &[
            ("block_count", MetaValue::from(18u32)),
            ("context_length", MetaValue::from(32768u32)),
            ("embedding_length", MetaValue::from(640u32)),
            ("feed_forward_length", MetaValue::from(2048u32)),
            ("attention.head_count", MetaValue::from(4u32)),
            ("attention.head_count_kv", MetaValue::from(1u32)),
            ("attention.key_length", MetaValue::from(256u32)),
            ("attention.value_length", MetaValue::from(256u32)),
            ("attention.sliding_window", MetaValue::from(512u32)),
        ],
        262_144,
    );
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &perplexity(8192), 0);
    assert_eq!(e.missing, Vec::<String>::new());
    let full = &e.caches[0];
    let swa = &e.caches[1];
    assert_eq!(
        (full.kind, full.cells, full.layers.len()),
        (CacheKind::Full, 8192, 3)
    );
    assert_eq!(
        full.layers.iter().map(|l| l.layer).collect::<Vec<_>>(),
        [5, 11, 17],
        "every 6th layer is global"
    );
    assert_eq!(full.bytes, 24 << 20);
    assert_eq!(
        (swa.kind, swa.cells, swa.layers.len()),
        (CacheKind::SlidingWindow { window: 512 }, 1024, 15)
    );
    assert_eq!(swa.bytes, 15 << 20);
    assert_eq!(e.kv_bytes, Ok(39 << 20));
    assert_eq!(e.output_bytes, Ok(1 << 20));
    // llama.cpp: 514.50 MiB, the logits of a 512-token micro-batch.
    let c = e.compute_bytes.unwrap() as f64 / MIB;
    assert!(within(c, 514.5, 0.15), "compute {c:.2} MiB");

    // A smaller micro-batch shrinks the window cache and the logits.
    let o = Options {
        n_ubatch: 256,
        ..perplexity(8192)
    };
    let e = memory::estimate(&g, &o, 0);
    assert_eq!(e.caches[1].cells, 768);
    let c = e.compute_bytes.unwrap() as f64 / MIB;
    assert!(within(c, 257.25, 0.15), "compute {c:.2} MiB");

    // llama-cli / llama-server keep one row of logits: the 26.8 MiB
    // (gemma-3-270m at 8192 tokens), not 514.5.
    let e = memory::estimate(&g, &Options::new(8192), 0);
    assert_eq!(e.n_outputs, Some(1));
    let c = e.compute_bytes.unwrap() as f64 / MIB;
    assert!(within(c, 26.8, 0.01), "compute {c:.2} MiB");

    // The scalar pattern key overrides the architecture's period.
    let mut keys: Vec<(&str, MetaValue<'static>)> = vec![
        ("block_count", MetaValue::from(6u32)),
        ("embedding_length", MetaValue::from(640u32)),
        ("feed_forward_length", MetaValue::from(2048u32)),
        ("attention.head_count", MetaValue::from(4u32)),
        ("attention.head_count_kv", MetaValue::from(1u32)),
        ("attention.key_length", MetaValue::from(256u32)),
        ("attention.value_length", MetaValue::from(256u32)),
        ("attention.sliding_window", MetaValue::from(512u32)),
        ("attention.sliding_window_pattern", MetaValue::from(2u32)),
    ];
    let bytes = header("gemma3", &keys, 10);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(8192), 0);
    assert_eq!(
        e.caches[0].layers.iter().map(|l| l.layer).collect::<Vec<_>>(),
        [1, 3, 5]
    );
    // Without a window gemma3 has full attention everywhere.
    keys.retain(|(k, _)| !k.starts_with("attention.sliding"));
    let bytes = header("gemma3", &keys, 10);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(8192), 0);
    assert_eq!(e.caches.len(), 1);
    assert_eq!(e.caches[0].layers.len(), 6);
}

#[test]
fn per_layer_kv_heads_and_padding() {
    let bytes = header("llama", &llama_keys(3, per_layer(&[4, 1, 2])), 100);
    let g = Gguf::parse(&bytes).unwrap();
    // 5000 tokens are padded to 5120 cells.
    let e = memory::estimate(&g, &Options::new(5000), 0);
    let c = &e.caches[0];
    assert_eq!(c.cells, 5120);
    let per_head = 64 * 5120 * 2; // one head of 64 f16 values per cell
    assert_eq!(
        c.layers
            .iter()
            .map(|l| (l.k_bytes, l.v_bytes))
            .collect::<Vec<_>>(),
        [
            (4 * per_head, 4 * per_head),
            (per_head, per_head),
            (2 * per_head, 2 * per_head)
        ]
    );
    assert_eq!(e.kv_bytes, Ok(2 * 7 * per_head));
    // An array of the wrong length is refused, as llama.cpp refuses it.
    let bytes = header("llama", &llama_keys(3, per_layer(&[4, 1])), 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 0);
    assert!(matches!(e.kv_bytes, Err(Unknown::Refused(_))), "{:?}", e.kv_bytes);
}

#[test]
fn quantized_caches_are_whole_blocks() {
    let bytes = header("llama", &llama_keys(2, MetaValue::from(2u32)), 100);
    let g = Gguf::parse(&bytes).unwrap();
    let at = |k: GgmlType, v: GgmlType| {
        let o = Options {
            cache_type_k: k,
            cache_type_v: v,
            ..Options::new(4096)
        };
        memory::estimate(&g, &o, 0).kv_bytes
    };
    // 2 layers × 4096 cells × 128 values, K and V.
    let n = 2 * 4096 * 128;
    assert_eq!(at(GgmlType::F16, GgmlType::F16), Ok(2 * n * 2));
    assert_eq!(at(GgmlType::Q8_0, GgmlType::Q8_0), Ok(2 * n / 32 * 34));
    assert_eq!(at(GgmlType::Q4_0, GgmlType::Q4_0), Ok(2 * n / 32 * 18));
    assert_eq!(at(GgmlType::Q8_0, GgmlType::F16), Ok(n / 32 * 34 + n * 2));
    assert!(matches!(
        at(GgmlType::Q4_K, GgmlType::F16),
        Err(Unknown::Refused(_))
    ));

    // A head of 40 is not whole q8_0 blocks: llama.cpp refuses the context.
    let mut keys = llama_keys(2, MetaValue::from(2u32));
    keys.push(("attention.key_length", MetaValue::from(40u32)));
    keys.push(("attention.value_length", MetaValue::from(64u32)));
    let bytes = header("llama", &keys, 100);
    let g = Gguf::parse(&bytes).unwrap();
    let o = Options {
        cache_type_k: GgmlType::Q8_0,
        ..Options::new(4096)
    };
    let e = memory::estimate(&g, &o, 0);
    assert!(
        matches!(&e.kv_bytes, Err(Unknown::Refused(why)) if why.contains("block size 32")),
        "{:?}",
        e.kv_bytes
    );
}

#[test]
fn parallel_sequences_split_the_context() {
    let bytes = header("llama", &llama_keys(2, MetaValue::from(2u32)), 1000);
    let g = Gguf::parse(&bytes).unwrap();
    let o = Options {
        n_seq: 3,
        ..Options::new(1800)
    };
    let e = memory::estimate(&g, &o, 0);
    // 1800 → 2048; 2048 / 3 → 682 → 768 cells per stream; n_ctx 2304.
    assert_eq!(e.n_ctx, Some(2304));
    assert_eq!((e.caches[0].cells, e.caches[0].streams), (768, 3));
    assert_eq!(e.kv_bytes, Ok(2 * 768 * 3 * 256 * 2));
    assert_eq!(e.output_bytes, Ok(3 * 1000 * 4));
    let unified = Options {
        kv_unified: true,
        ..o
    };
    let e = memory::estimate(&g, &unified, 0);
    assert_eq!((e.caches[0].cells, e.caches[0].streams), (2048, 1));
}

#[test]
fn missing_keys_are_named_not_guessed() {
    let mut keys = llama_keys(2, MetaValue::from(2u32));
    keys.retain(|(k, _)| *k != "block_count");
    let bytes = header("llama", &keys, 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 7);
    assert_eq!(e.missing, ["llama.block_count"]);
    assert_eq!(e.kv_bytes, Err(Unknown::MissingKeys));
    assert_eq!(e.compute_bytes, Err(Unknown::MissingKeys));
    assert_eq!(e.total_bytes, None);
    assert_eq!(e.weights_bytes, 7);

    // No feed_forward_length: the KV cache is still exact, the compute unknown.
    let mut keys = llama_keys(2, MetaValue::from(2u32));
    keys.retain(|(k, _)| *k != "feed_forward_length");
    let bytes = header("llama", &keys, 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 0);
    assert_eq!(e.missing, ["llama.feed_forward_length"]);
    assert!(e.kv_bytes.is_ok());
    assert_eq!(e.compute_bytes, Err(Unknown::MissingKeys));

    // Context 0 is the model's own, which must then be there.
    let mut keys = llama_keys(2, MetaValue::from(2u32));
    keys.retain(|(k, _)| *k != "context_length");
    let bytes = header("llama", &keys, 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(0), 0);
    assert_eq!(e.missing, ["llama.context_length"]);

    // gemma3n needs its window; no architecture at all is named too.
    let bytes = header("gemma3n", &llama_keys(2, MetaValue::from(2u32)), 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 0);
    assert_eq!(e.missing, ["gemma3n.attention.sliding_window"]);
    let mut b = GgufBuilder::new();
    b.push("llama.block_count", 2u32).unwrap();
    let bytes = b.write_header(Vec::new()).unwrap().finish().unwrap();
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 0);
    assert!(
        e.missing.contains(&"general.architecture".to_string()),
        "{:?}",
        e.missing
    );
}

#[test]
fn architectures_not_modelled_are_named() {
    let bytes = header("mamba", &llama_keys(2, MetaValue::from(2u32)), 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 0);
    assert!(matches!(&e.kv_bytes, Err(Unknown::NotCovered(why)) if why.contains("recurrent")));
    assert!(e.notes.iter().any(|n| n.contains("mamba")), "{:?}", e.notes);
    assert_eq!(e.total_bytes, None);
    let bytes = header("no-such-arch", &llama_keys(2, MetaValue::from(2u32)), 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 0);
    assert!(matches!(&e.kv_bytes, Err(Unknown::NotCovered(why)) if why.contains("no-such-arch")));
    // An encoder keeps no cache at all.
    let bytes = header("bert", &llama_keys(2, MetaValue::from(2u32)), 100);
    let g = Gguf::parse(&bytes).unwrap();
    let e = memory::estimate(&g, &Options::new(4096), 0);
    assert_eq!(e.kv_bytes, Ok(0));
}

#[test]
fn absurd_sizes_do_not_overflow() {
    let mut b = GgufBuilder::new();
    b.push("general.architecture", "llama").unwrap();
    b.push("llama.block_count", 512u64).unwrap();
    b.push("llama.embedding_length", u64::MAX).unwrap();
    b.push("llama.feed_forward_length", u64::MAX).unwrap();
    b.push("llama.attention.head_count", 1u32).unwrap();
    b.push("llama.attention.key_length", u64::MAX).unwrap();
    b.push("tokenizer.ggml.tokens", MetaValue::strings(["a"]))
        .unwrap();
    let bytes = b.write_header(Vec::new()).unwrap().finish().unwrap();
    let g = Gguf::parse(&bytes).unwrap();
    for ctx in [u64::MAX, u64::MAX - 255, 1 << 40, 1] {
        for n_seq in [0, 1, 256, 257, u32::MAX] {
            let o = Options {
                n_seq,
                n_ubatch: u32::MAX,
                n_batch: u32::MAX,
                ..Options::new(ctx)
            };
            let e = memory::estimate(&g, &o, u64::MAX);
            assert!(e.kv_bytes.is_err(), "{ctx} {n_seq}: {:?}", e.kv_bytes);
            assert_eq!(e.total_bytes, None);
        }
    }
    let e = memory::estimate(&g, &Options::new(u64::MAX), 0);
    assert_eq!(e.kv_bytes, Err(Unknown::TooLarge));
}

/// llama-perplexity runs n_batch / ctx chunks side by side: -c 512 is a
/// context of 4 × 512 in 4 streams, with 4 rows of logits reserved and every
/// token's logits in the compute buffer; -np is ignored.
#[test]
fn perplexity_runs_chunks_side_by_side() {
    let bytes = header("llama", &llama_keys(2, MetaValue::from(2u32)), 1000);
    let g = Gguf::parse(&bytes).unwrap();
    let o = Options {
        n_seq: 7,
        ..perplexity(512)
    };
    let e = memory::estimate(&g, &o, 0);
    assert_eq!(
        (e.n_seq, e.n_ctx, e.n_tokens, e.n_outputs),
        (Some(4), Some(2048), Some(512), Some(512))
    );
    assert_eq!((e.caches[0].cells, e.caches[0].streams), (512, 4));
    assert_eq!(e.output_bytes, Ok(4 * 1000 * 4));
    // A context longer than the batch: one chunk, the batch cut to the context.
    let e = memory::estimate(&g, &perplexity(4096), 0);
    assert_eq!((e.n_seq, e.n_ctx, e.n_outputs), (Some(1), Some(4096), Some(512)));
    let e = memory::estimate(
        &g,
        &Options {
            n_batch: 300,
            ..perplexity(1000)
        },
        0,
    );
    assert_eq!((e.n_seq, e.n_ctx, e.n_tokens), (Some(1), Some(1024), Some(300)));
    // Generation: one row per sequence, -np sequences.
    let e = memory::estimate(
        &g,
        &Options {
            n_seq: 3,
            ..Options::new(4096)
        },
        0,
    );
    assert_eq!((e.n_seq, e.n_outputs), (Some(3), Some(3)));
    // On a large vocabulary they differ by the logits of the micro-batch.
    let bytes = header("llama", &llama_keys(2, MetaValue::from(2u32)), 50_000);
    let g = Gguf::parse(&bytes).unwrap();
    let gen = memory::estimate(&g, &Options::new(4096), 0)
        .compute_bytes
        .unwrap();
    let ppl = memory::estimate(&g, &perplexity(4096), 0).compute_bytes.unwrap();
    assert!(gen < 16 << 20, "{gen}");
    assert!(
        (512 * 50_000 * 4..512 * 50_000 * 4 + (2 << 20)).contains(&ppl),
        "{ppl}"
    );
}

/// Which weights llama.cpp repacks on an AVX2 CPU, and what stays mapped.
#[test]
fn repacked_weights_leave_the_mapped_span() {
    let q4k = GgmlType::Q4_K;
    assert!(memory::is_repacked(
        "blk.0.attn_q.weight",
        q4k,
        &[256, 256],
        false
    ));
    assert!(
        !memory::is_repacked("blk.0.attn_k.weight", q4k, &[256, 12], false),
        "rows not a multiple of 8"
    );
    assert!(
        !memory::is_repacked("token_embd.weight", q4k, &[256, 512], false),
        "looked up by row"
    );
    assert!(
        memory::is_repacked("token_embd.weight", q4k, &[256, 512], true),
        "the output of a tied model"
    );
    assert!(!memory::is_repacked(
        "blk.0.ffn_down.weight",
        GgmlType::Q6_K,
        &[512, 256],
        false
    ));
    assert!(
        !memory::is_repacked("output.weight", GgmlType::Q8_0, &[640, 512], false),
        "Q8_0: ARM only"
    );
    assert!(memory::is_repacked(
        "blk.0.ffn_up_exps.weight",
        GgmlType::Q4_0,
        &[256, 512, 8],
        false
    ));
    assert!(!memory::is_repacked(
        "blk.0.attn_norm.weight",
        GgmlType::F32,
        &[256],
        false
    ));
    for ty in [GgmlType::Q4_0, GgmlType::IQ4_NL, GgmlType::MXFP4] {
        assert!(
            memory::is_repacked("output.weight", ty, &[256, 64], false),
            "{ty}"
        );
    }

    // Two files; in the first, the mapped span runs from the first to the
    // end of the last weight that is not repacked.
    let w = |name: &'static str, ty, dims: &'static [u64], file, offset, bytes| WeightInfo {
        name,
        ty,
        dims,
        file,
        offset,
        bytes,
    };
    let weights = memory::weights(
        Some("llama"),
        [
            w("output.weight", GgmlType::Q6_K, &[256, 512], 0, 1000, 100),
            w("blk.0.attn_q.weight", q4k, &[256, 256], 0, 1100, 50),
            w("blk.0.attn_norm.weight", GgmlType::F32, &[256], 0, 1160, 40),
            w("blk.0.ffn_up.weight", q4k, &[256, 512], 0, 1200, 70),
            w("blk.1.attn_norm.weight", GgmlType::F32, &[256], 1, 500, 10),
        ],
    );
    assert_eq!(
        weights,
        Weights {
            mapped: (1200 - 1000) + 10,
            repack: 64 + 96,
            repacked: 2,
        }
    );
    assert_eq!(weights.bytes(), 210 + 160);

    // Without output.weight a decoder multiplies by a repacked copy of the
    // embedding (which stays mapped for the row lookups); an encoder has
    // no output head, so nothing is copied.
    let tied = [
        w("token_embd.weight", q4k, &[256, 512], 0, 0, 640),
        w("blk.0.attn_norm.weight", GgmlType::F32, &[256], 0, 640, 40),
    ];
    let decoder = memory::weights(Some("llama"), tied);
    assert_eq!((decoder.mapped, decoder.repack, decoder.repacked), (680, 640, 1));
    let encoder = memory::weights(Some("bert"), tied);
    assert_eq!((encoder.mapped, encoder.repack, encoder.repacked), (680, 0, 0));
}

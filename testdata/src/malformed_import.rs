//! Broken Hugging Face model directories for `testdata/malformed/import/`:
//! each spoils one thing `gguf import` reads (a safetensors header, the
//! shard index, `config.json`, a tensor's dtype, a tokenizer file) and
//! holds only what the importer reads before it gets there — it reads
//! `config.json`, then the index and every shard, then plans the tensors
//! (architecture, dtypes), then the tokenizer. The expected error of each
//! is the CLI test's (`gguf-cli/tests/import.rs`): this makes inputs only.
//!
//! Everything is written here, by hand and deterministically: JSON as
//! text (keys in a fixed order), safetensors as the 8-byte header length,
//! the JSON header and the data. The tiny model is a one-block llama
//! (width 8) of a few kilobytes.

use crate::Rng;

/// The files of one model directory: name and bytes.
pub type ModelFiles = Vec<(&'static str, Vec<u8>)>;

/// One tensor of a safetensors file: name, dtype, shape (outermost
/// first) and its bytes.
pub type StEntry = (String, &'static str, Vec<u64>, Vec<u8>);

/// A safetensors file from `(name, dtype, shape, [start, end])` entries as
/// given (whether or not they fit) and `data_len` zero bytes of data; the
/// header padded with spaces to a multiple of 8, as the format's writer
/// pads it.
pub fn safetensors_raw(entries: &[(&str, &str, &[u64], [usize; 2])], data_len: usize) -> Vec<u8> {
    let fields: Vec<String> = entries
        .iter()
        .map(|(name, dtype, shape, [s, e])| {
            let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!(
                r#"{}:{{"dtype":"{dtype}","shape":[{}],"data_offsets":[{s},{e}]}}"#,
                json_str(name),
                shape.join(",")
            )
        })
        .collect();
    let mut header = format!("{{{}}}", fields.join(","));
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data_len, 0);
    out
}

/// A valid safetensors file holding `tensors`, in the order given.
pub fn safetensors(tensors: &[StEntry]) -> Vec<u8> {
    let mut offsets = Vec::new();
    let mut end = 0;
    for (_, _, _, data) in tensors {
        offsets.push([end, end + data.len()]);
        end += data.len();
    }
    let entries: Vec<(&str, &str, &[u64], [usize; 2])> = tensors
        .iter()
        .zip(&offsets)
        .map(|((name, dtype, shape, _), &o)| (name.as_str(), *dtype, shape.as_slice(), o))
        .collect();
    let mut out = safetensors_raw(&entries, 0);
    for (_, _, _, data) in tensors {
        out.extend_from_slice(data);
    }
    out
}

/// `s` as a JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The tiny model's vocabulary size (`config.json`'s `vocab_size`): room
/// for the 256 byte tokens, the merges and the added token of
/// [`bpe_tokenizer_json`].
const N_VOCAB: u64 = 320;

/// A `config.json` for the tiny model: `class` its architecture, or no
/// `architectures` key at all with `None`.
pub fn config_json(class: Option<&str>) -> Vec<u8> {
    let architectures = match class {
        Some(c) => format!("  \"architectures\": [\n    {}\n  ],\n", json_str(c)),
        None => String::new(),
    };
    format!(
        "{{\n{architectures}  \"bos_token_id\": 1,\n  \"eos_token_id\": 2,\n  \"head_dim\": 4,\n  \
         \"hidden_act\": \"silu\",\n  \"hidden_size\": 8,\n  \"intermediate_size\": 16,\n  \
         \"max_position_embeddings\": 256,\n  \"num_attention_heads\": 2,\n  \"num_hidden_layers\": 1,\n  \
         \"num_key_value_heads\": 2,\n  \"rms_norm_eps\": 1e-06,\n  \"rope_theta\": 10000.0,\n  \
         \"tie_word_embeddings\": false,\n  \"vocab_size\": {N_VOCAB}\n}}\n"
    )
    .into_bytes()
}

fn f16s(rng: &mut Rng, n: u64) -> Vec<u8> {
    (0..n)
        .flat_map(|_| half::f16::from_f32(0.02 * rng.gauss()).to_le_bytes())
        .collect()
}

fn ones_f32(n: u64) -> Vec<u8> {
    (0..n).flat_map(|_| 1.0f32.to_le_bytes()).collect()
}

/// The tiny llama's tensors in four groups (the shards of the split
/// form): embeddings; attention; feed-forward with `model.norm.weight`;
/// `lm_head`. F16 matrices of random values, F32 norms of ones.
pub fn tiny_model_tensors() -> [Vec<StEntry>; 4] {
    let mut rng = Rng::new(0x1290_4f17);
    let (e, f, v) = (8u64, 16u64, N_VOCAB);
    let mut mat = |name: &str, rows: u64, cols: u64| -> StEntry {
        (
            name.to_string(),
            "F16",
            vec![rows, cols],
            f16s(&mut rng, rows * cols),
        )
    };
    let norm = |name: &str| -> StEntry { (name.to_string(), "F32", vec![e], ones_f32(e)) };
    let l = "model.layers.0";
    let embd = vec![mat("model.embed_tokens.weight", v, e)];
    let attn = vec![
        norm(&format!("{l}.input_layernorm.weight")),
        mat(&format!("{l}.self_attn.q_proj.weight"), e, e),
        mat(&format!("{l}.self_attn.k_proj.weight"), e, e),
        mat(&format!("{l}.self_attn.v_proj.weight"), e, e),
        mat(&format!("{l}.self_attn.o_proj.weight"), e, e),
    ];
    let ffn = vec![
        norm(&format!("{l}.post_attention_layernorm.weight")),
        mat(&format!("{l}.mlp.gate_proj.weight"), f, e),
        mat(&format!("{l}.mlp.up_proj.weight"), f, e),
        mat(&format!("{l}.mlp.down_proj.weight"), e, f),
        norm("model.norm.weight"),
    ];
    let out = vec![mat("lm_head.weight", v, e)];
    [embd, attn, ffn, out]
}

/// The tiny llama in one `model.safetensors`.
pub fn tiny_model() -> Vec<u8> {
    safetensors(&tiny_model_tensors().concat())
}

/// The smallest valid weights: one F32 norm.
fn one_norm() -> Vec<u8> {
    safetensors(&[("model.norm.weight".into(), "F32", vec![8], ones_f32(8))])
}

/// The tiny llama as four shards `model-0000N-of-00004.safetensors` and
/// `model.safetensors.index.json` listing every tensor but those in
/// `unlisted`.
fn tiny_sharded(unlisted: &[&str]) -> ModelFiles {
    const NAMES: [&str; 4] = [
        "model-00001-of-00004.safetensors",
        "model-00002-of-00004.safetensors",
        "model-00003-of-00004.safetensors",
        "model-00004-of-00004.safetensors",
    ];
    let groups = tiny_model_tensors();
    let total: usize = groups.iter().flatten().map(|t| t.3.len()).sum();
    let mut map: Vec<(&str, &str)> = groups
        .iter()
        .zip(NAMES)
        .flat_map(|(g, file)| g.iter().map(move |t| (t.0.as_str(), file)))
        .filter(|(t, _)| !unlisted.contains(t))
        .collect();
    map.sort();
    let lines: Vec<String> = map
        .iter()
        .map(|(t, file)| format!("    {}: {}", json_str(t), json_str(file)))
        .collect();
    let index = format!(
        "{{\n  \"metadata\": {{\n    \"total_size\": {total}\n  }},\n  \"weight_map\": {{\n{}\n  }}\n}}\n",
        lines.join(",\n")
    );
    let mut files: ModelFiles = vec![
        ("config.json", config_json(Some("LlamaForCausalLM"))),
        ("model.safetensors.index.json", index.into_bytes()),
    ];
    for (g, name) in groups.iter().zip(NAMES) {
        files.push((name, safetensors(g)));
    }
    files
}

/// GPT-2's `bytes_to_unicode`: the character each byte stands for in a
/// byte-level BPE vocabulary, in the order GPT-2 numbers them.
fn byte_chars() -> Vec<char> {
    let printable = |b: u32| {
        (u32::from(b'!')..=u32::from(b'~')).contains(&b)
            || (0xa1..=0xac).contains(&b)
            || (0xae..=0xff).contains(&b)
    };
    let mut out: Vec<char> = (0..256u32)
        .filter(|&b| printable(b))
        .map(|b| char::from_u32(b).expect("latin-1"))
        .collect();
    let mut n = 0;
    for b in 0..256u32 {
        if !printable(b) {
            out.push(char::from_u32(256 + n).expect("a letter"));
            n += 1;
        }
    }
    out
}

/// A small GPT-2-style byte-level BPE `tokenizer.json`: the 256 byte
/// tokens, a few dozen English merges, `<|endoftext|>` as the one added
/// token. Its vocabulary is its own, so the converter's chkhsh table has
/// no row for the ids it gives chktxt.
pub fn bpe_tokenizer_json() -> Vec<u8> {
    let mut vocab: Vec<String> = byte_chars().into_iter().map(String::from).collect();
    let merges_src = [
        ("Ġ", "t"),
        ("h", "e"),
        ("i", "n"),
        ("r", "e"),
        ("o", "n"),
        ("Ġt", "he"),
        ("e", "r"),
        ("Ġ", "a"),
        ("a", "t"),
        ("Ġ", "s"),
        ("e", "n"),
        ("o", "r"),
        ("Ġ", "w"),
        ("i", "s"),
        ("a", "n"),
        ("e", "s"),
        ("Ġ", "c"),
        ("a", "l"),
        ("i", "t"),
        ("Ġ", "o"),
        ("in", "g"),
        ("Ġ", "b"),
        ("e", "d"),
        ("Ġ", "f"),
        ("Ġ", "p"),
        ("o", "u"),
        ("Ġa", "n"),
        ("Ġan", "d"),
        ("Ġ", "i"),
        ("Ġo", "f"),
        ("l", "l"),
        ("Ġ", "m"),
    ];
    let mut merges = Vec::new();
    for (a, b) in merges_src {
        for part in [a, b] {
            assert!(vocab.iter().any(|v| v == part), "merge part {part} is a token");
        }
        let joined = format!("{a}{b}");
        assert!(!vocab.contains(&joined), "merge {a} {b} is new");
        vocab.push(joined);
        merges.push(format!("{a} {b}"));
    }
    let eot = vocab.len();
    assert!((eot as u64) < N_VOCAB, "the vocabulary fits vocab_size");
    let vocab_lines: Vec<String> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| format!("      {}: {i}", json_str(t)))
        .collect();
    let merge_lines: Vec<String> = merges.iter().map(|m| format!("      {}", json_str(m))).collect();
    let byte_level = |prefix: bool, trim: bool| {
        format!(
            "{{\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": {prefix},\n    \
             \"trim_offsets\": {trim},\n    \"use_regex\": true\n  }}"
        )
    };
    format!(
        "{{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [\n    \
         {{\n      \"id\": {eot},\n      \"content\": \"<|endoftext|>\",\n      \"single_word\": false,\n      \
         \"lstrip\": false,\n      \"rstrip\": false,\n      \"normalized\": false,\n      \"special\": true\n    }}\n  ],\n  \
         \"normalizer\": null,\n  \"pre_tokenizer\": {},\n  \"post_processor\": {},\n  \"decoder\": {},\n  \
         \"model\": {{\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n    \
         \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n    \
         \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {{\n{}\n    }},\n    \
         \"merges\": [\n{}\n    ]\n  }}\n}}\n",
        byte_level(false, true),
        byte_level(true, false),
        byte_level(true, true),
        vocab_lines.join(",\n"),
        merge_lines.join(",\n"),
    )
    .into_bytes()
}

/// Every case: a folder name (what it spoils) and its files, in the order
/// of the faults the importer meets them.
pub fn cases() -> Vec<(&'static str, ModelFiles)> {
    let llama = || ("config.json", config_json(Some("LlamaForCausalLM")));
    let weights = |b: Vec<u8>| ("model.safetensors", b);
    let mut header_past_end = one_norm();
    header_past_end[..8].copy_from_slice(&50_000_000u64.to_le_bytes());
    let mut data_cut = safetensors_raw(&[("model.norm.weight", "F32", &[4], [0, 16])], 16);
    data_cut.truncate(data_cut.len() - 8);
    let mut missing_shard = tiny_sharded(&[]);
    missing_shard.retain(|(n, _)| *n != "model-00003-of-00004.safetensors");
    vec![
        ("header-length-past-end", vec![llama(), weights(header_past_end)]),
        (
            "overlapping-offsets",
            vec![
                llama(),
                weights(safetensors_raw(
                    &[
                        ("model.norm.weight", "F32", &[2], [0, 8]),
                        ("model.layers.0.input_layernorm.weight", "F32", &[2], [4, 12]),
                    ],
                    12,
                )),
            ],
        ),
        ("data-past-end", vec![llama(), weights(data_cut)]),
        (
            "dtype-shape-vs-offsets",
            vec![
                llama(),
                weights(safetensors_raw(
                    &[("model.norm.weight", "F16", &[4], [0, 16])],
                    16,
                )),
            ],
        ),
        ("index-names-missing-shard", missing_shard),
        ("shard-tensor-not-in-index", tiny_sharded(&["model.norm.weight"])),
        (
            "config-not-json",
            vec![("config.json", b"{ \"architectures\": [".to_vec())],
        ),
        (
            "config-without-architectures",
            vec![("config.json", config_json(None)), weights(one_norm())],
        ),
        (
            "unsupported-architecture",
            vec![
                ("config.json", config_json(Some("FooForCausalLM"))),
                weights(one_norm()),
            ],
        ),
        (
            "integer-tensor",
            vec![
                llama(),
                weights(safetensors_raw(
                    &[("model.embed_tokens.weight", "I32", &[2, 2], [0, 16])],
                    16,
                )),
            ],
        ),
        (
            "fp8-tensor",
            vec![
                llama(),
                weights(safetensors_raw(
                    &[("model.layers.0.mlp.up_proj.weight", "F8_E4M3", &[2, 4], [0, 8])],
                    8,
                )),
            ],
        ),
        (
            "tokenizer-json-garbage",
            vec![
                ("config.json", config_json(Some("Qwen3ForCausalLM"))),
                weights(tiny_model()),
                ("tokenizer.json", b"\x00\x01 not a tokenizer".to_vec()),
            ],
        ),
        (
            "tokenizer-model-garbage",
            vec![
                llama(),
                weights(tiny_model()),
                ("tokenizer.model", vec![0xff; 16]),
            ],
        ),
        (
            "unknown-pre-tokenizer-hash",
            vec![
                llama(),
                weights(tiny_model()),
                ("tokenizer.json", bpe_tokenizer_json()),
            ],
        ),
    ]
}

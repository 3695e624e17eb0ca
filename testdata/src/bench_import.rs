//! The model directory of the import benchmark: a 0.34 B-parameter llama
//! in bf16, four safetensors shards and their index, with the golden
//! `llama3-bpe` folder's tokenizer (Llama 3's, 128,256 tokens) and config
//! scaled up — the shape of the model issue 22 measured the converter on.

use crate::Rng;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

const HIDDEN: u64 = 1024;
const FF: u64 = 2816;
const LAYERS: u64 = 20;
const HEADS: u64 = 16;
const KV_HEADS: u64 = 8;
const VOCAB: u64 = 128_256;
const SHARDS: usize = 4;

/// Writes the directory at `out` (created; about 690 MB), its tokenizer and
/// base config taken from `golden_llama3` (`testdata/golden/import/models/llama3-bpe`).
pub fn write(golden_llama3: &Path, out: &Path) -> io::Result<()> {
    fs::create_dir_all(out)?;
    for f in [
        "tokenizer.json",
        "tokenizer_config.json",
        "generation_config.json",
    ] {
        // A read-only copy from an earlier run is replaced, not written into.
        let _ = fs::remove_file(out.join(f));
        fs::copy(golden_llama3.join(f), out.join(f))?;
    }
    let config = fs::read_to_string(golden_llama3.join("config.json"))?;
    let mut lines = Vec::new();
    for line in config.lines() {
        let key = line.trim_start().split('"').nth(1).unwrap_or("");
        let set = |v: u64| format!("  \"{key}\": {v},");
        lines.push(match key {
            "head_dim" => continue,
            "hidden_size" => set(HIDDEN),
            "intermediate_size" => set(FF),
            "num_hidden_layers" => set(LAYERS),
            "num_attention_heads" => set(HEADS),
            "num_key_value_heads" => set(KV_HEADS),
            _ => line.to_string(),
        });
    }
    fs::write(out.join("config.json"), lines.join("\n") + "\n")?;

    let kv = KV_HEADS * HIDDEN / HEADS;
    let mut tensors: Vec<(String, Vec<u64>)> = vec![
        ("model.embed_tokens.weight".into(), vec![VOCAB, HIDDEN]),
        ("model.norm.weight".into(), vec![HIDDEN]),
    ];
    for i in 0..LAYERS {
        let p = format!("model.layers.{i}.");
        for (n, shape) in [
            ("self_attn.q_proj.weight", vec![HIDDEN, HIDDEN]),
            ("self_attn.k_proj.weight", vec![kv, HIDDEN]),
            ("self_attn.v_proj.weight", vec![kv, HIDDEN]),
            ("self_attn.o_proj.weight", vec![HIDDEN, HIDDEN]),
            ("mlp.gate_proj.weight", vec![FF, HIDDEN]),
            ("mlp.up_proj.weight", vec![FF, HIDDEN]),
            ("mlp.down_proj.weight", vec![HIDDEN, FF]),
            ("input_layernorm.weight", vec![HIDDEN]),
            ("post_attention_layernorm.weight", vec![HIDDEN]),
        ] {
            tensors.push((format!("{p}{n}"), shape));
        }
    }
    let mut rng = Rng::new(0x5afe);
    let mut weight_map = Vec::new();
    let mut total = 0u64;
    for k in 0..SHARDS {
        let file = format!("model-{:05}-of-{SHARDS:05}.safetensors", k + 1);
        let mut group: Vec<&(String, Vec<u64>)> = tensors.iter().skip(k).step_by(SHARDS).collect();
        group.sort_by(|a, b| a.0.cmp(&b.0));
        let mut header = String::from("{");
        let mut off = 0u64;
        for (i, (name, shape)) in group.iter().enumerate() {
            let n: u64 = shape.iter().product::<u64>() * 2;
            let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
            if i > 0 {
                header.push(',');
            }
            header.push_str(&format!(
                "\"{name}\":{{\"dtype\":\"BF16\",\"shape\":[{}],\"data_offsets\":[{off},{}]}}",
                dims.join(","),
                off + n
            ));
            off += n;
            weight_map.push(format!("    \"{name}\": \"{file}\""));
        }
        header.push('}');
        while header.len() % 8 != 0 {
            header.push(' ');
        }
        let mut w = io::BufWriter::with_capacity(1 << 22, fs::File::create(out.join(&file))?);
        w.write_all(&(header.len() as u64).to_le_bytes())?;
        w.write_all(header.as_bytes())?;
        for (name, shape) in group {
            let n = shape.iter().product::<u64>();
            let norm = name.ends_with("norm.weight");
            let mut row = Vec::with_capacity(1 << 16);
            for i in 0..n {
                let v = if norm {
                    1.0 + 0.1 * rng.gauss()
                } else {
                    0.02 * rng.gauss()
                };
                row.extend_from_slice(&half::bf16::from_f32(v).to_le_bytes());
                if row.len() >= 1 << 16 || i + 1 == n {
                    w.write_all(&row)?;
                    row.clear();
                }
            }
        }
        w.flush()?;
        total += off;
    }
    weight_map.sort();
    fs::write(
        out.join("model.safetensors.index.json"),
        format!(
            "{{\n  \"metadata\": {{\"total_size\": {total}}},\n  \"weight_map\": {{\n{}\n  }}\n}}\n",
            weight_map.join(",\n")
        ),
    )
}

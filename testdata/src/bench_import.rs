//! The model directory of the import benchmark: a 0.34 B-parameter llama
//! in bf16, four safetensors shards and their index, with the golden
//! `llama3-bpe` folder's tokenizer (Llama 3's, 128,256 tokens) and config
//! scaled up — the shape of the model issue 22 measured the converter on.

use crate::Rng;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// A model's shape: the benchmark's, or a larger one.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// `hidden_size`.
    pub hidden: u64,
    /// `intermediate_size`.
    pub ff: u64,
    /// `num_hidden_layers`.
    pub layers: u64,
    /// `num_attention_heads`.
    pub heads: u64,
    /// `num_key_value_heads`.
    pub kv_heads: u64,
    /// Safetensors shards.
    pub shards: usize,
}

/// The import benchmark's model: 0.34 B parameters, 690 MB.
pub const BENCH: Shape = Shape {
    hidden: 1024,
    ff: 2816,
    layers: 20,
    heads: 16,
    kv_heads: 8,
    shards: 4,
};

/// Llama 2 13B's shape with Llama 3's vocabulary: 13.3 B parameters,
/// 26.6 GB in five shards (more than the 24 GiB of the benchmark machine),
/// the model issue 22 gives the memory goal for.
pub const LLAMA_13B: Shape = Shape {
    hidden: 5120,
    ff: 13824,
    layers: 40,
    heads: 40,
    kv_heads: 40,
    shards: 5,
};

const VOCAB: u64 = 128_256;

/// Writes [`BENCH`]'s directory: see [`write_shape`].
pub fn write(golden_llama3: &Path, out: &Path) -> io::Result<()> {
    write_shape(golden_llama3, out, BENCH)
}

/// Writes the directory at `out` (created), its tokenizer and base config
/// taken from `golden_llama3` (`testdata/golden/import/models/llama3-bpe`).
/// [`BENCH`]'s values are each drawn from a normal distribution; a larger
/// shape's weights are slices of a pool of a million such values, taken at
/// random places (a 13 B model would take minutes to draw value by value).
pub fn write_shape(golden_llama3: &Path, out: &Path, shape: Shape) -> io::Result<()> {
    let Shape {
        hidden,
        ff,
        layers,
        heads,
        kv_heads,
        shards,
    } = shape;
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
            "hidden_size" => set(hidden),
            "intermediate_size" => set(ff),
            "num_hidden_layers" => set(layers),
            "num_attention_heads" => set(heads),
            "num_key_value_heads" => set(kv_heads),
            _ => line.to_string(),
        });
    }
    fs::write(out.join("config.json"), lines.join("\n") + "\n")?;

    let kv = kv_heads * hidden / heads;
    let mut tensors: Vec<(String, Vec<u64>)> = vec![
        ("model.embed_tokens.weight".into(), vec![VOCAB, hidden]),
        ("model.norm.weight".into(), vec![hidden]),
    ];
    for i in 0..layers {
        let p = format!("model.layers.{i}.");
        for (n, shape) in [
            ("self_attn.q_proj.weight", vec![hidden, hidden]),
            ("self_attn.k_proj.weight", vec![kv, hidden]),
            ("self_attn.v_proj.weight", vec![kv, hidden]),
            ("self_attn.o_proj.weight", vec![hidden, hidden]),
            ("mlp.gate_proj.weight", vec![ff, hidden]),
            ("mlp.up_proj.weight", vec![ff, hidden]),
            ("mlp.down_proj.weight", vec![hidden, ff]),
            ("input_layernorm.weight", vec![hidden]),
            ("post_attention_layernorm.weight", vec![hidden]),
        ] {
            tensors.push((format!("{p}{n}"), shape));
        }
    }
    let mut rng = Rng::new(0x5afe);
    let small = shape.layers * shape.hidden <= BENCH.layers * BENCH.hidden;
    let pool: Option<Vec<u8>> = (!small).then(|| {
        let mut pool_rng = Rng::new(0x9001);
        (0..1 << 20)
            .flat_map(|_| half::bf16::from_f32(0.02 * pool_rng.gauss()).to_le_bytes())
            .collect()
    });
    let mut weight_map = Vec::new();
    let mut total = 0u64;
    for k in 0..shards {
        let file = format!("model-{:05}-of-{shards:05}.safetensors", k + 1);
        let mut group: Vec<&(String, Vec<u64>)> = tensors.iter().skip(k).step_by(shards).collect();
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
            if let Some(pool) = pool.as_ref().filter(|_| !norm) {
                let mut left = n as usize * 2;
                while left > 0 {
                    let len = left.min(1 << 16);
                    let at = (rng.next_u64() % (pool.len() - len) as u64) as usize & !1;
                    w.write_all(&pool[at..at + len])?;
                    left -= len;
                }
                continue;
            }
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

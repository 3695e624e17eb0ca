//! The converter's decisions for one model and output type, made before
//! any tensor is read: which tensors, in which order, under which GGUF
//! names, types and shapes, with which transform — and the metadata.

use crate::arch::{self, Arch, HParam, Transform};
use crate::config::Config;
use crate::convert::{dtype_size, OutType};
use crate::dir::ModelDir;
use crate::error::{Error, Result};
use crate::general::ImportOptions;
use gguf_format::{GgmlType, GgufBuilder, MetaValue};
use std::path::{Path, PathBuf};

/// Where one output tensor's values come from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// Tensor `tensor` of shard `shard`, transformed.
    Shard {
        shard: usize,
        tensor: usize,
        transform: Transform,
        /// The number of heads a permute splits the outermost Hugging
        /// Face axis into (1 without one).
        heads: u64,
    },
    /// Values the converter computes (`rope_freqs.weight`).
    Generated(Vec<f32>),
}

/// One output tensor.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub name: String,
    pub ggml_type: GgmlType,
    /// GGUF order, innermost first.
    pub dims: Vec<u64>,
    pub origin: Origin,
}

/// Everything decided for one import.
#[derive(Debug)]
pub(crate) struct Plan {
    pub arch: &'static Arch,
    /// The model directory (for the pooling module's config).
    pub dir: PathBuf,
    pub config: Config,
    pub outtype: OutType,
    pub tensors: Vec<Planned>,
    /// Phi 3's `rope.scaling.attn_factor`, which the converter writes while
    /// it makes the rope factor tensors: before every other key but
    /// `general.architecture`.
    pub rope_attn_factor: Option<f32>,
    /// `--model-name` and `--metadata` for the `general.*` keys.
    pub options: ImportOptions,
}

impl Plan {
    pub(crate) fn new(dir: &ModelDir, outtype: OutType, options: &ImportOptions) -> Result<Plan> {
        let mut config = dir.config().clone();
        let class = config.architecture()?.to_string();
        let arch = arch::find(&class).ok_or_else(|| Error::UnsupportedArchitecture {
            name: class.clone(),
            supported: arch::supported(),
        })?;
        config.apply_defaults(arch.defaults)?;
        if arch.phi3_rope_factors {
            phi3_rope_scaling(&mut config)?;
        }
        let outtype = match outtype {
            OutType::Auto => guess_outtype(dir),
            t => t,
        };
        // `write_vocab` never calls `prepare_tensors`.
        let (mut tensors, mut rope_attn_factor) = (Vec::new(), None);
        if !options.vocab_only {
            if arch.phi3_rope_factors {
                if let Some((factor, long, short)) = phi3_rope_factors(&config)? {
                    rope_attn_factor = Some(factor);
                    for (name, v) in [
                        ("rope_factors_long.weight", long),
                        ("rope_factors_short.weight", short),
                    ] {
                        tensors.push(Planned {
                            name: name.into(),
                            ggml_type: GgmlType::F32,
                            dims: vec![v.len() as u64],
                            origin: Origin::Generated(v),
                        });
                    }
                }
            }
            tensors.extend(plan_tensors(dir, arch, &config, outtype)?);
        }
        Ok(Plan {
            arch,
            dir: dir.path().to_path_buf(),
            config,
            outtype,
            tensors,
            rope_attn_factor,
            options: options.clone(),
        })
    }
}

/// Every output tensor, in the converter's order (`prepare_tensors`).
fn plan_tensors(
    dir: &ModelDir,
    arch: &'static Arch,
    config: &Config,
    outtype: OutType,
) -> Result<Vec<Planned>> {
    let mut tensors = Vec::new();
    let mut n_vocab = None;
    if arch.llama3_rope_freqs {
        if let Some(freqs) = llama3_rope_freqs(config)? {
            tensors.push(Planned {
                name: "rope_freqs.weight".into(),
                ggml_type: GgmlType::F32,
                dims: vec![freqs.len() as u64],
                origin: Origin::Generated(freqs),
            });
        }
    }
    for (s, shard) in dir.shards().iter().enumerate() {
        for (i, t) in shard.tensors().iter().enumerate() {
            let hf_name = arch.rename(&t.name);
            if arch.skips(&hf_name) {
                continue;
            }
            let err = |message: String| Error::Tensor {
                path: shard.path().to_path_buf(),
                tensor: t.name.clone(),
                message,
            };
            if dtype_size(t.dtype).is_none() {
                return Err(err(format!(
                    "dtype {:?} is not one the importer reads (F32, F16, BF16)",
                    t.dtype
                )));
            }
            let (name, transform) = arch
                .map_name(&hf_name)
                .ok_or_else(|| err(format!("no {} tensor has this name", arch.name)))?;
            let heads = match transform {
                Transform::PermuteQ => config.u64("num_attention_heads")?,
                Transform::PermuteK => config.u64("num_key_value_heads")?,
                _ => 1,
            };
            if matches!(transform, Transform::PermuteQ | Transform::PermuteK) {
                let rows = t.shape.first().copied().unwrap_or(1);
                if heads == 0 || !rows.is_multiple_of(2 * heads) {
                    return Err(err(format!(
                        "{rows} rows cannot be split into {heads} heads of two halves"
                    )));
                }
            }
            let mut dims: Vec<u64> = t.shape.iter().rev().copied().collect();
            if transform == Transform::TruncateVocab && dims.len() == 2 {
                let n = match n_vocab {
                    Some(n) => n,
                    None => *n_vocab.insert(vocab_len(dir, config)?),
                };
                dims[1] = dims[1].min(n);
            }
            let ggml_type = if arch.f32_tensors.contains(&name.as_str()) {
                GgmlType::F32
            } else {
                tensor_type(&name, &dims, outtype)
            };
            tensors.push(Planned {
                name,
                ggml_type,
                dims,
                origin: Origin::Shard {
                    shard: s,
                    tensor: i,
                    transform,
                    heads,
                },
            });
        }
    }
    Ok(tensors)
}

impl Plan {
    /// The GGUF header the converter's metadata calls would give, as far
    /// as this crate makes it: `general.architecture`, `general.type`, the
    /// sampling and authorship keys ([`crate::general`]), the hyperparameters
    /// in order, `general.file_type`, `general.quantization_version`; and
    /// the tensor infos.
    pub(crate) fn builder(&self) -> Result<GgufBuilder<'static>> {
        let c = &self.config;
        let a = self.arch.name;
        let mut b = GgufBuilder::new();
        b.push(
            "general.architecture",
            MetaValue::String(a.as_bytes().to_vec().into()),
        )?;
        if let Some(f) = self.rope_attn_factor {
            b.push(format!("{a}.rope.scaling.attn_factor"), MetaValue::F32(f))?;
        }
        crate::general::push(&mut b, &self.dir, &self.tensors, &self.options)?;
        self.push_hparams(self.arch.hparams, &mut b)?;
        b.push("general.quantization_version", MetaValue::U32(2))?;
        crate::vocab::push_tokenizer(&mut b, &self.dir, a, c, self.options.pre.as_deref())?;
        for t in &self.tensors {
            b.add_tensor(t.name.clone(), &t.dims, t.ggml_type)?;
        }
        Ok(b)
    }

    /// Pushes the hyperparameter keys of `hparams`, in order.
    fn push_hparams(&self, hparams: &[HParam], b: &mut GgufBuilder<'static>) -> Result<()> {
        let c = &self.config;
        let a = self.arch.name;
        let u32_of = |key: &str, v: u64| -> Result<u32> {
            u32::try_from(v).map_err(|_| c.err(key, &format!("{v} does not fit a UINT32")))
        };
        for h in hparams {
            match *h {
                HParam::U32(k, keys) => {
                    if let Some((key, _)) = c.find(keys) {
                        let v = u32_of(key, c.u64(key)?)?;
                        b.push(format!("{a}.{k}"), MetaValue::U32(v))?;
                    }
                }
                HParam::F32(k, keys) => {
                    if let Some((key, _)) = c.find(keys) {
                        b.push(format!("{a}.{k}"), MetaValue::F32(c.f64(key)? as f32))?;
                    }
                }
                HParam::HeadDimLengths => {
                    if c.get("head_dim").is_some() {
                        let v = u32_of("head_dim", c.u64("head_dim")?)?;
                        b.push(format!("{a}.attention.key_length"), MetaValue::U32(v))?;
                        b.push(format!("{a}.attention.value_length"), MetaValue::U32(v))?;
                    }
                }
                HParam::RopeDimensionCount => {
                    let v = match c.get("head_dim") {
                        Some(_) => c.u64("head_dim")?,
                        None => c.u64("hidden_size")? / c.u64("num_attention_heads")?.max(1),
                    };
                    b.push(
                        format!("{a}.rope.dimension_count"),
                        MetaValue::U32(u32_of("head_dim", v)?),
                    )?;
                }
                HParam::FileType => {
                    b.push("general.file_type", MetaValue::U32(self.outtype.file_type()))?;
                }
                HParam::U32OrZero(k, key) => {
                    let v = match c.get(key) {
                        Some(_) => u32_of(key, c.u64(key)?)?,
                        None => 0,
                    };
                    b.push(format!("{a}.{k}"), MetaValue::U32(v))?;
                }
                HParam::Bool(k, v) => {
                    b.push(format!("{a}.{k}"), MetaValue::Bool(v))?;
                }
                HParam::PartialRopeDims => {
                    let pct = match c.get("partial_rotary_factor") {
                        Some(_) => c.f64("partial_rotary_factor")?,
                        None => 1.0,
                    };
                    let heads = c.u64("num_attention_heads")?.max(1);
                    let v = (pct * c.u64("hidden_size")? as f64) as u64 / heads;
                    b.push(
                        format!("{a}.rope.dimension_count"),
                        MetaValue::U32(u32_of("partial_rotary_factor", v)?),
                    )?;
                }
                HParam::RopeScaling => rope_scaling(c, a, b)?,
                HParam::RopeFreqBase => {
                    let from_params = rope_params(c)
                        .and_then(|p| p.get("rope_theta"))
                        .filter(|v| !v.is_null());
                    let theta = match from_params {
                        Some(v) => Some(
                            v.as_f64()
                                .ok_or_else(|| c.err("rope_scaling.rope_theta", "is not a number"))?,
                        ),
                        None => match c.find(arch::ROPE_THETA) {
                            Some((key, _)) => Some(c.f64(key)?),
                            None => None,
                        },
                    };
                    if let Some(t) = theta {
                        b.push(format!("{a}.rope.freq_base"), MetaValue::F32(t as f32))?;
                    }
                }
                HParam::Group(list) => self.push_hparams(list, b)?,
                HParam::PoolingType => {
                    if let Some(t) = pooling_type(&self.dir)? {
                        b.push(format!("{a}.pooling_type"), MetaValue::U32(t))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `rope_scaling` as transformers' `Phi3Config` takes it: `type` `su` or
/// `yarn` renamed `longrope` (`_rope_scaling_adjustment`), then
/// `_rope_scaling_validation` — exactly the keys `type` (`longrope`),
/// `short_factor` and `long_factor`, lists of numbers
/// `int(hidden_size // num_attention_heads * partial_rotary_factor) // 2`
/// long. Where it fails, AutoConfig raises and the converter reads
/// `config.json` without the class's defaults instead: not done here, an
/// error naming the key.
fn phi3_rope_scaling(config: &mut Config) -> Result<()> {
    use serde_json::Value;
    let Some(rs) = config.get("rope_scaling").cloned() else {
        return Ok(());
    };
    let refuse = |why: String| {
        config.err(
            "rope_scaling",
            &format!(
                "{why}: transformers' Phi3Config rejects it, and the converter would then read \
                 config.json without the class defaults, which gguf import does not do"
            ),
        )
    };
    let Value::Object(mut rs) = rs else {
        return Err(refuse("not an object".into()));
    };
    if let Some(Value::String(t)) = rs.get("type") {
        if t == "su" || t == "yarn" {
            rs.insert("type".into(), Value::from("longrope"));
        }
    }
    if rs.len() != 3 {
        return Err(refuse(format!(
            "{} keys, not the three type, short_factor and long_factor",
            rs.len()
        )));
    }
    if rs.get("type").and_then(Value::as_str) != Some("longrope") {
        return Err(refuse("type is not longrope (or su, yarn)".into()));
    }
    let heads = config.u64("num_attention_heads")?;
    if heads == 0 {
        return Err(config.err("num_attention_heads", "is 0"));
    }
    let pct = config.f64("partial_rotary_factor")?;
    let rotary = ((config.u64("hidden_size")? / heads) as f64 * pct) as u64;
    for key in ["short_factor", "long_factor"] {
        let Some(Value::Array(list)) = rs.get(key) else {
            return Err(refuse(format!("{key} is not a list")));
        };
        if !list.iter().all(Value::is_number) {
            return Err(refuse(format!("{key} is not a list of numbers")));
        }
        if list.len() as u64 != rotary / 2 {
            return Err(refuse(format!(
                "{key} has {} entries, not {} (half the rotary dimensions)",
                list.len(),
                rotary / 2
            )));
        }
    }
    config.set("rope_scaling", Value::Object(rs));
    Ok(())
}

/// Phi 3's `rope.scaling.attn_factor`, long and short factors.
type RopeFactors = (f32, Vec<f32>, Vec<f32>);

/// `Phi3MiniModel.generate_extra_tensors`: with a (non-empty)
/// `long_factor`, `rope.scaling.attn_factor` — for longrope
/// `sqrt(1 + ln(scale) / ln(original context))`, `scale` the context
/// over the original one, 1 when not above it — and the long and short
/// factors as float32.
fn phi3_rope_factors(c: &Config) -> Result<Option<RopeFactors>> {
    use serde_json::Value;
    let Some(rp) = rope_params(c) else { return Ok(None) };
    let long = match rp.get("long_factor") {
        Some(Value::Array(l)) if !l.is_empty() => l,
        _ => return Ok(None),
    };
    let factors = |key: &str, list: &[Value]| -> Result<Vec<f32>> {
        list.iter()
            .map(|v| {
                v.as_f64()
                    .map(|x| x as f32)
                    .ok_or_else(|| c.err(&format!("rope_scaling.{key}"), &format!("{v} is not a number")))
            })
            .collect()
    };
    let short = match rp.get("short_factor") {
        Some(Value::Array(l)) => l,
        _ => return Err(c.err("rope_scaling.short_factor", "missing beside long_factor")),
    };
    let max_pos = match c.find(&["n_positions", "max_position_embeddings"]) {
        Some((k, _)) => c.u64(k)?,
        None => return Err(c.err("max_position_embeddings", "missing")),
    };
    let orig = c.u64("original_max_position_embeddings")?;
    if orig == 0 {
        return Err(c.err("original_max_position_embeddings", "is 0"));
    }
    let scale = max_pos as f64 / orig as f64;
    // Phi3Config has renamed su and yarn: longrope is the one type left.
    let attn_factor = if scale > 1.0 {
        (1.0 + scale.ln() / (orig as f64).ln()).sqrt()
    } else {
        1.0
    };
    let heads = c.u64("num_attention_heads")?.max(1);
    let pct = c.f64("partial_rotary_factor")?;
    let rope_dims = (pct * c.u64("hidden_size")? as f64) as u64 / heads;
    if long.len() != short.len() || long.len() as f64 != rope_dims as f64 / 2.0 {
        return Err(c.err(
            "rope_scaling",
            &format!(
                "long_factor has {} entries and short_factor {}: both must be {} (half of the {rope_dims} rope dimensions)",
                long.len(),
                short.len(),
                rope_dims as f64 / 2.0
            ),
        ));
    }
    Ok(Some((
        attn_factor as f32,
        factors("long_factor", long)?,
        factors("short_factor", short)?,
    )))
}

/// The converter's `rope_parameters`: `config.json`'s `rope_parameters`
/// or `rope_scaling`, its `full_attention` entry where it has one.
fn rope_params(c: &Config) -> Option<&serde_json::Map<String, serde_json::Value>> {
    let rp = c.get("rope_parameters").or_else(|| c.get("rope_scaling"))?;
    rp.get("full_attention").unwrap_or(rp).as_object()
}

/// `TextModel.set_gguf_parameters`'s rope scaling keys.
fn rope_scaling(c: &Config, a: &str, b: &mut GgufBuilder<'static>) -> Result<()> {
    let Some(rp) = rope_params(c) else { return Ok(()) };
    let Some(rope_type) = rp
        .get("rope_type")
        .or_else(|| rp.get("type"))
        .filter(|v| !v.is_null())
    else {
        return Ok(());
    };
    let rope_type = rope_type
        .as_str()
        .ok_or_else(|| c.err("rope_scaling.rope_type", "is not a string"))?;
    let num = |k: &str| -> Result<Option<f32>> {
        match rp.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => Ok(Some(
                v.as_f64()
                    .ok_or_else(|| c.err(&format!("rope_scaling.{k}"), "is not a number"))?
                    as f32,
            )),
        }
    };
    let scaling_type = |b: &mut GgufBuilder<'static>, t: &str| -> Result<()> {
        b.push(
            format!("{a}.rope.scaling.type"),
            MetaValue::String(t.as_bytes().to_vec().into()),
        )?;
        Ok(())
    };
    match rope_type {
        "linear" => {
            if let Some(f) = num("factor")? {
                scaling_type(b, "linear")?;
                b.push(format!("{a}.rope.scaling.factor"), MetaValue::F32(f))?;
            }
        }
        "yarn" => {
            if let Some(f) = num("factor")? {
                scaling_type(b, "yarn")?;
                b.push(format!("{a}.rope.scaling.factor"), MetaValue::F32(f))?;
                // The converter mirrors the top-level key into rope_parameters.
                let orig = match rp
                    .get("original_max_position_embeddings")
                    .filter(|v| !v.is_null())
                {
                    Some(v) => v.as_u64(),
                    None => c.get("original_max_position_embeddings").and_then(|v| v.as_u64()),
                }
                .ok_or_else(|| {
                    c.err(
                        "rope_scaling.original_max_position_embeddings",
                        "missing for yarn",
                    )
                })?;
                let orig = u32::try_from(orig).map_err(|_| {
                    c.err(
                        "rope_scaling.original_max_position_embeddings",
                        "does not fit a UINT32",
                    )
                })?;
                b.push(
                    format!("{a}.rope.scaling.original_context_length"),
                    MetaValue::U32(orig),
                )?;
                if let Some(v) = num("extrapolation_factor")? {
                    b.push(format!("{a}.rope.scaling.yarn_ext_factor"), MetaValue::F32(v))?;
                }
                // `attention_factor` when the key is there (even null).
                let attn = if rp.contains_key("attention_factor") {
                    num("attention_factor")?
                } else {
                    num("attn_factor")?
                };
                if let Some(v) = attn {
                    b.push(format!("{a}.rope.scaling.yarn_attn_factor"), MetaValue::F32(v))?;
                }
                if let Some(v) = num("beta_fast")? {
                    b.push(format!("{a}.rope.scaling.yarn_beta_fast"), MetaValue::F32(v))?;
                }
                if let Some(v) = num("beta_slow")? {
                    b.push(format!("{a}.rope.scaling.yarn_beta_slow"), MetaValue::F32(v))?;
                }
            }
        }
        "su" | "longrope" => scaling_type(b, "longrope")?,
        // dynamic: the model class's; llama3: rope_freqs.weight; others
        // only warned about.
        _ => {}
    }
    Ok(())
}

/// llama.cpp's pooling type (MEAN 1, CLS 2, LAST 3) from the
/// sentence-transformers pooling module `modules.json` names, as the
/// converter's `_try_set_pooling_type` reads it; `None` without one.
fn pooling_type(dir: &Path) -> Result<Option<u32>> {
    let modules = dir.join("modules.json");
    if !modules.is_file() {
        return Ok(None);
    }
    let list = crate::json::read(&modules)?;
    let pooling = list.as_array().and_then(|l| {
        l.iter().find(|m| {
            m.get("type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| t.ends_with("Pooling"))
        })
    });
    let Some(path) = pooling.and_then(|m| m.get("path")).and_then(|p| p.as_str()) else {
        return Ok(None);
    };
    let file = dir.join(path).join("config.json");
    let cfg = crate::json::read(&file)?;
    let on = |k: &str| cfg.get(k).is_some_and(|v| v.as_bool().unwrap_or(!v.is_null()));
    let t = if on("pooling_mode_mean_tokens") {
        1
    } else if on("pooling_mode_cls_token") {
        2
    } else if on("pooling_mode_lasttoken") {
        3
    } else {
        match cfg.get("pooling_mode").and_then(|m| m.as_str()) {
            Some("mean") => 1,
            Some("cls") => 2,
            Some("lasttoken") => 3,
            _ => {
                return Err(Error::Json {
                    path: file,
                    message: "only MEAN, CLS and LAST pooling are supported".into(),
                })
            }
        }
    };
    Ok(Some(t))
}

/// The number of tokens Gemma 3's converter keeps rows of `token_embd`
/// for: with a `tokenizer.model`, the SentencePiece vocabulary it builds,
/// `vocab_size` entries long; else `tokenizer.json`'s vocabulary plus its
/// added tokens.
fn vocab_len(dir: &ModelDir, config: &Config) -> Result<u64> {
    if dir.path().join("tokenizer.model").is_file() {
        return config.u64("vocab_size");
    }
    let path = dir.path().join("tokenizer.json");
    let json = crate::json::read(&path)?;
    let vocab = json.pointer("/model/vocab").and_then(|v| {
        v.as_object()
            .map(|o| o.len())
            .or_else(|| v.as_array().map(Vec::len))
    });
    let added = json.get("added_tokens").and_then(|a| a.as_array()).map(Vec::len);
    match (vocab, added) {
        (Some(v), Some(a)) => Ok((v + a) as u64),
        _ => Err(Error::Json {
            path,
            message: "no model.vocab or added_tokens".into(),
        }),
    }
}

/// `--outtype auto`: BF16 when the first tensor of two or more dimensions
/// stored as bf16 or f16 is bf16, F16 otherwise (f32 matrices are passed
/// over).
fn guess_outtype(dir: &ModelDir) -> OutType {
    use safetensors::Dtype;
    for t in dir.shards().iter().flat_map(|s| s.tensors()) {
        if t.shape.len() < 2 {
            continue;
        }
        match t.dtype {
            Dtype::BF16 => return OutType::Bf16,
            Dtype::F16 => return OutType::F16,
            _ => {}
        }
    }
    OutType::F16
}

/// The converter's per-tensor type: F32 for 1-D tensors, norms and
/// anything not a `.weight`; the output type otherwise, Q8_0 falling back
/// to F16 when a row is not whole blocks of 32.
fn tensor_type(name: &str, dims: &[u64], outtype: OutType) -> GgmlType {
    if dims.len() <= 1 || name.ends_with("_norm.weight") || !name.ends_with(".weight") {
        return GgmlType::F32;
    }
    match outtype.matrix_type() {
        GgmlType::Q8_0 if !dims[0].is_multiple_of(32) => GgmlType::F16,
        t => t,
    }
}

/// `rope_freqs.weight` for llama3 rope scaling (`LlamaModel.
/// generate_extra_tensors`), computed as torch computes it: float32
/// tensors, Python numbers cast to float32 where they meet one, and
/// `number / tensor` as `tensor.reciprocal() * number` (torch's
/// `__rtruediv__`); `None` without llama3 scaling.
///
/// `base ** x` is the one step whose last bit depends on the library (torch
/// uses SLEEF's `powf`, within 1 ULP): here it is rounded from f64, the
/// correctly rounded value.
fn llama3_rope_freqs(c: &Config) -> Result<Option<Vec<f32>>> {
    let rp = match c.get("rope_parameters").or_else(|| c.get("rope_scaling")) {
        Some(v) => v,
        None => return Ok(None),
    };
    let rp = rp.get("full_attention").unwrap_or(rp);
    let rope_type = rp
        .get("rope_type")
        .or_else(|| rp.get("type"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if !rope_type.eq_ignore_ascii_case("llama3") {
        return Ok(None);
    }
    let num = |k: &str, d: f64| -> Result<f64> {
        match rp.get(k) {
            None | Some(serde_json::Value::Null) => Ok(d),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| c.err(&format!("rope_scaling.{k}"), "is not a number")),
        }
    };
    let base = match rp.get("rope_theta") {
        Some(_) => num("rope_theta", 10000.0)?,
        None => c.get("rope_theta").and_then(|v| v.as_f64()).unwrap_or(10000.0),
    };
    let dim = match c.get("head_dim") {
        Some(_) => c.u64("head_dim")?,
        None => c.u64("hidden_size")? / c.u64("num_attention_heads")?.max(1),
    };
    let factor = num("factor", 8.0)?;
    let low = num("low_freq_factor", 1.0)?;
    let high = num("high_freq_factor", 4.0)?;
    let old_ctx = num("original_max_position_embeddings", 8192.0)?;
    // Python floats, as the converter computes them.
    let low_wavelen = (old_ctx / low) as f32;
    let high_wavelen = (old_ctx / high) as f32;
    let two_pi = (2.0 * std::f64::consts::PI) as f32;
    let mut out = Vec::new();
    for i in (0..dim).step_by(2) {
        let e = i as f32 / dim as f32;
        let pow = f64::from(base as f32).powf(f64::from(e)) as f32;
        let freq = 1.0 / pow;
        let wavelen = (1.0 / freq) * two_pi;
        let f = if wavelen < high_wavelen {
            1.0
        } else if wavelen > low_wavelen {
            factor as f32
        } else {
            let smooth = ((1.0 / wavelen) * old_ctx as f32 - low as f32) / (high - low) as f32;
            1.0 / ((1.0 - smooth) / factor as f32 + smooth)
        };
        out.push(f);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_types_follow_the_converters_rules() {
        use GgmlType as G;
        let q8 = OutType::Q8_0;
        assert_eq!(tensor_type("blk.0.attn_q.weight", &[64, 64], q8), G::Q8_0);
        // Rows not whole blocks of 32: F16.
        assert_eq!(tensor_type("blk.0.attn_q.weight", &[48, 64], q8), G::F16);
        // 1-D, norms, biases: F32 whatever the output type.
        assert_eq!(tensor_type("blk.0.attn_q.bias", &[64], OutType::Bf16), G::F32);
        assert_eq!(tensor_type("blk.0.attn_norm.weight", &[64], q8), G::F32);
        assert_eq!(
            tensor_type("blk.0.odd_norm.weight", &[64, 2], OutType::F16),
            G::F32
        );
        assert_eq!(tensor_type("blk.0.ffn_up.bias", &[64, 2], OutType::F16), G::F32);
        assert_eq!(
            tensor_type("token_embd.weight", &[64, 600], OutType::Bf16),
            G::BF16
        );
        assert_eq!(tensor_type("token_embd.weight", &[64, 600], OutType::F32), G::F32);
    }
}

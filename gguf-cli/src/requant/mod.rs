//! `gguf requant`: convert a model to another llama.cpp file type (`Q4_K_M`,
//! `Q8_0`, …) with the same per-tensor types, metadata and layout as
//! `llama-quantize`, streaming one tensor (and within it one chunk of rows) at
//! a time. [`plan`] decides everything without touching tensor data (it is
//! also `--dry-run`); [`execute`] writes the data.

pub mod ftype;
pub mod imatrix;
pub mod report;
pub mod select;

use ftype::Target;
use gguf_format::{GgmlType, Gguf, GgufBuilder, GgufFile, MetaValue, TensorInfo, TensorWriter};
use imatrix::Imatrix;
use select::{Choice, ModelFacts, SelectOptions, Selector};
use std::io::Write;

/// Everything that shapes the output, llama-quantize's options included.
#[derive(Debug, Clone)]
pub struct RequantOptions {
    /// Type choices (target, --pure, overrides, --tensor-type patterns).
    pub select: SelectOptions,
    /// `--allow-requantize`: decode quantized inputs and encode them again.
    pub allow_requantize: bool,
    /// The importance matrix, already filtered, and the path as the user gave it.
    pub imatrix: Option<(String, Imatrix)>,
    /// `--override-kv`, in command-line order.
    pub override_kv: Vec<(String, KvOverride)>,
    /// `--prune-layers`, sorted and unique.
    pub prune_layers: Vec<u64>,
}

/// A `--override-kv KEY=TYPE:VALUE` value.
#[derive(Debug, Clone, PartialEq)]
pub enum KvOverride {
    /// `int:N`, written as u32 of |N| (as llama-quantize does).
    Int(i64),
    /// `float:X`, written as f32.
    Float(f64),
    /// `bool:true|false`.
    Bool(bool),
    /// `str:TEXT` (at most 127 bytes).
    Str(String),
}

impl KvOverride {
    /// Parses `KEY=TYPE:VALUE`.
    pub fn parse(s: &str) -> Result<(String, KvOverride), String> {
        let bad =
            || format!("--override-kv {s:?}: expected KEY=TYPE:VALUE with TYPE int, float, bool or str");
        let (key, rest) = s.split_once('=').ok_or_else(bad)?;
        let (ty, value) = rest.split_once(':').ok_or_else(bad)?;
        if key.is_empty() || key.len() >= 128 {
            return Err(format!("--override-kv: key {key:?} must be 1 to 127 bytes"));
        }
        let v = match ty {
            "int" => KvOverride::Int(
                value
                    .parse()
                    .map_err(|_| format!("--override-kv {key}: {value:?} is not an integer"))?,
            ),
            "float" => KvOverride::Float(
                value
                    .parse()
                    .map_err(|_| format!("--override-kv {key}: {value:?} is not a number"))?,
            ),
            "bool" => match value {
                "true" => KvOverride::Bool(true),
                "false" => KvOverride::Bool(false),
                _ => {
                    return Err(format!(
                        "--override-kv {key}: bool must be true or false, not {value:?}"
                    ))
                }
            },
            "str" if value.len() <= 127 => KvOverride::Str(value.to_string()),
            "str" => return Err(format!("--override-kv {key}: string longer than 127 bytes")),
            _ => return Err(bad()),
        };
        Ok((key.to_string(), v))
    }

    fn meta(&self) -> MetaValue<'static> {
        match self {
            KvOverride::Int(v) => MetaValue::U32(v.unsigned_abs() as u32),
            KvOverride::Float(v) => MetaValue::F32(*v as f32),
            KvOverride::Bool(v) => MetaValue::Bool(*v),
            KvOverride::Str(v) => MetaValue::from(v.clone()),
        }
    }

    fn as_uint(&self) -> Option<u64> {
        match self {
            KvOverride::Int(v) => Some(v.unsigned_abs()),
            _ => None,
        }
    }
}

/// Why a requantization cannot be done.
#[derive(Debug)]
pub enum RequantError {
    /// The input, an option or the data is unusable; the message says why.
    Invalid(String),
    /// Reading or writing failed.
    Format(gguf_format::Error),
}

impl std::fmt::Display for RequantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequantError::Invalid(m) => f.write_str(m),
            RequantError::Format(e) => e.fmt(f),
        }
    }
}

impl From<gguf_format::Error> for RequantError {
    fn from(e: gguf_format::Error) -> Self {
        RequantError::Format(e)
    }
}

fn invalid(m: impl Into<String>) -> RequantError {
    RequantError::Invalid(m.into())
}

/// One output tensor.
#[derive(Debug, Clone)]
pub struct PlannedTensor<'a> {
    /// The input tensor.
    pub src: TensorInfo<'a>,
    /// Output name (differs from the input's only with `--prune-layers`).
    pub name: String,
    /// The type decision.
    pub choice: Choice,
    /// Input bytes.
    pub in_bytes: u64,
    /// Output bytes.
    pub out_bytes: u64,
    /// The importance weights for this tensor, if any.
    pub imatrix: Option<&'a [f32]>,
}

/// Everything about the output except the tensor data.
pub struct Plan<'a> {
    /// Metadata and tensor layout of the output.
    pub builder: GgufBuilder<'a>,
    /// Tensors in output order.
    pub tensors: Vec<PlannedTensor<'a>>,
    /// The target.
    pub target: &'static Target,
    /// Things the user should know (fallbacks, missing imatrix entries).
    pub warnings: Vec<String>,
    /// Total elements.
    pub n_params: u64,
    /// Tensor bytes in and out.
    pub in_bytes: u64,
    /// Output tensor bytes.
    pub out_bytes: u64,
    /// Output file size.
    pub out_file_size: u64,
}

/// ggml's `ggml_n_dims`: trailing dimensions of size 1 are not counted (at least 1).
fn ggml_n_dims(ne: [u64; 4]) -> usize {
    (1..4).rev().find(|&i| ne[i] > 1).map_or(1, |i| i + 1)
}

/// The loader's tensor order: tensors outside blocks first, then block by
/// block, each group sorted by name.
fn load_order<'a>(tensors: &[TensorInfo<'a>]) -> Vec<TensorInfo<'a>> {
    let mut v = tensors.to_vec();
    v.sort_by(|a, b| {
        let la = select::layer_of(a.name).map_or(-1, |l| l as i128);
        let lb = select::layer_of(b.name).map_or(-1, |l| l as i128);
        la.cmp(&lb).then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
    });
    v
}

fn model_facts(g: &Gguf<'_>, opts: &RequantOptions, tensors: &[TensorInfo<'_>]) -> ModelFacts {
    let arch = g.architecture().unwrap_or("").to_string();
    // The loader applies --override-kv before reading hyperparameters.
    let uint = |k: &str| -> Option<u64> {
        let key = format!("{arch}.{k}");
        if let Some((_, v)) = opts.override_kv.iter().rev().find(|(ok, _)| *ok == key) {
            return v.as_uint();
        }
        let v = g.get(&key)?;
        v.as_uint().or_else(|| v.as_array()?.iter().next()?.as_uint())
    };
    let n_head = uint("attention.head_count").unwrap_or(0);
    ModelFacts {
        n_layer: uint("block_count").unwrap_or(0),
        n_head,
        n_head_kv: uint("attention.head_count_kv").unwrap_or(n_head),
        n_expert: uint("expert_count").unwrap_or(0),
        tied_embeddings: !tensors.iter().any(|t| t.name == "output.weight"),
        n_attention_wv: tensors
            .iter()
            .filter(|t| select::Category::of(t.name).is_attn_v())
            .count() as u64,
        has_imatrix: opts.imatrix.as_ref().is_some_and(|(_, m)| !m.entries.is_empty()),
        arch,
    }
}

/// New names under `--prune-layers`: pruned blocks vanish, later ones are renumbered.
fn pruned_name(name: &str, prune: &[u64]) -> Option<String> {
    let Some(layer) = select::layer_of(name) else {
        return Some(name.to_string());
    };
    if prune.is_empty() {
        return Some(name.to_string());
    }
    if prune.contains(&layer) {
        return None;
    }
    let new = layer - prune.iter().filter(|&&p| p < layer).count() as u64;
    Some(format!("blk.{new}.{}", &name[format!("blk.{layer}.").len()..]))
}

/// Decides the output: metadata, tensor order, every tensor's type, sizes.
/// Touches no tensor data.
pub fn plan<'a>(g: &Gguf<'a>, opts: &'a RequantOptions, dry_run: bool) -> Result<Plan<'a>, RequantError> {
    if g.byte_order() == gguf_format::ByteOrder::Big {
        return Err(invalid(
            "big-endian input is not supported by requant (llama-quantize does not read it either); \
             convert it to little-endian first",
        ));
    }
    let target = opts.select.target;
    if let Some(t) = g.tensors().iter().find(|t| t.ggml_type.info().is_none()) {
        return Err(invalid(format!(
            "tensor {} has unknown ggml type {}",
            t.name, t.ggml_type
        )));
    }
    let mut order = load_order(g.tensors());
    let names: Vec<Option<String>> = order
        .iter()
        .map(|t| pruned_name(t.name, &opts.prune_layers))
        .collect();
    let kept: Vec<(TensorInfo<'a>, String)> = order
        .drain(..)
        .zip(names)
        .filter_map(|(t, n)| n.map(|n| (t, n)))
        .collect();
    let all: Vec<TensorInfo<'a>> = kept.iter().map(|(t, _)| *t).collect();
    let facts = model_facts(g, opts, &all);

    let mut b = GgufBuilder::new();
    for kv in g.metadata() {
        b.push(kv.key, kv.value)?;
    }
    b.set_last("general.quantization_version", 2u32)?;
    b.set_last("general.file_type", target.id)?;
    for k in ["split.no", "split.count", "split.tensors.count"] {
        b.remove(k);
    }
    for (k, v) in &opts.override_kv {
        b.set_last(k.as_str(), v.meta())?;
    }
    if let Some((path, m)) = &opts.imatrix {
        b.set_last("quantize.imatrix.file", path.as_str())?;
        if let Some(d) = m.datasets.first() {
            b.set_last("quantize.imatrix.dataset", d.as_str())?;
        }
        b.set_last("quantize.imatrix.entries_count", m.entries.len() as u32)?;
        if m.chunk_count > 0 {
            b.set_last("quantize.imatrix.chunks_count", m.chunk_count)?;
        }
    }
    if !opts.prune_layers.is_empty() {
        let old = facts.n_layer;
        let removed = opts.prune_layers.iter().filter(|&&p| p < old).count() as u64;
        b.set_last(format!("{}.block_count", facts.arch), (old - removed) as u32)?;
    }

    let mut selector = Selector::new(&facts, &opts.select);
    let mut tensors = Vec::with_capacity(kept.len());
    let mut warnings = Vec::new();
    let (mut n_params, mut in_bytes, mut out_bytes) = (0u64, 0u64, 0u64);
    for (src, name) in kept {
        let ne = src.ne();
        let n_dims = ggml_n_dims(ne);
        let choice = selector
            .choose(&name, ne, n_dims, src.ggml_type)
            .map_err(|e| invalid(e.to_string()))?;
        if let Some(f) = choice.fallback {
            warnings.push(format!(
                "{name}: rows of {} are not whole {} blocks, using {}",
                ne[0], f.wanted, f.used
            ));
        }
        let info = choice
            .ty
            .info()
            .ok_or_else(|| invalid(format!("{name}: unknown type {}", choice.ty)))?;
        let out = info.tensor_size(&ne).ok_or_else(|| {
            invalid(format!(
                "{name}: {:?} does not fit type {}",
                src.dims(),
                choice.ty
            ))
        })?;
        let imatrix = match &opts.imatrix {
            Some((_, m)) if choice.ty != src.ggml_type => {
                let expected = ne[0] * ne[2];
                match m.entries.get(src.name) {
                    Some(w) if w.len() as u64 == expected => Some(&w[..]),
                    Some(_) if select::Category::of(&name) == select::Category::TokenEmbd => None,
                    Some(w) => {
                        return Err(invalid(format!(
                            "imatrix has {} values for {name}, the tensor needs {expected}",
                            w.len()
                        )))
                    }
                    None => {
                        warnings.push(format!("{name}: no importance data, quantizing without it"));
                        None
                    }
                }
            }
            _ => None,
        };
        let converts = choice.ty != src.ggml_type;
        if converts && src.ggml_type.info().is_some_and(|i| i.quantized) && !opts.allow_requantize {
            return Err(invalid(format!(
                "{name}: requantizing from type {} is disabled (pass --allow-requantize to decode and re-encode it)",
                src.ggml_type
            )));
        }
        if choice.requires_imatrix && converts && imatrix.is_none() {
            let msg = format!(
                "{name}: type {} needs an importance matrix (--imatrix) to give usable results",
                choice.ty
            );
            if dry_run {
                warnings.push(msg);
            } else {
                return Err(invalid(msg));
            }
        }
        b.add_tensor(name.clone(), &ne[..n_dims], choice.ty)?;
        n_params += src.n_elements();
        in_bytes += src.n_bytes()?;
        out_bytes += out;
        tensors.push(PlannedTensor {
            in_bytes: src.n_bytes()?,
            src,
            name,
            choice,
            out_bytes: out,
            imatrix,
        });
    }
    let out_file_size = b.file_size()?;
    Ok(Plan {
        builder: b,
        tensors,
        target,
        warnings,
        n_params,
        in_bytes,
        out_bytes,
        out_file_size,
    })
}

/// Progress of [`execute`], reported after every chunk.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Tensors finished.
    pub tensors_done: usize,
    /// Input bytes processed so far.
    pub bytes_done: u64,
}

/// Elements converted per chunk: bounds memory to a few buffers of this size.
const CHUNK_ELEMS: u64 = 1 << 21;

/// Writes the planned output to `w`, one chunk of rows at a time: decode to
/// f32 (or read F32 as is), check for NaN/Inf, encode, validate, write.
/// Mapped input pages are released behind the cursor when `file` is given.
pub fn execute<W: Write>(
    g: &Gguf<'_>,
    file: Option<&GgufFile>,
    plan: &Plan<'_>,
    opts: &RequantOptions,
    w: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<W, RequantError> {
    let mut tw = plan.builder.write_header(w)?;
    let mut done = Progress {
        tensors_done: 0,
        bytes_done: 0,
    };
    let mut f32_buf: Vec<f32> = Vec::new();
    let mut out_buf: Vec<u8> = Vec::new();
    for t in &plan.tensors {
        let data = g.tensor_data(&t.src)?;
        if t.choice.ty == t.src.ggml_type {
            for chunk in data.chunks(64 << 20) {
                tw.write_chunk(chunk)?;
                done.bytes_done += chunk.len() as u64;
                progress(done);
            }
        } else {
            convert(t, data, opts, &mut tw, &mut f32_buf, &mut out_buf, &mut |n| {
                done.bytes_done += n;
                progress(done);
            })?;
        }
        if let (Some(f), Ok(r)) = (file, g.tensor_range(&t.src)) {
            f.release(r);
        }
        done.tensors_done += 1;
        progress(done);
    }
    Ok(tw.finish()?)
}

fn convert<W: Write>(
    t: &PlannedTensor<'_>,
    data: &[u8],
    opts: &RequantOptions,
    tw: &mut TensorWriter<W>,
    f32_buf: &mut Vec<f32>,
    out_buf: &mut Vec<u8>,
    advance: &mut dyn FnMut(u64),
) -> Result<(), RequantError> {
    let src_ty = t.src.ggml_type;
    let src_info = src_ty.info().ok_or_else(|| invalid("unknown source type"))?;
    if src_info.quantized && !opts.allow_requantize {
        return Err(invalid(format!(
            "{}: requantizing from type {src_ty} is disabled (pass --allow-requantize to decode and re-encode it)",
            t.src.name
        )));
    }
    if !src_info.quantized && !matches!(src_ty, GgmlType::F32 | GgmlType::F16 | GgmlType::BF16) {
        return Err(invalid(format!(
            "{}: cannot convert tensor type {src_ty}",
            t.src.name
        )));
    }
    let ne = t.src.ne();
    let ne0 = ne[0];
    let rows_per_matrix = ne[1];
    let n_matrices = ne[2] * ne[3];
    let in_row = src_info.row_size(ne0).ok_or_else(|| invalid("row size"))? as usize;
    let out_row = t
        .choice
        .ty
        .info()
        .and_then(|i| i.row_size(ne0))
        .ok_or_else(|| invalid("row size"))? as usize;
    let chunk_rows = (CHUNK_ELEMS / ne0.max(1)).clamp(1, rows_per_matrix.max(1));
    let codec_err = |e: gguf_quant::Error| invalid(format!("{}: {e}", t.src.name));
    for m in 0..n_matrices {
        // Experts (ne[2]) each have their own slice of the importance weights.
        let weights = t.imatrix.map(|w| {
            let e = (m % ne[2]) as usize;
            &w[e * ne0 as usize..(e + 1) * ne0 as usize]
        });
        let mut row = 0;
        while row < rows_per_matrix {
            let n = chunk_rows.min(rows_per_matrix - row);
            let first = (m * rows_per_matrix + row) as usize;
            let src = &data[first * in_row..(first + n as usize) * in_row];
            f32_buf.resize((n * ne0) as usize, 0.0);
            gguf_quant::decode_rows_par(src_ty, src, f32_buf).map_err(codec_err)?;
            if let Some(i) = gguf_quant::find_non_finite(f32_buf) {
                let bad_row = first as u64 + i as u64 / ne0;
                return Err(invalid(format!(
                    "tensor {} has a non-finite value ({}) in row {bad_row}, column {}",
                    t.src.name,
                    f32_buf[i],
                    i as u64 % ne0
                )));
            }
            out_buf.resize(n as usize * out_row, 0);
            gguf_quant::encode_rows_par(t.choice.ty, f32_buf, ne0 as usize, out_buf, weights)
                .map_err(codec_err)?;
            gguf_quant::validate_row(t.choice.ty, out_buf)
                .map_err(|e| invalid(format!("{}: quantized data validation failed: {e}", t.src.name)))?;
            tw.write_chunk(out_buf)?;
            advance(src.len() as u64);
            row += n;
        }
    }
    Ok(())
}

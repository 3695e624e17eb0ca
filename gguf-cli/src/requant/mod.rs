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
use gguf_format::split::{SPLIT_COUNT, SPLIT_KEYS, SPLIT_NO, SPLIT_TENSORS_COUNT};
use gguf_format::{GgmlType, Gguf, GgufBuilder, MetaValue, Model, TensorInfo, TensorWriter};
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
    /// `--keep-split`: one output per input shard, in the input's tensor
    /// order, instead of one file in llama.cpp's loader order.
    pub keep_split: bool,
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

/// One output file: its header and which planned tensors it holds.
pub struct PlanOutput<'a> {
    /// Metadata and tensor layout.
    pub builder: GgufBuilder<'a>,
    /// The range of [`Plan::tensors`] written into it.
    pub tensors: std::ops::Range<usize>,
}

/// Everything about the output except the tensor data.
pub struct Plan<'a> {
    /// The output files: one, or with `--keep-split` one per input shard
    /// (which llama-quantize names by [`gguf_format::split::shard_path`],
    /// even when there is only one).
    pub outputs: Vec<PlanOutput<'a>>,
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
    /// Output file size (all files together).
    pub out_file_size: u64,
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
///
/// A split model is read whole (every shard's tensors, the first shard's
/// metadata without its `split.*` keys), as llama.cpp's loader reads it: one
/// output file, or with `--keep-split` one per input shard.
pub fn plan<'a>(m: &Model<'a>, opts: &'a RequantOptions, dry_run: bool) -> Result<Plan<'a>, RequantError> {
    let g = m.first();
    if g.byte_order() == gguf_format::ByteOrder::Big {
        return Err(invalid(
            "big-endian input is not supported by requant (llama-quantize does not read it either); \
             convert it to little-endian first",
        ));
    }
    let target = opts.select.target;
    if let Some(t) = m.tensors().iter().find(|t| t.ggml_type.info().is_none()) {
        return Err(invalid(format!(
            "tensor {} has unknown ggml type {}",
            t.name, t.ggml_type
        )));
    }
    let mut order = load_order(m.tensors());
    let names: Vec<Option<String>> = order
        .iter()
        .map(|t| pruned_name(t.name, &opts.prune_layers))
        .collect();
    let mut kept: Vec<(TensorInfo<'a>, String)> = order
        .drain(..)
        .zip(names)
        .filter_map(|(t, n)| n.map(|n| (t, n)))
        .collect();
    // --keep-split writes each shard's tensors in its file order; the
    // type rules then see the tensors in that order too, as in llama-quantize.
    if opts.keep_split {
        kept.sort_by_key(|(t, _)| (t.shard(), t.offset));
    }
    let all: Vec<TensorInfo<'a>> = kept.iter().map(|(t, _)| *t).collect();
    let facts = model_facts(g, opts, &all);

    let mut b = GgufBuilder::new();
    b.extend_metadata(g)?;
    b.set_last("general.quantization_version", 2u32)?;
    b.set_last("general.file_type", target.id)?;
    for k in SPLIT_KEYS {
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

    let n_out = if opts.keep_split {
        kept.iter().map(|(t, _)| t.shard() + 1).max().unwrap_or(1)
    } else {
        1
    };
    let mut builders = vec![b];
    builders.resize_with(n_out, GgufBuilder::new);
    let mut ranges = vec![0..0; n_out];

    let mut selector = Selector::new(&facts, &opts.select);
    let mut tensors = Vec::with_capacity(kept.len());
    let mut warnings = Vec::new();
    let (mut n_params, mut in_bytes, mut out_bytes) = (0u64, 0u64, 0u64);
    for (src, name) in kept {
        let ne = src.ne();
        let n_dims = src.ggml_dims().len();
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
                let expected = ne[0].saturating_mul(ne[2]);
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
        let out_file = if opts.keep_split { src.shard() } else { 0 };
        builders[out_file].add_tensor(name.clone(), &ne[..n_dims], choice.ty)?;
        if ranges[out_file].is_empty() {
            ranges[out_file] = tensors.len()..tensors.len();
        }
        ranges[out_file].end = tensors.len() + 1;
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
    if n_out > 1 {
        let total =
            i32::try_from(tensors.len()).map_err(|_| invalid("too many tensors for split.tensors.count"))?;
        for (i, b) in builders.iter_mut().enumerate() {
            b.set_last(SPLIT_NO, i as u16)?
                .set_last(SPLIT_COUNT, n_out as u16)?
                .set_last(SPLIT_TENSORS_COUNT, total)?;
        }
    }
    let mut out_file_size = 0u64;
    for b in &builders {
        out_file_size += b.file_size()?;
    }
    Ok(Plan {
        outputs: builders
            .into_iter()
            .zip(ranges)
            .map(|(builder, tensors)| PlanOutput { builder, tensors })
            .collect(),
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

/// Output bytes per chunk handed to the writer thread. Two chunks are in
/// flight at most (one being written, one being filled), which bounds memory.
const CHUNK_BYTES: usize = 16 << 20;

/// Writes planned output file `output` (0 unless `--keep-split` made
/// several) to `w`. Tensors whose type does not change are
/// copied; the others are converted row by row on all cores — each row
/// decoded to f32 (or read as F32), checked for NaN/Inf, encoded and
/// validated in one pass while it is in cache — in chunks that a separate
/// thread writes while the next chunk is computed. Mapped input pages are
/// released behind the cursor.
pub fn execute<W: Write + Send>(
    m: &Model<'_>,
    plan: &Plan<'_>,
    opts: &RequantOptions,
    output: usize,
    w: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<W, RequantError> {
    let out = plan
        .outputs
        .get(output)
        .ok_or_else(|| invalid(format!("the plan has no output file {output}")))?;
    let tw = out.builder.write_header(w)?;
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let writer = scope.spawn(move || -> Result<TensorWriter<W>, RequantError> {
            let mut tw = tw;
            for buf in full_rx {
                tw.write_chunk(&buf)?;
                // The producer may have finished already; then the buffer is simply dropped.
                let _ = empty_tx.send(buf);
            }
            Ok(tw)
        });
        let produced = produce(
            m,
            &plan.tensors[out.tensors.clone()],
            opts,
            &full_tx,
            &empty_rx,
            progress,
        );
        drop(full_tx);
        let written = writer.join().map_err(|_| invalid("the writer thread panicked"))?;
        // A write error explains a failed send better than the send does.
        let tw = written?;
        produced?;
        Ok(tw.finish()?)
    })
}

/// Fills chunks in output order and hands them to the writer.
fn produce(
    m: &Model<'_>,
    tensors: &[PlannedTensor<'_>],
    opts: &RequantOptions,
    full: &std::sync::mpsc::SyncSender<Vec<u8>>,
    empty: &std::sync::mpsc::Receiver<Vec<u8>>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RequantError> {
    let mut done = Progress {
        tensors_done: 0,
        bytes_done: 0,
    };
    let send = |buf: Vec<u8>| full.send(buf).map_err(|_| invalid("the writer stopped"));
    let next_buf = || empty.try_recv().unwrap_or_default();
    for t in tensors {
        let data = m.tensor_data(&t.src)?;
        let start = m.tensor_range(&t.src)?.start;
        // Input pages already used are not needed again: give them back as we go.
        let release = |from: u64, to: u64| m.release(&t.src, start + from..start + to);
        if t.choice.ty == t.src.ggml_type {
            let mut at = 0u64;
            for chunk in data.chunks(CHUNK_BYTES) {
                let mut buf = next_buf();
                buf.clear();
                buf.extend_from_slice(chunk);
                send(buf)?;
                release(at, at + chunk.len() as u64);
                at += chunk.len() as u64;
                done.bytes_done += chunk.len() as u64;
                progress(done);
            }
        } else {
            let conv = Conversion::new(t, opts)?;
            let mut row = 0;
            while row < conv.rows {
                let n = conv.chunk_rows.min(conv.rows - row);
                let mut buf = next_buf();
                conv.run(data, row, n, &mut buf)?;
                send(buf)?;
                release(row * conv.in_row as u64, (row + n) * conv.in_row as u64);
                done.bytes_done += n * conv.in_row as u64;
                progress(done);
                row += n;
            }
        }
        done.tensors_done += 1;
        progress(done);
    }
    Ok(())
}

/// How one tensor is converted.
struct Conversion<'p> {
    t: &'p PlannedTensor<'p>,
    src_ty: GgmlType,
    ne0: usize,
    /// Rows per expert matrix (`ne[1]`) and experts (`ne[2]`); imatrix slices are per expert.
    rows_per_matrix: u64,
    experts: u64,
    rows: u64,
    in_row: usize,
    out_row: usize,
    chunk_rows: u64,
}

/// Why one row could not be converted.
enum RowError {
    NonFinite { col: usize, value: f32 },
    Codec(gguf_quant::Error),
    Invalid(gguf_quant::Error),
}

impl<'p> Conversion<'p> {
    fn new(t: &'p PlannedTensor<'p>, opts: &RequantOptions) -> Result<Self, RequantError> {
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
        let row_size = |ty: GgmlType| {
            ty.info()
                .and_then(|i| i.row_size(ne[0]))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| invalid(format!("{}: row size of {ty}", t.src.name)))
        };
        let out_row = row_size(t.choice.ty)?;
        Ok(Conversion {
            t,
            src_ty,
            ne0: ne[0] as usize,
            rows_per_matrix: ne[1],
            experts: ne[2],
            rows: t.src.n_rows(),
            in_row: row_size(src_ty)?,
            out_row,
            chunk_rows: (CHUNK_BYTES / out_row.max(1)).max(1) as u64,
        })
    }

    /// The importance weights for a row: its expert's slice.
    fn weights(&self, row: u64) -> Option<&[f32]> {
        self.t.imatrix.map(|w| {
            let e = ((row / self.rows_per_matrix.max(1)) % self.experts.max(1)) as usize;
            &w[e * self.ne0..(e + 1) * self.ne0]
        })
    }

    fn convert_row(&self, src: &[u8], row: u64, f32_row: &mut [f32], dst: &mut [u8]) -> Result<(), RowError> {
        gguf_quant::decode_row(self.src_ty, src, f32_row).map_err(RowError::Codec)?;
        if let Some(col) = gguf_quant::find_non_finite(f32_row) {
            return Err(RowError::NonFinite {
                col,
                value: f32_row[col],
            });
        }
        gguf_quant::encode_row(self.t.choice.ty, f32_row, dst, self.weights(row)).map_err(RowError::Codec)?;
        gguf_quant::validate_row(self.t.choice.ty, dst).map_err(RowError::Invalid)
    }

    /// Converts rows `first..first + n` into `out`, in parallel.
    fn run(&self, data: &[u8], first: u64, n: u64, out: &mut Vec<u8>) -> Result<(), RequantError> {
        use rayon::prelude::*;
        let src = &data[first as usize * self.in_row..(first + n) as usize * self.in_row];
        out.resize(n as usize * self.out_row, 0);
        let result = out
            .par_chunks_mut(self.out_row)
            .zip(src.par_chunks(self.in_row))
            .enumerate()
            .try_for_each_init(
                || vec![0f32; self.ne0],
                |f32_row, (i, (dst, s))| self.convert_row(s, first + i as u64, f32_row, dst),
            );
        if result.is_ok() {
            return Ok(());
        }
        // Report the first bad row, whichever thread saw a problem first.
        let mut f32_row = vec![0f32; self.ne0];
        let mut dst = vec![0u8; self.out_row];
        for (i, s) in src.chunks(self.in_row).enumerate() {
            let row = first + i as u64;
            let name = &self.t.src.name;
            match self.convert_row(s, row, &mut f32_row, &mut dst) {
                Ok(()) => {}
                Err(RowError::NonFinite { col, value }) => {
                    return Err(invalid(format!(
                        "tensor {name} has a non-finite value ({value}) in row {row}, column {col}"
                    )))
                }
                Err(RowError::Codec(e)) => return Err(invalid(format!("{name}: row {row}: {e}"))),
                Err(RowError::Invalid(e)) => {
                    return Err(invalid(format!(
                        "{name}: row {row}: quantized data validation failed: {e}"
                    )))
                }
            }
        }
        Err(invalid(format!("{}: conversion failed", self.t.src.name)))
    }
}

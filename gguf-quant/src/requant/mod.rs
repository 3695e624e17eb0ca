//! Requantization: a model to another llama.cpp file type (`Q4_K_M`,
//! `Q8_0`, …) with the per-tensor types, metadata and layout
//! `llama-quantize` gives it, byte for byte, streaming one chunk of rows at
//! a time. [`Options`] holds llama-quantize's options and applies its rules
//! as they are set; [`plan`] decides every tensor's type and the output
//! layout without touching tensor data (it is also `--dry-run`);
//! [`execute`] writes the data of one planned output file.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use gguf_quant::requant::{self, target::parse_target, Options};
//! let files = gguf_format::ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let model = files.parse()?;
//! let opts = Options::new(parse_target("Q4_K_M").unwrap());
//! let plan = requant::plan(&model, &opts, false)?;
//! let out = requant::execute(&model, &plan, &opts, 0, Vec::new(), &mut |_| {})?;
//! assert_eq!(out.len() as u64, plan.out_file_size);
//! # Ok(()) }
//! ```

mod error;
pub mod imatrix;
pub mod quality;
pub mod select;
pub mod target;

pub use error::RequantError;
pub use imatrix::Imatrix;
pub use target::{parse_target, Target, TARGETS};

use crate::rows::RowConverter;
use gguf_format::split::{SPLIT_COUNT, SPLIT_KEYS, SPLIT_NO, SPLIT_TENSORS_COUNT};
use gguf_format::{GgmlType, Gguf, GgufBuilder, MetaValue, Model, TensorInfo, TensorWriter};
use select::{Choice, ModelFacts, SelectOptions, Selector};
use std::io::Write;

/// llama-quantize's options, with its rules applied as they are set:
/// `--tensor-type` patterns are lowercased and compiled, pruned layers
/// sorted and de-duplicated, the importance matrix filtered by
/// `--include-weights` / `--exclude-weights` (which exclude each other).
#[derive(Debug, Clone)]
pub struct Options {
    select: SelectOptions,
    allow_requantize: bool,
    imatrix: Option<(String, Imatrix)>,
    override_kv: Vec<(String, KvOverride)>,
    prune_layers: Vec<u64>,
    keep_split: bool,
}

impl Options {
    /// The defaults for `target`: no options given.
    pub fn new(target: &'static Target) -> Options {
        Options {
            select: SelectOptions {
                target,
                pure: false,
                leave_output: false,
                output_type: None,
                token_embd_type: None,
                tensor_types: Vec::new(),
            },
            allow_requantize: false,
            imatrix: None,
            override_kv: Vec::new(),
            prune_layers: Vec::new(),
            keep_split: false,
        }
    }

    /// The same options for another target.
    pub fn with_target(&self, target: &'static Target) -> Options {
        let mut o = self.clone();
        o.select.target = target;
        o
    }

    /// The target.
    pub fn target(&self) -> &'static Target {
        self.select.target
    }

    /// `--pure`: every quantizable tensor gets the target's default type.
    pub fn pure(&mut self, on: bool) -> &mut Self {
        self.select.pure = on;
        self
    }

    /// `--leave-output-tensor`: output.weight keeps its type.
    pub fn leave_output_tensor(&mut self, on: bool) -> &mut Self {
        self.select.leave_output = on;
        self
    }

    /// `--output-tensor-type`.
    pub fn output_tensor_type(&mut self, ty: Option<GgmlType>) -> &mut Self {
        self.select.output_type = ty;
        self
    }

    /// `--token-embedding-type`.
    pub fn token_embedding_type(&mut self, ty: Option<GgmlType>) -> &mut Self {
        self.select.token_embd_type = ty;
        self
    }

    /// `--tensor-type PATTERN=TYPE` (also each entry of a
    /// `--tensor-type-file`): tensors whose name matches the regular
    /// expression (searched anywhere, lowercased as llama-quantize does) get
    /// TYPE, a ggml type name; the first matching entry wins.
    pub fn tensor_type(&mut self, spec: &str) -> Result<&mut Self, RequantError> {
        let (pattern, ty) = spec
            .split_once('=')
            .filter(|(p, t)| !p.is_empty() && !t.is_empty())
            .ok_or_else(|| RequantError::Option(format!("--tensor-type {spec:?}: expected PATTERN=TYPE")))?;
        let re = regex::Regex::new(&pattern.to_lowercase())
            .map_err(|e| RequantError::Option(format!("--tensor-type {pattern:?}: {e}")))?;
        let ty = GgmlType::from_name(ty).ok_or_else(|| {
            RequantError::Option(format!("unknown ggml type {ty:?} (e.g. q4_k, q8_0, f16)"))
        })?;
        self.select.tensor_types.push((re, ty));
        Ok(self)
    }

    /// `--allow-requantize`: quantized inputs are decoded and encoded again.
    pub fn allow_requantize(&mut self, on: bool) -> &mut Self {
        self.allow_requantize = on;
        self
    }

    /// `--imatrix`: the importance matrix, `path` as the user gave it (it is
    /// recorded in `quantize.imatrix.file`), kept only for tensors whose
    /// names contain one of `include` or, else, none of `exclude`.
    pub fn imatrix(
        &mut self,
        path: &str,
        mut m: Imatrix,
        include: &[String],
        exclude: &[String],
    ) -> Result<&mut Self, RequantError> {
        if !include.is_empty() && !exclude.is_empty() {
            return Err(RequantError::Option(
                "--include-weights and --exclude-weights cannot be given together".into(),
            ));
        }
        m.filter(include, exclude);
        self.imatrix = Some((path.to_string(), m));
        Ok(self)
    }

    /// The importance matrix in use, and its path as given.
    pub fn imatrix_in_use(&self) -> Option<(&str, &Imatrix)> {
        self.imatrix.as_ref().map(|(p, m)| (p.as_str(), m))
    }

    /// `--override-kv KEY=TYPE:VALUE`, in command-line order.
    pub fn override_kv(&mut self, spec: &str) -> Result<&mut Self, RequantError> {
        self.override_kv.push(KvOverride::parse(spec)?);
        Ok(self)
    }

    /// `--prune-layers`: these blocks are dropped and later ones renumbered.
    pub fn prune_layers(&mut self, layers: impl IntoIterator<Item = u64>) -> &mut Self {
        self.prune_layers.extend(layers);
        self.prune_layers.sort_unstable();
        self.prune_layers.dedup();
        self
    }

    /// `--keep-split`: one output per input shard, in the input's tensor
    /// order, instead of one file in llama.cpp's loader order.
    pub fn keep_split(&mut self, on: bool) -> &mut Self {
        self.keep_split = on;
        self
    }
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
    pub fn parse(s: &str) -> Result<(String, KvOverride), RequantError> {
        Self::parse_text(s).map_err(RequantError::Option)
    }

    fn parse_text(s: &str) -> Result<(String, KvOverride), String> {
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

impl Plan<'_> {
    /// What this plan lacks to be carried out, in words, or `None` when it
    /// can be: an importance matrix for a type that needs one (`needs
    /// --imatrix`), or an encoder for a type this version cannot make. A
    /// plan made for a dry run can lack these; [`plan`] itself refuses
    /// them otherwise.
    pub fn shortfall(&self) -> Option<String> {
        let converted = || self.tensors.iter().filter(|t| t.choice.ty != t.src.ggml_type);
        let mut notes = Vec::new();
        if converted().any(|t| t.choice.requires_imatrix && t.imatrix.is_none()) {
            notes.push(if self.tensors.iter().any(|t| t.imatrix.is_some()) {
                "the importance matrix lacks entries its types need".to_string()
            } else {
                "needs --imatrix".to_string()
            });
        }
        let missing: std::collections::BTreeSet<String> = converted()
            .filter(|t| crate::codec(t.choice.ty).is_none_or(|c| !c.can_encode()))
            .map(|t| t.choice.ty.to_string())
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.into_iter().collect();
            notes.push(format!(
                "{} cannot be encoded by this version (size only)",
                list.join(", ")
            ));
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }
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

fn model_facts(g: &Gguf<'_>, opts: &Options, tensors: &[TensorInfo<'_>]) -> ModelFacts {
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
pub fn plan<'a>(m: &Model<'a>, opts: &'a Options, dry_run: bool) -> Result<Plan<'a>, RequantError> {
    let g = m.first();
    if g.byte_order() == gguf_format::ByteOrder::Big {
        return Err(RequantError::BigEndian);
    }
    let target = opts.select.target;
    if let Some(t) = m.tensors().iter().find(|t| t.ggml_type.info().is_none()) {
        return Err(RequantError::UnknownType {
            tensor: t.name.to_string(),
            ty: t.ggml_type,
        });
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
    b.set_last("general.file_type", target.id())?;
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
        let choice = selector.choose(&name, ne, n_dims, src.ggml_type)?;
        if let Some(f) = choice.fallback {
            warnings.push(format!(
                "{name}: rows of {} are not whole {} blocks, using {}",
                ne[0], f.wanted, f.used
            ));
        }
        // The selector only returns known types whose blocks divide the rows.
        let out = choice.ty.info().and_then(|i| i.tensor_size(&ne)).ok_or_else(|| {
            select::SelectError::NoFallback {
                tensor: name.clone(),
                ty: choice.ty,
                ne0: ne[0],
            }
        })?;
        let imatrix = match &opts.imatrix {
            Some((_, m)) if choice.ty != src.ggml_type => {
                let expected = ne[0].saturating_mul(ne[2]);
                match m.entries.get(src.name) {
                    Some(w) if w.len() as u64 == expected => Some(&w[..]),
                    Some(_) if select::Category::of(&name) == select::Category::TokenEmbd => None,
                    Some(w) => {
                        return Err(RequantError::ImatrixSize {
                            tensor: name,
                            have: w.len() as u64,
                            need: expected,
                        })
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
        if converts {
            check_convertible(&src, opts)?;
        }
        if choice.requires_imatrix && converts && imatrix.is_none() {
            let e = match &opts.imatrix {
                None => RequantError::ImatrixRequired {
                    target: target.name,
                    tensor: name.clone(),
                    ty: choice.ty,
                },
                Some(_) => RequantError::TensorNeedsImatrix {
                    tensor: name.clone(),
                    ty: choice.ty,
                },
            };
            if !dry_run {
                return Err(e);
            }
            warnings.push(e.to_string());
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
        let total = i32::try_from(tensors.len())
            .map_err(|_| RequantError::Option("too many tensors for split.tensors.count (i32)".into()))?;
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
    opts: &Options,
    output: usize,
    w: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<W, RequantError> {
    let out = plan
        .outputs
        .get(output)
        .ok_or_else(|| RequantError::Option(format!("the plan has no output file {output}")))?;
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
        let written = writer.join().map_err(|_| RequantError::Writer("panicked"))?;
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
    opts: &Options,
    full: &std::sync::mpsc::SyncSender<Vec<u8>>,
    empty: &std::sync::mpsc::Receiver<Vec<u8>>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RequantError> {
    let mut done = Progress {
        tensors_done: 0,
        bytes_done: 0,
    };
    let send = |buf: Vec<u8>| full.send(buf).map_err(|_| RequantError::Writer("stopped"));
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

/// Refuses a type change the input does not allow: a quantized tensor
/// without `--allow-requantize`, or a type that is not weights.
fn check_convertible(src: &TensorInfo<'_>, opts: &Options) -> Result<(), RequantError> {
    let ty = src.ggml_type;
    let info = ty.info().ok_or_else(|| RequantError::UnknownType {
        tensor: src.name.to_string(),
        ty,
    })?;
    if info.quantized && !opts.allow_requantize {
        return Err(RequantError::RequantizeDisabled {
            tensor: src.name.to_string(),
            from: ty,
        });
    }
    if !info.quantized && !matches!(ty, GgmlType::F32 | GgmlType::F16 | GgmlType::BF16) {
        return Err(RequantError::Unconvertible {
            tensor: src.name.to_string(),
            ty,
        });
    }
    Ok(())
}

/// How one tensor is converted.
struct Conversion<'p> {
    t: &'p PlannedTensor<'p>,
    rows_of: RowConverter<'p>,
    rows: u64,
    in_row: usize,
    out_row: usize,
    chunk_rows: u64,
}

impl<'p> Conversion<'p> {
    fn new(t: &'p PlannedTensor<'p>, opts: &Options) -> Result<Self, RequantError> {
        check_convertible(&t.src, opts)?;
        let ne = t.src.ne();
        let name = t.src.name;
        let row_size = |ty: GgmlType| {
            ty.info()
                .and_then(|i| i.row_size(ne[0]))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| select::SelectError::NoFallback {
                    tensor: name.to_string(),
                    ty,
                    ne0: ne[0],
                })
        };
        let out_row = row_size(t.choice.ty)?;
        let rows_of = RowConverter::new(t.src.ggml_type, t.choice.ty, ne, t.imatrix).map_err(|e| {
            RequantError::Codec {
                tensor: name.to_string(),
                row: 0,
                source: e,
            }
        })?;
        Ok(Conversion {
            t,
            rows_of,
            rows: t.src.n_rows(),
            in_row: row_size(t.src.ggml_type)?,
            out_row,
            chunk_rows: (CHUNK_BYTES / out_row.max(1)).max(1) as u64,
        })
    }

    /// Converts rows `first..first + n` into `out`, in parallel.
    fn run(&self, data: &[u8], first: u64, n: u64, out: &mut Vec<u8>) -> Result<(), RequantError> {
        use rayon::prelude::*;
        let src = &data[first as usize * self.in_row..(first + n) as usize * self.in_row];
        out.resize(n as usize * self.out_row, 0);
        let ne0 = self.rows_of.row_len();
        let result = out
            .par_chunks_mut(self.out_row)
            .zip(src.par_chunks(self.in_row))
            .enumerate()
            .try_for_each_init(
                || vec![0f32; ne0],
                |f32_row, (i, (dst, s))| {
                    let row = first + i as u64;
                    self.rows_of.convert(s, row, f32_row, dst).map_err(|e| (row, e))
                },
            );
        let Err(seen) = result else {
            return Ok(());
        };
        // Report the first bad row, whichever thread saw a problem first.
        let mut f32_row = vec![0f32; ne0];
        let mut dst = vec![0u8; self.out_row];
        let first_bad = src.chunks(self.in_row).enumerate().find_map(|(i, s)| {
            let row = first + i as u64;
            self.rows_of
                .convert(s, row, &mut f32_row, &mut dst)
                .err()
                .map(|e| (row, e))
        });
        let (row, e) = first_bad.unwrap_or(seen);
        Err(RequantError::from_row(self.t.src.name, row, e))
    }
}

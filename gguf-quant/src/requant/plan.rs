//! Planning a requantization: every output tensor's type, name and place, the output files' headers and sizes, without touching tensor data ([`plan`], also `--dry-run`).

use super::options::{check_convertible, Options};
use super::select::{self, Choice, ModelFacts, Selector};
use super::{RequantError, Target};
use gguf_format::split::{SPLIT_COUNT, SPLIT_KEYS, SPLIT_NO, SPLIT_TENSORS_COUNT};
use gguf_format::{Gguf, GgufBuilder, TensorInfo, TensorSource};
use gguf_llama::hparams::{self, HParams};
use gguf_llama::tensor;

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
    /// The `general.file_type` written: the target's id, or for
    /// [`super::COPY`] the input's as llama.cpp's loader reads it.
    pub file_type: u32,
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
    /// The quantized input types this plan decodes and encodes again (in
    /// order of name, each once): what needs `allow_requantize`. Empty when
    /// every quantized tensor keeps its type.
    pub fn requantized_types(&self) -> Vec<gguf_format::GgmlType> {
        let types: std::collections::BTreeMap<String, gguf_format::GgmlType> = self
            .tensors
            .iter()
            .filter(|t| t.choice.ty != t.src.ggml_type && t.src.ggml_type.info().is_some_and(|i| i.quantized))
            .map(|t| (t.src.ggml_type.to_string(), t.src.ggml_type))
            .collect();
        types.into_values().collect()
    }

    /// What this plan lacks to be carried out, in words ([`Plan::shortfalls`]
    /// joined by `; `), or `None` when it can be.
    pub fn shortfall(&self) -> Option<String> {
        let notes: Vec<String> = self.shortfalls().iter().map(ToString::to_string).collect();
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
    let mut hp = HParams::new(g);
    // The loader applies --override-kv before reading hyperparameters.
    for (k, v) in &opts.override_kv {
        hp.set_override(k.as_str(), v.as_uint());
    }
    // Counts given per layer are read for layer 0, as llama.cpp's n_head() is.
    let n_head = hp.first(hparams::HEAD_COUNT).unwrap_or(0);
    ModelFacts {
        n_layer: hp.first(hparams::BLOCK_COUNT).unwrap_or(0),
        n_head,
        n_head_kv: hp.first(hparams::HEAD_COUNT_KV).unwrap_or(n_head),
        n_expert: hp.first(hparams::EXPERT_COUNT).unwrap_or(0),
        tied_embeddings: !tensors.iter().any(|t| t.name == tensor::OUTPUT),
        n_attention_wv: tensors
            .iter()
            .filter(|t| select::Category::of(t.name).is_attn_v())
            .count() as u64,
        has_imatrix: opts.imatrix.as_ref().is_some_and(|(_, m)| !m.entries.is_empty()),
        arch: hp.arch().to_string(),
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
/// The model is read through the [`TensorSource`] seam (a [`gguf_format::Model`],
/// or any other source). A split model is read whole (every shard's tensors, the first shard's
/// metadata without its `split.*` keys), as llama.cpp's loader reads it: one
/// output file, or with `--keep-split` one per input shard.
pub fn plan<'a, S: TensorSource<'a> + ?Sized>(
    m: &S,
    opts: &'a Options,
    dry_run: bool,
) -> Result<Plan<'a>, RequantError> {
    let g = m.header();
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
    // COPY writes the file type the loader read (or guessed) from the input.
    let file_type = if target.is_copy() {
        super::target::loader_file_type(g.get("general.file_type"), &order)
    } else {
        target.id()
    };
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
    b.set_last("general.file_type", file_type)?;
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
        let total = i32::try_from(tensors.len()).map_err(|_| super::OptionError::TooManyTensors)?;
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
        file_type,
        warnings,
        n_params,
        in_bytes,
        out_bytes,
        out_file_size,
    })
}

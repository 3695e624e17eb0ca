//! Which ggml type each tensor gets: llama.cpp's rules (`src/llama-quant.cpp`:
//! `tensor_allows_quantization`, `llama_tensor_get_type` and its `_impl`, and
//! `tensor_type_fallback`), re-implemented so the same input and options give
//! the same types as `llama-quantize`.

use super::target::Target;
use gguf_format::ftype::id;
use gguf_format::GgmlType;

/// The tensor categories the rules are written in, and the layer of a
/// `blk.N.` name: llama.cpp's model knowledge, in `gguf-llama`.
pub use gguf_llama::tensor::{layer_of, Category};

/// Model facts the rules depend on.
#[derive(Debug, Clone, Default)]
pub struct ModelFacts {
    /// `general.architecture`.
    pub arch: String,
    /// `{arch}.block_count`.
    pub n_layer: u64,
    /// `{arch}.attention.head_count` (of layer 0).
    pub n_head: u64,
    /// `{arch}.attention.head_count_kv` (of layer 0; defaults to `n_head`).
    pub n_head_kv: u64,
    /// `{arch}.expert_count`, or 0.
    pub n_expert: u64,
    /// No tensor is named `output.weight`: token_embd doubles as the output.
    pub tied_embeddings: bool,
    /// Number of attn_v-like tensors in the model.
    pub n_attention_wv: u64,
    /// An importance matrix with at least one entry is in use.
    pub has_imatrix: bool,
}

impl ModelFacts {
    /// `n_head / n_head_kv` (0 when there are no KV heads).
    pub fn n_gqa(&self) -> u64 {
        self.n_head.checked_div(self.n_head_kv).unwrap_or(0)
    }

    fn is_falcon(&self) -> bool {
        self.arch == "falcon"
    }

    /// llama.cpp treats these as `LLM_TYPE_70B`, which changes attn_v types.
    fn is_70b(&self) -> bool {
        match self.arch.as_str() {
            "llama" => self.n_layer == 80 && self.n_head != self.n_head_kv,
            "deci" | "olmo" | "qwen2" => self.n_layer == 80,
            "jais2" => self.n_layer == 68,
            _ => false,
        }
    }
}

/// User choices that affect types.
#[derive(Debug, Clone)]
pub struct SelectOptions {
    /// The target ftype.
    pub target: &'static Target,
    /// `--pure`: no mixture rules.
    pub pure: bool,
    /// `--leave-output-tensor`.
    pub leave_output: bool,
    /// `--output-tensor-type`.
    pub output_type: Option<GgmlType>,
    /// `--token-embedding-type`.
    pub token_embd_type: Option<GgmlType>,
    /// `--tensor-type PATTERN=TYPE`, in order (regex searched in the name).
    pub tensor_types: Vec<(regex::Regex, GgmlType)>,
}

/// A fallback that fired: the type wanted and the one used instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback {
    /// Type the rules chose.
    pub wanted: GgmlType,
    /// Type used because the row length is not whole blocks of `wanted`.
    pub used: GgmlType,
}

/// The decision for one tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// The output type.
    pub ty: GgmlType,
    /// Whether the tensor may be quantized at all (else `ty` is its own type).
    pub eligible: bool,
    /// Set when the row length forced a different type.
    pub fallback: Option<Fallback>,
    /// Whether this type cannot be made without an importance matrix.
    pub requires_imatrix: bool,
}

/// Errors the rules can raise (llama.cpp throws for these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// No fallback type exists for this target and row length.
    NoFallback {
        /// The tensor.
        tensor: String,
        /// The type that does not fit.
        ty: GgmlType,
        /// The row length.
        ne0: u64,
    },
    /// MoE models: the layer could not be read from the name or is out of range.
    BadLayer {
        /// The tensor.
        tensor: String,
    },
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::NoFallback { tensor, ty, ne0 } => write!(
                f,
                "{tensor}: rows of {ne0} are not whole {ty} blocks and no fallback type is defined for {ty}"
            ),
            SelectError::BadLayer { tensor } => {
                write!(
                    f,
                    "{tensor}: cannot tell the layer from the name (needed for MoE models)"
                )
            }
        }
    }
}

impl std::error::Error for SelectError {}

/// `use_more_bits`: the layers that get more bits in the mixed ftypes.
pub fn use_more_bits(i: u64, n: u64) -> bool {
    // Integer arithmetic as in C (signed: `i - n/8` may be negative, and `%`
    // keeps the sign); i128 so that no count read from a file can overflow.
    let (i, n) = (i128::from(i), i128::from(n));
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
}

/// Whether llama.cpp may change this tensor's type (`tensor_allows_quantization`).
pub fn allows_quantization(name: &str, n_dims: usize, leave_output: bool) -> bool {
    const EXCLUDED: &[&str] = &[
        "_norm.weight",
        "ffn_gate_inp.weight",
        "ffn_gate_tid2eid.weight",
        "altup",
        "laurel",
        "per_layer_model_proj",
        "ssm_conv1d",
        "shortconv.conv.weight",
        "indexer.k_proj.weight",
        "indexer.q_proj.weight",
        "time_mix_first.weight",
        "time_mix_w0.weight",
        "time_mix_w1.weight",
        "time_mix_w2.weight",
        "time_mix_v0.weight",
        "time_mix_v1.weight",
        "time_mix_v2.weight",
        "time_mix_a0.weight",
        "time_mix_a1.weight",
        "time_mix_a2.weight",
        "time_mix_g1.weight",
        "time_mix_g2.weight",
        "time_mix_decay_w1.weight",
        "time_mix_decay_w2.weight",
        "time_mix_lerp_fused.weight",
        "attn_rel_b.weight",
        ".position_embd",
        "sam.pos_embd",
        "sam.neck.",
        "sam.net_",
        ".rel_pos",
        ".patch_embd",
        ".patch_merger",
        "a.rvq.codebook",
        "mm.a.code_embd",
    ];
    n_dims >= 2
        && name.ends_with("weight")
        && !(leave_output && name == "output.weight")
        && name != "position_embd.weight"
        && name != "token_types.weight"
        && !EXCLUDED.iter().any(|s| name.contains(s))
}

/// Whether llama.cpp refuses to make this type for this tensor without an
/// importance matrix (`llama-quant.cpp`): the one rule requantization
/// applies. Every target llama-quantize refuses outright without one (the
/// IQ1/IQ2 mixes and Q2_K_S) gives its tensors such a type. It is wider
/// than what the codecs themselves need ([`crate::Codec::requires_imatrix`]:
/// only IQ2_XXS, IQ2_XS and IQ1_S cannot be encoded without weights).
pub fn requires_imatrix(name: &str, ty: GgmlType, target: &Target) -> bool {
    if matches!(Category::of(name), Category::Output | Category::TokenEmbd) {
        return false;
    }
    match ty {
        GgmlType::IQ3_XXS
        | GgmlType::IQ2_XXS
        | GgmlType::IQ2_XS
        | GgmlType::IQ2_S
        | GgmlType::IQ1_M
        | GgmlType::IQ1_S => true,
        GgmlType::Q2_K => target.is(id::Q2_K_S),
        _ => false,
    }
}

/// Chooses types tensor by tensor, in output order, keeping llama.cpp's counters.
pub struct Selector<'a> {
    facts: &'a ModelFacts,
    opts: &'a SelectOptions,
    i_attention_wv: u64,
    i_ffn_down: u64,
    i_ffn_gate: u64,
    i_ffn_up: u64,
}

fn is_float(t: GgmlType) -> bool {
    matches!(t, GgmlType::F32 | GgmlType::F16 | GgmlType::BF16)
}

impl<'a> Selector<'a> {
    /// A selector at the start of the tensor list.
    pub fn new(facts: &'a ModelFacts, opts: &'a SelectOptions) -> Self {
        Selector {
            facts,
            opts,
            i_attention_wv: 0,
            i_ffn_down: 0,
            i_ffn_gate: 0,
            i_ffn_up: 0,
        }
    }

    /// The type for the next tensor (`ne` innermost first, `n_dims` as ggml counts them).
    pub fn choose(
        &mut self,
        name: &str,
        ne: [u64; 4],
        n_dims: usize,
        current: GgmlType,
    ) -> Result<Choice, SelectError> {
        let keep = Choice {
            ty: current,
            eligible: false,
            fallback: None,
            requires_imatrix: false,
        };
        // COPY (llama.cpp's only_copy) quantizes nothing.
        if self.opts.target.is_copy() || !allows_quantization(name, n_dims, self.opts.leave_output) {
            return Ok(keep);
        }
        let category = Category::of(name);
        let done = |ty: GgmlType| Choice {
            ty,
            eligible: true,
            fallback: None,
            requires_imatrix: requires_imatrix(name, ty, self.opts.target),
        };
        if let (Some(t), Category::TokenEmbd) = (self.opts.token_embd_type, category) {
            return Ok(done(t));
        }
        if let (Some(t), Category::Output) = (self.opts.output_type, category) {
            return Ok(done(t));
        }
        let default = self.opts.target.default_type();
        if is_float(default) {
            return Ok(done(default));
        }
        let manual = self
            .opts
            .tensor_types
            .iter()
            .find(|(re, _)| re.is_match(name))
            .map(|&(_, t)| t);
        let wanted = match manual {
            Some(t) => t,
            None if self.opts.pure => default,
            None => self.mixture(name, category, ne, default)?,
        };
        let ty = fallback(name, ne[0], wanted)?;
        Ok(Choice {
            fallback: (ty != wanted).then_some(Fallback { wanted, used: ty }),
            ..done(ty)
        })
    }

    fn layer(&self, counter: u64, name: &str) -> Result<(u64, u64), SelectError> {
        let n = self.facts.n_layer;
        if self.facts.n_expert <= 1 {
            return Ok((counter, n));
        }
        match layer_of(name) {
            Some(i) if i < n => Ok((i, n)),
            _ => Err(SelectError::BadLayer { tensor: name.into() }),
        }
    }

    /// `llama_tensor_get_type_impl`: the ftype's mixture rules.
    fn mixture(
        &mut self,
        name: &str,
        cat: Category,
        ne: [u64; 4],
        t: GgmlType,
    ) -> Result<GgmlType, SelectError> {
        use GgmlType as T;
        let f = self.facts;
        let ft = self.opts.target.id();
        let is = |ids: &[u32]| ids.contains(&ft);
        let n_gqa = f.n_gqa();
        let mut new = t;

        if cat == Category::Output || (f.tied_embeddings && cat == Category::TokenEmbd) {
            let blck = u64::from(t.info().map_or(1, |i| i.block_size));
            new = if let Some(o) = self.opts.output_type {
                o
            } else if ft == id::MXFP4_MOE || f.is_falcon() || !ne[0].is_multiple_of(blck) {
                T::Q8_0
            } else if is(&[
                id::IQ2_XXS,
                id::IQ2_XS,
                id::IQ3_XXS,
                id::IQ1_S,
                id::IQ2_S,
                id::IQ2_M,
                id::IQ1_M,
            ]) {
                T::Q5_K
            } else if t != T::Q8_0 {
                T::Q6_K
            } else {
                t
            };
        } else if ft == id::MXFP4_MOE {
            let expert_role = matches!(cat, Category::FfnUp | Category::FfnGate | Category::FfnDown);
            new = if ne[2] > 1 && (f.arch != "bailingmoe3" || expert_role) {
                T::MXFP4
            } else {
                T::Q8_0
            };
        } else if cat == Category::TokenEmbd {
            if let Some(e) = self.opts.token_embd_type {
                new = e;
            } else if is(&[id::IQ2_XXS, id::IQ2_XS, id::IQ1_S, id::IQ1_M]) {
                new = T::Q2_K;
            } else if is(&[id::IQ2_S, id::IQ2_M, id::IQ3_XXS]) {
                new = T::IQ3_S;
            } else if is(&[id::TQ1_0, id::TQ2_0, id::Q2_0]) {
                new = T::Q4_K;
            }
        } else if is(&[
            id::IQ2_XXS,
            id::IQ2_XS,
            id::IQ1_S,
            id::IQ2_S,
            id::IQ2_M,
            id::IQ1_M,
        ]) {
            let s_or_m = is(&[id::IQ2_S, id::IQ2_M]);
            if cat.is_attn_v() {
                new = if n_gqa >= 4 || f.n_expert >= 4 {
                    T::Q4_K
                } else if s_or_m {
                    T::IQ3_S
                } else {
                    T::Q2_K
                };
                self.i_attention_wv += 1;
            } else if f.n_expert == 8 && cat == Category::AttentionK {
                new = T::Q4_K;
            } else if cat == Category::FfnDown {
                if self.i_ffn_down < f.n_layer / 8 {
                    new = if s_or_m { T::IQ3_S } else { T::Q2_K };
                }
                self.i_ffn_down += 1;
            } else if cat == Category::AttentionOutput {
                if f.n_expert == 8 {
                    new = T::Q5_K;
                } else if is(&[id::IQ1_S, id::IQ1_M]) {
                    new = T::IQ2_XXS;
                } else if s_or_m {
                    new = T::IQ3_S;
                }
            }
        } else if cat.is_attn_v() {
            let i = self.i_attention_wv;
            if ft == id::Q2_K {
                new = if n_gqa >= 4 { T::Q4_K } else { T::Q3_K };
            } else if ft == id::Q2_K_S && n_gqa >= 4 {
                new = T::Q4_K;
            } else if ft == id::IQ3_XXS {
                new = if n_gqa >= 4 {
                    T::Q4_K
                } else if !f.has_imatrix {
                    T::IQ3_S
                } else {
                    T::IQ3_XXS
                };
            } else if (is(&[id::IQ3_XS, id::IQ3_S]) && n_gqa >= 4) || ft == id::IQ3_M {
                new = T::Q4_K;
            } else if ft == id::Q3_K_M {
                new = if i < 2 { T::Q5_K } else { T::Q4_K };
            } else if ft == id::Q3_K_L || (is(&[id::IQ4_NL, id::IQ4_XS]) && n_gqa >= 4) {
                new = T::Q5_K;
            } else if is(&[id::Q4_K_M, id::Q5_K_M]) && use_more_bits(i, f.n_attention_wv) {
                new = T::Q6_K;
            } else if ft == id::Q4_K_S && i < 4 {
                new = T::Q5_K;
            }
            if f.is_70b() && matches!(new, T::Q3_K | T::Q4_K) {
                new = T::Q5_K;
            }
            if f.n_expert == 8 {
                new = T::Q8_0;
            }
            self.i_attention_wv += 1;
        } else if cat == Category::AttentionK {
            if f.n_expert == 8 {
                new = T::Q8_0;
            } else if ft == id::IQ3_XS {
                new = T::IQ3_XXS;
            } else if ft == id::IQ3_XXS {
                new = T::IQ2_S;
            }
        } else if cat == Category::AttentionQ {
            if ft == id::IQ3_XS {
                new = T::IQ3_XXS;
            } else if ft == id::IQ3_XXS {
                new = T::IQ2_S;
            }
        } else if cat == Category::FfnDown {
            let (i, n) = self.layer(self.i_ffn_down, name)?;
            let more = use_more_bits(i, n);
            if ft == id::Q2_K {
                new = T::Q3_K;
            } else if ft == id::Q2_K_S {
                if i < n / 8 {
                    new = T::Q4_K;
                }
            } else if ft == id::IQ3_XXS && !f.has_imatrix {
                new = if i < n / 8 { T::Q4_K } else { T::Q3_K };
            } else if ft == id::Q3_K_M {
                new = if i < n / 16 {
                    T::Q5_K
                } else if !f.is_falcon() || more {
                    T::Q4_K
                } else {
                    T::Q3_K
                };
            } else if ft == id::IQ3_M && (i < n / 8 || (f.n_expert == 8 && more)) {
                new = T::Q4_K;
            } else if ft == id::Q3_K_L {
                new = if f.is_falcon() { T::Q4_K } else { T::Q5_K };
            } else if ft == id::Q4_K_M {
                if f.is_falcon() {
                    new = if i < n / 16 {
                        T::Q6_K
                    } else if more {
                        T::Q5_K
                    } else {
                        T::Q4_K
                    };
                } else if more {
                    new = T::Q6_K;
                }
            } else if i < n / 8 && is(&[id::IQ4_NL, id::IQ4_XS]) && !f.has_imatrix {
                new = T::Q5_K;
            } else if ft == id::Q5_K_M && more {
                new = T::Q6_K;
            } else if ft == id::Q4_K_S && !f.is_falcon() && i < n / 8 {
                new = T::Q5_K;
            } else if is(&[id::Q4_0, id::Q5_0]) && f.has_imatrix && i < n / 8 {
                new = if ft == id::Q4_0 { T::Q4_1 } else { T::Q5_1 };
            }
            self.i_ffn_down += 1;
        } else if cat == Category::AttentionOutput {
            if !f.is_falcon() {
                if f.n_expert == 8 {
                    if is(&[
                        id::Q2_K,
                        id::IQ3_XS,
                        id::IQ3_XXS,
                        id::Q3_K_S,
                        id::Q3_K_M,
                        id::IQ4_NL,
                        id::Q4_K_S,
                        id::Q4_K_M,
                        id::IQ3_S,
                        id::IQ3_M,
                        id::IQ4_XS,
                    ]) {
                        new = T::Q5_K;
                    }
                } else if ft == id::Q2_K {
                    new = T::Q3_K;
                } else if ft == id::IQ3_XXS {
                    new = T::IQ3_S;
                } else if ft == id::Q3_K_M || ft == id::IQ3_M {
                    new = T::Q4_K;
                } else if ft == id::Q3_K_L {
                    new = T::Q5_K;
                }
            } else if ft == id::Q3_K_L {
                new = T::Q4_K;
            }
        } else if cat == Category::FfnGate || cat == Category::FfnUp {
            let counter = if cat == Category::FfnGate {
                self.i_ffn_gate
            } else {
                self.i_ffn_up
            };
            let (i, n) = self.layer(counter, name)?;
            if ft == id::IQ3_XS && i >= n / 8 && i < 7 * n / 8 {
                new = T::IQ3_XXS;
            }
            if cat == Category::FfnGate {
                self.i_ffn_gate += 1;
            } else {
                self.i_ffn_up += 1;
            }
        }
        Ok(new)
    }
}

fn fits(ty: GgmlType, ne0: u64) -> bool {
    ty.info()
        .is_some_and(|i| ne0.is_multiple_of(u64::from(i.block_size)))
}

/// `tensor_type_fallback`: `wanted` if its blocks fit a row of `ne0`, else
/// llama.cpp's replacement (F16 when even that does not fit).
pub fn fallback(name: &str, ne0: u64, wanted: GgmlType) -> Result<GgmlType, SelectError> {
    use GgmlType as T;
    if fits(wanted, ne0) {
        return Ok(wanted);
    }
    let next = match wanted {
        T::IQ1_S | T::IQ1_M | T::IQ2_XXS | T::IQ2_XS | T::IQ2_S | T::IQ3_XXS | T::IQ3_S | T::IQ4_XS => {
            T::IQ4_NL
        }
        T::Q2_0 | T::Q2_K | T::Q3_K | T::TQ1_0 | T::TQ2_0 => T::Q4_0,
        T::Q4_K => T::Q5_0,
        T::Q5_K => T::Q5_1,
        T::Q6_K => T::Q8_0,
        other if other.info().is_some_and(|i| i.block_size <= 32) => other,
        other => {
            return Err(SelectError::NoFallback {
                tensor: name.into(),
                ty: other,
                ne0,
            })
        }
    };
    Ok(if fits(next, ne0) { next } else { T::F16 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_bits_layers() {
        let pick = |n| (0..n).filter(|&i| use_more_bits(i, n)).collect::<Vec<_>>();
        assert_eq!(pick(8), [0, 3, 6, 7]);
        assert_eq!(
            pick(32),
            [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]
        );
        assert_eq!(pick(2), [1]);
    }

    #[test]
    fn categories_and_eligibility() {
        assert_eq!(Category::of("blk.3.ffn_down_exps.weight"), Category::FfnDown);
        assert_eq!(Category::of("blk.3.attn_qkv.weight"), Category::AttentionQkv);
        assert_eq!(Category::of("output.weight"), Category::Output);
        assert!(allows_quantization("blk.0.attn_q.weight", 2, false));
        assert!(!allows_quantization("blk.0.attn_norm.weight", 2, false));
        assert!(!allows_quantization("blk.0.attn_q.bias", 2, false));
        assert!(!allows_quantization("output_norm.weight", 1, false));
        assert!(!allows_quantization("output.weight", 2, true));
        assert!(!allows_quantization("blk.0.ffn_gate_inp.weight", 2, false));
        assert_eq!(layer_of("blk.12.attn_q.weight"), Some(12));
        assert_eq!(layer_of("output.weight"), None);
    }

    #[test]
    fn fallbacks() {
        let f = |ne0, t| fallback("x", ne0, t).unwrap();
        assert_eq!(f(640, GgmlType::Q4_K), GgmlType::Q5_0);
        assert_eq!(f(640, GgmlType::Q6_K), GgmlType::Q8_0);
        assert_eq!(f(640, GgmlType::Q2_K), GgmlType::Q4_0);
        assert_eq!(f(768, GgmlType::Q4_K), GgmlType::Q4_K);
        assert_eq!(f(40, GgmlType::Q4_K), GgmlType::F16);
        assert_eq!(f(40, GgmlType::Q8_0), GgmlType::F16);
        assert!(fallback("x", 64, GgmlType::Q1_0).is_err());
    }
}

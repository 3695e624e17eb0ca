//! What `gguf requant --dry-run` prints: the chosen type of every tensor and
//! the resulting sizes, or (with `--to all`) one line per target type so a
//! user sees at once which quantization fits their memory.

use crate::human::{bytes, thousands};
use crate::inspect::MemoryEstimate;
use gguf_quant::requant::{self, Options, Plan};
use serde::Serialize;
use std::fmt::Write as _;

/// One tensor of a dry run.
#[derive(Serialize)]
pub struct TensorRow {
    /// Output name.
    pub name: String,
    /// Input type.
    pub from: String,
    /// Output type.
    pub to: String,
    /// Dimensions, innermost first.
    pub shape: Vec<u64>,
    /// Input bytes.
    pub in_bytes: u64,
    /// Output bytes.
    pub out_bytes: u64,
    /// The type the rules wanted, when the row length forced another.
    pub fallback_from: Option<String>,
}

/// `--dry-run` for one target.
#[derive(Serialize)]
pub struct DryRun {
    /// The input path.
    pub input: String,
    /// Target name.
    pub target: String,
    /// Target ftype id.
    pub ftype: u32,
    /// Every tensor in output order.
    pub tensors: Vec<TensorRow>,
    /// Total elements.
    pub parameters: u64,
    /// Input tensor bytes.
    pub in_bytes: u64,
    /// Output tensor bytes.
    pub out_bytes: u64,
    /// Output file size (header and padding included).
    pub out_file_size: u64,
    /// Output bits per weight.
    pub bits_per_weight: f64,
    /// Warnings (fallbacks, imatrix).
    pub warnings: Vec<String>,
    /// Weights plus KV cache, with `--ctx`.
    pub memory: Option<MemoryEstimate>,
}

impl DryRun {
    /// From a plan.
    pub fn new(input: &str, plan: &Plan<'_>, memory: Option<MemoryEstimate>) -> DryRun {
        DryRun {
            input: input.to_string(),
            target: plan.target.name.to_string(),
            ftype: plan.target.id(),
            tensors: plan
                .tensors
                .iter()
                .map(|t| TensorRow {
                    name: t.name.clone(),
                    from: t.src.ggml_type.to_string(),
                    to: t.choice.ty.to_string(),
                    shape: t.src.dims().to_vec(),
                    in_bytes: t.in_bytes,
                    out_bytes: t.out_bytes,
                    fallback_from: t.choice.fallback.map(|f| f.wanted.to_string()),
                })
                .collect(),
            parameters: plan.n_params,
            in_bytes: plan.in_bytes,
            out_bytes: plan.out_bytes,
            out_file_size: plan.out_file_size,
            bits_per_weight: bpw(plan.out_bytes, plan.n_params),
            warnings: plan.warnings.clone(),
            memory,
        }
    }

    /// As text: a table of tensors and a summary.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let mut t = crate::render::table(&["tensor", "type", "", "new type", "shape", "size", "new size"]);
        for r in &self.tensors {
            let to = match &r.fallback_from {
                Some(w) => format!("{} (wanted {w})", r.to),
                None => r.to.clone(),
            };
            let arrow = if r.from == r.to { "=" } else { "→" };
            t.add_row(vec![
                r.name.clone(),
                r.from.clone(),
                arrow.to_string(),
                to,
                format!("{:?}", r.shape),
                bytes(r.in_bytes),
                bytes(r.out_bytes),
            ]);
        }
        crate::render::right_align(&mut t, &[5, 6]);
        let _ = writeln!(s, "{}", crate::render::trimmed(&t));
        let change = self.out_bytes as f64 / self.in_bytes.max(1) as f64 * 100.0;
        let _ = writeln!(
            s,
            "\n{} as {} (ftype {}): {} → {} of tensors ({change:.1}%), {:.2} bits per weight, file {} bytes",
            self.input,
            self.target,
            self.ftype,
            bytes(self.in_bytes),
            bytes(self.out_bytes),
            self.bits_per_weight,
            thousands(self.out_file_size)
        );
        if let Some(m) = &self.memory {
            let _ = writeln!(s, "{}", memory_line(m, self.out_bytes));
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }
}

fn bpw(out_bytes: u64, params: u64) -> f64 {
    if params == 0 {
        0.0
    } else {
        out_bytes as f64 * 8.0 / params as f64
    }
}

fn memory_line(m: &MemoryEstimate, weights: u64) -> String {
    match m.kv_cache_bytes {
        Some(kv) => format!(
            "at {} tokens of context: {} weights + {} f16 KV cache = {}",
            thousands(m.context),
            bytes(weights),
            bytes(kv),
            bytes(weights + kv)
        ),
        None if m.missing.is_empty() => "KV cache too large to count in 64 bits".to_string(),
        None => format!("KV cache size unknown: missing {}", m.missing.join(", ")),
    }
}

/// One line of `--dry-run --to all`.
#[derive(Serialize)]
pub struct TargetRow {
    /// Target name.
    pub target: String,
    /// ftype id.
    pub ftype: u32,
    /// Output tensor bytes (None when the plan failed).
    pub out_bytes: Option<u64>,
    /// Output file size.
    pub file_size: Option<u64>,
    /// Bits per weight.
    pub bits_per_weight: Option<f64>,
    /// Weights plus KV cache at `--ctx`.
    pub total_with_kv: Option<u64>,
    /// Why this target cannot be made as asked, if so.
    pub note: Option<String>,
}

/// `--dry-run --to all`.
#[derive(Serialize)]
pub struct AllTargets {
    /// The input path.
    pub input: String,
    /// Input tensor bytes.
    pub in_bytes: u64,
    /// Total elements.
    pub parameters: u64,
    /// KV cache at `--ctx`, if asked and known.
    pub memory: Option<MemoryEstimate>,
    /// One row per target, smallest first.
    pub targets: Vec<TargetRow>,
}

impl AllTargets {
    /// Plans every target (aliases skipped) for `g`.
    pub fn new(input: &str, g: &gguf_format::Model<'_>, base: &Options, ctx: Option<u64>) -> AllTargets {
        let memory = ctx.map(|c| crate::inspect::memory_estimate(g.first(), c, g.total_tensor_bytes()));
        let kv = memory.as_ref().and_then(|m| m.kv_cache_bytes);
        let mut targets = Vec::new();
        for t in requant::TARGETS
            .iter()
            .filter(|t| !t.description.starts_with("alias"))
        {
            let opts = base.with_target(t);
            let row = match requant::plan(g, &opts, true) {
                Ok(p) => TargetRow {
                    target: t.name.into(),
                    ftype: t.id(),
                    out_bytes: Some(p.out_bytes),
                    file_size: Some(p.out_file_size),
                    bits_per_weight: Some(bpw(p.out_bytes, p.n_params)),
                    total_with_kv: kv.map(|kv| kv + p.out_bytes),
                    note: needs(&p, base),
                },
                Err(e) => TargetRow {
                    target: t.name.into(),
                    ftype: t.id(),
                    out_bytes: None,
                    file_size: None,
                    bits_per_weight: None,
                    total_with_kv: None,
                    note: Some(e.to_string()),
                },
            };
            targets.push(row);
        }
        targets.sort_by_key(|r| r.out_bytes.unwrap_or(u64::MAX));
        AllTargets {
            input: input.to_string(),
            in_bytes: g.total_tensor_bytes(),
            parameters: g.tensors().iter().map(|t| t.n_elements()).sum(),
            memory,
            targets,
        }
    }

    /// As a text table.
    pub fn text(&self) -> String {
        let with_kv = self.memory.as_ref().and_then(|m| m.kv_cache_bytes).is_some();
        let mut header = vec!["target", "ftype", "size", "bits/weight"];
        if with_kv {
            header.push("with KV cache");
        }
        header.push("note");
        let mut t = crate::render::table(&header);
        for r in &self.targets {
            let mut row = vec![
                r.target.clone(),
                r.ftype.to_string(),
                r.out_bytes.map_or("-".into(), bytes),
                r.bits_per_weight.map_or("-".into(), |b| format!("{b:.2}")),
            ];
            if with_kv {
                row.push(r.total_with_kv.map_or("-".into(), bytes));
            }
            row.push(r.note.clone().unwrap_or_default());
            t.add_row(row);
        }
        let right: Vec<usize> = if with_kv { vec![1, 2, 3, 4] } else { vec![1, 2, 3] };
        crate::render::right_align(&mut t, &right);
        let mut s = format!(
            "{}: {} parameters, {} of tensors now\n",
            self.input,
            crate::human::count(self.parameters),
            bytes(self.in_bytes)
        );
        if let Some(m) = &self.memory {
            let _ = writeln!(s, "{}", memory_line(m, self.in_bytes));
        }
        let _ = writeln!(s, "{}", crate::render::trimmed(&t));
        s
    }
}

/// A note when a target needs what the user did not give.
fn needs(p: &Plan<'_>, base: &Options) -> Option<String> {
    let mut notes = Vec::new();
    if base.imatrix_in_use().is_none() && p.tensors.iter().any(|x| x.choice.requires_imatrix) {
        notes.push("needs --imatrix".to_string());
    }
    let missing: Vec<String> = p
        .tensors
        .iter()
        .map(|x| x.choice.ty)
        .filter(|ty| gguf_quant::codec(*ty).is_none_or(|c| !c.can_encode()))
        .map(|ty| ty.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        notes.push(format!(
            "{} cannot be encoded by this version (size only)",
            missing.join(", ")
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

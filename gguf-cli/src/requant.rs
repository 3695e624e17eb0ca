//! What `gguf requant --dry-run` prints: the chosen type of every tensor and
//! the resulting sizes, or (with `--to all`) one line per target type so a
//! user sees at once which quantization fits their memory.

use crate::human::{bytes, thousands};
use crate::inspect::MemoryEstimate;
use gguf_quant::requant::quality::PlanQuality;
use gguf_quant::requant::{Plan, Shortfall, TargetPlan};
use gguf_quant::score::{Headline, BROKEN_FROM, GOOD_BELOW, LOSSLESS_BELOW};
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
    /// The `general.file_type` written (for COPY, the input's).
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
    /// Warnings (fallbacks, imatrix), one per tensor.
    pub warnings: Vec<String>,
    /// The quantized input types this plan decodes and encodes again.
    pub requantizes: Vec<String>,
    /// Whether writing this plan needs `--allow-requantize` (not given, and
    /// `requantizes` is not empty): the figures are those it would give.
    pub needs_allow_requantize: bool,
    /// Weights plus KV cache, with `--ctx`.
    pub memory: Option<MemoryEstimate>,
    /// Predicted weight error, with `--quality` (`null` when the plan
    /// cannot be carried out, such as without a needed imatrix).
    #[serde(skip_serializing_if = "Quality::not_asked")]
    pub quality: Quality,
}

/// `--quality`: not asked, or the prediction (`None`: no figure, the plan
/// cannot be carried out as asked).
#[derive(Serialize, Default)]
#[serde(transparent)]
pub struct Quality(Option<Option<PlanQuality>>);

impl Quality {
    /// The prediction for a plan (`None`: the plan cannot be carried out).
    pub fn of(q: Option<PlanQuality>) -> Quality {
        Quality(Some(q))
    }

    fn not_asked(&self) -> bool {
        self.0.is_none()
    }
}

impl DryRun {
    /// From a plan (and its predicted quality, when asked).
    pub fn new(input: &str, plan: &Plan<'_>, memory: Option<MemoryEstimate>, quality: Quality) -> DryRun {
        DryRun {
            input: input.to_string(),
            target: plan.target.name.to_string(),
            ftype: plan.file_type,
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
            requantizes: plan.requantized_types().iter().map(ToString::to_string).collect(),
            needs_allow_requantize: false,
            memory,
            quality,
        }
    }

    /// Marks the plan as made without `--allow-requantize`: writing it
    /// needs that flag if it decodes and encodes quantized tensors again.
    pub fn without_allow_requantize(&mut self) {
        self.needs_allow_requantize = !self.requantizes.is_empty();
    }

    /// As text: a table of tensors and a summary; `verbose` adds the
    /// predicted error per tensor class.
    pub fn text(&self, verbose: bool) -> String {
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
        crate::render::wrap_only(&mut t, &[0, 3, 4]);
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
            crate::render::memory_block(&mut s, m);
        }
        match &self.quality.0 {
            Some(Some(q)) => {
                let (score, verdict) = headline(q.headline.as_ref());
                let _ = writeln!(
                    s,
                    "predicted quality: score {score} ({verdict}); relative RMSE {}, cosine {} over every weight \
                     ({} of the converted weights encoded; weight space, not perplexity)",
                    sci(q.overall.relative_rmse),
                    cos(q.overall.cosine),
                    share(q.overall.sampled_fraction)
                );
                if verbose {
                    let _ = write!(
                        s,
                        "{}",
                        classes_table(std::slice::from_ref(&(self.target.clone(), q)))
                    );
                }
            }
            Some(None) => {
                let _ = writeln!(
                    s,
                    "predicted weight error: none (the plan cannot be carried out as asked)"
                );
            }
            None => {}
        }
        if self.needs_allow_requantize {
            let _ = writeln!(s, "note: {}", requantize_note(&self.requantizes));
        }
        for w in grouped_warnings(&self.warnings, verbose) {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }
}

/// The one note of a dry run of a quantized model made without `--allow-requantize`.
fn requantize_note(types: &[String]) -> String {
    format!(
        "the figures are for decoding the {} tensors and encoding them again; writing that needs \
         --allow-requantize (it loses quality: quantize the F16/BF16/F32 model if you have it)",
        types.join(", ")
    )
}

/// Warnings for people: a message that several tensors share (`TENSOR:
/// MESSAGE`, as a plan words them) becomes one line, `N tensors: MESSAGE`,
/// with the tensors listed under it (indented) when `verbose`, else a hint
/// that `-v` lists them; other warnings stay as they are. In order of first
/// appearance.
pub fn grouped_warnings(warnings: &[String], verbose: bool) -> Vec<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut lone: Vec<(usize, &str)> = Vec::new();
    for w in warnings {
        match w.split_once(": ") {
            Some((tensor, message)) if !tensor.contains(' ') => {
                match groups.iter_mut().find(|(m, _)| *m == message) {
                    Some((_, tensors)) => tensors.push(tensor),
                    None => groups.push((message, vec![tensor])),
                }
            }
            _ => {
                lone.push((groups.len(), w));
            }
        }
    }
    let mut out = Vec::new();
    let mut lone = lone.into_iter().peekable();
    for (i, (message, tensors)) in groups.iter().enumerate() {
        while let Some((_, w)) = lone.next_if(|(at, _)| *at <= i) {
            out.push(w.to_string());
        }
        match tensors.as_slice() {
            [one] => out.push(format!("{one}: {message}")),
            many if verbose => {
                let mut line = format!("{} tensors: {message}:", many.len());
                for t in many {
                    let _ = write!(line, "\n  {t}");
                }
                out.push(line);
            }
            many => out.push(format!("{} tensors: {message} (-v lists them)", many.len())),
        }
    }
    out.extend(lone.map(|(_, w)| w.to_string()));
    out
}

/// A headline as text: the score in percent and the verdict.
pub fn headline(h: Option<&Headline>) -> (String, String) {
    match h {
        Some(h) => (format!("{:.2} %", h.score * 100.0), h.verdict.to_string()),
        None => ("-".into(), "-".into()),
    }
}

fn bpw(out_bytes: u64, params: u64) -> f64 {
    if params == 0 {
        0.0
    } else {
        out_bytes as f64 * 8.0 / params as f64
    }
}

/// Where llama.cpp would put the weights of `plan`'s output on the CPU
/// (mapped, or repacked: [`gguf_llama::memory::weights`]), each output
/// file's tensors laid out at its alignment.
pub fn plan_weights(arch: Option<&str>, plan: &Plan<'_>) -> gguf_llama::memory::Weights {
    let mut infos = Vec::with_capacity(plan.tensors.len());
    for (file, o) in plan.outputs.iter().enumerate() {
        let align = u64::from(o.builder.alignment().max(1));
        let mut offset = 0u64;
        for t in plan.tensors.get(o.tensors.clone()).unwrap_or_default() {
            infos.push(gguf_llama::memory::WeightInfo {
                name: &t.name,
                ty: t.choice.ty,
                dims: t.src.dims(),
                file,
                offset,
                bytes: t.out_bytes,
            });
            offset = offset.saturating_add(t.out_bytes).saturating_add(align - 1) / align * align;
        }
    }
    gguf_llama::memory::weights(arch, infos)
}

/// What a context costs on top of the weights: KV caches, compute and
/// output buffers, when all are known.
fn beyond_weights(m: &MemoryEstimate) -> Option<u64> {
    m.kv_cache_bytes?
        .checked_add(m.compute_bytes?)?
        .checked_add(m.output_bytes?)
}

/// A plan's shortfalls as a note of `--to all` (`needs --imatrix`).
fn shortfall_note(shortfalls: &[Shortfall]) -> Option<String> {
    let notes: Vec<String> = shortfalls
        .iter()
        .map(|s| match s {
            Shortfall::Imatrix => "needs --imatrix".to_string(),
            other => other.to_string(),
        })
        .collect();
    (!notes.is_empty()).then(|| notes.join("; "))
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
    /// Weights plus KV caches at `--ctx`.
    pub total_with_kv: Option<u64>,
    /// Weights plus KV caches, compute and output buffers at `--ctx`: what
    /// llama.cpp allocates.
    pub total_bytes: Option<u64>,
    /// Why this target cannot be made as asked, if so.
    pub note: Option<String>,
    /// The quantized input types this target decodes and encodes again.
    pub requantizes: Vec<String>,
    /// Whether writing this target needs `--allow-requantize`.
    pub needs_allow_requantize: bool,
    /// Predicted weight error, with `--quality` (`null` for a target that
    /// cannot be made as asked, such as one needing an imatrix).
    #[serde(skip_serializing_if = "Quality::not_asked")]
    pub quality: Quality,
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
    /// Memory at `--ctx` for the input's weights, if asked.
    pub memory: Option<MemoryEstimate>,
    /// One row per target, smallest first.
    pub targets: Vec<TargetRow>,
    /// With `--quality`: the share of each tensor's rows encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_sample: Option<f64>,
}

impl AllTargets {
    /// The rows of every target planned for `g`
    /// ([`gguf_quant::requant::plan_all`]), smallest first; `memory` is the estimate
    /// for the input's weights at `--ctx`, if asked, and `quality_sample`
    /// the share of rows encoded for the predictions, with `--quality`.
    pub fn new(
        input: &str,
        g: &gguf_format::Model<'_>,
        plans: Vec<TargetPlan<'_>>,
        memory: Option<MemoryEstimate>,
        quality_sample: Option<f64>,
    ) -> AllTargets {
        let kv = memory.as_ref().and_then(|m| m.kv_cache_bytes);
        let beyond = memory.as_ref().and_then(beyond_weights);
        let mut targets = Vec::new();
        for TargetPlan {
            target: t,
            plan,
            quality,
        } in plans
        {
            let quality = Quality(quality);
            let row = match plan {
                Ok(p) => TargetRow {
                    target: t.name.into(),
                    ftype: t.id(),
                    out_bytes: Some(p.out_bytes),
                    file_size: Some(p.out_file_size),
                    bits_per_weight: Some(bpw(p.out_bytes, p.n_params)),
                    total_with_kv: kv.map(|kv| kv.saturating_add(plan_weights(g.architecture(), &p).bytes())),
                    total_bytes: beyond.map(|b| b.saturating_add(plan_weights(g.architecture(), &p).bytes())),
                    note: shortfall_note(&p.shortfalls()),
                    requantizes: p.requantized_types().iter().map(ToString::to_string).collect(),
                    needs_allow_requantize: false,
                    quality,
                },
                Err(e) => TargetRow {
                    target: t.name.into(),
                    ftype: t.id(),
                    out_bytes: None,
                    file_size: None,
                    bits_per_weight: None,
                    total_with_kv: None,
                    total_bytes: None,
                    note: Some(e.to_string()),
                    requantizes: Vec::new(),
                    needs_allow_requantize: false,
                    quality,
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
            quality_sample,
        }
    }

    /// Marks the plans as made without `--allow-requantize`: writing a
    /// target that decodes and encodes quantized tensors again needs it.
    pub fn without_allow_requantize(&mut self) {
        for r in &mut self.targets {
            r.needs_allow_requantize = !r.requantizes.is_empty();
        }
    }

    /// As a text table; `verbose` adds the predicted error per tensor class.
    pub fn text(&self, verbose: bool) -> String {
        let with_memory = self.memory.as_ref().and_then(beyond_weights).is_some();
        let with_quality = self.quality_sample.is_some();
        let mut header = vec!["target", "ftype", "size", "bits/weight"];
        if with_memory {
            header.push("memory at ctx");
        }
        if with_quality {
            header.extend(["score", "verdict", "rel. RMSE", "cosine"]);
        }
        header.push("note");
        let mut rows = Vec::new();
        for r in &self.targets {
            let mut row = vec![
                r.target.clone(),
                r.ftype.to_string(),
                r.out_bytes.map_or("-".into(), bytes),
                r.bits_per_weight.map_or("-".into(), |b| format!("{b:.2}")),
            ];
            if with_memory {
                row.push(r.total_bytes.map_or("-".into(), bytes));
            }
            if with_quality {
                match &r.quality.0 {
                    Some(Some(q)) => {
                        let (score, verdict) = headline(q.headline.as_ref());
                        row.extend([
                            score,
                            verdict,
                            sci(q.overall.relative_rmse),
                            cos(q.overall.cosine),
                        ])
                    }
                    _ => row.extend(["-", "-", "-", "-"].map(String::from)),
                }
            }
            row.push(r.note.clone().unwrap_or_default());
            rows.push(row);
        }
        let right: Vec<usize> = (1..header.len() - 1)
            .filter(|&i| header[i] != "verdict")
            .collect();
        let make = |with_note: bool| {
            let n = header.len() - usize::from(!with_note);
            let mut t = crate::render::table(&header[..n]);
            for row in &rows {
                t.add_row(row[..n].to_vec());
            }
            crate::render::right_align(&mut t, &right);
            // Only the notes wrap; without them, only the headers.
            let wrapping = if with_note {
                vec![header.len() - 1]
            } else {
                Vec::new()
            };
            crate::render::wrap_only(&mut t, &wrapping);
            t
        };
        let mut t = make(true);
        // On a narrow terminal the notes go under the table when the note
        // column would be too narrow to read.
        let mut notes_below = false;
        if let Some(w) = crate::render::width() {
            let bare = make(false);
            if crate::render::natural_width(&t) > w && crate::render::natural_width(&bare) + 18 > w {
                t = bare;
                notes_below = true;
            }
        }
        let mut s = format!(
            "{}: {} parameters, {} of tensors now\n",
            self.input,
            crate::human::count(self.parameters),
            bytes(self.in_bytes)
        );
        if let Some(m) = &self.memory {
            crate::render::memory_block(&mut s, m);
            if let Some(b) = beyond_weights(m) {
                let _ = writeln!(
                    s,
                    "memory at ctx: each target's weights + {} for the context (KV caches, compute, output)\n",
                    bytes(b)
                );
            }
        }
        if let Some(sample) = self.quality_sample {
            let _ = writeln!(
                s,
                "Predicted weight error against this file (relative RMSE √(Σ(w−ŵ)²/Σw²) and cosine, as gguf diff \
                 would report them), from {} of each tensor's rows (at least 32 rows of a tensor and 512 Ki weights of a type; \
                 the slow i-quant searches fewer): a guide to compare file types, not perplexity.",
                share(sample)
            );
            let _ = writeln!(
                s,
                "score: the RMS over the weight matrices of each one's relative RMSE, every matrix counting once (lower is better); verdict: lossless < {:.2} % ≤ good < {:.0} % ≤ degraded < {:.0} % ≤ broken, calibrated on llama-perplexity. rel. RMSE and cosine weigh every weight alike, so a large tensor kept as it is can hide destroyed blocks.",
                LOSSLESS_BELOW * 100.0,
                GOOD_BELOW * 100.0,
                BROKEN_FROM * 100.0
            );
        }
        let mut requantized: Vec<&str> = Vec::new();
        for r in self.targets.iter().filter(|r| r.needs_allow_requantize) {
            for ty in &r.requantizes {
                if !requantized.contains(&ty.as_str()) {
                    requantized.push(ty);
                }
            }
        }
        if !requantized.is_empty() {
            requantized.sort_unstable();
            let types: Vec<String> = requantized.iter().map(|t| t.to_string()).collect();
            let _ = writeln!(s, "note: {}", requantize_note(&types));
        }
        let _ = writeln!(s, "{}", crate::render::trimmed(&t));
        if notes_below {
            let mut notes: Vec<(&str, Vec<&str>)> = Vec::new();
            for r in &self.targets {
                if let Some(n) = r.note.as_deref() {
                    match notes.iter_mut().find(|(m, _)| *m == n) {
                        Some((_, targets)) => targets.push(&r.target),
                        None => notes.push((n, vec![&r.target])),
                    }
                }
            }
            for (note, targets) in notes {
                let _ = writeln!(s, "note: {}: {note}", targets.join(", "));
            }
        }
        if verbose && with_quality {
            let figures: Vec<(String, &PlanQuality)> = self
                .targets
                .iter()
                .filter_map(|r| Some((r.target.clone(), r.quality.0.as_ref()?.as_ref()?)))
                .collect();
            let _ = write!(s, "\n{}", classes_table(&figures));
        }
        s
    }
}

/// A small number in scientific notation (`1.234e-2`).
fn sci(x: f64) -> String {
    format!("{x:.3e}")
}

/// A cosine close to 1, with enough digits to tell file types apart.
fn cos(x: f64) -> String {
    format!("{x:.6}")
}

/// A share: `all`, `1/32` when it is one over a whole number, else a
/// percentage (`6.3 %`).
fn share(x: f64) -> String {
    let inv = 1.0 / x;
    if x >= 1.0 {
        "all".to_string()
    } else if (inv - inv.round()).abs() < 1e-9 {
        format!("1/{}", inv.round())
    } else {
        format!("{:.1} %", x * 100.0)
    }
}

/// Relative RMSE per tensor class: one row per target, one column per class.
fn classes_table(figures: &[(String, &PlanQuality)]) -> String {
    let mut classes: Vec<&str> = Vec::new();
    for (_, q) in figures {
        for c in &q.classes {
            if !classes.contains(&c.class) {
                classes.push(c.class);
            }
        }
    }
    let make = |first: &str, classes: &[&str]| {
        let mut header = vec![first];
        header.extend(classes.iter().copied());
        let mut t = crate::render::table(&header);
        for (target, q) in figures {
            let mut row = vec![target.clone()];
            for c in classes {
                row.push(
                    q.classes
                        .iter()
                        .find(|x| x.class == *c)
                        .map_or("-".into(), |x| sci(x.quality.relative_rmse)),
                );
            }
            t.add_row(row);
        }
        let right: Vec<usize> = (1..header.len()).collect();
        crate::render::right_align(&mut t, &right);
        t
    };
    let full = make("relative RMSE by tensor class", &classes);
    let Some(w) = crate::render::width().filter(|&w| crate::render::natural_width(&full) > w) else {
        return format!("{}\n", crate::render::trimmed(&full));
    };
    // Too wide for the terminal: as many tables as it takes, each with the
    // classes that fit beside the target names.
    let mut parts = Vec::new();
    let mut start = 0;
    while start < classes.len() {
        let mut end = start + 1;
        while end < classes.len()
            && crate::render::natural_width(&make("rel. RMSE", &classes[start..=end])) <= w
        {
            end += 1;
        }
        parts.push(crate::render::trimmed(&make("rel. RMSE", &classes[start..end])));
        start = end;
    }
    format!("{}\n", parts.join("\n\n"))
}

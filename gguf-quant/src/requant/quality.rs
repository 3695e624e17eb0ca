//! How much a requantization would cost in weight error, without writing
//! it: for each planned model, the figures `gguf diff SOURCE QUANTIZED`
//! prints in its summary (relative RMSE √(Σ(w−ŵ)²/Σw²) and cosine, over
//! every weight of the file), predicted from a sample.
//!
//! Every tensor is read row by row: each row's energy Σw² is summed exactly
//! (and NaN or infinities are refused, naming the tensor and row, as
//! requantization refuses them). Then a deterministic sample of its rows —
//! whole rows, so whole blocks — is encoded with the real codec into every
//! type some plan gives the tensor (with the row's importance weights where
//! the plan has them), decoded and compared with the source; rows shared by
//! plans that give a tensor the same type are encoded once. Rows are drawn
//! with probability proportional to their energy (systematic sampling along
//! the running sum of row energies): quantization error scales with the
//! weights it rounds, so this is the draw whose estimate varies least, and
//! outlier rows — which carry much of a real model's error — are always
//! drawn. Each drawn row stands for the energy it was drawn for
//! (Hansen–Hurwitz), so a sample of every row gives exactly the written
//! file's figures.
//!
//! This is error in weight space, not perplexity: a guide to compare the
//! file types of one model with each other, not a promise about the
//! quality of the model's output.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use gguf_quant::requant::{self, parse_target, quality, Options};
//! let files = gguf_format::ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let model = files.parse()?;
//! let (q8, q4) = (Options::new(parse_target("Q8_0").unwrap()), Options::new(parse_target("Q4_0").unwrap()));
//! let plans = [requant::plan(&model, &q8, true)?, requant::plan(&model, &q4, true)?];
//! let every_row = quality::QualityOptions { sample: 1.0, ..Default::default() };
//! let q = quality::estimate(&model, &plans.iter().collect::<Vec<_>>(), &every_row, &mut |_| {})?;
//! let (q8, q4) = (q[0].as_ref().unwrap(), q[1].as_ref().unwrap());
//! assert!(q8.overall.relative_rmse < q4.overall.relative_rmse);
//! assert!(q4.overall.cosine > 0.99);
//! assert_eq!(q4.overall.sampled_fraction, 1.0);
//! # Ok(()) }
//! ```

use super::{Plan, RequantError};
use crate::compare::{ratio, Sums};
use crate::rows::RowConverter;
use crate::rows::{RowsError, Scratch, TensorRows, CHUNK_ELEMENTS};
use crate::score::{Headline, Scorer};
use crate::{codec, decode_row, find_non_finite, GgmlType};
use gguf_format::{TensorInfo, TensorSource};
use gguf_llama::tensor::Category;
use rayon::prelude::*;
use std::collections::HashMap;

/// The default share of each tensor's rows that is encoded: measured to
/// keep the predicted relative RMSE within 0.5 % of the written file's on
/// real weights, every file type (`scripts/quality-accuracy.sh`; README:
/// "Picking a quant").
pub const DEFAULT_SAMPLE: f64 = 1.0 / 32.0;

/// How much of each tensor to encode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityOptions {
    /// Share of each tensor's rows encoded, in (0, 1]; 1 encodes every row
    /// and gives the written file's figures exactly. The slow i-quant
    /// searches get a quarter or a sixteenth of it.
    pub sample: f64,
    /// At least this many rows of each tensor (all of them when it has
    /// fewer; a quarter or a sixteenth of it for the slow i-quants), and
    /// never fewer than 8, so small tensors are not judged by one row.
    pub min_rows: u64,
    /// At least this many weights of the model encoded into each type (all
    /// of them when fewer are converted to it), so a type that few or small
    /// tensors get is judged on enough of them.
    pub min_weights: u64,
}

impl Default for QualityOptions {
    fn default() -> Self {
        QualityOptions {
            sample: DEFAULT_SAMPLE,
            min_rows: 32,
            min_weights: 1 << 19,
        }
    }
}

/// Predicted error of a planned model, or of one class of its tensors,
/// against the source (the reference).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Quality {
    /// `sqrt(Σ(w − ŵ)² / Σw²)` over every weight.
    pub relative_rmse: f64,
    /// `Σwŵ / sqrt(Σw² Σŵ²)` over every weight.
    pub cosine: f64,
    /// Share of the weights whose type changes that were encoded (1: all
    /// of them, the figures are exact).
    pub sampled_fraction: f64,
}

/// The predicted error of the tensors of one class (`attn_v`, `ffn_down`,
/// …): where a file type's error goes.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ClassQuality {
    /// The class, as llama.cpp's type rules name tensors (`attn_q`,
    /// `ffn_down`, `token_embd`, `output`, `other`, …).
    pub class: &'static str,
    /// Tensors of this class.
    pub tensors: usize,
    /// Their weights.
    pub parameters: u64,
    /// Their error.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub quality: Quality,
    /// Their share of the model's error energy Σ(w − ŵ)².
    pub error_share: f64,
}

/// The predicted error of one planned model.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PlanQuality {
    /// The headline: how much a typical weight matrix is hurt, and what
    /// that says ([`crate::score`]); `None` for a model without matrices.
    pub headline: Option<Headline>,
    /// Over the whole model, energy-weighted: dominated by the largest
    /// tensors (see [`crate::score`] for why that is not the headline).
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub overall: Quality,
    /// Per class of tensors, in a fixed order (those the model has).
    pub classes: Vec<ClassQuality>,
}

/// Progress of [`estimate`]: tensors read so far, of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QualityProgress {
    /// Tensors done.
    pub tensors_done: usize,
    /// Tensors in all.
    pub tensors: usize,
}

/// How much slower than the common codecs a type encodes, roughly: the
/// lattice searches of the i-quants. A share of rows is divided by it (with
/// a floor of its own), so that every type of the table costs about the
/// same time; `sampled_fraction` says what was drawn.
fn encode_cost(ty: GgmlType) -> u64 {
    match ty {
        GgmlType::IQ1_S
        | GgmlType::IQ1_M
        | GgmlType::IQ2_XXS
        | GgmlType::IQ2_XS
        | GgmlType::IQ2_S
        | GgmlType::IQ3_XXS => 16,
        GgmlType::IQ3_S => 4,
        _ => 1,
    }
}

/// The share of rows drawn for type `ty`, to which `weights` weights of
/// the model are converted: `sample / cost`, raised so that at least
/// `min_weights` are encoded; 1 (every row) with a sample of 1.
fn type_share(ty: GgmlType, weights: u64, opts: &QualityOptions) -> f64 {
    let share = opts.sample.clamp(0.0, 1.0);
    if share >= 1.0 {
        return 1.0;
    }
    let by_cost = share / encode_cost(ty) as f64;
    let by_budget = opts.min_weights as f64 / weights.max(1) as f64;
    by_cost.max(by_budget).min(1.0)
}

/// How many of `rows` rows are drawn at `share`: at least `floor` (and 8),
/// all of them when there are fewer.
fn sample_size(rows: u64, share: f64, floor: u64) -> u64 {
    if share >= 1.0 {
        return rows;
    }
    let want = (rows as f64 * share).ceil() as u64;
    want.max(floor.max(8).min(rows)).min(rows)
}

/// `n` draws from rows with energies `energy`, with probability
/// proportional to energy: points spaced `step = Σenergy / n` apart, the
/// first at `step / 2`, along the running sum of the energies; a row is
/// drawn as many times as points fall in its stretch (a row of more energy
/// than `step` at least once). Returns each drawn row with the weight that
/// scales its error to the tensor's: `hits × step / energy`. Every row
/// (weight 1) when `n` covers them all; evenly spaced rows when all are
/// zero.
fn draw(energy: &[f64], n: u64) -> Vec<(u64, f64)> {
    let rows = energy.len() as u64;
    if n >= rows {
        return (0..rows).map(|r| (r, 1.0)).collect();
    }
    if n == 0 {
        return Vec::new();
    }
    let total: f64 = energy.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        // All zeros: their error is zero whatever is drawn.
        return (0..n)
            .map(|i| (((2 * i + 1) as u128 * rows as u128 / (2 * n) as u128) as u64, 0.0))
            .collect();
    }
    let step = total / n as f64;
    let mut out = Vec::with_capacity(n as usize);
    let (mut start, mut next) = (0f64, step / 2.0);
    for (r, &e) in energy.iter().enumerate() {
        let end = start + e;
        let mut hits = 0u64;
        while next < end && (out.len() as u64) + hits < n {
            hits += 1;
            next += step;
        }
        if hits > 0 {
            out.push((r as u64, hits as f64 * step / e));
        }
        start = end;
    }
    out
}

/// One type a tensor is converted to by some plan.
struct Conversion<'a> {
    conv: RowConverter<'a>,
    to: GgmlType,
}

/// What was measured of one source tensor.
#[derive(Default)]
struct Measured {
    /// Σw² over every row (exact).
    energy: f64,
    /// Rows in all.
    rows: u64,
    /// Per type converted to: the error estimated for the whole tensor, and
    /// the rows drawn for it (each once).
    by_type: HashMap<GgmlType, (Estimate, u64)>,
    /// The tensor could not be decoded: left out, as `gguf diff` leaves it out.
    undecodable: bool,
}

/// Error of a tensor's conversion, scaled to the whole tensor.
#[derive(Default, Clone, Copy)]
struct Estimate {
    /// Σ(ŵ − w)².
    error: f64,
    /// Σw(ŵ − w).
    cross: f64,
}

impl Estimate {
    fn add(self, o: Estimate) -> Estimate {
        Estimate {
            error: self.error + o.error,
            cross: self.cross + o.cross,
        }
    }
}

/// Sums of squares in f64, eight lanes combined in a fixed order.
fn energy(v: &[f32]) -> f64 {
    let mut lanes = [0f64; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l += f64::from(x) * f64::from(x);
        }
    }
    for (l, &x) in lanes.iter_mut().zip(rest) {
        *l += f64::from(x) * f64::from(x);
    }
    lanes.iter().sum()
}

/// Reads tensor `t`: the energy of every row (exactly), then, on rows
/// drawn by energy, the error of every conversion.
fn measure<'a, S: TensorSource<'a> + ?Sized>(
    m: &S,
    t: &TensorInfo<'a>,
    conversions: &[Conversion<'_>],
    shares: &HashMap<GgmlType, f64>,
    opts: &QualityOptions,
) -> Result<Measured, RequantError> {
    let undecodable = || Measured {
        undecodable: true,
        ..Measured::default()
    };
    if t.type_info().is_none() {
        return Ok(undecodable());
    }
    if codec(t.ggml_type).is_none_or(|c| !c.can_decode()) {
        return Ok(undecodable());
    }
    let ne0 = t.row_len();
    let rows = t.n_rows();
    let Ok(ne0) = usize::try_from(ne0) else {
        return Ok(undecodable());
    };
    let walker = TensorRows::new(m, *t, CHUNK_ELEMENTS)?;
    let name = t.name;
    let read_error = |row: u64| {
        move |e| match e {
            RowsError::Source(e) => RequantError::from(e),
            RowsError::Codec(source) => RequantError::Codec {
                tensor: name.to_string(),
                row,
                source,
            },
        }
    };

    // Pass 1: every row's energy, in parallel chunks, combined in order.
    let chunks: Vec<_> = walker.chunks().iter().collect();
    let parts: Vec<Result<Vec<f64>, RequantError>> = chunks
        .par_iter()
        .map_init(
            || (Vec::<f32>::new(), Scratch::default()),
            |(a, scratch), r| {
                let r0 = r.start;
                walker.decode(r.clone(), a, scratch).map_err(read_error(r0))?;
                if let Some(i) = find_non_finite(a) {
                    return Err(RequantError::NonFinite {
                        tensor: name.to_string(),
                        row: r0 + (i / ne0) as u64,
                        col: i % ne0,
                        value: a[i],
                    });
                }
                Ok(a.chunks_exact(ne0.max(1)).map(energy).collect())
            },
        )
        .collect();
    let mut row_energy = Vec::with_capacity(rows as usize);
    for p in parts {
        row_energy.extend(p?);
    }
    let mut out = Measured {
        energy: row_energy.iter().sum(),
        rows,
        ..Measured::default()
    };

    // Pass 2: the drawn rows, through every conversion; conversions drawn
    // alike share their draw.
    let sized: Vec<(u64, &Conversion<'_>)> = conversions
        .iter()
        .map(|c| {
            let share = shares.get(&c.to).copied().unwrap_or(1.0);
            (sample_size(rows, share, opts.min_rows / encode_cost(c.to)), c)
        })
        .collect();
    let mut sizes: Vec<u64> = sized.iter().map(|&(n, _)| n).collect();
    sizes.sort_unstable();
    sizes.dedup();
    for n in sizes {
        let group: Vec<&Conversion<'_>> = sized.iter().filter(|&&(m, _)| m == n).map(|&(_, c)| c).collect();
        let drawn = draw(&row_energy, n);
        let per_draw = (CHUNK_ELEMENTS / ne0.max(1) as u64).max(1) as usize;
        let parts: Vec<Result<Vec<Estimate>, RequantError>> = drawn
            .par_chunks(per_draw)
            .map_init(
                || {
                    (
                        Vec::<f32>::new(),
                        Vec::<f32>::new(),
                        Vec::<u8>::new(),
                        Scratch::default(),
                    )
                },
                |(a, b, q, scratch), rows| {
                    let mut est = vec![Estimate::default(); group.len()];
                    b.resize(ne0, 0.0);
                    for &(row, weight) in rows {
                        walker.decode(row..row + 1, a, scratch).map_err(read_error(row))?;
                        for (e, cv) in est.iter_mut().zip(&group) {
                            q.resize(codec(cv.to).and_then(|c| c.row_size(ne0)).unwrap_or(0), 0);
                            cv.conv
                                .encode(a, row, q)
                                .map_err(|e| RequantError::from_row(name, row, e))?;
                            decode_row(cv.to, q, b).map_err(|e| read_error(row)(RowsError::Codec(e)))?;
                            let s = Sums::of(a, b);
                            *e = e.add(Estimate {
                                error: weight * s.error_energy(),
                                cross: weight * (s.dot() - s.reference_energy()),
                            });
                        }
                    }
                    Ok(est)
                },
            )
            .collect();
        let mut by_type = vec![Estimate::default(); group.len()];
        for p in parts {
            for (t, e) in by_type.iter_mut().zip(p?) {
                *t = t.add(e);
            }
        }
        for (cv, e) in group.iter().zip(by_type) {
            out.by_type.insert(cv.to, (e, drawn.len() as u64));
        }
    }
    walker.release_all();
    Ok(out)
}

/// Error totals, scaled to whole tensors.
#[derive(Default, Clone, Copy)]
struct Totals {
    /// Σw².
    energy: f64,
    /// Σ(ŵ − w)².
    error: f64,
    /// Σw(ŵ − w).
    cross: f64,
    /// Elements converted, and of those sampled.
    converted: f64,
    sampled: f64,
}

impl Totals {
    fn quality(&self) -> Quality {
        let compared = self.energy + 2.0 * self.cross + self.error;
        Quality {
            relative_rmse: ratio(self.error, self.energy).sqrt(),
            cosine: (self.energy + self.cross) / (self.energy * compared).sqrt(),
            sampled_fraction: if self.converted == 0.0 {
                1.0
            } else {
                self.sampled / self.converted
            },
        }
    }

    fn add(&mut self, o: &Totals) {
        self.energy += o.energy;
        self.error += o.error;
        self.cross += o.cross;
        self.converted += o.converted;
        self.sampled += o.sampled;
    }
}

/// The classes of the per-class breakdown, in the order they are shown.
const CLASSES: [Category; 12] = [
    Category::TokenEmbd,
    Category::AttentionQ,
    Category::AttentionK,
    Category::AttentionV,
    Category::AttentionQkv,
    Category::AttentionKvB,
    Category::AttentionOutput,
    Category::FfnGate,
    Category::FfnUp,
    Category::FfnDown,
    Category::Output,
    Category::Other,
];

/// Whether a plan can be carried out as planned ([`Plan::shortfall`] is
/// `None`) and its source tensors can be decoded.
pub fn is_feasible(plan: &Plan<'_>) -> bool {
    plan.shortfall().is_none()
        && plan
            .tensors
            .iter()
            .all(|t| t.choice.ty == t.src.ggml_type || codec(t.src.ggml_type).is_some_and(|c| c.can_decode()))
}

/// The predicted error of each of `plans` (all of model `m`, as
/// [`super::plan`] made them, dry runs included): `None` for a plan that
/// cannot be carried out as planned ([`is_feasible`]), such as one that
/// needs an importance matrix none was given for. Every tensor of the model
/// is read once whatever the number of plans; `progress` hears after each.
///
/// # Errors
/// A NaN or infinity in the model ([`RequantError::NonFinite`], naming the
/// tensor, row and column), a tensor that cannot be read, or a row a codec
/// refuses.
pub fn estimate<'a, S: TensorSource<'a> + ?Sized>(
    m: &S,
    plans: &[&Plan<'_>],
    opts: &QualityOptions,
    progress: &mut dyn FnMut(QualityProgress),
) -> Result<Vec<Option<PlanQuality>>, RequantError> {
    if !(opts.sample > 0.0 && opts.sample <= 1.0) {
        return Err(super::OptionError::QualitySample { sample: opts.sample }.into());
    }
    let feasible: Vec<bool> = plans.iter().map(|p| is_feasible(p)).collect();
    // Every type each source tensor is converted to by some feasible plan,
    // with that plan's importance weights for it.
    let mut wanted: HashMap<&str, Vec<Conversion<'_>>> = HashMap::new();
    for (p, _) in plans.iter().zip(&feasible).filter(|(_, ok)| **ok) {
        for t in &p.tensors {
            if t.choice.ty == t.src.ggml_type {
                continue;
            }
            let list = wanted.entry(t.src.name).or_default();
            if list.iter().any(|c| c.to == t.choice.ty) {
                continue;
            }
            let conv =
                RowConverter::new(t.src.ggml_type, t.choice.ty, t.src.ne(), t.imatrix).map_err(|e| {
                    RequantError::Codec {
                        tensor: t.src.name.to_string(),
                        row: 0,
                        source: e,
                    }
                })?;
            list.push(Conversion {
                conv,
                to: t.choice.ty,
            });
        }
    }
    // Each type's share of rows, from the weights converted to it.
    let mut weights: HashMap<GgmlType, u64> = HashMap::new();
    for t in m.tensors() {
        for c in wanted.get(t.name).map_or(&[][..], Vec::as_slice) {
            *weights.entry(c.to).or_default() += t.n_elements();
        }
    }
    let shares: HashMap<GgmlType, f64> = weights
        .iter()
        .map(|(&ty, &w)| (ty, type_share(ty, w, opts)))
        .collect();
    let n = m.tensors().len();
    let mut measured: HashMap<&str, Measured> = HashMap::with_capacity(n);
    for (i, t) in m.tensors().iter().enumerate() {
        let conversions = wanted.get(t.name).map_or(&[][..], Vec::as_slice);
        measured.insert(t.name, measure(m, t, conversions, &shares, opts)?);
        progress(QualityProgress {
            tensors_done: i + 1,
            tensors: n,
        });
    }
    Ok(plans
        .iter()
        .zip(&feasible)
        .map(|(p, &ok)| ok.then(|| summarize(p, &measured)))
        .collect())
}

/// A plan's figures from what was measured.
fn summarize(p: &Plan<'_>, measured: &HashMap<&str, Measured>) -> PlanQuality {
    let mut classes: Vec<(Totals, usize, u64)> = vec![(Totals::default(), 0, 0); CLASSES.len()];
    let mut all = Totals::default();
    let mut scorer = Scorer::default();
    for t in &p.tensors {
        let Some(mz) = measured.get(t.src.name).filter(|m| !m.undecodable) else {
            continue;
        };
        let mut tt = Totals {
            energy: mz.energy,
            ..Totals::default()
        };
        if t.choice.ty != t.src.ggml_type {
            let (e, drawn) = mz.by_type.get(&t.choice.ty).copied().unwrap_or_default();
            tt.error = e.error;
            tt.cross = e.cross;
            let per_row = t.src.row_len() as f64;
            tt.converted = mz.rows as f64 * per_row;
            tt.sampled = drawn as f64 * per_row;
        }
        all.add(&tt);
        scorer.add(t.src.dims().len(), tt.quality().relative_rmse);
        let k = CLASSES
            .iter()
            .position(|&c| c == Category::of(&t.name))
            .unwrap_or(CLASSES.len() - 1);
        classes[k].0.add(&tt);
        classes[k].1 += 1;
        classes[k].2 += t.src.n_elements();
    }
    PlanQuality {
        headline: scorer.headline(),
        overall: all.quality(),
        classes: CLASSES
            .iter()
            .zip(classes)
            .filter(|(_, (_, n, _))| *n > 0)
            .map(|(c, (tot, n, params))| ClassQuality {
                class: c.name(),
                tensors: n,
                parameters: params,
                quality: tot.quality(),
                error_share: if all.error > 0.0 {
                    tot.error / all.error
                } else {
                    0.0
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_sizes_are_bounded() {
        assert_eq!(sample_size(10, 1.0, 32), 10);
        assert_eq!(sample_size(16, 0.25, 0), 8, "at least 8 rows");
        assert_eq!(sample_size(64, 0.25, 0), 16);
        assert_eq!(sample_size(5, 0.01, 32), 5, "all rows of a small tensor");
        assert_eq!(sample_size(1000, 0.01, 32), 32);
        assert_eq!(sample_size(1 << 20, 1.0 / 16.0, 32), 1 << 16);
        assert_eq!(sample_size(0, 0.5, 32), 0);
    }

    #[test]
    fn shares_follow_cost_and_budget() {
        let o = QualityOptions {
            sample: 1.0 / 32.0,
            min_rows: 32,
            min_weights: 1 << 20,
        };
        let big = 1 << 32;
        assert_eq!(type_share(GgmlType::Q4_K, big, &o), 1.0 / 32.0);
        assert_eq!(type_share(GgmlType::IQ3_S, big, &o), 1.0 / 128.0);
        assert_eq!(type_share(GgmlType::IQ2_XXS, big, &o), 1.0 / 512.0);
        // Few weights of a type: enough of them, up to all.
        assert_eq!(type_share(GgmlType::IQ2_XXS, 1 << 24, &o), 1.0 / 16.0);
        assert_eq!(type_share(GgmlType::Q4_K, 1 << 19, &o), 1.0);
        let exact = QualityOptions { sample: 1.0, ..o };
        assert_eq!(type_share(GgmlType::IQ2_XXS, big, &exact), 1.0);
    }

    #[test]
    fn draws_are_proportional_to_energy_and_unbiased() {
        // Every row when the sample covers them.
        assert_eq!(draw(&[1.0, 0.0, 2.0], 3), [(0, 1.0), (1, 1.0), (2, 1.0)]);
        // Equal energies: evenly spaced, each standing for n/rows of the rest.
        assert_eq!(draw(&[1.0; 8], 4), [(1, 2.0), (3, 2.0), (5, 2.0), (7, 2.0)]);
        // An outlier row is always drawn, as often as its energy says.
        let mut e = vec![1.0; 100];
        e[37] = 1000.0;
        let d = draw(&e, 10);
        assert_eq!(d.len(), 10.min(d.len()));
        let outlier = d.iter().find(|(r, _)| *r == 37).expect("outlier drawn");
        assert!(outlier.1 > 0.9 && outlier.1 <= 1.0, "{outlier:?}");
        // Error proportional to energy is estimated exactly.
        let est: f64 = d.iter().map(|&(r, w)| w * 0.01 * e[r as usize]).sum();
        let total: f64 = e.iter().map(|x| 0.01 * x).sum();
        assert!((est - total).abs() < 1e-9 * total, "{est} vs {total}");
        // Zero rows: evenly spaced, nothing to scale.
        assert_eq!(draw(&[0.0; 4], 2), [(1, 0.0), (3, 0.0)]);
        assert!(draw(&[1.0; 4], 0).is_empty());
    }

    #[test]
    fn energy_sums_squares() {
        let v: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
        let want: f64 = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
        assert!((energy(&v) - want).abs() < 1e-9);
    }
}

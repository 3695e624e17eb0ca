//! Comparing two models (the engine of `gguf diff`): metadata keys, tensor
//! lists, and, for tensors present in both with the same shape, the numbers
//! themselves — both sides decoded to f32, whatever their types and byte
//! orders, and compared with A as the reference. Work streams over chunks
//! of rows in parallel; memory stays at a few chunk buffers per thread,
//! never a whole tensor, and mapped pages are released once compared.
//!
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_quant::compare::{compare, Options};
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf");
//! let (a, b) = (gguf_format::ModelFiles::open(path)?, gguf_format::ModelFiles::open(path)?);
//! let (a, b) = (a.parse()?, b.parse()?);
//! let report = compare(&a, &b, &Options::default());
//! assert!(!report.has_differences());
//! assert_eq!(report.summary.relative_rmse, 0.0);
//! # Ok(()) }
//! ```

use crate::rows::{RowsError, Scratch, TensorRows, CHUNK_ELEMENTS};
use crate::score::{Headline, Scorer};
use gguf_format::{TensorInfo, TensorSource, Value};
use rayon::prelude::*;
#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Compare metadata and tensor lists only, not the numbers.
    pub metadata_only: bool,
    /// Numeric differences with relative RMSE ≤ this count as equal.
    pub tolerance: Option<f64>,
}

/// A key present in both files with different values.
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct ChangedKey {
    /// The key.
    pub key: String,
    /// Type and value in A (shortened).
    pub a: String,
    /// Type and value in B (shortened).
    pub b: String,
    /// For arrays: the lengths, when they differ.
    pub lengths: Option<(u64, u64)>,
    /// For arrays: the first index whose elements differ.
    pub first_difference: Option<u64>,
}

/// A tensor present in both with another type or shape.
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct ChangedTensor {
    /// The tensor.
    pub name: String,
    /// Type in A.
    pub a_type: String,
    /// Type in B.
    pub b_type: String,
    /// Shape in A.
    pub a_shape: Vec<u64>,
    /// Shape in B.
    pub b_shape: Vec<u64>,
}

/// Error statistics of B against A (the reference) for one tensor.
#[derive(Clone)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct TensorStats {
    /// The tensor.
    pub name: String,
    /// Type in A.
    pub a_type: String,
    /// Type in B.
    pub b_type: String,
    /// Elements compared.
    pub elements: u64,
    /// Root mean square of `b − a`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "float"))]
    pub rmse: f64,
    /// Largest `|b − a|`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "float"))]
    pub max_abs_error: f64,
    /// `sqrt(Σ(b − a)² / Σa²)`: error energy relative to the reference's.
    #[cfg_attr(feature = "serde", serde(serialize_with = "float"))]
    pub relative_rmse: f64,
    /// `Σab / sqrt(Σa² Σb²)`.
    #[cfg_attr(feature = "serde", serde(serialize_with = "float"))]
    pub cosine: f64,
    /// Every decoded value is the same f32, bit for bit (raw bytes equal when the types are equal).
    pub identical: bool,
    /// Within `--tolerance` (or identical).
    pub equal: bool,
}

/// A tensor present in both that could not be compared numerically.
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Skipped {
    /// The tensor.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// Totals over all compared tensors.
#[derive(Default)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Summary {
    /// The headline: how much a typical weight matrix of B differs from
    /// A's, and what that says ([`crate::score`]); `None` when no weight
    /// matrix was compared.
    pub headline: Option<Headline>,
    /// Tensors compared numerically.
    pub compared: usize,
    /// Of those, bit-identical.
    pub identical: usize,
    /// Of those, beyond the tolerance (or not identical without one).
    pub different: usize,
    /// Elements compared.
    pub elements: u64,
    /// `sqrt(ΣΣ(b − a)² / ΣΣa²)` over every compared tensor.
    #[cfg_attr(feature = "serde", serde(serialize_with = "float"))]
    pub relative_rmse: f64,
    /// Cosine similarity over every compared element.
    #[cfg_attr(feature = "serde", serde(serialize_with = "float"))]
    pub cosine: f64,
    /// The tensor with the largest relative RMSE.
    pub worst: Option<String>,
}

/// Everything `gguf diff` reports.
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct DiffReport {
    /// Path of A.
    pub a: String,
    /// Path of B.
    pub b: String,
    /// Keys only in A, in A's order.
    pub keys_only_in_a: Vec<String>,
    /// Keys only in B, in B's order.
    pub keys_only_in_b: Vec<String>,
    /// Keys whose values differ.
    pub keys_changed: Vec<ChangedKey>,
    /// Tensors only in A.
    pub tensors_only_in_a: Vec<String>,
    /// Tensors only in B.
    pub tensors_only_in_b: Vec<String>,
    /// Tensors whose type or shape differs.
    pub tensors_changed: Vec<ChangedTensor>,
    /// Per-tensor statistics, worst relative RMSE first.
    pub tensors: Vec<TensorStats>,
    /// Tensors in both that could not be compared.
    pub skipped: Vec<Skipped>,
    /// Totals.
    pub summary: Summary,
    /// Tolerance used.
    pub tolerance: Option<f64>,
}

impl DiffReport {
    /// Whether anything differs (the exit code: 1 if so).
    pub fn has_differences(&self) -> bool {
        !(self.keys_only_in_a.is_empty()
            && self.keys_only_in_b.is_empty()
            && self.keys_changed.is_empty()
            && self.tensors_only_in_a.is_empty()
            && self.tensors_only_in_b.is_empty()
            && self.tensors_changed.is_empty()
            && self.tensors.iter().all(|t| t.equal))
    }
}

/// Non-finite floats as the strings `NaN`, `inf`, `-inf` (JSON has no numbers for them).
#[cfg(feature = "serde")]
fn float<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else {
        s.serialize_str(&x.to_string())
    }
}

fn describe(v: &Value<'_>) -> String {
    format!("{} {}", v.type_name(), v.shortened(60, 5))
}

/// Whether two values are equal; for arrays also the lengths and the first differing index.
fn compare_values(a: &Value<'_>, b: &Value<'_>) -> (bool, Option<(u64, u64)>, Option<u64>) {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            let lengths = (x.len() != y.len()).then_some((x.len(), y.len()));
            if x.element_type() == y.element_type()
                && x.byte_order() == y.byte_order()
                && x.wide_lengths() == y.wide_lengths()
                && x.raw_bytes() == y.raw_bytes()
                && x.len() == y.len()
            {
                return (true, None, None);
            }
            let first = x
                .iter()
                .zip(y.iter())
                .position(|(p, q)| !compare_values(&p, &q).0);
            let first = first.map(|i| i as u64).or_else(|| lengths.map(|(p, q)| p.min(q)));
            (
                first.is_none() && lengths.is_none() && x.element_type() == y.element_type(),
                lengths,
                first,
            )
        }
        // Floats compare by bits, so NaN equals the same NaN and 0.0 differs from -0.0.
        (Value::F32(x), Value::F32(y)) => (x.to_bits() == y.to_bits(), None, None),
        (Value::F64(x), Value::F64(y)) => (x.to_bits() == y.to_bits(), None, None),
        _ => (a == b, None, None),
    }
}

/// Error sums of B against A (the reference) over some elements: what every
/// metric of a comparison is computed from. Sums of parts combine with
/// [`Sums::merge`]; combining them in a fixed order gives the same totals
/// however the work was scheduled.
///
/// ```
/// use gguf_quant::compare::Sums;
/// let a = [1.0f32, -2.0, 3.0, 0.5];
/// let b = [1.0f32, -2.5, 3.0, 0.5];
/// let s = Sums::of(&a[..2], &b[..2]).merge(Sums::of(&a[2..], &b[2..]));
/// assert_eq!(s.elements(), 4);
/// assert!(!s.identical());
/// assert_eq!(s.max_abs_error(), 0.5);
/// assert!((s.relative_rmse() - (0.25f64 / 14.25).sqrt()).abs() < 1e-12);
/// assert!(s.cosine() > 0.99);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sums {
    err2: f64,
    a2: f64,
    b2: f64,
    ab: f64,
    max_abs: f64,
    identical: bool,
    n: u64,
}

impl Default for Sums {
    /// Sums over no elements (identical, all zero).
    fn default() -> Self {
        Sums {
            err2: 0.0,
            a2: 0.0,
            b2: 0.0,
            ab: 0.0,
            max_abs: 0.0,
            identical: true,
            n: 0,
        }
    }
}

impl Sums {
    /// The sums of both parts.
    pub fn merge(self, o: Sums) -> Sums {
        Sums {
            err2: self.err2 + o.err2,
            a2: self.a2 + o.a2,
            b2: self.b2 + o.b2,
            ab: self.ab + o.ab,
            max_abs: if self.max_abs.is_nan() || o.max_abs.is_nan() {
                f64::NAN
            } else {
                self.max_abs.max(o.max_abs)
            },
            identical: self.identical && o.identical,
            n: self.n + o.n,
        }
    }

    /// Sums over two equally long slices, `a` the reference (extra elements
    /// of the longer one are ignored). Eight independent lanes per sum keep
    /// the additions off one long dependency chain (and let them vectorize);
    /// the lanes are combined in a fixed order, so results are deterministic.
    pub fn of(a: &[f32], b: &[f32]) -> Sums {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        const L: usize = 8;
        let (mut err2, mut a2, mut b2, mut ab, mut max_abs) =
            ([0f64; L], [0f64; L], [0f64; L], [0f64; L], [0f64; L]);
        let mut same = true;
        let mut lane = |i: usize, x: f32, y: f32| {
            let (x64, y64) = (f64::from(x), f64::from(y));
            let d = y64 - x64;
            err2[i] += d * d;
            a2[i] += x64 * x64;
            b2[i] += y64 * y64;
            ab[i] += x64 * y64;
            // NaN never compares greater; the error sum remembers it instead.
            let ad = d.abs();
            if ad > max_abs[i] {
                max_abs[i] = ad;
            }
        };
        let (ca, cb) = (a.chunks_exact(L), b.chunks_exact(L));
        let (ra, rb) = (ca.remainder(), cb.remainder());
        for (xa, xb) in ca.zip(cb) {
            for i in 0..L {
                lane(i, xa[i], xb[i]);
            }
            same &= xa.iter().zip(xb).all(|(x, y)| x.to_bits() == y.to_bits());
        }
        for (i, (&x, &y)) in ra.iter().zip(rb).enumerate() {
            lane(i, x, y);
            same &= x.to_bits() == y.to_bits();
        }
        // A NaN difference poisons its lane's error sum for good.
        let nan = err2.iter().any(|e| e.is_nan());
        let sum = |v: [f64; L]| v.iter().sum::<f64>();
        Sums {
            err2: sum(err2),
            a2: sum(a2),
            b2: sum(b2),
            ab: sum(ab),
            max_abs: if nan {
                f64::NAN
            } else {
                max_abs.iter().fold(0.0, |m: f64, &x| m.max(x))
            },
            identical: same,
            n: a.len() as u64,
        }
    }

    /// Elements summed.
    pub fn elements(&self) -> u64 {
        self.n
    }

    /// Every value of B is A's, bit for bit.
    pub fn identical(&self) -> bool {
        self.identical
    }

    /// Largest `|b − a|` (NaN if a difference was NaN).
    pub fn max_abs_error(&self) -> f64 {
        self.max_abs
    }

    /// `Σ(b − a)²`.
    pub fn error_energy(&self) -> f64 {
        self.err2
    }

    /// `Σa²`.
    pub fn reference_energy(&self) -> f64 {
        self.a2
    }

    /// `Σb²`.
    pub fn compared_energy(&self) -> f64 {
        self.b2
    }

    /// `Σab`.
    pub fn dot(&self) -> f64 {
        self.ab
    }

    /// Root mean square of `b − a`.
    pub fn rmse(&self) -> f64 {
        ratio(self.err2, self.n as f64).sqrt()
    }

    /// `sqrt(Σ(b − a)² / Σa²)`: the error's energy relative to the reference's.
    pub fn relative_rmse(&self) -> f64 {
        ratio(self.err2, self.a2).sqrt()
    }

    /// `Σab / sqrt(Σa² Σb²)`.
    pub fn cosine(&self) -> f64 {
        self.ab / (self.a2 * self.b2).sqrt()
    }
}

/// `num / den`, with 0/0 = 0 and x/0 = ∞.
pub(crate) fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        if num == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        num / den
    }
}

/// Sums of B's tensor `tb` against A's `ta` (same shape) over every row,
/// read through the row walker ([`TensorRows`]) in parallel chunks. Chunks
/// whose bytes are equal (same type and byte order) are identical without
/// decoding B.
fn compare_tensor<'a, 'b, A, B>(
    ga: &A,
    ta: &TensorInfo<'a>,
    gb: &B,
    tb: &TensorInfo<'b>,
) -> Result<Sums, String>
where
    A: TensorSource<'a> + ?Sized,
    B: TensorSource<'b> + ?Sized,
{
    let text = |e: RowsError| e.to_string();
    let ra = TensorRows::new(ga, *ta, CHUNK_ELEMENTS).map_err(|e| e.to_string())?;
    let rb = TensorRows::new(gb, *tb, CHUNK_ELEMENTS).map_err(|e| e.to_string())?;
    let same_layout = ta.ggml_type == tb.ggml_type && ra.byte_order() == rb.byte_order();
    // Partial sums per chunk, combined in chunk order so the totals do not
    // depend on how the work was scheduled.
    let chunks: Vec<_> = ra.chunks().iter().collect();
    let parts: Result<Vec<Sums>, String> = chunks
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Scratch::default(), Scratch::default()),
            |(va, vb, sa, sb), rows| {
                if same_layout {
                    let da = ra.bytes(rows.clone(), sa).map_err(|e| e.to_string())?;
                    let db = rb.bytes(rows.clone(), sb).map_err(|e| e.to_string())?;
                    if da == db {
                        // Still need A's energy for the summary: decode A only.
                        ra.decode(rows.clone(), va, sa).map_err(text)?;
                        let s = Sums::of(va, va);
                        return Ok(Sums {
                            identical: true,
                            err2: 0.0,
                            max_abs: 0.0,
                            b2: s.a2,
                            ab: s.a2,
                            ..s
                        });
                    }
                }
                ra.decode(rows.clone(), va, sa).map_err(text)?;
                rb.decode(rows.clone(), vb, sb).map_err(text)?;
                Ok(Sums::of(va, vb))
            },
        )
        .collect();
    ra.release_all();
    rb.release_all();
    Ok(parts?.into_iter().fold(Sums::default(), Sums::merge))
}

/// Compares two models, B against A (the reference); the report names
/// them by their first files' paths.
pub fn compare<'a, 'b, A, B>(ga: &A, gb: &B, opts: &Options) -> DiffReport
where
    A: TensorSource<'a> + ?Sized,
    B: TensorSource<'b> + ?Sized,
{
    let (a_path, b_path) = (ga.name(), gb.name());
    let mut r = DiffReport {
        a: a_path.to_string(),
        b: b_path.to_string(),
        keys_only_in_a: vec![],
        keys_only_in_b: vec![],
        keys_changed: vec![],
        tensors_only_in_a: vec![],
        tensors_only_in_b: vec![],
        tensors_changed: vec![],
        tensors: vec![],
        skipped: vec![],
        summary: Summary::default(),
        tolerance: opts.tolerance,
    };
    for kv in ga.metadata() {
        match gb.get(kv.key) {
            None => r.keys_only_in_a.push(kv.key.to_string()),
            Some(bv) => {
                let (same, lengths, first) = compare_values(&kv.value, bv);
                if !same {
                    r.keys_changed.push(ChangedKey {
                        key: kv.key.to_string(),
                        a: describe(&kv.value),
                        b: describe(bv),
                        lengths,
                        first_difference: first,
                    });
                }
            }
        }
    }
    r.keys_only_in_b = gb
        .metadata()
        .iter()
        .filter(|kv| ga.get(kv.key).is_none())
        .map(|kv| kv.key.to_string())
        .collect();

    let mut pairs = Vec::new();
    for ta in ga.tensors() {
        match gb.tensor(ta.name) {
            None => r.tensors_only_in_a.push(ta.name.to_string()),
            Some(tb) => {
                if ta.ggml_type != tb.ggml_type || ta.ne() != tb.ne() {
                    r.tensors_changed.push(ChangedTensor {
                        name: ta.name.to_string(),
                        a_type: ta.ggml_type.to_string(),
                        b_type: tb.ggml_type.to_string(),
                        a_shape: ta.dims().to_vec(),
                        b_shape: tb.dims().to_vec(),
                    });
                }
                if ta.ne() == tb.ne() {
                    pairs.push((ta, tb));
                } else {
                    r.skipped.push(Skipped {
                        name: ta.name.to_string(),
                        reason: format!("shapes differ: {:?} vs {:?}", ta.dims(), tb.dims()),
                    });
                }
            }
        }
    }
    r.tensors_only_in_b = gb
        .tensors()
        .iter()
        .filter(|t| ga.tensor(t.name).is_none())
        .map(|t| t.name.to_string())
        .collect();
    if opts.metadata_only {
        return r;
    }

    let mut total = Sums::default();
    let mut scorer = Scorer::default();
    for (ta, tb) in pairs {
        let result = compare_tensor(ga, ta, gb, tb);
        match result {
            Ok(s) => {
                total = total.merge(s);
                let rel = s.relative_rmse();
                scorer.add(ta.dims().len(), rel);
                let equal = s.identical || opts.tolerance.is_some_and(|tol| rel <= tol);
                r.tensors.push(TensorStats {
                    name: ta.name.to_string(),
                    a_type: ta.ggml_type.to_string(),
                    b_type: tb.ggml_type.to_string(),
                    elements: s.elements(),
                    rmse: s.rmse(),
                    max_abs_error: s.max_abs_error(),
                    relative_rmse: rel,
                    cosine: s.cosine(),
                    identical: s.identical(),
                    equal,
                });
            }
            Err(reason) => r.skipped.push(Skipped {
                name: ta.name.to_string(),
                reason,
            }),
        }
    }
    // Worst first; NaN counts as worst.
    r.tensors.sort_by(|x, y| {
        let key = |t: &TensorStats| {
            if t.relative_rmse.is_nan() {
                f64::INFINITY
            } else {
                t.relative_rmse
            }
        };
        key(y).total_cmp(&key(x)).then_with(|| x.name.cmp(&y.name))
    });
    r.summary = Summary {
        headline: scorer.headline(),
        compared: r.tensors.len(),
        identical: r.tensors.iter().filter(|t| t.identical).count(),
        different: r.tensors.iter().filter(|t| !t.equal).count(),
        elements: total.elements(),
        relative_rmse: total.relative_rmse(),
        cosine: total.cosine(),
        worst: r.tensors.first().filter(|t| !t.identical).map(|t| t.name.clone()),
    };
    r
}

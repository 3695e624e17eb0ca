//! One number that tells a broken quant from a good one: the headline of
//! `gguf requant --dry-run --quality` and of `gguf diff`.
//!
//! The energy-weighted error of all weights ([`crate::compare::Summary`]'s
//! relative RMSE) is exact but misleading as a headline: a large tensor
//! kept at its type — a token embedding that is most of a small model's
//! parameters — dominates the energy and makes a model whose every
//! transformer block is destroyed look lossless. The score instead asks how
//! much a typical weight matrix is hurt: it is the root mean square, over
//! the model's weight matrices (tensors of two or more dimensions), of each
//! matrix's relative RMSE `sqrt(Σ(w − ŵ)² / Σw²)`, every matrix counting
//! once whatever its size. The signal passes through every matrix of every
//! block, so the matrices' errors add up in the output, and one destroyed
//! matrix weighs in as it does there. Lower is better; 0 is lossless.
//!
//! The [`Verdict`] thresholds were calibrated against llama-perplexity on a
//! real language model, SmolLM2-135M-Instruct requantized to eleven types
//! (`scripts/quality-calibration.sh`; the README's "Picking a quant" has
//! the table). There the log of the perplexity ratio to the source's
//! followed ≈ 28 · score² from 4 % to 10 % (Q4_K_M +4.8 % at 3.97 %, Q4_0
//! +22 % at 8.7 %, Q2_K +34 % at 9.9 %), a score of 32 % (TQ2_0) gave a
//! perplexity of a million, and scores under 0.9 % were within noise
//! (F16, Q8_0, Q6_K). By that curve the perplexity doubles near a score of
//! 16 % and grows 2 % near 2.7 %. Small models are the most sensitive:
//! larger ones lose less at the same score.

/// What a score says about a quantized model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Verdict {
    /// No measurable loss (below [`LOSSLESS_BELOW`]): F16, BF16, Q8_0 of a
    /// float model.
    Lossless,
    /// A small loss (below [`GOOD_BELOW`]): perplexity within about 2 %.
    Good,
    /// A clear loss (below [`BROKEN_FROM`]): the model works, measurably
    /// worse (perplexity up by a few percent to about double).
    Degraded,
    /// The model is destroyed: perplexity about double the source's or
    /// (far) more.
    Broken,
}

/// Scores below this are [`Verdict::Lossless`].
pub const LOSSLESS_BELOW: f64 = 0.0075;
/// Scores below this (and not lossless) are [`Verdict::Good`].
pub const GOOD_BELOW: f64 = 0.03;
/// Scores from this on are [`Verdict::Broken`]; between [`GOOD_BELOW`]
/// and this, [`Verdict::Degraded`].
pub const BROKEN_FROM: f64 = 0.15;

impl Verdict {
    /// The verdict for `score` (NaN: broken).
    pub fn of(score: f64) -> Verdict {
        if score.is_nan() || score >= BROKEN_FROM {
            Verdict::Broken
        } else if score >= GOOD_BELOW {
            Verdict::Degraded
        } else if score >= LOSSLESS_BELOW {
            Verdict::Good
        } else {
            Verdict::Lossless
        }
    }

    /// Its name: `lossless`, `good`, `degraded`, `broken`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Lossless => "lossless",
            Verdict::Good => "good",
            Verdict::Degraded => "degraded",
            Verdict::Broken => "broken",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The headline figure: a score and what it says.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Headline {
    /// Root mean square of the weight matrices' relative RMSEs (lower is
    /// better; 0.01 is 1 %).
    pub score: f64,
    /// What the score says.
    pub verdict: Verdict,
    /// Weight matrices scored.
    pub matrices: usize,
}

/// Accumulates weight matrices' relative errors into a [`Headline`].
///
/// ```
/// use gguf_quant::score::{Scorer, Verdict};
/// let mut s = Scorer::default();
/// for (dims, rel) in [(2, 0.01), (2, 0.02), (1, 0.9)] {
///     s.add(dims, rel); // the 1-D tensor (a norm) is not a matrix
/// }
/// let h = s.headline().unwrap();
/// assert_eq!(h.matrices, 2);
/// assert!((h.score - (0.0005f64 / 2.0).sqrt()).abs() < 1e-12);
/// assert_eq!(h.verdict, Verdict::Good);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Scorer {
    sum_sq: f64,
    n: usize,
}

impl Scorer {
    /// Adds a tensor of `dims` dimensions whose relative RMSE is
    /// `relative_rmse` (0 for a tensor left as it was); tensors of fewer
    /// than two dimensions are not weight matrices and are left out.
    pub fn add(&mut self, dims: usize, relative_rmse: f64) {
        if dims >= 2 {
            self.sum_sq += relative_rmse * relative_rmse;
            self.n += 1;
        }
    }

    /// The headline, or `None` when no weight matrix was added.
    pub fn headline(&self) -> Option<Headline> {
        (self.n > 0).then(|| {
            let score = (self.sum_sq / self.n as f64).sqrt();
            Headline {
                score,
                verdict: Verdict::of(score),
                matrices: self.n,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_thresholds() {
        assert_eq!(Verdict::of(0.0), Verdict::Lossless);
        assert_eq!(Verdict::of(LOSSLESS_BELOW), Verdict::Good);
        assert_eq!(Verdict::of(GOOD_BELOW), Verdict::Degraded);
        assert_eq!(Verdict::of(BROKEN_FROM), Verdict::Broken);
        assert_eq!(Verdict::of(f64::NAN), Verdict::Broken);
        assert!(Scorer::default().headline().is_none());
    }

    #[test]
    fn one_destroyed_matrix_among_many_small_errors_is_not_hidden() {
        // The energy-weighted figure hides a destroyed matrix behind a big
        // lossless one; the score does not.
        let mut s = Scorer::default();
        s.add(2, 0.0); // a huge embedding kept as it was
        for _ in 0..9 {
            s.add(2, 0.62); // every block matrix destroyed
        }
        assert_eq!(s.headline().unwrap().verdict, Verdict::Broken);
    }
}

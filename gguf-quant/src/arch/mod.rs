//! The fast paths of the encoders' searches, one place per target, and the
//! run-time choice between them ([`Path`], [`fast_avx2`]):
//!
//! - `search.rs`: the scalar references, ggml's searches line by line;
//! - `lanes.rs`: the lane-parallel searches in portable code (what a CPU
//!   without AVX2 runs), and the choice of path per call;
//! - `x86_64/avx2.rs`: the same searches' AVX2 kernels, in intrinsics.
//!
//! Here: which path runs (per thread, [`Path`]; the CPU check, [`avx2`]),
//! and the lane layouts and tables the portable and AVX2 code share. The codecs (`family/`) call into this module; nothing here
//! knows about a codec (shared tables come from `numerics.rs`).

pub(crate) mod lanes;
pub(crate) mod search;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;

/// Lanes processed together.
pub(crate) const LANES: usize = 8;

/// Which implementation the lane functions run (per thread). Only `Fast`
/// runs unless the `reference` feature's `crate::reference` selects
/// another with `with_path`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// The AVX2 code (intrinsics, or bodies compiled with AVX2) where the
    /// CPU has AVX2, else the portable bodies.
    Fast,
    /// The lane bodies compiled for the baseline target only (what a CPU
    /// without AVX2 runs).
    #[cfg(feature = "reference")]
    Portable,
    /// The scalar references of `search.rs`, one sub-block at a time.
    Scalar,
}

thread_local! {
    static PATH: std::cell::Cell<Path> = const { std::cell::Cell::new(Path::Fast) };
}

/// Runs `f` with the lane functions taking `path` on this thread (restored
/// afterwards, also on panic).
#[cfg(feature = "reference")]
pub(crate) fn with_path<R>(path: Path, f: impl FnOnce() -> R) -> R {
    struct Restore(Path);
    impl Drop for Restore {
        fn drop(&mut self) {
            PATH.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(PATH.with(|c| c.replace(path)));
    f()
}

/// Whether [`Path`] is `Scalar` on this thread: encoders whose whole
/// search has a fast form (IQ4_NL, IQ4_XS, IQ3_S) then run their scalar
/// reference instead.
pub(crate) fn scalar() -> bool {
    PATH.with(|c| c.get()) == Path::Scalar
}

/// Whether the AVX2 copies of the lane bodies may run (checked once per
/// call; the result is cached by std). AVX2 holds eight f32 lanes in one
/// register; FMA is a separate feature, left off, and Rust never contracts
/// `a * b + c` anyway, so both copies compute the same bits.
#[inline]
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the AVX2 code runs: the CPU has AVX2 and [`Path`] is `Fast`.
#[inline]
pub(crate) fn fast_avx2() -> bool {
    avx2() && PATH.with(|c| c.get()) == Path::Fast
}

/// `kvalues_iq4nl` as f32 (exact).
pub(crate) const IQ4_LEVELS: [f32; 16] = {
    let mut v = [0f32; 16];
    let mut k = 0;
    while k < 16 {
        v[k] = crate::numerics::KVALUES_IQ4NL[k] as f32;
        k += 1;
    }
    v
};

/// `MID2[j] = kv[j − 1] + kv[j]` for `j` in 1..16 (`MID2[0]` unused):
/// twice the midpoints `best_index_int8` compares `x + x` with (sums of two
/// small integers, exact in f32).
pub(crate) const IQ4_MID2: [f32; 16] = {
    let mut m = [0f32; 16];
    let mut j = 1;
    while j < 16 {
        m[j] = IQ4_LEVELS[j - 1] + IQ4_LEVELS[j];
        j += 1;
    }
    m
};

/// Eight candidates of an IQ3 neighbour list: candidate `p`'s levels
/// `l0..l3` (coordinates `2l + 1`) packed as `l0 | l1 << 8 | l2 << 16 |
/// l3 << 24` at `[p]`.
pub(crate) type Iq3Block = [u32; 8];

/// Trials of the IQ3_S scale search at once: [`lanes::iq3_trial_sums`].
pub(crate) const IQ3_TRIALS: usize = 24;

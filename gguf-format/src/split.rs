//! Split models: the `PREFIX-00001-of-0000N.gguf` names llama.cpp gives the
//! shards of one model, the `split.*` keys that tie them together, and where
//! `llama-gguf-split --split` cuts a model. Pure functions; reading several
//! files as one model is [`crate::Model`]'s business.

use crate::error::{Error, Result};
use std::ops::Range;

/// `split.no` (u16): the shard's 0-based number.
pub const SPLIT_NO: &str = "split.no";
/// `split.count` (u16): how many shards the model has (0 in a merged file).
pub const SPLIT_COUNT: &str = "split.count";
/// `split.tensors.count` (i32): how many tensors all shards hold together.
pub const SPLIT_TENSORS_COUNT: &str = "split.tensors.count";
/// The three keys, in the order llama-gguf-split first writes them.
pub const SPLIT_KEYS: [&str; 3] = [SPLIT_NO, SPLIT_COUNT, SPLIT_TENSORS_COUNT];

/// The alignment llama-gguf-split pads tensor sizes to when it decides
/// where to cut (`GGUF_DEFAULT_ALIGNMENT`, whatever the file's own).
const PLAN_ALIGNMENT: u64 = 32;

/// The name of shard `index` (0-based) of `count`: `PREFIX-%05d-of-%05d.gguf`
/// with a 1-based number, as `llama_split_path` writes it.
///
/// ```
/// assert_eq!(gguf_format::split::shard_path("out/m", 0, 3), "out/m-00001-of-00003.gguf");
/// ```
pub fn shard_path(prefix: &str, index: usize, count: usize) -> String {
    format!("{prefix}-{:05}-of-{count:05}.gguf", index + 1)
}

/// The prefix of `path` when it is named as shard `index` (0-based) of
/// `count` (`llama_split_prefix`); `None` when the name does not end that way
/// or nothing is left before the ending.
///
/// ```
/// use gguf_format::split::shard_prefix;
/// assert_eq!(shard_prefix("m-00002-of-00003.gguf", 1, 3), Some("m"));
/// assert_eq!(shard_prefix("m-00002-of-00003.gguf", 0, 3), None);
/// ```
pub fn shard_prefix(path: &str, index: usize, count: usize) -> Option<&str> {
    let ending = shard_path("", index, count);
    path.strip_suffix(ending.as_str()).filter(|p| !p.is_empty())
}

/// The prefix llama-quantize uses for `--keep-split` outputs: `OUT` with a
/// trailing `.gguf` removed (`out.gguf` → `out-00001-of-00002.gguf`).
pub fn output_prefix(out: &str) -> &str {
    out.strip_suffix(".gguf").unwrap_or(out)
}

/// The files an operation writing `count` outputs to `out` creates: `out`
/// itself when `split` is false (one output), else
/// `OUT-0000i-of-0000N.gguf` with `out`'s `.gguf` removed, as llama-quantize
/// `--keep-split` and gguf-new-metadata name a split model's outputs.
///
/// ```
/// use gguf_format::split::output_names;
/// use std::path::{Path, PathBuf};
/// assert_eq!(output_names(Path::new("m.gguf"), false, 1), [PathBuf::from("m.gguf")]);
/// assert_eq!(
///     output_names(Path::new("m.gguf"), true, 2),
///     [PathBuf::from("m-00001-of-00002.gguf"), PathBuf::from("m-00002-of-00002.gguf")]
/// );
/// ```
pub fn output_names(out: &std::path::Path, split: bool, count: usize) -> Vec<std::path::PathBuf> {
    if !split {
        return vec![out.to_path_buf()];
    }
    let s = out.to_string_lossy();
    let prefix = output_prefix(&s);
    (0..count)
        .map(|i| std::path::PathBuf::from(shard_path(prefix, i, count)))
        .collect()
}

/// When `gguf split` starts a new shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitLimit {
    /// At most this many tensors per shard (`--split-max-tensors`, default 128).
    Tensors(usize),
    /// At most this many bytes of tensor data per shard, each tensor counted
    /// padded to 32 bytes (`--split-max-size`); a tensor larger than the limit
    /// gets a shard of its own.
    Bytes(u64),
}

impl SplitLimit {
    /// Parses llama-gguf-split's `--split-max-size` value: a positive whole
    /// number followed by `M` (10⁶ bytes) or `G` (10⁹ bytes).
    ///
    /// ```
    /// use gguf_format::split::SplitLimit;
    /// assert_eq!(SplitLimit::parse_size("500M"), Some(SplitLimit::Bytes(500_000_000)));
    /// assert_eq!(SplitLimit::parse_size("2G"), Some(SplitLimit::Bytes(2_000_000_000)));
    /// assert_eq!(SplitLimit::parse_size("2"), None);
    /// ```
    pub fn parse_size(s: &str) -> Option<SplitLimit> {
        let (digits, unit) = s.split_at(s.len().checked_sub(1)?);
        let scale = match unit {
            "M" => 1_000_000,
            "G" => 1_000_000_000,
            _ => return None,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        (n > 0).then_some(SplitLimit::Bytes(n.checked_mul(scale)?))
    }
}

/// Where llama-gguf-split cuts a model whose tensors (in file order) have
/// the given data sizes: one range of tensor indices per shard, in order.
///
/// With `no_tensor_first_split` the first shard holds metadata only (an
/// empty range). A model without tensors is one shard. Unlike
/// llama-gguf-split, a first tensor larger than a size limit gets a shard of
/// its own instead of an error; every other case cuts where it does.
///
/// ```
/// use gguf_format::split::{plan_split, SplitLimit};
/// let plan = plan_split(&[10, 10, 10, 10, 10], SplitLimit::Tensors(2), false).unwrap();
/// assert_eq!(plan, vec![0..2, 2..4, 4..5]);
/// let plan = plan_split(&[32, 32, 64], SplitLimit::Bytes(100), true).unwrap();
/// assert_eq!(plan, vec![0..0, 0..2, 2..3]);
/// ```
pub fn plan_split(
    sizes: &[u64],
    limit: SplitLimit,
    no_tensor_first_split: bool,
) -> Result<Vec<Range<usize>>> {
    if limit == SplitLimit::Tensors(0) || limit == SplitLimit::Bytes(0) {
        return Err(Error::InvalidWrite("a split limit must be at least 1".into()));
    }
    let mut shards = Vec::new();
    if no_tensor_first_split {
        shards.push(0..0);
    }
    let mut start = 0usize;
    let mut used = 0u64;
    for (i, &n) in sizes.iter().enumerate() {
        let padded = n
            .checked_add(PLAN_ALIGNMENT - 1)
            .map(|x| x / PLAN_ALIGNMENT * PLAN_ALIGNMENT)
            .ok_or_else(|| Error::InvalidWrite(format!("tensor {i}: size {n} overflows")))?;
        let cut = match limit {
            SplitLimit::Tensors(max) => i > 0 && i.is_multiple_of(max),
            // Never before the first tensor of a shard: that would leave it empty.
            SplitLimit::Bytes(max) => i > start && used.saturating_add(padded) > max,
        };
        if cut {
            shards.push(start..i);
            start = i;
            used = 0;
        }
        used = used.saturating_add(padded);
    }
    if start < sizes.len() || shards.is_empty() || no_tensor_first_split && shards.len() == 1 {
        shards.push(start..sizes.len());
    }
    if shards.len() > usize::from(u16::MAX) {
        return Err(Error::InvalidWrite(format!(
            "{} shards: split.count is a u16, at most {}",
            shards.len(),
            u16::MAX
        )));
    }
    Ok(shards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(shard_path("a/b", 4, 12), "a/b-00005-of-00012.gguf");
        assert_eq!(shard_path("m", 0, 123456), "m-00001-of-123456.gguf");
        assert_eq!(shard_prefix("a/b-00005-of-00012.gguf", 4, 12), Some("a/b"));
        assert_eq!(
            shard_prefix("-00001-of-00002.gguf", 0, 2),
            None,
            "nothing before the ending"
        );
        assert_eq!(shard_prefix("m-00001-of-00002.gguf", 0, 3), None);
        assert_eq!(output_prefix("x/out.gguf"), "x/out");
        assert_eq!(output_prefix("out.bin"), "out.bin");
    }

    #[test]
    fn tensor_limit_cuts_every_n() {
        assert_eq!(
            plan_split(&[1; 21], SplitLimit::Tensors(8), false).unwrap(),
            vec![0..8, 8..16, 16..21]
        );
        assert_eq!(
            plan_split(&[1; 16], SplitLimit::Tensors(8), false).unwrap(),
            vec![0..8, 8..16]
        );
        assert_eq!(
            plan_split(&[1; 3], SplitLimit::Tensors(128), false).unwrap(),
            vec![0..3]
        );
        assert_eq!(
            plan_split(&[1; 3], SplitLimit::Tensors(2), true).unwrap(),
            vec![0..0, 0..2, 2..3]
        );
        assert!(plan_split(&[1], SplitLimit::Tensors(0), false).is_err());
    }

    #[test]
    fn size_limit_counts_padded_sizes() {
        // 33 bytes count as 64: two fit in 128, a third does not.
        assert_eq!(
            plan_split(&[33, 33, 33], SplitLimit::Bytes(128), false).unwrap(),
            vec![0..2, 2..3]
        );
        // A tensor larger than the limit gets a shard of its own, even the first.
        assert_eq!(
            plan_split(&[500, 10, 10], SplitLimit::Bytes(100), false).unwrap(),
            vec![0..1, 1..3]
        );
        assert_eq!(
            plan_split(&[10, 500, 10], SplitLimit::Bytes(100), false).unwrap(),
            vec![0..1, 1..2, 2..3]
        );
    }

    #[test]
    fn no_tensors_is_one_shard() {
        assert_eq!(
            plan_split(&[], SplitLimit::Tensors(5), false).unwrap(),
            vec![0..0]
        );
        assert_eq!(
            plan_split(&[], SplitLimit::Tensors(5), true).unwrap(),
            vec![0..0, 0..0]
        );
    }

    #[test]
    fn size_parsing() {
        for bad in [
            "",
            "M",
            "0M",
            "-1M",
            "1.5G",
            "12",
            "12K",
            "1 G",
            "99999999999999999999G",
        ] {
            assert_eq!(SplitLimit::parse_size(bad), None, "{bad:?}");
        }
        assert_eq!(SplitLimit::parse_size("1M"), Some(SplitLimit::Bytes(1_000_000)));
    }
}

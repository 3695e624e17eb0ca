//! Hyperparameters: the metadata keys llama.cpp's loader reads
//! (`{arch}.block_count`, `{arch}.attention.head_count`, …) and
//! [`HParams`], the one reader of them, as llama.cpp reads them
//! (`llama_model_loader::get_key` and `get_key_or_arr`).
//!
//! The key constants are the part after `{arch}.`; [`HParams`] puts the
//! model's architecture in front. Every read is recorded: the keys used
//! with the values found ([`HParams::used`]) and the keys needed but
//! absent or malformed, by name ([`HParams::missing`]).
//!
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::GgufFile;
//! use gguf_llama::hparams::{self, HParams};
//! let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f16.gguf"))?;
//! let g = file.parse()?;
//! let mut hp = HParams::new(&g);
//! assert_eq!(hp.arch(), "llama");
//! assert_eq!(hp.uint(hparams::BLOCK_COUNT), Some(2));
//! assert_eq!(hp.per_layer(hparams::HEAD_COUNT, 2), Ok(Some(vec![4, 4])));
//! assert_eq!(hp.uint(hparams::EXPERT_COUNT), None);
//! assert_eq!(hp.missing(), ["llama.expert_count"]);
//!
//! // llama-quantize's --override-kv wins over the file.
//! hp.set_override("llama.block_count", Some(1));
//! assert_eq!(hp.first(hparams::BLOCK_COUNT), Some(1));
//! # Ok(()) }
//! ```

use gguf_format::{Gguf, Value};
use std::fmt;

/// `general.architecture`: the architecture name, the prefix of the keys below.
pub const ARCHITECTURE: &str = "general.architecture";
/// `tokenizer.ggml.tokens`: the vocabulary, one string per token.
pub const TOKENIZER_TOKENS: &str = "tokenizer.ggml.tokens";

/// `{arch}.context_length`: the context the model was trained for.
pub const CONTEXT_LENGTH: &str = "context_length";
/// `{arch}.embedding_length`: `n_embd`.
pub const EMBEDDING_LENGTH: &str = "embedding_length";
/// `{arch}.block_count`: the layers (`n_layer`).
pub const BLOCK_COUNT: &str = "block_count";
/// `{arch}.feed_forward_length`: `n_ff`, one value or one per layer.
pub const FEED_FORWARD_LENGTH: &str = "feed_forward_length";
/// `{arch}.expert_feed_forward_length`: `n_ff` of one routed expert.
pub const EXPERT_FEED_FORWARD_LENGTH: &str = "expert_feed_forward_length";
/// `{arch}.expert_count`: routed experts (absent for a dense model).
pub const EXPERT_COUNT: &str = "expert_count";
/// `{arch}.expert_used_count`: experts used per token, one value or one per layer.
pub const EXPERT_USED_COUNT: &str = "expert_used_count";
/// `{arch}.nextn_predict_layers`: trailing layers that predict the next token.
pub const NEXTN_PREDICT_LAYERS: &str = "nextn_predict_layers";
/// `{arch}.num_loops`: how often the layers repeat (nanbeige).
pub const NUM_LOOPS: &str = "num_loops";
/// `{arch}.attention.head_count`: `n_head`, one value or one per layer.
pub const HEAD_COUNT: &str = "attention.head_count";
/// `{arch}.attention.head_count_kv`: `n_head_kv`, one value or one per layer.
pub const HEAD_COUNT_KV: &str = "attention.head_count_kv";
/// `{arch}.attention.key_length`: the K head size.
pub const KEY_LENGTH: &str = "attention.key_length";
/// `{arch}.attention.value_length`: the V head size.
pub const VALUE_LENGTH: &str = "attention.value_length";
/// `{arch}.attention.key_length_swa`: the K head size of sliding-window layers.
pub const KEY_LENGTH_SWA: &str = "attention.key_length_swa";
/// `{arch}.attention.value_length_swa`: the V head size of sliding-window layers.
pub const VALUE_LENGTH_SWA: &str = "attention.value_length_swa";
/// `{arch}.attention.key_length_mla`: the K head size of multi-head latent attention.
pub const KEY_LENGTH_MLA: &str = "attention.key_length_mla";
/// `{arch}.attention.value_length_mla`: the V head size of multi-head latent attention.
pub const VALUE_LENGTH_MLA: &str = "attention.value_length_mla";
/// `{arch}.attention.sliding_window`: the sliding window, in tokens.
pub const SLIDING_WINDOW: &str = "attention.sliding_window";
/// `{arch}.attention.sliding_window_pattern`: the period of full-attention
/// layers, or an array of per-layer sliding flags.
pub const SLIDING_WINDOW_PATTERN: &str = "attention.sliding_window_pattern";
/// `{arch}.attention.shared_kv_layers`: trailing layers that reuse earlier caches.
pub const SHARED_KV_LAYERS: &str = "attention.shared_kv_layers";
/// `{arch}.attention.causal`: false for a non-causal (encoder) model.
pub const CAUSAL: &str = "attention.causal";

/// Why a per-layer value could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The key is present but not of a usable type; it is named in
    /// [`HParams::missing`].
    Malformed,
    /// A count does not fit in this machine's memory.
    TooLarge,
    /// The value contradicts the model, and llama.cpp refuses it (why).
    Invalid(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed => f.write_str("a key is malformed"),
            Error::TooLarge => f.write_str("too large"),
            Error::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

/// Where a key's value comes from.
enum Found<'g, 'a> {
    /// An override: an integer, or `None` for one of another type.
    Override(Option<u64>),
    /// The file.
    File(&'g Value<'a>),
    Absent,
}

/// The hyperparameters of a model, read from its metadata with the keys
/// prefixed by its architecture, as llama.cpp's loader reads them; every
/// read is recorded in [`HParams::used`] and [`HParams::missing`].
pub struct HParams<'g, 'a> {
    g: &'g Gguf<'a>,
    arch: &'a str,
    overrides: Vec<(String, Option<u64>)>,
    used: Vec<(String, String)>,
    missing: Vec<String>,
}

impl<'g, 'a> HParams<'g, 'a> {
    /// A reader over `g`'s metadata, for the architecture it names
    /// (`general.architecture`; empty when absent).
    pub fn new(g: &'g Gguf<'a>) -> Self {
        HParams {
            g,
            arch: g.architecture().unwrap_or(""),
            overrides: Vec::new(),
            used: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// The architecture (`general.architecture`), or `""`.
    pub fn arch(&self) -> &'a str {
        self.arch
    }

    /// The full key: `{arch}.{k}`.
    pub fn key(&self, k: &str) -> String {
        format!("{}.{k}", self.arch)
    }

    /// Makes the integer reads of the full key `key` see `value` instead of
    /// the file's, as llama.cpp's loader applies `--override-kv` before it
    /// reads hyperparameters: `Some(n)` for an integer override, `None` for
    /// an override of another type (which no integer read accepts). A later
    /// override of the same key replaces an earlier one.
    pub fn set_override(&mut self, key: impl Into<String>, value: Option<u64>) -> &mut Self {
        self.overrides.push((key.into(), value));
        self
    }

    fn find(&self, key: &str) -> Found<'g, 'a> {
        if let Some((_, v)) = self.overrides.iter().rev().find(|(k, _)| k == key) {
            return Found::Override(*v);
        }
        match self.g.get(key) {
            Some(v) => Found::File(v),
            None => Found::Absent,
        }
    }

    /// Whether `{arch}.{k}` is present (in the file or overridden).
    pub fn has(&self, k: &str) -> bool {
        !matches!(self.find(&self.key(k)), Found::Absent)
    }

    /// The file's value of `{arch}.{k}`, whatever its type, unless an
    /// override hides it. Not recorded.
    pub fn value(&self, k: &str) -> Option<&'g Value<'a>> {
        match self.find(&self.key(k)) {
            Found::File(v) => Some(v),
            _ => None,
        }
    }

    /// An optional unsigned integer: `None` when absent; a present value of
    /// another type is named in [`HParams::missing`].
    pub fn opt_uint(&mut self, k: &str) -> Option<u64> {
        let key = self.key(k);
        let n = match self.find(&key) {
            Found::Absent => return None,
            Found::Override(n) => n,
            Found::File(v) => v.as_uint(),
        };
        match n {
            Some(n) => {
                self.used.push((key, n.to_string()));
                Some(n)
            }
            None => {
                self.missing.push(format!("{key} (not an unsigned integer)"));
                None
            }
        }
    }

    /// A required unsigned integer: as [`HParams::opt_uint`], and named in
    /// [`HParams::missing`] when absent.
    pub fn uint(&mut self, k: &str) -> Option<u64> {
        let had = self.has(k);
        let v = self.opt_uint(k);
        if !had {
            self.missing.push(self.key(k));
        }
        v
    }

    /// The value of layer 0 of a count that may be given per layer: the
    /// integer, or the first element of an array (llama.cpp's `n_head()`
    /// and the like). `None` when absent or malformed (named in
    /// [`HParams::missing`]).
    pub fn first(&mut self, k: &str) -> Option<u64> {
        let key = self.key(k);
        let n = match self.find(&key) {
            Found::Absent => return None,
            Found::Override(n) => n,
            Found::File(v) => v.as_uint().or_else(|| v.as_array()?.iter().next()?.as_uint()),
        };
        match n {
            Some(n) => self.used.push((key, n.to_string())),
            None => self
                .missing
                .push(format!("{key} (not an integer or an array of integers)")),
        }
        n
    }

    /// A count per layer: a single integer for every layer, or an array of
    /// exactly `n_layer` (llama.cpp's `get_key_or_arr`). `Ok(None)` when absent.
    pub fn per_layer(&mut self, k: &str, n_layer: u64) -> Result<Option<Vec<u64>>, Error> {
        let key = self.key(k);
        let v = match self.find(&key) {
            Found::Absent => return Ok(None),
            Found::Override(Some(n)) => return self.every_layer(key, n, n_layer).map(Some),
            Found::Override(None) => None,
            Found::File(v) => Some(v),
        };
        if let Some(n) = v.and_then(Value::as_uint) {
            return self.every_layer(key, n, n_layer).map(Some);
        }
        let Some(a) = v.and_then(Value::as_array) else {
            self.missing
                .push(format!("{key} (not an integer or an array of integers)"));
            return Err(Error::Malformed);
        };
        if a.len() != n_layer {
            return Err(Error::Invalid(format!(
                "{key} has {} values for {n_layer} layers",
                a.len()
            )));
        }
        let mut out = Vec::new();
        for x in a.iter() {
            match x.as_uint() {
                Some(n) => out.push(n),
                None => {
                    self.missing
                        .push(format!("{key} (an element is not an unsigned integer)"));
                    return Err(Error::Malformed);
                }
            }
        }
        let (lo, hi) = (out.iter().min().copied(), out.iter().max().copied());
        let shown = match (lo, hi) {
            (Some(lo), Some(hi)) if lo != hi => format!("per layer, {lo}…{hi}"),
            (Some(lo), _) => format!("per layer, all {lo}"),
            _ => "per layer, empty".to_string(),
        };
        self.used.push((key, shown));
        Ok(Some(out))
    }

    fn every_layer(&mut self, key: String, n: u64, n_layer: u64) -> Result<Vec<u64>, Error> {
        self.used.push((key, n.to_string()));
        let len = usize::try_from(n_layer).map_err(|_| Error::TooLarge)?;
        Ok(vec![n; len])
    }

    /// The sliding-window layers when `{arch}.attention.sliding_window_pattern`
    /// is an array of per-layer flags (booleans or integers, non-zero is
    /// sliding), for `n` layers (missing elements are off, extra ones
    /// ignored); at most 512 elements, as llama.cpp reads them. `Ok(None)`
    /// when the key is absent or not an array (a scalar pattern is read
    /// with [`HParams::opt_uint`]).
    pub fn sliding_window_layers(&mut self, n: usize) -> Result<Option<Vec<bool>>, Error> {
        let k = SLIDING_WINDOW_PATTERN;
        let key = self.key(k);
        let Some(a) = self.value(k).and_then(Value::as_array) else {
            return Ok(None);
        };
        if a.len() > 512 {
            return Err(Error::Invalid(format!(
                "{key} has {} values; at most 512",
                a.len()
            )));
        }
        let mut flags = vec![false; n];
        for (i, x) in a.iter().enumerate() {
            let on = match x {
                Value::Bool(b) => b,
                other => match other.as_uint() {
                    Some(v) => v != 0,
                    None => {
                        self.missing.push(format!("{key} (not booleans or integers)"));
                        return Err(Error::Malformed);
                    }
                },
            };
            if let Some(f) = flags.get_mut(i) {
                *f = on;
            }
        }
        let n_on = flags.iter().filter(|&&f| f).count();
        self.used.push((key, format!("per layer, {n_on} of {n} sliding")));
        Ok(Some(flags))
    }

    /// The vocabulary size: the length of `tokenizer.ggml.tokens`, named in
    /// [`HParams::missing`] when absent.
    pub fn n_vocab(&mut self) -> Option<u64> {
        match self.g.get(TOKENIZER_TOKENS).and_then(Value::as_array) {
            Some(a) => {
                self.used
                    .push((TOKENIZER_TOKENS.into(), format!("{} tokens", a.len())));
                Some(a.len())
            }
            None => {
                self.missing.push(TOKENIZER_TOKENS.into());
                None
            }
        }
    }

    /// Names `what` as needed but absent or malformed (a key, with a reason
    /// in parentheses when it is present).
    pub fn note_missing(&mut self, what: impl Into<String>) {
        self.missing.push(what.into());
    }

    /// Keys read so far, with the values used (`per layer …` for arrays).
    pub fn used(&self) -> &[(String, String)] {
        &self.used
    }

    /// Keys needed so far but absent or malformed, in the order found.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// [`HParams::used`] and [`HParams::missing`], taken.
    pub fn into_records(self) -> (Vec<(String, String)>, Vec<String>) {
        (self.used, self.missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gguf_format::{GgufBuilder, MetaValue, ValueType};

    fn header(keys: &[(&str, MetaValue<'static>)]) -> Vec<u8> {
        let mut b = GgufBuilder::new();
        b.push(ARCHITECTURE, "llama").unwrap();
        for (k, v) in keys {
            b.push(format!("llama.{k}"), v.clone()).unwrap();
        }
        b.write_header(Vec::new()).unwrap().finish().unwrap()
    }

    fn per_layer(values: &[u32]) -> MetaValue<'static> {
        MetaValue::array(ValueType::U32, values.iter().map(|&v| MetaValue::from(v)))
    }

    #[test]
    fn scalars_arrays_and_missing_keys() {
        let bytes = header(&[
            (BLOCK_COUNT, MetaValue::from(3u32)),
            (HEAD_COUNT, per_layer(&[8, 4, 4])),
            (HEAD_COUNT_KV, MetaValue::from("two")),
        ]);
        let g = Gguf::parse(&bytes).unwrap();
        let mut hp = HParams::new(&g);
        assert_eq!(hp.uint(BLOCK_COUNT), Some(3));
        assert_eq!(hp.first(HEAD_COUNT), Some(8));
        assert_eq!(hp.per_layer(HEAD_COUNT, 3), Ok(Some(vec![8, 4, 4])));
        assert_eq!(
            hp.per_layer(HEAD_COUNT, 2),
            Err(Error::Invalid(
                "llama.attention.head_count has 3 values for 2 layers".into()
            ))
        );
        assert_eq!(hp.per_layer(BLOCK_COUNT, 2), Ok(Some(vec![3, 3])));
        assert_eq!(hp.per_layer(HEAD_COUNT_KV, 3), Err(Error::Malformed));
        assert_eq!(hp.opt_uint(EXPERT_COUNT), None);
        assert_eq!(hp.uint(CONTEXT_LENGTH), None);
        assert_eq!(hp.n_vocab(), None);
        assert_eq!(
            hp.missing(),
            [
                "llama.attention.head_count_kv (not an integer or an array of integers)",
                "llama.context_length",
                "tokenizer.ggml.tokens",
            ]
        );
        assert_eq!(hp.used()[1], ("llama.attention.head_count".into(), "8".into()));
        assert_eq!(
            hp.used()[2],
            ("llama.attention.head_count".into(), "per layer, 4…8".into())
        );
    }

    #[test]
    fn overrides_win_and_the_last_one_counts() {
        let bytes = header(&[
            (BLOCK_COUNT, MetaValue::from(3u32)),
            (EXPERT_COUNT, MetaValue::from(8u32)),
        ]);
        let g = Gguf::parse(&bytes).unwrap();
        let mut hp = HParams::new(&g);
        hp.set_override("llama.block_count", Some(5))
            .set_override("llama.block_count", Some(2))
            .set_override("llama.expert_count", None)
            .set_override("llama.context_length", Some(4096));
        assert_eq!(hp.first(BLOCK_COUNT), Some(2));
        assert_eq!(hp.per_layer(BLOCK_COUNT, 2), Ok(Some(vec![2, 2])));
        // An override of another type hides the file's integer.
        assert_eq!(hp.first(EXPERT_COUNT), None);
        assert!(hp.has(EXPERT_COUNT) && hp.value(EXPERT_COUNT).is_none());
        assert_eq!(hp.uint(CONTEXT_LENGTH), Some(4096));
    }
}

//! WordPiece (BERT): `BertModel.set_vocab` — `get_vocab_base`'s tokens in
//! the phantom-space form (`##` continuation stripped, `▁` before a word
//! start, control tokens as they are), `tokenizer.ggml.token_type_count`
//! first, then `SpecialVocab`.

use super::special::{Special, DEFAULT_TYPES};
use super::token_type as tt;
use super::{bpe, push_i32s, push_str, push_strings};
use crate::config::Config;
use crate::error::Result;
use gguf_format::{GgufBuilder, MetaValue};
use std::path::Path;

/// `BertModel.set_vocab`.
pub(crate) fn push(
    b: &mut GgufBuilder<'static>,
    dir: &Path,
    config: &Config,
    pre: Option<&str>,
) -> Result<()> {
    let tok = bpe::load(dir)?;
    let (tokens, types) = bpe::read_vocab(dir, config, &tok)?;
    let pre = bpe::pre_name(dir, &tok, pre)?;
    let count = match config.get("type_vocab_size").filter(|v| !v.is_null()) {
        Some(_) => config.u64("type_vocab_size")?,
        None => 1,
    };
    let count = u32::try_from(count).map_err(|_| config.err("type_vocab_size", "does not fit a UINT32"))?;
    b.set("tokenizer.ggml.token_type_count", MetaValue::U32(count))?;
    let tokens: Vec<Vec<u8>> = tokens
        .into_iter()
        .zip(&types)
        .map(|(t, &ty)| {
            if ty == tt::CONTROL {
                t
            } else if let Some(rest) = t.strip_prefix("##") {
                rest.to_string()
            } else {
                format!("\u{2581}{t}")
            }
            .into_bytes()
        })
        .collect();
    let n = tokens.len();
    push_str(b, "tokenizer.ggml.model", "bert")?;
    push_str(b, "tokenizer.ggml.pre", &pre)?;
    push_strings(b, "tokenizer.ggml.tokens", tokens)?;
    push_i32s(b, "tokenizer.ggml.token_type", &types)?;
    Special::load(dir, false, DEFAULT_TYPES, Some(n))?.push(b)
}

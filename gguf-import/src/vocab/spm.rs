//! SentencePiece `tokenizer.model`: the converter's
//! `_create_vocab_sentencepiece` (and Phi-3's copy of it, which differs in
//! how added tokens are typed), then `SpecialVocab`.

use super::special::{Special, DEFAULT_TYPES};
use super::token_type as tt;
use super::{looks_special, push_f32s, push_i32s, push_str, push_strings, read_json, tokenizer_err};
use crate::config::Config;
use crate::error::Result;
use gguf_format::GgufBuilder;
use sentencepiece_model::{SentencePieceModel, Type};
use serde_json::Value;
use std::path::Path;

/// Which copy of the converter's SentencePiece reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `TextModel._create_vocab_sentencepiece`.
    Llama,
    /// `Phi3MiniModel.set_vocab`.
    Phi3,
}

/// Tokens, scores and token types.
type Vocab = (Vec<Vec<u8>>, Vec<f32>, Vec<i32>);

fn read_vocab(dir: &Path, config: &Config, flavor: Flavor) -> Result<Vocab> {
    let path = dir.join("tokenizer.model");
    let bytes = std::fs::read(&path).map_err(|source| crate::error::Error::Io {
        path: path.clone(),
        source,
    })?;
    let model = SentencePieceModel::from_slice(&bytes)
        .map_err(|e| tokenizer_err(&path, format!("not a SentencePiece model: {e}")))?;
    let pieces = model.pieces();
    let keys: &[&str] = match flavor {
        Flavor::Llama => &["vocab_size_per_layer_input", "vocab_size"],
        Flavor::Phi3 => &["vocab_size"],
    };
    let vocab_size = match config.find(keys).filter(|(_, v)| !v.is_null()) {
        Some((k, _)) => config.u64(k)? as usize,
        None => pieces.len(),
    };
    if pieces.len() > vocab_size {
        return Err(tokenizer_err(
            &path,
            format!(
                "{} pieces, more than config.json's vocab_size {vocab_size}",
                pieces.len()
            ),
        ));
    }
    let mut tokens: Vec<Vec<u8>> = (0..vocab_size)
        .map(|i| format!("[PAD{i}]").into_bytes())
        .collect();
    let mut scores = vec![-10000.0f32; vocab_size];
    let mut types = vec![tt::UNUSED; vocab_size];
    for (i, p) in pieces.iter().enumerate() {
        tokens[i] = p.piece().as_bytes().to_vec();
        scores[i] = p.score();
        types[i] = match p.r#type() {
            Type::Unknown => tt::UNKNOWN,
            Type::Control => tt::CONTROL,
            Type::Unused => tt::UNUSED,
            Type::Byte => tt::BYTE,
            _ => tt::NORMAL,
        };
    }
    let out_of_range = |file: &Path, id: u64| {
        tokenizer_err(
            file,
            format!("token id {id} is out of range (vocab_size {vocab_size})"),
        )
    };
    let added = dir.join("added_tokens.json");
    if added.is_file() {
        if let Value::Object(m) = read_json(&added)? {
            for (key, id) in m {
                let Some(id) = id.as_u64() else { continue };
                if id as usize >= vocab_size {
                    continue;
                }
                tokens[id as usize] = key.into_bytes();
                scores[id as usize] = -1000.0;
                types[id as usize] = tt::USER_DEFINED;
            }
        }
    }
    let tc = dir.join("tokenizer_config.json");
    if tc.is_file() {
        let json = read_json(&tc)?;
        if let Some(decoder) = json.get("added_tokens_decoder").and_then(Value::as_object) {
            for (id, data) in decoder {
                let id: u64 = id.parse().map_err(|_| {
                    tokenizer_err(&tc, format!("added_tokens_decoder key {id:?} is not an id"))
                })?;
                let content = data
                    .get("content")
                    .and_then(Value::as_str)
                    .ok_or_else(|| tokenizer_err(&tc, format!("added token {id} has no content")))?;
                let special = data.get("special").and_then(Value::as_bool).unwrap_or(false);
                if id as usize >= vocab_size {
                    match flavor {
                        Flavor::Llama => continue,
                        Flavor::Phi3 => return Err(out_of_range(&tc, id)),
                    }
                }
                let i = id as usize;
                let token = match flavor {
                    Flavor::Llama => {
                        if special || looks_special(content) {
                            types[i] = tt::CONTROL;
                            content.to_string()
                        } else {
                            types[i] = tt::USER_DEFINED;
                            content.replace('\u{2581}', " ")
                        }
                    }
                    Flavor::Phi3 => {
                        types[i] = if special { tt::CONTROL } else { tt::USER_DEFINED };
                        content.to_string()
                    }
                };
                scores[i] = -1000.0;
                tokens[i] = token.into_bytes();
            }
        }
    }
    let tj = dir.join("tokenizer.json");
    if flavor == Flavor::Phi3 && tj.is_file() {
        let json = super::read_tokenizer_json(&tj, false)?;
        for data in json
            .get("added_tokens")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = data
                .get("id")
                .and_then(Value::as_u64)
                .ok_or_else(|| tokenizer_err(&tj, "an added token has no id"))?;
            let content = data
                .get("content")
                .and_then(Value::as_str)
                .ok_or_else(|| tokenizer_err(&tj, format!("added token {id} has no content")))?;
            if id as usize >= vocab_size {
                return Err(out_of_range(&tj, id));
            }
            let i = id as usize;
            tokens[i] = content.as_bytes().to_vec();
            scores[i] = -1000.0;
            types[i] = if data.get("special").and_then(Value::as_bool).unwrap_or(false) {
                tt::CONTROL
            } else {
                tt::USER_DEFINED
            };
        }
    }
    Ok((tokens, scores, types))
}

/// `_set_vocab_sentencepiece` (or Phi-3's): model `llama`, pre `default`,
/// tokens, scores, token types, then `SpecialVocab`.
pub(crate) fn push(b: &mut GgufBuilder<'static>, dir: &Path, config: &Config, flavor: Flavor) -> Result<()> {
    let (tokens, scores, types) = read_vocab(dir, config, flavor)?;
    push_vocab(b, dir, tokens, &scores, &types)
}

/// What every SentencePiece-style vocabulary ends with (this one and
/// `LlamaHfVocab`'s): model `llama`, pre `default`, tokens, scores and
/// token types, then `SpecialVocab` over as many tokens.
pub(crate) fn push_vocab(
    b: &mut GgufBuilder<'static>,
    dir: &Path,
    tokens: Vec<Vec<u8>>,
    scores: &[f32],
    types: &[i32],
) -> Result<()> {
    let n = tokens.len();
    push_str(b, "tokenizer.ggml.model", "llama")?;
    push_str(b, "tokenizer.ggml.pre", "default")?;
    push_strings(b, "tokenizer.ggml.tokens", tokens)?;
    push_f32s(b, "tokenizer.ggml.scores", scores)?;
    push_i32s(b, "tokenizer.ggml.token_type", types)?;
    Special::load(dir, false, DEFAULT_TYPES, Some(n))?.push(b)
}

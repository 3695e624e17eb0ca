//! GPT-2-style BPE from `tokenizer.json`: the converter's `get_vocab_base`
//! and `_set_vocab_gpt2` (tokens, token types, `tokenizer.ggml.pre` from
//! the chkhsh, then `SpecialVocab` with merges).

use super::special::{Special, DEFAULT_TYPES};
use super::token_type as tt;
use super::{looks_special, pre, push_i32s, push_str, push_strings, read_json, tokenizer_err};
use crate::config::Config;
use crate::error::{Error, Result};
use gguf_format::GgufBuilder;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::ModelWrapper;
use tokenizers::Tokenizer;

/// Whether `tokenizer.json` is a SentencePiece-style BPE (byte fallback,
/// a sequence of decoders), which the converter reads through
/// `LlamaHfVocab` for a llama.
fn is_llama_hf(tok: &Tokenizer) -> bool {
    matches!(tok.get_model(), ModelWrapper::BPE(m) if m.byte_fallback)
        && matches!(tok.get_decoder(), Some(DecoderWrapper::Sequence(_)))
}

/// Loads `tokenizer.json` with Hugging Face's `tokenizers`, without its
/// truncation and padding, for encoding chktxt and the added tokens (all
/// this module encodes; see [`super::tokenizer_json`]).
pub(crate) fn load(dir: &Path) -> Result<Tokenizer> {
    super::tokenizer_json::load_for(dir, &[pre::CHKTXT])
}

/// A special token's content in `tokenizer_config.json` (a string or an
/// `AddedToken` object).
fn token_content(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("content")?.as_str(),
        _ => None,
    }
}

/// The ids `AutoTokenizer.from_pretrained(dir).encode(chktxt)` gives:
/// `tokenizer.json`'s with special tokens, except that transformers
/// rebuilds the post-processor of `LlamaTokenizerFast` from
/// `add_bos_token` (default true) / `add_eos_token` (default false).
pub(crate) fn chktxt_ids(dir: &Path, tok: &Tokenizer) -> Result<Vec<u32>> {
    let path = dir.join("tokenizer.json");
    let tc_path = dir.join("tokenizer_config.json");
    let tc = if tc_path.is_file() {
        read_json(&tc_path)?
    } else {
        Value::Null
    };
    let enc = |special: bool| {
        tok.encode(pre::CHKTXT, special)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| tokenizer_err(&path, format!("cannot encode chktxt: {e}")))
    };
    if tc.get("tokenizer_class").and_then(Value::as_str) != Some("LlamaTokenizerFast") {
        return enc(true);
    }
    let flag = |k: &str, d: bool| tc.get(k).and_then(Value::as_bool).unwrap_or(d);
    let id_of = |k: &str| -> Result<Option<u32>> {
        match token_content(tc.get(k)) {
            None => Ok(None),
            Some(t) => tok
                .token_to_id(t)
                .map(Some)
                .ok_or_else(|| tokenizer_err(&tc_path, format!("{k} {t:?} is not in the vocabulary"))),
        }
    };
    let mut ids = Vec::new();
    if flag("add_bos_token", true) {
        ids.extend(id_of("bos_token")?);
    }
    ids.extend(enc(false)?);
    if flag("add_eos_token", false) {
        ids.extend(id_of("eos_token")?);
    }
    Ok(ids)
}

/// `tokenizer.ggml.pre`: `pre` when given, else the chkhsh table's.
pub(crate) fn pre_name(dir: &Path, tok: &Tokenizer, pre: Option<&str>) -> Result<String> {
    if let Some(p) = pre {
        return Ok(p.to_string());
    }
    let hash = pre::chkhsh(&chktxt_ids(dir, tok)?);
    match pre::lookup(&hash) {
        Some(name) => Ok(name.to_string()),
        None => Err(Error::UnknownPreTokenizer {
            path: dir.join("tokenizer.json"),
            chkhsh: hash,
        }),
    }
}

/// Whether `tokenizer_config.json` asks transformers' `decode` to clean up
/// tokenization spaces.
fn clean_up_spaces(dir: &Path) -> Result<bool> {
    let tc = dir.join("tokenizer_config.json");
    if !tc.is_file() {
        return Ok(false);
    }
    Ok(read_json(&tc)?
        .get("clean_up_tokenization_spaces")
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

/// `tokenizer.decode(tokenizer.encode(token, add_special_tokens=False))`,
/// what the converter makes of an added token that is not normalized.
fn decode_encode(tok: &Tokenizer, token: &str, cleanup: bool, path: &Path) -> Result<String> {
    let err = |e: tokenizers::Error| tokenizer_err(path, format!("added token {token:?}: {e}"));
    let ids = tok.encode(token, false).map_err(err)?.get_ids().to_vec();
    let mut text = tok.decode(&ids, false).map_err(err)?;
    if cleanup {
        for (from, to) in [
            (" .", "."),
            (" ?", "?"),
            (" !", "!"),
            (" ,", ","),
            (" ' ", "'"),
            (" n't", "n't"),
            (" 'm", "'m"),
            (" 's", "'s"),
            (" 've", "'ve"),
            (" 're", "'re"),
        ] {
            text = text.replace(from, to);
        }
    }
    Ok(text)
}

/// `get_vocab_base`: tokens and their types, `vocab_size` long.
pub(crate) fn read_vocab(dir: &Path, config: &Config, tok: &Tokenizer) -> Result<(Vec<String>, Vec<i32>)> {
    let path = dir.join("tokenizer.json");
    let vocab = tok.get_vocab(true);
    let vocab_size = match config.get("vocab_size").filter(|v| !v.is_null()) {
        Some(_) => config.u64("vocab_size")? as usize,
        None => vocab.len(),
    };
    if let Some(max) = vocab.values().max() {
        if *max as usize >= vocab_size {
            return Err(tokenizer_err(
                &path,
                format!("token id {max} is not under config.json's vocab_size {vocab_size}"),
            ));
        }
    }
    let cleanup = clean_up_spaces(dir)?;
    // Every id is under vocab_size (checked above).
    let mut reverse: Vec<Option<&str>> = vec![None; vocab_size];
    for (t, &i) in &vocab {
        reverse[i as usize] = Some(t.as_str());
    }
    let added = tok.get_added_tokens_decoder();
    let added_content: HashMap<&str, u32> = added.iter().map(|(&i, t)| (t.content.as_str(), i)).collect();
    let mut tokens = Vec::with_capacity(vocab_size);
    let mut types = Vec::with_capacity(vocab_size);
    for i in 0..vocab_size as u32 {
        let Some(token) = reverse[i as usize] else {
            tokens.push(format!("[PAD{i}]"));
            types.push(tt::UNUSED);
            continue;
        };
        if added_content.contains_key(token) {
            let special = added.get(&i).is_some_and(|t| t.special);
            let normalized = added.get(&i).is_none_or(|t| t.normalized);
            let round_trip;
            let token = if normalized {
                token
            } else {
                round_trip = decode_encode(tok, token, cleanup, &path)?;
                round_trip.as_str()
            };
            if special || looks_special(token) {
                tokens.push(token.to_string());
                types.push(tt::CONTROL);
            } else {
                tokens.push(token.replace('\u{2581}', " "));
                types.push(tt::USER_DEFINED);
            }
        } else {
            tokens.push(token.to_string());
            types.push(tt::NORMAL);
        }
    }
    Ok((tokens, types))
}

/// `_set_vocab_gpt2`; for a llama (`llama_hf_first`), `_set_vocab_llama_hf`
/// instead when `tokenizer.json` is SentencePiece-style, as the converter
/// tries that first.
pub(crate) fn push(
    b: &mut GgufBuilder<'static>,
    dir: &Path,
    config: &Config,
    pre: Option<&str>,
    llama_hf_first: bool,
) -> Result<()> {
    // `tokenizers` builds the model (most of the time an import takes)
    // while this thread reads what SpecialVocab reads; the tokenizer's
    // error, if any, comes first, as it would one after the other.
    let (tok, special) = std::thread::scope(|s| {
        let loading = s.spawn(|| load(dir));
        let special = Special::load(dir, true, DEFAULT_TYPES, None);
        let tok = loading.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (tok, special)
    });
    let tok = tok?;
    if llama_hf_first && is_llama_hf(&tok) {
        // What SpecialVocab read for this path is not used.
        drop(special);
        return super::llama_hf::push(b, dir, &tok);
    }
    let (tokens, types) = read_vocab(dir, config, &tok)?;
    let pre = pre_name(dir, &tok, pre)?;
    // A large tokenizer takes tens of milliseconds to free: another
    // thread does that while this one goes on (or this one, if no thread
    // can be started: the closure, `tok` with it, is dropped here then).
    let _ = std::thread::Builder::new().spawn(move || drop(tok));
    let special = special?;
    push_str(b, "tokenizer.ggml.model", "gpt2")?;
    push_str(b, "tokenizer.ggml.pre", &pre)?;
    push_strings(
        b,
        "tokenizer.ggml.tokens",
        tokens.into_iter().map(String::into_bytes),
    )?;
    push_i32s(b, "tokenizer.ggml.token_type", &types)?;
    special.push(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::tests::golden;

    /// DeepSeek V3's `tokenizer_config.json` names `LlamaTokenizerFast`:
    /// AutoTokenizer's ids start with BOS, `tokenizer.json`'s alone do not,
    /// and the two hashes name different pre-tokenizers.
    #[test]
    fn llama_tokenizer_fast_rebuilds_the_post_processor() {
        let dir = golden("qwen2-bpe");
        let tok = load(&dir).unwrap();
        let raw = tok.encode(pre::CHKTXT, true).unwrap().get_ids().to_vec();
        assert_eq!(pre::lookup(&pre::chkhsh(&raw)), Some("joyai-llm"));
        let ids = chktxt_ids(&dir, &tok).unwrap();
        assert_eq!(ids[0], 0, "BOS first");
        assert_eq!(&ids[1..], &raw[..]);
        assert_eq!(pre_name(&dir, &tok, None).unwrap(), "deepseek-v3");
        assert_eq!(pre_name(&dir, &tok, Some("x")).unwrap(), "x");
    }

    /// A later row of the table wins (BERT's hash is listed twice).
    #[test]
    fn bert_hash_takes_the_later_row() {
        let dir = golden("bert-wordpiece");
        let tok = load(&dir).unwrap();
        assert_eq!(pre_name(&dir, &tok, None).unwrap(), "jina-v2-en");
    }
}

//! gguf-py's `LlamaHfVocab`: a Llama (SentencePiece-style, byte-fallback)
//! BPE `tokenizer.json` without a `tokenizer.model` — the base vocabulary
//! with score -1000, `<0xHH>` as byte tokens, special tokens as control
//! tokens, then the added tokens past the base vocabulary; then
//! `SpecialVocab`.

use super::token_type as tt;
use super::{read_json, tokenizer_err};
use crate::error::Result;
use gguf_format::GgufBuilder;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use tokenizers::Tokenizer;

/// `<0xHH>`, a byte-fallback token.
pub(crate) fn is_byte_token(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 6
        && t.starts_with("<0x")
        && t.ends_with('>')
        && b[3].is_ascii_hexdigit()
        && b[4].is_ascii_hexdigit()
}

/// The special tokens of transformers' `LlamaTokenizerFast`
/// (`all_special_tokens`): its special-token attributes from
/// `tokenizer_config.json` and `special_tokens_map.json`, the class's
/// defaults (`<unk>`, `<s>`, `</s>`) where neither sets one.
fn special_tokens(dir: &Path) -> Result<Vec<String>> {
    let mut attrs: Vec<(&str, Option<String>)> = vec![
        ("bos_token", Some("<s>".into())),
        ("eos_token", Some("</s>".into())),
        ("unk_token", Some("<unk>".into())),
        ("sep_token", None),
        ("pad_token", None),
        ("cls_token", None),
        ("mask_token", None),
    ];
    let mut additional: Vec<String> = Vec::new();
    let content = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    for file in ["tokenizer_config.json", "special_tokens_map.json"] {
        let path = dir.join(file);
        if !path.is_file() {
            continue;
        }
        let json = read_json(&path)?;
        for (k, v) in attrs.iter_mut() {
            if let Some(x) = json.get(*k) {
                *v = content(x);
            }
        }
        if let Some(list) = json.get("additional_special_tokens").and_then(Value::as_array) {
            additional = list.iter().filter_map(content).collect();
        }
    }
    let mut out: Vec<String> = attrs.into_iter().filter_map(|(_, v)| v).collect();
    for a in additional {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

/// `_set_vocab_llama_hf`.
pub(crate) fn push(b: &mut GgufBuilder<'static>, dir: &Path, tok: &Tokenizer) -> Result<()> {
    let path = dir.join("tokenizer.json");
    let base = tok.get_vocab(false);
    let base_size = base.len();
    let full = tok.get_vocab(true);
    let reverse: HashMap<u32, &str> = full.iter().map(|(t, &i)| (i, t.as_str())).collect();
    let special_ids: HashSet<u32> = special_tokens(dir)?
        .iter()
        .filter_map(|t| tok.token_to_id(t))
        .collect();
    let mut tokens = Vec::new();
    let mut scores = Vec::new();
    let mut types = Vec::new();
    for i in 0..base_size as u32 {
        let t = reverse
            .get(&i)
            .ok_or_else(|| tokenizer_err(&path, format!("token id {i} is missing from the vocabulary")))?;
        tokens.push(t.as_bytes().to_vec());
        scores.push(-1000.0f32);
        types.push(if is_byte_token(t) {
            tt::BYTE
        } else if special_ids.contains(&i) {
            tt::CONTROL
        } else {
            tt::NORMAL
        });
    }
    let mut added: Vec<(u32, String)> = tok
        .get_added_tokens_decoder()
        .into_iter()
        .filter(|(i, _)| *i as usize >= base_size)
        .map(|(i, t)| (i, t.content))
        .collect();
    added.sort();
    for (i, t) in added {
        tokens.push(t.into_bytes());
        scores.push(-1000.0);
        types.push(if special_ids.contains(&i) {
            tt::CONTROL
        } else {
            tt::USER_DEFINED
        });
    }
    super::spm::push_vocab(b, dir, tokens, &scores, &types)
}

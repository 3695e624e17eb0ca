//! Loading `tokenizer.json` with Hugging Face's `tokenizers` for the few
//! texts the converter encodes.
//!
//! Building a large BPE model is most of what loading costs (Llama 3's
//! 280,147 merges: about half a second here), and the converter encodes
//! only chktxt and the added tokens. A merge `(a, b)` can only ever fire
//! inside a word (a piece the normalizer and pre-tokenizer hand to the
//! model) of which `a + b` is a substring, so [`load_for`] keeps exactly the
//! merges whose `a + b` is a substring of some word of those texts — in
//! their order, which is all BPE compares — and the whole vocabulary.
//! The words come from the tokenizer's own normalizer, pre-tokenizer and
//! added-token splitting, so the encodings of those texts are the full
//! model's, id for id. Every merge is still checked against the
//! vocabulary, as the full build checks it.
//!
//! Anything this reasoning does not cover — a model other than BPE,
//! dropout, a continuing-subword prefix or end-of-word suffix, a word with
//! too many substrings — is loaded in full.

use super::llama_hf::is_byte_token;
use super::tokenizer_err;
use crate::error::Result;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{Model as _, OffsetReferential, OffsetType, PreTokenizer, Tokenizer, TokenizerImpl};

/// A tokenizer deserialized with its model known to be BPE (no guessing
/// among model types, which buffers the whole model first).
type BpeTokenizer =
    TokenizerImpl<BPE, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>;

/// The most substrings the words may have before the merges are kept
/// whole instead (a pre-tokenizer that leaves long words).
const MAX_SUBSTRINGS: usize = 1 << 20;

/// `tokenizer.json`'s top level, as far as the filter reads it.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow, default)]
    model: Option<Model<'a>>,
}

/// The model's fields the filter depends on; the vocabulary and merges
/// where they are in the file.
#[derive(Deserialize)]
struct Model<'a> {
    #[serde(rename = "type", default)]
    kind: Value,
    #[serde(default)]
    dropout: Value,
    #[serde(default)]
    continuing_subword_prefix: Value,
    #[serde(default)]
    end_of_word_suffix: Value,
    #[serde(default)]
    byte_fallback: Value,
    #[serde(default)]
    unk_token: Value,
    #[serde(borrow, default)]
    vocab: Option<&'a RawValue>,
    #[serde(borrow, default)]
    merges: Option<&'a RawValue>,
}

/// One entry of `model.merges`: `"a b"` (the legacy form) or `["a", "b"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Merge<'a> {
    Line(#[serde(borrow)] Cow<'a, str>),
    Pair(#[serde(borrow)] Cow<'a, str>, #[serde(borrow)] Cow<'a, str>),
}

impl Merge<'_> {
    /// The two tokens, or `None` where the full build would skip the
    /// entry (a legacy `#version` line) or reject it (not two tokens).
    fn tokens(&self) -> Option<(&str, &str)> {
        match self {
            Merge::Line(l) if l.starts_with("#version") => None,
            Merge::Line(l) => l.split_once(' ').filter(|(_, b)| !b.contains(' ')),
            Merge::Pair(a, b) => Some((a, b)),
        }
    }
}

/// Loads the tokenizer of `dir`, without truncation and padding, so that
/// it encodes `texts` and the added tokens' contents as the full tokenizer
/// does (other texts may encode differently: see the module's comment).
pub(crate) fn load_for(dir: &Path, texts: &[&str]) -> Result<Tokenizer> {
    let path = dir.join("tokenizer.json");
    if !path.is_file() {
        return Err(tokenizer_err(&path, "missing (no tokenizer.model either)"));
    }
    let bytes = std::fs::read(&path).map_err(|source| crate::error::Error::Io {
        path: path.clone(),
        source,
    })?;
    let bad = |e: String| tokenizer_err(&path, format!("does not parse: {e}"));
    let mut tok = match reduced(&bytes, texts).map_err(bad)? {
        Some(tok) => tok,
        None => Tokenizer::from_bytes(&bytes).map_err(|e| bad(e.to_string()))?,
    };
    // The converter's AutoTokenizer encodes without truncation or padding.
    tok.with_truncation(None)
        .map_err(|e| tokenizer_err(&path, format!("cannot turn truncation off: {e}")))?;
    tok.with_padding(None);
    Ok(tok)
}

/// The byte range of `part`, a slice of `whole`.
fn span(whole: &[u8], part: &str) -> std::ops::Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// `bytes` with each range (not overlapping) replaced.
fn splice<const N: usize>(bytes: &[u8], mut parts: [(std::ops::Range<usize>, &[u8]); N]) -> Vec<u8> {
    parts.sort_by_key(|(range, _)| range.start);
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (range, with) in parts {
        out.extend_from_slice(&bytes[at..range.start]);
        out.extend_from_slice(with);
        at = range.end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// The tokenizer with only the merges `texts` can use, or `None` where the
/// full load is needed (or gives the error).
fn reduced(bytes: &[u8], texts: &[&str]) -> std::result::Result<Option<Tokenizer>, String> {
    let Ok(Top { model: Some(model) }) = serde_json::from_slice::<Top>(bytes) else {
        return Ok(None);
    };
    let (Some(vocab_raw), Some(merges_raw)) = (model.vocab, model.merges) else {
        return Ok(None);
    };
    let plain = |v: &Value| v.is_null() || v.as_str() == Some("");
    if model.kind.as_str() != Some("BPE")
        || !model.dropout.is_null()
        || !plain(&model.continuing_subword_prefix)
        || !plain(&model.end_of_word_suffix)
    {
        return Ok(None);
    }
    let (vocab_span, merges_span) = (span(bytes, vocab_raw.get()), span(bytes, merges_raw.get()));
    // The normalizer, pre-tokenizer and added tokens over an empty model:
    // the pieces each text reaches the model as.
    let empty = splice(
        bytes,
        [(vocab_span.clone(), &b"{}"[..]), (merges_span.clone(), b"[]")],
    );
    let Ok(skeleton) = serde_json::from_slice::<BpeTokenizer>(&empty) else {
        return Ok(None);
    };
    let added: Vec<String> = skeleton
        .get_added_vocabulary()
        .get_added_tokens_decoder()
        .values()
        .map(|t| t.content.clone())
        .collect();
    let mut words: HashSet<String> = HashSet::new();
    for text in texts.iter().copied().chain(added.iter().map(String::as_str)) {
        let mut pieces = skeleton
            .get_added_vocabulary()
            .extract_and_normalize(skeleton.get_normalizer(), text);
        if let Some(p) = skeleton.get_pre_tokenizer() {
            p.pre_tokenize(&mut pieces).map_err(|e| e.to_string())?;
        }
        for (word, _, tokens) in pieces.get_splits(OffsetReferential::Original, OffsetType::Byte) {
            if tokens.is_none() {
                words.insert(word.to_string());
            }
        }
    }
    let Some(substrings) = substrings(&words) else {
        return Ok(None);
    };
    let Ok(merges) = serde_json::from_str::<Vec<Merge>>(merges_raw.get()) else {
        return Ok(None);
    };
    // Tokens BPE starts from that are not pieces of a word.
    let byte_fallback = model.byte_fallback.as_bool() == Some(true);
    let unk = model.unk_token.as_str();
    let starts = |t: &str| Some(t) == unk || (byte_fallback && is_byte_token(t));
    let mut pairs = Vec::with_capacity(merges.len());
    let mut kept: Vec<(&str, &str)> = Vec::new();
    let mut joined = String::new();
    // The full build reads the list in one form or the other, not both.
    if merges.iter().any(|m| matches!(m, Merge::Line(_)))
        && merges.iter().any(|m| matches!(m, Merge::Pair(..)))
    {
        return Ok(None);
    }
    for m in &merges {
        // An entry the full build skips or rejects: it judges them all.
        let Some((a, b)) = m.tokens() else {
            return Ok(None);
        };
        joined.clear();
        joined.push_str(a);
        joined.push_str(b);
        if substrings.contains(joined.as_str()) || starts(a) || starts(b) {
            kept.push((a, b));
        }
        pairs.push((a, b));
    }
    let kept = serde_json::to_vec(&kept).map_err(|e| e.to_string())?;
    let json = splice(bytes, [(merges_span, &kept[..])]);
    let tok = Tokenizer::from(serde_json::from_slice::<BpeTokenizer>(&json).map_err(|e| e.to_string())?);
    // The full build's check of every merge, against the model's
    // vocabulary (on both cores: most of what is left to do).
    let model = tok.get_model();
    pairs
        .par_chunks(1 << 14)
        .try_for_each_init(String::new, |joined, chunk| {
            for &(a, b) in chunk {
                joined.clear();
                joined.push_str(a);
                joined.push_str(b);
                for t in [a, b, joined.as_str()] {
                    if model.token_to_id(t).is_none() {
                        return Err(format!("merge {a:?} {b:?}: {t:?} is not in the vocabulary"));
                    }
                }
            }
            Ok(())
        })?;
    Ok(Some(tok))
}

/// Every substring of every word (at character boundaries), or `None`
/// when there would be more than [`MAX_SUBSTRINGS`].
fn substrings(words: &HashSet<String>) -> Option<HashSet<&str>> {
    let mut set = HashSet::new();
    for w in words {
        let ends: Vec<usize> = w.char_indices().map(|(i, _)| i).chain([w.len()]).collect();
        if set.len() + ends.len() * ends.len() / 2 > MAX_SUBSTRINGS {
            return None;
        }
        for (k, &i) in ends.iter().enumerate() {
            for &j in &ends[k + 1..] {
                set.insert(&w[i..j]);
            }
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::pre::CHKTXT;
    use crate::vocab::tests::golden;

    fn full(dir: &Path) -> Tokenizer {
        Tokenizer::from_file(dir.join("tokenizer.json")).unwrap()
    }

    fn n_merges(tok: &Tokenizer) -> usize {
        let model = serde_json::to_value(tok.get_model()).unwrap();
        model["merges"].as_array().unwrap().len()
    }

    const OTHER_TEXTS: &[&str] = &[
        "Hello world, this is a test.",
        "  leading spaces\tand\ttabs\n\nnew lines  ",
        "Zahlen 1234567 und Wörter; 数字と言葉 🦙🦙 ÅÄÖ",
        "<|begin_of_text|>special tokens <s> </s> inside",
    ];

    /// For every BPE tokenizer.json of the golden models (legacy and pair
    /// merges, byte fallback, hundreds of added tokens): the reduced
    /// tokenizer keeps far fewer merges and encodes the texts it was made
    /// for, with and without special tokens, and decodes the added tokens,
    /// id for id as the full one.
    #[test]
    fn reduced_tokenizers_encode_their_texts_as_the_full_ones() {
        for name in ["llama3-bpe", "qwen2-bpe", "qwen3-bpe", "mistral-hf"] {
            let dir = golden(name);
            let bytes = std::fs::read(dir.join("tokenizer.json")).unwrap();
            let full = full(&dir);
            let texts: Vec<&str> = [CHKTXT].iter().chain(OTHER_TEXTS).copied().collect();
            let reduced = reduced(&bytes, &texts).unwrap().expect("the fast path");
            assert!(
                n_merges(&reduced) * 10 < n_merges(&full),
                "{name}: {} of {} merges kept",
                n_merges(&reduced),
                n_merges(&full)
            );
            for text in texts {
                for special in [false, true] {
                    assert_eq!(
                        reduced.encode(text, special).unwrap().get_ids(),
                        full.encode(text, special).unwrap().get_ids(),
                        "{name}: {text:?}"
                    );
                }
            }
            assert_eq!(reduced.get_vocab(true), full.get_vocab(true), "{name}");
            for (id, t) in full.get_added_tokens_decoder() {
                let ids = full.encode(t.content.as_str(), false).unwrap().get_ids().to_vec();
                assert_eq!(reduced.encode(t.content.as_str(), false).unwrap().get_ids(), ids);
                assert_eq!(
                    reduced.decode(&ids, false).unwrap(),
                    full.decode(&ids, false).unwrap()
                );
                assert_eq!(reduced.id_to_token(id), full.id_to_token(id));
            }
        }
    }

    /// The filter is exact, not lucky: without it, chktxt encodes
    /// differently (the merges left out are ones other texts need).
    #[test]
    fn texts_not_asked_for_may_encode_differently() {
        let dir = golden("llama3-bpe");
        let bytes = std::fs::read(dir.join("tokenizer.json")).unwrap();
        let only_chktxt = reduced(&bytes, &[CHKTXT]).unwrap().unwrap();
        let text = "antidisestablishmentarianism internationalization";
        assert_ne!(
            only_chktxt.encode(text, false).unwrap().get_ids(),
            full(&dir).encode(text, false).unwrap().get_ids()
        );
    }

    /// Where the reasoning does not hold, the tokenizer is loaded whole.
    #[test]
    fn dropout_prefixes_and_other_models_load_in_full() {
        let bytes = std::fs::read(golden("qwen3-bpe").join("tokenizer.json")).unwrap();
        let mut json: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(reduced(&bytes, &[CHKTXT]).unwrap().is_some());
        // Written back in another key order (merges before vocab), still.
        assert!(reduced(&serde_json::to_vec(&json).unwrap(), &[CHKTXT])
            .unwrap()
            .is_some());
        for (key, value) in [
            ("dropout", serde_json::json!(0.1)),
            ("continuing_subword_prefix", serde_json::json!("##")),
            ("end_of_word_suffix", serde_json::json!("</w>")),
        ] {
            let mut j = json.clone();
            j["model"][key] = value;
            assert!(
                reduced(&serde_json::to_vec(&j).unwrap(), &[CHKTXT])
                    .unwrap()
                    .is_none(),
                "{key}"
            );
        }
        // A merge list mixing both forms, which the full build rejects.
        json["model"]["merges"].as_array_mut().unwrap()[0] = serde_json::json!("a b");
        let mixed = serde_json::to_vec(&json).unwrap();
        assert!(reduced(&mixed, &[CHKTXT]).unwrap().is_none());
        assert!(Tokenizer::from_bytes(&mixed).is_err());
        let bert = std::fs::read(golden("bert-wordpiece").join("tokenizer.json")).unwrap();
        assert!(reduced(&bert, &[CHKTXT]).unwrap().is_none());
    }

    /// A merge whose token is not in the vocabulary fails as the full
    /// build fails, though no text needs that merge.
    #[test]
    fn a_merge_out_of_the_vocabulary_is_an_error() {
        let dir = golden("qwen3-bpe");
        let mut json: Value =
            serde_json::from_slice(&std::fs::read(dir.join("tokenizer.json")).unwrap()).unwrap();
        let merges = json["model"]["merges"].as_array_mut().unwrap();
        let last = merges.len() - 1;
        merges[last] = serde_json::json!(["zz\u{1F999}", "q"]);
        let bytes = serde_json::to_vec(&json).unwrap();
        assert!(Tokenizer::from_bytes(&bytes).is_err());
        let err = reduced(&bytes, &[CHKTXT]).unwrap_err();
        assert!(
            err.contains("not in the vocabulary") && err.contains("zz"),
            "{err}"
        );
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("tokenizer.json"), &bytes).unwrap();
        let err = load_for(tmp.path(), &[CHKTXT]).unwrap_err().to_string();
        assert!(
            err.contains("tokenizer.json") && err.contains("does not parse"),
            "{err}"
        );
    }
}

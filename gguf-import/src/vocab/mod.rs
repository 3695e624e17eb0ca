//! The tokenizer metadata: every `tokenizer.*` key llama.cpp's converter
//! writes, in its order, appended after `general.quantization_version`.
//!
//! - [`spm`]: SentencePiece `tokenizer.model` (`_set_vocab_sentencepiece`,
//!   Phi-3's own variant, Gemma's `add_space_prefix`);
//! - [`bpe`]: GPT-2-style BPE from `tokenizer.json` (`_set_vocab_gpt2`),
//!   `tokenizer.ggml.pre` chosen by the hash of chktxt's ids ([`pre`]);
//! - [`llama_hf`]: a Llama `tokenizer.json` without `tokenizer.model`
//!   (gguf-py's `LlamaHfVocab`);
//! - [`wordpiece`]: BERT's WordPiece (`BertModel.set_vocab`);
//! - `special`: gguf-py's `SpecialVocab` (special token ids, `add_*_token`,
//!   merges, chat template, normalizer flags).

pub(crate) mod bpe;
pub(crate) mod llama_hf;
pub(crate) mod pre;
pub(crate) mod special;
pub(crate) mod spm;
pub(crate) mod tokenizer_json;
pub(crate) mod wordpiece;

use crate::config::Config;
use crate::error::{Error, Result};
use gguf_format::{GgufBuilder, MetaArray, MetaValue, ValueType};
use std::path::Path;

/// llama.cpp's token types (`gguf.TokenType`).
pub(crate) mod token_type {
    pub const NORMAL: i32 = 1;
    pub const UNKNOWN: i32 = 2;
    pub const CONTROL: i32 = 3;
    pub const USER_DEFINED: i32 = 4;
    pub const UNUSED: i32 = 5;
    pub const BYTE: i32 = 6;
}

/// Appends the tokenizer keys of the model in `dir` (GGUF architecture
/// `arch`, hyperparameters `config`) to `b`, the way the architecture's
/// `set_vocab` writes them; `pre` overrides the pre-tokenizer the chkhsh
/// table would choose for a BPE vocabulary.
pub(crate) fn push_tokenizer(
    b: &mut GgufBuilder<'static>,
    dir: &Path,
    arch: &str,
    config: &Config,
    pre: Option<&str>,
) -> Result<()> {
    let has_spm = dir.join("tokenizer.model").is_file();
    match arch {
        // Gemma 2's converter reads tokenizer.model only.
        "gemma2" | "gemma3" if has_spm || arch == "gemma2" => {
            spm::push(b, dir, config, spm::Flavor::Llama)?;
            push_bool(b, "tokenizer.ggml.add_space_prefix", false)
        }
        "phi3" => {
            let tc = dir.join("tokenizer_config.json");
            if tc.is_file()
                && read_json(&tc)?.get("tokenizer_class").and_then(|v| v.as_str()) == Some("GPT2Tokenizer")
            {
                return bpe::push(b, dir, config, pre, false);
            }
            spm::push(b, dir, config, spm::Flavor::Phi3)
        }
        "llama" => {
            let tc = dir.join("tokenizer_config.json");
            if tc.is_file() {
                if let Some(v) = read_json(&tc)?.get("add_prefix_space").and_then(|v| v.as_bool()) {
                    push_bool(b, "tokenizer.ggml.add_space_prefix", v)?;
                }
            }
            if has_spm {
                spm::push(b, dir, config, spm::Flavor::Llama)?;
            } else {
                bpe::push(b, dir, config, pre, true)?;
            }
            let vocab_size = config.get("vocab_size").and_then(|v| v.as_u64()).unwrap_or(32000);
            if vocab_size == 32016 {
                // CodeLlama: the infill tokens (only `eot` has a GGUF key).
                let mut s = special::Special::load(dir, false, &["prefix", "suffix", "middle", "eot"], None)?;
                for (typ, id) in [
                    ("prefix", 32007),
                    ("suffix", 32008),
                    ("middle", 32009),
                    ("eot", 32010),
                ] {
                    s.set_id(typ, Some(&id.into()))?;
                }
                s.push(b)?;
            }
            if vocab_size == 49152 {
                // Granite's small models.
                push_bool(b, "tokenizer.ggml.add_bos_token", false)?;
            }
            Ok(())
        }
        "qwen2" | "qwen3" if has_spm => spm::push(b, dir, config, spm::Flavor::Llama),
        "qwen2" | "qwen3" | "gemma2" | "gemma3" => bpe::push(b, dir, config, pre, false),
        "bert" => wordpiece::push(b, dir, config, pre),
        _ => Ok(()),
    }
}

/// An error about a tokenizer file.
pub(crate) fn tokenizer_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Tokenizer {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

pub(crate) use crate::json::read as read_json;

/// `tokenizer.json` without its vocabulary: the parts the converter's own
/// readers look at (`model.type`, `model.byte_fallback`, `model.merges`
/// when `merges`, `decoder`, `normalizer`, `added_tokens`,
/// `post_processor`), as JSON. The vocabulary — the bulk of the file,
/// which `tokenizers` reads — is skipped unbuilt (and the merges unless
/// asked for), so this costs a scan, not a second copy of the file.
pub(crate) fn read_tokenizer_json(path: &Path, merges: bool) -> Result<serde_json::Value> {
    use serde::de::IgnoredAny;
    use serde_json::Value;
    #[derive(serde::Deserialize)]
    #[serde(bound = "M: serde::Deserialize<'de>")]
    struct Model<M> {
        #[serde(rename = "type", default)]
        kind: Value,
        #[serde(default)]
        byte_fallback: Value,
        #[serde(default)]
        merges: Option<M>,
    }
    #[derive(serde::Deserialize)]
    #[serde(bound = "M: serde::Deserialize<'de>")]
    struct Parts<M> {
        #[serde(default = "Option::default")]
        model: Option<Model<M>>,
        #[serde(default)]
        decoder: Value,
        #[serde(default)]
        normalizer: Value,
        #[serde(default)]
        added_tokens: Value,
        #[serde(default)]
        post_processor: Value,
    }
    fn json<M>(p: Parts<M>, merges: impl FnOnce(Option<M>) -> Value) -> Value {
        let (kind, byte_fallback, m) = match p.model {
            Some(m) => (m.kind, m.byte_fallback, merges(m.merges)),
            None => (Value::Null, Value::Null, Value::Null),
        };
        serde_json::json!({
            "model": {"type": kind, "byte_fallback": byte_fallback, "merges": m},
            "decoder": p.decoder,
            "normalizer": p.normalizer,
            "added_tokens": p.added_tokens,
            "post_processor": p.post_processor,
        })
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |e: serde_json::Error| Error::Json {
        path: path.to_path_buf(),
        message: format!("not a tokenizer.json: {e}"),
    };
    Ok(if merges {
        json(
            serde_json::from_slice::<Parts<Value>>(&bytes).map_err(bad)?,
            |m| m.unwrap_or_default(),
        )
    } else {
        json(
            serde_json::from_slice::<Parts<IgnoredAny>>(&bytes).map_err(bad)?,
            |_| Value::Null,
        )
    })
}

// The converter's writer is a Python dict: a key written again keeps its
// place and takes the new value, which `GgufBuilder::set` does.

pub(crate) fn push_str(b: &mut GgufBuilder<'static>, key: &str, v: &str) -> Result<()> {
    b.set(key.to_string(), MetaValue::String(v.as_bytes().to_vec().into()))?;
    Ok(())
}

pub(crate) fn push_bool(b: &mut GgufBuilder<'static>, key: &str, v: bool) -> Result<()> {
    b.set(key.to_string(), MetaValue::Bool(v))?;
    Ok(())
}

pub(crate) fn push_strings(
    b: &mut GgufBuilder<'static>,
    key: &str,
    items: impl IntoIterator<Item = Vec<u8>>,
) -> Result<()> {
    let items = items.into_iter().map(|s| MetaValue::String(s.into())).collect();
    b.set(
        key.to_string(),
        MetaValue::Array(MetaArray::Items {
            elem: ValueType::String,
            items,
        }),
    )?;
    Ok(())
}

pub(crate) fn push_f32s(b: &mut GgufBuilder<'static>, key: &str, v: &[f32]) -> Result<()> {
    let items = v.iter().map(|&x| MetaValue::F32(x)).collect();
    b.set(
        key.to_string(),
        MetaValue::Array(MetaArray::Items {
            elem: ValueType::F32,
            items,
        }),
    )?;
    Ok(())
}

pub(crate) fn push_i32s(b: &mut GgufBuilder<'static>, key: &str, v: &[i32]) -> Result<()> {
    let items = v.iter().map(|&x| MetaValue::I32(x)).collect();
    b.set(
        key.to_string(),
        MetaValue::Array(MetaArray::Items {
            elem: ValueType::I32,
            items,
        }),
    )?;
    Ok(())
}

/// The converter's `does_token_look_special`.
pub(crate) fn looks_special(t: &str) -> bool {
    matches!(t, "<pad>" | "<mask>" | "<2mass>" | "[@BOS@]")
        || (t.starts_with("<|") && t.ends_with("|>"))
        || (t.starts_with("<｜") && t.ends_with("｜>"))
        || (t.starts_with("<unused") && t.ends_with('>'))
}

#[cfg(test)]
pub(crate) mod tests {
    /// The golden model directory `name` (`testdata/golden/import/models`).
    pub(crate) fn golden(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/golden/import/models")
            .join(name)
    }
}

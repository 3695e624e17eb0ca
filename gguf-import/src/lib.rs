//! `gguf-import`: a Hugging Face model directory (`config.json` and
//! safetensors weights) as GGUF tensors, byte-identical to what llama.cpp's
//! `convert_hf_to_gguf.py` (commit 0c1e570, transformers 4.57.6) writes for
//! `--outtype f32|f16|bf16|q8_0|auto`.
//!
//! [`ModelDir::open`] reads and checks a directory, [`Import`] plans its
//! conversion (architecture, tensor names, types, shapes and order, the
//! header's metadata), and [`Import::source`] exposes it as a
//! [`gguf_format::TensorSource`] whose rows are made on request, so every
//! engine of `gguf-format` / `gguf-quant` — the streaming writer
//! [`gguf_format::stream::write`] among them — reads it unchanged.
//!
//! Supported architectures are data ([`arch::ARCHES`]): llama (and
//! Mistral), qwen2, qwen3, gemma2, gemma3, phi3 and bert. The header's
//! metadata is every key the converter writes: `general.architecture`, the
//! other `general.*` keys ([`general`]: `general.type`, sampling defaults
//! from `generation_config.json`, name, size label and the model card's
//! fields, with `--model-name` / `--metadata` as [`ImportOptions`]), the
//! hyperparameters in the converter's order, `general.file_type`,
//! `general.quantization_version` and the tokenizer: every `tokenizer.*`
//! key, from a SentencePiece `tokenizer.model`, a Llama `tokenizer.json`
//! (`LlamaHfVocab`), a GPT-2-style BPE `tokenizer.json` (whose
//! `tokenizer.ggml.pre` the converter's chkhsh table chooses, or
//! [`ImportOptions::pre`]) or BERT's WordPiece.
//!
//! ```
//! use gguf_format::{stream, Gguf, GgufBuilder, TensorSource};
//! use gguf_import::{Import, OutType};
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/golden/import/models/tinyllama-spm");
//! let import = Import::open(dir, OutType::Q8_0)?;
//! let source = import.source()?;
//! assert_eq!(source.header().architecture(), Some("llama"));
//! let t = source.tensor("blk.0.attn_q.weight").unwrap(); // permuted back from HF's layout
//! assert_eq!((t.ggml_type.to_string().as_str(), t.dims()), ("Q8_0", &[64, 64][..]));
//!
//! // Written through the one streaming writer, a chunk of rows at a time.
//! let builder = GgufBuilder::from_gguf(source.header())?;
//! let bytes = stream::write(&source, &builder, source.tensors(), &stream::CopyAll, Vec::new(), &mut |_| {})?;
//! assert_eq!(Gguf::parse(&bytes)?.tensors().len(), source.tensors().len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

pub mod arch;
pub mod config;
mod convert;
mod dir;
mod error;
pub mod general;
mod json;
mod plan;
mod source;
pub mod split;
mod vocab;

pub use convert::OutType;
pub use dir::{ModelDir, StShard, StTensor};
pub use error::{Error, Result};
pub use general::ImportOptions;
pub use source::{Import, ImportSource};

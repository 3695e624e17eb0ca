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
//! Supported architectures are data ([`arch::ARCHES`]); the metadata is
//! the architecture and its hyperparameters only (tokenizer and
//! `general.*` from model cards are not made here).
//!
//! ```no_run
//! use gguf_format::{stream, GgufBuilder, TensorSource};
//! use gguf_import::{Import, OutType};
//!
//! let import = Import::open("models/TinyLlama-1.1B-Chat-v1.0", OutType::Q8_0)?;
//! let source = import.source()?;
//! for t in source.tensors() {
//!     println!("{} {} {:?}", t.name, t.ggml_type, t.dims());
//! }
//! let builder = GgufBuilder::from_gguf(source.header())?;
//! let file = std::fs::File::create("model-q8_0.gguf")?;
//! stream::write(&source, &builder, source.tensors(), &stream::CopyAll, file, &mut |_| {})?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

pub mod arch;
pub mod config;
mod convert;
mod dir;
mod error;
mod plan;
mod source;

pub use convert::OutType;
pub use dir::{ModelDir, StShard, StTensor};
pub use error::{Error, Result};
pub use source::{Import, ImportSource};

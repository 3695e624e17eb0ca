//! What llama.cpp knows about the models in GGUF files, beyond the file
//! format itself: the counterpart of gguf-py's `constants.py` and
//! `tensor_mapping.py`. `gguf-format` reads and writes the files; this
//! crate says what llama.cpp makes of their metadata and tensors.
//!
//! # Modules
//! - [`arch`]: the architecture names llama.cpp knows (`general.architecture`).
//! - [`hparams`]: the hyperparameter keys (`{arch}.block_count`,
//!   `{arch}.attention.head_count_kv`, …) and [`hparams::HParams`], their
//!   one reader: per-layer arrays, missing keys named, `--override-kv`
//!   values applied as llama.cpp's loader applies them.
//! - [`tensor`]: tensor names and their categories, as llama-quantize's
//!   type rules see them, and the layer of a `blk.N.` name.
//! - [`memory`]: what llama.cpp allocates for a model at a context
//!   (weights, KV caches, compute and output buffers).
//!
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::GgufFile;
//! use gguf_llama::{arch, hparams::{self, HParams}, memory, tensor::Category};
//! let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f16.gguf"))?;
//! let g = file.parse()?;
//!
//! let mut hp = HParams::new(&g);
//! assert!(arch::is_known(hp.arch()));
//! assert_eq!(hp.uint(hparams::BLOCK_COUNT), Some(2));
//!
//! let attn_v = g.tensors().iter().filter(|t| Category::of(t.name).is_attn_v()).count();
//! assert_eq!(attn_v, 2);
//!
//! let e = memory::estimate(&g, &memory::Options::new(4096), g.total_tensor_bytes());
//! assert_eq!(e.kv_bytes.ok(), Some(1 << 20));
//! # Ok(()) }
//! ```

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

pub mod arch;
pub mod hparams;
pub mod memory;
pub mod tensor;

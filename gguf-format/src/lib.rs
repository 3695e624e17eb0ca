//! Zero-copy GGUF reader and streaming writer.
//!
//! GGUF is the file format llama.cpp and most local-LLM tools use to ship
//! models: a header, typed metadata (key → value), a table of tensor
//! descriptions, then the tensor data, aligned. This crate reads a file from a
//! byte slice (usually a memory map) without copying anything — strings, arrays
//! and tensor data are borrowed — and writes files one tensor at a time.
//! It holds no quantization math: see `gguf-quant` for that.
//!
//! # Reading
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::{GgufFile, Value};
//! let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let gguf = file.parse()?;
//! println!("{} v{:?} {}", gguf.architecture().unwrap_or("?"), gguf.version(), gguf.byte_order());
//! let tokens = gguf.get_array("tokenizer.ggml.tokens")?;       // a lazy view: no allocation
//! let first = tokens.strings().unwrap().next().unwrap();
//! assert_eq!(first.as_str(), Some("<unk>"));
//! for t in gguf.tensors() {
//!     let bytes: &[u8] = gguf.tensor_data(t)?;                 // borrowed from the map
//!     assert_eq!(bytes.len() as u64, t.n_bytes()?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Writing
//! [`GgufBuilder`] collects metadata and tensor descriptions and computes the
//! layout; [`GgufBuilder::write_header`] streams everything before the data and
//! returns a [`TensorWriter`] for the data, one tensor or chunk at a time.
//! [`write_atomic`] puts the result in place only once it is complete.
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::{GgmlType, GgufBuilder, MetaValue};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("out.gguf");
//! let mut b = GgufBuilder::new();
//! b.push("general.architecture", "llama")?
//!  .push("tokenizer.ggml.tokens", MetaValue::strings(["<s>", "</s>"]))?
//!  .add_tensor("token_embd.weight", &[2, 2], GgmlType::F32)?;
//! gguf_format::write_atomic(&path, |w| {
//!     let mut tw = b.write_header(w)?;
//!     tw.write_tensor(&[0u8; 16])?;
//!     tw.finish()?;
//!     Ok(())
//! })?;
//! # Ok(()) }
//! ```
//!
//! # Checks
//! Every count, length, dimension and offset read from a file is checked
//! against the bytes that remain before it is used, with checked arithmetic;
//! failures are [`Error`] variants carrying the byte offset and the key or
//! tensor name. No input makes the parser panic, loop for long or allocate
//! more than a small multiple of the file's size.

#![deny(missing_docs)]

mod atomic;
mod cursor;
pub mod edit;
pub mod endian;
mod error;
mod file;
pub mod ftype;
mod model;
pub mod ops;
pub mod raw;
mod read;
pub mod split;
mod value;
mod write;

pub use atomic::{write_atomic, write_atomic_all};
pub use error::{Error, Location, Result};
pub use file::GgufFile;
pub use ftype::FileType;
pub use model::{Model, ModelFiles, Shard};
pub use raw::{ByteOrder, GgmlType, TypeInfo, ValueType, Version, GGML_TYPES};
pub use read::{Gguf, KeyValue, ParseOptions, TensorInfo};
pub use value::{ArrayIter, ArrayView, GgufStr, Scalar, StrIter, Value};
pub use write::{write_gguf, GgufBuilder, MetaArray, MetaValue, TensorDesc, TensorWriter};

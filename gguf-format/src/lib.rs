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
//! [`GgufFile`] owns the bytes (a read-only memory map, or the file read into
//! memory); [`Gguf`] is the parsed view that borrows them: metadata as
//! [`Value`]s with typed getters ([`Gguf::get_u32`], [`Gguf::get_str`],
//! [`Gguf::get_array`], …), tensor descriptions as [`TensorInfo`]s, tensor
//! data as slices of the file. [`Gguf::parse`] does the same for bytes you
//! already hold.
//!
//! # Split models
//! llama.cpp can cut a model into shards named `PREFIX-00001-of-0000N.gguf`
//! and tied together by `split.*` keys (see [`split`]). [`ModelFiles::open`]
//! opens the first shard and finds the others beside it; [`Model`] shows them
//! as one model: the first shard's metadata and every shard's tensors in one
//! list, each tensor's data borrowed from the shard that holds it. A
//! single-file model opens the same way, so code written against [`Model`]
//! handles both.
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::ModelFiles;
//! let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let model = files.parse()?;
//! println!("{} shard(s), {} tensors", model.shards().len(), model.tensors().len());
//! let t = model.tensor("output.weight").unwrap();
//! let data: &[u8] = model.tensor_data(t)?; // from whichever shard holds it
//! assert_eq!(data.len() as u64, t.n_bytes()?);
//! # Ok(()) }
//! ```
//!
//! # Reading only the header, from elsewhere
//! To look inside a model on a web server without downloading it, the
//! header is enough. [`GgufFile::read_header`] reads it from any
//! [`RangeRead`] (a source that hands out the bytes from an offset on: a
//! slice, a file, HTTP range requests), asking for a first block and then
//! for what the parser says is missing — a 7.7 MB header with a
//! 262,144-token vocabulary in two reads. [`Gguf::parse_prefix`] parses
//! such a prefix exactly as the whole file would parse, checking counts and
//! tensor offsets against the whole file's size; [`ModelFiles::from_files`]
//! and [`ModelFiles::other_shards`] make a split model of such headers.
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::{GgufFile, ModelFiles, FIRST_READ};
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf")).unwrap();
//! let mut source: &[u8] = &bytes; // stands for a remote file
//! let head = GgufFile::read_header("tiny-llama-f32.gguf", &mut source, 4096)?;
//! let files = ModelFiles::from_files(vec![head]);
//! let model = files.parse_header()?;
//! assert_eq!(model.file_size(), bytes.len() as u64);
//! assert_eq!(model.tensors().len(), 21);
//! # let _ = FIRST_READ;
//! # Ok(()) }
//! ```
//!
//! # Writing
//! [`GgufBuilder`] collects metadata and tensor descriptions and computes the
//! layout; [`GgufBuilder::write_header`] streams everything before the data and
//! returns a [`TensorWriter`] for the data, one tensor or chunk at a time.
//! [`write_atomic`] puts the result in place only once it is complete.
//! Files are version 3 and little-endian unless set otherwise
//! ([`GgufBuilder::set_version`], [`GgufBuilder::set_byte_order`], which also
//! says in which byte order the tensor data is taken); [`write_gguf`] writes a
//! parsed file back as it is.
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
//! # Whole-file operations
//! The [`ops`] module does to whole models what llama.cpp's and gguf-py's
//! tools do, byte for byte as they write it (the tests compare the outputs
//! with theirs): [`ops::split`] and [`ops::merge`]
//! (`llama-gguf-split`), [`ops::edit`] with an [`edit::MetadataEdit`]
//! (`gguf-new-metadata`) and [`ops::convert`] (`gguf-convert-endian`). Each
//! returns [`ops::Output`]s, one per file to write, which stream the tensor
//! data from the source model; [`write_atomic_all`] makes the files of a split
//! model appear together or not at all. [`edit::plan_in_place`] and
//! [`edit::write_in_place`] change numbers in a file where they are
//! (`gguf-set-metadata`).
//! ```
//! # fn main() -> Result<(), gguf_format::Error> {
//! use gguf_format::{ops, split::{shard_path, SplitLimit}, ModelFiles};
//! let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
//! let model = files.parse()?;
//! let outputs = ops::split(&model, SplitLimit::Tensors(10), false)?;
//! let dir = tempfile::tempdir().unwrap();
//! let prefix = dir.path().join("tiny").to_string_lossy().into_owned();
//! let names: Vec<String> = (0..outputs.len()).map(|i| shard_path(&prefix, i, outputs.len())).collect();
//! gguf_format::write_atomic_all(&names, |i, w| outputs[i].write(&model, w, &mut |_| {}))?;
//!
//! let split = ModelFiles::open(&names[0])?; // finds the other shards
//! assert_eq!(split.files().len(), 3);
//! assert_eq!(split.parse()?.tensors().len(), model.tensors().len());
//! # Ok(()) }
//! ```
//!
//! # Modules
//! - [`raw`]: the on-disk vocabulary — magic, versions, value-type ids, the
//!   ggml type table ([`GGML_TYPES`]).
//! - [`endian`]: byte order as a type, and [`endian::swap_tensor_data`].
//! - [`ftype`]: `general.file_type` values.
//! - [`split`]: shard names, the `split.*` keys, where a split cuts.
//! - [`edit`]: metadata edits, in place or as a copy.
//! - [`ops`]: split, merge, edit and convert whole models.
//!
//! # Checks
//! Every count, length, dimension and offset read from a file is checked
//! against the bytes that remain before it is used, with checked arithmetic;
//! failures are [`Error`] variants carrying the byte offset and the key or
//! tensor name. No input makes the parser panic, loop for long or allocate
//! more than a small multiple of the file's size.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

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
mod source;
pub mod split;
pub mod stream;
mod tensor_source;
mod value;
mod write;

pub use atomic::{write_atomic, write_atomic_all};
pub use error::{Error, Location, Result};
pub use file::GgufFile;
pub use ftype::FileType;
pub use model::{Model, ModelFiles, Shard};
pub use raw::{ByteOrder, GgmlType, TypeInfo, ValueType, Version, GGML_TYPES};
pub use read::{Gguf, KeyValue, ParseOptions, TensorInfo};
pub use source::{RangeRead, RangeStream, FIRST_READ};
pub use tensor_source::{row_bytes, rows_range, RowChunks, TensorSource};
pub use value::{ArrayIter, ArrayView, GgufStr, Scalar, StrIter, Value};
pub use write::{write_gguf, GgufBuilder, MetaArray, MetaValue, TensorDesc, TensorWriter};

//! Where a model's tensors come from: [`TensorSource`] is the one way the
//! engines (requantization, its quality estimate, comparison, the
//! whole-file operations) read a model — its metadata, its tensor
//! descriptions and each tensor's bytes, a chunk of rows at a time.
//! [`Model`] implements it zero-copy over the memory maps of its shards; a
//! source that makes its tensors as they are asked for (an importer reading
//! another format) implements it the same way, and every engine works on it
//! unchanged. [`RowChunks`] is how a tensor is walked: its rows cut into
//! chunks of bounded size, the same cut for every engine.
//!
//! Nothing here converts numbers: a source hands out bytes in the tensor's
//! stored type and byte order ([`TensorSource::byte_order`]).

use crate::error::{Error, Result};
use crate::model::Model;
use crate::raw::ByteOrder;
use crate::read::{Gguf, KeyValue, TensorInfo};
use crate::value::Value;
use std::fs::File;
use std::ops::Range;

/// A model's metadata, tensors and tensor data, as the engines read them.
///
/// `'a` is the lifetime of what the descriptions borrow (the parsed
/// header's bytes). Tensors are named by the [`TensorInfo`]s the source
/// itself hands out ([`TensorSource::tensors`]); their data is asked for
/// in whole rows of `ne0` elements ([`TensorInfo::row_len`]), rows counted
/// over every dimension but the first.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{ModelFiles, RowChunks, TensorSource};
/// let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let model = files.parse()?;
/// let source: &dyn TensorSource<'_> = &model;
/// let t = source.tensors()[0];
/// let mut scratch = Vec::new();
/// let mut total = 0;
/// for rows in RowChunks::new(&t, 1 << 10)?.iter() {
///     let bytes = source.rows(&t, rows.clone(), &mut scratch)?; // borrowed from the map
///     total += bytes.len() as u64;
///     source.release(&t, rows);
/// }
/// assert_eq!(total, t.n_bytes()?);
/// # Ok(()) }
/// ```
pub trait TensorSource<'a>: Sync {
    /// What to call the source in messages (the first file's path).
    fn name(&self) -> &str;

    /// The parsed header that carries the model's metadata (a split
    /// model's first shard). Its own tensor list is that file's only: the
    /// source's tensors are [`TensorSource::tensors`].
    fn header(&self) -> &Gguf<'a>;

    /// The model's metadata, in order.
    fn metadata(&self) -> &[KeyValue<'a>] {
        self.header().metadata()
    }

    /// The value of `key` in the model's metadata.
    fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.header().get(key)
    }

    /// Every tensor, in the source's order.
    fn tensors(&self) -> &[TensorInfo<'a>];

    /// The tensor named `name`.
    fn tensor(&self, name: &str) -> Option<&TensorInfo<'a>> {
        self.tensors().iter().find(|t| t.name == name)
    }

    /// The byte order of `t`'s data as [`TensorSource::rows`] hands it out.
    fn byte_order(&self, t: &TensorInfo<'_>) -> ByteOrder;

    /// The bytes of rows `rows` of `t`, in its stored type and byte order:
    /// borrowed from the source where it holds them (a memory map), made in
    /// `scratch` otherwise. Fails, naming the tensor, for rows past its end
    /// or data the source cannot give (cut off, unknown type).
    fn rows<'s>(&'s self, t: &TensorInfo<'_>, rows: Range<u64>, scratch: &'s mut Vec<u8>)
        -> Result<&'s [u8]>;

    /// Says rows `rows` of `t` will not be asked for again soon: a source
    /// may drop them (a memory map gives the pages back). Advice only.
    fn release(&self, _t: &TensorInfo<'_>, _rows: Range<u64>) {}

    /// The open file holding `t`'s bytes exactly as [`TensorSource::rows`]
    /// gives them, and their absolute offset, for copying file to file;
    /// `None` where there is no such file.
    fn file_range(&self, _t: &TensorInfo<'_>) -> Option<(&File, u64)> {
        None
    }
}

/// The bytes of one row of `t` (`ne0` elements in its type), or an error
/// naming the tensor when its type is unknown or its rows are not whole
/// blocks.
pub fn row_bytes(t: &TensorInfo<'_>) -> Result<u64> {
    t.type_info()
        .and_then(|i| i.row_size(t.row_len()))
        .ok_or_else(|| {
            Error::InvalidWrite(format!(
                "tensor {}: rows of {} elements of type {} have no whole size",
                t.name,
                t.row_len(),
                t.ggml_type
            ))
        })
}

/// The byte range of rows `rows` of `t` within its data, checked against
/// its row count.
pub fn rows_range(t: &TensorInfo<'_>, rows: &Range<u64>) -> Result<Range<u64>> {
    let per = row_bytes(t)?;
    if rows.start > rows.end || rows.end > t.n_rows() {
        return Err(Error::InvalidWrite(format!(
            "tensor {}: rows {}..{} asked for, it has {}",
            t.name,
            rows.start,
            rows.end,
            t.n_rows()
        )));
    }
    // Both products are at most the tensor's size, which fits a u64.
    Ok(rows.start * per..rows.end * per)
}

impl<'a> TensorSource<'a> for Model<'a> {
    fn name(&self) -> &str {
        self.path()
    }

    fn header(&self) -> &Gguf<'a> {
        self.first()
    }

    fn tensors(&self) -> &[TensorInfo<'a>] {
        Model::tensors(self)
    }

    fn tensor(&self, name: &str) -> Option<&TensorInfo<'a>> {
        Model::tensor(self, name)
    }

    fn byte_order(&self, t: &TensorInfo<'_>) -> ByteOrder {
        self.shard_of(t).byte_order()
    }

    fn rows<'s>(
        &'s self,
        t: &TensorInfo<'_>,
        rows: Range<u64>,
        _scratch: &'s mut Vec<u8>,
    ) -> Result<&'s [u8]> {
        let data = self.tensor_data(t)?;
        let r = rows_range(t, &rows)?;
        // The data is the tensor's whole size, so the range is inside it.
        Ok(&data[r.start as usize..r.end as usize])
    }

    fn release(&self, t: &TensorInfo<'_>, rows: Range<u64>) {
        if let (Ok(r), Ok(range)) = (rows_range(t, &rows), self.tensor_range(t)) {
            Model::release(self, t, range.start + r.start..range.start + r.end);
        }
    }

    fn file_range(&self, t: &TensorInfo<'_>) -> Option<(&File, u64)> {
        self.tensor_source(t)
    }
}

/// A tensor's rows cut into chunks of at most `max_elements` elements (at
/// least one row each): how every engine walks a tensor, so that memory
/// stays bounded whatever the tensor's size.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{GgmlType, GgufBuilder, Gguf, RowChunks};
/// let mut b = GgufBuilder::new();
/// b.add_tensor("w", &[256, 10], GgmlType::F32)?;
/// let mut w = b.write_header(Vec::new())?;
/// w.write_tensor(&[0u8; 10240])?;
/// let bytes = w.finish()?;
/// let g = Gguf::parse(&bytes)?;
/// let chunks = RowChunks::new(&g.tensors()[0], 1024)?; // four rows of 256 per chunk
/// assert_eq!(chunks.iter().collect::<Vec<_>>(), [0..4, 4..8, 8..10]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowChunks {
    rows: u64,
    per_chunk: u64,
    row_bytes: u64,
}

impl RowChunks {
    /// `t`'s rows in chunks of at most `max_elements` elements, at least
    /// one row per chunk. Fails, naming the tensor, when its type is
    /// unknown or its rows are not whole blocks.
    pub fn new(t: &TensorInfo<'_>, max_elements: u64) -> Result<RowChunks> {
        Self::with_rows_per_chunk(t, (max_elements / t.row_len().max(1)).max(1))
    }

    /// `t`'s rows in chunks of at most `max_bytes` bytes, at least one row
    /// per chunk.
    pub fn by_bytes(t: &TensorInfo<'_>, max_bytes: u64) -> Result<RowChunks> {
        let per = row_bytes(t)?;
        Self::with_rows_per_chunk(t, max_bytes / per.max(1))
    }

    /// `t`'s rows, `per_chunk` (at least one) to a chunk.
    pub fn with_rows_per_chunk(t: &TensorInfo<'_>, per_chunk: u64) -> Result<RowChunks> {
        Ok(RowChunks {
            rows: t.n_rows(),
            per_chunk: per_chunk.max(1),
            row_bytes: row_bytes(t)?,
        })
    }

    /// Number of chunks.
    pub fn len(&self) -> u64 {
        self.rows.div_ceil(self.per_chunk)
    }

    /// Whether there are no rows at all.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Rows per chunk (the last may have fewer).
    pub fn rows_per_chunk(&self) -> u64 {
        self.per_chunk
    }

    /// Bytes of one row.
    pub fn row_bytes(&self) -> u64 {
        self.row_bytes
    }

    /// The rows of chunk `i`.
    pub fn chunk(&self, i: u64) -> Range<u64> {
        let start = (i * self.per_chunk).min(self.rows);
        start..(start + self.per_chunk).min(self.rows)
    }

    /// The chunks' row ranges, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Range<u64>> + '_ {
        (0..self.len() as usize).map(|i| self.chunk(i as u64))
    }
}

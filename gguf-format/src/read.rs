//! The parser: header, metadata and tensor infos of a GGUF file, borrowed from
//! the file's bytes, with every count, length, dimension and offset checked.
//! Tensor data is never copied; [`Gguf::tensor_data`] hands out slices.

use crate::cursor::{loc, Cursor};
use crate::endian::{BigEndian, Endian, LittleEndian};
use crate::error::{Error, Result};
use crate::raw::{
    ByteOrder, GgmlType, TypeInfo, ValueType, Version, ALIGNMENT_KEY, DEFAULT_ALIGNMENT, MAGIC, MAX_DIMS,
};
use crate::value::{read_value, read_value_type, ArrayView, GgufStr, Scalar, Value};
use std::collections::HashMap;

/// One metadata entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyValue<'a> {
    /// The key (validated UTF-8, non-empty).
    pub key: &'a str,
    /// The value.
    pub value: Value<'a>,
    /// Absolute file offset where the entry (its key's length) starts.
    pub offset: u64,
}

/// One tensor's description from the tensor-info table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorInfo<'a> {
    /// The tensor's name (validated UTF-8).
    pub name: &'a str,
    /// The ggml type id; may be one this crate does not know.
    pub ggml_type: GgmlType,
    /// Offset of the data relative to the start of the data section.
    pub offset: u64,
    /// Absolute file offset where this tensor info starts.
    pub info_offset: u64,
    n_dims: u32,
    ne: [u64; MAX_DIMS],
    n_elements: u64,
    n_rows: u64,
    n_bytes: Option<u64>,
    shard: u16,
}

impl<'a> TensorInfo<'a> {
    /// Which file of a split model holds the data (0 for a single file; see
    /// [`crate::Model`]).
    pub fn shard(&self) -> usize {
        usize::from(self.shard)
    }

    pub(crate) fn set_shard(&mut self, shard: u16) {
        self.shard = shard;
    }

    /// The dimensions as stored, innermost first (`dims()[0]` is the row length).
    pub fn dims(&self) -> &[u64] {
        &self.ne[..self.n_dims as usize]
    }

    /// The dimensions as ggml writes them (`ggml_n_dims`): trailing
    /// dimensions of size 1 dropped, at least one kept. llama-quantize and
    /// llama-gguf-split write tensor infos this way; gguf-py keeps [`Self::dims`].
    pub fn ggml_dims(&self) -> &[u64] {
        let n = (1..MAX_DIMS).rev().find(|&i| self.ne[i] > 1).map_or(1, |i| i + 1);
        &self.ne[..n]
    }

    /// All four ggml dimensions (`ne`), the missing ones 1.
    pub fn ne(&self) -> [u64; MAX_DIMS] {
        self.ne
    }

    /// The number of dimensions stored in the file (0 to 4).
    pub fn n_dims(&self) -> u32 {
        self.n_dims
    }

    /// Elements in a row (`ne[0]`).
    pub fn row_len(&self) -> u64 {
        self.ne[0]
    }

    /// Number of rows (`ne[1] * ne[2] * ne[3]`).
    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// Total number of elements (checked at parse time to fit in an i64).
    pub fn n_elements(&self) -> u64 {
        self.n_elements
    }

    /// Size facts of the type, if it is known.
    pub fn type_info(&self) -> Option<&'static TypeInfo> {
        self.ggml_type.info()
    }

    /// Size of the data in bytes; an error naming the tensor for an unknown type.
    pub fn n_bytes(&self) -> Result<u64> {
        self.n_bytes.ok_or_else(|| Error::UnknownGgmlType {
            at: loc(self.info_offset, Some(self.name)),
            ty: self.ggml_type,
        })
    }
}

/// How strictly [`Gguf::parse_with`] checks the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Check that every tensor's data lies inside the file and that no two
    /// tensors overlap. On by default; turn it off to read the header of a file
    /// whose data was cut off (then [`Gguf::tensor_data`] still refuses
    /// out-of-bounds tensors one by one).
    pub check_data: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { check_data: true }
    }
}

/// A parsed GGUF file, borrowing the file's bytes.
///
/// Parsing allocates in proportion to the number of keys and tensors only:
/// strings, arrays and tensor data stay in the input.
#[derive(Debug, Clone)]
pub struct Gguf<'a> {
    bytes: &'a [u8],
    version: Version,
    byte_order: ByteOrder,
    alignment: u32,
    metadata: Vec<KeyValue<'a>>,
    key_index: HashMap<&'a str, usize>,
    tensors: Vec<TensorInfo<'a>>,
    tensor_index: HashMap<&'a str, usize>,
    infos_end: u64,
    data_offset: u64,
    /// The whole file's size: `bytes.len()`, or more when `bytes` is only
    /// its first part ([`Gguf::parse_prefix`]).
    file_size: u64,
}

/// Smallest encoding of one metadata entry: key length, one key byte, value type, one value byte.
fn min_kv_size(wide: bool) -> u64 {
    if wide {
        8 + 1 + 4 + 1
    } else {
        4 + 1 + 4 + 1
    }
}

/// Smallest encoding of one tensor info: name length, n_dims, type, offset.
fn min_tensor_info_size(wide: bool) -> u64 {
    (if wide { 8 } else { 4 }) + 4 + 4 + 8
}

/// Guessed size of a metadata entry not read yet, for
/// [`Error::HeaderIncomplete`]'s estimate.
const KV_GUESS: u64 = 64;

/// Guessed size of a tensor info when none has been read yet (a name of
/// about 30 bytes and three dimensions).
const TENSOR_INFO_GUESS: u64 = 80;

fn initial_capacity(count: u64) -> usize {
    count.min(4096) as usize
}

/// `x` rounded up to a multiple of `align` (a power of two), if that fits.
pub(crate) fn align_up(x: u64, align: u64) -> Option<u64> {
    Some(x.checked_add(align - 1)? / align * align)
}

impl<'a> Gguf<'a> {
    /// Parses a whole file held in memory (or mapped), checking everything,
    /// including that the tensor data lies inside `bytes`.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf")).unwrap();
    /// let gguf = gguf_format::Gguf::parse(&bytes)?;
    /// assert_eq!(gguf.get_str("general.architecture")?, "llama");
    /// let t = gguf.tensor("token_embd.weight").unwrap();
    /// let data: &[u8] = gguf.tensor_data(t)?; // borrowed, not copied
    /// assert_eq!(data.len() as u64, t.n_bytes()?);
    /// # Ok(()) }
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<Gguf<'a>> {
        Self::parse_with(bytes, ParseOptions::default())
    }

    /// Parses header, metadata and tensor infos only; tensor data may be
    /// missing or cut off (see [`ParseOptions::check_data`]).
    pub fn parse_header(bytes: &'a [u8]) -> Result<Gguf<'a>> {
        Self::parse_with(bytes, ParseOptions { check_data: false })
    }

    /// Parses with explicit options.
    pub fn parse_with(bytes: &'a [u8], options: ParseOptions) -> Result<Gguf<'a>> {
        Self::parse_in(bytes, 0, options)
    }

    /// Parses the first part of a file of `file_size` bytes — its header,
    /// read from somewhere bytes are dear, such as a web server — as
    /// [`Gguf::parse_with`] parses the whole file: the same checks, against
    /// the whole file's size, and the same errors, except that where `bytes`
    /// end inside the header this is [`Error::HeaderIncomplete`], saying how
    /// many bytes are needed (and about how many the header takes).
    /// [`Gguf::file_size`] is `file_size`; [`Gguf::tensor_data`] hands out
    /// only data within `bytes`; with [`ParseOptions::check_data`] tensors
    /// are checked against `file_size`.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::{Error, Gguf, ParseOptions};
    /// let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf")).unwrap();
    /// let size = file.len() as u64;
    /// let options = ParseOptions::default();
    /// let needed = match Gguf::parse_prefix(&file[..100], size, options) {
    ///     Err(Error::HeaderIncomplete { needed, estimate, .. }) => estimate.max(needed),
    ///     other => panic!("{other:?}"),
    /// };
    /// let mut have = needed as usize;
    /// let g = loop {
    ///     match Gguf::parse_prefix(&file[..have], size, options) {
    ///         Ok(g) => break g,
    ///         Err(Error::HeaderIncomplete { needed, estimate, .. }) => have = estimate.max(needed) as usize,
    ///         Err(e) => return Err(e),
    ///     }
    /// };
    /// assert_eq!(g.file_size(), size);
    /// assert!(g.as_bytes().len() < file.len());
    /// assert_eq!(g.tensors().len(), 21);
    /// assert!(g.tensor_in_file(&g.tensors()[20]));
    /// # Ok(()) }
    /// ```
    pub fn parse_prefix(bytes: &'a [u8], file_size: u64, options: ParseOptions) -> Result<Gguf<'a>> {
        let beyond = file_size.saturating_sub(bytes.len() as u64);
        Self::parse_in(bytes, beyond, options)
    }

    /// Parses `bytes`, the first part of a file that goes on for `beyond` bytes.
    fn parse_in(bytes: &'a [u8], beyond: u64, options: ParseOptions) -> Result<Gguf<'a>> {
        let have = bytes.len() as u64;
        if have < 8 && beyond > 0 {
            let needed = 8u64.min(have.saturating_add(beyond));
            return Err(Error::HeaderIncomplete {
                at: loc(have, None),
                have,
                needed,
                estimate: needed,
            });
        }
        let magic = bytes.get(..4).ok_or(Error::UnexpectedEof {
            what: "magic",
            at: loc(0, None),
            needed: 4,
            available: bytes.len() as u64,
        })?;
        if magic != MAGIC {
            return Err(Error::BadMagic {
                found: magic.to_vec(),
            });
        }
        let raw = bytes.get(4..8).ok_or(Error::UnexpectedEof {
            what: "version",
            at: loc(4, None),
            needed: 4,
            available: bytes.len() as u64 - 4,
        })?;
        let raw = [raw[0], raw[1], raw[2], raw[3]];
        // There is no byte-order flag: the version is small in the file's own order.
        if let Some(v) = Version::from_u32(u32::from_le_bytes(raw)) {
            parse_body::<LittleEndian>(bytes, v, beyond, options)
        } else if let Some(v) = Version::from_u32(u32::from_be_bytes(raw)) {
            parse_body::<BigEndian>(bytes, v, beyond, options)
        } else {
            Err(Error::UnsupportedVersion {
                version: u32::from_le_bytes(raw),
            })
        }
    }

    /// The bytes this was parsed from: the whole file, or its first part
    /// ([`Gguf::parse_prefix`]).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The file's size in bytes: [`Gguf::as_bytes`]'s length, or the size
    /// given to [`Gguf::parse_prefix`].
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// The format version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The file's byte order.
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// Alignment of tensor data (`general.alignment`, or 32).
    pub fn alignment(&self) -> u32 {
        self.alignment
    }

    /// Absolute offset of the data section (end of tensor infos, padded to the alignment).
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// Absolute offset just past the last tensor info (where padding starts).
    pub fn tensor_infos_end(&self) -> u64 {
        self.infos_end
    }

    /// All metadata, in file order.
    pub fn metadata(&self) -> &[KeyValue<'a>] {
        &self.metadata
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.key_index.get(key).map(|&i| &self.metadata[i].value)
    }

    /// The value of `key`, which must be present and of type `T`.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::{Error, GgufFile};
    /// let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
    /// let g = file.parse()?;
    /// assert_eq!(g.get_scalar::<f32>("llama.rope.freq_base")?, 10000.0);
    /// assert_eq!(g.get_u32("llama.block_count")?, 2);
    /// assert!(matches!(g.get_u64("llama.block_count"), Err(Error::WrongType { .. })));
    /// assert!(matches!(g.get_u32("no.such.key"), Err(Error::MissingKey { .. })));
    /// assert_eq!(g.get_uint("llama.block_count")?, 2); // any unsigned width
    /// # Ok(()) }
    /// ```
    pub fn get_scalar<T: Scalar>(&self, key: &str) -> Result<T> {
        let v = self.require(key)?;
        T::from_value(v).ok_or_else(|| Error::wrong_type(key, T::TYPE, v.value_type()))
    }

    /// `get_scalar::<u32>`.
    pub fn get_u32(&self, key: &str) -> Result<u32> {
        self.get_scalar(key)
    }

    /// `get_scalar::<u64>`.
    pub fn get_u64(&self, key: &str) -> Result<u64> {
        self.get_scalar(key)
    }

    /// `get_scalar::<i32>`.
    pub fn get_i32(&self, key: &str) -> Result<i32> {
        self.get_scalar(key)
    }

    /// `get_scalar::<f32>`.
    pub fn get_f32(&self, key: &str) -> Result<f32> {
        self.get_scalar(key)
    }

    /// `get_scalar::<bool>`.
    pub fn get_bool(&self, key: &str) -> Result<bool> {
        self.get_scalar(key)
    }

    /// Any non-negative integer value of `key`, whatever its width
    /// (files disagree on u32 vs u64 for counts).
    pub fn get_uint(&self, key: &str) -> Result<u64> {
        let v = self.require(key)?;
        v.as_uint()
            .ok_or_else(|| Error::wrong_type(key, "non-negative integer", v.value_type()))
    }

    /// A string value, which must be valid UTF-8.
    pub fn get_str(&self, key: &str) -> Result<&'a str> {
        let s = self.get_gguf_str(key)?;
        s.as_str().ok_or_else(|| Error::InvalidUtf8 {
            what: "string value",
            at: loc(self.key_offset(key), Some(key)),
        })
    }

    /// A string value as raw bytes.
    pub fn get_gguf_str(&self, key: &str) -> Result<GgufStr<'a>> {
        match *self.require(key)? {
            Value::String(s) => Ok(s),
            ref v => Err(Error::wrong_type(key, ValueType::String, v.value_type())),
        }
    }

    /// An array value.
    pub fn get_array(&self, key: &str) -> Result<ArrayView<'a>> {
        match *self.require(key)? {
            Value::Array(a) => Ok(a),
            ref v => Err(Error::wrong_type(key, ValueType::Array, v.value_type())),
        }
    }

    fn require(&self, key: &str) -> Result<&Value<'a>> {
        self.get(key)
            .ok_or_else(|| Error::MissingKey { key: key.to_string() })
    }

    fn key_offset(&self, key: &str) -> u64 {
        self.key_index.get(key).map_or(0, |&i| self.metadata[i].offset)
    }

    /// `general.architecture`, if present and a string.
    pub fn architecture(&self) -> Option<&'a str> {
        self.get("general.architecture").and_then(Value::as_str)
    }

    /// All tensor infos, in file order.
    pub fn tensors(&self) -> &[TensorInfo<'a>] {
        &self.tensors
    }

    /// The tensor named `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo<'a>> {
        self.tensor_index.get(name).map(|&i| &self.tensors[i])
    }

    /// Absolute byte range of a tensor's data in the file.
    pub fn tensor_range(&self, t: &TensorInfo<'_>) -> Result<std::ops::Range<u64>> {
        let n = t.n_bytes()?;
        let overflow = || Error::Overflow {
            what: "tensor data end",
            at: loc(t.info_offset, Some(t.name)),
        };
        let start = self.data_offset.checked_add(t.offset).ok_or_else(overflow)?;
        let end = start.checked_add(n).ok_or_else(overflow)?;
        Ok(start..end)
    }

    /// A tensor's data, borrowed from the file. Fails for an unknown type,
    /// data outside the file, or data not read ([`Gguf::parse_prefix`]).
    pub fn tensor_data(&self, t: &TensorInfo<'_>) -> Result<&'a [u8]> {
        let r = self.file_range(t)?;
        let slice = usize::try_from(r.start)
            .ok()
            .zip(usize::try_from(r.end).ok())
            .and_then(|(s, e)| self.bytes.get(s..e));
        slice.ok_or_else(|| Error::TensorNotRead {
            at: loc(t.info_offset, Some(t.name)),
            start: r.start,
            end: r.end,
            have: self.bytes.len() as u64,
        })
    }

    /// Whether a tensor's type is known and its data lies inside the file
    /// (whether or not it was read: see [`Gguf::parse_prefix`]).
    pub fn tensor_in_file(&self, t: &TensorInfo<'_>) -> bool {
        self.file_range(t).is_ok()
    }

    /// A tensor's absolute data range, which must lie inside the file.
    fn file_range(&self, t: &TensorInfo<'_>) -> Result<std::ops::Range<u64>> {
        let r = self.tensor_range(t)?;
        if r.end > self.file_size {
            return Err(Error::TensorOutOfBounds {
                at: loc(t.info_offset, Some(t.name)),
                start: r.start,
                end: r.end,
                file_size: self.file_size,
            });
        }
        Ok(r)
    }

    /// Sum of the sizes of all tensors of known type (unpadded).
    pub fn total_tensor_bytes(&self) -> u64 {
        self.tensors.iter().filter_map(|t| t.n_bytes).sum()
    }
}

fn parse_body<E: Endian>(
    bytes: &[u8],
    version: Version,
    beyond: u64,
    options: ParseOptions,
) -> Result<Gguf<'_>> {
    let wide = version.wide_lengths();
    let mut c = Cursor::<E>::new(bytes, 8, 0, wide).with_beyond(beyond);

    let n_tensors_at = c.offset();
    let n_tensors = c.count("tensor count", None)?;
    let n_kv_at = c.offset();
    let n_kv = c.count("metadata key count", None)?;
    c.check_fits(
        n_tensors,
        min_tensor_info_size(wide),
        "tensor count",
        n_tensors_at,
        None,
    )?;
    c.check_fits(n_kv, min_kv_size(wide), "metadata key count", n_kv_at, None)?;

    // Both counts are bounded by the file size now; the initial capacities are
    // capped further so a lying count costs nothing before entries are read.
    let mut metadata = Vec::with_capacity(initial_capacity(n_kv));
    let mut key_index = HashMap::with_capacity(initial_capacity(n_kv));
    // Past the entry being read when `bytes` end (a prefix), a guess at the rest.
    let rest = |left_kv: u64| {
        left_kv
            .saturating_mul(KV_GUESS)
            .saturating_add(n_tensors.saturating_mul(TENSOR_INFO_GUESS))
    };
    for i in 0..n_kv {
        let at = c.offset();
        let more = |e: Error| e.and_then_more(rest(n_kv - i - 1));
        let key_bytes = c.string("key", None).map_err(more)?;
        let key = std::str::from_utf8(key_bytes).map_err(|_| Error::InvalidUtf8 {
            what: "key",
            at: loc(at, None),
        })?;
        if key.is_empty() {
            return Err(Error::EmptyKey { at: loc(at, None) });
        }
        if key_index.insert(key, metadata.len()).is_some() {
            return Err(Error::DuplicateKey {
                at: loc(at, Some(key)),
            });
        }
        let ty = read_value_type(&mut c, Some(key)).map_err(more)?;
        let value = read_value(&mut c, ty, 0, Some(key)).map_err(more)?;
        metadata.push(KeyValue {
            key,
            value,
            offset: at,
        });
    }

    let alignment = match key_index.get(ALIGNMENT_KEY).map(|&i| &metadata[i]) {
        None => DEFAULT_ALIGNMENT,
        Some(kv) => match kv.value {
            Value::U32(a) if a.is_power_of_two() => a,
            ref v => {
                return Err(Error::BadAlignment {
                    at: loc(kv.offset, Some(ALIGNMENT_KEY)),
                    found: match v {
                        Value::U32(a) => a.to_string(),
                        other => format!("a value of type {}", other.type_name()),
                    },
                })
            }
        },
    };

    let mut tensors = Vec::with_capacity(initial_capacity(n_tensors));
    let mut tensor_index = HashMap::with_capacity(initial_capacity(n_tensors));
    let infos_start = c.offset();
    for j in 0..n_tensors {
        let t = read_tensor_info(&mut c, alignment).map_err(|e| {
            // The tensor infos left, each as long as the average so far.
            let average = (c.offset() - infos_start)
                .checked_div(j)
                .unwrap_or(TENSOR_INFO_GUESS);
            e.and_then_more((n_tensors - j - 1).saturating_mul(average))
        })?;
        if tensor_index.insert(t.name, tensors.len()).is_some() {
            return Err(Error::DuplicateTensor {
                at: loc(t.info_offset, Some(t.name)),
            });
        }
        tensors.push(t);
    }

    let infos_end = c.offset();
    let data_offset = align_up(infos_end, u64::from(alignment)).ok_or(Error::Overflow {
        what: "data section offset",
        at: loc(infos_end, None),
    })?;
    let gguf = Gguf {
        bytes,
        version,
        byte_order: E::ORDER,
        alignment,
        metadata,
        key_index,
        tensors,
        tensor_index,
        infos_end,
        data_offset,
        file_size: (bytes.len() as u64).saturating_add(beyond),
    };
    if options.check_data {
        check_tensor_data(&gguf)?;
    }
    Ok(gguf)
}

fn read_tensor_info<'a, E: Endian>(c: &mut Cursor<'a, E>, alignment: u32) -> Result<TensorInfo<'a>> {
    let at = c.offset();
    let name_bytes = c.string("tensor name", None)?;
    let name = std::str::from_utf8(name_bytes).map_err(|_| Error::InvalidUtf8 {
        what: "tensor name",
        at: loc(at, None),
    })?;
    let here = |n: &str| loc(at, Some(n));
    let n_dims = c.u32("tensor dimension count", Some(name))?;
    if n_dims as usize > MAX_DIMS {
        return Err(Error::TooManyDims {
            at: here(name),
            n_dims,
        });
    }
    let mut ne = [1u64; MAX_DIMS];
    for d in ne.iter_mut().take(n_dims as usize) {
        *d = c.count("tensor dimension", Some(name))?;
        if i64::try_from(*d).is_err() {
            return Err(Error::NegativeDim {
                at: here(name),
                dim: *d,
            });
        }
    }
    let ggml_type = GgmlType(c.u32("tensor type", Some(name))?);
    let offset = c.u64("tensor offset", Some(name))?;

    // ggml keeps element counts in int64_t. The row count is checked on its
    // own too: with a row length of 0 the element count is 0 whatever it is.
    let fits = |dims: &[u64]| {
        dims.iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .filter(|&n| i64::try_from(n).is_ok())
    };
    let n_elements = fits(&ne).ok_or_else(|| Error::Overflow {
        what: "tensor element count",
        at: here(name),
    })?;
    let n_rows = fits(&ne[1..]).ok_or_else(|| Error::Overflow {
        what: "tensor row count",
        at: here(name),
    })?;
    let n_bytes = match ggml_type.info() {
        None => None,
        Some(info) => {
            if !ne[0].is_multiple_of(u64::from(info.block_size)) {
                return Err(Error::RowNotBlockMultiple {
                    at: here(name),
                    ne0: ne[0],
                    ty: ggml_type,
                    block_size: info.block_size,
                });
            }
            let n = info.tensor_size(&ne).ok_or_else(|| Error::Overflow {
                what: "tensor byte size",
                at: here(name),
            })?;
            Some(n)
        }
    };
    if !offset.is_multiple_of(u64::from(alignment)) {
        return Err(Error::MisalignedOffset {
            at: here(name),
            offset,
            alignment,
        });
    }
    Ok(TensorInfo {
        name,
        ggml_type,
        offset,
        info_offset: at,
        n_dims,
        ne,
        n_elements,
        n_rows,
        n_bytes,
        shard: 0,
    })
}

/// Every tensor of known size lies inside the file, and no two overlap.
fn check_tensor_data(g: &Gguf<'_>) -> Result<()> {
    let mut ranges = Vec::with_capacity(g.tensors.len());
    for t in &g.tensors {
        if t.n_bytes.is_none() {
            continue;
        }
        let r = g.file_range(t)?;
        if r.start < r.end {
            ranges.push((r, t.name));
        }
    }
    ranges.sort_unstable_by_key(|(r, _)| (r.start, r.end));
    let mut prev: Option<&(std::ops::Range<u64>, &str)> = None;
    for cur in &ranges {
        if let Some(p) = prev {
            if cur.0.start < p.0.end {
                return Err(Error::OverlappingTensors {
                    first: p.1.to_string(),
                    second: cur.1.to_string(),
                    overlap_start: cur.0.start,
                    overlap_end: cur.0.end.min(p.0.end),
                });
            }
        }
        // Keep the range reaching furthest, so a tensor nested in a large one is caught too.
        if prev.is_none_or(|p| cur.0.end > p.0.end) {
            prev = Some(cur);
        }
    }
    Ok(())
}

//! The writer: a [`GgufBuilder`] collects metadata and tensor descriptions and
//! lays them out; [`GgufBuilder::write_header`] streams the header and returns a
//! [`TensorWriter`] that takes the tensor data one tensor (or one chunk) at a
//! time, padding each to the alignment. Nothing requires the whole model in memory.

use crate::endian::{with_endian, Endian};
use crate::error::{Error, Result};
use crate::raw::{
    ByteOrder, GgmlType, ValueType, Version, ALIGNMENT_KEY, DEFAULT_ALIGNMENT, MAGIC, MAX_DIMS,
};
use crate::read::{align_up, Gguf};
use crate::value::{ArrayView, GgufStr, Value};
use byteorder::WriteBytesExt;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};

/// A metadata value to write: anything [`Value`] holds, plus owned strings and
/// arrays built in memory.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue<'a> {
    /// `UINT8`
    U8(u8),
    /// `INT8`
    I8(i8),
    /// `UINT16`
    U16(u16),
    /// `INT16`
    I16(i16),
    /// `UINT32`
    U32(u32),
    /// `INT32`
    I32(i32),
    /// `FLOAT32`
    F32(f32),
    /// `BOOL`
    Bool(bool),
    /// `STRING` (bytes; UTF-8 by convention)
    String(Cow<'a, [u8]>),
    /// `ARRAY`
    Array(MetaArray<'a>),
    /// `UINT64`
    U64(u64),
    /// `INT64`
    I64(i64),
    /// `FLOAT64`
    F64(f64),
}

/// An array to write.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaArray<'a> {
    /// An array read from a file, written back without decoding when the byte
    /// order and length width match (re-encoded element by element otherwise).
    View(ArrayView<'a>),
    /// Elements built in memory; every one must have type `elem`.
    Items {
        /// The element type.
        elem: ValueType,
        /// The elements.
        items: Vec<MetaValue<'a>>,
    },
}

impl<'a> MetaValue<'a> {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            MetaValue::U8(_) => ValueType::U8,
            MetaValue::I8(_) => ValueType::I8,
            MetaValue::U16(_) => ValueType::U16,
            MetaValue::I16(_) => ValueType::I16,
            MetaValue::U32(_) => ValueType::U32,
            MetaValue::I32(_) => ValueType::I32,
            MetaValue::F32(_) => ValueType::F32,
            MetaValue::Bool(_) => ValueType::Bool,
            MetaValue::String(_) => ValueType::String,
            MetaValue::Array(_) => ValueType::Array,
            MetaValue::U64(_) => ValueType::U64,
            MetaValue::I64(_) => ValueType::I64,
            MetaValue::F64(_) => ValueType::F64,
        }
    }

    /// An array of strings.
    pub fn strings<S: Into<Cow<'a, str>>>(items: impl IntoIterator<Item = S>) -> MetaValue<'a> {
        MetaValue::array(
            ValueType::String,
            items.into_iter().map(|s| match s.into() {
                Cow::Borrowed(b) => MetaValue::String(Cow::Borrowed(b.as_bytes())),
                Cow::Owned(o) => MetaValue::String(Cow::Owned(o.into_bytes())),
            }),
        )
    }

    /// An array of elements of type `elem` (checked when added to a builder).
    pub fn array(elem: ValueType, items: impl IntoIterator<Item = MetaValue<'a>>) -> MetaValue<'a> {
        MetaValue::Array(MetaArray::Items {
            elem,
            items: items.into_iter().collect(),
        })
    }

    /// The value if it is a `UINT32`.
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            MetaValue::U32(v) => Some(*v),
            _ => None,
        }
    }

    /// Checks that in-memory arrays hold only elements of their declared type.
    fn check(&self, key: &str) -> Result<()> {
        if let MetaValue::Array(MetaArray::Items { elem, items }) = self {
            for item in items {
                if item.value_type() != *elem {
                    return Err(Error::InvalidWrite(format!(
                        "array {key} declared as {elem} holds a {} element",
                        item.value_type()
                    )));
                }
                item.check(key)?;
            }
        }
        Ok(())
    }
}

impl<'a> From<Value<'a>> for MetaValue<'a> {
    fn from(v: Value<'a>) -> Self {
        match v {
            Value::U8(x) => MetaValue::U8(x),
            Value::I8(x) => MetaValue::I8(x),
            Value::U16(x) => MetaValue::U16(x),
            Value::I16(x) => MetaValue::I16(x),
            Value::U32(x) => MetaValue::U32(x),
            Value::I32(x) => MetaValue::I32(x),
            Value::F32(x) => MetaValue::F32(x),
            Value::Bool(x) => MetaValue::Bool(x),
            Value::String(GgufStr(s)) => MetaValue::String(Cow::Borrowed(s)),
            Value::Array(a) => MetaValue::Array(MetaArray::View(a)),
            Value::U64(x) => MetaValue::U64(x),
            Value::I64(x) => MetaValue::I64(x),
            Value::F64(x) => MetaValue::F64(x),
        }
    }
}

macro_rules! meta_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for MetaValue<'_> {
            fn from(x: $t) -> Self { MetaValue::$v(x) }
        }
    )*};
}
meta_from!(u8 => U8, i8 => I8, u16 => U16, i16 => I16, u32 => U32, i32 => I32, f32 => F32,
    bool => Bool, u64 => U64, i64 => I64, f64 => F64);

impl<'a> From<&'a str> for MetaValue<'a> {
    fn from(s: &'a str) -> Self {
        MetaValue::String(Cow::Borrowed(s.as_bytes()))
    }
}

impl From<String> for MetaValue<'_> {
    fn from(s: String) -> Self {
        MetaValue::String(Cow::Owned(s.into_bytes()))
    }
}

/// A tensor to be written: name, dimensions (innermost first), type and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorDesc<'a> {
    /// The tensor's name.
    pub name: Cow<'a, str>,
    dims: Vec<u64>,
    /// The ggml type.
    pub ggml_type: GgmlType,
    /// Data size in bytes.
    pub n_bytes: u64,
    /// Offset relative to the data section, assigned by the builder.
    pub offset: u64,
}

impl TensorDesc<'_> {
    /// The dimensions as they will be stored.
    pub fn dims(&self) -> &[u64] {
        &self.dims
    }
}

/// Collects what a GGUF file will contain and computes its layout.
///
/// The alignment is always the one `general.alignment` declares (32 when the key
/// is absent), so a file this writes loads back with the alignment it claims.
///
/// ```
/// use gguf_format::{GgmlType, Gguf, GgufBuilder};
/// # fn main() -> Result<(), gguf_format::Error> {
/// let mut b = GgufBuilder::new();
/// b.push("general.architecture", "llama")?;
/// b.push("llama.block_count", 1u32)?;
/// b.add_tensor("output_norm.weight", &[4], GgmlType::F32)?;
///
/// let mut out = Vec::new();
/// let mut w = b.write_header(&mut out)?;
/// let data: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0].iter().flat_map(|x| x.to_le_bytes()).collect();
/// w.write_tensor(&data)?;
/// w.finish()?;
///
/// let g = Gguf::parse(&out)?;
/// assert_eq!(g.get_u32("llama.block_count")?, 1);
/// assert_eq!(g.tensor_data(&g.tensors()[0])?, &data[..]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct GgufBuilder<'a> {
    version: Version,
    byte_order: ByteOrder,
    /// The byte order of the tensor data the [`TensorWriter`] will be given.
    data_byte_order: ByteOrder,
    metadata: Vec<(Cow<'a, str>, MetaValue<'a>)>,
    tensors: Vec<TensorDesc<'a>>,
    tensor_names: HashMap<String, usize>,
    next_offset: u64,
}

impl Default for GgufBuilder<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> GgufBuilder<'a> {
    /// An empty version-3 little-endian file.
    pub fn new() -> Self {
        GgufBuilder {
            version: Version::V3,
            byte_order: ByteOrder::Little,
            data_byte_order: ByteOrder::Little,
            metadata: Vec::new(),
            tensors: Vec::new(),
            tensor_names: HashMap::new(),
            next_offset: 0,
        }
    }

    /// Everything `gguf` holds, in the same order, version and byte order: writing
    /// the result with the tensors' data reproduces a canonical file byte for byte.
    ///
    /// The tensor data is expected in `gguf`'s byte order
    /// ([`GgufBuilder::data_byte_order`]), as [`Gguf::tensor_data`] gives it,
    /// so after [`GgufBuilder::set_byte_order`] the data is still handed over as
    /// it is and the [`TensorWriter`] converts it.
    pub fn from_gguf(gguf: &Gguf<'a>) -> Result<Self> {
        let mut b = GgufBuilder::new();
        b.version = gguf.version();
        b.byte_order = gguf.byte_order();
        b.data_byte_order = gguf.byte_order();
        b.extend_metadata(gguf)?;
        for t in gguf.tensors() {
            b.add_tensor(t.name, t.dims(), t.ggml_type)?;
        }
        Ok(b)
    }

    /// Appends every metadata entry of `gguf`, in its order (borrowed, not
    /// copied); an error if a key is already present. Linear in the number
    /// of keys, unlike repeated [`GgufBuilder::push`] calls.
    pub fn extend_metadata(&mut self, gguf: &Gguf<'a>) -> Result<&mut Self> {
        self.extend(
            gguf.metadata()
                .iter()
                .map(|kv| (Cow::Borrowed(kv.key), MetaValue::from(kv.value))),
        )
    }

    /// Appends entries in order; an error (and no change) if a key is
    /// already present or repeats. Linear in the number of keys.
    pub fn extend(
        &mut self,
        entries: impl IntoIterator<Item = (Cow<'a, str>, MetaValue<'a>)>,
    ) -> Result<&mut Self> {
        let entries: Vec<_> = entries.into_iter().collect();
        let mut present: std::collections::HashSet<&str> =
            self.metadata.iter().map(|(k, _)| k.as_ref()).collect();
        for (key, value) in &entries {
            if !present.insert(key) {
                return Err(Error::InvalidWrite(format!("duplicate metadata key {key}")));
            }
            self.check_entry(key, value)?;
        }
        self.metadata.extend(entries);
        self.relayout();
        Ok(self)
    }

    /// Sets the format version (1, 2 or 3) to write.
    pub fn set_version(&mut self, v: Version) -> &mut Self {
        self.version = v;
        self
    }

    /// Sets the byte order of the file: of every header field and of the
    /// tensor data.
    ///
    /// The [`TensorWriter`] takes the tensor data in the
    /// [data byte order](GgufBuilder::data_byte_order) and, where that is not
    /// the file's, swaps every multi-byte field of every block by the tensor
    /// type's layout ([`TypeInfo::swap`](crate::TypeInfo::swap), as
    /// [`swap_tensor_data`](crate::endian::swap_tensor_data) does), so the file
    /// holds the values given. The data byte order is the one stated with
    /// [`GgufBuilder::set_data_byte_order`]; for a builder made by
    /// [`GgufBuilder::from_gguf`] it is the source file's; otherwise it is
    /// little-endian, the order of nearly every GGUF file and of the codecs'
    /// output. So little-endian data (from `to_le_bytes`, or from a
    /// little-endian file) written into a big-endian file made with
    /// [`GgufBuilder::new`] is converted:
    ///
    /// ```
    /// use gguf_format::{ByteOrder, GgmlType, Gguf, GgufBuilder};
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// let mut b = GgufBuilder::new();
    /// b.set_byte_order(ByteOrder::Big); // the data stays little-endian
    /// b.add_tensor("x", &[2], GgmlType::F32)?;
    /// let mut w = b.write_header(Vec::new())?;
    /// w.write_tensor(&[1.5f32.to_le_bytes(), 2.5f32.to_le_bytes()].concat())?;
    /// let out = w.finish()?;
    ///
    /// let g = Gguf::parse(&out)?;
    /// assert_eq!(g.byte_order(), ByteOrder::Big);
    /// assert_eq!(g.tensor_data(&g.tensors()[0])?, [1.5f32.to_be_bytes(), 2.5f32.to_be_bytes()].concat());
    /// # Ok(()) }
    /// ```
    ///
    /// Data already in big-endian order is written as it is after
    /// `set_data_byte_order(ByteOrder::Big)`. The writer cannot tell the byte
    /// order of bytes by looking at them: data in another order than the one
    /// stated is written wrongly, not refused.
    pub fn set_byte_order(&mut self, o: ByteOrder) -> &mut Self {
        self.byte_order = o;
        self
    }

    /// States the byte order of the tensor data that will be given to the
    /// [`TensorWriter`]; where it is not the file's
    /// ([`GgufBuilder::set_byte_order`]), the writer converts the data to the
    /// file's order, tensor by tensor, by each type's byte layout (chunks
    /// given to [`TensorWriter::write_chunk`] need not be whole blocks).
    pub fn set_data_byte_order(&mut self, o: ByteOrder) -> &mut Self {
        self.data_byte_order = o;
        self
    }

    /// The byte order the [`TensorWriter`] expects tensor data in: the one
    /// stated with [`GgufBuilder::set_data_byte_order`] or by
    /// [`GgufBuilder::from_gguf`], else little-endian.
    pub fn data_byte_order(&self) -> ByteOrder {
        self.data_byte_order
    }

    /// The version that will be written.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The byte order that will be written.
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// The alignment of the layout: `general.alignment`, or 32.
    pub fn alignment(&self) -> u32 {
        self.get(ALIGNMENT_KEY)
            .and_then(MetaValue::as_u32)
            .unwrap_or(DEFAULT_ALIGNMENT)
    }

    /// Sets `general.alignment` (in place if present, else appended) and lays
    /// the tensors out again.
    pub fn set_alignment(&mut self, alignment: u32) -> Result<&mut Self> {
        self.set(ALIGNMENT_KEY, alignment)
    }

    /// The metadata, in order.
    pub fn metadata(&self) -> &[(Cow<'a, str>, MetaValue<'a>)] {
        &self.metadata
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&MetaValue<'a>> {
        self.position(key).map(|i| &self.metadata[i].1)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.metadata.iter().position(|(k, _)| k == key)
    }

    fn check_entry(&self, key: &str, value: &MetaValue<'_>) -> Result<()> {
        if key.is_empty() {
            return Err(Error::InvalidWrite("empty metadata key".into()));
        }
        if key == ALIGNMENT_KEY && !matches!(value, MetaValue::U32(a) if a.is_power_of_two()) {
            return Err(Error::InvalidWrite(format!(
                "{ALIGNMENT_KEY} must be a non-zero power of two of type UINT32, got {value:?}"
            )));
        }
        value.check(key)
    }

    /// Appends a new key; an error if it is already present. (Each call
    /// looks through the keys so far: for copying a whole file's metadata use
    /// [`GgufBuilder::extend_metadata`].)
    pub fn push(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: impl Into<MetaValue<'a>>,
    ) -> Result<&mut Self> {
        let key = key.into();
        if self.position(&key).is_some() {
            return Err(Error::InvalidWrite(format!("duplicate metadata key {key}")));
        }
        self.set(key, value)
    }

    /// Sets a key: replaces the value in place if present, appends otherwise.
    pub fn set(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: impl Into<MetaValue<'a>>,
    ) -> Result<&mut Self> {
        let (key, value) = (key.into(), value.into());
        self.check_entry(&key, &value)?;
        let relayout = key == ALIGNMENT_KEY;
        match self.position(&key) {
            Some(i) => self.metadata[i].1 = value,
            None => self.metadata.push((key, value)),
        }
        if relayout {
            self.relayout();
        }
        Ok(self)
    }

    /// Removes a key if present and appends it with the new value: what
    /// llama.cpp's `gguf_set_val_*` does, so the key moves to the end.
    pub fn set_last(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        value: impl Into<MetaValue<'a>>,
    ) -> Result<&mut Self> {
        let key = key.into();
        self.remove(&key);
        self.push(key, value)
    }

    /// Removes a key; returns its value if it was present.
    pub fn remove(&mut self, key: &str) -> Option<MetaValue<'a>> {
        let i = self.position(key)?;
        let (_, v) = self.metadata.remove(i);
        if key == ALIGNMENT_KEY {
            self.relayout();
        }
        Some(v)
    }

    /// Appends a tensor of a known type; its offset follows the previous
    /// tensor's data, padded to the alignment.
    pub fn add_tensor(
        &mut self,
        name: impl Into<Cow<'a, str>>,
        dims: &[u64],
        ggml_type: GgmlType,
    ) -> Result<&mut Self> {
        let name = name.into();
        let invalid = |msg: String| Err(Error::InvalidWrite(format!("tensor {name}: {msg}")));
        if dims.len() > MAX_DIMS {
            return invalid(format!("{} dimensions, at most {MAX_DIMS}", dims.len()));
        }
        if self.tensor_names.contains_key(name.as_ref()) {
            return invalid("duplicate tensor name".into());
        }
        let Some(info) = ggml_type.info() else {
            return invalid(format!("unknown ggml type id {}", ggml_type.0));
        };
        let fits_i64 = dims
            .iter()
            .try_fold(1i64, |acc, &d| acc.checked_mul(i64::try_from(d).ok()?))
            .is_some();
        let Some(n_bytes) = info.tensor_size(dims).filter(|_| fits_i64) else {
            return invalid(format!(
                "dimensions {dims:?} are not whole {} blocks of {} or overflow",
                info.name, info.block_size
            ));
        };
        let offset = self.next_offset;
        self.next_offset = self.padded_end(offset, n_bytes)?;
        self.tensor_names.insert(name.to_string(), self.tensors.len());
        self.tensors.push(TensorDesc {
            name,
            dims: dims.to_vec(),
            ggml_type,
            n_bytes,
            offset,
        });
        Ok(self)
    }

    fn padded_end(&self, offset: u64, n_bytes: u64) -> Result<u64> {
        offset
            .checked_add(n_bytes)
            .and_then(|e| align_up(e, u64::from(self.alignment())))
            .ok_or_else(|| Error::InvalidWrite("tensor data size overflows u64".into()))
    }

    /// Recomputes every tensor offset (after the alignment changed). Offsets
    /// were valid under the previous alignment and alignments are at most 2^31,
    /// so the sums cannot overflow where they did not before by more than that.
    fn relayout(&mut self) {
        let align = u64::from(self.alignment());
        let mut next = 0u64;
        for t in &mut self.tensors {
            t.offset = next;
            next = align_up(next.saturating_add(t.n_bytes), align).unwrap_or(u64::MAX);
        }
        self.next_offset = next;
    }

    /// The tensors, in order, with their offsets.
    pub fn tensors(&self) -> &[TensorDesc<'a>] {
        &self.tensors
    }

    /// Changes the type of tensor `name` (dimensions unchanged) and lays out
    /// the following tensors again, like `gguf_set_tensor_type`.
    pub fn set_tensor_type(&mut self, name: &str, ggml_type: GgmlType) -> Result<&mut Self> {
        let &i = self
            .tensor_names
            .get(name)
            .ok_or_else(|| Error::InvalidWrite(format!("no tensor named {name}")))?;
        let t = &self.tensors[i];
        let info = ggml_type.info().ok_or_else(|| {
            Error::InvalidWrite(format!("tensor {name}: unknown ggml type id {}", ggml_type.0))
        })?;
        let n_bytes = info.tensor_size(&t.dims).ok_or_else(|| {
            Error::InvalidWrite(format!(
                "tensor {name}: dimensions {:?} are not whole {} blocks",
                t.dims, info.name
            ))
        })?;
        self.tensors[i].ggml_type = ggml_type;
        self.tensors[i].n_bytes = n_bytes;
        self.relayout();
        Ok(self)
    }

    /// Total size of the file this will write.
    pub fn file_size(&self) -> Result<u64> {
        self.metadata_size()?
            .checked_add(self.next_offset)
            .ok_or_else(|| Error::InvalidWrite("file size overflows u64".into()))
    }

    /// Size of everything before the tensor data (header, metadata, tensor
    /// infos, padding): the data section's offset.
    pub fn metadata_size(&self) -> Result<u64> {
        let mut counter = CountingWriter {
            inner: io::sink(),
            written: 0,
        };
        with_endian!(self.byte_order, E => self.write_meta::<E, _>(&mut counter))?;
        Ok(counter.written)
    }

    /// Writes header, metadata, tensor infos and padding to `w`, and returns a
    /// [`TensorWriter`] that takes the tensor data in order, in the
    /// [data byte order](GgufBuilder::data_byte_order).
    pub fn write_header<W: Write>(&self, w: W) -> Result<TensorWriter<W>> {
        let mut tw = TensorWriter {
            w: CountingWriter { inner: w, written: 0 },
            alignment: u64::from(self.alignment()),
            tensors: self
                .tensors
                .iter()
                .map(|t| Slot {
                    name: t.name.to_string(),
                    n_bytes: t.n_bytes,
                    ggml_type: t.ggml_type,
                })
                .collect(),
            current: 0,
            written_in_current: 0,
            file_order: self.byte_order,
            data_order: self.byte_order,
            partial: Vec::new(),
            buf: Vec::new(),
        };
        // Refused before anything is written.
        tw.set_data_order(self.data_byte_order())?;
        with_endian!(self.byte_order, E => self.write_meta::<E, _>(&mut tw.w))?;
        Ok(tw)
    }

    fn write_meta<E: Endian, W: Write>(&self, w: &mut CountingWriter<W>) -> Result<()> {
        let wide = self.version.wide_lengths();
        let mut out = Out::<E, _> {
            w: &mut *w,
            wide,
            _e: std::marker::PhantomData,
        };
        out.bytes(&MAGIC)?;
        out.u32(self.version.as_u32())?;
        out.count(self.tensors.len() as u64, "tensor count")?;
        out.count(self.metadata.len() as u64, "metadata key count")?;
        for (key, value) in &self.metadata {
            out.string(key.as_bytes())?;
            out.u32(value.value_type().as_u32())?;
            out.value(value)?;
        }
        for t in &self.tensors {
            out.string(t.name.as_bytes())?;
            out.u32(t.dims.len() as u32)?;
            for &d in &t.dims {
                out.count(d, "tensor dimension")?;
            }
            out.u32(t.ggml_type.0)?;
            out.u64(t.offset)?;
        }
        pad(w, u64::from(self.alignment()))
    }
}

/// A value's bytes as a file of byte order `order` and length width `wide`
/// stores them (without the type id).
pub(crate) fn encode_value(v: &MetaValue<'_>, order: ByteOrder, wide: bool) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    with_endian!(order, E => {
        let mut out = Out::<E, _> {
            w: &mut buf,
            wide,
            _e: std::marker::PhantomData,
        };
        out.value(v)?;
    });
    Ok(buf)
}

/// Writes zero bytes up to the next multiple of `align`.
fn pad<W: Write>(w: &mut CountingWriter<W>, align: u64) -> Result<()> {
    const ZEROS: [u8; 64] = [0; 64];
    let mut left = align_up(w.written, align).map_or(0, |e| e - w.written);
    while left > 0 {
        let n = left.min(ZEROS.len() as u64) as usize;
        w.write_all(&ZEROS[..n]).map_err(|e| Error::io("", e))?;
        left -= n as u64;
    }
    Ok(())
}

struct CountingWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Field writer for one byte order and length width.
struct Out<'w, E, W> {
    w: &'w mut W,
    wide: bool,
    _e: std::marker::PhantomData<E>,
}

impl<E: Endian, W: Write> Out<'_, E, W> {
    fn io(r: io::Result<()>) -> Result<()> {
        r.map_err(|e| Error::io("", e))
    }
    fn bytes(&mut self, b: &[u8]) -> Result<()> {
        Self::io(self.w.write_all(b))
    }
    fn u32(&mut self, v: u32) -> Result<()> {
        Self::io(self.w.write_u32::<E>(v))
    }
    fn u64(&mut self, v: u64) -> Result<()> {
        Self::io(self.w.write_u64::<E>(v))
    }
    fn count(&mut self, n: u64, what: &str) -> Result<()> {
        if self.wide {
            self.u64(n)
        } else {
            let n = u32::try_from(n).map_err(|_| {
                Error::InvalidWrite(format!("{what} {n} does not fit the 32 bits of GGUF v1"))
            })?;
            self.u32(n)
        }
    }
    fn string(&mut self, s: &[u8]) -> Result<()> {
        self.count(s.len() as u64, "string length")?;
        self.bytes(s)
    }

    fn value(&mut self, v: &MetaValue<'_>) -> Result<()> {
        let w = &mut *self.w;
        let r = match *v {
            MetaValue::U8(x) => w.write_u8(x),
            MetaValue::I8(x) => w.write_i8(x),
            MetaValue::U16(x) => w.write_u16::<E>(x),
            MetaValue::I16(x) => w.write_i16::<E>(x),
            MetaValue::U32(x) => w.write_u32::<E>(x),
            MetaValue::I32(x) => w.write_i32::<E>(x),
            MetaValue::F32(x) => w.write_f32::<E>(x),
            MetaValue::Bool(x) => w.write_u8(u8::from(x)),
            MetaValue::U64(x) => w.write_u64::<E>(x),
            MetaValue::I64(x) => w.write_i64::<E>(x),
            MetaValue::F64(x) => w.write_f64::<E>(x),
            MetaValue::String(ref s) => return self.string(s),
            MetaValue::Array(ref a) => return self.array(a),
        };
        Self::io(r)
    }

    fn array(&mut self, a: &MetaArray<'_>) -> Result<()> {
        match a {
            MetaArray::View(view) => {
                self.u32(view.element_type().as_u32())?;
                self.count(view.len(), "array length")?;
                // Booleans are normalised to 0/1, so only copy raw bytes when that cannot matter.
                if view.byte_order() == E::ORDER && view.wide_lengths() == self.wide && !contains_bools(view)
                {
                    return self.bytes(view.raw_bytes());
                }
                for item in view.iter() {
                    self.value(&MetaValue::from(item))?;
                }
                Ok(())
            }
            MetaArray::Items { elem, items } => {
                self.u32(elem.as_u32())?;
                self.count(items.len() as u64, "array length")?;
                items.iter().try_for_each(|item| self.value(item))
            }
        }
    }
}

fn contains_bools(view: &ArrayView<'_>) -> bool {
    match view.element_type() {
        ValueType::Bool => true,
        ValueType::Array => view
            .iter()
            .any(|v| matches!(v, Value::Array(inner) if contains_bools(&inner))),
        _ => false,
    }
}

/// Takes the tensor data after [`GgufBuilder::write_header`], in the order the
/// tensors were added, and pads each to the alignment.
///
/// Data is taken in the builder's [data byte
/// order](GgufBuilder::data_byte_order); when that is not the file's, every
/// tensor is converted to the file's order as it is written (see
/// [`GgufBuilder::set_byte_order`]).
pub struct TensorWriter<W: Write> {
    w: CountingWriter<W>,
    alignment: u64,
    tensors: Vec<Slot>,
    current: usize,
    written_in_current: u64,
    file_order: ByteOrder,
    /// The order of the data given; swapped to `file_order` when they differ.
    data_order: ByteOrder,
    /// The start of a block whose rest has not been given yet (only when swapping).
    partial: Vec<u8>,
    /// Scratch space for swapping.
    buf: Vec<u8>,
}

/// A tensor the [`TensorWriter`] expects.
struct Slot {
    name: String,
    n_bytes: u64,
    ggml_type: GgmlType,
}

/// Bytes of data swapped per step when the byte order changes.
const SWAP_STEP: usize = 4 << 20;

impl<W: Write> TensorWriter<W> {
    /// Index of the tensor the next bytes belong to (equal to the number of
    /// tensors when all are complete).
    pub fn current_tensor(&self) -> usize {
        self.current
    }

    /// Sets the byte order of the data given from the current tensor on
    /// (only between tensors); refuses, by name, a tensor left whose type has
    /// no known byte layout when the order differs from the file's.
    pub(crate) fn set_data_order(&mut self, order: ByteOrder) -> Result<()> {
        if self.written_in_current != 0 {
            return Err(self.mismatch("the data byte order changed inside a tensor"));
        }
        if order != self.file_order {
            let tensors = self.tensors.get(self.current..).unwrap_or_default();
            if let Some(t) = tensors
                .iter()
                .find(|t| t.ggml_type.info().and_then(|i| i.swap).is_none())
            {
                return Err(Error::InvalidWrite(format!(
                    "tensor {} has type {}, whose byte layout is not known: cannot write its \
                     {order} data into a {} file",
                    t.name, t.ggml_type, self.file_order
                )));
            }
        }
        self.data_order = order;
        Ok(())
    }

    /// Whether the data given is converted to another byte order.
    pub(crate) fn swaps(&self) -> bool {
        self.data_order != self.file_order
    }

    /// Writes a whole tensor's data; its length must be the tensor's size.
    pub fn write_tensor(&mut self, data: &[u8]) -> Result<()> {
        if self.written_in_current != 0 {
            return Err(self.mismatch("a whole tensor written after a partial one"));
        }
        match self.tensors.get(self.current) {
            Some(t) if t.n_bytes == data.len() as u64 => self.write_chunk(data),
            Some(t) => Err(Error::InvalidWrite(format!(
                "tensor {}: {} bytes of data given, {} expected",
                t.name,
                data.len(),
                t.n_bytes
            ))),
            None => Err(self.mismatch("more tensors written than described")),
        }
    }

    /// Writes the next part of the current tensor's data; when the tensor is
    /// complete, writes its padding and moves on to the next one. A chunk may
    /// not extend past the end of the current tensor; a zero-size tensor is
    /// completed by an empty chunk (or [`TensorWriter::write_tensor`] with `&[]`).
    /// When the data is converted to another byte order, a chunk need not end
    /// on a block boundary: the start of a split block waits for its rest.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::{GgmlType, Gguf, GgufBuilder};
    /// let mut b = GgufBuilder::new();
    /// b.add_tensor("big", &[1024], GgmlType::F32)?;
    /// let mut w = b.write_header(Vec::new())?;
    /// for _ in 0..4 {
    ///     w.write_chunk(&[0u8; 1024])?; // a quarter of the tensor at a time
    /// }
    /// assert_eq!(w.current_tensor(), 1);
    /// let out = w.finish()?;
    /// assert_eq!(Gguf::parse(&out)?.tensors()[0].n_bytes()?, 4096);
    /// # Ok(()) }
    /// ```
    pub fn write_chunk(&mut self, data: &[u8]) -> Result<()> {
        let Some(t) = self.tensors.get(self.current) else {
            return Err(self.mismatch("more data written than the tensors described"));
        };
        let (size, left) = (t.n_bytes, t.n_bytes - self.written_in_current);
        if data.len() as u64 > left {
            return Err(Error::InvalidWrite(format!(
                "tensor {}: chunk of {} bytes runs past its end ({left} bytes left)",
                t.name,
                data.len()
            )));
        }
        if self.data_order == self.file_order {
            self.w.write_all(data).map_err(|e| Error::io("", e))?;
        } else {
            self.write_swapped(data)?;
        }
        self.written_in_current += data.len() as u64;
        if self.written_in_current == size {
            debug_assert!(self.partial.is_empty(), "tensor sizes are whole blocks");
            pad(&mut self.w, self.alignment)?;
            self.current += 1;
            self.written_in_current = 0;
        }
        Ok(())
    }

    /// Writes `data` of the current tensor converted to the file's byte
    /// order: whole blocks at once, a block's start kept until its rest comes.
    fn write_swapped(&mut self, mut data: &[u8]) -> Result<()> {
        let t = &self.tensors[self.current];
        let block = t.ggml_type.info().map_or(1, |i| i.type_size as usize);
        let swap = |ty: GgmlType, bytes: &mut [u8]| {
            crate::endian::swap_tensor_data(ty, bytes).map_err(|e| match e {
                Error::InvalidWrite(m) => Error::InvalidWrite(format!("tensor {}: {m}", t.name)),
                other => other,
            })
        };
        if !self.partial.is_empty() {
            let take = (block - self.partial.len()).min(data.len());
            self.partial.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.partial.len() < block {
                return Ok(());
            }
            swap(t.ggml_type, &mut self.partial)?;
            self.w.write_all(&self.partial).map_err(|e| Error::io("", e))?;
            self.partial.clear();
        }
        let whole = data.len() / block * block;
        let step = (SWAP_STEP / block).max(1) * block;
        for piece in data[..whole].chunks(step) {
            self.buf.clear();
            self.buf.extend_from_slice(piece);
            swap(t.ggml_type, &mut self.buf)?;
            self.w.write_all(&self.buf).map_err(|e| Error::io("", e))?;
        }
        self.partial.extend_from_slice(&data[whole..]);
        Ok(())
    }

    fn mismatch(&self, what: &str) -> Error {
        Error::InvalidWrite(what.to_string())
    }

    /// Checks that every tensor was written in full and returns the writer
    /// (flushed).
    pub fn finish(mut self) -> Result<W> {
        // Trailing zero-size tensors need no bytes.
        while self.tensors.get(self.current).is_some_and(|t| t.n_bytes == 0) && self.written_in_current == 0 {
            self.current += 1;
        }
        if let Some(t) = self.tensors.get(self.current) {
            return Err(Error::InvalidWrite(format!(
                "tensor {} incomplete: {} of {} bytes written ({} tensors not written)",
                t.name,
                self.written_in_current,
                t.n_bytes,
                self.tensors.len() - self.current
            )));
        }
        self.w.flush().map_err(|e| Error::io("", e))?;
        Ok(self.w.inner)
    }

    /// Bytes written so far. (When converting the byte order, the start of a
    /// block split between chunks is written once its rest has been given.)
    pub fn bytes_written(&self) -> u64 {
        self.w.written
    }
}

/// Tensors smaller than this are written from memory even when they could be
/// copied file to file: a system call per tensor costs more than it saves.
const COPY_FILE_MIN: usize = 1 << 16;

impl TensorWriter<&mut std::io::BufWriter<std::fs::File>> {
    /// Writes a whole tensor's data like [`TensorWriter::write_tensor`], but
    /// when `source` gives the open file the bytes come from and their
    /// offset, lets the kernel copy them file to file (`copy_file_range` on
    /// Linux: no trip through this process, and a reflink on file systems
    /// that can share blocks). `data` must be those same bytes (a slice of
    /// the source's map); it is written instead wherever the copy is not
    /// possible. Data converted to another byte order (see
    /// [`GgufBuilder::set_byte_order`]) is always written from memory.
    pub fn copy_tensor(&mut self, data: &[u8], source: Option<(&std::fs::File, u64)>) -> Result<()> {
        match self.tensors.get(self.current) {
            Some(t)
                if t.n_bytes == data.len() as u64
                    && self.written_in_current == 0
                    && self.data_order == self.file_order => {}
            _ => return self.write_tensor(data),
        }
        #[cfg(target_os = "linux")]
        if let Some((src, offset)) = source.filter(|_| data.len() >= COPY_FILE_MIN) {
            self.w.flush().map_err(|e| Error::io("", e))?;
            let copied = linux_copy::copy_range(src, offset, self.w.inner.get_ref(), data.len())
                .map_err(|e| Error::io("", e))?;
            self.w.written += copied as u64;
            self.written_in_current += copied as u64;
            return self.write_chunk(&data[copied..]);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = source;
        self.write_chunk(data)
    }
}

#[cfg(target_os = "linux")]
mod linux_copy {
    use std::fs::File;
    use std::io;
    use std::os::unix::io::AsRawFd;

    /// Copies up to `len` bytes from `src` at `offset` to `dst` at its current
    /// position with `copy_file_range(2)`; returns how many were copied (fewer
    /// when the kernel or file system cannot, e.g. across file systems on
    /// old kernels: the caller writes the rest).
    pub(super) fn copy_range(src: &File, offset: u64, dst: &File, len: usize) -> io::Result<usize> {
        let Ok(mut off_in) = libc::loff_t::try_from(offset) else {
            return Ok(0);
        };
        let mut done = 0usize;
        while done < len {
            // SAFETY: copy_file_range(2) on two open descriptors; `off_in` is a
            // valid pointer to a local, the output offset is the file's own.
            let n = unsafe {
                libc::copy_file_range(
                    src.as_raw_fd(),
                    &mut off_in,
                    dst.as_raw_fd(),
                    std::ptr::null_mut(),
                    len - done,
                    0,
                )
            };
            match n {
                n if n > 0 => done += n as usize,
                0 => break,
                _ => {
                    let e = io::Error::last_os_error();
                    match e.raw_os_error() {
                        Some(libc::EINTR) => continue,
                        Some(libc::ENOSYS | libc::EXDEV | libc::EINVAL | libc::EOPNOTSUPP | libc::EBADF) => {
                            break
                        }
                        _ => return Err(e),
                    }
                }
            }
        }
        Ok(done)
    }
}

/// Writes a parsed file back with its own version, byte order, alignment and
/// order. For a canonical input (offsets packed in order, zero padding, booleans
/// 0/1, data padded to the end) the output is byte-identical.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf")).unwrap();
/// let g = gguf_format::Gguf::parse(&bytes)?;
/// let out = gguf_format::write_gguf(&g, Vec::new())?;
/// assert!(out == bytes);
/// # Ok(()) }
/// ```
pub fn write_gguf<W: Write>(gguf: &Gguf<'_>, w: W) -> Result<W> {
    let b = GgufBuilder::from_gguf(gguf)?;
    let mut tw = b.write_header(w)?;
    for t in gguf.tensors() {
        tw.write_tensor(gguf.tensor_data(t)?)?;
    }
    tw.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(b: &GgufBuilder<'_>) -> Vec<String> {
        b.metadata().iter().map(|(k, _)| k.to_string()).collect()
    }

    #[test]
    fn set_replaces_in_place_and_set_last_moves_to_the_end() {
        let mut b = GgufBuilder::new();
        b.push("a", 1u32)
            .unwrap()
            .push("b", 2u32)
            .unwrap()
            .push("c", 3u32)
            .unwrap();
        assert!(b.push("b", 9u32).is_err(), "push refuses duplicates");
        b.set("b", 20u32).unwrap();
        assert_eq!(keys(&b), ["a", "b", "c"]);
        assert_eq!(b.get("b"), Some(&MetaValue::U32(20)));
        b.set_last("a", "x").unwrap();
        assert_eq!(keys(&b), ["b", "c", "a"]);
        assert_eq!(b.remove("c"), Some(MetaValue::U32(3)));
        assert_eq!(b.remove("c"), None);
        assert_eq!(keys(&b), ["b", "a"]);
    }

    #[test]
    fn alignment_key_drives_the_layout() {
        let mut b = GgufBuilder::new();
        b.add_tensor("x", &[3], GgmlType::F32).unwrap();
        b.add_tensor("y", &[3], GgmlType::F32).unwrap();
        assert_eq!(b.tensors()[1].offset, 32);
        b.set_alignment(64).unwrap();
        assert_eq!(b.tensors()[1].offset, 64);
        assert!(b.set("general.alignment", 48u32).is_err());
        assert!(b.set("general.alignment", 64u64).is_err());
        b.remove("general.alignment");
        assert_eq!(b.tensors()[1].offset, 32);

        let mut out = Vec::new();
        b.set_alignment(128).unwrap();
        let mut tw = b.write_header(&mut out).unwrap();
        tw.write_tensor(&[0; 12]).unwrap();
        tw.write_tensor(&[0; 12]).unwrap();
        tw.finish().unwrap();
        let g = Gguf::parse(&out).unwrap();
        assert_eq!(g.alignment(), 128);
        assert_eq!(g.data_offset() % 128, 0);
        assert_eq!(g.tensors()[1].offset, 128);
        assert_eq!(out.len() as u64, b.file_size().unwrap());
    }

    #[test]
    fn set_tensor_type_relays_out() {
        let mut b = GgufBuilder::new();
        b.add_tensor("w", &[256, 2], GgmlType::F32).unwrap();
        b.add_tensor("n", &[4], GgmlType::F32).unwrap();
        assert_eq!(b.tensors()[1].offset, 2048);
        b.set_tensor_type("w", GgmlType::Q4_K).unwrap();
        assert_eq!(b.tensors()[0].n_bytes, 288);
        assert_eq!(b.tensors()[1].offset, 288);
        assert!(
            b.set_tensor_type("n", GgmlType::Q4_0).is_err(),
            "4 is not whole blocks of 32"
        );
        assert!(b.set_tensor_type("missing", GgmlType::F16).is_err());
    }

    #[test]
    fn tensors_are_checked_when_added() {
        let mut b = GgufBuilder::new();
        assert!(b.add_tensor("q", &[33], GgmlType::Q4_0).is_err());
        assert!(b.add_tensor("u", &[4], GgmlType(4)).is_err());
        assert!(b.add_tensor("d", &[1, 1, 1, 1, 1], GgmlType::F32).is_err());
        assert!(b.add_tensor("o", &[1 << 62, 4], GgmlType::F32).is_err());
        b.add_tensor("ok", &[4], GgmlType::F32).unwrap();
        assert!(b.add_tensor("ok", &[4], GgmlType::F32).is_err());
        assert!(b.push("", 1u8).is_err());
        let bad = MetaValue::array(ValueType::U32, [MetaValue::U8(1)]);
        assert!(b.push("arr", bad).is_err());
    }

    #[test]
    fn data_is_checked_when_written() {
        let mut b = GgufBuilder::new();
        b.add_tensor("a", &[8], GgmlType::F32).unwrap();
        b.add_tensor("empty", &[0], GgmlType::F32).unwrap();
        b.add_tensor("b", &[2], GgmlType::F16).unwrap();

        let mut tw = b.write_header(Vec::new()).unwrap();
        assert!(tw.write_tensor(&[0; 31]).is_err(), "wrong size");
        tw.write_chunk(&[1; 20]).unwrap();
        assert!(
            tw.write_tensor(&[0; 32]).is_err(),
            "whole tensor after a partial one"
        );
        assert!(tw.write_chunk(&[1; 13]).is_err(), "chunk past the end");
        tw.write_chunk(&[1; 12]).unwrap();
        assert_eq!(tw.current_tensor(), 1);
        tw.write_tensor(&[]).unwrap();
        let unfinished = tw.finish();
        assert!(unfinished
            .unwrap_err()
            .to_string()
            .contains("tensor b incomplete"));

        let mut tw = b.write_header(Vec::new()).unwrap();
        tw.write_tensor(&[1; 32]).unwrap();
        tw.write_tensor(&[]).unwrap();
        tw.write_tensor(&[2; 4]).unwrap();
        assert!(tw.write_chunk(&[0]).is_err(), "more data than described");
        let out = tw.finish().unwrap();
        let g = Gguf::parse(&out).unwrap();
        assert_eq!(g.tensor_data(g.tensor("b").unwrap()).unwrap(), [2; 4]);
        assert_eq!(g.tensor("empty").unwrap().offset, 32);
    }

    #[test]
    fn v1_refuses_counts_over_32_bits() {
        let mut b = GgufBuilder::new();
        b.set_version(Version::V1);
        b.add_tensor("big", &[1 << 33], GgmlType::I8).unwrap();
        let e = b.write_header(io::sink()).err().unwrap();
        assert!(e.to_string().contains("32 bits"), "{e}");
    }
}

//! Metadata values as read from a file: scalars decoded, strings and arrays
//! borrowed from the file's bytes. Arrays are views that decode elements lazily,
//! so a 262,144-entry token list costs no allocation at all.

use crate::cursor::{loc, Cursor};
use crate::endian::{with_endian, Endian};
use crate::error::{Error, Result};
use crate::raw::{ByteOrder, ValueType, MAX_ARRAY_DEPTH};
use byteorder::ByteOrder as _;
use std::fmt;

/// A string value: bytes borrowed from the file. GGUF strings are UTF-8 by
/// convention, but llama.cpp does not check, so neither does the parser for
/// values; [`GgufStr::as_str`] checks on demand.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GgufStr<'a>(pub &'a [u8]);

impl<'a> GgufStr<'a> {
    /// The string, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.0).ok()
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for GgufStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(self.0), f)
    }
}

/// Shows the string, with invalid UTF-8 replaced by U+FFFD.
impl fmt::Display for GgufStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&String::from_utf8_lossy(self.0), f)
    }
}

/// One metadata value.
///
/// Numbers and booleans are decoded; strings and arrays borrow the file's
/// bytes. Match on the variant, or use the accessors: [`Value::as_str`],
/// [`Value::as_uint`] (any non-negative integer, whatever its width),
/// [`Value::as_f64`], [`Value::as_array`]. [`Gguf`](crate::Gguf)'s typed
/// getters ([`get_u32`](crate::Gguf::get_u32), [`get_str`](crate::Gguf::get_str),
/// …) do the same for a key, with an error naming it.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{GgufFile, Value};
/// let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let g = file.parse()?;
/// let v: &Value = g.get("llama.context_length").unwrap();
/// assert_eq!(*v, Value::U32(2048));
/// assert_eq!(v.as_uint(), Some(2048));
/// assert_eq!(v.as_f64(), Some(2048.0));
/// assert_eq!(v.as_str(), None);
/// assert_eq!(g.get("general.name").and_then(Value::as_str), Some("tiny-llama"));
/// match g.get("tokenizer.ggml.scores") {
///     Some(Value::Array(a)) => assert_eq!(a.len(), 300),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(g.get("tokenizer.ggml.tokens").unwrap().type_name(), "ARRAY[STRING]");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
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
    /// `BOOL` (any non-zero byte reads as true, as in llama.cpp)
    Bool(bool),
    /// `STRING`
    String(GgufStr<'a>),
    /// `ARRAY`
    Array(ArrayView<'a>),
    /// `UINT64`
    U64(u64),
    /// `INT64`
    I64(i64),
    /// `FLOAT64`
    F64(f64),
}

impl<'a> Value<'a> {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::U8(_) => ValueType::U8,
            Value::I8(_) => ValueType::I8,
            Value::U16(_) => ValueType::U16,
            Value::I16(_) => ValueType::I16,
            Value::U32(_) => ValueType::U32,
            Value::I32(_) => ValueType::I32,
            Value::F32(_) => ValueType::F32,
            Value::Bool(_) => ValueType::Bool,
            Value::String(_) => ValueType::String,
            Value::Array(_) => ValueType::Array,
            Value::U64(_) => ValueType::U64,
            Value::I64(_) => ValueType::I64,
            Value::F64(_) => ValueType::F64,
        }
    }

    /// A type name including the element type of arrays, as gguf-py prints it:
    /// `UINT32`, `ARRAY[STRING]`, `ARRAY[ARRAY[INT32]]`.
    pub fn type_name(&self) -> String {
        match self {
            Value::Array(a) => match a.iter().next() {
                Some(first @ Value::Array(_)) => format!("ARRAY[{}]", first.type_name()),
                _ => format!("ARRAY[{}]", a.element_type()),
            },
            other => other.value_type().name().to_string(),
        }
    }

    /// The string, if this is a valid UTF-8 string value.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Value::String(s) => s.as_str(),
            _ => None,
        }
    }

    /// The array view, if this is an array.
    pub fn as_array(&self) -> Option<ArrayView<'a>> {
        match self {
            Value::Array(a) => Some(*a),
            _ => None,
        }
    }

    /// Any integer value that is non-negative, widened to u64.
    pub fn as_uint(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value on one line, for people: strings quoted, escaped and cut
    /// after `max_chars` characters (with the full length said), arrays
    /// showing at most `max_items` elements and how many more there are.
    ///
    /// ```
    /// use gguf_format::{GgufStr, Value};
    /// assert_eq!(Value::String(GgufStr(b"abcdef")).shortened(3, 3), "\"abc…\" (6 chars)");
    /// assert_eq!(Value::U32(7).shortened(3, 3), "7");
    /// ```
    pub fn shortened(&self, max_chars: usize, max_items: usize) -> String {
        short_value(self, max_chars, max_items)
    }

    /// Any numeric value as f64 (integers converted, possibly rounding for huge 64-bit ones).
    pub fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Value::U8(v) => v.into(),
            Value::I8(v) => v.into(),
            Value::U16(v) => v.into(),
            Value::I16(v) => v.into(),
            Value::U32(v) => v.into(),
            Value::I32(v) => v.into(),
            Value::F32(v) => v.into(),
            Value::U64(v) => v as f64,
            Value::I64(v) => v as f64,
            Value::F64(v) => v,
            _ => return None,
        })
    }
}

/// A Rust type that a fixed-size metadata value decodes to.
pub trait Scalar: Copy + sealed::Sealed {
    /// The GGUF value type.
    const TYPE: ValueType;
    /// Decodes one value from exactly `size_of::<Self>()` bytes.
    #[doc(hidden)]
    fn decode<E: Endian>(bytes: &[u8]) -> Self;
    /// The value, if it has this type.
    fn from_value(v: &Value<'_>) -> Option<Self>;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! scalars {
    ($($t:ty, $variant:ident, |$b:ident| $decode:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Scalar for $t {
            const TYPE: ValueType = ValueType::$variant;
            #[inline]
            fn decode<E: Endian>($b: &[u8]) -> Self {
                $decode
            }
            fn from_value(v: &Value<'_>) -> Option<Self> {
                match v {
                    Value::$variant(x) => Some(*x),
                    _ => None,
                }
            }
        }
    )*};
}

scalars! {
    u8, U8, |b| b[0];
    i8, I8, |b| b[0] as i8;
    u16, U16, |b| E::read_u16(b);
    i16, I16, |b| E::read_i16(b);
    u32, U32, |b| E::read_u32(b);
    i32, I32, |b| E::read_i32(b);
    f32, F32, |b| E::read_f32(b);
    bool, Bool, |b| b[0] != 0;
    u64, U64, |b| E::read_u64(b);
    i64, I64, |b| E::read_i64(b);
    f64, F64, |b| E::read_f64(b);
}

/// A borrowed, lazily decoded array: element type, length and the bytes of the
/// elements as they are in the file.
///
/// Fixed-size elements are decoded on access (`get` is O(1)); strings and nested
/// arrays are walked in order by [`ArrayView::iter`]. The parser has already
/// checked every length inside, so iteration never fails.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{GgufFile, ValueType};
/// let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let g = file.parse()?;
/// let tokens = g.get_array("tokenizer.ggml.tokens")?;
/// assert_eq!((tokens.element_type(), tokens.len()), (ValueType::String, 300));
/// let first: Vec<&str> = tokens.strings().unwrap().take(3).map(|s| s.as_str().unwrap()).collect();
/// assert_eq!(first, ["<unk>", "<s>", "</s>"]);
///
/// let types = g.get_array("tokenizer.ggml.token_type")?;
/// assert_eq!(types.get::<i32>(1), Some(3)); // element 1, decoded in place
/// assert!(types.get::<u32>(1).is_none(), "the elements are INT32");
/// let n_normal = types.values::<i32>().unwrap().filter(|&t| t == 1).count();
/// assert!(n_normal > 0);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq)]
pub struct ArrayView<'a> {
    elem: ValueType,
    len: u64,
    bytes: &'a [u8],
    /// Absolute file offset of `bytes`.
    offset: u64,
    order: ByteOrder,
    wide: bool,
    depth: usize,
}

impl fmt::Debug for ArrayView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrayView")
            .field("elem", &self.elem)
            .field("len", &self.len)
            .field("bytes", &self.bytes.len())
            .field("offset", &self.offset)
            .finish()
    }
}

impl<'a> ArrayView<'a> {
    /// The type of every element.
    pub fn element_type(&self) -> ValueType {
        self.elem
    }

    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The elements' bytes exactly as stored (in the file's byte order, strings
    /// with their length prefixes).
    pub fn raw_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Absolute file offset of the first element.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The byte order the elements are stored in.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// Whether string lengths and nested counts inside are 64-bit (v2/v3) or 32-bit (v1).
    pub fn wide_lengths(&self) -> bool {
        self.wide
    }

    /// Every element in order.
    pub fn iter(&self) -> ArrayIter<'a> {
        ArrayIter {
            view: *self,
            pos: 0,
            index: 0,
        }
    }

    /// The elements as `T`, if the array's element type is `T`'s
    /// (e.g. `view.values::<f32>()` for `tokenizer.ggml.scores`).
    pub fn values<T: Scalar>(&self) -> Option<impl ExactSizeIterator<Item = T> + 'a> {
        if self.elem != T::TYPE {
            return None;
        }
        let size = T::TYPE.fixed_size()?;
        let order = self.order;
        Some(
            self.bytes
                .chunks_exact(size)
                .map(move |b| with_endian!(order, E => T::decode::<E>(b))),
        )
    }

    /// Element `i` as `T`, for fixed-size element types, in O(1).
    pub fn get<T: Scalar>(&self, i: u64) -> Option<T> {
        if self.elem != T::TYPE || i >= self.len {
            return None;
        }
        let size = T::TYPE.fixed_size()? as u64;
        let start = usize::try_from(i.checked_mul(size)?).ok()?;
        let b = self.bytes.get(start..start.checked_add(size as usize)?)?;
        Some(with_endian!(self.order, E => T::decode::<E>(b)))
    }

    /// The elements as strings, if the element type is `STRING`.
    pub fn strings(&self) -> Option<StrIter<'a>> {
        if self.elem != ValueType::String {
            return None;
        }
        Some(StrIter {
            rest: self.bytes,
            left: self.len,
            order: self.order,
            wide: self.wide,
        })
    }
}

/// Iterator over the strings of a `STRING` array ([`ArrayView::strings`]).
#[derive(Clone)]
pub struct StrIter<'a> {
    rest: &'a [u8],
    left: u64,
    order: ByteOrder,
    wide: bool,
}

impl<'a> Iterator for StrIter<'a> {
    type Item = GgufStr<'a>;

    #[inline]
    fn next(&mut self) -> Option<GgufStr<'a>> {
        if self.left == 0 {
            return None;
        }
        // The parser checked every length, so none of these `?` can fire.
        let width = if self.wide { 8 } else { 4 };
        let len_bytes = self.rest.get(..width)?;
        let len = with_endian!(self.order, E => if self.wide {
            E::read_u64(len_bytes)
        } else {
            u64::from(E::read_u32(len_bytes))
        });
        let end = width.checked_add(usize::try_from(len).ok()?)?;
        let s = self.rest.get(width..end)?;
        self.rest = &self.rest[end..];
        self.left -= 1;
        Some(GgufStr(s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for StrIter<'_> {}

/// Iterator over an [`ArrayView`]'s elements.
#[derive(Clone)]
pub struct ArrayIter<'a> {
    view: ArrayView<'a>,
    pos: usize,
    index: u64,
}

impl<'a> Iterator for ArrayIter<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        if self.index >= self.view.len {
            return None;
        }
        let v = self.view;
        let value = with_endian!(v.order, E => {
            let mut c = Cursor::<E>::new(v.bytes, self.pos, v.offset, v.wide);
            // Cannot fail: the parser walked these exact bytes already.
            let value = read_value(&mut c, v.elem, v.depth, None).ok()?;
            self.pos = c.position();
            value
        });
        self.index += 1;
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.view.len - self.index).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for ArrayIter<'_> {}

impl<'a> IntoIterator for ArrayView<'a> {
    type Item = Value<'a>;
    type IntoIter = ArrayIter<'a>;
    fn into_iter(self) -> ArrayIter<'a> {
        self.iter()
    }
}

/// Reads a value type id.
pub(crate) fn read_value_type<E: Endian>(c: &mut Cursor<'_, E>, key: Option<&str>) -> Result<ValueType> {
    let at = c.offset();
    let id = c.u32("value type", key)?;
    ValueType::from_u32(id).ok_or_else(|| Error::UnknownValueType {
        at: loc(at, key),
        type_id: id,
    })
}

/// Reads one value of type `ty`. `depth` is the array nesting level of the value
/// (0 for a top-level value); `key` names it in errors.
pub(crate) fn read_value<'a, E: Endian>(
    c: &mut Cursor<'a, E>,
    ty: ValueType,
    depth: usize,
    key: Option<&str>,
) -> Result<Value<'a>> {
    if let Some(size) = ty.fixed_size() {
        let b = c.take(size as u64, "value", key)?;
        return Ok(match ty {
            ValueType::U8 => Value::U8(u8::decode::<E>(b)),
            ValueType::I8 => Value::I8(i8::decode::<E>(b)),
            ValueType::U16 => Value::U16(u16::decode::<E>(b)),
            ValueType::I16 => Value::I16(i16::decode::<E>(b)),
            ValueType::U32 => Value::U32(u32::decode::<E>(b)),
            ValueType::I32 => Value::I32(i32::decode::<E>(b)),
            ValueType::F32 => Value::F32(f32::decode::<E>(b)),
            ValueType::Bool => Value::Bool(bool::decode::<E>(b)),
            ValueType::U64 => Value::U64(u64::decode::<E>(b)),
            ValueType::I64 => Value::I64(i64::decode::<E>(b)),
            ValueType::F64 => Value::F64(f64::decode::<E>(b)),
            ValueType::String | ValueType::Array => unreachable!("not fixed-size"),
        });
    }
    match ty {
        ValueType::String => Ok(Value::String(GgufStr(c.string("string value", key)?))),
        _ => read_array(c, depth, key).map(Value::Array),
    }
}

/// The vocabulary's key, for [`crate::Error::HeaderIncomplete`]'s estimate.
const TOKENS_KEY: &str = "tokenizer.ggml.tokens";

fn read_array<'a, E: Endian>(
    c: &mut Cursor<'a, E>,
    depth: usize,
    key: Option<&str>,
) -> Result<ArrayView<'a>> {
    let array_at = c.offset();
    if depth >= MAX_ARRAY_DEPTH {
        return Err(Error::NestingTooDeep {
            at: loc(array_at, key),
            limit: MAX_ARRAY_DEPTH,
        });
    }
    let elem = read_value_type(c, key)?;
    let count_at = c.offset();
    let len = c.count("array length", key)?;
    // The smallest encoding of one element bounds how many can fit.
    let min_size = match elem.fixed_size() {
        Some(s) => s as u64,
        None if elem == ValueType::String => c.count_width(),
        None => 4 + c.count_width(),
    };
    c.check_fits(len, min_size, "array length", count_at, key)?;
    let start = c.position();
    let offset = c.offset();
    if elem.fixed_size().is_some() {
        // `check_fits` proved `len * min_size` fits in the remaining bytes.
        c.take(len * min_size, "array", key)?;
    } else if elem == ValueType::String {
        c.skip_strings(len, key).map_err(|e| {
            // Read from a prefix: a vocabulary is usually followed by one
            // f32 score and one i32 type per token; guess them in, so that
            // one more read can get the whole header.
            if key == Some(TOKENS_KEY) {
                e.and_then_more(len.saturating_mul(8))
            } else {
                e
            }
        })?;
    } else {
        for _ in 0..len {
            read_value(c, elem, depth + 1, key)?;
        }
    }
    let bytes = c.slice_from(start);
    Ok(ArrayView {
        elem,
        len,
        bytes,
        offset,
        order: E::ORDER,
        wide: c.wide(),
        depth: depth + 1,
    })
}

fn quote(s: &str, max_chars: usize) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

fn short_value(v: &Value<'_>, max_chars: usize, max_items: usize) -> String {
    match v {
        Value::String(s) => {
            let text = String::from_utf8_lossy(s.as_bytes());
            let n = text.chars().count();
            let q = quote(&text, max_chars);
            if n > max_chars {
                format!("{q} ({n} chars)")
            } else {
                q
            }
        }
        Value::Array(a) => {
            let mut items: Vec<String> = Vec::new();
            if let Some(strings) = a.strings() {
                for s in strings.take(max_items) {
                    items.push(quote(&String::from_utf8_lossy(s.as_bytes()), max_chars.min(40)));
                }
            } else {
                for x in a.iter().take(max_items) {
                    items.push(short_value(&x, max_chars, max_items));
                }
            }
            if a.len() > items.len() as u64 {
                items.push(format!(
                    "… {} more",
                    group_thousands(a.len() - items.len() as u64)
                ));
            }
            format!("[{}]", items.join(", "))
        }
        Value::F32(x) => format!("{x:?}"),
        Value::F64(x) => format!("{x:?}"),
        Value::Bool(x) => x.to_string(),
        Value::U8(x) => x.to_string(),
        Value::I8(x) => x.to_string(),
        Value::U16(x) => x.to_string(),
        Value::I16(x) => x.to_string(),
        Value::U32(x) => x.to_string(),
        Value::I32(x) => x.to_string(),
        Value::U64(x) => x.to_string(),
        Value::I64(x) => x.to_string(),
    }
}

/// `1234567` → `1,234,567`.
fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endian::{BigEndian, LittleEndian};

    fn le_array(elem: u32, items: &[&[u8]]) -> Vec<u8> {
        let mut b = elem.to_le_bytes().to_vec();
        b.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for i in items {
            b.extend_from_slice(i);
        }
        b
    }

    fn le_str(s: &str) -> Vec<u8> {
        let mut b = (s.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(s.as_bytes());
        b
    }

    #[test]
    fn string_array_iterates_lazily() {
        let (a, b) = (le_str("hello"), le_str("wörld"));
        let bytes = le_array(8, &[&a, &b]);
        let mut c = Cursor::<LittleEndian>::new(&bytes, 0, 0, true);
        let v = read_value(&mut c, ValueType::Array, 0, Some("k")).unwrap();
        assert_eq!(c.remaining(), 0);
        let arr = v.as_array().unwrap();
        let got: Vec<_> = arr.strings().unwrap().map(|s| s.as_str().unwrap()).collect();
        assert_eq!(got, ["hello", "wörld"]);
        assert_eq!(v.type_name(), "ARRAY[STRING]");
    }

    #[test]
    fn fixed_arrays_decode_in_either_order() {
        let bytes = [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 1, 0];
        let mut c = Cursor::<BigEndian>::new(&bytes, 0, 0, true);
        let arr = read_value(&mut c, ValueType::Array, 0, None)
            .unwrap()
            .as_array()
            .unwrap();
        assert_eq!(arr.values::<u32>().unwrap().collect::<Vec<_>>(), [7, 256]);
        assert_eq!(arr.get::<u32>(1), Some(256));
        assert_eq!(arr.get::<u32>(2), None);
        assert!(arr.values::<i32>().is_none());
    }

    #[test]
    fn nested_arrays_and_depth_limit() {
        let inner = le_array(5, &[&(-3i32).to_le_bytes()]);
        let outer = le_array(9, &[&inner, &inner]);
        let mut c = Cursor::<LittleEndian>::new(&outer, 0, 0, true);
        let v = read_value(&mut c, ValueType::Array, 0, None).unwrap();
        assert_eq!(v.type_name(), "ARRAY[ARRAY[INT32]]");
        let inners: Vec<_> = v.as_array().unwrap().iter().collect();
        assert_eq!(inners.len(), 2);
        assert_eq!(inners[1].as_array().unwrap().get::<i32>(0), Some(-3));

        let mut deep = le_array(5, &[]);
        for _ in 0..MAX_ARRAY_DEPTH {
            deep = le_array(9, &[&deep]);
        }
        let mut c = Cursor::<LittleEndian>::new(&deep, 0, 0, true);
        assert!(matches!(
            read_value(&mut c, ValueType::Array, 0, Some("deep")),
            Err(Error::NestingTooDeep { .. })
        ));
    }

    #[test]
    fn huge_array_length_is_refused() {
        let bytes = le_array(10, &[&[0u8; 16]]);
        let mut patched = bytes.clone();
        patched[4..12].copy_from_slice(&(1u64 << 60).to_le_bytes());
        let mut c = Cursor::<LittleEndian>::new(&patched, 0, 0, true);
        assert!(matches!(
            read_value(&mut c, ValueType::Array, 0, None),
            Err(Error::CountTooLarge { what: "array length", count, .. }) if count == 1 << 60
        ));
    }

    #[test]
    fn numeric_conversions() {
        assert_eq!(Value::I32(-1).as_uint(), None);
        assert_eq!(Value::U16(7).as_uint(), Some(7));
        assert_eq!(Value::F32(0.5).as_f64(), Some(0.5));
        assert_eq!(Value::Bool(true).as_f64(), None);
    }
}

//! The on-disk vocabulary of GGUF: magic, versions, metadata value-type ids and the
//! ggml tensor type table. Constants and layouts only; no reading or writing logic.
//!
//! Names follow the GGUF specification (`docs/gguf.md`) and ggml (`ggml.h`, the
//! `type_traits` table in `ggml.c`).

use std::fmt;

/// The four bytes every GGUF file starts with.
pub const MAGIC: [u8; 4] = *b"GGUF";

/// Alignment of tensor data when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u32 = 32;

/// The metadata key that sets the alignment of the tensor data section.
pub const ALIGNMENT_KEY: &str = "general.alignment";

/// Arrays nested deeper than this (an array of arrays of … ) are refused.
///
/// llama.cpp refuses any nesting; gguf-py reads it recursively without a limit.
/// Eight levels are far more than any real file uses and keep the reader's
/// recursion bounded.
pub const MAX_ARRAY_DEPTH: usize = 8;

/// Tensors have at most this many dimensions (`GGML_MAX_DIMS`).
pub const MAX_DIMS: usize = 4;

/// GGUF file format versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// Version 1: counts, string lengths, array lengths and dimensions are 32-bit.
    V1 = 1,
    /// Version 2: all counts and lengths are 64-bit.
    V2 = 2,
    /// Version 3: as v2; files may be big-endian. What llama.cpp writes today.
    V3 = 3,
}

impl Version {
    /// The version for a numeric value, if it is one we know.
    pub fn from_u32(v: u32) -> Option<Version> {
        match v {
            1 => Some(Version::V1),
            2 => Some(Version::V2),
            3 => Some(Version::V3),
            _ => None,
        }
    }

    /// The numeric value stored in the header.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// Whether counts and lengths are 64-bit (v2, v3) rather than 32-bit (v1).
    pub fn wide_lengths(self) -> bool {
        self != Version::V1
    }
}

/// The byte order of a file. GGUF has no flag for it: a reader tells from the
/// version field, which is small in the right order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Little-endian (nearly every file in the wild).
    Little,
    /// Big-endian (produced by `gguf-convert-endian` for s390x and friends).
    Big,
}

impl fmt::Display for ByteOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ByteOrder::Little => "little-endian",
            ByteOrder::Big => "big-endian",
        })
    }
}

/// Metadata value types (`enum gguf_type`), as stored in the file (a u32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ValueType {
    /// 8-bit unsigned integer.
    U8 = 0,
    /// 8-bit signed integer.
    I8 = 1,
    /// 16-bit unsigned integer.
    U16 = 2,
    /// 16-bit signed integer.
    I16 = 3,
    /// 32-bit unsigned integer.
    U32 = 4,
    /// 32-bit signed integer.
    I32 = 5,
    /// 32-bit IEEE float.
    F32 = 6,
    /// One byte, 0 = false, anything else = true (writers emit 0 or 1).
    Bool = 7,
    /// Length-prefixed bytes, UTF-8 by convention.
    String = 8,
    /// Element type, count, then the elements.
    Array = 9,
    /// 64-bit unsigned integer.
    U64 = 10,
    /// 64-bit signed integer.
    I64 = 11,
    /// 64-bit IEEE float.
    F64 = 12,
}

impl ValueType {
    /// Every value type, in id order.
    pub const ALL: [ValueType; 13] = [
        ValueType::U8,
        ValueType::I8,
        ValueType::U16,
        ValueType::I16,
        ValueType::U32,
        ValueType::I32,
        ValueType::F32,
        ValueType::Bool,
        ValueType::String,
        ValueType::Array,
        ValueType::U64,
        ValueType::I64,
        ValueType::F64,
    ];

    /// The type for an id read from a file.
    pub fn from_u32(id: u32) -> Option<ValueType> {
        Self::ALL.get(usize::try_from(id).ok()?).copied()
    }

    /// The id stored in the file.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// Size in bytes of one value, for the fixed-size types; `None` for strings and arrays.
    pub fn fixed_size(self) -> Option<usize> {
        Some(match self {
            ValueType::U8 | ValueType::I8 | ValueType::Bool => 1,
            ValueType::U16 | ValueType::I16 => 2,
            ValueType::U32 | ValueType::I32 | ValueType::F32 => 4,
            ValueType::U64 | ValueType::I64 | ValueType::F64 => 8,
            ValueType::String | ValueType::Array => return None,
        })
    }

    /// The type for a name, ignoring case: gguf-py's (`UINT32`, `FLOAT32`,
    /// `STRING`, …) or the short Rust-like ones (`u32`, `f32`, `str`).
    pub fn from_name(name: &str) -> Option<ValueType> {
        let short = [
            ("u8", ValueType::U8),
            ("i8", ValueType::I8),
            ("u16", ValueType::U16),
            ("i16", ValueType::I16),
            ("u32", ValueType::U32),
            ("i32", ValueType::I32),
            ("f32", ValueType::F32),
            ("bool", ValueType::Bool),
            ("str", ValueType::String),
            ("u64", ValueType::U64),
            ("i64", ValueType::I64),
            ("f64", ValueType::F64),
        ];
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name))
            .or_else(|| {
                short
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|&(_, t)| t)
            })
    }

    /// The name gguf-py uses (`UINT8`, `STRING`, …).
    pub fn name(self) -> &'static str {
        match self {
            ValueType::U8 => "UINT8",
            ValueType::I8 => "INT8",
            ValueType::U16 => "UINT16",
            ValueType::I16 => "INT16",
            ValueType::U32 => "UINT32",
            ValueType::I32 => "INT32",
            ValueType::F32 => "FLOAT32",
            ValueType::Bool => "BOOL",
            ValueType::String => "STRING",
            ValueType::Array => "ARRAY",
            ValueType::U64 => "UINT64",
            ValueType::I64 => "INT64",
            ValueType::F64 => "FLOAT64",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Size facts of one ggml tensor type: a row is stored as whole blocks of
/// `block_size` elements taking `type_size` bytes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeInfo {
    /// The type's id.
    pub ty: GgmlType,
    /// Upper-case name as llama.cpp's tools print it (`Q4_K`, `BF16`, …).
    pub name: &'static str,
    /// Elements per block (1 for plain types).
    pub block_size: u32,
    /// Bytes per block.
    pub type_size: u32,
    /// Whether the type is a block-quantized format (as opposed to plain numbers).
    pub quantized: bool,
    /// The multi-byte fields of one block, which change order between a
    /// little- and a big-endian file; `None` where no layout is known (a
    /// file of that type cannot be converted). See [`SwapRun`].
    pub swap: Option<&'static [SwapRun]>,
}

/// `count` fields of `width` bytes inside a block, the first at byte
/// `offset`, each `stride` bytes after the one before: the numbers a
/// big-endian file stores the other way round.
///
/// A layout lists the fields as ggml reads them, which is not always how
/// `ggml-common.h` declares them: Q5_0's `qh[4]` is read as one `uint32_t`,
/// IQ2_XXS's `uint16_t qs[32]` as pairs of four index bytes and one
/// `uint32_t` of signs, IQ1_M's `uint8_t scales[8]` as four `uint16_t`.
/// Where gguf-py's `gguf-convert-endian` knows a type (F32, F16, BF16, Q1_0,
/// Q4_0, Q8_0, Q4_K, Q6_K, TQ2_0, MXFP4, NVFP4) the layouts agree with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapRun {
    /// Byte offset of the first field in the block.
    pub offset: u16,
    /// Bytes per field (2, 4 or 8).
    pub width: u8,
    /// Number of fields.
    pub count: u16,
    /// Distance in bytes from one field to the next.
    pub stride: u16,
}

/// `count` adjacent fields of `width` bytes from `offset`.
const fn run(offset: u16, width: u8, count: u16) -> SwapRun {
    SwapRun {
        offset,
        width,
        count,
        stride: width as u16,
    }
}

/// A block without multi-byte fields (bytes only): nothing to swap.
const BYTES: &[SwapRun] = &[];
/// A block starting with one f16 scale.
const D0: &[SwapRun] = &[run(0, 2, 1)];
/// A block starting with two f16 scales (d and m, or d and dmin).
const DM0: &[SwapRun] = &[run(0, 2, 2)];

impl TypeInfo {
    /// Bits per weight: `8 * type_size / block_size`.
    pub fn bits_per_weight(&self) -> f64 {
        8.0 * f64::from(self.type_size) / f64::from(self.block_size)
    }

    /// Bytes taken by `n` elements of this type, if `n` is a whole number of
    /// blocks and the result fits in a `u64`.
    pub fn row_size(&self, n: u64) -> Option<u64> {
        let bs = u64::from(self.block_size);
        if !n.is_multiple_of(bs) {
            return None;
        }
        (n / bs).checked_mul(u64::from(self.type_size))
    }

    /// Bytes taken by a tensor with dimensions `dims` (innermost first), if the
    /// row length is whole blocks and the size fits in a `u64`.
    pub fn tensor_size(&self, dims: &[u64]) -> Option<u64> {
        let (&ne0, rest) = dims.split_first().unwrap_or((&1, &[]));
        rest.iter()
            .try_fold(self.row_size(ne0)?, |acc, &d| acc.checked_mul(d))
    }
}

/// A ggml tensor type id (`enum ggml_type`), as stored in a tensor info.
///
/// Any u32 can be held: a file naming a type this crate does not know still
/// parses, and only operations that need the tensor's size fail. Known ids have
/// associated constants and a [`TypeInfo`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct GgmlType(pub u32);

macro_rules! ggml_types {
    ($( $id:literal $konst:ident $name:literal $blck:literal $size:literal $q:literal $swap:expr;)*) => {
        impl GgmlType {
            $(
                #[doc = concat!("`", $name, "`: ", stringify!($blck), " elements in ", stringify!($size), " bytes.")]
                pub const $konst: GgmlType = GgmlType($id);
            )*
        }

        /// Every type ggml defines today (removed ids excluded), in id order.
        pub static GGML_TYPES: &[TypeInfo] = &[
            $( TypeInfo { ty: GgmlType($id), name: $name, block_size: $blck, type_size: $size, quantized: $q, swap: $swap }, )*
        ];
    };
}

// id, constant, name, elements per block, bytes per block, quantized, byte-swap layout.
// Layouts: the block structs of ggml/src/ggml-common.h as ggml-quants.c reads them.
// Checked against `type_traits` in ggml/src/ggml.c (llama.cpp 0c1e570).
// Ids 4, 5 (Q4_2, Q4_3), 31–33 (Q4_0_4_4 …) and 36–38 (IQ4_NL_4_4 …) were removed from ggml.
ggml_types! {
    0 F32 "F32" 1 4 false Some(&[run(0, 4, 1)]);
    1 F16 "F16" 1 2 false Some(D0);
    2 Q4_0 "Q4_0" 32 18 true Some(D0);
    3 Q4_1 "Q4_1" 32 20 true Some(DM0);
    6 Q5_0 "Q5_0" 32 22 true Some(&[run(0, 2, 1), run(2, 4, 1)]);
    7 Q5_1 "Q5_1" 32 24 true Some(&[run(0, 2, 2), run(4, 4, 1)]);
    8 Q8_0 "Q8_0" 32 34 true Some(D0);
    9 Q8_1 "Q8_1" 32 36 true Some(DM0);
    10 Q2_K "Q2_K" 256 84 true Some(&[run(80, 2, 2)]);
    11 Q3_K "Q3_K" 256 110 true Some(&[run(108, 2, 1)]);
    12 Q4_K "Q4_K" 256 144 true Some(DM0);
    13 Q5_K "Q5_K" 256 176 true Some(DM0);
    14 Q6_K "Q6_K" 256 210 true Some(&[run(208, 2, 1)]);
    15 Q8_K "Q8_K" 256 292 true Some(&[run(0, 4, 1), run(260, 2, 16)]);
    16 IQ2_XXS "IQ2_XXS" 256 66 true Some(&[run(0, 2, 1), SwapRun { offset: 6, width: 4, count: 8, stride: 8 }]);
    17 IQ2_XS "IQ2_XS" 256 74 true Some(&[run(0, 2, 1), run(2, 2, 32)]);
    18 IQ3_XXS "IQ3_XXS" 256 98 true Some(&[run(0, 2, 1), run(66, 4, 8)]);
    19 IQ1_S "IQ1_S" 256 50 true Some(&[run(0, 2, 1), run(34, 2, 8)]);
    20 IQ4_NL "IQ4_NL" 32 18 true Some(D0);
    21 IQ3_S "IQ3_S" 256 110 true Some(D0);
    22 IQ2_S "IQ2_S" 256 82 true Some(D0);
    23 IQ4_XS "IQ4_XS" 256 136 true Some(DM0);
    24 I8 "I8" 1 1 false Some(BYTES);
    25 I16 "I16" 1 2 false Some(D0);
    26 I32 "I32" 1 4 false Some(&[run(0, 4, 1)]);
    27 I64 "I64" 1 8 false Some(&[run(0, 8, 1)]);
    28 F64 "F64" 1 8 false Some(&[run(0, 8, 1)]);
    29 IQ1_M "IQ1_M" 256 56 true Some(&[run(48, 2, 4)]);
    30 BF16 "BF16" 1 2 false Some(D0);
    34 TQ1_0 "TQ1_0" 256 54 true Some(&[run(52, 2, 1)]);
    35 TQ2_0 "TQ2_0" 256 66 true Some(&[run(64, 2, 1)]);
    39 MXFP4 "MXFP4" 32 17 true Some(BYTES);
    40 NVFP4 "NVFP4" 64 36 true Some(BYTES);
    41 Q1_0 "Q1_0" 128 18 true Some(D0);
    42 Q2_0 "Q2_0" 64 18 true Some(D0);
}

impl GgmlType {
    /// Size facts for this type, or `None` for an id ggml does not define.
    pub fn info(self) -> Option<&'static TypeInfo> {
        // The table is sorted by id; it is short, and ids are dense enough that
        // a binary search is as fast as anything cleverer.
        GGML_TYPES
            .binary_search_by_key(&self.0, |t| t.ty.0)
            .ok()
            .map(|i| &GGML_TYPES[i])
    }

    /// The type with this name, ignoring case (`q4_k`, `Q4_K`, `bf16`).
    pub fn from_name(name: &str) -> Option<GgmlType> {
        GGML_TYPES
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| t.ty)
    }

    /// The upper-case name (`Q4_K`), or `None` for an unknown id.
    pub fn name(self) -> Option<&'static str> {
        self.info().map(|t| t.name)
    }
}

impl fmt::Debug for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Known types print their name (`Q4_K`), others `unknown(ID)`.
impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in GGML_TYPES.windows(2) {
            assert!(w[0].ty.0 < w[1].ty.0, "{} before {}", w[0].name, w[1].name);
        }
        assert_eq!(GGML_TYPES.len(), 35);
    }

    #[test]
    fn lookups() {
        assert_eq!(GgmlType::Q4_K.info().unwrap().type_size, 144);
        assert_eq!(
            GgmlType(9).info().unwrap().type_size,
            36,
            "Q8_1 is 36 bytes in ggml"
        );
        assert_eq!(GgmlType(42).name(), Some("Q2_0"));
        for removed in [4, 5, 31, 32, 33, 36, 37, 38, 43, 1000] {
            assert!(GgmlType(removed).info().is_none(), "{removed}");
        }
        assert_eq!(GgmlType::from_name("q5_k"), Some(GgmlType::Q5_K));
        assert_eq!(GgmlType(77).to_string(), "unknown(77)");
        assert_eq!(GgmlType::Q6_K.info().unwrap().bits_per_weight(), 6.5625);
    }

    #[test]
    fn row_size_needs_whole_blocks() {
        let q4k = GgmlType::Q4_K.info().unwrap();
        assert_eq!(q4k.row_size(512), Some(288));
        assert_eq!(q4k.row_size(640), None);
        assert_eq!(GgmlType::F32.info().unwrap().row_size(u64::MAX), None);
    }

    #[test]
    fn value_types_round_trip() {
        for (i, t) in ValueType::ALL.iter().enumerate() {
            assert_eq!(ValueType::from_u32(i as u32), Some(*t));
            assert_eq!(t.as_u32(), i as u32);
        }
        assert_eq!(ValueType::from_u32(13), None);
    }
}

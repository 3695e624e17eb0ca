//! The one error type of this crate. Every variant names the condition, the byte
//! offset where it was found (from the start of the file) and, where there is
//! one, the metadata key or tensor name involved.

use crate::raw::{GgmlType, ValueType};
use std::io;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the file a problem was found.
///
/// `what` names the field being read ("key", "string length", "tensor count", …),
/// `name` the key or tensor it belongs to, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Byte offset from the start of the file.
    pub offset: u64,
    /// The metadata key or tensor name involved, if any.
    pub name: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}", self.offset)?;
        if let Some(n) = &self.name {
            write!(f, " ({n})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong reading or writing GGUF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}{source}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
    Io {
        /// The file involved (may be empty for an anonymous stream).
        path: String,
        /// The underlying error.
        source: io::Error,
    },

    /// The file does not start with the bytes `GGUF`.
    #[error(
        "not a GGUF file: magic '{}', expected 'GGUF'{}",
        escaped(found),
        magic_hint(found)
    )]
    BadMagic {
        /// The first (up to) four bytes found.
        found: Vec<u8>,
    },

    /// The version is neither 1, 2 nor 3 in either byte order.
    #[error("unsupported GGUF version {version} (this reader knows 1, 2 and 3)")]
    UnsupportedVersion {
        /// The version as read little-endian.
        version: u32,
    },

    /// The file ends in the middle of a field.
    #[error("file ends in the middle of the {what} {at}: {needed} bytes needed, {available} left")]
    UnexpectedEof {
        /// The field being read.
        what: &'static str,
        /// Where the field starts.
        at: Location,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the file from that offset.
        available: u64,
    },

    /// The bytes are only the first part of a file ([`crate::Gguf::parse_prefix`],
    /// [`crate::GgufFile::read_header`]) and end inside its header, where
    /// the file goes on: parse again with the bytes up to `needed` at least.
    #[error(
        "the first {have} bytes of the file end inside its header {at}: at least {needed} bytes are needed"
    )]
    HeaderIncomplete {
        /// Where the bytes ran out; `name` is the key or tensor being read.
        at: Location,
        /// Bytes given.
        have: u64,
        /// The least length from the start of the file that can get past
        /// `at`; the header may need more.
        needed: u64,
        /// A guess at the header's length, at least `needed`, extrapolated
        /// from what was read (string lengths, tensor infos so far): a
        /// reader fetching bytes from far away asks for this many.
        estimate: u64,
    },

    /// A count or length read from the file is larger than the bytes that
    /// remain could possibly hold (so it is refused before anything is allocated).
    #[error("{what} {count} {at} cannot fit in the {remaining} bytes that remain")]
    CountTooLarge {
        /// Which count ("tensor count", "metadata key count", "array length", "string length").
        what: &'static str,
        /// Where the count is stored.
        at: Location,
        /// The value read.
        count: u64,
        /// Bytes left in the file after the count.
        remaining: u64,
    },

    /// A size computed from the file overflows 64-bit arithmetic
    /// (or `i64`, for tensor element counts, as in ggml).
    #[error("{what} overflows {at}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
        /// Where the inputs of the computation are stored.
        at: Location,
    },

    /// A metadata key or tensor name is not valid UTF-8.
    #[error("{what} {at} is not valid UTF-8")]
    InvalidUtf8 {
        /// "key", "tensor name" or "string value".
        what: &'static str,
        /// Where the string's bytes start.
        at: Location,
    },

    /// A metadata key is the empty string (llama.cpp refuses these).
    #[error("empty metadata key {at}")]
    EmptyKey {
        /// Where the key is stored.
        at: Location,
    },

    /// A metadata value-type id outside 0..=12.
    #[error("unknown metadata value type {type_id} {at}")]
    UnknownValueType {
        /// Where the type id is stored; `name` is the key.
        at: Location,
        /// The id read.
        type_id: u32,
    },

    /// Arrays of arrays nested deeper than [`crate::raw::MAX_ARRAY_DEPTH`].
    #[error("arrays nested deeper than {limit} levels {at}")]
    NestingTooDeep {
        /// Where the too-deep array starts; `name` is the key.
        at: Location,
        /// The limit.
        limit: usize,
    },

    /// The same metadata key appears twice.
    #[error("duplicate metadata key {at}")]
    DuplicateKey {
        /// Where the second occurrence is stored; `name` is the key.
        at: Location,
    },

    /// `general.alignment` is not a non-zero power of two stored as u32.
    #[error("general.alignment {at} must be a non-zero power of two of type UINT32, found {found}")]
    BadAlignment {
        /// Where the value is stored.
        at: Location,
        /// The value (or its type) found.
        found: String,
    },

    /// A tensor has more than four dimensions.
    #[error("tensor has {n_dims} dimensions {at}; at most 4 are allowed")]
    TooManyDims {
        /// Where the tensor info starts; `name` is the tensor.
        at: Location,
        /// The number read.
        n_dims: u32,
    },

    /// A dimension is negative when read as i64 (ggml stores them as `int64_t`).
    #[error("tensor dimension {dim} {at} is negative as int64")]
    NegativeDim {
        /// Where the tensor info starts; `name` is the tensor.
        at: Location,
        /// The raw value.
        dim: u64,
    },

    /// The same tensor name appears twice.
    #[error("duplicate tensor name {at}")]
    DuplicateTensor {
        /// Where the second tensor info starts; `name` is the tensor.
        at: Location,
    },

    /// The row length (first dimension) is not a whole number of the type's blocks.
    #[error("tensor {at}: row length {ne0} is not a multiple of the {ty} block size {block_size}")]
    RowNotBlockMultiple {
        /// Where the tensor info starts; `name` is the tensor.
        at: Location,
        /// The row length.
        ne0: u64,
        /// The tensor type.
        ty: GgmlType,
        /// Its block size.
        block_size: u32,
    },

    /// A tensor's type id is not one ggml defines, and the operation needs its size.
    #[error("tensor {at} has unknown ggml type id {}", ty.0)]
    UnknownGgmlType {
        /// Where the tensor info starts; `name` is the tensor.
        at: Location,
        /// The type id.
        ty: GgmlType,
    },

    /// A tensor's data offset is not a multiple of the alignment.
    #[error("tensor {at}: data offset {offset} is not a multiple of the alignment {alignment}")]
    MisalignedOffset {
        /// Where the tensor info starts; `name` is the tensor.
        at: Location,
        /// The offset relative to the data section.
        offset: u64,
        /// The alignment in force.
        alignment: u32,
    },

    /// A tensor's data lies (partly) past the end of the file.
    #[error(
        "tensor {at}: data bytes {start}..{end} lie past the end of the file ({file_size} bytes): \
         the file is truncated (or the tensor's offset is corrupt)"
    )]
    TensorOutOfBounds {
        /// Where the tensor info starts; `name` is the tensor.
        at: Location,
        /// Absolute start offset of the data.
        start: u64,
        /// Absolute end offset of the data.
        end: u64,
        /// The file size.
        file_size: u64,
    },

    /// A tensor's data lies inside the file, but only the file's first
    /// bytes were read ([`crate::Gguf::parse_prefix`]).
    #[error("tensor {at}: data bytes {start}..{end} were not read (only the first {have} bytes of the file are in memory)")]
    TensorNotRead {
        /// Where the tensor info starts; `name` is the tensor.
        at: Location,
        /// Absolute start offset of the data.
        start: u64,
        /// Absolute end offset of the data.
        end: u64,
        /// The bytes of the file in memory.
        have: u64,
    },

    /// Two tensors' data ranges overlap.
    #[error("tensors {first} and {second} overlap: bytes {overlap_start}..{overlap_end}")]
    OverlappingTensors {
        /// The tensor whose data starts first.
        first: String,
        /// The tensor whose data starts inside the first one's.
        second: String,
        /// Absolute start of the shared range.
        overlap_start: u64,
        /// Absolute end of the shared range.
        overlap_end: u64,
    },

    /// A typed accessor asked for a key the file does not have.
    #[error("metadata key {key} not found")]
    MissingKey {
        /// The key asked for.
        key: String,
    },

    /// A typed accessor found the key with another type.
    #[error("metadata key {key} has type {found}, expected {expected}")]
    WrongType {
        /// The key asked for.
        key: String,
        /// The type asked for.
        expected: String,
        /// The type in the file.
        found: String,
    },

    /// A merge of a file that is not a shard of a split model.
    #[error("{name} is not a split shard (it has no split.count of 1 or more): nothing to merge")]
    NotSplit {
        /// The file (or model) given.
        name: String,
    },

    /// The writer was given something it cannot write; the message says what.
    #[error("cannot write GGUF: {0}")]
    InvalidWrite(String),

    /// A metadata edit cannot be made as asked (a missing key, a value that
    /// does not fit the key's type, a change the header cannot take in
    /// place); the message names the key and says why.
    #[error("{0}")]
    InvalidEdit(String),

    /// An edit's argument is malformed or does not fit the file.
    #[error(transparent)]
    Edit(crate::edit::EditError),

    /// A problem in one file of a split model: `source` says what, `path` which file.
    #[error("{path}: {source}")]
    InShard {
        /// The shard's path.
        path: String,
        /// What is wrong with it.
        source: Box<Error>,
    },

    /// A shard the first one announces (`split.count`) cannot be opened.
    #[error("{path}: shard {shard} of {count} of the split model cannot be opened: {source}")]
    MissingShard {
        /// The path the shard must have.
        path: String,
        /// Its number, 1-based as in its name.
        shard: u32,
        /// The number of shards.
        count: u32,
        /// Why it could not be opened.
        source: io::Error,
    },

    /// A split model was opened at a shard other than the first.
    #[error("{path} is shard {shard} of {count} of a split model: open its first shard, {first}")]
    NotFirstShard {
        /// The file given.
        path: String,
        /// Its number, 1-based.
        shard: u32,
        /// The number of shards.
        count: u32,
        /// The path of the first shard.
        first: String,
    },

    /// The first shard's name does not follow the `PREFIX-00001-of-0000N.gguf`
    /// convention, so the other shards cannot be found.
    #[error("{path}: split.count is {count}, but the name does not end in {expected}, so the other shards cannot be found")]
    ShardName {
        /// The file given.
        path: String,
        /// Its `split.count`.
        count: u32,
        /// The ending its name must have.
        expected: String,
    },

    /// The shards of a split model do not belong together (wrong `split.no`,
    /// `split.count` or `split.tensors.count`, a tensor in two shards, another
    /// byte order, a shard too many); the reason says which.
    #[error("{path}: {reason}")]
    InconsistentShard {
        /// The shard at fault.
        path: String,
        /// What does not fit.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// The location in the file the error refers to, when it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::UnexpectedEof { at, .. }
            | Error::HeaderIncomplete { at, .. }
            | Error::TensorNotRead { at, .. }
            | Error::CountTooLarge { at, .. }
            | Error::Overflow { at, .. }
            | Error::InvalidUtf8 { at, .. }
            | Error::EmptyKey { at }
            | Error::UnknownValueType { at, .. }
            | Error::NestingTooDeep { at, .. }
            | Error::DuplicateKey { at }
            | Error::BadAlignment { at, .. }
            | Error::TooManyDims { at, .. }
            | Error::NegativeDim { at, .. }
            | Error::DuplicateTensor { at }
            | Error::RowNotBlockMultiple { at, .. }
            | Error::UnknownGgmlType { at, .. }
            | Error::MisalignedOffset { at, .. }
            | Error::TensorOutOfBounds { at, .. } => Some(at),
            Error::InShard { source, .. } => source.location(),
            _ => None,
        }
    }

    /// Adds `extra` bytes to the estimate of an [`Error::HeaderIncomplete`]
    /// (for what follows the item being read); other errors pass unchanged.
    pub(crate) fn and_then_more(self, extra: u64) -> Error {
        match self {
            Error::HeaderIncomplete {
                at,
                have,
                needed,
                estimate,
            } => Error::HeaderIncomplete {
                at,
                have,
                needed,
                estimate: estimate.saturating_add(extra),
            },
            other => other,
        }
    }

    /// Wraps an error about the file at `path` of a split model.
    pub(crate) fn in_shard(path: impl AsRef<std::path::Path>, e: Error) -> Error {
        Error::InShard {
            path: path.as_ref().display().to_string(),
            source: Box::new(e),
        }
    }

    pub(crate) fn wrong_type(key: &str, expected: impl ToString, found: ValueType) -> Error {
        Error::WrongType {
            key: key.to_string(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}

/// Bytes as text: printable ASCII as it is, others (and `'`, `\\`) escaped
/// as `\xNN`.
fn escaped(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'\'' && b != b'\\' || b == b' ' {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

/// What a file with this magic probably is, when the magic says so.
fn magic_hint(magic: &[u8]) -> &'static str {
    match magic {
        [b'P', b'K', 3, 4] => " (a zip archive, such as a PyTorch .bin or .pth checkpoint)",
        // 'ggml', 'ggmf', 'ggjt' as little-endian numbers.
        b"lmgg" | b"fmgg" | b"tjgg" => {
            " (a GGML/GGMF/GGJT file, the format before GGUF: llama.cpp no longer reads it)"
        }
        _ => "",
    }
}

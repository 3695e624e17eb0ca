//! The one error type of this crate: every way a codec call can be refused.
//! Codecs never panic on bad input; they return one of these instead.

use gguf_format::GgmlType;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a codec call was asked to do, for [`Error::Unsupported`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// f32 → blocks.
    Encode,
    /// blocks → f32.
    Decode,
    /// Checking encoded bytes for NaN/Inf scales.
    Validate,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Encode => "encoding",
            Operation::Decode => "decoding",
            Operation::Validate => "validation",
        })
    }
}

/// Why a codec call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The type id is unknown to ggml, or this crate has no codec for the
    /// requested operation on it (for example decoding Q8_1, which ggml
    /// cannot decode either, or encoding an IQ type).
    #[error("{op} of type {ty} is not supported")]
    Unsupported {
        /// The type asked for.
        ty: GgmlType,
        /// What was asked.
        op: Operation,
    },
    /// The number of f32 elements is not a whole number of blocks.
    #[error("{len} elements are not a whole number of {ty} blocks of {block_size}")]
    PartialBlock {
        /// The type.
        ty: GgmlType,
        /// The element count given.
        len: usize,
        /// Elements per block of `ty`.
        block_size: usize,
    },
    /// The number of encoded bytes is not a whole number of blocks.
    #[error("{len} bytes are not a whole number of {ty} blocks of {type_size} bytes")]
    PartialBlockBytes {
        /// The type.
        ty: GgmlType,
        /// The byte count given.
        len: usize,
        /// Bytes per block of `ty`.
        type_size: usize,
    },
    /// The destination buffer does not have exactly the size the source needs
    /// (in bytes when encoding, in f32 elements when decoding).
    #[error("destination for {ty} holds {actual} units, {expected} needed")]
    DstSize {
        /// The type.
        ty: GgmlType,
        /// The size the source needs.
        expected: usize,
        /// The size given.
        actual: usize,
    },
    /// The importance matrix does not have one weight per element of a row.
    #[error("importance matrix has {actual} weights, a row has {expected} elements")]
    ImatrixLength {
        /// The row length.
        expected: usize,
        /// The imatrix length given.
        actual: usize,
    },
    /// The type can only be encoded with an importance matrix (IQ2_XXS,
    /// IQ2_XS; ggml asserts one is given) and none was.
    #[error("encoding {ty} requires an importance matrix")]
    ImatrixRequired {
        /// The type.
        ty: GgmlType,
    },
    /// [`encode_rows_par`](crate::encode_rows_par) was given a row length of
    /// zero, or a source that is not a whole number of rows.
    #[error("{len} elements are not a whole number of rows of {n_per_row}")]
    RowLength {
        /// The source length in elements.
        len: usize,
        /// The row length given.
        n_per_row: usize,
    },
    /// Encoded data holds a NaN or infinite value (a plain F16/BF16/F32/F64
    /// element, or a block's scale), or an invalid E8M0 exponent (MXFP4),
    /// as `ggml_validate_row_data` would report.
    #[error("{ty} data is invalid at block {block}: {what}")]
    InvalidData {
        /// The type.
        ty: GgmlType,
        /// Index of the offending block (the element, for plain types).
        block: usize,
        /// What was found ("NaN", "infinity", "E8M0 exponent 0xFF").
        what: &'static str,
    },
}

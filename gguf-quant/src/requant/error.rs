//! The one error type of requantization: each variant names the condition
//! and the tensor, key, row or file it concerns.

use crate::GgmlType;

/// Why a requantization cannot be planned or carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequantError {
    /// An option is malformed or contradicts another.
    #[error(transparent)]
    Option(#[from] super::OptionError),

    /// The importance-matrix file cannot be read or used.
    #[error("{path}: {reason}")]
    Imatrix {
        /// The file, as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The target needs an importance matrix and none was given
    /// (llama-quantize: "this quantization requires an importance matrix").
    #[error("{target} requires an importance matrix: {tensor} would be {ty}")]
    ImatrixRequired {
        /// The target's name.
        target: &'static str,
        /// The first tensor that needs it.
        tensor: String,
        /// The type that tensor gets.
        ty: GgmlType,
    },

    /// An importance matrix was given but has no entry for a tensor whose
    /// type needs one.
    #[error("{tensor}: type {ty} needs an importance matrix to give usable results")]
    TensorNeedsImatrix {
        /// The tensor.
        tensor: String,
        /// The type it gets.
        ty: GgmlType,
    },

    /// The importance matrix's entry for a tensor has the wrong length
    /// (one weight per column, per expert, is needed).
    #[error("imatrix has {have} values for {tensor}, the tensor needs {need}")]
    ImatrixSize {
        /// The tensor.
        tensor: String,
        /// Values in the entry.
        have: u64,
        /// Values the tensor needs.
        need: u64,
    },

    /// The input is big-endian (llama-quantize cannot read such files either).
    #[error(
        "big-endian input is not supported by requant (llama-quantize does not read it either); \
         convert it to little-endian first"
    )]
    BigEndian,

    /// A tensor's type id is not one ggml defines.
    #[error("tensor {tensor} has unknown ggml type {ty}")]
    UnknownType {
        /// The tensor.
        tensor: String,
        /// Its type.
        ty: GgmlType,
    },

    /// A tensor would change type but its type cannot be decoded as weights
    /// (the integer types).
    #[error("{tensor}: cannot convert tensor type {ty}")]
    Unconvertible {
        /// The tensor.
        tensor: String,
        /// Its type.
        ty: GgmlType,
    },

    /// A quantized tensor would be quantized again without
    /// `--allow-requantize`.
    #[error(
        "{tensor}: requantizing from type {from} is disabled (it must be allowed to decode and re-encode it)"
    )]
    RequantizeDisabled {
        /// The tensor.
        tensor: String,
        /// Its (quantized) type.
        from: GgmlType,
    },

    /// No type fits the tensor's rows (llama.cpp: "no tensor type fallback"),
    /// or the layer of an expert tensor cannot be read from its name.
    #[error(transparent)]
    Select(#[from] super::select::SelectError),

    /// A row holds NaN or an infinity (llama-quantize: "tensor has invalid data").
    #[error("tensor {tensor} has a non-finite value ({value}) in row {row}, column {col}")]
    NonFinite {
        /// The tensor.
        tensor: String,
        /// The row.
        row: u64,
        /// The first bad column.
        col: usize,
        /// Its value.
        value: f32,
    },

    /// A codec refused a row.
    #[error("{tensor}: row {row}: {source}")]
    Codec {
        /// The tensor.
        tensor: String,
        /// The row.
        row: u64,
        /// The codec's error.
        source: crate::Error,
    },

    /// An encoded row failed validation (`ggml_validate_row_data`: a scale
    /// overflowed f16).
    #[error("{tensor}: row {row}: quantized data validation failed: {source}")]
    Validation {
        /// The tensor.
        tensor: String,
        /// The row.
        row: u64,
        /// What the validator found.
        source: crate::Error,
    },

    /// Reading the input or writing the output failed.
    #[error(transparent)]
    Format(#[from] gguf_format::Error),

    /// The thread writing the output stopped before the data was complete.
    #[error("the writer thread {0}")]
    Writer(&'static str),
}

impl RequantError {
    /// The error for row `row` of tensor `tensor` that a [`RowConverter`]
    /// refused.
    ///
    /// [`RowConverter`]: crate::rows::RowConverter
    pub(crate) fn from_row(tensor: &str, row: u64, e: crate::rows::RowError) -> RequantError {
        use crate::rows::RowError;
        let tensor = tensor.to_string();
        match e {
            RowError::NonFinite { col, value } => RequantError::NonFinite {
                tensor,
                row,
                col,
                value,
            },
            RowError::Codec(source) => RequantError::Codec { tensor, row, source },
            RowError::Invalid(source) => RequantError::Validation { tensor, row, source },
        }
    }
}

//! Why an option of requantization is refused: typed, describing the value
//! (a front end names its own flag; the `gguf` command prints
//! `--tensor-type "x": expected PATTERN=TYPE`).

/// A malformed option value, or options that contradict each other.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// A tensor-type entry that is not `PATTERN=TYPE` (both non-empty).
    #[error("{spec:?}: expected PATTERN=TYPE")]
    TensorTypeSpec {
        /// The entry as given.
        spec: String,
    },

    /// A tensor-type entry whose pattern is not a regular expression.
    #[error("{pattern:?}: {source}")]
    TensorTypePattern {
        /// The pattern as given.
        pattern: String,
        /// Why the regex crate refuses it.
        source: regex::Error,
    },

    /// A type name ggml does not have.
    #[error("unknown ggml type {name:?} (e.g. q4_k, q8_0, f16)")]
    UnknownType {
        /// The name as given.
        name: String,
    },

    /// Importance data restricted both to some names and away from others.
    #[error("importance data cannot be both included and excluded by name")]
    IncludeAndExclude,

    /// A metadata override that is not `KEY=TYPE:VALUE` with TYPE int,
    /// float, bool or str.
    #[error("{spec:?}: expected KEY=TYPE:VALUE with TYPE int, float, bool or str")]
    KvOverrideSpec {
        /// The override as given.
        spec: String,
    },

    /// A metadata override's key is empty or 128 bytes or longer.
    #[error("key {key:?} must be 1 to 127 bytes")]
    KvOverrideKey {
        /// The key.
        key: String,
    },

    /// A metadata override's value does not fit its type.
    #[error("{key}: {problem}")]
    KvOverrideValue {
        /// The key.
        key: String,
        /// What is wrong with the value.
        problem: KvValueProblem,
    },

    /// A quality sample that is not a share of rows in (0, 1].
    #[error("{sample}: not a share of rows in (0, 1]")]
    QualitySample {
        /// The share given.
        sample: f64,
    },

    /// An output file number the plan does not have.
    #[error("the plan has no output file {output}")]
    NoSuchOutput {
        /// The number asked for.
        output: usize,
    },

    /// More tensors than `split.tensors.count` (an i32) can count.
    #[error("too many tensors for split.tensors.count (i32)")]
    TooManyTensors,
}

/// What is wrong with a metadata override's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvValueProblem {
    /// `int:` with a value that is not an integer.
    #[error("{0:?} is not an integer")]
    NotInteger(String),
    /// `float:` with a value that is not a number.
    #[error("{0:?} is not a number")]
    NotNumber(String),
    /// `bool:` with a value other than `true` or `false`.
    #[error("bool must be true or false, not {0:?}")]
    NotBool(String),
    /// `str:` with more than 127 bytes.
    #[error("string longer than 127 bytes")]
    StringTooLong,
}

//! The crate's one error type: every variant names what it is about — the
//! file, the tensor or the `config.json` key.

use std::path::PathBuf;

/// What went wrong opening or converting a model directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read (missing, unreadable, not mappable).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A JSON file (`config.json`, the shard index) is not valid JSON or
    /// not of the expected shape.
    #[error("{}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The directory holds no weights the importer can read.
    #[error("{}: no model.safetensors.index.json and no model*.safetensors", dir.display())]
    NoWeights {
        /// The model directory.
        dir: PathBuf,
    },
    /// A shard listed in `model.safetensors.index.json` is absent.
    #[error("{}: shard {shard} listed in model.safetensors.index.json (for tensor {tensor}) is missing", dir.display())]
    MissingShard {
        /// The model directory.
        dir: PathBuf,
        /// The shard's file name.
        shard: String,
        /// A tensor the index places in it.
        tensor: String,
    },
    /// A safetensors file that cannot be read as one (truncated, bad
    /// header, offsets outside the file).
    #[error("{}: not a valid safetensors file: {message}", path.display())]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Something about one tensor: not where the index says, a dtype the
    /// importer does not read, a name no architecture table maps, a shape
    /// that does not fit its transform.
    #[error("{}: tensor {tensor}: {message}", path.display())]
    Tensor {
        /// The file holding it (or the index naming it).
        path: PathBuf,
        /// The tensor's Hugging Face name.
        tensor: String,
        /// What is wrong.
        message: String,
    },
    /// A `config.json` key is missing (with no class default) or has a
    /// value of the wrong kind.
    #[error("{}: key {key}: {message}", path.display())]
    Config {
        /// The `config.json` read.
        path: PathBuf,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The model's architecture (`config.json`'s `architectures[0]`) is
    /// not one the importer supports.
    #[error("architecture {name} is not supported (supported: {})", supported.join(", "))]
    UnsupportedArchitecture {
        /// The Hugging Face class name.
        name: String,
        /// The class names that are supported.
        supported: Vec<&'static str>,
    },
    /// An output type name that is not `f32`, `f16`, `bf16`, `q8_0` or `auto`.
    #[error("unknown output type {0:?} (f32, f16, bf16, q8_0 or auto)")]
    OutType(String),
    /// A tokenizer file (`tokenizer.model`, `tokenizer.json`,
    /// `tokenizer_config.json`, ...) that does not parse, or whose
    /// vocabulary does not fit `config.json`'s `vocab_size`.
    #[error("{}: {message}", path.display())]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The hash of the ids the tokenizer gives for the converter's chktxt
    /// is not in its table, so `tokenizer.ggml.pre` is unknown.
    #[error("{}: BPE pre-tokenizer was not recognized (chkhsh {chkhsh}); choose one with the `pre` option (ImportOptions::pre)", path.display())]
    UnknownPreTokenizer {
        /// The `tokenizer.json`.
        path: PathBuf,
        /// The converter's `chkhsh`.
        chkhsh: String,
    },
    /// Writing the synthesized GGUF header failed.
    #[error(transparent)]
    Format(#[from] gguf_format::Error),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

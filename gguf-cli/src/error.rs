//! The one error type of the `gguf` command, and its exit codes: 0
//! success, 1 a negative answer (diff: differences found; inspect --key: no
//! such key), 2 an error. Library errors are typed and never name a flag;
//! this is where a flag's name goes back into the message.

use gguf_quant::requant::RequantError;
use std::fmt;
use std::io;

/// How a command that ran to its end answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Success, or a "yes" (exit 0).
    Yes,
    /// A negative answer (exit 1).
    No,
    /// An error already reported on stderr, the command carrying on to
    /// the end (exit 2): `inspect` with several files, one unreadable.
    Failed,
}

impl Status {
    /// The process's exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Yes => 0,
            Status::No => 1,
            Status::Failed => 2,
        }
    }
}

/// Why a command stops. Printed as one line, `gguf: …`, exit code 2;
/// except a failed write to standard output, `gguf: writing output: …`,
/// and nothing at all for a closed pipe (`gguf inspect … | head`).
#[derive(Debug)]
pub enum Error {
    /// A GGUF file or operation refused.
    Format(gguf_format::Error),
    /// The requantizer refused.
    Requant(RequantError),
    /// A model directory could not be imported.
    Import(gguf_import::Error),
    /// The command's own refusal (a missing or conflicting argument).
    Usage(String),
    /// An error about one file or operation: `WHAT: error`.
    At(String, Box<Error>),
    /// Reading a file named by a flag failed: `PATH: error`.
    Read(String, io::Error),
    /// Writing standard output failed.
    Output(io::Error),
}

/// A command's result.
pub type Result<T = Status> = std::result::Result<T, Error>;

impl Error {
    /// The same error, about `what` (a path, or `IN → OUT`).
    pub fn at(what: impl fmt::Display, e: impl Into<Error>) -> Error {
        Error::At(what.to_string(), Box::new(e.into()))
    }

    /// The exit code: 2 for every error.
    pub fn code(&self) -> u8 {
        2
    }

    /// Whether this is standard output closed by its reader, which is not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Format(e) => f.write_str(&format_message(e)),
            Error::Requant(e) => f.write_str(&requant_message(e)),
            Error::Import(e) => f.write_str(&import_message(e)),
            Error::Usage(m) => f.write_str(m),
            Error::At(what, e) => write!(f, "{what}: {e}"),
            Error::Read(path, e) => write!(f, "{path}: {e}"),
            Error::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

/// A GGUF error as the command words it: an edit argument's error names
/// the flag that gave it.
pub fn format_message(e: &gguf_format::Error) -> String {
    use gguf_format::edit::EditError as E;
    match e {
        gguf_format::Error::Edit(x) => match x {
            E::SetSpec { .. }
            | E::SetArrayText { .. }
            | E::SetNeedsType { .. }
            | E::SetArrayKey { .. }
            | E::SetNotArray { .. }
            | E::UnknownType { .. } => format!("--set {x}"),
            E::SetTypeChange { to, .. } => {
                format!("--set {x}; pass --change-type to write it as {to} all the same")
            }
            E::RemoveMissing { .. } => format!("--remove-metadata {x}"),
            E::TokenNotFound { .. } => format!("--special-token {x}"),
            E::BadTokenId { .. } | E::TokenIdOutOfRange { .. } => format!("--special-token-by-id {x}"),
            E::RenameMissing { .. } | E::RenameEmpty { .. } => format!("--rename {x}"),
            E::RenamedTwice { .. } | E::RenameClash { .. } => format!("--rename: {x}"),
            E::ChatTemplateJson(_) | E::ChatTemplateNotList => format!("--chat-template: {x}"),
            _ => x.to_string(),
        },
        _ => e.to_string(),
    }
}

/// An import error as the command words it: with its flags.
pub fn import_message(e: &gguf_import::Error) -> String {
    match e {
        gguf_import::Error::UnknownPreTokenizer { path, chkhsh } => format!(
            "{}: BPE pre-tokenizer was not recognized (chkhsh {chkhsh}, not in convert_hf_to_gguf.py's table); \
             choose one with --pre NAME (llama-bpe, qwen2, deepseek-v3, … as llama.cpp names them)",
            path.display()
        ),
        _ => e.to_string(),
    }
}

/// A requantization error as the command words it: an option's error
/// names the flag that gave the value.
pub fn requant_message(e: &RequantError) -> String {
    use gguf_quant::requant::OptionError as O;
    match e {
        RequantError::Option(o) => match o {
            O::TensorTypeSpec { .. } | O::TensorTypePattern { .. } => format!("--tensor-type {o}"),
            O::IncludeAndExclude => "--include-weights and --exclude-weights cannot be given together".into(),
            O::KvOverrideSpec { .. } | O::KvOverrideValue { .. } => format!("--override-kv {o}"),
            O::KvOverrideKey { .. } => format!("--override-kv: {o}"),
            O::QualitySample { sample } => {
                format!("--quality-sample {sample}: expected a share of rows in (0, 1]")
            }
            _ => o.to_string(),
        },
        RequantError::ImatrixRequired { target, tensor, ty } => {
            format!("{target} requires an importance matrix (--imatrix): {tensor} would be {ty}")
        }
        RequantError::TensorNeedsImatrix { tensor, ty } => {
            format!("{tensor}: type {ty} needs an importance matrix (--imatrix) to give usable results")
        }
        RequantError::RequantizeDisabled { tensor, from } => format!(
            "{tensor}: requantizing from type {from} is disabled (pass --allow-requantize to decode and re-encode it)"
        ),
        _ => e.to_string(),
    }
}

impl From<gguf_format::Error> for Error {
    fn from(e: gguf_format::Error) -> Error {
        Error::Format(e)
    }
}

impl From<gguf_import::Error> for Error {
    fn from(e: gguf_import::Error) -> Error {
        Error::Import(e)
    }
}

impl From<RequantError> for Error {
    fn from(e: RequantError) -> Error {
        Error::Requant(e)
    }
}

/// An `io::Error` with no path is a failed write to standard output; a
/// read carries its path ([`Error::Read`]).
impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Output(e)
    }
}

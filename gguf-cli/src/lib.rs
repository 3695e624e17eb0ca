//! The library behind the `gguf` command: each subcommand builds a report
//! from `gguf-format` / `gguf-quant` calls, and the renderers turn reports into
//! text or JSON. `main.rs` only parses arguments and prints.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod diff;
pub mod files;
pub mod glob;
pub mod human;
pub mod inspect;
pub mod json;
pub mod markdown;
pub mod render;
pub mod requant;

/// Version of the JSON documents the commands print; bumped on any
/// incompatible change to their shape.
pub const JSON_SCHEMA_VERSION: u32 = 1;

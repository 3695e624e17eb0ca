//! Zero-copy GGUF reader and streaming writer.

pub mod raw;

pub use raw::{ByteOrder, GgmlType, TypeInfo, ValueType, Version, GGML_TYPES};

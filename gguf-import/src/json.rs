//! The JSON files of a model directory (`config.json`, the shard index,
//! `generation_config.json`, the tokenizer's files, the pooling module's
//! config, the metadata override file), read one way with one error shape:
//! [`Error::Io`] when the file cannot be read, [`Error::Json`] naming it
//! when it is not JSON or not the object expected.

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// `bytes` (the contents of `path`, which errors name) as JSON.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        message: format!("not valid JSON: {e}"),
    })
}

/// `bytes` as a JSON object.
pub(crate) fn parse_object(path: &Path, bytes: &[u8]) -> Result<Map<String, Value>> {
    match parse(path, bytes)? {
        Value::Object(m) => Ok(m),
        _ => Err(Error::Json {
            path: path.to_path_buf(),
            message: "not a JSON object".into(),
        }),
    }
}

fn bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The JSON file at `path`.
pub(crate) fn read(path: &Path) -> Result<Value> {
    parse(path, &bytes(path)?)
}

/// The JSON object file at `path`.
pub(crate) fn read_object(path: &Path) -> Result<Map<String, Value>> {
    parse_object(path, &bytes(path)?)
}

/// The JSON file at `path`, `None` when there is no such file.
pub(crate) fn read_if_file(path: &Path) -> Result<Option<Value>> {
    if path.is_file() {
        read(path).map(Some)
    } else {
        Ok(None)
    }
}

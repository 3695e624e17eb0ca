//! `config.json` read the way the converter reads it: through
//! transformers' `AutoConfig`, so a key the file leaves out takes its
//! configuration class's default, and the defaults a class derives in its
//! `__init__` (`head_dim`, `num_key_value_heads`) are derived the same way.
//! The defaults themselves are data, per architecture, in [`crate::arch`].

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A class default for a key `config.json` leaves out (or sets to `null`
/// where the class derives it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// `None`.
    Null,
    /// `hidden_size // num_attention_heads` when absent or `null`.
    HeadDim,
    /// `num_attention_heads` when absent or `null`.
    NumAttentionHeads,
}

/// A model's hyperparameters: `config.json` with its class's defaults.
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    values: Map<String, Value>,
}

impl Config {
    /// Reads `path` (a `config.json`) as it is, without defaults.
    pub fn read(path: &Path) -> Result<Config> {
        Ok(Config {
            path: path.to_path_buf(),
            values: crate::json::read_object(path)?,
        })
    }

    /// `bytes`, the contents of `path` (a `config.json`), as it is, without
    /// defaults: a JSON object.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Config> {
        Ok(Config {
            path: path.to_path_buf(),
            values: crate::json::parse_object(path, bytes)?,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills in the keys the file leaves out, in the order given (a
    /// derived default comes after what it derives from). A plain default
    /// fills an absent key only (a `null` in the file stays `None`, as the
    /// class keeps an explicit `None`); a derived one fills an absent or
    /// `null` key, so a key listed twice — a plain default, then a derived
    /// one — takes the class's signature default when absent and the
    /// derived value when `null`.
    pub fn apply_defaults(&mut self, defaults: &[(&str, Default)]) -> Result<()> {
        for &(key, d) in defaults {
            let absent = matches!(self.values.get(key), None | Some(Value::Null));
            let v = match d {
                Default::HeadDim if absent => {
                    let h = self.u64("hidden_size")?;
                    let n = self.u64("num_attention_heads")?;
                    if n == 0 {
                        return Err(self.err("num_attention_heads", "is 0"));
                    }
                    Value::from(h / n)
                }
                Default::NumAttentionHeads if absent => Value::from(self.u64("num_attention_heads")?),
                Default::HeadDim | Default::NumAttentionHeads => continue,
                _ if self.values.contains_key(key) => continue,
                Default::Int(i) => Value::from(i),
                Default::Float(f) => Value::from(f),
                Default::Bool(b) => Value::from(b),
                Default::Null => Value::Null,
            };
            self.values.insert(key.to_string(), v);
        }
        Ok(())
    }

    /// Sets `key` to `v` (as the configuration class's `__init__` may).
    pub fn set(&mut self, key: &str, v: Value) {
        self.values.insert(key.to_string(), v);
    }

    /// The value of `key`; `None` when absent or `null` (Python's `None`).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key).filter(|v| !v.is_null())
    }

    /// The first of `keys` that has a value (the converter's `find_hparam`).
    pub fn find(&self, keys: &[&str]) -> Option<(&str, &Value)> {
        keys.iter()
            .find_map(|k| self.values.get_key_value(*k).filter(|(_, v)| !v.is_null()))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// `config.json`'s `architectures[0]`.
    pub fn architecture(&self) -> Result<&str> {
        self.get("architectures")
            .and_then(|a| a.get(0))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                self.err(
                    "architectures",
                    "missing: a list whose first entry is the model class",
                )
            })
    }

    /// A non-negative integer.
    pub fn u64(&self, key: &str) -> Result<u64> {
        match self.get(key) {
            None => Err(self.err(key, "missing")),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| self.err(key, &format!("{v} is not a non-negative integer"))),
        }
    }

    /// A number.
    pub fn f64(&self, key: &str) -> Result<f64> {
        match self.get(key) {
            None => Err(self.err(key, "missing")),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| self.err(key, &format!("{v} is not a number"))),
        }
    }

    /// A boolean, `false` when absent.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// An error about `key` of this file.
    pub fn err(&self, key: &str, message: &str) -> Error {
        Error::Config {
            path: self.path.clone(),
            key: key.to_string(),
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> Config {
        Config {
            path: "config.json".into(),
            values: serde_json::from_str(json).unwrap(),
        }
    }

    #[test]
    fn defaults_fill_absent_keys_and_derive_nulls() {
        let defaults = [
            ("rope_theta", Default::Float(10000.0)),
            ("num_key_value_heads", Default::Int(8)),
            ("num_key_value_heads", Default::NumAttentionHeads),
            ("head_dim", Default::HeadDim),
        ];
        let mut c = config(r#"{"hidden_size": 64, "num_attention_heads": 4}"#);
        c.apply_defaults(&defaults).unwrap();
        assert_eq!(c.f64("rope_theta").unwrap(), 10000.0);
        assert_eq!(c.u64("num_key_value_heads").unwrap(), 8);
        assert_eq!(c.u64("head_dim").unwrap(), 16);

        let mut c = config(
            r#"{"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": null,
                "head_dim": null, "rope_theta": null}"#,
        );
        c.apply_defaults(&defaults).unwrap();
        assert!(c.get("rope_theta").is_none());
        assert_eq!(c.u64("num_key_value_heads").unwrap(), 4);
        assert_eq!(c.u64("head_dim").unwrap(), 16);
    }

    #[test]
    fn wrong_kinds_name_the_key() {
        let c = config(r#"{"hidden_size": "big", "architectures": []}"#);
        assert!(matches!(c.u64("hidden_size"), Err(Error::Config { ref key, .. }) if key == "hidden_size"));
        assert!(matches!(c.architecture(), Err(Error::Config { ref key, .. }) if key == "architectures"));
    }
}

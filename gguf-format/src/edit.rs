//! Editing metadata, two ways.
//!
//! - **In place** ([`plan_in_place`], [`write_in_place`]): numbers and
//!   booleans change where they are, cast to the key's own type, with one
//!   positioned write and an fsync — what gguf-py's `gguf-set-metadata`
//!   does. Nothing else in the file moves.
//! - **As a copy** ([`MetadataEdit`]): everything gguf-py's
//!   `gguf-new-metadata` does, with its key order (`general.architecture`
//!   first, chat templates replaced as a group and moved last, new keys
//!   appended), plus setting any key to any value and renaming keys. The
//!   result is a [`GgufBuilder`] the caller streams the tensor data into.

use crate::error::{Error, Result};
use crate::raw::{ValueType, Version, ALIGNMENT_KEY};
use crate::read::Gguf;
use crate::split::SPLIT_KEYS;
use crate::value::Value;
use crate::write::{encode_value, GgufBuilder, MetaValue};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

mod error;
mod json;

pub use error::EditError;
pub use json::json_items;

/// `general.architecture`.
pub const ARCHITECTURE_KEY: &str = "general.architecture";
/// `tokenizer.chat_template`: the default template; also the prefix of
/// every chat-template key (`tokenizer.chat_template.NAME`,
/// `tokenizer.chat_templates`).
pub const CHAT_TEMPLATE_KEY: &str = "tokenizer.chat_template";
/// `tokenizer.chat_templates`: the names of the named templates.
pub const CHAT_TEMPLATES_KEY: &str = "tokenizer.chat_templates";

/// The names `--special-token` takes and the keys they set: gguf-py's
/// `Keys.Tokenizer.*_token_id`, named by the part before `_token_id`
/// (`seperator` is spelt as in the real key).
pub const SPECIAL_TOKENS: &[(&str, &str)] = &[
    ("bos", "tokenizer.ggml.bos_token_id"),
    ("eos", "tokenizer.ggml.eos_token_id"),
    ("eot", "tokenizer.ggml.eot_token_id"),
    ("eom", "tokenizer.ggml.eom_token_id"),
    ("unknown", "tokenizer.ggml.unknown_token_id"),
    ("seperator", "tokenizer.ggml.seperator_token_id"),
    ("padding", "tokenizer.ggml.padding_token_id"),
    ("mask", "tokenizer.ggml.mask_token_id"),
    ("fim_pre", "tokenizer.ggml.fim_pre_token_id"),
    ("fim_suf", "tokenizer.ggml.fim_suf_token_id"),
    ("fim_mid", "tokenizer.ggml.fim_mid_token_id"),
    ("fim_pad", "tokenizer.ggml.fim_pad_token_id"),
    ("fim_rep", "tokenizer.ggml.fim_rep_token_id"),
    ("fim_sep", "tokenizer.ggml.fim_sep_token_id"),
    ("prefix", "tokenizer.ggml.prefix_token_id"),
    ("suffix", "tokenizer.ggml.suffix_token_id"),
    ("middle", "tokenizer.ggml.middle_token_id"),
];

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidEdit(msg.into())
}

/// Parses `text` as a value of type `ty` for key `key` (named in errors):
/// an integer in the type's range, a float, `true`/`false` (or `1`/`0`), or
/// a string taken as it is. Arrays are built from their elements (see
/// [`SetValue::Items`]).
///
/// ```
/// use gguf_format::{edit::parse_value, MetaValue, ValueType};
/// assert_eq!(parse_value("k", ValueType::U16, "512").unwrap(), MetaValue::U16(512));
/// assert!(parse_value("k", ValueType::U8, "300").is_err());
/// assert_eq!(parse_value("k", ValueType::Bool, "false").unwrap(), MetaValue::Bool(false));
/// ```
pub fn parse_value(key: &str, ty: ValueType, text: &str) -> Result<MetaValue<'static>> {
    fn num<T: std::str::FromStr>(key: &str, ty: ValueType, text: &str) -> Result<T> {
        text.trim().parse().map_err(|_| {
            invalid(format!(
                "{key}: {text:?} is not a {ty} value{}",
                match ty {
                    ValueType::F32 | ValueType::F64 => String::new(),
                    _ => " (a whole number in the type's range)".to_string(),
                }
            ))
        })
    }
    Ok(match ty {
        ValueType::U8 => MetaValue::U8(num(key, ty, text)?),
        ValueType::I8 => MetaValue::I8(num(key, ty, text)?),
        ValueType::U16 => MetaValue::U16(num(key, ty, text)?),
        ValueType::I16 => MetaValue::I16(num(key, ty, text)?),
        ValueType::U32 => MetaValue::U32(num(key, ty, text)?),
        ValueType::I32 => MetaValue::I32(num(key, ty, text)?),
        ValueType::U64 => MetaValue::U64(num(key, ty, text)?),
        ValueType::I64 => MetaValue::I64(num(key, ty, text)?),
        ValueType::F32 => MetaValue::F32(num(key, ty, text)?),
        ValueType::F64 => MetaValue::F64(num(key, ty, text)?),
        ValueType::Bool => match text.trim() {
            "true" | "1" => MetaValue::Bool(true),
            "false" | "0" => MetaValue::Bool(false),
            _ => {
                return Err(invalid(format!(
                    "{key}: {text:?} is not a BOOL value (true or false)"
                )))
            }
        },
        ValueType::String => MetaValue::from(text.to_string()),
        ValueType::Array => {
            return Err(invalid(format!(
                "{key}: an array value needs its elements (a JSON array such as [1, 2])"
            )))
        }
    })
}

/// The type written in a `--set KEY=TYPE:VALUE` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetType {
    /// A scalar or string type (`u32`, `FLOAT32`, `str`, …).
    Scalar(ValueType),
    /// `array[T]`: an array of `T`.
    Array(ValueType),
}

/// One `--set` argument split into its parts: `KEY=VALUE` (the value cast
/// to the key's existing type) or `KEY=TYPE:VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetArg {
    /// The key.
    pub key: String,
    /// The type given, if any.
    pub ty: Option<SetType>,
    /// The value as written.
    pub text: String,
}

impl SetArg {
    /// Splits `KEY=[TYPE:]VALUE`. The part before the first `:` counts as a
    /// type only when it names one (`u32`, `str`, `array[u32]`, …), so
    /// `general.url=https://x` sets a string without saying so.
    ///
    /// ```
    /// use gguf_format::edit::{SetArg, SetType};
    /// use gguf_format::ValueType;
    /// let a = SetArg::parse("llama.context_length=u32:8192").unwrap();
    /// assert_eq!((a.key.as_str(), a.ty, a.text.as_str()), ("llama.context_length", Some(SetType::Scalar(ValueType::U32)), "8192"));
    /// let b = SetArg::parse("general.url=https://example.com").unwrap();
    /// assert_eq!((b.ty, b.text.as_str()), (None, "https://example.com"));
    /// ```
    pub fn parse(arg: &str) -> Result<SetArg> {
        let (key, rest) = arg
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| Error::Edit(EditError::SetSpec { arg: arg.to_string() }))?;
        let typed = rest.split_once(':').and_then(|(t, v)| {
            let lower = t.to_ascii_lowercase();
            let ty = match lower.strip_prefix("array[").and_then(|x| x.strip_suffix(']')) {
                Some(elem) => SetType::Array(ValueType::from_name(elem).filter(|e| *e != ValueType::Array)?),
                None => SetType::Scalar(ValueType::from_name(t).filter(|e| *e != ValueType::Array)?),
            };
            Some((ty, v))
        });
        if typed.is_none() {
            if let Some((t, _)) = rest.split_once(':').filter(|(t, _)| looks_like_type(t)) {
                return Err(Error::Edit(EditError::UnknownType {
                    key: key.to_string(),
                    ty: t.to_string(),
                }));
            }
        }
        Ok(match typed {
            Some((ty, v)) => SetArg {
                key: key.to_string(),
                ty: Some(ty),
                text: v.to_string(),
            },
            None => SetArg {
                key: key.to_string(),
                ty: None,
                text: rest.to_string(),
            },
        })
    }
}

/// Whether the part of a `--set` value before its first `:` is meant as a
/// type that does not exist (`u33`, `int64`, `array[u3]`) rather than the
/// start of a string (`https`).
fn looks_like_type(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    if t.starts_with("array[") {
        return true;
    }
    let digits = t.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let letters = &t[..t.len() - digits.len()];
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && ["u", "i", "f", "uint", "int", "float"].contains(&letters)
}

/// The type of a value to write, named as [`Value::type_name`] names the
/// type of a value read (`UINT32`, `ARRAY[STRING]`).
pub fn meta_type_name(v: &MetaValue<'_>) -> String {
    match v {
        MetaValue::Array(crate::write::MetaArray::View(a)) => Value::Array(*a).type_name(),
        MetaValue::Array(crate::write::MetaArray::Items { elem, .. }) => format!("ARRAY[{elem}]"),
        other => other.value_type().name().to_string(),
    }
}

/// One fixed-size value to change in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch<'a> {
    /// The key.
    pub key: &'a str,
    /// The value in the file now.
    pub old: Value<'a>,
    /// The value it will have.
    pub new: MetaValue<'static>,
    /// Absolute offset of the value's bytes in the file.
    pub offset: u64,
    /// The new bytes, in the file's byte order.
    pub bytes: Vec<u8>,
}

impl Patch<'_> {
    /// Whether the new value's bytes equal the old ones (nothing to write).
    pub fn is_unchanged(&self, file: &[u8]) -> bool {
        let at = self.offset as usize;
        file.get(at..at + self.bytes.len()) == Some(&self.bytes[..])
    }
}

/// Plans in-place changes: each `(key, value)` must name a key the file has,
/// of a fixed-size type (a number or a boolean: the header keeps its size),
/// and the value is cast to that type (`TYPE:` may be given, and must then
/// be the key's type). `general.alignment` and the `split.*` keys are
/// refused: changing them in place would break the layout or the shard set.
/// A key given twice takes its last value.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::edit::{plan_in_place, write_in_place, SetArg};
/// use gguf_format::GgufFile;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tiny.gguf");
/// std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"), &path).unwrap();
///
/// let file = GgufFile::open_in_memory(&path)?;
/// let g = file.parse()?;
/// let patches = plan_in_place(&g, &[SetArg::parse("llama.context_length=4096")?])?;
/// assert_eq!(write_in_place(&path, file.as_bytes(), &patches)?, 4);
///
/// let after = GgufFile::open(&path)?;
/// assert_eq!(after.parse()?.get_u32("llama.context_length")?, 4096);
/// // A string cannot change in place: the header would change size.
/// assert!(plan_in_place(&g, &[SetArg::parse("general.name=x")?]).is_err());
/// # Ok(()) }
/// ```
pub fn plan_in_place<'a>(g: &Gguf<'a>, sets: &[SetArg]) -> Result<Vec<Patch<'a>>> {
    let mut patches: Vec<Patch<'a>> = Vec::new();
    for s in sets {
        let key = s.key.as_str();
        let kv = g.metadata().iter().find(|kv| kv.key == key).ok_or_else(|| {
            invalid(format!(
                "{key}: no such key; in place only existing numbers and booleans can change \
                 (`gguf edit IN OUT --set {key}=TYPE:VALUE` adds it to a copy)"
            ))
        })?;
        if key == ALIGNMENT_KEY || SPLIT_KEYS.contains(&key) {
            return Err(invalid(format!(
                "{key}: cannot change in place (it decides where the tensor data lies or which files \
                 form the model); write a copy with `gguf edit IN OUT` or use `gguf split`/`gguf merge`"
            )));
        }
        let ty = kv.value.value_type();
        if ty.fixed_size().is_none() {
            return Err(invalid(format!(
                "{key} is {}: in place only numbers and booleans can change, as the header keeps its \
                 size; `gguf edit IN OUT --set ...` writes a copy",
                kv.value.type_name()
            )));
        }
        match s.ty {
            None => {}
            Some(SetType::Scalar(t)) if t == ty => {}
            Some(other) => {
                return Err(invalid(format!(
                "{key} is {ty}, not {}: in place the type cannot change; a copy (`gguf edit IN OUT`) can, \
                     when told to change the type",
                match other {
                    SetType::Scalar(t) => t.to_string(),
                    SetType::Array(t) => format!("ARRAY[{t}]"),
                }
            )))
            }
        }
        let new = parse_value(key, ty, &s.text)?;
        let bytes = encode_value(&new, g.byte_order(), g.version().wide_lengths())?;
        let len_width = if g.version().wide_lengths() { 8 } else { 4 };
        let offset = kv.offset + len_width + key.len() as u64 + 4;
        patches.retain(|p| p.key != key);
        patches.push(Patch {
            key: kv.key,
            old: kv.value,
            new,
            offset,
            bytes,
        });
    }
    Ok(patches)
}

/// Writes planned patches into the file at `path`, whose current bytes
/// (its map) are `file`: the span from the first to the last changed byte is
/// written with one positioned write, then synced to disk. Patches that
/// change nothing are skipped; with none left, the file is not opened for
/// writing at all. Returns the number of bytes written.
pub fn write_in_place(path: &Path, file: &[u8], patches: &[Patch<'_>]) -> Result<usize> {
    let changed: Vec<&Patch<'_>> = patches.iter().filter(|p| !p.is_unchanged(file)).collect();
    let Some(start) = changed.iter().map(|p| p.offset).min() else {
        return Ok(0);
    };
    let end = changed
        .iter()
        .map(|p| p.offset + p.bytes.len() as u64)
        .max()
        .unwrap_or(start);
    let mut span = file
        .get(start as usize..end as usize)
        .ok_or_else(|| invalid("the patch lies outside the file"))?
        .to_vec();
    for p in &changed {
        let at = (p.offset - start) as usize;
        span[at..at + p.bytes.len()].copy_from_slice(&p.bytes);
    }
    let out = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    write_at(&out, &span, start).map_err(|e| Error::io(path, e))?;
    out.sync_data().map_err(|e| Error::io(path, e))?;
    Ok(span.len())
}

#[cfg(unix)]
fn write_at(f: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    f.write_all_at(buf, offset)
}

#[cfg(not(unix))]
fn write_at(mut f: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(buf)
}

/// A new chat template: one, or several by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatTemplate {
    /// `tokenizer.chat_template`.
    Text(String),
    /// `(name, template)` pairs, as in a `tokenizer_config.json` list: each
    /// becomes `tokenizer.chat_template.NAME` (characters other than ASCII
    /// letters and digits in NAME become `_`), the names are listed in
    /// `tokenizer.chat_templates`, and the one named `default` becomes
    /// `tokenizer.chat_template`.
    Named(Vec<(String, String)>),
}

/// The value of a `--set`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// A value with its type.
    Typed(MetaValue<'static>),
    /// Text cast to the existing key's type (a scalar or a string).
    Text(String),
    /// Elements cast to the existing array's element type.
    Items(Vec<String>),
}

/// A set of changes to a file's metadata, applied to a copy.
///
/// The gguf-new-metadata options keep its semantics exactly (the
/// `gguf edit` tests compare bytes with its output); `set` and `rename` go
/// beyond it: a `set` key already present changes in place, a new one is
/// appended after everything else; a `rename` keeps the key's position and
/// value, and the other changes see the new name.
#[derive(Debug, Clone, Default)]
pub struct MetadataEdit {
    /// `--general-name`.
    pub general_name: Option<String>,
    /// `--general-description`.
    pub general_description: Option<String>,
    /// `--chat-template`, `--chat-template-file`, `--chat-template-config`:
    /// replaces every `tokenizer.chat_template*` key.
    pub chat_template: Option<ChatTemplate>,
    /// `--pre-tokenizer`: `tokenizer.ggml.pre`.
    pub pre_tokenizer: Option<String>,
    /// `--remove-metadata`, in order.
    pub remove: Vec<String>,
    /// `--special-token NAME TOKEN`: the id of the first token with that text.
    pub special_tokens: Vec<(String, String)>,
    /// `--special-token-by-id NAME ID`.
    pub special_tokens_by_id: Vec<(String, String)>,
    /// `--set`, in order.
    pub set: Vec<(String, SetValue)>,
    /// `--rename OLD=NEW`, in order.
    pub rename: Vec<(String, String)>,
    /// Whether a `set` with a type may change the type of a key the file
    /// has (by default refused: llama.cpp reads every key it knows with one
    /// type and refuses the file when the type differs).
    pub change_type: bool,
}

/// Keys in order with dict semantics (setting a present key keeps its place),
/// which is how gguf-py's writer collects them.
#[derive(Default)]
struct Entries<'a> {
    items: Vec<(Cow<'a, str>, Option<MetaValue<'a>>)>,
    index: HashMap<String, usize>,
}

impl<'a> Entries<'a> {
    fn set(&mut self, key: impl Into<Cow<'a, str>>, value: MetaValue<'a>) {
        let key = key.into();
        match self.index.get(key.as_ref()) {
            Some(&i) => self.items[i].1 = Some(value),
            None => {
                self.index.insert(key.to_string(), self.items.len());
                self.items.push((key, Some(value)));
            }
        }
    }

    /// Removes and returns a key's value (its slot stays, empty).
    fn take(&mut self, key: &str) -> Option<MetaValue<'a>> {
        let &i = self.index.get(key)?;
        self.items[i].1.take()
    }

    fn into_vec(self) -> Vec<(Cow<'a, str>, MetaValue<'a>)> {
        self.items
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    }
}

impl MetadataEdit {
    /// Whether nothing would change (a plain copy, in gguf-new-metadata's layout).
    pub fn is_empty(&self) -> bool {
        self.general_name.is_none()
            && self.general_description.is_none()
            && self.chat_template.is_none()
            && self.pre_tokenizer.is_none()
            && self.remove.is_empty()
            && self.special_tokens.is_empty()
            && self.special_tokens_by_id.is_empty()
            && self.set.is_empty()
            && self.rename.is_empty()
    }

    /// The edited file's layout: version 3, `g`'s byte order, the edited
    /// metadata, and `g`'s tensors with their dimensions and types as they
    /// are (the caller writes their data in order, as `g` stores it: see
    /// [`GgufBuilder::data_byte_order`]). Also returns warnings (a token text
    /// found more than once).
    pub fn apply<'a>(&'a self, g: &Gguf<'a>) -> Result<(GgufBuilder<'a>, Vec<String>)> {
        let mut warnings = Vec::new();
        let renames = self.renames(g)?;
        let renamed = |k: &'a str| -> &'a str { renames.get(k).copied().unwrap_or(k) };
        for r in &self.remove {
            if !g.metadata().iter().any(|kv| renamed(kv.key) == r) {
                return Err(Error::Edit(EditError::RemoveMissing { key: r.to_string() }));
            }
        }
        // The file's keys by their (new) names.
        let existing: HashMap<&str, Value<'a>> = g
            .metadata()
            .iter()
            .map(|kv| (renamed(kv.key), kv.value))
            .collect();

        let mut new = Entries::default();
        let text = |s: &'a str| MetaValue::String(Cow::Borrowed(s.as_bytes()));
        if let Some(n) = self.general_name.as_deref().filter(|s| !s.is_empty()) {
            new.set("general.name", text(n));
        }
        if let Some(d) = self.general_description.as_deref().filter(|s| !s.is_empty()) {
            new.set("general.description", text(d));
        }
        let template = self.chat_template.as_ref();
        if let Some(p) = self.pre_tokenizer.as_deref().filter(|s| !s.is_empty()) {
            new.set("tokenizer.ggml.pre", text(p));
        }
        let tokens = existing.get("tokenizer.ggml.tokens").and_then(Value::as_array);
        let n_tokens = tokens.map_or(0, |a| a.len());
        for (name, token) in &self.special_tokens {
            let key = special_token_key(name)?;
            let strings = tokens.and_then(|a| a.strings());
            let mut ids = strings
                .into_iter()
                .flatten()
                .enumerate()
                .filter(|(_, s)| s.as_bytes() == token.as_bytes())
                .map(|(i, _)| i);
            let first = ids.next().ok_or_else(|| {
                Error::Edit(EditError::TokenNotFound {
                    name: name.to_string(),
                    token: token.to_string(),
                })
            })?;
            let others: Vec<String> = ids.map(|i| i.to_string()).collect();
            if !others.is_empty() {
                warnings.push(format!(
                    "several tokens are {token:?}: choosing id {first} (others: {}); choose another by id",
                    others.join(", ")
                ));
            }
            new.set(key, MetaValue::U32(token_id(first as u64)?));
        }
        for (name, id) in &self.special_tokens_by_id {
            let key = special_token_key(name)?;
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::Edit(EditError::BadTokenId {
                    name: name.to_string(),
                    id: id.to_string(),
                }));
            }
            let n: u64 = id
                .parse()
                .map_err(|_| invalid(format!("token id {id} is too large")))?;
            if n >= n_tokens {
                return Err(Error::Edit(EditError::TokenIdOutOfRange {
                    name: name.to_string(),
                    id: n,
                    n_tokens,
                }));
            }
            new.set(key, MetaValue::U32(token_id(n)?));
        }
        for (key, value) in &self.set {
            new.set(
                key.as_str(),
                self.set_value(key, value, existing.get(key.as_str()))?,
            );
        }

        // The writer starts with the architecture, then copies the file's keys.
        let mut out = Entries::default();
        if let Some(arch) = existing.get(ARCHITECTURE_KEY) {
            if !matches!(arch, Value::String(s) if s.is_empty()) {
                out.set(ARCHITECTURE_KEY, MetaValue::from(*arch));
            }
        }
        for kv in g.metadata() {
            let name = renamed(kv.key);
            if name == ARCHITECTURE_KEY
                || template.is_some() && name.starts_with(CHAT_TEMPLATE_KEY)
                || self.remove.iter().any(|r| r == name)
            {
                continue;
            }
            let value = new.take(name).unwrap_or(MetaValue::from(kv.value));
            out.set(name, value);
        }
        if let Some(t) = template {
            add_chat_template(&mut out, t);
        }
        for (k, v) in new.into_vec() {
            out.set(k, v);
        }

        let mut b = GgufBuilder::new();
        b.set_version(Version::V3)
            .set_byte_order(g.byte_order())
            .set_data_byte_order(g.byte_order());
        b.extend(out.into_vec())?;
        for t in g.tensors() {
            b.add_tensor(t.name, t.dims(), t.ggml_type)?;
        }
        Ok((b, warnings))
    }

    /// The renames as old → new, checked: every old key exists, no new name
    /// collides with a key that stays.
    fn renames<'a>(&'a self, g: &Gguf<'a>) -> Result<HashMap<&'a str, &'a str>> {
        let mut map = HashMap::new();
        for (old, new) in &self.rename {
            if g.get(old).is_none() {
                return Err(Error::Edit(EditError::RenameMissing {
                    old: old.to_string(),
                    new: new.to_string(),
                }));
            }
            if new.is_empty() {
                return Err(Error::Edit(EditError::RenameEmpty { old: old.to_string() }));
            }
            if map.insert(old.as_str(), new.as_str()).is_some() {
                return Err(Error::Edit(EditError::RenamedTwice { old: old.to_string() }));
            }
        }
        let mut names: HashMap<&str, &str> = HashMap::new();
        for kv in g.metadata() {
            let name = map.get(kv.key).copied().unwrap_or(kv.key);
            if let Some(other) = names.insert(name, kv.key) {
                return Err(Error::Edit(EditError::RenameClash {
                    name: name.to_string(),
                    first: other.to_string(),
                    second: kv.key.to_string(),
                }));
            }
        }
        Ok(map)
    }

    fn set_value(
        &self,
        key: &str,
        value: &SetValue,
        existing: Option<&Value<'_>>,
    ) -> Result<MetaValue<'static>> {
        let need = |hint: &'static str| {
            Error::Edit(EditError::SetNeedsType {
                key: key.to_string(),
                hint,
            })
        };
        match value {
            SetValue::Typed(v) => {
                if let Some(old) = existing.filter(|_| !self.change_type) {
                    let (from, to) = (old.type_name(), meta_type_name(v));
                    if from != to {
                        return Err(Error::Edit(EditError::SetTypeChange {
                            key: key.to_string(),
                            from,
                            to,
                        }));
                    }
                }
                Ok(v.clone())
            }
            SetValue::Text(text) => {
                let old = existing.ok_or_else(|| need("e.g. str:, u32:, f32:, bool:"))?;
                parse_value(key, old.value_type(), text).map_err(|e| match old {
                    Value::Array(_) => Error::Edit(EditError::SetArrayKey {
                        key: key.to_string(),
                        type_name: old.type_name().to_string(),
                    }),
                    _ => e,
                })
            }
            SetValue::Items(items) => {
                let old = existing.ok_or_else(|| need("e.g. array[u32]:[1, 2]"))?;
                let elem = match old {
                    Value::Array(a) if a.element_type() != ValueType::Array => a.element_type(),
                    other => {
                        return Err(Error::Edit(EditError::SetNotArray {
                            key: key.to_string(),
                            type_name: other.type_name().to_string(),
                        }))
                    }
                };
                array_of(key, elem, items)
            }
        }
    }
}

/// An array of `elem` from element texts.
pub fn array_of(key: &str, elem: ValueType, items: &[String]) -> Result<MetaValue<'static>> {
    let values = items
        .iter()
        .map(|t| parse_value(key, elem, t))
        .collect::<Result<Vec<_>>>()?;
    Ok(MetaValue::array(elem, values))
}

fn special_token_key(name: &str) -> Result<&'static str> {
    SPECIAL_TOKENS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, k)| k)
        .ok_or_else(|| {
            let names: Vec<&str> = SPECIAL_TOKENS.iter().map(|(n, _)| *n).collect();
            invalid(format!(
                "unknown special token {name:?} (one of {})",
                names.join(", ")
            ))
        })
}

fn token_id(n: u64) -> Result<u32> {
    u32::try_from(n).map_err(|_| invalid(format!("token id {n} does not fit the UINT32 key")))
}

/// gguf-py's `GGUFWriter.add_chat_template`.
fn add_chat_template<'a>(out: &mut Entries<'a>, t: &'a ChatTemplate) {
    let text = |s: &'a str| MetaValue::String(Cow::Borrowed(s.as_bytes()));
    let default = match t {
        ChatTemplate::Text(s) => Some(s.as_str()),
        ChatTemplate::Named(list) => {
            let mut default = None;
            let mut names: Vec<String> = Vec::new();
            for (name, template) in list {
                let name: String = name
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                if name.is_empty() {
                    continue;
                }
                if name == "default" {
                    default = Some(template.as_str());
                    continue;
                }
                if !names.contains(&name) {
                    names.push(name.clone());
                }
                if !template.is_empty() {
                    out.set(format!("{CHAT_TEMPLATE_KEY}.{name}"), text(template));
                }
            }
            if !names.is_empty() {
                out.set(CHAT_TEMPLATES_KEY, MetaValue::strings(names));
            }
            default
        }
    };
    if let Some(d) = default.filter(|d| !d.is_empty()) {
        out.set(CHAT_TEMPLATE_KEY, text(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GgmlType;

    fn file() -> Vec<u8> {
        let mut b = GgufBuilder::new();
        b.push("general.name", "x")
            .unwrap()
            .push(ARCHITECTURE_KEY, "llama")
            .unwrap()
            .push(
                "tokenizer.ggml.tokens",
                MetaValue::strings(["<s>", "a", "b", "a"]),
            )
            .unwrap()
            .push("tokenizer.chat_template", "t")
            .unwrap()
            .push("tokenizer.chat_template.tool", "u")
            .unwrap()
            .push("tokenizer.ggml.eos_token_id", 1u32)
            .unwrap()
            .push("c", 1.5f32)
            .unwrap()
            .add_tensor("w", &[4, 1], GgmlType::F32)
            .unwrap();
        let mut tw = b.write_header(Vec::new()).unwrap();
        tw.write_tensor(&[0; 16]).unwrap();
        tw.finish().unwrap()
    }

    fn keys(b: &GgufBuilder<'_>) -> Vec<String> {
        b.metadata().iter().map(|(k, _)| k.to_string()).collect()
    }

    #[test]
    fn new_metadata_order() {
        let bytes = file();
        let g = Gguf::parse(&bytes).unwrap();
        let e = MetadataEdit {
            general_name: Some("y".into()),
            chat_template: Some(ChatTemplate::Text("new".into())),
            special_tokens: vec![("bos".into(), "a".into())],
            special_tokens_by_id: vec![("eos".into(), "3".into())],
            remove: vec!["c".into()],
            ..MetadataEdit::default()
        };
        let (b, warnings) = e.apply(&g).unwrap();
        assert_eq!(
            keys(&b),
            [
                "general.architecture",
                "general.name",
                "tokenizer.ggml.tokens",
                "tokenizer.ggml.eos_token_id",
                "tokenizer.chat_template",
                "tokenizer.ggml.bos_token_id",
            ]
        );
        assert_eq!(b.get("general.name"), Some(&MetaValue::from("y")));
        assert_eq!(b.get("tokenizer.ggml.bos_token_id"), Some(&MetaValue::U32(1)));
        assert_eq!(b.get("tokenizer.ggml.eos_token_id"), Some(&MetaValue::U32(3)));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(b.tensors()[0].dims(), [4, 1], "dimensions kept as stored");
    }

    #[test]
    fn set_and_rename() {
        let bytes = file();
        let g = Gguf::parse(&bytes).unwrap();
        let e = MetadataEdit {
            rename: vec![("c".into(), "d".into())],
            set: vec![
                ("d".into(), SetValue::Text("2.5".into())),
                ("z".into(), SetValue::Typed(MetaValue::U8(7))),
            ],
            ..MetadataEdit::default()
        };
        let (b, _) = e.apply(&g).unwrap();
        let k = keys(&b);
        assert_eq!(k[0], "general.architecture");
        assert_eq!(&k[k.len() - 2..], ["d", "z"]);
        assert_eq!(b.get("d"), Some(&MetaValue::F32(2.5)));
        let err = |e: MetadataEdit| e.apply(&g).err().unwrap().to_string();
        assert!(err(MetadataEdit {
            rename: vec![("c".into(), "general.name".into())],
            ..MetadataEdit::default()
        })
        .contains("both"));
        assert!(err(MetadataEdit {
            set: vec![("new".into(), SetValue::Text("1".into()))],
            ..MetadataEdit::default()
        })
        .contains("give its type"));
        assert!(err(MetadataEdit {
            special_tokens_by_id: vec![("eos".into(), "4".into())],
            ..MetadataEdit::default()
        })
        .contains("not within"));
        assert!(err(MetadataEdit {
            special_tokens: vec![("bos".into(), "nope".into())],
            ..MetadataEdit::default()
        })
        .contains("unable to find"));
        assert!(matches!(
            MetadataEdit {
                remove: vec!["no.such.key".into()],
                ..MetadataEdit::default()
            }
            .apply(&g),
            Err(Error::Edit(EditError::RemoveMissing { .. }))
        ));
        // A typed set keeps the key's type unless told to change it.
        let retyped = |change_type| MetadataEdit {
            set: vec![("c".into(), SetValue::Typed(MetaValue::F64(2.5)))],
            change_type,
            ..MetadataEdit::default()
        };
        let e = retyped(false).apply(&g).err().unwrap();
        assert!(
            matches!(&e, Error::Edit(EditError::SetTypeChange { from, to, .. }) if from == "FLOAT32" && to == "FLOAT64"),
            "{e}"
        );
        let changed = retyped(true);
        let (b, _) = changed.apply(&g).unwrap();
        assert_eq!(b.get("c"), Some(&MetaValue::F64(2.5)));
        let same = MetadataEdit {
            set: vec![("c".into(), SetValue::Typed(MetaValue::F32(0.5)))],
            ..MetadataEdit::default()
        };
        let (b, _) = same.apply(&g).unwrap();
        assert_eq!(
            b.get("c"),
            Some(&MetaValue::F32(0.5)),
            "the same type needs no flag"
        );
    }

    #[test]
    fn unknown_set_types_are_named() {
        for arg in ["foo=u33:7", "foo=INT128:1", "foo=array[u3]:[1]", "foo=f16:1"] {
            assert!(
                matches!(
                    SetArg::parse(arg),
                    Err(Error::Edit(EditError::UnknownType { .. }))
                ),
                "{arg}"
            );
        }
        for (arg, text) in [
            ("u=https://x", "https://x"),
            ("n=i18n:x", "i18n:x"),
            ("n=v2:x", "v2:x"),
        ] {
            let a = SetArg::parse(arg).unwrap();
            assert_eq!((a.ty, a.text.as_str()), (None, text), "{arg}");
        }
    }

    #[test]
    fn in_place_patches() {
        let bytes = file();
        let g = Gguf::parse(&bytes).unwrap();
        let arg = |s: &str| SetArg::parse(s).unwrap();
        let p = plan_in_place(&g, &[arg("tokenizer.ggml.eos_token_id=7"), arg("c=f32:0.25")]).unwrap();
        assert_eq!(p.len(), 2);
        let mut patched = bytes.clone();
        for x in &p {
            patched[x.offset as usize..][..x.bytes.len()].copy_from_slice(&x.bytes);
        }
        let g2 = Gguf::parse(&patched).unwrap();
        assert_eq!(g2.get_u32("tokenizer.ggml.eos_token_id").unwrap(), 7);
        assert_eq!(g2.get_f32("c").unwrap(), 0.25);
        let err = |s: &str| plan_in_place(&g, &[arg(s)]).unwrap_err().to_string();
        assert!(err("general.name=z").contains("STRING"));
        assert!(err("missing=1").contains("no such key"));
        assert!(err("c=u32:1").contains("type cannot change"));
        assert!(err("tokenizer.ggml.eos_token_id=-1").contains("whole number"));
    }
}

//! gguf-py's `SpecialVocab`: merges, special token ids, `add_*_token`
//! flags, the chat template and the normalizer flags, read from
//! `tokenizer.json`, `tokenizer_config.json` (or `chat_template.jinja` /
//! `chat_template.json`) and `config.json`, and written in its order.

use super::{push_bool, push_str, push_strings, read_json, tokenizer_err};
use crate::error::{Error, Result};
use gguf_format::{GgufBuilder, MetaValue};
use serde_json::{Map, Value};
use std::path::Path;

/// The default special token types, in gguf-py's order.
pub(crate) const DEFAULT_TYPES: &[&str] = &["bos", "eos", "unk", "sep", "pad", "cls", "mask"];

/// What `SpecialVocab` gathers, in insertion order (Python dicts).
#[derive(Debug, Default)]
pub(crate) struct Special {
    pub merges: Vec<String>,
    pub ids: Vec<(String, u32)>,
    pub add: Vec<(String, bool)>,
    /// A template, or a list of named ones (`{"name", "template"}`
    /// objects) as gguf-py's `add_chat_template` takes them.
    pub chat_template: Option<Value>,
    /// The file it came from.
    chat_template_file: std::path::PathBuf,
    lowercase: Option<bool>,
    strip_accents: Option<bool>,
    types: Vec<String>,
    n_vocab: Option<usize>,
    load_merges: bool,
}

fn set_add(add: &mut Vec<(String, bool)>, typ: &str, v: bool) {
    match add.iter_mut().find(|(t, _)| t == typ) {
        Some(e) => e.1 = v,
        None => add.push((typ.to_string(), v)),
    }
}

fn set_default_add(add: &mut Vec<(String, bool)>, typ: &str, v: bool) {
    if !add.iter().any(|(t, _)| t == typ) {
        add.push((typ.to_string(), v));
    }
}

/// Python's truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A `tokenizer_config.json` entry as gguf-py holds it (a string, or an
/// `AddedToken` object that compares unequal to every string); `None`
/// when falsy.
fn entry(tc: &Option<Map<String, Value>>, key: &str) -> Option<Value> {
    tc.as_ref()?.get(key).filter(|v| truthy(v)).cloned()
}

/// Python's `v == s` for an entry and a token string.
fn is(v: &Option<Value>, s: &str) -> bool {
    matches!(v, Some(Value::String(x)) if x == s)
}

fn special_token_id(v: &Value) -> Option<String> {
    v.get("SpecialToken")?
        .get("id")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Special {
    /// `SpecialVocab(dir, load_merges, special_token_types, n_vocab)`.
    pub(crate) fn load(
        dir: &Path,
        load_merges: bool,
        types: &[&str],
        n_vocab: Option<usize>,
    ) -> Result<Special> {
        let mut s = Special {
            types: types.iter().map(|t| t.to_string()).collect(),
            n_vocab,
            load_merges,
            ..Special::default()
        };
        s.load_tokenizer_json(dir)?;
        s.load_config_json(dir)?;
        Ok(s)
    }

    /// `_set_special_token`: the first id of a type, if under `n_vocab`.
    pub(crate) fn set_id(&mut self, typ: &str, tid: Option<&Value>) -> Result<()> {
        let Some(tid) = tid.and_then(Value::as_i64) else {
            return Ok(());
        };
        if tid < 0 {
            return Err(Error::Tokenizer {
                path: "config.json".into(),
                message: format!("invalid value for special token type {typ}: {tid}"),
            });
        }
        if self.n_vocab.is_none_or(|n| (tid as usize) < n) && !self.ids.iter().any(|(t, _)| t == typ) {
            self.ids.push((typ.to_string(), tid as u32));
        }
        Ok(())
    }

    fn parse_normalizer(&mut self, n: &Value) {
        match n.get("type").and_then(Value::as_str) {
            Some("Lowercase") => self.lowercase = Some(true),
            Some("StripAccents") => self.strip_accents = Some(true),
            Some("BertNormalizer") => {
                if let Some(v) = n.get("lowercase") {
                    self.lowercase = v.as_bool();
                }
                if let Some(v) = n.get("strip_accents") {
                    self.strip_accents = v.as_bool();
                }
            }
            Some("Sequence") => {
                for m in n
                    .get("normalizers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.parse_normalizer(m);
                }
            }
            _ => {}
        }
    }

    fn load_tokenizer_json(&mut self, dir: &Path) -> Result<()> {
        let tokenizer_file = dir.join("tokenizer.json");
        let tokenizer = if tokenizer_file.is_file() {
            Some(super::read_tokenizer_json(&tokenizer_file, self.load_merges)?)
        } else {
            None
        };
        let mut added: Vec<Value> = Vec::new();
        if let Some(tok) = &tokenizer {
            if self.load_merges {
                if let Some(merges) = tok.pointer("/model/merges").and_then(Value::as_array) {
                    self.merges = merges
                        .iter()
                        .map(|m| match m {
                            Value::String(s) => Ok(s.clone()),
                            Value::Array(pair) if pair.len() == 2 => {
                                let part = |v: &Value| -> Option<String> {
                                    Some(
                                        v.as_str()?
                                            .chars()
                                            .map(|c| if c == ' ' { '\u{120}' } else { c })
                                            .collect(),
                                    )
                                };
                                match (part(&pair[0]), part(&pair[1])) {
                                    (Some(a), Some(b)) => Ok(format!("{a} {b}")),
                                    _ => Err(tokenizer_err(&tokenizer_file, "unknown merges format")),
                                }
                            }
                            _ => Err(tokenizer_err(&tokenizer_file, "unknown merges format")),
                        })
                        .collect::<Result<_>>()?;
                }
            }
            if let Some(n) = tok.get("normalizer").filter(|n| !n.is_null()) {
                self.parse_normalizer(n);
            }
            if let Some(a) = tok.get("added_tokens").and_then(Value::as_array) {
                added = a.clone();
            }
        }
        let config_file = dir.join("tokenizer_config.json");
        let mut tc: Option<Map<String, Value>> = if config_file.is_file() {
            match read_json(&config_file)? {
                Value::Object(m) => Some(m),
                _ => return Err(tokenizer_err(&config_file, "not a JSON object")),
            }
        } else {
            None
        };
        let tc_nonempty = |tc: &Option<Map<String, Value>>| tc.as_ref().is_some_and(|m| !m.is_empty());
        if let Some(tok) = &tokenizer {
            let mut bos = entry(&tc, "bos_token");
            let mut cls = entry(&tc, "cls_token");
            let mut eos = entry(&tc, "eos_token");
            let mut sep = entry(&tc, "sep_token");
            let set = |tc: &mut Option<Map<String, Value>>, k: &str, v: Value| {
                if let Some(m) = tc.as_mut() {
                    m.insert(k.to_string(), v);
                }
            };
            if bos.is_none() && cls.is_some() && tc_nonempty(&tc) {
                bos = cls.clone();
                set(&mut tc, "bos_token", bos.clone().unwrap_or_default());
            }
            if eos.is_none() && sep.is_some() && tc_nonempty(&tc) {
                eos = sep.clone();
                set(&mut tc, "eos_token", eos.clone().unwrap_or_default());
            }
            if let Some(pp) = tok
                .get("post_processor")
                .filter(|p| !p.is_null() && p.as_object().is_some_and(|o| !o.is_empty()))
            {
                let list: Vec<Value> = match pp.get("processors").and_then(Value::as_array) {
                    Some(l) => l.clone(),
                    None => vec![pp.clone()],
                };
                for p in &list {
                    match p.get("type").and_then(Value::as_str) {
                        Some("ByteLevel") => {
                            set_default_add(&mut self.add, "bos", false);
                            set_default_add(&mut self.add, "eos", false);
                        }
                        Some("RobertaProcessing") => {
                            set_add(&mut self.add, "bos", true);
                            set_add(&mut self.add, "eos", true);
                            set_add(&mut self.add, "sep", true);
                            if cls.is_none() && tc_nonempty(&tc) {
                                let v = match p.get("cls") {
                                    Some(x) => x.get(0).cloned(),
                                    None => bos.clone(),
                                };
                                set(&mut tc, "cls_token", v.clone().unwrap_or_default());
                                cls = v.filter(truthy);
                            }
                            if sep.is_none() && tc_nonempty(&tc) {
                                let v = match p.get("sep") {
                                    Some(x) => x.get(0).cloned(),
                                    None => eos.clone(),
                                };
                                set(&mut tc, "sep_token", v.clone().unwrap_or_default());
                                sep = v.filter(truthy);
                            }
                        }
                        Some("TemplateProcessing") => {
                            let single = p
                                .get("single")
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default();
                            let pair = p
                                .get("pair")
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default();
                            let mut first = None;
                            let mut last = None;
                            if single.len() > 1 {
                                first = special_token_id(&single[0]);
                                if let Some(f) = &first {
                                    let fv = Value::String(f.clone());
                                    if !tc_nonempty(&tc) {
                                        bos = Some(fv);
                                    } else if !is(&bos, f) && !is(&cls, f) {
                                        if bos.is_none() {
                                            bos = Some(fv.clone());
                                            set(&mut tc, "bos_token", fv.clone());
                                        }
                                        if cls.is_none() {
                                            cls = Some(fv.clone());
                                            set(&mut tc, "cls_token", fv);
                                        }
                                    }
                                    let v = is(&bos, f) || is(&cls, f);
                                    set_add(&mut self.add, "bos", v);
                                }
                                last = special_token_id(&single[single.len() - 1]);
                                if let Some(l) = &last {
                                    let lv = Value::String(l.clone());
                                    if !tc_nonempty(&tc) {
                                        eos = Some(lv);
                                    } else if !is(&eos, l) {
                                        let old = eos.clone().unwrap_or_default();
                                        if !self.types.iter().any(|t| t == "eot") {
                                            self.types.push("eot".into());
                                            set(&mut tc, "eot_token", old);
                                        } else if !self.types.iter().any(|t| t == "eom") {
                                            self.types.push("eom".into());
                                            set(&mut tc, "eom_token", old);
                                        }
                                        eos = Some(lv.clone());
                                        set(&mut tc, "eos_token", lv);
                                    }
                                    let v = is(&eos, l);
                                    set_add(&mut self.add, "eos", v);
                                }
                            }
                            if !pair.is_empty() {
                                let start =
                                    usize::from(first.is_some() && special_token_id(&pair[0]) == first);
                                let stop =
                                    if last.is_some() && special_token_id(&pair[pair.len() - 1]) == last {
                                        pair.len() - 1
                                    } else {
                                        pair.len()
                                    };
                                let mid: &[Value] = if start < stop { &pair[start..stop] } else { &[] };
                                if !mid.is_empty() {
                                    let seq = |v: &Value| {
                                        v.pointer("/Sequence/id")
                                            .and_then(Value::as_str)
                                            .map(str::to_string)
                                    };
                                    let a = seq(&mid[0]);
                                    let b = seq(&mid[mid.len() - 1]);
                                    if a.as_deref() == Some("A") && b.as_deref() == Some("B") && mid.len() > 2
                                    {
                                        let inner = &mid[1..mid.len() - 1];
                                        let mut add_sep = false;
                                        let is_sep = |e: &Option<String>| {
                                            e.as_deref().is_some_and(|x| is(&sep, x) || is(&eos, x))
                                        };
                                        let e0 = special_token_id(&inner[0]);
                                        if is_sep(&e0) && last.is_none() {
                                            add_sep = true;
                                        }
                                        if inner.len() == 2 {
                                            let e1 = special_token_id(&inner[1]);
                                            if is_sep(&e1) {
                                                add_sep = true;
                                            }
                                        }
                                        set_add(&mut self.add, "sep", add_sep);
                                        if add_sep && sep.is_none() && tc_nonempty(&tc) {
                                            set(&mut tc, "sep_token", eos.clone().unwrap_or_default());
                                        }
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let Some(tc) = tc.filter(|m| !m.is_empty()) else {
            return Ok(());
        };
        let jinja = dir.join("chat_template.jinja");
        let json = dir.join("chat_template.json");
        let alt: Option<Value> = if jinja.is_file() {
            let read = |p: &Path| {
                std::fs::read_to_string(p).map_err(|source| Error::Io {
                    path: p.to_path_buf(),
                    source,
                })
            };
            let default = read(&jinja)?;
            // `additional_chat_templates/*.jinja` make a list with the
            // default first, then each by its file's stem (Python's glob
            // order is the directory's; here it is by file name).
            let extra = dir.join("additional_chat_templates");
            let mut more: Vec<std::path::PathBuf> = match std::fs::read_dir(&extra) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "jinja"))
                    .collect(),
                Err(_) => Vec::new(),
            };
            more.sort();
            if more.is_empty() {
                Some(Value::String(default))
            } else {
                let mut list = vec![serde_json::json!({"name": "default", "template": default})];
                for p in &more {
                    let stem = p
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    list.push(serde_json::json!({"name": stem, "template": read(p)?}));
                }
                Some(Value::Array(list))
            }
        } else if json.is_file() {
            read_json(&json)?.get("chat_template").cloned()
        } else {
            None
        };
        // gguf-py ignores another type, with a warning.
        let (template, from) = match tc.get("chat_template") {
            Some(t) => (Some(t.clone()), config_file.clone()),
            None if jinja.is_file() => (alt, jinja),
            None => (alt, json),
        };
        if let Some(t @ (Value::String(_) | Value::Array(_))) = template {
            self.chat_template = Some(t);
            self.chat_template_file = from;
        }
        for typ in self.types.clone() {
            if let Some(Value::Bool(v)) = tc.get(&format!("add_{typ}_token")) {
                set_default_add(&mut self.add, &typ, *v);
            }
            let content = match tc.get(&format!("{typ}_token")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Object(o)) => match o.get("content") {
                    Some(Value::String(s)) => s.clone(),
                    _ => continue,
                },
                _ => continue,
            };
            let id = added
                .iter()
                .find(|a| a.get("content").and_then(Value::as_str) == Some(content.as_str()))
                .and_then(|a| a.get("id").cloned());
            self.set_id(&typ, id.as_ref())?;
        }
        Ok(())
    }

    fn load_config_json(&mut self, dir: &Path) -> Result<()> {
        let path = dir.join("config.json");
        if !path.is_file() {
            return Ok(());
        }
        let config = read_json(&path)?;
        for typ in self.types.clone() {
            let key = format!("{typ}_token_id");
            let mut id = config.get(&key).filter(|v| !v.is_null());
            if id.is_none() {
                id = config.get("text_config").and_then(|t| t.get(&key));
            }
            self.set_id(&typ, id)?;
        }
        Ok(())
    }

    /// `add_to_gguf`.
    pub(crate) fn push(&self, b: &mut GgufBuilder<'static>) -> Result<()> {
        if !self.merges.is_empty() {
            push_strings(
                b,
                "tokenizer.ggml.merges",
                self.merges.iter().map(|m| m.as_bytes().to_vec()),
            )?;
        }
        for (typ, id) in &self.ids {
            let key = match typ.as_str() {
                "bos" => "bos_token_id",
                "eos" => "eos_token_id",
                "unk" => "unknown_token_id",
                "sep" => "seperator_token_id",
                "pad" => "padding_token_id",
                "mask" => "mask_token_id",
                "eot" => "eot_token_id",
                "eom" => "eom_token_id",
                _ => continue,
            };
            b.set(format!("tokenizer.ggml.{key}"), MetaValue::U32(*id))?;
        }
        for (typ, v) in &self.add {
            if matches!(typ.as_str(), "bos" | "eos" | "sep") {
                push_bool(b, &format!("tokenizer.ggml.add_{typ}_token"), *v)?;
            }
        }
        if let Some(t) = &self.chat_template {
            push_chat_template(b, t, &self.chat_template_file)?;
        }
        if let Some(v) = self.lowercase {
            push_bool(b, "tokenizer.ggml.normalizer.lowercase", v)?;
        }
        if let Some(v) = self.strip_accents {
            push_bool(b, "tokenizer.ggml.normalizer.strip_accents", v)?;
        }
        Ok(())
    }
}

/// gguf-py's `add_chat_template`: a string is `tokenizer.chat_template`
/// (not written when empty, as `add_string` skips a falsy value); a list
/// of `{"name", "template"}` objects writes each named one as
/// `tokenizer.chat_template.NAME` (the name's characters other than ASCII
/// letters and digits made `_`), then their names as
/// `tokenizer.chat_templates`, then the one named `default` as
/// `tokenizer.chat_template`. gguf-py gathers the names in a Python set,
/// whose order changes from run to run; here they keep their first
/// place in the list. Where gguf-py would stop on an exception (an entry
/// that is not an object, a name that is not a string, a template that
/// is not a string), this is an error naming `from`, the file it came
/// from.
fn push_chat_template(b: &mut GgufBuilder<'static>, t: &Value, from: &Path) -> Result<()> {
    let list = match t {
        Value::String(s) => return push_template(b, "tokenizer.chat_template", s),
        Value::Array(list) => list,
        _ => return Ok(()),
    };
    let bad = |m: String| Error::Tokenizer {
        path: from.to_path_buf(),
        message: format!("chat_template: {m}"),
    };
    let mut default: Option<&str> = None;
    let mut names: Vec<String> = Vec::new();
    for (i, choice) in list.iter().enumerate() {
        let Value::Object(c) = choice else {
            return Err(bad(format!("entry {i} is not an object with name and template")));
        };
        let name = match c.get("name") {
            None => "",
            Some(Value::String(n)) => n.as_str(),
            Some(v) => return Err(bad(format!("entry {i}: name {v} is not a string"))),
        };
        let name: String = name
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
            .collect();
        let template = match c.get("template") {
            None | Some(Value::Null) => continue,
            Some(Value::String(t)) => t.as_str(),
            Some(v) => return Err(bad(format!("entry {i}: template {v} is not a string"))),
        };
        if name.is_empty() {
            continue;
        }
        if name == "default" {
            default = Some(template);
        } else {
            push_template(b, &format!("tokenizer.chat_template.{name}"), template)?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if !names.is_empty() {
        push_strings(
            b,
            "tokenizer.chat_templates",
            names.into_iter().map(String::into_bytes),
        )?;
    }
    match default {
        Some(t) => push_template(b, "tokenizer.chat_template", t),
        None => Ok(()),
    }
}

/// `add_string`: nothing for an empty string.
fn push_template(b: &mut GgufBuilder<'static>, key: &str, t: &str) -> Result<()> {
    if t.is_empty() {
        return Ok(());
    }
    push_str(b, key, t)
}

//! The converter's `general.*` metadata (`prepare_metadata`,
//! `Metadata.load` and `set_gguf_meta_model` in gguf-py's `metadata.py`):
//! `general.type`, the sampling defaults of `generation_config.json`,
//! and the authorship keys — from the model card's front matter
//! (`card.rs`), `config.json`'s `_name_or_path`, the directory's name
//! ([`name`]), the metadata override file and `--model-name` — with the
//! size label from the parameter count (`get_total_parameter_count` over
//! the planned tensors: experts counted from `_exps.` tensors).
//!
//! Where the converter does not write a file, this refuses to: a value of
//! a type the GGUF writer cannot pack (a list where a string goes, `40.0`
//! as `top_k`, an integer past INT32, arrays of mixed types), which makes
//! the converter stop with a Python exception, is an error naming the
//! file it came from, as is front matter that is not YAML. Two deliberate
//! differences: a `generation_config.json` that is not a JSON object, which
//! the converter silently ignores, is an error naming it (a damaged
//! download should not pass unnoticed), and so is a `--metadata` path
//! that is not a file (the converter ignores that too).

mod card;
pub mod name;

use crate::error::{Error, Result};
use crate::plan::Planned;
use card::Val;
use gguf_format::{GgufBuilder, MetaArray, MetaValue, ValueType};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// What an import takes beyond the directory and the output type: the
/// converter's `--model-name` and `--metadata`, and a pre-tokenizer chosen
/// by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// `--model-name`: `general.name`, over everything else.
    pub model_name: Option<String>,
    /// `--metadata FILE`: a JSON object of `general.*` keys (and
    /// `general.base_models` / `general.datasets` lists of objects) that
    /// override what the model directory says. Unlike the converter, which
    /// ignores a path that is not a file, a missing file is an error, as is
    /// one that is not a JSON object.
    pub metadata: Option<PathBuf>,
    /// `tokenizer.ggml.pre` for a BPE vocabulary, instead of the one the
    /// converter's chkhsh table gives (needed when the hash is unknown).
    pub pre: Option<String>,
    /// `--vocab-only`: plan no tensors, as the converter's `write_vocab`
    /// (which never calls `prepare_tensors`): the metadata is the full
    /// import's, except what depends on the tensors — no
    /// `general.size_label` computed from the parameter count (the name
    /// heuristics see a count of 0, so a size in the directory's name is
    /// always taken as the size label), and no key the converter adds while
    /// it makes tensors (Phi 3's `rope.scaling.attn_factor`). The file is
    /// [`crate::Import::vocab_file`]. Tensors are not checked against the
    /// architecture's table, and a directory without weights is accepted
    /// (`--outtype auto` then means F16, as the converter's guess).
    pub vocab_only: bool,
}

impl ImportOptions {
    /// Options with `tokenizer.ggml.pre` set to `pre`.
    pub fn with_pre(mut self, pre: impl Into<String>) -> ImportOptions {
        self.pre = Some(pre.into());
        self
    }

    /// These options with [`ImportOptions::vocab_only`] set.
    pub fn with_vocab_only(mut self) -> ImportOptions {
        self.vocab_only = true;
        self
    }
}

/// `generation_config.json` key (and the override's key) → field, for the
/// sampling parameters, in the converter's order.
const SAMPLING: &[(&str, &str, Kind)] = &[
    ("sequence", "sequence", Kind::Str),
    ("top_k", "top_k", Kind::I32),
    ("top_p", "top_p", Kind::F32),
    ("min_p", "min_p", Kind::F32),
    ("xtc_probability", "xtc_probability", Kind::F32),
    ("xtc_threshold", "xtc_threshold", Kind::F32),
    ("temp", "temperature", Kind::F32),
    ("penalty_last_n", "penalty_last_n", Kind::I32),
    ("penalty_repeat", "penalty_repeat", Kind::F32),
    ("mirostat", "mirostat", Kind::I32),
    ("mirostat_tau", "mirostat_tau", Kind::F32),
    ("mirostat_eta", "mirostat_eta", Kind::F32),
];

/// Field → the override file's key, in `Metadata.load`'s order (after
/// the sampling keys, which are `general.sampling.<field>`).
const OVERRIDES: &[(&str, &str)] = &[
    ("name", "general.name"),
    ("author", "general.author"),
    ("version", "general.version"),
    ("organization", "general.organization"),
    ("finetune", "general.finetune"),
    ("basename", "general.basename"),
    ("description", "general.description"),
    ("quantized_by", "general.quantized_by"),
    ("size_label", "general.size_label"),
    ("license_name", "general.license.name"),
    ("license_link", "general.license.link"),
    ("url", "general.url"),
    ("doi", "general.doi"),
    ("uuid", "general.uuid"),
    ("repo_url", "general.repo_url"),
    ("source_url", "general.source.url"),
    ("source_doi", "general.source.doi"),
    ("source_uuid", "general.source.uuid"),
    ("source_repo_url", "general.source.repo_url"),
    ("base_models", "general.base_models"),
    ("datasets", "general.datasets"),
    ("tags", "general.tags"),
    ("languages", "general.languages"),
];

/// The keys of a base model or dataset entry, in the writer's order.
const ENTRY_KEYS: &[&str] = &[
    "name",
    "author",
    "version",
    "organization",
    "description",
    "url",
    "doi",
    "uuid",
    "repo_url",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Str,
    I32,
    F32,
}

/// `Metadata`: each field set, with the file its value came from.
#[derive(Debug, Default)]
struct Metadata {
    fields: HashMap<&'static str, (Val, PathBuf)>,
}

impl Metadata {
    fn is_none(&self, f: &str) -> bool {
        !self.fields.contains_key(f)
    }

    /// `setattr(metadata, f, v)`: `None` unsets.
    fn set(&mut self, f: &'static str, v: Val, from: &Path) {
        if v == Val::Null {
            self.fields.remove(f);
        } else {
            self.fields.insert(f, (v, from.to_path_buf()));
        }
    }

    fn set_str(&mut self, f: &'static str, v: Option<String>, from: &Path) {
        if let Some(v) = v {
            self.set(f, Val::Str(v), from);
        }
    }
}

/// The parameter counts of `get_total_parameter_count`: total, shared,
/// per-expert and the mean expert count.
pub(crate) fn parameter_counts(tensors: &[Planned]) -> (u64, u64, u64, u64) {
    let (mut total, mut shared, mut expert, mut expert_sum, mut n_expert) = (0u64, 0, 0, 0, 0);
    for t in tensors {
        let size: u64 = t.dims.iter().product();
        // numpy's shape is the GGUF dims reversed: shape[-3] is dims[2].
        let count = if t.name.contains(".bias") {
            t.dims.get(1)
        } else {
            t.dims.get(2)
        };
        match count {
            Some(&n) if t.name.contains("_exps.") && n > 0 => {
                expert += size / n;
                expert_sum += n;
                n_expert += 1;
            }
            _ => shared += size,
        }
        total += size;
    }
    let count = expert_sum.checked_div(n_expert).unwrap_or(0);
    (total, shared, expert, count)
}

/// Python's `Path(dir).name`.
fn dir_name(dir: &Path) -> String {
    match dir.components().next_back() {
        Some(Component::Normal(s)) => s.to_string_lossy().into_owned(),
        Some(Component::ParentDir) => "..".into(),
        _ => String::new(),
    }
}

/// Reads a JSON object file; `None` when the file is absent.
fn read_json_object(path: &Path) -> Result<Option<Val>> {
    match crate::json::read_if_file(path)? {
        None => Ok(None),
        Some(v) if v.is_object() => Ok(Some(Val::from_json(&v))),
        Some(_) => Err(Error::Json {
            path: path.to_path_buf(),
            message: "not a JSON object".into(),
        }),
    }
}

/// One base model or dataset entry of the model card, as `metadata.py`
/// makes it from a Hugging Face id, a URL or a dict.
fn card_entry(id: &Val, total: i64) -> Val {
    let mut e: Vec<(String, Val)> = Vec::new();
    let mut add = |k: &str, v: String| e.push((k.into(), Val::Str(v)));
    match id {
        Val::Str(id)
            if ["http://", "https://", "ssh://"]
                .iter()
                .any(|p| id.starts_with(p)) =>
        {
            add("repo_url", id.clone());
            let rest = id
                .strip_prefix("https://huggingface.co/")
                .or_else(|| id.strip_prefix("http://huggingface.co/"));
            // re.match(r"https?://huggingface.co/([^/]+/[^/]+)$") ('.' any
            // character, '$' also before a final newline).
            let rest = rest.map(|r| r.strip_suffix('\n').unwrap_or(r));
            if let Some(r) = rest.filter(|r| {
                let p: Vec<&str> = r.split('/').collect();
                p.len() == 2 && p.iter().all(|s| !s.is_empty() && !s.contains('\n'))
            }) {
                let c = name::id_components(r, total);
                if let Some(n) = c.name {
                    add("name", name::id_to_title(&n));
                }
                if let Some(o) = c.organization {
                    add("organization", name::id_to_title(&o));
                }
                if let Some(v) = c.version {
                    add("version", v);
                }
            }
        }
        Val::Str(id) => {
            let c = name::id_components(id, total);
            if let Some(n) = &c.name {
                add("name", name::id_to_title(n));
            }
            if let Some(o) = &c.organization {
                add("organization", name::id_to_title(o));
            }
            if let Some(v) = c.version {
                add("version", v);
            }
            if let (Some(o), Some(n)) = (c.organization, c.name) {
                add("repo_url", format!("https://huggingface.co/{o}/{n}"));
            }
        }
        Val::Map(m) => return Val::Map(m.clone()),
        // metadata.py logs an error and appends an empty entry.
        _ => {}
    }
    Val::Map(e)
}

/// `Metadata.apply_metadata_heuristic`'s model card part.
fn from_card(m: &mut Metadata, card: &Val, path: &Path, total: i64) {
    let use_key = |m: &mut Metadata, f: &'static str, k: &str| {
        if let Some(v) = card.get(k) {
            if m.is_none(f) {
                m.set(f, v.clone(), path);
            }
        }
    };
    for prefix in ["", "model_"] {
        for (f, k) in [
            ("name", "name"),
            ("author", "author"),
            ("version", "version"),
            ("organization", "organization"),
            ("description", "description"),
            ("finetune", "finetune"),
            ("basename", "basename"),
            ("size_label", "size_label"),
            ("source_url", "url"),
            ("source_doi", "doi"),
            ("source_uuid", "uuid"),
            ("source_repo_url", "repo_url"),
        ] {
            use_key(m, f, &format!("{prefix}{k}"));
        }
    }
    use_key(m, "name", "model_name");
    use_key(m, "author", "model_creator");
    use_key(m, "basename", "model_type");
    for (f, keys) in [
        ("base_models", ["base_model", "base_models", "base_model_sources"]),
        ("datasets", ["datasets", "dataset", "dataset_sources"]),
    ] {
        let Some(value) = keys.iter().find_map(|k| card.get(k)) else {
            continue;
        };
        let ids: Vec<Val> = match value {
            Val::Str(_) => vec![value.clone()],
            Val::List(l) => l.clone(),
            _ => Vec::new(),
        };
        let mut list = match m.fields.remove(f) {
            Some((Val::List(l), _)) => l,
            _ => Vec::new(),
        };
        list.extend(ids.iter().map(|id| card_entry(id, total)));
        m.set(f, Val::List(list), path);
    }
    use_key(m, "license", "license");
    use_key(m, "license_name", "license_name");
    use_key(m, "license_link", "license_link");
    for (f, k) in [
        ("tags", "tags"),
        ("tags", "pipeline_tag"),
        ("languages", "languages"),
        ("languages", "language"),
    ] {
        let Some(v) = card.get(k).filter(|v| **v != Val::Null) else {
            continue;
        };
        let mut list = match m.fields.remove(f) {
            Some((Val::List(l), _)) => l,
            _ => Vec::new(),
        };
        match v {
            Val::Str(_) => list.push(v.clone()),
            Val::List(l) => list.extend(l.iter().cloned()),
            _ => {}
        }
        m.set(f, Val::List(list), path);
    }
}

/// The id heuristics of `_name_or_path` or the directory's name: each
/// field only where still unset.
fn from_id(m: &mut Metadata, id: &str, from: &Path, total: i64) {
    let c = name::id_components(id, total);
    for (f, v) in [
        ("name", c.name.map(|n| name::id_to_title(&n))),
        ("organization", c.organization.map(|o| name::id_to_title(&o))),
        ("basename", c.basename),
        ("finetune", c.finetune),
        ("version", c.version),
        ("size_label", c.size_label),
    ] {
        if m.is_none(f) {
            m.set_str(f, v, from);
        }
    }
}

/// `Metadata.load` and `prepare_metadata`'s fallbacks.
fn load(dir: &Path, tensors: &[Planned], options: &ImportOptions) -> Result<Metadata> {
    let (total, shared, expert, experts) = parameter_counts(tensors);
    let total_i = i64::try_from(total).unwrap_or(i64::MAX);
    let mut m = Metadata::default();

    let card_path = dir.join("README.md");
    let card = card::read(&card_path)?;
    from_card(&mut m, &card, &card_path, total_i);

    let config_path = dir.join("config.json");
    if let Some(config) = read_json_object(&config_path)? {
        if let Some(Val::Str(id)) = config.get("_name_or_path") {
            if id.matches('/').count() <= 1 {
                from_id(&mut m, id, &config_path, total_i);
            }
        }
    }
    from_id(&mut m, &dir_name(dir), dir, total_i);

    let gen_path = dir.join("generation_config.json");
    if let Some(gen) = read_json_object(&gen_path)? {
        for &(f, key, _) in SAMPLING {
            let v = match f {
                "penalty_repeat" => gen
                    .get("penalty_repeat")
                    .or_else(|| gen.get("repetition_penalty")),
                _ => gen.get(key),
            };
            if let Some(v) = v {
                m.set(field(f), v.clone(), &gen_path);
            }
        }
    }

    if let Some(path) = &options.metadata {
        if !path.is_file() {
            return Err(Error::Json {
                path: path.clone(),
                message: "metadata override file not found".into(),
            });
        }
        let o = read_json_object(path)?.unwrap_or(Val::Map(Vec::new()));
        for &(f, _, _) in SAMPLING {
            if let Some(v) = o.get(&format!("general.sampling.{f}")) {
                m.set(field(f), v.clone(), path);
            }
        }
        for &(f, key) in OVERRIDES {
            if let Some(v) = o.get(key) {
                m.set(f, v.clone(), path);
            }
        }
    }
    if let Some(n) = &options.model_name {
        m.set("name", Val::Str(n.clone()), Path::new("the model name option"));
    }
    if m.is_none("name") {
        m.set("name", Val::Str(dir_name(dir)), dir);
    }
    if m.is_none("size_label") && total > 0 {
        m.set(
            "size_label",
            Val::Str(name::size_label(total, shared, expert, experts)),
            dir,
        );
    }
    Ok(m)
}

/// The field name of a sampling parameter.
fn field(f: &str) -> &'static str {
    match f {
        "sequence" => "sampling_sequence",
        "top_k" => "sampling_top_k",
        "top_p" => "sampling_top_p",
        "min_p" => "sampling_min_p",
        "xtc_probability" => "sampling_xtc_probability",
        "xtc_threshold" => "sampling_xtc_threshold",
        "temp" => "sampling_temp",
        "penalty_last_n" => "sampling_penalty_last_n",
        "penalty_repeat" => "sampling_penalty_repeat",
        "mirostat" => "sampling_mirostat",
        "mirostat_tau" => "sampling_mirostat_tau",
        _ => "sampling_mirostat_eta",
    }
}

fn wrong(from: &Path, key: &str, v: &Val, want: &str) -> Error {
    Error::Config {
        path: from.to_path_buf(),
        key: key.to_string(),
        message: format!("a {} where the converter writes {want}", v.type_name()),
    }
}

/// Python's truthiness, for `add_string`'s skip of empty values.
fn falsy(v: &Val) -> bool {
    match v {
        Val::Null => true,
        Val::Bool(b) => !b,
        Val::Int(i) => *i == 0,
        Val::Float(f) => *f == 0.0,
        Val::Str(s) => s.is_empty(),
        Val::List(l) => l.is_empty(),
        Val::Map(m) => m.is_empty(),
        Val::Other(_) => false,
    }
}

/// `add_string`: nothing for an empty value.
fn push_str(b: &mut GgufBuilder<'static>, key: String, v: &Val, from: &Path) -> Result<()> {
    if falsy(v) {
        return Ok(());
    }
    match v {
        Val::Str(s) => {
            b.push(key, MetaValue::String(s.as_bytes().to_vec().into()))?;
            Ok(())
        }
        _ => Err(wrong(from, &key, v, "a string")),
    }
}

fn scalar(v: &Val, key: &str, from: &Path, kind: Kind) -> Result<MetaValue<'static>> {
    match (kind, v) {
        (Kind::I32, Val::Int(i)) => i32::try_from(*i)
            .map(MetaValue::I32)
            .map_err(|_| wrong(from, key, v, "an INT32")),
        (Kind::I32, Val::Bool(x)) => Ok(MetaValue::I32(*x as i32)),
        (Kind::F32, Val::Int(i)) => Ok(MetaValue::F32(*i as f32)),
        (Kind::F32, Val::Float(f)) => Ok(MetaValue::F32(*f as f32)),
        (Kind::F32, Val::Bool(x)) => Ok(MetaValue::F32(*x as u8 as f32)),
        (Kind::I32, _) => Err(wrong(from, key, v, "an INT32")),
        _ => Err(wrong(from, key, v, "a FLOAT32")),
    }
}

/// `add_array`: element type from the first element, nothing when empty.
fn push_array(b: &mut GgufBuilder<'static>, key: &str, v: &Val, from: &Path) -> Result<()> {
    let items: Vec<Val> = match v {
        Val::List(l) => l.clone(),
        // A string is a sequence of one-character strings to Python.
        Val::Str(s) => s.chars().map(|c| Val::Str(c.to_string())).collect(),
        _ => return Err(wrong(from, key, v, "an array")),
    };
    let Some(first) = items.first() else { return Ok(()) };
    let elem = match first {
        Val::Str(_) => ValueType::String,
        Val::Float(_) => ValueType::F32,
        Val::Bool(_) => ValueType::Bool,
        Val::Int(_) => ValueType::I32,
        _ => return Err(wrong(from, key, first, "array elements of one GGUF type")),
    };
    let mut out = Vec::with_capacity(items.len());
    for it in &items {
        out.push(match (elem, it) {
            (ValueType::String, Val::Str(s)) => MetaValue::String(s.as_bytes().to_vec().into()),
            (ValueType::F32, Val::Float(f)) => MetaValue::F32(*f as f32),
            (ValueType::Bool, Val::Bool(x)) => MetaValue::Bool(*x),
            (ValueType::I32, Val::Int(i)) => {
                MetaValue::I32(i32::try_from(*i).map_err(|_| wrong(from, key, it, "an INT32"))?)
            }
            _ => return Err(wrong(from, key, it, "array elements of one GGUF type")),
        });
    }
    b.push(
        key.to_string(),
        MetaValue::Array(MetaArray::Items { elem, items: out }),
    )?;
    Ok(())
}

/// Pushes `general.type` and the converter's `set_gguf_meta_model` keys
/// for the model in `dir` with `tensors` planned, in its order.
pub(crate) fn push(
    b: &mut GgufBuilder<'static>,
    dir: &Path,
    tensors: &[Planned],
    options: &ImportOptions,
) -> Result<()> {
    let m = load(dir, tensors, options)?;
    b.push("general.type", MetaValue::String(b"model".to_vec().into()))?;
    for &(f, _, kind) in SAMPLING {
        if let Some((v, from)) = m.fields.get(field(f)) {
            let key = format!("general.sampling.{f}");
            match kind {
                Kind::Str => push_str(b, key, v, from)?,
                _ => {
                    let value = scalar(v, &key, from, kind)?;
                    b.push(key, value)?;
                }
            }
        }
    }
    let s = |b: &mut GgufBuilder<'static>, f: &str, key: &str| -> Result<()> {
        match m.fields.get(f) {
            Some((v, from)) => push_str(b, key.to_string(), v, from),
            None => Ok(()),
        }
    };
    s(b, "name", "general.name")?;
    s(b, "author", "general.author")?;
    s(b, "version", "general.version")?;
    s(b, "organization", "general.organization")?;
    s(b, "finetune", "general.finetune")?;
    s(b, "basename", "general.basename")?;
    s(b, "description", "general.description")?;
    s(b, "quantized_by", "general.quantized_by")?;
    s(b, "size_label", "general.size_label")?;
    if let Some((v, from)) = m.fields.get("license") {
        match v {
            Val::List(l) => {
                let mut parts = Vec::new();
                for x in l {
                    match x {
                        Val::Str(p) => parts.push(p.as_str()),
                        _ => return Err(wrong(from, "general.license", x, "a string")),
                    }
                }
                push_str(b, "general.license".into(), &Val::Str(parts.join(",")), from)?;
            }
            _ => push_str(b, "general.license".into(), v, from)?,
        }
    }
    s(b, "license_name", "general.license.name")?;
    s(b, "license_link", "general.license.link")?;
    s(b, "url", "general.url")?;
    s(b, "doi", "general.doi")?;
    s(b, "uuid", "general.uuid")?;
    s(b, "repo_url", "general.repo_url")?;
    s(b, "source_url", "general.source.url")?;
    s(b, "source_doi", "general.source.doi")?;
    s(b, "source_uuid", "general.source.uuid")?;
    s(b, "source_repo_url", "general.source.repo_url")?;
    for (f, prefix) in [
        ("base_models", "general.base_model"),
        ("datasets", "general.dataset"),
    ] {
        let Some((v, from)) = m.fields.get(f) else {
            continue;
        };
        let Val::List(entries) = v else {
            return Err(wrong(from, &format!("general.{f}"), v, "a list of objects"));
        };
        let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        b.push(format!("{prefix}.count"), MetaValue::U32(count))?;
        for (i, e) in entries.iter().enumerate() {
            if !matches!(e, Val::Map(_)) {
                return Err(wrong(from, &format!("general.{f}[{i}]"), e, "an object"));
            }
            for k in ENTRY_KEYS {
                if let Some(x) = e.get(k) {
                    push_str(b, format!("{prefix}.{i}.{k}"), x, from)?;
                }
            }
        }
    }
    for (f, key) in [("tags", "general.tags"), ("languages", "general.languages")] {
        if let Some((v, from)) = m.fields.get(f) {
            push_array(b, key, v, from)?;
        }
    }
    Ok(())
}

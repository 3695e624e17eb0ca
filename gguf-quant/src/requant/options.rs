//! llama-quantize's options as a value: [`Options`] applies its rules as they are set, [`KvOverride`] is one `--override-kv`.

use super::select::SelectOptions;
use super::{Imatrix, KvValueProblem, OptionError, RequantError, Target};
use gguf_format::{GgmlType, MetaValue, TensorInfo};

/// llama-quantize's options, with its rules applied as they are set:
/// `--tensor-type` patterns are lowercased and compiled, pruned layers
/// sorted and de-duplicated, the importance matrix filtered by
/// `--include-weights` / `--exclude-weights` (which exclude each other).
#[derive(Debug, Clone)]
pub struct Options {
    pub(super) select: SelectOptions,
    pub(super) allow_requantize: bool,
    pub(super) imatrix: Option<(String, Imatrix)>,
    pub(super) override_kv: Vec<(String, KvOverride)>,
    pub(super) prune_layers: Vec<u64>,
    pub(super) keep_split: bool,
}

impl Options {
    /// The defaults for `target`: no options given.
    pub fn new(target: &'static Target) -> Options {
        Options {
            select: SelectOptions {
                target,
                pure: false,
                leave_output: false,
                output_type: None,
                token_embd_type: None,
                tensor_types: Vec::new(),
            },
            allow_requantize: false,
            imatrix: None,
            override_kv: Vec::new(),
            prune_layers: Vec::new(),
            keep_split: false,
        }
    }

    /// The same options for another target.
    pub fn with_target(&self, target: &'static Target) -> Options {
        let mut o = self.clone();
        o.select.target = target;
        o
    }

    /// The target.
    pub fn target(&self) -> &'static Target {
        self.select.target
    }

    /// `--pure`: every quantizable tensor gets the target's default type.
    pub fn pure(&mut self, on: bool) -> &mut Self {
        self.select.pure = on;
        self
    }

    /// `--leave-output-tensor`: output.weight keeps its type.
    pub fn leave_output_tensor(&mut self, on: bool) -> &mut Self {
        self.select.leave_output = on;
        self
    }

    /// `--output-tensor-type`.
    pub fn output_tensor_type(&mut self, ty: Option<GgmlType>) -> &mut Self {
        self.select.output_type = ty;
        self
    }

    /// `--token-embedding-type`.
    pub fn token_embedding_type(&mut self, ty: Option<GgmlType>) -> &mut Self {
        self.select.token_embd_type = ty;
        self
    }

    /// `--tensor-type PATTERN=TYPE` (also each entry of a
    /// `--tensor-type-file`): tensors whose name matches the regular
    /// expression (searched anywhere, lowercased as llama-quantize does) get
    /// TYPE, a ggml type name; the first matching entry wins.
    pub fn tensor_type(&mut self, spec: &str) -> Result<&mut Self, RequantError> {
        let (pattern, ty) = spec
            .split_once('=')
            .filter(|(p, t)| !p.is_empty() && !t.is_empty())
            .ok_or_else(|| OptionError::TensorTypeSpec {
                spec: spec.to_string(),
            })?;
        let re =
            regex::Regex::new(&pattern.to_lowercase()).map_err(|source| OptionError::TensorTypePattern {
                pattern: pattern.to_string(),
                source,
            })?;
        let ty = GgmlType::from_name(ty).ok_or_else(|| OptionError::UnknownType { name: ty.to_string() })?;
        self.select.tensor_types.push((re, ty));
        Ok(self)
    }

    /// `--allow-requantize`: quantized inputs are decoded and encoded again.
    pub fn allow_requantize(&mut self, on: bool) -> &mut Self {
        self.allow_requantize = on;
        self
    }

    /// `--imatrix`: the importance matrix, `path` as the user gave it (it is
    /// recorded in `quantize.imatrix.file`), kept only for tensors whose
    /// names contain one of `include` or, else, none of `exclude`.
    pub fn imatrix(
        &mut self,
        path: &str,
        mut m: Imatrix,
        include: &[String],
        exclude: &[String],
    ) -> Result<&mut Self, RequantError> {
        if !include.is_empty() && !exclude.is_empty() {
            return Err(OptionError::IncludeAndExclude.into());
        }
        m.filter(include, exclude);
        self.imatrix = Some((path.to_string(), m));
        Ok(self)
    }

    /// The importance matrix in use, and its path as given.
    pub fn imatrix_in_use(&self) -> Option<(&str, &Imatrix)> {
        self.imatrix.as_ref().map(|(p, m)| (p.as_str(), m))
    }

    /// `--override-kv KEY=TYPE:VALUE`, in command-line order.
    pub fn override_kv(&mut self, spec: &str) -> Result<&mut Self, RequantError> {
        self.override_kv.push(KvOverride::parse(spec)?);
        Ok(self)
    }

    /// `--prune-layers`: these blocks are dropped and later ones renumbered.
    pub fn prune_layers(&mut self, layers: impl IntoIterator<Item = u64>) -> &mut Self {
        self.prune_layers.extend(layers);
        self.prune_layers.sort_unstable();
        self.prune_layers.dedup();
        self
    }

    /// `--keep-split`: one output per input shard, in the input's tensor
    /// order, instead of one file in llama.cpp's loader order.
    pub fn keep_split(&mut self, on: bool) -> &mut Self {
        self.keep_split = on;
        self
    }
}

/// A `--override-kv KEY=TYPE:VALUE` value.
#[derive(Debug, Clone, PartialEq)]
pub enum KvOverride {
    /// `int:N`, written as u32 of |N| (as llama-quantize does).
    Int(i64),
    /// `float:X`, written as f32.
    Float(f64),
    /// `bool:true|false`.
    Bool(bool),
    /// `str:TEXT` (at most 127 bytes).
    Str(String),
}

impl KvOverride {
    /// Parses `KEY=TYPE:VALUE`.
    pub fn parse(s: &str) -> Result<(String, KvOverride), RequantError> {
        Ok(Self::parse_text(s)?)
    }

    fn parse_text(s: &str) -> Result<(String, KvOverride), OptionError> {
        let bad = || OptionError::KvOverrideSpec { spec: s.to_string() };
        let value_error = |problem| OptionError::KvOverrideValue {
            key: s.split_once('=').map_or(s, |(k, _)| k).to_string(),
            problem,
        };
        let (key, rest) = s.split_once('=').ok_or_else(bad)?;
        let (ty, value) = rest.split_once(':').ok_or_else(bad)?;
        if key.is_empty() || key.len() >= 128 {
            return Err(OptionError::KvOverrideKey { key: key.to_string() });
        }
        let v = match ty {
            "int" => KvOverride::Int(
                value
                    .parse()
                    .map_err(|_| value_error(KvValueProblem::NotInteger(value.to_string())))?,
            ),
            "float" => KvOverride::Float(
                value
                    .parse()
                    .map_err(|_| value_error(KvValueProblem::NotNumber(value.to_string())))?,
            ),
            "bool" => match value {
                "true" => KvOverride::Bool(true),
                "false" => KvOverride::Bool(false),
                _ => return Err(value_error(KvValueProblem::NotBool(value.to_string()))),
            },
            "str" if value.len() <= 127 => KvOverride::Str(value.to_string()),
            "str" => return Err(value_error(KvValueProblem::StringTooLong)),
            _ => return Err(bad()),
        };
        Ok((key.to_string(), v))
    }

    pub(super) fn meta(&self) -> MetaValue<'static> {
        match self {
            KvOverride::Int(v) => MetaValue::U32(v.unsigned_abs() as u32),
            KvOverride::Float(v) => MetaValue::F32(*v as f32),
            KvOverride::Bool(v) => MetaValue::Bool(*v),
            KvOverride::Str(v) => MetaValue::from(v.clone()),
        }
    }

    pub(super) fn as_uint(&self) -> Option<u64> {
        match self {
            KvOverride::Int(v) => Some(v.unsigned_abs()),
            _ => None,
        }
    }
}

/// Refuses a type change the input does not allow: a quantized tensor
/// without `--allow-requantize`, or a type that is not weights.
pub(super) fn check_convertible(src: &TensorInfo<'_>, opts: &Options) -> Result<(), RequantError> {
    let ty = src.ggml_type;
    let info = ty.info().ok_or_else(|| RequantError::UnknownType {
        tensor: src.name.to_string(),
        ty,
    })?;
    if info.quantized && !opts.allow_requantize {
        return Err(RequantError::RequantizeDisabled {
            tensor: src.name.to_string(),
            from: ty,
        });
    }
    if !info.quantized && !matches!(ty, GgmlType::F32 | GgmlType::F16 | GgmlType::BF16) {
        return Err(RequantError::Unconvertible {
            tensor: src.name.to_string(),
            ty,
        });
    }
    Ok(())
}

//! `gguf inspect`: what a GGUF file holds, as a report that renders to text
//! tables or JSON. The report borrows from the parsed file, so a 262,144-token
//! vocabulary is never materialised: arrays are shortened while rendering.

use crate::glob::Glob;
use crate::human;
use gguf_format::{ArrayView, FileType, Gguf, Model, Value};
use gguf_llama::memory::{self, CacheKind, Unknown};
use gguf_quant::requant::imatrix::{self, ImatrixStatistics};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fmt::Write as _;

/// What to include and how far to shorten.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// Only tensors whose name matches this glob (table and histogram).
    pub tensors: Option<Glob>,
    /// Context length for the memory estimate, with llama.cpp's default
    /// options (f16 caches, one sequence, n_ubatch 512); see
    /// [`report_with_memory`] for the others.
    pub ctx: Option<u64>,
    /// JSON: at most this many array elements per value (all when `None`).
    pub max_array: Option<usize>,
}

/// Everything `gguf inspect` shows about one file.
#[derive(Serialize)]
pub struct Report<'a> {
    /// The path as given.
    pub path: String,
    /// Size of the file in bytes (of all its shards, for a split model).
    pub file_size: u64,
    /// The files of a split model, in order (empty for a single file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardEntry>,
    /// GGUF version (1, 2 or 3).
    pub version: u32,
    /// `little` or `big`.
    pub byte_order: &'static str,
    /// Alignment of the data section.
    pub alignment: u32,
    /// Absolute offset of the data section.
    pub data_offset: u64,
    /// `general.architecture`.
    pub architecture: Option<&'a str>,
    /// `general.name`.
    pub name: Option<&'a str>,
    /// `general.file_type`, with its llama.cpp name.
    pub file_type: Option<FileTypeReport>,
    /// Total elements over all tensors.
    pub parameters: u64,
    /// Total tensor data bytes (known types only).
    pub tensor_bytes: u64,
    /// `8 * tensor_bytes / parameters`, over tensors of known type.
    pub bits_per_weight: Option<f64>,
    /// Number of tensors in the file.
    pub tensor_count: usize,
    /// Number of metadata keys.
    pub key_count: usize,
    /// Whether every tensor's data lies inside the file.
    pub data_complete: bool,
    /// Things a user should know: cut-off data, unknown types.
    pub warnings: Vec<String>,
    /// Every key in file order.
    pub metadata: Vec<MetaEntry<'a>>,
    /// The glob the tensor list was filtered with, if any.
    pub tensor_filter: Option<String>,
    /// Tensors (filtered), in file order.
    pub tensors: Vec<TensorEntry>,
    /// Per-type totals over the listed tensors, largest first.
    pub types: Vec<TypeEntry>,
    /// What llama.cpp allocates at `--ctx`, when asked for.
    pub memory: Option<MemoryEstimate>,
    /// For an importance matrix (`general.type` = `imatrix`): its datasets,
    /// chunks and the statistics `llama-imatrix --show-statistics` prints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imatrix: Option<ImatrixStatistics>,
}

/// `general.file_type`.
#[derive(Serialize)]
pub struct FileTypeReport {
    /// The stored id.
    pub id: u32,
    /// llama.cpp's enum name (`MOSTLY_Q4_K_M`), or `unknown(ID)`.
    pub name: String,
}

/// One metadata entry; serialises as `{key, type, value, length?, truncated?}`.
pub struct MetaEntry<'a> {
    /// The key.
    pub key: &'a str,
    /// The value, borrowed.
    pub value: Value<'a>,
    max_array: Option<usize>,
}

/// One file of a split model.
#[derive(Serialize)]
pub struct ShardEntry {
    /// Its path.
    pub path: String,
    /// Its size in bytes.
    pub file_size: u64,
    /// The tensors it holds.
    pub tensor_count: usize,
}

/// One tensor.
#[derive(Serialize)]
pub struct TensorEntry {
    /// Name.
    pub name: String,
    /// Type name, or `unknown(ID)`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The ggml type id.
    pub type_id: u32,
    /// Dimensions, innermost first (as GGUF stores them).
    pub shape: Vec<u64>,
    /// Absolute offset of the data in the file (its shard's, for a split model).
    pub offset: u64,
    /// For a split model: the 0-based shard holding the tensor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<usize>,
    /// Data size in bytes (`None` for an unknown type).
    pub bytes: Option<u64>,
    /// Number of elements.
    pub parameters: u64,
    /// Whether the data lies inside the file.
    pub in_file: bool,
}

/// Totals for one tensor type.
#[derive(Serialize)]
pub struct TypeEntry {
    /// Type name.
    #[serde(rename = "type")]
    pub ty: String,
    /// Number of tensors.
    pub tensors: usize,
    /// Total elements.
    pub parameters: u64,
    /// Total bytes.
    pub bytes: u64,
    /// Share of all listed tensor bytes, 0..1.
    pub share: f64,
}

/// What llama.cpp allocates for the model at a context (see
/// [`gguf_llama::memory`]): serialises as the `memory` object of `--json`.
#[derive(Serialize)]
pub struct MemoryEstimate {
    /// Which program's allocation the figures describe: `generation`
    /// (llama-cli, llama-server) or `perplexity` (llama-perplexity).
    pub usage: &'static str,
    /// Those programs by name (`llama-cli / llama-server`).
    pub programs: &'static str,
    /// The context asked for (0: the model's own).
    pub context: u64,
    /// `n_ctx` as llama.cpp sets it (padded to 256), when known.
    pub n_ctx: Option<u64>,
    /// K cache type.
    pub cache_type_k: String,
    /// V cache type.
    pub cache_type_v: String,
    /// Sequences the context holds: `--parallel` for generation, the
    /// chunks llama-perplexity runs side by side for perplexity.
    pub n_seq: u64,
    /// Rows of logits the worst-case micro-batch produces
    /// (`n_outputs_max`, capped by the micro-batch), when known.
    pub n_outputs: Option<u64>,
    /// Logical batch size asked for.
    pub n_batch: u32,
    /// Micro-batch size asked for.
    pub n_ubatch: u32,
    /// One cache shared by all sequences.
    pub kv_unified: bool,
    /// Bytes of the weights in memory: `weights_mapped_bytes +
    /// weights_repack_bytes`.
    pub weights_bytes: u64,
    /// `CPU_Mapped`: the span of each file from its first mapped weight to
    /// the end of its last.
    pub weights_mapped_bytes: u64,
    /// `CPU_REPACK`: weights llama.cpp repacks for its CPU kernels (by the
    /// x86-64 AVX2 rules; depends on the CPU).
    pub weights_repack_bytes: u64,
    /// How many weights are repacked.
    pub repacked_tensors: usize,
    /// Bytes of all KV caches (exact), or `None` when unknown (see `missing`, `notes`).
    pub kv_cache_bytes: Option<u64>,
    /// The CPU compute buffer: an estimate.
    pub compute_bytes: Option<u64>,
    /// The output (logits) buffer.
    pub output_bytes: Option<u64>,
    /// Weights + KV + compute + output, when all are known.
    pub total_bytes: Option<u64>,
    /// One entry per KV cache.
    pub caches: Vec<CacheEntry>,
    /// Keys read for the estimate, with the values used.
    pub keys_used: Vec<(String, String)>,
    /// Keys that were needed but missing (or had the wrong type).
    pub missing: Vec<String>,
    /// Caveats about the estimate.
    pub notes: Vec<String>,
    /// Why the KV figure is unknown, for the text report.
    #[serde(skip)]
    pub kv_unknown: Option<Unknown>,
    /// Why the compute figure is unknown, for the text report.
    #[serde(skip)]
    pub compute_unknown: Option<Unknown>,
}

/// One KV cache: `{kind, window?, cells, streams, layers, k_bytes, v_bytes, bytes}`.
#[derive(Serialize)]
pub struct CacheEntry {
    /// `full` or `swa`.
    pub kind: &'static str,
    /// The sliding window, for an `swa` cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
    /// Cells per stream.
    pub cells: u64,
    /// Streams (one per sequence, or 1 when unified).
    pub streams: u64,
    /// Layers it serves.
    pub layers: usize,
    /// Bytes of its K tensors.
    pub k_bytes: u64,
    /// Bytes of its V tensors.
    pub v_bytes: u64,
    /// `k_bytes + v_bytes`.
    pub bytes: u64,
}

impl MemoryEstimate {
    /// llama.cpp's reason for refusing this context, if it would.
    pub fn refusal(&self) -> Option<&str> {
        [&self.kv_unknown, &self.compute_unknown]
            .into_iter()
            .find_map(|u| match u {
                Some(Unknown::Refused(why)) => Some(why.as_str()),
                _ => None,
            })
    }

    /// The report of a library estimate.
    pub fn from_estimate(e: memory::Estimate) -> MemoryEstimate {
        let o = e.options;
        MemoryEstimate {
            usage: o.usage.name(),
            programs: o.usage.programs(),
            context: o.context,
            n_ctx: e.n_ctx,
            cache_type_k: o.cache_type_k.to_string().to_lowercase(),
            cache_type_v: o.cache_type_v.to_string().to_lowercase(),
            n_seq: e.n_seq.unwrap_or(u64::from(o.n_seq.max(1))),
            n_outputs: e.n_outputs,
            n_batch: o.n_batch,
            n_ubatch: o.n_ubatch,
            kv_unified: o.kv_unified,
            weights_bytes: e.weights_bytes,
            weights_mapped_bytes: e.weights.mapped,
            weights_repack_bytes: e.weights.repack,
            repacked_tensors: e.weights.repacked,
            kv_cache_bytes: e.kv_bytes.as_ref().ok().copied(),
            compute_bytes: e.compute_bytes.as_ref().ok().copied(),
            output_bytes: e.output_bytes.as_ref().ok().copied(),
            total_bytes: e.total_bytes,
            caches: e
                .caches
                .iter()
                .map(|c| CacheEntry {
                    kind: c.kind.name(),
                    window: match c.kind {
                        CacheKind::SlidingWindow { window } => Some(window),
                        CacheKind::Full => None,
                    },
                    cells: c.cells,
                    streams: c.streams,
                    layers: c.layers.len(),
                    k_bytes: c.k_bytes,
                    v_bytes: c.v_bytes,
                    bytes: c.bytes,
                })
                .collect(),
            keys_used: e.keys_used,
            missing: e.missing,
            notes: e.notes,
            kv_unknown: e.kv_bytes.err(),
            compute_unknown: e.compute_bytes.err(),
        }
    }
}

/// Builds the report for a parsed model (one file, or every shard of a
/// split model: one tensor list, one parameter count, one size).
pub fn report<'a>(path: &str, m: &Model<'a>, opts: &InspectOptions) -> Report<'a> {
    report_with_memory(path, m, opts, opts.ctx.map(memory::Options::new))
}

/// What llama.cpp (ggml/src/gguf.cpp) does with a file of this version and
/// byte order, when it does not simply load it, and how to convert it:
/// it refuses GGUF v1 ("GGUFv1 is no longer supported") and a file in the
/// other byte order than the machine's (its version then reads as a huge
/// number: "is there a mismatch between the host and model endianness?");
/// it reads v2, which v3 only extends with big-endian files.
pub fn loadability_warnings(path: &str, g: &Gguf<'_>) -> Vec<String> {
    use gguf_format::{ByteOrder, Version};
    let host = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let host_name = if host == ByteOrder::Big { "big" } else { "little" };
    let mut w = Vec::new();
    match g.version() {
        Version::V1 => w.push(format!(
            "GGUF v1: llama.cpp refuses it (\"GGUFv1 is no longer supported\"); \
             `gguf convert --endian {host_name} --version 3 {path} OUT` writes a v3 copy it loads"
        )),
        Version::V2 => w.push(format!(
            "GGUF v2: llama.cpp still loads it (v3 only adds big-endian files); \
             `gguf convert --endian {host_name} --version 3 {path} OUT` writes a v3 copy"
        )),
        _ => {}
    }
    if g.byte_order() != host {
        let (order, machine) = match g.byte_order() {
            ByteOrder::Big => (
                "big-endian",
                "a little-endian machine (x86-64, ARM) such as this one",
            ),
            ByteOrder::Little => ("little-endian", "a big-endian machine (s390x) such as this one"),
        };
        w.push(format!(
            "{order}: llama.cpp on {machine} refuses it (\"is there a mismatch between the host and \
             model endianness?\"); `gguf convert --endian {host_name} {path} OUT` writes a copy it loads"
        ));
    }
    w
}

/// [`report`] with the memory estimated for `memory`'s context options
/// (cache types, sequences, batch sizes) instead of `opts.ctx` with the defaults.
pub fn report_with_memory<'a>(
    path: &str,
    m: &Model<'a>,
    opts: &InspectOptions,
    memory: Option<memory::Options>,
) -> Report<'a> {
    let g = m.first();
    let file_size = m.file_size();
    let mut warnings = Vec::new();
    let mut data_complete = true;
    let mut unknown = 0usize;
    let mut tensors = Vec::new();
    let (mut parameters, mut tensor_bytes, mut known_params) = (0u64, 0u64, 0u64);
    for t in m.tensors() {
        let n = t.n_elements();
        parameters = parameters.saturating_add(n);
        let bytes = t.n_bytes().ok();
        // Inside the file, whether or not its bytes were read (a URL's are not).
        let in_file = m.tensor_in_file(t);
        match bytes {
            Some(b) => {
                tensor_bytes = tensor_bytes.saturating_add(b);
                known_params = known_params.saturating_add(n);
                data_complete &= in_file;
            }
            None => unknown += 1,
        }
        if opts.tensors.as_ref().is_none_or(|glob| glob.matches(t.name)) {
            tensors.push(TensorEntry {
                name: t.name.to_string(),
                ty: t.ggml_type.to_string(),
                type_id: t.ggml_type.0,
                shape: t.dims().to_vec(),
                offset: m.shard_of(t).data_offset().saturating_add(t.offset),
                shard: m.is_split().then(|| t.shard()),
                bytes,
                parameters: n,
                in_file: in_file || bytes.is_none(),
            });
        }
    }
    if !data_complete {
        let outside = m
            .tensors()
            .iter()
            .filter(|t| t.n_bytes().is_ok() && !m.tensor_in_file(t))
            .count();
        warnings.push(format!(
            "tensor data is cut off: {outside} of {} tensors lie (partly) past the end of the file",
            m.tensors().len()
        ));
    }
    if unknown > 0 {
        warnings.push(format!(
            "{unknown} tensors have a ggml type this tool does not know; their sizes are not counted"
        ));
    }
    warnings.extend(loadability_warnings(path, g));
    let types = histogram(&tensors);
    // An importance matrix: its statistics need the tensor data (not read from a URL).
    let imatrix = if imatrix::is_imatrix_file(g) {
        match imatrix::statistics(g) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(format!("importance matrix statistics not shown: {e}"));
                None
            }
        }
    } else {
        None
    };
    let file_type = g.get("general.file_type").and_then(Value::as_uint).map(|id| {
        let id = u32::try_from(id).unwrap_or(u32::MAX);
        FileTypeReport {
            id,
            name: FileType::display_name(id),
        }
    });
    Report {
        path: path.to_string(),
        file_size,
        shards: if m.is_split() {
            m.shards()
                .iter()
                .map(|s| ShardEntry {
                    path: s.path.clone(),
                    file_size: s.gguf.file_size(),
                    tensor_count: s.gguf.tensors().len(),
                })
                .collect()
        } else {
            Vec::new()
        },
        version: g.version().as_u32(),
        byte_order: match g.byte_order() {
            gguf_format::ByteOrder::Little => "little",
            gguf_format::ByteOrder::Big => "big",
        },
        alignment: g.alignment(),
        data_offset: g.data_offset(),
        architecture: g.architecture(),
        name: g.get("general.name").and_then(Value::as_str),
        file_type,
        parameters,
        tensor_bytes,
        bits_per_weight: (known_params > 0).then(|| tensor_bytes as f64 * 8.0 / known_params as f64),
        tensor_count: m.tensors().len(),
        key_count: g.metadata().len(),
        data_complete,
        warnings,
        metadata: g
            .metadata()
            .iter()
            .map(|kv| MetaEntry {
                key: kv.key,
                value: kv.value,
                max_array: opts.max_array,
            })
            .collect(),
        tensor_filter: opts.tensors.as_ref().map(|g| g.pattern().to_string()),
        tensors,
        types,
        memory: memory.map(|o| memory_estimate_weights(g, &o, model_weights(m))),
        imatrix,
    }
}

fn histogram(tensors: &[TensorEntry]) -> Vec<TypeEntry> {
    let mut types: Vec<TypeEntry> = Vec::new();
    for t in tensors {
        let i = match types.iter().position(|e| e.ty == t.ty) {
            Some(i) => i,
            None => {
                types.push(TypeEntry {
                    ty: t.ty.clone(),
                    tensors: 0,
                    parameters: 0,
                    bytes: 0,
                    share: 0.0,
                });
                types.len() - 1
            }
        };
        let e = &mut types[i];
        e.tensors += 1;
        e.parameters += t.parameters;
        e.bytes += t.bytes.unwrap_or(0);
    }
    let total: u64 = types.iter().map(|e| e.bytes).sum();
    for e in &mut types {
        e.share = if total == 0 {
            0.0
        } else {
            e.bytes as f64 / total as f64
        };
    }
    types.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.ty.cmp(&b.ty)));
    types
}

/// Memory at `ctx` tokens with llama.cpp's default context options (f16
/// caches, one sequence, n_batch 2048, n_ubatch 512).
pub fn memory_estimate(g: &Gguf<'_>, ctx: u64, weights_bytes: u64) -> MemoryEstimate {
    memory_estimate_with(g, &memory::Options::new(ctx), weights_bytes)
}

/// Memory with the given context options, `weights_bytes` of weights all mapped.
pub fn memory_estimate_with(g: &Gguf<'_>, opts: &memory::Options, weights_bytes: u64) -> MemoryEstimate {
    MemoryEstimate::from_estimate(memory::estimate(g, opts, weights_bytes))
}

/// Memory with the given context options and the weights as llama.cpp
/// places them ([`model_weights`], [`memory::weights`]).
pub fn memory_estimate_weights(
    g: &Gguf<'_>,
    opts: &memory::Options,
    weights: memory::Weights,
) -> MemoryEstimate {
    MemoryEstimate::from_estimate(memory::estimate_with_weights(g, opts, weights))
}

/// Where llama.cpp puts a model's weights on the CPU: mapped from each
/// shard, or repacked ([`memory::weights`]). Tensors of an unknown type
/// count as mapped with no bytes.
pub fn model_weights(m: &Model<'_>) -> memory::Weights {
    memory::weights(
        m.architecture(),
        m.tensors().iter().map(|t| memory::WeightInfo {
            name: t.name,
            ty: t.ggml_type,
            dims: t.dims(),
            file: t.shard(),
            offset: m.shard_of(t).data_offset().saturating_add(t.offset),
            bytes: t.n_bytes().unwrap_or(0),
        }),
    )
}

/// A JSON-safe number for a float: non-finite values become strings.
fn serialize_float<S: Serializer>(x: f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(x)
    } else {
        s.serialize_str(&x.to_string())
    }
}

/// A value as JSON, arrays cut to `max` elements.
struct JsonValue<'v, 'a>(&'v Value<'a>, Option<usize>);

impl Serialize for JsonValue<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self.0 {
            Value::U8(x) => s.serialize_u8(x),
            Value::I8(x) => s.serialize_i8(x),
            Value::U16(x) => s.serialize_u16(x),
            Value::I16(x) => s.serialize_i16(x),
            Value::U32(x) => s.serialize_u32(x),
            Value::I32(x) => s.serialize_i32(x),
            Value::U64(x) => s.serialize_u64(x),
            Value::I64(x) => s.serialize_i64(x),
            Value::F32(x) => serialize_float(f64::from(x), s),
            Value::F64(x) => serialize_float(x, s),
            Value::Bool(x) => s.serialize_bool(x),
            Value::String(x) => s.serialize_str(&String::from_utf8_lossy(x.as_bytes())),
            Value::Array(a) => serialize_array(&a, self.1, s),
        }
    }
}

fn serialize_array<S: Serializer>(a: &ArrayView<'_>, max: Option<usize>, s: S) -> Result<S::Ok, S::Error> {
    let n = max.map_or(a.len(), |m| a.len().min(m as u64));
    let mut seq = s.serialize_seq(usize::try_from(n).ok())?;
    if let Some(strings) = a.strings() {
        for x in strings.take(n as usize) {
            seq.serialize_element(&String::from_utf8_lossy(x.as_bytes()))?;
        }
    } else {
        for x in a.iter().take(n as usize) {
            seq.serialize_element(&JsonValue(&x, max))?;
        }
    }
    seq.end()
}

impl Serialize for MetaEntry<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("key", self.key)?;
        m.serialize_entry("type", &self.value.type_name())?;
        m.serialize_entry("value", &JsonValue(&self.value, self.max_array))?;
        if let Value::Array(a) = self.value {
            m.serialize_entry("length", &a.len())?;
            m.serialize_entry("truncated", &self.max_array.is_some_and(|n| a.len() > n as u64))?;
        }
        m.end()
    }
}

/// The value of one key, printed raw: strings as text, arrays one element
/// per line ([`key_value`] with no prefix and no limit).
pub fn raw_value(v: &Value<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    key_value(v, None, None, out)
}

/// The value of one key as `inspect --key` prints it: a string as it is
/// (every line of it), a number or boolean as text, an array one element per
/// line — at most `max` of them — with each string element escaped by
/// [`escape`] so that one element is always one line. With a `prefix`
/// (`FILE`, when several files are shown) every line starts with `FILE:`,
/// as grep marks its lines.
pub fn key_value(
    v: &Value<'_>,
    prefix: Option<&str>,
    max: Option<usize>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let line = |out: &mut dyn std::io::Write, text: &[u8]| -> std::io::Result<()> {
        if let Some(p) = prefix {
            out.write_all(p.as_bytes())?;
            out.write_all(b":")?;
        }
        out.write_all(text)?;
        out.write_all(b"\n")
    };
    match v {
        Value::String(s) => {
            let bytes = s.as_bytes();
            let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            if prefix.is_none() {
                return line(out, bytes);
            }
            for l in bytes.split(|&b| b == b'\n') {
                line(out, l)?;
            }
            Ok(())
        }
        Value::Array(a) => {
            let n = max.unwrap_or(usize::MAX);
            if let Some(strings) = a.strings() {
                for x in strings.take(n) {
                    line(out, escape(x.as_bytes()).as_bytes())?;
                }
                return Ok(());
            }
            for x in a.iter().take(n) {
                let text = match x {
                    Value::String(s) => escape(s.as_bytes()),
                    _ => human::short_value(&x, usize::MAX, usize::MAX),
                };
                line(out, text.as_bytes())?;
            }
            Ok(())
        }
        other => line(out, human::short_value(other, usize::MAX, usize::MAX).as_bytes()),
    }
}

/// A string on one line, reversibly: `\` as `\\`, newline, tab and carriage
/// return as `\n`, `\t`, `\r`, any other control character as `\xNN`
/// (`\u{NN}` for U+0080–U+009F), and a byte that is not UTF-8 as `\xNN`
/// (always 80 or above, so never confused with a control character).
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '\r' => s.push_str("\\r"),
                c if c.is_control() && (c as u32) < 0x80 => {
                    let _ = write!(s, "\\x{:02x}", c as u32);
                }
                c if c.is_control() => {
                    let _ = write!(s, "\\u{{{:x}}}", c as u32);
                }
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}

/// `inspect --key K --json` for one of several files: `{path, key, type,
/// length?, value}` (`type` and `value` are `null` when the file lacks the
/// key). For a single file the value alone is printed ([`KeyJson::value`]).
pub struct KeyJson<'a> {
    /// The path as given.
    pub path: &'a str,
    /// The key.
    pub key: &'a str,
    /// Its value, if the file has it.
    pub value: Option<Value<'a>>,
    /// At most this many array elements.
    pub max_array: Option<usize>,
}

impl<'a> KeyJson<'a> {
    /// Just the value, as JSON (arrays cut to `max_array`).
    pub fn value(&self) -> impl Serialize + '_ {
        self.value.as_ref().map(|v| JsonValue(v, self.max_array))
    }
}

impl Serialize for KeyJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("path", self.path)?;
        m.serialize_entry("key", self.key)?;
        m.serialize_entry("type", &self.value.as_ref().map(Value::type_name))?;
        if let Some(Value::Array(a)) = &self.value {
            m.serialize_entry("length", &a.len())?;
        }
        m.serialize_entry("value", &self.value())?;
        m.end()
    }
}

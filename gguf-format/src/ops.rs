//! Whole-file operations on a [`Model`]: split it into shards, merge its
//! shards, rewrite it with edited metadata, convert its byte order. Each is
//! planned as a list of [`Output`]s (a header and the source tensors that
//! follow it) without touching tensor data; [`Output::write`] then streams
//! the data through the one streaming writer ([`crate::stream`]), copied
//! file to file where it does not change and byte-swapped block by block
//! where the byte order does. Naming the output files and
//! writing them atomically is the caller's (see [`crate::write_atomic_all`]).

use crate::edit::MetadataEdit;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::raw::{ByteOrder, Version};
use crate::read::TensorInfo;
use crate::split::{plan_split, SplitLimit, SPLIT_COUNT, SPLIT_KEYS, SPLIT_NO, SPLIT_TENSORS_COUNT};
use crate::stream::{self, CopyAll};
use crate::tensor_source::TensorSource;
use crate::write::GgufBuilder;
use std::fs::File;
use std::io::{BufWriter, Write};

/// One file to write: its header and, in order, the source tensors whose
/// data follows.
#[derive(Debug, Clone)]
pub struct Output<'a> {
    /// Metadata and tensor layout.
    pub builder: GgufBuilder<'a>,
    /// The source tensors, in output order (their data is read from the model).
    pub tensors: Vec<TensorInfo<'a>>,
}

impl<'a> Output<'a> {
    /// The size of the file this writes.
    pub fn file_size(&self) -> Result<u64> {
        self.builder.file_size()
    }

    /// Tensor data bytes (unpadded).
    pub fn tensor_bytes(&self) -> u64 {
        self.builder.tensors().iter().map(|t| t.n_bytes).sum()
    }

    /// Writes the file to `w`: the header, then each tensor's data from
    /// `source` (the model the output was planned from), byte-swapped when
    /// the output's byte order is not its shard's, otherwise copied (file
    /// to file where the OS can), by the one streaming writer
    /// ([`stream::write_file`]). `progress` gets the data bytes done so far
    /// after each tensor or chunk.
    pub fn write<S: TensorSource<'a> + ?Sized>(
        &self,
        source: &S,
        w: &mut BufWriter<File>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<()> {
        stream::write_file(source, &self.builder, &self.tensors, &CopyAll, w, &mut |p| {
            progress(p.bytes_done)
        })
    }

    /// [`Output::write`] to any writer (no file-to-file copies); returns it.
    pub fn write_to<S: TensorSource<'a> + ?Sized, W: Write + Send>(
        &self,
        source: &S,
        w: W,
        progress: &mut dyn FnMut(u64),
    ) -> Result<W> {
        stream::write(source, &self.builder, &self.tensors, &CopyAll, w, &mut |p| {
            progress(p.bytes_done)
        })
    }
}

/// `llama-gguf-split --split`: the model's tensors, in order, cut into
/// shards by `limit` ([`plan_split`]). The first shard carries all metadata
/// (old `split.*` keys dropped), every shard `split.no`, `split.tensors.count`
/// and, last, `split.count`. Version 3, dimensions as ggml writes them; the
/// layout follows each shard's `general.alignment` (32 where it is absent;
/// llama-gguf-split writes 32 whatever the key says).
///
/// The outputs are named by the caller, as llama.cpp names them with
/// [`shard_path`](crate::split::shard_path), and are best written with
/// [`write_atomic_all`](crate::write_atomic_all) so that all appear or none:
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{ops, split::{shard_path, SplitLimit}, write_atomic_all, ModelFiles};
/// let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let model = files.parse()?;
/// // 21 tensors, at most 8 per shard.
/// let outputs = ops::split(&model, SplitLimit::Tensors(8), false)?;
/// assert_eq!(outputs.iter().map(|o| o.tensors.len()).collect::<Vec<_>>(), [8, 8, 5]);
///
/// let dir = tempfile::tempdir().unwrap();
/// let prefix = dir.path().join("tiny").to_string_lossy().into_owned();
/// let names: Vec<String> = (0..outputs.len()).map(|i| shard_path(&prefix, i, outputs.len())).collect();
/// write_atomic_all(&names, |i, w| outputs[i].write(&model, w, &mut |_done| {}))?;
/// assert!(ModelFiles::open(&names[0])?.parse()?.is_split());
/// # Ok(()) }
/// ```
pub fn split<'a, S: TensorSource<'a> + ?Sized>(
    m: &S,
    limit: SplitLimit,
    no_tensor_first_split: bool,
) -> Result<Vec<Output<'a>>> {
    let sizes = m
        .tensors()
        .iter()
        .map(|t| t.n_bytes())
        .collect::<Result<Vec<_>>>()?;
    let plan = plan_split(&sizes, limit, no_tensor_first_split)?;
    let n_tensors = i32::try_from(m.tensors().len())
        .map_err(|_| Error::InvalidWrite("more tensors than split.tensors.count (i32) can count".into()))?;
    let count = plan.len() as u16;
    let mut outputs = Vec::with_capacity(plan.len());
    for (i, range) in plan.into_iter().enumerate() {
        let mut b = GgufBuilder::new();
        let order = m.header().byte_order();
        b.set_byte_order(order).set_data_byte_order(order);
        if i == 0 {
            b.extend_metadata(m.header())?;
            for k in SPLIT_KEYS {
                b.remove(k);
            }
        }
        b.set_last(SPLIT_NO, i as u16)?
            .set_last(SPLIT_TENSORS_COUNT, n_tensors)?
            .set_last(SPLIT_COUNT, count)?;
        let tensors = m.tensors()[range].to_vec();
        for t in &tensors {
            b.add_tensor(t.name, t.ggml_dims(), t.ggml_type)?;
        }
        outputs.push(Output { builder: b, tensors });
    }
    Ok(outputs)
}

/// `llama-gguf-split --merge`: one file with the first shard's metadata
/// (`split.count` set to 0 and moved last, so the result is not taken for
/// a shard) and every shard's tensors in order. Refuses a file without a
/// `split.count` of 1 or more (a split of one shard merges, as there).
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{ops, split::SplitLimit, Gguf, Model, ModelFiles, Shard};
/// let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let model = files.parse()?;
/// assert!(ops::merge(&model).is_err(), "not a split model");
///
/// // Split in memory, then merge the shards back into one file.
/// let shards: Vec<Vec<u8>> = ops::split(&model, SplitLimit::Tensors(8), false)?
///     .iter()
///     .map(|o| o.write_to(&model, Vec::new(), &mut |_| {}))
///     .collect::<Result<_, _>>()?;
/// let parsed = shards
///     .iter()
///     .enumerate()
///     .map(|(i, b)| Ok(Shard::new(format!("tiny-{:05}-of-00003.gguf", i + 1), Gguf::parse(b)?)))
///     .collect::<Result<Vec<_>, gguf_format::Error>>()?;
/// let split = Model::from_shards(parsed)?;
/// let merged = ops::merge(&split)?.write_to(&split, Vec::new(), &mut |_| {})?;
///
/// let g = Gguf::parse(&merged)?;
/// assert_eq!(g.get_uint("split.count")?, 0);
/// for t in model.tensors() {
///     assert_eq!(g.tensor_data(g.tensor(t.name).unwrap())?, model.tensor_data(t)?);
/// }
/// # Ok(()) }
/// ```
pub fn merge<'a, S: TensorSource<'a> + ?Sized>(m: &S) -> Result<Output<'a>> {
    // As llama-gguf-split: a split of one shard (split.count 1) merges too.
    if m.get(SPLIT_COUNT).and_then(crate::Value::as_uint).unwrap_or(0) == 0 {
        return Err(Error::NotSplit {
            name: m.name().to_string(),
        });
    }
    let mut b = GgufBuilder::new();
    let order = m.header().byte_order();
    b.set_byte_order(order).set_data_byte_order(order);
    b.extend_metadata(m.header())?;
    b.set_last(SPLIT_COUNT, 0u16)?;
    for t in m.tensors() {
        b.add_tensor(t.name, t.ggml_dims(), t.ggml_type)?;
    }
    Ok(Output {
        builder: b,
        tensors: m.tensors().to_vec(),
    })
}

/// The model with edited metadata ([`MetadataEdit::apply`] on the first
/// file, which holds the metadata); the other shards of a split model are
/// copied as they are. Also returns the edit's warnings.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{edit::MetadataEdit, ops, Gguf, ModelFiles};
/// let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let model = files.parse()?;
/// let e = MetadataEdit {
///     general_name: Some("tiny, renamed".into()),
///     remove: vec!["tokenizer.chat_template".into()],
///     ..MetadataEdit::default()
/// };
/// let (outputs, warnings) = ops::edit(&model, &e)?;
/// assert!(warnings.is_empty());
/// let out = outputs[0].write_to(&model, Vec::new(), &mut |_| {})?;
///
/// let g = Gguf::parse(&out)?;
/// assert_eq!(g.get_str("general.name")?, "tiny, renamed");
/// assert!(g.get("tokenizer.chat_template").is_none());
/// # Ok(()) }
/// ```
pub fn edit<'a>(m: &Model<'a>, e: &'a MetadataEdit) -> Result<(Vec<Output<'a>>, Vec<String>)> {
    let mut outputs = Vec::with_capacity(m.shards().len());
    let mut warnings = Vec::new();
    for (i, s) in m.shards().iter().enumerate() {
        let builder = if i == 0 {
            let (b, w) = e.apply(&s.gguf)?;
            warnings = w;
            b
        } else {
            GgufBuilder::from_gguf(&s.gguf)?
        };
        outputs.push(Output {
            builder,
            tensors: shard_tensors(m, i),
        });
    }
    Ok((outputs, warnings))
}

/// Every file of the model in byte order `order` (and, if given, GGUF
/// `version`), as gguf-py's `gguf-convert-endian` converts it: every header
/// field and every multi-byte field of the tensor data swapped, nothing
/// else changed. Refuses, by name, a tensor whose type has no known layout.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{ops, ByteOrder, ModelFiles};
/// let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let model = files.parse()?;
/// let outputs = ops::convert(&model, ByteOrder::Big, None)?;
/// let be = outputs[0].write_to(&model, Vec::new(), &mut |_| {})?;
/// // The checked-in big-endian twin of the same model:
/// let want = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32-be.gguf")).unwrap();
/// assert!(be == want);
/// # Ok(()) }
/// ```
pub fn convert<'a>(m: &Model<'a>, order: ByteOrder, version: Option<Version>) -> Result<Vec<Output<'a>>> {
    for t in m.tensors() {
        if t.type_info().and_then(|i| i.swap).is_none() {
            return Err(Error::InvalidWrite(format!(
                "tensor {} has type {}, whose byte layout is not known: cannot convert it",
                t.name, t.ggml_type
            )));
        }
    }
    let mut outputs = Vec::with_capacity(m.shards().len());
    for (i, s) in m.shards().iter().enumerate() {
        let mut b = GgufBuilder::from_gguf(&s.gguf)?;
        b.set_byte_order(order);
        if let Some(v) = version {
            b.set_version(v);
        }
        outputs.push(Output {
            builder: b,
            tensors: shard_tensors(m, i),
        });
    }
    Ok(outputs)
}

fn shard_tensors<'a>(m: &Model<'a>, shard: usize) -> Vec<TensorInfo<'a>> {
    m.tensors()
        .iter()
        .filter(|t| t.shard() == shard)
        .copied()
        .collect()
}

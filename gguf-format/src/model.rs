//! One model in one or several files: [`ModelFiles`] opens a GGUF file and,
//! when it is the first shard of a split model (`split.count` > 1), finds
//! and opens the others by llama.cpp's naming convention; [`Model`] is the
//! parsed view — the first shard's metadata, every shard's tensors in one
//! list, data borrowed from each shard's own map.

use crate::error::{Error, Result};
use crate::file::GgufFile;
use crate::read::{Gguf, KeyValue, ParseOptions, TensorInfo};
use crate::split::{shard_path, shard_prefix, SPLIT_COUNT, SPLIT_NO, SPLIT_TENSORS_COUNT};
use crate::value::Value;
use std::collections::HashMap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The files of one model, opened (mapped) but not yet parsed.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::ModelFiles;
/// let files = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
/// let model = files.parse()?;
/// assert_eq!(model.shards().len(), 1);
/// assert_eq!(model.architecture(), Some("llama"));
/// for t in model.tensors() {
///     let data: &[u8] = model.tensor_data(t)?; // from whichever shard holds it
///     assert_eq!(data.len() as u64, t.n_bytes()?);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ModelFiles {
    files: Vec<GgufFile>,
}

/// The `split.*` facts of a file, as far as it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SplitKeys {
    no: Option<u64>,
    count: Option<u64>,
    tensors: Option<u64>,
}

impl SplitKeys {
    fn of(g: &Gguf<'_>) -> SplitKeys {
        let uint = |k| g.get(k).and_then(Value::as_uint);
        SplitKeys {
            no: uint(SPLIT_NO),
            count: uint(SPLIT_COUNT),
            tensors: uint(SPLIT_TENSORS_COUNT),
        }
    }

    /// The number of shards when this is a split model (more than one shard).
    fn shards(&self) -> Option<u64> {
        self.count.filter(|&n| n > 1)
    }
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

impl ModelFiles {
    /// Opens `path`; when it is the first shard of a split model, also every
    /// other shard (`PREFIX-0000i-of-0000N.gguf` beside it). Fails, naming
    /// the file, when `path` is a later shard, when the name does not follow
    /// the convention, or when a shard is missing; the shards' contents are
    /// checked against each other by [`ModelFiles::parse`].
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::{split::shard_path, Error, ModelFiles};
    /// # use gguf_format::{ops, split::SplitLimit};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let prefix = dir.path().join("tiny").to_string_lossy().into_owned();
    /// # let source = ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
    /// # let m = source.parse()?;
    /// # let outputs = ops::split(&m, SplitLimit::Tensors(8), false)?;
    /// # let names: Vec<String> = (0..3).map(|i| shard_path(&prefix, i, 3)).collect();
    /// # gguf_format::write_atomic_all(&names, |i, w| outputs[i].write(&m, w, &mut |_| {}))?;
    /// // tiny-00001-of-00003.gguf, tiny-00002-of-00003.gguf, tiny-00003-of-00003.gguf
    /// let files = ModelFiles::open(shard_path(&prefix, 0, 3))?;
    /// assert_eq!(files.files().len(), 3);
    /// let model = files.parse()?;
    /// assert!(model.is_split());
    /// assert_eq!(model.architecture(), Some("llama")); // the first shard's metadata
    /// let t = model.tensor("output.weight").unwrap();
    /// assert_eq!(t.shard(), 2);
    /// assert_eq!(model.tensor_data(t)?.len(), 64 * 300 * 4);
    ///
    /// // A later shard is not a model by itself:
    /// let later = ModelFiles::open(shard_path(&prefix, 1, 3)).unwrap_err();
    /// assert!(matches!(later, Error::NotFirstShard { shard: 2, count: 3, .. }));
    /// # Ok(()) }
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<ModelFiles> {
        let path = path.as_ref();
        let first = GgufFile::open(path)?;
        let others = Self::other_shards(
            path,
            &first
                .parse_with(ParseOptions { check_data: false })
                .map_err(|e| Error::in_shard(path, e))?,
        )?;
        let n = others.len() + 1;
        if n == 1 {
            return Ok(ModelFiles { files: vec![first] });
        }
        let count32 = n as u32;
        let mut files = Vec::with_capacity(n);
        files.push(first);
        for (i, p) in (1..n).zip(others) {
            let f = GgufFile::open(&p).map_err(|e| match e {
                Error::Io { source, .. } => Error::MissingShard {
                    path: p.clone(),
                    shard: i as u32 + 1,
                    count: count32,
                    source,
                },
                other => other,
            })?;
            files.push(f);
        }
        // A shard numbered past the count is left over from another split.
        let prefix = path
            .to_str()
            .and_then(|s| shard_prefix(s, 0, n))
            .unwrap_or_default();
        let extra = shard_path(prefix, n, n);
        if Path::new(&extra).exists() {
            return Err(Error::InconsistentShard {
                path: extra,
                reason: format!("a shard numbered past split.count {n} of {}", shown(path)),
            });
        }
        Ok(ModelFiles { files })
    }

    /// The names of the shards after the first of the model whose first
    /// file is `path`, with the parsed header `first`: `PREFIX-0000i-of-0000N.gguf`
    /// for i from 2 to N = `split.count`, beside `path`; none for a
    /// single-file model. Fails, naming the file, when `path` is a later
    /// shard ([`Error::NotFirstShard`], naming the first) or its name does
    /// not follow the convention ([`Error::ShardName`]). [`ModelFiles::open`]
    /// opens these; a reader of files from elsewhere (a web server) can
    /// fetch them by these names.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::{GgufBuilder, Gguf, ModelFiles, MetaValue};
    /// let mut b = GgufBuilder::new();
    /// b.push("split.no", MetaValue::U16(0))?.push("split.count", MetaValue::U16(3))?;
    /// let bytes = b.write_header(Vec::new())?.finish()?;
    /// let first = Gguf::parse(&bytes)?;
    /// let names = ModelFiles::other_shards("https://example.com/m-00001-of-00003.gguf", &first)?;
    /// assert_eq!(names, ["https://example.com/m-00002-of-00003.gguf", "https://example.com/m-00003-of-00003.gguf"]);
    /// # Ok(()) }
    /// ```
    pub fn other_shards(path: impl AsRef<Path>, first: &Gguf<'_>) -> Result<Vec<String>> {
        let path = path.as_ref();
        let keys = SplitKeys::of(first);
        let Some(count) = keys.shards() else {
            return Ok(Vec::new());
        };
        let count32 = u32::try_from(count).unwrap_or(u32::MAX);
        if count > u64::from(u16::MAX) {
            return Err(Error::InconsistentShard {
                path: shown(path),
                reason: format!("split.count {count} is more than a u16 can hold"),
            });
        }
        let n = count as usize;
        let name = path.to_str();
        if let Some(no) = keys.no.filter(|&no| no != 0) {
            let first_name = (no < count)
                .then(|| name.and_then(|s| shard_prefix(s, no as usize, n)))
                .flatten()
                .map_or_else(
                    || format!("the file whose name ends in {}", shard_path("", 0, n)),
                    |p| shard_path(p, 0, n),
                );
            return Err(Error::NotFirstShard {
                path: shown(path),
                shard: u32::try_from(no.saturating_add(1)).unwrap_or(u32::MAX),
                count: count32,
                first: first_name,
            });
        }
        let prefix = name
            .and_then(|s| shard_prefix(s, 0, n))
            .ok_or_else(|| Error::ShardName {
                path: shown(path),
                count: count32,
                expected: shard_path("", 0, n),
            })?;
        Ok((1..n).map(|i| shard_path(prefix, i, n)).collect())
    }

    /// Opens only `path`, as one file, whatever its `split.*` keys say (for
    /// looking at one shard by itself).
    pub fn open_single(path: impl AsRef<Path>) -> Result<ModelFiles> {
        Ok(ModelFiles {
            files: vec![GgufFile::open(path)?],
        })
    }

    /// Wraps files already open, in shard order.
    pub fn from_files(files: Vec<GgufFile>) -> ModelFiles {
        ModelFiles { files }
    }

    /// The files, in shard order.
    pub fn files(&self) -> &[GgufFile] {
        &self.files
    }

    /// Paths of the files, in shard order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| f.path().to_path_buf()).collect()
    }

    /// Parses every shard with every check ([`Gguf::parse`]) and checks that
    /// they belong together ([`Model::from_shards`]).
    pub fn parse(&self) -> Result<Model<'_>> {
        self.parse_with(ParseOptions::default())
    }

    /// Parses headers only: tensor data may be cut off ([`Gguf::parse_header`]).
    pub fn parse_header(&self) -> Result<Model<'_>> {
        self.parse_with(ParseOptions { check_data: false })
    }

    /// Parses with explicit options.
    pub fn parse_with(&self, options: ParseOptions) -> Result<Model<'_>> {
        let mut shards = Vec::with_capacity(self.files.len());
        for f in &self.files {
            let g = f.parse_with(options).map_err(|e| Error::in_shard(f.path(), e))?;
            shards.push(Shard {
                path: shown(f.path()),
                gguf: g,
                file: Some(f),
            });
        }
        Model::from_shards(shards)
    }
}

/// One file of a model.
#[derive(Debug, Clone)]
pub struct Shard<'a> {
    /// Its path (or name), for messages.
    pub path: String,
    /// Its parsed header.
    pub gguf: Gguf<'a>,
    /// The open file, when it came from one (for releasing pages and copying
    /// data file to file).
    pub file: Option<&'a GgufFile>,
}

impl<'a> Shard<'a> {
    /// A shard parsed from bytes that did not come from a [`GgufFile`].
    pub fn new(path: impl Into<String>, gguf: Gguf<'a>) -> Shard<'a> {
        Shard {
            path: path.into(),
            gguf,
            file: None,
        }
    }
}

/// A parsed model: one file, or all shards of a split model seen as one.
///
/// Metadata is the first shard's (later shards carry only `split.*` keys);
/// [`Model::tensors`] lists every shard's tensors in shard order, each
/// knowing its shard ([`TensorInfo::shard`]); data is borrowed from the
/// shard that holds it.
#[derive(Debug, Clone)]
pub struct Model<'a> {
    shards: Vec<Shard<'a>>,
    tensors: Vec<TensorInfo<'a>>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Model<'a> {
    /// One file as a model.
    pub fn single(shard: Shard<'a>) -> Model<'a> {
        Self::from_shards(vec![shard]).expect("one shard always fits with itself")
    }

    /// Joins parsed shards into one model, checking that they belong
    /// together: shard `i` says `split.no` = i, all agree on `split.count`
    /// (the number of shards) and `split.tensors.count` (the number of
    /// tensors found), all have one byte order, and no tensor is in two
    /// shards. A single shard needs none of this.
    pub fn from_shards(shards: Vec<Shard<'a>>) -> Result<Model<'a>> {
        let Some(first) = shards.first() else {
            return Err(Error::InvalidWrite("a model needs at least one file".into()));
        };
        let first_keys = SplitKeys::of(&first.gguf);
        let n = shards.len();
        if n > 1 {
            if n > usize::from(u16::MAX) {
                return Err(Error::InconsistentShard {
                    path: first.path.clone(),
                    reason: format!("{n} shards: split.count is a u16"),
                });
            }
            for (i, s) in shards.iter().enumerate() {
                let keys = SplitKeys::of(&s.gguf);
                let bad = |reason: String| Error::InconsistentShard {
                    path: s.path.clone(),
                    reason,
                };
                match keys.no {
                    Some(no) if no == i as u64 => {}
                    Some(no) => {
                        return Err(bad(format!(
                            "split.no is {no}, but this is shard {} (split.no {i}) of {n}",
                            i + 1
                        )))
                    }
                    None => {
                        return Err(bad(format!(
                            "no split.no key: not shard {} of a split model",
                            i + 1
                        )))
                    }
                }
                if keys.count != Some(n as u64) {
                    return Err(bad(match keys.count {
                        Some(c) => format!("split.count is {c}, the model has {n} shards"),
                        None => "no split.count key: not a shard of a split model".into(),
                    }));
                }
                if let (Some(want), Some(have)) = (first_keys.tensors, keys.tensors) {
                    if want != have {
                        return Err(bad(format!(
                            "split.tensors.count is {have}, the first shard says {want}: a shard of another split"
                        )));
                    }
                }
                if s.gguf.byte_order() != first.gguf.byte_order() {
                    return Err(bad(format!(
                        "{}, the first shard is {}",
                        s.gguf.byte_order(),
                        first.gguf.byte_order()
                    )));
                }
            }
        }
        let total: usize = shards.iter().map(|s| s.gguf.tensors().len()).sum();
        let mut tensors = Vec::with_capacity(total);
        let mut index = HashMap::with_capacity(total);
        for (i, s) in shards.iter().enumerate() {
            for t in s.gguf.tensors() {
                if let Some(&j) = index.get(t.name) {
                    let other: &TensorInfo<'_> = &tensors[j];
                    return Err(Error::InconsistentShard {
                        path: s.path.clone(),
                        reason: format!("tensor {} is also in {}", t.name, shards[other.shard()].path),
                    });
                }
                let mut t = *t;
                t.set_shard(i as u16);
                index.insert(t.name, tensors.len());
                tensors.push(t);
            }
        }
        if n > 1 {
            if let Some(want) = first_keys.tensors {
                if want != total as u64 {
                    return Err(Error::InconsistentShard {
                        path: first.path.clone(),
                        reason: format!(
                            "split.tensors.count is {want}, but the {n} shards hold {total} tensors"
                        ),
                    });
                }
            }
        }
        Ok(Model {
            shards,
            tensors,
            index,
        })
    }

    /// The files, in shard order.
    pub fn shards(&self) -> &[Shard<'a>] {
        &self.shards
    }

    /// Whether the model is split over several files.
    pub fn is_split(&self) -> bool {
        self.shards.len() > 1
    }

    /// The first (or only) file, which holds the metadata.
    pub fn first(&self) -> &Gguf<'a> {
        &self.shards[0].gguf
    }

    /// The first file's path.
    pub fn path(&self) -> &str {
        &self.shards[0].path
    }

    /// The model's metadata: the first file's, in file order.
    pub fn metadata(&self) -> &[KeyValue<'a>] {
        self.first().metadata()
    }

    /// The value of `key` in the model's metadata.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.first().get(key)
    }

    /// `general.architecture`, if present and a string.
    pub fn architecture(&self) -> Option<&'a str> {
        self.first().architecture()
    }

    /// Every tensor, shard after shard, each in its file's order.
    pub fn tensors(&self) -> &[TensorInfo<'a>] {
        &self.tensors
    }

    /// The tensor named `name`, in whichever shard.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo<'a>> {
        self.index.get(name).map(|&i| &self.tensors[i])
    }

    /// The parsed file holding `t`.
    pub fn shard_of(&self, t: &TensorInfo<'_>) -> &Gguf<'a> {
        &self.shards[t.shard().min(self.shards.len() - 1)].gguf
    }

    /// A tensor's data, borrowed from its shard.
    pub fn tensor_data(&self, t: &TensorInfo<'_>) -> Result<&'a [u8]> {
        self.shard_of(t).tensor_data(t)
    }

    /// Absolute byte range of a tensor's data in its shard's file.
    pub fn tensor_range(&self, t: &TensorInfo<'_>) -> Result<Range<u64>> {
        self.shard_of(t).tensor_range(t)
    }

    /// The open file holding `t` and the absolute offset of its data, when
    /// the shard came from a file (for copying it file to file).
    pub fn tensor_source(&self, t: &TensorInfo<'_>) -> Option<(&'a File, u64)> {
        let s = &self.shards[t.shard().min(self.shards.len() - 1)];
        let f = s.file?.file()?;
        Some((f, self.tensor_range(t).ok()?.start))
    }

    /// Tells the kernel the absolute byte `range` of `t`'s shard will not be
    /// needed again soon ([`GgufFile::release`]); a no-op for shards not
    /// read from a file.
    pub fn release(&self, t: &TensorInfo<'_>, range: Range<u64>) {
        if let Some(f) = self.shards[t.shard().min(self.shards.len() - 1)].file {
            f.release(range);
        }
    }

    /// Whether a tensor's type is known and its data lies inside its
    /// shard's file ([`Gguf::tensor_in_file`]).
    pub fn tensor_in_file(&self, t: &TensorInfo<'_>) -> bool {
        self.shard_of(t).tensor_in_file(t)
    }

    /// Size of all files together ([`Gguf::file_size`] of each).
    pub fn file_size(&self) -> u64 {
        self.shards.iter().map(|s| s.gguf.file_size()).sum()
    }

    /// Sum of the sizes of all tensors of known type (unpadded), over all shards.
    pub fn total_tensor_bytes(&self) -> u64 {
        self.shards.iter().map(|s| s.gguf.total_tensor_bytes()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GgmlType, GgufBuilder, MetaValue};

    /// A shard with the given split keys and F32 tensors of 4 elements.
    fn shard(keys: &[(&str, MetaValue<'static>)], tensors: &[&str]) -> Vec<u8> {
        let mut b = GgufBuilder::new();
        for (k, v) in keys {
            b.push(*k, v.clone()).unwrap();
        }
        for t in tensors {
            b.add_tensor(*t, &[4], GgmlType::F32).unwrap();
        }
        let mut tw = b.write_header(Vec::new()).unwrap();
        for _ in tensors {
            tw.write_tensor(&[0; 16]).unwrap();
        }
        tw.finish().unwrap()
    }

    fn split_keys(no: u16, count: u16, tensors: i32) -> Vec<(&'static str, MetaValue<'static>)> {
        vec![
            (SPLIT_NO, MetaValue::U16(no)),
            (SPLIT_TENSORS_COUNT, MetaValue::I32(tensors)),
            (SPLIT_COUNT, MetaValue::U16(count)),
        ]
    }

    fn join(files: &[Vec<u8>]) -> Result<Model<'_>> {
        let shards = files
            .iter()
            .enumerate()
            .map(|(i, b)| {
                Shard::new(
                    format!("m-{:05}-of-{:05}.gguf", i + 1, files.len()),
                    Gguf::parse(b).unwrap(),
                )
            })
            .collect();
        Model::from_shards(shards)
    }

    #[test]
    fn shards_join_into_one_tensor_list() {
        let files = [
            shard(&split_keys(0, 2, 3), &["a", "b"]),
            shard(&split_keys(1, 2, 3), &["c"]),
        ];
        let m = join(&files).unwrap();
        let names: Vec<_> = m.tensors().iter().map(|t| (t.name, t.shard())).collect();
        assert_eq!(names, [("a", 0), ("b", 0), ("c", 1)]);
        assert_eq!(m.tensor("c").unwrap().shard(), 1);
        assert_eq!(m.tensor_data(m.tensor("c").unwrap()).unwrap(), [0; 16]);
        assert!(m.is_split());
    }

    #[test]
    fn inconsistent_shards_are_refused_by_name() {
        let err = |files: &[Vec<u8>]| join(files).unwrap_err().to_string();
        let a = shard(&split_keys(0, 2, 3), &["a", "b"]);
        assert_eq!(
            err(&[a.clone(), shard(&split_keys(2, 2, 3), &["c"])]),
            "m-00002-of-00002.gguf: split.no is 2, but this is shard 2 (split.no 1) of 2"
        );
        assert_eq!(
            err(&[a.clone(), shard(&split_keys(1, 3, 3), &["c"])]),
            "m-00002-of-00002.gguf: split.count is 3, the model has 2 shards"
        );
        assert_eq!(
            err(&[a.clone(), shard(&split_keys(1, 2, 9), &["c"])]),
            "m-00002-of-00002.gguf: split.tensors.count is 9, the first shard says 3: a shard of another split"
        );
        assert_eq!(
            err(&[a.clone(), shard(&split_keys(1, 2, 3), &["b"])]),
            "m-00002-of-00002.gguf: tensor b is also in m-00001-of-00002.gguf"
        );
        assert_eq!(
            err(&[a.clone(), shard(&split_keys(1, 2, 3), &["c", "d"])]),
            "m-00001-of-00002.gguf: split.tensors.count is 3, but the 2 shards hold 4 tensors"
        );
        assert_eq!(
            err(&[a, shard(&[], &["c"])]),
            "m-00002-of-00002.gguf: no split.no key: not shard 2 of a split model"
        );
    }
}

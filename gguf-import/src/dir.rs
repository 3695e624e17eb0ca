//! A Hugging Face model directory: its `config.json` and its weights,
//! `model.safetensors.index.json` with the shards it lists, or else every
//! `model*.safetensors` file (`model.safetensors` alone, usually). Everything is checked when the directory is opened — every
//! listed shard present and a valid safetensors file, every tensor the
//! index lists found in the shard it names and no other — before anything
//! is written. Shards are memory-mapped and read zero-copy.

use crate::config::Config;
use crate::error::{Error, Result};
use memmap2::Mmap;
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One tensor of a safetensors shard.
#[derive(Debug, Clone)]
pub struct StTensor {
    /// Its Hugging Face name.
    pub name: String,
    /// Its stored element type.
    pub dtype: Dtype,
    /// Its shape, outermost first (PyTorch's order).
    pub shape: Vec<u64>,
    /// Where its bytes lie in the shard's file.
    pub bytes: Range<usize>,
}

/// One memory-mapped safetensors file.
#[derive(Debug)]
pub struct StShard {
    path: PathBuf,
    file: File,
    map: Mmap,
    tensors: Vec<StTensor>,
}

impl StShard {
    /// Maps and checks `path` (the whole header against the file's size).
    pub fn open(path: &Path) -> Result<StShard> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        // SAFETY: the map is read only; like every reader of model files we
        // rely on the file not being changed while it is open.
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        let tensors = StShard::parse(path, &map)?;
        Ok(StShard {
            path: path.to_path_buf(),
            file,
            map,
            tensors,
        })
    }

    /// The tensors of safetensors file `bytes` (read from `path`, which
    /// errors name), sorted by name as the converter reads them: the whole
    /// header checked against the file's size — its length within the
    /// file, valid JSON, every tensor's offsets contiguous and as long as
    /// its dtype and shape make it, the last ending at the end of the file.
    /// An error names the tensor at fault where there is one.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<StTensor>> {
        let (n, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| diagnose(path, bytes, e))?;
        let data_start = 8 + n;
        let mut tensors: Vec<StTensor> = metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| StTensor {
                name,
                dtype: info.dtype,
                shape: info.shape.iter().map(|&d| d as u64).collect(),
                bytes: data_start + info.data_offsets.0..data_start + info.data_offsets.1,
            })
            .collect();
        // The converter reads a shard's tensors sorted by name.
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tensors)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file (for copying tensor bytes file to file).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Its tensors, sorted by name.
    pub fn tensors(&self) -> &[StTensor] {
        &self.tensors
    }

    /// The bytes of `t`, one of this shard's tensors.
    pub fn data(&self, t: &StTensor) -> &[u8] {
        &self.map[t.bytes.clone()]
    }

    /// Advises the kernel that `range` of `t`'s bytes is not needed soon.
    pub fn release(&self, t: &StTensor, range: Range<usize>) {
        #[cfg(unix)]
        {
            let page = 4096;
            let start = (t.bytes.start + range.start).div_ceil(page) * page;
            let end = ((t.bytes.start + range.end) / page) * page;
            if end > start {
                // SAFETY: the map is a read-only, file-backed mapping, so
                // MADV_DONTNEED only drops clean pages; later reads fault
                // them back in from the file with the same contents.
                let _ = unsafe {
                    self.map
                        .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
                };
            }
        }
        #[cfg(not(unix))]
        let _ = (t, range);
    }
}

/// A `safetensors` error on `bytes` made specific: where in the file, and
/// which tensor, found by walking the header as the crate's validation
/// does.
fn diagnose(path: &Path, bytes: &[u8], e: safetensors::SafeTensorError) -> Error {
    use safetensors::SafeTensorError as E;
    let file = |message: String| Error::Safetensors {
        path: path.to_path_buf(),
        message,
    };
    let tensor = |tensor: &str, message: String| Error::Tensor {
        path: path.to_path_buf(),
        tensor: tensor.to_string(),
        message,
    };
    let len = bytes.len();
    let n = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()));
    match (e, n) {
        (E::HeaderTooSmall, _) => file(format!("{len} bytes, shorter than the 8-byte header length")),
        (E::HeaderTooLarge, Some(n)) => file(format!(
            "header length {n} (bytes 0..8) is over the 100 MB the format allows"
        )),
        (E::InvalidHeaderLength, Some(n)) => file(format!(
            "header length {n} (bytes 0..8) runs past the end of the file ({len} bytes)"
        )),
        (
            e @ (E::InvalidOffset(_)
            | E::TensorInvalidInfo
            | E::MisalignedSlice
            | E::ValidationOverflow
            | E::MetadataIncompleteBuffer),
            Some(n),
        ) => {
            let start = 8 + n as usize;
            // The header parsed: walk its tensors in offset order.
            let header: serde_json::Map<String, serde_json::Value> = bytes
                .get(8..start)
                .and_then(|h| serde_json::from_slice(h).ok())
                .unwrap_or_default();
            let mut infos: Vec<(String, safetensors::tensor::TensorInfo)> = header
                .into_iter()
                .filter(|(k, _)| k != "__metadata__")
                .filter_map(|(k, v)| Some((k, serde_json::from_value(v).ok()?)))
                .collect();
            infos.sort_by_key(|(_, i)| i.data_offsets);
            let mut end = 0usize;
            for (name, info) in &infos {
                let (s, e) = info.data_offsets;
                if s != end || e < s {
                    return tensor(
                        name,
                        format!(
                            "data_offsets [{s}, {e}] do not follow the previous tensor's end ({end}): \
                             overlapping, out of order or with a gap"
                        ),
                    );
                }
                let size = info
                    .shape
                    .iter()
                    .try_fold(info.dtype.bitsize(), |a, &d| a.checked_mul(d))
                    .map(|bits| bits.div_ceil(8));
                if size != Some(e - s) {
                    let shape: Vec<String> = info.shape.iter().map(usize::to_string).collect();
                    return tensor(
                        name,
                        format!(
                            "dtype {:?} and shape [{}] make {} bytes, but data_offsets [{s}, {e}] hold {}",
                            info.dtype,
                            shape.join(", "),
                            size.map_or("too many".to_string(), |b| b.to_string()),
                            e - s
                        ),
                    );
                }
                end = e;
            }
            match e {
                E::MetadataIncompleteBuffer => file(format!(
                    "the tensors' data ends at byte {}, but the file has {len} bytes",
                    start.saturating_add(end)
                )),
                e => file(e.to_string()),
            }
        }
        (e, _) => file(e.to_string()),
    }
}

/// A Hugging Face model directory, opened and checked.
#[derive(Debug)]
pub struct ModelDir {
    path: PathBuf,
    config: Config,
    shards: Vec<StShard>,
}

impl ModelDir {
    /// Opens `path`: reads `config.json` (without class defaults: see
    /// [`crate::Import`]) and maps and checks every weights file.
    pub fn open(path: impl AsRef<Path>) -> Result<ModelDir> {
        ModelDir::open_inner(path.as_ref(), true)
    }

    /// [`ModelDir::open`] for `--vocab-only`: a directory without weights
    /// (no index, no `model*.safetensors`) opens with no shards, as the
    /// converter indexes no tensors there; weights that are present are
    /// checked all the same.
    pub fn open_vocab_only(path: impl AsRef<Path>) -> Result<ModelDir> {
        ModelDir::open_inner(path.as_ref(), false)
    }

    fn open_inner(path: &Path, weights_required: bool) -> Result<ModelDir> {
        let path = path.to_path_buf();
        let config = Config::read(&path.join("config.json"))?;
        let index = path.join("model.safetensors.index.json");
        let shards = if index.is_file() {
            Self::open_indexed(&path, &index)?
        } else {
            // The converter's `get_model_part_names`: every file whose name
            // starts with `model` and ends with `.safetensors`, by name.
            let io = |source| Error::Io {
                path: path.clone(),
                source,
            };
            let mut parts = Vec::new();
            for e in std::fs::read_dir(&path).map_err(io)? {
                let name = e.map_err(io)?.file_name();
                if let Some(n) = name.to_str() {
                    if n.starts_with("model") && n.ends_with(".safetensors") {
                        parts.push(n.to_string());
                    }
                }
            }
            if parts.is_empty() && weights_required {
                return Err(Error::NoWeights { dir: path });
            }
            parts.sort();
            parts
                .iter()
                .map(|n| StShard::open(&path.join(n)))
                .collect::<Result<Vec<_>>>()?
        };
        Ok(ModelDir { path, config, shards })
    }

    /// `model.safetensors.index.json`'s `weight_map` from `bytes` (the
    /// contents of `path`, which errors name): each shard's file name and
    /// the tensors the index places in it, by file name. Every entry must
    /// be a plain file name (no directory, no `..`).
    pub fn parse_index(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, Vec<String>>> {
        let json = |message: String| Error::Json {
            path: path.to_path_buf(),
            message,
        };
        let v = crate::json::parse(path, bytes)?;
        let map = v
            .get("weight_map")
            .and_then(|m| m.as_object())
            .ok_or_else(|| json("no weight_map object".into()))?;
        let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (tensor, file) in map {
            let file = file
                .as_str()
                .ok_or_else(|| json(format!("weight_map entry {tensor} is not a file name")))?;
            if file.contains('/') || file.contains('\\') || file == ".." {
                return Err(json(format!(
                    "weight_map entry {tensor}: {file:?} is not a file name"
                )));
            }
            listed.entry(file.to_string()).or_default().push(tensor.clone());
        }
        Ok(listed)
    }

    fn open_indexed(dir: &Path, index: &Path) -> Result<Vec<StShard>> {
        let bytes = std::fs::read(index).map_err(|source| Error::Io {
            path: index.to_path_buf(),
            source,
        })?;
        // Shard file name → the tensors the index puts there.
        let listed = Self::parse_index(index, &bytes)?;
        let placed: std::collections::HashMap<&str, &str> = listed
            .iter()
            .flat_map(|(file, tensors)| tensors.iter().map(move |t| (t.as_str(), file.as_str())))
            .collect();
        // Every shard present before any is read.
        for (file, tensors) in &listed {
            if !dir.join(file).is_file() {
                return Err(Error::MissingShard {
                    dir: dir.to_path_buf(),
                    shard: file.to_string(),
                    tensor: tensors[0].to_string(),
                });
            }
        }
        let mut shards = Vec::with_capacity(listed.len());
        for (file, tensors) in &listed {
            let shard = StShard::open(&dir.join(file))?;
            for name in tensors {
                if shard
                    .tensors
                    .binary_search_by(|t| t.name.as_str().cmp(name.as_str()))
                    .is_err()
                {
                    return Err(Error::Tensor {
                        path: shard.path.clone(),
                        tensor: name.to_string(),
                        message: "listed in model.safetensors.index.json but not in this shard".into(),
                    });
                }
            }
            for t in &shard.tensors {
                if placed.get(t.name.as_str()) != Some(&file.as_str()) {
                    return Err(Error::Tensor {
                        path: shard.path.clone(),
                        tensor: t.name.clone(),
                        message: "in this shard but model.safetensors.index.json does not place it here"
                            .into(),
                    });
                }
            }
            shards.push(shard);
        }
        Ok(shards)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `config.json` as the file has it (no class defaults).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The weight files in the converter's order (by file name).
    pub fn shards(&self) -> &[StShard] {
        &self.shards
    }
}

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
        let bad = |e: safetensors::SafeTensorError| Error::Safetensors {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // Zero-copy parse over the map: checks the header, that the offsets
        // are contiguous and fit each tensor's shape, and the file's length.
        let st = SafeTensors::deserialize(&map).map_err(bad)?;
        let base = map.as_ptr() as usize;
        let mut tensors: Vec<StTensor> = st
            .iter()
            .map(|(name, view)| {
                let start = view.data().as_ptr() as usize - base;
                StTensor {
                    name: name.to_string(),
                    dtype: view.dtype(),
                    shape: view.shape().iter().map(|&d| d as u64).collect(),
                    bytes: start..start + view.data().len(),
                }
            })
            .collect();
        // The converter reads a shard's tensors sorted by name.
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(StShard {
            path: path.to_path_buf(),
            map,
            tensors,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
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

    fn open_indexed(dir: &Path, index: &Path) -> Result<Vec<StShard>> {
        let json = |message: String| Error::Json {
            path: index.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(index).map_err(|source| Error::Io {
            path: index.to_path_buf(),
            source,
        })?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| json(e.to_string()))?;
        let map = v
            .get("weight_map")
            .and_then(|m| m.as_object())
            .ok_or_else(|| json("no weight_map object".into()))?;
        // Shard file name → the tensors the index puts there.
        let mut listed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (tensor, file) in map {
            let file = file
                .as_str()
                .ok_or_else(|| json(format!("weight_map entry {tensor} is not a file name")))?;
            if file.contains('/') || file.contains('\\') || file == ".." {
                return Err(json(format!(
                    "weight_map entry {tensor}: {file:?} is not a file name"
                )));
            }
            listed.entry(file).or_default().push(tensor);
        }
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
                    .binary_search_by(|t| t.name.as_str().cmp(name))
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
                if map.get(&t.name).and_then(|f| f.as_str()) != Some(file) {
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

//! [`Import`] (owning: the mapped model directory, the plan and the
//! synthesized header's bytes) and [`ImportSource`] (borrowing: the parsed
//! header and the tensors), the model as a [`TensorSource`]. A tensor
//! stored as it is written (its dtype the output type, no transform) is
//! borrowed from the safetensors map, and copied file to file by
//! [`gguf_format::stream::write_file`]; other rows are made on request
//! into the caller's scratch buffer — read from the map, transformed,
//! converted — so memory stays bounded by the chunk asked for, never a
//! whole tensor.

use crate::arch::Transform;
use crate::convert::{dtype_size, encode, widen, OutType};
use crate::dir::{ModelDir, StShard, StTensor};
use crate::error::Result;
use crate::general::ImportOptions;
use crate::plan::{Origin, Plan, Planned};
use gguf_format::{ByteOrder, GgmlType, Gguf, GgufBuilder, TensorInfo, TensorSource};
use rayon::prelude::*;
use safetensors::Dtype;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

/// A Hugging Face model directory planned for conversion to one output
/// type: everything the converter decides, made before any tensor is
/// read. [`Import::source`] gives the [`TensorSource`].
#[derive(Debug)]
pub struct Import {
    dir: ModelDir,
    plan: Plan,
    name: String,
    header: Vec<u8>,
}

impl Import {
    /// Opens and checks the directory at `path` ([`ModelDir::open`]) and
    /// plans its conversion to `outtype`.
    pub fn open(path: impl AsRef<Path>, outtype: OutType) -> Result<Import> {
        Import::new(ModelDir::open(path)?, outtype)
    }

    /// [`Import::open`] with the converter's `--model-name` and
    /// `--metadata` ([`ImportOptions`]).
    pub fn open_with(path: impl AsRef<Path>, outtype: OutType, options: &ImportOptions) -> Result<Import> {
        let dir = if options.vocab_only {
            ModelDir::open_vocab_only(path)?
        } else {
            ModelDir::open(path)?
        };
        Import::new_with(dir, outtype, options)
    }

    /// Plans the conversion of an opened directory to `outtype`: fails,
    /// naming it, for an unsupported architecture, a tensor no table maps
    /// or of a dtype the importer does not read, a config key missing.
    pub fn new(dir: ModelDir, outtype: OutType) -> Result<Import> {
        Import::new_with(dir, outtype, &ImportOptions::default())
    }

    /// [`Import::new`] with the converter's `--model-name` and
    /// `--metadata` ([`ImportOptions`]): fails, naming the file, for a
    /// malformed `generation_config.json`, model card front matter or
    /// metadata override file, or a value of a type the converter cannot
    /// write.
    pub fn new_with(dir: ModelDir, outtype: OutType, options: &ImportOptions) -> Result<Import> {
        let plan = Plan::new(&dir, outtype, options)?;
        let mut header = Vec::new();
        // The writer puts header, metadata, tensor infos and padding into
        // `header` at once; the tensor data is the source's to give.
        drop(plan.builder()?.write_header(&mut header)?);
        Ok(Import {
            name: dir.path().display().to_string(),
            dir,
            plan,
            header,
        })
    }

    /// The GGUF architecture (`general.architecture`).
    pub fn architecture(&self) -> &'static str {
        self.plan.arch.name
    }

    /// The output type, `auto` resolved.
    pub fn outtype(&self) -> OutType {
        self.plan.outtype
    }

    /// `config.json` with its class's defaults, as the converter's
    /// `hparams` see it.
    pub fn config(&self) -> &crate::config::Config {
        &self.plan.config
    }

    /// The opened directory.
    pub fn dir(&self) -> &ModelDir {
        &self.dir
    }

    /// The synthesized header's bytes (header, metadata, tensor infos,
    /// padding): what a file written from the source starts with.
    pub fn header_bytes(&self) -> &[u8] {
        &self.header
    }

    /// The file the converter's `--vocab-only` writes (`write_vocab`): the
    /// header and the metadata in `order`, nothing after — no tensor
    /// infos, no alignment padding; `None` unless planned with
    /// [`ImportOptions::vocab_only`].
    pub fn vocab_file(&self, order: ByteOrder) -> Result<Option<Vec<u8>>> {
        if !self.plan.options.vocab_only {
            return Ok(None);
        }
        let header = Gguf::parse_header(&self.header)?;
        let mut builder = GgufBuilder::from_gguf(&header)?;
        builder.set_byte_order(order);
        let mut bytes = Vec::new();
        drop(builder.write_header(&mut bytes)?);
        // With no tensors, the tensor infos end where the metadata does.
        let end = Gguf::parse_header(&bytes)?.tensor_infos_end();
        bytes.truncate(end as usize);
        Ok(Some(bytes))
    }

    /// The model as a [`TensorSource`], borrowing this import.
    pub fn source(&self) -> Result<ImportSource<'_>> {
        let header = Gguf::parse_header(&self.header)?;
        let tensors = header.tensors().to_vec();
        let index = tensors.iter().enumerate().map(|(i, t)| (t.name, i)).collect();
        let n = tensors.len();
        Ok(ImportSource {
            import: self,
            header,
            tensors,
            index,
            signalling: (0..n).map(|_| OnceLock::new()).collect(),
        })
    }

    /// Makes rows `rows` of planned tensor `p` (whose GGUF rows are `row_len`
    /// elements) into `out`.
    fn make_rows(
        &self,
        p: &Planned,
        row_len: u64,
        rows: Range<u64>,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        out.clear();
        let (start, end) = ((rows.start * row_len) as usize, (rows.end * row_len) as usize);
        let mut values: Vec<f32> = Vec::with_capacity(end - start);
        match &p.origin {
            Origin::Generated(v) => values.extend_from_slice(&v[start..end]),
            Origin::Shard {
                shard,
                tensor,
                transform,
                heads,
            } => {
                let shard = &self.dir.shards()[*shard];
                let t = &shard.tensors()[*tensor];
                let data = shard.data(t);
                let size = dtype_size(t.dtype).ok_or("unreadable dtype")?;
                // The permutes move entries of the outermost Hugging Face
                // axis: `unit` elements each (a row of a matrix, one
                // element of a bias).
                let outer = t.shape.first().copied().unwrap_or(1).max(1);
                let unit = (t.shape.iter().product::<u64>() / outer) as usize;
                let source_unit = |u: u64| -> u64 {
                    match transform {
                        Transform::None | Transform::PlusOne | Transform::TruncateVocab => u,
                        Transform::PermuteQ | Transform::PermuteK => unpermuted(u, *heads, outer),
                    }
                };
                let mut e = start;
                while e < end {
                    let (u, off) = (e / unit, e % unit);
                    let n = (unit - off).min(end - e);
                    let from = source_unit(u as u64) as usize * unit + off;
                    widen(t.dtype, &data[from * size..(from + n) * size], &mut values);
                    e += n;
                }
                if *transform == Transform::PlusOne {
                    if t.dtype == safetensors::Dtype::F16 {
                        // torch's f16 add: the sum in float32, rounded to f16.
                        for v in &mut values {
                            *v = half::f16::from_f32(*v + 1.0).to_f32();
                        }
                    } else {
                        for v in &mut values {
                            *v += 1.0;
                        }
                    }
                }
            }
        }
        encode(p.ggml_type, &values, out)
    }
}

/// The output bytes each parallel task makes at a time.
const TASK_BYTES: usize = 256 << 10;

/// The bytes of stored bf16 data scanned for signalling NaNs at a time.
const SCAN_BYTES: usize = 16 << 20;

/// Whether little-endian bf16 `data` holds a NaN whose quiet bit is clear.
fn has_signalling_bf16_nan(data: &[u8]) -> bool {
    // Exponent all ones, quiet bit clear, rest of the mantissa not zero.
    let signalling = |b: &[u8]| {
        let v = u16::from_le_bytes([b[0], b[1]]);
        (v & 0x7fc0 == 0x7f80) & (v & 0x3f != 0)
    };
    // Blocks without an early exit inside, so that the compiler vectorises.
    data.chunks(4096)
        .any(|block| block.chunks_exact(2).fold(false, |seen, b| seen | signalling(b)))
}

/// The stored rows that output rows `rows` (of `n_rows`, just written) of
/// a tensor read with `transform` leave unneeded: those rows themselves
/// when read in place; for a permute, which reads its rows within their
/// head, the heads whose last row they finish (the whole tensor with its
/// last rows, where rows and heads do not line up).
fn released_rows(transform: Transform, heads: u64, n_rows: u64, rows: Range<u64>) -> Option<Range<u64>> {
    match transform {
        Transform::None | Transform::PlusOne | Transform::TruncateVocab => Some(rows),
        Transform::PermuteQ | Transform::PermuteK => {
            // Heads as `unpermuted` splits them.
            let per_head = 2 * (n_rows / heads.max(1) / 2).max(1);
            if n_rows > 1 && n_rows.is_multiple_of(per_head) {
                Some((rows.start / per_head * per_head)..(rows.end / per_head * per_head))
            } else {
                (rows.end == n_rows).then_some(0..n_rows)
            }
        }
    }
}

/// Which entry of the outermost axis (of `outer`, in `heads` heads) output
/// entry `u` comes from when `LlamaModel.permute` undoes Hugging Face's
/// rotary layout: `reshape(heads, 2, outer / heads / 2, ...)`, axes 1 and
/// 2 swapped — output (head h, pair j, half s) is input (h, s, j).
fn unpermuted(u: u64, heads: u64, outer: u64) -> u64 {
    let half = (outer / heads.max(1) / 2).max(1);
    let (h, rem) = (u / (2 * half), u % (2 * half));
    let (j, s) = (rem / 2, rem % 2);
    h * 2 * half + s * half + j
}

/// An [`Import`] as a [`TensorSource`]: its synthesized header parsed, its
/// tensors in the converter's order, rows made on request.
#[derive(Debug)]
pub struct ImportSource<'a> {
    import: &'a Import,
    header: Gguf<'a>,
    tensors: Vec<TensorInfo<'a>>,
    index: HashMap<&'a str, usize>,
    /// Per tensor, once asked: whether its stored bf16 data holds a
    /// signalling NaN (which the converter's bf16 rounding quiets, so the
    /// bytes cannot be copied as they are).
    signalling: Vec<OnceLock<bool>>,
}

impl ImportSource<'_> {
    /// The index of `t` among this source's tensors, checked against our
    /// own description, so that a tensor of another source with the same
    /// name but another type or shape cannot lead the reads astray.
    fn own(&self, t: &TensorInfo<'_>) -> std::result::Result<usize, &'static str> {
        let &i = self.index.get(t.name).ok_or("not a tensor of this source")?;
        let ours = &self.tensors[i];
        if (ours.ggml_type, ours.dims()) != (t.ggml_type, t.dims()) {
            return Err("not this source's tensor of that name (type or shape differs)");
        }
        Ok(i)
    }

    /// The shard and stored tensor behind output tensor `i` when its bytes
    /// are the stored ones as they are (no transform but keeping the first
    /// rows, the stored dtype being the output type): those are read from
    /// the map, and copied file to file, without being converted.
    fn verbatim(&self, i: usize) -> Option<(&StShard, &StTensor)> {
        let Origin::Shard {
            shard,
            tensor,
            transform: Transform::None | Transform::TruncateVocab,
            ..
        } = self.import.plan.tensors.get(i)?.origin
        else {
            return None;
        };
        let shard = self.import.dir.shards().get(shard)?;
        let st = shard.tensors().get(tensor)?;
        let same = match (st.dtype, self.tensors.get(i)?.ggml_type) {
            (Dtype::F32, GgmlType::F32) | (Dtype::F16, GgmlType::F16) => true,
            // The converter widens bf16 to f32 and rounds it back, which
            // quiets a signalling NaN: such data is converted, not copied.
            (Dtype::BF16, GgmlType::BF16) => !*self.signalling.get(i)?.get_or_init(|| {
                // Scanned a chunk at a time, each given back after, so
                // that memory stays bounded by the chunk.
                let data = shard.data(st);
                (0..data.len()).step_by(SCAN_BYTES).any(|at| {
                    let range = at..(at + SCAN_BYTES).min(data.len());
                    let found = has_signalling_bf16_nan(&data[range.clone()]);
                    shard.release(st, range);
                    found
                })
            }),
            _ => false,
        };
        same.then_some((shard, st))
    }
}

impl<'a> TensorSource<'a> for ImportSource<'a> {
    fn name(&self) -> &str {
        &self.import.name
    }

    fn header(&self) -> &Gguf<'a> {
        &self.header
    }

    fn tensors(&self) -> &[TensorInfo<'a>] {
        &self.tensors
    }

    fn tensor(&self, name: &str) -> Option<&TensorInfo<'a>> {
        self.index.get(name).map(|&i| &self.tensors[i])
    }

    fn byte_order(&self, _t: &TensorInfo<'_>) -> ByteOrder {
        ByteOrder::Little
    }

    fn rows<'s>(
        &'s self,
        t: &TensorInfo<'_>,
        rows: Range<u64>,
        scratch: &'s mut Vec<u8>,
    ) -> gguf_format::Result<&'s [u8]> {
        let fail = |m: String| {
            gguf_format::Error::InvalidWrite(format!("{}: tensor {}: {m}", self.import.name, t.name))
        };
        let i = self.own(t).map_err(|m| fail(m.into()))?;
        let ours = &self.tensors[i];
        let range = gguf_format::rows_range(ours, &rows)?;
        if let Some((shard, st)) = self.verbatim(i) {
            // Stored as written: borrowed from the map, no copy.
            return shard
                .data(st)
                .get(range.start as usize..range.end as usize)
                .ok_or_else(|| fail("rows past the stored tensor's end".into()));
        }
        // Rows are made on all cores, a few hundred KiB of output each.
        let total = (range.end - range.start) as usize;
        let row_bytes = (gguf_format::row_bytes(ours)? as usize).max(1);
        let per_task = (TASK_BYTES / row_bytes).max(1);
        scratch.clear();
        scratch.resize(total, 0);
        let planned = &self.import.plan.tensors[i];
        scratch
            .par_chunks_mut(per_task * row_bytes)
            .enumerate()
            .try_for_each_init(Vec::new, |made, (k, dst)| {
                let first = rows.start + (k * per_task) as u64;
                let last = first + (dst.len() / row_bytes) as u64;
                self.import
                    .make_rows(planned, ours.row_len(), first..last, made)?;
                if made.len() != dst.len() {
                    return Err(format!(
                        "rows {first}..{last} made {} bytes, not {}",
                        made.len(),
                        dst.len()
                    ));
                }
                dst.copy_from_slice(made);
                Ok(())
            })
            .map_err(fail)?;
        Ok(scratch)
    }

    fn file_range(&self, t: &TensorInfo<'_>) -> Option<(&std::fs::File, u64)> {
        let i = self.own(t).ok()?;
        self.verbatim(i)
            .map(|(shard, st)| (shard.file(), st.bytes.start as u64))
    }

    fn release(&self, t: &TensorInfo<'_>, rows: Range<u64>) {
        let Some(&i) = self.index.get(t.name) else { return };
        let t = &self.tensors[i];
        let n_rows = t.n_rows();
        if rows.start >= rows.end || rows.end > n_rows {
            return;
        }
        let Origin::Shard {
            shard,
            tensor,
            transform,
            heads,
        } = &self.import.plan.tensors[i].origin
        else {
            return;
        };
        let shard = &self.import.dir.shards()[*shard];
        let st = &shard.tensors()[*tensor];
        let Some(size) = dtype_size(st.dtype) else { return };
        let row_bytes = t.row_len() as usize * size;
        let Some(done) = released_rows(*transform, *heads, n_rows, rows) else {
            return;
        };
        shard.release(st, done.start as usize * row_bytes..done.end as usize * row_bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::{has_signalling_bf16_nan, released_rows, unpermuted};
    use crate::arch::Transform;

    /// Streamed in chunks of any size, a permuted tensor's stored rows are
    /// each given back once, and only after every output row that reads
    /// them is made.
    #[test]
    fn permuted_rows_are_released_once_and_after_their_last_reader() {
        for (n_rows, heads) in [(64u64, 4u64), (32, 8), (96, 3), (6, 2), (7, 1), (1, 1), (12, 4)] {
            for chunk in [1u64, 3, 5, 16, 64, 1000] {
                let mut released = vec![0u32; n_rows as usize];
                let mut start = 0;
                while start < n_rows {
                    let end = (start + chunk).min(n_rows);
                    for r in start..end {
                        let from = unpermuted(r, heads, n_rows);
                        assert_eq!(released[from as usize], 0, "row {from} read after release");
                    }
                    if let Some(done) = released_rows(Transform::PermuteQ, heads, n_rows, start..end) {
                        for r in done {
                            released[r as usize] += 1;
                        }
                    }
                    start = end;
                }
                assert!(
                    released.iter().all(|&n| n == 1),
                    "{n_rows} rows, {heads} heads, chunks of {chunk}: {released:?}"
                );
            }
        }
    }

    #[test]
    fn signalling_bf16_nans_are_found_anywhere() {
        let mut data = vec![0u8; 10_000];
        assert!(!has_signalling_bf16_nan(&data));
        for (v, signalling) in [
            (0x7f81u16, true),
            (0xffbf, true),
            (0x7fc0, false),
            (0x7fc1, false),
            (0x7f80, false), // infinity
            (0xff80, false),
            (0x3f80, false),
        ] {
            for at in [0, 4094, 4096, 9998] {
                data[at..at + 2].copy_from_slice(&v.to_le_bytes());
                assert_eq!(has_signalling_bf16_nan(&data), signalling, "{v:#06x} at {at}");
                data[at..at + 2].fill(0);
            }
        }
    }

    /// `w.reshape(heads, 2, n / heads / 2).swapaxes(1, 2).reshape(n)` on
    /// the indices 0..n, as numpy does it.
    fn numpy_permute(n: u64, heads: u64) -> Vec<u64> {
        let half = n / heads / 2;
        let mut out = Vec::new();
        for h in 0..heads {
            for j in 0..half {
                for s in 0..2 {
                    out.push(h * 2 * half + s * half + j);
                }
            }
        }
        out
    }

    #[test]
    fn unpermute_is_numpys_reshape_and_swap() {
        for (n, heads) in [(64, 4), (32, 2), (16, 1), (8, 4), (96, 3)] {
            let ours: Vec<u64> = (0..n).map(|u| unpermuted(u, heads, n)).collect();
            assert_eq!(ours, numpy_permute(n, heads), "{n} rows, {heads} heads");
        }
    }
}

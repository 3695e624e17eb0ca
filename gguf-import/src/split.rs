//! The converter's shards (`--split-max-tensors`, `--split-max-size`,
//! `--no-tensor-first-split`): the tensors cut as llama-gguf-split cuts them
//! ([`gguf_format::ops::split`]), the first shard carrying all metadata and
//! every shard the `split.*` keys — in gguf-py's order (`split.no`,
//! `split.count`, `split.tensors.count`), which is not llama-gguf-split's.

use gguf_format::ops::{self, Output};
use gguf_format::split::{SplitLimit, SPLIT_COUNT, SPLIT_NO, SPLIT_TENSORS_COUNT};
use gguf_format::TensorSource;

/// The shards of `source` under `limit`, as the converter writes them;
/// name them with [`gguf_format::split::output_names`] and write them with
/// [`gguf_format::write_atomic_all`] so that all appear or none.
pub fn split<'a, S: TensorSource<'a> + ?Sized>(
    source: &S,
    limit: SplitLimit,
    no_tensor_first_split: bool,
) -> gguf_format::Result<Vec<Output<'a>>> {
    let mut outputs = ops::split(source, limit, no_tensor_first_split)?;
    for o in &mut outputs {
        let mut keys = Vec::with_capacity(3);
        for k in [SPLIT_NO, SPLIT_COUNT, SPLIT_TENSORS_COUNT] {
            if let Some(v) = o.builder.remove(k) {
                keys.push((k, v));
            }
        }
        for (k, v) in keys {
            o.builder.set_last(k, v)?;
        }
    }
    Ok(outputs)
}

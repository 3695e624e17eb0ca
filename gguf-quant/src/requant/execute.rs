//! Carrying out a plan: the data of one planned output file, converted row by row on all cores and streamed to a writer ([`execute`]).

use super::options::{check_convertible, Options};
use super::plan::{Plan, PlannedTensor};
use super::{select, RequantError};
use crate::rows::RowConverter;
use gguf_format::{GgmlType, Model, TensorWriter};
use std::io::Write;

/// Progress of [`execute`], reported after every chunk.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Tensors finished.
    pub tensors_done: usize,
    /// Input bytes processed so far.
    pub bytes_done: u64,
}

/// Output bytes per chunk handed to the writer thread. Two chunks are in
/// flight at most (one being written, one being filled), which bounds memory.
const CHUNK_BYTES: usize = 16 << 20;

/// Writes planned output file `output` (0 unless `--keep-split` made
/// several) to `w`. Tensors whose type does not change are
/// copied; the others are converted row by row on all cores — each row
/// decoded to f32 (or read as F32), checked for NaN/Inf, encoded and
/// validated in one pass while it is in cache — in chunks that a separate
/// thread writes while the next chunk is computed. Mapped input pages are
/// released behind the cursor.
pub fn execute<W: Write + Send>(
    m: &Model<'_>,
    plan: &Plan<'_>,
    opts: &Options,
    output: usize,
    w: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<W, RequantError> {
    let out = plan
        .outputs
        .get(output)
        .ok_or(super::OptionError::NoSuchOutput { output })?;
    let tw = out.builder.write_header(w)?;
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let writer = scope.spawn(move || -> Result<TensorWriter<W>, RequantError> {
            let mut tw = tw;
            for buf in full_rx {
                tw.write_chunk(&buf)?;
                // The producer may have finished already; then the buffer is simply dropped.
                let _ = empty_tx.send(buf);
            }
            Ok(tw)
        });
        let produced = produce(
            m,
            &plan.tensors[out.tensors.clone()],
            opts,
            &full_tx,
            &empty_rx,
            progress,
        );
        drop(full_tx);
        let written = writer.join().map_err(|_| RequantError::Writer("panicked"))?;
        // A write error explains a failed send better than the send does.
        let tw = written?;
        produced?;
        Ok(tw.finish()?)
    })
}

/// Fills chunks in output order and hands them to the writer.
fn produce(
    m: &Model<'_>,
    tensors: &[PlannedTensor<'_>],
    opts: &Options,
    full: &std::sync::mpsc::SyncSender<Vec<u8>>,
    empty: &std::sync::mpsc::Receiver<Vec<u8>>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RequantError> {
    let mut done = Progress {
        tensors_done: 0,
        bytes_done: 0,
    };
    let send = |buf: Vec<u8>| full.send(buf).map_err(|_| RequantError::Writer("stopped"));
    let next_buf = || empty.try_recv().unwrap_or_default();
    for t in tensors {
        let data = m.tensor_data(&t.src)?;
        let start = m.tensor_range(&t.src)?.start;
        // Input pages already used are not needed again: give them back as we go.
        let release = |from: u64, to: u64| m.release(&t.src, start + from..start + to);
        if t.choice.ty == t.src.ggml_type {
            let mut at = 0u64;
            for chunk in data.chunks(CHUNK_BYTES) {
                let mut buf = next_buf();
                buf.clear();
                buf.extend_from_slice(chunk);
                send(buf)?;
                release(at, at + chunk.len() as u64);
                at += chunk.len() as u64;
                done.bytes_done += chunk.len() as u64;
                progress(done);
            }
        } else {
            let conv = Conversion::new(t, opts)?;
            let mut row = 0;
            while row < conv.rows {
                let n = conv.chunk_rows.min(conv.rows - row);
                let mut buf = next_buf();
                conv.run(data, row, n, &mut buf)?;
                send(buf)?;
                release(row * conv.in_row as u64, (row + n) * conv.in_row as u64);
                done.bytes_done += n * conv.in_row as u64;
                progress(done);
                row += n;
            }
        }
        done.tensors_done += 1;
        progress(done);
    }
    Ok(())
}

/// How one tensor is converted.
struct Conversion<'p> {
    t: &'p PlannedTensor<'p>,
    rows_of: RowConverter<'p>,
    rows: u64,
    in_row: usize,
    out_row: usize,
    chunk_rows: u64,
}

impl<'p> Conversion<'p> {
    fn new(t: &'p PlannedTensor<'p>, opts: &Options) -> Result<Self, RequantError> {
        check_convertible(&t.src, opts)?;
        let ne = t.src.ne();
        let name = t.src.name;
        let row_size = |ty: GgmlType| {
            ty.info()
                .and_then(|i| i.row_size(ne[0]))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| select::SelectError::NoFallback {
                    tensor: name.to_string(),
                    ty,
                    ne0: ne[0],
                })
        };
        let out_row = row_size(t.choice.ty)?;
        let rows_of = RowConverter::new(t.src.ggml_type, t.choice.ty, ne, t.imatrix).map_err(|e| {
            RequantError::Codec {
                tensor: name.to_string(),
                row: 0,
                source: e,
            }
        })?;
        Ok(Conversion {
            t,
            rows_of,
            rows: t.src.n_rows(),
            in_row: row_size(t.src.ggml_type)?,
            out_row,
            chunk_rows: (CHUNK_BYTES / out_row.max(1)).max(1) as u64,
        })
    }

    /// Converts rows `first..first + n` into `out`, in parallel.
    fn run(&self, data: &[u8], first: u64, n: u64, out: &mut Vec<u8>) -> Result<(), RequantError> {
        use rayon::prelude::*;
        let src = &data[first as usize * self.in_row..(first + n) as usize * self.in_row];
        out.resize(n as usize * self.out_row, 0);
        let ne0 = self.rows_of.row_len();
        let result = out
            .par_chunks_mut(self.out_row)
            .zip(src.par_chunks(self.in_row))
            .enumerate()
            .try_for_each_init(
                || vec![0f32; ne0],
                |f32_row, (i, (dst, s))| {
                    let row = first + i as u64;
                    self.rows_of.convert(s, row, f32_row, dst).map_err(|e| (row, e))
                },
            );
        let Err(seen) = result else {
            return Ok(());
        };
        // Report the first bad row, whichever thread saw a problem first.
        let mut f32_row = vec![0f32; ne0];
        let mut dst = vec![0u8; self.out_row];
        let first_bad = src.chunks(self.in_row).enumerate().find_map(|(i, s)| {
            let row = first + i as u64;
            self.rows_of
                .convert(s, row, &mut f32_row, &mut dst)
                .err()
                .map(|e| (row, e))
        });
        let (row, e) = first_bad.unwrap_or(seen);
        Err(RequantError::from_row(self.t.src.name, row, e))
    }
}

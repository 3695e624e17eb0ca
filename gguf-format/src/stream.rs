//! The one streaming writer: a file's header, then its tensors' data read
//! from a [`TensorSource`] a chunk of rows at a time — copied as stored
//! (file to file where the OS can, byte-swapped where the output's byte
//! order differs) or converted row by row by a [`Convert`] (requantization
//! brings one) — while a second thread writes the previous chunk. Memory
//! stays at two chunks ([`CHUNK_BYTES`]) whatever the model's size, and
//! the source's pages are released behind the cursor.
//!
//! Every writer of whole models goes through here: [`crate::ops`] (split,
//! merge, edit, convert) with [`CopyAll`], `gguf-quant`'s requantizer with
//! its own conversion. Atomic placement of the files is
//! [`crate::write_atomic`] / [`crate::write_atomic_all`]'s.

use crate::error::{Error, Result};
use crate::raw::ByteOrder;
use crate::read::TensorInfo;
use crate::tensor_source::{RowChunks, TensorSource};
use crate::write::{GgufBuilder, TensorWriter};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::sync::mpsc;

/// Bytes of output data per chunk, and of source data per converted
/// chunk. Two chunks are in flight at most (one being written, one being
/// filled), which bounds memory whatever the tensors' sizes.
pub const CHUNK_BYTES: usize = 16 << 20;

/// Bytes of source data byte-swapped (and released) per step: a swap is
/// quick, so pages are given back sooner than a conversion's chunks.
const SWAP_CHUNK_BYTES: u64 = 4 << 20;

/// How far a write has got, reported after every chunk and tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Tensors finished (handed to the writing thread).
    pub tensors_done: usize,
    /// Source bytes read so far.
    pub bytes_done: u64,
}

/// What becomes of each tensor's data on its way to the file.
pub trait Convert: Sync {
    /// The error a conversion can fail with (and the writer's, through `From`).
    type Error: From<Error> + Send;

    /// For the `i`-th tensor written, the bytes of one output row when its
    /// rows are converted; `None` when its data is copied as stored.
    fn out_row_bytes(&self, i: usize) -> Option<usize>;

    /// Converts rows `rows` of the `i`-th tensor, whose source bytes are
    /// `src`, into `out` (resized to the output rows' size), little-endian
    /// (the writer converts it where the file is big-endian).
    fn convert(&self, i: usize, rows: Range<u64>, src: &[u8], out: &mut Vec<u8>) -> Result<(), Self::Error>;
}

/// Every tensor copied as stored (the whole-file operations).
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyAll;

impl Convert for CopyAll {
    type Error = Error;

    fn out_row_bytes(&self, _: usize) -> Option<usize> {
        None
    }

    fn convert(&self, i: usize, _: Range<u64>, _: &[u8], _: &mut Vec<u8>) -> Result<()> {
        Err(Error::InvalidWrite(format!(
            "tensor {i} is copied, not converted"
        )))
    }
}

/// A piece of the data stream, in file order.
enum Piece {
    /// The whole `i`-th tensor, copied from the source by the writing thread.
    Copy(usize),
    /// The byte order of the bytes that follow, before each tensor given
    /// as [`Piece::Bytes`].
    Order(ByteOrder),
    /// The next bytes of the current tensor.
    Bytes(Vec<u8>),
}

/// Writes `builder`'s header and then, in order, the data of `tensors`
/// (the source tensors matching the builder's tensor list one to one) to
/// `w`, and returns `w`. The data is given to the writer in `source`'s byte
/// order and converted to the header's where they differ.
pub fn write<'a, S, C, W>(
    source: &S,
    builder: &GgufBuilder<'_>,
    tensors: &[TensorInfo<'_>],
    convert: &C,
    w: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<W, C::Error>
where
    S: TensorSource<'a> + ?Sized,
    C: Convert,
    W: Write + Send,
{
    run(source, builder, tensors, convert, w, progress, |tw, data, _| {
        tw.write_tensor(data)
    })
}

/// [`write()`] into a file, letting the kernel copy unchanged tensor data
/// file to file where the source has it in a file
/// ([`TensorSource::file_range`]; `copy_file_range` on Linux).
pub fn write_file<'a, S, C>(
    source: &S,
    builder: &GgufBuilder<'_>,
    tensors: &[TensorInfo<'_>],
    convert: &C,
    w: &mut BufWriter<File>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), C::Error>
where
    S: TensorSource<'a> + ?Sized,
    C: Convert,
{
    run(
        source,
        builder,
        tensors,
        convert,
        w,
        progress,
        |tw, data, file| tw.copy_tensor(data, file),
    )?;
    Ok(())
}

fn run<'a, S, C, W, F>(
    source: &S,
    builder: &GgufBuilder<'_>,
    tensors: &[TensorInfo<'_>],
    convert: &C,
    w: W,
    progress: &mut dyn FnMut(Progress),
    copy: F,
) -> Result<W, C::Error>
where
    S: TensorSource<'a> + ?Sized,
    C: Convert,
    W: Write + Send,
    F: Fn(&mut TensorWriter<W>, &[u8], Option<(&File, u64)>) -> Result<()> + Send,
{
    if builder.tensors().len() != tensors.len() {
        return Err(Error::InvalidWrite(format!(
            "the header describes {} tensors, {} were given",
            builder.tensors().len(),
            tensors.len()
        ))
        .into());
    }
    let tw = builder.write_header(w)?;
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Piece>(1);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        let writer = scope.spawn(move || -> Result<TensorWriter<W>> {
            let mut tw = tw;
            let mut scratch = Vec::new();
            for piece in full_rx {
                match piece {
                    Piece::Copy(i) => copy_tensor(source, &tensors[i], &mut tw, &mut scratch, &copy)?,
                    Piece::Order(order) => tw.set_data_order(order)?,
                    Piece::Bytes(buf) => {
                        tw.write_chunk(&buf)?;
                        // The producer may have finished already; then the buffer is simply dropped.
                        let _ = empty_tx.send(buf);
                    }
                }
            }
            Ok(tw)
        });
        let produced = produce(source, tensors, convert, &full_tx, &empty_rx, progress);
        drop(full_tx);
        let written = writer
            .join()
            .map_err(|_| Error::InvalidWrite("the writing thread panicked".into()))?;
        // A write error explains a failed hand-over better than the hand-over does.
        let tw = written?;
        produced?;
        Ok(tw.finish()?)
    })
}

/// Reads (and converts) the data in file order and hands it to the writer.
fn produce<'a, S, C>(
    source: &S,
    tensors: &[TensorInfo<'_>],
    convert: &C,
    full: &mpsc::SyncSender<Piece>,
    empty: &mpsc::Receiver<Vec<u8>>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), C::Error>
where
    S: TensorSource<'a> + ?Sized,
    C: Convert,
{
    let mut done = Progress {
        tensors_done: 0,
        bytes_done: 0,
    };
    let stopped = || Error::InvalidWrite("the writing thread stopped".into());
    let send = |p: Piece| full.send(p).map_err(|_| stopped());
    let next_buf = || empty.try_recv().unwrap_or_default();
    let mut scratch = Vec::new();
    for (i, t) in tensors.iter().enumerate() {
        let n_bytes = t.n_bytes()?;
        match convert.out_row_bytes(i) {
            // Data the source holds in a file (or as it is stored) is copied
            // by the writing thread straight from the source.
            None if source.file_range(t).is_some() || n_bytes == 0 => {
                send(Piece::Copy(i))?;
                done.bytes_done += n_bytes;
            }
            None => {
                send(Piece::Order(source.byte_order(t)))?;
                for rows in RowChunks::by_bytes(t, CHUNK_BYTES as u64)?.iter() {
                    let mut buf = next_buf();
                    buf.clear();
                    buf.extend_from_slice(source.rows(t, rows.clone(), &mut scratch)?);
                    done.bytes_done += buf.len() as u64;
                    send(Piece::Bytes(buf))?;
                    source.release(t, rows);
                    progress(done);
                }
            }
            Some(out_row) => {
                send(Piece::Order(ByteOrder::Little))?;
                // Bounded on both sides: the source rows a chunk reads
                // (mapped, or made by the source) as well as the output.
                let widest = out_row.max(crate::row_bytes(t)? as usize).max(1);
                let chunks = RowChunks::with_rows_per_chunk(t, (CHUNK_BYTES / widest) as u64)?;
                for rows in chunks.iter() {
                    let src = source.rows(t, rows.clone(), &mut scratch)?;
                    let mut buf = next_buf();
                    convert.convert(i, rows.clone(), src, &mut buf)?;
                    done.bytes_done += src.len() as u64;
                    send(Piece::Bytes(buf))?;
                    source.release(t, rows);
                    progress(done);
                }
            }
        }
        done.tensors_done += 1;
        progress(done);
    }
    Ok(())
}

/// The writing thread's copy of a whole tensor: file to file or from the
/// source's memory where its byte order is the output's, else a chunk at a
/// time through the writer's byte swap; pages released behind.
fn copy_tensor<'a, S, W, F>(
    source: &S,
    t: &TensorInfo<'_>,
    tw: &mut TensorWriter<W>,
    scratch: &mut Vec<u8>,
    copy: &F,
) -> Result<()>
where
    S: TensorSource<'a> + ?Sized,
    W: Write,
    F: Fn(&mut TensorWriter<W>, &[u8], Option<(&File, u64)>) -> Result<()>,
{
    let order = source.byte_order(t);
    tw.set_data_order(order)?;
    if t.n_bytes()? == 0 {
        return tw.write_tensor(&[]);
    }
    let all = 0..t.n_rows();
    if !tw.swaps() {
        let data = source.rows(t, all.clone(), scratch)?;
        copy(tw, data, source.file_range(t))?;
    } else {
        for rows in RowChunks::by_bytes(t, SWAP_CHUNK_BYTES)?.iter() {
            tw.write_chunk(source.rows(t, rows.clone(), scratch)?)?;
            // Pages already swapped are not needed again.
            source.release(t, rows);
        }
    }
    source.release(t, all);
    Ok(())
}

//! Carrying out a plan: the data of one planned output file, converted row by row on all cores and streamed to a writer ([`execute`]).

use super::options::{check_convertible, Options};
use super::plan::{Plan, PlannedTensor};
use super::{select, RequantError};
use crate::rows::RowConverter;
use gguf_format::stream::{self, Convert};
use gguf_format::{GgmlType, TensorInfo, TensorSource};
use std::io::Write;
use std::ops::Range;

/// Progress of [`execute`], reported after every chunk and tensor.
pub use gguf_format::stream::Progress;

/// Writes planned output file `output` (0 unless `--keep-split` made
/// several) to `w`, through the one streaming writer
/// ([`gguf_format::stream`]). Tensors whose type does not change are
/// copied; the others are converted row by row on all cores — each row
/// decoded to f32 (or read as F32), checked for NaN/Inf, encoded and
/// validated in one pass while it is in cache — in chunks that a separate
/// thread writes while the next chunk is computed. The source's pages are
/// released behind the cursor.
pub fn execute<'a, S, W>(
    m: &S,
    plan: &Plan<'_>,
    opts: &Options,
    output: usize,
    w: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<W, RequantError>
where
    S: TensorSource<'a> + ?Sized,
    W: Write + Send,
{
    let out = plan
        .outputs
        .get(output)
        .ok_or(super::OptionError::NoSuchOutput { output })?;
    let planned = &plan.tensors[out.tensors.clone()];
    let conversions = Conversions(
        planned
            .iter()
            .map(|t| {
                (t.choice.ty != t.src.ggml_type)
                    .then(|| Conversion::new(t, opts))
                    .transpose()
            })
            .collect::<Result<_, _>>()?,
    );
    let sources: Vec<TensorInfo<'_>> = planned.iter().map(|t| t.src).collect();
    stream::write(m, &out.builder, &sources, &conversions, w, progress)
}

/// The conversion of each tensor of one output file (`None`: copied).
struct Conversions<'p>(Vec<Option<Conversion<'p>>>);

impl Convert for Conversions<'_> {
    type Error = RequantError;

    fn out_row_bytes(&self, i: usize) -> Option<usize> {
        self.0.get(i)?.as_ref().map(|c| c.out_row)
    }

    fn convert(&self, i: usize, rows: Range<u64>, src: &[u8], out: &mut Vec<u8>) -> Result<(), RequantError> {
        match self.0.get(i) {
            Some(Some(c)) => c.run(src, rows.start, out),
            _ => Err(
                gguf_format::Error::InvalidWrite(format!("output tensor {i} is copied, not converted"))
                    .into(),
            ),
        }
    }
}

/// How one tensor is converted.
struct Conversion<'p> {
    t: &'p PlannedTensor<'p>,
    rows_of: RowConverter<'p>,
    in_row: usize,
    out_row: usize,
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
            in_row: row_size(t.src.ggml_type)?,
            out_row,
        })
    }

    /// Converts the rows in `src`, the first of which is row `first`, into
    /// `out`, in parallel.
    fn run(&self, src: &[u8], first: u64, out: &mut Vec<u8>) -> Result<(), RequantError> {
        use rayon::prelude::*;
        out.resize(src.len() / self.in_row.max(1) * self.out_row, 0);
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

//! Whole rows of tensor data, as requantization, its quality estimate and
//! comparison use them: the one row walker over a [`TensorSource`]
//! ([`TensorRows`]: a tensor's rows in chunks, as bytes or decoded to
//! f32), decode any type from a file of either byte order ([`decode_rows`]), and
//! convert a row from one type to another the way llama-quantize does —
//! decode to f32, refuse NaN and infinities, encode with the row's slice of
//! the importance matrix, validate the result ([`RowConverter`]).

use crate::{decode_row, encode_row, find_non_finite, validate_row, Error, GgmlType};
use gguf_format::{ByteOrder, RowChunks, TensorInfo, TensorSource};
use std::ops::Range;

/// Elements per chunk of rows the engines decode at a time (in parallel,
/// a chunk per thread): a few hundred kilobytes of f32 per thread.
pub const CHUNK_ELEMENTS: u64 = 1 << 18;

/// One tensor of a [`TensorSource`], walked a chunk of rows at a time:
/// the chunks ([`TensorRows::chunks`], at most the element count given),
/// each chunk's bytes as the source stores them ([`TensorRows::bytes`]) or
/// decoded to f32 whatever the type and byte order
/// ([`TensorRows::decode`]). Callers walk the chunks in order or in
/// parallel (each thread with its own [`Scratch`]) and combine results in
/// chunk order, so the result does not depend on the schedule.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use gguf_quant::rows::{Scratch, TensorRows};
/// let files = gguf_format::ModelFiles::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f16.gguf"))?;
/// let model = files.parse()?;
/// let t = *model.tensor("output.weight").unwrap();
/// let rows = TensorRows::new(&model, t, 1 << 12)?;
/// let (mut values, mut scratch, mut n) = (Vec::new(), Scratch::default(), 0);
/// for chunk in rows.chunks().iter() {
///     rows.decode(chunk, &mut values, &mut scratch)?;
///     n += values.len() as u64;
/// }
/// rows.release_all();
/// assert_eq!(n, t.n_elements());
/// # Ok(()) }
/// ```
pub struct TensorRows<'s, 'a, S: ?Sized> {
    source: &'s S,
    t: TensorInfo<'a>,
    chunks: RowChunks,
}

/// Per-thread buffers of [`TensorRows`]: the bytes a source makes (where
/// it does not lend them) and big-endian data put in little-endian order.
#[derive(Debug, Default)]
pub struct Scratch {
    bytes: Vec<u8>,
    swapped: Vec<u8>,
}

/// Why rows could not be read or decoded.
#[derive(Debug, thiserror::Error)]
pub enum RowsError {
    /// The source could not give the bytes.
    #[error(transparent)]
    Source(#[from] gguf_format::Error),
    /// The codec could not decode them.
    #[error(transparent)]
    Codec(#[from] Error),
}

impl<'s, 'a, S: TensorSource<'a> + ?Sized> TensorRows<'s, 'a, S> {
    /// Tensor `t` of `source`, in chunks of at most `max_elements` elements
    /// (at least a row). Fails, naming the tensor, when its type is unknown
    /// or its rows are not whole blocks.
    pub fn new(source: &'s S, t: TensorInfo<'a>, max_elements: u64) -> Result<Self, gguf_format::Error> {
        Ok(TensorRows {
            source,
            chunks: RowChunks::new(&t, max_elements)?,
            t,
        })
    }

    /// The tensor.
    pub fn tensor(&self) -> &TensorInfo<'a> {
        &self.t
    }

    /// The chunks.
    pub fn chunks(&self) -> &RowChunks {
        &self.chunks
    }

    /// The bytes of `rows`, in the tensor's stored type and the source's
    /// byte order ([`TensorRows::byte_order`]).
    pub fn bytes<'b>(
        &'b self,
        rows: Range<u64>,
        scratch: &'b mut Scratch,
    ) -> Result<&'b [u8], gguf_format::Error> {
        self.source.rows(&self.t, rows, &mut scratch.bytes)
    }

    /// The byte order of [`TensorRows::bytes`].
    pub fn byte_order(&self) -> ByteOrder {
        self.source.byte_order(&self.t)
    }

    /// `rows` decoded to f32 into `out` (resized to fit).
    pub fn decode(
        &self,
        rows: Range<u64>,
        out: &mut Vec<f32>,
        scratch: &mut Scratch,
    ) -> Result<(), RowsError> {
        let order = self.byte_order();
        let bytes = self.source.rows(&self.t, rows, &mut scratch.bytes)?;
        decode_rows(self.t.ggml_type, order, bytes, out, &mut scratch.swapped)?;
        Ok(())
    }

    /// Gives back every row (the source may drop them).
    pub fn release_all(&self) {
        self.source.release(&self.t, 0..self.t.n_rows());
    }
}

/// Decodes whole rows of `ty` stored in byte order `order` into `out`
/// (resized to fit). Big-endian data is put into little-endian order first,
/// by the type's byte-swap layout ([`gguf_format::TypeInfo::swap`]), in the
/// scratch buffer `swapped`.
pub fn decode_rows(
    ty: GgmlType,
    order: ByteOrder,
    bytes: &[u8],
    out: &mut Vec<f32>,
    swapped: &mut Vec<u8>,
) -> Result<(), Error> {
    let info = ty.info().ok_or(Error::Unsupported {
        ty,
        op: crate::Operation::Decode,
    })?;
    let blocks = bytes.len() / info.type_size as usize;
    out.resize(blocks * info.block_size as usize, 0.0);
    match order {
        ByteOrder::Little => decode_row(ty, bytes, out),
        ByteOrder::Big => {
            swapped.clear();
            swapped.extend_from_slice(bytes);
            gguf_format::endian::swap_tensor_data(ty, swapped).map_err(|_| Error::Unsupported {
                ty,
                op: crate::Operation::Decode,
            })?;
            decode_row(ty, swapped, out)
        }
    }
}

/// Why one row could not be converted.
#[derive(Debug, Clone, PartialEq)]
pub enum RowError {
    /// The decoded row holds NaN or an infinity (llama-quantize refuses such
    /// input: "tensor has invalid data").
    NonFinite {
        /// The first such column.
        col: usize,
        /// Its value.
        value: f32,
    },
    /// Decoding or encoding refused the row.
    Codec(Error),
    /// The encoded row failed `ggml_validate_row_data` (a scale overflowed f16).
    Invalid(Error),
}

/// Converts rows of one tensor from its type to another, as llama-quantize
/// does, one row at a time into caller buffers (so callers can run rows in
/// parallel). For 3-D expert tensors, row `r` uses the importance weights of
/// its expert: the slice at `(r / rows_per_matrix % experts) · ne0`.
#[derive(Debug, Clone, Copy)]
pub struct RowConverter<'w> {
    from: GgmlType,
    to: GgmlType,
    ne0: usize,
    rows_per_matrix: u64,
    experts: u64,
    imatrix: Option<&'w [f32]>,
}

impl<'w> RowConverter<'w> {
    /// Rows of `ne[0]` elements, `ne[1]` rows per expert matrix and `ne[2]`
    /// experts, from type `from` to type `to`, with `imatrix` (one weight per
    /// column per expert: `ne[0]·ne[2]` values) if given.
    pub fn new(
        from: GgmlType,
        to: GgmlType,
        ne: [u64; 4],
        imatrix: Option<&'w [f32]>,
    ) -> Result<Self, Error> {
        let ne0 = usize::try_from(ne[0]).unwrap_or(usize::MAX);
        if let Some(w) = imatrix {
            let need = ne0.saturating_mul(usize::try_from(ne[2].max(1)).unwrap_or(usize::MAX));
            if w.len() != need {
                return Err(Error::ImatrixLength {
                    expected: need,
                    actual: w.len(),
                });
            }
        }
        Ok(RowConverter {
            from,
            to,
            ne0,
            rows_per_matrix: ne[1].max(1),
            experts: ne[2].max(1),
            imatrix,
        })
    }

    /// Elements per row.
    pub fn row_len(&self) -> usize {
        self.ne0
    }

    /// The importance weights for row `row`: its expert's slice.
    pub fn weights(&self, row: u64) -> Option<&'w [f32]> {
        self.imatrix.map(|w| {
            let e = ((row / self.rows_per_matrix) % self.experts) as usize;
            &w[e * self.ne0..(e + 1) * self.ne0]
        })
    }

    /// Converts row `row` from `src` into `dst`; `scratch` holds the f32 row
    /// (at least [`Self::row_len`] long).
    pub fn convert(&self, src: &[u8], row: u64, scratch: &mut [f32], dst: &mut [u8]) -> Result<(), RowError> {
        let f32_row = &mut scratch[..self.ne0];
        self.decode(src, f32_row)?;
        self.encode(f32_row, row, dst)
    }

    /// The first half of [`Self::convert`]: decodes one row of the source
    /// type into `f32_row` and refuses NaN and infinities.
    pub fn decode(&self, src: &[u8], f32_row: &mut [f32]) -> Result<(), RowError> {
        decode_row(self.from, src, f32_row).map_err(RowError::Codec)?;
        match find_non_finite(f32_row) {
            Some(col) => Err(RowError::NonFinite {
                col,
                value: f32_row[col],
            }),
            None => Ok(()),
        }
    }

    /// The second half of [`Self::convert`]: encodes the decoded row `row`
    /// into `dst` with its importance weights and validates the result.
    pub fn encode(&self, f32_row: &[f32], row: u64, dst: &mut [u8]) -> Result<(), RowError> {
        encode_row(self.to, f32_row, dst, self.weights(row)).map_err(RowError::Codec)?;
        validate_row(self.to, dst).map_err(RowError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_rows_decode_like_little_endian_ones() {
        let row: Vec<f32> = (0..256).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut q = vec![0u8; 144];
        encode_row(GgmlType::Q4_K, &row, &mut q, None).unwrap();
        let mut be = q.clone();
        gguf_format::endian::swap_tensor_data(GgmlType::Q4_K, &mut be).unwrap();
        let (mut a, mut b, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
        decode_rows(GgmlType::Q4_K, ByteOrder::Little, &q, &mut a, &mut scratch).unwrap();
        decode_rows(GgmlType::Q4_K, ByteOrder::Big, &be, &mut b, &mut scratch).unwrap();
        assert_eq!(a.len(), 256);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn conversion_refuses_non_finite_rows_and_picks_expert_weights() {
        let mut src = vec![0u8; 32 * 4];
        src[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        let w: Vec<f32> = (0..64).map(|i| i as f32).collect();
        let c = RowConverter::new(GgmlType::F32, GgmlType::Q8_0, [32, 2, 2, 1], Some(&w)).unwrap();
        assert_eq!(c.weights(0).unwrap()[0], 0.0);
        assert_eq!(
            c.weights(2).unwrap()[0],
            32.0,
            "rows 2 and 3 belong to the second expert"
        );
        let mut scratch = vec![0f32; 32];
        let mut dst = vec![0u8; 34];
        assert!(matches!(
            c.convert(&src, 0, &mut scratch, &mut dst),
            Err(RowError::NonFinite { col: 1, .. })
        ));
        assert!(RowConverter::new(GgmlType::F32, GgmlType::Q8_0, [32, 2, 2, 1], Some(&w[..10])).is_err());
    }
}

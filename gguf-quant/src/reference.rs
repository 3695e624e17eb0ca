//! The scalar reference paths, for tests and benchmarks (cargo feature
//! `reference`; not needed to use the crate): the same encoders with every
//! lane-parallel search replaced by the scalar port of ggml it mirrors, the
//! lane bodies in their portable build, and decoders in ggml's own loop
//! order where ours are rearranged for the vector unit. Outputs must be
//! bit-identical to [`crate::encode_row`] and [`crate::decode_row`];
//! `tests/fast_paths.rs` checks that they are.
//!
//! ```
//! use gguf_quant::reference::encode_row_scalar;
//! use gguf_quant::{encode_row, GgmlType};
//!
//! let row: Vec<f32> = (0..256).map(|i| (i as f32 * 0.37).cos()).collect();
//! let (mut fast, mut scalar) = (vec![0u8; 144], vec![0u8; 144]);
//! encode_row(GgmlType::Q4_K, &row, &mut fast, None)?;
//! encode_row_scalar(GgmlType::Q4_K, &row, &mut scalar, None)?;
//! assert_eq!(fast, scalar);
//! # Ok::<(), gguf_quant::Error>(())
//! ```

use crate::{GgmlType, Result};

/// [`crate::encode_row`] through the scalar references only. Same
/// contract and errors; affects the calling thread only.
///
/// # Errors
/// As [`crate::encode_row`].
pub fn encode_row_scalar(ty: GgmlType, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) -> Result<()> {
    crate::arch::with_path(crate::arch::Path::Scalar, || {
        crate::encode_row(ty, src, dst, imatrix)
    })
}

/// [`crate::encode_row`] with the lane-parallel searches in their portable
/// build (no AVX2), which CPUs without AVX2 run. Same contract and errors;
/// affects the calling thread only.
///
/// # Errors
/// As [`crate::encode_row`].
pub fn encode_row_portable(ty: GgmlType, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) -> Result<()> {
    crate::arch::with_path(crate::arch::Path::Portable, || {
        crate::encode_row(ty, src, dst, imatrix)
    })
}

/// [`crate::decode_row`] through the scalar references: ggml's loop order
/// for Q2_K and Q3_K (whose decoders are rearranged for vectorisation), the
/// ordinary decoder for every other type. Same contract and errors.
///
/// # Errors
/// As [`crate::decode_row`].
pub fn decode_row_scalar(ty: GgmlType, src: &[u8], dst: &mut [f32]) -> Result<()> {
    let reference: fn(&[u8], &mut [f32]) = match ty {
        GgmlType::Q2_K => crate::family::kquants::reference::decode_q2_k,
        GgmlType::Q3_K => crate::family::kquants::reference::decode_q3_k,
        _ => return crate::decode_row(ty, src, dst),
    };
    let size = crate::codec(ty).map_or(1, |c| c.type_size);
    if !src.len().is_multiple_of(size) || dst.len() != src.len() / size * 256 {
        // The ordinary path names the length error.
        return crate::decode_row(ty, src, dst);
    }
    reference(src, dst);
    Ok(())
}

/// Whether [`crate::encode_row`] runs the AVX2 code of its lane-parallel
/// searches on this CPU: x86-64 with AVX2, detected at run time. When
/// false, its fast path is the portable build ([`encode_row_portable`]
/// computes exactly what it computes).
pub fn fast_path_uses_avx2() -> bool {
    crate::arch::avx2()
}

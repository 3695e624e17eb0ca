//! The scalar reference paths, for tests and benchmarks: the same encoders
//! with every lane-parallel search (`lanes.rs`) replaced by the scalar
//! port of ggml it mirrors (`search.rs`). Outputs must be byte-identical to
//! [`crate::encode_row`]; `tests/fast_paths.rs` checks that they are.

use crate::{GgmlType, Result};

/// [`crate::encode_row`] through the scalar references only. Same
/// contract and errors; affects the calling thread only.
///
/// # Errors
/// As [`crate::encode_row`].
pub fn encode_row_scalar(ty: GgmlType, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) -> Result<()> {
    crate::lanes::with_scalar(|| crate::encode_row(ty, src, dst, imatrix))
}

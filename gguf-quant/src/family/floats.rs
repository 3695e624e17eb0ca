//! Plain floating-point "codecs": F32 (a copy), F16 and BF16, element by
//! element as `ggml_fp32_to_fp16_row` / `ggml_fp32_to_bf16_row_ref` and their
//! inverses do. All little-endian.

use crate::numerics::{bf16_to_fp32, fp32_to_bf16, fp32_to_fp16};

/// F32 → F32: the bytes of each value.
pub(crate) fn encode_f32(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.iter().zip(dst.chunks_exact_mut(4)) {
        y.copy_from_slice(&x.to_le_bytes());
    }
}

/// F32 bytes → f32.
pub(crate) fn decode_f32(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(4).zip(dst.iter_mut()) {
        *y = f32::from_le_bytes([x[0], x[1], x[2], x[3]]);
    }
}

/// f32 → F16 (round to nearest even, NaN → `sign|0x7E00`).
pub(crate) fn encode_f16(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.iter().zip(dst.chunks_exact_mut(2)) {
        y.copy_from_slice(&fp32_to_fp16(*x).to_le_bytes());
    }
}

/// F16 → f32, exact. Converts a block of values at a time with `half`'s
/// slice conversion (F16C where the CPU has it), the same conversion as
/// `fp16_to_fp32` per element, which the tests compare it with.
pub(crate) fn decode_f16(src: &[u8], dst: &mut [f32]) {
    use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
    const BLOCK: usize = 256;
    let mut bits = [0u16; BLOCK];
    for (x, y) in src.chunks(2 * BLOCK).zip(dst.chunks_mut(BLOCK)) {
        let n = (x.len() / 2).min(y.len());
        for (b, p) in bits.iter_mut().zip(x.chunks_exact(2)) {
            *b = u16::from_le_bytes([p[0], p[1]]);
        }
        let halves: &[half::f16] = bits[..n].reinterpret_cast();
        halves.convert_to_f32_slice(&mut y[..n]);
    }
}

/// The per-element reference of [`decode_f16`].
#[cfg(test)]
pub(crate) fn decode_f16_scalar(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(2).zip(dst.iter_mut()) {
        *y = crate::numerics::fp16_to_fp32(u16::from_le_bytes([x[0], x[1]]));
    }
}

/// f32 → BF16 (round to nearest even, NaN kept quiet).
pub(crate) fn encode_bf16(src: &[f32], dst: &mut [u8]) {
    for (x, y) in src.iter().zip(dst.chunks_exact_mut(2)) {
        y.copy_from_slice(&fp32_to_bf16(*x).to_le_bytes());
    }
}

/// BF16 → f32, exact.
pub(crate) fn decode_bf16(src: &[u8], dst: &mut [f32]) {
    for (x, y) in src.chunks_exact(2).zip(dst.iter_mut()) {
        *y = bf16_to_fp32(u16::from_le_bytes([x[0], x[1]]));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bulk_f16_decode_matches_per_element_on_every_value() {
        let bytes: Vec<u8> = (0..=u16::MAX).flat_map(|h| h.to_le_bytes()).collect();
        // Odd lengths exercise the tail of a block.
        for len in [65536usize, 65535, 300, 1] {
            let (mut a, mut b) = (vec![0f32; len], vec![0f32; len]);
            super::decode_f16(&bytes[..2 * len], &mut a);
            super::decode_f16_scalar(&bytes[..2 * len], &mut b);
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                assert_eq!(x.to_bits(), y.to_bits(), "f16 bits {i:#06x}");
            }
        }
    }
}

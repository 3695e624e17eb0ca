//! The output types (`--outtype`) and the number conversions, bit-exact
//! with the converter's dtype path: safetensors bytes → torch (bf16
//! widened to float32 exactly, f16 kept as f16) → numpy → gguf-py's
//! `quants.quantize`: `astype(float16)` (round to nearest even), its BF16
//! rounding, ggml's reference Q8_0.

use crate::error::{Error, Result};
use gguf_format::GgmlType;
use safetensors::Dtype;
use std::str::FromStr;

/// The converter's `--outtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutType {
    /// `f32`: every tensor F32.
    F32,
    /// `f16`: matrices F16.
    F16,
    /// `bf16`: matrices BF16.
    Bf16,
    /// `q8_0`: matrices Q8_0 (F16 where a row is not whole blocks of 32).
    Q8_0,
    /// `auto`: BF16 when the first matrix of bf16 or f16 weights is bf16,
    /// F16 otherwise.
    Auto,
}

impl FromStr for OutType {
    type Err = Error;

    fn from_str(s: &str) -> Result<OutType> {
        Ok(match s {
            "f32" => OutType::F32,
            "f16" => OutType::F16,
            "bf16" => OutType::Bf16,
            "q8_0" => OutType::Q8_0,
            "auto" => OutType::Auto,
            _ => return Err(Error::OutType(s.to_string())),
        })
    }
}

impl OutType {
    /// The type of a tensor the converter would quantize (not forced to
    /// F32), before Q8_0's fallback; `Auto` must have been resolved.
    pub(crate) fn matrix_type(self) -> GgmlType {
        match self {
            OutType::F32 => GgmlType::F32,
            OutType::F16 | OutType::Auto => GgmlType::F16,
            OutType::Bf16 => GgmlType::BF16,
            OutType::Q8_0 => GgmlType::Q8_0,
        }
    }

    /// `general.file_type` (llama.cpp's `llama_ftype`).
    pub fn file_type(self) -> u32 {
        match self {
            OutType::F32 => 0,
            OutType::F16 | OutType::Auto => 1,
            OutType::Q8_0 => 7,
            OutType::Bf16 => 32,
        }
    }
}

/// Bytes per element of a readable safetensors dtype; `None` for the
/// dtypes the importer refuses.
pub(crate) fn dtype_size(d: Dtype) -> Option<usize> {
    match d {
        Dtype::F32 => Some(4),
        Dtype::F16 | Dtype::BF16 => Some(2),
        _ => None,
    }
}

/// Appends the elements stored in `bytes` (little-endian `d`) to `out`
/// as f32, exactly (every f16 and bf16 is an f32).
pub(crate) fn widen(d: Dtype, bytes: &[u8], out: &mut Vec<f32>) {
    match d {
        Dtype::F32 => out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ),
        Dtype::F16 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()),
        ),
        Dtype::BF16 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16)),
        ),
        // Refused when the plan is made.
        _ => unreachable!("dtype {d:?} is refused before rows are read"),
    }
}

/// gguf-py's f32 → bf16 (`quants.BF16`, as ggml's
/// `ggml_compute_fp32_to_bf16`): NaNs made quiet, others rounded to
/// nearest even.
pub(crate) fn bf16_bits(x: f32) -> u16 {
    let n = x.to_bits();
    let n = if n & 0x7fff_ffff > 0x7f80_0000 {
        (n & 0xffff_0000) | (64 << 16)
    } else {
        n
    };
    ((u64::from(n) + 0x7fff + u64::from((n >> 16) & 1)) >> 16) as u16
}

/// Encodes `src` (whole rows) as `ty` into `dst`, little-endian.
pub(crate) fn encode(ty: GgmlType, src: &[f32], dst: &mut Vec<u8>) -> std::result::Result<(), String> {
    match ty {
        GgmlType::F32 => dst.extend(src.iter().flat_map(|x| x.to_le_bytes())),
        GgmlType::F16 => dst.extend(src.iter().flat_map(|&x| half::f16::from_f32(x).to_le_bytes())),
        GgmlType::BF16 => dst.extend(src.iter().flat_map(|&x| bf16_bits(x).to_le_bytes())),
        GgmlType::Q8_0 => {
            let start = dst.len();
            dst.resize(start + src.len() / 32 * 34, 0);
            gguf_quant::encode_row(GgmlType::Q8_0, src, &mut dst[start..], None)
                .map_err(|e| e.to_string())?;
        }
        _ => return Err(format!("output type {ty} is not one the importer writes")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_rounds_to_nearest_even_and_quiets_nans() {
        assert_eq!(bf16_bits(1.0), 0x3f80);
        assert_eq!(bf16_bits(f32::from_bits(0x3f80_8000)), 0x3f80); // tie, even stays
        assert_eq!(bf16_bits(f32::from_bits(0x3f81_8000)), 0x3f82); // tie, odd rounds up
        assert_eq!(bf16_bits(f32::from_bits(0x7f80_0001)), 0x7fc0);
        assert_eq!(bf16_bits(f32::INFINITY), 0x7f80);
    }

    #[test]
    fn outtypes_parse() {
        assert_eq!("q8_0".parse::<OutType>().unwrap(), OutType::Q8_0);
        assert!(matches!("q4_k".parse::<OutType>(), Err(Error::OutType(_))));
    }
}

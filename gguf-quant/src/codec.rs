//! The codec table: for every ggml type, its block geometry and which of
//! encode / weighted encode / decode / validate this crate can do, plus the
//! row-level entry points that check lengths before calling a codec.
//!
//! This is the only place that maps a type to its functions; everything
//! else looks a type up here. Block geometry is not copied here: it is read
//! from [`gguf_format::GGML_TYPES`] at compile time. The codecs themselves
//! are in `family/`, one module per family of types; their searches' fast
//! paths are in `arch/`.

use gguf_format::{GgmlType, GGML_TYPES};
use rayon::prelude::*;

use crate::error::{Error, Operation, Result};
use crate::family::iq::{decode as iq, encode as iq_encode};
use crate::family::{floats, fp4, iq4, kquants, legacy, lowbit, ternary};

/// Encodes whole blocks of f32 into bytes, without importance weights.
type EncodeFn = fn(&[f32], &mut [u8]);
/// Encodes one row with importance weights (one per element of the row).
type EncodeWeightedFn = fn(&[f32], &mut [u8], &[f32]);
/// Decodes whole blocks into f32.
type DecodeFn = fn(&[u8], &mut [f32]);

/// What `ggml_validate_row_data` checks for a type.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// Nothing (integer types, NVFP4).
    Nothing,
    /// Every element is an f32 that must be finite.
    F32,
    /// Every element is an f64 that must be finite.
    F64,
    /// Every element is an f16 that must be finite.
    F16,
    /// Every element is a bf16 that must be finite.
    Bf16,
    /// The f16 scales at these byte offsets of each block must be finite.
    F16At(&'static [usize]),
    /// The f32 scale at this byte offset of each block must be finite.
    F32At(usize),
    /// The E8M0 exponent at this byte offset must not be 0xFF.
    E8m0At(usize),
    /// IQ1_M: the f16 scale spread over the four scale words at offset 48.
    Iq1m,
    /// ggml's validator has no case for the type and rejects it (Q8_1).
    Refuse,
}

/// One ggml type's codec: block geometry and the operations available.
///
/// Get one with [`codec`]; every type ggml defines has an entry, even when
/// this crate can neither encode nor decode it (then only
/// [`Codec::validate_row`] works).
///
/// ```
/// use gguf_quant::{codec, GgmlType};
///
/// let q8 = codec(GgmlType::Q8_0).unwrap();
/// let row: Vec<f32> = (0..64).map(|i| (i as f32 * 0.3).cos()).collect();
/// let mut q = vec![0u8; q8.row_size(row.len()).unwrap()]; // 2 blocks of 34 bytes
/// q8.encode_row(&row, &mut q, None)?;
/// q8.validate_row(&q)?;
/// let mut back = vec![0f32; 64];
/// q8.decode_row(&q, &mut back)?;
/// assert!(row.iter().zip(&back).all(|(a, b)| (a - b).abs() < 0.01));
/// # Ok::<(), gguf_quant::Error>(())
/// ```
#[derive(Debug)]
pub struct Codec {
    /// The type.
    pub ty: GgmlType,
    /// Elements per block (1 for plain types).
    pub block_size: usize,
    /// Bytes per block.
    pub type_size: usize,
    encode: Option<EncodeFn>,
    encode_weighted: Option<EncodeWeightedFn>,
    decode: Option<DecodeFn>,
    check: Check,
}

macro_rules! table {
    ($( $ty:ident enc=$enc:expr, wenc=$wenc:expr, dec=$dec:expr, check=$check:expr; )*) => {
        /// Every ggml type, in id order.
        static CODECS: &[Codec] = &[
            $( Codec {
                ty: GgmlType::$ty,
                block_size: sizes(GgmlType::$ty).0,
                type_size: sizes(GgmlType::$ty).1,
                encode: $enc,
                encode_weighted: $wenc,
                decode: $dec,
                check: $check,
            }, )*
        ];
    };
}

/// `ty`'s elements and bytes per block, from [`gguf_format::GGML_TYPES`]
/// (evaluated at compile time: a type missing there fails the build).
const fn sizes(ty: GgmlType) -> (usize, usize) {
    let mut i = 0;
    while i < GGML_TYPES.len() {
        let info = &GGML_TYPES[i];
        if info.ty.0 == ty.0 {
            return (info.block_size as usize, info.type_size as usize);
        }
        i += 1;
    }
    panic!("a codec for a type gguf_format does not define");
}

const D0: Check = Check::F16At(&[0]);
const DM0: Check = Check::F16At(&[0, 2]);

table! {
    F32 enc=Some(floats::encode_f32), wenc=None, dec=Some(floats::decode_f32), check=Check::F32;
    F16 enc=Some(floats::encode_f16), wenc=None, dec=Some(floats::decode_f16), check=Check::F16;
    Q4_0 enc=Some(legacy::encode_q4_0), wenc=Some(legacy::encode_q4_0_w), dec=Some(legacy::decode_q4_0), check=D0;
    Q4_1 enc=Some(legacy::encode_q4_1), wenc=Some(legacy::encode_q4_1_w), dec=Some(legacy::decode_q4_1), check=DM0;
    Q5_0 enc=Some(legacy::encode_q5_0), wenc=Some(legacy::encode_q5_0_w), dec=Some(legacy::decode_q5_0), check=D0;
    Q5_1 enc=Some(legacy::encode_q5_1), wenc=Some(legacy::encode_q5_1_w), dec=Some(legacy::decode_q5_1), check=DM0;
    Q8_0 enc=Some(legacy::encode_q8_0), wenc=None, dec=Some(legacy::decode_q8_0), check=D0;
    Q8_1 enc=Some(legacy::encode_q8_1), wenc=None, dec=None, check=Check::Refuse;
    Q2_K enc=Some(kquants::encode_q2_k), wenc=Some(kquants::encode_q2_k_w), dec=Some(kquants::decode_q2_k), check=Check::F16At(&[80, 82]);
    Q3_K enc=Some(kquants::encode_q3_k), wenc=Some(kquants::encode_q3_k_w), dec=Some(kquants::decode_q3_k), check=Check::F16At(&[108]);
    Q4_K enc=Some(kquants::encode_q4_k), wenc=Some(kquants::encode_q4_k_w), dec=Some(kquants::decode_q4_k), check=DM0;
    Q5_K enc=Some(kquants::encode_q5_k), wenc=Some(kquants::encode_q5_k_w), dec=Some(kquants::decode_q5_k), check=DM0;
    Q6_K enc=Some(kquants::encode_q6_k), wenc=Some(kquants::encode_q6_k_w), dec=Some(kquants::decode_q6_k), check=Check::F16At(&[208]);
    Q8_K enc=Some(kquants::encode_q8_k), wenc=None, dec=Some(kquants::decode_q8_k), check=Check::F32At(0);
    IQ2_XXS enc=None, wenc=Some(iq_encode::encode_iq2_xxs_w), dec=Some(iq::decode_iq2_xxs), check=D0;
    IQ2_XS enc=None, wenc=Some(iq_encode::encode_iq2_xs_w), dec=Some(iq::decode_iq2_xs), check=D0;
    IQ3_XXS enc=Some(iq_encode::encode_iq3_xxs), wenc=Some(iq_encode::encode_iq3_xxs_w), dec=Some(iq::decode_iq3_xxs), check=D0;
    IQ1_S enc=None, wenc=Some(iq_encode::encode_iq1_s_w), dec=Some(iq::decode_iq1_s), check=D0;
    IQ4_NL enc=Some(iq4::encode_iq4_nl), wenc=Some(iq4::encode_iq4_nl_w), dec=Some(iq4::decode_iq4_nl), check=D0;
    IQ3_S enc=Some(iq_encode::encode_iq3_s), wenc=Some(iq_encode::encode_iq3_s_w), dec=Some(iq::decode_iq3_s), check=D0;
    IQ2_S enc=Some(iq_encode::encode_iq2_s), wenc=Some(iq_encode::encode_iq2_s_w), dec=Some(iq::decode_iq2_s), check=D0;
    IQ4_XS enc=Some(iq4::encode_iq4_xs), wenc=Some(iq4::encode_iq4_xs_w), dec=Some(iq4::decode_iq4_xs), check=D0;
    I8 enc=None, wenc=None, dec=None, check=Check::Nothing;
    I16 enc=None, wenc=None, dec=None, check=Check::Nothing;
    I32 enc=None, wenc=None, dec=None, check=Check::Nothing;
    I64 enc=None, wenc=None, dec=None, check=Check::Nothing;
    F64 enc=None, wenc=None, dec=None, check=Check::F64;
    IQ1_M enc=Some(iq_encode::encode_iq1_m), wenc=Some(iq_encode::encode_iq1_m_w), dec=Some(iq::decode_iq1_m), check=Check::Iq1m;
    BF16 enc=Some(floats::encode_bf16), wenc=None, dec=Some(floats::decode_bf16), check=Check::Bf16;
    TQ1_0 enc=Some(ternary::encode_tq1_0), wenc=None, dec=Some(ternary::decode_tq1_0), check=Check::F16At(&[52]);
    TQ2_0 enc=Some(ternary::encode_tq2_0), wenc=None, dec=Some(ternary::decode_tq2_0), check=Check::F16At(&[64]);
    MXFP4 enc=Some(fp4::encode_mxfp4), wenc=None, dec=Some(fp4::decode_mxfp4), check=Check::E8m0At(0);
    NVFP4 enc=Some(fp4::encode_nvfp4), wenc=None, dec=Some(fp4::decode_nvfp4), check=Check::Nothing;
    Q1_0 enc=Some(lowbit::encode_q1_0), wenc=None, dec=Some(lowbit::decode_q1_0), check=D0;
    Q2_0 enc=Some(lowbit::encode_q2_0), wenc=None, dec=Some(lowbit::decode_q2_0), check=D0;
}

/// The codec for `ty`, or `None` if ggml does not define that type id.
///
/// ```
/// use gguf_quant::{codec, GgmlType};
/// let c = codec(GgmlType::Q4_K).unwrap();
/// assert_eq!((c.block_size, c.type_size), (256, 144));
/// assert!(c.can_encode() && c.can_decode() && c.uses_imatrix());
/// ```
pub fn codec(ty: GgmlType) -> Option<&'static Codec> {
    CODECS
        .binary_search_by_key(&ty.0, |c| c.ty.0)
        .ok()
        .map(|i| &CODECS[i])
}

/// Every codec, in type id order.
///
/// ```
/// // The types this crate can encode to without an importance matrix.
/// let names: Vec<String> = gguf_quant::codecs()
///     .iter()
///     .filter(|c| c.can_encode() && !c.requires_imatrix())
///     .map(|c| c.ty.to_string())
///     .collect();
/// assert!(names.iter().any(|n| n == "Q4_K"));
/// assert!(!names.iter().any(|n| n == "IQ2_XXS"));
/// ```
pub fn codecs() -> &'static [Codec] {
    CODECS
}

/// Looks up `ty`, failing with [`Error::Unsupported`] for unknown ids.
fn lookup(ty: GgmlType, op: Operation) -> Result<&'static Codec> {
    codec(ty).ok_or(Error::Unsupported { ty, op })
}

impl Codec {
    /// Whether [`Codec::encode_row`] is available for this type (for
    /// IQ2_XXS, IQ2_XS and IQ1_S only with an imatrix; see
    /// [`Codec::requires_imatrix`]).
    ///
    /// ```
    /// use gguf_quant::{codec, GgmlType};
    /// assert!(codec(GgmlType::IQ2_XXS).unwrap().can_encode());
    /// assert!(!codec(GgmlType::I32).unwrap().can_encode());
    /// ```
    pub fn can_encode(&self) -> bool {
        self.encode.is_some() || self.encode_weighted.is_some()
    }

    /// Whether [`Codec::decode_row`] is available for this type.
    ///
    /// ```
    /// use gguf_quant::{codec, GgmlType};
    /// assert!(codec(GgmlType::Q6_K).unwrap().can_decode());
    /// assert!(!codec(GgmlType::Q8_1).unwrap().can_decode()); // nor can ggml
    /// ```
    pub fn can_decode(&self) -> bool {
        self.decode.is_some()
    }

    /// Whether an importance matrix changes the encoding (ggml ignores it for
    /// plain floats, Q8_0, Q8_1, Q8_K, TQ1_0, TQ2_0, MXFP4, NVFP4, Q1_0 and
    /// Q2_0).
    ///
    /// ```
    /// use gguf_quant::{codec, GgmlType};
    /// assert!(codec(GgmlType::Q4_0).unwrap().uses_imatrix());
    /// assert!(!codec(GgmlType::Q8_0).unwrap().uses_imatrix());
    /// ```
    pub fn uses_imatrix(&self) -> bool {
        self.encode_weighted.is_some()
    }

    /// Whether ggml refuses to quantize to this type without an importance
    /// matrix (`ggml_quantize_requires_imatrix`: IQ2_XXS, IQ2_XS, IQ1_S);
    /// [`Codec::encode_row`] then fails with [`Error::ImatrixRequired`].
    ///
    /// ```
    /// use gguf_quant::{codec, Error, GgmlType};
    /// let c = codec(GgmlType::IQ2_XS).unwrap();
    /// assert!(c.requires_imatrix());
    /// let mut q = vec![0u8; c.row_size(256).unwrap()];
    /// assert_eq!(
    ///     c.encode_row(&[1.0; 256], &mut q, None),
    ///     Err(Error::ImatrixRequired { ty: GgmlType::IQ2_XS })
    /// );
    /// c.encode_row(&[1.0; 256], &mut q, Some(&[1.0; 256]))?;
    /// # Ok::<(), gguf_quant::Error>(())
    /// ```
    pub fn requires_imatrix(&self) -> bool {
        matches!(self.ty, GgmlType::IQ2_XXS | GgmlType::IQ2_XS | GgmlType::IQ1_S)
    }

    /// Bytes taken by `n` elements, if `n` is a whole number of blocks and
    /// the size fits in `usize`.
    ///
    /// ```
    /// use gguf_quant::{codec, GgmlType};
    /// let q4k = codec(GgmlType::Q4_K).unwrap();
    /// assert_eq!(q4k.row_size(4096), Some(16 * 144));
    /// assert_eq!(q4k.row_size(1000), None); // not whole blocks of 256
    /// ```
    pub fn row_size(&self, n: usize) -> Option<usize> {
        if !n.is_multiple_of(self.block_size) {
            return None;
        }
        (n / self.block_size).checked_mul(self.type_size)
    }

    /// Bytes needed to encode `n` elements, or the error explaining why not.
    fn bytes_for(&self, n: usize) -> Result<usize> {
        if !n.is_multiple_of(self.block_size) {
            return Err(Error::PartialBlock {
                ty: self.ty,
                len: n,
                block_size: self.block_size,
            });
        }
        // n / block_size ≤ usize::MAX / block_size; type_size ≤ 292 bytes,
        // so the product only overflows for absurd n, which no slice has.
        self.row_size(n).ok_or(Error::PartialBlock {
            ty: self.ty,
            len: n,
            block_size: self.block_size,
        })
    }

    /// Encodes one row `src` into `dst`, exactly as ggml's
    /// `ggml_quantize_chunk` does for a single row.
    ///
    /// `src.len()` must be a whole number of blocks and `dst.len()` exactly
    /// the encoded size. Without `imatrix` this is the reference path
    /// llama-quantize takes (`quantize_row_<type>_ref`); with one, the weighted
    /// `quantize_row_<type>_impl` path, for the types that have one (see
    /// [`Codec::uses_imatrix`]); other types ignore the weights, as ggml does,
    /// but their length is still checked. IQ4_NL, IQ4_XS and the lattice
    /// i-quants have no `_ref` path in llama-quantize; they run
    /// `quantize_<type>` (with weights `x²` or similar when there is no
    /// imatrix), and IQ2_XXS, IQ2_XS and IQ1_S fail with
    /// [`Error::ImatrixRequired`] without one, as ggml refuses them.
    ///
    /// # Errors
    /// As [`encode_row`](crate::encode_row).
    ///
    /// ```
    /// use gguf_quant::{codec, GgmlType};
    /// let q4_0 = codec(GgmlType::Q4_0).unwrap();
    /// let row: Vec<f32> = (0..32).map(|i| i as f32 - 16.0).collect();
    /// let imatrix = vec![1.0f32; 32]; // one weight per column
    /// let (mut plain, mut weighted) = (vec![0u8; 18], vec![0u8; 18]);
    /// q4_0.encode_row(&row, &mut plain, None)?; // quantize_row_q4_0_ref
    /// q4_0.encode_row(&row, &mut weighted, Some(&imatrix))?; // quantize_row_q4_0_impl
    /// # Ok::<(), gguf_quant::Error>(())
    /// ```
    pub fn encode_row(&self, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) -> Result<()> {
        if !self.can_encode() {
            return Err(Error::Unsupported {
                ty: self.ty,
                op: Operation::Encode,
            });
        }
        let expected = self.bytes_for(src.len())?;
        if dst.len() != expected {
            return Err(Error::DstSize {
                ty: self.ty,
                expected,
                actual: dst.len(),
            });
        }
        if let Some(w) = imatrix {
            if w.len() != src.len() {
                return Err(Error::ImatrixLength {
                    expected: src.len(),
                    actual: w.len(),
                });
            }
        }
        match (imatrix, self.encode_weighted, self.encode) {
            (Some(w), Some(wenc), _) => wenc(src, dst, w),
            (_, _, Some(enc)) => enc(src, dst),
            _ => return Err(Error::ImatrixRequired { ty: self.ty }),
        }
        Ok(())
    }

    /// Decodes `src` (whole blocks) into `dst`, which must hold exactly the
    /// number of elements encoded, bit for bit as ggml's `to_float`.
    ///
    /// # Errors
    /// As [`decode_row`](crate::decode_row).
    ///
    /// ```
    /// use gguf_quant::{codec, GgmlType};
    /// let f16 = codec(GgmlType::F16).unwrap();
    /// let bytes = [0x00, 0x3c, 0x00, 0xc0]; // 1.0 and -2.0
    /// let mut out = [0f32; 2];
    /// f16.decode_row(&bytes, &mut out)?;
    /// assert_eq!(out, [1.0, -2.0]);
    /// # Ok::<(), gguf_quant::Error>(())
    /// ```
    pub fn decode_row(&self, src: &[u8], dst: &mut [f32]) -> Result<()> {
        let dec = self.decode.ok_or(Error::Unsupported {
            ty: self.ty,
            op: Operation::Decode,
        })?;
        let expected = self.elements_in(src)?;
        if dst.len() != expected {
            return Err(Error::DstSize {
                ty: self.ty,
                expected,
                actual: dst.len(),
            });
        }
        dec(src, dst);
        Ok(())
    }

    /// The number of elements `bytes` decode to (whole blocks only).
    fn elements_in(&self, bytes: &[u8]) -> Result<usize> {
        let blocks = self.whole_blocks(bytes)?;
        // Cannot overflow for slices on 64-bit targets; be exact elsewhere.
        blocks
            .checked_mul(self.block_size)
            .ok_or(Error::PartialBlockBytes {
                ty: self.ty,
                len: bytes.len(),
                type_size: self.type_size,
            })
    }

    /// The number of blocks in `bytes`, which must be a whole number of them.
    fn whole_blocks(&self, bytes: &[u8]) -> Result<usize> {
        if !bytes.len().is_multiple_of(self.type_size) {
            return Err(Error::PartialBlockBytes {
                ty: self.ty,
                len: bytes.len(),
                type_size: self.type_size,
            });
        }
        Ok(bytes.len() / self.type_size)
    }

    /// Checks encoded data as `ggml_validate_row_data` does: the length must
    /// be whole blocks, plain float values must be finite, block scales must
    /// be finite, and MXFP4 exponents must not be 0xFF. Q8_1 is refused, as
    /// ggml's validator refuses it.
    ///
    /// # Errors
    /// As [`validate_row`](crate::validate_row).
    ///
    /// ```
    /// use gguf_quant::{codec, Error, GgmlType};
    /// let q8 = codec(GgmlType::Q8_0).unwrap();
    /// let mut block = [0u8; 34]; // d (f16) then 32 quants
    /// q8.validate_row(&block)?;
    /// block[..2].copy_from_slice(&0x7c00u16.to_le_bytes()); // d = +inf
    /// assert_eq!(
    ///     q8.validate_row(&block),
    ///     Err(Error::InvalidData { ty: GgmlType::Q8_0, block: 0, what: "infinity" })
    /// );
    /// # Ok::<(), gguf_quant::Error>(())
    /// ```
    pub fn validate_row(&self, bytes: &[u8]) -> Result<()> {
        let blocks = self.whole_blocks(bytes)?;
        let bad = |block: usize, what: &'static str| Error::InvalidData {
            ty: self.ty,
            block,
            what,
        };
        let f16_problem = |h: u16| -> Option<&'static str> {
            if h & 0x7c00 != 0x7c00 {
                None
            } else if h & 0x03ff == 0 {
                Some("infinity")
            } else {
                Some("NaN")
            }
        };
        let f_problem = |f: f64| -> Option<&'static str> {
            if f.is_infinite() {
                Some("infinity")
            } else if f.is_nan() {
                Some("NaN")
            } else {
                None
            }
        };
        let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
        match self.check {
            Check::Nothing => {}
            Check::Refuse => {
                return Err(Error::Unsupported {
                    ty: self.ty,
                    op: Operation::Validate,
                })
            }
            Check::F32 => {
                for (i, b) in bytes.chunks_exact(4).enumerate() {
                    let f = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    if let Some(what) = f_problem(f64::from(f)) {
                        return Err(bad(i, what));
                    }
                }
            }
            Check::F64 => {
                for (i, b) in bytes.chunks_exact(8).enumerate() {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    if let Some(what) = f_problem(f64::from_le_bytes(a)) {
                        return Err(bad(i, what));
                    }
                }
            }
            Check::F16 => {
                for (i, b) in bytes.chunks_exact(2).enumerate() {
                    if let Some(what) = f16_problem(u16_at(b, 0)) {
                        return Err(bad(i, what));
                    }
                }
            }
            Check::Bf16 => {
                // ggml counts NaNs and infinities over the whole row and
                // reports NaNs first; we report the first offender.
                let mut first_inf = None;
                for (i, b) in bytes.chunks_exact(2).enumerate() {
                    let v = u16_at(b, 0) & 0x7fff;
                    if v > 0x7f80 {
                        return Err(bad(i, "NaN"));
                    }
                    if v == 0x7f80 && first_inf.is_none() {
                        first_inf = Some(i);
                    }
                }
                if let Some(i) = first_inf {
                    return Err(bad(i, "infinity"));
                }
            }
            Check::F16At(offsets) => {
                for (i, b) in bytes.chunks_exact(self.type_size).enumerate() {
                    for &at in offsets {
                        if let Some(what) = f16_problem(u16_at(b, at)) {
                            return Err(bad(i, what));
                        }
                    }
                }
            }
            Check::F32At(at) => {
                for (i, b) in bytes.chunks_exact(self.type_size).enumerate() {
                    let f = f32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
                    if let Some(what) = f_problem(f64::from(f)) {
                        return Err(bad(i, what));
                    }
                }
            }
            Check::E8m0At(at) => {
                for (i, b) in bytes.chunks_exact(self.type_size).enumerate() {
                    if b[at] == 0xff {
                        return Err(bad(i, "E8M0 exponent 0xFF"));
                    }
                }
            }
            Check::Iq1m => {
                for (i, b) in bytes.chunks_exact(self.type_size).enumerate() {
                    let sc = [u16_at(b, 48), u16_at(b, 50), u16_at(b, 52), u16_at(b, 54)];
                    let h =
                        (sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000);
                    if let Some(what) = f16_problem(h) {
                        return Err(bad(i, what));
                    }
                }
            }
        }
        debug_assert_eq!(blocks * self.type_size, bytes.len());
        Ok(())
    }
}

/// Encodes one row of `ty`; see [`Codec::encode_row`].
///
/// # Errors
/// [`Error::Unsupported`] for a type this crate cannot encode,
/// [`Error::PartialBlock`] if `src` is not whole blocks, [`Error::DstSize`]
/// if `dst` is not exactly the encoded size, [`Error::ImatrixLength`] if the
/// imatrix does not have `src.len()` weights, [`Error::ImatrixRequired`] for
/// IQ2_XXS, IQ2_XS and IQ1_S without one.
///
/// ```
/// use gguf_quant::{encode_row, Error, GgmlType};
/// let row = vec![0.5f32; 256];
/// let mut q = vec![0u8; 210]; // one Q6_K super-block
/// encode_row(GgmlType::Q6_K, &row, &mut q, None)?;
/// // Misuse is an error, not a panic.
/// let short = encode_row(GgmlType::Q6_K, &row[..100], &mut q, None);
/// assert!(matches!(short, Err(Error::PartialBlock { .. })));
/// # Ok::<(), gguf_quant::Error>(())
/// ```
pub fn encode_row(ty: GgmlType, src: &[f32], dst: &mut [u8], imatrix: Option<&[f32]>) -> Result<()> {
    lookup(ty, Operation::Encode)?.encode_row(src, dst, imatrix)
}

/// Decodes blocks of `ty` into f32; see [`Codec::decode_row`].
///
/// # Errors
/// [`Error::Unsupported`] for a type this crate cannot decode,
/// [`Error::PartialBlockBytes`] if `src` is not whole blocks,
/// [`Error::DstSize`] if `dst` does not hold exactly the decoded elements.
///
/// ```
/// use gguf_quant::{decode_row, GgmlType};
/// let bf16 = [0x80, 0x3f, 0x40, 0x40]; // 1.0 and 3.0
/// let mut out = [0f32; 2];
/// decode_row(GgmlType::BF16, &bf16, &mut out)?;
/// assert_eq!(out, [1.0, 3.0]);
/// # Ok::<(), gguf_quant::Error>(())
/// ```
pub fn decode_row(ty: GgmlType, src: &[u8], dst: &mut [f32]) -> Result<()> {
    lookup(ty, Operation::Decode)?.decode_row(src, dst)
}

/// Validates encoded data of `ty` like `ggml_validate_row_data`; see
/// [`Codec::validate_row`].
///
/// # Errors
/// [`Error::InvalidData`] naming the first bad block, [`Error::PartialBlockBytes`]
/// for a length that is not whole blocks, [`Error::Unsupported`] for unknown
/// types and Q8_1.
///
/// ```
/// use gguf_quant::{validate_row, Error, GgmlType};
/// let f32_nan = f32::NAN.to_le_bytes();
/// assert_eq!(
///     validate_row(GgmlType::F32, &f32_nan),
///     Err(Error::InvalidData { ty: GgmlType::F32, block: 0, what: "NaN" })
/// );
/// assert!(validate_row(GgmlType::F32, &1.5f32.to_le_bytes()).is_ok());
/// ```
pub fn validate_row(ty: GgmlType, bytes: &[u8]) -> Result<()> {
    lookup(ty, Operation::Validate)?.validate_row(bytes)
}

/// Encodes many rows of `n_per_row` elements in parallel (rayon), each row
/// exactly as [`encode_row`] would. The bytes do not depend on the number of
/// threads.
///
/// # Errors
/// [`Error::RowLength`] if `n_per_row` is 0 or `src` is not whole rows, and
/// the errors of [`encode_row`] (`dst` must hold exactly all rows; the
/// imatrix, if any, has `n_per_row` weights and is used for every row).
///
/// For a 3-D expert tensor whose imatrix holds one slice per expert, call
/// this once per expert with that expert's rows and slice, as llama-quantize
/// does.
///
/// ```
/// use gguf_quant::{encode_row, encode_rows_par, GgmlType};
/// let (rows, n) = (8, 256);
/// let x: Vec<f32> = (0..rows * n).map(|i| (i as f32 * 0.01).sin()).collect();
/// let mut par = vec![0u8; rows * 176]; // Q5_K: 176 bytes per 256 elements
/// encode_rows_par(GgmlType::Q5_K, &x, n, &mut par, None)?;
/// // The same bytes as encoding row by row.
/// let mut one = vec![0u8; 176];
/// encode_row(GgmlType::Q5_K, &x[n..2 * n], &mut one, None)?;
/// assert_eq!(&par[176..352], &one[..]);
/// # Ok::<(), gguf_quant::Error>(())
/// ```
pub fn encode_rows_par(
    ty: GgmlType,
    src: &[f32],
    n_per_row: usize,
    dst: &mut [u8],
    imatrix: Option<&[f32]>,
) -> Result<()> {
    let c = lookup(ty, Operation::Encode)?;
    if !c.can_encode() {
        return Err(Error::Unsupported {
            ty,
            op: Operation::Encode,
        });
    }
    if n_per_row == 0 || !src.len().is_multiple_of(n_per_row) {
        return Err(Error::RowLength {
            len: src.len(),
            n_per_row,
        });
    }
    let row_bytes = c.bytes_for(n_per_row)?;
    let rows = src.len() / n_per_row;
    let expected = rows.checked_mul(row_bytes).ok_or(Error::RowLength {
        len: src.len(),
        n_per_row,
    })?;
    if dst.len() != expected {
        return Err(Error::DstSize {
            ty,
            expected,
            actual: dst.len(),
        });
    }
    if let Some(w) = imatrix {
        if w.len() != n_per_row {
            return Err(Error::ImatrixLength {
                expected: n_per_row,
                actual: w.len(),
            });
        }
    }
    if row_bytes == 0 {
        return Ok(());
    }
    src.par_chunks(n_per_row)
        .zip(dst.par_chunks_mut(row_bytes))
        .try_for_each(|(s, d)| c.encode_row(s, d, imatrix))
}

/// Decodes many rows in parallel (rayon); the same result as one
/// [`decode_row`] call over everything.
///
/// # Errors
/// As [`decode_row`].
///
/// ```
/// use gguf_quant::{decode_row, decode_rows_par, encode_rows_par, GgmlType};
/// let x: Vec<f32> = (0..64 * 32).map(|i| i as f32 / 100.0).collect();
/// let mut q = vec![0u8; 64 * 34]; // 64 Q8_0 blocks
/// encode_rows_par(GgmlType::Q8_0, &x, 32, &mut q, None)?;
/// let (mut par, mut seq) = (vec![0f32; x.len()], vec![0f32; x.len()]);
/// decode_rows_par(GgmlType::Q8_0, &q, &mut par)?;
/// decode_row(GgmlType::Q8_0, &q, &mut seq)?;
/// assert_eq!(par, seq);
/// # Ok::<(), gguf_quant::Error>(())
/// ```
pub fn decode_rows_par(ty: GgmlType, src: &[u8], dst: &mut [f32]) -> Result<()> {
    let c = lookup(ty, Operation::Decode)?;
    if !c.can_decode() {
        return Err(Error::Unsupported {
            ty,
            op: Operation::Decode,
        });
    }
    let expected = c.elements_in(src)?;
    if dst.len() != expected {
        return Err(Error::DstSize {
            ty,
            expected,
            actual: dst.len(),
        });
    }
    // Work in chunks of whole blocks of roughly 16 Ki elements.
    let blocks_per_chunk = (16 * 1024 / c.block_size).max(1);
    src.par_chunks(blocks_per_chunk * c.type_size)
        .zip(dst.par_chunks_mut(blocks_per_chunk * c.block_size))
        .try_for_each(|(s, d)| c.decode_row(s, d))
}

/// The index of the first NaN or infinite value, if any. llama-quantize
/// refuses such input ("tensor has invalid data"); check before encoding.
///
/// ```
/// use gguf_quant::find_non_finite;
/// let mut row = vec![1.0f32; 300];
/// assert_eq!(find_non_finite(&row), None);
/// row[257] = f32::INFINITY;
/// assert_eq!(find_non_finite(&row), Some(257));
/// ```
pub fn find_non_finite(values: &[f32]) -> Option<usize> {
    // Test blocks without branching (this vectorizes), then find the index.
    const BLOCK: usize = 64;
    let mut start = 0;
    for block in values.chunks(BLOCK) {
        if block.iter().fold(false, |bad, v| bad | !v.is_finite()) {
            return block.iter().position(|v| !v.is_finite()).map(|i| start + i);
        }
        start += block.len();
    }
    None
}

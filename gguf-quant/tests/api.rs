//! The row-level API: the codec table agrees with gguf-format's type table,
//! and every misuse is an error, never a panic.

use gguf_format::{GgmlType, GGML_TYPES};
use gguf_quant::{
    codec, codecs, decode_row, decode_rows_par, encode_row, encode_rows_par, find_non_finite, validate_row,
    Error, Operation,
};

#[test]
fn table_matches_gguf_format_types() {
    assert_eq!(codecs().len(), GGML_TYPES.len());
    for info in GGML_TYPES {
        let c = codec(info.ty).unwrap_or_else(|| panic!("no codec entry for {}", info.name));
        assert_eq!(c.ty, info.ty);
        assert_eq!(c.block_size, info.block_size as usize, "{}", info.name);
        assert_eq!(c.type_size, info.type_size as usize, "{}", info.name);
    }
    for removed in [4, 5, 31, 36, 43, 1000] {
        assert!(codec(GgmlType(removed)).is_none());
    }
}

#[test]
fn capabilities() {
    for ty in [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q8_0,
        GgmlType::Q2_K,
        GgmlType::Q3_K,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::Q8_K,
    ] {
        let c = codec(ty).unwrap();
        assert!(c.can_encode() && c.can_decode(), "{ty}");
    }
    let q81 = codec(GgmlType::Q8_1).unwrap();
    assert!(q81.can_encode() && !q81.can_decode());
    for ty in [
        GgmlType::IQ4_NL,
        GgmlType::IQ4_XS,
        GgmlType::TQ1_0,
        GgmlType::TQ2_0,
        GgmlType::MXFP4,
    ] {
        assert!(codec(ty).unwrap().can_decode(), "{ty}");
    }
    assert!(codec(GgmlType::Q4_K).unwrap().uses_imatrix());
    assert!(codec(GgmlType::IQ1_S).unwrap().requires_imatrix());
    assert!(!codec(GgmlType::IQ1_M).unwrap().requires_imatrix());
    assert!(!codec(GgmlType::Q8_0).unwrap().uses_imatrix());
    assert_eq!(codec(GgmlType::Q6_K).unwrap().row_size(512), Some(420));
    assert_eq!(codec(GgmlType::Q6_K).unwrap().row_size(500), None);
}

#[test]
fn length_errors() {
    let src = vec![0.5f32; 64];
    let mut dst = vec![0u8; 36];
    assert_eq!(
        encode_row(GgmlType::Q4_0, &src[..40], &mut dst, None),
        Err(Error::PartialBlock {
            ty: GgmlType::Q4_0,
            len: 40,
            block_size: 32
        })
    );
    assert_eq!(
        encode_row(GgmlType::Q4_0, &src, &mut dst[..35], None),
        Err(Error::DstSize {
            ty: GgmlType::Q4_0,
            expected: 36,
            actual: 35
        })
    );
    assert_eq!(
        encode_row(GgmlType::Q4_0, &src, &mut dst, Some(&[1.0; 63])),
        Err(Error::ImatrixLength {
            expected: 64,
            actual: 63
        })
    );
    // Checked even where ggml ignores the weights.
    assert!(matches!(
        encode_row(GgmlType::Q8_0, &src, &mut [0u8; 68], Some(&[1.0; 3])),
        Err(Error::ImatrixLength { .. })
    ));
    assert!(encode_row(GgmlType::Q4_0, &src, &mut dst, Some(&[1.0; 64])).is_ok());

    let mut out = vec![0f32; 64];
    assert!(matches!(
        decode_row(GgmlType::Q4_0, &dst[..35], &mut out),
        Err(Error::PartialBlockBytes {
            len: 35,
            type_size: 18,
            ..
        })
    ));
    assert!(matches!(
        decode_row(GgmlType::Q4_0, &dst, &mut out[..63]),
        Err(Error::DstSize {
            expected: 64,
            actual: 63,
            ..
        })
    ));
    assert!(decode_row(GgmlType::Q4_0, &dst, &mut out).is_ok());
    assert!(out.iter().all(|&v| v == 0.5), "{out:?}");
}

#[test]
fn unsupported_types() {
    let mut dst = vec![0u8; 1024];
    let mut out = vec![0f32; 256];
    assert_eq!(
        encode_row(GgmlType(4), &[0.0; 32], &mut dst, None),
        Err(Error::Unsupported {
            ty: GgmlType(4),
            op: Operation::Encode
        })
    );
    assert_eq!(
        decode_row(GgmlType::Q8_1, &dst[..36], &mut out[..32]),
        Err(Error::Unsupported {
            ty: GgmlType::Q8_1,
            op: Operation::Decode
        })
    );
    assert!(matches!(
        encode_row(GgmlType::I32, &[0.0; 256], &mut dst[..1024], None),
        Err(Error::Unsupported {
            op: Operation::Encode,
            ..
        })
    ));
    assert_eq!(
        encode_row(GgmlType::IQ1_S, &[0.0; 256], &mut dst[..50], None),
        Err(Error::ImatrixRequired { ty: GgmlType::IQ1_S })
    );
    assert_eq!(
        encode_row(GgmlType::IQ2_XXS, &[0.0; 256], &mut dst[..66], None),
        Err(Error::ImatrixRequired {
            ty: GgmlType::IQ2_XXS
        })
    );
    assert!(encode_row(GgmlType::IQ2_XXS, &[0.0; 256], &mut dst[..66], Some(&[1.0; 256])).is_ok());
    assert!(matches!(
        validate_row(GgmlType(77), &dst),
        Err(Error::Unsupported {
            op: Operation::Validate,
            ..
        })
    ));
    assert!(matches!(
        validate_row(GgmlType::Q8_1, &dst[..36]),
        Err(Error::Unsupported {
            op: Operation::Validate,
            ..
        })
    ));
    let msg = Error::Unsupported {
        ty: GgmlType::Q8_1,
        op: Operation::Decode,
    }
    .to_string();
    assert_eq!(msg, "decoding of type Q8_1 is not supported");
}

#[test]
fn parallel_rows_errors_and_agreement() {
    let src: Vec<f32> = (0..1024)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013)
        .collect();
    let imatrix: Vec<f32> = (0..512).map(|i| 0.5 + (i % 7) as f32).collect();
    for ty in [GgmlType::Q4_K, GgmlType::Q5_0, GgmlType::Q6_K, GgmlType::F16] {
        let c = codec(ty).unwrap();
        let row = c.row_size(512).unwrap();
        for im in [None, Some(imatrix.as_slice())] {
            let mut par = vec![0u8; 2 * row];
            encode_rows_par(ty, &src, 512, &mut par, im).unwrap();
            let mut serial = vec![0u8; 2 * row];
            for r in 0..2 {
                encode_row(
                    ty,
                    &src[512 * r..512 * (r + 1)],
                    &mut serial[row * r..row * (r + 1)],
                    im,
                )
                .unwrap();
            }
            assert_eq!(par, serial, "{ty}");
            let mut a = vec![0f32; 1024];
            let mut b = vec![0f32; 1024];
            decode_rows_par(ty, &par, &mut a).unwrap();
            decode_row(ty, &par, &mut b).unwrap();
            assert_eq!(a, b);
        }
    }
    let mut dst = vec![0u8; 576];
    assert!(matches!(
        encode_rows_par(GgmlType::Q4_K, &src, 0, &mut dst, None),
        Err(Error::RowLength { n_per_row: 0, .. })
    ));
    assert!(matches!(
        encode_rows_par(GgmlType::Q4_K, &src, 300, &mut dst, None),
        Err(Error::RowLength { .. })
    ));
    assert!(matches!(
        encode_rows_par(GgmlType::Q4_K, &src, 128, &mut dst, None),
        Err(Error::PartialBlock { .. })
    ));
    assert!(matches!(
        encode_rows_par(GgmlType::Q4_K, &src, 512, &mut dst, Some(&imatrix[..100])),
        Err(Error::ImatrixLength {
            expected: 512,
            actual: 100
        })
    ));
    assert!(matches!(
        encode_rows_par(GgmlType::Q4_K, &src, 512, &mut dst[..575], None),
        Err(Error::DstSize { .. })
    ));
    assert_eq!(encode_rows_par(GgmlType::Q4_K, &[], 256, &mut [], None), Ok(()));
}

#[test]
fn validation_like_ggml() {
    // F16 values: exponent all ones is refused.
    let f16 = [0x00u8, 0x3c, 0x00, 0x7c];
    assert_eq!(
        validate_row(GgmlType::F16, &f16),
        Err(Error::InvalidData {
            ty: GgmlType::F16,
            block: 1,
            what: "infinity"
        })
    );
    assert!(validate_row(GgmlType::F16, &f16[..2]).is_ok());
    // BF16: NaNs are reported before infinities.
    let bf16 = [0x80u8, 0x7f, 0xc0, 0x7f];
    assert!(matches!(
        validate_row(GgmlType::BF16, &bf16),
        Err(Error::InvalidData {
            block: 1,
            what: "NaN",
            ..
        })
    ));
    // F32.
    let mut f32s = Vec::new();
    for v in [1.0f32, -0.0, f32::NAN] {
        f32s.extend_from_slice(&v.to_le_bytes());
    }
    assert!(matches!(
        validate_row(GgmlType::F32, &f32s),
        Err(Error::InvalidData {
            block: 2,
            what: "NaN",
            ..
        })
    ));
    // A Q4_1 block whose min is infinite.
    let mut q41 = vec![0u8; 40];
    q41[22..24].copy_from_slice(&0xfc00u16.to_le_bytes());
    assert!(matches!(
        validate_row(GgmlType::Q4_1, &q41),
        Err(Error::InvalidData {
            block: 1,
            what: "infinity",
            ..
        })
    ));
    // Q2_K keeps d and dmin at the end.
    let mut q2k = vec![0u8; 84];
    assert!(validate_row(GgmlType::Q2_K, &q2k).is_ok());
    q2k[83] = 0x7e;
    assert!(validate_row(GgmlType::Q2_K, &q2k).is_err());
    // Q8_K has an f32 d.
    let mut q8k = vec![0u8; 292];
    q8k[..4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    assert!(validate_row(GgmlType::Q8_K, &q8k).is_err());
    // MXFP4: exponent 0xFF.
    let mut mx = vec![0u8; 34];
    assert!(validate_row(GgmlType::MXFP4, &mx).is_ok());
    mx[17] = 0xff;
    assert!(matches!(
        validate_row(GgmlType::MXFP4, &mx),
        Err(Error::InvalidData { block: 1, .. })
    ));
    // Integer types and NVFP4 are not checked; lengths still are.
    assert!(validate_row(GgmlType::I32, &[0xff; 8]).is_ok());
    assert!(validate_row(GgmlType::NVFP4, &[0xff; 36]).is_ok());
    assert!(matches!(
        validate_row(GgmlType::Q4_0, &[0; 19]),
        Err(Error::PartialBlockBytes { .. })
    ));
    // IQ1_M's scale is spread over four words.
    let mut iq1m = vec![0u8; 56];
    assert!(validate_row(GgmlType::IQ1_M, &iq1m).is_ok());
    for w in 0..4 {
        // Put 0x7c00 together: nibble w of the f16 lives in the top nibble of word w.
        let nib = (0x7c00u16 >> (4 * w)) & 0xf;
        iq1m[48 + 2 * w + 1] = (nib << 4) as u8;
    }
    assert!(validate_row(GgmlType::IQ1_M, &iq1m).is_err());
}

#[test]
fn non_finite_search() {
    assert_eq!(find_non_finite(&[1.0, 2.0]), None);
    assert_eq!(find_non_finite(&[1.0, f32::INFINITY, f32::NAN]), Some(1));
    assert_eq!(find_non_finite(&[]), None);
}

#[test]
fn encode_zero_length_rows() {
    assert_eq!(encode_row(GgmlType::Q4_K, &[], &mut [], None), Ok(()));
    assert_eq!(decode_row(GgmlType::Q4_K, &[], &mut []), Ok(()));
}

#[test]
fn non_finite_input_never_panics() {
    let mut inputs: Vec<Vec<f32>> = vec![vec![f32::NAN; 256], vec![f32::INFINITY; 256], vec![f32::MAX; 256]];
    let mut one_nan: Vec<f32> = (0..256).map(|i| (i as f32 - 128.0) * 0.01).collect();
    one_nan[77] = f32::NAN;
    inputs.push(one_nan);
    let mut mixed: Vec<f32> = (0..256)
        .map(|i| if i % 3 == 0 { f32::NEG_INFINITY } else { 1.0 })
        .collect();
    mixed[5] = f32::NAN;
    inputs.push(mixed);
    for x in &inputs {
        for im in [vec![1.0f32; 256], vec![f32::NAN; 256], vec![0.0; 256]] {
            for c in codecs().iter().filter(|c| c.can_encode()) {
                let mut q = vec![0u8; c.row_size(256).unwrap()];
                if !c.requires_imatrix() {
                    c.encode_row(x, &mut q, None).unwrap();
                }
                c.encode_row(x, &mut q, Some(&im)).unwrap();
                if c.can_decode() {
                    let mut y = vec![0f32; 256];
                    c.decode_row(&q, &mut y).unwrap();
                }
            }
        }
    }
}

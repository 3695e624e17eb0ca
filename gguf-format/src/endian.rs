//! Byte order as a type: the reader and writer are generic over [`Endian`], chosen
//! once per file, so no field read or write branches on the byte order.

use crate::raw::ByteOrder;

pub use byteorder::{BigEndian, LittleEndian};

/// A byte order known at compile time. Implemented for [`LittleEndian`] and
/// [`BigEndian`] (the `byteorder` crate's types, whose `ByteOrder` methods do the
/// conversions) and sealed: no other type can implement it.
///
/// ```
/// use gguf_format::endian::{BigEndian, Endian, LittleEndian};
/// use gguf_format::ByteOrder;
/// assert_eq!(LittleEndian::ORDER, ByteOrder::Little);
/// assert_eq!(BigEndian::ORDER, ByteOrder::Big);
/// ```
pub trait Endian: byteorder::ByteOrder + sealed::Sealed + Send + Sync + 'static {
    /// The runtime value for this order.
    const ORDER: ByteOrder;
}

/// Keeps [`Endian`] to the two orders this crate knows.
mod sealed {
    pub trait Sealed {}
    impl Sealed for super::LittleEndian {}
    impl Sealed for super::BigEndian {}
}

impl Endian for LittleEndian {
    const ORDER: ByteOrder = ByteOrder::Little;
}

impl Endian for BigEndian {
    const ORDER: ByteOrder = ByteOrder::Big;
}

/// Calls `$body` with the type parameter `$e` bound to the [`Endian`] type for
/// the runtime [`ByteOrder`] `$order`.
macro_rules! with_endian {
    ($order:expr, $e:ident => $body:expr) => {
        match $order {
            $crate::raw::ByteOrder::Little => {
                type $e = $crate::endian::LittleEndian;
                $body
            }
            $crate::raw::ByteOrder::Big => {
                type $e = $crate::endian::BigEndian;
                $body
            }
        }
    };
}
pub(crate) use with_endian;

/// Reverses the byte order of every multi-byte field of tensor data of type
/// `ty`, in place, by the type's layout ([`crate::TypeInfo::swap`]): turns a
/// little-endian file's data into a big-endian file's, and back. Fails for a
/// type without a known layout and for data that is not whole blocks.
///
/// ```
/// use gguf_format::{endian::swap_tensor_data, GgmlType};
/// let mut data = 1.5f32.to_le_bytes();
/// swap_tensor_data(GgmlType::F32, &mut data).unwrap();
/// assert_eq!(data, 1.5f32.to_be_bytes());
/// ```
pub fn swap_tensor_data(ty: crate::GgmlType, data: &mut [u8]) -> crate::Result<()> {
    let info = ty.info().ok_or_else(|| {
        crate::Error::InvalidWrite(format!("cannot change the byte order of unknown ggml type {ty}"))
    })?;
    let layout = info
        .swap
        .ok_or_else(|| crate::Error::InvalidWrite(format!("no byte-order layout is known for type {ty}")))?;
    let block = info.type_size as usize;
    if !data.len().is_multiple_of(block) {
        return Err(crate::Error::InvalidWrite(format!(
            "{} bytes of {ty} data are not whole {block}-byte blocks",
            data.len()
        )));
    }
    // Plain numbers (and blocks that are one number): swap the whole slice
    // by width, which compiles to vector byte shuffles.
    if let [r] = layout {
        if r.offset == 0
            && usize::from(r.width) * usize::from(r.count) == block
            && r.stride == u16::from(r.width)
        {
            swap_all(data, usize::from(r.width));
            return Ok(());
        }
    }
    for b in data.chunks_exact_mut(block) {
        for r in layout {
            for i in 0..usize::from(r.count) {
                let at = usize::from(r.offset) + i * usize::from(r.stride);
                b[at..at + usize::from(r.width)].reverse();
            }
        }
    }
    Ok(())
}

fn swap_all(data: &mut [u8], width: usize) {
    match width {
        2 => data.chunks_exact_mut(2).for_each(|c| {
            let v = u16::from_ne_bytes([c[0], c[1]]).swap_bytes();
            c.copy_from_slice(&v.to_ne_bytes());
        }),
        4 => data.chunks_exact_mut(4).for_each(|c| {
            let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]).swap_bytes();
            c.copy_from_slice(&v.to_ne_bytes());
        }),
        _ => data.chunks_exact_mut(width).for_each(<[u8]>::reverse),
    }
}

#[cfg(test)]
mod tests {
    use super::swap_tensor_data;
    use crate::{GgmlType, GGML_TYPES};

    #[test]
    fn layouts_stay_inside_their_blocks_and_do_not_overlap() {
        for t in GGML_TYPES {
            let layout = t.swap.unwrap_or_else(|| panic!("{} has no layout", t.name));
            let mut owner = vec![None; t.type_size as usize];
            for r in layout {
                assert!(matches!(r.width, 2 | 4 | 8), "{}: width {}", t.name, r.width);
                assert!(r.stride >= u16::from(r.width), "{}", t.name);
                for i in 0..r.count {
                    let at = usize::from(r.offset + i * r.stride);
                    for b in owner[at..at + usize::from(r.width)].iter_mut() {
                        assert!(b.is_none(), "{}: byte {at} swapped twice", t.name);
                        *b = Some(());
                    }
                }
            }
        }
    }

    #[test]
    fn swapping_twice_gives_the_bytes_back() {
        for t in GGML_TYPES {
            let orig: Vec<u8> = (0..t.type_size as usize * 3).map(|i| (i * 7 + 1) as u8).collect();
            let mut d = orig.clone();
            swap_tensor_data(t.ty, &mut d).unwrap();
            if t.swap.unwrap().is_empty() {
                assert_eq!(d, orig, "{}", t.name);
            } else {
                assert_ne!(d, orig, "{}", t.name);
            }
            swap_tensor_data(t.ty, &mut d).unwrap();
            assert_eq!(d, orig, "{}", t.name);
        }
    }

    #[test]
    fn fields_swap_where_ggml_reads_them() {
        // Q5_0: the f16 d, then qh read as one u32; the 16 nibble bytes stay.
        let mut b: Vec<u8> = (0..22).collect();
        swap_tensor_data(GgmlType::Q5_0, &mut b).unwrap();
        assert_eq!(&b[..6], &[1, 0, 5, 4, 3, 2]);
        assert_eq!(&b[6..], &(6..22).collect::<Vec<u8>>()[..]);
        // Q6_K: only the trailing d.
        let mut b = vec![0u8; 210];
        b[208] = 1;
        swap_tensor_data(GgmlType::Q6_K, &mut b).unwrap();
        assert_eq!((b[208], b[209]), (0, 1));
        assert!(
            swap_tensor_data(GgmlType::Q6_K, &mut [0u8; 100]).is_err(),
            "not whole blocks"
        );
        assert!(
            swap_tensor_data(GgmlType(77), &mut [0u8; 4]).is_err(),
            "unknown type"
        );
    }
}

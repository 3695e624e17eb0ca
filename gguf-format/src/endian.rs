//! Byte order as a type: the reader and writer are generic over [`Endian`], chosen
//! once per file, so no field read or write branches on the byte order.

use crate::raw::ByteOrder;

pub use byteorder::{BigEndian, LittleEndian};

/// A byte order known at compile time. Implemented for [`LittleEndian`] and
/// [`BigEndian`] (the `byteorder` crate's types, whose `ByteOrder` methods do the
/// conversions).
pub trait Endian: byteorder::ByteOrder + Send + Sync + 'static {
    /// The runtime value for this order.
    const ORDER: ByteOrder;
    /// The same order for `nom`'s number parsers.
    const NOM: nom::number::Endianness;
}

impl Endian for LittleEndian {
    const ORDER: ByteOrder = ByteOrder::Little;
    const NOM: nom::number::Endianness = nom::number::Endianness::Little;
}

impl Endian for BigEndian {
    const ORDER: ByteOrder = ByteOrder::Big;
    const NOM: nom::number::Endianness = nom::number::Endianness::Big;
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

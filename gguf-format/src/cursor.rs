//! A bounds-checked cursor over borrowed bytes: every read either returns a slice
//! of the input or an [`Error`] naming the field and the byte offset. Nothing here
//! indexes in a way that can panic, and no length read from the file is trusted
//! before it is compared with the bytes that remain.

use crate::endian::Endian;
use crate::error::{Error, Location, Result};
use crate::raw::ByteOrder;
use std::marker::PhantomData;

pub(crate) struct Cursor<'a, E> {
    data: &'a [u8],
    pos: usize,
    /// Absolute file offset of `data[0]` (non-zero when reading inside an array view).
    base: u64,
    /// Lengths and counts are u64 (v2, v3) rather than u32 (v1).
    wide: bool,
    _order: PhantomData<E>,
}

/// `E` for `nom`'s number parsers. The parser's use of `nom` stays in this
/// module: no `nom` type is part of the crate's public API.
const fn nom_order<E: Endian>() -> nom::number::Endianness {
    match E::ORDER {
        ByteOrder::Little => nom::number::Endianness::Little,
        ByteOrder::Big => nom::number::Endianness::Big,
    }
}

pub(crate) fn loc(offset: u64, name: Option<&str>) -> Location {
    Location {
        offset,
        name: name.map(str::to_owned),
    }
}

impl<'a, E: Endian> Cursor<'a, E> {
    pub(crate) fn new(data: &'a [u8], pos: usize, base: u64, wide: bool) -> Self {
        Cursor {
            data,
            pos,
            base,
            wide,
            _order: PhantomData,
        }
    }

    /// Absolute file offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> u64 {
        (self.data.len() - self.pos.min(self.data.len())) as u64
    }

    pub(crate) fn wide(&self) -> bool {
        self.wide
    }

    fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    fn eof(&self, what: &'static str, name: Option<&str>, needed: u64) -> Error {
        Error::UnexpectedEof {
            what,
            at: loc(self.offset(), name),
            needed,
            available: self.remaining(),
        }
    }

    /// The next `n` bytes, borrowed.
    pub(crate) fn take(&mut self, n: u64, what: &'static str, name: Option<&str>) -> Result<&'a [u8]> {
        let slice = usize::try_from(n)
            .ok()
            .and_then(|n| self.rest().get(..n))
            .ok_or_else(|| self.eof(what, name, n))?;
        self.pos += slice.len();
        Ok(slice)
    }

    pub(crate) fn u32(&mut self, what: &'static str, name: Option<&str>) -> Result<u32> {
        let r: nom::IResult<&[u8], u32, ()> = nom::number::complete::u32(nom_order::<E>())(self.rest());
        let (_, v) = r.map_err(|_| self.eof(what, name, 4))?;
        self.pos += 4;
        Ok(v)
    }

    pub(crate) fn u64(&mut self, what: &'static str, name: Option<&str>) -> Result<u64> {
        let r: nom::IResult<&[u8], u64, ()> = nom::number::complete::u64(nom_order::<E>())(self.rest());
        let (_, v) = r.map_err(|_| self.eof(what, name, 8))?;
        self.pos += 8;
        Ok(v)
    }

    /// The bytes from `start` (a position in this cursor's slice) to the current position.
    pub(crate) fn slice_from(&self, start: usize) -> &'a [u8] {
        self.data.get(start..self.pos).unwrap_or_default()
    }

    /// A count or length: u64 in v2/v3, u32 in v1.
    pub(crate) fn count(&mut self, what: &'static str, name: Option<&str>) -> Result<u64> {
        if self.wide {
            self.u64(what, name)
        } else {
            self.u32(what, name).map(u64::from)
        }
    }

    /// Bytes a count or length field takes.
    pub(crate) fn count_width(&self) -> u64 {
        if self.wide {
            8
        } else {
            4
        }
    }

    /// Refuses `count` items of at least `min_size` bytes each unless the bytes
    /// that remain could hold them. `at` is where the count was stored.
    pub(crate) fn check_fits(
        &self,
        count: u64,
        min_size: u64,
        what: &'static str,
        at: u64,
        name: Option<&str>,
    ) -> Result<()> {
        let remaining = self.remaining();
        match count.checked_mul(min_size) {
            Some(need) if need <= remaining => Ok(()),
            _ => Err(Error::CountTooLarge {
                what,
                at: loc(at, name),
                count,
                remaining,
            }),
        }
    }

    /// Skips `n` length-prefixed strings, checking each length; the same checks
    /// and errors as `n` calls of [`Cursor::string`], in a loop tight enough
    /// for a 262,144-token vocabulary to take well under a millisecond.
    pub(crate) fn skip_strings(&mut self, n: u64, name: Option<&str>) -> Result<()> {
        let rest = self.rest();
        let width = self.count_width() as usize;
        let mut p = 0usize;
        for _ in 0..n {
            let at = p;
            let Some(len_bytes) = rest.get(p..p + width) else {
                self.pos += p;
                return Err(self.eof("string value", name, width as u64));
            };
            let len = if self.wide {
                E::read_u64(len_bytes)
            } else {
                u64::from(E::read_u32(len_bytes))
            };
            p += width;
            let remaining = (rest.len() - p) as u64;
            if len > remaining {
                return Err(Error::CountTooLarge {
                    what: "string length",
                    at: loc(self.offset() + at as u64, name),
                    count: len,
                    remaining,
                });
            }
            p += len as usize;
        }
        self.pos += p;
        Ok(())
    }

    /// A length-prefixed string's bytes.
    pub(crate) fn string(&mut self, what: &'static str, name: Option<&str>) -> Result<&'a [u8]> {
        let at = self.offset();
        let len = self.count(what, name)?;
        self.check_fits(len, 1, "string length", at, name)?;
        self.take(len, what, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endian::{BigEndian, LittleEndian};

    #[test]
    fn reads_both_orders() {
        let bytes = [1, 0, 0, 0, 0, 0, 0, 2];
        let mut le = Cursor::<LittleEndian>::new(&bytes, 0, 0, true);
        assert_eq!(le.u32("a", None).unwrap(), 1);
        assert_eq!(le.u32("b", None).unwrap(), 0x0200_0000);
        let mut be = Cursor::<BigEndian>::new(&bytes, 0, 0, true);
        assert_eq!(be.u64("c", None).unwrap(), 0x0100_0000_0000_0002);
    }

    #[test]
    fn eof_names_field_and_offset() {
        let bytes = [0u8; 6];
        let mut c = Cursor::<LittleEndian>::new(&bytes, 4, 100, true);
        match c.u32("value", Some("k")) {
            Err(Error::UnexpectedEof {
                what: "value",
                at,
                needed: 4,
                available: 2,
            }) => {
                assert_eq!(at.offset, 104);
                assert_eq!(at.name.as_deref(), Some("k"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn huge_string_length_is_refused_before_use() {
        let mut bytes = u64::MAX.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"abc");
        let mut c = Cursor::<LittleEndian>::new(&bytes, 0, 0, true);
        assert!(matches!(
            c.string("key", None),
            Err(Error::CountTooLarge {
                what: "string length",
                count: u64::MAX,
                remaining: 3,
                ..
            })
        ));
    }

    #[test]
    fn v1_counts_are_32_bit() {
        let bytes = [3, 0, 0, 0, b'a', b'b', b'c'];
        let mut c = Cursor::<LittleEndian>::new(&bytes, 0, 0, false);
        assert_eq!(c.string("s", None).unwrap(), b"abc");
        assert_eq!(c.remaining(), 0);
    }
}

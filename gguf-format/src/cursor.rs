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
    /// Bytes of the file past the end of `data`, when `data` is only the
    /// first part of it ([`crate::Gguf::parse_prefix`]); 0 otherwise. Counts
    /// and lengths are checked against the whole file, and running out of
    /// `data` where the file goes on is [`Error::HeaderIncomplete`].
    beyond: u64,
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
            beyond: 0,
            _order: PhantomData,
        }
    }

    /// The same cursor over the first part of a file that goes on for
    /// `beyond` more bytes.
    pub(crate) fn with_beyond(mut self, beyond: u64) -> Self {
        self.beyond = beyond;
        self
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

    /// Bytes left in the file (not only in `data`) from the current position.
    fn file_remaining(&self) -> u64 {
        self.remaining().saturating_add(self.beyond)
    }

    /// `data` ends before the `needed` bytes from the current position do:
    /// the file's end, or only the end of the part read so far.
    fn eof(&self, what: &'static str, name: Option<&str>, needed: u64) -> Error {
        if self.beyond > 0 && needed <= self.file_remaining() {
            let end = self.offset().saturating_add(needed);
            return self.incomplete(self.offset(), name, end, end);
        }
        Error::UnexpectedEof {
            what,
            at: loc(self.offset(), name),
            needed,
            available: self.file_remaining(),
        }
    }

    /// The part of the file read so far ends inside the header, at `at`:
    /// bytes up to `needed` are needed, up to about `estimate` guessed.
    fn incomplete(&self, at: u64, name: Option<&str>, needed: u64, estimate: u64) -> Error {
        Error::HeaderIncomplete {
            at: loc(at, name),
            have: self.base + self.data.len() as u64,
            needed,
            estimate: estimate.max(needed),
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
        let remaining = self.file_remaining();
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
        for i in 0..n {
            let at = p;
            let Some(len_bytes) = rest.get(p..p + width) else {
                if ((p + width) as u64) <= (rest.len() as u64).saturating_add(self.beyond) {
                    return Err(self.strings_incomplete(n, i, p, None, name));
                }
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
                if len <= remaining.saturating_add(self.beyond) {
                    return Err(self.strings_incomplete(n, i, at, Some(len), name));
                }
                return Err(Error::CountTooLarge {
                    what: "string length",
                    at: loc(self.offset() + at as u64, name),
                    count: len,
                    remaining: remaining.saturating_add(self.beyond),
                });
            }
            p += len as usize;
        }
        self.pos += p;
        Ok(())
    }

    /// [`Error::HeaderIncomplete`] inside an array of `n` strings starting at
    /// the current position, of which `done` took the first `p` bytes; the
    /// next one is `len` bytes long, if its length was read. The array's end
    /// is extrapolated from the recent half of the strings read (tokens
    /// tend to grow longer along a vocabulary).
    fn strings_incomplete(&self, n: u64, done: u64, p: usize, len: Option<u64>, name: Option<&str>) -> Error {
        let start = self.offset();
        let width = self.count_width();
        // Where the current string ends, as far as it is known.
        let known_end = start + p as u64 + len.map_or(0, |l| width + l);
        let known_done = done + u64::from(len.is_some());
        let half = done / 2;
        let mut q = 0usize;
        let rest = self.rest();
        for _ in 0..half {
            // Walked once already: every length is in `rest`.
            let Some(b) = rest.get(q..q + width as usize) else {
                break;
            };
            let l = if self.wide {
                E::read_u64(b)
            } else {
                u64::from(E::read_u32(b))
            };
            q += width as usize + l as usize;
        }
        let average = match (done - half, len) {
            (0, Some(l)) => width + l,
            (0, None) => width + 8,
            (k, _) => (p - q) as u64 / k,
        };
        let estimate = known_end.saturating_add(n.saturating_sub(known_done).saturating_mul(average));
        self.incomplete(
            start + p as u64,
            name,
            known_end.max(start + p as u64 + width),
            estimate,
        )
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

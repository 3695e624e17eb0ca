//! Reading only the header of a GGUF file from a source where bytes are
//! dear — a web server, a slow disk: [`RangeRead`] is how the bytes are
//! asked for, [`GgufFile::read_header`] asks for as few as the header needs,
//! growing its buffer by what the parser says is missing. The parsing is
//! [`Gguf::parse_prefix`]'s; no HTTP lives here (the `gguf` command brings
//! its own client).

use crate::error::{Error, Result};
use crate::file::GgufFile;
use crate::read::{Gguf, ParseOptions};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// How many bytes [`GgufFile::read_header`] asks for first, unless told
/// otherwise: enough for most headers, and for a large vocabulary enough
/// strings to extrapolate the rest from.
pub const FIRST_READ: u64 = 1 << 20;

/// Where the bytes of a file come from: give me the bytes from `start` on.
///
/// Implemented here for byte slices and files; the `gguf` command
/// implements it over HTTP range requests.
pub trait RangeRead {
    /// A reader of the file's bytes from `start` on, and the file's size.
    ///
    /// `end` (exclusive) says how far the caller means to read: a source
    /// that can ask for a range (an HTTP `Range` request) asks for
    /// `start..end` and may end the reader there; one that cannot (a server
    /// that ignores `Range`) may go on to the end of the file — the caller
    /// drops the reader once it has what it needs.
    fn read_from(&mut self, start: u64, end: u64) -> io::Result<RangeStream<'_>>;
}

/// One answer of a [`RangeRead`]: the file's size, and its bytes from the
/// start asked for.
pub struct RangeStream<'a> {
    /// The whole file's size in bytes.
    pub file_size: u64,
    /// The bytes from the start asked for, at least up to the end asked for
    /// (or the end of the file), possibly further.
    pub reader: Box<dyn Read + 'a>,
}

impl RangeRead for &[u8] {
    fn read_from(&mut self, start: u64, end: u64) -> io::Result<RangeStream<'_>> {
        let len = self.len() as u64;
        let (s, e) = (start.min(len) as usize, end.clamp(start, len) as usize);
        Ok(RangeStream {
            file_size: len,
            reader: Box::new(&self[s..e]),
        })
    }
}

impl RangeRead for File {
    fn read_from(&mut self, start: u64, end: u64) -> io::Result<RangeStream<'_>> {
        let file_size = self.metadata()?.len();
        self.seek(SeekFrom::Start(start))?;
        Ok(RangeStream {
            file_size,
            reader: Box::new(Read::take(&*self, end.saturating_sub(start))),
        })
    }
}

/// The next end to ask for when the parser needs bytes up to `needed` and
/// guesses the header ends near `estimate`: the guess and a little slack
/// (1/16 and 16 KiB), so that one more read usually does.
fn next_end(needed: u64, estimate: u64, file_size: u64) -> u64 {
    let guess = estimate.max(needed);
    guess
        .saturating_add(guess / 16)
        .saturating_add(SLACK)
        .min(file_size)
        .max(needed)
}

/// Bytes asked for beyond the parser's guess, besides 1/16 of it.
const SLACK: u64 = 16 << 10;

/// How many times a reader that fails part-way is asked again from where
/// it stopped.
const RESUMES: u32 = 2;

/// Bytes read from a source at a time.
const CHUNK: usize = 256 << 10;

impl GgufFile {
    /// Reads the header of the file `source` serves — and as little else as
    /// it can — into memory. `name` is used in messages and as
    /// [`GgufFile::path`]; `first_read` is how many bytes to ask for first
    /// ([`FIRST_READ`] suits most files).
    ///
    /// The bytes read are parsed as far as they go ([`Gguf::parse_prefix`]);
    /// when they end inside the header, the next read asks for what the
    /// parser says is missing, extrapolated from what it has seen (the
    /// length of the strings of a vocabulary so far, of the tensor infos so
    /// far), plus a little slack. A model with a 262,144-token vocabulary
    /// (a 7.7 MB header) takes two reads. A source that goes on past the end
    /// asked for (a server that ignores `Range`) is read only until the
    /// header is complete; one that fails part-way (a connection reset) is
    /// asked again from where it stopped, twice at most. The result is a
    /// [`GgufFile::from_prefix`]: parse
    /// it for the header ([`GgufFile::parse_header`] or, checking every
    /// tensor against the file's size, [`GgufFile::parse`]), with the same
    /// result, errors included, as parsing the whole file; only its tensor
    /// data is missing.
    ///
    /// Fails only when the source does; a file that is not GGUF, or broken,
    /// is read as far as it parses and reported by the parse.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::GgufFile;
    /// let mut file = std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf")).unwrap();
    /// let head = GgufFile::read_header("tiny-llama-f32.gguf", &mut file, 4096)?;
    /// assert!(head.as_bytes().len() < 32 << 10);                 // of 459 kB
    /// let g = head.parse()?;
    /// assert_eq!(g.file_size(), file.metadata().unwrap().len());
    /// assert_eq!(g.get_u32("llama.block_count")?, 2);
    /// assert!(g.tensors().iter().all(|t| g.tensor_in_file(t)));  // and not read
    /// # Ok(()) }
    /// ```
    pub fn read_header(
        name: impl AsRef<Path>,
        source: &mut (impl RangeRead + ?Sized),
        first_read: u64,
    ) -> Result<GgufFile> {
        let name = name.as_ref();
        let io = |e: io::Error| Error::io(name, e);
        let mut buf: Vec<u8> = Vec::new();
        let mut end = first_read.max(8);
        let mut resumes = RESUMES;
        loop {
            let start = buf.len() as u64;
            end = end.max(start + 1);
            let stream = source.read_from(start, end).map_err(io)?;
            let file_size = stream.file_size;
            // Never more than the file, whatever the source sends.
            let mut reader = stream.reader.take(file_size.saturating_sub(start));
            // Parse again once the buffer reaches this, or the reader ends.
            let mut check_at = end.min(file_size);
            loop {
                let len = buf.len();
                buf.resize(len + CHUNK, 0);
                let n = loop {
                    match reader.read(&mut buf[len..]) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        r => break r,
                    }
                };
                buf.truncate(len + *n.as_ref().unwrap_or(&0));
                let n = match n {
                    Ok(n) => n,
                    // Cut off part-way (a connection reset, a stalled
                    // server): ask again from here.
                    Err(_) if resumes > 0 => {
                        resumes -= 1;
                        break;
                    }
                    Err(e) => return Err(io(e)),
                };
                let ended = n == 0;
                if !ended && (buf.len() as u64) < check_at {
                    continue;
                }
                match Gguf::parse_prefix(&buf, file_size, ParseOptions { check_data: false }) {
                    Err(Error::HeaderIncomplete { needed, estimate, .. }) => {
                        end = next_end(needed, estimate, file_size);
                        // Within this answer, parse again at the guess.
                        check_at = needed.max(estimate.min(end));
                    }
                    // Complete, or broken where the parse of the whole
                    // file would be: the caller's parse tells which.
                    _ => return Ok(GgufFile::from_prefix(name, buf, file_size)),
                }
                if ended {
                    break;
                }
            }
            if buf.len() as u64 == start && resumes == RESUMES {
                return Err(io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("no bytes from offset {start} on, in a file of {file_size} bytes"),
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    /// A slice that counts what it was asked for and what was read from it.
    struct Counting<'a> {
        bytes: &'a [u8],
        /// Per read: start, end asked for.
        asked: Vec<(u64, u64)>,
        /// Ignore `end` (a server that ignores `Range`: everything from `start`).
        ignore_end: bool,
    }

    impl RangeRead for Counting<'_> {
        fn read_from(&mut self, start: u64, end: u64) -> io::Result<RangeStream<'_>> {
            self.asked.push((start, end));
            let len = self.bytes.len() as u64;
            let end = if self.ignore_end { len } else { end.min(len) };
            Ok(RangeStream {
                file_size: len,
                reader: Box::new(&self.bytes[start.min(end) as usize..end as usize]),
            })
        }
    }

    fn header_len(bytes: &[u8]) -> u64 {
        Gguf::parse(bytes).unwrap().tensor_infos_end()
    }

    #[test]
    fn big_vocabulary_header_takes_two_reads() {
        let model = gguf_testdata::big_vocab_model(262_144);
        let header = header_len(&model);
        let mut src = Counting {
            bytes: &model,
            asked: Vec::new(),
            ignore_end: false,
        };
        let head = GgufFile::read_header("big", &mut src, FIRST_READ).unwrap();
        let read = head.as_bytes().len() as u64;
        assert_eq!(src.asked.len(), 2, "{:?}, header {header}", src.asked);
        assert!(
            read >= header && read <= header + header / 8 + SLACK,
            "{read} for {header}"
        );
        let g = head.parse().unwrap();
        let whole = Gguf::parse(&model).unwrap();
        assert_eq!(g.metadata(), whole.metadata());
        assert_eq!(g.tensors(), whole.tensors());
        assert_eq!(g.file_size(), model.len() as u64);
    }

    #[test]
    fn a_source_ignoring_the_end_is_read_until_the_header_is_complete() {
        let model = gguf_testdata::big_vocab_model(262_144);
        let header = header_len(&model);
        let mut src = Counting {
            bytes: &model,
            asked: Vec::new(),
            ignore_end: true,
        };
        let head = GgufFile::read_header("big", &mut src, 64 << 10).unwrap();
        assert_eq!(src.asked.len(), 1);
        let read = head.as_bytes().len() as u64;
        assert!(
            read >= header && read <= header + header / 8 + (256 << 10),
            "{read} for {header}"
        );
        head.parse().unwrap();
    }

    #[test]
    fn every_test_file_reads_as_its_whole_parses() {
        for (name, bytes) in gguf_testdata::files() {
            for first in [8, 100, 4096] {
                let mut s: &[u8] = &bytes;
                let head = GgufFile::read_header(name, &mut s, first).unwrap();
                let g = head.parse().unwrap();
                let whole = Gguf::parse(&bytes).unwrap();
                assert_eq!(g.metadata(), whole.metadata(), "{name}");
                assert_eq!(g.tensors(), whole.tensors(), "{name}");
                assert_eq!(g.data_offset(), whole.data_offset(), "{name}");
                for t in g.tensors() {
                    assert!(g.tensor_in_file(t), "{name} {}", t.name);
                    if g.tensor_range(t).unwrap().end > head.as_bytes().len() as u64 {
                        assert!(matches!(g.tensor_data(t), Err(Error::TensorNotRead { .. })));
                    }
                }
            }
        }
    }

    /// Every malformed file gives the error its whole parse gives, read
    /// from any first length: the prefix is checked against the whole
    /// file's size, so even counts and lengths are refused alike.
    #[test]
    fn malformed_files_fail_as_when_read_whole() {
        for (name, bytes) in gguf_testdata::malformed_files() {
            let whole = Gguf::parse(&bytes).map(|_| ()).map_err(|e| e.to_string());
            for first in [8, 64, 1000] {
                let mut s: &[u8] = &bytes;
                let head = GgufFile::read_header(&name, &mut s, first).unwrap();
                let got = head.parse().map(|_| ()).map_err(|e| e.to_string());
                assert_eq!(got, whole, "{name}, first read {first}");
            }
        }
    }

    /// A source whose readers fail after `cut` bytes, the first `failures` times.
    struct Flaky<'a> {
        bytes: &'a [u8],
        cut: usize,
        failures: usize,
        asked: usize,
    }

    struct FailAfter<'a>(&'a [u8], bool);

    impl Read for FailAfter<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() && self.1 {
                return Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
            }
            self.0.read(out)
        }
    }

    impl RangeRead for Flaky<'_> {
        fn read_from(&mut self, start: u64, end: u64) -> io::Result<RangeStream<'_>> {
            self.asked += 1;
            let fail = self.asked <= self.failures;
            let stop = if fail {
                start as usize + self.cut
            } else {
                end as usize
            };
            let stop = stop.min(self.bytes.len());
            Ok(RangeStream {
                file_size: self.bytes.len() as u64,
                reader: Box::new(FailAfter(&self.bytes[start as usize..stop], fail)),
            })
        }
    }

    #[test]
    fn a_reader_cut_off_part_way_is_asked_again_from_where_it_stopped() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/tiny-llama-f16.gguf"
        ))
        .unwrap();
        let mut src = Flaky {
            bytes: &bytes,
            cut: 1000,
            failures: 2,
            asked: 0,
        };
        let head = GgufFile::read_header("flaky", &mut src, 1 << 16).unwrap();
        assert_eq!(src.asked, 3);
        assert_eq!(head.parse().unwrap().tensors().len(), 21);
        let mut src = Flaky {
            bytes: &bytes,
            cut: 1000,
            failures: 3,
            asked: 0,
        };
        let e = GgufFile::read_header("flaky", &mut src, 1 << 16).unwrap_err();
        assert_eq!(e.to_string(), "flaky: reset");
        assert_eq!(src.asked, 3);
    }

    #[test]
    fn a_file_source_reads_the_header_only() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f16.gguf");
        let mut f = File::open(path).unwrap();
        let head = GgufFile::read_header(path, &mut f, 1024).unwrap();
        let whole = GgufFile::open(path).unwrap();
        let header = whole.parse().unwrap().tensor_infos_end();
        let read = head.as_bytes().len() as u64;
        assert!(
            read >= header && read <= header + header / 8 + SLACK,
            "{read} for {header}"
        );
        assert_eq!(head.file_size(), whole.as_bytes().len() as u64);
        assert_eq!(head.parse().unwrap().tensors(), whole.parse().unwrap().tensors());
    }
}

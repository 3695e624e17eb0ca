//! Owning a file's bytes: a read-only memory map, or the bytes read into memory
//! for pipes and platforms where mapping fails, or only the first bytes of a
//! file read from elsewhere (its header). Parsing borrows from any of them.

use crate::error::{Error, Result};
use crate::read::{Gguf, ParseOptions};
use memmap2::Mmap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

enum Storage {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// The bytes of a GGUF file, mapped or read, and the path they came from.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::GgufFile;
/// let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f16.gguf"))?;
/// let gguf = file.parse()?;
/// for t in gguf.tensors() {
///     println!("{} {} {:?}", t.name, t.ggml_type, t.dims());
/// }
/// # Ok(()) }
/// ```
pub struct GgufFile {
    path: PathBuf,
    storage: Storage,
    /// The open file, when the bytes came from one (for `copy_file_range`).
    file: Option<File>,
    /// The whole file's size: the bytes' length, or more for a prefix.
    file_size: u64,
}

impl GgufFile {
    /// Maps the file read-only, falling back to reading it into memory when it
    /// cannot be mapped (a pipe, a special file, a platform without mmap).
    ///
    /// The map is shared: if another process truncates or rewrites the file
    /// while it is mapped, reads of the changed pages see the change (and a
    /// truncation can fault), as with every mmap-based reader including llama.cpp.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::GgufFile;
    /// let file = GgufFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/tiny-llama-f32.gguf"))?;
    /// assert!(file.is_mapped());
    /// let gguf = file.parse()?; // borrows `file`'s bytes
    /// assert_eq!(gguf.get_u32("llama.block_count")?, 2);
    ///
    /// let missing = GgufFile::open("no/such/file.gguf").unwrap_err();
    /// assert!(missing.to_string().starts_with("no/such/file.gguf: "));
    /// # Ok(()) }
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<GgufFile> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let is_regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
        if is_regular {
            // SAFETY: the map is read-only; see the doc comment for what
            // concurrent modification of the file means.
            if let Ok(map) = unsafe { Mmap::map(&file) } {
                return Ok(GgufFile {
                    path: path.to_path_buf(),
                    file_size: map.len() as u64,
                    storage: Storage::Mapped(map),
                    file: Some(file),
                });
            }
        }
        let mut read = Self::read_from(path, &file)?;
        read.file = is_regular.then_some(file);
        Ok(read)
    }

    /// Reads the whole file into memory instead of mapping it.
    pub fn open_in_memory(path: impl AsRef<Path>) -> Result<GgufFile> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut read = Self::read_from(path, &file)?;
        read.file = Some(file);
        Ok(read)
    }

    /// Reads everything from `reader` (e.g. standard input); `name` is used in messages.
    pub fn read_from(name: impl AsRef<Path>, mut reader: impl Read) -> Result<GgufFile> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(name.as_ref(), e))?;
        Ok(Self::from_bytes(name, bytes))
    }

    /// Wraps bytes already in memory.
    ///
    /// ```
    /// # fn main() -> Result<(), gguf_format::Error> {
    /// use gguf_format::{GgufBuilder, GgufFile};
    /// let mut b = GgufBuilder::new();
    /// b.push("general.architecture", "llama")?;
    /// let bytes = b.write_header(Vec::new())?.finish()?;
    /// let file = GgufFile::from_bytes("in-memory.gguf", bytes);
    /// assert_eq!(file.parse()?.architecture(), Some("llama"));
    /// # Ok(()) }
    /// ```
    pub fn from_bytes(name: impl AsRef<Path>, bytes: Vec<u8>) -> GgufFile {
        let len = bytes.len() as u64;
        Self::from_prefix(name, bytes, len)
    }

    /// Wraps the first bytes of a file of `file_size` bytes — usually its
    /// header, read from elsewhere ([`GgufFile::read_header`]). Parsing
    /// checks against the whole file's size ([`Gguf::parse_prefix`]); tensor
    /// data past the bytes held is not there to read.
    pub fn from_prefix(name: impl AsRef<Path>, bytes: Vec<u8>, file_size: u64) -> GgufFile {
        GgufFile {
            path: name.as_ref().to_path_buf(),
            file_size: file_size.max(bytes.len() as u64),
            storage: Storage::Owned(bytes),
            file: None,
        }
    }

    /// The whole file's size: [`GgufFile::as_bytes`]'s length, or more when
    /// only its first bytes are held ([`GgufFile::from_prefix`]).
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// The path (or name) given when opening.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file the bytes came from, if they came from a file (not a
    /// pipe or a buffer): lets writers copy tensor data file to file in the
    /// kernel (`copy_file_range`) instead of through this process.
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Whether the bytes are a memory map (as opposed to read into memory).
    pub fn is_mapped(&self) -> bool {
        matches!(self.storage, Storage::Mapped(_))
    }

    /// The file's bytes (its first bytes only, for [`GgufFile::from_prefix`]).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.storage {
            Storage::Mapped(m) => m,
            Storage::Owned(v) => v,
        }
    }

    /// Parses the file with every check ([`Gguf::parse`]; a prefix as
    /// [`Gguf::parse_prefix`] does).
    pub fn parse(&self) -> Result<Gguf<'_>> {
        self.parse_with(ParseOptions::default())
    }

    /// Parses the header only: tensor data may be cut off ([`Gguf::parse_header`]).
    pub fn parse_header(&self) -> Result<Gguf<'_>> {
        self.parse_with(ParseOptions { check_data: false })
    }

    /// Parses with explicit options ([`Gguf::parse_with`]; a prefix as
    /// [`Gguf::parse_prefix`] does).
    pub fn parse_with(&self, options: ParseOptions) -> Result<Gguf<'_>> {
        Gguf::parse_prefix(self.as_bytes(), self.file_size, options)
    }

    /// Tells the kernel the byte range will not be needed again soon, so mapped
    /// pages already read can be dropped from this process's resident set
    /// (a no-op for in-memory files and on platforms without `madvise`).
    pub fn release(&self, range: std::ops::Range<u64>) {
        #[cfg(unix)]
        if let Storage::Mapped(m) = &self.storage {
            let page = 4096u64;
            let start = range.start.div_ceil(page) * page;
            let end = range.end.min(m.len() as u64) / page * page;
            if start < end {
                // SAFETY: the map is a read-only, file-backed mapping, so
                // MADV_DONTNEED only drops clean pages; later reads fault them
                // back in from the file with the same contents. Advice only:
                // failure changes nothing but memory use.
                let _ = unsafe {
                    m.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        start as usize,
                        (end - start) as usize,
                    )
                };
            }
        }
        #[cfg(not(unix))]
        let _ = range;
    }
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("len", &self.as_bytes().len())
            .field("file_size", &self.file_size)
            .field("mapped", &self.is_mapped())
            .finish()
    }
}

//! Replacing a file only when its new contents are complete: write to a
//! temporary file in the same directory, flush, fsync, rename over the target.

use crate::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `target` atomically: `write` fills a buffered temporary file created
/// next to `target`; when it returns `Ok`, the file is flushed, synced to disk
/// and renamed over `target`. On any error (from `write` or from the final
/// steps) the temporary file is removed and `target` is left untouched.
///
/// `write` may fail with any error type that this crate's [`Error`] converts into.
pub fn write_atomic<T, E: From<Error>>(
    target: impl AsRef<Path>,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let target = target.as_ref();
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name.as_deref().unwrap_or("gguf")))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    let tmp_path = tmp.path().to_path_buf();
    let io_err = |e| E::from(Error::io(&tmp_path, e));
    // Dropping `tmp` on any early return deletes the temporary file.
    let file = tmp.as_file().try_clone().map_err(io_err)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let value = write(&mut w)?;
    w.flush().map_err(io_err)?;
    drop(w);
    tmp.as_file_mut().sync_all().map_err(io_err)?;
    tmp.persist(target).map_err(|e| Error::io(target, e.error))?;
    // Make the rename itself durable (best effort: not every platform can sync a directory).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Result;

    #[test]
    fn success_replaces_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.gguf");
        std::fs::write(&target, b"old").unwrap();
        write_atomic(&target, |w| w.write_all(b"new").map_err(|e| Error::io("", e))).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn error_leaves_target_untouched_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.gguf");
        std::fs::write(&target, b"old").unwrap();
        let r: Result<()> = write_atomic(&target, |w| {
            w.write_all(&[7u8; 3 << 20]).unwrap();
            Err(Error::InvalidWrite("injected failure midway".into()))
        });
        assert!(matches!(r, Err(Error::InvalidWrite(_))));
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );

        let absent = dir.path().join("b.gguf");
        let r: Result<()> = write_atomic(&absent, |_| Err(Error::InvalidWrite("x".into())));
        assert!(r.is_err());
        assert!(!absent.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

//! Replacing a file only when its new contents are complete.
//!
//! On Linux the data goes to an unnamed file (`O_TMPFILE`) in the target's
//! directory, which is given a name and renamed over the target only after a
//! flush and fsync: if the process dies at any point before that — an error,
//! a panic, even `kill -9` — there is nothing to clean up. Elsewhere (or on
//! file systems without `O_TMPFILE`) a named temporary file is used and
//! removed on every error path the process survives.

use crate::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `target` atomically: `write` fills a buffered temporary file in the
/// target's directory; when it returns `Ok`, the file is flushed, synced to
/// disk and renamed over `target`. On any error (from `write` or from the
/// final steps) the temporary file is gone and `target` is left untouched.
/// The new file gets the permissions a newly created file gets (0666 less
/// the umask).
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
    #[cfg(target_os = "linux")]
    if let Some(file) = linux::unnamed_file(dir) {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let value = write(&mut w)?;
        let file = w.into_inner().map_err(|e| Error::io(target, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(target, e))?;
        linux::name_and_replace(&file, dir, target)?;
        sync_dir(dir);
        return Ok(value);
    }
    write_via_named_temp(dir, target, write)
}

fn temp_prefix(target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned());
    format!(".{}.", name.as_deref().unwrap_or("gguf"))
}

fn write_via_named_temp<T, E: From<Error>>(
    dir: &Path,
    target: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let prefix = temp_prefix(target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
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
    sync_dir(dir);
    Ok(value)
}

/// Makes a rename durable (best effort: not every platform can sync a directory).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{temp_prefix, Error};
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::{AsRawFd, FromRawFd};
    use std::path::Path;

    /// An unnamed regular file in `dir`, or `None` if the file system cannot make one.
    pub(super) fn unnamed_file(dir: &Path) -> Option<File> {
        let c_dir = CString::new(dir.as_os_str().as_bytes()).ok()?;
        // SAFETY: a plain open(2) call with a valid NUL-terminated path; the
        // returned descriptor, if any, is owned by the `File` made from it.
        let fd = unsafe {
            libc::open(
                c_dir.as_ptr(),
                libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC,
                0o666,
            )
        };
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        (fd >= 0).then(|| unsafe { File::from_raw_fd(fd) })
    }

    fn link(file: &File, to: &CString) -> io::Result<()> {
        let proc_path = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).expect("no NUL");
        // SAFETY: linkat(2) with valid NUL-terminated paths; no memory is shared.
        let r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                proc_path.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let first = io::Error::last_os_error();
        if first.kind() == io::ErrorKind::AlreadyExists {
            return Err(first);
        }
        // Without /proc: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, but try.
        // SAFETY: as above; "" is a valid empty C string.
        let r = unsafe {
            libc::linkat(
                file.as_raw_fd(),
                c"".as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_EMPTY_PATH,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(first)
        }
    }

    /// Gives the finished unnamed file a temporary name in `dir`, then renames
    /// it over `target`. If it cannot be named, its contents are copied into a
    /// named temporary file instead.
    pub(super) fn name_and_replace(file: &File, dir: &Path, target: &Path) -> Result<(), Error> {
        let prefix = temp_prefix(target);
        for attempt in 0..100u32 {
            let tmp = dir.join(format!("{prefix}{}.{attempt}.tmp", std::process::id()));
            let c_tmp = CString::new(tmp.as_os_str().as_bytes()).map_err(|e| Error::io(&tmp, e.into()))?;
            match link(file, &c_tmp) {
                Ok(()) => {
                    return std::fs::rename(&tmp, target).map_err(|e| {
                        let _ = std::fs::remove_file(&tmp);
                        Error::io(target, e)
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(_) => return copy_out(file, dir, target),
            }
        }
        copy_out(file, dir, target)
    }

    fn copy_out(file: &File, dir: &Path, target: &Path) -> Result<(), Error> {
        let mut src =
            File::open(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(|e| Error::io(target, e))?;
        super::write_via_named_temp(dir, target, |w| {
            io::copy(&mut src, w).map_err(|e| Error::io(target, e))?;
            Ok::<(), Error>(())
        })
    }
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

    #[cfg(target_os = "linux")]
    #[test]
    fn new_files_get_ordinary_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.gguf"), dir.path().join("b.gguf"));
        write_atomic(&a, |w| w.write_all(b"x").map_err(|e| Error::io("", e))).unwrap();
        write_via_named_temp(dir.path(), &b, |w| {
            w.write_all(b"y").map_err(|e| Error::io("", e))
        })
        .unwrap();
        // SAFETY: umask(2) only swaps the process's mask; restored at once.
        let umask = unsafe {
            let m = libc::umask(0);
            libc::umask(m);
            m
        };
        for p in [a, b] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o666 & !umask, "{}", p.display());
        }
    }

    #[test]
    fn named_fallback_cleans_up_too() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("c.gguf");
        let r: Result<()> = write_via_named_temp(dir.path(), &target, |w| {
            w.write_all(b"partial").unwrap();
            Err(Error::InvalidWrite("x".into()))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

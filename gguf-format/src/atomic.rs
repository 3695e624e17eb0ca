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
use std::io::BufWriter;
use std::path::Path;
use tempfile::TempPath;

/// Writes `target` atomically: `write` fills a buffered temporary file in the
/// target's directory; when it returns `Ok`, the file is flushed, synced to
/// disk and renamed over `target`. On any error (from `write` or from the
/// final steps) the temporary file is gone and `target` is left untouched.
/// The new file gets the permissions a newly created file gets (0666 less
/// the umask).
///
/// `write` may fail with any error type that this crate's [`Error`] converts into.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{write_atomic, Error, GgmlType, GgufBuilder};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("model.gguf");
/// let mut b = GgufBuilder::new();
/// b.add_tensor("w", &[4], GgmlType::F32)?;
/// let bytes = write_atomic(&path, |w| {
///     let mut tw = b.write_header(w)?;
///     tw.write_tensor(&[0; 16])?;
///     Ok::<_, Error>(tw.bytes_written())
/// })?;
/// assert_eq!(std::fs::metadata(&path).unwrap().len(), bytes);
///
/// // A failure midway leaves the existing file as it was.
/// let r = write_atomic(&path, |w| {
///     b.write_header(w)?; // the header, but no data
///     Err::<(), _>(Error::InvalidWrite("stopped".into()))
/// });
/// assert!(r.is_err());
/// assert_eq!(std::fs::metadata(&path).unwrap().len(), bytes);
/// # Ok(()) }
/// ```
pub fn write_atomic<T, E: From<Error>>(
    target: impl AsRef<Path>,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let mut write = Some(write);
    let mut value = None;
    write_atomic_all::<_, E>(&[target.as_ref()], |_, w| {
        let f = write.take().expect("one target, one call");
        value = Some(f(w)?);
        Ok(())
    })?;
    Ok(value.expect("written"))
}

/// Writes several files that belong together (the shards of a split model)
/// so that they appear together or not at all: `write(i, w)` fills the
/// temporary file for `targets[i]`, in order; only when every one is written
/// and synced are they renamed over their targets, one after the other. On
/// an error before that point no target is touched and no temporary file is
/// left; if a rename itself fails, the targets already renamed are removed
/// too, so no incomplete set remains.
///
/// ```
/// # fn main() -> Result<(), gguf_format::Error> {
/// use gguf_format::{write_atomic_all, Error, GgufBuilder};
/// let dir = tempfile::tempdir().unwrap();
/// let names = [dir.path().join("a.gguf"), dir.path().join("b.gguf")];
/// let b = GgufBuilder::new();
/// // The second file fails: neither appears.
/// let r = write_atomic_all(&names, |i, w| {
///     b.write_header(w)?.finish()?;
///     if i == 1 {
///         return Err(Error::InvalidWrite("stopped".into()));
///     }
///     Ok(())
/// });
/// assert!(r.is_err() && !names[0].exists() && !names[1].exists());
///
/// write_atomic_all(&names, |_, w| b.write_header(w)?.finish().map(drop))?;
/// assert!(names[0].exists() && names[1].exists());
/// # Ok(()) }
/// ```
pub fn write_atomic_all<P: AsRef<Path>, E: From<Error>>(
    targets: &[P],
    mut write: impl FnMut(usize, &mut BufWriter<File>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let targets: Vec<&Path> = targets.iter().map(AsRef::as_ref).collect();
    for (i, t) in targets.iter().enumerate() {
        if targets[..i].contains(t) {
            return Err(E::from(Error::io(
                t,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "the same output is named twice"),
            )));
        }
    }
    // Dropping the staged files on an early return deletes them.
    let mut ready: Vec<(TempPath, &Path)> = Vec::with_capacity(targets.len());
    for (i, &target) in targets.iter().enumerate() {
        let staged = Staged::create(target)?;
        let file = staged.file().try_clone().map_err(|e| Error::io(target, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        // The disk writes what is written while the rest is still being
        // made, so that the sync below waits for the tail only.
        let background = Writeback::start(staged.file());
        let written = write(i, &mut w);
        drop(background);
        written?;
        w.into_inner().map_err(|e| Error::io(target, e.into_error()))?;
        staged.file().sync_all().map_err(|e| Error::io(target, e))?;
        ready.push((staged.into_temp_path(target)?, target));
    }
    let mut done: Vec<&Path> = Vec::with_capacity(ready.len());
    for (tmp, target) in ready {
        if let Err(e) = tmp.persist(target) {
            for d in done {
                let _ = std::fs::remove_file(d);
            }
            return Err(E::from(Error::io(target, e.error)));
        }
        done.push(target);
    }
    let mut dirs: Vec<&Path> = targets.iter().map(|t| parent(t)).collect();
    dirs.dedup();
    for d in dirs {
        sync_dir(d);
    }
    Ok(())
}

/// Starts the disk writing a staged file's dirty pages every few
/// milliseconds while it is being written (Linux's `sync_file_range`,
/// which does not wait), on a thread that stops when this is dropped.
/// Without it every byte would wait for the final fsync; elsewhere it does
/// nothing.
struct Writeback {
    #[cfg(target_os = "linux")]
    stop: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

impl Writeback {
    /// How often the written pages are handed to the disk.
    #[cfg(target_os = "linux")]
    const EVERY: std::time::Duration = std::time::Duration::from_millis(20);

    fn start(file: &File) -> Writeback {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            use std::sync::mpsc::{channel, RecvTimeoutError};
            // A duplicate descriptor of its own, so that the thread never
            // outlives the file it syncs. Without one, nothing starts early.
            let Ok(file) = file.try_clone() else {
                return Writeback { stop: None };
            };
            let (tx, rx) = channel::<()>();
            let thread = std::thread::Builder::new()
                .name("writeback".into())
                .spawn(move || {
                    while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(Writeback::EVERY) {
                        // SAFETY: `file` is an open descriptor owned by this
                        // thread; offset 0 and length 0 mean the whole file.
                        // Only starts writing (no wait); an error here is
                        // the final fsync's to report.
                        unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
                    }
                });
            Writeback {
                stop: thread.ok().map(|t| (tx, t)),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = file;
            Writeback {}
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some((tx, thread)) = self.stop.take() {
            drop(tx);
            let _ = thread.join();
        }
    }
}

fn parent(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_prefix(target: &Path) -> String {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned());
    format!(".{}.", name.as_deref().unwrap_or("gguf"))
}

/// A temporary file in the target's directory, not yet in place.
enum Staged {
    /// An `O_TMPFILE` file: it has no name, so nothing is left if the process dies.
    #[cfg(target_os = "linux")]
    Unnamed(File),
    /// A named temporary file, removed on drop.
    Named(tempfile::NamedTempFile),
}

impl Staged {
    fn create(target: &Path) -> Result<Staged, Error> {
        let dir = parent(target);
        #[cfg(target_os = "linux")]
        if let Some(file) = linux::unnamed_file(dir) {
            return Ok(Staged::Unnamed(file));
        }
        named_temp(dir, target).map(Staged::Named)
    }

    fn file(&self) -> &File {
        match self {
            #[cfg(target_os = "linux")]
            Staged::Unnamed(f) => f,
            Staged::Named(t) => t.as_file(),
        }
    }

    /// Gives the finished file a (temporary) name beside `target`.
    fn into_temp_path(self, target: &Path) -> Result<TempPath, Error> {
        match self {
            #[cfg(target_os = "linux")]
            Staged::Unnamed(f) => linux::name(&f, parent(target), target),
            Staged::Named(t) => Ok(t.into_temp_path()),
        }
    }
}

fn named_temp(dir: &Path, target: &Path) -> Result<tempfile::NamedTempFile, Error> {
    let prefix = temp_prefix(target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))
}

/// Writes `target` through a named temporary file only (the fallback path).
#[cfg(test)]
fn write_via_named_temp<T, E: From<Error>>(
    dir: &Path,
    target: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    use std::io::Write;
    let tmp = named_temp(dir, target)?;
    let tmp_path: std::path::PathBuf = tmp.path().to_path_buf();
    let file = tmp.as_file().try_clone().map_err(|e| Error::io(&tmp_path, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let value = write(&mut w)?;
    w.flush().map_err(|e| Error::io(&tmp_path, e))?;
    drop(w);
    tmp.as_file().sync_all().map_err(|e| Error::io(&tmp_path, e))?;
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
    use super::{named_temp, temp_prefix, Error};
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::{AsRawFd, FromRawFd};
    use std::path::Path;
    use tempfile::TempPath;

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

    /// Gives the finished unnamed file a temporary name in `dir`. If it
    /// cannot be named, its contents are copied into a named temporary file.
    pub(super) fn name(file: &File, dir: &Path, target: &Path) -> Result<TempPath, Error> {
        let prefix = temp_prefix(target);
        for attempt in 0..100u32 {
            let tmp = dir.join(format!("{prefix}{}.{attempt}.tmp", std::process::id()));
            let c_tmp = CString::new(tmp.as_os_str().as_bytes()).map_err(|e| Error::io(&tmp, e.into()))?;
            match link(file, &c_tmp) {
                Ok(()) => return TempPath::try_from_path(&tmp).map_err(|e| Error::io(&tmp, e)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(_) => break,
            }
        }
        copy_out(file, dir, target)
    }

    fn copy_out(file: &File, dir: &Path, target: &Path) -> Result<TempPath, Error> {
        let mut src =
            File::open(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(|e| Error::io(target, e))?;
        let mut tmp = named_temp(dir, target)?;
        io::copy(&mut src, tmp.as_file_mut()).map_err(|e| Error::io(target, e))?;
        tmp.as_file().sync_all().map_err(|e| Error::io(target, e))?;
        Ok(tmp.into_temp_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Result;
    use std::io::Write;

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

    #[test]
    fn a_set_appears_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<_> = (0..3).map(|i| dir.path().join(format!("s{i}.gguf"))).collect();
        std::fs::write(&names[1], b"old").unwrap();
        // The third file fails: none of the three may change.
        let r: Result<()> = write_atomic_all(&names, |i, w| {
            w.write_all(&[i as u8; 1000]).unwrap();
            if i == 2 {
                return Err(Error::InvalidWrite("injected".into()));
            }
            Ok(())
        });
        assert!(r.is_err());
        assert!(!names[0].exists() && !names[2].exists());
        assert_eq!(std::fs::read(&names[1]).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );

        write_atomic_all(&names, |i, w| {
            w.write_all(&[i as u8; 10]).map_err(|e| Error::io("", e))
        })
        .unwrap();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(std::fs::read(n).unwrap(), [i as u8; 10]);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);

        let twice = [names[0].clone(), names[0].clone()];
        let r: Result<()> = write_atomic_all(&twice, |_, _| Ok(()));
        assert!(r.unwrap_err().to_string().contains("named twice"));
    }
}

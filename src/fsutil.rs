//! Small file-system helpers shared by the state store and the AWS files editor:
//! atomic replacement (temporary file in the same folder, fsync, rename) and
//! advisory locks.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Creates `dir` (and its parents) when missing; a folder credtray creates gets mode 0700.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Follows symbolic links so that a file kept elsewhere (a dotfiles repository, say) is
/// edited where it lives instead of the link being replaced by a regular file.
pub fn resolve_link(path: &Path) -> PathBuf {
    match fs::canonicalize(path) {
        Ok(real) => real,
        Err(_) => path.to_path_buf(),
    }
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same folder with
/// mode 0600, written, fsynced, renamed over the target, then the folder fsynced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".credtray-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    persist(tmp, path)?;
    #[cfg(unix)]
    {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Renames the temporary file over `path`.
#[cfg(not(windows))]
fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

/// How long a rename over a file that another reader holds open is tried again (Windows).
#[cfg(windows)]
const REPLACE_RETRY: Duration = Duration::from_secs(2);

/// Renames the temporary file over `path`. Windows refuses to replace a file while anyone
/// has it open ("Access is denied", os error 5) — another process reading the state, or
/// the tray's own reader of a change it was told of; a reader holds it for a millisecond or
/// so: the rename is tried again, every 10 ms, for [`REPLACE_RETRY`] at most.
#[cfg(windows)]
fn persist(mut tmp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    let deadline = Instant::now() + REPLACE_RETRY;
    loop {
        match tmp.persist(path) {
            Ok(_) => return Ok(()),
            Err(e)
                if e.error.kind() == io::ErrorKind::PermissionDenied
                    && Instant::now() < deadline =>
            {
                tmp = e.file;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e.error),
        }
    }
}

/// The largest file credtray reads (the AWS files, the state file): 16 MiB. A larger
/// file is refused rather than read into memory.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Why a file that should be a regular file could not be opened for reading.
#[derive(Debug)]
pub enum OpenError {
    /// Nothing is there.
    NotFound,
    /// Something other than a regular file is there: "a folder", "a FIFO (named pipe)", …
    NotRegular(&'static str),
    /// The file is larger than [`MAX_FILE_SIZE`]; its size in bytes.
    TooLarge(u64),
    /// Any other failure.
    Io(io::Error),
}

/// What kind of thing a non-regular file is, in words.
fn kind_of(meta: &fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Opens `path` for reading only if it is a regular file of at most [`MAX_FILE_SIZE`]
/// bytes. Never blocks: a FIFO is opened non-blocking and refused, as are devices, sockets
/// and folders (the check is made on the opened file, so nothing can be swapped in between).
pub fn open_regular(path: &Path) -> Result<File, OpenError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(OpenError::NotFound),
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
            return Err(OpenError::NotRegular("a folder"))
        }
        Err(e) => return Err(OpenError::Io(e)),
    };
    let meta = file.metadata().map_err(OpenError::Io)?;
    if !meta.is_file() {
        return Err(OpenError::NotRegular(kind_of(&meta)));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(OpenError::TooLarge(meta.len()));
    }
    Ok(file)
}

/// Reads an opened regular file to its end, refusing one that has grown past
/// [`MAX_FILE_SIZE`] since it was opened.
pub fn read_limited(file: &mut File) -> Result<Vec<u8>, OpenError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(OpenError::Io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(OpenError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads `path` if it is a regular file of sane size: `Ok(None)` when it is missing.
pub fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, OpenError> {
    match open_regular(path) {
        Ok(mut f) => read_limited(&mut f).map(Some),
        Err(OpenError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// How long [`LockGuard::acquire`] waits for a lock before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// An exclusive advisory lock, released when dropped.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
}

impl LockGuard {
    /// Takes the exclusive lock on `path` (created with mode 0600 if missing), waiting at
    /// most [`LOCK_TIMEOUT`]; past that, an error of kind `TimedOut` says that another
    /// process holds it.
    pub fn acquire(path: &Path) -> io::Result<LockGuard> {
        LockGuard::acquire_within(path, LOCK_TIMEOUT)
    }

    /// [`LockGuard::acquire`] waiting at most `limit`.
    pub fn acquire_within(path: &Path, limit: Duration) -> io::Result<LockGuard> {
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(path)?;
        lock_within(&file, limit)?;
        Ok(LockGuard { file })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Takes the exclusive advisory lock on an open `file`, waiting at most `limit`: retries
/// `try_lock` with a growing pause (5 ms up to 100 ms). Fails with `TimedOut` when the lock
/// is still held after `limit`; a file system without locks is not an error.
pub fn lock_within(file: &File, limit: Duration) -> io::Result<()> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => return Ok(()),
            Err(TryLockError::Error(e)) => return Err(e),
            Err(TryLockError::WouldBlock) => {}
        }
        let waited = start.elapsed();
        if waited >= limit {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "another process has held its lock for more than {} s",
                    limit.as_secs()
                ),
            ));
        }
        std::thread::sleep(pause.min(limit - waited));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_regular_files_of_sane_size_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_regular(&fifo),
            Err(OpenError::NotRegular("a FIFO (named pipe)"))
        ));
        assert!(matches!(
            read_regular(Path::new("/dev/zero")),
            Err(OpenError::NotRegular("a device"))
        ));
        assert!(matches!(
            read_regular(dir.path()),
            Err(OpenError::NotRegular("a folder"))
        ));
        let big = dir.path().join("big");
        File::create(&big)
            .unwrap()
            .set_len(MAX_FILE_SIZE + 1)
            .unwrap();
        assert!(matches!(read_regular(&big), Err(OpenError::TooLarge(_))));
        assert!(read_regular(&dir.path().join("missing")).unwrap().is_none());
        fs::write(dir.path().join("ok"), b"x").unwrap();
        assert_eq!(read_regular(&dir.path().join("ok")).unwrap().unwrap(), b"x");
    }

    #[test]
    fn a_held_lock_times_out_and_a_free_one_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = LockGuard::acquire(&path).unwrap();
        let other = File::open(&path).unwrap();
        let start = Instant::now();
        let err = lock_within(&other, Duration::from_millis(300)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert!(start.elapsed() < Duration::from_secs(3));
        drop(held);
        lock_within(&other, Duration::from_millis(300)).unwrap();
    }
}

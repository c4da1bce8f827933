//! The AWS credentials and config files: where they are, reading them, and editing them in
//! place under a lock. The text editing itself is pure and lives in [`ini`].
//!
//! The files belong to the user (design rule 3): [`edit`] follows symbolic links and edits
//! the file where it lives, refuses files it cannot parse or decode (nothing is written),
//! writes through a temporary file in the same folder (fsync, rename, mode 0600), creates a
//! missing folder with mode 0700, and never writes when nothing changed.

pub mod ini;

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::fsutil;
use ini::IniError;

/// The variable that names the credentials file, as the AWS tools read it.
pub const CREDENTIALS_VAR: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// The variable that names the config file, as the AWS tools read it.
pub const CONFIG_VAR: &str = "AWS_CONFIG_FILE";

/// Where the two AWS files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsPaths {
    /// The shared credentials file (`~/.aws/credentials` by default).
    pub credentials: PathBuf,
    /// The config file (`~/.aws/config` by default).
    pub config: PathBuf,
}

impl AwsPaths {
    /// Which files: `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` when set (a leading
    /// `~/` expanded), else `~/.aws/credentials` and `~/.aws/config`, with the home folder
    /// from `directories::BaseDirs` (which honours `HOME` on Unix).
    pub fn from_env() -> Result<AwsPaths, FileError> {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        AwsPaths::from_vars(
            std::env::var_os(CREDENTIALS_VAR),
            std::env::var_os(CONFIG_VAR),
            home,
        )
    }

    /// [`AwsPaths::from_env`] with the two variables and the home folder given: `credentials`
    /// and `config` are the values of `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`
    /// (unset or empty means the default), `home` the user's home folder if known.
    pub fn from_vars(
        credentials: Option<OsString>,
        config: Option<OsString>,
        home: Option<PathBuf>,
    ) -> Result<AwsPaths, FileError> {
        let pick = |value: Option<OsString>, variable: &str, default: &str| match value
            .filter(|v| !v.is_empty())
        {
            Some(v) => expand_home(PathBuf::from(v), home.as_deref(), variable),
            None => match &home {
                Some(h) => Ok(h.join(".aws").join(default)),
                None => Err(FileError::NoHome {
                    needed_for: format!(
                        "the default location of the AWS files ({variable} is not set)"
                    ),
                }),
            },
        };
        Ok(AwsPaths {
            credentials: pick(credentials, CREDENTIALS_VAR, "credentials")?,
            config: pick(config, CONFIG_VAR, "config")?,
        })
    }
}

/// Expands a leading `~` component of `path` to `home`.
fn expand_home(path: PathBuf, home: Option<&Path>, variable: &str) -> Result<PathBuf, FileError> {
    let mut parts = path.components();
    if parts.next() != Some(Component::Normal("~".as_ref())) {
        return Ok(path);
    }
    match home {
        Some(h) => Ok(h.join(parts.as_path())),
        None => Err(FileError::NoHome {
            needed_for: format!("{variable}, which starts with `~`"),
        }),
    }
}

/// Why an AWS file could not be located, read or written. Every message names the file
/// and says what to do; none quotes the file's contents.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The home folder is needed but unknown.
    #[error(
        "cannot find your home folder, needed for {needed_for}; set HOME, or set \
         AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE to full paths"
    )]
    NoHome {
        /// What the home folder was needed for.
        needed_for: String,
    },
    /// A folder stands where the file should be.
    #[error(
        "{} is a folder, but an AWS file belongs there; move the folder aside or point \
         AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE at a file",
        .path.display()
    )]
    IsDirectory {
        /// The file's path.
        path: PathBuf,
    },
    /// Something other than a regular file stands where the file should be.
    #[error(
        "{} is {what}, not a regular file; credtray reads and writes AWS files only as \
         regular files: point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE at a regular \
         file, or move this one aside",
        .path.display()
    )]
    NotAFile {
        /// The file's path.
        path: PathBuf,
        /// What stands there, in words ("a FIFO (named pipe)", "a device", …).
        what: &'static str,
    },
    /// The file is larger than credtray reads.
    #[error(
        "{} is {size} bytes, larger than the {limit} MiB an AWS file can sensibly be; \
         credtray left it alone: check what wrote it, or point AWS_SHARED_CREDENTIALS_FILE / \
         AWS_CONFIG_FILE elsewhere",
        .path.display(), limit = fsutil::MAX_FILE_SIZE / (1024 * 1024)
    )]
    TooLarge {
        /// The file's path.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The file exists but cannot be read (permission denied, a symbolic link loop, …).
    #[error(
        "cannot read {}: {source}; check the file's permissions and, if it is a symbolic \
         link, what it points to",
        .path.display()
    )]
    Unreadable {
        /// The file's path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is not valid UTF-8.
    #[error(
        "{} line {line} (byte offset {offset}) is not valid UTF-8; credtray only edits UTF-8 \
         files: fix or re-save the file as UTF-8",
        .path.display()
    )]
    NotUtf8 {
        /// The file's path.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 0-based byte offset of the first invalid byte in the file.
        offset: usize,
    },
    /// The file does not parse as AWS tools read it, or an edit of it was refused.
    #[error("{}", ini_message(.path, .source))]
    Ini {
        /// The file's path (empty when built from an [`IniError`] inside [`edit`]'s
        /// closure; `edit` fills it in).
        path: PathBuf,
        /// What is wrong.
        source: IniError,
    },
    /// credtray's own edit would have left the file unreadable; nothing was written.
    #[error(
        "{}: credtray's edit would have made the file unreadable ({source}); nothing was \
         written. This is a bug in credtray: please report it",
        .path.display()
    )]
    Refused {
        /// The file's path.
        path: PathBuf,
        /// What would have been wrong with the edited text.
        source: IniError,
    },
    /// The advisory lock on the file could not be taken.
    #[error(
        "cannot lock {} for editing: {source}; make sure no other program holds it and try \
         again",
        .path.display()
    )]
    Lock {
        /// The file's path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The folder for a new file could not be created.
    #[error(
        "cannot create the folder {}: {source}; create it yourself (mode 0700) or check the \
         permissions of the folder above it",
        .path.display()
    )]
    CreateDir {
        /// The folder's path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The new contents could not be written; the file was left as it was.
    #[error(
        "cannot write {}: {source}; the file was left as it was: check that its folder is \
         writable and the disk is not full",
        .path.display()
    )]
    Write {
        /// The file's path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Any other I/O failure on the file.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file's path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// `~/.aws/credentials line 7: …` for errors found in the file, `path: …` for others.
fn ini_message(path: &Path, source: &IniError) -> String {
    let shown = path.display();
    match source.line() {
        _ if path.as_os_str().is_empty() => source.to_string(),
        Some(_) => format!("{shown} {source} (credtray left the file as it was)"),
        None => format!("{shown}: {source}"),
    }
}

impl From<IniError> for FileError {
    /// Wraps an [`IniError`] without a path, so that `?` works inside [`edit`]'s closure;
    /// `edit` fills in the file's path.
    fn from(source: IniError) -> FileError {
        FileError::Ini {
            path: PathBuf::new(),
            source,
        }
    }
}

impl FileError {
    /// The same error, naming `path` if it named no file yet.
    fn with_path(self, path: &Path) -> FileError {
        match self {
            FileError::Ini { path: p, source } if p.as_os_str().is_empty() => FileError::Ini {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        }
    }
}

/// Follows symbolic links to the file that is really edited: `fsutil::resolve_link`, and
/// for a link whose target does not exist yet, the links followed one by one (so that a
/// dangling link's target is created rather than the link being replaced). A link loop is
/// an [`FileError::Unreadable`] error.
fn resolve(path: &Path) -> Result<PathBuf, FileError> {
    if fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_symlink()) {
        return Ok(fsutil::resolve_link(path));
    }
    if let Ok(real) = fs::canonicalize(path) {
        return Ok(real);
    }
    let unreadable = |source| FileError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(unreadable)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(unreadable(e)),
        }
    }
    Err(unreadable(io::Error::other(
        "too many levels of symbolic links (a symbolic link loop?)",
    )))
}

/// Decodes `bytes` as UTF-8, naming the line and byte offset of the first invalid byte.
fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, FileError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..offset];
        let mut line = 1;
        for (i, &b) in before.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n')) {
                line += 1;
            }
        }
        FileError::NotUtf8 {
            path: path.to_path_buf(),
            line,
            offset,
        }
    })
}

fn read_error(path: &Path, e: io::Error) -> FileError {
    if e.kind() == io::ErrorKind::IsADirectory {
        FileError::IsDirectory {
            path: path.to_path_buf(),
        }
    } else {
        FileError::Unreadable {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// Reads an AWS file: `Ok(None)` when it does not exist. Errors when a folder stands where
/// the file should be, when it cannot be read (permission denied, a symbolic link loop, …),
/// when it is not UTF-8 (naming the line and byte offset of the first bad byte), and when
/// it does not parse as AWS tools read it (naming the line).
pub fn read(path: &Path) -> Result<Option<String>, FileError> {
    let target = resolve(path)?;
    let bytes = match fsutil::read_regular(&target) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(None),
        Err(e) => return Err(open_error(path, e)),
    };
    let text = decode(path, bytes)?;
    ini::check(&text).map_err(|source| FileError::Ini {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Some(text))
}

/// The [`FileError`] for a file that [`fsutil::open_regular`] refused.
fn open_error(path: &Path, e: fsutil::OpenError) -> FileError {
    match e {
        fsutil::OpenError::NotFound => read_error(path, io::ErrorKind::NotFound.into()),
        fsutil::OpenError::NotRegular("a folder") => FileError::IsDirectory {
            path: path.to_path_buf(),
        },
        fsutil::OpenError::NotRegular(what) => FileError::NotAFile {
            path: path.to_path_buf(),
            what,
        },
        fsutil::OpenError::TooLarge(size) => FileError::TooLarge {
            path: path.to_path_buf(),
            size,
        },
        fsutil::OpenError::Io(e) => read_error(path, e),
    }
}

/// Where an edit takes its advisory lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LockAt {
    /// The file itself, held open (and locked) until it has been replaced. On Unix a rename
    /// over an open file is fine, and a program that locks the file itself is waited for.
    #[cfg_attr(not(unix), allow(dead_code))]
    File,
    /// A lock file beside it (`credentials` → `credentials.credtray.lock`); the file itself
    /// is read and closed before it is replaced. Windows refuses to rename a file over one
    /// that is open ("Access denied", os error 5), so a lock held on the file itself would
    /// forbid its own replacement.
    #[cfg_attr(unix, allow(dead_code))]
    Beside,
}

/// Where this platform's edits lock.
#[cfg(unix)]
const LOCK_AT: LockAt = LockAt::File;
/// Where this platform's edits lock.
#[cfg(not(unix))]
const LOCK_AT: LockAt = LockAt::Beside;

/// The lock file of [`LockAt::Beside`] for `target`: the same name with
/// `.credtray.lock` added, in the same folder.
fn lock_file_of(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".credtray.lock");
    target.with_file_name(name)
}

/// The file as found under its lock: what holds the lock (the open file itself, or the
/// lock file beside it), if anything does, and the text.
struct Locked {
    /// Holds the lock until dropped.
    _file: Option<File>,
    /// Holds the lock beside the file until dropped.
    _beside: Option<fsutil::LockGuard>,
    existed: bool,
    text: String,
}

/// Opens `target` read-only, takes an exclusive advisory lock on it and reads it. A file
/// replaced (renamed over) while waiting for the lock is opened again, so the lock and the
/// text are those of the file now at the path. A missing file gives an empty text and no
/// lock.
fn lock_and_read(path: &Path, target: &Path, limit: Duration) -> Result<Locked, FileError> {
    for _ in 0..100 {
        let mut file = match fsutil::open_regular(target) {
            Ok(f) => f,
            Err(fsutil::OpenError::NotFound) => {
                return Ok(Locked {
                    _file: None,
                    _beside: None,
                    existed: false,
                    text: String::new(),
                })
            }
            Err(e) => return Err(open_error(path, e)),
        };
        fsutil::lock_within(&file, limit).map_err(|source| FileError::Lock {
            path: path.to_path_buf(),
            source,
        })?;
        if !same_file(&file, target) {
            continue;
        }
        let bytes = fsutil::read_limited(&mut file).map_err(|e| open_error(path, e))?;
        let text = decode(path, bytes)?;
        return Ok(Locked {
            _file: Some(file),
            _beside: None,
            existed: true,
            text,
        });
    }
    Err(FileError::Lock {
        path: path.to_path_buf(),
        source: io::Error::other("the file kept being replaced while waiting for its lock"),
    })
}

/// Takes the lock file beside `target` (when its folder exists; a missing folder means a
/// missing file, not locked, as with [`LockAt::File`]), then reads `target` and closes it:
/// no handle on the file stays open, so it can be replaced on every platform.
fn lock_beside_and_read(path: &Path, target: &Path, limit: Duration) -> Result<Locked, FileError> {
    let lock = lock_file_of(target);
    let beside = match target.parent().filter(|d| d.is_dir()) {
        None => None,
        Some(_) => Some(
            fsutil::LockGuard::acquire_within(&lock, limit).map_err(|e| FileError::Lock {
                path: path.to_path_buf(),
                source: io::Error::new(e.kind(), format!("{}: {e}", lock.display())),
            })?,
        ),
    };
    let (existed, text) = match fsutil::read_regular(target) {
        Ok(Some(bytes)) => (true, decode(path, bytes)?),
        Ok(None) => (false, String::new()),
        Err(e) => return Err(open_error(path, e)),
    };
    Ok(Locked {
        _file: None,
        _beside: beside,
        existed,
        text,
    })
}

/// Whether the open `file` is still the file at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the open `file` is still the file at `path` (assumed where it cannot be told).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Edits one AWS file under an advisory lock.
///
/// Resolves symbolic links (the link's target is edited, the link is never replaced),
/// locks the existing file itself on Unix (no lock file is created next to it; a missing
/// file is not locked — callers hold credtray's own lock too), or on Windows, which
/// refuses to replace an open file, a lock file beside it (`credentials.credtray.lock`),
/// waiting at most [`fsutil::LOCK_TIMEOUT`] and naming it, reads it (missing = `""`), checks
/// that it parses (malformed = error, nothing written), and calls `f` with the text. If the
/// text `f` returns differs, it is checked to parse and written with
/// [`fsutil::write_atomic`] (mode 0600), creating a missing parent folder with mode 0700;
/// if the file did not exist and the new text is empty, nothing is written. Returns what
/// `f` returns besides the new text. An [`IniError`] returned by `f` through `?` (see the
/// `From` conversion) is reported with this file's path.
pub fn edit<T>(
    path: &Path,
    f: impl FnOnce(&str) -> Result<(String, T), FileError>,
) -> Result<T, FileError> {
    edit_locked_at(path, LOCK_AT, fsutil::LOCK_TIMEOUT, f)
}

/// [`edit`] with the lock taken `at`, waiting at most `limit` for it.
fn edit_locked_at<T>(
    path: &Path,
    at: LockAt,
    limit: Duration,
    f: impl FnOnce(&str) -> Result<(String, T), FileError>,
) -> Result<T, FileError> {
    let target = resolve(path)?;
    if fs::metadata(&target).is_ok_and(|m| m.is_dir()) {
        return Err(FileError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let locked = match at {
        LockAt::File => lock_and_read(path, &target, limit)?,
        LockAt::Beside => lock_beside_and_read(path, &target, limit)?,
    };
    let existed = locked.existed;
    let ini_err = |source| FileError::Ini {
        path: path.to_path_buf(),
        source,
    };
    ini::check(&locked.text).map_err(ini_err)?;
    let (new_text, out) = f(&locked.text).map_err(|e| e.with_path(path))?;
    if new_text == locked.text || (!existed && new_text.is_empty()) {
        return Ok(out);
    }
    ini::check(&new_text).map_err(|source| FileError::Refused {
        path: path.to_path_buf(),
        source,
    })?;
    if !existed {
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            fsutil::ensure_private_dir(dir).map_err(|source| FileError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
    }
    fsutil::write_atomic(&target, new_text.as_bytes()).map_err(|source| FileError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    drop(locked);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply_dev(text: &str, key: &str) -> Result<(String, ini::WriteRecord), FileError> {
        Ok(ini::apply(
            text,
            "dev",
            &[("aws_access_key_id", key), ("aws_secret_access_key", "s")],
        )?)
    }

    /// How many of this process's open file descriptors are `target` (Linux: /proc).
    #[cfg(target_os = "linux")]
    fn open_handles(target: &Path) -> usize {
        fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
            .filter(|p| p == target)
            .count()
    }

    /// The Windows bug: a handle on the file kept open across its replacement makes the
    /// rename fail there ("Access denied"). Linux does not refuse it, so what is checked is
    /// the cause: with the lock beside the file, no handle on it is open while the new text
    /// is made (nothing reopens it before the rename); with the lock on the file itself
    /// (Unix), one is, which shows that this test would see it.
    #[cfg(target_os = "linux")]
    #[test]
    fn with_the_lock_beside_no_handle_on_the_file_is_open_while_it_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = fs::canonicalize(dir.path()).unwrap().join("credentials");
        fs::write(&path, "[user]\nx = 1\n").unwrap();
        let limit = Duration::from_secs(1);
        for round in 0..3 {
            edit_locked_at(&path, LockAt::Beside, limit, |text| {
                assert_eq!(open_handles(&path), 0, "round {round}");
                apply_dev(text, &format!("ASIA{round}"))
            })
            .unwrap();
        }
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("[user]\nx = 1\n"), "{text}");
        assert!(text.contains("aws_access_key_id = ASIA2"), "{text}");
        assert!(lock_file_of(&path).is_file());
        edit_locked_at(&path, LockAt::File, limit, |text| {
            assert_eq!(open_handles(&path), 1);
            apply_dev(text, "ASIA3")
        })
        .unwrap();
    }

    #[test]
    fn the_lock_file_is_named_beside_the_file() {
        assert_eq!(
            lock_file_of(Path::new("/home/u/.aws/credentials")),
            Path::new("/home/u/.aws/credentials.credtray.lock")
        );
    }

    #[test]
    fn a_held_lock_file_is_waited_for_within_the_bound_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::write(&path, "[user]\nx = 1\n").unwrap();
        let held = fsutil::LockGuard::acquire(&lock_file_of(&path)).unwrap();
        let start = std::time::Instant::now();
        let err = edit_locked_at(&path, LockAt::Beside, Duration::from_millis(300), |t| {
            apply_dev(t, "ASIA")
        })
        .unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert!(start.elapsed() < Duration::from_secs(5));
        let msg = err.to_string();
        assert!(matches!(err, FileError::Lock { .. }), "{err:?}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains(&lock_file_of(&path).display().to_string()),
            "{msg}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "[user]\nx = 1\n");
        drop(held);
        edit_locked_at(&path, LockAt::Beside, Duration::from_secs(1), |t| {
            apply_dev(t, "ASIA")
        })
        .unwrap();
        assert!(fs::read_to_string(&path).unwrap().contains("ASIA"));
    }

    #[test]
    fn with_the_lock_beside_concurrent_edits_all_land_and_a_new_file_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aws").join("credentials");
        // No folder: nothing to lock, nothing written for an empty result.
        edit_locked_at(&path, LockAt::Beside, Duration::from_secs(1), |t| {
            Ok((t.to_string(), ()))
        })
        .unwrap();
        assert!(!path.parent().unwrap().exists());
        // With the folder there, even a missing file is locked (beside it).
        fs::create_dir(path.parent().unwrap()).unwrap();
        std::thread::scope(|s| {
            for i in 0..8 {
                let path = &path;
                s.spawn(move || {
                    edit_locked_at(path, LockAt::Beside, fsutil::LOCK_TIMEOUT, |t| {
                        Ok(ini::apply(t, &format!("p{i}"), &[("k", "v")])?)
                    })
                    .unwrap()
                });
            }
        });
        let text = fs::read_to_string(&path).unwrap();
        for i in 0..8 {
            assert!(text.contains(&format!("[p{i}]")), "{text}");
        }
    }
}

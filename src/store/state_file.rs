//! The state file: JSON, schema-versioned, written atomically under an advisory lock,
//! with the previous good copy kept beside it. A corrupt file is reported, never replaced.

use std::io;
use std::path::{Path, PathBuf};

use crate::fsutil::{self, LockGuard};
use crate::model::{State, SCHEMA_VERSION};

/// Name of the state file inside the config folder.
pub const STATE_FILE: &str = "state.json";
/// Name of the previous good copy.
pub const BACKUP_FILE: &str = "state.json.bak";
/// Name of the lock file that serialises every credtray process's edits.
pub const LOCK_FILE: &str = "credtray.lock";

/// Errors of the state store; each names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No config folder could be determined.
    #[error(
        "cannot tell where credtray's config folder is (no home folder): set CREDTRAY_CONFIG_DIR"
    )]
    NoConfigDir,
    /// The file could not be read.
    #[error("cannot read the state file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Another process holds the global lock for too long.
    #[error("another credtray process has held {path} for more than {secs} s, so this change was not made; try again, and if it persists, look for a credtray process that hangs (`pgrep -a credtray`) and stop it", path = .path.display(), secs = fsutil::LOCK_TIMEOUT.as_secs())]
    Busy {
        /// The lock file.
        path: PathBuf,
    },
    /// The file is not valid state.
    #[error("the state file {path} is damaged ({reason}); it was left as it is: repair it, or move it away to start afresh (the previous good copy is {backup})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
        /// The previous good copy's path.
        backup: PathBuf,
    },
    /// Written by a newer credtray.
    #[error("the state file {path} has schema version {found}, newer than this credtray understands ({SCHEMA_VERSION}): upgrade credtray")]
    TooNew {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// The file or its folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// Where the state lives, and how to read and write it safely.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    /// A store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> StateStore {
        StateStore { dir: dir.into() }
    }

    /// The store in `CREDTRAY_CONFIG_DIR`, or the platform's config folder for credtray.
    pub fn from_env() -> Result<StateStore, StoreError> {
        if let Some(dir) = std::env::var_os("CREDTRAY_CONFIG_DIR").filter(|d| !d.is_empty()) {
            return Ok(StateStore::new(PathBuf::from(dir)));
        }
        let dirs =
            directories::ProjectDirs::from("", "", "credtray").ok_or(StoreError::NoConfigDir)?;
        Ok(StateStore::new(dirs.config_dir()))
    }

    /// The config folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    fn backup_path(&self) -> PathBuf {
        self.dir.join(BACKUP_FILE)
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        fsutil::ensure_private_dir(&self.dir).map_err(|source| StoreError::Write {
            path: self.dir.clone(),
            source,
        })
    }

    /// Takes the lock that serialises every credtray process's changes to the state and
    /// to the AWS files, waiting at most [`fsutil::LOCK_TIMEOUT`] for it.
    pub fn lock(&self) -> Result<LockGuard, StoreError> {
        self.ensure_dir()?;
        let path = self.dir.join(LOCK_FILE);
        LockGuard::acquire(&path).map_err(|source| {
            if source.kind() == io::ErrorKind::TimedOut {
                StoreError::Busy { path }
            } else {
                StoreError::Write { path, source }
            }
        })
    }

    /// Reads the state; a missing file is a fresh state.
    pub fn load(&self) -> Result<State, StoreError> {
        Ok(self.load_raw()?.map(|(s, _)| s).unwrap_or_default())
    }

    fn load_raw(&self) -> Result<Option<(State, Vec<u8>)>, StoreError> {
        let path = self.path();
        let bytes = match fsutil::read_regular(&path) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(None),
            Err(fsutil::OpenError::Io(source)) => return Err(StoreError::Read { path, source }),
            Err(e) => {
                let reason = match e {
                    fsutil::OpenError::NotRegular(what) => format!("it is {what}, not a file"),
                    fsutil::OpenError::TooLarge(size) => format!(
                        "it is {size} bytes, more than the {} MiB credtray reads",
                        fsutil::MAX_FILE_SIZE / (1024 * 1024)
                    ),
                    _ => "it cannot be opened".to_string(),
                };
                return Err(StoreError::Corrupt {
                    path: path.clone(),
                    reason,
                    backup: self.backup_path(),
                });
            }
        };
        let state = parse(&bytes).map_err(|e| match e {
            ParseError::TooNew(found) => StoreError::TooNew {
                path: path.clone(),
                found,
            },
            ParseError::Invalid(reason) => StoreError::Corrupt {
                path: path.clone(),
                reason,
                backup: self.backup_path(),
            },
        })?;
        Ok(Some((state, bytes)))
    }

    /// Writes `state` atomically, keeping the current file as the previous good copy.
    /// The caller holds [`StateStore::lock`].
    pub fn save(&self, state: &State) -> Result<(), StoreError> {
        self.ensure_dir()?;
        let path = self.path();
        if let Ok(Some(old)) = fsutil::read_regular(&path) {
            if parse(&old).is_ok() {
                let backup = self.backup_path();
                fsutil::write_atomic(&backup, &old).map_err(|source| StoreError::Write {
                    path: backup,
                    source,
                })?;
            }
        }
        let mut json = serde_json::to_vec_pretty(state).expect("state serializes");
        json.push(b'\n');
        fsutil::write_atomic(&path, &json).map_err(|source| StoreError::Write { path, source })
    }

    /// Loads, lets `f` change the state, and saves it if it changed — all under the lock.
    /// What `f` changed is saved even when it then fails: `f` edits the AWS files as it
    /// goes, and the state must keep describing them (a session stopped before a later
    /// step failed stays stopped).
    pub fn update<T, E>(&self, f: impl FnOnce(&mut State) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _guard = self.lock()?;
        let before = self.load()?;
        let mut state = before.clone();
        let out = f(&mut state);
        if state != before {
            self.save(&state)?;
        }
        out
    }
}

enum ParseError {
    TooNew(u32),
    Invalid(String),
}

fn parse(bytes: &[u8]) -> Result<State, ParseError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ParseError::Invalid(e.to_string()))?;
    let version = value
        .get("schema_version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| ParseError::Invalid("no schema_version".into()))?;
    if version > u64::from(SCHEMA_VERSION) {
        return Err(ParseError::TooNew(version.min(u64::from(u32::MAX)) as u32));
    }
    let mut state: State = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ParseError::Invalid(if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        })
    })?;
    state.schema_version = SCHEMA_VERSION;
    state.normalize();
    state.check_values().map_err(ParseError::Invalid)?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn missing_file_is_a_fresh_state_and_saves_0600() {
        let tmp = tempfile::tempdir().unwrap();
        let store = StateStore::new(tmp.path().join("cfg"));
        let mut st = store.load().unwrap();
        assert_eq!(st.profiles, vec!["default"]);
        st.add_profile("dev").unwrap();
        store.save(&st).unwrap();
        assert_eq!(store.load().unwrap(), st);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = fs::metadata(store.dir()).unwrap().permissions().mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
    }

    #[test]
    fn corrupt_file_is_reported_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = StateStore::new(tmp.path());
        fs::write(store.path(), b"{ not json").unwrap();
        let err = store.load().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&store.path().display().to_string()), "{msg}");
        assert!(msg.contains("damaged"), "{msg}");
        let r: Result<(), StoreError> = store.update(|_s| Ok(()));
        assert!(r.is_err());
        assert_eq!(fs::read(store.path()).unwrap(), b"{ not json");
    }

    #[test]
    fn newer_schema_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let store = StateStore::new(tmp.path());
        fs::write(store.path(), br#"{"schema_version": 99, "profiles": []}"#).unwrap();
        assert!(matches!(
            store.load(),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn changes_made_before_a_failure_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = StateStore::new(tmp.path());
        let r: Result<(), StoreError> = store.update(|s| {
            s.add_profile("stopped-first").unwrap();
            Err(StoreError::NoConfigDir)
        });
        assert!(r.is_err());
        assert!(store.load().unwrap().has_profile("stopped-first"));
        let untouched: Result<(), StoreError> = store.update(|_| Err(StoreError::NoConfigDir));
        assert!(untouched.is_err());
    }

    #[test]
    fn previous_good_copy_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = StateStore::new(tmp.path());
        let mut st = State::new();
        store.save(&st).unwrap();
        st.add_profile("one").unwrap();
        store.save(&st).unwrap();
        let backup: State =
            serde_json::from_slice(&fs::read(tmp.path().join(BACKUP_FILE)).unwrap()).unwrap();
        assert_eq!(backup.profiles, vec!["default"]);
    }
}

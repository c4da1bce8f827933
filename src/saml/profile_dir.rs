//! The web view's data folder of each SAML sign-in URL — where the IdP's cookies, and so a
//! remembered sign-in, live — and forgetting it. The folder is named by the URL alone, so
//! every session with the same SAML URL shares it: forgetting the sign-in of one forgets it
//! for all of them, and [`forget_signin`] says which.

use std::io;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::model::{Session, SessionKind, State};

/// `<data dir>/saml`, where the folders of every SAML URL are (not created here).
pub fn saml_root() -> io::Result<PathBuf> {
    directories::ProjectDirs::from("", "", "credtray")
        .map(|d| d.data_dir().join("saml"))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "cannot tell where credtray's data folder is (no home folder)",
            )
        })
}

/// The folder of `saml_url`: `<data dir>/saml/<first 16 bytes of SHA-256 of the URL, hex>`
/// (not created here; `super::data_dir` creates it).
pub fn folder(saml_url: &str) -> io::Result<PathBuf> {
    let digest = Sha256::digest(saml_url.as_bytes());
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok(saml_root()?.join(name))
}

/// What [`forget_signin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgotten {
    /// The SAML URL whose sign-in was forgotten.
    pub saml_url: String,
    /// Its data folder.
    pub folder: PathBuf,
    /// Whether the folder existed (and was removed); false: nothing was remembered.
    pub removed: bool,
    /// The aliases of every session with this SAML URL, the one asked about first.
    pub sessions: Vec<String>,
}

/// Why [`forget_signin`] could not.
#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    /// The session does not sign in through a SAML IdP.
    #[error("session '{session}' is not a SAML federated session (iam-role-federated), so it has no sign-in to forget")]
    NotFederated {
        /// The session's alias.
        session: String,
    },
    /// The folder could not be found or removed.
    #[error("cannot remove the sign-in data folder {path}: {source}; remove it by hand")]
    Io {
        /// The folder.
        path: String,
        /// Why.
        source: io::Error,
    },
}

/// Deletes the data folder of `session`'s SAML URL (the IdP's cookies), so the next start
/// of any session with that URL asks the user to sign in again.
pub fn forget_signin(state: &State, session: &Session) -> Result<Forgotten, ForgetError> {
    let SessionKind::IamRoleFederated(role) = &session.kind else {
        return Err(ForgetError::NotFederated {
            session: session.alias.clone(),
        });
    };
    let url = role.saml_url.clone();
    let folder = folder(&url).map_err(|source| ForgetError::Io {
        path: "<data dir>/saml".into(),
        source,
    })?;
    let mut sessions = vec![session.alias.clone()];
    sessions.extend(
        state
            .sessions
            .iter()
            .filter(|s| s.id != session.id)
            .filter(|s| matches!(&s.kind, SessionKind::IamRoleFederated(r) if r.saml_url == url))
            .map(|s| s.alias.clone()),
    );
    // A symbolic link in the folder's place is removed, never followed.
    let removed = match std::fs::symlink_metadata(&folder) {
        Ok(meta) => {
            let gone = if meta.is_dir() {
                std::fs::remove_dir_all(&folder)
            } else {
                std::fs::remove_file(&folder)
            };
            gone.map_err(|source| ForgetError::Io {
                path: folder.display().to_string(),
                source,
            })?;
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(ForgetError::Io {
                path: folder.display().to_string(),
                source,
            })
        }
    };
    Ok(Forgotten {
        saml_url: url,
        folder,
        removed,
        sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_named_by_the_url_alone() {
        let a = folder("https://idp.example.com/saml").unwrap();
        let b = folder("https://idp.example.com/saml").unwrap();
        let c = folder("https://idp.example.com/saml2").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name.len(), 32);
        assert!(name.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a.parent().unwrap().file_name().unwrap(), "saml");
    }
}

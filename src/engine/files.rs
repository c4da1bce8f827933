//! Writing a session's credentials into the AWS files and taking them out again.
//! Called with the state lock held; the state passed in is updated to match the files.

use chrono::Utc;
use uuid::Uuid;

use super::EngineError;
use crate::awsfiles::{self, ini, AwsPaths, FileError};
use crate::model::{Active, Session, State};
use crate::providers::Credentials;
use crate::store::{SecretItem, SecretStore};

/// The keys that mark a credentials section as holding credentials.
pub const CREDENTIAL_KEYS: [&str; 3] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];

/// What writing displaced.
#[derive(Debug, Default)]
pub struct Written {
    /// Another session that was active on the profile and was stopped (rule 1).
    pub displaced: Option<Uuid>,
}

fn ini_err(path: &std::path::Path) -> impl Fn(ini::IniError) -> FileError + '_ {
    move |source| FileError::Ini {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `creds` for `session`, stopping whatever else is active on its profile, and
/// records what was written in `state.active`.
pub fn write(
    state: &mut State,
    paths: &AwsPaths,
    secrets: &dyn SecretStore,
    session: &Session,
    creds: &Credentials,
    take_over: bool,
) -> Result<Written, EngineError> {
    let expiration = creds.expiration.ok_or_else(|| {
        EngineError::Other(format!(
            "session '{}': the credentials have no expiration",
            session.alias
        ))
    })?;
    let pairs = creds.file_pairs();

    if let Some(mut active) = state.active.get(&session.id).cloned() {
        if active.profile == session.profile {
            refresh_in_place(paths, &mut active, session, &pairs)?;
            active.expiration = expiration;
            active.refreshed_at = Utc::now();
            state.active.insert(session.id, active);
            return Ok(Written::default());
        }
        remove(state, paths, secrets, session.id)?;
    }

    let mut written = Written::default();
    if let Some(other) = state.active_on(&session.profile) {
        remove(state, paths, secrets, other)?;
        written.displaced = Some(other);
    }

    let profile = session.profile.as_str();
    let current = awsfiles::read(&paths.credentials)?.unwrap_or_default();
    let existing = ini::section_keys(&current, profile).map_err(ini_err(&paths.credentials))?;
    let holds_user_keys = existing
        .map(|keys| keys.iter().any(|k| CREDENTIAL_KEYS.contains(&k.as_str())))
        .unwrap_or(false);
    if holds_user_keys {
        if !take_over {
            return Err(EngineError::UserKeys {
                profile: profile.to_string(),
                path: paths.credentials.clone(),
            });
        }
        let block = ini::section_block(&current, profile)
            .map_err(ini_err(&paths.credentials))?
            .unwrap_or_default();
        secrets.set(session.id, SecretItem::TakenOverSection, &block)?;
    }

    let cred_record = awsfiles::edit(&paths.credentials, |text| {
        ini::apply(text, profile, &pairs).map_err(ini_err(&paths.credentials))
    })?;
    let config_section = ini::config_section(profile);
    let config_record = awsfiles::edit(&paths.config, |text| {
        ini::apply(
            text,
            &config_section,
            &[("region", session.region.as_str())],
        )
        .map_err(ini_err(&paths.config))
    });
    let config_record = match config_record {
        Ok(r) => r,
        Err(e) => {
            let _ = undo_credentials(paths, secrets, session.id, &cred_record, holds_user_keys);
            return Err(e.into());
        }
    };

    state.active.insert(
        session.id,
        Active {
            profile: profile.to_string(),
            expiration,
            refreshed_at: Utc::now(),
            credentials: if holds_user_keys {
                cred_record.redacted()
            } else {
                cred_record
            },
            config: config_record,
            took_over: holds_user_keys,
        },
    );
    Ok(written)
}

/// Replaces the values credtray wrote before. If the user deleted the section meanwhile,
/// it is written afresh and its record replaced.
fn refresh_file(
    path: &std::path::Path,
    record: &mut ini::WriteRecord,
    pairs: &[(&str, &str)],
) -> Result<(), EngineError> {
    let fresh = awsfiles::edit(path, |text| {
        match ini::update_values(text, &record.section, pairs) {
            Ok(t) => Ok((t, None)),
            Err(ini::IniError::MissingSection { .. }) => {
                let (t, r) = ini::apply(text, &record.section, pairs).map_err(ini_err(path))?;
                Ok((t, Some(r)))
            }
            Err(e) => Err(ini_err(path)(e)),
        }
    })?;
    if let Some(r) = fresh {
        *record = r;
    }
    Ok(())
}

fn refresh_in_place(
    paths: &AwsPaths,
    active: &mut Active,
    session: &Session,
    pairs: &[(&str, &str)],
) -> Result<(), EngineError> {
    refresh_file(&paths.credentials, &mut active.credentials, pairs)?;
    refresh_file(
        &paths.config,
        &mut active.config,
        &[("region", session.region.as_str())],
    )
}

fn undo_credentials(
    paths: &AwsPaths,
    secrets: &dyn SecretStore,
    id: Uuid,
    record: &ini::WriteRecord,
    took_over: bool,
) -> Result<(), EngineError> {
    if took_over {
        if let Some(block) = secrets.get(id, SecretItem::TakenOverSection)? {
            awsfiles::edit(&paths.credentials, |text| {
                ini::restore_section_block(text, &record.section, &block)
                    .map(|t| (t, ()))
                    .map_err(ini_err(&paths.credentials))
            })?;
            secrets.delete(id, SecretItem::TakenOverSection)?;
            return Ok(());
        }
        tracing::warn!(section = %record.section, "the taken-over section is missing from the keychain; removing credtray's keys only");
    }
    awsfiles::edit(&paths.credentials, |text| {
        ini::revert(text, record)
            .map(|t| (t, ()))
            .map_err(ini_err(&paths.credentials))
    })?;
    Ok(())
}

/// Removes exactly what was written for active session `id` (restoring a taken-over
/// section byte for byte) and marks it inactive. Not active: nothing to do.
pub fn remove(
    state: &mut State,
    paths: &AwsPaths,
    secrets: &dyn SecretStore,
    id: Uuid,
) -> Result<(), EngineError> {
    let Some(active) = state.active.get(&id).cloned() else {
        return Ok(());
    };
    undo_credentials(paths, secrets, id, &active.credentials, active.took_over)?;
    awsfiles::edit(&paths.config, |text| {
        ini::revert(text, &active.config)
            .map(|t| (t, ()))
            .map_err(ini_err(&paths.config))
    })?;
    state.active.remove(&id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IamUser, SessionKind};
    use crate::store::MemorySecrets;
    use chrono::Duration;
    use std::fs;

    struct Fixture {
        _dir: tempfile::TempDir,
        paths: AwsPaths,
        secrets: MemorySecrets,
        state: State,
    }

    fn fixture(credentials: &str, config: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let paths = AwsPaths {
            credentials: dir.path().join("credentials"),
            config: dir.path().join("config"),
        };
        fs::write(&paths.credentials, credentials).unwrap();
        fs::write(&paths.config, config).unwrap();
        Fixture {
            _dir: dir,
            paths,
            secrets: MemorySecrets::default(),
            state: State::new(),
        }
    }

    fn session(alias: &str, profile: &str) -> Session {
        Session {
            id: Uuid::new_v4(),
            alias: alias.into(),
            profile: profile.into(),
            region: "eu-west-1".into(),
            kind: SessionKind::IamUser(IamUser {
                mfa_serial: None,
                duration_secs: 3600,
            }),
        }
    }

    fn creds(tag: &str) -> Credentials {
        Credentials {
            access_key_id: format!("ASIA{tag}"),
            secret_access_key: format!("secret-{tag}"),
            session_token: Some(format!("token-{tag}")),
            expiration: Some(Utc::now() + Duration::hours(1)),
        }
    }

    fn read(p: &std::path::Path) -> String {
        fs::read_to_string(p).unwrap()
    }

    const USER_CREDS: &str =
        "# mine\r\n[other]\r\naws_access_key_id = AKIAOTHER\r\naws_secret_access_key = other\r\n";
    const USER_CONFIG: &str =
        "[profile work]\noutput = json\nregion = us-west-2\n\n[default]\nregion = us-east-1\n";

    #[test]
    fn write_then_remove_leaves_both_files_byte_identical() {
        let mut f = fixture(USER_CREDS, USER_CONFIG);
        let s = session("a", "work");
        write(&mut f.state, &f.paths, &f.secrets, &s, &creds("1"), false).unwrap();
        let c = read(&f.paths.credentials);
        assert!(
            c.contains("[work]\r\naws_access_key_id = ASIA1\r\n"),
            "{c:?}"
        );
        assert!(read(&f.paths.config).contains("region = eu-west-1"));
        assert!(!read(&f.paths.config).contains("us-west-2"));
        remove(&mut f.state, &f.paths, &f.secrets, s.id).unwrap();
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        assert_eq!(read(&f.paths.config), USER_CONFIG);
        assert!(f.state.active.is_empty());
    }

    #[test]
    fn a_second_session_on_the_profile_displaces_the_first() {
        let mut f = fixture(USER_CREDS, USER_CONFIG);
        let a = session("a", "work");
        let b = session("b", "work");
        write(&mut f.state, &f.paths, &f.secrets, &a, &creds("A"), false).unwrap();
        let w = write(&mut f.state, &f.paths, &f.secrets, &b, &creds("B"), false).unwrap();
        assert_eq!(w.displaced, Some(a.id));
        let c = read(&f.paths.credentials);
        assert!(c.contains("ASIAB") && !c.contains("ASIAA"), "{c}");
        assert_eq!(c.matches("[work]").count(), 1);
        remove(&mut f.state, &f.paths, &f.secrets, b.id).unwrap();
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
    }

    #[test]
    fn rewriting_an_active_session_updates_in_place() {
        let mut f = fixture(USER_CREDS, USER_CONFIG);
        let a = session("a", "work");
        write(&mut f.state, &f.paths, &f.secrets, &a, &creds("1"), false).unwrap();
        write(&mut f.state, &f.paths, &f.secrets, &a, &creds("2"), false).unwrap();
        let c = read(&f.paths.credentials);
        assert!(c.contains("ASIA2") && !c.contains("ASIA1"));
        remove(&mut f.state, &f.paths, &f.secrets, a.id).unwrap();
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        assert_eq!(read(&f.paths.config), USER_CONFIG);
    }

    #[test]
    fn user_keys_are_refused_or_taken_over_and_restored() {
        let mut f = fixture(USER_CREDS, USER_CONFIG);
        let s = session("a", "other");
        let err = write(&mut f.state, &f.paths, &f.secrets, &s, &creds("1"), false).unwrap_err();
        assert!(matches!(err, EngineError::UserKeys { .. }));
        assert!(err.to_string().contains("'other'"));
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        write(&mut f.state, &f.paths, &f.secrets, &s, &creds("1"), true).unwrap();
        let c = read(&f.paths.credentials);
        assert!(c.contains("ASIA1") && !c.contains("AKIAOTHER"), "{c}");
        let state_json = serde_json::to_string(&f.state).unwrap();
        assert!(
            !state_json.contains("AKIAOTHER"),
            "the user's key reached the state"
        );
        assert!(f.state.active[&s.id].took_over);
        remove(&mut f.state, &f.paths, &f.secrets, s.id).unwrap();
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        assert!(f.secrets.is_empty());
    }

    #[test]
    fn a_malformed_file_is_refused_and_left_alone() {
        let bad = "[ok]\nthis is not ini\n";
        let mut f = fixture(bad, USER_CONFIG);
        let s = session("a", "work");
        let err = write(&mut f.state, &f.paths, &f.secrets, &s, &creds("1"), false).unwrap_err();
        assert!(err.to_string().contains("credentials"), "{err}");
        assert_eq!(read(&f.paths.credentials), bad);
        assert_eq!(read(&f.paths.config), USER_CONFIG);
        assert!(f.state.active.is_empty());
    }

    #[test]
    fn a_failed_config_write_undoes_the_credentials_write() {
        let mut f = fixture(USER_CREDS, "[profile x\n");
        let s = session("a", "work");
        assert!(write(&mut f.state, &f.paths, &f.secrets, &s, &creds("1"), false).is_err());
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        assert!(f.state.active.is_empty());
    }
}

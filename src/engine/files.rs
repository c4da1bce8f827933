//! Writing a session's credentials into the AWS files and taking them out again.
//! Called with the state lock held; the state passed in is updated to match the files.
//!
//! Nothing here touches the keychain (design: keychain calls happen outside
//! `credtray.lock`, so an unlock prompt never blocks the other credtray processes): a
//! taken-over section is stored by the engine before the lock is taken, and the sections
//! to restore are read beforehand into [`Ctx::blocks`]; those restored are listed in
//! [`Ctx::restored`] for the engine to delete from the keychain after the lock.
//!
//! Crash safety: before a file is written, the change about to be made is saved in
//! `state.pending` (through [`Ctx::journal`]); a stop moves the session's [`Active`] there
//! before undoing it. [`recover`] undoes whatever a killed process left there.

use std::collections::BTreeMap;

use chrono::Utc;
use uuid::Uuid;

use super::EngineError;
use crate::awsfiles::{self, ini, AwsPaths, FileError};
use crate::model::{Active, Pending, Session, State};
use crate::providers::Credentials;
use crate::store::StoreError;

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

/// Saves the state (with the lock held) so that a note in `state.pending` is on disk
/// before the file it describes is written.
pub type Journal<'a> = &'a dyn Fn(&State) -> Result<(), StoreError>;

/// What a change of the AWS files needs besides the state.
pub struct Ctx<'a> {
    /// The files.
    pub paths: &'a AwsPaths,
    /// The taken-over sections of the sessions that may be stopped, read from the keychain
    /// before the lock (`None`: the keychain has no such item).
    pub blocks: &'a BTreeMap<Uuid, Option<String>>,
    /// Saves the state.
    pub journal: Journal<'a>,
    /// Sessions whose taken-over section was put back: their keychain item can go.
    pub restored: Vec<Uuid>,
}

/// How a start treats a profile that holds the user's own keys.
#[derive(Debug, Clone, Copy)]
pub enum TakeOver<'a> {
    /// Refuse to touch it.
    Refuse,
    /// Set it aside: `Some(section)` is what the engine already stored in the keychain
    /// (it must still be what the file holds); `None` when it found no user keys there.
    Allow(Option<&'a str>),
}

fn ini_err(path: &std::path::Path) -> impl Fn(ini::IniError) -> FileError + '_ {
    move |source| FileError::Ini {
        path: path.to_path_buf(),
        source,
    }
}

/// The user's own section `[profile]` of the credentials file, if it holds credential
/// keys. Read without any lock (the engine checks it again under the lock).
pub fn user_section(paths: &AwsPaths, profile: &str) -> Result<Option<String>, EngineError> {
    let current = awsfiles::read(&paths.credentials)?.unwrap_or_default();
    if !holds_keys(&current, profile).map_err(ini_err(&paths.credentials))? {
        return Ok(None);
    }
    Ok(ini::section_block(&current, profile).map_err(ini_err(&paths.credentials))?)
}

fn holds_keys(text: &str, profile: &str) -> Result<bool, ini::IniError> {
    Ok(ini::section_keys(text, profile)?
        .map(|keys| keys.iter().any(|k| CREDENTIAL_KEYS.contains(&k.as_str())))
        .unwrap_or(false))
}

fn pending_mut(state: &mut State, id: Uuid) -> Option<&mut Pending> {
    state.pending.iter_mut().rev().find(|p| p.session == id)
}

/// Edits `path` with `apply`, after recording the change in the pending note of `id` (by
/// `note`) and saving the state; if that save fails, the file is left alone.
fn journaled_apply(
    state: &mut State,
    cx: &Ctx<'_>,
    id: Uuid,
    path: &std::path::Path,
    section: &str,
    pairs: &[(&str, &str)],
    note: impl FnOnce(&mut Pending, &ini::WriteRecord),
) -> Result<ini::WriteRecord, EngineError> {
    let out = awsfiles::edit(path, |text| {
        let (new, record) = ini::apply(text, section, pairs).map_err(ini_err(path))?;
        if let Some(p) = pending_mut(state, id) {
            note(p, &record);
        }
        match (cx.journal)(state) {
            Ok(()) => Ok((new, Ok(record))),
            Err(e) => Ok((text.to_string(), Err(e))),
        }
    })?;
    Ok(out?)
}

/// Writes `creds` for `session`, stopping whatever else is active on its profile, and
/// records what was written in `state.active`.
pub fn write(
    state: &mut State,
    cx: &mut Ctx<'_>,
    session: &Session,
    creds: &Credentials,
    take_over: TakeOver<'_>,
) -> Result<Written, EngineError> {
    let expiration = creds.expiration.ok_or_else(|| {
        EngineError::Other(format!(
            "session '{}': the credentials have no expiration",
            session.alias
        ))
    })?;
    let pairs = creds.file_pairs();
    let paths = cx.paths;

    if let Some(mut active) = state.active.get(&session.id).cloned() {
        if active.profile == session.profile {
            refresh_in_place(paths, &mut active, session, &pairs)?;
            active.expiration = expiration;
            active.refreshed_at = Utc::now();
            state.active.insert(session.id, active);
            return Ok(Written::default());
        }
        remove(state, cx, session.id)?;
    }

    let mut written = Written::default();
    if let Some(other) = state.active_on(&session.profile) {
        remove(state, cx, other)?;
        written.displaced = Some(other);
    }

    let profile = session.profile.as_str();
    let current = awsfiles::read(&paths.credentials)?.unwrap_or_default();
    let holds_user_keys = holds_keys(&current, profile).map_err(ini_err(&paths.credentials))?;
    if holds_user_keys {
        let stored = match take_over {
            TakeOver::Refuse => {
                return Err(EngineError::UserKeys {
                    profile: profile.to_string(),
                    path: paths.credentials.clone(),
                })
            }
            TakeOver::Allow(stored) => stored,
        };
        let block = ini::section_block(&current, profile).map_err(ini_err(&paths.credentials))?;
        if block.as_deref() != stored {
            return Err(EngineError::Other(format!(
                "session '{}': profile '{profile}' in {} changed while credtray was starting \
                 the session; nothing was written: try again",
                session.alias,
                paths.credentials.display()
            )));
        }
    }

    state.pending.push(Pending {
        session: session.id,
        profile: profile.to_string(),
        credentials: None,
        config: None,
        took_over: holds_user_keys,
    });
    let cred_record = journaled_apply(
        state,
        cx,
        session.id,
        &paths.credentials,
        profile,
        &pairs,
        |p, r| {
            p.credentials = Some(if holds_user_keys {
                r.redacted()
            } else {
                r.clone()
            })
        },
    );
    let cred_record = match cred_record {
        Ok(r) => r,
        Err(e) => {
            abandon(state, cx, session.id);
            return Err(e);
        }
    };
    let config_section = ini::config_section(profile);
    let config_record = journaled_apply(
        state,
        cx,
        session.id,
        &paths.config,
        &config_section,
        &[("region", session.region.as_str())],
        |p, r| p.config = Some(r.clone()),
    );
    let config_record = match config_record {
        Ok(r) => r,
        Err(e) => {
            abandon(state, cx, session.id);
            return Err(e);
        }
    };

    state.pending.retain(|p| p.session != session.id);
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

/// Undoes, now, the write in progress for `id` after one of its steps failed; its note
/// stays for [`recover`] if that fails too.
fn abandon(state: &mut State, cx: &mut Ctx<'_>, id: Uuid) {
    if let Some(pos) = state.pending.iter().rposition(|p| p.session == id) {
        let mut note = state.pending[pos].clone();
        match undo(cx, &mut note) {
            Ok(()) => {
                state.pending.remove(pos);
            }
            Err(e) => {
                tracing::warn!("could not undo a failed write at once ({e}); the next change will");
                state.pending[pos] = note;
            }
        }
    }
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

/// Undoes what a note describes, in both files: a taken-over section is put back from
/// [`Ctx::blocks`] byte for byte; otherwise the written keys are reverted. Safe to repeat,
/// and safe when the write never reached the file (reverting is by content).
///
/// Each file's record is cleared from `note` once that file is done, so that a failure in
/// the config file leaves a note that says exactly what remains.
fn undo(cx: &mut Ctx<'_>, note: &mut Pending) -> Result<(), EngineError> {
    let paths = cx.paths;
    if let Some(record) = &note.credentials {
        let block = if note.took_over {
            match cx.blocks.get(&note.session) {
                Some(Some(b)) => Some(b.clone()),
                Some(None) => {
                    tracing::warn!(section = %record.section, "the taken-over section is missing from the keychain; removing credtray's keys only");
                    None
                }
                None => return Err(EngineError::NeedsKeychain(note.session)),
            }
        } else {
            None
        };
        awsfiles::edit(&paths.credentials, |text| {
            match &block {
                Some(b) => ini::restore_section_block(text, &record.section, b),
                None => ini::revert(text, record),
            }
            .map(|t| (t, ()))
            .map_err(ini_err(&paths.credentials))
        })?;
        if block.is_some() {
            cx.restored.push(note.session);
        }
        note.credentials = None;
    }
    if let Some(record) = &note.config {
        awsfiles::edit(&paths.config, |text| {
            ini::revert(text, record)
                .map(|t| (t, ()))
                .map_err(ini_err(&paths.config))
        })?;
        note.config = None;
    }
    Ok(())
}

/// Removes exactly what was written for active session `id` (restoring a taken-over
/// section byte for byte) and marks it inactive. Not active: nothing to do. The stop is
/// noted in `state.pending` (and saved) first, so a kill half-way is finished next time.
pub fn remove(state: &mut State, cx: &mut Ctx<'_>, id: Uuid) -> Result<(), EngineError> {
    match state.active.get(&id) {
        None => return Ok(()),
        Some(a) if a.took_over && !cx.blocks.contains_key(&id) => {
            return Err(EngineError::NeedsKeychain(id))
        }
        Some(_) => {}
    }
    let Some(active) = state.active.remove(&id) else {
        return Ok(());
    };
    let mut note = Pending::undoing(id, active.clone());
    state.pending.push(note.clone());
    let pos = state.pending.len() - 1;
    if let Err(e) = (cx.journal)(state) {
        state.pending.pop();
        state.active.insert(id, active);
        return Err(e.into());
    }
    let result = undo(cx, &mut note);
    match result {
        Ok(()) => {
            state.pending.remove(pos);
            Ok(())
        }
        Err(e) if note.credentials.is_some() => {
            // Nothing was changed: the session stays active as it was.
            state.pending.remove(pos);
            state.active.insert(id, active);
            Err(e)
        }
        Err(e) => {
            // The credentials are gone, the config file is left for the next change.
            state.pending[pos] = note;
            Err(e)
        }
    }
}

/// Undoes every note a killed process left in `state.pending` (the sessions concerned
/// end up stopped). A note that cannot be undone now (a file made unreadable meanwhile)
/// stays, and the error says which session and file.
pub fn recover(state: &mut State, cx: &mut Ctx<'_>) -> Result<(), EngineError> {
    if state.pending.is_empty() {
        return Ok(());
    }
    if let Some(note) = state
        .pending
        .iter()
        .find(|n| n.took_over && !cx.blocks.contains_key(&n.session))
    {
        return Err(EngineError::NeedsKeychain(note.session));
    }
    let notes = std::mem::take(&mut state.pending);
    let mut left = Vec::new();
    let mut first_error = None;
    for mut note in notes {
        tracing::info!(session = %note.session, profile = %note.profile, "undoing an interrupted change of the AWS files");
        match undo(cx, &mut note) {
            Ok(()) => {}
            Err(e) => {
                first_error.get_or_insert_with(|| {
                    let alias = state
                        .session(note.session)
                        .map(|s| s.alias.clone())
                        .unwrap_or_else(|| note.session.to_string());
                    EngineError::Other(format!(
                        "credtray was interrupted while changing profile '{}' for session \
                         '{alias}' and cannot undo that now: {e}",
                        note.profile
                    ))
                });
                left.push(note);
            }
        }
    }
    state.pending = left;
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use std::fs;

    struct Fixture {
        _dir: tempfile::TempDir,
        paths: AwsPaths,
        /// The keychain as the engine would have read it before the lock.
        blocks: BTreeMap<Uuid, Option<String>>,
        state: State,
    }

    fn no_journal(_: &State) -> Result<(), StoreError> {
        Ok(())
    }

    impl Fixture {
        fn cx(&self) -> Ctx<'_> {
            Ctx {
                paths: &self.paths,
                blocks: &self.blocks,
                journal: &no_journal,
                restored: Vec::new(),
            }
        }

        fn write(
            &mut self,
            s: &Session,
            c: &Credentials,
            t: TakeOver<'_>,
        ) -> Result<Written, EngineError> {
            let mut state = std::mem::take(&mut self.state);
            let mut cx = self.cx();
            let r = write(&mut state, &mut cx, s, c, t);
            self.state = state;
            r
        }

        fn remove(&mut self, id: Uuid) -> Vec<Uuid> {
            let mut state = std::mem::take(&mut self.state);
            let mut cx = self.cx();
            remove(&mut state, &mut cx, id).unwrap();
            let restored = cx.restored;
            self.state = state;
            restored
        }
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
            blocks: BTreeMap::new(),
            state: State::new(),
        }
    }

    use crate::testing::iam_user as session;

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
        f.write(&s, &creds("1"), TakeOver::Refuse).unwrap();
        let c = read(&f.paths.credentials);
        assert!(
            c.contains("[work]\r\naws_access_key_id = ASIA1\r\n"),
            "{c:?}"
        );
        assert!(read(&f.paths.config).contains("region = eu-west-1"));
        assert!(!read(&f.paths.config).contains("us-west-2"));
        f.remove(s.id);
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        assert_eq!(read(&f.paths.config), USER_CONFIG);
        assert!(f.state.active.is_empty());
    }

    #[test]
    fn a_second_session_on_the_profile_displaces_the_first() {
        let mut f = fixture(USER_CREDS, USER_CONFIG);
        let a = session("a", "work");
        let b = session("b", "work");
        f.write(&a, &creds("A"), TakeOver::Refuse).unwrap();
        let w = f.write(&b, &creds("B"), TakeOver::Refuse).unwrap();
        assert_eq!(w.displaced, Some(a.id));
        let c = read(&f.paths.credentials);
        assert!(c.contains("ASIAB") && !c.contains("ASIAA"), "{c}");
        assert_eq!(c.matches("[work]").count(), 1);
        f.remove(b.id);
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
    }

    #[test]
    fn rewriting_an_active_session_updates_in_place() {
        let mut f = fixture(USER_CREDS, USER_CONFIG);
        let a = session("a", "work");
        f.write(&a, &creds("1"), TakeOver::Refuse).unwrap();
        f.write(&a, &creds("2"), TakeOver::Refuse).unwrap();
        let c = read(&f.paths.credentials);
        assert!(c.contains("ASIA2") && !c.contains("ASIA1"));
        f.remove(a.id);
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        assert_eq!(read(&f.paths.config), USER_CONFIG);
    }

    #[test]
    fn user_keys_are_refused_or_taken_over_and_restored() {
        let mut f = fixture(USER_CREDS, USER_CONFIG);
        let s = session("a", "other");
        let err = f.write(&s, &creds("1"), TakeOver::Refuse).unwrap_err();
        assert!(matches!(err, EngineError::UserKeys { .. }));
        assert!(err.to_string().contains("'other'"));
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        let block = user_section(&f.paths, "other").unwrap().unwrap();
        f.blocks.insert(s.id, Some(block.clone()));
        f.write(&s, &creds("1"), TakeOver::Allow(Some(&block)))
            .unwrap();
        let c = read(&f.paths.credentials);
        assert!(c.contains("ASIA1") && !c.contains("AKIAOTHER"), "{c}");
        let state_json = serde_json::to_string(&f.state).unwrap();
        assert!(
            !state_json.contains("AKIAOTHER"),
            "the user's key reached the state"
        );
        assert!(f.state.active[&s.id].took_over);
        assert_eq!(f.remove(s.id), vec![s.id]);
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
    }

    #[test]
    fn a_taken_over_last_section_with_a_comment_comes_back_byte_for_byte() {
        let user = "[a]\nk = v\n\n[victim]\naws_access_key_id = AKIAV\naws_secret_access_key = vs\n; a comment in it\n";
        let mut f = fixture(user, USER_CONFIG);
        let s = session("a", "victim");
        let block = user_section(&f.paths, "victim").unwrap().unwrap();
        f.blocks.insert(s.id, Some(block.clone()));
        f.write(&s, &creds("1"), TakeOver::Allow(Some(&block)))
            .unwrap();
        f.write(&s, &creds("2"), TakeOver::Refuse).unwrap();
        let other = session("b", "after");
        f.write(&other, &creds("3"), TakeOver::Refuse).unwrap();
        f.remove(other.id);
        f.remove(s.id);
        assert_eq!(read(&f.paths.credentials), user);
        assert_eq!(read(&f.paths.config), USER_CONFIG);
    }

    #[test]
    fn a_section_added_after_the_users_keeps_its_separator_out_of_the_taken_over_block() {
        let user = "[victim]\naws_access_key_id = AKIAV\naws_secret_access_key = vs\n; a comment\n";
        let mut f = fixture(user, USER_CONFIG);
        // Another session adds [after] behind the user's section, with a blank line
        // before it; then the user's section is taken over.
        let other = session("b", "after");
        f.write(&other, &creds("3"), TakeOver::Refuse).unwrap();
        let s = session("a", "victim");
        let block = user_section(&f.paths, "victim").unwrap().unwrap();
        assert!(block.ends_with("; a comment\n"), "{block:?}");
        f.blocks.insert(s.id, Some(block.clone()));
        f.write(&s, &creds("1"), TakeOver::Allow(Some(&block)))
            .unwrap();
        f.remove(other.id);
        f.remove(s.id);
        assert_eq!(read(&f.paths.credentials), user);
    }

    #[test]
    fn a_malformed_file_is_refused_and_left_alone() {
        let bad = "[ok]\nthis is not ini\n";
        let mut f = fixture(bad, USER_CONFIG);
        let s = session("a", "work");
        let err = f.write(&s, &creds("1"), TakeOver::Refuse).unwrap_err();
        assert!(err.to_string().contains("credentials"), "{err}");
        assert_eq!(read(&f.paths.credentials), bad);
        assert_eq!(read(&f.paths.config), USER_CONFIG);
        assert!(f.state.active.is_empty());
    }

    #[test]
    fn a_failed_config_write_undoes_the_credentials_write() {
        let mut f = fixture(USER_CREDS, "[profile x\n");
        let s = session("a", "work");
        assert!(f.write(&s, &creds("1"), TakeOver::Refuse).is_err());
        assert_eq!(read(&f.paths.credentials), USER_CREDS);
        assert!(f.state.active.is_empty());
    }
}

//! Adding, editing and removing sessions. An edit is a [`SessionPatch`] applied to the
//! state read under the lock, so edits of different fields made meanwhile all survive; an
//! active session whose credentials would be obtained differently restarts at once.

use std::fmt;

use uuid::Uuid;

use super::{Engine, EngineError, StartOptions};
use crate::model::fields::validate_access_keys;
use crate::model::{ModelError, Session, SessionKind, SessionPatch};
use crate::store::{Owner, SecretItem};

/// A new pair of long-term access keys for an `iam-user` session. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeys {
    /// The access key id (AKIA…).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl fmt::Debug for AccessKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// The outcome of an edit.
#[derive(Debug)]
pub struct Edited {
    /// The session as it is now.
    pub session: Session,
    /// The profile it names was created by the edit.
    pub created_profile: bool,
    /// The sessions stopped to apply the edit and started again (it, and when its
    /// credentials changed, its active descendants).
    pub restarted: Vec<Uuid>,
    /// Those that could not start again, with why.
    pub restart_failures: Vec<(Uuid, EngineError)>,
}

impl Engine {
    /// Adds a session, storing its long-term keys (iam-user) in the keychain first; its
    /// profile is created when missing. Validated before anything is stored, and the keys
    /// are deleted again if the state refuses it. Returns whether the profile was created.
    pub fn add_session(
        &self,
        session: &Session,
        keys: Option<&AccessKeys>,
    ) -> Result<bool, EngineError> {
        let mut probe = self.state()?;
        probe.ensure_profile(&session.profile)?;
        probe.add_session(session.clone())?;
        if let Some(k) = keys {
            self.store_keys(session, k)?;
        }
        let created = self.store.update(|state| {
            let created = state.ensure_profile(&session.profile)?;
            state.add_session(session.clone())?;
            Ok::<_, EngineError>(created)
        });
        if created.is_err() {
            let _ = self.secrets.delete_all(Owner::Session(session.id));
        }
        created
    }

    /// Checks and stores an iam-user session's access keys.
    fn store_keys(&self, session: &Session, keys: &AccessKeys) -> Result<(), EngineError> {
        if !matches!(session.kind, SessionKind::IamUser(_)) {
            return Err(ModelError::InvalidField(format!(
                "session '{}' is an {} session: --access-keys does not apply",
                session.alias,
                session.kind.name().as_str()
            ))
            .into());
        }
        validate_access_keys(&keys.access_key_id, &keys.secret_access_key).map_err(|why| {
            ModelError::InvalidField(format!("session '{}': {why}", session.alias))
        })?;
        let owner = Owner::Session(session.id);
        self.secrets
            .set(owner, SecretItem::AccessKeyId, &keys.access_key_id)?;
        self.secrets
            .set(owner, SecretItem::SecretAccessKey, &keys.secret_access_key)?;
        Ok(())
    }

    /// Edits session `id`: the patch (and new access keys, for an iam-user) is checked
    /// against a snapshot before anything is stored, the keys go to the keychain, then the
    /// patch is applied to the state as it is under the lock. An active session that moves
    /// (profile, region) or whose credentials change (keys, MFA device, role, parent,
    /// external id, duration, SAML fields) is stopped and started again — with its active
    /// descendants when its credentials change — so old credentials are not served until
    /// the next rotation.
    pub async fn edit_session(
        &self,
        id: Uuid,
        patch: &SessionPatch,
        keys: Option<&AccessKeys>,
        opts: &StartOptions,
    ) -> Result<Edited, EngineError> {
        let mut probe = self.state()?;
        let before = probe
            .session(id)
            .cloned()
            .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
        let snapshot_effect = probe.apply_patch(id, patch)?;
        if let Some(k) = keys {
            self.store_keys(&before, k)?;
        }
        if keys.is_some() || snapshot_effect.stale_token {
            // Cached GetSessionToken credentials came from the old keys or MFA device.
            self.secrets
                .delete(Owner::Session(id), SecretItem::SessionToken)?;
        }
        // Safe to repeat (see `locked`): what an earlier run stopped is kept in `stopped`.
        let mut stopped: Vec<Uuid> = Vec::new();
        let (session, created_profile) = self.locked(|state, cx| {
            let mut probe = state.clone();
            let created = !probe.has_profile(
                patch
                    .profile
                    .as_deref()
                    .map(str::trim)
                    .unwrap_or(&before.profile),
            );
            let effect = probe.apply_patch(id, patch)?;
            let mut affected = Vec::new();
            if effect.moved || effect.credentials || keys.is_some() {
                affected.push(id);
            }
            if effect.credentials || keys.is_some() {
                affected.extend(state.descendants(id));
            }
            for s in Self::stop_many(state, cx, &affected)? {
                if !stopped.contains(&s) {
                    stopped.push(s);
                }
            }
            state.apply_patch(id, patch)?;
            let session = state
                .session(id)
                .cloned()
                .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
            Ok::<_, EngineError>((session, created))
        })?;
        let restart_failures = self.restart_all(&stopped, opts).await;
        Ok(Edited {
            session,
            created_profile,
            restarted: stopped,
            restart_failures,
        })
    }

    /// Removes session `id` (and its children when allowed): stops the active ones and
    /// deletes their keychain items. Returns the removed sessions.
    pub fn remove_session(
        &self,
        id: Uuid,
        with_children: bool,
    ) -> Result<Vec<Session>, EngineError> {
        let removed = self.locked(|state, cx| {
            let mut probe = state.clone();
            let ids = probe.remove_session(id, with_children)?;
            let sessions: Vec<Session> = ids
                .iter()
                .filter_map(|i| state.session(*i).cloned())
                .collect();
            Self::stop_many(state, cx, &ids)?;
            state.remove_session(id, with_children)?;
            Ok::<_, EngineError>(sessions)
        })?;
        let mut left = Vec::new();
        for s in &removed {
            if let Err(e) = self.secrets.delete_all(Owner::Session(s.id)) {
                left.push(format!("session '{}': {e}", s.alias));
            }
        }
        if !left.is_empty() {
            return Err(EngineError::Other(format!(
                "removed, but some of the keychain items stay ({}); delete them with your \
                 keychain's tool (service 'credtray')",
                left.join("; ")
            )));
        }
        Ok(removed)
    }
}

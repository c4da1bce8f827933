//! The engine: start, stop, test, refresh and expire sessions; profile changes that move
//! active credentials. It ties the model, the stores, the AWS files and the providers
//! together. Network calls happen outside the state lock; file and state edits inside it.

pub mod events;
pub mod files;
pub mod integrations;
pub mod schedule;
pub mod sessions;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::awsfiles::{AwsPaths, FileError};
use crate::model::{ModelError, Session, State};
use crate::providers::{self, Credentials, Interaction, ProviderContext, ProviderError, Sts};
use crate::store::{Owner, SecretError, SecretItem, SecretStore, StateStore, StoreError};
use files::{Ctx, TakeOver};

/// Everything that can go wrong in the engine; each message names what and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request contradicts the model's rules.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The state file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The AWS files.
    #[error(transparent)]
    Files(#[from] FileError),
    /// The keychain.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// Obtaining credentials.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The profile holds the user's own keys.
    #[error("profile '{profile}' in {path} holds credentials credtray did not write; credtray will not overwrite them. Use another profile, or pass --take-over to set them aside while the session runs (they come back when it stops)", path = .path.display())]
    UserKeys {
        /// The profile.
        profile: String,
        /// The credentials file.
        path: PathBuf,
    },
    /// Internal to [`Engine::locked`]: the taken-over section of this session must be read
    /// from the keychain (outside the lock) before it can be put back; nothing of that
    /// session was changed.
    #[error("credtray needs a keychain item of session {0} first; try again")]
    NeedsKeychain(Uuid),
    /// The session is not active.
    #[error("session '{0}' is not active")]
    NotActive(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Options of a start.
#[derive(Clone)]
pub struct StartOptions {
    /// Set the user's own section aside instead of refusing.
    pub take_over: bool,
    /// Asks for MFA codes.
    pub mfa: Arc<dyn Interaction>,
}

/// The outcome of a start.
#[derive(Debug, Clone)]
pub struct Started {
    /// The session, as it is now.
    pub session: Session,
    /// When its credentials expire.
    pub expiration: DateTime<Utc>,
    /// The session that was active on the same profile and was stopped.
    pub displaced: Option<Session>,
}

/// The outcome of a test.
#[derive(Debug, Clone)]
pub struct Tested {
    /// The identity the credentials act as (GetCallerIdentity's ARN).
    pub arn: String,
    /// When the generated credentials expire.
    pub expiration: Option<DateTime<Utc>>,
}

/// The outcome of a refresh by the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// New credentials were written.
    Written(DateTime<Utc>),
    /// The session was no longer active (stopped by someone else meanwhile).
    Gone,
}

/// The engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// The state file.
    pub store: StateStore,
    /// The keychain.
    pub secrets: Arc<dyn SecretStore>,
    /// The AWS files.
    pub paths: AwsPaths,
    /// STS clients.
    pub sts: Sts,
}

impl Engine {
    /// Reads the state (no lock needed: writes are atomic).
    pub fn state(&self) -> Result<State, EngineError> {
        Ok(self.store.load()?)
    }

    /// Undoes what a killed process left half-done in the AWS files (`state.pending`), if
    /// anything; every change made through [`Engine::locked`] does this first anyway.
    pub fn recover(&self) -> Result<(), EngineError> {
        if self.store.load()?.pending.is_empty() {
            return Ok(());
        }
        self.locked(|_, _| Ok(()))
    }

    /// Runs `f` on the state under `credtray.lock`, with what it needs to change the AWS
    /// files, after undoing what a killed process left half-done. No keychain call, which
    /// may wait for the user to unlock the keychain, happens under the lock: when `f` needs
    /// a taken-over section to put back, it stops before changing that session
    /// ([`EngineError::NeedsKeychain`]); the lock is released, the section read, and `f`
    /// runs again on the state as it is then (so `f` must be safe to repeat: it is given
    /// the state its earlier run left). Sections put back are deleted from the keychain
    /// after the lock. What `f` changed is saved even when it fails, as with
    /// [`StateStore::update`].
    pub fn locked<T>(
        &self,
        f: impl FnMut(&mut State, &mut Ctx<'_>) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.locked_with(BTreeMap::new(), f)
    }

    /// [`Engine::locked`] with some taken-over sections already known.
    fn locked_with<T>(
        &self,
        mut blocks: BTreeMap<Uuid, Option<String>>,
        mut f: impl FnMut(&mut State, &mut Ctx<'_>) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        loop {
            let journaled = std::cell::Cell::new(false);
            let journal = |st: &State| {
                journaled.set(true);
                self.store.save(st)
            };
            let mut cx = Ctx {
                paths: &self.paths,
                blocks: &blocks,
                journal: &journal,
                restored: Vec::new(),
            };
            let out = (|| {
                let _guard = self.store.lock()?;
                let before = self.store.load()?;
                let mut state = before.clone();
                let out = files::recover(&mut state, &mut cx).and_then(|()| f(&mut state, &mut cx));
                // What the journal saved may differ from both `before` and `state`.
                if state != before || journaled.get() {
                    self.store.save(&state)?;
                }
                out
            })();
            for id in std::mem::take(&mut cx.restored) {
                if let Err(e) = self
                    .secrets
                    .delete(Owner::Session(id), SecretItem::TakenOverSection)
                {
                    tracing::warn!(
                        "a taken-over section was put back, but its keychain copy stays: {e}"
                    );
                }
            }
            match out {
                Err(EngineError::NeedsKeychain(id)) if !blocks.contains_key(&id) => {
                    tracing::debug!(session = %id, "reading a taken-over section from the keychain (outside the lock)");
                    let block = self
                        .secrets
                        .get(Owner::Session(id), SecretItem::TakenOverSection)?;
                    blocks.insert(id, block);
                }
                Err(EngineError::NeedsKeychain(_)) => {
                    return Err(EngineError::Other(
                        "internal error: a keychain item was asked for twice; try again".into(),
                    ))
                }
                other => return other,
            }
        }
    }

    fn context(
        &self,
        state: &State,
        mfa: Arc<dyn Interaction>,
        read_only_cache: bool,
    ) -> ProviderContext {
        ProviderContext {
            sts: self.sts.clone(),
            secrets: self.secrets.clone(),
            mfa: mfa.clone(),
            reuse_margin: Duration::seconds(state.settings.rotation_margin_secs as i64),
            read_only_cache,
            sso: Arc::new(integrations::TokenSource {
                engine: self.clone(),
                ui: mfa,
            }),
        }
    }

    /// Obtains fresh credentials for session `id` from a snapshot of the state.
    pub async fn obtain(
        &self,
        state: &State,
        id: Uuid,
        mfa: Arc<dyn Interaction>,
    ) -> Result<Credentials, EngineError> {
        let ctx = self.context(state, mfa, false);
        let provider = providers::build(state, id, &ctx)?;
        Ok(provider.retrieve().await?)
    }

    /// Starts a session: obtains credentials, then writes them under its profile (stopping
    /// any other session active there) and its region into the config file. With
    /// `take_over`, the user's own section is stored in the keychain before the lock.
    pub async fn start(&self, id: Uuid, opts: &StartOptions) -> Result<Started, EngineError> {
        let snapshot = self.state()?;
        let creds = self.obtain(&snapshot, id, opts.mfa.clone()).await?;
        let stored = if opts.take_over {
            self.store_user_section(&snapshot, id)?
        } else {
            None
        };
        let take_over = if opts.take_over {
            TakeOver::Allow(stored.as_deref())
        } else {
            TakeOver::Refuse
        };
        let seed = stored.iter().map(|b| (id, Some(b.clone()))).collect();
        let out = self.locked_with(seed, |state, cx| {
            let session = state
                .session(id)
                .cloned()
                .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
            let written = files::write(state, cx, &session, &creds, take_over)?;
            let displaced = written.displaced.and_then(|d| state.session(d).cloned());
            let expiration = state
                .active
                .get(&id)
                .map(|a| a.expiration)
                .unwrap_or_else(Utc::now);
            Ok(Started {
                session,
                expiration,
                displaced,
            })
        });
        if stored.is_some() {
            let took_over = self
                .store
                .load()
                .map(|st| st.active.get(&id).is_some_and(|a| a.took_over))
                .unwrap_or(true);
            if !took_over {
                if let Err(e) = self
                    .secrets
                    .delete(Owner::Session(id), SecretItem::TakenOverSection)
                {
                    tracing::warn!(
                        "an unused copy of a taken-over section stays in the keychain: {e}"
                    );
                }
            }
        }
        out
    }

    /// Before a start with take-over: the section the session will set aside, stored in the
    /// keychain now (outside the lock) — the user's own keys under its profile, or those a
    /// session displaced from it had set aside. `None` when there is nothing to set aside.
    fn store_user_section(&self, state: &State, id: Uuid) -> Result<Option<String>, EngineError> {
        let session = state
            .session(id)
            .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
        let block = match state.active_on(&session.profile) {
            Some(own) if own == id => return Ok(None),
            Some(other) if state.active.get(&other).is_some_and(|a| a.took_over) => self
                .secrets
                .get(Owner::Session(other), SecretItem::TakenOverSection)?,
            Some(_) => None,
            None => files::user_section(&self.paths, &session.profile)?,
        };
        if let Some(b) = &block {
            self.secrets
                .set(Owner::Session(id), SecretItem::TakenOverSection, b)?;
        }
        Ok(block)
    }

    /// Stops a session: removes exactly what was written for it.
    pub fn stop(&self, id: Uuid) -> Result<Session, EngineError> {
        self.locked(|state, cx| {
            let session = state
                .session(id)
                .cloned()
                .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
            if !state.active.contains_key(&session.id) {
                return Err(EngineError::NotActive(session.alias.clone()));
            }
            files::remove(state, cx, session.id)?;
            Ok(session)
        })
    }

    /// Generates credentials without writing them anywhere (a valid cached token may be
    /// reused, none is stored) and asks STS who they are.
    pub async fn test(&self, id: Uuid, mfa: Arc<dyn Interaction>) -> Result<Tested, EngineError> {
        let state = self.state()?;
        let session = state
            .session(id)
            .cloned()
            .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
        let ctx = self.context(&state, mfa, true);
        let creds = providers::build(&state, session.id, &ctx)?
            .retrieve()
            .await?;
        let arn = providers::sts::caller_arn(&self.sts, &session, &creds).await?;
        Ok(Tested {
            arn,
            expiration: creds.expiration,
        })
    }

    /// Refreshes an active session without the user (the scheduler's job): an MFA code
    /// needed is reported as [`ProviderError::MfaNeeded`].
    pub async fn refresh(
        &self,
        id: Uuid,
        mfa: Arc<dyn Interaction>,
    ) -> Result<Refreshed, EngineError> {
        let snapshot = self.state()?;
        let Some(before) = snapshot.active.get(&id).cloned() else {
            return Ok(Refreshed::Gone);
        };
        let creds = self.obtain(&snapshot, id, mfa).await?;
        self.locked(|state, cx| {
            let (Some(session), Some(active)) = (state.session(id).cloned(), state.active.get(&id))
            else {
                return Ok(Refreshed::Gone);
            };
            if active.profile != before.profile || active.refreshed_at != before.refreshed_at {
                // Someone restarted or moved it meanwhile; their credentials are newer.
                return Ok(Refreshed::Written(active.expiration));
            }
            files::write(state, cx, &session, &creds, TakeOver::Refuse)?;
            Ok(Refreshed::Written(
                state
                    .active
                    .get(&id)
                    .map(|a| a.expiration)
                    .unwrap_or_else(Utc::now),
            ))
        })
    }

    /// Removes the credentials of session `id` if they have run out by `now`; returns
    /// whether it did.
    pub fn expire(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, EngineError> {
        self.locked(|state, cx| {
            match state.active.get(&id) {
                Some(a) if a.expiration <= now => {}
                _ => return Ok(false),
            }
            files::remove(state, cx, id)?;
            Ok(true)
        })
    }

    /// Stops the active sessions in `ids` (under one lock) and returns those that were active.
    fn stop_many(
        state: &mut State,
        cx: &mut Ctx<'_>,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, EngineError> {
        let mut stopped = Vec::new();
        for id in ids {
            if state.active.contains_key(id) {
                files::remove(state, cx, *id)?;
                stopped.push(*id);
            }
        }
        Ok(stopped)
    }

    /// Starts each session again; returns the failures (the others are started).
    async fn restart_all(&self, ids: &[Uuid], opts: &StartOptions) -> Vec<(Uuid, EngineError)> {
        let mut failures = Vec::new();
        for id in ids {
            if let Err(e) = self.start(*id, opts).await {
                failures.push((*id, e));
            }
        }
        failures
    }

    /// Renames a profile: its active sessions stop, the sections move, they restart.
    pub async fn rename_profile(
        &self,
        old: &str,
        new: &str,
        opts: &StartOptions,
    ) -> Result<Vec<(Uuid, EngineError)>, EngineError> {
        // Safe to repeat (see `locked`): what an earlier run stopped is kept in `stopped`.
        let mut stopped = Vec::new();
        self.locked(|state, cx| {
            let mut probe = state.clone();
            probe.rename_profile(old, new)?;
            let on_old: Vec<Uuid> = state.sessions_on(old).map(|s| s.id).collect();
            stopped.extend(Self::stop_many(state, cx, &on_old)?);
            state.rename_profile(old, new)?;
            Ok::<_, EngineError>(())
        })?;
        Ok(self.restart_all(&stopped, opts).await)
    }

    /// Removes a profile: its sessions move to `default`; active ones restart there.
    pub async fn remove_profile(
        &self,
        name: &str,
        opts: &StartOptions,
    ) -> Result<Vec<(Uuid, EngineError)>, EngineError> {
        // Safe to repeat (see `locked`): what an earlier run stopped is kept in `stopped`.
        let mut stopped = Vec::new();
        self.locked(|state, cx| {
            let mut probe = state.clone();
            probe.remove_profile(name)?;
            let on: Vec<Uuid> = state.sessions_on(name).map(|s| s.id).collect();
            stopped.extend(Self::stop_many(state, cx, &on)?);
            state.remove_profile(name)?;
            Ok::<_, EngineError>(())
        })?;
        Ok(self.restart_all(&stopped, opts).await)
    }

    /// Stops every active session and remembers them, so that the next launch of the tray
    /// can start them again. Returns the sessions stopped.
    pub fn stop_all_and_remember(&self) -> Result<Vec<Uuid>, EngineError> {
        self.locked(|state, cx| {
            let ids: Vec<Uuid> = state.active.keys().copied().collect();
            // Safe to repeat (see `locked`): what an earlier run stopped is remembered too.
            let stopped = Self::stop_many(state, cx, &ids)?;
            for id in &stopped {
                if !state.resume.contains(id) {
                    state.resume.push(*id);
                }
            }
            Ok(state.resume.clone())
        })
    }

    /// Takes (and clears) the sessions remembered by [`Engine::stop_all_and_remember`],
    /// those that still exist, when the resume setting is on.
    pub fn take_resume(&self) -> Result<Vec<Uuid>, EngineError> {
        self.store.update(|state| {
            let ids = std::mem::take(&mut state.resume);
            if !state.settings.resume_at_launch {
                return Ok(Vec::new());
            }
            Ok(ids
                .into_iter()
                .filter(|id| state.session(*id).is_some() && !state.active.contains_key(id))
                .collect())
        })
    }
}

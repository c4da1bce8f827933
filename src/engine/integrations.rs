//! IAM Identity Center integrations in the engine: add, sign in (browser or device code),
//! sync (a pure merge applied under the lock), access tokens kept fresh (refreshed, or a
//! new sign-in when someone can be asked), logout and removal. Tokens and the client
//! registration live in the keychain, read and written outside `credtray.lock`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{Engine, EngineError};
use crate::model::integration::{Integration, SignIn};
use crate::model::portal::{apply_sync, plan_sync, removed_by};
use crate::model::{ModelError, Session, State};
use crate::providers::sso::SsoTokens;
use crate::providers::{Interaction, ProviderError};
use crate::sso::oidc::{self, OidcFailure};
use crate::sso::portal::{self, Listing, Pacer, PortalError};
use crate::sso::{browser, AccessToken, Flow, Registration, SsoClients, Tokens};
use crate::store::{Owner, SecretItem};

/// An access token is renewed when less than this is left.
pub const TOKEN_MARGIN: Duration = Duration::minutes(5);
/// A token that cannot be renewed is still used while it has more than this left.
pub const TOKEN_USABLE: Duration = Duration::seconds(30);

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Sessions added.
    pub added: usize,
    /// Sessions removed (their roles vanished), children included.
    pub removed: Vec<String>,
    /// Sessions kept.
    pub kept: usize,
    /// Accounts listed.
    pub accounts: usize,
}

/// One sign-in per integration at a time in this process: every start that needs a token
/// waits on the same sign-in.
fn sign_in_gate(id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut map = GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    map.entry(id).or_default().clone()
}

/// Held while signing in to one integration or renewing its token: within this process
/// (a tokio mutex: waiting holds no thread) and across credtray processes (an advisory lock
/// on `signin-<id>.lock` in the config folder, polled without blocking), so that the tray,
/// the agent and the CLI never run two sign-ins of one integration at once.
pub struct SignInGuard {
    _in_process: tokio::sync::OwnedMutexGuard<()>,
    _file: std::fs::File,
}

/// How long a process waits for another's sign-in to the same integration.
pub const SIGN_IN_WAIT: std::time::Duration = std::time::Duration::from_secs(660);

fn sso_err(alias: &str, operation: &'static str, message: String) -> EngineError {
    EngineError::Provider(ProviderError::Sso {
        subject: format!("integration '{alias}'"),
        operation,
        message,
    })
}

impl Engine {
    /// Clients for IAM Identity Center, over the SDK configuration STS uses.
    pub fn sso_clients(&self) -> SsoClients {
        SsoClients::new(self.sts.sdk_config())
    }

    /// Takes integration `integration`'s sign-in guard, waiting (asynchronously) while another
    /// task or process signs in, at most [`SIGN_IN_WAIT`].
    pub async fn sign_in_guard(
        &self,
        integration: &Integration,
    ) -> Result<SignInGuard, EngineError> {
        let in_process = sign_in_gate(integration.id).lock_owned().await;
        let dir = self.store.dir();
        crate::fsutil::ensure_private_dir(dir)
            .map_err(|e| EngineError::Other(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(format!("signin-{}.lock", integration.id));
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts
            .open(&path)
            .map_err(|e| EngineError::Other(format!("cannot open {}: {e}", path.display())))?;
        let deadline = tokio::time::Instant::now() + SIGN_IN_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if tokio::time::Instant::now() > deadline {
                        return Err(EngineError::Other(format!(
                            "another credtray process has been signing in to '{}' for over {} minutes ({} is held); finish or cancel that sign-in and try again",
                            integration.alias,
                            SIGN_IN_WAIT.as_secs() / 60,
                            path.display()
                        )));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(std::fs::TryLockError::Error(e))
                    if e.kind() == std::io::ErrorKind::Unsupported =>
                {
                    break
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(EngineError::Other(format!(
                        "cannot lock {}: {e}",
                        path.display()
                    )))
                }
            }
        }
        Ok(SignInGuard {
            _in_process: in_process,
            _file: file,
        })
    }

    fn integration_by_id(&self, id: Uuid) -> Result<Integration, EngineError> {
        self.state()?
            .integration(id)
            .cloned()
            .ok_or_else(|| ModelError::NoSuchIntegration(id.to_string()).into())
    }

    /// Adds an integration (checked: https start URL, region, free alias). Stores nothing
    /// when refused.
    pub fn add_integration(
        &self,
        alias: &str,
        start_url: &str,
        region: &str,
    ) -> Result<Integration, EngineError> {
        let integration = Integration {
            id: Uuid::new_v4(),
            alias: alias.to_string(),
            start_url: start_url.trim_end_matches('/').to_string(),
            region: region.to_string(),
            sign_in: None,
            synced_at: None,
        };
        let added = integration.clone();
        self.store.update(move |st| {
            st.add_integration(added)?;
            Ok::<_, EngineError>(())
        })?;
        Ok(integration)
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        id: Uuid,
        item: SecretItem,
    ) -> Result<Option<T>, EngineError> {
        Ok(self
            .secrets
            .get(Owner::Integration(id), item)?
            .and_then(|raw| serde_json::from_str(&raw).ok()))
    }

    fn set_sign_in(&self, id: Uuid, sign_in: Option<SignIn>) -> Result<(), EngineError> {
        self.store.update(|st| {
            if let Some(i) = st.integration_mut(id) {
                i.sign_in = sign_in;
            }
            Ok::<_, EngineError>(())
        })
    }

    fn store_tokens(&self, id: Uuid, tokens: &Tokens) -> Result<(), EngineError> {
        let owner = Owner::Integration(id);
        let json = serde_json::to_string(&tokens.access)
            .map_err(|e| EngineError::Other(format!("cannot encode the token: {e}")))?;
        self.secrets.set(owner, SecretItem::SsoAccessToken, &json)?;
        match &tokens.refresh {
            Some(r) => self.secrets.set(owner, SecretItem::SsoRefreshToken, r)?,
            None => self.secrets.delete(owner, SecretItem::SsoRefreshToken)?,
        }
        self.set_sign_in(
            id,
            Some(SignIn {
                expires_at: tokens.access.expires_at,
                refreshable: tokens.refresh.is_some(),
                expired: false,
            }),
        )
    }

    /// The client registration for `flow`, reused from the keychain while it is valid.
    async fn registration(
        &self,
        integration: &Integration,
        flow: Flow,
    ) -> Result<Registration, EngineError> {
        let owner = Owner::Integration(integration.id);
        if let Some(reg) = self.read_json::<Registration>(integration.id, SecretItem::SsoClient)? {
            if reg.usable(flow, &integration.start_url, Utc::now()) {
                return Ok(reg);
            }
        }
        let client = self.sso_clients().oidc(&integration.region);
        let reg = oidc::register(&client, &integration.alias, &integration.start_url, flow).await?;
        let json = serde_json::to_string(&reg)
            .map_err(|e| EngineError::Other(format!("cannot encode the registration: {e}")))?;
        self.secrets.set(owner, SecretItem::SsoClient, &json)?;
        Ok(reg)
    }

    /// Signs in to `integration` (the caller holds its gate): the browser with PKCE, or the
    /// device code; stores the tokens. Nothing is stored when cancelled or refused.
    async fn sign_in(
        &self,
        integration: &Integration,
        ui: &dyn Interaction,
        flow: Flow,
    ) -> Result<AccessToken, EngineError> {
        if !ui.can_ask() {
            return Err(ProviderError::SignInNeeded {
                integration: integration.alias.clone(),
            }
            .into());
        }
        let reg = self.registration(integration, flow).await?;
        let clients = self.sso_clients();
        let client = clients.oidc(&integration.region);
        let open = |url: &str| {
            if !browser::open(url) {
                tracing::warn!("no browser opened; open the sign-in URL yourself");
            }
        };
        let tokens = match flow {
            Flow::Pkce => {
                let endpoint = clients.oidc_endpoint(&integration.region);
                oidc::sign_in_with_browser(&client, &endpoint, &reg, &integration.alias, ui, &open)
                    .await?
            }
            Flow::DeviceCode => {
                oidc::sign_in_with_device_code(
                    &client,
                    &reg,
                    &integration.start_url,
                    &integration.alias,
                    ui,
                    &open,
                )
                .await?
            }
        };
        self.store_tokens(integration.id, &tokens)?;
        tracing::info!(integration = %integration.alias, "signed in");
        Ok(tokens.access)
    }

    /// Signs in to the integration named `query` (always, even when a token is still
    /// valid), then syncs its accounts.
    pub async fn login(
        &self,
        query: &str,
        ui: Arc<dyn Interaction>,
        flow: Flow,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<SyncReport, EngineError> {
        let integration = self.state()?.resolve_integration(query)?.clone();
        {
            let _held = self.sign_in_guard(&integration).await?;
            self.sign_in(&integration, ui.as_ref(), flow).await?;
        }
        self.sync(&integration.id.to_string(), ui, progress).await
    }

    /// Tries the refresh token; `Ok(None)` when there is none (or no registration).
    async fn try_refresh(
        &self,
        integration: &Integration,
    ) -> Result<Option<AccessToken>, EngineError> {
        let owner = Owner::Integration(integration.id);
        let Some(refresh) = self.secrets.get(owner, SecretItem::SsoRefreshToken)? else {
            return Ok(None);
        };
        let Some(reg) = self.read_json::<Registration>(integration.id, SecretItem::SsoClient)?
        else {
            return Ok(None);
        };
        let client = self.sso_clients().oidc(&integration.region);
        match oidc::refresh(&client, &reg, &refresh).await {
            Ok(tokens) => {
                let tokens = Tokens {
                    refresh: tokens.refresh.or(Some(refresh)),
                    ..tokens
                };
                self.store_tokens(integration.id, &tokens)?;
                tracing::info!(integration = %integration.alias, expires = %tokens.access.expires_at, "access token refreshed");
                Ok(Some(tokens.access))
            }
            Err(OidcFailure::Refused(why)) => {
                // Another credtray process (the agent, another command) may have used the
                // same refresh token a moment ago: the portal rotates them, so ours is spent
                // but theirs is in the keychain, with the access token it brought.
                if let Some(renewed) = self.renewed_elsewhere(integration.id, &refresh).await? {
                    return Ok(renewed);
                }
                tracing::warn!(integration = %integration.alias, "the refresh token was refused ({why})");
                self.secrets.delete(owner, SecretItem::SsoRefreshToken)?;
                // The access token cannot be renewed any more: the status turns `expired`
                // when it runs out (not `logged-in` for ever).
                self.store.update(|st| {
                    if let Some(s) = st
                        .integration_mut(integration.id)
                        .and_then(|i| i.sign_in.as_mut())
                    {
                        s.refreshable = false;
                    }
                    Ok::<_, EngineError>(())
                })?;
                Ok(None)
            }
            Err(OidcFailure::Failed(why)) => Err(sso_err(&integration.alias, "CreateToken", why)),
        }
    }

    /// After our refresh token was refused: whether another process has stored a new one
    /// meanwhile (looked at now and once more a second later, the time its keychain write
    /// may take). `Some(Some(token))`: use its access token; `Some(None)`: its access token
    /// is already expired, sign in again but keep its refresh token; `None`: no one did.
    async fn renewed_elsewhere(
        &self,
        id: Uuid,
        presented: &str,
    ) -> Result<Option<Option<AccessToken>>, EngineError> {
        for pause in [0, 1000] {
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            let stored = self
                .secrets
                .get(Owner::Integration(id), SecretItem::SsoRefreshToken)?;
            if stored.is_some_and(|r| r != presented) {
                let access = self
                    .read_json::<AccessToken>(id, SecretItem::SsoAccessToken)?
                    .filter(|t| t.expires_at > Utc::now());
                tracing::info!("another credtray process renewed the access token; using it");
                return Ok(Some(access));
            }
        }
        Ok(None)
    }

    /// Marks the integration's sign-in as expired (it needs the user).
    fn mark_expired(&self, id: Uuid) -> Result<(), EngineError> {
        self.store.update(|st| {
            if let Some(s) = st.integration_mut(id).and_then(|i| i.sign_in.as_mut()) {
                s.expired = true;
                s.refreshable = false;
            }
            Ok::<_, EngineError>(())
        })
    }

    /// A valid access token of integration `id`: the stored one while it has more than
    /// [`TOKEN_MARGIN`] left, else refreshed, else a new sign-in through `ui` (when it can
    /// ask). One sign-in at a time per integration.
    pub async fn access_token(
        &self,
        id: Uuid,
        ui: &dyn Interaction,
    ) -> Result<String, EngineError> {
        let integration = self.integration_by_id(id)?;
        let _held = self.sign_in_guard(&integration).await?;
        let stored = self.read_json::<AccessToken>(id, SecretItem::SsoAccessToken)?;
        if let Some(t) = &stored {
            if t.expires_at > Utc::now() + TOKEN_MARGIN {
                return Ok(t.token.clone());
            }
        }
        if let Some(t) = self.try_refresh(&integration).await? {
            return Ok(t.token);
        }
        // Not renewable, but still good for a while: use it rather than ask the user now
        // (the token may also be one another process just signed in for).
        if let Some(t) = stored.or(self.read_json::<AccessToken>(id, SecretItem::SsoAccessToken)?) {
            if t.expires_at > Utc::now() + TOKEN_USABLE {
                return Ok(t.token);
            }
        }
        if !ui.can_ask() {
            if integration.sign_in.is_some() {
                self.mark_expired(id)?;
            }
            return Err(ProviderError::SignInNeeded {
                integration: integration.alias.clone(),
            }
            .into());
        }
        // Sign in again the way the user last did: a device-code user is likely on a
        // machine with no browser for the redirect to come back to.
        let flow = self
            .read_json::<Registration>(id, SecretItem::SsoClient)?
            .map_or(Flow::Pkce, |r| r.flow);
        Ok(self.sign_in(&integration, ui, flow).await?.token)
    }

    /// Renews integration `id`'s access token now (the scheduler's job, before it expires).
    /// Returns the new expiry; [`ProviderError::SignInNeeded`] when it cannot be renewed
    /// without the user (the integration is then marked expired).
    pub async fn refresh_integration(&self, id: Uuid) -> Result<DateTime<Utc>, EngineError> {
        let integration = self.integration_by_id(id)?;
        let _held = self.sign_in_guard(&integration).await?;
        match self.try_refresh(&integration).await? {
            Some(t) => Ok(t.expires_at),
            None => {
                self.mark_expired(id)?;
                Err(ProviderError::SignInNeeded {
                    integration: integration.alias,
                }
                .into())
            }
        }
    }

    /// Forgets the access token if it is still `token` (the portal refused it).
    fn forget_access_token(&self, id: Uuid, token: &str) -> Result<(), EngineError> {
        if let Some(t) = self.read_json::<AccessToken>(id, SecretItem::SsoAccessToken)? {
            if t.token == token {
                self.secrets
                    .delete(Owner::Integration(id), SecretItem::SsoAccessToken)?;
            }
        }
        Ok(())
    }

    /// Lists the integration's accounts and roles (every page, paced) and merges them into
    /// the sessions: new roles added (profile `default`, the integration's region), vanished
    /// ones stopped and removed, kept ones untouched. A token refused mid-sync is renewed
    /// (or signed in again) once, and the sync resumes where it was.
    pub async fn sync(
        &self,
        query: &str,
        ui: Arc<dyn Interaction>,
        progress: &(dyn Fn(usize, usize) + Send + Sync),
    ) -> Result<SyncReport, EngineError> {
        let integration = self.state()?.resolve_integration(query)?.clone();
        let id = integration.id;
        let client = self.sso_clients().portal(&integration.region);
        let pacer = Arc::new(Pacer::new(portal::RATE_PER_SECOND));
        let mut listing = Listing::default();
        let mut renewed = false;
        loop {
            let token = self.access_token(id, ui.as_ref()).await?;
            match portal::list(&client, &token, pacer.clone(), &mut listing, progress).await {
                Ok(()) => break,
                Err(PortalError::Unauthorized(why)) if !renewed => {
                    tracing::info!(integration = %integration.alias, "the portal refused the token mid-sync ({why}); renewing it and resuming");
                    self.forget_access_token(id, &token)?;
                    renewed = true;
                }
                Err(e) => return Err(sso_err(&integration.alias, "sync", e.to_string())),
            }
        }
        let roles = listing.roles();
        let accounts = listing.accounts.as_ref().map_or(0, |a| a.len());
        let (report, removed_ids) = self.locked(|state, cx| {
            let Some(current) = state.integration(id).cloned() else {
                return Err(ModelError::NoSuchIntegration(integration.alias.clone()).into());
            };
            let plan = plan_sync(state, id, &current.region, &roles);
            let removed = removed_by(state, &plan);
            let names: Vec<String> = removed
                .iter()
                .filter_map(|r| state.session(*r).map(|s| s.alias.clone()))
                .collect();
            Self::stop_many(state, cx, &removed)?;
            apply_sync(state, &plan);
            if let Some(i) = state.integration_mut(id) {
                i.synced_at = Some(Utc::now());
            }
            Ok((
                SyncReport {
                    added: plan.added.len(),
                    removed: names,
                    kept: plan.kept,
                    accounts,
                },
                removed,
            ))
        })?;
        self.forget_sessions(&removed_ids);
        Ok(report)
    }

    /// Deletes the keychain items of sessions that are gone (best effort, logged).
    fn forget_sessions(&self, ids: &[Uuid]) {
        for id in ids {
            if let Err(e) = self.secrets.delete_all(Owner::Session(*id)) {
                tracing::warn!("{e}");
            }
        }
    }

    /// Signs out: the portal's Logout (best effort), the tokens forgotten in the keychain,
    /// the integration's sessions stopped. Returns the sessions stopped.
    pub async fn logout(&self, query: &str) -> Result<Vec<Session>, EngineError> {
        let integration = self.state()?.resolve_integration(query)?.clone();
        let id = integration.id;
        let owner = Owner::Integration(id);
        if let Some(t) = self.read_json::<AccessToken>(id, SecretItem::SsoAccessToken)? {
            let client = self.sso_clients().portal(&integration.region);
            if let Err(e) = portal::logout(&client, &t.token).await {
                tracing::warn!(integration = %integration.alias, "the portal's logout failed ({e}); the tokens are forgotten anyway");
            }
        }
        self.secrets.delete(owner, SecretItem::SsoAccessToken)?;
        self.secrets.delete(owner, SecretItem::SsoRefreshToken)?;
        self.locked(|state, cx| {
            // The chained sessions below them too: their credentials came from this sign-in.
            let ids = state.sessions_of_with_children(id);
            let stopped = Self::stop_many(state, cx, &ids)?;
            if let Some(i) = state.integration_mut(id) {
                i.sign_in = None;
            }
            Ok(stopped
                .iter()
                .filter_map(|s| state.session(*s).cloned())
                .collect())
        })
    }

    /// Removes an integration: its sessions (and the chained sessions below them) stopped
    /// and removed, its tokens and registration and their keychain items deleted. Returns
    /// the sessions removed.
    pub async fn remove_integration(&self, query: &str) -> Result<Vec<Session>, EngineError> {
        let integration = self.state()?.resolve_integration(query)?.clone();
        let id = integration.id;
        let _ = self.logout(&id.to_string()).await;
        let removed = self.locked(|state, cx| {
            let ids = state.sessions_of_with_children(id);
            Self::stop_many(state, cx, &ids)?;
            let sessions: Vec<Session> = ids
                .iter()
                .filter_map(|i| state.session(*i).cloned())
                .collect();
            state.sessions.retain(|s| !ids.contains(&s.id));
            state.integrations.retain(|i| i.id != id);
            Ok(sessions)
        })?;
        let ids: Vec<Uuid> = removed.iter().map(|s| s.id).collect();
        self.forget_sessions(&ids);
        self.secrets.delete_all(Owner::Integration(id))?;
        let _ = std::fs::remove_file(self.store.dir().join(format!("signin-{id}.lock")));
        Ok(removed)
    }
}

/// The engine as the token source of `aws-sso` providers, asking `ui` when a sign-in is
/// needed.
pub struct TokenSource {
    /// The engine.
    pub engine: Engine,
    /// Who to ask.
    pub ui: Arc<dyn Interaction>,
}

#[async_trait::async_trait]
impl SsoTokens for TokenSource {
    async fn access_token(&self, integration: Uuid) -> Result<String, ProviderError> {
        self.engine
            .access_token(integration, self.ui.as_ref())
            .await
            .map_err(|e| match e {
                EngineError::Provider(p) => p,
                other => ProviderError::Config(other.to_string()),
            })
    }

    async fn refused(&self, integration: Uuid, token: &str) {
        if let Err(e) = self.engine.forget_access_token(integration, token) {
            tracing::warn!("{e}");
        }
    }

    fn portal(&self, integration: Uuid) -> Result<aws_sdk_sso::Client, ProviderError> {
        let region = self
            .engine
            .state()
            .ok()
            .and_then(|st: State| st.integration(integration).map(|i| i.region.clone()))
            .ok_or_else(|| ProviderError::Config(format!("integration {integration} is gone")))?;
        Ok(self.engine.sso_clients().portal(&region))
    }
}

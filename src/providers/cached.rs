//! A provider that keeps another's result in the keychain and reuses it until shortly
//! before it expires — so an MFA code is asked once per token lifetime, shared by every
//! chained session below it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use uuid::Uuid;

use super::{Credentials, Provider, ProviderError};
use crate::store::{Owner, SecretItem, SecretStore};

/// Wraps `inner` with a keychain cache.
pub struct CachedProvider {
    /// The session whose token is cached.
    pub session: Uuid,
    /// Its alias, for messages.
    pub alias: String,
    /// The keychain.
    pub secrets: Arc<dyn SecretStore>,
    /// A cached token is reused only while it has more than this left.
    pub margin: Duration,
    /// Never store what `inner` gives.
    pub read_only: bool,
    /// The provider that makes fresh credentials.
    pub inner: Box<dyn Provider>,
}

impl CachedProvider {
    fn keychain(&self, source: crate::store::SecretError) -> ProviderError {
        ProviderError::Keychain {
            session: self.alias.clone(),
            source,
        }
    }

    /// The cached credentials, if still good beyond the margin. A damaged item is ignored.
    pub fn cached(&self) -> Result<Option<Credentials>, ProviderError> {
        let Some(raw) = self
            .secrets
            .get(Owner::Session(self.session), SecretItem::SessionToken)
            .map_err(|e| self.keychain(e))?
        else {
            return Ok(None);
        };
        let Ok(creds) = serde_json::from_str::<Credentials>(&raw) else {
            tracing::warn!(session = %self.alias, "ignoring a damaged cached session token");
            return Ok(None);
        };
        match creds.expiration {
            Some(exp) if exp - self.margin > Utc::now() => Ok(Some(creds)),
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl Provider for CachedProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        if let Some(c) = self.cached()? {
            tracing::debug!(session = %self.alias, "reusing the cached session token");
            return Ok(c);
        }
        let fresh = self.inner.retrieve().await?;
        if self.read_only {
            return Ok(fresh);
        }
        let json =
            serde_json::to_string(&fresh).map_err(|e| ProviderError::Config(e.to_string()))?;
        self.secrets
            .set(
                Owner::Session(self.session),
                SecretItem::SessionToken,
                &json,
            )
            .map_err(|e| self.keychain(e))?;
        Ok(fresh)
    }
}

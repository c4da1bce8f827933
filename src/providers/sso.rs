//! `aws-sso` sessions: GetRoleCredentials with the integration's access token. The token
//! comes from an [`SsoTokens`] (the engine: from the keychain, refreshed or signed in again
//! as needed), so this provider knows nothing of sign-in.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use super::{Credentials, Provider, ProviderError};
use crate::model::{Session, SsoRole};
use crate::sso::portal::{self, PortalError};

/// Where `aws-sso` sessions get their integration's access token and portal client.
#[async_trait]
pub trait SsoTokens: Send + Sync {
    /// A valid access token of `integration`: the stored one, refreshed, or from a new
    /// sign-in (when someone can be asked).
    async fn access_token(&self, integration: Uuid) -> Result<String, ProviderError>;
    /// The portal refused `token`: forget it, so that the next call renews it.
    async fn refused(&self, integration: Uuid, token: &str);
    /// A portal client for the integration.
    fn portal(&self, integration: Uuid) -> Result<aws_sdk_sso::Client, ProviderError>;
}

/// GetRoleCredentials for one account and role of an integration.
pub struct SsoRoleProvider {
    /// The session.
    pub session: Session,
    /// Its account and role.
    pub role: SsoRole,
    /// The tokens.
    pub tokens: Arc<dyn SsoTokens>,
}

impl SsoRoleProvider {
    fn failed(&self, message: String) -> ProviderError {
        ProviderError::Sso {
            subject: format!("session '{}'", self.session.alias),
            operation: "GetRoleCredentials",
            message,
        }
    }
}

#[async_trait]
impl Provider for SsoRoleProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let client = self.tokens.portal(self.role.integration)?;
        let mut retried = false;
        loop {
            let token = self.tokens.access_token(self.role.integration).await?;
            match portal::role_credentials(
                &client,
                &token,
                &self.role.account_id,
                &self.role.role_name,
            )
            .await
            {
                Ok(c) => return Ok(c),
                Err(PortalError::Unauthorized(m)) if !retried => {
                    tracing::info!(session = %self.session.alias, "the portal refused the access token ({m}); renewing it");
                    self.tokens.refused(self.role.integration, &token).await;
                    retried = true;
                }
                Err(e) => return Err(self.failed(e.to_string())),
            }
        }
    }
}

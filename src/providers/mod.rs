//! Providers: one per way of obtaining credentials, each with one method, composed rather
//! than branched (after aws-vault's `vault/`): a cached provider wraps any other, and a
//! chained role wraps its parent's provider.

pub mod assume_role;
pub mod cached;
pub mod credentials;
pub mod error;
pub mod interaction;
pub mod saml;
pub mod session_token;
pub mod sso;
pub mod sts;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

pub use credentials::Credentials;
pub use error::{ProviderError, StsFailure};
pub use interaction::{Interaction, NoInteraction, SignInStep};
pub use sts::Sts;

use crate::model::{SessionKind, State};
use crate::store::{Owner, SecretItem, SecretStore};
use uuid::Uuid;

/// Something that produces temporary credentials.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Obtains credentials (from a cache, from STS, asking the user for an MFA code…).
    async fn retrieve(&self) -> Result<Credentials, ProviderError>;
}

/// What building a provider needs besides the state.
#[derive(Clone)]
pub struct ProviderContext {
    /// The STS client factory.
    pub sts: Sts,
    /// The keychain.
    pub secrets: Arc<dyn SecretStore>,
    /// Asks the user for MFA codes.
    pub mfa: Arc<dyn Interaction>,
    /// A cached token is reused only while it has more than this left.
    pub reuse_margin: Duration,
    /// Reuse a valid cached token but never store one (for "test").
    pub read_only_cache: bool,
    /// Access tokens of IAM Identity Center integrations.
    pub sso: Arc<dyn sso::SsoTokens>,
}

/// Builds the provider of session `id`: a cached session-token provider for an IAM user,
/// GetRoleCredentials for an IAM Identity Center role, an AssumeRole provider over its
/// parent's provider for a chained role, to any depth.
pub fn build(
    state: &State,
    id: Uuid,
    ctx: &ProviderContext,
) -> Result<Box<dyn Provider>, ProviderError> {
    let chain = state
        .chain(id)
        .map_err(|e| ProviderError::Config(e.to_string()))?;
    let mut provider: Option<Box<dyn Provider>> = None;
    for session in chain {
        provider = Some(match &session.kind {
            SessionKind::IamUser(user) => {
                let keychain = |source| ProviderError::Keychain {
                    session: session.alias.clone(),
                    source,
                };
                let akid = ctx
                    .secrets
                    .get(Owner::Session(session.id), SecretItem::AccessKeyId)
                    .map_err(keychain)?;
                let secret = ctx
                    .secrets
                    .get(Owner::Session(session.id), SecretItem::SecretAccessKey)
                    .map_err(keychain)?;
                let (Some(akid), Some(secret)) = (akid, secret) else {
                    return Err(ProviderError::MissingKeys {
                        session: session.alias.clone(),
                    });
                };
                let inner = session_token::SessionTokenProvider {
                    session: session.clone(),
                    user: user.clone(),
                    long_term: Credentials::long_term(akid, secret),
                    sts: ctx.sts.clone(),
                    mfa: ctx.mfa.clone(),
                };
                Box::new(cached::CachedProvider {
                    session: session.id,
                    alias: session.alias.clone(),
                    secrets: ctx.secrets.clone(),
                    margin: ctx.reuse_margin,
                    read_only: ctx.read_only_cache,
                    inner: Box::new(inner),
                })
            }
            SessionKind::AwsSso(role) => Box::new(sso::SsoRoleProvider {
                session: session.clone(),
                role: role.clone(),
                tokens: ctx.sso.clone(),
            }),
            SessionKind::IamRoleFederated(role) => Box::new(saml::SamlRoleProvider {
                session: session.clone(),
                role: role.clone(),
                interaction: ctx.mfa.clone(),
                sts: ctx.sts.clone(),
            }),
            SessionKind::IamRoleChained(role) => {
                let parent = provider.take().ok_or_else(|| {
                    ProviderError::Config(format!("session '{}' has no parent", session.alias))
                })?;
                Box::new(assume_role::AssumeRoleProvider {
                    session: session.clone(),
                    role: role.clone(),
                    parent,
                    sts: ctx.sts.clone(),
                })
            }
        });
    }
    provider.ok_or_else(|| ProviderError::Config(format!("no session {id}")))
}

//! `iam-role-federated`: the IdP's sign-in page (through the `Interaction`, which shows
//! the window), the session's role/provider pair chosen from the assertion, then STS
//! AssumeRoleWithSAML — an unsigned call. The assertion is never stored, logged or shown.

use async_trait::async_trait;

use super::sts::{answer_credentials, call_failed};
use super::{Credentials, Interaction, Provider, ProviderError, Sts};
use crate::model::{FederatedRole, Session};
use crate::saml::assertion::{choose, role_pairs};
use crate::saml::helper::SignInError;
use crate::saml::Assertion;

/// Opens the sign-in window of `session` (in the helper process; never shown, and given up
/// after that long, with `hidden`) and waits for the assertion. What the CLI's and the
/// tray's [`Interaction`]s call.
pub async fn window_sign_in(
    session: &Session,
    role: &FederatedRole,
    hidden: Option<std::time::Duration>,
) -> Result<Assertion, ProviderError> {
    let alias = session.alias.clone();
    let dir = crate::saml::data_dir(&role.saml_url).map_err(|e| ProviderError::SamlWindow {
        session: alias.clone(),
        message: format!("cannot create the sign-in data folder: {e}"),
    })?;
    crate::saml::helper::sign_in(&alias, &role.saml_url, &dir, hidden)
        .await
        .map_err(|e| match e {
            SignInError::NoDisplay => ProviderError::SamlNeedsDisplay {
                session: alias,
                why: SignInError::NoDisplay.to_string(),
            },
            SignInError::DisplayUnreachable(why) => ProviderError::SamlNeedsDisplay {
                session: alias,
                why,
            },
            SignInError::Closed => ProviderError::SamlCancelled { session: alias },
            SignInError::Failed(message) => ProviderError::SamlWindow {
                session: alias,
                message,
            },
        })
}

/// Signs in through the IdP and calls AssumeRoleWithSAML.
pub struct SamlRoleProvider {
    /// The session.
    pub session: Session,
    /// Its fields.
    pub role: FederatedRole,
    /// Shows the sign-in window.
    pub interaction: std::sync::Arc<dyn Interaction>,
    /// STS.
    pub sts: Sts,
}

#[async_trait]
impl Provider for SamlRoleProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let alias = &self.session.alias;
        let assertion = self
            .interaction
            .saml_sign_in(&self.session, &self.role)
            .await?;
        let pairs = role_pairs(&assertion).map_err(|why| ProviderError::SamlBadAssertion {
            session: alias.clone(),
            why,
        })?;
        let pair = choose(&pairs, &self.role.role_arn, &self.role.idp_arn).ok_or_else(|| {
            ProviderError::SamlRoleMissing {
                session: alias.clone(),
                role: self.role.role_arn.clone(),
                idp: self.role.idp_arn.clone(),
                offered: pairs.iter().map(ToString::to_string).collect(),
            }
        })?;
        let out = self
            .sts
            .unsigned_client(&self.session.region)
            .assume_role_with_saml()
            .role_arn(&pair.role_arn)
            .principal_arn(&pair.provider_arn)
            .saml_assertion(assertion.expose())
            .duration_seconds(self.role.duration_secs as i32)
            .send()
            .await
            .map_err(call_failed(alias, "AssumeRoleWithSAML"))?;
        answer_credentials(alias, "AssumeRoleWithSAML", out.credentials())
    }
}

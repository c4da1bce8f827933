//! `iam-user`: STS GetSessionToken with the user's long-term keys, and the MFA device
//! when one is set.

use async_trait::async_trait;

use super::interaction::is_valid_code;
use super::sts::{answer_credentials, call_failed};
use super::{Credentials, Interaction, Provider, ProviderError, Sts};
use crate::model::{IamUser, Session};
use std::sync::Arc;

/// Calls GetSessionToken.
pub struct SessionTokenProvider {
    /// The session.
    pub session: Session,
    /// Its fields.
    pub user: IamUser,
    /// The long-term keys from the keychain.
    pub long_term: Credentials,
    /// STS.
    pub sts: Sts,
    /// Asks for the MFA code.
    pub mfa: Arc<dyn Interaction>,
}

#[async_trait]
impl Provider for SessionTokenProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let client = self.sts.client(&self.session.region, &self.long_term);
        let mut req = client
            .get_session_token()
            .duration_seconds(self.user.duration_secs as i32);
        if let Some(serial) = &self.user.mfa_serial {
            let code = self.mfa.mfa_code(&self.session, serial).await?;
            let code = code.trim().to_string();
            if !is_valid_code(&code) {
                return Err(ProviderError::BadMfaCode {
                    session: self.session.alias.clone(),
                });
            }
            req = req.serial_number(serial).token_code(code);
        }
        let out = req
            .send()
            .await
            .map_err(call_failed(&self.session.alias, "GetSessionToken"))?;
        answer_credentials(&self.session.alias, "GetSessionToken", out.credentials())
    }
}

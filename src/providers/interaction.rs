//! Asking the user: one interface for everything a provider may need from a person — an
//! MFA code, or waiting while they sign in to IAM Identity Center in their browser (with a
//! device code to type, in device mode). The CLI answers on the terminal, the tray with
//! dialogs; the background agent cannot ask, and says so ([`NoInteraction`]).

use super::ProviderError;
use crate::model::{FederatedRole, Session};
use crate::saml::Assertion;

/// What a sign-in waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStep {
    /// The authorize page is open in the browser (this URL, shown too in case no browser
    /// opened); credtray's loopback listener waits for its redirect.
    Browser {
        /// The authorize URL.
        url: String,
    },
    /// Device authorization: the user opens `url` (anywhere) and confirms `code`.
    DeviceCode {
        /// The verification URL (with the code in it).
        url: String,
        /// The code the page shows, for the user to compare.
        code: String,
    },
}

/// Asks the user. Asynchronous, so that waiting for the user holds no thread.
#[async_trait::async_trait]
pub trait Interaction: Send + Sync {
    /// Returns a code for `serial`, the MFA device of `session`.
    async fn mfa_code(&self, session: &Session, serial: &str) -> Result<String, ProviderError>;

    /// Shows that the sign-in to integration `alias` waits for the user (`step`), until the
    /// sign-in completes — the caller then drops this future, which must take down whatever
    /// it showed — or the user cancels: then it returns the error to report
    /// ([`ProviderError::Cancelled`]). Where no one can be asked it returns at once with
    /// [`ProviderError::SignInNeeded`].
    async fn signing_in(&self, alias: &str, step: &SignInStep) -> ProviderError;

    /// Signs in to a federated session's identity provider in the sign-in window and
    /// returns the SAMLResponse it posts. Where no window can be shown it says so.
    async fn saml_sign_in(
        &self,
        session: &Session,
        role: &FederatedRole,
    ) -> Result<Assertion, ProviderError> {
        let _ = role;
        Err(ProviderError::SamlSignInNeeded {
            session: session.alias.clone(),
        })
    }

    /// Whether this can ask anyone (false for the background agent): a sign-in is not even
    /// started without someone to complete it.
    fn can_ask(&self) -> bool {
        true
    }
}

/// No one to ask: rotation in the background stops there and reports what it needs.
#[derive(Debug, Default, Clone)]
pub struct NoInteraction {
    /// What to tell the user instead of an MFA prompt.
    pub hint: String,
}

#[async_trait::async_trait]
impl Interaction for NoInteraction {
    async fn mfa_code(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
        Err(ProviderError::MfaNeeded {
            session: session.alias.clone(),
            serial: serial.to_string(),
            hint: if self.hint.is_empty() {
                format!("run `credtray session start {}` to type one", session.alias)
            } else {
                self.hint.clone()
            },
        })
    }

    async fn signing_in(&self, alias: &str, _step: &SignInStep) -> ProviderError {
        ProviderError::SignInNeeded {
            integration: alias.to_string(),
        }
    }

    fn can_ask(&self) -> bool {
        false
    }
}

/// Checks that a code is six ASCII digits.
pub fn is_valid_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

//! Asking the user for MFA codes.

use super::ProviderError;
use crate::model::Session;

/// Asks for an MFA code. The CLI asks on the terminal, the tray in a dialog; the agent
/// cannot ask. Asynchronous, so that waiting for the user holds no thread.
#[async_trait::async_trait]
pub trait MfaPrompt: Send + Sync {
    /// Returns a code for `serial`, the MFA device of `session`.
    async fn code(&self, session: &Session, serial: &str) -> Result<String, ProviderError>;
}

/// A prompt that never has a code: rotation in the background stops there.
#[derive(Debug, Default, Clone)]
pub struct NoMfaPrompt {
    /// What to tell the user instead.
    pub hint: String,
}

#[async_trait::async_trait]
impl MfaPrompt for NoMfaPrompt {
    async fn code(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
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
}

/// Checks that a code is six ASCII digits.
pub fn is_valid_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

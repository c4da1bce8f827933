//! The tray's answers to the providers' questions ([`Interaction`]): MFA codes in a
//! dialog and sign-ins waiting in the browser shown with a Cancel — asked of the UI thread
//! through [`Ui`] and awaited without holding a thread — and federated sign-ins in the
//! sign-in helper's window (`saml::helper`). Rotation's [`SilentRotation`] asks no one,
//! but tries a federated sign-in in a hidden window first.

use tokio::sync::oneshot;

use super::app::{Ui, UserEvent};
use crate::model::{FederatedRole, Session};
use crate::providers::saml::window_sign_in;
use crate::providers::{Interaction, NoInteraction, ProviderError, SignInStep};
use crate::saml::Assertion;

/// How long rotation waits for a hidden sign-in window to complete by itself before it
/// asks the user.
pub const SILENT_SIGN_IN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The interaction of the tray's rotation: nobody is asked (like the headless agent's
/// [`NoInteraction`]), but a federated session first tries its sign-in in a window that is
/// never shown, which completes by itself while the IdP remembers the user; otherwise the
/// session needs the user ([`ProviderError::SamlSignInNeeded`]), who is notified.
pub struct SilentRotation {
    timeout: std::time::Duration,
    none: NoInteraction,
}

impl SilentRotation {
    /// Hidden sign-ins, each for at most `timeout`.
    pub fn new(timeout: std::time::Duration) -> SilentRotation {
        SilentRotation {
            timeout,
            none: NoInteraction {
                hint: "choose Renew now… in the tray menu".into(),
            },
        }
    }
}

#[async_trait::async_trait]
impl Interaction for SilentRotation {
    async fn mfa_code(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
        self.none.mfa_code(session, serial).await
    }

    async fn signing_in(&self, alias: &str, step: &SignInStep) -> ProviderError {
        self.none.signing_in(alias, step).await
    }

    async fn saml_sign_in(
        &self,
        session: &Session,
        role: &FederatedRole,
    ) -> Result<Assertion, ProviderError> {
        tracing::info!(session = %session.alias, timeout_secs = self.timeout.as_secs(), "signing in again in a hidden window");
        match window_sign_in(session, role, Some(self.timeout)).await {
            Ok(a) => {
                tracing::info!(session = %session.alias, "the hidden sign-in completed by itself");
                Ok(a)
            }
            Err(e) => {
                tracing::info!(session = %session.alias, "the hidden sign-in did not complete ({e}); the user is asked");
                Err(ProviderError::SamlSignInNeeded {
                    session: session.alias.clone(),
                })
            }
        }
    }

    fn can_ask(&self) -> bool {
        false
    }
}

/// The tray's MFA prompt: asks the UI thread to open the dialog and waits, without
/// holding a thread, for the answer.
pub struct DialogMfa(pub Ui);

#[async_trait::async_trait]
impl Interaction for DialogMfa {
    async fn mfa_code(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
        let (reply, answer) = oneshot::channel();
        let cancelled = || ProviderError::MfaCancelled {
            session: session.alias.clone(),
        };
        if !self.0.send(UserEvent::AskMfa {
            session: session.clone(),
            serial: serial.to_string(),
            reply,
        }) {
            return Err(cancelled());
        }
        match answer.await {
            Ok(Some(code)) => Ok(code),
            _ => Err(cancelled()),
        }
    }

    async fn signing_in(&self, alias: &str, step: &SignInStep) -> ProviderError {
        /// Tells the UI the sign-in is over when the wait ends, however it ends.
        struct Over(Ui, String);
        impl Drop for Over {
            fn drop(&mut self) {
                self.0.send(UserEvent::SignInOver(self.1.clone()));
            }
        }
        let (cancel, cancelled) = oneshot::channel();
        let _over = Over(self.0.clone(), alias.to_string());
        if self.0.send(UserEvent::SignInWaiting {
            alias: alias.to_string(),
            step: step.clone(),
            cancel,
        }) {
            let _ = cancelled.await;
        }
        ProviderError::Cancelled {
            integration: alias.to_string(),
        }
    }

    async fn saml_sign_in(
        &self,
        session: &Session,
        role: &FederatedRole,
    ) -> Result<Assertion, ProviderError> {
        window_sign_in(session, role, None).await
    }
}

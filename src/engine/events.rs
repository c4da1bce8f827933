//! What the engine's background work reports to whoever listens: the CLI's agent logs it,
//! the tray turns it into notifications and menu updates.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Something that happened to a session without the user's click.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// New credentials were written.
    Refreshed {
        /// The session.
        session: Uuid,
        /// Its alias.
        alias: String,
        /// When the new credentials expire.
        expiration: DateTime<Utc>,
    },
    /// The session cannot refresh by itself (an MFA code is needed); its credentials stay
    /// until they expire.
    NeedsUser {
        /// The session.
        session: Uuid,
        /// Its alias.
        alias: String,
        /// When its credentials expire.
        expiration: DateTime<Utc>,
        /// Whether what it needs is an MFA code.
        mfa: bool,
        /// Why, for the user.
        reason: String,
    },
    /// A refresh failed; it is tried again at `retry_at`.
    RefreshFailed {
        /// The session.
        session: Uuid,
        /// Its alias.
        alias: String,
        /// When its credentials expire.
        expiration: DateTime<Utc>,
        /// The next attempt.
        retry_at: DateTime<Utc>,
        /// Why, for the user.
        reason: String,
    },
    /// The session stopped by itself: its credentials ran out and were removed.
    Stopped {
        /// The session.
        session: Uuid,
        /// Its alias.
        alias: String,
        /// The expiration that was reached.
        expiration: DateTime<Utc>,
        /// Why, for the user.
        reason: String,
    },
    /// An IAM Identity Center integration can no longer renew its access token by itself:
    /// its sessions keep their credentials until they run out, and the user must sign in.
    /// Reported once per sign-in, for the whole integration (not per session).
    SignInNeeded {
        /// The integration.
        integration: Uuid,
        /// Its alias.
        alias: String,
        /// Why.
        reason: String,
    },
    /// The rotation loop failed or panicked; it starts again after `retry_in`.
    AgentFailed {
        /// What went wrong.
        reason: String,
        /// How long until it starts again.
        retry_in: std::time::Duration,
    },
    /// The agent went through the state (after a change or a deadline): listeners that
    /// show the state read it again.
    StateSeen,
}

/// Receives events; must not block.
pub type Sink = std::sync::Arc<dyn Fn(Event) + Send + Sync>;

/// A sink that logs events, for the headless agent.
pub fn log_sink() -> Sink {
    std::sync::Arc::new(|e: Event| match e {
        Event::Refreshed {
            alias, expiration, ..
        } => tracing::info!(session = %alias, expiration = %expiration.to_rfc3339(), "refreshed"),
        Event::NeedsUser {
            alias,
            expiration,
            reason,
            ..
        } => {
            tracing::warn!(session = %alias, expiration = %expiration.to_rfc3339(), "cannot refresh by itself: {reason}; the credentials will be removed when they expire")
        }
        Event::RefreshFailed {
            alias,
            retry_at,
            reason,
            ..
        } => {
            tracing::warn!(session = %alias, retry_at = %retry_at.to_rfc3339(), "refresh failed: {reason}")
        }
        Event::Stopped { alias, reason, .. } => {
            tracing::warn!(session = %alias, "stopped: {reason}")
        }
        Event::SignInNeeded { alias, reason, .. } => {
            tracing::warn!(integration = %alias, "needs a new sign-in: {reason}; run `credtray integration login {alias}`")
        }
        Event::AgentFailed { reason, retry_in } => {
            tracing::error!(
                "the rotation loop stopped: {reason}; it starts again in {} s",
                retry_in.as_secs()
            )
        }
        Event::StateSeen => {}
    })
}

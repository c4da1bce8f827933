//! Provider errors: each names the session and says what to do. Never a secret.

use crate::store::SecretError;

/// Why an STS call failed, classified from the SDK's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsFailure {
    /// AccessDenied (not an MFA failure).
    AccessDenied(String),
    /// The MFA code was refused.
    WrongMfaCode(String),
    /// ExpiredToken: the credentials used have expired.
    ExpiredToken(String),
    /// SignatureDoesNotMatch: the access key id is known, but the request was signed with
    /// another secret — the secret access key does not belong to the access key id.
    SecretMismatch(String),
    /// InvalidClientTokenId and the like: the access key id (or the session token) is
    /// unknown — mistyped, deleted or revoked.
    InvalidCredentials(String),
    /// Throttling that outlasted the retries.
    Throttled(String),
    /// The endpoint could not be reached.
    Unreachable(String),
    /// No answer in time.
    Timeout(String),
    /// Anything else the service said.
    Service {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// The response could not be understood, or the request not built.
    Other(String),
}

/// Failures of obtaining credentials.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The IAM user's keys are not in the keychain.
    #[error("session '{session}' has no access keys in the keychain: store them with `credtray session edit {session} --access-keys`")]
    MissingKeys {
        /// The session alias.
        session: String,
    },
    /// The keychain failed while reading a session's secrets.
    #[error("session '{session}': {source}")]
    Keychain {
        /// The session alias.
        session: String,
        /// What failed.
        source: SecretError,
    },
    /// An MFA code is needed and nobody can type it.
    #[error("session '{session}' needs an MFA code for {serial}: {hint}")]
    MfaNeeded {
        /// The session alias.
        session: String,
        /// The MFA device.
        serial: String,
        /// How to give one.
        hint: String,
    },
    /// The user cancelled the MFA prompt.
    #[error("session '{session}': MFA code entry cancelled")]
    MfaCancelled {
        /// The session alias.
        session: String,
    },
    /// A typed MFA code is malformed.
    #[error("session '{session}': an MFA code is six digits")]
    BadMfaCode {
        /// The session alias.
        session: String,
    },
    /// STS refused or could not be reached.
    #[error("session '{session}': {operation} failed: {}", describe(.failure, .session, .operation))]
    Sts {
        /// The session alias.
        session: String,
        /// The STS operation.
        operation: &'static str,
        /// What went wrong.
        failure: StsFailure,
    },
    /// The session's configuration is unusable.
    #[error("{0}")]
    Config(String),
    /// An IAM Identity Center integration needs its user to sign in, and nobody can here.
    #[error("integration '{integration}' needs you to sign in: run `credtray integration login {integration}` (or Sign in… in the tray)")]
    SignInNeeded {
        /// The integration's alias.
        integration: String,
    },
    /// The user cancelled a sign-in.
    #[error("sign-in to '{integration}' cancelled; nothing was stored")]
    Cancelled {
        /// The integration's alias.
        integration: String,
    },
    /// A federated session's sign-in window needs a display, and there is none.
    #[error("session '{session}' signs in through its identity provider's page, which needs a display ({why}): start it from a desktop session; nothing was written")]
    SamlNeedsDisplay {
        /// The session's alias.
        session: String,
        /// Why there is none: unset, or which one cannot be opened.
        why: String,
    },
    /// A federated session needs its user to sign in, and nobody can be asked here.
    #[error("session '{session}' needs you to sign in to its identity provider: run `credtray session start {session}` (or start it in the tray)")]
    SamlSignInNeeded {
        /// The session's alias.
        session: String,
    },
    /// The user closed the sign-in window.
    #[error("sign-in to '{session}' cancelled: the window was closed; nothing was written")]
    SamlCancelled {
        /// The session's alias.
        session: String,
    },
    /// The sign-in window could not be shown or failed.
    #[error("session '{session}': the sign-in window failed: {message}")]
    SamlWindow {
        /// The session's alias.
        session: String,
        /// What went wrong.
        message: String,
    },
    /// The identity provider's assertion does not offer the session's role.
    #[error("session '{session}': the identity provider's assertion does not offer role {role} with provider {idp}; it offers: {}", if .offered.is_empty() { "no roles".to_string() } else { .offered.join("; ") })]
    SamlRoleMissing {
        /// The session's alias.
        session: String,
        /// The session's role ARN.
        role: String,
        /// The session's IdP ARN.
        idp: String,
        /// The "role (provider)" pairs the assertion offers.
        offered: Vec<String>,
    },
    /// The captured SAMLResponse could not be read (never quoted: it is a credential).
    #[error("session '{session}': the identity provider's SAML response could not be read: {why}")]
    SamlBadAssertion {
        /// The session's alias.
        session: String,
        /// What is wrong with it.
        why: String,
    },
    /// IAM Identity Center (its portal or SSO-OIDC) refused or could not be reached.
    #[error("{subject}: {operation} failed: {message}")]
    Sso {
        /// `integration 'x'` or `session 'y'`.
        subject: String,
        /// The operation (`CreateToken`, `ListAccounts`, `GetRoleCredentials`…).
        operation: &'static str,
        /// What went wrong and what to do.
        message: String,
    },
}

impl ProviderError {
    /// Whether the failure needs the user (an MFA code, a sign-in), as opposed to a real
    /// error.
    pub fn needs_user(&self) -> bool {
        matches!(
            self,
            ProviderError::MfaNeeded { .. } | ProviderError::SignInNeeded { .. }
        )
    }
}

/// The alias as one shell word, for a command to copy.
fn shell_word(alias: &str) -> String {
    if !alias.is_empty()
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@+:/".contains(c))
    {
        alias.to_string()
    } else {
        format!("'{}'", alias.replace('\'', "'\\''"))
    }
}

fn describe(f: &StsFailure, session: &str, operation: &str) -> String {
    // Only GetSessionToken signs with the IAM user's long-term keys; every other call signs
    // with temporary credentials obtained from a parent session.
    let long_term = operation == "GetSessionToken";
    let edit = format!(
        "`credtray session edit {} --access-keys`",
        shell_word(session)
    );
    match f {
        StsFailure::SecretMismatch(m) if long_term => format!(
            "AWS says the secret access key does not match the access key id ({m}); the keys are wrong: replace them with {edit}"
        ),
        StsFailure::InvalidCredentials(m) if long_term => format!(
            "AWS does not know the access key id ({m}): it is mistyped, deleted or deactivated: replace the keys with {edit}"
        ),
        StsFailure::SecretMismatch(m) | StsFailure::InvalidCredentials(m) => format!(
            "the temporary credentials used were not accepted ({m}); a cached session token may have been revoked: entering the IAM user's keys again (`credtray session edit USER --access-keys`) drops it"
        ),
        StsFailure::AccessDenied(m) => format!("access denied ({m}); check the IAM policies of the user or role"),
        StsFailure::WrongMfaCode(m) => format!("the MFA code was not accepted ({m}); wait for the next code and try again"),
        StsFailure::ExpiredToken(m) => format!("the credentials used have expired ({m}); start the parent session again"),
        StsFailure::Throttled(m) => format!("AWS is throttling requests and retries did not get through ({m}); try again in a minute"),
        StsFailure::Unreachable(m) => format!("cannot reach the STS endpoint ({m}); check the network, a proxy, or AWS_ENDPOINT_URL_STS"),
        StsFailure::Timeout(m) => format!("STS did not answer in time ({m}); check the network and try again"),
        StsFailure::Service { code, message } => format!("{code}: {message}"),
        StsFailure::Other(m) => m.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts(session: &str, operation: &'static str, failure: StsFailure) -> String {
        ProviderError::Sts {
            session: session.into(),
            operation,
            failure,
        }
        .to_string()
    }

    #[test]
    fn a_secret_mismatch_on_long_term_keys_names_the_command_that_replaces_them() {
        let m = sts(
            "dev",
            "GetSessionToken",
            StsFailure::SecretMismatch("SignatureDoesNotMatch: x".into()),
        );
        assert!(
            m.starts_with("session 'dev': GetSessionToken failed: AWS says the secret access key does not match the access key id (SignatureDoesNotMatch: x)"),
            "{m}"
        );
        assert!(
            m.ends_with("replace them with `credtray session edit dev --access-keys`"),
            "{m}"
        );
        let m = sts(
            "my dev's",
            "GetSessionToken",
            StsFailure::InvalidCredentials("InvalidClientTokenId: y".into()),
        );
        assert!(m.contains("AWS does not know the access key id"), "{m}");
        assert!(
            m.ends_with(r"`credtray session edit 'my dev'\''s' --access-keys`"),
            "{m}"
        );
    }

    #[test]
    fn refused_temporary_credentials_do_not_send_a_chained_session_to_edit_its_keys() {
        for failure in [
            StsFailure::SecretMismatch("SignatureDoesNotMatch: x".into()),
            StsFailure::InvalidCredentials("InvalidClientTokenId: y".into()),
        ] {
            let m = sts("child", "AssumeRole", failure);
            assert!(
                m.contains("temporary credentials used were not accepted"),
                "{m}"
            );
            assert!(!m.contains("edit child"), "{m}");
            assert!(!m.contains("secret access key does not match"), "{m}");
        }
    }
}

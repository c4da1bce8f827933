//! Credentials as providers hand them over. `Debug` never shows a secret.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A set of AWS credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token for temporary credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// When temporary credentials expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<DateTime<Utc>>,
}

impl Credentials {
    /// Long-term keys, with no token and no expiration.
    pub fn long_term(access_key_id: String, secret_access_key: String) -> Credentials {
        Credentials {
            access_key_id,
            secret_access_key,
            session_token: None,
            expiration: None,
        }
    }

    /// The SDK's form, for signing requests.
    pub fn to_sdk(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
            self.expiration.map(std::time::SystemTime::from),
            "credtray",
        )
    }

    /// The key/value pairs written under the profile in the credentials file.
    pub fn file_pairs(&self) -> Vec<(&'static str, &str)> {
        let mut v = vec![
            ("aws_access_key_id", self.access_key_id.as_str()),
            ("aws_secret_access_key", self.secret_access_key.as_str()),
        ];
        if let Some(t) = &self.session_token {
            v.push(("aws_session_token", t.as_str()));
        }
        v
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &"** redacted **")
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_every_secret() {
        let c = Credentials {
            access_key_id: "AKIAEXAMPLEKEY".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("token-value".into()),
            expiration: None,
        };
        let d = format!("{c:?}");
        assert!(
            !d.contains("AKIAEXAMPLEKEY")
                && !d.contains("very-secret")
                && !d.contains("token-value")
        );
    }
}

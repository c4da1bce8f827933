//! IAM Identity Center integrations: a portal (start URL + region) whose accounts × roles
//! become `aws-sso` sessions. The model keeps what is not secret: the portal, whether the
//! user is signed in and until when; the tokens themselves live in the keychain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::region::validate_region;
use super::state::ModelError;
use super::text::check_plain;

/// One IAM Identity Center portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    /// Hidden, stable identity.
    pub id: Uuid,
    /// A label; unique among integrations.
    pub alias: String,
    /// The portal's start URL (`https://…awsapps.com/start`).
    pub start_url: String,
    /// The region of IAM Identity Center (of its OIDC and portal endpoints).
    pub region: String,
    /// The sign-in, when signed in (or expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignIn>,
    /// When its accounts were last synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<DateTime<Utc>>,
}

/// What the state knows of a sign-in (the tokens are in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// Whether a refresh token was issued (the access token can be renewed silently).
    pub refreshable: bool,
    /// A refresh failed for good: the user must sign in again.
    #[serde(default)]
    pub expired: bool,
}

/// An integration's status, as `integration list` and the tray show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Signed in with a valid (or renewable) token.
    LoggedIn,
    /// Never signed in, or signed out.
    LoggedOut,
    /// The token ran out and cannot be renewed: sign in again.
    Expired,
}

impl Status {
    /// `logged-in`, `logged-out`, `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::LoggedIn => "logged-in",
            Status::LoggedOut => "logged-out",
            Status::Expired => "expired",
        }
    }
}

impl Integration {
    /// The status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        match &self.sign_in {
            None => Status::LoggedOut,
            Some(s) if s.expired || (s.expires_at <= now && !s.refreshable) => Status::Expired,
            Some(_) => Status::LoggedIn,
        }
    }
}

/// Checks a start URL: `https://` with a host (plain `http://` only for a loopback host,
/// for tests and local portals). Returns a sentence saying what is wrong otherwise.
pub fn validate_start_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("'{url}' is not a URL; give the portal's https:// start URL"))?;
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit_once('@')
        .map_or_else(
            || rest.split(['/', '?', '#']).next().unwrap_or(""),
            |(_, h)| h,
        );
    let hostname = host.split(':').next().unwrap_or("");
    if hostname.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "'{url}' has no host; give the portal's https:// start URL"
        ));
    }
    let loopback = matches!(hostname, "127.0.0.1" | "localhost" | "[::1]");
    match scheme {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "'{url}' is not an https:// URL; IAM Identity Center start URLs are https://…/start"
        )),
    }
}

/// Checks an integration's fields (alias plain and non-empty, start URL, region).
pub fn validate_integration(i: &Integration) -> Result<(), String> {
    if i.alias.trim().is_empty() || i.alias.trim() != i.alias {
        return Err(format!(
            "invalid alias '{}': an alias cannot be empty or start or end with spaces",
            i.alias
        ));
    }
    check_plain(&i.alias).map_err(|why| format!("invalid alias '{}': {why}", i.alias))?;
    if Uuid::parse_str(&i.alias).is_ok() {
        return Err(format!(
            "invalid alias '{}': an alias cannot look like an id",
            i.alias
        ));
    }
    validate_start_url(&i.start_url).map_err(|why| format!("invalid start URL: {why}"))?;
    validate_region(&i.region).map_err(|why| format!("invalid region: {why}"))?;
    Ok(())
}

impl super::State {
    /// The integration with this id.
    pub fn integration(&self, id: Uuid) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.id == id)
    }

    /// The integration with this id, mutable.
    pub fn integration_mut(&mut self, id: Uuid) -> Option<&mut Integration> {
        self.integrations.iter_mut().find(|i| i.id == id)
    }

    /// Finds an integration by id, alias or unique id prefix.
    pub fn resolve_integration(&self, query: &str) -> Result<&Integration, ModelError> {
        let q = query.trim();
        if let Some(i) = self
            .integrations
            .iter()
            .find(|i| i.alias == q || i.id.to_string() == q)
        {
            return Ok(i);
        }
        let lower = q.to_ascii_lowercase();
        let mut found = self
            .integrations
            .iter()
            .filter(|i| !lower.is_empty() && i.id.to_string().starts_with(&lower));
        match (found.next(), found.next()) {
            (Some(i), None) => Ok(i),
            _ => Err(ModelError::NoSuchIntegration(q.to_string())),
        }
    }

    /// Adds an integration, checking its fields and that its alias is free.
    pub fn add_integration(&mut self, i: Integration) -> Result<(), ModelError> {
        validate_integration(&i).map_err(ModelError::InvalidIntegration)?;
        if self.integrations.iter().any(|o| o.alias == i.alias) {
            return Err(ModelError::InvalidIntegration(format!(
                "invalid alias '{}': another integration already has this alias",
                i.alias
            )));
        }
        self.integrations.push(i);
        Ok(())
    }

    /// The ids of the sessions of integration `id` and of the chained sessions below them,
    /// sorted.
    pub fn sessions_of_with_children(&self, id: Uuid) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = Vec::new();
        for s in self.sessions_of(id) {
            ids.push(s.id);
            ids.extend(self.descendants(s.id));
        }
        ids.sort();
        ids.dedup();
        ids
    }

    /// The sessions that come from integration `id`.
    pub fn sessions_of(&self, id: Uuid) -> impl Iterator<Item = &super::Session> {
        self.sessions
            .iter()
            .filter(move |s| s.kind.integration() == Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_urls_must_be_https_with_a_host() {
        assert!(validate_start_url("https://d-123.awsapps.com/start").is_ok());
        assert!(validate_start_url("http://127.0.0.1:8080/start").is_ok());
        for bad in [
            "http://d-123.awsapps.com/start",
            "d-123.awsapps.com/start",
            "https:///start",
            "ftp://x/start",
            "https://a b/start",
        ] {
            assert!(validate_start_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_follows_the_sign_in() {
        let now = Utc::now();
        let mut i = Integration {
            id: Uuid::new_v4(),
            alias: "corp".into(),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        };
        assert_eq!(i.status(now), Status::LoggedOut);
        i.sign_in = Some(SignIn {
            expires_at: now - chrono::Duration::minutes(1),
            refreshable: true,
            expired: false,
        });
        assert_eq!(i.status(now), Status::LoggedIn);
        i.sign_in.as_mut().unwrap().refreshable = false;
        assert_eq!(i.status(now), Status::Expired);
        i.sign_in = Some(SignIn {
            expires_at: now + chrono::Duration::hours(1),
            refreshable: true,
            expired: true,
        });
        assert_eq!(i.status(now), Status::Expired);
    }
}

//! IAM Identity Center, as the AWS CLI v2 speaks to it: SSO-OIDC for signing in ([`oidc`]:
//! client registration, authorization code with PKCE through a loopback redirect
//! ([`callback`], [`pkce`]), device authorization, token refresh) and the portal for the
//! accounts, roles and role credentials ([`portal`], under one rate limiter per sync).
//!
//! Clients come from the SDK configuration that STS uses ([`crate::providers::Sts`]), so
//! endpoints follow `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL_SSO_OIDC`; none signs
//! requests (these APIs take the bearer token or the client secret in the body).

pub mod browser;
pub mod callback;
pub mod oidc;
pub mod pkce;
pub mod portal;

use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The scope every sign-in asks for.
pub const SCOPE: &str = "sso:account:access";

/// Clients for IAM Identity Center, sharing one loaded SDK configuration.
#[derive(Clone, Debug)]
pub struct SsoClients {
    base: SdkConfig,
}

impl SsoClients {
    /// Clients over the SDK configuration `base` (STS's).
    pub fn new(base: &SdkConfig) -> SsoClients {
        SsoClients { base: base.clone() }
    }

    /// An SSO-OIDC client for `region`.
    pub fn oidc(&self, region: &str) -> aws_sdk_ssooidc::Client {
        let conf = aws_sdk_ssooidc::config::Builder::from(&self.base)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_ssooidc::Client::from_conf(conf)
    }

    /// A portal client for `region`. Its own retries are off: [`portal`] paces requests
    /// under a rate limiter and backs off on throttling itself (the SDK's retry quota
    /// would run dry with a thousand throttled calls).
    pub fn portal(&self, region: &str) -> aws_sdk_sso::Client {
        let conf = aws_sdk_sso::config::Builder::from(&self.base)
            .region(Region::new(region.to_string()))
            .retry_config(RetryConfig::disabled())
            .build();
        aws_sdk_sso::Client::from_conf(conf)
    }

    /// The SSO-OIDC endpoint in use for `region`, as the SDK picks it from the
    /// environment: `AWS_ENDPOINT_URL_SSO_OIDC`, else `AWS_ENDPOINT_URL`, else the public
    /// one (`oidc.REGION.amazonaws.com`, `.com.cn` in China). The authorize page is there.
    pub fn oidc_endpoint(&self, region: &str) -> String {
        let set = |v: &str| std::env::var(v).ok().filter(|u| !u.trim().is_empty());
        let ignore = set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v == "true");
        if !ignore {
            if let Some(url) = set("AWS_ENDPOINT_URL_SSO_OIDC").or_else(|| set("AWS_ENDPOINT_URL"))
            {
                return url.trim_end_matches('/').to_string();
            }
        }
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://oidc.{region}.{suffix}")
    }
}

/// An access token and when it expires (kept in the keychain as JSON).
#[derive(Clone, Serialize, Deserialize)]
pub struct AccessToken {
    /// The bearer token.
    pub token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Which sign-in a client registration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// Authorization code with PKCE through the loopback redirect.
    Pkce,
    /// Device authorization.
    DeviceCode,
}

/// A client registration with SSO-OIDC (kept in the keychain as JSON: the secret is one).
#[derive(Clone, Serialize, Deserialize)]
pub struct Registration {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// When the registration expires.
    pub expires_at: DateTime<Utc>,
    /// The flow it was registered for.
    pub flow: Flow,
    /// The start URL it was registered for (the issuer).
    pub issuer: String,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("expires_at", &self.expires_at)
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// Whether it can be used for `flow` with `issuer` for a while longer.
    pub fn usable(&self, flow: Flow, issuer: &str, now: DateTime<Utc>) -> bool {
        self.flow == flow
            && self.issuer == issuer
            && self.expires_at > now + chrono::Duration::hours(1)
    }
}

/// What a sign-in obtained.
#[derive(Clone)]
pub struct Tokens {
    /// The access token.
    pub access: AccessToken,
    /// The refresh token, when one was issued.
    pub refresh: Option<String>,
}

//! Signing in with SSO-OIDC: client registration, authorization code with PKCE through a
//! loopback redirect, device authorization, and the refresh-token grant. Every wait on the
//! user runs beside [`Interaction::signing_in`], so the user sees what to do and can cancel.

use std::time::Duration;

use aws_sdk_ssooidc::error::{ProvideErrorMetadata, SdkError};
use chrono::Utc;

use super::callback::{encode, Callback, Redirect};
use super::pkce::Pkce;
use super::{AccessToken, Flow, Registration, Tokens, SCOPE};
use crate::providers::{Interaction, ProviderError, SignInStep};

/// The grant types, as OAuth names them.
pub const GRANT_CODE: &str = "authorization_code";
/// The refresh-token grant.
pub const GRANT_REFRESH: &str = "refresh_token";
/// The device-code grant.
pub const GRANT_DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The redirect URI registered with the client (the port is chosen at each sign-in, as
/// loopback redirects allow).
pub const REGISTERED_REDIRECT: &str = "http://127.0.0.1/oauth/callback";

/// How long a sign-in waits for the browser's redirect before giving up.
pub const BROWSER_WAIT: Duration = Duration::from_secs(600);

/// What an SSO call failure means for the caller.
#[derive(Debug)]
pub enum OidcFailure {
    /// The token or grant is refused for good (expired, revoked): sign in again.
    Refused(String),
    /// Anything else (network, throttling, a bug): try again later.
    Failed(String),
}

/// Classifies an SDK error: its code and message, or what kept the call from the service.
pub fn describe<E, R>(e: &SdkError<E, R>) -> (Option<String>, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            let code = err.code().map(str::to_string);
            let msg = err.message().unwrap_or("").to_string();
            let text = match &code {
                Some(c) if msg.is_empty() => c.clone(),
                Some(c) => format!("{c}: {msg}"),
                None => "an unrecognised error".into(),
            };
            (code, text)
        }
        SdkError::TimeoutError(_) => (None, "no answer in time; check the network".into()),
        SdkError::DispatchFailure(d) => (
            None,
            format!(
                "cannot reach the endpoint ({}); check the network, a proxy, or AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC",
                d.as_connector_error()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "connection failed".into())
            ),
        ),
        other => (None, format!("{}", aws_smithy_types::error::display::DisplayErrorContext(other))),
    }
}

fn failed(alias: &str, operation: &'static str, message: String) -> ProviderError {
    ProviderError::Sso {
        subject: format!("integration '{alias}'"),
        operation,
        message,
    }
}

/// Registers a public client for `flow` with `issuer` (the start URL) as its issuer.
pub async fn register(
    client: &aws_sdk_ssooidc::Client,
    alias: &str,
    issuer: &str,
    flow: Flow,
) -> Result<Registration, ProviderError> {
    let mut req = client
        .register_client()
        .client_name("credtray")
        .client_type("public")
        .scopes(SCOPE)
        .issuer_url(issuer);
    req = match flow {
        Flow::Pkce => req
            .grant_types(GRANT_CODE)
            .grant_types(GRANT_REFRESH)
            .redirect_uris(REGISTERED_REDIRECT),
        Flow::DeviceCode => req.grant_types(GRANT_DEVICE).grant_types(GRANT_REFRESH),
    };
    let out = req
        .send()
        .await
        .map_err(|e| failed(alias, "RegisterClient", describe(&e).1))?;
    let (Some(id), Some(secret)) = (out.client_id(), out.client_secret()) else {
        return Err(failed(
            alias,
            "RegisterClient",
            "the answer has no client id or secret".into(),
        ));
    };
    let expires_at = chrono::DateTime::from_timestamp(out.client_secret_expires_at(), 0)
        .unwrap_or_else(|| Utc::now() + chrono::Duration::days(1));
    Ok(Registration {
        client_id: id.to_string(),
        client_secret: secret.to_string(),
        expires_at,
        flow,
        issuer: issuer.to_string(),
    })
}

/// The authorize URL on the SSO-OIDC endpoint `endpoint`.
pub fn authorize_url(
    endpoint: &str,
    reg: &Registration,
    redirect_uri: &str,
    pkce: &Pkce,
) -> String {
    format!(
        "{endpoint}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&scopes={}&code_challenge={}",
        encode(&reg.client_id),
        encode(redirect_uri),
        encode(&pkce.state),
        encode(SCOPE),
        encode(&pkce.challenge),
    )
}

fn tokens_from(
    out: &aws_sdk_ssooidc::operation::create_token::CreateTokenOutput,
) -> Option<Tokens> {
    let token = out.access_token()?.to_string();
    // As the service says (a missing or zero lifetime counts as a minute): a longer one
    // would have the portal refuse a token credtray still thinks good.
    let secs = match out.expires_in() {
        n if n > 0 => i64::from(n),
        _ => 60,
    };
    Some(Tokens {
        access: AccessToken {
            token,
            expires_at: Utc::now() + chrono::Duration::seconds(secs),
        },
        refresh: out
            .refresh_token()
            .map(str::to_string)
            .filter(|r| !r.is_empty()),
    })
}

/// Runs `work` while `interaction` shows `step`; the user's cancel wins.
async fn beside<T>(
    interaction: &dyn Interaction,
    alias: &str,
    step: &SignInStep,
    work: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    tokio::select! {
        r = work => r,
        e = interaction.signing_in(alias, step) => Err(e),
    }
}

/// Signs in with the authorization code and PKCE: opens the authorize URL with
/// `open_browser`, waits for the redirect on a loopback port, checks its state, and
/// exchanges the code (with the verifier) for tokens.
pub async fn sign_in_with_browser(
    client: &aws_sdk_ssooidc::Client,
    endpoint: &str,
    reg: &Registration,
    alias: &str,
    interaction: &dyn Interaction,
    open_browser: &(dyn Fn(&str) + Send + Sync),
) -> Result<Tokens, ProviderError> {
    let pkce = Pkce::new().map_err(|e| failed(alias, "sign-in", e))?;
    let callback = Callback::bind().await.map_err(|e| {
        failed(
            alias,
            "sign-in",
            format!("cannot listen on 127.0.0.1 for the browser's redirect ({e})"),
        )
    })?;
    let redirect_uri = callback.redirect_uri();
    let url = authorize_url(endpoint, reg, &redirect_uri, &pkce);
    open_browser(&url);
    let step = SignInStep::Browser { url };
    let code = beside(interaction, alias, &step, async {
        match callback.wait(&pkce.state).await {
            Ok(Redirect::Code(code)) => Ok(code),
            Ok(Redirect::Refused(why)) => Err(failed(
                alias,
                "sign-in",
                format!("the sign-in was refused ({why})"),
            )),
            Err(e) => Err(failed(
                alias,
                "sign-in",
                format!("the loopback listener failed ({e})"),
            )),
        }
    })
    .await?;
    let out = client
        .create_token()
        .client_id(&reg.client_id)
        .client_secret(&reg.client_secret)
        .grant_type(GRANT_CODE)
        .code(code)
        .redirect_uri(&redirect_uri)
        .code_verifier(&pkce.verifier)
        .scope(SCOPE)
        .send()
        .await
        .map_err(|e| failed(alias, "CreateToken", describe(&e).1))?;
    tokens_from(&out).ok_or_else(|| {
        failed(
            alias,
            "CreateToken",
            "the answer has no access token".into(),
        )
    })
}

/// Signs in with device authorization: shows the verification URL and code, opens the
/// URL, and polls CreateToken at the interval given (slower on `slow_down`), until the
/// user confirms, refuses, or the code expires.
pub async fn sign_in_with_device_code(
    client: &aws_sdk_ssooidc::Client,
    reg: &Registration,
    start_url: &str,
    alias: &str,
    interaction: &dyn Interaction,
    open_browser: &(dyn Fn(&str) + Send + Sync),
) -> Result<Tokens, ProviderError> {
    let auth = client
        .start_device_authorization()
        .client_id(&reg.client_id)
        .client_secret(&reg.client_secret)
        .start_url(start_url)
        .send()
        .await
        .map_err(|e| failed(alias, "StartDeviceAuthorization", describe(&e).1))?;
    let device_code = auth
        .device_code()
        .ok_or_else(|| {
            failed(
                alias,
                "StartDeviceAuthorization",
                "the answer has no device code".into(),
            )
        })?
        .to_string();
    let code = auth.user_code().unwrap_or("").to_string();
    let url = auth
        .verification_uri_complete()
        .or(auth.verification_uri())
        .unwrap_or("")
        .to_string();
    open_browser(&url);
    let step = SignInStep::DeviceCode { url, code };
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(auth.expires_in().max(60) as u64);
    let mut interval = Duration::from_secs(auth.interval().max(1) as u64);
    beside(interaction, alias, &step, async {
        loop {
            tokio::time::sleep(interval).await;
            if tokio::time::Instant::now() > deadline {
                return Err(failed(
                    alias,
                    "sign-in",
                    "the code expired before it was confirmed; sign in again".into(),
                ));
            }
            let r = client
                .create_token()
                .client_id(&reg.client_id)
                .client_secret(&reg.client_secret)
                .grant_type(GRANT_DEVICE)
                .device_code(&device_code)
                .send()
                .await;
            match r {
                Ok(out) => {
                    return tokens_from(&out).ok_or_else(|| {
                        failed(
                            alias,
                            "CreateToken",
                            "the answer has no access token".into(),
                        )
                    })
                }
                Err(e) => {
                    let (code, text) = describe(&e);
                    match code.as_deref() {
                        Some("AuthorizationPendingException") => {}
                        Some("SlowDownException") => interval += Duration::from_secs(5),
                        Some("ExpiredTokenException") => {
                            return Err(failed(
                                alias,
                                "sign-in",
                                "the code expired before it was confirmed; sign in again".into(),
                            ))
                        }
                        Some("AccessDeniedException") => {
                            return Err(failed(
                                alias,
                                "sign-in",
                                "the sign-in was refused in the browser".into(),
                            ))
                        }
                        _ => return Err(failed(alias, "CreateToken", text)),
                    }
                }
            }
        }
    })
    .await
}

/// Renews the access token with the refresh token.
pub async fn refresh(
    client: &aws_sdk_ssooidc::Client,
    reg: &Registration,
    refresh_token: &str,
) -> Result<Tokens, OidcFailure> {
    let r = client
        .create_token()
        .client_id(&reg.client_id)
        .client_secret(&reg.client_secret)
        .grant_type(GRANT_REFRESH)
        .refresh_token(refresh_token)
        .send()
        .await;
    match r {
        Ok(out) => tokens_from(&out)
            .ok_or_else(|| OidcFailure::Failed("the answer has no access token".into())),
        Err(e) => {
            let (code, text) = describe(&e);
            match code.as_deref() {
                Some(
                    "InvalidGrantException"
                    | "ExpiredTokenException"
                    | "AccessDeniedException"
                    | "InvalidClientException"
                    | "UnauthorizedClientException",
                ) => Err(OidcFailure::Refused(text)),
                _ => Err(OidcFailure::Failed(text)),
            }
        }
    }
}

//! STS clients built from `aws-config`, so endpoints (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_STS`), retries and timeouts follow the SDK's own settings — but never
//! its default credential chain: every client signs with exactly the credentials given.

use std::any::Any;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::{Credentials, ProviderError, StsFailure};
use crate::model::Session;

/// How long one STS request may take before it is retried.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an STS call may take with its retries; STS answers in well under a second.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// A factory of STS clients sharing one loaded SDK configuration.
#[derive(Clone, Debug)]
pub struct Sts {
    base: SdkConfig,
}

impl Sts {
    /// Loads the SDK configuration (endpoint, retry and timeout settings), with no credentials.
    pub async fn load() -> Sts {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        // Every client sets its session's region; a placeholder here keeps the SDK from
        // looking one up (which would ask IMDS, and wait on it, off EC2).
        let base = aws_config::defaults(BehaviorVersion::latest())
            .profile_files(safe_profile_files())
            .no_credentials()
            .region(Region::new(crate::model::session::DEFAULT_REGION))
            .http_client(http)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(4)
                    .with_initial_backoff(Duration::from_millis(500)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            )
            .load()
            .await;
        Sts { base }
    }

    /// The loaded SDK configuration (endpoints, timeouts, no credentials), which the IAM
    /// Identity Center clients share.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.base
    }

    /// A client for `region` that signs nothing, for the calls that take no credentials
    /// (AssumeRoleWithSAML).
    pub fn unsigned_client(&self, region: &str) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::config::Builder::from(&self.base)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// A client for `region` signing with `credentials`.
    pub fn client(&self, region: &str, credentials: &Credentials) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::config::Builder::from(&self.base)
            .region(Region::new(region.to_string()))
            .credentials_provider(credentials.to_sdk())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }
}

/// The AWS files the SDK may read for its settings: the usual ones, except a file that
/// is not a regular file of sane size (a FIFO, a device, a huge file), which the SDK would
/// block on or read without bound; it is replaced by nothing, and the engine reports it
/// by name when it edits the files.
fn safe_profile_files() -> ProfileFiles {
    let unsafe_file = |path: Option<std::path::PathBuf>| {
        path.is_some_and(|p| {
            matches!(
                crate::fsutil::open_regular(&crate::fsutil::resolve_link(&p)),
                Err(crate::fsutil::OpenError::NotRegular(_) | crate::fsutil::OpenError::TooLarge(_))
            )
        })
    };
    let paths = crate::awsfiles::AwsPaths::from_env().ok();
    let bad_credentials = unsafe_file(paths.as_ref().map(|p| p.credentials.clone()));
    let bad_config = unsafe_file(paths.as_ref().map(|p| p.config.clone()));
    let mut files = ProfileFiles::builder()
        .include_default_config_file(!bad_config)
        .include_default_credentials_file(!bad_credentials);
    if bad_config {
        files = files.with_contents(ProfileFileKind::Config, "");
    }
    if bad_credentials {
        files = files.with_contents(ProfileFileKind::Credentials, "");
    }
    files.build()
}

/// Asks STS who `credentials` are (GetCallerIdentity) and returns the ARN.
pub async fn caller_arn(
    sts: &Sts,
    session: &Session,
    credentials: &Credentials,
) -> Result<String, ProviderError> {
    let out = sts
        .client(&session.region, credentials)
        .get_caller_identity()
        .send()
        .await
        .map_err(call_failed(&session.alias, "GetCallerIdentity"))?;
    Ok(out.arn().unwrap_or("").to_string())
}

/// Maps a failed STS call of `operation` for session `alias` to a provider error.
pub fn call_failed<'a, E, R>(
    alias: &'a str,
    operation: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> ProviderError + 'a
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    move |e| ProviderError::Sts {
        session: alias.to_string(),
        operation,
        failure: classify(&e),
    }
}

/// The credentials of an STS answer, or an error when it held none.
pub fn answer_credentials(
    alias: &str,
    operation: &'static str,
    credentials: Option<&aws_sdk_sts::types::Credentials>,
) -> Result<Credentials, ProviderError> {
    credentials.map(from_sts).ok_or_else(|| ProviderError::Sts {
        session: alias.to_string(),
        operation,
        failure: StsFailure::Other("the answer held no credentials".into()),
    })
}

/// Converts an STS response's credentials.
pub fn from_sts(c: &aws_sdk_sts::types::Credentials) -> Credentials {
    let exp = c.expiration();
    Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: Some(c.session_token().to_string()),
        expiration: chrono::DateTime::from_timestamp(exp.secs(), exp.subsec_nanos()),
    }
}

/// Classifies an SDK error into what the user needs to know.
pub fn classify<E, R>(err: &SdkError<E, R>) -> StsFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            // An answer the SDK found no error code in — moto, for one, wraps its signature
            // errors in `<ErrorResponse><Errors><Error>` — is read again from its raw text.
            let raw = match e.code() {
                Some(_) => None,
                None => raw_error(se.raw()),
            };
            let (code, message) = match (e.code(), raw) {
                (Some(code), _) => (code.to_string(), e.message().unwrap_or("").to_string()),
                (None, Some((code, message))) => (code, message),
                (None, None) => ("Unknown".to_string(), e.message().unwrap_or("").to_string()),
            };
            let m = if message.is_empty() {
                code.clone()
            } else {
                format!("{code}: {message}")
            };
            match code.as_str() {
                "AccessDenied" | "AccessDeniedException"
                    if message.contains("MultiFactorAuthentication") || message.contains("MFA") =>
                {
                    StsFailure::WrongMfaCode(m)
                }
                "AccessDenied" | "AccessDeniedException" => StsFailure::AccessDenied(m),
                "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
                    StsFailure::ExpiredToken(m)
                }
                "SignatureDoesNotMatch" => StsFailure::SecretMismatch(m),
                "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "InvalidAccessKeyId"
                | "IncompleteSignature" => StsFailure::InvalidCredentials(m),
                "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "SlowDown" => StsFailure::Throttled(m),
                _ => StsFailure::Service { code, message },
            }
        }
        SdkError::TimeoutError(_) => StsFailure::Timeout(format!(
            "no answer within {} s per attempt, {} s in all",
            ATTEMPT_TIMEOUT.as_secs(),
            OPERATION_TIMEOUT.as_secs()
        )),
        SdkError::DispatchFailure(d) => {
            let detail = chain_text(err);
            if d.is_timeout() {
                StsFailure::Timeout(detail)
            } else {
                StsFailure::Unreachable(detail)
            }
        }
        SdkError::ResponseError(_) => {
            StsFailure::Other(format!("unexpected response from STS: {}", chain_text(err)))
        }
        SdkError::ConstructionFailure(_) => StsFailure::Other(format!(
            "the request could not be built: {}",
            chain_text(err)
        )),
        _ => StsFailure::Other(chain_text(err)),
    }
}

/// The error code and message of a raw STS answer the SDK could not read them from: the
/// first `<Code>` and `<Message>` elements of its body wherever they are nested, else the
/// `X-Amzn-ErrorType` header. None when it is not an HTTP response or holds neither.
fn raw_error(raw: &dyn Any) -> Option<(String, String)> {
    let response = raw.downcast_ref::<HttpResponse>()?;
    let body = response
        .body()
        .bytes()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let code = xml_text(&body, "Code").or_else(|| {
        response
            .headers()
            .get("x-amzn-errortype")
            .map(|h| h.split(':').next().unwrap_or(h).trim().to_string())
            .filter(|h| !h.is_empty())
    })?;
    Some((code, xml_text(&body, "Message").unwrap_or_default()))
}

/// The text of the first `<TAG>…</TAG>` in XML, entities decoded.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{tag}>"))?;
    let text = xml[start..start + len]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The error's source chain, joined; SDK errors carry no credentials in their text.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        cur = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let mut r = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body.to_string()));
        for (k, v) in headers {
            r.headers_mut().insert(k.to_string(), v.to_string());
        }
        r
    }

    #[test]
    fn a_wrapped_error_is_read_from_the_raw_answer() {
        // moto's answer to a wrong secret.
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key &amp; signing method.</Message><Type>Sender</Type></Error></Errors></ErrorResponse>";
        let r = response(403, &[("X-Amzn-ErrorType", "SignatureDoesNotMatch")], body);
        let (code, message) = raw_error(&r).expect("found");
        assert_eq!(code, "SignatureDoesNotMatch");
        assert!(
            message.ends_with("Secret Access Key & signing method."),
            "{message}"
        );
    }

    #[test]
    fn the_error_type_header_gives_the_code_when_the_body_has_none() {
        let r = response(
            403,
            &[("x-amzn-errortype", "InvalidClientTokenId:http://internal")],
            "",
        );
        assert_eq!(
            raw_error(&r),
            Some(("InvalidClientTokenId".to_string(), String::new()))
        );
        assert_eq!(raw_error(&response(500, &[], "oops")), None);
        assert_eq!(raw_error(&"not a response"), None);
    }
}

//! The IAM Identity Center portal: every account and role (a sync), role credentials, and
//! logout. A sync pages through ListAccounts, then lists each account's roles concurrently,
//! every request paced by one rate limiter for the whole integration (the service allows
//! about 20 requests per second) and retried with exponential backoff and jitter when
//! throttled anyway. A sync that meets an expired token stops with what it has, so that the
//! caller can sign in again and resume it.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

use super::oidc::describe;
use crate::model::portal::PortalRole;
use crate::providers::Credentials;

/// Requests per second the portal is asked at most, per integration.
pub const RATE_PER_SECOND: u32 = 20;
/// Page size asked for (the portal's maximum).
pub const PAGE_SIZE: i32 = 100;
/// Role listings in flight at once.
pub const CONCURRENCY: usize = 8;
/// Attempts of one request that keeps being throttled or failing on the way.
pub const ATTEMPTS: u32 = 8;

/// Why a portal call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalError {
    /// The access token is expired or revoked: sign in again.
    Unauthorized(String),
    /// Anything else, after the retries (the message says what).
    Failed(String),
}

impl std::fmt::Display for PortalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortalError::Unauthorized(m) => write!(f, "the sign-in is no longer valid ({m})"),
            PortalError::Failed(m) => f.write_str(m),
        }
    }
}

/// Paces requests: one limiter per sync of an integration.
pub struct Pacer {
    limiter: DefaultDirectRateLimiter,
}

impl Pacer {
    /// At most `per_second` requests per second, evenly spaced (no burst).
    pub fn new(per_second: u32) -> Pacer {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        Pacer {
            limiter: RateLimiter::direct(Quota::per_second(rate).allow_burst(NonZeroU32::MIN)),
        }
    }

    async fn wait(&self) {
        self.limiter.until_ready().await;
    }
}

/// Backoff before attempt `n` (1-based) after throttling: 250 ms doubling to 8 s, with full
/// jitter.
fn backoff(n: u32) -> Duration {
    let cap = (250u64 << n.min(5)).min(8_000);
    let mut b = [0u8; 8];
    let jitter = if getrandom::getrandom(&mut b).is_ok() {
        u64::from_le_bytes(b) % (cap + 1)
    } else {
        cap / 2
    };
    Duration::from_millis(cap / 2 + jitter / 2)
}

/// Runs one portal request under the pacer, retrying throttling and transport failures.
async fn call<T, E, R, F, Fut>(pacer: &Pacer, what: &str, mut f: F) -> Result<T, PortalError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        pacer.wait().await;
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let (code, text) = describe(&e);
                match code.as_deref() {
                    Some("UnauthorizedException") => return Err(PortalError::Unauthorized(text)),
                    Some("TooManyRequestsException" | "ThrottlingException") => {
                        tracing::debug!("{what}: throttled (attempt {attempt})");
                    }
                    Some(_) if !matches!(e, SdkError::ServiceError(_)) => {}
                    Some(_) => return Err(PortalError::Failed(format!("{what}: {text}"))),
                    None => {
                        if matches!(e, SdkError::ConstructionFailure(_)) {
                            return Err(PortalError::Failed(format!("{what}: {text}")));
                        }
                    }
                }
                last = text;
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
    }
    Err(PortalError::Failed(format!(
        "{what}: still failing after {ATTEMPTS} attempts ({last})"
    )))
}

/// A sync in progress: what has been listed so far, so that it can resume after a new
/// sign-in instead of starting over.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    /// Accounts by id, with their names, once every page is read.
    pub accounts: Option<BTreeMap<String, String>>,
    /// Roles found so far, per account id (an account is done when present).
    pub roles: BTreeMap<String, Vec<String>>,
}

impl Listing {
    /// Every account × role found.
    pub fn roles(&self) -> Vec<PortalRole> {
        let Some(accounts) = &self.accounts else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (id, name) in accounts {
            for role in self.roles.get(id).into_iter().flatten() {
                out.push(PortalRole {
                    account_id: id.clone(),
                    account_name: name.clone(),
                    role_name: role.clone(),
                });
            }
        }
        out
    }

    /// (accounts done, accounts in all), for progress.
    pub fn progress(&self) -> (usize, usize) {
        let total = self.accounts.as_ref().map_or(0, BTreeMap::len);
        (self.roles.len().min(total), total)
    }
}

/// Lists every account and role the token gives access to, continuing `listing`;
/// `progress(done, total)` is called as accounts complete. On an expired token, returns
/// [`PortalError::Unauthorized`] with `listing` holding what was found.
pub async fn list(
    client: &aws_sdk_sso::Client,
    token: &str,
    pacer: Arc<Pacer>,
    listing: &mut Listing,
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<(), PortalError> {
    if listing.accounts.is_none() {
        let mut accounts = BTreeMap::new();
        let mut next: Option<String> = None;
        loop {
            let page = call(&pacer, "ListAccounts", || {
                client
                    .list_accounts()
                    .access_token(token)
                    .max_results(PAGE_SIZE)
                    .set_next_token(next.clone())
                    .send()
            })
            .await?;
            for a in page.account_list() {
                if let Some(id) = a.account_id() {
                    accounts.insert(id.to_string(), a.account_name().unwrap_or(id).to_string());
                }
            }
            next = page
                .next_token()
                .map(str::to_string)
                .filter(|t| !t.is_empty());
            if next.is_none() {
                break;
            }
        }
        listing.accounts = Some(accounts);
    }
    let todo: Vec<String> = listing
        .accounts
        .iter()
        .flatten()
        .map(|(id, _)| id.clone())
        .filter(|id| !listing.roles.contains_key(id))
        .collect();
    let (done, total) = listing.progress();
    progress(done, total);
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for account in todo {
        let (client, token, pacer, gate) = (
            client.clone(),
            token.to_string(),
            pacer.clone(),
            gate.clone(),
        );
        tasks.spawn(async move {
            let _slot = gate.acquire_owned().await;
            let roles = account_roles(&client, &token, &pacer, &account).await;
            (account, roles)
        });
    }
    let mut failure = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((account, Ok(roles))) => {
                listing.roles.insert(account, roles);
                let (done, total) = listing.progress();
                progress(done, total);
            }
            Ok((_, Err(e))) => {
                if failure.is_none() || matches!(e, PortalError::Unauthorized(_)) {
                    failure = Some(e);
                }
                tasks.abort_all();
            }
            Err(j) if j.is_cancelled() => {}
            Err(j) => failure = Some(PortalError::Failed(format!("a role listing failed: {j}"))),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

async fn account_roles(
    client: &aws_sdk_sso::Client,
    token: &str,
    pacer: &Pacer,
    account: &str,
) -> Result<Vec<String>, PortalError> {
    let mut roles = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = call(pacer, "ListAccountRoles", || {
            client
                .list_account_roles()
                .access_token(token)
                .account_id(account)
                .max_results(PAGE_SIZE)
                .set_next_token(next.clone())
                .send()
        })
        .await?;
        roles.extend(
            page.role_list()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_string)),
        );
        next = page
            .next_token()
            .map(str::to_string)
            .filter(|t| !t.is_empty());
        if next.is_none() {
            return Ok(roles);
        }
    }
}

/// GetRoleCredentials for one account and role.
pub async fn role_credentials(
    client: &aws_sdk_sso::Client,
    token: &str,
    account: &str,
    role: &str,
) -> Result<Credentials, PortalError> {
    let pacer = Pacer::new(RATE_PER_SECOND);
    let out = call(&pacer, "GetRoleCredentials", || {
        client
            .get_role_credentials()
            .access_token(token)
            .account_id(account)
            .role_name(role)
            .send()
    })
    .await?;
    let c = out.role_credentials().ok_or_else(|| {
        PortalError::Failed("GetRoleCredentials: the answer has no credentials".into())
    })?;
    let (Some(akid), Some(secret), Some(session)) =
        (c.access_key_id(), c.secret_access_key(), c.session_token())
    else {
        return Err(PortalError::Failed(
            "GetRoleCredentials: the answer lacks a key, secret or token".into(),
        ));
    };
    Ok(Credentials {
        access_key_id: akid.to_string(),
        secret_access_key: secret.to_string(),
        session_token: Some(session.to_string()),
        expiration: chrono::DateTime::from_timestamp_millis(c.expiration()),
    })
}

/// Logout: the portal forgets the token. Best effort for the caller.
pub async fn logout(client: &aws_sdk_sso::Client, token: &str) -> Result<(), PortalError> {
    let pacer = Pacer::new(RATE_PER_SECOND);
    call(&pacer, "Logout", || {
        client.logout().access_token(token).send()
    })
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pacer_spaces_requests_evenly() {
        let pacer = Pacer::new(50);
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            pacer.wait().await;
        }
        // 11 requests at 50 per second: the 11th is 200 ms after the first.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(190), "{took:?}");
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for n in 1..12 {
            let b = backoff(n);
            let cap = Duration::from_millis((250u64 << n.min(5)).min(8_000));
            assert!(b >= cap / 2 && b <= cap, "{n}: {b:?}");
        }
    }

    #[test]
    fn a_listing_yields_account_role_pairs_and_progress() {
        let mut l = Listing::default();
        assert_eq!(l.progress(), (0, 0));
        l.accounts = Some(BTreeMap::from([
            ("1".to_string(), "one".to_string()),
            ("2".to_string(), "two".to_string()),
        ]));
        l.roles
            .insert("1".into(), vec!["Admin".into(), "Read".into()]);
        assert_eq!(l.progress(), (1, 2));
        assert_eq!(l.roles().len(), 2);
    }
}

//! A fake IAM Identity Center on 127.0.0.1: the SSO portal (`sso`, normally
//! `portal.sso.<region>.amazonaws.com`: ListAccounts, ListAccountRoles, GetRoleCredentials,
//! Logout) and SSO-OIDC (`sso-oidc`, normally `oidc.<region>.amazonaws.com`: RegisterClient,
//! StartDeviceAuthorization, CreateToken with the device-code, authorization-code and
//! refresh-token grants), plus the browser half of the authorization-code flow: the
//! `/authorize` page, where the fake plays the user who approves (or denies) and redirects
//! to the client's loopback `redirect_uri`.
//!
//! It speaks the real wire format (REST-JSON as in the botocore models `sso/2019-06-10` and
//! `sso-oidc/2019-06-10`: query names such as `max_result` and `account_id`, the
//! `x-amz-sso_bearer_token` header, errors as a JSON body plus an `x-amzn-ErrorType` header
//! with the model's HTTP status), which `tests/sso_wire.rs` checks with the real AWS CLI.
//! One answer is the real service's rather than the model's: GetRoleCredentials for a role
//! the user does not have is `403 ForbiddenException` "No access", an error the model does
//! not list (an SDK surfaces it as an unhandled error with that code).
//!
//! Plain std, like the fake STS in `tests/faults/mod.rs`: a `TcpListener` on port 0, one
//! thread accepting, one thread per connection, every answer closing its connection. Both
//! services share one listener by default (their paths do not collide), so one URL serves as
//! `AWS_ENDPOINT_URL_SSO` and `AWS_ENDPOINT_URL_SSO_OIDC`; [`FakeSso::start_separate`] gives
//! each its own port, to prove a client sends each call to the right endpoint.
//!
//! ```ignore
//! #[path = "sso_fake/mod.rs"]
//! mod sso_fake;
//! use sso_fake::{FakeSso, Setup};
//!
//! let sso = FakeSso::start_with(Setup { accounts: 1000, ..Setup::default() });
//! sso.throttle(20.0);               // 429 TooManyRequestsException above 20 requests/s
//! sso.set_pending_polls(2);         // the device flow answers authorization_pending twice
//! // … run credtray with AWS_ENDPOINT_URL_SSO / _SSO_OIDC = sso.portal_url() / sso.oidc_url()
//! assert_eq!(sso.throttled_count(), 0);
//! assert!(sso.max_rate_seen(Duration::from_secs(1)) <= 20);
//! let issued = sso.issued_credentials();   // exactly what GetRoleCredentials handed out
//! ```
//!
//! Behaviours can be switched while it runs (every method takes `&self`). Everything it
//! received is recorded ([`FakeSso::requests`]): method, path, query, headers, JSON body,
//! arrival time, and the status and error type it answered. Tokens, client secrets and
//! credentials are the fake's own random strings: they are no secret and may be printed.

#![allow(dead_code)]

// Included by each fake: a test crate may load both (it is the same code twice).
#[allow(clippy::duplicate_mod)]
#[path = "../common/http.rs"]
mod http;

pub use http::parse_query;
use http::read_request;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;

/// A start URL (issuer URL) for tests. The fake accepts any non-empty start URL.
pub const START_URL: &str = "https://d-fake000000.awsapps.com/start";

/// The grant type of the device authorization flow (RFC 8628).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The roles every account has unless told otherwise.
pub const DEFAULT_ROLES: [&str; 3] = ["Admin", "ReadOnly", "Billing"];

/// The portal's largest (and default) page size for ListAccounts.
pub const MAX_PAGE_SIZE: usize = 100;

/// How the fake starts. Everything here can also be changed while it runs.
#[derive(Clone, Debug)]
pub struct Setup {
    /// How many accounts the user is assigned (ids [`account_id`]`(1..=n)`, names
    /// [`account_name`]).
    pub accounts: usize,
    /// The roles the user has in every account.
    pub roles: Vec<String>,
    /// The page size used when the request gives no `max_result` (the service: 100).
    pub default_page_size: usize,
    /// Lifetime of the access tokens CreateToken issues (`expiresIn`).
    pub token_lifetime: Duration,
    /// Lifetime of the refresh tokens.
    pub refresh_lifetime: Duration,
    /// How far ahead of the call GetRoleCredentials' `expiration` lies, in seconds (may be
    /// negative: credentials that are already expired).
    pub credentials_lifetime_secs: i64,
    /// `clientSecretExpiresAt` of a registration, in seconds from its RegisterClient (may be
    /// negative or small: a registration that has expired or soon will).
    pub registration_lifetime_secs: i64,
    /// `interval` of StartDeviceAuthorization, in seconds.
    pub device_interval: u32,
    /// `expiresIn` of StartDeviceAuthorization, in seconds; polls after that get
    /// ExpiredTokenException.
    pub device_expires_in: u32,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            accounts: 3,
            roles: DEFAULT_ROLES.iter().map(|r| r.to_string()).collect(),
            default_page_size: MAX_PAGE_SIZE,
            token_lifetime: Duration::from_secs(3600),
            refresh_lifetime: Duration::from_secs(90 * 86_400),
            credentials_lifetime_secs: 3600,
            registration_lifetime_secs: 90 * 86_400,
            device_interval: 1,
            device_expires_in: 600,
        }
    }
}

/// The 12-digit id of account number N (1-based): `100000000000 + N`.
pub fn account_id(n: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + n as u64)
}

/// The name of account number N (1-based): `acct-0007`.
pub fn account_name(n: usize) -> String {
    format!("acct-{n:04}")
}

/// One account the portal lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// `accountId`, 12 digits.
    pub id: String,
    /// `accountName`.
    pub name: String,
    /// `emailAddress`.
    pub email: String,
    /// The roles the user has in it (`roleName`s), in listing order.
    pub roles: Vec<String>,
}

/// What the device flow answers once its pending polls are over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// The user approved: CreateToken succeeds (once per device code).
    Approve,
    /// The user denied: AccessDeniedException.
    Deny,
    /// The device code expired: ExpiredTokenException.
    Expire,
}

/// What the fake "user" does on the `/authorize` page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Approves: `302` to `redirect_uri?code=…&state=<state>`.
    Approve,
    /// Denies: `302` to `redirect_uri?error=access_denied&state=<state>`.
    Deny,
    /// Approves, but the redirect carries another `state` (a forged callback, which a client
    /// must refuse).
    WrongState,
}

/// Which service a request was for (by its path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// `/assignment/…`, `/federation/credentials`, `/logout`.
    Portal,
    /// `/client/register`, `/device_authorization`, `/token`, `/authorize`.
    Oidc,
    /// Anything else (answered 404).
    Unknown,
}

/// What the fake saw of one request, and what it answered.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Every header, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    /// Which service the path belongs to.
    pub service: Service,
    /// Which listener it came in on (with [`FakeSso::start_separate`]; otherwise `Portal`
    /// and `Oidc` share one and this says `Unknown`).
    pub listener: Service,
    /// When it arrived, since the fake started.
    pub at: Duration,
    /// The HTTP status answered (None while the answer is pending).
    pub status: Option<u16>,
    /// The error type answered (`UnauthorizedException`, …), None for a success.
    pub error: Option<String>,
}

impl Request {
    /// Query parameter NAME, decoded.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Header NAME (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The portal's bearer token (`x-amz-sso_bearer_token`).
    pub fn bearer(&self) -> Option<&str> {
        self.header("x-amz-sso_bearer_token")
    }

    /// String member NAME of the JSON body.
    pub fn json_str(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    /// One line for failure messages: time, method, path, query names, status, error.
    pub fn summary(&self) -> String {
        let names: Vec<&str> = self.query.iter().map(|(k, _)| k.as_str()).collect();
        format!(
            "{:>7.3}s {} {} query={names:?} bearer={} status={} {}",
            self.at.as_secs_f64(),
            self.method,
            self.path,
            if self.bearer().is_some() { "yes" } else { "no" },
            self.status.map_or("-".to_string(), |s| s.to_string()),
            self.error.as_deref().unwrap_or(""),
        )
    }
}

/// Credentials GetRoleCredentials handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// The account asked for.
    pub account_id: String,
    /// The role asked for.
    pub role_name: String,
    /// `ASIA…`, unique.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token.
    pub session_token: String,
    /// `expiration`, epoch milliseconds.
    pub expiration_ms: i64,
    /// The access token the call was made with.
    pub access_token: String,
}

/// A token pair CreateToken (or [`FakeSso::issue_token`]) handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    /// The client it was issued to ("" for [`FakeSso::issue_token`]).
    pub client_id: String,
    /// The grant it came from (`DEVICE_GRANT`, `authorization_code`, `refresh_token`, or
    /// `direct`).
    pub grant: String,
    /// The access token.
    pub access_token: String,
    /// The refresh token, when the client registered for the refresh_token grant.
    pub refresh_token: Option<String>,
    /// `expiresIn`, seconds.
    pub expires_in: u64,
}

/// A client RegisterClient registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: String,
    /// `clientName`.
    pub client_name: String,
    /// `grantTypes` asked for.
    pub grant_types: Vec<String>,
    /// `redirectUris` asked for.
    pub redirect_uris: Vec<String>,
    /// `scopes` asked for.
    pub scopes: Vec<String>,
    /// `issuerUrl`.
    pub issuer_url: Option<String>,
    /// `clientIdIssuedAt`, epoch seconds.
    pub issued_at: i64,
    /// `clientSecretExpiresAt`, epoch seconds.
    pub secret_expires_at: i64,
}

/// An answer from [`http_get`].
#[derive(Clone, Debug)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl HttpAnswer {
    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.as_str())
    }
}

struct AccessToken {
    expires: SystemTime,
    valid: bool,
}

struct RefreshToken {
    client_id: String,
    access_token: String,
    expires: SystemTime,
    valid: bool,
}

struct Device {
    client_id: String,
    expires: SystemTime,
    polls: u32,
    used: bool,
}

struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    used: bool,
}

struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

struct State {
    setup: Setup,
    accounts: Vec<Account>,
    clients: HashMap<String, Registration>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    devices: HashMap<String, Device>,
    codes: HashMap<String, AuthCode>,
    pending_polls: u32,
    slow_downs: u32,
    device_outcome: DeviceOutcome,
    authorize_outcome: AuthorizeOutcome,
    refuse_refresh: bool,
    bucket: Option<Bucket>,
    throttled: usize,
    unauthorize_after: Option<u32>,
    latency: Duration,
    scripted: VecDeque<(String, u16, String, String)>,
    credentials: Vec<IssuedCredentials>,
    tokens: Vec<IssuedToken>,
    registrations: Vec<Registration>,
    serial: u64,
}

struct Shared {
    state: Mutex<State>,
    requests: Mutex<Vec<Request>>,
    started: Instant,
    stop: AtomicBool,
}

/// The fake portal + SSO-OIDC. Stops accepting when dropped.
pub struct FakeSso {
    shared: Arc<Shared>,
    ports: Vec<u16>,
    acceptors: Vec<thread::JoinHandle<()>>,
}

fn make_accounts(n: usize, roles: &[String]) -> Vec<Account> {
    (1..=n)
        .map(|i| Account {
            id: account_id(i),
            name: account_name(i),
            email: format!("{}@example.com", account_name(i)),
            roles: roles.to_vec(),
        })
        .collect()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A random string of 32 lower-case hex digits.
fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl FakeSso {
    /// Starts the fake with [`Setup::default`] (3 accounts × Admin, ReadOnly, Billing) on one
    /// free port of 127.0.0.1.
    pub fn start() -> FakeSso {
        FakeSso::start_with(Setup::default())
    }

    /// Starts the fake with SETUP on one free port (both services on it).
    pub fn start_with(setup: Setup) -> FakeSso {
        FakeSso::start_inner(setup, false)
    }

    /// Starts the fake with SETUP on two free ports: [`FakeSso::portal_url`] answers only the
    /// portal's paths and [`FakeSso::oidc_url`] only SSO-OIDC's (and `/authorize`); a
    /// request on the wrong one gets 404 (and is recorded).
    pub fn start_separate(setup: Setup) -> FakeSso {
        FakeSso::start_inner(setup, true)
    }

    fn start_inner(setup: Setup, separate: bool) -> FakeSso {
        let accounts = make_accounts(setup.accounts, &setup.roles);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                setup,
                accounts,
                clients: HashMap::new(),
                access: HashMap::new(),
                refresh: HashMap::new(),
                devices: HashMap::new(),
                codes: HashMap::new(),
                pending_polls: 0,
                slow_downs: 0,
                device_outcome: DeviceOutcome::Approve,
                authorize_outcome: AuthorizeOutcome::Approve,
                refuse_refresh: false,
                bucket: None,
                throttled: 0,
                unauthorize_after: None,
                latency: Duration::ZERO,
                scripted: VecDeque::new(),
                credentials: Vec::new(),
                tokens: Vec::new(),
                registrations: Vec::new(),
                serial: 0,
            }),
            requests: Mutex::new(Vec::new()),
            started: Instant::now(),
            stop: AtomicBool::new(false),
        });
        let roles: &[Service] = if separate {
            &[Service::Portal, Service::Oidc]
        } else {
            &[Service::Unknown]
        };
        let mut ports = Vec::new();
        let mut acceptors = Vec::new();
        for &serves in roles {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .expect("bind the fake SSO to 127.0.0.1:0");
            ports.push(listener.local_addr().expect("fake SSO address").port());
            let s = shared.clone();
            acceptors.push(thread::spawn(move || {
                for conn in listener.incoming() {
                    if s.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    let s = s.clone();
                    thread::spawn(move || serve(stream, &s, serves));
                }
            }));
        }
        FakeSso {
            shared,
            ports,
            acceptors,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }

    /// `http://127.0.0.1:PORT` of the portal (with [`FakeSso::start`], the only listener).
    pub fn portal_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[0])
    }

    /// `http://127.0.0.1:PORT` of SSO-OIDC and `/authorize` (with [`FakeSso::start`], the same
    /// as [`FakeSso::portal_url`]).
    pub fn oidc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[self.ports.len() - 1])
    }

    /// The environment a client needs to reach the fake: `AWS_ENDPOINT_URL_SSO` and
    /// `AWS_ENDPOINT_URL_SSO_OIDC`.
    pub fn endpoint_env(&self) -> [(&'static str, String); 2] {
        [
            ("AWS_ENDPOINT_URL_SSO", self.portal_url()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", self.oidc_url()),
        ]
    }

    // ----- data

    /// The accounts the portal lists now, in order.
    pub fn accounts(&self) -> Vec<Account> {
        self.state().accounts.clone()
    }

    /// Replaces the accounts with N fresh ones (numbered 1..=N, each with the current roles).
    pub fn set_accounts(&self, n: usize) {
        let mut st = self.state();
        st.setup.accounts = n;
        st.accounts = make_accounts(n, &st.setup.roles);
    }

    /// Gives every account ROLES.
    pub fn set_roles(&self, roles: &[&str]) {
        let mut st = self.state();
        st.setup.roles = roles.iter().map(|r| r.to_string()).collect();
        let roles = st.setup.roles.clone();
        for a in &mut st.accounts {
            a.roles = roles.clone();
        }
    }

    /// Gives account ID the roles ROLES (panics when there is no such account).
    pub fn set_account_roles(&self, id: &str, roles: &[&str]) {
        let mut st = self.state();
        let account = st
            .accounts
            .iter_mut()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("the fake SSO has no account {id}"));
        account.roles = roles.iter().map(|r| r.to_string()).collect();
    }

    /// Removes account ID (the user lost access to it). Returns whether it was there.
    pub fn remove_account(&self, id: &str) -> bool {
        let mut st = self.state();
        let before = st.accounts.len();
        st.accounts.retain(|a| a.id != id);
        st.accounts.len() != before
    }

    /// Sets how far ahead GetRoleCredentials' `expiration` lies, in seconds (may be negative).
    pub fn set_credentials_lifetime(&self, secs: i64) {
        self.state().setup.credentials_lifetime_secs = secs;
    }

    /// Sets the page size used when a list request gives no `max_result`.
    pub fn set_default_page_size(&self, n: usize) {
        self.state().setup.default_page_size = n.max(1);
    }

    // ----- tokens and registrations

    /// Issues a valid token pair directly, as if a sign-in had happened (grant `direct`,
    /// client ""), with the current token lifetime.
    pub fn issue_token(&self) -> IssuedToken {
        issue(&mut self.state(), "", "direct", true)
    }

    /// Sets the lifetime of the access tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state().setup.token_lifetime = lifetime;
    }

    /// Sets the lifetime of the refresh tokens issued from now on.
    pub fn set_refresh_lifetime(&self, lifetime: Duration) {
        self.state().setup.refresh_lifetime = lifetime;
    }

    /// Sets `clientSecretExpiresAt` of the registrations made from now on, in seconds from
    /// the RegisterClient (negative: already expired).
    pub fn set_registration_lifetime(&self, secs: i64) {
        self.state().setup.registration_lifetime_secs = secs;
    }

    /// Makes every registration made so far expire now (CreateToken and
    /// StartDeviceAuthorization then answer InvalidClientException).
    pub fn expire_registrations(&self) {
        let mut st = self.state();
        let past = now_secs() - 1;
        for c in st.clients.values_mut() {
            c.secret_expires_at = past;
        }
    }

    /// Makes every access token issued so far expired (the portal then answers
    /// UnauthorizedException; refresh tokens stay good).
    pub fn expire_access_tokens(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for t in self.state().access.values_mut() {
            t.expires = past;
        }
    }

    /// Revokes access token TOKEN, as Logout does.
    pub fn revoke_access_token(&self, token: &str) {
        if let Some(t) = self.state().access.get_mut(token) {
            t.valid = false;
        }
    }

    /// Whether the portal would accept access token TOKEN now.
    pub fn token_valid(&self, token: &str) -> bool {
        access_ok(&self.state(), token)
    }

    /// While ON, the refresh_token grant answers InvalidGrantException (a session that can
    /// no longer be refreshed: the user must sign in again).
    pub fn refuse_refresh(&self, on: bool) {
        self.state().refuse_refresh = on;
    }

    // ----- sign-in behaviours

    /// Each device code answers AuthorizationPendingException to its first N polls
    /// (counted per device code; 0 at first).
    pub fn set_pending_polls(&self, n: u32) {
        self.state().pending_polls = n;
    }

    /// The next device-code poll (any device code) answers SlowDownException; calling it
    /// twice makes the next two do so.
    pub fn slow_down_next(&self) {
        self.state().slow_downs += 1;
    }

    /// What device-code polls answer once their pending polls are over (Approve at first).
    pub fn set_device_outcome(&self, outcome: DeviceOutcome) {
        self.state().device_outcome = outcome;
    }

    /// What the fake user does on the `/authorize` page (Approve at first).
    pub fn set_authorize_outcome(&self, outcome: AuthorizeOutcome) {
        self.state().authorize_outcome = outcome;
    }

    // ----- portal behaviours

    /// Throttles the portal above RATE requests per second (a token bucket holding RATE
    /// tokens, at least 1, full at first): requests past it get 429 TooManyRequestsException.
    pub fn throttle(&self, rate: f64) {
        self.throttle_with_burst(rate, rate.max(1.0));
    }

    /// Throttles the portal with a token bucket refilled at RATE per second holding BURST
    /// tokens (full at first).
    pub fn throttle_with_burst(&self, rate: f64, burst: f64) {
        self.state().bucket = Some(Bucket {
            rate,
            burst,
            tokens: burst,
            last: Instant::now(),
        });
    }

    /// Stops throttling.
    pub fn unthrottle(&self) {
        self.state().bucket = None;
    }

    /// After K more successful ListAccounts/ListAccountRoles calls, the next list call
    /// finds every access token issued so far revoked (UnauthorizedException), as when a
    /// session ends mid-sync. Tokens issued after that (a refresh) work.
    pub fn unauthorize_after(&self, k: u32) {
        self.state().unauthorize_after = Some(k);
    }

    /// Every answer (portal and OIDC) waits this long first (a network's latency).
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// The next request to PATH (e.g. `/federation/credentials`) gets this error instead of
    /// its answer: HTTP STATUS, `x-amzn-ErrorType: ERROR_TYPE`, MESSAGE. Queued in order.
    pub fn fail_next(&self, path: &str, status: u16, error_type: &str, message: &str) {
        self.state().scripted.push_back((
            path.to_string(),
            status,
            error_type.to_string(),
            message.to_string(),
        ));
    }

    // ----- records

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The requests to PATH, in order.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// How many requests went to PATH.
    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }

    /// The last CreateToken request (`POST /token`), if any.
    pub fn last_token_request(&self) -> Option<Request> {
        self.requests_to("/token").pop()
    }

    /// Every credentials GetRoleCredentials handed out, in order.
    pub fn issued_credentials(&self) -> Vec<IssuedCredentials> {
        self.state().credentials.clone()
    }

    /// Every token pair handed out, in order.
    pub fn issued_tokens(&self) -> Vec<IssuedToken> {
        self.state().tokens.clone()
    }

    /// Every registration made, in order.
    pub fn registrations(&self) -> Vec<Registration> {
        self.state().registrations.clone()
    }

    /// How many portal requests were answered TooManyRequestsException by the throttle.
    pub fn throttled_count(&self) -> usize {
        self.state().throttled
    }

    /// The largest number of portal requests that arrived within any span of WINDOW (e.g.
    /// one second), throttled ones included.
    pub fn max_rate_seen(&self, window: Duration) -> usize {
        let times: Vec<Duration> = self
            .requests()
            .iter()
            .filter(|r| r.service == Service::Portal)
            .map(|r| r.at)
            .collect();
        let mut best = 0;
        let mut first = 0;
        for last in 0..times.len() {
            while times[last] - times[first] >= window {
                first += 1;
            }
            best = best.max(last - first + 1);
        }
        best
    }

    /// The requests, one line each, for failure messages.
    pub fn describe(&self) -> String {
        let reqs = self.requests();
        if reqs.is_empty() {
            return "(the fake SSO received no request)".into();
        }
        reqs.iter()
            .map(|r| format!("  {}", r.summary()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for FakeSso {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for port in &self.ports {
            // Wake the acceptor so that it sees the flag.
            let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, *port));
        }
        for h in self.acceptors.drain(..) {
            let _ = h.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PKCE and a browser for tests

/// The PKCE S256 challenge of VERIFIER: base64url (no padding) of its SHA-256.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// A fresh PKCE pair: (verifier, challenge).
pub fn pkce_pair() -> (String, String) {
    let verifier = format!("{}{}", random_hex(), random_hex());
    let challenge = pkce_challenge(&verifier);
    (verifier, challenge)
}

/// One plain `GET` of an `http://host:port/path?query` URL, following nothing (a test
/// playing the browser reads the `Location` itself).
pub fn http_get(url: &str) -> std::io::Result<HttpAnswer> {
    let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, m);
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad(format!("not an http:// URL: {url}")))?;
    let (host, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: sso-fake-browser\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("no status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut body = String::new();
    reader.read_to_string(&mut body)?;
    Ok(HttpAnswer {
        status,
        headers,
        body,
    })
}

/// The query parameters of URL (after its `?`), decoded.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    url.split_once('?')
        .map(|(_, q)| parse_query(q))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Serving

/// An answer: status, extra headers, body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    error: Option<String>,
}

impl Answer {
    fn json(value: Value) -> Answer {
        Answer {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: value.to_string(),
            error: None,
        }
    }

    /// A portal error: `{"message": …}`.
    fn portal_error(status: u16, error_type: &str, message: &str) -> Answer {
        Answer {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    "x-amzn-ErrorType".into(),
                    format!("{error_type}:http://internal.amazon.com/coral/com.amazon.switchboard.service/"),
                ),
            ],
            body: json!({ "message": message }).to_string(),
            error: Some(error_type.to_string()),
        }
    }

    /// An SSO-OIDC error: `{"error": "<oauth code>", "error_description": …}`, with the
    /// status the model gives the type.
    fn oidc_error(error_type: &str, description: &str) -> Answer {
        let (status, code) = match error_type {
            "AuthorizationPendingException" => (400, "authorization_pending"),
            "SlowDownException" => (400, "slow_down"),
            "ExpiredTokenException" => (400, "expired_token"),
            "AccessDeniedException" => (400, "access_denied"),
            "InvalidGrantException" => (400, "invalid_grant"),
            "InvalidClientException" => (401, "invalid_client"),
            "UnsupportedGrantTypeException" => (400, "unsupported_grant_type"),
            "InvalidScopeException" => (400, "invalid_scope"),
            "UnauthorizedClientException" => (400, "unauthorized_client"),
            "InvalidRedirectUriException" => (400, "invalid_redirect_uri"),
            "InvalidClientMetadataException" => (400, "invalid_client_metadata"),
            "InternalServerException" => (500, "server_error"),
            _ => (400, "invalid_request"),
        };
        Answer {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    "x-amzn-ErrorType".into(),
                    format!("{error_type}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"),
                ),
            ],
            body: json!({ "error": code, "error_description": description }).to_string(),
            error: Some(error_type.to_string()),
        }
    }

    fn text(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.to_string(),
            error: None,
        }
    }

    fn redirect(location: String) -> Answer {
        Answer {
            status: 302,
            headers: vec![("Location".into(), location)],
            body: String::new(),
            error: None,
        }
    }
}

fn service_of(path: &str) -> Service {
    match path {
        "/assignment/accounts" | "/assignment/roles" | "/federation/credentials" | "/logout" => {
            Service::Portal
        }
        "/client/register" | "/device_authorization" | "/token" | "/authorize" => Service::Oidc,
        _ => Service::Unknown,
    }
}

fn serve(stream: TcpStream, shared: &Shared, serves: Service) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    let Some((method, target, headers, body)) = read_request(&mut reader) else {
        return;
    };
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), parse_query(q)),
        None => (target.clone(), Vec::new()),
    };
    let service = service_of(&path);
    let request = Request {
        method,
        path,
        query,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        service,
        listener: serves,
        at: shared.started.elapsed(),
        status: None,
        error: None,
    };
    let index = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(request.clone());
        requests.len() - 1
    };
    let latency = shared.state.lock().unwrap().latency;
    if !latency.is_zero() {
        thread::sleep(latency);
    }
    let answer = if serves != Service::Unknown && service != serves {
        Answer::text(404, "not served on this port")
    } else {
        answer(&mut shared.state.lock().unwrap(), &request)
    };
    {
        let mut requests = shared.requests.lock().unwrap();
        requests[index].status = Some(answer.status);
        requests[index].error = answer.error.clone();
    }
    let n = shared.state.lock().unwrap().serial;
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nx-amzn-RequestId: 5ee0fa4e-0000-4000-8000-{:012x}\r\n",
        answer.status,
        reason(answer.status),
        n
    );
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        answer.body.len()
    ));
    let _ = writer.write_all(head.as_bytes());
    let _ = writer.write_all(answer.body.as_bytes());
    let _ = writer.flush();
    let _ = writer.shutdown(Shutdown::Write);
    // Drain whatever the client still sends, so that closing does not reset the connection
    // before it read the answer.
    let mut sink = [0u8; 1024];
    let _ = reader
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)));
    while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Error",
    }
}

fn answer(st: &mut State, req: &Request) -> Answer {
    st.serial += 1;
    if let Some(i) = st.scripted.iter().position(|(p, ..)| *p == req.path) {
        let (_, status, error_type, message) = st.scripted.remove(i).unwrap();
        return match req.service {
            Service::Oidc => {
                let mut a = Answer::oidc_error(&error_type, &message);
                a.status = status;
                a
            }
            _ => Answer::portal_error(status, &error_type, &message),
        };
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/assignment/accounts")
        | ("GET", "/assignment/roles")
        | ("GET", "/federation/credentials")
        | ("POST", "/logout") => portal(st, req),
        ("POST", "/client/register") => register(st, req),
        ("POST", "/device_authorization") => device_authorization(st, req),
        ("POST", "/token") => token(st, req),
        ("GET", "/authorize") => authorize(st, req),
        (_, path) if service_of(path) != Service::Unknown => {
            Answer::text(405, "method not allowed")
        }
        _ => Answer::portal_error(404, "UnknownOperationException", "Unknown operation"),
    }
}

fn access_ok(st: &State, token: &str) -> bool {
    st.access
        .get(token)
        .is_some_and(|t| t.valid && t.expires > SystemTime::now())
}

fn issue(st: &mut State, client_id: &str, grant: &str, with_refresh: bool) -> IssuedToken {
    let access_token = format!("aoa{}{}", random_hex(), random_hex());
    let lifetime = st.setup.token_lifetime;
    st.access.insert(
        access_token.clone(),
        AccessToken {
            expires: SystemTime::now() + lifetime,
            valid: true,
        },
    );
    let refresh_token = with_refresh.then(|| {
        let r = format!("aor{}{}", random_hex(), random_hex());
        st.refresh.insert(
            r.clone(),
            RefreshToken {
                client_id: client_id.to_string(),
                access_token: access_token.clone(),
                expires: SystemTime::now() + st.setup.refresh_lifetime,
                valid: true,
            },
        );
        r
    });
    let t = IssuedToken {
        client_id: client_id.to_string(),
        grant: grant.to_string(),
        access_token,
        refresh_token,
        expires_in: lifetime.as_secs(),
    };
    st.tokens.push(t.clone());
    t
}

// ----- portal

fn take_bucket_token(st: &mut State) -> bool {
    let Some(b) = st.bucket.as_mut() else {
        return true;
    };
    let now = Instant::now();
    b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * b.rate).min(b.burst);
    b.last = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        true
    } else {
        false
    }
}

fn encode_next_token(kind: &str, offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("fake-sso:{kind}:{offset}"))
}

fn decode_next_token(kind: &str, token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(&format!("fake-sso:{kind}:"))?
        .parse()
        .ok()
}

/// The page [offset, offset + size) of N items, and the next offset, from the request's
/// `next_token` and `max_result`; or the InvalidRequestException to answer.
fn page(
    st: &State,
    req: &Request,
    kind: &str,
    n: usize,
) -> Result<(usize, usize, Option<usize>), Answer> {
    let invalid = |m: &str| Answer::portal_error(400, "InvalidRequestException", m);
    let size = match req.query_param("max_result") {
        None => st.setup.default_page_size,
        Some(v) => match v.parse::<usize>() {
            Ok(s) if (1..=MAX_PAGE_SIZE).contains(&s) => s,
            _ => return Err(invalid("max_result must be between 1 and 100")),
        },
    };
    let offset = match req.query_param("next_token") {
        None | Some("") => 0,
        Some(t) => decode_next_token(kind, t).ok_or_else(|| invalid("Invalid next token"))?,
    };
    let end = (offset + size).min(n);
    Ok((offset.min(n), end, (end < n).then_some(end)))
}

fn portal(st: &mut State, req: &Request) -> Answer {
    if !take_bucket_token(st) {
        st.throttled += 1;
        return Answer::portal_error(429, "TooManyRequestsException", "Too many requests");
    }
    let unauthorized = || {
        Answer::portal_error(
            401,
            "UnauthorizedException",
            "Session token not found or invalid",
        )
    };
    let Some(token) = req.bearer().map(str::to_string) else {
        return unauthorized();
    };
    if !access_ok(st, &token) {
        return unauthorized();
    }
    let listing = req.path.starts_with("/assignment/");
    if listing {
        match st.unauthorize_after {
            Some(0) => {
                st.unauthorize_after = None;
                for t in st.access.values_mut() {
                    t.valid = false;
                }
                return unauthorized();
            }
            Some(k) => st.unauthorize_after = Some(k - 1),
            None => {}
        }
    }
    let invalid = |m: &str| Answer::portal_error(400, "InvalidRequestException", m);
    let not_found = |m: &str| Answer::portal_error(404, "ResourceNotFoundException", m);
    match req.path.as_str() {
        "/assignment/accounts" => {
            let (from, to, next) = match page(st, req, "accounts", st.accounts.len()) {
                Ok(p) => p,
                Err(a) => return a,
            };
            let list: Vec<Value> = st.accounts[from..to]
                .iter()
                .map(|a| json!({"accountId": a.id, "accountName": a.name, "emailAddress": a.email}))
                .collect();
            Answer::json(json!({
                "nextToken": next.map(|o| encode_next_token("accounts", o)),
                "accountList": list,
            }))
        }
        "/assignment/roles" => {
            let Some(id) = req.query_param("account_id").filter(|s| !s.is_empty()) else {
                return invalid("account_id is required");
            };
            let Some(account) = st.accounts.iter().find(|a| a.id == id) else {
                return not_found("Account not found");
            };
            let roles = account.roles.clone();
            let kind = format!("roles-{id}");
            let (from, to, next) = match page(st, req, &kind, roles.len()) {
                Ok(p) => p,
                Err(a) => return a,
            };
            let list: Vec<Value> = roles[from..to]
                .iter()
                .map(|r| json!({"roleName": r, "accountId": id}))
                .collect();
            Answer::json(json!({
                "nextToken": next.map(|o| encode_next_token(&kind, o)),
                "roleList": list,
            }))
        }
        "/federation/credentials" => {
            let (Some(id), Some(role)) = (
                req.query_param("account_id").filter(|s| !s.is_empty()),
                req.query_param("role_name").filter(|s| !s.is_empty()),
            ) else {
                return invalid("account_id and role_name are required");
            };
            if !st
                .accounts
                .iter()
                .any(|a| a.id == id && a.roles.iter().any(|r| r == role))
            {
                // What the real portal answers, though the model does not list it.
                return Answer::portal_error(403, "ForbiddenException", "No access");
            }
            let n = st.credentials.len();
            let creds = IssuedCredentials {
                account_id: id.to_string(),
                role_name: role.to_string(),
                access_key_id: format!("ASIA{:04X}{}", n % 0x10000, &random_hex()[..12])
                    .to_ascii_uppercase(),
                secret_access_key: format!("{}{}", random_hex(), &random_hex()[..8]),
                session_token: format!("IQoJb3JpZ2luX2VjEFake{}{}", random_hex(), random_hex()),
                expiration_ms: now_ms() + st.setup.credentials_lifetime_secs * 1000,
                access_token: token,
            };
            st.credentials.push(creds.clone());
            Answer::json(json!({"roleCredentials": {
                "accessKeyId": creds.access_key_id,
                "secretAccessKey": creds.secret_access_key,
                "sessionToken": creds.session_token,
                "expiration": creds.expiration_ms,
            }}))
        }
        _ => {
            // /logout
            if let Some(t) = st.access.get_mut(&token) {
                t.valid = false;
            }
            for r in st.refresh.values_mut() {
                if r.access_token == token {
                    r.valid = false;
                }
            }
            Answer {
                status: 200,
                headers: Vec::new(),
                body: String::new(),
                error: None,
            }
        }
    }
}

// ----- SSO-OIDC

fn str_list(v: &Value, name: &str) -> Vec<String> {
    v.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn register(st: &mut State, req: &Request) -> Answer {
    let body = &req.body;
    let name = req.json_str("clientName").unwrap_or("");
    let client_type = req.json_str("clientType").unwrap_or("");
    if name.is_empty() {
        return Answer::oidc_error("InvalidRequestException", "clientName is required");
    }
    if client_type != "public" {
        return Answer::oidc_error(
            "InvalidClientMetadataException",
            "clientType must be public",
        );
    }
    let grant_types = str_list(body, "grantTypes");
    if let Some(g) = grant_types.iter().find(|g| {
        !matches!(
            g.as_str(),
            "authorization_code" | "refresh_token" | DEVICE_GRANT
        )
    }) {
        return Answer::oidc_error("UnsupportedGrantTypeException", &format!("grant {g}"));
    }
    let redirect_uris = str_list(body, "redirectUris");
    if grant_types.iter().any(|g| g == "authorization_code") && redirect_uris.is_empty() {
        return Answer::oidc_error(
            "InvalidRedirectUriException",
            "redirectUris is required for authorization_code",
        );
    }
    let issued_at = now_secs();
    let reg = Registration {
        client_id: format!("fakeclient{}", random_hex()),
        client_secret: format!("fakesecret{}{}", random_hex(), random_hex()),
        client_name: name.to_string(),
        grant_types,
        redirect_uris,
        scopes: str_list(body, "scopes"),
        issuer_url: req.json_str("issuerUrl").map(str::to_string),
        issued_at,
        secret_expires_at: issued_at + st.setup.registration_lifetime_secs,
    };
    st.clients.insert(reg.client_id.clone(), reg.clone());
    st.registrations.push(reg.clone());
    Answer::json(json!({
        "clientId": reg.client_id,
        "clientSecret": reg.client_secret,
        "clientIdIssuedAt": reg.issued_at,
        "clientSecretExpiresAt": reg.secret_expires_at,
    }))
}

/// The client of the request, checked: known, secret right, not expired.
fn client_of(st: &State, req: &Request) -> Result<Registration, Answer> {
    let id = req.json_str("clientId").unwrap_or("");
    let secret = req.json_str("clientSecret").unwrap_or("");
    match st.clients.get(id) {
        Some(c) if c.client_secret == secret && c.secret_expires_at > now_secs() => Ok(c.clone()),
        Some(c) if c.client_secret == secret => Err(Answer::oidc_error(
            "InvalidClientException",
            "Client secret has expired",
        )),
        _ => Err(Answer::oidc_error(
            "InvalidClientException",
            "Invalid client",
        )),
    }
}

fn device_authorization(st: &mut State, req: &Request) -> Answer {
    let client = match client_of(st, req) {
        Ok(c) => c,
        Err(a) => return a,
    };
    if req.json_str("startUrl").unwrap_or("").is_empty() {
        return Answer::oidc_error("InvalidRequestException", "startUrl is required");
    }
    let device_code = format!("fakedevice{}", random_hex());
    let hex = random_hex().to_ascii_uppercase();
    let user_code = format!("{}-{}", &hex[..4], &hex[4..8]);
    let expires_in = st.setup.device_expires_in;
    st.devices.insert(
        device_code.clone(),
        Device {
            client_id: client.client_id,
            expires: SystemTime::now() + Duration::from_secs(expires_in.into()),
            polls: 0,
            used: false,
        },
    );
    let verification = "https://device.sso.us-east-1.amazonaws.com/";
    Answer::json(json!({
        "deviceCode": device_code,
        "userCode": user_code,
        "verificationUri": verification,
        "verificationUriComplete": format!("{verification}?user_code={user_code}"),
        "expiresIn": expires_in,
        "interval": st.setup.device_interval,
    }))
}

fn token(st: &mut State, req: &Request) -> Answer {
    let client = match client_of(st, req) {
        Ok(c) => c,
        Err(a) => return a,
    };
    let grant = req.json_str("grantType").unwrap_or("");
    let wants_refresh = client.grant_types.iter().any(|g| g == "refresh_token");
    let answer = |t: IssuedToken| {
        Answer::json(json!({
            "accessToken": t.access_token,
            "tokenType": "Bearer",
            "expiresIn": t.expires_in,
            "refreshToken": t.refresh_token,
        }))
    };
    match grant {
        DEVICE_GRANT => {
            let code = req.json_str("deviceCode").unwrap_or("");
            let pending = st.pending_polls;
            let outcome = st.device_outcome;
            let Some(device) = st.devices.get_mut(code) else {
                return Answer::oidc_error("InvalidGrantException", "Invalid device code");
            };
            if device.client_id != client.client_id || device.used {
                return Answer::oidc_error("InvalidGrantException", "Invalid device code");
            }
            device.polls += 1;
            if device.expires <= SystemTime::now() || outcome == DeviceOutcome::Expire {
                return Answer::oidc_error("ExpiredTokenException", "Device code has expired");
            }
            if st.slow_downs > 0 {
                st.slow_downs -= 1;
                return Answer::oidc_error("SlowDownException", "Client is polling too fast");
            }
            if device.polls <= pending {
                return Answer::oidc_error(
                    "AuthorizationPendingException",
                    "Authorization is still pending",
                );
            }
            if outcome == DeviceOutcome::Deny {
                return Answer::oidc_error("AccessDeniedException", "The user denied access");
            }
            device.used = true;
            answer(issue(st, &client.client_id, grant, wants_refresh))
        }
        "authorization_code" => {
            let code = req.json_str("code").unwrap_or("");
            let verifier = req.json_str("codeVerifier").unwrap_or("");
            let redirect = req.json_str("redirectUri").unwrap_or("");
            let Some(c) = st.codes.get_mut(code) else {
                return Answer::oidc_error("InvalidGrantException", "Invalid authorization code");
            };
            let why = if c.used {
                Some("Authorization code already used")
            } else if c.client_id != client.client_id {
                Some("Authorization code issued to another client")
            } else if c.redirect_uri != redirect {
                Some("redirectUri does not match the authorization request")
            } else if pkce_challenge(verifier) != c.challenge {
                Some("codeVerifier does not match the code challenge")
            } else {
                None
            };
            c.used = true;
            if let Some(why) = why {
                return Answer::oidc_error("InvalidGrantException", why);
            }
            answer(issue(st, &client.client_id, grant, wants_refresh))
        }
        "refresh_token" => {
            let presented = req.json_str("refreshToken").unwrap_or("");
            let refuse = st.refuse_refresh;
            let ok = match st.refresh.get(presented) {
                Some(r) => {
                    r.valid
                        && r.client_id == client.client_id
                        && r.expires > SystemTime::now()
                        && !refuse
                }
                None => false,
            };
            if !ok {
                return Answer::oidc_error("InvalidGrantException", "Invalid refresh token");
            }
            let old = st.refresh.get_mut(presented).unwrap();
            old.valid = false;
            let old_access = old.access_token.clone();
            if let Some(a) = st.access.get_mut(&old_access) {
                a.valid = false;
            }
            answer(issue(st, &client.client_id, grant, true))
        }
        "" => Answer::oidc_error("InvalidRequestException", "grantType is required"),
        other => Answer::oidc_error(
            "UnsupportedGrantTypeException",
            &format!("Unsupported grant type {other}"),
        ),
    }
}

/// Whether REDIRECT matches REGISTERED: the same, or both loopback `http` URIs differing
/// only by port (RFC 8252 §7.3).
fn redirect_matches(registered: &str, redirect: &str) -> bool {
    let strip_port = |u: &str| -> Option<String> {
        let rest = u.strip_prefix("http://127.0.0.1")?;
        let rest = match rest.strip_prefix(':') {
            Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
            None => rest,
        };
        Some(rest.to_string())
    };
    registered == redirect
        || matches!((strip_port(registered), strip_port(redirect)), (Some(a), Some(b)) if a == b)
}

fn authorize(st: &mut State, req: &Request) -> Answer {
    let q = |n: &str| req.query_param(n).unwrap_or("");
    let Some(client) = st.clients.get(q("client_id")).cloned() else {
        return Answer::text(400, "unknown client_id");
    };
    let redirect = q("redirect_uri");
    if !client
        .redirect_uris
        .iter()
        .any(|r| redirect_matches(r, redirect))
    {
        return Answer::text(400, "redirect_uri is not registered for this client");
    }
    if q("response_type") != "code" {
        return Answer::text(400, "response_type must be code");
    }
    if q("code_challenge_method") != "S256" || q("code_challenge").is_empty() {
        return Answer::text(
            400,
            "a code_challenge with code_challenge_method S256 is required",
        );
    }
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let state = percent_encode(q("state"));
    match st.authorize_outcome {
        AuthorizeOutcome::Deny => {
            Answer::redirect(format!("{redirect}{sep}error=access_denied&state={state}"))
        }
        outcome => {
            let code = format!("fakecode{}", random_hex());
            st.codes.insert(
                code.clone(),
                AuthCode {
                    client_id: client.client_id,
                    redirect_uri: redirect.to_string(),
                    challenge: q("code_challenge").to_string(),
                    used: false,
                },
            );
            let state = if outcome == AuthorizeOutcome::WrongState {
                format!("forged{}", random_hex())
            } else {
                state
            };
            Answer::redirect(format!("{redirect}{sep}code={code}&state={state}"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

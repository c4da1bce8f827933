//! The fake IAM Identity Center of `tests/sso_fake` speaks the real wire format: the real AWS
//! CLI (`aws sso …`, `aws sso-oidc …` from the test venv, botocore's own models) drives every
//! operation against it — register a client, the device flow, the authorization-code flow with
//! PKCE (this test playing the browser on `/authorize`), the refresh-token grant, paginated
//! listings, role credentials, logout — and names the errors it answers.
//!
//! The CLI runs with a clean environment, no credentials (the SSO operations are unsigned),
//! `cli_follow_urlparam = false` (AWS CLI v1 would otherwise fetch `--start-url https://…`)
//! and `max_attempts = 1`, so that every command is exactly the requests the test counts.

#[path = "sso_fake/mod.rs"]
mod sso_fake;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sso_fake::{
    account_id, account_name, http_get, pkce_pair, query_of, AuthorizeOutcome, DeviceOutcome,
    FakeSso, Setup, DEVICE_GRANT, START_URL,
};

const CLI_TIMEOUT: Duration = Duration::from_secs(120);

/// The test venv (`$CREDTRAY_TEST_VENV`, or `<repo>/.venv`) with the AWS CLI.
fn aws_bin() -> PathBuf {
    let dir = match std::env::var_os("CREDTRAY_TEST_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"),
    };
    let aws = dir.join("bin").join("aws");
    assert!(
        aws.is_file(),
        "the test venv has no {}: run scripts/test-venv.sh (CREDTRAY_TEST_VENV={:?})",
        aws.display(),
        std::env::var_os("CREDTRAY_TEST_VENV")
    );
    aws
}

/// What one CLI run printed.
struct Out {
    cmd: String,
    ok: bool,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {}\nok: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.cmd, self.ok, self.stdout, self.stderr
        )
    }
}

/// The AWS CLI pointed at a fake: `sso` commands at its portal URL, `sso-oidc` commands at
/// its OIDC URL, in a temporary HOME with its own config file.
struct Cli<'a> {
    sso: &'a FakeSso,
    dir: tempfile::TempDir,
}

impl<'a> Cli<'a> {
    fn new(sso: &'a FakeSso) -> Cli<'a> {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(
            dir.path().join("config"),
            "[default]\nregion = us-east-1\ncli_follow_urlparam = false\nmax_attempts = 1\nretry_mode = standard\n",
        )
        .expect("write the AWS config");
        Cli { sso, dir }
    }

    /// Runs `aws ARGS --endpoint-url … --region us-east-1 --output json`.
    fn run(&self, args: &[&str]) -> Out {
        let url = match args[0] {
            "sso" => self.sso.portal_url(),
            _ => self.sso.oidc_url(),
        };
        let mut child = Command::new(aws_bin())
            .args(args)
            .args([
                "--endpoint-url",
                &url,
                "--region",
                "us-east-1",
                "--output",
                "json",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the AWS CLI");
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out = thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let err = thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + CLI_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the AWS CLI") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`aws {}` did not finish within {CLI_TIMEOUT:?}",
                    args.join(" ")
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        Out {
            cmd: format!("aws {}", args.join(" ")),
            ok: status.success(),
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        }
    }

    /// Runs ARGS, asserts success and returns the printed JSON ({} when it printed nothing).
    #[track_caller]
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.ok,
            "command failed:\n{out}\nthe fake saw:\n{}",
            self.sso.describe()
        );
        if out.stdout.trim().is_empty() {
            return Value::Object(Default::default());
        }
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
    }

    /// Runs ARGS, asserts that it failed naming `(ERROR_TYPE)` and OPERATION, as botocore
    /// words a service error.
    #[track_caller]
    fn fails_with(&self, args: &[&str], error_type: &str, operation: &str) {
        let out = self.run(args);
        assert!(!out.ok, "command succeeded but should have failed:\n{out}");
        let expected =
            format!("An error occurred ({error_type}) when calling the {operation} operation");
        assert!(
            out.stderr.contains(&expected),
            "expected `{expected}` on stderr:\n{out}\nthe fake saw:\n{}",
            self.sso.describe()
        );
    }

    /// `aws sso-oidc register-client` for a public client with GRANTS; returns (id, secret).
    fn register(&self, grants: &[&str], redirect_uris: &[&str]) -> (String, String) {
        let mut args = vec![
            "sso-oidc",
            "register-client",
            "--client-name",
            "credtray-test",
            "--client-type",
            "public",
            "--scopes",
            "sso:account:access",
            "--issuer-url",
            START_URL,
            "--grant-types",
        ];
        args.extend_from_slice(grants);
        if !redirect_uris.is_empty() {
            args.push("--redirect-uris");
            args.extend_from_slice(redirect_uris);
        }
        let v = self.ok(&args);
        (s(&v, "clientId"), s(&v, "clientSecret"))
    }

    /// A device-flow sign-in with no pending poll; returns the CreateToken answer.
    fn device_sign_in(&self, id: &str, secret: &str) -> Value {
        let code = self.start_device(id, secret);
        self.ok(&device_token_args(id, secret, &code))
    }

    /// `aws sso-oidc start-device-authorization`; returns the device code.
    fn start_device(&self, id: &str, secret: &str) -> String {
        let v = self.ok(&[
            "sso-oidc",
            "start-device-authorization",
            "--client-id",
            id,
            "--client-secret",
            secret,
            "--start-url",
            START_URL,
        ]);
        s(&v, "deviceCode")
    }
}

fn device_token_args<'a>(id: &'a str, secret: &'a str, code: &'a str) -> Vec<&'a str> {
    vec![
        "sso-oidc",
        "create-token",
        "--client-id",
        id,
        "--client-secret",
        secret,
        "--grant-type",
        DEVICE_GRANT,
        "--device-code",
        code,
    ]
}

/// String member NAME of V (panics with V when absent).
#[track_caller]
fn s(v: &Value, name: &str) -> String {
    v.get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {name} in {v}"))
        .to_string()
}

/// The `&str`s of V.
fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn register_client_and_device_flow_pending_slow_down_then_approved() {
    let sso = FakeSso::start();
    let cli = Cli::new(&sso);
    let (id, secret) = cli.register(&[DEVICE_GRANT, "refresh_token"], &[]);

    // What the CLI sent, under the model's member names, and what it printed back.
    let reg = &sso.requests_to("/client/register")[0];
    assert_eq!(reg.method, "POST");
    assert_eq!(reg.json_str("clientName"), Some("credtray-test"));
    assert_eq!(reg.json_str("clientType"), Some("public"));
    assert_eq!(reg.json_str("issuerUrl"), Some(START_URL));
    assert_eq!(
        reg.body["scopes"],
        serde_json::json!(["sso:account:access"])
    );
    assert_eq!(
        reg.body["grantTypes"],
        serde_json::json!([DEVICE_GRANT, "refresh_token"])
    );
    let registered = &sso.registrations()[0];
    assert_eq!(
        (&id, &secret),
        (&registered.client_id, &registered.client_secret)
    );
    assert!(registered.secret_expires_at > now_secs() + 89 * 86_400);

    let started = cli.ok(&[
        "sso-oidc",
        "start-device-authorization",
        "--client-id",
        &id,
        "--client-secret",
        &secret,
        "--start-url",
        START_URL,
    ]);
    let auth = &sso.requests_to("/device_authorization")[0];
    assert_eq!(auth.json_str("clientId"), Some(id.as_str()));
    assert_eq!(auth.json_str("clientSecret"), Some(secret.as_str()));
    assert_eq!(auth.json_str("startUrl"), Some(START_URL));
    assert_eq!(started["interval"], 1);
    assert_eq!(started["expiresIn"], 600);
    let user_code = s(&started, "userCode");
    assert!(s(&started, "verificationUriComplete").ends_with(&user_code));
    let code = s(&started, "deviceCode");
    let poll = device_token_args(&id, &secret, &code);

    sso.set_pending_polls(1);
    cli.fails_with(&poll, "AuthorizationPendingException", "CreateToken");
    sso.slow_down_next();
    cli.fails_with(&poll, "SlowDownException", "CreateToken");
    let token = cli.ok(&poll);
    let sent = sso.last_token_request().unwrap();
    assert_eq!(sent.json_str("grantType"), Some(DEVICE_GRANT));
    assert_eq!(sent.json_str("deviceCode"), Some(code.as_str()));
    let issued = sso.issued_tokens();
    assert_eq!(issued.len(), 1, "one token for three polls");
    assert_eq!(s(&token, "accessToken"), issued[0].access_token);
    assert_eq!(Some(s(&token, "refreshToken")), issued[0].refresh_token);
    assert_eq!(s(&token, "tokenType"), "Bearer");
    assert_eq!(token["expiresIn"], 3600);
    assert!(sso.token_valid(&issued[0].access_token));
    // A device code is good for one token only.
    cli.fails_with(&poll, "InvalidGrantException", "CreateToken");
}

#[test]
fn device_flow_denied_expired_and_expired_registration() {
    let sso = FakeSso::start();
    let cli = Cli::new(&sso);
    let (id, secret) = cli.register(&[DEVICE_GRANT], &[]);
    let code = cli.start_device(&id, &secret);
    sso.set_device_outcome(DeviceOutcome::Deny);
    cli.fails_with(
        &device_token_args(&id, &secret, &code),
        "AccessDeniedException",
        "CreateToken",
    );
    sso.set_device_outcome(DeviceOutcome::Expire);
    cli.fails_with(
        &device_token_args(&id, &secret, &code),
        "ExpiredTokenException",
        "CreateToken",
    );
    assert!(sso.issued_tokens().is_empty());
    // A registration past its clientSecretExpiresAt is refused (401).
    sso.expire_registrations();
    cli.fails_with(
        &[
            "sso-oidc",
            "start-device-authorization",
            "--client-id",
            &id,
            "--client-secret",
            &secret,
            "--start-url",
            START_URL,
        ],
        "InvalidClientException",
        "StartDeviceAuthorization",
    );
    assert_eq!(
        sso.requests_to("/device_authorization")[1].status,
        Some(401)
    );
}

/// Plays the browser on `<oidc>/authorize` for CLIENT with a fresh PKCE pair; returns
/// (code, verifier, redirect_uri).
fn authorize(sso: &FakeSso, client: &str) -> (String, String, String) {
    let (verifier, challenge) = pkce_pair();
    let redirect = "http://127.0.0.1:54321/oauth/callback";
    let state = "st-4f2a/+ =";
    let url = format!(
        "{}/authorize?response_type=code&client_id={client}&redirect_uri={}&state={}&code_challenge={challenge}&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess",
        sso.oidc_url(),
        sso_fake::percent_encode(redirect),
        sso_fake::percent_encode(state),
    );
    let answer = http_get(&url).expect("GET /authorize");
    assert_eq!(answer.status, 302, "{answer:?}");
    let location = answer.location().expect("a Location").to_string();
    assert!(location.starts_with(&format!("{redirect}?")), "{location}");
    let q = query_of(&location);
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(get("state").as_deref(), Some(state), "{location}");
    let code = get("code").unwrap_or_else(|| panic!("no code in {location}"));
    (code, verifier, redirect.to_string())
}

#[test]
fn authorization_code_grant_checks_the_pkce_verifier_and_the_redirect() {
    // Separate ports: /authorize and /token are on the OIDC endpoint, not the portal's.
    let sso = FakeSso::start_separate(Setup::default());
    let cli = Cli::new(&sso);
    let (id, secret) = cli.register(
        &["authorization_code", "refresh_token"],
        &["http://127.0.0.1/oauth/callback"],
    );
    assert_eq!(
        sso.registrations()[0].redirect_uris,
        ["http://127.0.0.1/oauth/callback"]
    );
    let create = |code: &str, verifier: &str, redirect: &str| -> Vec<String> {
        [
            "sso-oidc",
            "create-token",
            "--client-id",
            &id,
            "--client-secret",
            &secret,
            "--grant-type",
            "authorization_code",
            "--code",
            code,
            "--code-verifier",
            verifier,
            "--redirect-uri",
            redirect,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };

    // A wrong verifier, then a wrong redirect URI: InvalidGrantException.
    let (code, _verifier, redirect) = authorize(&sso, &id);
    let (_, other_verifier) = pkce_pair();
    cli.fails_with(
        &args(&create(&code, &other_verifier, &redirect)),
        "InvalidGrantException",
        "CreateToken",
    );
    let (code, verifier, _) = authorize(&sso, &id);
    cli.fails_with(
        &args(&create(
            &code,
            &verifier,
            "http://127.0.0.1:1/oauth/callback",
        )),
        "InvalidGrantException",
        "CreateToken",
    );
    assert!(sso.issued_tokens().is_empty());

    // The right pair.
    let (code, verifier, redirect) = authorize(&sso, &id);
    let token = cli.ok(&args(&create(&code, &verifier, &redirect)));
    let sent = sso.last_token_request().unwrap();
    assert_eq!(sent.json_str("codeVerifier"), Some(verifier.as_str()));
    assert_eq!(sent.json_str("redirectUri"), Some(redirect.as_str()));
    assert_eq!(sent.json_str("code"), Some(code.as_str()));
    assert_eq!(sent.listener, sso_fake::Service::Oidc);
    let issued = &sso.issued_tokens()[0];
    assert_eq!(issued.grant, "authorization_code");
    assert_eq!(s(&token, "accessToken"), issued.access_token);
    assert_eq!(Some(s(&token, "refreshToken")), issued.refresh_token);
    // A code is good once.
    cli.fails_with(
        &args(&create(&code, &verifier, &redirect)),
        "InvalidGrantException",
        "CreateToken",
    );

    // The user denies: the redirect carries error=access_denied and the state, no code.
    sso.set_authorize_outcome(AuthorizeOutcome::Deny);
    let url = format!(
        "{}/authorize?response_type=code&client_id={id}&redirect_uri={}&state=abc&code_challenge=x&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess",
        sso.oidc_url(),
        sso_fake::percent_encode(&redirect),
    );
    let denied = http_get(&url).unwrap();
    assert_eq!(
        denied.location(),
        Some(format!("{redirect}?error=access_denied&state=abc").as_str())
    );
    // A forged callback: a code, but another state.
    sso.set_authorize_outcome(AuthorizeOutcome::WrongState);
    let forged = query_of(http_get(&url).unwrap().location().unwrap());
    assert!(forged.iter().any(|(k, _)| k == "code"), "{forged:?}");
    assert!(
        forged.iter().any(|(k, v)| k == "state" && v != "abc"),
        "{forged:?}"
    );
    // /authorize is not the portal's.
    let on_portal = http_get(&url.replace(&sso.oidc_url(), &sso.portal_url())).unwrap();
    assert_eq!(on_portal.status, 404);
}

#[test]
fn refresh_token_grant_rotates_both_tokens_and_can_be_refused() {
    let sso = FakeSso::start();
    let cli = Cli::new(&sso);
    let (id, secret) = cli.register(&[DEVICE_GRANT, "refresh_token"], &[]);
    let first = cli.device_sign_in(&id, &secret);
    let (access, refresh) = (s(&first, "accessToken"), s(&first, "refreshToken"));
    let grant = |r: &str| -> Vec<String> {
        [
            "sso-oidc",
            "create-token",
            "--client-id",
            &id,
            "--client-secret",
            &secret,
            "--grant-type",
            "refresh_token",
            "--refresh-token",
            r,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };

    let second = cli.ok(&args(&grant(&refresh)));
    assert_eq!(
        sso.last_token_request().unwrap().json_str("refreshToken"),
        Some(refresh.as_str())
    );
    let (access2, refresh2) = (s(&second, "accessToken"), s(&second, "refreshToken"));
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh);
    assert_eq!(sso.issued_tokens()[1].access_token, access2);
    assert!(
        !sso.token_valid(&access),
        "the old access token was invalidated"
    );
    assert!(sso.token_valid(&access2));
    // The old refresh token is spent; and a refused refresh is InvalidGrantException too.
    cli.fails_with(
        &args(&grant(&refresh)),
        "InvalidGrantException",
        "CreateToken",
    );
    sso.refuse_refresh(true);
    cli.fails_with(
        &args(&grant(&refresh2)),
        "InvalidGrantException",
        "CreateToken",
    );
    assert_eq!(sso.issued_tokens().len(), 2);
}

#[test]
fn list_accounts_pages_of_at_most_100() {
    let sso = FakeSso::start_with(Setup {
        accounts: 250,
        ..Setup::default()
    });
    let cli = Cli::new(&sso);
    let token = sso.issue_token().access_token;
    let listed = cli.ok(&["sso", "list-accounts", "--access-token", &token]);
    let list = listed["accountList"].as_array().expect("accountList");
    assert_eq!(list.len(), 250, "{listed}");
    for (i, a) in list.iter().enumerate() {
        assert_eq!(s(a, "accountId"), account_id(i + 1));
        assert_eq!(s(a, "accountName"), account_name(i + 1));
        assert_eq!(
            s(a, "emailAddress"),
            format!("{}@example.com", account_name(i + 1))
        );
    }
    let reqs = sso.requests_to("/assignment/accounts");
    assert_eq!(reqs.len(), 3, "{}", sso.describe());
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(r.method, "GET");
        assert_eq!(r.bearer(), Some(token.as_str()));
        assert!(
            r.query_param("max_result")
                .is_none_or(|m| m.parse::<u32>().unwrap() <= 100),
            "{r:?}"
        );
        assert_eq!(r.query_param("next_token").is_some(), i > 0, "{r:?}");
    }

    // An explicit page size travels as max_result.
    cli.ok(&[
        "sso",
        "list-accounts",
        "--access-token",
        &token,
        "--page-size",
        "40",
    ]);
    let reqs = sso.requests_to("/assignment/accounts");
    assert_eq!(reqs.len(), 3 + 7, "{}", sso.describe());
    assert!(reqs[3..]
        .iter()
        .all(|r| r.query_param("max_result") == Some("40")));
}

#[test]
fn list_account_roles_and_get_role_credentials_carry_what_was_issued() {
    let sso = FakeSso::start();
    let cli = Cli::new(&sso);
    let token = sso.issue_token().access_token;
    let account = account_id(2);
    let roles = cli.ok(&[
        "sso",
        "list-account-roles",
        "--access-token",
        &token,
        "--account-id",
        &account,
    ]);
    assert_eq!(
        roles["roleList"],
        serde_json::json!([
            {"roleName": "Admin", "accountId": account},
            {"roleName": "ReadOnly", "accountId": account},
            {"roleName": "Billing", "accountId": account},
        ])
    );
    let req = &sso.requests_to("/assignment/roles")[0];
    assert_eq!(req.query_param("account_id"), Some(account.as_str()));
    assert_eq!(req.bearer(), Some(token.as_str()));

    let get = |role: &str| {
        cli.ok(&[
            "sso",
            "get-role-credentials",
            "--access-token",
            &token,
            "--account-id",
            &account,
            "--role-name",
            role,
        ])
    };
    let before_ms = now_secs() * 1000;
    let first = get("ReadOnly");
    let second = get("ReadOnly");
    let issued = sso.issued_credentials();
    assert_eq!(issued.len(), 2);
    for (printed, issued) in [&first, &second].iter().zip(&issued) {
        let rc = &printed["roleCredentials"];
        assert_eq!(s(rc, "accessKeyId"), issued.access_key_id);
        assert_eq!(s(rc, "secretAccessKey"), issued.secret_access_key);
        assert_eq!(s(rc, "sessionToken"), issued.session_token);
        assert_eq!(rc["expiration"].as_i64(), Some(issued.expiration_ms));
        assert!(issued.access_key_id.starts_with("ASIA"));
        assert_eq!(
            (issued.account_id.as_str(), issued.role_name.as_str()),
            (account.as_str(), "ReadOnly")
        );
        let ahead = issued.expiration_ms - before_ms;
        assert!(
            (3_590_000..=3_700_000).contains(&ahead),
            "expiration {ahead} ms ahead"
        );
    }
    assert_ne!(issued[0].access_key_id, issued[1].access_key_id);
    let req = &sso.requests_to("/federation/credentials")[0];
    assert_eq!(req.query_param("role_name"), Some("ReadOnly"));
    assert_eq!(req.query_param("account_id"), Some(account.as_str()));

    // A role the user does not have: the real portal's ForbiddenException (not in the model).
    cli.fails_with(
        &[
            "sso",
            "get-role-credentials",
            "--access-token",
            &token,
            "--account-id",
            &account,
            "--role-name",
            "Nope",
        ],
        "ForbiddenException",
        "GetRoleCredentials",
    );
    assert_eq!(
        sso.requests_to("/federation/credentials")[2].status,
        Some(403)
    );
    assert_eq!(sso.issued_credentials().len(), 2);
}

#[test]
fn logout_revokes_the_access_token() {
    let sso = FakeSso::start();
    let cli = Cli::new(&sso);
    let token = sso.issue_token().access_token;
    let list = ["sso", "list-accounts", "--access-token", token.as_str()];
    cli.ok(&list);
    cli.ok(&["sso", "logout", "--access-token", &token]);
    let logout = &sso.requests_to("/logout")[0];
    assert_eq!(logout.method, "POST");
    assert_eq!(logout.bearer(), Some(token.as_str()));
    assert!(!sso.token_valid(&token));
    cli.fails_with(&list, "UnauthorizedException", "ListAccounts");
    assert_eq!(sso.requests_to("/assignment/accounts")[1].status, Some(401));
}

#[test]
fn throttled_call_is_too_many_requests() {
    let sso = FakeSso::start();
    let cli = Cli::new(&sso);
    let token = sso.issue_token().access_token;
    // One request in the bucket, refilled once in 1,000 s.
    sso.throttle_with_burst(0.001, 1.0);
    let list = ["sso", "list-accounts", "--access-token", token.as_str()];
    cli.ok(&list);
    assert_eq!(sso.throttled_count(), 0);
    cli.fails_with(&list, "TooManyRequestsException", "ListAccounts");
    assert_eq!(sso.throttled_count(), 1);
    assert_eq!(sso.requests_to("/assignment/accounts")[1].status, Some(429));
}

#[test]
fn unauthorized_calls_name_unauthorized_exception() {
    let sso = FakeSso::start_with(Setup {
        accounts: 150,
        ..Setup::default()
    });
    let cli = Cli::new(&sso);
    cli.fails_with(
        &["sso", "list-accounts", "--access-token", "not-a-token"],
        "UnauthorizedException",
        "ListAccounts",
    );
    // Mid-sync: the first page succeeds, the token dies before the second.
    let token = sso.issue_token().access_token;
    sso.unauthorize_after(1);
    cli.fails_with(
        &["sso", "list-accounts", "--access-token", &token],
        "UnauthorizedException",
        "ListAccounts",
    );
    let statuses: Vec<_> = sso
        .requests_to("/assignment/accounts")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(401), Some(200), Some(401)]);
    assert!(!sso.token_valid(&token));
    // A token issued after (a refresh) works again, until it expires.
    let fresh = sso.issue_token().access_token;
    cli.ok(&["sso", "list-accounts", "--access-token", &fresh]);
    sso.expire_access_tokens();
    cli.fails_with(
        &[
            "sso",
            "get-role-credentials",
            "--access-token",
            &fresh,
            "--account-id",
            &account_id(1),
            "--role-name",
            "Admin",
        ],
        "UnauthorizedException",
        "GetRoleCredentials",
    );
    assert!(sso.issued_credentials().is_empty());
}

/// Not the CLI: the throttle's bookkeeping, with requests fired as fast as one thread can.
#[test]
fn throttle_counts_what_it_refused_and_max_rate_sees_bursts() {
    let sso = FakeSso::start();
    let token = sso.issue_token().access_token;
    // 20 in the bucket, refilled at 1 per second.
    sso.throttle_with_burst(1.0, 20.0);
    let host = sso.portal_url()["http://".len()..].to_string();
    let started = Instant::now();
    let mut refused = 0;
    for _ in 0..30 {
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        write!(
            stream,
            "GET /assignment/accounts HTTP/1.1\r\nHost: {host}\r\nx-amz-sso_bearer_token: {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        if answer.starts_with("HTTP/1.1 429") {
            assert!(
                answer.contains("x-amzn-ErrorType: TooManyRequestsException"),
                "{answer}"
            );
            refused += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let refilled = elapsed.ceil() as usize;
    assert!(
        (10usize.saturating_sub(refilled)..=10).contains(&refused),
        "{refused} of 30 refused in {elapsed:.3}s"
    );
    assert_eq!(sso.throttled_count(), refused);
    if elapsed < 1.0 {
        assert_eq!(sso.max_rate_seen(Duration::from_secs(1)), 30);
    }
    assert_eq!(sso.max_rate_seen(Duration::from_nanos(1)), 1);
}

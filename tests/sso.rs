//! End to end: IAM Identity Center integrations with the real `credtray` binary, a real
//! gnome-keyring, the fake SSO portal + SSO-OIDC of `tests/sso_fake` (reached through
//! `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL_SSO_OIDC`), moto for STS and the real AWS CLI
//! reading back. The "browser" is a small Python script named by `BROWSER`: it records the
//! URL it was given and, for the authorization-code flow, GETs the authorize page and follows
//! its redirect to credtray's loopback listener, as a browser would.

mod common;
#[path = "sso_fake/mod.rs"]
mod sso_fake;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use sso_fake::{account_id, account_name, FakeSso, Setup, DEVICE_GRANT, START_URL};

const REGION: &str = "eu-west-1";
const ALIAS: &str = "corp";

/// One test's world: the fake SSO, a sandbox (with moto when STS is needed) and the browser
/// scripts.
struct World {
    sso: FakeSso,
    sb: Sandbox,
    _moto: Option<Moto>,
    /// Follows the authorize redirect (the authorization-code flow).
    follow: PathBuf,
    /// Only records the URL (the device flow).
    noop: PathBuf,
    /// One line per URL either script was given.
    browser_log: PathBuf,
}

impl World {
    fn new(setup: Setup, with_moto: bool) -> World {
        require_keychain();
        let moto = with_moto.then(Moto::start);
        let sb = match &moto {
            Some(m) => Sandbox::new(m),
            None => Sandbox::offline(),
        };
        let sso = FakeSso::start_with(setup);
        let browser_log = sb.root().join("browser.log");
        let script = |name: &str, follow: bool| {
            let path = sb.root().join(name);
            let body = format!(
                "#!/usr/bin/python3\n\
                 import sys, urllib.request\n\
                 url = sys.argv[-1]\n\
                 with open({log:?}, 'a') as f:\n    f.write(url + '\\n')\n\
                 if {follow}:\n    urllib.request.urlopen(url, timeout=60).read()\n",
                log = browser_log.display().to_string(),
                follow = if follow { "True" } else { "False" },
            );
            std::fs::write(&path, body).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            path
        };
        let follow = script("browser-follow.py", true);
        let noop = script("browser-noop.py", false);
        World {
            sso,
            sb,
            _moto: moto,
            follow,
            noop,
            browser_log,
        }
    }

    /// `credtray ARGS` pointed at the fake, with the following browser.
    fn ct(&self, args: &[&str]) -> Cmd<'_> {
        self.ct_with(args, &self.follow)
    }

    /// `credtray ARGS` pointed at the fake, with BROWSER = `browser`.
    fn ct_with(&self, args: &[&str], browser: &PathBuf) -> Cmd<'_> {
        let mut cmd = self.sb.credtray(args).env("BROWSER", browser);
        for (k, v) in self.sso.endpoint_env() {
            cmd = cmd.env(k, v);
        }
        cmd
    }

    /// Runs `session start` of two sessions in two processes at once (the following
    /// browser), and asserts both succeed.
    fn start_both_at_once(&self, a: &str, b: &str) {
        let spawn = |alias: &str| {
            let mut cmd = self.sb.credtray_command();
            cmd.args(["session", "start", alias])
                .env("BROWSER", &self.follow)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            for (k, v) in self.sso.endpoint_env() {
                cmd.env(k, v);
            }
            cmd.spawn().unwrap()
        };
        let children = [spawn(a), spawn(b)];
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// The URLs the browser scripts were given so far.
    fn browser_urls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.browser_log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Adds the integration, returns its id.
    fn add(&self) -> String {
        let out = self
            .ct(&[
                "integration",
                "add",
                "--alias",
                ALIAS,
                "--start-url",
                START_URL,
                "--region",
                REGION,
            ])
            .run()
            .ok();
        expect_id(&out)
    }

    /// Adds the integration and signs in with the browser (PKCE); returns its id.
    fn add_and_login(&self) -> String {
        let id = self.add();
        self.ct(&["integration", "login", ALIAS]).run().ok();
        id
    }

    /// `integration list --json`: the entry of our integration.
    fn integration(&self) -> Value {
        let out = self
            .sb
            .credtray(&["integration", "list", "--json"])
            .run()
            .ok();
        let v = out.json();
        v.as_array()
            .unwrap()
            .iter()
            .find(|i| i["alias"] == ALIAS)
            .cloned()
            .unwrap_or_else(|| panic!("no integration {ALIAS} in {v:#}"))
    }

    fn integrations(&self) -> Vec<Value> {
        let out = self
            .sb
            .credtray(&["integration", "list", "--json"])
            .run()
            .ok();
        out.json().as_array().unwrap().clone()
    }

    fn sessions(&self) -> Vec<Value> {
        self.sb.session_list().as_array().unwrap().clone()
    }

    fn aliases(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .sessions()
            .iter()
            .map(|s| s["alias"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    }

    fn state_json(&self) -> String {
        std::fs::read_to_string(self.sb.config_dir.join("state.json")).unwrap_or_default()
    }

    /// The grant types of every CreateToken so far.
    fn grants(&self) -> Vec<String> {
        self.sso
            .requests_to("/token")
            .iter()
            .map(|r| r.json_str("grantType").unwrap_or("").to_string())
            .collect()
    }
}

/// The secret of keychain item `account` (service credtray), if any.
fn keychain_get(account: &str) -> Option<String> {
    for attr in ["username", "account"] {
        let out = Command::new("secret-tool")
            .args(["lookup", "service", "credtray", attr, account])
            .stdin(Stdio::null())
            .output()
            .expect("run secret-tool");
        if out.status.success() && !out.stdout.is_empty() {
            return Some(String::from_utf8_lossy(&out.stdout).into_owned());
        }
    }
    None
}

fn token_item(id: &str, what: &str) -> Option<String> {
    keychain_get(&format!("integration/{id}/{what}"))
}

/// `<account name> / <role>` of account N.
fn sso_alias(n: usize, role: &str) -> String {
    format!("{} / {role}", account_name(n))
}

// ---------------------------------------------------------------------------------------------

#[test]
fn add_refuses_bad_input_naming_the_field_and_stores_nothing() {
    let w = World::new(Setup::default(), false);
    let add = |alias: &str, url: &str, region: &str| {
        w.ct(&[
            "integration",
            "add",
            "--alias",
            alias,
            "--start-url",
            url,
            "--region",
            region,
        ])
        .run()
    };
    let err = add(ALIAS, "http://d-fake.awsapps.com/start", REGION).fails();
    assert!(err.contains("start URL") && err.contains("https"), "{err}");
    let err = add(ALIAS, START_URL, "mars-1").fails();
    assert!(err.contains("region"), "{err}");
    assert!(w.integrations().is_empty(), "nothing stored");
    add(ALIAS, START_URL, REGION).ok();
    let before = w.state_json();
    let err = add(ALIAS, "https://other.awsapps.com/start", "us-east-1").fails();
    assert!(err.contains("alias") && err.contains(ALIAS), "{err}");
    assert_eq!(w.integrations().len(), 1);
    assert_eq!(w.state_json(), before, "a refused add changes nothing");
    assert!(w.sso.requests().is_empty(), "add contacts no one");
}

#[test]
fn login_with_pkce_stores_tokens_in_the_keychain_and_syncs() {
    let w = World::new(Setup::default(), false);
    let id = w.add();
    let out = w.ct(&["integration", "login", ALIAS]).run().ok();

    // RegisterClient: public client, code + refresh grants, issuer = start URL.
    let regs = w.sso.registrations();
    assert_eq!(regs.len(), 1, "{}", w.sso.describe());
    let reg = &regs[0];
    assert!(
        reg.grant_types.contains(&"authorization_code".to_string())
            && reg.grant_types.contains(&"refresh_token".to_string()),
        "{reg:?}"
    );
    assert_eq!(reg.issuer_url.as_deref(), Some(START_URL));
    assert_eq!(reg.scopes, ["sso:account:access"]);

    // The browser was given the authorize URL; CreateToken's verifier matches its challenge.
    let urls = w.browser_urls();
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert!(urls[0].starts_with(&format!("{}/authorize?", w.sso.oidc_url())));
    let authorize = w.sso.requests_to("/authorize");
    assert_eq!(authorize.len(), 1);
    let challenge = authorize[0]
        .query_param("code_challenge")
        .unwrap()
        .to_string();
    let tokens = w.sso.requests_to("/token");
    let code_req = tokens
        .iter()
        .find(|r| r.json_str("grantType") == Some("authorization_code"))
        .unwrap_or_else(|| panic!("no authorization_code grant:\n{}", w.sso.describe()));
    let verifier = code_req.json_str("codeVerifier").unwrap();
    assert_eq!(sso_fake::pkce_challenge(verifier), challenge);
    assert_eq!(code_req.status, Some(200));

    // The keychain holds what the fake issued; state.json none of it.
    let issued = w.sso.issued_tokens();
    let t = issued
        .iter()
        .find(|t| t.grant == "authorization_code")
        .unwrap();
    let access = token_item(&id, "sso-access-token").expect("access token in the keychain");
    let access: Value = serde_json::from_str(&access).expect("the access token item is JSON");
    assert_eq!(access["token"], t.access_token.as_str());
    assert_eq!(
        token_item(&id, "sso-refresh-token").as_deref(),
        t.refresh_token.as_deref()
    );
    let client = token_item(&id, "sso-client").expect("registration in the keychain");
    assert!(client.contains(&reg.client_secret));
    let state = w.state_json();
    for secret in [
        &t.access_token,
        t.refresh_token.as_ref().unwrap(),
        &reg.client_secret,
    ] {
        assert!(
            !state.contains(secret.as_str()),
            "state.json holds a secret"
        );
        assert!(!out.stderr.contains(secret.as_str()) && !out.stdout.contains(secret.as_str()));
    }

    // Listed as logged in, with the expiry and the sessions of its sync.
    let i = w.integration();
    assert_eq!(i["status"], "logged-in", "{i:#}");
    assert!(i["token_expires"].is_string(), "{i:#}");
    assert_eq!(i["sessions"], 9, "{i:#}");
    let s = w.sb.session(&sso_alias(1, "Admin"));
    assert_eq!(s["kind"], "aws-sso");
    assert_eq!(s["profile"], "default");
    assert_eq!(s["region"], REGION);
    assert_eq!(s["account_id"], account_id(1));
    assert_eq!(w.sessions().len(), 9);
}

#[test]
fn login_with_the_device_code_polls_until_approved() {
    let w = World::new(Setup::default(), false);
    w.sso.set_pending_polls(2);
    w.add();
    let out = w
        .ct_with(
            &["integration", "login", ALIAS, "--use-device-code"],
            &w.noop,
        )
        .run()
        .ok();
    let regs = w.sso.registrations();
    assert_eq!(regs.len(), 1);
    assert!(regs[0].grant_types.contains(&DEVICE_GRANT.to_string()));
    let device = w.sso.requests_to("/device_authorization");
    assert_eq!(device.len(), 1);
    assert_eq!(device[0].json_str("startUrl"), Some(START_URL));
    let polls: Vec<_> = w
        .sso
        .requests_to("/token")
        .into_iter()
        .filter(|r| r.json_str("grantType") == Some(DEVICE_GRANT))
        .collect();
    assert_eq!(polls.len(), 3, "{}", w.sso.describe());
    assert_eq!(
        polls[0].error.as_deref(),
        Some("AuthorizationPendingException")
    );
    assert_eq!(polls[2].status, Some(200));
    let urls = w.browser_urls();
    assert_eq!(urls.len(), 1, "{urls:?}");
    let code = urls[0]
        .strip_prefix("https://device.sso.us-east-1.amazonaws.com/?user_code=")
        .unwrap_or_else(|| panic!("not the verification URL: {urls:?}"));
    assert!(out.stderr.contains(code), "the code is shown:\n{out}");
    assert_eq!(w.integration()["status"], "logged-in");
    assert_eq!(w.sessions().len(), 9);
}

#[test]
fn an_sso_session_writes_exactly_the_issued_credentials() {
    let w = World::new(Setup::default(), true);
    w.add_and_login();
    let alias = sso_alias(2, "ReadOnly");
    w.sb.credtray(&["session", "edit", &alias, "--profile", "sso"])
        .run()
        .ok();
    w.ct(&["session", "start", &alias]).run().ok();
    let issued = w.sso.issued_credentials();
    assert_eq!(issued.len(), 1);
    let c = &issued[0];
    assert_eq!(
        (c.account_id.as_str(), c.role_name.as_str()),
        (account_id(2).as_str(), "ReadOnly")
    );
    let creds = w.sb.credentials_text();
    assert_eq!(
        ini_section(&creds, "sso").unwrap(),
        vec![
            ("aws_access_key_id".to_string(), c.access_key_id.clone()),
            (
                "aws_secret_access_key".to_string(),
                c.secret_access_key.clone()
            ),
            ("aws_session_token".to_string(), c.session_token.clone()),
        ],
        "{}",
        w.sb.dump()
    );
    assert_eq!(
        ini_get(&w.sb.config_text(), "profile sso", "region").as_deref(),
        Some(REGION)
    );
    let got =
        w.sb.aws(&["configure", "get", "aws_access_key_id", "--profile", "sso"])
            .ok();
    assert_eq!(got.stdout.trim(), c.access_key_id);
    w.sb.caller_arn("sso")
        .expect("the AWS CLI uses the profile");
    w.sb.credtray(&["session", "stop", &alias]).run().ok();
    assert_eq!(ini_section(&w.sb.credentials_text(), "sso"), None);
    assert!(!w.sb.credentials_text().contains(&c.access_key_id));
}

#[test]
fn a_chained_role_below_an_sso_session_assumes_its_role() {
    let w = World::new(Setup::default(), true);
    w.add_and_login();
    let parent = sso_alias(1, "Admin");
    w.add_chained_below(&parent);
    w.ct(&["session", "start", "below-sso"]).run().ok();
    assert_eq!(
        w.sso.issued_credentials().len(),
        1,
        "the parent's credentials were fetched"
    );
    w.sb.assert_caller("chained", &assumed_role_arn("from-sso", "credtray"));
    // Signing out stops what that sign-in gave, the chained role included.
    w.ct(&["integration", "logout", ALIAS]).run().ok();
    assert!(!w.sb.is_active("below-sso"));
    assert_eq!(ini_section(&w.sb.credentials_text(), "chained"), None);
}

impl World {
    fn add_chained_below(&self, parent: &str) {
        self.sb
            .add_chained("below-sso", parent, "from-sso", "chained", &[]);
    }
}

#[test]
fn a_resync_keeps_choices_adds_the_new_and_removes_the_vanished() {
    let w = World::new(
        Setup {
            accounts: 3,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    let kept = sso_alias(1, "Admin");
    let gone = sso_alias(2, "Admin");
    let kept_id = w.sb.session_id(&kept);
    w.sb.credtray(&[
        "session",
        "edit",
        &kept,
        "--profile",
        "work",
        "--region",
        "us-west-2",
    ])
    .run()
    .ok();
    w.ct(&["session", "start", &kept]).run().ok();
    w.sb.credtray(&["session", "edit", &gone, "--profile", "gone"])
        .run()
        .ok();
    w.ct(&["session", "start", &gone]).run().ok();
    let gone_key = w.sso.issued_credentials()[1].access_key_id.clone();
    assert!(w.sb.credentials_text().contains(&gone_key));

    // Accounts 1 and 3 stay, account 2 goes, account 4 is new.
    w.sso.set_accounts(4);
    assert!(w.sso.remove_account(&account_id(2)));
    let out = w.ct(&["integration", "sync", ALIAS]).run().ok();
    assert!(out.stderr.contains("removed"), "{out}");

    let s = w.sb.session(&kept);
    assert_eq!(s["id"], kept_id.as_str());
    assert_eq!(
        (s["profile"].as_str(), s["region"].as_str()),
        (Some("work"), Some("us-west-2"))
    );
    assert_eq!(s["active"], true);
    assert_eq!(
        w.aliases(),
        [
            sso_alias(1, "Admin"),
            sso_alias(3, "Admin"),
            sso_alias(4, "Admin")
        ]
    );
    let creds = w.sb.credentials_text();
    assert!(!creds.contains(&gone_key), "{}", w.sb.dump());
    assert_eq!(ini_section(&creds, "gone"), None);
    assert!(ini_section(&creds, "work").is_some());
}

#[test]
fn a_sync_of_100_accounts_stays_under_the_throttle() {
    let w = World::new(
        Setup {
            accounts: 3,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    w.sso.set_accounts(100);
    let before = w.sso.requests().len();
    w.sso.throttle(20.0);
    let t0 = Instant::now();
    let out = w
        .ct(&["integration", "sync", ALIAS])
        .timeout(Duration::from_secs(60))
        .run()
        .ok();
    let took = t0.elapsed();
    let portal_requests = w.sso.requests()[before..]
        .iter()
        .filter(|r| r.service == sso_fake::Service::Portal)
        .count();
    let max_rate = w.sso.max_rate_seen(Duration::from_secs(1));
    let throttled = w.sso.throttled_count();
    eprintln!(
        "SYNC 100 accounts: {took:?}, {portal_requests} portal requests, max_rate_seen {max_rate}/s, throttled {throttled}"
    );
    assert_eq!(w.sessions().len(), 100, "{out}");
    for n in [1, 50, 100] {
        w.sb.session(&sso_alias(n, "Admin"));
    }
    assert!(max_rate <= 21, "max rate {max_rate}");
    assert!(throttled <= 2, "throttled {throttled}");
}

#[test]
fn a_sync_refused_midway_renews_the_token_once_and_completes() {
    let w = World::new(
        Setup {
            accounts: 3,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    w.sso.set_accounts(30);
    let refreshes = w.grants().iter().filter(|g| *g == "refresh_token").count();
    let before = w.sso.requests().len();
    w.sso.unauthorize_after(10);
    w.ct(&["integration", "sync", ALIAS]).run().ok();
    let refused = w.sso.requests()[before..]
        .iter()
        .filter(|r| r.error.as_deref() == Some("UnauthorizedException"))
        .count();
    assert!(refused >= 1, "the portal refused the token mid-sync");
    assert_eq!(w.sessions().len(), 30);
    let after = w.grants().iter().filter(|g| *g == "refresh_token").count();
    assert_eq!(after, refreshes + 1, "{}", w.sso.describe());
    assert_eq!(w.browser_urls().len(), 1, "no second browser sign-in");
}

#[test]
fn a_start_near_expiry_refreshes_the_token_and_a_refused_refresh_signs_in_again() {
    let w = World::new(
        Setup {
            accounts: 1,
            roles: vec!["Admin".into()],
            token_lifetime: Duration::from_secs(10),
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    let alias = sso_alias(1, "Admin");
    let count = |g: &str| w.grants().iter().filter(|x| *x == g).count();
    let refreshes = count("refresh_token");
    w.ct(&["session", "start", &alias]).run().ok();
    assert_eq!(
        count("refresh_token"),
        refreshes + 1,
        "{}",
        w.sso.describe()
    );
    assert_eq!(w.browser_urls().len(), 1, "no new browser sign-in");
    let used = w
        .sso
        .issued_credentials()
        .last()
        .unwrap()
        .access_token
        .clone();
    let latest = w.sso.issued_tokens().last().unwrap().clone();
    assert_eq!(latest.grant, "refresh_token");
    assert_eq!(used, latest.access_token);

    // A refused refresh: the CLI signs in again in the browser.
    w.sso.refuse_refresh(true);
    let codes = count("authorization_code");
    let out = w.ct(&["session", "start", &alias]).run();
    eprintln!("REFUSED REFRESH:\n{out}");
    out.ok();
    assert_eq!(
        count("authorization_code"),
        codes + 1,
        "{}",
        w.sso.describe()
    );
    assert_eq!(w.browser_urls().len(), 2);
    assert_eq!(w.integration()["status"], "logged-in");
}

#[test]
fn logout_revokes_forgets_and_stops() {
    let w = World::new(
        Setup {
            accounts: 2,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    let id = w.add_and_login();
    let alias = sso_alias(1, "Admin");
    w.ct(&["session", "start", &alias]).run().ok();
    assert!(w.sb.credentials_text().contains("aws_session_token"));
    let token = w.sso.issued_tokens().last().unwrap().access_token.clone();
    w.ct(&["integration", "logout", ALIAS]).run().ok();
    let logouts = w.sso.requests_to("/logout");
    assert_eq!(logouts.len(), 1, "{}", w.sso.describe());
    assert_eq!(logouts[0].bearer(), Some(token.as_str()));
    assert!(!w.sso.token_valid(&token));
    assert_eq!(token_item(&id, "sso-access-token"), None);
    assert_eq!(token_item(&id, "sso-refresh-token"), None);
    assert!(!w.sb.is_active(&alias));
    assert!(
        !w.sb.credentials_text().contains("aws_session_token"),
        "{}",
        w.sb.dump()
    );
    assert_eq!(w.integration()["status"], "logged-out");
}

#[test]
fn remove_takes_the_sessions_and_keychain_items_with_it() {
    let w = World::new(
        Setup {
            accounts: 2,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    let id = w.add_and_login();
    let alias = sso_alias(1, "Admin");
    let sid = w.sb.session_id(&alias);
    w.ct(&["session", "start", &alias]).run().ok();
    assert!(!keychain_accounts_of(&id).is_empty());
    // With no terminal to confirm on, nothing is removed without --yes.
    let err = w.ct(&["integration", "remove", ALIAS]).run().fails();
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(w.integrations().len(), 1);
    assert!(w.sb.is_active(&alias));
    w.ct(&["integration", "remove", ALIAS, "--yes"]).run().ok();
    assert!(w.integrations().is_empty());
    assert!(w.sessions().is_empty());
    assert_eq!(keychain_accounts_of(&id), Vec::<String>::new());
    assert_eq!(keychain_accounts_of(&sid), Vec::<String>::new());
    assert!(!w.sb.credentials_text().contains("aws_"), "{}", w.sb.dump());
}

#[test]
fn a_cancelled_sign_in_stores_no_token() {
    let w = World::new(Setup::default(), false);
    let id = w.add();
    let out = w.cancelled(&["integration", "login", ALIAS], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(token_item(&id, "sso-access-token"), None);
    assert_eq!(token_item(&id, "sso-refresh-token"), None);
    assert_eq!(w.integration()["status"], "logged-out");
    assert!(w.sessions().is_empty());
    assert_eq!(w.sso.count("/token"), 0, "no CreateToken after a cancel");
}

#[test]
fn a_denied_sign_in_says_so_and_stores_nothing() {
    let w = World::new(Setup::default(), false);
    let id = w.add();
    w.sso
        .set_authorize_outcome(sso_fake::AuthorizeOutcome::Deny);
    let err = w.ct(&["integration", "login", ALIAS]).run().fails();
    assert!(
        err.contains("corp") && err.contains("access_denied"),
        "{err}"
    );
    assert_eq!(token_item(&id, "sso-access-token"), None);
    assert_eq!(w.integration()["status"], "logged-out");
    assert_eq!(w.sso.count("/token"), 0);
}

#[test]
fn an_unreachable_endpoint_is_named() {
    let w = World::new(Setup::default(), false);
    let id = w.add();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let err = w
        .ct(&["integration", "login", ALIAS])
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &closed)
        .run()
        .fails();
    assert!(
        err.contains("corp") && err.contains("AWS_ENDPOINT_URL_SSO_OIDC"),
        "{err}"
    );
    assert_eq!(token_item(&id, "sso-access-token"), None);
    assert_eq!(w.integration()["status"], "logged-out");
}

#[test]
fn an_sso_session_changes_only_profile_and_region() {
    let w = World::new(
        Setup {
            accounts: 1,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    let alias = sso_alias(1, "Admin");
    let err =
        w.sb.credtray(&["session", "edit", &alias, "--alias", "mine"])
            .run()
            .fails();
    assert!(err.contains("alias"), "{err}");
    w.sb.session(&alias);
}

#[test]
fn a_device_sign_in_is_renewed_with_the_device_code() {
    let w = World::new(
        Setup {
            accounts: 1,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    w.add();
    w.ct_with(
        &["integration", "login", ALIAS, "--use-device-code"],
        &w.noop,
    )
    .run()
    .ok();
    // The refresh is refused and the token runs out: the next start signs in again, the way
    // the user chose (a headless machine has no browser for a redirect to come back to).
    w.sso.refuse_refresh(true);
    w.sso.expire_access_tokens();
    w.expire_stored_token();
    let devices = w.sso.count("/device_authorization");
    let out = w
        .ct_with(&["session", "start", &sso_alias(1, "Admin")], &w.noop)
        .timeout(Duration::from_secs(60))
        .run();
    assert_eq!(
        w.sso.count("/device_authorization"),
        devices + 1,
        "{out}\n{}",
        w.sso.describe()
    );
    out.ok();
}

impl World {
    /// Time passes: the stored access token (keychain) and the state's sign-in expired in
    /// 2000.
    fn expire_stored_token(&self) {
        let state = self.sb.config_dir.join("state.json");
        let mut st: Value = serde_json::from_str(&self.state_json()).unwrap();
        for i in st["integrations"].as_array_mut().unwrap() {
            i["sign_in"]["expires_at"] = Value::String("2000-01-01T00:00:00Z".into());
        }
        std::fs::write(&state, serde_json::to_vec_pretty(&st).unwrap()).unwrap();
        let id = self.integration()["id"].as_str().unwrap().to_string();
        let access = token_item(&id, "sso-access-token").unwrap();
        let mut access: Value = serde_json::from_str(&access).unwrap();
        access["expires_at"] = Value::String("2000-01-01T00:00:00Z".into());
        let mut put = Command::new("secret-tool")
            .args([
                "store",
                "--label",
                "credtray test",
                "service",
                "credtray",
                "username",
                &format!("integration/{id}/sso-access-token"),
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        put.stdin
            .take()
            .unwrap()
            .write_all(access.to_string().as_bytes())
            .unwrap();
        assert!(put.wait().unwrap().success());
    }

    /// Runs `credtray ARGS` (the browser that only records), waits until the browser was
    /// opened for the Nth time, then Ctrl-C.
    fn cancelled(&self, args: &[&str], nth: usize) -> std::process::Output {
        let mut cmd = self.sb.credtray_command();
        cmd.args(args)
            .env("BROWSER", &self.noop)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in self.sso.endpoint_env() {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        assert!(
            wait_until(Duration::from_secs(30), || self.browser_urls().len() >= nth),
            "the browser was never opened"
        );
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
        child.wait_with_output().unwrap()
    }
}

#[test]
fn a_refused_refresh_with_the_sign_in_cancelled_leaves_the_integration_expired() {
    let w = World::new(
        Setup {
            accounts: 1,
            roles: vec!["Admin".into()],
            ..Setup::default()
        },
        false,
    );
    let id = w.add_and_login();
    w.sso.refuse_refresh(true);
    w.expire_stored_token();
    let out = w.cancelled(&["session", "start", &sso_alias(1, "Admin")], 2);
    assert!(!out.status.success());
    assert_eq!(token_item(&id, "sso-refresh-token"), None);
    let i = w.integration();
    assert_eq!(i["status"], "expired", "{i:#}");
}

#[test]
fn two_starts_refreshing_at_once_share_one_sign_in() {
    let w = World::new(
        Setup {
            accounts: 2,
            roles: vec!["Admin".into()],
            token_lifetime: Duration::from_secs(10),
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    w.sso.set_latency(Duration::from_millis(300));
    // Both processes find the token near its end and refresh it; the portal rotates refresh
    // tokens, so the loser of the race presents one that was just used.
    w.start_both_at_once(&sso_alias(1, "Admin"), &sso_alias(2, "Admin"));
    assert_eq!(
        w.browser_urls().len(),
        1,
        "a refresh race must not end in a new browser sign-in:\n{}",
        w.sso.describe()
    );
}

#[test]
fn two_processes_needing_a_new_sign_in_share_one() {
    let w = World::new(
        Setup {
            accounts: 2,
            roles: vec!["Admin".into()],
            token_lifetime: Duration::from_secs(60),
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    // The token is refused by the portal and cannot be renewed: both processes need the
    // user to sign in again.
    w.sso.refuse_refresh(true);
    w.sso.expire_access_tokens();
    w.sso.set_latency(Duration::from_millis(200));
    w.start_both_at_once(&sso_alias(1, "Admin"), &sso_alias(2, "Admin"));
    assert_eq!(
        w.browser_urls().len(),
        2,
        "the login's sign-in, then one more shared by both processes:\n{}",
        w.sso.describe()
    );
    assert_eq!(
        w.grants()
            .iter()
            .filter(|g| *g == "authorization_code")
            .count(),
        2
    );
}

/// The headless agent with its log in a file, pointed at the fake; killed when dropped.
struct Agent {
    child: std::process::Child,
    log: PathBuf,
}

impl Agent {
    fn start(w: &World) -> Agent {
        let log = w.sb.root().join("agent.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = w.sb.credtray_command();
        cmd.arg("agent")
            .env("CREDTRAY_LOG", "credtray=info")
            .env("BROWSER", &w.noop)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        for (k, v) in w.sso.endpoint_env() {
            cmd.env(k, v);
        }
        Agent {
            child: cmd.spawn().unwrap(),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_integration_that_cannot_renew_is_reported_once_not_per_session() {
    let w = World::new(
        Setup {
            accounts: 1,
            roles: vec!["Admin".into(), "ReadOnly".into()],
            // Inside the 5-minute renewal margin from the start (every use wants a refresh),
            // and within the 30 s a token that cannot be renewed is still used for.
            token_lifetime: Duration::from_secs(20),
            credentials_lifetime_secs: 900,
            ..Setup::default()
        },
        false,
    );
    w.add_and_login();
    let (admin, read) = (sso_alias(1, "Admin"), sso_alias(1, "ReadOnly"));
    // Both sessions' credentials are due for refresh at once, and so is the token.
    w.sb.set_margin(43_200);
    // Two profiles, so that both can be active at once.
    w.sb.credtray(&["session", "edit", &read, "--profile", "second"])
        .run()
        .ok();
    w.ct(&["session", "start", &admin]).run().ok();
    w.ct(&["session", "start", &read]).run().ok();
    // From now on the token cannot be renewed without the user.
    w.sso.refuse_refresh(true);
    let codes_before = w
        .grants()
        .iter()
        .filter(|g| *g == "authorization_code")
        .count();

    let agent = Agent::start(&w);
    // Each session's refresh meets the integration's need of a sign-in (logged per session
    // at debug level only); the integration is reported once.
    let waited = wait_until(Duration::from_secs(40), || {
        let log = agent.log();
        log.contains(&format!("session={admin}"))
            && log.contains(&format!("session={read}"))
            && log
                .matches("waits for a sign-in to its integration")
                .count()
                >= 2
    });
    let log = agent.log();
    assert!(waited, "both sessions met the expired sign-in:\n{log}");
    assert_eq!(
        log.matches("needs a new sign-in").count(),
        1,
        "one report for the integration, not one per session:\n{log}"
    );
    assert!(
        !log.contains("cannot refresh by itself"),
        "no per-session 'needs you' report:\n{log}"
    );
    assert_eq!(w.integration()["status"], "expired");
    assert_eq!(
        w.grants()
            .iter()
            .filter(|g| *g == "authorization_code")
            .count(),
        codes_before,
        "the agent never starts a browser sign-in by itself"
    );
    assert!(w.browser_urls().len() == 1, "{:?}", w.browser_urls());
    // The sessions keep their credentials until they run out.
    assert!(w.sb.is_active(&admin) && w.sb.is_active(&read));
}

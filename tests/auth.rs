//! Tests that know which secret was used (issue 7).
//!
//! Against a `moto_server` that checks SigV4 signatures and IAM permissions
//! (`tests/common/auth.rs`: IAM users `alice` and `bob` with real access keys), through a
//! recording proxy (`FakeSts::forwarding_to`) that shows which access key id signed each
//! request: a session signs with its own key and moto accepts the signature; the right key
//! id with the wrong secret, and keys swapped between two sessions, are refused with a
//! message that says the secret does not match, names the session and the command that
//! replaces the keys (which then works); the keychain holds exactly what was given and
//! what was written.
//!
//! Against the fake STS (`tests/faults`), which records every request: the MFA code and
//! device, the durations, a chained role's RoleArn / RoleSessionName / ExternalId, and that
//! each AssumeRole is signed with the credentials its parent's call just returned.
//!
//! No secret is shown in a failure message: keys go to credtray on stdin, to the AWS CLI in
//! its environment, and are compared with `assert_secret_eq`.

mod common;
#[path = "faults/mod.rs"]
mod faults;

use std::sync::{Mutex, OnceLock};

use common::auth::*;
use common::*;
use faults::*;

// ---------------------------------------------------------------------------------------------
// One checking moto for the binary (its IAM users are only read by the tests), killed at exit.

static AUTH_MOTO: OnceLock<Mutex<Option<AuthMoto>>> = OnceLock::new();

extern "C" {
    fn atexit(cb: extern "C" fn()) -> std::os::raw::c_int;
}

extern "C" fn stop_auth_moto() {
    if let Some(m) = AUTH_MOTO.get() {
        if let Ok(mut guard) = m.try_lock() {
            guard.take();
        }
    }
}

/// Runs F with the shared checking moto (started, set up and checked on first use).
fn with_auth_moto<T>(f: impl FnOnce(&AuthMoto) -> T) -> T {
    let cell = AUTH_MOTO.get_or_init(|| {
        let world = AuthMoto::start(&["alice", "bob"]);
        // SAFETY: registers a plain function with the C runtime; it runs once at exit.
        unsafe {
            atexit(stop_auth_moto);
        }
        Mutex::new(Some(world))
    });
    // Each test only reads the world; the lock is held just to copy what it needs.
    let guard = cell.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.as_ref().expect("the checking moto is running"))
}

/// What a test needs of the checking moto: its URL and the two users.
struct World {
    url: String,
    alice: IamUserKeys,
    bob: IamUserKeys,
}

fn world() -> World {
    require_keychain();
    with_auth_moto(|w| World {
        url: w.moto.url().to_string(),
        alice: w.user("alice").clone(),
        bob: w.user("bob").clone(),
    })
}

/// A sandbox whose credtray talks to the checking moto through a recording proxy.
fn sandbox(world: &World) -> (Sandbox, FakeSts) {
    let proxy = FakeSts::forwarding_to(&world.url);
    let sb = Sandbox::offline();
    (sb, proxy)
}

/// `credtray ARGS` with STS at `sts` (the proxy or the fake).
fn ct<'a>(sb: &'a Sandbox, sts: &FakeSts, args: &[&str]) -> Cmd<'a> {
    sb.credtray(args).env("AWS_ENDPOINT_URL_STS", sts.url())
}

/// Adds an iam-user session with these keys on stdin and returns its id.
#[track_caller]
fn add_user(sb: &Sandbox, alias: &str, profile: &str, akid: &str, secret: &str) -> String {
    let out = add_iam_user_with_keys(sb, alias, profile, akid, secret, &[]).ok();
    expect_id(&out)
}

/// The single `credtray: …` line of a failed credtray command, whose output must show none
/// of the SECRETS (access key ids and secret access keys).
#[track_caller]
fn error_line(out: Output, secrets: &[&str]) -> String {
    let shown = out.to_string();
    for (i, secret) in secrets.iter().enumerate() {
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "secret #{i} of {} appears in credtray's output (not shown here)",
            secrets.len()
        );
    }
    let stderr = out.fails();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("credtray: "))
        .collect();
    assert_eq!(lines.len(), 1, "one `credtray:` line:\n{shown}");
    eprintln!("{}", lines[0]);
    lines[0].to_string()
}

/// Asserts that LINE says the secret does not match the key id and names ALIAS and the
/// command that replaces the keys.
#[track_caller]
fn assert_secret_mismatch(line: &str, alias: &str) {
    assert!(
        line.contains(&format!("session '{alias}'")),
        "the error names the session '{alias}': {line}"
    );
    assert!(
        line.contains("secret access key does not match the access key id"),
        "the error says the secret does not match the key id: {line}"
    );
    assert!(
        line.contains(&format!("credtray session edit {alias} --access-keys")),
        "the error names the command that replaces the keys: {line}"
    );
}

/// Asserts that request R was signed with access key id KEY (WHO's), without showing the
/// key ids in full.
#[track_caller]
fn assert_signed_by(r: &Request, key: &str, who: &str, sts: &FakeSts) {
    assert!(
        r.access_key_id() == Some(key),
        "{} was signed by {}, not by {who}'s key {}:\n{}",
        r.action,
        r.access_key_id().map_or("nobody".to_string(), mask_key_id),
        mask_key_id(key),
        sts.describe()
    );
}

/// A made-up secret of the right shape that moto never issued.
const WRONG_SECRET: &str = "wrongSecretWrongSecretWrongSecretWrong000";

/// The secret item names of session ID in the keychain, without the id.
fn items_of(id: &str) -> Vec<String> {
    keychain_accounts_of(id)
        .into_iter()
        .map(|a| a.replacen(&format!("{id}/"), "", 1))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The recorders themselves: what a real client sends is what they record

#[test]
fn the_proxy_passes_signed_requests_to_moto_unchanged_and_records_the_signer() {
    let w = world();
    let (_sb, proxy) = sandbox(&w);
    // The AWS CLI signs with alice's key; moto checks the signature of what the proxy passed
    // on, so the proxy changed nothing that was signed.
    let out = aws_with_keys(
        &proxy.url(),
        &w.alice.access_key_id,
        &w.alice.secret_access_key,
        None,
        &["sts", "get-caller-identity"],
    )
    .ok();
    assert_eq!(
        out.json()["Arn"].as_str(),
        Some(w.alice.arn.as_str()),
        "{out}"
    );
    // A wrong secret: moto's refusal comes back through the proxy.
    let out = aws_with_keys(
        &proxy.url(),
        &w.alice.access_key_id,
        WRONG_SECRET,
        None,
        &["sts", "get-caller-identity"],
    );
    assert!(
        !out.success() && out.stderr.contains("SignatureDoesNotMatch"),
        "{out}"
    );
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 2, "{}", proxy.describe());
    for r in &reqs {
        assert_eq!(r.action, "GetCallerIdentity", "{}", proxy.describe());
        assert_signed_by(r, &w.alice.access_key_id, "alice", &proxy);
        assert_eq!(r.session_token, None, "{}", proxy.describe());
    }
    assert_eq!(reqs[0].status, Some(200), "{}", proxy.describe());
    assert_eq!(reqs[1].status, Some(403), "{}", proxy.describe());
}

#[test]
fn the_fake_records_the_signing_key_and_session_token_the_aws_cli_sends() {
    let fake = FakeSts::start();
    let (akid, secret, token) = fake_keys(77);
    let out = aws_with_keys(
        &fake.url(),
        &akid,
        &secret,
        Some(&token),
        &["sts", "get-session-token", "--duration-seconds", "1234"],
    )
    .ok();
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{}", fake.describe());
    assert_eq!(reqs[0].access_key_id(), Some(akid.as_str()));
    assert_eq!(reqs[0].session_token.as_deref(), Some(token.as_str()));
    assert_eq!(reqs[0].param("DurationSeconds"), Some("1234"));
    assert_eq!(reqs[0].status, Some(200));
    assert_eq!(
        reqs[0].issued_access_key_id(),
        out.json()["Credentials"]["AccessKeyId"].as_str(),
        "the fake records the key id it answered, as the CLI read it"
    );
}

// ---------------------------------------------------------------------------------------------
// moto checks the signature: which key signed

#[test]
fn an_iam_user_session_signs_with_its_own_key_and_moto_accepts_it() {
    let w = world();
    let (sb, proxy) = sandbox(&w);
    add_user(
        &sb,
        "alice-s",
        "pa",
        &w.alice.access_key_id,
        &w.alice.secret_access_key,
    );
    add_user(
        &sb,
        "bob-s",
        "pb",
        &w.bob.access_key_id,
        &w.bob.secret_access_key,
    );

    ct(&sb, &proxy, &["session", "start", "alice-s"]).run().ok();
    ct(&sb, &proxy, &["session", "start", "bob-s"]).run().ok();

    // One GetSessionToken per start, signed by the session's own key id, accepted by moto
    // (which recomputed the signature with that key's secret and checked the policy).
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 2, "{}", proxy.describe());
    for (r, user) in reqs.iter().zip([&w.alice, &w.bob]) {
        assert_eq!(r.action, "GetSessionToken", "{}", proxy.describe());
        assert_signed_by(r, &user.access_key_id, &user.user, &proxy);
        assert_eq!(r.session_token, None, "long-term keys carry no token");
        assert_eq!(r.status, Some(200), "{}", proxy.describe());
    }
    // What moto answered is what the credentials file got.
    let text = sb.credentials_text();
    for (profile, r) in [("pa", &reqs[0]), ("pb", &reqs[1])] {
        assert!(r.issued_access_key_id().is_some(), "{}", proxy.describe());
        assert_eq!(
            ini_get(&text, profile, "aws_access_key_id").as_deref(),
            r.issued_access_key_id(),
            "profile {profile}\n{}",
            sb.dump()
        );
    }
    assert!(sb.is_active("alice-s") && sb.is_active("bob-s"));
}

#[test]
fn the_right_key_id_with_a_wrong_secret_is_refused_as_a_secret_mismatch() {
    let w = world();
    let (sb, proxy) = sandbox(&w);
    let id = add_user(
        &sb,
        "alice-typo",
        "typo",
        &w.alice.access_key_id,
        WRONG_SECRET,
    );
    let before = sb.snapshot();
    let line = error_line(
        ct(&sb, &proxy, &["session", "start", "alice-typo"]).run(),
        &[
            &w.alice.access_key_id,
            &w.alice.secret_access_key,
            WRONG_SECRET,
        ],
    );
    assert_secret_mismatch(&line, "alice-typo");
    assert_eq!(sb.snapshot(), before, "nothing written to the AWS files");
    assert!(!sb.is_active("alice-typo"));
    assert_eq!(
        items_of(&id),
        ["access-key-id", "secret-access-key"],
        "no session token cached"
    );
    // The refusal is moto's: one request (not retried), with alice's key id, answered 403.
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 1, "{}", proxy.describe());
    assert_signed_by(&reqs[0], &w.alice.access_key_id, "alice", &proxy);
    assert_eq!(reqs[0].status, Some(403), "{}", proxy.describe());
}

#[test]
fn keys_swapped_between_two_sessions_are_both_refused_and_the_named_command_repairs_them() {
    let w = world();
    let (sb, proxy) = sandbox(&w);
    // Each session has the right key id and the other user's secret.
    add_user(
        &sb,
        "swap-a",
        "sa",
        &w.alice.access_key_id,
        &w.bob.secret_access_key,
    );
    add_user(
        &sb,
        "swap-b",
        "sb",
        &w.bob.access_key_id,
        &w.alice.secret_access_key,
    );
    let before = sb.snapshot();
    for alias in ["swap-a", "swap-b"] {
        let line = error_line(
            ct(&sb, &proxy, &["session", "start", alias]).run(),
            &[
                &w.alice.access_key_id,
                &w.alice.secret_access_key,
                &w.bob.access_key_id,
                &w.bob.secret_access_key,
            ],
        );
        assert_secret_mismatch(&line, alias);
        assert!(!sb.is_active(alias));
    }
    assert_eq!(sb.snapshot(), before, "nothing written to the AWS files");
    let reqs = proxy.requests();
    assert_eq!(
        reqs.len(),
        2,
        "one request per start:\n{}",
        proxy.describe()
    );
    assert_signed_by(&reqs[0], &w.alice.access_key_id, "alice", &proxy);
    assert_signed_by(&reqs[1], &w.bob.access_key_id, "bob", &proxy);
    assert!(
        reqs.iter().all(|r| r.status == Some(403)),
        "{}",
        proxy.describe()
    );

    // The command the message names replaces the keys; the session then signs as alice.
    sb.credtray(&["session", "edit", "swap-a", "--access-keys"])
        .stdin_str(&format!(
            "{}\n{}\n",
            w.alice.access_key_id, w.alice.secret_access_key
        ))
        .run()
        .ok();
    ct(&sb, &proxy, &["session", "start", "swap-a"]).run().ok();
    let last = proxy.requests().pop().unwrap();
    assert_signed_by(&last, &w.alice.access_key_id, "alice", &proxy);
    assert_eq!(last.status, Some(200), "{}", proxy.describe());
    assert_eq!(
        ini_get(&sb.credentials_text(), "sa", "aws_access_key_id").as_deref(),
        last.issued_access_key_id(),
        "{}",
        sb.dump()
    );
    assert!(!sb.is_active("swap-b"));

    // Replacing the keys of the active session restarts it at once: the next request is
    // signed by the new key, and what it issued is what the file serves.
    let n = proxy.requests().len();
    ct(&sb, &proxy, &["session", "edit", "swap-a", "--access-keys"])
        .stdin_str(&format!(
            "{}\n{}\n",
            w.bob.access_key_id, w.bob.secret_access_key
        ))
        .run()
        .ok();
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), n + 1, "{}", proxy.describe());
    let last = &reqs[n];
    assert_signed_by(last, &w.bob.access_key_id, "bob", &proxy);
    assert_eq!(last.status, Some(200), "{}", proxy.describe());
    assert!(sb.is_active("swap-a"));
    assert_eq!(
        ini_get(&sb.credentials_text(), "sa", "aws_access_key_id").as_deref(),
        last.issued_access_key_id(),
        "{}",
        sb.dump()
    );
    let state = std::fs::read_to_string(sb.config_dir.join("state.json")).expect("state.json");
    for secret in [
        &w.alice.secret_access_key,
        &w.bob.secret_access_key,
        &w.alice.access_key_id,
        &w.bob.access_key_id,
    ] {
        assert!(!state.contains(secret.as_str()), "a key reached state.json");
    }
}

#[test]
fn a_chained_role_over_a_wrong_secret_names_the_parent_whose_keys_are_wrong() {
    let w = world();
    let (sb, proxy) = sandbox(&w);
    add_user(&sb, "bad-parent", "bp", &w.bob.access_key_id, WRONG_SECRET);
    sb.add_chained("over-bad", "bad-parent", "Any", "ob", &[]);
    let before = sb.snapshot();
    let line = error_line(
        ct(&sb, &proxy, &["session", "start", "over-bad"]).run(),
        &[&w.bob.access_key_id, &w.bob.secret_access_key, WRONG_SECRET],
    );
    assert_secret_mismatch(&line, "bad-parent");
    assert_eq!(sb.snapshot(), before, "nothing written to the AWS files");
    let reqs = proxy.requests();
    assert_eq!(
        reqs.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        ["GetSessionToken"],
        "no AssumeRole without the parent's credentials:\n{}",
        proxy.describe()
    );
    assert_signed_by(&reqs[0], &w.bob.access_key_id, "bob", &proxy);
    assert_eq!(reqs[0].status, Some(403), "{}", proxy.describe());
}

#[test]
fn an_access_key_id_moto_never_issued_is_refused_as_unknown() {
    let w = world();
    let (sb, proxy) = sandbox(&w);
    let made_up = "AKIAMADEUPNEVERISSUED";
    add_user(&sb, "ghost", "gh", made_up, WRONG_SECRET);
    let before = sb.snapshot();
    let line = error_line(
        ct(&sb, &proxy, &["session", "start", "ghost"]).run(),
        &[made_up, WRONG_SECRET],
    );
    assert!(line.contains("session 'ghost'"), "{line}");
    assert!(
        line.contains("AWS does not know the access key id")
            && line.contains("InvalidClientTokenId"),
        "an unknown key id is not called a secret mismatch: {line}"
    );
    assert!(
        line.contains("credtray session edit ghost --access-keys"),
        "{line}"
    );
    assert_eq!(sb.snapshot(), before);
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 1, "{}", proxy.describe());
    assert_signed_by(&reqs[0], made_up, "the session", &proxy);
    assert_eq!(reqs[0].status, Some(403), "{}", proxy.describe());
}

// ---------------------------------------------------------------------------------------------
// The keychain holds what was given, and what was written

#[test]
fn the_keychain_holds_the_keys_given_and_the_token_written_until_the_session_is_removed() {
    let w = world();
    let (sb, proxy) = sandbox(&w);
    let id = add_user(
        &sb,
        "kc-alice",
        "kc",
        &w.alice.access_key_id,
        &w.alice.secret_access_key,
    );
    let akid_item = format!("{id}/access-key-id");
    let secret_item = format!("{id}/secret-access-key");
    let token_item = format!("{id}/session-token");
    assert_eq!(items_of(&id), ["access-key-id", "secret-access-key"]);
    let stored_akid = keychain_value(&akid_item);
    let stored_secret = keychain_value(&secret_item);
    assert_secret_eq(&akid_item, stored_akid.as_deref(), &w.alice.access_key_id);
    assert_secret_eq(
        &secret_item,
        stored_secret.as_deref(),
        &w.alice.secret_access_key,
    );
    // What is stored is alice's working key pair, as moto sees it.
    let out = aws_with_keys(
        &w.url,
        stored_akid.as_deref().unwrap(),
        stored_secret.as_deref().unwrap(),
        None,
        &["sts", "get-caller-identity"],
    )
    .ok();
    assert_eq!(out.json()["Arn"].as_str(), Some(w.alice.arn.as_str()));

    ct(&sb, &proxy, &["session", "start", "kc-alice"])
        .run()
        .ok();
    let text = sb.credentials_text();
    let written = |k: &str| {
        ini_get(&text, "kc", k).unwrap_or_else(|| panic!("no {k} under [kc]:\n{}", sb.dump()))
    };
    let raw = keychain_value(&token_item).expect("a cached session token after the start");
    let cached: serde_json::Value =
        serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{token_item} is not JSON ({e})"));
    assert_eq!(
        cached["access_key_id"].as_str(),
        Some(written("aws_access_key_id").as_str()),
        "the cached token's access key id is the one written"
    );
    assert_eq!(
        cached["access_key_id"].as_str(),
        proxy.requests()[0].issued_access_key_id(),
        "and the one moto issued"
    );
    assert_secret_eq(
        "the cached token's secret access key",
        cached["secret_access_key"].as_str(),
        &written("aws_secret_access_key"),
    );
    assert_secret_eq(
        "the cached token's session token",
        cached["session_token"].as_str(),
        &written("aws_session_token"),
    );
    assert!(
        cached["expiration"].is_string(),
        "the cached token has its expiration"
    );
    // The long-term keys are unchanged by the start.
    assert_secret_eq(
        &akid_item,
        keychain_value(&akid_item).as_deref(),
        &w.alice.access_key_id,
    );
    assert_secret_eq(
        &secret_item,
        keychain_value(&secret_item).as_deref(),
        &w.alice.secret_access_key,
    );

    sb.credtray(&["session", "stop", "kc-alice"]).run().ok();
    sb.credtray(&["session", "remove", "kc-alice"]).run().ok();
    assert_eq!(
        items_of(&id),
        Vec::<String>::new(),
        "remove deletes every item"
    );
    for item in [&akid_item, &secret_item, &token_item] {
        assert!(keychain_value(item).is_none(), "{item} is gone");
    }
}

// ---------------------------------------------------------------------------------------------
// What reaches STS: parameters and signers, recorded by the fake

/// A sandbox whose credtray talks to a fresh fake STS.
fn fake_world() -> (Sandbox, FakeSts) {
    require_keychain();
    (Sandbox::offline(), FakeSts::start())
}

#[test]
fn an_iam_user_session_sends_its_mfa_code_device_and_duration() {
    let (sb, fake) = fake_world();
    let serial = mfa_arn("rec-mfa");
    sb.add_iam_user(
        "rec-mfa",
        "p1",
        &["--mfa-serial", &serial, "--duration", "5400"],
    );
    ct(
        &sb,
        &fake,
        &["session", "start", "rec-mfa", "--mfa-code", "314159"],
    )
    .run()
    .ok();
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{}", fake.describe());
    let r = &reqs[0];
    assert_eq!(r.action, "GetSessionToken");
    assert_eq!(r.param("TokenCode"), Some("314159"), "the code typed");
    assert_eq!(
        r.param("SerialNumber"),
        Some(serial.as_str()),
        "the session's device"
    );
    assert_eq!(
        r.param("DurationSeconds"),
        Some("5400"),
        "the session's duration"
    );
    assert_signed_by(r, &sb.access_key_id, "the session", &fake);
    assert_eq!(r.session_token, None);
    assert_eq!(
        ini_get(&sb.credentials_text(), "p1", "aws_access_key_id").as_deref(),
        r.issued_access_key_id(),
        "{}",
        sb.dump()
    );
}

#[test]
fn an_iam_user_session_without_mfa_asks_for_36000_seconds_and_sends_no_code() {
    let (sb, fake) = fake_world();
    sb.add_iam_user("rec-plain", "p1", &[]);
    ct(&sb, &fake, &["session", "start", "rec-plain"])
        .run()
        .ok();
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{}", fake.describe());
    assert_eq!(reqs[0].param("DurationSeconds"), Some("36000"));
    assert_eq!(reqs[0].param("TokenCode"), None);
    assert_eq!(reqs[0].param("SerialNumber"), None);
    assert_signed_by(&reqs[0], &sb.access_key_id, "the session", &fake);
}

#[test]
fn chained_roles_send_their_fields_and_sign_with_the_credentials_their_parent_got() {
    let (sb, fake) = fake_world();
    let serial = mfa_arn("rec-base");
    sb.add_iam_user("rec-base", "base", &["--mfa-serial", &serial]);
    sb.add_chained(
        "rec-ops",
        "rec-base",
        "Ops",
        "ops",
        &[
            "--external-id",
            "ext-4711",
            "--role-session-name",
            "build-bot",
            "--duration",
            "1800",
        ],
    );
    sb.add_chained("rec-deep", "rec-ops", "Deep", "deep", &[]);
    sb.add_chained("rec-plain", "rec-base", "Plain", "plain", &[]);

    // The chained role: its parent's GetSessionToken (with the MFA code), then AssumeRole.
    ct(
        &sb,
        &fake,
        &["session", "start", "rec-ops", "--mfa-code", "271828"],
    )
    .run()
    .ok();
    let reqs = fake.requests();
    let actions: Vec<&str> = reqs.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["GetSessionToken", "AssumeRole"],
        "{}",
        fake.describe()
    );
    let (gst, ar) = (&reqs[0], &reqs[1]);
    assert_eq!(gst.param("TokenCode"), Some("271828"));
    assert_eq!(gst.param("SerialNumber"), Some(serial.as_str()));
    assert_signed_by(gst, &sb.access_key_id, "the parent session", &fake);
    assert_eq!(ar.param("RoleArn"), Some(role_arn("Ops").as_str()));
    assert_eq!(ar.param("RoleSessionName"), Some("build-bot"));
    assert_eq!(ar.param("ExternalId"), Some("ext-4711"));
    assert_eq!(ar.param("DurationSeconds"), Some("1800"));
    assert_eq!(
        ar.param("TokenCode"),
        None,
        "the MFA code goes to GetSessionToken only"
    );
    assert!(gst.issued_access_key_id().is_some(), "{}", fake.describe());
    assert_eq!(
        ar.access_key_id(),
        gst.issued_access_key_id(),
        "AssumeRole is signed with the key GetSessionToken returned:\n{}",
        fake.describe()
    );
    let (_, _, gst_token) = fake_keys(0);
    assert_eq!(
        ar.session_token.as_deref(),
        Some(gst_token.as_str()),
        "and carries its session token"
    );
    assert_eq!(
        ini_get(&sb.credentials_text(), "ops", "aws_access_key_id").as_deref(),
        ar.issued_access_key_id(),
        "the role's credentials are written:\n{}",
        sb.dump()
    );

    // A role chained on the role: its parent role is assumed again (signed with the cached
    // GetSessionToken key, no MFA code asked), and the deeper role with what that returned.
    let before = fake.requests().len();
    ct(&sb, &fake, &["session", "start", "rec-deep"]).run().ok();
    let reqs = fake.requests()[before..].to_vec();
    let actions: Vec<(&str, Option<&str>)> = reqs
        .iter()
        .map(|r| (r.action.as_str(), r.param("RoleArn")))
        .collect();
    assert_eq!(
        actions,
        [
            ("AssumeRole", Some(role_arn("Ops").as_str())),
            ("AssumeRole", Some(role_arn("Deep").as_str()))
        ],
        "{}",
        fake.describe()
    );
    assert_eq!(
        reqs[0].access_key_id(),
        gst.issued_access_key_id(),
        "the middle role is assumed with the cached token's key:\n{}",
        fake.describe()
    );
    assert!(reqs[0].issued_access_key_id().is_some());
    assert_eq!(
        reqs[1].access_key_id(),
        reqs[0].issued_access_key_id(),
        "the deeper AssumeRole is signed with the key its parent role just got:\n{}",
        fake.describe()
    );
    assert_eq!(
        ini_get(&sb.credentials_text(), "deep", "aws_access_key_id").as_deref(),
        reqs[1].issued_access_key_id(),
        "{}",
        sb.dump()
    );

    // Defaults, and the parent's cached token: no second GetSessionToken (no MFA code needed).
    let n = fake.count(Some("GetSessionToken"));
    ct(&sb, &fake, &["session", "start", "rec-plain"])
        .run()
        .ok();
    assert_eq!(
        fake.count(Some("GetSessionToken")),
        n,
        "the cached token is reused:\n{}",
        fake.describe()
    );
    let plain = fake.requests().pop().unwrap();
    assert_eq!(plain.action, "AssumeRole");
    assert_eq!(plain.param("RoleArn"), Some(role_arn("Plain").as_str()));
    assert_eq!(plain.param("RoleSessionName"), Some("credtray"));
    assert_eq!(plain.param("DurationSeconds"), Some("3600"));
    assert_eq!(plain.param("ExternalId"), None);
    assert_eq!(
        plain.access_key_id(),
        gst.issued_access_key_id(),
        "signed with the cached GetSessionToken key:\n{}",
        fake.describe()
    );
}

/// Runs `credtray ARGS` (STS at `sts`) on a pseudo-terminal made by util-linux `script`,
/// typing INPUT into it; returns the exit status and everything the terminal showed.
fn credtray_on_a_terminal(
    sb: &Sandbox,
    sts: &FakeSts,
    args: &[&str],
    input: &str,
) -> (std::process::ExitStatus, String) {
    use std::io::Write;
    let base = sb.credtray_command();
    let mut command = std::process::Command::new("script");
    command.env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            command.env(k, v);
        }
    }
    let line = std::iter::once(env!("CARGO_BIN_EXE_credtray"))
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    command
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("SHELL", "/bin/sh")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("run util-linux script");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .expect("type into the terminal");
    let out = child.wait_with_output().expect("wait for script");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, shown)
}

#[test]
fn an_mfa_code_typed_at_the_terminal_prompt_reaches_sts_once() {
    let (sb, fake) = fake_world();
    let serial = mfa_arn("rec-typed");
    sb.add_iam_user("rec-typed", "typed", &["--mfa-serial", &serial]);
    sb.add_chained("rec-typed-role", "rec-typed", "Typed", "typed-role", &[]);
    let (status, shown) = credtray_on_a_terminal(
        &sb,
        &fake,
        &["session", "start", "rec-typed-role"],
        "864209\n",
    );
    assert!(
        status.success(),
        "start on a terminal:\n{shown}\n{}",
        fake.describe()
    );
    assert!(
        shown.contains(&format!("MFA code for 'rec-typed' ({serial})")),
        "the prompt names the session and the device:\n{shown}"
    );
    let gst = fake.requests_for("GetSessionToken");
    assert_eq!(
        gst.len(),
        1,
        "one code, one GetSessionToken:\n{}",
        fake.describe()
    );
    assert_eq!(gst[0].param("TokenCode"), Some("864209"), "the code typed");
    assert_eq!(gst[0].param("SerialNumber"), Some(serial.as_str()));
    let ar = fake.requests_for("AssumeRole");
    assert_eq!(ar.len(), 1, "{}", fake.describe());
    assert_eq!(ar[0].access_key_id(), gst[0].issued_access_key_id());
    assert!(sb.is_active("rec-typed-role"));
}

//! "Which secret signed": a `moto_server` that checks SigV4 signatures and IAM policies, with
//! real IAM users and access keys created in it, and keychain reads of stored values.
//!
//! moto checks every request once `INITIAL_NO_AUTH_ACTION_COUNT` requests have been served
//! (it counts every request to a service, whatever its answer; `/moto-api/` calls, such as
//! the harness's readiness probe, are not counted). [`AuthMoto::start`] sets the count to
//! exactly the number of requests its IAM setup makes ([`setup_requests`]), makes them, and
//! then proves that checking is on: an unknown key is refused and each new key is accepted.
//!
//! What moto's checking mode does and does not do (moto 5.x, verified by these tests):
//! - a request signed with a known access key id and the wrong secret gets
//!   `SignatureDoesNotMatch`; an unknown access key id gets `InvalidClientTokenId`;
//! - GetSessionToken signed by a user's key answers moto's fixed example credentials
//!   (`AKIAIOSFODNN7EXAMPLE`), which moto itself then refuses (`InvalidClientTokenId`) for
//!   every later request — GetCallerIdentity and AssumeRole included. So under checking, the
//!   identity behind an `iam-user` session cannot be read back with the AWS CLI: what proves
//!   the key is that moto accepted the GetSessionToken signature, and a recording proxy in
//!   front of moto (`FakeSts::forwarding_to`, tests/faults) shows which key id signed it.
//!
//! Long-term secrets created here are handed over in memory (the setup script's stdout) and
//! to commands on stdin or in the environment, never on a command line; failure messages
//! never show them ([`assert_secret_eq`]).

use std::fmt;
use std::process::{Command, Stdio};

use super::{venv, Moto, Output, Sandbox};

/// An IAM user created in moto, with its access key.
#[derive(Clone)]
pub struct IamUserKeys {
    /// The user name.
    pub user: String,
    /// The user's ARN, as moto's GetCallerIdentity answers it for the user's long-term key.
    pub arn: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl fmt::Debug for IamUserKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamUserKeys")
            .field("user", &self.user)
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// How many requests the IAM setup of [`AuthMoto::start`] makes for `users` users:
/// CreatePolicy once, then CreateUser, AttachUserPolicy and CreateAccessKey per user.
pub fn setup_requests(users: usize) -> usize {
    1 + 3 * users
}

/// The setup, in the venv's Python (boto3): argv = endpoint, user names; prints a JSON list
/// of `{user, arn, access_key_id, secret_access_key}` on stdout. One attempt per request
/// (a retry would spend a free request), and nothing else is sent.
const SETUP_SCRIPT: &str = r#"
import json, sys
import boto3
from botocore.config import Config

url, users = sys.argv[1], sys.argv[2:]
iam = boto3.client(
    "iam",
    endpoint_url=url,
    region_name="us-east-1",
    aws_access_key_id="AKIASETUPNOTCHECKED0",
    aws_secret_access_key="not-checked-during-the-free-requests",
    config=Config(retries={"total_max_attempts": 1}),
)
policy = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}],
}
policy_arn = iam.create_policy(
    PolicyName="credtray-sts", PolicyDocument=json.dumps(policy)
)["Policy"]["Arn"]
out = []
for name in users:
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    out.append({
        "user": name,
        "arn": arn,
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
    })
json.dump(out, sys.stdout)
"#;

impl Moto {
    /// Starts a `moto_server` that serves the first `free` requests without checks, then
    /// checks the SigV4 signature and the IAM permissions of every request.
    pub fn start_with_auth(free: usize) -> Moto {
        Moto::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", &free.to_string())])
    }
}

/// A checking moto with IAM users and keys made through its free requests.
pub struct AuthMoto {
    /// The server.
    pub moto: Moto,
    /// The users, in the order asked for.
    pub users: Vec<IamUserKeys>,
}

impl AuthMoto {
    /// Starts moto with exactly [`setup_requests`]`(users.len())` free requests, creates the
    /// users (each allowed `sts:*`) and their access keys, and checks that signatures are
    /// checked from then on: a made-up key is refused with `InvalidClientTokenId`, and each
    /// user's key is answered with that user's ARN by the real AWS CLI.
    pub fn start(users: &[&str]) -> AuthMoto {
        let free = setup_requests(users.len());
        let moto = Moto::start_with_auth(free);
        let python = venv().join("bin").join("python");
        let home = tempfile::tempdir().expect("temp HOME for the setup");
        let out = Command::new(&python)
            .arg("-c")
            .arg(SETUP_SCRIPT)
            .arg(moto.url())
            .args(users)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", home.path().join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
        // stdout holds the secrets: never shown.
        assert!(
            out.status.success(),
            "the IAM setup in moto failed ({}):\n{}\n--- moto ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            moto.log()
        );
        let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("the IAM setup printed no JSON list ({e})"));
        let field = |v: &serde_json::Value, k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("the IAM setup gave no {k}"))
                .to_string()
        };
        let users: Vec<IamUserKeys> = list
            .iter()
            .map(|v| IamUserKeys {
                user: field(v, "user"),
                arn: field(v, "arn"),
                access_key_id: field(v, "access_key_id"),
                secret_access_key: field(v, "secret_access_key"),
            })
            .collect();
        let world = AuthMoto { moto, users };

        // From here on moto checks: a key it never issued is refused…
        let probe = world.aws_with_keys(
            "AKIANEVERISSUEDBYMOTO",
            "madeUpSecretThatMotoNeverSaw00000000000",
            &["sts", "get-caller-identity"],
        );
        assert!(
            !probe.success() && probe.stderr.contains("InvalidClientTokenId"),
            "moto does not check signatures after the {} setup requests (a made-up key was \
             not refused with InvalidClientTokenId):\n{probe}",
            free
        );
        // …and each new key is accepted as its user.
        for u in &world.users {
            let out = world.aws_with_keys(
                &u.access_key_id,
                &u.secret_access_key,
                &["sts", "get-caller-identity"],
            );
            assert!(
                out.success(),
                "moto refused user {}'s new key:\n{out}",
                u.user
            );
            assert_eq!(
                out.json()["Arn"].as_str(),
                Some(u.arn.as_str()),
                "moto's identity for user {}'s key:\n{out}",
                u.user
            );
        }
        world
    }

    /// The user named NAME.
    #[track_caller]
    pub fn user(&self, name: &str) -> &IamUserKeys {
        self.users
            .iter()
            .find(|u| u.user == name)
            .unwrap_or_else(|| panic!("no IAM user {name} was created"))
    }

    /// The real AWS CLI against this moto, signing with the given keys (see
    /// [`aws_with_keys`]).
    pub fn aws_with_keys(&self, access_key_id: &str, secret: &str, args: &[&str]) -> Output {
        aws_with_keys(self.moto.url(), access_key_id, secret, None, args)
    }
}

/// The real AWS CLI against ENDPOINT in us-east-1, JSON output, one attempt, signing with
/// the given keys (and session token), which are passed in its environment — never on the
/// command line — and no AWS files.
pub fn aws_with_keys(
    endpoint: &str,
    access_key_id: &str,
    secret: &str,
    session_token: Option<&str>,
    args: &[&str],
) -> Output {
    let home = tempfile::tempdir().expect("temp HOME for the AWS CLI");
    let mut command = Command::new(venv().join("bin").join("aws"));
    command
        .args(args)
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("none"))
        .env("AWS_ACCESS_KEY_ID", access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_DEFAULT_OUTPUT", "json")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    if let Some(token) = session_token {
        command.env("AWS_SESSION_TOKEN", token);
    }
    let out = command.output().expect("run the AWS CLI");
    Output {
        cmd: format!(
            "aws {} (keys of {}… in the environment)",
            args.join(" "),
            access_key_id.get(..4).unwrap_or("")
        ),
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        is_credtray: false,
    }
}

/// `credtray session add iam-user --alias ALIAS --profile PROFILE EXTRA…` with the given
/// access key id and secret piped on stdin (two lines); returns the command's output.
pub fn add_iam_user_with_keys(
    sb: &Sandbox,
    alias: &str,
    profile: &str,
    access_key_id: &str,
    secret_access_key: &str,
    extra_args: &[&str],
) -> Output {
    let mut args = vec![
        "session",
        "add",
        "iam-user",
        "--alias",
        alias,
        "--profile",
        profile,
    ];
    args.extend_from_slice(extra_args);
    sb.credtray(&args)
        .stdin_str(&format!("{access_key_id}\n{secret_access_key}\n"))
        .run()
}

/// The secret stored in the keychain under service `credtray` and ACCOUNT
/// (`<session-id>/<what>`), or None when there is no such item. Looked up with
/// `secret-tool` by the attribute the `keyring` crate sets (`username`, or `account`).
pub fn keychain_value(account: &str) -> Option<String> {
    for attribute in ["username", "account"] {
        let out = Command::new("secret-tool")
            .args(["lookup", "service", "credtray", attribute, account])
            .stdin(Stdio::null())
            .output()
            .expect("run secret-tool");
        // secret-tool prints the secret without a newline; exit 1 when nothing matched.
        if out.status.success() {
            return Some(String::from_utf8(out.stdout).expect("a keychain item is UTF-8"));
        }
    }
    None
}

/// Asserts that a secret read back equals the one given, without ever showing either:
/// the message says only which item, whether it was found, and the lengths.
#[track_caller]
pub fn assert_secret_eq(what: &str, got: Option<&str>, want: &str) {
    match got {
        None => panic!("{what}: not found"),
        Some(g) if g == want => {}
        Some(g) => panic!(
            "{what}: differs from what was given (got {} characters, expected {}; values not shown)",
            g.len(),
            want.len()
        ),
    }
}

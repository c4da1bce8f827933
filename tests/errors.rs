//! Bad input gets a clear error and changes nothing (DESIGN rule 13): malformed ini lines,
//! a non-UTF-8 file, unreadable files, a directory where a file should be, a corrupt state
//! file, no keychain, an unreachable endpoint, and each STS error — these through a fake
//! STS (`tests/faults/mod.rs`) that answers from a script, itself checked against the real
//! AWS CLI.
//!
//! Every failing command must exit non-zero with a `credtray: …` line on stderr that names
//! what is wrong (the file and line, the session), must not panic, and must leave the
//! credentials file, the config file and state.json byte for byte as they were.

mod common;
#[path = "faults/mod.rs"]
mod faults;

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::*;
use faults::*;

// ---------------------------------------------------------------------------------------------
// One moto for the whole binary: these tests talk to the fake STS; the sandbox only needs a
// moto to be built (and a default endpoint that answers). It is killed at exit.

static MOTO: OnceLock<Mutex<Option<Moto>>> = OnceLock::new();

extern "C" {
    fn atexit(cb: extern "C" fn()) -> std::os::raw::c_int;
}

extern "C" fn stop_shared_moto() {
    if let Some(m) = MOTO.get() {
        if let Ok(mut guard) = m.try_lock() {
            guard.take();
        }
    }
}

fn sandbox() -> Sandbox {
    let cell = MOTO.get_or_init(|| {
        let moto = Moto::start();
        // SAFETY: registers a plain function with the C runtime; it runs once at exit.
        unsafe {
            atexit(stop_shared_moto);
        }
        Mutex::new(Some(moto))
    });
    let guard = cell.lock().unwrap_or_else(|e| e.into_inner());
    Sandbox::new(guard.as_ref().expect("the shared moto is running"))
}

// ---------------------------------------------------------------------------------------------
// What "nothing changed" means: the bytes (or the kind) of the three files.

#[derive(Clone, PartialEq, Eq)]
enum Seen {
    Absent,
    Bytes(Vec<u8>),
    Link(PathBuf),
    Dir(Vec<String>),
    Unreadable(String),
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seen::Absent => write!(f, "(absent)"),
            Seen::Bytes(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            Seen::Link(t) => write!(f, "(symlink to {})", t.display()),
            Seen::Dir(e) => write!(f, "(directory holding {e:?})"),
            Seen::Unreadable(e) => write!(f, "(unreadable: {e})"),
        }
    }
}

fn seen(path: &Path) -> Seen {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Seen::Absent,
        Err(e) => Seen::Unreadable(e.to_string()),
        Ok(m) if m.file_type().is_symlink() => Seen::Link(fs::read_link(path).unwrap_or_default()),
        Ok(m) if m.is_dir() => {
            let mut names: Vec<String> = fs::read_dir(path)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            Seen::Dir(names)
        }
        Ok(_) => match fs::read(path) {
            Ok(b) => Seen::Bytes(b),
            Err(e) => Seen::Unreadable(e.to_string()),
        },
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Snapshot {
    credentials: Seen,
    config: Seen,
    state: Seen,
}

fn state_path(sb: &Sandbox) -> PathBuf {
    sb.config_dir.join("state.json")
}

fn snapshot(sb: &Sandbox) -> Snapshot {
    Snapshot {
        credentials: seen(&sb.credentials),
        config: seen(&sb.aws_config),
        state: seen(&state_path(sb)),
    }
}

#[track_caller]
fn assert_unchanged(sb: &Sandbox, before: &Snapshot, out: &dyn std::fmt::Display) {
    let shown = out.to_string();
    assert!(
        !shown.contains(&sb.secret_access_key) && !shown.contains(&sb.access_key_id),
        "the IAM user's long-term keys appear in credtray's output:\n{out}"
    );
    let after = snapshot(sb);
    assert!(
        &after == before,
        "a failed command changed the files\n--- before ---\n{before:#?}\n--- after ---\n{after:#?}\n--- command ---\n{out}"
    );
}

/// A finished command, from the harness or run by hand.
struct Res {
    cmd: String,
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

impl Res {
    fn success(&self) -> bool {
        self.status.success()
    }
}

impl std::fmt::Display for Res {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {}\nexit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.cmd, self.status, self.stdout, self.stderr
        )
    }
}

impl From<&Output> for Res {
    fn from(o: &Output) -> Res {
        Res {
            cmd: o.cmd.clone(),
            status: o.status,
            stdout: o.stdout.clone(),
            stderr: o.stderr.clone(),
        }
    }
}

/// Asserts that OUT is credtray failing cleanly (non-zero exit, no panic, a `credtray: …`
/// line), and that its `credtray:` line(s) mention each needle (case-insensitive; `a|b`
/// means a or b). Returns the error line(s).
#[track_caller]
fn expect_error<'a>(out: impl Into<ResRef<'a>>, needles: &[&str]) -> String {
    let res = match out.into() {
        ResRef::Harness(o) => Res::from(o),
        ResRef::Own(r) => Res {
            cmd: r.cmd.clone(),
            status: r.status,
            stdout: r.stdout.clone(),
            stderr: r.stderr.clone(),
        },
    };
    let out = &res;
    assert!(
        !out.status.success(),
        "command succeeded but should have failed:\n{out}"
    );
    assert!(
        !out.stderr.contains("panicked") && out.status.code() != Some(101),
        "credtray panicked instead of reporting an error:\n{out}"
    );
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("credtray: "))
        .collect();
    assert!(
        lines.len() == 1,
        "credtray failed without exactly one `credtray: <reason>` line on stderr:\n{out}"
    );
    let text = lines.join("\n");
    eprintln!("[{}]\n    {}", out.cmd, text.replace('\n', "\n    "));
    let lower = text.to_lowercase();
    for needle in needles {
        let ok = needle
            .split('|')
            .any(|alt| lower.contains(&alt.to_lowercase()));
        assert!(ok, "the error does not mention {needle:?}:\n{out}");
    }
    text
}

enum ResRef<'a> {
    Harness(&'a Output),
    Own(&'a Res),
}

impl<'a> From<&'a Output> for ResRef<'a> {
    fn from(o: &'a Output) -> Self {
        ResRef::Harness(o)
    }
}

impl<'a> From<&'a Res> for ResRef<'a> {
    fn from(o: &'a Res) -> Self {
        ResRef::Own(o)
    }
}

/// `credtray ARGS` against the fake STS.
fn ct<'a>(sb: &'a Sandbox, fake: &FakeSts, args: &[&str]) -> Cmd<'a> {
    sb.credtray(args).env("AWS_ENDPOINT_URL_STS", fake.url())
}

const USER_CREDENTIALS: &str = "# my own keys\n[work]\naws_access_key_id = AKIAUSEROWNKEY000001\naws_secret_access_key = userOwnSecret0000000000000000000000000001\n\n[other]\nregion = eu-west-1\n";
const USER_CONFIG: &str =
    "[default]\nregion = us-east-1\noutput = json\n\n[profile work]\nregion = eu-west-1\n";

// ---------------------------------------------------------------------------------------------
// The fake speaks real STS: the AWS CLI reads its answers

#[test]
fn the_fake_sts_speaks_the_wire_format_the_aws_cli_reads() {
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.write_credentials(format!(
        "[static]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        sb.access_key_id, sb.secret_access_key
    ));
    let message = "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:GetSessionToken";
    fake.script([Reply::access_denied(message)]);
    let run = |args: &[&str]| -> (bool, String, String) {
        let out = Command::new(venv().join("bin").join("aws"))
            .args(args)
            .args([
                "--endpoint-url",
                &fake.url(),
                "--region",
                "us-east-1",
                "--profile",
                "static",
                "--output",
                "json",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &sb.home)
            .env("AWS_SHARED_CREDENTIALS_FILE", &sb.credentials)
            .env("AWS_CONFIG_FILE", &sb.aws_config)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_MAX_ATTEMPTS", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run the AWS CLI");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // An error: the CLI shows the code and the message the fake sent.
    let (ok, stdout, stderr) = run(&[
        "sts",
        "get-session-token",
        "--serial-number",
        &mfa_arn("alice"),
        "--token-code",
        "123456",
    ]);
    assert!(
        !ok,
        "the CLI succeeded on a scripted AccessDenied:\n{stdout}{stderr}"
    );
    assert!(
        stderr.contains("(AccessDenied)") && stderr.contains("GetSessionToken") && stderr.contains(message),
        "the AWS CLI did not read the fake's error (code AccessDenied, message {message:?}):\n{stderr}\nrequests:\n{}",
        fake.describe()
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "one request, no retry:\n{}", fake.describe());
    assert_eq!(reqs[0].action, "GetSessionToken");
    assert!(
        reqs[0].has_token_code && reqs[0].has_serial_number,
        "TokenCode and SerialNumber recorded:\n{}",
        fake.describe()
    );
    assert_eq!(reqs[0].param("TokenCode"), Some("123456"));

    // A success: the CLI parses the credentials.
    let (ok, stdout, stderr) = run(&["sts", "get-session-token"]);
    assert!(
        ok,
        "the CLI failed on the fake's success answer:\n{stdout}{stderr}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    let c = &v["Credentials"];
    assert!(
        c["AccessKeyId"]
            .as_str()
            .is_some_and(|k| k.starts_with("ASIAFAKE")),
        "{stdout}"
    );
    assert!(
        c["SessionToken"].as_str().is_some_and(|t| !t.is_empty()),
        "{stdout}"
    );
    assert!(
        c["Expiration"]
            .as_str()
            .is_some_and(|e| e.starts_with("2030-01-01T00:00:00")),
        "{stdout}"
    );
    let reqs = fake.requests();
    assert!(
        !reqs[1].has_token_code && !reqs[1].has_serial_number,
        "{}",
        fake.describe()
    );

    // AssumeRole and GetCallerIdentity answers parse too.
    let (ok, stdout, stderr) = run(&[
        "sts",
        "assume-role",
        "--role-arn",
        &role_arn("Fake"),
        "--role-session-name",
        "credtray",
    ]);
    assert!(ok, "assume-role on the fake:\n{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["AssumedRoleUser"]["Arn"], "arn:aws:sts::123456789012:assumed-role/Fake/credtray",
        "{stdout}"
    );
    assert!(
        v["Credentials"]["AccessKeyId"]
            .as_str()
            .is_some_and(|k| k.starts_with("ASIAFAKE")),
        "{stdout}"
    );
    let (ok, stdout, stderr) = run(&["sts", "get-caller-identity"]);
    assert!(
        ok && stdout.contains("arn:aws:iam::123456789012:user/fake"),
        "{stdout}{stderr}"
    );

    // Throttling, as the CLI sees it (one attempt allowed).
    fake.script([Reply::throttling()]);
    let (ok, _, stderr) = run(&["sts", "get-session-token"]);
    assert!(
        !ok && stderr.contains("(Throttling)") && stderr.contains("Rate exceeded"),
        "{stderr}"
    );
    assert_eq!(fake.count(Some("AssumeRole")), 1);
    assert_eq!(fake.count(Some("GetCallerIdentity")), 1);
    assert_eq!(fake.count(Some("GetSessionToken")), 3);
}

// ---------------------------------------------------------------------------------------------
// The AWS files

/// An iam-user session on profile `p1` (no MFA), the AWS files seeded with the user's own
/// content, and the fake STS ready to answer.
fn user_world(alias: &str) -> (Sandbox, FakeSts) {
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.add_iam_user(alias, "p1", &[]);
    (sb, fake)
}

#[test]
fn a_malformed_line_in_the_credentials_file_is_reported_with_its_line() {
    let (sb, fake) = user_world("bad-ini-creds");
    // line 7 is not ini
    let text = format!("{USER_CREDENTIALS}\nthis is not ini\n[tail]\nregion = x\n");
    assert_eq!(text.lines().nth(8), Some("this is not ini"));
    sb.write_credentials(&text);
    sb.write_config(USER_CONFIG);
    let before = snapshot(&sb);
    let out = ct(&sb, &fake, &["session", "start", "bad-ini-creds"]).run();
    let path = sb.credentials.display().to_string();
    expect_error(&out, &[&path, "line 9|:9"]);
    assert_unchanged(&sb, &before, &out);
    assert!(
        !sb.is_active("bad-ini-creds"),
        "the session is not active after a failed start"
    );
}

#[test]
fn a_malformed_line_in_the_config_file_is_reported_with_its_line() {
    let (sb, fake) = user_world("bad-ini-config");
    sb.write_credentials(USER_CREDENTIALS);
    let text = "[default]\nregion = us-east-1\n\n[profile work]\nthis line is not ini\nregion = eu-west-1\n";
    sb.write_config(text);
    let before = snapshot(&sb);
    let out = ct(&sb, &fake, &["session", "start", "bad-ini-config"]).run();
    let path = sb.aws_config.display().to_string();
    let err = expect_error(&out, &[&path, "line 5|:5"]);
    assert!(
        !err.contains(&sb.credentials.display().to_string()),
        "the error blames the config file, not the credentials file:\n{out}"
    );
    // The credentials were written first, then the config edit failed: they must be gone
    // again, byte for byte.
    assert_unchanged(&sb, &before, &out);
    assert!(!sb.is_active("bad-ini-config"));
}

#[test]
fn a_non_utf8_credentials_file_is_reported_and_kept() {
    let (sb, fake) = user_world("non-utf8");
    let mut bytes = b"# caf\xe9 \xff\xfe keys\n".to_vec();
    bytes.extend_from_slice(USER_CREDENTIALS.as_bytes());
    sb.write_credentials(&bytes);
    sb.write_config(USER_CONFIG);
    let before = snapshot(&sb);
    let out = ct(&sb, &fake, &["session", "start", "non-utf8"]).run();
    let path = sb.credentials.display().to_string();
    expect_error(&out, &[&path, "utf-8|utf8"]);
    assert_unchanged(&sb, &before, &out);
}

#[test]
fn a_symlink_loop_at_the_credentials_path_is_reported() {
    let (sb, fake) = user_world("symlink-loop");
    sb.write_config(USER_CONFIG);
    let dir = sb.credentials.parent().unwrap();
    // credentials -> loop-b -> credentials
    std::os::unix::fs::symlink(dir.join("loop-b"), &sb.credentials).unwrap();
    std::os::unix::fs::symlink(&sb.credentials, dir.join("loop-b")).unwrap();
    let before = snapshot(&sb);
    let out = ct(&sb, &fake, &["session", "start", "symlink-loop"]).run();
    let path = sb.credentials.display().to_string();
    expect_error(
        &out,
        &[&format!("{}|{}", path, dir.join("loop-b").display())],
    );
    assert_unchanged(&sb, &before, &out);
    assert_eq!(
        seen(&dir.join("loop-b")),
        Seen::Link(sb.credentials.clone()),
        "the other link is untouched"
    );
}

#[test]
fn a_directory_where_the_credentials_file_should_be_is_reported() {
    let (sb, fake) = user_world("dir-creds");
    sb.write_config(USER_CONFIG);
    fs::create_dir_all(&sb.credentials).unwrap();
    fs::write(sb.credentials.join("keep-me"), b"x").unwrap();
    let before = snapshot(&sb);
    let out = ct(&sb, &fake, &["session", "start", "dir-creds"]).run();
    let path = sb.credentials.display().to_string();
    expect_error(&out, &[&path]);
    assert_unchanged(&sb, &before, &out);
    assert_eq!(fs::read(sb.credentials.join("keep-me")).unwrap(), b"x");
}

#[test]
fn a_directory_where_the_config_file_should_be_is_reported() {
    let (sb, fake) = user_world("dir-config");
    sb.write_credentials(USER_CREDENTIALS);
    fs::create_dir_all(&sb.aws_config).unwrap();
    let before = snapshot(&sb);
    let out = ct(&sb, &fake, &["session", "start", "dir-config"]).run();
    let path = sb.aws_config.display().to_string();
    expect_error(&out, &[&path]);
    assert_unchanged(&sb, &before, &out);
}

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    if fs::symlink_metadata(path)
        .map(|m| m.is_dir())
        .unwrap_or(false)
    {
        for e in fs::read_dir(path).unwrap().flatten() {
            chown_tree(&e.path(), uid, gid);
        }
    }
}

/// `credtray ARGS` as user nobody (through setpriv), with the sandbox's environment.
fn credtray_as_nobody(sb: &Sandbox, fake: &FakeSts, args: &[&str]) -> Res {
    let out = Command::new("setpriv")
        .args([
            &format!("--reuid={NOBODY}"),
            &format!("--regid={NOBODY}"),
            "--clear-groups",
            env!("CARGO_BIN_EXE_credtray"),
        ])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sb.home)
        .env("CREDTRAY_CONFIG_DIR", &sb.config_dir)
        .env("AWS_SHARED_CREDENTIALS_FILE", &sb.credentials)
        .env("AWS_CONFIG_FILE", &sb.aws_config)
        .env("AWS_ENDPOINT_URL_STS", fake.url())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run setpriv");
    Res {
        cmd: format!("(as nobody) credtray {}", args.join(" ")),
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn an_unreadable_credentials_file_is_reported_when_permission_is_denied() {
    if !is_root() {
        // Not root: the current user cannot become another; the symlink-loop test covers
        // unreadable files. Running as a normal user, make the file unreadable instead.
        let (sb, fake) = user_world("perm-denied");
        sb.write_credentials(USER_CREDENTIALS);
        sb.write_config(USER_CONFIG);
        fs::set_permissions(&sb.credentials, fs::Permissions::from_mode(0o000)).unwrap();
        let before = snapshot(&sb);
        let out = ct(&sb, &fake, &["session", "start", "perm-denied"]).run();
        expect_error(
            &out,
            &[&sb.credentials.display().to_string(), "permission denied"],
        );
        fs::set_permissions(&sb.credentials, fs::Permissions::from_mode(0o600)).unwrap();
        assert_unchanged(&sb, &before, &out);
        return;
    }
    // As root: start a session normally, then hand the config folder to nobody and have
    // nobody stop it. The credentials file stays root's (0600), so nobody cannot read it.
    // `stop` needs no keychain (nobody cannot reach root's session bus).
    let (sb, fake) = user_world("perm-denied");
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    ct(&sb, &fake, &["session", "start", "perm-denied"])
        .run()
        .ok();
    assert!(sb.is_active("perm-denied"));
    fs::set_permissions(sb.root(), fs::Permissions::from_mode(0o755)).unwrap();
    let aws_dir = sb.credentials.parent().unwrap();
    fs::set_permissions(aws_dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&sb.credentials, fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(&sb.aws_config, fs::Permissions::from_mode(0o644)).unwrap();
    chown_tree(&sb.config_dir, NOBODY, NOBODY);
    let before = snapshot(&sb);

    // Check that nobody can run the binary and read the state at all.
    let list = credtray_as_nobody(&sb, &fake, &["session", "list", "--json"]);
    assert!(
        list.success() && list.stdout.contains("perm-denied"),
        "nobody could not run credtray on the sandbox (is the binary reachable by others?):\n{list}"
    );

    let out = credtray_as_nobody(&sb, &fake, &["session", "stop", "perm-denied"]);
    expect_error(
        &out,
        &[&sb.credentials.display().to_string(), "permission denied"],
    );
    assert_unchanged(&sb, &before, &out);

    // And a state file nobody cannot read.
    std::os::unix::fs::lchown(state_path(&sb), Some(0), Some(0)).unwrap();
    fs::set_permissions(state_path(&sb), fs::Permissions::from_mode(0o600)).unwrap();
    let before = snapshot(&sb);
    for args in [
        &["session", "list"][..],
        &["session", "stop", "perm-denied"][..],
    ] {
        let out = credtray_as_nobody(&sb, &fake, args);
        expect_error(
            &out,
            &[&state_path(&sb).display().to_string(), "permission denied"],
        );
        assert_unchanged(&sb, &before, &out);
    }
}

// ---------------------------------------------------------------------------------------------
// The state file

#[test]
fn a_corrupt_state_file_is_reported_by_every_command_and_kept() {
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    fs::create_dir_all(&sb.config_dir).unwrap();
    fs::write(state_path(&sb), b"{ not json").unwrap();
    let path = state_path(&sb).display().to_string();
    let keys = format!("{}\n{}\n", sb.access_key_id, sb.secret_access_key);
    let commands: Vec<Vec<&str>> = vec![
        vec!["session", "list"],
        vec!["session", "list", "--json"],
        vec!["session", "start", "anything"],
        vec!["session", "stop", "anything"],
        vec!["session", "test", "anything"],
        vec!["session", "remove", "anything"],
        vec![
            "session",
            "add",
            "iam-user",
            "--alias",
            "x",
            "--profile",
            "px",
        ],
        vec!["profile", "list"],
        vec!["profile", "add", "newprofile"],
        vec!["settings", "set", "rotation-margin", "600"],
    ];
    let before = snapshot(&sb);
    for args in &commands {
        let out = ct(&sb, &fake, args).stdin_str(&keys).run();
        expect_error(&out, &[&path]);
        assert_unchanged(&sb, &before, &out);
    }
    assert_eq!(
        fake.count(None),
        0,
        "no STS request with a corrupt state:\n{}",
        fake.describe()
    );
    assert!(
        !sb.config_dir.join("state.json.bak").exists()
            || fs::read(sb.config_dir.join("state.json.bak")).unwrap() != b"{ not json",
        "the corrupt file was not copied over the backup"
    );
}

// ---------------------------------------------------------------------------------------------
// No keychain

/// A private session bus with no Secret Service and no service activation at all.
struct BareBus {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl BareBus {
    fn start() -> BareBus {
        let dir = tempfile::Builder::new()
            .prefix("credtray-barebus.")
            .tempdir()
            .unwrap();
        let conf = dir.path().join("bus.conf");
        fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                dir.path().display()
            ),
        )
        .unwrap();
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--print-address"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run dbus-daemon");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("dbus-daemon address");
        let address = line.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed no address: {line:?}"
        );
        BareBus {
            child,
            address,
            _dir: dir,
        }
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn no_keychain_case(bus: &str) {
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    // A session whose keys are in the real keychain, and a state file to compare.
    sb.add_iam_user("has-keys", "p-has", &[]);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    let before = snapshot(&sb);
    let keys = format!("{}\n{}\n", sb.access_key_id, sb.secret_access_key);

    let out = ct(
        &sb,
        &fake,
        &[
            "session",
            "add",
            "iam-user",
            "--alias",
            "no-keychain",
            "--profile",
            "p-new",
        ],
    )
    .env("DBUS_SESSION_BUS_ADDRESS", bus)
    .stdin_str(&keys)
    .run();
    expect_error(&out, &["keychain|secret service"]);
    assert_unchanged(&sb, &before, &out);
    let list = sb.session_list();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["alias"] != "no-keychain"),
        "a session was added although its keys could not be stored: {list:#}"
    );
    assert!(
        !sb.profile_names().contains(&"p-new".to_string()),
        "no profile created either"
    );

    let out = ct(&sb, &fake, &["session", "start", "has-keys"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .run();
    expect_error(&out, &["keychain|secret service"]);
    assert_unchanged(&sb, &before, &out);
    assert_eq!(
        fake.count(None),
        0,
        "no STS request without the keys:\n{}",
        fake.describe()
    );
}

#[test]
fn no_keychain_when_the_session_bus_does_not_exist() {
    no_keychain_case("unix:path=/nonexistent");
}

#[test]
fn no_keychain_when_no_secret_service_is_on_the_bus() {
    let bus = BareBus::start();
    // The bus works and has no Secret Service, nor can it start one.
    let q = Command::new("dbus-send")
        .args([
            &format!("--bus={}", bus.address),
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.ListActivatableNames",
        ])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&q.stdout);
    assert!(
        q.status.success(),
        "the bare bus does not answer: {}",
        String::from_utf8_lossy(&q.stderr)
    );
    assert!(
        !names.contains("org.freedesktop.secrets"),
        "the bare bus can activate a Secret Service:\n{names}"
    );
    no_keychain_case(&bus.address);
}

// ---------------------------------------------------------------------------------------------
// The network and STS

fn start_failure(
    alias: &str,
    replies: Vec<Reply>,
    default: Option<Reply>,
    extra_add: &[&str],
    start_args: &[&str],
) -> (Sandbox, FakeSts, Output, Snapshot) {
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.add_iam_user(alias, "p1", extra_add);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    fake.script(replies);
    if let Some(d) = default {
        fake.set_default(d);
    }
    let before = snapshot(&sb);
    let mut args = vec!["session", "start", alias];
    args.extend_from_slice(start_args);
    let out = ct(&sb, &fake, &args).run();
    (sb, fake, out, before)
}

#[test]
fn an_unreachable_endpoint_is_reported() {
    require_keychain();
    let sb = sandbox();
    sb.add_iam_user("no-endpoint", "p1", &[]);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    let before = snapshot(&sb);
    let port = free_port();
    let t = Instant::now();
    let out = sb
        .credtray(&["session", "start", "no-endpoint"])
        .env("AWS_ENDPOINT_URL_STS", format!("http://127.0.0.1:{port}"))
        .run();
    let took = t.elapsed();
    expect_error(
        &out,
        &[
            "no-endpoint",
            "cannot reach|could not reach|unreachable|connection refused",
        ],
    );
    assert_unchanged(&sb, &before, &out);
    eprintln!("unreachable endpoint: the start failed after {took:?}");
    assert!(
        took < Duration::from_secs(30),
        "giving up on a refused connection took {took:?}"
    );
}

#[test]
fn access_denied_is_reported_with_the_session() {
    let (sb, fake, out, before) = start_failure(
        "ad-user",
        vec![Reply::access_denied("User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:GetSessionToken")],
        None,
        &[],
        &[],
    );
    expect_error(
        &out,
        &[
            "ad-user",
            "access denied|accessdenied",
            "not authorized to perform",
        ],
    );
    assert_unchanged(&sb, &before, &out);
    assert_eq!(
        fake.count(Some("GetSessionToken")),
        1,
        "AccessDenied is not retried:\n{}",
        fake.describe()
    );
}

#[test]
fn an_expired_token_is_reported_with_the_session() {
    let (sb, fake, out, before) =
        start_failure("tok-expired", vec![Reply::expired_token()], None, &[], &[]);
    let err = expect_error(&out, &["tok-expired"]);
    assert!(
        err.replace("tok-expired", "")
            .to_lowercase()
            .contains("expired"),
        "the error says the token expired:\n{out}"
    );
    assert_unchanged(&sb, &before, &out);
    assert_eq!(
        fake.count(Some("GetSessionToken")),
        1,
        "ExpiredToken is not retried:\n{}",
        fake.describe()
    );
}

#[test]
fn an_invalid_access_key_is_reported_with_the_session() {
    let (sb, fake, out, before) = start_failure(
        "tokid-user",
        vec![Reply::invalid_client_token_id()],
        None,
        &[],
        &[],
    );
    expect_error(&out, &["tokid-user", "invalidclienttokenid|invalid", "key"]);
    assert_unchanged(&sb, &before, &out);
    assert_eq!(
        fake.count(Some("GetSessionToken")),
        1,
        "InvalidClientTokenId is not retried:\n{}",
        fake.describe()
    );
}

#[test]
fn a_wrong_mfa_code_is_reported_with_the_session() {
    let (sb, fake, out, before) = start_failure(
        "otp-user",
        vec![Reply::wrong_mfa()],
        None,
        &["--mfa-serial", &mfa_arn("otp-user")],
        &["--mfa-code", "123456"],
    );
    expect_error(
        &out,
        &[
            "otp-user",
            "mfa code",
            "not accepted|wrong|invalid|incorrect",
        ],
    );
    assert_unchanged(&sb, &before, &out);
    let reqs = fake.requests();
    assert_eq!(
        reqs.len(),
        1,
        "a refused MFA code is not sent again:\n{}",
        fake.describe()
    );
    assert!(
        reqs[0].has_token_code && reqs[0].has_serial_number,
        "{}",
        fake.describe()
    );
    assert_eq!(
        reqs[0].param("SerialNumber"),
        Some(mfa_arn("otp-user").as_str())
    );
}

#[test]
fn access_denied_on_assume_role_names_the_chained_session() {
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.add_iam_user("chain-parent", "p-parent", &[]);
    sb.add_chained("chain-child", "chain-parent", "Denied", "p-child", &[]);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    // GetSessionToken succeeds; AssumeRole is refused.
    fake.script([
        Reply::success(),
        Reply::access_denied("User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: sts:AssumeRole"),
    ]);
    let before = snapshot(&sb);
    let out = ct(&sb, &fake, &["session", "start", "chain-child"]).run();
    expect_error(
        &out,
        &[
            "chain-child",
            "assumerole|assume",
            "access denied|accessdenied",
        ],
    );
    assert_unchanged(&sb, &before, &out);
    assert_eq!(
        fake.count(Some("GetSessionToken")),
        1,
        "{}",
        fake.describe()
    );
    assert_eq!(fake.count(Some("AssumeRole")), 1, "{}", fake.describe());
}

#[test]
fn persistent_throttling_is_retried_then_reported() {
    let t = Instant::now();
    let (sb, fake, out, before) =
        start_failure("rate-user", vec![], Some(Reply::throttling()), &[], &[]);
    let took = t.elapsed();
    expect_error(&out, &["rate-user", "throttl"]);
    assert_unchanged(&sb, &before, &out);
    let n = fake.count(Some("GetSessionToken"));
    eprintln!(
        "persistent throttling: {n} attempts, failed after {took:?}\n{}",
        fake.describe()
    );
    assert!(
        n >= 2,
        "throttling is retried (saw {n} request(s)):\n{}",
        fake.describe()
    );
}

#[test]
fn throttling_twice_then_success_starts_the_session() {
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.add_iam_user("throttled-ok", "p1", &[]);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    fake.script([Reply::throttling(), Reply::throttling()]);
    let t = Instant::now();
    let out = ct(&sb, &fake, &["session", "start", "throttled-ok"]).run();
    let took = t.elapsed();
    assert!(
        out.success(),
        "the start did not get through two throttled answers:\n{out}\n{}",
        fake.describe()
    );
    let reqs = fake.requests();
    assert!(
        reqs.iter()
            .filter(|r| r.action == "GetSessionToken")
            .count()
            >= 3,
        "expected ≥3 GetSessionToken requests:\n{}",
        fake.describe()
    );
    let gaps: Vec<Duration> = reqs
        .windows(2)
        .map(|w| w[1].at.saturating_sub(w[0].at))
        .collect();
    eprintln!("throttled twice: started after {took:?}; gaps between attempts {gaps:?}");
    assert!(sb.is_active("throttled-ok"));
    let key = ini_get(&sb.credentials_text(), "p1", "aws_access_key_id");
    assert!(
        key.as_deref().is_some_and(|k| k.starts_with("ASIAFAKE")),
        "the third answer's keys were written:\n{}",
        sb.dump()
    );
}

#[test]
fn a_slow_first_answer_times_out_and_the_retry_succeeds() {
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.add_iam_user("slow-once", "p1", &[]);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    // Longer than the client's per-attempt timeout (20 s), shorter than the test's patience.
    fake.script([Reply::success().after(Duration::from_secs(26))]);
    let t = Instant::now();
    let out = ct(&sb, &fake, &["session", "start", "slow-once"])
        .timeout(Duration::from_secs(60))
        .run();
    let took = t.elapsed();
    eprintln!(
        "slow first answer: start finished after {took:?}\n{}",
        fake.describe()
    );
    assert!(
        out.success(),
        "a timed-out attempt is retried:\n{out}\n{}",
        fake.describe()
    );
    assert!(
        fake.count(Some("GetSessionToken")) >= 2,
        "{}",
        fake.describe()
    );
    assert!(
        took < Duration::from_secs(26),
        "the client waited for the slow answer instead of timing out ({took:?})"
    );
}

/// Every attempt is slow: the operation times out (after the client's 30 s operation timeout).
#[test]
fn a_persistent_timeout_is_reported_with_the_session() {
    let t = Instant::now();
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.add_iam_user("slow-always", "p1", &[]);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    fake.set_default(Reply::success().after(Duration::from_secs(90)));
    let before = snapshot(&sb);
    let t0 = Instant::now();
    let out = ct(&sb, &fake, &["session", "start", "slow-always"])
        .timeout(Duration::from_secs(80))
        .run();
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(45),
        "the client should give up after its 30 s operation timeout ({took:?})"
    );
    eprintln!(
        "persistent timeout: failed after {took:?} (test {:?})\n{}",
        t.elapsed(),
        fake.describe()
    );
    expect_error(&out, &["slow-always", "time|did not answer"]);
    assert_unchanged(&sb, &before, &out);
}

// ---------------------------------------------------------------------------------------------
// MFA codes

#[test]
fn an_mfa_session_with_no_code_and_no_terminal_says_to_pass_mfa_code() {
    let (sb, fake, out, before) = start_failure(
        "needs-mfa",
        vec![],
        None,
        &["--mfa-serial", &mfa_arn("needs-mfa")],
        &[],
    );
    expect_error(&out, &["needs-mfa", "--mfa-code"]);
    assert_unchanged(&sb, &before, &out);
    assert_eq!(
        fake.count(None),
        0,
        "no request without a code:\n{}",
        fake.describe()
    );
    // `session test` too
    let out = ct(&sb, &fake, &["session", "test", "needs-mfa"]).run();
    expect_error(&out, &["needs-mfa", "--mfa-code"]);
    assert_eq!(fake.count(None), 0, "{}", fake.describe());
}

#[test]
fn an_mfa_code_that_is_not_six_digits_is_refused_before_any_request() {
    require_keychain();
    let sb = sandbox();
    let fake = FakeSts::start();
    sb.add_iam_user("short-mfa", "p1", &["--mfa-serial", &mfa_arn("short-mfa")]);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);
    let before = snapshot(&sb);
    for code in ["12345", "1234567", "abcdef", "12 345", ""] {
        let out = ct(
            &sb,
            &fake,
            &["session", "start", "short-mfa", "--mfa-code", code],
        )
        .run();
        expect_error(&out, &["short-mfa", "six digits|6 digits"]);
        assert_unchanged(&sb, &before, &out);
        assert_eq!(
            fake.count(None),
            0,
            "code {code:?} reached STS:\n{}",
            fake.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------

//! The end-to-end test harness: a real `moto_server` for STS, the real AWS CLI as the consumer
//! of the files credtray writes, a sandbox (config folder, AWS files, HOME) per test, and a
//! guard that the tests run on a session bus with a real Secret Service.
//!
//! The Python tools live in a venv made by `scripts/test-venv.sh`; the keychain comes from
//! `scripts/with-keyring.sh`. `scripts/test.sh` sets up both and runs `cargo test` inside them.
//! Tests that need them fail (never skip) with a message saying so when they are missing.

#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub mod auth;
pub mod x11;

/// How long any one command may run before the harness kills it and fails the test.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// moto's answer to GetCallerIdentity for credentials it did not issue through AssumeRole
/// (any long-term key, and GetSessionToken's fixed example key).
pub const MOTO_USER_ARN: &str = "arn:aws:sts::123456789012:user/moto";

/// The ARN moto answers for credentials obtained by AssumeRole of `role` with `session_name`.
pub fn assumed_role_arn(role: &str, session_name: &str) -> String {
    format!("arn:aws:sts::123456789012:assumed-role/{role}/{session_name}")
}

/// A role ARN in moto's default account.
pub fn role_arn(role: &str) -> String {
    format!("arn:aws:iam::123456789012:role/{role}")
}

/// An MFA device ARN in moto's default account.
pub fn mfa_arn(name: &str) -> String {
    format!("arn:aws:iam::123456789012:mfa/{name}")
}

// ---------------------------------------------------------------------------------------------
// The venv with moto and the AWS CLI

/// The test venv: `$CREDTRAY_TEST_VENV`, or `<repo>/.venv`. Panics with what to run when it
/// is missing or incomplete.
pub fn venv() -> PathBuf {
    let dir = match std::env::var_os("CREDTRAY_TEST_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"),
    };
    for tool in ["moto_server", "aws"] {
        let path = dir.join("bin").join(tool);
        assert!(
            path.is_file(),
            "the test venv has no {}: run scripts/test.sh, or scripts/test-venv.sh first \
             (CREDTRAY_TEST_VENV={:?})",
            path.display(),
            std::env::var_os("CREDTRAY_TEST_VENV"),
        );
    }
    dir
}

// ---------------------------------------------------------------------------------------------
// moto_server

/// A `moto_server` on 127.0.0.1 at a free port, killed when dropped.
pub struct Moto {
    child: Child,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts moto and waits until it answers HTTP. Retries on a port collision.
    pub fn start() -> Moto {
        Moto::start_with_env(&[])
    }

    /// [`Moto::start`] with extra environment variables for `moto_server`.
    pub fn start_with_env(extra_env: &[(&str, &str)]) -> Moto {
        let bin = venv().join("bin").join("moto_server");
        let dir = tempfile::Builder::new()
            .prefix("credtray-moto.")
            .tempdir()
            .expect("temp dir for moto's log");
        let mut last_log = String::new();
        for attempt in 0..5 {
            let port = free_port();
            let log = dir.path().join(format!("moto-{attempt}.log"));
            let log_file = fs::File::create(&log).expect("moto log file");
            let mut child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", dir.path())
                .envs(extra_env.iter().copied())
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone log handle"))
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if http_answers(port) {
                    return Moto {
                        child,
                        url: format!("http://127.0.0.1:{port}"),
                        log,
                        _dir: dir,
                    };
                }
                if let Some(status) = child.try_wait().expect("poll moto_server") {
                    last_log = fs::read_to_string(&log).unwrap_or_default();
                    if last_log.contains("Address already in use") {
                        break; // another process took the port: try another
                    }
                    panic!("moto_server exited ({status}) before answering:\n{last_log}");
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "moto_server did not answer on port {port} within 60 s:\n{}",
                        fs::read_to_string(&log).unwrap_or_default()
                    );
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("moto_server found no free port in 5 attempts; last log:\n{last_log}");
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What moto printed so far (one line per request).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Moto {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn http_answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

// ---------------------------------------------------------------------------------------------
// The keychain guard

/// Fails the test unless a Secret Service answers on the session bus. Every test that stores
/// secrets calls it first: such a test must fail, never skip, when the keychain is missing.
pub fn require_keychain() {
    const HINT: &str =
        "no Secret Service on the session bus: run the tests through scripts/test.sh";
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(
        !bus.is_empty(),
        "{HINT} (DBUS_SESSION_BUS_ADDRESS is not set)"
    );
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{HINT} (cannot run dbus-send: {e})"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("boolean true"),
        "{HINT} (bus {bus}: org.freedesktop.secrets has no owner)\n{}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The accounts (the `keyring` crate's "user", DESIGN's `<session-id>/<what>`) of every
/// keychain item with attribute `service` = `credtray`, sorted. All tests of one binary share
/// one keychain: filter by session id.
pub fn keychain_accounts() -> Vec<String> {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "credtray"])
        .stdin(Stdio::null())
        .output()
        .expect("run secret-tool");
    // secret-tool prints each item's label and secret on stdout and its attributes on
    // stderr; an empty search prints nothing. Only the attributes are read here.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut accounts: Vec<String> = stderr
        .lines()
        .filter_map(|l| {
            l.strip_prefix("attribute.username = ")
                .or_else(|| l.strip_prefix("attribute.account = "))
        })
        .map(str::to_string)
        .collect();
    accounts.sort();
    accounts
}

/// The accounts of the keychain items that belong to SESSION_ID.
pub fn keychain_accounts_of(session_id: &str) -> Vec<String> {
    keychain_accounts()
        .into_iter()
        .filter(|a| a.contains(session_id))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Commands and their output

/// The result of one command: exit status and both streams as text.
#[derive(Clone)]
pub struct Output {
    /// The command line, for messages.
    pub cmd: String,
    /// How it ended.
    pub status: ExitStatus,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    is_credtray: bool,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.cmd)?;
        writeln!(f, "exit: {}", self.status)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Output {
    /// Whether it exited 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Asserts that it exited 0 (showing both streams otherwise) and returns it.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert!(self.status.success(), "command failed:\n{self}");
        self
    }

    /// Asserts that it failed and returns its standard error. For credtray also asserts the
    /// contract for errors: a `credtray: <reason>` line on stderr, and no panic.
    #[track_caller]
    pub fn fails(self) -> String {
        assert!(
            !self.status.success(),
            "command succeeded but should have failed:\n{self}"
        );
        if self.is_credtray {
            assert!(
                !self.stderr.contains("panicked at") && self.status.code() != Some(101),
                "credtray panicked instead of reporting an error:\n{self}"
            );
            assert!(
                self.stderr.lines().any(|l| l.starts_with("credtray: ")),
                "credtray failed without a `credtray: <reason>` line on stderr:\n{self}"
            );
        }
        self.stderr
    }

    /// Standard output, trimmed.
    pub fn out(&self) -> &str {
        self.stdout.trim()
    }

    /// Standard output parsed as JSON (panics with both streams when it is not).
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

/// A command about to run, with the harness's conventions (no terminal, a timeout, output
/// captured and recorded in the sandbox's transcript).
pub struct Cmd<'a> {
    command: Command,
    display: String,
    stdin: Option<Vec<u8>>,
    recorder: &'a Mutex<Vec<Output>>,
    is_credtray: bool,
    timeout: Duration,
}

impl Cmd<'_> {
    /// Feeds `s` on standard input (otherwise it is /dev/null; never a terminal).
    pub fn stdin_str(mut self, s: &str) -> Self {
        self.stdin = Some(s.as_bytes().to_vec());
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.command.env_remove(key);
        self
    }

    /// Changes the time limit (default [`COMMAND_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs it to the end and returns its output (whatever the exit status).
    #[track_caller]
    pub fn run(mut self) -> Output {
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", self.display));
        let writer = child.stdin.take().map(|mut pipe| {
            let bytes = self.stdin.take().unwrap_or_default();
            thread::spawn(move || {
                let _ = pipe.write_all(&bytes); // the child may exit without reading
            })
        });
        let mut out_pipe = child.stdout.take().expect("stdout pipe");
        let mut err_pipe = child.stderr.take().expect("stderr pipe");
        let out_reader = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = out_pipe.read_to_end(&mut v);
            v
        });
        let err_reader = thread::spawn(move || {
            let mut v = Vec::new();
            let _ = err_pipe.read_to_end(&mut v);
            v
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for child") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
                let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
                panic!(
                    "`{}` did not finish within {:?} and was killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
                    self.display, self.timeout
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        if let Some(w) = writer {
            let _ = w.join();
        }
        let output = Output {
            cmd: self.display,
            status,
            stdout: String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
            is_credtray: self.is_credtray,
        };
        self.recorder.lock().unwrap().push(output.clone());
        output
    }
}

// ---------------------------------------------------------------------------------------------
// The sandbox

static SANDBOX_COUNTER: AtomicU64 = AtomicU64::new(0);

/// One test's world: a temporary folder with credtray's config folder, the AWS files, a fake
/// HOME, and an IAM user's long-term keys that are unique to this sandbox.
pub struct Sandbox {
    dir: tempfile::TempDir,
    /// `CREDTRAY_CONFIG_DIR`.
    pub config_dir: PathBuf,
    /// `AWS_SHARED_CREDENTIALS_FILE` (not created).
    pub credentials: PathBuf,
    /// `AWS_CONFIG_FILE` (not created).
    pub aws_config: PathBuf,
    /// HOME for every command.
    pub home: PathBuf,
    /// The STS endpoint (moto, or the URL given to [`Sandbox::with_endpoint`]).
    pub moto_url: String,
    /// The long-term access key id that [`Sandbox::add_iam_user`] gives credtray.
    pub access_key_id: String,
    /// The long-term secret access key that [`Sandbox::add_iam_user`] gives credtray.
    pub secret_access_key: String,
    transcript: Mutex<Vec<Output>>,
}

impl Sandbox {
    /// A fresh sandbox whose commands talk to `moto`.
    pub fn new(moto: &Moto) -> Sandbox {
        Sandbox::with_endpoint(moto.url().to_string())
    }

    /// A fresh sandbox whose commands (credtray, the tray, the AWS CLI) talk to the STS
    /// endpoint at URL: e.g. the recording fake STS of `tests/faults`.
    pub fn with_endpoint(moto_url: String) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("credtray-test.")
            .tempdir()
            .expect("sandbox temp dir");
        let config_dir = dir.path().join("config");
        let home = dir.path().join("home");
        fs::create_dir_all(&home).expect("create fake HOME");
        let aws_dir = dir.path().join("aws");
        let (access_key_id, secret_access_key) = unique_keys();
        Sandbox {
            config_dir,
            credentials: aws_dir.join("credentials"),
            aws_config: aws_dir.join("config"),
            home,
            moto_url,
            access_key_id,
            secret_access_key,
            transcript: Mutex::new(Vec::new()),
            dir,
        }
    }

    /// A sandbox for commands that never reach STS: its endpoint is a closed loopback port.
    pub fn offline() -> Sandbox {
        Sandbox::with_endpoint(format!("http://127.0.0.1:{}", free_port()))
    }

    /// The sandbox's root folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `credtray ARGS...` with a clean environment: PATH, DBUS_SESSION_BUS_ADDRESS and
    /// XDG_RUNTIME_DIR passed through; HOME, CREDTRAY_CONFIG_DIR, the AWS files and the STS
    /// endpoint of this sandbox; the instance metadata service disabled; no RUST_LOG.
    pub fn credtray(&self, args: &[&str]) -> Cmd<'_> {
        let mut command = self.credtray_command();
        command.args(args);
        Cmd {
            command,
            display: format!("credtray {}", args.join(" ")),
            stdin: None,
            recorder: &self.transcript,
            is_credtray: true,
            timeout: COMMAND_TIMEOUT,
        }
    }

    /// The `credtray` binary as a [`Command`] with this sandbox's environment (see
    /// [`Sandbox::credtray`]), for processes a test keeps running in the background.
    pub fn credtray_command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_credtray"));
        command.env_clear();
        for var in ["PATH", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
            if let Some(v) = std::env::var_os(var) {
                command.env(var, v);
            }
        }
        command
            .env("HOME", &self.home)
            .env("CREDTRAY_CONFIG_DIR", &self.config_dir)
            .env("AWS_SHARED_CREDENTIALS_FILE", &self.credentials)
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env("AWS_ENDPOINT_URL_STS", &self.moto_url)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        command
    }

    /// The AWS CLI of the venv, on this sandbox's files, against moto in us-east-1, JSON
    /// output, no other AWS variable. (For commands taking URL parameters, the config file
    /// would need `cli_follow_urlparam = false`; STS commands need nothing.)
    pub fn aws_cmd(&self, args: &[&str]) -> Cmd<'_> {
        let mut command = Command::new(venv().join("bin").join("aws"));
        command
            .args(args)
            .args(["--endpoint-url", &self.moto_url, "--region", "us-east-1"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("AWS_SHARED_CREDENTIALS_FILE", &self.credentials)
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env("AWS_DEFAULT_OUTPUT", "json")
            // Never let the CLI reach for an instance metadata service.
            .env("AWS_EC2_METADATA_DISABLED", "true");
        Cmd {
            command,
            display: format!("aws {}", args.join(" ")),
            stdin: None,
            recorder: &self.transcript,
            is_credtray: false,
            timeout: COMMAND_TIMEOUT,
        }
    }

    /// Runs the AWS CLI (see [`Sandbox::aws_cmd`]).
    pub fn aws(&self, args: &[&str]) -> Output {
        self.aws_cmd(args).run()
    }

    /// The ARN that `aws sts get-caller-identity --profile PROFILE` answers, or the CLI's
    /// error text.
    pub fn caller_arn(&self, profile: &str) -> Result<String, String> {
        let out = self.aws(&["sts", "get-caller-identity", "--profile", profile]);
        if !out.success() {
            return Err(format!("{}{}", out.stderr, out.stdout));
        }
        out.json()["Arn"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("no Arn in the answer:\n{out}"))
    }

    /// Asserts that the AWS CLI answers for PROFILE with exactly `arn`.
    #[track_caller]
    pub fn assert_caller(&self, profile: &str, arn: &str) {
        match self.caller_arn(profile) {
            Ok(got) => assert_eq!(
                got,
                arn,
                "caller identity of profile {profile}\n{}",
                self.dump()
            ),
            Err(e) => panic!(
                "aws sts get-caller-identity --profile {profile} failed, expected {arn}:\n{e}\n{}",
                self.dump()
            ),
        }
    }

    /// Asserts that the AWS CLI finds no credentials for PROFILE.
    #[track_caller]
    pub fn assert_no_credentials(&self, profile: &str) {
        if let Ok(arn) = self.caller_arn(profile) {
            panic!(
                "the AWS CLI still finds credentials for profile {profile} (it answers {arn})\n{}",
                self.dump()
            );
        }
    }

    // --- the AWS files --------------------------------------------------------------------

    /// The credentials file's bytes, or None when it does not exist.
    pub fn credentials_bytes(&self) -> Option<Vec<u8>> {
        read_optional(&self.credentials)
    }

    /// The config file's bytes, or None when it does not exist.
    pub fn config_bytes(&self) -> Option<Vec<u8>> {
        read_optional(&self.aws_config)
    }

    /// The credentials file as text ("" when absent).
    pub fn credentials_text(&self) -> String {
        String::from_utf8_lossy(&self.credentials_bytes().unwrap_or_default()).into_owned()
    }

    /// The config file as text ("" when absent).
    pub fn config_text(&self) -> String {
        String::from_utf8_lossy(&self.config_bytes().unwrap_or_default()).into_owned()
    }

    /// Both AWS files, to compare before and after.
    pub fn snapshot(&self) -> Files {
        Files {
            credentials: self.credentials_bytes(),
            config: self.config_bytes(),
        }
    }

    /// Writes the credentials file (creating its folder, mode 0700 / file 0600).
    pub fn write_credentials(&self, bytes: impl AsRef<[u8]>) {
        write_private(&self.credentials, bytes.as_ref());
    }

    /// Writes the config file (creating its folder, mode 0700 / file 0600).
    pub fn write_config(&self, bytes: impl AsRef<[u8]>) {
        write_private(&self.aws_config, bytes.as_ref());
    }

    /// Both files and the transcript so far, for failure messages.
    pub fn dump(&self) -> String {
        format!(
            "--- {} ---\n{}\n--- {} ---\n{}",
            self.credentials.display(),
            self.credentials_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|| "(absent)".into()),
            self.aws_config.display(),
            self.config_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|| "(absent)".into()),
        )
    }

    // --- credtray state -------------------------------------------------------------------

    /// `credtray session list --json`, parsed.
    #[track_caller]
    pub fn session_list(&self) -> Value {
        let out = self.credtray(&["session", "list", "--json"]).run().ok();
        let v = out.json();
        assert!(v.is_array(), "session list --json is not an array:\n{out}");
        v
    }

    /// The session with alias ALIAS in `session list --json`.
    #[track_caller]
    pub fn session(&self, alias: &str) -> Value {
        let list = self.session_list();
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["alias"] == alias)
            .cloned()
            .unwrap_or_else(|| panic!("no session with alias {alias:?} in {list:#}"))
    }

    /// The id of the session with alias ALIAS.
    #[track_caller]
    pub fn session_id(&self, alias: &str) -> String {
        self.session(alias)["id"]
            .as_str()
            .unwrap_or_else(|| panic!("session {alias:?} has no string id"))
            .to_string()
    }

    /// Whether the session with alias ALIAS is active, per `session list --json`.
    #[track_caller]
    pub fn is_active(&self, alias: &str) -> bool {
        let s = self.session(alias);
        s["active"]
            .as_bool()
            .unwrap_or_else(|| panic!("session {alias:?} has no boolean `active`: {s:#}"))
    }

    /// `credtray profile list --json`, parsed.
    #[track_caller]
    pub fn profile_list(&self) -> Value {
        let out = self.credtray(&["profile", "list", "--json"]).run().ok();
        let v = out.json();
        assert!(v.is_array(), "profile list --json is not an array:\n{out}");
        v
    }

    /// The names of the named profiles, in the order `profile list --json` gives them.
    #[track_caller]
    pub fn profile_names(&self) -> Vec<String> {
        self.profile_list()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().expect("profile name").to_string())
            .collect()
    }

    /// Adds an `iam-user` session with this sandbox's long-term keys piped on stdin and
    /// returns its id (checked to be a UUID printed alone on stdout).
    #[track_caller]
    pub fn add_iam_user(&self, alias: &str, profile: &str, extra_args: &[&str]) -> String {
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
        let keys = format!("{}\n{}\n", self.access_key_id, self.secret_access_key);
        let out = self.credtray(&args).stdin_str(&keys).run().ok();
        expect_id(&out)
    }

    /// Adds an `iam-role-chained` session under PARENT (id or alias) assuming ROLE (a role
    /// name in moto's account) and returns its id.
    #[track_caller]
    pub fn add_chained(
        &self,
        alias: &str,
        parent: &str,
        role: &str,
        profile: &str,
        extra_args: &[&str],
    ) -> String {
        let arn = role_arn(role);
        let mut args = vec![
            "session",
            "add",
            "iam-role-chained",
            "--alias",
            alias,
            "--parent",
            parent,
            "--role-arn",
            &arn,
            "--profile",
            profile,
        ];
        args.extend_from_slice(extra_args);
        let out = self.credtray(&args).run().ok();
        expect_id(&out)
    }

    /// Sets the rotation margin (seconds) through the CLI.
    #[track_caller]
    pub fn set_margin(&self, secs: u32) {
        self.credtray(&["settings", "set", "rotation-margin", &secs.to_string()])
            .run()
            .ok();
    }

    /// Time passes: the credentials of active session `id` now expire `secs` from now. Only
    /// that field of state.json changes, replaced atomically as credtray writes it. Returns
    /// the new expiration.
    #[track_caller]
    pub fn expire_in(&self, id: &str, secs: i64) -> chrono::DateTime<chrono::Utc> {
        let path = self.config_dir.join("state.json");
        let raw = fs::read_to_string(&path).expect("state.json");
        let mut state: Value = serde_json::from_str(&raw).expect("state.json is JSON");
        assert!(
            state["active"][id]["expiration"].is_string(),
            "state.json has active.{id}.expiration:\n{raw}"
        );
        let at = chrono::Utc::now() + chrono::Duration::seconds(secs);
        state["active"][id]["expiration"] =
            Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        let tmp = self.config_dir.join("state.json.test-edit");
        fs::write(&tmp, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
        fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        fs::rename(&tmp, &path).unwrap();
        at
    }

    /// Every command run in this sandbox so far, with its output.
    pub fn transcript(&self) -> Vec<Output> {
        self.transcript.lock().unwrap().clone()
    }
}

/// The id a `session add` printed: one UUID alone on stdout.
#[track_caller]
pub fn expect_id(out: &Output) -> String {
    let id = out.stdout.trim();
    assert!(
        is_uuid(id) && out.stdout.trim_end_matches('\n').lines().count() == 1,
        "expected the new session's id (a UUID) alone on stdout:\n{out}"
    );
    id.to_string()
}

/// Whether `s` looks like a hyphenated UUID.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Both AWS files' bytes at one moment (None = absent).
#[derive(Clone, PartialEq, Eq)]
pub struct Files {
    /// The credentials file.
    pub credentials: Option<Vec<u8>>,
    /// The config file.
    pub config: Option<Vec<u8>>,
}

impl fmt::Debug for Files {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |b: &Option<Vec<u8>>| match b {
            None => "(absent)".to_string(),
            Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
        };
        write!(
            f,
            "credentials: {}\nconfig: {}",
            show(&self.credentials),
            show(&self.config)
        )
    }
}

fn read_optional(path: &Path) -> Option<Vec<u8>> {
    match fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

fn write_private(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = path.parent().expect("file has a folder");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .expect("create folder");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    f.write_all(bytes).expect("write file");
}

/// A long-term key pair (access key id, secret access key) no other sandbox uses, and that no
/// other text contains by chance.
pub fn unique_keys() -> (String, String) {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let n = SANDBOX_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut state =
        nanos ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let id: String = (0..16)
        .map(|_| ALPHABET[(next() % 32) as usize] as char)
        .collect();
    let secret: String = (0..40)
        .map(|_| {
            let set = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            set[(next() % set.len() as u64) as usize] as char
        })
        .collect();
    (format!("AKIA{id}"), secret)
}

// ---------------------------------------------------------------------------------------------
// Small ini reading for assertions (not a full parser: enough to find sections and keys)

/// The `key = value` pairs under `[section]` in TEXT, in order, or None when there is no such
/// section. Section names are compared after trimming the brackets' insides.
pub fn ini_section(text: &str, section: &str) -> Option<Vec<(String, String)>> {
    let mut found = false;
    let mut inside = false;
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            inside = trimmed[1..trimmed.len() - 1].trim() == section;
            found |= inside;
            continue;
        }
        if !inside || trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some((k, v)) = trimmed.split_once('=') {
            pairs.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    found.then_some(pairs)
}

/// The section names in TEXT, in order.
pub fn ini_sections(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim())
        .filter(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l[1..l.len() - 1].trim().to_string())
        .collect()
}

/// The keys under `[section]`, sorted.
pub fn ini_keys(text: &str, section: &str) -> Option<Vec<String>> {
    ini_section(text, section).map(|pairs| {
        let mut keys: Vec<String> = pairs.into_iter().map(|(k, _)| k).collect();
        keys.sort();
        keys
    })
}

/// The value of KEY under `[section]`.
pub fn ini_get(text: &str, section: &str, key: &str) -> Option<String> {
    ini_section(text, section)?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The config file's section name for a named profile: `default`, or `profile NAME`.
pub fn config_section(profile: &str) -> String {
    if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    }
}

/// Every regular file under DIR (recursively).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Whether the lines of OLD (line ends included) all appear in NEW in the same order: what
/// was there is still there, whatever was inserted between.
pub fn lines_kept_in_order(old: &[u8], new: &[u8]) -> bool {
    let mut new_lines = new.split_inclusive(|&b| b == b'\n');
    old.split_inclusive(|&b| b == b'\n')
        .all(|line| new_lines.any(|n| n == line))
}

/// Whether NEEDLE occurs in HAYSTACK.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Polls F every 100 ms until it holds or TIMEOUT passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

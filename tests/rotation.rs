//! Rotation end to end, against moto: `credtray agent` (a child process) refreshes a
//! chained-role session a margin before it expires, with no call from the user; removes
//! credentials that expire with no way to refresh them; and picks up a session another
//! process starts while it runs. SIGTERM stops it with exit status 0.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::*;

const SEED_CREDENTIALS: &str = "# the user's own file\r\n[work]\r\naws_access_key_id = AKIAUSEROWNKEY000001\r\naws_secret_access_key = userOwnSecret0000000000000000000000000001\r\n\r\n[other]\r\nregion = eu-west-1\r\n";
const SEED_CONFIG: &str = "# config\n[default]\nregion = us-east-1\n\n[profile work]\nregion = eu-west-1\nunknown_key = kept\n";

static AGENT_N: AtomicUsize = AtomicUsize::new(0);

/// `credtray agent` running in the background with the sandbox's environment; its stdout
/// and stderr go to a log file in the sandbox. Killed when dropped.
struct Agent {
    child: Option<Child>,
    log: PathBuf,
    started: Instant,
}

impl Agent {
    fn start(sb: &Sandbox) -> Agent {
        let n = AGENT_N.fetch_add(1, Ordering::SeqCst);
        let log = sb.root().join(format!("agent-{n}.log"));
        let file = fs::File::create(&log).expect("agent log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_credtray"));
        command.arg("agent").env_clear();
        for var in ["PATH", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
            if let Some(v) = std::env::var_os(var) {
                command.env(var, v);
            }
        }
        let child = command
            .env("HOME", &sb.home)
            .env("CREDTRAY_CONFIG_DIR", &sb.config_dir)
            .env("AWS_SHARED_CREDENTIALS_FILE", &sb.credentials)
            .env("AWS_CONFIG_FILE", &sb.aws_config)
            .env("AWS_ENDPOINT_URL_STS", &sb.moto_url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("run credtray agent");
        let agent = Agent {
            child: Some(child),
            log,
            started: Instant::now(),
        };
        // Ready once it says so (it watches the config folder from then on).
        let ready = wait_until(Duration::from_secs(15), || {
            agent.log().contains("agent started")
        });
        assert!(
            ready,
            "the agent did not say `agent started` within 15 s:\n{}",
            agent.log()
        );
        agent
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// SIGTERM, then waits up to 10 s for it to exit; returns how it exited.
    fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("agent still owned");
        let pid = child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("wait for the agent") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the agent did not exit within 10 s of SIGTERM:\n{}",
                    self.log()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM and asserts exit status 0 and no panic.
    #[track_caller]
    fn stop_cleanly(&mut self) {
        let status = self.terminate();
        let log = self.log();
        eprintln!("--- agent log ---\n{log}--- exit: {status} ---");
        assert!(
            status.success(),
            "the agent exited with {status} after SIGTERM:\n{log}"
        );
        assert!(!log.contains("panicked"), "the agent panicked:\n{log}");
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn expiration_of(sb: &Sandbox, alias: &str) -> Option<DateTime<Utc>> {
    let s = sb.session(alias);
    s["expiration"].as_str().map(|e| {
        DateTime::parse_from_rfc3339(e)
            .unwrap_or_else(|err| panic!("expiration {e:?} of {alias} is not RFC 3339: {err}"))
            .with_timezone(&Utc)
    })
}

fn key_of(sb: &Sandbox, profile: &str) -> Option<String> {
    ini_get(&sb.credentials_text(), profile, "aws_access_key_id")
}

fn everything(sb: &Sandbox, agent: &Agent) -> String {
    format!(
        "{}\n--- session list ---\n{}\n--- agent log ({:?} since start) ---\n{}",
        sb.dump(),
        sb.credtray(&["session", "list", "--json"]).run().stdout,
        agent.started.elapsed(),
        agent.log()
    )
}

/// Adds an IAM user (no MFA) on `<profile>-base` and a role chained below it on PROFILE with
/// DurationSeconds 900; returns the role session's id.
fn chained_role(sb: &Sandbox, alias: &str, role: &str, profile: &str) -> String {
    let user = format!("{alias}-user");
    sb.add_iam_user(&user, &format!("{profile}-base"), &[]);
    sb.add_chained(alias, &user, role, profile, &["--duration", "900"])
}

/// Waits up to TIMEOUT for the access key of PROFILE to differ from BEFORE.
fn wait_for_new_key(
    sb: &Sandbox,
    profile: &str,
    before: &str,
    timeout: Duration,
) -> Option<(String, Duration)> {
    let t = Instant::now();
    let mut found = None;
    wait_until(timeout, || match key_of(sb, profile) {
        Some(k) if k != before => {
            found = Some(k);
            true
        }
        _ => false,
    });
    found.map(|k| (k, t.elapsed()))
}

#[test]
fn the_agent_rotates_a_chained_role_before_it_expires_without_the_user() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.write_credentials(SEED_CREDENTIALS);
    sb.write_config(SEED_CONFIG);
    sb.set_margin(890);
    chained_role(&sb, "rot-role", "RotRole", "rot");
    sb.credtray(&["session", "start", "rot-role"]).run().ok();
    let arn = assumed_role_arn("RotRole", "credtray");
    sb.assert_caller("rot", &arn);
    let key1 = key_of(&sb, "rot").unwrap_or_else(|| panic!("no key for [rot]\n{}", sb.dump()));
    let exp1 = expiration_of(&sb, "rot-role").expect("an active session has an expiration");
    let left = exp1 - Utc::now();
    assert!(
        left <= chrono::Duration::seconds(905) && left > chrono::Duration::seconds(800),
        "moto honoured DurationSeconds=900 (the credentials expire in {left})"
    );

    let mut agent = Agent::start(&sb);
    let Some((key2, after)) = wait_for_new_key(&sb, "rot", &key1, Duration::from_secs(25)) else {
        panic!(
            "the agent did not write new credentials for [rot] within 25 s (margin 890 s, duration 900 s)\n{}",
            everything(&sb, &agent)
        );
    };
    eprintln!("rotation: new key after {after:?} with the agent running");
    assert!(
        key2.starts_with("ASIA") || key2.starts_with("FSIA"),
        "{key2}"
    );
    // Let the write settle (the state is written after the files, under the same lock).
    let exp_later = wait_until(Duration::from_secs(5), || {
        expiration_of(&sb, "rot-role").is_some_and(|e| e > exp1)
    });
    assert!(
        exp_later,
        "session list shows a later expiration than {exp1} after the rotation\n{}",
        everything(&sb, &agent)
    );
    assert!(sb.is_active("rot-role"));
    sb.assert_caller("rot", &arn);
    assert!(
        lines_kept_in_order(
            SEED_CREDENTIALS.as_bytes(),
            &sb.credentials_bytes().unwrap()
        ),
        "the user's lines survive the rotation\n{}",
        sb.dump()
    );
    assert!(
        agent.log().contains("refreshed"),
        "the agent logs the refresh:\n{}",
        agent.log()
    );
    assert!(
        agent.running(),
        "the agent is still running:\n{}",
        agent.log()
    );
    agent.stop_cleanly();
}

#[test]
fn credentials_that_expire_with_no_possible_refresh_are_removed() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.write_credentials(SEED_CREDENTIALS);
    sb.write_config(SEED_CONFIG);
    // A margin longer than any token's lifetime: the cached MFA-backed token is never
    // reused, so a refresh would need a new MFA code, which nobody can give the agent.
    sb.set_margin(43_200);
    let before = sb.snapshot();
    let id = sb.add_iam_user(
        "exp-user",
        "exp",
        &["--mfa-serial", &mfa_arn("exp-user"), "--duration", "900"],
    );
    sb.credtray(&["session", "start", "exp-user", "--mfa-code", "123456"])
        .run()
        .ok();
    sb.assert_caller("exp", MOTO_USER_ARN);

    // Time passes: the credentials expire in 4 s. Only that field of state.json changes.
    let soon = sb.expire_in(&id, 4);
    assert_eq!(
        expiration_of(&sb, "exp-user").map(|e| e.timestamp()),
        Some(soon.timestamp())
    );

    let mut agent = Agent::start(&sb);
    let t = Instant::now();
    let gone = wait_until(Duration::from_secs(30), || {
        ini_section(&sb.credentials_text(), "exp").is_none()
    });
    assert!(
        gone,
        "the expired credentials are still in the file after 30 s\n{}",
        everything(&sb, &agent)
    );
    eprintln!(
        "expiry: the section was removed {:?} after the agent started",
        t.elapsed()
    );
    let settled = wait_until(Duration::from_secs(5), || sb.snapshot() == before);
    assert!(
        settled,
        "the AWS files are not back to what they were before the start\n--- before ---\n{before:?}\n--- now ---\n{:?}\n{}",
        sb.snapshot(),
        everything(&sb, &agent)
    );
    sb.assert_no_credentials("exp");
    let s = sb.session("exp-user");
    assert_eq!(s["active"], false, "the session shows inactive: {s:#}");
    let log = agent.log().to_lowercase();
    assert!(
        log.contains("stopped") || log.contains("expired"),
        "the agent says the session stopped / expired:\n{}",
        agent.log()
    );
    agent.stop_cleanly();
}

#[test]
fn the_agent_picks_up_a_session_started_after_it_began() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.write_credentials(SEED_CREDENTIALS);
    sb.write_config(SEED_CONFIG);
    sb.set_margin(890);
    chained_role(&sb, "late-role", "LateRole", "late");

    let mut agent = Agent::start(&sb);
    // Nothing to do yet; then another process starts a session.
    thread::sleep(Duration::from_millis(500));
    sb.credtray(&["session", "start", "late-role"]).run().ok();
    let arn = assumed_role_arn("LateRole", "credtray");
    sb.assert_caller("late", &arn);
    let key1 = key_of(&sb, "late").unwrap_or_else(|| panic!("no key for [late]\n{}", sb.dump()));
    let exp1 = expiration_of(&sb, "late-role").expect("an expiration");

    let Some((_, after)) = wait_for_new_key(&sb, "late", &key1, Duration::from_secs(25)) else {
        panic!(
            "the agent did not rotate a session started after it began within 25 s\n{}",
            everything(&sb, &agent)
        );
    };
    eprintln!("pick-up: rotated {after:?} after the start");
    let exp_later = wait_until(Duration::from_secs(5), || {
        expiration_of(&sb, "late-role").is_some_and(|e| e > exp1)
    });
    assert!(
        exp_later,
        "a later expiration after the rotation\n{}",
        everything(&sb, &agent)
    );
    sb.assert_caller("late", &arn);
    assert!(agent.running(), "{}", agent.log());
    agent.stop_cleanly();
}

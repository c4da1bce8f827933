//! A keychain that answers slowly (issue 7): while one credtray process waits on the
//! Secret Service (here the test's gnome-keyring-daemon, stopped with SIGSTOP, as if an
//! unlock prompt were waiting for the user), other processes still change state and files:
//! no keychain call happens under `credtray.lock`.
//!
//! Alone in its test binary, so that stopping the daemon stalls no other test.

mod common;

use std::fs::{self, File};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

/// The process id of the Secret Service on the test's session bus.
fn secret_service_pid() -> u32 {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            "string:org.freedesktop.secrets",
        ])
        .output()
        .expect("run dbus-send");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "uint32")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no pid for org.freedesktop.secrets: {text}"))
}

/// Keeps the Secret Service stopped; continues it when dropped (also on a panic).
struct Stopped(u32);

impl Stopped {
    fn new(pid: u32) -> Stopped {
        signal(pid, "STOP");
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        signal(self.0, "CONT");
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{sig} {pid} failed");
}

struct Background {
    child: Child,
    log: std::path::PathBuf,
}

impl Background {
    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_process_waiting_on_the_keychain_does_not_block_the_others() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let user = "[victim]\naws_access_key_id = AKIAVICTIM\naws_secret_access_key = victim/secret\n";
    sb.write_credentials(user);
    sb.write_config("[default]\nregion = eu-west-1\n");
    sb.add_iam_user("base", "base-p", &[]);
    sb.add_chained("taker", "base", "Taker", "victim", &[]);
    sb.add_chained("other", "base", "Other", "p-other", &[]);
    sb.credtray(&["session", "start", "taker", "--take-over"])
        .run()
        .ok();
    sb.credtray(&["session", "start", "other"]).run().ok();
    assert!(sb.is_active("taker") && sb.is_active("other"));

    let stopped = Stopped::new(secret_service_pid());
    // Stopping `taker` must read the user's section back from the keychain.
    let log = sb.root().join("stop-taker.log");
    let file = File::create(&log).unwrap();
    let waiting = Background {
        child: sb
            .credtray_command()
            .args(["session", "stop", "taker"])
            .env("CREDTRAY_LOG", "credtray=debug")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap(),
        log,
    };
    let asked = wait_until(Duration::from_secs(20), || {
        waiting
            .log()
            .contains("from the keychain (outside the lock)")
    });
    assert!(
        asked,
        "the stop never came to the keychain:\n{}",
        waiting.log()
    );

    // Meanwhile, other processes take the lock and change the state and the files.
    sb.credtray(&["session", "stop", "other"])
        .timeout(Duration::from_secs(8))
        .run()
        .ok();
    sb.credtray(&["profile", "add", "meanwhile"])
        .timeout(Duration::from_secs(8))
        .run()
        .ok();
    assert!(!sb.is_active("other"));
    assert!(sb.profile_names().contains(&"meanwhile".to_string()));
    let mut waiting = waiting;
    assert!(
        matches!(waiting.child.try_wait(), Ok(None)),
        "the stop of `taker` still waits on the keychain (else this test proves nothing):\n{}",
        waiting.log()
    );

    // The keychain answers again: the stop completes and the user's keys are back.
    drop(stopped);
    let done = wait_until(Duration::from_secs(30), || {
        matches!(waiting.child.try_wait(), Ok(Some(_)))
    });
    assert!(done, "the stop did not finish:\n{}", waiting.log());
    assert!(!sb.is_active("taker"), "{}", waiting.log());
    assert_eq!(sb.credentials_text(), user, "{}", waiting.log());
    let taker = sb.session_id("taker");
    assert!(
        !keychain_accounts_of(&taker)
            .iter()
            .any(|a| a.ends_with("taken-over-section")),
        "the keychain copy of the restored section is deleted"
    );
}

//! The tray applet end to end: `credtray` (no arguments) under Xvfb with a real session
//! bus, gnome-keyring, dunst and trayer (`scripts/with-desktop.sh` inside
//! `scripts/with-keyring.sh`), against moto — or, where a test asserts what STS received
//! (the MFA code typed into the dialog), the recording fake STS of `tests/faults`. The
//! menu is read and clicked through `com.canonical.dbusmenu` (tests/tray/dbusmenu.py,
//! Debian's python3-dbus), dialogs are typed into with xdotool, notifications are read
//! from dunst's log, and what a user would see is saved as screenshots under
//! `target/artifacts/`.
//!
//! The tests share one display, tray and notification daemon, so they take turns
//! ([`DESKTOP`]): a dialog's keyboard focus or a notification's position is never another
//! test's.

mod common;
#[path = "faults/mod.rs"]
mod faults;
#[path = "common/saml_idp.rs"]
#[allow(dead_code)]
mod saml_idp;
#[path = "sso_fake/mod.rs"]
mod sso_fake;

use common::x11;
use faults::FakeSts;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// One test at a time on the shared desktop.
static DESKTOP: Mutex<()> = Mutex::new(());
static TRAY_N: AtomicUsize = AtomicUsize::new(0);

fn desktop() -> MutexGuard<'static, ()> {
    let guard = DESKTOP.lock().unwrap_or_else(|p| p.into_inner());
    for var in ["DISPLAY", "CREDTRAY_TEST_NOTIFICATIONS"] {
        assert!(
            std::env::var_os(var).is_some_and(|v| !v.is_empty()),
            "{var} is not set: the tray tests run inside scripts/with-desktop.sh (scripts/test.sh does that)"
        );
    }
    require_keychain();
    // A clean screen: notifications of earlier tests (critical ones stay) neither hide
    // this test's nor take their place.
    close_notifications();
    guard
}

fn display() -> String {
    std::env::var("DISPLAY").unwrap_or_default()
}

fn xdotool(args: &[&str]) -> String {
    x11::xdotool(&display(), args)
}

fn wait_window(title: &str, timeout: Duration) -> String {
    x11::wait_for_window(&display(), title, timeout)
}

fn screenshot(name: &str) -> PathBuf {
    // Let GTK handle the last keys and redraw first.
    thread::sleep(Duration::from_millis(400));
    let path = x11::artifacts_dir().join(format!("{name}.png"));
    x11::screenshot(&display(), &path);
    path
}

fn window_gone(title: &str) -> bool {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", title])
        .output()
        .expect("run xdotool");
    String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

/// Focuses a window (there is no window manager), lets GTK draw, and types into it.
fn type_into(window: &str, text: &str) {
    xdotool(&["windowfocus", "--sync", window]);
    thread::sleep(Duration::from_millis(200));
    xdotool(&["type", "--delay", "40", text]);
}

fn key(window: &str, keys: &str) {
    xdotool(&["windowfocus", "--sync", window]);
    xdotool(&["key", "--clearmodifiers", keys]);
}

/// Every notification dunst has shown in this run.
fn notifications() -> Vec<Value> {
    let path = std::env::var("CREDTRAY_TEST_NOTIFICATIONS").expect("CREDTRAY_TEST_NOTIFICATIONS");
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn notifications_about(text: &str) -> Vec<Value> {
    notifications()
        .into_iter()
        .filter(|n| {
            n["summary"].as_str().unwrap_or("").contains(text)
                || n["body"].as_str().unwrap_or("").contains(text)
        })
        .collect()
}

/// A name no other test (or earlier run) uses, so that notifications can be told apart.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid_like()[..8])
}

fn uuid_like() -> String {
    let (id, _) = unique_keys();
    id.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .rev()
        .collect()
}

/// `credtray` with no arguments (the tray) in the background; killed when dropped.
struct Tray {
    child: Option<Child>,
    pid: u32,
    log: PathBuf,
}

impl Tray {
    /// Starts the tray and waits for its menu on the bus.
    fn start(sb: &Sandbox) -> Tray {
        Tray::start_with(sb, &[])
    }

    /// Starts the tray with more environment and waits for its menu on the bus.
    fn start_with(sb: &Sandbox, env: &[(&str, String)]) -> Tray {
        let n = TRAY_N.fetch_add(1, Ordering::SeqCst);
        let log = sb.root().join(format!("tray-{n}.log"));
        let file = fs::File::create(&log).expect("tray log");
        let mut command = sb.credtray_command();
        // Which tray front (scripts/test.sh runs this suite with each): credtray's own
        // StatusNotifierItem (`sni`), or libayatana-appindicator's (`appindicator`).
        if let Some(front) = std::env::var_os("CREDTRAY_TRAY") {
            command.env("CREDTRAY_TRAY", front);
        }
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command
            .env("DISPLAY", std::env::var_os("DISPLAY").unwrap_or_default())
            .env("NO_AT_BRIDGE", "1")
            // A desktop's locale: the Sessions window's title has an em dash, which GTK
            // cannot put in the window's WM_NAME (where xdotool looks) in the C locale.
            .env("LANG", "C.UTF-8")
            .env("CREDTRAY_LOG", "credtray=debug,warn")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("run credtray");
        let pid = child.id();
        let tray = Tray {
            child: Some(child),
            pid,
            log,
        };
        let mut last = String::new();
        let ready = wait_until(Duration::from_secs(20), || match tray.try_layout() {
            Ok(_) => true,
            Err(e) => {
                last = e;
                false
            }
        });
        assert!(
            ready,
            "the tray's menu did not appear on the bus within 20 s ({last}):\n{}",
            tray.log()
        );
        tray
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the tray's log satisfies `f` (a line the process writes once it has
    /// passed some point); returns the log.
    #[track_caller]
    fn wait_log(&self, what: &str, timeout: Duration, f: impl Fn(&str) -> bool) -> String {
        let ok = wait_until(timeout, || f(&self.log()));
        let log = self.log();
        assert!(
            ok,
            "the tray's log never showed {what} within {timeout:?}:\n{log}"
        );
        log
    }

    fn dbusmenu(&self, args: &[&str]) -> Result<Value, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tray/dbusmenu.py");
        let out = Command::new("/usr/bin/python3")
            .arg(script)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run /usr/bin/python3 (install python3-dbus): {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(stdout.trim()).map_err(|_| {
            format!(
                "dbusmenu.py said: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
        if let Some(e) = v.get("error") {
            return Err(e.to_string());
        }
        Ok(v)
    }

    fn try_layout(&self) -> Result<Value, String> {
        Ok(self
            .dbusmenu(&["layout", &self.pid.to_string()])?
            .get("root")
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// The menu, as the tray host reads it.
    #[track_caller]
    fn layout(&self) -> Value {
        self.try_layout()
            .unwrap_or_else(|e| panic!("cannot read the menu: {e}\n{}", self.log()))
    }

    /// Clicks the entry at this path of labels.
    #[track_caller]
    fn click(&self, path: &[&str]) {
        let mut args = vec!["click".to_string(), self.pid.to_string()];
        args.extend(path.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The menu may be between two layouts (its entries numbered anew) when it is read:
        // a failed read or click (nothing was clicked then) is tried again, as a host would.
        let mut last = String::new();
        let clicked = wait_until(Duration::from_secs(10), || match self.dbusmenu(&args) {
            Ok(_) => true,
            Err(e) => {
                last = e;
                false
            }
        });
        if !clicked {
            panic!(
                "cannot click {path:?}: {last}\nmenu: {:#}\n{}",
                self.try_layout().unwrap_or(Value::Null),
                self.log()
            );
        }
    }

    /// Waits until the menu satisfies `f`; returns it.
    #[track_caller]
    fn wait_menu(&self, what: &str, timeout: Duration, f: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        let ok = wait_until(timeout, || {
            last = self.try_layout().unwrap_or(Value::Null);
            f(&last)
        });
        assert!(
            ok,
            "the menu never showed {what} within {timeout:?}:\n{last:#}\n{}",
            self.log()
        );
        last
    }

    fn running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Waits up to `timeout` for the process to exit by itself.
    #[track_caller]
    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("tray still owned");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("wait for the tray") {
                let log = self.log();
                assert!(!log.contains("panicked"), "the tray panicked:\n{log}");
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the tray did not exit within {timeout:?}:\n{}", self.log());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks Quit and expects a clean exit.
    #[track_caller]
    fn quit(&mut self) {
        self.click(&["Quit"]);
        let status = self.wait_exit(Duration::from_secs(15));
        assert!(
            status.success(),
            "Quit exited with {status}:\n{}",
            self.log()
        );
    }

    fn terminate(&mut self) -> ExitStatus {
        let pid = self.pid.to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        self.wait_exit(Duration::from_secs(10))
    }
}

impl Drop for Tray {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The entry at a path of labels.
fn node<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut n = root;
    for label in path {
        n = n["children"]
            .as_array()?
            .iter()
            .find(|c| c["label"] == *label && c["visible"] == true)?;
    }
    Some(n)
}

/// The labels of an entry's children (separators as "—").
fn labels(n: &Value) -> Vec<String> {
    n["children"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|e| {
                    if e["type"] == "separator" {
                        "—".to_string()
                    } else {
                        e["label"].as_str().unwrap_or("").to_string()
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn checked(root: &Value, path: &[&str]) -> Option<bool> {
    node(root, path).map(|n| n["toggle_state"] == 1)
}

/// The lines of `log` after its first line containing `marker` (none if there is none).
fn lines_after<'a>(log: &'a str, marker: &str) -> Vec<&'a str> {
    log.lines()
        .skip_while(|l| !l.contains(marker))
        .skip(1)
        .collect()
}

/// The notifications the tray says it sent (its log's `notification:` lines) about `text`.
fn sent_about<'a>(log: &'a str, text: &str) -> Vec<&'a str> {
    log.lines()
        .filter(|l| l.contains("notification:") && l.contains(text))
        .collect()
}

/// The Sessions window's title (src/tray/sessions/mod.rs, `TITLE`).
const SESSIONS_TITLE: &str = "credtray — Sessions";

/// Opens the Sessions window from the menu and types `search` into it (its search box has
/// the keyboard); returns the window.
#[track_caller]
fn sessions_window(tray: &Tray, search: &str) -> String {
    tray.click(&["Sessions…"]);
    tray.wait_log("the Sessions window shown", Duration::from_secs(15), |l| {
        l.contains("Sessions window shown")
    });
    let w = wait_window(SESSIONS_TITLE, Duration::from_secs(15));
    xdotool(&["windowfocus", "--sync", &w]);
    thread::sleep(Duration::from_millis(300));
    // Whatever an earlier search left, replaced.
    xdotool(&["key", "ctrl+a", "BackSpace"]);
    xdotool(&["type", "--delay", "40", search]);
    thread::sleep(Duration::from_millis(300));
    w
}

/// The items of a session's action menu in the Sessions window, from the top.
#[derive(Clone, Copy)]
enum WindowAction {
    Edit = 1,
    ChangeProfile = 2,
    ChangeRegion = 3,
    CreateChained = 4,
    Test = 5,
    Remove = 6,
}

/// In the Sessions window `w`, with one session shown: selects it, opens its actions
/// (Shift+F10) and chooses `action`.
fn window_action(w: &str, action: WindowAction) {
    xdotool(&["windowfocus", "--sync", w]);
    xdotool(&["key", "--delay", "40", "Down", "shift+F10"]);
    thread::sleep(Duration::from_millis(400));
    for _ in 0..action as usize {
        xdotool(&["key", "Down"]);
    }
    xdotool(&["key", "Return"]);
}

// ---------------------------------------------------------------------------------------------

#[test]
fn the_menu_groups_sessions_by_profile_and_clicks_start_and_stop_them() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("alice", "dev", &[]);
    sb.add_chained(
        "ops",
        "alice",
        "ops-admin",
        "prod",
        &["--region", "eu-west-1"],
    );
    sb.credtray(&["profile", "add", "empty"]).run().ok();

    let mut tray = Tray::start(&sb);
    // The icon alone in the panel: no text beside it (a label some panels draw).
    let item = tray
        .dbusmenu(&["item", &tray.pid.to_string()])
        .unwrap_or_else(|e| panic!("cannot read the StatusNotifierItem: {e}"));
    assert!(
        item["id"].as_str().unwrap_or("").contains("credtray"),
        "{item}"
    );
    assert_eq!(item["label"], "", "{item}");
    let menu = tray.layout();
    assert_eq!(
        labels(&menu),
        [
            "default",
            "dev",
            "prod",
            "empty",
            "—",
            "Sessions…",
            "—",
            "Add IAM user session…",
            "Add chained role…",
            "Add SAML federated role…",
            "Add integration…",
            "Named profiles…",
            "—",
            "Start at login",
            "Quit"
        ]
    );
    assert_eq!(labels(node(&menu, &["default"]).unwrap()), ["No sessions"]);
    assert_eq!(
        node(&menu, &["default", "No sessions"]).unwrap()["enabled"],
        false
    );
    assert_eq!(labels(node(&menu, &["empty"]).unwrap()), ["No sessions"]);
    // Lean: each session is a check item alone (its other actions are in the Sessions
    // window).
    assert_eq!(
        labels(node(&menu, &["dev"]).unwrap()),
        ["alice · iam-user · us-east-1"]
    );
    let ops = ["prod", "ops · iam-role-chained · eu-west-1"];
    let item = node(&menu, &ops).expect("the chained session's item");
    assert_eq!(item["toggle_type"], "checkmark");
    assert_eq!(item["toggle_state"], 0);
    assert_eq!(checked(&menu, &["Start at login"]), Some(false));

    // A click starts the chained role (and, through the keychain, its parent's token).
    tray.click(&ops);
    let started = wait_until(Duration::from_secs(30), || sb.is_active("ops"));
    assert!(started, "the click did not start 'ops':\n{}", tray.log());
    sb.assert_caller("prod", &assumed_role_arn("ops-admin", "credtray"));
    let menu = tray.wait_menu(
        "'ops' checked under '● prod'",
        Duration::from_secs(5),
        |m| checked(m, &["● prod", "ops · iam-role-chained · eu-west-1"]) == Some(true),
    );
    assert_eq!(
        checked(&menu, &["dev", "alice · iam-user · us-east-1"]),
        Some(false)
    );

    // The CLI stops it in another process: the menu follows.
    let t = Instant::now();
    sb.credtray(&["session", "stop", "ops"]).run().ok();
    tray.wait_menu(
        "'ops' unchecked after the CLI stopped it",
        Duration::from_secs(5),
        |m| checked(m, &ops) == Some(false),
    );
    eprintln!("menu followed a CLI stop in {:?}", t.elapsed());
    sb.assert_no_credentials("prod");

    // Start and stop from the menu again.
    tray.click(&ops);
    tray.wait_menu("'ops' checked again", Duration::from_secs(30), |m| {
        checked(m, &["● prod", "ops · iam-role-chained · eu-west-1"]) == Some(true)
    });
    tray.click(&["● prod", "ops · iam-role-chained · eu-west-1"]);
    tray.wait_menu("'ops' unchecked by a click", Duration::from_secs(10), |m| {
        checked(m, &ops) == Some(false)
    });
    assert!(!sb.is_active("ops"));
    sb.assert_no_credentials("prod");

    tray.click(&["Quit"]);
    let status = tray.wait_exit(Duration::from_secs(10));
    assert!(
        status.success(),
        "Quit exited with {status}:\n{}",
        tray.log()
    );
    assert!(!tray.running());
}

#[test]
fn the_sessions_window_opens_from_the_menu_a_search_narrows_it_and_enter_starts_the_one_left() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("alice", "dev", &[]);
    sb.add_chained(
        "ops-admin",
        "alice",
        "ops-admin",
        "prod",
        &["--region", "eu-west-1"],
    );
    sb.add_chained("ops-read", "alice", "ops-read", "qa", &[]);
    let mut tray = Tray::start(&sb);

    let w = sessions_window(&tray, "ops");
    tray.wait_log("two sessions left", Duration::from_secs(10), |l| {
        l.contains("Sessions window filtered shown=2")
    });
    xdotool(&["windowfocus", "--sync", &w]);
    xdotool(&["type", "--delay", "40", " admin"]);
    tray.wait_log("one session left", Duration::from_secs(10), |l| {
        l.contains("Sessions window filtered shown=1")
    });
    screenshot("tray-sessions-window");
    // Enter in the search box starts the one session shown.
    xdotool(&["key", "Return"]);
    let started = wait_until(Duration::from_secs(30), || sb.is_active("ops-admin"));
    assert!(started, "Enter did not start 'ops-admin':\n{}", tray.log());
    sb.assert_caller("prod", &assumed_role_arn("ops-admin", "credtray"));
    assert!(!sb.is_active("ops-read") && !sb.is_active("alice"));
    tray.wait_menu("'ops-admin' checked", Duration::from_secs(10), |m| {
        checked(m, &["● prod", "ops-admin · iam-role-chained · eu-west-1"]) == Some(true)
    });
    // Enter again stops it.
    xdotool(&["windowfocus", "--sync", &w]);
    xdotool(&["key", "Return"]);
    let stopped = wait_until(Duration::from_secs(15), || !sb.is_active("ops-admin"));
    assert!(stopped, "Enter did not stop 'ops-admin':\n{}", tray.log());
    sb.assert_no_credentials("prod");
    tray.quit();
}

/// In the edit form `form` (focused on its first field), presses Tab `tabs` times with the
/// window focused once (typing then replaces the field reached, whose text Tab selects).
fn tab_to(form: &str, tabs: usize) {
    xdotool(&["windowfocus", "--sync", form]);
    thread::sleep(Duration::from_millis(200));
    for _ in 0..tabs {
        xdotool(&["key", "Tab"]);
    }
}

#[test]
fn create_chained_session_from_a_session_presets_it_as_the_assumer() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    // 'bob' comes first in every list: the preset is not simply the first session.
    sb.add_iam_user("bob", "dev", &[]);
    let alice = sb.add_iam_user("alice", "dev", &[]);
    let mut tray = Tray::start(&sb);

    let w = sessions_window(&tray, "alice");
    window_action(&w, WindowAction::CreateChained);
    let form = wait_window("^credtray: add chained role$", Duration::from_secs(15));
    type_into(&form, "alice-ops");
    // Past the parent session (preset: alice) to the role ARN.
    tab_to(&form, 2);
    xdotool(&["type", "--delay", "40", &role_arn("alice-ops")]);
    // Past the role session name and the external id to the profile.
    tab_to(&form, 3);
    xdotool(&["type", "--delay", "40", "ops"]);
    screenshot("tray-dialog-create-chained");
    key(&form, "Return");
    let added = wait_until(Duration::from_secs(15), || {
        sb.session_list()
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["alias"] == "alice-ops"))
    });
    assert!(added, "the chained session was not added:\n{}", tray.log());
    let s = sb.session("alice-ops");
    assert_eq!(s["kind"], "iam-role-chained", "{s:#}");
    assert_eq!(s["parent"], alice.as_str(), "{s:#}");
    assert_eq!(s["profile"], "ops");

    // It works: started from the menu, the AWS CLI acts as the role.
    let item = "alice-ops · iam-role-chained · us-east-1";
    tray.wait_menu("the new session", Duration::from_secs(10), |m| {
        node(m, &["ops", item]).is_some()
    });
    tray.click(&["ops", item]);
    assert!(
        wait_until(Duration::from_secs(30), || sb.is_active("alice-ops")),
        "the chained session did not start:\n{}",
        tray.log()
    );
    sb.assert_caller("ops", &assumed_role_arn("alice-ops", "credtray"));
    tray.quit();
}

#[test]
fn an_edit_form_left_open_keeps_a_cli_edit_made_meanwhile_and_its_new_role_serves_at_once() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("alice", "dev", &[]);
    sb.add_chained("ops", "alice", "ops-old", "prod", &[]);
    sb.credtray(&["session", "start", "ops"]).run().ok();
    sb.assert_caller("prod", &assumed_role_arn("ops-old", "credtray"));
    let mut tray = Tray::start(&sb);

    // The Edit… form opens on the session as it is now (us-east-1, role ops-old)…
    let w = sessions_window(&tray, "ops");
    window_action(&w, WindowAction::Edit);
    let form = wait_window("^credtray: edit 'ops'$", Duration::from_secs(15));
    // …and stays open while the CLI changes another field of the same session.
    sb.credtray(&["session", "edit", "ops", "--region", "eu-central-1"])
        .run()
        .ok();
    assert_eq!(sb.session("ops")["region"], "eu-central-1");
    // The form changes the role ARN only (past the alias and the parent session).
    tab_to(&form, 2);
    xdotool(&["type", "--delay", "40", &role_arn("ops-new")]);
    screenshot("tray-dialog-edit-chained-role");
    key(&form, "Return");

    // Both edits survive, and the active session serves the new role at once (restarted
    // by the edit, not at its next rotation).
    let edited = wait_until(Duration::from_secs(30), || {
        let s = sb.session("ops");
        s["role_arn"] == role_arn("ops-new").as_str() && sb.is_active("ops")
    });
    assert!(edited, "the edit did not land:\n{}", tray.log());
    let s = sb.session("ops");
    assert_eq!(
        s["region"], "eu-central-1",
        "the CLI's edit was kept: {s:#}"
    );
    assert_eq!(s["role_arn"], role_arn("ops-new").as_str(), "{s:#}");
    let serving = wait_until(Duration::from_secs(30), || {
        let out = sb.aws(&["sts", "get-caller-identity", "--profile", "prod"]);
        out.success()
            && out
                .stdout
                .contains(&assumed_role_arn("ops-new", "credtray"))
    });
    assert!(serving, "the new role is not served:\n{}", tray.log());
    sb.assert_caller("prod", &assumed_role_arn("ops-new", "credtray"));
    assert!(
        section(&sb.config_text(), "profile prod")
            .get("region")
            .map(String::as_str)
            == Some("eu-central-1"),
        "{}",
        sb.config_text()
    );
    tray.quit();
}

#[test]
fn edit_replaces_an_iam_users_keys_which_sign_from_then_on_and_are_written_nowhere_else() {
    use common::auth::{assert_secret_eq, keychain_value, AuthMoto};
    let _desktop = desktop();
    let world = AuthMoto::start(&["alice", "bob"]);
    let (alice, bob) = (world.user("alice").clone(), world.user("bob").clone());
    let proxy = FakeSts::forwarding_to(world.moto.url());
    let sb = Sandbox::offline();
    let alias = unique("rekeyed");
    let out = common::auth::add_iam_user_with_keys(
        &sb,
        &alias,
        "keys",
        &alice.access_key_id,
        &alice.secret_access_key,
        &[],
    )
    .ok();
    let id = out.stdout.trim().to_string();
    let mut tray = Tray::start_with(&sb, &[("AWS_ENDPOINT_URL_STS", proxy.url())]);

    // Started from the menu: GetSessionToken signed by alice's key.
    let item = format!("{alias} · iam-user · us-east-1");
    tray.click(&["keys", &item]);
    assert!(
        wait_until(Duration::from_secs(30), || sb.is_active(&alias)),
        "the session did not start:\n{}\n{}",
        tray.log(),
        proxy.describe()
    );
    let signed: Vec<Option<String>> = proxy
        .requests_for("GetSessionToken")
        .iter()
        .map(|r| r.access_key_id().map(str::to_string))
        .collect();
    assert_eq!(
        signed,
        [Some(alice.access_key_id.clone())],
        "{}",
        proxy.describe()
    );

    // Edit…: "Replace access keys", bob's pair typed into the two masked fields.
    let w = sessions_window(&tray, &alias);
    window_action(&w, WindowAction::Edit);
    let form = wait_window(
        &format!("^credtray: edit '{alias}'$"),
        Duration::from_secs(15),
    );
    // Past alias, profile, region, MFA device and duration to the check box.
    tab_to(&form, 5);
    xdotool(&["key", "space", "Tab"]);
    xdotool(&["type", "--delay", "20", &bob.access_key_id]);
    xdotool(&["key", "Tab"]);
    xdotool(&["type", "--delay", "20", &bob.secret_access_key]);
    screenshot("tray-dialog-edit-iam-user-keys");
    xdotool(&["key", "Return"]);

    // The active session restarted at once with the new keys: moto accepted a
    // GetSessionToken signed by bob's key.
    let resigned = wait_until(Duration::from_secs(30), || {
        proxy
            .requests_for("GetSessionToken")
            .iter()
            .any(|r| r.access_key_id() == Some(bob.access_key_id.as_str()) && r.status == Some(200))
    });
    assert!(
        resigned,
        "no GetSessionToken signed by the new key:\n{}\n{}",
        tray.log(),
        proxy.describe()
    );
    assert!(
        wait_until(Duration::from_secs(10), || sb.is_active(&alias)),
        "the session is not active again:\n{}",
        tray.log()
    );
    let last = proxy.requests_for("GetSessionToken");
    assert_eq!(
        last.last().and_then(|r| r.access_key_id()),
        Some(bob.access_key_id.as_str()),
        "{}",
        proxy.describe()
    );
    // The keychain holds bob's pair; no key of either is in the state, the AWS files or
    // the tray's log.
    assert_secret_eq(
        "the access key id in the keychain",
        keychain_value(&format!("{id}/access-key-id")).as_deref(),
        &bob.access_key_id,
    );
    assert_secret_eq(
        "the secret access key in the keychain",
        keychain_value(&format!("{id}/secret-access-key")).as_deref(),
        &bob.secret_access_key,
    );
    let state = fs::read_to_string(sb.config_dir.join("state.json")).unwrap_or_default();
    let places = [
        ("state.json", state),
        ("the tray's log", tray.log()),
        ("the credentials file", sb.credentials_text()),
        ("the config file", sb.config_text()),
    ];
    for (place, text) in &places {
        for (n, secret) in [
            &alice.access_key_id,
            &alice.secret_access_key,
            &bob.access_key_id,
            &bob.secret_access_key,
        ]
        .iter()
        .enumerate()
        {
            assert!(
                !text.contains(secret.as_str()),
                "long-term key #{n} (not shown) is in {place}"
            );
        }
    }
    tray.quit();
}

#[test]
fn quit_stops_every_session_and_the_next_launch_resumes_them() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let id = sb.add_iam_user("bob", "dev", &[]);
    sb.add_chained("bob-role", "bob", "reader", "ro", &[]);
    sb.credtray(&["session", "start", "bob"]).run().ok();
    sb.credtray(&["session", "start", "bob-role"]).run().ok();
    let before_files = sb.credentials_text();

    let mut tray = Tray::start(&sb);
    tray.wait_menu("both sessions checked", Duration::from_secs(5), |m| {
        checked(m, &["● dev", "bob · iam-user · us-east-1"]) == Some(true)
            && checked(m, &["● ro", "bob-role · iam-role-chained · us-east-1"]) == Some(true)
    });

    // One instance per user.
    let second = sb
        .credtray(&[])
        .env("DISPLAY", std::env::var_os("DISPLAY").unwrap_or_default())
        .run()
        .ok();
    assert!(
        second
            .stderr
            .contains("credtray is already running; its Sessions window is shown"),
        "a second launch says one is running and brings up its window: {second:?}"
    );
    tray.wait_log(
        "the second launch's request taken",
        Duration::from_secs(5),
        |l| l.contains("a second launch asked for the Sessions window"),
    );
    let window = wait_window(SESSIONS_TITLE, Duration::from_secs(10));
    screenshot("tray-sessions-window-second-launch");
    key(&window, "Escape");

    tray.click(&["Quit"]);
    let status = tray.wait_exit(Duration::from_secs(10));
    assert!(
        status.success(),
        "Quit exited with {status}:\n{}",
        tray.log()
    );
    sb.assert_no_credentials("dev");
    sb.assert_no_credentials("ro");
    assert!(!sb.is_active("bob") && !sb.is_active("bob-role"));
    let state: Value =
        serde_json::from_str(&fs::read_to_string(sb.config_dir.join("state.json")).unwrap())
            .unwrap();
    let resume: Vec<&str> = state["resume"]
        .as_array()
        .expect("state.json remembers the sessions to resume")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(resume.contains(&id.as_str()), "resume list: {resume:?}");
    assert_eq!(resume.len(), 2);
    assert_ne!(before_files, sb.credentials_text());

    // The next launch starts them again.
    let mut tray = Tray::start(&sb);
    let resumed = wait_until(Duration::from_secs(30), || {
        sb.is_active("bob") && sb.is_active("bob-role")
    });
    assert!(resumed, "the sessions were not resumed:\n{}", tray.log());
    sb.assert_caller("dev", MOTO_USER_ARN);
    sb.assert_caller("ro", &assumed_role_arn("reader", "credtray"));
    tray.wait_menu(
        "both sessions checked after resuming",
        Duration::from_secs(5),
        |m| checked(m, &["● dev", "bob · iam-user · us-east-1"]) == Some(true),
    );

    // SIGTERM (a logout) stops them like Quit.
    let status = tray.terminate();
    assert!(
        status.success(),
        "SIGTERM exited with {status}:\n{}",
        tray.log()
    );
    sb.assert_no_credentials("dev");
    sb.assert_no_credentials("ro");

    // With the setting off, nothing is resumed.
    sb.credtray(&["settings", "set", "resume-at-launch", "off"])
        .run()
        .ok();
    let mut tray = Tray::start(&sb);
    // The tray says when it is done resuming (after the starts it made, if any).
    let log = tray.wait_log("the resume at launch done", Duration::from_secs(30), |l| {
        l.contains("resume at launch done")
    });
    let done = log
        .lines()
        .find(|l| l.contains("resume at launch done"))
        .unwrap();
    assert!(done.contains("count=0"), "nothing to resume: {done}");
    assert!(
        !sb.is_active("bob") && !sb.is_active("bob-role"),
        "resumed although the setting is off:\n{log}"
    );
    tray.quit();
}

#[test]
fn without_a_display_credtray_says_so_and_runs_the_headless_agent() {
    let _desktop = desktop();
    let sb = Sandbox::offline();
    let log = sb.root().join("headless.log");
    let file = fs::File::create(&log).unwrap();
    let mut child = sb
        .credtray_command()
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let read = || fs::read_to_string(&log).unwrap_or_default();
    let ok = wait_until(Duration::from_secs(15), || read().contains("agent started"));
    let text = read();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(ok, "the headless agent did not start:\n{text}");
    let first = text
        .lines()
        .find(|l| l.contains("no display"))
        .unwrap_or_default();
    assert!(
        first.starts_with("credtray: no display") && first.contains("headless agent"),
        "one line says there is no display and what runs instead:\n{text}"
    );
    assert!(status.success(), "exit {status}:\n{text}");
}

#[test]
fn start_at_login_adds_and_removes_the_autostart_entry() {
    let _desktop = desktop();
    let sb = Sandbox::offline();
    let mut tray = Tray::start(&sb);
    let entry = sb.home.join(".config/autostart/credtray.desktop");
    assert!(!entry.exists());

    tray.click(&["Start at login"]);
    tray.wait_menu("Start at login checked", Duration::from_secs(5), |m| {
        checked(m, &["Start at login"]) == Some(true)
    });
    let text = fs::read_to_string(&entry).expect("the autostart entry exists");
    assert!(text.starts_with("[Desktop Entry]"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim() == format!("Exec={} ", env!("CARGO_BIN_EXE_credtray")).trim()),
        "it starts this binary with no arguments:\n{text}"
    );
    let status = sb.credtray(&["autostart", "status"]).run().ok();
    assert_eq!(status.stdout.trim(), "on");

    tray.click(&["Start at login"]);
    tray.wait_menu("Start at login unchecked", Duration::from_secs(5), |m| {
        checked(m, &["Start at login"]) == Some(false)
    });
    assert!(!entry.exists(), "the autostart entry is gone");
    assert_eq!(
        sb.credtray(&["autostart", "status"])
            .run()
            .ok()
            .stdout
            .trim(),
        "off"
    );

    tray.quit();
}

#[test]
fn a_start_that_fails_from_the_menu_is_notified() {
    let _desktop = desktop();
    // STS is a closed port: the start fails after the SDK's retries.
    let sb = Sandbox::offline();
    let alias = unique("unreachable");
    sb.add_iam_user(&alias, "dev", &[]);
    let mut tray = Tray::start(&sb);
    let item = format!("{alias} · iam-user · us-east-1");
    tray.click(&["dev", &item]);
    let ok = wait_until(Duration::from_secs(60), || {
        !notifications_about(&alias).is_empty()
    });
    assert!(ok, "no notification reached dunst:\n{}", tray.log());
    let n = notifications_about(&alias);
    assert_eq!(n.len(), 1, "one notification: {n:#?}");
    assert_eq!(n[0]["appname"], "credtray");
    assert_eq!(n[0]["summary"], format!("'{alias}' could not start"));
    let body = n[0]["body"].as_str().unwrap();
    assert!(
        body.starts_with(&format!("Session '{alias}' could not start: ")) && body.contains("STS"),
        "the body says why: {body}"
    );
    assert!(!sb.is_active(&alias));
    // The menu shows it unchecked, followed by "⚠ Renew … now…" to try again.
    let renew = format!("⚠ Renew '{alias}' now…");
    let menu = tray.wait_menu("the session marked", Duration::from_secs(5), |m| {
        node(m, &["dev", &renew]).is_some()
    });
    assert_eq!(checked(&menu, &["dev", &item]), Some(false));
    assert_eq!(
        labels(node(&menu, &["dev"]).unwrap()),
        [item.as_str(), &renew]
    );
    tray.quit();
}

#[test]
fn the_menu_opens_from_its_icon_in_a_tray_host() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("alice", "dev", &[]);
    sb.add_iam_user("carol", "dev", &["--region", "eu-central-1"]);
    sb.add_chained(
        "ops",
        "alice",
        "ops-admin",
        "prod",
        &["--region", "eu-west-1"],
    );
    sb.credtray(&["session", "start", "alice"]).run().ok();
    // libayatana-appindicator's front: the one that docks into an XEmbed tray.
    let mut tray = Tray::start_with(&sb, &[("CREDTRAY_TRAY", "appindicator".into())]);
    tray.wait_menu("alice checked", Duration::from_secs(5), |m| {
        checked(m, &["● dev", "alice · iam-user · us-east-1"]) == Some(true)
    });

    // Without a StatusNotifier host, libayatana-appindicator docks a GtkStatusIcon into
    // trayer (XEmbed); its window carries the application's name.
    wait_window("^panel$", Duration::from_secs(10));
    let icon = wait_window("^credtray$", Duration::from_secs(10));
    let visible = || {
        xdotool(&["search", "--onlyvisible", "--name", ""])
            .lines()
            .count()
    };
    let before = visible();
    xdotool(&["mousemove", "--window", &icon, "10", "10", "click", "1"]);
    let opened = wait_until(Duration::from_secs(5), || visible() > before);
    assert!(
        opened,
        "clicking the tray icon opened no menu:\n{}",
        tray.log()
    );
    // Let the menu take the keyboard grab (nothing outside shows when it has).
    thread::sleep(Duration::from_millis(300));
    // Into "● dev" with the keyboard: default, ● dev, open: its submenu is a new window.
    let open = visible();
    xdotool(&["key", "Down", "Down", "Right"]);
    let submenu = wait_until(Duration::from_secs(5), || visible() > open);
    assert!(submenu, "the keyboard opened no submenu:\n{}", tray.log());
    let shot = screenshot("tray-menu");
    let colours = Command::new("identify")
        .args(["-format", "%k"])
        .arg(&shot)
        .output()
        .expect("run identify");
    let colours: u32 = String::from_utf8_lossy(&colours.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(
        colours > 50,
        "the screenshot shows little ({colours} colours): {}",
        shot.display()
    );
    xdotool(&["key", "Escape", "Escape"]);
    tray.quit();
}

/// An MFA session started from the CLI whose credentials expire in `secs`, with a margin
/// longer than the token's life, so that renewing it needs a new code at once.
fn mfa_session_expiring_in(sb: &Sandbox, alias: &str, profile: &str, secs: i64) {
    sb.set_margin(43_200);
    let id = sb.add_iam_user(alias, profile, &["--mfa-serial", &mfa_arn(profile)]);
    sb.credtray(&["session", "start", alias, "--mfa-code", "123456"])
        .run()
        .ok();
    sb.expire_in(&id, secs);
}

/// Closes every notification on screen, so that position 0 is the next one.
fn close_notifications() {
    let out = Command::new("dunstctl")
        .arg("close-all")
        .output()
        .expect("run dunstctl");
    assert!(out.status.success());
}

#[test]
fn an_mfa_session_starts_with_the_code_typed_into_the_dialog() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user(
        "mfa-user",
        "secure",
        &["--mfa-serial", &mfa_arn("mfa-user")],
    );
    sb.add_iam_user("mfa-two", "other", &["--mfa-serial", &mfa_arn("mfa-two")]);
    let mut tray = Tray::start(&sb);

    tray.click(&["secure", "mfa-user · iam-user · us-east-1"]);
    let dialog = wait_window("^credtray: MFA code$", Duration::from_secs(15));
    // Digits only: the letter is dropped; six digits enable OK.
    type_into(&dialog, "12x34");
    key(&dialog, "Return");
    // The dialog says when it gets an Enter it cannot act on (its OK disabled).
    tray.wait_log(
        "the MFA dialog ignoring Enter",
        Duration::from_secs(10),
        |l| l.contains("Enter ignored") && l.contains("MFA code"),
    );
    assert!(!window_gone("^credtray: MFA code$"), "OK took four digits");
    assert!(!sb.is_active("mfa-user"));
    type_into(&dialog, "56");
    screenshot("tray-dialog-mfa");
    key(&dialog, "Return");
    let started = wait_until(Duration::from_secs(30), || sb.is_active("mfa-user"));
    assert!(
        started,
        "the session did not start after the code:\n{}",
        tray.log()
    );
    assert!(window_gone("^credtray: MFA code$"), "the dialog closed");
    sb.assert_caller("secure", MOTO_USER_ARN);
    tray.wait_menu("mfa-user checked", Duration::from_secs(5), |m| {
        checked(m, &["● secure", "mfa-user · iam-user · us-east-1"]) == Some(true)
    });

    // Cancel leaves the session stopped, quietly.
    tray.click(&["other", "mfa-two · iam-user · us-east-1"]);
    let dialog = wait_window("^credtray: MFA code$", Duration::from_secs(15));
    key(&dialog, "Escape");
    let closed = wait_until(Duration::from_secs(5), || {
        window_gone("^credtray: MFA code$")
    });
    assert!(closed, "Escape closes the dialog");
    // The start's outcome reaches the menu's thread (which notifies there, if at all).
    let two = sb.session_id("mfa-two");
    let log = tray.wait_log("the cancelled start done", Duration::from_secs(10), |l| {
        l.lines()
            .any(|l| l.contains("action done") && l.contains(&two))
    });
    let done = log
        .lines()
        .find(|l| l.contains("action done") && l.contains(&two))
        .unwrap();
    assert!(
        done.contains("notified=false"),
        "a cancel is not an error: {done}"
    );
    assert!(!sb.is_active("mfa-two"));
    assert!(
        sent_about(&log, "mfa-two").is_empty() && notifications_about("mfa-two").is_empty(),
        "a cancel is not an error:\n{log}"
    );
    assert_eq!(
        checked(&tray.layout(), &["other", "mfa-two · iam-user · us-east-1"]),
        Some(false)
    );

    tray.quit();
    sb.assert_no_credentials("secure");
}

/// How many times the tray's log says a dialog ignored an Enter (its OK disabled).
fn enters_ignored(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("Enter ignored") && l.contains("MFA code"))
        .count()
}

#[test]
fn the_code_typed_into_the_mfa_dialog_is_the_token_code_sts_receives() {
    let _desktop = desktop();
    // The tray and the AWS CLI of this sandbox both talk to the recording fake STS, which
    // issues distinct keys per answer (ASIAFAKE…0, …1): so a key in the file says which
    // answer, and so which request, it came from.
    let fake = FakeSts::start();
    let sb = Sandbox::with_endpoint(fake.url());
    let serial = "arn:aws:iam::123456789012:mfa/someone";
    let other_serial = mfa_arn("someone-else");
    sb.add_iam_user("rec-mfa", "recorded", &["--mfa-serial", serial]);
    sb.add_iam_user("rec-other", "elsewhere", &["--mfa-serial", &other_serial]);
    let other_id = sb.session_id("rec-other");
    let other_item = ["elsewhere", "rec-other · iam-user · us-east-1"];
    let mut tray = Tray::start(&sb);

    // A code typed into one dialog, then cancelled, is sent nowhere — not now, not later.
    tray.click(&other_item);
    let dialog = wait_window("^credtray: MFA code$", Duration::from_secs(15));
    type_into(&dialog, "999999");
    key(&dialog, "Escape");
    tray.wait_log("the cancelled start done", Duration::from_secs(10), |l| {
        l.lines()
            .any(|l| l.contains("action done") && l.contains(&other_id))
    });
    assert_eq!(
        fake.count(None),
        0,
        "a cancelled dialog reached STS:\n{}",
        fake.describe()
    );

    // The session with the device `someone`: a letter dropped, an Enter on five digits
    // ignored, two digits erased and retyped, a seventh digit refused by the field.
    tray.click(&["recorded", "rec-mfa · iam-user · us-east-1"]);
    let dialog = wait_window("^credtray: MFA code$", Duration::from_secs(15));
    type_into(&dialog, "48x213");
    key(&dialog, "Return");
    tray.wait_log(
        "the MFA dialog ignoring Enter on 5 digits",
        Duration::from_secs(10),
        |l| enters_ignored(l) == 1,
    );
    assert_eq!(
        fake.count(None),
        0,
        "an incomplete code reached STS:\n{}",
        fake.describe()
    );
    key(&dialog, "BackSpace");
    key(&dialog, "BackSpace");
    type_into(&dialog, "9071");
    screenshot("tray-dialog-mfa-recorded");
    key(&dialog, "Return");
    let started = wait_until(Duration::from_secs(30), || sb.is_active("rec-mfa"));
    assert!(
        started,
        "the session did not start after the code:\n{}\n{}",
        fake.describe(),
        tray.log()
    );
    assert!(window_gone("^credtray: MFA code$"), "the dialog closed");
    let gst = fake.requests_for("GetSessionToken");
    assert_eq!(gst.len(), 1, "one start, one request:\n{}", fake.describe());
    let first = &gst[0];
    assert_eq!(
        first.param("TokenCode"),
        Some("482907"),
        "the six digits left in the field, as they were last typed"
    );
    assert_eq!(
        first.param("SerialNumber"),
        Some(serial),
        "the session's own device"
    );
    assert_eq!(first.param("DurationSeconds"), Some("36000"));
    assert_eq!(
        first.access_key_id(),
        Some(sb.access_key_id.as_str()),
        "signed with the session's long-term key"
    );
    assert_eq!(first.session_token, None);
    let issued = first
        .issued_access_key_id()
        .expect("the fake answered with credentials")
        .to_string();
    let text = sb.credentials_text();
    assert_eq!(
        ini_get(&text, "recorded", "aws_access_key_id").as_deref(),
        Some(issued.as_str()),
        "the credentials file holds the key STS issued for that code\n{}",
        sb.dump()
    );
    // The real consumer: the AWS CLI reads the profile and signs with what it found, which
    // the fake records (it answers GetCallerIdentity for any signer).
    sb.assert_caller("recorded", "arn:aws:iam::123456789012:user/fake");
    let gci = fake.requests_for("GetCallerIdentity");
    assert_eq!(gci.len(), 1, "{}", fake.describe());
    assert_eq!(
        gci[0].access_key_id(),
        Some(issued.as_str()),
        "the AWS CLI signed with the issued key:\n{}",
        fake.describe()
    );
    assert!(
        gci[0]
            .session_token
            .as_deref()
            .is_some_and(|t| !t.is_empty()
                && ini_get(&text, "recorded", "aws_session_token").as_deref() == Some(t)),
        "the AWS CLI sent the session token of the file:\n{}",
        fake.describe()
    );

    // The cancelled session again: a fresh, empty dialog, whose code alone is sent (not
    // the cancelled 999999, nor the other session's code), with its own device.
    tray.click(&other_item);
    let dialog = wait_window("^credtray: MFA code$", Duration::from_secs(15));
    type_into(&dialog, "135790");
    key(&dialog, "Return");
    let started = wait_until(Duration::from_secs(30), || sb.is_active("rec-other"));
    assert!(
        started,
        "the other session did not start:\n{}\n{}",
        fake.describe(),
        tray.log()
    );
    let gst = fake.requests_for("GetSessionToken");
    assert_eq!(gst.len(), 2, "{}", fake.describe());
    assert_eq!(
        gst[1].param("TokenCode"),
        Some("135790"),
        "this dialog's code"
    );
    assert_eq!(gst[1].param("SerialNumber"), Some(other_serial.as_str()));
    let other_issued = gst[1]
        .issued_access_key_id()
        .expect("the fake answered with credentials")
        .to_string();
    assert_ne!(other_issued, issued);
    let text = sb.credentials_text();
    assert_eq!(
        ini_get(&text, "elsewhere", "aws_access_key_id").as_deref(),
        Some(other_issued.as_str()),
        "{}",
        sb.dump()
    );
    assert_eq!(
        ini_get(&text, "recorded", "aws_access_key_id").as_deref(),
        Some(issued.as_str()),
        "the first session's credentials stay its own\n{}",
        sb.dump()
    );

    // Once the tray has exited, the record is complete: one GetSessionToken per dialog
    // answered, and nothing else from the tray.
    tray.quit();
    let actions: Vec<String> = fake.requests().into_iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        ["GetSessionToken", "GetCallerIdentity", "GetSessionToken"],
        "{}",
        fake.describe()
    );
    assert_eq!(
        enters_ignored(&tray.log()),
        1,
        "no other Enter was ignored:\n{}",
        tray.log()
    );
}

#[test]
fn a_session_moves_to_another_profile_through_the_dialog() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("alice", "dev", &[]);
    sb.credtray(&["session", "start", "alice"]).run().ok();
    let mut tray = Tray::start(&sb);

    let w = sessions_window(&tray, "alice");
    window_action(&w, WindowAction::ChangeProfile);
    let dialog = wait_window("^credtray: profile of 'alice'$", Duration::from_secs(15));
    key(&dialog, "ctrl+a");
    type_into(&dialog, "staging");
    screenshot("tray-dialog-profile");
    key(&dialog, "Return");
    let moved = wait_until(Duration::from_secs(30), || {
        sb.session("alice")["profile"] == "staging" && sb.is_active("alice")
    });
    assert!(moved, "alice did not move to 'staging':\n{}", tray.log());
    sb.assert_caller("staging", MOTO_USER_ARN);
    sb.assert_no_credentials("dev");
    assert!(sb.profile_names().contains(&"staging".to_string()));
    let menu = tray.wait_menu("alice under '● staging'", Duration::from_secs(5), |m| {
        checked(m, &["● staging", "alice · iam-user · us-east-1"]) == Some(true)
    });
    assert_eq!(labels(node(&menu, &["dev"]).unwrap()), ["No sessions"]);

    tray.quit();
    sb.assert_no_credentials("staging");
}

#[test]
fn a_rotation_that_needs_an_mfa_code_notifies_once_and_its_action_asks_for_the_code() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let alias = unique("rot");
    mfa_session_expiring_in(&sb, &alias, "rot", 300);

    let mut tray = Tray::start(&sb);
    let told = wait_until(Duration::from_secs(20), || {
        !notifications_about(&alias).is_empty()
    });
    assert!(told, "no notification:\n{}", tray.log());
    // Every event of the agent's pass that asked for the code has been handled once the
    // tray has handled the end of that pass.
    let log = tray.wait_log("the agent's pass handled", Duration::from_secs(10), |l| {
        lines_after(l, &format!("notification: Session '{alias}'"))
            .iter()
            .any(|l| l.contains("agent pass handled"))
    });
    assert_eq!(
        sent_about(&log, &alias).len(),
        1,
        "one notification per session per event:\n{log}"
    );
    let n = notifications_about(&alias);
    assert_eq!(n.len(), 1, "one notification per session per event: {n:#?}");
    let summary = n[0]["summary"].as_str().unwrap();
    assert!(
        summary == format!("MFA code needed: '{alias}' expires in 5 minutes")
            || summary == format!("MFA code needed: '{alias}' expires in 4 minutes"),
        "{summary}"
    );
    assert_eq!(n[0]["urgency"], "CRITICAL");
    let renew = format!("⚠ Renew '{alias}' now…");
    tray.wait_menu("the session marked", Duration::from_secs(5), |m| {
        node(m, &["● rot", &renew]).is_some()
    });
    screenshot("tray-notification-mfa");

    // The notification's action opens the dialog; a code renews the credentials.
    let before = sb.session(&alias)["expiration"].clone();
    let out = Command::new("dunstctl")
        .args(["action", "0"])
        .output()
        .expect("run dunstctl");
    assert!(out.status.success(), "dunstctl action: {out:?}");
    let dialog = wait_window("^credtray: MFA code$", Duration::from_secs(15));
    type_into(&dialog, "654321");
    key(&dialog, "Return");
    let renewed = wait_until(Duration::from_secs(30), || {
        sb.session(&alias)["expiration"] != before
    });
    assert!(renewed, "the credentials were not renewed:\n{}", tray.log());
    sb.assert_caller("rot", MOTO_USER_ARN);
    tray.wait_menu("the mark gone", Duration::from_secs(5), |m| {
        node(m, &["● rot"]).is_some() && node(m, &["● rot", &renew]).is_none()
    });
    tray.quit();
}

#[test]
fn credentials_that_run_out_are_removed_and_notified_as_stopped() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let alias = unique("expiring");
    mfa_session_expiring_in(&sb, &alias, "exp", 4);

    let mut tray = Tray::start(&sb);
    let stopped = wait_until(Duration::from_secs(30), || {
        notifications_about(&alias)
            .iter()
            .any(|n| n["summary"] == format!("'{alias}' stopped"))
    });
    assert!(stopped, "no 'stopped' notification:\n{}", tray.log());
    sb.assert_no_credentials("exp");
    assert!(!sb.is_active(&alias));
    let log = tray.wait_log("the agent's pass handled", Duration::from_secs(10), |l| {
        lines_after(l, &format!("notification: Session '{alias}' stopped"))
            .iter()
            .any(|l| l.contains("agent pass handled"))
    });
    assert_eq!(
        sent_about(&log, &alias).len(),
        1,
        "one notification per event:\n{log}"
    );
    let n = notifications_about(&alias);
    let summaries: Vec<&str> = n.iter().filter_map(|n| n["summary"].as_str()).collect();
    // The credentials ran out within the shortest refresh interval (10 s after a write), so
    // no refresh was tried: the one event is the stop.
    assert_eq!(
        summaries,
        [format!("'{alias}' stopped").as_str()],
        "one notification per event"
    );
    assert_eq!(
        n[0]["body"],
        format!("Session '{alias}' stopped: its credentials expired before they could be refreshed and were removed from the credentials file.")
    );
    tray.wait_menu("the session unchecked", Duration::from_secs(5), |m| {
        checked(m, &["exp", &format!("{alias} · iam-user · us-east-1")]) == Some(false)
    });
    tray.quit();
}

#[test]
fn an_iam_user_added_through_the_form_keeps_its_keys_in_the_keychain_and_starts() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let mut tray = Tray::start(&sb);

    tray.click(&["Add IAM user session…"]);
    let form = wait_window("^credtray: add IAM user session$", Duration::from_secs(15));
    // Alias has the focus; Tab moves from field to field, selecting what a field holds.
    type_into(&form, "form-user");
    key(&form, "Tab");
    type_into(&form, "formprof");
    key(&form, "Tab");
    type_into(&form, "eu-west-1");
    key(&form, "Tab");
    type_into(&form, &sb.access_key_id);
    key(&form, "Tab");
    type_into(&form, &sb.secret_access_key);
    screenshot("tray-dialog-add-iam-user");
    key(&form, "Return");
    let added = wait_until(Duration::from_secs(15), || {
        sb.session_list()
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["alias"] == "form-user"))
    });
    assert!(added, "the session was not added:\n{}", tray.log());
    let s = sb.session("form-user");
    assert_eq!(s["profile"], "formprof");
    assert_eq!(s["region"], "eu-west-1");
    let id = s["id"].as_str().unwrap().to_string();
    let accounts = keychain_accounts_of(&id);
    assert!(
        accounts.contains(&format!("{id}/access-key-id"))
            && accounts.contains(&format!("{id}/secret-access-key")),
        "the keys are in the keychain: {accounts:?}"
    );
    let state = fs::read_to_string(sb.config_dir.join("state.json")).unwrap();
    assert!(
        !state.contains(&sb.secret_access_key),
        "the secret is in state.json"
    );

    let item = "form-user · iam-user · eu-west-1";
    tray.wait_menu("the new session in the menu", Duration::from_secs(5), |m| {
        node(m, &["formprof", item]).is_some()
    });
    tray.click(&["formprof", item]);
    let started = wait_until(Duration::from_secs(30), || sb.is_active("form-user"));
    assert!(started, "the new session did not start:\n{}", tray.log());
    sb.assert_caller("formprof", MOTO_USER_ARN);
    tray.quit();
    assert!(
        !tray.log().contains(&sb.secret_access_key),
        "the secret reached the tray's log"
    );
}

#[test]
fn named_profiles_are_renamed_and_removed_through_the_dialogs_with_their_sessions() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("alice", "dev", &[]);
    sb.credtray(&["session", "start", "alice"]).run().ok();
    let mut tray = Tray::start(&sb);

    // Rename: the manager (dev selected, then Rename…), then the new name.
    tray.click(&["Named profiles…"]);
    let manager = wait_window("^credtray: named profiles$", Duration::from_secs(15));
    key(&manager, "Down");
    screenshot("tray-dialog-profiles");
    key(&manager, "Tab");
    key(&manager, "Tab");
    key(&manager, "Return");
    let name = wait_window("^credtray: rename profile 'dev'$", Duration::from_secs(15));
    type_into(&name, "development");
    key(&name, "Return");
    let renamed = wait_until(Duration::from_secs(30), || {
        sb.profile_names().contains(&"development".to_string())
            && sb.session("alice")["profile"] == "development"
            && sb.is_active("alice")
    });
    assert!(renamed, "the profile was not renamed:\n{}", tray.log());
    sb.assert_caller("development", MOTO_USER_ARN);
    sb.assert_no_credentials("dev");
    tray.wait_menu("'● development'", Duration::from_secs(5), |m| {
        checked(m, &["● development", "alice · iam-user · us-east-1"]) == Some(true)
    });

    // Remove: its session moves to default and restarts there.
    tray.click(&["Named profiles…"]);
    let manager = wait_window("^credtray: named profiles$", Duration::from_secs(15));
    key(&manager, "Down");
    for _ in 0..3 {
        key(&manager, "Tab");
    }
    key(&manager, "Return");
    let confirm = wait_window(
        "^credtray: remove profile 'development'$",
        Duration::from_secs(15),
    );
    screenshot("tray-dialog-remove-profile");
    key(&confirm, "Return");
    let removed = wait_until(Duration::from_secs(30), || {
        !sb.profile_names().contains(&"development".to_string())
            && sb.session("alice")["profile"] == "default"
            && sb.is_active("alice")
    });
    assert!(removed, "the profile was not removed:\n{}", tray.log());
    sb.assert_caller("default", MOTO_USER_ARN);
    sb.assert_no_credentials("development");
    tray.wait_menu("alice under '● default'", Duration::from_secs(5), |m| {
        checked(m, &["● default", "alice · iam-user · us-east-1"]) == Some(true)
    });
    tray.quit();
}

#[test]
fn test_credentials_notifies_who_they_are_a_region_change_follows_in_the_menu_and_remove_deletes_it(
) {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let alias = unique("tester");
    sb.add_iam_user(&alias, "qa", &[]);
    let mut tray = Tray::start(&sb);

    let w = sessions_window(&tray, &alias);
    window_action(&w, WindowAction::Test);
    let told = wait_until(Duration::from_secs(30), || {
        !notifications_about(&alias).is_empty()
    });
    assert!(told, "no notification:\n{}", tray.log());
    let n = notifications_about(&alias);
    assert_eq!(n[0]["summary"], format!("'{alias}' works"));
    assert_eq!(
        n[0]["body"],
        format!("Its credentials act as {MOTO_USER_ARN}. Nothing was written.")
    );
    assert!(!sb.is_active(&alias));
    sb.assert_no_credentials("qa");

    window_action(&w, WindowAction::ChangeRegion);
    let dialog = wait_window(
        &format!("^credtray: region of '{alias}'$"),
        Duration::from_secs(15),
    );
    key(&dialog, "ctrl+a");
    type_into(&dialog, "eu-north-1");
    key(&dialog, "Return");
    let item = format!("{alias} · iam-user · eu-north-1");
    tray.wait_menu(
        "the new region in the label",
        Duration::from_secs(10),
        |m| node(m, &["qa", &item]).is_some(),
    );
    assert_eq!(sb.session(&alias)["region"], "eu-north-1");

    // Remove…, confirmed: the session and its keychain items are gone.
    let id = sb.session_id(&alias);
    assert!(!keychain_accounts_of(&id).is_empty());
    window_action(&w, WindowAction::Remove);
    let confirm = wait_window(
        &format!("^credtray: remove '{alias}'$"),
        Duration::from_secs(15),
    );
    key(&confirm, "Return");
    let menu = tray.wait_menu("the profile emptied", Duration::from_secs(10), |m| {
        node(m, &["qa", "No sessions"]).is_some()
    });
    assert_eq!(labels(node(&menu, &["qa"]).unwrap()), ["No sessions"]);
    assert!(
        !sb.session_list()
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["alias"] == alias.as_str())),
        "the session is still listed"
    );
    // The keychain items go right after the state is saved (which the menu shows).
    let forgotten = wait_until(Duration::from_secs(5), || {
        keychain_accounts_of(&id).is_empty()
    });
    assert!(
        forgotten,
        "its keychain items are still there: {:?}",
        keychain_accounts_of(&id)
    );
    tray.quit();
}

/// Whether the notification server reads bodies as markup (its `body-markup` capability),
/// asked the way credtray asks it.
fn server_reads_markup() -> bool {
    let out = Command::new("gdbus")
        .args([
            "call",
            "--session",
            "--dest",
            "org.freedesktop.Notifications",
            "--object-path",
            "/org/freedesktop/Notifications",
            "--method",
            "org.freedesktop.Notifications.GetCapabilities",
        ])
        .output()
        .expect("run gdbus");
    assert!(out.status.success(), "GetCapabilities: {out:?}");
    String::from_utf8_lossy(&out.stdout).contains("'body-markup'")
}

/// What a body shows on a server that reads markup: tags dropped, entities decoded.
fn markup_shown(body: &str) -> String {
    let mut text = String::new();
    let mut rest = body;
    while let Some(i) = rest.find(['<', '&']) {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            rest = rest.find('>').map_or("", |j| &rest[j + 1..]);
        } else {
            let entity = rest.find(';').map_or(rest, |j| &rest[..=j]);
            text.push_str(match entity {
                "&amp;" => "&",
                "&lt;" => "<",
                "&gt;" => ">",
                "&quot;" => "\"",
                "&apos;" => "'",
                other => other,
            });
            rest = &rest[entity.len()..];
        }
    }
    text.push_str(rest);
    text
}

#[test]
fn aliases_with_markup_characters_show_as_typed_in_notifications() {
    let _desktop = desktop();
    let markup = server_reads_markup();
    assert!(
        markup,
        "scripts/with-desktop.sh runs dunst with markup = full: bodies are markup"
    );
    // STS is a closed port: the start fails, and the notification names the session.
    let sb = Sandbox::offline();
    let alias = format!("<b>x</b> & y {}", unique("m"));
    sb.add_iam_user(&alias, "dev", &[]);
    let mut tray = Tray::start(&sb);
    tray.click(&["dev", &format!("{alias} · iam-user · us-east-1")]);
    let tag = alias.rsplit(' ').next().unwrap().to_string();
    let ok = wait_until(Duration::from_secs(60), || {
        !notifications_about(&tag).is_empty()
    });
    assert!(ok, "no notification reached dunst:\n{}", tray.log());
    let n = notifications_about(&tag);
    assert_eq!(n.len(), 1, "one notification: {n:#?}");
    // The summary is plain text by the spec: sent as it is.
    assert_eq!(n[0]["summary"], format!("'{alias}' could not start"));
    // The body (dunst's script gets it as sent) is escaped, so that what it shows is the
    // alias as typed: no bold "x", no swallowed "&".
    let body = n[0]["body"].as_str().unwrap();
    let escaped = alias
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        body.starts_with(&format!("Session '{escaped}' could not start: ")),
        "the body as sent: {body}"
    );
    assert!(
        markup_shown(body).starts_with(&format!("Session '{alias}' could not start: ")),
        "the body as shown: {}",
        markup_shown(body)
    );
    tray.quit();
}

#[test]
fn aliases_and_profiles_with_mnemonic_characters_show_as_typed_in_the_menu() {
    let _desktop = desktop();
    let sb = Sandbox::offline();
    sb.add_iam_user("a_b & c", "r&d_x", &[]);
    let mut tray = Tray::start(&sb);
    let menu = tray.layout();
    let profile = node(&menu, &["r&d_x"])
        .unwrap_or_else(|| panic!("a submenu displayed as 'r&d_x': {:?}", labels(&menu)));
    // dbusmenu labels mark an access key with "_" and a literal "_" with "__"; "&" is
    // plain. So the exported label doubles the underscores and nothing else.
    assert_eq!(profile["raw_label"], "r&d__x");
    let item = node(&menu, &["r&d_x", "a_b & c · iam-user · us-east-1"]).unwrap_or_else(|| {
        panic!(
            "a check item displayed as 'a_b & c · iam-user · us-east-1': {:?}",
            labels(profile)
        )
    });
    assert_eq!(item["raw_label"], "a__b & c · iam-user · us-east-1");
    assert_eq!(item["toggle_type"], "checkmark");
    assert_eq!(labels(profile).len(), 1, "no per-session submenu");

    // A label changed in place (a new region) keeps the alias as typed.
    sb.credtray(&["session", "edit", "a_b & c", "--region", "eu-west-1"])
        .run()
        .ok();
    let menu = tray.wait_menu("the new region", Duration::from_secs(5), |m| {
        node(m, &["r&d_x", "a_b & c · iam-user · eu-west-1"]).is_some()
    });
    assert_eq!(
        node(&menu, &["r&d_x", "a_b & c · iam-user · eu-west-1"]).unwrap()["raw_label"],
        "a__b & c · iam-user · eu-west-1"
    );
    tray.quit();
}

// ---------------------------------------------------------------------------------------------
// IAM Identity Center

/// The waiting window's title (src/tray/dialogs/mod.rs, `titles::SIGN_IN`).
const SIGN_IN_TITLE: &str = "credtray: sign-in";

/// A "browser" for `BROWSER`: a script that, once `go` exists (the test has seen the
/// waiting window), GETs the authorize URL from the fake and follows its 302 to credtray's
/// loopback callback, as a browser would; with `go` = `None`, one that opens nothing.
fn browser(sb: &Sandbox, go: Option<&Path>) -> PathBuf {
    let path = sb.root().join(if go.is_some() {
        "browser.sh"
    } else {
        "no-browser.sh"
    });
    let body = match go {
        Some(go) => format!(
            "#!/bin/sh\n\
             # Waits for the test to say go, then follows the authorize redirect.\n\
             while [ ! -e '{}' ]; do sleep 0.05; done\n\
             exec curl --silent --show-error --location --max-time 30 --output /dev/null \"$1\"\n",
            go.display()
        ),
        None => "#!/bin/sh\n# Opens nothing: the user never signs in.\nexit 0\n".to_string(),
    };
    fs::write(&path, body).expect("write the browser script");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod the script");
    path
}

/// Adds integration `corp` through the CLI; returns its id.
fn add_corp(sb: &Sandbox) -> String {
    sb.credtray(&[
        "integration",
        "add",
        "--alias",
        "corp",
        "--start-url",
        "https://d-1.awsapps.com/start",
        "--region",
        "eu-west-1",
    ])
    .run()
    .ok();
    integration(sb)["id"]
        .as_str()
        .expect("the integration's id")
        .to_string()
}

/// `integration list --json`'s one entry.
fn integration(sb: &Sandbox) -> Value {
    let list = sb
        .credtray(&["integration", "list", "--json"])
        .run()
        .ok()
        .json();
    list[0].clone()
}

/// The keys under `[section]` of an ini text.
fn section(text: &str, name: &str) -> std::collections::BTreeMap<String, String> {
    let header = format!("[{name}]");
    text.lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The top-level labels of the menu.
fn top(menu: &Value) -> Vec<String> {
    labels(menu)
}

#[test]
fn an_integration_signs_in_syncs_starts_signs_out_and_is_removed_from_the_menu() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let sso = sso_fake::FakeSso::start();
    let id = add_corp(&sb);
    let go = sb.root().join("browser-go");
    let mut env: Vec<(&str, String)> = sso.endpoint_env().to_vec();
    env.push(("BROWSER", browser(&sb, Some(&go)).display().to_string()));
    let mut tray = Tray::start_with(&sb, &env);

    let menu = tray.layout();
    let t = top(&menu);
    let at = t
        .iter()
        .position(|l| l == "Integrations")
        .expect("the Integrations heading");
    assert_eq!(t[at + 1], "corp · logged-out", "{t:?}");
    assert_eq!(node(&menu, &["Integrations"]).unwrap()["enabled"], false);
    assert_eq!(
        labels(node(&menu, &["corp · logged-out"]).unwrap()),
        ["Sign in…", "Sync now", "Remove…"]
    );
    assert!(t.contains(&"Add integration…".to_string()), "{t:?}");

    // Sign in…: the waiting window shows the authorize URL while the "browser" waits.
    tray.click(&["corp · logged-out", "Sign in…"]);
    let window = wait_window(SIGN_IN_TITLE, Duration::from_secs(20));
    tray.wait_menu("'corp · Signing in…'", Duration::from_secs(5), |m| {
        node(m, &["corp · Signing in…"]).is_some()
    });
    let shot = screenshot("tray-sso-sign-in-waiting");
    assert!(shot.is_file());
    let log = tray.log();
    assert!(log.contains("sign-in dialog shown"), "{log}");
    assert_eq!(
        sso.count("/token"),
        0,
        "no token before the browser comes back"
    );
    let _ = window;

    // The browser follows the redirect: signed in, synced, the window gone by itself.
    fs::write(&go, b"go").unwrap();
    let session = "acct-0001 / Admin · aws-sso · eu-west-1";
    let menu = tray.wait_menu(
        "the synced sessions under 'default' and 'corp · logged-in'",
        Duration::from_secs(60),
        |m| node(m, &["default", session]).is_some() && node(m, &["corp · logged-in"]).is_some(),
    );
    let default = node(&menu, &["default"]).unwrap();
    let checks: Vec<String> = default["children"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["toggle_type"] == "checkmark")
        .map(|c| c["label"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(checks.len(), 9, "3 accounts × 3 roles: {checks:?}");
    assert!(
        checks.iter().all(|c| c.ends_with(" · aws-sso · eu-west-1")),
        "{checks:?}"
    );
    assert_eq!(checked(&menu, &["default", session]), Some(false));
    assert_eq!(
        labels(node(&menu, &["corp · logged-in"]).unwrap()),
        ["Sign out", "Sync now", "Remove…"]
    );
    assert!(
        wait_until(Duration::from_secs(10), || window_gone(SIGN_IN_TITLE)),
        "the waiting window did not close after the sign-in:\n{}",
        tray.log()
    );
    tray.wait_log("the dialog closed", Duration::from_secs(5), |l| {
        l.contains("sign-in dialog closed")
    });
    let info = integration(&sb);
    assert_eq!(info["status"], "logged-in");
    assert_eq!(info["sessions"], 9);
    assert_eq!(info["id"], id.as_str());
    let tokens: Vec<String> = keychain_accounts()
        .into_iter()
        .filter(|a| a.starts_with(&format!("integration/{id}/")))
        .collect();
    assert!(
        tokens.contains(&format!("integration/{id}/sso-access-token")),
        "{tokens:?}"
    );

    // A click starts a synced session with the credentials the portal issues.
    tray.click(&["default", session]);
    let menu = tray.wait_menu(
        "the session checked under '● default'",
        Duration::from_secs(30),
        |m| checked(m, &["● default", session]) == Some(true),
    );
    let issued = sso.issued_credentials();
    assert_eq!(issued.len(), 1, "{issued:?}");
    let c = &issued[0];
    assert_eq!(
        (c.account_id.as_str(), c.role_name.as_str()),
        (sso_fake::account_id(1).as_str(), "Admin")
    );
    let creds = section(&sb.credentials_text(), "default");
    let expected: std::collections::BTreeMap<String, String> = [
        ("aws_access_key_id", &c.access_key_id),
        ("aws_secret_access_key", &c.secret_access_key),
        ("aws_session_token", &c.session_token),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(
        creds,
        expected,
        "the credentials file:\n{}",
        sb.credentials_text()
    );
    assert_eq!(section(&sb.config_text(), "default")["region"], "eu-west-1");
    assert!(node(&menu, &["corp · logged-in"]).is_some());
    screenshot("tray-sso-signed-in");

    // Sync now: a new account's roles appear; the active session stays active.
    sso.set_accounts(4);
    tray.click(&["corp · logged-in", "Sync now"]);
    let added = "acct-0004 / Billing · aws-sso · eu-west-1";
    tray.wait_menu("the new account's sessions", Duration::from_secs(30), |m| {
        node(m, &["● default", added]).is_some() && node(m, &["corp · logged-in"]).is_some()
    });
    assert_eq!(integration(&sb)["sessions"], 12);
    assert!(sb.is_active("acct-0001 / Admin"));

    // Sign out: the session stops, its credentials leave the file, the tokens the keychain.
    tray.click(&["corp · logged-in", "Sign out"]);
    tray.wait_menu(
        "'corp · logged-out' after Sign out",
        Duration::from_secs(30),
        |m| {
            node(m, &["corp · logged-out", "Sign in…"]).is_some()
                && checked(m, &["default", session]) == Some(false)
        },
    );
    sb.assert_no_credentials("default");
    let tokens: Vec<String> = keychain_accounts()
        .into_iter()
        .filter(|a| a.starts_with(&format!("integration/{id}/sso-")) && !a.ends_with("/sso-client"))
        .collect();
    assert!(tokens.is_empty(), "tokens left after Sign out: {tokens:?}");

    // Remove…: confirmed in a dialog that names the count; the sessions go with it.
    tray.click(&["corp · logged-out", "Remove…"]);
    let confirm = wait_window("remove integration 'corp'", Duration::from_secs(10));
    screenshot("tray-sso-remove-confirm");
    key(&confirm, "Return");
    let menu = tray.wait_menu("no integration any more", Duration::from_secs(30), |m| {
        node(m, &["Integrations"]).is_none()
            && labels(node(m, &["default"]).unwrap()) == ["No sessions"]
    });
    assert!(top(&menu).contains(&"Add integration…".to_string()));
    let list = sb
        .credtray(&["integration", "list", "--json"])
        .run()
        .ok()
        .json();
    assert_eq!(list, serde_json::json!([]));
    tray.quit();
}

#[test]
fn cancel_in_the_waiting_window_cancels_the_sign_in_and_stores_nothing() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let sso = sso_fake::FakeSso::start();
    let id = add_corp(&sb);
    let mut env: Vec<(&str, String)> = sso.endpoint_env().to_vec();
    env.push(("BROWSER", browser(&sb, None).display().to_string()));
    let mut tray = Tray::start_with(&sb, &env);

    tray.click(&["corp · logged-out", "Sign in…"]);
    let window = wait_window(SIGN_IN_TITLE, Duration::from_secs(20));
    screenshot("tray-sso-sign-in-cancel");
    // The window's Cancel has the focus: Return presses it.
    key(&window, "Return");
    tray.wait_log("the sign-in cancelled", Duration::from_secs(15), |l| {
        l.contains("sign-in cancelled")
    });
    assert!(
        wait_until(Duration::from_secs(10), || window_gone(SIGN_IN_TITLE)),
        "the waiting window stayed:\n{}",
        tray.log()
    );
    tray.wait_menu("'corp · logged-out' again", Duration::from_secs(5), |m| {
        node(m, &["corp · logged-out", "Sign in…"]).is_some_and(|n| n["enabled"] == true)
    });
    let stored: Vec<String> = keychain_accounts()
        .into_iter()
        .filter(|a| a.starts_with(&format!("integration/{id}/sso-")) && !a.ends_with("/sso-client"))
        .collect();
    assert!(
        stored.is_empty(),
        "tokens stored after a cancelled sign-in: {stored:?}"
    );
    assert_eq!(sso.count("/token"), 0, "no CreateToken after a cancel");
    assert_eq!(integration(&sb)["status"], "logged-out");
    assert_eq!(integration(&sb)["sessions"], 0);
    // A cancel is the user's choice: no failure notified.
    assert!(
        sent_about(&tray.log(), "Could not").is_empty(),
        "{}",
        tray.log()
    );
    tray.quit();
}

// ---------------------------------------------------------------------------------------------
// Federated sessions (SAML): the sign-in window on the tray's own event loop

/// Adds a federated session on the loopback IdP, in profile `fed`.
fn add_federated(sb: &Sandbox, alias: &str, url: &str) {
    sb.credtray(&[
        "session",
        "add",
        "iam-role-federated",
        "--alias",
        alias,
        "--role-arn",
        saml_idp::ROLE,
        "--idp-arn",
        saml_idp::IDP,
        "--saml-url",
        url,
        "--profile",
        "fed",
    ])
    .run()
    .ok();
}

/// Waits for the sign-in window (titled by `title`), for its `gets`-th load of the IdP's
/// page, and signs in as the user would; a screenshot of the page first when `shot`.
fn sign_in_in_window(
    tray: &Tray,
    idp: &saml_idp::Idp,
    title: &str,
    gets: usize,
    shot: Option<&str>,
) {
    let window = wait_window(title, Duration::from_secs(40));
    assert!(
        wait_until(Duration::from_secs(30), || idp.count("GET /") >= gets),
        "the window never loaded the IdP's page: {:?}\n{}",
        idp.requests(),
        tray.log()
    );
    thread::sleep(Duration::from_millis(1500)); // let the page render and take focus
    if let Some(name) = shot {
        screenshot(name);
    }
    type_into(&window, saml_idp::USER);
    xdotool(&["key", "Tab"]);
    xdotool(&["type", "--delay", "40", saml_idp::PASSWORD]);
    xdotool(&["key", "Return"]);
}

/// The tray with the web view's data and cache folders inside the sandbox.
fn federated_tray(sb: &Sandbox) -> Tray {
    Tray::start_with(
        sb,
        &[
            ("GDK_BACKEND", "x11".into()),
            (
                "XDG_DATA_HOME",
                sb.root().join("data").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME",
                sb.root().join("cache").display().to_string(),
            ),
        ],
    )
}

#[test]
fn saml_a_tray_click_signs_in_in_the_window_and_rotation_signs_in_again_in_a_hidden_one() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = saml_idp::Idp::start(&[&format!("{},{}", saml_idp::ROLE, saml_idp::IDP)], false);
    let alias = unique("fed");
    add_federated(&sb, &alias, &idp.url());
    let mut tray = federated_tray(&sb);
    let title = format!("^{alias}$");
    let item = format!("{alias} · iam-role-federated · us-east-1");

    // A click starts it: the sign-in window shows the IdP's page; the user signs in.
    tray.click(&["fed", &item]);
    sign_in_in_window(&tray, &idp, &title, 1, Some("tray-saml-sign-in-window"));
    let started = wait_until(Duration::from_secs(60), || sb.is_active(&alias));
    assert!(started, "the session did not start:\n{}", tray.log());
    sb.assert_caller("fed", &assumed_role_arn("Fed", saml_idp::USER));
    assert_eq!(idp.count("POST /login"), 1, "{:?}", idp.requests());
    assert!(
        wait_until(Duration::from_secs(10), || window_gone(&title)),
        "the window stayed open"
    );
    tray.wait_menu("the session checked", Duration::from_secs(10), |m| {
        checked(m, &["● fed", &item]) == Some(true)
    });
    assert!(
        notifications_about(&alias).is_empty(),
        "a start that worked notified: {:#?}",
        notifications_about(&alias)
    );

    // Rotation with a large margin: due 10 s after the start. It signs in again in a
    // window never shown, with the IdP's remembered cookie; nobody types.
    let before = sb.credentials_text();
    let gets = idp.count("GET /");
    sb.set_margin(3590);
    let mut shown = false;
    let rotated = wait_until(Duration::from_secs(60), || {
        shown |= !window_gone(&title);
        sb.credentials_text() != before
    });
    assert!(rotated, "the credentials were not rotated:\n{}", tray.log());
    assert!(!shown, "a sign-in window was shown during the rotation");
    let log = tray.wait_log("the hidden sign-in", Duration::from_secs(10), |l| {
        l.contains("the hidden sign-in completed by itself")
    });
    assert!(log.contains("sign-in window opened hidden"), "{log}");
    assert!(
        idp.count("GET /") > gets && idp.count_with_cookie("GET /") >= 1,
        "the IdP saw no second visit with its cookie: {:?}",
        idp.requests()
    );
    assert_eq!(
        idp.count("POST /login"),
        1,
        "signed in twice: {:?}",
        idp.requests()
    );
    sb.assert_caller("fed", &assumed_role_arn("Fed", saml_idp::USER));
    assert!(
        sent_about(&log, &alias).is_empty(),
        "rotation notified: {:?}",
        sent_about(&log, &alias)
    );
    tray.quit();
}

#[test]
fn saml_when_the_hidden_sign_in_does_not_complete_the_user_is_notified_and_signs_in_from_it() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = saml_idp::Idp::start(&[&format!("{},{}", saml_idp::ROLE, saml_idp::IDP)], false);
    let alias = unique("fedout");
    add_federated(&sb, &alias, &idp.url());
    let mut tray = federated_tray(&sb);
    let title = format!("^{alias}$");
    let item = format!("{alias} · iam-role-federated · us-east-1");
    tray.click(&["fed", &item]);
    sign_in_in_window(&tray, &idp, &title, 1, None);
    assert!(
        wait_until(Duration::from_secs(60), || sb.is_active(&alias)),
        "the session did not start:\n{}",
        tray.log()
    );

    // The IdP's session ends; rotation (due 10 s after the start) tries the hidden window,
    // which stays on the sign-in page until its 20 s run out: the user is notified.
    idp.forget();
    let before = sb.credentials_text();
    sb.set_margin(3590);
    let mut shown = false;
    let told = wait_until(Duration::from_secs(90), || {
        shown |= !window_gone(&title);
        !notifications_about(&alias).is_empty()
    });
    assert!(told, "no notification:\n{}", tray.log());
    assert!(!shown, "a sign-in window was shown before the user asked");
    let log = tray.log();
    assert!(log.contains("the hidden sign-in did not complete"), "{log}");
    let n = notifications_about(&alias);
    assert_eq!(n.len(), 1, "{n:#?}");
    assert_eq!(n[0]["summary"], format!("Sign in to '{alias}'…"));
    assert_eq!(n[0]["urgency"], "CRITICAL");
    assert_eq!(sb.credentials_text(), before, "the credentials changed");
    screenshot("tray-saml-notification");

    // Its action opens the window; the user signs in; the credentials are renewed.
    let out = Command::new("dunstctl")
        .args(["action", "0"])
        .output()
        .expect("run dunstctl");
    assert!(out.status.success(), "dunstctl action: {out:?}");
    let gets = idp.count("GET /");
    sign_in_in_window(
        &tray,
        &idp,
        &title,
        gets + 1,
        Some("tray-saml-sign-in-again"),
    );
    let renewed = wait_until(Duration::from_secs(60), || sb.credentials_text() != before);
    assert!(renewed, "the credentials were not renewed:\n{}", tray.log());
    assert_eq!(idp.count("POST /login"), 2, "{:?}", idp.requests());
    sb.assert_caller("fed", &assumed_role_arn("Fed", saml_idp::USER));
    assert!(
        wait_until(Duration::from_secs(10), || window_gone(&title)),
        "the window stayed open"
    );
    assert_eq!(
        notifications_about(&alias).len(),
        1,
        "{:#?}",
        notifications_about(&alias)
    );
    tray.quit();
}

#[test]
fn saml_a_role_added_through_the_form_starts_and_forget_sign_in_removes_its_data_folder() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = saml_idp::Idp::start(&[&format!("{},{}", saml_idp::ROLE, saml_idp::IDP)], false);
    // Another session on the same IdP: it shares the remembered sign-in.
    let shared = unique("fedshared");
    add_federated(&sb, &shared, &idp.url());
    let mut tray = federated_tray(&sb);
    let alias = unique("fedform");

    tray.click(&["Add SAML federated role…"]);
    let form = wait_window(
        "^credtray: add SAML federated role$",
        Duration::from_secs(15),
    );
    // Alias has the focus; Tab moves from field to field, selecting what a field holds.
    type_into(&form, &alias);
    key(&form, "Tab");
    type_into(&form, "fed");
    key(&form, "Tab");
    type_into(&form, "us-east-1");
    key(&form, "Tab");
    type_into(&form, saml_idp::ROLE);
    key(&form, "Tab");
    type_into(&form, saml_idp::IDP);
    key(&form, "Tab");
    type_into(&form, &idp.url());
    screenshot("tray-dialog-add-saml-role");
    key(&form, "Return");
    let added = wait_until(Duration::from_secs(15), || {
        sb.session_list()
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["alias"] == alias.as_str()))
    });
    assert!(added, "the session was not added:\n{}", tray.log());
    let s = sb.session(&alias);
    assert_eq!(s["kind"], "iam-role-federated", "{s:#}");
    assert_eq!(s["profile"], "fed");
    assert_eq!(s["region"], "us-east-1");

    let item = format!("{alias} · iam-role-federated · us-east-1");
    tray.wait_menu("the new session in the menu", Duration::from_secs(5), |m| {
        node(m, &["fed", &item]).is_some()
    });

    // Started from the menu: the sign-in leaves the IdP's cookies in a data folder.
    tray.click(&["fed", &item]);
    sign_in_in_window(&tray, &idp, &format!("^{alias}$"), 1, None);
    assert!(
        wait_until(Duration::from_secs(60), || sb.is_active(&alias)),
        "the session did not start:\n{}",
        tray.log()
    );
    sb.assert_caller("fed", &assumed_role_arn("Fed", saml_idp::USER));
    let saml_root = sb.root().join("data").join("credtray").join("saml");
    let folders: Vec<PathBuf> = fs::read_dir(&saml_root)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(folders.len(), 1, "{folders:?} in {}", saml_root.display());
    let folder = folders[0].clone();
    assert!(folder.is_dir());

    // Forget the sign-in, in the session's Edit… form (Sessions window): the folder goes,
    // and the notification says so, naming the session that shared it.
    tray.wait_menu("the session checked", Duration::from_secs(10), |m| {
        checked(m, &["● fed", &item]) == Some(true)
    });
    let w = sessions_window(&tray, &alias);
    window_action(&w, WindowAction::Edit);
    let form = wait_window(
        &format!("^credtray: edit '{alias}'$"),
        Duration::from_secs(15),
    );
    // Past alias, profile, region, role ARN, IdP ARN, URL and duration to the check box,
    // ticked; back to the duration, where Enter saves.
    xdotool(&["windowfocus", "--sync", &form]);
    thread::sleep(Duration::from_millis(200));
    xdotool(&[
        "key", "--delay", "40", "Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Tab",
    ]);
    xdotool(&["key", "--delay", "40", "space", "shift+Tab"]);
    screenshot("tray-dialog-edit-saml-role");
    xdotool(&["key", "Return"]);
    let summary = format!("Sign-in of '{alias}' forgotten");
    assert!(
        wait_until(Duration::from_secs(15), || {
            notifications_about(&summary).len() == 1
        }),
        "no notification:\n{}",
        tray.log()
    );
    assert!(!folder.exists(), "{} is still there", folder.display());
    let n = notifications_about(&summary);
    let body = n[0]["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("Removed the remembered sign-in") && body.contains(&format!("'{shared}'")),
        "{body}"
    );
    screenshot("tray-saml-forget-sign-in");
    tray.quit();
}

#[test]
fn saml_closing_the_sign_in_window_of_a_tray_start_cancels_it_cleanly() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = saml_idp::Idp::start(&[&format!("{},{}", saml_idp::ROLE, saml_idp::IDP)], false);
    let alias = unique("fedclose");
    add_federated(&sb, &alias, &idp.url());
    let mut tray = federated_tray(&sb);
    let title = format!("^{alias}$");
    let item = format!("{alias} · iam-role-federated · us-east-1");

    tray.click(&["fed", &item]);
    let window = wait_window(&title, Duration::from_secs(40));
    assert!(
        wait_until(Duration::from_secs(30), || idp.count("GET /") >= 1),
        "the window never loaded the IdP's page:\n{}",
        tray.log()
    );
    // Closed as a window manager closes it: the start ends, quietly, with nothing written.
    x11::close_window(&display(), &window);
    tray.wait_log("the close seen", Duration::from_secs(10), |l| {
        l.contains("sign-in window closed by the user")
    });
    assert!(
        wait_until(Duration::from_secs(10), || window_gone(&title)),
        "the window stayed open"
    );
    let log = tray.wait_log("the start over", Duration::from_secs(20), |l| {
        lines_after(l, "sign-in window closed by the user")
            .iter()
            .any(|l| l.contains("action done"))
    });
    assert!(!sb.is_active(&alias));
    sb.assert_no_credentials("fed");
    assert_eq!(idp.count("POST /login"), 0, "{:?}", idp.requests());
    let menu = tray.layout();
    assert_eq!(checked(&menu, &["fed", &item]), Some(false));
    assert_eq!(
        labels(node(&menu, &["fed"]).unwrap()),
        [item.as_str()],
        "not marked as needing the user"
    );
    assert!(
        sent_about(&log, &alias).is_empty() && notifications_about(&alias).is_empty(),
        "a cancel notified: {:#?}",
        notifications_about(&alias)
    );

    // Nothing is left busy: the next click opens the window again and the start works.
    tray.click(&["fed", &item]);
    sign_in_in_window(&tray, &idp, &title, 2, None);
    assert!(
        wait_until(Duration::from_secs(60), || sb.is_active(&alias)),
        "the second start did not work:\n{}",
        tray.log()
    );
    sb.assert_caller("fed", &assumed_role_arn("Fed", saml_idp::USER));
    tray.quit();
}

#[test]
fn saml_test_credentials_from_the_tray_signs_in_through_the_window_and_writes_nothing() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = saml_idp::Idp::start(&[&format!("{},{}", saml_idp::ROLE, saml_idp::IDP)], false);
    let alias = unique("fedtest");
    add_federated(&sb, &alias, &idp.url());
    let mut tray = federated_tray(&sb);

    let w = sessions_window(&tray, &alias);
    window_action(&w, WindowAction::Test);
    sign_in_in_window(
        &tray,
        &idp,
        &format!("^{alias}$"),
        1,
        Some("tray-saml-test-sign-in"),
    );
    let summary = format!("'{alias}' works");
    assert!(
        wait_until(Duration::from_secs(60), || {
            !notifications_about(&summary).is_empty()
        }),
        "no notification:\n{}",
        tray.log()
    );
    let n = notifications_about(&summary);
    assert_eq!(
        n[0]["body"],
        format!(
            "Its credentials act as {}. Nothing was written.",
            assumed_role_arn("Fed", saml_idp::USER)
        )
    );
    assert_eq!(idp.count("POST /login"), 1, "{:?}", idp.requests());
    assert!(!sb.is_active(&alias));
    sb.assert_no_credentials("fed");
    tray.quit();
}

/// A StatusNotifierWatcher with a host (`tests/tray/sni_watcher.py`), as a desktop's
/// panel runs; ended when dropped.
struct SniWatcher {
    child: Child,
    log: PathBuf,
}

impl SniWatcher {
    fn start(sb: &Sandbox) -> SniWatcher {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tray/sni_watcher.py");
        let log = sb.root().join("sni-watcher.log");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run tests/tray/sni_watcher.py (python3-dbus, python3-gi)");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("the watcher's stdout")),
            &mut line,
        )
        .expect("read the watcher's first line");
        assert_eq!(line.trim(), "ready", "the watcher did not start");
        SniWatcher { child, log }
    }

    /// The items registered so far: "bus-name object-path".
    fn items(&self) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("item ").map(str::to_string))
            .collect()
    }
}

impl Drop for SniWatcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn with_a_statusnotifier_host_the_tray_registers_its_own_item_whose_menu_starts_a_session() {
    let _desktop = desktop();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("alice", "dev", &[]);
    let watcher = SniWatcher::start(&sb);

    // No CREDTRAY_TRAY: the tray sees the host and exports its own item and menu.
    let mut tray = Tray::start_with(&sb, &[("CREDTRAY_TRAY", "auto".into())]);
    tray.wait_log("its own StatusNotifierItem", Duration::from_secs(10), |l| {
        l.contains("tray: credtray's own StatusNotifierItem")
    });
    let registered = wait_until(Duration::from_secs(10), || !watcher.items().is_empty());
    assert!(
        registered,
        "no item registered with the watcher:\n{}",
        tray.log()
    );
    let items = watcher.items();
    assert_eq!(items.len(), 1, "{items:?}");
    // ksni's bus name: org.kde.StatusNotifierItem-PID-N, on the item's own connection.
    assert!(
        items[0].starts_with(&format!("org.kde.StatusNotifierItem-{}-", tray.pid)),
        "{items:?}"
    );
    // Its menu, read and clicked over dbusmenu like a panel does.
    let item = ["dev", "alice · iam-user · us-east-1"];
    assert_eq!(checked(&tray.layout(), &item), Some(false));
    tray.click(&item);
    let started = wait_until(Duration::from_secs(30), || sb.is_active("alice"));
    assert!(started, "the click did not start 'alice':\n{}", tray.log());
    sb.assert_caller("dev", MOTO_USER_ARN);
    tray.wait_menu("'alice' checked", Duration::from_secs(5), |m| {
        checked(m, &["● dev", "alice · iam-user · us-east-1"]) == Some(true)
    });
    assert!(
        !tray.log().contains("libayatana-appindicator instead"),
        "{}",
        tray.log()
    );
    tray.quit();
}

//! End-to-end tests of the Sessions window: the `sessions_window` example
//! (examples/sessions_window.rs) shows it on a private Xvfb, xdotool types into it like a
//! user, and the example's standard output says what the window did (`visible N` after
//! each search, `action NAME UUID` for each action) and, on `dump`, what each row shows as
//! GTK holds it. Screenshots go to `<target>/artifacts/sessions-window*.png`.
//!
//! Like `tests/dialogs.rs`, these need the example built first (`cargo build --examples`;
//! `scripts/test.sh` does) and fail with a message saying so when it is missing or older
//! than its sources.

#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{Duration as Span, Local, Utc};
use common::x11::{self, Xvfb};
use credtray::awsfiles::ini::WriteRecord;
use credtray::model::{
    Active, ChainedRole, IamUser, Integration, Session, SessionKind, SsoRole, State,
};
use uuid::Uuid;

/// The window's title.
const TITLE: &str = "credtray — Sessions";
/// How long the window may take to appear.
const WINDOW_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the example may take to say something after a key.
const LINE_TIMEOUT: Duration = Duration::from_secs(10);
/// xdotool's delay between typed characters, in milliseconds.
const TYPE_DELAY: &str = "40";

/// The Sessions window example, checked to be fresh.
fn example() -> PathBuf {
    x11::fresh_example("sessions_window")
}

// ---------------------------------------------------------------------------------------------
// A state to show

fn record(section: &str) -> WriteRecord {
    serde_json::from_value(serde_json::json!({
        "section": section, "created_section": true, "keys": []
    }))
    .expect("a write record")
}

/// Sessions of a small team, by alias.
struct Demo {
    state: State,
    dir: tempfile::TempDir,
}

impl Demo {
    /// Profiles default, prod and dev; two IAM users (one named like markup), three chained
    /// roles below the first and two IAM Identity Center roles; `alice` active.
    fn new() -> Demo {
        let mut state = State::new();
        state.add_profile("prod").unwrap();
        state.add_profile("dev").unwrap();
        let portal = Integration {
            id: Uuid::new_v4(),
            alias: "corp".into(),
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        };
        let portal_id = portal.id;
        state.integrations.push(portal);
        let alice = Session {
            id: Uuid::new_v4(),
            alias: "alice".into(),
            profile: "default".into(),
            region: "eu-west-1".into(),
            kind: SessionKind::IamUser(IamUser {
                mfa_serial: Some("arn:aws:iam::111122223333:mfa/alice".into()),
                duration_secs: 36_000,
            }),
        };
        let parent = alice.id;
        state.add_session(alice).unwrap();
        // Text from users is shown as text: no markup, no mnemonic.
        state
            .add_session(Session {
                id: Uuid::new_v4(),
                alias: "<b>ops</b> & _co".into(),
                profile: "default".into(),
                region: "eu-west-1".into(),
                kind: SessionKind::IamUser(IamUser {
                    mfa_serial: None,
                    duration_secs: 3600,
                }),
            })
            .unwrap();
        for (alias, profile, arn) in [
            ("prod-admin", "prod", "arn:aws:iam::210987654321:role/Admin"),
            (
                "prod-readonly",
                "prod",
                "arn:aws:iam::210987654321:role/ReadOnly",
            ),
            ("dev-admin", "dev", "arn:aws:iam::555566667777:role/Admin"),
        ] {
            state
                .add_session(Session {
                    id: Uuid::new_v4(),
                    alias: alias.into(),
                    profile: profile.into(),
                    region: "us-east-1".into(),
                    kind: SessionKind::IamRoleChained(ChainedRole {
                        parent,
                        role_arn: arn.into(),
                        role_session_name: "credtray".into(),
                        external_id: None,
                        duration_secs: 3600,
                    }),
                })
                .unwrap();
        }
        for (alias, account, name, role) in [
            (
                "Sandbox / PowerUser",
                "123456789012",
                "Sandbox",
                "PowerUserAccess",
            ),
            (
                "Billing / ReadOnly",
                "444455556666",
                "Billing",
                "ReadOnlyAccess",
            ),
        ] {
            state
                .add_session(Session {
                    id: Uuid::new_v4(),
                    alias: alias.into(),
                    profile: "dev".into(),
                    region: "eu-central-1".into(),
                    kind: SessionKind::AwsSso(SsoRole {
                        integration: portal_id,
                        account_id: account.into(),
                        account_name: name.into(),
                        role_name: role.into(),
                    }),
                })
                .unwrap();
        }
        let mut demo = Demo {
            state,
            dir: tempfile::tempdir().expect("a temporary folder"),
        };
        let alice = demo.id("alice");
        demo.activate(alice, Span::minutes(90));
        demo.save();
        demo
    }

    fn id(&self, alias: &str) -> Uuid {
        self.state
            .sessions
            .iter()
            .find(|s| s.alias == alias)
            .unwrap_or_else(|| panic!("no session '{alias}'"))
            .id
    }

    fn activate(&mut self, id: Uuid, for_: Span) {
        let profile = self.state.session(id).unwrap().profile.clone();
        self.state.active.insert(
            id,
            Active {
                profile: profile.clone(),
                expiration: Utc::now() + for_,
                refreshed_at: Utc::now(),
                credentials: record(&profile),
                config: record(&profile),
                took_over: false,
            },
        );
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("state.json")
    }

    /// Writes the state file (atomically, as credtray does).
    fn save(&self) {
        let tmp = self.dir.path().join("state.json.tmp");
        let mut json = serde_json::to_vec_pretty(&self.state).expect("state serializes");
        json.push(b'\n');
        std::fs::write(&tmp, json).expect("write the state");
        std::fs::rename(&tmp, self.path()).expect("replace the state");
    }
}

// ---------------------------------------------------------------------------------------------
// The example on its own Xvfb

/// What the example printed so far, and a way to wait for more.
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    more: Condvar,
}

struct SessionsWindow {
    child: Child,
    stdin: ChildStdin,
    out: Arc<Lines>,
    /// Lines before this one are consumed.
    read: usize,
    stderr: Arc<Mutex<String>>,
    window: String,
    // Dropped last: the X server outlives the client.
    xvfb: Xvfb,
}

impl SessionsWindow {
    /// Starts a fresh Xvfb and the example with `args`, waits for `ready` and the window,
    /// and gives it the keyboard (there is no window manager).
    fn open(args: &[&str]) -> SessionsWindow {
        let example = example();
        let xvfb = Xvfb::start();
        let mut child = Command::new(&example)
            .args(args)
            .env("DISPLAY", xvfb.display())
            .env("GDK_BACKEND", "x11")
            .env_remove("WAYLAND_DISPLAY")
            .env("NO_AT_BRIDGE", "1")
            .env("GSETTINGS_BACKEND", "memory")
            .env("CREDTRAY_LOG", "credtray=debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", example.display()));
        let stdin = child.stdin.take().expect("the example's standard input");
        let out = Arc::new(Lines::default());
        let pipe = child.stdout.take().expect("the example's standard output");
        let lines = out.clone();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                lines.lines.lock().unwrap().push(line);
                lines.more.notify_all();
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("the example's standard error");
        let into = stderr.clone();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = into.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut window = SessionsWindow {
            child,
            stdin,
            out,
            read: 0,
            stderr,
            window: String::new(),
            xvfb,
        };
        window.expect_line(|l| l.starts_with("ready "), "ready");
        window.window = x11::wait_for_window(window.display(), TITLE, WINDOW_TIMEOUT);
        let id = window.window.clone();
        window.xdotool(&["windowfocus", "--sync", &id]);
        thread::sleep(Duration::from_millis(300));
        window
    }

    fn display(&self) -> &str {
        self.xvfb.display()
    }

    fn xdotool(&self, args: &[&str]) -> String {
        x11::xdotool(self.display(), args)
    }

    fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", TYPE_DELAY, text]);
    }

    fn key(&self, keys: &[&str]) {
        let mut args = vec!["key", "--delay", TYPE_DELAY];
        args.extend_from_slice(keys);
        self.xdotool(&args);
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").expect("write to the example");
        self.stdin
            .flush()
            .expect("flush the example's standard input");
    }

    /// Waits for the next unread line that `pred` accepts (skipping others) and returns it.
    fn expect_line(&mut self, pred: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + LINE_TIMEOUT;
        let mut lines = self.out.lines.lock().unwrap();
        loop {
            while self.read < lines.len() {
                let line = lines[self.read].clone();
                self.read += 1;
                if pred(&line) {
                    return line;
                }
            }
            let now = Instant::now();
            if now >= deadline {
                let seen = lines.join("\n");
                drop(lines);
                panic!(
                    "the example did not print {what} within {LINE_TIMEOUT:?}; it printed:\n\
                     {seen}\nstderr:\n{}",
                    self.stderr.lock().unwrap()
                );
            }
            lines = self.out.more.wait_timeout(lines, deadline - now).unwrap().0;
        }
    }

    /// Waits until the search shows `n` sessions.
    fn expect_visible(&mut self, n: usize) {
        let want = format!("visible {n}");
        self.expect_line(|l| l == want, &want);
    }

    /// Waits for `action NAME ID`.
    fn expect_action(&mut self, name: &str, id: Uuid) {
        let want = format!("action {name} {id}");
        let got = self.expect_line(|l| l.starts_with("action "), &want);
        assert_eq!(got, want);
    }

    /// The rows the list shows, as GTK holds them: (id, switch on, "profile | alias |
    /// detail | state").
    fn dump(&mut self) -> Vec<(Uuid, bool, String)> {
        self.send("dump");
        let mut rows = Vec::new();
        loop {
            let line = self.expect_line(|l| l.starts_with("row ") || l == "end", "a row");
            if line == "end" {
                return rows;
            }
            let mut parts = line.splitn(4, ' ');
            parts.next();
            let id = parts.next().unwrap().parse().expect("a uuid");
            let on = parts.next() == Some("on");
            rows.push((id, on, parts.next().unwrap_or_default().to_owned()));
        }
    }

    /// Saves `<artifacts>/NAME.png`, after letting GTK draw.
    fn screenshot(&self, name: &str) -> PathBuf {
        thread::sleep(Duration::from_millis(400));
        let path = x11::artifacts_dir().join(format!("{name}.png"));
        x11::screenshot(self.display(), &path);
        path
    }
}

impl Drop for SessionsWindow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn open_demo(demo: &Demo) -> SessionsWindow {
    let path = demo.path();
    SessionsWindow::open(&[path.to_str().expect("a UTF-8 path")])
}

fn file_of(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn the_window_has_its_title_and_typing_narrows_the_list() {
    let demo = Demo::new();
    let mut w = open_demo(&demo);
    assert_eq!(w.xdotool(&["getwindowname", &w.window.clone()]), TITLE);
    // Grouped by profile in the state's order, aliases sorted within a profile.
    let rows = w.dump();
    let order: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let want: Vec<Uuid> = [
        "<b>ops</b> & _co",
        "alice",
        "prod-admin",
        "prod-readonly",
        "Billing / ReadOnly",
        "dev-admin",
        "Sandbox / PowerUser",
    ]
    .map(|a| demo.id(a))
    .to_vec();
    assert_eq!(order, want);
    assert_eq!(
        rows[0].2,
        "default | <b>ops</b> & _co | iam-user · eu-west-1 | stopped"
    );
    assert!(
        rows[2].2.starts_with(
            "prod | prod-admin | iam-role-chained · us-east-1 · 210987654321 / Admin | stopped"
        ),
        "{}",
        rows[2].2
    );
    assert!(rows[5].2.starts_with("dev | dev-admin |"), "{}", rows[5].2);

    // The keyboard is in the search box: typing filters, term by term.
    w.type_text("admin");
    w.expect_visible(2);
    w.type_text(" prod");
    w.expect_visible(1);
    let rows = w.dump();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, demo.id("prod-admin"));
    // An account number and a role name find sessions too, case-insensitively.
    w.send("search 123456789012");
    w.expect_visible(1);
    w.send("search readonly");
    w.expect_visible(2);
    w.send("search IAM-ROLE-CHAINED");
    w.expect_visible(3);
    w.send("search nothing-like-this");
    w.expect_visible(0);
    w.screenshot("sessions-window-no-match");
}

#[test]
fn down_and_enter_toggle_the_row_they_reach() {
    let demo = Demo::new();
    let mut w = open_demo(&demo);
    w.type_text("admin");
    w.expect_visible(2);
    // Down enters the list on the first row, Down again moves to the second.
    w.key(&["Down", "Down", "Return"]);
    w.expect_action("toggle", demo.id("dev-admin"));
    // Up twice: the first row, then back to the search box, where Enter (two rows shown)
    // toggles the selected one.
    w.key(&["Up", "Up", "Return"]);
    w.expect_action("toggle", demo.id("prod-admin"));
    // Typing while the list has the keyboard goes on in the search box.
    w.key(&["Down"]);
    w.type_text("s");
    w.expect_visible(0);
    w.key(&["BackSpace"]);
    w.expect_visible(2);
    // Space in the list toggles, like Enter.
    w.key(&["Down", "space"]);
    w.expect_action("toggle", demo.id("prod-admin"));
    w.key(&["Up"]);
    w.type_text(" prod");
    w.expect_visible(1);
    // One row left: Enter in the search box toggles it.
    w.key(&["Return"]);
    w.expect_action("toggle", demo.id("prod-admin"));
}

#[test]
fn the_action_menu_emits_edit_and_the_others() {
    let demo = Demo::new();
    let mut w = open_demo(&demo);
    w.type_text("sandbox");
    w.expect_visible(1);
    let sandbox = demo.id("Sandbox / PowerUser");
    // Shift+F10 opens the actions of the one row shown; "e" is Edit…'s mnemonic.
    w.key(&["Down", "shift+F10"]);
    w.screenshot("sessions-window-menu");
    w.key(&["e"]);
    w.expect_action("edit", sandbox);
    // The Menu key opens it too; the items in order from the top.
    for (downs, name) in [
        (0, "toggle"),
        (2, "change-profile"),
        (3, "change-region"),
        (4, "create-chained"),
        (5, "test"),
        (6, "remove"),
    ] {
        w.key(&["Menu"]);
        thread::sleep(Duration::from_millis(200));
        for _ in 0..downs {
            w.key(&["Down"]);
        }
        w.key(&["Return"]);
        w.expect_action(name, sandbox);
    }
}

#[test]
fn clicks_on_the_switch_and_on_the_dots() {
    let demo = Demo::new();
    let mut w = open_demo(&demo);
    let alice = demo.id("alice");
    w.send(&format!("points {alice}"));
    let line = w.expect_line(|l| l.starts_with("points "), "points");
    let xy: Vec<String> = line.split(' ').skip(1).map(str::to_owned).collect();
    assert_eq!(xy.len(), 4, "{line}");
    // The switch asks for a toggle; it keeps showing the state (on: alice is active).
    w.xdotool(&["mousemove", &xy[0], &xy[1], "click", "1"]);
    w.expect_action("toggle", alice);
    let rows = w.dump();
    assert!(rows.iter().any(|r| r.0 == alice && r.1), "{rows:?}");
    // "⋯" opens the menu; its first item (Stop, alice being active) is a toggle too.
    w.xdotool(&["mousemove", &xy[2], &xy[3], "click", "1"]);
    thread::sleep(Duration::from_millis(300));
    w.screenshot("sessions-window-clicked-menu");
    w.key(&["Down", "Return"]);
    w.expect_action("toggle", alice);
    // A double click on the row toggles; a right click opens the menu where it is.
    let (x, y) = (
        (xy[0].parse::<i32>().unwrap() - 400).to_string(),
        xy[1].clone(),
    );
    w.xdotool(&[
        "mousemove",
        &x,
        &y,
        "click",
        "--repeat",
        "2",
        "--delay",
        "80",
        "1",
    ]);
    w.expect_action("toggle", alice);
    w.xdotool(&["mousemove", &x, &y, "click", "3"]);
    thread::sleep(Duration::from_millis(300));
    w.key(&["Down", "Down", "Return"]);
    w.expect_action("edit", alice);
    // Nothing else came out (a double click is one toggle, not three).
    w.send("dump");
    w.expect_line(|l| l == "end", "end");
    let lines = w.out.lines.lock().unwrap().clone();
    let actions = lines.iter().filter(|l| l.starts_with("action ")).count();
    assert_eq!(actions, 4, "{lines:#?}");
}

#[test]
fn a_state_change_updates_the_row_and_keeps_the_search() {
    let mut demo = Demo::new();
    let mut w = open_demo(&demo);
    w.type_text("prod");
    w.expect_visible(2);
    let admin = demo.id("prod-admin");
    let rows = w.dump();
    let row = rows
        .iter()
        .find(|r| r.0 == admin)
        .expect("prod-admin shown");
    assert!(!row.1 && row.2.ends_with("| stopped"), "{row:?}");

    // Another process starts it: the example sees the file change and updates the row.
    demo.activate(admin, Span::minutes(45));
    demo.save();
    w.expect_line(|l| l.starts_with("updated "), "updated");
    let until = demo.state.active[&admin]
        .expiration
        .with_timezone(&Local)
        .format("%H:%M")
        .to_string();
    let rows = w.dump();
    assert_eq!(rows.len(), 2, "the search still applies: {rows:?}");
    let row = rows
        .iter()
        .find(|r| r.0 == admin)
        .expect("prod-admin shown");
    assert!(row.1, "the switch is on: {row:?}");
    assert!(
        row.2.ends_with(&format!("| active until {until}")),
        "{row:?}"
    );
    // Needing the user shows as such.
    w.send(&format!("needs {admin}"));
    w.expect_line(|l| l.starts_with("updated "), "updated");
    let rows = w.dump();
    let row = rows
        .iter()
        .find(|r| r.0 == admin)
        .expect("prod-admin shown");
    assert!(
        row.2.ends_with(&format!("| needs you · until {until}")),
        "{row:?}"
    );
    // Removed from the state: gone from the list.
    demo.state.active.remove(&admin);
    demo.state.sessions.retain(|s| s.id != admin);
    demo.save();
    w.expect_visible(1);
    w.expect_line(|l| l.starts_with("updated "), "updated");
    let rows = w.dump();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, demo.id("prod-readonly"));
}

#[test]
fn escape_clears_the_search_then_hides_the_window() {
    let mut demo = Demo::new();
    let mut w = open_demo(&demo);
    w.type_text("dev");
    w.expect_visible(3);
    w.key(&["Escape"]);
    w.expect_visible(7);
    w.key(&["Escape"]);
    w.expect_line(|l| l == "hidden", "hidden");
    // A change while hidden shows once presented again (as a second `credtray` launch
    // does), with the keyboard in the search box.
    let admin = demo.id("dev-admin");
    demo.activate(admin, Span::minutes(30));
    demo.save();
    w.expect_line(|l| l.starts_with("updated "), "updated");
    w.send("present");
    let id = x11::wait_for_window(w.display(), TITLE, WINDOW_TIMEOUT);
    w.xdotool(&["windowfocus", "--sync", &id]);
    thread::sleep(Duration::from_millis(300));
    w.type_text("dev-admin");
    w.expect_visible(1);
    let rows = w.dump();
    assert!(rows[0].0 == admin && rows[0].1, "{rows:?}");
    assert!(rows[0].2.contains("| active until "), "{rows:?}");
}

#[test]
fn forty_sessions_with_a_search_look_right() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let mut w = SessionsWindow::open(&[
        "--generate",
        "40",
        "--profiles",
        "6",
        "--write",
        file_of(&path),
    ]);
    let all = w.screenshot("sessions-window-40");
    w.type_text("payments");
    w.expect_line(
        |l| l.starts_with("visible ") && l != "visible 40",
        "a narrower list",
    );
    w.key(&["Down"]);
    let searched = w.screenshot("sessions-window-search");
    for path in [all, searched] {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 10_000,
            "{} looks empty ({size} bytes)",
            path.display()
        );
    }
}

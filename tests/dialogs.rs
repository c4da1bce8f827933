//! End-to-end tests of the GTK dialogs: the `dialogs` example (examples/dialogs.rs) opens one
//! dialog on a private Xvfb, xdotool types into it like a user, and the one line of JSON the
//! example prints is the dialog's answer. Each test leaves a screenshot in
//! `<target>/artifacts/dialog-<which>.png`.
//!
//! Cargo builds no example for integration tests, and `cargo test --all-targets` builds
//! examples with the test harness only (no `main`): `scripts/test.sh` runs `cargo build
//! --examples` first. These tests fail with a message saying so when the example is missing
//! or older than the library.

#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::x11::{self, Xvfb};
use serde_json::{json, Value};

/// How long a dialog may take to appear.
const WINDOW_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the example may take to answer and exit after the last key.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);
/// xdotool's delay between typed characters, in milliseconds.
const TYPE_DELAY: &str = "30";

/// The dialogs example, checked to be fresh.
fn example() -> PathBuf {
    x11::fresh_example("dialogs")
}

/// The example showing one dialog on its own Xvfb; both are killed when dropped.
struct Dialog {
    which: &'static str,
    child: Child,
    stdout: Option<JoinHandle<String>>,
    /// Standard error so far (the dialogs' log), read as it comes.
    stderr: Arc<Mutex<String>>,
    stderr_done: Option<JoinHandle<()>>,
    window: String,
    // Dropped last: the X server outlives the client.
    xvfb: Xvfb,
}

/// What the example printed, and how it ended.
struct Exit {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Exit {
    /// The answer from the one line of JSON on standard output.
    fn answer(&self) -> Value {
        assert!(
            self.status.success(),
            "the example failed ({}); stderr:\n{}",
            self.status,
            self.stderr
        );
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one line of JSON, got {:?}; stderr:\n{}",
            self.stdout,
            self.stderr
        );
        let value: Value = serde_json::from_str(lines[0])
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", lines[0]));
        value
            .get("answer")
            .cloned()
            .unwrap_or_else(|| panic!("no \"answer\" in {value}"))
    }
}

fn collect(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Appends each line of `pipe` to `into` as it comes.
fn follow(pipe: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> JoinHandle<()> {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap_or_else(|p| p.into_inner());
            text.push_str(&line);
            text.push('\n');
        }
    })
}

impl Dialog {
    /// Starts a fresh Xvfb and the example showing `which`, waits for the window titled like
    /// `title` and gives it the keyboard focus (there is no window manager).
    fn open(which: &'static str, title: &str) -> Dialog {
        let example = example();
        let xvfb = Xvfb::start();
        let mut child = Command::new(&example)
            .arg(which)
            .env("DISPLAY", xvfb.display())
            .env("GDK_BACKEND", "x11")
            .env_remove("WAYLAND_DISPLAY")
            // No accessibility bus, no dconf: the dialogs need neither, and without a session
            // bus GTK would wait for them.
            .env("NO_AT_BRIDGE", "1")
            .env("GSETTINGS_BACKEND", "memory")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", example.display()));
        let stdout = child.stdout.take().map(collect);
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_done = child.stderr.take().map(|pipe| follow(pipe, stderr.clone()));
        let mut dialog = Dialog {
            which,
            child,
            stdout,
            stderr,
            stderr_done,
            window: String::new(),
            xvfb,
        };
        dialog.window = x11::wait_for_window(dialog.display(), title, WINDOW_TIMEOUT);
        let window = dialog.window.clone();
        dialog.xdotool(&["windowfocus", "--sync", &window]);
        // Let GTK take the focus and draw before the first key.
        thread::sleep(Duration::from_millis(300));
        dialog
    }

    fn display(&self) -> &str {
        self.xvfb.display()
    }

    fn xdotool(&self, args: &[&str]) -> String {
        x11::xdotool(self.display(), args)
    }

    /// Types `text` into the focused field.
    fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", TYPE_DELAY, text]);
    }

    /// Presses keys (xdotool names: Return, Escape, Tab, Down…).
    fn key(&self, keys: &[&str]) {
        let mut args = vec!["key", "--delay", TYPE_DELAY];
        args.extend_from_slice(keys);
        self.xdotool(&args);
    }

    /// Saves `<artifacts>/dialog-<which>.png`, after letting GTK draw.
    fn screenshot(&self) {
        thread::sleep(Duration::from_millis(300));
        let path = x11::artifacts_dir().join(format!("dialog-{}.png", self.which));
        x11::screenshot(self.display(), &path);
    }

    /// Standard error so far.
    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Presses Enter where the dialog cannot take it yet (its default button disabled):
    /// waits until the dialog says it ignored it, then asserts that it has not answered.
    fn enter_is_ignored(&mut self) {
        let said = |text: &str| text.matches("Enter ignored").count();
        let before = said(&self.stderr());
        self.key(&["Return"]);
        let deadline = Instant::now() + EXIT_TIMEOUT;
        while said(&self.stderr()) == before {
            if let Some(status) = self.child.try_wait().expect("poll the example") {
                let stdout = self.stdout.take().map(join).unwrap_or_default();
                panic!(
                    "the {} dialog answered Enter ({status}): {stdout}",
                    self.which
                );
            }
            assert!(
                Instant::now() < deadline,
                "the {} dialog did not say it ignored Enter within {EXIT_TIMEOUT:?}; stderr:\n{}",
                self.which,
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
        if let Some(status) = self.child.try_wait().expect("poll the example") {
            panic!(
                "the {} dialog exited ({status}) after ignoring Enter",
                self.which
            );
        }
    }

    /// Waits for the example to exit and returns what it printed.
    fn exit(mut self) -> Exit {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the example") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the {} dialog did not answer within {EXIT_TIMEOUT:?}; stderr:\n{}",
                    self.which,
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(50));
        };
        if let Some(done) = self.stderr_done.take() {
            let _ = done.join();
        }
        Exit {
            status,
            stdout: self.stdout.take().map(join).unwrap_or_default(),
            stderr: self.stderr(),
        }
    }
}

fn join(handle: JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}

impl Drop for Dialog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mfa_code_takes_six_digits_and_drops_anything_else() {
    let mut dialog = Dialog::open("mfa", "MFA code");
    dialog.type_text("12a34");
    // Four digits: OK is disabled, so Enter does nothing.
    dialog.enter_is_ignored();
    dialog.type_text("56");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(dialog.exit().answer(), json!("123456"));
}

#[test]
fn mfa_code_escape_cancels() {
    let dialog = Dialog::open("mfa", "MFA code");
    dialog.type_text("123");
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), Value::Null);
}

#[test]
fn text_answers_the_typed_value_once_valid() {
    let mut dialog = Dialog::open("text", "rename profile");
    // The initial "dev" is taken: Enter does nothing.
    dialog.enter_is_ignored();
    // The initial text is selected: typing replaces it.
    dialog.type_text("staging");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(dialog.exit().answer(), json!("staging"));
}

#[test]
fn choice_takes_a_typed_value() {
    let dialog = Dialog::open("choice", "move session");
    dialog.type_text("team-b");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(dialog.exit().answer(), json!("team-b"));
}

#[test]
fn confirm_return_goes_ahead() {
    let dialog = Dialog::open("confirm", "remove profile");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(dialog.exit().answer(), json!(true));
}

#[test]
fn confirm_escape_declines() {
    let dialog = Dialog::open("confirm", "remove profile");
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), json!(false));
}

#[test]
fn iam_user_form_answers_every_field_and_never_shows_the_secret() {
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let dialog = Dialog::open("iam-user", "add IAM user session");
    // Alias has the focus; Tab goes from field to field (a field entered by Tab has its
    // text selected, so typing replaces it).
    dialog.type_text("ci-user");
    dialog.key(&["Tab"]);
    dialog.type_text("team-a"); // a new profile
    dialog.key(&["Tab"]);
    dialog.type_text("eu-west-1");
    dialog.key(&["Tab"]);
    dialog.type_text("AKIAIOSFODNN7EXAMPLE");
    dialog.key(&["Tab"]);
    dialog.type_text(SECRET);
    dialog.key(&["Tab"]);
    dialog.type_text("arn:aws:iam::123456789012:mfa/ci");
    dialog.key(&["Tab"]);
    dialog.type_text("7200");
    dialog.screenshot();
    dialog.key(&["Return"]);
    let exit = dialog.exit();
    assert!(
        !exit.stdout.contains(SECRET) && !exit.stderr.contains(SECRET),
        "the secret access key was printed"
    );
    assert_eq!(
        exit.answer(),
        json!({
            "alias": "ci-user",
            "profile": "team-a",
            "region": "eu-west-1",
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_len": SECRET.len(),
            "mfa_serial": "arn:aws:iam::123456789012:mfa/ci",
            "duration_secs": 7200,
        })
    );
}

#[test]
fn iam_user_form_escape_cancels() {
    let dialog = Dialog::open("iam-user", "add IAM user session");
    dialog.type_text("ci-user");
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), Value::Null);
}

#[test]
fn chained_role_form_answers_every_field() {
    let dialog = Dialog::open("chained-role", "add chained role");
    dialog.type_text("prod-admin");
    dialog.key(&["Tab", "Tab"]); // the parent session: keep the first
    dialog.type_text("arn:aws:iam::123456789012:role/admin");
    dialog.key(&["Tab"]);
    dialog.type_text("ci-run");
    dialog.key(&["Tab"]);
    dialog.type_text("ext-42");
    dialog.key(&["Tab", "Tab", "Tab"]); // keep the profile and the region
    dialog.type_text("1800");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(
        dialog.exit().answer(),
        json!({
            "alias": "prod-admin",
            "profile": "prod",
            "region": "eu-west-1",
            "parent": "0b6f6a1e-4c55-4d8a-9a3e-1f2b3c4d5e6f",
            "role_arn": "arn:aws:iam::123456789012:role/admin",
            "role_session_name": "ci-run",
            "external_id": "ext-42",
            "duration_secs": 1800,
        })
    );
}

#[test]
fn saml_role_form_checks_with_the_model_and_answers_every_field() {
    let mut dialog = Dialog::open("saml-role", "add SAML federated role");
    dialog.type_text("okta-admin");
    dialog.key(&["Tab", "Tab", "Tab"]); // keep the profile and the region
                                        // A user ARN is no IAM role: the model refuses it, so Enter does nothing.
    dialog.type_text("arn:aws:iam::123456789012:user/alice");
    dialog.key(&["Tab"]);
    dialog.type_text("arn:aws:iam::123456789012:saml-provider/Okta");
    dialog.key(&["Tab"]);
    dialog.type_text("https://idp.example.com/app/aws/sso/saml");
    dialog.enter_is_ignored();
    assert!(
        dialog
            .stderr()
            .contains("refused: session 'okta-admin': invalid role ARN"),
        "{}",
        dialog.stderr()
    );
    // The role ARN corrected; a plain http URL to a host that is not loopback is refused.
    dialog.key(&["shift+Tab", "shift+Tab", "ctrl+a"]);
    dialog.type_text("arn:aws:iam::123456789012:role/Admin");
    dialog.key(&["Tab", "Tab", "ctrl+a"]);
    dialog.type_text("http://idp.example.com/app/aws/sso/saml");
    dialog.enter_is_ignored();
    assert!(
        dialog
            .stderr()
            .contains("refused: session 'okta-admin': invalid SAML URL"),
        "{}",
        dialog.stderr()
    );
    dialog.key(&["ctrl+a"]);
    dialog.type_text("https://idp.example.com/app/aws/sso/saml");
    dialog.key(&["Tab", "ctrl+a"]);
    dialog.type_text("7200");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(
        dialog.exit().answer(),
        json!({
            "alias": "okta-admin",
            "profile": "default",
            "region": "eu-west-1",
            "role_arn": "arn:aws:iam::123456789012:role/Admin",
            "idp_arn": "arn:aws:iam::123456789012:saml-provider/Okta",
            "saml_url": "https://idp.example.com/app/aws/sso/saml",
            "duration_secs": 7200,
        })
    );
}

#[test]
fn saml_role_form_refuses_a_taken_alias_and_escape_cancels() {
    let mut dialog = Dialog::open("saml-role", "add SAML federated role");
    dialog.type_text("work");
    dialog.key(&["Tab", "Tab", "Tab"]);
    dialog.type_text("arn:aws:iam::123456789012:role/Admin");
    dialog.key(&["Tab"]);
    dialog.type_text("arn:aws:iam::123456789012:saml-provider/Okta");
    dialog.key(&["Tab"]);
    dialog.type_text("http://127.0.0.1:8080/saml");
    dialog.enter_is_ignored();
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), Value::Null);
}

#[test]
fn profiles_rename_answers_the_selected_profile() {
    let dialog = Dialog::open("profiles", "named profiles");
    // The list has the focus with `default` selected; Down selects dev.
    dialog.key(&["Down"]);
    dialog.screenshot();
    // Tab leaves the list for Add…, then Rename….
    dialog.key(&["Tab", "Tab", "Return"]);
    assert_eq!(dialog.exit().answer(), json!({ "rename": "dev" }));
}

#[test]
fn profiles_escape_closes() {
    let dialog = Dialog::open("profiles", "named profiles");
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), Value::Null);
}

#[test]
fn integration_form_checks_with_the_model_and_answers_every_field() {
    let mut dialog = Dialog::open("integration", "add integration");
    dialog.type_text("lab");
    dialog.key(&["Tab"]);
    // Not https: the model refuses it, so Enter does nothing.
    dialog.type_text("http://d-2.awsapps.com/start");
    dialog.enter_is_ignored();
    dialog.key(&["ctrl+a"]);
    dialog.type_text("https://d-2.awsapps.com/start");
    dialog.key(&["Tab"]);
    dialog.type_text("eu-west-1");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(
        dialog.exit().answer(),
        json!({
            "alias": "lab",
            "start_url": "https://d-2.awsapps.com/start",
            "region": "eu-west-1",
        })
    );
}

#[test]
fn integration_form_refuses_a_taken_alias() {
    let mut dialog = Dialog::open("integration", "add integration");
    dialog.type_text("corp");
    dialog.key(&["Tab"]);
    dialog.type_text("https://d-2.awsapps.com/start");
    dialog.enter_is_ignored();
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), Value::Null);
}

#[test]
fn sign_in_wait_cancel_has_the_focus_and_cancels() {
    let dialog = Dialog::open("sign-in-wait", "sign-in");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(dialog.exit().answer(), json!("cancelled"));
}

#[test]
fn sign_in_wait_escape_cancels() {
    let dialog = Dialog::open("sign-in-wait", "sign-in");
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), json!("cancelled"));
}

#[test]
fn sign_in_wait_closed_by_the_program_does_not_cancel() {
    let dialog = Dialog::open("sign-in-wait", "sign-in");
    let pid = dialog.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-USR1", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success());
    // One line, "closed": the cancel callback did not run on close.
    assert_eq!(dialog.exit().answer(), json!("closed"));
}

// ---------------------------------------------------------------------------------------------
// Edit forms: the demo sessions of the example, checked by the tray's own functions; the
// answer is the patch sent (only the fields changed).

#[test]
fn edit_iam_user_sends_only_what_changed_and_new_keys_from_masked_fields() {
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let mut dialog = Dialog::open("edit-iam-user", "edit 'work'");
    // Nothing changed yet: Save waits.
    dialog.enter_is_ignored();
    // Past alias, profile and region to the MFA device, emptied (it is removed).
    dialog.key(&["Tab", "Tab", "Tab", "BackSpace"]);
    // Past the duration to "Replace access keys", ticked: the two masked fields open.
    dialog.key(&["Tab", "Tab", "space", "Tab"]);
    dialog.type_text("AKIAIOSFODNN7EXAMPLE");
    // One key alone is not enough.
    dialog.enter_is_ignored();
    dialog.key(&["Tab"]);
    dialog.type_text(SECRET);
    dialog.screenshot();
    dialog.key(&["Return"]);
    let exit = dialog.exit();
    assert!(
        !exit.stdout.contains(SECRET) && !exit.stderr.contains(SECRET),
        "the secret access key was printed"
    );
    assert_eq!(
        exit.answer(),
        json!({
            "patch": { "mfa_serial": null },
            "new_keys": { "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_len": SECRET.len() },
        })
    );
}

#[test]
fn edit_iam_user_refuses_a_taken_alias_and_escape_cancels() {
    let mut dialog = Dialog::open("edit-iam-user", "edit 'work'");
    dialog.type_text("personal");
    dialog.enter_is_ignored();
    assert!(
        dialog
            .stderr()
            .contains("refused: invalid alias 'personal'")
            || dialog.stderr().contains("'personal'"),
        "{}",
        dialog.stderr()
    );
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), Value::Null);
}

#[test]
fn edit_chained_role_sends_the_changed_role_and_a_cleared_external_id() {
    let dialog = Dialog::open("edit-chained-role", "edit 'prod-admin'");
    // Past the alias and the parent session to the role ARN.
    dialog.key(&["Tab", "Tab"]);
    dialog.type_text("arn:aws:iam::123456789012:role/ops");
    // Past the role session name to the external id, emptied.
    dialog.key(&["Tab", "Tab", "BackSpace"]);
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(
        dialog.exit().answer(),
        json!({
            "patch": {
                "role_arn": "arn:aws:iam::123456789012:role/ops",
                "external_id": null,
            }
        })
    );
}

#[test]
fn edit_chained_role_refuses_what_the_model_refuses() {
    let mut dialog = Dialog::open("edit-chained-role", "edit 'prod-admin'");
    dialog.key(&["Tab", "Tab"]);
    dialog.type_text("arn:aws:iam::123456789012:user/alice");
    dialog.enter_is_ignored();
    assert!(
        dialog
            .stderr()
            .contains("refused: session 'prod-admin': invalid role ARN"),
        "{}",
        dialog.stderr()
    );
    dialog.key(&["Escape"]);
    assert_eq!(dialog.exit().answer(), Value::Null);
}

#[test]
fn edit_saml_role_can_forget_the_sign_in_alone_or_change_its_url() {
    let dialog = Dialog::open("edit-saml-role", "edit 'okta'");
    // Past alias, profile, region, role ARN and IdP ARN to the sign-in URL.
    dialog.key(&["Tab", "Tab", "Tab", "Tab", "Tab"]);
    dialog.type_text("https://idp2.example.com/saml");
    // Past the duration to "Forget the remembered sign-in", ticked; back to the duration
    // (Enter there saves; on the check box it would untick it).
    dialog.key(&["Tab", "Tab", "space", "shift+Tab"]);
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(
        dialog.exit().answer(),
        json!({
            "patch": { "saml_url": "https://idp2.example.com/saml" },
            "forget_signin": true,
        })
    );

    let dialog = Dialog::open("edit-saml-role", "edit 'okta'");
    dialog.key(&[
        "Tab",
        "Tab",
        "Tab",
        "Tab",
        "Tab",
        "Tab",
        "Tab",
        "space",
        "shift+Tab",
    ]);
    dialog.key(&["Return"]);
    assert_eq!(
        dialog.exit().answer(),
        json!({ "patch": {}, "forget_signin": true })
    );
}

#[test]
fn edit_sso_session_changes_only_profile_and_region() {
    let dialog = Dialog::open("edit-sso", "edit 'acct-0001 / Admin'");
    dialog.key(&["Tab"]);
    dialog.type_text("eu-central-1");
    dialog.screenshot();
    dialog.key(&["Return"]);
    assert_eq!(
        dialog.exit().answer(),
        json!({ "patch": { "region": "eu-central-1" } })
    );
}

//! `iam-role-federated` end to end: a loopback SAML identity provider (a sign-in form, a
//! session cookie, the usual self-submitting form posting a base64 SAMLResponse to
//! `https://signin.aws.amazon.com/saml`), credtray's sign-in window (WebKitGTK under a
//! private Xvfb, typed into with xdotool), moto's AssumeRoleWithSAML, and the real AWS CLI
//! checking which identity was written. Run under `scripts/with-keyring.sh
//! scripts/with-desktop.sh`.

#![allow(dead_code)]

mod common;
#[path = "common/saml_idp.rs"]
#[allow(dead_code)]
mod saml_idp;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::x11::{self, Xvfb};
use common::{assumed_role_arn, Moto, Sandbox};
use saml_idp::{Idp, IDP, PASSWORD, ROLE, USER};

const WINDOW_TIMEOUT: Duration = Duration::from_secs(40);
const START_TIMEOUT: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------------------------------
// Helpers

fn add_federated(sb: &Sandbox, alias: &str, url: &str) {
    add_federated_on(sb, alias, url, "fed");
}

fn add_federated_on(sb: &Sandbox, alias: &str, url: &str, profile: &str) {
    sb.credtray(&[
        "session",
        "add",
        "iam-role-federated",
        "--alias",
        alias,
        "--role-arn",
        ROLE,
        "--idp-arn",
        IDP,
        "--saml-url",
        url,
        "--profile",
        profile,
    ])
    .run()
    .ok();
}

/// `credtray session start ALIAS` in the background, with the display.
fn spawn_start(sb: &Sandbox, alias: &str, display: &str) -> Child {
    let mut cmd = sb.credtray_command();
    cmd.args(["session", "start", alias])
        .env("DISPLAY", display)
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        .env("XDG_DATA_HOME", sb.root().join("data"))
        .env("XDG_CACHE_HOME", sb.root().join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("spawn credtray session start")
}

/// `credtray session forget-signin ALIAS`, with the data folder of [`spawn_start`].
fn forget_signin(sb: &Sandbox, alias: &str) -> common::Output {
    sb.credtray(&["session", "forget-signin", alias])
        .env("XDG_DATA_HOME", sb.root().join("data"))
        .run()
}

/// Waits for the sign-in window titled `alias` and for the IdP to have served its page
/// `gets` times, then types `user`, Tab, `password`, Return into it; returns its id.
fn type_sign_in(
    display: &str,
    idp: &Idp,
    alias: &str,
    gets: usize,
    user: &str,
    password: &str,
) -> String {
    let wid = x11::wait_for_window(display, &format!("^{alias}$"), WINDOW_TIMEOUT);
    let deadline = Instant::now() + WINDOW_TIMEOUT;
    while idp.count("GET /") < gets {
        assert!(
            Instant::now() < deadline,
            "the window never loaded the IdP's page: {:?}",
            idp.requests()
        );
        thread::sleep(Duration::from_millis(100));
    }
    thread::sleep(Duration::from_millis(1500)); // let the page render and take focus
    type_credentials(display, &wid, user, password);
    wid
}

/// Types `user`, Tab, `password`, Return into window `wid` (its user field focused).
fn type_credentials(display: &str, wid: &str, user: &str, password: &str) {
    x11::xdotool(display, &["windowfocus", "--sync", wid]);
    x11::xdotool(display, &["type", "--delay", "30", user]);
    x11::xdotool(display, &["key", "Tab"]);
    x11::xdotool(display, &["type", "--delay", "30", password]);
    x11::xdotool(display, &["key", "Return"]);
}

/// The visible windows titled `alias` on `display`.
fn windows_titled(display: &str, alias: &str) -> Vec<String> {
    let out = std::process::Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", &format!("^{alias}$")])
        .env("DISPLAY", display)
        .output()
        .expect("run xdotool");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

struct Finished {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Waits for `child`, calling `watch` every 20 ms meanwhile.
fn wait_child(mut child: Child, timeout: Duration, mut watch: impl FnMut(u32)) -> Finished {
    let pid = child.id();
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        watch(pid);
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("credtray session start did not finish within {timeout:?}; stderr:\n{err}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    Finished {
        success: status.success(),
        code: status.code(),
        stdout,
        stderr,
    }
}

/// Every process's argument vector (those readable).
fn all_cmdlines() -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for e in entries.flatten() {
            if let Ok(bytes) = fs::read(e.path().join("cmdline")) {
                out.push(String::from_utf8_lossy(&bytes).replace('\0', " "));
            }
        }
    }
    out
}

/// Files under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                if let Ok(bytes) = fs::read(&p) {
                    if bytes.windows(needle.len()).any(|w| w == needle) {
                        found.push(p.display().to_string());
                    }
                }
            }
        }
    }
    found
}

/// Pieces of the assertion that would betray it in a file, a log or an argument: a
/// stretch of its base64 (no `+`, `/` or `=`, so URL-encoding leaves it alone) and the
/// marker of its decoded XML.
fn needles(idp: &Idp) -> Vec<String> {
    let b64 = &idp.assertion;
    let mid = b64.len() / 2;
    let stretch: String = b64[mid..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(24)
        .collect();
    assert!(stretch.len() >= 12, "a plain stretch of the assertion");
    vec![stretch, idp.marker.clone()]
}

fn shot(display: &str, name: &str) {
    x11::screenshot(
        display,
        &x11::artifacts_dir().join(format!("saml-{name}.png")),
    );
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn a_federated_start_signs_in_in_the_window_and_then_remembers_the_sign_in() {
    common::require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = Idp::start(&[&format!("{ROLE},{IDP}")], false);
    let xvfb = Xvfb::start();
    let display = xvfb.display().to_string();
    add_federated(&sb, "corp-fed", &idp.url());

    // First start: the window shows the IdP's page; the user signs in.
    let child = spawn_start(&sb, "corp-fed", &display);
    let wid = x11::wait_for_window(&display, "^corp-fed$", WINDOW_TIMEOUT);
    let deadline = Instant::now() + WINDOW_TIMEOUT;
    while idp.count("GET /") == 0 {
        assert!(
            Instant::now() < deadline,
            "the window never loaded the IdP's page"
        );
        thread::sleep(Duration::from_millis(100));
    }
    thread::sleep(Duration::from_millis(1500)); // let the page render and take focus
    shot(&display, "sign-in-page");
    x11::xdotool(&display, &["windowfocus", "--sync", &wid]);
    x11::xdotool(&display, &["type", "--delay", "30", USER]);
    x11::xdotool(&display, &["key", "Tab"]);
    x11::xdotool(&display, &["type", "--delay", "30", PASSWORD]);
    shot(&display, "sign-in-typed");
    x11::xdotool(&display, &["key", "Return"]);
    let bad = needles(&idp);
    let mut leaked_args = Vec::new();
    let first = wait_child(child, START_TIMEOUT, |_| {
        for c in all_cmdlines() {
            if bad.iter().any(|n| c.contains(n.as_str())) {
                leaked_args.push(c);
            }
        }
    });
    assert!(first.success, "start failed:\n{}", first.stderr);
    assert!(
        leaked_args.is_empty(),
        "the assertion in an argument: {leaked_args:?}"
    );
    assert_eq!(idp.count("POST /login"), 1, "{:?}", idp.requests());
    // The window closed by itself.
    let left = std::process::Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", "^corp-fed$"])
        .env("DISPLAY", &display)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "the window stayed open"
    );
    shot(&display, "after-sign-in");
    sb.assert_caller("fed", &assumed_role_arn("Fed", USER));

    // Second start: the IdP remembers the sign-in; nobody types.
    sb.credtray(&["session", "stop", "corp-fed"]).run().ok();
    let child = spawn_start(&sb, "corp-fed", &display);
    let second = wait_child(child, START_TIMEOUT, |_| {
        for c in all_cmdlines() {
            if bad.iter().any(|n| c.contains(n.as_str())) {
                leaked_args.push(c);
            }
        }
    });
    assert!(second.success, "second start failed:\n{}", second.stderr);
    assert!(
        leaked_args.is_empty(),
        "the assertion in an argument: {leaked_args:?}"
    );
    assert_eq!(
        idp.count("POST /login"),
        1,
        "signed in twice: {:?}",
        idp.requests()
    );
    assert_eq!(idp.count("GET /"), 2, "{:?}", idp.requests());
    sb.assert_caller("fed", &assumed_role_arn("Fed", USER));

    // The assertion is nowhere: no file under the sandbox (state, AWS files, the web
    // view's data and cache folders), no output, no log.
    for n in &bad {
        let files = files_containing(sb.root(), n.as_bytes());
        assert!(files.is_empty(), "the assertion is in {files:?}");
        for out in [&first.stdout, &first.stderr, &second.stdout, &second.stderr] {
            assert!(
                !out.contains(n.as_str()),
                "the assertion in the output: {out}"
            );
        }
    }
    let data = sb.root().join("data/credtray/saml");
    let dirs: Vec<_> = fs::read_dir(&data)
        .expect("the sign-in data folder")
        .flatten()
        .collect();
    assert_eq!(dirs.len(), 1, "one data folder per SAML URL");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dirs[0].path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the data folder's mode");
    }
}

#[test]
fn an_assertion_without_the_sessions_role_fails_listing_the_roles_it_offers() {
    common::require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let other = "arn:aws:iam::123456789012:role/Other";
    let admin = "arn:aws:iam::210987654321:role/Admin";
    let idp = Idp::start(
        &[
            &format!("{other},{IDP}"),
            &format!("arn:aws:iam::210987654321:saml-provider/Okta,{admin}"),
        ],
        true,
    );
    let xvfb = Xvfb::start();
    add_federated(&sb, "wrong-role", &idp.url());
    let child = spawn_start(&sb, "wrong-role", xvfb.display());
    let out = wait_child(child, START_TIMEOUT, |_| {});
    assert!(
        !out.success,
        "started with a role the assertion does not offer"
    );
    assert!(out.stderr.contains("does not offer role"), "{}", out.stderr);
    assert!(
        out.stderr.contains(other) && out.stderr.contains(admin),
        "{}",
        out.stderr
    );
    for n in needles(&idp) {
        assert!(
            !out.stderr.contains(&n),
            "the assertion in the error: {}",
            out.stderr
        );
    }
    assert!(!sb.credentials.exists(), "something was written");
    assert!(!sb.is_active("wrong-role"));
}

#[test]
fn with_no_display_a_federated_start_fails_at_once_and_writes_nothing() {
    common::require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = Idp::start(&[&format!("{ROLE},{IDP}")], true);
    add_federated(&sb, "headless", &idp.url());
    let started = Instant::now();
    let err = sb
        .credtray(&["session", "start", "headless"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .run()
        .fails();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.contains("needs a display"), "{err}");
    assert!(err.contains("headless"), "{err}");
    assert!(
        !sb.credentials.exists() && !sb.aws_config.exists(),
        "something was written"
    );
    assert!(
        idp.requests().is_empty(),
        "the IdP was asked: {:?}",
        idp.requests()
    );
}

#[test]
fn bad_federated_input_is_refused_naming_the_field_and_edits_change_each_field() {
    let sb = Sandbox::offline();
    let base = |alias: &str| {
        vec![
            "session".to_string(),
            "add".into(),
            "iam-role-federated".into(),
            "--alias".into(),
            alias.into(),
        ]
    };
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--role-arn",
                ROLE,
                "--idp-arn",
                IDP,
                "--saml-url",
                "http://idp.example.com/saml",
            ],
            "SAML URL",
        ),
        (
            &[
                "--role-arn",
                ROLE,
                "--idp-arn",
                IDP,
                "--saml-url",
                "idp.example.com",
            ],
            "SAML URL",
        ),
        (
            &[
                "--role-arn",
                "arn:aws:iam::123456789012:user/Fed",
                "--idp-arn",
                IDP,
                "--saml-url",
                "https://idp.example.com/saml",
            ],
            "role ARN",
        ),
        (
            &[
                "--role-arn",
                ROLE,
                "--idp-arn",
                ROLE,
                "--saml-url",
                "https://idp.example.com/saml",
            ],
            "IdP ARN",
        ),
        (
            &[
                "--role-arn",
                ROLE,
                "--idp-arn",
                IDP,
                "--saml-url",
                "https://idp.example.com/saml",
                "--duration",
                "899",
            ],
            "duration",
        ),
        (
            &[
                "--role-arn",
                ROLE,
                "--idp-arn",
                IDP,
                "--saml-url",
                "https://idp.example.com/saml",
                "--duration",
                "43201",
            ],
            "duration",
        ),
    ];
    for (extra, field) in cases {
        let mut args = base("bad");
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = sb.credtray(&args).run().fails();
        assert!(err.contains(field), "{args:?}: {err}");
    }
    assert_eq!(sb.session_list().as_array().map(Vec::len), Some(0));

    // A good one, then each field edited.
    sb.credtray(&[
        "session",
        "add",
        "iam-role-federated",
        "--alias",
        "good",
        "--role-arn",
        ROLE,
        "--idp-arn",
        IDP,
        "--saml-url",
        "https://idp.example.com/saml",
        "--region",
        "eu-west-1",
        "--duration",
        "7200",
    ])
    .run()
    .ok();
    let s = sb.session("good");
    assert_eq!(s["kind"], "iam-role-federated");
    assert_eq!(s["role_arn"], ROLE);
    assert_eq!(s["idp_arn"], IDP);
    assert_eq!(s["saml_url"], "https://idp.example.com/saml");
    assert_eq!(s["duration_seconds"], 7200);
    assert_eq!(s["region"], "eu-west-1");

    let role2 = "arn:aws:iam::123456789012:role/Other";
    let idp2 = "arn:aws:iam::123456789012:saml-provider/Okta";
    for (flag, value, key) in [
        (
            "--saml-url",
            "https://login.example.org/app/aws",
            "saml_url",
        ),
        ("--idp-arn", idp2, "idp_arn"),
        ("--role-arn", role2, "role_arn"),
    ] {
        sb.credtray(&["session", "edit", "good", flag, value])
            .run()
            .ok();
        assert_eq!(sb.session("good")[key], value, "{flag}");
    }
    sb.credtray(&["session", "edit", "good", "--duration", "900"])
        .run()
        .ok();
    assert_eq!(sb.session("good")["duration_seconds"], 900);

    let before = sb.session("good");
    for (flag, value, field) in [
        ("--saml-url", "http://login.example.org/", "SAML URL"),
        ("--idp-arn", "arn:aws:iam::123456789012:role/X", "IdP ARN"),
        (
            "--role-arn",
            "arn:aws:iam::123456789012:saml-provider/X",
            "role ARN",
        ),
        ("--duration", "50000", "duration"),
        (
            "--mfa-serial",
            "arn:aws:iam::123456789012:mfa/x",
            "do not apply",
        ),
    ] {
        let err = sb
            .credtray(&["session", "edit", "good", flag, value])
            .run()
            .fails();
        assert!(err.contains(field), "{flag}: {err}");
    }
    assert_eq!(
        sb.session("good"),
        before,
        "a refused edit changed the session"
    );
}

#[test]
fn forgetting_the_sign_in_makes_the_next_start_ask_again_for_every_session_of_the_url() {
    common::require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = Idp::start(&[&format!("{ROLE},{IDP}")], false);
    let xvfb = Xvfb::start();
    let display = xvfb.display().to_string();
    add_federated(&sb, "corp-fed", &idp.url());
    add_federated_on(&sb, "corp-admin", &idp.url(), "fed-admin");

    // Nothing remembered yet: said so, nothing removed.
    let out = forget_signin(&sb, "corp-fed").ok();
    assert!(out.stderr.contains("No sign-in of 'corp-fed'"), "{out}");
    assert!(out.stderr.contains("'corp-admin'"), "{out}");

    // Signed in once in the window; the other session of the URL starts with no typing.
    let child = spawn_start(&sb, "corp-fed", &display);
    type_sign_in(&display, &idp, "corp-fed", 1, USER, PASSWORD);
    let first = wait_child(child, START_TIMEOUT, |_| {});
    assert!(first.success, "start failed:\n{}", first.stderr);
    let second = wait_child(
        spawn_start(&sb, "corp-admin", &display),
        START_TIMEOUT,
        |_| {},
    );
    assert!(second.success, "start failed:\n{}", second.stderr);
    assert_eq!(idp.count("POST /login"), 1, "{:?}", idp.requests());
    sb.assert_caller("fed-admin", &assumed_role_arn("Fed", USER));

    // Forgotten through one session: the folder goes, the other session is named.
    let data = sb.root().join("data/credtray/saml");
    let folders = |d: &Path| -> Vec<std::path::PathBuf> {
        fs::read_dir(d)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let before = folders(&data);
    assert_eq!(before.len(), 1, "one data folder for the URL: {before:?}");
    assert!(
        before[0].join("cookies").exists(),
        "no cookie store in {before:?}"
    );
    let out = forget_signin(&sb, "corp-fed").ok();
    assert!(
        out.stderr.contains("Forgot the sign-in of 'corp-fed'"),
        "{out}"
    );
    assert!(
        out.stderr.contains(&before[0].display().to_string()),
        "the removed folder is not named: {out}"
    );
    assert!(
        out.stderr
            .contains("Session 'corp-admin' uses the same SAML URL")
            && out.stderr.contains("forgotten too"),
        "the sharing session is not named: {out}"
    );
    assert!(out.stderr.contains("sign in"), "{out}");
    assert!(folders(&data).is_empty(), "left: {:?}", folders(&data));
    // What was written stays: forgetting the sign-in stops nothing.
    assert!(sb.is_active("corp-fed") && sb.is_active("corp-admin"));

    // The next start, of the other session, asks for the sign-in again.
    sb.credtray(&["session", "stop", "corp-admin"]).run().ok();
    let child = spawn_start(&sb, "corp-admin", &display);
    type_sign_in(&display, &idp, "corp-admin", 3, USER, PASSWORD);
    let third = wait_child(child, START_TIMEOUT, |_| {});
    assert!(third.success, "start failed:\n{}", third.stderr);
    assert_eq!(
        idp.count("POST /login"),
        2,
        "the IdP did not see a second sign-in: {:?}",
        idp.requests()
    );
    sb.assert_caller("fed-admin", &assumed_role_arn("Fed", USER));

    // A session of another kind has no sign-in to forget.
    sb.add_iam_user("plain", "default", &[]);
    let err = sb
        .credtray(&["session", "forget-signin", "plain"])
        .env("XDG_DATA_HOME", sb.root().join("data"))
        .run()
        .fails();
    assert!(
        err.contains("'plain' is not a SAML federated session"),
        "{err}"
    );
    assert_eq!(
        folders(&data).len(),
        1,
        "the sign-in of the URL was touched"
    );
}

#[test]
fn with_a_display_that_cannot_be_opened_a_federated_start_fails_cleanly_naming_it() {
    common::require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = Idp::start(&[&format!("{ROLE},{IDP}")], true);
    add_federated(&sb, "unreachable", &idp.url());
    assert!(
        !Path::new("/tmp/.X11-unix/X987").exists(),
        "an X server runs on :987 here"
    );
    let started = Instant::now();
    // `fails` also checks: a `credtray:` line, no panic, no exit code 101.
    let err = sb
        .credtray(&["session", "start", "unreachable"])
        .env("DISPLAY", ":987")
        .env_remove("WAYLAND_DISPLAY")
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        .env("XDG_DATA_HOME", sb.root().join("data"))
        .run()
        .fails();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.contains("needs a display"), "{err}");
    assert!(err.contains("':987'"), "the display is not named: {err}");
    assert!(err.contains("'unreachable'"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        !sb.credentials.exists() && !sb.aws_config.exists(),
        "something was written"
    );
    assert!(!sb.is_active("unreachable"));
    assert!(
        idp.requests().is_empty(),
        "the IdP was asked: {:?}",
        idp.requests()
    );
}

#[test]
fn a_wrong_password_leaves_the_window_on_the_idps_error_until_the_right_one_is_typed() {
    common::require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = Idp::start(&[&format!("{ROLE},{IDP}")], false);
    let xvfb = Xvfb::start();
    let display = xvfb.display().to_string();
    add_federated(&sb, "corp-fed", &idp.url());

    let mut child = spawn_start(&sb, "corp-fed", &display);
    let wid = type_sign_in(&display, &idp, "corp-fed", 1, USER, "wrong horse");
    let deadline = Instant::now() + WINDOW_TIMEOUT;
    while idp.count("POST /login") == 0 {
        assert!(Instant::now() < deadline, "the IdP never saw the sign-in");
        thread::sleep(Duration::from_millis(100));
    }
    // The IdP answered its error page; give the window time to do anything it would do.
    thread::sleep(Duration::from_secs(3));
    shot(&display, "wrong-password");
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the start ended after a wrong password"
    );
    assert_eq!(
        windows_titled(&display, "corp-fed"),
        vec![wid.clone()],
        "the window is not open on the IdP's page any more"
    );
    assert!(
        !sb.credentials.exists() && !sb.aws_config.exists(),
        "something was written after a wrong password"
    );
    assert!(!sb.is_active("corp-fed"));

    // The right password, typed into the same window, completes the start.
    type_credentials(&display, &wid, USER, PASSWORD);
    let done = wait_child(child, START_TIMEOUT, |_| {});
    assert!(done.success, "start failed:\n{}", done.stderr);
    assert_eq!(idp.count("POST /login"), 2, "{:?}", idp.requests());
    assert!(
        windows_titled(&display, "corp-fed").is_empty(),
        "the window stayed"
    );
    sb.assert_caller("fed", &assumed_role_arn("Fed", USER));
}

#[test]
fn closing_the_window_cancels_the_start_cleanly_and_writes_nothing() {
    common::require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let idp = Idp::start(&[&format!("{ROLE},{IDP}")], false);
    let xvfb = Xvfb::start();
    let display = xvfb.display().to_string();
    add_federated(&sb, "corp-fed", &idp.url());

    let child = spawn_start(&sb, "corp-fed", &display);
    let wid = x11::wait_for_window(&display, "^corp-fed$", WINDOW_TIMEOUT);
    let deadline = Instant::now() + WINDOW_TIMEOUT;
    while idp.count("GET /") == 0 {
        assert!(
            Instant::now() < deadline,
            "the window never loaded the IdP's page"
        );
        thread::sleep(Duration::from_millis(100));
    }
    thread::sleep(Duration::from_millis(1000));
    x11::close_window(&display, &wid);
    let closed = Instant::now();
    let out = wait_child(child, Duration::from_secs(30), |_| {});
    assert!(
        closed.elapsed() < Duration::from_secs(10),
        "the start took {:?} to end after the window closed",
        closed.elapsed()
    );
    assert!(!out.success, "the start succeeded with the window closed");
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "sign-in to 'corp-fed' cancelled: the window was closed; nothing was written"
        ),
        "{}",
        out.stderr
    );
    assert!(
        windows_titled(&display, "corp-fed").is_empty(),
        "the window stayed"
    );
    assert!(
        !sb.credentials.exists() && !sb.aws_config.exists(),
        "something was written"
    );
    assert!(!sb.is_active("corp-fed"));
    assert_eq!(idp.count("POST /login"), 0, "{:?}", idp.requests());
}

//! The packaging that needs no root and no Mac: credtray.app laid out and checked
//! structurally (`installers/build.sh macos --layout-only`, Python's plistlib), the checker
//! refusing broken bundles, the desktop entry valid, "Start at login" writing its XDG entry
//! under `$XDG_CONFIG_HOME` with the icon, and `installers/build.sh` refusing what it does
//! not build. The Debian package itself is tested by `installers/deb/test.sh` (scripts/test.sh
//! runs it after these tests: it needs a release build and root).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(command: &mut Command) -> Output {
    let shown = format!("{command:?}");
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn desktop_file_validate(path: &Path) -> Output {
    let out = Command::new("desktop-file-validate").arg(path).output();
    match out {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run desktop-file-validate ({e}): install desktop-file-utils \
             (scripts/install-deps.sh)"
        ),
    }
}

/// Lays out credtray.app in a fresh folder; returns the folder (kept alive) and the bundle.
fn layout() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new("bash")
        .arg(repo().join("installers/build.sh"))
        .args(["macos", "--layout-only", "--out"])
        .arg(dir.path()));
    assert!(out.status.success(), "{}", text(&out));
    let app = dir.path().join("credtray.app");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        app.display().to_string(),
        "the bundle's path on stdout"
    );
    (dir, app)
}

fn check_bundle(app: &Path) -> Output {
    run(Command::new(python())
        .arg(repo().join("installers/macos/check_bundle.py"))
        .arg(app)
        .args(["--version", env!("CARGO_PKG_VERSION")])
        .args(["--identifier", credtray::autostart::BUNDLE_ID])
        .arg("--placeholder"))
}

/// Rewrites the bundle's Info.plist through plistlib with one Python statement on `p`.
fn edit_plist(app: &Path, statement: &str) {
    let script = format!(
        "import plistlib,sys\nf=sys.argv[1]\np=plistlib.load(open(f,'rb'))\n{statement}\n\
         plistlib.dump(p,open(f,'wb'))\n"
    );
    let out = run(Command::new(python())
        .args(["-c", &script])
        .arg(app.join("Contents/Info.plist")));
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn the_macos_bundle_has_its_plist_icon_and_executable() {
    let (_dir, app) = layout();
    let out = check_bundle(&app);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    for want in [
        format!("CFBundleIdentifier = {}", credtray::autostart::BUNDLE_ID),
        format!("version = {}", env!("CARGO_PKG_VERSION")),
        "LSUIElement = true".to_string(),
        "CFBundleExecutable = credtray".to_string(),
        "credtray.icns: 10 PNG entries, 16-1024 px".to_string(),
    ] {
        assert!(said.contains(&want), "{want:?} not checked:\n{said}");
    }
    // The plist read independently: the keys a Mac reads first.
    let out = run(Command::new(python())
        .args([
            "-c",
            "import plistlib,sys; p=plistlib.load(open(sys.argv[1],'rb')); \
             print(p['CFBundleIdentifier'], p['CFBundleExecutable'], p['LSUIElement'], \
             p['CFBundleShortVersionString'])",
        ])
        .arg(app.join("Contents/Info.plist")));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!(
            "{} credtray True {}",
            credtray::autostart::BUNDLE_ID,
            env!("CARGO_PKG_VERSION")
        ),
        "{}",
        text(&out)
    );
    assert!(app.join("Contents/MacOS/credtray").is_file());
}

#[test]
fn the_bundle_checker_refuses_broken_bundles() {
    /// What is broken, how, and what the checker must say.
    type Case<'a> = (&'a str, &'a dyn Fn(&Path), &'a str);
    let cases: [Case; 5] = [
        (
            "a Dock icon",
            &|app| edit_plist(app, "p['LSUIElement']=False"),
            "LSUIElement is not true",
        ),
        (
            "another version",
            &|app| edit_plist(app, "p['CFBundleShortVersionString']='9.9.9'"),
            "CFBundleShortVersionString is '9.9.9'",
        ),
        (
            "another identifier",
            &|app| edit_plist(app, "p['CFBundleIdentifier']='com.example.other'"),
            "CFBundleIdentifier is 'com.example.other'",
        ),
        (
            "no executable",
            &|app| fs::remove_file(app.join("Contents/MacOS/credtray")).unwrap(),
            "CFBundleExecutable 'credtray': no Contents/MacOS/credtray",
        ),
        (
            "a truncated icon",
            &|app| {
                let icns = app.join("Contents/Resources/credtray.icns");
                let bytes = fs::read(&icns).unwrap();
                fs::write(&icns, &bytes[..bytes.len() / 2]).unwrap();
            },
            "header says",
        ),
    ];
    for (what, break_it, says) in cases {
        let (_dir, app) = layout();
        break_it(&app);
        let out = check_bundle(&app);
        assert!(!out.status.success(), "{what}: accepted\n{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{what}: the message does not say {says:?}\n{}",
            text(&out)
        );
    }
}

#[test]
fn off_a_mac_the_bundle_needs_layout_only() {
    if cfg!(target_os = "macos") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new("bash")
        .arg(repo().join("installers/build.sh"))
        .args(["macos", "--out"])
        .arg(dir.path()));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs a Mac"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("credtray.app").exists());
}

#[test]
fn build_sh_refuses_what_it_does_not_build() {
    for args in [&[][..], &["rpm"][..]] {
        let out = run(Command::new("bash")
            .arg(repo().join("installers/build.sh"))
            .args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("deb"),
            "{args:?}: says what it builds\n{}",
            text(&out)
        );
    }
}

#[test]
fn the_desktop_entry_is_valid() {
    let out = desktop_file_validate(&repo().join("installers/linux/credtray.desktop"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "no warning, no hint: {}",
        text(&out)
    );
}

/// `credtray autostart ARG` with only HOME, PATH and the given XDG_CONFIG_HOME.
#[cfg(target_os = "linux")]
fn autostart(home: &Path, xdg_config_home: Option<&str>, arg: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_credtray"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("CREDTRAY_CONFIG_DIR", home.join("credtray-config"))
        // A relative XDG_CONFIG_HOME wrongly honoured would land here, in the sandbox.
        .current_dir(home)
        .args(["autostart", arg]);
    if let Some(x) = xdg_config_home {
        c.env("XDG_CONFIG_HOME", x);
    }
    run(&mut c)
}

#[test]
#[cfg(target_os = "linux")]
fn start_at_login_writes_its_entry_under_xdg_config_home_with_the_icon() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let xdg = dir.path().join("xdg config");
    fs::create_dir_all(&home).unwrap();

    let out = autostart(&home, Some(xdg.to_str().unwrap()), "on");
    assert!(out.status.success(), "{}", text(&out));
    let entry = xdg.join("autostart/credtray.desktop");
    let body = fs::read_to_string(&entry).expect("the entry is under $XDG_CONFIG_HOME/autostart");
    assert!(
        !home.join(".config/autostart").exists(),
        "nothing under ~/.config"
    );
    let bin = env!("CARGO_BIN_EXE_credtray");
    for want in [
        format!("Exec={bin}"),
        format!("TryExec={bin}"),
        "Icon=credtray".to_string(),
        "Type=Application".to_string(),
    ] {
        assert!(body.lines().any(|l| l == want), "{want:?} missing:\n{body}");
    }
    let out = desktop_file_validate(&entry);
    assert!(out.status.success(), "{}\n{body}", text(&out));
    let status = autostart(&home, Some(xdg.to_str().unwrap()), "status");
    assert_eq!(String::from_utf8_lossy(&status.stdout).trim(), "on");

    // Switched off by the desktop (GNOME's Startup Applications): off.
    fs::write(
        &entry,
        body.replace(
            "X-GNOME-Autostart-enabled=true",
            "X-GNOME-Autostart-enabled=false",
        ),
    )
    .unwrap();
    let status = autostart(&home, Some(xdg.to_str().unwrap()), "status");
    assert_eq!(String::from_utf8_lossy(&status.stdout).trim(), "off");

    let out = autostart(&home, Some(xdg.to_str().unwrap()), "off");
    assert!(out.status.success(), "{}", text(&out));
    assert!(!entry.exists(), "off removes the entry");
    let status = autostart(&home, Some(xdg.to_str().unwrap()), "status");
    assert_eq!(String::from_utf8_lossy(&status.stdout).trim(), "off");
}

#[test]
#[cfg(target_os = "linux")]
fn a_relative_or_empty_xdg_config_home_is_ignored() {
    for value in ["relative/config", ""] {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_path_buf();
        let out = autostart(&home, Some(value), "on");
        assert!(out.status.success(), "{value:?}: {}", text(&out));
        assert!(
            home.join(".config/autostart/credtray.desktop").is_file(),
            "{value:?}: the entry is under ~/.config"
        );
        assert!(!home.join("relative").exists(), "{value:?}: not followed");
    }
}

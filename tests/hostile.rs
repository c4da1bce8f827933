//! Hostile input never hangs, exhausts or crashes credtray (issue 7, DESIGN rule 13):
//! AWS files that are FIFOs, devices, folders or huge; locks that another process keeps;
//! a state file with absurd values. Each is refused at once with a message naming the
//! file, lock or field, and a concurrent `session list` is never blocked.

mod common;

use std::fs::{self, File};
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

/// How long a refused start may take: the STS call, then the refusal. A FIFO or a device
/// read would hang for ever, a huge file would take far longer to parse.
const PROMPT: Duration = Duration::from_secs(3);

/// One moto for the whole file. A static is never dropped, so the server is ended when the
/// test process exits (the harness exits through `exit`, which runs `atexit` handlers).
fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    static PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
    extern "C" fn end_moto() {
        let pid = PID.load(std::sync::atomic::Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: a signal to the server this process started.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
    }
    MOTO.get_or_init(|| {
        let moto = Moto::start();
        PID.store(
            i32::try_from(moto.pid()).unwrap_or(0),
            std::sync::atomic::Ordering::SeqCst,
        );
        // SAFETY: registers a plain function with no captured state.
        unsafe { libc::atexit(end_moto) };
        moto
    })
}

/// A sandbox with an iam-user session `alias` on profile `p1` and plain user files.
fn world(alias: &str) -> Sandbox {
    require_keychain();
    let sb = Sandbox::new(moto());
    sb.add_iam_user(alias, "p1", &[]);
    sb.write_credentials("[mine]\naws_access_key_id = AKIAMINE\naws_secret_access_key = x\n");
    sb.write_config("[default]\nregion = eu-west-1\n");
    sb
}

/// Runs `session start ALIAS`, expecting a prompt failure that names `path` and says
/// `what`, while a `session list` run at the same time answers.
#[track_caller]
fn refused_at_once(sb: &Sandbox, alias: &str, path: &Path, what: &str) {
    let started = Instant::now();
    let (start, list) = thread::scope(|s| {
        let start = s.spawn(|| {
            sb.credtray(&["session", "start", alias])
                .timeout(Duration::from_secs(30))
                .run()
        });
        let list = sb
            .credtray(&["session", "list", "--json"])
            .timeout(Duration::from_secs(30))
            .run();
        (start.join().unwrap(), list)
    });
    let took = started.elapsed();
    assert!(list.success(), "a concurrent session list failed:\n{list}");
    let err = start.fails();
    assert!(
        err.contains(&path.display().to_string()) && err.contains(what),
        "the error names {} and says {what:?}:\n{err}",
        path.display()
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(took < PROMPT, "the refusal took {took:?}:\n{err}");
    assert!(!sb.is_active(alias));
}

#[test]
fn a_fifo_as_the_credentials_file_is_refused_at_once() {
    let sb = world("fifo");
    fs::remove_file(&sb.credentials).unwrap();
    let c = std::ffi::CString::new(sb.credentials.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc_mkfifo(c.as_ptr(), 0o600) }, 0);
    refused_at_once(&sb, "fifo", &sb.credentials, "a FIFO");
    assert!(
        fs::symlink_metadata(&sb.credentials)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO stays"
    );
}

#[test]
fn a_symlink_to_dev_zero_as_the_credentials_file_is_refused_at_once() {
    let sb = world("zero");
    fs::remove_file(&sb.credentials).unwrap();
    symlink("/dev/zero", &sb.credentials).unwrap();
    refused_at_once(&sb, "zero", &sb.credentials, "a device");
    assert_eq!(
        fs::read_link(&sb.credentials).unwrap(),
        Path::new("/dev/zero"),
        "the link stays"
    );
}

#[test]
fn a_folder_as_the_config_file_is_refused_at_once() {
    let sb = world("folder");
    fs::remove_file(&sb.aws_config).unwrap();
    fs::create_dir(&sb.aws_config).unwrap();
    let before = fs::read(&sb.credentials).unwrap();
    refused_at_once(&sb, "folder", &sb.aws_config, "folder");
    assert_eq!(
        fs::read(&sb.credentials).unwrap(),
        before,
        "the credentials written first were taken out again"
    );
}

#[test]
fn a_20_mib_credentials_file_is_refused_at_once() {
    let sb = world("huge");
    let mut text = fs::read(&sb.credentials).unwrap();
    let line = b"# padding padding padding padding padding padding padding padding\n";
    while text.len() < 20 * 1024 * 1024 {
        text.extend_from_slice(line);
    }
    fs::write(&sb.credentials, &text).unwrap();
    refused_at_once(&sb, "huge", &sb.credentials, "MiB");
    assert_eq!(fs::read(&sb.credentials).unwrap().len(), text.len());
}

/// Holds an exclusive lock on `path` (as another process would) until dropped.
fn hold_lock(path: &Path) -> File {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    f.lock().unwrap();
    f
}

#[test]
fn a_lock_held_for_ever_fails_after_the_bound_naming_the_lock_file() {
    let sb = world("stuck-lock");
    let lock = sb.config_dir.join("credtray.lock");
    let held = hold_lock(&lock);
    let started = Instant::now();
    let (start, list) = thread::scope(|s| {
        let start = s.spawn(|| {
            sb.credtray(&["session", "start", "stuck-lock"])
                .timeout(Duration::from_secs(40))
                .run()
        });
        // A reader is never blocked by the lock.
        let list = sb
            .credtray(&["session", "list"])
            .timeout(Duration::from_secs(5))
            .run();
        (start.join().unwrap(), list)
    });
    let took = started.elapsed();
    assert!(list.success(), "session list was blocked:\n{list}");
    let err = start.fails();
    assert!(
        err.contains(&lock.display().to_string()) && err.contains("another credtray process"),
        "the error names the lock file:\n{err}"
    );
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(20),
        "gave up after {took:?}"
    );
    drop(held);
    sb.credtray(&["session", "start", "stuck-lock"]).run().ok();
    assert!(sb.is_active("stuck-lock"));
}

#[test]
fn an_aws_file_locked_for_ever_by_another_program_fails_naming_it() {
    let sb = world("stuck-file");
    let held = hold_lock(&sb.credentials);
    let out = sb
        .credtray(&["session", "start", "stuck-file"])
        .timeout(Duration::from_secs(40))
        .run();
    let err = out.fails();
    assert!(
        err.contains(&sb.credentials.display().to_string()) && err.contains("lock"),
        "the error names the credentials file:\n{err}"
    );
    drop(held);
    assert!(!sb.is_active("stuck-file"));
}

// ---------------------------------------------------------------------------------------
// A state file with absurd values

/// A valid state with one session, as JSON, for the cases to spoil.
fn sane_state(sb: &Sandbox) -> serde_json::Value {
    let raw = fs::read_to_string(sb.config_dir.join("state.json")).unwrap();
    serde_json::from_str(&raw).unwrap()
}

fn write_state(sb: &Sandbox, v: &serde_json::Value) {
    fs::write(
        sb.config_dir.join("state.json"),
        serde_json::to_vec_pretty(v).unwrap(),
    )
    .unwrap();
}

/// Each spoiled field, and the name the message must give it.
fn absurd_cases(sb: &Sandbox) -> Vec<(serde_json::Value, &'static str)> {
    let base = sane_state(sb);
    let id = base["sessions"][0]["id"].as_str().unwrap().to_string();
    let mut cases = Vec::new();

    let mut v = base.clone();
    v["settings"]["rotation_margin_secs"] = serde_json::json!(u64::MAX);
    cases.push((v, "settings.rotation_margin_secs"));

    let mut v = base.clone();
    v["sessions"][0]["duration_secs"] = serde_json::json!(0);
    cases.push((v, "duration_secs"));

    let mut v = base.clone();
    v["active"] = serde_json::json!({ id.clone(): {
        "profile": "p1",
        "expiration": "9999-12-31T23:59:59Z",
        "refreshed_at": "2026-01-01T00:00:00Z",
        "credentials": {"section": "p1", "created_section": true, "keys": []},
        "config": {"section": "profile p1", "created_section": true, "keys": []}
    }});
    cases.push((v, "expiration"));

    let mut v = base.clone();
    v["sessions"][0]["duration_secs"] = serde_json::json!(-5);
    cases.push((v, "sessions[0]"));
    cases
}

#[test]
fn absurd_state_values_are_named_by_the_cli_without_a_panic() {
    let sb = world("absurd");
    let path = sb.config_dir.join("state.json");
    for (state, field) in absurd_cases(&sb) {
        write_state(&sb, &state);
        let before = fs::read(&path).unwrap();
        for args in [
            vec!["session", "list"],
            vec!["session", "start", "absurd"],
            vec!["profile", "add", "another"],
        ] {
            let err = sb.credtray(&args).run().fails();
            assert!(
                err.contains(field) && err.contains(&path.display().to_string()),
                "`credtray {}` names {field} and the file:\n{err}",
                args.join(" ")
            );
            assert!(!err.contains("panicked"), "{err}");
        }
        assert_eq!(
            fs::read(&path).unwrap(),
            before,
            "the file is kept as it was"
        );
    }
}

/// Runs `credtray ARGS` in the background with its log in a file, until `ready` is seen in
/// the log (or 20 s pass); returns the log. The process is killed afterwards.
fn background_log(sb: &Sandbox, args: &[&str], ready: &str) -> (String, bool) {
    let log = sb.root().join(format!("bg-{}.log", args.join("-")));
    let file = File::create(&log).unwrap();
    let mut child = sb
        .credtray_command()
        .args(args)
        .env("NO_AT_BRIDGE", "1")
        .envs(std::env::var_os("DISPLAY").map(|d| ("DISPLAY", d)))
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let seen = wait_until(Duration::from_secs(20), || {
        fs::read_to_string(&log).unwrap_or_default().contains(ready)
    });
    let alive = matches!(child.try_wait(), Ok(None));
    let _ = child.kill();
    let _ = child.wait();
    let text = fs::read_to_string(&log).unwrap_or_default();
    assert!(
        seen,
        "`credtray {}` never logged {ready:?}:\n{text}",
        args.join(" ")
    );
    (text, alive)
}

#[test]
fn absurd_state_values_are_named_by_the_agent_and_the_tray_without_a_panic() {
    let sb = world("absurd-bg");
    let cases = absurd_cases(&sb);
    let (state, field) = &cases[0];
    write_state(&sb, state);
    let (log, alive) = background_log(&sb, &["agent"], field);
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        alive,
        "the agent keeps running (and retries) after reporting it:\n{log}"
    );
    if std::env::var_os("DISPLAY").is_some() {
        let (log, alive) = background_log(&sb, &[], field);
        assert!(!log.contains("panicked"), "{log}");
        assert!(alive, "the tray keeps running after reporting it:\n{log}");
    }
}

// ---------------------------------------------------------------------------------------

extern "C" {
    #[link_name = "mkfifo"]
    fn libc_mkfifo(path: *const std::os::raw::c_char, mode: u32) -> i32;
}

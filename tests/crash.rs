//! kill -9 at random instants (issue 7): during a start, a stop, a rotation and a
//! take-over, over a user's credentials file of 1,000 profiles. After each kill, the next
//! command leaves the files byte-identical to what the user had plus exactly the active
//! sessions' sections, and stopping everything gives back the user's files byte for byte.
//!
//! The random instants come from a seed printed at the start (`CRASH_SEED=N` replays one).

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

/// How many kills.
const ROUNDS: usize = 16;

/// A small deterministic generator (xorshift), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn user_files() -> (String, String) {
    let mut creds = String::from("# the user's own keys, 1,000 profiles\n");
    let mut config = String::from("[default]\nregion = us-east-1\n");
    for i in 0..1000 {
        creds.push_str(&format!(
            "[user-{i}]\naws_access_key_id = AKIAUSER{i:012}\naws_secret_access_key = user/secret+{i}\n\n"
        ));
        config.push_str(&format!(
            "\n[profile user-{i}]\nregion = eu-west-{}\n",
            i % 3 + 1
        ));
    }
    // The profile the take-over sets aside, with the user's own keys and region.
    creds.push_str("[victim]\naws_access_key_id = AKIAVICTIM\naws_secret_access_key = victim/secret\n; a comment in it\n");
    config.push_str("\n[profile victim]\nregion = ap-south-1\noutput = text\n");
    (creds, config)
}

/// The sections holding a session token (only credtray writes those here).
fn token_sections(text: &str) -> BTreeSet<String> {
    ini_sections(text)
        .into_iter()
        .filter(|s| ini_get(text, s, "aws_session_token").is_some())
        .collect()
}

/// The profiles of the active sessions, as `session list --json` tells them.
fn active_profiles(sb: &Sandbox) -> BTreeSet<String> {
    sb.session_list()
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["active"].as_bool() == Some(true))
        .map(|s| s["profile"].as_str().unwrap().to_string())
        .collect()
}

/// The files hold the user's sections as they were, plus exactly the active sessions'.
#[track_caller]
fn check_consistent(sb: &Sandbox, user_creds: &str, what: &str) {
    let creds = sb.credentials_text();
    let active = active_profiles(sb);
    assert_eq!(
        token_sections(&creds),
        active,
        "after {what}: the sections with credtray's credentials are those of the active sessions"
    );
    for section in ini_sections(user_creds) {
        if active.contains(&section) {
            continue;
        }
        assert_eq!(
            ini_section(&creds, &section),
            ini_section(user_creds, &section),
            "after {what}: the user's section [{section}] is as it was"
        );
    }
}

/// Asserts `got == want`, showing only the lines around the first difference.
#[track_caller]
fn same_text(got: &str, want: &str, what: &str) {
    if got == want {
        return;
    }
    let g: Vec<&str> = got.split_inclusive('\n').collect();
    let w: Vec<&str> = want.split_inclusive('\n').collect();
    let at = g.iter().zip(&w).take_while(|(a, b)| a == b).count();
    let from = at.saturating_sub(3);
    panic!(
        "{what} is not the user's, byte for byte; first difference at line {}:\n--- got ---\n{}--- want ---\n{}",
        at + 1,
        g[from..(at + 6).min(g.len())].concat(),
        w[from..(at + 6).min(w.len())].concat()
    );
}

/// What identifies a version of a file: its inode, size and modification time.
fn version(path: &std::path::Path) -> Option<(u64, u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path)
        .ok()
        .map(|m| (m.ino(), m.len(), m.modified().unwrap_or(UNIX_EPOCH)))
}

/// Runs `credtray ARGS` and kills it (SIGKILL) once the state file and the AWS files have
/// changed `changes` times in all (as seen by polling every few hundred microseconds), plus
/// `extra` — or after `limit` if it gets no further. Those changes are the steps of a write
/// (the note of what is about to change, the credentials, the config, the state), so the
/// kill lands between or inside them.
fn kill_during(sb: &Sandbox, args: &[&str], changes: u32, extra: Duration, limit: Duration) {
    let files = [
        sb.config_dir.join("state.json"),
        sb.credentials.clone(),
        sb.aws_config.clone(),
    ];
    let mut seen: Vec<_> = files.iter().map(|f| version(f)).collect();
    let mut child = sb
        .credtray_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run credtray");
    let started = std::time::Instant::now();
    let mut count = 0;
    while count < changes && started.elapsed() < limit {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        for (i, f) in files.iter().enumerate() {
            let v = version(f);
            if v != seen[i] {
                seen[i] = v;
                count += 1;
            }
        }
        thread::sleep(Duration::from_micros(200));
    }
    // The random instant of the kill (not a wait for something to happen).
    thread::sleep(extra);
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
}

#[test]
fn kill_9_at_random_instants_leaves_only_what_the_state_says() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let (user_creds, user_config) = user_files();
    sb.write_credentials(&user_creds);
    sb.write_config(&user_config);
    sb.add_iam_user("base", "base-p", &[]);
    sb.add_chained("r1", "base", "CrashOne", "p-r1", &[]);
    sb.add_chained("r2", "base", "CrashTwo", "victim", &[]);
    // Every rotation is due at once, so an agent started below refreshes straight away.
    sb.set_margin(43_200);

    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    let mut interrupted = 0;
    for round in 0..ROUNDS {
        // Some sessions already running, so that stops and displacements have work to do.
        if rng.below(2) == 0 {
            sb.credtray(&["session", "start", "r1"]).run().ok();
        }
        if rng.below(2) == 0 {
            sb.credtray(&["session", "start", "r2", "--take-over"])
                .run()
                .ok();
        }
        let args: Vec<&str> = match rng.below(5) {
            0 => vec!["session", "start", "r1"],
            1 => vec!["session", "start", "r2", "--take-over"],
            2 => vec!["session", "stop", "r1"],
            3 => vec!["session", "stop", "r2"],
            _ => vec!["agent"],
        };
        let changes = 1 + rng.below(4) as u32;
        let extra = Duration::from_micros(rng.below(3000));
        let what = format!(
            "round {round}: kill -9 of `credtray {}` {extra:?} after {changes} file changes",
            args.join(" ")
        );
        kill_during(&sb, &args, changes, extra, Duration::from_secs(3));
        let state = fs::read_to_string(sb.config_dir.join("state.json")).unwrap();
        if state.contains("\"pending\"") {
            interrupted += 1;
        }

        // The next command finishes or undoes whatever was cut off.
        sb.credtray(&["session", "list"]).run().ok();
        check_consistent(&sb, &user_creds, &what);

        for alias in ["r1", "r2"] {
            if sb.is_active(alias) {
                sb.credtray(&["session", "stop", alias]).run().ok();
            }
        }
        same_text(
            &sb.credentials_text(),
            &user_creds,
            &format!("after {what} and stopping everything, the credentials file"),
        );
        same_text(
            &sb.config_text(),
            &user_config,
            &format!("after {what} and stopping everything, the config file"),
        );
        let state = fs::read_to_string(sb.config_dir.join("state.json")).unwrap();
        assert!(
            !state.contains("AKIAVICTIM") && !state.contains("victim/secret"),
            "the taken-over keys never reach the state file"
        );
    }
    eprintln!(
        "{interrupted} of {ROUNDS} kills left a change half-done, undone by the next command"
    );
}

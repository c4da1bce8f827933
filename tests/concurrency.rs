//! Two credtray processes at once never lose each other's changes: two threads, each running
//! the credtray binary in a loop, start and stop sessions on different profiles, 200 rounds
//! each, against moto, and every 20 rounds each adds a named profile of its own. Afterwards
//! the state holds both sessions and every profile, the AWS files are back byte for byte,
//! and a last start of each is what the AWS CLI sees.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::*;

const ROUNDS: usize = 200;
const PROFILE_EVERY: usize = 20;

const SEED_CREDENTIALS: &str = "# the user's own file\n[work]\naws_access_key_id = AKIAUSEROWNKEY000001\naws_secret_access_key = userOwnSecret0000000000000000000000000001\n\n; another comment\n[other]\nregion = eu-west-1\n";
const SEED_CONFIG: &str =
    "[default]\nregion = us-east-1\noutput = json\n\n[profile work]\nregion = eu-west-1\n";

/// Checks that TEXT is well-formed ini (blank lines, `#`/`;` comments, `[section]` headers,
/// `key = value` lines, indented continuation lines after a key) with no section twice.
/// Returns the section names in order.
fn parse_ini_strict(text: &str) -> Result<Vec<String>, String> {
    let mut sections: Vec<String> = Vec::new();
    let mut after_key = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            after_key = false;
            continue;
        }
        if t.starts_with('[') {
            if !t.ends_with(']') || t.len() < 3 {
                return Err(format!("line {}: bad section header {line:?}", n + 1));
            }
            let name = t[1..t.len() - 1].trim().to_string();
            if sections.contains(&name) {
                return Err(format!("line {}: section [{name}] appears twice", n + 1));
            }
            sections.push(name);
            after_key = false;
            continue;
        }
        if line.starts_with([' ', '\t']) && after_key {
            continue;
        }
        match t.split_once('=') {
            Some((k, _)) if !k.trim().is_empty() && !sections.is_empty() => after_key = true,
            _ => return Err(format!("line {}: not ini: {line:?}", n + 1)),
        }
    }
    Ok(sections)
}

/// One process's loop: start, stop, and every PROFILE_EVERY rounds a new profile.
fn worker(sb: &Sandbox, alias: &str, tag: &str) -> Result<Vec<Duration>, String> {
    let mut times = Vec::with_capacity(ROUNDS * 2);
    for i in 0..ROUNDS {
        let t = Instant::now();
        let out = sb.credtray(&["session", "start", alias]).run();
        times.push(t.elapsed());
        if !out.success() {
            return Err(format!("{alias}: round {i}: start failed:\n{out}"));
        }
        let t = Instant::now();
        let out = sb.credtray(&["session", "stop", alias]).run();
        times.push(t.elapsed());
        if !out.success() {
            return Err(format!("{alias}: round {i}: stop failed:\n{out}"));
        }
        if i % PROFILE_EVERY == 0 {
            let name = format!("{tag}-{i}");
            let out = sb.credtray(&["profile", "add", &name]).run();
            if !out.success() {
                return Err(format!(
                    "{alias}: round {i}: profile add {name} failed:\n{out}"
                ));
            }
        }
    }
    Ok(times)
}

#[test]
fn two_processes_starting_and_stopping_at_once_lose_nothing() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.write_credentials(SEED_CREDENTIALS);
    sb.write_config(SEED_CONFIG);
    let id_a = sb.add_iam_user("conc-a", "pa", &[]);
    let id_b = sb.add_iam_user("conc-b", "pb", &[]);

    let started = Instant::now();
    let (res_a, res_b) = thread::scope(|s| {
        let a = s.spawn(|| worker(&sb, "conc-a", "pA"));
        let b = s.spawn(|| worker(&sb, "conc-b", "pB"));
        (
            a.join().expect("worker A panicked"),
            b.join().expect("worker B panicked"),
        )
    });
    let took = started.elapsed();
    let report = |r: &Result<Vec<Duration>, String>| match r {
        Ok(times) => {
            let total: Duration = times.iter().sum();
            let max = times.iter().max().copied().unwrap_or_default();
            format!(
                "{} commands, mean {:?}, max {:?}",
                times.len(),
                total / times.len().max(1) as u32,
                max
            )
        }
        Err(e) => format!("FAILED: {e}"),
    };
    eprintln!(
        "concurrency: 2 × {ROUNDS} rounds in {took:?}\n  A: {}\n  B: {}",
        report(&res_a),
        report(&res_b)
    );
    if let Err(e) = &res_a {
        panic!("{e}\n{}", sb.dump());
    }
    if let Err(e) = &res_b {
        panic!("{e}\n{}", sb.dump());
    }

    // No lost update in the state: both sessions, inactive, every profile.
    let list = sb.session_list();
    let sessions = list.as_array().unwrap();
    for (alias, id, profile) in [("conc-a", &id_a, "pa"), ("conc-b", &id_b, "pb")] {
        let s = sessions
            .iter()
            .find(|s| s["alias"] == alias)
            .unwrap_or_else(|| panic!("session {alias} is gone from the state: {list:#}"));
        assert_eq!(s["id"], id.as_str(), "{list:#}");
        assert_eq!(s["profile"], profile, "{list:#}");
        assert_eq!(s["active"], false, "{alias} was stopped last: {list:#}");
    }
    assert_eq!(sessions.len(), 2, "exactly two sessions: {list:#}");
    let profiles = sb.profile_names();
    let mut missing = Vec::new();
    for tag in ["pA", "pB"] {
        for i in (0..ROUNDS).step_by(PROFILE_EVERY) {
            let name = format!("{tag}-{i}");
            if !profiles.contains(&name) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "lost profile additions {missing:?}; profiles now: {profiles:?}"
    );
    for p in ["default", "pa", "pb"] {
        assert!(
            profiles.contains(&p.to_string()),
            "profile {p} lost: {profiles:?}"
        );
    }
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(sb.config_dir.join("state.json")).expect("read state.json"),
    )
    .expect("state.json is JSON");
    assert!(
        state["active"].as_object().is_none_or(|m| m.is_empty()),
        "nothing is active in state.json: {state:#}"
    );

    // The AWS files: exactly as the user left them (no leftover section, no lost byte).
    let creds = sb.credentials_text();
    let config = sb.config_text();
    parse_ini_strict(&creds)
        .unwrap_or_else(|e| panic!("the credentials file does not parse: {e}\n{}", sb.dump()));
    parse_ini_strict(&config)
        .unwrap_or_else(|e| panic!("the config file does not parse: {e}\n{}", sb.dump()));
    assert_eq!(
        creds,
        SEED_CREDENTIALS,
        "the credentials file after 400 start/stop pairs\n{}",
        sb.dump()
    );
    assert_eq!(
        config,
        SEED_CONFIG,
        "the config file after 400 start/stop pairs\n{}",
        sb.dump()
    );

    // A last start of each, at the same time: both visible to the AWS CLI.
    thread::scope(|s| {
        let a = s.spawn(|| sb.credtray(&["session", "start", "conc-a"]).run());
        let b = s.spawn(|| sb.credtray(&["session", "start", "conc-b"]).run());
        a.join().unwrap().ok();
        b.join().unwrap().ok();
    });
    let creds = sb.credentials_text();
    let config = sb.config_text();
    let cs = parse_ini_strict(&creds)
        .unwrap_or_else(|e| panic!("the credentials file does not parse: {e}\n{}", sb.dump()));
    let gs = parse_ini_strict(&config)
        .unwrap_or_else(|e| panic!("the config file does not parse: {e}\n{}", sb.dump()));
    let mut cs_sorted = cs.clone();
    cs_sorted.sort();
    assert_eq!(
        cs_sorted,
        ["other", "pa", "pb", "work"],
        "credentials sections\n{}",
        sb.dump()
    );
    let mut gs_sorted = gs.clone();
    gs_sorted.sort();
    assert_eq!(
        gs_sorted,
        ["default", "profile pa", "profile pb", "profile work"],
        "config sections\n{}",
        sb.dump()
    );
    assert!(
        lines_kept_in_order(SEED_CREDENTIALS.as_bytes(), creds.as_bytes()),
        "{}",
        sb.dump()
    );
    assert!(
        lines_kept_in_order(SEED_CONFIG.as_bytes(), config.as_bytes()),
        "{}",
        sb.dump()
    );
    sb.assert_caller("pa", MOTO_USER_ARN);
    sb.assert_caller("pb", MOTO_USER_ARN);
    assert!(
        sb.is_active("conc-a") && sb.is_active("conc-b"),
        "{:#}",
        sb.session_list()
    );
    eprintln!("concurrency: whole test {:?}", started.elapsed());
}

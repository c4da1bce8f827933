//! Opens the tray's Sessions window on its own, for screenshots, for the end-to-end tests
//! in `tests/sessions_window.rs` and for timing it with many sessions:
//!
//! ```text
//! cargo run --example sessions_window -- STATE_FILE
//! cargo run --example sessions_window -- --generate 1000 --profiles 40 [--bench]
//! ```
//!
//! `STATE_FILE` is a credtray `state.json`; it is read again when it changes (checked every
//! 200 ms) and on a line `reload` on standard input. `--generate N --profiles P` makes a
//! state of N sessions (IAM users, chained roles, IAM Identity Center roles, SAML roles)
//! across P named profiles, a few of them active and one needing the user; `--write PATH`
//! saves it there as well (and then follows that file).
//!
//! Standard output, one line each:
//! - `ready N` once the window is on screen with N sessions;
//! - `visible N` after each change of the search (N rows shown);
//! - `action NAME UUID` for each action the window asks for (`toggle`, `edit`,
//!   `change-profile`, `change-region`, `create-chained`, `test`, `remove`);
//! - `updated N` after each re-read of the state (N sessions);
//! - `hidden` when the window hides (Escape twice, or closing it).
//!
//! Standard input, one command a line: `reload`, `needs UUID…` (the sessions that need the
//! user; none when empty), `search TEXT`, `present`, `quit`, and `dump`, which prints the
//! rows the list shows as GTK holds them, in order — `row UUID on|off PROFILE | ALIAS |
//! DETAIL | STATE` — then `end`; `points UUID` prints `points SX SY MX MY`, where that
//! session's switch and "⋯" are on the screen.
//!
//! `--bench` prints timings instead (open, filter per keystroke, updates, the window's
//! memory) and exits; `benches/sessions_window.sh` runs it under Xvfb.

#[cfg(target_os = "linux")]
fn main() {
    linux::main()
}

#[cfg(target_os = "linux")]
mod samples;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("sessions_window: the GTK Sessions window exists on Linux only");
    std::process::exit(2);
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeSet;
    use std::io::{BufRead, Write};
    use std::path::{Path, PathBuf};
    use std::rc::Rc;
    use std::sync::mpsc;
    use std::time::{Duration, Instant, SystemTime};

    use chrono::{Duration as Minutes, Utc};
    use credtray::awsfiles::ini::WriteRecord;
    use credtray::model::{
        Active, ChainedRole, FederatedRole, IamUser, Integration, Session, SessionKind, SsoRole,
        State,
    };
    use credtray::store::state_file::StateStore;
    use credtray::tray::sessions::{SessionAction, SessionsWindow};
    use gtk::glib;
    use gtk::prelude::*;
    use uuid::Uuid;

    const USAGE: &str = "usage: sessions_window STATE_FILE | --generate N [--profiles P] \
                         [--write PATH] [--bench]";

    struct Args {
        file: Option<PathBuf>,
        generate: Option<(usize, usize)>,
        bench: bool,
    }

    fn args() -> Args {
        let mut it = std::env::args().skip(1);
        let (mut file, mut sessions, mut profiles, mut write, mut bench) =
            (None, None, 20, None, false);
        let number = |v: Option<String>| -> usize {
            v.and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("{USAGE}");
                std::process::exit(2)
            })
        };
        while let Some(a) = it.next() {
            match a.as_str() {
                "--generate" => sessions = Some(number(it.next())),
                "--profiles" => profiles = number(it.next()).max(1),
                "--write" => write = it.next().map(PathBuf::from),
                "--bench" => bench = true,
                _ if !a.starts_with('-') && file.is_none() => file = Some(PathBuf::from(a)),
                _ => {
                    eprintln!("{USAGE}");
                    std::process::exit(2);
                }
            }
        }
        match (&file, sessions) {
            (None, None) | (Some(_), Some(_)) => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
            _ => {}
        }
        Args {
            file: file.or(write),
            generate: sessions.map(|n| (n, profiles)),
            bench,
        }
    }

    /// Reads a state file: `state.json` through the store (checked as credtray checks it),
    /// any other name as plain JSON.
    fn load(path: &Path) -> Result<State, String> {
        if path.file_name().is_some_and(|n| n == "state.json") {
            let dir = path.parent().unwrap_or(Path::new("."));
            return StateStore::new(dir).load().map_err(|e| e.to_string());
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut state: State =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        state.normalize();
        Ok(state)
    }

    fn record(section: &str) -> WriteRecord {
        serde_json::from_value(serde_json::json!({
            "section": section, "created_section": true, "keys": []
        }))
        .expect("a write record")
    }

    /// A deterministic generator (no randomness needed beyond variety).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    const TEAMS: [&str; 12] = [
        "payments", "search", "identity", "data", "platform", "billing", "mobile", "ml",
        "security", "growth", "infra", "support",
    ];
    const STAGES: [&str; 4] = ["prod", "staging", "dev", "sandbox"];
    const ROLES: [&str; 5] = [
        "AdministratorAccess",
        "ReadOnlyAccess",
        "PowerUserAccess",
        "Billing",
        "SecurityAudit",
    ];
    const REGIONS: [&str; 5] = [
        "eu-west-1",
        "us-east-1",
        "eu-central-1",
        "us-west-2",
        "ap-southeast-2",
    ];

    /// `sessions` sessions across `profiles` named profiles (plus `default`): an IAM user
    /// per profile, chained roles below them, IAM Identity Center roles and a few SAML
    /// roles; the first session of every third profile active, one session needing you.
    pub fn generate(sessions: usize, profiles: usize) -> (State, BTreeSet<Uuid>) {
        let mut rng = Lcg(42);
        let mut state = State::new();
        let names: Vec<String> = (0..profiles)
            .map(|p| {
                let team = TEAMS[p % TEAMS.len()];
                let stage = STAGES[(p / TEAMS.len()) % STAGES.len()];
                let round = p / (TEAMS.len() * STAGES.len());
                if round == 0 {
                    format!("{team}-{stage}")
                } else {
                    format!("{team}-{stage}-{round}")
                }
            })
            .collect();
        for name in &names {
            state.add_profile(name).expect("a valid profile");
        }
        let integration = Integration {
            id: Uuid::new_v4(),
            alias: "corp".into(),
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        };
        let portal = integration.id;
        state.integrations.push(integration);
        let mut users: Vec<Option<Uuid>> = vec![None; profiles];
        let now = Utc::now();
        let mut needs = BTreeSet::new();
        for i in 0..sessions {
            let p = i % profiles;
            let profile = names[p].clone();
            let team = TEAMS[p % TEAMS.len()];
            let account = format!("{:012}", 100_000_000_000u64 + (p as u64) * 7919 + 13);
            let region = REGIONS[rng.next(REGIONS.len())].to_string();
            let n = i / profiles;
            let (alias, kind) = match (users[p], rng.next(10)) {
                (None, _) => (
                    format!("{team}-user-{p}"),
                    SessionKind::IamUser(IamUser {
                        mfa_serial: Some(format!("arn:aws:iam::{account}:mfa/{team}-{p}")),
                        duration_secs: 36_000,
                    }),
                ),
                (Some(parent), 0..=2) => {
                    let role = ROLES[rng.next(ROLES.len())];
                    (
                        format!("{profile} {role} {n}"),
                        SessionKind::IamRoleChained(ChainedRole {
                            parent,
                            role_arn: format!("arn:aws:iam::{account}:role/{role}"),
                            role_session_name: "credtray".into(),
                            external_id: None,
                            duration_secs: 3600,
                        }),
                    )
                }
                (Some(_), 3) => (
                    format!("okta {profile} {n}"),
                    SessionKind::IamRoleFederated(FederatedRole {
                        role_arn: format!("arn:aws:iam::{account}:role/okta/Engineer"),
                        idp_arn: format!("arn:aws:iam::{account}:saml-provider/Okta"),
                        saml_url: "https://example.okta.com/app/aws/sso/saml".into(),
                        duration_secs: 3600,
                    }),
                ),
                (Some(_), _) => {
                    let role = ROLES[rng.next(ROLES.len())];
                    let stage = STAGES[(p / TEAMS.len()) % STAGES.len()];
                    let account_name = format!("{} {stage} {i}", capitalised(team));
                    (
                        format!("{account_name} / {role}"),
                        SessionKind::AwsSso(SsoRole {
                            integration: portal,
                            account_id: format!("{:012}", 200_000_000_000u64 + i as u64 * 31),
                            account_name,
                            role_name: role.into(),
                        }),
                    )
                }
            };
            let session = Session {
                id: Uuid::new_v4(),
                alias,
                profile: profile.clone(),
                region,
                kind,
            };
            let id = session.id;
            if users[p].is_none() {
                users[p] = Some(id);
                if p.is_multiple_of(3) {
                    state.active.insert(
                        id,
                        Active {
                            profile: profile.clone(),
                            expiration: now + Minutes::minutes(20 + 7 * p as i64),
                            refreshed_at: now,
                            credentials: record(&profile),
                            config: record(&profile),
                            took_over: false,
                        },
                    );
                }
            }
            if i == profiles {
                // The second session of the first profile needs the user.
                needs.insert(id);
            }
            state.add_session(session).expect("a valid session");
        }
        (state, needs)
    }

    fn capitalised(s: &str) -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }

    fn say(line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn modified(path: &Path) -> Option<SystemTime> {
        std::fs::metadata(path).and_then(|m| m.modified()).ok()
    }

    pub fn main() {
        let args = args();
        super::samples::log_to_stderr();
        let rss_before_gtk = rss_kib();
        if let Err(e) = gtk::init() {
            eprintln!("sessions_window: cannot start GTK: {e}");
            std::process::exit(2);
        }
        let (state, needs) = match args.generate {
            Some((n, p)) => {
                let (state, needs) = generate(n, p);
                if let Some(path) = &args.file {
                    let mut json = serde_json::to_vec_pretty(&state).expect("state serializes");
                    json.push(b'\n');
                    if let Err(e) = std::fs::write(path, json) {
                        eprintln!("sessions_window: cannot write {}: {e}", path.display());
                        std::process::exit(2);
                    }
                }
                (state, needs)
            }
            None => {
                let path = args.file.as_deref().expect("a state file");
                match load(path) {
                    Ok(state) => (state, BTreeSet::new()),
                    Err(e) => {
                        eprintln!("sessions_window: {e}");
                        std::process::exit(2);
                    }
                }
            }
        };
        if args.bench {
            bench(state, needs, rss_before_gtk);
            return;
        }
        run(state, needs, args.file);
    }

    fn run(state: State, needs: BTreeSet<Uuid>, file: Option<PathBuf>) {
        let window = Rc::new(SessionsWindow::new(Box::new(|action: SessionAction| {
            say(&format!("action {} {}", action.name(), action.session()));
        })));
        window.connect_filtered(Box::new(|n| say(&format!("visible {n}"))));
        window.update(&state, &needs);
        window.present();
        say(&format!("ready {}", state.sessions.len()));

        let state = Rc::new(RefCell::new(state));
        let needs = Rc::new(RefCell::new(needs));
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let seen = Cell::new(file.as_deref().and_then(modified));
        let was_visible = Cell::new(true);
        let reload = {
            let (window, state, needs, file) =
                (window.clone(), state.clone(), needs.clone(), file.clone());
            move || {
                if let Some(path) = &file {
                    match load(path) {
                        Ok(s) => *state.borrow_mut() = s,
                        Err(e) => {
                            eprintln!("sessions_window: {e}");
                            return;
                        }
                    }
                }
                window.update(&state.borrow(), &needs.borrow());
                say(&format!("updated {}", state.borrow().sessions.len()));
            }
        };
        glib::timeout_add_local(Duration::from_millis(200), move || {
            let visible = window.is_visible();
            if was_visible.replace(visible) && !visible {
                say("hidden");
            }
            while let Ok(line) = rx.try_recv() {
                let (command, rest) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
                match command {
                    "reload" => reload(),
                    "needs" => {
                        *needs.borrow_mut() = rest
                            .split_whitespace()
                            .filter_map(|s| s.parse().ok())
                            .collect();
                        reload();
                    }
                    "search" => window.search(rest),
                    "points" => match rest.parse().ok().and_then(|id| window.hit_points(id)) {
                        Some(((sx, sy), (mx, my))) => say(&format!("points {sx} {sy} {mx} {my}")),
                        None => say("points none"),
                    },
                    "dump" => {
                        for row in window.shown() {
                            say(&format!(
                                "row {} {} {} | {} | {} | {}",
                                row.id,
                                if row.on { "on" } else { "off" },
                                row.profile,
                                row.alias,
                                row.detail,
                                row.state
                            ));
                        }
                        say("end");
                    }
                    "present" => {
                        window.present();
                        was_visible.set(true);
                    }
                    "quit" => {
                        gtk::main_quit();
                        return glib::ControlFlow::Break;
                    }
                    "" => {}
                    other => eprintln!("sessions_window: unknown command '{other}'"),
                }
            }
            if let Some(path) = &file {
                let now = modified(path);
                if now != seen.get() {
                    seen.set(now);
                    reload();
                }
            }
            glib::ControlFlow::Continue
        });
        gtk::main();
    }

    // -----------------------------------------------------------------------------------------
    // --bench

    /// The resident set, in KiB.
    fn rss_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Runs the main loop until the window has painted a frame that follows a draw (what
    /// the user sees), or `limit` passes.
    struct Frames {
        drawn: Rc<Cell<bool>>,
        painted: Rc<Cell<bool>>,
    }

    impl Frames {
        fn watch(window: &gtk::Window) -> Frames {
            let drawn = Rc::new(Cell::new(false));
            let painted = Rc::new(Cell::new(false));
            let d = drawn.clone();
            window.connect_draw(move |_, _| {
                d.set(true);
                glib::Propagation::Proceed
            });
            Frames { drawn, painted }
        }

        fn hook_clock(&self, window: &gtk::Window) {
            let clock = window
                .frame_clock()
                .expect("a realized window has a frame clock");
            let (d, p) = (self.drawn.clone(), self.painted.clone());
            clock.connect_after_paint(move |_| {
                if d.get() {
                    p.set(true);
                }
            });
        }

        /// Waits for the next painted frame (one is asked for, so that a change that drew
        /// nothing still ends).
        fn settle(&self, window: &gtk::Window) -> Duration {
            let start = Instant::now();
            self.painted.set(false);
            self.drawn.set(false);
            if let Some(clock) = window.frame_clock() {
                clock.request_phase(gdk::FrameClockPhase::PAINT);
            }
            // A paint with nothing to draw still ends the wait.
            window.queue_draw_area(0, 0, 1, 1);
            while !self.painted.get() && start.elapsed() < Duration::from_secs(30) {
                gtk::main_iteration_do(true);
            }
            start.elapsed()
        }
    }

    use gtk::gdk;

    fn ms(d: Duration) -> String {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    }

    fn median(v: &mut [Duration]) -> Duration {
        v.sort();
        v[v.len() / 2]
    }

    fn bench(mut state: State, needs: BTreeSet<Uuid>, rss_before_gtk: u64) {
        let n = state.sessions.len();
        let rss_gtk = rss_kib();
        println!(
            "sessions_window bench: {n} sessions, {} profiles",
            state.profiles.len()
        );

        let t = Instant::now();
        let window = SessionsWindow::new(Box::new(|_| {}));
        let made = t.elapsed();
        window.update(&state, &needs);
        let filled = t.elapsed();
        window.present();
        let presented = t.elapsed();
        let frames = Frames::watch(window.window());
        frames.hook_clock(window.window());
        // The first frame after mapping.
        while !frames.painted.get() && t.elapsed() < Duration::from_secs(60) {
            gtk::main_iteration_do(true);
        }
        let open = t.elapsed();
        println!(
            "open: {} to the first frame (new {}, update while hidden {}, present: rows and \
             show {}, then layout and paint {})",
            ms(open),
            ms(made),
            ms(filled - made),
            ms(presented - filled),
            ms(open - presented)
        );
        // Let it calm down, then measure the memory the window added.
        for _ in 0..3 {
            frames.settle(window.window());
        }
        let rss_open = rss_kib();
        println!(
            "memory: RSS {} MiB before GTK, {} MiB with GTK up, {} MiB with the window \
             open: the window adds {} MiB",
            rss_before_gtk / 1024,
            rss_gtk / 1024,
            rss_open / 1024,
            (rss_open.saturating_sub(rss_gtk)) / 1024
        );

        // Type-ahead: a query typed key by key, then erased key by key.
        let query = "payments prod admin";
        let mut sync = Vec::new();
        let mut frame = Vec::new();
        let mut last_visible = 0;
        let mut typing = Vec::new();
        for end in 1..=query.len() {
            typing.push(query[..end].to_string());
        }
        for end in (0..query.len()).rev() {
            typing.push(query[..end].to_string());
        }
        for text in &typing {
            let t = Instant::now();
            window.search(text);
            sync.push(t.elapsed());
            frame.push(t.elapsed() + frames.settle(window.window()));
            last_visible = window.visible_count();
        }
        let keys = typing.len();
        let (worst_sync, worst_frame) = (
            sync.iter().max().copied().unwrap_or_default(),
            frame.iter().max().copied().unwrap_or_default(),
        );
        println!(
            "filter per keystroke ({keys} keys typing and erasing '{query}'): median {} \
             (worst {}) to filter, median {} (worst {}) to the next frame; {last_visible} \
             shown at the end",
            ms(median(&mut sync)),
            ms(worst_sync),
            ms(median(&mut frame)),
            ms(worst_frame)
        );
        // From one row back to all of them, and the reverse.
        let one = state
            .sessions
            .last()
            .map(|s| s.alias.clone())
            .unwrap_or_default();
        window.search(&one);
        frames.settle(window.window());
        let t = Instant::now();
        window.search("");
        let all_sync = t.elapsed();
        let all = all_sync + frames.settle(window.window());
        let t = Instant::now();
        window.search(&one);
        let one_sync = t.elapsed();
        let narrowed = one_sync + frames.settle(window.window());
        println!(
            "filter from 1 row to all {n}: {} ({} to the next frame); from all to 1: {} ({})",
            ms(all_sync),
            ms(all),
            ms(one_sync),
            ms(narrowed)
        );
        window.search("");
        frames.settle(window.window());

        // Updates.
        let report = |what: &str, state: &State| {
            let mut calls = Vec::new();
            let mut total = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                window.update(state, &needs);
                calls.push(t.elapsed());
                total.push(t.elapsed() + frames.settle(window.window()));
            }
            println!(
                "update, {what}: {} (median of 5 calls; {} to the next frame)",
                ms(median(&mut calls)),
                ms(median(&mut total))
            );
        };
        report("nothing changed", &state);
        let flip = |state: &mut State, id: Uuid| {
            if state.active.remove(&id).is_none() {
                let profile = state.session(id).map(|s| s.profile.clone()).unwrap();
                state.active.insert(
                    id,
                    Active {
                        profile: profile.clone(),
                        expiration: Utc::now() + Minutes::minutes(55),
                        refreshed_at: Utc::now(),
                        credentials: record(&profile),
                        config: record(&profile),
                        took_over: false,
                    },
                );
            }
        };
        // Each update alternates one session's state (measured on both ways).
        let id = state.sessions[n / 2].id;
        let mut times = Vec::new();
        let mut totals = Vec::new();
        for _ in 0..6 {
            flip(&mut state, id);
            let t = Instant::now();
            window.update(&state, &needs);
            times.push(t.elapsed());
            totals.push(t.elapsed() + frames.settle(window.window()));
        }
        println!(
            "update, one session started or stopped: {} (median of 6; {} to the next frame)",
            ms(median(&mut times)),
            ms(median(&mut totals))
        );
        // Every profile's first session flips at once (a resume at launch, a Quit).
        let firsts: Vec<Uuid> = state
            .profiles
            .iter()
            .filter_map(|p| {
                state
                    .sessions
                    .iter()
                    .find(|s| &s.profile == p)
                    .map(|s| s.id)
            })
            .collect();
        let t = Instant::now();
        for id in &firsts {
            flip(&mut state, *id);
        }
        window.update(&state, &needs);
        let many = t.elapsed();
        let many_frame = many + frames.settle(window.window());
        println!(
            "update, {} sessions started or stopped at once: {} ({} to the next frame)",
            firsts.len(),
            ms(many),
            ms(many_frame)
        );
        // A rename that moves a row from the end of its profile to its start, and back.
        let last = n - 1;
        let old = state.sessions[last].alias.clone();
        state.sessions[last].alias = "0 first".into();
        let t = Instant::now();
        window.update(&state, &needs);
        let renamed = t.elapsed();
        let renamed_frame = renamed + frames.settle(window.window());
        state.sessions[last].alias = old;
        window.update(&state, &needs);
        frames.settle(window.window());
        println!(
            "update, a rename that moves a row: {} ({} to the next frame)",
            ms(renamed),
            ms(renamed_frame)
        );
        // A session added, then removed.
        let mut added = state.sessions[0].clone();
        added.id = Uuid::new_v4();
        added.alias = "added session".into();
        added.kind = SessionKind::IamUser(IamUser {
            mfa_serial: None,
            duration_secs: 3600,
        });
        let added_id = added.id;
        state.sessions.push(added);
        let t = Instant::now();
        window.update(&state, &needs);
        let add = t.elapsed();
        let add_frame = add + frames.settle(window.window());
        state.sessions.retain(|s| s.id != added_id);
        let t = Instant::now();
        window.update(&state, &needs);
        let remove = t.elapsed();
        let remove_frame = remove + frames.settle(window.window());
        println!(
            "update, a session added: {} ({}); removed: {} ({})",
            ms(add),
            ms(add_frame),
            ms(remove),
            ms(remove_frame)
        );
        // The same update while a search shows a few rows.
        window.search("payments");
        frames.settle(window.window());
        let mut times = Vec::new();
        for _ in 0..6 {
            flip(&mut state, id);
            let t = Instant::now();
            window.update(&state, &needs);
            times.push(t.elapsed() + frames.settle(window.window()));
        }
        println!(
            "update while searching ({} shown), one session started or stopped: {} to the \
             next frame (median of 6)",
            window.visible_count(),
            ms(median(&mut times))
        );
    }
}

//! `session list --json` with 1,000 sessions: loading the state file and rendering the
//! JSON (what the command does besides process start-up).

use credtray::cli::output::sessions_json;
use credtray::model::{ChainedRole, IamUser, Session, SessionKind, State};
use credtray::store::StateStore;
use criterion::{criterion_group, criterion_main, Criterion};
use uuid::Uuid;

fn thousand_sessions() -> State {
    let mut state = State::new();
    for p in 0..50 {
        state.add_profile(&format!("profile-{p}")).unwrap();
    }
    let mut parent = None;
    for i in 0..1000 {
        let kind = match parent {
            Some(parent) if i % 4 != 0 => SessionKind::IamRoleChained(ChainedRole {
                parent,
                role_arn: format!("arn:aws:iam::123456789012:role/Role{i}"),
                role_session_name: "credtray".into(),
                external_id: None,
                duration_secs: 3600,
            }),
            _ => SessionKind::IamUser(IamUser {
                mfa_serial: Some(format!("arn:aws:iam::123456789012:mfa/user{i}")),
                duration_secs: 36_000,
            }),
        };
        let s = Session {
            id: Uuid::new_v4(),
            alias: format!("session-{i}"),
            profile: format!("profile-{}", i % 50),
            region: "eu-west-1".into(),
            kind,
        };
        if i % 4 == 0 {
            parent = Some(s.id);
        }
        state.add_session(s).unwrap();
    }
    state
}

fn bench(c: &mut Criterion) {
    let state = thousand_sessions();
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::new(dir.path());
    store.save(&state).unwrap();
    c.bench_function(
        "session list --json, 1,000 sessions: load state + render",
        |b| {
            b.iter(|| {
                let st = store.load().unwrap();
                let out = sessions_json(&st).to_string();
                assert!(out.len() > 100_000);
            })
        },
    );
    c.bench_function("session list --json, 1,000 sessions: render only", |b| {
        b.iter(|| sessions_json(&state).to_string())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

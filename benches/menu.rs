//! Building the tray menu model for 1,000 sessions across 20 named profiles (one active
//! session per profile, a few needing attention): the rebuild the tray does on every
//! change of state. The budget is 50 ms.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use credtray::awsfiles::ini::WriteRecord;
use credtray::model::{Active, ChainedRole, IamUser, Session, SessionKind, State};
use credtray::tray::menu::{build, MenuInputs};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use uuid::Uuid;

fn record(section: &str) -> WriteRecord {
    serde_json::from_value(serde_json::json!({
        "section": section, "created_section": true, "keys": []
    }))
    .unwrap()
}

fn thousand_sessions(now: DateTime<Utc>) -> (State, BTreeSet<Uuid>) {
    let mut state = State::new();
    for p in 0..20 {
        state.add_profile(&format!("profile-{p}")).unwrap();
    }
    let mut parent = None;
    let mut attention = BTreeSet::new();
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
        let profile = format!("profile-{}", i % 20);
        let s = Session {
            id: Uuid::new_v4(),
            alias: format!("session-{i}"),
            profile: profile.clone(),
            region: "eu-west-1".into(),
            kind,
        };
        if i % 4 == 0 {
            parent = Some(s.id);
        }
        if i < 20 {
            state.active.insert(
                s.id,
                Active {
                    profile: profile.clone(),
                    expiration: now + Duration::minutes(30 + i),
                    refreshed_at: now,
                    credentials: record(&profile),
                    config: record(&profile),
                    took_over: false,
                },
            );
        }
        if i % 97 == 0 {
            attention.insert(s.id);
        }
        state.add_session(s).unwrap();
    }
    (state, attention)
}

fn bench(c: &mut Criterion) {
    let now = Utc::now();
    let (state, attention) = thousand_sessions(now);
    c.bench_function("menu build, 1000 sessions / 20 profiles", |b| {
        b.iter(|| {
            build(black_box(&MenuInputs {
                state: &state,
                now,
                attention: &attention,
                start_at_login: true,
                activity: &Default::default(),
                session_actions: false,
            }))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Syncing an IAM Identity Center integration of 1,000 accounts × 3 roles behind a portal
//! that throttles above 20 requests per second (the test fake, `tests/sso_fake`), through
//! the engine (keychain in memory, state in a temporary folder). Prints the requests made,
//! the time, the throttle's floor (requests ÷ 20 per second) and the ratio to it, the
//! throttled answers and the busiest second. The issue's target: no failure, within 1.2× of
//! the floor.
//!
//! `cargo bench --bench sso_sync` (`SSO_BENCH_ACCOUNTS=N` for another size).

#[path = "../tests/sso_fake/mod.rs"]
mod sso_fake;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use credtray::awsfiles::AwsPaths;
use credtray::engine::Engine;
use credtray::model::SignIn;
use credtray::providers::{NoInteraction, Sts};
use credtray::sso::AccessToken;
use credtray::store::{MemorySecrets, Owner, SecretItem, SecretStore, StateStore};

fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): a small smoke run then.
    let benching = std::env::args().any(|a| a == "--bench");
    let accounts: usize = std::env::var("SSO_BENCH_ACCOUNTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if benching { 1000 } else { 5 });
    let fake = sso_fake::FakeSso::start_with(sso_fake::Setup {
        accounts,
        roles: vec!["Admin".into(), "ReadOnly".into(), "Billing".into()],
        ..sso_fake::Setup::default()
    });
    fake.throttle(20.0);
    // SAFETY: set before any thread of ours reads the environment.
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL_SSO", fake.portal_url());
        std::env::set_var("AWS_ENDPOINT_URL_SSO_OIDC", fake.oidc_url());
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let secrets = Arc::new(MemorySecrets::default());
    let engine = Engine {
        store: StateStore::new(dir.path().join("config")),
        secrets: secrets.clone(),
        paths: AwsPaths {
            credentials: dir.path().join("credentials"),
            config: dir.path().join("config-aws"),
        },
        sts: rt.block_on(Sts::load()),
    };
    let integration = engine
        .add_integration("bench", "https://d-bench.awsapps.com/start", "us-east-1")
        .expect("add");
    let token = fake.issue_token();
    let expires_at = Utc::now() + chrono::Duration::hours(1);
    let json = serde_json::to_string(&AccessToken {
        token: token.access_token.clone(),
        expires_at,
    })
    .unwrap();
    secrets
        .set(
            Owner::Integration(integration.id),
            SecretItem::SsoAccessToken,
            &json,
        )
        .unwrap();
    engine
        .store
        .update(|st| {
            st.integration_mut(integration.id).unwrap().sign_in = Some(SignIn {
                expires_at,
                refreshable: false,
                expired: false,
            });
            Ok::<_, credtray::store::StoreError>(())
        })
        .unwrap();

    let started = Instant::now();
    let report = rt
        .block_on(engine.sync("bench", Arc::new(NoInteraction::default()), &|_, _| {}))
        .expect("the sync succeeds");
    let took = started.elapsed();
    let requests = fake.count("/assignment/accounts") + fake.count("/assignment/roles");
    let floor = Duration::from_secs_f64(requests as f64 / 20.0);
    println!(
        "sso_sync: {accounts} accounts × 3 roles → {} sessions",
        report.added
    );
    println!(
        "sso_sync: {requests} portal requests in {:.1} s; floor at 20/s {:.1} s; ratio {:.3}",
        took.as_secs_f64(),
        floor.as_secs_f64(),
        took.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "sso_sync: throttled answers {}, busiest second {} requests",
        fake.throttled_count(),
        fake.max_rate_seen(Duration::from_secs(1))
    );
    assert_eq!(report.added, accounts * 3, "every role became a session");
}

//! The agent: owns rotation. It sleeps until the next deadline of the scheduler (or until
//! another credtray process changes the state file, seen through file-system
//! notifications), refreshes what is due, and removes credentials that ran out.

pub mod timer;

use std::fs::OpenOptions;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::{bail, Context, Result};
use chrono::{Duration, Utc};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::engine::events::{log_sink, Event, Sink};
use crate::engine::schedule::{self, Action, Hold, Holds};
use crate::engine::{Engine, EngineError, Refreshed};
use crate::providers::{Interaction, NoInteraction, ProviderError};
use crate::store::state_file::STATE_FILE;

/// After an error the agent tries again this long later (or when the state changes).
pub const ERROR_PAUSE: StdDuration = StdDuration::from_secs(60);

/// The file whose lock marks the running agent.
pub const AGENT_LOCK: &str = "agent.lock";

/// Holds the single-agent lock while alive.
pub struct AgentLock(#[allow(dead_code)] std::fs::File);

/// Takes the lock that marks the one running agent (headless or tray) of this user;
/// `Ok(None)` when another process holds it.
pub fn try_single_instance(engine: &Engine) -> Result<Option<AgentLock>> {
    crate::fsutil::ensure_private_dir(engine.store.dir())
        .with_context(|| format!("cannot create {}", engine.store.dir().display()))?;
    let path = engine.store.dir().join(AGENT_LOCK);
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(AgentLock(file))),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Runs the headless agent until Ctrl-C or SIGTERM, logging what happens.
pub async fn run(engine: Engine) -> Result<()> {
    let Some(_instance) = try_single_instance(&engine)? else {
        bail!(
            "credtray is already running for this user (the tray or `credtray agent` holds {})",
            engine.store.dir().join(AGENT_LOCK).display()
        );
    };
    supervise(engine, log_sink(), shutdown_signal()).await;
    Ok(())
}

/// The first pause before a failed rotation loop starts again; it doubles up to
/// [`RESTART_PAUSE_MAX`] while the loop keeps failing.
pub const RESTART_PAUSE: StdDuration = StdDuration::from_secs(5);
/// The longest pause between restarts of a failing rotation loop.
pub const RESTART_PAUSE_MAX: StdDuration = StdDuration::from_secs(300);

/// Runs [`serve`] until `shutdown` completes, starting it again whenever it fails or
/// panics: rotation never stops silently. Each failure is reported to `events` as
/// [`Event::AgentFailed`] (logged by the headless agent, notified by the tray).
pub async fn supervise(
    engine: Engine,
    events: Sink,
    shutdown: impl std::future::Future<Output = ()>,
) {
    supervise_with(engine, events, Arc::new(NoInteraction::default()), shutdown).await
}

/// [`supervise`] with the given way of asking during rotation: the headless agent asks no
/// one ([`NoInteraction`]); the tray tries a federated session's sign-in in a hidden window
/// first.
pub async fn supervise_with(
    engine: Engine,
    events: Sink,
    interaction: Arc<dyn Interaction>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let sink = events.clone();
    restart_on_failure(
        move || {
            let (engine, events, ui) = (engine.clone(), events.clone(), interaction.clone());
            async move { serve_with(engine, events, ui, std::future::pending()).await }
        },
        move |reason, retry_in| sink(Event::AgentFailed { reason, retry_in }),
        RESTART_PAUSE,
        shutdown,
    )
    .await
}

/// Spawns `run()` on tokio and, each time it returns an error or panics, tells
/// `on_failure` why and runs it again after a pause that starts at `pause` and doubles
/// up to [`RESTART_PAUSE_MAX`]; returns when it ends by itself or when `shutdown`
/// completes (the task is then aborted, which happens at an await point, never inside a
/// change made under the state lock, which is synchronous).
pub async fn restart_on_failure<F, Fut>(
    mut run: F,
    on_failure: impl Fn(String, StdDuration),
    mut pause: StdDuration,
    shutdown: impl std::future::Future<Output = ()>,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    tokio::pin!(shutdown);
    loop {
        let mut task = tokio::spawn(run());
        let outcome = tokio::select! {
            r = &mut task => r,
            _ = &mut shutdown => {
                task.abort();
                return;
            }
        };
        let reason = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let text = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                format!("it panicked ({text})")
            }
            Err(_) => return,
        };
        on_failure(reason, pause);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = &mut shutdown => return,
        }
        pause = (pause * 2).min(RESTART_PAUSE_MAX);
    }
}

/// The agent's loop, for a caller that holds the single-instance lock: rotates until
/// `shutdown` completes, reporting to `events`.
pub async fn serve(
    engine: Engine,
    events: Sink,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    serve_with(engine, events, Arc::new(NoInteraction::default()), shutdown).await
}

/// [`serve`] with the given way of asking during rotation.
pub async fn serve_with(
    engine: Engine,
    events: Sink,
    mfa: Arc<dyn Interaction>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let (tx, mut changes) = mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            let ours = ev
                .paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == STATE_FILE));
            if ours && !matches!(ev.kind, notify::EventKind::Access(_)) {
                let _ = tx.send(());
            }
        }
    })
    .context("cannot watch the config folder for changes")?;
    watcher
        .watch(engine.store.dir(), RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", engine.store.dir().display()))?;
    tracing::info!(dir = %engine.store.dir().display(), "agent started");

    let mut holds = Holds::new();
    let mut failures = Failures::new();
    let mut tokens = TokenHolds::new();
    let timer = timer::WallTimer::new().context("cannot create the agent's timer")?;
    tokio::pin!(shutdown);
    loop {
        let result = match renew_tokens(&engine, &mut tokens, &events).await {
            Ok(token_next) => tick(&engine, &mfa, &mut holds, &mut failures, &events)
                .await
                .map(|next| earliest(next, token_next)),
            Err(e) => Err(e),
        };
        events(Event::StateSeen);
        let next = match result {
            Ok(next) => next,
            Err(e) => {
                tracing::error!("{e}; trying again in a minute, or when the state file changes");
                Some(Utc::now() + Duration::from_std(ERROR_PAUSE).unwrap_or(Duration::minutes(1)))
            }
        };
        let sleep = async {
            match next {
                Some(at) => match timer.sleep_until(at).await {
                    Ok(timer::Wake::ClockChanged) => {
                        tracing::info!("the clock changed; re-planning")
                    }
                    Ok(timer::Wake::Deadline) => {}
                    Err(e) => {
                        tracing::warn!("timer failed ({e}); sleeping a minute");
                        tokio::time::sleep(ERROR_PAUSE).await;
                    }
                },
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            Some(()) = changes.recv() => {
                // Let a burst of events (write + rename) settle, then drain it.
                tokio::time::sleep(StdDuration::from_millis(50)).await;
                while changes.try_recv().is_ok() {}
            }
            _ = &mut shutdown => break,
        }
    }
    tracing::info!("agent stopped");
    Ok(())
}

/// Integrations whose token renewal failed and when to try again; those that need the user
/// and were reported (so they are reported once per sign-in).
#[derive(Debug, Default)]
pub struct TokenHolds {
    retries: std::collections::BTreeMap<uuid::Uuid, chrono::DateTime<Utc>>,
    reported: std::collections::BTreeSet<(uuid::Uuid, chrono::DateTime<Utc>)>,
}

impl TokenHolds {
    /// Nothing held.
    pub fn new() -> TokenHolds {
        TokenHolds::default()
    }
}

fn earliest(
    a: Option<chrono::DateTime<Utc>>,
    b: Option<chrono::DateTime<Utc>>,
) -> Option<chrono::DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Renews the access tokens of integrations that are due (a margin before they expire),
/// reporting once per sign-in an integration that needs the user. Returns the next token
/// deadline.
pub async fn renew_tokens(
    engine: &Engine,
    holds: &mut TokenHolds,
    events: &Sink,
) -> Result<Option<chrono::DateTime<Utc>>, EngineError> {
    let state = engine.state()?;
    let margin = Duration::seconds(state.settings.rotation_margin_secs as i64)
        .max(crate::engine::integrations::TOKEN_MARGIN);
    holds
        .retries
        .retain(|id, _| state.integration(*id).is_some());
    // An expired sign-in is reported once; a new sign-in (a new expiry) may be reported again.
    for i in &state.integrations {
        if let Some(s) = i.sign_in.as_ref().filter(|s| s.expired) {
            if holds.reported.insert((i.id, s.expires_at)) {
                events(Event::SignInNeeded {
                    integration: i.id,
                    alias: i.alias.clone(),
                    reason: "its sign-in expired and cannot be renewed".into(),
                });
            }
        }
    }
    let now = Utc::now();
    let plan = schedule::token_plan(&state, margin, &holds.retries);
    for (id, at) in plan.iter().filter(|(_, at)| *at <= now) {
        let alias = state
            .integration(*id)
            .map(|i| i.alias.clone())
            .unwrap_or_default();
        match engine.refresh_integration(*id).await {
            Ok(expires) => {
                holds.retries.remove(id);
                tracing::info!(integration = %alias, expires = %expires.to_rfc3339(), "access token renewed");
            }
            Err(EngineError::Provider(e)) if e.needs_user() => {
                holds.retries.remove(id);
                // Reported below, from the state the engine marked expired.
                let expires = engine
                    .state()?
                    .integration(*id)
                    .and_then(|i| i.sign_in.as_ref().map(|s| s.expires_at))
                    .unwrap_or(*at);
                if holds.reported.insert((*id, expires)) {
                    events(Event::SignInNeeded {
                        integration: *id,
                        alias,
                        reason: e.to_string(),
                    });
                }
            }
            Err(e) => {
                let expires = state
                    .integration(*id)
                    .and_then(|i| i.sign_in.as_ref().map(|s| s.expires_at))
                    .unwrap_or(now);
                let retry =
                    schedule::retry_at(Utc::now(), expires.max(now + Duration::seconds(20)));
                tracing::warn!(integration = %alias, retry_at = %retry.to_rfc3339(), "could not renew the access token: {e}");
                holds.retries.insert(*id, retry);
            }
        }
    }
    let state = engine.state()?;
    let plan = schedule::token_plan(&state, margin, &holds.retries);
    Ok(plan
        .iter()
        .map(|(_, at)| *at)
        .filter(|at| *at > Utc::now())
        .min())
}

/// The last refresh failure of each session, so that a "stopped" event can say why.
pub type Failures = std::collections::BTreeMap<uuid::Uuid, String>;

/// Handles whatever is due now and returns the next deadline (none: sleep until the state
/// changes).
pub async fn tick(
    engine: &Engine,
    mfa: &Arc<dyn Interaction>,
    holds: &mut Holds,
    failures: &mut Failures,
    events: &Sink,
) -> Result<Option<chrono::DateTime<Utc>>, EngineError> {
    engine.recover()?;
    loop {
        let state = engine.state()?;
        holds.retain(|id, _| state.active.contains_key(id));
        failures.retain(|id, _| state.active.contains_key(id));
        let margin = Duration::seconds(state.settings.rotation_margin_secs as i64);
        let plan = schedule::plan(&state, margin, holds);
        let now = Utc::now();
        let due = schedule::due(&plan, now);
        if due.is_empty() {
            return Ok(schedule::next_wakeup(&plan, now));
        }
        for d in due {
            let Some(active) = state.active.get(&d.session) else {
                continue;
            };
            let alias = state
                .session(d.session)
                .map(|s| s.alias.clone())
                .unwrap_or_default();
            match d.action {
                Action::Expire => match engine.expire(d.session, now) {
                    Ok(true) => {
                        let reason = match failures.remove(&d.session) {
                            Some(why) => format!("its credentials expired and were removed from the credentials file; the last refresh failed: {why}"),
                            None => "its credentials expired before they could be refreshed and were removed from the credentials file".to_string(),
                        };
                        events(Event::Stopped {
                            session: d.session,
                            alias,
                            expiration: active.expiration,
                            reason,
                        });
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(session = %alias, "could not remove expired credentials: {e}");
                        let at = schedule::retry_at(Utc::now(), Utc::now());
                        holds.insert(d.session, (active.refreshed_at, Hold::RetryAt(at)));
                        return Err(e);
                    }
                },
                Action::Refresh => match engine.refresh(d.session, mfa.clone()).await {
                    Ok(Refreshed::Written(expiration)) => {
                        failures.remove(&d.session);
                        events(Event::Refreshed {
                            session: d.session,
                            alias,
                            expiration,
                        });
                    }
                    Ok(Refreshed::Gone) => {}
                    Err(EngineError::Provider(ProviderError::SignInNeeded { integration })) => {
                        // The integration is reported (once) by `renew_tokens`, not each session.
                        tracing::info!(session = %alias, integration = %integration, "waits for a sign-in to its integration");
                        holds.insert(d.session, (active.refreshed_at, Hold::NeedsUser));
                        failures.insert(
                            d.session,
                            format!("integration '{integration}' needs you to sign in"),
                        );
                    }
                    Err(EngineError::Provider(e)) if needs_user(&e) => {
                        holds.insert(d.session, (active.refreshed_at, Hold::NeedsUser));
                        failures.insert(d.session, e.to_string());
                        events(Event::NeedsUser {
                            session: d.session,
                            alias,
                            expiration: active.expiration,
                            mfa: matches!(e, ProviderError::MfaNeeded { .. }),
                            reason: e.to_string(),
                        });
                    }
                    Err(e) => {
                        let at = schedule::retry_at(Utc::now(), active.expiration);
                        holds.insert(d.session, (active.refreshed_at, Hold::RetryAt(at)));
                        failures.insert(d.session, e.to_string());
                        events(Event::RefreshFailed {
                            session: d.session,
                            alias,
                            expiration: active.expiration,
                            retry_at: at,
                            reason: e.to_string(),
                        });
                    }
                },
            }
        }
    }
}

/// Whether a refresh failed because it needs the user: an MFA code, a sign-in, or a
/// federated session's sign-in at its identity provider (which rotation could not complete
/// by itself). Such a session is held until the user acts, and told once.
fn needs_user(e: &ProviderError) -> bool {
    e.needs_user() || matches!(e, ProviderError::SamlSignInNeeded { .. })
}

/// Completes at Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    #[tokio::test]
    async fn a_failing_or_panicking_loop_is_reported_and_restarted() {
        let runs = Arc::new(AtomicUsize::new(0));
        let said = Arc::new(Mutex::new(Vec::new()));
        let (r, s) = (runs.clone(), said.clone());
        restart_on_failure(
            move || {
                let n = r.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 => anyhow::bail!("the watch failed"),
                        1 => panic!("boom"),
                        _ => Ok(()),
                    }
                }
            },
            move |why, pause| s.lock().unwrap().push((why, pause)),
            StdDuration::from_millis(1),
            std::future::pending(),
        )
        .await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let said = said.lock().unwrap();
        assert_eq!(said.len(), 2);
        assert_eq!(said[0].0, "the watch failed");
        assert_eq!(said[1].0, "it panicked (boom)");
        assert_eq!(said[1].1, StdDuration::from_millis(2));
    }

    #[test]
    fn a_federated_session_that_needs_its_sign_in_is_held_for_the_user() {
        assert!(needs_user(&ProviderError::SamlSignInNeeded {
            session: "corp".into()
        }));
        assert!(!needs_user(&ProviderError::SamlWindow {
            session: "corp".into(),
            message: "no GTK".into()
        }));
    }

    #[tokio::test]
    async fn shutdown_ends_a_running_loop() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let waiting = restart_on_failure(
            move || {
                r.fetch_add(1, Ordering::SeqCst);
                async { std::future::pending::<Result<()>>().await }
            },
            |_, _| panic!("no failure expected"),
            StdDuration::from_millis(1),
            async {
                let _ = rx.await;
            },
        );
        tx.send(()).unwrap();
        waiting.await;
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}

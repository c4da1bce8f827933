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

use crate::engine::schedule::{self, Action, Hold, Holds};
use crate::engine::{Engine, EngineError, Refreshed};
use crate::providers::{MfaPrompt, NoMfaPrompt};
use crate::store::state_file::STATE_FILE;

/// After an error the agent tries again this long later (or when the state changes).
pub const ERROR_PAUSE: StdDuration = StdDuration::from_secs(60);

/// The file whose lock marks the running agent.
pub const AGENT_LOCK: &str = "agent.lock";

/// Holds the single-agent lock while alive.
struct AgentLock(#[allow(dead_code)] std::fs::File);

fn single_instance(engine: &Engine) -> Result<AgentLock> {
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
        Ok(()) => Ok(AgentLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!(
                "another credtray agent is already running for this user (it holds {})",
                path.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Runs the agent until Ctrl-C or SIGTERM.
pub async fn run(engine: Engine) -> Result<()> {
    let _instance = single_instance(&engine)?;
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

    let mfa: Arc<dyn MfaPrompt> = Arc::new(NoMfaPrompt::default());
    let mut holds = Holds::new();
    let timer = timer::WallTimer::new().context("cannot create the agent's timer")?;
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let next = match tick(&engine, &mfa, &mut holds).await {
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

/// Handles whatever is due now and returns the next deadline (none: sleep until the state
/// changes).
pub async fn tick(
    engine: &Engine,
    mfa: &Arc<dyn MfaPrompt>,
    holds: &mut Holds,
) -> Result<Option<chrono::DateTime<Utc>>, EngineError> {
    loop {
        let state = engine.state()?;
        holds.retain(|id, _| state.active.contains_key(id));
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
                        tracing::warn!(session = %alias, profile = %active.profile, "stopped: the credentials expired before they could be refreshed; they were removed from the credentials file")
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
                    Ok(Refreshed::Written(exp)) => {
                        tracing::info!(session = %alias, profile = %active.profile, expiration = %exp.to_rfc3339(), "refreshed");
                    }
                    Ok(Refreshed::Gone) => {}
                    Err(EngineError::Provider(e)) if e.needs_user() => {
                        tracing::warn!(session = %alias, expiration = %active.expiration.to_rfc3339(), "cannot refresh by itself: {e}; the credentials will be removed when they expire");
                        holds.insert(d.session, (active.refreshed_at, Hold::NeedsUser));
                    }
                    Err(e) => {
                        let at = schedule::retry_at(Utc::now(), active.expiration);
                        tracing::warn!(session = %alias, retry_at = %at.to_rfc3339(), "refresh failed: {e}");
                        holds.insert(d.session, (active.refreshed_at, Hold::RetryAt(at)));
                    }
                },
            }
        }
    }
}

async fn shutdown_signal() {
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

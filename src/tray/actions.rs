//! The tray's actions, one small function each: what a click (in the menu, the Sessions
//! window or a notification) does. Those that ask first open a form ([`super::forms`]);
//! the work itself is a [`Job`] for [`App::spawn`], whose result [`super::outcome`] maps.

use std::sync::Mutex;

use uuid::Uuid;

use super::app::{App, Job, Target, Ui, UserEvent};
use super::forms::{self, Field};
use super::menu::{Activity, ItemId};
use super::notices::{self, Notice};
use super::outcome::{self, Outcome};
use crate::engine::{Engine, EngineError, StartOptions};
use crate::model::{Integration, Session, State};
use crate::sso::Flow;

/// How long Quit waits for actions in flight before stopping the sessions anyway.
pub const QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often a sync's progress relabels the menu at most.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs a local step (files and keychain, no network) on tokio's blocking pool.
pub async fn blocking<T, F>(step: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, EngineError> + Send + 'static,
{
    match tokio::task::spawn_blocking(step).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Starts session `id`: a failure is notified and marks it.
pub fn start_job(engine: Engine, opts: StartOptions, id: Uuid, alias: String) -> Job {
    Job::session(id, async move {
        outcome::started(id, &alias, engine.start(id, &opts).await)
    })
}

/// Stops session `id` (local: files and state).
pub fn stop_job(engine: Engine, id: Uuid, alias: &str) -> Job {
    let what = format!("stop '{alias}'");
    Job::session(id, async move {
        outcome::local(id, &what, blocking(move || engine.stop(id)).await)
    })
}

impl App {
    /// Session `id` as the state holds it now, with that state.
    pub(super) fn session(&mut self, id: Uuid) -> Option<(State, Session)> {
        let state = self.load_state()?;
        let s = state.session(id)?.clone();
        Some((state, s))
    }

    /// Sessions… (or a second launch): brings up the Sessions window with the state now.
    pub(super) fn show_sessions(&mut self) {
        let Some(state) = self.load_state() else {
            return;
        };
        let attention = self.attention.clone();
        let window = self.sessions_window();
        window.update(&state, &attention);
        if window.present() {
            tracing::info!(sessions = state.sessions.len(), "Sessions window shown");
        } else {
            self.notifier.show(notices::failed(
                None,
                "show the Sessions window",
                "There is no Sessions window on this platform yet: the tray menu lists the \
                 sessions, and `credtray session …` does the rest.",
            ));
        }
    }

    /// A click on a session: stops it when active, starts it otherwise.
    pub(super) fn toggle(&mut self, id: Uuid) {
        let Some((state, s)) = self.session(id) else {
            return;
        };
        if state.active.contains_key(&id) {
            self.spawn(stop_job(self.engine.clone(), id, &s.alias));
        } else {
            self.start(id, s.alias);
        }
    }

    pub(super) fn start(&mut self, id: Uuid, alias: String) {
        let ctx = self.ctx();
        self.spawn(start_job(ctx.engine.clone(), ctx.opts(), id, alias));
    }

    /// Renew now… (or a notification's action): asks for what the session needs (an MFA
    /// code, a sign-in) and renews it; a stopped session starts.
    pub(super) fn renew(&mut self, id: Uuid) {
        let Some((state, s)) = self.session(id) else {
            return;
        };
        if self.busy.contains(&id) {
            return;
        }
        if !state.active.contains_key(&id) {
            return self.start(id, s.alias);
        }
        let ctx = self.ctx();
        let mfa = ctx.opts().mfa;
        self.spawn(Job::session(id, async move {
            outcome::renewed(id, &s.alias, ctx.engine.refresh(id, mfa).await)
        }));
    }

    /// Test credentials: obtains credentials without writing them, and says who they are.
    pub(super) fn test(&mut self, id: Uuid) {
        let Some((_, s)) = self.session(id) else {
            return;
        };
        let ctx = self.ctx();
        let mfa = ctx.opts().mfa;
        self.spawn(Job::session(id, async move {
            let result = ctx.engine.test(id, mfa).await.map(|t| t.arn);
            outcome::tested(id, &s.alias, result)
        }));
    }

    /// Change profile… and Change region…: a choice, then the edit.
    pub(super) fn change(&mut self, id: Uuid, field: Field) {
        if let Some((state, s)) = self.session(id) {
            forms::change_field(self.ctx(), &state, s, field);
        }
    }

    /// Remove…: confirmed, naming the chained roles that go with it.
    pub(super) fn remove(&mut self, id: Uuid) {
        if let Some((state, s)) = self.session(id) {
            forms::remove_session(self.ctx(), &state, s);
        }
    }

    /// Edit…: the form of the session's kind.
    pub(super) fn edit(&mut self, id: Uuid) {
        if let Some((state, s)) = self.session(id) {
            forms::edit_session(self.ctx(), &state, s);
        }
    }

    pub(super) fn add_iam_user(&mut self) {
        if let Some(state) = self.load_state() {
            forms::add_iam_user(self.ctx(), &state);
        }
    }

    /// Add chained role… (or Create chained session… from `parent`, preset as the assumer).
    pub(super) fn add_chained_role(&mut self, parent: Option<Uuid>) {
        let Some(state) = self.load_state() else {
            return;
        };
        if state.sessions.is_empty() {
            self.notifier.show(notices::failed(
                None,
                "add a chained role",
                "A chained role assumes its role with the credentials of another session: add an IAM user session first.",
            ));
            return;
        }
        forms::add_chained_role(self.ctx(), &state, parent);
    }

    pub(super) fn add_federated_role(&mut self) {
        if let Some(state) = self.load_state() {
            forms::add_federated_role(self.ctx(), &state);
        }
    }

    pub(super) fn named_profiles(&mut self) {
        if let Some(state) = self.load_state() {
            forms::named_profiles(self.ctx(), state);
        }
    }

    /// The integration `id` from the state, unless something is under way for it.
    fn integration(&mut self, id: Uuid) -> Option<(State, Integration)> {
        if self.quitting || self.activity.contains_key(&id) {
            return None;
        }
        let state = self.load_state()?;
        let i = state.integration(id)?.clone();
        Some((state, i))
    }

    /// Sign in…: signs in to integration `id` in the browser (the waiting dialog shows the
    /// URL and can cancel), then syncs it, the menu entry showing the progress.
    pub(super) fn sign_in(&mut self, id: Uuid) {
        let Some((_, i)) = self.integration(id) else {
            return;
        };
        let ctx = self.ctx();
        let progress = progress_reporter(self.ui.clone(), id);
        self.spawn(Job::new(
            Target::Integration(id, Activity::SigningIn),
            async move {
                let result = ctx
                    .engine
                    .login(&id.to_string(), ctx.opts().mfa, Flow::Pkce, &progress)
                    .await;
                outcome::integration(id, &i.alias, "sign in to", result)
            },
        ));
    }

    /// Sync now: lists the integration's accounts and roles again (signing in first if its
    /// token cannot be renewed), the menu entry showing the progress.
    pub(super) fn sync(&mut self, id: Uuid) {
        let Some((_, i)) = self.integration(id) else {
            return;
        };
        let ctx = self.ctx();
        let progress = progress_reporter(self.ui.clone(), id);
        let start = Activity::Syncing { done: 0, total: 0 };
        self.spawn(Job::new(Target::Integration(id, start), async move {
            let result = ctx
                .engine
                .sync(&id.to_string(), ctx.opts().mfa, &progress)
                .await;
            outcome::integration(id, &i.alias, "sync", result)
        }));
    }

    /// Sign out: the portal's logout, the tokens forgotten, the sessions stopped.
    pub(super) fn sign_out(&mut self, id: Uuid) {
        let Some((_, i)) = self.integration(id) else {
            return;
        };
        let engine = self.engine.clone();
        self.spawn(Job::new(
            Target::Integration(id, Activity::Busy),
            async move {
                let result = engine.logout(&id.to_string()).await;
                if result.is_ok() {
                    tracing::info!(integration = %i.alias, "signed out");
                }
                outcome::integration(id, &i.alias, "sign out of", result)
            },
        ));
    }

    /// Remove…: confirmed, naming how many sessions go with it.
    pub(super) fn remove_integration(&mut self, id: Uuid) {
        if let Some((state, i)) = self.integration(id) {
            forms::remove_integration(self.ctx(), &state, i);
        }
    }

    pub(super) fn add_integration(&mut self) {
        if let Some(state) = self.load_state() {
            forms::add_integration(self.ctx(), &state);
        }
    }

    pub(super) fn toggle_start_at_login(&mut self) {
        let want = !self.start_at_login;
        match crate::autostart::set(want) {
            Ok(()) => self.start_at_login = want,
            Err(e) => self.notifier.show(notices::failed(
                None,
                if want {
                    "turn on start at login"
                } else {
                    "turn off start at login"
                },
                &e.to_string(),
            )),
        }
        // Re-read it: the file is the truth.
        if let Ok(on) = crate::autostart::is_enabled() {
            self.start_at_login = on;
        }
        self.refresh();
        // The item's mark may already match the model while GTK flipped it.
        if let Some(f) = &self.front {
            f.reset_check(&ItemId::StartAtLogin);
        }
    }

    /// Starts the sessions the last Quit stopped, one after the other (an MFA dialog at a
    /// time).
    pub(super) fn resume(&mut self) {
        let ctx = self.ctx();
        self.spawn(Job::detached(async move {
            let engine = ctx.engine.clone();
            let ids = match blocking(move || engine.take_resume()).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::error!("cannot read the sessions to resume: {e}");
                    return Outcome::quiet();
                }
            };
            let (opts, count) = (ctx.opts(), ids.len());
            for id in ids {
                let alias = ctx
                    .engine
                    .state()
                    .ok()
                    .and_then(|s| s.session(id).map(|s| s.alias.clone()))
                    .unwrap_or_default();
                tracing::info!(session = %alias, "resuming");
                let mut o = outcome::started(id, &alias, ctx.engine.start(id, &opts).await);
                o.session = Some(id);
                ctx.ui.send(UserEvent::Done(o));
            }
            // None when the setting is off (the engine forgets the list then).
            tracing::info!(count, "resume at launch done");
            Outcome::quiet()
        }));
    }

    /// Quit: no new action starts; once the actions in flight have finished (a start
    /// writing credentials, at most [`QUIT_WAIT`]), every active session stops and is
    /// remembered, and the loop exits.
    pub(super) fn quit(&mut self) {
        if self.quitting {
            return;
        }
        self.quitting = true;
        // A sign-in in a window cannot finish now: cancelled, its start ends at once.
        crate::saml::helper::cancel_all();
        if let Some(stop) = self.agent_stop.take() {
            let _ = stop.send(());
        }
        if self.busy.is_empty() {
            return self.stop_all();
        }
        tracing::info!(
            "quitting once {} action(s) in flight finish",
            self.busy.len()
        );
        let ui = self.ui.clone();
        self.rt.spawn(async move {
            tokio::time::sleep(QUIT_WAIT).await;
            ui.send(UserEvent::QuitNow);
        });
    }

    pub(super) fn stop_all(&mut self) {
        if self.stopping_all {
            return;
        }
        self.stopping_all = true;
        let engine = self.engine.clone();
        let ui = self.ui.clone();
        self.rt.spawn(async move {
            let r = blocking(move || engine.stop_all_and_remember())
                .await
                .map(|ids| ids.len());
            ui.send(UserEvent::QuitDone(r));
        });
    }
}

/// Forgets the remembered sign-in of federated session `s` (the data folder of its SAML
/// URL, on the blocking pool): what went and which other sessions shared it, or why not.
pub async fn forget_signin(engine: Engine, s: Session) -> Result<Notice, Notice> {
    let (id, alias) = (s.id, s.alias.clone());
    let result = tokio::task::spawn_blocking(move || {
        let state = engine.state().map_err(|e| e.to_string())?;
        crate::saml::forget_signin(&state, &s).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    match result {
        Ok(forgotten) => {
            tracing::info!(
                session = %alias,
                folder = %forgotten.folder.display(),
                removed = forgotten.removed,
                shared_with = ?&forgotten.sessions[1..],
                "SAML sign-in forgotten"
            );
            Ok(notices::forgot_signin(id, &forgotten))
        }
        Err(e) => Err(notices::failed(
            Some(id),
            &format!("forget the sign-in of '{alias}'"),
            &e,
        )),
    }
}

/// A sync's progress callback: sends the counts to the UI thread, at most every
/// [`PROGRESS_EVERY`] (the first and the last report always).
fn progress_reporter(ui: Ui, integration: Uuid) -> impl Fn(usize, usize) + Send + Sync {
    let last: Mutex<Option<std::time::Instant>> = Mutex::new(None);
    move |done, total| {
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        let due =
            last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) || (total > 0 && done >= total);
        if due {
            *last = Some(std::time::Instant::now());
            ui.send(UserEvent::SyncProgress {
                integration,
                done,
                total,
            });
        }
    }
}

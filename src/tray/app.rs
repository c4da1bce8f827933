//! The tray applet's UI thread: the `tao` event loop and the dispatch of what reaches it.
//! Nothing here waits on the network: every engine call is a [`Job`] run on the tokio
//! runtime by [`App::spawn`], the one spawn helper, whose [`Outcome`] comes back as a
//! [`UserEvent::Done`] through the event loop's proxy — as do menu clicks, the agent's
//! events, MFA questions, dialog answers and notification actions.
//!
//! The roles around it: [`super::actions`] (one small function per action),
//! [`super::forms`] (the dialogs that ask before an action, checked by the model),
//! [`super::outcome`] (results mapped to what the UI shows, pure), and
//! [`super::interaction`] (the providers' questions answered with dialogs and windows).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tao::event::{Event as TaoEvent, StartCause};
use tao::event_loop::{ControlFlow, EventLoopProxy, EventLoopWindowTarget};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::dialogs;
use super::front::Front;
use super::icons::Icons;
use super::interaction::DialogMfa;
use super::menu::{self, Activity, IconState, ItemId, MenuInputs};
use super::notices::{self, Notices, ENTER_CODE_ACTION, SAML_SIGN_IN_ACTION, SIGN_IN_ACTION};
use super::notifier::Notifier;
pub use super::outcome::Outcome;
use super::render::Update;
use super::sessions::{SessionAction, SessionsWindow};
use crate::engine::events::Event;
use crate::engine::{Engine, StartOptions};
use crate::model::{Session, SessionKind, State};
use crate::providers::SignInStep;

/// Everything that reaches the UI thread.
pub enum UserEvent {
    /// A menu entry was clicked (its muda id).
    Menu(String),
    /// The agent reported something.
    Engine(Event),
    /// A start or refresh needs an MFA code: open the dialog and answer on `reply`.
    AskMfa {
        /// The session.
        session: Session,
        /// Its MFA device.
        serial: String,
        /// Where the code (or `None`: cancelled) goes.
        reply: oneshot::Sender<Option<String>>,
    },
    /// A sign-in to an integration waits for the user in the browser: show it, and send on
    /// `cancel` if the user cancels.
    SignInWaiting {
        /// The integration's alias.
        alias: String,
        /// What it waits for.
        step: SignInStep,
        /// Fires (or is dropped) to cancel the sign-in.
        cancel: oneshot::Sender<()>,
    },
    /// The sign-in to this integration is over (done or cancelled): take down what shows it.
    SignInOver(String),
    /// A sync of this integration has listed `done` of `total` accounts.
    SyncProgress {
        /// The integration.
        integration: Uuid,
        /// Accounts listed.
        done: usize,
        /// Accounts in all (0 while unknown).
        total: usize,
    },
    /// Work to run on tokio (a dialog was answered): see [`App::spawn`].
    Run(Job),
    /// An action has finished.
    Done(Outcome),
    /// A dialog run off the UI thread (macOS, Windows) was answered.
    DialogAnswer(u64, Option<String>),
    /// The user chose an action of a notification about a session.
    NotificationAction(Uuid, String),
    /// Bring up the Sessions window (a second launch of `credtray` asked).
    ShowSessions,
    /// The Sessions window asked for an action on a session.
    Window(SessionAction),
    /// Quit was asked for (the menu's Quit, SIGTERM, Ctrl-C).
    Quit,
    /// Quit waited long enough for actions in flight: stop the sessions now.
    QuitNow,
    /// The sessions were stopped for quitting: exit.
    QuitDone(Result<usize, String>),
}

/// What a [`Job`] keeps busy while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Nothing in particular (a session being added, a profile renamed).
    None,
    /// A session: its check item ignores clicks meanwhile, and Quit waits for it.
    Session(Uuid),
    /// An integration: its menu entry shows the activity and its actions are disabled.
    Integration(Uuid, Activity),
}

/// Work for the tokio runtime, and what it keeps busy.
pub struct Job {
    target: Target,
    work: Pin<Box<dyn Future<Output = Outcome> + Send>>,
}

impl Job {
    /// `work`, keeping `target` busy until it is done.
    pub fn new(target: Target, work: impl Future<Output = Outcome> + Send + 'static) -> Job {
        Job {
            target,
            work: Box::pin(work),
        }
    }

    /// `work` about session `id`.
    pub fn session(id: Uuid, work: impl Future<Output = Outcome> + Send + 'static) -> Job {
        Job::new(Target::Session(id), work)
    }

    /// `work` about nothing in particular.
    pub fn detached(work: impl Future<Output = Outcome> + Send + 'static) -> Job {
        Job::new(Target::None, work)
    }
}

/// Sends events to the UI thread from any thread.
#[derive(Clone)]
pub struct Ui(Arc<Mutex<EventLoopProxy<UserEvent>>>);

impl Ui {
    /// Wraps the event loop's proxy.
    pub fn new(proxy: EventLoopProxy<UserEvent>) -> Ui {
        Ui(Arc::new(Mutex::new(proxy)))
    }

    /// Sends an event; false when the loop has ended.
    pub fn send(&self, event: UserEvent) -> bool {
        match self.0.lock() {
            Ok(p) => p.send_event(event).is_ok(),
            Err(_) => false,
        }
    }

    /// Hands `job` to the UI thread, which spawns it (from a dialog's answer).
    pub fn run(&self, job: Job) {
        self.send(UserEvent::Run(job));
    }
}

/// What a dialog's answer needs to act: the engine, and the way back to the UI thread.
#[derive(Clone)]
pub struct Ctx {
    /// The engine.
    pub engine: Engine,
    /// The UI thread.
    pub ui: Ui,
}

impl Ctx {
    /// Options of a start from the tray: MFA codes and sign-ins asked in dialogs.
    pub fn opts(&self) -> StartOptions {
        StartOptions {
            take_over: false,
            mfa: Arc::new(DialogMfa(self.ui.clone())),
        }
    }
}

/// The UI thread's state.
pub struct App {
    pub(super) engine: Engine,
    pub(super) rt: tokio::runtime::Handle,
    pub(super) ui: Ui,
    /// The icon and the menu, once made.
    pub(super) front: Option<Front>,
    icons: Icons,
    icon: IconState,
    pub(super) attention: BTreeSet<Uuid>,
    pub(super) busy: BTreeSet<Uuid>,
    pub(super) start_at_login: bool,
    notices: Notices,
    pub(super) notifier: Notifier,
    state_error: Option<String>,
    pub(super) quitting: bool,
    pub(super) stopping_all: bool,
    pub(super) agent_stop: Option<oneshot::Sender<()>>,
    /// Sign-ins waiting for the user, by integration alias: their dialogs (which hold the
    /// sender that cancels).
    sign_ins: BTreeMap<String, dialogs::Waiting>,
    /// Integrations with a sign-in, sync, sign-out or removal under way.
    pub(super) activity: BTreeMap<Uuid, Activity>,
    /// The state the menu was last built from (progress relabels the menu without a read).
    last_state: Option<State>,
    /// The Sessions window, made the first time it is asked for (then hidden, not closed).
    pub(super) sessions: Option<SessionsWindow>,
    /// The exit code once quitting is done.
    pub exit_code: i32,
}

impl App {
    /// Prepares the UI state; the tray appears at [`App::init`].
    pub fn new(
        engine: Engine,
        rt: tokio::runtime::Handle,
        ui: Ui,
        agent_stop: oneshot::Sender<()>,
    ) -> App {
        let on_action_ui = ui.clone();
        let notifier = Notifier::start(Arc::new(move |session, action: &str| {
            on_action_ui.send(UserEvent::NotificationAction(session, action.to_string()));
        }));
        App {
            engine,
            rt,
            ui,
            front: None,
            icons: Icons::load(),
            icon: IconState::Idle,
            attention: BTreeSet::new(),
            busy: BTreeSet::new(),
            start_at_login: crate::autostart::is_enabled().unwrap_or(false),
            notices: Notices::new(),
            notifier,
            state_error: None,
            quitting: false,
            stopping_all: false,
            agent_stop: Some(agent_stop),
            sign_ins: BTreeMap::new(),
            activity: BTreeMap::new(),
            last_state: None,
            sessions: None,
            exit_code: 0,
        }
    }

    /// The engine and the way back here, for a dialog's answer.
    pub(super) fn ctx(&self) -> Ctx {
        Ctx {
            engine: self.engine.clone(),
            ui: self.ui.clone(),
        }
    }

    /// The event loop's handler.
    pub fn handle(
        &mut self,
        event: TaoEvent<'_, UserEvent>,
        _target: &EventLoopWindowTarget<UserEvent>,
        flow: &mut ControlFlow,
    ) {
        *flow = ControlFlow::Wait;
        match event {
            TaoEvent::NewEvents(StartCause::Init) => self.init(),
            TaoEvent::UserEvent(e) => self.user_event(e, flow),
            _ => {}
        }
    }

    /// Runs `job` on the runtime and sends its outcome back; its target is busy meanwhile.
    /// Nothing new starts once quitting, nor a second action on a busy integration.
    pub(super) fn spawn(&mut self, job: Job) {
        if self.quitting {
            return;
        }
        let (session, integration) = match job.target {
            Target::None => (None, None),
            Target::Session(id) => {
                self.busy.insert(id);
                (Some(id), None)
            }
            Target::Integration(id, activity) => {
                if self.activity.contains_key(&id) {
                    return;
                }
                self.activity.insert(id, activity);
                self.refresh();
                (None, Some(id))
            }
        };
        let ui = self.ui.clone();
        let work = job.work;
        self.rt.spawn(async move {
            let mut outcome = work.await;
            outcome.session = outcome.session.or(session);
            outcome.integration = outcome.integration.or(integration);
            ui.send(UserEvent::Done(outcome));
        });
    }

    fn init(&mut self) {
        let t = std::time::Instant::now();
        let state = self.load_state();
        let model = self.model(state.as_ref());
        tracing::debug!(took = ?t.elapsed(), entries = model.count_items(), "menu model built");
        self.icon = model.icon;
        let click_ui = self.ui.clone();
        let on_click = Arc::new(move |id: ItemId| {
            click_ui.send(UserEvent::Menu(id.to_string()));
        });
        match Front::open(model, &self.icons, &self.rt, on_click) {
            Ok(f) => self.front = Some(f),
            Err(e) => {
                tracing::error!("{e}");
                return;
            }
        }
        tracing::info!(took = ?t.elapsed(), "tray ready");
        super::memory::release_freed_soon(&self.rt);
        self.resume();
    }

    /// The state file, read now; a failure is notified once (until it changes).
    pub(super) fn load_state(&mut self) -> Option<State> {
        match self.engine.state() {
            Ok(s) => {
                self.state_error = None;
                Some(s)
            }
            Err(e) => {
                let msg = e.to_string();
                if self.state_error.as_deref() != Some(msg.as_str()) {
                    tracing::error!("{msg}");
                    self.notifier
                        .show(notices::failed(None, "read credtray's state", &msg));
                    self.state_error = Some(msg);
                }
                None
            }
        }
    }

    fn model(&self, state: Option<&State>) -> menu::Menu {
        let empty = State::new();
        let mut m = menu::build(&MenuInputs {
            state: state.unwrap_or(&empty),
            now: Utc::now(),
            attention: &self.attention,
            start_at_login: self.start_at_login,
            activity: &self.activity,
            session_actions: menu::SESSION_ACTIONS_IN_MENU,
        });
        if state.is_none() {
            m.icon = IconState::Attention;
        }
        m
    }

    /// Rebuilds the menu from the state file (a local read; no network).
    pub(super) fn refresh(&mut self) {
        if self.front.is_none() {
            return;
        }
        let state = self.load_state();
        if state.is_none() {
            // Keep showing the last good menu; the icon says something is wrong.
            self.set_icon(IconState::Attention);
            return;
        }
        if let Some(s) = &state {
            self.attention.retain(|id| s.session(*id).is_some());
        }
        self.show(state);
    }

    /// Rebuilds the menu from the state last read: what the UI has under way changed (a
    /// sync's progress), not the state.
    fn relabel(&mut self) {
        let state = self.last_state.take();
        if state.is_some() {
            self.show(state);
        }
    }

    /// Shows the menu for `state`, changing only what differs.
    fn show(&mut self, state: Option<State>) {
        let model = self.model(state.as_ref());
        self.last_state = state;
        let icon = model.icon;
        let Some(front) = self.front.as_mut() else {
            return;
        };
        let t = std::time::Instant::now();
        let update = front.show(model);
        tracing::debug!(?update, took = ?t.elapsed(), "menu refreshed");
        match update {
            Ok(Update::Restructured) => super::memory::release_freed_soon(&self.rt),
            Ok(Update::InPlace | Update::Unchanged) => {}
            Err(e) => tracing::error!("cannot update the tray menu: {e}"),
        }
        self.set_icon(icon);
        self.update_sessions_window();
    }

    /// Shows the state last read in the Sessions window, when it is on screen (a hidden
    /// one is brought up to date when it is shown again).
    pub(super) fn update_sessions_window(&self) {
        if let (Some(w), Some(state)) = (&self.sessions, &self.last_state) {
            if w.is_visible() {
                w.update(state, &self.attention);
            }
        }
    }

    /// The Sessions window, made now if it was not yet.
    pub(super) fn sessions_window(&mut self) -> &SessionsWindow {
        let ui = self.ui.clone();
        self.sessions.get_or_insert_with(|| {
            tracing::debug!("Sessions window made");
            let w = SessionsWindow::new(Box::new(move |action| {
                ui.send(UserEvent::Window(action));
            }));
            #[cfg(target_os = "linux")]
            w.connect_filtered(Box::new(|shown| {
                tracing::debug!(shown, "Sessions window filtered");
            }));
            w
        })
    }

    fn set_icon(&mut self, icon: IconState) {
        if icon == self.icon {
            return;
        }
        self.icon = icon;
        if let Some(f) = self.front.as_mut() {
            f.set_icon(icon, &self.icons);
        }
    }

    fn user_event(&mut self, event: UserEvent, flow: &mut ControlFlow) {
        match event {
            UserEvent::Menu(key) => {
                if let Some(id) = ItemId::parse(&key) {
                    self.clicked(id);
                }
            }
            UserEvent::Engine(e) => self.engine_event(e),
            UserEvent::AskMfa {
                session,
                serial,
                reply,
            } => {
                if self.quitting {
                    let _ = reply.send(None);
                    return;
                }
                dialogs::mfa_code(
                    dialogs::MfaRequest {
                        session: session.alias.clone(),
                        serial,
                    },
                    Box::new(move |code| {
                        let _ = reply.send(code);
                    }),
                );
            }
            UserEvent::Run(job) => self.spawn(job),
            UserEvent::ShowSessions => self.show_sessions(),
            UserEvent::Window(action) => self.session_action(action),
            UserEvent::Done(o) => self.done(o),
            UserEvent::NotificationAction(id, action) => {
                if action == SIGN_IN_ACTION {
                    self.sign_in(id);
                } else if action == ENTER_CODE_ACTION
                    || action == SAML_SIGN_IN_ACTION
                    || action == "default"
                {
                    self.renew(id);
                }
            }
            UserEvent::SignInWaiting {
                alias,
                step,
                cancel,
            } => self.signing_in(alias, step, cancel),
            UserEvent::SignInOver(alias) => {
                if let Some(w) = self.sign_ins.remove(&alias) {
                    w.close();
                    tracing::info!(integration = %alias, "sign-in dialog closed");
                }
            }
            UserEvent::SyncProgress {
                integration,
                done,
                total,
            } => {
                // Only while the sync is under way: a late report must not bring it back.
                if let Some(a) = self.activity.get_mut(&integration) {
                    *a = Activity::Syncing { done, total };
                    self.relabel();
                }
            }
            UserEvent::DialogAnswer(id, answer) => dialogs::deliver(id, answer),
            UserEvent::Quit => self.quit(),
            UserEvent::QuitNow => self.stop_all(),
            UserEvent::QuitDone(result) => {
                match result {
                    Ok(n) => tracing::info!(
                        "stopped {n} active session(s); they resume at the next launch"
                    ),
                    Err(e) => {
                        eprintln!("credtray: could not stop every session before quitting: {e}");
                        self.exit_code = 1;
                    }
                }
                if let Some(f) = self.front.as_mut() {
                    f.close();
                }
                *flow = ControlFlow::Exit;
            }
        }
    }

    /// The agent reported something: marks, a notification, the menu.
    fn engine_event(&mut self, e: Event) {
        match &e {
            Event::NeedsUser { session, .. } | Event::RefreshFailed { session, .. } => {
                self.attention.insert(*session);
            }
            Event::Refreshed { session, .. } | Event::Stopped { session, .. } => {
                self.attention.remove(session);
            }
            Event::StateSeen | Event::AgentFailed { .. } | Event::SignInNeeded { .. } => {}
        }
        if let Event::AgentFailed { reason, .. } = &e {
            tracing::error!("the rotation loop stopped: {reason}; restarting it");
        }
        let notice = match &e {
            Event::NeedsUser {
                session,
                alias,
                expiration,
                mfa: false,
                ..
            } if self.is_federated(*session) => {
                self.notices
                    .saml_sign_in_needed(*session, alias, *expiration, Utc::now())
            }
            _ => self.notices.for_event(&e, Utc::now()),
        };
        if let Some(n) = notice {
            self.notifier.show(n);
        } else if let Event::NeedsUser { session, .. }
        | Event::RefreshFailed { session, .. }
        | Event::Stopped { session, .. } = &e
        {
            tracing::debug!(%session, "notification suppressed (already shown)");
        }
        self.refresh();
        if let Event::StateSeen = e {
            // The agent sends this after each pass: every event of the pass (and its
            // notification) has been handled above by now.
            tracing::debug!("agent pass handled");
        }
    }

    /// A job has finished: its target is free again, its notice shown, the menu re-read.
    fn done(&mut self, o: Outcome) {
        if let Some(id) = o.integration {
            self.activity.remove(&id);
        }
        if let Some(id) = o.session {
            self.busy.remove(&id);
            if o.resolved {
                self.attention.remove(&id);
                self.notices.forget(id);
            }
            if o.needs_user {
                self.attention.insert(id);
            }
        }
        let notified = o.notice.is_some();
        if let Some(n) = o.notice {
            self.notifier.show(n);
        }
        if let Some(id) = o.session {
            tracing::debug!(session = %id, notified, "action done");
        }
        if self.quitting && self.busy.is_empty() {
            self.stop_all();
        }
        self.refresh();
    }

    /// Whether session `id` is federated (signs in through its IdP's page).
    fn is_federated(&mut self, id: Uuid) -> bool {
        let known = self
            .last_state
            .as_ref()
            .and_then(|s| s.session(id))
            .cloned();
        let s = match known {
            Some(s) => Some(s),
            None => self.load_state().and_then(|s| s.session(id).cloned()),
        };
        s.is_some_and(|s| matches!(s.kind, SessionKind::IamRoleFederated(_)))
    }

    /// The Sessions window asked for `action`.
    fn session_action(&mut self, action: SessionAction) {
        if self.quitting {
            return;
        }
        tracing::debug!(action = action.name(), session = %action.session(), "Sessions window action");
        match action {
            SessionAction::Toggle(id) => {
                if !self.busy.contains(&id) {
                    self.toggle(id);
                }
            }
            SessionAction::Edit(id) => self.edit(id),
            SessionAction::ChangeProfile(id) => self.change(id, super::forms::Field::Profile),
            SessionAction::ChangeRegion(id) => self.change(id, super::forms::Field::Region),
            SessionAction::CreateChained(id) => self.add_chained_role(Some(id)),
            SessionAction::Test(id) => self.test(id),
            SessionAction::Remove(id) => self.remove(id),
        }
    }

    /// A menu entry was clicked.
    fn clicked(&mut self, id: ItemId) {
        if self.quitting {
            return;
        }
        if let ItemId::ToggleSession(s) = id {
            // GTK flips the mark on click; the state decides it.
            if let Some(f) = &self.front {
                f.reset_check(&id);
            }
            if self.busy.contains(&s) {
                return;
            }
        }
        match id {
            ItemId::ToggleSession(s) => self.toggle(s),
            ItemId::Renew(s) => self.renew(s),
            ItemId::Edit(s) => self.session_action(SessionAction::Edit(s)),
            ItemId::ChangeProfile(s) => self.session_action(SessionAction::ChangeProfile(s)),
            ItemId::ChangeRegion(s) => self.session_action(SessionAction::ChangeRegion(s)),
            ItemId::CreateChained(s) => self.session_action(SessionAction::CreateChained(s)),
            ItemId::TestSession(s) => self.session_action(SessionAction::Test(s)),
            ItemId::RemoveSession(s) => self.session_action(SessionAction::Remove(s)),
            ItemId::Sessions => self.show_sessions(),
            ItemId::AddIamUser => self.add_iam_user(),
            ItemId::AddChainedRole => self.add_chained_role(None),
            ItemId::AddFederatedRole => self.add_federated_role(),
            ItemId::NamedProfiles => self.named_profiles(),
            ItemId::StartAtLogin => self.toggle_start_at_login(),
            ItemId::Quit => self.quit(),
            ItemId::SignIn(i) => self.sign_in(i),
            ItemId::SignOut(i) => self.sign_out(i),
            ItemId::SyncIntegration(i) => self.sync(i),
            ItemId::RemoveIntegration(i) => self.remove_integration(i),
            ItemId::AddIntegration => self.add_integration(),
            ItemId::NoSessions(_) | ItemId::IntegrationsHeading => {}
        }
    }

    /// A sign-in waits for the user: the small window with the URL (and the code) and
    /// Cancel, which cancels the sign-in; it closes by itself when the sign-in is over.
    fn signing_in(&mut self, alias: String, step: SignInStep, cancel: oneshot::Sender<()>) {
        if self.quitting {
            let _ = cancel.send(());
            return;
        }
        if let Some(old) = self.sign_ins.remove(&alias) {
            old.close();
        }
        let (url, code) = match step {
            SignInStep::Browser { url } => (url, None),
            SignInStep::DeviceCode { url, code } => (url, Some(code)),
        };
        let who = alias.clone();
        let waiting = dialogs::sign_in_wait(
            dialogs::SignInWaitRequest {
                alias: alias.clone(),
                url,
                code,
            },
            Box::new(move || {
                tracing::info!(integration = %who, "sign-in cancel asked from the dialog");
                let _ = cancel.send(());
            }),
        );
        tracing::info!(integration = %alias, "sign-in dialog shown");
        self.sign_ins.insert(alias, waiting);
    }
}

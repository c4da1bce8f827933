//! The tray applet's UI thread: the `tao` event loop, the tray icon, the menu, dialogs and
//! notifications. Nothing here waits on the network: every engine call runs on the tokio
//! runtime and comes back as a [`UserEvent`] through the event loop's proxy, as do menu
//! clicks, the agent's events, MFA questions and notification actions.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tao::event::{Event as TaoEvent, StartCause, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopProxy, EventLoopWindowTarget};
use tokio::sync::oneshot;
use tray_icon::{TrayIcon, TrayIconBuilder};
use uuid::Uuid;

use super::dialogs::{self, ProfileChoice};
use super::icons::Icons;
use super::menu::{self, Activity, IconState, ItemId, MenuInputs};
use super::notices::{
    self, Notice, Notices, ENTER_CODE_ACTION, SAML_SIGN_IN_ACTION, SIGN_IN_ACTION,
};
use super::notifier::Notifier;
use super::render::Rendered;
use crate::engine::events::Event;
use crate::engine::sessions::{AccessKeys, Edited};
use crate::engine::{Engine, EngineError, StartOptions};
use crate::model::fields::validate_access_keys;
use crate::model::session::{
    DEFAULT_REGION, DEFAULT_ROLE_DURATION, DEFAULT_ROLE_SESSION_NAME, DEFAULT_USER_DURATION,
};
use crate::model::{
    validate_profile_name, validate_region, ChainedRole, FederatedRole, IamUser, Integration,
    Session, SessionKind, SessionPatch, State, DEFAULT_PROFILE, REGIONS,
};
use crate::providers::{Interaction, NoInteraction, ProviderError, SignInStep};
use crate::saml::window::{SamlEvent, SignInFailure, SignInRequest, SignInWindows};
use crate::saml::Assertion;

/// How long rotation waits for a hidden sign-in window to complete by itself before it
/// asks the user.
pub const SILENT_SIGN_IN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
use crate::sso::Flow;

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
    /// The user confirmed the removal of this integration.
    RemoveIntegration(Uuid),
    /// A sync of this integration has listed `done` of `total` accounts.
    SyncProgress {
        /// The integration.
        integration: Uuid,
        /// Accounts listed.
        done: usize,
        /// Accounts in all (0 while unknown).
        total: usize,
    },
    /// An action started from the menu has finished.
    Done(Outcome),
    /// A dialog run off the UI thread (macOS, Windows) was answered.
    DialogAnswer(u64, Option<String>),
    /// A federated session's sign-in: open its window (never shown, with this timeout, when
    /// `hidden` is set) and answer on the request's channel.
    SamlSignIn {
        /// The window to open.
        req: SignInRequest,
        /// Hidden, for at most this long (rotation's silent try); `None`: shown to the user.
        hidden: Option<std::time::Duration>,
    },
    /// A sign-in window reported something.
    Saml(SamlEvent),
    /// The user chose an action of a notification about a session.
    NotificationAction(Uuid, String),
    /// Quit was asked for (the menu's Quit, SIGTERM, Ctrl-C).
    Quit,
    /// Quit waited long enough for actions in flight: stop the sessions now.
    QuitNow,
    /// The sessions were stopped for quitting: exit.
    QuitDone(Result<usize, String>),
}

impl From<SamlEvent> for UserEvent {
    fn from(e: SamlEvent) -> Self {
        UserEvent::Saml(e)
    }
}

/// The result of a background action, as the UI needs it.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The session it was about; no longer busy.
    pub session: Option<Uuid>,
    /// The integration it was about; its sign-in, sync or removal is over.
    pub integration: Option<Uuid>,
    /// Whether the session no longer needs the user.
    pub resolved: bool,
    /// Whether the session now needs the user.
    pub needs_user: bool,
    /// What to tell the user.
    pub notice: Option<Notice>,
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

    /// A proxy of the event loop of its own (the sign-in windows' web views hold one).
    fn proxy(&self) -> Option<EventLoopProxy<UserEvent>> {
        self.0.lock().ok().map(|p| p.clone())
    }
}

/// Opens the sign-in window of `session` through the UI thread (hidden, for at most that
/// long, when `hidden` is set) and waits for the assertion, holding no thread.
async fn window_sign_in(
    ui: &Ui,
    session: &Session,
    role: &FederatedRole,
    hidden: Option<std::time::Duration>,
) -> Result<Assertion, ProviderError> {
    let alias = session.alias.clone();
    let dir = crate::saml::data_dir(&role.saml_url).map_err(|e| ProviderError::SamlWindow {
        session: alias.clone(),
        message: format!("cannot create the sign-in data folder: {e}"),
    })?;
    let (reply, answer) = oneshot::channel();
    let req = SignInRequest {
        alias: alias.clone(),
        url: role.saml_url.clone(),
        data_dir: dir,
        reply,
    };
    if !ui.send(UserEvent::SamlSignIn { req, hidden }) {
        return Err(ProviderError::SamlCancelled { session: alias });
    }
    match answer.await {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(SignInFailure::Window(message))) => Err(ProviderError::SamlWindow {
            session: alias,
            message,
        }),
        Ok(Err(SignInFailure::Closed)) | Err(_) => {
            Err(ProviderError::SamlCancelled { session: alias })
        }
    }
}

/// The interaction of the tray's rotation: nobody is asked (like the headless agent's
/// [`NoInteraction`]), but a federated session first tries its sign-in in a window that is
/// never shown, which completes by itself while the IdP remembers the user; otherwise the
/// session needs the user ([`ProviderError::SamlSignInNeeded`]), who is notified.
pub struct SilentRotation {
    ui: Ui,
    timeout: std::time::Duration,
    none: NoInteraction,
}

impl SilentRotation {
    /// Hidden sign-ins through `ui`, each for at most `timeout`.
    pub fn new(ui: Ui, timeout: std::time::Duration) -> SilentRotation {
        SilentRotation {
            ui,
            timeout,
            none: NoInteraction {
                hint: "choose Renew now… in the tray menu".into(),
            },
        }
    }
}

#[async_trait::async_trait]
impl Interaction for SilentRotation {
    async fn mfa_code(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
        self.none.mfa_code(session, serial).await
    }

    async fn signing_in(&self, alias: &str, step: &SignInStep) -> ProviderError {
        self.none.signing_in(alias, step).await
    }

    async fn saml_sign_in(
        &self,
        session: &Session,
        role: &FederatedRole,
    ) -> Result<Assertion, ProviderError> {
        tracing::info!(session = %session.alias, timeout_secs = self.timeout.as_secs(), "signing in again in a hidden window");
        match window_sign_in(&self.ui, session, role, Some(self.timeout)).await {
            Ok(a) => {
                tracing::info!(session = %session.alias, "the hidden sign-in completed by itself");
                Ok(a)
            }
            Err(e) => {
                tracing::info!(session = %session.alias, "the hidden sign-in did not complete ({e}); the user is asked");
                Err(ProviderError::SamlSignInNeeded {
                    session: session.alias.clone(),
                })
            }
        }
    }

    fn can_ask(&self) -> bool {
        false
    }
}

/// The tray's MFA prompt: asks the UI thread to open the dialog and waits, without
/// holding a thread, for the answer.
pub struct DialogMfa(pub Ui);

#[async_trait::async_trait]
impl Interaction for DialogMfa {
    async fn mfa_code(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
        let (reply, answer) = oneshot::channel();
        let cancelled = || ProviderError::MfaCancelled {
            session: session.alias.clone(),
        };
        if !self.0.send(UserEvent::AskMfa {
            session: session.clone(),
            serial: serial.to_string(),
            reply,
        }) {
            return Err(cancelled());
        }
        match answer.await {
            Ok(Some(code)) => Ok(code),
            _ => Err(cancelled()),
        }
    }

    async fn signing_in(&self, alias: &str, step: &SignInStep) -> ProviderError {
        /// Tells the UI the sign-in is over when the wait ends, however it ends.
        struct Over(Ui, String);
        impl Drop for Over {
            fn drop(&mut self) {
                self.0.send(UserEvent::SignInOver(self.1.clone()));
            }
        }
        let (cancel, cancelled) = oneshot::channel();
        let _over = Over(self.0.clone(), alias.to_string());
        if self.0.send(UserEvent::SignInWaiting {
            alias: alias.to_string(),
            step: step.clone(),
            cancel,
        }) {
            let _ = cancelled.await;
        }
        ProviderError::Cancelled {
            integration: alias.to_string(),
        }
    }

    async fn saml_sign_in(
        &self,
        session: &Session,
        role: &FederatedRole,
    ) -> Result<Assertion, ProviderError> {
        window_sign_in(&self.0, session, role, None).await
    }
}

/// Whether `e` is the user cancelling (a dialog or a sign-in window): nothing to say.
fn cancelled(e: &EngineError) -> bool {
    matches!(
        e,
        EngineError::Provider(
            ProviderError::MfaCancelled { .. } | ProviderError::SamlCancelled { .. }
        )
    )
}

/// The session field a choice dialog changes.
#[derive(Debug, Clone, Copy)]
enum Field {
    Profile,
    Region,
}

/// The UI thread's state.
pub struct App {
    engine: Engine,
    rt: tokio::runtime::Handle,
    ui: Ui,
    tray: Option<TrayIcon>,
    rendered: Option<Rendered>,
    icons: Icons,
    icon: IconState,
    attention: BTreeSet<Uuid>,
    busy: BTreeSet<Uuid>,
    start_at_login: bool,
    notices: Notices,
    notifier: Notifier,
    state_error: Option<String>,
    quitting: bool,
    stopping_all: bool,
    agent_stop: Option<oneshot::Sender<()>>,
    /// The federated sessions' sign-in windows, shown or hidden.
    saml: SignInWindows,
    /// Sign-ins waiting for the user, by integration alias: their dialogs (which hold the
    /// sender that cancels).
    sign_ins: BTreeMap<String, dialogs::Waiting>,
    /// Integrations with a sign-in, sync, sign-out or removal under way.
    activity: BTreeMap<Uuid, Activity>,
    /// The state the menu was last built from (progress relabels the menu without a read).
    last_state: Option<State>,
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
            tray: None,
            rendered: None,
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
            saml: SignInWindows::default(),
            sign_ins: BTreeMap::new(),
            activity: BTreeMap::new(),
            last_state: None,
            exit_code: 0,
        }
    }

    /// The event loop's handler.
    pub fn handle(
        &mut self,
        event: TaoEvent<'_, UserEvent>,
        target: &EventLoopWindowTarget<UserEvent>,
        flow: &mut ControlFlow,
    ) {
        *flow = ControlFlow::Wait;
        match event {
            TaoEvent::NewEvents(StartCause::Init) => self.init(),
            TaoEvent::UserEvent(UserEvent::SamlSignIn { req, hidden }) => {
                self.open_sign_in(target, req, hidden)
            }
            TaoEvent::UserEvent(e) => self.user_event(e, flow),
            TaoEvent::WindowEvent {
                window_id,
                event: WindowEvent::CloseRequested,
                ..
            } if self.saml.owns(window_id) => {
                tracing::info!("sign-in window closed by the user");
                self.saml.close_requested(window_id);
            }
            _ => {}
        }
    }

    /// Opens a sign-in window (on this, the event loop's, thread).
    fn open_sign_in(
        &mut self,
        target: &EventLoopWindowTarget<UserEvent>,
        req: SignInRequest,
        hidden: Option<std::time::Duration>,
    ) {
        let Some(proxy) = self.ui.proxy().filter(|_| !self.quitting) else {
            let _ = req.reply.send(Err(SignInFailure::Closed));
            return;
        };
        let alias = req.alias.clone();
        match hidden {
            Some(timeout) => {
                tracing::info!(session = %alias, "sign-in window opened hidden");
                self.saml.open_hidden(target, proxy, req, timeout);
            }
            None => {
                tracing::info!(session = %alias, "sign-in window opened");
                self.saml.open(target, proxy, req);
            }
        }
    }

    fn init(&mut self) {
        let state = self.load_state();
        let model = self.model(state.as_ref());
        self.icon = model.icon;
        let rendered = match Rendered::new(model) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("cannot build the tray menu: {e}");
                return;
            }
        };
        let tray = TrayIconBuilder::new()
            .with_id("credtray")
            .with_menu(Box::new(rendered.root.clone()))
            .with_icon(self.icons.get(self.icon))
            .with_tooltip(&rendered.model().tooltip)
            .with_title("credtray")
            .build();
        match tray {
            Ok(t) => self.tray = Some(t),
            Err(e) => tracing::error!("cannot show the tray icon: {e}"),
        }
        self.rendered = Some(rendered);
        tracing::info!("tray ready");
        self.resume();
    }

    fn load_state(&mut self) -> Option<State> {
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
        });
        if state.is_none() {
            m.icon = IconState::Attention;
        }
        m
    }

    /// Rebuilds the menu from the state file (a local read; no network).
    fn refresh(&mut self) {
        if self.rendered.is_none() {
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
        let tooltip = model.tooltip.clone();
        let Some(rendered) = self.rendered.as_mut() else {
            return;
        };
        let t = std::time::Instant::now();
        let update = rendered.update(model);
        tracing::debug!(?update, took = ?t.elapsed(), "menu refreshed");
        if let Err(e) = update {
            tracing::error!("cannot update the tray menu: {e}");
        }
        if let Some(t) = &self.tray {
            let _ = t.set_tooltip(Some(tooltip));
        }
        self.set_icon(icon);
    }

    fn set_icon(&mut self, icon: IconState) {
        if icon == self.icon {
            return;
        }
        self.icon = icon;
        if let Some(t) = &self.tray {
            if let Err(e) = t.set_icon(Some(self.icons.get(icon))) {
                tracing::warn!("cannot change the tray icon: {e}");
            }
        }
    }

    fn user_event(&mut self, event: UserEvent, flow: &mut ControlFlow) {
        match event {
            UserEvent::Menu(key) => {
                if let Some(id) = ItemId::parse(&key) {
                    self.clicked(id);
                }
            }
            UserEvent::RemoveIntegration(id) => self.removing_integration(id),
            UserEvent::Engine(e) => {
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
                    // The agent sends this after each pass: every event of the pass (and
                    // its notification) has been handled above by now.
                    tracing::debug!("agent pass handled");
                }
            }
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
            UserEvent::Done(o) => {
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
            UserEvent::Saml(e) => self.saml.handle(e),
            UserEvent::SamlSignIn { req, .. } => {
                // Handled in `handle`, which has the event loop's target.
                let _ = req.reply.send(Err(SignInFailure::Closed));
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
                self.tray = None;
                *flow = ControlFlow::Exit;
            }
        }
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

    /// Runs `work` on the runtime and sends its outcome back.
    fn spawn<F>(&mut self, session: Option<Uuid>, work: F)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        if let Some(id) = session {
            self.busy.insert(id);
        }
        let ui = self.ui.clone();
        self.rt.spawn(async move {
            let mut outcome = work.await;
            outcome.session = outcome.session.or(session);
            ui.send(UserEvent::Done(outcome));
        });
    }

    fn opts(&self) -> StartOptions {
        StartOptions {
            take_over: false,
            mfa: Arc::new(DialogMfa(self.ui.clone())),
        }
    }

    fn session(&mut self, id: Uuid) -> Option<(State, Session)> {
        let state = self.load_state()?;
        let s = state.session(id)?.clone();
        Some((state, s))
    }

    fn clicked(&mut self, id: ItemId) {
        if self.quitting {
            return;
        }
        if let ItemId::ToggleSession(s) = id {
            // GTK flips the mark on click; the state decides it.
            if let Some(r) = &self.rendered {
                r.reset_check(&id);
            }
            if self.busy.contains(&s) {
                return;
            }
        }
        match id {
            ItemId::ToggleSession(s) => self.toggle(s),
            ItemId::Renew(s) => self.renew(s),
            ItemId::ChangeProfile(s) => self.change(s, Field::Profile),
            ItemId::ChangeRegion(s) => self.change(s, Field::Region),
            ItemId::TestSession(s) => self.test(s),
            ItemId::RemoveSession(s) => self.remove(s),
            ItemId::AddIamUser => self.add_iam_user(),
            ItemId::AddChainedRole => self.add_chained_role(),
            ItemId::AddFederatedRole => self.add_federated_role(),
            ItemId::ForgetSignIn(s) => self.forget_signin(s),
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

    fn toggle(&mut self, id: Uuid) {
        let Some((state, s)) = self.session(id) else {
            return;
        };
        if state.active.contains_key(&id) {
            let engine = self.engine.clone();
            let what = format!("stop '{}'", s.alias);
            self.spawn(Some(id), async move {
                local_outcome(id, what, move || engine.stop(id)).await
            });
        } else {
            self.start(id, s.alias);
        }
    }

    fn start(&mut self, id: Uuid, alias: String) {
        let engine = self.engine.clone();
        let opts = self.opts();
        self.spawn(Some(id), async move {
            start_outcome(&engine, id, &alias, &opts).await
        });
    }

    fn renew(&mut self, id: Uuid) {
        let Some((state, s)) = self.session(id) else {
            return;
        };
        if self.busy.contains(&id) {
            return;
        }
        if !state.active.contains_key(&id) {
            return self.start(id, s.alias);
        }
        let engine = self.engine.clone();
        let mfa = self.opts().mfa;
        self.spawn(Some(id), async move {
            match engine.refresh(id, mfa).await {
                Ok(_) => Outcome {
                    resolved: true,
                    ..Outcome::default()
                },
                Err(e) if cancelled(&e) => Outcome::default(),
                Err(e) => Outcome {
                    needs_user: true,
                    notice: Some(notices::failed(
                        Some(id),
                        &format!("renew '{}'", s.alias),
                        &e.to_string(),
                    )),
                    ..Outcome::default()
                },
            }
        });
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

    /// Runs `work` for integration `id`, showing `activity` in its menu entry meanwhile.
    fn spawn_for_integration<F>(&mut self, id: Uuid, activity: Activity, work: F)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        self.activity.insert(id, activity);
        self.refresh();
        let ui = self.ui.clone();
        self.rt.spawn(async move {
            let mut outcome = work.await;
            outcome.integration = Some(id);
            ui.send(UserEvent::Done(outcome));
        });
    }

    /// Sign in…: signs in to integration `id` in the browser (the waiting dialog shows the
    /// URL and can cancel), then syncs it, the menu entry showing the progress.
    fn sign_in(&mut self, id: Uuid) {
        let Some((_, i)) = self.integration(id) else {
            return;
        };
        let engine = self.engine.clone();
        let ui = self.opts().mfa;
        let progress = progress_reporter(self.ui.clone(), id);
        self.spawn_for_integration(id, Activity::SigningIn, async move {
            let result = engine
                .login(&id.to_string(), ui, Flow::Pkce, &progress)
                .await;
            integration_outcome(id, &i.alias, "sign in to", result)
        });
    }

    /// Sync now: lists the integration's accounts and roles again (signing in first if its
    /// token cannot be renewed), the menu entry showing the progress.
    fn sync(&mut self, id: Uuid) {
        let Some((_, i)) = self.integration(id) else {
            return;
        };
        let engine = self.engine.clone();
        let ui = self.opts().mfa;
        let progress = progress_reporter(self.ui.clone(), id);
        let start = Activity::Syncing { done: 0, total: 0 };
        self.spawn_for_integration(id, start, async move {
            let result = engine.sync(&id.to_string(), ui, &progress).await;
            integration_outcome(id, &i.alias, "sync", result)
        });
    }

    /// Sign out: the portal's logout, the tokens forgotten, the sessions stopped.
    fn sign_out(&mut self, id: Uuid) {
        let Some((_, i)) = self.integration(id) else {
            return;
        };
        let engine = self.engine.clone();
        self.spawn_for_integration(id, Activity::Busy, async move {
            let result = engine.logout(&id.to_string()).await;
            if result.is_ok() {
                tracing::info!(integration = %i.alias, "signed out");
            }
            integration_outcome(id, &i.alias, "sign out of", result)
        });
    }

    /// Remove…: confirmed, naming how many sessions go with it.
    fn remove_integration(&mut self, id: Uuid) {
        let Some((state, i)) = self.integration(id) else {
            return;
        };
        let sessions: Vec<Uuid> = state.sessions_of(id).map(|s| s.id).collect();
        let chained: BTreeSet<Uuid> = sessions
            .iter()
            .flat_map(|s| state.descendants(*s))
            .filter(|c| !sessions.contains(c))
            .collect();
        let message = remove_integration_message(&i.alias, sessions.len(), chained.len());
        let ui = self.ui.clone();
        dialogs::confirm(
            dialogs::ConfirmRequest {
                title: format!("credtray: remove integration '{}'", i.alias),
                message,
                ok_label: "Remove".into(),
                destructive: true,
            },
            Box::new(move |yes| {
                if yes {
                    ui.send(UserEvent::RemoveIntegration(id));
                }
            }),
        );
    }

    /// Removes integration `id` (confirmed).
    fn removing_integration(&mut self, id: Uuid) {
        let Some((_, i)) = self.integration(id) else {
            return;
        };
        let engine = self.engine.clone();
        self.spawn_for_integration(id, Activity::Busy, async move {
            let result = engine.remove_integration(&id.to_string()).await;
            if let Ok(removed) = &result {
                tracing::info!(integration = %i.alias, sessions = removed.len(), "integration removed");
            }
            integration_outcome(id, &i.alias, "remove", result)
        });
    }

    /// Add integration…: the form checks with the model's own rules as the user types; the
    /// engine checks again under the lock (a refusal then is notified).
    fn add_integration(&mut self) {
        let Some(state) = self.load_state() else {
            return;
        };
        let taken = state.integrations.clone();
        let engine = self.engine.clone();
        let ui = self.ui.clone();
        let rt = self.rt.clone();
        dialogs::add_integration(
            dialogs::IntegrationRequest {
                regions: REGIONS.iter().map(|r| r.to_string()).collect(),
                region: DEFAULT_REGION.into(),
                validate: Box::new(move |f| check_integration(&taken, f)),
            },
            Box::new(move |form| {
                let Some(f) = form else {
                    return;
                };
                spawn_outcome(&rt, &ui, None, async move {
                    let what = format!("add integration '{}'", f.alias);
                    let r = tokio::task::spawn_blocking(move || {
                        engine.add_integration(&f.alias, &f.start_url, &f.region)
                    })
                    .await
                    .unwrap_or_else(|e| Err(EngineError::Other(e.to_string())));
                    if let Ok(i) = &r {
                        tracing::info!(integration = %i.alias, "integration added");
                    }
                    simple_outcome(&what, r)
                });
            }),
        );
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

    /// Change profile… and Change region…: a choice dialog, then the edited session (an
    /// active one restarts under its new profile or region; a new profile is created).
    fn change(&mut self, id: Uuid, field: Field) {
        let Some((state, s)) = self.session(id) else {
            return;
        };
        let alias = s.alias.clone();
        let (title, prompt, choices, current, ok_label, validate, what): (
            String,
            String,
            Vec<String>,
            String,
            &str,
            dialogs::Validate,
            &'static str,
        ) = match field {
            Field::Profile => (
                format!("credtray: profile of '{alias}'"),
                format!("Choose the named profile that session '{alias}' writes its credentials under, or type a new one."),
                state.profiles.clone(),
                s.profile.clone(),
                "Move",
                Box::new(|p: &str| validate_profile_name(p.trim())),
                "move",
            ),
            Field::Region => (
                format!("credtray: region of '{alias}'"),
                format!("Choose the region session '{alias}' writes into the config file and calls STS in."),
                REGIONS.iter().map(|r| r.to_string()).collect(),
                s.region.clone(),
                "Change",
                Box::new(|r: &str| validate_region(r.trim())),
                "change the region of",
            ),
        };
        let engine = self.engine.clone();
        let opts = self.opts();
        let ui = self.ui.clone();
        let rt = self.rt.clone();
        dialogs::choice(
            dialogs::ChoiceRequest {
                title,
                prompt,
                choices,
                current,
                allow_other: true,
                ok_label: ok_label.into(),
                validate,
            },
            Box::new(move |answer| {
                let Some(value) = answer.map(|v| v.trim().to_string()) else {
                    return;
                };
                let patch = match field {
                    Field::Profile if value != s.profile => SessionPatch {
                        profile: Some(value),
                        ..SessionPatch::default()
                    },
                    Field::Region if value != s.region => SessionPatch {
                        region: Some(value),
                        ..SessionPatch::default()
                    },
                    _ => return,
                };
                spawn_outcome(&rt, &ui, Some(id), async move {
                    let result = engine.edit_session(id, &patch, None, &opts).await;
                    edit_outcome(id, &alias, what, result)
                });
            }),
        );
    }

    fn test(&mut self, id: Uuid) {
        let Some((_, s)) = self.session(id) else {
            return;
        };
        let engine = self.engine.clone();
        let mfa = self.opts().mfa;
        self.spawn(Some(id), async move {
            let result = engine.test(id, mfa).await;
            match result {
                Err(e) if cancelled(&e) => Outcome::default(),
                r => Outcome {
                    notice: Some(notices::tested(
                        id,
                        &s.alias,
                        &r.map(|t| t.arn).map_err(|e| e.to_string()),
                    )),
                    ..Outcome::default()
                },
            }
        });
    }

    fn remove(&mut self, id: Uuid) {
        let Some((state, s)) = self.session(id) else {
            return;
        };
        let children: Vec<String> = state
            .descendants(id)
            .iter()
            .filter_map(|c| state.session(*c).map(|c| format!("'{}'", c.alias)))
            .collect();
        let mut message = format!(
            "Remove session '{}'? Its keys and cached tokens are deleted from the keychain{}.",
            s.alias,
            if state.active.contains_key(&id) {
                ", and its credentials are removed from the credentials file"
            } else {
                ""
            }
        );
        if !children.is_empty() {
            message.push_str(&format!(
                " The chained roles that use it are removed too: {}.",
                children.join(", ")
            ));
        }
        let engine = self.engine.clone();
        let ui = self.ui.clone();
        let rt = self.rt.clone();
        dialogs::confirm(
            dialogs::ConfirmRequest {
                title: format!("credtray: remove '{}'", s.alias),
                message,
                ok_label: "Remove".into(),
                destructive: true,
            },
            Box::new(move |yes| {
                if !yes {
                    return;
                }
                let what = format!("remove '{}'", s.alias);
                spawn_outcome(&rt, &ui, Some(id), async move {
                    local_outcome(id, what, move || engine.remove_session(id, true)).await
                });
            }),
        );
    }

    fn add_iam_user(&mut self) {
        let Some(state) = self.load_state() else {
            return;
        };
        let snapshot = state.clone();
        let engine = self.engine.clone();
        let ui = self.ui.clone();
        let rt = self.rt.clone();
        dialogs::add_iam_user(
            dialogs::IamUserRequest {
                profiles: state.profiles.clone(),
                regions: REGIONS.iter().map(|r| r.to_string()).collect(),
                profile: DEFAULT_PROFILE.into(),
                region: DEFAULT_REGION.into(),
                duration_secs: DEFAULT_USER_DURATION,
                validate: Box::new(move |f| {
                    check_common(&snapshot, &f.alias, &f.profile, &f.region)?;
                    check_new_session(&snapshot, user_session(f))?;
                    validate_access_keys(&f.access_key_id, &f.secret_access_key)
                }),
            },
            Box::new(move |form| {
                let Some(f) = form else {
                    return;
                };
                let session = user_session(&f);
                let keys = AccessKeys {
                    access_key_id: f.access_key_id.clone(),
                    secret_access_key: f.secret_access_key.clone(),
                };
                let (id, what) = (session.id, format!("add session '{}'", f.alias));
                spawn_outcome(&rt, &ui, None, async move {
                    local_outcome(id, what, move || engine.add_session(&session, Some(&keys))).await
                });
            }),
        );
    }

    fn add_chained_role(&mut self) {
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
        let snapshot = state.clone();
        let engine = self.engine.clone();
        let ui = self.ui.clone();
        let rt = self.rt.clone();
        dialogs::add_chained_role(
            dialogs::ChainedRoleRequest {
                profiles: state.profiles.clone(),
                regions: REGIONS.iter().map(|r| r.to_string()).collect(),
                parents: state.sessions.iter().map(|s| (s.id, s.label())).collect(),
                profile: DEFAULT_PROFILE.into(),
                region: DEFAULT_REGION.into(),
                role_session_name: DEFAULT_ROLE_SESSION_NAME.into(),
                duration_secs: DEFAULT_ROLE_DURATION,
                validate: Box::new(move |f| {
                    check_common(&snapshot, &f.alias, &f.profile, &f.region)?;
                    check_new_session(&snapshot, chained_session(f))
                }),
            },
            Box::new(move |form| {
                let Some(f) = form else {
                    return;
                };
                let session = chained_session(&f);
                let (id, what) = (session.id, format!("add session '{}'", f.alias));
                spawn_outcome(&rt, &ui, None, async move {
                    local_outcome(id, what, move || engine.add_session(&session, None)).await
                });
            }),
        );
    }

    fn add_federated_role(&mut self) {
        let Some(state) = self.load_state() else {
            return;
        };
        let snapshot = state.clone();
        let engine = self.engine.clone();
        let ui = self.ui.clone();
        let rt = self.rt.clone();
        dialogs::add_federated_role(
            dialogs::FederatedRoleRequest {
                profiles: state.profiles.clone(),
                regions: REGIONS.iter().map(|r| r.to_string()).collect(),
                profile: DEFAULT_PROFILE.into(),
                region: DEFAULT_REGION.into(),
                duration_secs: DEFAULT_FEDERATED_DURATION,
                validate: Box::new(move |f| {
                    check_common(&snapshot, &f.alias, &f.profile, &f.region)?;
                    check_new_session(&snapshot, federated_session(f))
                }),
            },
            Box::new(move |form| {
                let Some(f) = form else {
                    return;
                };
                let session = federated_session(&f);
                let (id, what) = (session.id, format!("add session '{}'", f.alias));
                spawn_outcome(&rt, &ui, None, async move {
                    local_outcome(id, what, move || engine.add_session(&session, None)).await
                });
            }),
        );
    }

    /// "Forget sign-in": deletes the data folder of the session's SAML URL (on tokio) and
    /// says what went, naming the other sessions that shared it.
    fn forget_signin(&mut self, id: Uuid) {
        let Some((state, s)) = self.session(id) else {
            return;
        };
        self.spawn(Some(id), async move {
            let alias = s.alias.clone();
            let result =
                tokio::task::spawn_blocking(move || crate::saml::forget_signin(&state, &s)).await;
            let notice = match result {
                Ok(Ok(forgotten)) => {
                    tracing::info!(
                        session = %alias,
                        folder = %forgotten.folder.display(),
                        removed = forgotten.removed,
                        shared_with = ?&forgotten.sessions[1..],
                        "SAML sign-in forgotten"
                    );
                    notices::forgot_signin(id, &forgotten)
                }
                Ok(Err(e)) => notices::failed(
                    Some(id),
                    &format!("forget the sign-in of '{alias}'"),
                    &e.to_string(),
                ),
                Err(e) => notices::failed(
                    Some(id),
                    &format!("forget the sign-in of '{alias}'"),
                    &e.to_string(),
                ),
            };
            Outcome {
                notice: Some(notice),
                ..Outcome::default()
            }
        });
    }

    fn named_profiles(&mut self) {
        let Some(state) = self.load_state() else {
            return;
        };
        let profiles = state
            .profiles
            .iter()
            .map(|p| (p.clone(), state.sessions_on(p).count()))
            .collect();
        let engine = self.engine.clone();
        let opts = self.opts();
        let ui = self.ui.clone();
        let rt = self.rt.clone();
        dialogs::named_profiles(
            dialogs::ProfilesRequest { profiles },
            Box::new(move |choice| match choice {
                None => {}
                Some(ProfileChoice::Add) => {
                    let taken = state.profiles.clone();
                    dialogs::text(
                        dialogs::TextRequest {
                            title: "credtray: add named profile".into(),
                            prompt: "Name of the new profile (a section of the AWS credentials and config files):".into(),
                            initial: String::new(),
                            ok_label: "Add".into(),
                            validate: Box::new(move |n: &str| {
                                let n = n.trim();
                                validate_profile_name(n)?;
                                if taken.iter().any(|p| p == n) {
                                    return Err(format!("a named profile '{n}' already exists"));
                                }
                                Ok(())
                            }),
                        },
                        Box::new(move |name| {
                            let Some(name) = name.map(|n| n.trim().to_string()) else {
                                return;
                            };
                            spawn_outcome(&rt, &ui, None, async move {
                                let r = engine
                                    .store
                                    .update(|st| st.add_profile(&name).map_err(EngineError::from));
                                simple_outcome(&format!("add profile '{name}'"), r)
                            });
                        }),
                    );
                }
                Some(ProfileChoice::Rename(old)) => {
                    let taken = state.profiles.clone();
                    let old2 = old.clone();
                    dialogs::text(
                        dialogs::TextRequest {
                            title: format!("credtray: rename profile '{old}'"),
                            prompt: format!("New name of profile '{old}' (its active sessions restart under it):"),
                            initial: old.clone(),
                            ok_label: "Rename".into(),
                            validate: Box::new(move |n: &str| {
                                let n = n.trim();
                                validate_profile_name(n)?;
                                if n != old2 && taken.iter().any(|p| p == n) {
                                    return Err(format!("a named profile '{n}' already exists"));
                                }
                                Ok(())
                            }),
                        },
                        Box::new(move |name| {
                            let Some(new) = name.map(|n| n.trim().to_string()) else {
                                return;
                            };
                            if new == old {
                                return;
                            }
                            spawn_outcome(&rt, &ui, None, async move {
                                let r = engine.rename_profile(&old, &new, &opts).await;
                                restart_outcome(&format!("rename profile '{old}'"), r)
                            });
                        }),
                    );
                }
                Some(ProfileChoice::Remove(name)) => {
                    let n = state.sessions_on(&name).count();
                    dialogs::confirm(
                        dialogs::ConfirmRequest {
                            title: format!("credtray: remove profile '{name}'"),
                            message: match n {
                                0 => format!("Remove the named profile '{name}'?"),
                                1 => format!("Remove the named profile '{name}'? Its session moves to 'default' (and restarts there if it is active)."),
                                n => format!("Remove the named profile '{name}'? Its {n} sessions move to 'default'; active ones restart there."),
                            },
                            ok_label: "Remove".into(),
                            destructive: true,
                        },
                        Box::new(move |yes| {
                            if !yes {
                                return;
                            }
                            spawn_outcome(&rt, &ui, None, async move {
                                let r = engine.remove_profile(&name, &opts).await;
                                restart_outcome(&format!("remove profile '{name}'"), r)
                            });
                        }),
                    );
                }
            }),
        );
    }

    fn toggle_start_at_login(&mut self) {
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
        if let Some(r) = &self.rendered {
            r.reset_check(&ItemId::StartAtLogin);
        }
    }

    /// Starts the sessions the last Quit stopped.
    fn resume(&mut self) {
        let engine = self.engine.clone();
        let opts = self.opts();
        let ui = self.ui.clone();
        self.rt.spawn(async move {
            let ids = match tokio::task::spawn_blocking({
                let engine = engine.clone();
                move || engine.take_resume()
            })
            .await
            {
                Ok(Ok(ids)) => ids,
                Ok(Err(e)) => {
                    tracing::error!("cannot read the sessions to resume: {e}");
                    return;
                }
                Err(_) => return,
            };
            let count = ids.len();
            for id in ids {
                let alias = engine
                    .state()
                    .ok()
                    .and_then(|s| s.session(id).map(|s| s.alias.clone()))
                    .unwrap_or_default();
                tracing::info!(session = %alias, "resuming");
                let mut o = start_outcome(&engine, id, &alias, &opts).await;
                o.session = Some(id);
                ui.send(UserEvent::Done(o));
            }
            // None when the setting is off (the engine forgets the list then).
            tracing::info!(count, "resume at launch done");
        });
    }

    /// Quit: no new action starts; once the actions in flight have finished (a start
    /// writing credentials, at most [`QUIT_WAIT`]), every active session stops and is
    /// remembered, and the loop exits.
    fn quit(&mut self) {
        if self.quitting {
            return;
        }
        self.quitting = true;
        // A sign-in in a window cannot finish now: cancelled, its start ends at once.
        self.saml.close_all();
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

    fn stop_all(&mut self) {
        if self.stopping_all {
            return;
        }
        self.stopping_all = true;
        let engine = self.engine.clone();
        let ui = self.ui.clone();
        self.rt.spawn(async move {
            let r = tokio::task::spawn_blocking(move || engine.stop_all_and_remember()).await;
            let r = match r {
                Ok(Ok(ids)) => Ok(ids.len()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            ui.send(UserEvent::QuitDone(r));
        });
    }
}

/// How long Quit waits for actions in flight before stopping the sessions anyway.
pub const QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

fn spawn_outcome<F>(rt: &tokio::runtime::Handle, ui: &Ui, session: Option<Uuid>, work: F)
where
    F: Future<Output = Outcome> + Send + 'static,
{
    let ui = ui.clone();
    rt.spawn(async move {
        let mut o = work.await;
        o.session = o.session.or(session);
        ui.send(UserEvent::Done(o));
    });
}

/// Runs a local step (files and keychain, no network) on tokio's blocking pool; success
/// resolves the session, a failure is notified as "could not WHAT".
async fn local_outcome<T, F>(id: Uuid, what: String, step: F) -> Outcome
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, EngineError> + Send + 'static,
{
    let result = match tokio::task::spawn_blocking(step).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(_) => Outcome {
            resolved: true,
            ..Outcome::default()
        },
        Err(e) => Outcome {
            notice: Some(notices::failed(Some(id), &what, &e)),
            ..Outcome::default()
        },
    }
}

async fn start_outcome(engine: &Engine, id: Uuid, alias: &str, opts: &StartOptions) -> Outcome {
    match engine.start(id, opts).await {
        Ok(_) => Outcome {
            resolved: true,
            ..Outcome::default()
        },
        // The user cancelled the MFA dialog or closed the sign-in window: the session stays
        // stopped, nothing to say.
        Err(e) if cancelled(&e) => Outcome::default(),
        Err(e) => Outcome {
            needs_user: true,
            notice: Some(notices::could_not_start(id, alias, &e.to_string())),
            ..Outcome::default()
        },
    }
}

fn edit_outcome(id: Uuid, alias: &str, what: &str, result: Result<Edited, EngineError>) -> Outcome {
    match result.map(|mut e| e.restart_failures.pop().map(|(_, e)| e)) {
        Ok(None) => Outcome::default(),
        Ok(Some(e)) => Outcome {
            needs_user: true,
            notice: Some(notices::could_not_start(
                id,
                alias,
                &format!("it was stopped to apply the change and could not restart: {e}"),
            )),
            ..Outcome::default()
        },
        Err(e) => Outcome {
            notice: Some(notices::failed(
                Some(id),
                &format!("{what} '{alias}'"),
                &e.to_string(),
            )),
            ..Outcome::default()
        },
    }
}

fn simple_outcome<T>(what: &str, result: Result<T, EngineError>) -> Outcome {
    match result {
        Ok(_) => Outcome::default(),
        Err(e) => Outcome {
            notice: Some(notices::failed(None, what, &e.to_string())),
            ..Outcome::default()
        },
    }
}

fn restart_outcome(what: &str, result: Result<Vec<(Uuid, EngineError)>, EngineError>) -> Outcome {
    match result {
        Ok(failures) if failures.is_empty() => Outcome::default(),
        Ok(failures) => {
            let list: Vec<String> = failures.iter().map(|(_, e)| e.to_string()).collect();
            Outcome {
                notice: Some(notices::failed(
                    None,
                    &format!("restart every session after this change ({what})"),
                    &list.join("; "),
                )),
                ..Outcome::default()
            }
        }
        Err(e) => Outcome {
            notice: Some(notices::failed(None, what, &e.to_string())),
            ..Outcome::default()
        },
    }
}

/// The duration the SAML federated role form starts with (AssumeRoleWithSAML's default).
const DEFAULT_FEDERATED_DURATION: u32 = 3_600;

/// The session the SAML federated role form describes (a new id each time).
fn federated_session(f: &dialogs::FederatedRoleForm) -> Session {
    Session {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        profile: f.profile.clone(),
        region: f.region.clone(),
        kind: SessionKind::IamRoleFederated(FederatedRole {
            role_arn: f.role_arn.clone(),
            idp_arn: f.idp_arn.clone(),
            saml_url: f.saml_url.clone(),
            duration_secs: f.duration_secs,
        }),
    }
}

fn check_common(state: &State, alias: &str, profile: &str, region: &str) -> Result<(), String> {
    if alias.is_empty() {
        return Err("Type an alias".into());
    }
    state.check_alias(alias, None).map_err(|e| e.to_string())?;
    validate_profile_name(profile)?;
    validate_region(region)
}

/// The session the IAM user form describes (a new id each time).
fn user_session(f: &dialogs::IamUserForm) -> Session {
    Session {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        profile: f.profile.clone(),
        region: f.region.clone(),
        kind: SessionKind::IamUser(IamUser {
            mfa_serial: f.mfa_serial.clone(),
            duration_secs: f.duration_secs,
        }),
    }
}

/// The session the chained role form describes (a new id each time).
fn chained_session(f: &dialogs::ChainedRoleForm) -> Session {
    Session {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        profile: f.profile.clone(),
        region: f.region.clone(),
        kind: SessionKind::IamRoleChained(ChainedRole {
            parent: f.parent,
            role_arn: f.role_arn.clone(),
            role_session_name: f.role_session_name.clone(),
            external_id: f.external_id.clone(),
            duration_secs: f.duration_secs,
        }),
    }
}

/// The model's own checks of a new session, as `Engine::add_session` runs them.
fn check_new_session(state: &State, session: Session) -> Result<(), String> {
    let mut probe = state.clone();
    probe
        .ensure_profile(&session.profile)
        .map_err(|e| e.to_string())?;
    probe.add_session(session).map_err(|e| e.to_string())
}

/// How often a sync's progress relabels the menu at most.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

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

/// The outcome of a sign-in, sync, sign-out or removal: a failure notified once, with the
/// reason, in the integration's notification slot (it replaces "Sign in to …"); a cancelled
/// sign-in only logged.
fn integration_outcome<T>(
    id: Uuid,
    alias: &str,
    what: &str,
    result: Result<T, EngineError>,
) -> Outcome {
    match result {
        Ok(_) => Outcome::default(),
        Err(EngineError::Provider(ProviderError::Cancelled { .. })) => {
            tracing::info!(integration = %alias, "sign-in cancelled");
            Outcome::default()
        }
        Err(e) => {
            tracing::warn!(integration = %alias, "could not {what} '{alias}': {e}");
            Outcome {
                notice: Some(notices::failed(
                    Some(id),
                    &format!("{what} '{alias}'"),
                    &e.to_string(),
                )),
                ..Outcome::default()
            }
        }
    }
}

/// The question before removing an integration.
fn remove_integration_message(alias: &str, sessions: usize, chained: usize) -> String {
    let mut m = format!("Remove integration '{alias}'?");
    match sessions {
        0 => m.push_str(" It has no sessions."),
        1 => m.push_str(" Its session is removed too (stopped first if it is active)."),
        n => m.push_str(&format!(
            " Its {} sessions are removed too (active ones stop).",
            menu::thousands(n)
        )),
    }
    match chained {
        0 => {}
        1 => m.push_str(" So is 1 chained role that uses them."),
        n => m.push_str(&format!(" So are {n} chained roles that use them.")),
    }
    m.push_str(" Its sign-in is forgotten in the keychain.");
    m
}

/// The form's check: the model's own, on the integrations there are.
fn check_integration(taken: &[Integration], f: &dialogs::IntegrationForm) -> Result<(), String> {
    let mut st = State::new();
    st.integrations = taken.to_vec();
    st.add_integration(Integration {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        start_url: f.start_url.trim_end_matches('/').to_string(),
        region: f.region.clone(),
        sign_in: None,
        synced_at: None,
    })
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(alias: &str, url: &str, region: &str) -> dialogs::IntegrationForm {
        dialogs::IntegrationForm {
            alias: alias.into(),
            start_url: url.into(),
            region: region.into(),
        }
    }

    #[test]
    fn the_integration_form_uses_the_models_checks() {
        let mut st = State::new();
        st.add_integration(Integration {
            id: Uuid::new_v4(),
            alias: "corp".into(),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        })
        .unwrap();
        let taken = &st.integrations;
        assert!(check_integration(
            taken,
            &form("lab", "https://d-2.awsapps.com/start", "eu-west-1")
        )
        .is_ok());
        let dup = check_integration(
            taken,
            &form("corp", "https://d-2.awsapps.com/start", "eu-west-1"),
        )
        .unwrap_err();
        assert!(dup.contains("alias"), "{dup}");
        let http = check_integration(
            taken,
            &form("lab", "http://d-2.awsapps.com/start", "eu-west-1"),
        )
        .unwrap_err();
        assert!(http.contains("start URL"), "{http}");
        let region = check_integration(
            taken,
            &form("lab", "https://d-2.awsapps.com/start", "mars-1"),
        )
        .unwrap_err();
        assert!(region.contains("region"), "{region}");
    }

    #[test]
    fn removing_an_integration_says_how_many_sessions_go() {
        assert_eq!(
            remove_integration_message("corp", 3000, 2),
            "Remove integration 'corp'? Its 3,000 sessions are removed too (active ones stop). \
             So are 2 chained roles that use them. Its sign-in is forgotten in the keychain."
        );
        assert!(remove_integration_message("corp", 0, 0).contains("no sessions"));
        assert!(remove_integration_message("corp", 1, 0).contains("Its session is removed"));
    }
}

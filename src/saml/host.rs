//! Windows for a command-line process. tao's event loop must run on the main thread, but
//! most commands never need it (and must not pay for GTK). So [`run`] runs the command's
//! future on tokio in another thread and keeps the main thread waiting for messages; the
//! first sign-in request creates the event loop there and runs it, and the command's end
//! then exits the process from that loop. [`sign_in`] is how a provider, anywhere in the
//! process, asks for a window.

use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

use tao::event::{Event, StartCause, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tokio::sync::oneshot;

use super::window::{SamlEvent, SignInFailure, SignInRequest, SignInWindows};
use super::Assertion;

enum HostMsg {
    Open(SignInRequest),
    Done(i32),
}

enum HostEvent {
    Msg(HostMsg),
    Saml(SamlEvent),
}

impl From<SamlEvent> for HostEvent {
    fn from(e: SamlEvent) -> Self {
        HostEvent::Saml(e)
    }
}

static HOST: OnceLock<Mutex<mpsc::Sender<HostMsg>>> = OnceLock::new();

/// Set when the display could not be opened: why, naming it.
static UNREACHABLE: OnceLock<String> = OnceLock::new();

/// Why [`sign_in`] gave no assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// No display to show a window on.
    NoDisplay,
    /// The display is set but cannot be opened: why, naming it.
    DisplayUnreachable(String),
    /// This process runs no window host (a background agent, a library caller).
    NoHost,
    /// The window failed or was closed.
    Failed(SignInFailure),
}

/// Opens the sign-in window for `alias` on `url` (cookies in `data_dir`) and waits for the
/// assertion. Fails at once with no display or no host.
pub async fn sign_in(
    alias: &str,
    url: &str,
    data_dir: std::path::PathBuf,
) -> Result<Assertion, HostError> {
    if !super::display_available() {
        return Err(HostError::NoDisplay);
    }
    if let Some(why) = UNREACHABLE.get() {
        return Err(HostError::DisplayUnreachable(why.clone()));
    }
    let (reply, answer) = oneshot::channel();
    let req = SignInRequest {
        alias: alias.to_string(),
        url: url.to_string(),
        data_dir,
        reply,
    };
    let sent = HOST
        .get()
        .and_then(|h| h.lock().ok())
        .map(|h| h.send(HostMsg::Open(req)).is_ok())
        .unwrap_or(false);
    if !sent {
        return Err(HostError::NoHost);
    }
    match answer.await {
        Ok(Ok(a)) => Ok(a),
        Ok(Err(f)) => Err(match UNREACHABLE.get() {
            Some(why) => HostError::DisplayUnreachable(why.clone()),
            None => HostError::Failed(f),
        }),
        Err(_) => Err(HostError::Failed(SignInFailure::Closed)),
    }
}

/// Runs `work` on `runtime` in a thread of its own, with the main thread ready to host
/// sign-in windows; returns (or exits the process with) the code `work` gives.
pub fn run<F>(runtime: tokio::runtime::Runtime, work: F) -> i32
where
    F: std::future::Future<Output = i32> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<HostMsg>();
    let _ = HOST.set(Mutex::new(tx.clone()));
    let worker = std::thread::Builder::new()
        .name("credtray-cli".into())
        .spawn(move || {
            let code = runtime.block_on(work);
            // The runtime's blocking threads may wait on stdin; do not wait for them.
            runtime.shutdown_background();
            let _ = tx.send(HostMsg::Done(code));
        });
    if let Err(e) = worker {
        eprintln!("credtray: cannot start a thread: {e}");
        return 1;
    }
    match rx.recv() {
        Ok(HostMsg::Done(code)) => code,
        Ok(HostMsg::Open(first)) => host_windows(rx, first),
        Err(_) => 1,
    }
}

/// The event loop, from the first window request until the command ends.
fn host_windows(rx: mpsc::Receiver<HostMsg>, first: SignInRequest) -> i32 {
    // tao panics when the display cannot be opened: ask first.
    if let Err(why) = super::open_display() {
        return refuse_windows(rx, first, &why);
    }
    let event_loop = EventLoopBuilder::<HostEvent>::with_user_event().build();
    let proxy = event_loop.create_proxy();
    let relay = event_loop.create_proxy();
    std::thread::spawn(move || {
        for msg in rx {
            if relay.send_event(HostEvent::Msg(msg)).is_err() {
                break;
            }
        }
    });
    let mut first = Some(first);
    let mut windows = SignInWindows::default();
    event_loop.run(move |event, target, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            Event::NewEvents(StartCause::Init) => {
                if let Some(req) = first.take() {
                    windows.open(target, proxy.clone(), req);
                }
            }
            Event::UserEvent(HostEvent::Msg(HostMsg::Open(req))) => {
                windows.open(target, proxy.clone(), req);
            }
            Event::UserEvent(HostEvent::Msg(HostMsg::Done(code))) => {
                *control_flow = ControlFlow::ExitWithCode(code);
            }
            Event::UserEvent(HostEvent::Saml(e)) => windows.handle(e),
            Event::WindowEvent {
                window_id,
                event: WindowEvent::CloseRequested,
                ..
            } if windows.owns(window_id) => windows.close_requested(window_id),
            _ => {}
        }
    })
}

/// No display could be opened: every sign-in request is refused (and [`sign_in`] says why),
/// until the command ends.
fn refuse_windows(rx: mpsc::Receiver<HostMsg>, first: SignInRequest, why: &str) -> i32 {
    let _ = UNREACHABLE.set(why.to_string());
    let refuse = |req: SignInRequest| {
        let _ = req.reply.send(Err(SignInFailure::Window(why.to_string())));
    };
    refuse(first);
    for msg in rx {
        match msg {
            HostMsg::Open(req) => refuse(req),
            HostMsg::Done(code) => return code,
        }
    }
    1
}

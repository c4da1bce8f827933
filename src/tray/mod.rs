//! The tray applet, started by `credtray` with no arguments.
//!
//! - [`menu`]: the menu as a pure function of the state (unit-tested, no display);
//! - [`render`]: that model onto `muda`, in place when only marks and labels change;
//! - [`app`]: the `tao` event loop on the main thread, the tray icon, and the glue that
//!   runs every engine call on tokio and brings the result back as a user event;
//! - [`dialogs`]: native dialogs (GTK 3 on Linux, AppleScript on macOS, Win32 windows on
//!   Windows), never modal to the process;
//! - [`notices`] (pure) and [`notifier`]: desktop notifications, one per session per event;
//! - [`icons`]: the idle / active / attention icons built into the binary.
//!
//! The tray process is also the agent: it holds the single-instance lock and runs the same
//! rotation loop as `credtray agent`, whose events become notifications. A second launch
//! brings up the running tray's Sessions window ([`instance`]).

pub mod actions;
pub mod app;
pub mod dialogs;
pub mod forms;
pub mod front;
pub mod icons;
pub mod instance;
pub mod interaction;
pub mod memory;
pub mod menu;
pub mod notices;
pub mod notifier;
pub mod outcome;
pub mod render;
pub mod sessions;
#[cfg(target_os = "linux")]
pub mod sni;
#[cfg(windows)]
mod windows;

use std::process::ExitCode;

use anyhow::Result;
use tao::event_loop::EventLoopBuilder;
use tokio::sync::oneshot;

use crate::engine::events::Event;
use app::{App, Ui, UserEvent};

/// Whether [`prepare_environment`] turned GDK's GL off (and so takes it back once GTK is up).
#[cfg(target_os = "linux")]
static GDK_GL_SET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Settings the toolkit reads when it starts, made before any thread runs (`main` calls
/// this before building the tokio runtime when the tray is to run).
///
/// On Linux, GDK's OpenGL support is turned off (`GDK_GL=disable`) unless the user set
/// `GDK_GL`: nothing in the tray draws with GL, and GTK 3 would otherwise open the GL
/// driver at start only to choose its visuals — with Mesa's software renderer that maps
/// LLVM, some 50 MB of the tray's resident memory and a good part of its start-up time.
/// It is taken out of the environment again once GTK has read it (see [`run`]), so that
/// the processes the tray starts (a browser, WebKit's) do not inherit it.
///
/// malloc is also limited to a few arenas (see [`memory`]).
pub fn prepare_environment() {
    memory::limit_arenas();
    #[cfg(target_os = "linux")]
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
        GDK_GL_SET.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Takes back what [`prepare_environment`] set, once GTK has read it.
fn restore_environment() {
    #[cfg(target_os = "linux")]
    if GDK_GL_SET.swap(false, std::sync::atomic::Ordering::SeqCst) {
        std::env::remove_var("GDK_GL");
    }
}

/// Why the tray cannot show, when it cannot (then the headless agent runs instead).
fn no_display() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            return Some("no display (DISPLAY and WAYLAND_DISPLAY are unset)".into());
        }
        if let Err(e) = gtk::init() {
            let display = std::env::var("DISPLAY")
                .or_else(|_| std::env::var("WAYLAND_DISPLAY"))
                .unwrap_or_default();
            return Some(format!("cannot open the display '{display}' ({e})"));
        }
    }
    None
}

/// Runs the tray until Quit (or SIGTERM); where there is no display, says so in one line
/// and runs the headless agent instead.
pub fn run(runtime: tokio::runtime::Runtime) -> Result<ExitCode> {
    let engine = runtime.block_on(crate::cli::engine())?;
    let Some(lock) = crate::agent::try_single_instance(&engine)? else {
        // A tray runs: it brings up its Sessions window (the headless agent answers nothing).
        match instance::ask_to_show(engine.store.dir(), instance::ANSWER_WAIT) {
            Ok(instance::Asked::Shown) => {
                eprintln!("credtray: credtray is already running; its Sessions window is shown")
            }
            Ok(instance::Asked::NoAnswer) | Err(_) => eprintln!(
                "credtray: credtray is already running for this user (its icon is in the tray; \
                 `credtray agent` may be running instead)"
            ),
        }
        return Ok(ExitCode::SUCCESS);
    };
    let cannot_show = no_display();
    tracing::debug!("toolkit initialised");
    // GTK has read its settings (or never will): the environment is the user's again.
    restore_environment();
    if let Some(why) = cannot_show {
        eprintln!("credtray: {why}; running the headless agent instead (Ctrl-C stops it)");
        runtime.block_on(crate::agent::supervise(
            engine,
            crate::engine::events::log_sink(),
            crate::agent::shutdown_signal(),
        ));
        drop(lock);
        return Ok(ExitCode::SUCCESS);
    }

    #[cfg(windows)]
    windows::detach_console();

    let mut event_loop = EventLoopBuilder::<UserEvent>::with_user_event().build();
    // tao makes the process a regular app (Dock icon, menu bar) when its loop starts,
    // overriding the bundle's LSUIElement: the tray is an accessory app, its icon in the
    // menu bar only. (credtray-signin, a program of its own, stays a regular app.)
    #[cfg(target_os = "macos")]
    {
        use tao::platform::macos::{ActivationPolicy, EventLoopExtMacOS};
        event_loop.set_activation_policy(ActivationPolicy::Accessory);
    }
    let ui = Ui::new(event_loop.create_proxy());
    #[cfg(windows)]
    windows::watch_quit(ui.clone());

    let menu_ui = ui.clone();
    muda::MenuEvent::set_event_handler(Some(move |e: muda::MenuEvent| {
        menu_ui.send(UserEvent::Menu(e.id.0));
    }));

    let dialog_ui = ui.clone();
    dialogs::set_dispatcher(move |id, answer| {
        dialog_ui.send(UserEvent::DialogAnswer(id, answer));
    });

    // A second `credtray` asks for the Sessions window.
    let instance_ui = ui.clone();
    let _listener = instance::listen(engine.store.dir(), move || {
        instance_ui.send(UserEvent::ShowSessions);
    })
    .map_err(|e| tracing::warn!("a second launch cannot bring up the Sessions window: {e}"))
    .ok();

    // The agent: rotation, expiry, and the watch on the state file.
    let (agent_stop, agent_stopped) = oneshot::channel::<()>();
    let events_ui = ui.clone();
    let sink: crate::engine::events::Sink = std::sync::Arc::new(move |e: Event| {
        events_ui.send(UserEvent::Engine(e));
    });
    let agent_engine = engine.clone();
    // Rotation asks no one, but tries a federated session's sign-in in a hidden window.
    let rotation = std::sync::Arc::new(interaction::SilentRotation::new(
        interaction::SILENT_SIGN_IN_TIMEOUT,
    ));
    runtime.spawn(async move {
        let stop = async {
            let _ = agent_stopped.await;
        };
        crate::agent::supervise_with(agent_engine, sink, rotation, stop).await;
    });
    // SIGTERM / Ctrl-C quit like the menu's Quit: no credentials left without rotation.
    let signal_ui = ui.clone();
    runtime.spawn(async move {
        crate::agent::shutdown_signal().await;
        signal_ui.send(UserEvent::Quit);
    });

    let mut app = App::new(engine, runtime.handle().clone(), ui, agent_stop);
    tracing::debug!("event loop made");
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    {
        use tao::platform::run_return::EventLoopExtRunReturn;
        event_loop.run_return(|event, target, flow| app.handle(event, target, flow));
    }
    drop(lock);
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    Ok(if app.exit_code == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

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
//! rotation loop as `credtray agent`, whose events become notifications.

pub mod app;
pub mod dialogs;
pub mod icons;
pub mod menu;
pub mod notices;
pub mod notifier;
pub mod render;
pub mod sessions;
#[cfg(windows)]
mod windows;

use std::process::ExitCode;

use anyhow::Result;
use tao::event_loop::EventLoopBuilder;
use tokio::sync::oneshot;

use crate::engine::events::Event;
use app::{App, Ui, UserEvent};

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
        eprintln!(
            "credtray: credtray is already running for this user (its icon is in the tray; \
             `credtray agent` may be running instead)"
        );
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(why) = no_display() {
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

    // The agent: rotation, expiry, and the watch on the state file.
    let (agent_stop, agent_stopped) = oneshot::channel::<()>();
    let events_ui = ui.clone();
    let sink: crate::engine::events::Sink = std::sync::Arc::new(move |e: Event| {
        events_ui.send(UserEvent::Engine(e));
    });
    let agent_engine = engine.clone();
    // Rotation asks no one, but tries a federated session's sign-in in a hidden window.
    let rotation = std::sync::Arc::new(app::SilentRotation::new(
        ui.clone(),
        app::SILENT_SIGN_IN_TIMEOUT,
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

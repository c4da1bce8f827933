//! The Sessions window: every session, searchable, grouped by named profile, each with its
//! state, a switch and its actions. Opened from the menu ("Sessions…") and by a second
//! `credtray` launch while the tray runs.
//!
//! - [`model`]: the rows as a pure function of the state (kind, account, role, state and
//!   its words), the type-ahead [`Filter`], the grouping by profile; no GTK.
//! - `gtk` (Linux): [`SessionsWindow`], a GTK 3 window over that model. It is built once
//!   and reused (closing hides it); [`SessionsWindow::update`] touches only the rows that
//!   changed, so that following the state file stays cheap with a thousand sessions.
//! - `win32` (Windows): [`SessionsWindow`], a Win32 window with the same API: a search box
//!   over a virtual list view (one line per session, sorted by profile, a column each for
//!   the profile, kind, account, role and state, a check box for active), its keyboard and
//!   action menu as on Linux.
//! - elsewhere (macOS): a [`SessionsWindow`] with the same API whose
//!   [`SessionsWindow::present`] shows nothing and returns `false` (see below).
//!
//! The window never acts by itself: everything the user asks for comes out as a
//! [`SessionAction`] through the callback given to [`SessionsWindow::new`], on the thread
//! that drives GTK, and the window shows what the next [`SessionsWindow::update`] says —
//! a switch flipped by a click goes back to the state's value at once.
//!
//! Wiring it into the tray (on the UI thread, GTK initialised by the event loop):
//! - make it once, lazily or at start (`new` costs a few milliseconds; the rows are built
//!   at the first `present`), with an `on_action` that sends a user event carrying the
//!   [`SessionAction`] to the event loop's handler;
//! - call [`SessionsWindow::update`] wherever the menu is rebuilt from `state.json`, with
//!   the same attention set (hidden, it only keeps a copy);
//! - call [`SessionsWindow::present`] for "Sessions…" and when a second `credtray` launch
//!   asks the running tray to show itself;
//! - handle the actions as the menu's: `Toggle` starts a stopped session and stops an
//!   active one (decide from the state, not from the switch), `ChangeProfile`,
//!   `ChangeRegion`, `Test`, `Remove` as the session submenu's items, `Edit` and
//!   `CreateChained` (the session as the parent) with the forms.

pub mod model;

#[cfg(target_os = "linux")]
mod gtk;

#[cfg(target_os = "linux")]
pub use self::gtk::{SessionsWindow, ShownRow};
pub use model::{Filter, Row, RowState, SessionAction, SessionsModel};

#[cfg(windows)]
mod win32;
#[cfg(windows)]
pub use self::win32::SessionsWindow;

/// The window's title.
pub const TITLE: &str = "credtray — Sessions";

#[cfg(not(any(target_os = "linux", windows)))]
pub use fallback::SessionsWindow;

/// The window where there is none yet (macOS).
///
/// A native one would need an `NSWindow` with an `NSSearchField` over an `NSOutlineView`
/// (group rows per profile, view-based cells with an `NSSwitch` and an action `NSMenu`),
/// driven from the main thread through `objc2-app-kit`, taking its rows, filter and
/// grouping from [`model`] as the GTK and Win32 windows do. Until then the tray's menu is
/// the way to act on sessions there.
#[cfg(not(any(target_os = "linux", windows)))]
mod fallback {
    use std::collections::BTreeSet;

    use uuid::Uuid;

    use super::SessionAction;
    use crate::model::State;

    /// A Sessions window that shows nothing on this platform.
    pub struct SessionsWindow {
        _on_action: Box<dyn Fn(SessionAction)>,
    }

    impl SessionsWindow {
        /// Keeps the callback; nothing is shown.
        pub fn new(on_action: Box<dyn Fn(SessionAction)>) -> SessionsWindow {
            SessionsWindow {
                _on_action: on_action,
            }
        }

        /// Nothing to update.
        pub fn update(&self, _state: &State, _needs_user: &BTreeSet<Uuid>) {}

        /// Shows nothing: says so in the log and returns `false`, so that the caller can
        /// fall back (open the tray's menu, say where the sessions are).
        pub fn present(&self) -> bool {
            tracing::info!("the Sessions window is not available on this platform yet");
            false
        }

        /// Never visible.
        pub fn is_visible(&self) -> bool {
            false
        }
    }
}

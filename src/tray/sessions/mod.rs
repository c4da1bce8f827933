//! The Sessions window: every session, searchable, grouped by named profile, each with its
//! state, a switch and its actions. Opened from the menu ("Sessions…") and by a second
//! `credtray` launch while the tray runs.
//!
//! - [`model`]: the rows as a pure function of the state (kind, account, role, state and
//!   its words), the type-ahead [`Filter`], the grouping by profile; no GTK.
//! - `gtk` (Linux): [`SessionsWindow`], a GTK 3 window over that model. It is built once
//!   and reused (closing hides it); [`SessionsWindow::update`] touches only the rows that
//!   changed, so that following the state file stays cheap with a thousand sessions.
//! - elsewhere: a [`SessionsWindow`] with the same API whose [`SessionsWindow::present`]
//!   shows nothing and returns `false` (see below).
//!
//! The window never acts by itself: everything the user asks for comes out as a
//! [`SessionAction`] through the callback given to [`SessionsWindow::new`], on the thread
//! that drives GTK, and the window shows what the next [`SessionsWindow::update`] says —
//! a switch flipped by a click goes back to the state's value at once.

pub mod model;

pub use model::{Filter, Row, RowState, SessionAction, SessionsModel};

/// The window's title.
pub const TITLE: &str = "credtray — Sessions";

//! The tray applet's adapter code. For now only the menu model: [`menu::build`] turns the
//! engine's [`State`](crate::model::State) (plus a clock, the sessions needing the user and
//! the "Start at login" setting) into a plain tree of entries, with no GUI crate and no
//! display, so it is unit-tested like the rest of the core. A renderer maps that tree onto
//! `muda` and maps clicks back through [`menu::ItemId`].

pub mod dialogs;
pub mod menu;

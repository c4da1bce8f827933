//! The tray's icon and menu on screen, from the menu model, in one of two ways:
//! - `tray-icon` with a `muda` menu ([`Rendered`]): Windows, macOS, and Linux without a
//!   StatusNotifier host, where libayatana-appindicator exports the GTK menu and docks a
//!   GtkStatusIcon into an XEmbed tray;
//! - on Linux with a StatusNotifier host, credtray's own StatusNotifierItem and dbusmenu
//!   ([`super::sni`]), which makes no GTK widget per menu item.
//!
//! [`Front::open`] chooses (see `sni::Choice`); the app then only calls [`Front::show`],
//! [`Front::set_icon`] and [`Front::reset_check`].

use tray_icon::{TrayIcon, TrayIconBuilder};

use super::icons::Icons;
use super::menu::{IconState, ItemId, Menu};
use super::render::{Rendered, Update};

/// The icon and menu on screen.
pub enum Front {
    /// `tray-icon` and `muda`.
    Muda {
        /// The icon (`None` once taken down, or when it could not be made).
        tray: Option<TrayIcon>,
        /// The menu.
        rendered: Rendered,
    },
    /// credtray's own StatusNotifierItem.
    #[cfg(target_os = "linux")]
    Sni(super::sni::SniFront),
}

impl Front {
    /// Puts the icon and `model`'s menu on screen; a click on an entry calls `on_click`
    /// (on another thread for the StatusNotifierItem; the `muda` menu reports through its
    /// own event handler, set by the caller).
    pub fn open(
        model: Menu,
        icons: &Icons,
        rt: &tokio::runtime::Handle,
        on_click: std::sync::Arc<dyn Fn(ItemId) + Send + Sync>,
    ) -> Result<Front, String> {
        #[cfg(target_os = "linux")]
        {
            use super::sni::{Choice, Pixmaps, SniFront};
            let choice = Choice::from_env();
            if choice != Choice::AppIndicator {
                let pixmaps = std::sync::Arc::new(Pixmaps::load());
                match SniFront::spawn(rt, model.clone(), pixmaps, on_click, choice == Choice::Sni) {
                    Ok(f) => {
                        tracing::info!("tray: credtray's own StatusNotifierItem");
                        return Ok(Front::Sni(f));
                    }
                    Err(e) => tracing::info!(
                        "tray: no StatusNotifier host ({e}); libayatana-appindicator instead"
                    ),
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (rt, on_click);
        Self::open_muda(model, icons)
    }

    fn open_muda(model: Menu, icons: &Icons) -> Result<Front, String> {
        let t = std::time::Instant::now();
        let rendered =
            Rendered::new(model).map_err(|e| format!("cannot build the tray menu: {e}"))?;
        tracing::debug!(took = ?t.elapsed(), "menu items made");
        #[cfg(target_os = "linux")]
        {
            use muda::ContextMenu;
            let _ = rendered.root.gtk_context_menu();
            tracing::debug!(took = ?t.elapsed(), "GTK menu made");
        }
        let tray = TrayIconBuilder::new()
            .with_id("credtray")
            .with_menu(Box::new(rendered.root.clone()))
            .with_icon(icons.get(rendered.model().icon))
            .with_tooltip(&rendered.model().tooltip)
            // No title: tray-icon shows it as text beside the icon (the indicator's label
            // on Linux panels that draw labels, the status item's title in the macOS menu
            // bar), where other apps show their icon alone.
            .build()
            .map_err(|e| tracing::error!("cannot show the tray icon: {e}"))
            .ok();
        Ok(Front::Muda { tray, rendered })
    }

    /// Shows `model`, changing only what differs.
    pub fn show(&mut self, model: Menu) -> Result<Update, String> {
        match self {
            Front::Muda { tray, rendered } => {
                let tooltip = model.tooltip.clone();
                let update = rendered.update(model).map_err(|e| e.to_string());
                if let Some(t) = tray {
                    let _ = t.set_tooltip(Some(tooltip));
                }
                update
            }
            // ksni makes its whole flattened menu again on each change (and signals only
            // what differs): the old one is freed memory, as after a restructure.
            #[cfg(target_os = "linux")]
            Front::Sni(f) => Ok(if f.show(model) {
                Update::Restructured
            } else {
                Update::Unchanged
            }),
        }
    }

    /// Shows the icon for `icon`.
    pub fn set_icon(&mut self, icon: IconState, icons: &Icons) {
        match self {
            Front::Muda { tray, .. } => {
                if let Some(t) = tray {
                    if let Err(e) = t.set_icon(Some(icons.get(icon))) {
                        tracing::warn!("cannot change the tray icon: {e}");
                    }
                }
            }
            #[cfg(target_os = "linux")]
            Front::Sni(f) => f.set_icon(icon),
        }
    }

    /// Puts a check item's mark back to the model's (GTK flips it on a click; the state
    /// decides it).
    pub fn reset_check(&self, id: &ItemId) {
        match self {
            Front::Muda { rendered, .. } => rendered.reset_check(id),
            #[cfg(target_os = "linux")]
            Front::Sni(_) => {}
        }
    }

    /// Takes the icon off the screen (quitting).
    pub fn close(&mut self) {
        match self {
            Front::Muda { tray, .. } => *tray = None,
            #[cfg(target_os = "linux")]
            Front::Sni(f) => f.shutdown(),
        }
    }
}

//! The tray's icon and menu exported by credtray itself over D-Bus (Linux): a
//! StatusNotifierItem with its menu on `com.canonical.dbusmenu`, through `ksni`, straight
//! from the pure menu model ([`Menu`]). No GTK widget is made per menu item: with a
//! thousand sessions the GTK menu and libdbusmenu's copy of it held ~13 MB of the tray's
//! memory, this holds the model and its flattened D-Bus form.
//!
//! Used where a StatusNotifier host runs (KDE Plasma, XFCE, Cinnamon, MATE, GNOME with the
//! AppIndicator extension, …): [`SniFront::spawn`] fails when there is none and the tray
//! falls back to `tray-icon` (libayatana-appindicator, which docks into XEmbed trays).
//! `CREDTRAY_TRAY=sni` uses this one even with no host yet (the menu is exported and the
//! item registers when a host appears); `CREDTRAY_TRAY=appindicator` never uses it.
//!
//! Labels are escaped for dbusmenu, where `_` marks an access key: `__` shows one `_`.
//! A click is reported through the callback given to [`SniFront::spawn`], on ksni's task;
//! the check marks shown are always the model's (nothing flips locally).

use std::sync::Arc;

use ksni::menu::{CheckmarkItem, StandardItem, SubMenu};
use ksni::{Category, Icon, MenuItem, Status, ToolTip, Tray, TrayMethods};

use super::icons;
use super::menu::{Entry, IconState, ItemId, Menu};

/// What a click on an entry calls.
pub type OnClick = Arc<dyn Fn(ItemId) + Send + Sync>;

/// The tray as ksni sees it: the model, the icon state and the pixmaps.
pub struct SniTray {
    menu: Menu,
    icon: IconState,
    pixmaps: Arc<Pixmaps>,
    on_click: OnClick,
}

/// The three icons as StatusNotifierItem pixmaps (ARGB32, network byte order).
pub struct Pixmaps {
    idle: Vec<Icon>,
    active: Vec<Icon>,
    attention: Vec<Icon>,
}

impl Pixmaps {
    /// Decodes the built-in icons.
    pub fn load() -> Pixmaps {
        let one = |state| {
            let (rgba, width, height) = icons::rgba(state);
            vec![Icon {
                width: i32::try_from(width).unwrap_or(0),
                height: i32::try_from(height).unwrap_or(0),
                data: argb(&rgba),
            }]
        };
        Pixmaps {
            idle: one(IconState::Idle),
            active: one(IconState::Active),
            attention: one(IconState::Attention),
        }
    }

    fn get(&self, state: IconState) -> Vec<Icon> {
        match state {
            IconState::Idle => self.idle.clone(),
            IconState::Active => self.active.clone(),
            IconState::Attention => self.attention.clone(),
        }
    }
}

/// RGBA pixels as ARGB32 in network byte order, as the StatusNotifierItem spec wants.
pub fn argb(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| [p[3], p[0], p[1], p[2]])
        .collect()
}

/// A label as dbusmenu shows it as written: `_` (an access-key marker there) doubled.
pub fn label(text: &str) -> String {
    text.replace('_', "__")
}

/// The model's entries as ksni's menu items; a click calls `on_click` with the entry's id.
pub fn items(entries: &[Entry]) -> Vec<MenuItem<SniTray>> {
    entries
        .iter()
        .map(|e| match e {
            Entry::Submenu { label: l, children } => SubMenu {
                label: label(l),
                submenu: items(children),
                ..Default::default()
            }
            .into(),
            Entry::Check {
                id,
                label: l,
                checked,
                enabled,
            } => {
                let id = *id;
                CheckmarkItem {
                    label: label(l),
                    checked: *checked,
                    enabled: *enabled,
                    activate: Box::new(move |t: &mut SniTray| (t.on_click)(id)),
                    ..Default::default()
                }
                .into()
            }
            Entry::Item {
                id,
                label: l,
                enabled,
            } => {
                let id = *id;
                StandardItem {
                    label: label(l),
                    enabled: *enabled,
                    activate: Box::new(move |t: &mut SniTray| (t.on_click)(id)),
                    ..Default::default()
                }
                .into()
            }
            Entry::Separator => MenuItem::Separator,
        })
        .collect()
}

impl Tray for SniTray {
    // A click on the icon opens the menu, as with libayatana-appindicator.
    const MENU_ON_ACTIVATE: bool = true;

    fn id(&self) -> String {
        "credtray".into()
    }

    fn title(&self) -> String {
        "credtray".into()
    }

    fn category(&self) -> Category {
        Category::ApplicationStatus
    }

    fn status(&self) -> Status {
        match self.icon {
            IconState::Attention => Status::NeedsAttention,
            IconState::Idle | IconState::Active => Status::Active,
        }
    }

    fn icon_pixmap(&self) -> Vec<Icon> {
        self.pixmaps.get(self.icon)
    }

    fn attention_icon_pixmap(&self) -> Vec<Icon> {
        self.pixmaps.get(IconState::Attention)
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: self.menu.tooltip.clone(),
            ..Default::default()
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        items(&self.menu.entries)
    }
}

/// Which tray front the user asked for (`CREDTRAY_TRAY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// This one where a StatusNotifier host runs, libayatana-appindicator otherwise.
    Auto,
    /// This one, even with no host yet.
    Sni,
    /// libayatana-appindicator only.
    AppIndicator,
}

impl Choice {
    /// From `CREDTRAY_TRAY` (`sni`, `appindicator`; anything else is `Auto`).
    pub fn from_env() -> Choice {
        match std::env::var("CREDTRAY_TRAY").as_deref() {
            Ok("sni") => Choice::Sni,
            Ok("appindicator") => Choice::AppIndicator,
            _ => Choice::Auto,
        }
    }
}

/// The running StatusNotifierItem.
pub struct SniFront {
    handle: ksni::Handle<SniTray>,
    rt: tokio::runtime::Handle,
    menu: Menu,
}

impl SniFront {
    /// Exports the icon and `menu`; fails when no StatusNotifier host runs (unless
    /// `assume_host`) or the bus cannot be reached. Call from outside the runtime's threads.
    pub fn spawn(
        rt: &tokio::runtime::Handle,
        menu: Menu,
        pixmaps: Arc<Pixmaps>,
        on_click: OnClick,
        assume_host: bool,
    ) -> Result<SniFront, String> {
        let tray = SniTray {
            icon: menu.icon,
            menu: menu.clone(),
            pixmaps,
            on_click,
        };
        let handle = rt
            .block_on(tray.assume_sni_available(assume_host).spawn())
            .map_err(|e| e.to_string())?;
        Ok(SniFront {
            handle,
            rt: rt.clone(),
            menu,
        })
    }

    /// Shows `menu` (and its icon and tooltip): the item's properties and the menu's
    /// changed entries are signalled, or its new layout. Whether anything changed.
    pub fn show(&mut self, menu: Menu) -> bool {
        if menu == self.menu {
            return false;
        }
        self.menu = menu.clone();
        self.rt.block_on(self.handle.update(move |t| {
            t.icon = menu.icon;
            t.menu = menu;
        }));
        true
    }

    /// Shows another icon.
    pub fn set_icon(&mut self, icon: IconState) {
        self.menu.icon = icon;
        self.rt.block_on(self.handle.update(move |t| t.icon = icon));
    }

    /// Takes the item off the bus (waiting a second at most).
    pub fn shutdown(&self) {
        let done = self.handle.shutdown();
        // The timer is made inside the runtime's context.
        let _ = self.rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(1), done).await
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn labels_double_underscores_only() {
        assert_eq!(label("my_alias · iam-user"), "my__alias · iam-user");
        assert_eq!(label("a&b <c>"), "a&b <c>");
    }

    #[test]
    fn pixels_go_from_rgba_to_argb() {
        assert_eq!(
            argb(&[1, 2, 3, 4, 5, 6, 7, 8]),
            vec![4, 1, 2, 3, 8, 5, 6, 7]
        );
    }

    #[test]
    fn the_model_maps_entry_for_entry_and_a_click_reports_its_id() {
        let id = Uuid::new_v4();
        let entries = vec![
            Entry::Submenu {
                label: "● dev_ops".into(),
                children: vec![Entry::Check {
                    id: ItemId::ToggleSession(id),
                    label: "alice".into(),
                    checked: true,
                    enabled: true,
                }],
            },
            Entry::Separator,
            Entry::Item {
                id: ItemId::Quit,
                label: "Quit".into(),
                enabled: false,
            },
        ];
        let got = items(&entries);
        assert_eq!(got.len(), 3);
        let clicked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = clicked.clone();
        let mut tray = SniTray {
            menu: Menu {
                entries: entries.clone(),
                icon: IconState::Active,
                tooltip: "credtray".into(),
            },
            icon: IconState::Active,
            pixmaps: Arc::new(Pixmaps::load()),
            on_click: Arc::new(move |id| seen.lock().unwrap().push(id)),
        };
        match &got[0] {
            MenuItem::SubMenu(s) => {
                assert_eq!(s.label, "● dev__ops");
                match &s.submenu[0] {
                    MenuItem::Checkmark(c) => {
                        assert!(c.checked && c.enabled);
                        (c.activate)(&mut tray);
                    }
                    _ => panic!("not a check item"),
                }
            }
            _ => panic!("not a submenu"),
        }
        assert!(matches!(got[1], MenuItem::Separator));
        match &got[2] {
            MenuItem::Standard(i) => assert!(!i.enabled && i.label == "Quit"),
            _ => panic!("not an item"),
        }
        assert_eq!(*clicked.lock().unwrap(), vec![ItemId::ToggleSession(id)]);
        assert_eq!(tray.status(), Status::Active);
        assert_eq!(tray.icon_pixmap()[0].data.len() % 4, 0);
    }
}

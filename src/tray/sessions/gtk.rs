//! The Sessions window in GTK 3 (Linux). See mod.rs for the contract.
//!
//! One `GtkListBox` holds a row per session; the rows are made once and then kept: an
//! update compares the new [`SessionsModel`] with what each row shows and changes only the
//! labels and switches that differ, removes the rows of sessions that went, makes rows for
//! new ones, and moves only the rows whose place changed (those outside a longest
//! increasing subsequence of the old places). The search filters with the list box's own
//! filter function, from a visibility computed in Rust beforehand; the profile headers come
//! from its header function. Both read a side table (`Tags`) that is never borrowed
//! mutably while GTK runs, since GTK calls them from inside `insert`, `remove` and
//! `invalidate_filter`.
//!
//! Names from users reach GTK through `gtk_label_new` / `set_text` only: never as markup.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::{Rc, Weak};

use gtk::gdk;
use gtk::glib;
use gtk::pango;
use gtk::prelude::*;
use uuid::Uuid;

use super::model::{Filter, Row, RowState, SessionAction, SessionsModel};
use super::TITLE;
use crate::model::State;

/// Up to how many rows a change is shown row by row (`gtk_list_box_row_changed`) rather
/// than by refiltering the whole list.
const ROW_BY_ROW: usize = 32;

/// The window's default size.
const DEFAULT_SIZE: (i32, i32) = (760, 620);

/// The window's own styles, under class names of its own.
const CSS: &str = "
.credtray-sessions .credtray-alias { font-weight: bold; }
.credtray-sessions .credtray-detail { font-size: smaller; }
.credtray-sessions .credtray-state { font-size: smaller; }
.credtray-sessions .credtray-state-active { color: #1c7c45; }
.credtray-sessions .credtray-state-needs { color: #c01c28; font-weight: bold; }
.credtray-sessions .credtray-state-expired { color: #a55200; }
.credtray-sessions .credtray-header { padding: 14px 12px 4px 12px; }
.credtray-sessions .credtray-header-name { font-weight: bold; }
.credtray-sessions .credtray-header-count { font-size: smaller; }
.credtray-sessions .credtray-more { padding: 2px 8px; min-height: 0; }
.credtray-sessions .credtray-footer { padding: 6px 12px; font-size: smaller; }
";

/// The Sessions window. Made once, hidden until [`SessionsWindow::present`]; closing it
/// hides it. Lives on the thread that runs GTK.
pub struct SessionsWindow {
    inner: Rc<Inner>,
}

/// What the list box's filter and header functions read: per row, its session, its
/// profile and whether the search keeps it. Mutated only while no GTK call is under way.
type Tags = Rc<RefCell<HashMap<gtk::ListBoxRow, Tag>>>;

/// What [`SessionsWindow::connect_filtered`] is given.
type FilteredHook = Box<dyn Fn(usize)>;

#[derive(Clone)]
struct Tag {
    id: Uuid,
    profile: Rc<str>,
    visible: bool,
}

struct Inner {
    window: gtk::Window,
    entry: gtk::SearchEntry,
    list: gtk::ListBox,
    status: gtk::Label,
    tags: Tags,
    /// Header texts by profile (`12 sessions · 1 active`), read by the header function.
    counts: Rc<RefCell<HashMap<Rc<str>, String>>>,
    on_action: Box<dyn Fn(SessionAction)>,
    /// Called with the number of rows shown after every change of the search or the rows.
    on_filtered: RefCell<Option<FilteredHook>>,
    data: RefCell<Data>,
    /// Set while the window itself sets a switch: its handler lets that through.
    resetting: Cell<bool>,
    /// The action menu on screen, kept alive while it shows.
    menu: RefCell<Option<gtk::Menu>>,
}

#[derive(Default)]
struct Data {
    model: SessionsModel,
    filter: Filter,
    /// The row widgets by session.
    rows: HashMap<Uuid, RowWidgets>,
    /// The sessions in list order.
    order: Vec<Uuid>,
    /// How many rows the search keeps.
    visible: usize,
}

struct RowWidgets {
    row: gtk::ListBoxRow,
    alias: gtk::Label,
    detail: gtk::Label,
    state: gtk::Label,
    switch: gtk::Switch,
    more: gtk::Button,
    /// What the widgets show.
    shown: Row,
}

impl SessionsWindow {
    /// Makes the window (hidden, and empty until [`SessionsWindow::update`]); what the user
    /// asks for goes to `on_action`, on this thread. GTK must be initialised.
    pub fn new(on_action: Box<dyn Fn(SessionAction)>) -> SessionsWindow {
        install_css();
        let window = gtk::Window::new(gtk::WindowType::Toplevel);
        window.set_title(TITLE);
        window.set_default_size(DEFAULT_SIZE.0, DEFAULT_SIZE.1);
        window.set_position(gtk::WindowPosition::Center);
        window.style_context().add_class("credtray-sessions");

        let outer = gtk::Box::new(gtk::Orientation::Vertical, 0);
        let entry = gtk::SearchEntry::new();
        entry.set_placeholder_text(Some("Search alias, profile, account, role or kind"));
        entry.set_margin_top(10);
        entry.set_margin_bottom(10);
        entry.set_margin_start(12);
        entry.set_margin_end(12);
        outer.pack_start(&entry, false, false, 0);
        outer.pack_start(
            &gtk::Separator::new(gtk::Orientation::Horizontal),
            false,
            false,
            0,
        );

        let list = gtk::ListBox::new();
        list.set_selection_mode(gtk::SelectionMode::Single);
        // A click selects; a double click (or Enter, or the switch) starts or stops.
        list.set_activate_on_single_click(false);
        let placeholder = gtk::Label::new(Some("No session matches the search"));
        placeholder.style_context().add_class("dim-label");
        placeholder.set_margin_top(24);
        placeholder.set_margin_bottom(24);
        placeholder.show();
        list.set_placeholder(Some(&placeholder));
        let scroller = gtk::ScrolledWindow::new(gtk::Adjustment::NONE, gtk::Adjustment::NONE);
        scroller.set_policy(gtk::PolicyType::Never, gtk::PolicyType::Automatic);
        scroller.add(&list);
        outer.pack_start(&scroller, true, true, 0);

        outer.pack_start(
            &gtk::Separator::new(gtk::Orientation::Horizontal),
            false,
            false,
            0,
        );
        let footer = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        footer.style_context().add_class("credtray-footer");
        let status = gtk::Label::new(None);
        status.set_xalign(0.0);
        status.set_ellipsize(pango::EllipsizeMode::End);
        let hint = gtk::Label::new(Some(
            "↑↓ move · Enter start/stop · Shift+F10 actions · Esc clear",
        ));
        hint.style_context().add_class("dim-label");
        hint.set_ellipsize(pango::EllipsizeMode::Start);
        footer.pack_start(&status, true, true, 0);
        footer.pack_end(&hint, false, false, 0);
        outer.pack_start(&footer, false, false, 0);
        window.add(&outer);
        outer.show_all();

        let inner = Rc::new(Inner {
            window,
            entry,
            list,
            status,
            tags: Rc::default(),
            counts: Rc::default(),
            on_action,
            on_filtered: RefCell::new(None),
            data: RefCell::default(),
            resetting: Cell::new(false),
            menu: RefCell::new(None),
        });
        inner.connect();
        SessionsWindow { inner }
    }

    /// Shows `state`'s sessions, with those in `needs_user` marked. Keeps the search text,
    /// the selection and the focus; changes only the rows that differ from what they show.
    pub fn update(&self, state: &State, needs_user: &BTreeSet<Uuid>) {
        self.inner.apply(SessionsModel::build(state, needs_user));
    }

    /// Shows the window (or raises it), with the keyboard in the search box. Returns
    /// `true`: there is a window on this platform.
    pub fn present(&self) -> bool {
        let inner = &self.inner;
        inner.window.show();
        inner.window.present();
        inner.entry.grab_focus();
        true
    }

    /// Whether the window is on screen.
    pub fn is_visible(&self) -> bool {
        self.inner.window.is_visible()
    }

    /// Hides the window (as closing it does).
    pub fn hide(&self) {
        self.inner.window.hide();
    }

    /// Sets the search text, as if typed (the list is filtered before this returns).
    pub fn search(&self, text: &str) {
        self.inner.entry.set_text(text);
        // `changed` has filtered already; this covers setting the same text again.
        self.inner.refilter();
    }

    /// How many sessions the search keeps.
    pub fn visible_count(&self) -> usize {
        self.inner.data.borrow().visible
    }

    /// The selected session, if any.
    pub fn selected(&self) -> Option<Uuid> {
        self.inner.selected_visible()
    }

    /// Calls `f` with the number of sessions shown after every change of the search or of
    /// the rows (for tests and benchmarks).
    pub fn connect_filtered(&self, f: Box<dyn Fn(usize)>) {
        *self.inner.on_filtered.borrow_mut() = Some(f);
    }

    /// The window itself (to set its icon, its transient parent…).
    pub fn window(&self) -> &gtk::Window {
        &self.inner.window
    }
}

/// Adds the window's styles to the default screen, once per process.
fn install_css() {
    thread_local! {
        static DONE: Cell<bool> = const { Cell::new(false) };
    }
    if DONE.with(|d| d.replace(true)) {
        return;
    }
    let provider = gtk::CssProvider::new();
    if let Err(e) = provider.load_from_data(CSS.as_bytes()) {
        tracing::warn!("the Sessions window's styles do not load: {e}");
        return;
    }
    if let Some(screen) = gdk::Screen::default() {
        gtk::StyleContext::add_provider_for_screen(
            &screen,
            &provider,
            gtk::STYLE_PROVIDER_PRIORITY_APPLICATION,
        );
    }
}

impl Inner {
    /// Connects the window's signals (each holding the window weakly).
    fn connect(self: &Rc<Self>) {
        self.connect_list_funcs();
        let weak = Rc::downgrade(self);
        self.entry.connect_changed(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.refilter();
            }
        });
        let weak = Rc::downgrade(self);
        self.entry.connect_activate(move |_| {
            let Some(inner) = weak.upgrade() else { return };
            // Enter in the search box: the one row left, else the selected row.
            let target = inner.single_visible().or_else(|| inner.selected_visible());
            match target {
                Some(id) => inner.emit(SessionAction::Toggle(id)),
                None => tracing::debug!("Enter in the search box: no single or selected row"),
            }
        });
        let weak = Rc::downgrade(self);
        self.list.connect_row_activated(move |_, row| {
            let Some(inner) = weak.upgrade() else { return };
            let id = inner.tags.borrow().get(row).map(|t| t.id);
            if let Some(id) = id {
                inner.emit(SessionAction::Toggle(id));
            }
        });
        self.window.connect_delete_event(|window, _| {
            window.hide();
            glib::Propagation::Stop
        });
        let weak = Rc::downgrade(self);
        self.window
            .connect_key_press_event(move |_, event| match weak.upgrade() {
                Some(inner) => inner.key_press(event),
                None => glib::Propagation::Proceed,
            });
    }

    /// Hands `action` to the caller (no borrow held: it may call `update`).
    fn emit(&self, action: SessionAction) {
        (self.on_action)(action);
    }

    /// The window's keyboard, seen before the focused widget: typing goes to the search
    /// box, arrows cross between it and the list, Enter toggles, Shift+F10 or Menu opens
    /// the actions, Escape clears the search and then hides.
    fn key_press(self: &Rc<Self>, event: &gdk::EventKey) -> glib::Propagation {
        use gdk::keys::constants as key;
        let keyval = event.keyval();
        let mods = event.state()
            & (gdk::ModifierType::CONTROL_MASK
                | gdk::ModifierType::MOD1_MASK
                | gdk::ModifierType::SUPER_MASK
                | gdk::ModifierType::SHIFT_MASK);
        let focus = self.window.focused_widget();
        let in_entry = focus
            .as_ref()
            .is_some_and(|w| w == self.entry.upcast_ref::<gtk::Widget>());
        let focus_row = focus.as_ref().and_then(|w| self.row_of(w));

        if keyval == key::Escape {
            if !self.entry.text().is_empty() {
                self.entry.set_text("");
                self.entry.grab_focus_without_selecting();
            } else {
                self.window.hide();
            }
            return glib::Propagation::Stop;
        }
        let menu_key =
            keyval == key::Menu || (keyval == key::F10 && mods == gdk::ModifierType::SHIFT_MASK);
        if menu_key {
            let target = focus_row
                .as_ref()
                .and_then(|r| self.tags.borrow().get(r).map(|t| t.id))
                .or_else(|| self.selected_visible())
                .or_else(|| self.single_visible());
            if let Some(id) = target {
                self.open_menu(id, Some(event));
            }
            return glib::Propagation::Stop;
        }
        let down = keyval == key::Down || keyval == key::KP_Down;
        let up = keyval == key::Up || keyval == key::KP_Up;
        if in_entry && (down || up) && mods.is_empty() {
            let target = self.selected_visible().or_else(|| {
                if down {
                    self.first_visible()
                } else {
                    self.last_visible()
                }
            });
            if let Some(id) = target {
                self.focus_row(id);
            }
            return glib::Propagation::Stop;
        }
        if up && mods.is_empty() {
            if let Some(row) = &focus_row {
                let first = self.first_visible();
                let id = self.tags.borrow().get(row).map(|t| t.id);
                if id.is_some() && id == first {
                    self.entry.grab_focus_without_selecting();
                    return glib::Propagation::Stop;
                }
            }
        }
        if keyval == key::f && mods == gdk::ModifierType::CONTROL_MASK {
            self.entry.grab_focus();
            return glib::Propagation::Stop;
        }
        if !in_entry {
            let typed = keyval
                .to_unicode()
                .is_some_and(|c| !c.is_control() && c != ' ');
            let plain = (mods - gdk::ModifierType::SHIFT_MASK).is_empty();
            if plain && (typed || keyval == key::BackSpace) {
                // The key goes on to the focus widget, which is now the search box.
                self.entry.grab_focus_without_selecting();
                self.entry.set_position(-1);
            }
        }
        glib::Propagation::Proceed
    }

    /// Selects the row of `id`, scrolls to it and gives it the keyboard.
    fn focus_row(&self, id: Uuid) {
        let row = self.data.borrow().rows.get(&id).map(|w| w.row.clone());
        if let Some(row) = row {
            self.list.select_row(Some(&row));
            row.grab_focus();
        }
    }

    /// The selected session, when the search shows it.
    fn selected_visible(&self) -> Option<Uuid> {
        let row = self.list.selected_row()?;
        let tags = self.tags.borrow();
        tags.get(&row).filter(|t| t.visible).map(|t| t.id)
    }

    /// The one session the search shows, when it shows exactly one.
    fn single_visible(&self) -> Option<Uuid> {
        let data = self.data.borrow();
        if data.visible != 1 {
            return None;
        }
        data.model
            .rows
            .iter()
            .find(|r| data.filter.matches(r))
            .map(|r| r.id)
    }

    fn first_visible(&self) -> Option<Uuid> {
        let data = self.data.borrow();
        data.model
            .rows
            .iter()
            .find(|r| data.filter.matches(r))
            .map(|r| r.id)
    }

    fn last_visible(&self) -> Option<Uuid> {
        let data = self.data.borrow();
        data.model
            .rows
            .iter()
            .rev()
            .find(|r| data.filter.matches(r))
            .map(|r| r.id)
    }

    /// Applies the search box's text to the rows.
    fn refilter(&self) {
        let filter = Filter::new(&self.entry.text());
        {
            let mut data = self.data.borrow_mut();
            if data.filter == filter && !data.order.is_empty() {
                drop(data);
                self.report_filtered();
                return;
            }
            data.filter = filter;
        }
        let changed = self.mark_visibility();
        self.reveal(changed);
        self.refresh_counts();
        self.report_filtered();
    }

    /// Sets each row's tag to what the search says; the rows whose tag changed.
    fn mark_visibility(&self) -> Vec<gtk::ListBoxRow> {
        let mut data = self.data.borrow_mut();
        let data = &mut *data;
        let mut tags = self.tags.borrow_mut();
        let mut changed = Vec::new();
        let mut visible = 0;
        for r in &data.model.rows {
            let keep = data.filter.matches(r);
            visible += usize::from(keep);
            let Some(w) = data.rows.get(&r.id) else {
                continue;
            };
            if let Some(tag) = tags.get_mut(&w.row) {
                if tag.visible != keep {
                    tag.visible = keep;
                    changed.push(w.row.clone());
                }
            }
        }
        data.visible = visible;
        changed
    }

    /// Has the list box look again at the filter and headers of `rows`: row by row when
    /// they are few, else all at once.
    fn reveal(&self, rows: Vec<gtk::ListBoxRow>) {
        if rows.len() > ROW_BY_ROW {
            self.list.invalidate_filter();
        } else {
            for row in rows {
                row.changed();
            }
        }
    }

    /// The row of ours that `w` is in (or is).
    fn row_of(&self, w: &gtk::Widget) -> Option<gtk::ListBoxRow> {
        let row = w
            .ancestor(gtk::ListBoxRow::static_type())?
            .downcast::<gtk::ListBoxRow>()
            .ok()?;
        self.tags.borrow().contains_key(&row).then_some(row)
    }

    fn report_filtered(&self) {
        let visible = self.data.borrow().visible;
        if let Some(f) = &*self.on_filtered.borrow() {
            f(visible);
        }
    }

    /// The header texts and the status line, from the rows and the search.
    fn refresh_counts(&self) {
        let data = self.data.borrow();
        // Per profile: sessions, active, kept by the search; and its first kept row.
        let mut per: Vec<(usize, usize, usize, Option<Uuid>)> =
            vec![(0, 0, 0, None); data.model.profiles.len()];
        let (mut active, mut needy) = (0, 0);
        for r in &data.model.rows {
            let p = &mut per[r.group];
            p.0 += 1;
            if r.is_active() {
                p.1 += 1;
                active += 1;
            }
            if matches!(r.state, RowState::NeedsYou { .. }) {
                needy += 1;
            }
            if data.filter.matches(r) {
                p.2 += 1;
                p.3.get_or_insert(r.id);
            }
        }
        let searching = !data.filter.is_empty();
        let mut counts = HashMap::with_capacity(per.len());
        for (profile, &(total, on, kept, _)) in data.model.profiles.iter().zip(&per) {
            let mut text = if searching {
                format!("{kept} of {total}")
            } else {
                plural(total, "session", "sessions")
            };
            if on > 0 {
                text.push_str(&format!(" · {on} active"));
            }
            counts.insert(Rc::<str>::from(profile.as_str()), text);
        }
        // The headers on screen (each on its profile's first kept row).
        for (profile, &(_, _, _, first)) in data.model.profiles.iter().zip(&per) {
            let Some(w) = first.and_then(|id| data.rows.get(&id)) else {
                continue;
            };
            let Some(h) = w.row.header() else { continue };
            let text = &counts[profile.as_str()];
            if let Some(label) = h
                .downcast_ref::<gtk::Box>()
                .and_then(|b| b.children().pop())
                .and_then(|c| c.downcast::<gtk::Label>().ok())
            {
                if label.text() != text.as_str() {
                    label.set_text(text);
                }
            }
        }
        *self.counts.borrow_mut() = counts;

        let total = data.model.rows.len();
        let mut status = if searching {
            format!(
                "{} of {} match",
                thousands(data.visible),
                plural(total, "session", "sessions")
            )
        } else {
            plural(total, "session", "sessions")
        };
        if active > 0 {
            status.push_str(&format!(" · {} active", thousands(active)));
        }
        if needy > 0 {
            let verb = if needy == 1 { "needs" } else { "need" };
            status.push_str(&format!(" · {} {verb} you", thousands(needy)));
        }
        if self.status.text() != status.as_str() {
            self.status.set_text(&status);
        }
    }

    /// Brings the rows to `model`, touching only what differs.
    fn apply(self: &Rc<Self>, model: SessionsModel) {
        let selected = self.selected_visible().or_else(|| {
            let row = self.list.selected_row()?;
            self.tags.borrow().get(&row).map(|t| t.id)
        });
        let focused_row = self
            .window
            .focused_widget()
            .and_then(|w| self.row_of(&w))
            .and_then(|row| self.tags.borrow().get(&row).map(|t| t.id));

        let mut data = self.data.borrow_mut();
        let filter = data.filter.clone();
        let wanted: HashSet<Uuid> = model.rows.iter().map(|r| r.id).collect();

        // Sessions that went: their rows leave the list.
        let gone: Vec<Uuid> = data
            .order
            .iter()
            .copied()
            .filter(|id| !wanted.contains(id))
            .collect();
        for id in &gone {
            if let Some(w) = data.rows.remove(id) {
                self.list.remove(&w.row);
                self.tags.borrow_mut().remove(&w.row);
            }
        }
        data.order.retain(|id| wanted.contains(id));

        // Rows that stay show the new values; new sessions get rows (not in the list yet).
        let mut regrouped = Vec::new();
        let mut fresh = Vec::new();
        self.resetting.set(true);
        for r in &model.rows {
            match data.rows.get_mut(&r.id) {
                Some(w) => {
                    refresh_row(w, r);
                    let mut tags = self.tags.borrow_mut();
                    if let Some(tag) = tags.get_mut(&w.row) {
                        if *tag.profile != *r.profile {
                            tag.profile = Rc::from(r.profile.as_str());
                            regrouped.push(w.row.clone());
                        }
                    }
                }
                None => {
                    let w = self.make_row(r);
                    self.tags.borrow_mut().insert(
                        w.row.clone(),
                        Tag {
                            id: r.id,
                            profile: Rc::from(r.profile.as_str()),
                            visible: filter.matches(r),
                        },
                    );
                    data.rows.insert(r.id, w);
                    fresh.push(r.id);
                }
            }
        }
        self.resetting.set(false);

        // Order: the rows outside a longest run already in order move; new rows go in.
        let new_order: Vec<Uuid> = model.rows.iter().map(|r| r.id).collect();
        let staying = in_order(&data.order, &new_order);
        let movers: Vec<Uuid> = data
            .order
            .iter()
            .copied()
            .filter(|id| !staying.contains(id))
            .collect();
        for id in &movers {
            self.list.remove(&data.rows[id].row);
        }
        let fresh: HashSet<Uuid> = fresh.into_iter().collect();
        if !fresh.is_empty() && data.order.is_empty() {
            // The first fill: rows appended in order, the filter and headers once at the
            // end rather than around each insertion.
            self.list.set_filter_func(None);
            self.list.set_header_func(None);
            for id in &new_order {
                self.list.add(&data.rows[id].row);
            }
            drop(data);
            self.connect_list_funcs();
            data = self.data.borrow_mut();
        } else {
            for (position, id) in new_order.iter().enumerate() {
                if fresh.contains(id) || movers.contains(id) {
                    self.list.insert(&data.rows[id].row, position as i32);
                }
            }
        }
        data.order = new_order;
        data.model = model;
        drop(data);

        let mut changed = self.mark_visibility();
        changed.extend(regrouped);
        self.reveal(changed);
        self.refresh_counts();

        // Keep the selection and the focus on the session they were on.
        if let Some(id) = selected {
            let row = self.data.borrow().rows.get(&id).map(|w| w.row.clone());
            if let Some(row) = row {
                if self.list.selected_row().as_ref() != Some(&row) {
                    self.list.select_row(Some(&row));
                }
            }
        }
        if let Some(id) = focused_row {
            let lost = self
                .window
                .focused_widget()
                .and_then(|w| self.row_of(&w))
                .is_none();
            if lost {
                self.focus_row(id);
            }
        }
        self.report_filtered();
    }

    /// The filter and header functions again, after a fill without them.
    fn connect_list_funcs(self: &Rc<Self>) {
        let tags = self.tags.clone();
        self.list.set_filter_func(Some(Box::new(move |row| {
            tags.borrow().get(row).is_none_or(|t| t.visible)
        })));
        let (tags, counts) = (self.tags.clone(), self.counts.clone());
        self.list.set_header_func(Some(Box::new(move |row, before| {
            let tags = tags.borrow();
            let Some(profile) = tags.get(row).map(|t| t.profile.clone()) else {
                return;
            };
            let first = before
                .and_then(|b| tags.get(b))
                .is_none_or(|t| t.profile != profile);
            drop(tags);
            if !first {
                if row.header().is_some() {
                    row.set_header(gtk::Widget::NONE);
                }
                return;
            }
            let current = row.header().map(|h| h.widget_name());
            if current.as_deref() != Some(&*profile) {
                let count = counts.borrow().get(&profile).cloned().unwrap_or_default();
                row.set_header(Some(&header(&profile, &count)));
            }
        })));
    }

    /// A row for `r`, with its signals.
    fn make_row(self: &Rc<Self>, r: &Row) -> RowWidgets {
        let row = gtk::ListBoxRow::new();
        let line = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        line.set_margin_top(6);
        line.set_margin_bottom(6);
        line.set_margin_start(12);
        line.set_margin_end(8);
        let text = gtk::Box::new(gtk::Orientation::Vertical, 2);
        let alias = gtk::Label::new(Some(&r.alias));
        alias.set_xalign(0.0);
        alias.set_ellipsize(pango::EllipsizeMode::End);
        alias.style_context().add_class("credtray-alias");
        let detail = gtk::Label::new(Some(&r.detail()));
        detail.set_xalign(0.0);
        detail.set_ellipsize(pango::EllipsizeMode::End);
        let style = detail.style_context();
        style.add_class("dim-label");
        style.add_class("credtray-detail");
        text.pack_start(&alias, false, false, 0);
        text.pack_start(&detail, false, false, 0);
        line.pack_start(&text, true, true, 0);

        let state = gtk::Label::new(Some(&r.state_label));
        state.set_xalign(1.0);
        state.style_context().add_class("credtray-state");
        state.style_context().add_class(state_class(r));
        line.pack_start(&state, false, false, 0);

        let switch = gtk::Switch::new();
        switch.set_active(r.is_active());
        switch.set_valign(gtk::Align::Center);
        line.pack_start(&switch, false, false, 0);

        let more = gtk::Button::with_label("⋯");
        more.set_relief(gtk::ReliefStyle::None);
        more.set_valign(gtk::Align::Center);
        more.set_focus_on_click(false);
        more.style_context().add_class("credtray-more");
        line.pack_start(&more, false, false, 0);
        row.add(&line);
        row.show_all();

        let id = r.id;
        let weak: Weak<Inner> = Rc::downgrade(self);
        switch.connect_state_set(move |switch, _| {
            let Some(inner) = weak.upgrade() else {
                return glib::Propagation::Proceed;
            };
            if inner.resetting.get() {
                return glib::Propagation::Proceed;
            }
            // A click asks; the switch keeps showing the state until an update says
            // otherwise.
            let switch = switch.clone();
            let weak = Rc::downgrade(&inner);
            glib::idle_add_local_full(glib::Priority::HIGH_IDLE, move || {
                if let Some(inner) = weak.upgrade() {
                    let on = inner
                        .data
                        .borrow()
                        .rows
                        .get(&id)
                        .is_some_and(|w| w.shown.is_active());
                    inner.resetting.set(true);
                    switch.set_active(on);
                    inner.resetting.set(false);
                }
                glib::ControlFlow::Break
            });
            inner.emit(SessionAction::Toggle(id));
            glib::Propagation::Stop
        });
        let weak: Weak<Inner> = Rc::downgrade(self);
        more.connect_clicked(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.open_menu(id, None);
            }
        });
        RowWidgets {
            row,
            alias,
            detail,
            state,
            switch,
            more,
            shown: r.clone(),
        }
    }

    /// Pops up the actions of `id` under its "⋯" button; `key` is the key press that asked
    /// (the first item is then selected).
    fn open_menu(self: &Rc<Self>, id: Uuid, key: Option<&gdk::EventKey>) {
        let (row, button, active) = {
            let data = self.data.borrow();
            let Some(w) = data.rows.get(&id) else { return };
            (w.row.clone(), w.more.clone(), w.shown.is_active())
        };
        self.list.select_row(Some(&row));
        let menu = gtk::Menu::new();
        let items: [(&str, SessionAction); 7] = [
            (
                if active { "_Stop" } else { "_Start" },
                SessionAction::Toggle(id),
            ),
            ("_Edit…", SessionAction::Edit(id)),
            ("Change _profile…", SessionAction::ChangeProfile(id)),
            ("Change _region…", SessionAction::ChangeRegion(id)),
            ("Create _chained session…", SessionAction::CreateChained(id)),
            ("_Test credentials", SessionAction::Test(id)),
            ("Re_move…", SessionAction::Remove(id)),
        ];
        for (n, (label, action)) in items.into_iter().enumerate() {
            if n == 1 || n == 5 {
                menu.append(&gtk::SeparatorMenuItem::new());
            }
            let item = gtk::MenuItem::with_mnemonic(label);
            let weak = Rc::downgrade(self);
            item.connect_activate(move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.emit(action);
                }
            });
            menu.append(&item);
        }
        menu.show_all();
        let weak = Rc::downgrade(self);
        menu.connect_deactivate(move |_| {
            // Dropped after the activated item's handler has run.
            if let Some(inner) = weak.upgrade() {
                let weak = Rc::downgrade(&inner);
                glib::idle_add_local_once(move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.menu.borrow_mut().take();
                    }
                });
            }
        });
        let trigger: Option<gdk::Event> = key.map(|k| (**k).clone());
        menu.popup_at_widget(
            &button,
            gdk::Gravity::SouthEast,
            gdk::Gravity::NorthEast,
            trigger.as_ref(),
        );
        if key.is_some() {
            menu.select_first(false);
        }
        *self.menu.borrow_mut() = Some(menu);
    }
}

/// The CSS class of a row's state label.
fn state_class(r: &Row) -> &'static str {
    match r.state {
        RowState::NeedsYou { .. } => "credtray-state-needs",
        RowState::Active { .. } if r.state_label.starts_with("expired") => "credtray-state-expired",
        RowState::Active { .. } => "credtray-state-active",
        RowState::Stopped => "dim-label",
    }
}

/// Makes `w` show `r`, touching only what differs.
fn refresh_row(w: &mut RowWidgets, r: &Row) {
    if w.shown == *r {
        return;
    }
    if w.shown.alias != r.alias {
        w.alias.set_text(&r.alias);
    }
    let detail = r.detail();
    if w.shown.detail() != detail {
        w.detail.set_text(&detail);
    }
    if w.shown.state_label != r.state_label {
        w.state.set_text(&r.state_label);
    }
    let (old, new) = (state_class(&w.shown), state_class(r));
    if old != new {
        let style = w.state.style_context();
        style.remove_class(old);
        style.add_class(new);
    }
    if w.switch.is_active() != r.is_active() {
        w.switch.set_active(r.is_active());
    }
    w.shown = r.clone();
}

/// A profile's header: its name, then how many sessions (set by the caller later).
fn header(profile: &str, count: &str) -> gtk::Widget {
    let bar = gtk::Box::new(gtk::Orientation::Horizontal, 8);
    bar.set_widget_name(profile);
    bar.style_context().add_class("credtray-header");
    let name = gtk::Label::new(Some(profile));
    name.set_xalign(0.0);
    name.set_ellipsize(pango::EllipsizeMode::End);
    name.style_context().add_class("credtray-header-name");
    let count = gtk::Label::new(Some(count));
    count.set_xalign(0.0);
    let style = count.style_context();
    style.add_class("dim-label");
    style.add_class("credtray-header-count");
    bar.pack_start(&name, false, false, 0);
    bar.pack_start(&count, false, false, 0);
    bar.show_all();
    bar.upcast()
}

/// `1 session`, `1,000 sessions`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `1,000`.
fn thousands(n: usize) -> String {
    crate::tray::menu::thousands(n)
}

/// The ids of `old` that can stay where they are when the list becomes `new`: a longest
/// subsequence of `old` that is also in `new`'s order (patience sorting, O(n log n)).
fn in_order(old: &[Uuid], new: &[Uuid]) -> HashSet<Uuid> {
    let place: HashMap<Uuid, usize> = new.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    // The new places of the old rows, in old order.
    let seq: Vec<(usize, Uuid)> = old
        .iter()
        .filter_map(|id| place.get(id).map(|p| (*p, *id)))
        .collect();
    // tails[k]: index in `seq` of the smallest tail of an increasing run of length k+1.
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &(p, _)) in seq.iter().enumerate() {
        let k = tails.partition_point(|&t| seq[t].0 < p);
        prev[i] = k.checked_sub(1).map(|k| tails[k]);
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut keep = HashSet::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(i) = at {
        keep.insert(seq[i].1);
        at = prev[i];
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_in_order_stay_and_only_the_others_move() {
        let ids: Vec<Uuid> = (0..6).map(|_| Uuid::new_v4()).collect();
        let [a, b, c, d, e, f] = ids[..] else {
            unreachable!()
        };
        // Nothing changed: everything stays.
        assert_eq!(in_order(&ids, &ids).len(), 6);
        // One row moved from the end to the front: only it moves.
        let moved = in_order(&ids, &[f, a, b, c, d, e]);
        assert!(!moved.contains(&f) && moved.len() == 5);
        // One row moved from the front to the end: only it moves.
        let moved = in_order(&ids, &[b, c, d, e, f, a]);
        assert!(!moved.contains(&a) && moved.len() == 5);
        // Rows removed and added do not count.
        let g = Uuid::new_v4();
        let moved = in_order(&ids, &[a, g, c, e]);
        assert_eq!(moved, [a, c, e].into());
        // Reversed: one stays.
        assert_eq!(in_order(&ids, &[f, e, d, c, b, a]).len(), 1);
    }
}

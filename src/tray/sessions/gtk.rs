//! The Sessions window in GTK 3 (Linux). See mod.rs for the contract.
//!
//! The rows live in one `GtkListStore` (a header row per profile, then its sessions) shown
//! through a `GtkTreeModelFilter` by a `GtkTreeView` in fixed-height mode: GTK then sizes
//! and draws only the rows on screen, so opening the window with a thousand sessions
//! costs what a screenful does. (A `GtkListBox` with a widget tree per row took over a
//! second to open and ~50 MiB for a thousand rows: GTK styles and sizes every widget of
//! every row up front.)
//!
//! An update or a keystroke computes, in Rust, what each store row should hold (texts,
//! state, switch, whether the search keeps it) and writes only the cells that differ;
//! rows of new sessions are appended, rows of removed ones removed, and the order fixed
//! with one `reorder` when it changed. The filter follows the store's "visible" column, so
//! a keystroke costs one signal per row that appears or disappears.
//!
//! Each session row draws: alias (bold) over `kind · region · account / role` (dimmed), its
//! state in words, a switch (images of a real `GtkSwitch`, on and off, drawn once), and a
//! "⋯" that opens the session's action menu. Texts reach GTK as cell text, never as markup.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use gtk::cairo;
use gtk::gdk;
use gtk::glib;
use gtk::pango;
use gtk::prelude::*;
use uuid::Uuid;

use super::model::{action_menu, Filter, Row, RowState, SessionAction, SessionsModel};
use super::TITLE;
use crate::model::State;

/// The window's default size.
const DEFAULT_SIZE: (i32, i32) = (780, 640);

// The store's columns.
const COL_HEADER: u32 = 0;
const COL_KEY: u32 = 1;
const COL_TITLE: u32 = 2;
const COL_DETAIL: u32 = 3;
const COL_STATE: u32 = 4;
const COL_TONE: u32 = 5;
const COL_ACTIVE: u32 = 6;
const COL_VISIBLE: u32 = 7;

// Pango's font weights.
const WEIGHT_NORMAL: i32 = 400;
const WEIGHT_BOLD: i32 = 700;
const WEIGHT_HEAVY: i32 = 900;

/// A boolean cell of a row (`default` when unreadable).
fn flag(model: &gtk::TreeModel, iter: &gtk::TreeIter, column: u32, default: bool) -> bool {
    model.value(iter, column as i32).get().unwrap_or(default)
}

/// How a state label is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Tone {
    Stopped = 0,
    Active = 1,
    NeedsYou = 2,
    Expired = 3,
}

impl Tone {
    fn of(r: &Row) -> Tone {
        match r.state {
            RowState::NeedsYou { .. } => Tone::NeedsYou,
            RowState::Active { .. } if r.state_label.starts_with("expired") => Tone::Expired,
            RowState::Active { .. } => Tone::Active,
            RowState::Stopped => Tone::Stopped,
        }
    }

    fn from_u32(v: u32) -> Tone {
        match v {
            1 => Tone::Active,
            2 => Tone::NeedsYou,
            3 => Tone::Expired,
            _ => Tone::Stopped,
        }
    }

    /// The label's colour (none: the theme's, dimmed).
    fn colour(self) -> Option<&'static str> {
        match self {
            Tone::Active => Some("#1c7c45"),
            Tone::NeedsYou => Some("#c01c28"),
            Tone::Expired => Some("#a55200"),
            Tone::Stopped => None,
        }
    }
}

/// What a store row is: a profile's header or a session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Header(String),
    Session(Uuid),
}

impl Key {
    fn text(&self) -> String {
        match self {
            Key::Header(p) => p.clone(),
            Key::Session(id) => id.to_string(),
        }
    }
}

/// What a store row holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cells {
    title: String,
    detail: String,
    state: String,
    tone: Tone,
    active: bool,
    visible: bool,
}

/// A session row as the list shows it (see [`SessionsWindow::shown`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownRow {
    /// The session.
    pub id: Uuid,
    /// The profile header it is under.
    pub profile: String,
    /// The first line.
    pub alias: String,
    /// The dimmed second line.
    pub detail: String,
    /// The state in words.
    pub state: String,
    /// Whether its switch is on.
    pub on: bool,
}

/// The Sessions window. Made once, hidden until [`SessionsWindow::present`]; closing it
/// hides it. Lives on the thread that runs GTK.
pub struct SessionsWindow {
    inner: Rc<Inner>,
}

/// What [`SessionsWindow::connect_filtered`] is given.
type FilteredHook = Box<dyn Fn(usize)>;

struct Inner {
    window: gtk::Window,
    entry: gtk::SearchEntry,
    store: gtk::ListStore,
    filter: gtk::TreeModelFilter,
    tree: gtk::TreeView,
    switch_column: gtk::TreeViewColumn,
    more_column: gtk::TreeViewColumn,
    /// Shown over the list when it is empty.
    empty: gtk::Label,
    status: gtk::Label,
    on_action: Box<dyn Fn(SessionAction)>,
    on_filtered: RefCell<Option<FilteredHook>>,
    data: RefCell<Data>,
    /// The session the user selected last; selected again when the search shows it again.
    selected: Cell<Option<Uuid>>,
    /// Set while the window changes rows or the selection itself.
    quiet: Cell<bool>,
    /// The action menu on screen, kept alive while it shows.
    menu: RefCell<Option<gtk::Menu>>,
    /// The last update's state and sessions needing the user, while hidden.
    pending: RefCell<Option<(State, BTreeSet<Uuid>)>>,
}

#[derive(Default)]
struct Data {
    model: SessionsModel,
    filter: Filter,
    /// The store's rows in order.
    order: Vec<Key>,
    /// Their iterators (a list store's stay valid while the row exists).
    iters: HashMap<Key, gtk::TreeIter>,
    /// What each holds.
    cells: HashMap<Key, Cells>,
    /// How many sessions the search keeps.
    visible: usize,
}

impl SessionsWindow {
    /// Makes the window (hidden, and empty until [`SessionsWindow::update`]); what the user
    /// asks for goes to `on_action`, on this thread. GTK must be initialised.
    pub fn new(on_action: Box<dyn Fn(SessionAction)>) -> SessionsWindow {
        let window = gtk::Window::new(gtk::WindowType::Toplevel);
        window.set_title(TITLE);
        window.set_default_size(DEFAULT_SIZE.0, DEFAULT_SIZE.1);
        window.set_position(gtk::WindowPosition::Center);

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

        let store = gtk::ListStore::new(&[
            bool::static_type(),
            String::static_type(),
            String::static_type(),
            String::static_type(),
            String::static_type(),
            u32::static_type(),
            bool::static_type(),
            bool::static_type(),
        ]);
        let filter = gtk::TreeModelFilter::new(&store, None);
        filter.set_visible_column(COL_VISIBLE as i32);
        let tree = gtk::TreeView::with_model(&filter);
        tree.set_headers_visible(false);
        tree.set_enable_search(false);
        tree.set_activate_on_single_click(false);
        tree.selection().set_mode(gtk::SelectionMode::Single);
        tree.selection()
            .set_select_function(Some(Box::new(|_, model, path, _| {
                model
                    .iter(path)
                    .is_some_and(|iter| !flag(model, &iter, COL_HEADER, true))
            })));
        let (switch_column, more_column) = add_columns(&tree);
        tree.set_fixed_height_mode(true);

        let scroller = gtk::ScrolledWindow::new(gtk::Adjustment::NONE, gtk::Adjustment::NONE);
        scroller.set_policy(gtk::PolicyType::Never, gtk::PolicyType::Automatic);
        scroller.add(&tree);
        let overlay = gtk::Overlay::new();
        overlay.add(&scroller);
        let empty = gtk::Label::new(None);
        empty.style_context().add_class("dim-label");
        empty.set_valign(gtk::Align::Start);
        empty.set_margin_top(32);
        empty.set_no_show_all(true);
        overlay.add_overlay(&empty);
        outer.pack_start(&overlay, true, true, 0);

        outer.pack_start(
            &gtk::Separator::new(gtk::Orientation::Horizontal),
            false,
            false,
            0,
        );
        let footer = gtk::Box::new(gtk::Orientation::Horizontal, 12);
        footer.set_margin_top(6);
        footer.set_margin_bottom(6);
        footer.set_margin_start(12);
        footer.set_margin_end(12);
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
            store,
            filter,
            tree,
            switch_column,
            more_column,
            empty,
            status,
            on_action,
            on_filtered: RefCell::new(None),
            data: RefCell::default(),
            selected: Cell::new(None),
            quiet: Cell::new(false),
            menu: RefCell::new(None),
            pending: RefCell::new(None),
        });
        inner.connect();
        SessionsWindow { inner }
    }

    /// Shows `state`'s sessions, with those in `needs_user` marked. Keeps the search text,
    /// the selection and the focus; writes only the cells that differ from what they show.
    /// While the window is hidden this only keeps a copy of its arguments, shown at the
    /// next [`SessionsWindow::present`]: a tray that calls it after every change of state
    /// pays for the rows only while someone looks at them.
    pub fn update(&self, state: &State, needs_user: &BTreeSet<Uuid>) {
        if !self.inner.window.is_visible() {
            *self.inner.pending.borrow_mut() = Some((state.clone(), needs_user.clone()));
            return;
        }
        self.inner.pending.borrow_mut().take();
        self.inner.show(state, needs_user);
    }

    /// Shows the window (or raises it), with the keyboard in the search box and the state
    /// of the last [`SessionsWindow::update`]. Returns `true`: there is a window on this
    /// platform.
    pub fn present(&self) -> bool {
        let inner = &self.inner;
        let pending = inner.pending.borrow_mut().take();
        if let Some((state, needs_user)) = pending {
            inner.show(&state, &needs_user);
        }
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
        if self.inner.entry.text() == text {
            self.inner.refilter();
        } else {
            self.inner.entry.set_text(text);
        }
    }

    /// How many sessions the search keeps (as of the last update shown).
    pub fn visible_count(&self) -> usize {
        self.inner.data.borrow().visible
    }

    /// The selected session, if the search shows it.
    pub fn selected(&self) -> Option<Uuid> {
        self.inner.selected_session()
    }

    /// Calls `f` with the number of sessions shown after every change of the search or of
    /// the rows (for tests and benchmarks).
    pub fn connect_filtered(&self, f: Box<dyn Fn(usize)>) {
        *self.inner.on_filtered.borrow_mut() = Some(f);
    }

    /// What the list shows, read back from GTK's model: the sessions the search keeps, in
    /// order, each under its profile (for tests).
    pub fn shown(&self) -> Vec<ShownRow> {
        let model = self.inner.filter.upcast_ref::<gtk::TreeModel>();
        let mut out = Vec::new();
        let mut profile = String::new();
        let Some(iter) = model.iter_first() else {
            return out;
        };
        let text = |col: u32| {
            model
                .value(&iter, col as i32)
                .get::<String>()
                .unwrap_or_default()
        };
        loop {
            if flag(model, &iter, COL_HEADER, true) {
                profile = text(COL_TITLE);
            } else if let Some(id) = session_of(model, &iter) {
                out.push(ShownRow {
                    id,
                    profile: profile.clone(),
                    alias: text(COL_TITLE),
                    detail: text(COL_DETAIL),
                    state: text(COL_STATE),
                    on: flag(model, &iter, COL_ACTIVE, false),
                });
            }
            if !model.iter_next(&iter) {
                break;
            }
        }
        out
    }

    /// Where the switch and the "⋯" of a session's row are on the screen (the centres of
    /// their cells, in root window coordinates), when the search shows it (for tests).
    pub fn hit_points(&self, id: Uuid) -> Option<((i32, i32), (i32, i32))> {
        let inner = &self.inner;
        let path = inner.path_of(id)?;
        let (_, x, y) = inner.tree.bin_window()?.origin();
        let centre = |column: &gtk::TreeViewColumn| {
            let r = inner.tree.cell_area(Some(&path), Some(column));
            (x + r.x() + r.width() / 2, y + r.y() + r.height() / 2)
        };
        Some((centre(&inner.switch_column), centre(&inner.more_column)))
    }

    /// The window itself (to set its icon, its transient parent…).
    pub fn window(&self) -> &gtk::Window {
        &self.inner.window
    }
}

/// The list's columns: the session (alias over details, or a profile's name over its
/// counts), the state, the switch and "⋯". Returns the last two (they take clicks).
fn add_columns(tree: &gtk::TreeView) -> (gtk::TreeViewColumn, gtk::TreeViewColumn) {
    let header_tint = gdk::RGBA::new(0.5, 0.5, 0.5, 0.10);
    let dim = || {
        let attrs = pango::AttrList::new();
        attrs.insert(pango::AttrInt::new_foreground_alpha(0x9400));
        attrs
    };
    let tint = move |cell: &gtk::CellRenderer, header: bool| {
        if header {
            cell.set_cell_background_rgba(Some(&header_tint));
        } else {
            cell.set_property("cell-background-set", false);
        }
    };
    let is_header = |model: &gtk::TreeModel, iter: &gtk::TreeIter| -> bool {
        flag(model, iter, COL_HEADER, false)
    };
    let text = |model: &gtk::TreeModel, iter: &gtk::TreeIter, col: u32| -> String {
        model
            .value(iter, col as i32)
            .get::<String>()
            .unwrap_or_default()
    };

    // The session: two lines in one cell area.
    let area = gtk::CellAreaBox::new();
    area.set_orientation(gtk::Orientation::Vertical);
    let title = gtk::CellRendererText::new();
    title.set_ellipsize(pango::EllipsizeMode::End);
    title.set_padding(12, 3);
    let detail = gtk::CellRendererText::new();
    detail.set_ellipsize(pango::EllipsizeMode::End);
    detail.set_padding(12, 3);
    detail.set_scale(0.85);
    detail.set_attributes(Some(&dim()));
    CellAreaBoxExt::pack_start(&area, &title, true, true, false);
    CellAreaBoxExt::pack_start(&area, &detail, true, true, false);
    let main = gtk::TreeViewColumn::with_area(&area);
    main.set_sizing(gtk::TreeViewColumnSizing::Fixed);
    main.set_fixed_width(300);
    main.set_expand(true);
    CellLayoutExt::set_cell_data_func(
        &main,
        &title,
        Some(Box::new(move |_, cell, model, iter| {
            let header = is_header(model, iter);
            cell.set_property("text", text(model, iter, COL_TITLE));
            cell.set_property("weight", if header { WEIGHT_HEAVY } else { WEIGHT_BOLD });
            tint(cell, header);
        })),
    );
    CellLayoutExt::set_cell_data_func(
        &main,
        &detail,
        Some(Box::new(move |_, cell, model, iter| {
            cell.set_property("text", text(model, iter, COL_DETAIL));
            tint(cell, is_header(model, iter));
        })),
    );
    tree.append_column(&main);

    // The state in words.
    let state = gtk::CellRendererText::new();
    CellRendererExt::set_alignment(&state, 1.0, 0.5);
    state.set_padding(8, 0);
    state.set_scale(0.85);
    let state_column = gtk::TreeViewColumn::new();
    CellLayoutExt::pack_start(&state_column, &state, true);
    state_column.set_sizing(gtk::TreeViewColumnSizing::Fixed);
    state_column.set_fixed_width(210);
    let selection = tree.selection().downgrade();
    let dimmed = dim();
    CellLayoutExt::set_cell_data_func(
        &state_column,
        &state,
        Some(Box::new(move |_, cell, model, iter| {
            let header = is_header(model, iter);
            tint(cell, header);
            cell.set_property("text", text(model, iter, COL_STATE));
            let tone = Tone::from_u32(model.value(iter, COL_TONE as i32).get().unwrap_or(0));
            let selected = selection
                .upgrade()
                .is_some_and(|s| s.iter_is_selected(iter));
            match tone.colour().filter(|_| !selected) {
                Some(colour) => {
                    cell.set_property("foreground", colour);
                    cell.set_property("attributes", None::<pango::AttrList>);
                }
                None => {
                    cell.set_property("foreground-set", false);
                    cell.set_property("attributes", (tone == Tone::Stopped).then_some(&dimmed));
                }
            }
            cell.set_property(
                "weight",
                if tone == Tone::NeedsYou {
                    WEIGHT_BOLD
                } else {
                    WEIGHT_NORMAL
                },
            );
        })),
    );
    tree.append_column(&state_column);

    // The switch.
    let (off, on) = switch_images(tree.scale_factor()).unzip();
    let switch = gtk::CellRendererPixbuf::new();
    switch.set_padding(6, 0);
    let switch_column = gtk::TreeViewColumn::new();
    CellLayoutExt::pack_start(&switch_column, &switch, true);
    switch_column.set_sizing(gtk::TreeViewColumnSizing::Fixed);
    switch_column.set_fixed_width(64);
    CellLayoutExt::set_cell_data_func(
        &switch_column,
        &switch,
        Some(Box::new(move |_, cell, model, iter| {
            // A header's cells stay visible (and empty) so that its tint spans the row.
            let header = is_header(model, iter);
            tint(cell, header);
            let active = flag(model, iter, COL_ACTIVE, false);
            let image = match (header, active) {
                (true, _) => None,
                (false, true) => on.as_ref(),
                (false, false) => off.as_ref(),
            };
            cell.set_property("surface", image);
        })),
    );
    tree.append_column(&switch_column);

    // "⋯": the session's actions.
    let more = gtk::CellRendererText::new();
    CellRendererExt::set_alignment(&more, 0.5, 0.5);
    more.set_scale(1.3);
    more.set_attributes(Some(&dim()));
    let more_column = gtk::TreeViewColumn::new();
    CellLayoutExt::pack_start(&more_column, &more, true);
    more_column.set_sizing(gtk::TreeViewColumnSizing::Fixed);
    more_column.set_fixed_width(40);
    CellLayoutExt::set_cell_data_func(
        &more_column,
        &more,
        Some(Box::new(move |_, cell, model, iter| {
            let header = is_header(model, iter);
            tint(cell, header);
            cell.set_property("text", if header { "" } else { "⋯" });
        })),
    );
    tree.append_column(&more_column);
    (switch_column, more_column)
}

/// Images of a GtkSwitch, off and on, as the theme draws it (drawn once, off screen, at
/// the display's scale).
fn switch_images(scale: i32) -> Option<(cairo::Surface, cairo::Surface)> {
    let window = gtk::OffscreenWindow::new();
    let switch = gtk::Switch::new();
    window.add(&switch);
    window.show_all();
    let allocation = switch.allocation();
    let scale = scale.max(1);
    let mut images = Vec::with_capacity(2);
    for on in [false, true] {
        switch.set_active(on);
        // Laid out again at once (drawing asks for a current allocation).
        switch.size_allocate(&allocation);
        // The slider's shadow may draw outside the allocation: the image spans the clip.
        let clip = switch.clip();
        let (width, height) = (clip.width(), clip.height());
        let surface =
            cairo::ImageSurface::create(cairo::Format::ARgb32, width * scale, height * scale)
                .ok()?;
        surface.set_device_scale(f64::from(scale), f64::from(scale));
        {
            let cr = cairo::Context::new(&surface).ok()?;
            cr.translate(
                f64::from(allocation.x() - clip.x()),
                f64::from(allocation.y() - clip.y()),
            );
            switch.draw(&cr);
        }
        images.push(cairo::Surface::clone(&surface));
    }
    // SAFETY: the window is ours alone and not used after this.
    unsafe { window.destroy() };
    let on = images.pop()?;
    let off = images.pop()?;
    Some((off, on))
}

impl Inner {
    /// Shows `state`'s sessions now.
    fn show(&self, state: &State, needs_user: &BTreeSet<Uuid>) {
        let model = SessionsModel::build(state, needs_user);
        self.data.borrow_mut().model = model;
        self.sync();
    }

    /// Connects the window's signals (each holding the window weakly).
    fn connect(self: &Rc<Self>) {
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
            let target = inner.single_visible().or_else(|| inner.selected_session());
            match target {
                Some(id) => inner.emit(SessionAction::Toggle(id)),
                None => tracing::debug!("Enter in the search box: no single or selected row"),
            }
        });
        let weak = Rc::downgrade(self);
        self.tree.connect_row_activated(move |_, path, _| {
            let Some(inner) = weak.upgrade() else { return };
            if let Some(id) = inner.session_at(path) {
                inner.emit(SessionAction::Toggle(id));
            }
        });
        let weak = Rc::downgrade(self);
        self.tree.selection().connect_changed(move |selection| {
            let Some(inner) = weak.upgrade() else { return };
            if inner.quiet.get() {
                return;
            }
            if let Some((model, iter)) = selection.selected() {
                inner.selected.set(session_of(&model, &iter));
            }
        });
        let weak = Rc::downgrade(self);
        self.tree.connect_cursor_changed(move |tree| {
            // The cursor never rests on a header: it goes on to the session below.
            let Some(inner) = weak.upgrade() else { return };
            if inner.quiet.get() {
                return;
            }
            let (Some(mut path), _) = tree.cursor() else {
                return;
            };
            if inner.session_at(&path).is_none() {
                path.next();
                if inner.session_at(&path).is_some() {
                    tree.set_cursor(&path, None::<&gtk::TreeViewColumn>, false);
                }
            }
        });
        let weak = Rc::downgrade(self);
        self.tree.connect_button_press_event(move |tree, event| {
            let Some(inner) = weak.upgrade() else {
                return glib::Propagation::Proceed;
            };
            inner.click(tree, event)
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

    /// A click on the switch toggles; on "⋯" it opens the actions, as a right click does
    /// anywhere on the row.
    fn click(self: &Rc<Self>, tree: &gtk::TreeView, event: &gdk::EventButton) -> glib::Propagation {
        let (x, y) = event.position();
        let Some((Some(path), Some(column), _, _)) = tree.path_at_pos(x as i32, y as i32) else {
            return glib::Propagation::Proceed;
        };
        if event.button() == 3 && event.event_type() == gdk::EventType::ButtonPress {
            // A right click anywhere on a session opens its actions where the pointer is.
            if let Some(id) = self.session_at(&path) {
                tree.set_cursor(&path, None::<&gtk::TreeViewColumn>, false);
                self.open_menu(id, Opened::RightClick(event));
            }
            return glib::Propagation::Stop;
        }
        if event.button() != 1 {
            return glib::Propagation::Proceed;
        }
        let on_switch = column == self.switch_column;
        let on_more = column == self.more_column;
        if !on_switch && !on_more {
            return glib::Propagation::Proceed;
        }
        let Some(id) = self.session_at(&path) else {
            return glib::Propagation::Stop;
        };
        if event.event_type() != gdk::EventType::ButtonPress {
            // The second click of a double click is not a row activation here.
            return glib::Propagation::Stop;
        }
        tree.set_cursor(&path, None::<&gtk::TreeViewColumn>, false);
        if on_switch {
            self.emit(SessionAction::Toggle(id));
        } else {
            self.open_menu(id, Opened::Dots);
        }
        glib::Propagation::Stop
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
        let in_entry = self.entry.is_focus();
        let in_list = self.tree.is_focus();

        if keyval == key::Escape {
            if !self.entry.text().is_empty() {
                self.entry.set_text("");
                self.entry.grab_focus_without_selecting();
            } else {
                self.window.hide();
            }
            return glib::Propagation::Stop;
        }
        if keyval == key::Menu || (keyval == key::F10 && mods == gdk::ModifierType::SHIFT_MASK) {
            let target = self.selected_session().or_else(|| self.single_visible());
            if let Some(id) = target {
                self.open_menu(id, Opened::Key(event));
            }
            return glib::Propagation::Stop;
        }
        let down = keyval == key::Down || keyval == key::KP_Down;
        let up = keyval == key::Up || keyval == key::KP_Up;
        if (down || up) && mods.is_empty() && (in_entry || in_list) {
            let current = self.selected_session();
            let target = match (in_entry, current) {
                // From the search box: the selected row, else the first (last) one.
                (true, Some(id)) => Some(id),
                (true, None) if down => self.first_visible(),
                (true, None) => self.last_visible(),
                (false, Some(id)) => self.next_visible(id, down),
                (false, None) => self.first_visible(),
            };
            match target {
                Some(id) => self.focus_session(id),
                // Up from the first row: back to the search box.
                None if up && in_list => self.entry.grab_focus_without_selecting(),
                None => {}
            }
            return glib::Propagation::Stop;
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

    /// The session of a row of the tree's model (none for a header).
    fn session_at(&self, path: &gtk::TreePath) -> Option<Uuid> {
        let iter = self.filter.iter(path)?;
        session_of(self.filter.upcast_ref(), &iter)
    }

    /// The tree path of a session, when the search shows it.
    fn path_of(&self, id: Uuid) -> Option<gtk::TreePath> {
        let data = self.data.borrow();
        let child = data.iters.get(&Key::Session(id))?;
        let iter = self.filter.convert_child_iter_to_iter(child)?;
        self.filter.path(&iter)
    }

    /// Selects the row of `id`, scrolls to it and gives the list the keyboard.
    fn focus_session(&self, id: Uuid) {
        if let Some(path) = self.path_of(id) {
            self.tree.grab_focus();
            self.tree
                .set_cursor(&path, None::<&gtk::TreeViewColumn>, false);
            self.tree
                .scroll_to_cell(Some(&path), None::<&gtk::TreeViewColumn>, false, 0.0, 0.0);
        }
    }

    /// The selected session, when the search shows it.
    fn selected_session(&self) -> Option<Uuid> {
        let (model, iter) = self.tree.selection().selected()?;
        session_of(&model, &iter)
    }

    /// The sessions the search shows, in order.
    fn visible_sessions(&self) -> Vec<Uuid> {
        let data = self.data.borrow();
        data.model
            .rows
            .iter()
            .filter(|r| data.filter.matches(r))
            .map(|r| r.id)
            .collect()
    }

    /// The one session the search shows, when it shows exactly one.
    fn single_visible(&self) -> Option<Uuid> {
        if self.data.borrow().visible != 1 {
            return None;
        }
        self.visible_sessions().first().copied()
    }

    fn first_visible(&self) -> Option<Uuid> {
        let data = self.data.borrow();
        let id = data.model.rows.iter().find(|r| data.filter.matches(r));
        id.map(|r| r.id)
    }

    fn last_visible(&self) -> Option<Uuid> {
        let data = self.data.borrow();
        let id = data
            .model
            .rows
            .iter()
            .rev()
            .find(|r| data.filter.matches(r));
        id.map(|r| r.id)
    }

    /// The session shown after (`down`) or before `id`.
    fn next_visible(&self, id: Uuid, down: bool) -> Option<Uuid> {
        let shown = self.visible_sessions();
        let at = shown.iter().position(|s| *s == id)?;
        if down {
            shown.get(at + 1).copied()
        } else {
            at.checked_sub(1).map(|i| shown[i])
        }
    }

    /// Applies the search box's text to the rows.
    fn refilter(&self) {
        let filter = Filter::new(&self.entry.text());
        if self.data.borrow().filter == filter {
            self.report_filtered();
            return;
        }
        self.data.borrow_mut().filter = filter;
        self.sync();
    }

    fn report_filtered(&self) {
        let visible = self.data.borrow().visible;
        if let Some(f) = &*self.on_filtered.borrow() {
            f(visible);
        }
    }

    /// Brings the store to the model and the search, writing only what differs.
    fn sync(&self) {
        let wanted = {
            let data = self.data.borrow();
            wanted_rows(&data.model, &data.filter)
        };
        self.quiet.set(true);
        {
            let mut data = self.data.borrow_mut();
            let data = &mut *data;
            let keys: HashSet<&Key> = wanted.iter().map(|(k, _)| k).collect();

            // Rows that went.
            let gone: Vec<Key> = data
                .order
                .iter()
                .filter(|k| !keys.contains(k))
                .cloned()
                .collect();
            for key in &gone {
                if let Some(iter) = data.iters.remove(key) {
                    self.store.remove(&iter);
                }
                data.cells.remove(key);
            }
            if !gone.is_empty() {
                let gone: HashSet<Key> = gone.into_iter().collect();
                data.order.retain(|k| !gone.contains(k));
            }

            // Rows that stay get what differs; new ones are appended.
            for (key, cells) in &wanted {
                match (data.iters.get(key), data.cells.get_mut(key)) {
                    (Some(iter), Some(old)) => {
                        write_changes(&self.store, iter, old, cells);
                        *old = cells.clone();
                    }
                    _ => {
                        let iter = self.store.insert_with_values(
                            None,
                            &[
                                (COL_HEADER, &matches!(key, Key::Header(_))),
                                (COL_KEY, &key.text()),
                                (COL_TITLE, &cells.title),
                                (COL_DETAIL, &cells.detail),
                                (COL_STATE, &cells.state),
                                (COL_TONE, &(cells.tone as u32)),
                                (COL_ACTIVE, &cells.active),
                                (COL_VISIBLE, &cells.visible),
                            ],
                        );
                        data.iters.insert(key.clone(), iter);
                        data.cells.insert(key.clone(), cells.clone());
                        data.order.push(key.clone());
                    }
                }
            }

            // The order, in one move when it changed.
            let order: Vec<&Key> = wanted.iter().map(|(k, _)| k).collect();
            if data.order.iter().ne(order.iter().copied()) {
                let place: HashMap<&Key, u32> = data
                    .order
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k, i as u32))
                    .collect();
                let new_order: Vec<u32> = order.iter().map(|k| place[k]).collect();
                self.store.reorder(&new_order);
                data.order = order.into_iter().cloned().collect();
            }
            data.visible = wanted
                .iter()
                .filter(|(k, c)| matches!(k, Key::Session(_)) && c.visible)
                .count();
        }
        // The selection follows the session the user chose, when it shows.
        if let Some(id) = self.selected.get() {
            if self.selected_session() != Some(id) {
                if let Some(path) = self.path_of(id) {
                    self.tree.selection().select_path(&path);
                }
            }
        }
        self.quiet.set(false);
        self.refresh_status();
        self.report_filtered();
    }

    /// The status line and the empty list's message.
    fn refresh_status(&self) {
        let data = self.data.borrow();
        let status = data.model.status(&data.filter, data.visible);
        if self.status.text() != status.as_str() {
            self.status.set_text(&status);
        }
        let empty = data.model.empty_message(data.visible);
        match empty {
            Some(text) => {
                if self.empty.text() != text {
                    self.empty.set_text(text);
                }
                self.empty.show();
            }
            None => self.empty.hide(),
        }
    }

    /// Pops up the actions of `id`: under its "⋯", or where a right click was.
    fn open_menu(self: &Rc<Self>, id: Uuid, opened: Opened) {
        let Some(active) = self.data.borrow().model.row(id).map(|r| r.is_active()) else {
            return;
        };
        let Some(path) = self.path_of(id) else { return };
        self.tree
            .scroll_to_cell(Some(&path), None::<&gtk::TreeViewColumn>, false, 0.0, 0.0);
        self.tree.selection().select_path(&path);
        let menu = gtk::Menu::new();
        for entry in action_menu(id, active) {
            let Some((label, action)) = entry else {
                menu.append(&gtk::SeparatorMenuItem::new());
                continue;
            };
            // The model marks access keys as Windows does (`&`); GTK's mark is `_`.
            let item = gtk::MenuItem::with_mnemonic(&label.replace('&', "_"));
            let weak = Rc::downgrade(self);
            item.connect_activate(move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.emit(action);
                }
            });
            menu.append(&item);
        }
        menu.show_all();
        menu.set_attach_widget(Some(&self.tree));
        let weak = Rc::downgrade(self);
        menu.connect_deactivate(move |_| {
            // Let go of it once the activated item's handler has run.
            let weak = weak.clone();
            glib::idle_add_local_once(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.menu.borrow_mut().take();
                }
            });
        });
        let trigger: Option<gdk::Event> = match opened {
            Opened::Dots => None,
            Opened::Key(k) => Some((**k).clone()),
            Opened::RightClick(b) => Some((**b).clone()),
        };
        let rect = self.tree.cell_area(Some(&path), Some(&self.more_column));
        match (&opened, self.tree.bin_window()) {
            (Opened::RightClick(_), _) | (_, None) => menu.popup_at_pointer(trigger.as_ref()),
            (_, Some(bin)) => menu.popup_at_rect(
                &bin,
                &rect,
                gdk::Gravity::SouthEast,
                gdk::Gravity::NorthEast,
                trigger.as_ref(),
            ),
        }
        if matches!(opened, Opened::Key(_)) {
            // From the keyboard: the first item is selected, ready for Enter.
            menu.select_first(false);
        }
        *self.menu.borrow_mut() = Some(menu);
    }
}

/// How a session's menu was asked for.
enum Opened<'a> {
    /// A click on its "⋯".
    Dots,
    /// Shift+F10 or the Menu key.
    Key(&'a gdk::EventKey),
    /// A right click on its row.
    RightClick(&'a gdk::EventButton),
}

/// The session of a row (none for a header).
fn session_of(model: &gtk::TreeModel, iter: &gtk::TreeIter) -> Option<Uuid> {
    if flag(model, iter, COL_HEADER, true) {
        return None;
    }
    model
        .value(iter, COL_KEY as i32)
        .get::<String>()
        .ok()?
        .parse()
        .ok()
}

/// The store's rows as they should be: per profile with sessions, a header (shown while
/// the search keeps one of them), then its sessions.
fn wanted_rows(model: &SessionsModel, filter: &Filter) -> Vec<(Key, Cells)> {
    let mut out = Vec::with_capacity(model.rows.len() + model.profiles.len());
    let searching = !filter.is_empty();
    let mut start = 0;
    while start < model.rows.len() {
        let group = model.rows[start].group;
        let end = model.rows[start..]
            .iter()
            .position(|r| r.group != group)
            .map_or(model.rows.len(), |n| start + n);
        let rows = &model.rows[start..end];
        let kept: Vec<bool> = rows.iter().map(|r| filter.matches(r)).collect();
        let shown = kept.iter().filter(|k| **k).count();
        let active = rows.iter().filter(|r| r.is_active()).count();
        let mut count = if searching {
            format!(
                "{} of {}",
                thousands(shown),
                plural(rows.len(), "session", "sessions")
            )
        } else {
            plural(rows.len(), "session", "sessions")
        };
        if active > 0 {
            count.push_str(&format!(" · {active} active"));
        }
        let profile = model.profiles[group].clone();
        out.push((
            Key::Header(profile.clone()),
            Cells {
                title: profile,
                detail: count,
                state: String::new(),
                tone: Tone::Stopped,
                active: false,
                visible: shown > 0,
            },
        ));
        for (r, keep) in rows.iter().zip(kept) {
            out.push((
                Key::Session(r.id),
                Cells {
                    title: r.alias.clone(),
                    detail: r.detail(),
                    state: r.state_label.clone(),
                    tone: Tone::of(r),
                    active: r.is_active(),
                    visible: keep,
                },
            ));
        }
        start = end;
    }
    out
}

/// Writes into the store the cells of `new` that differ from `old`.
fn write_changes(store: &gtk::ListStore, iter: &gtk::TreeIter, old: &Cells, new: &Cells) {
    if old == new {
        return;
    }
    let mut changes: Vec<(u32, &dyn ToValue)> = Vec::new();
    let tone = new.tone as u32;
    if old.title != new.title {
        changes.push((COL_TITLE, &new.title));
    }
    if old.detail != new.detail {
        changes.push((COL_DETAIL, &new.detail));
    }
    if old.state != new.state {
        changes.push((COL_STATE, &new.state));
    }
    if old.tone != new.tone {
        changes.push((COL_TONE, &tone));
    }
    if old.active != new.active {
        changes.push((COL_ACTIVE, &new.active));
    }
    if old.visible != new.visible {
        changes.push((COL_VISIBLE, &new.visible));
    }
    store.set(iter, &changes);
}

/// `1 session`, `1,000 sessions`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `1,000`.
fn thousands(n: usize) -> String {
    crate::tray::menu::thousands(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> (State, Vec<Uuid>) {
        let mut state = State::new();
        state.add_profile("prod").unwrap();
        let mut ids = Vec::new();
        for (alias, profile) in [("bravo", "prod"), ("alpha", "prod"), ("me", "default")] {
            let s = crate::testing::iam_user(alias, profile);
            ids.push(s.id);
            state.add_session(s).unwrap();
        }
        (state, ids)
    }

    #[test]
    fn a_header_per_profile_with_sessions_shown_while_one_of_them_is() {
        let (state, ids) = state();
        let model = SessionsModel::build(&state, &BTreeSet::new());
        let rows = wanted_rows(&model, &Filter::default());
        let keys: Vec<&Key> = rows.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                &Key::Header("default".into()),
                &Key::Session(ids[2]),
                &Key::Header("prod".into()),
                &Key::Session(ids[1]),
                &Key::Session(ids[0]),
            ]
        );
        assert_eq!(rows[0].1.detail, "1 session");
        assert_eq!(rows[2].1.detail, "2 sessions");
        let rows = wanted_rows(&model, &Filter::new("alp"));
        let shown: Vec<&Key> = rows
            .iter()
            .filter(|(_, c)| c.visible)
            .map(|(k, _)| k)
            .collect();
        assert_eq!(shown, [&Key::Header("prod".into()), &Key::Session(ids[1])]);
        assert_eq!(rows[2].1.detail, "1 of 2 sessions");
    }
}

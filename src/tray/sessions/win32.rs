//! Windows: the Sessions window as a native Win32 window, on the UI thread (tao's event
//! loop dispatches its messages like any other window's): an `EDIT` search box over a
//! virtual (`LVS_OWNERDATA`) report list view, one line per session, sorted by profile —
//! the list asks for the text of the lines it draws, so a thousand sessions cost nothing
//! until seen. Rows, filter, columns, the status line and the action menu are
//! [`super::model`]'s; this file only draws them and turns input into [`SessionAction`]s.
//!
//! Keyboard (through a `WH_GETMESSAGE` hook of the UI thread, since the message loop is
//! tao's): typing filters (a key typed in the list goes to the search box), Down and Up
//! cross between the box and the list, Enter or Space starts or stops the selected session
//! (or the only one the search keeps), Shift+F10 or the Apps key opens its actions (as a
//! right click does), Tab switches between box and list, Ctrl+F goes to the box, Escape
//! clears the search and then hides the window. Closing it hides it.
//!
//! Text from users reaches the screen only as list cells and through `SetWindowTextW`;
//! the status label is `SS_NOPREFIX`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::ptr::{null, null_mut};
use std::rc::{Rc, Weak};

use uuid::Uuid;
use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, POINT, RECT, WPARAM};
use windows_sys::Win32::Graphics::Gdi as gdi;
use windows_sys::Win32::System::Threading::GetCurrentThreadId;
use windows_sys::Win32::UI::Controls as cc;
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{
    GetFocus, GetKeyState, SetFocus, VK_APPS, VK_BACK, VK_CONTROL, VK_DOWN, VK_ESCAPE, VK_F10,
    VK_MENU, VK_RETURN, VK_SHIFT, VK_SPACE, VK_TAB, VK_UP,
};
use windows_sys::Win32::UI::WindowsAndMessaging as wm;

use super::model::{action_menu, Filter, SessionAction, SessionsModel, COLUMNS};
use super::TITLE;
use crate::model::State;
use crate::tray::windows::{instance, register_window_class, wide};

/// The window's class.
const CLASS: &str = "credtraySessions";
/// The controls' ids.
const SEARCH_ID: i32 = 10;
const LIST_ID: i32 = 11;
/// Static control styles (`Win32_System_SystemServices`, not otherwise needed).
const SS_NOPREFIX: u32 = 0x80;
const SS_RIGHT: u32 = 0x2;
const SS_LEFTNOWORDWRAP: u32 = 0xc;
/// Posted to itself to open the selected session's actions (outside the keyboard hook, as
/// the menu runs a message loop of its own).
const WM_APP_MENU: u32 = wm::WM_APP + 20;
/// The keyboard hint in the status line.
const HINT: &str = "↑↓ move · Enter start/stop · Shift+F10 actions · Esc clear";

thread_local! {
    /// The window of this (the UI) thread, for its window procedure and the keyboard hook.
    static WINDOW: RefCell<Weak<Inner>> = const { RefCell::new(Weak::new()) };
}

fn current() -> Option<Rc<Inner>> {
    WINDOW.with(|w| w.borrow().upgrade())
}

/// The Sessions window. Made once, hidden until [`SessionsWindow::present`]; closing it
/// hides it. Lives on the UI thread.
pub struct SessionsWindow {
    inner: Rc<Inner>,
}

struct Inner {
    hwnd: HWND,
    search: HWND,
    list: HWND,
    status: HWND,
    hint: HWND,
    /// The font's line height in pixels; every size scales with it.
    line: i32,
    on_action: Box<dyn Fn(SessionAction)>,
    data: RefCell<Data>,
    /// The last update's state and sessions needing the user, while hidden.
    pending: RefCell<Option<(State, BTreeSet<Uuid>)>>,
    /// The session the user selected last; selected again when the search shows it again.
    selected: Cell<Option<Uuid>>,
    /// Set while the window changes the selection itself.
    quiet: Cell<bool>,
    /// The control that had the focus when the window was last deactivated.
    focus: Cell<HWND>,
}

#[derive(Default)]
struct Data {
    model: SessionsModel,
    filter: Filter,
    /// The rows the search keeps: indices into `model.rows`, one per line of the list.
    visible: Vec<usize>,
}

fn send(hwnd: HWND, msg: u32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    unsafe { wm::SendMessageW(hwnd, msg, wparam, lparam) }
}

fn set_text(hwnd: HWND, text: &str) {
    let w = wide(text);
    unsafe { wm::SetWindowTextW(hwnd, w.as_ptr()) };
}

fn window_text(hwnd: HWND) -> String {
    unsafe {
        let len = wm::GetWindowTextLengthW(hwnd);
        let mut buf = vec![0u16; usize::try_from(len).unwrap_or(0) + 1];
        let got = wm::GetWindowTextW(hwnd, buf.as_mut_ptr(), len + 1);
        String::from_utf16_lossy(&buf[..usize::try_from(got).unwrap_or(0)])
    }
}

fn pressed(key: u16) -> bool {
    unsafe { GetKeyState(i32::from(key)) < 0 }
}

fn register_class() {
    if !register_window_class(CLASS, Some(window_proc)) {
        return;
    }
    unsafe {
        let controls = cc::INITCOMMONCONTROLSEX {
            dwSize: std::mem::size_of::<cc::INITCOMMONCONTROLSEX>() as u32,
            dwICC: cc::ICC_LISTVIEW_CLASSES,
        };
        cc::InitCommonControlsEx(&controls);
        let hook = wm::SetWindowsHookExW(
            wm::WH_GETMESSAGE,
            Some(keyboard_hook),
            null_mut(),
            GetCurrentThreadId(),
        );
        if hook.is_null() {
            tracing::warn!("Sessions window: no keyboard hook; Enter and arrows act as usual");
        }
    }
}

/// Makes a child control.
fn child(parent: HWND, class: &str, style: u32, ex_style: u32, id: i32, font: gdi::HFONT) -> HWND {
    let class = wide(class);
    let empty = wide("");
    unsafe {
        let hwnd = wm::CreateWindowExW(
            ex_style,
            class.as_ptr(),
            empty.as_ptr(),
            wm::WS_CHILD | wm::WS_VISIBLE | style,
            0,
            0,
            10,
            10,
            parent,
            id as isize as wm::HMENU,
            instance(),
            null(),
        );
        send(hwnd, wm::WM_SETFONT, font as WPARAM, 0);
        hwnd
    }
}

impl SessionsWindow {
    /// Makes the window (hidden, and empty until [`SessionsWindow::update`]); what the user
    /// asks for goes to `on_action`, on this thread.
    pub fn new(on_action: Box<dyn Fn(SessionAction)>) -> SessionsWindow {
        register_class();
        let (font, line) = crate::tray::dialogs::message_font();
        let k = |v: i32| v * line / 16;
        let title = wide(TITLE);
        let class = wide(CLASS);
        let hwnd = unsafe {
            wm::CreateWindowExW(
                wm::WS_EX_CONTROLPARENT | wm::WS_EX_APPWINDOW,
                class.as_ptr(),
                title.as_ptr(),
                wm::WS_OVERLAPPEDWINDOW | wm::WS_CLIPCHILDREN,
                wm::CW_USEDEFAULT,
                wm::CW_USEDEFAULT,
                k(940),
                k(560),
                null_mut(),
                null_mut(),
                instance(),
                null(),
            )
        };
        if hwnd.is_null() {
            tracing::error!("cannot make the Sessions window");
        }
        let search = child(
            hwnd,
            "EDIT",
            wm::WS_TABSTOP | wm::ES_AUTOHSCROLL as u32,
            wm::WS_EX_CLIENTEDGE,
            SEARCH_ID,
            font,
        );
        let cue = wide("Search: alias, profile, account, role or kind");
        send(search, cc::EM_SETCUEBANNER, 1, cue.as_ptr() as LPARAM);
        let list = child(
            hwnd,
            "SysListView32",
            wm::WS_TABSTOP
                | cc::LVS_REPORT
                | cc::LVS_OWNERDATA
                | cc::LVS_SINGLESEL
                | cc::LVS_SHOWSELALWAYS,
            wm::WS_EX_CLIENTEDGE,
            LIST_ID,
            font,
        );
        let ex = cc::LVS_EX_FULLROWSELECT | cc::LVS_EX_CHECKBOXES | cc::LVS_EX_DOUBLEBUFFER;
        send(
            list,
            cc::LVM_SETEXTENDEDLISTVIEWSTYLE,
            ex as WPARAM,
            ex as LPARAM,
        );
        // The check boxes show each session's state, asked for like the text.
        send(
            list,
            cc::LVM_SETCALLBACKMASK,
            cc::LVIS_STATEIMAGEMASK as WPARAM,
            0,
        );
        for (i, (heading, width)) in COLUMNS.iter().enumerate() {
            let mut text = wide(heading);
            let column = cc::LVCOLUMNW {
                mask: cc::LVCF_TEXT | cc::LVCF_WIDTH | cc::LVCF_FMT | cc::LVCF_SUBITEM,
                fmt: cc::LVCFMT_LEFT,
                cx: k(*width),
                pszText: text.as_mut_ptr(),
                cchTextMax: 0,
                iSubItem: i as i32,
                iImage: 0,
                iOrder: 0,
                cxMin: 0,
                cxDefault: 0,
                cxIdeal: 0,
            };
            send(
                list,
                cc::LVM_INSERTCOLUMNW,
                i,
                &column as *const cc::LVCOLUMNW as LPARAM,
            );
        }
        let status = child(hwnd, "STATIC", SS_NOPREFIX | SS_LEFTNOWORDWRAP, 0, -1, font);
        let hint = child(hwnd, "STATIC", SS_NOPREFIX | SS_RIGHT, 0, -1, font);
        set_text(hint, HINT);
        let inner = Rc::new(Inner {
            hwnd,
            search,
            list,
            status,
            hint,
            line,
            on_action,
            data: RefCell::default(),
            pending: RefCell::new(None),
            selected: Cell::new(None),
            quiet: Cell::new(false),
            focus: Cell::new(null_mut()),
        });
        WINDOW.with(|w| *w.borrow_mut() = Rc::downgrade(&inner));
        inner.layout();
        inner.sync();
        SessionsWindow { inner }
    }

    /// Shows `state`'s sessions, with those in `needs_user` marked. Keeps the search text
    /// and the selection. While the window is hidden this only keeps a copy of its
    /// arguments, shown at the next [`SessionsWindow::present`].
    pub fn update(&self, state: &State, needs_user: &BTreeSet<Uuid>) {
        if self.is_visible() {
            self.inner.show_state(state, needs_user);
        } else {
            *self.inner.pending.borrow_mut() = Some((state.clone(), needs_user.clone()));
        }
    }

    /// Shows the window (or raises it), with the keyboard in the search box and the state
    /// of the last [`SessionsWindow::update`]. Returns `true`: there is a window here.
    pub fn present(&self) -> bool {
        let inner = &self.inner;
        if let Some((state, needs)) = inner.pending.borrow_mut().take() {
            inner.show_state(&state, &needs);
        }
        unsafe {
            if wm::IsIconic(inner.hwnd) != 0 {
                wm::ShowWindow(inner.hwnd, wm::SW_RESTORE);
            } else {
                wm::ShowWindow(inner.hwnd, wm::SW_SHOW);
            }
            wm::SetForegroundWindow(inner.hwnd);
            SetFocus(inner.search);
            send(inner.search, cc::EM_SETSEL, 0, -1);
        }
        true
    }

    /// Whether the window is on screen.
    pub fn is_visible(&self) -> bool {
        unsafe { wm::IsWindowVisible(self.inner.hwnd) != 0 }
    }

    /// Hides the window (as closing it does).
    pub fn hide(&self) {
        unsafe { wm::ShowWindow(self.inner.hwnd, wm::SW_HIDE) };
    }

    /// Sets the search text, as if typed (the list is filtered before this returns).
    pub fn search(&self, text: &str) {
        set_text(self.inner.search, text);
        self.inner.refilter();
    }

    /// How many sessions the search keeps.
    pub fn visible_count(&self) -> usize {
        self.inner.data.borrow().visible.len()
    }

    /// The selected session, if the search shows it.
    pub fn selected(&self) -> Option<Uuid> {
        self.inner.selected_session()
    }
}

impl Inner {
    fn k(&self, v: i32) -> i32 {
        v * self.line / 16
    }

    /// Places the controls in the client area.
    fn layout(&self) {
        let mut rect = RECT {
            left: 0,
            top: 0,
            right: 0,
            bottom: 0,
        };
        unsafe { wm::GetClientRect(self.hwnd, &mut rect) };
        let (w, h) = (rect.right, rect.bottom);
        let margin = self.k(8);
        let edit_h = self.line + self.k(9);
        let status_h = self.line + self.k(4);
        let inner_w = (w - 2 * margin).max(0);
        let list_y = margin + edit_h + self.k(6);
        let status_y = h - margin - status_h;
        let place = |hwnd: HWND, x: i32, y: i32, cw: i32, ch: i32| unsafe {
            wm::MoveWindow(hwnd, x, y, cw.max(0), ch.max(0), 1);
        };
        place(self.search, margin, margin, inner_w, edit_h);
        place(
            self.list,
            margin,
            list_y,
            inner_w,
            status_y - self.k(6) - list_y,
        );
        let hint_w = (inner_w / 2).min(self.k(420));
        place(
            self.status,
            margin,
            status_y,
            inner_w - hint_w - self.k(8),
            status_h,
        );
        place(self.hint, w - margin - hint_w, status_y, hint_w, status_h);
    }

    fn show_state(&self, state: &State, needs_user: &BTreeSet<Uuid>) {
        let t = std::time::Instant::now();
        self.data.borrow_mut().model = SessionsModel::build(state, needs_user);
        self.sync();
        tracing::debug!(took = ?t.elapsed(), sessions = state.sessions.len(), "Sessions window updated");
    }

    /// Applies the search box's text to the rows.
    fn refilter(&self) {
        let filter = Filter::new(&window_text(self.search));
        if self.data.borrow().filter == filter {
            return;
        }
        let t = std::time::Instant::now();
        self.data.borrow_mut().filter = filter;
        self.sync();
        let shown = self.data.borrow().visible.len();
        tracing::debug!(shown, took = ?t.elapsed(), "Sessions window filtered");
    }

    /// Brings the list to the model and the search: its length, the selection, the text.
    fn sync(&self) {
        let (count, status, at) = {
            let mut data = self.data.borrow_mut();
            let visible = data.model.visible(&data.filter);
            data.visible = visible;
            let count = data.visible.len();
            let status = match data.model.empty_message(count) {
                Some(empty) => empty.to_string(),
                None => data.model.status(&data.filter, count),
            };
            let at = self.selected.get().and_then(|id| {
                data.visible
                    .iter()
                    .position(|&i| data.model.rows[i].id == id)
            });
            (count, status, at)
        };
        self.quiet.set(true);
        send(
            self.list,
            cc::LVM_SETITEMCOUNT,
            count,
            cc::LVSICF_NOSCROLL as LPARAM,
        );
        // Only when it changes: clearing a selection costs a pass over every line.
        if self.selected_index() != at {
            self.select_index(at);
        }
        self.quiet.set(false);
        unsafe { gdi::InvalidateRect(self.list, null(), 0) };
        if window_text(self.status) != status {
            set_text(self.status, &status);
        }
    }

    /// Selects line `i` (and scrolls to it), or nothing.
    fn select_index(&self, i: Option<usize>) {
        let mask = cc::LVIS_SELECTED | cc::LVIS_FOCUSED;
        let mut item: cc::LVITEMW = unsafe { std::mem::zeroed() };
        item.stateMask = mask;
        item.state = 0;
        let all = usize::MAX; // -1: every item
        send(
            self.list,
            cc::LVM_SETITEMSTATE,
            all,
            &item as *const cc::LVITEMW as LPARAM,
        );
        if let Some(i) = i {
            item.state = mask;
            send(
                self.list,
                cc::LVM_SETITEMSTATE,
                i,
                &item as *const cc::LVITEMW as LPARAM,
            );
            send(self.list, cc::LVM_ENSUREVISIBLE, i, 0);
        }
    }

    /// The index of the selected line, if any.
    fn selected_index(&self) -> Option<usize> {
        let i = send(
            self.list,
            cc::LVM_GETNEXTITEM,
            usize::MAX,
            cc::LVNI_SELECTED as LPARAM,
        );
        usize::try_from(i)
            .ok()
            .filter(|&i| i < self.data.borrow().visible.len())
    }

    /// The session of line `i`.
    fn session_at(&self, i: usize) -> Option<Uuid> {
        let data = self.data.borrow();
        data.visible.get(i).map(|&r| data.model.rows[r].id)
    }

    fn selected_session(&self) -> Option<Uuid> {
        self.selected_index().and_then(|i| self.session_at(i))
    }

    /// The selected session, else the only one the search keeps.
    fn target(&self) -> Option<Uuid> {
        self.selected_session().or_else(|| {
            let data = self.data.borrow();
            match data.visible.as_slice() {
                [only] => Some(data.model.rows[*only].id),
                _ => None,
            }
        })
    }

    /// Hands `action` to the caller (no borrow held).
    fn emit(&self, action: SessionAction) {
        (self.on_action)(action);
    }

    /// Moves the keyboard into the list, on the selected line or the first (`down`) or
    /// last one.
    fn enter_list(&self, down: bool) {
        let count = self.data.borrow().visible.len();
        if count == 0 {
            return;
        }
        let i = self
            .selected_index()
            .unwrap_or(if down { 0 } else { count - 1 });
        unsafe { SetFocus(self.list) };
        self.select_index(Some(i));
    }

    fn focus_search(&self) {
        unsafe { SetFocus(self.search) };
        let end = window_text(self.search).encode_utf16().count();
        send(self.search, cc::EM_SETSEL, end, end as LPARAM);
    }

    /// The text (and check box) of a line the list is about to draw.
    fn display_info(&self, info: &mut cc::NMLVDISPINFOW) {
        let data = self.data.borrow();
        let Some(row) = usize::try_from(info.item.iItem)
            .ok()
            .and_then(|i| data.visible.get(i))
            .map(|&r| &data.model.rows[r])
        else {
            return;
        };
        let item = &mut info.item;
        if item.mask & cc::LVIF_TEXT != 0 && !item.pszText.is_null() && item.cchTextMax > 0 {
            let text: Vec<u16> = row
                .cell(usize::try_from(item.iSubItem).unwrap_or(usize::MAX))
                .encode_utf16()
                .take(usize::try_from(item.cchTextMax - 1).unwrap_or(0))
                .chain(std::iter::once(0))
                .collect();
            // The list's own buffer, of cchTextMax characters.
            unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), item.pszText, text.len()) };
        }
        if item.mask & cc::LVIF_STATE != 0 {
            let image: u32 = if row.is_active() { 2 } else { 1 };
            item.state = (item.state & !cc::LVIS_STATEIMAGEMASK) | (image << 12);
            item.stateMask |= cc::LVIS_STATEIMAGEMASK;
        }
    }

    /// Pops up the actions of `id` at `at` (screen coordinates), or under its line.
    fn open_menu(&self, id: Uuid, at: Option<POINT>) {
        let Some(active) = self.data.borrow().model.row(id).map(|r| r.is_active()) else {
            return;
        };
        let point = at.unwrap_or_else(|| self.line_point());
        let entries = action_menu(id, active);
        let chosen = unsafe {
            let menu = wm::CreatePopupMenu();
            for (n, entry) in entries.iter().enumerate() {
                match entry {
                    Some((label, _)) => {
                        let label = wide(label);
                        wm::AppendMenuW(menu, wm::MF_STRING, n + 1, label.as_ptr());
                    }
                    None => {
                        wm::AppendMenuW(menu, wm::MF_SEPARATOR, 0, null());
                    }
                }
            }
            let chosen = wm::TrackPopupMenu(
                menu,
                wm::TPM_RETURNCMD | wm::TPM_RIGHTBUTTON,
                point.x,
                point.y,
                0,
                self.hwnd,
                null(),
            );
            wm::DestroyMenu(menu);
            chosen
        };
        let action = usize::try_from(chosen)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| entries.get(n).copied().flatten())
            .map(|(_, action)| action);
        if let Some(action) = action {
            self.emit(action);
        }
    }

    /// Where a menu opened from the keyboard goes: under the selected line, else under the
    /// search box (screen coordinates).
    fn line_point(&self) -> POINT {
        let mut rect = RECT {
            left: cc::LVIR_BOUNDS as i32,
            top: 0,
            right: 0,
            bottom: 0,
        };
        let (hwnd, mut point) = match self.selected_index() {
            Some(i)
                if send(
                    self.list,
                    cc::LVM_GETITEMRECT,
                    i,
                    &mut rect as *mut RECT as LPARAM,
                ) != 0 =>
            {
                (
                    self.list,
                    POINT {
                        x: rect.left + self.k(24),
                        y: rect.bottom,
                    },
                )
            }
            _ => (
                self.search,
                POINT {
                    x: self.k(24),
                    y: self.line + self.k(9),
                },
            ),
        };
        unsafe { gdi::ClientToScreen(hwnd, &mut point) };
        point
    }

    /// A notification from the list.
    fn notify(&self, header: &cc::NMHDR, lparam: LPARAM) -> LRESULT {
        match header.code {
            cc::LVN_GETDISPINFOW => {
                let info = unsafe { &mut *(lparam as *mut cc::NMLVDISPINFOW) };
                self.display_info(info);
            }
            cc::LVN_ITEMCHANGED => {
                let change = unsafe { &*(lparam as *const cc::NMLISTVIEW) };
                let selected = change.uNewState & cc::LVIS_SELECTED != 0;
                if !self.quiet.get() && selected {
                    if let Some(id) = usize::try_from(change.iItem)
                        .ok()
                        .and_then(|i| self.session_at(i))
                    {
                        self.selected.set(Some(id));
                    }
                }
            }
            cc::NM_CLICK | cc::NM_DBLCLK => {
                let click = unsafe { &*(lparam as *const cc::NMITEMACTIVATE) };
                let Some(id) = usize::try_from(click.iItem)
                    .ok()
                    .and_then(|i| self.session_at(i))
                else {
                    return 0;
                };
                let mut hit: cc::LVHITTESTINFO = unsafe { std::mem::zeroed() };
                hit.pt = click.ptAction;
                send(
                    self.list,
                    cc::LVM_HITTEST,
                    0,
                    &mut hit as *mut cc::LVHITTESTINFO as LPARAM,
                );
                let on_box = hit.flags & cc::LVHT_ONITEMSTATEICON != 0;
                // A click on the check box, or a double click anywhere on the line.
                if on_box == (header.code == cc::NM_CLICK) {
                    self.emit(SessionAction::Toggle(id));
                }
            }
            cc::LVN_ODFINDITEMW => return -1, // the search box does the finding
            _ => {}
        }
        0
    }

    /// A key for the window, seen before the control it is for; `true` when it is handled
    /// here (the control never sees it).
    fn key(&self, msg: &mut wm::MSG) -> bool {
        let focus = unsafe { GetFocus() };
        let in_search = focus == self.search;
        let in_list = focus == self.list;
        let vk = msg.wParam as u16;
        let ctrl = pressed(VK_CONTROL);
        let alt = pressed(VK_MENU);
        let shift = pressed(VK_SHIFT);
        match msg.message {
            wm::WM_KEYDOWN | wm::WM_SYSKEYDOWN => {
                let menu_key = vk == VK_APPS || (vk == VK_F10 && shift && !ctrl && !alt);
                if menu_key {
                    unsafe { wm::PostMessageW(self.hwnd, WM_APP_MENU, 0, 0) };
                    return true;
                }
                if msg.message == wm::WM_SYSKEYDOWN {
                    return false;
                }
                match vk {
                    VK_ESCAPE => {
                        if window_text(self.search).is_empty() {
                            unsafe { wm::ShowWindow(self.hwnd, wm::SW_HIDE) };
                        } else {
                            set_text(self.search, "");
                            self.focus_search();
                        }
                        true
                    }
                    VK_RETURN if !ctrl && !alt => {
                        if let Some(id) = self.target() {
                            self.emit(SessionAction::Toggle(id));
                        }
                        true
                    }
                    VK_SPACE if in_list && !ctrl && !alt => {
                        if let Some(id) = self.selected_session() {
                            self.emit(SessionAction::Toggle(id));
                        }
                        true
                    }
                    VK_DOWN | VK_UP if in_search && !ctrl && !alt => {
                        self.enter_list(vk == VK_DOWN);
                        true
                    }
                    VK_UP if in_list && self.selected_index().is_none_or(|i| i == 0) => {
                        self.focus_search();
                        true
                    }
                    VK_TAB if !ctrl && !alt => {
                        if in_search {
                            self.enter_list(true);
                            if !self.data.borrow().visible.is_empty() {
                                return true;
                            }
                        }
                        self.focus_search();
                        true
                    }
                    0x46 /* F */ if ctrl && !alt => {
                        unsafe { SetFocus(self.search) };
                        send(self.search, cc::EM_SETSEL, 0, -1);
                        true
                    }
                    _ => false,
                }
            }
            // The menu keys' releases: no second menu from the control's default handling.
            wm::WM_KEYUP | wm::WM_SYSKEYUP => vk == VK_APPS || vk == VK_F10,
            wm::WM_CHAR if in_list => {
                let c = msg.wParam as u32;
                if c == u32::from(VK_SPACE) || c == u32::from(VK_RETURN) {
                    return true;
                }
                let typed = c == u32::from(VK_BACK) || c >= 0x20;
                if typed && !ctrl && !alt {
                    // Typing in the list types into the search box.
                    self.focus_search();
                    msg.hwnd = self.search;
                }
                false
            }
            wm::WM_CHAR if in_search => {
                // Enter and Escape were handled at their key-down; no beep.
                let c = msg.wParam as u32;
                c == u32::from(VK_RETURN) || c == u32::from(VK_ESCAPE)
            }
            _ => false,
        }
    }
}

unsafe extern "system" fn keyboard_hook(code: i32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    if code >= 0 && wparam == wm::PM_REMOVE as usize && lparam != 0 {
        let msg = &mut *(lparam as *mut wm::MSG);
        let keyish = (wm::WM_KEYFIRST..=wm::WM_KEYLAST).contains(&msg.message);
        if keyish && !msg.hwnd.is_null() {
            if let Some(inner) = current() {
                if wm::GetAncestor(msg.hwnd, wm::GA_ROOT) == inner.hwnd && inner.key(msg) {
                    msg.message = wm::WM_NULL;
                }
            }
        }
    }
    wm::CallNextHookEx(null_mut(), code, wparam, lparam)
}

unsafe extern "system" fn window_proc(
    hwnd: HWND,
    msg: u32,
    wparam: WPARAM,
    lparam: LPARAM,
) -> LRESULT {
    let Some(inner) = current().filter(|i| i.hwnd == hwnd) else {
        return wm::DefWindowProcW(hwnd, msg, wparam, lparam);
    };
    match msg {
        wm::WM_SIZE => {
            inner.layout();
            0
        }
        wm::WM_CLOSE => {
            wm::ShowWindow(hwnd, wm::SW_HIDE);
            0
        }
        wm::WM_COMMAND => {
            let id = (wparam & 0xffff) as i32;
            let code = ((wparam >> 16) & 0xffff) as u32;
            if id == SEARCH_ID && code == wm::EN_CHANGE {
                inner.refilter();
            }
            0
        }
        wm::WM_NOTIFY => {
            let header = &*(lparam as *const cc::NMHDR);
            if header.hwndFrom == inner.list {
                inner.notify(header, lparam)
            } else {
                0
            }
        }
        wm::WM_CONTEXTMENU => {
            if wparam as HWND == inner.list {
                let (x, y) = (
                    (lparam & 0xffff) as u16 as i16 as i32,
                    ((lparam >> 16) & 0xffff) as u16 as i16 as i32,
                );
                let from_keyboard = x == -1 && y == -1;
                if let Some(id) = inner.selected_session() {
                    let at = (!from_keyboard).then_some(POINT { x, y });
                    inner.open_menu(id, at);
                }
                return 0;
            }
            wm::DefWindowProcW(hwnd, msg, wparam, lparam)
        }
        wm::WM_ACTIVATE => {
            if (wparam & 0xffff) as u32 == wm::WA_INACTIVE {
                let focus = GetFocus();
                if !focus.is_null() && wm::IsChild(hwnd, focus) != 0 {
                    inner.focus.set(focus);
                }
            } else {
                let focus = inner.focus.get();
                SetFocus(if focus.is_null() { inner.search } else { focus });
            }
            0
        }
        WM_APP_MENU => {
            if let Some(id) = inner.target() {
                inner.open_menu(id, None);
            }
            0
        }
        wm::WM_GETMINMAXINFO => {
            let info = &mut *(lparam as *mut wm::MINMAXINFO);
            info.ptMinTrackSize = POINT {
                x: inner.k(420),
                y: inner.k(240),
            };
            0
        }
        _ => wm::DefWindowProcW(hwnd, msg, wparam, lparam),
    }
}

//! Windows: the dialogs as native Win32 windows, made, shown and answered on the UI thread
//! (the thread of the tray's event loop, whose message loop dispatches their messages like
//! any other window's). No child process, no script: text from users only ever reaches a
//! control through `SetWindowTextW`, and labels that show it are `SS_NOPREFIX` (an `&` in an
//! alias is an `&`, not an access key).
//!
//! What each dialog shows and how its fields become the answer is `forms.rs` (pure,
//! unit-tested everywhere); this file only draws it. The fields are checked on every change
//! (the message under them says what is missing, the default button is enabled only while
//! the answer is complete). Keyboard: Tab / Shift+Tab between controls, Enter for the
//! default button, Escape to cancel, Alt+letter for a field, through `IsDialogMessageW`
//! called from a `WH_GETMESSAGE` hook of the UI thread, since the event loop that pumps the
//! messages is tao's. No dialog is modal: the menu and rotation go on meanwhile.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ptr::{null, null_mut};
use std::rc::Rc;

use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, RECT, WPARAM};
use windows_sys::Win32::Graphics::Gdi as gdi;
use windows_sys::Win32::System::Threading::GetCurrentThreadId;
use windows_sys::Win32::UI::Controls::{BST_CHECKED, EM_SETCUEBANNER, EM_SETLIMITTEXT, EM_SETSEL};
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{EnableWindow, GetFocus, SetFocus};
use windows_sys::Win32::UI::WindowsAndMessaging as wm;

use super::forms::{self, Action, Control, Dialog, Picture};
use super::{
    ChainedRoleForm, ChainedRoleRequest, ChoiceRequest, ConfirmRequest, FederatedRoleForm,
    FederatedRoleRequest, IamUserForm, IamUserRequest, IntegrationForm, IntegrationRequest,
    MfaRequest, ProfileChoice, ProfilesRequest, SignInWaitRequest, TextRequest,
};
use crate::tray::windows::{instance, register_window_class, wide};

/// The window class of every dialog.
const CLASS: &str = "credtrayDialog";
/// Static control styles (`Win32_System_SystemServices`, not otherwise needed).
const SS_LEFT: u32 = 0x0;
const SS_NOPREFIX: u32 = 0x80;
const SS_ICON: u32 = 0x3;
/// Posted to itself to check the fields again once a combo box has taken its new text.
const WM_APP_REFRESH: u32 = wm::WM_APP + 1;
/// The first control id of the fields, of the other buttons.
const FIELD_ID: i32 = 100;
const BUTTON_ID: i32 = 200;

/// How a field's value is read.
enum Read {
    /// The control's text.
    Text,
    /// The item selected in a drop-down list, from these items.
    Pick(Vec<String>),
    /// The index selected in a list box, or empty.
    Index,
    /// A check box: [`forms::CHECKED`] when ticked, else empty.
    Check,
    /// Not a value (a selectable text).
    None,
}

struct FieldWindow {
    hwnd: HWND,
    read: Read,
    /// Trimmed unless it is a secret.
    raw: bool,
    /// A duration's "seconds (10 h)" beside it.
    hours: Option<HWND>,
    /// A check box's: the fields it enables while ticked.
    enables: Vec<usize>,
}

/// What runs with a dialog's answer.
type Done = Box<dyn FnOnce(forms::Answer)>;

/// An open dialog.
struct Open {
    hwnd: HWND,
    title: String,
    fields: Vec<FieldWindow>,
    /// The buttons, with what they do.
    buttons: Vec<(HWND, Action)>,
    /// The line under the fields that says what is missing.
    status: HWND,
    /// The dim line under the heading, if any.
    note: HWND,
    check: forms::Check,
    done: RefCell<Option<Done>>,
    /// The control that had the focus when the window was last deactivated.
    focus: Cell<HWND>,
    first: HWND,
}

impl Open {
    fn values(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| {
                let v = match &f.read {
                    Read::Text => window_text(f.hwnd),
                    Read::Pick(items) => {
                        let i = send(f.hwnd, wm::CB_GETCURSEL, 0, 0);
                        usize::try_from(i)
                            .ok()
                            .and_then(|i| items.get(i).cloned())
                            .unwrap_or_default()
                    }
                    Read::Index => {
                        let i = send(f.hwnd, wm::LB_GETCURSEL, 0, 0);
                        usize::try_from(i)
                            .map(|i| i.to_string())
                            .unwrap_or_default()
                    }
                    Read::Check => {
                        let ticked = send(f.hwnd, wm::BM_GETCHECK, 0, 0) == BST_CHECKED as isize;
                        if ticked {
                            forms::CHECKED.to_string()
                        } else {
                            String::new()
                        }
                    }
                    Read::None => String::new(),
                };
                if f.raw {
                    v
                } else {
                    v.trim().to_string()
                }
            })
            .collect()
    }

    /// Enables the fields check box `f` governs while it is ticked; empties them when not.
    fn enable_from(&self, f: &FieldWindow) {
        let on = send(f.hwnd, wm::BM_GETCHECK, 0, 0) == BST_CHECKED as isize;
        for &i in &f.enables {
            if let Some(target) = self.fields.get(i) {
                if !on {
                    set_text(target.hwnd, "");
                }
                unsafe { EnableWindow(target.hwnd, i32::from(on)) };
            }
        }
    }

    fn has_ok(&self) -> bool {
        self.buttons.iter().any(|(_, a)| *a == Action::Ok)
    }

    /// Checks the fields: enables the buttons that need a complete answer when it is, and
    /// shows what is missing when it is not.
    fn refresh(&self) -> bool {
        let result = (self.check)(&self.values());
        let valid = result.is_ok();
        for (hwnd, action) in &self.buttons {
            let needs = matches!(
                action,
                Action::Ok
                    | Action::Other {
                        needs_valid: true,
                        ..
                    }
            );
            if needs {
                unsafe { EnableWindow(*hwnd, i32::from(valid)) };
            }
        }
        let message = result
            .err()
            .map(|m| forms::sentence(&m))
            .unwrap_or_default();
        set_text(self.status, &message);
        for f in &self.fields {
            if let Some(hours) = f.hours {
                let secs = window_text(f.hwnd).trim().parse::<u32>().ok();
                let text = secs.map_or("seconds".to_string(), |s| {
                    format!("seconds ({})", forms::hours(s))
                });
                set_text(hours, &text);
            }
        }
        valid
    }
}

thread_local! {
    /// The dialogs open on this (the UI) thread, by window handle.
    static OPEN: RefCell<HashMap<usize, Rc<Open>>> = RefCell::new(HashMap::new());
    /// The keyboard hook, once installed.
    static HOOK: Cell<bool> = const { Cell::new(false) };
    static FONTS: RefCell<Option<Fonts>> = const { RefCell::new(None) };
}

fn find(hwnd: HWND) -> Option<Rc<Open>> {
    OPEN.with(|o| o.borrow().get(&(hwnd as usize)).cloned())
}

/// Text as a Windows control shows it: line ends as CR LF.
fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn send(hwnd: HWND, msg: u32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    unsafe { wm::SendMessageW(hwnd, msg, wparam, lparam) }
}

fn set_text(hwnd: HWND, text: &str) {
    if !hwnd.is_null() {
        let w = wide(&crlf(text));
        unsafe { wm::SetWindowTextW(hwnd, w.as_ptr()) };
    }
}

fn window_text(hwnd: HWND) -> String {
    unsafe {
        let len = wm::GetWindowTextLengthW(hwnd);
        let mut buf = vec![0u16; usize::try_from(len).unwrap_or(0) + 1];
        let got = wm::GetWindowTextW(hwnd, buf.as_mut_ptr(), len + 1);
        String::from_utf16_lossy(&buf[..usize::try_from(got).unwrap_or(0)])
    }
}

/// The dialogs' fonts: the system's message font, bold, and a large one for codes.
#[derive(Clone, Copy)]
struct Fonts {
    normal: gdi::HFONT,
    bold: gdi::HFONT,
    big: gdi::HFONT,
    /// The normal font's line height in pixels; every size scales with it.
    line: i32,
}

/// The fonts, made once per thread. A copy: no borrow is held while a dialog is built
/// (building one may answer another, whose callback may open a third).
fn fonts() -> Fonts {
    FONTS.with(|fonts| *fonts.borrow_mut().get_or_insert_with(make_fonts))
}

/// The system's message font, as the dialogs use it, and its line height in pixels (for
/// the other windows of the tray: the Sessions window).
pub(crate) fn message_font() -> (gdi::HFONT, i32) {
    let f = fonts();
    (f.normal, f.line)
}

fn make_fonts() -> Fonts {
    unsafe {
        let mut metrics: wm::NONCLIENTMETRICSW = std::mem::zeroed();
        metrics.cbSize = std::mem::size_of::<wm::NONCLIENTMETRICSW>() as u32;
        let ok = wm::SystemParametersInfoW(
            wm::SPI_GETNONCLIENTMETRICS,
            metrics.cbSize,
            (&mut metrics as *mut wm::NONCLIENTMETRICSW).cast(),
            0,
        );
        let mut base = metrics.lfMessageFont;
        if ok == 0 || base.lfHeight == 0 {
            base = std::mem::zeroed();
            base.lfHeight = -12;
            base.lfWeight = 400;
            let face = wide("Segoe UI");
            base.lfFaceName[..face.len()].copy_from_slice(&face);
        }
        let normal = gdi::CreateFontIndirectW(&base);
        let mut bold = base;
        bold.lfWeight = gdi::FW_BOLD as i32;
        let bold = gdi::CreateFontIndirectW(&bold);
        let mut big = base;
        big.lfHeight = base.lfHeight * 8 / 5;
        big.lfWeight = gdi::FW_BOLD as i32;
        big.lfFaceName = [0; 32];
        let face = wide("Consolas");
        big.lfFaceName[..face.len()].copy_from_slice(&face);
        let big = gdi::CreateFontIndirectW(&big);
        let line = text_size(normal, "Ag", 0).1.max(12);
        Fonts {
            normal,
            bold,
            big,
            line,
        }
    }
}

/// The size of `text` in `font`: on one line when `wrap_width` is 0, else wrapped at it.
fn text_size(font: gdi::HFONT, text: &str, wrap_width: i32) -> (i32, i32) {
    unsafe {
        let dc = gdi::GetDC(null_mut());
        let old = gdi::SelectObject(dc, font);
        let w: Vec<u16> = crlf(if text.is_empty() { " " } else { text })
            .encode_utf16()
            .collect();
        let mut rect = RECT {
            left: 0,
            top: 0,
            right: wrap_width.max(1),
            bottom: 0,
        };
        let mut format = gdi::DT_CALCRECT | gdi::DT_NOPREFIX;
        if wrap_width > 0 {
            format |= gdi::DT_WORDBREAK;
        }
        gdi::DrawTextW(dc, w.as_ptr(), w.len() as i32, &mut rect, format);
        gdi::SelectObject(dc, old);
        gdi::ReleaseDC(null_mut(), dc);
        (rect.right - rect.left, rect.bottom - rect.top)
    }
}

fn register_class() {
    register_window_class(CLASS, Some(window_proc));
}

/// Lets `IsDialogMessageW` see the keys meant for a dialog before tao's loop dispatches
/// them (Tab, Enter, Escape, Alt+letter).
fn install_hook() {
    if HOOK.with(|h| h.replace(true)) {
        return;
    }
    unsafe {
        let hook = wm::SetWindowsHookExW(
            wm::WH_GETMESSAGE,
            Some(keyboard_hook),
            null_mut(),
            GetCurrentThreadId(),
        );
        if hook.is_null() {
            tracing::warn!("dialogs: no keyboard hook; Tab and Enter will not move in dialogs");
        }
    }
}

unsafe extern "system" fn keyboard_hook(code: i32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    if code >= 0 && wparam == wm::PM_REMOVE as usize && lparam != 0 {
        let msg = &mut *(lparam as *mut wm::MSG);
        if (wm::WM_KEYFIRST..=wm::WM_KEYLAST).contains(&msg.message) && !msg.hwnd.is_null() {
            let root = wm::GetAncestor(msg.hwnd, wm::GA_ROOT);
            if find(root).is_some() && wm::IsDialogMessageW(root, msg) != 0 {
                msg.message = wm::WM_NULL;
            }
        }
    }
    wm::CallNextHookEx(null_mut(), code, wparam, lparam)
}

/// Ends the dialog at `hwnd`: its window goes, then `answer` goes to its callback.
fn finish(hwnd: HWND, answer: forms::Answer) {
    let Some(open) = OPEN.with(|o| o.borrow_mut().remove(&(hwnd as usize))) else {
        return;
    };
    tracing::debug!(dialog = %open.title, answered = answer.is_some(), "dialog closed");
    let done = open.done.borrow_mut().take();
    unsafe { wm::DestroyWindow(hwnd) };
    if let Some(done) = done {
        done(answer);
    }
}

fn on_command(open: &Rc<Open>, id: i32, code: u32) {
    if id == wm::IDCANCEL {
        return finish(open.hwnd, None);
    }
    if id == wm::IDOK {
        if !open.has_ok() {
            return;
        }
        if open.refresh() {
            let values = open.values();
            return finish(open.hwnd, Some((Action::Ok, values)));
        }
        tracing::debug!(dialog = %open.title, "Enter ignored: the answer is not complete");
        return;
    }
    if let Some(i) = id
        .checked_sub(BUTTON_ID)
        .and_then(|i| usize::try_from(i).ok())
    {
        if let Some((_, action @ Action::Other { needs_valid, .. })) = open.buttons.get(i) {
            if !needs_valid || open.refresh() {
                let values = open.values();
                finish(open.hwnd, Some((*action, values)));
            }
            return;
        }
    }
    if id >= FIELD_ID {
        let field = usize::try_from(id - FIELD_ID)
            .ok()
            .and_then(|i| open.fields.get(i));
        if let Some(f) = field.filter(|f| matches!(f.read, Read::Check)) {
            if code == wm::BN_CLICKED {
                open.enable_from(f);
                open.refresh();
            }
            return;
        }
        match code {
            wm::EN_CHANGE | wm::CBN_EDITCHANGE => {
                open.refresh();
            }
            // CBN_SELCHANGE and LBN_SELCHANGE (both 1): the edit part of a combo box shows
            // the picked item only after this notification, so check a little later.
            wm::CBN_SELCHANGE => unsafe {
                wm::PostMessageW(open.hwnd, WM_APP_REFRESH, 0, 0);
            },
            _ => {}
        }
    }
}

unsafe extern "system" fn window_proc(
    hwnd: HWND,
    msg: u32,
    wparam: WPARAM,
    lparam: LPARAM,
) -> LRESULT {
    match msg {
        wm::WM_COMMAND => {
            if let Some(open) = find(hwnd) {
                let id = (wparam & 0xffff) as i32;
                let code = ((wparam >> 16) & 0xffff) as u32;
                on_command(&open, id, code);
            }
            0
        }
        WM_APP_REFRESH => {
            if let Some(open) = find(hwnd) {
                open.refresh();
            }
            0
        }
        wm::DM_GETDEFID => match find(hwnd) {
            Some(open) if open.has_ok() => ((wm::DC_HASDEFID as isize) << 16) | wm::IDOK as isize,
            _ => 0,
        },
        wm::WM_CLOSE => {
            finish(hwnd, None);
            0
        }
        wm::WM_ACTIVATE => {
            if let Some(open) = find(hwnd) {
                if (wparam & 0xffff) as u32 == wm::WA_INACTIVE {
                    let focus = GetFocus();
                    if !focus.is_null() && wm::IsChild(hwnd, focus) != 0 {
                        open.focus.set(focus);
                    }
                } else {
                    let focus = open.focus.get();
                    SetFocus(if focus.is_null() { open.first } else { focus });
                }
                return 0;
            }
            wm::DefWindowProcW(hwnd, msg, wparam, lparam)
        }
        wm::WM_CTLCOLORSTATIC => {
            let control = lparam as HWND;
            if let Some(open) = find(hwnd) {
                let dc = wparam as gdi::HDC;
                if control == open.status && open.has_ok() {
                    gdi::SetTextColor(dc, 0x0028_1cc0); // dark red (BGR)
                } else if control == open.status || control == open.note {
                    gdi::SetTextColor(dc, gdi::GetSysColor(gdi::COLOR_GRAYTEXT));
                } else {
                    return wm::DefWindowProcW(hwnd, msg, wparam, lparam);
                }
                gdi::SetBkMode(dc, gdi::TRANSPARENT as i32);
                return gdi::GetSysColorBrush(gdi::COLOR_BTNFACE) as LRESULT;
            }
            wm::DefWindowProcW(hwnd, msg, wparam, lparam)
        }
        _ => wm::DefWindowProcW(hwnd, msg, wparam, lparam),
    }
}

/// Makes a child control.
fn child(
    parent: HWND,
    class: &str,
    text: &str,
    (style, ex_style): (u32, u32),
    rect: (i32, i32, i32, i32),
    id: i32,
    font: gdi::HFONT,
) -> HWND {
    let class = wide(class);
    let text = wide(&crlf(text));
    unsafe {
        let hwnd = wm::CreateWindowExW(
            ex_style,
            class.as_ptr(),
            text.as_ptr(),
            wm::WS_CHILD | wm::WS_VISIBLE | style,
            rect.0,
            rect.1,
            rect.2,
            rect.3,
            parent,
            id as isize as wm::HMENU,
            instance(),
            null(),
        );
        wm::SendMessageW(hwnd, wm::WM_SETFONT, font as WPARAM, 0);
        hwnd
    }
}

/// Shows `d` and returns its window (null if it could not be made; then `d.done` has run
/// with no answer).
fn show(d: Dialog) -> HWND {
    register_class();
    install_hook();
    build(d, &fonts())
}

fn build(d: Dialog, fonts: &Fonts) -> HWND {
    let k = |v: i32| v * fonts.line / 16;
    let width = k(d.width);
    let margin = k(12);
    let inner = width - 2 * margin;
    let edit_h = fonts.line + k(9);
    let title = wide(&d.title);
    let class = wide(CLASS);
    let hwnd = unsafe {
        wm::CreateWindowExW(
            wm::WS_EX_DLGMODALFRAME
                | wm::WS_EX_TOPMOST
                | wm::WS_EX_CONTROLPARENT
                | wm::WS_EX_APPWINDOW,
            class.as_ptr(),
            title.as_ptr(),
            wm::WS_OVERLAPPED | wm::WS_CAPTION | wm::WS_SYSMENU | wm::WS_CLIPCHILDREN,
            wm::CW_USEDEFAULT,
            wm::CW_USEDEFAULT,
            width,
            k(200),
            null_mut(),
            null_mut(),
            instance(),
            null(),
        )
    };
    if hwnd.is_null() {
        tracing::error!(dialog = %d.title, "cannot open the dialog window");
        (d.done)(None);
        return hwnd;
    }
    let label_style = SS_LEFT | SS_NOPREFIX;
    let mut y = margin;

    // The picture, the heading and the note.
    let mut text_x = margin;
    if d.picture != Picture::None {
        let icon = unsafe {
            wm::LoadIconW(
                null_mut(),
                if d.picture == Picture::Warning {
                    wm::IDI_WARNING
                } else {
                    wm::IDI_QUESTION
                },
            )
        };
        let pic = child(
            hwnd,
            "STATIC",
            "",
            (SS_ICON, 0),
            (margin, y, 32, 32),
            -1,
            fonts.normal,
        );
        send(pic, wm::STM_SETICON, icon as WPARAM, 0);
        text_x += 32 + k(12);
    }
    let text_w = width - margin - text_x;
    let (_, h) = text_size(fonts.bold, &d.heading, text_w);
    child(
        hwnd,
        "STATIC",
        &d.heading,
        (label_style, 0),
        (text_x, y, text_w, h),
        -1,
        fonts.bold,
    );
    y += h.max(if d.picture == Picture::None { 0 } else { 32 }) + k(6);
    let mut note = null_mut();
    if let Some(n) = &d.note {
        let (_, h) = text_size(fonts.normal, n, text_w);
        note = child(
            hwnd,
            "STATIC",
            n,
            (label_style, 0),
            (text_x, y, text_w, h),
            -1,
            fonts.normal,
        );
        y += h + k(6);
    }
    y += k(4);

    // The fields.
    let two = forms::two_columns(&d);
    let label_w = if two {
        // A check box's label is its own text, in the fields' column.
        d.fields
            .iter()
            .filter(|f| !matches!(f.control, Control::Check { .. }))
            .map(|f| text_size(fonts.normal, &f.label.replace('&', ""), 0).0)
            .max()
            .unwrap_or(0)
            + k(12)
    } else {
        0
    };
    let mut fields = Vec::new();
    for (i, f) in d.fields.iter().enumerate() {
        let id = FIELD_ID + i as i32;
        let (x, w) = if two {
            (margin + label_w, inner - label_w)
        } else {
            (margin, inner)
        };
        let row_h = match &f.control {
            Control::Code(_) => text_size(fonts.big, "0", 0).1 + k(10),
            Control::Big(_) => text_size(fonts.big, "0", 0).1 + k(4),
            Control::List { items } => {
                (items.len().clamp(4, 10) as i32) * (fonts.line + k(3)) + k(6)
            }
            // A check box's text wraps beside its box.
            Control::Check { .. } => {
                let (_, h) = text_size(fonts.normal, &f.label.replace('&', ""), w - k(24));
                (h + k(6)).max(edit_h)
            }
            _ => edit_h,
        };
        let is_check = matches!(f.control, Control::Check { .. });
        if !f.label.is_empty() && !is_check {
            if two {
                let ly = y + (row_h - fonts.line) / 2;
                child(
                    hwnd,
                    "STATIC",
                    &f.label,
                    (SS_LEFT, 0),
                    (margin, ly, label_w, fonts.line),
                    -1,
                    fonts.normal,
                );
            } else {
                let (_, h) = text_size(fonts.normal, &f.label, inner);
                child(
                    hwnd,
                    "STATIC",
                    &f.label,
                    (SS_LEFT, 0),
                    (margin, y, inner, h),
                    -1,
                    fonts.normal,
                );
                y += h + k(4);
            }
        }
        let tab = wm::WS_TABSTOP;
        let edit = wm::ES_AUTOHSCROLL as u32;
        let sunken = wm::WS_EX_CLIENTEDGE;
        let mut hours = None;
        let mut enables = Vec::new();
        let (control, read) = match &f.control {
            Control::Check {
                initial,
                enables: governed,
            } => {
                let style = tab | (wm::BS_AUTOCHECKBOX | wm::BS_MULTILINE) as u32;
                let c = child(
                    hwnd,
                    "BUTTON",
                    &f.label,
                    (style, 0),
                    (x, y, w, row_h),
                    id,
                    fonts.normal,
                );
                if *initial {
                    send(c, wm::BM_SETCHECK, BST_CHECKED as WPARAM, 0);
                }
                enables.clone_from(governed);
                (c, Read::Check)
            }
            Control::Text {
                initial,
                hint,
                hidden,
            } => {
                let style = tab | edit | if *hidden { wm::ES_PASSWORD as u32 } else { 0 };
                let c = child(
                    hwnd,
                    "EDIT",
                    initial,
                    (style, sunken),
                    (x, y, w, row_h),
                    id,
                    fonts.normal,
                );
                if !hint.is_empty() {
                    let hint = wide(hint);
                    send(c, EM_SETCUEBANNER, 0, hint.as_ptr() as LPARAM);
                }
                (c, Read::Text)
            }
            Control::Code(digits) => {
                let style = tab | edit | wm::ES_NUMBER as u32;
                let cw = text_size(fonts.big, &"0".repeat(*digits as usize + 2), 0).0;
                let c = child(
                    hwnd,
                    "EDIT",
                    "",
                    (style, sunken),
                    (x, y, cw, row_h),
                    id,
                    fonts.big,
                );
                send(c, EM_SETLIMITTEXT, *digits as WPARAM, 0);
                (c, Read::Text)
            }
            Control::Duration { initial, .. } => {
                let style = tab | edit | wm::ES_NUMBER as u32;
                let cw = text_size(fonts.normal, "0000000", 0).0 + k(12);
                let c = child(
                    hwnd,
                    "EDIT",
                    &initial.to_string(),
                    (style, sunken),
                    (x, y, cw, row_h),
                    id,
                    fonts.normal,
                );
                send(c, EM_SETLIMITTEXT, 6, 0);
                let hx = x + cw + k(8);
                let ly = y + (row_h - fonts.line) / 2;
                hours = Some(child(
                    hwnd,
                    "STATIC",
                    "seconds",
                    (SS_LEFT | SS_NOPREFIX, 0),
                    (hx, ly, w - cw - k(8), fonts.line),
                    -1,
                    fonts.normal,
                ));
                (c, Read::Text)
            }
            Control::Combo {
                items,
                initial,
                editable,
            } => {
                let kind = if *editable {
                    wm::CBS_DROPDOWN | wm::CBS_AUTOHSCROLL
                } else {
                    wm::CBS_DROPDOWNLIST
                } as u32;
                let drop = row_h + (items.len().clamp(1, 12) as i32) * (fonts.line + k(4)) + k(4);
                let c = child(
                    hwnd,
                    "COMBOBOX",
                    "",
                    (tab | kind | wm::WS_VSCROLL, 0),
                    (x, y, w, drop),
                    id,
                    fonts.normal,
                );
                for item in items {
                    let item = wide(item);
                    send(c, wm::CB_ADDSTRING, 0, item.as_ptr() as LPARAM);
                }
                if let Some(i) = items.iter().position(|it| it == initial) {
                    send(c, wm::CB_SETCURSEL, i, 0);
                }
                if *editable {
                    set_text(c, initial);
                    (c, Read::Text)
                } else {
                    (c, Read::Pick(items.clone()))
                }
            }
            Control::List { items } => {
                let style =
                    tab | wm::LBS_NOTIFY as u32 | wm::WS_VSCROLL | wm::LBS_NOINTEGRALHEIGHT as u32;
                let c = child(
                    hwnd,
                    "LISTBOX",
                    "",
                    (style, sunken),
                    (x, y, w, row_h),
                    id,
                    fonts.normal,
                );
                for item in items {
                    let item = wide(item);
                    send(c, wm::LB_ADDSTRING, 0, item.as_ptr() as LPARAM);
                }
                (c, Read::Index)
            }
            Control::ReadOnly(text) => {
                let style = tab | edit | wm::ES_READONLY as u32;
                let c = child(
                    hwnd,
                    "EDIT",
                    text,
                    (style, sunken),
                    (x, y, w, row_h),
                    id,
                    fonts.normal,
                );
                (c, Read::None)
            }
            Control::Big(text) => {
                let style = tab | edit | wm::ES_READONLY as u32;
                let c = child(
                    hwnd,
                    "EDIT",
                    text,
                    (style, 0),
                    (x, y, w, row_h),
                    id,
                    fonts.big,
                );
                (c, Read::None)
            }
        };
        fields.push(FieldWindow {
            hwnd: control,
            read,
            raw: f.raw(),
            hours,
            enables,
        });
        y += row_h + k(6);
    }

    // The line that says what is missing.
    let checks = d.buttons.iter().any(|b| {
        matches!(
            b.action,
            Action::Ok
                | Action::Other {
                    needs_valid: true,
                    ..
                }
        )
    }) && !d.fields.is_empty();
    let mut status = null_mut();
    if checks {
        let h = 2 * fonts.line + k(2);
        status = child(
            hwnd,
            "STATIC",
            "",
            (SS_LEFT | SS_NOPREFIX, 0),
            (margin, y, inner, h),
            -1,
            fonts.normal,
        );
        y += h;
    }

    // The buttons, on the right.
    y += k(8);
    let button_h = fonts.line + k(11);
    let sizes: Vec<i32> = d
        .buttons
        .iter()
        .map(|b| (text_size(fonts.normal, &b.label.replace('&', ""), 0).0 + k(24)).max(k(84)))
        .collect();
    let gap = k(6);
    let mut x = width - margin - sizes.iter().sum::<i32>() - gap * (sizes.len() as i32 - 1).max(0);
    let mut buttons = Vec::new();
    let mut cancel_seen = false;
    for (i, (b, w)) in d.buttons.iter().zip(&sizes).enumerate() {
        let (id, style) = match b.action {
            Action::Ok => (wm::IDOK, wm::BS_DEFPUSHBUTTON),
            Action::Cancel if !cancel_seen => {
                cancel_seen = true;
                (wm::IDCANCEL, wm::BS_PUSHBUTTON)
            }
            _ => (BUTTON_ID + i as i32, wm::BS_PUSHBUTTON),
        };
        let c = child(
            hwnd,
            "BUTTON",
            &b.label,
            (wm::WS_TABSTOP | style as u32, 0),
            (x, y, *w, button_h),
            id,
            fonts.normal,
        );
        buttons.push((c, b.action));
        x += w + gap;
    }
    y += button_h + margin;

    // The window's size for that client area, centred on the screen.
    unsafe {
        let mut rect = RECT {
            left: 0,
            top: 0,
            right: width,
            bottom: y,
        };
        let style = wm::GetWindowLongW(hwnd, wm::GWL_STYLE) as u32;
        let ex = wm::GetWindowLongW(hwnd, wm::GWL_EXSTYLE) as u32;
        wm::AdjustWindowRectEx(&mut rect, style, 0, ex);
        let (w, h) = (rect.right - rect.left, rect.bottom - rect.top);
        let sx = wm::GetSystemMetrics(wm::SM_CXSCREEN);
        let sy = wm::GetSystemMetrics(wm::SM_CYSCREEN);
        wm::SetWindowPos(
            hwnd,
            wm::HWND_TOPMOST,
            ((sx - w) / 2).max(0),
            ((sy - h) / 3).max(0),
            w,
            h,
            0,
        );
    }

    let first = match d.focus_button {
        Some(i) => buttons.get(i).map(|(b, _)| *b),
        None => fields
            .iter()
            .find(|f| !matches!(f.read, Read::None))
            .map(|f| f.hwnd),
    }
    .unwrap_or(hwnd);
    let open = Rc::new(Open {
        hwnd,
        title: d.title,
        fields,
        buttons,
        status,
        note,
        check: d.check,
        done: RefCell::new(Some(d.done)),
        focus: Cell::new(null_mut()),
        first,
    });
    OPEN.with(|o| o.borrow_mut().insert(hwnd as usize, open.clone()));
    for f in open.fields.iter().filter(|f| !f.enables.is_empty()) {
        open.enable_from(f);
    }
    open.refresh();
    unsafe {
        wm::ShowWindow(hwnd, wm::SW_SHOW);
        wm::SetForegroundWindow(hwnd);
        SetFocus(first);
        // A text field's initial text is selected, so typing replaces it.
        if let Some(f) = open.fields.first().filter(|f| f.hwnd == first) {
            if matches!(f.read, Read::Text) {
                let class = class_name(first);
                if class.eq_ignore_ascii_case("EDIT") {
                    send(first, EM_SETSEL, 0, -1);
                } else {
                    send(first, wm::CB_SETEDITSEL, 0, 0xffff_0000);
                }
            }
        }
    }
    tracing::debug!(dialog = %open.title, "dialog open");
    hwnd
}

fn class_name(hwnd: HWND) -> String {
    let mut buf = [0u16; 64];
    let n = unsafe { wm::GetClassNameW(hwnd, buf.as_mut_ptr(), buf.len() as i32) };
    String::from_utf16_lossy(&buf[..usize::try_from(n).unwrap_or(0)])
}

/// See [`MfaRequest`]: a field that takes six digits.
pub fn mfa_code(req: MfaRequest, done: Box<dyn FnOnce(Option<String>)>) {
    show(forms::mfa_code(req, done));
}

/// See [`TextRequest`].
pub fn text(req: TextRequest, done: Box<dyn FnOnce(Option<String>)>) {
    show(forms::text_dialog(req, done));
}

/// See [`ChoiceRequest`].
pub fn choice(req: ChoiceRequest, done: Box<dyn FnOnce(Option<String>)>) {
    show(forms::choice(req, done));
}

/// See [`ConfirmRequest`].
pub fn confirm(req: ConfirmRequest, done: Box<dyn FnOnce(bool)>) {
    show(forms::confirm(req, done));
}

/// See [`IamUserRequest`]. The secret access key is typed into a masked field.
pub fn add_iam_user(req: IamUserRequest, done: Box<dyn FnOnce(Option<IamUserForm>)>) {
    show(forms::add_iam_user(req, done));
}

/// See [`ChainedRoleRequest`].
pub fn add_chained_role(req: ChainedRoleRequest, done: Box<dyn FnOnce(Option<ChainedRoleForm>)>) {
    show(forms::add_chained_role(req, done));
}

/// See [`FederatedRoleRequest`].
pub fn add_federated_role(
    req: FederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleForm>)>,
) {
    show(forms::add_federated_role(req, done));
}

/// See [`ProfilesRequest`].
pub fn named_profiles(req: ProfilesRequest, done: Box<dyn FnOnce(Option<ProfileChoice>)>) {
    show(forms::named_profiles(req, done));
}

/// See [`IntegrationRequest`].
pub fn add_integration(req: IntegrationRequest, done: Box<dyn FnOnce(Option<IntegrationForm>)>) {
    show(forms::add_integration(req, done));
}

/// A sign-in wait on screen; [`Waiting::close`] takes it down.
pub struct Waiting {
    hwnd: HWND,
}

impl Waiting {
    /// Takes the window down without answering: the sign-in is over.
    pub fn close(self) {
        let open = OPEN.with(|o| o.borrow_mut().remove(&(self.hwnd as usize)));
        if open.is_some() {
            unsafe { wm::DestroyWindow(self.hwnd) };
        }
    }
}

/// See [`SignInWaitRequest`]: the URL (selectable), the code in device mode, and Cancel.
/// `cancel` runs when the user cancels (Cancel, Escape, the close box); not when
/// [`Waiting::close`] takes the window down.
pub fn sign_in_wait(req: SignInWaitRequest, cancel: Box<dyn FnOnce()>) -> Waiting {
    Waiting {
        hwnd: show(forms::sign_in_wait(req, cancel)),
    }
}

/// See [`super::EditIamUserRequest`]: "Replace access keys" enables two masked fields.
pub fn edit_iam_user(
    req: super::EditIamUserRequest,
    done: Box<dyn FnOnce(Option<super::IamUserEdit>)>,
) {
    show(forms::edit_iam_user(req, done));
}

/// See [`super::EditChainedRoleRequest`]: the parents offered make no cycle.
pub fn edit_chained_role(
    req: super::EditChainedRoleRequest,
    done: Box<dyn FnOnce(Option<ChainedRoleForm>)>,
) {
    show(forms::edit_chained_role(req, done));
}

/// See [`super::EditFederatedRoleRequest`]: with "Forget the remembered sign-in".
pub fn edit_federated_role(
    req: super::EditFederatedRoleRequest,
    done: Box<dyn FnOnce(Option<super::FederatedRoleEdit>)>,
) {
    show(forms::edit_federated_role(req, done));
}

/// See [`super::EditSsoSessionRequest`]: profile and region.
pub fn edit_sso_session(
    req: super::EditSsoSessionRequest,
    done: Box<dyn FnOnce(Option<super::SsoSessionEdit>)>,
) {
    show(forms::edit_sso_session(req, done));
}

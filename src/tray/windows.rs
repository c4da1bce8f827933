//! What the tray needs on Windows beyond tao and tray-icon:
//!
//! - [`detach_console`]: credtray.exe is a console program (the CLI needs one). Started
//!   from the Start menu or at login, Windows gives the tray a console window of its own;
//!   the tray lets go of it, and the window goes. A console it shares (a terminal that
//!   started `credtray`) is kept.
//! - [`watch_quit`]: a hidden top-level window, class [`QUIT_CLASS`], that turns
//!   `WM_CLOSE` (what `taskkill` without `/F` and the uninstaller send) and
//!   `WM_QUERYENDSESSION` (sign-out, shutdown) into the menu's Quit — active sessions are
//!   stopped, so no credentials are left behind with nothing to rotate them, the way
//!   SIGTERM does on Unix.
//! - [`wide`], [`instance`], [`register_window_class`]: what the dialogs (`dialogs/win32.rs`)
//!   and the Sessions window (`sessions/win32.rs`) share to make their windows.

use std::cell::RefCell;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{HINSTANCE, HWND, LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::Graphics::Gdi as gdi;
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::UI::WindowsAndMessaging as wm;

use super::app::{Ui, UserEvent};

/// The class of the hidden window that quits the tray (the uninstaller finds it by this).
pub const QUIT_CLASS: &str = "credtray-quit";

#[link(name = "kernel32")]
extern "system" {
    fn GetConsoleProcessList(list: *mut u32, count: u32) -> u32;
    fn FreeConsole() -> i32;
}

/// Lets go of a console that only this process uses (so its window closes).
pub fn detach_console() {
    let mut ids = [0u32; 4];
    let attached = unsafe { GetConsoleProcessList(ids.as_mut_ptr(), ids.len() as u32) };
    if attached == 1 {
        unsafe { FreeConsole() };
    }
}

thread_local! {
    static QUIT_UI: RefCell<Option<Ui>> = const { RefCell::new(None) };
}

/// `s` as a NUL-terminated UTF-16 string, for the Win32 API.
pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// This executable's module handle.
pub fn instance() -> HINSTANCE {
    unsafe { GetModuleHandleW(null()) }
}

thread_local! {
    /// The window classes registered on this thread.
    static REGISTERED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Registers `name`, the class of one of credtray's visible windows (a dialog, the
/// Sessions window): `proc`, the executable's icon, the arrow cursor, the dialog colour.
/// Once per thread; `false` when it was registered already.
pub fn register_window_class(name: &str, proc: wm::WNDPROC) -> bool {
    let new = REGISTERED.with(|r| {
        let mut r = r.borrow_mut();
        let new = !r.iter().any(|n| n == name);
        if new {
            r.push(name.to_owned());
        }
        new
    });
    if !new {
        return false;
    }
    let class_name = wide(name);
    unsafe {
        let class = wm::WNDCLASSW {
            style: wm::CS_HREDRAW | wm::CS_VREDRAW,
            lpfnWndProc: proc,
            cbClsExtra: 0,
            cbWndExtra: 0,
            hInstance: instance(),
            // The executable's icon (resource 1, see installers/windows/credtray.rc.in).
            hIcon: wm::LoadIconW(instance(), 1 as _),
            hCursor: wm::LoadCursorW(null_mut(), wm::IDC_ARROW),
            hbrBackground: (gdi::COLOR_BTNFACE + 1) as usize as gdi::HBRUSH,
            lpszMenuName: null(),
            lpszClassName: class_name.as_ptr(),
        };
        // The class name is copied by RegisterClassW.
        wm::RegisterClassW(&class);
    }
    true
}

/// Makes the hidden window on this (the UI) thread; its messages come through the event
/// loop like any other window's.
pub fn watch_quit(ui: Ui) {
    QUIT_UI.with(|q| *q.borrow_mut() = Some(ui));
    let class_name = wide(QUIT_CLASS);
    unsafe {
        let instance = instance();
        let class = wm::WNDCLASSW {
            style: 0,
            lpfnWndProc: Some(quit_proc),
            cbClsExtra: 0,
            cbWndExtra: 0,
            hInstance: instance,
            hIcon: null_mut(),
            hCursor: null_mut(),
            hbrBackground: null_mut(),
            lpszMenuName: null(),
            lpszClassName: class_name.as_ptr(),
        };
        wm::RegisterClassW(&class);
        let title = wide("credtray");
        // Top-level (not message-only): message-only windows get no WM_QUERYENDSESSION,
        // and FindWindow does not see them. Never shown.
        let hwnd = wm::CreateWindowExW(
            wm::WS_EX_TOOLWINDOW,
            class_name.as_ptr(),
            title.as_ptr(),
            wm::WS_OVERLAPPED,
            0,
            0,
            0,
            0,
            null_mut(),
            null_mut(),
            instance,
            null(),
        );
        if hwnd.is_null() {
            tracing::warn!(
                "no quit window: the uninstaller and sign-out will not stop the tray gracefully"
            );
        }
    }
}

fn quit() {
    QUIT_UI.with(|q| {
        if let Some(ui) = q.borrow().as_ref() {
            ui.send(UserEvent::Quit);
        }
    });
}

unsafe extern "system" fn quit_proc(
    hwnd: HWND,
    msg: u32,
    wparam: WPARAM,
    lparam: LPARAM,
) -> LRESULT {
    match msg {
        wm::WM_CLOSE => {
            tracing::info!("asked to close: quitting");
            quit();
            0
        }
        wm::WM_QUERYENDSESSION => {
            tracing::info!("the session ends: quitting");
            quit();
            1
        }
        _ => wm::DefWindowProcW(hwnd, msg, wparam, lparam),
    }
}

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

use std::cell::RefCell;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
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

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Makes the hidden window on this (the UI) thread; its messages come through the event
/// loop like any other window's.
pub fn watch_quit(ui: Ui) {
    QUIT_UI.with(|q| *q.borrow_mut() = Some(ui));
    let class_name = wide(QUIT_CLASS);
    unsafe {
        let instance = GetModuleHandleW(null());
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

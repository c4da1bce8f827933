//! The tray's resident memory, kept low for a process that stays up all day. With glibc,
//! every thread that allocates may get a malloc arena of its own, and memory freed after a
//! menu rebuild stays in the heap; both show as resident memory that nothing uses. So,
//! before any thread starts, the tray limits malloc to [`ARENAS`] arenas, and a moment
//! after the menu is built or restructured it hands the freed pages back to the system
//! (`malloc_trim`). Elsewhere (other C libraries, macOS, Windows) both are no-ops.

use std::time::Duration;

/// The malloc arenas the tray may use: the UI thread and tokio's workers share them.
pub const ARENAS: i32 = 2;

/// How long after a menu change the freed memory is handed back: the menu's export on
/// D-Bus (which copies it) is done by then.
pub const TRIM_AFTER: Duration = Duration::from_secs(2);

/// Limits malloc's arenas; to be called before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Hands the heap's free pages back to the system.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes malloc's own locks; callable from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// [`release_freed`] after [`TRIM_AFTER`], on `rt`.
pub fn release_freed_soon(rt: &tokio::runtime::Handle) {
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        rt.spawn(async {
            tokio::time::sleep(TRIM_AFTER).await;
            tokio::task::spawn_blocking(release_freed);
        });
    }
}

//! One tray per user, and the signal by which a second `credtray` brings up the running
//! tray's Sessions window instead of only saying that one runs.
//!
//! The second process writes a request file into credtray's config folder (private to the
//! user: 0700) and waits for it to go; the running tray watches that folder (`notify`, the
//! same watch the agent keeps on the state file: inotify, FSEvents, ReadDirectoryChangesW),
//! takes the request by removing it, and shows the window. A file, not a socket, so that
//! it works the same on every platform; a request nobody takes (the headless agent holds
//! the instance lock, or the tray is stuck) is removed again by its writer after
//! [`ANSWER_WAIT`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

/// The request's file name, in the config folder.
pub const REQUEST: &str = "show-sessions.request";

/// How long a second launch waits for the running tray to take its request.
pub const ANSWER_WAIT: Duration = Duration::from_secs(2);

/// The running tray's watch for requests; dropping it stops watching.
pub struct Listener {
    _watcher: notify::RecommendedWatcher,
}

fn request_path(dir: &Path) -> PathBuf {
    dir.join(REQUEST)
}

/// Takes the request if there is one: true when this call removed it.
fn take(path: &Path) -> bool {
    fs::remove_file(path).is_ok()
}

/// Watches `dir` for requests: each one is taken (removed) and `on_request` runs, on the
/// watcher's thread. A request left by an earlier launch is dropped first.
pub fn listen(dir: &Path, on_request: impl Fn() + Send + 'static) -> notify::Result<Listener> {
    let path = request_path(dir);
    if take(&path) {
        tracing::debug!("a stale request to show the Sessions window was dropped");
    }
    let watched = path.clone();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else {
            return;
        };
        let ours = ev
            .paths
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == REQUEST));
        let arrived = !matches!(
            ev.kind,
            notify::EventKind::Access(_) | notify::EventKind::Remove(_)
        );
        if ours && arrived && take(&watched) {
            tracing::info!("a second launch asked for the Sessions window");
            on_request();
        }
    })?;
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(Listener { _watcher: watcher })
}

/// What became of a second launch's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// The running tray took it: its Sessions window is up.
    Shown,
    /// Nobody took it within the wait (the headless agent runs, or the tray is stuck).
    NoAnswer,
}

/// Asks the running tray to show its Sessions window and waits at most `wait` for it to
/// take the request.
pub fn ask_to_show(dir: &Path, wait: Duration) -> io::Result<Asked> {
    let path = request_path(dir);
    // Windows lets only the foreground process (this launch, which the user just started)
    // bring a window to the front: it passes that right on to the running tray.
    #[cfg(windows)]
    unsafe {
        windows_sys::Win32::UI::WindowsAndMessaging::AllowSetForegroundWindow(
            windows_sys::Win32::UI::WindowsAndMessaging::ASFW_ANY,
        );
    }
    // Written whole, then renamed into place: the tray sees one complete file.
    let staged = dir.join(format!("{REQUEST}.{}", std::process::id()));
    fs::write(&staged, format!("{}\n", std::process::id()))?;
    fs::rename(&staged, &path)?;
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if !path.exists() {
            return Ok(Asked::Shown);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Taken at the last moment, or not at all.
    Ok(if take(&path) {
        Asked::NoAnswer
    } else {
        Asked::Shown
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_request_is_taken_once_and_answered() {
        let dir = tempfile::tempdir().unwrap();
        let asked = Arc::new(AtomicUsize::new(0));
        let seen = asked.clone();
        let _listener = listen(dir.path(), move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        for n in 1..=2 {
            assert_eq!(
                ask_to_show(dir.path(), Duration::from_secs(5)).unwrap(),
                Asked::Shown
            );
            assert_eq!(asked.load(Ordering::SeqCst), n);
        }
        assert!(!dir.path().join(REQUEST).exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left");
    }

    #[test]
    fn with_nobody_listening_the_request_is_withdrawn() {
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        assert_eq!(
            ask_to_show(dir.path(), Duration::from_millis(200)).unwrap(),
            Asked::NoAnswer
        );
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "nothing left");
    }

    #[test]
    fn a_stale_request_is_dropped_when_the_tray_starts() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(REQUEST), "1\n").unwrap();
        let asked = Arc::new(AtomicUsize::new(0));
        let seen = asked.clone();
        let _listener = listen(dir.path(), move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(asked.load(Ordering::SeqCst), 0);
        assert!(!dir.path().join(REQUEST).exists());
    }
}

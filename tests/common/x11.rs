//! The X11 part of the harness: a private `Xvfb` per test, `xdotool` to find windows and to
//! type, ImageMagick's `import` for screenshots (kept under [`artifacts_dir`]).
//!
//! The tools come from `scripts/install-deps.sh`; a test that needs a missing one fails
//! (never skips) with a message saying so.

use std::fs;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long Xvfb may take to pick a display and accept connections.
const XVFB_START_TIMEOUT: Duration = Duration::from_secs(20);

/// Panics with what to run when `tool` is not on `PATH`.
pub fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: run scripts/install-deps.sh (it installs xvfb, xdotool and \
         imagemagick)"
    );
}

/// A private X server (`Xvfb`, 1280x800, no TCP) on a display it picks itself; killed when
/// dropped.
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts the server and waits until it accepts connections.
    pub fn start() -> Xvfb {
        require("Xvfb");
        let mut log = tempfile::tempfile().expect("a temporary file for Xvfb's log");
        // -displayfd 1: Xvfb writes the display number it took on its standard output once
        // it accepts connections.
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.try_clone().expect("clone Xvfb's log handle"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run Xvfb: {e}"));
        let stdout = child.stdout.take().expect("Xvfb's standard output");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(XVFB_START_TIMEOUT).unwrap_or_default();
        match line.trim().parse::<u32>() {
            Ok(number) => Xvfb {
                child,
                display: format!(":{number}"),
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let mut text = String::new();
                let _ = log.rewind();
                let _ = log.read_to_string(&mut text);
                panic!(
                    "Xvfb did not report a display within {XVFB_START_TIMEOUT:?} (it wrote \
                     {line:?}); its log:\n{text}"
                );
            }
        }
    }

    /// The display, as `DISPLAY` takes it (`:N`).
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `xdotool ARGS` on `display` and returns its standard output, trimmed. Panics with
/// its standard error when it fails.
pub fn xdotool(display: &str, args: &[&str]) -> String {
    match try_xdotool(display, args) {
        Ok(out) => out,
        Err(err) => panic!("xdotool {args:?} on {display} failed: {err}"),
    }
}

fn try_xdotool(display: &str, args: &[&str]) -> Result<String, String> {
    require("xdotool");
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run xdotool: {e}"));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Waits until a visible window whose title matches `title_regex` appears on `display`
/// (polling every 100 ms) and returns its id. Panics when none does within `timeout`.
pub fn wait_for_window(display: &str, title_regex: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        // xdotool exits 1 when no window matches: keep polling.
        if let Ok(ids) = try_xdotool(display, &["search", "--onlyvisible", "--name", title_regex]) {
            if let Some(id) = ids.lines().next().filter(|id| !id.is_empty()) {
                return id.to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no window titled like {title_regex:?} appeared on {display} within {timeout:?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// Saves a screenshot of the whole `display` to `path` (PNG), creating its folder.
pub fn screenshot(display: &str, path: &Path) {
    require("import");
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let out = Command::new("import")
        .args(["-window", "root"])
        .arg(path)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run import: {e}"));
    assert!(
        out.status.success(),
        "import -window root {} on {display} failed ({}): {}",
        path.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// Where tests leave files to look at: `$CARGO_TARGET_DIR/artifacts`, or
/// `<repo>/target/artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
    };
    target.join("artifacts")
}

/// What a window manager sends when the user clicks the window's close button: a
/// WM_PROTOCOLS client message carrying WM_DELETE_WINDOW (Xvfb runs no window manager, and
/// xdotool's windowclose destroys the window instead, which no toolkit reports as a close).
/// Through libX11 with Python's ctypes.
const WM_DELETE_PY: &str = r#"
import ctypes, sys
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XFlush.argtypes = [ctypes.c_void_p]
class Msg(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                ("l", ctypes.c_long * 5)]
class Ev(ctypes.Union):
    _fields_ = [("msg", Msg), ("pad", ctypes.c_long * 24)]
x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                         ctypes.POINTER(Ev)]
d = x.XOpenDisplay(None)
if not d:
    sys.exit("cannot open the display")
w = int(sys.argv[1])
e = Ev()
e.msg.type = 33  # ClientMessage
e.msg.display = d
e.msg.window = w
e.msg.message_type = x.XInternAtom(d, b"WM_PROTOCOLS", 0)
e.msg.format = 32
e.msg.l[0] = x.XInternAtom(d, b"WM_DELETE_WINDOW", 0)
e.msg.l[1] = 0  # CurrentTime
if not x.XSendEvent(d, w, 0, 0, ctypes.byref(e)):
    sys.exit("XSendEvent failed")
x.XFlush(d)
"#;

/// Asks window `wid` to close, as a window manager would (see [`WM_DELETE_PY`]).
pub fn close_window(display: &str, wid: &str) {
    let out = std::process::Command::new("python3")
        .args(["-c", WM_DELETE_PY, wid])
        .env("DISPLAY", display)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "sending WM_DELETE_WINDOW failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The example program NAME, next to the test binary's own (`<target>/<profile>/deps/TEST` →
/// `<target>/<profile>/examples/NAME`), checked to be newer than every source cargo built it
/// from (listed in `NAME.d` beside it): a stale example would test old code.
pub fn fresh_example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in <target>/<profile>/deps");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build --examples` (scripts/test.sh does) before \
         running these tests",
        path.display()
    );
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("the example's modification time");
    let dep_info = std::fs::read_to_string(path.with_extension("d")).unwrap_or_default();
    let sources = dep_info
        .lines()
        .next()
        .and_then(|line| line.split_once(": "))
        .map(|(_, sources)| sources.replace("\\ ", "\0"))
        .unwrap_or_default();
    for source in sources.split_whitespace().map(|s| s.replace('\0', " ")) {
        let Ok(modified) = std::fs::metadata(&source).and_then(|m| m.modified()) else {
            continue;
        };
        assert!(
            modified <= built,
            "{} is older than {source}: rebuild it with `cargo build --examples` \
             (scripts/test.sh does)",
            path.display(),
        );
    }
    path
}

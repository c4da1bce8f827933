//! "Start at login", through the `auto-launch` crate: an XDG autostart entry
//! (`~/.config/autostart/credtray.desktop`) on Linux, a launch agent on macOS, the Run
//! registry key on Windows. The entry starts the binary that is running now, with no
//! arguments (the tray).

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

/// The name of the autostart entry.
pub const APP_NAME: &str = "credtray";

/// Why the autostart entry could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    /// The running binary's path is unknown or not UTF-8.
    #[error("cannot tell where the credtray binary is ({0}); start at login needs its path")]
    NoExe(String),
    /// auto-launch failed.
    #[error("cannot {what} the start-at-login entry: {source}")]
    Launcher {
        /// enable, disable or read.
        what: &'static str,
        /// The cause.
        source: auto_launch::Error,
    },
}

fn launcher() -> Result<AutoLaunch, AutostartError> {
    let exe = std::env::current_exe().map_err(|e| AutostartError::NoExe(e.to_string()))?;
    let exe = exe
        .to_str()
        .ok_or_else(|| AutostartError::NoExe(format!("{} is not UTF-8", exe.display())))?;
    // The Linux entry's Exec= line is split on spaces: quote a path that has any. The
    // Windows Run key's value is a command line: always quoted.
    let path = if (cfg!(target_os = "linux") && exe.contains(' ')) || cfg!(windows) {
        format!("\"{exe}\"")
    } else {
        exe.to_string()
    };
    let mut builder = AutoLaunchBuilder::new();
    builder.set_app_name(APP_NAME).set_app_path(&path);
    // The user's own Run key (HKCU), never the machine's, even for an administrator.
    #[cfg(windows)]
    builder.set_windows_enable_mode(auto_launch::WindowsEnableMode::CurrentUser);
    builder.build().map_err(|source| AutostartError::Launcher {
        what: "prepare",
        source,
    })
}

/// Whether credtray starts at login.
pub fn is_enabled() -> Result<bool, AutostartError> {
    launcher()?
        .is_enabled()
        .map_err(|source| AutostartError::Launcher {
            what: "read",
            source,
        })
}

/// Turns starting at login on or off.
pub fn set(enabled: bool) -> Result<(), AutostartError> {
    let l = launcher()?;
    let result = if enabled { l.enable() } else { l.disable() };
    result.map_err(|source| AutostartError::Launcher {
        what: if enabled { "enable" } else { "disable" },
        source,
    })
}

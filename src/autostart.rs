//! "Start at login". On Linux an XDG autostart entry written here:
//! `$XDG_CONFIG_HOME/autostart/credtray.desktop` (`~/.config/autostart/` when the variable is
//! unset, empty or relative, as the XDG Base Directory spec says), with the app's icon, and a
//! `TryExec=` so that a login after the binary was uninstalled skips the entry quietly.
//! On macOS a launch agent and on Windows the Run registry key, through the `auto-launch`
//! crate. The entry starts the binary that is running now, with no arguments (the tray).

use std::path::PathBuf;

/// The name of the autostart entry (and of the launch agent on macOS).
pub const APP_NAME: &str = "credtray";

/// The macOS bundle identifier (`CFBundleIdentifier` of `credtray.app`, the same as
/// `[package.metadata.bundle] identifier` in Cargo.toml; tests/packaging.rs checks both).
pub const BUNDLE_ID: &str = "io.github.credtray";

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
    /// The running binary cannot be started at login from where it is (macOS).
    #[error("cannot start credtray at login from {path}: {why}")]
    Unsuitable {
        /// The running binary's path.
        path: String,
        /// Why, and what to do.
        why: &'static str,
    },
    /// The XDG autostart entry could not be read or written.
    #[error("cannot {what} the start-at-login entry {}: {source}", path.display())]
    Entry {
        /// write, remove or read.
        what: &'static str,
        /// The entry's path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The running binary's path, as a string.
fn exe() -> Result<String, AutostartError> {
    let exe = std::env::current_exe().map_err(|e| AutostartError::NoExe(e.to_string()))?;
    let exe = exe
        .to_str()
        .ok_or_else(|| AutostartError::NoExe(format!("{} is not UTF-8", exe.display())))?;
    // Linux names a binary replaced since it started (a package upgrade) "PATH (deleted)";
    // the new binary at PATH is the one to start at the next login.
    let exe = match exe.strip_suffix(" (deleted)") {
        Some(path) if std::path::Path::new(path).is_file() => path,
        _ => exe,
    };
    if exe.chars().any(char::is_control) {
        return Err(AutostartError::NoExe(format!(
            "{exe:?} holds a control character"
        )));
    }
    Ok(exe.to_string())
}

/// Why a macOS launch agent could not start the binary at `exe` at login, if it could not:
/// a copy that App Translocation runs from a temporary folder (an app opened where it was
/// downloaded; the path is gone at the next login), or a character that the launch agent's
/// property list would take for markup (auto-launch writes the path into it as it is).
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
fn launch_agent_refusal(exe: &str) -> Option<&'static str> {
    if exe.contains("/AppTranslocation/") {
        Some(
            "macOS runs this copy of credtray.app from a temporary folder (App Translocation, \
             for an app opened where it was downloaded). Move credtray.app into Applications, \
             open it from there, and turn Start at login on again",
        )
    } else if exe.contains(['&', '<', '>']) {
        Some(
            "its path holds '&', '<' or '>', which a launch agent cannot hold; move \
             credtray.app into Applications and turn Start at login on again",
        )
    } else {
        None
    }
}

/// Whether credtray starts at login.
pub fn is_enabled() -> Result<bool, AutostartError> {
    imp::is_enabled()
}

/// Turns starting at login on or off.
pub fn set(enabled: bool) -> Result<(), AutostartError> {
    imp::set(enabled)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{exe, xdg, AutostartError};
    use std::fs;
    use std::io::Write;

    pub fn is_enabled() -> Result<bool, AutostartError> {
        let path = xdg::entry_path()?;
        let err = |source| AutostartError::Entry {
            what: "read",
            path: path.clone(),
            source,
        };
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(err(e)),
        };
        // Only a small regular file is read (never a FIFO or a device).
        if !meta.is_file() || meta.len() > 64 * 1024 {
            return Err(err(std::io::Error::other(
                "not a regular file of at most 64 KiB",
            )));
        }
        let text = fs::read_to_string(&path).map_err(err)?;
        Ok(xdg::enabled_in(&text))
    }

    pub fn set(enabled: bool) -> Result<(), AutostartError> {
        let path = xdg::entry_path()?;
        if !enabled {
            return match fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(AutostartError::Entry {
                    what: "remove",
                    path,
                    source,
                }),
            };
        }
        let text = xdg::entry_text(&exe()?);
        // A symlinked entry (dotfiles) is written at its target.
        let target = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let err = |source| AutostartError::Entry {
            what: "write",
            path: path.clone(),
            source,
        };
        let dir = target
            .parent()
            .ok_or_else(|| err(std::io::Error::other("no parent folder")))?;
        fs::create_dir_all(dir).map_err(err)?;
        // Written beside the entry and renamed over it: never a half-written entry.
        let mut tmp = tempfile::Builder::new()
            .prefix(".credtray.desktop.")
            .tempfile_in(dir)
            .map_err(err)?;
        tmp.write_all(text.as_bytes()).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644)).map_err(err)?;
        }
        tmp.persist(&target).map_err(|e| err(e.error))?;
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{exe, AutostartError, APP_NAME};
    use auto_launch::{AutoLaunch, AutoLaunchBuilder};

    fn launcher() -> Result<AutoLaunch, AutostartError> {
        let exe = exe()?;
        // The Windows Run key's value is a command line: always quoted.
        let path = if cfg!(windows) {
            format!("\"{exe}\"")
        } else {
            exe
        };
        let mut builder = AutoLaunchBuilder::new();
        builder.set_app_name(APP_NAME).set_app_path(&path);
        // Login Items (macOS 13+) attribute the launch agent to credtray.app.
        #[cfg(target_os = "macos")]
        builder.set_bundle_identifiers(&[super::BUNDLE_ID]);
        // The user's own Run key (HKCU), never the machine's, even for an administrator.
        #[cfg(windows)]
        builder.set_windows_enable_mode(auto_launch::WindowsEnableMode::CurrentUser);
        builder.build().map_err(|source| AutostartError::Launcher {
            what: "prepare",
            source,
        })
    }

    pub fn is_enabled() -> Result<bool, AutostartError> {
        launcher()?
            .is_enabled()
            .map_err(|source| AutostartError::Launcher {
                what: "read",
                source,
            })
    }

    pub fn set(enabled: bool) -> Result<(), AutostartError> {
        #[cfg(target_os = "macos")]
        if enabled {
            let path = exe()?;
            if let Some(why) = super::launch_agent_refusal(&path) {
                return Err(AutostartError::Unsuitable { path, why });
            }
        }
        let l = launcher()?;
        let result = if enabled { l.enable() } else { l.disable() };
        result.map_err(|source| AutostartError::Launcher {
            what: if enabled { "enable" } else { "disable" },
            source,
        })
    }
}

/// The XDG autostart entry: where it lives and what it says (pure, tested everywhere).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
mod xdg {
    use super::{AutostartError, APP_NAME};
    use std::path::PathBuf;

    /// `$XDG_CONFIG_HOME/autostart/credtray.desktop`, or `~/.config/autostart/…` when
    /// XDG_CONFIG_HOME is unset, empty or not absolute.
    pub fn entry_path() -> Result<PathBuf, AutostartError> {
        let dirs = directories::BaseDirs::new().ok_or_else(|| AutostartError::Entry {
            what: "find",
            path: PathBuf::from("~/.config/autostart"),
            source: std::io::Error::other("no home folder"),
        })?;
        Ok(entry_path_in(dirs.config_dir()))
    }

    pub fn entry_path_in(config_dir: &std::path::Path) -> PathBuf {
        config_dir
            .join("autostart")
            .join(format!("{APP_NAME}.desktop"))
    }

    /// The entry starting `exe` (an absolute path) with no arguments.
    pub fn entry_text(exe: &str) -> String {
        format!(
            "[Desktop Entry]\n\
             Type=Application\n\
             Name=credtray\n\
             GenericName=AWS credentials\n\
             Comment=Keep AWS secrets in the OS keychain and serve short-lived AWS credentials from the tray\n\
             TryExec={}\n\
             Exec={}\n\
             Icon=credtray\n\
             Terminal=false\n\
             StartupNotify=false\n\
             X-GNOME-Autostart-enabled=true\n",
            escape_string(exe),
            exec_value(exe),
        )
    }

    /// A value of type string (Desktop Entry spec, "Possible value types"): `\` doubled.
    /// (Control characters never get here: `exe()` refuses them.)
    fn escape_string(s: &str) -> String {
        s.replace('\\', "\\\\")
    }

    /// The program of an `Exec=` key: bare when it has only plain path characters, else
    /// double-quoted with `"`, `` ` ``, `$` and `\` backslash-escaped (the spec's quoting
    /// rules), then escaped as a string, with `%` doubled (no field code).
    pub fn exec_value(path: &str) -> String {
        let plain = !path.is_empty()
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._+-".contains(c));
        if plain {
            return path.to_string();
        }
        let mut quoted = String::with_capacity(path.len() + 2);
        quoted.push('"');
        for c in path.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        escape_string(&quoted).replace('%', "%%")
    }

    /// Whether an entry starts anything: `Hidden=true` (the spec's "deleted") and
    /// `X-GNOME-Autostart-enabled=false` (GNOME's switch) in `[Desktop Entry]` say no.
    pub fn enabled_in(text: &str) -> bool {
        let mut in_main = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_main = line == "[Desktop Entry]";
                continue;
            }
            if !in_main {
                continue;
            }
            if let Some((key, value)) = line.split_once('=') {
                let (key, value) = (key.trim(), value.trim());
                if (key == "Hidden" && value == "true")
                    || (key == "X-GNOME-Autostart-enabled" && value == "false")
                {
                    return false;
                }
            }
        }
        true
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_entry_starts_the_binary_with_the_apps_icon() {
            let text = entry_text("/usr/bin/credtray");
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], "[Desktop Entry]");
            for want in [
                "Type=Application",
                "Exec=/usr/bin/credtray",
                "TryExec=/usr/bin/credtray",
                "Icon=credtray",
                "Terminal=false",
            ] {
                assert!(lines.contains(&want), "{want} missing:\n{text}");
            }
            assert!(text.ends_with('\n'));
            assert!(enabled_in(&text));
        }

        #[test]
        fn exec_quotes_and_escapes_what_the_spec_reserves() {
            assert_eq!(
                exec_value("/home/a/.local/bin/credtray"),
                "/home/a/.local/bin/credtray"
            );
            assert_eq!(exec_value("/home/a b/credtray"), "\"/home/a b/credtray\"");
            // `$` gets a backslash inside the quotes, which is doubled as a string.
            assert_eq!(exec_value("/opt/$x/credtray"), "\"/opt/\\\\$x/credtray\"");
            assert_eq!(exec_value("/opt/100%/credtray"), "\"/opt/100%%/credtray\"");
            assert_eq!(exec_value("/opt/a\"b/c"), "\"/opt/a\\\\\"b/c\"");
            assert_eq!(exec_value("/opt/a\\b/c"), "\"/opt/a\\\\\\\\b/c\"");
            let text = entry_text("/home/a b/credtray");
            assert!(text.contains("\nTryExec=/home/a b/credtray\n"), "{text}");
        }

        #[test]
        fn the_entry_lives_under_the_config_dir() {
            assert_eq!(
                entry_path_in(std::path::Path::new("/x/cfg")),
                PathBuf::from("/x/cfg/autostart/credtray.desktop")
            );
        }

        #[test]
        fn hidden_or_switched_off_entries_are_off() {
            let on = entry_text("/usr/bin/credtray");
            assert!(!enabled_in(&format!("{on}Hidden=true\n")));
            assert!(!enabled_in(&on.replace(
                "X-GNOME-Autostart-enabled=true",
                "X-GNOME-Autostart-enabled=false"
            )));
            // Only the main group counts.
            assert!(enabled_in(&format!(
                "{on}[Desktop Action x]\nHidden=true\n"
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::launch_agent_refusal;

    #[test]
    fn a_launch_agent_refuses_a_translocated_copy_and_markup_in_the_path() {
        assert_eq!(
            launch_agent_refusal("/Applications/credtray.app/Contents/MacOS/credtray"),
            None
        );
        let translocated = "/private/var/folders/x1/abc/T/AppTranslocation/0F2E-11/d/\
                            credtray.app/Contents/MacOS/credtray";
        assert!(launch_agent_refusal(translocated)
            .is_some_and(|why| why.contains("Move credtray.app into Applications")));
        assert!(launch_agent_refusal(
            "/Users/r&d/Applications/credtray.app/Contents/MacOS/credtray"
        )
        .is_some_and(|why| why.contains("'&'")));
    }
}

//! The sign-in window runs in a process of its own, `credtray-signin` (`src/signin/`): the
//! web view's toolkit (WebKitGTK, WebView2, WKWebView) is then loaded only while a
//! federated session signs in, and never by the tray or a command that needs no window.
//! WebKitGTK alone maps some 50 MB into whichever process links it.
//!
//! The two processes speak one line of JSON each way over the helper's standard input and
//! output (never its command line, which other users can read): the parent sends a
//! [`Request`], the helper answers one [`Reply`] and exits. The parent cancels by ending
//! the helper ([`sign_in`]'s future dropped, or a hidden sign-in's time running out); the
//! helper also exits when its standard input closes, so it never outlives the tray.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use super::Assertion;

/// The helper's file name.
pub const HELPER_NAME: &str = if cfg!(windows) {
    "credtray-signin.exe"
} else {
    "credtray-signin"
};

/// What the parent asks the helper: one sign-in window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The session's alias: the window's title.
    pub alias: String,
    /// The IdP's SAML sign-in URL.
    pub url: String,
    /// Where the web view keeps the IdP's cookies.
    pub data_dir: PathBuf,
    /// Whether the window is shown; a hidden one completes only while the IdP remembers
    /// the user.
    pub visible: bool,
}

/// The helper's one answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reply {
    /// The page handed over this SAMLResponse (base64).
    Assertion {
        /// The SAMLResponse form field's value.
        saml_response: String,
    },
    /// The user closed the window.
    Closed,
    /// The display could not be opened: why, naming it.
    DisplayUnreachable {
        /// The reason.
        message: String,
    },
    /// The window or web view could not be made.
    Failed {
        /// The reason.
        message: String,
    },
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Assertion { .. } => f.write_str("Assertion(<redacted>)"),
            Reply::Closed => f.write_str("Closed"),
            Reply::DisplayUnreachable { message } => {
                write!(f, "DisplayUnreachable({message:?})")
            }
            Reply::Failed { message } => write!(f, "Failed({message:?})"),
        }
    }
}

/// Why [`sign_in`] gave no assertion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// No display is set (Linux, the BSDs).
    #[error("DISPLAY or WAYLAND_DISPLAY is not set")]
    NoDisplay,
    /// The display is set but cannot be opened: why, naming it.
    #[error("{0}")]
    DisplayUnreachable(String),
    /// The user closed the window.
    #[error("the sign-in window was closed")]
    Closed,
    /// The helper is missing, failed, or a hidden sign-in did not complete: why.
    #[error("{0}")]
    Failed(String),
}

/// Where the helper is: beside this executable (a build tree, Windows, the macOS bundle),
/// or in `../libexec/credtray/` from it (the Debian package's `/usr/libexec/credtray`).
pub fn helper_path() -> Result<PathBuf, SignInError> {
    let exe = std::env::current_exe()
        .map_err(|e| SignInError::Failed(format!("cannot find credtray's own executable: {e}")))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates = [
        dir.join(HELPER_NAME),
        dir.join("../libexec/credtray").join(HELPER_NAME),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            SignInError::Failed(format!(
                "the sign-in window's program {} is missing (looked in {}); reinstall credtray",
                HELPER_NAME,
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ))
        })
}

/// Wakes every [`sign_in`] under way so that it ends as [`SignInError::Closed`].
static CANCEL: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Cancels every sign-in of this process: their windows close and their [`sign_in`]s end
/// as if the user had closed them (the tray is quitting).
pub fn cancel_all() {
    CANCEL.notify_waiters();
}

/// Opens the sign-in window for `alias` on `url` (cookies in `data_dir`) in the helper and
/// waits for the assertion. With `hidden`, the window is never shown and the sign-in fails
/// when the IdP has not completed it by itself within that time. Dropping the future, or
/// [`cancel_all`], ends the helper and its window.
pub async fn sign_in(
    alias: &str,
    url: &str,
    data_dir: &Path,
    hidden: Option<Duration>,
) -> Result<Assertion, SignInError> {
    if !super::display_available() {
        return Err(SignInError::NoDisplay);
    }
    let request = Request {
        alias: alias.to_string(),
        url: url.to_string(),
        data_dir: data_dir.to_path_buf(),
        visible: hidden.is_none(),
    };
    let cancelled = CANCEL.notified();
    let program = helper_path()?;
    if hidden.is_some() {
        tracing::info!(session = %alias, "sign-in window opened hidden");
    } else {
        tracing::info!(session = %alias, "sign-in window opened");
    }
    let talk = talk(program, request);
    let answer = async {
        match hidden {
            Some(limit) => tokio::time::timeout(limit, talk).await.map_err(|_| {
                SignInError::Failed(format!(
                    "the identity provider did not complete the sign-in by itself within {} s",
                    limit.as_secs()
                ))
            })?,
            None => talk.await,
        }
    };
    let reply = tokio::select! {
        reply = answer => reply?,
        () = cancelled => return Err(SignInError::Closed),
    };
    match reply {
        Reply::Assertion { saml_response } if !saml_response.is_empty() => {
            Ok(Assertion::new(saml_response))
        }
        Reply::Assertion { .. } => Err(SignInError::Failed(
            "the identity provider's page sent an empty SAMLResponse".into(),
        )),
        Reply::Closed => {
            tracing::info!(session = %alias, "sign-in window closed by the user");
            Err(SignInError::Closed)
        }
        Reply::DisplayUnreachable { message } => Err(SignInError::DisplayUnreachable(message)),
        Reply::Failed { message } => Err(SignInError::Failed(message)),
    }
}

/// Starts the helper, sends `request`, reads its one reply. The child is killed when this
/// future is dropped.
async fn talk(program: PathBuf, request: Request) -> Result<Reply, SignInError> {
    let failed = |what: &str, e: std::io::Error| {
        SignInError::Failed(format!("{what} the sign-in window's program: {e}"))
    };
    let mut child = Command::new(&program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(&format!("cannot start {} as", program.display()), e))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| SignInError::Failed("no pipe to the sign-in window's program".into()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| SignInError::Failed("no pipe from the sign-in window's program".into()))?;
    let mut line = serde_json::to_string(&request)
        .map_err(|e| SignInError::Failed(format!("cannot encode the sign-in request: {e}")))?;
    line.push('\n');
    stdin
        .write_all(line.as_bytes())
        .await
        .map_err(|e| failed("cannot talk to", e))?;
    stdin
        .flush()
        .await
        .map_err(|e| failed("cannot talk to", e))?;
    // `stdin` stays open: its end tells the helper to give up.
    let mut answer = String::new();
    BufReader::new(stdout)
        .read_line(&mut answer)
        .await
        .map_err(|e| failed("cannot read from", e))?;
    drop(stdin);
    if answer.trim().is_empty() {
        let status = child.wait().await.map_err(|e| failed("lost", e))?;
        return Err(SignInError::Failed(format!(
            "the sign-in window's program ended without an answer ({status})"
        )));
    }
    let reply = parse_reply(&answer)?;
    // It exits by itself after answering; do not leave a zombie.
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    Ok(reply)
}

/// Reads the helper's answer line.
pub fn parse_reply(line: &str) -> Result<Reply, SignInError> {
    serde_json::from_str(line.trim()).map_err(|e| {
        SignInError::Failed(format!(
            "the sign-in window's program answered something unreadable ({e})"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_read_back_what_was_written() {
        let req = Request {
            alias: "prod \"admin\"".into(),
            url: "https://idp.example.com/saml?x=1&y=é".into(),
            data_dir: PathBuf::from("/home/u/.local/share/credtray/saml/ab"),
            visible: false,
        };
        let line = serde_json::to_string(&req).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Request>(&line).unwrap(), req);
        for reply in [
            Reply::Assertion {
                saml_response: "PHNhbWw+".into(),
            },
            Reply::Closed,
            Reply::DisplayUnreachable {
                message: "cannot open the display ':9'".into(),
            },
            Reply::Failed {
                message: "no web view".into(),
            },
        ] {
            let line = serde_json::to_string(&reply).unwrap();
            assert_eq!(parse_reply(&format!("{line}\n")).unwrap(), reply);
        }
    }

    #[test]
    fn a_reply_never_shows_its_assertion_in_debug_output() {
        let r = Reply::Assertion {
            saml_response: "c2VjcmV0".into(),
        };
        assert!(!format!("{r:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn an_unreadable_answer_is_an_error_naming_the_program() {
        let e = parse_reply("hello").unwrap_err();
        assert!(e.to_string().contains("sign-in window's program"), "{e}");
    }

    #[test]
    fn a_missing_helper_is_named_with_where_it_was_looked_for() {
        // The test executable is in deps/, with no credtray-signin beside it.
        let e = helper_path().unwrap_err();
        assert!(e.to_string().contains(HELPER_NAME), "{e}");
        assert!(e.to_string().contains("reinstall"), "{e}");
    }
}

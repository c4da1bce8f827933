//! The native dialogs of macOS, run by the platform's own dialog host in a child process:
//! AppleScript's `display dialog` / `choose from list` / `display alert` through
//! `osascript`. The script goes to the child on standard input (nothing on its command
//! line); the answer comes back on its standard output. A child that exits with an error
//! (Cancel, Escape, the close box) means "cancelled". (Windows has native windows of its
//! own, `win32.rs`, instead of a PowerShell child.)
//!
//! Building the scripts and reading the answers is pure and unit-tested on every platform;
//! only [`run`] starts a process, which a [`Closer`] can take down (a sign-in's wait
//! dialog, once the sign-in is over).

/// One question put to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// One line of text.
    Text {
        /// Window title.
        title: String,
        /// The question (may hold a line saying what was wrong last time).
        prompt: String,
        /// The initial text.
        initial: String,
        /// Whether the field is masked (a secret key).
        hidden: bool,
    },
    /// One of a list, or (when `other`) a typed value.
    Choose {
        /// Window title.
        title: String,
        /// The question.
        prompt: String,
        /// The values offered.
        choices: Vec<String>,
        /// The value selected at first.
        current: String,
        /// Whether another value may be typed.
        other: bool,
    },
    /// Go ahead or not; the answer is `"yes"`.
    Confirm {
        /// Window title.
        title: String,
        /// What will happen.
        message: String,
        /// The label of the button that goes ahead.
        ok_label: String,
    },
}

/// What the user typed for "another value" in an AppleScript list.
const OTHER: &str = "Other…";

fn applescript_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The AppleScript that asks `prompt`.
pub fn script(prompt: &Prompt) -> String {
    applescript(prompt)
}

fn applescript(p: &Prompt) -> String {
    let q = applescript_string;
    match p {
        Prompt::Text {
            title,
            prompt,
            initial,
            hidden,
        } => format!(
            "set r to display dialog {} default answer {} with title {} buttons {{\"Cancel\", \"OK\"}} default button \"OK\" cancel button \"Cancel\" with icon note{}\nreturn text returned of r\n",
            q(prompt),
            q(initial),
            q(title),
            if *hidden { " with hidden answer" } else { "" }
        ),
        Prompt::Choose {
            title,
            prompt,
            choices,
            current,
            other,
        } => {
            let mut items: Vec<String> = choices.iter().map(|c| q(c)).collect();
            if *other {
                items.push(q(OTHER));
            }
            let mut s = format!(
                "set r to choose from list {{{}}} with title {} with prompt {} default items {{{}}}\nif r is false then error number -128\nset v to item 1 of r\n",
                items.join(", "),
                q(title),
                q(prompt),
                q(current)
            );
            if *other {
                s.push_str(&format!(
                    "if v is {} then\nset v to text returned of (display dialog {} default answer \"\" with title {} buttons {{\"Cancel\", \"OK\"}} default button \"OK\" cancel button \"Cancel\")\nend if\n",
                    q(OTHER),
                    q(prompt),
                    q(title)
                ));
            }
            s.push_str("return v\n");
            s
        }
        Prompt::Confirm {
            title,
            message,
            ok_label,
        } => format!(
            "display alert {} message {} as critical buttons {{\"Cancel\", {}}} default button {} cancel button \"Cancel\"\nreturn \"yes\"\n",
            q(title),
            q(message),
            q(ok_label),
            q(ok_label)
        ),
    }
}

/// The answer in a host's standard output: the text with the line end the host adds
/// removed (`None` for a cancelled dialog, told by the exit status).
pub fn answer(stdout: &[u8], success: bool) -> Option<String> {
    if !success {
        return None;
    }
    let text = String::from_utf8_lossy(stdout);
    Some(
        text.strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text)
            .to_string(),
    )
}

/// Takes a running prompt down from another thread: its child process is killed, its
/// dialog goes with it, and [`run`] answers `None`. A prompt closed before its child
/// started never shows.
#[derive(Clone, Default)]
pub struct Closer(std::sync::Arc<std::sync::Mutex<CloserState>>);

#[derive(Default)]
struct CloserState {
    closed: bool,
    /// The child while it runs. It is reaped only once taken out of here (under the lock),
    /// so a kill can never reach another process that got its pid.
    child: Option<std::process::Child>,
}

impl Closer {
    /// Closes the prompt (again: nothing).
    pub fn close(&self) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        state.closed = true;
        if let Some(child) = state.child.as_mut() {
            // The child leads a process group of its own: what it started goes too (else
            // a grandchild holding its output would keep `run` reading).
            #[cfg(unix)]
            if let Ok(group) = i32::try_from(child.id()) {
                // SAFETY: kill(2) with a negative pid signals that process group; the
                // child is not reaped yet, so the group is still its own.
                unsafe { libc::kill(-group, libc::SIGKILL) };
            }
            let _ = child.kill();
        }
    }
}

/// Asks `prompt` with `osascript`, blocking until the user answers or `closer` closes it.
/// Runs on a worker thread, never on the UI thread.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub fn run(prompt: &Prompt, closer: &Closer) -> Option<String> {
    run_with("osascript", &["-"], &script(prompt), closer)
}

/// Runs `program` with `args`, `input` on its standard input, and reads its answer.
fn run_with(program: &str, args: &[&str], input: &str, closer: &Closer) -> Option<String> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let mut state = closer.0.lock().unwrap_or_else(|e| e.into_inner());
    if state.closed {
        return None;
    }
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot open a dialog ({program}): {e}");
            return None;
        }
    };
    let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
    state.child = Some(child);
    drop(state);
    if let Some(mut stdin) = stdin {
        let _ = stdin.write_all(input.as_bytes());
    }
    let mut out = Vec::new();
    if let Some(mut stdout) = stdout {
        let _ = stdout.read_to_end(&mut out);
    }
    let child = closer
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .child
        .take();
    match child.map(|mut c| c.wait()) {
        Some(Ok(status)) => answer(&out, status.success()),
        Some(Err(e)) => {
            tracing::error!("the dialog ({program}) failed: {e}");
            None
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_so_user_text_stays_text() {
        assert_eq!(applescript_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }

    #[test]
    fn a_hidden_text_prompt_masks_its_field() {
        let p = Prompt::Text {
            title: "credtray: add IAM user session".into(),
            prompt: "Secret access key:".into(),
            initial: String::new(),
            hidden: true,
        };
        let mac = script(&p);
        assert!(mac.contains("with hidden answer"), "{mac}");
        assert!(mac.starts_with("set r to display dialog \"Secret access key:\""));
    }

    #[test]
    fn a_choice_may_offer_another_value() {
        let p = Prompt::Choose {
            title: "t".into(),
            prompt: "Profile:".into(),
            choices: vec!["default".into(), "dev".into()],
            current: "dev".into(),
            other: true,
        };
        let mac = script(&p);
        assert!(
            mac.contains(r#"choose from list {"default", "dev", "Other…"}"#),
            "{mac}"
        );
        assert!(mac.contains(r#"default items {"dev"}"#));
    }

    #[cfg(unix)]
    #[test]
    fn a_closer_takes_a_running_prompt_down_and_one_closed_first_never_starts() {
        use std::time::{Duration, Instant};
        // A stand-in for osascript (not on this platform): the script on its standard
        // input waits for a minute before it answers.
        let closer = Closer::default();
        let asking = {
            let closer = closer.clone();
            std::thread::spawn(move || run_with("sh", &["-s"], "sleep 60; echo late\n", &closer))
        };
        let started = Instant::now();
        while closer.0.lock().unwrap().child.is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the child never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        closer.close();
        assert_eq!(asking.join().unwrap(), None);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "closing did not end it"
        );
        // Answers as usual when nobody closes it.
        let open = Closer::default();
        assert_eq!(
            run_with("sh", &["-s"], "echo 123456\n", &open).as_deref(),
            Some("123456")
        );
        // Closed before it starts: nothing runs.
        let closed = Closer::default();
        closed.close();
        assert_eq!(run_with("sh", &["-s"], "echo 123456\n", &closed), None);
    }

    #[test]
    fn answers_lose_the_line_end_and_a_failure_is_a_cancel() {
        assert_eq!(answer(b"123456\n", true).as_deref(), Some("123456"));
        assert_eq!(answer(b"dev\r\n", true).as_deref(), Some("dev"));
        assert_eq!(answer(b"", true).as_deref(), Some(""));
        assert_eq!(answer(b"ignored", false), None);
    }
}

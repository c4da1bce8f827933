//! The native dialogs of macOS and Windows, run by the platform's own dialog host in a
//! child process: AppleScript's `display dialog` / `choose from list` / `display alert`
//! through `osascript` on macOS, a Windows Forms window through PowerShell on Windows.
//! The script goes to the child on standard input (nothing on its command line); the answer
//! comes back on its standard output. A child that exits with an error (Cancel, Escape, the
//! close box) means "cancelled".
//!
//! Building the scripts and reading the answers is pure and unit-tested on every platform;
//! only [`run`] starts a process.

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

/// The dialog hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// macOS: AppleScript through `osascript`.
    AppleScript,
    /// Windows: PowerShell with Windows Forms.
    PowerShell,
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

fn powershell_string(s: &str) -> String {
    // Single-quoted: nothing is expanded; a quote is doubled (also the typographic ones
    // PowerShell treats as quotes).
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The script that asks `prompt` on `host`.
pub fn script(prompt: &Prompt, host: Host) -> String {
    match host {
        Host::AppleScript => applescript(prompt),
        Host::PowerShell => powershell(prompt),
    }
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

const PS_PRELUDE: &str = "$ErrorActionPreference = 'Stop'\n[Console]::OutputEncoding = [Text.Encoding]::UTF8\nAdd-Type -AssemblyName System.Windows.Forms\n[Windows.Forms.Application]::EnableVisualStyles()\n";

fn powershell_form(title: &str, prompt: &str, field: &str, read: &str) -> String {
    let q = powershell_string;
    format!(
        "{PS_PRELUDE}$f = New-Object Windows.Forms.Form -Property @{{Text={}; Width=440; Height=190; StartPosition='CenterScreen'; TopMost=$true; FormBorderStyle='FixedDialog'; MaximizeBox=$false; MinimizeBox=$false}}\n\
$l = New-Object Windows.Forms.Label -Property @{{Text={}; Left=12; Top=12; Width=400; Height=48}}\n\
{field}\n\
$ok = New-Object Windows.Forms.Button -Property @{{Text='OK'; Left=252; Top=110; DialogResult='OK'}}\n\
$c = New-Object Windows.Forms.Button -Property @{{Text='Cancel'; Left=334; Top=110; DialogResult='Cancel'}}\n\
$f.Controls.AddRange(@($l, $t, $ok, $c)); $f.AcceptButton = $ok; $f.CancelButton = $c\n\
$f.Add_Shown({{ $f.Activate(); $t.Focus() }})\n\
if ($f.ShowDialog() -eq 'OK') {{ [Console]::Out.Write({read}) }} else {{ exit 1 }}\n",
        q(title),
        q(prompt)
    )
}

fn powershell(p: &Prompt) -> String {
    let q = powershell_string;
    match p {
        Prompt::Text {
            title,
            prompt,
            initial,
            hidden,
        } => powershell_form(
            title,
            prompt,
            &format!(
                "$t = New-Object Windows.Forms.TextBox -Property @{{Left=12; Top=68; Width=400; Text={}; UseSystemPasswordChar=${}}}",
                q(initial),
                if *hidden { "true" } else { "false" }
            ),
            "$t.Text",
        ),
        Prompt::Choose {
            title,
            prompt,
            choices,
            current,
            other,
        } => {
            let items: Vec<String> = choices.iter().map(|c| q(c)).collect();
            powershell_form(
                title,
                prompt,
                &format!(
                    "$t = New-Object Windows.Forms.ComboBox -Property @{{Left=12; Top=68; Width=400; DropDownStyle='{}'}}\n[void]$t.Items.AddRange(@({}))\n$t.Text = {}",
                    if *other { "DropDown" } else { "DropDownList" },
                    items.join(", "),
                    q(current)
                ),
                "$t.Text",
            )
        }
        Prompt::Confirm {
            title,
            message,
            ok_label,
        } => format!(
            "{PS_PRELUDE}$r = [Windows.Forms.MessageBox]::Show({}, {}, 'OKCancel', 'Warning')\nif ($r -eq 'OK') {{ [Console]::Out.Write('yes') }} else {{ exit 1 }}\n",
            q(&format!("{message}\n\nOK: {ok_label}")),
            q(title)
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

/// Asks `prompt` with this platform's host, blocking until the user answers. Runs on a
/// worker thread, never on the UI thread.
#[cfg_attr(target_os = "linux", allow(dead_code))]
pub fn run(prompt: &Prompt) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let (host, mut command) = if cfg!(target_os = "macos") {
        let mut c = Command::new("osascript");
        c.arg("-");
        (Host::AppleScript, c)
    } else {
        let mut c = Command::new("powershell");
        c.args([
            "-NoProfile",
            "-NonInteractive",
            "-ExecutionPolicy",
            "Bypass",
            "-Command",
            "-",
        ]);
        #[cfg(windows)]
        {
            use std::os::windows::process::CommandExt;
            const CREATE_NO_WINDOW: u32 = 0x0800_0000;
            c.creation_flags(CREATE_NO_WINDOW);
        }
        (Host::PowerShell, c)
    };
    let mut child = match command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot open a dialog ({host:?}): {e}");
            return None;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script(prompt, host).as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) => answer(&out.stdout, out.status.success()),
        Err(e) => {
            tracing::error!("the dialog ({host:?}) failed: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_so_user_text_stays_text() {
        assert_eq!(applescript_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(powershell_string("it's $HOME"), "'it''s $HOME'");
        assert_eq!(powershell_string("‘x’"), "'‘‘x’’'");
    }

    #[test]
    fn a_hidden_text_prompt_masks_its_field_on_both_hosts() {
        let p = Prompt::Text {
            title: "credtray: add IAM user session".into(),
            prompt: "Secret access key:".into(),
            initial: String::new(),
            hidden: true,
        };
        let mac = script(&p, Host::AppleScript);
        assert!(mac.contains("with hidden answer"), "{mac}");
        assert!(mac.starts_with("set r to display dialog \"Secret access key:\""));
        let win = script(&p, Host::PowerShell);
        assert!(win.contains("UseSystemPasswordChar=$true"), "{win}");
        assert!(win.contains("Text='credtray: add IAM user session'"));
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
        let mac = script(&p, Host::AppleScript);
        assert!(
            mac.contains(r#"choose from list {"default", "dev", "Other…"}"#),
            "{mac}"
        );
        assert!(mac.contains(r#"default items {"dev"}"#));
        let win = script(&p, Host::PowerShell);
        assert!(win.contains("DropDownStyle='DropDown'"));
        assert!(win.contains("AddRange(@('default', 'dev'))"), "{win}");
    }

    #[test]
    fn answers_lose_the_line_end_and_a_failure_is_a_cancel() {
        assert_eq!(answer(b"123456\n", true).as_deref(), Some("123456"));
        assert_eq!(answer(b"dev\r\n", true).as_deref(), Some("dev"));
        assert_eq!(answer(b"", true).as_deref(), Some(""));
        assert_eq!(answer(b"ignored", false), None);
    }
}

//! Opening the system browser on a sign-in URL: the command in `BROWSER` first when set
//! (a `:`-separated list of commands, each run with the URL as its last argument, or in
//! place of `%s`), as the AWS CLI does; else the platform's opener (`open` crate). The URL
//! is always shown to the user as well, in case no browser opens.

use std::process::{Command, Stdio};

/// Opens `url`; returns whether some browser was started.
pub fn open(url: &str) -> bool {
    if let Some(list) = std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        for entry in list
            .to_string_lossy()
            .split(':')
            .filter(|e| !e.trim().is_empty())
        {
            let mut words: Vec<String> = entry.split_whitespace().map(str::to_string).collect();
            if words.iter().any(|w| w.contains("%s")) {
                for w in &mut words {
                    *w = w.replace("%s", url);
                }
            } else {
                words.push(url.to_string());
            }
            let started = Command::new(&words[0])
                .args(&words[1..])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            match started {
                Ok(mut child) => {
                    // Reap it in the background so that it leaves no zombie.
                    std::thread::spawn(move || {
                        let _ = child.wait();
                    });
                    return true;
                }
                Err(e) => tracing::warn!("BROWSER entry {:?} could not start: {e}", words[0]),
            }
        }
        return false;
    }
    match open::that_detached(url) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("no browser could be opened: {e}");
            false
        }
    }
}

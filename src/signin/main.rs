//! `credtray-signin`: the sign-in window of a federated session, in a process of its own so
//! that the web view's toolkit is loaded only while someone signs in (see
//! `credtray::saml::helper`, which starts it and describes the exchange).
//!
//! It reads one [`Request`] line on standard input, opens the window (`window.rs`) and
//! writes one [`Reply`] line on standard output: the captured SAMLResponse, the window
//! closed, or why there is no window. It exits after answering, and at once, answering
//! nothing, when its standard input closes (the parent gave up or is gone). It logs
//! nothing of the page, and the SAMLResponse only ever goes to the pipe.

#![cfg_attr(windows, windows_subsystem = "windows")]

mod window;

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use credtray::saml::helper::{Reply, Request};

fn main() -> ExitCode {
    let mut line = String::new();
    let read = if std::io::stdin().is_terminal() {
        Ok(0)
    } else {
        std::io::stdin().lock().read_line(&mut line)
    };
    if read.is_err() || line.trim().is_empty() {
        eprintln!(
            "credtray-signin: no sign-in request on standard input; credtray starts this \
             program when a federated session signs in, it is not meant to be run by hand"
        );
        return ExitCode::from(2);
    }
    let request: Request = match serde_json::from_str(line.trim()) {
        Ok(r) => r,
        Err(e) => {
            answer(&Reply::Failed {
                message: format!("the sign-in request is unreadable ({e}); is credtray-signin from the same version as credtray?"),
            });
            return ExitCode::from(2);
        }
    };
    if let Err(message) = credtray::saml::open_display() {
        answer(&Reply::DisplayUnreachable { message });
        return ExitCode::SUCCESS;
    }
    window::run(request)
}

/// Writes the one answer on standard output.
fn answer(reply: &Reply) {
    let Ok(mut line) = serde_json::to_string(reply) else {
        return;
    };
    line.push('\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}

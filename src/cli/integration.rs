//! `credtray integration …`: IAM Identity Center portals, on the terminal. Sign-in shows
//! the URL (and the code in device mode) on stderr, a sync shows a progress bar when
//! stderr is a terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};

use super::args::IntegrationCommand;
use super::output;
use super::prompt::TerminalMfa;
use crate::engine::integrations::SyncReport;
use crate::providers::Interaction;
use crate::sso::Flow;

/// Runs one `integration` command.
pub async fn run(cmd: IntegrationCommand) -> Result<()> {
    let engine = super::engine().await?;
    let ui: Arc<dyn Interaction> = Arc::new(TerminalMfa::new(None));
    match cmd {
        IntegrationCommand::Add {
            alias,
            start_url,
            region,
        } => {
            let i = engine.add_integration(&alias, &start_url, &region)?;
            println!("{}", i.id);
            eprintln!(
                "Integration '{}' added. Sign in with `credtray integration login {}`.",
                i.alias, i.alias
            );
            Ok(())
        }
        IntegrationCommand::List { json } => {
            output::print_integrations(&engine.state()?, json);
            Ok(())
        }
        IntegrationCommand::Login {
            integration,
            use_device_code,
        } => {
            let flow = if use_device_code {
                Flow::DeviceCode
            } else {
                Flow::Pkce
            };
            let bar = Bar::new();
            let report = engine
                .login(&integration, ui, flow, &|d, t| bar.set(d, t))
                .await;
            bar.finish();
            report_sync(&integration, &report?);
            Ok(())
        }
        IntegrationCommand::Sync { integration } => {
            let bar = Bar::new();
            let report = engine.sync(&integration, ui, &|d, t| bar.set(d, t)).await;
            bar.finish();
            report_sync(&integration, &report?);
            Ok(())
        }
        IntegrationCommand::Logout { integration } => {
            let stopped = engine.logout(&integration).await?;
            eprintln!("Signed out of '{integration}'.");
            for s in stopped {
                eprintln!("Stopped '{}'.", s.alias);
            }
            Ok(())
        }
        IntegrationCommand::Remove { integration, yes } => {
            let state = engine.state()?;
            let i = state.resolve_integration(&integration)?;
            let count = state.sessions_of(i.id).count();
            if !yes
                && !confirm(&format!(
                    "Remove integration '{}' and its {count} session(s)? [y/N] ",
                    i.alias
                ))?
            {
                bail!("nothing was removed");
            }
            let removed = engine.remove_integration(&integration).await?;
            eprintln!(
                "Removed integration '{integration}' and {} session(s).",
                removed.len()
            );
            Ok(())
        }
    }
}

fn report_sync(name: &str, r: &SyncReport) {
    eprintln!(
        "Synced '{name}': {} account(s); {} session(s) added, {} kept, {} removed.",
        r.accounts,
        r.added,
        r.kept,
        r.removed.len()
    );
    for alias in &r.removed {
        eprintln!("  removed '{alias}' (its role is no longer offered)");
    }
}

/// Asks a yes/no question on the terminal; with no terminal, says to pass --yes.
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to confirm on: pass --yes to remove without asking");
    }
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("Syncing {bar:30} {pos}/{len} accounts")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(Some(bar))
    }

    fn set(&self, done: usize, total: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

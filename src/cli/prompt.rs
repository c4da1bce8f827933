//! Reading secrets and MFA codes: from the terminal when there is one, else from standard
//! input; never from the command line.

use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

use crate::model::{FederatedRole, Session};
use crate::providers::interaction::is_valid_code;
use crate::providers::{Interaction, ProviderError, SignInStep};
use crate::saml::Assertion;

/// An IAM user's long-term keys as typed.
pub struct AccessKeys {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

/// Reads the access key id and the secret access key: prompts on a terminal (the secret
/// unechoed), otherwise two lines from standard input.
pub fn read_access_keys() -> Result<AccessKeys> {
    let (akid, secret) = if io::stdin().is_terminal() {
        eprint!("Access key id: ");
        io::stderr().flush().ok();
        let mut akid = String::new();
        io::stdin()
            .lock()
            .read_line(&mut akid)
            .context("reading the access key id")?;
        let secret = rpassword::prompt_password("Secret access key: ")
            .context("reading the secret access key")?;
        (akid, secret)
    } else {
        let stdin = io::stdin();
        let mut lines = stdin.lock().lines();
        let akid = lines
            .next()
            .transpose()
            .context("reading the access key id from standard input")?;
        let secret = lines
            .next()
            .transpose()
            .context("reading the secret access key from standard input")?;
        match (akid, secret) {
            (Some(a), Some(s)) => (a, s),
            _ => bail!("expected two lines on standard input: the access key id, then the secret access key"),
        }
    };
    let access_key_id = akid.trim().to_string();
    let secret_access_key = secret.trim().to_string();
    if access_key_id.is_empty()
        || access_key_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        bail!("the access key id is empty or has spaces in it");
    }
    if secret_access_key.is_empty()
        || secret_access_key
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        bail!("the secret access key is empty or has spaces in it");
    }
    Ok(AccessKeys {
        access_key_id,
        secret_access_key,
    })
}

/// The CLI's MFA prompt: the `--mfa-code` given, else a question on the terminal, else an
/// error telling the user to pass `--mfa-code`.
pub struct TerminalMfa {
    given: Mutex<Option<String>>,
}

impl TerminalMfa {
    /// With the code from the command line, if any.
    pub fn new(given: Option<String>) -> TerminalMfa {
        TerminalMfa {
            given: Mutex::new(given),
        }
    }
}

#[async_trait::async_trait]
impl Interaction for TerminalMfa {
    async fn mfa_code(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
        // Reading the terminal blocks; the runtime moves its other tasks elsewhere meanwhile.
        tokio::task::block_in_place(|| self.ask(session, serial))
    }

    async fn signing_in(&self, alias: &str, step: &SignInStep) -> ProviderError {
        match step {
            SignInStep::Browser { url } => eprintln!(
                "Sign in to '{alias}' in your browser. If no browser opened, open this URL:\n  {url}\n(Ctrl-C cancels.)"
            ),
            SignInStep::DeviceCode { url, code } => eprintln!(
                "Sign in to '{alias}': open this URL on any device and confirm the code {code}:\n  {url}\n(Ctrl-C cancels.)"
            ),
        }
        let _ = tokio::signal::ctrl_c().await;
        ProviderError::Cancelled {
            integration: alias.to_string(),
        }
    }

    async fn saml_sign_in(
        &self,
        session: &Session,
        role: &FederatedRole,
    ) -> Result<Assertion, ProviderError> {
        crate::providers::saml::window_sign_in(session, role, None).await
    }
}

impl TerminalMfa {
    fn ask(&self, session: &Session, serial: &str) -> Result<String, ProviderError> {
        if let Some(code) = self.given.lock().ok().and_then(|g| g.clone()) {
            return Ok(code);
        }
        if !io::stdin().is_terminal() {
            return Err(ProviderError::MfaNeeded {
                session: session.alias.clone(),
                serial: serial.to_string(),
                hint: "no terminal to ask on: pass --mfa-code CODE".into(),
            });
        }
        for _ in 0..3 {
            eprint!("MFA code for '{}' ({serial}): ", session.alias);
            io::stderr().flush().ok();
            let mut line = String::new();
            if io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let code = line.trim().to_string();
            if is_valid_code(&code) {
                if let Ok(mut g) = self.given.lock() {
                    *g = Some(code.clone());
                }
                return Ok(code);
            }
            eprintln!("An MFA code is six digits.");
        }
        Err(ProviderError::MfaCancelled {
            session: session.alias.clone(),
        })
    }
}

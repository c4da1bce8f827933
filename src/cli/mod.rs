//! The command-line adapter: parses arguments, calls the engine, prints results. Errors
//! get their context here and reach the user as one line on stderr.

pub mod args;
pub mod integration;
pub mod output;
pub mod prompt;

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use uuid::Uuid;

use crate::awsfiles::AwsPaths;
use crate::engine::sessions::AccessKeys;
use crate::engine::{Engine, EngineError, StartOptions};
use crate::model::{
    ChainedRole, FederatedRole, IamUser, Session, SessionKind, SessionPatch, State,
    ROTATION_MARGIN_RANGE,
};
use crate::providers::Sts;
use crate::store::{Keychain, StateStore};

pub use args::Cli;
use args::{
    AddCommand, AutostartAction, Command, EditArgs, ProfileCommand, SessionCommand, SettingKey,
    SettingsCommand,
};
use prompt::TerminalMfa;

/// Builds the engine over the real keychain, the AWS files named by the environment and
/// the state folder.
pub async fn engine() -> Result<Engine> {
    Ok(Engine {
        store: StateStore::from_env()?,
        secrets: Arc::new(Keychain),
        paths: AwsPaths::from_env()?,
        sts: Sts::load().await,
    })
}

/// Runs one parsed command line. A change of the AWS files that a killed credtray left
/// half-done is undone first, so that every command, `session list` included, shows and
/// leaves files that match the state.
pub async fn run(cli: Cli) -> Result<()> {
    if matches!(
        cli.command,
        Some(
            Command::Profile(_)
                | Command::Session(_)
                | Command::Settings(_)
                | Command::Integration(_)
        )
    ) {
        recover_interrupted().await?;
    }
    match cli.command {
        // The binary starts the tray itself (it needs the main thread); this is the
        // headless fallback, for callers of the library.
        None | Some(Command::Agent) => crate::agent::run(engine().await?).await,
        Some(Command::Profile(cmd)) => profile(cmd).await,
        Some(Command::Session(cmd)) => session(cmd).await,
        Some(Command::Settings(cmd)) => settings(cmd),
        Some(Command::Integration(cmd)) => integration::run(cmd).await,
        Some(Command::Autostart { action }) => autostart(action),
    }
}

/// Finishes what a killed credtray left in `state.pending`, if anything (a state file that
/// cannot be read is left for the command itself to report).
async fn recover_interrupted() -> Result<()> {
    let pending = store()?
        .load()
        .map(|s| !s.pending.is_empty())
        .unwrap_or(false);
    if pending {
        engine().await?.recover()?;
    }
    Ok(())
}

fn autostart(action: AutostartAction) -> Result<()> {
    match action {
        AutostartAction::On => {
            crate::autostart::set(true)?;
            eprintln!("credtray will start at login.");
        }
        AutostartAction::Off => {
            crate::autostart::set(false)?;
            eprintln!("credtray will not start at login.");
        }
        AutostartAction::Status => {
            let on = crate::autostart::is_enabled()?;
            println!("{}", if on { "on" } else { "off" });
        }
    }
    Ok(())
}

fn store() -> Result<StateStore> {
    Ok(StateStore::from_env()?)
}

fn start_options(mfa_code: Option<String>, take_over: bool) -> StartOptions {
    StartOptions {
        take_over,
        mfa: Arc::new(TerminalMfa::new(mfa_code)),
    }
}

fn report_restarts(state: &State, failures: Vec<(Uuid, EngineError)>) -> Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    for (id, e) in &failures {
        let alias = state.session(*id).map(|s| s.alias.as_str()).unwrap_or("?");
        eprintln!("credtray: session '{alias}' was stopped and could not restart: {e}");
    }
    bail!(
        "{} session(s) could not restart; start them again with `credtray session start`",
        failures.len()
    )
}

async fn profile(cmd: ProfileCommand) -> Result<()> {
    match cmd {
        ProfileCommand::List { json } => {
            let state = store()?.load()?;
            output::print_profiles(&state, json);
            Ok(())
        }
        ProfileCommand::Add { name } => {
            store()?.update(|s| s.add_profile(&name).map_err(anyhow::Error::from))?;
            eprintln!("Added named profile '{name}'.");
            Ok(())
        }
        ProfileCommand::Rename { old, new } => {
            let engine = engine().await?;
            let failures = engine
                .rename_profile(&old, &new, &start_options(None, false))
                .await?;
            eprintln!("Renamed profile '{old}' to '{new}'.");
            report_restarts(&engine.state()?, failures)
        }
        ProfileCommand::Remove { name } => {
            let engine = engine().await?;
            let failures = engine
                .remove_profile(&name, &start_options(None, false))
                .await?;
            eprintln!("Removed profile '{name}'; its sessions moved to 'default'.");
            report_restarts(&engine.state()?, failures)
        }
    }
}

async fn session(cmd: SessionCommand) -> Result<()> {
    match cmd {
        SessionCommand::List { json } => {
            let state = store()?.load()?;
            output::print_sessions(&state, json);
            Ok(())
        }
        SessionCommand::Add(add) => add_session(add).await,
        SessionCommand::Edit(args) => edit_session(args).await,
        SessionCommand::Remove {
            session,
            with_children,
        } => {
            let engine = engine().await?;
            let id = engine.state()?.resolve(&session)?.id;
            let removed = engine.remove_session(id, with_children)?;
            for s in removed {
                eprintln!("Removed session '{}'.", s.alias);
            }
            Ok(())
        }
        SessionCommand::Start(a) => {
            let engine = engine().await?;
            let id = engine.state()?.resolve(&a.session)?.id;
            let started = engine
                .start(id, &start_options(a.mfa_code, a.take_over))
                .await?;
            if let Some(d) = &started.displaced {
                eprintln!(
                    "Stopped '{}', which was active on profile '{}'.",
                    d.alias, started.session.profile
                );
            }
            eprintln!(
                "Started '{}' on profile '{}' ({}); credentials expire at {}.",
                started.session.alias,
                started.session.profile,
                started.session.region,
                started.expiration.to_rfc3339()
            );
            Ok(())
        }
        SessionCommand::Stop { session } => {
            let engine = engine().await?;
            let id = engine.state()?.resolve(&session)?.id;
            let s = engine.stop(id)?;
            eprintln!(
                "Stopped '{}'; its credentials were removed from profile '{}'.",
                s.alias, s.profile
            );
            Ok(())
        }
        SessionCommand::ForgetSignin { session } => forget_signin(&session),
        SessionCommand::Test { session, mfa_code } => {
            let engine = engine().await?;
            let id = engine.state()?.resolve(&session)?.id;
            let t = engine
                .test(id, Arc::new(TerminalMfa::new(mfa_code)))
                .await?;
            println!("ok: the credentials work; they act as {}", t.arn);
            Ok(())
        }
    }
}

/// `session forget-signin`: the sign-in data folder of the session's SAML URL removed, and
/// said so, naming the other sessions that shared it.
fn forget_signin(query: &str) -> Result<()> {
    let state = store()?.load()?;
    let session = state.resolve(query)?;
    let f = crate::saml::forget_signin(&state, session)?;
    let alias = &f.sessions[0];
    if f.removed {
        eprintln!(
            "Forgot the sign-in of '{alias}': removed {} (the cookies of {}).",
            f.folder.display(),
            f.saml_url
        );
    } else {
        eprintln!(
            "No sign-in of '{alias}' was remembered ({} does not exist); nothing to remove.",
            f.folder.display()
        );
    }
    if f.sessions.len() > 1 {
        let others: Vec<String> = f.sessions[1..].iter().map(|a| format!("'{a}'")).collect();
        let (who, verb, their) = if others.len() == 1 {
            ("Session", "uses", "its")
        } else {
            ("Sessions", "use", "their")
        };
        let then = if f.removed {
            format!("{their} sign-in is forgotten too")
        } else {
            "they share one sign-in".to_string()
        };
        eprintln!(
            "{who} {} {verb} the same SAML URL: {then}.",
            others.join(", ")
        );
    }
    if f.removed {
        eprintln!("The next start asks you to sign in to the identity provider again.");
    }
    Ok(())
}

async fn add_session(add: AddCommand) -> Result<()> {
    let engine = engine().await?;
    let store = &engine.store;
    let id = Uuid::new_v4();
    let (common, kind, keys) = match add {
        AddCommand::IamUser {
            common,
            mfa_serial,
            duration,
        } => {
            let kind = SessionKind::IamUser(IamUser {
                mfa_serial: mfa_serial.filter(|m| !m.trim().is_empty()),
                duration_secs: duration,
            });
            crate::model::fields::check_kind(&kind).map_err(anyhow::Error::msg)?;
            // A refused alias or profile name is said before the keys are asked for.
            let mut probe = store.load()?;
            probe.check_alias(&common.alias, None)?;
            probe.ensure_profile(&common.profile)?;
            (common, kind, Some(prompt::read_access_keys()?))
        }
        AddCommand::IamRoleChained {
            common,
            parent,
            role_arn,
            role_session_name,
            external_id,
            duration,
        } => {
            let parent = store.load()?.resolve(&parent)?.id;
            let kind = SessionKind::IamRoleChained(ChainedRole {
                parent,
                role_arn,
                role_session_name,
                external_id: external_id.filter(|x| !x.is_empty()),
                duration_secs: duration,
            });
            (common, kind, None)
        }
        AddCommand::IamRoleFederated {
            common,
            role_arn,
            idp_arn,
            saml_url,
            duration,
        } => {
            let kind = SessionKind::IamRoleFederated(FederatedRole {
                role_arn,
                idp_arn,
                saml_url,
                duration_secs: duration,
            });
            (common, kind, None)
        }
    };
    let session = Session {
        id,
        alias: common.alias,
        profile: common.profile,
        region: common.region,
        kind,
    };
    let keys = keys.map(|k| AccessKeys {
        access_key_id: k.access_key_id,
        secret_access_key: k.secret_access_key,
    });
    let created = engine.add_session(&session, keys.as_ref())?;
    if created {
        eprintln!("Created named profile '{}'.", session.profile);
    }
    eprintln!(
        "Added session '{}' ({}) on profile '{}'.",
        session.alias,
        session.kind.name().as_str(),
        session.profile
    );
    println!("{id}");
    Ok(())
}

async fn edit_session(a: EditArgs) -> Result<()> {
    let engine = engine().await?;
    let state = engine.state()?;
    let id = state.resolve(&a.session)?.id;
    let parent = match &a.parent {
        Some(p) => Some(state.resolve(p)?.id),
        None => None,
    };
    let patch = SessionPatch {
        alias: a.alias,
        profile: a.profile,
        region: a.region,
        mfa_serial: a.mfa_serial.map(Some),
        duration_secs: a.duration,
        parent,
        role_arn: a.role_arn,
        role_session_name: a.role_session_name,
        external_id: a.external_id.map(Some),
        idp_arn: a.idp_arn,
        saml_url: a.saml_url,
    };
    if patch.is_empty() && !a.access_keys {
        bail!("nothing to change: give the fields to edit (see `credtray session edit --help`)");
    }
    // Refused fields are said before the keys are asked for.
    let mut probe = state.clone();
    probe.apply_patch(id, &patch)?;
    if a.access_keys
        && !matches!(
            probe.session(id).map(|s| &s.kind),
            Some(SessionKind::IamUser(_))
        )
    {
        let s = state.resolve(&a.session)?;
        bail!(
            "session '{}' is an {} session; options that do not apply to it: --access-keys",
            s.alias,
            s.kind.name().as_str()
        );
    }
    let keys = if a.access_keys {
        let k = prompt::read_access_keys()?;
        Some(AccessKeys {
            access_key_id: k.access_key_id,
            secret_access_key: k.secret_access_key,
        })
    } else {
        None
    };
    let edited = engine
        .edit_session(id, &patch, keys.as_ref(), &start_options(a.mfa_code, false))
        .await?;
    if edited.created_profile {
        eprintln!("Created named profile '{}'.", edited.session.profile);
    }
    eprintln!("Updated session '{}'.", edited.session.alias);
    let now = engine.state()?;
    for r in &edited.restarted {
        if edited.restart_failures.iter().all(|(f, _)| f != r) {
            if let Some(s) = now.session(*r) {
                eprintln!("Restarted '{}' on profile '{}'.", s.alias, s.profile);
            }
        }
    }
    if let Some((fid, e)) = edited.restart_failures.first() {
        let alias = now
            .session(*fid)
            .map_or_else(|| fid.to_string(), |s| s.alias.clone());
        bail!("session '{alias}' was stopped to apply the change and could not restart: {e}");
    }
    Ok(())
}

fn settings(cmd: SettingsCommand) -> Result<()> {
    let store = store()?;
    match cmd {
        SettingsCommand::Show { json } => {
            let state = store.load()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&state.settings)?);
            } else {
                println!(
                    "rotation-margin   {} s",
                    state.settings.rotation_margin_secs
                );
                println!(
                    "resume-at-launch  {}",
                    if state.settings.resume_at_launch {
                        "on"
                    } else {
                        "off"
                    }
                );
            }
            Ok(())
        }
        SettingsCommand::Set { key, value } => match key {
            SettingKey::RotationMargin => {
                let secs: u64 = value
                    .parse()
                    .ok()
                    .filter(|v| (ROTATION_MARGIN_RANGE.0..=ROTATION_MARGIN_RANGE.1).contains(v))
                    .with_context(|| {
                        format!(
                            "rotation-margin is a number of seconds between {} and {}",
                            ROTATION_MARGIN_RANGE.0, ROTATION_MARGIN_RANGE.1
                        )
                    })?;
                store.update(|s| {
                    s.settings.rotation_margin_secs = secs;
                    Ok::<_, anyhow::Error>(())
                })?;
                eprintln!("rotation-margin set to {secs} s.");
                Ok(())
            }
            SettingKey::ResumeAtLaunch => {
                let on = match value.as_str() {
                    "on" | "true" | "yes" => true,
                    "off" | "false" | "no" => false,
                    _ => bail!("resume-at-launch is on or off, not '{value}'"),
                };
                store.update(|s| {
                    s.settings.resume_at_launch = on;
                    Ok::<_, anyhow::Error>(())
                })?;
                eprintln!("resume-at-launch set to {}.", if on { "on" } else { "off" });
                Ok(())
            }
        },
    }
}

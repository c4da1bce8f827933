//! The dialogs that ask before an action: what each shows (built from a snapshot of the
//! state), how its answer is checked (by the model's own rules, the ones the CLI and the
//! engine apply: a new session is probed with `State::add_session`, an edit with
//! `State::apply_patch`), and the [`Job`] its answer becomes, handed back to the UI thread.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::actions::blocking;
use super::app::{Ctx, Job, Target};
use super::dialogs::{self, ProfileChoice};
use super::menu::Activity;
use super::outcome;
use crate::engine::sessions::AccessKeys;
use crate::engine::EngineError;
use crate::model::fields::validate_access_keys;
use crate::model::session::{
    DEFAULT_REGION, DEFAULT_ROLE_DURATION, DEFAULT_ROLE_SESSION_NAME, DEFAULT_USER_DURATION,
};
use crate::model::{
    validate_profile_name, validate_region, ChainedRole, FederatedRole, IamUser, Integration,
    Session, SessionKind, SessionPatch, State, DEFAULT_PROFILE, REGIONS,
};

/// The duration the SAML federated role form starts with (AssumeRoleWithSAML's default).
const DEFAULT_FEDERATED_DURATION: u32 = 3_600;

/// The session field a choice dialog changes.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// Change profile…
    Profile,
    /// Change region…
    Region,
}

fn regions() -> Vec<String> {
    REGIONS.iter().map(|r| r.to_string()).collect()
}

/// Change profile… and Change region…: a choice dialog, then the edited session (an
/// active one restarts under its new profile or region; a new profile is created).
pub fn change_field(ctx: Ctx, state: &State, s: Session, field: Field) {
    let id = s.id;
    let alias = s.alias.clone();
    let (title, prompt, choices, current, ok_label, validate, what): (
        String,
        String,
        Vec<String>,
        String,
        &str,
        dialogs::Validate,
        &'static str,
    ) = match field {
        Field::Profile => (
            format!("credtray: profile of '{alias}'"),
            format!("Choose the named profile that session '{alias}' writes its credentials under, or type a new one."),
            state.profiles.clone(),
            s.profile.clone(),
            "Move",
            Box::new(|p: &str| validate_profile_name(p.trim())),
            "move",
        ),
        Field::Region => (
            format!("credtray: region of '{alias}'"),
            format!("Choose the region session '{alias}' writes into the config file and calls STS in."),
            regions(),
            s.region.clone(),
            "Change",
            Box::new(|r: &str| validate_region(r.trim())),
            "change the region of",
        ),
    };
    dialogs::choice(
        dialogs::ChoiceRequest {
            title,
            prompt,
            choices,
            current,
            allow_other: true,
            ok_label: ok_label.into(),
            validate,
        },
        Box::new(move |answer| {
            let Some(value) = answer.map(|v| v.trim().to_string()) else {
                return;
            };
            let patch = match field {
                Field::Profile if value != s.profile => SessionPatch {
                    profile: Some(value),
                    ..SessionPatch::default()
                },
                Field::Region if value != s.region => SessionPatch {
                    region: Some(value),
                    ..SessionPatch::default()
                },
                _ => return,
            };
            ctx.ui.run(edit_job(&ctx, id, alias, what, patch, None));
        }),
    );
}

/// Applies `patch` (and new keys) to session `id` through the engine.
pub fn edit_job(
    ctx: &Ctx,
    id: Uuid,
    alias: String,
    what: &'static str,
    patch: SessionPatch,
    keys: Option<AccessKeys>,
) -> Job {
    let (engine, opts) = (ctx.engine.clone(), ctx.opts());
    Job::session(id, async move {
        let result = engine.edit_session(id, &patch, keys.as_ref(), &opts).await;
        outcome::edited(id, &alias, what, result)
    })
}

/// Remove…: confirmed, naming the chained roles that go with it.
pub fn remove_session(ctx: Ctx, state: &State, s: Session) {
    let id = s.id;
    let children: Vec<String> = state
        .descendants(id)
        .iter()
        .filter_map(|c| state.session(*c).map(|c| c.alias.clone()))
        .collect();
    let message =
        outcome::remove_session_message(&s.alias, state.active.contains_key(&id), &children);
    dialogs::confirm(
        dialogs::ConfirmRequest {
            title: format!("credtray: remove '{}'", s.alias),
            message,
            ok_label: "Remove".into(),
            destructive: true,
        },
        Box::new(move |yes| {
            if !yes {
                return;
            }
            let what = format!("remove '{}'", s.alias);
            let engine = ctx.engine.clone();
            ctx.ui.run(Job::session(id, async move {
                outcome::local(
                    id,
                    &what,
                    blocking(move || engine.remove_session(id, true)).await,
                )
            }));
        }),
    );
}

/// Adds `session` (with its keys) through the engine; a refusal is notified.
fn add_job(ctx: &Ctx, session: Session, keys: Option<AccessKeys>) -> Job {
    let (id, what) = (session.id, format!("add session '{}'", session.alias));
    let engine = ctx.engine.clone();
    Job::detached(async move {
        let result = blocking(move || engine.add_session(&session, keys.as_ref())).await;
        outcome::local(id, &what, result)
    })
}

/// Add IAM user session…
pub fn add_iam_user(ctx: Ctx, state: &State) {
    let snapshot = state.clone();
    dialogs::add_iam_user(
        dialogs::IamUserRequest {
            profiles: state.profiles.clone(),
            regions: regions(),
            profile: DEFAULT_PROFILE.into(),
            region: DEFAULT_REGION.into(),
            duration_secs: DEFAULT_USER_DURATION,
            validate: Box::new(move |f| {
                check_common(&snapshot, &f.alias, &f.profile, &f.region)?;
                check_new_session(&snapshot, user_session(f))?;
                validate_access_keys(&f.access_key_id, &f.secret_access_key)
            }),
        },
        Box::new(move |form| {
            let Some(f) = form else {
                return;
            };
            let keys = AccessKeys {
                access_key_id: f.access_key_id.clone(),
                secret_access_key: f.secret_access_key.clone(),
            };
            ctx.ui.run(add_job(&ctx, user_session(&f), Some(keys)));
        }),
    );
}

/// Add chained role…, with `parent` (when given) preset as the assumer.
pub fn add_chained_role(ctx: Ctx, state: &State, parent: Option<Uuid>) {
    let snapshot = state.clone();
    let mut parents: Vec<(Uuid, String)> =
        state.sessions.iter().map(|s| (s.id, s.label())).collect();
    // The first is the one selected at first.
    if let Some(at) = parent.and_then(|p| parents.iter().position(|(id, _)| *id == p)) {
        let preset = parents.remove(at);
        parents.insert(0, preset);
    }
    dialogs::add_chained_role(
        dialogs::ChainedRoleRequest {
            profiles: state.profiles.clone(),
            regions: regions(),
            parents,
            profile: DEFAULT_PROFILE.into(),
            region: DEFAULT_REGION.into(),
            role_session_name: DEFAULT_ROLE_SESSION_NAME.into(),
            duration_secs: DEFAULT_ROLE_DURATION,
            validate: Box::new(move |f| {
                check_common(&snapshot, &f.alias, &f.profile, &f.region)?;
                check_new_session(&snapshot, chained_session(f))
            }),
        },
        Box::new(move |form| {
            if let Some(f) = form {
                ctx.ui.run(add_job(&ctx, chained_session(&f), None));
            }
        }),
    );
}

/// Add SAML federated role…
pub fn add_federated_role(ctx: Ctx, state: &State) {
    let snapshot = state.clone();
    dialogs::add_federated_role(
        dialogs::FederatedRoleRequest {
            profiles: state.profiles.clone(),
            regions: regions(),
            profile: DEFAULT_PROFILE.into(),
            region: DEFAULT_REGION.into(),
            duration_secs: DEFAULT_FEDERATED_DURATION,
            validate: Box::new(move |f| {
                check_common(&snapshot, &f.alias, &f.profile, &f.region)?;
                check_new_session(&snapshot, federated_session(f))
            }),
        },
        Box::new(move |form| {
            if let Some(f) = form {
                ctx.ui.run(add_job(&ctx, federated_session(&f), None));
            }
        }),
    );
}

/// Named profiles…: the manager, then the name asked (add, rename) or the removal
/// confirmed.
pub fn named_profiles(ctx: Ctx, state: State) {
    let profiles = state
        .profiles
        .iter()
        .map(|p| (p.clone(), state.sessions_on(p).count()))
        .collect();
    dialogs::named_profiles(
        dialogs::ProfilesRequest { profiles },
        Box::new(move |choice| match choice {
            None => {}
            Some(ProfileChoice::Add) => add_profile(ctx, state.profiles.clone()),
            Some(ProfileChoice::Rename(old)) => rename_profile(ctx, state.profiles.clone(), old),
            Some(ProfileChoice::Remove(name)) => {
                let n = state.sessions_on(&name).count();
                remove_profile(ctx, name, n)
            }
        }),
    );
}

/// A profile name typed: valid, and not `taken` (except by `except`).
fn profile_name_check(taken: Vec<String>, except: Option<String>) -> dialogs::Validate {
    Box::new(move |n: &str| {
        let n = n.trim();
        validate_profile_name(n)?;
        if except.as_deref() != Some(n) && taken.iter().any(|p| p == n) {
            return Err(format!("a named profile '{n}' already exists"));
        }
        Ok(())
    })
}

fn add_profile(ctx: Ctx, taken: Vec<String>) {
    dialogs::text(
        dialogs::TextRequest {
            title: "credtray: add named profile".into(),
            prompt: "Name of the new profile (a section of the AWS credentials and config files):"
                .into(),
            initial: String::new(),
            ok_label: "Add".into(),
            validate: profile_name_check(taken, None),
        },
        Box::new(move |name| {
            let Some(name) = name.map(|n| n.trim().to_string()) else {
                return;
            };
            let engine = ctx.engine.clone();
            ctx.ui.run(Job::detached(async move {
                let r = engine
                    .store
                    .update(|st| st.add_profile(&name).map_err(EngineError::from));
                outcome::simple(&format!("add profile '{name}'"), r)
            }));
        }),
    );
}

fn rename_profile(ctx: Ctx, taken: Vec<String>, old: String) {
    dialogs::text(
        dialogs::TextRequest {
            title: format!("credtray: rename profile '{old}'"),
            prompt: format!("New name of profile '{old}' (its active sessions restart under it):"),
            initial: old.clone(),
            ok_label: "Rename".into(),
            validate: profile_name_check(taken, Some(old.clone())),
        },
        Box::new(move |name| {
            let Some(new) = name.map(|n| n.trim().to_string()) else {
                return;
            };
            if new == old {
                return;
            }
            let (engine, opts) = (ctx.engine.clone(), ctx.opts());
            ctx.ui.run(Job::detached(async move {
                let r = engine.rename_profile(&old, &new, &opts).await;
                outcome::restarted(&format!("rename profile '{old}'"), r)
            }));
        }),
    );
}

fn remove_profile(ctx: Ctx, name: String, sessions: usize) {
    dialogs::confirm(
        dialogs::ConfirmRequest {
            title: format!("credtray: remove profile '{name}'"),
            message: match sessions {
                0 => format!("Remove the named profile '{name}'?"),
                1 => format!("Remove the named profile '{name}'? Its session moves to 'default' (and restarts there if it is active)."),
                n => format!("Remove the named profile '{name}'? Its {n} sessions move to 'default'; active ones restart there."),
            },
            ok_label: "Remove".into(),
            destructive: true,
        },
        Box::new(move |yes| {
            if !yes {
                return;
            }
            let (engine, opts) = (ctx.engine.clone(), ctx.opts());
            ctx.ui.run(Job::detached(async move {
                let r = engine.remove_profile(&name, &opts).await;
                outcome::restarted(&format!("remove profile '{name}'"), r)
            }));
        }),
    );
}

/// Add integration…: the form checks with the model's own rules as the user types; the
/// engine checks again under the lock (a refusal then is notified).
pub fn add_integration(ctx: Ctx, state: &State) {
    let taken = state.integrations.clone();
    dialogs::add_integration(
        dialogs::IntegrationRequest {
            regions: regions(),
            region: DEFAULT_REGION.into(),
            validate: Box::new(move |f| check_integration(&taken, f)),
        },
        Box::new(move |form| {
            let Some(f) = form else {
                return;
            };
            let engine = ctx.engine.clone();
            ctx.ui.run(Job::detached(async move {
                let what = format!("add integration '{}'", f.alias);
                let r = tokio::task::spawn_blocking(move || {
                    engine.add_integration(&f.alias, &f.start_url, &f.region)
                })
                .await
                .unwrap_or_else(|e| Err(EngineError::Other(e.to_string())));
                if let Ok(i) = &r {
                    tracing::info!(integration = %i.alias, "integration added");
                }
                outcome::simple(&what, r)
            }));
        }),
    );
}

/// Remove… of an integration: confirmed, naming how many sessions go with it.
pub fn remove_integration(ctx: Ctx, state: &State, i: Integration) {
    let id = i.id;
    let sessions: Vec<Uuid> = state.sessions_of(id).map(|s| s.id).collect();
    let chained: BTreeSet<Uuid> = sessions
        .iter()
        .flat_map(|s| state.descendants(*s))
        .filter(|c| !sessions.contains(c))
        .collect();
    let message = outcome::remove_integration_message(&i.alias, sessions.len(), chained.len());
    dialogs::confirm(
        dialogs::ConfirmRequest {
            title: format!("credtray: remove integration '{}'", i.alias),
            message,
            ok_label: "Remove".into(),
            destructive: true,
        },
        Box::new(move |yes| {
            if !yes {
                return;
            }
            let engine = ctx.engine.clone();
            ctx.ui.run(Job::new(
                Target::Integration(id, Activity::Busy),
                async move {
                    let result = engine.remove_integration(&id.to_string()).await;
                    if let Ok(removed) = &result {
                        tracing::info!(integration = %i.alias, sessions = removed.len(), "integration removed");
                    }
                    outcome::integration(id, &i.alias, "remove", result)
                },
            ));
        }),
    );
}

/// The checks every new session's form shares: alias, profile name, region.
fn check_common(state: &State, alias: &str, profile: &str, region: &str) -> Result<(), String> {
    if alias.is_empty() {
        return Err("Type an alias".into());
    }
    state.check_alias(alias, None).map_err(|e| e.to_string())?;
    validate_profile_name(profile)?;
    validate_region(region)
}

/// The model's own checks of a new session, as `Engine::add_session` runs them.
fn check_new_session(state: &State, session: Session) -> Result<(), String> {
    let mut probe = state.clone();
    probe
        .ensure_profile(&session.profile)
        .map_err(|e| e.to_string())?;
    probe.add_session(session).map_err(|e| e.to_string())
}

/// The session the IAM user form describes (a new id each time).
fn user_session(f: &dialogs::IamUserForm) -> Session {
    Session {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        profile: f.profile.clone(),
        region: f.region.clone(),
        kind: SessionKind::IamUser(IamUser {
            mfa_serial: f.mfa_serial.clone(),
            duration_secs: f.duration_secs,
        }),
    }
}

/// The session the chained role form describes (a new id each time).
fn chained_session(f: &dialogs::ChainedRoleForm) -> Session {
    Session {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        profile: f.profile.clone(),
        region: f.region.clone(),
        kind: SessionKind::IamRoleChained(ChainedRole {
            parent: f.parent,
            role_arn: f.role_arn.clone(),
            role_session_name: f.role_session_name.clone(),
            external_id: f.external_id.clone(),
            duration_secs: f.duration_secs,
        }),
    }
}

/// The session the SAML federated role form describes (a new id each time).
fn federated_session(f: &dialogs::FederatedRoleForm) -> Session {
    Session {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        profile: f.profile.clone(),
        region: f.region.clone(),
        kind: SessionKind::IamRoleFederated(FederatedRole {
            role_arn: f.role_arn.clone(),
            idp_arn: f.idp_arn.clone(),
            saml_url: f.saml_url.clone(),
            duration_secs: f.duration_secs,
        }),
    }
}

/// The integration form's check: the model's own, on the integrations there are.
fn check_integration(taken: &[Integration], f: &dialogs::IntegrationForm) -> Result<(), String> {
    let mut st = State::new();
    st.integrations = taken.to_vec();
    st.add_integration(Integration {
        id: Uuid::new_v4(),
        alias: f.alias.clone(),
        start_url: f.start_url.trim_end_matches('/').to_string(),
        region: f.region.clone(),
        sign_in: None,
        synced_at: None,
    })
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(alias: &str, url: &str, region: &str) -> dialogs::IntegrationForm {
        dialogs::IntegrationForm {
            alias: alias.into(),
            start_url: url.into(),
            region: region.into(),
        }
    }

    #[test]
    fn the_integration_form_uses_the_models_checks() {
        let mut st = State::new();
        st.add_integration(Integration {
            id: Uuid::new_v4(),
            alias: "corp".into(),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        })
        .unwrap();
        let taken = &st.integrations;
        assert!(check_integration(
            taken,
            &form("lab", "https://d-2.awsapps.com/start", "eu-west-1")
        )
        .is_ok());
        let dup = check_integration(
            taken,
            &form("corp", "https://d-2.awsapps.com/start", "eu-west-1"),
        )
        .unwrap_err();
        assert!(dup.contains("alias"), "{dup}");
        let http = check_integration(
            taken,
            &form("lab", "http://d-2.awsapps.com/start", "eu-west-1"),
        )
        .unwrap_err();
        assert!(http.contains("start URL"), "{http}");
        let region = check_integration(
            taken,
            &form("lab", "https://d-2.awsapps.com/start", "mars-1"),
        )
        .unwrap_err();
        assert!(region.contains("region"), "{region}");
    }
}

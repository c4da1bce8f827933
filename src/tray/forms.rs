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
use super::outcome::{self, Outcome};
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

/// Edit…: the form of the session's kind, showing its fields (never its keys); the answer
/// becomes a patch of only the fields the user changed, applied by the engine to the state
/// as it is then — so an edit made meanwhile elsewhere (the CLI) of another field stays.
pub fn edit_session(ctx: Ctx, state: &State, s: Session) {
    let id = s.id;
    let profiles = state.profiles.clone();
    let snapshot = state.clone();
    match &s.kind {
        SessionKind::IamUser(u) => {
            let shown = iam_user_shown(&s, u);
            let before = shown.clone();
            dialogs::edit_iam_user(
                dialogs::EditIamUserRequest {
                    current: shown.clone(),
                    profiles,
                    regions: regions(),
                    validate: Box::new(move |f| {
                        if let Some(k) = &f.new_keys {
                            validate_access_keys(&k.access_key_id, &k.secret_access_key)?;
                        }
                        check_edit(&snapshot, id, &iam_user_patch(&before, f))
                    }),
                },
                Box::new(move |answer| {
                    let Some(f) = answer else {
                        return;
                    };
                    let keys = f.new_keys.as_ref().map(|k| AccessKeys {
                        access_key_id: k.access_key_id.clone(),
                        secret_access_key: k.secret_access_key.clone(),
                    });
                    let patch = iam_user_patch(&shown, &f);
                    ctx.ui
                        .run(edit_job(&ctx, id, s.alias.clone(), "edit", patch, keys));
                }),
            );
        }
        SessionKind::IamRoleChained(r) => {
            let shown = chained_shown(&s, r);
            let before = shown.clone();
            dialogs::edit_chained_role(
                dialogs::EditChainedRoleRequest {
                    current: shown.clone(),
                    profiles,
                    regions: regions(),
                    parents: assumers(state, id),
                    validate: Box::new(move |f| {
                        check_edit(&snapshot, id, &chained_patch(&before, f))
                    }),
                },
                Box::new(move |answer| {
                    if let Some(f) = answer {
                        let patch = chained_patch(&shown, &f);
                        ctx.ui
                            .run(edit_job(&ctx, id, s.alias.clone(), "edit", patch, None));
                    }
                }),
            );
        }
        SessionKind::IamRoleFederated(fed) => {
            let shown = federated_shown(&s, fed);
            let before = shown.clone();
            dialogs::edit_federated_role(
                dialogs::EditFederatedRoleRequest {
                    current: shown.clone(),
                    profiles,
                    regions: regions(),
                    validate: Box::new(move |f| {
                        check_edit(&snapshot, id, &federated_patch(&before, &f.role))
                    }),
                },
                Box::new(move |answer| {
                    if let Some(f) = answer {
                        let patch = federated_patch(&shown, &f.role);
                        ctx.ui
                            .run(federated_edit_job(&ctx, s.clone(), patch, f.forget_signin));
                    }
                }),
            );
        }
        SessionKind::AwsSso(r) => {
            let shown = dialogs::SsoSessionEdit {
                profile: s.profile.clone(),
                region: s.region.clone(),
            };
            let before = shown.clone();
            let from = state
                .integration(r.integration)
                .map(|i| format!(", from '{}'", i.alias))
                .unwrap_or_default();
            dialogs::edit_sso_session(
                dialogs::EditSsoSessionRequest {
                    alias: s.alias.clone(),
                    about: format!(
                        "Role {} in account {} ({}){from}",
                        r.role_name, r.account_id, r.account_name
                    ),
                    current: shown.clone(),
                    profiles,
                    regions: regions(),
                    validate: Box::new(move |f| check_edit(&snapshot, id, &sso_patch(&before, f))),
                },
                Box::new(move |answer| {
                    if let Some(f) = answer {
                        let patch = sso_patch(&shown, &f);
                        ctx.ui
                            .run(edit_job(&ctx, id, s.alias.clone(), "edit", patch, None));
                    }
                }),
            );
        }
    }
}

/// A federated role's edit: the sign-in forgotten first when asked (so a restart signs in
/// again), then the patch.
fn federated_edit_job(ctx: &Ctx, s: Session, patch: SessionPatch, forget: bool) -> Job {
    let (engine, opts) = (ctx.engine.clone(), ctx.opts());
    let id = s.id;
    Job::session(id, async move {
        let alias = s.alias.clone();
        let forgot = if forget {
            match super::actions::forget_signin(engine.clone(), s).await {
                Ok(n) => Some(n),
                Err(n) => return Outcome::notice(n),
            }
        } else {
            None
        };
        if patch.is_empty() {
            return forgot.map(Outcome::notice).unwrap_or_default();
        }
        let result = engine.edit_session(id, &patch, None, &opts).await;
        let mut o = outcome::edited(id, &alias, "edit", result);
        o.notice = o.notice.or(forgot);
        o
    })
}

/// The model's check of an edit, as the engine applies it: the patch on a copy of the
/// state (alias free, profile name, region, the kind's fields, no cycle).
pub fn check_edit(state: &State, id: Uuid, patch: &SessionPatch) -> Result<(), String> {
    state
        .clone()
        .apply_patch(id, patch)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The sessions that can assume chained role `id`: any other that would make no cycle.
pub fn assumers(state: &State, id: Uuid) -> Vec<(Uuid, String)> {
    state
        .sessions
        .iter()
        .filter(|p| p.id != id && !state.would_cycle(id, p.id))
        .map(|p| (p.id, p.label()))
        .collect()
}

/// `Some(now)` when it differs from what was shown.
fn changed<T: PartialEq + Clone>(shown: &T, now: &T) -> Option<T> {
    (shown != now).then(|| now.clone())
}

/// The IAM user edit form's fields of `s`, as shown (no keys).
pub fn iam_user_shown(s: &Session, u: &IamUser) -> dialogs::IamUserEdit {
    dialogs::IamUserEdit {
        alias: s.alias.clone(),
        profile: s.profile.clone(),
        region: s.region.clone(),
        mfa_serial: u.mfa_serial.clone(),
        duration_secs: u.duration_secs,
        new_keys: None,
    }
}

/// The fields of the IAM user form the user changed (an emptied MFA device removes it).
pub fn iam_user_patch(shown: &dialogs::IamUserEdit, now: &dialogs::IamUserEdit) -> SessionPatch {
    SessionPatch {
        alias: changed(&shown.alias, &now.alias),
        profile: changed(&shown.profile, &now.profile),
        region: changed(&shown.region, &now.region),
        mfa_serial: changed(&shown.mfa_serial, &now.mfa_serial),
        duration_secs: changed(&shown.duration_secs, &now.duration_secs),
        ..SessionPatch::default()
    }
}

/// The chained role form's fields of `s`, as shown.
pub fn chained_shown(s: &Session, r: &ChainedRole) -> dialogs::ChainedRoleForm {
    dialogs::ChainedRoleForm {
        alias: s.alias.clone(),
        profile: s.profile.clone(),
        region: s.region.clone(),
        parent: r.parent,
        role_arn: r.role_arn.clone(),
        role_session_name: r.role_session_name.clone(),
        external_id: r.external_id.clone(),
        duration_secs: r.duration_secs,
    }
}

/// The fields of the chained role form the user changed (an emptied external id removes it).
pub fn chained_patch(
    shown: &dialogs::ChainedRoleForm,
    now: &dialogs::ChainedRoleForm,
) -> SessionPatch {
    SessionPatch {
        alias: changed(&shown.alias, &now.alias),
        profile: changed(&shown.profile, &now.profile),
        region: changed(&shown.region, &now.region),
        parent: changed(&shown.parent, &now.parent),
        role_arn: changed(&shown.role_arn, &now.role_arn),
        role_session_name: changed(&shown.role_session_name, &now.role_session_name),
        external_id: changed(&shown.external_id, &now.external_id),
        duration_secs: changed(&shown.duration_secs, &now.duration_secs),
        ..SessionPatch::default()
    }
}

/// The federated role form's fields of `s`, as shown.
pub fn federated_shown(s: &Session, f: &FederatedRole) -> dialogs::FederatedRoleForm {
    dialogs::FederatedRoleForm {
        alias: s.alias.clone(),
        profile: s.profile.clone(),
        region: s.region.clone(),
        role_arn: f.role_arn.clone(),
        idp_arn: f.idp_arn.clone(),
        saml_url: f.saml_url.clone(),
        duration_secs: f.duration_secs,
    }
}

/// The fields of the federated role form the user changed.
pub fn federated_patch(
    shown: &dialogs::FederatedRoleForm,
    now: &dialogs::FederatedRoleForm,
) -> SessionPatch {
    SessionPatch {
        alias: changed(&shown.alias, &now.alias),
        profile: changed(&shown.profile, &now.profile),
        region: changed(&shown.region, &now.region),
        role_arn: changed(&shown.role_arn, &now.role_arn),
        idp_arn: changed(&shown.idp_arn, &now.idp_arn),
        saml_url: changed(&shown.saml_url, &now.saml_url),
        duration_secs: changed(&shown.duration_secs, &now.duration_secs),
        ..SessionPatch::default()
    }
}

/// The fields of an IAM Identity Center session's form the user changed.
pub fn sso_patch(shown: &dialogs::SsoSessionEdit, now: &dialogs::SsoSessionEdit) -> SessionPatch {
    SessionPatch {
        profile: changed(&shown.profile, &now.profile),
        region: changed(&shown.region, &now.region),
        ..SessionPatch::default()
    }
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

    /// A user 'me' (with an MFA device) and a chained role 'admin' below it, then 'ro'
    /// below 'admin'.
    fn chain() -> (State, Uuid, Uuid, Uuid) {
        let mut st = State::new();
        let user = Session {
            id: Uuid::new_v4(),
            alias: "me".into(),
            profile: "default".into(),
            region: "us-east-1".into(),
            kind: SessionKind::IamUser(IamUser {
                mfa_serial: Some("arn:aws:iam::123456789012:mfa/me".into()),
                duration_secs: 3600,
            }),
        };
        let role = |alias: &str, parent: Uuid| Session {
            id: Uuid::new_v4(),
            alias: alias.into(),
            profile: "default".into(),
            region: "us-east-1".into(),
            kind: SessionKind::IamRoleChained(ChainedRole {
                parent,
                role_arn: "arn:aws:iam::123456789012:role/A".into(),
                role_session_name: "credtray".into(),
                external_id: Some("ext-1".into()),
                duration_secs: 3600,
            }),
        };
        let admin = role("admin", user.id);
        let ro = role("ro", admin.id);
        let ids = (user.id, admin.id, ro.id);
        st.add_session(user).unwrap();
        st.add_session(admin).unwrap();
        st.add_session(ro).unwrap();
        (st, ids.0, ids.1, ids.2)
    }

    fn kind_of(st: &State, id: Uuid) -> &SessionKind {
        &st.session(id).unwrap().kind
    }

    #[test]
    fn an_edit_form_sends_only_the_fields_changed_and_an_emptied_one_clears() {
        let (st, me, admin, _) = chain();
        let s = st.session(me).unwrap().clone();
        let SessionKind::IamUser(u) = &s.kind else {
            panic!()
        };
        let shown = iam_user_shown(&s, u);
        assert!(iam_user_patch(&shown, &shown).is_empty());
        let mut now = shown.clone();
        now.region = "eu-west-1".into();
        now.mfa_serial = None;
        now.new_keys = Some(dialogs::NewKeys {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "secret".into(),
        });
        assert_eq!(
            iam_user_patch(&shown, &now),
            SessionPatch {
                region: Some("eu-west-1".into()),
                mfa_serial: Some(None),
                ..SessionPatch::default()
            }
        );

        let s = st.session(admin).unwrap().clone();
        let SessionKind::IamRoleChained(r) = &s.kind else {
            panic!()
        };
        let shown = chained_shown(&s, r);
        let mut now = shown.clone();
        now.role_arn = "arn:aws:iam::123456789012:role/B".into();
        now.external_id = None;
        assert_eq!(
            chained_patch(&shown, &now),
            SessionPatch {
                role_arn: Some("arn:aws:iam::123456789012:role/B".into()),
                external_id: Some(None),
                ..SessionPatch::default()
            }
        );
    }

    #[test]
    fn the_edit_check_is_the_models_and_parents_that_would_cycle_are_not_offered() {
        let (st, me, admin, ro) = chain();
        let offered: Vec<Uuid> = assumers(&st, admin).into_iter().map(|(id, _)| id).collect();
        assert_eq!(offered, [me], "neither itself nor 'ro' below it");
        assert_eq!(assumers(&st, ro).len(), 2);
        let taken = SessionPatch {
            alias: Some("me".into()),
            ..SessionPatch::default()
        };
        let e = check_edit(&st, admin, &taken).unwrap_err();
        assert!(e.contains("'me'"), "{e}");
        let cycle = SessionPatch {
            parent: Some(ro),
            ..SessionPatch::default()
        };
        assert!(check_edit(&st, admin, &cycle).is_err());
        let bad_arn = SessionPatch {
            role_arn: Some("arn:aws:iam::123456789012:user/x".into()),
            ..SessionPatch::default()
        };
        let e = check_edit(&st, admin, &bad_arn).unwrap_err();
        assert!(e.contains("role ARN"), "{e}");
        assert!(check_edit(&st, admin, &SessionPatch::default()).is_ok());
        // The form's check never changes the state it was given.
        assert_eq!(st.session(admin).unwrap().alias, "admin");
    }

    #[test]
    fn a_form_left_open_keeps_what_was_changed_meanwhile() {
        let (mut st, _, admin, _) = chain();
        let s = st.session(admin).unwrap().clone();
        let SessionKind::IamRoleChained(r) = &s.kind else {
            panic!()
        };
        let shown = chained_shown(&s, r);
        // Meanwhile (the CLI): the region changes.
        st.apply_patch(
            admin,
            &SessionPatch {
                region: Some("eu-central-1".into()),
                ..SessionPatch::default()
            },
        )
        .unwrap();
        // The form, opened before, changes the role ARN only.
        let mut now = shown.clone();
        now.role_arn = "arn:aws:iam::123456789012:role/B".into();
        st.apply_patch(admin, &chained_patch(&shown, &now)).unwrap();
        let s = st.session(admin).unwrap();
        assert_eq!(s.region, "eu-central-1");
        let SessionKind::IamRoleChained(r) = kind_of(&st, admin) else {
            panic!()
        };
        assert_eq!(r.role_arn, "arn:aws:iam::123456789012:role/B");
    }

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

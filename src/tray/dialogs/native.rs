//! macOS: each dialog of the contract as one or more questions put by the platform's
//! dialog host ([`super::external`]). Validation runs on the UI thread between
//! questions: an invalid answer asks again, saying what was wrong. A form is a sequence of
//! questions; Cancel on any of them cancels the form.

use std::rc::Rc;

use uuid::Uuid;

use super::external::{self, Prompt};
use super::{
    ask, ask_closable, titles, ChainedRoleForm, ChainedRoleRequest, ChoiceRequest, ConfirmRequest,
    EditChainedRoleRequest, EditFederatedRoleRequest, EditIamUserRequest, EditSsoSessionRequest,
    FederatedRoleEdit, FederatedRoleForm, FederatedRoleRequest, IamUserEdit, IamUserForm,
    IamUserRequest, IntegrationForm, IntegrationRequest, MfaRequest, NewKeys, ProfileChoice,
    ProfilesRequest, SignInWaitRequest, SsoSessionEdit, TextRequest,
};
use crate::model::profile::DEFAULT_PROFILE;
use crate::providers::interaction::is_valid_code;

type Check = Rc<dyn Fn(&str) -> Result<(), String>>;
/// Builds the question from the current value and the last error.
type Make = Rc<dyn Fn(&str, &Option<String>) -> Prompt>;

fn with_error(prompt: &str, error: &Option<String>) -> String {
    match error {
        Some(e) => format!("{e}\n\n{prompt}"),
        None => prompt.to_string(),
    }
}

/// Asks until the answer passes `check` or the user cancels.
fn ask_until_valid(
    make: Make,
    initial: String,
    check: Check,
    error: Option<String>,
    done: Box<dyn FnOnce(Option<String>)>,
) {
    let prompt = make(&initial, &error);
    ask(
        prompt,
        Box::new(move |answer| match answer {
            None => done(None),
            Some(v) => match check(&v) {
                Ok(()) => done(Some(v)),
                Err(e) => ask_until_valid(make, v, check, Some(e), done),
            },
        }),
    );
}

/// See [`MfaRequest`].
pub fn mfa_code(req: MfaRequest, done: Box<dyn FnOnce(Option<String>)>) {
    let prompt = format!(
        "MFA code for session '{}' (device {}):",
        req.session, req.serial
    );
    let make = Rc::new(move |initial: &str, error: &Option<String>| Prompt::Text {
        title: titles::MFA.into(),
        prompt: with_error(&prompt, error),
        initial: initial.to_string(),
        hidden: false,
    });
    let check: Check = Rc::new(|v: &str| {
        if is_valid_code(v.trim()) {
            Ok(())
        } else {
            Err("An MFA code is six digits.".into())
        }
    });
    ask_until_valid(
        make,
        String::new(),
        check,
        None,
        Box::new(move |a| done(a.map(|c| c.trim().to_string()))),
    );
}

/// See [`TextRequest`].
pub fn text(req: TextRequest, done: Box<dyn FnOnce(Option<String>)>) {
    let (title, prompt) = (req.title, req.prompt);
    let make = Rc::new(move |initial: &str, error: &Option<String>| Prompt::Text {
        title: title.clone(),
        prompt: with_error(&prompt, error),
        initial: initial.to_string(),
        hidden: false,
    });
    ask_until_valid(make, req.initial, Rc::from(req.validate), None, done);
}

/// See [`ChoiceRequest`].
pub fn choice(req: ChoiceRequest, done: Box<dyn FnOnce(Option<String>)>) {
    let (title, prompt, choices, other) = (req.title, req.prompt, req.choices, req.allow_other);
    let make = Rc::new(
        move |current: &str, error: &Option<String>| Prompt::Choose {
            title: title.clone(),
            prompt: with_error(&prompt, error),
            choices: choices.clone(),
            current: current.to_string(),
            other,
        },
    );
    ask_until_valid(make, req.current, Rc::from(req.validate), None, done);
}

/// See [`ConfirmRequest`].
pub fn confirm(req: ConfirmRequest, done: Box<dyn FnOnce(bool)>) {
    ask(
        Prompt::Confirm {
            title: req.title,
            message: req.message,
            ok_label: req.ok_label,
        },
        Box::new(move |a| done(a.is_some())),
    );
}

/// One question of a form.
#[derive(Clone)]
struct Field {
    prompt: &'static str,
    choices: Option<(Vec<String>, bool)>,
    hidden: bool,
}

fn text_field(prompt: &'static str) -> Field {
    Field {
        prompt,
        choices: None,
        hidden: false,
    }
}

fn choice_field(prompt: &'static str, choices: Vec<String>, other: bool) -> Field {
    Field {
        prompt,
        choices: Some((choices, other)),
        hidden: false,
    }
}

type Finish = Rc<dyn Fn(&[String]) -> Result<(), String>>;

/// Asks each field in turn; when all are answered, `finish` checks them together, and a
/// refusal starts again from the first field with the message (secrets are asked again).
fn form(
    title: Rc<str>,
    fields: Rc<Vec<Field>>,
    mut values: Vec<String>,
    at: usize,
    error: Option<String>,
    finish: Finish,
    done: Box<dyn FnOnce(Option<Vec<String>>)>,
) {
    if at == fields.len() {
        return match finish(&values) {
            Ok(()) => done(Some(values)),
            Err(e) => {
                for (v, f) in values.iter_mut().zip(fields.iter()) {
                    if f.hidden {
                        v.clear();
                    }
                }
                form(title, fields, values, 0, Some(e), finish, done)
            }
        };
    }
    let f = &fields[at];
    let shown = if at == 0 {
        with_error(f.prompt, &error)
    } else {
        f.prompt.to_string()
    };
    let prompt = match &f.choices {
        Some((choices, other)) => Prompt::Choose {
            title: title.to_string(),
            prompt: shown,
            choices: choices.clone(),
            current: values[at].clone(),
            other: *other,
        },
        None => Prompt::Text {
            title: title.to_string(),
            prompt: shown,
            initial: values[at].clone(),
            hidden: f.hidden,
        },
    };
    ask(
        prompt,
        Box::new(move |answer| match answer {
            None => done(None),
            Some(v) => {
                values[at] = if fields[at].hidden {
                    v
                } else {
                    v.trim().to_string()
                };
                form(title, fields, values, at + 1, None, finish, done)
            }
        }),
    );
}

fn duration(v: &str) -> Result<u32, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("The duration is a number of seconds, not '{v}'."))
}

fn iam_user_of(v: &[String]) -> Result<IamUserForm, String> {
    Ok(IamUserForm {
        alias: v[0].clone(),
        profile: v[1].clone(),
        region: v[2].clone(),
        access_key_id: v[3].clone(),
        secret_access_key: v[4].clone(),
        mfa_serial: Some(v[5].clone()).filter(|m| !m.is_empty()),
        duration_secs: duration(&v[6])?,
    })
}

/// See [`IamUserRequest`].
pub fn add_iam_user(req: IamUserRequest, done: Box<dyn FnOnce(Option<IamUserForm>)>) {
    let fields = Rc::new(vec![
        text_field("Alias of the new session:"),
        choice_field(
            "Named profile its credentials go under:",
            req.profiles,
            true,
        ),
        choice_field("Region:", req.regions, true),
        text_field("Access key ID:"),
        Field {
            prompt: "Secret access key (kept in the keychain):",
            choices: None,
            hidden: true,
        },
        text_field("MFA device ARN (leave empty if none):"),
        text_field("Duration of the session credentials, in seconds:"),
    ]);
    let values = vec![
        String::new(),
        req.profile,
        req.region,
        String::new(),
        String::new(),
        String::new(),
        req.duration_secs.to_string(),
    ];
    let validate = req.validate;
    let finish: Finish = Rc::new(move |v: &[String]| validate(&iam_user_of(v)?));
    form(
        titles::ADD_IAM_USER.into(),
        fields,
        values,
        0,
        None,
        finish,
        Box::new(move |v| done(v.and_then(|v| iam_user_of(&v).ok()))),
    );
}

/// See [`ChainedRoleRequest`].
pub fn add_chained_role(req: ChainedRoleRequest, done: Box<dyn FnOnce(Option<ChainedRoleForm>)>) {
    let parents = Rc::new(req.parents);
    let labels: Vec<String> = parents.iter().map(|(_, l)| l.clone()).collect();
    let first = labels.first().cloned().unwrap_or_default();
    let fields = Rc::new(vec![
        text_field("Alias of the new session:"),
        choice_field(
            "Parent session (whose credentials assume the role):",
            labels,
            false,
        ),
        text_field("Role ARN (arn:aws:iam::ACCOUNT:role/NAME):"),
        text_field("Role session name:"),
        text_field("External ID (leave empty if none):"),
        choice_field(
            "Named profile its credentials go under:",
            req.profiles,
            true,
        ),
        choice_field("Region:", req.regions, true),
        text_field("Duration of the role credentials, in seconds:"),
    ]);
    let values = vec![
        String::new(),
        first,
        String::new(),
        req.role_session_name,
        String::new(),
        req.profile,
        req.region,
        req.duration_secs.to_string(),
    ];
    let of = {
        let parents = parents.clone();
        move |v: &[String]| -> Result<ChainedRoleForm, String> {
            let parent: Uuid = parents
                .iter()
                .find(|(_, l)| *l == v[1])
                .map(|(id, _)| *id)
                .ok_or_else(|| "Choose the parent session from the list.".to_string())?;
            Ok(ChainedRoleForm {
                alias: v[0].clone(),
                profile: v[5].clone(),
                region: v[6].clone(),
                parent,
                role_arn: v[2].clone(),
                role_session_name: v[3].clone(),
                external_id: Some(v[4].clone()).filter(|x| !x.is_empty()),
                duration_secs: duration(&v[7])?,
            })
        }
    };
    let of = Rc::new(of);
    let validate = req.validate;
    let check = of.clone();
    let finish: Finish = Rc::new(move |v: &[String]| validate(&check(v)?));
    form(
        titles::ADD_CHAINED_ROLE.into(),
        fields,
        values,
        0,
        None,
        finish,
        Box::new(move |v| done(v.and_then(|v| of(&v).ok()))),
    );
}

/// See [`FederatedRoleRequest`].
pub fn add_federated_role(
    req: FederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleForm>)>,
) {
    let fields = Rc::new(vec![
        text_field("Alias of the new session:"),
        choice_field(
            "Named profile its credentials go under:",
            req.profiles,
            true,
        ),
        choice_field("Region:", req.regions, true),
        text_field("Role ARN (arn:aws:iam::ACCOUNT:role/NAME):"),
        text_field("IdP ARN, the IAM SAML provider (arn:aws:iam::ACCOUNT:saml-provider/NAME):"),
        text_field("The IdP's SAML sign-in URL (https://…):"),
        text_field("Duration of the role credentials, in seconds:"),
    ]);
    let values = vec![
        String::new(),
        req.profile,
        req.region,
        String::new(),
        String::new(),
        String::new(),
        req.duration_secs.to_string(),
    ];
    let of = Rc::new(|v: &[String]| -> Result<FederatedRoleForm, String> {
        Ok(FederatedRoleForm {
            alias: v[0].clone(),
            profile: v[1].clone(),
            region: v[2].clone(),
            role_arn: v[3].clone(),
            idp_arn: v[4].clone(),
            saml_url: v[5].clone(),
            duration_secs: duration(&v[6])?,
        })
    });
    let validate = req.validate;
    let check = of.clone();
    let finish: Finish = Rc::new(move |v: &[String]| validate(&check(v)?));
    form(
        titles::ADD_FEDERATED_ROLE.into(),
        fields,
        values,
        0,
        None,
        finish,
        Box::new(move |v| done(v.and_then(|v| of(&v).ok()))),
    );
}

fn hidden_field(prompt: &'static str) -> Field {
    Field {
        prompt,
        choices: None,
        hidden: true,
    }
}

/// Reads a form's value from its answers.
type Of<T> = Rc<dyn Fn(&[String]) -> Result<T, String>>;

/// Asks an edit form's questions, each showing the session's current value; the answer
/// is `None` when cancelled or when nothing changed.
fn edit_form<T: PartialEq + 'static>(
    title: String,
    fields: Vec<Field>,
    values: Vec<String>,
    of: Of<T>,
    validate: super::ValidateForm<T>,
    shown: T,
    done: Box<dyn FnOnce(Option<T>)>,
) {
    let check = of.clone();
    let finish: Finish = Rc::new(move |v: &[String]| {
        let form = check(v)?;
        // An unchanged form has nothing to check ("" is the GTK forms' quiet refusal).
        match validate(&form) {
            Err(e) if !e.is_empty() => Err(e),
            _ => Ok(()),
        }
    });
    form(
        title.into(),
        Rc::new(fields),
        values,
        0,
        None,
        finish,
        Box::new(move |v| done(v.and_then(|v| of(&v).ok()).filter(|f| *f != shown))),
    );
}

/// See [`EditIamUserRequest`]: the new keys are asked in masked fields, empty to keep the
/// stored ones (which are never shown).
pub fn edit_iam_user(req: EditIamUserRequest, done: Box<dyn FnOnce(Option<IamUserEdit>)>) {
    let shown = req.current;
    let fields = vec![
        text_field("Alias:"),
        choice_field(
            "Named profile its credentials go under:",
            req.profiles,
            true,
        ),
        choice_field("Region:", req.regions, true),
        text_field("MFA device ARN (leave empty if none):"),
        text_field("Duration of the session credentials, in seconds:"),
        hidden_field("New access key ID (leave empty to keep the current keys):"),
        hidden_field("New secret access key (leave empty to keep the current keys):"),
    ];
    let values = vec![
        shown.alias.clone(),
        shown.profile.clone(),
        shown.region.clone(),
        shown.mfa_serial.clone().unwrap_or_default(),
        shown.duration_secs.to_string(),
        String::new(),
        String::new(),
    ];
    let of = Rc::new(|v: &[String]| -> Result<IamUserEdit, String> {
        let new_keys = match (v[5].trim(), v[6].as_str()) {
            ("", "") => None,
            ("", _) | (_, "") => {
                return Err("Type both new keys to replace them, or neither.".into())
            }
            (id, secret) => Some(NewKeys {
                access_key_id: id.to_string(),
                secret_access_key: secret.to_string(),
            }),
        };
        Ok(IamUserEdit {
            alias: v[0].clone(),
            profile: v[1].clone(),
            region: v[2].clone(),
            mfa_serial: Some(v[3].clone()).filter(|m| !m.is_empty()),
            duration_secs: duration(&v[4])?,
            new_keys,
        })
    });
    edit_form(
        titles::edit(&shown.alias),
        fields,
        values,
        of,
        req.validate,
        shown,
        done,
    );
}

/// See [`EditChainedRoleRequest`].
pub fn edit_chained_role(
    req: EditChainedRoleRequest,
    done: Box<dyn FnOnce(Option<ChainedRoleForm>)>,
) {
    let shown = req.current;
    let parents = Rc::new(req.parents);
    let labels: Vec<String> = parents.iter().map(|(_, l)| l.clone()).collect();
    let current_parent = parents
        .iter()
        .find(|(id, _)| *id == shown.parent)
        .map(|(_, l)| l.clone())
        .unwrap_or_default();
    let fields = vec![
        text_field("Alias:"),
        choice_field(
            "Parent session (whose credentials assume the role):",
            labels,
            false,
        ),
        text_field("Role ARN (arn:aws:iam::ACCOUNT:role/NAME):"),
        text_field("Role session name:"),
        text_field("External ID (leave empty if none):"),
        choice_field(
            "Named profile its credentials go under:",
            req.profiles,
            true,
        ),
        choice_field("Region:", req.regions, true),
        text_field("Duration of the role credentials, in seconds:"),
    ];
    let values = vec![
        shown.alias.clone(),
        current_parent,
        shown.role_arn.clone(),
        shown.role_session_name.clone(),
        shown.external_id.clone().unwrap_or_default(),
        shown.profile.clone(),
        shown.region.clone(),
        shown.duration_secs.to_string(),
    ];
    let of = Rc::new(move |v: &[String]| -> Result<ChainedRoleForm, String> {
        let parent: Uuid = parents
            .iter()
            .find(|(_, l)| *l == v[1])
            .map(|(id, _)| *id)
            .ok_or_else(|| "Choose the parent session from the list.".to_string())?;
        Ok(ChainedRoleForm {
            alias: v[0].clone(),
            profile: v[5].clone(),
            region: v[6].clone(),
            parent,
            role_arn: v[2].clone(),
            role_session_name: v[3].clone(),
            external_id: Some(v[4].clone()).filter(|x| !x.is_empty()),
            duration_secs: duration(&v[7])?,
        })
    });
    edit_form(
        titles::edit(&shown.alias),
        fields,
        values,
        of,
        req.validate,
        shown,
        done,
    );
}

/// The answers of "Forget the remembered sign-in?".
const KEEP_SIGN_IN: &str = "Keep it";
const FORGET_SIGN_IN: &str = "Forget it (the next start signs in again)";

/// See [`EditFederatedRoleRequest`].
pub fn edit_federated_role(
    req: EditFederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleEdit>)>,
) {
    let shown = FederatedRoleEdit {
        role: req.current,
        forget_signin: false,
    };
    let r = &shown.role;
    let fields = vec![
        text_field("Alias:"),
        choice_field(
            "Named profile its credentials go under:",
            req.profiles,
            true,
        ),
        choice_field("Region:", req.regions, true),
        text_field("Role ARN (arn:aws:iam::ACCOUNT:role/NAME):"),
        text_field("IdP ARN, the IAM SAML provider (arn:aws:iam::ACCOUNT:saml-provider/NAME):"),
        text_field("The IdP's SAML sign-in URL (https://…):"),
        text_field("Duration of the role credentials, in seconds:"),
        choice_field(
            "The remembered sign-in (the IdP's cookies):",
            vec![KEEP_SIGN_IN.to_string(), FORGET_SIGN_IN.to_string()],
            false,
        ),
    ];
    let values = vec![
        r.alias.clone(),
        r.profile.clone(),
        r.region.clone(),
        r.role_arn.clone(),
        r.idp_arn.clone(),
        r.saml_url.clone(),
        r.duration_secs.to_string(),
        KEEP_SIGN_IN.to_string(),
    ];
    let of = Rc::new(|v: &[String]| -> Result<FederatedRoleEdit, String> {
        Ok(FederatedRoleEdit {
            role: FederatedRoleForm {
                alias: v[0].clone(),
                profile: v[1].clone(),
                region: v[2].clone(),
                role_arn: v[3].clone(),
                idp_arn: v[4].clone(),
                saml_url: v[5].clone(),
                duration_secs: duration(&v[6])?,
            },
            forget_signin: v[7] == FORGET_SIGN_IN,
        })
    });
    edit_form(
        titles::edit(&r.alias),
        fields,
        values,
        of,
        req.validate,
        shown,
        done,
    );
}

/// See [`EditSsoSessionRequest`].
pub fn edit_sso_session(req: EditSsoSessionRequest, done: Box<dyn FnOnce(Option<SsoSessionEdit>)>) {
    let shown = req.current;
    let fields = vec![
        choice_field(
            "Named profile its credentials go under (its alias, account and role follow the portal):",
            req.profiles,
            true,
        ),
        choice_field("Region:", req.regions, true),
    ];
    let values = vec![shown.profile.clone(), shown.region.clone()];
    let of = Rc::new(|v: &[String]| -> Result<SsoSessionEdit, String> {
        Ok(SsoSessionEdit {
            profile: v[0].clone(),
            region: v[1].clone(),
        })
    });
    edit_form(
        titles::edit(&req.alias),
        fields,
        values,
        of,
        req.validate,
        shown,
        done,
    );
}

/// See [`ProfilesRequest`].
pub fn named_profiles(req: ProfilesRequest, done: Box<dyn FnOnce(Option<ProfileChoice>)>) {
    let others: Vec<String> = req
        .profiles
        .iter()
        .filter(|(p, _)| p != DEFAULT_PROFILE)
        .map(|(p, n)| format!("{p} ({n} session{})", if *n == 1 { "" } else { "s" }))
        .collect();
    let names: Vec<String> = req
        .profiles
        .iter()
        .filter(|(p, _)| p != DEFAULT_PROFILE)
        .map(|(p, _)| p.clone())
        .collect();
    let mut actions = vec!["Add…".to_string()];
    if !others.is_empty() {
        actions.extend(["Rename…".to_string(), "Remove…".to_string()]);
    }
    ask(
        Prompt::Choose {
            title: titles::PROFILES.into(),
            prompt: "Named profiles ('default' can be neither renamed nor removed):".into(),
            choices: actions,
            current: "Add…".into(),
            other: false,
        },
        Box::new(move |action| {
            let rename = match action.as_deref() {
                Some("Add…") => return done(Some(ProfileChoice::Add)),
                Some("Rename…") => true,
                Some("Remove…") => false,
                _ => return done(None),
            };
            ask(
                Prompt::Choose {
                    title: titles::PROFILES.into(),
                    prompt: if rename {
                        "Profile to rename:".into()
                    } else {
                        "Profile to remove:".into()
                    },
                    current: others.first().cloned().unwrap_or_default(),
                    choices: others.clone(),
                    other: false,
                },
                Box::new(move |picked| {
                    let name = picked
                        .and_then(|p| others.iter().position(|o| *o == p))
                        .map(|i| names[i].clone());
                    done(name.map(|n| {
                        if rename {
                            ProfileChoice::Rename(n)
                        } else {
                            ProfileChoice::Remove(n)
                        }
                    }))
                }),
            );
        }),
    );
}

fn integration_of(v: &[String]) -> IntegrationForm {
    IntegrationForm {
        alias: v[0].clone(),
        start_url: v[1].clone(),
        region: v[2].clone(),
    }
}

/// See [`IntegrationRequest`].
pub fn add_integration(req: IntegrationRequest, done: Box<dyn FnOnce(Option<IntegrationForm>)>) {
    let fields = Rc::new(vec![
        text_field("Alias of the new integration:"),
        text_field("The portal's start URL (https://…awsapps.com/start):"),
        choice_field("Region of IAM Identity Center:", req.regions, true),
    ]);
    let values = vec![String::new(), String::new(), req.region];
    let validate = req.validate;
    let finish: Finish = Rc::new(move |v: &[String]| validate(&integration_of(v)));
    form(
        titles::ADD_INTEGRATION.into(),
        fields,
        values,
        0,
        None,
        finish,
        Box::new(move |v| done(v.map(|v| integration_of(&v)))),
    );
}

/// A sign-in wait on screen; [`Waiting::close`] takes it down.
pub struct Waiting {
    closed: Rc<std::cell::Cell<bool>>,
    closer: external::Closer,
}

impl Waiting {
    /// The sign-in is over: the dialog is taken down (its `osascript` ended), and its
    /// answer no longer matters.
    pub fn close(self) {
        self.closed.set(true);
        self.closer.close();
    }
}

/// See [`SignInWaitRequest`]: the message with a button that cancels the sign-in.
pub fn sign_in_wait(req: SignInWaitRequest, cancel: Box<dyn FnOnce()>) -> Waiting {
    let closed = Rc::new(std::cell::Cell::new(false));
    let seen = closed.clone();
    let closer = external::Closer::default();
    ask_closable(
        Prompt::Confirm {
            title: titles::SIGN_IN.into(),
            message: req.message(),
            ok_label: "Cancel sign-in".into(),
        },
        Box::new(move |answer| {
            if answer.is_some() && !seen.get() {
                cancel()
            }
        }),
        closer.clone(),
    );
    Waiting { closed, closer }
}

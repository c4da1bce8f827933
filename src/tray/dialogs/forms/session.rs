//! The session forms as plain data: the add and edit forms of each session kind (IAM user,
//! chained role, SAML role, IAM Identity Center session), built from shared row builders
//! (`common_rows`, `chained_role_rows`, `federated_role_rows`) on [`Rows`].

use super::*;

/// The rows of an IAM user's alias, profile and region, and how to read them.
fn common_rows(
    rows: &mut Rows,
    (alias, profile, region): (&str, &str, &str),
    profiles: &[String],
    regions: &[String],
    alias_hint: Option<&str>,
) -> impl Fn(&[String]) -> Result<(String, String, String), String> {
    let alias = rows.text("&Alias:", alias, alias_hint);
    let profile = rows.combo("&Profile:", profiles, profile);
    let region = rows.combo("&Region:", regions, region);
    move |v| {
        required(&v[alias], "Type an alias")?;
        required(&v[profile], "Choose or type a profile")?;
        required(&v[region], "Choose or type a region")?;
        Ok((v[alias].clone(), v[profile].clone(), v[region].clone()))
    }
}

/// The chained role's rows, filled from `initial` (hints when `placeholders`), and how to
/// read them; shared by the add and edit forms.
fn chained_role_rows(
    rows: &mut Rows,
    initial: &ChainedRoleForm,
    (profiles, regions): (&[String], &[String]),
    parents: Vec<(Uuid, String)>,
    placeholders: bool,
) -> impl Fn(&[String]) -> Result<ChainedRoleForm, String> {
    let hint = |text: &'static str| placeholders.then_some(text);
    let alias = rows.text("&Alias:", &initial.alias, hint("e.g. prod-admin"));
    let parent = rows.pick("Pa&rent session:", &parents, Some(initial.parent));
    let role_arn = rows.text(
        "Role A&RN:",
        &initial.role_arn,
        hint("arn:aws:iam::123456789012:role/name"),
    );
    let session_name = rows.text("Role &session name:", &initial.role_session_name, None);
    let external_id = rows.text(
        "&External ID:",
        initial.external_id.as_deref().unwrap_or(""),
        Some("(optional)"),
    );
    let profile = rows.combo("&Profile:", profiles, &initial.profile);
    let region = rows.combo("Re&gion:", regions, &initial.region);
    let duration_row = rows.duration("&Duration:", initial.duration_secs, ROLE_DURATION_RANGE);
    move |v| {
        let Some(parent) = parents
            .iter()
            .find(|(_, l)| *l == v[parent])
            .map(|(id, _)| *id)
        else {
            return Err("Choose the parent session (add a session first if there is none)".into());
        };
        required(&v[alias], "Type an alias")?;
        required(&v[role_arn], "Type the role ARN")?;
        required(&v[session_name], "Type a role session name")?;
        required(&v[profile], "Choose or type a profile")?;
        required(&v[region], "Choose or type a region")?;
        Ok(ChainedRoleForm {
            alias: v[alias].clone(),
            profile: v[profile].clone(),
            region: v[region].clone(),
            parent,
            role_arn: v[role_arn].clone(),
            role_session_name: v[session_name].clone(),
            external_id: optional(&v[external_id]),
            duration_secs: duration(&v[duration_row], ROLE_DURATION_RANGE)?,
        })
    }
}

/// The federated role's rows, filled from `initial` (hints when `placeholders`), and how
/// to read them; shared by the add and edit forms.
fn federated_role_rows(
    rows: &mut Rows,
    initial: &FederatedRoleForm,
    (profiles, regions): (&[String], &[String]),
    placeholders: bool,
) -> impl Fn(&[String]) -> Result<FederatedRoleForm, String> {
    let hint = |text: &'static str| placeholders.then_some(text);
    let alias = rows.text("&Alias:", &initial.alias, hint("e.g. okta-admin"));
    let profile = rows.combo("&Profile:", profiles, &initial.profile);
    let region = rows.combo("Re&gion:", regions, &initial.region);
    let role_arn = rows.text(
        "Role A&RN:",
        &initial.role_arn,
        hint("arn:aws:iam::123456789012:role/name"),
    );
    let idp_arn = rows.text(
        "&IdP ARN:",
        &initial.idp_arn,
        hint("arn:aws:iam::123456789012:saml-provider/name"),
    );
    let saml_url = rows.text(
        "SAML sign-in &URL:",
        &initial.saml_url,
        hint("https://idp.example.com/…/saml"),
    );
    let duration_row = rows.duration(
        "&Duration:",
        initial.duration_secs,
        FEDERATED_DURATION_RANGE,
    );
    move |v| {
        required(&v[alias], "Type an alias")?;
        required(&v[profile], "Choose or type a profile")?;
        required(&v[region], "Choose or type a region")?;
        required(&v[role_arn], "Type the role ARN")?;
        required(&v[idp_arn], "Type the IdP ARN (the IAM SAML provider)")?;
        required(&v[saml_url], "Type the IdP's SAML sign-in URL")?;
        Ok(FederatedRoleForm {
            alias: v[alias].clone(),
            profile: v[profile].clone(),
            region: v[region].clone(),
            role_arn: v[role_arn].clone(),
            idp_arn: v[idp_arn].clone(),
            saml_url: v[saml_url].clone(),
            duration_secs: duration(&v[duration_row], FEDERATED_DURATION_RANGE)?,
        })
    }
}

/// See [`IamUserRequest`]. The secret access key is typed into a masked field.
pub fn add_iam_user(req: IamUserRequest, done: Box<dyn FnOnce(Option<IamUserForm>)>) -> Dialog {
    let mut rows = Rows::default();
    let common = common_rows(
        &mut rows,
        ("", &req.profile, &req.region),
        &req.profiles,
        &req.regions,
        Some("e.g. work"),
    );
    let key_id = rows.text("Access &key ID:", "", Some("AKIA…"));
    let secret = rows.secret("&Secret access key:");
    let mfa = rows.text(
        "&MFA device:",
        "",
        Some("arn:aws:iam::123456789012:mfa/name (optional)"),
    );
    let duration_row = rows.duration("&Duration:", req.duration_secs, USER_DURATION_RANGE);
    let validate = req.validate;
    form(
        (
            titles::ADD_IAM_USER,
            "Add a session for an IAM user's access key",
            Some(
                "The secret access key goes to the OS keychain; the AWS files get short-lived \
                 credentials only.",
            ),
        ),
        FORM_WIDTH,
        rows.fields,
        "Add",
        move |v| {
            let (alias, profile, region) = common(v)?;
            required(&v[key_id], "Type the access key ID")?;
            required(&v[secret], "Type the secret access key")?;
            let form = IamUserForm {
                alias,
                profile,
                region,
                access_key_id: v[key_id].clone(),
                secret_access_key: v[secret].clone(),
                mfa_serial: optional(&v[mfa]),
                duration_secs: duration(&v[duration_row], USER_DURATION_RANGE)?,
            };
            validate(&form).map(|()| form)
        },
        done,
    )
}

/// See [`ChainedRoleRequest`].
pub fn add_chained_role(
    req: ChainedRoleRequest,
    done: Box<dyn FnOnce(Option<ChainedRoleForm>)>,
) -> Dialog {
    let initial = ChainedRoleForm {
        alias: String::new(),
        profile: req.profile.clone(),
        region: req.region.clone(),
        parent: req.parents.first().map(|(id, _)| *id).unwrap_or_default(),
        role_arn: String::new(),
        role_session_name: req.role_session_name.clone(),
        external_id: None,
        duration_secs: req.duration_secs,
    };
    let mut rows = Rows::default();
    let read = chained_role_rows(
        &mut rows,
        &initial,
        (&req.profiles, &req.regions),
        req.parents,
        true,
    );
    let validate = req.validate;
    form(
        (
            titles::ADD_CHAINED_ROLE,
            "Add a session that assumes a role",
            Some("Its credentials come from the parent session's, by AssumeRole."),
        ),
        FORM_WIDTH,
        rows.fields,
        "Add",
        move |v| {
            let form = read(v)?;
            validate(&form).map(|()| form)
        },
        done,
    )
}

/// See [`FederatedRoleRequest`].
pub fn add_federated_role(
    req: FederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleForm>)>,
) -> Dialog {
    let initial = FederatedRoleForm {
        alias: String::new(),
        profile: req.profile.clone(),
        region: req.region.clone(),
        role_arn: String::new(),
        idp_arn: String::new(),
        saml_url: String::new(),
        duration_secs: req.duration_secs,
    };
    let mut rows = Rows::default();
    let read = federated_role_rows(&mut rows, &initial, (&req.profiles, &req.regions), true);
    let validate = req.validate;
    form(
        (
            titles::ADD_FEDERATED_ROLE,
            "Add a role you sign in to through a SAML identity provider",
            Some(
                "Starting it opens the IdP's sign-in page; its SAML assertion is exchanged for \
                 the role's credentials by AssumeRoleWithSAML, and never leaves this machine \
                 otherwise.",
            ),
        ),
        FORM_WIDTH,
        rows.fields,
        "Add",
        move |v| {
            let form = read(v)?;
            validate(&form).map(|()| form)
        },
        done,
    )
}

/// See [`EditIamUserRequest`]: the session's fields, and "Replace access keys", which
/// enables two masked fields for the new pair (the old keys are never shown). Save only
/// once something changed.
pub fn edit_iam_user(
    req: EditIamUserRequest,
    done: Box<dyn FnOnce(Option<IamUserEdit>)>,
) -> Dialog {
    let shown = req.current;
    let mut rows = Rows::default();
    let common = common_rows(
        &mut rows,
        (&shown.alias, &shown.profile, &shown.region),
        &req.profiles,
        &req.regions,
        None,
    );
    let mfa = rows.text(
        "&MFA device:",
        shown.mfa_serial.as_deref().unwrap_or(""),
        Some("arn:aws:iam::123456789012:mfa/name (optional)"),
    );
    let duration_row = rows.duration("&Duration:", shown.duration_secs, USER_DURATION_RANGE);
    let (key_id, secret) = (rows.fields.len() + 1, rows.fields.len() + 2);
    let replace = rows.check("Replace access &keys", vec![key_id, secret]);
    rows.secret("Access key &ID:");
    rows.secret("&Secret access key:");
    let validate = req.validate;
    let heading = format!("Edit IAM user session '{}'", shown.alias);
    form(
        (
            &titles::edit(&shown.alias),
            &heading,
            Some(
                "Only what you change is saved. An active session restarts when its profile, \
                 region or credentials change. New keys go to the OS keychain; the old ones \
                 are never shown.",
            ),
        ),
        FORM_WIDTH,
        rows.fields,
        "Save",
        move |v| {
            let (alias, profile, region) = common(v)?;
            let new_keys = if checked(&v[replace]) {
                let keys = NewKeys {
                    access_key_id: v[key_id].trim().to_string(),
                    secret_access_key: v[secret].clone(),
                };
                required(&keys.access_key_id, "Type the new access key ID")?;
                required(&keys.secret_access_key, "Type the new secret access key")?;
                Some(keys)
            } else {
                None
            };
            let form = IamUserEdit {
                alias,
                profile,
                region,
                mfa_serial: optional(&v[mfa]),
                duration_secs: duration(&v[duration_row], USER_DURATION_RANGE)?,
                new_keys,
            };
            validate(&form)?;
            unchanged(&shown, &form).map(|()| form)
        },
        done,
    )
}

/// See [`EditChainedRoleRequest`]: the chained role form, filled with the session's
/// fields; the parents offered are those that make no cycle.
pub fn edit_chained_role(
    req: EditChainedRoleRequest,
    done: Box<dyn FnOnce(Option<ChainedRoleForm>)>,
) -> Dialog {
    let shown = req.current;
    let mut rows = Rows::default();
    let read = chained_role_rows(
        &mut rows,
        &shown,
        (&req.profiles, &req.regions),
        req.parents,
        false,
    );
    let validate = req.validate;
    let heading = format!("Edit chained role '{}'", shown.alias);
    form(
        (
            &titles::edit(&shown.alias),
            &heading,
            Some(
                "Only what you change is saved. An active session restarts at once when its \
                 role, parent or other credentials fields change, with what is chained below \
                 it.",
            ),
        ),
        FORM_WIDTH,
        rows.fields,
        "Save",
        move |v| {
            let form = read(v)?;
            validate(&form)?;
            unchanged(&shown, &form).map(|()| form)
        },
        done,
    )
}

/// See [`EditFederatedRoleRequest`]: the federated role form, filled with the session's
/// fields, and "Forget the remembered sign-in".
pub fn edit_federated_role(
    req: EditFederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleEdit>)>,
) -> Dialog {
    let shown = FederatedRoleEdit {
        role: req.current,
        forget_signin: false,
    };
    let mut rows = Rows::default();
    let read = federated_role_rows(&mut rows, &shown.role, (&req.profiles, &req.regions), false);
    let forget = rows.check(
        "&Forget the remembered sign-in (the IdP's cookies): the next start signs in again",
        Vec::new(),
    );
    let validate = req.validate;
    let heading = format!("Edit SAML federated role '{}'", shown.role.alias);
    form(
        (
            &titles::edit(&shown.role.alias),
            &heading,
            Some(
                "Only what you change is saved. An active session restarts at once when its \
                 role, IdP or sign-in URL changes.",
            ),
        ),
        FORM_WIDTH,
        rows.fields,
        "Save",
        move |v| {
            let form = FederatedRoleEdit {
                role: read(v)?,
                forget_signin: checked(&v[forget]),
            };
            validate(&form)?;
            unchanged(&shown, &form).map(|()| form)
        },
        done,
    )
}

/// See [`EditSsoSessionRequest`]: profile and region only (the rest follows the portal).
pub fn edit_sso_session(
    req: EditSsoSessionRequest,
    done: Box<dyn FnOnce(Option<SsoSessionEdit>)>,
) -> Dialog {
    let shown = req.current;
    let mut rows = Rows::default();
    let profile = rows.combo("&Profile:", &req.profiles, &shown.profile);
    let region = rows.combo("&Region:", &req.regions, &shown.region);
    let validate = req.validate;
    let heading = format!("Edit '{}'", req.alias);
    let note = format!(
        "{}. Its alias, account and role follow the portal; the profile and region it writes \
         are yours. An active session restarts when they change.",
        req.about
    );
    form(
        (&titles::edit(&req.alias), &heading, Some(&note)),
        FORM_WIDTH,
        rows.fields,
        "Save",
        move |v| {
            required(&v[profile], "Choose or type a profile")?;
            required(&v[region], "Choose or type a region")?;
            let form = SsoSessionEdit {
                profile: v[profile].clone(),
                region: v[region].clone(),
            };
            validate(&form)?;
            unchanged(&shown, &form).map(|()| form)
        },
        done,
    )
}

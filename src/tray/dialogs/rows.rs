//! The session and integration forms, once for every toolkit: which rows each form has
//! (labels, initial values, hints, in order), the checks and messages that turn what the
//! user typed into the form's answer, and the form's title, heading and note. A toolkit
//! only says how to make a row and how to read one back ([`FormRows`]): GTK widgets on
//! Linux (`gtk.rs`), the plain-data rows the Win32 windows draw on Windows (`forms/`).
//!
//! Labels mark their access key with `_` (GTK's marker; the Win32 rows turn it into `&`).

use uuid::Uuid;

use super::{
    titles, ChainedRoleForm, ChainedRoleRequest, EditChainedRoleRequest, EditFederatedRoleRequest,
    EditIamUserRequest, EditSsoSessionRequest, FederatedRoleEdit, FederatedRoleForm,
    FederatedRoleRequest, IamUserEdit, IamUserForm, IamUserRequest, IntegrationForm,
    IntegrationRequest, NewKeys, SsoSessionEdit,
};
use crate::model::session::{FEDERATED_DURATION_RANGE, ROLE_DURATION_RANGE, USER_DURATION_RANGE};

/// How a toolkit makes a form's rows, top to bottom, and reads them back.
pub(super) trait FormRows {
    /// A row, as the reader finds it again (a widget, an index).
    type Field: Clone + 'static;
    /// What the reader is given: the fields' current values (or nothing, where the
    /// fields are read from the widgets themselves).
    type Values: ?Sized;

    /// A one-line text field; its grey hint only when `hint` is given.
    fn text(&mut self, label: &str, initial: &str, hint: Option<&str>) -> Self::Field;
    /// A list of `items` that also takes a typed value.
    fn combo(&mut self, label: &str, items: &[String], initial: &str) -> Self::Field;
    /// One of `items` (id, label); `initial` chosen at first, else the first one.
    fn pick(&mut self, label: &str, items: &[(Uuid, String)], initial: Option<Uuid>)
        -> Self::Field;
    /// A number of seconds in `range`.
    fn duration(&mut self, label: &str, initial: u32, range: (u32, u32)) -> Self::Field;
    /// A masked field (a secret: never shown, never copied), empty.
    fn secret(&mut self, label: &str) -> Self::Field;
    /// A check box, off.
    fn check(&mut self, label: &str) -> Self::Field;
    /// A check box, off, and under it masked fields labelled `secrets` that are enabled
    /// only while it is ticked and emptied when it is unticked.
    fn check_with_secrets(
        &mut self,
        label: &str,
        secrets: [&str; 2],
    ) -> (Self::Field, [Self::Field; 2]);

    /// A text or list field's value, trimmed; a masked field's as typed.
    fn value(values: &Self::Values, field: &Self::Field) -> String;
    /// The id picked in a [`FormRows::pick`] row.
    fn picked(values: &Self::Values, field: &Self::Field) -> Option<Uuid>;
    /// A duration row's seconds, or what is wrong with them.
    fn seconds(
        values: &Self::Values,
        field: &Self::Field,
        range: (u32, u32),
    ) -> Result<u32, String>;
    /// Whether a check box is ticked.
    fn ticked(values: &Self::Values, field: &Self::Field) -> bool;
}

/// Turns a form's values into its answer, or says what is missing or wrong (`Err("")`:
/// nothing to say, the OK button simply waits).
pub(super) type Reader<R, T> = Box<dyn Fn(&<R as FormRows>::Values) -> Result<T, String>>;

/// The words around a form's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FormText {
    /// The window title.
    pub title: String,
    /// The bold first line.
    pub heading: String,
    /// The dim line under it.
    pub note: String,
    /// The OK button's label.
    pub ok: &'static str,
}

impl FormText {
    fn new(title: &str, heading: &str, note: &str, ok: &'static str) -> FormText {
        FormText {
            title: title.into(),
            heading: heading.into(),
            note: note.into(),
            ok,
        }
    }
}

/// `Err(message)` when `value` is empty.
pub(super) fn required(value: &str, message: &str) -> Result<(), String> {
    if value.is_empty() {
        Err(message.into())
    } else {
        Ok(())
    }
}

/// What an edit form says while its value is valid but unchanged: nothing (Save waits).
pub(super) fn unchanged<T: PartialEq>(shown: &T, now: &T) -> Result<(), String> {
    if shown == now {
        Err(String::new())
    } else {
        Ok(())
    }
}

fn optional(value: String) -> Option<String> {
    Some(value).filter(|v| !v.is_empty())
}

const MFA_HINT: &str = "arn:aws:iam::123456789012:mfa/name (optional)";
const ROLE_ARN_HINT: &str = "arn:aws:iam::123456789012:role/name";

/// The alias, profile and region rows of an IAM user, and how to read them.
#[allow(clippy::type_complexity)]
fn user_rows<R: FormRows>(
    rows: &mut R,
    (alias, profile, region): (&str, &str, &str),
    (profiles, regions): (&[String], &[String]),
    alias_hint: Option<&str>,
) -> impl Fn(&R::Values) -> Result<(String, String, String), String> {
    let alias = rows.text("_Alias:", alias, alias_hint);
    let profile = rows.combo("_Profile:", profiles, profile);
    let region = rows.combo("_Region:", regions, region);
    move |v| {
        let (alias, profile, region) = (
            R::value(v, &alias),
            R::value(v, &profile),
            R::value(v, &region),
        );
        required(&alias, "Type an alias")?;
        required(&profile, "Choose or type a profile")?;
        required(&region, "Choose or type a region")?;
        Ok((alias, profile, region))
    }
}

/// The chained role's rows (alias, parent, role, session name, external id, profile,
/// region, duration), filled from `initial` (hints when `placeholders`), and how to read
/// them; shared by the add and edit forms.
fn chained_role_rows<R: FormRows>(
    rows: &mut R,
    initial: &ChainedRoleForm,
    (profiles, regions): (&[String], &[String]),
    parents: &[(Uuid, String)],
    placeholders: bool,
) -> impl Fn(&R::Values) -> Result<ChainedRoleForm, String> {
    let hint = |text: &'static str| placeholders.then_some(text);
    let alias = rows.text("_Alias:", &initial.alias, hint("e.g. prod-admin"));
    let parent = rows.pick("Pa_rent session:", parents, Some(initial.parent));
    let role_arn = rows.text("Role A_RN:", &initial.role_arn, hint(ROLE_ARN_HINT));
    let session_name = rows.text("Role _session name:", &initial.role_session_name, None);
    let external_id = rows.text(
        "_External ID:",
        initial.external_id.as_deref().unwrap_or(""),
        Some("(optional)"),
    );
    let profile = rows.combo("_Profile:", profiles, &initial.profile);
    let region = rows.combo("Re_gion:", regions, &initial.region);
    let duration = rows.duration("_Duration:", initial.duration_secs, ROLE_DURATION_RANGE);
    move |v| {
        let Some(parent) = R::picked(v, &parent) else {
            return Err("Choose the parent session (add a session first if there is none)".into());
        };
        let form = ChainedRoleForm {
            alias: R::value(v, &alias),
            profile: R::value(v, &profile),
            region: R::value(v, &region),
            parent,
            role_arn: R::value(v, &role_arn),
            role_session_name: R::value(v, &session_name),
            external_id: optional(R::value(v, &external_id)),
            duration_secs: R::seconds(v, &duration, ROLE_DURATION_RANGE)?,
        };
        required(&form.alias, "Type an alias")?;
        required(&form.role_arn, "Type the role ARN")?;
        required(&form.role_session_name, "Type a role session name")?;
        required(&form.profile, "Choose or type a profile")?;
        required(&form.region, "Choose or type a region")?;
        Ok(form)
    }
}

/// The federated role's rows (alias, profile, region, role, IdP, sign-in URL, duration),
/// filled from `initial` (hints when `placeholders`), and how to read them; shared by the
/// add and edit forms.
fn federated_role_rows<R: FormRows>(
    rows: &mut R,
    initial: &FederatedRoleForm,
    (profiles, regions): (&[String], &[String]),
    placeholders: bool,
) -> impl Fn(&R::Values) -> Result<FederatedRoleForm, String> {
    let hint = |text: &'static str| placeholders.then_some(text);
    let alias = rows.text("_Alias:", &initial.alias, hint("e.g. okta-admin"));
    let profile = rows.combo("_Profile:", profiles, &initial.profile);
    let region = rows.combo("Re_gion:", regions, &initial.region);
    let role_arn = rows.text("Role A_RN:", &initial.role_arn, hint(ROLE_ARN_HINT));
    let idp_arn = rows.text(
        "_IdP ARN:",
        &initial.idp_arn,
        hint("arn:aws:iam::123456789012:saml-provider/name"),
    );
    let saml_url = rows.text(
        "SAML sign-in _URL:",
        &initial.saml_url,
        hint("https://idp.example.com/…/saml"),
    );
    let duration = rows.duration(
        "_Duration:",
        initial.duration_secs,
        FEDERATED_DURATION_RANGE,
    );
    move |v| {
        let form = FederatedRoleForm {
            alias: R::value(v, &alias),
            profile: R::value(v, &profile),
            region: R::value(v, &region),
            role_arn: R::value(v, &role_arn),
            idp_arn: R::value(v, &idp_arn),
            saml_url: R::value(v, &saml_url),
            duration_secs: R::seconds(v, &duration, FEDERATED_DURATION_RANGE)?,
        };
        required(&form.alias, "Type an alias")?;
        required(&form.profile, "Choose or type a profile")?;
        required(&form.region, "Choose or type a region")?;
        required(&form.role_arn, "Type the role ARN")?;
        required(&form.idp_arn, "Type the IdP ARN (the IAM SAML provider)")?;
        required(&form.saml_url, "Type the IdP's SAML sign-in URL")?;
        Ok(form)
    }
}

/// See [`IamUserRequest`]: alias, profile, region, access key id, the secret access key
/// (masked), MFA device, duration.
pub(super) fn add_iam_user<R: FormRows + 'static>(
    rows: &mut R,
    req: IamUserRequest,
) -> (FormText, Reader<R, IamUserForm>) {
    let user = user_rows(
        rows,
        ("", &req.profile, &req.region),
        (&req.profiles, &req.regions),
        Some("e.g. work"),
    );
    let key_id = rows.text("Access _key ID:", "", Some("AKIA…"));
    let secret = rows.secret("_Secret access key:");
    let mfa = rows.text("_MFA device:", "", Some(MFA_HINT));
    let duration = rows.duration("_Duration:", req.duration_secs, USER_DURATION_RANGE);
    let validate = req.validate;
    let text = FormText::new(
        titles::ADD_IAM_USER,
        "Add a session for an IAM user's access key",
        "The secret access key goes to the OS keychain; the AWS files get short-lived \
         credentials only.",
        "Add",
    );
    let read = move |v: &R::Values| {
        let (alias, profile, region) = user(v)?;
        let form = IamUserForm {
            alias,
            profile,
            region,
            access_key_id: R::value(v, &key_id),
            secret_access_key: R::value(v, &secret),
            mfa_serial: optional(R::value(v, &mfa)),
            duration_secs: R::seconds(v, &duration, USER_DURATION_RANGE)?,
        };
        required(&form.access_key_id, "Type the access key ID")?;
        required(&form.secret_access_key, "Type the secret access key")?;
        validate(&form).map(|()| form)
    };
    (text, Box::new(read))
}

/// See [`ChainedRoleRequest`].
pub(super) fn add_chained_role<R: FormRows + 'static>(
    rows: &mut R,
    req: ChainedRoleRequest,
) -> (FormText, Reader<R, ChainedRoleForm>) {
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
    let role = chained_role_rows(
        rows,
        &initial,
        (&req.profiles, &req.regions),
        &req.parents,
        true,
    );
    let validate = req.validate;
    let text = FormText::new(
        titles::ADD_CHAINED_ROLE,
        "Add a session that assumes a role",
        "Its credentials come from the parent session's, by AssumeRole.",
        "Add",
    );
    let read = move |v: &R::Values| {
        let form = role(v)?;
        validate(&form).map(|()| form)
    };
    (text, Box::new(read))
}

/// See [`FederatedRoleRequest`].
pub(super) fn add_federated_role<R: FormRows + 'static>(
    rows: &mut R,
    req: FederatedRoleRequest,
) -> (FormText, Reader<R, FederatedRoleForm>) {
    let initial = FederatedRoleForm {
        alias: String::new(),
        profile: req.profile.clone(),
        region: req.region.clone(),
        role_arn: String::new(),
        idp_arn: String::new(),
        saml_url: String::new(),
        duration_secs: req.duration_secs,
    };
    let role = federated_role_rows(rows, &initial, (&req.profiles, &req.regions), true);
    let validate = req.validate;
    let text = FormText::new(
        titles::ADD_FEDERATED_ROLE,
        "Add a role you sign in to through a SAML identity provider",
        "Starting it opens the IdP's sign-in page; its SAML assertion is exchanged for the \
         role's credentials by AssumeRoleWithSAML, and never leaves this machine otherwise.",
        "Add",
    );
    let read = move |v: &R::Values| {
        let form = role(v)?;
        validate(&form).map(|()| form)
    };
    (text, Box::new(read))
}

/// See [`IntegrationRequest`]: alias, start URL, region.
pub(super) fn add_integration<R: FormRows + 'static>(
    rows: &mut R,
    req: IntegrationRequest,
) -> (FormText, Reader<R, IntegrationForm>) {
    let alias = rows.text("_Alias:", "", Some("e.g. corp"));
    let start_url = rows.text(
        "_Start URL:",
        "",
        Some("https://d-1234567890.awsapps.com/start"),
    );
    let region = rows.combo("_Region:", &req.regions, &req.region);
    let validate = req.validate;
    let text = FormText::new(
        titles::ADD_INTEGRATION,
        "Add an IAM Identity Center integration",
        "Its accounts and roles become sessions once you sign in; the tokens go to the OS \
         keychain.",
        "Add",
    );
    let read = move |v: &R::Values| {
        let form = IntegrationForm {
            alias: R::value(v, &alias),
            start_url: R::value(v, &start_url),
            region: R::value(v, &region),
        };
        required(&form.alias, "Type an alias")?;
        required(&form.start_url, "Type the portal's start URL")?;
        required(&form.region, "Choose or type a region")?;
        validate(&form).map(|()| form)
    };
    (text, Box::new(read))
}

/// See [`EditIamUserRequest`]: the session's fields, and "Replace access keys", which
/// enables two masked fields for the new pair (the old keys are never shown). Save only
/// once something changed.
pub(super) fn edit_iam_user<R: FormRows + 'static>(
    rows: &mut R,
    req: EditIamUserRequest,
) -> (FormText, Reader<R, IamUserEdit>) {
    let shown = req.current;
    let user = user_rows(
        rows,
        (&shown.alias, &shown.profile, &shown.region),
        (&req.profiles, &req.regions),
        None,
    );
    let mfa = rows.text(
        "_MFA device:",
        shown.mfa_serial.as_deref().unwrap_or(""),
        Some(MFA_HINT),
    );
    let duration = rows.duration("_Duration:", shown.duration_secs, USER_DURATION_RANGE);
    let (replace, [key_id, secret]) = rows.check_with_secrets(
        "Replace access _keys",
        ["Access key _ID:", "_Secret access key:"],
    );
    let validate = req.validate;
    let text = FormText::new(
        &titles::edit(&shown.alias),
        &format!("Edit IAM user session '{}'", shown.alias),
        "Only what you change is saved. An active session restarts when its profile, region \
         or credentials change. New keys go to the OS keychain; the old ones are never shown.",
        "Save",
    );
    let read = move |v: &R::Values| {
        let (alias, profile, region) = user(v)?;
        let new_keys = if R::ticked(v, &replace) {
            let keys = NewKeys {
                access_key_id: R::value(v, &key_id).trim().to_string(),
                secret_access_key: R::value(v, &secret),
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
            mfa_serial: optional(R::value(v, &mfa)),
            duration_secs: R::seconds(v, &duration, USER_DURATION_RANGE)?,
            new_keys,
        };
        validate(&form)?;
        unchanged(&shown, &form).map(|()| form)
    };
    (text, Box::new(read))
}

/// See [`EditChainedRoleRequest`]: the chained role form, filled with the session's
/// fields; the parents offered are those that make no cycle.
pub(super) fn edit_chained_role<R: FormRows + 'static>(
    rows: &mut R,
    req: EditChainedRoleRequest,
) -> (FormText, Reader<R, ChainedRoleForm>) {
    let shown = req.current;
    let role = chained_role_rows(
        rows,
        &shown,
        (&req.profiles, &req.regions),
        &req.parents,
        false,
    );
    let validate = req.validate;
    let text = FormText::new(
        &titles::edit(&shown.alias),
        &format!("Edit chained role '{}'", shown.alias),
        "Only what you change is saved. An active session restarts at once when its role, \
         parent or other credentials fields change, with what is chained below it.",
        "Save",
    );
    let read = move |v: &R::Values| {
        let form = role(v)?;
        validate(&form)?;
        unchanged(&shown, &form).map(|()| form)
    };
    (text, Box::new(read))
}

/// See [`EditFederatedRoleRequest`]: the federated role form, filled with the session's
/// fields, and "Forget the remembered sign-in".
pub(super) fn edit_federated_role<R: FormRows + 'static>(
    rows: &mut R,
    req: EditFederatedRoleRequest,
) -> (FormText, Reader<R, FederatedRoleEdit>) {
    let shown = FederatedRoleEdit {
        role: req.current,
        forget_signin: false,
    };
    let role = federated_role_rows(rows, &shown.role, (&req.profiles, &req.regions), false);
    let forget = rows
        .check("_Forget the remembered sign-in (the IdP's cookies): the next start signs in again");
    let validate = req.validate;
    let text = FormText::new(
        &titles::edit(&shown.role.alias),
        &format!("Edit SAML federated role '{}'", shown.role.alias),
        "Only what you change is saved. An active session restarts at once when its role, \
         IdP or sign-in URL changes.",
        "Save",
    );
    let read = move |v: &R::Values| {
        let form = FederatedRoleEdit {
            role: role(v)?,
            forget_signin: R::ticked(v, &forget),
        };
        validate(&form)?;
        unchanged(&shown, &form).map(|()| form)
    };
    (text, Box::new(read))
}

/// See [`EditSsoSessionRequest`]: profile and region only (the rest follows the portal).
pub(super) fn edit_sso_session<R: FormRows + 'static>(
    rows: &mut R,
    req: EditSsoSessionRequest,
) -> (FormText, Reader<R, SsoSessionEdit>) {
    let shown = req.current;
    let profile = rows.combo("_Profile:", &req.profiles, &shown.profile);
    let region = rows.combo("_Region:", &req.regions, &shown.region);
    let validate = req.validate;
    let text = FormText::new(
        &titles::edit(&req.alias),
        &format!("Edit '{}'", req.alias),
        &format!(
            "{}. Its alias, account and role follow the portal; the profile and region it \
             writes are yours. An active session restarts when they change.",
            req.about
        ),
        "Save",
    );
    let read = move |v: &R::Values| {
        let form = SsoSessionEdit {
            profile: R::value(v, &profile),
            region: R::value(v, &region),
        };
        required(&form.profile, "Choose or type a profile")?;
        required(&form.region, "Choose or type a region")?;
        validate(&form)?;
        unchanged(&shown, &form).map(|()| form)
    };
    (text, Box::new(read))
}

//! The session forms and the integration form for the Win32 windows: the toolkit-neutral
//! forms of `rows.rs` (rows, checks, words) made on [`Rows`].

use super::*;
use crate::tray::dialogs::rows;

/// See [`IamUserRequest`]. The secret access key is typed into a masked field.
pub fn add_iam_user(req: IamUserRequest, done: Box<dyn FnOnce(Option<IamUserForm>)>) -> Dialog {
    let mut r = Rows::default();
    let form = rows::add_iam_user(&mut r, req);
    form_of(r, form, done)
}

/// See [`ChainedRoleRequest`].
pub fn add_chained_role(
    req: ChainedRoleRequest,
    done: Box<dyn FnOnce(Option<ChainedRoleForm>)>,
) -> Dialog {
    let mut r = Rows::default();
    let form = rows::add_chained_role(&mut r, req);
    form_of(r, form, done)
}

/// See [`FederatedRoleRequest`].
pub fn add_federated_role(
    req: FederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleForm>)>,
) -> Dialog {
    let mut r = Rows::default();
    let form = rows::add_federated_role(&mut r, req);
    form_of(r, form, done)
}

/// See [`IntegrationRequest`].
pub fn add_integration(
    req: IntegrationRequest,
    done: Box<dyn FnOnce(Option<IntegrationForm>)>,
) -> Dialog {
    let mut r = Rows::default();
    let form = rows::add_integration(&mut r, req);
    form_of(r, form, done)
}

/// See [`EditIamUserRequest`]: "Replace access keys" enables the two masked fields under
/// it. Save only once something changed.
pub fn edit_iam_user(
    req: EditIamUserRequest,
    done: Box<dyn FnOnce(Option<IamUserEdit>)>,
) -> Dialog {
    let mut r = Rows::default();
    let form = rows::edit_iam_user(&mut r, req);
    form_of(r, form, done)
}

/// See [`EditChainedRoleRequest`].
pub fn edit_chained_role(
    req: EditChainedRoleRequest,
    done: Box<dyn FnOnce(Option<ChainedRoleForm>)>,
) -> Dialog {
    let mut r = Rows::default();
    let form = rows::edit_chained_role(&mut r, req);
    form_of(r, form, done)
}

/// See [`EditFederatedRoleRequest`].
pub fn edit_federated_role(
    req: EditFederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleEdit>)>,
) -> Dialog {
    let mut r = Rows::default();
    let form = rows::edit_federated_role(&mut r, req);
    form_of(r, form, done)
}

/// See [`EditSsoSessionRequest`]: profile and region only (the rest follows the portal).
pub fn edit_sso_session(
    req: EditSsoSessionRequest,
    done: Box<dyn FnOnce(Option<SsoSessionEdit>)>,
) -> Dialog {
    let mut r = Rows::default();
    let form = rows::edit_sso_session(&mut r, req);
    form_of(r, form, done)
}

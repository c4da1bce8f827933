//! Platforms without native dialogs yet: every dialog answers "cancelled" at once, and the
//! caller tells the user which CLI command does the same.

use super::*;

/// Whether this platform has the dialogs.
pub const AVAILABLE: bool = false;

/// See [`MfaRequest`].
pub fn mfa_code(_req: MfaRequest, done: Box<dyn FnOnce(Option<String>)>) {
    done(None)
}

/// See [`TextRequest`].
pub fn text(_req: TextRequest, done: Box<dyn FnOnce(Option<String>)>) {
    done(None)
}

/// See [`ChoiceRequest`].
pub fn choice(_req: ChoiceRequest, done: Box<dyn FnOnce(Option<String>)>) {
    done(None)
}

/// See [`ConfirmRequest`].
pub fn confirm(_req: ConfirmRequest, done: Box<dyn FnOnce(bool)>) {
    done(false)
}

/// See [`IamUserRequest`].
pub fn add_iam_user(_req: IamUserRequest, done: Box<dyn FnOnce(Option<IamUserForm>)>) {
    done(None)
}

/// See [`ChainedRoleRequest`].
pub fn add_chained_role(_req: ChainedRoleRequest, done: Box<dyn FnOnce(Option<ChainedRoleForm>)>) {
    done(None)
}

/// See [`ProfilesRequest`].
pub fn named_profiles(_req: ProfilesRequest, done: Box<dyn FnOnce(Option<ProfileChoice>)>) {
    done(None)
}

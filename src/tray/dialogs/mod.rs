//! Native dialogs of the tray. Every function shows a dialog and returns at once; `done`
//! runs later, on the UI thread, with the user's answer (`None`: cancelled or closed). No
//! dialog is modal to the process: the event loop, the menu and rotation go on meanwhile.
//!
//! Linux: GTK 3, the toolkit `tao` runs on (`gtk.rs`). Windows: native Win32 windows on
//! the UI thread (`win32.rs`, drawing what `forms.rs` describes). macOS: AppleScript in a
//! child process (`external.rs`), driven from the UI thread by `native.rs`; the child runs
//! on a worker thread and its answer comes back to the UI thread through
//! [`set_dispatcher`] and [`deliver`].
//!
//! Window titles are stable (tests find the dialogs by them): see [`titles`].

use uuid::Uuid;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

pub mod external;
#[cfg(target_os = "linux")]
mod gtk;
#[cfg(target_os = "linux")]
pub use self::gtk::*;

#[cfg(not(any(target_os = "linux", windows)))]
mod native;
#[cfg(not(any(target_os = "linux", windows)))]
pub use self::native::*;
// The macOS and Windows forms, type-checked by the Linux test build too.
#[cfg(all(test, target_os = "linux"))]
#[allow(dead_code)]
#[path = "native.rs"]
mod native_checked_on_linux;

// Pure (unit-tested on every platform); drawn by win32.rs on Windows.
#[cfg_attr(not(windows), allow(dead_code))]
mod forms;
// The session and integration forms, once for GTK and Win32 (pure).
#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
mod rows;
#[cfg(windows)]
mod win32;
#[cfg(windows)]
pub use self::win32::*;

/// What runs with a dialog's answer, on the UI thread.
type Answer = Box<dyn FnOnce(Option<String>)>;

thread_local! {
    /// Dialogs waiting for an answer from a worker thread: the last id, and the callbacks.
    static PENDING: RefCell<(u64, HashMap<u64, Answer>)> = RefCell::new((0, HashMap::new()));
}

/// Sends a worker thread's answer to the UI thread.
type Dispatch = Box<dyn Fn(u64, Option<String>) + Send + Sync>;
static DISPATCH: OnceLock<Dispatch> = OnceLock::new();

/// Sets how an answer reaches the UI thread (the tray sends it as an event); once.
pub fn set_dispatcher(f: impl Fn(u64, Option<String>) + Send + Sync + 'static) {
    let _ = DISPATCH.set(Box::new(f));
}

/// Runs, on the UI thread, what waits for the answer of dialog `id`.
pub fn deliver(id: u64, answer: Option<String>) {
    let done = PENDING.with(|p| p.borrow_mut().1.remove(&id));
    if let Some(done) = done {
        done(answer)
    }
}

/// Asks `prompt` with the platform's dialog host on a worker thread; `done` runs on the
/// UI thread with the answer.
#[cfg_attr(any(target_os = "linux", windows), allow(dead_code))]
fn ask(prompt: external::Prompt, done: Answer) {
    ask_closable(prompt, done, external::Closer::default());
}

/// [`ask`], for a prompt that `closer` can take down (its answer is then `None`).
#[cfg_attr(any(target_os = "linux", windows), allow(dead_code))]
fn ask_closable(prompt: external::Prompt, done: Answer, closer: external::Closer) {
    let id = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        p.0 += 1;
        let id = p.0;
        p.1.insert(id, done);
        id
    });
    let spawned = std::thread::Builder::new()
        .name("credtray-dialog".into())
        .spawn(move || {
            let answer = external::run(&prompt, &closer);
            if let Some(d) = DISPATCH.get() {
                d(id, answer)
            }
        });
    if spawned.is_err() {
        deliver(id, None);
    }
}

/// Checks a typed value; `Err` holds the message shown under the field (OK stays disabled).
pub type Validate = Box<dyn Fn(&str) -> Result<(), String>>;

/// Checks a whole form; `Err` holds the message shown under it (OK stays disabled).
pub type ValidateForm<T> = Box<dyn Fn(&T) -> Result<(), String>>;

/// The window titles of the dialogs.
pub mod titles {
    /// The MFA code dialog.
    pub const MFA: &str = "credtray: MFA code";
    /// The IAM user form.
    pub const ADD_IAM_USER: &str = "credtray: add IAM user session";
    /// The chained role form.
    pub const ADD_CHAINED_ROLE: &str = "credtray: add chained role";
    /// The SAML federated role form.
    pub const ADD_FEDERATED_ROLE: &str = "credtray: add SAML federated role";
    /// The named profiles manager.
    pub const PROFILES: &str = "credtray: named profiles";
    /// The IAM Identity Center integration form.
    pub const ADD_INTEGRATION: &str = "credtray: add integration";
    /// The window shown while a sign-in waits for the browser.
    pub const SIGN_IN: &str = "credtray: sign-in";

    /// The edit form of session `alias`, whatever its kind.
    pub fn edit(alias: &str) -> String {
        format!("credtray: edit '{alias}'")
    }
}

/// What the integration form gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationForm {
    /// Alias.
    pub alias: String,
    /// The portal's start URL.
    pub start_url: String,
    /// The region of IAM Identity Center.
    pub region: String,
}

/// Opens the integration form.
pub struct IntegrationRequest {
    /// Regions offered (another may be typed).
    pub regions: Vec<String>,
    /// Initial region.
    pub region: String,
    /// Checks the whole form on every change (the model's own checks).
    pub validate: ValidateForm<IntegrationForm>,
}

/// Shows that a sign-in waits for the user in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInWaitRequest {
    /// The integration's alias.
    pub alias: String,
    /// The URL opened in the browser (shown in case none opened).
    pub url: String,
    /// In device mode, the code the page shows, for the user to compare.
    pub code: Option<String>,
}

impl SignInWaitRequest {
    /// The dialog's first line.
    pub fn heading(&self) -> String {
        format!("Waiting for sign-in to '{}' in your browser…", self.alias)
    }

    /// The whole message as plain text (for the platforms' dialog hosts).
    pub fn message(&self) -> String {
        let mut m = format!(
            "{}\n\nIf no browser opened, open this address:\n{}",
            self.heading(),
            self.url
        );
        if let Some(code) = &self.code {
            m.push_str(&format!(
                "\n\nThe page shows this code; check it is the same: {code}"
            ));
        }
        m
    }
}

/// Asks for a session's MFA code.
pub struct MfaRequest {
    /// The session's alias.
    pub session: String,
    /// The MFA device (ARN or serial number).
    pub serial: String,
}

/// Asks for one line of text (a profile name, an alias).
pub struct TextRequest {
    /// The window title.
    pub title: String,
    /// What to type, one sentence.
    pub prompt: String,
    /// The field's initial text.
    pub initial: String,
    /// The label of the OK button ("Rename", "Add").
    pub ok_label: String,
    /// Checked on every keystroke.
    pub validate: Validate,
}

/// Asks to pick one of a list, or (when `allow_other`) to type another value.
pub struct ChoiceRequest {
    /// The window title.
    pub title: String,
    /// What to choose, one sentence.
    pub prompt: String,
    /// The values offered, in order.
    pub choices: Vec<String>,
    /// The value selected at first.
    pub current: String,
    /// Whether a value not in `choices` may be typed.
    pub allow_other: bool,
    /// The label of the OK button.
    pub ok_label: String,
    /// Checked on every change.
    pub validate: Validate,
}

/// Asks for a yes or no.
pub struct ConfirmRequest {
    /// The window title.
    pub title: String,
    /// The question, which says what will happen.
    pub message: String,
    /// The label of the button that goes ahead ("Remove").
    pub ok_label: String,
    /// Whether going ahead destroys something (the button is styled so).
    pub destructive: bool,
}

/// What the IAM user form gives back.
#[derive(Clone, PartialEq, Eq)]
pub struct IamUserForm {
    /// Alias.
    pub alias: String,
    /// Named profile (existing or new).
    pub profile: String,
    /// Region.
    pub region: String,
    /// Access key id (a secret: never logged).
    pub access_key_id: String,
    /// Secret access key (a secret: typed into a masked field, never logged).
    pub secret_access_key: String,
    /// MFA device ARN or serial, if any.
    pub mfa_serial: Option<String>,
    /// GetSessionToken duration in seconds.
    pub duration_secs: u32,
}

impl std::fmt::Debug for IamUserForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamUserForm")
            .field("alias", &self.alias)
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("mfa_serial", &self.mfa_serial)
            .field("duration_secs", &self.duration_secs)
            .finish_non_exhaustive()
    }
}

/// Opens the IAM user form.
pub struct IamUserRequest {
    /// Existing profiles, offered in a combo box that also takes a new name.
    pub profiles: Vec<String>,
    /// Regions offered (another may be typed).
    pub regions: Vec<String>,
    /// Initial profile.
    pub profile: String,
    /// Initial region.
    pub region: String,
    /// Initial duration.
    pub duration_secs: u32,
    /// Checks the whole form on every change; `Err` is shown and disables OK.
    pub validate: ValidateForm<IamUserForm>,
}

/// What the chained role form gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedRoleForm {
    /// Alias.
    pub alias: String,
    /// Named profile (existing or new).
    pub profile: String,
    /// Region.
    pub region: String,
    /// The parent session.
    pub parent: Uuid,
    /// Role ARN.
    pub role_arn: String,
    /// RoleSessionName.
    pub role_session_name: String,
    /// ExternalId, if any.
    pub external_id: Option<String>,
    /// AssumeRole duration in seconds.
    pub duration_secs: u32,
}

/// Opens the chained role form.
pub struct ChainedRoleRequest {
    /// Existing profiles.
    pub profiles: Vec<String>,
    /// Regions offered.
    pub regions: Vec<String>,
    /// Sessions that can be the parent: id and label.
    pub parents: Vec<(Uuid, String)>,
    /// Initial profile.
    pub profile: String,
    /// Initial region.
    pub region: String,
    /// Initial role session name.
    pub role_session_name: String,
    /// Initial duration.
    pub duration_secs: u32,
    /// Checks the whole form on every change.
    pub validate: ValidateForm<ChainedRoleForm>,
}

/// What the SAML federated role form gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedRoleForm {
    /// Alias.
    pub alias: String,
    /// Named profile (existing or new).
    pub profile: String,
    /// Region.
    pub region: String,
    /// The IAM role ARN to assume.
    pub role_arn: String,
    /// The ARN of the IAM SAML provider (the IdP in IAM).
    pub idp_arn: String,
    /// The IdP's SAML 2.0 sign-in URL.
    pub saml_url: String,
    /// AssumeRoleWithSAML duration in seconds.
    pub duration_secs: u32,
}

/// Opens the SAML federated role form.
pub struct FederatedRoleRequest {
    /// Existing profiles.
    pub profiles: Vec<String>,
    /// Regions offered.
    pub regions: Vec<String>,
    /// Initial profile.
    pub profile: String,
    /// Initial region.
    pub region: String,
    /// Initial duration.
    pub duration_secs: u32,
    /// Checks the whole form on every change (the model's own checks).
    pub validate: ValidateForm<FederatedRoleForm>,
}

/// What the user asked for in the named profiles manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    /// Add a profile (the name is asked next).
    Add,
    /// Rename this profile (the new name is asked next).
    Rename(String),
    /// Remove this profile (confirmed next).
    Remove(String),
}

/// Opens the named profiles manager.
pub struct ProfilesRequest {
    /// Every profile with the number of its sessions, `default` first.
    pub profiles: Vec<(String, usize)>,
}

/// A new pair of long-term access keys typed into an edit form (both masked). `Debug` is
/// redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct NewKeys {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for NewKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewKeys(<redacted>)")
    }
}

/// The fields of an IAM user session's edit form: shown as the session has them (no keys:
/// the old ones are never shown), given back as the user left them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamUserEdit {
    /// Alias.
    pub alias: String,
    /// Named profile (existing or new).
    pub profile: String,
    /// Region.
    pub region: String,
    /// MFA device ARN or serial, if any.
    pub mfa_serial: Option<String>,
    /// GetSessionToken duration in seconds.
    pub duration_secs: u32,
    /// The keys that replace the stored ones, when "Replace access keys" is ticked.
    pub new_keys: Option<NewKeys>,
}

/// Opens the edit form of an IAM user session.
pub struct EditIamUserRequest {
    /// The values the form shows at first.
    pub current: IamUserEdit,
    /// Existing profiles.
    pub profiles: Vec<String>,
    /// Regions offered.
    pub regions: Vec<String>,
    /// Checks the whole form on every change (`Err("")`: nothing to say, Save disabled).
    pub validate: ValidateForm<IamUserEdit>,
}

/// Opens the edit form of a chained role (the answer is a [`ChainedRoleForm`]).
pub struct EditChainedRoleRequest {
    /// The values the form shows at first.
    pub current: ChainedRoleForm,
    /// Existing profiles.
    pub profiles: Vec<String>,
    /// Regions offered.
    pub regions: Vec<String>,
    /// The sessions that can assume the role without making a cycle: id and label.
    pub parents: Vec<(Uuid, String)>,
    /// Checks the whole form on every change (`Err("")`: nothing to say, Save disabled).
    pub validate: ValidateForm<ChainedRoleForm>,
}

/// What the edit form of a SAML federated role gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedRoleEdit {
    /// The role's fields as the user left them.
    pub role: FederatedRoleForm,
    /// Whether to forget the IdP's remembered sign-in (its cookies) too.
    pub forget_signin: bool,
}

/// Opens the edit form of a SAML federated role.
pub struct EditFederatedRoleRequest {
    /// The values the form shows at first.
    pub current: FederatedRoleForm,
    /// Existing profiles.
    pub profiles: Vec<String>,
    /// Regions offered.
    pub regions: Vec<String>,
    /// Checks the whole form on every change (`Err("")`: nothing to say, Save disabled).
    pub validate: ValidateForm<FederatedRoleEdit>,
}

/// The fields of an IAM Identity Center session's edit form (the rest follows the portal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSessionEdit {
    /// Named profile (existing or new).
    pub profile: String,
    /// Region.
    pub region: String,
}

/// Opens the edit form of an IAM Identity Center session.
pub struct EditSsoSessionRequest {
    /// The session's alias (`account / role`).
    pub alias: String,
    /// What it is, one line ("account 123456789012 (acct-0001), role Admin, from 'corp'").
    pub about: String,
    /// The values the form shows at first.
    pub current: SsoSessionEdit,
    /// Existing profiles.
    pub profiles: Vec<String>,
    /// Regions offered.
    pub regions: Vec<String>,
    /// Checks the whole form on every change (`Err("")`: nothing to say, Save disabled).
    pub validate: ValidateForm<SsoSessionEdit>,
}

//! The dialogs as plain data, for the Windows windows of `win32.rs`: what each dialog shows
//! (heading, note, labelled fields, buttons) and how its fields' text becomes the answer
//! (checks and messages as the GTK dialogs have them). No window here: this part is pure and
//! unit-tested on every platform.

use std::rc::Rc;

use uuid::Uuid;

use super::rows::{FormRows, FormText, Reader};
use super::{
    titles, ChainedRoleForm, ChainedRoleRequest, ChoiceRequest, ConfirmRequest,
    EditChainedRoleRequest, EditFederatedRoleRequest, EditIamUserRequest, EditSsoSessionRequest,
    FederatedRoleEdit, FederatedRoleForm, FederatedRoleRequest, IamUserEdit, IamUserForm,
    IamUserRequest, IntegrationForm, IntegrationRequest, MfaRequest, ProfileChoice,
    ProfilesRequest, SignInWaitRequest, SsoSessionEdit, TextRequest,
};
use crate::model::profile::DEFAULT_PROFILE;
use crate::providers::interaction::is_valid_code;

mod session;
#[cfg_attr(not(windows), allow(unused_imports))]
pub use session::*;

/// The default width of every dialog, in pixels at 96 dpi.
pub const WIDTH: i32 = 420;
/// The width of the forms, whose fields show ARNs.
pub const FORM_WIDTH: i32 = 520;

/// One field's control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// A one-line text field.
    Text {
        /// Its initial text.
        initial: String,
        /// The grey hint shown while it is empty.
        hint: String,
        /// Masked (the secret access key).
        hidden: bool,
    },
    /// Digits only, at most this many (the MFA code), in a large font.
    Code(u32),
    /// A number of seconds, digits only, with the range it must be in.
    Duration {
        /// Its initial value.
        initial: u32,
        /// The range the model accepts.
        range: (u32, u32),
    },
    /// A list to pick from that also takes a typed value (`editable`), or only the list.
    Combo {
        /// The values offered, in order.
        items: Vec<String>,
        /// The initial value.
        initial: String,
        /// Whether another value may be typed.
        editable: bool,
    },
    /// A list shown open, one line per item; its value is the selected line's index.
    List {
        /// The lines.
        items: Vec<String>,
    },
    /// Text that can be selected and copied but not changed (a URL).
    ReadOnly(String),
    /// Text in a large bold font, selectable (a device code).
    Big(String),
    /// A check box, its label as its text; its value is [`CHECKED`] when ticked, else
    /// empty. The fields `enables` lists (indices) are enabled only while it is ticked, and
    /// emptied when it is unticked.
    Check {
        /// Ticked at first.
        initial: bool,
        /// The fields it enables.
        enables: Vec<usize>,
    },
}

/// The value of a ticked [`Control::Check`].
pub const CHECKED: &str = "1";

/// One row of a dialog: a label (`&` marks its access key) and a control. The value of
/// every field is its text, trimmed except for a masked field; a [`Control::List`]'s is the
/// selected index, or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The label; empty for none.
    pub label: String,
    /// The control.
    pub control: Control,
}

impl Field {
    fn new(label: &str, control: Control) -> Field {
        Field {
            label: label.into(),
            control,
        }
    }

    /// Whether the value is the raw text (a secret keeps its spaces).
    pub fn raw(&self) -> bool {
        matches!(self.control, Control::Text { hidden: true, .. })
    }
}

fn text(initial: &str, hint: &str) -> Control {
    Control::Text {
        initial: initial.into(),
        hint: hint.into(),
        hidden: false,
    }
}

fn combo(items: &[String], initial: &str) -> Control {
    Control::Combo {
        items: items.to_vec(),
        initial: initial.into(),
        editable: true,
    }
}

/// What a button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Closes the dialog without an answer (Cancel, Close; also Escape and the close box).
    Cancel,
    /// Answers with the fields' values; enabled only while they pass the check.
    Ok,
    /// A button of its own (the profiles manager's Add…, Rename…, Remove…); `needs_valid`
    /// says whether it is enabled only while the fields pass the check.
    Other {
        /// Which button.
        id: u8,
        /// Enabled only while the fields pass the check.
        needs_valid: bool,
    },
}

/// A button at the bottom right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// Its label.
    pub label: String,
    /// What it does.
    pub action: Action,
}

fn button(label: &str, action: Action) -> Button {
    Button {
        label: label.into(),
        action,
    }
}

/// Which picture beside the heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// None.
    None,
    /// A question.
    Question,
    /// A warning (something will be destroyed).
    Warning,
}

/// The user's answer: the button and the fields' values; `None` when cancelled.
pub type Answer = Option<(Action, Vec<String>)>;

/// Reads the fields' values: `Ok` when they make an answer, else the message to show
/// (empty: nothing to say, the default button simply stays disabled).
pub type Check = Rc<dyn Fn(&[String]) -> Result<(), String>>;

/// A whole dialog.
pub struct Dialog {
    /// The window title.
    pub title: String,
    /// The bold first line(s).
    pub heading: String,
    /// A dim line under it, if any.
    pub note: Option<String>,
    /// The picture beside the heading.
    pub picture: Picture,
    /// The fields, top to bottom.
    pub fields: Vec<Field>,
    /// The buttons, left to right; the [`Action::Ok`] one is the default button.
    pub buttons: Vec<Button>,
    /// Which button has the keyboard focus at first, when not the first field.
    pub focus_button: Option<usize>,
    /// The width in pixels at 96 dpi.
    pub width: i32,
    /// The check run on every change.
    pub check: Check,
    /// What runs with the answer, once.
    pub done: Box<dyn FnOnce(Answer)>,
}

impl Dialog {
    /// The index of the default button, if any.
    pub fn default_button(&self) -> Option<usize> {
        self.buttons.iter().position(|b| b.action == Action::Ok)
    }
}

/// A message as a sentence: its first letter in capitals.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "1 h", "1 h 15 min", "15 min".
pub fn hours(secs: u32) -> String {
    let minutes = secs / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A duration field's value: a number of seconds within `range`.
pub fn duration(value: &str, range: (u32, u32)) -> Result<u32, String> {
    let (lo, hi) = range;
    match value.trim().parse::<u32>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!(
            "The duration is a number of seconds from {lo} ({}) to {hi} ({})",
            hours(lo),
            hours(hi)
        )),
    }
}

/// Makes the dialog of a form that answers a `T`: `read` turns the values into one (or
/// says what is missing), the default button answers it.
fn form<T: 'static>(
    head: (&str, &str, Option<&str>),
    width: i32,
    fields: Vec<Field>,
    ok_label: &str,
    read: impl Fn(&[String]) -> Result<T, String> + 'static,
    done: Box<dyn FnOnce(Option<T>)>,
) -> Dialog {
    let read = Rc::new(read);
    let check_read = read.clone();
    Dialog {
        title: head.0.into(),
        heading: head.1.into(),
        note: head.2.map(String::from),
        picture: Picture::None,
        fields,
        buttons: vec![
            button("Cancel", Action::Cancel),
            button(ok_label, Action::Ok),
        ],
        focus_button: None,
        width,
        check: Rc::new(move |v| check_read(v).map(|_| ())),
        done: Box::new(move |answer| done(answer.and_then(|(_, v)| read(&v).ok()))),
    }
}

/// See [`MfaRequest`]: six digits.
pub fn mfa_code(req: MfaRequest, done: Box<dyn FnOnce(Option<String>)>) -> Dialog {
    let heading = format!("MFA code for session '{}'", req.session);
    let note = format!("Device: {}", req.serial);
    form(
        (titles::MFA, &heading, Some(&note)),
        WIDTH,
        vec![Field::new("&Code from the device:", Control::Code(6))],
        "OK",
        |v| {
            if is_valid_code(&v[0]) {
                Ok(v[0].clone())
            } else {
                // Nothing to say while typing: OK simply waits for the sixth digit.
                Err(String::new())
            }
        },
        done,
    )
}

/// See [`TextRequest`].
pub fn text_dialog(req: TextRequest, done: Box<dyn FnOnce(Option<String>)>) -> Dialog {
    let validate = req.validate;
    form(
        (&req.title, &req.prompt, None),
        WIDTH,
        vec![Field::new("", text(&req.initial, ""))],
        &req.ok_label,
        move |v| validate(&v[0]).map(|()| v[0].clone()),
        done,
    )
}

/// See [`ChoiceRequest`].
pub fn choice(req: ChoiceRequest, done: Box<dyn FnOnce(Option<String>)>) -> Dialog {
    let validate = req.validate;
    let control = Control::Combo {
        items: req.choices,
        initial: req.current,
        editable: req.allow_other,
    };
    form(
        (&req.title, &req.prompt, None),
        WIDTH,
        vec![Field::new("", control)],
        &req.ok_label,
        move |v| {
            if v[0].is_empty() {
                return Err("Choose a value".into());
            }
            validate(&v[0]).map(|()| v[0].clone())
        },
        done,
    )
}

/// See [`ConfirmRequest`]: the message, Cancel and the button that goes ahead (the default).
pub fn confirm(req: ConfirmRequest, done: Box<dyn FnOnce(bool)>) -> Dialog {
    let mut d = form(
        (&req.title, &req.message, None),
        WIDTH,
        Vec::new(),
        &req.ok_label,
        |_| Ok(()),
        Box::new(move |answer: Option<()>| done(answer.is_some())),
    );
    d.picture = if req.destructive {
        Picture::Warning
    } else {
        Picture::Question
    };
    d.focus_button = d.default_button();
    d
}

/// A form's fields, built top to bottom for the toolkit-neutral forms of `rows.rs`: each
/// row is a [`Field`]; the reader is given their values in the same order.
#[derive(Default)]
struct Rows {
    fields: Vec<Field>,
}

/// A row of [`Rows`]: its index in the values, and what reading it needs.
#[derive(Clone)]
struct Row {
    index: usize,
    /// A masked field: its value is the raw text (a secret keeps its spaces).
    masked: bool,
    /// A pick row's choices (id, label): its value is the chosen label.
    choices: Rc<[(Uuid, String)]>,
}

impl Rows {
    fn push(&mut self, label: &str, control: Control) -> Row {
        let masked = matches!(control, Control::Text { hidden: true, .. });
        self.fields
            .push(Field::new(&access_key_marker(label), control));
        Row {
            index: self.fields.len() - 1,
            masked,
            choices: Rc::new([]),
        }
    }
}

/// A label with GTK's access key marker (`_`) as Win32 has it (`&`; a literal `&` doubled).
fn access_key_marker(label: &str) -> String {
    let mut out = String::with_capacity(label.len() + 1);
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&&"),
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
                out.push('_');
            }
            '_' => out.push('&'),
            c => out.push(c),
        }
    }
    out
}

impl FormRows for Rows {
    type Field = Row;
    type Values = [String];

    fn text(&mut self, label: &str, initial: &str, hint: Option<&str>) -> Row {
        self.push(label, text(initial, hint.unwrap_or("")))
    }

    fn combo(&mut self, label: &str, items: &[String], initial: &str) -> Row {
        self.push(label, combo(items, initial))
    }

    fn pick(&mut self, label: &str, items: &[(Uuid, String)], initial: Option<Uuid>) -> Row {
        let labels: Vec<String> = items.iter().map(|(_, l)| l.clone()).collect();
        let initial = initial
            .and_then(|id| items.iter().find(|(c, _)| *c == id))
            .or(items.first())
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        let mut row = self.push(
            label,
            Control::Combo {
                items: labels,
                initial,
                editable: false,
            },
        );
        row.choices = items.into();
        row
    }

    fn duration(&mut self, label: &str, initial: u32, range: (u32, u32)) -> Row {
        self.push(label, Control::Duration { initial, range })
    }

    fn secret(&mut self, label: &str) -> Row {
        self.push(
            label,
            Control::Text {
                initial: String::new(),
                hint: String::new(),
                hidden: true,
            },
        )
    }

    fn check(&mut self, label: &str) -> Row {
        self.push(
            label,
            Control::Check {
                initial: false,
                enables: Vec::new(),
            },
        )
    }

    fn check_with_secrets(&mut self, label: &str, secrets: [&str; 2]) -> (Row, [Row; 2]) {
        let next = self.fields.len();
        let check = self.push(
            label,
            Control::Check {
                initial: false,
                enables: vec![next + 1, next + 2],
            },
        );
        (check, secrets.map(|label| self.secret(label)))
    }

    fn value(values: &[String], row: &Row) -> String {
        let v = values.get(row.index).map(String::as_str).unwrap_or("");
        if row.masked {
            v.to_string()
        } else {
            v.trim().to_string()
        }
    }

    fn picked(values: &[String], row: &Row) -> Option<Uuid> {
        let chosen = Self::value(values, row);
        row.choices
            .iter()
            .find(|(_, l)| *l == chosen)
            .map(|(id, _)| *id)
    }

    fn seconds(values: &[String], row: &Row, range: (u32, u32)) -> Result<u32, String> {
        duration(&Self::value(values, row), range)
    }

    fn ticked(values: &[String], row: &Row) -> bool {
        Self::value(values, row) == CHECKED
    }
}

/// The dialog of a toolkit-neutral form (`rows.rs`) made on `rows`.
fn form_of<T: 'static>(
    rows: Rows,
    (text, read): (FormText, Reader<Rows, T>),
    done: Box<dyn FnOnce(Option<T>)>,
) -> Dialog {
    form(
        (&text.title, &text.heading, Some(&text.note)),
        FORM_WIDTH,
        rows.fields,
        text.ok,
        move |v| read(v),
        done,
    )
}

/// The profiles manager's buttons.
const ADD: u8 = 1;
const RENAME: u8 = 2;
const REMOVE: u8 = 3;

/// See [`ProfilesRequest`]: the list of profiles, with Add…, Rename… and Remove… (these two
/// only for a selected profile other than `default`); each closes the window and answers
/// what to do next.
pub fn named_profiles(
    req: ProfilesRequest,
    done: Box<dyn FnOnce(Option<ProfileChoice>)>,
) -> Dialog {
    let lines = req
        .profiles
        .iter()
        .map(|(name, count)| match count {
            0 => format!("{name}  (no sessions)"),
            1 => format!("{name}  (1 session)"),
            n => format!("{name}  ({n} sessions)"),
        })
        .collect();
    let names: Rc<Vec<String>> = Rc::new(req.profiles.into_iter().map(|(n, _)| n).collect());
    let selected = {
        let names = names.clone();
        move |v: &[String]| {
            v[0].parse::<usize>()
                .ok()
                .and_then(|i| names.get(i).cloned())
        }
    };
    let check_selected = selected.clone();
    Dialog {
        title: titles::PROFILES.into(),
        heading: "Named profiles".into(),
        note: Some(
            "Sessions write their credentials under these profiles in the AWS files.".into(),
        ),
        picture: Picture::None,
        fields: vec![Field::new("", Control::List { items: lines })],
        buttons: vec![
            button(
                "&Add…",
                Action::Other {
                    id: ADD,
                    needs_valid: false,
                },
            ),
            button(
                "Re&name…",
                Action::Other {
                    id: RENAME,
                    needs_valid: true,
                },
            ),
            button(
                "Re&move…",
                Action::Other {
                    id: REMOVE,
                    needs_valid: true,
                },
            ),
            button("Close", Action::Cancel),
        ],
        focus_button: None,
        width: WIDTH,
        check: Rc::new(move |v| match check_selected(v).as_deref() {
            None => Err("Select a profile to rename or remove it.".into()),
            Some(DEFAULT_PROFILE) => {
                Err("The default profile can be neither renamed nor removed.".into())
            }
            Some(_) => Ok(()),
        }),
        done: Box::new(move |answer| {
            done(match answer {
                Some((Action::Other { id: ADD, .. }, _)) => Some(ProfileChoice::Add),
                Some((Action::Other { id, .. }, v)) => selected(&v)
                    .filter(|n| n != DEFAULT_PROFILE)
                    .and_then(|n| match id {
                        RENAME => Some(ProfileChoice::Rename(n)),
                        REMOVE => Some(ProfileChoice::Remove(n)),
                        _ => None,
                    }),
                _ => None,
            })
        }),
    }
}

/// See [`SignInWaitRequest`]: the heading, the code in device mode, the URL (selectable)
/// and Cancel, which has the focus. `cancel` runs when the user cancels.
pub fn sign_in_wait(req: SignInWaitRequest, cancel: Box<dyn FnOnce()>) -> Dialog {
    let mut fields = Vec::new();
    if let Some(code) = &req.code {
        fields.push(Field::new(
            "The page shows this code; check it is the same:",
            Control::Big(code.clone()),
        ));
    }
    fields.push(Field::new(
        "If no browser opened, open this address:",
        Control::ReadOnly(req.url.clone()),
    ));
    Dialog {
        title: titles::SIGN_IN.into(),
        heading: req.heading(),
        note: None,
        picture: Picture::None,
        fields,
        buttons: vec![button("Cancel", Action::Cancel)],
        focus_button: Some(0),
        width: FORM_WIDTH,
        check: Rc::new(|_| Ok(())),
        done: Box::new(move |answer| {
            if answer.is_none() {
                cancel()
            }
        }),
    }
}

/// Whether the dialog's fields are laid out in two columns (labels left), as forms are;
/// a dialog of one field has its label above it.
pub fn two_columns(d: &Dialog) -> bool {
    d.fields.len() > 1
        && d.fields.iter().all(|f| !f.label.is_empty())
        && !d
            .fields
            .iter()
            .any(|f| matches!(f.control, Control::ReadOnly(_) | Control::Big(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn values(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The dialog's answer for the OK button with `v`, through its `done`.
    fn answer_of<T: Clone + 'static>(
        make: impl FnOnce(Box<dyn FnOnce(Option<T>)>) -> Dialog,
        action: Option<Action>,
        v: &[&str],
    ) -> (Dialog, Rc<RefCell<Option<Option<T>>>>) {
        let seen = Rc::new(RefCell::new(None));
        let s = seen.clone();
        let mut d = make(Box::new(move |a| *s.borrow_mut() = Some(a)));
        let done = std::mem::replace(&mut d.done, Box::new(|_| {}));
        done(action.map(|a| (a, values(v))));
        (d, seen)
    }

    #[test]
    fn the_mfa_code_takes_six_digits_and_says_nothing_meanwhile() {
        let req = || MfaRequest {
            session: "a&b".into(),
            serial: "arn:aws:iam::1:mfa/x".into(),
        };
        let d = mfa_code(req(), Box::new(|_| {}));
        assert_eq!(d.title, titles::MFA);
        assert_eq!(d.heading, "MFA code for session 'a&b'");
        assert_eq!(d.fields[0].control, Control::Code(6));
        assert_eq!((d.check)(&values(&["12345"])), Err(String::new()));
        assert_eq!((d.check)(&values(&["12a456"])), Err(String::new()));
        assert_eq!((d.check)(&values(&["123456"])), Ok(()));
        let (_, seen) = answer_of(|done| mfa_code(req(), done), Some(Action::Ok), &["123456"]);
        assert_eq!(*seen.borrow(), Some(Some("123456".to_string())));
        let (_, seen) = answer_of(|done| mfa_code(req(), done), None, &[]);
        assert_eq!(*seen.borrow(), Some(None));
    }

    fn iam_request() -> IamUserRequest {
        IamUserRequest {
            profiles: values(&["default", "dev"]),
            regions: values(&["eu-west-1"]),
            profile: "dev".into(),
            region: "eu-west-1".into(),
            duration_secs: 36_000,
            validate: Box::new(|f| {
                if f.alias == "taken" {
                    Err("a session named 'taken' exists already".into())
                } else {
                    Ok(())
                }
            }),
        }
    }

    #[test]
    fn the_iam_user_form_says_what_is_missing_and_answers_every_field() {
        let d = add_iam_user(iam_request(), Box::new(|_| {}));
        assert!(d.fields[4].raw(), "the secret keeps its spaces");
        assert!(two_columns(&d));
        let full = ["me", "dev", "eu-west-1", "AKIA1", " s e ", "", "3600"];
        assert_eq!((d.check)(&values(&full)), Ok(()));
        let mut v = full;
        v[0] = "";
        assert_eq!((d.check)(&values(&v)), Err("Type an alias".into()));
        v = full;
        v[4] = "";
        assert_eq!(
            (d.check)(&values(&v)),
            Err("Type the secret access key".into())
        );
        v = full;
        v[6] = "60";
        assert!((d.check)(&values(&v))
            .unwrap_err()
            .contains("from 900 (15 min) to 129600 (36 h)"));
        v = full;
        v[0] = "taken";
        assert_eq!(
            (d.check)(&values(&v)),
            Err("a session named 'taken' exists already".into())
        );
        let (_, seen) = answer_of(
            |done| add_iam_user(iam_request(), done),
            Some(Action::Ok),
            &full,
        );
        let form = seen.borrow().clone().unwrap().unwrap();
        assert_eq!(form.secret_access_key, " s e ");
        assert_eq!(form.mfa_serial, None);
        assert_eq!(form.duration_secs, 3600);
        // An answer that no longer passes is no answer.
        let (_, seen) = answer_of(
            |done| add_iam_user(iam_request(), done),
            Some(Action::Ok),
            &["", "dev", "eu-west-1", "AKIA1", "s", "", "3600"],
        );
        assert_eq!(*seen.borrow(), Some(None));
    }

    #[test]
    fn the_chained_role_form_answers_the_parent_by_its_label() {
        let parent = Uuid::from_u128(7);
        let req = || ChainedRoleRequest {
            profiles: values(&["default"]),
            regions: values(&["eu-west-1"]),
            parents: vec![(parent, "me (IAM user)".into())],
            profile: "default".into(),
            region: "eu-west-1".into(),
            role_session_name: "credtray".into(),
            duration_secs: 3600,
            validate: Box::new(|_| Ok(())),
        };
        let d = add_chained_role(req(), Box::new(|_| {}));
        assert_eq!(
            d.fields[1].control,
            Control::Combo {
                items: values(&["me (IAM user)"]),
                initial: "me (IAM user)".into(),
                editable: false
            }
        );
        let full = [
            "admin",
            "me (IAM user)",
            "arn:aws:iam::1:role/A",
            "credtray",
            "",
            "default",
            "eu-west-1",
            "3600",
        ];
        let (_, seen) = answer_of(
            |done| add_chained_role(req(), done),
            Some(Action::Ok),
            &full,
        );
        let form = seen.borrow().clone().unwrap().unwrap();
        assert_eq!(form.parent, parent);
        assert_eq!(form.external_id, None);
        let mut v = full;
        v[1] = "";
        assert!((d.check)(&values(&v))
            .unwrap_err()
            .contains("parent session"));
    }

    #[test]
    fn the_profiles_manager_answers_the_selected_profile_but_never_default() {
        let req = || ProfilesRequest {
            profiles: vec![("default".into(), 2), ("dev".into(), 1)],
        };
        let d = named_profiles(req(), Box::new(|_| {}));
        assert_eq!(
            d.fields[0].control,
            Control::List {
                items: values(&["default  (2 sessions)", "dev  (1 session)"])
            }
        );
        assert!((d.check)(&values(&[""])).is_err());
        assert!((d.check)(&values(&["0"])).unwrap_err().contains("default"));
        assert_eq!((d.check)(&values(&["1"])), Ok(()));
        let rename = d.buttons[1].action;
        let (_, seen) = answer_of(|done| named_profiles(req(), done), Some(rename), &["1"]);
        assert_eq!(
            *seen.borrow(),
            Some(Some(ProfileChoice::Rename("dev".into())))
        );
        let (_, seen) = answer_of(|done| named_profiles(req(), done), Some(rename), &["0"]);
        assert_eq!(*seen.borrow(), Some(None));
        let add = d.buttons[0].action;
        let (_, seen) = answer_of(|done| named_profiles(req(), done), Some(add), &[""]);
        assert_eq!(*seen.borrow(), Some(Some(ProfileChoice::Add)));
    }

    #[test]
    fn confirm_and_sign_in_wait_focus_their_button() {
        let d = confirm(
            ConfirmRequest {
                title: "t".into(),
                message: "Remove 'x'?\n\nIts sessions move.".into(),
                ok_label: "Remove".into(),
                destructive: true,
            },
            Box::new(|_| {}),
        );
        assert_eq!(d.picture, Picture::Warning);
        assert_eq!(d.focus_button, Some(1));
        assert_eq!(d.buttons[1].label, "Remove");
        let d = sign_in_wait(
            SignInWaitRequest {
                alias: "corp".into(),
                url: "https://x/?user_code=A".into(),
                code: Some("A".into()),
            },
            Box::new(|| {}),
        );
        assert_eq!(d.fields.len(), 2);
        assert!(!two_columns(&d));
        assert_eq!(d.focus_button, Some(0));
    }

    fn iam_edit_request() -> EditIamUserRequest {
        EditIamUserRequest {
            current: IamUserEdit {
                alias: "me".into(),
                profile: "dev".into(),
                region: "eu-west-1".into(),
                mfa_serial: None,
                duration_secs: 36_000,
                new_keys: None,
            },
            profiles: values(&["default", "dev"]),
            regions: values(&["eu-west-1", "us-east-1"]),
            validate: Box::new(|_| Ok(())),
        }
    }

    #[test]
    fn the_iam_user_edit_form_saves_changes_only_and_replaces_keys_when_ticked() {
        let d = edit_iam_user(iam_edit_request(), Box::new(|_| {}));
        assert_eq!(d.title, "credtray: edit 'me'");
        assert_eq!(d.buttons[1].label, "Save");
        assert_eq!(
            d.fields[5].control,
            Control::Check {
                initial: false,
                enables: vec![6, 7]
            }
        );
        assert!(
            d.fields[6].raw() && d.fields[7].raw(),
            "both keys are masked"
        );
        assert!(two_columns(&d));
        let shown = ["me", "dev", "eu-west-1", "", "36000", "", "", ""];
        // Nothing changed: nothing to say, Save waits.
        assert_eq!((d.check)(&values(&shown)), Err(String::new()));
        let mut v = shown;
        v[2] = "us-east-1";
        assert_eq!((d.check)(&values(&v)), Ok(()));
        v = shown;
        v[5] = CHECKED;
        assert_eq!(
            (d.check)(&values(&v)),
            Err("Type the new access key ID".into())
        );
        v[6] = "AKIA2";
        assert_eq!(
            (d.check)(&values(&v)),
            Err("Type the new secret access key".into())
        );
        v[7] = " s ";
        let (_, seen) = answer_of(
            |done| edit_iam_user(iam_edit_request(), done),
            Some(Action::Ok),
            &v,
        );
        let form = seen.borrow().clone().unwrap().unwrap();
        let keys = form.new_keys.unwrap();
        assert_eq!(
            (keys.access_key_id.as_str(), keys.secret_access_key.as_str()),
            ("AKIA2", " s ")
        );
        assert_eq!(form.alias, "me");
        // Keys typed while the box is not ticked are no change.
        v[5] = "";
        assert_eq!((d.check)(&values(&v)), Err(String::new()));
    }

    #[test]
    fn the_chained_role_edit_form_shows_its_parent_and_saves_changes_only() {
        let (me, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let req = || EditChainedRoleRequest {
            current: ChainedRoleForm {
                alias: "admin".into(),
                profile: "prod".into(),
                region: "eu-west-1".into(),
                parent: other,
                role_arn: "arn:aws:iam::1:role/A".into(),
                role_session_name: "credtray".into(),
                external_id: Some("x".into()),
                duration_secs: 3600,
            },
            profiles: values(&["default", "prod"]),
            regions: values(&["eu-west-1"]),
            parents: vec![
                (me, "me (IAM user)".into()),
                (other, "other (IAM user)".into()),
            ],
            validate: Box::new(|_| Ok(())),
        };
        let d = edit_chained_role(req(), Box::new(|_| {}));
        let Control::Combo { initial, .. } = &d.fields[1].control else {
            panic!("the parent is a list")
        };
        assert_eq!(initial, "other (IAM user)");
        assert_eq!(
            d.fields[0].control,
            text("admin", ""),
            "no hint in an edit form"
        );
        let shown = [
            "admin",
            "other (IAM user)",
            "arn:aws:iam::1:role/A",
            "credtray",
            "x",
            "prod",
            "eu-west-1",
            "3600",
        ];
        assert_eq!((d.check)(&values(&shown)), Err(String::new()));
        let mut v = shown;
        v[1] = "me (IAM user)";
        v[4] = "";
        let (_, seen) = answer_of(|done| edit_chained_role(req(), done), Some(Action::Ok), &v);
        let form = seen.borrow().clone().unwrap().unwrap();
        assert_eq!((form.parent, form.external_id), (me, None));
    }

    #[test]
    fn the_federated_edit_form_counts_forgetting_the_sign_in_as_a_change() {
        let req = || EditFederatedRoleRequest {
            current: FederatedRoleForm {
                alias: "okta".into(),
                profile: "default".into(),
                region: "us-west-2".into(),
                role_arn: "arn:aws:iam::1:role/A".into(),
                idp_arn: "arn:aws:iam::1:saml-provider/O".into(),
                saml_url: "https://idp/saml".into(),
                duration_secs: 3600,
            },
            profiles: values(&["default"]),
            regions: values(&["us-west-2"]),
            validate: Box::new(|_| Ok(())),
        };
        let d = edit_federated_role(req(), Box::new(|_| {}));
        assert_eq!(d.fields.len(), 8);
        assert!(matches!(d.fields[7].control, Control::Check { .. }));
        let shown = [
            "okta",
            "default",
            "us-west-2",
            "arn:aws:iam::1:role/A",
            "arn:aws:iam::1:saml-provider/O",
            "https://idp/saml",
            "3600",
            "",
        ];
        assert_eq!((d.check)(&values(&shown)), Err(String::new()));
        let mut v = shown;
        v[7] = CHECKED;
        let (_, seen) = answer_of(
            |done| edit_federated_role(req(), done),
            Some(Action::Ok),
            &v,
        );
        let form = seen.borrow().clone().unwrap().unwrap();
        assert!(form.forget_signin);
        assert_eq!(form.role.alias, "okta");
    }

    #[test]
    fn the_sso_edit_form_has_profile_and_region() {
        let req = || EditSsoSessionRequest {
            alias: "acct / Admin".into(),
            about: "Role Admin in account 1 (acct)".into(),
            current: SsoSessionEdit {
                profile: "default".into(),
                region: "eu-west-1".into(),
            },
            profiles: values(&["default", "dev"]),
            regions: values(&["eu-west-1"]),
            validate: Box::new(|_| Ok(())),
        };
        let d = edit_sso_session(req(), Box::new(|_| {}));
        assert_eq!(d.fields.len(), 2);
        assert!(d
            .note
            .as_deref()
            .unwrap()
            .starts_with("Role Admin in account 1 (acct). "));
        assert_eq!(
            (d.check)(&values(&["default", "eu-west-1"])),
            Err(String::new())
        );
        assert_eq!(
            (d.check)(&values(&["", "eu-west-1"])),
            Err("Choose or type a profile".into())
        );
        let (_, seen) = answer_of(
            |done| edit_sso_session(req(), done),
            Some(Action::Ok),
            &["dev", "eu-west-1"],
        );
        assert_eq!(
            seen.borrow().clone().unwrap().unwrap().profile,
            "dev".to_string()
        );
    }

    #[test]
    fn labels_take_the_win32_access_key_marker() {
        assert_eq!(access_key_marker("Re_gion:"), "Re&gion:");
        assert_eq!(access_key_marker("R&D _team"), "R&&D &team");
        assert_eq!(access_key_marker("snake__case"), "snake_case");
        let d = add_integration(
            IntegrationRequest {
                regions: values(&["eu-west-1"]),
                region: "eu-west-1".into(),
                validate: Box::new(|_| Ok(())),
            },
            Box::new(|_| {}),
        );
        let labels: Vec<&str> = d.fields.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(labels, ["&Alias:", "&Start URL:", "&Region:"]);
        assert_eq!(
            (d.check)(&values(&["corp", "", "eu-west-1"])),
            Err("Type the portal's start URL".into())
        );
    }

    #[test]
    fn durations_and_sentences() {
        assert_eq!(duration(" 3600 ", (900, 43_200)), Ok(3600));
        assert!(duration("x", (900, 43_200)).is_err());
        assert_eq!(hours(4500), "1 h 15 min");
        assert_eq!(sentence("type an alias"), "Type an alias");
    }
}

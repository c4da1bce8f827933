//! GTK 3 dialogs (Linux). See mod.rs for the contract.
//!
//! Every dialog is a plain top-level window built, shown and left to the running main loop
//! (no `run()`, no nested loop). One [`Shell`] gives them the same frame: a content area, a
//! line for the validation message, Cancel and the default button on the right. The answer
//! goes through a one-shot slot, so `done` runs exactly once whichever way the window ends
//! (the default button, Cancel, Escape, the window manager's close button, or a destroy).
//!
//! Everything the user typed (aliases, profile names) is shown with `set_text`, never as
//! markup; the secret access key only ever sits in a masked field and in the answer.

use std::cell::RefCell;
use std::rc::Rc;

use gtk::gdk;
use gtk::glib;
use gtk::pango;
use gtk::prelude::*;

use uuid::Uuid;

use super::rows::{self, FormRows, FormText, Reader};
use super::{
    titles, ChainedRoleForm, ChainedRoleRequest, ChoiceRequest, ConfirmRequest,
    EditChainedRoleRequest, EditFederatedRoleRequest, EditIamUserRequest, EditSsoSessionRequest,
    FederatedRoleEdit, FederatedRoleForm, FederatedRoleRequest, IamUserEdit, IamUserForm,
    IamUserRequest, IntegrationForm, IntegrationRequest, MfaRequest, ProfileChoice,
    ProfilesRequest, SignInWaitRequest, SsoSessionEdit, TextRequest,
};
use crate::model::profile::DEFAULT_PROFILE;

/// The default width of every dialog, in pixels.
const WIDTH: i32 = 420;
/// The default width of the forms, whose fields show ARNs.
const FORM_WIDTH: i32 = 520;
/// The window's border, and the gap between the content and the buttons.
const BORDER: u32 = 12;
/// The step of the duration spin buttons, in seconds.
const DURATION_STEP: f64 = 900.0;

// ---------------------------------------------------------------------------------------------
// The shared frame

/// The answer slot: the callback, until the dialog answers.
type Slot<T> = Rc<RefCell<Option<Box<dyn FnOnce(Option<T>)>>>>;

/// A dialog window being built: the content area, the message line, the buttons.
struct Shell<T> {
    window: gtk::Window,
    /// The content, top to bottom.
    body: gtk::Box,
    /// The validation message under the content (empty when valid).
    status: gtk::Label,
    /// The default button, sensitive only while the value is valid.
    ok: gtk::Button,
    /// The Cancel button.
    cancel: gtk::Button,
    slot: Slot<T>,
}

impl<T: 'static> Shell<T> {
    /// A window titled `title` with a Cancel button (labelled `cancel_label`) and, when
    /// `ok_label` is given, a default button next to it on the right.
    fn new(
        title: &str,
        cancel_label: &str,
        ok_label: &str,
        done: Box<dyn FnOnce(Option<T>)>,
    ) -> Self {
        let window = gtk::Window::new(gtk::WindowType::Toplevel);
        window.set_title(title);
        window.set_type_hint(gdk::WindowTypeHint::Dialog);
        window.set_keep_above(true);
        window.set_position(gtk::WindowPosition::Center);
        window.set_default_size(WIDTH, -1);
        window.set_border_width(BORDER);

        let outer = gtk::Box::new(gtk::Orientation::Vertical, 0);
        let body = gtk::Box::new(gtk::Orientation::Vertical, 6);
        body.set_vexpand(true);
        outer.pack_start(&body, true, true, 0);

        let status = gtk::Label::new(None);
        status.set_xalign(0.0);
        status.set_line_wrap(true);
        status.set_max_width_chars(50);
        status.set_margin_top(6);
        status.set_attributes(Some(&attrs(&[
            pango::AttrFloat::new_scale(pango::SCALE_SMALL).into(),
            pango::AttrColor::new_foreground(0xc000, 0x1c00, 0x2800).into(),
        ])));
        outer.pack_start(&status, false, false, 0);

        let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        buttons.set_halign(gtk::Align::End);
        buttons.set_margin_top(BORDER as i32);
        buttons.set_homogeneous(true);
        let cancel = gtk::Button::with_label(cancel_label);
        let ok = gtk::Button::with_label(ok_label);
        ok.style_context().add_class("suggested-action");
        ok.set_can_default(true);
        buttons.pack_start(&cancel, false, true, 0);
        buttons.pack_start(&ok, false, true, 0);
        outer.pack_end(&buttons, false, false, 0);

        window.add(&outer);
        window.set_default(Some(&ok));

        let slot: Slot<T> = Rc::new(RefCell::new(Some(done)));
        let shell = Shell {
            window,
            body,
            status,
            ok,
            cancel: cancel.clone(),
            slot,
        };
        let cancel_shell = shell.handle();
        cancel.connect_clicked(move |_| cancel_shell.answer(None));
        let slot = shell.slot.clone();
        shell.window.connect_delete_event(move |_, _| {
            // The window manager's close button: cancel; GTK destroys the window after.
            take_and_call(&slot, None);
            glib::Propagation::Proceed
        });
        let escape_shell = shell.handle();
        let (keys_ok, keys_title) = (shell.ok.clone(), title.to_string());
        shell.window.connect_key_press_event(move |window, event| {
            use gdk::keys::constants as key;
            let keyval = event.keyval();
            if keyval == key::Escape {
                escape_shell.answer(None);
                return glib::Propagation::Stop;
            }
            let in_field = window
                .focused_widget()
                .and_then(|w| w.downcast::<gtk::Entry>().ok())
                .is_some_and(|e| e.activates_default());
            if [key::Return, key::KP_Enter, key::ISO_Enter].contains(&keyval)
                && in_field
                && !keys_ok.is_sensitive()
            {
                // Enter in a field activates the default button, which is disabled:
                // nothing happens.
                tracing::debug!(dialog = %keys_title, "Enter ignored: the answer is not complete");
            }
            glib::Propagation::Proceed
        });
        let slot = shell.slot.clone();
        shell
            .window
            .connect_destroy(move |_| take_and_call(&slot, None));
        shell
    }

    /// A cheap handle to answer from a signal handler.
    fn handle(&self) -> Answer<T> {
        Answer {
            window: self.window.clone(),
            slot: self.slot.clone(),
        }
    }

    /// Makes `read` the dialog's value: it reads the fields and checks them. Returns the
    /// function to call on every change (and once now) that shows the message and sets the
    /// default button's sensitivity; the default button answers with `read`'s value.
    fn bind(&self, read: impl Fn() -> Result<T, String> + 'static) -> Rc<dyn Fn()> {
        let read = Rc::new(read);
        let refresh: Rc<dyn Fn()> = {
            let read = read.clone();
            let ok = self.ok.clone();
            let status = self.status.clone();
            Rc::new(move || match read() {
                Ok(_) => {
                    ok.set_sensitive(true);
                    status.set_text("");
                }
                Err(message) => {
                    ok.set_sensitive(false);
                    status.set_text(&sentence(&message));
                }
            })
        };
        let answer = self.handle();
        self.ok.connect_clicked(move |_| {
            if let Ok(value) = read() {
                answer.answer(Some(value));
            }
        });
        refresh();
        refresh
    }

    /// Shows the window, raises it and gives `focus` the keyboard focus.
    fn open(&self, focus: &impl IsA<gtk::Widget>) {
        self.window.show_all();
        self.window.present();
        focus.grab_focus();
    }
}

/// Answers a dialog once and destroys its window.
#[derive(Clone)]
struct Answer<T> {
    window: gtk::Window,
    slot: Slot<T>,
}

impl<T> Answer<T> {
    fn answer(&self, value: Option<T>) {
        take_and_call(&self.slot, value);
        // SAFETY: the window is not used after this: the handlers that still hold it only
        // answer through the now empty slot, and GTK disconnects them on destroy.
        unsafe { self.window.destroy() };
    }
}

/// Calls the callback in `slot` with `value`, unless the dialog has already answered.
fn take_and_call<T>(slot: &Slot<T>, value: Option<T>) {
    let done = slot.borrow_mut().take();
    if let Some(done) = done {
        done(value);
    }
}

// ---------------------------------------------------------------------------------------------
// Widgets

fn attrs(list: &[pango::Attribute]) -> pango::AttrList {
    let attrs = pango::AttrList::new();
    for attr in list {
        attrs.insert(attr.clone());
    }
    attrs
}

/// A left-aligned, wrapping label showing `text` as plain text.
fn label(text: &str) -> gtk::Label {
    let label = gtk::Label::new(None);
    label.set_text(text);
    label.set_xalign(0.0);
    label.set_line_wrap(true);
    label.set_line_wrap_mode(pango::WrapMode::WordChar);
    // A wrapping label's minimum width is one word; the window's height would then be
    // computed for that narrow column, leaving a gap at the default width.
    label.set_width_chars(30);
    label.set_max_width_chars(50);
    label
}

/// The bold sentence at the top of a dialog.
fn heading(text: &str) -> gtk::Label {
    let label = label(text);
    label.set_attributes(Some(&attrs(&[pango::AttrInt::new_weight(
        pango::Weight::Bold,
    )
    .into()])));
    label
}

/// A dim, secondary line.
fn dim(text: &str) -> gtk::Label {
    let label = label(text);
    label.style_context().add_class("dim-label");
    label
}

/// A form row's label, with a mnemonic for `field`.
fn field_label(mnemonic: &str, field: &impl IsA<gtk::Widget>) -> gtk::Label {
    let label = gtk::Label::with_mnemonic(mnemonic);
    label.set_xalign(0.0);
    label.set_mnemonic_widget(Some(field));
    label
}

/// A one-line text field; Enter activates the default button.
fn entry(text: &str) -> gtk::Entry {
    let entry = gtk::Entry::new();
    entry.set_text(text);
    entry.set_activates_default(true);
    entry.set_hexpand(true);
    entry
}

/// A combo box of `items` that also takes a typed value, showing `initial`.
fn combo_with_entry(items: &[String], initial: &str) -> gtk::ComboBoxText {
    let combo = gtk::ComboBoxText::with_entry();
    for item in items {
        combo.append_text(item);
    }
    combo.set_hexpand(true);
    if let Some(entry) = combo_entry(&combo) {
        entry.set_text(initial);
        entry.set_activates_default(true);
    }
    // Tab goes from field to field, not to the combo's arrow (the mouse still opens it).
    unfocus_toggles(combo.upcast_ref());
    combo
}

/// Makes the toggle buttons inside `container` (a combo's arrow) skipped by Tab.
fn unfocus_toggles(container: &gtk::Container) {
    container.forall(|child| {
        if child.is::<gtk::ToggleButton>() {
            child.set_can_focus(false);
        } else if let Some(inner) = child.downcast_ref::<gtk::Container>() {
            unfocus_toggles(inner);
        }
    });
}

/// The text field of a combo box made `with_entry`.
fn combo_entry(combo: &gtk::ComboBoxText) -> Option<gtk::Entry> {
    combo
        .child()
        .and_then(|child| child.downcast::<gtk::Entry>().ok())
}

/// Calls `refresh` whenever the combo's value changes, picked or typed.
fn on_combo_change(combo: &gtk::ComboBoxText, refresh: &Rc<dyn Fn()>) {
    let r = refresh.clone();
    combo.connect_changed(move |_| r());
    if let Some(entry) = combo_entry(combo) {
        let r = refresh.clone();
        entry.connect_changed(move |_| r());
    }
}

/// The combo's value, trimmed (empty when nothing is chosen).
fn combo_value(combo: &gtk::ComboBoxText) -> String {
    combo
        .active_text()
        .map(|text| text.trim().to_owned())
        .unwrap_or_default()
}

/// A duration field in seconds within `range`, with a line saying it in hours.
fn duration_field(range: (u32, u32), initial: u32) -> (gtk::SpinButton, gtk::Box) {
    let spin = gtk::SpinButton::with_range(f64::from(range.0), f64::from(range.1), DURATION_STEP);
    spin.set_numeric(true);
    spin.set_activates_default(true);
    spin.set_value(f64::from(initial.clamp(range.0, range.1)));
    spin.set_width_chars(8);
    let human = gtk::Label::new(None);
    human.style_context().add_class("dim-label");
    // Says the typed number in hours as it is typed, before the spin button takes it.
    let update = {
        let human = human.clone();
        move |spin: &gtk::SpinButton| {
            let secs = spin
                .text()
                .trim()
                .parse::<i32>()
                .unwrap_or_else(|_| spin.value_as_int());
            human.set_text(&format!("seconds ({})", hours(secs)));
        }
    };
    update(&spin);
    spin.connect_changed(update);
    let row = gtk::Box::new(gtk::Orientation::Horizontal, 6);
    row.pack_start(&spin, false, false, 0);
    row.pack_start(&human, false, false, 0);
    (spin, row)
}

/// The spin button's value as a duration.
fn duration_value(spin: &gtk::SpinButton) -> u32 {
    u32::try_from(spin.value_as_int()).unwrap_or(0)
}

/// "1 h", "1 h 15 min", "15 min".
fn hours(secs: i32) -> String {
    let minutes = secs.max(0) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A message as a sentence: its first letter in capitals.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A form: two columns, labels on the left, fields filling the right.
fn form_grid() -> gtk::Grid {
    let grid = gtk::Grid::new();
    grid.set_column_spacing(12);
    grid.set_row_spacing(6);
    grid.set_margin_top(6);
    grid
}

/// The text of a field, trimmed.
fn trimmed(entry: &gtk::Entry) -> String {
    entry.text().trim().to_owned()
}

// ---------------------------------------------------------------------------------------------
// The forms' shape

/// Connects a field's change signal to the form's refresh.
type Watch = Box<dyn Fn(&Rc<dyn Fn()>)>;

/// A form being built: labelled rows in a two-column grid (labels on the left, fields
/// filling the right), each field remembering how to say it changed, so that
/// [`FormBuilder::finish`] can bind them all to the dialog's value in one place.
struct FormBuilder {
    grid: gtk::Grid,
    row: i32,
    /// Connects each field's change signal to the form's refresh.
    watch: Vec<Watch>,
    /// The field that gets the focus when the form opens.
    first: Option<gtk::Widget>,
}

impl FormBuilder {
    fn new() -> Self {
        FormBuilder {
            grid: form_grid(),
            row: 0,
            watch: Vec::new(),
            first: None,
        }
    }

    /// Adds a row: `field` under the label `mnemonic`, or alone in the right-hand column.
    fn row(&mut self, mnemonic: Option<&str>, field: &impl IsA<gtk::Widget>, focus: &gtk::Widget) {
        if let Some(m) = mnemonic {
            self.grid.attach(&field_label(m, focus), 0, self.row, 1, 1);
        }
        self.grid.attach(field, 1, self.row, 1, 1);
        self.row += 1;
        if self.first.is_none() {
            self.first = Some(focus.clone());
        }
    }

    /// Puts the form in the dialog, makes `read` its value (checked on every change of
    /// any field), and shows it with the first field focused.
    fn finish<T: 'static>(self, shell: &Shell<T>, read: impl Fn() -> Result<T, String> + 'static) {
        shell.body.add(&self.grid);
        let refresh = shell.bind(read);
        for watch in &self.watch {
            watch(&refresh);
        }
        match &self.first {
            Some(first) => shell.open(first),
            None => shell.open(&shell.ok),
        }
    }
}

/// A row of a [`FormBuilder`] form, as the reader of `rows.rs` finds it again.
#[derive(Clone)]
enum Row {
    /// A text field; `true` when masked (its value is the raw text).
    Entry(gtk::Entry, bool),
    /// A combo box that also takes a typed value.
    Combo(gtk::ComboBoxText),
    /// A choice among ids.
    Pick(gtk::ComboBoxText),
    /// A duration in seconds.
    Duration(gtk::SpinButton),
    /// A check box.
    Check(gtk::CheckButton),
}

impl FormBuilder {
    /// A one-line text field (Enter activates the default button).
    fn entry(&mut self, mnemonic: &str, initial: &str, placeholder: Option<&str>) -> gtk::Entry {
        let field = entry(initial);
        field.set_placeholder_text(placeholder);
        self.row(Some(mnemonic), &field, field.upcast_ref());
        let f = field.clone();
        self.watch.push(Box::new(move |r| {
            let r = r.clone();
            f.connect_changed(move |_| r());
        }));
        field
    }

    /// A masked text field (a secret: never shown, never copied).
    fn masked(&mut self, mnemonic: &str) -> gtk::Entry {
        let field = self.entry(mnemonic, "", None);
        field.set_visibility(false);
        field.set_input_purpose(gtk::InputPurpose::Password);
        field
    }

    /// A check box in the right-hand column.
    fn check_box(&mut self, mnemonic: &str) -> gtk::CheckButton {
        let check = gtk::CheckButton::with_mnemonic(mnemonic);
        self.row(None, &check, check.upcast_ref());
        let c = check.clone();
        self.watch.push(Box::new(move |r| {
            let r = r.clone();
            c.connect_toggled(move |_| r());
        }));
        check
    }
}

impl FormRows for FormBuilder {
    type Field = Row;
    type Values = ();

    fn text(&mut self, label: &str, initial: &str, hint: Option<&str>) -> Row {
        Row::Entry(self.entry(label, initial, hint), false)
    }

    fn combo(&mut self, label: &str, items: &[String], initial: &str) -> Row {
        let combo = combo_with_entry(items, initial);
        let focus: gtk::Widget = match combo_entry(&combo) {
            Some(e) => e.upcast(),
            None => combo.clone().upcast(),
        };
        self.row(Some(label), &combo, &focus);
        let c = combo.clone();
        self.watch.push(Box::new(move |r| on_combo_change(&c, r)));
        Row::Combo(combo)
    }

    fn pick(&mut self, label: &str, items: &[(Uuid, String)], initial: Option<Uuid>) -> Row {
        let combo = gtk::ComboBoxText::new();
        for (id, text) in items {
            combo.append(Some(&id.to_string()), text);
        }
        combo.set_hexpand(true);
        let chosen = initial.is_some_and(|id| combo.set_active_id(Some(&id.to_string())));
        if !chosen && !items.is_empty() {
            combo.set_active(Some(0));
        }
        self.row(Some(label), &combo, combo.upcast_ref());
        let c = combo.clone();
        self.watch.push(Box::new(move |r| {
            let r = r.clone();
            c.connect_changed(move |_| r());
        }));
        Row::Pick(combo)
    }

    fn duration(&mut self, label: &str, initial: u32, range: (u32, u32)) -> Row {
        let (spin, row) = duration_field(range, initial);
        self.row(Some(label), &row, spin.upcast_ref());
        let s = spin.clone();
        self.watch.push(Box::new(move |r| {
            let r = r.clone();
            s.connect_value_changed(move |_| r());
        }));
        Row::Duration(spin)
    }

    fn secret(&mut self, label: &str) -> Row {
        Row::Entry(self.masked(label), true)
    }

    fn check(&mut self, label: &str) -> Row {
        Row::Check(self.check_box(label))
    }

    fn check_with_secrets(&mut self, label: &str, secrets: [&str; 2]) -> (Row, [Row; 2]) {
        let check = self.check_box(label);
        let fields = secrets.map(|label| self.masked(label));
        for field in &fields {
            field.set_sensitive(false);
        }
        let governed = fields.clone();
        check.connect_toggled(move |check| {
            let on = check.is_active();
            for field in &governed {
                field.set_sensitive(on);
                if !on {
                    field.set_text("");
                }
            }
        });
        (Row::Check(check), fields.map(|f| Row::Entry(f, true)))
    }

    fn value((): &(), row: &Row) -> String {
        match row {
            Row::Entry(entry, true) => entry.text().to_string(),
            Row::Entry(entry, false) => trimmed(entry),
            Row::Combo(combo) | Row::Pick(combo) => combo_value(combo),
            Row::Duration(spin) => duration_value(spin).to_string(),
            Row::Check(check) => check.is_active().to_string(),
        }
    }

    fn picked((): &(), row: &Row) -> Option<Uuid> {
        match row {
            Row::Pick(combo) => picked(combo),
            _ => None,
        }
    }

    fn seconds((): &(), row: &Row, _range: (u32, u32)) -> Result<u32, String> {
        // The spin button keeps its value within the range.
        match row {
            Row::Duration(spin) => Ok(duration_value(spin)),
            _ => Err("not a duration".into()),
        }
    }

    fn ticked((): &(), row: &Row) -> bool {
        matches!(row, Row::Check(check) if check.is_active())
    }
}

/// Shows the toolkit-neutral form (`rows.rs`) made on `form`.
fn show_form<T: 'static>(
    form: FormBuilder,
    (text, read): (FormText, Reader<FormBuilder, T>),
    done: Box<dyn FnOnce(Option<T>)>,
) {
    let shell = form_shell(&text.title, text.ok, &text.heading, &text.note, done);
    form.finish(&shell, move || read(&()));
}

/// A form dialog: its frame, a bold heading and a dim line under it.
fn form_shell<T: 'static>(
    title: &str,
    ok_label: &str,
    heading_text: &str,
    dim_text: &str,
    done: Box<dyn FnOnce(Option<T>)>,
) -> Shell<T> {
    let shell = Shell::new(title, "Cancel", ok_label, done);
    shell.window.set_default_size(FORM_WIDTH, -1);
    shell.body.add(&heading(heading_text));
    shell.body.add(&dim(dim_text));
    shell
}

/// The id chosen in a pick row (`FormRows::pick`).
fn picked(combo: &gtk::ComboBoxText) -> Option<Uuid> {
    combo.active_id().and_then(|id| Uuid::parse_str(&id).ok())
}

// ---------------------------------------------------------------------------------------------
// The dialogs

/// See [`MfaRequest`]: a 6-digit field that takes digits only.
pub fn mfa_code(req: MfaRequest, done: Box<dyn FnOnce(Option<String>)>) {
    let shell = Shell::new(titles::MFA, "Cancel", "OK", done);
    shell.window.set_icon_name(Some("dialog-password"));
    shell
        .body
        .add(&heading(&format!("MFA code for session '{}'", req.session)));
    let device = dim(&format!("Device: {}", req.serial));
    device.set_line_wrap(false);
    device.set_ellipsize(pango::EllipsizeMode::Middle);
    device.set_tooltip_text(Some(&req.serial));
    shell.body.add(&device);

    let code = entry("");
    code.set_max_length(6);
    code.set_width_chars(8);
    code.set_input_purpose(gtk::InputPurpose::Digits);
    code.set_hexpand(false);
    code.set_halign(gtk::Align::Start);
    code.set_margin_top(6);
    // The font through CSS, not Pango attributes: `width_chars` then measures in it.
    let css = gtk::CssProvider::new();
    if css
        .load_from_data(b"entry { font-family: monospace; font-size: 140%; letter-spacing: 2px; }")
        .is_ok()
    {
        code.style_context()
            .add_provider(&css, gtk::STYLE_PROVIDER_PRIORITY_APPLICATION);
    }
    // Digits only: anything else typed or pasted is dropped, the digits in it kept.
    code.connect_insert_text(|code, text, position| {
        if text.chars().all(|c| c.is_ascii_digit()) {
            return;
        }
        code.stop_signal_emission_by_name("insert-text");
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            code.insert_text(&digits, position);
        }
    });
    let label = field_label("_Code from the device:", &code);
    label.set_margin_top(6);
    shell.body.add(&label);
    shell.body.add(&code);

    let field = code.clone();
    let refresh = shell.bind(move || {
        let text = field.text();
        if text.len() == 6 && text.chars().all(|c| c.is_ascii_digit()) {
            Ok(text.to_string())
        } else {
            // Nothing to say while typing: OK simply waits for the sixth digit.
            Err(String::new())
        }
    });
    code.connect_changed(move |_| refresh());
    shell.open(&code);
}

/// See [`TextRequest`].
pub fn text(req: TextRequest, done: Box<dyn FnOnce(Option<String>)>) {
    let shell = Shell::new(&req.title, "Cancel", &req.ok_label, done);
    let field = entry(&req.initial);
    let prompt = heading(&req.prompt);
    shell.body.add(&prompt);
    field.set_margin_top(6);
    shell.body.add(&field);

    let validate = req.validate;
    let read_field = field.clone();
    let refresh = shell.bind(move || {
        let value = trimmed(&read_field);
        validate(&value).map(|()| value)
    });
    field.connect_changed(move |_| refresh());
    shell.open(&field);
    field.select_region(0, -1);
}

/// See [`ChoiceRequest`].
pub fn choice(req: ChoiceRequest, done: Box<dyn FnOnce(Option<String>)>) {
    let shell = Shell::new(&req.title, "Cancel", &req.ok_label, done);
    shell.body.add(&heading(&req.prompt));
    let combo = if req.allow_other {
        combo_with_entry(&req.choices, &req.current)
    } else {
        let combo = gtk::ComboBoxText::new();
        for item in &req.choices {
            combo.append_text(item);
        }
        combo.set_hexpand(true);
        combo
    };
    if let Some(index) = req.choices.iter().position(|c| *c == req.current) {
        combo.set_active(u32::try_from(index).ok());
    }
    combo.set_margin_top(6);
    shell.body.add(&combo);

    let validate = req.validate;
    let read_combo = combo.clone();
    let refresh = shell.bind(move || {
        let value = combo_value(&read_combo);
        if value.is_empty() {
            return Err("Choose a value".into());
        }
        validate(&value).map(|()| value)
    });
    on_combo_change(&combo, &refresh);
    match combo_entry(&combo) {
        Some(entry) => {
            shell.open(&entry);
            entry.select_region(0, -1);
        }
        None => shell.open(&combo),
    }
}

/// See [`ConfirmRequest`].
pub fn confirm(req: ConfirmRequest, done: Box<dyn FnOnce(bool)>) {
    let done: Box<dyn FnOnce(Option<()>)> = Box::new(move |answer| done(answer.is_some()));
    let shell = Shell::new(&req.title, "Cancel", &req.ok_label, done);
    if req.destructive {
        let style = shell.ok.style_context();
        style.remove_class("suggested-action");
        style.add_class("destructive-action");
    }
    let row = gtk::Box::new(gtk::Orientation::Horizontal, 12);
    let icon = if req.destructive {
        "dialog-warning"
    } else {
        "dialog-question"
    };
    let image = gtk::Image::from_icon_name(Some(icon), gtk::IconSize::Dialog);
    image.set_valign(gtk::Align::Start);
    row.pack_start(&image, false, false, 0);
    let message = heading(&req.message);
    message.set_hexpand(true);
    message.set_valign(gtk::Align::Center);
    row.pack_start(&message, true, true, 0);
    shell.body.add(&row);
    shell.status.set_no_show_all(true);
    shell.bind(|| Ok(()));
    let ok = shell.ok.clone();
    shell.open(&ok);
}

/// See [`IamUserRequest`]. The secret access key is typed into a masked field.
pub fn add_iam_user(req: IamUserRequest, done: Box<dyn FnOnce(Option<IamUserForm>)>) {
    let mut form = FormBuilder::new();
    let made = rows::add_iam_user(&mut form, req);
    show_form(form, made, done);
}

/// See [`ChainedRoleRequest`].
pub fn add_chained_role(req: ChainedRoleRequest, done: Box<dyn FnOnce(Option<ChainedRoleForm>)>) {
    let mut form = FormBuilder::new();
    let made = rows::add_chained_role(&mut form, req);
    show_form(form, made, done);
}

/// See [`FederatedRoleRequest`].
pub fn add_federated_role(
    req: FederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleForm>)>,
) {
    let mut form = FormBuilder::new();
    let made = rows::add_federated_role(&mut form, req);
    show_form(form, made, done);
}

/// See [`EditIamUserRequest`]: the session's fields, and "Replace access keys", which
/// enables two masked fields for the new pair (the old keys are never shown).
pub fn edit_iam_user(req: EditIamUserRequest, done: Box<dyn FnOnce(Option<IamUserEdit>)>) {
    let mut form = FormBuilder::new();
    let made = rows::edit_iam_user(&mut form, req);
    show_form(form, made, done);
}

/// See [`EditChainedRoleRequest`]: the chained role form, filled with the session's
/// fields; the parents offered are those that make no cycle.
pub fn edit_chained_role(
    req: EditChainedRoleRequest,
    done: Box<dyn FnOnce(Option<ChainedRoleForm>)>,
) {
    let mut form = FormBuilder::new();
    let made = rows::edit_chained_role(&mut form, req);
    show_form(form, made, done);
}

/// See [`EditFederatedRoleRequest`]: the federated role form, filled with the session's
/// fields, and "Forget the remembered sign-in".
pub fn edit_federated_role(
    req: EditFederatedRoleRequest,
    done: Box<dyn FnOnce(Option<FederatedRoleEdit>)>,
) {
    let mut form = FormBuilder::new();
    let made = rows::edit_federated_role(&mut form, req);
    show_form(form, made, done);
}

/// See [`EditSsoSessionRequest`]: profile and region only (the rest follows the portal).
pub fn edit_sso_session(req: EditSsoSessionRequest, done: Box<dyn FnOnce(Option<SsoSessionEdit>)>) {
    let mut form = FormBuilder::new();
    let made = rows::edit_sso_session(&mut form, req);
    show_form(form, made, done);
}

/// See [`ProfilesRequest`]: the list of profiles, with Add…, Rename… and Remove…; each of
/// these closes the window and answers what to do next.
pub fn named_profiles(req: ProfilesRequest, done: Box<dyn FnOnce(Option<ProfileChoice>)>) {
    let shell = Shell::new(titles::PROFILES, "Close", "Close", done);
    // No default button here: the frame's second button is not used.
    shell.ok.set_no_show_all(true);
    shell.ok.set_can_default(false);
    shell.window.set_default(None::<&gtk::Widget>);
    shell.status.set_no_show_all(true);

    shell.body.add(&heading("Named profiles"));
    shell.body.add(&dim(
        "Sessions write their credentials under these profiles in the AWS files.",
    ));

    // A tree view, not a list box: one stop for Tab, arrows to move in it.
    let store = gtk::ListStore::new(&[glib::Type::STRING, glib::Type::STRING]);
    for (name, count) in &req.profiles {
        let sessions = match count {
            0 => "no sessions".to_owned(),
            1 => "1 session".to_owned(),
            n => format!("{n} sessions"),
        };
        store.insert_with_values(None, &[(0, name), (1, &sessions)]);
    }
    let list = gtk::TreeView::with_model(&store);
    list.set_headers_visible(false);
    list.set_enable_search(false);
    let name_cell = gtk::CellRendererText::new();
    name_cell.set_ellipsize(pango::EllipsizeMode::End);
    name_cell.set_padding(6, 6);
    let name_column = gtk::TreeViewColumn::new();
    name_column.set_expand(true);
    TreeViewColumnExt::pack_start(&name_column, &name_cell, true);
    TreeViewColumnExt::add_attribute(&name_column, &name_cell, "text", 0);
    list.append_column(&name_column);
    let count_cell = gtk::CellRendererText::new();
    count_cell.set_xalign(1.0);
    count_cell.set_padding(6, 6);
    // Dim, in any theme: the text's own colour at 55 %.
    count_cell.set_attributes(Some(&attrs(&[pango::AttrInt::new_foreground_alpha(
        36_000,
    )
    .into()])));
    let count_column = gtk::TreeViewColumn::new();
    TreeViewColumnExt::pack_start(&count_column, &count_cell, false);
    TreeViewColumnExt::add_attribute(&count_column, &count_cell, "text", 1);
    list.append_column(&count_column);
    let scrolled = gtk::ScrolledWindow::new(None::<&gtk::Adjustment>, None::<&gtk::Adjustment>);
    scrolled.set_policy(gtk::PolicyType::Never, gtk::PolicyType::Automatic);
    scrolled.set_shadow_type(gtk::ShadowType::In);
    scrolled.set_min_content_height(180);
    scrolled.set_max_content_height(320);
    scrolled.set_propagate_natural_height(true);
    scrolled.set_vexpand(true);
    scrolled.set_margin_top(6);
    scrolled.add(&list);
    shell.body.pack_start(&scrolled, true, true, 0);

    let actions = gtk::Box::new(gtk::Orientation::Horizontal, 6);
    let add = gtk::Button::with_label("Add…");
    let rename = gtk::Button::with_label("Rename…");
    let remove = gtk::Button::with_label("Remove…");
    for button in [&add, &rename, &remove] {
        actions.pack_start(button, false, false, 0);
    }
    actions.set_margin_top(6);
    shell.body.add(&actions);
    let hint = dim("");
    shell.body.add(&hint);

    let selected = {
        let list = list.clone();
        move || {
            list.selection()
                .selected()
                .and_then(|(model, iter)| model.value(&iter, 0).get::<String>().ok())
        }
    };
    let update = {
        let rename = rename.clone();
        let remove = remove.clone();
        let selected = selected.clone();
        move || {
            let name = selected();
            let editable = name.as_deref().is_some_and(|n| n != DEFAULT_PROFILE);
            rename.set_sensitive(editable);
            remove.set_sensitive(editable);
            hint.set_text(match name.as_deref() {
                None => "Select a profile to rename or remove it.",
                Some(DEFAULT_PROFILE) => "The default profile can be neither renamed nor removed.",
                Some(_) => "",
            });
        }
    };
    update();
    list.selection().connect_changed(move |_| update());

    let answer = shell.handle();
    add.connect_clicked(move |_| answer.answer(Some(ProfileChoice::Add)));
    for (button, make) in [
        (
            &rename,
            ProfileChoice::Rename as fn(String) -> ProfileChoice,
        ),
        (
            &remove,
            ProfileChoice::Remove as fn(String) -> ProfileChoice,
        ),
    ] {
        let answer = shell.handle();
        let selected = selected.clone();
        button.connect_clicked(move |_| {
            if let Some(name) = selected().filter(|n| n != DEFAULT_PROFILE) {
                answer.answer(Some(make(name)));
            }
        });
    }
    shell.open(&list);
}

/// See [`IntegrationRequest`].
pub fn add_integration(req: IntegrationRequest, done: Box<dyn FnOnce(Option<IntegrationForm>)>) {
    let mut form = FormBuilder::new();
    let made = rows::add_integration(&mut form, req);
    show_form(form, made, done);
}

/// A sign-in wait on screen; [`Waiting::close`] takes it down.
pub struct Waiting {
    window: gtk::Window,
    slot: Slot<()>,
}

impl Waiting {
    /// Takes the window down without answering: the sign-in is over.
    pub fn close(self) {
        self.slot.borrow_mut().take();
        // SAFETY: as in `Answer::answer`: the handlers left only see the empty slot.
        unsafe { self.window.destroy() };
    }
}

/// See [`SignInWaitRequest`]: a small window with the URL (selectable) and, in device mode,
/// the code, and Cancel. `cancel` runs when the user cancels (Cancel, Escape, the close
/// box); not when [`Waiting::close`] takes the window down.
pub fn sign_in_wait(req: SignInWaitRequest, cancel: Box<dyn FnOnce()>) -> Waiting {
    let done: Box<dyn FnOnce(Option<()>)> = Box::new(move |answer| {
        if answer.is_none() {
            cancel()
        }
    });
    let shell = Shell::new(titles::SIGN_IN, "Cancel", "", done);
    shell.window.set_icon_name(Some("dialog-password"));
    shell.window.set_default_size(FORM_WIDTH, -1);
    shell.ok.set_no_show_all(true);
    shell.status.set_no_show_all(true);

    let row = gtk::Box::new(gtk::Orientation::Horizontal, 12);
    let spinner = gtk::Spinner::new();
    spinner.start();
    spinner.set_valign(gtk::Align::Start);
    row.pack_start(&spinner, false, false, 0);
    let title = heading(&req.heading());
    title.set_hexpand(true);
    row.pack_start(&title, true, true, 0);
    shell.body.add(&row);

    if let Some(code) = &req.code {
        let what = dim("The page shows this code; check it is the same:");
        what.set_margin_top(6);
        shell.body.add(&what);
        let code_label = gtk::Label::new(None);
        code_label.set_text(code);
        code_label.set_selectable(true);
        code_label.set_can_focus(false);
        code_label.set_xalign(0.0);
        code_label.set_attributes(Some(&attrs(&[
            pango::AttrFloat::new_scale(1.6).into(),
            pango::AttrInt::new_weight(pango::Weight::Bold).into(),
            pango::AttrString::new_family("monospace").into(),
        ])));
        shell.body.add(&code_label);
    }
    let hint = dim("If no browser opened, open this address:");
    hint.set_margin_top(6);
    shell.body.add(&hint);
    let url = label(&req.url);
    url.set_selectable(true);
    url.set_can_focus(false);
    // The whole URL, wrapped anywhere, so that all of it can be selected and copied.
    url.set_line_wrap_mode(pango::WrapMode::Char);
    url.set_max_width_chars(70);
    shell.body.add(&url);

    let waiting = Waiting {
        window: shell.window.clone(),
        slot: shell.slot.clone(),
    };
    let cancel_button = shell.cancel.clone();
    shell.window.set_default(Some(&cancel_button));
    shell.open(&cancel_button);
    waiting
}

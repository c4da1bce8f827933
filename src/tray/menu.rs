//! The tray menu as a pure function of the state.
//!
//! [`build`] lays out a lean menu: one submenu per named profile (in `state.profiles`
//! order, profiles without sessions included) holding one check item per session
//! (`alias · kind · region`, checked when active; a click starts or stops it) — and, for a
//! session that needs the user, a "Renew … now…" item after it; then "Sessions…" (the
//! window where every other action on a session lives); then the IAM Identity Center
//! integrations (when there are any: an "Integrations" heading and one submenu per
//! integration, titled with its alias and status — or the progress of a sign-in or sync
//! the UI has under way — holding Sign in… or Sign out, Sync now and Remove…), then the
//! add actions, `Start at login` and `Quit`. It also chooses the icon and the tooltip.
//!
//! A profile holding more than [`PAGE`] sessions lists its active ones first, shows the
//! first [`PAGE`] directly and the rest in `More…` submenus of at most [`PAGE`] sessions
//! each, placed side by side at the end of the profile's submenu (labelled with the range
//! they hold), so that no level of the menu grows past a hundred or so entries and every
//! session is two clicks from its profile whatever the count.
//!
//! Every clickable entry carries an [`ItemId`], so the renderer can map a click back to
//! a session or an action; [`ItemId::key`] and [`ItemId::parse`] give it a string form
//! for toolkits whose menu ids are strings (such as `muda`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{Integration, Session, State, Status};

/// The most sessions shown at one level of a profile's submenu.
pub const PAGE: usize = 50;

/// The mark put before the name of a profile that has an active session.
pub const ACTIVE_MARK: &str = "● ";

/// The mark put before the "Renew … now…" item of a session that needs the user.
pub const ATTENTION_MARK: &str = "⚠ ";

/// Stable identity of a menu entry, so the renderer can map clicks back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemId {
    /// The session's check item: start it when stopped, stop it when active.
    ToggleSession(Uuid),
    /// Renew a session that needs the user now (asks for an MFA code if needed).
    Renew(Uuid),
    /// Edit… the session (where the menu holds the session's actions: see
    /// [`MenuInputs::session_actions`]).
    Edit(Uuid),
    /// Change profile… of the session (see [`MenuInputs::session_actions`]).
    ChangeProfile(Uuid),
    /// Change region… of the session (see [`MenuInputs::session_actions`]).
    ChangeRegion(Uuid),
    /// Create chained session… below the session (see [`MenuInputs::session_actions`]).
    CreateChained(Uuid),
    /// Test credentials of the session (see [`MenuInputs::session_actions`]).
    TestSession(Uuid),
    /// Remove… the session (see [`MenuInputs::session_actions`]).
    RemoveSession(Uuid),
    /// Open the Sessions window.
    Sessions,
    /// Add an `iam-user` session (opens a dialog).
    AddIamUser,
    /// Add an `iam-role-chained` session (opens a dialog).
    AddChainedRole,
    /// Add an `iam-role-federated` session (opens a form).
    AddFederatedRole,
    /// Add, rename or remove named profiles (opens a dialog).
    NamedProfiles,
    /// The `Start at login` check item.
    StartAtLogin,
    /// Stop every active session and exit.
    Quit,
    /// The disabled "No sessions" placeholder of the n-th profile submenu (0-based).
    NoSessions(usize),
    /// The disabled "Integrations" heading.
    IntegrationsHeading,
    /// Sign in to the integration in the browser (then sync it).
    SignIn(Uuid),
    /// Sign out of the integration (its sessions stop).
    SignOut(Uuid),
    /// List the integration's accounts and roles again.
    SyncIntegration(Uuid),
    /// Remove the integration and its sessions (after a confirmation).
    RemoveIntegration(Uuid),
    /// Add an IAM Identity Center integration (opens a form).
    AddIntegration,
}

impl ItemId {
    /// A string form of the id, unique per entry, for toolkits with string menu ids.
    /// [`ItemId::parse`] reverses it.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// Parses a string made by [`ItemId::key`]; `None` for anything else.
    pub fn parse(key: &str) -> Option<ItemId> {
        let simple = match key {
            "sessions" => Some(ItemId::Sessions),
            "add-iam-user" => Some(ItemId::AddIamUser),
            "add-chained-role" => Some(ItemId::AddChainedRole),
            "add-federated-role" => Some(ItemId::AddFederatedRole),
            "named-profiles" => Some(ItemId::NamedProfiles),
            "start-at-login" => Some(ItemId::StartAtLogin),
            "quit" => Some(ItemId::Quit),
            "integrations" => Some(ItemId::IntegrationsHeading),
            "add-integration" => Some(ItemId::AddIntegration),
            _ => None,
        };
        if simple.is_some() {
            return simple;
        }
        let (what, arg) = key.split_once(':')?;
        if what == "no-sessions" {
            return arg.parse().ok().map(ItemId::NoSessions);
        }
        let id = Uuid::parse_str(arg).ok()?;
        match what {
            "toggle" => Some(ItemId::ToggleSession(id)),
            "renew" => Some(ItemId::Renew(id)),
            "edit" => Some(ItemId::Edit(id)),
            "change-profile" => Some(ItemId::ChangeProfile(id)),
            "change-region" => Some(ItemId::ChangeRegion(id)),
            "create-chained" => Some(ItemId::CreateChained(id)),
            "test" => Some(ItemId::TestSession(id)),
            "remove" => Some(ItemId::RemoveSession(id)),
            "sign-in" => Some(ItemId::SignIn(id)),
            "sign-out" => Some(ItemId::SignOut(id)),
            "sync" => Some(ItemId::SyncIntegration(id)),
            "remove-integration" => Some(ItemId::RemoveIntegration(id)),
            _ => None,
        }
    }

    /// The session this entry acts on, if any.
    pub fn session(&self) -> Option<Uuid> {
        match *self {
            ItemId::ToggleSession(id)
            | ItemId::Renew(id)
            | ItemId::Edit(id)
            | ItemId::ChangeProfile(id)
            | ItemId::ChangeRegion(id)
            | ItemId::CreateChained(id)
            | ItemId::TestSession(id)
            | ItemId::RemoveSession(id) => Some(id),
            _ => None,
        }
    }

    /// The integration this entry acts on, if any.
    pub fn integration(&self) -> Option<Uuid> {
        match *self {
            ItemId::SignIn(id)
            | ItemId::SignOut(id)
            | ItemId::SyncIntegration(id)
            | ItemId::RemoveIntegration(id) => Some(id),
            _ => None,
        }
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemId::ToggleSession(id) => write!(f, "toggle:{id}"),
            ItemId::Renew(id) => write!(f, "renew:{id}"),
            ItemId::Edit(id) => write!(f, "edit:{id}"),
            ItemId::ChangeProfile(id) => write!(f, "change-profile:{id}"),
            ItemId::ChangeRegion(id) => write!(f, "change-region:{id}"),
            ItemId::CreateChained(id) => write!(f, "create-chained:{id}"),
            ItemId::TestSession(id) => write!(f, "test:{id}"),
            ItemId::RemoveSession(id) => write!(f, "remove:{id}"),
            ItemId::Sessions => f.write_str("sessions"),
            ItemId::AddIamUser => f.write_str("add-iam-user"),
            ItemId::AddChainedRole => f.write_str("add-chained-role"),
            ItemId::AddFederatedRole => f.write_str("add-federated-role"),
            ItemId::NamedProfiles => f.write_str("named-profiles"),
            ItemId::StartAtLogin => f.write_str("start-at-login"),
            ItemId::Quit => f.write_str("quit"),
            ItemId::NoSessions(n) => write!(f, "no-sessions:{n}"),
            ItemId::IntegrationsHeading => f.write_str("integrations"),
            ItemId::SignIn(id) => write!(f, "sign-in:{id}"),
            ItemId::SignOut(id) => write!(f, "sign-out:{id}"),
            ItemId::SyncIntegration(id) => write!(f, "sync:{id}"),
            ItemId::RemoveIntegration(id) => write!(f, "remove-integration:{id}"),
            ItemId::AddIntegration => f.write_str("add-integration"),
        }
    }
}

/// One entry of the menu tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A submenu.
    Submenu {
        /// Its label.
        label: String,
        /// Its entries, in order.
        children: Vec<Entry>,
    },
    /// A check item.
    Check {
        /// What a click means.
        id: ItemId,
        /// Its label.
        label: String,
        /// Whether it is checked.
        checked: bool,
        /// Whether it can be clicked.
        enabled: bool,
    },
    /// A plain item.
    Item {
        /// What a click means.
        id: ItemId,
        /// Its label.
        label: String,
        /// Whether it can be clicked.
        enabled: bool,
    },
    /// A separator line.
    Separator,
}

impl Entry {
    /// The entry's label (`""` for a separator).
    pub fn label(&self) -> &str {
        match self {
            Entry::Submenu { label, .. }
            | Entry::Check { label, .. }
            | Entry::Item { label, .. } => label,
            Entry::Separator => "",
        }
    }

    /// The entry's id, for check items and plain items.
    pub fn id(&self) -> Option<ItemId> {
        match self {
            Entry::Check { id, .. } | Entry::Item { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The entries of a submenu (empty for anything else).
    pub fn children(&self) -> &[Entry] {
        match self {
            Entry::Submenu { children, .. } => children,
            _ => &[],
        }
    }
}

/// Which tray icon to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconState {
    /// No session is active.
    Idle,
    /// At least one session is active.
    Active,
    /// Some session needs the user (an MFA code, a failed rotation, …).
    Attention,
}

/// The whole menu, with the icon and the tooltip that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    /// The top-level entries, in order.
    pub entries: Vec<Entry>,
    /// The icon.
    pub icon: IconState,
    /// The tooltip.
    pub tooltip: String,
}

impl Menu {
    /// The first entry (depth first, in menu order) with this id.
    pub fn find(&self, id: &ItemId) -> Option<&Entry> {
        fn walk<'a>(entries: &'a [Entry], id: &ItemId) -> Option<&'a Entry> {
            for e in entries {
                if e.id().as_ref() == Some(id) {
                    return Some(e);
                }
                if let Some(found) = walk(e.children(), id) {
                    return Some(found);
                }
            }
            None
        }
        walk(&self.entries, id)
    }

    /// The number of clickable entries (check items and plain items, enabled or not) at
    /// every depth; submenus and separators are not counted.
    pub fn count_items(&self) -> usize {
        fn walk(entries: &[Entry]) -> usize {
            entries
                .iter()
                .map(|e| match e {
                    Entry::Submenu { children, .. } => walk(children),
                    Entry::Check { .. } | Entry::Item { .. } => 1,
                    Entry::Separator => 0,
                })
                .sum()
        }
        walk(&self.entries)
    }
}

/// What the UI has under way for an integration (not in the state: it lives as long as the
/// action does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Signing in (the browser or the device code waits for the user).
    SigningIn,
    /// Listing accounts: `done` of `total` accounts (`total` 0 while still unknown).
    Syncing {
        /// Accounts listed.
        done: usize,
        /// Accounts in all.
        total: usize,
    },
    /// Signing out or being removed.
    Busy,
}

/// What the menu is built from.
#[derive(Debug, Clone, Copy)]
pub struct MenuInputs<'a> {
    /// The engine's state.
    pub state: &'a State,
    /// The current time (for the tooltip's "next expiry").
    pub now: DateTime<Utc>,
    /// Sessions that need the user (MFA code wanted, rotation failed, …).
    pub attention: &'a BTreeSet<Uuid>,
    /// Whether credtray starts at login (the `Start at login` check).
    pub start_at_login: bool,
    /// Integrations with a sign-in or sync under way in the UI.
    pub activity: &'a BTreeMap<Uuid, Activity>,
    /// Whether each session's check item is followed by a small submenu of its actions:
    /// only where there is no Sessions window to hold them (macOS, for now;
    /// [`SESSION_ACTIONS_IN_MENU`]).
    pub session_actions: bool,
}

/// Whether this platform's menu holds the sessions' actions (no Sessions window here yet).
pub const SESSION_ACTIONS_IN_MENU: bool = cfg!(not(any(target_os = "linux", windows)));

/// Builds the menu, icon and tooltip for the given inputs.
pub fn build(inputs: &MenuInputs) -> Menu {
    let state = inputs.state;

    // Group sessions by profile in one pass, keeping creation order within a profile.
    let mut by_profile: HashMap<&str, Vec<&Session>> = HashMap::with_capacity(state.profiles.len());
    for s in &state.sessions {
        by_profile.entry(s.profile.as_str()).or_default().push(s);
    }
    // Profiles in the listed order, then (should the state ever hold one) any profile a
    // session names but the list lacks, so that every session stays reachable.
    let mut names: Vec<&str> = state.profiles.iter().map(String::as_str).collect();
    let listed: BTreeSet<&str> = names.iter().copied().collect();
    let mut extra = BTreeSet::new();
    for s in &state.sessions {
        let p = s.profile.as_str();
        if !listed.contains(p) && extra.insert(p) {
            names.push(p);
        }
    }

    let mut entries = Vec::with_capacity(names.len() + 8);
    for (index, name) in names.iter().enumerate() {
        let sessions = by_profile.get(name).map(Vec::as_slice).unwrap_or(&[]);
        entries.push(profile_submenu(index, name, sessions, inputs));
    }

    entries.push(Entry::Separator);
    entries.push(item(ItemId::Sessions, "Sessions…"));

    if !state.integrations.is_empty() {
        entries.push(Entry::Separator);
        entries.push(Entry::Item {
            id: ItemId::IntegrationsHeading,
            label: "Integrations".into(),
            enabled: false,
        });
        for i in &state.integrations {
            entries.push(integration_submenu(i, inputs));
        }
    }

    entries.push(Entry::Separator);
    entries.push(item(ItemId::AddIamUser, "Add IAM user session…"));
    entries.push(item(ItemId::AddChainedRole, "Add chained role…"));
    entries.push(item(ItemId::AddFederatedRole, "Add SAML federated role…"));
    entries.push(item(ItemId::AddIntegration, "Add integration…"));
    entries.push(item(ItemId::NamedProfiles, "Named profiles…"));
    entries.push(Entry::Separator);
    entries.push(Entry::Check {
        id: ItemId::StartAtLogin,
        label: "Start at login".into(),
        checked: inputs.start_at_login,
        enabled: true,
    });
    entries.push(item(ItemId::Quit, "Quit"));

    let active = state
        .active
        .keys()
        .filter(|id| state.session(**id).is_some())
        .count();
    let attention = inputs
        .attention
        .iter()
        .filter(|id| state.session(**id).is_some())
        .count();
    let expired = state
        .integrations
        .iter()
        .filter(|i| i.status(inputs.now) == Status::Expired)
        .count();
    let icon = if attention > 0 || expired > 0 {
        IconState::Attention
    } else if active > 0 {
        IconState::Active
    } else {
        IconState::Idle
    };
    Menu {
        entries,
        icon,
        tooltip: tooltip(inputs, active, attention, expired),
    }
}

/// The label of an integration's submenu: its alias and status, or what is under way.
pub fn integration_label(
    i: &Integration,
    now: DateTime<Utc>,
    activity: Option<Activity>,
) -> String {
    let status = match activity {
        Some(Activity::SigningIn) => "Signing in…".to_string(),
        Some(Activity::Syncing { done, total }) if total > 0 => {
            format!("Syncing… {}/{}", thousands(done), thousands(total))
        }
        Some(Activity::Syncing { .. }) => "Syncing…".to_string(),
        Some(Activity::Busy) => "…".to_string(),
        None => match i.status(now) {
            Status::Expired => {
                format!("{} {}", Status::Expired.as_str(), ATTENTION_MARK.trim_end())
            }
            s => s.as_str().to_string(),
        },
    };
    format!("{} · {status}", i.alias)
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn integration_submenu(i: &Integration, inputs: &MenuInputs) -> Entry {
    let activity = inputs.activity.get(&i.id).copied();
    let idle = activity.is_none();
    let sign = if i.status(inputs.now) == Status::LoggedIn {
        Entry::Item {
            id: ItemId::SignOut(i.id),
            label: "Sign out".into(),
            enabled: idle,
        }
    } else {
        Entry::Item {
            id: ItemId::SignIn(i.id),
            label: "Sign in…".into(),
            enabled: idle,
        }
    };
    Entry::Submenu {
        label: integration_label(i, inputs.now, activity),
        children: vec![
            sign,
            Entry::Item {
                id: ItemId::SyncIntegration(i.id),
                label: "Sync now".into(),
                enabled: idle,
            },
            Entry::Item {
                id: ItemId::RemoveIntegration(i.id),
                label: "Remove…".into(),
                enabled: idle,
            },
        ],
    }
}

fn item(id: ItemId, label: &str) -> Entry {
    Entry::Item {
        id,
        label: label.into(),
        enabled: true,
    }
}

fn profile_submenu(index: usize, name: &str, sessions: &[&Session], inputs: &MenuInputs) -> Entry {
    let state = inputs.state;
    if sessions.is_empty() {
        return Entry::Submenu {
            label: name.to_string(),
            children: vec![Entry::Item {
                id: ItemId::NoSessions(index),
                label: "No sessions".into(),
                enabled: false,
            }],
        };
    }
    let has_active = sessions.iter().any(|s| state.active.contains_key(&s.id));
    let label = if has_active {
        format!("{ACTIVE_MARK}{name}")
    } else {
        name.to_string()
    };

    // Past a page, the active ones first: they are the ones to stop.
    let ordered: Vec<&Session>;
    let sessions = if sessions.len() > PAGE {
        let (active, rest): (Vec<&Session>, Vec<&Session>) = sessions
            .iter()
            .partition(|s| state.active.contains_key(&s.id));
        ordered = active.into_iter().chain(rest).collect();
        &ordered[..]
    } else {
        sessions
    };
    let (first, rest) = sessions.split_at(sessions.len().min(PAGE));
    let pages = rest.len().div_ceil(PAGE);
    let mut children = Vec::with_capacity(first.len() + pages);
    push_sessions(&mut children, first, inputs);
    for (n, chunk) in rest.chunks(PAGE).enumerate() {
        let from = PAGE * (n + 1) + 1;
        let to = from + chunk.len() - 1;
        let mut page = Vec::with_capacity(chunk.len());
        push_sessions(&mut page, chunk, inputs);
        children.push(Entry::Submenu {
            label: format!("More… ({from}–{to})"),
            children: page,
        });
    }
    Entry::Submenu { label, children }
}

/// The label of the item that renews a session needing the user.
pub fn renew_label(alias: &str) -> String {
    format!("{ATTENTION_MARK}Renew '{alias}' now…")
}

fn push_sessions(out: &mut Vec<Entry>, sessions: &[&Session], inputs: &MenuInputs) {
    for s in sessions {
        out.push(Entry::Check {
            id: ItemId::ToggleSession(s.id),
            label: s.label(),
            checked: inputs.state.active.contains_key(&s.id),
            enabled: true,
        });
        if inputs.attention.contains(&s.id) {
            out.push(item(ItemId::Renew(s.id), &renew_label(&s.alias)));
        }
        if inputs.session_actions {
            out.push(Entry::Submenu {
                label: format!("{}…", s.alias),
                children: vec![
                    item(ItemId::Edit(s.id), "Edit…"),
                    item(ItemId::ChangeProfile(s.id), "Change profile…"),
                    item(ItemId::ChangeRegion(s.id), "Change region…"),
                    item(ItemId::CreateChained(s.id), "Create chained session…"),
                    item(ItemId::TestSession(s.id), "Test credentials"),
                    item(ItemId::RemoveSession(s.id), "Remove…"),
                ],
            });
        }
    }
}

fn tooltip(inputs: &MenuInputs, active: usize, attention: usize, expired: usize) -> String {
    let state = inputs.state;
    let mut t = if active == 0 {
        "credtray — no active session".to_string()
    } else {
        format!("credtray — {active} active")
    };
    if attention > 0 {
        let verb = if attention == 1 { "needs" } else { "need" };
        t.push_str(&format!(" · {attention} {verb} attention"));
    }
    if expired > 0 {
        let what = if expired == 1 {
            "integration needs"
        } else {
            "integrations need"
        };
        t.push_str(&format!(" · {expired} {what} sign-in"));
    }
    let next = state
        .active
        .iter()
        .filter(|(id, _)| state.session(**id).is_some())
        .map(|(_, a)| a.expiration)
        .min();
    if let Some(exp) = next {
        let mins = (exp - inputs.now).num_minutes();
        if mins <= 0 {
            t.push_str(" · credentials expiring now");
        } else {
            t.push_str(&format!(" · next expiry in {mins} min"));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Active, SessionKind};
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    use crate::testing::created_section as record;

    use crate::testing::iam_user as session;

    fn activate(state: &mut State, id: Uuid, expires_in_min: i64) {
        let profile = state.session(id).unwrap().profile.clone();
        state.active.insert(
            id,
            Active {
                profile: profile.clone(),
                expiration: t0() + Duration::minutes(expires_in_min),
                refreshed_at: t0(),
                credentials: record(&profile),
                config: record(&profile),
                took_over: false,
            },
        );
    }

    fn build_with(state: &State, attention: &BTreeSet<Uuid>, start_at_login: bool) -> Menu {
        build(&MenuInputs {
            state,
            now: t0(),
            attention,
            start_at_login,
            activity: &BTreeMap::new(),
            session_actions: false,
        })
    }

    /// Every `ToggleSession` id in the tree, in menu order.
    fn toggles(entries: &[Entry], out: &mut Vec<Uuid>) {
        for e in entries {
            if let Entry::Check {
                id: ItemId::ToggleSession(id),
                ..
            } = e
            {
                out.push(*id);
            }
            toggles(e.children(), out);
        }
    }

    fn profile_submenus(menu: &Menu) -> Vec<&Entry> {
        menu.entries
            .iter()
            .take_while(|e| !matches!(e, Entry::Separator))
            .collect()
    }

    #[test]
    fn no_sessions() {
        let state = State::new();
        let menu = build_with(&state, &BTreeSet::new(), false);
        let profiles = profile_submenus(&menu);
        assert_eq!(profiles.len(), 1);
        assert_eq!(profiles[0].label(), "default");
        assert_eq!(
            profiles[0].children(),
            &[Entry::Item {
                id: ItemId::NoSessions(0),
                label: "No sessions".into(),
                enabled: false,
            }]
        );
        let labels: Vec<&str> = menu.entries.iter().map(Entry::label).collect();
        assert_eq!(
            labels,
            [
                "default",
                "",
                "Sessions…",
                "",
                "Add IAM user session…",
                "Add chained role…",
                "Add SAML federated role…",
                "Add integration…",
                "Named profiles…",
                "",
                "Start at login",
                "Quit"
            ]
        );
        assert_eq!(menu.icon, IconState::Idle);
        assert_eq!(menu.tooltip, "credtray — no active session");
        // Sessions…, five "Add…"/profile actions, Start at login, Quit, and the placeholder.
        assert_eq!(menu.count_items(), 9);
    }

    #[test]
    fn many_profiles_keep_order_and_list_empty_ones() {
        let mut state = State::new();
        let names: Vec<String> = (0..30).map(|i| format!("p{:02}", 29 - i)).collect();
        for n in &names {
            state.add_profile(n).unwrap();
        }
        // Sessions only on every third profile, added in reverse order.
        for (i, n) in names.iter().enumerate().rev().filter(|(i, _)| i % 3 == 0) {
            state.add_session(session(&format!("s{i}"), n)).unwrap();
        }
        let menu = build_with(&state, &BTreeSet::new(), false);
        let profiles = profile_submenus(&menu);
        let labels: Vec<&str> = profiles.iter().map(|e| e.label()).collect();
        let mut expected = vec!["default"];
        expected.extend(names.iter().map(String::as_str));
        assert_eq!(labels, expected);
        for (index, p) in profiles.iter().enumerate() {
            let Entry::Submenu { children, .. } = p else {
                panic!("{p:?} is not a submenu");
            };
            let with_session = index > 0 && (index - 1) % 3 == 0;
            if with_session {
                // Lean: the check item alone, no per-session submenu.
                assert_eq!(children.len(), 1, "{children:?}");
                assert!(matches!(children[0], Entry::Check { checked: false, .. }));
            } else {
                assert_eq!(
                    children,
                    &[Entry::Item {
                        id: ItemId::NoSessions(index),
                        label: "No sessions".into(),
                        enabled: false,
                    }]
                );
            }
        }
    }

    #[test]
    fn thousand_sessions_in_one_profile_are_paged() {
        let mut state = State::new();
        state.add_profile("big").unwrap();
        let mut ids = Vec::new();
        for i in 0..1000 {
            let s = session(&format!("s{i}"), "big");
            ids.push(s.id);
            state.add_session(s).unwrap();
        }
        let menu = build_with(&state, &BTreeSet::new(), false);
        let big = &menu.entries[1];
        assert_eq!(big.label(), "big");
        let children = big.children();
        // 50 sessions directly, then 19 "More…" pages.
        assert_eq!(children.len(), PAGE + 19);
        let direct = children
            .iter()
            .filter(|e| matches!(e, Entry::Check { .. }))
            .count();
        assert_eq!(direct, PAGE);
        let pages: Vec<&Entry> = children[PAGE..].iter().collect();
        assert_eq!(pages[0].label(), "More… (51–100)");
        assert_eq!(pages[18].label(), "More… (951–1000)");
        for p in &pages {
            assert!(p.label().starts_with("More…"));
            let checks = p
                .children()
                .iter()
                .filter(|e| matches!(e, Entry::Check { .. }))
                .count();
            assert!(checks <= PAGE && checks > 0);
            assert_eq!(p.children().len(), checks);
        }
        // Every session reachable exactly once, in creation order.
        let mut seen = Vec::new();
        toggles(&menu.entries, &mut seen);
        assert_eq!(seen, ids);
        let last = menu.find(&ItemId::ToggleSession(ids[999])).unwrap();
        assert_eq!(last.label(), "s999 · iam-user · eu-west-1");
        // One item per session, Sessions…, 5 actions, Start at login, Quit, the empty
        // "default".
        assert_eq!(menu.count_items(), 1000 + 9);

        // Past a page, the active session comes first; the others keep their order.
        activate(&mut state, ids[700], 30);
        let menu = build_with(&state, &BTreeSet::new(), false);
        let big = &menu.entries[1];
        assert_eq!(big.label(), "● big");
        assert_eq!(
            big.children()[0].id(),
            Some(ItemId::ToggleSession(ids[700]))
        );
        assert!(matches!(
            big.children()[0],
            Entry::Check { checked: true, .. }
        ));
        let mut seen = Vec::new();
        toggles(&menu.entries, &mut seen);
        let mut expected = vec![ids[700]];
        expected.extend(ids.iter().copied().filter(|i| *i != ids[700]));
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_page_boundary_is_exact() {
        let mut state = State::new();
        for i in 0..PAGE {
            state
                .add_session(session(&format!("s{i}"), "default"))
                .unwrap();
        }
        let menu = build_with(&state, &BTreeSet::new(), false);
        assert!(menu.entries[0]
            .children()
            .iter()
            .all(|e| !e.label().starts_with("More…")));
        state.add_session(session("one-more", "default")).unwrap();
        let menu = build_with(&state, &BTreeSet::new(), false);
        let last = menu.entries[0].children().last().unwrap();
        assert_eq!(last.label(), "More… (51–51)");
        assert_eq!(
            last.children()[0].label(),
            "one-more · iam-user · eu-west-1"
        );
    }

    #[test]
    fn one_active_session_per_profile() {
        let mut state = State::new();
        let mut active = Vec::new();
        let mut stopped = Vec::new();
        for p in ["dev", "prod", "idle"] {
            state.add_profile(p).unwrap();
        }
        for p in ["dev", "prod"] {
            for i in 0..3 {
                let s = session(&format!("{p}-{i}"), p);
                if i == 1 {
                    active.push(s.id);
                } else {
                    stopped.push(s.id);
                }
                state.add_session(s).unwrap();
            }
        }
        state.add_session(session("idle-0", "idle")).unwrap();
        activate(&mut state, active[0], 42);
        activate(&mut state, active[1], 90);

        let menu = build_with(&state, &BTreeSet::new(), false);
        let labels: Vec<&str> = profile_submenus(&menu).iter().map(|e| e.label()).collect();
        assert_eq!(labels, ["default", "● dev", "● prod", "idle"]);
        for id in &active {
            let e = menu.find(&ItemId::ToggleSession(*id)).unwrap();
            assert!(matches!(e, Entry::Check { checked: true, .. }), "{e:?}");
        }
        for id in &stopped {
            let e = menu.find(&ItemId::ToggleSession(*id)).unwrap();
            assert!(matches!(e, Entry::Check { checked: false, .. }), "{e:?}");
        }
        assert_eq!(
            menu.find(&ItemId::ToggleSession(active[0]))
                .unwrap()
                .label(),
            "dev-1 · iam-user · eu-west-1"
        );
        assert_eq!(menu.icon, IconState::Active);
        assert_eq!(menu.tooltip, "credtray — 2 active · next expiry in 42 min");
    }

    #[test]
    fn attention_sets_the_icon() {
        let mut state = State::new();
        let a = session("a", "default");
        let b = session("b", "default");
        let (a_id, b_id) = (a.id, b.id);
        state.add_session(a).unwrap();
        state.add_session(b).unwrap();
        activate(&mut state, a_id, 10);

        // An id that is no session is ignored.
        let stray: BTreeSet<Uuid> = [Uuid::new_v4()].into();
        let menu = build_with(&state, &stray, false);
        assert_eq!(menu.icon, IconState::Active);
        assert!(!menu.tooltip.contains("attention"));

        let attention: BTreeSet<Uuid> = [b_id].into();
        let menu = build_with(&state, &attention, false);
        assert_eq!(menu.icon, IconState::Attention);
        assert_eq!(
            menu.tooltip,
            "credtray — 1 active · 1 needs attention · next expiry in 10 min"
        );
        let labels: Vec<&str> = menu.entries[0]
            .children()
            .iter()
            .map(Entry::label)
            .collect();
        // The session that needs the user is followed by "Renew … now…"; the others not.
        assert_eq!(
            labels,
            [
                "a · iam-user · eu-west-1",
                "b · iam-user · eu-west-1",
                "⚠ Renew 'b' now…"
            ]
        );
        assert_eq!(
            menu.entries[0].children()[2].id(),
            Some(ItemId::Renew(b_id))
        );

        // Attention wins over idle too.
        state.active.clear();
        let menu = build_with(&state, &attention, false);
        assert_eq!(menu.icon, IconState::Attention);
        assert_eq!(
            menu.tooltip,
            "credtray — no active session · 1 needs attention"
        );
    }

    #[test]
    fn start_at_login_reflects_the_input_and_quit_is_last() {
        let state = State::new();
        for on in [false, true] {
            let menu = build_with(&state, &BTreeSet::new(), on);
            let e = menu.find(&ItemId::StartAtLogin).unwrap();
            assert_eq!(
                e,
                &Entry::Check {
                    id: ItemId::StartAtLogin,
                    label: "Start at login".into(),
                    checked: on,
                    enabled: true,
                }
            );
            assert_eq!(menu.entries.last().unwrap().id(), Some(ItemId::Quit));
            assert_eq!(menu.entries.last().unwrap().label(), "Quit");
        }
    }

    #[test]
    fn keys_round_trip() {
        let id = Uuid::new_v4();
        let all = [
            ItemId::ToggleSession(id),
            ItemId::Renew(id),
            ItemId::Edit(id),
            ItemId::ChangeProfile(id),
            ItemId::ChangeRegion(id),
            ItemId::CreateChained(id),
            ItemId::TestSession(id),
            ItemId::RemoveSession(id),
            ItemId::Sessions,
            ItemId::AddIamUser,
            ItemId::AddChainedRole,
            ItemId::AddFederatedRole,
            ItemId::NamedProfiles,
            ItemId::StartAtLogin,
            ItemId::Quit,
            ItemId::NoSessions(7),
            ItemId::IntegrationsHeading,
            ItemId::SignIn(id),
            ItemId::SignOut(id),
            ItemId::SyncIntegration(id),
            ItemId::RemoveIntegration(id),
            ItemId::AddIntegration,
        ];
        let keys: BTreeSet<String> = all.iter().map(ItemId::key).collect();
        assert_eq!(keys.len(), all.len());
        for i in all {
            assert_eq!(ItemId::parse(&i.key()), Some(i));
        }
        assert_eq!(ItemId::parse("toggle:nope"), None);
        assert_eq!(ItemId::parse("bogus"), None);
    }

    fn integration(alias: &str) -> Integration {
        Integration {
            id: Uuid::new_v4(),
            alias: alias.into(),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        }
    }

    fn signed_in(expires_in_min: i64, refreshable: bool, expired: bool) -> crate::model::SignIn {
        crate::model::SignIn {
            expires_at: t0() + Duration::minutes(expires_in_min),
            refreshable,
            expired,
        }
    }

    fn build_active(state: &State, activity: &BTreeMap<Uuid, Activity>) -> Menu {
        build(&MenuInputs {
            state,
            now: t0(),
            attention: &BTreeSet::new(),
            start_at_login: false,
            activity,
            session_actions: false,
        })
    }

    fn top_labels(menu: &Menu) -> Vec<&str> {
        menu.entries.iter().map(Entry::label).collect()
    }

    #[test]
    fn integrations_have_a_section_only_when_there_are_any() {
        let mut state = State::new();
        let none = build_active(&state, &BTreeMap::new());
        assert!(none.find(&ItemId::IntegrationsHeading).is_none());
        assert!(none.find(&ItemId::AddIntegration).is_some());

        let corp = integration("corp");
        let lab = integration("R&D_lab");
        let (corp_id, lab_id) = (corp.id, lab.id);
        state.add_integration(corp).unwrap();
        state.add_integration(lab).unwrap();
        state.integration_mut(corp_id).unwrap().sign_in = Some(signed_in(60, true, false));
        let menu = build_active(&state, &BTreeMap::new());
        assert_eq!(
            top_labels(&menu),
            [
                "default",
                "",
                "Sessions…",
                "",
                "Integrations",
                "corp · logged-in",
                "R&D_lab · logged-out",
                "",
                "Add IAM user session…",
                "Add chained role…",
                "Add SAML federated role…",
                "Add integration…",
                "Named profiles…",
                "",
                "Start at login",
                "Quit"
            ]
        );
        assert_eq!(
            menu.find(&ItemId::IntegrationsHeading),
            Some(&Entry::Item {
                id: ItemId::IntegrationsHeading,
                label: "Integrations".into(),
                enabled: false,
            })
        );
        let actions = |n: usize| -> Vec<(String, Option<ItemId>, bool)> {
            menu.entries[n]
                .children()
                .iter()
                .map(|e| match e {
                    Entry::Item { id, label, enabled } => (label.clone(), Some(*id), *enabled),
                    other => (other.label().to_string(), None, false),
                })
                .collect()
        };
        assert_eq!(
            actions(5),
            [
                ("Sign out".to_string(), Some(ItemId::SignOut(corp_id)), true),
                (
                    "Sync now".to_string(),
                    Some(ItemId::SyncIntegration(corp_id)),
                    true
                ),
                (
                    "Remove…".to_string(),
                    Some(ItemId::RemoveIntegration(corp_id)),
                    true
                ),
            ]
        );
        assert_eq!(
            actions(6)[0],
            ("Sign in…".to_string(), Some(ItemId::SignIn(lab_id)), true)
        );
        assert_eq!(menu.icon, IconState::Idle);
    }

    #[test]
    fn an_expired_integration_is_marked_and_asks_for_sign_in() {
        let mut state = State::new();
        let corp = integration("corp");
        let id = corp.id;
        state.add_integration(corp).unwrap();
        // Ran out and cannot be renewed.
        state.integration_mut(id).unwrap().sign_in = Some(signed_in(-1, false, false));
        let menu = build_active(&state, &BTreeMap::new());
        let entry = &menu.entries[5];
        assert_eq!(entry.label(), "corp · expired ⚠");
        assert_eq!(entry.children()[0].id(), Some(ItemId::SignIn(id)));
        assert_eq!(menu.icon, IconState::Attention);
        assert_eq!(
            menu.tooltip,
            "credtray — no active session · 1 integration needs sign-in"
        );
        // Past its expiry but renewable: still logged in.
        state.integration_mut(id).unwrap().sign_in = Some(signed_in(-1, true, false));
        let menu = build_active(&state, &BTreeMap::new());
        assert_eq!(menu.entries[5].label(), "corp · logged-in");
        assert_eq!(menu.icon, IconState::Idle);
    }

    #[test]
    fn what_is_under_way_shows_in_the_label_and_disables_the_actions() {
        let mut state = State::new();
        let corp = integration("corp");
        let id = corp.id;
        state.add_integration(corp).unwrap();
        let mut activity = BTreeMap::new();
        let label_with = |activity: &BTreeMap<Uuid, Activity>| {
            let menu = build_active(&state, activity);
            let e = menu.entries[5].clone();
            assert!(
                e.children()
                    .iter()
                    .all(|c| matches!(c, Entry::Item { enabled: false, .. })),
                "{e:?}"
            );
            e.label().to_string()
        };
        activity.insert(id, Activity::SigningIn);
        assert_eq!(label_with(&activity), "corp · Signing in…");
        activity.insert(id, Activity::Syncing { done: 0, total: 0 });
        assert_eq!(label_with(&activity), "corp · Syncing…");
        activity.insert(
            id,
            Activity::Syncing {
                done: 340,
                total: 1000,
            },
        );
        assert_eq!(label_with(&activity), "corp · Syncing… 340/1,000");
        activity.insert(id, Activity::Busy);
        assert_eq!(label_with(&activity), "corp · …");
        // An activity for an integration that is gone changes nothing.
        let stray: BTreeMap<Uuid, Activity> = [(Uuid::new_v4(), Activity::SigningIn)].into();
        let menu = build_active(&state, &stray);
        assert_eq!(menu.entries[5].label(), "corp · logged-out");
    }

    #[test]
    fn every_kind_is_a_check_item_alone_and_sessions_opens_the_window() {
        use crate::model::FederatedRole;
        let mut state = State::new();
        let user = session("keys", "default");
        let fed = Session {
            id: Uuid::new_v4(),
            alias: "okta-admin".into(),
            profile: "default".into(),
            region: "eu-west-1".into(),
            kind: SessionKind::IamRoleFederated(FederatedRole {
                role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
                idp_arn: "arn:aws:iam::123456789012:saml-provider/Okta".into(),
                saml_url: "https://idp.example.com/saml".into(),
                duration_secs: 3600,
            }),
        };
        let fed_id = fed.id;
        state.add_session(user).unwrap();
        state.add_session(fed).unwrap();
        let menu = build_with(&state, &BTreeSet::new(), false);
        let children = menu.entries[0].children();
        assert_eq!(children.len(), 2);
        assert!(children.iter().all(|e| matches!(e, Entry::Check { .. })));
        assert_eq!(
            menu.find(&ItemId::ToggleSession(fed_id)).unwrap().label(),
            "okta-admin · iam-role-federated · eu-west-1"
        );
        assert_eq!(
            menu.find(&ItemId::Sessions),
            Some(&Entry::Item {
                id: ItemId::Sessions,
                label: "Sessions…".into(),
                enabled: true,
            })
        );
        assert!(menu.find(&ItemId::AddFederatedRole).is_some());
    }

    #[test]
    fn without_a_sessions_window_each_session_has_its_actions_in_the_menu() {
        let mut state = State::new();
        let a = session("a", "default");
        let a_id = a.id;
        state.add_session(a).unwrap();
        let attention: BTreeSet<Uuid> = [a_id].into();
        let menu = build(&MenuInputs {
            state: &state,
            now: t0(),
            attention: &attention,
            start_at_login: false,
            activity: &BTreeMap::new(),
            session_actions: true,
        });
        let children = menu.entries[0].children();
        let labels: Vec<&str> = children.iter().map(Entry::label).collect();
        assert_eq!(
            labels,
            ["a · iam-user · eu-west-1", "⚠ Renew 'a' now…", "a…"]
        );
        let actions: Vec<(&str, Option<ItemId>)> = children[2]
            .children()
            .iter()
            .map(|e| (e.label(), e.id()))
            .collect();
        assert_eq!(
            actions,
            [
                ("Edit…", Some(ItemId::Edit(a_id))),
                ("Change profile…", Some(ItemId::ChangeProfile(a_id))),
                ("Change region…", Some(ItemId::ChangeRegion(a_id))),
                ("Create chained session…", Some(ItemId::CreateChained(a_id))),
                ("Test credentials", Some(ItemId::TestSession(a_id))),
                ("Remove…", Some(ItemId::RemoveSession(a_id))),
            ]
        );
        for (_, id) in actions {
            assert_eq!(id.and_then(|i| i.session()), Some(a_id));
        }
    }

    #[test]
    fn thousands_are_grouped() {
        for (n, s) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1,000"),
            (34_000, "34,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), s);
        }
    }

    #[test]
    fn synced_sessions_appear_under_their_profile() {
        use crate::model::SsoRole;
        let mut state = State::new();
        let corp = integration("corp");
        let id = corp.id;
        state.add_integration(corp).unwrap();
        let s = Session {
            id: Uuid::new_v4(),
            alias: "acct-0001 / Admin".into(),
            profile: "default".into(),
            region: "eu-west-1".into(),
            kind: SessionKind::AwsSso(SsoRole {
                integration: id,
                account_id: "100000000001".into(),
                account_name: "acct-0001".into(),
                role_name: "Admin".into(),
            }),
        };
        let sid = s.id;
        state.add_session(s).unwrap();
        let menu = build_active(&state, &BTreeMap::new());
        assert_eq!(
            menu.find(&ItemId::ToggleSession(sid)).unwrap().label(),
            "acct-0001 / Admin · aws-sso · eu-west-1"
        );
    }
}

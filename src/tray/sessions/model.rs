//! The Sessions window's content as a pure function of the state: one [`Row`] per session
//! (what it is, where it writes, its state and that state's words), the type-ahead
//! [`Filter`], and the grouping by named profile. No GTK here; unit-tested.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Local, TimeZone, Utc};
use uuid::Uuid;

use crate::model::{KindName, Session, SessionKind, State};

/// Something the user asked for on one session, from its row or its action menu. Start and
/// Stop are both [`SessionAction::Toggle`]: the caller decides by the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionAction {
    /// Start the session if it is stopped, stop it if it is active (the switch, Enter, a
    /// double click, or Start/Stop in its menu).
    Toggle(Uuid),
    /// Edit… its fields.
    Edit(Uuid),
    /// Change profile…
    ChangeProfile(Uuid),
    /// Change region…
    ChangeRegion(Uuid),
    /// Create chained session… with this session as the parent.
    CreateChained(Uuid),
    /// Test credentials (obtain them, write nothing, say who they are).
    Test(Uuid),
    /// Remove… (the caller confirms).
    Remove(Uuid),
}

impl SessionAction {
    /// The session it is about.
    pub fn session(&self) -> Uuid {
        match *self {
            SessionAction::Toggle(id)
            | SessionAction::Edit(id)
            | SessionAction::ChangeProfile(id)
            | SessionAction::ChangeRegion(id)
            | SessionAction::CreateChained(id)
            | SessionAction::Test(id)
            | SessionAction::Remove(id) => id,
        }
    }

    /// A short lowercase name (`toggle`, `edit`, `change-profile`, `change-region`,
    /// `create-chained`, `test`, `remove`), for logs.
    pub fn name(&self) -> &'static str {
        match self {
            SessionAction::Toggle(_) => "toggle",
            SessionAction::Edit(_) => "edit",
            SessionAction::ChangeProfile(_) => "change-profile",
            SessionAction::ChangeRegion(_) => "change-region",
            SessionAction::CreateChained(_) => "create-chained",
            SessionAction::Test(_) => "test",
            SessionAction::Remove(_) => "remove",
        }
    }
}

/// A session's state as the window shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// Credentials are served under its profile until `until`.
    Active {
        /// When they expire.
        until: DateTime<Utc>,
    },
    /// It cannot go on without the user (an MFA code, a sign-in, a failed rotation); still
    /// active until `until` when it is.
    NeedsYou {
        /// When its current credentials expire, while it is active.
        until: Option<DateTime<Utc>>,
    },
    /// Not active.
    Stopped,
}

impl RowState {
    /// Whether the session is active (what its switch shows).
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            RowState::Active { .. } | RowState::NeedsYou { until: Some(_) }
        )
    }
}

/// One session's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The session.
    pub id: Uuid,
    /// Its alias.
    pub alias: String,
    /// Its kind.
    pub kind: KindName,
    /// The named profile it writes under.
    pub profile: String,
    /// Its region.
    pub region: String,
    /// The AWS account id, when known (an `aws-sso` session's, the account of a role ARN,
    /// or of an `iam-user`'s MFA device ARN); empty otherwise.
    pub account_id: String,
    /// The account's name in the portal (`aws-sso` only); empty otherwise.
    pub account_name: String,
    /// The role's name (`aws-sso`'s permission set, the last part of a role ARN); empty
    /// for an `iam-user`.
    pub role: String,
    /// Its state.
    pub state: RowState,
    /// That state in words: `active until 14:05`, `needs you`, `stopped`….
    pub state_label: String,
    /// The index of its profile in [`SessionsModel::profiles`].
    pub group: usize,
    /// Lowercased alias, profile, account id, account name, role and kind: what the
    /// filter's terms are looked for in.
    haystacks: [String; 6],
}

impl Row {
    /// The account as shown: `Name (123456789012)`, or whichever of the two is known.
    pub fn account(&self) -> String {
        match (self.account_name.is_empty(), self.account_id.is_empty()) {
            (false, false) if self.account_name != self.account_id => {
                format!("{} ({})", self.account_name, self.account_id)
            }
            (false, _) => self.account_name.clone(),
            (true, _) => self.account_id.clone(),
        }
    }

    /// The dimmed second line: `kind · region · account / role`, leaving out what is not
    /// known.
    pub fn detail(&self) -> String {
        let mut text = format!("{} · {}", self.kind.as_str(), self.region);
        let account = self.account();
        match (account.is_empty(), self.role.is_empty()) {
            (true, true) => {}
            (false, true) => text.push_str(&format!(" · {account}")),
            (true, false) => text.push_str(&format!(" · {}", self.role)),
            (false, false) => text.push_str(&format!(" · {account} / {}", self.role)),
        }
        text
    }

    /// Whether the switch shows it on.
    pub fn is_active(&self) -> bool {
        self.state.is_active()
    }
}

/// Every row, in display order, and the profiles they are grouped under.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionsModel {
    /// The named profiles in the state's order, then any profile a session names that the
    /// list lacks (so that every session shows).
    pub profiles: Vec<String>,
    /// One row per session, by profile (in [`SessionsModel::profiles`] order), then alias
    /// (case-insensitive, numbers by value: `s2` before `s10`).
    pub rows: Vec<Row>,
}

impl SessionsModel {
    /// The rows of `state` now, with times in the local time zone.
    pub fn build(state: &State, needs_user: &BTreeSet<Uuid>) -> SessionsModel {
        SessionsModel::build_at(state, needs_user, Utc::now(), &Local)
    }

    /// The rows of `state` at `now`, with times shown in `tz`.
    pub fn build_at<Tz: TimeZone>(
        state: &State,
        needs_user: &BTreeSet<Uuid>,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> SessionsModel
    where
        Tz::Offset: std::fmt::Display,
    {
        let mut profiles: Vec<String> = state.profiles.clone();
        let mut index: HashMap<&str, usize> = profiles
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let mut extra = Vec::new();
        for s in &state.sessions {
            if !index.contains_key(s.profile.as_str()) {
                index.insert(s.profile.as_str(), profiles.len() + extra.len());
                extra.push(s.profile.clone());
            }
        }
        let index: HashMap<String, usize> =
            index.into_iter().map(|(p, i)| (p.to_owned(), i)).collect();
        profiles.extend(extra);

        let mut rows: Vec<Row> = state
            .sessions
            .iter()
            .map(|s| {
                let until = state.active.get(&s.id).map(|a| a.expiration);
                let row_state = if needs_user.contains(&s.id) {
                    RowState::NeedsYou { until }
                } else if let Some(until) = until {
                    RowState::Active { until }
                } else {
                    RowState::Stopped
                };
                row(s, index[s.profile.as_str()], row_state, now, tz)
            })
            .collect();
        rows.sort_by(|a, b| {
            a.group
                .cmp(&b.group)
                .then_with(|| natural_cmp(&a.alias, &b.alias))
                .then_with(|| a.id.cmp(&b.id))
        });
        SessionsModel { profiles, rows }
    }

    /// The rows `filter` keeps, grouped by profile (profiles with none left out), in display
    /// order.
    pub fn grouped<'a>(&'a self, filter: &Filter) -> Vec<(&'a str, Vec<&'a Row>)> {
        let mut groups: Vec<(&str, Vec<&Row>)> = Vec::new();
        for row in self.rows.iter().filter(|r| filter.matches(r)) {
            match groups.last_mut() {
                Some((profile, rows)) if *profile == self.profiles[row.group] => rows.push(row),
                _ => groups.push((&self.profiles[row.group], vec![row])),
            }
        }
        groups
    }

    /// The row of a session.
    pub fn row(&self, id: Uuid) -> Option<&Row> {
        self.rows.iter().find(|r| r.id == id)
    }
}

fn row<Tz: TimeZone>(s: &Session, group: usize, state: RowState, now: DateTime<Utc>, tz: &Tz) -> Row
where
    Tz::Offset: std::fmt::Display,
{
    let (account_id, account_name, role) = match &s.kind {
        SessionKind::AwsSso(r) => (
            r.account_id.clone(),
            r.account_name.clone(),
            r.role_name.clone(),
        ),
        SessionKind::IamRoleChained(r) => (arn_account(&r.role_arn), String::new(), {
            arn_role(&r.role_arn)
        }),
        SessionKind::IamRoleFederated(r) => (
            arn_account(&r.role_arn),
            String::new(),
            arn_role(&r.role_arn),
        ),
        SessionKind::IamUser(u) => (
            u.mfa_serial.as_deref().map(arn_account).unwrap_or_default(),
            String::new(),
            String::new(),
        ),
    };
    let kind = s.kind.name();
    let haystacks = [
        s.alias.to_lowercase(),
        s.profile.to_lowercase(),
        account_id.to_lowercase(),
        account_name.to_lowercase(),
        role.to_lowercase(),
        kind.as_str().to_owned(),
    ];
    Row {
        id: s.id,
        alias: s.alias.clone(),
        kind,
        profile: s.profile.clone(),
        region: s.region.clone(),
        account_id,
        account_name,
        role,
        state_label: state_label(&state, now, tz),
        state,
        group,
        haystacks,
    }
}

/// The account of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`), or nothing.
fn arn_account(arn: &str) -> String {
    let mut parts = arn.splitn(6, ':');
    match (parts.next(), parts.nth(3)) {
        (Some("arn"), Some(account)) if parts.next().is_some() => account.to_owned(),
        _ => String::new(),
    }
}

/// The role's name in a role ARN (`…:role/path/Name` → `Name`), or nothing.
fn arn_role(arn: &str) -> String {
    arn.splitn(6, ':')
        .nth(5)
        .and_then(|resource| resource.strip_prefix("role/"))
        .and_then(|path| path.rsplit('/').next())
        .unwrap_or_default()
        .to_owned()
}

/// The state in words, times in `tz`: `active until 14:05` (a weekday or a date is added
/// when the expiry is not within the next 20 hours of the same day), `expired at 14:05`,
/// `needs you`, `needs you · until 14:05`, `stopped`.
pub fn state_label<Tz: TimeZone>(state: &RowState, now: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    match *state {
        RowState::Active { until } if until <= now => {
            format!("expired at {}", when(until, now, tz))
        }
        RowState::Active { until } => format!("active until {}", when(until, now, tz)),
        RowState::NeedsYou { until: Some(until) } if until <= now => {
            format!("needs you · expired at {}", when(until, now, tz))
        }
        RowState::NeedsYou { until: Some(until) } => {
            format!("needs you · until {}", when(until, now, tz))
        }
        RowState::NeedsYou { until: None } => "needs you".into(),
        RowState::Stopped => "stopped".into(),
    }
}

/// `14:05` on the same local day (and less than 20 hours away), `Tue 14:05` within a week,
/// `3 Mar 14:05` beyond.
fn when<Tz: TimeZone>(at: DateTime<Utc>, now: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let local = at.with_timezone(tz);
    let today = now.with_timezone(tz).date_naive();
    let away = (at - now).abs();
    if local.date_naive() == today && away < chrono::Duration::hours(20) {
        local.format("%H:%M").to_string()
    } else if away < chrono::Duration::days(6) {
        local.format("%a %H:%M").to_string()
    } else {
        local.format("%-d %b %H:%M").to_string()
    }
}

/// Compares aliases as people sort them: case-insensitively, runs of digits by value
/// (`s2` < `s10`), ties broken by the exact text.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let number = |it: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut digits = String::new();
                    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                        digits.push(c);
                        it.next();
                    }
                    digits
                };
                let (m, n) = (number(&mut x), number(&mut y));
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                let order = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if order != Ordering::Equal {
                    return order;
                }
            }
            (Some(c), Some(d)) => {
                let order = c.to_lowercase().cmp(d.to_lowercase());
                if order != Ordering::Equal {
                    return order;
                }
                x.next();
                y.next();
            }
        }
    }
}

/// The columns of a table of sessions (the Windows window's list): heading, and width in
/// pixels at 96 dpi. [`Row::cell`] gives their text.
pub const COLUMNS: [(&str, i32); 6] = [
    ("Session", 190),
    ("Profile", 110),
    ("Kind", 120),
    ("Account", 170),
    ("Role", 130),
    ("State", 170),
];

impl Row {
    /// The text of column `column` of [`COLUMNS`] (empty past them).
    pub fn cell(&self, column: usize) -> String {
        match column {
            0 => self.alias.clone(),
            1 => self.profile.clone(),
            2 => self.kind.as_str().to_owned(),
            3 => self.account(),
            4 => self.role.clone(),
            5 => self.state_label.clone(),
            _ => String::new(),
        }
    }
}

impl SessionsModel {
    /// The indices in [`SessionsModel::rows`] of the rows `filter` keeps, in display order.
    pub fn visible(&self, filter: &Filter) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| filter.matches(&self.rows[i]))
            .collect()
    }

    /// The status line: how many sessions (of how many, under a search), how many are
    /// active and how many need the user; `visible` is how many the search keeps.
    pub fn status(&self, filter: &Filter, visible: usize) -> String {
        let total = self.rows.len();
        let active = self.rows.iter().filter(|r| r.is_active()).count();
        let needy = self
            .rows
            .iter()
            .filter(|r| matches!(r.state, RowState::NeedsYou { .. }))
            .count();
        let mut status = if filter.is_empty() {
            plural(total, "session", "sessions")
        } else {
            format!(
                "{} of {} match",
                thousands(visible),
                plural(total, "session", "sessions")
            )
        };
        if active > 0 {
            status.push_str(&format!(" · {} active", thousands(active)));
        }
        if needy > 0 {
            let verb = if needy == 1 { "needs" } else { "need" };
            status.push_str(&format!(" · {} {verb} you", thousands(needy)));
        }
        status
    }

    /// What an empty list says instead: no session at all, or none the search keeps.
    pub fn empty_message(&self, visible: usize) -> Option<&'static str> {
        if self.rows.is_empty() {
            Some("No sessions yet: add one from the tray's menu or with `credtray session add`")
        } else if visible == 0 {
            Some("No session matches the search")
        } else {
            None
        }
    }
}

/// `1 session`, `1,000 sessions`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn thousands(n: usize) -> String {
    crate::tray::menu::thousands(n)
}

/// One entry of a session's action menu: a label (`&` before its access key) and its
/// action, or `None` for a separator.
pub type MenuEntry = Option<(&'static str, SessionAction)>;

/// A session's action menu, in order, with separators: Start (Stop when `active`), Edit…,
/// Change profile…, Change region…, Create chained session…, Test credentials, Remove….
pub fn action_menu(id: Uuid, active: bool) -> Vec<MenuEntry> {
    vec![
        Some((
            if active { "&Stop" } else { "&Start" },
            SessionAction::Toggle(id),
        )),
        None,
        Some(("&Edit…", SessionAction::Edit(id))),
        Some(("Change &profile…", SessionAction::ChangeProfile(id))),
        Some(("Change &region…", SessionAction::ChangeRegion(id))),
        Some(("Create &chained session…", SessionAction::CreateChained(id))),
        None,
        Some(("&Test credentials", SessionAction::Test(id))),
        None,
        Some(("Re&move…", SessionAction::Remove(id))),
    ]
}

/// The search box's text as a filter: every whitespace-separated term must be found,
/// case-insensitively, in one of a row's alias, profile, account (id or name), role or kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    terms: Vec<String>,
}

impl Filter {
    /// The filter for the search text `text`.
    pub fn new(text: &str) -> Filter {
        Filter {
            terms: text.split_whitespace().map(str::to_lowercase).collect(),
        }
    }

    /// Whether it keeps everything (no term).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `row` passes.
    pub fn matches(&self, row: &Row) -> bool {
        self.terms
            .iter()
            .all(|term| row.haystacks.iter().any(|h| h.contains(term.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Active, ChainedRole, FederatedRole, IamUser, SsoRole};
    use chrono::{Duration, FixedOffset};

    fn t0() -> DateTime<Utc> {
        // 2025-03-04 10:00 UTC, a Tuesday.
        DateTime::parse_from_rfc3339("2025-03-04T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    use crate::testing::created_section as record;

    fn user(alias: &str, profile: &str) -> Session {
        Session {
            kind: SessionKind::IamUser(IamUser {
                mfa_serial: Some("arn:aws:iam::111122223333:mfa/alice".into()),
                duration_secs: 36_000,
            }),
            ..crate::testing::iam_user(alias, profile)
        }
    }

    fn chained(alias: &str, profile: &str, parent: Uuid, arn: &str) -> Session {
        Session {
            id: Uuid::new_v4(),
            alias: alias.into(),
            profile: profile.into(),
            region: "us-east-1".into(),
            kind: SessionKind::IamRoleChained(ChainedRole {
                parent,
                role_arn: arn.into(),
                role_session_name: "credtray".into(),
                external_id: None,
                duration_secs: 3600,
            }),
        }
    }

    fn sso(alias: &str, profile: &str, account: &str, name: &str, role: &str) -> Session {
        Session {
            id: Uuid::new_v4(),
            alias: alias.into(),
            profile: profile.into(),
            region: "eu-central-1".into(),
            kind: SessionKind::AwsSso(SsoRole {
                integration: Uuid::new_v4(),
                account_id: account.into(),
                account_name: name.into(),
                role_name: role.into(),
            }),
        }
    }

    fn federated(alias: &str, profile: &str) -> Session {
        Session {
            id: Uuid::new_v4(),
            alias: alias.into(),
            profile: profile.into(),
            region: "us-west-2".into(),
            kind: SessionKind::IamRoleFederated(FederatedRole {
                role_arn: "arn:aws:iam::444455556666:role/okta/Admin".into(),
                idp_arn: "arn:aws:iam::444455556666:saml-provider/Okta".into(),
                saml_url: "https://idp.example.com/saml".into(),
                duration_secs: 3600,
            }),
        }
    }

    fn activate(state: &mut State, id: Uuid, until: DateTime<Utc>) {
        let profile = state.session(id).unwrap().profile.clone();
        state.active.insert(
            id,
            Active {
                profile: profile.clone(),
                expiration: until,
                refreshed_at: t0(),
                credentials: record(&profile),
                config: record(&profile),
                took_over: false,
            },
        );
    }

    /// Profiles default, prod, dev (in that order); five sessions.
    fn demo() -> (State, [Uuid; 5]) {
        let mut state = State::new();
        state.add_profile("prod").unwrap();
        state.add_profile("dev").unwrap();
        let me = user("me", "default");
        let admin = chained(
            "Admin10",
            "prod",
            me.id,
            "arn:aws:iam::210987654321:role/ops/Admin",
        );
        let admin2 = chained(
            "admin2",
            "prod",
            me.id,
            "arn:aws:iam::210987654321:role/ReadOnly",
        );
        let sandbox = sso(
            "sandbox / Dev",
            "dev",
            "123456789012",
            "Sandbox",
            "PowerUser",
        );
        let okta = federated("okta", "dev");
        let ids = [me.id, admin.id, admin2.id, sandbox.id, okta.id];
        for s in [me, admin, admin2, sandbox, okta] {
            state.add_session(s).unwrap();
        }
        (state, ids)
    }

    fn build(state: &State, needs: &BTreeSet<Uuid>) -> SessionsModel {
        SessionsModel::build_at(state, needs, t0(), &Utc)
    }

    fn aliases(rows: &[&Row]) -> Vec<String> {
        rows.iter().map(|r| r.alias.clone()).collect()
    }

    #[test]
    fn rows_carry_what_each_kind_knows() {
        let (state, [me, admin, _, sandbox, okta]) = demo();
        let model = build(&state, &BTreeSet::new());
        let me = model.row(me).unwrap();
        assert_eq!(me.kind, KindName::IamUser);
        assert_eq!(me.account_id, "111122223333");
        assert_eq!(me.role, "");
        assert_eq!(me.detail(), "iam-user · eu-west-1 · 111122223333");
        let admin = model.row(admin).unwrap();
        assert_eq!(
            (admin.account_id.as_str(), admin.role.as_str()),
            ("210987654321", "Admin")
        );
        assert_eq!(
            admin.detail(),
            "iam-role-chained · us-east-1 · 210987654321 / Admin"
        );
        let sandbox = model.row(sandbox).unwrap();
        assert_eq!(sandbox.account(), "Sandbox (123456789012)");
        assert_eq!(
            sandbox.detail(),
            "aws-sso · eu-central-1 · Sandbox (123456789012) / PowerUser"
        );
        let okta = model.row(okta).unwrap();
        assert_eq!(
            (okta.account_id.as_str(), okta.role.as_str()),
            ("444455556666", "Admin")
        );
    }

    #[test]
    fn arns_that_are_not_role_arns_give_nothing() {
        assert_eq!(arn_account("not an arn"), "");
        assert_eq!(arn_account("arn:aws:iam::123"), "");
        assert_eq!(arn_role("arn:aws:iam::123:user/bob"), "");
        assert_eq!(arn_role("arn:aws:iam::123:role/Name"), "Name");
        let mut state = State::new();
        let mut bare = user("bare", "default");
        bare.kind = SessionKind::IamUser(IamUser {
            mfa_serial: None,
            duration_secs: 900,
        });
        let id = bare.id;
        state.add_session(bare).unwrap();
        let model = build(&state, &BTreeSet::new());
        assert_eq!(model.row(id).unwrap().detail(), "iam-user · eu-west-1");
    }

    #[test]
    fn states_and_their_words() {
        let (mut state, [me, admin, admin2, sandbox, okta]) = demo();
        activate(&mut state, admin, t0() + Duration::minutes(65));
        activate(&mut state, me, t0() + Duration::hours(30));
        activate(&mut state, sandbox, t0() - Duration::minutes(1));
        activate(&mut state, okta, t0() + Duration::minutes(5));
        let needs: BTreeSet<Uuid> = [admin2, okta].into();
        let model = build(&state, &needs);
        let label = |id| model.row(id).unwrap().state_label.clone();
        let row_state = |id| model.row(id).unwrap().state;
        assert_eq!(
            row_state(admin),
            RowState::Active {
                until: t0() + Duration::minutes(65)
            }
        );
        assert_eq!(label(admin), "active until 11:05");
        assert_eq!(label(me), "active until Wed 16:00");
        assert_eq!(label(sandbox), "expired at 09:59");
        assert_eq!(row_state(admin2), RowState::NeedsYou { until: None });
        assert_eq!(label(admin2), "needs you");
        assert!(!model.row(admin2).unwrap().is_active());
        assert_eq!(label(okta), "needs you · until 10:05");
        assert!(model.row(okta).unwrap().is_active());
        // A session that is not listed any more among the needy is stopped.
        let model = build(&state, &BTreeSet::new());
        assert_eq!(model.row(admin2).unwrap().state, RowState::Stopped);
        assert_eq!(model.row(admin2).unwrap().state_label, "stopped");
    }

    #[test]
    fn times_are_shown_in_the_given_zone_with_a_date_when_far() {
        let tz = FixedOffset::east_opt(2 * 3600).unwrap();
        let s = RowState::Active {
            until: t0() + Duration::minutes(5),
        };
        assert_eq!(state_label(&s, t0(), &tz), "active until 12:05");
        let far = RowState::Active {
            until: t0() + Duration::days(9),
        };
        assert_eq!(state_label(&far, t0(), &tz), "active until 13 Mar 12:00");
        // 23:30 local is the same day, 11½ hours away: just the time.
        let tonight = RowState::Active {
            until: t0() + Duration::minutes(11 * 60 + 30),
        };
        assert_eq!(state_label(&tonight, t0(), &tz), "active until 23:30");
        // 01:00 the next day is another day.
        let after_midnight = RowState::Active {
            until: t0() + Duration::hours(13),
        };
        assert_eq!(
            state_label(&after_midnight, t0(), &tz),
            "active until Wed 01:00"
        );
    }

    #[test]
    fn grouped_by_profile_in_the_states_order_then_natural_alias_order() {
        let (mut state, _) = demo();
        // A profile the list lacks still shows, after the listed ones.
        let mut stray = user("stray", "ghost");
        stray.region = "eu-west-1".into();
        state.sessions.push(stray);
        let model = build(&state, &BTreeSet::new());
        assert_eq!(model.profiles, ["default", "prod", "dev", "ghost"]);
        let groups = model.grouped(&Filter::default());
        let shape: Vec<(&str, Vec<String>)> =
            groups.iter().map(|(p, rows)| (*p, aliases(rows))).collect();
        assert_eq!(
            shape,
            vec![
                ("default", vec!["me".to_string()]),
                ("prod", vec!["admin2".into(), "Admin10".into()]),
                ("dev", vec!["okta".into(), "sandbox / Dev".into()]),
                ("ghost", vec!["stray".into()]),
            ]
        );
        // Rows are in that same order.
        let flat: Vec<String> = model.rows.iter().map(|r| r.alias.clone()).collect();
        assert_eq!(
            flat,
            ["me", "admin2", "Admin10", "okta", "sandbox / Dev", "stray"]
        );
    }

    #[test]
    fn every_term_must_match_some_field() {
        let (state, _) = demo();
        let model = build(&state, &BTreeSet::new());
        let found = |text: &str| -> Vec<String> {
            model
                .grouped(&Filter::new(text))
                .iter()
                .flat_map(|(_, rows)| aliases(rows))
                .collect()
        };
        assert_eq!(found("").len(), 5);
        assert_eq!(found("   ").len(), 5);
        // Aliases, and okta's role (Admin).
        assert_eq!(found("ADMIN"), ["admin2", "Admin10", "okta"]);
        assert_eq!(found("admin dev"), ["okta"]);
        assert_eq!(found("admin 2109 ops"), Vec::<String>::new()); // "ops" is in the path only
        assert_eq!(found("prod admin2"), ["admin2"]);
        assert_eq!(found("readonly"), ["admin2"]);
        assert_eq!(found("sandbox"), ["sandbox / Dev"]);
        assert_eq!(found("123456789012"), ["sandbox / Dev"]);
        assert_eq!(found("poweruser dev"), ["sandbox / Dev"]);
        assert_eq!(found("aws-sso"), ["sandbox / Dev"]);
        assert_eq!(found("chained"), ["admin2", "Admin10"]);
        assert_eq!(found("iam-user 1111"), ["me"]);
        assert_eq!(found("admin nowhere"), Vec::<String>::new());
        // A term does not span two fields.
        assert_eq!(found("prodadmin"), Vec::<String>::new());
        // The region is not searched.
        assert_eq!(found("eu-west-1"), Vec::<String>::new());
        assert!(Filter::new(" \t").is_empty());
    }

    #[test]
    fn non_ascii_case_folds() {
        let mut state = State::new();
        let s = user("Ärger", "default");
        state.add_session(s).unwrap();
        let model = build(&state, &BTreeSet::new());
        assert!(Filter::new("äRG").matches(&model.rows[0]));
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["s10", "S2", "s1", "a", "s02", "B", "s2"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["a", "B", "s1", "S2", "s02", "s2", "s10"]);
        assert_eq!(natural_cmp("x", "x"), Ordering::Equal);
        assert_eq!(natural_cmp("x", "x1"), Ordering::Less);
    }

    #[test]
    fn actions_name_their_session() {
        let id = Uuid::new_v4();
        for (action, name) in [
            (SessionAction::Toggle(id), "toggle"),
            (SessionAction::Edit(id), "edit"),
            (SessionAction::ChangeProfile(id), "change-profile"),
            (SessionAction::ChangeRegion(id), "change-region"),
            (SessionAction::CreateChained(id), "create-chained"),
            (SessionAction::Test(id), "test"),
            (SessionAction::Remove(id), "remove"),
        ] {
            assert_eq!(action.session(), id);
            assert_eq!(action.name(), name);
        }
    }

    #[test]
    fn cells_visible_rows_and_status() {
        let (mut state, [me, admin, _, _, okta]) = demo();
        activate(&mut state, admin, t0() + Duration::minutes(65));
        let needs: BTreeSet<Uuid> = [okta].into();
        let model = build(&state, &needs);
        let admin_row = model.row(admin).unwrap();
        let cells: Vec<String> = (0..COLUMNS.len()).map(|c| admin_row.cell(c)).collect();
        assert_eq!(
            cells,
            [
                "Admin10",
                "prod",
                "iam-role-chained",
                "210987654321",
                "Admin",
                "active until 11:05"
            ]
        );
        assert_eq!(admin_row.cell(COLUMNS.len()), "");
        let everything = Filter::default();
        assert_eq!(model.visible(&everything), (0..5).collect::<Vec<_>>());
        assert_eq!(
            model.status(&everything, 5),
            "5 sessions · 1 active · 1 needs you"
        );
        let admin_filter = Filter::new("admin");
        let shown = model.visible(&admin_filter);
        let shown_aliases: Vec<&str> = shown
            .iter()
            .map(|&i| model.rows[i].alias.as_str())
            .collect();
        assert_eq!(shown_aliases, ["admin2", "Admin10", "okta"]);
        assert_eq!(
            model.status(&admin_filter, shown.len()),
            "3 of 5 sessions match · 1 active · 1 needs you"
        );
        assert_eq!(model.empty_message(3), None);
        assert_eq!(
            model.empty_message(0),
            Some("No session matches the search")
        );
        assert!(SessionsModel::default()
            .empty_message(0)
            .unwrap()
            .starts_with("No sessions yet"));
        assert_eq!(model.row(me).unwrap().cell(4), "");
    }

    #[test]
    fn the_action_menu_says_start_or_stop_and_names_the_session() {
        let id = Uuid::new_v4();
        let menu = action_menu(id, false);
        assert_eq!(menu[0], Some(("&Start", SessionAction::Toggle(id))));
        assert_eq!(action_menu(id, true)[0].unwrap().0, "&Stop");
        let actions: Vec<&str> = menu.iter().flatten().map(|(_, a)| a.name()).collect();
        assert_eq!(
            actions,
            [
                "toggle",
                "edit",
                "change-profile",
                "change-region",
                "create-chained",
                "test",
                "remove"
            ]
        );
        assert!(menu.iter().flatten().all(|(_, a)| a.session() == id));
        // Each label has one access key, and no two share one.
        let keys: BTreeSet<char> = menu
            .iter()
            .flatten()
            .map(|(label, _)| {
                assert_eq!(label.matches('&').count(), 1, "{label}");
                let at = label.find('&').unwrap();
                label[at + 1..].chars().next().unwrap().to_ascii_lowercase()
            })
            .collect();
        assert_eq!(keys.len(), 7);
    }

    #[test]
    fn a_thousand_rows_build_and_filter_quickly() {
        let mut state = State::new();
        for p in 0..40 {
            state.add_profile(&format!("p{p}")).unwrap();
        }
        for i in 0..1000 {
            state
                .add_session(sso(
                    &format!("acct{i} / Admin"),
                    &format!("p{}", i % 40),
                    &format!("{:012}", i),
                    &format!("Account {i}"),
                    "AdministratorAccess",
                ))
                .unwrap();
        }
        let model = build(&state, &BTreeSet::new());
        assert_eq!(model.rows.len(), 1000);
        assert_eq!(model.grouped(&Filter::default()).len(), 40);
        assert_eq!(
            aliases(&model.grouped(&Filter::new("acct99 p19"))[0].1),
            ["acct99 / Admin"]
        );
    }
}

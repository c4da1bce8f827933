//! The whole persistent state and its pure transitions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::profile::{validate_profile_name, DEFAULT_PROFILE};
use super::session::Session;
use super::text::{check_plain, shown};
use crate::awsfiles::ini::WriteRecord;

/// Version of the state file's schema; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// User settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Seconds before expiration at which a session is refreshed.
    pub rotation_margin_secs: u64,
    /// Whether the tray restarts, at launch, the sessions its Quit stopped.
    pub resume_at_launch: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rotation_margin_secs: 300,
            resume_at_launch: true,
        }
    }
}

/// What credtray wrote for an active session, so that stop removes exactly that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Active {
    /// The profile the credentials were written under (sessions may move later).
    pub profile: String,
    /// When the written credentials expire.
    pub expiration: DateTime<Utc>,
    /// When the credentials were last written.
    pub refreshed_at: DateTime<Utc>,
    /// How the credentials file was changed (replaced lines redacted on take-over).
    pub credentials: WriteRecord,
    /// How the config file was changed.
    pub config: WriteRecord,
    /// The user's own section was taken over; its bytes wait in the keychain.
    #[serde(default)]
    pub took_over: bool,
}

/// A write to the AWS files that may have reached them but that no [`Active`] describes:
/// recorded (and saved) before each file is written, and when a session stops, so that a
/// process killed half-way leaves a note the next one acts on. The next change of state
/// undoes it: the session is then stopped, and the files hold only what `active` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The session the write was for.
    pub session: Uuid,
    /// The profile written under.
    pub profile: String,
    /// The credentials file's change, once computed (redacted on take-over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<WriteRecord>,
    /// The config file's change, once computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<WriteRecord>,
    /// The user's own section was taken over; its bytes wait in the keychain.
    #[serde(default)]
    pub took_over: bool,
}

impl Pending {
    /// The note that undoes what `a` describes for `session` (a stop in progress).
    pub fn undoing(session: Uuid, a: Active) -> Pending {
        Pending {
            session,
            profile: a.profile,
            credentials: Some(a.credentials),
            config: Some(a.config),
            took_over: a.took_over,
        }
    }
}

/// Everything credtray remembers, as kept in the state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// [`SCHEMA_VERSION`] when written.
    pub schema_version: u32,
    /// User settings.
    #[serde(default)]
    pub settings: Settings,
    /// Named profiles, `default` first.
    pub profiles: Vec<String>,
    /// All sessions, in creation order.
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// Active sessions by id.
    #[serde(default)]
    pub active: BTreeMap<Uuid, Active>,
    /// Sessions the tray's Quit stopped, to start again at the next launch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resume: Vec<Uuid>,
    /// IAM Identity Center integrations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integrations: Vec<super::integration::Integration>,
    /// Writes to the AWS files not (yet, or no longer) described by `active`; undone by the
    /// next change (see [`Pending`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Pending>,
}

impl Default for State {
    fn default() -> Self {
        State {
            schema_version: SCHEMA_VERSION,
            settings: Settings::default(),
            profiles: vec![DEFAULT_PROFILE.to_string()],
            sessions: Vec::new(),
            active: BTreeMap::new(),
            resume: Vec::new(),
            integrations: Vec::new(),
            pending: Vec::new(),
        }
    }
}

/// A request the model refuses, with a message for the user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    /// No session matches.
    #[error("no session matches '{0}': see `credtray session list`")]
    NoSuchSession(String),
    /// Several sessions match a prefix.
    #[error("'{query}' matches several sessions ({}): give more of the id, or the alias", .candidates.join(", "))]
    AmbiguousSession {
        /// What the user typed.
        query: String,
        /// The aliases it matched.
        candidates: Vec<String>,
    },
    /// No such profile.
    #[error("there is no named profile '{0}': see `credtray profile list`")]
    NoSuchProfile(String),
    /// The profile name is taken.
    #[error("a named profile '{0}' already exists")]
    ProfileExists(String),
    /// The profile name is not valid.
    #[error("invalid profile name '{name}': {reason}")]
    InvalidProfileName {
        /// The name given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// `default` is special.
    #[error("the 'default' profile always exists: it cannot be renamed or removed")]
    DefaultProfile,
    /// The alias is taken or empty.
    #[error("invalid alias '{0}': {1}")]
    InvalidAlias(String, String),
    /// No integration matches.
    #[error("no integration matches '{0}': see `credtray integration list`")]
    NoSuchIntegration(String),
    /// An integration's fields are invalid or its alias is taken.
    #[error("{0}")]
    InvalidIntegration(String),
    /// Chaining would form a cycle.
    #[error("session '{0}' cannot have '{1}' as its parent: that would make a cycle")]
    Cycle(String, String),
    /// The session still has children.
    #[error("session '{0}' is the parent of {1}: remove those first, or pass --with-children")]
    HasChildren(String, String),
    /// A field is out of range or malformed.
    #[error("{0}")]
    InvalidField(String),
}

impl State {
    /// A fresh, empty state.
    pub fn new() -> State {
        State::default()
    }

    /// Repairs invariants a hand-edited file may break: `default` present and first.
    pub fn normalize(&mut self) {
        self.profiles.retain(|p| p != DEFAULT_PROFILE);
        self.profiles.insert(0, DEFAULT_PROFILE.to_string());
        let mut seen = BTreeSet::new();
        self.profiles.retain(|p| seen.insert(p.clone()));
    }

    /// The session with this id.
    pub fn session(&self, id: Uuid) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// The session with this id, mutable.
    pub fn session_mut(&mut self, id: Uuid) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }

    /// Finds a session by full id, alias, or unique id prefix.
    pub fn resolve(&self, query: &str) -> Result<&Session, ModelError> {
        let q = query.trim();
        if let Ok(id) = Uuid::parse_str(q) {
            if let Some(s) = self.session(id) {
                return Ok(s);
            }
        }
        if let Some(s) = self.sessions.iter().find(|s| s.alias == q) {
            return Ok(s);
        }
        let lower = q.to_ascii_lowercase();
        let matches: Vec<&Session> = if lower.is_empty() {
            Vec::new()
        } else {
            self.sessions
                .iter()
                .filter(|s| s.id.to_string().starts_with(&lower))
                .collect()
        };
        match matches.len() {
            0 => Err(ModelError::NoSuchSession(q.to_string())),
            1 => Ok(matches[0]),
            _ => Err(ModelError::AmbiguousSession {
                query: q.to_string(),
                candidates: matches.iter().map(|s| s.alias.clone()).collect(),
            }),
        }
    }

    /// Whether the named profile exists.
    pub fn has_profile(&self, name: &str) -> bool {
        self.profiles.iter().any(|p| p == name)
    }

    /// Adds a named profile.
    pub fn add_profile(&mut self, name: &str) -> Result<(), ModelError> {
        validate_profile_name(name).map_err(|reason| ModelError::InvalidProfileName {
            name: shown(name),
            reason,
        })?;
        if self.has_profile(name) {
            return Err(ModelError::ProfileExists(name.to_string()));
        }
        self.profiles.push(name.to_string());
        Ok(())
    }

    /// Makes sure `name` exists, adding it; returns whether it was created.
    pub fn ensure_profile(&mut self, name: &str) -> Result<bool, ModelError> {
        if self.has_profile(name) {
            return Ok(false);
        }
        self.add_profile(name)?;
        Ok(true)
    }

    /// Renames a profile and moves its sessions; the caller moves active credentials.
    pub fn rename_profile(&mut self, old: &str, new: &str) -> Result<(), ModelError> {
        if old == DEFAULT_PROFILE || new == DEFAULT_PROFILE {
            return Err(ModelError::DefaultProfile);
        }
        if !self.has_profile(old) {
            return Err(ModelError::NoSuchProfile(old.to_string()));
        }
        validate_profile_name(new).map_err(|reason| ModelError::InvalidProfileName {
            name: shown(new),
            reason,
        })?;
        if self.has_profile(new) {
            return Err(ModelError::ProfileExists(new.to_string()));
        }
        for p in self.profiles.iter_mut().filter(|p| *p == old) {
            *p = new.to_string();
        }
        for s in self.sessions.iter_mut().filter(|s| s.profile == old) {
            s.profile = new.to_string();
        }
        Ok(())
    }

    /// Removes a profile; its sessions move to `default`. Returns the moved sessions.
    pub fn remove_profile(&mut self, name: &str) -> Result<Vec<Uuid>, ModelError> {
        if name == DEFAULT_PROFILE {
            return Err(ModelError::DefaultProfile);
        }
        if !self.has_profile(name) {
            return Err(ModelError::NoSuchProfile(name.to_string()));
        }
        self.profiles.retain(|p| p != name);
        let mut moved = Vec::new();
        for s in self.sessions.iter_mut().filter(|s| s.profile == name) {
            s.profile = DEFAULT_PROFILE.to_string();
            moved.push(s.id);
        }
        Ok(moved)
    }

    /// Sessions bound to a profile.
    pub fn sessions_on(&self, profile: &str) -> impl Iterator<Item = &Session> {
        let profile = profile.to_string();
        self.sessions.iter().filter(move |s| s.profile == profile)
    }

    /// The active session whose credentials are written under `profile`, if any.
    pub fn active_on(&self, profile: &str) -> Option<Uuid> {
        self.active
            .iter()
            .find(|(_, a)| a.profile == profile)
            .map(|(id, _)| *id)
    }

    /// Checks an alias for a session (`own` = the session being edited, if any).
    pub fn check_alias(&self, alias: &str, own: Option<Uuid>) -> Result<(), ModelError> {
        let bad = |why: &str| Err(ModelError::InvalidAlias(shown(alias), why.to_string()));
        if alias.trim().is_empty() {
            return bad("an alias cannot be empty");
        }
        if let Err(why) = check_plain(alias) {
            return bad(&why);
        }
        if alias.trim() != alias {
            return bad("an alias cannot start or end with spaces");
        }
        if Uuid::parse_str(alias).is_ok() {
            return bad("an alias cannot look like a session id");
        }
        if self
            .sessions
            .iter()
            .any(|s| s.alias == alias && Some(s.id) != own)
        {
            return bad("another session already has this alias");
        }
        Ok(())
    }

    /// The chain from the root session down to `id` (inclusive), refusing cycles and
    /// missing parents.
    pub fn chain(&self, id: Uuid) -> Result<Vec<&Session>, ModelError> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            if !seen.insert(c) {
                let s = self
                    .session(id)
                    .map(|s| s.alias.clone())
                    .unwrap_or_default();
                return Err(ModelError::Cycle(s, c.to_string()));
            }
            let s = self
                .session(c)
                .ok_or_else(|| ModelError::NoSuchSession(c.to_string()))?;
            out.push(s);
            cur = s.kind.parent();
        }
        out.reverse();
        Ok(out)
    }

    /// Whether making `parent` the parent of `child` would form a cycle.
    pub fn would_cycle(&self, child: Uuid, parent: Uuid) -> bool {
        let mut cur = Some(parent);
        let mut seen = BTreeSet::new();
        while let Some(c) = cur {
            if c == child || !seen.insert(c) {
                return true;
            }
            cur = self.session(c).and_then(|s| s.kind.parent());
        }
        false
    }

    /// Direct and indirect children of `id`, closest first.
    pub fn descendants(&self, id: Uuid) -> Vec<Uuid> {
        let mut out = Vec::new();
        let mut frontier = vec![id];
        while let Some(p) = frontier.pop() {
            for s in &self.sessions {
                if s.kind.parent() == Some(p) && !out.contains(&s.id) && s.id != id {
                    out.push(s.id);
                    frontier.push(s.id);
                }
            }
        }
        out
    }

    /// Adds a validated session (alias unique, profile existing, parent existing, no cycle).
    pub fn add_session(&mut self, session: Session) -> Result<(), ModelError> {
        self.validate_session(&session)?;
        self.sessions.push(session);
        Ok(())
    }

    /// Replaces a session with an edited copy, validated as on add.
    pub fn replace_session(&mut self, session: Session) -> Result<(), ModelError> {
        self.validate_session(&session)?;
        let slot = self
            .session_mut(session.id)
            .ok_or_else(|| ModelError::NoSuchSession(session.id.to_string()))?;
        *slot = session;
        Ok(())
    }

    fn validate_session(&self, s: &Session) -> Result<(), ModelError> {
        self.check_alias(&s.alias, Some(s.id))?;
        if !self.has_profile(&s.profile) {
            return Err(ModelError::NoSuchProfile(s.profile.clone()));
        }
        if s.region.trim().is_empty() || s.region.chars().any(|c| c.is_whitespace()) {
            return Err(ModelError::InvalidField(format!(
                "invalid region '{}' for session '{}'",
                s.region, s.alias
            )));
        }
        super::fields::check_kind(&s.kind)
            .map_err(|why| ModelError::InvalidField(format!("session '{}': {why}", s.alias)))?;
        if let Some(p) = s.kind.parent() {
            let parent = self
                .session(p)
                .ok_or_else(|| ModelError::NoSuchSession(p.to_string()))?;
            if self.would_cycle(s.id, p) {
                return Err(ModelError::Cycle(s.alias.clone(), parent.alias.clone()));
            }
        }
        Ok(())
    }

    /// Removes a session, and its descendants when `with_children`; returns the removed ids.
    pub fn remove_session(
        &mut self,
        id: Uuid,
        with_children: bool,
    ) -> Result<Vec<Uuid>, ModelError> {
        let s = self
            .session(id)
            .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
        let kids = self.descendants(id);
        if !kids.is_empty() && !with_children {
            let names: Vec<String> = kids
                .iter()
                .filter_map(|k| self.session(*k).map(|s| format!("'{}'", s.alias)))
                .collect();
            return Err(ModelError::HasChildren(s.alias.clone(), names.join(", ")));
        }
        let mut removed = vec![id];
        removed.extend(kids);
        self.sessions.retain(|s| !removed.contains(&s.id));
        for r in &removed {
            self.active.remove(r);
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::{ChainedRole, SessionKind};

    fn user(alias: &str) -> Session {
        Session {
            region: "us-east-1".into(),
            ..crate::testing::iam_user(alias, "default")
        }
    }

    fn role(alias: &str, parent: Uuid) -> Session {
        Session {
            id: Uuid::new_v4(),
            alias: alias.into(),
            profile: "default".into(),
            region: "us-east-1".into(),
            kind: SessionKind::IamRoleChained(ChainedRole {
                parent,
                role_arn: "arn:aws:iam::123456789012:role/R".into(),
                role_session_name: "credtray".into(),
                external_id: None,
                duration_secs: 3600,
            }),
        }
    }

    #[test]
    fn resolves_by_id_alias_and_unique_prefix() {
        let mut st = State::new();
        let a = user("alice");
        let b = user("bob");
        st.add_session(a.clone()).unwrap();
        st.add_session(b.clone()).unwrap();
        assert_eq!(st.resolve("alice").unwrap().id, a.id);
        assert_eq!(st.resolve(&b.id.to_string()).unwrap().id, b.id);
        let prefix = &a.id.to_string()[..8];
        if !b.id.to_string().starts_with(prefix) {
            assert_eq!(st.resolve(prefix).unwrap().id, a.id);
        }
        assert!(matches!(
            st.resolve("zzz"),
            Err(ModelError::NoSuchSession(_))
        ));
        assert!(matches!(st.resolve(""), Err(ModelError::NoSuchSession(_))));
    }

    #[test]
    fn ambiguous_prefix_is_refused() {
        let mut st = State::new();
        let mut a = user("a");
        let mut b = user("b");
        a.id = Uuid::parse_str("aaaaaaaa-0000-4000-8000-000000000001").unwrap();
        b.id = Uuid::parse_str("aaaaaaaa-0000-4000-8000-000000000002").unwrap();
        st.add_session(a).unwrap();
        st.add_session(b).unwrap();
        let err = st.resolve("aaaa").unwrap_err();
        assert!(matches!(err, ModelError::AmbiguousSession { .. }));
        assert!(err.to_string().contains("a, b"));
    }

    #[test]
    fn cycles_are_refused_at_any_depth() {
        let mut st = State::new();
        let u = user("u");
        let r1 = role("r1", u.id);
        let r2 = role("r2", r1.id);
        let r3 = role("r3", r2.id);
        for s in [&u, &r1, &r2, &r3] {
            st.add_session(s.clone()).unwrap();
        }
        let mut bad = r1.clone();
        if let SessionKind::IamRoleChained(r) = &mut bad.kind {
            r.parent = r3.id;
        }
        assert!(matches!(
            st.replace_session(bad),
            Err(ModelError::Cycle(_, _))
        ));
        let mut selfish = r2.clone();
        if let SessionKind::IamRoleChained(r) = &mut selfish.kind {
            r.parent = r2.id;
        }
        assert!(st.replace_session(selfish).is_err());
        let chain: Vec<_> = st.chain(r3.id).unwrap().iter().map(|s| s.id).collect();
        assert_eq!(chain, vec![u.id, r1.id, r2.id, r3.id]);
    }

    #[test]
    fn removing_a_parent_needs_consent_and_takes_children() {
        let mut st = State::new();
        let u = user("u");
        let r1 = role("r1", u.id);
        let r2 = role("r2", r1.id);
        for s in [&u, &r1, &r2] {
            st.add_session(s.clone()).unwrap();
        }
        assert!(matches!(
            st.remove_session(u.id, false),
            Err(ModelError::HasChildren(_, _))
        ));
        let removed = st.remove_session(u.id, true).unwrap();
        assert_eq!(removed.len(), 3);
        assert!(st.sessions.is_empty());
    }

    #[test]
    fn aliases_are_unique_and_sane() {
        let mut st = State::new();
        st.add_session(user("a")).unwrap();
        assert!(st.add_session(user("a")).is_err());
        assert!(st.add_session(user(" ")).is_err());
        assert!(st.add_session(user(" padded")).is_err());
    }

    #[test]
    fn aliases_and_profile_names_that_display_differently_are_refused_by_code_point() {
        let mut st = State::new();
        let err = st.add_session(user("a\u{202E}b")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid alias 'a<U+202E>b': it contains U+202E (a right-to-left override), \
             which would make it display differently from what it is; use plain characters"
        );
        let err = st.add_session(user("tab\there")).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "invalid alias 'tab<U+0009>here': it contains U+0009 (a control character)"
            ),
            "{err}"
        );
        assert!(st.add_session(user("zero\u{200B}width")).is_err());
        assert!(st.sessions.is_empty());
        // Markup and mnemonic characters are plain text: allowed.
        st.add_session(user("<b>x</b> & y")).unwrap();
        st.add_session(user("a_b & c")).unwrap();

        let err = st.add_profile("dev\u{2066}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid profile name 'dev<U+2066>': it contains U+2066 (a left-to-right \
             isolate), which would make it display differently from what it is; use plain \
             characters"
        );
        st.add_profile("dev").unwrap();
        assert!(st.rename_profile("dev", "d\u{FEFF}ev").is_err());
        assert_eq!(st.profiles, vec!["default", "dev"]);
    }

    #[test]
    fn profiles_rename_and_remove_follow_the_rules() {
        let mut st = State::new();
        st.add_profile("dev").unwrap();
        assert_eq!(
            st.add_profile("dev"),
            Err(ModelError::ProfileExists("dev".into()))
        );
        assert!(st.add_profile("bad name").is_err());
        let mut s = user("s");
        s.profile = "dev".into();
        st.add_session(s.clone()).unwrap();
        st.rename_profile("dev", "prod").unwrap();
        assert_eq!(st.session(s.id).unwrap().profile, "prod");
        assert_eq!(
            st.rename_profile("default", "x"),
            Err(ModelError::DefaultProfile)
        );
        assert_eq!(
            st.remove_profile("default"),
            Err(ModelError::DefaultProfile)
        );
        assert_eq!(st.remove_profile("prod").unwrap(), vec![s.id]);
        assert_eq!(st.session(s.id).unwrap().profile, "default");
        assert_eq!(st.profiles, vec!["default"]);
    }

    #[test]
    fn normalize_puts_default_first_once() {
        let mut st = State::new();
        st.profiles = vec!["b".into(), "default".into(), "b".into()];
        st.normalize();
        assert_eq!(st.profiles, vec!["default", "b"]);
    }
}

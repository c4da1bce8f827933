//! Edits as patches: an edit names the fields it changes, and is applied to the session as
//! the state holds it when the edit lands (under the lock), so a dialog left open for
//! minutes cannot undo what the CLI or the agent changed meanwhile. No I/O.

use uuid::Uuid;

use super::session::{Session, SessionKind};
use super::state::{ModelError, State};

/// The fields an edit changes; `None` leaves a field alone. For the optional fields
/// (`mfa_serial`, `external_id`), `Some(None)` removes the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionPatch {
    /// New alias (not for `aws-sso`: it follows the portal).
    pub alias: Option<String>,
    /// New named profile (created when missing).
    pub profile: Option<String>,
    /// New region.
    pub region: Option<String>,
    /// New MFA device (`iam-user`).
    pub mfa_serial: Option<Option<String>>,
    /// New DurationSeconds (`iam-user`, `iam-role-chained`, `iam-role-federated`).
    pub duration_secs: Option<u32>,
    /// New assumer session (`iam-role-chained`).
    pub parent: Option<Uuid>,
    /// New role ARN (`iam-role-chained`, `iam-role-federated`).
    pub role_arn: Option<String>,
    /// New RoleSessionName (`iam-role-chained`).
    pub role_session_name: Option<String>,
    /// New ExternalId (`iam-role-chained`).
    pub external_id: Option<Option<String>>,
    /// New IdP ARN (`iam-role-federated`).
    pub idp_arn: Option<String>,
    /// New SAML sign-in URL (`iam-role-federated`).
    pub saml_url: Option<String>,
}

/// What an applied patch changed, for the engine to act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effect {
    /// The profile or region changed: an active session's sections must move.
    pub moved: bool,
    /// How its credentials are obtained changed: an active session (and what is chained
    /// below it) must restart, so the old credentials are not served until the next
    /// rotation.
    pub credentials: bool,
    /// The cached GetSessionToken credentials of an `iam-user` no longer fit (its MFA
    /// device or duration changed).
    pub stale_token: bool,
}

impl SessionPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == SessionPatch::default()
    }

    /// The command-line names of the fields set, for messages.
    pub fn field_names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |set: bool, name| {
            if set {
                out.push(name);
            }
        };
        add(self.alias.is_some(), "alias");
        add(self.profile.is_some(), "profile");
        add(self.region.is_some(), "region");
        add(self.mfa_serial.is_some(), "mfa-serial");
        add(self.duration_secs.is_some(), "duration");
        add(self.parent.is_some(), "parent");
        add(self.role_arn.is_some(), "role-arn");
        add(self.role_session_name.is_some(), "role-session-name");
        add(self.external_id.is_some(), "external-id");
        add(self.idp_arn.is_some(), "idp-arn");
        add(self.saml_url.is_some(), "saml-url");
        out
    }

    /// The fields set that `kind` does not have.
    fn foreign_fields(&self, kind: &SessionKind) -> Vec<&'static str> {
        let allowed: &[&str] = match kind {
            SessionKind::IamUser(_) => &["alias", "profile", "region", "mfa-serial", "duration"],
            SessionKind::IamRoleChained(_) => &[
                "alias",
                "profile",
                "region",
                "duration",
                "parent",
                "role-arn",
                "role-session-name",
                "external-id",
            ],
            SessionKind::IamRoleFederated(_) => &[
                "alias", "profile", "region", "duration", "role-arn", "idp-arn", "saml-url",
            ],
            SessionKind::AwsSso(_) => &["profile", "region"],
        };
        self.field_names()
            .into_iter()
            .filter(|f| !allowed.contains(f))
            .collect()
    }

    /// The session with the patch applied (not yet validated against the state: see
    /// [`State::apply_patch`]), and what changed. Refuses fields its kind does not have,
    /// naming them and the session.
    pub fn applied_to(&self, s: &Session) -> Result<(Session, Effect), ModelError> {
        let foreign = self.foreign_fields(&s.kind);
        if !foreign.is_empty() {
            let list: Vec<String> = foreign.iter().map(|f| format!("--{f}")).collect();
            let why = match s.kind {
                SessionKind::AwsSso(_) => format!(
                    "session '{}' comes from an IAM Identity Center integration: only its profile and region can change (its alias, account and role follow the portal), not {}",
                    s.alias,
                    list.join(", ")
                ),
                _ => format!(
                    "session '{}' is an {} session; options that do not apply to it: {}",
                    s.alias,
                    s.kind.name().as_str(),
                    list.join(", ")
                ),
            };
            return Err(ModelError::InvalidField(why));
        }
        let mut e = s.clone();
        let trimmed = |v: &Option<String>| v.as_ref().map(|v| v.trim().to_string());
        if let Some(a) = trimmed(&self.alias) {
            e.alias = a;
        }
        if let Some(p) = trimmed(&self.profile) {
            e.profile = p;
        }
        if let Some(r) = trimmed(&self.region) {
            e.region = r;
        }
        let optional = |v: &Option<String>| {
            v.as_ref()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        match &mut e.kind {
            SessionKind::IamUser(u) => {
                if let Some(m) = &self.mfa_serial {
                    u.mfa_serial = optional(m);
                }
                if let Some(d) = self.duration_secs {
                    u.duration_secs = d;
                }
            }
            SessionKind::IamRoleChained(r) => {
                if let Some(p) = self.parent {
                    r.parent = p;
                }
                if let Some(a) = trimmed(&self.role_arn) {
                    r.role_arn = a;
                }
                if let Some(n) = trimmed(&self.role_session_name) {
                    r.role_session_name = n;
                }
                if let Some(x) = &self.external_id {
                    r.external_id = optional(x);
                }
                if let Some(d) = self.duration_secs {
                    r.duration_secs = d;
                }
            }
            SessionKind::IamRoleFederated(f) => {
                if let Some(a) = trimmed(&self.role_arn) {
                    f.role_arn = a;
                }
                if let Some(a) = trimmed(&self.idp_arn) {
                    f.idp_arn = a;
                }
                if let Some(u) = trimmed(&self.saml_url) {
                    f.saml_url = u;
                }
                if let Some(d) = self.duration_secs {
                    f.duration_secs = d;
                }
            }
            SessionKind::AwsSso(_) => {}
        }
        let stale_token = match (&s.kind, &e.kind) {
            (SessionKind::IamUser(a), SessionKind::IamUser(b)) => a != b,
            _ => false,
        };
        let effect = Effect {
            moved: s.profile != e.profile || s.region != e.region,
            credentials: s.kind != e.kind,
            stale_token,
        };
        Ok((e, effect))
    }
}

impl State {
    /// Applies a patch to session `id` as the state holds it now: the profile is created
    /// when missing, and the result is validated as on add (alias, region, kind fields,
    /// no cycle). Nothing changes on an error.
    pub fn apply_patch(&mut self, id: Uuid, patch: &SessionPatch) -> Result<Effect, ModelError> {
        let current = self
            .session(id)
            .cloned()
            .ok_or_else(|| ModelError::NoSuchSession(id.to_string()))?;
        let (edited, effect) = patch.applied_to(&current)?;
        let mut probe = self.clone();
        probe.ensure_profile(&edited.profile)?;
        probe.replace_session(edited)?;
        *self = probe;
        Ok(effect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::ChainedRole;

    fn state() -> (State, Uuid, Uuid) {
        let mut st = State::new();
        let user = Session {
            region: "us-east-1".into(),
            ..crate::testing::iam_user("me", "default")
        };
        let role = Session {
            id: Uuid::new_v4(),
            alias: "admin".into(),
            profile: "default".into(),
            region: "us-east-1".into(),
            kind: SessionKind::IamRoleChained(ChainedRole {
                parent: user.id,
                role_arn: "arn:aws:iam::123456789012:role/A".into(),
                role_session_name: "credtray".into(),
                external_id: None,
                duration_secs: 3600,
            }),
        };
        let (u, r) = (user.id, role.id);
        st.add_session(user).unwrap();
        st.add_session(role).unwrap();
        (st, u, r)
    }

    #[test]
    fn patches_of_different_fields_both_survive() {
        let (mut st, _, r) = state();
        let a = SessionPatch {
            region: Some("eu-west-1".into()),
            ..SessionPatch::default()
        };
        let b = SessionPatch {
            role_arn: Some("arn:aws:iam::123456789012:role/B".into()),
            ..SessionPatch::default()
        };
        assert_eq!(
            st.apply_patch(r, &a).unwrap(),
            Effect {
                moved: true,
                ..Effect::default()
            }
        );
        assert_eq!(
            st.apply_patch(r, &b).unwrap(),
            Effect {
                credentials: true,
                ..Effect::default()
            }
        );
        let s = st.session(r).unwrap();
        assert_eq!(s.region, "eu-west-1");
        let SessionKind::IamRoleChained(c) = &s.kind else {
            panic!()
        };
        assert_eq!(c.role_arn, "arn:aws:iam::123456789012:role/B");
    }

    #[test]
    fn fields_the_kind_lacks_are_refused_by_name_and_nothing_changes() {
        let (mut st, u, r) = state();
        let before = st.clone();
        let e = st
            .apply_patch(
                u,
                &SessionPatch {
                    region: Some("eu-west-1".into()),
                    role_arn: Some("arn:aws:iam::123456789012:role/B".into()),
                    ..SessionPatch::default()
                },
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("--role-arn") && e.contains("'me'"), "{e}");
        let e = st
            .apply_patch(
                r,
                &SessionPatch {
                    parent: Some(r),
                    ..SessionPatch::default()
                },
            )
            .unwrap_err();
        assert!(matches!(e, ModelError::Cycle(..)));
        let e = st
            .apply_patch(
                r,
                &SessionPatch {
                    duration_secs: Some(60),
                    ..SessionPatch::default()
                },
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("duration"), "{e}");
        assert_eq!(st, before);
    }

    #[test]
    fn a_new_profile_is_created_and_an_unchanged_value_has_no_effect() {
        let (mut st, u, _) = state();
        let e = st
            .apply_patch(
                u,
                &SessionPatch {
                    profile: Some("work".into()),
                    mfa_serial: Some(Some("arn:aws:iam::123456789012:mfa/me".into())),
                    ..SessionPatch::default()
                },
            )
            .unwrap();
        assert!(e.moved && e.credentials && e.stale_token);
        assert!(st.has_profile("work"));
        let same = st
            .apply_patch(
                u,
                &SessionPatch {
                    region: Some("us-east-1".into()),
                    ..SessionPatch::default()
                },
            )
            .unwrap();
        assert_eq!(same, Effect::default());
    }
}

//! Checks a loaded state before anything uses it: a hand-edited or damaged file with values
//! out of range is refused with a message naming the field, instead of reaching code that
//! would misbehave (a margin larger than any lifetime, a date past what the clock can add to).

use chrono::{DateTime, TimeZone, Utc};

use super::profile::validate_profile_name;
use super::session::{
    SessionKind, FEDERATED_DURATION_RANGE, ROLE_DURATION_RANGE, USER_DURATION_RANGE,
};
use super::state::State;

/// Bounds of `settings.rotation_margin_secs` (10 seconds to 12 hours).
pub const ROTATION_MARGIN_RANGE: (u64, u64) = (10, 43_200);

/// The earliest and latest instants a stored expiration may hold.
fn plausible_dates() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

fn in_range<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    (lo, hi): (T, T),
    unit: &str,
) -> Result<(), String> {
    if value < lo || value > hi {
        return Err(format!("{field} is {value}, outside {lo}–{hi}{unit}"));
    }
    Ok(())
}

impl State {
    /// Checks every value a hand edit could put out of range; the error names the field
    /// (`settings.rotation_margin_secs`, `sessions[2] ('dev').duration_secs`,
    /// `active.<id>.expiration`, …) and the range it must be in.
    pub fn check_values(&self) -> Result<(), String> {
        in_range(
            "settings.rotation_margin_secs",
            self.settings.rotation_margin_secs,
            ROTATION_MARGIN_RANGE,
            " seconds",
        )?;
        for (i, p) in self.profiles.iter().enumerate() {
            validate_profile_name(p).map_err(|why| format!("profiles[{i}] '{p}': {why}"))?;
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, s) in self.sessions.iter().enumerate() {
            let at = format!("sessions[{i}] ('{}')", s.alias);
            if !ids.insert(s.id) {
                return Err(format!("{at}.id {} is used by two sessions", s.id));
            }
            if !self.has_profile(&s.profile) {
                return Err(format!(
                    "{at}.profile '{}' is not in the list of profiles",
                    s.profile
                ));
            }
            let range = match &s.kind {
                SessionKind::IamUser(_) => Some(USER_DURATION_RANGE),
                SessionKind::IamRoleChained(_) => Some(ROLE_DURATION_RANGE),
                SessionKind::IamRoleFederated(_) => Some(FEDERATED_DURATION_RANGE),
                SessionKind::AwsSso(_) => None,
            };
            if let (Some(range), Some(d)) = (range, s.kind.duration_secs()) {
                in_range(&format!("{at}.duration_secs"), d, range, " seconds")?;
            }
            if let Some(i) = s.kind.integration() {
                if self.integration(i).is_none() {
                    return Err(format!("{at}.integration {i} names no integration"));
                }
            }
            if let Some(parent) = s.kind.parent() {
                if self.session(parent).is_none() {
                    return Err(format!("{at}.parent {parent} names no session"));
                }
            }
        }
        for s in &self.sessions {
            if let Err(e) = self.chain(s.id) {
                return Err(format!("session '{}': {e}", s.alias));
            }
        }
        let mut aliases = std::collections::BTreeSet::new();
        for (i, g) in self.integrations.iter().enumerate() {
            if !aliases.insert(g.alias.as_str()) {
                return Err(format!(
                    "integrations[{i}].alias '{}' is used twice",
                    g.alias
                ));
            }
            super::integration::validate_integration(g)
                .map_err(|why| format!("integrations[{i}] ('{}'): {why}", g.alias))?;
        }
        let dates = plausible_dates();
        for g in &self.integrations {
            if let Some(s) = &g.sign_in {
                in_range(
                    &format!("integrations ('{}').sign_in.expires_at", g.alias),
                    s.expires_at,
                    dates,
                    "",
                )?;
            }
        }
        for (id, a) in &self.active {
            in_range(&format!("active.{id}.expiration"), a.expiration, dates, "")?;
            in_range(
                &format!("active.{id}.refreshed_at"),
                a.refreshed_at,
                dates,
                "",
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::awsfiles::ini::WriteRecord;
    use crate::model::{Active, IamUser, Session};
    use uuid::Uuid;

    fn user(alias: &str, duration: u32) -> Session {
        Session {
            id: Uuid::new_v4(),
            alias: alias.into(),
            profile: "default".into(),
            region: "eu-west-1".into(),
            kind: SessionKind::IamUser(IamUser {
                mfa_serial: None,
                duration_secs: duration,
            }),
        }
    }

    fn record() -> WriteRecord {
        WriteRecord {
            section: "default".into(),
            created_section: true,
            keys: Vec::new(),
            added_final_newline: false,
            added_blank_line: false,
        }
    }

    #[test]
    fn sane_values_pass_and_absurd_ones_name_their_field() {
        let mut st = State::new();
        st.add_session(user("ok", 3600)).unwrap();
        assert_eq!(st.check_values(), Ok(()));

        let mut bad = st.clone();
        bad.settings.rotation_margin_secs = u64::MAX;
        let e = bad.check_values().unwrap_err();
        assert!(e.contains("settings.rotation_margin_secs"), "{e}");

        let mut bad = st.clone();
        bad.sessions[0].kind = SessionKind::IamUser(IamUser {
            mfa_serial: None,
            duration_secs: 5,
        });
        let e = bad.check_values().unwrap_err();
        assert!(e.contains("sessions[0] ('ok').duration_secs is 5"), "{e}");

        let mut bad = st.clone();
        let id = bad.sessions[0].id;
        bad.active.insert(
            id,
            Active {
                profile: "default".into(),
                expiration: DateTime::<Utc>::MAX_UTC,
                refreshed_at: Utc::now(),
                credentials: record(),
                config: record(),
                took_over: false,
            },
        );
        let e = bad.check_values().unwrap_err();
        assert!(e.contains(&format!("active.{id}.expiration")), "{e}");

        let mut bad = st.clone();
        bad.sessions[0].profile = "nowhere".into();
        assert!(bad
            .check_values()
            .unwrap_err()
            .contains(".profile 'nowhere'"));
    }
}

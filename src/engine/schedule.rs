//! The deadline scheduler's pure part: given the state, the clock and what has failed,
//! what is due when. The agent sleeps until the earliest deadline; no polling.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::model::State;

/// What to do for an active session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Obtain fresh credentials and write them.
    Refresh,
    /// The credentials have run out: remove them from the file.
    Expire,
}

/// One deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The session.
    pub session: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub action: Action,
}

/// Why a session's refresh is held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// A refresh failed; try again at this time.
    RetryAt(DateTime<Utc>),
    /// The refresh needs the user (an MFA code): do not try again by itself.
    NeedsUser,
}

/// Holds keyed by session and by the `refreshed_at` they apply to, so that a start by the
/// user (which changes `refreshed_at`) clears them.
pub type Holds = BTreeMap<Uuid, (DateTime<Utc>, Hold)>;

/// The shortest time between two writes of one session, so that a margin longer than the
/// credentials' lifetime cannot make the agent call STS in a loop.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::seconds(10);

/// Every deadline of the active sessions, earliest first: a refresh `margin` before each
/// expiration (or at the retry time after a failure), and the expiration itself.
pub fn plan(state: &State, margin: Duration, holds: &Holds) -> Vec<Due> {
    let mut out = Vec::new();
    for (id, active) in &state.active {
        let hold = holds
            .get(id)
            .filter(|(refreshed, _)| *refreshed == active.refreshed_at)
            .map(|(_, h)| *h);
        let refresh_at = match hold {
            None => {
                Some((active.expiration - margin).max(active.refreshed_at + MIN_REFRESH_INTERVAL))
            }
            Some(Hold::RetryAt(t)) => Some(t),
            Some(Hold::NeedsUser) => None,
        };
        if let Some(at) = refresh_at.filter(|at| *at < active.expiration) {
            out.push(Due {
                session: *id,
                at,
                action: Action::Refresh,
            });
        }
        out.push(Due {
            session: *id,
            at: active.expiration,
            action: Action::Expire,
        });
    }
    out.sort_by_key(|d| (d.at, d.action == Action::Refresh));
    out
}

/// The deadlines that are due at `now`, at most one per session (an expiry wins).
pub fn due(plan: &[Due], now: DateTime<Utc>) -> Vec<Due> {
    let mut out: Vec<Due> = Vec::new();
    for d in plan.iter().filter(|d| d.at <= now) {
        match out.iter_mut().find(|o| o.session == d.session) {
            Some(o) if d.action == Action::Expire => *o = *d,
            Some(_) => {}
            None => out.push(*d),
        }
    }
    out
}

/// The earliest deadline after `now`, if any.
pub fn next_wakeup(plan: &[Due], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    plan.iter().map(|d| d.at).filter(|at| *at > now).min()
}

/// When each signed-in integration's access token is to be renewed: `margin` before it
/// expires, or at the retry time held for it after a failure; none for an integration that
/// cannot renew by itself (no refresh token, or marked expired: it needs the user).
pub fn token_plan(
    state: &State,
    margin: Duration,
    retries: &BTreeMap<Uuid, DateTime<Utc>>,
) -> Vec<(Uuid, DateTime<Utc>)> {
    let mut out: Vec<(Uuid, DateTime<Utc>)> = state
        .integrations
        .iter()
        .filter_map(|i| {
            let s = i.sign_in.as_ref()?;
            if s.expired || !s.refreshable {
                return None;
            }
            Some((
                i.id,
                retries.get(&i.id).copied().unwrap_or(s.expires_at - margin),
            ))
        })
        .collect();
    out.sort_by_key(|(_, at)| *at);
    out
}

/// When to retry after a failed refresh: half the time left, at least 10 s, at most 5 min,
/// and never past the expiration.
pub fn retry_at(now: DateTime<Utc>, expiration: DateTime<Utc>) -> DateTime<Utc> {
    let left = expiration - now;
    let wait = (left / 2).clamp(Duration::seconds(10), Duration::minutes(5));
    (now + wait).min(expiration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::awsfiles::ini::WriteRecord;
    use crate::model::Active;

    fn record() -> WriteRecord {
        crate::testing::created_section("p")
    }

    fn state_with(expirations: &[(Uuid, DateTime<Utc>)], refreshed: DateTime<Utc>) -> State {
        let mut st = State::new();
        for (id, exp) in expirations {
            st.active.insert(
                *id,
                Active {
                    profile: format!("p{id}"),
                    expiration: *exp,
                    refreshed_at: refreshed,
                    credentials: record(),
                    config: record(),
                    took_over: false,
                },
            );
        }
        st
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn tokens_are_renewed_a_margin_before_they_expire_unless_they_cannot_be() {
        use crate::model::{Integration, SignIn};
        let mut st = State::new();
        let mk = |alias: &str, sign_in: Option<SignIn>| Integration {
            id: Uuid::new_v4(),
            alias: alias.into(),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in,
            synced_at: None,
        };
        let exp = t0() + Duration::hours(1);
        let ok = mk(
            "ok",
            Some(SignIn {
                expires_at: exp,
                refreshable: true,
                expired: false,
            }),
        );
        let no_refresh = mk(
            "nr",
            Some(SignIn {
                expires_at: exp,
                refreshable: false,
                expired: false,
            }),
        );
        let expired = mk(
            "ex",
            Some(SignIn {
                expires_at: exp,
                refreshable: true,
                expired: true,
            }),
        );
        let out = mk("out", None);
        let ok_id = ok.id;
        st.integrations = vec![ok, no_refresh, expired, out];
        let plan = token_plan(&st, Duration::minutes(5), &BTreeMap::new());
        assert_eq!(plan, vec![(ok_id, exp - Duration::minutes(5))]);
        let retry = BTreeMap::from([(ok_id, t0() + Duration::minutes(7))]);
        assert_eq!(
            token_plan(&st, Duration::minutes(5), &retry)[0].1,
            t0() + Duration::minutes(7)
        );
    }

    #[test]
    fn refresh_fires_at_expiry_minus_margin_under_a_fake_clock() {
        let a = Uuid::new_v4();
        let exp = t0() + Duration::hours(1);
        let st = state_with(&[(a, exp)], t0());
        let margin = Duration::minutes(5);
        let p = plan(&st, margin, &Holds::new());
        let mut clock = t0();
        assert!(due(&p, clock).is_empty());
        assert_eq!(next_wakeup(&p, clock), Some(exp - margin));
        clock = exp - margin - Duration::seconds(1);
        assert!(due(&p, clock).is_empty());
        clock += Duration::seconds(1);
        assert_eq!(
            due(&p, clock),
            vec![Due {
                session: a,
                at: exp - margin,
                action: Action::Refresh
            }]
        );
        assert_eq!(next_wakeup(&p, clock), Some(exp));
    }

    #[test]
    fn a_margin_longer_than_the_lifetime_does_not_loop() {
        let a = Uuid::new_v4();
        let exp = t0() + Duration::minutes(15);
        let st = state_with(&[(a, exp)], t0());
        let p = plan(&st, Duration::hours(2), &Holds::new());
        assert_eq!(p[0].at, t0() + MIN_REFRESH_INTERVAL);
        assert!(due(&p, t0()).is_empty());
    }

    #[test]
    fn expiry_wins_when_both_are_due() {
        let a = Uuid::new_v4();
        let exp = t0() + Duration::minutes(10);
        let st = state_with(&[(a, exp)], t0());
        let p = plan(&st, Duration::minutes(5), &Holds::new());
        let d = due(&p, exp + Duration::seconds(3));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].action, Action::Expire);
    }

    #[test]
    fn a_session_needing_the_user_only_expires() {
        let a = Uuid::new_v4();
        let exp = t0() + Duration::hours(1);
        let st = state_with(&[(a, exp)], t0());
        let mut holds = Holds::new();
        holds.insert(a, (t0(), Hold::NeedsUser));
        let p = plan(&st, Duration::minutes(5), &holds);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].action, Action::Expire);
        assert_eq!(next_wakeup(&p, t0()), Some(exp));
    }

    #[test]
    fn a_hold_from_an_older_start_is_ignored() {
        let a = Uuid::new_v4();
        let exp = t0() + Duration::hours(1);
        let st = state_with(&[(a, exp)], t0() + Duration::seconds(5));
        let mut holds = Holds::new();
        holds.insert(a, (t0(), Hold::NeedsUser));
        let p = plan(&st, Duration::minutes(5), &holds);
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn retries_back_off_and_never_pass_expiry() {
        let exp = t0() + Duration::hours(1);
        assert_eq!(retry_at(t0(), exp), t0() + Duration::minutes(5));
        let late = exp - Duration::seconds(12);
        assert_eq!(retry_at(late, exp), late + Duration::seconds(10));
        let later = exp - Duration::seconds(4);
        assert_eq!(retry_at(later, exp), exp);
        let a = Uuid::new_v4();
        let st = state_with(&[(a, exp)], t0());
        let mut holds = Holds::new();
        holds.insert(a, (t0(), Hold::RetryAt(t0() + Duration::minutes(58))));
        let p = plan(&st, Duration::minutes(5), &holds);
        assert_eq!(p[0].at, t0() + Duration::minutes(58));
    }

    #[test]
    fn many_sessions_are_ordered_by_deadline() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
        let exps: Vec<(Uuid, DateTime<Utc>)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, t0() + Duration::minutes(60 - 10 * i as i64)))
            .collect();
        let st = state_with(&exps, t0());
        let p = plan(&st, Duration::minutes(5), &Holds::new());
        assert!(p.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(p[0].session, ids[4]);
        assert!(plan(&State::new(), Duration::minutes(5), &Holds::new()).is_empty());
    }
}

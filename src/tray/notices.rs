//! What the tray tells the user in desktop notifications: the texts, and the rule of one
//! notification per session per event. Pure: no D-Bus here (the sender is
//! [`super::notifier`]).
//!
//! Each notification about a session carries that session as its *slot*: a newer one
//! replaces the older on screen instead of stacking up. Events that repeat for the same
//! credentials (a refresh retried every few minutes, the same expiry seen twice) are
//! admitted once, keyed by session, kind and the expiration they are about.

use std::collections::BTreeSet;

use chrono::{DateTime, Local, Utc};
use uuid::Uuid;

use crate::engine::events::Event;

/// The action offered on "MFA code needed" notifications.
pub const ENTER_CODE_ACTION: &str = "enter-code";
/// The action offered on "sign in again" notifications of an integration.
pub const SIGN_IN_ACTION: &str = "sign-in";
/// The action offered on "Sign in to 'alias'…" notifications of a federated session: it
/// opens the sign-in window.
pub const SAML_SIGN_IN_ACTION: &str = "saml-sign-in";

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The session it is about; a later notice about it replaces this one.
    pub slot: Option<Uuid>,
    /// The one-line summary.
    pub summary: String,
    /// The body: what happened and what to do.
    pub body: String,
    /// An action button (key, label), where the platform shows them.
    pub action: Option<(String, String)>,
    /// Whether it is urgent (stays until dismissed).
    pub critical: bool,
}

/// The kinds of event the dedupe key tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    NeedsUser,
    RefreshFailed,
    Stopped,
}

/// Remembers what was already said.
#[derive(Debug, Default)]
pub struct Notices {
    said: BTreeSet<(Uuid, Kind, DateTime<Utc>)>,
}

fn minutes_left(expiration: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    ((expiration - now).num_seconds() + 59)
        .div_euclid(60)
        .max(0)
}

fn in_minutes(n: i64) -> String {
    match n {
        0 => "now".to_string(),
        1 => "in 1 minute".to_string(),
        n => format!("in {n} minutes"),
    }
}

impl Notices {
    /// A fresh memory.
    pub fn new() -> Notices {
        Notices::default()
    }

    fn first(&mut self, session: Uuid, kind: Kind, expiration: DateTime<Utc>) -> bool {
        self.said.insert((session, kind, expiration))
    }

    /// Forgets what was said about a session (it was started, stopped or removed by the
    /// user), so that the next event about it is told again.
    pub fn forget(&mut self, session: Uuid) {
        self.said.retain(|(s, _, _)| *s != session);
    }

    /// The notification for a federated session whose rotation could not sign in again
    /// without the user (the hidden window did not complete), once per expiration.
    pub fn saml_sign_in_needed(
        &mut self,
        session: Uuid,
        alias: &str,
        expiration: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Notice> {
        if !self.first(session, Kind::NeedsUser, expiration) {
            return None;
        }
        let when = in_minutes(minutes_left(expiration, now));
        Some(Notice {
            slot: Some(session),
            summary: format!("Sign in to '{alias}'…"),
            body: format!(
                "Session '{alias}' expires {when} and its identity provider wants you to sign in \
                 again. Sign in to keep it running (or choose Renew now… in the tray menu); \
                 otherwise its credentials are removed when they expire."
            ),
            action: Some((SAML_SIGN_IN_ACTION.into(), "Sign in…".into())),
            critical: true,
        })
    }

    /// The notification for an engine event, if it deserves one and was not yet given.
    pub fn for_event(&mut self, event: &Event, now: DateTime<Utc>) -> Option<Notice> {
        match event {
            Event::Refreshed { .. } | Event::StateSeen => None,
            Event::SignInNeeded {
                integration,
                alias,
                reason,
            } => Some(Notice {
                slot: Some(*integration),
                summary: format!("Sign in to '{alias}'"),
                body: format!(
                    "{reason}. Its sessions keep their credentials until they run out; sign in \
                     to renew them."
                ),
                action: Some((SIGN_IN_ACTION.into(), "Sign in…".into())),
                critical: true,
            }),
            Event::AgentFailed { reason, retry_in } => Some(Notice {
                slot: None,
                summary: "credtray's rotation stopped".into(),
                body: format!(
                    "The loop that renews credentials failed ({reason}); it starts again in {} s. \
                     Active sessions are not renewed meanwhile.",
                    retry_in.as_secs()
                ),
                action: None,
                critical: true,
            }),
            Event::NeedsUser {
                session,
                alias,
                expiration,
                mfa,
                reason,
            } => {
                if !self.first(*session, Kind::NeedsUser, *expiration) {
                    return None;
                }
                let when = in_minutes(minutes_left(*expiration, now));
                if *mfa {
                    Some(Notice {
                        slot: Some(*session),
                        summary: format!("MFA code needed: '{alias}' expires {when}"),
                        body: format!(
                            "Session '{alias}' cannot renew its credentials without a new MFA code. \
                             Enter one to keep it running (or choose Renew now… in the tray menu); \
                             otherwise its credentials are removed when they expire."
                        ),
                        action: Some((ENTER_CODE_ACTION.into(), "Enter code…".into())),
                        critical: true,
                    })
                } else {
                    Some(Notice {
                        slot: Some(*session),
                        summary: format!("'{alias}' expires {when}"),
                        body: format!("It cannot renew by itself: {reason}"),
                        action: None,
                        critical: true,
                    })
                }
            }
            Event::RefreshFailed {
                session,
                alias,
                expiration,
                retry_at,
                reason,
            } => {
                if !self.first(*session, Kind::RefreshFailed, *expiration) {
                    return None;
                }
                let retry = retry_at.with_timezone(&Local).format("%H:%M");
                Some(Notice {
                    slot: Some(*session),
                    summary: format!("Could not renew '{alias}'"),
                    body: format!(
                        "{reason}. credtray tries again at {retry}; the current credentials expire {}.",
                        in_minutes(minutes_left(*expiration, now))
                    ),
                    action: None,
                    critical: false,
                })
            }
            Event::Stopped {
                session,
                alias,
                expiration,
                reason,
            } => {
                if !self.first(*session, Kind::Stopped, *expiration) {
                    return None;
                }
                Some(Notice {
                    slot: Some(*session),
                    summary: format!("'{alias}' stopped"),
                    body: format!("Session '{alias}' stopped: {reason}."),
                    action: None,
                    critical: true,
                })
            }
        }
    }
}

/// "could not start": a start from the menu failed (the menu has no terminal to print to).
pub fn could_not_start(session: Uuid, alias: &str, reason: &str) -> Notice {
    Notice {
        slot: Some(session),
        summary: format!("'{alias}' could not start"),
        body: format!("Session '{alias}' could not start: {reason}"),
        action: None,
        critical: false,
    }
}

/// The answer of "Test credentials".
pub fn tested(session: Uuid, alias: &str, result: &Result<String, String>) -> Notice {
    match result {
        Ok(arn) => Notice {
            slot: Some(session),
            summary: format!("'{alias}' works"),
            body: format!("Its credentials act as {arn}. Nothing was written."),
            action: None,
            critical: false,
        },
        Err(reason) => Notice {
            slot: Some(session),
            summary: format!("'{alias}' does not work"),
            body: format!("Test of session '{alias}' failed: {reason}"),
            action: None,
            critical: false,
        },
    }
}

/// The answer of "Forget sign-in": what was removed, and which other sessions shared it.
pub fn forgot_signin(session: Uuid, forgotten: &crate::saml::Forgotten) -> Notice {
    let alias = forgotten.sessions.first().cloned().unwrap_or_default();
    let others: Vec<String> = forgotten.sessions[1.min(forgotten.sessions.len())..]
        .iter()
        .map(|a| format!("'{a}'"))
        .collect();
    let mut body = if forgotten.removed {
        format!(
            "Removed the remembered sign-in to {} ({}). The next start signs in again.",
            forgotten.saml_url,
            forgotten.folder.display()
        )
    } else {
        format!(
            "No sign-in to {} was remembered; nothing was removed.",
            forgotten.saml_url
        )
    };
    if !others.is_empty() {
        body.push_str(&format!(
            " The same sign-in served {}, which sign in again too.",
            others.join(", ")
        ));
    }
    Notice {
        slot: Some(session),
        summary: format!("Sign-in of '{alias}' forgotten"),
        body,
        action: None,
        critical: false,
    }
}

/// Any other action of the menu that failed (`what`: "rename profile 'dev'").
pub fn failed(slot: Option<Uuid>, what: &str, reason: &str) -> Notice {
    Notice {
        slot,
        summary: format!("Could not {what}"),
        body: reason.to_string(),
        action: None,
        critical: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn needs(id: Uuid, exp: DateTime<Utc>) -> Event {
        Event::NeedsUser {
            session: id,
            alias: "dev".into(),
            expiration: exp,
            mfa: true,
            reason: "MFA".into(),
        }
    }

    #[test]
    fn one_notice_per_session_per_event() {
        let now = Utc::now();
        let exp = now + Duration::minutes(4);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut n = Notices::new();
        let first = n.for_event(&needs(a, exp), now).expect("first is told");
        assert_eq!(first.summary, "MFA code needed: 'dev' expires in 4 minutes");
        assert_eq!(first.slot, Some(a));
        assert_eq!(
            first.action.as_ref().map(|x| x.0.as_str()),
            Some(ENTER_CODE_ACTION)
        );
        assert!(n.for_event(&needs(a, exp), now).is_none(), "repeat is not");
        assert!(
            n.for_event(&needs(b, exp), now).is_some(),
            "another session is"
        );
        let later = exp + Duration::hours(1);
        assert!(
            n.for_event(&needs(a, later), now).is_some(),
            "new credentials are"
        );
        n.forget(a);
        assert!(
            n.for_event(&needs(a, exp), now).is_some(),
            "after forget it is"
        );
    }

    #[test]
    fn stopped_and_failed_are_told_once_each() {
        let now = Utc::now();
        let exp = now + Duration::minutes(1);
        let id = Uuid::new_v4();
        let mut n = Notices::new();
        let failed = Event::RefreshFailed {
            session: id,
            alias: "ops".into(),
            expiration: exp,
            retry_at: now + Duration::seconds(30),
            reason: "STS throttled the call".into(),
        };
        let first = n.for_event(&failed, now).unwrap();
        assert!(first
            .body
            .starts_with("STS throttled the call. credtray tries again at "));
        assert!(
            first.body.ends_with("expire in 1 minute."),
            "{}",
            first.body
        );
        assert!(n.for_event(&failed, now).is_none());
        let stopped = Event::Stopped {
            session: id,
            alias: "ops".into(),
            expiration: exp,
            reason: "its credentials expired".into(),
        };
        let s = n.for_event(&stopped, now).unwrap();
        assert_eq!(s.summary, "'ops' stopped");
        assert_eq!(s.body, "Session 'ops' stopped: its credentials expired.");
        assert!(n.for_event(&stopped, now).is_none());
        assert!(n.for_event(&Event::StateSeen, now).is_none());
    }

    #[test]
    fn minutes_round_up_and_never_go_negative() {
        let now = Utc::now();
        assert_eq!(minutes_left(now + Duration::seconds(61), now), 2);
        assert_eq!(minutes_left(now + Duration::seconds(60), now), 1);
        assert_eq!(minutes_left(now - Duration::seconds(5), now), 0);
        assert_eq!(in_minutes(0), "now");
    }

    #[test]
    fn forgetting_a_sign_in_names_what_was_removed_and_who_shared_it() {
        let id = Uuid::new_v4();
        let mut f = crate::saml::Forgotten {
            saml_url: "https://idp.example.com/saml".into(),
            folder: "/d/saml/ab".into(),
            removed: true,
            sessions: vec!["okta".into(), "okta-ro".into(), "okta-dev".into()],
        };
        let n = forgot_signin(id, &f);
        assert_eq!(n.slot, Some(id));
        assert_eq!(n.summary, "Sign-in of 'okta' forgotten");
        assert_eq!(
            n.body,
            "Removed the remembered sign-in to https://idp.example.com/saml (/d/saml/ab). \
             The next start signs in again. The same sign-in served 'okta-ro', 'okta-dev', \
             which sign in again too."
        );
        f.removed = false;
        f.sessions.truncate(1);
        let n = forgot_signin(id, &f);
        assert_eq!(
            n.body,
            "No sign-in to https://idp.example.com/saml was remembered; nothing was removed."
        );
    }

    #[test]
    fn a_federated_session_needing_a_sign_in_is_told_once_with_an_action() {
        let mut n = Notices::new();
        let id = Uuid::new_v4();
        let now = Utc::now();
        let exp = now + chrono::Duration::seconds(290);
        let first = n.saml_sign_in_needed(id, "corp", exp, now).expect("told");
        assert_eq!(first.summary, "Sign in to 'corp'…");
        assert_eq!(
            first.action,
            Some((SAML_SIGN_IN_ACTION.to_string(), "Sign in…".to_string()))
        );
        assert!(first.body.contains("in 5 minutes"), "{}", first.body);
        assert_eq!(first.slot, Some(id));
        assert!(n.saml_sign_in_needed(id, "corp", exp, now).is_none());
        assert!(n.for_event(&needs(id, exp), now).is_none(), "one per event");
    }

    #[test]
    fn an_integration_needing_a_sign_in_offers_sign_in_in_its_own_slot() {
        let id = Uuid::new_v4();
        let n = Notices::new()
            .for_event(
                &Event::SignInNeeded {
                    integration: id,
                    alias: "corp".into(),
                    reason: "its sign-in expired".into(),
                },
                Utc::now(),
            )
            .expect("a notice");
        assert_eq!(n.slot, Some(id));
        assert_eq!(n.summary, "Sign in to 'corp'");
        assert_eq!(
            n.action.as_ref().map(|a| a.0.as_str()),
            Some(SIGN_IN_ACTION)
        );
        assert!(n.critical);
    }
}

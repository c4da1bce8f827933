//! What a finished action means to the UI, as pure functions of its result: whether the
//! session still needs the user, and what to notify. No toolkit, no engine call: every
//! function here is unit-tested.

use uuid::Uuid;

use super::menu::thousands;
use super::notices::{self, Notice};
use crate::engine::sessions::Edited;
use crate::engine::EngineError;
use crate::providers::ProviderError;

/// The result of a background action, as the UI needs it.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The session it was about; no longer busy.
    pub session: Option<Uuid>,
    /// The integration it was about; its sign-in, sync or removal is over.
    pub integration: Option<Uuid>,
    /// Whether the session no longer needs the user.
    pub resolved: bool,
    /// Whether the session now needs the user.
    pub needs_user: bool,
    /// What to tell the user.
    pub notice: Option<Notice>,
}

impl Outcome {
    /// Nothing to say, nothing changed for the UI.
    pub fn quiet() -> Outcome {
        Outcome::default()
    }

    /// The session no longer needs the user.
    pub fn resolved() -> Outcome {
        Outcome {
            resolved: true,
            ..Outcome::default()
        }
    }

    /// Tell the user this.
    pub fn notice(n: Notice) -> Outcome {
        Outcome {
            notice: Some(n),
            ..Outcome::default()
        }
    }

    /// The session needs the user, and why.
    pub fn needs_user(n: Notice) -> Outcome {
        Outcome {
            needs_user: true,
            notice: Some(n),
            ..Outcome::default()
        }
    }
}

/// Whether `e` is the user cancelling (a dialog or a sign-in window): nothing to say.
pub fn cancelled(e: &EngineError) -> bool {
    matches!(
        e,
        EngineError::Provider(
            ProviderError::MfaCancelled { .. } | ProviderError::SamlCancelled { .. }
        )
    )
}

/// A local step (files, keychain): success resolves the session, a failure is notified as
/// "could not WHAT".
pub fn local<T>(id: Uuid, what: &str, result: Result<T, String>) -> Outcome {
    match result {
        Ok(_) => Outcome::resolved(),
        Err(e) => Outcome::notice(notices::failed(Some(id), what, &e)),
    }
}

/// A start: a failure marks the session and says why; a cancel (the MFA dialog, the
/// sign-in window) leaves it stopped, saying nothing.
pub fn started<T>(id: Uuid, alias: &str, result: Result<T, EngineError>) -> Outcome {
    match result {
        Ok(_) => Outcome::resolved(),
        Err(e) if cancelled(&e) => Outcome::quiet(),
        Err(e) => Outcome::needs_user(notices::could_not_start(id, alias, &e.to_string())),
    }
}

/// Renew now…: like a start, but said as a renewal.
pub fn renewed<T>(id: Uuid, alias: &str, result: Result<T, EngineError>) -> Outcome {
    match result {
        Ok(_) => Outcome::resolved(),
        Err(e) if cancelled(&e) => Outcome::quiet(),
        Err(e) => Outcome::needs_user(notices::failed(
            Some(id),
            &format!("renew '{alias}'"),
            &e.to_string(),
        )),
    }
}

/// Test credentials: who they are, or why not.
pub fn tested(id: Uuid, alias: &str, result: Result<String, EngineError>) -> Outcome {
    match result {
        Err(e) if cancelled(&e) => Outcome::quiet(),
        r => Outcome::notice(notices::tested(id, alias, &r.map_err(|e| e.to_string()))),
    }
}

/// An edit: a refusal is notified as "could not WHAT 'alias'"; a session stopped to apply
/// it that could not start again needs the user, and the notification says so.
pub fn edited(id: Uuid, alias: &str, what: &str, result: Result<Edited, EngineError>) -> Outcome {
    match result {
        Ok(edited) => match edited.restart_failures.first() {
            None => Outcome::resolved(),
            Some((failed, e)) if *failed == id => Outcome::needs_user(notices::could_not_start(
                id,
                alias,
                &format!("it was stopped to apply the change and could not restart: {e}"),
            )),
            // A session chained below it, stopped to apply the change (its own error names it).
            Some((_, e)) => Outcome::notice(notices::failed(
                Some(id),
                &format!("restart everything chained below '{alias}' after the change"),
                &e.to_string(),
            )),
        },
        Err(e) => Outcome::notice(notices::failed(
            Some(id),
            &format!("{what} '{alias}'"),
            &e.to_string(),
        )),
    }
}

/// A change with no session of its own (a profile added): only a failure is said.
pub fn simple<T>(what: &str, result: Result<T, EngineError>) -> Outcome {
    match result {
        Ok(_) => Outcome::quiet(),
        Err(e) => Outcome::notice(notices::failed(None, what, &e.to_string())),
    }
}

/// A change that restarts sessions (a profile renamed or removed): the sessions that
/// could not start again are named.
pub fn restarted(what: &str, result: Result<Vec<(Uuid, EngineError)>, EngineError>) -> Outcome {
    match result {
        Ok(failures) if failures.is_empty() => Outcome::quiet(),
        Ok(failures) => {
            let list: Vec<String> = failures.iter().map(|(_, e)| e.to_string()).collect();
            Outcome::notice(notices::failed(
                None,
                &format!("restart every session after this change ({what})"),
                &list.join("; "),
            ))
        }
        Err(e) => Outcome::notice(notices::failed(None, what, &e.to_string())),
    }
}

/// A sign-in, sync, sign-out or removal of an integration: a failure notified once, with
/// the reason, in the integration's notification slot (it replaces "Sign in to …"); a
/// cancelled sign-in only logged.
pub fn integration<T>(
    id: Uuid,
    alias: &str,
    what: &str,
    result: Result<T, EngineError>,
) -> Outcome {
    match result {
        Ok(_) => Outcome::quiet(),
        Err(EngineError::Provider(ProviderError::Cancelled { .. })) => {
            tracing::info!(integration = %alias, "sign-in cancelled");
            Outcome::quiet()
        }
        Err(e) => {
            tracing::warn!(integration = %alias, "could not {what} '{alias}': {e}");
            Outcome::notice(notices::failed(
                Some(id),
                &format!("{what} '{alias}'"),
                &e.to_string(),
            ))
        }
    }
}

/// The question before removing an integration.
pub fn remove_integration_message(alias: &str, sessions: usize, chained: usize) -> String {
    let mut m = format!("Remove integration '{alias}'?");
    match sessions {
        0 => m.push_str(" It has no sessions."),
        1 => m.push_str(" Its session is removed too (stopped first if it is active)."),
        n => m.push_str(&format!(
            " Its {} sessions are removed too (active ones stop).",
            thousands(n)
        )),
    }
    match chained {
        0 => {}
        1 => m.push_str(" So is 1 chained role that uses them."),
        n => m.push_str(&format!(" So are {n} chained roles that use them.")),
    }
    m.push_str(" Its sign-in is forgotten in the keychain.");
    m
}

/// The question before removing a session: what goes with it.
pub fn remove_session_message(alias: &str, active: bool, children: &[String]) -> String {
    let mut message = format!(
        "Remove session '{alias}'? Its keys and cached tokens are deleted from the keychain{}.",
        if active {
            ", and its credentials are removed from the credentials file"
        } else {
            ""
        }
    );
    if !children.is_empty() {
        let names: Vec<String> = children.iter().map(|c| format!("'{c}'")).collect();
        message.push_str(&format!(
            " The chained roles that use it are removed too: {}.",
            names.join(", ")
        ));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Session;

    fn edited_with(failures: Vec<(Uuid, EngineError)>) -> Edited {
        Edited {
            session: Session {
                region: "us-east-1".into(),
                ..crate::testing::iam_user("me", "default")
            },
            created_profile: false,
            restarted: failures.iter().map(|(id, _)| *id).collect(),
            restart_failures: failures,
        }
    }

    #[test]
    fn a_cancel_says_nothing_and_a_failure_needs_the_user() {
        let id = Uuid::new_v4();
        let cancel = EngineError::Provider(ProviderError::MfaCancelled {
            session: "me".into(),
        });
        let o = started::<()>(id, "me", Err(cancel));
        assert!(o.notice.is_none() && !o.needs_user && !o.resolved);
        let o = started::<()>(id, "me", Err(EngineError::Other("STS is down".into())));
        assert!(o.needs_user);
        let n = o.notice.unwrap();
        assert_eq!(n.summary, "'me' could not start");
        assert!(n.body.contains("STS is down"), "{}", n.body);
        assert!(started(id, "me", Ok(())).resolved);
    }

    #[test]
    fn an_edit_that_could_not_restart_is_notified_and_needs_the_user() {
        let id = Uuid::new_v4();
        let o = edited(id, "me", "edit", Ok(edited_with(vec![])));
        assert!(o.resolved && o.notice.is_none());
        let o = edited(
            id,
            "me",
            "edit",
            Ok(edited_with(vec![(id, EngineError::Other("denied".into()))])),
        );
        assert!(o.needs_user);
        let body = o.notice.unwrap().body;
        assert!(
            body.contains("stopped to apply the change and could not restart: denied"),
            "{body}"
        );
        let o = edited(
            id,
            "me",
            "edit",
            Err(EngineError::Other("alias taken".into())),
        );
        assert!(!o.needs_user);
        let n = o.notice.unwrap();
        assert!(n.body.contains("alias taken"), "{}", n.body);
        assert!(n.summary.contains("edit 'me'"), "{}", n.summary);
    }

    #[test]
    fn removing_an_integration_says_how_many_sessions_go() {
        assert_eq!(
            remove_integration_message("corp", 3000, 2),
            "Remove integration 'corp'? Its 3,000 sessions are removed too (active ones stop). \
             So are 2 chained roles that use them. Its sign-in is forgotten in the keychain."
        );
        assert!(remove_integration_message("corp", 0, 0).contains("no sessions"));
        assert!(remove_integration_message("corp", 1, 0).contains("Its session is removed"));
    }

    #[test]
    fn removing_a_session_names_its_chained_roles() {
        assert_eq!(
            remove_session_message("me", true, &["admin".into(), "ro".into()]),
            "Remove session 'me'? Its keys and cached tokens are deleted from the keychain, \
             and its credentials are removed from the credentials file. The chained roles \
             that use it are removed too: 'admin', 'ro'."
        );
        assert_eq!(
            remove_session_message("me", false, &[]),
            "Remove session 'me'? Its keys and cached tokens are deleted from the keychain."
        );
    }
}

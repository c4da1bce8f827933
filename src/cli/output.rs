//! What the list commands print: tables for people, JSON for scripts. Never a secret.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::model::{SessionKind, State};

/// Every session as JSON objects: id, alias, kind, profile, region, active, expiration
/// (RFC 3339 or null), and the kind's own fields.
pub fn sessions_json(state: &State) -> Value {
    let items: Vec<Value> = state
        .sessions
        .iter()
        .map(|s| {
            let active = state.active.get(&s.id);
            let mut v = json!({
                "id": s.id,
                "alias": s.alias,
                "kind": s.kind.name().as_str(),
                "profile": s.profile,
                "region": s.region,
                "active": active.is_some(),
                "expiration": active.map(|a| a.expiration.to_rfc3339()),
                "duration_seconds": s.kind.duration_secs(),
            });
            let obj = v.as_object_mut().expect("object");
            match &s.kind {
                SessionKind::IamUser(u) => {
                    obj.insert("mfa_serial".into(), json!(u.mfa_serial));
                }
                SessionKind::AwsSso(r) => {
                    obj.insert("integration".into(), json!(r.integration));
                    obj.insert("account_id".into(), json!(r.account_id));
                    obj.insert("account_name".into(), json!(r.account_name));
                    obj.insert("role_name".into(), json!(r.role_name));
                }
                SessionKind::IamRoleFederated(f) => {
                    obj.insert("role_arn".into(), json!(f.role_arn));
                    obj.insert("idp_arn".into(), json!(f.idp_arn));
                    obj.insert("saml_url".into(), json!(f.saml_url));
                }
                SessionKind::IamRoleChained(r) => {
                    obj.insert("parent".into(), json!(r.parent));
                    obj.insert("role_arn".into(), json!(r.role_arn));
                    obj.insert("role_session_name".into(), json!(r.role_session_name));
                    obj.insert("external_id".into(), json!(r.external_id));
                }
            }
            v
        })
        .collect();
    Value::Array(items)
}

/// Every profile as JSON: name, session ids, the active session's id or null.
pub fn profiles_json(state: &State) -> Value {
    Value::Array(
        state
            .profiles
            .iter()
            .map(|p| {
                let sessions: Vec<String> =
                    state.sessions_on(p).map(|s| s.id.to_string()).collect();
                json!({
                    "name": p,
                    "sessions": sessions,
                    "active_session": state.active_on(p),
                })
            })
            .collect(),
    )
}

/// The session table.
pub fn sessions_table(state: &State) -> String {
    if state.sessions.is_empty() {
        return "No sessions yet: add one with `credtray session add iam-user --alias NAME`.\n"
            .into();
    }
    let rows: Vec<[String; 7]> = state
        .sessions
        .iter()
        .map(|s| {
            let active = state.active.get(&s.id);
            [
                s.id.to_string()[..8].to_string(),
                s.alias.clone(),
                s.kind.name().as_str().to_string(),
                s.profile.clone(),
                s.region.clone(),
                match active {
                    Some(a) if a.expiration <= chrono::Utc::now() => "expired",
                    Some(_) => "yes",
                    None => "no",
                }
                .to_string(),
                active
                    .map(|a| a.expiration.format("%Y-%m-%d %H:%M:%SZ").to_string())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(
        &[
            "ID", "ALIAS", "KIND", "PROFILE", "REGION", "ACTIVE", "EXPIRES",
        ],
        &rows,
    )
}

/// The profile table.
pub fn profiles_table(state: &State) -> String {
    let rows: Vec<[String; 3]> = state
        .profiles
        .iter()
        .map(|p| {
            let active = state
                .active_on(p)
                .and_then(|id| state.session(id))
                .map(|s| s.alias.clone())
                .unwrap_or_else(|| "-".into());
            [p.clone(), state.sessions_on(p).count().to_string(), active]
        })
        .collect();
    table(&["PROFILE", "SESSIONS", "ACTIVE"], &rows)
}

fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(head.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}

/// Prints the sessions.
pub fn print_sessions(state: &State, json: bool) {
    if json {
        println!("{}", sessions_json(state));
    } else {
        print!("{}", sessions_table(state));
    }
}

/// Prints the profiles.
pub fn print_profiles(state: &State, json: bool) {
    if json {
        println!("{}", profiles_json(state));
    } else {
        print!("{}", profiles_table(state));
    }
}

/// Every integration as JSON: alias, id, start URL, region, status, token expiry, sessions.
pub fn integrations_json(state: &State) -> Value {
    let now = chrono::Utc::now();
    Value::Array(
        state
            .integrations
            .iter()
            .map(|i| {
                json!({
                    "id": i.id,
                    "alias": i.alias,
                    "start_url": i.start_url,
                    "region": i.region,
                    "status": i.status(now).as_str(),
                    "token_expires": i.sign_in.as_ref().map(|s| s.expires_at.to_rfc3339()),
                    "synced": i.synced_at.map(|t| t.to_rfc3339()),
                    "sessions": state.sessions_of(i.id).count(),
                })
            })
            .collect(),
    )
}

/// The integration table.
pub fn integrations_table(state: &State) -> String {
    let now = chrono::Utc::now();
    let rows: Vec<[String; 6]> = state
        .integrations
        .iter()
        .map(|i| {
            [
                i.alias.clone(),
                i.start_url.clone(),
                i.region.clone(),
                i.status(now).as_str().to_string(),
                i.sign_in
                    .as_ref()
                    .map(|s| {
                        s.expires_at
                            .with_timezone(&chrono::Local)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_else(|| "-".into()),
                state.sessions_of(i.id).count().to_string(),
            ]
        })
        .collect();
    table(
        &[
            "ALIAS",
            "START URL",
            "REGION",
            "STATUS",
            "TOKEN EXPIRES",
            "SESSIONS",
        ],
        &rows,
    )
}

/// Prints the integrations.
pub fn print_integrations(state: &State, json: bool) {
    if json {
        println!("{}", integrations_json(state));
    } else {
        print!("{}", integrations_table(state));
    }
}

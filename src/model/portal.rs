//! A sync of an IAM Identity Center integration, as a pure merge of "what the portal says"
//! (its accounts × roles) into "what the user chose" (the sessions, their profiles and
//! regions): new roles become sessions, vanished ones go, kept ones keep their id, profile,
//! region and active state.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::profile::DEFAULT_PROFILE;
use super::session::{Session, SessionKind, SsoRole};
use super::state::State;
use super::text::check_plain;

/// One account × role that the portal lists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortalRole {
    /// The AWS account id.
    pub account_id: String,
    /// The account's name.
    pub account_name: String,
    /// The role (permission set) name.
    pub role_name: String,
}

/// What a sync changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// New sessions, one per new account × role.
    pub added: Vec<Session>,
    /// Kept sessions whose account was renamed: (id, new account name, new alias).
    pub renamed: Vec<(Uuid, String, String)>,
    /// Sessions whose account × role the portal no longer lists.
    pub vanished: Vec<Uuid>,
    /// How many sessions are kept as they were (or renamed).
    pub kept: usize,
}

/// Text from the portal made fit for a label: characters that would display differently
/// from what they are (bidi overrides, zero-width…) become `?`, and spaces are trimmed.
fn plain(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| {
            if check_plain(&c.to_string()).is_ok() {
                c
            } else {
                '?'
            }
        })
        .collect();
    let out = out.trim();
    if out.is_empty() {
        "?".to_string()
    } else {
        out.to_string()
    }
}

/// The alias of a role's session: `<account name> / <role>`, or with the account id when
/// that is taken, or numbered past that.
fn alias_for(role: &PortalRole, taken: &BTreeSet<String>) -> String {
    let name = plain(&role.account_name);
    let role_name = plain(&role.role_name);
    let first = format!("{name} / {role_name}");
    if !taken.contains(&first) {
        return first;
    }
    let second = format!("{name} ({}) / {role_name}", role.account_id);
    if !taken.contains(&second) {
        return second;
    }
    (2..)
        .map(|n| format!("{second} #{n}"))
        .find(|a| !taken.contains(a))
        .unwrap_or(second)
}

/// Plans the merge of `portal` (everything the portal lists for `integration`) into
/// `state`. New sessions go to the `default` profile and the integration's region.
pub fn plan_sync(
    state: &State,
    integration: Uuid,
    region: &str,
    portal: &[PortalRole],
) -> SyncPlan {
    let listed: BTreeMap<(&str, &str), &PortalRole> = portal
        .iter()
        .map(|r| ((r.account_id.as_str(), r.role_name.as_str()), r))
        .collect();
    let mut plan = SyncPlan::default();
    let mut existing = BTreeSet::new();
    for s in state.sessions_of(integration) {
        let SessionKind::AwsSso(r) = &s.kind else {
            continue;
        };
        match listed.get(&(r.account_id.as_str(), r.role_name.as_str())) {
            Some(p) => {
                existing.insert((r.account_id.as_str(), r.role_name.as_str()));
                plan.kept += 1;
                if p.account_name != r.account_name {
                    plan.renamed
                        .push((s.id, p.account_name.clone(), String::new()));
                }
            }
            None => plan.vanished.push(s.id),
        }
    }
    let vanished: BTreeSet<Uuid> = plan.vanished.iter().copied().collect();
    let renamed: BTreeSet<Uuid> = plan.renamed.iter().map(|r| r.0).collect();
    let mut taken: BTreeSet<String> = state
        .sessions
        .iter()
        .filter(|s| !vanished.contains(&s.id) && !renamed.contains(&s.id))
        .map(|s| s.alias.clone())
        .collect();
    for entry in &mut plan.renamed {
        let Some(SessionKind::AwsSso(r)) = state.session(entry.0).map(|s| &s.kind) else {
            continue;
        };
        let alias = alias_for(
            &PortalRole {
                account_id: r.account_id.clone(),
                account_name: entry.1.clone(),
                role_name: r.role_name.clone(),
            },
            &taken,
        );
        taken.insert(alias.clone());
        entry.2 = alias;
    }
    let mut new_roles: Vec<&PortalRole> = listed
        .iter()
        .filter(|(key, _)| !existing.contains(*key))
        .map(|(_, r)| *r)
        .collect();
    new_roles.sort_by(|a, b| {
        (
            a.account_name.as_str(),
            a.role_name.as_str(),
            a.account_id.as_str(),
        )
            .cmp(&(
                b.account_name.as_str(),
                b.role_name.as_str(),
                b.account_id.as_str(),
            ))
    });
    for r in new_roles {
        let alias = alias_for(r, &taken);
        taken.insert(alias.clone());
        plan.added.push(Session {
            id: Uuid::new_v4(),
            alias,
            profile: DEFAULT_PROFILE.to_string(),
            region: region.to_string(),
            kind: SessionKind::AwsSso(SsoRole {
                integration,
                account_id: r.account_id.clone(),
                account_name: r.account_name.clone(),
                role_name: r.role_name.clone(),
            }),
        });
    }
    plan
}

/// Applies a plan to the state: removes the vanished sessions (and the chained sessions
/// below them, which cannot work any more), renames, adds. The caller has stopped the
/// active ones among `removed` first. Returns the ids removed.
pub fn apply_sync(state: &mut State, plan: &SyncPlan) -> Vec<Uuid> {
    let removed: BTreeSet<Uuid> = removed_by(state, plan).into_iter().collect();
    state.sessions.retain(|s| !removed.contains(&s.id));
    for (id, name, alias) in &plan.renamed {
        if let Some(s) = state.session_mut(*id) {
            if let SessionKind::AwsSso(r) = &mut s.kind {
                r.account_name = name.clone();
            }
            s.alias = alias.clone();
        }
    }
    state.sessions.extend(plan.added.iter().cloned());
    removed.into_iter().collect()
}

/// The sessions a plan removes, children included, for the caller to stop first.
pub fn removed_by(state: &State, plan: &SyncPlan) -> Vec<Uuid> {
    let mut out = BTreeSet::new();
    for id in &plan.vanished {
        out.insert(*id);
        out.extend(state.descendants(*id));
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::integration::Integration;
    use crate::model::{ChainedRole, IamUser};

    fn role(acct: &str, name: &str, role: &str) -> PortalRole {
        PortalRole {
            account_id: acct.into(),
            account_name: name.into(),
            role_name: role.into(),
        }
    }

    fn world() -> (State, Uuid) {
        let mut st = State::new();
        let id = Uuid::new_v4();
        st.add_integration(Integration {
            id,
            alias: "corp".into(),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        })
        .unwrap();
        (st, id)
    }

    fn sync(st: &mut State, id: Uuid, portal: &[PortalRole]) -> SyncPlan {
        let plan = plan_sync(st, id, "eu-west-1", portal);
        apply_sync(st, &plan);
        plan
    }

    #[test]
    fn a_first_sync_adds_one_session_per_account_and_role() {
        let (mut st, id) = world();
        let plan = sync(
            &mut st,
            id,
            &[
                role("111111111111", "prod", "Admin"),
                role("111111111111", "prod", "ReadOnly"),
                role("222222222222", "dev", "Admin"),
            ],
        );
        assert_eq!(plan.added.len(), 3);
        let aliases: Vec<&str> = st.sessions.iter().map(|s| s.alias.as_str()).collect();
        assert_eq!(aliases, ["dev / Admin", "prod / Admin", "prod / ReadOnly"]);
        assert!(st
            .sessions
            .iter()
            .all(|s| s.profile == "default" && s.region == "eu-west-1"));
        assert_eq!(st.check_values(), Ok(()));
    }

    #[test]
    fn a_resync_keeps_choices_adds_new_and_removes_vanished_with_their_children() {
        let (mut st, id) = world();
        sync(
            &mut st,
            id,
            &[role("1", "prod", "Admin"), role("2", "dev", "Admin")],
        );
        st.add_profile("work").unwrap();
        let prod = st.resolve("prod / Admin").unwrap().id;
        let dev = st.resolve("dev / Admin").unwrap().id;
        {
            let s = st.session_mut(prod).unwrap();
            s.profile = "work".into();
            s.region = "us-east-2".into();
        }
        let child = Session {
            id: Uuid::new_v4(),
            alias: "below-dev".into(),
            profile: "default".into(),
            region: "eu-west-1".into(),
            kind: SessionKind::IamRoleChained(ChainedRole {
                parent: dev,
                role_arn: "arn:aws:iam::222222222222:role/x".into(),
                role_session_name: "credtray".into(),
                external_id: None,
                duration_secs: 3600,
            }),
        };
        st.add_session(child.clone()).unwrap();
        let plan = plan_sync(
            &st,
            id,
            "eu-west-1",
            &[role("1", "prod", "Admin"), role("3", "new", "Dev")],
        );
        assert_eq!(removed_by(&st, &plan), {
            let mut v = vec![dev, child.id];
            v.sort();
            v
        });
        apply_sync(&mut st, &plan);
        let kept = st.session(prod).unwrap();
        assert_eq!(
            (kept.profile.as_str(), kept.region.as_str()),
            ("work", "us-east-2")
        );
        assert!(st.session(dev).is_none() && st.session(child.id).is_none());
        assert!(st.resolve("new / Dev").is_ok());
        assert_eq!(plan.kept, 1);
    }

    #[test]
    fn aliases_stay_unique_and_plain() {
        let (mut st, id) = world();
        st.add_session(Session {
            id: Uuid::new_v4(),
            alias: "prod / Admin".into(),
            profile: "default".into(),
            region: "eu-west-1".into(),
            kind: SessionKind::IamUser(IamUser {
                mfa_serial: None,
                duration_secs: 3600,
            }),
        })
        .unwrap();
        sync(
            &mut st,
            id,
            &[
                role("1", "prod", "Admin"),
                role("2", "prod", "Admin"),
                role("3", "ev\u{202e}il", "Admin"),
            ],
        );
        let mut aliases: Vec<String> = st.sessions_of(id).map(|s| s.alias.clone()).collect();
        aliases.sort();
        assert_eq!(
            aliases,
            ["ev?il / Admin", "prod (1) / Admin", "prod (2) / Admin"]
        );
        assert_eq!(st.check_values(), Ok(()));
    }

    #[test]
    fn a_renamed_account_renames_its_sessions_only() {
        let (mut st, id) = world();
        sync(&mut st, id, &[role("1", "old", "Admin")]);
        let sid = st.resolve("old / Admin").unwrap().id;
        let plan = sync(&mut st, id, &[role("1", "new", "Admin")]);
        assert!(plan.added.is_empty() && plan.vanished.is_empty());
        assert_eq!(st.session(sid).unwrap().alias, "new / Admin");
    }
}

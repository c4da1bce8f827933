//! Opens one of the tray's dialogs with demo data, for screenshots and for the end-to-end
//! tests in `tests/dialogs.rs`:
//!
//! ```text
//! cargo run --example dialogs -- mfa|text|choice|confirm|iam-user|chained-role|saml-role|profiles|integration|sign-in-wait
//! cargo run --example dialogs -- edit-iam-user|edit-chained-role|edit-saml-role|edit-sso
//! ```
//!
//! The edit forms show sessions of a demo state (`work`, an IAM user with an MFA device;
//! `prod-admin`, chained below it, and `ro` below that; `okta`, a federated role; an IAM
//! Identity Center session), checked by the tray's own functions (`tray::forms`: the patch
//! probed on the state by the model), and answer the patch they send — only the fields
//! changed — as JSON (new keys as `access_key_id` and the secret's length).
//!
//! `sign-in-wait` shows the window of a sign-in waiting for the browser (device mode, with
//! a code); it answers `"cancelled"` when the user cancels, or, when the process gets
//! SIGUSR1 (the sign-in is over), takes the window down and answers `"closed"`.
//!
//! When the dialog answers, prints one line of JSON on standard output (`{"answer":null}`
//! when cancelled) and exits 0. The IAM user form's secret access key is never printed: its
//! length is, as `secret_len`. The dialogs' own log (an Enter they ignore…) goes to standard
//! error at debug level (`CREDTRAY_LOG` overrides it).

#[cfg(target_os = "linux")]
fn main() {
    linux::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("dialogs: the native dialogs exist on Linux only");
    std::process::exit(2);
}

#[cfg(target_os = "linux")]
mod samples;

#[cfg(target_os = "linux")]
mod linux {
    use super::samples::{self, check_alias, profiles, regions};
    use credtray::model::profile::validate_profile_name;
    use credtray::model::{
        ChainedRole, FederatedRole, IamUser, Integration, Session, SessionKind, SessionPatch,
        SsoRole, State,
    };
    use credtray::tray::dialogs::{
        self, ChainedRoleRequest, EditChainedRoleRequest, EditFederatedRoleRequest,
        EditIamUserRequest, EditSsoSessionRequest, FederatedRoleRequest, IamUserRequest,
        IntegrationRequest, SsoSessionEdit,
    };
    use credtray::tray::forms;
    use serde_json::{json, Value};
    use uuid::Uuid;

    const USAGE: &str = "usage: dialogs mfa|text|choice|confirm|iam-user|chained-role|saml-role|profiles|integration|sign-in-wait|edit-iam-user|edit-chained-role|edit-saml-role|edit-sso";

    fn check_region(region: &str) -> Result<(), String> {
        let ok = region.split('-').count() >= 3
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(())
        } else {
            Err(format!(
                "'{region}' does not look like a region (e.g. eu-west-1)"
            ))
        }
    }

    /// The demo state of the edit forms: `work` (IAM user, MFA device), `prod-admin`
    /// chained below it and `ro` below that, `okta` (federated), an SSO session.
    fn demo_state() -> State {
        let mut st = State::new();
        for p in ["dev", "prod"] {
            st.add_profile(p).expect("the demo's profile");
        }
        let session = |n: u128, alias: &str, profile: &str, kind| Session {
            id: Uuid::from_u128(n),
            alias: alias.into(),
            profile: profile.into(),
            region: "eu-west-1".into(),
            kind,
        };
        let chained = |parent: u128| {
            SessionKind::IamRoleChained(ChainedRole {
                parent: Uuid::from_u128(parent),
                role_arn: "arn:aws:iam::123456789012:role/admin".into(),
                role_session_name: "credtray".into(),
                external_id: Some("ext-42".into()),
                duration_secs: 3_600,
            })
        };
        let integration = Integration {
            id: Uuid::from_u128(100),
            alias: "corp".into(),
            start_url: "https://d-1.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            sign_in: None,
            synced_at: None,
        };
        st.add_integration(integration)
            .expect("the demo's integration");
        for s in [
            session(
                1,
                "work",
                "default",
                SessionKind::IamUser(IamUser {
                    mfa_serial: Some("arn:aws:iam::123456789012:mfa/work".into()),
                    duration_secs: 36_000,
                }),
            ),
            session(
                2,
                "personal",
                "dev",
                SessionKind::IamUser(IamUser {
                    mfa_serial: None,
                    duration_secs: 3_600,
                }),
            ),
            session(3, "prod-admin", "prod", chained(1)),
            session(4, "ro", "prod", chained(3)),
            session(
                5,
                "okta",
                "default",
                SessionKind::IamRoleFederated(FederatedRole {
                    role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
                    idp_arn: "arn:aws:iam::123456789012:saml-provider/Okta".into(),
                    saml_url: "https://idp.example.com/app/aws/sso/saml".into(),
                    duration_secs: 3_600,
                }),
            ),
            session(
                6,
                "acct-0001 / Admin",
                "default",
                SessionKind::AwsSso(SsoRole {
                    integration: Uuid::from_u128(100),
                    account_id: "100000000001".into(),
                    account_name: "acct-0001".into(),
                    role_name: "Admin".into(),
                }),
            ),
        ] {
            st.add_session(s).expect("the demo's session");
        }
        st
    }

    /// A patch as JSON: the fields it sets (a cleared optional field as null).
    fn patch_json(p: &SessionPatch) -> Value {
        let mut out = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            out.insert(k.into(), v);
        };
        if let Some(v) = &p.alias {
            put("alias", json!(v));
        }
        if let Some(v) = &p.profile {
            put("profile", json!(v));
        }
        if let Some(v) = &p.region {
            put("region", json!(v));
        }
        if let Some(v) = &p.mfa_serial {
            put("mfa_serial", json!(v));
        }
        if let Some(v) = p.duration_secs {
            put("duration_secs", json!(v));
        }
        if let Some(v) = p.parent {
            put("parent", json!(v.to_string()));
        }
        if let Some(v) = &p.role_arn {
            put("role_arn", json!(v));
        }
        if let Some(v) = &p.role_session_name {
            put("role_session_name", json!(v));
        }
        if let Some(v) = &p.external_id {
            put("external_id", json!(v));
        }
        if let Some(v) = &p.idp_arn {
            put("idp_arn", json!(v));
        }
        if let Some(v) = &p.saml_url {
            put("saml_url", json!(v));
        }
        Value::Object(out)
    }

    /// A check of the model, printed when it refuses (the tests read which field).
    fn said(checked: Result<(), String>) -> Result<(), String> {
        if let Err(e) = &checked {
            eprintln!("refused: {e}");
        }
        checked
    }

    /// Opens the edit form of demo session `n`, as the tray does.
    fn edit(n: u128) {
        let st = demo_state();
        let id = Uuid::from_u128(n);
        let s = st.session(id).expect("a demo session").clone();
        let (profiles, snapshot) = (st.profiles.clone(), st.clone());
        match &s.kind {
            SessionKind::IamUser(u) => {
                let shown = forms::iam_user_shown(&s, u);
                let before = shown.clone();
                dialogs::edit_iam_user(
                    EditIamUserRequest {
                        current: shown.clone(),
                        profiles,
                        regions: regions(),
                        validate: Box::new(move |f| {
                            if let Some(k) = &f.new_keys {
                                credtray::model::fields::validate_access_keys(
                                    &k.access_key_id,
                                    &k.secret_access_key,
                                )?;
                            }
                            said(forms::check_edit(
                                &snapshot,
                                id,
                                &forms::iam_user_patch(&before, f),
                            ))
                        }),
                    },
                    Box::new(move |f| {
                        answer(match f {
                            None => Value::Null,
                            Some(f) => json!({
                                "patch": patch_json(&forms::iam_user_patch(&shown, &f)),
                                "new_keys": f.new_keys.map(|k| json!({
                                    "access_key_id": k.access_key_id,
                                    "secret_len": k.secret_access_key.chars().count(),
                                })),
                            }),
                        })
                    }),
                )
            }
            SessionKind::IamRoleChained(r) => {
                let shown = forms::chained_shown(&s, r);
                let before = shown.clone();
                dialogs::edit_chained_role(
                    EditChainedRoleRequest {
                        current: shown.clone(),
                        profiles,
                        regions: regions(),
                        parents: forms::assumers(&st, id),
                        validate: Box::new(move |f| {
                            said(forms::check_edit(
                                &snapshot,
                                id,
                                &forms::chained_patch(&before, f),
                            ))
                        }),
                    },
                    Box::new(move |f| {
                        answer(match f {
                            None => Value::Null,
                            Some(f) => {
                                json!({ "patch": patch_json(&forms::chained_patch(&shown, &f)) })
                            }
                        })
                    }),
                )
            }
            SessionKind::IamRoleFederated(fed) => {
                let shown = forms::federated_shown(&s, fed);
                let before = shown.clone();
                dialogs::edit_federated_role(
                    EditFederatedRoleRequest {
                        current: shown.clone(),
                        profiles,
                        regions: regions(),
                        validate: Box::new(move |f| {
                            said(forms::check_edit(
                                &snapshot,
                                id,
                                &forms::federated_patch(&before, &f.role),
                            ))
                        }),
                    },
                    Box::new(move |f| {
                        answer(match f {
                            None => Value::Null,
                            Some(f) => json!({
                                "patch": patch_json(&forms::federated_patch(&shown, &f.role)),
                                "forget_signin": f.forget_signin,
                            }),
                        })
                    }),
                )
            }
            SessionKind::AwsSso(_) => {
                let shown = SsoSessionEdit {
                    profile: s.profile.clone(),
                    region: s.region.clone(),
                };
                let before = shown.clone();
                dialogs::edit_sso_session(
                    EditSsoSessionRequest {
                        alias: s.alias.clone(),
                        about: "Role Admin in account 100000000001 (acct-0001), from 'corp'".into(),
                        current: shown.clone(),
                        profiles,
                        regions: regions(),
                        validate: Box::new(move |f| {
                            said(forms::check_edit(
                                &snapshot,
                                id,
                                &forms::sso_patch(&before, f),
                            ))
                        }),
                    },
                    Box::new(move |f| {
                        answer(match f {
                            None => Value::Null,
                            Some(f) => {
                                json!({ "patch": patch_json(&forms::sso_patch(&shown, &f)) })
                            }
                        })
                    }),
                )
            }
        }
    }

    /// Prints the answer as one line of JSON and leaves the main loop.
    fn answer(value: Value) {
        println!("{}", json!({ "answer": value }));
        gtk::main_quit();
    }

    pub fn main() {
        let which = std::env::args().nth(1).unwrap_or_default();
        const WHICH: [&str; 14] = [
            "edit-iam-user",
            "edit-chained-role",
            "edit-saml-role",
            "edit-sso",
            "integration",
            "sign-in-wait",
            "mfa",
            "text",
            "choice",
            "confirm",
            "iam-user",
            "chained-role",
            "saml-role",
            "profiles",
        ];
        if !WHICH.contains(&which.as_str()) {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
        samples::log_to_stderr();
        if let Err(e) = gtk::init() {
            eprintln!("dialogs: cannot start GTK: {e}");
            std::process::exit(2);
        }
        match which.as_str() {
            "edit-iam-user" => edit(1),
            "edit-chained-role" => edit(3),
            "edit-saml-role" => edit(5),
            "edit-sso" => edit(6),
            "mfa" => dialogs::mfa_code(samples::mfa("work"), Box::new(|code| answer(json!(code)))),
            "text" => dialogs::text(
                samples::rename_profile(),
                Box::new(|name| answer(json!(name))),
            ),
            "choice" => dialogs::choice(
                samples::move_session(),
                Box::new(|profile| answer(json!(profile))),
            ),
            "confirm" => dialogs::confirm(
                samples::remove_profile(),
                Box::new(|yes| answer(json!(yes))),
            ),
            "iam-user" => dialogs::add_iam_user(
                IamUserRequest {
                    profiles: profiles(),
                    regions: regions(),
                    profile: "default".into(),
                    region: "us-east-1".into(),
                    duration_secs: 36_000,
                    validate: Box::new(|form| {
                        check_alias(&form.alias)?;
                        validate_profile_name(&form.profile)?;
                        check_region(&form.region)?;
                        samples::check_access_key_id(&form.access_key_id)?;
                        if let Some(mfa) = &form.mfa_serial {
                            if !mfa.starts_with("arn:aws:iam::") {
                                return Err("an MFA device ARN starts with arn:aws:iam::".into());
                            }
                        }
                        Ok(())
                    }),
                },
                Box::new(|form| answer(samples::iam_user_json(form))),
            ),
            "chained-role" => {
                let parents = vec![
                    (
                        Uuid::from_u128(0x0b6f_6a1e_4c55_4d8a_9a3e_1f2b_3c4d_5e6f),
                        "work (IAM user, profile default)".to_owned(),
                    ),
                    (
                        Uuid::from_u128(0x7d1c_2e3f_4a5b_4c6d_8e9f_0a1b_2c3d_4e5f),
                        "personal (IAM user, profile dev)".to_owned(),
                    ),
                ];
                dialogs::add_chained_role(
                    ChainedRoleRequest {
                        profiles: profiles(),
                        regions: regions(),
                        parents,
                        profile: "prod".into(),
                        region: "eu-west-1".into(),
                        role_session_name: "credtray".into(),
                        duration_secs: 3_600,
                        validate: Box::new(|form| {
                            check_alias(&form.alias)?;
                            validate_profile_name(&form.profile)?;
                            check_region(&form.region)?;
                            if !form.role_arn.starts_with("arn:aws:iam::")
                                || !form.role_arn.contains(":role/")
                            {
                                return Err(
                                    "a role ARN looks like arn:aws:iam::123456789012:role/name"
                                        .into(),
                                );
                            }
                            Ok(())
                        }),
                    },
                    Box::new(|form| {
                        answer(match form {
                            None => Value::Null,
                            Some(form) => json!({
                                "alias": form.alias,
                                "profile": form.profile,
                                "region": form.region,
                                "parent": form.parent.to_string(),
                                "role_arn": form.role_arn,
                                "role_session_name": form.role_session_name,
                                "external_id": form.external_id,
                                "duration_secs": form.duration_secs,
                            }),
                        })
                    }),
                )
            }
            "saml-role" => {
                // The model's own checks (those of `State::add_session`), with a session
                // 'work' already there.
                let mut taken = State::new();
                taken
                    .add_session(Session {
                        id: Uuid::from_u128(1),
                        alias: "work".into(),
                        profile: "default".into(),
                        region: "eu-west-1".into(),
                        kind: SessionKind::IamUser(IamUser {
                            mfa_serial: None,
                            duration_secs: 3_600,
                        }),
                    })
                    .expect("the demo's session");
                dialogs::add_federated_role(
                    FederatedRoleRequest {
                        profiles: profiles(),
                        regions: regions(),
                        profile: "default".into(),
                        region: "eu-west-1".into(),
                        duration_secs: 3_600,
                        validate: Box::new(move |form| {
                            let mut st = taken.clone();
                            let checked = st
                                .ensure_profile(&form.profile)
                                .and_then(|_| {
                                    st.add_session(Session {
                                        id: Uuid::from_u128(2),
                                        alias: form.alias.clone(),
                                        profile: form.profile.clone(),
                                        region: form.region.clone(),
                                        kind: SessionKind::IamRoleFederated(FederatedRole {
                                            role_arn: form.role_arn.clone(),
                                            idp_arn: form.idp_arn.clone(),
                                            saml_url: form.saml_url.clone(),
                                            duration_secs: form.duration_secs,
                                        }),
                                    })
                                })
                                .map_err(|e| e.to_string());
                            if let Err(e) = &checked {
                                // The tests read which field the model refused.
                                eprintln!("refused: {e}");
                            }
                            checked
                        }),
                    },
                    Box::new(|form| {
                        answer(match form {
                            None => Value::Null,
                            Some(form) => json!({
                                "alias": form.alias,
                                "profile": form.profile,
                                "region": form.region,
                                "role_arn": form.role_arn,
                                "idp_arn": form.idp_arn,
                                "saml_url": form.saml_url,
                                "duration_secs": form.duration_secs,
                            }),
                        })
                    }),
                )
            }
            "profiles" => dialogs::named_profiles(
                samples::named_profiles(),
                Box::new(|choice| answer(samples::profile_choice_json(choice))),
            ),
            "integration" => {
                // The model's own checks, with an integration 'corp' already there.
                let mut taken = State::new();
                taken
                    .add_integration(Integration {
                        id: Uuid::from_u128(1),
                        alias: "corp".into(),
                        start_url: "https://d-1.awsapps.com/start".into(),
                        region: "eu-west-1".into(),
                        sign_in: None,
                        synced_at: None,
                    })
                    .expect("the demo's integration");
                dialogs::add_integration(
                    IntegrationRequest {
                        regions: regions(),
                        region: "us-east-1".into(),
                        validate: Box::new(move |form| {
                            let mut st = taken.clone();
                            st.add_integration(Integration {
                                id: Uuid::from_u128(2),
                                alias: form.alias.clone(),
                                start_url: form.start_url.clone(),
                                region: form.region.clone(),
                                sign_in: None,
                                synced_at: None,
                            })
                            .map_err(|e| e.to_string())
                        }),
                    },
                    Box::new(|form| {
                        answer(match form {
                            None => Value::Null,
                            Some(form) => json!({
                                "alias": form.alias,
                                "start_url": form.start_url,
                                "region": form.region,
                            }),
                        })
                    }),
                )
            }
            "sign-in-wait" => {
                let waiting = dialogs::sign_in_wait(
                    samples::sign_in_wait(),
                    Box::new(|| answer(json!("cancelled"))),
                );
                let waiting = std::cell::RefCell::new(Some(waiting));
                gtk::glib::unix_signal_add_local(libc::SIGUSR1, move || {
                    if let Some(w) = waiting.borrow_mut().take() {
                        w.close();
                        answer(json!("closed"));
                    }
                    gtk::glib::ControlFlow::Break
                });
            }
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
        gtk::main();
    }
}

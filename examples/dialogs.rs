//! Opens one of the tray's dialogs with demo data, for screenshots and for the end-to-end
//! tests in `tests/dialogs.rs`:
//!
//! ```text
//! cargo run --example dialogs -- mfa|text|choice|confirm|iam-user|chained-role|saml-role|profiles|integration|sign-in-wait
//! ```
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
mod linux {
    use credtray::model::profile::validate_profile_name;
    use credtray::model::{FederatedRole, IamUser, Integration, Session, SessionKind, State};
    use credtray::tray::dialogs::{
        self, ChainedRoleRequest, ChoiceRequest, ConfirmRequest, FederatedRoleRequest,
        IamUserRequest, IntegrationRequest, MfaRequest, ProfileChoice, ProfilesRequest,
        SignInWaitRequest, TextRequest,
    };
    use serde_json::{json, Value};
    use uuid::Uuid;

    const USAGE: &str = "usage: dialogs mfa|text|choice|confirm|iam-user|chained-role|saml-role|profiles|integration|sign-in-wait";

    /// The demo's profiles.
    fn profiles() -> Vec<String> {
        ["default", "dev", "prod"].map(String::from).to_vec()
    }

    /// The demo's regions.
    fn regions() -> Vec<String> {
        [
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-southeast-2",
        ]
        .map(String::from)
        .to_vec()
    }

    /// The aliases already taken in the demo.
    const TAKEN: [&str; 2] = ["work", "personal"];

    fn check_alias(alias: &str) -> Result<(), String> {
        if TAKEN.contains(&alias) {
            Err(format!("a session named '{alias}' exists already"))
        } else {
            Ok(())
        }
    }

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

    /// Prints the answer as one line of JSON and leaves the main loop.
    fn answer(value: Value) {
        println!("{}", json!({ "answer": value }));
        gtk::main_quit();
    }

    pub fn main() {
        let which = std::env::args().nth(1).unwrap_or_default();
        const WHICH: [&str; 10] = [
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
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("CREDTRAY_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("credtray=debug")),
            )
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_ansi(false)
            .init();
        if let Err(e) = gtk::init() {
            eprintln!("dialogs: cannot start GTK: {e}");
            std::process::exit(2);
        }
        match which.as_str() {
            "mfa" => dialogs::mfa_code(
                MfaRequest {
                    session: "work".into(),
                    serial: "arn:aws:iam::123456789012:mfa/alice".into(),
                },
                Box::new(|code| answer(json!(code))),
            ),
            "text" => dialogs::text(
                TextRequest {
                    title: "credtray: rename profile".into(),
                    prompt: "New name for profile 'dev':".into(),
                    initial: "dev".into(),
                    ok_label: "Rename".into(),
                    validate: Box::new(|name| {
                        validate_profile_name(name)?;
                        if profiles().iter().any(|p| p == name) {
                            return Err(format!("a profile named '{name}' exists already"));
                        }
                        Ok(())
                    }),
                },
                Box::new(|name| answer(json!(name))),
            ),
            "choice" => dialogs::choice(
                ChoiceRequest {
                    title: "credtray: move session".into(),
                    prompt: "Profile for session 'work':".into(),
                    choices: profiles(),
                    current: "dev".into(),
                    allow_other: true,
                    ok_label: "Move".into(),
                    validate: Box::new(validate_profile_name),
                },
                Box::new(|profile| answer(json!(profile))),
            ),
            "confirm" => dialogs::confirm(
                ConfirmRequest {
                    title: "credtray: remove profile".into(),
                    message: "Remove profile 'dev'? Its 3 sessions move to profile 'default'."
                        .into(),
                    ok_label: "Remove".into(),
                    destructive: true,
                },
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
                        let id = &form.access_key_id;
                        if id.len() < 16 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                            return Err("an access key ID has 16 or more letters and digits".into());
                        }
                        if let Some(mfa) = &form.mfa_serial {
                            if !mfa.starts_with("arn:aws:iam::") {
                                return Err("an MFA device ARN starts with arn:aws:iam::".into());
                            }
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
                            "access_key_id": form.access_key_id,
                            "secret_len": form.secret_access_key.chars().count(),
                            "mfa_serial": form.mfa_serial,
                            "duration_secs": form.duration_secs,
                        }),
                    })
                }),
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
                ProfilesRequest {
                    profiles: vec![
                        ("default".into(), 2),
                        ("dev".into(), 3),
                        ("prod".into(), 1),
                        ("sandbox".into(), 0),
                    ],
                },
                Box::new(|choice| {
                    answer(match choice {
                        None => Value::Null,
                        Some(ProfileChoice::Add) => json!({ "add": null }),
                        Some(ProfileChoice::Rename(name)) => json!({ "rename": name }),
                        Some(ProfileChoice::Remove(name)) => json!({ "remove": name }),
                    })
                }),
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
                    SignInWaitRequest {
                        alias: "corp".into(),
                        url: "https://device.sso.eu-west-1.amazonaws.com/?user_code=WDJB-MJHT"
                            .into(),
                        code: Some("WDJB-MJHT".into()),
                    },
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

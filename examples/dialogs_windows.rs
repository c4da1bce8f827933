//! Windows: opens one of the tray's native dialogs (`src/tray/dialogs/win32.rs`) with demo
//! data on a tao event loop, as the tray does, for the wine tests (`tests/wine/`) and for
//! screenshots:
//!
//! ```text
//! credtray-dialogs.exe mfa|text|choice|confirm|iam-user|edit-iam-user|profiles|sign-in-wait
//! ```
//!
//! When the dialog answers, prints one line of JSON on standard output (`{"answer":null}`
//! when cancelled) and exits 0. The IAM user forms' secret access key is never printed: its
//! length is, as `secret_len`. `edit-iam-user` edits session 'me' (profile dev, eu-west-1,
//! no MFA device) and answers what the user left in the form. `sign-in-wait` takes its window down by itself after 3 s
//! and answers `"closed"`, unless cancelled first (`"cancelled"`). Elsewhere than Windows
//! it says so and exits 2 (the Linux dialogs have `examples/dialogs.rs`).

#[cfg(windows)]
fn main() {
    windows::main()
}

#[cfg(not(windows))]
fn main() {
    eprintln!("dialogs_windows: these are the Windows dialogs; on Linux see examples/dialogs.rs");
    std::process::exit(2);
}

#[cfg(windows)]
mod windows {
    use std::io::Write;

    use credtray::model::profile::validate_profile_name;
    use credtray::tray::dialogs::{
        self, ChoiceRequest, ConfirmRequest, EditIamUserRequest, IamUserEdit, IamUserRequest,
        MfaRequest, ProfileChoice, ProfilesRequest, SignInWaitRequest, TextRequest,
    };
    use serde_json::{json, Value};
    use tao::event_loop::{ControlFlow, EventLoopBuilder};

    const USAGE: &str =
        "usage: dialogs_windows mfa|text|choice|confirm|iam-user|edit-iam-user|profiles|sign-in-wait";

    fn profiles() -> Vec<String> {
        ["default", "dev", "prod"].map(String::from).to_vec()
    }

    /// Prints the answer as one line of JSON and exits.
    fn answer(value: Value) {
        println!("{}", json!({ "answer": value }));
        let _ = std::io::stdout().flush();
        std::process::exit(0);
    }

    pub fn main() {
        let which = std::env::args().nth(1).unwrap_or_default();
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("CREDTRAY_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("credtray=debug")),
            )
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_ansi(false)
            .init();
        let event_loop = EventLoopBuilder::<()>::with_user_event().build();
        match which.as_str() {
            "mfa" => dialogs::mfa_code(
                MfaRequest {
                    session: "work & play".into(),
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
                    message: "Remove profile 'dev'?\n\nIts 3 sessions move to profile 'default'."
                        .into(),
                    ok_label: "Remove".into(),
                    destructive: true,
                },
                Box::new(|yes| answer(json!(yes))),
            ),
            "iam-user" => dialogs::add_iam_user(
                IamUserRequest {
                    profiles: profiles(),
                    regions: ["us-east-1", "eu-west-1"].map(String::from).to_vec(),
                    profile: "default".into(),
                    region: "us-east-1".into(),
                    duration_secs: 36_000,
                    validate: Box::new(|form| {
                        if form.alias == "work" {
                            return Err("a session named 'work' exists already".into());
                        }
                        validate_profile_name(&form.profile)?;
                        let id = &form.access_key_id;
                        if id.len() < 16 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                            return Err("an access key ID has 16 or more letters and digits".into());
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
            "edit-iam-user" => dialogs::edit_iam_user(
                EditIamUserRequest {
                    current: IamUserEdit {
                        alias: "me".into(),
                        profile: "dev".into(),
                        region: "eu-west-1".into(),
                        mfa_serial: None,
                        duration_secs: 36_000,
                        new_keys: None,
                    },
                    profiles: profiles(),
                    regions: ["us-east-1", "eu-west-1"].map(String::from).to_vec(),
                    validate: Box::new(|form| validate_profile_name(&form.profile)),
                },
                Box::new(|form| {
                    answer(match form {
                        None => Value::Null,
                        Some(form) => json!({
                            "alias": form.alias,
                            "profile": form.profile,
                            "region": form.region,
                            "mfa_serial": form.mfa_serial,
                            "duration_secs": form.duration_secs,
                            "new_access_key_id": form.new_keys.as_ref().map(|k| &k.access_key_id),
                            "new_secret_len": form.new_keys.as_ref()
                                .map(|k| k.secret_access_key.chars().count()),
                        }),
                    })
                }),
            ),
            "profiles" => dialogs::named_profiles(
                ProfilesRequest {
                    profiles: vec![("default".into(), 2), ("dev".into(), 3), ("prod".into(), 1)],
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
                let proxy = event_loop.create_proxy();
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_secs(3));
                    let _ = proxy.send_event(());
                });
                let mut waiting = Some(waiting);
                event_loop.run(move |event, _, flow| {
                    *flow = ControlFlow::Wait;
                    if let tao::event::Event::UserEvent(()) = event {
                        if let Some(w) = waiting.take() {
                            w.close();
                            answer(json!("closed"));
                        }
                    }
                });
            }
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
        event_loop.run(|_, _, flow| *flow = ControlFlow::Wait);
    }
}

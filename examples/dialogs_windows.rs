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
mod samples;

#[cfg(windows)]
mod windows {
    use std::io::Write;

    use super::samples::{self, check_alias, profiles, regions};
    use credtray::model::profile::validate_profile_name;
    use credtray::tray::dialogs::{self, EditIamUserRequest, IamUserEdit, IamUserRequest};
    use serde_json::{json, Value};
    use tao::event_loop::{ControlFlow, EventLoopBuilder};

    const USAGE: &str =
        "usage: dialogs_windows mfa|text|choice|confirm|iam-user|edit-iam-user|profiles|sign-in-wait";

    /// Prints the answer as one line of JSON and exits.
    fn answer(value: Value) {
        println!("{}", json!({ "answer": value }));
        let _ = std::io::stdout().flush();
        std::process::exit(0);
    }

    pub fn main() {
        let which = std::env::args().nth(1).unwrap_or_default();
        samples::log_to_stderr();
        let event_loop = EventLoopBuilder::<()>::with_user_event().build();
        match which.as_str() {
            // An ampersand, which Win32 labels would take for a mnemonic marker.
            "mfa" => dialogs::mfa_code(
                samples::mfa("work & play"),
                Box::new(|code| answer(json!(code))),
            ),
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
                        samples::check_access_key_id(&form.access_key_id)
                    }),
                },
                Box::new(|form| answer(samples::iam_user_json(form))),
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
                    regions: regions(),
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
                samples::named_profiles(),
                Box::new(|choice| answer(samples::profile_choice_json(choice))),
            ),
            "sign-in-wait" => {
                let waiting = dialogs::sign_in_wait(
                    samples::sign_in_wait(),
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

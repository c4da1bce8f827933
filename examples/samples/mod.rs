//! The demo data the dialog examples share: `examples/dialogs.rs` (GTK, Linux) and
//! `examples/dialogs_windows.rs` (Win32) open the same dialogs with the same requests and
//! answer in the same JSON, so the tests of both toolkits read one format; the examples'
//! log set-up (`examples/sessions_window.rs` too). (Not an example itself: Cargo takes
//! `examples/<name>/main.rs`, not `mod.rs`.)

// Each example uses its own part of what is here.
#![allow(dead_code)]

use credtray::model::profile::validate_profile_name;
use credtray::tray::dialogs::{
    ChoiceRequest, ConfirmRequest, IamUserForm, MfaRequest, ProfileChoice, ProfilesRequest,
    SignInWaitRequest, TextRequest,
};
use serde_json::{json, Value};

/// The dialogs' own log (an Enter they ignore…) on standard error, at debug level unless
/// `CREDTRAY_LOG` says otherwise.
pub fn log_to_stderr() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CREDTRAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("credtray=debug")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false)
        .init();
}

/// The demo's profiles.
pub fn profiles() -> Vec<String> {
    ["default", "dev", "prod"].map(String::from).to_vec()
}

/// The demo's regions.
pub fn regions() -> Vec<String> {
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
pub const TAKEN: [&str; 2] = ["work", "personal"];

/// Refuses an alias the demo has already.
pub fn check_alias(alias: &str) -> Result<(), String> {
    if TAKEN.contains(&alias) {
        Err(format!("a session named '{alias}' exists already"))
    } else {
        Ok(())
    }
}

/// Refuses what does not look like an access key id.
pub fn check_access_key_id(id: &str) -> Result<(), String> {
    if id.len() < 16 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("an access key ID has 16 or more letters and digits".into());
    }
    Ok(())
}

/// The MFA code dialog of session `session`.
pub fn mfa(session: &str) -> MfaRequest {
    MfaRequest {
        session: session.into(),
        serial: "arn:aws:iam::123456789012:mfa/alice".into(),
    }
}

/// "New name for profile 'dev'", refusing a bad or taken name.
pub fn rename_profile() -> TextRequest {
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
    }
}

/// "Profile for session 'work'": one of the demo's profiles, or a typed one.
pub fn move_session() -> ChoiceRequest {
    ChoiceRequest {
        title: "credtray: move session".into(),
        prompt: "Profile for session 'work':".into(),
        choices: profiles(),
        current: "dev".into(),
        allow_other: true,
        ok_label: "Move".into(),
        validate: Box::new(validate_profile_name),
    }
}

/// "Remove profile 'dev'?", a destructive yes or no.
pub fn remove_profile() -> ConfirmRequest {
    ConfirmRequest {
        title: "credtray: remove profile".into(),
        message: "Remove profile 'dev'?\n\nIts 3 sessions move to profile 'default'.".into(),
        ok_label: "Remove".into(),
        destructive: true,
    }
}

/// The named profiles manager's rows.
pub fn named_profiles() -> ProfilesRequest {
    ProfilesRequest {
        profiles: vec![
            ("default".into(), 2),
            ("dev".into(), 3),
            ("prod".into(), 1),
            ("sandbox".into(), 0),
        ],
    }
}

/// What the named profiles manager answered, as JSON.
pub fn profile_choice_json(choice: Option<ProfileChoice>) -> Value {
    match choice {
        None => Value::Null,
        Some(ProfileChoice::Add) => json!({ "add": null }),
        Some(ProfileChoice::Rename(name)) => json!({ "rename": name }),
        Some(ProfileChoice::Remove(name)) => json!({ "remove": name }),
    }
}

/// The IAM user form's answer as JSON: the secret access key's length, never the key.
pub fn iam_user_json(form: Option<IamUserForm>) -> Value {
    match form {
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
    }
}

/// A device-mode sign-in to 'corp' waiting for the browser.
pub fn sign_in_wait() -> SignInWaitRequest {
    SignInWaitRequest {
        alias: "corp".into(),
        url: "https://device.sso.eu-west-1.amazonaws.com/?user_code=WDJB-MJHT".into(),
        code: Some("WDJB-MJHT".into()),
    }
}

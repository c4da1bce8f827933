//! End to end: `credtray profile …` (and settings), with sessions started against a real moto
//! STS, read back by the real AWS CLI, secrets in a real gnome-keyring.

mod common;

use common::*;
use serde_json::Value;

fn profile<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array().unwrap().iter().find(|p| p["name"] == name)
}

#[test]
fn default_is_always_listed_first() {
    let sb = Sandbox::offline();
    let list = sb.profile_list();
    assert_eq!(
        list,
        serde_json::json!([{ "name": "default", "sessions": [], "active_session": null }]),
        "a fresh state has exactly the default profile"
    );
    sb.credtray(&["profile", "add", "aaa"]).run().ok();
    sb.credtray(&["profile", "add", "zzz"]).run().ok();
    let names = sb.profile_names();
    assert_eq!(names[0], "default", "{names:?}");
    assert_eq!(names.len(), 3, "{names:?}");
    let text = sb.credtray(&["profile", "list"]).run().ok();
    for name in ["default", "aaa", "zzz"] {
        assert!(
            text.stdout.contains(name),
            "the plain list shows {name}:\n{text}"
        );
    }
}

#[test]
fn add_rejects_invalid_and_duplicate_names() {
    let sb = Sandbox::offline();
    sb.credtray(&["profile", "add", "dev"]).run().ok();
    let before = sb.profile_list();
    for bad in ["", "a[b", "a]b", "[dev]", "a\nb", "dev", "default"] {
        let err = sb.credtray(&["profile", "add", bad]).run().fails();
        assert!(!err.trim().is_empty(), "{bad:?} rejected with a reason");
        assert_eq!(
            sb.profile_list(),
            before,
            "a rejected add ({bad:?}) changes nothing"
        );
    }
    assert_eq!(
        sb.snapshot(),
        Files {
            credentials: None,
            config: None
        }
    );
    // Also through `session add --profile`: an invalid name creates nothing.
    sb.credtray(&[
        "session",
        "add",
        "iam-user",
        "--alias",
        "x",
        "--profile",
        "bad]name",
    ])
    .stdin_str("AKIAINVALIDPROFILE01\nsecret\n")
    .run()
    .fails();
    assert_eq!(sb.profile_list(), before);
    assert_eq!(sb.session_list(), Value::Array(vec![]));
}

#[test]
fn rename_moves_an_active_sessions_sections_and_keeps_it_active() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let user_creds = "# mine\r\n[keep]\r\naws_access_key_id = AKIAKEEPUSERKEY00001\r\naws_secret_access_key = k\r\n";
    let user_config = "[profile keep]\r\nregion = eu-west-1\r\n";
    sb.write_credentials(user_creds);
    sb.write_config(user_config);
    sb.add_iam_user("base", "base", &[]);
    let id = sb.add_chained(
        "renamed",
        "base",
        "RoleR",
        "old",
        &["--region", "eu-north-1"],
    );
    sb.credtray(&["session", "start", "renamed"]).run().ok();
    sb.assert_caller("old", &assumed_role_arn("RoleR", "credtray"));

    sb.credtray(&["profile", "rename", "old", "new"]).run().ok();

    let creds = sb.credentials_text();
    let config = sb.config_text();
    assert!(
        ini_section(&creds, "old").is_none(),
        "nothing left under [old]\n{}",
        sb.dump()
    );
    assert!(
        ini_section(&config, "profile old").is_none(),
        "nothing left under [profile old]\n{}",
        sb.dump()
    );
    assert_eq!(
        ini_keys(&creds, "new").map(|k| k.len()),
        Some(3),
        "{}",
        sb.dump()
    );
    assert_eq!(
        ini_get(&config, "profile new", "region").as_deref(),
        Some("eu-north-1"),
        "{}",
        sb.dump()
    );
    sb.assert_caller("new", &assumed_role_arn("RoleR", "credtray"));
    sb.assert_no_credentials("old");
    sb.assert_caller("keep", MOTO_USER_ARN);

    let s = sb.session("renamed");
    assert_eq!(s["profile"], "new", "{s:#}");
    assert_eq!(s["active"], true, "{s:#}");
    let list = sb.profile_list();
    assert!(profile(&list, "old").is_none(), "{list:#}");
    let new = profile(&list, "new").unwrap_or_else(|| panic!("{list:#}"));
    assert_eq!(new["active_session"], id.as_str(), "{list:#}");
    assert_eq!(new["sessions"], serde_json::json!([id]), "{list:#}");

    // Refusals change nothing.
    let before = (sb.profile_list(), sb.snapshot());
    sb.credtray(&["profile", "rename", "new", "base"])
        .run()
        .fails(); // exists
    sb.credtray(&["profile", "rename", "missing", "other"])
        .run()
        .fails(); // no such profile
    sb.credtray(&["profile", "rename", "new", "bad[name"])
        .run()
        .fails(); // invalid
    assert_eq!((sb.profile_list(), sb.snapshot()), before);

    // Stopping after the rename restores the user's files.
    sb.credtray(&["session", "stop", "renamed"]).run().ok();
    assert_eq!(
        sb.credentials_bytes().as_deref(),
        Some(user_creds.as_bytes()),
        "{}",
        sb.dump()
    );
    assert_eq!(
        sb.config_bytes().as_deref(),
        Some(user_config.as_bytes()),
        "{}",
        sb.dump()
    );
}

#[test]
fn remove_moves_sessions_to_default_and_restarts_the_active_one_there() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("base", "base", &[]);
    let idle = sb.add_chained("idle", "base", "RoleIdle", "temp", &[]);
    let busy = sb.add_chained("busy", "base", "RoleBusy", "temp", &[]);
    sb.credtray(&["session", "start", "busy"]).run().ok();
    sb.assert_caller("temp", &assumed_role_arn("RoleBusy", "credtray"));

    sb.credtray(&["profile", "remove", "temp"]).run().ok();

    let list = sb.profile_list();
    assert!(profile(&list, "temp").is_none(), "{list:#}");
    let default = profile(&list, "default").unwrap();
    let mut sessions: Vec<String> = default["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{list:#}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    sessions.sort();
    let mut expected = vec![idle.clone(), busy.clone()];
    expected.sort();
    assert_eq!(
        sessions, expected,
        "the removed profile's sessions move to default: {list:#}"
    );
    assert_eq!(default["active_session"], busy.as_str(), "{list:#}");
    assert_eq!(sb.session("idle")["profile"], "default");
    assert_eq!(sb.session("busy")["profile"], "default");
    assert!(sb.is_active("busy"));
    assert!(!sb.is_active("idle"));

    sb.assert_caller("default", &assumed_role_arn("RoleBusy", "credtray"));
    sb.assert_no_credentials("temp");
    assert!(
        ini_section(&sb.credentials_text(), "temp").is_none(),
        "{}",
        sb.dump()
    );
    assert!(
        ini_section(&sb.config_text(), "profile temp").is_none(),
        "{}",
        sb.dump()
    );

    sb.credtray(&["profile", "remove", "temp"]).run().fails(); // gone already
}

#[test]
fn default_can_be_neither_renamed_nor_removed() {
    let sb = Sandbox::offline();
    let before = sb.profile_list();
    let err = sb
        .credtray(&["profile", "rename", "default", "main"])
        .run()
        .fails();
    assert!(err.contains("default"), "{err}");
    let err = sb.credtray(&["profile", "remove", "default"]).run().fails();
    assert!(err.contains("default"), "{err}");
    assert_eq!(sb.profile_list(), before);
}

#[test]
fn rotation_margin_setting_round_trips() {
    let sb = Sandbox::offline();
    sb.credtray(&["settings", "set", "rotation-margin", "600"])
        .run()
        .ok();
    let out = sb.credtray(&["settings", "show", "--json"]).run().ok();
    let v = out.json();
    assert!(
        v.as_object().is_some_and(|o| o.values().any(|x| x == 600)),
        "settings show --json gives the new margin:\n{out}"
    );
    sb.credtray(&["settings", "set", "rotation-margin", "not-a-number"])
        .run()
        .fails();
    assert_eq!(
        sb.credtray(&["settings", "show", "--json"])
            .run()
            .ok()
            .json(),
        v
    );
}

#[test]
fn names_that_display_differently_from_what_they_are_are_refused_by_code_point() {
    let sb = Sandbox::offline();
    sb.credtray(&["profile", "add", "dev"]).run().ok();
    let before = sb.profile_list();
    for (bad, shown, said) in [
        (
            "dev\u{202E}ved",
            "dev<U+202E>ved",
            "U+202E (a right-to-left override)",
        ),
        (
            "pr\u{200B}od",
            "pr<U+200B>od",
            "U+200B (a zero-width space)",
        ),
        (
            "a\u{2066}b",
            "a<U+2066>b",
            "U+2066 (a left-to-right isolate)",
        ),
        (
            "\u{FEFF}ops",
            "<U+FEFF>ops",
            "U+FEFF (a zero-width no-break space)",
        ),
    ] {
        let message = format!(
            "credtray: invalid profile name '{shown}': it contains {said}, which would make it \
             display differently from what it is; use plain characters"
        );
        let err = sb.credtray(&["profile", "add", bad]).run().fails();
        assert!(
            err.lines().any(|l| l == message),
            "profile add {bad:?}: {err}"
        );
        let err = sb
            .credtray(&["profile", "rename", "dev", bad])
            .run()
            .fails();
        assert!(
            err.lines().any(|l| l == message),
            "profile rename to {bad:?}: {err}"
        );
        // Through `session add --profile` too, before any key is asked for.
        let err = sb
            .credtray(&[
                "session",
                "add",
                "iam-user",
                "--alias",
                "x",
                "--profile",
                bad,
            ])
            .stdin_str("AKIAINVALIDPROFILE01\nsecret\n")
            .run()
            .fails();
        assert!(
            err.lines().any(|l| l == message),
            "session add --profile {bad:?}: {err}"
        );
        assert_eq!(sb.profile_list(), before, "{bad:?} stored nothing");
        assert_eq!(sb.session_list(), Value::Array(vec![]));
    }
    assert_eq!(
        sb.snapshot(),
        Files {
            credentials: None,
            config: None
        }
    );
}

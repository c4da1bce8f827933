//! End to end: `credtray session …` against a real moto STS, read back by the real AWS CLI,
//! with secrets in a real gnome-keyring. Run through scripts/test.sh (or scripts/with-keyring.sh
//! with the venv of scripts/test-venv.sh).

mod common;

use common::*;
use serde_json::Value;

/// A user's credentials file: comments, another profile with the user's own keys, unknown
/// keys, blank lines, CRLF and LF line ends mixed.
const USER_CREDENTIALS: &str = "# my credentials\r\n\
[other]\r\n\
aws_access_key_id = AKIAOTHERUSERKEY0001\r\n\
aws_secret_access_key = other/user+secret\r\n\
\r\n\
; a comment between sections\n\
[scratch]\n\
unknown_key = kept  \n\
\n";

/// A user's config file in the same spirit.
const USER_CONFIG: &str = "# my config\r\n\
[default]\r\n\
output = text\r\n\
\r\n\
[profile other]\r\n\
region = eu-central-1\r\n\
cli_pager =\r\n\
# end\n";

fn session_field(sb: &Sandbox, alias: &str, field: &str) -> Value {
    sb.session(alias)[field].clone()
}

#[test]
fn iam_user_start_writes_the_profile_and_stop_restores_the_files_byte_for_byte() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.write_credentials(USER_CREDENTIALS);
    sb.write_config(USER_CONFIG);

    let keys = format!("{}\n{}\n", sb.access_key_id, sb.secret_access_key);
    let out = sb
        .credtray(&[
            "session",
            "add",
            "iam-user",
            "--alias",
            "dev-user",
            "--profile",
            "dev",
        ])
        .stdin_str(&keys)
        .run()
        .ok();
    let id = expect_id(&out);
    assert!(
        out.stderr
            .to_lowercase()
            .contains("created named profile 'dev'"),
        "adding a session on a new profile says so on stderr:\n{out}"
    );
    assert!(
        sb.profile_names().contains(&"dev".to_string()),
        "{:#}",
        sb.profile_list()
    );
    assert_eq!(
        sb.snapshot(),
        Files {
            credentials: Some(USER_CREDENTIALS.into()),
            config: Some(USER_CONFIG.into()),
        },
        "adding a session writes nothing to the AWS files"
    );
    assert!(!sb.is_active("dev-user"));

    let before = sb.snapshot();
    sb.credtray(&["session", "start", "dev-user"]).run().ok();

    let creds = sb.credentials_text();
    assert_eq!(
        ini_keys(&creds, "dev"),
        Some(vec![
            "aws_access_key_id".to_string(),
            "aws_secret_access_key".to_string(),
            "aws_session_token".to_string()
        ]),
        "exactly the three keys under [dev]\n{}",
        sb.dump()
    );
    let written_key = ini_get(&creds, "dev", "aws_access_key_id").unwrap();
    assert_ne!(
        written_key,
        sb.access_key_id,
        "the long-term key must not be written\n{}",
        sb.dump()
    );
    assert!(
        written_key.contains("EXAMPLE"),
        "the session key is moto's GetSessionToken example key\n{}",
        sb.dump()
    );
    assert_eq!(
        ini_get(&sb.config_text(), "profile dev", "region").as_deref(),
        Some("us-east-1"),
        "region under [profile dev] in the config file\n{}",
        sb.dump()
    );
    assert!(
        lines_kept_in_order(
            before.credentials.as_ref().unwrap(),
            sb.credentials_bytes().as_ref().unwrap()
        ),
        "every line of the user's credentials file is kept, in order\n{}",
        sb.dump()
    );
    assert!(
        lines_kept_in_order(
            before.config.as_ref().unwrap(),
            sb.config_bytes().as_ref().unwrap()
        ),
        "every line of the user's config file is kept, in order\n{}",
        sb.dump()
    );
    sb.assert_caller("dev", MOTO_USER_ARN);
    sb.assert_caller("other", MOTO_USER_ARN); // the user's own profile still works

    let s = sb.session("dev-user");
    assert_eq!(s["id"], id.as_str());
    assert_eq!(s["active"], true, "{s:#}");
    let exp = s["expiration"]
        .as_str()
        .unwrap_or_else(|| panic!("active session has an expiration: {s:#}"));
    assert!(
        exp.len() >= 20 && exp.as_bytes()[4] == b'-' && exp.contains('T'),
        "RFC 3339: {exp}"
    );

    sb.credtray(&["session", "stop", "dev-user"]).run().ok();
    sb.assert_no_credentials("dev");
    assert_eq!(
        sb.snapshot(),
        before,
        "stop restores both files byte for byte"
    );
    assert_eq!(session_field(&sb, "dev-user", "active"), false);
    assert_eq!(session_field(&sb, "dev-user", "expiration"), Value::Null);
}

#[test]
fn default_profile_from_no_files_at_all() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("plain", "default", &["--region", "eu-west-2"]);
    assert_eq!(
        sb.snapshot(),
        Files {
            credentials: None,
            config: None
        }
    );

    sb.credtray(&["session", "start", "plain"]).run().ok();
    sb.assert_caller("default", MOTO_USER_ARN);
    assert_eq!(
        ini_get(&sb.config_text(), "default", "region").as_deref(),
        Some("eu-west-2"),
        "the default profile's region goes under [default]\n{}",
        sb.dump()
    );
    assert!(
        ini_section(&sb.config_text(), "profile default").is_none(),
        "no [profile default] section\n{}",
        sb.dump()
    );
    use std::os::unix::fs::PermissionsExt;
    for file in [&sb.credentials, &sb.aws_config] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", file.display());
    }
    let dir_mode = std::fs::metadata(sb.credentials.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        dir_mode, 0o700,
        "the folder credtray created has mode {dir_mode:o}"
    );

    sb.credtray(&["session", "stop", "plain"]).run().ok();
    sb.assert_no_credentials("default");
    for (name, bytes) in [
        ("credentials", sb.credentials_bytes()),
        ("config", sb.config_bytes()),
    ] {
        assert!(
            bytes
                .as_ref()
                .is_none_or(|b| b.iter().all(u8::is_ascii_whitespace)),
            "after stop the {name} file holds nothing credtray wrote\n{}",
            sb.dump()
        );
    }
}

#[test]
fn chained_roles_three_levels_deep() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let base = sb.add_iam_user("base", "base", &[]);
    let a = sb.add_chained("role-a", &base, "RoleA", "a", &[]); // parent by id
    sb.add_chained("role-b", "role-a", "RoleB", "b", &[]); // parent by alias
    sb.add_chained("role-c", "role-b", "RoleC", "c", &[]);
    sb.add_chained(
        "role-d",
        "role-b",
        "RoleD",
        "d",
        &["--role-session-name", "my-session"],
    );

    let s = sb.session("role-a");
    assert_eq!(s["kind"], "iam-role-chained", "{s:#}");
    assert_eq!(s["parent"], base.as_str(), "{s:#}");
    assert_eq!(s["role_arn"], role_arn("RoleA"), "{s:#}");
    assert_eq!(sb.session("role-b")["parent"], a.as_str());

    sb.credtray(&["session", "start", "role-c"]).run().ok();
    sb.assert_caller("c", &assumed_role_arn("RoleC", "credtray"));
    assert_eq!(
        ini_keys(&sb.credentials_text(), "c").map(|k| k.len()),
        Some(3),
        "{}",
        sb.dump()
    );

    sb.credtray(&["session", "start", "role-d"]).run().ok();
    sb.assert_caller("d", &assumed_role_arn("RoleD", "my-session"));
    sb.assert_caller("c", &assumed_role_arn("RoleC", "credtray"));

    sb.credtray(&["session", "stop", "role-c"]).run().ok();
    sb.assert_no_credentials("c");
    sb.assert_caller("d", &assumed_role_arn("RoleD", "my-session"));
}

#[test]
fn cycles_are_refused() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let base = sb.add_iam_user("base", "base", &[]);
    let a = sb.add_chained("role-a", "base", "RoleA", "a", &[]);
    sb.add_chained("role-b", "role-a", "RoleB", "b", &[]);
    let before = sb.session_list();

    let err = sb
        .credtray(&["session", "edit", "role-a", "--parent", "role-b"])
        .run()
        .fails();
    assert!(
        err.to_lowercase().contains("cycle"),
        "a cycle is named as such: {err}"
    );
    let err = sb
        .credtray(&["session", "edit", "role-a", "--parent", &a])
        .run()
        .fails();
    assert!(
        err.to_lowercase().contains("cycle") || err.contains("itself"),
        "{err}"
    );
    assert_eq!(sb.session_list(), before, "a refused edit changes nothing");
    assert_eq!(sb.session("role-a")["parent"], base.as_str());
    assert_eq!(sb.session("role-b")["parent"], a.as_str());
}

#[test]
fn mfa_is_asked_once_per_token_lifetime_and_shared_by_children() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let serial = mfa_arn("dev-user");
    sb.add_iam_user("mfa-user", "mfa", &["--mfa-serial", &serial]);
    assert_eq!(sb.session("mfa-user")["mfa_serial"], serial.as_str());
    sb.add_chained("mfa-child", "mfa-user", "RoleM", "mfa-child", &[]);

    sb.credtray(&["session", "start", "mfa-user", "--mfa-code", "123456"])
        .run()
        .ok();
    sb.assert_caller("mfa", MOTO_USER_ARN);
    sb.credtray(&["session", "stop", "mfa-user"]).run().ok();
    sb.assert_no_credentials("mfa");

    // No code, no terminal: the cached MFA-backed token is reused.
    sb.credtray(&["session", "start", "mfa-user"]).run().ok();
    sb.assert_caller("mfa", MOTO_USER_ARN);
    // A chained child of it needs no code either.
    sb.credtray(&["session", "start", "mfa-child"]).run().ok();
    sb.assert_caller("mfa-child", &assumed_role_arn("RoleM", "credtray"));

    // A fresh MFA session with no code and no terminal: a clear error, nothing written.
    sb.add_iam_user("mfa-fresh", "fresh", &["--mfa-serial", &mfa_arn("fresh")]);
    let before = sb.snapshot();
    let err = sb
        .credtray(&["session", "start", "mfa-fresh"])
        .run()
        .fails();
    assert!(
        err.to_lowercase().contains("mfa"),
        "the error mentions the MFA code: {err}"
    );
    assert_eq!(sb.snapshot(), before, "a failed start writes nothing");
    assert!(!sb.is_active("mfa-fresh"));
    // ... and its chained child cannot start without the code either.
    sb.add_chained("fresh-child", "mfa-fresh", "RoleF", "fresh-child", &[]);
    let err = sb
        .credtray(&["session", "start", "fresh-child"])
        .run()
        .fails();
    assert!(
        err.to_lowercase().contains("mfa"),
        "the error mentions the MFA code: {err}"
    );
    // With the code given to the child's start, both the token and the role come in one go.
    sb.credtray(&["session", "start", "fresh-child", "--mfa-code", "654321"])
        .run()
        .ok();
    sb.assert_caller("fresh-child", &assumed_role_arn("RoleF", "credtray"));
}

#[test]
fn one_active_session_per_profile() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("base", "base", &[]);
    sb.add_chained("first", "base", "RoleFirst", "shared", &[]);
    sb.add_chained("second", "base", "RoleSecond", "shared", &[]);

    sb.credtray(&["session", "start", "first"]).run().ok();
    sb.assert_caller("shared", &assumed_role_arn("RoleFirst", "credtray"));
    sb.credtray(&["session", "start", "second"]).run().ok();
    sb.assert_caller("shared", &assumed_role_arn("RoleSecond", "credtray"));
    assert!(
        !sb.is_active("first"),
        "starting a second session stops the first\n{:#}",
        sb.session_list()
    );
    assert!(sb.is_active("second"));
    let sections = ini_sections(&sb.credentials_text());
    assert_eq!(
        sections.iter().filter(|s| *s == "shared").count(),
        1,
        "one [shared] section\n{}",
        sb.dump()
    );
    let profiles = sb.profile_list();
    let shared = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "shared")
        .unwrap_or_else(|| panic!("profile shared listed: {profiles:#}"));
    assert_eq!(
        shared["active_session"],
        sb.session_id("second").as_str(),
        "{profiles:#}"
    );
    assert_eq!(
        shared["sessions"].as_array().map(Vec::len),
        Some(2),
        "{profiles:#}"
    );
}

#[test]
fn take_over_is_refused_without_the_flag_and_restores_the_users_section() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let users_creds = format!(
        "# mine\r\n[mine]\r\naws_access_key_id = {}\r\naws_secret_access_key = users-own-secret\r\n# note kept\r\n\r\n[other]\r\naws_access_key_id = AKIAOTHERUSERKEY0002\r\naws_secret_access_key = x\r\n",
        "AKIAUSERSOWNKEY00001"
    );
    let users_config =
        "[profile mine]\r\noutput = text\r\n\r\n[profile other]\nregion = eu-west-1\n";
    sb.write_credentials(&users_creds);
    sb.write_config(users_config);
    sb.add_iam_user("base", "base", &[]);
    sb.add_chained("taker", "base", "RoleT", "mine", &[]);
    let before = sb.snapshot();

    let err = sb.credtray(&["session", "start", "taker"]).run().fails();
    assert!(err.contains("mine"), "the refusal names the profile: {err}");
    assert_eq!(sb.snapshot(), before, "a refused start changes nothing");
    assert!(!sb.is_active("taker"));
    sb.assert_caller("mine", MOTO_USER_ARN);

    sb.credtray(&["session", "start", "taker", "--take-over"])
        .run()
        .ok();
    sb.assert_caller("mine", &assumed_role_arn("RoleT", "credtray"));
    assert_ne!(
        ini_get(&sb.credentials_text(), "mine", "aws_access_key_id").as_deref(),
        Some("AKIAUSERSOWNKEY00001"),
        "{}",
        sb.dump()
    );
    assert!(
        !sb.credentials_text().contains("users-own-secret"),
        "while taken over, the user's keys are not served under [mine]\n{}",
        sb.dump()
    );
    sb.assert_caller("other", MOTO_USER_ARN);
    for file in files_under(&sb.config_dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !contains_bytes(&bytes, b"users-own-secret"),
            "the user's own secret key, set aside, is copied into {}",
            file.display()
        );
    }

    sb.credtray(&["session", "stop", "taker"]).run().ok();
    assert_eq!(
        sb.snapshot(),
        before,
        "stop restores the user's section byte for byte"
    );
    sb.assert_caller("mine", MOTO_USER_ARN);
}

#[test]
fn session_test_writes_nothing_and_says_it_worked() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("base", "base", &[]);
    sb.add_chained("child", "base", "RoleA", "child", &[]);
    for alias in ["base", "child"] {
        let out = sb.credtray(&["session", "test", alias]).run().ok();
        assert!(
            !(out.stdout.trim().is_empty() && out.stderr.trim().is_empty()),
            "session test says whether it worked:\n{out}"
        );
        assert_eq!(
            sb.snapshot(),
            Files {
                credentials: None,
                config: None
            },
            "{out}"
        );
        assert!(!sb.is_active(alias));
    }
    // A test that cannot work says so and fails: an MFA session with no code and no terminal.
    sb.add_iam_user("mfa", "mfa", &["--mfa-serial", &mfa_arn("m")]);
    sb.credtray(&["session", "test", "mfa"]).run().fails();
    assert_eq!(
        sb.snapshot(),
        Files {
            credentials: None,
            config: None
        }
    );
}

#[test]
fn session_list_json_has_the_contract_fields_and_never_a_secret() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let user = sb.add_iam_user(
        "u",
        "p1",
        &["--region", "eu-west-2", "--mfa-serial", &mfa_arn("u")],
    );
    let role = sb.add_chained(
        "r",
        "u",
        "RoleA",
        "p2",
        &[
            "--external-id",
            "ext-123",
            "--duration",
            "900",
            "--role-session-name",
            "rsn",
        ],
    );
    let list = sb.session_list();
    let arr = list.as_array().unwrap();
    assert_eq!(arr.len(), 2, "{list:#}");
    for s in arr {
        for field in [
            "id",
            "alias",
            "kind",
            "profile",
            "region",
            "active",
            "expiration",
        ] {
            assert!(s.get(field).is_some(), "field {field} missing in {s:#}");
        }
        assert!(is_uuid(s["id"].as_str().unwrap()), "{s:#}");
        assert_eq!(s["active"], false);
        assert_eq!(s["expiration"], Value::Null);
    }
    let u = sb.session("u");
    assert_eq!(u["id"], user.as_str());
    assert_eq!(u["kind"], "iam-user");
    assert_eq!(u["profile"], "p1");
    assert_eq!(u["region"], "eu-west-2");
    assert_eq!(u["mfa_serial"], mfa_arn("u"));
    let r = sb.session("r");
    assert_eq!(r["id"], role.as_str());
    assert_eq!(r["kind"], "iam-role-chained");
    assert_eq!(r["profile"], "p2");
    assert_eq!(r["region"], "us-east-1", "the region defaults to us-east-1");
    assert_eq!(r["parent"], user.as_str());
    assert_eq!(r["role_arn"], role_arn("RoleA"));

    let text = sb.credtray(&["session", "list"]).run().ok();
    assert!(
        text.stdout.contains('u') && text.stdout.contains("iam-role-chained"),
        "{text}"
    );
    for out in sb.transcript() {
        for secret in [&sb.access_key_id, &sb.secret_access_key] {
            assert!(
                !out.stdout.contains(secret.as_str()) && !out.stderr.contains(secret.as_str()),
                "a long-term secret was printed:\n{out}"
            );
        }
    }
}

#[test]
fn sessions_are_named_by_alias_id_or_unique_id_prefix() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let id = sb.add_iam_user("by-name", "p", &[]);
    sb.credtray(&["session", "start", &id[..8]]).run().ok();
    assert!(sb.is_active("by-name"));
    sb.credtray(&["session", "stop", &id]).run().ok();
    assert!(!sb.is_active("by-name"));
    sb.credtray(&["session", "start", "by-name"]).run().ok();
    assert!(sb.is_active("by-name"));
    sb.credtray(&["session", "stop", "by-name"]).run().ok();

    let err = sb
        .credtray(&["session", "start", "no-such-session"])
        .run()
        .fails();
    assert!(
        err.contains("no-such-session"),
        "the error names what was not found: {err}"
    );
    // Aliases are unique.
    let keys = format!("{}\n{}\n", sb.access_key_id, sb.secret_access_key);
    sb.credtray(&["session", "add", "iam-user", "--alias", "by-name"])
        .stdin_str(&keys)
        .run()
        .fails();
    assert_eq!(sb.session_list().as_array().unwrap().len(), 1);
}

#[test]
fn remove_deletes_the_keychain_items_and_guards_children() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let user = sb.add_iam_user("doomed", "doomed", &["--mfa-serial", &mfa_arn("d")]);
    let child = sb.add_chained("doomed-child", "doomed", "RoleA", "dc", &[]);
    let items = keychain_accounts_of(&user);
    assert!(
        !items.is_empty(),
        "the access keys are in the keychain under the session's id: {:?}",
        keychain_accounts()
    );
    for item in &items {
        assert!(
            item.starts_with(&format!("{user}/"))
                || item.ends_with(&format!("/{user}"))
                || item.contains(&user),
            "account names the session: {item}"
        );
    }
    // A cached MFA-backed token also goes away with the session.
    sb.credtray(&["session", "start", "doomed", "--mfa-code", "111111"])
        .run()
        .ok();
    sb.credtray(&["session", "stop", "doomed"]).run().ok();

    let err = sb.credtray(&["session", "remove", "doomed"]).run().fails();
    assert!(
        err.contains("doomed-child") || err.contains("child"),
        "the refusal names the children: {err}"
    );
    assert_eq!(sb.session_list().as_array().unwrap().len(), 2);
    assert!(!keychain_accounts_of(&user).is_empty());

    sb.credtray(&["session", "remove", "doomed", "--with-children"])
        .run()
        .ok();
    assert_eq!(sb.session_list(), Value::Array(vec![]));
    assert_eq!(
        keychain_accounts_of(&user),
        Vec::<String>::new(),
        "remove deletes the keychain items"
    );
    assert_eq!(keychain_accounts_of(&child), Vec::<String>::new());
}

#[test]
fn editing_an_active_session_restarts_it_where_it_now_belongs() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("base", "base", &[]);
    sb.add_chained("mover", "base", "RoleA", "from", &[]);
    sb.credtray(&["session", "start", "mover"]).run().ok();

    sb.credtray(&["session", "edit", "mover", "--region", "ap-south-1"])
        .run()
        .ok();
    assert_eq!(
        ini_get(&sb.config_text(), "profile from", "region").as_deref(),
        Some("ap-south-1"),
        "{}",
        sb.dump()
    );
    sb.credtray(&["session", "edit", "mover", "--profile", "to"])
        .run()
        .ok();
    assert!(sb.is_active("mover"));
    sb.assert_caller("to", &assumed_role_arn("RoleA", "credtray"));
    sb.assert_no_credentials("from");
    assert!(
        ini_section(&sb.credentials_text(), "from").is_none(),
        "{}",
        sb.dump()
    );

    sb.credtray(&[
        "session",
        "edit",
        "mover",
        "--role-arn",
        &role_arn("RoleZ"),
        "--alias",
        "moved",
    ])
    .run()
    .ok();
    assert_eq!(sb.session("moved")["role_arn"], role_arn("RoleZ"));
    sb.credtray(&["session", "stop", "moved"]).run().ok();
    sb.credtray(&["session", "start", "moved"]).run().ok();
    sb.assert_caller("to", &assumed_role_arn("RoleZ", "credtray"));
}

#[test]
fn an_edit_that_changes_how_credentials_are_obtained_serves_the_new_ones_at_once() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.add_iam_user("base", "base", &[]);
    sb.add_chained("mid", "base", "RoleM", "mid", &[]);
    sb.add_chained("leaf", "mid", "RoleL", "leaf", &[]);
    sb.add_chained("idle", "mid", "RoleI", "idle", &[]);
    sb.credtray(&["session", "start", "mid"]).run().ok();
    sb.credtray(&["session", "start", "leaf"]).run().ok();
    sb.assert_caller("mid", &assumed_role_arn("RoleM", "credtray"));
    let leaf_before = sb.credentials_text();

    // The role ARN of an active chained role: it serves the new role at once, and the
    // active session below it restarts with credentials from the new role.
    let out = sb
        .credtray(&["session", "edit", "mid", "--role-arn", &role_arn("RoleN")])
        .run()
        .ok();
    sb.assert_caller("mid", &assumed_role_arn("RoleN", "credtray"));
    sb.assert_caller("leaf", &assumed_role_arn("RoleL", "credtray"));
    assert!(out.stderr.contains("Restarted 'mid'"), "{}", out.stderr);
    assert!(out.stderr.contains("Restarted 'leaf'"), "{}", out.stderr);
    assert_ne!(
        ini_get(&leaf_before, "leaf", "aws_access_key_id"),
        ini_get(&sb.credentials_text(), "leaf", "aws_access_key_id"),
        "the session below kept its old credentials:\n{}",
        sb.dump()
    );
    assert!(!sb.is_active("idle"), "a stopped child was started");

    // The role session name too.
    sb.credtray(&["session", "edit", "leaf", "--role-session-name", "renamed"])
        .run()
        .ok();
    sb.assert_caller("leaf", &assumed_role_arn("RoleL", "renamed"));

    // An alias change alone restarts nothing.
    let before = sb.credentials_text();
    let out = sb
        .credtray(&["session", "edit", "leaf", "--alias", "leaf2"])
        .run()
        .ok();
    assert!(!out.stderr.contains("Restarted"), "{}", out.stderr);
    assert_eq!(sb.credentials_text(), before);

    // A refused edit changes nothing and stops nothing.
    let err = sb
        .credtray(&["session", "edit", "mid", "--duration", "60"])
        .run()
        .fails();
    assert!(err.contains("duration") && err.contains("900"), "{err}");
    assert_eq!(sb.credentials_text(), before);
    assert!(sb.is_active("mid") && sb.is_active("leaf2"));
}

#[test]
fn no_secret_leaks_anywhere() {
    require_keychain();
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    let (new_key_id, new_secret) = unique_keys();

    sb.add_iam_user("leaky", "leak", &["--mfa-serial", &mfa_arn("leak")]);
    sb.add_chained("leaky-role", "leaky", "RoleL", "leak-role", &[]);
    sb.credtray(&["session", "start", "leaky", "--mfa-code", "123456"])
        .run()
        .ok();
    sb.credtray(&["session", "start", "leaky-role"]).run().ok();
    sb.credtray(&["session", "test", "leaky-role"]).run().ok();
    sb.credtray(&["session", "list"]).run().ok();
    sb.credtray(&["session", "list", "--json"]).run().ok();
    sb.credtray(&["profile", "list", "--json"]).run().ok();
    sb.credtray(&["profile", "rename", "leak", "leak2"])
        .run()
        .ok();
    sb.credtray(&[
        "session",
        "edit",
        "leaky",
        "--access-keys",
        "--mfa-code",
        "123456",
    ])
    .stdin_str(&format!("{new_key_id}\n{new_secret}\n"))
    .run()
    .ok();
    // Bad input: errors must not echo the secrets either.
    sb.credtray(&["session", "add", "iam-user", "--alias", "leaky"])
        .stdin_str(&format!("{}\n{}\n", sb.access_key_id, sb.secret_access_key))
        .run()
        .fails();
    sb.credtray(&["session", "add", "iam-user", "--alias", "half"])
        .stdin_str(&format!("{}\n", sb.access_key_id))
        .run()
        .fails();
    sb.credtray(&["session", "stop", "leaky-role"]).run().ok();
    // (Replacing the keys may drop the cached MFA token: give a code.)
    sb.credtray(&["session", "start", "leaky-role", "--mfa-code", "123456"])
        .run()
        .ok();
    sb.assert_caller("leak-role", &assumed_role_arn("RoleL", "credtray"));

    let short_lived: Vec<String> = ["leak2", "leak-role"]
        .iter()
        .flat_map(|p| {
            let text = sb.credentials_text();
            ["aws_secret_access_key", "aws_session_token"]
                .iter()
                .filter_map(|k| ini_get(&text, p, k))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        !short_lived.is_empty(),
        "sessions are active\n{}",
        sb.dump()
    );
    sb.credtray(&["session", "stop", "leaky-role"]).run().ok();
    sb.credtray(&["session", "stop", "leaky"]).run().ok();

    let long_term = [
        ("the access key id", sb.access_key_id.clone()),
        ("the secret access key", sb.secret_access_key.clone()),
        ("the replaced access key id", new_key_id),
        ("the replaced secret access key", new_secret),
    ];
    let mut found = Vec::new();
    let mut files = files_under(sb.root());
    files.sort();
    for file in &files {
        let bytes = std::fs::read(file).unwrap_or_default();
        for (what, secret) in &long_term {
            if contains_bytes(&bytes, secret.as_bytes()) {
                found.push(format!("{what} in {}", file.display()));
            }
        }
        if file.starts_with(&sb.config_dir) {
            for secret in &short_lived {
                if contains_bytes(&bytes, secret.as_bytes()) {
                    found.push(format!("a short-lived secret in {}", file.display()));
                }
            }
        }
    }
    for out in sb.transcript() {
        for (what, secret) in &long_term {
            if out.stdout.contains(secret.as_str()) || out.stderr.contains(secret.as_str()) {
                found.push(format!("{what} in the output of `{}`", out.cmd));
            }
        }
    }
    assert!(
        found.is_empty(),
        "secrets leaked:\n{}\nfiles searched: {files:#?}",
        found.join("\n")
    );
    assert!(
        files.iter().any(|f| f.starts_with(&sb.config_dir)),
        "the search covered credtray's config folder (state.json): {files:#?}"
    );
}

#[test]
fn aliases_that_display_differently_from_what_they_are_are_refused_by_code_point() {
    require_keychain();
    let sb = Sandbox::offline();
    let keys = format!("{}\n{}\n", sb.access_key_id, sb.secret_access_key);
    let add = |alias: &str| {
        sb.credtray(&[
            "session",
            "add",
            "iam-user",
            "--alias",
            alias,
            "--profile",
            "dev",
        ])
        .stdin_str(&keys)
        .run()
    };
    for (bad, shown, said) in [
        (
            "a\u{202E}b",
            "a<U+202E>b",
            "U+202E (a right-to-left override)",
        ),
        (
            "a\u{2067}b",
            "a<U+2067>b",
            "U+2067 (a right-to-left isolate)",
        ),
        (
            "zero\u{200D}",
            "zero<U+200D>",
            "U+200D (a zero-width joiner)",
        ),
        (
            "line\u{2028}two",
            "line<U+2028>two",
            "U+2028 (a line separator)",
        ),
        ("bell\u{7}", "bell<U+0007>", "U+0007 (a control character)"),
        ("\u{61C}x", "<U+061C>x", "U+061C (an Arabic letter mark)"),
    ] {
        let err = add(bad).fails();
        let message = format!(
            "credtray: invalid alias '{shown}': it contains {said}, which would make it display \
             differently from what it is; use plain characters"
        );
        assert!(err.lines().any(|l| l == message), "alias {bad:?}: {err}");
        assert_eq!(
            sb.session_list(),
            Value::Array(vec![]),
            "{bad:?} stored a session"
        );
        assert!(
            !sb.profile_names().contains(&"dev".to_string()),
            "{bad:?} created its profile"
        );
    }
    assert!(
        !sb.credentials.exists() && !sb.aws_config.exists(),
        "the AWS files were written"
    );

    // Markup and mnemonic characters are plain text, and an edit to a refused alias is
    // refused as well, leaving the session as it was.
    let id = expect_id(&add("<b>x</b> & a_b").ok());
    assert!(!keychain_accounts_of(&id).is_empty());
    let err = sb
        .credtray(&["session", "edit", &id, "--alias", "x\u{202D}y"])
        .run()
        .fails();
    assert!(
        err.contains("invalid alias 'x<U+202D>y': it contains U+202D (a left-to-right override)"),
        "{err}"
    );
    assert_eq!(sb.session("<b>x</b> & a_b")["id"], id.as_str());
}

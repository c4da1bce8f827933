//! Proves the test harness itself: moto answers STS the way the end-to-end tests rely on, the
//! AWS CLI reads the sandbox's files, the keychain on the test bus stores and finds secrets,
//! and the harness's own helpers see what they claim to see.

mod common;

use common::*;

fn static_keys_file(id: &str, secret: &str) -> String {
    format!("# written by the test\n[static]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")
}

#[test]
fn moto_answers_get_caller_identity_for_static_keys() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.write_credentials(static_keys_file(&sb.access_key_id, &sb.secret_access_key));
    sb.assert_caller("static", MOTO_USER_ARN);
    // A profile that is nowhere: the CLI finds no credentials.
    let err = sb
        .caller_arn("absent")
        .expect_err("no credentials for an absent profile");
    assert!(
        err.contains("absent"),
        "the CLI's error names the profile: {err}"
    );
    sb.assert_no_credentials("absent");
}

#[test]
fn moto_session_token_and_assume_role_behave_as_the_tests_expect() {
    let moto = Moto::start();
    let sb = Sandbox::new(&moto);
    sb.write_credentials(static_keys_file(&sb.access_key_id, &sb.secret_access_key));

    // GetSessionToken with an MFA device and any code: moto's fixed example key.
    let out = sb
        .aws(&[
            "sts",
            "get-session-token",
            "--profile",
            "static",
            "--serial-number",
            &mfa_arn("tester"),
            "--token-code",
            "123456",
            "--duration-seconds",
            "900",
        ])
        .ok();
    let creds = &out.json()["Credentials"];
    let key = creds["AccessKeyId"].as_str().expect("AccessKeyId");
    assert!(
        key.starts_with("AKIA") && key.contains("EXAMPLE"),
        "moto's example key: {out}"
    );
    assert!(
        creds["SessionToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{out}"
    );

    // AssumeRole: fresh keys that GetCallerIdentity maps back to the role and session name.
    let out = sb
        .aws(&[
            "sts",
            "assume-role",
            "--profile",
            "static",
            "--role-arn",
            &role_arn("RoleA"),
            "--role-session-name",
            "harness",
        ])
        .ok();
    let c = &out.json()["Credentials"];
    let (id, secret, token) = (
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["SessionToken"].as_str().unwrap(),
    );
    let mut file = sb.credentials_text();
    file.push_str(&format!(
        "[role]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
    ));
    sb.write_credentials(&file);
    sb.assert_caller("role", &assumed_role_arn("RoleA", "harness"));

    // Chained: AssumeRole with the role's credentials answers with the second role.
    let out = sb
        .aws(&[
            "sts",
            "assume-role",
            "--profile",
            "role",
            "--role-arn",
            &role_arn("RoleB"),
            "--role-session-name",
            "credtray",
        ])
        .ok();
    assert_eq!(
        out.json()["AssumedRoleUser"]["Arn"],
        assumed_role_arn("RoleB", "credtray"),
        "{out}"
    );
}

#[test]
fn every_moto_gets_its_own_port_and_stops_when_dropped() {
    let a = Moto::start();
    let b = Moto::start();
    assert_ne!(a.url(), b.url());
    let url = a.url().to_string();
    drop(a);
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        wait_until(std::time::Duration::from_secs(5), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        }),
        "moto on {url} still answers after drop"
    );
}

#[test]
fn keychain_answers_through_secret_tool() {
    require_keychain();
    let moto_free_marker = format!("harness-{}", std::process::id());
    let account = format!("{moto_free_marker}/probe");
    let secret = "harness secret value";
    let store = std::process::Command::new("secret-tool")
        .args([
            "store",
            "--label=credtray harness probe",
            "service",
            "credtray",
        ])
        .args(["username", &account])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(secret.as_bytes())?;
            c.wait()
        })
        .expect("run secret-tool store");
    assert!(store.success(), "secret-tool store failed");

    let lookup = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "credtray", "username", &account])
        .output()
        .expect("run secret-tool lookup");
    assert_eq!(String::from_utf8_lossy(&lookup.stdout), secret);
    assert_eq!(
        keychain_accounts_of(&moto_free_marker),
        vec![account.clone()]
    );

    let clear = std::process::Command::new("secret-tool")
        .args(["clear", "service", "credtray", "username", &account])
        .status()
        .expect("run secret-tool clear");
    assert!(clear.success());
    assert!(keychain_accounts_of(&moto_free_marker).is_empty());
}

#[test]
fn ini_helpers_read_sections_and_keys() {
    let text = "# c\r\n[default]\r\nregion = eu-west-1\r\n\r\n[profile dev]\nregion=us-east-2\n; x\nfoo = bar = baz\n[ empty ]\n";
    assert_eq!(ini_sections(text), ["default", "profile dev", "empty"]);
    assert_eq!(
        ini_get(text, "default", "region").as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        ini_get(text, "profile dev", "region").as_deref(),
        Some("us-east-2")
    );
    assert_eq!(
        ini_get(text, "profile dev", "foo").as_deref(),
        Some("bar = baz")
    );
    assert_eq!(
        ini_keys(text, "profile dev"),
        Some(vec!["foo".into(), "region".into()])
    );
    assert_eq!(ini_keys(text, "empty"), Some(vec![]));
    assert_eq!(ini_section(text, "dev"), None);
    assert_eq!(config_section("default"), "default");
    assert_eq!(config_section("dev"), "profile dev");
}

#[test]
fn small_helpers() {
    assert!(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
    assert!(!is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));
    assert!(!is_uuid("not-a-uuid"));
    assert!(contains_bytes(b"abc SECRET def", b"SECRET"));
    assert!(!contains_bytes(b"abc", b""));
    assert!(!contains_bytes(b"abc", b"abcd"));
    let moto_less = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(moto_less.path().join("a/b")).unwrap();
    std::fs::write(moto_less.path().join("a/b/f"), "x").unwrap();
    std::fs::write(moto_less.path().join("g"), "y").unwrap();
    assert_eq!(files_under(moto_less.path()).len(), 2);
}

#[test]
fn sandboxes_get_distinct_long_term_keys_and_absent_files() {
    let moto = Moto::start();
    let a = Sandbox::new(&moto);
    let b = Sandbox::new(&moto);
    assert_ne!(a.access_key_id, b.access_key_id);
    assert_ne!(a.secret_access_key, b.secret_access_key);
    assert!(a.access_key_id.starts_with("AKIA") && a.access_key_id.len() == 20);
    assert_eq!(a.secret_access_key.len(), 40);
    assert_eq!(
        a.snapshot(),
        Files {
            credentials: None,
            config: None
        }
    );
    a.write_config("[default]\nregion = us-east-1\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&a.aws_config)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

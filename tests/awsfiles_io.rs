//! The AWS files layer (`credtray::awsfiles`): reading and editing real files in temporary
//! folders — creation with private modes, symbolic links, refusals that leave the file
//! byte for byte as it was, concurrent edits — and where the files are looked for.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use credtray::awsfiles::ini::{self, IniError};
use credtray::awsfiles::{edit, read, AwsPaths, FileError};

fn apply_dev(path: &Path) -> Result<ini::WriteRecord, FileError> {
    edit(path, |text| {
        Ok(ini::apply(
            text,
            "dev",
            &[
                ("aws_access_key_id", "ASIA"),
                ("aws_secret_access_key", "s"),
            ],
        )?)
    })
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The names in a folder, sorted (to see that nothing was left beside the file).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn read_of_a_missing_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read(&dir.path().join("nope")).unwrap().is_none());
    assert!(read(&dir.path().join("no/such/folder/file"))
        .unwrap()
        .is_none());
}

#[test]
fn a_missing_file_is_created_private_in_a_private_folder() {
    let dir = tempfile::tempdir().unwrap();
    let aws = dir.path().join("home/.aws");
    let path = aws.join("credentials");
    let record = apply_dev(&path).unwrap();
    assert!(record.created_section);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "[dev]\naws_access_key_id = ASIA\naws_secret_access_key = s\n"
    );
    assert_eq!(
        read(&path).unwrap().unwrap(),
        fs::read_to_string(&path).unwrap()
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&aws), 0o700);
    }
    assert_eq!(names(&aws), vec!["credentials"]);
    // Reverting leaves the (now empty) file in place rather than removing it.
    edit(&path, |t| Ok((ini::revert(t, &record)?, ()))).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "");
}

#[test]
fn nothing_is_written_for_a_missing_file_left_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config");
    let out = edit(&path, |t| Ok((t.to_string(), 7))).unwrap();
    assert_eq!(out, 7);
    assert!(!dir.path().join("sub").exists());
}

#[cfg(unix)]
#[test]
fn an_existing_0644_file_is_written_0600_and_an_unchanged_one_is_not_touched() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    let original = "# mine\r\n[default]\r\naws_access_key_id = AKIA\r\n";
    fs::write(&path, original).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();

    let ino = fs::metadata(&path).unwrap().ino();
    edit(&path, |t| Ok((t.to_string(), ()))).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().ino(),
        ino,
        "unchanged text rewrote the file"
    );
    assert_eq!(mode(&path), 0o644);

    let record = apply_dev(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert!(fs::read_to_string(&path).unwrap().starts_with(original));
    edit(&path, |t| Ok((ini::revert(t, &record)?, ()))).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
    assert_eq!(names(dir.path()), vec!["credentials"]);
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_stays_a_symlink_and_its_target_is_edited() {
    let dir = tempfile::tempdir().unwrap();
    let dotfiles = dir.path().join("dotfiles");
    fs::create_dir(&dotfiles).unwrap();
    let target = dotfiles.join("aws-credentials");
    fs::write(&target, "[default]\nregion = x\n").unwrap();
    let aws = dir.path().join(".aws");
    fs::create_dir(&aws).unwrap();
    let link = aws.join("credentials");
    std::os::unix::fs::symlink("../dotfiles/aws-credentials", &link).unwrap();

    apply_dev(&link).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&target).unwrap().contains("[dev]\n"));
    assert_eq!(names(&aws), vec!["credentials"]);
    assert_eq!(names(&dotfiles), vec!["aws-credentials"]);
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_gets_its_target_created_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("credentials");
    let target = dir.path().join("elsewhere/creds");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(read(&link).unwrap().is_none());
    apply_dev(&link).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&target).unwrap().starts_with("[dev]\n"));
}

#[test]
fn a_malformed_file_is_refused_naming_path_and_line_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    let original = b"[default]\naws_access_key_id = AKIA\naws_secret_access_key wJalrSECRET\n";
    fs::write(&path, original).unwrap();
    let mut called = false;
    let err = edit(&path, |t| {
        called = true;
        Ok((t.to_string(), ()))
    })
    .unwrap_err();
    assert!(!called);
    let msg = err.to_string();
    assert!(matches!(
        err,
        FileError::Ini {
            source: IniError::Malformed { line: 3, .. },
            ..
        }
    ));
    assert!(
        msg.contains(&format!("{} line 3:", path.display())),
        "{msg}"
    );
    assert!(
        msg.contains("expected `[section]` or `key = value`"),
        "{msg}"
    );
    assert!(!msg.contains("wJalr"), "a secret leaked into: {msg}");
    assert_eq!(fs::read(&path).unwrap(), original);
    let err = read(&path).unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[test]
fn a_duplicate_section_is_refused_naming_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let original = "[profile dev]\nregion = a\n\n[profile dev]\noutput = json\n";
    fs::write(&path, original).unwrap();
    let err = apply_dev(&path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("line 4") && msg.contains("line 1"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn a_non_utf8_file_is_refused_naming_path_and_line_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let original = b"[default]\r\nregion = eu\r\noutput = \xe9t\xe9\r\n".to_vec();
    fs::write(&path, &original).unwrap();
    let err = apply_dev(&path).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            FileError::NotUtf8 {
                line: 3,
                offset: 33,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains(&format!("{} line 3", path.display())), "{msg}");
    assert!(msg.contains("credtray only edits UTF-8 files"), "{msg}");
    assert!(msg.contains("re-save"), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), original);
    assert!(matches!(
        read(&path),
        Err(FileError::NotUtf8 { line: 3, .. })
    ));
}

#[test]
fn a_folder_where_the_file_should_be_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::create_dir(&path).unwrap();
    for err in [read(&path).unwrap_err(), apply_dev(&path).unwrap_err()] {
        assert!(matches!(err, FileError::IsDirectory { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains("is a folder"),
            "{msg}"
        );
    }
    assert!(path.is_dir());
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_a_clear_cannot_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("credentials");
    let b = dir.path().join("other");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    for err in [read(&a).unwrap_err(), apply_dev(&a).unwrap_err()] {
        assert!(matches!(err, FileError::Unreadable { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("cannot read {}", a.display())),
            "{msg}"
        );
    }
    assert!(fs::symlink_metadata(&a).unwrap().file_type().is_symlink());
}

#[test]
fn an_editor_error_inside_the_closure_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, "[default]\n").unwrap();
    let err = edit(&path, |t| {
        Ok((ini::update_values(t, "gone", &[("k", "v")])?, ()))
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: section [gone]", path.display())),
        "{msg}"
    );
}

#[test]
fn a_result_that_would_not_parse_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, "[default]\n").unwrap();
    let err = edit(&path, |t| Ok((format!("{t}oops\n"), ()))).unwrap_err();
    assert!(matches!(err, FileError::Refused { .. }), "{err:?}");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "[default]\n");
}

#[test]
fn concurrent_edits_of_one_file_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials");
    fs::write(&path, "[default]\nregion = x\n").unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                for j in 0..5 {
                    let section = format!("s{i}-{j}");
                    edit(&path, |t| Ok(ini::apply(t, &section, &[("k", "v")])?)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = read(&path).unwrap().unwrap();
    for i in 0..8 {
        for j in 0..5 {
            let keys = ini::section_keys(&text, &format!("s{i}-{j}")).unwrap();
            assert_eq!(keys, Some(vec!["k".to_string()]), "s{i}-{j} lost");
        }
    }
    assert_eq!(names(dir.path()), vec!["credentials"]);
}

#[test]
fn paths_default_to_the_home_folder() {
    let home = PathBuf::from("/home/u");
    let p = AwsPaths::from_vars(None, Some(OsString::new()), Some(home.clone())).unwrap();
    assert_eq!(p.credentials, home.join(".aws").join("credentials"));
    assert_eq!(p.config, home.join(".aws").join("config"));
}

#[test]
fn paths_honour_the_two_variables_and_expand_a_leading_tilde() {
    let home = PathBuf::from("/home/u");
    let p = AwsPaths::from_vars(
        Some("~/work/creds".into()),
        Some("/etc/aws/config".into()),
        Some(home.clone()),
    )
    .unwrap();
    assert_eq!(p.credentials, home.join("work").join("creds"));
    assert_eq!(p.config, PathBuf::from("/etc/aws/config"));
    // Both set: no home folder needed; a `~` elsewhere in the path is left alone.
    let p = AwsPaths::from_vars(Some("/a/~/c".into()), Some("rel/config".into()), None).unwrap();
    assert_eq!(p.credentials, PathBuf::from("/a/~/c"));
    assert_eq!(p.config, PathBuf::from("rel/config"));
}

#[test]
fn paths_without_a_home_folder_say_what_to_set() {
    let err = AwsPaths::from_vars(Some("/x".into()), None, None).unwrap_err();
    assert!(err.to_string().contains("AWS_CONFIG_FILE"), "{err}");
    let err = AwsPaths::from_vars(Some("~/x".into()), Some("/y".into()), None).unwrap_err();
    assert!(
        err.to_string().contains("AWS_SHARED_CREDENTIALS_FILE"),
        "{err}"
    );
}

/// Run in a child process with its own environment (see the next test).
#[test]
#[ignore = "run by from_env_reads_the_environment in a child process"]
fn from_env_child() {
    let p = AwsPaths::from_env().unwrap();
    println!("CREDS={}", p.credentials.display());
    println!("CONFIG={}", p.config.display());
}

#[cfg(unix)]
#[test]
fn from_env_reads_the_environment() {
    let run = |vars: &[(&str, &str)]| -> String {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "from_env_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_CONFIG_FILE");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = run(&[("HOME", "/tmp/some-home")]);
    assert!(
        out.contains("CREDS=/tmp/some-home/.aws/credentials"),
        "{out}"
    );
    assert!(out.contains("CONFIG=/tmp/some-home/.aws/config"), "{out}");
    let out = run(&[
        ("HOME", "/tmp/some-home"),
        ("AWS_SHARED_CREDENTIALS_FILE", "~/c"),
        ("AWS_CONFIG_FILE", "/abs/config"),
    ]);
    assert!(out.contains("CREDS=/tmp/some-home/c"), "{out}");
    assert!(out.contains("CONFIG=/abs/config"), "{out}");
}

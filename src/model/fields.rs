//! The checks of a session's kind fields (durations, role ARNs, role session names,
//! external ids, MFA devices) and of access keys, in one place: `State::add_session` and
//! `State::replace_session` call [`check_kind`], and the CLI and the tray's forms call the
//! same functions for their early messages. Each message names the field. No I/O.

use super::federated::{validate_federated, validate_role_arn};
use super::session::{
    SessionKind, FEDERATED_DURATION_RANGE, ROLE_DURATION_RANGE, USER_DURATION_RANGE,
};

/// The DurationSeconds range STS accepts for a kind (`None` for kinds without one).
pub fn duration_range(kind: &SessionKind) -> Option<(u32, u32)> {
    match kind {
        SessionKind::IamUser(_) => Some(USER_DURATION_RANGE),
        SessionKind::IamRoleChained(_) => Some(ROLE_DURATION_RANGE),
        SessionKind::IamRoleFederated(_) => Some(FEDERATED_DURATION_RANGE),
        SessionKind::AwsSso(_) => None,
    }
}

/// Checks a duration against a range: "invalid duration: … is outside lo–hi seconds".
pub fn check_duration(secs: u32, (lo, hi): (u32, u32)) -> Result<(), String> {
    if (lo..=hi).contains(&secs) {
        Ok(())
    } else {
        Err(format!(
            "invalid duration: {secs} seconds is outside {lo}–{hi} seconds"
        ))
    }
}

/// Whether `value` has a length in `len` and only ASCII letters, digits and `extra`.
fn made_of(value: &str, len: std::ops::RangeInclusive<usize>, extra: &str) -> bool {
    len.contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// Checks a RoleSessionName as STS takes it: 2–64 of letters, digits and `+=,.@_-`.
pub fn validate_role_session_name(name: &str) -> Result<(), String> {
    if made_of(name, 2..=64, "+=,.@_-") {
        Ok(())
    } else {
        Err(format!(
            "invalid role session name '{name}': 2 to 64 letters, digits or any of + = , . @ _ -"
        ))
    }
}

/// Checks an ExternalId as STS takes it: 2–1224 of letters, digits and `+=,.@:/_-`.
pub fn validate_external_id(id: &str) -> Result<(), String> {
    if made_of(id, 2..=1224, "+=,.@:/_-") {
        Ok(())
    } else {
        Err(
            "invalid external id: 2 to 1224 letters, digits or any of + = , . @ : / _ -"
                .to_string(),
        )
    }
}

/// Checks an MFA device: its ARN (`arn:…:iam::ACCOUNT:mfa/NAME`) or a hardware serial
/// number, as STS's SerialNumber takes it: 9–256 of letters, digits and `+=/:,.@_-`.
pub fn validate_mfa_serial(serial: &str) -> Result<(), String> {
    if made_of(serial, 9..=256, "+=/:,.@_-") {
        Ok(())
    } else {
        Err(format!(
            "invalid MFA device '{serial}': give its ARN (arn:aws:iam::ACCOUNT:mfa/NAME) or serial number"
        ))
    }
}

/// Checks a pair of long-term access keys before they are stored. Never echoes the secret.
pub fn validate_access_keys(access_key_id: &str, secret: &str) -> Result<(), String> {
    if !made_of(access_key_id, 16..=128, "") {
        return Err("invalid access key id: 16 to 128 letters and digits (AKIA…)".to_string());
    }
    if secret.is_empty() || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("invalid secret access key: it is empty or has spaces".to_string());
    }
    Ok(())
}

/// Checks every field of a session's kind; the message names the field.
pub fn check_kind(kind: &SessionKind) -> Result<(), String> {
    if let Some(range) = duration_range(kind) {
        let secs = match kind {
            SessionKind::IamUser(u) => u.duration_secs,
            SessionKind::IamRoleChained(r) => r.duration_secs,
            SessionKind::IamRoleFederated(f) => f.duration_secs,
            SessionKind::AwsSso(_) => 0,
        };
        check_duration(secs, range)?;
    }
    match kind {
        SessionKind::IamUser(u) => {
            if let Some(m) = &u.mfa_serial {
                validate_mfa_serial(m)?;
            }
        }
        SessionKind::IamRoleChained(r) => {
            validate_role_arn(&r.role_arn).map_err(|why| format!("invalid role ARN: {why}"))?;
            validate_role_session_name(&r.role_session_name)?;
            if let Some(x) = &r.external_id {
                validate_external_id(x)?;
            }
        }
        SessionKind::IamRoleFederated(f) => validate_federated(f)?,
        SessionKind::AwsSso(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::{ChainedRole, IamUser};
    use uuid::Uuid;

    fn role() -> ChainedRole {
        ChainedRole {
            parent: Uuid::new_v4(),
            role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
            role_session_name: "credtray".into(),
            external_id: None,
            duration_secs: 3600,
        }
    }

    #[test]
    fn each_kind_is_checked_field_by_field() {
        assert!(check_kind(&SessionKind::IamRoleChained(role())).is_ok());
        let mut r = role();
        r.role_arn = "arn:aws:iam::123456789012:user/me".into();
        assert!(check_kind(&SessionKind::IamRoleChained(r))
            .unwrap_err()
            .starts_with("invalid role ARN"));
        let mut r = role();
        r.duration_secs = 43_201;
        assert!(check_kind(&SessionKind::IamRoleChained(r))
            .unwrap_err()
            .contains("900–43200"));
        let mut r = role();
        r.role_session_name = "has space".into();
        assert!(check_kind(&SessionKind::IamRoleChained(r))
            .unwrap_err()
            .contains("role session name"));
        let mut r = role();
        r.external_id = Some("x".into());
        assert!(check_kind(&SessionKind::IamRoleChained(r))
            .unwrap_err()
            .contains("external id"));
        let user = |mfa: Option<&str>, d| {
            SessionKind::IamUser(IamUser {
                mfa_serial: mfa.map(str::to_string),
                duration_secs: d,
            })
        };
        assert!(check_kind(&user(Some("arn:aws:iam::123456789012:mfa/me"), 3600)).is_ok());
        assert!(check_kind(&user(Some("GAHT12345678"), 129_600)).is_ok());
        assert!(check_kind(&user(Some("arn with space"), 3600))
            .unwrap_err()
            .contains("MFA device"));
        assert!(check_kind(&user(None, 899)).is_err());
    }

    #[test]
    fn access_keys_are_checked_without_echoing_the_secret() {
        assert!(validate_access_keys("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG").is_ok());
        assert!(validate_access_keys("AKIA", "s").is_err());
        let e = validate_access_keys("AKIAIOSFODNN7EXAMPLE", "sec ret").unwrap_err();
        assert!(!e.contains("sec ret"));
    }
}

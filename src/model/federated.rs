//! The checks of an `iam-role-federated` session's fields, in one place that the CLI and
//! the tray both call (through `State::add_session` / `replace_session`). No I/O.

use super::session::{FederatedRole, FEDERATED_DURATION_RANGE};

/// The partitions whose IAM ARNs a federated session may name.
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// Checks a SAML sign-in URL: https, or plain http for a loopback host only; a host; no
/// spaces or control characters.
pub fn validate_saml_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("'{url}' is not a URL; give the IdP's https:// SAML sign-in URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let hostname = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "'{url}' contains spaces or control characters; give the IdP's https:// SAML sign-in URL"
        ));
    }
    if hostname.is_empty() {
        return Err(format!(
            "'{url}' has no host; give the IdP's https:// SAML sign-in URL"
        ));
    }
    let loopback = matches!(hostname, "127.0.0.1" | "localhost" | "[::1]");
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "'{url}' is not an https:// URL; a SAML sign-in URL must be https (plain http only for a loopback host)"
        )),
    }
}

/// Splits `arn:PARTITION:iam::ACCOUNT:RESOURCE` into (partition, account, resource) when
/// it is an IAM ARN of a known partition with a 12-digit account.
fn iam_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (arn_lit, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let ok = arn_lit == "arn"
        && PARTITIONS.contains(&partition)
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit());
    ok.then_some((partition, account, resource))
}

/// The characters IAM allows in role and SAML provider names and paths.
fn iam_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
        && !name.starts_with('/')
        && !name.ends_with('/')
}

/// Checks a role ARN: `arn:aws[-cn|-us-gov]:iam::ACCOUNT:role/[PATH/]NAME`.
pub fn validate_role_arn(arn: &str) -> Result<(), String> {
    match iam_arn(arn) {
        Some((_, _, resource))
            if resource
                .strip_prefix("role/")
                .is_some_and(|n| iam_name_ok(n) && n.len() <= 512) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "'{arn}' is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        )),
    }
}

/// Checks an IdP ARN: `arn:aws[-cn|-us-gov]:iam::ACCOUNT:saml-provider/NAME`.
pub fn validate_idp_arn(arn: &str) -> Result<(), String> {
    match iam_arn(arn) {
        Some((_, _, resource))
            if resource
                .strip_prefix("saml-provider/")
                .is_some_and(|n| iam_name_ok(n) && !n.contains('/') && n.len() <= 128) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "'{arn}' is not an IAM SAML provider ARN (arn:aws:iam::ACCOUNT:saml-provider/NAME)"
        )),
    }
}

/// Checks every field of a federated session; the message names the field.
pub fn validate_federated(f: &FederatedRole) -> Result<(), String> {
    validate_saml_url(&f.saml_url).map_err(|why| format!("invalid SAML URL: {why}"))?;
    validate_role_arn(&f.role_arn).map_err(|why| format!("invalid role ARN: {why}"))?;
    validate_idp_arn(&f.idp_arn).map_err(|why| format!("invalid IdP ARN: {why}"))?;
    let (lo, hi) = FEDERATED_DURATION_RANGE;
    if f.duration_secs < lo || f.duration_secs > hi {
        return Err(format!(
            "invalid duration: {} seconds is outside {lo}–{hi} seconds",
            f.duration_secs
        ));
    }
    let role_partition = iam_arn(&f.role_arn).map(|p| p.0);
    let idp_partition = iam_arn(&f.idp_arn).map(|p| p.0);
    if role_partition != idp_partition {
        return Err(format!(
            "invalid IdP ARN: '{}' is in another partition than the role '{}'",
            f.idp_arn, f.role_arn
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed() -> FederatedRole {
        FederatedRole {
            role_arn: "arn:aws:iam::123456789012:role/Fed".into(),
            idp_arn: "arn:aws:iam::123456789012:saml-provider/TestIdP".into(),
            saml_url: "https://idp.example.com/app/aws/sso/saml".into(),
            duration_secs: 3600,
        }
    }

    #[test]
    fn a_good_session_passes() {
        assert_eq!(validate_federated(&fed()), Ok(()));
        let mut gov = fed();
        gov.role_arn = "arn:aws-us-gov:iam::123456789012:role/path/Fed".into();
        gov.idp_arn = "arn:aws-us-gov:iam::123456789012:saml-provider/Okta".into();
        assert_eq!(validate_federated(&gov), Ok(()));
    }

    #[test]
    fn urls_must_be_https_or_loopback_http() {
        for ok in [
            "https://idp.example.com/saml",
            "http://127.0.0.1:8080/",
            "http://localhost/x",
            "http://[::1]:9/",
        ] {
            assert_eq!(validate_saml_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://idp.example.com/saml",
            "ftp://127.0.0.1/",
            "idp.example.com",
            "https:///x",
            "https://a b/",
            "http://127.0.0.1.evil.com/",
            "http://localhost@evil.com/",
        ] {
            assert!(validate_saml_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arns_must_be_the_right_iam_resource() {
        for bad in [
            "arn:aws:iam::123456789012:user/Fed",
            "arn:aws:iam::12345:role/Fed",
            "arn:aws:sts::123456789012:role/Fed",
            "arn:aws:iam::123456789012:role/",
            "arn:other:iam::123456789012:role/Fed",
            "role/Fed",
        ] {
            assert!(validate_role_arn(bad).is_err(), "{bad}");
        }
        assert!(validate_idp_arn("arn:aws:iam::123456789012:role/Fed").is_err());
        assert!(validate_idp_arn("arn:aws:iam::123456789012:saml-provider/a/b").is_err());
        let mut f = fed();
        f.idp_arn = f.role_arn.clone();
        assert!(validate_federated(&f).unwrap_err().contains("IdP ARN"));
    }

    #[test]
    fn duration_and_partition_are_checked() {
        let mut f = fed();
        f.duration_secs = 899;
        assert!(validate_federated(&f).unwrap_err().contains("duration"));
        f.duration_secs = 43_201;
        assert!(validate_federated(&f).unwrap_err().contains("duration"));
        let mut f = fed();
        f.idp_arn = "arn:aws-cn:iam::123456789012:saml-provider/X".into();
        assert!(validate_federated(&f).unwrap_err().contains("partition"));
    }
}

//! SAML 2.0 federation (`iam-role-federated`): the identity provider's sign-in page in a
//! window of credtray's own (`window.rs`, tao + wry), the SAMLResponse captured in the page
//! before it leaves the machine, and read for its role/provider pairs (`assertion.rs`).
//! `host.rs` lets a command-line process open that window: the tao event loop takes the
//! main thread only when a window is first needed, while tokio runs the command elsewhere.

pub mod assertion;
pub mod host;
pub mod window;

use std::path::PathBuf;

use sha2::{Digest, Sha256};

pub use assertion::{Assertion, RolePair};

/// The AWS sign-in endpoints an IdP posts the SAMLResponse to, in every partition.
pub const AWS_SAML_ENDPOINTS: [&str; 3] = [
    "https://signin.aws.amazon.com/saml",
    "https://signin.amazonaws-us-gov.com/saml",
    "https://signin.amazonaws.cn/saml",
];

/// Whether `url` is one of the AWS SAML endpoints (any query or fragment, a trailing slash,
/// any letter case in the host): navigation there is refused.
pub fn is_aws_saml_endpoint(url: &str) -> bool {
    let base = url.split(['?', '#']).next().unwrap_or("");
    let base = base.strip_suffix('/').unwrap_or(base);
    let Some((scheme, rest)) = base.split_once("://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.strip_suffix(":443").unwrap_or(host);
    let normal = format!(
        "{}://{}/{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase(),
        path
    );
    AWS_SAML_ENDPOINTS.contains(&normal.as_str())
}

/// Whether a window can be shown: a display on Linux and the BSDs; always elsewhere.
pub fn display_available() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

/// The folder of credtray's own where the web view keeps the cookies of the IdP at
/// `saml_url`: `<data dir>/saml/<first 16 bytes of SHA-256 of the URL, hex>`, created 0700.
pub fn data_dir(saml_url: &str) -> std::io::Result<PathBuf> {
    let base = directories::ProjectDirs::from("", "", "credtray")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "cannot tell where credtray's data folder is (no home folder)",
            )
        })?;
    let digest = Sha256::digest(saml_url.as_bytes());
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let saml = base.join("saml");
    crate::fsutil::ensure_private_dir(&base)?;
    crate::fsutil::ensure_private_dir(&saml)?;
    let dir = saml.join(name);
    crate::fsutil::ensure_private_dir(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aws_endpoints_are_recognised_in_every_partition() {
        for url in [
            "https://signin.aws.amazon.com/saml",
            "https://signin.aws.amazon.com/saml/",
            "https://SIGNIN.aws.amazon.com:443/saml?x=1",
            "https://signin.amazonaws-us-gov.com/saml",
            "https://signin.amazonaws.cn/saml#f",
        ] {
            assert!(is_aws_saml_endpoint(url), "{url}");
        }
        for url in [
            "https://signin.aws.amazon.com/console",
            "https://idp.example.com/saml",
            "http://127.0.0.1:9/",
            "about:blank",
        ] {
            assert!(!is_aws_saml_endpoint(url), "{url}");
        }
    }
}

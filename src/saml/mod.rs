//! SAML 2.0 federation (`iam-role-federated`): the identity provider's sign-in page in a
//! window of credtray's own, the SAMLResponse captured in the page before it leaves the
//! machine (`capture.rs`), and read for its role/provider pairs (`assertion.rs`). The
//! window runs in a helper process, `credtray-signin` (`src/signin/`), which `helper.rs`
//! starts and talks to, so that neither the tray nor the CLI loads a web view otherwise.

pub mod assertion;
pub mod capture;
pub mod helper;
pub mod profile_dir;

use std::path::PathBuf;

pub use assertion::{Assertion, RolePair};
pub use profile_dir::{forget_signin, ForgetError, Forgotten};

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

/// Opens the display on this thread, the one that is to run the event loop (tao panics when
/// it cannot): the reason, naming the display, when it cannot be opened. The sign-in
/// helper calls it before it makes its window.
pub fn open_display() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    if let Err(e) = gtk::init() {
        let name = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|d| !d.is_empty()))
            .unwrap_or_default();
        return Err(format!("cannot open the display '{name}': {e}"));
    }
    Ok(())
}

/// The folder of credtray's own where the web view keeps the cookies of the IdP at
/// `saml_url` (see [`profile_dir::folder`]), created 0700.
pub fn data_dir(saml_url: &str) -> std::io::Result<PathBuf> {
    let dir = profile_dir::folder(saml_url)?;
    let saml = profile_dir::saml_root()?;
    if let Some(base) = saml.parent() {
        crate::fsutil::ensure_private_dir(base)?;
    }
    crate::fsutil::ensure_private_dir(&saml)?;
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

//! PKCE (RFC 7636) for the authorization-code sign-in: a random verifier, its S256
//! challenge, and a random `state` to match the redirect with the request.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> Result<String, String> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of a verifier: base64url(SHA-256(verifier)), no padding.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A verifier, its challenge and a state for one sign-in.
#[derive(Clone)]
pub struct Pkce {
    /// Sent with CreateToken (never shown).
    pub verifier: String,
    /// Sent in the authorize URL.
    pub challenge: String,
    /// Sent in the authorize URL and checked on the redirect.
    pub state: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce").finish_non_exhaustive()
    }
}

impl Pkce {
    /// A fresh verifier (32 random bytes: 43 characters) and state.
    pub fn new() -> Result<Pkce, String> {
        let verifier = random_token(32)?;
        Ok(Pkce {
            challenge: challenge(&verifier),
            verifier,
            state: random_token(16)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_challenge() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let p = Pkce::new().unwrap();
        assert_eq!(p.verifier.len(), 43);
        assert_ne!(p.state, Pkce::new().unwrap().state);
    }
}

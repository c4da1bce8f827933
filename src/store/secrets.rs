//! Secrets in the OS keychain (Secret Service, Keychain, Credential Manager) through the
//! `keyring` crate: one item per secret, service `credtray`, keyed by its owner: account
//! `<session-id>/<what>` for a session's, `integration/<integration-id>/<what>` for an
//! IAM Identity Center integration's.
//! Nothing here ever formats a secret into an error or a log line.

use std::collections::HashMap;
use std::sync::Mutex;

use uuid::Uuid;

/// The keychain service every item is stored under.
pub const SERVICE: &str = "credtray";

/// Who a secret belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// A session (its long-term keys, cached token, taken-over section).
    Session(Uuid),
    /// An IAM Identity Center integration (its tokens and client registration).
    Integration(Uuid),
}

impl Owner {
    /// The items this kind of owner can have.
    pub fn items(self) -> &'static [SecretItem] {
        match self {
            Owner::Session(_) => &SecretItem::SESSION,
            Owner::Integration(_) => &SecretItem::INTEGRATION,
        }
    }
}

/// The secrets credtray keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretItem {
    /// An IAM user's access key id.
    AccessKeyId,
    /// An IAM user's secret access key.
    SecretAccessKey,
    /// The cached GetSessionToken result (JSON), reused until shortly before it expires.
    SessionToken,
    /// The user's own credentials section, kept while credtray has taken the profile over.
    TakenOverSection,
    /// An integration's SSO access token and its expiry (JSON).
    SsoAccessToken,
    /// An integration's SSO refresh token.
    SsoRefreshToken,
    /// An integration's SSO-OIDC client registration: id, secret, expiry (JSON).
    SsoClient,
}

impl SecretItem {
    /// Every item a session can have, for removal.
    pub const SESSION: [SecretItem; 4] = [
        SecretItem::AccessKeyId,
        SecretItem::SecretAccessKey,
        SecretItem::SessionToken,
        SecretItem::TakenOverSection,
    ];

    /// Every item an integration can have, for removal.
    pub const INTEGRATION: [SecretItem; 3] = [
        SecretItem::SsoAccessToken,
        SecretItem::SsoRefreshToken,
        SecretItem::SsoClient,
    ];

    /// The informative part of the account name.
    pub fn what(self) -> &'static str {
        match self {
            SecretItem::AccessKeyId => "access-key-id",
            SecretItem::SecretAccessKey => "secret-access-key",
            SecretItem::SessionToken => "session-token",
            SecretItem::TakenOverSection => "taken-over-section",
            SecretItem::SsoAccessToken => "sso-access-token",
            SecretItem::SsoRefreshToken => "sso-refresh-token",
            SecretItem::SsoClient => "sso-client",
        }
    }

    /// The keychain account name: `<session-id>/<what>` or
    /// `integration/<integration-id>/<what>`.
    pub fn account(self, owner: Owner) -> String {
        match owner {
            Owner::Session(id) => format!("{id}/{}", self.what()),
            Owner::Integration(id) => format!("integration/{id}/{}", self.what()),
        }
    }
}

/// Keychain failures. Messages name the item, never its value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No keychain service is reachable.
    #[error("the OS keychain is not available ({detail}); on Linux credtray needs a Secret Service provider (gnome-keyring or KeePassXC) running and unlocked on the session bus")]
    Unavailable {
        /// What the platform said.
        detail: String,
    },
    /// Reading or writing one item failed.
    #[error("keychain item {account} could not be {action}: {detail}")]
    Item {
        /// The account name.
        account: String,
        /// read / stored / removed
        action: &'static str,
        /// What the platform said.
        detail: String,
    },
    /// Some items of a session could not be removed.
    #[error("keychain items {} (service 'credtray') could not be removed ({detail})", .remaining.join(", "))]
    Remaining {
        /// The accounts of the items that remain.
        remaining: Vec<String>,
        /// What the platform said about the last failure.
        detail: String,
    },
}

/// Where secrets are kept.
pub trait SecretStore: Send + Sync {
    /// Reads an item; `None` when there is none.
    fn get(&self, owner: Owner, item: SecretItem) -> Result<Option<String>, SecretError>;
    /// Stores an item, replacing any previous value.
    fn set(&self, owner: Owner, item: SecretItem, value: &str) -> Result<(), SecretError>;
    /// Removes an item; a missing item is not an error.
    fn delete(&self, owner: Owner, item: SecretItem) -> Result<(), SecretError>;

    /// Removes every item of an owner, trying each even when one fails; the error then
    /// lists the items that remain.
    fn delete_all(&self, owner: Owner) -> Result<(), SecretError> {
        let mut remaining = Vec::new();
        let mut detail = String::new();
        for &item in owner.items() {
            if let Err(e) = self.delete(owner, item) {
                remaining.push(item.account(owner));
                detail = e.to_string();
            }
        }
        if remaining.is_empty() {
            Ok(())
        } else {
            Err(SecretError::Remaining { remaining, detail })
        }
    }
}

/// The OS keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

impl Keychain {
    fn entry(account: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, account).map_err(|e| map_err(e, account, "opened"))
    }
}

fn map_err(e: keyring::Error, account: &str, action: &'static str) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            SecretError::Unavailable {
                detail: inner.to_string(),
            }
        }
        other => SecretError::Item {
            account: account.to_string(),
            action,
            detail: other.to_string(),
        },
    }
}

impl SecretStore for Keychain {
    fn get(&self, owner: Owner, item: SecretItem) -> Result<Option<String>, SecretError> {
        let account = item.account(owner);
        match Self::entry(&account)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e, &account, "read")),
        }
    }

    fn set(&self, owner: Owner, item: SecretItem, value: &str) -> Result<(), SecretError> {
        let account = item.account(owner);
        Self::entry(&account)?
            .set_password(value)
            .map_err(|e| map_err(e, &account, "stored"))
    }

    fn delete(&self, owner: Owner, item: SecretItem) -> Result<(), SecretError> {
        let account = item.account(owner);
        match Self::entry(&account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e, &account, "removed")),
        }
    }
}

/// An in-memory store for unit tests of the engine.
#[derive(Debug, Default)]
pub struct MemorySecrets {
    items: Mutex<HashMap<String, String>>,
}

impl MemorySecrets {
    /// How many items are held.
    pub fn len(&self) -> usize {
        self.items.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no item is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SecretStore for MemorySecrets {
    fn get(&self, owner: Owner, item: SecretItem) -> Result<Option<String>, SecretError> {
        Ok(self
            .items
            .lock()
            .map_err(|_| SecretError::Unavailable {
                detail: "poisoned".into(),
            })?
            .get(&item.account(owner))
            .cloned())
    }

    fn set(&self, owner: Owner, item: SecretItem, value: &str) -> Result<(), SecretError> {
        self.items
            .lock()
            .map_err(|_| SecretError::Unavailable {
                detail: "poisoned".into(),
            })?
            .insert(item.account(owner), value.to_string());
        Ok(())
    }

    fn delete(&self, owner: Owner, item: SecretItem) -> Result<(), SecretError> {
        self.items
            .lock()
            .map_err(|_| SecretError::Unavailable {
                detail: "poisoned".into(),
            })?
            .remove(&item.account(owner));
        Ok(())
    }
}

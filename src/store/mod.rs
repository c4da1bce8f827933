//! Persistence: the state file and the secrets in the OS keychain.

pub mod secrets;
pub mod state_file;

pub use secrets::{Keychain, MemorySecrets, Owner, SecretError, SecretItem, SecretStore};
pub use state_file::{StateStore, StoreError};

//! # credtray
//!
//! credtray keeps long-lived AWS secrets in the operating system's keychain and turns a
//! *session* into short-lived credentials written under a *named profile* of the AWS
//! credentials file, so that every AWS tool picks them up. It rotates them before they
//! expire and removes them when they stop.
//!
//! The crate is a pure core with thin adapters: [`model`] (plain data and rules),
//! [`store`] (state file and keychain), [`awsfiles`] (the byte-preserving editor of the
//! AWS files), [`providers`] (one per session kind, over the AWS SDK), [`engine`] (start,
//! stop, rotate, and the deadline scheduler), and the [`cli`] and [`agent`] adapters.
//! See ARCHITECTURE.md for the code map and the invariants.

#![warn(missing_docs)]

pub mod agent;
pub mod autostart;
pub mod awsfiles;
pub mod cli;
pub mod engine;
pub mod fsutil;
pub mod model;
pub mod providers;
pub mod saml;
pub mod sso;
pub mod store;
#[cfg(test)]
mod testing;
pub mod tray;

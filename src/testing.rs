//! Fixtures the unit tests of several modules share (compiled for tests only).

use uuid::Uuid;

use crate::awsfiles::ini::WriteRecord;
use crate::model::{IamUser, Session, SessionKind};

/// An IAM user session `alias` under `profile`, in eu-west-1, without an MFA device, with
/// a one-hour token and a new id. Other values: `Session { region: …, ..iam_user(…) }`.
pub fn iam_user(alias: &str, profile: &str) -> Session {
    Session {
        id: Uuid::new_v4(),
        alias: alias.into(),
        profile: profile.into(),
        region: "eu-west-1".into(),
        kind: SessionKind::IamUser(IamUser {
            mfa_serial: None,
            duration_secs: 3600,
        }),
    }
}

/// The record of a section `section` that credtray created, with no keys.
pub fn created_section(section: &str) -> WriteRecord {
    WriteRecord {
        section: section.into(),
        created_section: true,
        keys: Vec::new(),
        added_final_newline: false,
        added_blank_line: false,
    }
}

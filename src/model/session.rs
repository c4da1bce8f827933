//! Sessions: one way of obtaining credentials, bound to one named profile and one region.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Default GetSessionToken duration for `iam-user` sessions (seconds).
pub const DEFAULT_USER_DURATION: u32 = 36_000;
/// Default AssumeRole duration for chained roles (seconds).
pub const DEFAULT_ROLE_DURATION: u32 = 3_600;
/// Default RoleSessionName for chained roles.
pub const DEFAULT_ROLE_SESSION_NAME: &str = "credtray";
/// Region used when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Bounds STS puts on GetSessionToken's DurationSeconds.
pub const USER_DURATION_RANGE: (u32, u32) = (900, 129_600);
/// Bounds STS puts on AssumeRole's DurationSeconds (12 hours at most; chained roles get 1 hour).
pub const ROLE_DURATION_RANGE: (u32, u32) = (900, 43_200);
/// Bounds STS puts on AssumeRoleWithSAML's DurationSeconds.
pub const FEDERATED_DURATION_RANGE: (u32, u32) = (900, 43_200);

/// One session as stored in the state file. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Hidden, stable identity.
    pub id: Uuid,
    /// A label; unique among sessions, may change.
    pub alias: String,
    /// The named profile its credentials are written under.
    pub profile: String,
    /// The region written to the config file.
    pub region: String,
    /// How credentials are obtained.
    #[serde(flatten)]
    pub kind: SessionKind,
}

/// The ways of obtaining credentials. Serialized with a `kind` tag, so later kinds
/// (`iam-role-federated`, `aws-sso`) are added as new variants without a schema change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SessionKind {
    /// Long-term access keys (in the keychain) → STS GetSessionToken.
    IamUser(IamUser),
    /// AssumeRole with the credentials of a parent session.
    IamRoleChained(ChainedRole),
    /// A role of an account in an IAM Identity Center integration → SSO GetRoleCredentials.
    AwsSso(SsoRole),
    /// A role reached through a SAML 2.0 identity provider → STS AssumeRoleWithSAML.
    IamRoleFederated(FederatedRole),
}

/// Fields of an `iam-role-federated` session: the IdP's sign-in URL and the role/provider
/// pair to pick from its assertion. Checked by [`super::federated::validate_federated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedRole {
    /// The role to assume (`arn:aws:iam::ACCOUNT:role/NAME`).
    pub role_arn: String,
    /// The IdP's SAML provider in IAM (`arn:aws:iam::ACCOUNT:saml-provider/NAME`).
    pub idp_arn: String,
    /// The IdP's SAML 2.0 sign-in URL (IdP-initiated), https.
    pub saml_url: String,
    /// AssumeRoleWithSAML DurationSeconds.
    pub duration_secs: u32,
}

/// Fields of an `aws-sso` session: which account and role of which integration. Set by
/// the integration's sync; the user changes only the session's profile and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoRole {
    /// The integration it comes from.
    pub integration: Uuid,
    /// The AWS account id.
    pub account_id: String,
    /// The account's name in the portal.
    pub account_name: String,
    /// The role (permission set) name.
    pub role_name: String,
}

/// Fields of an `iam-user` session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamUser {
    /// ARN or serial number of the MFA device, when one is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_serial: Option<String>,
    /// GetSessionToken DurationSeconds.
    pub duration_secs: u32,
}

/// Fields of an `iam-role-chained` session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedRole {
    /// The session whose credentials call AssumeRole.
    pub parent: Uuid,
    /// The role to assume.
    pub role_arn: String,
    /// RoleSessionName.
    pub role_session_name: String,
    /// Optional ExternalId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// AssumeRole DurationSeconds.
    pub duration_secs: u32,
}

/// The kind's name as the CLI and the JSON output spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindName {
    /// `iam-user`
    IamUser,
    /// `iam-role-chained`
    IamRoleChained,
    /// `aws-sso`
    AwsSso,
    /// `iam-role-federated`
    IamRoleFederated,
}

impl KindName {
    /// The user-facing spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KindName::IamUser => "iam-user",
            KindName::IamRoleChained => "iam-role-chained",
            KindName::AwsSso => "aws-sso",
            KindName::IamRoleFederated => "iam-role-federated",
        }
    }
}

impl SessionKind {
    /// The kind's name.
    pub fn name(&self) -> KindName {
        match self {
            SessionKind::IamUser(_) => KindName::IamUser,
            SessionKind::IamRoleChained(_) => KindName::IamRoleChained,
            SessionKind::AwsSso(_) => KindName::AwsSso,
            SessionKind::IamRoleFederated(_) => KindName::IamRoleFederated,
        }
    }

    /// The parent session, for kinds that have one.
    pub fn parent(&self) -> Option<Uuid> {
        match self {
            SessionKind::IamRoleChained(r) => Some(r.parent),
            SessionKind::IamUser(_) | SessionKind::AwsSso(_) | SessionKind::IamRoleFederated(_) => {
                None
            }
        }
    }

    /// The requested credential lifetime in seconds (an `aws-sso` role's is set by its
    /// permission set, not by credtray).
    pub fn duration_secs(&self) -> Option<u32> {
        match self {
            SessionKind::IamUser(u) => Some(u.duration_secs),
            SessionKind::IamRoleChained(r) => Some(r.duration_secs),
            SessionKind::IamRoleFederated(r) => Some(r.duration_secs),
            SessionKind::AwsSso(_) => None,
        }
    }

    /// The integration it comes from, for `aws-sso` sessions.
    pub fn integration(&self) -> Option<Uuid> {
        match self {
            SessionKind::AwsSso(r) => Some(r.integration),
            _ => None,
        }
    }
}

impl Session {
    /// A one-line label: `alias · kind · region`.
    pub fn label(&self) -> String {
        format!(
            "{} · {} · {}",
            self.alias,
            self.kind.name().as_str(),
            self.region
        )
    }
}

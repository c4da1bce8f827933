//! `iam-role-chained`: STS AssumeRole signed with the parent's credentials.

use async_trait::async_trait;

use super::sts::{answer_credentials, call_failed};
use super::{Credentials, Provider, ProviderError, Sts};
use crate::model::{ChainedRole, Session};

/// Calls AssumeRole with whatever its parent provider gives.
pub struct AssumeRoleProvider {
    /// The session.
    pub session: Session,
    /// Its fields.
    pub role: ChainedRole,
    /// The parent's provider.
    pub parent: Box<dyn Provider>,
    /// STS.
    pub sts: Sts,
}

#[async_trait]
impl Provider for AssumeRoleProvider {
    async fn retrieve(&self) -> Result<Credentials, ProviderError> {
        let parent = self.parent.retrieve().await?;
        let client = self.sts.client(&self.session.region, &parent);
        let out = client
            .assume_role()
            .role_arn(&self.role.role_arn)
            .role_session_name(&self.role.role_session_name)
            .set_external_id(self.role.external_id.clone())
            .duration_seconds(self.role.duration_secs as i32)
            .send()
            .await
            .map_err(call_failed(&self.session.alias, "AssumeRole"))?;
        answer_credentials(&self.session.alias, "AssumeRole", out.credentials())
    }
}

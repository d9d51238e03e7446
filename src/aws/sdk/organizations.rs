//! AWS Organizations reads beyond the listing of accounts (I/O): the resource control policies in force on
//! the central account (ListParents, ListPoliciesForTarget, DescribePolicy), and an account's own
//! organization (DescribeOrganization with its credentials); the service control policy trailhub owns
//! ([`Scps`]: list, create, update, attach, detach). One SDK call and one conversion each.

use async_trait::async_trait;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::{PolicyType, Tag};

use super::{SdkCentral, aws_err};
use crate::aws::{AwsError, MANAGED_TAG_KEY, MANAGED_TAG_VALUE, OrgPolicy, PolicySummary, Scps};

/// ListParents: the ID of the root or OU right above `child` (an account has one parent).
pub(super) async fn parent_of(orgs: &Client, child: &str) -> Result<String, AwsError> {
    let out = orgs
        .list_parents()
        .child_id(child)
        .send()
        .await
        .map_err(|e| aws_err("ListParents", e))?;
    out.parents()
        .iter()
        .find_map(|p| p.id().map(str::to_owned))
        .ok_or_else(|| AwsError::new("ListParents", "NoParent", format!("{child} has no parent")))
}

/// ListPoliciesForTarget (RESOURCE_CONTROL_POLICY), every page: each RCP's ID and name.
pub(super) async fn rcps_attached(
    orgs: &Client,
    target: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = orgs
            .list_policies_for_target()
            .target_id(target)
            .filter(PolicyType::ResourceControlPolicy)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| aws_err("ListPoliciesForTarget", e))?;
        out.extend(
            page.policies().iter().filter_map(|p| {
                Some((p.id()?.to_owned(), p.name().unwrap_or_default().to_owned()))
            }),
        );
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// DescribePolicy: the policy's ID, name and content.
pub(super) async fn describe_policy(orgs: &Client, id: &str) -> Result<OrgPolicy, AwsError> {
    let out = orgs
        .describe_policy()
        .policy_id(id)
        .send()
        .await
        .map_err(|e| aws_err("DescribePolicy", e))?;
    let policy = out.policy();
    let summary = policy.and_then(|p| p.policy_summary());
    Ok(OrgPolicy {
        id: summary.and_then(|s| s.id()).unwrap_or(id).to_owned(),
        name: summary
            .and_then(|s| s.name())
            .unwrap_or_default()
            .to_owned(),
        content: policy
            .and_then(|p| p.content())
            .unwrap_or_default()
            .to_owned(),
    })
}

/// DescribeOrganization: the caller's organization's ID, None when it is in none
/// (`AWSOrganizationsNotInUseException`).
pub(super) async fn organization_id(orgs: &Client) -> Result<Option<String>, AwsError> {
    match orgs.describe_organization().send().await {
        Ok(out) => Ok(out.organization.and_then(|o| o.id)),
        Err(e) if e.code() == Some("AWSOrganizationsNotInUseException") => Ok(None),
        Err(e) => Err(aws_err("DescribeOrganization", e)),
    }
}

/// A policy summary of the SDK in trailhub's words.
fn summary(p: &aws_sdk_organizations::types::PolicySummary) -> Option<PolicySummary> {
    Some(PolicySummary {
        id: p.id()?.to_owned(),
        name: p.name().unwrap_or_default().to_owned(),
        aws_managed: p.aws_managed(),
    })
}

/// The service control policies, from the central account (issue 25): one SDK call and one conversion each.
#[async_trait]
impl Scps for SdkCentral {
    async fn delegation_policy(&self) -> Result<Option<String>, AwsError> {
        match self.orgs.describe_resource_policy().send().await {
            Ok(out) => Ok(out.resource_policy.and_then(|p| p.content)),
            Err(e)
                if matches!(
                    e.code(),
                    Some("ResourcePolicyNotFoundException" | "AccessDeniedException")
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(aws_err("DescribeResourcePolicy", e)),
        }
    }

    async fn list_scps(&self) -> Result<Vec<PolicySummary>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .orgs
                .list_policies()
                .filter(PolicyType::ServiceControlPolicy)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("ListPolicies", e))?;
            out.extend(page.policies().iter().filter_map(summary));
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn scps_for_target(&self, target: &str) -> Result<Vec<PolicySummary>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .orgs
                .list_policies_for_target()
                .target_id(target)
                .filter(PolicyType::ServiceControlPolicy)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("ListPoliciesForTarget", e))?;
            out.extend(page.policies().iter().filter_map(summary));
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn scp_targets(&self, id: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .orgs
                .list_targets_for_policy()
                .policy_id(id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("ListTargetsForPolicy", e))?;
            out.extend(
                page.targets()
                    .iter()
                    .filter_map(|t| t.target_id().map(str::to_owned)),
            );
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn create_scp(
        &self,
        name: &str,
        description: &str,
        content: &str,
    ) -> Result<String, AwsError> {
        let tag = Tag::builder()
            .key(MANAGED_TAG_KEY)
            .value(MANAGED_TAG_VALUE)
            .build()
            .map_err(|e| AwsError::new("CreatePolicy", "InvalidTag", e.to_string()))?;
        let out = self
            .orgs
            .create_policy()
            .name(name)
            .description(description)
            .content(content)
            .r#type(PolicyType::ServiceControlPolicy)
            .tags(tag)
            .send()
            .await
            .map_err(|e| aws_err("CreatePolicy", e))?;
        out.policy()
            .and_then(|p| p.policy_summary())
            .and_then(|s| s.id())
            .map(str::to_owned)
            .ok_or_else(|| {
                AwsError::new("CreatePolicy", "NoPolicyId", "no policy ID in the answer")
            })
    }

    async fn update_scp(&self, id: &str, content: &str) -> Result<(), AwsError> {
        self.orgs
            .update_policy()
            .policy_id(id)
            .content(content)
            .send()
            .await
            .map_err(|e| aws_err("UpdatePolicy", e))?;
        Ok(())
    }

    async fn attach_scp(&self, id: &str, target: &str) -> Result<(), AwsError> {
        self.orgs
            .attach_policy()
            .policy_id(id)
            .target_id(target)
            .send()
            .await
            .map_err(|e| aws_err("AttachPolicy", e))?;
        Ok(())
    }

    async fn detach_scp(&self, id: &str, target: &str) -> Result<(), AwsError> {
        self.orgs
            .detach_policy()
            .policy_id(id)
            .target_id(target)
            .send()
            .await
            .map_err(|e| aws_err("DetachPolicy", e))?;
        Ok(())
    }
}

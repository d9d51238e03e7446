//! AWS Organizations reads beyond the listing of accounts (I/O): the resource control policies in force on
//! the central account (ListParents, ListPoliciesForTarget, DescribePolicy), and an account's own
//! organization (DescribeOrganization with its credentials). One SDK call and one conversion each.

use aws_sdk_organizations::Client;
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::PolicyType;

use super::aws_err;
use crate::aws::{AwsError, OrgPolicy};

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

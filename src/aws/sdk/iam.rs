//! One account's IAM through the SDK (I/O): the roles CloudTrail and VPC flow logs assume to write to
//! CloudWatch Logs, trailhub's inline policy on each, and their permissions boundary (a managed policy).
//! IAM returns policy documents URL-encoded.

use async_trait::async_trait;
use aws_sdk_iam::error::ProvideErrorMetadata;

use super::{SdkMember, aws_err};
use crate::aws::{AwsError, ObservedRole, Roles};

#[async_trait]
impl Roles for SdkMember {
    async fn role(&self, name: &str, policy_name: &str) -> Result<Option<ObservedRole>, AwsError> {
        let get_role = self.iam.get_role().role_name(name).send();
        let get_policy = self
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy_name)
            .send();
        let (role, policy) = tokio::join!(get_role, get_policy);
        let role = match role {
            Ok(out) => out.role,
            Err(e) if e.code() == Some("NoSuchEntity") => return Ok(None),
            Err(e) => return Err(aws_err("GetRole", e)),
        };
        let policy = match policy {
            Ok(out) => Some(decode(&out.policy_document)),
            Err(e) if e.code() == Some("NoSuchEntity") => None,
            Err(e) => return Err(aws_err("GetRolePolicy", e)),
        };
        Ok(role.map(|r| ObservedRole {
            name: r.role_name,
            arn: r.arn,
            trust: r
                .assume_role_policy_document
                .as_deref()
                .map(decode)
                .unwrap_or_default(),
            policy,
            permissions_boundary: r
                .permissions_boundary
                .and_then(|b| b.permissions_boundary_arn),
        }))
    }

    async fn create_role(
        &self,
        name: &str,
        trust: &str,
        boundary: &str,
    ) -> Result<String, AwsError> {
        let out = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .permissions_boundary(boundary)
            .description("trailhub: lets an AWS service deliver logs to CloudWatch Logs")
            .send()
            .await
            .map_err(|e| aws_err("CreateRole", e))?;
        Ok(out.role.map(|r| r.arn).unwrap_or_default())
    }

    async fn put_role_boundary(&self, name: &str, boundary: &str) -> Result<(), AwsError> {
        self.iam
            .put_role_permissions_boundary()
            .role_name(name)
            .permissions_boundary(boundary)
            .send()
            .await
            .map_err(|e| aws_err("PutRolePermissionsBoundary", e))?;
        Ok(())
    }

    async fn managed_policy(&self, arn: &str) -> Result<Option<String>, AwsError> {
        let policy = match self.iam.get_policy().policy_arn(arn).send().await {
            Ok(out) => out.policy,
            Err(e) if e.code() == Some("NoSuchEntity") => return Ok(None),
            Err(e) => return Err(aws_err("GetPolicy", e)),
        };
        let Some(version) = policy.and_then(|p| p.default_version_id) else {
            return Ok(None);
        };
        let out = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| aws_err("GetPolicyVersion", e))?;
        Ok(out
            .policy_version
            .and_then(|v| v.document)
            .map(|d| decode(&d)))
    }

    async fn create_policy(&self, name: &str, doc: &str) -> Result<(), AwsError> {
        self.iam
            .create_policy()
            .policy_name(name)
            .policy_document(doc)
            .description(
                "trailhub: the permissions boundary of its log delivery roles; never versioned",
            )
            .send()
            .await
            .map_err(|e| aws_err("CreatePolicy", e))?;
        Ok(())
    }

    async fn update_trust(&self, name: &str, trust: &str) -> Result<(), AwsError> {
        self.iam
            .update_assume_role_policy()
            .role_name(name)
            .policy_document(trust)
            .send()
            .await
            .map_err(|e| aws_err("UpdateAssumeRolePolicy", e))?;
        Ok(())
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        doc: &str,
    ) -> Result<(), AwsError> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(doc)
            .send()
            .await
            .map_err(|e| aws_err("PutRolePolicy", e))?;
        Ok(())
    }
}

/// A policy document as IAM returns it: URL-encoded (RFC 3986); text that is not is returned as it is.
fn decode(doc: &str) -> String {
    let bytes = doc.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| doc.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_iam_documents() {
        assert_eq!(
            super::decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
        assert_eq!(super::decode(r#"{"a":1}"#), r#"{"a":1}"#);
    }
}

//! The fake's IAM managed policies and permissions boundaries (tests only): what AWS enforces that trailhub
//! relies on for the delivery roles' boundary (docs/aws-rules.md IAM-10, IAM-12, IAM-13). A managed policy keeps
//! its versions; only CreatePolicyVersion (which trailhub never calls) would change its document, so a
//! second CreatePolicy of the name is refused. A role's boundary must name a managed policy that exists.

use super::{FakeRole, World};
use crate::aws::AwsError;

/// A customer managed policy: its versions' documents, the default one last (`v1`, `v2`...).
#[derive(Debug, Clone, Default)]
pub struct FakePolicy {
    pub versions: Vec<String>,
}

impl FakePolicy {
    /// The default version's document.
    pub fn document(&self) -> Option<&str> {
        self.versions.last().map(String::as_str)
    }
}

/// CreatePolicy in `account`: refused when a policy of the name exists (IAM-12: a document changes only
/// by CreatePolicyVersion) or the document is not JSON.
pub(super) fn create_policy(
    w: &mut World,
    arn: String,
    name: &str,
    doc: &str,
) -> Result<(), AwsError> {
    if serde_json::from_str::<serde_json::Value>(doc).is_err() {
        let m = "This policy contains invalid Json";
        return Err(AwsError::new("CreatePolicy", "MalformedPolicyDocument", m));
    }
    if w.managed_policies.contains_key(&arn) {
        let m = format!("A policy called {name} already exists. Duplicate names are not allowed.");
        return Err(AwsError::new("CreatePolicy", "EntityAlreadyExists", m));
    }
    let policy = FakePolicy {
        versions: vec![doc.to_owned()],
    };
    w.managed_policies.insert(arn, policy);
    Ok(())
}

/// The check CreateRole and PutRolePermissionsBoundary make of `PermissionsBoundary` (IAM-10): the ARN of
/// a managed policy that exists (a customer managed one of the caller's account, or AWS's).
pub(super) fn check_boundary(w: &World, op: &'static str, arn: &str) -> Result<(), AwsError> {
    let aws_managed = arn.split(':').nth(4) == Some("aws");
    if aws_managed || w.managed_policies.contains_key(arn) {
        return Ok(());
    }
    let m = format!("Scope ARN: {arn} does not exist or is not attachable.");
    Err(AwsError::new(op, "NoSuchEntity", m))
}

/// A new role with its trust and boundary.
pub(super) fn role(trust: &str, boundary: &str) -> FakeRole {
    FakeRole {
        trust: trust.to_owned(),
        policies: Default::default(),
        created: tokio::time::Instant::now(),
        boundary: Some(boundary.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_made_once_and_a_boundary_must_exist() {
        let mut w = World::default();
        let arn = "arn:aws:iam::222222222222:policy/b".to_owned();
        assert_eq!(
            check_boundary(&w, "CreateRole", &arn).unwrap_err().code,
            "NoSuchEntity"
        );
        create_policy(&mut w, arn.clone(), "b", "{}").unwrap();
        let again = create_policy(&mut w, arn.clone(), "b", r#"{"a":1}"#).unwrap_err();
        assert_eq!(again.code, "EntityAlreadyExists");
        assert_eq!(w.managed_policies[&arn].document(), Some("{}"));
        check_boundary(&w, "CreateRole", &arn).unwrap();
        let managed = "arn:aws:iam::aws:policy/ReadOnlyAccess";
        check_boundary(&w, "CreateRole", managed).unwrap();
    }
}

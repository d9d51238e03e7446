//! The fake's service control policies (issue 25), enforcing what moto does not (tests/MOTO-SCP.md): a
//! document of at most 5,120 characters (ORG-11), at most 5 SCPs a target with `FullAWSAccess` counted
//! (ORG-13), only the management account or a delegated administrator may manage them (ORG-12), a name
//! used once, one attachment of a policy to a target.

use async_trait::async_trait;

use super::{FAKE_ROOT, FakeAws, World};
use crate::aws::{AwsError, OrgPolicy, PolicySummary, Scps};
use crate::plan::guardrails::{SCP_SIZE_LIMIT, SCPS_PER_TARGET};

/// The ID of AWS's own SCP, attached at every root, OU and account.
pub const FULL_ACCESS_ID: &str = "p-FullAWSAccess";

fn full_access() -> PolicySummary {
    PolicySummary {
        id: FULL_ACCESS_ID.to_owned(),
        name: "FullAWSAccess".to_owned(),
        aws_managed: true,
    }
}

impl World {
    /// AccessDenied unless the caller is the management account or named by the delegation policy;
    /// AWSOrganizationsNotInUseException outside an organization.
    fn may_manage_scps(&self, op: &'static str) -> Result<(), AwsError> {
        let denied = || {
            AwsError::new(
                op,
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
            )
        };
        if self
            .deny_calls
            .contains(&(self.caller.clone(), op.to_owned()))
        {
            return Err(denied());
        }
        if self.org_id.is_none() {
            return Err(AwsError::new(
                op,
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
            ));
        }
        let management = self
            .management_account
            .as_ref()
            .is_none_or(|m| *m == self.caller);
        let delegated = self
            .delegation_policy
            .as_ref()
            .is_some_and(|p| p.contains(&self.caller));
        match management || delegated {
            true => Ok(()),
            false => Err(denied()),
        }
    }

    /// Whether `target` is the root, an OU or an account of the organization.
    fn is_target(&self, target: &str) -> bool {
        target == FAKE_ROOT
            || self.org_ous.iter().any(|(_, o)| o.id == target)
            || self.in_org(target)
    }

    /// The SCPs attached right at `target`, `FullAWSAccess` first.
    pub fn scps_at(&self, target: &str) -> Vec<PolicySummary> {
        let mut out = vec![full_access()];
        out.extend(
            self.scp_attachments
                .get(target)
                .into_iter()
                .flatten()
                .filter_map(|id| self.scps.get(id))
                .map(|p| PolicySummary {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    aws_managed: false,
                }),
        );
        out
    }
}

/// ConstraintViolationException for a document over AWS's limit, MalformedPolicyDocumentException for one
/// that is not JSON.
fn check_content(op: &'static str, content: &str) -> Result<(), AwsError> {
    if content.chars().count() > SCP_SIZE_LIMIT {
        return Err(AwsError::new(
            op,
            "ConstraintViolationException",
            "You have exceeded the maximum policy size. (POLICY_CONTENT_LIMIT_EXCEEDED)",
        ));
    }
    if serde_json::from_str::<serde_json::Value>(content).is_err() {
        return Err(AwsError::new(
            op,
            "MalformedPolicyDocumentException",
            "The provided policy document doesn't meet the requirements of the specified policy type.",
        ));
    }
    Ok(())
}

fn not_found(op: &'static str) -> AwsError {
    AwsError::new(
        op,
        "PolicyNotFoundException",
        "We can't find a policy with the PolicyId that you specified.",
    )
}

impl FakeAws {
    /// Puts an SCP made by someone else (a team's) and attaches it to `targets`.
    pub fn put_scp(&self, id: &str, name: &str, content: &str, targets: &[&str]) {
        let mut w = self.world();
        w.scps.insert(
            id.to_owned(),
            OrgPolicy {
                id: id.to_owned(),
                name: name.to_owned(),
                content: content.to_owned(),
            },
        );
        for t in targets {
            w.scp_attachments
                .entry((*t).to_owned())
                .or_default()
                .push(id.to_owned());
        }
    }
}

#[async_trait]
impl Scps for FakeAws {
    async fn delegation_policy(&self) -> Result<Option<String>, AwsError> {
        self.call("DescribeResourcePolicy").await;
        let w = self.world();
        match w.may_manage_scps("DescribeResourcePolicy") {
            Ok(()) => Ok(w.delegation_policy.clone()),
            Err(e) if e.code == "AccessDeniedException" => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list_scps(&self) -> Result<Vec<PolicySummary>, AwsError> {
        self.call("ListPolicies").await;
        let w = self.world();
        w.may_manage_scps("ListPolicies")?;
        let mut out = vec![full_access()];
        out.extend(w.scps.values().map(|p| PolicySummary {
            id: p.id.clone(),
            name: p.name.clone(),
            aws_managed: false,
        }));
        Ok(out)
    }

    async fn scps_for_target(&self, target: &str) -> Result<Vec<PolicySummary>, AwsError> {
        self.call("ListPoliciesForTarget").await;
        let w = self.world();
        w.may_manage_scps("ListPoliciesForTarget")?;
        if !w.is_target(target) {
            return Err(AwsError::new(
                "ListPoliciesForTarget",
                "TargetNotFoundException",
                "We can't find a root, OU, account, or email that you specified.",
            ));
        }
        Ok(w.scps_at(target))
    }

    async fn scp_targets(&self, id: &str) -> Result<Vec<String>, AwsError> {
        self.call("ListTargetsForPolicy").await;
        let w = self.world();
        w.may_manage_scps("ListTargetsForPolicy")?;
        if !w.scps.contains_key(id) {
            return Err(not_found("ListTargetsForPolicy"));
        }
        Ok(w.scp_attachments
            .iter()
            .filter(|(_, ids)| ids.iter().any(|p| p == id))
            .map(|(t, _)| t.clone())
            .collect())
    }

    async fn create_scp(
        &self,
        name: &str,
        _description: &str,
        content: &str,
    ) -> Result<String, AwsError> {
        self.call("CreatePolicy").await;
        let mut w = self.world();
        w.may_manage_scps("CreatePolicy")?;
        check_content("CreatePolicy", content)?;
        if w.scps.values().any(|p| p.name == name) {
            return Err(AwsError::new(
                "CreatePolicy",
                "DuplicatePolicyException",
                "A policy with the same name already exists.",
            ));
        }
        w.next_id += 1;
        let id = format!("p-{:08x}", w.next_id);
        w.scps.insert(
            id.clone(),
            OrgPolicy {
                id: id.clone(),
                name: name.to_owned(),
                content: content.to_owned(),
            },
        );
        Ok(id)
    }

    async fn update_scp(&self, id: &str, content: &str) -> Result<(), AwsError> {
        self.call("UpdatePolicy").await;
        let mut w = self.world();
        w.may_manage_scps("UpdatePolicy")?;
        check_content("UpdatePolicy", content)?;
        let policy = w
            .scps
            .get_mut(id)
            .ok_or_else(|| not_found("UpdatePolicy"))?;
        policy.content = content.to_owned();
        Ok(())
    }

    async fn attach_scp(&self, id: &str, target: &str) -> Result<(), AwsError> {
        self.call("AttachPolicy").await;
        let mut w = self.world();
        w.may_manage_scps("AttachPolicy")?;
        if !w.scps.contains_key(id) {
            return Err(not_found("AttachPolicy"));
        }
        let at = w.scps_at(target);
        if at.iter().any(|p| p.id == id) {
            return Err(AwsError::new(
                "AttachPolicy",
                "DuplicatePolicyAttachmentException",
                "The selected policy is already attached to the specified target.",
            ));
        }
        if at.len() >= SCPS_PER_TARGET {
            return Err(AwsError::new(
                "AttachPolicy",
                "ConstraintViolationException",
                "You have attached the maximum number of policies to the target. (POLICY_NUMBER_LIMIT_EXCEEDED)",
            ));
        }
        w.scp_attachments
            .entry(target.to_owned())
            .or_default()
            .push(id.to_owned());
        Ok(())
    }

    async fn detach_scp(&self, id: &str, target: &str) -> Result<(), AwsError> {
        self.call("DetachPolicy").await;
        let mut w = self.world();
        w.may_manage_scps("DetachPolicy")?;
        let attached = w.scp_attachments.entry(target.to_owned()).or_default();
        let before = attached.len();
        attached.retain(|p| p != id);
        if attached.len() == before {
            return Err(AwsError::new(
                "DetachPolicy",
                "PolicyNotAttachedException",
                "The policy isn't attached to the specified target in the specified root.",
            ));
        }
        Ok(())
    }
}

//! The fake's AWS Organizations beyond the listing: each account's own organization (DescribeOrganization
//! with its credentials, ORG-6), the resource control policies attached to the root, OUs and accounts
//! (ListParents, ListPoliciesForTarget, DescribePolicy, ORG-8), and what AWS makes of them when a service
//! principal writes to the central bucket: the RCPs in force on its account apply with the bucket policy
//! (ORG-7).

use serde_json::Value;

use super::{FAKE_ROOT, FakeAws, World};
use crate::aws::{AwsError, OrgPolicy};
use crate::plan::evaluate::{Delivery, check_delivery};
use crate::plan::membership::org_path;
use crate::plan::rcp::{self, Rcp, RcpLevel, RcpState};

const NOT_IN_USE: &str = "AWSOrganizationsNotInUseException";

impl World {
    /// The organization `account` is in and its aws:SourceOrgPaths, as AWS puts them in the request a
    /// service principal makes for it: the world's organization for its accounts, another one for those in
    /// `other_orgs`, none otherwise.
    pub fn source_org(&self, account: &str) -> (Option<String>, Option<String>) {
        if let Some(other) = self.other_orgs.get(account) {
            return (Some(other.clone()), None);
        }
        match &self.org_id {
            Some(id) if self.in_org(account) => {
                let ancestors = self.ancestors(account);
                (Some(id.clone()), Some(org_path(id, &ancestors)))
            }
            _ => (None, None),
        }
    }

    /// The root's ID, then each OU's above an account or OU (itself left out).
    fn ancestors(&self, child: &str) -> Vec<String> {
        let mut chain = Vec::new();
        let mut at = child.to_owned();
        while let Some(parent) = self.parent(&at) {
            chain.push(parent.clone());
            if parent == FAKE_ROOT {
                break;
            }
            at = parent;
        }
        chain.reverse();
        chain
    }

    /// The root or OU right above an account or OU of the organization.
    fn parent(&self, child: &str) -> Option<String> {
        if let Some((parent, _)) = self.org_ous.iter().find(|(_, o)| o.id == child) {
            return Some(parent.clone());
        }
        self.in_org(child).then(|| {
            self.org_parent
                .get(child)
                .cloned()
                .unwrap_or_else(|| FAKE_ROOT.to_owned())
        })
    }

    /// The RCPs in force on the caller's (the central) account: at the account, each OU above it and the
    /// root.
    pub fn rcps_in_force(&self) -> RcpState {
        if !self.in_org(&self.caller) {
            return RcpState::NoOrganization;
        }
        if self
            .management_account
            .as_ref()
            .is_none_or(|m| *m == self.caller)
        {
            return RcpState::ManagementAccount;
        }
        let mut targets = vec![self.caller.clone()];
        targets.extend(self.ancestors(&self.caller).into_iter().rev());
        let levels = targets
            .into_iter()
            .map(|target| RcpLevel {
                policies: self
                    .rcp_attachments
                    .get(&target)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.rcps.get(id))
                    .map(Rcp::from)
                    .collect(),
                target,
            })
            .collect();
        RcpState::Read { levels }
    }

    /// Whether AWS lets `target` write to the bucket: the bucket policy allows it and no RCP in force on the
    /// bucket's (the caller's) account refuses it.
    pub fn delivery_allowed(&self, policy: &Value, target: &Delivery) -> bool {
        check_delivery(policy, target).allowed()
            && rcp::delivery_denial(&self.rcps_in_force(), target).is_none()
    }

    /// AccessDenied when the caller may not make `op` (`deny_calls`), AWSOrganizationsNotInUseException
    /// when it is in no organization.
    fn may_read_policies(&self, op: &'static str) -> Result<(), AwsError> {
        if self
            .deny_calls
            .contains(&(self.caller.clone(), op.to_owned()))
        {
            return Err(AwsError::new(
                op,
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
            ));
        }
        if self.org_id.is_none() {
            return Err(AwsError::new(
                op,
                NOT_IN_USE,
                "Your account is not a member of an organization.",
            ));
        }
        Ok(())
    }
}

impl FakeAws {
    /// Attaches `content` as the RCP `id` named `name` to a root, OU or account (the policy made once).
    pub fn attach_rcp(&self, id: &str, name: &str, content: &str, target: &str) {
        let mut w = self.world();
        w.rcps.insert(
            id.to_owned(),
            OrgPolicy {
                id: id.to_owned(),
                name: name.to_owned(),
                content: content.to_owned(),
            },
        );
        w.rcp_attachments
            .entry(target.to_owned())
            .or_default()
            .push(id.to_owned());
    }

    pub(super) async fn fake_parent_of(&self, child: &str) -> Result<String, AwsError> {
        self.call("ListParents").await;
        let w = self.world();
        w.may_read_policies("ListParents")?;
        w.parent(child).ok_or_else(|| {
            AwsError::new(
                "ListParents",
                "ChildNotFoundException",
                "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
            )
        })
    }

    pub(super) async fn fake_rcps_attached(
        &self,
        target: &str,
    ) -> Result<Vec<(String, String)>, AwsError> {
        self.call("ListPoliciesForTarget").await;
        let w = self.world();
        w.may_read_policies("ListPoliciesForTarget")?;
        Ok(w.rcp_attachments
            .get(target)
            .into_iter()
            .flatten()
            .filter_map(|id| w.rcps.get(id))
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect())
    }

    pub(super) async fn fake_describe_policy(&self, id: &str) -> Result<OrgPolicy, AwsError> {
        self.call("DescribePolicy").await;
        let w = self.world();
        w.may_read_policies("DescribePolicy")?;
        w.rcps
            .get(id)
            .or_else(|| w.scps.get(id))
            .cloned()
            .ok_or_else(|| {
                AwsError::new(
                    "DescribePolicy",
                    "PolicyNotFoundException",
                    "We can't find a policy with the PolicyId that you specified.",
                )
            })
    }

    /// DescribeOrganization with `account`'s credentials: its organization, None when it is in none.
    pub(super) async fn fake_organization_of(
        &self,
        account: &str,
    ) -> Result<Option<String>, AwsError> {
        self.call("DescribeOrganization").await;
        let w = self.world();
        if w.deny_calls
            .contains(&(account.to_owned(), "DescribeOrganization".to_owned()))
        {
            return Err(AwsError::new(
                "DescribeOrganization",
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
            ));
        }
        Ok(w.source_org(account).0)
    }
}

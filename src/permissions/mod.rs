//! `trailhub permissions` (pure): the least-privilege IAM policies trailhub needs for the features of
//! accounts.toml, derived from the one catalogue of its AWS calls ([`calls`]) by [`build`], and the
//! member role as a CloudFormation template ([`template`]). Needs the config only, no AWS call.

pub mod build;
pub mod calls;
pub mod queue;
pub mod scope;
pub mod template;

#[cfg(test)]
mod tests {
    mod boundary;
    mod drift;
    mod fake;
}

use serde_json::Value;

pub use build::{BoundaryMaker, Principal, policy, policy_for};

use crate::config::Config;

/// The role AWS Organizations makes, with administrator rights, in every account it creates: `members.role_name`
/// by default, the quick path for trying trailhub out, but no name for a role of trailhub's own.
pub const ORGANIZATIONS_ADMIN_ROLE: &str = "OrganizationAccountAccessRole";

/// What the command prints: the two policies and the member role's template.
#[derive(Debug, Clone, PartialEq)]
pub struct Permissions {
    /// Only the read actions (`--read-only`: an identity for scheduled audits).
    pub read_only: bool,
    pub central: Value,
    pub member: Value,
    pub template: Value,
    /// `members.role_name` is [`ORGANIZATIONS_ADMIN_ROLE`]: a stack making a role of that name fails in the
    /// accounts Organizations created, which already have it.
    pub names_organizations_role: bool,
}

impl Permissions {
    pub fn new(cfg: &Config, read_only: bool) -> Permissions {
        let member = policy(cfg, Principal::Member, read_only);
        // the stack makes the boundary policy beside the role when trailhub would: the role then needs
        // no iam:CreatePolicy (and its policy differs from `member` by that statement only)
        let boundary = member.to_string().contains("iam:CreatePolicy");
        let in_template = match boundary {
            true => policy_for(cfg, Principal::Member, read_only, BoundaryMaker::Template),
            false => member.clone(),
        };
        Permissions {
            read_only,
            central: policy(cfg, Principal::Central, read_only),
            template: template::member_role(cfg, &in_template, read_only, boundary),
            member,
            names_organizations_role: cfg.members.role_name == ORGANIZATIONS_ADMIN_ROLE,
        }
    }
}

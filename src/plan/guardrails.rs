//! The guardrails' plan (pure): may the central account manage the organization's SCPs (the management
//! account, or a delegated administrator by the resource-based delegation policy, ORG-12), the SCP trailhub
//! owns (`document`), and where it must be attached (the OUs of `organizational_units`, or the root),
//! within AWS's limits (5,120 characters, 5 SCPs a target: ORG-11, ORG-13). Other SCPs are never changed.

pub mod document;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use document::{Protected, SCP_SIZE_LIMIT, document as scp_document, minified, same_content};

use crate::config::Config;
use crate::plan::evaluate::{Request, evaluate};
use crate::world::{OrgPolicy, PolicyAuthority, TargetPolicies};

/// AWS's limit on the SCPs attached to one root, OU or account, `FullAWSAccess` included (ORG-13).
pub const SCPS_PER_TARGET: usize = 5;

/// The role AWS Organizations makes in the accounts it creates: full administrator (ORG-9).
pub const ORGANIZATIONS_ADMIN_ROLE: &str = "OrganizationAccountAccessRole";

/// What the central account is to the organization's policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Authority {
    /// The organization's management account: it may manage SCPs, and no SCP applies to it (ORG-14).
    Management,
    /// A member the delegation policy lets manage SCPs.
    Delegated,
    /// Neither: what is missing.
    Neither { reason: String },
}

/// The Organizations calls trailhub makes to keep its SCP, which a delegated administrator must be allowed.
pub const DELEGATED_ACTIONS: [&str; 7] = [
    "organizations:ListPolicies",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
    "organizations:CreatePolicy",
    "organizations:UpdatePolicy",
    "organizations:AttachPolicy",
    "organizations:DetachPolicy",
];

/// Judges the central account's standing: the management account, or a member whose account the
/// delegation policy allows every one of [`DELEGATED_ACTIONS`] on SCPs.
pub fn authority(a: &PolicyAuthority, partition: &str) -> Authority {
    if a.caller == a.management_account {
        return Authority::Management;
    }
    let Some(text) = &a.delegation else {
        return Authority::Neither {
            reason: format!(
                "account {} is not the organization's management account ({}) and no delegation policy names it",
                a.caller, a.management_account
            ),
        };
    };
    let Ok(policy) = serde_json::from_str::<Value>(text) else {
        return Authority::Neither {
            reason: "the organization's delegation policy is not JSON".to_owned(),
        };
    };
    let resource = format!(
        "arn:{partition}:organizations::{}:policy/{}/service_control_policy/p-trailhub",
        a.management_account, a.org_id
    );
    let missing: Vec<&str> = DELEGATED_ACTIONS
        .into_iter()
        .filter(|action| {
            ![
                format!("arn:{partition}:iam::{}:root", a.caller),
                a.caller.clone(),
            ]
            .into_iter()
            .any(|principal| {
                let req = Request {
                    principal_service: principal,
                    action: (*action).to_owned(),
                    resource: resource.clone(),
                    context: BTreeMap::from([(
                        "organizations:PolicyType".to_owned(),
                        "SERVICE_CONTROL_POLICY".to_owned(),
                    )]),
                };
                evaluate(&policy, &req).is_allowed()
            })
        })
        .collect();
    match missing.is_empty() {
        true => Authority::Delegated,
        false => Authority::Neither {
            reason: format!(
                "the organization's delegation policy does not let account {} make {}",
                a.caller,
                missing.join(", ")
            ),
        },
    }
}

/// What the SCP's write will be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum PolicyWrite {
    /// CreatePolicy: no SCP of the name yet.
    Create,
    /// UpdatePolicy of trailhub's SCP, whose content differs (backed up first).
    Update { id: String },
    /// Nothing: the content is what trailhub writes.
    Keep { id: String },
}

/// Why (part of) the guardrails cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Blocked {
    /// The central account may not manage SCPs (runbooks/guardrails.md#not-authorized).
    NotAuthorized { reason: String },
    /// The document is over AWS's limit (runbooks/guardrails.md#too-large).
    TooLarge { characters: usize },
    /// The target holds five SCPs already, none trailhub's (runbooks/guardrails.md#target-full).
    TargetFull {
        target: String,
        attached: Vec<String>,
    },
}

/// The guardrails' plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuardrailsPlan {
    pub policy_name: String,
    /// The document `apply` writes (minified).
    pub document: String,
    /// trailhub's SCP as read (None: there is none).
    #[serde(skip)]
    pub live: Option<OrgPolicy>,
    pub write: PolicyWrite,
    /// Targets (root or OU IDs) where the SCP must be attached.
    pub attach: Vec<String>,
    /// Targets where it is attached already.
    pub attached: Vec<String>,
    /// `--prune`: targets it is attached to that are no longer in scope, to detach it from (trailhub's
    /// attachment only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detach: Vec<String>,
    pub blocked: Vec<Blocked>,
    pub warnings: Vec<String>,
    pub authority: Authority,
}

impl GuardrailsPlan {
    /// Whether apply would write anything.
    pub fn has_changes(&self) -> bool {
        !matches!(self.write, PolicyWrite::Keep { .. })
            || !self.attach.is_empty()
            || !self.detach.is_empty()
    }

    /// Whether nothing may be written (not authorized, or too large): a target that is full blocks only
    /// its own attachment.
    pub fn stopped(&self) -> bool {
        self.blocked
            .iter()
            .any(|b| !matches!(b, Blocked::TargetFull { .. }))
    }
}

/// What was read for the plan.
#[derive(Debug, Clone)]
pub struct GuardrailsObserved {
    pub authority: PolicyAuthority,
    /// The SCP of trailhub's name, with its content.
    pub policy: Option<OrgPolicy>,
    /// Each target (the OUs of `organizational_units`, or the root) with the SCPs attached to it.
    pub targets: Vec<TargetPolicies>,
    /// Every root, OU and account trailhub's SCP is attached to (ListTargetsForPolicy).
    pub attached_to: Vec<String>,
}

/// The plan of trailhub's SCP for `cfg` over what was read; with `prune`, its attachments to targets no
/// longer in scope are taken away.
pub fn plan(
    cfg: &Config,
    policy_name: &str,
    seen: &GuardrailsObserved,
    prune: bool,
) -> GuardrailsPlan {
    let protected = Protected::from_config(cfg);
    let doc = scp_document(&protected);
    let document = minified(&doc);
    let authority = authority(&seen.authority, &protected.partition);
    let mut blocked = Vec::new();
    if let Authority::Neither { reason } = &authority {
        blocked.push(Blocked::NotAuthorized {
            reason: reason.clone(),
        });
    }
    let characters = document.chars().count();
    if characters > SCP_SIZE_LIMIT {
        blocked.push(Blocked::TooLarge { characters });
    }
    let write = match &seen.policy {
        None => PolicyWrite::Create,
        Some(p) if same_content(&p.content, &doc) => PolicyWrite::Keep { id: p.id.clone() },
        Some(p) => PolicyWrite::Update { id: p.id.clone() },
    };
    let ours = |t: &TargetPolicies| {
        t.attached
            .iter()
            .any(|a| seen.policy.as_ref().is_some_and(|p| p.id == a.id))
    };
    let (mut attach, mut attached) = (Vec::new(), Vec::new());
    for t in &seen.targets {
        if ours(t) {
            attached.push(t.target.clone());
        } else if t.attached.len() >= SCPS_PER_TARGET {
            blocked.push(Blocked::TargetFull {
                target: t.target.clone(),
                attached: t.attached.iter().map(|a| a.name.clone()).collect(),
            });
        } else {
            attach.push(t.target.clone());
        }
    }
    let in_scope = |t: &String| seen.targets.iter().any(|s| s.target == *t);
    let detach = match prune {
        true => seen
            .attached_to
            .iter()
            .filter(|t| !in_scope(t))
            .cloned()
            .collect(),
        false => Vec::new(),
    };
    GuardrailsPlan {
        policy_name: policy_name.to_owned(),
        detach,
        document,
        live: seen.policy.clone(),
        write,
        attach,
        attached,
        blocked,
        warnings: warnings(cfg, &authority),
        authority,
    }
}

/// What a person should know: the exemption frees Organizations' admin role; the management account is
/// not under any SCP.
fn warnings(cfg: &Config, authority: &Authority) -> Vec<String> {
    let mut out = Vec::new();
    if cfg.members.role_name == ORGANIZATIONS_ADMIN_ROLE {
        out.push(format!(
            "members.role_name is {ORGANIZATIONS_ADMIN_ROLE}, an administrator role: the SCP lets it through, so whoever may assume it may still stop the trails; give trailhub a dedicated role (trailhub permissions --format cloudformation makes one)"
        ));
    }
    if *authority == Authority::Management {
        out.push(format!(
            "the central account {} is the organization's management account: SCPs do not apply to it, so its own resources are not protected",
            cfg.central.account_id
        ));
    }
    out
}

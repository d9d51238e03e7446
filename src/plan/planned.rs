//! The plan's values: the bucket, the policy, the key and each account's plan, as `build` returns them
//! for apply and the renderers. Pure values.

use serde::Serialize;

use super::bucket_settings::SettingsPlan;
use super::cloudwatch::SetupChange;
use super::failure::AccountFailure;
use super::flow_logs::{FlowLogChange, UntaggedFlowLog};
use super::kms::KeyPlan;
use super::membership::SourceOrg;
use super::policy::{Entry, Merged};
use super::prune::Prune;
use super::rcp::RcpState;
use super::trails::TrailChange;
use super::verdict::Denial;
use crate::model::{AccountId, TrailArn};
use crate::world::{DesiredTrail, Guard};
use std::collections::BTreeMap;

/// The flow logs part of an account's plan (`[flow_logs]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FlowLogsPlan {
    /// The log group and role for the `cloudwatch` destination, then each VPC's flow logs; both empty when
    /// all is right.
    Changes {
        /// The VPCs that should have flow logs, in every Region.
        vpcs: usize,
        /// Each Region flow logs are wanted in, with its VPCs that should have them (those of other
        /// Regions read are the audit's).
        regions: Vec<RegionVpcs>,
        /// Enabled Regions closed by policy (an SCP): a note, nothing to do there.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        closed: Vec<String>,
        /// Enabled Regions that could not be read (the others are planned): the part fails.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        failed: Vec<RegionFailure>,
        setup: Vec<SetupChange>,
        changes: Vec<FlowLogChange>,
        /// Flow logs with other settings that carry no trailhub tag: kept, not replaced (not changes).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        untagged: Vec<UntaggedFlowLog>,
    },
    /// Left out: the bucket policy would not let delivery.logs write, or no valid log group name.
    Blocked { failure: AccountFailure },
}

/// One Region's VPCs that should have flow logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionVpcs {
    pub region: String,
    pub vpcs: usize,
}

/// An enabled Region whose read failed for another reason than policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionFailure {
    pub region: String,
    pub failure: AccountFailure,
}

impl FlowLogsPlan {
    pub fn has_changes(&self) -> bool {
        matches!(self, FlowLogsPlan::Changes { setup, changes, .. } if !setup.is_empty() || !changes.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BucketAction {
    Exists,
    Create,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum AccountPlanStatus {
    /// The changes to make, in order; empty when the account is already right.
    Changes { changes: Vec<TrailChange> },
    /// Cannot be planned: the account could not be observed.
    Unreachable(AccountFailure),
    /// The key policy would not let CloudTrail encrypt for this trail with `kms_key` (or the key cannot be
    /// used): CloudTrail would refuse the key, so trailhub does not point the trail at it.
    KeyDenies { message: String },
    /// The merged policy would not let this trail write (an explicit Deny written by someone else, say).
    PolicyDenies {
        #[serde(rename = "message")]
        denial: Denial,
    },
    /// Another trail already covers the account (see
    /// [`Existing::Covers`](super::coverage::Existing::Covers)): trailhub creates no trail.
    Covered { by: String },
    /// Another trail already logs the account's management events elsewhere and `second_copy = "refuse"`:
    /// trailhub's trail would be a billed second copy, so the account is left out.
    SecondCopy { of: String, to: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountPlan {
    pub id: AccountId,
    pub name: String,
    /// Its OU path, when the organization was walked by OU (`organizational_units`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ou: Option<String>,
    pub trail_arn: TrailArn,
    #[serde(flatten)]
    pub status: AccountPlanStatus,
    /// Set when trailhub's trail will be a second copy of the management events another trail already logs
    /// elsewhere (`second_copy = "allow"`): that trail's ARN and where it delivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_copy_of: Option<(String, String)>,
    /// `[cloudwatch]`: the trail's log group and role changes, made before the trail's (which then names
    /// them); empty when right or when trailhub's trail is not planned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cloudwatch: Vec<SetupChange>,
    /// `[flow_logs]`, when configured for the account and it was observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_logs: Option<FlowLogsPlan>,
    /// Without `kms_key`: the trail encrypts with a key of another account than the central one (the
    /// member's own, which it can revoke): that key's ARN and owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_kms_key: Option<(String, String)>,
    /// `[alarms]`: the CIS metric filters and alarms on the account's trail log group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<super::alarms::AlarmsPlan>,
    /// The trail as trailhub wants it (with the CloudWatch Logs role's ARN as observed).
    #[serde(skip)]
    pub trail: DesiredTrail,
}

impl AccountPlan {
    /// The trail's changes.
    pub fn changes(&self) -> &[TrailChange] {
        match &self.status {
            AccountPlanStatus::Changes { changes } => changes,
            _ => &[],
        }
    }

    /// Whether some part of the account cannot be done: its trail (unreachable, denied by the policy, a
    /// second copy refused) or its flow logs. An account another trail covers is not blocked.
    pub fn is_blocked(&self) -> bool {
        !matches!(
            self.status,
            AccountPlanStatus::Changes { .. } | AccountPlanStatus::Covered { .. }
        ) || matches!(self.flow_logs, Some(FlowLogsPlan::Blocked { .. }))
            || self
                .alarms
                .as_ref()
                .is_some_and(super::alarms::AlarmsPlan::is_blocked)
    }

    /// Whether anything in the account is to change: its trail, its CloudWatch Logs setup or its flow logs.
    pub fn has_changes(&self) -> bool {
        !self.changes().is_empty()
            || !self.cloudwatch.is_empty()
            || self
                .flow_logs
                .as_ref()
                .is_some_and(FlowLogsPlan::has_changes)
            || self
                .alarms
                .as_ref()
                .is_some_and(super::alarms::AlarmsPlan::has_changes)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub bucket: String,
    pub bucket_action: BucketAction,
    /// Guards to turn on: all of them for a new bucket, those found off for an existing one (a run that
    /// died between CreateBucket and the hardening calls, say).
    pub bucket_guards: Vec<Guard>,
    /// Guards whose state could not be read (left as they are).
    pub bucket_unknown: Vec<Guard>,
    pub policy: Merged,
    /// `kms_key`: the key to make or use and its policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyPlan>,
    /// The bucket's default encryption, retention and access logging.
    #[serde(skip_serializing_if = "SettingsPlan::is_empty")]
    pub settings: SettingsPlan,
    pub accounts: Vec<AccountPlan>,
    /// The resource control policies in force on the central account, as read (left out when the account
    /// is in no organization, or they were not read).
    #[serde(skip_serializing_if = "RcpState::is_silent")]
    pub rcps: RcpState,
    /// The trails the policy lets write, one per account: trailhub's, or the trail that already covers it.
    #[serde(skip)]
    pub entries: Vec<Entry>,
    /// The accounts whose flow logs the policy lets delivery.logs write
    /// ([`flow_log_accounts`](super::flow_log_accounts)).
    #[serde(skip)]
    pub flow_log_accounts: Vec<AccountId>,
    /// The trails the key policy lets encrypt: trailhub's, one per account in scope that no other trail
    /// covers.
    #[serde(skip)]
    pub key_trails: Vec<(AccountId, TrailArn)>,
    /// The organization's ID, with `source = "organizations"`.
    #[serde(skip)]
    pub org_id: Option<String>,
    /// Each account's `aws:SourceOrgID` and `aws:SourceOrgPaths`, as the plan judged its deliveries: apply
    /// proves them again with the same.
    #[serde(skip)]
    pub sources: BTreeMap<AccountId, SourceOrg>,
    /// Whose entries the policies lose (`--prune`), as planned: apply's writers merge with the same.
    #[serde(skip)]
    pub prune: Prune,
    /// `[guardrails]`: the SCP trailhub owns and where it is attached (set beside `build`, from what
    /// `observe::guardrails` read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<super::guardrails::GuardrailsPlan>,
    /// `[alarms] subscribe`: each queue's policy change and subscriptions (filled once the queues are read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarm_queues: Vec<super::alarm_queues::QueuePlan>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.bucket_action == BucketAction::Create
            || self
                .alarm_queues
                .iter()
                .any(super::alarm_queues::QueuePlan::has_changes)
            || !self.bucket_guards.is_empty()
            || self.policy.changed
            || self.key.as_ref().is_some_and(KeyPlan::has_changes)
            || !self.settings.changes.is_empty()
            || self.accounts.iter().any(AccountPlan::has_changes)
            || self
                .guardrails
                .as_ref()
                .is_some_and(super::guardrails::GuardrailsPlan::has_changes)
    }

    /// Whether the guardrails cannot be applied in full (not authorized, too large, a target full).
    pub fn guardrails_blocked(&self) -> bool {
        self.guardrails
            .as_ref()
            .is_some_and(|g| !g.blocked.is_empty())
    }

    /// Whether some part of the bucket's settings or the key cannot be done as asked.
    pub fn bucket_blocked(&self) -> bool {
        self.settings.is_blocked() || self.key.as_ref().is_some_and(|k| k.blocked().is_some())
    }
}

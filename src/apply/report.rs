//! What an apply did (pure): the bucket, the policy write and each account's outcome, as the report that
//! `output` renders. An account's outcome has a part per concern, each with its own result: the trail
//! (`result`), the trail's CloudWatch Logs delivery (`cloudwatch`) and the flow logs (`flow_logs`); one
//! part's failure never hides another's result. The JSON shape is public (docs/json.md): field names do
//! not change; new ones are added.

use std::path::PathBuf;

use serde::Serialize;

use crate::aws::Guard;
use crate::config::FlowDestination;
use crate::model::{AccountId, TrailArn};
use crate::plan::cloudwatch::SetupChange;
use crate::plan::{AccountFailure, Plan};

#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyOutcome {
    /// Where the policy that was replaced was saved.
    pub backup: Option<PathBuf>,
    pub written: bool,
    /// Writes made: more than one when another writer changed the policy in between.
    pub writes: usize,
    pub size: usize,
    /// Writes made after the trails, because another apply had replaced the policy without our entries
    /// meanwhile (its read came before our write).
    pub rewrites_after_trails: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum PartStatus {
    Unchanged,
    /// Another trail already covers the account: trailhub made no trail there.
    Covered {
        by: String,
    },
    Changed {
        done: Vec<String>,
    },
    Failed {
        #[serde(flatten)]
        failure: AccountFailure,
        done: Vec<String>,
    },
    /// Not started: the run was interrupted.
    Skipped,
}

impl PartStatus {
    /// Failed before any change was made.
    pub(super) fn failed(failure: AccountFailure) -> Self {
        PartStatus::Failed {
            failure,
            done: vec![],
        }
    }

    /// What was done, and the first failure if any: changed, unchanged or failed.
    pub(super) fn of(done: Vec<String>, failure: Option<AccountFailure>) -> Self {
        match failure {
            Some(failure) => PartStatus::Failed { failure, done },
            None if done.is_empty() => PartStatus::Unchanged,
            None => PartStatus::Changed { done },
        }
    }

    pub fn is_failed(&self) -> bool {
        matches!(self, PartStatus::Failed { .. })
    }

    /// Not converged: failed, or not started.
    pub fn is_bad(&self) -> bool {
        matches!(self, PartStatus::Failed { .. } | PartStatus::Skipped)
    }
}

/// The trail's delivery to CloudWatch Logs (`[cloudwatch]`): its log group and role, made before the
/// trail names them. Its `result` is `unchanged`, `changed`, `failed` or `skipped`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloudWatchOutcome {
    #[serde(flatten)]
    pub result: PartStatus,
    /// The log group and role changes made, as data (`done` says them in words).
    pub setup: Vec<SetupChange>,
}

/// The flow logs of the account's VPCs (`[flow_logs]`). Its `result` is `unchanged`, `changed`, `failed`
/// or `skipped`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowLogsOutcome {
    #[serde(flatten)]
    pub result: PartStatus,
    /// The VPCs of the account that should have flow logs, in every Region.
    pub vpcs: usize,
    /// Each Region flow logs are wanted in, with its VPCs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<crate::plan::RegionVpcs>,
    /// Enabled Regions closed by policy (an SCP): a note, nothing done there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closed: Vec<String>,
    /// The log group and role changes made for the `cloudwatch` destination.
    pub setup: Vec<SetupChange>,
    /// The flow logs made.
    pub created: Vec<MadeFlowLog>,
    /// The flow logs deleted once their replacement was made.
    pub deleted: Vec<String>,
    /// The bucket owner's trap: AWS replaced the bucket policy when this (the central) account made a flow
    /// log to the bucket, and trailhub put back what it had written; the Sids of the statements restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_restored: Option<Vec<String>>,
    /// Flow logs with other settings left as they are for want of trailhub's tag (VPC-9), as planned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub untagged: Vec<crate::plan::flow_logs::UntaggedFlowLog>,
}

impl FlowLogsOutcome {
    /// A flow logs part with nothing done.
    pub(super) fn settled(result: PartStatus, vpcs: usize) -> Self {
        FlowLogsOutcome {
            result,
            vpcs,
            regions: vec![],
            closed: vec![],
            setup: vec![],
            created: vec![],
            deleted: vec![],
            policy_restored: None,
            untagged: vec![],
        }
    }
}

/// A flow log trailhub made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MadeFlowLog {
    pub region: String,
    pub vpc: String,
    pub destination: FlowDestination,
    /// Its ID (`fl-...`).
    pub id: String,
    /// The flow log it replaces (deleted after it was made, or before when it could not be made beside
    /// it), when it replaces one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountOutcome {
    pub id: AccountId,
    pub name: String,
    pub trail_arn: TrailArn,
    #[serde(flatten)]
    pub result: PartStatus,
    /// Set when trailhub's trail is a second copy of the management events another trail already logs
    /// elsewhere: that trail's ARN and where it delivers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_copy_of: Option<(String, String)>,
    /// The trail's CloudWatch Logs delivery, where `[cloudwatch]` applies and the trail is trailhub's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudwatch: Option<CloudWatchOutcome>,
    /// The flow logs, where `[flow_logs]` applies and the account was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_logs: Option<FlowLogsOutcome>,
    /// `[alarms]`: the CIS metric filters and alarms, where configured and the account was planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<super::alarms::AlarmsOutcome>,
}

impl AccountOutcome {
    /// Whether any part of the account did not converge (failed, or was not started).
    pub fn is_bad(&self) -> bool {
        self.result.is_bad()
            || self.cloudwatch.as_ref().is_some_and(|c| c.result.is_bad())
            || self.flow_logs.as_ref().is_some_and(|f| f.result.is_bad())
            || self.alarms.as_ref().is_some_and(|a| a.result.is_bad())
    }

    /// Whether any part of the account failed (a part skipped by Ctrl-C did not).
    pub fn has_failed(&self) -> bool {
        self.result.is_failed()
            || self
                .cloudwatch
                .as_ref()
                .is_some_and(|c| c.result.is_failed())
            || self
                .flow_logs
                .as_ref()
                .is_some_and(|f| f.result.is_failed())
            || self.alarms.as_ref().is_some_and(|a| a.result.is_failed())
    }

    /// Whether any part of the account changed something.
    pub fn changed(&self) -> bool {
        let changed = |r: &PartStatus| match r {
            PartStatus::Changed { .. } => true,
            PartStatus::Failed { done, .. } => !done.is_empty(),
            _ => false,
        };
        changed(&self.result)
            || self.cloudwatch.as_ref().is_some_and(|c| changed(&c.result))
            || self.flow_logs.as_ref().is_some_and(|f| changed(&f.result))
            || self.alarms.as_ref().is_some_and(|a| changed(&a.result))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyRun {
    pub bucket: String,
    pub bucket_created: bool,
    /// Guards turned on: Block Public Access, versioning, default encryption.
    pub guards_turned_on: Vec<Guard>,
    pub policy: PolicyOutcome,
    /// `kms_key`: the key made, or its policy written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<super::KeyOutcome>,
    /// The bucket's default encryption, retention and access logging, as changed (or not) after the trails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<super::SettingOutcome>,
    /// What the plan said cannot be made as asked: the key (why), and the bucket's settings left alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_blocked: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bucket_notes: Vec<crate::plan::bucket_settings::BucketNote>,
    pub accounts: Vec<AccountOutcome>,
    /// `[alarms] subscribe`: each queue's policy and its subscriptions, made after the accounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarm_queues: Vec<super::AlarmQueueOutcome>,
    pub interrupted: bool,
    /// `[guardrails]`: what was done to trailhub's SCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrails: Option<super::GuardrailsOutcome>,
}

impl ApplyRun {
    /// A run interrupted before anything was written: nothing done, every account skipped.
    pub(super) fn interrupted_before_start(bucket: String, plan: &Plan) -> Self {
        let accounts = plan.accounts.iter().map(AccountOutcome::skipped).collect();
        ApplyRun {
            bucket,
            bucket_created: false,
            guards_turned_on: vec![],
            policy: PolicyOutcome::default(),
            key: None,
            settings: vec![],
            key_blocked: None,
            bucket_notes: vec![],
            accounts,
            alarm_queues: vec![],
            interrupted: true,
            guardrails: None,
        }
    }

    /// 0 when every account converged, every part of it, 1 when some did not.
    pub fn exit_code(&self) -> i32 {
        let bad = self.interrupted
            || self.accounts.iter().any(AccountOutcome::is_bad)
            || self
                .alarm_queues
                .iter()
                .any(super::AlarmQueueOutcome::is_bad)
            || self.settings.iter().any(|s| s.error.is_some())
            || self.key_blocked.is_some()
            || self.bucket_notes.iter().any(|n| n.blocking)
            || self.guardrails.as_ref().is_some_and(|g| g.is_bad());
        i32::from(bad)
    }
}

impl AccountOutcome {
    /// An account not started (Ctrl-C): every part it had planned, skipped.
    pub(super) fn skipped(p: &crate::plan::AccountPlan) -> Self {
        let skipped = PartStatus::Skipped;
        AccountOutcome {
            id: p.id.clone(),
            name: p.name.clone(),
            trail_arn: p.trail_arn.clone(),
            second_copy_of: None,
            result: skipped.clone(),
            cloudwatch: super::account::cloudwatch_planned(p).then(|| CloudWatchOutcome {
                result: skipped.clone(),
                setup: vec![],
            }),
            flow_logs: p.flow_logs.as_ref().map(|f| {
                let vpcs = match f {
                    crate::plan::FlowLogsPlan::Changes { vpcs, .. } => *vpcs,
                    crate::plan::FlowLogsPlan::Blocked { .. } => 0,
                };
                FlowLogsOutcome::settled(skipped.clone(), vpcs)
            }),
            alarms: p
                .alarms
                .as_ref()
                .map(|_| super::alarms::AlarmsOutcome::skipped()),
        }
    }
}

//! `offboard ACCOUNT_ID` (pure): what of trailhub's one account out of scope holds, and what taking it out
//! removes: its trail (the one trailhub would have made there, delivering to the central bucket), its flow
//! logs to the central bucket, and its entries in trailhub's statements of the bucket and key policies.
//! Everything else in the account and in the policies is left, and said.

use serde::Serialize;

use super::key_policy::{KeyInput, KeyPolicyError, merge_key_policy};
use super::policy::{Org, PolicyError};
use super::prune::{Gone, Prune};
use super::{delivery_verdict, merge_entries};
use crate::config::{Config, FlowDestination};
use crate::model::{AccountId, TrailArn, TrailName};
use crate::world::{FlowLogDestination, ObservedFlowLog, ObservedTrail};

/// What was read for the offboard: the account's trails and flow logs, and the policies in force.
#[derive(Debug, Clone, Default)]
pub struct OffboardState<'a> {
    pub trails: &'a [ObservedTrail],
    pub flow_logs: &'a [ObservedFlowLog],
    /// The bucket policy's text (None: the bucket has none).
    pub bucket_policy: Option<&'a str>,
    /// The key policy's text, with `kms_key` and a key that exists.
    pub key_policy: Option<&'a str>,
    pub org: Option<&'a Org>,
}

/// A trail of the account that offboard leaves, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftTrail {
    pub name: String,
    pub reason: LeftReason,
}

/// Why offboard leaves a trail (`output` writes the words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeftReason {
    /// An organization trail: the management account's.
    OrganizationTrail,
    /// Not trailhub's name (`ours`), but it delivers to the central bucket, which will no longer let it write.
    OtherNameToBucket { ours: String, bucket: String },
    /// Not trailhub's: another name, delivering elsewhere.
    NotOurs,
    /// trailhub's name, but it delivers to another bucket (`to`; None: to none) than the central one.
    OtherBucket { to: Option<String>, bucket: String },
}

/// What `offboard` does to one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffboardPlan {
    pub account: AccountId,
    /// trailhub's trail there, deleted first (None: it has none).
    pub trail: Option<String>,
    /// The account's other trails: left as they are.
    pub trails_left: Vec<LeftTrail>,
    /// Its flow logs to the central bucket that carry trailhub's tag, in every Region, deleted with the
    /// trail (their permission goes).
    pub flow_logs: Vec<RegionalFlowLog>,
    /// Its flow logs to the central bucket without trailhub's tag (made by an older trailhub, or by hand):
    /// left, with a note, since the printed policies do not let trailhub delete them (VPC-9).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flow_logs_untagged: Vec<RegionalFlowLog>,
    /// The entries of trailhub's bucket policy statements that name it, removed.
    pub bucket_entries: Vec<String>,
    /// The entries of trailhub's key policy statements that name it, removed.
    pub key_entries: Vec<String>,
    /// After the removal, the bucket policy still lets a trail of this account write, through this form
    /// (`organization`, say), which names no account alone: said, not changed.
    pub still_allowed: Option<&'static str>,
    /// `[cloudwatch]` or flow logs to CloudWatch Logs are configured: what trailhub made for them in the
    /// account (log groups, their roles, flow logs to a group) is left; it holds the account's logs.
    pub logs_left: bool,
}

impl OffboardPlan {
    /// Nothing of trailhub's in the account or the policies: offboard has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.trail.is_none()
            && self.flow_logs.is_empty()
            && self.bucket_entries.is_empty()
            && self.key_entries.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OffboardError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Key(#[from] KeyPolicyError),
}

/// Plans the offboard of `account`, whose trail trailhub names `trail_name`.
pub fn offboard_plan(
    cfg: &Config,
    account: &AccountId,
    trail_name: &TrailName,
    state: &OffboardState,
) -> Result<OffboardPlan, OffboardError> {
    let (trail, trails_left) = split_trails(cfg, trail_name, state.trails);
    let prune = Prune::Account(account.clone());
    let merged = merge_entries(cfg, &prune, &[], &[], state.org, state.bucket_policy)?;
    let arn = TrailArn::new(&cfg.central.region, account, trail_name);
    let verdict = delivery_verdict(cfg, &merged.policy, state.org, account, &arn);
    let still_allowed = verdict.allowed().then(|| merged.form.name());
    let to_bucket = to_bucket(cfg, state.flow_logs);
    Ok(OffboardPlan {
        account: account.clone(),
        trail,
        trails_left,
        flow_logs: regional(to_bucket.iter().filter(|f| f.managed())),
        flow_logs_untagged: regional(to_bucket.iter().filter(|f| !f.managed())),
        bucket_entries: merged.pruned,
        key_entries: key_entries(cfg, account, state)?,
        still_allowed,
        logs_left: cfg.cloudwatch.is_some()
            || cfg
                .flow_logs
                .as_ref()
                .is_some_and(|f| f.destinations.contains(&FlowDestination::Cloudwatch)),
    })
}

/// trailhub's trail (its name, delivering to the central bucket, homed in the central region, not an
/// organization trail), and the others with why each is left.
fn split_trails(
    cfg: &Config,
    name: &TrailName,
    trails: &[ObservedTrail],
) -> (Option<String>, Vec<LeftTrail>) {
    let region = cfg.central.region.as_str();
    let bucket = cfg.central.bucket.as_str();
    let mut ours = None;
    let mut left = Vec::new();
    for t in trails {
        let reason = if t.organization_trail {
            LeftReason::OrganizationTrail
        } else if t.home_region.as_deref().is_some_and(|h| h != region) {
            // a multi-region trail of another home region shows here too; DeleteTrail works only at home
            continue;
        } else if t.name != name.as_str() {
            match t.bucket.as_deref() {
                Some(b) if b == bucket => LeftReason::OtherNameToBucket {
                    ours: name.to_string(),
                    bucket: bucket.to_owned(),
                },
                _ => LeftReason::NotOurs,
            }
        } else if t.bucket.as_deref() != Some(bucket) {
            LeftReason::OtherBucket {
                to: t.bucket.clone(),
                bucket: bucket.to_owned(),
            }
        } else {
            ours = Some(t.name.clone());
            continue;
        };
        left.push(LeftTrail {
            name: t.name.clone(),
            reason,
        });
    }
    (ours, left)
}

/// A flow log's ID and Region (flow logs are regional: DeleteFlowLogs is called in theirs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionalFlowLog {
    pub region: String,
    pub id: String,
}

impl RegionalFlowLog {
    /// The commands that give `logs` trailhub's tag, a Region at a time.
    pub fn tag_command(logs: &[RegionalFlowLog]) -> String {
        let pairs: Vec<(&str, &str)> = (logs.iter())
            .map(|f| (f.region.as_str(), f.id.as_str()))
            .collect();
        crate::world::ObservedFlowLog::tag_command(&pairs)
    }
}

impl std::fmt::Display for RegionalFlowLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {}", self.id, self.region)
    }
}

/// The flow logs that deliver to the central bucket, in every Region.
fn to_bucket<'a>(cfg: &Config, flow_logs: &'a [ObservedFlowLog]) -> Vec<&'a ObservedFlowLog> {
    let bucket = cfg.central.bucket.as_str();
    flow_logs
        .iter()
        .filter(|f| match &f.target {
            FlowLogDestination::S3 { arn, .. } => arn
                .split_once(":::")
                .is_some_and(|(_, rest)| rest.split('/').next() == Some(bucket)),
            _ => false,
        })
        .collect()
}

fn regional<'a>(flow_logs: impl Iterator<Item = &'a &'a ObservedFlowLog>) -> Vec<RegionalFlowLog> {
    flow_logs
        .map(|f| RegionalFlowLog {
            region: f.region.clone(),
            id: f.id.clone(),
        })
        .collect()
}

/// The key policy's entries of this account.
fn key_entries(
    cfg: &Config,
    account: &AccountId,
    state: &OffboardState,
) -> Result<Vec<String>, KeyPolicyError> {
    let Some(live) = state.key_policy else {
        return Ok(vec![]);
    };
    let merged = merge_key_policy(Some(live), &key_input(cfg, account, state.org))?;
    Ok(merged.pruned)
}

/// The key policy merge that only takes this account's entries out.
pub fn key_input<'a>(
    cfg: &'a Config,
    account: &'a AccountId,
    org: Option<&'a Org>,
) -> KeyInput<'a> {
    KeyInput {
        partition: cfg.central.region.partition(),
        central: &cfg.central.account_id,
        bucket: &cfg.central.bucket,
        trails: &[],
        flow_log_accounts: &[],
        org_id: org.map(|o| o.id.as_str()),
        prune: Some(Gone::Only(account.as_str())),
    }
}

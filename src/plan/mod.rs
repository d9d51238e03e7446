//! The pure planner: desired bucket policy, desired trails and the diff against what was observed.
//! No I/O, no AWS SDK types: config and observed state in, a [`Plan`] out.

pub mod bucket_settings;
pub mod cloudwatch;
pub mod coverage;
pub mod document;
pub mod evaluate;
pub mod failure;
pub mod flow_logs;
pub mod key_policy;
pub mod kms;
pub mod layout;
pub mod offboard;
pub mod policy;
pub mod prune;
pub mod selectors;
pub mod trails;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::SecondCopy;
use crate::config::{Config, FlowDestination, ScopedAccount};
use crate::model::{AccountId, TrailArn};
use crate::world::{
    DesiredTrail, EventSelectors, Guard, LogGroup, ObservedFlowLog, ObservedRole, ObservedTrail,
};
use bucket_settings::{BucketKey, SettingsPlan, SettingsState};
use cloudwatch::SetupChange;
use coverage::{Existing, OtherTrail};
use evaluate::{Delivery, DeliveryVerdict, check_delivery};
pub use failure::AccountFailure;
use flow_logs::FlowLogChange;
use kms::{KeyPlan, KeyState};
use policy::{Entry, FlowLogAccounts, Merged, Org, PolicyError, PolicyInput, merge, parse_live};
use trails::{TrailChange, diff_trail};

/// What was seen in one account before planning.
// one value a run (or an account): boxing the large variant would buy nothing
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AccountState {
    /// The account was reached. `trail` is the trail with trailhub's name for it, if any.
    Observed {
        trail: Option<ObservedTrail>,
        is_logging: bool,
        /// The event selectors of that trail (None: no trail, or not read).
        selectors: Option<EventSelectors>,
        /// The account's other trails, with their status and event selectors: read only when it has no
        /// trailhub trail (whether one covers it, or logs its management events elsewhere).
        others: Vec<OtherTrail>,
        /// Its CloudWatch Logs groups, roles, VPCs and flow logs (read only where configured).
        delivery: DeliveryState,
    },
    /// The account could not be reached or read (AssumeRole or DescribeTrails failed, or it was not
    /// started).
    Failed(AccountFailure),
}

/// What was read of an account for `[cloudwatch]` and `[flow_logs]`; each part only where configured
/// for the account (None: missing, or not read).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryState {
    /// `[cloudwatch]`: the trail's log group and role.
    pub trail_group: Option<LogGroup>,
    pub trail_role: Option<ObservedRole>,
    /// `[flow_logs]`: the VPCs in `central.region` and every flow log there.
    pub vpcs: Vec<String>,
    pub flow_logs: Vec<ObservedFlowLog>,
    /// `[flow_logs]` with the `cloudwatch` destination: the flow logs' log group and role.
    pub flow_group: Option<LogGroup>,
    pub flow_role: Option<ObservedRole>,
}

/// The flow logs part of an account's plan (`[flow_logs]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum FlowLogsPlan {
    /// The log group and role for the `cloudwatch` destination, then each VPC's flow logs; both empty when
    /// all is right.
    Changes {
        vpcs: usize,
        setup: Vec<SetupChange>,
        changes: Vec<FlowLogChange>,
    },
    /// Left out: the bucket policy would not let delivery.logs write, or no valid log group name.
    Blocked { failure: AccountFailure },
}

impl FlowLogsPlan {
    pub fn has_changes(&self) -> bool {
        matches!(self, FlowLogsPlan::Changes { setup, changes, .. } if !setup.is_empty() || !changes.is_empty())
    }
}

/// What was seen of the central bucket: whether it exists, and for each guard whether it is on (None:
/// could not tell, and then trailhub leaves it alone).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BucketState {
    pub exists: bool,
    pub guards: Vec<(Guard, Option<bool>)>,
    /// Its encryption, lifecycle and logging, as far as `[central]` asks for them.
    pub settings: SettingsState,
    /// The configured KMS key (`kms_key`); None without it.
    pub key: Option<KeyState>,
}

impl BucketState {
    pub fn missing(&self) -> Vec<Guard> {
        if !self.exists {
            return Guard::ALL.to_vec();
        }
        self.guards
            .iter()
            .filter(|(_, on)| *on == Some(false))
            .map(|(g, _)| *g)
            .collect()
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
    PolicyDenies { message: String },
    /// Another trail already covers the account (see [`Existing::Covers`]): trailhub creates no trail.
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
    }

    /// Whether anything in the account is to change: its trail, its CloudWatch Logs setup or its flow logs.
    pub fn has_changes(&self) -> bool {
        !self.changes().is_empty()
            || !self.cloudwatch.is_empty()
            || self
                .flow_logs
                .as_ref()
                .is_some_and(FlowLogsPlan::has_changes)
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
    /// The trails the policy lets write, one per account: trailhub's, or the trail that already covers it.
    #[serde(skip)]
    pub entries: Vec<Entry>,
    /// The accounts whose flow logs the policy lets delivery.logs write ([`flow_log_accounts`]).
    #[serde(skip)]
    pub flow_log_accounts: Vec<AccountId>,
    /// The trails the key policy lets encrypt: trailhub's, one per account in scope that no other trail
    /// covers.
    #[serde(skip)]
    pub key_trails: Vec<(AccountId, TrailArn)>,
    /// The organization's ID, with `source = "organizations"`.
    #[serde(skip)]
    pub org_id: Option<String>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.bucket_action == BucketAction::Create
            || !self.bucket_guards.is_empty()
            || self.policy.changed
            || self.key.as_ref().is_some_and(KeyPlan::has_changes)
            || !self.settings.changes.is_empty()
            || self.accounts.iter().any(AccountPlan::has_changes)
    }

    /// Whether some part of the bucket's settings or the key cannot be done as asked.
    pub fn bucket_blocked(&self) -> bool {
        self.settings.is_blocked() || self.key.as_ref().is_some_and(|k| k.blocked().is_some())
    }
}

/// The desired trail of a target.
pub fn desired_trail(cfg: &Config, t: &ScopedAccount) -> DesiredTrail {
    DesiredTrail {
        name: t.trail_name.clone(),
        arn: TrailArn::new(&cfg.central.region, &t.id, &t.trail_name),
        bucket: cfg.central.bucket.clone(),
        key_prefix: cfg.central.key_prefix.clone(),
        cloudwatch: cloudwatch::trail_setup(cfg, t)
            .and_then(Result::ok)
            .map(|s| cloudwatch::trail_logs(&s, None)),
        kms_key_id: None,
        kms_key_names: vec![],
    }
}

/// The policy entries for these targets, sorted by account.
pub fn entries(cfg: &Config, targets: &[ScopedAccount]) -> Vec<Entry> {
    let mut e: Vec<Entry> = targets
        .iter()
        .map(|t| {
            let arn = TrailArn::new(&cfg.central.region, &t.id, &t.trail_name);
            Entry::own(t.id.clone(), arn)
        })
        .collect();
    e.sort();
    e
}

/// The accounts whose VPC flow logs go to the central bucket, sorted: with `[flow_logs]` sending to `s3`,
/// every target with `flow_logs` on, whether trailhub's trail or another covers it (flow logs are not
/// trails).
pub fn flow_log_accounts(cfg: &Config, targets: &[ScopedAccount]) -> Vec<AccountId> {
    let to_s3 = cfg
        .flow_logs
        .as_ref()
        .is_some_and(|f| f.destinations.contains(&FlowDestination::S3));
    if !to_s3 {
        return vec![];
    }
    let mut accounts: Vec<AccountId> = targets
        .iter()
        .filter(|t| t.flow_logs)
        .map(|t| t.id.clone())
        .collect();
    accounts.sort();
    accounts.dedup();
    accounts
}

/// The merged policy for these targets over the live policy text (None: the bucket has no policy).
pub fn desired_policy(
    cfg: &Config,
    targets: &[ScopedAccount],
    org: Option<&Org>,
    live: Option<&str>,
) -> Result<Merged, PolicyError> {
    let flow_logs = flow_log_accounts(cfg, targets);
    merge_entries(cfg, &entries(cfg, targets), &flow_logs, org, live)
}

/// The merged policy for these trails and flow-log accounts over the live policy text (None: the bucket has
/// no policy).
pub fn merge_entries(
    cfg: &Config,
    entries: &[Entry],
    flow_log_accounts: &[AccountId],
    org: Option<&Org>,
    live: Option<&str>,
) -> Result<Merged, PolicyError> {
    let mut live = live.map(parse_live).transpose()?;
    let mut pruned = Vec::new();
    let scope = in_scope(cfg, entries, flow_log_accounts);
    if let (Some(gone), Some(l)) = (cfg.prune.resolve(&scope), &live) {
        let (kept, removed) = prune::prune(l, gone);
        live = Some(kept);
        pruned = removed;
    }
    let input = PolicyInput {
        bucket: &cfg.central.bucket,
        partition: cfg.central.region.partition(),
        prefix: cfg.central.key_prefix.as_ref(),
        entries,
        form: cfg.central.policy_form,
        org,
        flow_logs: FlowLogAccounts {
            accounts: flow_log_accounts,
            region: cfg.central.region.as_str(),
        },
    };
    let mut merged = merge(live.as_ref(), &input)?;
    merged.changed |= !pruned.is_empty();
    merged.pruned = pruned;
    Ok(merged)
}

/// The accounts in scope, for `--prune` and `offboard`: the central account, each entry's and each flow-log account.
pub fn in_scope(
    cfg: &Config,
    entries: &[Entry],
    flow_log_accounts: &[AccountId],
) -> std::collections::BTreeSet<String> {
    std::iter::once(cfg.central.account_id.to_string())
        .chain(entries.iter().map(|e| e.account.to_string()))
        .chain(flow_log_accounts.iter().map(ToString::to_string))
        .collect()
}

/// Does `policy` let this target's trail deliver to the central bucket?
pub fn delivery_verdict(
    cfg: &Config,
    policy: &serde_json::Value,
    org: Option<&Org>,
    id: &AccountId,
    trail_arn: &TrailArn,
) -> DeliveryVerdict {
    let org_id = org.map(|o| o.id.as_str());
    check_delivery(policy, &trail_delivery(cfg, id, trail_arn, None, org_id))
}

/// What CloudTrail asks of the central bucket when `trail_arn` delivers `account`'s logs: the request the
/// evaluator judges. `org_trail`: the organization's ID when the trail is an organization trail, which
/// writes under `AWSLogs/<org-id>/<account>/`; `source_org`: `aws:SourceOrgID`, when known.
pub fn trail_delivery(
    cfg: &Config,
    account: &AccountId,
    trail_arn: &TrailArn,
    org_trail: Option<&str>,
    source_org: Option<&str>,
) -> Delivery {
    let central = &cfg.central;
    Delivery {
        partition: central.region.partition().to_owned(),
        bucket: central.bucket.to_string(),
        key_prefix: central.key_prefix.as_ref().map(ToString::to_string),
        account_id: match org_trail {
            Some(o) => format!("{o}/{account}"),
            None => account.to_string(),
        },
        source_arn: trail_arn.to_string(),
        source_account: trail_arn.account.clone(),
        org_id: source_org.map(str::to_owned),
        service: policy::CLOUDTRAIL.to_owned(),
        log_kind: "CloudTrail".to_owned(),
        region: trail_arn.region.clone(),
    }
}

/// What VPC Flow Logs asks of the central bucket when it delivers `account`'s flow logs
/// (`delivery.logs.amazonaws.com`, `aws:SourceAccount` the account, `aws:SourceArn` one of its CloudWatch
/// Logs ARNs in the central region, objects under `[prefix/]AWSLogs/<account>/vpcflowlogs/`), without
/// `aws:SourceOrgID` (see [`flow_logs_verdict`]).
///
/// AWS documents `aws:SourceArn` only as a pattern, `arn:<p>:logs:<region>:<account>:*` (VPC User Guide,
/// "Amazon S3 bucket permissions for flow logs"), not the value delivery.logs sends. The representative is
/// a concrete ARN of that shape, never the pattern itself, so that a statement comparing the pattern's text
/// with `StringEquals` (which AWS would not match) does not count as allowing.
pub fn flow_log_delivery(cfg: &Config, account: &AccountId) -> Delivery {
    let central = &cfg.central;
    let (partition, region) = (central.region.partition(), central.region.as_str());
    Delivery {
        partition: partition.to_owned(),
        bucket: central.bucket.to_string(),
        key_prefix: central.key_prefix.as_ref().map(ToString::to_string),
        account_id: account.to_string(),
        source_arn: format!("arn:{partition}:logs:{region}:{account}:vpc-flow-log-delivery"),
        source_account: account.to_string(),
        org_id: None,
        service: DELIVERY_LOGS.to_owned(),
        log_kind: "vpcflowlogs".to_owned(),
        region: region.to_owned(),
    }
}

/// Does `policy` let delivery.logs write this account's flow logs to the central bucket? With the
/// organization's ID as `aws:SourceOrgID` when the accounts come from AWS Organizations (the policy's
/// organization form rests on it).
pub fn flow_logs_verdict(
    cfg: &Config,
    policy: &Value,
    org: Option<&Org>,
    account: &AccountId,
) -> DeliveryVerdict {
    let target = Delivery {
        org_id: org.map(|o| o.id.clone()),
        ..flow_log_delivery(cfg, account)
    };
    check_delivery(policy, &target)
}

/// The service that delivers flow logs (and other vended logs) to S3.
pub const DELIVERY_LOGS: &str = policy::LOG_DELIVERY;

/// Why a CloudTrail delivery verdict is not allowed, in words.
pub fn denial_message(policy: &Value, v: &DeliveryVerdict) -> String {
    denial_message_for(policy, v, policy::CLOUDTRAIL)
}

/// Why `service`'s delivery verdict is not allowed, in words.
pub fn denial_message_for(policy: &Value, v: &DeliveryVerdict, service: &str) -> String {
    let mut parts = Vec::new();
    let mut implicit = false;
    for (what, d) in [
        ("s3:GetBucketAcl on the bucket", &v.acl_check),
        ("s3:PutObject on its AWSLogs prefix", &v.write),
    ] {
        match d {
            evaluate::Decision::Allow { .. } => {}
            evaluate::Decision::ExplicitDeny { sid } => parts.push(format!(
                "{what} is denied by statement {}",
                sid.as_deref().unwrap_or("(no Sid)")
            )),
            evaluate::Decision::ImplicitDeny => {
                implicit = true;
                parts.push(format!("no statement allows {what}"));
            }
        }
    }
    if implicit {
        for (sid, op) in evaluate::unjudged_operators(policy, service) {
            parts.push(format!(
                "statement {} has condition operator {op}, which trailhub does not evaluate, so it \
                 counts as allowing nothing",
                sid.as_deref().unwrap_or("(no Sid)")
            ));
        }
    }
    parts.join("; ")
}

/// Plans the run: the bucket, the policy, and each target's trail changes.
pub fn build(
    cfg: &Config,
    targets: &[ScopedAccount],
    org: Option<&Org>,
    bucket: &BucketState,
    live_policy: Option<&str>,
    states: &BTreeMap<AccountId, AccountState>,
) -> Result<Plan, PolicyError> {
    let existing: BTreeMap<&AccountId, Existing> = targets
        .iter()
        .filter_map(|t| match states.get(&t.id) {
            Some(AccountState::Observed {
                trail: None,
                others,
                ..
            }) => Some((&t.id, coverage::existing(cfg, &t.id, others, org))),
            _ => None,
        })
        .collect();
    let entries = planned_entries(cfg, targets, &existing);
    let flow_log_accounts = flow_log_accounts(cfg, targets);
    let merged = merge_entries(cfg, &entries, &flow_log_accounts, org, live_policy)?;
    let org_id = org.map(|o| o.id.as_str());
    let key_trails = key_trails(cfg, targets, &existing);
    let scope = in_scope(cfg, &entries, &flow_log_accounts);
    let key = kms::key_plan(
        cfg,
        bucket.key.as_ref(),
        &key_trails,
        &flow_log_accounts,
        org_id,
        cfg.prune.resolve(&scope),
    );
    let key_names = key
        .as_ref()
        .map(|k| kms::key_names(cfg, k))
        .unwrap_or_default();
    let keyed = Keyed {
        plan: key.as_ref(),
        names: &key_names,
        org_id,
    };
    let accounts: Vec<AccountPlan> = targets
        .iter()
        .map(|t| {
            account_plan(
                cfg,
                t,
                org,
                &merged.policy,
                states.get(&t.id),
                existing.get(&t.id),
                &keyed,
            )
        })
        .collect();
    let settings = plan_settings(cfg, bucket, &keyed, &accounts, states, &merged.policy);
    Ok(Plan {
        bucket: cfg.central.bucket.to_string(),
        bucket_action: if bucket.exists {
            BucketAction::Exists
        } else {
            BucketAction::Create
        },
        bucket_guards: bucket.missing(),
        bucket_unknown: bucket
            .guards
            .iter()
            .filter(|(_, on)| on.is_none())
            .map(|(g, _)| *g)
            .collect(),
        policy: merged,
        key,
        settings,
        accounts,
        entries,
        flow_log_accounts,
        key_trails,
        org_id: org_id.map(str::to_owned),
    })
}

/// The trails the key policy lets encrypt: trailhub's, one per target no other trail covers.
fn key_trails(
    cfg: &Config,
    targets: &[ScopedAccount],
    existing: &BTreeMap<&AccountId, Existing>,
) -> Vec<(AccountId, TrailArn)> {
    targets
        .iter()
        .filter(|t| !matches!(existing.get(&t.id), Some(Existing::Covers { .. })))
        .map(|t| {
            let arn = TrailArn::new(&cfg.central.region, &t.id, &t.trail_name);
            (t.id.clone(), arn)
        })
        .collect()
}

/// The bucket's settings: with the key when it can be used, and the trails that would not take it.
fn plan_settings(
    cfg: &Config,
    bucket: &BucketState,
    key: &Keyed,
    accounts: &[AccountPlan],
    states: &BTreeMap<AccountId, AccountState>,
    policy: &Value,
) -> SettingsPlan {
    let bucket_key = key
        .plan
        .filter(|k| k.blocked().is_none())
        .and_then(KeyPlan::proof)
        .map(|(arn, _)| BucketKey {
            arn,
            names: key.names,
        });
    let uncovered = uncovered_by_key(accounts, states, key.names);
    bucket_settings::settings_plan(cfg, &bucket.settings, bucket_key, &uncovered, policy)
}

/// The key as the account plans need it: its plan, every name of it, the organization's ID.
struct Keyed<'a> {
    plan: Option<&'a KeyPlan>,
    names: &'a [String],
    org_id: Option<&'a str>,
}

/// The trails that deliver to the bucket for an account in scope but are not trailhub's (another trail
/// covers the account) and do not encrypt with the key: with SSE-KMS by default they would need it.
fn uncovered_by_key(
    accounts: &[AccountPlan],
    states: &BTreeMap<AccountId, AccountState>,
    names: &[String],
) -> Vec<String> {
    accounts
        .iter()
        .filter_map(|a| match &a.status {
            AccountPlanStatus::Covered { by } => Some((a, by)),
            _ => None,
        })
        .filter(|(a, by)| {
            let Some(AccountState::Observed { others, .. }) = states.get(&a.id) else {
                return true;
            };
            !others.iter().any(|o| {
                &o.trail.arn == *by
                    && o.trail
                        .kms_key_id
                        .as_ref()
                        .is_some_and(|k| names.contains(k))
            })
        })
        .map(|(_, by)| by.clone())
        .collect()
}

/// The policy entries: each account's own covering trail where one exists, none where an organization
/// trail covers it (its entries are not trailhub's), trailhub's trail otherwise. Sorted by account.
fn planned_entries(
    cfg: &Config,
    targets: &[ScopedAccount],
    existing: &BTreeMap<&AccountId, Existing>,
) -> Vec<Entry> {
    let mut out: Vec<Entry> = targets
        .iter()
        .filter_map(|t| match existing.get(&t.id) {
            Some(Existing::Covers { arn, org_id }) => Some(Entry {
                account: t.id.clone(),
                trail_arn: TrailArn::parse(arn)?,
                org_id: org_id.clone(),
            }),
            _ => {
                let arn = TrailArn::new(&cfg.central.region, &t.id, &t.trail_name);
                Some(Entry::own(t.id.clone(), arn))
            }
        })
        .collect();
    out.sort();
    out
}

/// One account's plan against the merged policy.
fn account_plan(
    cfg: &Config,
    t: &ScopedAccount,
    org: Option<&Org>,
    policy: &Value,
    state: Option<&AccountState>,
    existing: Option<&Existing>,
    key: &Keyed,
) -> AccountPlan {
    let mut desired = desired_trail(cfg, t);
    let verdict = match existing {
        Some(Existing::Covers { arn, org_id }) => match TrailArn::parse(arn) {
            Some(a) => {
                let source_org = org.map(|o| o.id.as_str());
                let target = trail_delivery(cfg, &t.id, &a, org_id.as_deref(), source_org);
                check_delivery(policy, &target)
            }
            None => delivery_verdict(cfg, policy, org, &t.id, &desired.arn),
        },
        _ => delivery_verdict(cfg, policy, org, &t.id, &desired.arn),
    };
    let delivery = match state {
        Some(AccountState::Observed { delivery, .. }) => Some(delivery),
        _ => None,
    };
    let setup = cloudwatch::trail_setup(cfg, t);
    let mut status = trail_status(cfg, state, existing, &verdict, policy);
    let mut cloudwatch_changes = Vec::new();
    if let (AccountPlanStatus::Changes { .. }, Some(setup), Some(d)) = (&status, &setup, delivery) {
        match setup {
            Ok(setup) => {
                cloudwatch_changes =
                    cloudwatch::diff_setup(setup, d.trail_group.as_ref(), d.trail_role.as_ref());
                desired.cloudwatch = Some(cloudwatch::trail_logs(setup, d.trail_role.as_ref()));
            }
            Err(message) => {
                let failure = AccountFailure::LogGroupName {
                    message: message.clone(),
                };
                status = AccountPlanStatus::Unreachable(failure);
            }
        }
    }
    if let AccountPlanStatus::Changes { .. } = status {
        match kms::trail_key(key.plan, &desired.arn, key.org_id) {
            Ok(arn) => {
                desired.kms_key_id = arn;
                desired.kms_key_names = key.names.to_vec();
            }
            Err(message) => status = AccountPlanStatus::KeyDenies { message },
        }
    }
    if let (
        AccountPlanStatus::Changes { changes },
        Some(AccountState::Observed {
            trail,
            is_logging,
            selectors,
            ..
        }),
    ) = (&mut status, state)
    {
        *changes = diff_trail(&desired, trail.as_ref(), *is_logging, selectors.as_ref());
    }
    let second_copy_of = match (existing, &status) {
        (Some(Existing::SecondCopyOf { arn, to }), AccountPlanStatus::Changes { .. }) => {
            Some((arn.clone(), to.clone()))
        }
        _ => None,
    };
    AccountPlan {
        id: t.id.clone(),
        name: t.name.clone(),
        ou: t.ou.clone(),
        trail_arn: desired.arn.clone(),
        status,
        second_copy_of,
        cloudwatch: cloudwatch_changes,
        flow_logs: delivery.and_then(|d| flow_logs_plan(cfg, t, d, policy, org)),
        foreign_kms_key: foreign_kms_key(cfg, state, existing),
        trail: desired,
    }
}

/// Without `kms_key`: the key of the account's trail (trailhub's, or the one that covers it) when another
/// account than the central one owns it.
fn foreign_kms_key(
    cfg: &Config,
    state: Option<&AccountState>,
    existing: Option<&Existing>,
) -> Option<(String, String)> {
    if cfg.central.kms_key.is_some() {
        return None;
    }
    let Some(AccountState::Observed { trail, others, .. }) = state else {
        return None;
    };
    let covering = match existing {
        Some(Existing::Covers { arn, .. }) => others
            .iter()
            .find(|o| &o.trail.arn == arn)
            .map(|o| &o.trail),
        _ => None,
    };
    let key = trail.as_ref().or(covering)?.kms_key_id.as_deref()?;
    let owner = kms::foreign_key_owner(key, &cfg.central.account_id)?;
    Some((key.to_owned(), owner.to_owned()))
}

/// The trail's part of an account's plan: blocked, covered, a second copy refused, or its changes
/// (filled in by the caller once the desired trail is known).
fn trail_status(
    cfg: &Config,
    state: Option<&AccountState>,
    existing: Option<&Existing>,
    verdict: &DeliveryVerdict,
    policy: &Value,
) -> AccountPlanStatus {
    let refuse = cfg.members.second_copy == SecondCopy::Refuse;
    match (state, existing) {
        _ if !verdict.allowed() => AccountPlanStatus::PolicyDenies {
            message: denial_message(policy, verdict),
        },
        (None, _) => AccountPlanStatus::Unreachable(AccountFailure::NotObserved),
        (Some(AccountState::Failed(f)), _) => AccountPlanStatus::Unreachable(f.clone()),
        (Some(_), Some(Existing::Covers { arn, .. })) => {
            AccountPlanStatus::Covered { by: arn.clone() }
        }
        (Some(_), Some(Existing::SecondCopyOf { arn, to })) if refuse => {
            AccountPlanStatus::SecondCopy {
                of: arn.clone(),
                to: to.clone(),
            }
        }
        (Some(AccountState::Observed { .. }), _) => AccountPlanStatus::Changes { changes: vec![] },
    }
}

/// The flow logs part of an account's plan: None when `[flow_logs]` does not apply to it. Blocked when
/// the merged policy would not let delivery.logs write the account's flow logs (a foreign Deny, say: the
/// merge puts trailhub's statements for every flow-log account in).
fn flow_logs_plan(
    cfg: &Config,
    t: &ScopedAccount,
    d: &DeliveryState,
    policy: &Value,
    org: Option<&Org>,
) -> Option<FlowLogsPlan> {
    let fl = cfg.flow_logs.as_ref().filter(|_| t.flow_logs)?;
    if fl.destinations.contains(&FlowDestination::S3) {
        let verdict = flow_logs_verdict(cfg, policy, org, &t.id);
        if !verdict.allowed() {
            let message = denial_message_for(policy, &verdict, DELIVERY_LOGS);
            let failure = AccountFailure::FlowLogsDenied { message };
            return Some(FlowLogsPlan::Blocked { failure });
        }
    }
    let setup = match cloudwatch::flow_setup(cfg, t).transpose() {
        Ok(s) => s,
        Err(message) => {
            let failure = AccountFailure::LogGroupName { message };
            return Some(FlowLogsPlan::Blocked { failure });
        }
    };
    let role_arn = setup.as_ref().map(|s| {
        d.flow_role
            .as_ref()
            .map_or_else(|| s.role_arn.clone(), |r| r.arn.clone())
    });
    let cw = setup.as_ref().zip(role_arn.as_deref());
    let want = flow_logs::desired(cfg, t, &d.vpcs, cw);
    let setup_changes = setup
        .as_ref()
        .map(|s| cloudwatch::diff_setup(s, d.flow_group.as_ref(), d.flow_role.as_ref()))
        .unwrap_or_default();
    let changes = flow_logs::diff(&want, &d.flow_logs);
    if let Some(message) = flow_logs::owner_refusal(cfg, &t.id, policy, &changes) {
        let failure = AccountFailure::FlowLogsDenied { message };
        return Some(FlowLogsPlan::Blocked { failure });
    }
    Some(FlowLogsPlan::Changes {
        vpcs: d.vpcs.len(),
        setup: setup_changes,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
trail_name = "SEC"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
[[account]]
id = "333333333333"
name = "PRD"
"#;

    fn existing() -> BucketState {
        BucketState {
            settings: Default::default(),
            key: None,
            exists: true,
            guards: Guard::ALL.iter().map(|g| (*g, Some(true))).collect(),
        }
    }

    #[test]
    fn a_half_made_bucket_is_hardened_and_unknown_guards_are_left_alone() {
        let (cfg, targets) = setup();
        let bucket = BucketState {
            settings: Default::default(),
            key: None,
            exists: true,
            guards: vec![
                (Guard::BlockPublicAccess, Some(true)),
                (Guard::Versioning, Some(false)),
                (Guard::DefaultEncryption, None),
            ],
        };
        let p = build(&cfg, &targets, None, &bucket, None, &BTreeMap::new()).unwrap();
        assert_eq!(p.bucket_action, BucketAction::Exists);
        assert_eq!(p.bucket_guards, [Guard::Versioning]);
        assert!(p.has_changes());
        let new = build(
            &cfg,
            &targets,
            None,
            &BucketState::default(),
            None,
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(new.bucket_guards, Guard::ALL);
    }

    fn setup() -> (Config, Vec<ScopedAccount>) {
        let cfg = Config::parse(Path::new("a.toml"), CFG).unwrap();
        let mut t: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
        t.extend(cfg.static_targets());
        (cfg, t)
    }

    #[test]
    fn planning_from_scratch_then_again_is_a_no_op() {
        let (cfg, targets) = setup();
        let states: BTreeMap<_, _> = targets
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    AccountState::Observed {
                        trail: None,
                        is_logging: false,
                        selectors: None,
                        others: vec![],
                        delivery: DeliveryState::default(),
                    },
                )
            })
            .collect();
        let p = build(&cfg, &targets, None, &BucketState::default(), None, &states).unwrap();
        assert_eq!(p.bucket_action, BucketAction::Create);
        assert!(
            p.accounts
                .iter()
                .all(|a| a.changes() == [TrailChange::Create, TrailChange::StartLogging])
        );
        insta::assert_json_snapshot!(p, { ".policy.size" => "[size]", ".policy.form_sizes[].size" => "[size]" });

        // the world after apply: planning again changes nothing
        let states: BTreeMap<_, _> = targets
            .iter()
            .map(|t| {
                let d = desired_trail(&cfg, t);
                let o = ObservedTrail {
                    name: d.name.to_string(),
                    arn: d.arn.to_string(),
                    home_region: Some("ap-northeast-2".into()),
                    bucket: Some("sec-log".into()),
                    key_prefix: None,
                    multi_region: true,
                    global_events: true,
                    log_validation: true,
                    organization_trail: false,
                    cloudwatch: None,
                    kms_key_id: None,
                };
                (
                    t.id.clone(),
                    AccountState::Observed {
                        trail: Some(o),
                        is_logging: true,
                        selectors: None,
                        others: vec![],
                        delivery: DeliveryState::default(),
                    },
                )
            })
            .collect();
        let again = build(
            &cfg,
            &targets,
            None,
            &existing(),
            Some(&p.policy.text),
            &states,
        )
        .unwrap();
        assert!(!again.has_changes(), "{again:#?}");
    }

    #[test]
    fn a_foreign_deny_blocks_only_its_account() {
        let (cfg, targets) = setup();
        let live = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDev","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/222222222222/*"}]}"#;
        let states: BTreeMap<_, _> = targets
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    AccountState::Observed {
                        trail: None,
                        is_logging: false,
                        selectors: None,
                        others: vec![],
                        delivery: DeliveryState::default(),
                    },
                )
            })
            .collect();
        let p = build(&cfg, &targets, None, &existing(), Some(live), &states).unwrap();
        let dev = p
            .accounts
            .iter()
            .find(|a| a.id.as_str() == "222222222222")
            .unwrap();
        assert!(
            matches!(&dev.status, AccountPlanStatus::PolicyDenies { message } if message.contains("NoDev"))
        );
        assert_eq!(
            p.accounts
                .iter()
                .filter(|a| !a.changes().is_empty())
                .count(),
            2
        );
    }

    /// Issue 5: at 100, 1,000 and 10,000 generated accounts the policy fits in 20 KB and lets every
    /// planned trail write. A static list fits up to about 650 accounts (shared-prefix: an account ID
    /// twice); beyond that only the organization form fits, so those accounts come from an organization.
    #[test]
    fn every_trail_is_allowed_at_scale() {
        for (n, from_org, form) in [
            (100, false, policy::Form::AccountArns),
            (600, false, policy::Form::SharedPrefix),
            (1_000, true, policy::Form::Organization),
            (10_000, true, policy::Form::Organization),
        ] {
            let mut text = String::from(
                "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\ntrail_name = \"{name}-CLOUDTRAIL\"\n",
            );
            let ids: Vec<String> = (0..n)
                .map(|i| format!("{:012}", 200_000_000_000u64 + i))
                .collect();
            if from_org {
                text += "source = \"organizations\"\n";
            } else {
                for id in &ids {
                    text += &format!("[[account]]\nid = \"{id}\"\nname = \"A{id}\"\n");
                }
            }
            let cfg = Config::parse(Path::new("a.toml"), &text).unwrap();
            let targets: Vec<ScopedAccount> = if from_org {
                ids.iter()
                    .map(|id| {
                        cfg.org_target(id.parse().unwrap(), format!("A{id}"))
                            .unwrap()
                    })
                    .collect()
            } else {
                cfg.static_targets()
            };
            let org = from_org.then(|| policy::Org {
                id: "o-abcdef1234".into(),
                members: ids.iter().cloned().collect(),
            });
            let p = build(
                &cfg,
                &targets,
                org.as_ref(),
                &existing(),
                None,
                &BTreeMap::new(),
            )
            .unwrap();
            assert_eq!(p.policy.form, form, "{n}: {:?}", p.policy.form_sizes);
            assert!(
                p.policy.size <= policy::SIZE_LIMIT,
                "{n}: {}",
                p.policy.size
            );
            let denied = p
                .accounts
                .iter()
                .filter(|a| matches!(a.status, AccountPlanStatus::PolicyDenies { .. }))
                .count();
            assert_eq!(denied, 0, "{n} accounts");
        }
    }

    const FLOW_LOGS: &str = "[flow_logs]\ndestinations = [\"s3\"]\n";

    fn observed(targets: &[ScopedAccount]) -> BTreeMap<AccountId, AccountState> {
        targets
            .iter()
            .map(|t| {
                let state = AccountState::Observed {
                    trail: None,
                    is_logging: false,
                    selectors: None,
                    others: vec![],
                    delivery: DeliveryState {
                        vpcs: vec![format!("vpc-{}", t.id)],
                        ..DeliveryState::default()
                    },
                };
                (t.id.clone(), state)
            })
            .collect()
    }

    /// Issue 11: the merged policy lets delivery.logs write every flow-log account's flow logs (central
    /// included), so the flow logs are planned, not blocked; a foreign Deny still blocks its account only.
    #[test]
    fn flow_logs_are_planned_once_the_policy_allows_them() {
        let text = format!("{CFG}{FLOW_LOGS}");
        let cfg = Config::parse(Path::new("a.toml"), &text).unwrap();
        let mut targets: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
        targets.extend(cfg.static_targets());
        let states = observed(&targets);
        let p = build(&cfg, &targets, None, &existing(), None, &states).unwrap();
        assert_eq!(p.flow_log_accounts.len(), 3);
        for a in &p.accounts {
            assert!(
                matches!(&a.flow_logs, Some(FlowLogsPlan::Changes { changes, .. }) if changes.len() == 1),
                "{}: {:?}",
                a.id,
                a.flow_logs
            );
        }
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDevFlowLogs","Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sec-log/AWSLogs/222222222222/*"}]}"#;
        let p = build(&cfg, &targets, None, &existing(), Some(deny), &states).unwrap();
        for a in &p.accounts {
            let blocked = matches!(&a.flow_logs, Some(FlowLogsPlan::Blocked { failure: AccountFailure::FlowLogsDenied { message } }) if message.contains("NoDevFlowLogs"));
            assert_eq!(
                blocked,
                a.id.as_str() == "222222222222",
                "{:?}",
                a.flow_logs
            );
        }
        // without the s3 destination, no delivery.logs statement
        let cw = CFG.to_owned() + "[flow_logs]\ndestinations = [\"cloudwatch\"]\n";
        let cfg = Config::parse(Path::new("a.toml"), &cw).unwrap();
        let p = build(&cfg, &targets, None, &existing(), None, &states).unwrap();
        assert!(p.flow_log_accounts.is_empty());
        assert!(p.policy.log_delivery.is_none());
    }

    /// Issue 11: with flow logs for every account, the policy fits in 20 KB and lets every trail and every
    /// account's flow logs write: a static list up to a few hundred accounts, an organization beyond (both
    /// families then in the organization form).
    #[test]
    fn every_trail_and_flow_log_is_allowed_at_scale() {
        use policy::{DeliveryForm as D, Form as F};
        for (n, from_org, forms) in [
            (1, false, (F::Exact, D::Exact)),
            (100, false, (F::SourceAccount, D::SourceAccount)),
            (1_000, true, (F::Organization, D::Organization)),
            (10_000, true, (F::Organization, D::Organization)),
        ] {
            let mut text = String::from(
                "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\ntrail_name = \"{name}-CLOUDTRAIL\"\n",
            );
            let ids: Vec<String> = (0..n)
                .map(|i| format!("{:012}", 200_000_000_000u64 + i))
                .collect();
            if from_org {
                text += "source = \"organizations\"\n";
            } else {
                for id in &ids {
                    text += &format!("[[account]]\nid = \"{id}\"\nname = \"A{id}\"\n");
                }
            }
            text += FLOW_LOGS;
            let cfg = Config::parse(Path::new("a.toml"), &text).unwrap();
            let targets: Vec<ScopedAccount> = if from_org {
                ids.iter()
                    .map(|id| {
                        cfg.org_target(id.parse().unwrap(), format!("A{id}"))
                            .unwrap()
                    })
                    .collect()
            } else {
                cfg.static_targets()
            };
            let org = from_org.then(|| policy::Org {
                id: "o-abcdef1234".into(),
                members: ids.iter().cloned().collect(),
            });
            let p = build(
                &cfg,
                &targets,
                org.as_ref(),
                &existing(),
                None,
                &BTreeMap::new(),
            )
            .unwrap();
            let d = p.policy.log_delivery.as_ref().unwrap();
            assert_eq!(
                (p.policy.form, d.form),
                forms,
                "{n}: {:?} {:?}",
                p.policy.form_sizes,
                d.form_sizes
            );
            assert!(
                p.policy.size <= policy::SIZE_LIMIT,
                "{n}: {}",
                p.policy.size
            );
            eprintln!("{n} accounts with flow logs: {} bytes", p.policy.size);
            assert_eq!(d.accounts, n as usize);
            let denied = p
                .accounts
                .iter()
                .filter(|a| matches!(a.status, AccountPlanStatus::PolicyDenies { .. }))
                .count();
            assert_eq!(denied, 0, "{n} accounts");
            for t in &targets {
                let v = flow_logs_verdict(&cfg, &p.policy.policy, org.as_ref(), &t.id);
                assert!(v.allowed(), "{n}: {} {v:?}", t.id);
            }
        }
    }
}

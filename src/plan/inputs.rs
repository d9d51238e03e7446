//! What the policy documents are built from: the desired trails, the policy entries, the flow-log
//! accounts, the accounts in scope, and the merge over the live policy. Pure.

use std::collections::BTreeSet;

use super::cloudwatch;
use super::policy::{
    Entry, FlowLogAccounts, Merged, Org, PolicyError, PolicyInput, merge, parse_live,
};
use super::prune::{self, Prune};
use crate::config::{Config, FlowDestination, ScopedAccount};
use crate::model::{AccountId, TrailArn};
use crate::world::DesiredTrail;

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

/// Whether the flow logs to the bucket write Hive-compatible keys (`hive_compatible_partitions`, DL-6).
pub fn hive_flow_logs(cfg: &Config) -> bool {
    cfg.flow_logs
        .as_ref()
        .is_some_and(|f| f.s3_options.hive_compatible_partitions)
}

/// The merged policy for these targets over the live policy text (None: the bucket has no policy), pruning
/// nothing.
pub fn desired_policy(
    cfg: &Config,
    targets: &[ScopedAccount],
    org: Option<&Org>,
    live: Option<&str>,
) -> Result<Merged, PolicyError> {
    let flow_logs = flow_log_accounts(cfg, targets);
    merge_entries(
        cfg,
        &Prune::Off,
        &entries(cfg, targets),
        &flow_logs,
        org,
        live,
    )
}

/// The merged policy for these trails and flow-log accounts over the live policy text (None: the bucket has
/// no policy), with `prune`'s entries taken out of the live policy first.
pub fn merge_entries(
    cfg: &Config,
    prune: &Prune,
    entries: &[Entry],
    flow_log_accounts: &[AccountId],
    org: Option<&Org>,
    live: Option<&str>,
) -> Result<Merged, PolicyError> {
    let mut live = live.map(parse_live).transpose()?;
    let mut pruned = Vec::new();
    let scope = in_scope(cfg, entries, flow_log_accounts);
    if let (Some(gone), Some(l)) = (prune.resolve(&scope), &live) {
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
            hive: hive_flow_logs(cfg),
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
) -> BTreeSet<String> {
    std::iter::once(cfg.central.account_id.to_string())
        .chain(entries.iter().map(|e| e.account.to_string()))
        .chain(flow_log_accounts.iter().map(ToString::to_string))
        .collect()
}

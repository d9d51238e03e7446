//! `plan::build`: the run's plan from the config and the observed state (the bucket, the policy, the key,
//! the bucket's settings, then each account's plan). Pure.

use std::collections::BTreeMap;

use serde_json::Value;

use super::account::account_plan;
use super::bucket_settings::{self, BucketKey, SettingsPlan};
use super::coverage::{self, Existing};
use super::inputs::{flow_log_accounts, in_scope, merge_entries};
use super::kms::{self, KeyPlan};
use super::membership::Orgs;
use super::observed::{AccountState, BucketState};
use super::planned::{AccountPlan, AccountPlanStatus, BucketAction, Plan};
use super::policy::{Entry, Org, PolicyError};
use super::prune::Prune;
use crate::config::{Config, ScopedAccount};
use crate::model::{AccountId, TrailArn};

/// Plans the run: the bucket, the policy, and each target's trail changes. `prune`: whose entries the
/// policies lose (`--prune`).
pub fn build(
    cfg: &Config,
    prune: &Prune,
    targets: &[ScopedAccount],
    org: Option<&Org>,
    bucket: &BucketState,
    live_policy: Option<&str>,
    states: &BTreeMap<AccountId, AccountState>,
) -> Result<Plan, PolicyError> {
    let existing = existing_trails(cfg, targets, org, states);
    let entries = planned_entries(cfg, targets, &existing);
    let flow_log_accounts = flow_log_accounts(cfg, targets);
    let merged = merge_entries(cfg, prune, &entries, &flow_log_accounts, org, live_policy)?;
    let org_id = org.map(|o| o.id.as_str());
    let key_trails = key_trails(cfg, targets, &existing);
    let scope = in_scope(cfg, &entries, &flow_log_accounts);
    let key = kms::key_plan(
        cfg,
        bucket.key.as_ref(),
        &key_trails,
        &flow_log_accounts,
        org_id,
        prune.resolve(&scope),
    );
    let key_names = key
        .as_ref()
        .map(|k| kms::key_names(cfg, k))
        .unwrap_or_default();
    let keyed = Keyed {
        plan: key.as_ref(),
        names: &key_names,
    };
    let orgs = Orgs {
        run: org,
        facts: &bucket.organizations,
    };
    let accounts: Vec<AccountPlan> = targets
        .iter()
        .map(|t| {
            let (state, existing) = (states.get(&t.id), existing.get(&t.id));
            account_plan(cfg, t, orgs, &merged.policy, state, existing, &keyed)
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
        bucket_unknown: bucket.unknown(),
        policy: merged,
        key,
        settings,
        accounts,
        entries,
        flow_log_accounts,
        key_trails,
        org_id: org_id.map(str::to_owned),
        rcps: bucket.organizations.rcps.clone(),
        sources: targets
            .iter()
            .map(|t| (t.id.clone(), orgs.source(&t.id)))
            .collect(),
        prune: prune.clone(),
        guardrails: None,
        alarm_queues: vec![],
    })
}

/// What already delivers each account's management events, for the accounts observed without trailhub's
/// trail: another trail that covers it, or one that logs them elsewhere.
fn existing_trails<'a>(
    cfg: &Config,
    targets: &'a [ScopedAccount],
    org: Option<&Org>,
    states: &BTreeMap<AccountId, AccountState>,
) -> BTreeMap<&'a AccountId, Existing> {
    targets
        .iter()
        .filter_map(|t| match states.get(&t.id) {
            Some(AccountState::Observed {
                trail: None,
                others,
                ..
            }) => Some((&t.id, coverage::existing(cfg, &t.id, others, org))),
            _ => None,
        })
        .collect()
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

/// The key as the account plans need it: its plan and every name of it.
pub(super) struct Keyed<'a> {
    pub(super) plan: Option<&'a KeyPlan>,
    pub(super) names: &'a [String],
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

//! One account's plan against the merged policy: its trail's status and changes, its CloudWatch Logs
//! setup, its flow logs and a foreign trail key. Pure.

use serde_json::Value;

use super::build::Keyed;
use super::cloudwatch::{self, SetupChange};
use super::coverage::Existing;
use super::evaluate::Delivery;
use super::failure::AccountFailure;
use super::inputs::desired_trail;
use super::membership::Orgs;
use super::observed::{AccountState, DeliveryState};
use super::planned::{AccountPlan, AccountPlanStatus, FlowLogsPlan, RegionFailure, RegionVpcs};
use super::trails::diff_trail;
use super::verdict::{DELIVERY_LOGS, Denial, delivery_denial, flow_log_delivery, trail_delivery};
use super::{flow_logs, kms, policy, rcp};
use crate::config::{Config, FlowDestination, ScopedAccount, SecondCopy};
use crate::model::{AccountId, TrailArn};
use crate::world::DesiredTrail;

/// One account's plan against the merged policy.
pub(super) fn account_plan(
    cfg: &Config,
    t: &ScopedAccount,
    orgs: Orgs<'_>,
    policy: &Value,
    state: Option<&AccountState>,
    existing: Option<&Existing>,
    key: &Keyed,
) -> AccountPlan {
    let mut desired = desired_trail(cfg, t);
    let target = trail_target(cfg, &t.id, orgs, existing, &desired.arn);
    let delivery = match state {
        Some(AccountState::Observed { delivery, .. }) => Some(delivery),
        _ => None,
    };
    let denied = delivery_denial(policy, &target, &orgs.facts.rcps, policy::CLOUDTRAIL);
    let mut status = trail_status(cfg, state, existing, denied);
    let cloudwatch = trail_cloudwatch(cfg, t, delivery, &mut status, &mut desired);
    if let AccountPlanStatus::Changes { .. } = status {
        // the key policy is proved with the account's own organization (aws:SourceOrgID), then the RCPs
        let source = orgs.source(&t.id);
        let proved =
            kms::trail_key(key.plan, &desired.arn, target.org_id.as_deref()).and_then(|arn| {
                let refused = arn
                    .as_deref()
                    .and_then(|k| rcp::key_denial(&orgs.facts.rcps, k, &desired.arn, &source));
                refused.map_or(Ok(arn), Err)
            });
        match proved {
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
    let mut flow_logs = delivery.and_then(|d| flow_logs_plan(cfg, t, d, policy, orgs));
    // one policy for both roles: the trail's setup, made first, creates it
    let creates = |c: &SetupChange| matches!(c, SetupChange::CreateBoundaryPolicy { .. });
    if let (true, Some(FlowLogsPlan::Changes { setup, .. })) =
        (cloudwatch.iter().any(creates), &mut flow_logs)
    {
        setup.retain(|c| !creates(c));
    }
    let alarms = super::alarms::account_alarms(cfg, t, &status, state);
    AccountPlan {
        alarms,
        id: t.id.clone(),
        name: t.name.clone(),
        ou: t.ou.clone(),
        trail_arn: desired.arn.clone(),
        status,
        second_copy_of,
        cloudwatch,
        flow_logs,
        foreign_kms_key: foreign_kms_key(cfg, state, existing),
        trail: desired,
    }
}

/// The delivery the account's trail makes: the trail that covers it when one does (as it writes, perhaps
/// as an organization trail), trailhub's `own` otherwise; with the account's own organization.
fn trail_target(
    cfg: &Config,
    account: &AccountId,
    orgs: Orgs<'_>,
    existing: Option<&Existing>,
    own: &TrailArn,
) -> Delivery {
    let covering = match existing {
        Some(Existing::Covers { arn, org_id }) => TrailArn::parse(arn).map(|a| (a, org_id)),
        _ => None,
    };
    let target = match &covering {
        Some((arn, org_id)) => trail_delivery(cfg, account, arn, org_id.as_deref(), None),
        None => trail_delivery(cfg, account, own, None, None),
    };
    orgs.source(account).on(target)
}

/// `[cloudwatch]` for a trail that is to change: the log group and role changes (made before the trail's),
/// and the desired trail then names them. Without a valid log group name the account is blocked instead.
fn trail_cloudwatch(
    cfg: &Config,
    t: &ScopedAccount,
    delivery: Option<&DeliveryState>,
    status: &mut AccountPlanStatus,
    desired: &mut DesiredTrail,
) -> Vec<SetupChange> {
    let (AccountPlanStatus::Changes { .. }, Some(setup), Some(d)) =
        (&status, cloudwatch::trail_setup(cfg, t), delivery)
    else {
        return vec![];
    };
    let setup = setup.map_err(|message| AccountFailure::LogGroupName { message });
    let boundary = setup
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|s| cloudwatch::boundary_policy(s, d.boundary_policy.as_deref()));
    match (setup, boundary) {
        (Ok(setup), Ok(create)) => {
            desired.cloudwatch = Some(cloudwatch::trail_logs(&setup, d.trail_role.as_ref()));
            let role = d.trail_role.as_ref();
            let changes = cloudwatch::diff_setup(&setup, d.trail_group.as_ref(), role);
            create.into_iter().chain(changes).collect()
        }
        (Err(failure), _) | (_, Err(failure)) => {
            *status = AccountPlanStatus::Unreachable(failure);
            vec![]
        }
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
    denied: Option<Denial>,
) -> AccountPlanStatus {
    let refuse = cfg.members.second_copy == SecondCopy::Refuse;
    if let Some(denial) = denied {
        return AccountPlanStatus::PolicyDenies { denial };
    }
    match (state, existing) {
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
    orgs: Orgs<'_>,
) -> Option<FlowLogsPlan> {
    let fl = cfg.flow_logs.as_ref().filter(|_| t.flow_logs)?;
    if fl.destinations.contains(&FlowDestination::S3) {
        let target = orgs.source(&t.id).on(flow_log_delivery(cfg, &t.id));
        if let Some(denial) = delivery_denial(policy, &target, &orgs.facts.rcps, DELIVERY_LOGS) {
            let failure = AccountFailure::FlowLogsDenied { denial };
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
    let boundary = setup
        .as_ref()
        .map(|s| cloudwatch::boundary_policy(s, d.boundary_policy.as_deref()));
    let create_boundary = match boundary.transpose() {
        Ok(create) => create.flatten(),
        Err(failure) => return Some(FlowLogsPlan::Blocked { failure }),
    };
    let role_arn = setup.as_ref().map(|s| {
        d.flow_role
            .as_ref()
            .map_or_else(|| s.role_arn.clone(), |r| r.arn.clone())
    });
    let cw = setup.as_ref().zip(role_arn.as_deref());
    let want = flow_logs::desired(cfg, t, &d.vpcs, cw, flow_logs::RegionScope::Configured);
    let mut setup_changes = setup
        .as_ref()
        .map(|s| cloudwatch::diff_setup(s, d.flow_group.as_ref(), d.flow_role.as_ref()))
        .unwrap_or_default();
    if let Some(s) = &setup {
        let regions = flow_logs::other_cloudwatch_regions(cfg, &want);
        setup_changes.extend(cloudwatch::diff_regional_groups(
            s,
            &regions,
            &d.flow_groups,
        ));
    }
    let setup_changes = create_boundary.into_iter().chain(setup_changes).collect();
    let changes = flow_logs::diff(&want, &d.flow_logs);
    if let Some(statements) = flow_logs::owner_refusal(cfg, &t.id, policy, &changes) {
        let failure = AccountFailure::OwnerFlowLogsRefused { statements };
        return Some(FlowLogsPlan::Blocked { failure });
    }
    let (regions, failed) = region_tallies(cfg, t, d, &want);
    Some(FlowLogsPlan::Changes {
        vpcs: regions.iter().map(|r| r.vpcs).sum(),
        closed: d.regions.closed.clone(),
        failed,
        regions,
        setup: setup_changes,
        changes,
        untagged: flow_logs::untagged(&want, &d.flow_logs),
    })
}

/// The Regions flow logs are wanted in, each with its VPCs that should have them (the Regions read and
/// those of the wanted VPCs), and the wanted Regions that could not be read.
fn region_tallies(
    cfg: &Config,
    t: &ScopedAccount,
    d: &DeliveryState,
    want: &[(FlowDestination, crate::world::DesiredFlowLog)],
) -> (Vec<RegionVpcs>, Vec<RegionFailure>) {
    let Some(fl) = cfg.flow_logs.as_ref() else {
        return (vec![], vec![]);
    };
    let fl_regions = &fl.regions;
    let mut regions: Vec<RegionVpcs> = d
        .regions
        .read()
        .filter(|r| fl_regions.wants(r))
        .map(|r| RegionVpcs {
            region: r.to_owned(),
            vpcs: 0,
        })
        .collect();
    for (_, w) in want
        .iter()
        .filter(|(dest, _)| Some(dest) == fl.destinations.first())
    {
        match regions.iter_mut().find(|r| r.region == w.region) {
            Some(r) => r.vpcs += 1,
            None => regions.push(RegionVpcs {
                region: w.region.clone(),
                vpcs: 1,
            }),
        }
    }
    regions.sort_by(|a, b| a.region.cmp(&b.region));
    let failed = (d.regions.failed.iter())
        .filter(|(r, _)| fl_regions.wants(r))
        .map(|(r, e)| RegionFailure {
            region: r.clone(),
            failure: AccountFailure::Aws(e.clone().in_account(&t.id)),
        })
        .collect();
    (regions, failed)
}

//! What one account holds now (async I/O over the `aws` traits, read only): the account reached (its role
//! assumed once per run), its trails read, trailhub's trail's status and event selectors, and what
//! `[cloudwatch]` and `[flow_logs]` need of it. One account's failure is that account's state.

use futures::stream::{self, StreamExt};

use super::regions::{RegionsRead, read_regions, region_limit};
use crate::aws::{AwsError, Central, Member, emulator};
use crate::aws::{EventSelectors, ObservedTrail, TrailStatus};
use crate::config::{Config, ScopedAccount};
use crate::plan::cloudwatch::{self, LogsSetup};
use crate::plan::coverage::OtherTrail;
use crate::plan::{AccountFailure, AccountState, DeliveryState};
use tokio::sync::Semaphore;

/// One account as observed: its client (kept for the apply, so a role is assumed once per run), the
/// planner's view of it, and every trail it showed.
pub struct Observation<M> {
    pub target: ScopedAccount,
    pub member: Option<M>,
    pub state: AccountState,
    pub trails: Vec<ObservedTrail>,
    /// The status of trailhub's trail, when the account has it.
    pub status: Option<TrailStatus>,
}
/// Reaches every target, at most `concurrency` at once, and reads its trails (and the status of
/// trailhub's trail, when there is one). One account's failure is that account's state.
pub async fn observe<C: Central>(
    central: &C,
    cfg: &Config,
    targets: &[ScopedAccount],
    concurrency: usize,
) -> Vec<Observation<C::Member>> {
    let limit = region_limit(concurrency);
    let limit = &limit;
    stream::iter(targets.iter().cloned())
        .map(|t| observe_one(central, cfg, t, limit))
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// An account that could not be observed: that account's state, logged.
pub(super) fn failed<M>(
    target: ScopedAccount,
    f: impl Into<AccountFailure>,
    member: Option<M>,
) -> Observation<M> {
    let f = match f.into() {
        AccountFailure::Aws(e) if e.account.is_none() => {
            AccountFailure::Aws(e.in_account(&target.id))
        }
        f => f,
    };
    tracing::warn!(account = %target.id, operation = f.operation(), code = f.code(), "{}", f.message());
    Observation {
        target,
        member,
        state: AccountState::Failed(f),
        trails: vec![],
        status: None,
    }
}

/// AssumeRole (or the caller's own credentials for central); DescribeTrails with what `[cloudwatch]` and
/// `[flow_logs]` read (see [`read_delivery`]) in one wave; then GetTrailStatus with
/// GetEventSelectors of trailhub's trail when it exists (4 calls in 3 round trips), else of the account's
/// other trails, all at once (2 calls, plus 2 a trail in one round trip).
pub(super) async fn observe_one<C: Central>(
    central: &C,
    cfg: &Config,
    target: ScopedAccount,
    limit: &Semaphore,
) -> Observation<C::Member> {
    let member = match central.member(&target).await {
        Ok(m) => m,
        Err(e) => return failed(target, e, None),
    };
    // the account's trails, and what [cloudwatch] and [flow_logs] need of it, in one wave
    let (trails, mut delivery) = match tokio::join!(
        member.describe_trails(),
        read_delivery(&member, cfg, &target, limit)
    ) {
        (Ok(t), Ok(d)) => (t, d),
        (Err(e), _) | (_, Err(e)) => return failed(target, e, Some(member)),
    };
    match super::alarms::read_alarms(&member, cfg, &target, &trails).await {
        Ok(a) => delivery.alarms = a,
        Err(e) => return failed(target, e, Some(member)),
    }
    let region = cfg.central.region.as_str();
    let (name, account) = (target.trail_name.as_str(), target.id.as_str());
    let mine = emulator::own_trail(&trails, name, region, account).cloned();
    if mine.is_none()
        && let Some(t) = (trails.iter()).find(|t| t.name == name && t.owned_by(account))
    {
        // a trail of trailhub's name homed in another region: never a CreateTrail that fails every run
        let home = t.home_region.clone().unwrap_or_default();
        let f = AccountFailure::HomedElsewhere {
            trail: t.arn.clone(),
            home,
        };
        return failed(target, f, Some(member));
    }
    // trailhub's trail: its status and event selectors in one wave. Without one, the other trails' (at
    // once): whether one already covers the account, or logs its management events elsewhere
    let (status, selectors, others) = match &mine {
        Some(t) => match tokio::join!(
            member.trail_status(&t.name),
            member.event_selectors(&t.name)
        ) {
            (Ok(s), Ok(e)) => (Some(s), Some(e), vec![]),
            (Err(e), _) | (_, Err(e)) => return failed(target, e, Some(member)),
        },
        None => (
            None,
            None,
            read_others(&member, region, target.id.as_str(), trails.iter()).await,
        ),
    };
    let is_logging = status.as_ref().is_some_and(|s| s.is_logging);
    let state = AccountState::Observed {
        trail: mine,
        is_logging,
        selectors,
        others,
        delivery,
    };
    Observation {
        target,
        member: Some(member),
        state,
        trails,
        status,
    }
}

/// The log groups and roles of `[cloudwatch]` and `[flow_logs]`, the VPCs and their flow logs: each read
/// only where configured for the account, all at once (DescribeLogGroups and GetRole with GetRolePolicy
/// for each setup; DescribeRegions, then DescribeVpcs and DescribeFlowLogs in every enabled Region, see
/// [`read_regions`]).
async fn read_delivery<M: Member>(
    member: &M,
    cfg: &Config,
    target: &ScopedAccount,
    limit: &Semaphore,
) -> Result<DeliveryState, AwsError> {
    let trail = cloudwatch::trail_setup(cfg, target).and_then(Result::ok);
    let flow = cloudwatch::flow_setup(cfg, target).and_then(Result::ok);
    let flows = cfg.flow_logs.is_some() && target.flow_logs;
    let group = |s: Option<&LogsSetup>| {
        let name = s.map(|s| s.group.clone());
        async move {
            match name {
                Some(n) => member.log_group(&n).await,
                None => Ok(None),
            }
        }
    };
    let role = |s: Option<&LogsSetup>| {
        let names = s.map(|s| (s.role.name.clone(), s.role.policy_name.clone()));
        async move {
            match names {
                Some((r, p)) => member.role(&r, &p).await,
                None => Ok(None),
            }
        }
    };
    let flow_group = flow.as_ref().map(|s| s.group.clone());
    let regions = async {
        if flows {
            let group = flow_group
                .as_deref()
                .map(|g| (g, cfg.central.region.as_str()));
            read_regions(member, group, limit).await
        } else {
            Ok(RegionsRead::default())
        }
    };
    // trailhub's boundary policy, when either role is to have it (both name the same policy)
    let boundary = [&trail, &flow]
        .into_iter()
        .flatten()
        .find(|s| s.boundary_document.is_some())
        .map(|s| s.boundary_arn.clone());
    let boundary_policy = async {
        match &boundary {
            Some(arn) => member.managed_policy(arn).await,
            None => Ok(None),
        }
    };
    let (tg, tr, fg, fr, regions, bp) = tokio::join!(
        group(trail.as_ref()),
        role(trail.as_ref()),
        group(flow.as_ref()),
        role(flow.as_ref()),
        regions,
        boundary_policy
    );
    let regions = regions?;
    Ok(DeliveryState {
        trail_group: tg?,
        trail_role: tr?,
        vpcs: regions.vpcs,
        flow_logs: regions.flow_logs,
        regions: regions.seen,
        flow_groups: regions.groups,
        flow_group: fg?,
        flow_role: fr?,
        boundary_policy: bp?,
        alarms: Default::default(),
    })
}

/// The status and event selectors of the account's other trails, all at once. A trail that cannot be read
/// is left out: it neither covers the account nor counts as a copy of its management events.
async fn read_others<'t, M: Member>(
    member: &M,
    region: &str,
    account: &str,
    trails: impl Iterator<Item = &'t ObservedTrail>,
) -> Vec<OtherTrail> {
    let reads = trails.map(|t| async move {
        match read_trail(member, region, account, t).await {
            (Ok(s), Ok(selectors)) => Some(OtherTrail {
                trail: t.clone(),
                status: s,
                selectors,
            }),
            (Err(e), _) | (_, Err(e)) => {
                tracing::debug!(trail = %t.arn, "left out of the coverage check: {e}");
                None
            }
        }
    });
    futures::future::join_all(reads)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// A trail's status and event selectors as `account` reads them, in one wave, naming the trail as
/// [`read_name`] says.
pub async fn read_trail<M: Member>(
    member: &M,
    region: &str,
    account: &str,
    t: &ObservedTrail,
) -> (
    Result<TrailStatus, AwsError>,
    Result<EventSelectors, AwsError>,
) {
    let id = read_name(t, account, region);
    tokio::join!(member.trail_status(id), member.event_selectors(id))
}

/// How `account` names a trail to GetTrailStatus and GetEventSelectors: by name only when it is the
/// account's own trail, not an organization trail, homed in `region` (the central region, where the
/// account's clients are); else by ARN. AWS answers a member's read of the management account's
/// organization trail only by its ARN (CT-16); moto answers both reads by ARN as by name.
pub fn read_name<'t>(t: &'t ObservedTrail, account: &str, region: &str) -> &'t str {
    let home = t.home_region.as_deref().is_none_or(|r| r == region);
    if home && t.owned_by(account) && !t.organization_trail {
        &t.name
    } else {
        &t.arn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::fake_trail;

    #[test]
    fn a_trail_is_read_by_name_only_when_it_is_the_accounts_own_in_the_region() {
        let region: crate::model::Region = "ap-northeast-2".parse().unwrap();
        let own = fake_trail(&region, "200000000000", "Own", "b");
        assert_eq!(read_name(&own, "200000000000", "ap-northeast-2"), "Own");
        // homed elsewhere: a shadow trail, by ARN
        assert_eq!(read_name(&own, "200000000000", "us-east-1"), own.arn);
        // another account's trail, and an organization trail even of the account itself (CT-16)
        assert_eq!(read_name(&own, "300000000000", "ap-northeast-2"), own.arn);
        let mut org = own.clone();
        org.organization_trail = true;
        assert_eq!(read_name(&org, "200000000000", "ap-northeast-2"), org.arn);
    }
}

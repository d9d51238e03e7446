//! Which accounts are in scope and what each holds now (async I/O over the `aws` traits): the central
//! account's own trail, then the members from accounts.toml or from AWS Organizations; then each account
//! reached and its trails read.

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};

use crate::aws::{AwsError, Central, Member, OrgAccount, emulator};
use crate::aws::{ObservedTrail, TrailStatus};
use crate::config::{Config, ScopedAccount, Source};
use crate::interrupt::Interrupt;
use crate::model::AccountId;
use crate::plan::cloudwatch::{self, LogsSetup};
use crate::plan::coverage::OtherTrail;
use crate::plan::policy::Org;
use crate::plan::{AccountFailure, AccountState, DeliveryState};
use crate::progress::Progress;

/// An Organizations account that is in scope but cannot be worked on (its name gives no valid trail name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub id: String,
    pub name: String,
    pub reason: String,
    /// Its OU path, when the organization was walked by OU.
    pub ou: Option<String>,
}

/// What a run covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Central first (when it has a trail), then members sorted by account ID.
    pub targets: Vec<ScopedAccount>,
    /// Organizations accounts in scope that cannot be worked on.
    pub rejected: Vec<Rejected>,
    /// The organization, with `source = "organizations"`.
    pub org: Option<Org>,
}

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

/// Every account in scope: from accounts.toml, or from AWS Organizations (every page of ListAccounts, with
/// DescribeOrganization alongside for the organization's ID).
pub async fn scope<C: Central>(central: &C, cfg: &Config) -> Result<Scope, AwsError> {
    scope_streaming(central, cfg, |_| {}).await
}

/// An Organizations account: in scope (a target), left out (None), or in scope but unworkable. `ou`: its
/// OU path, when the organization is walked by OU.
fn classify(
    cfg: &Config,
    a: &OrgAccount,
    ou: Option<&str>,
) -> Option<Result<ScopedAccount, Rejected>> {
    if !a.active || a.id == cfg.central.account_id.as_str() {
        return None;
    }
    let target = a.id.parse::<AccountId>().and_then(|id| {
        if cfg.members.exclude.contains(&id) {
            Ok(None)
        } else {
            cfg.org_target(id, a.name.clone()).map(Some)
        }
    });
    match target {
        Ok(t) => t.map(|t| {
            Ok(ScopedAccount {
                ou: ou.map(str::to_owned),
                ..t
            })
        }),
        Err(reason) => Some(Err(Rejected {
            id: a.id.clone(),
            name: a.name.clone(),
            reason,
            ou: ou.map(str::to_owned),
        })),
    }
}

/// Lists the scope, handing each target to `found` as soon as its page arrives (so that work on the first
/// accounts overlaps the listing of the next pages). Targets come back central first, then by account ID.
async fn scope_streaming<C: Central>(
    central: &C,
    cfg: &Config,
    mut found: impl FnMut(&ScopedAccount),
) -> Result<Scope, AwsError> {
    let mut targets: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
    if cfg.members.source == Source::Static {
        targets.extend(cfg.static_targets());
        targets.iter().for_each(&mut found);
        return Ok(Scope {
            targets,
            rejected: vec![],
            org: None,
        });
    }
    targets.iter().for_each(&mut found);
    if cfg.members.walks_ous() {
        return scope_by_ou(central, cfg, targets, found).await;
    }
    let list = async {
        let mut members = BTreeSet::new();
        let mut rejected = Vec::new();
        let mut token = None;
        loop {
            let page = central.list_org_accounts_page(token).await?;
            for a in &page.accounts {
                members.insert(a.id.clone());
                match classify(cfg, a, None) {
                    Some(Ok(t)) => {
                        found(&t);
                        targets.push(t);
                    }
                    Some(Err(r)) => rejected.push(r),
                    None => {}
                }
            }
            token = page.next;
            if token.is_none() {
                return Ok::<_, AwsError>((members, rejected));
            }
        }
    };
    let (listed, org_id) = tokio::join!(list, central.organization_id());
    let (members, rejected) = listed?;
    Ok(scope_of(targets, rejected, org_id?, members))
}

/// The scope, its targets in report order, with the organization of `org_id` listing `members`.
fn scope_of(
    mut targets: Vec<ScopedAccount>,
    rejected: Vec<Rejected>,
    org_id: Option<String>,
    members: BTreeSet<String>,
) -> Scope {
    targets.sort_by(|a, b| a.report_order().cmp(&b.report_order()));
    Scope {
        targets,
        rejected,
        org: org_id.map(|id| Org { id, members }),
    }
}

/// The scope from a walk of the organization by OU: the accounts below `organizational_units` (all, when
/// only exclusions are given) and below none of `exclude_organizational_units`, each with its OU path. An
/// OU named in the config that the walk did not find is an error: a typo would otherwise leave accounts out.
async fn scope_by_ou<C: Central>(
    central: &C,
    cfg: &Config,
    mut targets: Vec<ScopedAccount>,
    mut found: impl FnMut(&ScopedAccount),
) -> Result<Scope, AwsError> {
    let m = &cfg.members;
    let mut members = BTreeSet::new();
    let mut rejected = Vec::new();
    let walk = crate::org_tree::walk(central, m.concurrency, |p| {
        members.insert(p.account.id.clone());
        let wanted = m.ous.is_empty() || p.ancestors.iter().any(|a| m.ous.contains(a));
        let excluded = p.ancestors.iter().any(|a| m.exclude_ous.contains(a));
        if !wanted || excluded {
            return;
        }
        match classify(cfg, &p.account, Some(&p.path)) {
            Some(Ok(t)) => {
                found(&t);
                targets.push(t);
            }
            Some(Err(r)) => rejected.push(r),
            None => {}
        }
    });
    let (seen, org_id) = tokio::join!(walk, central.organization_id());
    let seen = seen?;
    if let Some(missing) = m
        .ous
        .iter()
        .chain(&m.exclude_ous)
        .find(|o| !seen.contains(o))
    {
        return Err(AwsError::new(
            "ListOrganizationalUnitsForParent",
            "OrganizationalUnitNotFound",
            format!(
                "{missing} (in organizational_units or exclude_organizational_units) is not a root or OU of this organization; check the ID in the AWS Organizations console"
            ),
        ));
    }
    Ok(scope_of(targets, rejected, org_id?, members))
}

/// The scope and every target observed, the observation of the first accounts overlapping the listing of
/// later ListAccounts pages. At most `concurrency` accounts are observed at once; `progress` hears of each
/// account found and of each observed.
pub async fn scope_and_observe<C: Central>(
    central: &C,
    cfg: &Config,
    concurrency: usize,
    interrupt: &Interrupt,
    progress: &dyn Progress,
) -> Result<(Scope, Vec<Observation<C::Member>>), AwsError> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<ScopedAccount>();
    let listing = async move {
        let r = scope_streaming(central, cfg, |t| {
            let _ = tx.send(t.clone());
            progress.found(1);
        })
        .await;
        drop(tx);
        r
    };
    let observing = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|t| (t, rx)) })
        .map(|t| async move {
            if interrupt.is_set() {
                // Ctrl-C: no new account is started, observation included
                return failed(t, AccountFailure::Interrupted, None);
            }
            let observed = observe_one(central, cfg, t).await;
            progress.account_done(matches!(observed.state, AccountState::Failed(_)));
            observed
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>();
    let (scoped, mut observations) = tokio::join!(listing, observing);
    let scope = scoped?;
    observations.sort_by(|a, b| a.target.report_order().cmp(&b.target.report_order()));
    Ok((scope, observations))
}

/// Reaches every target, at most `concurrency` at once, and reads its trails (and the status of
/// trailhub's trail, when there is one). One account's failure is that account's state.
pub async fn observe<C: Central>(
    central: &C,
    cfg: &Config,
    targets: &[ScopedAccount],
    concurrency: usize,
) -> Vec<Observation<C::Member>> {
    stream::iter(targets.iter().cloned())
        .map(|t| observe_one(central, cfg, t))
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// An account that could not be observed: that account's state, logged.
fn failed<M>(
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
async fn observe_one<C: Central>(
    central: &C,
    cfg: &Config,
    target: ScopedAccount,
) -> Observation<C::Member> {
    let member = match central.member(&target).await {
        Ok(m) => m,
        Err(e) => return failed(target, e, None),
    };
    // the account's trails, and what [cloudwatch] and [flow_logs] need of it, in one wave
    let (trails, delivery) = match tokio::join!(
        member.describe_trails(),
        read_delivery(&member, cfg, &target)
    ) {
        (Ok(t), Ok(d)) => (t, d),
        (Err(e), _) | (_, Err(e)) => return failed(target, e, Some(member)),
    };
    let region = cfg.central.region.as_str();
    let mine = emulator::own_trail(&trails, target.trail_name.as_str(), region).cloned();
    if mine.is_none()
        && let Some(t) = trails.iter().find(|t| t.name == target.trail_name.as_str())
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
            read_others(&member, region, trails.iter()).await,
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
/// for each setup, DescribeVpcs and DescribeFlowLogs).
async fn read_delivery<M: Member>(
    member: &M,
    cfg: &Config,
    target: &ScopedAccount,
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
    let vpcs = async {
        if flows {
            member.vpcs().await
        } else {
            Ok(vec![])
        }
    };
    let flow_logs = async {
        if flows {
            member.flow_logs().await
        } else {
            Ok(vec![])
        }
    };
    let (tg, tr, fg, fr, vpcs, flow_logs) = tokio::join!(
        group(trail.as_ref()),
        role(trail.as_ref()),
        group(flow.as_ref()),
        role(flow.as_ref()),
        vpcs,
        flow_logs
    );
    Ok(DeliveryState {
        trail_group: tg?,
        trail_role: tr?,
        vpcs: vpcs?,
        flow_logs: flow_logs?,
        flow_group: fg?,
        flow_role: fr?,
    })
}

/// The status and event selectors of the account's other trails (by name when homed in `region`, else by
/// ARN), all at once. A trail that cannot be read is left out: it neither covers the account nor counts as
/// a copy of its management events.
async fn read_others<'t, M: Member>(
    member: &M,
    region: &str,
    trails: impl Iterator<Item = &'t ObservedTrail>,
) -> Vec<OtherTrail> {
    let reads = trails.map(|t| async move {
        let home = t.home_region.as_deref().is_none_or(|r| r == region);
        let id = if home { &t.name } else { &t.arn };
        match tokio::join!(member.trail_status(id), member.event_selectors(id)) {
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::fake::FakeAws;

    #[tokio::test(start_paused = true)]
    async fn observation_overlaps_the_listing_of_the_organization() {
        // 400 accounts: 20 ListAccounts pages at 50 ms = 1 s serial; observing them 16 at a time, 2 calls
        // each, is 25 rounds * 100 ms = 2.5 s. One after the other: 3.5 s; overlapped: about 2.6 s.
        let aws = FakeAws::new("111111111111", "ap-northeast-2", Duration::from_millis(50));
        {
            let mut w = aws.world();
            w.org_id = Some("o-abcdef1234".into());
            w.org_accounts = (0..400)
                .map(|i| OrgAccount {
                    id: format!("{:012}", 300000000000u64 + i),
                    name: format!("A{i}"),
                    active: true,
                })
                .collect();
        }
        let text = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\n";
        let cfg = Config::parse(Path::new("t.toml"), text).unwrap();
        let start = Instant::now();
        let silent = crate::progress::Silent;
        let (scope, obs) = scope_and_observe(&aws, &cfg, 16, &Interrupt::default(), &silent)
            .await
            .unwrap();
        let took = start.elapsed();
        assert_eq!(scope.targets.len(), 400);
        assert_eq!(obs.len(), 400);
        assert!(
            obs.iter()
                .zip(&scope.targets)
                .all(|(o, t)| o.target.id == t.id),
            "same order"
        );
        assert_eq!(scope.org.as_ref().map(|o| o.members.len()), Some(400));
        assert!(
            took < Duration::from_millis(2900),
            "took {took:?}: listing and observing did not overlap"
        );
    }
}

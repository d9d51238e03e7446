//! Which accounts are in scope (async, over the `aws` traits): the central account's own trail, then the
//! members from accounts.toml or from AWS Organizations; and what each account holds now.

use futures::stream::{self, StreamExt};

use crate::aws::{AwsError, Central, Member};
use crate::config::{Config, Source, Target};
use crate::model::AccountId;
use crate::plan::AccountState;
use crate::plan::policy::Org;
use crate::plan::trails::{ObservedTrail, TrailStatus};

/// An Organizations account that is in scope but cannot be worked on (its name gives no valid trail name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub id: String,
    pub name: String,
    pub reason: String,
}

/// What a run covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Central first (when it has a trail), then members sorted by account ID.
    pub targets: Vec<Target>,
    /// Organizations accounts in scope that cannot be worked on.
    pub rejected: Vec<Rejected>,
    /// The organization, with `source = "organizations"`.
    pub org: Option<Org>,
}

/// The targets, central first (when it has a trail), then members sorted by account ID.
pub async fn targets<C: Central>(
    central: &C,
    cfg: &Config,
) -> Result<(Vec<Target>, Vec<Rejected>), AwsError> {
    let s = scope(central, cfg).await?;
    Ok((s.targets, s.rejected))
}

/// Every account in scope: from accounts.toml, or from AWS Organizations (every page of ListAccounts, with
/// DescribeOrganization alongside for the organization's ID).
pub async fn scope<C: Central>(central: &C, cfg: &Config) -> Result<Scope, AwsError> {
    let mut targets: Vec<Target> = cfg.central_target().into_iter().collect();
    if cfg.members.source == Source::Static {
        targets.extend(cfg.static_targets());
        return Ok(Scope {
            targets,
            rejected: vec![],
            org: None,
        });
    }
    let (accounts, org_id) = tokio::join!(central.list_org_accounts(), central.organization_id());
    let accounts = accounts?;
    let org = org_id?.map(|id| Org {
        id,
        members: accounts.iter().map(|a| a.id.clone()).collect(),
    });
    let mut rejected = Vec::new();
    let mut members = Vec::new();
    for a in accounts {
        if !a.active || a.id == cfg.central.account_id.as_str() {
            continue;
        }
        let target = a.id.parse::<AccountId>().and_then(|id| {
            if cfg.members.exclude.contains(&id) {
                Ok(None)
            } else {
                cfg.org_target(id, a.name.clone()).map(Some)
            }
        });
        match target {
            Ok(Some(t)) => members.push(t),
            Ok(None) => {}
            Err(reason) => rejected.push(Rejected {
                id: a.id,
                name: a.name,
                reason,
            }),
        }
    }
    members.sort_by(|a, b| a.id.cmp(&b.id));
    targets.extend(members);
    Ok(Scope {
        targets,
        rejected,
        org,
    })
}

/// One account as observed: its client (kept for the apply, so a role is assumed once per run), the
/// planner's view of it, and every trail it showed.
pub struct Observation<M> {
    pub target: Target,
    pub member: Option<M>,
    pub state: AccountState,
    pub trails: Vec<ObservedTrail>,
    pub status: Option<TrailStatus>,
}

/// Reaches every target, at most `concurrency` at once, and reads its trails (and the status of
/// trailhub's trail, when there is one). One account's failure is that account's state.
pub async fn observe<C: Central>(
    central: &C,
    cfg: &Config,
    targets: &[Target],
    concurrency: usize,
) -> Vec<Observation<C::Member>> {
    let region = cfg.central.region.as_str();
    let mut out: Vec<(usize, Observation<C::Member>)> = stream::iter(targets.iter().cloned().enumerate())
        .map(|(i, target)| async move {
            let failed = |target: Target, e: AwsError, member| {
                tracing::warn!(account = %target.id, operation = e.operation, code = %e.code, "{}", e.message);
                Observation {
                    target,
                    member,
                    state: AccountState::Failed {
                        operation: e.operation.to_owned(),
                        code: e.code.clone(),
                        message: e.message.clone(),
                    },
                    trails: vec![],
                    status: None,
                }
            };
            let member = match central.member(&target).await {
                Ok(m) => m,
                Err(e) => return (i, failed(target, e, None)),
            };
            let trails = match member.describe_trails().await {
                Ok(t) => t,
                Err(e) => return (i, failed(target, e, Some(member))),
            };
            // moto ignores DescribeTrails' name list, and a multi-region trail shows in every region:
            // trailhub's trail is the one of its name whose home region is the central region.
            let mine = trails
                .iter()
                .find(|t| t.name == target.trail_name.as_str() && t.home_region.as_deref().is_none_or(|r| r == region))
                .cloned();
            let status = match &mine {
                Some(t) => match member.trail_status(&t.name).await {
                    Ok(s) => Some(s),
                    Err(e) => return (i, failed(target, e, Some(member))),
                },
                None => None,
            };
            let is_logging = status.as_ref().is_some_and(|s| s.is_logging);
            let state = AccountState::Observed { trail: mine, is_logging };
            (i, Observation { target, member: Some(member), state, trails, status })
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, o)| o).collect()
}

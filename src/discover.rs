//! Which accounts are in scope (async, over the `aws` traits): the central account's own trail, then the
//! members from accounts.toml or from AWS Organizations; and what each account holds now.

use futures::stream::{self, StreamExt};

use crate::aws::{AwsError, Central, Member};
use crate::config::{Config, Source, Target};
use crate::model::AccountId;
use crate::plan::AccountState;
use crate::plan::trails::{ObservedTrail, TrailStatus};

/// An Organizations account that is in scope but cannot be worked on (its name gives no valid trail name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub id: String,
    pub name: String,
    pub reason: String,
}

/// The targets, central first (when it has a trail), then members sorted by account ID.
pub async fn targets<C: Central>(
    central: &C,
    cfg: &Config,
) -> Result<(Vec<Target>, Vec<Rejected>), AwsError> {
    let mut out: Vec<Target> = cfg.central_target().into_iter().collect();
    let mut rejected = Vec::new();
    match cfg.members.source {
        Source::Static => out.extend(cfg.static_targets()),
        Source::Organizations => {
            let mut members = Vec::new();
            for a in central.list_org_accounts().await? {
                if !a.active || a.id == cfg.central.account_id.as_str() {
                    continue;
                }
                let id: AccountId = match a.id.parse() {
                    Ok(id) => id,
                    Err(reason) => {
                        rejected.push(Rejected {
                            id: a.id,
                            name: a.name,
                            reason,
                        });
                        continue;
                    }
                };
                if cfg.members.exclude.contains(&id) {
                    continue;
                }
                match cfg.org_target(id, a.name.clone()) {
                    Ok(t) => members.push(t),
                    Err(reason) => rejected.push(Rejected {
                        id: a.id,
                        name: a.name,
                        reason,
                    }),
                }
            }
            members.sort_by(|a, b| a.id.cmp(&b.id));
            out.extend(members);
        }
    }
    Ok((out, rejected))
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
                    state: AccountState::Failed { code: e.code.clone(), message: format!("{}: {}", e.operation, e.message) },
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

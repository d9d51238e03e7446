//! What the organizations decide about writes to the central bucket (async I/O over the `aws` traits, read
//! only): the resource control policies in force on the central account, and each account's own
//! organization when a policy in force tests one.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use futures::stream::{self, StreamExt};

use super::Observation;
use crate::aws::{AwsError, Central, Member, Membership};
use crate::config::Config;
use crate::model::AccountId;
use crate::plan::membership::org_path;
use crate::plan::policy::Org;
use crate::plan::rcp::{Rcp, RcpLevel, RcpState};
use crate::plan::{AccountFailure, AccountState};

/// The RCPs in force on the central account (ORG-7, ORG-8): none when it is in no organization
/// (DescribeOrganization first: an emulator answers ListParents there with another error than AWS's
/// AWSOrganizationsNotInUseException), or is the management account, whose resources RCPs do not
/// affect. Any refusal (the caller is neither the management account nor a
/// delegated administrator for Organizations policies, say) is said once in the plan, never a failure.
pub async fn read_rcps<C: Central>(central: &C, cfg: &Config) -> RcpState {
    let account = cfg.central.account_id.as_str();
    let levels = match central.organization().await {
        Ok(None) => return RcpState::NoOrganization,
        Ok(Some(org)) if org.management_account == account => return RcpState::ManagementAccount,
        Ok(Some(_)) => rcp_levels(central, account).await,
        Err(e) => Err(e),
    };
    match levels {
        Ok(levels) => RcpState::Read { levels },
        Err(e) if e.code == "AWSOrganizationsNotInUseException" => RcpState::NoOrganization,
        Err(e) => {
            tracing::info!(code = %e.code, "cannot read the resource control policies: {e}");
            RcpState::Unreadable {
                reason: e.to_string(),
            }
        }
    }
}

/// The levels from `account` up to its root, each with its RCPs: ListParents up the tree, then
/// ListPoliciesForTarget for every level at once, then DescribePolicy for each RCP once.
async fn rcp_levels<C: Central>(central: &C, account: &str) -> Result<Vec<RcpLevel>, AwsError> {
    let mut targets = vec![account.to_owned()];
    // below the root an OU tree is at most five levels deep (Organizations quotas)
    while targets.len() < 8 {
        let Some(last) = targets.last().filter(|t| !t.starts_with("r-")) else {
            break;
        };
        let parent = central.parent_of(last).await?;
        targets.push(parent);
    }
    let attached = try_join_all(targets.iter().map(|t| central.rcps_attached(t))).await?;
    let ids: BTreeSet<&str> = attached
        .iter()
        .flatten()
        .map(|(id, _)| id.as_str())
        .collect();
    let described = try_join_all(ids.iter().map(|id| central.describe_policy(id))).await?;
    let by_id: BTreeMap<&str, Rcp> = ids
        .iter()
        .zip(&described)
        .map(|(id, p)| (*id, Rcp::from(p)))
        .collect();
    Ok(targets
        .into_iter()
        .zip(&attached)
        .map(|(target, list)| RcpLevel {
            target,
            policies: list
                .iter()
                .filter_map(|(id, _)| by_id.get(id.as_str()).cloned())
                .collect(),
        })
        .collect())
}

/// Each account's organization. With `source = "organizations"` every target is in the run's organization
/// (its path from the OU walk, when the walk placed it). With `source = "static"`, only when `in_force` (a
/// policy in force tests an organization key): DescribeOrganization with each account's own role, at most
/// `concurrency` at once (ORG-6). An account whose organization cannot be learned is that account's
/// failure: judging it on a guess could let a trail be made whose writes AWS refuses.
pub async fn memberships<M: Member>(
    (org, placed): (Option<&Org>, &BTreeMap<String, Vec<String>>),
    observations: &mut [Observation<M>],
    in_force: bool,
    concurrency: usize,
) -> BTreeMap<AccountId, Membership> {
    if let Some(org) = org {
        return observations
            .iter()
            .map(|o| {
                let path = placed
                    .get(o.target.id.as_str())
                    .map(|a| org_path(&org.id, a));
                let id = org.id.clone();
                (o.target.id.clone(), Membership::In { id, path })
            })
            .collect();
    }
    if !in_force {
        return BTreeMap::new();
    }
    let learned: Vec<(usize, Result<Option<String>, AwsError>)> =
        stream::iter(observations.iter().enumerate())
            .filter_map(|(i, o)| async move { o.member.as_ref().map(|m| (i, m)) })
            .map(|(i, m)| async move { (i, m.organization_id().await) })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut out = BTreeMap::new();
    for (i, result) in learned {
        let o = &mut observations[i];
        match result {
            Ok(id) => {
                let m = id.map_or(Membership::Outside, |id| Membership::In { id, path: None });
                out.insert(o.target.id.clone(), m);
            }
            Err(e) => {
                let e = e.in_account(&o.target.id);
                tracing::warn!(account = %o.target.id, "cannot learn the account's organization: {e}");
                o.state = AccountState::Failed(AccountFailure::Aws(e));
            }
        }
    }
    out
}

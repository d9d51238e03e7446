//! `offboard ACCOUNT_ID`'s writes (async, over the `aws` traits), in the order that never leaves a writer
//! without its permission: the trail first, then the account's flow logs to the bucket, then its entries in
//! the bucket policy and the key policy through their one writers (backed up, read back). Stops at the
//! first failure, so a permission is never removed while what uses it is still there.

use std::path::Path;

use serde::Serialize;

use super::key_write::merge_into;
use super::{ApplyError, KeyOutcome, PolicyOutcome, write_policy};
use crate::aws::{Central, ErrorKind, KeyInfo, Member, Network};
use crate::config::Config;
use crate::plan::offboard::{OffboardPlan, key_input};
use crate::plan::policy::Org;
use crate::plan::prune::Prune;

/// What offboard did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OffboardDone {
    pub trail_deleted: Option<String>,
    pub flow_logs_deleted: Vec<String>,
    /// The bucket policy's write (None: not reached, or nothing named the account).
    pub policy: Option<PolicyOutcome>,
    pub key: Option<KeyOutcome>,
    /// The step that failed, with AWS's error and what to do; the steps after it were not made.
    pub failed: Option<String>,
}

/// Where offboard writes.
pub struct OffboardTargets<'a, M> {
    pub member: &'a M,
    pub org: Option<&'a Org>,
    /// The configured key, when it exists.
    pub key: Option<&'a KeyInfo>,
    pub backup_dir: &'a Path,
}

/// Carries out `plan`, step by step.
pub async fn offboard<C: Central>(
    central: &C,
    cfg: &Config,
    plan: &OffboardPlan,
    to: &OffboardTargets<'_, C::Member>,
) -> OffboardDone {
    let mut done = OffboardDone::default();
    if let Err(e) = steps(central, cfg, plan, to, &mut done).await {
        done.failed = Some(e.to_string());
    }
    done
}

async fn steps<C: Central>(
    central: &C,
    cfg: &Config,
    plan: &OffboardPlan,
    to: &OffboardTargets<'_, C::Member>,
    done: &mut OffboardDone,
) -> Result<(), ApplyError> {
    if let Some(name) = &plan.trail {
        match to.member.delete_trail(name).await {
            // gone since the plan (another run): what was asked
            Err(e) if e.kind != ErrorKind::NotFound => return Err(e.into()),
            _ => done.trail_deleted = Some(name.clone()),
        }
        tracing::info!(trail = %name, "deleted the trail");
    }
    let mut regions: Vec<&str> = plan.flow_logs.iter().map(|f| f.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    for region in regions {
        let ids: Vec<String> = (plan.flow_logs.iter())
            .filter(|f| f.region == region)
            .map(|f| f.id.clone())
            .collect();
        to.member.delete_flow_logs(region, &ids).await?;
        (done.flow_logs_deleted).extend(ids.iter().map(|id| format!("{id} in {region}")));
    }
    let account = &plan.account;
    if !plan.bucket_entries.is_empty() {
        let prune = Prune::Account(account.clone());
        let (outcome, _) =
            write_policy(central, cfg, &prune, &[], &[], to.org, to.backup_dir).await?;
        done.policy = Some(outcome);
    }
    if let (Some(key), false) = (to.key, plan.key_entries.is_empty()) {
        let input = key_input(cfg, account, to.org);
        done.key = Some(merge_into(central, key, &input, to.backup_dir).await?);
    }
    Ok(())
}

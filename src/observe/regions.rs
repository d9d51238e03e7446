//! An account's VPCs and flow logs in every Region it has enabled (async I/O over the `aws` traits, read
//! only): DescribeRegions once, then DescribeVpcs and DescribeFlowLogs in each enabled Region, every Region
//! at once. A Region closed by policy (an SCP that denies it, VPC-15) is a note; a Region whose read fails
//! otherwise is kept as its error, and the other Regions are still read.

use futures::future::join_all;
use tokio::sync::Semaphore;

use crate::aws::{AwsError, LogGroup, Logs, Network};
use crate::world::{ObservedFlowLog, RegionsSeen, Vpc, closed_by_policy};

/// The Regions read at once per account the run observes at once: the run's one limit on Region reads
/// in flight is `concurrency` times this (`limit` of [`read_regions`]), so that accounts with more Regions
/// (up to 38 with every opt-in one) do not multiply the calls under way, while an account's 17 default
/// Regions are read in one wave.
pub const REGIONS_AT_ONCE: usize = 17;

/// The run's limit on Region reads in flight, for `concurrency` accounts at once.
pub fn region_limit(concurrency: usize) -> Semaphore {
    Semaphore::new(concurrency.max(1) * REGIONS_AT_ONCE)
}

/// What the Regions of one account hold: every VPC and flow log read, and what became of each Region.
#[derive(Debug, Default)]
pub struct RegionsRead {
    pub vpcs: Vec<Vpc>,
    pub flow_logs: Vec<ObservedFlowLog>,
    /// With the `cloudwatch` destination, the flow logs' log group as each Region read holds it.
    pub groups: Vec<(String, Option<LogGroup>)>,
    pub seen: RegionsSeen,
}

/// DescribeRegions, then each enabled Region's VPCs and flow logs (and, with `group`, the flow logs' log
/// group there: DescribeLogGroups, but in `group`'s Region, the central one, read with the account),
/// all Regions at once within the run's `limit` (2 round trips whatever the number of Regions).
/// Fails only when DescribeRegions fails, or when every Region is refused (then it is the caller's
/// permission, not policy closing some Regions: the first refusal is the error).
pub async fn read_regions<N: Network + Logs>(
    member: &N,
    group: Option<(&str, &str)>,
    limit: &Semaphore,
) -> Result<RegionsRead, AwsError> {
    let mut enabled: Vec<String> = member
        .regions()
        .await?
        .into_iter()
        .filter(|r| r.enabled())
        .map(|r| r.name)
        .collect();
    enabled.sort();
    enabled.dedup();
    let reads = enabled.iter().map(|r| async move {
        // a closed semaphore is never made: no permit only when there is no limit to keep
        let _permit = limit.acquire().await.ok();
        let group_read = async {
            match group {
                Some((g, central)) if central != r => {
                    member.logs_in(r).log_group(g).await.map(Some)
                }
                _ => Ok(None),
            }
        };
        let (vpcs, logs, g) = tokio::join!(member.vpcs(r), member.flow_logs(r), group_read);
        (
            r.clone(),
            vpcs.and_then(|v| logs.and_then(|l| g.map(|g| (v, l, g)))),
        )
    });
    let mut out = RegionsRead::default();
    let mut refusals = Vec::new();
    for (region, read) in join_all(reads).await {
        match read {
            Ok((vpcs, logs, g)) => {
                out.vpcs.extend(vpcs);
                out.flow_logs.extend(logs);
                if let Some(g) = g {
                    out.groups.push((region, g));
                }
            }
            Err(e) if closed_by_policy(&e) => {
                tracing::info!(region = %region, code = %e.code, "Region closed by policy: {}", e.message);
                out.seen.closed.push(region);
                refusals.push(e);
            }
            Err(e) => {
                tracing::warn!(region = %region, "{e}");
                out.seen.failed.push((region, e));
            }
        }
    }
    if !enabled.is_empty() && out.seen.closed.len() == enabled.len() {
        return Err(refusals.swap_remove(0));
    }
    out.seen.enabled = enabled;
    Ok(out)
}

//! `trailhub audit` (async, over the `aws` traits, read-only): does every account's CloudTrail still reach
//! the central bucket, and, with `[cloudwatch]` and `[flow_logs]`, its log group and every VPC's flow logs
//! their destinations? Writes no result.

use anyhow::Result;
use time::OffsetDateTime;

use crate::audit::{AuditOptions, AuditReport, audit};
use crate::aws::Central;
use crate::cli::AuditArgs;
use crate::config::Config;
use crate::progress::SharedProgress;

/// The report, judged at `now`, `concurrency` accounts at once, each told to `progress`; its exit code is
/// 0 when every account is covered, 1 for a gap.
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    args: &AuditArgs,
    concurrency: usize,
    progress: SharedProgress,
    now: OffsetDateTime,
) -> Result<AuditReport> {
    let opts = AuditOptions {
        concurrency,
        max_age: args.max_age,
        progress,
    };
    Ok(audit(central, cfg, &opts, now).await?)
}

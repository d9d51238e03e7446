//! `trailhub policy` (async, over the `aws` traits): the scope and the live bucket policy, merged into the
//! policy `apply` would write. Does not reach the member accounts; writes no result.

use anyhow::Result;

use super::{discover, read_bucket};
use crate::aws::Central;
use crate::config::Config;
use crate::plan::desired_policy;
use crate::plan::policy::Merged;

/// The merged policy, with its form and size.
pub async fn run<C: Central>(central: &C, cfg: &Config) -> Result<Merged> {
    let scope = discover(central, cfg).await?;
    let (_, live) = read_bucket(central, cfg).await?;
    Ok(desired_policy(
        cfg,
        &scope.targets,
        scope.org.as_ref(),
        live.as_deref(),
    )?)
}

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

/// The base of the runbook links (`--runbooks-url`, ending in `/`): the one given; else the repository
/// Cargo.toml names (`package.repository`), at this version's tag; else none (paths relative to a
/// checkout's root).
pub fn runbooks_url(given: Option<&str>) -> String {
    let repository = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    let base = match given {
        Some(url) => url.trim().to_owned(),
        None if repository.is_empty() => String::new(),
        None => format!("{repository}/blob/v{}/", env!("CARGO_PKG_VERSION")),
    };
    match base.is_empty() || base.ends_with('/') {
        true => base,
        false => format!("{base}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runbooks_url_ends_in_a_slash() {
        assert_eq!(
            runbooks_url(Some("https://git.example.com/sec/trailhub/-/blob/main")),
            "https://git.example.com/sec/trailhub/-/blob/main/"
        );
        assert_eq!(runbooks_url(Some("https://x/")), "https://x/");
        // Cargo.toml names no repository: relative paths, as before
        assert_eq!(env!("CARGO_PKG_REPOSITORY"), "");
        assert_eq!(runbooks_url(None), "");
    }
}

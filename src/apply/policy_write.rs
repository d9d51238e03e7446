//! The write protocol of the one writer of the bucket policy (async, over the `aws` traits): read fresh,
//! merge, back up, write, read back, and merge again on top of another writer's change, a bounded number
//! of times.

use std::path::Path;

use super::backup::backup_policy;
use super::{ApplyError, PolicyOutcome};
use crate::aws::Central;
use crate::config::Config;
use crate::plan::merge_entries;
use crate::plan::policy::{Entry, Org, parse_live};

/// Writes before giving up on a policy that another writer keeps changing.
const MAX_POLICY_WRITES: usize = 5;

/// The one writer of the bucket policy. Reads the live policy fresh, merges, backs it up, writes, and reads
/// it back; when another writer changed it in between, merges on top of theirs and writes again (bounded).
/// Returns what it did and the policy in force afterwards.
pub(crate) async fn write_policy<C: Central>(
    central: &C,
    cfg: &Config,
    entries: &[Entry],
    org: Option<&Org>,
    backup_dir: &Path,
) -> Result<(PolicyOutcome, serde_json::Value), ApplyError> {
    let bucket = &cfg.central.bucket;
    let mut outcome = PolicyOutcome::default();
    let mut live = central.get_bucket_policy(bucket).await?;
    for _ in 0..MAX_POLICY_WRITES {
        let merged = merge_entries(cfg, entries, org, live.as_deref())?;
        outcome.size = merged.size;
        if !merged.changed {
            return Ok((outcome, merged.policy));
        }
        if let Some(text) = &live {
            let path = backup_policy(backup_dir, bucket.as_str(), text)?;
            tracing::info!(path = %path.display(), "backed up the bucket policy");
            outcome.backup.get_or_insert(path);
        }
        central.put_bucket_policy(bucket, &merged.text).await?;
        outcome.written = true;
        outcome.writes += 1;
        let back = central.get_bucket_policy(bucket).await?;
        let back_value = back.as_deref().map(parse_live).transpose()?;
        if back_value.as_ref() == Some(&merged.policy) {
            return Ok((outcome, merged.policy));
        }
        tracing::warn!(
            "the bucket policy changed after trailhub wrote it: merging again with the other writer's version"
        );
        live = back;
    }
    Err(ApplyError::PolicyRace {
        attempts: outcome.writes,
    })
}

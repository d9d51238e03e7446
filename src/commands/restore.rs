//! `trailhub restore-policy BACKUP.json` (async, over the `aws` traits): what changes, the question, a
//! backup of the current policy, the backup's text put back byte for byte and read back; then the trails
//! in scope that the restored policy does not let write. Ends in a [`RestoreReport`]; writes no result.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Usage, discover};
use crate::apply::backup_policy;
use crate::aws::Central;
use crate::cli::RestoreArgs;
use crate::config::Config;
use crate::model::TrailArn;
use crate::plan::delivery_verdict;
use crate::plan::document::statements;
use crate::plan::policy::{SIZE_LIMIT, parse_live};
use crate::report::{DeniedTrail, RestoreChanges, RestoreReport, RestoreRun};

/// Restores `args.backup`. Unless `args.yes`, `review` is shown the changes first and the restore goes
/// ahead only when it answers true.
pub async fn run<C: Central>(
    central: &C,
    cfg: &Config,
    args: &RestoreArgs,
    review: &mut dyn FnMut(&RestoreChanges) -> Result<bool>,
) -> Result<RestoreReport> {
    let (text, restored) = read_backup(&args.backup)?;
    let bucket = &cfg.central.bucket;
    let live = central
        .get_bucket_policy(bucket)
        .await
        .with_context(|| format!("cannot read the policy of bucket {bucket}"))?;
    let live_value = live.as_deref().and_then(|t| parse_live(t).ok());
    if live_value.as_ref() == Some(&restored) {
        return Ok(RestoreReport::NothingToDo {
            bucket: bucket.to_string(),
            backup: args.backup.clone(),
        });
    }
    let (statements_going, statements_coming_back) =
        changed_statements(live_value.as_ref(), &restored);
    let changes = RestoreChanges {
        bucket: bucket.to_string(),
        backup: args.backup.clone(),
        size: text.len(),
        statements_going,
        statements_coming_back,
    };
    if !args.yes && !review(&changes)? {
        return Ok(RestoreReport::NotApplied(changes));
    }
    let current_backed_up_to = match &live {
        Some(current) => Some(backup_policy(&args.backup_dir, bucket.as_str(), current)?),
        None => None,
    };
    put_back(central, cfg, &text, &restored)
        .await
        .with_context(|| match &current_backed_up_to {
            Some(path) => format!(
                "restoring bucket {bucket}'s policy failed after the current one was backed up to {}",
                path.display()
            ),
            None => format!("restoring bucket {bucket}'s policy failed"),
        })?;
    Ok(RestoreReport::Restored(RestoreRun {
        changes,
        current_backed_up_to,
        trails_not_allowed: not_allowed(central, cfg, &restored).await?,
    }))
}

/// The backup's text and its JSON; refused when it is not a JSON object or is over S3's limit.
fn read_backup(path: &Path) -> Result<(String, Value)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let restored = match serde_json::from_str::<Value>(&text) {
        Ok(v) if v.is_object() => v,
        Ok(_) => bail!(Usage(format!(
            "{} is not a bucket policy: not a JSON object",
            path.display()
        ))),
        Err(e) => bail!(Usage(format!(
            "{} is not a bucket policy: not JSON ({e})",
            path.display()
        ))),
    };
    if text.len() > SIZE_LIMIT {
        bail!(Usage(format!(
            "{} is {} bytes, over S3's limit of {SIZE_LIMIT}",
            path.display(),
            text.len()
        )));
    }
    Ok((text, restored))
}

/// The Sids of the statements in force that are not in the backup, and of those in the backup that are
/// not in force.
fn changed_statements(
    live: Option<&Value>,
    restored: &Value,
) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let now = live.map(statements).unwrap_or_default();
    let then = statements(restored);
    let sid = |s: &&serde_json::Map<String, Value>| {
        s.get("Sid").and_then(Value::as_str).map(str::to_owned)
    };
    let going = now.iter().filter(|s| !then.contains(s)).map(sid).collect();
    let coming = then.iter().filter(|s| !now.contains(s)).map(sid).collect();
    (going, coming)
}

/// Writes the backup's text as it is and reads it back.
async fn put_back<C: Central>(
    central: &C,
    cfg: &Config,
    text: &str,
    restored: &Value,
) -> Result<()> {
    let bucket = &cfg.central.bucket;
    central.put_bucket_policy(bucket, text).await?;
    let back = central.get_bucket_policy(bucket).await?;
    if back.as_deref().and_then(|t| parse_live(t).ok()).as_ref() != Some(restored) {
        bail!(
            "the policy read back is not the one written: another writer changed it; run restore-policy again (runbooks/troubleshooting.md#policy-changed-during-apply)"
        );
    }
    Ok(())
}

/// The trails in scope that `restored` does not let write.
async fn not_allowed<C: Central>(
    central: &C,
    cfg: &Config,
    restored: &Value,
) -> Result<Vec<DeniedTrail>> {
    let scope = discover(central, cfg).await?;
    Ok(scope
        .targets
        .iter()
        .filter_map(|t| {
            let arn = TrailArn::new(&cfg.central.region, &t.id, &t.trail_name);
            let verdict = delivery_verdict(cfg, restored, scope.org.as_ref(), &t.id, &arn);
            (!verdict.allowed()).then(|| DeniedTrail {
                id: t.id.to_string(),
                name: t.name.clone(),
                trail_arn: arn.to_string(),
            })
        })
        .collect())
}

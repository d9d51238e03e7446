//! The bucket owner's trap (async, over the `aws` traits): when the account that owns the central bucket
//! makes a flow log to it, AWS may attach its own policy to the bucket, and the VPC documentation says
//! that policy "overwrites any existing policy". Right after the central account's flow logs to the bucket
//! are made, the policy is read back and, when a statement trailhub wrote is gone, what trailhub wrote is
//! put back (with whatever AWS added beside it), after a backup of what was there.
//!
//! A stand-in with the signature of `policy_write::restore_after_owner_flow_logs`, which the policy
//! writer's branch brings; this one goes when that one is merged.

use std::path::Path;

use serde_json::{Map, Value};

use super::ApplyError;
use super::backup::backup_policy;
use crate::aws::Central;
use crate::config::Config;
use crate::plan::document::statements;
use crate::plan::policy::parse_live;

/// Reads the bucket policy; when a statement of `wrote` (the policy this run wrote, or found in force) is
/// missing, backs up the live policy, writes `wrote` with the live statements it lacks (AWS's own) after
/// its own, and reads it back. Returns the Sids of the statements restored (`(no Sid)` for one without),
/// None when nothing was lost.
pub(crate) async fn restore_after_owner_flow_logs<C: Central>(
    central: &C,
    cfg: &Config,
    wrote: &Value,
    backup_dir: &Path,
) -> Result<Option<Vec<String>>, ApplyError> {
    let bucket = &cfg.central.bucket;
    let live = central.get_bucket_policy(bucket).await?;
    let live_value = live.as_deref().map(parse_live).transpose()?;
    let live_statements = live_value.as_ref().map(statements).unwrap_or_default();
    let missing: Vec<&Map<String, Value>> = statements(wrote)
        .into_iter()
        .filter(|s| !live_statements.contains(s))
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    tracing::warn!(
        bucket = %bucket,
        "the bucket policy lost {} of trailhub's statements when the bucket's own account made a flow log to it; restoring them",
        missing.len()
    );
    if let Some(text) = &live {
        let path = backup_policy(backup_dir, bucket.as_str(), text)?;
        tracing::info!(path = %path.display(), "backed up the bucket policy AWS wrote");
    }
    let restored = with_extra(wrote, &live_statements);
    central
        .put_bucket_policy(bucket, &restored.to_string())
        .await?;
    let back = central.get_bucket_policy(bucket).await?;
    let back = back.as_deref().map(parse_live).transpose()?;
    let back_statements = back.as_ref().map(statements).unwrap_or_default();
    if let Some(lost) = statements(&restored)
        .into_iter()
        .find(|s| !back_statements.contains(s))
    {
        let sid = sid(lost);
        return Err(ApplyError::Aws(crate::aws::AwsError::new(
            "PutBucketPolicy",
            "PolicyNotRestored",
            format!("statement {sid} is still missing after the policy was written back"),
        )));
    }
    Ok(Some(missing.into_iter().map(sid).collect()))
}

/// `wrote`, with the statements of `live` it does not have after its own; one whose Sid is already taken
/// is left out (a policy's Sids must be unique: AWS's `AWSLogDeliveryWrite` may meet a team's statement of
/// that name).
fn with_extra(wrote: &Value, live: &[&Map<String, Value>]) -> Value {
    let ours = statements(wrote);
    let mut all: Vec<Value> = ours.iter().map(|s| Value::Object((*s).clone())).collect();
    let taken = |s: &Map<String, Value>, all: &[Value]| {
        s.get("Sid")
            .is_some_and(|sid| all.iter().any(|x| x.get("Sid") == Some(sid)))
    };
    for s in live {
        if !ours.contains(s) && !taken(s, &all) {
            all.push(Value::Object((*s).clone()));
        }
    }
    let mut out = wrote.clone();
    out["Statement"] = Value::Array(all);
    out
}

fn sid(s: &Map<String, Value>) -> String {
    s.get("Sid")
        .and_then(Value::as_str)
        .unwrap_or("(no Sid)")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn what_was_written_comes_first_and_no_sid_is_taken_twice() {
        let wrote = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow"}, {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow"}]});
        let live = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "AWSLogDeliveryWrite", "Effect": "Deny"}, {"Sid": "AWSLogDeliveryAclCheck"}, {"Sid": "A", "Effect": "Allow"}]});
        let out = with_extra(&wrote, &statements(&live));
        let sids: Vec<&str> = statements(&out)
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(sids, ["A", "AWSLogDeliveryWrite", "AWSLogDeliveryAclCheck"]);
        assert_eq!(statements(&out)[1]["Effect"], "Allow", "ours kept");
    }
}

//! The one writer of the KMS key policy (async, over the `aws` traits): the key made when asked (born with
//! its policy, yearly rotation on, then its alias), or its live policy merged, backed up, written, read back
//! and merged again if another writer got in between, as the bucket policy is. Before any trail is pointed
//! at the key.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ApplyError;
use super::backup::backup_policy;
use crate::aws::{Central, KeyInfo};
use crate::config::Config;
use crate::plan::Plan;
use crate::plan::key_policy::{KeyForm, KeyInput, KeyMerged, merge_key_policy};
use crate::plan::kms::KeyPlan;

/// Writes before giving up when another writer keeps changing the key policy.
const MAX_KEY_WRITES: usize = 3;

/// What was done to the key, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyOutcome {
    pub arn: String,
    /// This run made the key (and its alias).
    pub created: bool,
    /// The key policy was written.
    pub written: bool,
    pub writes: usize,
    /// Where the key policy that was replaced was saved.
    pub backup: Option<PathBuf>,
    pub size: usize,
    pub form: KeyForm,
    /// The key policy in force after the write (as read back), for the proofs before each trail.
    #[serde(skip)]
    pub in_force: serde_json::Value,
}

/// Makes the key or merges its policy, as planned; None without `kms_key` or when the key is blocked (the
/// plan says why, and its trails are blocked with it).
pub(crate) async fn write_key<C: Central>(
    central: &C,
    cfg: &Config,
    plan: &Plan,
    backup_dir: &Path,
) -> Result<Option<KeyOutcome>, ApplyError> {
    let scope = crate::plan::in_scope(cfg, &plan.entries, &plan.flow_log_accounts);
    let input = KeyInput {
        partition: cfg.central.region.partition(),
        central: &cfg.central.account_id,
        bucket: &cfg.central.bucket,
        trails: &plan.key_trails,
        flow_log_accounts: &plan.flow_log_accounts,
        org_id: plan.org_id.as_deref(),
        prune: plan.prune.resolve(&scope),
    };
    match &plan.key {
        None | Some(KeyPlan::Blocked { .. }) => Ok(None),
        Some(KeyPlan::Use { key, .. }) => {
            merge_into(central, key, &input, backup_dir).await.map(Some)
        }
        Some(KeyPlan::Create { alias, policy, .. }) => {
            // another run may have made it since the plan was read
            if let Some(key) = central.describe_key(alias).await? {
                return merge_into(central, &key, &input, backup_dir)
                    .await
                    .map(Some);
            }
            create(central, alias, policy).await.map(Some)
        }
    }
}

async fn create<C: Central>(
    central: &C,
    alias: &str,
    policy: &KeyMerged,
) -> Result<KeyOutcome, ApplyError> {
    let description = format!("CloudTrail log files, by trailhub ({alias})");
    let key = central.create_key(&policy.text, &description).await?;
    tracing::info!(key = %key.arn, "created the KMS key");
    central.enable_rotation(&key.id).await?;
    central.create_alias(alias, &key.id).await?;
    Ok(KeyOutcome {
        arn: key.arn,
        created: true,
        written: true,
        writes: 1,
        backup: None,
        size: policy.size,
        form: policy.form,
        in_force: policy.policy.clone(),
    })
}

/// Merges trailhub's statements into the key's live policy and writes it when it changes: backed up first,
/// read back after, merged again over another writer's version.
pub(super) async fn merge_into<C: Central>(
    central: &C,
    key: &KeyInfo,
    input: &KeyInput<'_>,
    backup_dir: &Path,
) -> Result<KeyOutcome, ApplyError> {
    let mut live = central.key_policy(&key.arn).await?;
    let mut o = KeyOutcome {
        arn: key.arn.clone(),
        created: false,
        written: false,
        writes: 0,
        backup: None,
        size: 0,
        form: KeyForm::Exact,
        in_force: serde_json::Value::Null,
    };
    for _ in 0..MAX_KEY_WRITES {
        let merged = merge_key_policy(Some(&live), input)?;
        (o.size, o.form) = (merged.size, merged.form);
        if !merged.changed {
            o.in_force = merged.policy;
            return Ok(o);
        }
        let path = backup_policy(backup_dir, &format!("kms-{}", key.id), &live)?;
        tracing::info!(path = %path.display(), "backed up the key policy");
        o.backup.get_or_insert(path);
        central.put_key_policy(&key.arn, &merged.text).await?;
        o.written = true;
        o.writes += 1;
        let back = central.key_policy(&key.arn).await?;
        if serde_json::from_str::<serde_json::Value>(&back).ok() == Some(merged.policy.clone()) {
            o.in_force = merged.policy;
            return Ok(o);
        }
        tracing::warn!("the key policy changed after trailhub wrote it: merging again");
        live = back;
    }
    Err(ApplyError::KeyPolicyRace { attempts: o.writes })
}

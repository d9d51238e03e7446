//! Reading the central bucket's settings and the configured KMS key (async I/O over the `aws` traits, read
//! only): what `plan`, `apply` and `audit` judge `kms_key`, `retention_days` and `access_log_bucket` by,
//! each read only where `[central]` asks for it; and the bucket's policy as the audit reads it.

use crate::aws::{AwsError, Central};
use crate::config::Config;
use crate::plan::bucket_settings::{LogTarget, SettingsState};
use crate::plan::kms::KeyState;

/// The central bucket's policy, when there is a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketPolicy {
    /// There is no such bucket.
    NoBucket,
    /// The bucket's policy (None: it has none).
    Read(Option<String>),
}

/// The central bucket's policy: HeadBucket, then GetBucketPolicy when the bucket exists.
pub async fn read_policy<C: Central>(central: &C, cfg: &Config) -> Result<BucketPolicy, AwsError> {
    let bucket = &cfg.central.bucket;
    if !central.bucket_exists(bucket).await? {
        return Ok(BucketPolicy::NoBucket);
    }
    central
        .get_bucket_policy(bucket)
        .await
        .map(BucketPolicy::Read)
}

/// The configured key: DescribeKey, then GetKeyPolicy when the key is the central account's. None
/// without `kms_key`.
pub async fn read_key<C: Central>(central: &C, cfg: &Config) -> Result<Option<KeyState>, AwsError> {
    let Some(k) = &cfg.central.kms_key else {
        return Ok(None);
    };
    let info = central.describe_key(k.lookup()).await?;
    let policy = match &info {
        Some(i) if i.account == cfg.central.account_id.as_str() => {
            Some(central.key_policy(&i.arn).await?)
        }
        _ => None,
    };
    Ok(Some(KeyState { info, policy }))
}

/// The bucket's settings `[central]` asks for. `exists`: false for a bucket this run will make (it starts
/// with SSE-S3, no lifecycle and no logging).
pub async fn read_settings<C: Central>(
    central: &C,
    cfg: &Config,
    exists: bool,
) -> Result<SettingsState, AwsError> {
    let c = &cfg.central;
    let bucket = &c.bucket;
    let (encryption, lifecycle, logging, log_target) = tokio::join!(
        async {
            match (&c.kms_key, exists) {
                (Some(_), true) => central.bucket_encryption(bucket).await.map(Some),
                (Some(_), false) => Ok(Some(crate::aws::BucketEncryption::S3)),
                (None, _) => Ok(None),
            }
        },
        async {
            match (c.retention_days, exists) {
                (Some(_), true) => central.lifecycle_rules(bucket).await.map(Some),
                (Some(_), false) => Ok(Some(vec![])),
                (None, _) => Ok(None),
            }
        },
        async {
            match (&c.access_log_bucket, exists) {
                (Some(_), true) => central.bucket_logging(bucket).await.map(Some),
                (Some(_), false) => Ok(Some(None)),
                (None, _) => Ok(None),
            }
        },
        log_target(central, cfg, exists),
    );
    Ok(SettingsState {
        encryption: encryption?,
        lifecycle: lifecycle?,
        logging: logging?,
        log_target,
    })
}

/// The access log bucket: whether it exists in the central account (a bucket of another account answers
/// 403 to ExpectedBucketOwner, and counts as missing), its Region and the bucket's (S3-10), and its policy.
async fn log_target<C: Central>(central: &C, cfg: &Config, exists: bool) -> Option<LogTarget> {
    let target = cfg.central.access_log_bucket.as_ref()?;
    let (region, bucket_region) = tokio::join!(central.bucket_region(target), async {
        match exists {
            true => central
                .bucket_region(&cfg.central.bucket)
                .await
                .ok()
                .flatten(),
            false => Some(cfg.central.bucket_home().to_string()),
        }
    });
    let region = region.ok().flatten();
    // a bucket in another Region is not asked for its policy: the plan blocks it anyway
    let policy = match (&region, &bucket_region) {
        (Some(there), Some(here)) if there != here => None,
        (Some(_), _) => central.get_bucket_policy(target).await.ok().flatten(),
        (None, _) => None,
    };
    Some(LogTarget {
        exists: region.is_some(),
        policy,
        region,
        bucket_region,
    })
}

//! The central bucket's default encryption, lifecycle and server access logging through the SDK (I/O).

use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLoggingStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule as SdkRule, LifecycleRuleFilter, LoggingEnabled, NoncurrentVersionExpiration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, TransitionDefaultMinimumObjectSize,
};

use super::{SdkCentral, aws_err};
use crate::aws::{
    AccessLogging, AwsError, BucketEncryption, BucketSettings, LifecycleRule, RetentionRule,
};
use crate::model::BucketName;

fn construction(op: &'static str) -> impl Fn(aws_sdk_s3::error::BuildError) -> AwsError {
    move |e| AwsError::new(op, "ConstructionFailure", e.to_string())
}

/// The lifecycle configuration as S3 gives it: every rule, and `TransitionDefaultMinimumObjectSize` (None
/// when the bucket has no configuration).
#[derive(Debug, Default)]
struct SdkLifecycle {
    rules: Vec<SdkRule>,
    min_size: Option<TransitionDefaultMinimumObjectSize>,
}

impl SdkCentral {
    /// GetBucketLifecycleConfiguration (nothing when there is no configuration).
    async fn sdk_lifecycle(&self, bucket: &BucketName) -> Result<SdkLifecycle, AwsError> {
        let sent = self
            .s3()
            .get_bucket_lifecycle_configuration()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await;
        match sent {
            Ok(out) => Ok(SdkLifecycle {
                min_size: out.transition_default_minimum_object_size,
                rules: out.rules.unwrap_or_default(),
            }),
            Err(e) if e.code() == Some("NoSuchLifecycleConfiguration") => {
                Ok(SdkLifecycle::default())
            }
            Err(e) => Err(aws_err("GetBucketLifecycleConfiguration", e)),
        }
    }
}

/// trailhub's reading of one rule.
fn plain(r: &SdkRule) -> LifecycleRule {
    let (prefix, narrowed) = match r.filter() {
        Some(LifecycleRuleFilter {
            prefix,
            tag: None,
            and: None,
            object_size_greater_than: None,
            object_size_less_than: None,
            ..
        }) => (Some(prefix.clone().unwrap_or_default()), false),
        Some(_) => (None, true),
        #[allow(deprecated)]
        None => (r.prefix().map(str::to_owned), false),
    };
    LifecycleRule {
        id: r.id().unwrap_or_default().to_owned(),
        enabled: r.status() == &ExpirationStatus::Enabled,
        prefix,
        narrowed,
        expiration_days: r
            .expiration()
            .and_then(|e| e.days())
            .map(|d| d.max(0) as u32),
        noncurrent_days: r
            .noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days())
            .map(|d| d.max(0) as u32),
        expired_object_delete_marker: r
            .expiration()
            .and_then(|e| e.expired_object_delete_marker())
            .unwrap_or(false),
    }
}

/// trailhub's two rules (S3-12): the expiry of current and noncurrent versions, and, apart because S3 refuses
/// `ExpiredObjectDeleteMarker` beside `Days`, the removal of the delete markers left behind.
fn retention(rule: &RetentionRule) -> Result<[SdkRule; 2], AwsError> {
    let days = |d: u32| i32::try_from(d).unwrap_or(i32::MAX);
    let filter = || LifecycleRuleFilter::builder().prefix(&rule.prefix).build();
    let expiry = SdkRule::builder()
        .id(&rule.id)
        .status(ExpirationStatus::Enabled)
        .filter(filter())
        .expiration(LifecycleExpiration::builder().days(days(rule.days)).build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days(rule.noncurrent_days))
                .build(),
        )
        .build()
        .map_err(construction("PutBucketLifecycleConfiguration"))?;
    let markers = SdkRule::builder()
        .id(&rule.markers_id)
        .status(ExpirationStatus::Enabled)
        .filter(filter())
        .expiration(
            LifecycleExpiration::builder()
                .expired_object_delete_marker(true)
                .build(),
        )
        .build()
        .map_err(construction("PutBucketLifecycleConfiguration"))?;
    Ok([expiry, markers])
}

/// What PutBucketLifecycleConfiguration sends, the whole configuration being replaced (S3-8): every rule read
/// but trailhub's, as S3 gave it, then trailhub's two; and `TransitionDefaultMinimumObjectSize` as read, since
/// S3 sets `all_storage_classes_128K` when it is left out (S3-11).
fn merged(
    read: SdkLifecycle,
    rule: &RetentionRule,
) -> Result<
    (
        BucketLifecycleConfiguration,
        Option<TransitionDefaultMinimumObjectSize>,
    ),
    AwsError,
> {
    let ours = [rule.id.as_str(), rule.markers_id.as_str()];
    let mut rules: Vec<SdkRule> = read
        .rules
        .into_iter()
        .filter(|r| !r.id().is_some_and(|id| ours.contains(&id)))
        .collect();
    rules.extend(retention(rule)?);
    let config = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(construction("PutBucketLifecycleConfiguration"))?;
    Ok((config, read.min_size))
}

#[async_trait]
impl BucketSettings for SdkCentral {
    async fn bucket_encryption(&self, bucket: &BucketName) -> Result<BucketEncryption, AwsError> {
        let sent = self
            .s3()
            .get_bucket_encryption()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                return Ok(BucketEncryption::None);
            }
            Err(e) => return Err(aws_err("GetBucketEncryption", e)),
        };
        let rule = out
            .server_side_encryption_configuration
            .and_then(|c| c.rules.into_iter().next());
        let Some(rule) = rule else {
            return Ok(BucketEncryption::None);
        };
        let by_default = rule.apply_server_side_encryption_by_default();
        Ok(match by_default.map(|d| d.sse_algorithm()) {
            Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse) => {
                BucketEncryption::Kms {
                    key: by_default
                        .and_then(|d| d.kms_master_key_id())
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned),
                    bucket_key: rule.bucket_key_enabled().unwrap_or(false),
                }
            }
            Some(_) => BucketEncryption::S3,
            None => BucketEncryption::None,
        })
    }

    async fn put_bucket_kms(&self, bucket: &BucketName, key_arn: &str) -> Result<(), AwsError> {
        let op = "PutBucketEncryption";
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key_arn)
            .build()
            .map_err(construction(op))?;
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(by_default)
            .bucket_key_enabled(true)
            .build();
        let sse = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(construction(op))?;
        self.s3()
            .put_bucket_encryption()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .server_side_encryption_configuration(sse)
            .send()
            .await
            .map_err(|e| aws_err(op, e))?;
        Ok(())
    }

    async fn lifecycle_rules(&self, bucket: &BucketName) -> Result<Vec<LifecycleRule>, AwsError> {
        Ok(self
            .sdk_lifecycle(bucket)
            .await?
            .rules
            .iter()
            .map(plain)
            .collect())
    }

    async fn put_retention_rule(
        &self,
        bucket: &BucketName,
        rule: &RetentionRule,
    ) -> Result<(), AwsError> {
        // read again just before the write: every other rule goes back as it was read (S3-8)
        let (config, min_size) = merged(self.sdk_lifecycle(bucket).await?, rule)?;
        self.s3()
            .put_bucket_lifecycle_configuration()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .lifecycle_configuration(config)
            .set_transition_default_minimum_object_size(min_size)
            .send()
            .await
            .map_err(|e| aws_err("PutBucketLifecycleConfiguration", e))?;
        Ok(())
    }

    async fn bucket_logging(&self, bucket: &BucketName) -> Result<Option<AccessLogging>, AwsError> {
        let out = self
            .s3()
            .get_bucket_logging()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
            .map_err(|e| aws_err("GetBucketLogging", e))?;
        Ok(out.logging_enabled.map(|l| AccessLogging {
            target_bucket: l.target_bucket,
            target_prefix: l.target_prefix,
        }))
    }

    async fn put_bucket_logging(
        &self,
        bucket: &BucketName,
        logging: &AccessLogging,
    ) -> Result<(), AwsError> {
        let op = "PutBucketLogging";
        let enabled = LoggingEnabled::builder()
            .target_bucket(&logging.target_bucket)
            .target_prefix(&logging.target_prefix)
            .build()
            .map_err(construction(op))?;
        let status = BucketLoggingStatus::builder()
            .logging_enabled(enabled)
            .build();
        self.s3()
            .put_bucket_logging()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .bucket_logging_status(status)
            .send()
            .await
            .map_err(|e| aws_err(op, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want() -> RetentionRule {
        RetentionRule {
            id: "trailhub-retention".into(),
            markers_id: "trailhub-retention-markers".into(),
            prefix: "AWSLogs/".into(),
            days: 400,
            noncurrent_days: 1,
            gone_after_days: 401,
        }
    }

    fn team() -> SdkRule {
        SdkRule::builder()
            .id("team-glacier")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("exports/").build())
            .expiration(LifecycleExpiration::builder().days(30).build())
            .build()
            .unwrap()
    }

    /// S3-11: the value read goes back with the write; S3-8: every other rule goes back as read, and the
    /// older rule of trailhub's ID is replaced by the two rules.
    #[test]
    fn the_write_sends_back_the_minimum_object_size_and_every_other_rule() {
        let older = SdkRule::builder()
            .id("trailhub-retention")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("AWSLogs/").build())
            .expiration(LifecycleExpiration::builder().days(400).build())
            .build()
            .unwrap();
        let read = SdkLifecycle {
            rules: vec![team(), older],
            min_size: Some(TransitionDefaultMinimumObjectSize::VariesByStorageClass),
        };
        let (config, min_size) = merged(read, &want()).unwrap();
        assert_eq!(
            min_size,
            Some(TransitionDefaultMinimumObjectSize::VariesByStorageClass)
        );
        let rules = config.rules();
        assert_eq!(rules[0], team());
        let plain: Vec<LifecycleRule> = rules.iter().map(plain).collect();
        let ids: Vec<&str> = plain.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "team-glacier",
                "trailhub-retention",
                "trailhub-retention-markers"
            ]
        );
        assert_eq!(
            (plain[1].expiration_days, plain[1].noncurrent_days),
            (Some(400), Some(1))
        );
        assert!(plain[2].expired_object_delete_marker && plain[2].expiration_days.is_none());
        // no configuration yet: nothing to keep, S3's default applies
        let (_, none) = merged(SdkLifecycle::default(), &want()).unwrap();
        assert_eq!(none, None);
    }
}

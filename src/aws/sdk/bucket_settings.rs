//! The central bucket's default encryption, lifecycle and server access logging through the SDK (I/O).

use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLoggingStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule as SdkRule, LifecycleRuleFilter, LoggingEnabled, NoncurrentVersionExpiration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};

use super::{SdkCentral, aws_err};
use crate::aws::{
    AccessLogging, AwsError, BucketEncryption, BucketSettings, LifecycleRule, RetentionRule,
};
use crate::model::BucketName;

fn construction(op: &'static str) -> impl Fn(aws_sdk_s3::error::BuildError) -> AwsError {
    move |e| AwsError::new(op, "ConstructionFailure", e.to_string())
}

impl SdkCentral {
    /// Every lifecycle rule, as the SDK gives them (none when there is no configuration).
    async fn sdk_rules(&self, bucket: &BucketName) -> Result<Vec<SdkRule>, AwsError> {
        let sent = self
            .s3()
            .get_bucket_lifecycle_configuration()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await;
        match sent {
            Ok(out) => Ok(out.rules.unwrap_or_default()),
            Err(e) if e.code() == Some("NoSuchLifecycleConfiguration") => Ok(vec![]),
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
    }
}

fn retention(rule: &RetentionRule) -> Result<SdkRule, AwsError> {
    let days = i32::try_from(rule.days).unwrap_or(i32::MAX);
    SdkRule::builder()
        .id(&rule.id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(&rule.prefix).build())
        .expiration(LifecycleExpiration::builder().days(days).build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days)
                .build(),
        )
        .build()
        .map_err(construction("PutBucketLifecycleConfiguration"))
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
        Ok(self.sdk_rules(bucket).await?.iter().map(plain).collect())
    }

    async fn put_retention_rule(
        &self,
        bucket: &BucketName,
        rule: &RetentionRule,
    ) -> Result<(), AwsError> {
        // the whole configuration is replaced by the write (S3-8): every other rule goes back as it was read
        let mut rules: Vec<SdkRule> = self
            .sdk_rules(bucket)
            .await?
            .into_iter()
            .filter(|r| r.id() != Some(rule.id.as_str()))
            .collect();
        rules.push(retention(rule)?);
        let config = BucketLifecycleConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(construction("PutBucketLifecycleConfiguration"))?;
        self.s3()
            .put_bucket_lifecycle_configuration()
            .bucket(bucket.as_str())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .lifecycle_configuration(config)
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

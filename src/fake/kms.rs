//! The fake's KMS keys and the central bucket's encryption, lifecycle and access logging, enforcing the AWS
//! rules trailhub relies on (docs/aws-rules.md KMS-1..8, S3-7..9) where moto does not: the key policy's
//! size and lockout safety check, alias names, CloudTrail's `InsufficientEncryptionPolicyException` when the
//! key policy does not let it encrypt for the trail (nor decrypt, when the bucket has an S3 Bucket Key), and an
//! access log target that exists in the source bucket's Region. The lifecycle configuration's rules are
//! `lifecycle`'s.

use async_trait::async_trait;

use super::{FakeAws, FakeMember};
use crate::aws::{
    AccessLogging, AwsError, BucketEncryption, BucketSettings, DesiredTrail, KeyInfo, Keys,
    LifecycleRule, RetentionRule,
};
use crate::config::check_alias;
use crate::model::BucketName;
use crate::plan::key_policy::{MAX_KEY_POLICY, cloudtrail_denial, keeps_admin};

/// A key in the fake: what DescribeKey says, and its policy.
#[derive(Debug, Clone)]
pub struct FakeKey {
    pub info: KeyInfo,
    pub policy: String,
}

impl FakeAws {
    /// The key a key ID, key ARN, alias name or alias ARN names.
    pub fn find_key(&self, key: &str) -> Option<FakeKey> {
        let w = self.world();
        let alias = key
            .split_once(":alias/")
            .map(|(_, a)| format!("alias/{a}"))
            .or_else(|| key.starts_with("alias/").then(|| key.to_owned()));
        let arn = match alias {
            Some(a) => w.aliases.get(&a)?.clone(),
            None => w
                .keys
                .keys()
                .find(|arn| *arn == key || arn.ends_with(&format!("/{key}")))?
                .clone(),
        };
        w.keys.get(&arn).cloned()
    }

    /// KMS's checks of a key policy document (KMS-1, KMS-5).
    fn check_key_policy(&self, op: &'static str, policy: &str) -> Result<(), AwsError> {
        if policy.len() > MAX_KEY_POLICY {
            return Err(AwsError::new(
                op,
                "LimitExceededException",
                format!("Policy document exceeds the maximum size of {MAX_KEY_POLICY} bytes"),
            ));
        }
        let doc: serde_json::Value = serde_json::from_str(policy)
            .map_err(|e| AwsError::new(op, "MalformedPolicyDocumentException", e.to_string()))?;
        let (partition, caller) = {
            let w = self.world();
            (partition(&w.region), w.caller.clone())
        };
        let caller = caller
            .parse()
            .map_err(|e: String| AwsError::new(op, "Internal", e))?;
        if !keeps_admin(&doc, &partition, &caller) {
            return Err(AwsError::new(
                op,
                "MalformedPolicyDocumentException",
                "The new key policy will not allow you to update the key policy in the future.",
            ));
        }
        Ok(())
    }
}

fn partition(region: &str) -> String {
    crate::model::Region::try_from(region.to_owned())
        .map(|r| r.partition().to_owned())
        .unwrap_or_else(|_| "aws".to_owned())
}

#[async_trait]
impl Keys for FakeAws {
    async fn describe_key(&self, key: &str) -> Result<Option<KeyInfo>, AwsError> {
        self.call("DescribeKey").await;
        Ok(self.find_key(key).map(|k| k.info))
    }

    async fn key_policy(&self, key_id: &str) -> Result<String, AwsError> {
        self.call("GetKeyPolicy").await;
        self.find_key(key_id)
            .map(|k| k.policy)
            .ok_or_else(|| not_found("GetKeyPolicy", key_id))
    }

    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), AwsError> {
        self.call("PutKeyPolicy").await;
        self.check_key_policy("PutKeyPolicy", policy)?;
        let key = self
            .find_key(key_id)
            .ok_or_else(|| not_found("PutKeyPolicy", key_id))?;
        if let Some(k) = self.world().keys.get_mut(&key.info.arn) {
            k.policy = policy.to_owned();
        }
        Ok(())
    }

    async fn create_key(&self, policy: &str, _description: &str) -> Result<KeyInfo, AwsError> {
        self.call("CreateKey").await;
        self.check_key_policy("CreateKey", policy)?;
        let mut w = self.world();
        w.next_id += 1;
        let id = format!("00000000-0000-4000-8000-{:012x}", w.next_id);
        let arn = format!(
            "arn:{}:kms:{}:{}:key/{id}",
            partition(&w.region),
            w.region,
            w.caller
        );
        let info = KeyInfo {
            arn: arn.clone(),
            id,
            account: w.caller.clone(),
            enabled: true,
            symmetric: true,
            customer_managed: true,
        };
        let key = FakeKey {
            info: info.clone(),
            policy: policy.to_owned(),
        };
        w.keys.insert(arn, key);
        Ok(info)
    }

    async fn enable_rotation(&self, key_id: &str) -> Result<(), AwsError> {
        self.call("EnableKeyRotation").await;
        self.find_key(key_id)
            .map(drop)
            .ok_or_else(|| not_found("EnableKeyRotation", key_id))
    }

    async fn create_alias(&self, alias: &str, key_id: &str) -> Result<(), AwsError> {
        self.call("CreateAlias").await;
        check_alias(alias).map_err(|m| AwsError::new("CreateAlias", "ValidationException", m))?;
        let key = self
            .find_key(key_id)
            .ok_or_else(|| not_found("CreateAlias", key_id))?;
        let mut w = self.world();
        if w.aliases.contains_key(alias) {
            return Err(AwsError::new(
                "CreateAlias",
                "AlreadyExistsException",
                format!("An alias with the name {alias} already exists"),
            ));
        }
        w.aliases.insert(alias.to_owned(), key.info.arn);
        Ok(())
    }
}

fn not_found(op: &'static str, key: &str) -> AwsError {
    AwsError::new(
        op,
        "NotFoundException",
        format!("Key '{key}' does not exist"),
    )
}

#[async_trait]
impl BucketSettings for FakeAws {
    async fn bucket_encryption(&self, bucket: &BucketName) -> Result<BucketEncryption, AwsError> {
        self.call("GetBucketEncryption").await;
        let w = self.world();
        let aes = w
            .guards
            .get(bucket.as_str())
            .is_some_and(|g| g.contains(&crate::aws::Guard::DefaultEncryption));
        Ok(match w.encryption.get(bucket.as_str()) {
            Some(e) => e.clone(),
            None if aes => BucketEncryption::S3,
            None => BucketEncryption::None,
        })
    }

    async fn put_bucket_kms(&self, bucket: &BucketName, key_arn: &str) -> Result<(), AwsError> {
        self.call("PutBucketEncryption").await;
        let kms = BucketEncryption::Kms {
            key: Some(key_arn.to_owned()),
            bucket_key: true,
        };
        self.world().encryption.insert(bucket.to_string(), kms);
        Ok(())
    }

    async fn lifecycle_rules(&self, bucket: &BucketName) -> Result<Vec<LifecycleRule>, AwsError> {
        self.call("GetBucketLifecycleConfiguration").await;
        Ok(self.lifecycle_configuration(bucket.as_str()).0)
    }

    async fn put_retention_rule(
        &self,
        bucket: &BucketName,
        rule: &RetentionRule,
    ) -> Result<(), AwsError> {
        self.call("GetBucketLifecycleConfiguration").await;
        self.call("PutBucketLifecycleConfiguration").await;
        self.put_retention(bucket.as_str(), rule)
    }

    async fn bucket_logging(&self, bucket: &BucketName) -> Result<Option<AccessLogging>, AwsError> {
        self.call("GetBucketLogging").await;
        Ok(self.world().logging.get(bucket.as_str()).cloned())
    }

    async fn put_bucket_logging(
        &self,
        bucket: &BucketName,
        logging: &AccessLogging,
    ) -> Result<(), AwsError> {
        self.call("PutBucketLogging").await;
        let mut w = self.world();
        if !w.buckets.contains_key(&logging.target_bucket) {
            return Err(AwsError::new(
                "PutBucketLogging",
                "InvalidTargetBucketForLogging",
                "The target bucket for logging does not exist",
            ));
        }
        // S3-9: the target in the same Region as the source (moto's code for it)
        if w.region_of(&logging.target_bucket) != w.region_of(bucket.as_str()) {
            return Err(AwsError::new(
                "PutBucketLogging",
                "CrossLocationLoggingProhibited",
                "Cross S3 location logging not allowed",
            ));
        }
        w.logging.insert(bucket.to_string(), logging.clone());
        Ok(())
    }
}

impl FakeMember {
    /// CloudTrail's checks of a trail's `KmsKeyId` (KMS-3, KMS-4, KMS-9): the key exists, and its policy lets
    /// CloudTrail encrypt for this trail (and decrypt, when the bucket has an S3 Bucket Key). The key's ARN,
    /// which DescribeTrails then reports.
    pub(super) fn check_trail_key(
        &self,
        op: &'static str,
        t: &DesiredTrail,
        org_id: Option<&str>,
    ) -> Result<Option<String>, AwsError> {
        let Some(id) = &t.kms_key_id else {
            return Ok(None);
        };
        let key = self.aws.find_key(id).ok_or_else(|| {
            AwsError::new(
                op,
                "KmsKeyNotFoundException",
                format!("KMS key {id} not found"),
            )
        })?;
        let policy: serde_json::Value =
            serde_json::from_str(&key.policy).unwrap_or(serde_json::Value::Null);
        // KMS-9: with the bucket's S3 Bucket Key on, CloudTrail needs kms:Decrypt too
        let bucket_key = matches!(
            self.aws.world().encryption.get(t.bucket.as_str()),
            Some(BucketEncryption::Kms {
                bucket_key: true,
                ..
            })
        );
        if cloudtrail_denial(&policy, &key.info.arn, &t.arn, org_id, bucket_key).is_some() {
            return Err(AwsError::new(
                op,
                "InsufficientEncryptionPolicyException",
                "Insufficient permissions to access S3 bucket or KMS key",
            ));
        }
        Ok(Some(key.info.arn))
    }
}

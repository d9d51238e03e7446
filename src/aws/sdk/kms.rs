//! KMS in the central account through the SDK (I/O): the key CloudTrail encrypts with and its policy.

use async_trait::async_trait;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState, KeyUsageType};

use super::{SdkCentral, aws_err};
use crate::aws::{AwsError, KeyInfo, Keys};

/// A key policy's name: KMS knows only `default` (KMS-8).
const POLICY_NAME: &str = "default";

#[async_trait]
impl Keys for SdkCentral {
    async fn describe_key(&self, key: &str) -> Result<Option<KeyInfo>, AwsError> {
        match self.kms().describe_key().key_id(key).send().await {
            Ok(out) => Ok(out.key_metadata.map(|m| KeyInfo {
                arn: m.arn().unwrap_or_default().to_owned(),
                id: m.key_id().to_owned(),
                account: m.aws_account_id().unwrap_or_default().to_owned(),
                enabled: m.key_state() == Some(&KeyState::Enabled),
                symmetric: m.key_spec().is_none_or(|s| *s == KeySpec::SymmetricDefault),
                customer_managed: m.key_manager() != Some(&KeyManagerType::Aws),
            })),
            Err(e) if e.code() == Some("NotFoundException") => Ok(None),
            Err(e) => Err(aws_err("DescribeKey", e)),
        }
    }

    async fn key_policy(&self, key_id: &str) -> Result<String, AwsError> {
        let out = self
            .kms()
            .get_key_policy()
            .key_id(key_id)
            .policy_name(POLICY_NAME)
            .send()
            .await
            .map_err(|e| aws_err("GetKeyPolicy", e))?;
        Ok(out.policy.unwrap_or_default())
    }

    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), AwsError> {
        self.kms()
            .put_key_policy()
            .key_id(key_id)
            .policy_name(POLICY_NAME)
            .policy(policy)
            .bypass_policy_lockout_safety_check(false)
            .send()
            .await
            .map_err(|e| aws_err("PutKeyPolicy", e))?;
        Ok(())
    }

    async fn create_key(&self, policy: &str, description: &str) -> Result<KeyInfo, AwsError> {
        let out = self
            .kms()
            .create_key()
            .policy(policy)
            .description(description)
            .key_spec(KeySpec::SymmetricDefault)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .bypass_policy_lockout_safety_check(false)
            .send()
            .await
            .map_err(|e| aws_err("CreateKey", e))?;
        let m = out.key_metadata.ok_or_else(|| {
            AwsError::new(
                "CreateKey",
                "NoKeyMetadata",
                "CreateKey answered without the key",
            )
        })?;
        Ok(KeyInfo {
            arn: m.arn().unwrap_or_default().to_owned(),
            id: m.key_id().to_owned(),
            account: m.aws_account_id().unwrap_or_default().to_owned(),
            enabled: true,
            symmetric: true,
            customer_managed: true,
        })
    }

    async fn enable_rotation(&self, key_id: &str) -> Result<(), AwsError> {
        self.kms()
            .enable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| aws_err("EnableKeyRotation", e))?;
        Ok(())
    }

    async fn create_alias(&self, alias: &str, key_id: &str) -> Result<(), AwsError> {
        self.kms()
            .create_alias()
            .alias_name(alias)
            .target_key_id(key_id)
            .send()
            .await
            .map_err(|e| aws_err("CreateAlias", e))?;
        Ok(())
    }
}

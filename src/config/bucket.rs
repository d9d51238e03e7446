//! `[central]`'s `kms_key`, `retention_days` and `access_log_bucket` (pure): the key CloudTrail encrypts
//! with, how long the bucket keeps log files, and where its access logs go. Each value is checked against
//! AWS's rule (docs/aws-rules.md KMS-3, KMS-7, S3-8, S3-9) before any AWS call.

use std::ops::RangeInclusive;

use serde::Serialize;

use crate::model::{AccountId, BucketName, Region};

/// The alias of the key `kms_key = "create"` makes.
pub const KEY_ALIAS: &str = "alias/trailhub-cloudtrail";

/// The `retention_days` trailhub accepts. S3 takes any positive whole number of days (S3-8); the upper
/// bound (100 years) is trailhub's own, against a typo of a few digits too many.
pub const RETENTION_RANGE: RangeInclusive<u32> = 1..=36_500;

/// `kms_key`: the key every trail in scope encrypts its log files with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KmsKey {
    /// A key trailhub makes in the central account, in the bucket's region, found again by [`KEY_ALIAS`].
    Create { alias_arn: String },
    /// An existing key of the central account, by its key ARN or an alias ARN.
    Existing { arn: String, alias: bool },
}

impl KmsKey {
    /// What DescribeKey is asked with: the alias ARN, or the ARN given.
    pub fn lookup(&self) -> &str {
        match self {
            KmsKey::Create { alias_arn } => alias_arn,
            KmsKey::Existing { arn, .. } => arn,
        }
    }
    pub fn creates(&self) -> bool {
        matches!(self, KmsKey::Create { .. })
    }
}

/// Reads `kms_key`: `"create"`, or the ARN of a key or alias of the central account in the bucket's region
/// (CloudTrail wants the key in the bucket's region, KMS-3).
pub fn kms_key(text: &str, account: &AccountId, bucket_region: &Region) -> Result<KmsKey, String> {
    let partition = bucket_region.partition();
    if text == "create" {
        let alias_arn = format!("arn:{partition}:kms:{bucket_region}:{account}:{KEY_ALIAS}");
        return Ok(KmsKey::Create { alias_arn });
    }
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, p, service, region, owner, resource] = parts[..] else {
        return Err(format!(
            "kms_key {text:?} is neither \"create\" nor a KMS key ARN (arn:{partition}:kms:REGION:ACCOUNT:key/ID or ...:alias/NAME)"
        ));
    };
    if arn != "arn" || service != "kms" || p != partition {
        return Err(format!(
            "kms_key {text:?} is not a KMS ARN of partition {partition} (arn:{partition}:kms:...)"
        ));
    }
    if owner != account.as_str() {
        return Err(format!(
            "kms_key {text:?} belongs to account {owner}, not the central account {account}: trailhub merges its statements into the key policy, which only the key's own account can change (runbooks/kms.md#kms-key-of-another-account)"
        ));
    }
    if region != bucket_region.as_str() {
        return Err(format!(
            "kms_key {text:?} is in region {region}, but the bucket is in {bucket_region}: CloudTrail needs the key in the bucket's region (runbooks/kms.md#kms-key-of-another-account)"
        ));
    }
    let alias = match resource.split_once('/') {
        Some(("key", id)) if is_key_id(id) => false,
        Some(("alias", name)) => {
            check_alias(&format!("alias/{name}")).map_err(|m| format!("kms_key {text:?}: {m}"))?;
            true
        }
        _ => {
            return Err(format!(
                "kms_key {text:?}: the resource must be key/ID (a UUID, or mrk- and 32 hex digits) or alias/NAME"
            ));
        }
    };
    Ok(KmsKey::Existing {
        arn: text.to_owned(),
        alias,
    })
}

/// A key ID: a UUID (8-4-4-4-12 hex digits), or `mrk-` and 32 hex digits for a multi-Region key.
fn is_key_id(id: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = id.strip_prefix("mrk-") {
        return hex(rest, 32);
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5 && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| hex(g, n))
}

/// An alias name as KMS accepts it (KMS-7): `alias/`, then letters, digits, `/`, `_` and `-`, 256
/// characters in all at most, not in the `alias/aws/` space AWS reserves.
pub fn check_alias(alias: &str) -> Result<(), String> {
    let Some(name) = alias.strip_prefix("alias/") else {
        return Err(format!("alias {alias:?} must start with alias/"));
    };
    if name.is_empty() || alias.len() > 256 {
        return Err(format!("alias {alias:?} must be 7 to 256 characters"));
    }
    if alias.starts_with("alias/aws/") {
        return Err(format!(
            "alias {alias:?} is in alias/aws/, which AWS reserves for its own keys"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')))
    {
        return Err(format!(
            "alias {alias:?} has {c:?}; KMS takes letters, digits, /, _ and -"
        ));
    }
    Ok(())
}

/// Reads `retention_days`.
pub fn retention_days(days: i64) -> Result<u32, String> {
    u32::try_from(days)
        .ok()
        .filter(|d| RETENTION_RANGE.contains(d))
        .ok_or_else(|| {
            format!(
                "retention_days must be {} to {} (days), not {days}",
                RETENTION_RANGE.start(),
                RETENTION_RANGE.end()
            )
        })
}

/// Reads `access_log_bucket`: not the central bucket itself (each access log written would be an access
/// to log, S3-9).
pub fn access_log_bucket(name: BucketName, bucket: &BucketName) -> Result<BucketName, String> {
    if &name == bucket {
        return Err(format!(
            "access_log_bucket {name} is the central bucket itself: S3 would log the writes of its own access logs; name another bucket of the central account in the bucket's region"
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<KmsKey, String> {
        let account: AccountId = "111111111111".parse().unwrap();
        kms_key(text, &account, &"eu-west-1".parse().unwrap())
    }

    #[test]
    fn kms_key_forms() {
        assert_eq!(
            read("create").unwrap(),
            KmsKey::Create {
                alias_arn: "arn:aws:kms:eu-west-1:111111111111:alias/trailhub-cloudtrail".into()
            }
        );
        let key = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(
            read(key).unwrap(),
            KmsKey::Existing {
                arn: key.into(),
                alias: false
            }
        );
        let mrk = "arn:aws:kms:eu-west-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab";
        assert!(read(mrk).is_ok());
        assert!(
            !read("arn:aws:kms:eu-west-1:111111111111:alias/sec/cloudtrail")
                .unwrap()
                .creates()
        );
    }

    #[test]
    fn kms_key_refusals_say_why() {
        for (text, says) in [
            ("Create", "neither"),
            ("1234abcd-12ab-34cd-56ef-1234567890ab", "neither"),
            (
                "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "not the central account",
            ),
            (
                "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "bucket's region",
            ),
            (
                "arn:aws-cn:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "partition",
            ),
            ("arn:aws:kms:eu-west-1:111111111111:key/not-a-uuid", "UUID"),
            (
                "arn:aws:kms:eu-west-1:111111111111:alias/aws/s3",
                "reserves",
            ),
            ("arn:aws:kms:eu-west-1:111111111111:alias/a b", "letters"),
            ("arn:aws:s3:eu-west-1:111111111111:key/x", "not a KMS ARN"),
        ] {
            let e = read(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn retention_days_bounds() {
        assert_eq!(retention_days(1), Ok(1));
        assert_eq!(retention_days(36_500), Ok(36_500));
        for bad in [0, -1, 36_501, i64::MAX] {
            assert!(retention_days(bad).unwrap_err().contains("1 to 36500"));
        }
    }
}

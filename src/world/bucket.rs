//! The central bucket's settings and the CloudTrail KMS key, in plain values (pure): what the `Keys` and
//! `BucketSettings` traits take and give. No SDK type appears here.

use serde::Serialize;

/// A KMS key as DescribeKey reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key's ARN (`arn:<p>:kms:<region>:<account>:key/<id>`).
    pub arn: String,
    /// The key's ID (the last part of its ARN).
    pub id: String,
    /// The account that owns it.
    pub account: String,
    /// `KeyState` is `Enabled`.
    pub enabled: bool,
    /// `KeySpec` is `SYMMETRIC_DEFAULT` (CloudTrail takes nothing else).
    pub symmetric: bool,
    /// `KeyManager` is `CUSTOMER` (an AWS managed key's policy cannot be changed).
    pub customer_managed: bool,
}

/// The bucket's default encryption (GetBucketEncryption's first rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BucketEncryption {
    /// No default encryption configured.
    None,
    /// SSE-S3 (`AES256`).
    S3,
    /// SSE-KMS (`aws:kms` or `aws:kms:dsse`) with this key (as configured: an ID, ARN or alias; None: the AWS
    /// managed key `aws/s3`), and whether the S3 Bucket Key is on.
    Kms {
        key: Option<String>,
        bucket_key: bool,
    },
}

/// One rule of the bucket's lifecycle configuration, as far as trailhub reads it. The I/O layer keeps every
/// other rule exactly as it was when it writes trailhub's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleRule {
    pub id: String,
    pub enabled: bool,
    /// The rule's filter, when it is a plain prefix (None: no filter, or one with tags or sizes).
    pub prefix: Option<String>,
    /// Whether the filter has more than a prefix (tags, object sizes).
    pub narrowed: bool,
    /// `Expiration.Days`.
    pub expiration_days: Option<u32>,
    /// `NoncurrentVersionExpiration.NoncurrentDays`.
    pub noncurrent_days: Option<u32>,
    /// `Expiration.ExpiredObjectDeleteMarker` is true: S3 removes a delete marker left with no other version.
    pub expired_object_delete_marker: bool,
}

/// trailhub's retention on a versioned bucket, as two lifecycle rules on `prefix` (S3-8, S3-12): rule `id`
/// expires the current version `days` after it was written (S3 adds a delete marker) and removes the
/// noncurrent copy `noncurrent_days` after that; rule `markers_id` removes the delete marker then left alone
/// (`ExpiredObjectDeleteMarker`, which S3 refuses in a rule with `Days`). `gone_after_days`: about when a log
/// object is gone for good, counted from its delivery (`days` + `noncurrent_days`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionRule {
    pub id: String,
    pub markers_id: String,
    pub prefix: String,
    pub days: u32,
    pub noncurrent_days: u32,
    pub gone_after_days: u32,
}

/// The bucket's server access logging (GetBucketLogging).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessLogging {
    pub target_bucket: String,
    pub target_prefix: String,
}

/// A protection the central bucket must have: trailhub turns on whichever is off, and never turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guard {
    BlockPublicAccess,
    Versioning,
    DefaultEncryption,
}

impl Guard {
    pub const ALL: [Guard; 3] = [
        Guard::BlockPublicAccess,
        Guard::Versioning,
        Guard::DefaultEncryption,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Guard::BlockPublicAccess => "Block Public Access",
            Guard::Versioning => "versioning",
            Guard::DefaultEncryption => "default encryption",
        }
    }
}

/// What ListObjectsV2 found under a prefix (every page): with a delimiter, the folders one level down
/// (`CommonPrefixes`, each ending in `/`) and the objects at that level; without, every object below.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub folders: Vec<String>,
    /// Key and last-modified time (seconds since the epoch).
    pub objects: Vec<(String, i64)>,
}

//! The plain values the `aws` traits take and give (pure): trails, their status, the bucket's guards and
//! the organization's accounts, in trailhub's own words. The planner and the judge read them; no SDK type
//! appears here.

use serde::Serialize;

use crate::model::{BucketName, KeyPrefix, TrailArn, TrailName};

/// The trail trailhub wants in an account: multi-region, global service events and log file validation
/// on, delivering to the central bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesiredTrail {
    pub name: TrailName,
    pub arn: TrailArn,
    pub bucket: BucketName,
    pub key_prefix: Option<KeyPrefix>,
    /// Delivery to CloudWatch Logs (`[cloudwatch]`); None leaves the trail's own setting as it is.
    pub cloudwatch: Option<TrailLogs>,
    /// `KmsKeyId` (`kms_key`): the key's ARN, or its alias's ARN before the key exists; None leaves the
    /// trail's own setting as it is.
    pub kms_key_id: Option<String>,
    /// Every name of that key a trail's `KmsKeyId` may carry and be right (its ARN, ID, alias ARN).
    #[serde(skip)]
    pub kms_key_names: Vec<String>,
}

/// A trail's delivery to CloudWatch Logs: `CloudWatchLogsLogGroupArn` (the `...:log-group:NAME:*` form
/// CloudTrail wants) and `CloudWatchLogsRoleArn`. AWS takes both or neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailLogs {
    pub log_group_arn: String,
    pub role_arn: String,
}

/// A trail as DescribeTrails reports it, in plain values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ObservedTrail {
    pub name: String,
    pub arn: String,
    pub home_region: Option<String>,
    pub bucket: Option<String>,
    pub key_prefix: Option<String>,
    pub multi_region: bool,
    pub global_events: bool,
    pub log_validation: bool,
    pub organization_trail: bool,
    /// Its CloudWatch Logs delivery, when it has one (the role ARN empty when AWS gave none).
    pub cloudwatch: Option<TrailLogs>,
    /// `KmsKeyId`: the key its log files are encrypted with (SSE-KMS), when it has one.
    pub kms_key_id: Option<String>,
}

/// GetTrailStatus, in plain values (times in seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TrailStatus {
    pub is_logging: bool,
    pub latest_delivery_time: Option<i64>,
    pub latest_delivery_error: Option<String>,
    pub start_logging_time: Option<i64>,
    /// `LatestCloudWatchLogsDeliveryTime` (None: AWS does not say, as for a trail that never delivered).
    pub latest_cloudwatch_delivery_time: Option<i64>,
    /// `LatestCloudWatchLogsDeliveryError`.
    pub latest_cloudwatch_delivery_error: Option<String>,
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

/// An account as AWS Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub active: bool,
}

/// A root or an organizational unit: its ID and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuNode {
    pub id: String,
    pub name: String,
}

/// One page of ListAccounts and the token of the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPage {
    pub accounts: Vec<OrgAccount>,
    pub next: Option<String>,
}

/// A trail's event selectors as GetEventSelectors reports them, in plain values: basic selectors or advanced
/// ones (a trail has one kind, or none at all, which logs nothing).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EventSelectors {
    pub basic: Vec<BasicSelector>,
    pub advanced: Vec<AdvancedSelector>,
}

/// `ReadWriteType` of a basic selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadWrite {
    #[default]
    All,
    ReadOnly,
    WriteOnly,
}

/// One basic event selector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BasicSelector {
    pub read_write: ReadWrite,
    /// `IncludeManagementEvents` (AWS's default when it is not given: true).
    pub management: bool,
    /// `ExcludeManagementEventSources`: event sources (`kms.amazonaws.com`, `rdsdata.amazonaws.com`) left out.
    pub excluded_sources: Vec<String>,
    /// Data events (`Type`, `Values`), kept as they are.
    pub data_resources: Vec<(String, Vec<String>)>,
}

/// One advanced event selector: its field selectors AND together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<FieldSelector>,
}

/// One field of an advanced event selector (`eventCategory`, `readOnly`, `eventSource`...) and its operators.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_equals: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

/// What ListObjectsV2 found under a prefix (every page): with a delimiter, the folders one level down
/// (`CommonPrefixes`, each ending in `/`) and the objects at that level; without, every object below.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub folders: Vec<String>,
    /// Key and last-modified time (seconds since the epoch).
    pub objects: Vec<(String, i64)>,
}

/// A CloudWatch Logs log group, as DescribeLogGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogGroup {
    pub name: String,
    /// `arn:...:log-group:NAME`, without the `:*` that DescribeLogGroups' `arn` ends with.
    pub arn: String,
    /// `retentionInDays`; None: never expire.
    pub retention_days: Option<u32>,
}

/// An IAM role as GetRole reports it, with trailhub's inline policy on it (GetRolePolicy), both
/// documents decoded from the URL encoding IAM returns them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedRole {
    pub name: String,
    pub arn: String,
    /// The trust policy (`AssumeRolePolicyDocument`), JSON text.
    pub trust: String,
    /// The inline policy of trailhub's name, JSON text; None when the role has none of that name.
    pub policy: Option<String>,
}

/// The role trailhub wants: its trust policy and one inline policy, JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesiredRole {
    pub name: String,
    pub trust: String,
    pub policy_name: String,
    pub policy: String,
}

/// Where a flow log delivers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FlowLogTarget {
    /// `LogDestination`: `arn:aws:s3:::BUCKET[/PREFIX/]`.
    S3 { arn: String },
    /// `LogGroupName` and `DeliverLogsPermissionArn`.
    CloudWatch { log_group: String, role_arn: String },
    /// Kinesis Data Firehose, or what trailhub does not know: never trailhub's.
    Other { kind: String },
}

/// A flow log as DescribeFlowLogs reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedFlowLog {
    pub id: String,
    /// The VPC (or subnet, or interface) it logs.
    pub resource_id: String,
    pub target: FlowLogTarget,
    pub traffic_type: String,
    pub max_aggregation_interval: Option<u32>,
    pub log_format: Option<String>,
    /// `DeliverLogsStatus`: SUCCESS or FAILED.
    pub deliver_logs_status: Option<String>,
    /// `DeliverLogsErrorMessage`.
    pub deliver_logs_error: Option<String>,
}

/// The flow log trailhub wants on one VPC to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesiredFlowLog {
    pub vpc_id: String,
    pub target: FlowLogTarget,
    pub traffic_type: String,
    pub max_aggregation_interval: u32,
    pub log_format: String,
}

//! Trails in plain values (pure): the trail trailhub wants, a trail as DescribeTrails reports it, and its
//! status. No SDK type appears here.

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

impl ObservedTrail {
    /// Whether `account` owns the trail (its ARN names it). A member's DescribeTrails also lists the
    /// management account's organization trail (CT-16), which may bear trailhub's trail name and is never
    /// trailhub's to change.
    pub fn owned_by(&self, account: &str) -> bool {
        TrailArn::parse(&self.arn).is_none_or(|a| a.account == account)
    }
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

/// A `StopLogging` event as CloudTrail's LookupEvents reports it (CT-23): the trail it stopped (the name or
/// ARN the caller gave), who called it (the caller's ARN, else the user name) and when (seconds since the
/// epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StopEvent {
    pub trail: String,
    pub by: String,
    pub at: i64,
}

impl StopEvent {
    /// Whether it stopped `t`: the caller named it by its name or its ARN.
    pub fn stopped(&self, t: &ObservedTrail) -> bool {
        self.trail == t.name || self.trail == t.arn
    }
}

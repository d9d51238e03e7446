//! CloudWatch Logs, IAM roles and VPC flow logs in plain values (pure): what the traits take and give for
//! `[cloudwatch]` and `[flow_logs]`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The tag trailhub puts on every flow log it creates (`TagSpecifications` of CreateFlowLogs), and the only
/// flow logs its printed policies let it delete (`aws:ResourceTag/trailhub:managed`): docs/aws-rules.md VPC-8.
/// Issue 25's guardrail reuses it.
pub const MANAGED_TAG_KEY: &str = "trailhub:managed";
/// The value of [`MANAGED_TAG_KEY`].
pub const MANAGED_TAG_VALUE: &str = "true";

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
    /// The ARN of the role's permissions boundary (`PermissionsBoundary.PermissionsBoundaryArn`); None: none.
    pub permissions_boundary: Option<String>,
}

/// The role trailhub wants: its trust policy and one inline policy, JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesiredRole {
    pub name: String,
    pub trust: String,
    pub policy_name: String,
    pub policy: String,
}

/// `DestinationOptions.FileFormat` of a flow log to S3: `plain-text` (AWS's default) or `parquet`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    #[default]
    PlainText,
    Parquet,
}

impl FileFormat {
    /// As EC2 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::PlainText => "plain-text",
            FileFormat::Parquet => "parquet",
        }
    }
}

/// A flow log's `DestinationOptions`, which only a flow log to S3 has (docs/aws-rules.md VPC-7). The
/// default is AWS's: plain text, no Hive-compatible prefixes, daily folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct S3Options {
    pub file_format: FileFormat,
    /// `HiveCompatiblePartitions`: keys under `AWSLogs/aws-account-id=<id>/aws-service=vpcflowlogs/...`.
    pub hive_compatible_partitions: bool,
    /// `PerHourPartition`: an hour folder below the day's.
    pub per_hour_partition: bool,
}

impl S3Options {
    pub fn is_default(&self) -> bool {
        *self == S3Options::default()
    }

    /// `parquet, hive, per-hour` (`plain-text` alone for the default): how a plan names them.
    pub fn describe(&self) -> String {
        let mut words = vec![self.file_format.as_str()];
        if self.hive_compatible_partitions {
            words.push("hive");
        }
        if self.per_hour_partition {
            words.push("per-hour");
        }
        words.join(", ")
    }
}

/// Where a flow log delivers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FlowLogDestination {
    /// `LogDestination`: `arn:aws:s3:::BUCKET[/PREFIX/]`, and its `DestinationOptions`.
    S3 {
        arn: String,
        #[serde(skip_serializing_if = "S3Options::is_default")]
        options: S3Options,
    },
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
    pub target: FlowLogDestination,
    pub traffic_type: String,
    pub max_aggregation_interval: Option<u32>,
    pub log_format: Option<String>,
    /// `DeliverLogsStatus`: SUCCESS or FAILED.
    pub deliver_logs_status: Option<String>,
    /// `DeliverLogsErrorMessage`.
    pub deliver_logs_error: Option<String>,
    /// Its `Tags`, key to value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl ObservedFlowLog {
    /// Whether it carries trailhub's tag (`trailhub:managed` = `true`): one trailhub made, and the only kind
    /// the printed policies let trailhub delete.
    pub fn managed(&self) -> bool {
        self.tags.get(MANAGED_TAG_KEY).map(String::as_str) == Some(MANAGED_TAG_VALUE)
    }

    /// The command that gives the flow logs `ids` trailhub's tag, to run once by hand, by someone allowed to
    /// tag them (runbooks/vpc-flow-logs.md).
    pub fn tag_command(ids: &[&str]) -> String {
        format!(
            "aws ec2 create-tags --resources {} --tags Key={MANAGED_TAG_KEY},Value={MANAGED_TAG_VALUE}",
            ids.join(" ")
        )
    }
}

/// The flow log trailhub wants on one VPC to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesiredFlowLog {
    pub vpc_id: String,
    pub target: FlowLogDestination,
    pub traffic_type: String,
    pub max_aggregation_interval: u32,
    pub log_format: String,
}

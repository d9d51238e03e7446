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
    /// The Region it is in (flow logs, like VPCs, are regional: VPC-13).
    pub region: String,
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

    /// The commands that give the flow logs trailhub's tag, one per Region (flow logs are regional), to run
    /// once by hand, by someone allowed to tag them (runbooks/vpc-flow-logs.md). `logs`: (Region, ID).
    pub fn tag_command(logs: &[(&str, &str)]) -> String {
        let mut regions: Vec<&str> = logs.iter().map(|(r, _)| *r).collect();
        regions.sort_unstable();
        regions.dedup();
        let each: Vec<String> = (regions.iter())
            .map(|region| {
                let ids: Vec<&str> = (logs.iter().filter(|(r, _)| r == region))
                    .map(|(_, id)| *id)
                    .collect();
                format!(
                    "aws ec2 create-tags --region {region} --resources {} --tags Key={MANAGED_TAG_KEY},Value={MANAGED_TAG_VALUE}",
                    ids.join(" ")
                )
            })
            .collect();
        each.join("; ")
    }
}

/// The flow log trailhub wants on one VPC to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesiredFlowLog {
    /// The VPC's Region, where the flow log is made.
    pub region: String,
    pub vpc_id: String,
    pub target: FlowLogDestination,
    pub traffic_type: String,
    pub max_aggregation_interval: u32,
    pub log_format: String,
}

/// A VPC as DescribeVpcs reports it, with the Region it was read in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Vpc {
    pub region: String,
    pub id: String,
    /// `IsDefault`: the default VPC AWS gives an account in each Region it has enabled (VPC-14).
    pub is_default: bool,
}

impl Vpc {
    /// A VPC that is not a default one.
    pub fn new(region: &str, id: &str) -> Self {
        Vpc {
            region: region.to_owned(),
            id: id.to_owned(),
            is_default: false,
        }
    }
}

/// A Region as EC2's DescribeRegions (`AllRegions`) reports it for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionInfo {
    pub name: String,
    /// `OptInStatus`: `opt-in-not-required`, `opted-in` or `not-opted-in`.
    pub opt_in_status: String,
}

impl RegionInfo {
    /// Whether the account may use the Region: enabled by default, or opted into (VPC-13).
    pub fn enabled(&self) -> bool {
        matches!(
            self.opt_in_status.as_str(),
            "opt-in-not-required" | "opted-in"
        )
    }
}

/// What became of the reading of an account's Regions for `[flow_logs]`: the Regions read, those closed
/// by policy (an SCP that denies the Region answers with an authorization error, VPC-15), and those whose
/// read failed otherwise (the others are still read).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegionsSeen {
    /// Every Region the account has enabled (DescribeRegions), in order.
    pub enabled: Vec<String>,
    /// Enabled Regions where the reads were refused by policy: a note, not a failure.
    pub closed: Vec<String>,
    /// Enabled Regions whose read failed for another reason, with the error.
    pub failed: Vec<(String, super::AwsError)>,
}

impl RegionsSeen {
    /// The Regions read: enabled, neither closed nor failed.
    pub fn read(&self) -> impl Iterator<Item = &str> {
        self.enabled.iter().map(String::as_str).filter(|r| {
            !self.closed.iter().any(|c| c == r) && !self.failed.iter().any(|(f, _)| f == r)
        })
    }
}

/// Whether an error of a regional read is a refusal by policy: EC2's `UnauthorizedOperation` (what an SCP
/// that denies a Region answers, "... with an explicit deny in a service control policy"), `AuthFailure`,
/// or an `AccessDenied` of another service (VPC-15).
pub fn closed_by_policy(e: &super::AwsError) -> bool {
    matches!(
        e.code.as_str(),
        "UnauthorizedOperation"
            | "AuthFailure"
            | "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedAccess"
    )
}

//! What `trailhub inventory` hands to `output` (plain values, pure): per account, every trail it shows
//! (trailhub's or not, organization trails, shadow trails of other regions), every flow log observed and the
//! log groups they and the trails deliver to; an account that could not be read, as its error.

use serde::Serialize;

/// Every account in scope (and the central account), in report order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryReport {
    /// The region the trails were listed from (`central.region`): a trail homed elsewhere shows as its
    /// shadow.
    pub region: String,
    pub accounts: Vec<AccountInventory>,
}

impl InventoryReport {
    /// 0 when every account was read, 1 when one could not be.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.accounts.iter().any(|a| a.error.is_some()))
    }
}

/// One account: what it holds, or why it could not be read (`error`, and nothing else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountInventory {
    pub id: String,
    pub name: String,
    pub is_central: bool,
    /// The account could not be reached or read: the AWS error and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub trails: Vec<TrailEntry>,
    /// The flow logs observed, each with its Region; None when they were not read (`[flow_logs]` does not
    /// apply to the account).
    pub flow_logs: Option<Vec<FlowLogEntry>>,
    pub log_groups: Vec<LogGroupEntry>,
}

/// What a trail is to the account that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrailKind {
    /// trailhub's own trail in the account (the name accounts.toml gives it).
    Trailhub,
    /// The account's own trail, made by someone else.
    Other,
    /// An organization trail (the account's own, or the management account's it sees).
    Organization,
    /// A multi-region trail homed in another region, as the listing region shows it.
    Shadow,
}

impl TrailKind {
    /// In words, for the text and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            TrailKind::Trailhub => "trailhub",
            TrailKind::Other => "other",
            TrailKind::Organization => "organization",
            TrailKind::Shadow => "shadow",
        }
    }
}

/// One trail as DescribeTrails shows it, with its status and event selectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailEntry {
    pub name: String,
    pub arn: String,
    pub kind: TrailKind,
    /// The account that owns it (an organization trail's is the management account).
    pub owner: String,
    pub home_region: Option<String>,
    pub multi_region: bool,
    pub bucket: Option<String>,
    pub key_prefix: Option<String>,
    /// GetTrailStatus's `IsLogging`; None when the status could not be read (see `error`).
    pub logging: Option<bool>,
    /// What the event selectors log, in words; None when they could not be read.
    pub selectors: Option<String>,
    /// `KmsKeyId`; None: the log files are encrypted with S3's own key (SSE-S3).
    pub kms_key: Option<String>,
    /// Its CloudWatch Logs group's ARN, when it delivers there.
    pub log_group: Option<String>,
    /// Why the status or the selectors could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One flow log as DescribeFlowLogs shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowLogEntry {
    pub region: String,
    pub id: String,
    /// The VPC, subnet or interface it logs.
    pub resource: String,
    /// `s3 arn:aws:s3:::BUCKET/`, `cloudwatch GROUP`, or the kind of another destination.
    pub destination: String,
    pub traffic_type: String,
    /// `DeliverLogsStatus`.
    pub status: Option<String>,
    /// It carries trailhub's tag (`trailhub:managed` = `true`).
    pub managed: bool,
}

/// A log group a trail or a flow log delivers to (or trailhub's, where it read it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogGroupEntry {
    pub region: String,
    pub name: String,
    /// `retentionInDays` where the group was read: None, never expire; absent when not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<Option<u32>>,
    /// The trails (name) and flow logs (ID) that deliver to it.
    pub used_by: Vec<String>,
}

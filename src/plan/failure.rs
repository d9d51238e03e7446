//! Why an account could not be planned or changed (pure): an AWS call that failed, or one of trailhub's
//! own outcomes. Carried whole from observation through the plan to apply's report; `output` renders it.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::verdict::Denial;
use crate::world::AwsError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountFailure {
    /// An AWS call failed (AssumeRole, DescribeTrails, CreateTrail...).
    Aws(AwsError),
    /// The account was in scope but was not observed (it has no client).
    NotObserved,
    /// Ctrl-C came before the account was started.
    Interrupted,
    /// The bucket policy would not let the account's trail write (an explicit Deny written by someone else,
    /// say): CloudTrail would refuse the trail, so trailhub does not try.
    PolicyDenies { denial: Denial },
    /// Another trail already logs the account's management events elsewhere and `second_copy = "refuse"`.
    SecondCopy { of: String, to: String },
    /// A trail of trailhub's name exists but is homed in another region than `central.region`: CloudTrail
    /// changes a trail only from its home region, and refuses a second trail of that name.
    HomedElsewhere { trail: String, home: String },
    /// The bucket policy would not let `delivery.logs.amazonaws.com` write this account's flow logs: AWS
    /// would refuse them, so trailhub does not try.
    FlowLogsDenied { denial: Denial },
    /// The bucket owner's own flow logs to S3 with these statements (Sid, or `#N`) in the bucket policy:
    /// AWS cannot add its log delivery permission under a `NotPrincipal` or `NotAction` (aws-rules DL-5).
    OwnerFlowLogsRefused { statements: Vec<String> },
    /// The account's name cannot make a log group name from the configured template.
    LogGroupName { message: String },
    /// trailhub's permissions boundary policy (`permissions_boundary = "create"`) exists with another
    /// document than trailhub's: trailhub does not bound its delivery roles with it, nor makes a new
    /// version of it, so the account's role writes wait (docs/aws-rules.md IAM-13).
    BoundaryPolicyDiffers { arn: String },
    /// The key policy would not let CloudTrail encrypt for the trail with `kms_key`, or the key cannot be
    /// used: CloudTrail would answer InsufficientEncryptionPolicyException, so trailhub does not try.
    KeyDenies { message: String },
    /// `[alarms]`: the account's trail log group would hold more than CloudWatch Logs' 100 metric filters
    /// with trailhub's (CWL-9): none is made.
    TooManyFilters {
        log_group: String,
        existing: usize,
        missing: usize,
    },
}

impl AccountFailure {
    /// The operation that failed, or the step of trailhub's that stopped: `Observe`, `PolicyCheck`.
    pub fn operation(&self) -> &'static str {
        match self {
            AccountFailure::Aws(e) => e.operation,
            AccountFailure::NotObserved | AccountFailure::Interrupted => "Observe",
            AccountFailure::PolicyDenies { .. } => "PolicyCheck",
            AccountFailure::SecondCopy { .. } => "SecondCopyCheck",
            AccountFailure::HomedElsewhere { .. } => "Observe",
            AccountFailure::FlowLogsDenied { .. } | AccountFailure::OwnerFlowLogsRefused { .. } => {
                "PolicyCheck"
            }
            AccountFailure::LogGroupName { .. } | AccountFailure::BoundaryPolicyDiffers { .. } => {
                "Plan"
            }
            AccountFailure::KeyDenies { .. } => "KeyCheck",
            AccountFailure::TooManyFilters { .. } => "Plan",
        }
    }

    /// AWS's error code, or trailhub's name of its own outcome (`NotObserved`, `Interrupted`,
    /// `PolicyDenies`): the stable `code` of the JSON reports.
    pub fn code(&self) -> &str {
        match self {
            AccountFailure::Aws(e) => &e.code,
            AccountFailure::NotObserved => "NotObserved",
            AccountFailure::Interrupted => "Interrupted",
            AccountFailure::PolicyDenies { .. } => "PolicyDenies",
            AccountFailure::SecondCopy { .. } => "SecondCopy",
            AccountFailure::HomedElsewhere { .. } => "TrailHomedElsewhere",
            AccountFailure::FlowLogsDenied { .. } | AccountFailure::OwnerFlowLogsRefused { .. } => {
                "FlowLogsDenied"
            }
            AccountFailure::LogGroupName { .. } => "InvalidLogGroupName",
            AccountFailure::BoundaryPolicyDiffers { .. } => "BoundaryPolicyDiffers",
            AccountFailure::KeyDenies { .. } => "KmsKeyDenies",
            AccountFailure::TooManyFilters { .. } => "TooManyMetricFilters",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AccountFailure::Aws(e) => e.message.clone(),
            AccountFailure::NotObserved => "the account was not observed".to_owned(),
            AccountFailure::Interrupted => "not observed: the run was interrupted".to_owned(),
            AccountFailure::PolicyDenies { denial } | AccountFailure::FlowLogsDenied { denial } => {
                denial.to_string()
            }
            AccountFailure::SecondCopy { of, to } => format!(
                "trail {of} already logs this account's management events to {to}; trailhub's trail \
                 would be a billed second copy"
            ),
            AccountFailure::OwnerFlowLogsRefused { statements } => format!(
                "the bucket policy has NotPrincipal or NotAction (statement {}): AWS cannot add its log \
                 delivery permission for the bucket owner's own flow logs to S3, and CreateFlowLogs fails; \
                 rewrite that statement without them \
                 (runbooks/vpc-flow-logs.md#notprincipal-or-notaction-in-the-bucket-policy)",
                statements.join(", ")
            ),
            AccountFailure::HomedElsewhere { trail, home } => format!(
                "trail {trail} exists, homed in {home}: CloudTrail changes it only from there"
            ),
            AccountFailure::LogGroupName { message } | AccountFailure::KeyDenies { message } => {
                message.clone()
            }
            AccountFailure::BoundaryPolicyDiffers { arn } => format!(
                "the permissions boundary policy {arn} holds another document than trailhub's: trailhub does not bound its delivery roles with it"
            ),
            AccountFailure::TooManyFilters {
                log_group,
                existing,
                missing,
            } => format!(
                "log group {log_group} has {existing} metric filters: the {missing} CIS filters trailhub would add pass CloudWatch Logs' 100 a log group"
            ),
        }
    }

    /// `operation: code: message`, for a problem's message.
    pub fn describe(&self) -> String {
        format!("{}: {}: {}", self.operation(), self.code(), self.message())
    }

    /// What to do about it, with the runbook section that explains more.
    pub fn hint(&self) -> &'static str {
        match self {
            AccountFailure::Aws(e) => e.hint(),
            AccountFailure::NotObserved => {
                "run again; if it stays, see runbooks/troubleshooting.md#other-aws-errors"
            }
            AccountFailure::Interrupted => {
                "run apply again to finish (runbooks/troubleshooting.md#interrupted)"
            }
            AccountFailure::PolicyDenies { .. } => {
                "the bucket policy does not let this trail write; see runbooks/troubleshooting.md#policy-denies"
            }
            AccountFailure::HomedElsewhere { .. } => {
                "run trailhub with that region's central.region (or --region) for this trail, or delete it in its home region so that trailhub makes its own (runbooks/troubleshooting.md#trail-homed-elsewhere)"
            }
            AccountFailure::SecondCopy { .. } => {
                "point that trail at the central bucket, or set [members] second_copy = \"allow\" (runbooks/troubleshooting.md#second-copy)"
            }
            AccountFailure::FlowLogsDenied { .. } => {
                "the bucket policy does not let delivery.logs.amazonaws.com write this account's flow logs; see runbooks/vpc-flow-logs.md#flow-logs-denied"
            }
            AccountFailure::OwnerFlowLogsRefused { .. } => {
                "rewrite the bucket policy's statements without NotPrincipal or NotAction; see runbooks/vpc-flow-logs.md#notprincipal-or-notaction-in-the-bucket-policy"
            }
            AccountFailure::LogGroupName { .. } => {
                "choose a log_group template that makes a valid name for this account (runbooks/cloudwatch-logs.md#log-group-name)"
            }
            AccountFailure::BoundaryPolicyDiffers { .. } => {
                "compare the policy with trailhub's document, then delete it (trailhub makes it again) or name a policy of your own in permissions_boundary (runbooks/cloudwatch-logs.md#boundary-policy-differs)"
            }
            AccountFailure::KeyDenies { .. } => {
                "the key policy does not let CloudTrail encrypt for this trail, or the key cannot be used; see runbooks/kms.md#insufficientencryptionpolicyexception"
            }
            AccountFailure::TooManyFilters { .. } => {
                "delete metric filters no longer used on that log group, or pick fewer `controls` in [alarms] (runbooks/alarms.md#too-many-metric-filters)"
            }
        }
    }
}

impl From<AwsError> for AccountFailure {
    fn from(e: AwsError) -> Self {
        AccountFailure::Aws(e)
    }
}

/// As the reports have always carried it: `operation`, `code`, `message` and `hint`.
impl Serialize for AccountFailure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("operation", self.operation())?;
        m.serialize_entry("code", self.code())?;
        m.serialize_entry("message", &self.message())?;
        m.serialize_entry("hint", self.hint())?;
        m.end()
    }
}

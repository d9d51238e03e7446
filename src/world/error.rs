//! A failed AWS call, typed (pure): the operation, the account it was made in, what kind of failure it
//! was, and AWS's own code and message. Converted once from the SDK's error in `sdk`, carried whole
//! through plan, apply and audit, and turned into words only by `output`.

use std::fmt;

use crate::model::AccountId;

/// What kind of failure: what trailhub and the hints decide on. The AWS code itself stays in
/// [`AwsError::code`], for the kinds below and for every code they do not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Throttling, ThrottlingException, SlowDown, TooManyRequestsException: past the SDK's retries.
    Throttled,
    /// AccessDenied, AccessDeniedException, or an S3 403 without a body.
    AccessDenied,
    /// The thing does not exist (a 404 without a body, NoSuch..., ...NotFoundException).
    NotFound,
    /// CloudTrail's InsufficientS3BucketPolicyException: the bucket policy does not (yet) let the trail write.
    InsufficientBucketPolicy,
    /// CloudTrail's InsufficientEncryptionPolicyException: the key policy (or the bucket's) does not (yet) let
    /// CloudTrail use the KMS key for the trail; a new key policy may take a while to be in force (KMS-6).
    InsufficientKeyPolicy,
    /// CloudTrail's TrailAlreadyExistsException, CloudWatch Logs' ResourceAlreadyExistsException, IAM's
    /// EntityAlreadyExists, EC2's FlowLogAlreadyExists.
    AlreadyExists,
    /// CloudTrail's InvalidCloudWatchLogsRoleArnException or InvalidCloudWatchLogsLogGroupArnException with
    /// "Access denied": CloudTrail cannot (yet) assume the role or write to the group. A new role takes
    /// seconds to be usable.
    CloudWatchRoleNotReady,
    /// No credentials were found by the standard chain.
    NoCredentials,
    /// ExpiredToken, ExpiredTokenException, InvalidClientTokenId: the caller's credentials.
    ExpiredCredentials,
    /// The endpoint did not answer in time.
    Timeout,
    /// The connection failed.
    Network,
    /// Any other code (see [`AwsError::code`]).
    Other,
}

impl ErrorKind {
    /// The kind of an AWS error code (or of the names `sdk` gives to failures without one).
    pub fn of(code: &str) -> ErrorKind {
        match code {
            "Throttling"
            | "ThrottlingException"
            | "SlowDown"
            | "TooManyRequestsException"
            | "RequestLimitExceeded" => ErrorKind::Throttled,
            "AccessDenied" | "AccessDeniedException" | "Forbidden" => ErrorKind::AccessDenied,
            "NotFound"
            | "NoSuchBucket"
            | "TrailNotFoundException"
            | "NoSuchEntity"
            | "ResourceNotFoundException" => ErrorKind::NotFound,
            "InvalidCloudWatchLogsRoleArnException"
            | "InvalidCloudWatchLogsLogGroupArnException" => ErrorKind::CloudWatchRoleNotReady,
            "InsufficientS3BucketPolicyException" => ErrorKind::InsufficientBucketPolicy,
            "InsufficientEncryptionPolicyException" => ErrorKind::InsufficientKeyPolicy,
            "TrailAlreadyExistsException"
            | "ResourceAlreadyExistsException"
            | "EntityAlreadyExists"
            | "FlowLogAlreadyExists" => ErrorKind::AlreadyExists,
            "NoCredentials" => ErrorKind::NoCredentials,
            "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" => {
                ErrorKind::ExpiredCredentials
            }
            "Timeout" => ErrorKind::Timeout,
            "NetworkError" => ErrorKind::Network,
            _ => ErrorKind::Other,
        }
    }
}

/// An AWS call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The API operation, as AWS names it: `AssumeRole`, `CreateTrail`, `PutBucketPolicy`...
    pub operation: &'static str,
    /// The account the call was made in, when it was a member's (None: the caller's own account).
    pub account: Option<AccountId>,
    pub kind: ErrorKind,
    /// AWS's error code, as AWS sent it (`AccessDeniedException`), or `sdk`'s name for a failure that
    /// carried none (`Timeout`, `NetworkError`, `Forbidden`).
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(
        operation: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let code = code.into();
        AwsError {
            operation,
            account: None,
            kind: ErrorKind::of(&code),
            code,
            message: message.into(),
        }
    }

    /// The same error, naming the account the call was made in.
    pub fn in_account(mut self, account: &AccountId) -> Self {
        self.account = Some(account.clone());
        self
    }

    /// What to do about it, in a sentence, with the runbook section that explains more.
    pub fn hint(&self) -> &'static str {
        hint(self.operation, self.kind)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.operation)?;
        if let Some(a) = &self.account {
            write!(f, " in account {a}")?;
        }
        write!(f, ": {}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

/// Operations made with the central identity: an AccessDenied there is the caller's permission.
const CENTRAL_OPERATIONS: [&str; 10] = [
    "HeadBucket",
    "GetBucketPolicy",
    "CreateBucket",
    "ListObjectsV2",
    "GetCallerIdentity",
    "ListAccounts",
    "DescribeOrganization",
    "PutPublicAccessBlock",
    "PutBucketVersioning",
    "PutBucketEncryption",
];

/// What to do about a failed operation of this kind: a sentence and its runbook section.
fn hint(operation: &str, kind: ErrorKind) -> &'static str {
    use ErrorKind::*;
    match (operation, kind) {
        ("AssumeRole", AccessDenied) => {
            "check that the role exists in the account and trusts the central account (runbooks/troubleshooting.md#assumerole-accessdenied)"
        }
        ("HeadBucket", AccessDenied) => {
            "grant s3:ListBucket on the bucket to the central identity, or choose a bucket name no other account owns (runbooks/troubleshooting.md#cannot-read-the-bucket-or-its-policy)"
        }
        ("PutBucketPolicy", AccessDenied) => {
            "grant s3:PutBucketPolicy on the bucket to the central identity (runbooks/troubleshooting.md#cannot-write-the-bucket-policy)"
        }
        (op, AccessDenied) if CENTRAL_OPERATIONS.contains(&op) => {
            "grant the missing permission to the central identity (runbooks/troubleshooting.md#cannot-read-the-bucket-or-its-policy, docs/iam-permissions.md)"
        }
        (_, AccessDenied) => {
            "grant the missing permission to the member role (runbooks/troubleshooting.md#accessdenied)"
        }
        (_, Throttled) => {
            "AWS throttled the calls past the retries; run again, or lower concurrency (runbooks/troubleshooting.md#throttling)"
        }
        (_, Timeout | Network) => {
            "the network or the endpoint did not answer; check connectivity and run again (runbooks/troubleshooting.md#network)"
        }
        (_, InsufficientBucketPolicy) => {
            "the bucket policy does not let this trail write; run `trailhub plan` and see runbooks/troubleshooting.md#insufficients3bucketpolicyexception"
        }
        (_, InsufficientKeyPolicy) => {
            "CloudTrail may not use the KMS key for this trail: run `trailhub plan` and see runbooks/kms.md#insufficientencryptionpolicyexception"
        }
        (_, CloudWatchRoleNotReady) => {
            "CloudTrail cannot use the CloudWatch Logs role or group: check the role's trust and policy, and run again (runbooks/cloudwatch-logs.md#cloudtrail-cannot-use-the-role)"
        }
        ("CreateFlowLogs", _) => {
            "the flow log could not be made: see AWS's message and runbooks/vpc-flow-logs.md#createflowlogs-failed"
        }
        (_, NoCredentials) => {
            "no AWS credentials were found: pass --profile, set AWS_PROFILE, run `aws sso login`, or export keys (runbooks/troubleshooting.md#credentials)"
        }
        (_, ExpiredCredentials) => {
            "the caller's credentials are expired or invalid; log in again (runbooks/troubleshooting.md#credentials)"
        }
        _ => "see runbooks/troubleshooting.md#other-aws-errors",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_codes_and_hints_from_kinds() {
        let e = AwsError::new("AssumeRole", "AccessDenied", "no");
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert!(e.hint().contains("#assumerole-accessdenied"));
        let e = AwsError::new("ListAccounts", "AccessDeniedException", "no");
        assert!(e.hint().contains("central identity"));
        let e = AwsError::new("CreateTrail", "AccessDeniedException", "no");
        assert!(e.hint().contains("member role"));
        for code in ["Throttling", "ThrottlingException", "SlowDown"] {
            assert_eq!(ErrorKind::of(code), ErrorKind::Throttled, "{code}");
        }
        let e = AwsError::new("CreateTrail", "InvalidTrailNameException", "bad");
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::Other, "InvalidTrailNameException")
        );
        assert!(e.hint().contains("#other-aws-errors"));
    }

    #[test]
    fn the_account_is_named_once() {
        let e = AwsError::new("DescribeTrails", "AccessDeniedException", "denied")
            .in_account(&"222222222222".parse().unwrap());
        assert_eq!(
            e.to_string(),
            "DescribeTrails failed in account 222222222222: AccessDeniedException: denied"
        );
        let central = AwsError::new("HeadBucket", "Forbidden", "403");
        assert_eq!(central.to_string(), "HeadBucket failed: Forbidden: 403");
    }
}

//! The I/O edge: each AWS service trailhub uses, behind a small trait in the program's own words, with
//! plain values in and out. `sdk` implements them with the AWS SDK; `fake` in memory, for tests and
//! benchmarks.

pub mod fake;
pub mod sdk;

use async_trait::async_trait;

use crate::config::Target;
use crate::model::{BucketName, Region};
use crate::plan::Guard;
use crate::plan::trails::{DesiredTrail, ObservedTrail, TrailStatus};

/// An AWS call that failed: the operation, the AWS error code and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn new(
        operation: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        AwsError {
            operation,
            code: code.into(),
            message: message.into(),
        }
    }

    /// What to do about it, in a sentence, with the runbook section that explains more.
    pub fn hint(&self) -> &'static str {
        hint(self.operation, &self.code)
    }

    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_str(),
            "Throttling" | "ThrottlingException" | "SlowDown" | "TooManyRequestsException"
        )
    }
}

/// What to do about a failed operation with this error code: a sentence and its runbook section.
pub fn hint(operation: &str, code: &str) -> &'static str {
    match (operation, code) {
        (_, "PolicyDenies") => {
            "the bucket policy does not let this trail write; see runbooks/troubleshooting.md#policy-denies"
        }
        ("AssumeRole", "AccessDenied") => {
            "check that the role exists in the account and trusts the central account (runbooks/troubleshooting.md#assumerole-accessdenied)"
        }
        ("HeadBucket", "Forbidden") => {
            "grant s3:ListBucket on the bucket to the central identity, or choose a bucket name no other account owns (runbooks/troubleshooting.md#cannot-read-the-bucket-or-its-policy)"
        }
        ("PutBucketPolicy", "AccessDenied" | "AccessDeniedException") => {
            "grant s3:PutBucketPolicy on the bucket to the central identity (runbooks/troubleshooting.md#cannot-write-the-bucket-policy)"
        }
        (
            "HeadBucket"
            | "GetBucketPolicy"
            | "CreateBucket"
            | "ListObjectsV2"
            | "GetCallerIdentity"
            | "ListAccounts"
            | "DescribeOrganization"
            | "PutPublicAccessBlock"
            | "PutBucketVersioning"
            | "PutBucketEncryption",
            "AccessDenied" | "AccessDeniedException" | "Forbidden",
        ) => {
            "grant the missing permission to the central identity (runbooks/troubleshooting.md#cannot-read-the-bucket-or-its-policy, docs/iam-permissions.md)"
        }
        (_, "AccessDenied" | "AccessDeniedException") => {
            "grant the missing permission to the member role (runbooks/troubleshooting.md#accessdenied)"
        }
        (_, "Throttling" | "ThrottlingException" | "SlowDown" | "TooManyRequestsException") => {
            "AWS throttled the calls past the retries; run again, or lower concurrency (runbooks/troubleshooting.md#throttling)"
        }
        (_, "Timeout" | "NetworkError") => {
            "the network or the endpoint did not answer; check connectivity and run again (runbooks/troubleshooting.md#network)"
        }
        (_, "InsufficientS3BucketPolicyException") => {
            "the bucket policy does not let this trail write; run `trailhub plan` and see runbooks/troubleshooting.md#insufficients3bucketpolicyexception"
        }
        (_, "NoCredentials") => {
            "no AWS credentials were found: pass --profile, set AWS_PROFILE, run `aws sso login`, or export keys (runbooks/troubleshooting.md#credentials)"
        }
        (_, "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId") => {
            "the caller's credentials are expired or invalid; log in again (runbooks/troubleshooting.md#credentials)"
        }
        _ => "see runbooks/troubleshooting.md#other-aws-errors",
    }
}

/// An account as AWS Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub active: bool,
}

/// One page of ListAccounts and the token of the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPage {
    pub accounts: Vec<OrgAccount>,
    pub next: Option<String>,
}

/// The central (SEC) account, reached with the caller's own credentials.
#[async_trait]
pub trait Central: Send + Sync {
    type Member: Member;

    /// GetCallerIdentity: the caller's account ID.
    async fn caller_account(&self) -> Result<String, AwsError>;
    /// One page of ListAccounts.
    async fn list_org_accounts_page(&self, token: Option<String>) -> Result<OrgPage, AwsError>;
    /// ListAccounts, every page.
    async fn list_org_accounts(&self) -> Result<Vec<OrgAccount>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self.list_org_accounts_page(token).await?;
            out.extend(page.accounts);
            token = page.next;
            if token.is_none() {
                return Ok(out);
            }
        }
    }
    async fn bucket_exists(&self, bucket: &BucketName) -> Result<bool, AwsError>;
    /// CreateBucket (in the region).
    async fn create_bucket(&self, bucket: &BucketName, region: &Region) -> Result<(), AwsError>;
    /// Whether each guard is on (GetPublicAccessBlock, GetBucketVersioning, GetBucketEncryption); None
    /// where the answer could not be read.
    async fn bucket_guards(
        &self,
        bucket: &BucketName,
    ) -> Result<Vec<(Guard, Option<bool>)>, AwsError>;
    /// Turns these guards on (PutPublicAccessBlock, PutBucketVersioning, PutBucketEncryption).
    async fn turn_on(&self, bucket: &BucketName, guards: &[Guard]) -> Result<(), AwsError>;
    /// GetBucketPolicy: None when the bucket has no policy.
    async fn get_bucket_policy(&self, bucket: &BucketName) -> Result<Option<String>, AwsError>;
    async fn put_bucket_policy(&self, bucket: &BucketName, policy: &str) -> Result<(), AwsError>;
    /// The newest object's time (seconds since the epoch) under a key prefix, None when there is none.
    async fn newest_object(
        &self,
        bucket: &BucketName,
        prefix: &str,
    ) -> Result<Option<i64>, AwsError>;
    /// DescribeOrganization: the organization's ID (`o-...`), None when the caller is in no organization.
    async fn organization_id(&self) -> Result<Option<String>, AwsError>;
    /// A client for one account: the caller's own for the central account, AssumeRole for a member.
    async fn member(&self, target: &Target) -> Result<Self::Member, AwsError>;
}

/// CloudTrail in one account (home region of the trails).
#[async_trait]
pub trait Member: Send + Sync {
    async fn describe_trails(&self) -> Result<Vec<ObservedTrail>, AwsError>;
    async fn trail_status(&self, name: &str) -> Result<TrailStatus, AwsError>;
    async fn create_trail(&self, trail: &DesiredTrail) -> Result<(), AwsError>;
    async fn update_trail(&self, trail: &DesiredTrail) -> Result<(), AwsError>;
    async fn start_logging(&self, name: &str) -> Result<(), AwsError>;
}

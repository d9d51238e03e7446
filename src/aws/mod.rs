//! The I/O edge: each AWS service trailhub uses, behind a small trait in the program's own words, with
//! plain values in and out (`crate::world`, re-exported here) and typed errors (`AwsError`). `sdk` implements the traits with the
//! AWS SDK; the `fake` module in memory, for tests and benchmarks; `emulator` holds what trailhub does only
//! because a local emulator (moto) differs from AWS.

pub mod emulator;
pub mod sdk;

// the values the traits take and give: the world's vocabulary, shared with the planner
pub use crate::world::{
    AccessLogging, AdvancedSelector, AwsError, BasicSelector, BucketEncryption, DesiredFlowLog,
    DesiredRole, DesiredTrail, ErrorKind, EventSelectors, FieldSelector, FileFormat,
    FlowLogDestination, Guard, KeyInfo, LifecycleRule, Listing, LogGroup, MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE, Membership, ObservedFlowLog, ObservedRole, ObservedTrail, OrgAccount,
    OrgPage, OrgPolicy, Organization, OuNode, PolicySummary, ReadWrite, RegionInfo, RetentionRule,
    S3Options, StopEvent, TrailLogs, TrailStatus, Vpc,
};
pub use crate::world::{QueueArn, Subscription};

use async_trait::async_trait;

use crate::model::{BucketName, Region};
use crate::world::ScopedAccount;
pub use crate::world::alarms::{MetricAlarm, MetricFilter, Topic};

/// The central (SEC) account, reached with the caller's own credentials; its KMS key and the bucket's
/// settings through the supertraits.
#[async_trait]
pub trait Central: Keys + BucketSettings + Queues + CentralSns + Scps + Send + Sync {
    type Member: Member;

    /// GetCallerIdentity: the caller's account ID.
    async fn caller_account(&self) -> Result<String, AwsError>;
    /// One page of ListAccounts.
    async fn list_org_accounts_page(&self, token: Option<String>) -> Result<OrgPage, AwsError>;
    /// ListRoots: the organization's roots (AWS has one).
    async fn list_roots(&self) -> Result<Vec<OuNode>, AwsError>;
    /// ListOrganizationalUnitsForParent: the OUs right below a root or OU (every page).
    async fn list_child_ous(&self, parent: &str) -> Result<Vec<OuNode>, AwsError>;
    /// ListAccountsForParent: the accounts right below a root or OU (every page).
    async fn list_accounts_for_parent(&self, parent: &str) -> Result<Vec<OrgAccount>, AwsError>;
    async fn bucket_exists(&self, bucket: &BucketName) -> Result<bool, AwsError>;
    /// HeadBucket, read only: the Region a bucket of the caller's account lives in (S3-4), None when there
    /// is no such bucket. Unlike [`Central::bucket_exists`] it never moves the central bucket's client (for
    /// another bucket: the access log bucket).
    async fn bucket_region(&self, bucket: &BucketName) -> Result<Option<String>, AwsError>;
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
    /// ListObjectsV2 under `prefix`, every page (see [`Listing`]); `delimited` lists one level (`/`).
    async fn list_objects(
        &self,
        bucket: &BucketName,
        prefix: &str,
        delimited: bool,
    ) -> Result<Listing, AwsError>;
    /// DescribeOrganization: the organization's ID and management account, None when the caller is in no
    /// organization.
    async fn organization(&self) -> Result<Option<Organization>, AwsError>;
    /// DescribeOrganization: the organization's ID (`o-...`), None when the caller is in no organization.
    async fn organization_id(&self) -> Result<Option<String>, AwsError> {
        Ok(self.organization().await?.map(|o| o.id))
    }
    /// Organizations' DescribeAccount: the account, or None when it is not in the organization
    /// (AccountNotFoundException). For `offboard`.
    async fn describe_account(&self, id: &str) -> Result<Option<OrgAccount>, AwsError>;
    /// ListParents: the ID of the root or OU right above an account or OU (ORG-8).
    async fn parent_of(&self, child: &str) -> Result<String, AwsError>;
    /// ListPoliciesForTarget with the filter RESOURCE_CONTROL_POLICY (every page): the ID and name of each
    /// RCP attached right at this root, OU or account (ORG-8).
    async fn rcps_attached(&self, target: &str) -> Result<Vec<(String, String)>, AwsError>;
    /// DescribePolicy: an Organizations policy with its content (ORG-8).
    async fn describe_policy(&self, id: &str) -> Result<OrgPolicy, AwsError>;
    /// A client for one account: the caller's own for the central account, AssumeRole for a member.
    async fn member(&self, target: &ScopedAccount) -> Result<Self::Member, AwsError>;
}

/// AWS Organizations' service control policies, from the central account (issue 25): trailhub reads
/// them all, and writes only its own (ORG-11..ORG-16). DescribePolicy is [`Central::describe_policy`].
#[async_trait]
pub trait Scps: Send + Sync {
    /// DescribeResourcePolicy: the organization's delegation policy; None when there is none
    /// (ResourcePolicyNotFoundException) or the caller may not read it (AccessDeniedException: neither the
    /// management account nor a delegated administrator) (ORG-12).
    async fn delegation_policy(&self) -> Result<Option<String>, AwsError>;
    /// ListPolicies (SERVICE_CONTROL_POLICY), every page.
    async fn list_scps(&self) -> Result<Vec<PolicySummary>, AwsError>;
    /// ListPoliciesForTarget (SERVICE_CONTROL_POLICY), every page: the SCPs attached right at a root, OU or
    /// account.
    async fn scps_for_target(&self, target: &str) -> Result<Vec<PolicySummary>, AwsError>;
    /// ListTargetsForPolicy, every page: the roots, OUs and accounts a policy is attached to.
    async fn scp_targets(&self, id: &str) -> Result<Vec<String>, AwsError>;
    /// CreatePolicy (SERVICE_CONTROL_POLICY), tagged `trailhub:managed` = `true`: the new policy's ID.
    async fn create_scp(
        &self,
        name: &str,
        description: &str,
        content: &str,
    ) -> Result<String, AwsError>;
    /// UpdatePolicy: the policy's new content.
    async fn update_scp(&self, id: &str, content: &str) -> Result<(), AwsError>;
    /// AttachPolicy to a root, OU or account.
    async fn attach_scp(&self, id: &str, target: &str) -> Result<(), AwsError>;
    /// DetachPolicy from a root, OU or account.
    async fn detach_scp(&self, id: &str, target: &str) -> Result<(), AwsError>;
}

/// One account: CloudTrail (in the home region of the trails), and the services its log deliveries need
/// (CloudWatch Logs, IAM and EC2, through the supertraits).
#[async_trait]
pub trait Member: Logs + Roles + Network + Alarms + Send + Sync {
    async fn describe_trails(&self) -> Result<Vec<ObservedTrail>, AwsError>;
    async fn trail_status(&self, name: &str) -> Result<TrailStatus, AwsError>;
    async fn create_trail(&self, trail: &DesiredTrail) -> Result<(), AwsError>;
    async fn update_trail(&self, trail: &DesiredTrail) -> Result<(), AwsError>;
    async fn start_logging(&self, name: &str) -> Result<(), AwsError>;
    /// DeleteTrail, by name, in the trail's home region (CT-9). For `offboard`.
    async fn delete_trail(&self, name: &str) -> Result<(), AwsError>;
    /// GetEventSelectors of a trail (by name in its home region, or by ARN).
    async fn event_selectors(&self, trail: &str) -> Result<EventSelectors, AwsError>;
    /// PutEventSelectors: replaces the trail's selectors with these (basic or advanced, not both).
    async fn put_event_selectors(
        &self,
        trail: &str,
        selectors: &EventSelectors,
    ) -> Result<(), AwsError>;
    /// DescribeOrganization with the account's own credentials: the ID of its organization, None when it
    /// is in none (`AWSOrganizationsNotInUseException`, ORG-6).
    async fn organization_id(&self) -> Result<Option<String>, AwsError>;
    /// LookupEvents with `EventName` = `StopLogging` (one page, in the central region): the latest
    /// StopLogging events of the last 90 days, newest first (CT-23: 2 calls a second per account and region).
    async fn stop_logging_events(&self) -> Result<Vec<StopEvent>, AwsError>;
}

/// CloudWatch Logs in one account (the central region; [`Logs::logs_in`] for another: log groups are
/// regional, CWL-6).
#[async_trait]
pub trait Logs: Send + Sync {
    /// The same account's CloudWatch Logs in `region` (the flow logs' log group of that Region).
    fn logs_in(&self, region: &str) -> Self
    where
        Self: Sized;
    /// DescribeLogGroups: the group of exactly this name, None when there is none.
    async fn log_group(&self, name: &str) -> Result<Option<LogGroup>, AwsError>;
    async fn create_log_group(&self, name: &str) -> Result<(), AwsError>;
    /// PutRetentionPolicy.
    async fn put_retention(&self, name: &str, days: u32) -> Result<(), AwsError>;
}

/// `[alarms]` in one account and Region: CloudWatch Logs' metric filters, CloudWatch's metric alarms and
/// the SNS topic they notify (each regional: [`Alarms::alarms_in`] gives another Region's).
#[async_trait]
pub trait Alarms: Send + Sync {
    /// The same account's CloudWatch Logs, CloudWatch and SNS in `region`.
    fn alarms_in(&self, region: &str) -> Self
    where
        Self: Sized;
    /// DescribeMetricFilters of one log group, every page (none when the group does not exist).
    async fn metric_filters(&self, log_group: &str) -> Result<Vec<MetricFilter>, AwsError>;
    /// PutMetricFilter: made, or replaced by name.
    async fn put_metric_filter(&self, filter: &MetricFilter) -> Result<(), AwsError>;
    /// DescribeAlarms of the metric alarms whose names start with `prefix`, every page.
    async fn metric_alarms(&self, prefix: &str) -> Result<Vec<MetricAlarm>, AwsError>;
    /// PutMetricAlarm: made, or replaced by name.
    async fn put_metric_alarm(&self, alarm: &MetricAlarm) -> Result<(), AwsError>;
    /// GetTopicAttributes: the topic and its policy, None when there is no such topic.
    async fn topic(&self, arn: &str) -> Result<Option<Topic>, AwsError>;
    /// CreateTopic: the topic's ARN (the existing one's, when it exists with the same attributes).
    async fn create_topic(&self, name: &str) -> Result<String, AwsError>;
    /// SetTopicAttributes `Policy`.
    async fn set_topic_policy(&self, arn: &str, policy: &str) -> Result<(), AwsError>;
}

/// IAM in one account: the roles CloudTrail and VPC flow logs assume to write to CloudWatch Logs.
#[async_trait]
pub trait Roles: Send + Sync {
    /// GetRole and GetRolePolicy (`policy_name`) at once; None when the role does not exist.
    async fn role(&self, name: &str, policy_name: &str) -> Result<Option<ObservedRole>, AwsError>;
    /// CreateRole with this trust policy and permissions boundary (a managed policy's ARN); the role's ARN.
    async fn create_role(
        &self,
        name: &str,
        trust: &str,
        boundary: &str,
    ) -> Result<String, AwsError>;
    /// PutRolePermissionsBoundary: the role's boundary set to this managed policy's ARN.
    async fn put_role_boundary(&self, name: &str, boundary: &str) -> Result<(), AwsError>;
    /// GetPolicy, then GetPolicyVersion of its default version: the managed policy's document (JSON text);
    /// None when there is no such policy.
    async fn managed_policy(&self, arn: &str) -> Result<Option<String>, AwsError>;
    /// CreatePolicy: a managed policy of this name (no path) and document, in the caller's account.
    async fn create_policy(&self, name: &str, doc: &str) -> Result<(), AwsError>;
    /// UpdateAssumeRolePolicy.
    async fn update_trust(&self, name: &str, trust: &str) -> Result<(), AwsError>;
    /// PutRolePolicy: the inline policy of that name, replaced.
    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        doc: &str,
    ) -> Result<(), AwsError>;
}

/// EC2 in one account, in any Region: its Regions, its VPCs and their flow logs (VPCs and flow logs are
/// regional: each call names its Region).
#[async_trait]
pub trait Network: Send + Sync {
    /// DescribeRegions with `AllRegions` (in the central region): every Region with its opt-in status.
    async fn regions(&self) -> Result<Vec<RegionInfo>, AwsError>;
    /// DescribeVpcs in `region`: every VPC (every page).
    async fn vpcs(&self, region: &str) -> Result<Vec<Vpc>, AwsError>;
    /// DescribeFlowLogs in `region`: every flow log (every page).
    async fn flow_logs(&self, region: &str) -> Result<Vec<ObservedFlowLog>, AwsError>;
    /// CreateFlowLogs for one VPC, in its Region (`f.region`): the new flow log's ID. AWS answers some
    /// failures in `Unsuccessful` rather than as an error; they come back as an error here.
    async fn create_flow_log(&self, f: &DesiredFlowLog) -> Result<String, AwsError>;
    /// DeleteFlowLogs in `region`.
    async fn delete_flow_logs(&self, region: &str, ids: &[String]) -> Result<(), AwsError>;
}

/// KMS in the central account, in the bucket's region: the key CloudTrail encrypts with (`kms_key`).
#[async_trait]
pub trait Keys: Send + Sync {
    /// DescribeKey (a key ID, key ARN, alias name or alias ARN): None when there is no such key or alias.
    async fn describe_key(&self, key: &str) -> Result<Option<KeyInfo>, AwsError>;
    /// GetKeyPolicy: the key policy (its name is always `default`).
    async fn key_policy(&self, key_id: &str) -> Result<String, AwsError>;
    /// PutKeyPolicy, with AWS's lockout safety check left on.
    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), AwsError>;
    /// CreateKey: a symmetric, customer managed key born with this policy.
    async fn create_key(&self, policy: &str, description: &str) -> Result<KeyInfo, AwsError>;
    /// EnableKeyRotation: yearly rotation of a key trailhub made (CIS AWS Foundations asks for it, KMS.4).
    async fn enable_rotation(&self, key_id: &str) -> Result<(), AwsError>;
    /// CreateAlias (`alias/...`) for the key.
    async fn create_alias(&self, alias: &str, key_id: &str) -> Result<(), AwsError>;
}

/// The central bucket's default encryption, lifecycle and server access logging.
#[async_trait]
pub trait BucketSettings: Send + Sync {
    /// GetBucketEncryption (`BucketEncryption::None` when there is none).
    async fn bucket_encryption(&self, bucket: &BucketName) -> Result<BucketEncryption, AwsError>;
    /// PutBucketEncryption: SSE-KMS with this key and the S3 Bucket Key on.
    async fn put_bucket_kms(&self, bucket: &BucketName, key_arn: &str) -> Result<(), AwsError>;
    /// GetBucketLifecycleConfiguration: every rule (none when there is no configuration).
    async fn lifecycle_rules(&self, bucket: &BucketName) -> Result<Vec<LifecycleRule>, AwsError>;
    /// PutBucketLifecycleConfiguration with trailhub's two rules put in (rules of their IDs replaced), every
    /// other rule and `TransitionDefaultMinimumObjectSize` kept as they are: the configuration is read again
    /// just before the write (S3-8, S3-11).
    async fn put_retention_rule(
        &self,
        bucket: &BucketName,
        rule: &RetentionRule,
    ) -> Result<(), AwsError>;
    /// GetBucketLogging: None when access logging is off.
    async fn bucket_logging(&self, bucket: &BucketName) -> Result<Option<AccessLogging>, AwsError>;
    /// PutBucketLogging.
    async fn put_bucket_logging(
        &self,
        bucket: &BucketName,
        logging: &AccessLogging,
    ) -> Result<(), AwsError>;
}

/// SQS in the central account: the queue the members' alarm topics send to (`[alarms] subscribe`), and its
/// policy. Each call goes to the queue's Region.
#[async_trait]
pub trait Queues: Send + Sync {
    /// GetQueueUrl with QueueOwnerAWSAccountId: the queue's URL, None when there is no such queue.
    async fn queue_url(&self, queue: &QueueArn) -> Result<Option<String>, AwsError>;
    /// GetQueueAttributes (`Policy`): the queue's policy, None when it has none.
    async fn queue_policy(&self, queue: &QueueArn, url: &str) -> Result<Option<String>, AwsError>;
    /// SetQueueAttributes (`Policy`): the queue's policy replaced by this document.
    async fn put_queue_policy(
        &self,
        queue: &QueueArn,
        url: &str,
        policy: &str,
    ) -> Result<(), AwsError>;
}

/// SNS as the central account (the queue's owner) uses it: the subscriptions of the members' topics to the
/// queue, made and listed in each topic's Region.
#[async_trait]
pub trait CentralSns: Send + Sync {
    /// ListSubscriptions in `region`, every page: the subscriptions the caller owns.
    async fn subscriptions(&self, region: &str) -> Result<Vec<Subscription>, AwsError>;
    /// Subscribe the queue `queue_arn` to the topic (protocol `sqs`, in the topic's Region): the
    /// subscription's ARN, None when it waits for its confirmation.
    async fn subscribe(&self, topic_arn: &str, queue_arn: &str)
    -> Result<Option<String>, AwsError>;
}

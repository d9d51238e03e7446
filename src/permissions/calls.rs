//! The catalogue of every AWS call trailhub makes (pure, no AWS type): the operation as `aws::sdk` names it
//! in its errors, the IAM action it needs, on which resource, by whom, whether it reads or writes, and for
//! which features of accounts.toml. `trailhub permissions` builds its policies from this list only, and the
//! tests hold it equal to the calls in `src/aws/sdk/` and to the calls the fake sees: it cannot drift.

/// Who makes a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The central identity only (STS, Organizations, the bucket, the KMS key).
    Central,
    /// The member role only.
    Member,
    /// The member role, and the central identity in the central account: its writes for the central
    /// account's own trail and VPCs (`central.trail_name`), its reads always (`audit` looks at the central
    /// account even when trailhub does not manage its trail).
    Both,
}

/// What a grant applies to; the builder turns it into ARNs from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum On {
    /// `members.role_name` in every account, and each `[[account]] role_arn`.
    MemberRoles,
    /// The central bucket.
    Bucket,
    /// `central.access_log_bucket`.
    AccessLogBucket,
    /// The KMS key of `kms_key` (`key/*` of the bucket's region when trailhub makes it or it is an alias).
    Key,
    /// `alias/trailhub-cloudtrail` (`kms_key = "create"`).
    Alias,
    /// `[cloudwatch] role_name`, the role CloudTrail delivers to CloudWatch Logs with.
    CloudTrailRole,
    /// `[flow_logs] role_name`, the role VPC Flow Logs delivers to CloudWatch Logs with.
    FlowLogsRole,
    /// trailhub's permissions boundary of the delivery roles, `trailhub-delivery-boundary`
    /// (`permissions_boundary = "create"`).
    BoundaryPolicy,
    /// trailhub's trails: the trail name templates (`members.trail_name`, each `[[account]] trail_name`,
    /// `central.trail_name`) with `{id}` and `{name}` as `*`.
    OwnTrails,
    /// trailhub's log groups: the `log_group` templates of `[cloudwatch]` and `[flow_logs]`, `{id}` and
    /// `{name}` as `*`.
    OwnLogGroups,
    /// The VPCs trailhub makes flow logs for: `vpc/*` of the account, any Region (CreateFlowLogs authorizes
    /// the VPC it names besides the flow log it makes, VPC-10).
    FlowLogVpcs,
    /// The flow log CreateFlowLogs makes (`vpc-flow-log/*`), only with trailhub's tag in the request
    /// (`aws:RequestTag/trailhub:managed` = `true`, and no other tag key).
    NewFlowLogs,
    /// The tag on create of a new flow log: ec2:CreateTags on `vpc-flow-log/*`, only within CreateFlowLogs
    /// (`ec2:CreateAction`) and only trailhub's tag, so that the role can tag no existing flow log.
    NewFlowLogTags,
    /// trailhub's flow logs: `vpc-flow-log/*` that carry its tag (`aws:ResourceTag/trailhub:managed` =
    /// `true`, VPC-9).
    OwnFlowLogs,
    /// The central queue of `[alarms] subscribe` (each SQS queue ARN it lists).
    AlarmQueue,
    /// The members' alarm topics the central account subscribes the queue to: `arn:<partition>:sns:*:*:<topic_name>`
    /// (any member account, any Region).
    AlarmTopics,
    /// `[alarms]`: any log group of the account (the CIS metric filters go on trailhub's group, or on the
    /// group of a trail that already covers the account, whose name is not known before).
    AlarmLogGroups,
    /// `[alarms]`: trailhub's alarms, `alarm:trailhub-cis-*` of the account, any Region.
    OwnAlarms,
    /// `[alarms]`: the SNS topic `topic_name` of the account, any Region.
    AlarmTopic,
    /// Service control policies (`policy/*/service_control_policy/*`: trailhub's SCP's ID is AWS's) and the
    /// roots and OUs they attach to, of any organization (the management account's ID is not in the
    /// config).
    Scps,
    /// `*`: the action takes no resource, or its resources are not known before the call.
    Any,
}

/// Whether a call only reads (an audit identity needs only these) or may change something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The features of accounts.toml that make a call needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// `source = "organizations"` listed with ListAccounts (no `organizational_units`).
    OrgList,
    /// `source = "organizations"` with `organizational_units` or `exclude_organizational_units`.
    OuWalk,
    /// `[cloudwatch]`.
    CloudWatch,
    /// A log group in each account: `[cloudwatch]`, or `[flow_logs]` to `cloudwatch`.
    LogGroups,
    /// `[flow_logs]`.
    FlowLogs,
    /// `[flow_logs]` with the `s3` destination.
    FlowLogsS3,
    /// `[flow_logs]` with the `cloudwatch` destination.
    FlowLogsCloudWatch,
    /// `permissions_boundary = "create"` for a delivery role that is configured (trailhub reads its
    /// boundary policy's document before it uses it).
    BoundaryRead,
    /// The same, and the boundary policy is trailhub's to make: not when `permissions --format
    /// cloudformation`'s stack makes it beside the member role.
    BoundaryCreate,
    /// `kms_key`, either form.
    Kms,
    /// `kms_key = "create"`.
    KmsCreate,
    /// `retention_days`.
    Retention,
    /// `access_log_bucket`.
    AccessLog,
    /// `[alarms]`.
    Alarms,
    /// `trailhub offboard` only: always granted (the command takes no feature of its own), documented so.
    Offboard,
    /// `trailhub offboard` with `source = "organizations"`.
    OffboardOrg,
    /// `[alarms] subscribe` with an SQS queue of the central account.
    AlarmQueue,
    /// `[guardrails]`: trailhub's service control policy.
    Guardrails,
}

/// One permission one call needs: a call that needs several (on several resources) has several rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The operation, exactly as `aws::sdk` names it (`aws_err("CreateTrail", e)`).
    pub operation: &'static str,
    /// The IAM action; None for the one call that needs none (GetCallerIdentity).
    pub action: Option<&'static str>,
    pub on: On,
    pub by: By,
    pub access: Access,
    pub when: When,
    /// When it is made, in a few words (docs/iam-permissions.md's table).
    pub why: &'static str,
}

const fn need(
    operation: &'static str,
    action: &'static str,
    on: On,
    by: By,
    access: Access,
    when: When,
    why: &'static str,
) -> Need {
    Need {
        operation,
        action: Some(action),
        on,
        by,
        access,
        when,
        why,
    }
}

use Access::{Read, Write};
use By::{Both, Central, Member};
use On::{
    AccessLogBucket, AlarmLogGroups, AlarmTopic, AlarmTopics, Alias, Any, BoundaryPolicy, Bucket,
    CloudTrailRole, FlowLogVpcs, FlowLogsRole, Key, MemberRoles, NewFlowLogTags, NewFlowLogs,
    OwnAlarms, OwnFlowLogs, OwnLogGroups, OwnTrails, Scps,
};

/// The role writes trailhub makes that IAM lets a policy condition on `iam:PermissionsBoundary` (the
/// Service Authorization Reference lists the key for each; docs/aws-rules.md IAM-11): the policies grant
/// them only with the delivery role's boundary. For CreateRole and PutRolePermissionsBoundary the key is
/// the boundary in the request; for the others, the boundary the role has.
pub const BOUNDED: [&str; 4] = [
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
];
use When::*;

/// Every call trailhub makes, with every permission it needs (a table: one row a line).
#[rustfmt::skip]
pub const NEEDS: &[Need] = &[
    Need {
        operation: "GetCallerIdentity",
        action: None,
        on: Any,
        by: Central,
        access: Read,
        when: Always,
        why: "every command that reaches AWS: is the caller central.account_id?",
    },
    // Organizations
    need("ListAccounts", "organizations:ListAccounts", Any, Central, Read, OrgList, "the organization's accounts"),
    need("ListRoots", "organizations:ListRoots", Any, Central, Read, OuWalk, "the walk by OU"),
    need("ListOrganizationalUnitsForParent", "organizations:ListOrganizationalUnitsForParent", Any, Central, Read, OuWalk, "the walk by OU"),
    need("ListAccountsForParent", "organizations:ListAccountsForParent", Any, Central, Read, OuWalk, "the walk by OU"),
    need("DescribeAccount", "organizations:DescribeAccount", Any, Central, Read, OffboardOrg, "offboard only: is the account in the organization?"),
    need("DescribeOrganization", "organizations:DescribeOrganization", Any, Both, Read, Always, "organizations: the organization's ID (policy form, evaluator); plan, apply: is the central account in one (RCPs)?; with a static list, each account's own organization when a policy in force tests aws:SourceOrgID, aws:SourceOrgPaths or aws:PrincipalOrgID; audit, when the central account sees an organization trail: its ID with a static list, the management account that owns it"),
    need("ListParents", "organizations:ListParents", Any, Central, Read, Always, "plan, apply: the OUs and root above the central account, whose RCPs apply to the bucket and key"),
    need("ListPoliciesForTarget", "organizations:ListPoliciesForTarget", Any, Central, Read, Always, "plan, apply: the RCPs attached to the central account, its OUs and root"),
    need("DescribePolicy", "organizations:DescribePolicy", Any, Central, Read, Always, "plan, apply: each RCP's content"),
    need("DescribeResourcePolicy", "organizations:DescribeResourcePolicy", Any, Central, Read, Guardrails, "guardrails, when the central account is not the management account: does the delegation policy let it manage SCPs?"),
    need("ListPolicies", "organizations:ListPolicies", Any, Central, Read, Guardrails, "guardrails: trailhub's SCP, found by its name"),
    need("ListTargetsForPolicy", "organizations:ListTargetsForPolicy", Any, Central, Read, Guardrails, "guardrails: where trailhub's SCP is attached (--prune detaches it where no longer in scope)"),
    need("ListRoots", "organizations:ListRoots", Any, Central, Read, Guardrails, "guardrails without organizational_units: the root the SCP is attached to"),
    need("CreatePolicy", "organizations:CreatePolicy", Any, Central, Write, Guardrails, "apply, guardrails: trailhub's SCP, once"),
    need("CreatePolicy", "organizations:TagResource", Any, Central, Write, Guardrails, "apply, guardrails: the SCP is tagged trailhub:managed at creation"),
    need("UpdatePolicy", "organizations:UpdatePolicy", Scps, Central, Write, Guardrails, "apply, guardrails: when the SCP's content differs (backed up first)"),
    need("AttachPolicy", "organizations:AttachPolicy", Scps, Central, Write, Guardrails, "apply, guardrails: to each OU of organizational_units, or the root"),
    need("DetachPolicy", "organizations:DetachPolicy", Scps, Central, Write, Guardrails, "guardrails: trailhub's attachment only, where it no longer covers anything"),
    need("AssumeRole", "sts:AssumeRole", MemberRoles, Central, Read, Always, "plan, apply, audit, inventory: every member"),
    // the central bucket
    need("HeadBucket", "s3:ListBucket", Bucket, Central, Read, Always, "every command: does the bucket exist?"),
    need("GetBucketPolicy", "s3:GetBucketPolicy", Bucket, Central, Read, Always, "every command"),
    need("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", Bucket, Central, Read, Always, "every command: the bucket's guards"),
    need("GetBucketVersioning", "s3:GetBucketVersioning", Bucket, Central, Read, Always, "every command: the bucket's guards"),
    need("GetBucketEncryption", "s3:GetEncryptionConfiguration", Bucket, Central, Read, Always, "every command: the bucket's guards (and kms_key)"),
    need("ListObjectsV2", "s3:ListBucket", Bucket, Central, Read, Always, "audit: the recent log files of each account"),
    need("PutBucketPolicy", "s3:PutBucketPolicy", Bucket, Central, Write, Always, "apply, when the policy changes; restore-policy; offboard"),
    need("CreateBucket", "s3:CreateBucket", Bucket, Central, Write, Always, "apply, if the bucket does not exist"),
    need("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", Bucket, Central, Write, Always, "apply, if a guard is off"),
    need("PutBucketVersioning", "s3:PutBucketVersioning", Bucket, Central, Write, Always, "apply, if a guard is off"),
    need("PutBucketEncryption", "s3:PutEncryptionConfiguration", Bucket, Central, Write, Always, "apply, if a guard is off; kms_key: SSE-KMS with the key"),
    need("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", Bucket, Central, Read, Retention, "the lifecycle rules (again just before a write)"),
    need("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", Bucket, Central, Write, Retention, "apply, when trailhub's rule is missing or differs"),
    need("GetBucketLogging", "s3:GetBucketLogging", Bucket, Central, Read, AccessLog, "the bucket's server access logging"),
    need("PutBucketLogging", "s3:PutBucketLogging", Bucket, Central, Write, AccessLog, "apply, when logging is off or goes elsewhere"),
    need("HeadBucket", "s3:ListBucket", AccessLogBucket, Central, Read, AccessLog, "does the access log bucket exist?"),
    need("GetBucketPolicy", "s3:GetBucketPolicy", AccessLogBucket, Central, Read, AccessLog, "may the S3 logging service write to it?"),
    // the KMS key
    need("DescribeKey", "kms:DescribeKey", Key, Central, Read, Kms, "the key (by its alias for \"create\")"),
    need("GetKeyPolicy", "kms:GetKeyPolicy", Key, Central, Read, Kms, "the key policy, and its read-back after a write"),
    need("PutKeyPolicy", "kms:PutKeyPolicy", Key, Central, Write, Kms, "apply, when trailhub's statements change"),
    need("CreateKey", "kms:CreateKey", Any, Central, Write, KmsCreate, "apply, once (the key does not exist yet)"),
    need("EnableKeyRotation", "kms:EnableKeyRotation", Key, Central, Write, KmsCreate, "right after CreateKey"),
    need("CreateAlias", "kms:CreateAlias", Alias, Central, Write, KmsCreate, "after EnableKeyRotation: on the alias..."),
    need("CreateAlias", "kms:CreateAlias", Key, Central, Write, KmsCreate, "...and on the key"),
    // CloudTrail, in each account
    need("DescribeTrails", "cloudtrail:DescribeTrails", Any, Both, Read, Always, "plan, apply, audit, inventory"),
    need("GetTrailStatus", "cloudtrail:GetTrailStatus", Any, Both, Read, Always, "when the trail exists; audit, inventory: each trail the account shows"),
    need("GetEventSelectors", "cloudtrail:GetEventSelectors", Any, Both, Read, Always, "when the trail exists; audit, inventory: each trail the account shows"),
    need("LookupEvents", "cloudtrail:LookupEvents", Any, Both, Read, Always, "audit: who stopped a trail that is not logging (one call for an account with one, CT-23)"),
    need("CreateTrail", "cloudtrail:CreateTrail", OwnTrails, Both, Write, Always, "apply, if the trail is missing"),
    need("CreateTrail", "iam:PassRole", CloudTrailRole, Both, Write, CloudWatch, "CloudTrail is handed the role"),
    need("UpdateTrail", "cloudtrail:UpdateTrail", OwnTrails, Both, Write, Always, "apply, if the trail's settings differ"),
    need("UpdateTrail", "iam:PassRole", CloudTrailRole, Both, Write, CloudWatch, "CloudTrail is handed the role"),
    need("PutEventSelectors", "cloudtrail:PutEventSelectors", OwnTrails, Both, Write, Always, "apply, if the selectors miss management events"),
    need("StartLogging", "cloudtrail:StartLogging", OwnTrails, Both, Write, Always, "apply, if the trail is not logging"),
    need("DeleteTrail", "cloudtrail:DeleteTrail", OwnTrails, Member, Write, Offboard, "offboard only: the account's trailhub trail"),
    // CloudWatch Logs and the delivery roles, in each account
    need("DescribeLogGroups", "logs:DescribeLogGroups", Any, Both, Read, LogGroups, "plan, apply, audit, inventory"),
    need("CreateLogGroup", "logs:CreateLogGroup", OwnLogGroups, Both, Write, LogGroups, "apply, if the group is missing"),
    need("PutRetentionPolicy", "logs:PutRetentionPolicy", OwnLogGroups, Both, Write, LogGroups, "apply, for a new group or another retention"),
    need("GetRole", "iam:GetRole", CloudTrailRole, Both, Read, CloudWatch, "the delivery role"),
    need("GetRole", "iam:GetRole", FlowLogsRole, Both, Read, FlowLogsCloudWatch, "the delivery role"),
    need("GetRolePolicy", "iam:GetRolePolicy", CloudTrailRole, Both, Read, CloudWatch, "trailhub's inline policy on the role"),
    need("GetRolePolicy", "iam:GetRolePolicy", FlowLogsRole, Both, Read, FlowLogsCloudWatch, "trailhub's inline policy on the role"),
    need("CreateRole", "iam:CreateRole", CloudTrailRole, Both, Write, CloudWatch, "apply, if the role is missing"),
    need("CreateRole", "iam:CreateRole", FlowLogsRole, Both, Write, FlowLogsCloudWatch, "apply, if the role is missing"),
    need("UpdateAssumeRolePolicy", "iam:UpdateAssumeRolePolicy", CloudTrailRole, Both, Write, CloudWatch, "apply, if the trust lacks trailhub's statement"),
    need("UpdateAssumeRolePolicy", "iam:UpdateAssumeRolePolicy", FlowLogsRole, Both, Write, FlowLogsCloudWatch, "apply, if the trust lacks trailhub's statement"),
    need("PutRolePolicy", "iam:PutRolePolicy", CloudTrailRole, Both, Write, CloudWatch, "apply, if trailhub's inline policy differs"),
    need("PutRolePolicy", "iam:PutRolePolicy", FlowLogsRole, Both, Write, FlowLogsCloudWatch, "apply, if trailhub's inline policy differs"),
    need("PutRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", CloudTrailRole, Both, Write, CloudWatch, "apply, if the role lacks its permissions boundary (made by an older trailhub)"),
    need("PutRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", FlowLogsRole, Both, Write, FlowLogsCloudWatch, "apply, if the role lacks its permissions boundary (made by an older trailhub)"),
    need("GetPolicy", "iam:GetPolicy", BoundaryPolicy, Both, Read, BoundaryRead, "plan, apply, audit: does trailhub's boundary policy exist, and which version is its default?"),
    need("GetPolicyVersion", "iam:GetPolicyVersion", BoundaryPolicy, Both, Read, BoundaryRead, "plan, apply, audit: does it hold exactly trailhub's document?"),
    need("CreatePolicy", "iam:CreatePolicy", BoundaryPolicy, Both, Write, BoundaryCreate, "apply, once per account, if the boundary policy is missing (never a new version)"),
    // VPC flow logs, in each account
    need("DescribeVpcs", "ec2:DescribeVpcs", Any, Both, Read, FlowLogs, "plan, apply, audit, inventory"),
    need("DescribeFlowLogs", "ec2:DescribeFlowLogs", Any, Both, Read, FlowLogs, "plan, apply, audit, inventory"),
    need("DescribeRegions", "ec2:DescribeRegions", Any, Both, Read, FlowLogs, "plan, apply, audit, offboard, inventory"),
    need("CreateFlowLogs", "ec2:CreateFlowLogs", FlowLogVpcs, Both, Write, FlowLogs, "apply, for a VPC without a right flow log: on the VPC..."),
    need("CreateFlowLogs", "ec2:CreateFlowLogs", NewFlowLogs, Both, Write, FlowLogs, "...and on the new flow log, with trailhub's tag in the request"),
    need("CreateFlowLogs", "ec2:CreateTags", NewFlowLogTags, Both, Write, FlowLogs, "the tag on create (trailhub:managed), within CreateFlowLogs only"),
    need("CreateFlowLogs", "logs:CreateLogDelivery", Any, Both, Write, FlowLogsS3, "to S3: the log delivery"),
    need("CreateFlowLogs", "logs:DeleteLogDelivery", Any, Both, Write, FlowLogsS3, "to S3: the log delivery"),
    need("CreateFlowLogs", "iam:PassRole", FlowLogsRole, Both, Write, FlowLogsCloudWatch, "to CloudWatch Logs: VPC Flow Logs is handed the role"),
    need("DeleteFlowLogs", "ec2:DeleteFlowLogs", OwnFlowLogs, Both, Write, FlowLogs, "apply, after replacing a flow log; offboard: only flow logs with trailhub's tag"),
    need("DeleteFlowLogs", "logs:DeleteLogDelivery", Any, Both, Write, FlowLogsS3, "to S3: the log delivery"),
    // the central queue of [alarms] subscribe and the subscriptions of the members' topics to it
    need("GetQueueUrl", "sqs:GetQueueUrl", On::AlarmQueue, Central, Read, When::AlarmQueue, "apply, audit: the queue's URL (by name and owner)"),
    need("GetQueueAttributes", "sqs:GetQueueAttributes", On::AlarmQueue, Central, Read, When::AlarmQueue, "apply, audit: the queue's policy, and its read-back after a write"),
    need("SetQueueAttributes", "sqs:SetQueueAttributes", On::AlarmQueue, Central, Write, When::AlarmQueue, "apply, when trailhub's queue policy statement changes"),
    need("ListSubscriptions", "sns:ListSubscriptions", Any, Central, Read, When::AlarmQueue, "apply, audit: the central account's subscriptions, in each topic's Region"),
    need("Subscribe", "sns:Subscribe", AlarmTopics, Central, Write, When::AlarmQueue, "apply, for a member's topic not yet subscribed to the queue"),
    // [alarms]: the CIS metric filters, alarms and their SNS topic, in each account
    need("DescribeMetricFilters", "logs:DescribeMetricFilters", AlarmLogGroups, Both, Read, Alarms, "plan, apply, audit: the filters on the trail's log group"),
    need("PutMetricFilter", "logs:PutMetricFilter", AlarmLogGroups, Both, Write, Alarms, "apply, if a CIS filter is missing or changed"),
    need("DescribeAlarms", "cloudwatch:DescribeAlarms", Any, Both, Read, Alarms, "plan, apply, audit: trailhub's alarms (trailhub-cis-*)"),
    need("PutMetricAlarm", "cloudwatch:PutMetricAlarm", OwnAlarms, Both, Write, Alarms, "apply, if a CIS alarm is missing, changed or without its action"),
    need("GetTopicAttributes", "sns:GetTopicAttributes", AlarmTopic, Both, Read, Alarms, "plan, apply, audit: the alarms' topic and its policy"),
    need("CreateTopic", "sns:CreateTopic", AlarmTopic, Both, Write, Alarms, "apply, if the topic is missing"),
    need("SetTopicAttributes", "sns:SetTopicAttributes", AlarmTopic, Both, Write, Alarms, "apply, if the topic policy lacks trailhub's statements"),
];

/// Every operation of the catalogue, once each, in catalogue order.
pub fn operations() -> Vec<&'static str> {
    let mut ops: Vec<&'static str> = Vec::new();
    for n in NEEDS {
        if !ops.contains(&n.operation) {
            ops.push(n.operation);
        }
    }
    ops
}

//! The fake's CloudWatch Logs, IAM and EC2 flow logs in each account, enforcing the AWS rules trailhub
//! relies on (docs/aws-rules.md) where moto does not: log group names and retention values, CloudTrail's
//! use of a role it must be able to assume (not before the role has propagated) and of an existing group,
//! and a flow log to S3 only where the bucket policy lets `delivery.logs.amazonaws.com` write, and never the
//! bucket owner's under a policy with NotPrincipal or NotAction (DL-5).

use async_trait::async_trait;

use super::{FakeMember, FakeRole};
use crate::aws::{
    AwsError, DesiredFlowLog, DesiredTrail, FlowLogDestination, LogGroup, Logs, MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE, Network, ObservedFlowLog, ObservedRole, RegionInfo, Roles, S3Options, Vpc,
};
use crate::config::{RETENTION_DAYS, check_log_group_name};
use crate::plan::evaluate::Delivery;
use crate::plan::layout;

pub(crate) const DELIVERY_LOGS: &str = "delivery.logs.amazonaws.com";

impl FakeMember {
    fn arn_prefix(&self, service: &str) -> String {
        let w = self.aws.world();
        let partition = crate::model::Region::try_from(w.region.clone())
            .map(|r| r.partition().to_owned())
            .unwrap_or_else(|_| "aws".to_owned());
        match service {
            "iam" => format!("arn:{partition}:iam::{}:", self.account),
            "logs" => {
                let region = self.logs_region.as_ref().unwrap_or(&w.region);
                format!("arn:{partition}:logs:{region}:{}:", self.account)
            }
            _ => format!("arn:{partition}:{service}:{}:{}:", w.region, self.account),
        }
    }

    /// AccessDenied when the world denies `op` to this account (see `World::deny_calls`).
    pub(super) fn allowed(&self, op: &'static str) -> Result<(), AwsError> {
        let denied = self
            .aws
            .world()
            .deny_calls
            .contains(&(self.account.clone(), op.to_owned()));
        if denied {
            let m = format!(
                "User is not authorized to perform: {op} (explicit deny in a service control policy)"
            );
            return Err(AwsError::new(op, "AccessDenied", m));
        }
        Ok(())
    }

    /// CloudTrail's checks of `CloudWatchLogsLogGroupArn` and `CloudWatchLogsRoleArn`.
    pub(super) fn check_trail_logs(
        &self,
        op: &'static str,
        t: &DesiredTrail,
    ) -> Result<(), AwsError> {
        let Some(cw) = &t.cloudwatch else {
            return Ok(());
        };
        let role_error = |m: &str| AwsError::new(op, "InvalidCloudWatchLogsRoleArnException", m);
        let group_error =
            |m: &str| AwsError::new(op, "InvalidCloudWatchLogsLogGroupArnException", m);
        if cw.role_arn.is_empty() {
            return Err(role_error(
                "You must specify a role ARN as well as a log group.",
            ));
        }
        let group = cw
            .log_group_arn
            .strip_prefix(&format!("{}log-group:", self.arn_prefix("logs")))
            .and_then(|g| g.strip_suffix(":*"))
            .ok_or_else(|| group_error("Log group ARN is not valid."))?
            .to_owned();
        let role = cw
            .role_arn
            .strip_prefix(&format!("{}role/", self.arn_prefix("iam")))
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned())
            .ok_or_else(|| role_error("Role ARN is not valid."))?;
        let w = self.aws.world();
        let usable = w
            .roles
            .get(&self.account)
            .and_then(|r| r.get(&role))
            .filter(|r| r.trust.contains(crate::plan::policy::CLOUDTRAIL))
            .filter(|r| tokio::time::Instant::now() >= r.created + w.role_propagation);
        if usable.is_none() {
            return Err(role_error(
                "Access denied. Check the trust relationships for your role.",
            ));
        }
        let exists = w
            .log_groups
            .get(&self.account)
            .is_some_and(|g| g.contains_key(&group));
        if !exists {
            return Err(group_error(
                "Access denied. Check the permissions for your role.",
            ));
        }
        Ok(())
    }

    /// Whether the bucket policy lets delivery.logs write this account's flow logs at `arn`.
    fn flow_logs_allowed(&self, arn: &str, options: &S3Options) -> Result<(), String> {
        let rest = arn.split_once(":::").map(|(_, r)| r).unwrap_or_default();
        let (bucket, prefix) = match rest.split_once('/') {
            Some((b, p)) => (
                b,
                Some(p.trim_matches('/').to_owned()).filter(|p| !p.is_empty()),
            ),
            None => (rest, None),
        };
        let w = self.aws.world();
        let Some(policy) = w.buckets.get(bucket) else {
            return Err(format!("LogDestination: {bucket} does not exist"));
        };
        let Some(policy) = policy.as_deref().and_then(|p| serde_json::from_str(p).ok()) else {
            return Err(format!(
                "Access Denied for LogDestination: {bucket}. Please check LogDestination permission"
            ));
        };
        let partition = arn.split(':').nth(1).unwrap_or("aws").to_owned();
        let target = Delivery {
            // as the planner's `flow_log_delivery`: a concrete ARN that `ArnLike arn:...:logs:<region>:<id>:*`
            // matches (a pattern's own text would match an exact StringEquals of it, which AWS's would not)
            source_arn: format!(
                "arn:{partition}:logs:{}:{}:vpc-flow-log-delivery",
                w.region, self.account
            ),
            partition,
            bucket: bucket.to_owned(),
            key_prefix: prefix,
            account_id: self.account.clone(),
            source_account: self.account.clone(),
            // as for trails: AWS puts aws:SourceOrgID in the request context of an organization's accounts
            org_id: w.source_org(&self.account).0,
            org_path: w.source_org(&self.account).1,
            service: DELIVERY_LOGS.to_owned(),
            // DL-6: with Hive-compatible partitions the keys are `AWSLogs/aws-account-id=<id>/...`
            log_kind: if options.hive_compatible_partitions {
                layout::HIVE_FLOW_LOGS
            } else {
                layout::FLOW_LOGS
            }
            .to_owned(),
            region: w.region.clone(),
        };
        if w.delivery_allowed(&policy, &target) {
            Ok(())
        } else {
            Err(format!(
                "Access Denied for LogDestination: {bucket}. Please check LogDestination permission"
            ))
        }
    }
}

#[async_trait]
impl Logs for FakeMember {
    fn logs_in(&self, region: &str) -> Self {
        let world_region = self.aws.world().region.clone();
        FakeMember {
            aws: self.aws.clone(),
            account: self.account.clone(),
            logs_region: (region != world_region).then(|| region.to_owned()),
        }
    }

    async fn log_group(&self, name: &str) -> Result<Option<LogGroup>, AwsError> {
        self.aws.call("DescribeLogGroups").await;
        let arn = format!("{}log-group:{name}", self.arn_prefix("logs"));
        let w = self.aws.world();
        Ok(w.log_groups
            .get(&self.groups_key())
            .and_then(|g| g.get(name))
            .map(|retention| LogGroup {
                name: name.to_owned(),
                arn,
                retention_days: *retention,
            }))
    }

    async fn create_log_group(&self, name: &str) -> Result<(), AwsError> {
        self.aws.call("CreateLogGroup").await;
        self.allowed("CreateLogGroup")?;
        check_log_group_name(name)
            .map_err(|m| AwsError::new("CreateLogGroup", "InvalidParameterException", m))?;
        let mut w = self.aws.world();
        let groups = w.log_groups.entry(self.groups_key()).or_default();
        if groups.contains_key(name) {
            return Err(AwsError::new(
                "CreateLogGroup",
                "ResourceAlreadyExistsException",
                "The specified log group already exists",
            ));
        }
        groups.insert(name.to_owned(), None);
        Ok(())
    }

    async fn put_retention(&self, name: &str, days: u32) -> Result<(), AwsError> {
        self.aws.call("PutRetentionPolicy").await;
        self.allowed("PutRetentionPolicy")?;
        if !RETENTION_DAYS.contains(&days) {
            return Err(AwsError::new(
                "PutRetentionPolicy",
                "InvalidParameterException",
                format!(
                    "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint"
                ),
            ));
        }
        let mut w = self.aws.world();
        match w
            .log_groups
            .get_mut(&self.groups_key())
            .and_then(|g| g.get_mut(name))
        {
            Some(r) => {
                *r = Some(days);
                Ok(())
            }
            None => Err(AwsError::new(
                "PutRetentionPolicy",
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            )),
        }
    }
}

#[async_trait]
impl Roles for FakeMember {
    async fn role(&self, name: &str, policy_name: &str) -> Result<Option<ObservedRole>, AwsError> {
        self.aws.call("GetRole").await;
        self.aws.call("GetRolePolicy").await;
        let arn = format!("{}role/{name}", self.arn_prefix("iam"));
        let w = self.aws.world();
        Ok(w.roles
            .get(&self.account)
            .and_then(|r| r.get(name))
            .map(|r| ObservedRole {
                name: name.to_owned(),
                arn,
                trust: r.trust.clone(),
                policy: r.policies.get(policy_name).cloned(),
                permissions_boundary: r.boundary.clone(),
            }))
    }

    async fn create_role(
        &self,
        name: &str,
        trust: &str,
        boundary: &str,
    ) -> Result<String, AwsError> {
        self.aws.call("CreateRole").await;
        self.allowed("CreateRole")?;
        if serde_json::from_str::<serde_json::Value>(trust).is_err() {
            return Err(AwsError::new(
                "CreateRole",
                "MalformedPolicyDocument",
                "This policy contains invalid Json",
            ));
        }
        let arn = format!("{}role/{name}", self.arn_prefix("iam"));
        let mut w = self.aws.world();
        super::iam::check_boundary(&w, "CreateRole", boundary)?;
        let roles = w.roles.entry(self.account.clone()).or_default();
        if roles.contains_key(name) {
            return Err(AwsError::new(
                "CreateRole",
                "EntityAlreadyExists",
                format!("Role with name {name} already exists."),
            ));
        }
        roles.insert(name.to_owned(), super::iam::role(trust, boundary));
        Ok(arn)
    }

    async fn put_role_boundary(&self, name: &str, boundary: &str) -> Result<(), AwsError> {
        let op = "PutRolePermissionsBoundary";
        self.aws.call(op).await;
        self.allowed(op)?;
        super::iam::check_boundary(&self.aws.world(), op, boundary)?;
        self.with_role(op, name, |r| r.boundary = Some(boundary.to_owned()))
    }

    async fn managed_policy(&self, arn: &str) -> Result<Option<String>, AwsError> {
        self.aws.call("GetPolicy").await;
        let exists = self.aws.world().managed_policies.contains_key(arn);
        if !exists {
            return Ok(None);
        }
        self.aws.call("GetPolicyVersion").await;
        let w = self.aws.world();
        Ok(w.managed_policies
            .get(arn)
            .and_then(|p| p.document().map(str::to_owned)))
    }

    async fn create_policy(&self, name: &str, doc: &str) -> Result<(), AwsError> {
        self.aws.call("CreatePolicy").await;
        self.allowed("CreatePolicy")?;
        let arn = format!("{}policy/{name}", self.arn_prefix("iam"));
        super::iam::create_policy(&mut self.aws.world(), arn, name, doc)
    }

    async fn update_trust(&self, name: &str, trust: &str) -> Result<(), AwsError> {
        self.aws.call("UpdateAssumeRolePolicy").await;
        self.allowed("UpdateAssumeRolePolicy")?;
        self.with_role("UpdateAssumeRolePolicy", name, |r| {
            r.trust = trust.to_owned();
        })
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        doc: &str,
    ) -> Result<(), AwsError> {
        self.aws.call("PutRolePolicy").await;
        self.allowed("PutRolePolicy")?;
        if serde_json::from_str::<serde_json::Value>(doc).is_err() {
            return Err(AwsError::new(
                "PutRolePolicy",
                "MalformedPolicyDocument",
                "This policy contains invalid Json",
            ));
        }
        self.with_role("PutRolePolicy", role, |r| {
            r.policies.insert(policy_name.to_owned(), doc.to_owned());
        })
    }
}

impl FakeMember {
    fn with_role(
        &self,
        op: &'static str,
        name: &str,
        f: impl FnOnce(&mut FakeRole),
    ) -> Result<(), AwsError> {
        let mut w = self.aws.world();
        match w.roles.get_mut(&self.account).and_then(|r| r.get_mut(name)) {
            Some(r) => {
                f(r);
                Ok(())
            }
            None => Err(AwsError::new(
                op,
                "NoSuchEntity",
                format!("The role with name {name} cannot be found."),
            )),
        }
    }
}

#[async_trait]
impl Network for FakeMember {
    async fn regions(&self) -> Result<Vec<RegionInfo>, AwsError> {
        self.aws.call("DescribeRegions").await;
        self.allowed("DescribeRegions")?;
        Ok(self.aws.world().regions_of(&self.account))
    }

    async fn vpcs(&self, region: &str) -> Result<Vec<Vpc>, AwsError> {
        self.aws.call("DescribeVpcs").await;
        self.in_region(region, "DescribeVpcs")?;
        Ok(self.aws.world().vpcs_of(&self.account, region))
    }

    async fn flow_logs(&self, region: &str) -> Result<Vec<ObservedFlowLog>, AwsError> {
        self.aws.call("DescribeFlowLogs").await;
        self.in_region(region, "DescribeFlowLogs")?;
        let w = self.aws.world();
        let all = w.flow_logs.get(&self.account).into_iter().flatten();
        Ok(all.filter(|f| f.region == region).cloned().collect())
    }

    async fn create_flow_log(&self, f: &DesiredFlowLog) -> Result<String, AwsError> {
        self.aws.call("CreateFlowLogs").await;
        self.allowed("CreateFlowLogs")?;
        self.in_region(&f.region, "CreateFlowLogs")?;
        let fail = |code: &str, m: String| Err(AwsError::new("CreateFlowLogs", code, m));
        if !matches!(f.max_aggregation_interval, 60 | 600) {
            return fail(
                "InvalidParameter",
                "MaxAggregationInterval must be 60 or 600".into(),
            );
        }
        if !matches!(f.traffic_type.as_str(), "ACCEPT" | "REJECT" | "ALL") {
            return fail(
                "InvalidParameter",
                format!("Invalid TrafficType {}", f.traffic_type),
            );
        }
        if let Some(m) = self.refuse_destination(&f.target) {
            return fail("InvalidParameter", m);
        }
        let mut w = self.aws.world();
        let logs = w.flow_logs.entry(self.account.clone()).or_default();
        if logs.iter().any(|l| duplicate(l, f)) {
            return fail(
                "FlowLogAlreadyExists",
                "Error. There is an existing Flow Log with the same configuration and log destination.".into(),
            );
        }
        w.next_id += 1;
        let id = format!("fl-{:017x}", w.next_id);
        let log = ObservedFlowLog {
            id: id.clone(),
            region: f.region.clone(),
            resource_id: f.vpc_id.clone(),
            target: f.target.clone(),
            traffic_type: f.traffic_type.clone(),
            max_aggregation_interval: Some(f.max_aggregation_interval),
            log_format: Some(f.log_format.clone()),
            deliver_logs_status: Some("SUCCESS".into()),
            deliver_logs_error: None,
            // the tag on create that the SDK sends (VPC-8), kept and returned as EC2 does
            tags: [(MANAGED_TAG_KEY.to_owned(), MANAGED_TAG_VALUE.to_owned())].into(),
        };
        w.flow_logs
            .entry(self.account.clone())
            .or_default()
            .push(log);
        drop(w);
        if let FlowLogDestination::S3 { arn, .. } = &f.target
            && self.owner_trap(arn)
        {
            self.overwrite_policy(arn);
        }
        Ok(id)
    }

    async fn delete_flow_logs(&self, region: &str, ids: &[String]) -> Result<(), AwsError> {
        self.aws.call("DeleteFlowLogs").await;
        self.allowed("DeleteFlowLogs")?;
        self.in_region(region, "DeleteFlowLogs")?;
        let mut w = self.aws.world();
        if w.flow_log_deletes_need_tag {
            let untagged = w
                .flow_logs
                .get(&self.account)
                .into_iter()
                .flatten()
                .find(|l| ids.contains(&l.id) && !l.managed());
            if let Some(l) = untagged {
                // VPC-9: IAM authorizes every flow log of the request; one it refuses fails the request
                let m = format!(
                    "You are not authorized to perform this operation. User is not authorized to perform: ec2:DeleteFlowLogs on resource: arn:aws:ec2:{}:{}:vpc-flow-log/{} because no identity-based policy allows the ec2:DeleteFlowLogs action",
                    w.region, self.account, l.id
                );
                return Err(AwsError::new("DeleteFlowLogs", "UnauthorizedOperation", m));
            }
        }
        if let Some(logs) = w.flow_logs.get_mut(&self.account) {
            logs.retain(|l| !(l.region == region && ids.contains(&l.id)));
        }
        Ok(())
    }
}

impl FakeMember {
    /// The key of this member's log groups in `World::log_groups`: the account in the world's Region,
    /// `<account>@<region>` in another.
    pub(super) fn groups_key(&self) -> String {
        match &self.logs_region {
            Some(r) => format!("{}@{r}", self.account),
            None => self.account.clone(),
        }
    }

    /// EC2's refusal in a Region closed by an SCP or not enabled for the account (VPC-13, VPC-15).
    fn in_region(&self, region: &str, op: &'static str) -> Result<(), AwsError> {
        match self.aws.world().ec2_refusal(&self.account, region, op) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Whether the bucket owner's trap is set for a flow log to `arn`: the bucket exists and this account
    /// owns it (the caller's), and the world says AWS replaces the policy then.
    fn owner_trap(&self, arn: &str) -> bool {
        let rest = arn.split_once(":::").map(|(_, r)| r).unwrap_or_default();
        let bucket = rest.split('/').next().unwrap_or(rest);
        let w = self.aws.world();
        w.owner_flow_log_overwrites_policy
            && w.caller == self.account
            && w.buckets.contains_key(bucket)
    }

    /// CreateFlowLogs' checks of the destination, as AWS makes them: the reason it is refused, if it is.
    fn refuse_destination(&self, target: &FlowLogDestination) -> Option<String> {
        match target {
            FlowLogDestination::S3 { arn, options } => self.owner_refused(arn).or_else(|| {
                self.flow_logs_allowed(arn, options)
                    .err()
                    .filter(|_| !self.owner_trap(arn))
            }),
            FlowLogDestination::CloudWatch { role_arn, .. } => {
                let name = role_arn.rsplit('/').next().unwrap_or_default();
                let exists = (self.aws.world().roles.get(&self.account))
                    .is_some_and(|r| r.contains_key(name));
                (!exists).then(|| {
                    format!("DeliverLogsPermissionArn {role_arn} is not a role of this account")
                })
            }
            FlowLogDestination::Other { kind } => Some(format!("unsupported destination {kind}")),
        }
    }

    /// DL-5: the bucket's owner creating a flow log to it, AWS adds its log delivery permission to the
    /// bucket policy, and fails when the policy has a NotPrincipal or NotAction element. The error's text is
    /// not documented: this one says what happened.
    fn owner_refused(&self, arn: &str) -> Option<String> {
        let rest = arn.split_once(":::").map(|(_, r)| r).unwrap_or_default();
        let bucket = rest.split('/').next().unwrap_or(rest);
        let w = self.aws.world();
        if w.caller != self.account {
            return None;
        }
        let policy: serde_json::Value = w
            .buckets
            .get(bucket)?
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())?;
        let found = crate::plan::flow_logs::not_elements(&policy);
        (!found.is_empty()).then(|| {
            format!(
                "Access Denied for LogDestination: {bucket}. The bucket policy contains NotPrincipal or NotAction, so log delivery permissions could not be added"
            )
        })
    }

    /// The bucket owner's trap: AWS's own flow-log policy for this account replaces the bucket policy
    /// (the documentation: it "overwrites any existing policy"), whether or not the policy already let
    /// delivery.logs write.
    fn overwrite_policy(&self, arn: &str) {
        let rest = arn.split_once(":::").map(|(_, r)| r).unwrap_or_default();
        let bucket = rest.split('/').next().unwrap_or(rest).to_owned();
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow",
                 "Principal": {"Service": DELIVERY_LOGS}, "Action": "s3:PutObject",
                 "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/{}/*", self.account),
                 "Condition": {"StringEquals": {"aws:SourceAccount": self.account, "s3:x-amz-acl": "bucket-owner-full-control"}}},
                {"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow",
                 "Principal": {"Service": DELIVERY_LOGS}, "Action": "s3:GetBucketAcl",
                 "Resource": format!("arn:aws:s3:::{bucket}"),
                 "Condition": {"StringEquals": {"aws:SourceAccount": self.account}}}
            ]
        });
        self.aws
            .world()
            .buckets
            .insert(bucket, Some(policy.to_string()));
    }
}

/// EC2's duplicate rule ("FlowLogAlreadyExists: a flow log with the specified configuration already
/// exists"): the same resource, destination and settings. One with other settings to the same place can be
/// made beside it, which is how trailhub replaces a flow log without a gap (moto is stricter: see
/// `aws::emulator::replace_deletes_first`).
fn duplicate(have: &crate::aws::ObservedFlowLog, f: &DesiredFlowLog) -> bool {
    have.region == f.region
        && have.resource_id == f.vpc_id
        && same_destination(&have.target, &f.target)
        && have.traffic_type == f.traffic_type
        && have.max_aggregation_interval == Some(f.max_aggregation_interval)
        && have.log_format.as_deref() == Some(f.log_format.as_str())
}

/// Two flow logs deliver to the same place.
fn same_destination(a: &FlowLogDestination, b: &FlowLogDestination) -> bool {
    match (a, b) {
        (FlowLogDestination::S3 { arn: x, .. }, FlowLogDestination::S3 { arn: y, .. }) => x == y,
        (
            FlowLogDestination::CloudWatch { log_group: x, .. },
            FlowLogDestination::CloudWatch { log_group: y, .. },
        ) => x == y,
        _ => false,
    }
}

//! The CIS monitoring controls and their CloudWatch parts in plain values (pure): the catalogue of the
//! controls (one table), the metric filters, alarms and SNS topic that `[alarms]` reads and writes, and the
//! topic's ARN. docs/aws-rules.md CW-1..CW-4, CIS-2.

use serde::Serialize;

/// One CIS monitoring control: a metric filter on the trail's log group and an alarm on its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Control {
    /// trailhub's stable name (`controls` in `[alarms]`, and part of the filter's and alarm's names).
    pub name: &'static str,
    /// Its number in the CIS AWS Foundations Benchmark v3.0 to v5.0 (section 4, Monitoring).
    pub cis: &'static str,
    /// Its number in v6.0 and v7.0 (the same control, section 5).
    pub cis_v6: &'static str,
    /// The Security Hub control that checks it (`CloudWatch.1`..`CloudWatch.14`); None for the
    /// Organizations control, which Security Hub does not check (CloudWatch.15 is another control).
    pub security_hub: Option<&'static str>,
    /// What it watches, in words.
    pub title: &'static str,
    /// The filter pattern as the Security Hub control page publishes it (Security Hub checks the exact
    /// pattern: "This control fails if the exact metric filters prescribed by CIS are not used"); for the
    /// Organizations control, as the CIS benchmark publishes it. CW-1, CW-2.
    pub pattern: &'static str,
}

impl Control {
    /// `CIS 4.3 / 5.3, Security Hub CloudWatch.1`: how the audit and the plan name the control.
    pub fn label(&self) -> String {
        let hub = self.security_hub.map_or_else(
            || "no Security Hub control".to_owned(),
            |h| format!("Security Hub {h}"),
        );
        format!("CIS {} / {}, {hub}", self.cis, self.cis_v6)
    }

    /// The name of its metric filter and of its alarm: `trailhub-cis-5.3-root-usage` (a person knows the
    /// control from it; every name trailhub owns starts with [`NAME_PREFIX`]).
    pub fn resource_name(&self) -> String {
        format!("{NAME_PREFIX}{}-{}", self.cis_v6, self.name)
    }

    /// The name of its metric in the namespace (the filter's `metricName`, the alarm's `MetricName`).
    pub fn metric_name(&self) -> String {
        format!("{NAME_PREFIX}{}", self.name)
    }
}

/// Every metric filter and alarm trailhub owns is named with this prefix; others are never touched.
pub const NAME_PREFIX: &str = "trailhub-cis-";

/// The default SNS topic of `[alarms]` (`topic_name`).
pub const DEFAULT_TOPIC: &str = "trailhub-security-alarms";
/// The default metric namespace of `[alarms]` (`namespace`).
pub const DEFAULT_NAMESPACE: &str = "trailhub/CIS";
/// CloudWatch Logs: at most 100 metric filters on one log group (CWL-9).
pub const MAX_FILTERS_PER_GROUP: usize = 100;
/// The alarm: Sum over 300 seconds, one period, `>= 1` (CIS's remediation and Security Hub's).
pub const PERIOD: i32 = 300;
pub const EVALUATION_PERIODS: i32 = 1;
pub const THRESHOLD: f64 = 1.0;
pub const STATISTIC: &str = "Sum";
pub const COMPARISON: &str = "GreaterThanOrEqualToThreshold";

/// The CIS monitoring controls, in CIS order (v3.0 4.1..4.15; v6 5.1..5.15). Patterns: Security Hub
/// user guide, "Amazon CloudWatch controls" (CW-1); 4.15: CIS AWS Foundations Benchmark (CW-2).
pub const CONTROLS: [Control; 15] = [
    Control {
        name: "unauthorized-api-calls",
        cis: "4.1",
        cis_v6: "5.1",
        security_hub: Some("CloudWatch.2"),
        title: "unauthorized API calls",
        pattern: r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#,
    },
    Control {
        name: "console-signin-without-mfa",
        cis: "4.2",
        cis_v6: "5.2",
        security_hub: Some("CloudWatch.3"),
        title: "Management Console sign-in without MFA",
        pattern: r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#,
    },
    Control {
        name: "root-usage",
        cis: "4.3",
        cis_v6: "5.3",
        security_hub: Some("CloudWatch.1"),
        title: "usage of the root user",
        pattern: r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
    },
    Control {
        name: "iam-policy-changes",
        cis: "4.4",
        cis_v6: "5.4",
        security_hub: Some("CloudWatch.4"),
        title: "IAM policy changes",
        pattern: "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
    },
    Control {
        name: "cloudtrail-changes",
        cis: "4.5",
        cis_v6: "5.5",
        security_hub: Some("CloudWatch.5"),
        title: "CloudTrail configuration changes",
        pattern: "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}",
    },
    Control {
        name: "console-auth-failures",
        cis: "4.6",
        cis_v6: "5.6",
        security_hub: Some("CloudWatch.6"),
        title: "Management Console authentication failures",
        pattern: r#"{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}"#,
    },
    Control {
        name: "cmk-disable-or-deletion",
        cis: "4.7",
        cis_v6: "5.7",
        security_hub: Some("CloudWatch.7"),
        title: "disabling or scheduled deletion of customer managed keys",
        pattern: "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    },
    Control {
        name: "s3-bucket-policy-changes",
        cis: "4.8",
        cis_v6: "5.8",
        security_hub: Some("CloudWatch.8"),
        title: "S3 bucket policy changes",
        pattern: "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
    },
    Control {
        name: "config-changes",
        cis: "4.9",
        cis_v6: "5.9",
        security_hub: Some("CloudWatch.9"),
        title: "AWS Config configuration changes",
        pattern: "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
    },
    Control {
        name: "security-group-changes",
        cis: "4.10",
        cis_v6: "5.10",
        security_hub: Some("CloudWatch.10"),
        title: "security group changes",
        pattern: "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}",
    },
    Control {
        name: "nacl-changes",
        cis: "4.11",
        cis_v6: "5.11",
        security_hub: Some("CloudWatch.11"),
        title: "network access control list (NACL) changes",
        pattern: "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}",
    },
    Control {
        name: "network-gateway-changes",
        cis: "4.12",
        cis_v6: "5.12",
        security_hub: Some("CloudWatch.12"),
        title: "network gateway changes",
        pattern: "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    },
    Control {
        name: "route-table-changes",
        cis: "4.13",
        cis_v6: "5.13",
        security_hub: Some("CloudWatch.13"),
        title: "route table changes",
        pattern: "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}",
    },
    Control {
        name: "vpc-changes",
        cis: "4.14",
        cis_v6: "5.14",
        security_hub: Some("CloudWatch.14"),
        title: "VPC changes",
        pattern: "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}",
    },
    Control {
        name: "organizations-changes",
        cis: "4.15",
        cis_v6: "5.15",
        security_hub: None,
        title: "AWS Organizations changes",
        pattern: r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
    },
];

/// The control of this stable name.
pub fn control(name: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.name == name)
}

/// The SNS topic the alarms of `account` notify, in the log group's Region (the trail's home Region):
/// `arn:<partition>:sns:<region>:<account>:<topic_name>`. The queue part subscribes exactly these.
pub fn topic_arn(partition: &str, region: &str, account: &str, topic_name: &str) -> String {
    format!("arn:{partition}:sns:{region}:{account}:{topic_name}")
}

/// A metric filter as DescribeMetricFilters reports it (its first metric transformation), or as trailhub
/// wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricFilter {
    pub name: String,
    pub log_group: String,
    pub pattern: String,
    pub metric_name: String,
    pub namespace: String,
    /// `metricValue`: `"1"`.
    pub metric_value: String,
}

/// A metric alarm as DescribeAlarms reports it, or as trailhub wants it (PutMetricAlarm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricAlarm {
    pub name: String,
    pub description: String,
    pub metric_name: String,
    pub namespace: String,
    pub statistic: String,
    pub period: i32,
    pub evaluation_periods: i32,
    pub threshold: f64,
    pub comparison: String,
    /// `AlarmActions`: the ARNs notified when it goes to ALARM.
    pub actions: Vec<String>,
    /// `ActionsEnabled`.
    pub actions_enabled: bool,
}

// a threshold is never NaN: CloudWatch refuses one
impl Eq for MetricAlarm {}

/// What was read of one account for `[alarms]`: the metric filters of each log group a trail of the
/// account delivers to, and in each of their Regions trailhub's alarms and topic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AlarmsState {
    pub groups: Vec<GroupFilters>,
    pub regions: Vec<RegionAlarms>,
}

/// Every metric filter of one log group (DescribeMetricFilters, every page): trailhub's and others'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupFilters {
    pub region: String,
    pub log_group: String,
    pub filters: Vec<MetricFilter>,
}

/// trailhub's alarms (DescribeAlarms with its name prefix) and its topic (None: no such topic) in a Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionAlarms {
    pub region: String,
    pub alarms: Vec<MetricAlarm>,
    pub topic: Option<Topic>,
}

impl AlarmsState {
    pub fn filters(&self, region: &str, log_group: &str) -> Option<&[MetricFilter]> {
        self.groups
            .iter()
            .find(|g| g.region == region && g.log_group == log_group)
            .map(|g| g.filters.as_slice())
    }

    pub fn region(&self, region: &str) -> Option<&RegionAlarms> {
        self.regions.iter().find(|r| r.region == region)
    }
}

/// A log group ARN (`arn:<p>:logs:<region>:<account>:log-group:<name>[:*]`) as (Region, account, name).
pub fn parse_group_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(7, ':');
    let (Some("arn"), Some(_), Some("logs"), Some(region), Some(account), Some("log-group")) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let name = parts.next()?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    (!name.is_empty()).then_some((region, account, name))
}

/// An SNS topic as GetTopicAttributes reports it: its ARN and access policy (JSON text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub arn: String,
    pub policy: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_every_control_once_with_both_numberings() {
        let mut names: Vec<&str> = CONTROLS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 15);
        for (i, c) in CONTROLS.iter().enumerate() {
            assert_eq!(c.cis, format!("4.{}", i + 1));
            assert_eq!(c.cis_v6, format!("5.{}", i + 1));
            assert!(
                c.pattern.starts_with('{') && c.pattern.ends_with('}'),
                "{}",
                c.name
            );
        }
        // Security Hub CloudWatch.1..14, each once; Organizations has none
        let mut hub: Vec<&str> = CONTROLS.iter().filter_map(|c| c.security_hub).collect();
        hub.sort_unstable();
        hub.dedup();
        assert_eq!(hub.len(), 14);
        assert_eq!(
            control("root-usage").unwrap().security_hub,
            Some("CloudWatch.1")
        );
        assert_eq!(control("organizations-changes").unwrap().security_hub, None);
    }

    #[test]
    fn names_say_the_control() {
        let c = control("unauthorized-api-calls").unwrap();
        assert_eq!(c.resource_name(), "trailhub-cis-5.1-unauthorized-api-calls");
        assert_eq!(c.label(), "CIS 4.1 / 5.1, Security Hub CloudWatch.2");
        assert_eq!(
            topic_arn("aws", "eu-west-1", "222222222222", DEFAULT_TOPIC),
            "arn:aws:sns:eu-west-1:222222222222:trailhub-security-alarms"
        );
    }
}

//! `[alarms]` in the fake (tests only): metric filters on log groups, metric alarms and SNS topics, per
//! account and Region, with the rules AWS enforces and moto does not (tests/MOTO-ALARMS.md): a filter
//! needs its log group (CWL-10) and a group holds at most 100 (CWL-9); an alarm's SNS action must be a
//! topic of its Region (CW-6); a new topic carries SNS's default policy statement (SNS-2) and CreateTopic
//! of an existing name answers its ARN (SNS-3); a topic policy must be JSON with statements (SNS-4).

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::FakeMember;
use crate::aws::{Alarms, AwsError, MetricAlarm, MetricFilter, Topic};
use crate::world::alarms::MAX_FILTERS_PER_GROUP;

/// One account's `[alarms]` resources in one Region.
#[derive(Debug, Clone, Default)]
pub struct FakeAlarms {
    /// log group -> its metric filters, by name
    pub filters: BTreeMap<String, BTreeMap<String, MetricFilter>>,
    /// alarm name -> the alarm
    pub alarms: BTreeMap<String, MetricAlarm>,
    /// topic ARN -> its policy
    pub topics: BTreeMap<String, String>,
}

impl FakeMember {
    fn region(&self) -> String {
        let w = self.aws.world();
        self.logs_region.clone().unwrap_or_else(|| w.region.clone())
    }

    fn partition(&self) -> String {
        let w = self.aws.world();
        crate::model::Region::try_from(w.region.clone())
            .map(|r| r.partition().to_owned())
            .unwrap_or_else(|_| "aws".to_owned())
    }

    fn with_alarms<T>(&self, f: impl FnOnce(&mut FakeAlarms) -> T) -> T {
        let key = (self.account.clone(), self.region());
        let mut w = self.aws.world();
        f(w.alarms.entry(key).or_default())
    }

    fn group_exists(&self, name: &str) -> bool {
        let key = self.groups_key();
        let w = self.aws.world();
        w.log_groups.get(&key).is_some_and(|g| g.contains_key(name))
    }
}

/// SNS's default statement of a new topic (SNS-2): the account's principals may publish, subscribe...
fn default_policy(arn: &str, account: &str) -> String {
    serde_json::json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic",
                "SNS:Publish"],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    })
    .to_string()
}

#[async_trait]
impl Alarms for FakeMember {
    fn alarms_in(&self, region: &str) -> Self {
        use crate::aws::Logs;
        self.logs_in(region)
    }

    async fn metric_filters(&self, log_group: &str) -> Result<Vec<MetricFilter>, AwsError> {
        self.aws.call("DescribeMetricFilters").await;
        Ok(self.with_alarms(|a| {
            (a.filters.get(log_group))
                .map(|f| f.values().cloned().collect())
                .unwrap_or_default()
        }))
    }

    async fn put_metric_filter(&self, f: &MetricFilter) -> Result<(), AwsError> {
        const OP: &str = "PutMetricFilter";
        self.aws.call(OP).await;
        self.allowed(OP)?;
        let bad_name = f.name.is_empty() || f.name.len() > 512 || f.name.contains([':', '*']);
        if bad_name {
            let m = format!(
                "filterName {:?} must be 1 to 512 characters, without : or *",
                f.name
            );
            return Err(AwsError::new(OP, "InvalidParameterException", m));
        }
        if !self.group_exists(&f.log_group) {
            let m = "The specified log group does not exist.";
            return Err(AwsError::new(OP, "ResourceNotFoundException", m));
        }
        self.with_alarms(|a| {
            let group = a.filters.entry(f.log_group.clone()).or_default();
            if !group.contains_key(&f.name) && group.len() >= MAX_FILTERS_PER_GROUP {
                let m = "Resource limit exceeded: 100 metric filters per log group";
                return Err(AwsError::new(OP, "LimitExceededException", m));
            }
            group.insert(f.name.clone(), f.clone());
            Ok(())
        })
    }

    async fn metric_alarms(&self, prefix: &str) -> Result<Vec<MetricAlarm>, AwsError> {
        self.aws.call("DescribeAlarms").await;
        Ok(self.with_alarms(|a| {
            (a.alarms.values())
                .filter(|x| x.name.starts_with(prefix))
                .cloned()
                .collect()
        }))
    }

    async fn put_metric_alarm(&self, alarm: &MetricAlarm) -> Result<(), AwsError> {
        const OP: &str = "PutMetricAlarm";
        self.aws.call(OP).await;
        self.allowed(OP)?;
        let region = self.region();
        for action in &alarm.actions {
            let parts: Vec<&str> = action.split(':').collect();
            if parts.get(2) == Some(&"sns") && parts.get(3) != Some(&region.as_str()) {
                let m =
                    format!("Invalid region in alarm action {action}: the alarm is in {region}");
                return Err(AwsError::new(OP, "ValidationError", m));
            }
        }
        if alarm.namespace.starts_with("AWS/") || alarm.period < 10 {
            let m = "Namespace may not start with AWS/ and Period must be 10, 20, 30 or a multiple of 60";
            return Err(AwsError::new(OP, "InvalidParameterValue", m));
        }
        self.with_alarms(|a| a.alarms.insert(alarm.name.clone(), alarm.clone()));
        Ok(())
    }

    async fn topic(&self, arn: &str) -> Result<Option<Topic>, AwsError> {
        self.aws.call("GetTopicAttributes").await;
        Ok(self.with_alarms(|a| {
            a.topics.get(arn).map(|p| Topic {
                arn: arn.to_owned(),
                policy: Some(p.clone()),
            })
        }))
    }

    async fn create_topic(&self, name: &str) -> Result<String, AwsError> {
        self.aws.call("CreateTopic").await;
        self.allowed("CreateTopic")?;
        let arn = format!(
            "arn:{}:sns:{}:{}:{name}",
            self.partition(),
            self.region(),
            self.account
        );
        let policy = default_policy(&arn, &self.account);
        self.with_alarms(|a| {
            a.topics.entry(arn.clone()).or_insert(policy);
        });
        Ok(arn)
    }

    async fn set_topic_policy(&self, arn: &str, policy: &str) -> Result<(), AwsError> {
        const OP: &str = "SetTopicAttributes";
        self.aws.call(OP).await;
        self.allowed(OP)?;
        let parsed: Option<serde_json::Value> = serde_json::from_str(policy).ok();
        if parsed.as_ref().and_then(|p| p.get("Statement")).is_none() {
            let m = "Invalid parameter: Policy Error: the policy is not JSON with a Statement";
            return Err(AwsError::new(OP, "InvalidParameter", m));
        }
        self.with_alarms(|a| match a.topics.get_mut(arn) {
            Some(p) => {
                *p = policy.to_owned();
                Ok(())
            }
            None => Err(AwsError::new(OP, "NotFound", "Topic does not exist")),
        })
    }
}

//! One account's `[alarms]` through the SDK (I/O): CloudWatch Logs' metric filters (on the logs client),
//! CloudWatch's metric alarms, and the SNS topic (in `sns`).

use async_trait::async_trait;

use super::{SdkMember, aws_err, sns};
use crate::aws::{Alarms, AwsError, ErrorKind, MetricAlarm, MetricFilter, Topic, emulator};

#[async_trait]
impl Alarms for SdkMember {
    fn alarms_in(&self, region: &str) -> Self {
        // the metric filters are on the logs client: moved to the Region as `logs_in` moves it
        let with_logs = crate::aws::Logs::logs_in(self, region);
        let cloudwatch = self
            .cloudwatch
            .config()
            .to_builder()
            .region(aws_sdk_cloudwatch::config::Region::new(region.to_owned()))
            .build();
        let sns = self
            .sns
            .config()
            .to_builder()
            .region(aws_sdk_sns::config::Region::new(region.to_owned()))
            .build();
        SdkMember {
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
            sns: aws_sdk_sns::Client::from_conf(sns),
            ..with_logs
        }
    }

    async fn metric_filters(&self, log_group: &str) -> Result<Vec<MetricFilter>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .logs
                .describe_metric_filters()
                .log_group_name(log_group)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("DescribeMetricFilters", e));
            let page = match page {
                Ok(p) => p,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(vec![]),
                Err(e) => return Err(e),
            };
            out.extend(page.metric_filters().iter().map(|f| {
                let t = f.metric_transformations().first();
                MetricFilter {
                    name: f.filter_name().unwrap_or_default().to_owned(),
                    log_group: f.log_group_name().unwrap_or(log_group).to_owned(),
                    pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                    metric_name: t.map(|t| t.metric_name().to_owned()).unwrap_or_default(),
                    namespace: t
                        .map(|t| t.metric_namespace().to_owned())
                        .unwrap_or_default(),
                    metric_value: t.map(|t| t.metric_value().to_owned()).unwrap_or_default(),
                }
            }));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(emulator::one_filter_per_name(out));
            }
        }
    }

    async fn put_metric_filter(&self, f: &MetricFilter) -> Result<(), AwsError> {
        let transformation = aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
            .metric_name(&f.metric_name)
            .metric_namespace(&f.namespace)
            .metric_value(&f.metric_value)
            .build()
            .map_err(|e| AwsError::new("PutMetricFilter", "InvalidParameter", e.to_string()))?;
        self.logs
            .put_metric_filter()
            .log_group_name(&f.log_group)
            .filter_name(&f.name)
            .filter_pattern(&f.pattern)
            .metric_transformations(transformation)
            .send()
            .await
            .map_err(|e| aws_err("PutMetricFilter", e))?;
        Ok(())
    }

    async fn metric_alarms(&self, prefix: &str) -> Result<Vec<MetricAlarm>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .cloudwatch
                .describe_alarms()
                .alarm_name_prefix(prefix)
                .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws_err("DescribeAlarms", e))?;
            out.extend(page.metric_alarms().iter().map(|a| {
                MetricAlarm {
                    name: a.alarm_name().unwrap_or_default().to_owned(),
                    description: a.alarm_description().unwrap_or_default().to_owned(),
                    metric_name: a.metric_name().unwrap_or_default().to_owned(),
                    namespace: a.namespace().unwrap_or_default().to_owned(),
                    statistic: a
                        .statistic()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    period: a.period().unwrap_or_default(),
                    evaluation_periods: a.evaluation_periods().unwrap_or_default(),
                    threshold: a.threshold().unwrap_or_default(),
                    comparison: (a.comparison_operator())
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default(),
                    actions: a.alarm_actions().to_vec(),
                    actions_enabled: a.actions_enabled().unwrap_or(false),
                }
            }));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn put_metric_alarm(&self, a: &MetricAlarm) -> Result<(), AwsError> {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
        self.cloudwatch
            .put_metric_alarm()
            .alarm_name(&a.name)
            .alarm_description(&a.description)
            .metric_name(&a.metric_name)
            .namespace(&a.namespace)
            .statistic(Statistic::from(a.statistic.as_str()))
            .period(a.period)
            .evaluation_periods(a.evaluation_periods)
            .threshold(a.threshold)
            .comparison_operator(ComparisonOperator::from(a.comparison.as_str()))
            .treat_missing_data("notBreaching")
            .actions_enabled(a.actions_enabled)
            .set_alarm_actions(Some(a.actions.clone()))
            .send()
            .await
            .map_err(|e| aws_err("PutMetricAlarm", e))?;
        Ok(())
    }

    async fn topic(&self, arn: &str) -> Result<Option<Topic>, AwsError> {
        sns::topic(&self.sns, arn).await
    }

    async fn create_topic(&self, name: &str) -> Result<String, AwsError> {
        sns::create_topic(&self.sns, name).await
    }

    async fn set_topic_policy(&self, arn: &str, policy: &str) -> Result<(), AwsError> {
        sns::set_policy(&self.sns, arn, policy).await
    }
}

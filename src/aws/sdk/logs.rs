//! One account's CloudWatch Logs through the SDK (I/O): the log groups trailhub makes for the trail and
//! for flow logs.

use async_trait::async_trait;

use super::{SdkMember, aws_err};
use crate::aws::{AwsError, LogGroup, Logs};

#[async_trait]
impl Logs for SdkMember {
    fn logs_in(&self, region: &str) -> Self {
        let conf = self
            .logs
            .config()
            .to_builder()
            .region(aws_sdk_cloudwatchlogs::config::Region::new(
                region.to_owned(),
            ))
            .build();
        SdkMember {
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(conf),
            ..self.clone()
        }
    }

    async fn log_group(&self, name: &str) -> Result<Option<LogGroup>, AwsError> {
        // DescribeLogGroups matches by prefix: the exact name is the one asked for
        let out = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .map_err(|e| aws_err("DescribeLogGroups", e))?;
        Ok(out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
            .map(|g| LogGroup {
                name: name.to_owned(),
                arn: g
                    .arn()
                    .map(|a| a.trim_end_matches(":*").to_owned())
                    .unwrap_or_default(),
                retention_days: g.retention_in_days().and_then(|d| u32::try_from(d).ok()),
            }))
    }

    async fn create_log_group(&self, name: &str) -> Result<(), AwsError> {
        self.logs
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(|e| aws_err("CreateLogGroup", e))?;
        Ok(())
    }

    async fn put_retention(&self, name: &str, days: u32) -> Result<(), AwsError> {
        self.logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(i32::try_from(days).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| aws_err("PutRetentionPolicy", e))?;
        Ok(())
    }
}

//! One account's CloudTrail through the SDK (I/O), with the credentials of the role session. Its CloudWatch
//! Logs, IAM and EC2 are in `logs`, `iam` and `ec2`.

use async_trait::async_trait;

use super::aws_err;
use super::selectors;
use crate::aws::{
    AwsError, DesiredTrail, EventSelectors, Member, ObservedTrail, StopEvent, TrailLogs,
    TrailStatus,
};

/// One account's clients: CloudTrail, CloudWatch Logs, IAM, EC2 and Organizations (DescribeOrganization).
#[derive(Clone)]
pub struct SdkMember {
    pub(super) trail: aws_sdk_cloudtrail::Client,
    pub(super) logs: aws_sdk_cloudwatchlogs::Client,
    pub(super) iam: aws_sdk_iam::Client,
    /// EC2 in the central region (DescribeRegions); [`SdkMember::ec2_in`] gives the client of any Region.
    pub(super) ec2: aws_sdk_ec2::Client,
    /// The EC2 clients of other Regions, made once each, with the same credentials and HTTP client.
    pub(super) regional:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, aws_sdk_ec2::Client>>>,
    pub(super) orgs: aws_sdk_organizations::Client,
    /// `[alarms]`: CloudWatch and SNS in the central region ([`crate::aws::Alarms::alarms_in`] for another).
    pub(super) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(super) sns: aws_sdk_sns::Client,
}

impl SdkMember {
    /// The account's EC2 client in `region` (the central one's configuration, another Region).
    pub(super) fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        if self
            .ec2
            .config()
            .region()
            .is_some_and(|r| r.as_ref() == region)
        {
            return self.ec2.clone();
        }
        let mut clients = self.regional.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let conf = self
                    .ec2
                    .config()
                    .to_builder()
                    .region(aws_sdk_ec2::config::Region::new(region.to_owned()))
                    .build();
                aws_sdk_ec2::Client::from_conf(conf)
            })
            .clone()
    }
}

#[async_trait]
impl Member for SdkMember {
    async fn describe_trails(&self) -> Result<Vec<ObservedTrail>, AwsError> {
        let out = self
            .trail
            .describe_trails()
            .send()
            .await
            .map_err(|e| aws_err("DescribeTrails", e))?;
        Ok(out
            .trail_list()
            .iter()
            .map(|t| ObservedTrail {
                name: t.name().unwrap_or_default().to_owned(),
                arn: t.trail_arn().unwrap_or_default().to_owned(),
                home_region: t.home_region().map(str::to_owned),
                bucket: t.s3_bucket_name().map(str::to_owned),
                key_prefix: t.s3_key_prefix().map(str::to_owned),
                multi_region: t.is_multi_region_trail().unwrap_or(false),
                global_events: t.include_global_service_events().unwrap_or(false),
                log_validation: t.log_file_validation_enabled().unwrap_or(false),
                organization_trail: t.is_organization_trail().unwrap_or(false),
                cloudwatch: t
                    .cloud_watch_logs_log_group_arn()
                    .filter(|g| !g.is_empty())
                    .map(|g| TrailLogs {
                        log_group_arn: g.to_owned(),
                        role_arn: t.cloud_watch_logs_role_arn().unwrap_or_default().to_owned(),
                    }),
                // an emulator may answer "" for a key taken off (KMS-4)
                kms_key_id: t.kms_key_id().filter(|k| !k.is_empty()).map(str::to_owned),
            })
            .collect())
    }

    async fn trail_status(&self, name: &str) -> Result<TrailStatus, AwsError> {
        let out = self
            .trail
            .get_trail_status()
            .name(name)
            .send()
            .await
            .map_err(|e| aws_err("GetTrailStatus", e))?;
        Ok(TrailStatus {
            is_logging: out.is_logging().unwrap_or(false),
            latest_delivery_time: out.latest_delivery_time().map(|t| t.secs()),
            latest_delivery_error: out
                .latest_delivery_error()
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
            start_logging_time: out.start_logging_time().map(|t| t.secs()),
            latest_cloudwatch_delivery_time: out
                .latest_cloud_watch_logs_delivery_time()
                .map(|t| t.secs()),
            latest_cloudwatch_delivery_error: out
                .latest_cloud_watch_logs_delivery_error()
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        })
    }

    async fn create_trail(&self, t: &DesiredTrail) -> Result<(), AwsError> {
        self.trail
            .create_trail()
            .name(t.name.as_str())
            .s3_bucket_name(t.bucket.as_str())
            .set_s3_key_prefix(t.key_prefix.as_ref().map(ToString::to_string))
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            .set_cloud_watch_logs_log_group_arn(
                t.cloudwatch.as_ref().map(|c| c.log_group_arn.clone()),
            )
            .set_cloud_watch_logs_role_arn(t.cloudwatch.as_ref().map(|c| c.role_arn.clone()))
            .set_kms_key_id(t.kms_key_id.clone())
            .send()
            .await
            .map_err(|e| aws_err("CreateTrail", e))?;
        Ok(())
    }

    async fn update_trail(&self, t: &DesiredTrail) -> Result<(), AwsError> {
        self.trail
            .update_trail()
            .name(t.name.as_str())
            .s3_bucket_name(t.bucket.as_str())
            // an empty prefix clears one the trail had
            .s3_key_prefix(
                t.key_prefix
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            // None leaves the trail's own CloudWatch Logs setting as it is
            .set_cloud_watch_logs_log_group_arn(
                t.cloudwatch.as_ref().map(|c| c.log_group_arn.clone()),
            )
            .set_cloud_watch_logs_role_arn(t.cloudwatch.as_ref().map(|c| c.role_arn.clone()))
            // None leaves the trail's key as it is
            .set_kms_key_id(t.kms_key_id.clone())
            .send()
            .await
            .map_err(|e| aws_err("UpdateTrail", e))?;
        Ok(())
    }

    async fn start_logging(&self, name: &str) -> Result<(), AwsError> {
        // by name, not ARN (see aws::emulator)
        self.trail
            .start_logging()
            .name(name)
            .send()
            .await
            .map_err(|e| aws_err("StartLogging", e))?;
        Ok(())
    }

    async fn delete_trail(&self, name: &str) -> Result<(), AwsError> {
        self.trail
            .delete_trail()
            .name(name)
            .send()
            .await
            .map_err(|e| aws_err("DeleteTrail", e))?;
        Ok(())
    }

    async fn event_selectors(&self, trail: &str) -> Result<EventSelectors, AwsError> {
        let out = self
            .trail
            .get_event_selectors()
            .trail_name(trail)
            .send()
            .await
            .map_err(|e| aws_err("GetEventSelectors", e))?;
        Ok(selectors::from_sdk(
            out.event_selectors(),
            out.advanced_event_selectors(),
        ))
    }

    async fn put_event_selectors(
        &self,
        trail: &str,
        wanted: &EventSelectors,
    ) -> Result<(), AwsError> {
        let mut call = self.trail.put_event_selectors().trail_name(trail);
        if wanted.advanced.is_empty() {
            call = call.set_event_selectors(Some(
                wanted.basic.iter().map(selectors::basic_to_sdk).collect(),
            ));
        } else {
            let advanced = wanted
                .advanced
                .iter()
                .map(selectors::advanced_to_sdk)
                .collect::<Result<Vec<_>, _>>()?;
            call = call.set_advanced_event_selectors(Some(advanced));
        }
        call.send()
            .await
            .map_err(|e| aws_err("PutEventSelectors", e))?;
        Ok(())
    }

    async fn organization_id(&self) -> Result<Option<String>, AwsError> {
        super::organizations::organization_id(&self.orgs).await
    }

    async fn stop_logging_events(&self) -> Result<Vec<StopEvent>, AwsError> {
        use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
        let attribute = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventName)
            .attribute_value("StopLogging")
            .build()
            .map_err(|e| AwsError::new("LookupEvents", "InvalidRequest", e.to_string()))?;
        // CT-23: 2 calls a second per account and region; one retry at most, so that an emulator that does
        // not know the call (moto answers HTTP 500) costs one retry, not eight
        let retry = aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(2);
        let out = self
            .trail
            .lookup_events()
            .lookup_attributes(attribute)
            .max_results(50)
            .customize()
            .config_override(aws_sdk_cloudtrail::config::Builder::default().retry_config(retry))
            .send()
            .await
            .map_err(|e| aws_err("LookupEvents", e))?;
        Ok(out.events().iter().filter_map(stop_event).collect())
    }
}

/// A StopLogging event in plain values: the trail from its request (`requestParameters.name`, else its
/// resource), the caller's ARN (`userIdentity.arn`, else the user name). None without a time or a trail.
fn stop_event(e: &aws_sdk_cloudtrail::types::Event) -> Option<StopEvent> {
    let detail: serde_json::Value = e
        .cloud_trail_event()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let trail = detail["requestParameters"]["name"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            e.resources()
                .iter()
                .find_map(|r| r.resource_name().map(str::to_owned))
        })?;
    let by = detail["userIdentity"]["arn"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| e.username().map(str::to_owned))
        .unwrap_or_else(|| "(unknown)".to_owned());
    Some(StopEvent {
        trail,
        by,
        at: e.event_time()?.secs(),
    })
}

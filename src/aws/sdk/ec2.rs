//! One account's EC2 through the SDK (I/O): its Regions (in the central region), and its VPCs and their
//! flow logs in any Region (a client of that Region, [`SdkMember::ec2_in`]).

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    DestinationFileFormat, DestinationOptionsRequest, FlowLogsResourceType, LogDestinationType,
    ResourceType, Tag, TagSpecification, TrafficType,
};

use super::{SdkMember, aws_err};
use crate::aws::emulator;
use crate::aws::{
    AwsError, DesiredFlowLog, FileFormat, FlowLogDestination, MANAGED_TAG_KEY, MANAGED_TAG_VALUE,
    Network, ObservedFlowLog, RegionInfo, S3Options, Vpc,
};

#[async_trait]
impl Network for SdkMember {
    async fn regions(&self) -> Result<Vec<RegionInfo>, AwsError> {
        let out = self
            .ec2
            .describe_regions()
            .all_regions(true)
            .send()
            .await
            .map_err(|e| aws_err("DescribeRegions", e))?;
        let regions: Vec<RegionInfo> = out
            .regions()
            .iter()
            .filter_map(|r| {
                Some(RegionInfo {
                    name: r.region_name()?.to_owned(),
                    opt_in_status: r
                        .opt_in_status()
                        .unwrap_or("opt-in-not-required")
                        .to_owned(),
                })
            })
            .collect();
        let asked_in = self.ec2.config().region().map(|r| r.as_ref().to_owned());
        Ok(emulator::regions_of_the_partition(
            regions,
            asked_in.as_deref(),
        ))
    }

    async fn vpcs(&self, region: &str) -> Result<Vec<Vpc>, AwsError> {
        let mut vpcs = Vec::new();
        let ec2 = self.ec2_in(region);
        let mut pages = ec2.describe_vpcs().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_err("DescribeVpcs", e))?;
            vpcs.extend(page.vpcs().iter().filter_map(|v| {
                Some(Vpc {
                    region: region.to_owned(),
                    id: v.vpc_id()?.to_owned(),
                    is_default: v.is_default().unwrap_or(false),
                })
            }));
        }
        Ok(vpcs)
    }

    async fn flow_logs(&self, region: &str) -> Result<Vec<ObservedFlowLog>, AwsError> {
        let mut logs = Vec::new();
        let ec2 = self.ec2_in(region);
        let mut pages = ec2.describe_flow_logs().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_err("DescribeFlowLogs", e))?;
            logs.extend(page.flow_logs().iter().map(|f| observed(f, region)));
        }
        Ok(logs)
    }

    async fn create_flow_log(&self, f: &DesiredFlowLog) -> Result<String, AwsError> {
        let mut call = self
            .ec2_in(&f.region)
            .create_flow_logs()
            .resource_type(FlowLogsResourceType::Vpc)
            .resource_ids(&f.vpc_id)
            .traffic_type(TrafficType::from(f.traffic_type.as_str()))
            .max_aggregation_interval(i32::try_from(f.max_aggregation_interval).unwrap_or(600))
            .log_format(&f.log_format)
            .tag_specifications(managed_tag());
        call = match &f.target {
            FlowLogDestination::S3 { arn, options } => call
                .log_destination_type(LogDestinationType::S3)
                .log_destination(arn)
                .set_destination_options(destination_options(options)),
            FlowLogDestination::CloudWatch {
                log_group,
                role_arn,
            } => call
                .log_destination_type(LogDestinationType::CloudWatchLogs)
                .log_group_name(log_group)
                .deliver_logs_permission_arn(role_arn),
            FlowLogDestination::Other { kind } => {
                return Err(AwsError::new(
                    "CreateFlowLogs",
                    "InvalidParameter",
                    format!("trailhub does not make flow logs to {kind}"),
                ));
            }
        };
        let out = call
            .send()
            .await
            .map_err(|e| aws_err("CreateFlowLogs", e))?;
        // AWS answers some failures (a bucket it may not write to, say) in Unsuccessful, not as an error
        unsuccessful("CreateFlowLogs", out.unsuccessful())?;
        Ok(out.flow_log_ids().first().cloned().unwrap_or_default())
    }

    async fn delete_flow_logs(&self, region: &str, ids: &[String]) -> Result<(), AwsError> {
        let out = self
            .ec2_in(region)
            .delete_flow_logs()
            .set_flow_log_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| aws_err("DeleteFlowLogs", e))?;
        unsuccessful("DeleteFlowLogs", out.unsuccessful())
    }
}

/// trailhub's tag on the flow log it creates, set by CreateFlowLogs itself (tag on create, VPC-8): the
/// printed policies let trailhub delete only flow logs that carry it.
fn managed_tag() -> TagSpecification {
    TagSpecification::builder()
        .resource_type(ResourceType::VpcFlowLog)
        .tags(
            Tag::builder()
                .key(MANAGED_TAG_KEY)
                .value(MANAGED_TAG_VALUE)
                .build(),
        )
        .build()
}

/// The first item of an answer's `Unsuccessful` list as an error (EC2 answers a failure for one resource
/// there, with HTTP 200).
fn unsuccessful(
    operation: &'static str,
    items: &[aws_sdk_ec2::types::UnsuccessfulItem],
) -> Result<(), AwsError> {
    let Some(u) = items.first() else {
        return Ok(());
    };
    let (code, message) = u
        .error()
        .map(|e| {
            (
                e.code().unwrap_or("Unsuccessful"),
                e.message().unwrap_or_default(),
            )
        })
        .unwrap_or(("Unsuccessful", ""));
    Err(AwsError::new(operation, code, message))
}

/// `DestinationOptions` for CreateFlowLogs: none when they are AWS's defaults (the request stays as it was
/// before trailhub offered them).
fn destination_options(o: &S3Options) -> Option<DestinationOptionsRequest> {
    (!o.is_default()).then(|| {
        DestinationOptionsRequest::builder()
            .file_format(DestinationFileFormat::from(o.file_format.as_str()))
            .hive_compatible_partitions(o.hive_compatible_partitions)
            .per_hour_partition(o.per_hour_partition)
            .build()
    })
}

/// DescribeFlowLogs' `DestinationOptions`, AWS's default for what it leaves out (VPC-7).
fn options(f: &aws_sdk_ec2::types::FlowLog) -> S3Options {
    let Some(d) = f.destination_options() else {
        return S3Options::default();
    };
    S3Options {
        file_format: match d.file_format() {
            Some(DestinationFileFormat::Parquet) => FileFormat::Parquet,
            _ => FileFormat::PlainText,
        },
        hive_compatible_partitions: d.hive_compatible_partitions().unwrap_or(false),
        per_hour_partition: d.per_hour_partition().unwrap_or(false),
    }
}

fn observed(f: &aws_sdk_ec2::types::FlowLog, region: &str) -> ObservedFlowLog {
    let target = match f.log_destination_type() {
        Some(LogDestinationType::S3) => FlowLogDestination::S3 {
            arn: f.log_destination().unwrap_or_default().to_owned(),
            options: options(f),
        },
        Some(LogDestinationType::CloudWatchLogs) | None if f.log_group_name().is_some() => {
            FlowLogDestination::CloudWatch {
                log_group: f.log_group_name().unwrap_or_default().to_owned(),
                role_arn: f
                    .deliver_logs_permission_arn()
                    .unwrap_or_default()
                    .to_owned(),
            }
        }
        other => FlowLogDestination::Other {
            kind: other.map_or_else(|| "unknown".to_owned(), |t| t.as_str().to_owned()),
        },
    };
    ObservedFlowLog {
        id: f.flow_log_id().unwrap_or_default().to_owned(),
        region: region.to_owned(),
        resource_id: f.resource_id().unwrap_or_default().to_owned(),
        target,
        traffic_type: f
            .traffic_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        max_aggregation_interval: f
            .max_aggregation_interval()
            .and_then(|i| u32::try_from(i).ok()),
        log_format: f.log_format().map(str::to_owned),
        deliver_logs_status: f.deliver_logs_status().map(str::to_owned),
        deliver_logs_error: f
            .deliver_logs_error_message()
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        tags: f
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
    }
}

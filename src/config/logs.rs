//! `[cloudwatch]` and `[flow_logs]` in accounts.toml (pure): the trail's delivery to CloudWatch Logs, and
//! VPC flow logs to the central bucket and to CloudWatch Logs. Each value is checked against the rule AWS
//! applies to it (docs/aws-rules.md), so that a bad one stops before any AWS call, with its line and column.

use std::collections::BTreeSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::model::AccountId;

/// The retention periods CloudWatch Logs accepts (PutRetentionPolicy `retentionInDays`).
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// AWS's default flow log format (version 2 fields), which DescribeFlowLogs reports for a flow log made
/// without a `LogFormat`.
pub const DEFAULT_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// Every flow log field AWS documents (VPC User Guide, "Flow log records", Available fields), in its
/// order: versions 2 to 8.
pub const FIELDS: [&str; 40] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
];

/// `[cloudwatch]`: each account's trail also delivers to a log group in that account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloudWatch {
    /// The log group's name template (`{id}` and `{name}` filled in per account).
    pub log_group: String,
    pub retention_days: u32,
    pub role_name: String,
}

/// Where a flow log delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowDestination {
    /// The central bucket, under `[prefix/]AWSLogs/<id>/vpcflowlogs/`.
    S3,
    /// A log group in the account.
    Cloudwatch,
}

impl FlowDestination {
    pub fn name(self) -> &'static str {
        match self {
            FlowDestination::S3 => "s3",
            FlowDestination::Cloudwatch => "cloudwatch",
        }
    }
}

/// `TrafficType` of a flow log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TrafficType {
    Accept,
    Reject,
    All,
}

impl TrafficType {
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficType::Accept => "ACCEPT",
            TrafficType::Reject => "REJECT",
            TrafficType::All => "ALL",
        }
    }
}

/// `[flow_logs]`: a flow log for every VPC of each account in `central.region`, to each destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowLogs {
    pub destinations: BTreeSet<FlowDestination>,
    pub traffic_type: TrafficType,
    /// 60 or 600 seconds.
    pub max_aggregation_interval: u32,
    /// The format, spelled out (`default` is [`DEFAULT_FORMAT`]): DescribeFlowLogs reports it so.
    pub log_format: String,
    /// The log group's name template, for the `cloudwatch` destination.
    pub log_group: String,
    pub retention_days: u32,
    pub role_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCloudWatch {
    log_group: Option<Spanned<String>>,
    retention_days: Option<Spanned<i64>>,
    role_name: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlowLogs {
    destinations: Option<Spanned<Vec<FlowDestination>>>,
    traffic_type: Option<TrafficType>,
    max_aggregation_interval: Option<Spanned<i64>>,
    log_format: Option<Spanned<String>>,
    log_group: Option<Spanned<String>>,
    retention_days: Option<Spanned<i64>>,
    role_name: Option<Spanned<String>>,
}

/// A value that is wrong, and where it is in the file.
pub(super) type Bad = (Range<usize>, String);

pub(super) fn cloudwatch(raw: RawCloudWatch) -> Result<CloudWatch, Bad> {
    Ok(CloudWatch {
        log_group: log_group(raw.log_group, "/trailhub/cloudtrail")?,
        retention_days: retention(raw.retention_days)?,
        role_name: role_name(raw.role_name, "TrailhubCloudTrailToLogs")?,
    })
}

pub(super) fn flow_logs(raw: RawFlowLogs) -> Result<FlowLogs, Bad> {
    let destinations = match raw.destinations {
        None => BTreeSet::from([FlowDestination::S3]),
        Some(d) => {
            let span = d.span();
            let list = d.into_inner();
            let set: BTreeSet<_> = list.iter().copied().collect();
            if set.is_empty() || set.len() != list.len() {
                let why = "destinations must list \"s3\" and/or \"cloudwatch\", each once";
                return Err((span, why.to_owned()));
            }
            set
        }
    };
    let interval = match raw.max_aggregation_interval {
        None => 600,
        Some(i) if matches!(*i.get_ref(), 60 | 600) => *i.get_ref() as u32,
        Some(i) => {
            let why = format!(
                "max_aggregation_interval must be 60 or 600 (seconds), not {}",
                i.get_ref()
            );
            return Err((i.span(), why));
        }
    };
    let log_format = match raw.log_format {
        None => all_fields(),
        Some(f) => log_format(f.get_ref()).map_err(|why| (f.span(), why))?,
    };
    Ok(FlowLogs {
        destinations,
        traffic_type: raw.traffic_type.unwrap_or(TrafficType::All),
        max_aggregation_interval: interval,
        log_format,
        log_group: log_group(raw.log_group, "/trailhub/vpc-flow-logs")?,
        retention_days: retention(raw.retention_days)?,
        role_name: role_name(raw.role_name, "TrailhubFlowLogsToLogs")?,
    })
}

/// `all-fields`: every field AWS documents, in its order.
pub fn all_fields() -> String {
    FIELDS.map(|f| format!("${{{f}}}")).join(" ")
}

/// `default`, `all-fields`, or a custom format: `${field}` words separated by single spaces, each a
/// field AWS documents.
fn log_format(text: &str) -> Result<String, String> {
    match text {
        "default" => return Ok(DEFAULT_FORMAT.to_owned()),
        "all-fields" => return Ok(all_fields()),
        _ => {}
    }
    if text.trim().is_empty() {
        return Err(
            "log_format is empty: use \"default\", \"all-fields\" or \"${field} ...\"".into(),
        );
    }
    for word in text.split(' ') {
        let field = word
            .strip_prefix("${")
            .and_then(|w| w.strip_suffix('}'))
            .ok_or_else(|| {
                format!(
                    "log_format: {word:?} is not a ${{field}}; fields are separated by one space, as in \"${{srcaddr}} ${{dstaddr}}\""
                )
            })?;
        if !FIELDS.contains(&field) {
            return Err(format!(
                "log_format: unknown field {field:?}; the fields AWS documents are {}",
                FIELDS.join(", ")
            ));
        }
    }
    Ok(text.to_owned())
}

fn retention(raw: Option<Spanned<i64>>) -> Result<u32, Bad> {
    let Some(r) = raw else { return Ok(365) };
    let days = *r.get_ref();
    match u32::try_from(days) {
        Ok(d) if RETENTION_DAYS.contains(&d) => Ok(d),
        _ => Err((
            r.span(),
            format!(
                "retention_days {days} is not one CloudWatch Logs accepts: {}",
                RETENTION_DAYS.map(|d| d.to_string()).join(", ")
            ),
        )),
    }
}

fn log_group(raw: Option<Spanned<String>>, default: &str) -> Result<String, Bad> {
    let Some(g) = raw else {
        return Ok(default.to_owned());
    };
    let probe: AccountId = "000000000000".parse().expect("a valid account ID");
    fill_log_group(g.get_ref(), &probe, "x").map_err(|e| (g.span(), format!("log_group: {e}")))?;
    Ok(g.into_inner())
}

fn role_name(raw: Option<Spanned<String>>, default: &str) -> Result<String, Bad> {
    let Some(r) = raw else {
        return Ok(default.to_owned());
    };
    check_role_name(r.get_ref()).map_err(|e| (r.span(), e))?;
    Ok(r.into_inner())
}

/// IAM's rule for role names: 1 to 64 characters of letters, digits and `+=,.@_-`.
pub fn check_role_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "role_name {name:?} is not a valid IAM role name: 1 to 64 letters, digits and +=,.@_-"
        ))
    }
}

/// CloudWatch Logs' rule for log group names: 1 to 512 characters of letters, digits and `_-/.#`, not
/// starting with `aws/` (reserved for AWS).
pub fn check_log_group_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("log group name {name:?} is not valid: {why}"));
    if name.is_empty() || name.len() > 512 {
        return bad("it must be 1 to 512 characters");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-/.#".contains(*c)))
    {
        return bad(&format!(
            "{c:?} is not allowed (letters, digits and _-/.# only)"
        ));
    }
    if name.starts_with("aws/") {
        return bad("names starting with aws/ are reserved for AWS");
    }
    Ok(())
}

/// A log group name from its template: `{id}` and `{name}` (the account's name, with what a log group
/// name cannot hold turned into `-`).
pub fn fill_log_group(template: &str, id: &AccountId, name: &str) -> Result<String, String> {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let filled = template
        .replace("{id}", id.as_str())
        .replace("{name}", &safe);
    check_log_group_name(&filled).map(|()| filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(log_format("default").unwrap(), DEFAULT_FORMAT);
        assert!(
            log_format("all-fields")
                .unwrap()
                .ends_with("${reject-reason}")
        );
        assert_eq!(
            log_format("${srcaddr} ${dstaddr}").unwrap(),
            "${srcaddr} ${dstaddr}"
        );
        assert!(
            log_format("${srcaddr} ${colour}")
                .unwrap_err()
                .contains("colour")
        );
        assert!(log_format("${srcaddr},${dstaddr}").is_err());
        assert!(log_format("").is_err());
    }

    #[test]
    fn names() {
        let id: AccountId = "222222222222".parse().unwrap();
        assert_eq!(
            fill_log_group("/trailhub/{name}/{id}", &id, "Dev Team").unwrap(),
            "/trailhub/Dev-Team/222222222222"
        );
        assert!(fill_log_group("aws/x", &id, "x").is_err());
        assert!(fill_log_group("a b", &id, "x").is_err());
        assert!(check_role_name("Trailhub-ToLogs").is_ok());
        assert!(check_role_name("a/b").is_err());
        assert!(check_role_name(&"a".repeat(65)).is_err());
    }
}

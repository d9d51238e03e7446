//! `[cloudwatch]` and `[flow_logs]` in accounts.toml (pure): the trail's delivery to CloudWatch Logs, and
//! VPC flow logs to the central bucket and to CloudWatch Logs. Each value is checked against the rule AWS
//! applies to it (docs/aws-rules.md), so that a bad one stops before any AWS call, with its line and column.

use std::collections::BTreeSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::boundary::{Boundary, boundary};
use crate::model::{AccountId, Region};
use crate::world::{FileFormat, S3Options};

/// The retention periods CloudWatch Logs accepts (PutRetentionPolicy `retentionInDays`).
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// AWS's default flow log format (version 2 fields), which DescribeFlowLogs reports for a flow log made
/// without a `LogFormat`.
pub const DEFAULT_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// Every flow log field AWS documents (VPC User Guide, "Flow log records", Available fields), in its
/// order, that a `LogFormat` can name without another setting: versions 2 to 8 (`version` ...
/// `reject-reason`), then `resource-id` and `encryption-status` (VPC Encryption Controls), added after
/// version 8, through version 10 (the exact version of `resource-id` was not read). The EC2 tag fields (`${instance-tag}` ...) are left out: they need `TagFieldSpecifications`,
/// which trailhub does not set. docs/aws-rules.md VPC-3.
pub const FIELDS: [&str; 42] = [
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
    "resource-id",
    "encryption-status",
];

/// How many of [`FIELDS`] versions 2 to 8 hold: `v8-fields` (and its old name `all-fields`) is them.
const V8_COUNT: usize = 40;

/// The named formats `log_format` accepts, and how many of [`FIELDS`] each holds (`default` is
/// [`DEFAULT_FORMAT`]). `all-fields` is the old name of `v8-fields`, kept so that a file written for it
/// asks for the same flow logs (its flow logs are not replaced); it is not every field AWS documents.
pub const PRESETS: [(&str, usize); 3] = [
    ("v8-fields", V8_COUNT),
    ("all-fields", V8_COUNT),
    ("v10-fields", FIELDS.len()),
];

/// `[cloudwatch]`: each account's trail also delivers to a log group in that account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloudWatch {
    /// The log group's name template (`{id}` and `{name}` filled in per account).
    pub log_group: String,
    pub retention_days: u32,
    pub role_name: String,
    /// The role's permissions boundary (`permissions_boundary`).
    pub permissions_boundary: Boundary,
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

/// `[flow_logs] regions`: where an account's VPCs get flow logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowRegions {
    /// `"enabled"` (the default): every Region the account has enabled (DescribeRegions; an opt-in Region
    /// once opted into, VPC-13).
    Enabled,
    /// These Regions only (those of them the account has enabled); a VPC elsewhere is an audit gap.
    List(Vec<Region>),
}

impl FlowRegions {
    /// Whether flow logs are wanted in `region` (one the account has enabled).
    pub fn wants(&self, region: &str) -> bool {
        match self {
            FlowRegions::Enabled => true,
            FlowRegions::List(l) => l.iter().any(|r| r.as_str() == region),
        }
    }
}

/// `[flow_logs]`: a flow log for every VPC of each account in each of its Regions (`regions`), to each
/// destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowLogs {
    pub destinations: BTreeSet<FlowDestination>,
    /// `regions`: every enabled Region, or a list.
    pub regions: FlowRegions,
    /// `default_vpcs`: whether each Region's default VPC gets flow logs too (default true).
    pub default_vpcs: bool,
    pub traffic_type: TrafficType,
    /// 60 or 600 seconds.
    pub max_aggregation_interval: u32,
    /// The format, spelled out (`default` is [`DEFAULT_FORMAT`]): DescribeFlowLogs reports it so.
    pub log_format: String,
    /// `DestinationOptions` of the flow logs to S3 (`file_format`, `hive_compatible_partitions`,
    /// `per_hour_partition`); AWS's defaults unless set.
    pub s3_options: S3Options,
    /// The log group's name template, for the `cloudwatch` destination.
    pub log_group: String,
    pub retention_days: u32,
    pub role_name: String,
    /// The role's permissions boundary (`permissions_boundary`).
    pub permissions_boundary: Boundary,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCloudWatch {
    log_group: Option<Spanned<String>>,
    retention_days: Option<Spanned<i64>>,
    role_name: Option<Spanned<String>>,
    permissions_boundary: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlowLogs {
    destinations: Option<Spanned<Vec<FlowDestination>>>,
    regions: Option<Spanned<RawRegions>>,
    default_vpcs: Option<bool>,
    traffic_type: Option<TrafficType>,
    max_aggregation_interval: Option<Spanned<i64>>,
    log_format: Option<Spanned<String>>,
    file_format: Option<Spanned<FileFormat>>,
    hive_compatible_partitions: Option<Spanned<bool>>,
    per_hour_partition: Option<Spanned<bool>>,
    log_group: Option<Spanned<String>>,
    retention_days: Option<Spanned<i64>>,
    role_name: Option<Spanned<String>>,
    permissions_boundary: Option<Spanned<String>>,
}

/// `regions` as written: a word or a list of Region codes.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawRegions {
    Word(String),
    List(Vec<String>),
}

/// `regions`: `"enabled"` or a non-empty list of distinct Region codes.
fn regions(raw: Option<Spanned<RawRegions>>) -> Result<FlowRegions, Bad> {
    let Some(raw) = raw else {
        return Ok(FlowRegions::Enabled);
    };
    let span = raw.span();
    match raw.into_inner() {
        RawRegions::Word(w) if w == "enabled" => Ok(FlowRegions::Enabled),
        RawRegions::Word(w) => Err((
            span,
            format!("regions must be \"enabled\" or a list of Region codes, not {w:?}"),
        )),
        RawRegions::List(l) => {
            let mut out: Vec<Region> = Vec::new();
            for r in &l {
                let region: Region = r
                    .parse()
                    .map_err(|e| (span.clone(), format!("regions: {r:?}: {e}")))?;
                if out.contains(&region) {
                    return Err((span, format!("regions lists {r} twice")));
                }
                out.push(region);
            }
            if out.is_empty() {
                let why = "regions is an empty list: write \"enabled\", or the Regions to cover";
                return Err((span, why.to_owned()));
            }
            Ok(FlowRegions::List(out))
        }
    }
}

/// The `DestinationOptions` keys of `[flow_logs]` as written.
struct S3Given {
    file_format: Option<Spanned<FileFormat>>,
    hive_compatible_partitions: Option<Spanned<bool>>,
    per_hour_partition: Option<Spanned<bool>>,
}

/// A value that is wrong, and where it is in the file.
pub(super) type Bad = (Range<usize>, String);

pub(super) fn cloudwatch(raw: RawCloudWatch) -> Result<CloudWatch, Bad> {
    Ok(CloudWatch {
        log_group: log_group(raw.log_group, "/trailhub/cloudtrail")?,
        retention_days: retention(raw.retention_days)?,
        role_name: role_name(raw.role_name, "TrailhubCloudTrailToLogs")?,
        permissions_boundary: boundary(raw.permissions_boundary)?,
    })
}

pub(super) fn flow_logs(raw: RawFlowLogs) -> Result<FlowLogs, Bad> {
    let s3_given = S3Given {
        file_format: raw.file_format,
        hive_compatible_partitions: raw.hive_compatible_partitions,
        per_hour_partition: raw.per_hour_partition,
    };
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
        None => v8_fields(),
        Some(f) => log_format(f.get_ref()).map_err(|why| (f.span(), why))?,
    };
    let s3_options = s3_options(&s3_given, &destinations)?;
    Ok(FlowLogs {
        destinations,
        regions: regions(raw.regions)?,
        default_vpcs: raw.default_vpcs.unwrap_or(true),
        traffic_type: raw.traffic_type.unwrap_or(TrafficType::All),
        max_aggregation_interval: interval,
        log_format,
        s3_options,
        log_group: log_group(raw.log_group, "/trailhub/vpc-flow-logs")?,
        retention_days: retention(raw.retention_days)?,
        role_name: role_name(raw.role_name, "TrailhubFlowLogsToLogs")?,
        permissions_boundary: boundary(raw.permissions_boundary)?,
    })
}

/// `file_format`, `hive_compatible_partitions` and `per_hour_partition`: EC2 takes `DestinationOptions`
/// only for a flow log to S3 (VPC-7), so each is refused, where it is written, without the `s3` destination.
fn s3_options(raw: &S3Given, destinations: &BTreeSet<FlowDestination>) -> Result<S3Options, Bad> {
    if !destinations.contains(&FlowDestination::S3) {
        let given = [
            ("file_format", raw.file_format.as_ref().map(Spanned::span)),
            (
                "hive_compatible_partitions",
                raw.hive_compatible_partitions.as_ref().map(Spanned::span),
            ),
            (
                "per_hour_partition",
                raw.per_hour_partition.as_ref().map(Spanned::span),
            ),
        ];
        if let Some((key, Some(span))) = given.into_iter().find(|(_, span)| span.is_some()) {
            let why = format!(
                "{key} is an option of flow logs to S3 (DestinationOptions), and destinations has no \"s3\""
            );
            return Err((span, why));
        }
    }
    Ok(S3Options {
        file_format: raw
            .file_format
            .as_ref()
            .map_or(FileFormat::PlainText, |f| *f.get_ref()),
        hive_compatible_partitions: raw
            .hive_compatible_partitions
            .as_ref()
            .is_some_and(|b| *b.get_ref()),
        per_hour_partition: raw
            .per_hour_partition
            .as_ref()
            .is_some_and(|b| *b.get_ref()),
    })
}

/// `v8-fields` (the default, and `all-fields`): every field of versions 2 to 8, in AWS's order.
pub fn v8_fields() -> String {
    fields(V8_COUNT)
}

/// The first `n` of [`FIELDS`] as a format.
fn fields(n: usize) -> String {
    FIELDS[..n]
        .iter()
        .map(|f| format!("${{{f}}}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `default`, a preset of [`PRESETS`], or a custom format: `${field}` words separated by single spaces,
/// each a field AWS documents.
fn log_format(text: &str) -> Result<String, String> {
    if text == "default" {
        return Ok(DEFAULT_FORMAT.to_owned());
    }
    if let Some((_, n)) = PRESETS.iter().find(|(name, _)| *name == text) {
        return Ok(fields(*n));
    }
    if text.trim().is_empty() {
        return Err(
            "log_format is empty: use \"default\", \"v8-fields\", \"v10-fields\" or \"${field} ...\"".into(),
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
        if field.ends_with("-tag") || field.ends_with("-tag-2") {
            return Err(format!(
                "log_format: {field:?} is an EC2 tag field, which needs TagFieldSpecifications; trailhub does not set them"
            ));
        }
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
        // `all-fields` is the old name of `v8-fields`: the same flow logs as before
        let v8 = log_format("v8-fields").unwrap();
        assert_eq!(log_format("all-fields").unwrap(), v8);
        assert!(v8.starts_with("${version} ${account-id}") && v8.ends_with("${reject-reason}"));
        assert!(v8.contains("${ecs-task-id}") && !v8.contains("${encryption-status}"));
        let v10 = log_format("v10-fields").unwrap();
        assert_eq!(v10, format!("{v8} ${{resource-id}} ${{encryption-status}}"));
        for f in [
            "${encryption-status} ${srcaddr} ${dstaddr} ${traffic-path} ${flow-direction} ${reject-reason}",
            "${ecs-cluster-name} ${ecs-task-arn} ${resource-id}",
        ] {
            assert_eq!(log_format(f).unwrap(), f);
        }
        assert!(
            log_format("${srcaddr} ${instance-tag}")
                .unwrap_err()
                .contains("TagFieldSpecifications")
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

    fn flow_logs_section(lines: &str) -> Result<FlowLogs, String> {
        let text = crate::fixtures::config_text("", "", 1) + "[flow_logs]\n" + lines;
        crate::config::Config::parse(std::path::Path::new("t.toml"), &text)
            .map(|c| c.flow_logs.unwrap())
            .map_err(|e| format!("{:#}", anyhow::Error::from(e)))
    }

    /// Issue 22: `regions` is "enabled" (the default) or a list of distinct Region codes; `default_vpcs`
    /// defaults to true. A bad value is refused with its line.
    #[test]
    fn regions_and_default_vpcs() {
        let f = flow_logs_section("").unwrap();
        assert_eq!(
            (f.regions.clone(), f.default_vpcs),
            (FlowRegions::Enabled, true)
        );
        assert!(f.regions.wants("af-south-1"));
        let f = flow_logs_section("regions = \"enabled\"\ndefault_vpcs = false\n").unwrap();
        assert_eq!((f.regions, f.default_vpcs), (FlowRegions::Enabled, false));
        let f = flow_logs_section("regions = [\"eu-west-1\", \"us-east-1\"]\n").unwrap();
        assert!(f.regions.wants("us-east-1") && !f.regions.wants("ap-northeast-2"));
        for (bad, says) in [
            ("regions = \"all\"", "\"enabled\" or a list"),
            ("regions = []", "empty list"),
            ("regions = [\"eu-west-1\", \"eu-west-1\"]", "twice"),
            ("regions = [\"EU WEST\"]", "EU WEST"),
        ] {
            let e = flow_logs_section(&format!("{bad}\n")).unwrap_err();
            assert!(e.contains(says) && e.contains("t.toml:12:11"), "{bad}: {e}");
        }
    }

    /// Issue 20, point 8: the newer fields are accepted in a file; an unknown one is refused where it is.
    #[test]
    fn newer_fields_in_a_file_and_an_unknown_one_with_its_place() {
        let f = flow_logs_section(
            "log_format = \"${encryption-status} ${reject-reason} ${ecs-task-id}\"\n",
        )
        .unwrap();
        assert_eq!(
            f.log_format,
            "${encryption-status} ${reject-reason} ${ecs-task-id}"
        );
        assert_eq!(flow_logs_section("").unwrap().log_format, v8_fields());
        assert_eq!(
            flow_logs_section("log_format = \"all-fields\"\n")
                .unwrap()
                .log_format,
            v8_fields()
        );
        let err = flow_logs_section("log_format = \"${srcaddr} ${colour}\"\n").unwrap_err();
        // [central] 5 lines, [members] 2, one account 3: [flow_logs] is line 11, log_format line 12
        assert!(
            err.contains("t.toml:12:14") && err.contains("unknown field \"colour\""),
            "{err}"
        );
    }

    /// Issue 20, point 9: DestinationOptions as `[flow_logs]` keys, AWS's defaults, S3 only.
    #[test]
    fn s3_options_default_to_aws_s_and_need_the_s3_destination() {
        assert_eq!(
            flow_logs_section("").unwrap().s3_options,
            S3Options::default()
        );
        let f = flow_logs_section(
            "file_format = \"parquet\"\nhive_compatible_partitions = true\nper_hour_partition = true\n",
        )
        .unwrap();
        assert_eq!(
            f.s3_options,
            S3Options {
                file_format: FileFormat::Parquet,
                hive_compatible_partitions: true,
                per_hour_partition: true
            }
        );
        let err = flow_logs_section(
            "destinations = [\"cloudwatch\"]\nhive_compatible_partitions = true\n",
        )
        .unwrap_err();
        assert!(
            err.contains("t.toml:13:30")
                && err.contains("hive_compatible_partitions is an option of flow logs to S3"),
            "{err}"
        );
        let err =
            flow_logs_section("destinations = [\"cloudwatch\"]\nfile_format = \"plain-text\"\n")
                .unwrap_err();
        assert!(
            err.contains("t.toml:13:15") && err.contains("file_format"),
            "{err}"
        );
        let err = flow_logs_section("file_format = \"orc\"\n").unwrap_err();
        assert!(
            err.contains("line 12, column 15") && err.contains("unknown variant `orc`"),
            "{err}"
        );
        assert!(
            flow_logs_section(
                "destinations = [\"s3\", \"cloudwatch\"]\nfile_format = \"parquet\"\n"
            )
            .is_ok()
        );
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

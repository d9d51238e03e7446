//! VPC flow logs (pure): the flow log each VPC of an account should have to each configured destination,
//! and the changes that take the observed flow logs there. A flow log cannot be modified: one with other
//! settings is replaced, the new one made first and the old one deleted after. The bucket owner's own flow
//! logs to S3 cannot be made under a policy with `NotPrincipal` or `NotAction` (DL-5).

use serde::Serialize;

use serde_json::Value;

use super::document::statements;
use crate::config::{Config, FlowDestination, ScopedAccount};
use crate::model::AccountId;
use crate::plan::cloudwatch::LogsSetup;
use crate::world::{DesiredFlowLog, FlowLogDestination, ObservedFlowLog, Vpc};

/// One change to a VPC's flow logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum FlowLogChange {
    /// CreateFlowLogs.
    Create {
        region: String,
        vpc: String,
        destination: FlowDestination,
        #[serde(skip)]
        want: DesiredFlowLog,
    },
    /// CreateFlowLogs, then DeleteFlowLogs of `old` (a flow log to the same place with other settings).
    Replace {
        region: String,
        vpc: String,
        destination: FlowDestination,
        old: String,
        why: String,
        #[serde(skip)]
        want: DesiredFlowLog,
    },
}

impl FlowLogChange {
    pub fn describe(&self) -> String {
        match self {
            FlowLogChange::Create {
                region,
                vpc,
                destination,
                ..
            } => format!("flow log {vpc} ({region}): create ({})", destination.name()),
            FlowLogChange::Replace {
                region,
                vpc,
                destination,
                old,
                why,
                ..
            } => format!(
                "flow log {vpc} ({region}): replace {old} ({}: {why})",
                destination.name()
            ),
        }
    }

    /// The same, inside a line that already says `flow logs` and the Region: `create vpc-1 (s3)`,
    /// `replace fl-1 on vpc-2 (s3: traffic type ALL -> REJECT)`.
    pub fn short(&self) -> String {
        match self {
            FlowLogChange::Create {
                vpc, destination, ..
            } => format!("create {vpc} ({})", destination.name()),
            FlowLogChange::Replace {
                vpc,
                destination,
                old,
                why,
                ..
            } => format!("replace {old} on {vpc} ({}: {why})", destination.name()),
        }
    }

    /// The Region the change is made in.
    pub fn region(&self) -> &str {
        match self {
            FlowLogChange::Create { region, .. } | FlowLogChange::Replace { region, .. } => region,
        }
    }

    pub fn destination(&self) -> FlowDestination {
        match self {
            FlowLogChange::Create { destination, .. }
            | FlowLogChange::Replace { destination, .. } => *destination,
        }
    }

    pub fn want(&self) -> &DesiredFlowLog {
        match self {
            FlowLogChange::Create { want, .. } | FlowLogChange::Replace { want, .. } => want,
        }
    }
}

/// The S3 destination: `arn:<p>:s3:::BUCKET` or `arn:<p>:s3:::BUCKET/PREFIX/` (flow logs then write under
/// `PREFIX/AWSLogs/<id>/vpcflowlogs/<region>/`).
pub fn s3_destination(cfg: &Config) -> String {
    let c = &cfg.central;
    let bucket = super::layout::bucket_arn(c.region.partition(), c.bucket.as_str());
    match c.key_prefix.as_ref().map(|p| p.as_str().trim_matches('/')) {
        Some(p) if !p.is_empty() => format!("{bucket}/{p}/"),
        _ => bucket,
    }
}

/// Which Regions [`desired`] covers: those `[flow_logs] regions` names (the plan), or every Region read
/// (the audit, which reports a VPC outside the list as a gap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionScope {
    Configured,
    Every,
}

/// The VPCs that should have flow logs: in the Regions of `scope`, default VPCs only with `default_vpcs`.
pub fn wanted<'v>(
    fl: &crate::config::FlowLogs,
    vpcs: &'v [Vpc],
    scope: RegionScope,
) -> impl Iterator<Item = &'v Vpc> {
    let all = scope == RegionScope::Every;
    let defaults = fl.default_vpcs;
    let regions = fl.regions.clone();
    vpcs.iter()
        .filter(move |v| (defaults || !v.is_default) && (all || regions.wants(&v.region)))
}

/// The flow logs this target's VPCs should have (none when `[flow_logs]` does not apply to it), in the
/// Regions of `scope`. `setup`: the flow logs' log group and role, for the `cloudwatch` destination;
/// `role_arn` the role's ARN (IAM is global: one role for every Region).
pub fn desired(
    cfg: &Config,
    t: &ScopedAccount,
    vpcs: &[Vpc],
    cloudwatch: Option<(&LogsSetup, &str)>,
    scope: RegionScope,
) -> Vec<(FlowDestination, DesiredFlowLog)> {
    let Some(fl) = cfg.flow_logs.as_ref().filter(|_| t.flow_logs) else {
        return vec![];
    };
    let mut out = Vec::new();
    for vpc in wanted(fl, vpcs, scope) {
        for d in &fl.destinations {
            let target = match d {
                FlowDestination::S3 => FlowLogDestination::S3 {
                    arn: s3_destination(cfg),
                    options: fl.s3_options,
                },
                FlowDestination::Cloudwatch => match cloudwatch {
                    Some((setup, role_arn)) => FlowLogDestination::CloudWatch {
                        log_group: setup.group.clone(),
                        role_arn: role_arn.to_owned(),
                    },
                    None => continue,
                },
            };
            out.push((
                *d,
                DesiredFlowLog {
                    region: vpc.region.clone(),
                    vpc_id: vpc.id.clone(),
                    target,
                    traffic_type: fl.traffic_type.as_str().to_owned(),
                    max_aggregation_interval: fl.max_aggregation_interval,
                    log_format: fl.log_format.clone(),
                },
            ));
        }
    }
    out
}

/// The Regions other than the central one where flow logs go to CloudWatch Logs: each needs the log
/// group there (the central one's is the setup's).
pub fn other_cloudwatch_regions<'w>(
    cfg: &Config,
    want: &'w [(FlowDestination, DesiredFlowLog)],
) -> Vec<&'w str> {
    let mut regions: Vec<&str> = (want.iter())
        .filter(|(d, _)| *d == FlowDestination::Cloudwatch)
        .map(|(_, w)| w.region.as_str())
        .filter(|r| *r != cfg.central.region.as_str())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    regions
}

/// Whether a flow log delivers where `want` does (the S3 ARN with or without its trailing `/`, or the same
/// log group): trailhub's place. Flow logs to other places are someone else's and left alone.
pub fn same_place(have: &FlowLogDestination, want: &FlowLogDestination) -> bool {
    match (have, want) {
        (FlowLogDestination::S3 { arn: a, .. }, FlowLogDestination::S3 { arn: b, .. }) => {
            a.trim_end_matches('/') == b.trim_end_matches('/')
        }
        (
            FlowLogDestination::CloudWatch { log_group: a, .. },
            FlowLogDestination::CloudWatch { log_group: b, .. },
        ) => a == b,
        _ => false,
    }
}

/// How an observed flow log at trailhub's place differs from `want`; empty when it is right.
pub fn differences(have: &ObservedFlowLog, want: &DesiredFlowLog) -> Vec<String> {
    let mut why = Vec::new();
    if have.traffic_type != want.traffic_type {
        why.push(format!(
            "traffic type {} -> {}",
            have.traffic_type, want.traffic_type
        ));
    }
    if have.max_aggregation_interval.unwrap_or(600) != want.max_aggregation_interval {
        why.push(format!(
            "interval {} -> {}",
            have.max_aggregation_interval.unwrap_or(600),
            want.max_aggregation_interval
        ));
    }
    let format = have
        .log_format
        .as_deref()
        .unwrap_or(crate::config::DEFAULT_FORMAT);
    if format != want.log_format {
        why.push("log format".to_owned());
    }
    match (&have.target, &want.target) {
        (
            FlowLogDestination::CloudWatch { role_arn: a, .. },
            FlowLogDestination::CloudWatch { role_arn: b, .. },
        ) if a != b => why.push(format!("role {a} -> {b}")),
        // VPC-7: a Parquet, Hive or hourly flow log where trailhub wants others is not right
        (FlowLogDestination::S3 { options: a, .. }, FlowLogDestination::S3 { options: b, .. })
            if a != b =>
        {
            why.push(format!("options {} -> {}", a.describe(), b.describe()))
        }
        _ => {}
    }
    why
}

/// What a VPC's flow logs at one of trailhub's places need.
enum Need<'a> {
    /// One of them is right.
    Nothing,
    /// None is there.
    Create,
    /// This one (trailhub's tag on it, VPC-9) is to be replaced.
    Replace(&'a ObservedFlowLog),
    /// This one differs but carries no trailhub tag: trailhub's role may not delete it, so it is kept.
    Untagged(&'a ObservedFlowLog),
}

fn need<'a>(want: &DesiredFlowLog, observed: &'a [ObservedFlowLog]) -> Need<'a> {
    let at_place: Vec<&ObservedFlowLog> = observed
        .iter()
        .filter(|o| {
            o.region == want.region
                && o.resource_id == want.vpc_id
                && same_place(&o.target, &want.target)
        })
        .collect();
    if at_place.iter().any(|o| differences(o, want).is_empty()) {
        return Need::Nothing;
    }
    // a tagged one is replaced before an untagged one is held
    match at_place.iter().find(|o| o.managed()).or(at_place.first()) {
        None => Need::Create,
        Some(old) if old.managed() => Need::Replace(old),
        Some(old) => Need::Untagged(old),
    }
}

/// The changes that take `observed` to `desired`, VPC by VPC, destination by destination. A flow log
/// without trailhub's tag is never replaced: see [`untagged`].
pub fn diff(
    desired: &[(FlowDestination, DesiredFlowLog)],
    observed: &[ObservedFlowLog],
) -> Vec<FlowLogChange> {
    let mut out = Vec::new();
    for (d, want) in desired {
        out.push(match need(want, observed) {
            Need::Nothing | Need::Untagged(_) => continue,
            Need::Create => FlowLogChange::Create {
                region: want.region.clone(),
                vpc: want.vpc_id.clone(),
                destination: *d,
                want: want.clone(),
            },
            Need::Replace(old) => FlowLogChange::Replace {
                region: want.region.clone(),
                vpc: want.vpc_id.clone(),
                destination: *d,
                old: old.id.clone(),
                why: differences(old, want).join(", "),
                want: want.clone(),
            },
        });
    }
    out
}

/// A flow log at trailhub's place with other settings than trailhub wants and no trailhub tag (made by an
/// older trailhub, or by hand): the printed policies do not let trailhub delete it (VPC-9), so it is not
/// replaced. It keeps delivering; the plan says how to tag it once (runbooks/vpc-flow-logs.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UntaggedFlowLog {
    pub id: String,
    /// Its Region (flow logs are regional: the tag is given there).
    pub region: String,
    pub vpc: String,
    pub destination: FlowDestination,
    /// What differs, as a replacement would say it.
    pub why: String,
}

/// The flow logs [`diff`] does not replace for want of trailhub's tag.
pub fn untagged(
    desired: &[(FlowDestination, DesiredFlowLog)],
    observed: &[ObservedFlowLog],
) -> Vec<UntaggedFlowLog> {
    desired
        .iter()
        .filter_map(|(d, want)| match need(want, observed) {
            Need::Untagged(old) => Some(UntaggedFlowLog {
                id: old.id.clone(),
                region: old.region.clone(),
                vpc: want.vpc_id.clone(),
                destination: *d,
                why: differences(old, want).join(", "),
            }),
            _ => None,
        })
        .collect()
}

/// The statements of a bucket policy with a `NotPrincipal` or `NotAction` element, by Sid (or position,
/// `#N`).
pub fn not_elements(policy: &Value) -> Vec<String> {
    statements(policy)
        .into_iter()
        .enumerate()
        .filter(|(_, s)| s.contains_key("NotPrincipal") || s.contains_key("NotAction"))
        .map(|(i, s)| {
            s.get("Sid")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), str::to_owned)
        })
        .collect()
}

/// The statements with `NotPrincipal` or `NotAction` that stop the bucket owner's own flow logs to S3
/// (aws-rules DL-5), None when they can be made: when the owner creates a flow log to its bucket, AWS adds
/// its log delivery permission to the bucket policy itself, and that fails, and with it CreateFlowLogs,
/// when the policy has a `NotPrincipal` or `NotAction` element. Only the central account (the bucket's
/// owner), only when a flow log to S3 is to be made.
pub fn owner_refusal(
    cfg: &Config,
    account: &AccountId,
    policy: &Value,
    changes: &[FlowLogChange],
) -> Option<Vec<String>> {
    let makes_s3 = changes
        .iter()
        .any(|c| c.destination() == FlowDestination::S3);
    if account != &cfg.central.account_id || !makes_s3 {
        return None;
    }
    let found = not_elements(policy);
    (!found.is_empty()).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{FileFormat, S3Options};
    use std::path::Path;

    const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
[flow_logs]
destinations = ["s3"]
traffic_type = "REJECT"
"#;

    #[test]
    fn create_then_nothing_then_replace() {
        let cfg = Config::parse(Path::new("a.toml"), CFG).unwrap();
        let t = &cfg.static_targets()[0];
        let vpcs = vec![
            Vpc::new("ap-northeast-2", "vpc-1"),
            Vpc::new("ap-northeast-2", "vpc-2"),
        ];
        let want = desired(&cfg, t, &vpcs, None, RegionScope::Configured);
        assert_eq!(want.len(), 2);
        let d = diff(&want, &[]);
        assert_eq!(
            d[0].describe(),
            "flow log vpc-1 (ap-northeast-2): create (s3)"
        );
        let made: Vec<ObservedFlowLog> = want
            .iter()
            .enumerate()
            .map(|(i, (_, w))| ObservedFlowLog {
                region: "ap-northeast-2".into(),
                id: format!("fl-{i}"),
                resource_id: w.vpc_id.clone(),
                target: FlowLogDestination::S3 {
                    arn: "arn:aws:s3:::sec-log/".into(),
                    options: S3Options::default(),
                },
                traffic_type: w.traffic_type.clone(),
                max_aggregation_interval: Some(w.max_aggregation_interval),
                log_format: Some(w.log_format.clone()),
                deliver_logs_status: Some("SUCCESS".into()),
                deliver_logs_error: None,
                tags: [(
                    crate::world::MANAGED_TAG_KEY.to_owned(),
                    crate::world::MANAGED_TAG_VALUE.to_owned(),
                )]
                .into(),
            })
            .collect();
        assert!(diff(&want, &made).is_empty());
        let mut other = made.clone();
        other[1].traffic_type = "ALL".into();
        let d = diff(&want, &other);
        assert_eq!(
            d.iter().map(FlowLogChange::describe).collect::<Vec<_>>(),
            ["flow log vpc-2 (ap-northeast-2): replace fl-1 (s3: traffic type ALL -> REJECT)"]
        );
        // issue 20, point 9: a Parquet flow log at trailhub's place is not right when plain text is wanted
        let mut parquet = made.clone();
        parquet[0].target = FlowLogDestination::S3 {
            arn: "arn:aws:s3:::sec-log".into(),
            options: S3Options {
                file_format: FileFormat::Parquet,
                hive_compatible_partitions: true,
                ..S3Options::default()
            },
        };
        let d = diff(&want, &parquet);
        assert_eq!(
            d.iter().map(FlowLogChange::describe).collect::<Vec<_>>(),
            [
                "flow log vpc-1 (ap-northeast-2): replace fl-0 (s3: options parquet, hive -> plain-text)"
            ]
        );
        // and the other way: Parquet wanted, a plain-text one found
        let hive = Config::parse(
            Path::new("a.toml"),
            &format!("{CFG}file_format = \"parquet\"\nhive_compatible_partitions = true\n"),
        )
        .unwrap();
        let want = desired(
            &hive,
            &hive.static_targets()[0],
            &vpcs,
            None,
            RegionScope::Configured,
        );
        assert_eq!(diff(&want, &parquet).len(), 1, "vpc-2 is plain text");
        assert_eq!(
            diff(&want, &made)[0].short(),
            "replace fl-0 on vpc-1 (s3: options plain-text -> parquet, hive)"
        );
    }

    /// Issue 21: a flow log without trailhub's tag is never replaced (its delete would be refused, VPC-9)
    /// but said; a tagged one at the same place is replaced first.
    #[test]
    fn an_untagged_flow_log_is_held_and_a_tagged_one_replaced_first() {
        let cfg = Config::parse(Path::new("a.toml"), CFG).unwrap();
        let t = &cfg.static_targets()[0];
        let vpcs = [Vpc::new("ap-northeast-2", "vpc-1")];
        let want = desired(&cfg, t, &vpcs, None, RegionScope::Configured);
        let w = &want[0].1;
        let log = |id: &str, managed: bool| ObservedFlowLog {
            id: id.into(),
            region: "ap-northeast-2".into(),
            resource_id: "vpc-1".into(),
            target: w.target.clone(),
            traffic_type: "ALL".into(),
            max_aggregation_interval: Some(600),
            log_format: Some(w.log_format.clone()),
            deliver_logs_status: None,
            deliver_logs_error: None,
            tags: if managed {
                [(
                    crate::world::MANAGED_TAG_KEY.to_owned(),
                    crate::world::MANAGED_TAG_VALUE.to_owned(),
                )]
                .into()
            } else {
                [("team".to_owned(), "network".to_owned())].into()
            },
        };
        let hand = [log("fl-hand", false)];
        assert!(diff(&want, &hand).is_empty());
        let held = untagged(&want, &hand);
        assert_eq!(held.len(), 1);
        assert_eq!(
            (
                held[0].id.as_str(),
                held[0].vpc.as_str(),
                held[0].why.as_str()
            ),
            ("fl-hand", "vpc-1", "traffic type ALL -> REJECT")
        );
        let both = [log("fl-hand", false), log("fl-ours", true)];
        assert_eq!(
            diff(&want, &both)[0].describe(),
            "flow log vpc-1 (ap-northeast-2): replace fl-ours (s3: traffic type ALL -> REJECT)"
        );
        assert!(untagged(&want, &both).is_empty());
    }

    /// DL-5: only the bucket owner's flow logs to S3 still to make are refused under NotPrincipal/NotAction.
    #[test]
    fn the_owners_new_flow_logs_to_s3_are_refused_under_not_principal_or_not_action() {
        let cfg = Config::parse(Path::new("a.toml"), CFG).unwrap();
        let targets = cfg.static_targets();
        let member = &targets[0];
        let central = &ScopedAccount {
            id: cfg.central.account_id.clone(),
            is_central: true,
            ..member.clone()
        };
        let policy = serde_json::json!({"Statement": [
            {"Sid": "Team", "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"},
             "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::sec-log"},
            {"Effect": "Deny", "Principal": "*", "NotAction": "s3:Get*", "Resource": "arn:aws:s3:::sec-log/x/*"}
        ]});
        assert_eq!(not_elements(&policy), ["Team", "#2"]);
        let vpcs = vec![Vpc::new("ap-northeast-2", "vpc-1")];
        let make =
            |t: &ScopedAccount| diff(&desired(&cfg, t, &vpcs, None, RegionScope::Configured), &[]);
        let why = owner_refusal(&cfg, &central.id, &policy, &make(central)).unwrap();
        assert_eq!(why, ["Team", "#2"]);
        assert_eq!(
            owner_refusal(&cfg, &member.id, &policy, &make(member)),
            None
        );
        assert_eq!(
            owner_refusal(&cfg, &central.id, &policy, &[]),
            None,
            "nothing to make"
        );
        let plain = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]});
        assert_eq!(
            owner_refusal(&cfg, &central.id, &plain, &make(central)),
            None
        );
    }
}

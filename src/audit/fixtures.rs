//! Test fixtures shared by the audit's pure parts (tests only): a config with one member, the policy
//! `trailhub apply` writes, and trails in the states the judge tells apart.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::judge::Judge;
use crate::aws::{ObservedTrail, TrailStatus};
use crate::config::{Config, ScopedAccount};
use crate::model::TrailArn;
use crate::observe::audit::{Candidate, Facts, RegionDelivery};
use crate::plan::DeliveryState;
use crate::plan::policy::{ACL_SID, CLOUDTRAIL, WRITE_SID};

pub(super) const CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
"#;
pub(super) const NOW: i64 = 1_800_000_000;
pub(super) const DAY: i64 = 86_400;
pub(super) const DEV: &str = "222222222222";
pub(super) const DEV_ARN: &str = "arn:aws:cloudtrail:ap-northeast-2:222222222222:trail/DEV-CT";

pub(super) fn cfg() -> Config {
    Config::parse(Path::new("a.toml"), CFG).unwrap()
}

/// The central account as in scope (with a trail of its own).
pub(super) fn central() -> ScopedAccount {
    ScopedAccount {
        id: "111111111111".parse().unwrap(),
        name: "central".into(),
        trail_name: "SEC".parse().unwrap(),
        access: crate::config::Access::Own,
        is_central: true,
        cloudwatch: true,
        flow_logs: true,
        ou: None,
    }
}

/// DEV as in scope (`[cloudwatch]` and `[flow_logs]` apply to it when a config has them).
pub(super) fn dev() -> ScopedAccount {
    cfg().static_targets().remove(0)
}

/// The policy `trailhub apply` writes for these (account, trail ARN) pairs.
pub(super) fn policy(entries: &[(&str, &str)]) -> Value {
    let arns: Vec<&str> = entries.iter().map(|(_, a)| *a).collect();
    let res: Vec<String> = entries
        .iter()
        .map(|(id, _)| format!("arn:aws:s3:::sec-log/AWSLogs/{id}/*"))
        .collect();
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": ACL_SID, "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::sec-log",
         "Condition": {"StringEquals": {"aws:SourceArn": arns}}},
        {"Sid": WRITE_SID, "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
         "Action": "s3:PutObject", "Resource": res,
         "Condition": {"StringEquals": {"AWS:SourceArn": arns,
             "s3:x-amz-acl": "bucket-owner-full-control"}}}]})
}

pub(super) fn trail(arn: &str) -> ObservedTrail {
    let a = TrailArn::parse(arn).unwrap();
    ObservedTrail {
        name: a.name,
        arn: arn.to_owned(),
        home_region: Some("ap-northeast-2".into()),
        bucket: Some("sec-log".into()),
        key_prefix: None,
        multi_region: true,
        global_events: true,
        log_validation: true,
        organization_trail: false,
        cloudwatch: None,
        kms_key_id: None,
    }
}

pub(super) fn healthy(arn: &str) -> Candidate {
    Candidate {
        trail: trail(arn),
        status: Ok(TrailStatus {
            is_logging: true,
            latest_delivery_time: Some(NOW - 600),
            latest_delivery_error: None,
            start_logging_time: Some(NOW - 30 * DAY),
            ..TrailStatus::default()
        }),
        selectors: Ok(crate::fake::aws_default_selectors()),
        managed: true,
        org_id: None,
        delivery: Ok(vec![region(Some(NOW - 300))]),
        stopped: None,
    }
}

pub(super) fn judge<'a>(cfg: &'a Config, policy: &'a Value) -> Judge<'a> {
    Judge {
        cfg,
        policy,
        orgs: crate::plan::membership::Orgs {
            run: None,
            // a test's judge lives as long as the test: no organization learned, no RCPs read
            facts: Box::leak(Box::default()),
        },
        policy_note: None,
        now: NOW,
        max_age: Duration::from_secs(DAY as u64),
        key: None,
    }
}

pub(super) fn reached(c: Vec<Candidate>) -> Facts {
    Facts::Reached {
        candidates: c,
        others: vec![],
        delivery: Box::default(),
    }
}

/// The fixtures' one region folder, with its newest log file.
pub(super) fn region(newest: Option<i64>) -> RegionDelivery {
    RegionDelivery {
        region: "ap-northeast-2".into(),
        newest,
    }
}

/// [`CFG`] with `[cloudwatch]` and `[flow_logs]` to both destinations.
pub(super) const LOGS_CFG: &str = r#"
[central]
account_id = "111111111111"
bucket = "sec-log"
region = "ap-northeast-2"
[members]
trail_name = "{name}-CT"
[[account]]
id = "222222222222"
name = "DEV"
[cloudwatch]
log_group = "/trailhub/{name}"
[flow_logs]
destinations = ["s3", "cloudwatch"]
traffic_type = "ALL"
max_aggregation_interval = 600
"#;

pub(super) fn logs_cfg() -> Config {
    Config::parse(Path::new("a.toml"), LOGS_CFG).unwrap()
}

/// [`policy`] with the statements AWS documents for delivery.logs (VPC User Guide, "Amazon S3 bucket
/// permissions for flow logs"), for these accounts' flow logs in ap-northeast-2.
pub(super) fn flow_policy(entries: &[(&str, &str)], flow_accounts: &[&str]) -> Value {
    let mut p = policy(entries);
    let sources: Vec<String> = flow_accounts
        .iter()
        .map(|id| format!("arn:aws:logs:ap-northeast-2:{id}:*"))
        .collect();
    let res: Vec<String> = flow_accounts
        .iter()
        .map(|id| format!("arn:aws:s3:::sec-log/AWSLogs/{id}/*"))
        .collect();
    let statements = p["Statement"].as_array_mut().unwrap();
    statements.push(json!({"Sid": "AWSLogDeliveryWrite", "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": res,
        "Condition": {"StringEquals": {"aws:SourceAccount": flow_accounts,
                                       "s3:x-amz-acl": "bucket-owner-full-control"},
                      "ArnLike": {"aws:SourceArn": sources}}}));
    statements.push(json!({"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:GetBucketAcl",
        "Resource": "arn:aws:s3:::sec-log",
        "Condition": {"StringEquals": {"aws:SourceAccount": flow_accounts},
                      "ArnLike": {"aws:SourceArn": sources}}}));
    p
}

/// What `apply` leaves in `target` under `cfg`: the trail's and the flow logs' log groups and roles, and
/// every VPC (`vpcs`) with its flow log to each destination, delivering.
pub(super) fn applied_delivery(
    cfg: &Config,
    target: &ScopedAccount,
    vpcs: &[&str],
) -> DeliveryState {
    use crate::aws::{LogGroup, ObservedFlowLog, ObservedRole};
    use crate::plan::cloudwatch::{LogsSetup, flow_setup, trail_setup};
    let group = |s: &LogsSetup| LogGroup {
        name: s.group.clone(),
        arn: s.group_arn.clone(),
        retention_days: Some(s.retention_days),
    };
    let role = |s: &LogsSetup| ObservedRole {
        name: s.role.name.clone(),
        arn: s.role_arn.clone(),
        trust: s.role.trust.clone(),
        policy: Some(s.role.policy.clone()),
        permissions_boundary: Some(s.boundary_arn.clone()),
    };
    let trail = trail_setup(cfg, target).and_then(Result::ok);
    let flow = flow_setup(cfg, target).and_then(Result::ok);
    let region = cfg.central.region.as_str();
    let vpcs: Vec<crate::world::Vpc> = vpcs
        .iter()
        .map(|v| crate::world::Vpc::new(region, v))
        .collect();
    let cw = flow.as_ref().map(|s| (s, s.role_arn.as_str()));
    let every = crate::plan::flow_logs::RegionScope::Every;
    let flow_logs = crate::plan::flow_logs::desired(cfg, target, &vpcs, cw, every)
        .into_iter()
        .enumerate()
        .map(|(i, (_, w))| ObservedFlowLog {
            region: "ap-northeast-2".into(),
            id: format!("fl-{i}"),
            resource_id: w.vpc_id,
            target: w.target,
            traffic_type: w.traffic_type,
            max_aggregation_interval: Some(w.max_aggregation_interval),
            log_format: Some(w.log_format),
            deliver_logs_status: Some("SUCCESS".into()),
            deliver_logs_error: None,
            tags: Default::default(),
        })
        .collect();
    DeliveryState {
        trail_group: trail.as_ref().map(group),
        trail_role: trail.as_ref().map(role),
        vpcs,
        flow_logs,
        regions: crate::world::RegionsSeen {
            enabled: vec![region.to_owned()],
            ..Default::default()
        },
        flow_group: flow.as_ref().map(group),
        flow_groups: vec![],
        flow_role: flow.as_ref().map(role),
        boundary_policy: trail
            .iter()
            .chain(&flow)
            .find_map(|s| s.boundary_document.clone()),
        alarms: Default::default(),
    }
}

/// [`healthy`], delivering to CloudWatch Logs as trailhub sets it up in `target` under `cfg`, its latest
/// delivery there 10 minutes ago.
pub(super) fn healthy_with_logs(cfg: &Config, target: &ScopedAccount, arn: &str) -> Candidate {
    let mut c = healthy(arn);
    let setup = crate::plan::cloudwatch::trail_setup(cfg, target)
        .and_then(Result::ok)
        .expect("[cloudwatch] applies");
    c.trail.cloudwatch = Some(crate::plan::cloudwatch::trail_logs(&setup, None));
    c.status.as_mut().unwrap().latest_cloudwatch_delivery_time = Some(NOW - 600);
    c
}

/// The facts of an account with these candidates and what discovery read for its deliveries.
pub(super) fn reached_with(c: Vec<Candidate>, delivery: DeliveryState) -> Facts {
    Facts::Reached {
        candidates: c,
        others: vec![],
        delivery: Box::new(delivery),
    }
}

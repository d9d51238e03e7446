//! Test fixtures shared by the audit's pure parts (tests only): a config with one member, the policy
//! `trailhub apply` writes, and trails in the states the judge tells apart.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::judge::{Candidate, Facts, Judge, RegionDelivery};
use crate::aws::{ObservedTrail, TrailStatus};
use crate::config::Config;
use crate::model::TrailArn;
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
        org_id: None,
        delivery: Ok(vec![region(Some(NOW - 300))]),
    }
}

pub(super) fn judge<'a>(cfg: &'a Config, policy: &'a Value) -> Judge<'a> {
    Judge {
        cfg,
        policy,
        org: None,
        policy_note: None,
        now: NOW,
        max_age: Duration::from_secs(DAY as u64),
    }
}

pub(super) fn reached(c: Vec<Candidate>) -> Facts {
    Facts::Reached {
        candidates: c,
        others: vec![],
    }
}

/// The fixtures' one region folder, with its newest log file.
pub(super) fn region(newest: Option<i64>) -> RegionDelivery {
    RegionDelivery {
        region: "ap-northeast-2".into(),
        newest,
    }
}

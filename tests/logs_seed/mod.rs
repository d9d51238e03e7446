//! Seeds the in-memory fake with what `[cloudwatch]` and `[flow_logs]` ask of each account, as trailhub's
//! own planner says it (`plan::cloudwatch`, `plan::flow_logs`): the log groups with their retention, the
//! roles with their trust and inline policy, each trail pointed at its group, each VPC's flow logs, and the
//! delivery.logs statements of the bucket policy as AWS documents them. For the audit's tests over the
//! fake (`tests/audit_logs.rs`, `tests/snapshots.rs`), which then break one thing at a time.
#![allow(dead_code)]

use serde_json::{Value, json};
use trailhub::aws::{ObservedFlowLog, TrailLogs, Vpc};
use trailhub::config::{Config, ScopedAccount};
use trailhub::fake::{FakeAws, FakeRole};
use trailhub::plan::cloudwatch::{LogsSetup, flow_setup, trail_logs, trail_setup};
use trailhub::plan::flow_logs::{RegionScope, desired};

/// Every target of a static config: the central account (with its trail), then the members.
pub fn targets(cfg: &Config) -> Vec<ScopedAccount> {
    cfg.central_target()
        .into_iter()
        .chain(cfg.static_targets())
        .collect()
}

/// Makes each target's deliveries right under `cfg`: VPCs `vpc-<id>-a` and `vpc-<id>-b`, every trail of
/// trailhub's name sending to its group (the latest CloudWatch Logs delivery at `delivered`), and the
/// bucket policy letting delivery.logs write for each account.
pub fn deliveries(aws: &FakeAws, cfg: &Config, delivered: i64) {
    let targets = targets(cfg);
    for t in &targets {
        let trail = trail_setup(cfg, t).and_then(Result::ok);
        let flow = flow_setup(cfg, t).and_then(Result::ok);
        let vpcs = vec![format!("vpc-{}-a", t.id), format!("vpc-{}-b", t.id)];
        let mut w = aws.world();
        let id = t.id.to_string();
        for s in trail.iter().chain(flow.iter()) {
            put_setup(&mut w, &id, s);
        }
        if let Some(s) = &trail {
            let trails = w.trails.entry(id.clone()).or_default();
            let (ct, status) = trails
                .iter_mut()
                .find(|(x, _)| x.name == t.trail_name.as_str())
                .expect("apply made the trail");
            ct.cloudwatch = Some(trail_logs(s, None));
            status.latest_cloudwatch_delivery_time = Some(delivered);
        }
        let cw = flow.as_ref().map(|s| (s, s.role_arn.as_str()));
        let region = cfg.central.region.as_str();
        let in_region: Vec<Vpc> = vpcs.iter().map(|v| Vpc::new(region, v)).collect();
        let logs: Vec<ObservedFlowLog> = desired(cfg, t, &in_region, cw, RegionScope::Every)
            .into_iter()
            .enumerate()
            .map(|(i, (_, f))| ObservedFlowLog {
                region: "ap-northeast-2".into(),
                id: format!("fl-{}{i}", &id[..4]),
                resource_id: f.vpc_id,
                target: f.target,
                traffic_type: f.traffic_type,
                max_aggregation_interval: Some(f.max_aggregation_interval),
                log_format: Some(f.log_format),
                deliver_logs_status: Some("SUCCESS".into()),
                deliver_logs_error: None,
                tags: [(
                    trailhub::world::MANAGED_TAG_KEY.to_owned(),
                    trailhub::world::MANAGED_TAG_VALUE.to_owned(),
                )]
                .into(),
            })
            .collect();
        w.vpcs.insert(id.clone(), vpcs);
        w.flow_logs.insert(id, logs);
    }
    let ids: Vec<String> = targets.iter().map(|t| t.id.to_string()).collect();
    allow_flow_logs(aws, cfg, &ids);
}

fn put_setup(w: &mut trailhub::fake::World, id: &str, s: &LogsSetup) {
    w.log_groups
        .entry(id.to_owned())
        .or_default()
        .insert(s.group.clone(), Some(s.retention_days));
    let role = FakeRole {
        trust: s.role.trust.clone(),
        policies: [(s.role.policy_name.clone(), s.role.policy.clone())].into(),
        created: tokio::time::Instant::now(),
        boundary: Some(s.boundary_arn.clone()),
    };
    if let Some(doc) = &s.boundary_document {
        let policy = trailhub::fake::FakePolicy {
            versions: vec![doc.clone()],
        };
        w.managed_policies.insert(s.boundary_arn.clone(), policy);
    }
    w.roles
        .entry(id.to_owned())
        .or_default()
        .insert(s.role.name.clone(), role);
}

/// Adds to the bucket policy the two statements AWS documents for flow logs to S3, for these accounts.
pub fn allow_flow_logs(aws: &FakeAws, cfg: &Config, accounts: &[String]) {
    let bucket = cfg.central.bucket.to_string();
    let mut w = aws.world();
    let text = w.buckets[&bucket].clone().expect("apply wrote the policy");
    let mut policy: Value = serde_json::from_str(&text).unwrap();
    let statements = policy["Statement"].as_array_mut().unwrap();
    statements.extend(flow_statements(cfg, accounts));
    w.buckets.insert(bucket, Some(policy.to_string()));
}

/// The two statements AWS documents for flow logs to S3 ("Amazon S3 bucket permissions for flow logs",
/// VPC User Guide, https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html), for
/// these accounts' flow logs in `central.region`.
pub fn flow_statements(cfg: &Config, accounts: &[String]) -> [Value; 2] {
    let bucket = cfg.central.bucket.to_string();
    let region = cfg.central.region.to_string();
    let sources: Vec<String> = accounts
        .iter()
        .map(|id| format!("arn:aws:logs:{region}:{id}:*"))
        .collect();
    let objects: Vec<String> = accounts
        .iter()
        .map(|id| format!("arn:aws:s3:::{bucket}/AWSLogs/{id}/*"))
        .collect();
    let service = json!({"Service": "delivery.logs.amazonaws.com"});
    [
        json!({"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": service,
            "Action": "s3:PutObject", "Resource": objects,
            "Condition": {"StringEquals": {"aws:SourceAccount": accounts,
                                           "s3:x-amz-acl": "bucket-owner-full-control"},
                          "ArnLike": {"aws:SourceArn": sources}}}),
        json!({"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": service,
            "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{bucket}"),
            "Condition": {"StringEquals": {"aws:SourceAccount": accounts},
                          "ArnLike": {"aws:SourceArn": sources}}}),
    ]
}

/// Points account `id`'s trail `name` at another log group (same role).
pub fn point_trail_elsewhere(aws: &FakeAws, id: &str, name: &str, group_arn: &str) {
    let mut w = aws.world();
    let trails = w.trails.get_mut(id).unwrap();
    let (t, _) = trails.iter_mut().find(|(t, _)| t.name == name).unwrap();
    let role_arn = t.cloudwatch.as_ref().map(|c| c.role_arn.clone());
    t.cloudwatch = Some(TrailLogs {
        log_group_arn: group_arn.to_owned(),
        role_arn: role_arn.unwrap_or_default(),
    });
}

//! Issue 11 against moto, end to end through the real binary: `[cloudwatch]` and `[flow_logs]` (to the
//! bucket and to CloudWatch Logs) for the central account and two members, plan / apply / apply / plan;
//! what each account holds afterwards is read back with trailhub's own SDK layer (`aws::sdk`), which
//! these tests prove against moto at the same time.
//!
//! No `key_prefix`: moto takes everything after `arn:aws:s3:::` of a flow log's destination for the bucket
//! name, so `arn:aws:s3:::bucket/prefix/` fails there (MOTO.md).

use crate::support;

use serde_json::json;
use support::trailhub::{BUCKET, CENTRAL_TRAIL, MEMBERS, REGION, World, static_config};
use trailhub::aws::sdk::{SdkCentral, SdkMember};
use trailhub::aws::{Central, FlowLogDestination, Logs, Member, Network, Roles};
use trailhub::config::{Config, ScopedAccount};

const LOGS: &str = r#"
[cloudwatch]
log_group = "/trailhub/cloudtrail"
retention_days = 365

[flow_logs]
destinations = ["s3", "cloudwatch"]
regions = ["ap-northeast-2"]
traffic_type = "ALL"
max_aggregation_interval = 60
log_format = "v10-fields"
log_group = "/trailhub/vpc-flow-logs"
retention_days = 400
"#;

/// The central account and DEV and STG, with both sections.
fn config() -> String {
    static_config(&MEMBERS[..2]) + LOGS
}

/// A bucket policy that lets delivery.logs write every account's flow logs, as the VPC console documents
/// it (the planner refuses flow logs to the bucket that the policy would not allow).
fn flow_logs_policy() -> String {
    let delivery = json!({"Service": "delivery.logs.amazonaws.com"});
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": delivery,
         "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{BUCKET}")},
        {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": delivery,
         "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}
    ]})
    .to_string()
}

/// The world: moto, the accounts file, the bucket with the flow logs statements, and a second VPC in DEV
/// (every account has its default VPC).
fn start() -> (World, Config) {
    let w = World::start();
    w.write_config(&config());
    w.create_bucket(BUCKET);
    w.put_policy(BUCKET, &flow_logs_policy());
    let dev = aws_sdk_ec2::Client::new(&w.account(MEMBERS[0].0));
    w.rt.block_on(dev.create_vpc().cidr_block("10.1.0.0/16").send())
        .unwrap();
    let cfg = Config::load(&w.config_path()).unwrap();
    (w, cfg)
}

/// Every account in scope, central first, with its client from trailhub's SDK layer.
fn members(w: &World, cfg: &Config) -> Vec<(ScopedAccount, SdkMember)> {
    let central = SdkCentral::new(w.sdk.clone());
    let mut targets: Vec<ScopedAccount> = cfg.central_target().into_iter().collect();
    targets.extend(cfg.static_targets());
    targets
        .into_iter()
        .map(|t| {
            let m = w.rt.block_on(central.member(&t)).unwrap();
            (t, m)
        })
        .collect()
}

/// What trailhub makes in each account, read back through its own SDK layer: the two log groups with
/// their retention, the two roles with their trust and policy, the trail naming the group and role, and a
/// flow log per VPC per destination with the configured settings.
fn assert_made(w: &World, cfg: &Config) {
    let fl = cfg.flow_logs.as_ref().unwrap();
    for (t, m) in members(w, cfg) {
        let id = t.id.as_str();
        w.rt.block_on(async {
            for (group, days) in [
                ("/trailhub/cloudtrail", 365),
                ("/trailhub/vpc-flow-logs", 400),
            ] {
                let g = m.log_group(group).await.unwrap();
                let g = g.unwrap_or_else(|| panic!("no log group {group} in {id}"));
                assert_eq!(g.retention_days, Some(days), "{id} {group}");
                assert_eq!(
                    g.arn,
                    format!("arn:aws:logs:{REGION}:{id}:log-group:{group}"),
                    "{id}"
                );
            }
            let roles = [
                (
                    "TrailhubCloudTrailToLogs",
                    "trailhub-cloudtrail-to-logs",
                    "cloudtrail.amazonaws.com",
                ),
                (
                    "TrailhubFlowLogsToLogs",
                    "trailhub-flow-logs-to-logs",
                    "vpc-flow-logs.amazonaws.com",
                ),
            ];
            for (role, policy, service) in roles {
                let r = m.role(role, policy).await.unwrap();
                let r = r.unwrap_or_else(|| panic!("no role {role} in {id}"));
                assert!(r.trust.contains(service), "{id} {role}: {}", r.trust);
                let p = r
                    .policy
                    .unwrap_or_else(|| panic!("no policy {policy} on {role} in {id}"));
                assert!(p.contains("logs:PutLogEvents"), "{id}: {p}");
            }
            let trails = m.describe_trails().await.unwrap();
            let name = if t.is_central {
                CENTRAL_TRAIL.to_owned()
            } else {
                format!("{}-CLOUDTRAIL", t.name)
            };
            let trail = trails.iter().find(|x| x.name == name).unwrap();
            let cw = trail
                .cloudwatch
                .as_ref()
                .unwrap_or_else(|| panic!("{id}: {trail:?}"));
            assert_eq!(
                cw.log_group_arn,
                format!("arn:aws:logs:{REGION}:{id}:log-group:/trailhub/cloudtrail:*")
            );
            assert_eq!(
                cw.role_arn,
                format!("arn:aws:iam::{id}:role/TrailhubCloudTrailToLogs")
            );
            let vpcs = m.vpcs(REGION).await.unwrap();
            let logs = m.flow_logs(REGION).await.unwrap();
            for vpc in vpcs.iter().map(|v| &v.id) {
                let of_vpc: Vec<_> = logs.iter().filter(|f| &f.resource_id == vpc).collect();
                assert_eq!(of_vpc.len(), 2, "{id} {vpc}: {logs:#?}");
                assert!(of_vpc.iter().any(|f| f.target
                    == FlowLogDestination::S3 {
                        arn: format!("arn:aws:s3:::{BUCKET}"),
                        options: Default::default(),
                    }));
                assert!(of_vpc.iter().any(|f| f.target
                    == FlowLogDestination::CloudWatch {
                        log_group: "/trailhub/vpc-flow-logs".into(),
                        role_arn: format!("arn:aws:iam::{id}:role/TrailhubFlowLogsToLogs"),
                    }));
                for f in of_vpc {
                    assert_eq!(f.traffic_type, fl.traffic_type.as_str(), "{id}");
                    assert_eq!(f.max_aggregation_interval, Some(60), "{id}");
                    assert_eq!(
                        f.log_format.as_deref(),
                        Some(fl.log_format.as_str()),
                        "{id}"
                    );
                    assert_eq!(f.deliver_logs_status.as_deref(), Some("SUCCESS"), "{id}");
                }
            }
            if id == MEMBERS[0].0 {
                assert_eq!(vpcs.len(), 2, "DEV's default VPC and the one the test made");
            }
        });
    }
}

/// Issue 11 over moto: plan shows every change, apply makes the log groups, roles, trails to CloudWatch
/// Logs and flow logs in the three accounts, a second apply has nothing to do, and plan then too.
#[test]
fn plan_apply_apply_plan_makes_the_logs_and_flow_logs_of_every_account() {
    let (w, cfg) = start();
    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    for line in [
        "CloudWatch Logs: boundary policy trailhub-delivery-boundary: create, log group /trailhub/cloudtrail: create (365 days), role TrailhubCloudTrailToLogs: create (policy trailhub-cloudtrail-to-logs)",
        "flow logs (2 VPCs): log group /trailhub/vpc-flow-logs: create (400 days)",
        "summary: 3 accounts to change, 0 up to date, 0 cannot be planned",
        "logs: 6 log groups to create, 6 roles to create, 3 boundary policies to create, 8 flow logs to create",
    ] {
        assert!(support::says(&plan.stdout, line), "{line}\n{plan}");
    }

    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("summary: 3 accounts: 3 converged (3 changed, 0 unchanged), 0 failed"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("logs: 6 log groups created, 6 roles created, 3 boundary policies created, 8 flow logs created"),
        "{out}"
    );
    assert_made(&w, &cfg);

    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(
        again.stdout.contains("nothing to do: the bucket, its policy, 3 trails and the flow logs of 4 VPCs are as they should be"),
        "{again}"
    );
    let plan = w.trailhub(&["plan", "--format", "json"]);
    assert_eq!(plan.code, 0, "{plan}");
    let v: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(v["has_changes"], false, "{plan}");
    assert_made(&w, &cfg);
}

/// Issue 11 over moto: what drifted is put back. A flow log whose settings change in the config (ALL ->
/// REJECT) is replaced; moto refuses a second flow log to the same place whatever its settings, so there
/// the old one goes first (`aws::emulator::replace_deletes_first`). A log group whose retention someone
/// changed gets it back; a role whose trust someone replaced gets trailhub's statement back beside theirs
/// (UpdateAssumeRolePolicy, which moto validates). Each VPC keeps one flow log per destination, and the next
/// apply has nothing to do.
#[test]
fn drift_is_put_back_and_changed_settings_replace_the_flow_logs() {
    let (w, cfg) = start();
    assert_eq!(w.apply().code, 0);
    let theirs = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}"#;
    let dev = members(&w, &cfg).remove(1).1;
    w.rt.block_on(async {
        dev.put_retention("/trailhub/cloudtrail", 30).await.unwrap();
        dev.update_trust("TrailhubCloudTrailToLogs", theirs)
            .await
            .unwrap();
    });
    let plan = w.trailhub(&["plan"]);
    for line in [
        "log group /trailhub/cloudtrail: retention 30 days -> 365 days",
        "role TrailhubCloudTrailToLogs: trust policy: add trailhub's statement",
    ] {
        assert!(support::says(&plan.stdout, line), "{line}\n{plan}");
    }
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert_made(&w, &cfg);
    let role =
        w.rt.block_on(dev.role("TrailhubCloudTrailToLogs", "trailhub-cloudtrail-to-logs"))
            .unwrap()
            .unwrap();
    assert!(
        role.trust.contains("Theirs"),
        "their statement kept: {}",
        role.trust
    );
    assert!(w.apply().stdout.contains("nothing to do"));

    w.write_config(&config().replace("traffic_type = \"ALL\"", "traffic_type = \"REJECT\""));
    let cfg = Config::load(&w.config_path()).unwrap();
    let plan = w.trailhub(&["plan"]);
    assert!(
        support::says(&plan.stdout, "(s3: traffic type ALL -> REJECT)"),
        "{plan}"
    );
    assert!(
        plan.stdout.contains("logs: 8 flow logs to replace"),
        "{plan}"
    );
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("8 flow logs replaced"), "{out}");
    assert_made(&w, &cfg);
    let again = w.apply();
    assert!(again.stdout.contains("nothing to do"), "{again}");
}

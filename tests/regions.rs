//! Issue 22 against moto, end to end through the real binary, as a new user would try it: `[flow_logs]`
//! with no Region list covers every VPC of every enabled Region of every account (moto gives each account
//! a default VPC in each of its 24 enabled Regions, and in the 14 not opted into, which trailhub leaves
//! alone as AWS has none there; 4 of the 24 are China and GovCloud Regions, another partition, which AWS
//! never lists and trailhub leaves out: 20); a VPC made afterwards in another Region is found by the audit with its
//! Region and ID, the next apply covers it, and the apply after that writes nothing.

use crate::support;

use serde_json::Value;
use support::TEST_ACCOUNT_ID;
use support::trailhub::{BUCKET, MEMBERS, World, static_config};
use trailhub::aws::sdk::{SdkCentral, SdkMember};
use trailhub::aws::{Central, FlowLogDestination, Logs, Network};
use trailhub::config::Config;

const FLOW_LOGS: &str = r#"
[flow_logs]
destinations = ["s3", "cloudwatch"]
log_group = "/trailhub/vpc-flow-logs"
"#;

/// The central account and DEV and STG.
fn start() -> (World, Config) {
    let w = World::start();
    w.write_config(&(static_config(&MEMBERS[..2]) + FLOW_LOGS));
    w.create_bucket(BUCKET);
    let cfg = Config::load(&w.config_path()).unwrap();
    (w, cfg)
}

/// Every account's client from trailhub's SDK layer.
fn members(w: &World, cfg: &Config) -> Vec<(String, SdkMember)> {
    let central = SdkCentral::new(w.sdk.clone());
    let mut targets: Vec<_> = cfg.central_target().into_iter().collect();
    targets.extend(cfg.static_targets());
    targets
        .into_iter()
        .map(|t| (t.id.to_string(), w.rt.block_on(central.member(&t)).unwrap()))
        .collect()
}

/// Every VPC of every enabled Region of every account has a flow log to the bucket and one to the log
/// group of its Region, which exists there; the number of VPCs seen.
fn every_vpc_is_covered(w: &World, cfg: &Config) -> usize {
    let mut seen = 0;
    for (id, m) in members(w, cfg) {
        let regions = w.rt.block_on(m.regions()).unwrap();
        let enabled: Vec<String> = (regions.iter())
            .filter(|r| r.enabled())
            .map(|r| r.name.clone())
            .collect();
        assert_eq!(
            enabled.len(),
            20,
            "moto's enabled Regions of the aws partition"
        );
        assert_eq!(regions.len(), 34, "and the opt-in ones it lists");
        for r in &enabled {
            let vpcs = w.rt.block_on(m.vpcs(r)).unwrap();
            let logs = w.rt.block_on(m.flow_logs(r)).unwrap();
            let group =
                w.rt.block_on(m.logs_in(r).log_group("/trailhub/vpc-flow-logs"));
            assert!(group.unwrap().is_some(), "{id} {r}: the flow logs' group");
            for v in &vpcs {
                let of_vpc: Vec<_> = logs.iter().filter(|f| f.resource_id == v.id).collect();
                assert!(
                    of_vpc
                        .iter()
                        .any(|f| matches!(f.target, FlowLogDestination::S3 { .. })),
                    "{id} {r} {}: {of_vpc:#?}",
                    v.id
                );
                assert!(
                    of_vpc
                        .iter()
                        .any(|f| matches!(f.target, FlowLogDestination::CloudWatch { .. })),
                    "{id} {r} {}: {of_vpc:#?}",
                    v.id
                );
            }
            seen += vpcs.len();
        }
    }
    seen
}

/// The audit's flow-log problems (code, message) of one account, from its JSON report.
fn flow_problems(w: &World, account: &str) -> Vec<(String, String)> {
    let run = w.trailhub(&["--format", "json", "audit"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    let accounts = v["accounts"].as_array().unwrap();
    let a = accounts.iter().find(|a| a["id"] == account).unwrap();
    (a["problems"].as_array().unwrap().iter())
        .filter(|p| p["code"].as_str().unwrap().starts_with("flow-logs"))
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_owned();
            (s("code"), s("message"))
        })
        .collect()
}

#[test]
fn every_vpc_of_every_enabled_region_gets_its_flow_logs_and_a_new_one_is_found_then_covered() {
    let (w, cfg) = start();
    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("flow logs created"), "{out}");
    // 3 accounts, a default VPC in each of their 20 enabled Regions
    assert_eq!(every_vpc_is_covered(&w, &cfg), 3 * 20);
    for id in [TEST_ACCOUNT_ID, MEMBERS[0].0, MEMBERS[1].0] {
        assert_eq!(flow_problems(&w, id), [], "{id}");
    }

    // a VPC made after the apply, in another Region than the central one
    let dev = MEMBERS[0].0;
    let ireland = w
        .account(dev)
        .to_builder()
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let made =
        w.rt.block_on(
            aws_sdk_ec2::Client::new(&ireland)
                .create_vpc()
                .cidr_block("10.7.0.0/16")
                .send(),
        )
        .unwrap();
    let vpc = made.vpc().and_then(|v| v.vpc_id()).unwrap().to_owned();
    let problems = flow_problems(&w, dev);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    for (code, message) in &problems {
        assert_eq!(code, "flow-logs-missing");
        assert!(
            message.contains(&format!("VPC {vpc} in eu-west-1 has no flow log")),
            "{message}"
        );
    }
    let plan = w.trailhub(&["plan"]);
    assert!(
        support::says(
            &plan.stdout,
            &format!("eu-west-1: create {vpc} (s3), create {vpc} (cloudwatch)")
        ),
        "{plan}"
    );

    let out = w.apply();
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(every_vpc_is_covered(&w, &cfg), 3 * 20 + 1);
    assert_eq!(flow_problems(&w, dev), []);

    // nothing left to write
    w.proxy.clear_log();
    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("nothing to do"), "{again}");
    let writes = w.proxy.writes();
    assert!(writes.is_empty(), "the second apply wrote: {writes:#?}");
}

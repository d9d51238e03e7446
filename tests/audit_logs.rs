//! Issue 11: the audit checks CloudWatch Logs and VPC flow logs. Over the in-memory fake through the same
//! `commands::run` the binary calls (every code, the exit status, the calls an account costs, no write),
//! and over moto through the real binary and the recording proxy (a deleted flow log and a trail pointed at
//! another log group, found with no write).

use crate::logs_seed;
use crate::support;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::put_objects_past_policy;
use time::OffsetDateTime;
use trailhub::cli::{ApplyArgs, AuditArgs, Command, Format};
use trailhub::commands::{Session, run};
use trailhub::config::Config;
use trailhub::fake::{FakeAws, log_file_key};
use trailhub::interrupt::Interrupt;
use trailhub::output::Scripted;

const CENTRAL: &str = "111111111111";
const REGION: &str = "ap-northeast-2";
const BUCKET: &str = "sec-log";
const DEV: &str = "222222222222";
const STG: &str = "333333333333";
const PRD: &str = "444444444444";
/// When the audit runs (2027-01-15T08:00:00Z).
const NOW: i64 = 1_800_000_000;
use crate::support::in_process::FOUR_ACCOUNTS as CONFIG;

const DAY: i64 = 86_400;

const LOGS: &str = r#"
[cloudwatch]
log_group = "/trailhub/cloudtrail"
retention_days = 365

[flow_logs]
destinations = ["s3", "cloudwatch"]
traffic_type = "ALL"
max_aggregation_interval = 600
log_format = "all-fields"
"#;

/// Every AWS call that changes something, as the fake counts them.
const WRITES: [&str; 13] = [
    "CreateBucket",
    "PutBucketPolicy",
    "CreateTrail",
    "UpdateTrail",
    "StartLogging",
    "PutEventSelectors",
    "CreateLogGroup",
    "PutRetentionPolicy",
    "CreateRole",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "CreateFlowLogs",
    "DeleteFlowLogs",
];

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap()
}

fn config(text: &str) -> Config {
    Config::parse(Path::new("accounts.toml"), text).unwrap()
}

/// Runs `command` in-process as the binary would after connecting: the exit code and stdout.
async fn trailhub(aws: &FakeAws, cfg: &Config, command: &Command, format: Format) -> (i32, String) {
    let mut console = Scripted::answering(&[]);
    let mut out = Vec::new();
    let session = Session {
        format,
        concurrency: 4,
        interrupt: Interrupt::default(),
        now,
        console: &mut console,
        out: &mut out,
    };
    let code = run(aws, cfg, command, session).await.unwrap();
    (code, String::from_utf8(out).unwrap())
}

fn audit_command() -> Command {
    Command::Audit(AuditArgs {
        max_age: Duration::from_secs(DAY as u64),
        output: None,
        ..Default::default()
    })
}

/// `[(id, [(code, severity)])]` of a JSON report.
fn problems(v: &Value) -> Vec<(String, Vec<(String, String)>)> {
    v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let p = a["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let s = |k: &str| p[k].as_str().unwrap().to_owned();
                    (s("code"), s("severity"))
                })
                .collect();
            (a["id"].as_str().unwrap().to_owned(), p)
        })
        .collect()
}

fn expect(rows: &[(&str, &[(&str, &str)])]) -> Vec<(String, Vec<(String, String)>)> {
    rows.iter()
        .map(|(id, p)| {
            let p = p
                .iter()
                .map(|(c, s)| (c.to_string(), s.to_string()))
                .collect();
            (id.to_string(), p)
        })
        .collect()
}

/// The message of `id`'s problem `code`.
fn message<'v>(v: &'v Value, id: &str, code: &str) -> &'v str {
    let a = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap();
    let p = a["problems"].as_array().unwrap();
    let p = p.iter().find(|p| p["code"] == code);
    p.unwrap_or_else(|| panic!("{id} has no {code}: {a:#}"))["message"]
        .as_str()
        .unwrap()
}

/// The fake after `apply` of the config without the new sections, every account's CloudTrail delivering,
/// then its deliveries made right under the config with them (what issue 11's apply leaves).
async fn applied() -> (FakeAws, Config) {
    let aws = FakeAws::new(CENTRAL, REGION, Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let apply = Command::Apply(ApplyArgs {
        prune: false,
        yes: true,
        backup_dir: dir.path().join("backups"),
        ..Default::default()
    });
    let (code, out) = trailhub(&aws, &config(CONFIG), &apply, Format::Text).await;
    assert_eq!(code, 0, "{out}");
    {
        let mut w = aws.world();
        for (_, trails) in w.trails.iter_mut() {
            trails[0].1.start_logging_time = Some(NOW - 30 * DAY);
        }
        let objects = w.objects.entry(BUCKET.into()).or_default();
        for id in [CENTRAL, DEV, STG, PRD] {
            objects.insert(log_file_key(None, None, id, REGION, NOW - 600), NOW - 600);
        }
    }
    let cfg = config(&format!("{CONFIG}{LOGS}"));
    logs_seed::deliveries(&aws, &cfg, NOW - 600);
    (aws, cfg)
}

fn writes(aws: &FakeAws) -> usize {
    WRITES.iter().map(|op| aws.calls(op)).sum()
}

#[tokio::test(start_paused = true)]
async fn right_deliveries_are_covered_with_reads_from_discovery_only() {
    let (aws, cfg) = applied().await;
    let (writes_before, reads_before) = (writes(&aws), aws.world().calls.clone());
    let (code, out) = trailhub(&aws, &cfg, &audit_command(), Format::Json).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{v:#}");
    let none: &[(&str, &str)] = &[];
    assert_eq!(
        problems(&v),
        expect(&[(CENTRAL, none), (DEV, none), (STG, none), (PRD, none)])
    );
    assert_eq!(writes(&aws), writes_before, "the audit wrote");
    // per account, what [cloudwatch] and [flow_logs] cost: read by discovery in the wave of DescribeTrails
    let calls = aws.world().calls.clone();
    let made =
        |op: &str| calls.get(op).copied().unwrap_or(0) - reads_before.get(op).copied().unwrap_or(0);
    for (op, per_account) in [
        ("DescribeTrails", 1),
        ("GetTrailStatus", 1),
        ("GetEventSelectors", 1),
        ("DescribeLogGroups", 2),
        ("GetRole", 2),
        ("GetRolePolicy", 2),
        ("DescribeVpcs", 1),
        ("DescribeFlowLogs", 1),
    ] {
        assert_eq!(made(op), 4 * per_account, "{op}");
    }
    assert_eq!(made("AssumeRole"), 3);
}

/// Breaks one thing of each kind, and checks that exactly those are reported, with what to do.
#[tokio::test(start_paused = true)]
async fn each_broken_delivery_is_its_code() {
    let (aws, cfg) = applied().await;
    {
        let mut w = aws.world();
        // DEV: CloudTrail cannot write to the group, and a VPC lost its flow log to CloudWatch Logs
        let dev = &mut w.trails.get_mut(DEV).unwrap()[0].1;
        dev.latest_cloudwatch_delivery_error =
            Some("AccessDeniedException: not authorized to perform logs:PutLogEvents".into());
        let dev_logs = w.flow_logs.get_mut(DEV).unwrap();
        let n = dev_logs.len();
        dev_logs.retain(|f| {
            !(f.resource_id == "vpc-222222222222-a"
                && matches!(
                    f.target,
                    trailhub::aws::FlowLogDestination::CloudWatch { .. }
                ))
        });
        assert_eq!(dev_logs.len(), n - 1);
        // STG: AWS does not say when it last delivered to the group (as moto): a warning only
        w.trails.get_mut(STG).unwrap()[0]
            .1
            .latest_cloudwatch_delivery_time = None;
        // PRD: the latest delivery to the group is two days old, and a flow log fails
        w.trails.get_mut(PRD).unwrap()[0]
            .1
            .latest_cloudwatch_delivery_time = Some(NOW - 2 * DAY);
        let f = &mut w.flow_logs.get_mut(PRD).unwrap()[0];
        f.deliver_logs_status = Some("FAILED".into());
        f.deliver_logs_error = Some("Access error".into());
        // PRD is cut out of delivery.logs' statements
        let text = w.buckets[BUCKET].clone().unwrap();
        let mut policy: Value = serde_json::from_str(&text).unwrap();
        for s in policy["Statement"].as_array_mut().unwrap() {
            if s["Principal"]["Service"] == "delivery.logs.amazonaws.com" {
                s["Condition"]["StringEquals"]["aws:SourceAccount"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|a| a != PRD);
            }
        }
        w.buckets.insert(BUCKET.into(), Some(policy.to_string()));
    }
    // central: its trail now sends to another group
    logs_seed::point_trail_elsewhere(
        &aws,
        CENTRAL,
        "SEC-CLOUDTRAIL",
        "arn:aws:logs:ap-northeast-2:111111111111:log-group:/team/elsewhere:*",
    );
    let before = writes(&aws);
    let (code, out) = trailhub(&aws, &cfg, &audit_command(), Format::Json).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(writes(&aws), before);
    assert_eq!(
        problems(&v),
        expect(&[
            (CENTRAL, &[("no-cloudwatch", "gap")]),
            (
                DEV,
                &[("cloudwatch-error", "gap"), ("flow-logs-missing", "gap")]
            ),
            (STG, &[("cloudwatch-stale", "warning")]),
            (
                PRD,
                &[
                    ("cloudwatch-stale", "gap"),
                    ("flow-logs-failed", "gap"),
                    ("flow-logs-denied", "gap")
                ]
            ),
        ])
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"accounts": 4, "covered": 1, "stale": 0})
    );
    for (id, code, says) in [
        (
            CENTRAL,
            "no-cloudwatch",
            "trail SEC-CLOUDTRAIL delivers to log group /team/elsewhere, not to /trailhub/cloudtrail",
        ),
        (
            DEV,
            "cloudwatch-error",
            "AccessDeniedException: not authorized to perform logs:PutLogEvents",
        ),
        (
            DEV,
            "flow-logs-missing",
            "VPC vpc-222222222222-a in ap-northeast-2 has no flow log to log group /trailhub/vpc-flow-logs",
        ),
        (
            STG,
            "cloudwatch-stale",
            "CloudTrail does not say when it last delivered trail STG-CLOUDTRAIL",
        ),
        (PRD, "cloudwatch-stale", "was 2d0h ago"),
        (
            PRD,
            "flow-logs-failed",
            "of VPC vpc-444444444444-a in ap-northeast-2 to s3://sec-log/ (s3) fails to deliver (DeliverLogsStatus FAILED): Access error",
        ),
        (
            PRD,
            "flow-logs-denied",
            "under s3://sec-log/AWSLogs/444444444444/vpcflowlogs/",
        ),
    ] {
        let m = message(&v, id, code);
        assert!(m.contains(says), "{id} {code}: {m}");
        assert!(m.contains("runbooks/"), "{id} {code} says what to do: {m}");
    }
    // the same in text: the table's codes, then each problem's message
    let (code, text) = trailhub(&aws, &cfg, &audit_command(), Format::Text).await;
    assert_eq!(code, 1);
    assert!(text.contains("coverage: 1/4 accounts (25.0%)"), "{text}");
    assert!(
        text.contains("333333333333  STG      yes      cloudwatch-stale (warning)"),
        "{text}"
    );
}

/// Where the account opts out (`cloudwatch = false`, `flow_logs = false`), nothing of either is judged.
#[tokio::test(start_paused = true)]
async fn an_account_that_opts_out_is_not_judged_for_it() {
    let (aws, _) = applied().await;
    aws.world().flow_logs.remove(STG);
    logs_seed::point_trail_elsewhere(
        &aws,
        STG,
        "STG-CLOUDTRAIL",
        "arn:aws:logs:ap-northeast-2:333333333333:log-group:/x:*",
    );
    let text = format!("{CONFIG}{LOGS}").replace(
        "name = \"STG\"\n",
        "name = \"STG\"\ncloudwatch = false\nflow_logs = false\n",
    );
    let before = aws.world().calls.clone();
    let (code, out) = trailhub(&aws, &config(&text), &audit_command(), Format::Json).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["covered"], 4);
    // and nothing of it is read there
    let reads = |op: &str| aws.calls(op) - before.get(op).copied().unwrap_or(0);
    assert_eq!((reads("DescribeFlowLogs"), reads("GetRole")), (3, 6));
}

mod over_moto {
    //! moto holds what trailhub reads (log groups, roles, trails naming them, flow logs), checks none of it,
    //! and never reports a CloudWatch Logs delivery time: over moto the right account's only problem is the
    //! `cloudwatch-stale` warning.
    use super::support::TEST_ACCOUNT_ID;
    use super::support::trailhub::{BUCKET, MEMBERS, REGION, World, static_config};
    use super::*;
    use aws_sdk_ec2::types::{FlowLogsResourceType, LogDestinationType, TrafficType};
    use trailhub::aws::FlowLogDestination;
    use trailhub::config::ScopedAccount;
    use trailhub::plan::cloudwatch::{flow_setup, trail_logs, trail_setup};
    use trailhub::plan::flow_logs::desired;

    /// What issue 11's apply makes in one account, made with the SDK straight to moto: both log groups
    /// with their retention, both roles with trailhub's trust and inline policy, the trail pointed at its
    /// group, and a flow log to each destination for each VPC (moto gives each account a default VPC).
    fn seed(w: &World, cfg: &Config, t: &ScopedAccount) {
        let sdk = w.account(t.id.as_str());
        let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
        let iam = aws_sdk_iam::Client::new(&sdk);
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        let ct = aws_sdk_cloudtrail::Client::new(&sdk);
        let trail = trail_setup(cfg, t).unwrap().unwrap();
        let flow = flow_setup(cfg, t).unwrap().unwrap();
        w.rt.block_on(async {
            // trailhub's boundary policy, as apply makes it (moto returns it from GetPolicyVersion)
            let document = trail.boundary_document.as_deref().unwrap();
            iam.create_policy()
                .policy_name(trailhub::config::BOUNDARY_POLICY_NAME)
                .policy_document(document)
                .send()
                .await
                .unwrap();
            for s in [&trail, &flow] {
                logs.create_log_group()
                    .log_group_name(&s.group)
                    .send()
                    .await
                    .unwrap();
                logs.put_retention_policy()
                    .log_group_name(&s.group)
                    .retention_in_days(s.retention_days as i32)
                    .send()
                    .await
                    .unwrap();
                iam.create_role()
                    .role_name(&s.role.name)
                    .assume_role_policy_document(&s.role.trust)
                    .permissions_boundary(&s.boundary_arn)
                    .send()
                    .await
                    .unwrap();
                iam.put_role_policy()
                    .role_name(&s.role.name)
                    .policy_name(&s.role.policy_name)
                    .policy_document(&s.role.policy)
                    .send()
                    .await
                    .unwrap();
            }
            let to = trail_logs(&trail, None);
            ct.update_trail()
                .name(t.trail_name.as_str())
                .cloud_watch_logs_log_group_arn(to.log_group_arn)
                .cloud_watch_logs_role_arn(to.role_arn)
                .send()
                .await
                .unwrap();
            // issue 22: the flow logs of every enabled Region (moto: 24), each Region's to its own
            // log group there
            let regions = ec2.describe_regions().send().await.unwrap();
            let enabled = regions
                .regions()
                .iter()
                .filter(|r| r.opt_in_status() != Some("not-opted-in"))
                .filter_map(|r| r.region_name());
            let mut vpcs: Vec<trailhub::aws::Vpc> = Vec::new();
            for region in enabled {
                let here = sdk
                    .to_builder()
                    .region(aws_config::Region::new(region.to_owned()))
                    .build();
                if region != support::TEST_REGION {
                    let logs = aws_sdk_cloudwatchlogs::Client::new(&here);
                    logs.create_log_group()
                        .log_group_name(&flow.group)
                        .send()
                        .await
                        .unwrap();
                    logs.put_retention_policy()
                        .log_group_name(&flow.group)
                        .retention_in_days(flow.retention_days as i32)
                        .send()
                        .await
                        .unwrap();
                }
                let ec2 = aws_sdk_ec2::Client::new(&here);
                let found = ec2.describe_vpcs().send().await.unwrap();
                vpcs.extend(
                    (found.vpcs().iter())
                        .filter_map(|v| v.vpc_id())
                        .map(|v| trailhub::aws::Vpc::new(region, v)),
                );
            }
            assert!(
                vpcs.len() > 1,
                "moto gives every account a default VPC in each Region"
            );
            let cw = Some((&flow, flow.role_arn.as_str()));
            let every = trailhub::plan::flow_logs::RegionScope::Every;
            for (_, f) in desired(cfg, t, &vpcs, cw, every) {
                let here = sdk
                    .to_builder()
                    .region(aws_config::Region::new(f.region.clone()))
                    .build();
                let call = aws_sdk_ec2::Client::new(&here)
                    .create_flow_logs()
                    .resource_type(FlowLogsResourceType::Vpc)
                    .resource_ids(&f.vpc_id)
                    .traffic_type(TrafficType::from(f.traffic_type.as_str()))
                    .max_aggregation_interval(f.max_aggregation_interval as i32)
                    .log_format(&f.log_format);
                let call = match &f.target {
                    FlowLogDestination::S3 { arn, .. } => call
                        .log_destination_type(LogDestinationType::S3)
                        .log_destination(arn),
                    FlowLogDestination::CloudWatch {
                        log_group,
                        role_arn,
                    } => call
                        .log_destination_type(LogDestinationType::CloudWatchLogs)
                        .log_group_name(log_group)
                        .deliver_logs_permission_arn(role_arn),
                    FlowLogDestination::Other { .. } => unreachable!(),
                };
                let out = call.send().await.unwrap();
                assert!(out.unsuccessful().is_empty(), "{out:?}");
            }
        });
    }

    /// The JSON report of an audit through the proxy, which must have seen no write.
    fn audit(w: &World) -> (i32, Value) {
        w.proxy.clear_log();
        let run = w.trailhub(&["--format", "json", "audit"]);
        let writes = w.proxy.writes();
        assert!(writes.is_empty(), "the audit wrote: {writes:#?}");
        let v: Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run}"));
        (run.code, v)
    }

    #[test]
    fn a_deleted_flow_log_and_a_trail_pointed_elsewhere_are_found_read_only() {
        let w = World::start();
        let dev = MEMBERS[0].0;
        let base = static_config(&MEMBERS[..1]);
        w.write_config(&base);
        let out = w.apply();
        assert_eq!(out.code, 0, "{out}");

        let text = format!("{base}{LOGS}");
        let cfg = Config::parse(Path::new("accounts.toml"), &text).unwrap();
        for t in logs_seed::targets(&cfg) {
            seed(&w, &cfg, &t);
        }
        // moto delivers no log file and attaches no policy for delivery.logs: both put here by hand
        let mut policy = w.policy();
        let ids = [TEST_ACCOUNT_ID.to_owned(), dev.to_owned()];
        policy["Statement"]
            .as_array_mut()
            .unwrap()
            .extend(logs_seed::flow_statements(&cfg, &ids));
        w.put_policy(BUCKET, &policy.to_string());
        let s3 = w.s3();
        let at = OffsetDateTime::now_utc().unix_timestamp();
        let keys: Vec<String> = ids
            .iter()
            .map(|id| log_file_key(None, None, id, REGION, at))
            .collect();
        w.rt.block_on(put_objects_past_policy(&s3, BUCKET, &keys));
        w.write_config(&text);

        let (code, v) = audit(&w);
        assert_eq!(code, 0, "{v:#}");
        let stale: &[(&str, &str)] = &[("cloudwatch-stale", "warning")];
        assert_eq!(
            problems(&v),
            expect(&[(TEST_ACCOUNT_ID, stale), (dev, stale)])
        );

        // Break two things: DEV's flow log to CloudWatch Logs is deleted, the central trail is pointed at
        // another log group.
        let ec2 = aws_sdk_ec2::Client::new(&w.account(dev));
        let ct = aws_sdk_cloudtrail::Client::new(&w.sdk);
        let (vpc, deleted) = w.rt.block_on(async {
            let all = ec2.describe_flow_logs().send().await.unwrap();
            let f = all
                .flow_logs()
                .iter()
                .find(|f| f.log_group_name().is_some())
                .expect("a flow log to CloudWatch Logs")
                .clone();
            ec2.delete_flow_logs()
                .flow_log_ids(f.flow_log_id().unwrap())
                .send()
                .await
                .unwrap();
            ct.update_trail()
                .name("SEC-CLOUDTRAIL")
                .cloud_watch_logs_log_group_arn(format!(
                    "arn:aws:logs:{REGION}:{TEST_ACCOUNT_ID}:log-group:/team/elsewhere:*"
                ))
                .cloud_watch_logs_role_arn(format!(
                    "arn:aws:iam::{TEST_ACCOUNT_ID}:role/TrailhubCloudTrailToLogs"
                ))
                .send()
                .await
                .unwrap();
            (
                f.resource_id().unwrap().to_owned(),
                f.flow_log_id().unwrap().to_owned(),
            )
        });
        assert!(!deleted.is_empty());

        let (code, v) = audit(&w);
        assert_eq!(code, 1, "{v:#}");
        assert_eq!(
            problems(&v),
            expect(&[
                (
                    TEST_ACCOUNT_ID,
                    &[("no-cloudwatch", "gap"), ("cloudwatch-stale", "warning")]
                ),
                (
                    dev,
                    &[
                        ("cloudwatch-stale", "warning"),
                        ("flow-logs-missing", "gap")
                    ]
                ),
            ])
        );
        assert_eq!(v["summary"]["covered"], 0);
        assert!(
            message(&v, TEST_ACCOUNT_ID, "no-cloudwatch")
                .contains("delivers to log group /team/elsewhere, not to /trailhub/cloudtrail"),
            "{v:#}"
        );
        assert_eq!(
            message(&v, dev, "flow-logs-missing"),
            format!(
                "VPC {vpc} in {REGION} has no flow log to log group /trailhub/vpc-flow-logs (runbooks/vpc-flow-logs.md#flow-logs-missing)"
            )
        );
    }
}

/// Every new code has its section in its runbook and its row in docs/json.md, and every link to the two
/// runbooks (in the code's messages and hints, and in the docs) lands on a heading that exists.
#[test]
fn every_code_and_hint_lands_on_a_runbook_section() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let runbooks = [
        ("cloudwatch-logs.md", read("runbooks/cloudwatch-logs.md")),
        ("vpc-flow-logs.md", read("runbooks/vpc-flow-logs.md")),
        ("kms.md", read("runbooks/kms.md")),
        ("offboard.md", read("runbooks/offboard.md")),
        ("alarms.md", read("runbooks/alarms.md")),
    ];
    let json_doc = read("docs/json.md");
    for (file, codes) in [
        (
            0,
            &["no-cloudwatch", "cloudwatch-error", "cloudwatch-stale"][..],
        ),
        (
            1,
            &[
                "flow-logs-missing",
                "flow-logs-failed",
                "flow-logs-denied",
                "flow-logs-region-closed",
                "flow-logs-region-unread",
            ][..],
        ),
        (
            2,
            &[
                "no-kms",
                "kms-denied",
                "foreign-kms-key",
                "bucket-no-access-logging",
                "bucket-no-retention",
                "bucket-allows-http",
                "bucket-public-access-open",
                "bucket-versioning-off",
            ][..],
        ),
        (
            4,
            &[
                "alarm-filter-drift",
                "alarm-missing",
                "alarm-action-missing",
                "alarm-topic-drift",
                "alarms-no-log-group",
                "alarm-filters-full",
            ][..],
        ),
    ] {
        for code in codes {
            assert!(
                runbooks[file].1.contains(&format!("\n### `{code}`\n")),
                "{code} has no section in {}",
                runbooks[file].0
            );
            assert!(
                json_doc.contains(&format!("| `{code}` |")),
                "{code} is not in docs/json.md"
            );
        }
    }
    // GitHub's anchors: lower case, punctuation dropped, spaces as hyphens
    let anchors = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with('#'))
            .map(|l| {
                l.trim_start_matches('#')
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect()
            })
            .collect()
    };
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                texts.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    for doc in [
        "README.md",
        "docs/json.md",
        "runbooks/cloudwatch-logs.md",
        "runbooks/vpc-flow-logs.md",
        "runbooks/kms.md",
        "runbooks/offboard.md",
        "runbooks/alarms.md",
        "runbooks/scheduled-audit.md",
        "docs/iam-permissions.md",
    ] {
        texts.push((doc.to_owned(), read(doc)));
    }
    let mut links = 0;
    for (file, text) in &texts {
        for (runbook, body) in &runbooks {
            let heads = anchors(body);
            for (i, _) in text.match_indices(&format!("{runbook}#")) {
                let anchor: String = text[i + runbook.len() + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                assert!(
                    heads.contains(&anchor),
                    "{file}: {runbook}#{anchor} has no heading"
                );
                links += 1;
            }
        }
    }
    // links within each runbook: `](#anchor)`
    for (runbook, body) in &runbooks {
        let heads = anchors(body);
        for (i, _) in body.match_indices("](#") {
            let anchor: String = body[i + 3..].chars().take_while(|c| *c != ')').collect();
            assert!(
                heads.contains(&anchor),
                "{runbook}: #{anchor} has no heading"
            );
            links += 1;
        }
    }
    for (runbook, anchor) in [
        ("cloudwatch-logs.md", "cloudtrail-cannot-use-the-role"),
        ("cloudwatch-logs.md", "log-group-name"),
        ("vpc-flow-logs.md", "createflowlogs-failed"),
    ] {
        let body = &runbooks.iter().find(|(f, _)| *f == runbook).unwrap().1;
        assert!(
            anchors(body).contains(&anchor.to_owned()),
            "{runbook}#{anchor}"
        );
    }
    assert!(links > 30, "{links} links checked");
}

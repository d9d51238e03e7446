//! Issue 22 over the in-memory fake: flow logs in every Region an account has enabled. Opt-in Regions
//! count once opted into, a Region an SCP closes is a note, a Region that cannot be read fails the part
//! without hiding the others, a Region list limits apply but not the audit, `default_vpcs = false` leaves
//! the default VPCs out (offboard: `commands/offboard/tests.rs`).

use std::path::Path;
use std::time::Duration;

use crate::apply::*;
use crate::audit::{AuditOptions, Code, Severity, audit};
use crate::fake::{DEFAULT_REGIONS, FakeAws};
use crate::fixtures;
use crate::interrupt::Interrupt;

const CENTRAL: &str = "111111111111";
const M0: &str = "200000000000";
const M1: &str = "200000000001";

fn config(extra: &str) -> Config {
    let mut text = fixtures::config_text("", "", 2);
    text += "[flow_logs]\ndestinations = [\"s3\"]\n";
    text += extra;
    fixtures::parse(&text)
}

/// Every Region of the fake: 17 enabled, 4 opt-in ones; M0 opted into af-south-1.
fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::ZERO);
    let mut w = aws.world();
    w.use_every_region();
    w.opted_in.insert((M0.into(), "af-south-1".into()));
    drop(w);
    aws
}

async fn run(aws: &FakeAws, cfg: &Config, dir: &Path) -> ApplyRun {
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    fixtures::plan_and_apply(aws, cfg, &opts).await.1
}

fn account<'r>(r: &'r ApplyRun, id: &str) -> &'r AccountOutcome {
    r.accounts.iter().find(|a| a.id.as_str() == id).unwrap()
}

/// The Regions where `id` has flow logs, with how many.
fn regions_with_flow_logs(aws: &FakeAws, id: &str) -> Vec<String> {
    let w = aws.world();
    let mut r: Vec<String> = (w.flow_logs.get(id).into_iter().flatten())
        .map(|f| f.region.clone())
        .collect();
    r.sort();
    r
}

async fn problems(aws: &FakeAws, cfg: &Config, id: &str) -> Vec<(Code, Severity, String)> {
    let opts = AuditOptions {
        concurrency: 4,
        max_age: Duration::from_secs(24 * 3600),
        progress: Default::default(),
    };
    let report = audit(aws, cfg, &opts, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let a = report.accounts.iter().find(|a| a.id == id).unwrap();
    (a.problems.iter())
        .filter(|p| p.code.row().name.starts_with("flow-logs"))
        .map(|p| (p.code, p.severity, p.message.clone()))
        .collect()
}

#[tokio::test]
async fn every_enabled_region_opted_in_ones_too_and_a_second_apply_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (aws, cfg) = (world(), config(""));
    let r = run(&aws, &cfg, dir.path()).await;
    let m0 = account(&r, M0).flow_logs.as_ref().unwrap();
    assert!(matches!(m0.result, PartStatus::Changed { .. }), "{m0:?}");
    assert_eq!(m0.vpcs, 18, "17 Regions and af-south-1, a default VPC each");
    assert_eq!(m0.regions.len(), 18);
    let mut want: Vec<String> = DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        regions_with_flow_logs(&aws, M1),
        want,
        "not opted in: no af-south-1"
    );
    want.push("af-south-1".into());
    want.sort();
    assert_eq!(regions_with_flow_logs(&aws, M0), want);
    assert_eq!(regions_with_flow_logs(&aws, CENTRAL).len(), 17);
    // DescribeRegions once per account, then every enabled Region read once
    assert_eq!(aws.calls("DescribeRegions"), 3);
    assert_eq!(aws.calls("DescribeVpcs"), 17 * 3 + 1);
    for id in [CENTRAL, M0, M1] {
        assert_eq!(problems(&aws, &cfg, id).await, [], "{id}");
    }
    let again = run(&aws, &cfg, dir.path()).await;
    for a in &again.accounts {
        let f = a.flow_logs.as_ref().unwrap();
        assert_eq!(f.result, PartStatus::Unchanged, "{}", a.id);
    }
}

/// A Region an SCP closes is a note once per account; another Region whose read fails fails the part
/// (and is a gap in the audit) while the other Regions are still made.
#[tokio::test]
async fn a_closed_region_is_a_note_and_a_broken_one_hides_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (aws, cfg) = (world(), config(""));
    {
        let mut w = aws.world();
        for r in ["eu-west-3", "sa-east-1"] {
            w.closed_regions.insert((M0.into(), r.into()));
        }
        w.broken_regions.insert((M1.into(), "us-west-1".into()));
    }
    let r = run(&aws, &cfg, dir.path()).await;
    let m0 = account(&r, M0).flow_logs.as_ref().unwrap();
    assert!(matches!(m0.result, PartStatus::Changed { .. }), "{m0:?}");
    assert_eq!(m0.closed, ["eu-west-3", "sa-east-1"]);
    assert_eq!(regions_with_flow_logs(&aws, M0).len(), 18 - 2);
    let m1 = account(&r, M1).flow_logs.as_ref().unwrap();
    assert!(matches!(&m1.result, PartStatus::Failed { .. }), "{m1:?}");
    assert_eq!(m1.created.len(), 16, "the other Regions are made");
    assert!(!regions_with_flow_logs(&aws, M1).contains(&"us-west-1".to_owned()));

    let p0 = problems(&aws, &cfg, M0).await;
    assert_eq!(p0.len(), 1, "{p0:#?}");
    assert_eq!(
        (p0[0].0, p0[0].1),
        (Code::FlowLogsRegionClosed, Severity::Warning)
    );
    assert!(p0[0].2.contains("eu-west-3, sa-east-1"), "{}", p0[0].2);
    let p1 = problems(&aws, &cfg, M1).await;
    assert_eq!(p1.len(), 1, "{p1:#?}");
    assert_eq!(
        (p1[0].0, p1[0].1),
        (Code::FlowLogsRegionUnread, Severity::Gap)
    );
    assert!(p1[0].2.contains("us-west-1") && p1[0].2.contains("InternalError"));
}

/// Every Region refused: the role lacks the permission, not an SCP: the account's failure.
#[tokio::test]
async fn every_region_refused_is_the_accounts_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (aws, cfg) = (world(), config(""));
    {
        let mut w = aws.world();
        for r in DEFAULT_REGIONS.iter().chain(["af-south-1"].iter()) {
            w.closed_regions.insert((M0.into(), (*r).into()));
        }
    }
    let r = run(&aws, &cfg, dir.path()).await;
    assert!(account(&r, M0).is_bad());
    assert!(!account(&r, M1).is_bad());
}

/// A Region list: apply makes flow logs there only; the audit still reads every Region and names the VPCs
/// elsewhere with their Region. Without the default VPCs, nothing is asked of them.
#[tokio::test]
async fn a_region_list_limits_apply_not_the_audit_and_default_vpcs_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config("regions = [\"ap-northeast-2\", \"eu-west-1\"]\n");
    aws.world()
        .region_vpcs
        .insert((M1.into(), "us-east-2".into()), vec!["vpc-mine".into()]);
    run(&aws, &cfg, dir.path()).await;
    assert_eq!(
        regions_with_flow_logs(&aws, M1),
        ["ap-northeast-2", "eu-west-1"]
    );
    let p = problems(&aws, &cfg, M1).await;
    assert_eq!(p.len(), 15, "the 15 other Regions' VPCs: {p:#?}");
    let mine = p.iter().find(|(_, _, m)| m.contains("vpc-mine")).unwrap();
    assert!(
        mine.2
            .starts_with("VPC vpc-mine in us-east-2 has no flow log")
            && mine.2.contains("us-east-2 is not in [flow_logs] regions"),
        "{}",
        mine.2
    );

    let only_mine = config("regions = [\"ap-northeast-2\", \"eu-west-1\"]\ndefault_vpcs = false\n");
    let p = problems(&aws, &only_mine, M1).await;
    assert_eq!(p.len(), 1, "only vpc-mine, not a default VPC: {p:#?}");
}

//! Issue 20, point 1 over the in-memory fake: the management account's organization trail as the members
//! and a delegated administrator see it, readable there only by its ARN (CT-16). It covers the members
//! (no trail made), `second_copy = "refuse"` holds where it delivers elsewhere, and the audit judges it
//! with no false gap, with Organizations as the source or a static list.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::apply::*;
use crate::audit::{AuditOptions, AuditReport, Code, audit};
use crate::aws::{ObservedTrail, TrailStatus};
use crate::fake::{FakeAws, fake_trail, log_file_key};
use crate::fixtures;
use crate::interrupt::Interrupt;
use crate::plan::policy::CLOUDTRAIL;
use crate::plan::{AccountPlanStatus, Plan};

/// The caller: a delegated administrator, not the management account.
const CENTRAL: &str = "111111111111";
const MANAGEMENT: &str = "999999999999";
const MEMBERS: [&str; 2] = ["200000000000", "200000000001"];
const ORG_ID: &str = "o-abc123";
/// When the audits run; the trail started a little before and every account's logs are fresh.
const NOW: i64 = 1_800_000_000;

/// Organizations as the source, with `second_copy = "refuse"`; the central account has no trail of its
/// own to manage.
const ORG_CONFIG: &str = "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{name}-CT\"\nsecond_copy = \"refuse\"\n";

/// An organization of the caller, the management account and two members; the management account's
/// organization trail delivers to `bucket`, logging every management event. No one else has a trail.
fn world(bucket: &str) -> (FakeAws, ObservedTrail) {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(10));
    aws.set_organization(ORG_ID, &[MANAGEMENT, MEMBERS[0], MEMBERS[1]]);
    let region = "ap-northeast-2".parse().unwrap();
    let mut org = fake_trail(&region, MANAGEMENT, "OrgTrail", bucket);
    org.organization_trail = true;
    let status = TrailStatus {
        is_logging: true,
        start_logging_time: Some(NOW - 1_000_000),
        ..TrailStatus::default()
    };
    let mut w = aws.world();
    w.management_account = Some(MANAGEMENT.into());
    w.trails
        .insert(MANAGEMENT.into(), vec![(org.clone(), status)]);
    drop(w);
    (aws, org)
}

fn opts(dir: &Path) -> ApplyOptions {
    ApplyOptions::new(dir.to_owned(), 4, Interrupt::default())
}

/// The plan, then apply as the command runs it after the question.
async fn plan_and_apply(aws: &FakeAws, cfg: &Config, dir: &Path) -> (Plan, ApplyRun) {
    let opts = opts(dir);
    let (scope, p, obs) = crate::fixtures::observe_and_plan(aws, cfg, 4, &opts.interrupt)
        .await
        .unwrap();
    let run = apply(aws, cfg, &scope, &p, obs, &opts).await.unwrap();
    (p, run)
}

/// A fresh log file of the organization trail for each of `accounts`, under `AWSLogs/<org-id>/<id>/`.
fn seed_logs(aws: &FakeAws, accounts: &[&str]) {
    let mut w = aws.world();
    let objects = w.objects.entry("sec-log".into()).or_default();
    for id in accounts {
        let key = log_file_key(None, Some(ORG_ID), id, "ap-northeast-2", NOW - 1_000);
        objects.insert(key, NOW - 1_000);
    }
}

async fn audited(aws: &FakeAws, cfg: &Config) -> AuditReport {
    let opts = AuditOptions {
        concurrency: 2,
        max_age: Duration::from_secs(86_400),
        progress: Default::default(),
    };
    let now = time::OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    audit(aws, cfg, &opts, now).await.unwrap()
}

/// Every account of the report judged by the organization trail, with no problem at all (no "cannot read
/// the status" gap from a read by name).
fn judged_by(report: &AuditReport, org: &ObservedTrail, accounts: &[&str]) {
    for id in accounts {
        let a = report.accounts.iter().find(|a| a.id == *id);
        let a = a.unwrap_or_else(|| panic!("{id} not in {report:#?}"));
        assert_eq!(a.trail_arn.as_deref(), Some(org.arn.as_str()), "{a:#?}");
        assert!(a.problems.is_empty(), "{a:#?}");
        assert!(a.covered, "{a:#?}");
    }
}

/// Issue 20, point 1: the members read the management account's organization trail by its ARN, so
/// `plan` sees that it covers them: no trail made for any, each `covered by` it; and the audit judges it
/// for every account, the delegated administrator's own included, with no false gap.
#[tokio::test(start_paused = true)]
async fn the_management_accounts_organization_trail_covers_the_members() {
    let dir = tempfile::tempdir().unwrap();
    let (aws, org) = world("sec-log");
    let cfg = fixtures::parse(ORG_CONFIG);
    let (plan, run) = plan_and_apply(&aws, &cfg, dir.path()).await;
    assert_eq!(plan.accounts.len(), 3, "{:#?}", plan.accounts);
    for a in &plan.accounts {
        assert!(
            matches!(&a.status, AccountPlanStatus::Covered { by } if *by == org.arn),
            "{a:?}"
        );
    }
    assert_eq!(run.exit_code(), 0, "{run:#?}");
    for a in &run.accounts {
        let covered = PartStatus::Covered {
            by: org.arn.clone(),
        };
        assert_eq!(a.result, covered, "{a:#?}");
    }
    assert_eq!(aws.calls("CreateTrail"), 0);
    let policy = aws.world().buckets["sec-log"].clone().unwrap();
    assert!(policy.contains(&org.arn), "{policy}");

    seed_logs(&aws, &[CENTRAL, MANAGEMENT, MEMBERS[0], MEMBERS[1]]);
    let report = audited(&aws, &cfg).await;
    judged_by(&report, &org, &[MANAGEMENT, MEMBERS[0], MEMBERS[1]]);
    // the central account, which apply does not manage here, is judged by it too
    let central = &report.accounts[0];
    assert_eq!(central.id, CENTRAL);
    assert_eq!(central.trail_arn.as_deref(), Some(org.arn.as_str()));
    assert!(
        central.problems.iter().all(|p| p.code != Code::Unreachable),
        "{central:#?}"
    );
}

/// Issue 20, point 1: Control Tower's organization trail, to its Log Archive bucket, logs every member's
/// management events. Read by its ARN, it is seen: with `second_copy = "refuse"` no member gets a billed
/// second copy, and the plan and the run name that trail.
#[tokio::test(start_paused = true)]
async fn refuse_holds_against_the_management_accounts_organization_trail() {
    let dir = tempfile::tempdir().unwrap();
    let archive = "aws-controltower-logs-999999999999-ap-northeast-2";
    let (aws, org) = world(archive);
    aws.world().buckets.insert(archive.into(), None);
    let cfg = fixtures::parse(ORG_CONFIG);
    let (plan, run) = plan_and_apply(&aws, &cfg, dir.path()).await;
    assert_eq!(plan.accounts.len(), 3, "{:#?}", plan.accounts);
    for a in &plan.accounts {
        assert!(
            matches!(&a.status, AccountPlanStatus::SecondCopy { of, to }
                if *of == org.arn && to.contains(archive)),
            "{a:?}"
        );
    }
    assert_eq!(run.exit_code(), 1);
    for a in &run.accounts {
        assert!(
            matches!(&a.result, PartStatus::Failed { failure, .. } if failure.code() == "SecondCopy"),
            "{a:#?}"
        );
    }
    assert_eq!(aws.calls("CreateTrail"), 0);
}

/// Issue 20, point 1: with a static list the organization is not listed, so the audit learns it from the
/// organization trail the central account sees. A delegated administrator sees the management account's
/// (its ARN names that account, which DescribeOrganization names): each member is judged by it.
#[tokio::test(start_paused = true)]
async fn a_delegated_administrator_audits_the_management_accounts_organization_trail() {
    let (aws, org) = world("sec-log");
    // the organization trail's statements, as its owner wrote them (CT-2)
    let policy = json!({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:GetBucketAcl",
         "Resource": "arn:aws:s3:::sec-log",
         "Condition": {"StringEquals": {"aws:SourceArn": org.arn}}},
        {"Effect": "Allow", "Principal": {"Service": CLOUDTRAIL}, "Action": "s3:PutObject",
         "Resource": format!("arn:aws:s3:::sec-log/AWSLogs/{ORG_ID}/*"),
         "Condition": {"StringEquals": {"aws:SourceArn": org.arn,
                                        "s3:x-amz-acl": "bucket-owner-full-control"}}}]});
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(policy.to_string()));
    seed_logs(&aws, &[CENTRAL, MEMBERS[0], MEMBERS[1]]);
    let cfg = fixtures::config(2);
    let report = audited(&aws, &cfg).await;
    judged_by(&report, &org, &[CENTRAL, MEMBERS[0], MEMBERS[1]]);
    // the organization trail's ID, and whether the RCPs are readable (ORG-7)
    assert_eq!(aws.calls("DescribeOrganization"), 2);
}

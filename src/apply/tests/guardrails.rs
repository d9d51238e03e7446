//! Issue 25 (prevention) over the in-memory fake, as a new user would try it: over an organization with
//! OUs, one apply writes trailhub's SCP and attaches it to each OU in scope; an SCP detached behind
//! trailhub's back is `unguarded` in the audit for every account it protected; the next apply attaches it
//! again; a third writes nothing. A content changed by hand is backed up before it is written back; a target
//! with five SCPs blocks; a central account that may not manage SCPs writes none.

use std::path::Path;
use std::time::Duration;

use crate::apply::*;
use crate::fake::{FAKE_ROOT, FakeAws};
use crate::fixtures::{self, CENTRAL};
use crate::plan::Plan;
use crate::plan::guardrails::{Blocked, PolicyWrite};
use crate::report::ApplyReport;

const ORG_ID: &str = "o-abc123def4";
const MANAGEMENT: &str = "999999999999";
const WORKLOADS: &str = "ou-fake-workload";
const SANDBOX: &str = "ou-fake-sandbox1";
const PROD: [&str; 2] = ["200000000000", "200000000001"];
const PLAY: &str = "200000000002";

/// The organization: Workloads (two accounts) and Sandbox (one) below the root; the central account is a
/// delegated administrator of SCPs, by the delegation policy.
fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(1));
    aws.set_organization(ORG_ID, &[CENTRAL, PROD[0], PROD[1], PLAY]);
    let mut w = aws.world();
    w.management_account = Some(MANAGEMENT.into());
    w.delegation_policy = Some(format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{CENTRAL}:root"}},"Action":["organizations:Describe*","organizations:List*","organizations:CreatePolicy","organizations:UpdatePolicy","organizations:AttachPolicy","organizations:DetachPolicy"],"Resource":"*"}}]}}"#
    ));
    let ou = |id: &str, name: &str| {
        (
            FAKE_ROOT.to_owned(),
            crate::aws::OuNode {
                id: id.into(),
                name: name.into(),
            },
        )
    };
    w.org_ous = vec![ou(WORKLOADS, "Workloads"), ou(SANDBOX, "Sandbox")];
    for id in PROD {
        w.org_parent.insert(id.into(), WORKLOADS.into());
    }
    w.org_parent.insert(PLAY.into(), SANDBOX.into());
    drop(w);
    aws
}

fn cfg(extra: &str) -> Config {
    fixtures::parse(&format!(
        "[central]\naccount_id = \"{CENTRAL}\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\nrole_name = \"TrailhubMember\"\norganizational_units = [\"{WORKLOADS}\", \"{SANDBOX}\"]\n{extra}\n[guardrails]\n"
    ))
}

fn opts(dir: &Path) -> ApplyOptions {
    ApplyOptions::new(dir.to_owned(), 4, Interrupt::default())
}

/// The ID of trailhub's SCP.
fn ours(aws: &FakeAws) -> String {
    let w = aws.world();
    let p = w
        .scps
        .values()
        .find(|p| p.name == "trailhub-protect-logging");
    p.expect("trailhub's SCP").id.clone()
}

/// Each account's `unguarded` problem, by account.
async fn unguarded(aws: &FakeAws, cfg: &Config) -> Vec<(String, bool)> {
    let opts = crate::audit::AuditOptions {
        concurrency: 4,
        max_age: Duration::from_secs(86_400 * 365),
        progress: Default::default(),
    };
    let report = crate::audit::audit(aws, cfg, &opts, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    report
        .accounts
        .iter()
        .map(|a| {
            let flagged = a.problems.iter().any(|p| p.code.as_str() == "unguarded");
            (a.id.clone(), flagged)
        })
        .collect()
}

fn writes(aws: &FakeAws) -> usize {
    [
        "CreatePolicy",
        "UpdatePolicy",
        "AttachPolicy",
        "DetachPolicy",
    ]
    .iter()
    .map(|op| aws.calls(op))
    .sum()
}

#[tokio::test]
async fn apply_guards_every_ou_the_audit_flags_a_detachment_and_a_third_apply_writes_nothing() {
    let aws = world();
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg("");
    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let g = plan.guardrails.as_ref().unwrap();
    assert_eq!(g.write, PolicyWrite::Create);
    assert_eq!(g.attach, [WORKLOADS, SANDBOX]);
    let done = run.guardrails.as_ref().unwrap();
    assert!(done.created && done.error.is_none(), "{done:?}");
    assert_eq!(done.attached, [WORKLOADS, SANDBOX]);
    let id = ours(&aws);
    assert!(aws.world().scps_at(WORKLOADS).iter().any(|p| p.id == id));
    assert!(unguarded(&aws, &cfg).await.iter().all(|(_, f)| !f));

    // detached behind trailhub's back: every account below Workloads is unguarded, the Sandbox one is not
    crate::aws::Scps::detach_scp(&aws, &id, WORKLOADS)
        .await
        .unwrap();
    let flagged = unguarded(&aws, &cfg).await;
    for (account, f) in &flagged {
        assert_eq!(
            *f,
            PROD.contains(&account.as_str()),
            "{account}: {flagged:?}"
        );
    }

    // the next apply attaches it again, and only there
    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    assert_eq!(plan.guardrails.as_ref().unwrap().attach, [WORKLOADS]);
    assert_eq!(run.guardrails.unwrap().attached, [WORKLOADS]);
    assert!(unguarded(&aws, &cfg).await.iter().all(|(_, f)| !f));

    // a third apply writes nothing
    let before = writes(&aws);
    let report = third_apply(&aws, &cfg, dir.path()).await;
    assert!(
        matches!(report, ApplyReport::NothingToDo { .. }),
        "{report:?}"
    );
    assert_eq!(writes(&aws), before);
}

async fn third_apply(aws: &FakeAws, cfg: &Config, dir: &Path) -> ApplyReport {
    crate::commands::apply::run(aws, cfg, true, &opts(dir), &mut |_| Ok(true))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_content_changed_by_hand_is_backed_up_then_written_back() {
    let aws = world();
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg("[cloudwatch]\n[flow_logs]\n");
    fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let id = ours(&aws);
    let edited = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cloudtrail:DeleteTrail","Resource":"*"}]}"#;
    aws.world().scps.get_mut(&id).unwrap().content = edited.to_owned();
    assert!(unguarded(&aws, &cfg).await.iter().all(|(_, f)| *f));
    let (plan, run): (Plan, ApplyRun) =
        fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let g = plan.guardrails.as_ref().unwrap();
    assert_eq!(g.write, PolicyWrite::Update { id: id.clone() });
    let text = fixtures::plan_text(&plan);
    assert!(
        text.contains("scp trailhub-protect-logging: update"),
        "{text}"
    );
    let done = run.guardrails.unwrap();
    let backup = done.backup.expect("a backup");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), edited);
    assert_eq!(aws.world().scps[&id].content, g.document);
    assert!(g.document.contains("TrailhubLogGroups") && g.document.contains("TrailhubFlowLogs"));
}

#[tokio::test]
async fn a_target_with_five_scps_blocks_there_and_other_scps_are_never_changed() {
    let aws = world();
    let team = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;
    for i in 0..4 {
        aws.put_scp(
            &format!("p-team000{i}"),
            &format!("team-{i}"),
            team,
            &[SANDBOX],
        );
    }
    let before = aws.world().scps.clone();
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg("");
    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let g = plan.guardrails.as_ref().unwrap();
    assert!(matches!(&g.blocked[..], [Blocked::TargetFull { target, .. }] if target == SANDBOX));
    assert!(fixtures::plan_text(&plan).contains("blocked at ou-fake-sandbox1"));
    assert_eq!(run.guardrails.as_ref().unwrap().attached, [WORKLOADS]);
    assert_eq!(run.exit_code(), 1);
    let after = aws.world().scps.clone();
    for (id, p) in &before {
        assert_eq!(after.get(id), Some(p));
    }
    assert_eq!(aws.world().scps_at(SANDBOX).len(), 5);
}

#[tokio::test]
async fn a_central_account_that_may_not_manage_scps_writes_none_and_says_what_to_do() {
    let aws = world();
    aws.world().delegation_policy = None;
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg("");
    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let g = plan.guardrails.as_ref().unwrap();
    assert!(
        matches!(&g.blocked[..], [Blocked::NotAuthorized { .. }]),
        "{g:?}"
    );
    let error = run.guardrails.unwrap().error.unwrap();
    assert!(
        error.contains(MANAGEMENT) && error.contains("runbooks/guardrails.md#not-authorized"),
        "{error}"
    );
    assert_eq!(writes(&aws), 0);
    assert_eq!(aws.calls("ListPolicies"), 0);
}

#[tokio::test]
async fn the_management_account_is_told_that_scps_do_not_affect_it() {
    let aws = world();
    aws.world().management_account = None;
    let dir = tempfile::tempdir().unwrap();
    let cfg = fixtures::parse(&format!(
        "[central]\naccount_id = \"{CENTRAL}\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\n[guardrails]\npolicy_name = \"sec-logging\"\n"
    ));
    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let g = plan.guardrails.as_ref().unwrap();
    assert_eq!(g.attach, [FAKE_ROOT]);
    let text = fixtures::unwrapped(&fixtures::plan_text(&plan));
    assert!(text.contains("SCPs do not apply to it"), "{text}");
    assert!(text.contains("OrganizationAccountAccessRole"), "{text}");
    assert!(run.guardrails.unwrap().created);
    assert!(aws.world().scps.values().any(|p| p.name == "sec-logging"));
}

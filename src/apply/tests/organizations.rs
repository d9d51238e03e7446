//! Issue 20, points 3 and 4 over the in-memory fake: each account judged with its own organization
//! (DescribeOrganization with its role, ORG-6) when a policy in force tests an organization key, and the
//! resource control policies in force on the central account judged with the bucket policy (ORG-7, ORG-8).
//! An account whose trail AWS would refuse is `policy-denies`, and gets no trail.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::apply::*;
use crate::fake::{FAKE_ROOT, FakeAws};
use crate::fixtures::{self, CENTRAL};

use crate::plan::rcp::RcpState;
use crate::plan::{AccountPlanStatus, Plan};

const ORG_ID: &str = "o-abc123def4";
/// Static members M0..M3: M0 and M1 in the organization, M2 in none, M3 in another.
const INSIDE: [&str; 2] = ["200000000000", "200000000001"];
const OUTSIDE: &str = "200000000002";
const OTHER_ORG: &str = "200000000003";
const MANAGEMENT: &str = "999999999999";

fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(10));
    aws.set_organization(ORG_ID, &[CENTRAL, INSIDE[0], INSIDE[1]]);
    let mut w = aws.world();
    w.other_orgs.insert(OTHER_ORG.into(), "o-other12345".into());
    // a delegated administrator: RCPs affect its resources (not the management account's)
    w.management_account = Some(MANAGEMENT.into());
    drop(w);
    aws
}

fn cfg() -> Config {
    fixtures::config(4)
}

/// The bucket with a confused-deputy Deny (the shape of AWS's data-perimeter examples): a service may
/// write only for an account of the organization.
fn bucket_with_confused_deputy_deny(aws: &FakeAws) {
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "EnforceConfusedDeputyProtection", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
        "Condition": {
            "StringNotEqualsIfExists": {"aws:SourceOrgID": ORG_ID},
            "Bool": {"aws:PrincipalIsAWSService": "true"},
            "Null": {"aws:SourceAccount": "false"}}}]});
    aws.world()
        .buckets
        .insert("sec-log".into(), Some(policy.to_string()));
}

fn status<'a>(plan: &'a Plan, id: &str) -> &'a AccountPlanStatus {
    &plan
        .accounts
        .iter()
        .find(|a| a.id.as_str() == id)
        .unwrap()
        .status
}

fn has_trail(aws: &FakeAws, id: &str) -> bool {
    aws.world().trails.get(id).is_some_and(|t| !t.is_empty())
}

async fn plan_and_apply(aws: &FakeAws, dir: &Path) -> (Plan, ApplyRun) {
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    fixtures::plan_and_apply(aws, &cfg(), &opts).await
}

/// The denial an outside account's plan shows: the statement that denies, and nothing for the others.
fn assert_only_outsiders_denied(plan: &Plan, naming: &str) {
    for id in [OUTSIDE, OTHER_ORG] {
        let AccountPlanStatus::PolicyDenies { denial } = status(plan, id) else {
            panic!("{id}: {:?}", status(plan, id));
        };
        assert!(denial.to_string().contains(naming), "{denial}");
    }
    for id in [CENTRAL, INSIDE[0], INSIDE[1]] {
        assert!(
            matches!(status(plan, id), AccountPlanStatus::Changes { .. }),
            "{id}: {:?}",
            status(plan, id)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_account_outside_the_organization_is_denied_by_the_confused_deputy_statement() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    bucket_with_confused_deputy_deny(&aws);
    let (plan, run) = plan_and_apply(&aws, dir.path()).await;
    assert_only_outsiders_denied(&plan, "statement EnforceConfusedDeputyProtection");
    // each account's organization was asked with its own role: central and the four members
    assert_eq!(aws.calls("DescribeOrganization"), 1 + 5);
    // apply makes no trail AWS would refuse; the others onboard, and the Deny is kept
    assert!(!has_trail(&aws, OUTSIDE) && !has_trail(&aws, OTHER_ORG));
    assert!(
        [CENTRAL, INSIDE[0], INSIDE[1]]
            .iter()
            .all(|id| has_trail(&aws, id)),
        "{run:#?}"
    );
    assert_eq!(run.exit_code(), 1, "{run:?}");
    let live = aws.world().buckets["sec-log"].clone().unwrap();
    assert!(live.contains("EnforceConfusedDeputyProtection"));
    assert_audit_denies_only_outsiders(&aws, Some("statement EnforceConfusedDeputyProtection"))
        .await;
}

/// The audit judges each writer with its own organization, as the plan does: the accounts in the
/// organization are not `policy-denies` (a false gap), the outsiders have no trail.
async fn assert_audit_denies_only_outsiders(aws: &FakeAws, naming: Option<&str>) {
    let opts = crate::audit::AuditOptions {
        concurrency: 4,
        max_age: Duration::from_secs(86_400 * 365),
        progress: Default::default(),
    };
    let report = crate::audit::audit(aws, &cfg(), &opts, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    for a in &report.accounts {
        let codes: Vec<&str> = a.problems.iter().map(|p| p.code.as_str()).collect();
        let outsider = [OUTSIDE, OTHER_ORG].contains(&a.id.as_str());
        assert!(!codes.contains(&"policy-denies"), "{}: {codes:?}", a.id);
        assert_eq!(codes.contains(&"no-trail"), outsider, "{}: {codes:?}", a.id);
    }
    // an outsider's own trail, made by hand, is judged with its account's organization: denied (`naming`
    // the statement, when the bucket policy is what denies rather than the trailhub statement it lacks)
    {
        let mut w = aws.world();
        let mut theirs = w.trails[INSIDE[0]].clone();
        for (t, _) in theirs.iter_mut() {
            t.arn = t.arn.replace(INSIDE[0], OUTSIDE);
        }
        w.trails.insert(OUTSIDE.into(), theirs);
    }
    let report = crate::audit::audit(aws, &cfg(), &opts, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let a = report.accounts.iter().find(|a| a.id == OUTSIDE).unwrap();
    let denied = a
        .problems
        .iter()
        .find(|p| p.code.as_str() == "policy-denies");
    assert!(
        denied.is_some_and(|p| naming.is_none_or(|n| p.message.contains(n))),
        "{:?}",
        a.problems
    );
}

#[tokio::test(start_paused = true)]
async fn without_an_organization_key_in_force_no_account_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let (plan, _) = plan_and_apply(&aws, dir.path()).await;
    assert!(plan.accounts.iter().all(|a| !a.is_blocked()), "{plan:?}");
    // the central identity's own, whether the account is in an organization (its RCPs): twice, plan and
    // the apply's fresh plan, never a member's
    let members_asked = aws
        .world()
        .made
        .iter()
        .filter(|(account, op)| account != CENTRAL && *op == "DescribeOrganization")
        .count();
    assert_eq!(members_asked, 0);
    assert!(has_trail(&aws, OUTSIDE));
}

#[tokio::test(start_paused = true)]
async fn the_confused_deputy_rcp_at_the_root_denies_outsiders_and_the_plan_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let full = crate::plan::rcp::tests::full_access();
    aws.attach_rcp(&full.id, &full.name, &full.document.to_string(), FAKE_ROOT);
    aws.attach_rcp(&full.id, &full.name, &full.document.to_string(), CENTRAL);
    let perimeter = crate::plan::rcp::tests::identity_perimeter_rcp(ORG_ID);
    aws.attach_rcp("p-perimeter1", "identity-perimeter", &perimeter, FAKE_ROOT);
    let (plan, _) = plan_and_apply(&aws, dir.path()).await;
    assert_only_outsiders_denied(
        &plan,
        "statement EnforceConfusedDeputyProtection of resource control policy p-perimeter1 (identity-perimeter)",
    );
    assert!(!has_trail(&aws, OUTSIDE) && has_trail(&aws, INSIDE[0]));
    // the plan names every RCP it read
    let RcpState::Read { levels } = &plan.rcps else {
        panic!("{:?}", plan.rcps);
    };
    assert_eq!(levels.len(), 2, "the account, then the root");
    let shown = fixtures::unwrapped(&fixtures::plan_text(&plan));
    assert!(
        shown.contains("resource control policies: p-FullAWSAccess (RCPFullAWSAccess) at 111111111111, r-fake; p-perimeter1 (identity-perimeter) at r-fake"),
        "{shown}"
    );
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["rcps"]["policies"][1]["id"], "p-perimeter1");
    assert_audit_denies_only_outsiders(&aws, None).await;
}

#[tokio::test(start_paused = true)]
async fn rcps_do_not_affect_the_management_accounts_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world().management_account = None;
    let perimeter = crate::plan::rcp::tests::identity_perimeter_rcp(ORG_ID);
    aws.attach_rcp("p-perimeter1", "identity-perimeter", &perimeter, FAKE_ROOT);
    let (plan, _) = plan_and_apply(&aws, dir.path()).await;
    assert_eq!(plan.rcps, RcpState::ManagementAccount);
    assert_eq!(aws.calls("ListPoliciesForTarget"), 0);
    assert!(has_trail(&aws, OUTSIDE), "{plan:?}");
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_cannot_read_the_rcps_gets_one_note() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world()
        .deny_calls
        .insert((CENTRAL.into(), "ListPoliciesForTarget".into()));
    let (plan, _) = plan_and_apply(&aws, dir.path()).await;
    assert!(
        matches!(&plan.rcps, RcpState::Unreadable { reason } if reason.contains("AccessDenied")),
        "{:?}",
        plan.rcps
    );
    let shown = fixtures::plan_text(&plan);
    assert_eq!(
        shown
            .matches("cannot read the resource control policies")
            .count(),
        1,
        "{shown}"
    );
    // a note, not a failure: every account onboards
    assert!(plan.accounts.iter().all(|a| !a.is_blocked()), "{plan:?}");
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["rcps"]["status"], "unreadable");
}

/// A Deny of every service write but from one OU (`aws:SourceOrgPaths`): with Organizations walked by OU each
/// account's path is known and only the accounts outside that OU are denied; with a static list the path is
/// not known, so the Deny may apply to every account and none is onboarded on a guess.
#[tokio::test(start_paused = true)]
async fn an_ou_path_deny_is_judged_with_the_walks_paths_and_never_on_a_guess() {
    const PROD: &str = "ou-fake-prod0001";
    let prod_only = |aws: &FakeAws| {
        let policy = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "OnlyProdWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::sec-log", "arn:aws:s3:::sec-log/*"],
            "Condition": {
                "ForAllValues:StringNotLike": {"aws:SourceOrgPaths": format!("{ORG_ID}/{FAKE_ROOT}/{PROD}/*")},
                "Null": {"aws:SourceOrgPaths": "false"},
                "Bool": {"aws:PrincipalIsAWSService": "true"}}}]});
        aws.world()
            .buckets
            .insert("sec-log".into(), Some(policy.to_string()));
    };
    let aws = world();
    aws.world().org_ous = vec![(
        FAKE_ROOT.to_owned(),
        crate::aws::OuNode {
            id: PROD.into(),
            name: "Prod".into(),
        },
    )];
    aws.world().org_parent.insert(INSIDE[0].into(), PROD.into());
    prod_only(&aws);
    let walked = fixtures::parse(&format!(
        "[central]\naccount_id = \"{CENTRAL}\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\n[members]\nsource = \"organizations\"\ntrail_name = \"{{name}}-CT\"\norganizational_units = [\"{FAKE_ROOT}\"]\n"
    ));
    let interrupt = Interrupt::default();
    let (_, plan, _) = fixtures::observe_and_plan(&aws, &walked, 4, &interrupt)
        .await
        .unwrap();
    assert!(
        matches!(status(&plan, INSIDE[0]), AccountPlanStatus::Changes { .. }),
        "{:?}",
        status(&plan, INSIDE[0])
    );
    let AccountPlanStatus::PolicyDenies { denial } = status(&plan, INSIDE[1]) else {
        panic!("{:?}", status(&plan, INSIDE[1]));
    };
    assert!(denial.to_string().contains("OnlyProdWrites"), "{denial}");

    // a static list: the Prod account's path is not known, so the Deny is taken to apply
    let (_, plan, _) = fixtures::observe_and_plan(&aws, &cfg(), 4, &interrupt)
        .await
        .unwrap();
    assert!(
        matches!(
            status(&plan, INSIDE[0]),
            AccountPlanStatus::PolicyDenies { .. }
        ),
        "{:?}",
        status(&plan, INSIDE[0])
    );
}

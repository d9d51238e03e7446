//! Issue 21, point 2, over the in-memory fake: every delivery role apply makes or keeps has its permissions
//! boundary; a role an older trailhub made without one gets it first (the plan shows it); a boundary policy
//! someone wrote with another document is never used, and the account's role writes wait.

use std::path::Path;
use std::time::Duration;

use crate::apply::*;
use crate::fake::{FakeAws, FakePolicy};
use crate::fixtures;
use crate::interrupt::Interrupt;
use crate::plan::cloudwatch::SetupChange;
use crate::plan::{AccountPlanStatus, FlowLogsPlan};
use crate::report::ApplyReport;

const CENTRAL: &str = "111111111111";
const M0: &str = "200000000000";
const M1: &str = "200000000001";

fn config() -> Config {
    let mut text = fixtures::config_text("", "", 2);
    text += "[cloudwatch]\n[flow_logs]\ndestinations = [\"cloudwatch\"]\n";
    fixtures::parse(&text)
}

fn boundary(account: &str) -> String {
    format!("arn:aws:iam::{account}:policy/trailhub-delivery-boundary")
}

fn opts(dir: &Path) -> ApplyOptions {
    ApplyOptions::new(dir.to_owned(), 4, Interrupt::default())
}

fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, "ap-northeast-2", Duration::from_millis(1));
    aws.world().buckets.insert("sec-log".into(), None);
    aws
}

/// Every role of `account` in the fake, with its boundary.
fn boundaries(aws: &FakeAws, account: &str) -> Vec<(String, Option<String>)> {
    let w = aws.world();
    let roles = w.roles.get(account).cloned().unwrap_or_default();
    roles.into_iter().map(|(n, r)| (n, r.boundary)).collect()
}

#[tokio::test(start_paused = true)]
async fn a_role_made_without_the_boundary_gets_it_first_then_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config();
    let (_, first) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    assert_eq!(first.exit_code(), 0, "{first:#?}");
    for id in [CENTRAL, M0, M1] {
        let roles = boundaries(&aws, id);
        assert_eq!(roles.len(), 2, "{id}: {roles:?}");
        assert!(
            roles
                .iter()
                .all(|(_, b)| b.as_deref() == Some(boundary(id).as_str())),
            "{roles:?}"
        );
    }
    // as an older trailhub left them: no boundary, and a trust someone narrowed
    for r in aws.world().roles.values_mut().flat_map(|r| r.values_mut()) {
        r.boundary = None;
        r.trust = r#"{"Version":"2012-10-17","Statement":[]}"#.into();
    }
    let interrupt = Interrupt::default();
    let (_, plan, _) = fixtures::observe_and_plan(&aws, &cfg, 4, &interrupt)
        .await
        .unwrap();
    let m0 = plan.accounts.iter().find(|a| a.id.as_str() == M0).unwrap();
    let lines: Vec<String> = m0.cloudwatch.iter().map(SetupChange::describe).collect();
    assert_eq!(
        lines,
        [
            format!(
                "role TrailhubCloudTrailToLogs: permissions boundary: set to {}",
                boundary(M0)
            ),
            "role TrailhubCloudTrailToLogs: trust policy: add trailhub's statement".to_owned(),
        ]
    );
    let Some(FlowLogsPlan::Changes { setup, .. }) = &m0.flow_logs else {
        panic!("{:?}", m0.flow_logs)
    };
    assert!(
        matches!(&setup[0], SetupChange::PutBoundary { name, .. } if name == "TrailhubFlowLogsToLogs"),
        "{setup:?}"
    );
    let (_, second) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    assert_eq!(second.exit_code(), 0, "{second:#?}");
    for id in [CENTRAL, M0, M1] {
        let roles = boundaries(&aws, id);
        assert!(
            roles
                .iter()
                .all(|(_, b)| b.as_deref() == Some(boundary(id).as_str())),
            "{roles:?}"
        );
    }
    assert_eq!(
        aws.calls("CreatePolicy"),
        3,
        "one boundary policy per account, made once"
    );
    let again = crate::commands::apply::run(&aws, &cfg, true, &opts(dir.path()), &mut |_| Ok(true))
        .await
        .unwrap();
    assert!(
        matches!(again, ApplyReport::NothingToDo { .. }),
        "{again:#?}"
    );
}

/// Someone made `trailhub-delivery-boundary` in M0 first, allowing everything: trailhub does not bound its
/// roles with it, makes no role there and reports why; M1 is made as usual.
#[tokio::test(start_paused = true)]
async fn a_boundary_policy_with_another_document_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let wide =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    aws.world().managed_policies.insert(
        boundary(M0),
        FakePolicy {
            versions: vec![wide.to_owned()],
        },
    );
    let cfg = config();
    let (plan, run) = fixtures::plan_and_apply(&aws, &cfg, &opts(dir.path())).await;
    let m0 = plan.accounts.iter().find(|a| a.id.as_str() == M0).unwrap();
    assert!(
        matches!(&m0.status, AccountPlanStatus::Unreachable(f) if f.code() == "BoundaryPolicyDiffers"
            && f.hint().contains("runbooks/cloudwatch-logs.md#boundary-policy-differs")),
        "{:?}",
        m0.status
    );
    assert!(
        matches!(&m0.flow_logs, Some(FlowLogsPlan::Blocked { failure }) if failure.code() == "BoundaryPolicyDiffers"),
        "{:?}",
        m0.flow_logs
    );
    assert_eq!(run.exit_code(), 1);
    assert!(boundaries(&aws, M0).is_empty(), "no role made in M0");
    assert_eq!(boundaries(&aws, M1).len(), 2);
    assert_eq!(
        aws.world().managed_policies[&boundary(M0)].versions,
        [wide.to_owned()],
        "never rewritten"
    );
}

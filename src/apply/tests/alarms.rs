//! Issue 24 over the in-memory fake: `[alarms]` made by apply in every account, a second apply that writes
//! nothing, drift found by the audit (naming the control and the account) and repaired by the next apply,
//! and another team's filter and alarm left alone.

use std::path::Path;
use std::time::Duration;

use crate::apply::*;
use crate::aws::{MetricAlarm, MetricFilter};
use crate::fake::FakeAws;
use crate::fixtures;
use crate::interrupt::Interrupt;

const CENTRAL: &str = "111111111111";
const M0: &str = "200000000000";
const M1: &str = "200000000001";
const REGION: &str = "ap-northeast-2";
const GROUP: &str = "/trailhub/cloudtrail";

fn config() -> Config {
    let mut text = fixtures::config_text("", "", 2);
    text += "[cloudwatch]\n[alarms]\nsubscribe = [\"arn:aws:sqs:ap-northeast-2:111111111111:sec-alarms\"]\n";
    fixtures::parse(&text)
}

fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, REGION, Duration::from_millis(10));
    aws.world().buckets.insert("sec-log".into(), None);
    (aws.world().queue_world).add_queue("arn:aws:sqs:ap-northeast-2:111111111111:sec-alarms");
    aws
}

async fn run(aws: &FakeAws, cfg: &Config, dir: &Path) -> ApplyRun {
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    fixtures::plan_and_apply(aws, cfg, &opts).await.1
}

async fn audit(aws: &FakeAws, cfg: &Config) -> crate::audit::AuditReport {
    let opts = crate::audit::AuditOptions {
        concurrency: 4,
        max_age: Duration::from_secs(86_400 * 365 * 100),
        progress: Default::default(),
    };
    crate::audit::audit(aws, cfg, &opts, time::OffsetDateTime::now_utc())
        .await
        .unwrap()
}

fn alarm_problems(r: &crate::audit::AuditReport, id: &str) -> Vec<(String, String)> {
    let a = r.accounts.iter().find(|a| a.id == id).unwrap();
    a.problems
        .iter()
        .filter(|p| p.code.as_str().starts_with("alarm"))
        .map(|p| (p.code.as_str().to_owned(), p.message.clone()))
        .collect()
}

fn alarm_writes(aws: &FakeAws) -> usize {
    [
        "PutMetricFilter",
        "PutMetricAlarm",
        "CreateTopic",
        "SetTopicAttributes",
    ]
    .iter()
    .map(|op| aws.calls(op))
    .sum()
}

fn state(aws: &FakeAws, id: &str) -> crate::fake::FakeAlarms {
    aws.world().alarms[&(id.to_owned(), REGION.to_owned())].clone()
}

#[tokio::test(start_paused = true)]
async fn every_control_is_made_everywhere_then_drift_is_named_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config();
    let first = run(&aws, &cfg, dir.path()).await;
    assert_eq!(first.exit_code(), 0, "{first:#?}");
    for id in [CENTRAL, M0, M1] {
        let s = state(&aws, id);
        assert_eq!(s.filters[GROUP].len(), 15, "{id}");
        assert_eq!(s.alarms.len(), 15, "{id}");
        let topic = format!("arn:aws:sns:{REGION}:{id}:trailhub-security-alarms");
        let policy = &s.topics[&topic];
        assert!(policy.contains("cloudwatch.amazonaws.com"), "{policy}");
        assert!(!policy.contains("__default_statement_ID"), "{policy}");
        assert!(s.alarms.values().all(|a| a.actions == [topic.clone()]));
        let outcome = first.accounts.iter().find(|a| a.id.as_str() == id).unwrap();
        assert_eq!(outcome.alarms.as_ref().unwrap().controls, 15);
    }
    let clean = audit(&aws, &cfg).await;
    for id in [CENTRAL, M0, M1] {
        assert_eq!(alarm_problems(&clean, id), vec![], "{id}");
    }

    // a second apply writes nothing
    let before = alarm_writes(&aws);
    let second = run(&aws, &cfg, dir.path()).await;
    assert_eq!(second.exit_code(), 0);
    assert_eq!(alarm_writes(&aws), before, "a second apply writes nothing");

    // behind trailhub's back in M1: an alarm deleted, a filter's pattern changed, another team's filter
    // and alarm added (left alone)
    {
        let mut w = aws.world();
        let a = w
            .alarms
            .get_mut(&(M1.to_owned(), REGION.to_owned()))
            .unwrap();
        a.alarms.remove("trailhub-cis-5.3-root-usage");
        let f = a.filters.get_mut(GROUP).unwrap();
        f.get_mut("trailhub-cis-5.4-iam-policy-changes")
            .unwrap()
            .pattern = "{$.x = 1}".into();
        let theirs = MetricFilter {
            name: "team-filter".into(),
            log_group: GROUP.into(),
            pattern: "{$.eventName = Foo}".into(),
            metric_name: "foo".into(),
            namespace: "team".into(),
            metric_value: "1".into(),
        };
        f.insert(theirs.name.clone(), theirs);
        let their_alarm = MetricAlarm {
            name: "team-alarm".into(),
            description: String::new(),
            metric_name: "foo".into(),
            namespace: "team".into(),
            statistic: "Sum".into(),
            period: 60,
            evaluation_periods: 1,
            threshold: 5.0,
            comparison: "GreaterThanThreshold".into(),
            actions: vec![],
            actions_enabled: false,
        };
        a.alarms.insert(their_alarm.name.clone(), their_alarm);
    }
    let drifted = audit(&aws, &cfg).await;
    assert_eq!(
        alarm_problems(&drifted, M0),
        vec![],
        "the other account is clean"
    );
    let found = alarm_problems(&drifted, M1);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().any(|(c, m)| c == "alarm-missing"
        && m.contains("root-usage (CIS 4.3 / 5.3, Security Hub CloudWatch.1)")));
    assert!(found.iter().any(|(c, m)| c == "alarm-filter-drift"
        && m.contains("iam-policy-changes (CIS 4.4 / 5.4, Security Hub CloudWatch.4)")));

    let repair = run(&aws, &cfg, dir.path()).await;
    assert_eq!(repair.exit_code(), 0);
    assert_eq!(
        alarm_writes(&aws),
        before + 2,
        "one filter and one alarm put back"
    );
    let fixed = audit(&aws, &cfg).await;
    assert_eq!(alarm_problems(&fixed, M1), vec![]);
    let s = state(&aws, M1);
    assert_eq!(
        s.filters[GROUP]["team-filter"].pattern,
        "{$.eventName = Foo}"
    );
    assert_eq!(s.alarms["team-alarm"].threshold, 5.0);
    let third = run(&aws, &cfg, dir.path()).await;
    assert_eq!(third.exit_code(), 0);
    assert_eq!(
        alarm_writes(&aws),
        before + 2,
        "a third apply writes nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_log_group_blocks_the_accounts_alarms_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config();
    run(&aws, &cfg, dir.path()).await;
    {
        let mut w = aws.world();
        let a = w
            .alarms
            .get_mut(&(M0.to_owned(), REGION.to_owned()))
            .unwrap();
        let f = a.filters.get_mut(GROUP).unwrap();
        f.retain(|n, _| !n.starts_with("trailhub-cis-"));
        for i in 0..90 {
            let name = format!("team-{i}");
            let filter = MetricFilter {
                name: name.clone(),
                log_group: GROUP.into(),
                pattern: "{$.x = 1}".into(),
                metric_name: "m".into(),
                namespace: "team".into(),
                metric_value: "1".into(),
            };
            f.insert(name, filter);
        }
    }
    let before = aws.calls("PutMetricFilter");
    let r = run(&aws, &cfg, dir.path()).await;
    assert_eq!(r.exit_code(), 1);
    let m0 = r.accounts.iter().find(|a| a.id.as_str() == M0).unwrap();
    let alarms = m0.alarms.as_ref().unwrap();
    let PartStatus::Failed { failure, .. } = &alarms.result else {
        panic!("{alarms:?}")
    };
    assert_eq!(failure.code(), "TooManyMetricFilters");
    assert_eq!(aws.calls("PutMetricFilter"), before, "nothing made");
    let report = audit(&aws, &cfg).await;
    let found = alarm_problems(&report, M0);
    assert_eq!(found[0].0, "alarm-filters-full");
}

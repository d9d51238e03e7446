//! Issue 24 point 1 over the in-memory fake, end to end: `[alarms] subscribe` makes each member's topic
//! (the alarms' part), then the queue's policy naming every topic, then the subscriptions; a second apply
//! writes nothing; the audit is clean, names the account whose subscription was deleted behind
//! trailhub's back, and the next apply subscribes it again.

use std::path::Path;
use std::time::Duration;

use crate::apply::*;
use crate::fake::FakeAws;
use crate::fixtures;
use crate::interrupt::Interrupt;

const CENTRAL: &str = "111111111111";
const M1: &str = "200000000001";
const REGION: &str = "ap-northeast-2";
const QUEUE: &str = "arn:aws:sqs:ap-northeast-2:111111111111:sec-alarms";

fn config() -> Config {
    let mut text = fixtures::config_text("", "", 2);
    text += &format!("[cloudwatch]\n[alarms]\nsubscribe = [\"{QUEUE}\"]\n");
    fixtures::parse(&text)
}

fn world() -> FakeAws {
    let aws = FakeAws::new(CENTRAL, REGION, Duration::from_millis(10));
    aws.world().buckets.insert("sec-log".into(), None);
    aws.world().queue_world.add_queue(QUEUE);
    aws
}

async fn run(aws: &FakeAws, cfg: &Config, dir: &Path) -> ApplyRun {
    let opts = ApplyOptions::new(dir.to_owned(), 4, Interrupt::default());
    fixtures::plan_and_apply(aws, cfg, &opts).await.1
}

async fn queue_problems(aws: &FakeAws, cfg: &Config) -> Vec<(String, String)> {
    let opts = crate::audit::AuditOptions {
        concurrency: 4,
        max_age: Duration::from_secs(86_400 * 365 * 100),
        progress: Default::default(),
    };
    let r = crate::audit::audit(aws, cfg, &opts, time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let mut out = Vec::new();
    for a in &r.accounts {
        let codes = &a.checked;
        assert!(
            codes
                .iter()
                .any(|c| c.as_str() == "alarm-subscription-missing"),
            "{}: {codes:?}",
            a.id
        );
        for p in &a.problems {
            if p.code.as_str().starts_with("alarm-subscription")
                || p.code.as_str() == "alarm-queue-denied"
            {
                out.push((a.id.clone(), p.code.as_str().to_owned()));
            }
        }
    }
    out
}

async fn queue_plan(aws: &FakeAws, cfg: &Config) -> (bool, crate::plan::alarm_queues::QueuePlan) {
    let interrupt = Interrupt::default();
    let (_, plan, _) = fixtures::observe_and_plan(aws, cfg, 4, &interrupt)
        .await
        .unwrap();
    (plan.has_changes(), plan.alarm_queues[0].clone())
}

fn topic(id: &str) -> String {
    format!("arn:aws:sns:{REGION}:{id}:trailhub-security-alarms")
}

fn queue_writes(aws: &FakeAws) -> usize {
    aws.calls("SetQueueAttributes") + aws.calls("Subscribe")
}

fn done(run: &ApplyRun) -> &crate::apply::queue_policy::AlarmQueueRun {
    match &run.alarm_queues[..] {
        [AlarmQueueOutcome::Done(r)] => r,
        other => panic!("{other:#?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_queue_gets_every_topic_and_a_deleted_subscription_is_named_and_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    let cfg = config();
    let ids = [CENTRAL, "200000000000", M1];
    let (_, planned) = queue_plan(&aws, &cfg).await;
    assert_eq!(
        (planned.added_topics.len(), planned.subscribe.len()),
        (3, 3),
        "{planned:?}"
    );

    let first = run(&aws, &cfg, dir.path()).await;
    assert_eq!(first.exit_code(), 0, "{first:#?}");
    let q = done(&first);
    assert!(q.policy.written);
    assert_eq!(q.policy.added.len(), 3, "{:?}", q.policy.added);
    let counts = first.alarm_queues[0].counts();
    assert_eq!((counts.made, counts.pending, counts.failed), (3, 0, 0));
    let policy = aws.world().queue_world.queues[QUEUE].clone().unwrap();
    for id in ids {
        assert!(policy.contains(&topic(id)), "{id}: {policy}");
    }
    let subs = aws.world().queue_world.subscriptions.clone();
    for id in ids {
        assert!(
            subs.iter().any(|(owner, s)| owner == CENTRAL
                && s.topic_arn == topic(id)
                && s.endpoint == QUEUE
                && s.arn.is_some()),
            "{id}: {subs:?}"
        );
    }
    assert_eq!(queue_problems(&aws, &cfg).await, vec![]);

    // a second apply writes nothing
    let before = queue_writes(&aws);
    let second = run(&aws, &cfg, dir.path()).await;
    assert_eq!(second.exit_code(), 0);
    assert!(!done(&second).policy.written);
    assert_eq!(second.alarm_queues[0].counts().present, 3);
    assert_eq!(queue_writes(&aws), before, "a second apply writes nothing");
    let (changes, planned) = queue_plan(&aws, &cfg).await;
    assert!(!changes && !planned.has_changes(), "{planned:?}");

    // M1's subscription deleted behind trailhub's back: the audit names M1 only, apply makes it again
    (aws.world().queue_world.subscriptions).retain(|(_, s)| s.topic_arn != topic(M1));
    assert_eq!(
        queue_problems(&aws, &cfg).await,
        vec![(M1.to_owned(), "alarm-subscription-missing".to_owned())]
    );
    let (changes, planned) = queue_plan(&aws, &cfg).await;
    assert!(changes, "the plan has the subscription to make");
    assert_eq!(planned.subscribe, [M1.parse().unwrap()]);
    assert!(planned.added_topics.is_empty());
    let repair = run(&aws, &cfg, dir.path()).await;
    assert_eq!(repair.exit_code(), 0);
    let counts = repair.alarm_queues[0].counts();
    assert_eq!((counts.made, counts.present), (1, 2));
    assert_eq!(aws.calls("SetQueueAttributes"), 1, "the policy was right");
    assert_eq!(queue_problems(&aws, &cfg).await, vec![]);
}

/// A queue that does not exist is that queue's failure: the accounts are made, the exit code is 1, and
/// nothing is subscribed.
#[tokio::test(start_paused = true)]
async fn a_missing_queue_is_its_own_failure() {
    let dir = tempfile::tempdir().unwrap();
    let aws = world();
    aws.world().queue_world.queues.clear();
    let cfg = config();
    let r = run(&aws, &cfg, dir.path()).await;
    assert_eq!(r.exit_code(), 1);
    assert!(r.accounts.iter().all(|a| !a.has_failed()), "{r:#?}");
    let [AlarmQueueOutcome::Failed { queue, message }] = &r.alarm_queues[..] else {
        panic!("{:#?}", r.alarm_queues);
    };
    assert_eq!(queue, QUEUE);
    assert!(
        message.contains("runbooks/alarm-queue.md#queue-not-found"),
        "{message}"
    );
    assert_eq!(aws.calls("Subscribe"), 0);
}
